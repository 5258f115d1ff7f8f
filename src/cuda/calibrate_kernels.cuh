/* calibrate_kernels.cuh — device code of the CUDA calibration (calibrate.cu): an empty kernel
 * (launch latency) and a multiply-add chain kernel (FP32 / FP64 throughput). Included after
 * compat.cuh; runs on a GPU and, in the tests, through the block emulator. */
#ifndef FCONV_CUDA_CALIBRATE_KERNELS_CUH
#define FCONV_CUDA_CALIBRATE_KERNELS_CUH

__global__ void fconv_cal_nop_kernel(int unused) { (void)unused; }

/* FCONV_CAL_CHAINS independent multiply-add chains per thread (enough to hide the FMA pipe's
 * latency), `iters` steps each; the sums are stored so nothing is optimised away. */
#define FCONV_CAL_CHAINS 8
template <class T> __global__ void fconv_cal_fma_kernel(T *out, int iters, T a, T b) {
  T x[FCONV_CAL_CHAINS];
  FCONV_UNROLL for (int c = 0; c < FCONV_CAL_CHAINS; c++) x[c] = (T)(threadIdx.x + c);
  for (int i = 0; i < iters; i++) {
    FCONV_UNROLL for (int c = 0; c < FCONV_CAL_CHAINS; c++) x[c] = x[c] * a + b;
  }
  T s = 0;
  FCONV_UNROLL for (int c = 0; c < FCONV_CAL_CHAINS; c++) s += x[c];
  out[(size_t)blockIdx.x * blockDim.x + threadIdx.x] = s;
}

#endif /* FCONV_CUDA_CALIBRATE_KERNELS_CUH */
