/* emu_cpu_stubs.c — the emulated CUDA library (fconv_cuda_emu_lib) has no CPU paths: its tests
 * ask for BACKEND_CUDA. These vtables satisfy dispatch.c's references; they are no candidates
 * unless a test enables them (fconv_emu_cpu_stub_enable: then they model 1 s and create an
 * empty state, so dispatch's fallback from CUDA to CPU can be seen; they never execute). */
#include "path.h"
#include "stream_path.h"

static int stub_enabled;
void fconv_emu_cpu_stub_enable(int on);
void fconv_emu_cpu_stub_enable(int on) { stub_enabled = on; }

static double none_estimate(const fconv_problem *p) {
  (void)p;
  return stub_enabled ? 1.0 : -1.0;
}
static fconv_status none_create(const fconv_problem *p, void **s) {
  (void)p;
  if (!stub_enabled) return FCONV_ERR_UNSUPPORTED;
  *s = (void *)&stub_enabled;
  return FCONV_OK;
}
static fconv_status none_execute(void *s, const void *x, const void *h, void *y) {
  (void)s; (void)x; (void)h; (void)y;
  return FCONV_ERR_UNSUPPORTED;
}
static void none_destroy(void *s) { (void)s; }
#define NONE(var, str, M, CH)                                                                \
  const fconv_path_vtbl var = {.name = str, .backend = FCONV_BACKEND_CPU, .method = M,        \
                                .channels = CH, .estimate = none_estimate,                    \
                                .create = none_create, .execute = none_execute,               \
                                .destroy = none_destroy};
NONE(fconv_cpu_direct_path, "cpu-direct", FCONV_METHOD_DIRECT, FCONV_PATH_PLAIN)
NONE(fconv_cpu_fft_path, "cpu-fft", FCONV_METHOD_FFT, FCONV_PATH_PLAIN)
NONE(fconv_cpu_overlap_save_path, "cpu-overlap-save", FCONV_METHOD_OVERLAP_SAVE, FCONV_PATH_PLAIN)

/* No CPU backend, so no FFTW wisdom of its own (the api's fconv_wisdom_* still link). */
fconv_status fconv_fftw_wisdom_export(char **text) {
  if (text) *text = NULL;
  return FCONV_ERR_UNSUPPORTED;
}
fconv_status fconv_fftw_wisdom_import(const char *text) {
  (void)text;
  return FCONV_ERR_UNSUPPORTED;
}
fconv_status fconv_fftw_wisdom_export_file(const char *path) {
  (void)path;
  return FCONV_ERR_UNSUPPORTED;
}
fconv_status fconv_fftw_wisdom_import_file(const char *path) {
  (void)path;
  return FCONV_ERR_UNSUPPORTED;
}
void fconv_fftw_wisdom_forget(void) {}

NONE(fconv_cpu_channels_direct_path, "cpu-channels-direct", FCONV_METHOD_DIRECT,
     FCONV_PATH_CHANNELS_ONLY)
NONE(fconv_cpu_channels_winograd_path, "cpu-channels-winograd", FCONV_METHOD_DIRECT,
     FCONV_PATH_CHANNELS_ONLY)
NONE(fconv_cpu_channels_fft_path, "cpu-channels-fft", FCONV_METHOD_FFT, FCONV_PATH_CHANNELS_ONLY)
NONE(fconv_cpu_channels_overlap_save_path, "cpu-channels-overlap-save", FCONV_METHOD_OVERLAP_SAVE,
     FCONV_PATH_CHANNELS_ONLY)

/* No CPU streaming engine either: AUTO streams are refused here (the tests ask for CUDA). */
static double none_stream_estimate(const fconv_stream_desc *d, size_t capacity) {
  (void)d;
  (void)capacity;
  return -1.0;
}
static fconv_status none_stream_create(void **s, const fconv_stream_desc *d, size_t capacity) {
  (void)d;
  (void)capacity;
  *s = NULL;
  return FCONV_ERR_UNSUPPORTED;
}
const fconv_stream_engine fconv_cpu_stream_engine = {.name = "cpu-stream",
                                                     .backend = FCONV_BACKEND_CPU,
                                                     .estimate = none_stream_estimate,
                                                     .create = none_stream_create};
