/* test_cuda_direct_emu.cpp — the CUDA direct path (kernels AND host logic, the sources of
 * src/cuda/direct_kernels.cuh and direct_path.cu) run on the CPU through the block emulator,
 * via the public API of a library built with the emulated CUDA backend (fconv_cuda_emu_lib).
 * Labels: cuda-emu. */
#include <gtest/gtest.h>

#include <cstdio>
#include <tuple>

#include "../../src/cuda/compat.cuh"
#include "../../src/cuda/dev.h"
#include "test_cuda_direct_common.h"

namespace {

using namespace cuda_direct_test;

/* ---- emulated device memory for device-pointer cases ---------------------------------------- */
void *emu_alloc(size_t bytes) {
  void *p = nullptr;
  EXPECT_EQ(fconv_dev_malloc(&p, bytes), FCONV_OK);
  return p;
}
void emu_release(void *p) { fconv_dev_free(p); }
void emu_h2d(void *dst, const void *src, size_t bytes) {
  EXPECT_EQ(fconv_dev_copy_h2d(dst, src, bytes, nullptr), FCONV_OK);
}
void emu_d2h(void *dst, const void *src, size_t bytes) {
  /* the legacy stream only: work the plan left queued on its own stream is NOT waited for */
  EXPECT_EQ(fconv_dev_copy_d2h(dst, src, bytes, nullptr), FCONV_OK);
}
const MemOps kEmuMem = {emu_alloc, emu_release, emu_h2d, emu_d2h};

uint64_t base_seed() {
  const char *e = getenv("FCONV_TEST_SEED");
  return e && *e ? strtoull(e, nullptr, 10) : 20261121ull;
}

/* ---- the sweep: 48 tests x (2 ops x 5 boundaries) = 480 cases -------------------------------- */
class CudaDirectSweep : public testing::TestWithParam<std::tuple<int, fconv_dtype, fconv_mode>> {};

TEST_P(CudaDirectSweep, MatchesReference) {
  const int rank = std::get<0>(GetParam());
  const fconv_dtype t = std::get<1>(GetParam());
  const fconv_mode mode = std::get<2>(GetParam());
  const long live = fconv_emu::live_device_allocations();
  run_sweep(rank, t, mode, base_seed(), &kEmuMem);
  EXPECT_EQ(fconv_emu::live_device_allocations(), live) << "device memory leaked";
}

INSTANTIATE_TEST_SUITE_P(
    Emu, CudaDirectSweep,
    testing::Combine(testing::Values(1, 2, 3),
                     testing::Values(FCONV_F32, FCONV_F64, FCONV_C64, FCONV_C128),
                     testing::Values(FCONV_MODE_FULL, FCONV_MODE_SAME, FCONV_MODE_VALID,
                                     FCONV_MODE_PAD)),
    sweep_name);

/* ---- golden values from scipy / numpy (reference and path both checked) -------------------- */

std::vector<cld> path_output(const fconv_desc &d0, const std::vector<cld> &x,
                             const std::vector<cld> &h) {
  fconv_desc d = d0;
  d.backend = FCONV_BACKEND_CUDA;
  d.method = FCONV_METHOD_DIRECT;
  d.method = FCONV_METHOD_DIRECT;
  std::vector<unsigned char> xr, hr;
  store(d.dtype, x, &xr);
  store(d.dtype, h, &hr);
  fconv_plan *plan = nullptr;
  EXPECT_EQ(fconv_plan_create(&plan, &d), FCONV_OK);
  if (!plan) return {};
  size_t shape[3];
  fconv_plan_output_shape(plan, shape);
  const size_t n = prod(shape, d.rank) * std::max(d.batch, d.kernel_batch);
  std::vector<unsigned char> yr(n * scalars_per_elem(d.dtype) * (is_double(d.dtype) ? 8 : 4));
  EXPECT_EQ(fconv_execute(plan, xr.data(), hr.data(), yr.data()), FCONV_OK);
  fconv_plan_destroy(plan);
  return load(d.dtype, yr, n);
}

void expect_golden(const fconv_desc &d, const std::vector<cld> &x, const std::vector<cld> &h,
                   const std::vector<cld> &want) {
  reference::Result r;
  std::string why;
  ASSERT_TRUE(reference::convolve(d, x, h, &r, &why)) << why;
  const std::vector<cld> y = path_output(d, x, h);
  ASSERT_EQ(r.y.size(), want.size());
  ASSERT_EQ(y.size(), want.size());
  for (size_t i = 0; i < want.size(); i++) {
    EXPECT_NEAR((double)std::abs(r.y[i] - want[i]), 0.0, 1e-12) << "reference, element " << i;
    EXPECT_NEAR((double)std::abs(y[i] - want[i]), 0.0, 1e-12) << "cuda path, element " << i;
  }
}

std::vector<cld> real(std::initializer_list<double> v) {
  std::vector<cld> r;
  for (double x : v) r.push_back(cld(x));
  return r;
}

TEST(CudaDirectGolden, Scipy1D) {
  fconv_desc d;
  size_t n = 2, k = 4;
  /* scipy.signal.correlate([1,2],[1,2,3,4],'valid') = [11, 8, 5]  (VALID swap) */
  fconv_desc_init(&d, 1, &n, &k, FCONV_F64);
  d.mode = FCONV_MODE_VALID;
  d.op = FCONV_OP_CORRELATE;
  expect_golden(d, real({1, 2}), real({1, 2, 3, 4}), real({11, 8, 5}));
  /* scipy.signal.correlate([1,2,3,4,5],[1,-1,2,0.5],'same') = [3, 4.5, 7, 9.5, 9] */
  n = 5;
  fconv_desc_init(&d, 1, &n, &k, FCONV_F64);
  d.mode = FCONV_MODE_SAME;
  d.op = FCONV_OP_CORRELATE;
  expect_golden(d, real({1, 2, 3, 4, 5}), real({1, -1, 2, 0.5}), real({3, 4.5, 7, 9.5, 9}));
  /* np.convolve(np.pad([1,2,3],(5,7),'reflect'),[1,.5],'valid'): padding longer than signal */
  n = 3;
  k = 2;
  fconv_desc_init(&d, 1, &n, &k, FCONV_F64);
  d.mode = FCONV_MODE_PAD;
  d.boundary = FCONV_BOUNDARY_MIRROR;
  d.pad_before[0] = 5;
  d.pad_after[0] = 7;
  expect_golden(d, real({1, 2, 3}), real({1, 0.5}),
                real({2, 2.5, 4, 3.5, 2, 2.5, 4, 3.5, 2, 2.5, 4, 3.5, 2, 2.5}));
  /* np.convolve(np.pad([1,2,3],(4,6),'symmetric'),[1,.5,2],'valid')[::2] */
  k = 3;
  fconv_desc_init(&d, 1, &n, &k, FCONV_F64);
  d.mode = FCONV_MODE_PAD;
  d.boundary = FCONV_BOUNDARY_SYMMETRIC;
  d.pad_before[0] = 4;
  d.pad_after[0] = 6;
  d.stride[0] = 2;
  expect_golden(d, real({1, 2, 3}), real({1, 0.5, 2}), real({9.5, 5.5, 6, 9.5, 5.5, 6}));
  /* scipy.signal.correlate([1+1j,2-1j,.5j],[1-2j,3j],'full') */
  k = 2;
  fconv_desc_init(&d, 1, &n, &k, FCONV_C128);
  d.op = FCONV_OP_CORRELATE;
  expect_golden(d, {cld(1, 1), cld(2, -1), cld(0, 0.5)}, {cld(1, -2), cld(0, 3)},
                {cld(3, -3), cld(-4, -3), cld(5.5, 3), cld(-1, 0.5)});
}

TEST(CudaDirectGolden, ScipyConvolve2dBoundaries) {
  /* x = arange(20).reshape(4,5)**1.5/7, h = [[1,2],[-1,.5],[3,-2]] */
  std::vector<cld> x;
  for (int i = 0; i < 20; i++) x.push_back(cld(std::pow((long double)i, 1.5L) / 7));
  const std::vector<cld> h = real({1, 2, -1, 0.5, 3, -2});
  const size_t n[2] = {4, 5}, k[2] = {3, 2};
  fconv_desc d;
  fconv_desc_init(&d, 2, n, k, FCONV_F64);
  d.mode = FCONV_MODE_SAME;
  d.boundary = FCONV_BOUNDARY_SYMMETRIC; /* convolve2d(x,h,'same',boundary='symm') */
  expect_golden(d, x, h,
                real({4.79157423749955, 5.579659747385281, 7.438712905763235, 9.402514215881109,
                      11.494372194554158, 12.754022837328845, 13.374522483475342,
                      15.692636599229688, 18.082131564817434, 20.57842003292434,
                      24.23617173799869, 25.892593084036328, 28.7045590313943, 31.615328483992364,
                      34.621741506186964, 25.26566458349457, 27.34856290873411, 30.24884467959148,
                      33.24429286693429, 36.33201542897281}));
  d.mode = FCONV_MODE_FULL;
  d.boundary = FCONV_BOUNDARY_WRAP; /* convolve2d(x,h,'full',boundary='wrap') */
  expect_golden(
      d, x, h,
      real({-1.51189817915626, 1.7500628535594611, 2.6396491780551905, 3.8585618716559242,
            5.308895454950836,  -1.51189817915626, 11.11806151604102,  15.981159692210635,
            18.266299410372106, 20.68614318942589, 23.225012178973785, 11.11806151604102,
            17.529834791979315, 13.374522483475342, 15.692636599229688, 18.082131564817434,
            20.57842003292434,  17.529834791979315, 28.263250687983927, 25.892593084036328,
            28.7045590313943,   31.615328483992364, 34.621741506186964, 28.263250687983927,
            -1.51189817915626,  1.7500628535594611, 2.6396491780551905, 3.8585618716559242,
            5.308895454950836,  -1.51189817915626,  11.11806151604102,  15.981159692210635,
            18.266299410372106, 20.68614318942589,  23.225012178973785, 11.11806151604102}));
}

/* ---- tiles, tails, taps placement ------------------------------------------------------------ */

TEST(CudaDirectEmu, LargerShapesSpanManyTilesWithTails) {
  const size_t n1[1] = {1500}, k1[1] = {45};
  const size_t n2[2] = {70, 150}, k2[2] = {5, 9};
  const size_t n3[3] = {9, 20, 70}, k3[3] = {3, 4, 5};
  for (fconv_dtype t : {FCONV_F32, FCONV_C128}) {
    Case c = base_case(1, n1, k1, t, 11);
    c.d.mode = FCONV_MODE_SAME;
    c.d.boundary = FCONV_BOUNDARY_MIRROR;
    EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
    c.d.stride[0] = 3;
    EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
    c = base_case(2, n2, k2, t, 12);
    c.d.boundary = FCONV_BOUNDARY_WRAP;
    c.d.stride[1] = 2;
    EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
    c = base_case(3, n3, k3, t, 13);
    c.d.mode = FCONV_MODE_SAME;
    c.d.op = FCONV_OP_CORRELATE;
    c.d.boundary = FCONV_BOUNDARY_REPLICATE;
    c.d.stride[0] = 2;
    EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
  }
}

TEST(CudaDirectEmu, HostTransfersLargerThanOneStagingChunk) {
  /* 600 x 600 complex doubles = 5.5 MiB each way: two pinned chunks of 4 MiB, double-buffered */
  const size_t n[2] = {600, 600}, k[2] = {3, 3};
  Case c = base_case(2, n, k, FCONV_C128, 15);
  c.d.mode = FCONV_MODE_SAME;
  c.d.boundary = FCONV_BOUNDARY_REPLICATE;
  EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
}

TEST(CudaDirectEmu, LargeStridesUseSparseWindows) {
  const size_t n[2] = {40, 200}, k[2] = {3, 4};
  Case c = base_case(2, n, k, FCONV_F64, 21);
  c.d.stride[0] = 7;
  c.d.stride[1] = 9; /* stride > taps: each output reads its own slot */
  c.d.boundary = FCONV_BOUNDARY_SYMMETRIC;
  EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
  c.const_bytes = 0;
  c.smem_bytes = 64;
  EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
}

TEST(CudaDirectEmu, KernelLargerThanTheConstantBankUsesSharedTaps) {
  /* 4200 f32 taps = 16.4 KiB > the 16 KiB bank: tiled through shared memory in chunks */
  const size_t n[1] = {700}, k[1] = {4200};
  Case c = base_case(1, n, k, FCONV_F32, 31);
  c.d.mode = FCONV_MODE_PAD;
  c.d.pad_before[0] = 3700;
  c.d.pad_after[0] = 40;
  c.d.boundary = FCONV_BOUNDARY_WRAP;
  EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
}

TEST(CudaDirectEmu, FilterBanksAndPairsInConstantGroups) {
  /* the bank holds two kernels at a time: groups of 2, 2, 1 */
  const size_t n[2] = {13, 17}, k[2] = {3, 5};
  for (int pairwise = 0; pairwise < 2; pairwise++)
    for (fconv_dtype t : {FCONV_F32, FCONV_C64}) {
      Case c = base_case(2, n, k, t, 41 + pairwise);
      c.d.kernel_batch = 5;
      c.d.batch = pairwise ? 5 : 1;
      c.d.mode = FCONV_MODE_SAME;
      c.const_bytes = (long)(2 * 15 * (t == FCONV_F32 ? 4 : 8));
      EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
      c.set_kernel = false;
      c.device_ptrs = true;
      EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
    }
}

/* A description for the cuda-direct path with every other field at its default. */
fconv_desc cuda_desc(int rank, const size_t *n, const size_t *k, fconv_dtype t) {
  fconv_desc d;
  fconv_desc_init(&d, rank, n, k, t);
  d.backend = FCONV_BACKEND_CUDA;
  d.method = FCONV_METHOD_DIRECT;
  return d;
}

/* ---- separable kernels ----------------------------------------------------------------------- */

TEST(CudaDirectEmu, RankOneKernelsRunAsPasses) {
  const size_t n3[3] = {7, 9, 11}, k3[3] = {3, 2, 4};
  const size_t n2[2] = {12, 30}, k2[2] = {5, 3};
  for (fconv_dtype t : {FCONV_F32, FCONV_F64, FCONV_C64, FCONV_C128}) {
    for (int rank = 2; rank <= 3; rank++) {
      Case c = rank == 2 ? base_case(2, n2, k2, t, 51) : base_case(3, n3, k3, t, 52);
      c.kernel = KernelKind::Separable;
      c.force_separable = true;
      c.expect_separable = 1;
      c.d.mode = FCONV_MODE_PAD;
      for (int a = 0; a < rank; a++) {
        c.d.pad_before[a] = 2 * a + 1;
        c.d.pad_after[a] = 9; /* longer than some extents */
        c.d.stride[a] = (size_t)(a % 2 + 1);
      }
      c.d.boundary = FCONV_BOUNDARY_MIRROR;
      c.d.op = FCONV_OP_CORRELATE;
      EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
      c.d.kernel_batch = 3; /* a bank of rank-1 kernels */
      c.device_ptrs = true;
      EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
      c.d.flags = FCONV_FLAG_NO_SEPARABLE;
      c.expect_separable = 0;
      EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
    }
  }
}

TEST(CudaDirectEmu, SingleTapAxesArePaddedAndStridedByTheFirstPass) {
  /* taps on axes 0 and 2 only; axis 1 has one tap but padding and stride */
  const size_t n[3] = {6, 7, 9}, k[3] = {3, 1, 4};
  Case c = base_case(3, n, k, FCONV_F64, 61);
  c.kernel = KernelKind::Separable;
  c.force_separable = true;
  c.expect_separable = 1;
  c.d.mode = FCONV_MODE_PAD;
  c.d.pad_before[1] = 4;
  c.d.pad_after[1] = 10;
  c.d.stride[1] = 3;
  c.d.boundary = FCONV_BOUNDARY_WRAP;
  EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
}

/* A plan whose kernel is set, for info checks. */
struct Plan {
  fconv_plan *p = nullptr;
  ~Plan() { fconv_plan_destroy(p); }
};

TEST(CudaDirectEmu, SeparableDetectionUsesARelativeTolerance) {
  ScopedEnv force("FCONV_CUDA_DIRECT_SEPARABLE", "force");
  const size_t n[2] = {8, 8}, k[2] = {3, 3};
  fconv_desc d = cuda_desc(2, n, k, FCONV_F64);
  Plan plan;
  ASSERT_EQ(fconv_plan_create(&plan.p, &d), FCONV_OK);
  double h[9];
  const double a[3] = {1e3, -2e3, 0.5e3}, b[3] = {1e-3, 4e-3, -3e-3};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) h[i * 3 + j] = a[i] * b[j];
  fconv_plan_info info;
  ASSERT_EQ(fconv_plan_set_kernel(plan.p, h), FCONV_OK);
  fconv_plan_get_info(plan.p, &info);
  EXPECT_EQ(info.separable, 1);
  h[4] *= 1 + 1e-9; /* far above rounding, far below the taps' scale */
  ASSERT_EQ(fconv_plan_set_kernel(plan.p, h), FCONV_OK);
  fconv_plan_get_info(plan.p, &info);
  EXPECT_EQ(info.separable, 0);
  for (double &v : h) v = 0; /* all zero: nothing to gain */
  ASSERT_EQ(fconv_plan_set_kernel(plan.p, h), FCONV_OK);
  fconv_plan_get_info(plan.p, &info);
  EXPECT_EQ(info.separable, 0);
}

TEST(CudaDirectEmu, ModelChoosesPassesOnlyWhenTheyPay) {
  const size_t nb[2] = {2048, 2048}, kb[2] = {31, 31}, ns[2] = {16, 16}, ks[2] = {3, 3};
  for (int big = 0; big < 2; big++) {
    fconv_desc d = cuda_desc(2, big ? nb : ns, big ? kb : ks, FCONV_F32);
    d.mode = FCONV_MODE_SAME;
    Plan plan;
    ASSERT_EQ(fconv_plan_create(&plan.p, &d), FCONV_OK);
    const size_t K = big ? 31 : 3;
    std::vector<float> h(K * K);
    for (size_t i = 0; i < K; i++)
      for (size_t j = 0; j < K; j++) h[i * K + j] = (float)(i + 1) * (float)(K - j);
    fconv_plan_info info;
    ASSERT_EQ(fconv_plan_set_kernel(plan.p, h.data()), FCONV_OK);
    fconv_plan_get_info(plan.p, &info);
    EXPECT_EQ(info.separable, big) << "big " << big; /* small: launch overhead dominates */
  }
}

/* ---- kernels, streams, pointers, workspace, memory ------------------------------------------- */

std::vector<double> run_f64(fconv_plan *plan, const std::vector<double> &x, const double *h,
                            size_t outn) {
  std::vector<double> y(outn, -999);
  EXPECT_EQ(fconv_execute(plan, x.data(), h, y.data()), FCONV_OK);
  return y;
}

TEST(CudaDirectEmu, KernelAtExecuteDoesNotReplaceTheSetKernel) {
  const size_t n = 6, k = 2;
  fconv_desc d = cuda_desc(1, &n, &k, FCONV_F64);
  Plan plan;
  ASSERT_EQ(fconv_plan_create(&plan.p, &d), FCONV_OK);
  const std::vector<double> x = {1, 2, 3, 4, 5, 6};
  const double ha[2] = {1, 0}, hb[2] = {0, 1};
  ASSERT_EQ(fconv_plan_set_kernel(plan.p, ha), FCONV_OK);
  EXPECT_EQ(run_f64(plan.p, x, nullptr, 7), (std::vector<double>{1, 2, 3, 4, 5, 6, 0}));
  EXPECT_EQ(run_f64(plan.p, x, hb, 7), (std::vector<double>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(run_f64(plan.p, x, nullptr, 7), (std::vector<double>{1, 2, 3, 4, 5, 6, 0}));
  ASSERT_EQ(fconv_plan_set_kernel(plan.p, hb), FCONV_OK); /* replaces */
  EXPECT_EQ(run_f64(plan.p, x, nullptr, 7), (std::vector<double>{0, 1, 2, 3, 4, 5, 6}));
}

TEST(CudaDirectEmu, DevicePointersOnACallerStream) {
  const size_t n = 300, k = 5;
  fconv_desc d = cuda_desc(1, &n, &k, FCONV_F32);
  d.flags = FCONV_FLAG_DEVICE_POINTERS;
  d.mode = FCONV_MODE_SAME;
  Plan plan;
  ASSERT_EQ(fconv_plan_create(&plan.p, &d), FCONV_OK);
  fconv_dev_stream s = nullptr;
  ASSERT_EQ(fconv_dev_stream_create(&s, 0), FCONV_OK);
  ASSERT_EQ(fconv_plan_set_cuda_stream(plan.p, s), FCONV_OK);
  std::vector<float> x(n), h(k), y(n);
  for (size_t i = 0; i < n; i++) x[i] = (float)(i % 7);
  for (size_t i = 0; i < k; i++) h[i] = (float)i - 2;
  float *dx = (float *)emu_alloc(n * 4), *dh = (float *)emu_alloc(k * 4), *dy = (float *)emu_alloc(n * 4);
  emu_h2d(dx, x.data(), n * 4);
  emu_h2d(dh, h.data(), k * 4);
  ASSERT_EQ(fconv_execute(plan.p, dx, dh, dy), FCONV_OK);
  ASSERT_EQ(fconv_dev_copy_d2h(y.data(), dy, n * 4, s), FCONV_OK); /* ordered on the stream */
  ASSERT_EQ(fconv_dev_stream_sync(s), FCONV_OK);
  for (size_t i = 0; i < n; i++) {
    double want = 0;
    for (size_t j = 0; j < k; j++) {
      const long src = (long)i + 2 - (long)j;
      if (src >= 0 && src < (long)n) want += (double)x[src] * h[j];
    }
    ASSERT_EQ(y[i], (float)want) << i;
  }
  ASSERT_EQ(fconv_plan_set_cuda_stream(plan.p, nullptr), FCONV_OK); /* back to its own */
  emu_release(dx);
  emu_release(dh);
  emu_release(dy);
  fconv_dev_stream_destroy(s);
}

TEST(CudaDirectEmu, PointerKindsAreChecked) {
  const size_t n = 10, k = 3;
  std::vector<float> x(n, 1), h(k, 1), y(n + k - 1);
  float *dx = (float *)emu_alloc(n * 4), *dh = (float *)emu_alloc(k * 4), *dy = (float *)emu_alloc(y.size() * 4);
  for (int device = 0; device < 2; device++) {
    fconv_desc d = cuda_desc(1, &n, &k, FCONV_F32);
    d.flags = device ? FCONV_FLAG_DEVICE_POINTERS : 0;
    Plan plan;
    ASSERT_EQ(fconv_plan_create(&plan.p, &d), FCONV_OK);
    if (device) {
      EXPECT_EQ(fconv_execute(plan.p, x.data(), dh, dy), FCONV_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(fconv_execute(plan.p, dx, h.data(), dy), FCONV_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(fconv_execute(plan.p, dx, dh, y.data()), FCONV_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(fconv_plan_set_kernel(plan.p, h.data()), FCONV_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(fconv_execute(plan.p, dx, dh, dy), FCONV_OK);
    } else {
      EXPECT_EQ(fconv_execute(plan.p, dx, h.data(), y.data()), FCONV_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(fconv_execute(plan.p, x.data(), h.data(), dy), FCONV_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(fconv_execute(plan.p, x.data(), h.data(), y.data()), FCONV_OK);
      EXPECT_EQ(y[2], 3.0f);
    }
  }
  emu_release(dx);
  emu_release(dh);
  emu_release(dy);
}

TEST(CudaDirectEmu, CallerWorkspace) {
  const size_t n[2] = {20, 24}, k[2] = {3, 5};
  fconv_desc d = cuda_desc(2, n, k, FCONV_F64);
  Plan plan;
  ASSERT_EQ(fconv_plan_create(&plan.p, &d), FCONV_OK);
  size_t bytes = 0;
  ASSERT_EQ(fconv_plan_workspace_size(plan.p, &bytes), FCONV_OK);
  /* host-pointer plan, f64: device copies of the signal (20x24: 3840 bytes) and the output
   * (22x28: 4928 -> 5120), and the intermediate of a separable kernel (x pass first: 20x28:
   * 4480 -> 4608), each rounded up to 256 bytes */
  EXPECT_EQ(bytes, (size_t)(3840 + 4608 + 5120));
  fconv_plan_info info;
  fconv_plan_get_info(plan.p, &info);
  EXPECT_EQ(info.workspace_bytes, bytes);
  char *ws = (char *)emu_alloc(bytes + 256);
  std::vector<char> host(bytes);
  EXPECT_EQ(fconv_plan_set_workspace(plan.p, ws, bytes - 1), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_plan_set_workspace(plan.p, ws + 8, bytes), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_plan_set_workspace(plan.p, host.data(), bytes), FCONV_ERR_INVALID_ARGUMENT);
  const long live = fconv_emu::live_device_allocations();
  ASSERT_EQ(fconv_plan_set_workspace(plan.p, ws, bytes), FCONV_OK);
  EXPECT_EQ(fconv_emu::live_device_allocations(), live - 1); /* the plan's own was freed */
  std::vector<double> x(480), h(15), y(22 * 28), y2(22 * 28);
  for (size_t i = 0; i < x.size(); i++) x[i] = (double)((i * 7) % 11) - 5;
  for (size_t i = 0; i < h.size(); i++) h[i] = (double)i * 0.25;
  ASSERT_EQ(fconv_execute(plan.p, x.data(), h.data(), y.data()), FCONV_OK);
  ASSERT_EQ(fconv_plan_set_workspace(plan.p, nullptr, 0), FCONV_OK); /* own buffer again */
  EXPECT_EQ(fconv_emu::live_device_allocations(), live);
  emu_release(ws);
  ASSERT_EQ(fconv_execute(plan.p, x.data(), h.data(), y2.data()), FCONV_OK);
  EXPECT_EQ(y, y2);
  EXPECT_EQ(y[11 * 28 + 14], [&] {
    /* one interior output by hand: y[11][14] = sum x[11-i][14-j] h[i][j] */
    double s = 0;
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 5; j++) s += x[(11 - i) * 24 + (14 - j)] * h[i * 5 + j];
    return s;
  }());
}

TEST(CudaDirectEmu, OutOfDeviceMemoryAtEveryAllocation) {
  const size_t n[2] = {9, 10}, k[2] = {2, 3};
  const long live = fconv_emu::live_device_allocations();
  for (int device = 0; device < 2; device++) {
    fconv_desc d = cuda_desc(2, n, k, FCONV_C64);
    d.flags = device ? FCONV_FLAG_DEVICE_POINTERS : 0;
    int failures = 0;
    for (long after = 0;; after++) {
      fconv_emu::dev_fail_after(after);
      fconv_plan *plan = nullptr;
      const fconv_status st = fconv_plan_create(&plan, &d);
      fconv_emu::dev_fail_after(-1);
      if (st == FCONV_OK) {
        fconv_plan_destroy(plan);
        break;
      }
      EXPECT_EQ(st, FCONV_ERR_OUT_OF_MEMORY) << "after " << after;
      EXPECT_EQ(plan, nullptr);
      EXPECT_EQ(fconv_emu::live_device_allocations(), live) << "leak after " << after;
      failures++;
      ASSERT_LT(after, 100);
    }
    EXPECT_GE(failures, 5); /* taps, taps at execute, pinned taps, workspace, ... */
  }
}

TEST(CudaDirectEmu, OutOfHostMemoryAtEveryAllocation) {
  const size_t n[2] = {9, 10}, k[2] = {2, 3};
  const long live = fconv_emu::live_device_allocations();
  fconv_desc d = cuda_desc(2, n, k, FCONV_F32);
  d.flags = FCONV_FLAG_DEVICE_POINTERS; /* the path's host kernel copy is an fconv_malloc */
  int failures = 0;
  for (long after = 0;; after++) {
    ScopedEnv fail("FCONV_FAIL_ALLOC_AFTER", after);
    fconv_plan *plan = nullptr;
    const fconv_status st = fconv_plan_create(&plan, &d);
    if (st == FCONV_OK) {
      fconv_plan_destroy(plan);
      break;
    }
    EXPECT_EQ(st, FCONV_ERR_OUT_OF_MEMORY) << "after " << after;
    EXPECT_EQ(fconv_emu::live_device_allocations(), live) << "leak after " << after;
    failures++;
    ASSERT_LT(after, 100);
  }
  EXPECT_GE(failures, 2); /* the plan, the path's state, its host kernel copy */
}

TEST(CudaDirectEmu, EstimateIncludesHostTransfers) {
  const size_t n[2] = {512, 512}, k[2] = {5, 5};
  double est[2];
  for (int device = 0; device < 2; device++) {
    fconv_desc d = cuda_desc(2, n, k, FCONV_C128);
    d.flags = device ? FCONV_FLAG_DEVICE_POINTERS : 0;
    Plan plan;
    ASSERT_EQ(fconv_plan_create(&plan.p, &d), FCONV_OK);
    fconv_plan_info info;
    fconv_plan_get_info(plan.p, &info);
    est[device] = info.estimated_seconds;
  }
  /* signal 512^2 and output 516^2 complex doubles staged through pinned memory at ~8 GB/s */
  const double bytes = 16.0 * (512.0 * 512.0 + 516.0 * 516.0);
  EXPECT_GT(est[0] - est[1], 0.9 * bytes / 8e9);
  EXPECT_LT(est[0] - est[1], 1.1 * bytes / 8e9 + 1e-4);
}

TEST(CudaDirectEmu, LargeWindowsPassThroughInRowBandsLoadedOnce) {
  /* complex128 31x31: the window of a 64x32-output tile (62 x 94 elements, 93 KiB) does not fit
   * the 40 KiB budget, one row does: bands of 26 rows, each loaded once. Tap chunks (the old
   * scheme) needed a load and two barriers per chunk (8x1 taps: 124 chunks per plane). */
  const size_t n[2] = {40, 100}, k[2] = {31, 31};
  Case c = base_case(2, n, k, FCONV_C128, 140);
  c.d.mode = FCONV_MODE_SAME;
  c.d.boundary = FCONV_BOUNDARY_SYMMETRIC;
  const fconv_emu::Stats before = fconv_emu::stats();
  EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
  const fconv_emu::Stats after = fconv_emu::stats();
  const unsigned long long blocks = after.blocks - before.blocks;
  ASSERT_GT(blocks, 0u);
  /* ceil(62 / 26) = 3 bands, two barriers each */
  EXPECT_LE((after.barriers - before.barriers) / blocks, 6u);
  /* bands of a few rows (a small budget), 3-D, and the f64 generic kernel with bands */
  c.smem_bytes = 4 * 95 * 16;
  EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
  const size_t n3[3] = {5, 12, 40}, k3[3] = {3, 9, 12};
  c = base_case(3, n3, k3, FCONV_F64, 141);
  c.d.mode = FCONV_MODE_FULL;
  c.d.boundary = FCONV_BOUNDARY_WRAP;
  c.smem_bytes = 3 * 256 * 8;
  EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
  c.d.stride[1] = 2;
  EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
}

/* ---- the specialised kernels (direct_reg_kernels.cuh) --------------------------------------- */

/* Every specialised size, both dtypes, each boundary rule (test_cuda_direct_common.h). */
class CudaDirectReg : public testing::TestWithParam<int> {};

TEST_P(CudaDirectReg, EverySpecialisedSizeMatchesTheReference) {
  run_specialised_sizes(GetParam(), &kEmuMem);
}
INSTANTIATE_TEST_SUITE_P(Emu, CudaDirectReg, testing::Values(1, 2, 3),
                         [](const testing::TestParamInfo<int> &i) {
                           return "rank" + std::to_string(i.param);
                         });

TEST(CudaDirectRegEmu, KernelsAtExecuteAndTheGenericFallback) {
  const size_t n[2] = {70, 300}, k[2] = {5, 5};
  for (fconv_dtype t : {FCONV_F32, FCONV_F64}) {
    Case c = base_case(2, n, k, t, 81);
    c.d.mode = FCONV_MODE_SAME;
    c.d.boundary = FCONV_BOUNDARY_SYMMETRIC;
    c.d.kernel_batch = 2;
    c.set_kernel = false; /* host taps prepared at execute: the specialised kernel */
    c.expect_variant = "reg5x5";
    EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
    c.device_ptrs = true; /* device taps at execute: the generic kernel reads them there */
    EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
    c.device_ptrs = false;
    c.set_kernel = true;
    {
      ScopedEnv off("FCONV_CUDA_DIRECT_SPECIALISED", "0");
      c.expect_variant = "tile";
      EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c) << " FCONV_CUDA_DIRECT_SPECIALISED=0";
    }
  }
}

TEST(CudaDirectRegEmu, DispatchPicksTheGenericKernelWhereNoVariantApplies) {
  struct Probe {
    int rank;
    size_t n[3], k[3];
    fconv_dtype t;
    size_t stride;
    const char *want;
  };
  const Probe probes[] = {
      {2, {40, 150}, {7, 7}, FCONV_F32, 1, "reg7x7"},
      {2, {40, 150}, {7, 7}, FCONV_F32, 2, "tile"},     /* stride */
      {2, {40, 150}, {7, 7}, FCONV_C64, 1, "tile"},     /* complex */
      {2, {40, 150}, {4, 4}, FCONV_F64, 1, "tile"},     /* even */
      {2, {40, 150}, {3, 5}, FCONV_F32, 1, "tile"},     /* not square */
      {2, {40, 150}, {17, 17}, FCONV_F32, 1, "tile"},   /* larger than 15x15 */
      {1, {3000}, {33}, FCONV_F64, 1, "tile"},          /* more than 31 taps */
      {1, {3000}, {31}, FCONV_F64, 1, "reg31"},
      {2, {9, 3000}, {1, 9}, FCONV_F32, 1, "reg9"},     /* a 1xK kernel: the 1-D variant */
      {3, {4, 20, 150}, {1, 5, 5}, FCONV_F64, 1, "reg5x5"}, /* a 1xKxK kernel: 2-D per plane */
      {3, {9, 20, 150}, {3, 3, 3}, FCONV_F32, 1, "reg3x3x3"},
      {3, {9, 20, 150}, {9, 9, 9}, FCONV_F32, 1, "tile"},
  };
  uint64_t seed = 90;
  for (const Probe &pr : probes) {
    Case c = base_case(pr.rank, pr.n, pr.k, pr.t, seed++);
    c.d.mode = FCONV_MODE_SAME;
    c.d.boundary = FCONV_BOUNDARY_REPLICATE;
    for (int a = 0; a < pr.rank; a++) c.d.stride[a] = pr.stride;
    c.expect_variant = pr.want;
    EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
  }
  /* a separable 7x7: the y pass is generic, the x pass the 1-D variant */
  const size_t n[2] = {50, 260}, k[2] = {7, 7};
  Case c = base_case(2, n, k, FCONV_F32, 99);
  c.kernel = KernelKind::Separable;
  c.force_separable = true;
  c.expect_separable = 1;
  c.expect_variant = "tile+reg7";
  c.d.mode = FCONV_MODE_SAME;
  c.d.boundary = FCONV_BOUNDARY_MIRROR;
  EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
}

TEST(CudaDirectRegEmu, StripsOfTilesPerBlockArePipelined) {
  /* FCONV_CUDA_DIRECT_XSTEPS: x tiles per block (the double-buffered window copies run across
   * tiles and, 3-D, across the planes of each tile); counts that do not divide the tiles */
  const size_t n2[2] = {20, 5 * 128 + 9}, k2[2] = {9, 9};
  const size_t n3[3] = {6, 9, 4 * 64 + 3}, k3[3] = {5, 5, 5};
  const size_t n1[1] = {7 * 1024 + 11}, k1[1] = {21};
  for (long xsteps : {2, 3, 8}) {
    ScopedEnv env("FCONV_CUDA_DIRECT_XSTEPS", xsteps);
    for (fconv_dtype t : {FCONV_F32, FCONV_F64}) {
      Case c = base_case(2, n2, k2, t, 100 + xsteps);
      c.d.mode = FCONV_MODE_SAME;
      c.d.boundary = FCONV_BOUNDARY_WRAP;
      c.expect_variant = "reg9x9";
      EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c) << " xsteps " << xsteps;
      c = base_case(3, n3, k3, t, 110 + xsteps);
      c.d.mode = FCONV_MODE_PAD;
      for (int a = 0; a < 3; a++) c.d.pad_before[a] = c.d.pad_after[a] = 3;
      c.d.boundary = FCONV_BOUNDARY_ZERO; /* zero planes: skipped steps */
      c.d.batch = 2;
      c.expect_variant = "reg5x5x5";
      EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c) << " xsteps " << xsteps;
      c = base_case(1, n1, k1, t, 120 + xsteps);
      c.d.boundary = FCONV_BOUNDARY_MIRROR;
      c.d.mode = FCONV_MODE_SAME;
      c.d.kernel_batch = 2;
      c.d.batch = 2;
      c.expect_variant = "reg21";
      EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c) << " xsteps " << xsteps;
    }
  }
}

TEST(CudaDirectRegEmu, UnalignedOutputRowsUseScalarStores) {
  /* output rows of 130 floats (not a multiple of 4) and of 128 (aligned): both exact */
  for (size_t cols : {130, 128, 129}) {
    const size_t n[2] = {40, cols}, k[2] = {3, 3};
    Case c = base_case(2, n, k, FCONV_F32, 130 + cols);
    c.d.mode = FCONV_MODE_SAME;
    c.device_ptrs = true;
    c.expect_variant = "reg3x3";
    EXPECT_TRUE(run_case(c, &kEmuMem)) << describe(c);
  }
}

}  // namespace
