/* test_cuda_direct_device.cpp — the REAL library (built with the CUDA backend) through the
 * public API. With a device: the same seeded sweep and targeted cases as the emulated tests,
 * on the GPU. Without one: the library must still work (AUTO falls back to the CPU) and
 * BACKEND_CUDA must say FCONV_ERR_NO_DEVICE. Labels: cuda-device. */
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <tuple>

#include "test_cuda_direct_common.h"

namespace {

using namespace cuda_direct_test;

void *cuda_alloc(size_t bytes) {
  void *p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, bytes), cudaSuccess);
  return p;
}
void cuda_release(void *p) { EXPECT_EQ(cudaFree(p), cudaSuccess); }
void cuda_h2d(void *dst, const void *src, size_t bytes) {
  EXPECT_EQ(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), cudaSuccess);
}
void cuda_d2h(void *dst, const void *src, size_t bytes) {
  /* legacy-stream copy: ordered after the plan's own (blocking) stream */
  EXPECT_EQ(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), cudaSuccess);
}
const MemOps kCudaMem = {cuda_alloc, cuda_release, cuda_h2d, cuda_d2h};

#define REQUIRE_DEVICE() \
  if (fconv_cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"

/* Fix 5: an error the caller's own earlier call left in the runtime's last-error state is
 * neither reported as fconv's nor cleared (fconv's launches return their own status). */
TEST(CudaDirectDevice, CallersPendingErrorIsLeftAlone) {
  REQUIRE_DEVICE();
  void *big = nullptr;
  (void)cudaMalloc(&big, (size_t)1 << 62); /* the caller's failure: non-sticky */
  if (cudaPeekAtLastError() != cudaErrorMemoryAllocation)
    GTEST_SKIP() << "this runtime records no last error for a failed cudaMalloc";
  const size_t n = 64, k = 5;
  fconv_desc d;
  fconv_desc_init(&d, 1, &n, &k, FCONV_F32);
  d.backend = FCONV_BACKEND_CUDA;
  d.flags = FCONV_FLAG_DEVICE_POINTERS;
  for (fconv_method m : {FCONV_METHOD_DIRECT, FCONV_METHOD_FFT}) {
    d.method = m;
    void *x = cuda_alloc(n * 4), *h = cuda_alloc(k * 4), *y = cuda_alloc((n + k - 1) * 4);
    EXPECT_EQ(cudaMemset(x, 0, n * 4), cudaSuccess);
    EXPECT_EQ(cudaMemset(h, 0, k * 4), cudaSuccess);
    fconv_plan *plan = nullptr;
    EXPECT_EQ(fconv_plan_create(&plan, &d), FCONV_OK);
    EXPECT_EQ(fconv_execute(plan, x, h, y), FCONV_OK) << fconv_method_name(m);
    EXPECT_EQ(cudaPeekAtLastError(), cudaErrorMemoryAllocation) << "cleared by fconv";
    fconv_plan_destroy(plan);
    cuda_release(x);
    cuda_release(h);
    cuda_release(y);
  }
  (void)cudaGetLastError();
}

TEST(CudaDirectDevice, WithoutADeviceTheLibraryFallsBackOrSaysNoDevice) {
  const size_t n = 6, k = 3;
  const float x[6] = {3, 4, 5, 6, 5, 4}, h[3] = {1, 2, 3};
  const float want[8] = {3, 10, 22, 28, 32, 32, 23, 12}; /* scipy.signal.convolve */
  fconv_desc d;
  fconv_desc_init(&d, 1, &n, &k, FCONV_F32);
  float y[8] = {0};
  ASSERT_EQ(fconv_convolve(&d, x, h, y), FCONV_OK); /* AUTO: whatever is there */
  for (int i = 0; i < 8; i++) EXPECT_FLOAT_EQ(y[i], want[i]) << i;
  if (fconv_cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  fconv_plan *plan = nullptr;
  fconv_plan_info info;
  ASSERT_EQ(fconv_plan_create(&plan, &d), FCONV_OK);
  ASSERT_EQ(fconv_plan_get_info(plan, &info), FCONV_OK);
  EXPECT_EQ(info.backend, FCONV_BACKEND_CPU);
  EXPECT_EQ(fconv_plan_set_cuda_stream(plan, nullptr), FCONV_ERR_UNSUPPORTED);
  fconv_plan_destroy(plan);
  d.backend = FCONV_BACKEND_CUDA;
  EXPECT_EQ(fconv_plan_create(&plan, &d), FCONV_ERR_NO_DEVICE);
  EXPECT_EQ(plan, nullptr);
  d.method = FCONV_METHOD_DIRECT;
  EXPECT_EQ(fconv_convolve(&d, x, h, y), FCONV_ERR_NO_DEVICE);
  d.backend = FCONV_BACKEND_AUTO;
  d.flags = FCONV_FLAG_DEVICE_POINTERS;
  EXPECT_EQ(fconv_plan_create(&plan, &d), FCONV_ERR_NO_DEVICE);
}

class CudaDirectDeviceSweep
    : public testing::TestWithParam<std::tuple<int, fconv_dtype, fconv_mode>> {};

TEST_P(CudaDirectDeviceSweep, MatchesReference) {
  REQUIRE_DEVICE();
  const int rank = std::get<0>(GetParam());
  const fconv_dtype t = std::get<1>(GetParam());
  const fconv_mode mode = std::get<2>(GetParam());
  const char *e = getenv("FCONV_TEST_SEED");
  run_sweep(rank, t, mode, e && *e ? strtoull(e, nullptr, 10) : 20261121ull, &kCudaMem);
}

INSTANTIATE_TEST_SUITE_P(
    Device, CudaDirectDeviceSweep,
    testing::Combine(testing::Values(1, 2, 3),
                     testing::Values(FCONV_F32, FCONV_F64, FCONV_C64, FCONV_C128),
                     testing::Values(FCONV_MODE_FULL, FCONV_MODE_SAME, FCONV_MODE_VALID,
                                     FCONV_MODE_PAD)),
    sweep_name);

/* The specialised kernels: every size, both dtypes, each boundary rule, named by get_info. */
TEST(CudaDirectDevice, EverySpecialisedSizeMatchesTheReference) {
  REQUIRE_DEVICE();
  for (int rank = 1; rank <= 3; rank++) run_specialised_sizes(rank, &kCudaMem);
}

TEST(CudaDirectDevice, LargeShapesTapsPlacementAndSeparable) {
  REQUIRE_DEVICE();
  const size_t n1[1] = {1 << 20}, k1[1] = {4200}; /* taps beyond the constant bank */
  const size_t n2[2] = {1000, 1500}, k2[2] = {17, 9};
  const size_t n3[3] = {60, 70, 80}, k3[3] = {5, 4, 3};
  for (fconv_dtype t : {FCONV_F32, FCONV_C128}) {
    Case c = base_case(1, n1, k1, t, 71);
    c.d.mode = FCONV_MODE_SAME;
    c.d.boundary = FCONV_BOUNDARY_MIRROR;
    EXPECT_TRUE(run_case(c, &kCudaMem)) << describe(c);
    c = base_case(2, n2, k2, t, 72);
    c.d.boundary = FCONV_BOUNDARY_WRAP;
    c.d.stride[1] = 2;
    EXPECT_TRUE(run_case(c, &kCudaMem)) << describe(c);
    c.kernel = KernelKind::Separable;
    c.force_separable = true;
    c.expect_separable = 1;
    EXPECT_TRUE(run_case(c, &kCudaMem)) << describe(c);
    c = base_case(3, n3, k3, t, 73);
    c.d.mode = FCONV_MODE_SAME;
    c.d.op = FCONV_OP_CORRELATE;
    c.d.kernel_batch = 4;
    c.device_ptrs = true;
    c.set_kernel = false;
    EXPECT_TRUE(run_case(c, &kCudaMem)) << describe(c);
    c.const_bytes = 0;
    EXPECT_TRUE(run_case(c, &kCudaMem)) << describe(c);
  }
}

TEST(CudaDirectDevice, TwoPlansOnTwoStreamsKeepTheirConstantTaps) {
  REQUIRE_DEVICE();
  const size_t n = 1 << 18, k = 9;
  fconv_desc d;
  fconv_desc_init(&d, 1, &n, &k, FCONV_F32);
  d.backend = FCONV_BACKEND_CUDA;
  d.method = FCONV_METHOD_DIRECT;
  d.flags = FCONV_FLAG_DEVICE_POINTERS;
  d.mode = FCONV_MODE_SAME;
  cudaStream_t s[2];
  fconv_plan *plan[2];
  float *dx, *dh[2], *dy[2];
  std::vector<float> x(n, 1.0f);
  ASSERT_EQ(cudaMalloc((void **)&dx, n * 4), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(dx, x.data(), n * 4, cudaMemcpyHostToDevice), cudaSuccess);
  for (int i = 0; i < 2; i++) {
    ASSERT_EQ(cudaStreamCreateWithFlags(&s[i], cudaStreamNonBlocking), cudaSuccess);
    ASSERT_EQ(fconv_plan_create(&plan[i], &d), FCONV_OK);
    ASSERT_EQ(fconv_plan_set_cuda_stream(plan[i], s[i]), FCONV_OK);
    std::vector<float> h(k, (float)(i + 1));
    ASSERT_EQ(cudaMalloc((void **)&dh[i], k * 4), cudaSuccess);
    ASSERT_EQ(cudaMalloc((void **)&dy[i], n * 4), cudaSuccess);
    ASSERT_EQ(cudaMemcpy(dh[i], h.data(), k * 4, cudaMemcpyHostToDevice), cudaSuccess);
    ASSERT_EQ(fconv_plan_set_kernel(plan[i], dh[i]), FCONV_OK);
  }
  for (int rep = 0; rep < 20; rep++)
    for (int i = 0; i < 2; i++) ASSERT_EQ(fconv_execute(plan[i], dx, nullptr, dy[i]), FCONV_OK);
  for (int i = 0; i < 2; i++) {
    ASSERT_EQ(cudaStreamSynchronize(s[i]), cudaSuccess);
    std::vector<float> y(n);
    ASSERT_EQ(cudaMemcpy(y.data(), dy[i], n * 4, cudaMemcpyDeviceToHost), cudaSuccess);
    EXPECT_EQ(y[n / 2], 9.0f * (float)(i + 1));
    EXPECT_EQ(y[0], 5.0f * (float)(i + 1));
    fconv_plan_destroy(plan[i]);
    cudaFree(dh[i]);
    cudaFree(dy[i]);
    cudaStreamDestroy(s[i]);
  }
  cudaFree(dx);
}

}  // namespace
