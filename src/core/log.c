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

void fconv_vlog(const char *file, int line, const char *fmt, va_list ap) {
  fprintf(stderr, "fconv %s:%d: ", file, line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

void fconv_log(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fconv_vlog(file, line, fmt, ap);
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
    return "no CUDA device: no usable GPU, driver or CUDA module was found for the CUDA "
           "backend";
  case FCONV_ERR_CUDA: return "CUDA error: a CUDA runtime or kernel call failed";
  case FCONV_ERR_FFT: return "FFT error: FFTW or cuFFT failed to plan or execute a transform";
  case FCONV_ERR_INTERNAL: return "internal error in fconv (please report it)";
  }
  return "unknown fconv status value";
}

/* The calling thread's last failure (fconv_last_error). Never printed. */
typedef struct fconv_failure {
  fconv_status st;  /* FCONV_OK: none recorded */
  const char *func; /* the outermost function it left (a __func__ string) */
  char why[400];
} fconv_failure;
static _Thread_local fconv_failure last_failure;
static _Thread_local char last_text[464];

void fconv_error_clear(void) {
  last_failure.st = FCONV_OK;
  last_failure.func = NULL;
  last_failure.why[0] = '\0';
}

fconv_status fconv_error(fconv_status st, const char *file, int line, const char *func,
                         const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  st = fconv_verror(st, file, line, func, fmt, ap);
  va_end(ap);
  return st;
}

fconv_status fconv_verror(fconv_status st, const char *file, int line, const char *func,
                          const char *fmt, va_list ap) {
  vsnprintf(last_failure.why, sizeof last_failure.why, fmt, ap);
  last_failure.st = st;
  last_failure.func = func;
  if (fconv_debug_enabled())
    fconv_log(file, line, "%s: %s: %s", fconv_status_text(st), func, last_failure.why);
  return st;
}

fconv_status fconv_error_pass(fconv_status st, const char *func) {
  if (st == FCONV_OK) return st;
  if (last_failure.st != st) { /* not recorded by fconv_error: the status says what failed */
    last_failure.st = st;
    snprintf(last_failure.why, sizeof last_failure.why, "%s", fconv_status_text(st));
  }
  last_failure.func = func;
  return st;
}

const char *fconv_error_detail(void) {
  if (last_failure.st == FCONV_OK) return "";
  snprintf(last_text, sizeof last_text, "%s: %s", last_failure.func ? last_failure.func : "fconv",
           last_failure.why);
  return last_text;
}
