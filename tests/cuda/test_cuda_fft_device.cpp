/* test_cuda_fft_device.cpp — the real cuda-fft and cuda-overlap-save paths (cuFFT, a GPU) through
 * the public API, against the same long-double reference as the emulated tests. Skipped without
 * a device. Label: cuda-device. */
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <cstring>
#include <vector>

#include "cuda_fft_reference.h"
#include "fconv.h"

using fftref::cld;

namespace {

constexpr double kC = 2.0; /* as in the emulated tests */

#define NEED_DEVICE() \
  if (fconv_cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"

size_t esize(fconv_dtype t) { return t == FCONV_F32 ? 4 : t == FCONV_C128 ? 16 : 8; }
bool is_complex(fconv_dtype t) { return t == FCONV_C64 || t == FCONV_C128; }

struct Plan {
  fconv_plan *p = nullptr;
  ~Plan() { fconv_plan_destroy(p); }
};

/* Runs d (host pointers, or device pointers on a stream of our own) and checks it. */
void check(fconv_desc d, bool device_pointers, bool set_kernel) {
  d.backend = FCONV_BACKEND_CUDA;
  if (device_pointers) d.flags |= FCONV_FLAG_DEVICE_POINTERS;
  size_t ne = 1, ke = 1;
  for (int a = 0; a < d.rank; a++) {
    ne *= d.signal_shape[a];
    ke *= d.kernel_shape[a];
  }
  const bool cx = is_complex(d.dtype);
  std::vector<cld> x = fftref::random_values(d.batch * ne, cx, 21);
  std::vector<cld> h = fftref::random_values(d.kernel_batch * ke, cx, 22);
  std::vector<cld> want;
  size_t shape[3];
  ASSERT_TRUE(fftref::reference(d, x, h, want, shape));
  auto xs = fftref::pack(x, d.dtype), hs = fftref::pack(h, d.dtype);
  std::vector<unsigned char> out(want.size() * esize(d.dtype), 0xCD);
  Plan plan;
  ASSERT_EQ(fconv_plan_create(&plan.p, &d), FCONV_OK);
  fconv_plan_info info;
  ASSERT_EQ(fconv_plan_get_info(plan.p, &info), FCONV_OK);
  ASSERT_EQ(info.method, d.method);
  double fft_len = 1;
  for (int a = 0; a < d.rank; a++) fft_len *= (double)info.transform_shape[a];
  if (!device_pointers) {
    if (set_kernel) {
      ASSERT_EQ(fconv_plan_set_kernel(plan.p, hs.data()), FCONV_OK);
      ASSERT_EQ(fconv_execute(plan.p, xs.data(), nullptr, out.data()), FCONV_OK);
    } else {
      ASSERT_EQ(fconv_execute(plan.p, xs.data(), hs.data(), out.data()), FCONV_OK);
    }
  } else {
    void *dx = nullptr, *dh = nullptr, *dy = nullptr;
    cudaStream_t s;
    ASSERT_EQ(cudaStreamCreate(&s), cudaSuccess);
    ASSERT_EQ(cudaMalloc(&dx, xs.size()), cudaSuccess);
    ASSERT_EQ(cudaMalloc(&dh, hs.size()), cudaSuccess);
    ASSERT_EQ(cudaMalloc(&dy, out.size()), cudaSuccess);
    ASSERT_EQ(cudaMemcpy(dx, xs.data(), xs.size(), cudaMemcpyHostToDevice), cudaSuccess);
    ASSERT_EQ(cudaMemcpy(dh, hs.data(), hs.size(), cudaMemcpyHostToDevice), cudaSuccess);
    ASSERT_EQ(fconv_plan_set_cuda_stream(plan.p, s), FCONV_OK);
    if (set_kernel && !info.swapped) {
      ASSERT_EQ(fconv_plan_set_kernel(plan.p, dh), FCONV_OK);
      ASSERT_EQ(fconv_execute(plan.p, dx, nullptr, dy), FCONV_OK);
    } else {
      ASSERT_EQ(fconv_execute(plan.p, dx, dh, dy), FCONV_OK);
    }
    ASSERT_EQ(cudaStreamSynchronize(s), cudaSuccess);
    ASSERT_EQ(cudaMemcpy(out.data(), dy, out.size(), cudaMemcpyDeviceToHost), cudaSuccess);
    cudaFree(dx);
    cudaFree(dh);
    cudaFree(dy);
    cudaStreamDestroy(s);
  }
  std::vector<cld> got = fftref::unpack(out.data(), want.size(), d.dtype);
  EXPECT_LE(fftref::error_ratio(d, x, h, got, want, fft_len, kC), 1.0);
}

TEST(CudaFftDevice, EveryDtypeModeOpBoundary) {
  NEED_DEVICE();
  const size_t n[2] = {37, 29}, k[2] = {6, 5};
  for (fconv_method m : {FCONV_METHOD_FFT, FCONV_METHOD_OVERLAP_SAVE})
    for (fconv_dtype t : {FCONV_F32, FCONV_F64, FCONV_C64, FCONV_C128})
      for (int mode = 0; mode < 4; mode++)
        for (int op = 0; op < 2; op++)
          for (int b = 0; b < 5; b++) {
            fconv_desc d;
            fconv_desc_init(&d, 2, n, k, t);
            d.method = m;
            d.mode = (fconv_mode)mode;
            d.op = (fconv_op)op;
            d.boundary = (fconv_boundary)b;
            d.pad_before[0] = 40; d.pad_after[0] = 3; d.pad_before[1] = 0; d.pad_after[1] = 31;
            d.stride[0] = 2;
            d.batch = 2;
            d.kernel_batch = (mode + op + b) % 2 ? 2 : 1;
            SCOPED_TRACE(testing::Message() << "method " << m << " dtype " << t << " mode "
                                            << mode << " op " << op << " boundary " << b);
            check(d, false, (b % 2) == 0);
            check(d, true, (b % 2) == 1);
          }
}

TEST(CudaFftDevice, LongSignalOverlapSaveFilterBankAndSwap) {
  NEED_DEVICE();
  const size_t n[1] = {60000}, k[1] = {257}, n3[3] = {9, 10, 11}, k3[3] = {12, 13, 14};
  fconv_desc d;
  fconv_desc_init(&d, 1, n, k, FCONV_F32);
  d.method = FCONV_METHOD_OVERLAP_SAVE;
  d.mode = FCONV_MODE_SAME;
  d.boundary = FCONV_BOUNDARY_REPLICATE;
  d.kernel_batch = 3; /* filter bank */
  check(d, false, true);
  check(d, true, true);
  fconv_desc v;
  fconv_desc_init(&v, 3, n3, k3, FCONV_C128);
  v.mode = FCONV_MODE_VALID; /* the kernel is larger: roles swap */
  v.op = FCONV_OP_CORRELATE;
  for (fconv_method m : {FCONV_METHOD_FFT, FCONV_METHOD_OVERLAP_SAVE}) {
    v.method = m;
    check(v, false, false);
    check(v, true, false);
  }
}

}  // namespace

namespace {

/* The transform input is zeroed once at create and the forward transform runs out of place
 * from it: cuFFT must leave its input as it was (R2C and C2C out of place do; only C2R
 * overwrites its input). Three executes of one plan with signals of very different magnitudes
 * each match their own reference: an overwritten padding or a stale sample would not. */
TEST(CudaFftDevice, ExecutesInARowKeepThePaddingAndRewriteTheSamples) {
  NEED_DEVICE();
  const size_t n[2] = {45, 37}, k[2] = {31, 20};
  for (fconv_method m : {FCONV_METHOD_FFT, FCONV_METHOD_OVERLAP_SAVE})
    for (fconv_dtype t : {FCONV_F32, FCONV_F64, FCONV_C64, FCONV_C128}) {
      fconv_desc d;
      fconv_desc_init(&d, 2, n, k, t);
      d.backend = FCONV_BACKEND_CUDA;
      d.method = m;
      d.batch = 2;
      const bool cx = is_complex(t);
      std::vector<cld> h = fftref::random_values(d.kernel_batch * k[0] * k[1], cx, 5);
      auto hs = fftref::pack(h, t);
      Plan plan;
      ASSERT_EQ(fconv_plan_create(&plan.p, &d), FCONV_OK);
      ASSERT_EQ(fconv_plan_set_kernel(plan.p, hs.data()), FCONV_OK);
      fconv_plan_info info;
      ASSERT_EQ(fconv_plan_get_info(plan.p, &info), FCONV_OK);
      const double fft_len = (double)info.transform_shape[0] * (double)info.transform_shape[1];
      const double mag[3] = {1e3, 1e-3, 1.0};
      for (int i = 0; i < 3; i++) {
        std::vector<cld> x = fftref::random_values(d.batch * n[0] * n[1], cx, 30 + i);
        for (cld &v : x) v *= (long double)mag[i];
        std::vector<cld> want;
        size_t shape[3];
        ASSERT_TRUE(fftref::reference(d, x, h, want, shape));
        auto xs = fftref::pack(x, t);
        std::vector<unsigned char> out(want.size() * esize(t), 0xCD);
        ASSERT_EQ(fconv_execute(plan.p, xs.data(), nullptr, out.data()), FCONV_OK);
        std::vector<cld> got = fftref::unpack(out.data(), want.size(), t);
        EXPECT_LE(fftref::error_ratio(d, x, h, got, want, fft_len, kC), 1.0)
            << "method " << m << " dtype " << t << " execute " << i;
      }
    }
}

}  // namespace
