/* module.c — the CUDA module's side of cuda_module.h: its one exported symbol, the entry that
 * describes its paths, and (in the module) the core functions its code calls, forwarded to
 * libfconv's host services so that failures, debug logging and host allocations stay libfconv's.
 * The pure core sources (geometry, kernel analysis, problem sizes) are compiled into the module.
 * The emulator tests link the paths and core's own log.c and memory.c into one program
 * (FCONV_CUDA_EMULATE): there the entry is called with NULL and nothing is forwarded. */
#include "../cuda_module.h"

#include "../core/memory.h"

/* cuda/calibrate.cu */
FCONV_HIDDEN fconv_status fconv_cuda_calibrate(int quick, char *report, size_t report_bytes);

#ifndef FCONV_CUDA_EMULATE
static const fconv_host_services *host_services; /* set by the entry, before any path runs */

int fconv_debug_enabled(void) { return host_services->debug_enabled(); }

void fconv_vlog(const char *file, int line, const char *fmt, va_list ap) {
  host_services->vlog(file, line, fmt, ap);
}

void fconv_log(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  host_services->vlog(file, line, fmt, ap);
  va_end(ap);
}

const char *fconv_status_text(fconv_status s) { return host_services->status_text(s); }

fconv_status fconv_verror(fconv_status st, const char *file, int line, const char *func,
                          const char *fmt, va_list ap) {
  return host_services->verror(st, file, line, func, fmt, ap);
}

fconv_status fconv_error(fconv_status st, const char *file, int line, const char *func,
                         const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  st = host_services->verror(st, file, line, func, fmt, ap);
  va_end(ap);
  return st;
}

fconv_status fconv_error_pass(fconv_status st, const char *func) {
  return host_services->error_pass(st, func);
}

void *fconv_malloc(size_t bytes) { return host_services->malloc(bytes); }
void *fconv_calloc(size_t bytes) { return host_services->calloc(bytes); }
void fconv_free(void *p) { host_services->free(p); }
#endif

const fconv_cuda_module *fconv_cuda_module_entry(const fconv_host_services *host) {
  static const fconv_cuda_module module = {
      .abi = FCONV_CUDA_MODULE_ABI,
      .version = FCONV_VERSION_NUMBER,
      .layout = FCONV_CUDA_MODULE_LAYOUT,
      .direct = &fconv_cuda_direct_path,
      .fft = &fconv_cuda_fft_path,
      .overlap_save = &fconv_cuda_overlap_save_path,
      .channels_direct = &fconv_cuda_channels_direct_path,
      .devices = fconv_cuda_devices,
      .calibrate = fconv_cuda_calibrate,
      .stream = &fconv_cuda_stream_engine,
  };
#ifndef FCONV_CUDA_EMULATE
  if (host) host_services = host;
#else
  (void)host;
#endif
  return &module;
}
