/* test_cuda_fft_emu.cpp — the CUDA FFT and overlap-save paths on the CPU: their device kernels
 * (pad/extend, multiply, crop) run through the block emulator and their host logic through the
 * emulated dev.h, with FFTW standing in for cuFFT (same layout), compared with an independent
 * long-double reference. Nothing here touches a GPU. Label: cuda-emu. */
#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cuda/compat.cuh"
#include "cuda/dev.h"
#include "cuda/fft_dev.h"
#include "cuda/fft_kernels.cuh"
#include "../reference.h"
#include "cuda_fft_reference.h"
#include "fconv.h"
#include "fft_fftw_standin.h"

extern "C" long long fconv_cuda_os_test_max_fft; /* fft_path.cu test hook */

using fftref::cld;

namespace {

/* Accuracy constant of the DESIGN.md bound C * eps * log2(fft length) * ||xe|| * ||g||. */
constexpr double kC = 2.0;

const char *dtype_str(fconv_dtype t) { return fconv_dtype_name(t); }
bool is_complex(fconv_dtype t) { return t == FCONV_C64 || t == FCONV_C128; }
size_t esize(fconv_dtype t) { return t == FCONV_F32 ? 4 : t == FCONV_C128 ? 16 : 8; }

size_t prod(const size_t *s, int r) {
  size_t p = 1;
  for (int i = 0; i < r; i++) p *= s[i];
  return p;
}

/* Caps overlap-save block lengths for one test, so small problems get many blocks. */
struct OsCap {
  explicit OsCap(long long m) { fconv_cuda_os_test_max_fft = m; }
  ~OsCap() { fconv_cuda_os_test_max_fft = 0; }
};

struct Options {
  bool set_kernel = true;       /* set_kernel + execute(NULL), else execute(kernel) */
  bool device_pointers = false; /* FCONV_FLAG_DEVICE_POINTERS with emulated device buffers */
  bool expect_blocks = false;   /* overlap-save: some axis must have more than one block */
  bool second_signal = false;   /* execute again with another signal (a stale transform input
                                   or a gather that misses a position would show) */
};

/* New emulated device memory reads as NaN until written (cudaMalloc does not zero it either):
 * a transform input whose padding the plan did not zero at create gives NaN results. */
struct Poison {
  Poison() { fconv_emu::dev_poison_allocations(true); }
  ~Poison() { fconv_emu::dev_poison_allocations(false); }
};

std::string describe(const fconv_desc &d) {
  char b[512];
  int n = std::snprintf(b, sizeof b, "rank %d %s mode %d op %d boundary %d batch %zu kb %zu |",
                        d.rank, dtype_str(d.dtype), (int)d.mode, (int)d.op, (int)d.boundary,
                        d.batch, d.kernel_batch);
  for (int a = 0; a < d.rank; a++)
    n += std::snprintf(b + n, sizeof b - (size_t)n, " n%zu k%zu s%zu p%zu/%zu", d.signal_shape[a],
                       d.kernel_shape[a], d.stride[a], d.pad_before[a], d.pad_after[a]);
  std::snprintf(b + n, sizeof b - (size_t)n, " method %s", fconv_method_name(d.method));
  return b;
}

struct Plan {
  fconv_plan *p = nullptr;
  ~Plan() { fconv_plan_destroy(p); }
};

/* Inputs for d (seeded), their packed bytes and the reference outputs. */
struct Data {
  std::vector<cld> x, h, want;
  std::vector<unsigned char> xs, hs;
  size_t shape[3] = {0, 0, 0};
  bool ok = false;
  Data(const fconv_desc &d, unsigned seed) {
    const bool cx = is_complex(d.dtype);
    x = fftref::random_values(d.batch * prod(d.signal_shape, d.rank), cx, seed);
    h = fftref::random_values(d.kernel_batch * prod(d.kernel_shape, d.rank), cx, seed + 1000);
    ok = fftref::reference(d, x, h, want, shape);
    xs = fftref::pack(x, d.dtype);
    hs = fftref::pack(h, d.dtype);
  }
  /* max error / bound of out (packed dtype values) against want */
  double ratio(const fconv_desc &d, const void *out, double fft_len) const {
    std::vector<cld> got = fftref::unpack(out, want.size(), d.dtype);
    return fftref::error_ratio(d, x, h, got, want, fft_len, kC);
  }
};

/* Run d on the CUDA backend (emulated) and compare with the reference. */
void check_case(fconv_desc d, const Options &o = Options(), unsigned seed = 1) {
  SCOPED_TRACE(describe(d));
  d.backend = FCONV_BACKEND_CUDA;
  if (o.device_pointers) d.flags |= FCONV_FLAG_DEVICE_POINTERS;
  const Data in(d, seed);
  ASSERT_TRUE(in.ok);
  const std::vector<cld> &want = in.want;
  const size_t *shape = in.shape;
  const std::vector<unsigned char> &xs = in.xs, &hs = in.hs;
  std::vector<unsigned char> out(want.size() * esize(d.dtype), 0xCD);

  Plan holder;
  ASSERT_EQ(fconv_plan_create(&holder.p, &d), FCONV_OK);
  fconv_plan *plan = holder.p;
  fconv_plan_info info;
  ASSERT_EQ(fconv_plan_get_info(plan, &info), FCONV_OK);
  EXPECT_EQ(info.backend, FCONV_BACKEND_CUDA);
  if (d.method != FCONV_METHOD_AUTO) {
    EXPECT_EQ(info.method, d.method);
  }
  size_t got_shape[3];
  ASSERT_EQ(fconv_plan_output_shape(plan, got_shape), FCONV_OK);
  for (int a = 0; a < d.rank; a++) EXPECT_EQ(got_shape[a], shape[a]) << "axis " << a;
  double fft_len = 1;
  for (int a = 0; a < d.rank; a++) {
    EXPECT_GE(info.transform_shape[a], 1u);
    fft_len *= (double)info.transform_shape[a];
  }
  if (o.expect_blocks) {
    bool blocked = false;
    for (int a = 0; a < d.rank; a++) {
      ASSERT_GE(info.block_shape[a], 1u);
      blocked |= info.block_shape[a] < shape[a];
    }
    EXPECT_TRUE(blocked) << "overlap-save ran as one block";
  }

  void *dx = nullptr, *dh = nullptr, *dy = nullptr;
  const void *px = xs.data(), *ph = hs.data();
  void *py = out.data();
  if (o.device_pointers) {
    ASSERT_EQ(fconv_dev_malloc(&dx, xs.size()), FCONV_OK);
    ASSERT_EQ(fconv_dev_malloc(&dh, hs.size()), FCONV_OK);
    ASSERT_EQ(fconv_dev_malloc(&dy, out.size()), FCONV_OK);
    ASSERT_EQ(fconv_dev_copy_h2d(dx, xs.data(), xs.size(), nullptr), FCONV_OK);
    ASSERT_EQ(fconv_dev_copy_h2d(dh, hs.data(), hs.size(), nullptr), FCONV_OK);
    ASSERT_EQ(fconv_dev_copy_h2d(dy, out.data(), out.size(), nullptr), FCONV_OK);
    px = dx;
    ph = dh;
    py = dy;
  }
  const bool swapped = info.swapped != 0;
  if (o.set_kernel && !(swapped && o.device_pointers)) {
    ASSERT_EQ(fconv_plan_set_kernel(plan, ph), FCONV_OK);
    ASSERT_EQ(fconv_execute(plan, px, nullptr, py), FCONV_OK);
  } else {
    ASSERT_EQ(fconv_execute(plan, px, ph, py), FCONV_OK);
  }
  if (o.device_pointers) {
    ASSERT_EQ(fconv_dev_copy_d2h(out.data(), dy, out.size(), nullptr), FCONV_OK);
  }
  EXPECT_LE(in.ratio(d, out.data(), fft_len), 1.0) << "error / bound";
  if (o.second_signal) { /* another signal (the same kernel), 1000x smaller: stale samples of
                            the first one would exceed the bound */
    Data in2(d, seed + 7919);
    for (cld &v : in2.x) v /= 1000.0L;
    ASSERT_TRUE(fftref::reference(d, in2.x, in.h, in2.want, in2.shape));
    in2.xs = fftref::pack(in2.x, d.dtype);
    std::fill(out.begin(), out.end(), (unsigned char)0xCD);
    const void *px2 = in2.xs.data();
    if (o.device_pointers) {
      ASSERT_EQ(fconv_dev_copy_h2d(dx, in2.xs.data(), in2.xs.size(), nullptr), FCONV_OK);
      px2 = dx;
    }
    const bool cached = o.set_kernel && !(swapped && o.device_pointers);
    ASSERT_EQ(fconv_execute(plan, px2, cached ? nullptr : ph, py), FCONV_OK);
    if (o.device_pointers) {
      ASSERT_EQ(fconv_dev_copy_d2h(out.data(), dy, out.size(), nullptr), FCONV_OK);
    }
    std::vector<cld> got = fftref::unpack(out.data(), in2.want.size(), d.dtype);
    EXPECT_LE(fftref::error_ratio(d, in2.x, in.h, got, in2.want, fft_len, kC), 1.0)
        << "second execute: error / bound";
  }
  if (o.device_pointers) {
    fconv_dev_free(dx);
    fconv_dev_free(dh);
    fconv_dev_free(dy);
  }
}

/* A CUDA-backend description with every other field at its default. */
fconv_desc make_desc(int rank, const size_t *n, const size_t *k, fconv_dtype t,
                     fconv_method m = FCONV_METHOD_AUTO) {
  fconv_desc d;
  fconv_desc_init(&d, rank, n, k, t);
  d.backend = FCONV_BACKEND_CUDA;
  d.method = m;
  return d;
}

/* ---- the sweep: every rank x dtype x method, each over every mode x op x boundary x
 * batch/stride variant ------------------------------------------------------------------------ */

struct Shape {
  size_t n[3], k[3], pb[3], pa[3], s[3];
};
/* Signals shorter than the padding (PAD) and even kernels (SAME's asymmetric split). */
const Shape kShapes[3] = {
    {{23}, {6}, {30}, {27}, {3}},
    {{9, 7}, {4, 3}, {11, 2}, {0, 15}, {2, 3}},
    {{4, 3, 5}, {3, 2, 2}, {5, 0, 1}, {1, 4, 6}, {2, 1, 3}},
};

struct Variant {
  size_t batch, kernel_batch;
  bool strided, set_kernel;
};
const Variant kVariants[] = {
    {1, 1, false, true},
    {3, 1, true, false},  /* a batch, one kernel, explicit kernel */
    {2, 2, false, false}, /* pairs */
    {1, 3, true, true},   /* filter bank */
};

class Sweep : public ::testing::TestWithParam<std::tuple<int, fconv_dtype, fconv_method>> {};

TEST_P(Sweep, EveryModeOpBoundaryBatch) {
  const int rank = std::get<0>(GetParam());
  const fconv_dtype t = std::get<1>(GetParam());
  const fconv_method m = std::get<2>(GetParam());
  const Shape &sh = kShapes[rank - 1];
  OsCap cap(m == FCONV_METHOD_OVERLAP_SAVE ? 16 : 0);
  Poison poison;
  for (int mode = 0; mode < 4; mode++)
    for (int op = 0; op < 2; op++)
      for (int b = 0; b < 5; b++)
        for (const Variant &v : kVariants) {
          fconv_desc d = make_desc(rank, sh.n, sh.k, t);
          d.mode = (fconv_mode)mode;
          d.op = (fconv_op)op;
          d.boundary = (fconv_boundary)b;
          d.method = m;
          d.batch = v.batch;
          d.kernel_batch = v.kernel_batch;
          for (int a = 0; a < rank; a++) {
            d.pad_before[a] = sh.pb[a];
            d.pad_after[a] = sh.pa[a];
            if (v.strided) d.stride[a] = sh.s[a];
          }
          Options o;
          o.set_kernel = v.set_kernel;
          o.second_signal = true;
          /* (rank-3 VALID windows are too short for a block smaller than the one FFT) */
          o.expect_blocks = m == FCONV_METHOD_OVERLAP_SAVE && !(rank == 3 && mode == 2);
          check_case(d, o, (unsigned)(mode * 100 + op * 10 + b));
          if (HasFatalFailure()) return;
        }
}

INSTANTIATE_TEST_SUITE_P(
    CudaFftEmu, Sweep,
    ::testing::Combine(::testing::Values(1, 2, 3),
                       ::testing::Values(FCONV_F32, FCONV_F64, FCONV_C64, FCONV_C128),
                       ::testing::Values(FCONV_METHOD_FFT, FCONV_METHOD_OVERLAP_SAVE)),
    [](const ::testing::TestParamInfo<Sweep::ParamType> &i) {
      return "r" + std::to_string(std::get<0>(i.param)) + "_" +
             dtype_str(std::get<1>(i.param)) + "_" +
             (std::get<2>(i.param) == FCONV_METHOD_FFT ? "fft" : "os");
    });

/* ---- particular cases ------------------------------------------------------------------------ */

const fconv_method kMethods[2] = {FCONV_METHOD_FFT, FCONV_METHOD_OVERLAP_SAVE};

/* Kernels larger than the signal (FULL, SAME, PAD) and VALID's role swap (rule 6). */
TEST(CudaFftEmu, KernelLargerThanSignalAndValidSwap) {
  OsCap cap(16);
  const size_t n2[2] = {3, 5}, k2[2] = {7, 9};
  for (fconv_method m : kMethods)
    for (fconv_dtype t : {FCONV_F32, FCONV_C128})
      for (int mode = 0; mode < 4; mode++)
        for (int op = 0; op < 2; op++)
          for (int b : {0, 3}) {
            fconv_desc d = make_desc(2, n2, k2, t);
            d.mode = (fconv_mode)mode;
            d.op = (fconv_op)op;
            d.boundary = (fconv_boundary)b;
            d.method = m;
            d.pad_before[0] = 2; d.pad_after[0] = 4; d.pad_before[1] = 0; d.pad_after[1] = 6;
            d.batch = 2;
            d.kernel_batch = mode == FCONV_MODE_VALID ? 1 : 2;
            check_case(d);
            if (mode == FCONV_MODE_VALID) { /* the swap with the kernel given to execute */
              Options o;
              o.set_kernel = false;
              check_case(d, o, 7);
            }
          }
}

/* Device pointers: used in place; swapped CORRELATE makes the path flip(conj) the signal on
 * the device (p->signal_flip). */
/* The transform extent is the core's wrap-free rule, the same as the CPU FFT path's: SAME with
 * the ZERO boundary needs n + k/2 (not n + k - 1), here 1000 + 32 -> the even 7-smooth 1050
 * (n + k - 1 = 1064 would give 1080). The result is still checked against the reference. */
TEST(CudaFftEmu, SameZeroUsesTheCoreWrapFreeExtent) {
  const size_t n[1] = {1000}, k[1] = {65};
  fconv_desc d;
  fconv_desc_init(&d, 1, n, k, FCONV_F32);
  d.mode = FCONV_MODE_SAME;
  d.method = FCONV_METHOD_FFT;
  d.backend = FCONV_BACKEND_CUDA;
  Plan plan;
  ASSERT_EQ(fconv_plan_create(&plan.p, &d), FCONV_OK);
  fconv_plan_info info;
  ASSERT_EQ(fconv_plan_get_info(plan.p, &info), FCONV_OK);
  EXPECT_EQ(info.transform_shape[0], 1050u);
  check_case(d);
  d.op = FCONV_OP_CORRELATE;
  check_case(d, Options(), 3);
}

TEST(CudaFftEmu, DevicePointers) {
  OsCap cap(16);
  const size_t n[1] = {40}, k[1] = {7}, nv[2] = {4, 5}, kv[2] = {9, 11};
  for (fconv_method m : kMethods)
    for (fconv_dtype t : {FCONV_F64, FCONV_C64}) {
      fconv_desc d = make_desc(1, n, k, t);
      d.method = m;
      d.mode = FCONV_MODE_SAME;
      d.boundary = FCONV_BOUNDARY_MIRROR;
      d.op = FCONV_OP_CORRELATE;
      d.batch = 2;
      Options o;
      o.device_pointers = true;
      check_case(d, o);
      d.kernel_batch = 2;
      o.set_kernel = false;
      check_case(d, o, 3);
      fconv_desc v = make_desc(2, nv, kv, t); /* swapped: the user's kernel is the signal */
      v.method = m;
      v.mode = FCONV_MODE_VALID;
      v.op = FCONV_OP_CORRELATE;
      v.kernel_batch = 3;
      check_case(v, o, 5);
      v.op = FCONV_OP_CONVOLVE;
      check_case(v, o, 6);
    }
}

/* Overlap-save with the natural (cost-chosen) blocks on a long signal: several blocks. */
TEST(CudaFftEmu, OverlapSaveChoosesBlocksForLongSignals) {
  const size_t n[1] = {5000}, k[1] = {33};
  fconv_desc d = make_desc(1, n, k, FCONV_F32);
  d.method = FCONV_METHOD_OVERLAP_SAVE;
  d.mode = FCONV_MODE_SAME;
  d.boundary = FCONV_BOUNDARY_SYMMETRIC;
  Options o;
  o.expect_blocks = true;
  check_case(d, o);
}

/* ---- plan behaviour -------------------------------------------------------------------------- */

TEST(CudaFftEmu, ExecutePlansNothingAndReusesTheCachedSpectrum) {
  const size_t n[2] = {12, 10}, k[2] = {3, 4};
  for (fconv_method m : kMethods) {
    OsCap cap(m == FCONV_METHOD_OVERLAP_SAVE ? 8 : 0);
    fconv_desc d = make_desc(2, n, k, FCONV_F64, m);
    d.kernel_batch = 2;
    d.batch = 2;
    const Data d1(d, 1), d2(d, 2); /* two kernels (and signals; d1's signal is used) */
    std::vector<cld> w2;
    size_t shape[3];
    ASSERT_TRUE(fftref::reference(d, d1.x, d2.h, w2, shape));
    const auto &xs = d1.xs, &hs1 = d1.hs, &hs2 = d2.hs;
    std::vector<double> y(d1.want.size());
    Plan plan;
    ASSERT_EQ(fconv_plan_create(&plan.p, &d), FCONV_OK);
    ASSERT_EQ(fconv_plan_set_kernel(plan.p, hs1.data()), FCONV_OK);
    const long plans = fconv_fft_standin_plans();
    long execs = fconv_fft_standin_execs();
    ASSERT_EQ(fconv_execute(plan.p, xs.data(), nullptr, y.data()), FCONV_OK);
    EXPECT_EQ(fconv_fft_standin_execs() - execs, 2) << "forward + inverse only";
    execs = fconv_fft_standin_execs();
    ASSERT_EQ(fconv_execute(plan.p, xs.data(), hs2.data(), y.data()), FCONV_OK);
    EXPECT_EQ(fconv_fft_standin_execs() - execs, 3) << "explicit kernel: its spectrum too";
    std::vector<cld> got = fftref::unpack(y.data(), y.size(), d.dtype);
    EXPECT_LE(fftref::error_ratio(d, d1.x, d2.h, got, w2, 256, kC), 1.0);
    /* the explicit kernel did not replace the cached one */
    ASSERT_EQ(fconv_execute(plan.p, xs.data(), nullptr, y.data()), FCONV_OK);
    EXPECT_LE(d1.ratio(d, y.data(), 256), 1.0);
    EXPECT_EQ(fconv_fft_standin_plans(), plans) << "execute must not plan";
  }
}

/* The transform input's zero padding is written once, at create (one device memset, into
 * memory that reads as NaN until written), never per execute; executes rewrite only the
 * samples. Three executes in a row, with signals of very different magnitudes (large, small,
 * large again), must each match their own reference: a padding or sample position left from
 * the previous signal would exceed the bound of the current one. FULL with a kernel nearly
 * as long as the signal: most of every transform item is padding. */
TEST(CudaFftEmu, PaddingIsZeroedOnceAtCreateAndSamplesRewrittenEveryExecute) {
  Poison poison;
  const size_t n[2] = {9, 11}, k[2] = {7, 8};
  for (fconv_method m : kMethods)
    for (fconv_dtype t : {FCONV_F32, FCONV_C128})
      for (int b : {(int)FCONV_BOUNDARY_ZERO, (int)FCONV_BOUNDARY_REPLICATE}) {
        OsCap cap(m == FCONV_METHOD_OVERLAP_SAVE ? 16 : 0);
        fconv_desc d = make_desc(2, n, k, t, m);
        d.boundary = (fconv_boundary)b;
        d.mode = b == FCONV_BOUNDARY_ZERO ? FCONV_MODE_FULL : FCONV_MODE_SAME;
        d.batch = 2;
        SCOPED_TRACE(describe(d));
        Data in[3] = {Data(d, 11), Data(d, 12), Data(d, 13)};
        const double mag[3] = {1e3, 1e-3, 1.0};
        for (int i = 0; i < 3; i++) {
          for (cld &v : in[i].x) v *= (long double)mag[i];
          ASSERT_TRUE(fftref::reference(d, in[i].x, in[0].h, in[i].want, in[i].shape));
          in[i].xs = fftref::pack(in[i].x, d.dtype);
        }
        const long memsets0 = fconv_emu::memsets_queued();
        Plan plan;
        ASSERT_EQ(fconv_plan_create(&plan.p, &d), FCONV_OK);
        EXPECT_EQ(fconv_emu::memsets_queued() - memsets0, 1) << "create zeroes the input once";
        ASSERT_EQ(fconv_plan_set_kernel(plan.p, in[0].hs.data()), FCONV_OK);
        fconv_plan_info info;
        ASSERT_EQ(fconv_plan_get_info(plan.p, &info), FCONV_OK);
        double fft_len = 1;
        for (int a = 0; a < 2; a++) fft_len *= (double)info.transform_shape[a];
        const long memsets1 = fconv_emu::memsets_queued();
        for (int i = 0; i < 3; i++) {
          std::vector<unsigned char> y(in[i].want.size() * esize(t), 0xCD);
          ASSERT_EQ(fconv_execute(plan.p, in[i].xs.data(), nullptr, y.data()), FCONV_OK);
          std::vector<cld> got = fftref::unpack(y.data(), in[i].want.size(), t);
          EXPECT_LE(fftref::error_ratio(d, in[i].x, in[0].h, got, in[i].want, fft_len, kC), 1.0)
              << "execute " << i;
        }
        EXPECT_EQ(fconv_emu::memsets_queued(), memsets1) << "no execute re-zeroes anything";
      }
}

TEST(CudaFftEmu, Workspace) {
  const size_t n[1] = {100}, k[1] = {9};
  for (fconv_method m : kMethods) {
    OsCap cap(m == FCONV_METHOD_OVERLAP_SAVE ? 32 : 0);
    fconv_desc d = make_desc(1, n, k, FCONV_C64, m);
    d.boundary = FCONV_BOUNDARY_WRAP;
    const Data in(d, 4);
    const auto &xs = in.xs, &hs = in.hs;
    Plan plan;
    ASSERT_EQ(fconv_plan_create(&plan.p, &d), FCONV_OK);
    size_t bytes = 0;
    ASSERT_EQ(fconv_plan_workspace_size(plan.p, &bytes), FCONV_OK);
    ASSERT_GT(bytes, 0u);
    void *ws = nullptr;
    ASSERT_EQ(fconv_dev_malloc(&ws, bytes + 512), FCONV_OK);
    EXPECT_EQ(fconv_plan_set_workspace(plan.p, ws, bytes - 1), FCONV_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(fconv_plan_set_workspace(plan.p, (char *)ws + 8, bytes), FCONV_ERR_INVALID_ARGUMENT);
    const long live = fconv_emu::live_device_allocations();
    ASSERT_EQ(fconv_plan_set_workspace(plan.p, ws, bytes), FCONV_OK);
    EXPECT_EQ(fconv_emu::live_device_allocations(), live - 1) << "own workspace freed";
    ASSERT_EQ(fconv_plan_set_kernel(plan.p, hs.data()), FCONV_OK);
    std::vector<float> y(2 * in.want.size());
    for (int rep = 0; rep < 2; rep++) { /* caller's buffer, then back to a plan-owned one */
      std::fill(y.begin(), y.end(), NAN);
      ASSERT_EQ(fconv_execute(plan.p, xs.data(), nullptr, y.data()), FCONV_OK);
      EXPECT_LE(in.ratio(d, y.data(), 128), 1.0) << "rep " << rep;
      if (rep == 0) {
        ASSERT_EQ(fconv_plan_set_workspace(plan.p, nullptr, 0), FCONV_OK);
        fconv_dev_free(ws); /* the plan must no longer touch it (ASan) */
      }
    }
  }
}

/* The CUDA paths share one host skeleton (src/cuda/host.cu): the FFT paths reject what the
 * direct path rejects, with the same status: host memory as a workspace, a device pointer given
 * to a host-pointer plan, a host pointer given to a device-pointer plan. */
TEST(CudaFftEmu, MisuseGetsTheDirectPathsStatuses) {
  const size_t n[1] = {100}, k[1] = {9};
  for (fconv_method m : kMethods) {
    fconv_desc d = make_desc(1, n, k, FCONV_F32, m);
    const Data in(d, 9);
    Plan plan;
    ASSERT_EQ(fconv_plan_create(&plan.p, &d), FCONV_OK);
    size_t bytes = 0;
    ASSERT_EQ(fconv_plan_workspace_size(plan.p, &bytes), FCONV_OK);
    std::vector<char> host(bytes + 512);
    char *aligned = host.data() + (256 - (uintptr_t)host.data() % 256) % 256;
    EXPECT_EQ(fconv_plan_set_workspace(plan.p, aligned, bytes), FCONV_ERR_INVALID_ARGUMENT);
    void *dev = nullptr;
    ASSERT_EQ(fconv_dev_malloc(&dev, in.xs.size() + 4096), FCONV_OK);
    std::vector<float> y(in.want.size());
    EXPECT_EQ(fconv_execute(plan.p, dev, in.hs.data(), y.data()), FCONV_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(fconv_plan_set_kernel(plan.p, dev), FCONV_ERR_INVALID_ARGUMENT);
    fconv_dev_free(dev);
    /* and the plan still works */
    ASSERT_EQ(fconv_execute(plan.p, in.xs.data(), in.hs.data(), y.data()), FCONV_OK);
    EXPECT_LE(in.ratio(d, y.data(), 256), 1.0);

    d.flags |= FCONV_FLAG_DEVICE_POINTERS;
    Plan dplan;
    ASSERT_EQ(fconv_plan_create(&dplan.p, &d), FCONV_OK);
    EXPECT_EQ(fconv_plan_set_kernel(dplan.p, in.hs.data()), FCONV_ERR_INVALID_ARGUMENT);
  }
}

/* The accuracy policy is dispatch's for every backend (fconv.h, "how AUTO chooses"): an
 * integer kernel meets the FFT bound, so an AUTO CUDA plan keeps its transform method after
 * set_kernel; FCONV_FLAG_ACCURATE asks for the direct method, which is then cuda-direct, and
 * exact for integer data. */
TEST(CudaFftEmu, AutoPlanAccuracyPolicyForIntegerKernels) {
  const size_t n[1] = {100000}, k[1] = {2000}; /* 2e8 multiply-adds: the model picks FFT */
  std::vector<float> x(n[0]), h(k[0]), y(n[0] + k[0] - 1);
  for (size_t i = 0; i < x.size(); i++) x[i] = (float)((int)(i * 37 % 17) - 8);
  for (size_t i = 0; i < h.size(); i++) h[i] = (float)((int)(i * 11 % 5) - 2);
  for (unsigned flags : {0u, (unsigned)FCONV_FLAG_ACCURATE}) {
    fconv_desc d = make_desc(1, n, k, FCONV_F32, FCONV_METHOD_AUTO);
    d.flags = flags;
    Plan plan;
    ASSERT_EQ(fconv_plan_create(&plan.p, &d), FCONV_OK);
    fconv_plan_info info;
    ASSERT_EQ(fconv_plan_get_info(plan.p, &info), FCONV_OK);
    ASSERT_EQ(info.backend, FCONV_BACKEND_CUDA);
    EXPECT_EQ(info.method == FCONV_METHOD_DIRECT, flags != 0) << info.reason;
    ASSERT_EQ(fconv_plan_set_kernel(plan.p, h.data()), FCONV_OK);
    ASSERT_EQ(fconv_plan_get_info(plan.p, &info), FCONV_OK);
    EXPECT_EQ(info.backend, FCONV_BACKEND_CUDA);
    EXPECT_EQ(info.method == FCONV_METHOD_DIRECT, flags != 0) << info.reason;
    ASSERT_EQ(fconv_execute(plan.p, x.data(), nullptr, y.data()), FCONV_OK);
    double xn = 0, hn = 0;
    for (float v : x) xn += (double)v * v;
    for (float v : h) hn += (double)v * v;
    const double bound = 8 * 1.1920928955078125e-7 * std::log2(2.0 * (double)y.size()) *
                         std::sqrt(xn) * std::sqrt(hn);
    for (size_t o = 0; o < y.size(); o += 997) {
      double want = 0;
      for (size_t j = 0; j < k[0]; j++)
        if (o >= j && o - j < n[0]) want += (double)x[o - j] * h[j];
      if (flags) {
        EXPECT_EQ((double)y[o], want) << "output " << o; /* integer data: direct is exact */
      } else {
        EXPECT_LE(std::abs((double)y[o] - want), bound) << "output " << o;
      }
    }
  }
}

/* Device pointers on a caller's stream: execute only queues (the emulated stream is lazy, as a
 * GPU would be busy), the result appears after the stream is synchronised. */
TEST(CudaFftEmu, AsynchronousOnTheCallersStream) {
  const size_t n[1] = {64}, k[1] = {5};
  fconv_desc d = make_desc(1, n, k, FCONV_F32, FCONV_METHOD_FFT);
  d.flags = FCONV_FLAG_DEVICE_POINTERS;
  const Data in(d, 8);
  const auto &xs = in.xs, &hs = in.hs;
  std::vector<float> sentinel(in.want.size(), 12345.0f), y(in.want.size());
  void *dx, *dh, *dy;
  ASSERT_EQ(fconv_dev_malloc(&dx, xs.size()), FCONV_OK);
  ASSERT_EQ(fconv_dev_malloc(&dh, hs.size()), FCONV_OK);
  ASSERT_EQ(fconv_dev_malloc(&dy, y.size() * 4), FCONV_OK);
  ASSERT_EQ(fconv_dev_copy_h2d(dx, xs.data(), xs.size(), nullptr), FCONV_OK);
  ASSERT_EQ(fconv_dev_copy_h2d(dh, hs.data(), hs.size(), nullptr), FCONV_OK);
  ASSERT_EQ(fconv_dev_copy_h2d(dy, sentinel.data(), y.size() * 4, nullptr), FCONV_OK);
  fconv_dev_stream s;
  ASSERT_EQ(fconv_dev_stream_create(&s, 0), FCONV_OK);
  {
    Plan plan;
    ASSERT_EQ(fconv_plan_create(&plan.p, &d), FCONV_OK);
    ASSERT_EQ(fconv_plan_set_cuda_stream(plan.p, s), FCONV_OK);
    ASSERT_EQ(fconv_plan_set_kernel(plan.p, dh), FCONV_OK);
    ASSERT_EQ(fconv_execute(plan.p, dx, nullptr, dy), FCONV_OK);
    EXPECT_EQ(std::memcmp(dy, sentinel.data(), y.size() * 4), 0)
        << "execute on a caller's stream with device pointers must not synchronise";
    ASSERT_EQ(fconv_dev_stream_sync(s), FCONV_OK);
    ASSERT_EQ(fconv_dev_copy_d2h(y.data(), dy, y.size() * 4, nullptr), FCONV_OK);
    EXPECT_LE(in.ratio(d, y.data(), 128), 1.0);
    /* back to the plan's own stream: synchronous again */
    ASSERT_EQ(fconv_plan_set_cuda_stream(plan.p, nullptr), FCONV_OK);
    ASSERT_EQ(fconv_dev_copy_h2d(dy, sentinel.data(), y.size() * 4, nullptr), FCONV_OK);
    ASSERT_EQ(fconv_execute(plan.p, dx, nullptr, dy), FCONV_OK);
    ASSERT_EQ(fconv_dev_copy_d2h(y.data(), dy, y.size() * 4, nullptr), FCONV_OK);
    EXPECT_LE(in.ratio(d, y.data(), 128), 1.0);
  }
  fconv_dev_stream_destroy(s);
  fconv_dev_free(dx);
  fconv_dev_free(dh);
  fconv_dev_free(dy);
}

/* Every device/pinned allocation of create failing in turn: OUT_OF_MEMORY, nothing leaked. */
TEST(CudaFftEmu, OutOfDeviceMemoryLeaksNothing) {
  const size_t n[2] = {20, 9}, k[2] = {3, 3};
  for (fconv_method m : kMethods) {
    OsCap cap(m == FCONV_METHOD_OVERLAP_SAVE ? 8 : 0);
    fconv_desc d = make_desc(2, n, k, FCONV_F32, m);
    d.kernel_batch = 4;
    const long live = fconv_emu::live_device_allocations();
    int failures = 0;
    for (long after = 0; after < 50; after++) {
      fconv_emu::dev_fail_after(after);
      fconv_plan *p = nullptr;
      fconv_status st = fconv_plan_create(&p, &d);
      fconv_emu::dev_fail_after(-1);
      if (st == FCONV_OK) {
        fconv_plan_destroy(p);
        break;
      }
      failures++;
      EXPECT_EQ(st, FCONV_ERR_OUT_OF_MEMORY) << "after " << after;
      EXPECT_EQ(p, nullptr);
      EXPECT_EQ(fconv_emu::live_device_allocations(), live) << "leak after " << after;
    }
    EXPECT_GE(failures, 4) << "workspace, spectra and two pinned staging chunks";
    EXPECT_EQ(fconv_emu::live_device_allocations(), live);
  }
}

TEST(CudaFftEmu, HostAllocationFailuresLeakNothing) {
  const size_t n[1] = {50}, k[1] = {4};
  fconv_desc d = make_desc(1, n, k, FCONV_F64, FCONV_METHOD_FFT);
  const long live = fconv_emu::live_device_allocations();
  bool ok = false;
  for (int after = 0; after < 40 && !ok; after++) {
    setenv("FCONV_FAIL_ALLOC_AFTER", std::to_string(after).c_str(), 1);
    fconv_plan *p = nullptr;
    fconv_status st = fconv_plan_create(&p, &d);
    unsetenv("FCONV_FAIL_ALLOC_AFTER");
    if (st == FCONV_OK) {
      ok = true;
      fconv_plan_destroy(p);
    } else {
      EXPECT_EQ(st, FCONV_ERR_OUT_OF_MEMORY) << after;
    }
    EXPECT_EQ(fconv_emu::live_device_allocations(), live) << after;
  }
  EXPECT_TRUE(ok);
}

/* ---- cost model ------------------------------------------------------------------------------ */

TEST(CudaFftEmu, EstimatesChargeTransfersAndPreferOverlapSaveForLongSignals) {
  const size_t nl[1] = {1u << 22}, k[1] = {33}, ns[1] = {300};
  fconv_desc d = make_desc(1, nl, k, FCONV_F32);
  d.mode = FCONV_MODE_SAME;
  fconv_plan_info host, dev, shortp, os;
  {
    Plan p; /* AUTO: every CUDA candidate is modelled */
    ASSERT_EQ(fconv_plan_create(&p.p, &d), FCONV_OK);
    ASSERT_EQ(fconv_plan_get_info(p.p, &host), FCONV_OK);
  }
  EXPECT_LT(host.candidate_seconds[FCONV_METHOD_OVERLAP_SAVE],
            host.candidate_seconds[FCONV_METHOD_FFT])
      << "a 4M-sample signal: blocks of one cuFFT pass beat one long transform";
  d.method = FCONV_METHOD_OVERLAP_SAVE;
  {
    Plan p;
    ASSERT_EQ(fconv_plan_create(&p.p, &d), FCONV_OK);
    ASSERT_EQ(fconv_plan_get_info(p.p, &os), FCONV_OK);
  }
  EXPECT_GT(os.block_shape[0], 4 * k[0]) << "blocks several kernels long";
  EXPECT_LT(os.block_shape[0], nl[0] / 4) << "and much shorter than the signal";
  d.method = FCONV_METHOD_AUTO;
  d.flags = FCONV_FLAG_DEVICE_POINTERS;
  {
    Plan p;
    ASSERT_EQ(fconv_plan_create(&p.p, &d), FCONV_OK);
    ASSERT_EQ(fconv_plan_get_info(p.p, &dev), FCONV_OK);
  }
  /* host pointers pay for staging 2 x 16 MiB: at least their PCIe time */
  for (fconv_method m : kMethods)
    EXPECT_GT(host.candidate_seconds[m] - dev.candidate_seconds[m], 2.0 * 16e6 / 64e9) << m;
  fconv_desc s = make_desc(1, ns, k, FCONV_F32);
  {
    Plan p;
    ASSERT_EQ(fconv_plan_create(&p.p, &s), FCONV_OK);
    ASSERT_EQ(fconv_plan_get_info(p.p, &shortp), FCONV_OK);
  }
  EXPECT_LE(shortp.candidate_seconds[FCONV_METHOD_FFT],
            shortp.candidate_seconds[FCONV_METHOD_OVERLAP_SAVE])
      << "a short signal: one transform";
}

/* ---- the cuFFT status mapping ---------------------------------------------------------------- */

TEST(CudaFftEmu, EveryCufftResultMapsToAStatus) {
  EXPECT_EQ(fconv_cufft_status(0x0), FCONV_OK);
  EXPECT_EQ(fconv_cufft_status(0x2), FCONV_ERR_OUT_OF_MEMORY);
  EXPECT_EQ(fconv_cufft_status(0xB), FCONV_ERR_CUDA);
  for (int r : {0x1, 0x9, 0xD}) EXPECT_EQ(fconv_cufft_status(r), FCONV_ERR_INTERNAL) << r;
  for (int r : {0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0xE, 0x10, 0x11, 0x12, 0x13, 0x14, 0x7F, -1})
    EXPECT_EQ(fconv_cufft_status(r), FCONV_ERR_FFT) << r;
}

/* ---- the kernels alone: any grid gives the same buffers (grid-stride tails) ------------------ */

/* Launches a kernel's 32-bit (narrow) or 64-bit (wide) instance on the legacy stream. */
template <class Args>
fconv_status launch_either(void (*narrow)(Args), void (*wide_kernel)(Args), bool wide, dim3 grid,
                           dim3 block, const Args &a) {
  return wide ? FCONV_LAUNCH(wide_kernel, grid, block, 0, nullptr, a)
              : FCONV_LAUNCH(narrow, grid, block, 0, nullptr, a);
}

/* Runs the gather (32-bit index math unless wide) over dst prefilled with `fill`. */
template <class T>
std::vector<T> run_gather(const fconv_gather_args &a0, const std::vector<T> &src,
                          size_t dst_elems, dim3 grid, dim3 block, bool wide, T fill) {
  fconv_gather_args a = a0;
  EXPECT_EQ(fconv_gather_prepare(&a), 0) << "small sizes: 32-bit index math";
  void *ds = nullptr, *dd = nullptr;
  EXPECT_EQ(fconv_dev_malloc(&ds, src.size() * sizeof(T)), FCONV_OK);
  EXPECT_EQ(fconv_dev_malloc(&dd, dst_elems * sizeof(T)), FCONV_OK);
  EXPECT_EQ(fconv_dev_copy_h2d(ds, src.data(), src.size() * sizeof(T), nullptr), FCONV_OK);
  std::vector<T> out(dst_elems, fill);
  EXPECT_EQ(fconv_dev_copy_h2d(dd, out.data(), dst_elems * sizeof(T), nullptr), FCONV_OK);
  a.src = ds;
  a.dst = dd;
  EXPECT_EQ(launch_either(fconv_fft_gather_kernel<T, false>, fconv_fft_gather_kernel<T, true>,
                          wide, grid, block, a),
            FCONV_OK);
  EXPECT_EQ(fconv_dev_copy_d2h(out.data(), dd, dst_elems * sizeof(T), nullptr), FCONV_OK);
  fconv_dev_free(ds);
  fconv_dev_free(dd);
  return out;
}

/* The source index that extended position i (relative to the first sample) reads under
 * boundary b, or -1 for a zero: reference::pad_line applied to a line of indices. */
long pad_index(long i, long n, fconv_boundary b) {
  if (i >= 0 && i < n) return i;
  const size_t left = i < 0 ? (size_t)-i : 0, right = i >= n ? (size_t)(i - n + 1) : 0;
  std::vector<reference::cld> line(left + (size_t)n + right);
  for (long j = 0; j < n; j++) line[left + (size_t)j] = (long double)(j + 1);
  reference::pad_line(line, left, right, b);
  return (long)line[(size_t)(i + (long)left)].real() - 1;
}

/* The gather into a pre-zeroed buffer writes exactly the positions that carry samples (every
 * other position keeps what was there: the sentinel here, the zeros of create in the path);
 * full mode writes every position, zeros included, and scales. Both index widths, any grid. */
TEST(CudaFftKernels, GatherWritesOnlyTheSamplesWithTheBoundaryRule) {
  /* 2 items of a 2-D signal 5 x 7, blocks along both axes, every boundary, flip_conj too */
  const double2 sentinel = make_double2(-777.0, 555.0);
  for (int b = 0; b < 5; b++)
    for (int flip = 0; flip < 2; flip++)
      for (int full = 0; full < 2; full++) {
        fconv_gather_args a;
        std::memset(&a, 0, sizeof a);
        const long n[3] = {1, 5, 7};
        a.items = 2;
        a.src_dist = 35;
        a.boundary = b;
        a.flip_conj = flip;
        a.full = full;
        a.scale = full ? 0.5 : 1.0;
        /* n, M, R, nb, step, off, cnt, lo, hi */
        a.ax[0] = fconv_gather_axis{1, 1, 1, 1, 0, 0, 1, 0, 1, {}, {}};
        a.ax[1] = fconv_gather_axis{5, 8, 8, 3, 4, -6, 8, -6, 5 + 9, {}, {}}; /* pads 6 / 9 */
        a.ax[2] = fconv_gather_axis{7, 7, full ? 9 : 6, 4, 3, -4, 6, -4, 7 + 3, {}, {}};
        a.pitch = 9; /* 7 positions, 6 carry data, 2 of row padding */
        a.dst_dist = 8 * 9;
        const size_t dst_elems = 2 * 12 * 8 * 9;
        std::vector<double2> src(70);
        for (size_t i = 0; i < src.size(); i++) src[i] = make_double2((double)i, 1000.0 + i);
        auto big = run_gather(a, src, dst_elems, dim3(2, 24), dim3(8, 8), false, sentinel);
        auto tiny = run_gather(a, src, dst_elems, dim3(1, 1), dim3(32, 1), false, sentinel);
        auto wide = run_gather(a, src, dst_elems, dim3(3, 5), dim3(4, 16), true, sentinel);
        ASSERT_EQ(std::memcmp(big.data(), tiny.data(), dst_elems * sizeof(double2)), 0);
        ASSERT_EQ(std::memcmp(big.data(), wide.data(), dst_elems * sizeof(double2)), 0);
        for (long it = 0; it < 2; it++)
          for (long b1 = 0; b1 < 3; b1++)
            for (long b2 = 0; b2 < 4; b2++)
              for (long i1 = 0; i1 < 8; i1++)
                for (long i2 = 0; i2 < 9; i2++) {
                  const double2 v = big[(size_t)((((it * 3 + b1) * 4 + b2) * 8 + i1) * 9 + i2)];
                  const long s1 = -6 + b1 * 4 + i1, s2 = -4 + b2 * 3 + i2;
                  long j1 = s1 < -6 || s1 >= 14 ? -1 : pad_index(s1, n[1], (fconv_boundary)b);
                  long j2 = i2 >= 6 || s2 < -4 || s2 >= 10
                                ? -1 : pad_index(s2, n[2], (fconv_boundary)b);
                  double re, im;
                  if (j1 >= 0 && j2 >= 0) {
                    if (flip) { j1 = n[1] - 1 - j1; j2 = n[2] - 1 - j2; }
                    const double2 sv = src[(size_t)(it * 35 + j1 * 7 + j2)];
                    re = sv.x * a.scale;
                    im = (flip ? -sv.y : sv.y) * a.scale;
                  } else if (full) {
                    re = im = 0; /* full: every position written */
                  } else {
                    re = sentinel.x; /* a padding position: never written */
                    im = sentinel.y;
                  }
                  ASSERT_EQ(v.x, re) << full << " " << it << " " << b1 << " " << b2 << " " << i1 << " " << i2;
                  ASSERT_EQ(v.y, im) << full << " " << it << " " << b1 << " " << b2 << " " << i1 << " " << i2;
                }
      }
}

TEST(CudaFftKernels, MultiplyConjugatesAndServesFilterBanks) {
  const long spec = 37, nb = 3;
  for (int conj = 0; conj < 2; conj++)
    for (long cfg = 0; cfg < 3; cfg++) {
      /* (batch, kernel_batch): filter bank (1, 11), pairs (4, 4), one kernel (4, 1) */
      const long batch = cfg == 0 ? 1 : 4, kb = cfg == 0 ? 11 : cfg == 1 ? 4 : 1;
      const long count = batch > kb ? batch : kb;
      std::vector<cld> X = fftref::random_values((size_t)(batch * nb * spec), true, 11);
      std::vector<cld> H = fftref::random_values((size_t)(kb * spec), true, 12);
      auto Xp = fftref::pack(X, FCONV_C64), Hp = fftref::pack(H, FCONV_C64);
      void *dX, *dH, *dY;
      ASSERT_EQ(fconv_dev_malloc(&dX, Xp.size()), FCONV_OK);
      ASSERT_EQ(fconv_dev_malloc(&dH, Hp.size()), FCONV_OK);
      ASSERT_EQ(fconv_dev_malloc(&dY, (size_t)(count * nb * spec) * 8), FCONV_OK);
      ASSERT_EQ(fconv_dev_copy_h2d(dX, Xp.data(), Xp.size(), nullptr), FCONV_OK);
      ASSERT_EQ(fconv_dev_copy_h2d(dH, Hp.data(), Hp.size(), nullptr), FCONV_OK);
      fconv_mul_args<float, float2> a;
      a.X = (const float2 *)dX;
      a.Y = (float2 *)dY;
      a.H = (const float2 *)dH;
      a.spec = spec;
      a.nb = nb;
      a.count = count;
      a.batch = batch;
      a.kernel_batch = kb;
      a.group = batch == 1 ? 4 : 1;
      a.conj = conj;
      void (*const k)(fconv_mul_args<float, float2>) = fconv_fft_mul_kernel<float, float2>;
      ASSERT_EQ(FCONV_LAUNCH(k, dim3(1, 2), dim3(32, 2), 0, nullptr, a), FCONV_OK);
      std::vector<float2> Y((size_t)(count * nb * spec));
      ASSERT_EQ(fconv_dev_copy_d2h(Y.data(), dY, Y.size() * 8, nullptr), FCONV_OK);
      for (long i = 0; i < count; i++)
        for (long bl = 0; bl < nb; bl++)
          for (long f = 0; f < spec; f++) {
            cld x = X[(size_t)(((batch == 1 ? 0 : i) * nb + bl) * spec + f)];
            cld hh = H[(size_t)((kb == 1 ? 0 : i) * spec + f)];
            x = cld((float)x.real(), (float)x.imag());
            hh = cld((float)hh.real(), (float)hh.imag());
            const cld w = x * (conj ? std::conj(hh) : hh);
            const float2 g = Y[(size_t)((i * nb + bl) * spec + f)];
            ASSERT_NEAR(g.x, (double)w.real(), 4e-6) << i << " " << bl << " " << f;
            ASSERT_NEAR(g.y, (double)w.imag(), 4e-6) << i << " " << bl << " " << f;
          }
      fconv_dev_free(dX);
      fconv_dev_free(dH);
      fconv_dev_free(dY);
    }
}

/* Runs the extract kernel (both index widths) on src; returns the outputs. */
std::vector<double> run_extract(fconv_extract_args a, const std::vector<double> &src,
                                size_t outs, bool wide, dim3 grid, dim3 block) {
  void *ds, *dd;
  EXPECT_EQ(fconv_dev_malloc(&ds, src.size() * 8), FCONV_OK);
  EXPECT_EQ(fconv_dev_malloc(&dd, outs * 8), FCONV_OK);
  EXPECT_EQ(fconv_dev_copy_h2d(ds, src.data(), src.size() * 8, nullptr), FCONV_OK);
  a.src = ds;
  a.dst = dd;
  EXPECT_EQ(launch_either(fconv_fft_extract_kernel<double, false>,
                          fconv_fft_extract_kernel<double, true>, wide, grid, block, a),
            FCONV_OK);
  std::vector<double> y(outs);
  EXPECT_EQ(fconv_dev_copy_d2h(y.data(), dd, outs * 8, nullptr), FCONV_OK);
  fconv_dev_free(ds);
  fconv_dev_free(dd);
  return y;
}

TEST(CudaFftKernels, ExtractReadsTheValidStridedPartOfEveryBlock) {
  /* 1-D, 2 outputs of 3 blocks: source value = item * 1000 + position, so the expected
   * position of every output follows from the crop rule stated in fft_kernels.cuh. */
  const long M = 16, nb = 3, count = 2, out = 14, stride = 2, bo = 5, k = 4;
  for (int corr = 0; corr < 2; corr++) {
    std::vector<double> src((size_t)(count * nb * M));
    for (size_t i = 0; i < src.size(); i++) src[i] = (double)(i / M) * 1000 + (double)(i % M);
    fconv_extract_args a;
    std::memset(&a, 0, sizeof a);
    a.src_dist = M;
    a.pitch = M;
    a.count = count;
    EXPECT_EQ(fconv_extract_axis_init(&a.ax[0], 1, 1, 1, 1, 1, 0, 0, 0), 0);
    EXPECT_EQ(fconv_extract_axis_init(&a.ax[1], 1, 1, 1, 1, 1, 0, 0, 0), 0);
    EXPECT_EQ(fconv_extract_axis_init(&a.ax[2], out, stride, bo, nb, M, k - 1, 1LL << 40,
                                      corr ? k - 1 : 0), 0);
    EXPECT_EQ(fconv_extract_prepare(&a), 0);
    const auto y = run_extract(a, src, (size_t)(count * out), false, dim3(1, 1), dim3(32, 1));
    const auto yw = run_extract(a, src, (size_t)(count * out), true, dim3(2, 1), dim3(4, 2));
    for (long i = 0; i < count; i++)
      for (long o = 0; o < out; o++) {
        const long b = o / bo, q = o % bo;
        const long pos = q * stride + (corr ? 0 : k - 1); /* convolution: c[j + k-1] */
        EXPECT_EQ(y[(size_t)(i * out + o)], (double)((i * nb + b) * 1000 + pos)) << i << " " << o;
        EXPECT_EQ(yw[(size_t)(i * out + o)], y[(size_t)(i * out + o)]) << i << " " << o;
      }
  }
}

/* A 1-tap blocked axis (base 0, no upper limit): every output of every block is valid (the
 * rule's (uhi - base) / stride + 1 must not overflow into "no valid output"). */
TEST(CudaFftKernels, ExtractOneTapBlocksKeepEveryOutput) {
  fconv_extract_axis q;
  EXPECT_EQ(fconv_extract_axis_init(&q, 7, 1, 2, 4, 2, 0, LLONG_MAX, 0), 0);
  EXPECT_EQ(q.qlo, 0);
  EXPECT_EQ(q.qhi, 2);
  EXPECT_EQ(fconv_extract_axis_init(&q, 7, 3, 2, 4, 4, 0, LLONG_MAX, 0), 0);
  EXPECT_EQ(q.qhi, 2);
}

/* One block (one item per output) along every axis of a 3-D result: the valid window
 * [0, uhi] of u = o*stride + base, positions (u - shift) mod M wrapping below 0 for
 * correlation; 32-bit and 64-bit instances against the rule evaluated here. */
TEST(CudaFftKernels, ExtractSingleBlockWindowsWrapAndZeroOutside) {
  const long M[3] = {6, 7, 9}, out[3] = {4, 5, 7}, stride[3] = {2, 1, 2};
  const long base[3] = {-3, 2, -1}, uhi[3] = {5, 6, 8}, shift[3] = {2, 0, 3};
  const long count = 2, spec = M[0] * M[1] * M[2];
  std::vector<double> src((size_t)(count * spec));
  for (size_t i = 0; i < src.size(); i++) src[i] = 1.0 + (double)i;
  fconv_extract_args a;
  std::memset(&a, 0, sizeof a);
  a.src_dist = spec;
  a.pitch = M[2];
  a.count = count;
  for (int d = 0; d < 3; d++)
    EXPECT_EQ(fconv_extract_axis_init(&a.ax[d], out[d], stride[d], out[d], 1, M[d], base[d],
                                      uhi[d], shift[d]), 0) << d;
  EXPECT_EQ(fconv_extract_prepare(&a), 0);
  const size_t outs = (size_t)(count * out[0] * out[1] * out[2]);
  const auto y = run_extract(a, src, outs, false, dim3(2, 3), dim3(4, 4));
  const auto yw = run_extract(a, src, outs, true, dim3(1, 1), dim3(8, 1));
  size_t idx = 0;
  for (long i = 0; i < count; i++)
    for (long o0 = 0; o0 < out[0]; o0++)
      for (long o1 = 0; o1 < out[1]; o1++)
        for (long o2 = 0; o2 < out[2]; o2++, idx++) {
          const long o[3] = {o0, o1, o2};
          long t[3];
          bool zero = false;
          for (int d = 0; d < 3; d++) {
            const long u = o[d] * stride[d] + base[d];
            zero |= u < 0 || u > uhi[d];
            t[d] = (((u - shift[d]) % M[d]) + M[d]) % M[d];
          }
          const double want = zero ? 0.0 : src[(size_t)(i * spec + (t[0] * M[1] + t[1]) * M[2] + t[2])];
          ASSERT_EQ(y[idx], want) << i << " " << o0 << " " << o1 << " " << o2;
          ASSERT_EQ(yw[idx], want) << i << " " << o0 << " " << o1 << " " << o2;
        }
}

/* fconv_fastdiv: the quotient and remainder of every dividend below 2^31 tried, for divisors
 * around every power of two and a dense small range, against the hardware's division. */
TEST(CudaFftKernels, FastDivisionMatchesDivision) {
  std::vector<unsigned> ds;
  for (unsigned d = 1; d <= 2000; d++) ds.push_back(d);
  for (int l = 11; l < 31; l++)
    for (long dd = -3; dd <= 3; dd++) ds.push_back((unsigned)((1L << l) + dd));
  ds.push_back(2147483647u);
  unsigned long long x = 88172645463325252ull; /* xorshift64 */
  for (unsigned d : ds) {
    const fconv_fastdiv f = fconv_fastdiv_make(d);
    std::vector<unsigned> ns = {0u, 1u, d - 1, d, d + 1, 2 * d - 1, 2147483647u, 2147483646u,
                                2147483647u / d * d, 2147483647u / d * d - 1};
    for (int i = 0; i < 200; i++) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      ns.push_back((unsigned)(x % 2147483648ull));
    }
    for (unsigned n : ns) {
      if (n >= 2147483648u) continue;
      unsigned r;
      const unsigned q = fconv_fastdiv_divmod(f, n, &r);
      ASSERT_EQ(q, n / d) << n << " / " << d;
      ASSERT_EQ(r, n % d) << n << " % " << d;
    }
  }
}

}  // namespace
