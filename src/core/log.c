/* core/log.c — debug logging (only under FCONV_DEBUG), the status strings, and fconv_error, the
 * one function every reported failure passes through. */
#include "error.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fconv_debug_enabled(void) {
  static atomic_int cached = -1;
  int v = atomic_load_explicit(&cached, memory_order_relaxed);
  if (v < 0) {
    const char *e = getenv("FCONV_DEBUG");
    v = (e && *e && strcmp(e, "0") != 0) ? 1 : 0;
    atomic_store_explicit(&cached, v, memory_order_relaxed);
  }
  return v;
}

void fconv_log(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "fconv %s:%d: ", file, line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

const char *fconv_status_text(fconv_status s) {
  switch (s) {
  case FCONV_OK: return "success";
  case FCONV_ERR_INVALID_ARGUMENT:
    return "invalid argument: a NULL pointer, a value out of range, or an inconsistent "
           "description (see fconv.h)";
  case FCONV_ERR_UNSUPPORTED:
    return "unsupported: the request is valid but this build or backend cannot perform it";
  case FCONV_ERR_OUT_OF_MEMORY: return "out of memory: a host or device allocation failed";
  case FCONV_ERR_NO_DEVICE:
    return "no CUDA device: no usable GPU or driver was found for the CUDA backend";
  case FCONV_ERR_CUDA: return "CUDA error: a CUDA runtime or kernel call failed";
  case FCONV_ERR_FFT: return "FFT error: FFTW or cuFFT failed to plan or execute a transform";
  case FCONV_ERR_INTERNAL: return "internal error in fconv (please report it)";
  }
  return "unknown fconv status value";
}

fconv_status fconv_error(fconv_status st, const char *file, int line, const char *why) {
  if (fconv_debug_enabled()) fconv_log(file, line, "%s: %s", fconv_status_text(st), why);
  return st;
}
