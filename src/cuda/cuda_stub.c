/* cuda_stub.c — PLACEHOLDER until the cuFFT-based CUDA paths land (src/cuda/fft_path.cu and
 * overlap_save): reports these paths as unavailable. The cuda-direct path and
 * fconv_cuda_devices() live in direct_path.cu and dev_cuda.cu. Each vtable below is its own
 * block so that each can be removed on its own; delete the file when both are gone. */
#include "../fconv_internal.h"

/* ---- shared stub functions ---------------------------------------------------------------- */
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

/* ---- cuda-fft (replaced by src/cuda/fft_path.cu) ------------------------------------------ */
STUB(fconv_cuda_fft_path, "cuda-fft", FCONV_METHOD_FFT)

/* ---- cuda-overlap-save (replaced by the overlap-save CUDA path) ---------------------------- */
STUB(fconv_cuda_overlap_save_path, "cuda-overlap-save", FCONV_METHOD_OVERLAP_SAVE)
