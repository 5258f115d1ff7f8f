// test_direct_internal.cpp — the CPU direct path (FCONV_METHOD_DIRECT, BACKEND_CPU) against the
// suite's independent reference (tests/reference.h), over random combinations of the
// contract, plus its own behaviour: separable detection, explicit kernels leaving the set one
// intact, instruction-set variants, long kernels cut into pieces, many threads.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "fconv.h"
#include "reference.h"
#include "test_common.h"

namespace {

using lc = std::complex<long double>;

// The test kit's RNG (test_common.h), with the draws this suite uses.
struct Rng {
  std::mt19937_64 g;
  explicit Rng(uint64_t seed) : g(seed) {}
  double u() { return std::uniform_real_distribution<double>(0.0, 1.0)(g); }  // [0, 1)
  size_t i(size_t lo, size_t hi) { return ft::uniform(g, lo, hi); }          // inclusive
};

bool is_cplx(fconv_dtype t) { return ft::is_complex(t); }
bool is_dbl(fconv_dtype t) { return t == FCONV_F64 || t == FCONV_C128; }

// The test kit's typed array (test_common.h), set from (re, im).
struct Arr : ft::Array {
  fconv_dtype t;
  Arr(fconv_dtype t_, size_t n) : ft::Array(t_, n), t(t_) {}
  using ft::Array::set;
  void set(size_t i, double re, double im) { ft::Array::set(i, lc(re, im)); }
  size_t bytes() const { return size() * ft::esize(t); }
};

// Kernel kinds: random, exact outer product (separable), outer product with one tap perturbed.
void fill_kernel(Arr& h, size_t off, const size_t* ks, int rank, int kind, Rng& g) {
  size_t K[3] = {1, 1, 1};
  for (int a = 0; a < rank; a++) K[3 - rank + a] = ks[a];
  const bool c = is_cplx(h.t);
  const size_t ke = K[0] * K[1] * K[2];
  if (kind == 0) {
    for (size_t i = 0; i < ke; i++) h.set(off + i, g.u() * 2 - 1, c ? g.u() * 2 - 1 : 0);
    return;
  }
  std::vector<std::complex<double>> f[3];
  for (int A = 0; A < 3; A++)
    for (size_t j = 0; j < K[A]; j++) f[A].emplace_back(g.u() * 2 - 1, c ? g.u() * 2 - 1 : 0);
  for (size_t j0 = 0; j0 < K[0]; j0++)
    for (size_t j1 = 0; j1 < K[1]; j1++)
      for (size_t j2 = 0; j2 < K[2]; j2++) {
        const std::complex<double> v = f[0][j0] * f[1][j1] * f[2][j2];
        h.set(off + (j0 * K[1] + j1) * K[2] + j2, v.real(), v.imag());
      }
  if (kind == 2) {
    const size_t i = g.i(0, ke - 1);
    const lc v = h.get(off + i);
    h.set(off + i, (double)v.real() + 1e-2, (double)v.imag());
  }
}

// Compare all outputs of y with the shared reference (tests/reference.h); returns a message for
// the first failure. Per output element the tolerance is 8 eps (sqrt(taps) + 4) sum|xe||g|, the
// direct sum's own bound (tighter than reference::error_bound's norm-product bound).
std::string compare(const fconv_desc& d, const Arr& x, const Arr& h, const Arr& y,
                    const size_t* osh) {
  size_t se = 1, ke = 1, oe = 1;
  for (int a = 0; a < d.rank; a++) {
    se *= d.signal_shape[a];
    ke *= d.kernel_shape[a];
    oe *= osh[a];
  }
  std::vector<lc> xv(d.batch * se), hv(d.kernel_batch * ke);
  for (size_t i = 0; i < xv.size(); i++) xv[i] = x.get(i);
  for (size_t i = 0; i < hv.size(); i++) hv[i] = h.get(i);
  reference::Result ref;
  std::vector<long double> mag;
  std::string why;
  if (!reference::convolve(d, xv, hv, &ref, &why) || !reference::magnitudes(d, xv, hv, &mag, &why))
    return "reference rejects the case: " + why;
  for (int a = 0; a < d.rank; a++)
    if (ref.shape[a] != osh[a])
      return "output extent " + std::to_string(a) + ": " + std::to_string(osh[a]) +
             ", reference " + std::to_string(ref.shape[a]);
  const size_t count = std::max(d.batch, d.kernel_batch);
  const long double eps = reference::eps_of(d.dtype);
  for (size_t i = 0; i < count; i++) {
    for (size_t o = 0; o < oe; o++) {
      const lc v = y.get(i * oe + o), want = ref.y[i * oe + o];
      const long double err = std::abs(v - want);
      // accumulation error of a sum of ke products (separable passes add the factors' rounding)
      const long double tol = 8 * eps * (std::sqrt((long double)ke) + 4) * mag[i * oe + o];
      if (!(err <= tol)) {
        char buf[256];
        snprintf(buf, sizeof buf, "item %zu output %zu: got (%g, %g) want (%g, %g), err %Lg > %Lg",
                 i, o, (double)v.real(), (double)v.imag(), (double)want.real(),
                 (double)want.imag(), err, tol);
        return buf;
      }
    }
  }
  return "";
}

struct Case {
  fconv_desc d;
  size_t se = 1, ke = 1;
};

// A random description of the contract (small shapes so the reference stays cheap).
Case random_case(Rng& g, int big) {
  Case c;
  const int r = (int)g.i(1, 3);
  size_t ns[3], ks[3];
  const fconv_dtype dt = (fconv_dtype)g.i(0, 3);
  const fconv_mode mode = (fconv_mode)g.i(0, 3);
  for (int a = 0; a < r; a++) {
    const size_t lim = (r == 1 ? 70 : r == 2 ? 24 : 12) * (big ? 4 : 1);
    ns[a] = g.i(1, lim);
    ks[a] = g.i(1, r == 1 ? 40 : 7);
  }
  if (mode == FCONV_MODE_VALID) {
    const bool up = g.u() < 0.3;  // swapped (kernel contains signal) or plain
    for (int a = 0; a < r; a++)
      if (up ? ks[a] < ns[a] : ks[a] > ns[a]) std::swap(ks[a], ns[a]);
  }
  fconv_desc_init(&c.d, r, ns, ks, dt);
  fconv_desc& d = c.d;
  d.mode = mode;
  d.op = (fconv_op)g.i(0, 1);
  d.boundary = (fconv_boundary)g.i(0, 4);
  d.method = FCONV_METHOD_DIRECT;
  d.backend = FCONV_BACKEND_CPU;
  d.threads = (int)g.i(1, 3);
  for (int a = 0; a < r; a++) {
    d.stride[a] = g.u() < 0.6 ? 1 : g.i(2, 5);
    if (mode == FCONV_MODE_PAD) {  // padding up to 3x the signal: repeats the boundary rule
      d.pad_before[a] = g.u() < 0.3 ? g.i(0, 3 * ns[a] + 5) : g.i(0, ks[a]);
      d.pad_after[a] = g.u() < 0.3 ? g.i(0, 3 * ns[a] + 5) : g.i(0, ks[a]);
      if (ns[a] + d.pad_before[a] + d.pad_after[a] < ks[a]) d.pad_after[a] = ks[a];
    }
  }
  switch (g.i(0, 3)) {
    case 1: d.batch = g.i(2, 3); break;
    case 2: d.batch = d.kernel_batch = g.i(2, 3); break;
    case 3: d.kernel_batch = g.i(2, 3); break;  // filter bank
    default: break;
  }
  if (g.u() < 0.15) d.flags |= FCONV_FLAG_NO_SEPARABLE;
  for (int a = 0; a < r; a++) {
    c.se *= ns[a];
    c.ke *= ks[a];
  }
  return c;
}

uint64_t test_seed() {
  const char* e = getenv("FCONV_TEST_SEED");
  return e ? strtoull(e, nullptr, 10) : 20240601u;
}

struct IsaGuard {  // FCONV_ISA is read at plan creation; restore it afterwards
  std::string old;
  bool had;
  explicit IsaGuard(const char* v) {
    const char* o = getenv("FCONV_ISA");
    had = o != nullptr;
    if (had) old = o;
    if (v) setenv("FCONV_ISA", v, 1); else unsetenv("FCONV_ISA");
  }
  ~IsaGuard() {
    if (had) setenv("FCONV_ISA", old.c_str(), 1); else unsetenv("FCONV_ISA");
  }
};

void run_random(uint64_t seed, int iterations, int big) {
  Rng g(seed);
  static const char* isas[3] = {"generic", "avx2", "avx512"};
  for (int it = 0; it < iterations; it++) {
    Case c = random_case(g, big);
    fconv_desc& d = c.d;
    IsaGuard isa(isas[g.i(0, 2)]);
    const int kind = g.u() < 0.4 ? 1 : g.u() < 0.3 ? 2 : 0;
    SCOPED_TRACE("seed " + std::to_string(seed) + " iteration " + std::to_string(it) +
                 " isa " + getenv("FCONV_ISA") + " rank " + std::to_string(d.rank) + " dtype " +
                 std::to_string(d.dtype) + " mode " + std::to_string(d.mode) + " op " +
                 std::to_string(d.op) + " boundary " + std::to_string(d.boundary));
    fconv_plan* plan = nullptr;
    ASSERT_EQ(fconv_plan_create(&plan, &d), FCONV_OK);
    size_t osh[3];
    ASSERT_EQ(fconv_plan_output_shape(plan, osh), FCONV_OK);
    size_t oe = 1;
    for (int a = 0; a < d.rank; a++) oe *= osh[a];
    const size_t count = std::max(d.batch, d.kernel_batch);
    Arr x(d.dtype, d.batch * c.se), h(d.dtype, d.kernel_batch * c.ke),
        h2(d.dtype, d.kernel_batch * c.ke), y(d.dtype, count * oe);
    const bool cp = is_cplx(d.dtype);
    for (size_t i = 0; i < d.batch * c.se; i++) x.set(i, g.u() * 2 - 1, cp ? g.u() * 2 - 1 : 0);
    for (size_t b = 0; b < d.kernel_batch; b++) {
      fill_kernel(h, b * c.ke, d.kernel_shape, d.rank, kind, g);
      fill_kernel(h2, b * c.ke, d.kernel_shape, d.rank, kind == 1 ? 0 : 1, g);
    }
    // set_kernel + execute(NULL); an explicit other kernel; the set one again (intact).
    ASSERT_EQ(fconv_plan_set_kernel(plan, h.data()), FCONV_OK);
    for (int run = 0; run < 3; run++) {
      memset(y.data(), 0x5a, y.bytes());
      ASSERT_EQ(fconv_execute(plan, x.data(), run == 1 ? h2.data() : nullptr, y.data()),
                FCONV_OK);
      const std::string err = compare(d, x, run == 1 ? h2 : h, y, osh);
      ASSERT_EQ(err, "") << "run " << run;
    }
    fconv_plan_info info;
    ASSERT_EQ(fconv_plan_get_info(plan, &info), FCONV_OK);
    EXPECT_EQ(info.method, FCONV_METHOD_DIRECT);
    if (kind == 2) {
      EXPECT_EQ(info.separable, 0) << "a perturbed outer product is not separable";
    }
    if (d.flags & FCONV_FLAG_NO_SEPARABLE) {
      EXPECT_EQ(info.separable, 0);
    }
    fconv_plan_destroy(plan);
  }
}

TEST(CpuDirect, RandomContractSmall) { run_random(test_seed(), 200, 0); }
TEST(CpuDirect, RandomContractLarger) { run_random(test_seed() + 1, 6, 1); }

// A 2-D plan: run it once with the kernel set, return y (F32 or F64).
std::vector<double> run2d(fconv_dtype dt, size_t n0, size_t n1, size_t k0, size_t k1,
                          const std::vector<double>& xv, const std::vector<double>& hv,
                          fconv_boundary b, unsigned flags, int threads, fconv_plan_info* info) {
  const size_t ns[2] = {n0, n1}, ks[2] = {k0, k1};
  fconv_desc d;
  fconv_desc_init(&d, 2, ns, ks, dt);
  d.mode = FCONV_MODE_SAME;
  d.boundary = b;
  d.method = FCONV_METHOD_DIRECT;
  d.backend = FCONV_BACKEND_CPU;
  d.flags = flags;
  d.threads = threads;
  fconv_plan* p = nullptr;
  EXPECT_EQ(fconv_plan_create(&p, &d), FCONV_OK);
  if (!p) return {};
  Arr x(dt, xv.size()), h(dt, hv.size()), y(dt, n0 * n1);
  for (size_t i = 0; i < xv.size(); i++) x.set(i, xv[i], 0);
  for (size_t i = 0; i < hv.size(); i++) h.set(i, hv[i], 0);
  EXPECT_EQ(fconv_plan_set_kernel(p, h.data()), FCONV_OK);
  EXPECT_EQ(fconv_execute(p, x.data(), nullptr, y.data()), FCONV_OK);
  EXPECT_EQ(fconv_plan_get_info(p, info), FCONV_OK);
  fconv_plan_destroy(p);
  std::vector<double> out(n0 * n1);
  for (size_t i = 0; i < out.size(); i++) out[i] = (double)y.get(i).real();
  return out;
}

TEST(CpuDirect, SeparableGaussianDetectedAndExact) {
  // 31x31 Gaussian (an exact outer product up to rounding) on a 300x500 image: runs as passes,
  // and equals the non-separable computation.
  const size_t n0 = 300, n1 = 500, k = 31;
  std::vector<double> gk(k), hv(k * k), xv(n0 * n1);
  for (size_t i = 0; i < k; i++) gk[i] = std::exp(-0.5 * std::pow(((double)i - 15.0) / 5.0, 2));
  for (size_t i = 0; i < k; i++)
    for (size_t j = 0; j < k; j++) hv[i * k + j] = gk[i] * gk[j];
  Rng g(7);
  for (auto& v : xv) v = g.u();
  for (fconv_dtype dt : {FCONV_F32, FCONV_F64}) {
    for (fconv_boundary b : {FCONV_BOUNDARY_ZERO, FCONV_BOUNDARY_MIRROR}) {
      fconv_plan_info si, fi;
      auto ys = run2d(dt, n0, n1, k, k, xv, hv, b, 0, 2, &si);
      auto yf = run2d(dt, n0, n1, k, k, xv, hv, b, FCONV_FLAG_NO_SEPARABLE, 2, &fi);
      EXPECT_EQ(si.separable, 1) << "dtype " << dt;
      EXPECT_EQ(fi.separable, 0);
      const double eps = is_dbl(dt) ? DBL_EPSILON : FLT_EPSILON;
      double sumk = 0;
      for (double v : hv) sumk += v;
      for (size_t i = 0; i < ys.size(); i++)
        ASSERT_NEAR(ys[i], yf[i], 64 * eps * sumk) << "dtype " << dt << " output " << i;
    }
  }
  // A near miss (one tap off by 1e-3 of the peak) must not be taken as separable.
  hv[5 * k + 7] += 1e-3;
  fconv_plan_info info;
  run2d(FCONV_F64, 40, 40, k, k, std::vector<double>(1600, 1.0), hv, FCONV_BOUNDARY_ZERO, 0, 1,
        &info);
  EXPECT_EQ(info.separable, 0);
}

TEST(CpuDirect, IsaVariantsAgree) {
  // Every variant this CPU can run gives the same result; FCONV_ISA only lowers the choice.
  Rng g(11);
  std::vector<double> xv(64 * 1000), hv(5 * 9);
  for (auto& v : xv) v = g.u() - 0.5;
  for (auto& v : hv) v = g.u() - 0.5;
  std::vector<double> base;
  for (const char* isa : {"generic", "avx2", "avx512"}) {
    IsaGuard guard(isa);
    fconv_plan_info info;
    auto y = run2d(FCONV_F32, 64, 1000, 5, 9, xv, hv, FCONV_BOUNDARY_REPLICATE, 0, 2, &info);
    if (std::string(isa) == "generic") {
      EXPECT_STREQ(info.isa, "generic");
    }
    if (base.empty()) {
      base = y;
      continue;
    }
    for (size_t i = 0; i < y.size(); i++) ASSERT_NEAR(y[i], base[i], 1e-5) << isa << " " << i;
  }
}

TEST(CpuDirect, LongKernelsAndManyThreads) {
  // 1-D kernels longer than a piece (grouped partial sums), strided, on 1 and 7 threads.
  Rng g(3);
  for (fconv_dtype dt : {FCONV_F32, FCONV_C128}) {
    for (int threads : {1, 7}) {
      const size_t n = 3000, k = 2600; /* f32: 2 pieces of 2048 taps; c128: 6 of 512 */
      fconv_desc d;
      fconv_desc_init(&d, 1, &n, &k, dt);
      d.mode = FCONV_MODE_FULL;
      d.boundary = FCONV_BOUNDARY_WRAP;
      d.stride[0] = 5;
      d.method = FCONV_METHOD_DIRECT;
      d.backend = FCONV_BACKEND_CPU;
      d.threads = threads;
      fconv_plan* p = nullptr;
      ASSERT_EQ(fconv_plan_create(&p, &d), FCONV_OK);
      size_t osh[3];
      fconv_plan_output_shape(p, osh);
      Arr x(dt, n), h(dt, k), y(dt, osh[0]);
      for (size_t i = 0; i < n; i++) x.set(i, g.u() - 0.5, g.u() - 0.5);
      for (size_t i = 0; i < k; i++) h.set(i, g.u() - 0.5, g.u() - 0.5);
      ASSERT_EQ(fconv_execute(p, x.data(), h.data(), y.data()), FCONV_OK);
      EXPECT_EQ(compare(d, x, h, y, osh), "") << "dtype " << dt << " threads " << threads;
      fconv_plan_destroy(p);
    }
  }
}

}  // namespace
