/* cuda_stub.c — PLACEHOLDER until the CUDA paths land: reports no device. */
#include "../fconv_internal.h"

int fconv_cuda_devices(void) { return 0; }

static double stub_estimate(const fconv_problem *p) { (void)p; return -1.0; }
static fconv_status stub_create(const fconv_problem *p, void **s) {
  (void)p; (void)s;
  return FCONV_ERR_NO_DEVICE;
}
static fconv_status stub_execute(void *s, const void *x, const void *h, void *y) {
  (void)s; (void)x; (void)h; (void)y;
  return FCONV_ERR_NO_DEVICE;
}
static void stub_destroy(void *s) { (void)s; }
#define STUB(name, str, M)                                                                  \
  const fconv_path_vtbl name = {str, FCONV_BACKEND_CUDA, M, stub_estimate, stub_create, NULL, \
                                stub_execute, stub_destroy, NULL, NULL, NULL, NULL, NULL};
STUB(fconv_cuda_direct_path, "cuda-direct", FCONV_METHOD_DIRECT)
STUB(fconv_cuda_fft_path, "cuda-fft", FCONV_METHOD_FFT)
STUB(fconv_cuda_overlap_save_path, "cuda-overlap-save", FCONV_METHOD_OVERLAP_SAVE)
