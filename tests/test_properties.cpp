// test_properties.cpp — algebraic properties that hold for every method and backend, checked
// on the library's outputs against each other (the reference only supplies the error bound):
// linearity, impulse response, shift-equivariance (WRAP), commutativity (FULL),
// correlate = convolve with flip(conj(h)), set_kernel + execute(NULL) = execute(kernel), plan
// reuse = fresh plans, filter bank / batches = separate runs, threads=1 = threads=N.
#include <gtest/gtest.h>

#include "test_common.h"

namespace {

using ft::Array;
using ft::cld;
using ft::MethodBackend;

class Properties : public ::testing::TestWithParam<MethodBackend> {
protected:
  void SetUp() override { FT_SKIP_IF_UNAVAILABLE(GetParam(), FCONV_F64, 2); }

  fconv_desc desc(int rank, const size_t *n, const size_t *k, fconv_dtype t) const {
    fconv_desc d = ft::make_desc(rank, n, k, t);
    d.method = GetParam().method;
    d.backend = GetParam().backend;
    return d;
  }
};

size_t out_elems(const fconv_desc &d) {
  const reference::Result r = ft::reference_of(d, Array(d.dtype, ft::signal_elems(d)),
                                               Array(d.dtype, ft::kernel_elems(d)));
  return r.y.size();
}

// Plan, execute with the kernel, destroy; y gets the output (EXPECTs on every status).
Array run(const fconv_desc &d, const Array &x, const Array &h) {
  Array y(d.dtype, out_elems(d));
  y.fill_pattern(0xFF);
  const fconv_status st = fconv_convolve(&d, x.data(), h.data(), y.data());
  EXPECT_EQ(st, FCONV_OK) << fconv_status_string(st) << " for " << ft::describe(d);
  return y;
}

// The larger of two problems' bounds: a Result carrying max scale for comparisons of outputs
// that come from different inputs (each output errs by at most its own bound).
reference::Result bound_of(const fconv_desc &d, std::initializer_list<const Array *> xs,
                           std::initializer_list<const Array *> hs, long double weight = 1) {
  reference::Result best;
  long double total = 0;
  for (const Array *x : xs)
    for (const Array *h : hs) {
      reference::Result r = ft::reference_of(d, *x, *h);
      if (best.y.empty()) best = r;
      for (size_t i = 0; i < r.scale.size(); i++) total = std::max(total, r.scale[i]);
    }
  for (auto &s : best.scale) s = total * weight;
  return best;
}

cld random_scalar(std::mt19937_64 &g, fconv_dtype t) {
  std::uniform_real_distribution<double> u(-2, 2);
  return cld(u(g), ft::is_complex(t) ? u(g) : 0.0);
}

void random_problem(std::mt19937_64 &g, fconv_desc &d) {
  d.mode = (fconv_mode)ft::uniform(g, 0, 3);
  d.op = (fconv_op)ft::uniform(g, 0, 1);
  d.boundary = (fconv_boundary)ft::uniform(g, 0, 4);
  for (int a = 0; a < d.rank; a++) {
    if (d.mode == FCONV_MODE_VALID) // keep VALID legal: kernel inside the signal
      d.kernel_shape[a] = std::min(d.kernel_shape[a], d.signal_shape[a]);
    d.pad_before[a] = ft::uniform(g, 0, 2 * d.signal_shape[a]);
    d.pad_after[a] = ft::uniform(g, 0, 2 * d.signal_shape[a]) + d.kernel_shape[a];
  }
}

// Random extents: every axis of n in [nlo, nhi], of k in [klo, khi].
void random_extents(std::mt19937_64 &g, size_t n[3], size_t nlo, size_t nhi, size_t k[3],
                    size_t klo, size_t khi) {
  for (int a = 0; a < 3; a++) {
    n[a] = ft::uniform(g, nlo, nhi);
    k[a] = ft::uniform(g, klo, khi);
  }
}

// A random signal and kernel array for d.
struct Operands {
  Array x, h;
};
Operands random_operands(const fconv_desc &d, std::mt19937_64 &g) {
  Operands o{Array(d.dtype, ft::signal_elems(d)), Array(d.dtype, ft::kernel_elems(d))};
  o.x.fill_random(g);
  o.h.fill_random(g);
  return o;
}

TEST_P(Properties, Linearity) {
  std::mt19937_64 g = ft::rng();
  for (fconv_dtype t : ft::kAllDtypes)
    for (int rep = 0; rep < 6; rep++) {
      const int rank = (int)ft::uniform(g, 1, 3);
      size_t n[3], k[3];
      random_extents(g, n, 4, 9, k, 1, 4);
      fconv_desc d = desc(rank, n, k, t);
      random_problem(g, d);
      SCOPED_TRACE(ft::describe(d));
      const size_t ns = ft::signal_elems(d), ks = ft::kernel_elems(d);
      Array x1(t, ns), x2(t, ns), x3(t, ns), h1(t, ks), h2(t, ks), h3(t, ks);
      x1.fill_random(g);
      x2.fill_random(g);
      h1.fill_random(g);
      h2.fill_random(g);
      const cld a = random_scalar(g, t), b = random_scalar(g, t);
      for (size_t i = 0; i < ns; i++) x3.set(i, a * x1.get(i) + b * x2.get(i));
      for (size_t i = 0; i < ks; i++) h3.set(i, a * h1.get(i) + b * h2.get(i));
      // In the signal: y(a x1 + b x2, h1) = a y(x1, h1) + b y(x2, h1).
      const Array y1 = run(d, x1, h1), y2 = run(d, x2, h1), y3 = run(d, x3, h1);
      Array comb(t, y1.size());
      for (size_t i = 0; i < y1.size(); i++) comb.set(i, a * y1.get(i) + b * y2.get(i));
      const long double w = 1 + std::abs(a) + std::abs(b);
      EXPECT_TRUE(ft::outputs_agree(y3, comb, bound_of(d, {&x1, &x2, &x3}, {&h1}, w)));
      // In the kernel: y(x1, a h1 + b h2) = a y(x1, h1) + b y(x1, h2) for CONVOLVE; correlate
      // conjugates the kernel, so there it is conj(a) y(x1, h1) + conj(b) y(x1, h2).
      const Array z2 = run(d, x1, h2), z3 = run(d, x1, h3);
      const bool cj = d.op == FCONV_OP_CORRELATE;
      const cld ka = cj ? std::conj(a) : a, kb = cj ? std::conj(b) : b;
      for (size_t i = 0; i < y1.size(); i++) comb.set(i, ka * y1.get(i) + kb * z2.get(i));
      EXPECT_TRUE(ft::outputs_agree(z3, comb, bound_of(d, {&x1}, {&h1, &h2, &h3}, w)));
    }
}

TEST_P(Properties, ImpulseResponseIsTheKernel) {
  std::mt19937_64 g = ft::rng();
  for (fconv_dtype t : ft::kAllDtypes)
    for (int rank = 1; rank <= 3; rank++)
      for (int op = 0; op < 2; op++) {
        size_t n[3], k[3];
        random_extents(g, n, 1, 6, k, 1, 5);
        fconv_desc d = desc(rank, n, k, t); // FULL, ZERO
        d.op = (fconv_op)op;
        SCOPED_TRACE(ft::describe(d));
        size_t p[3] = {0, 0, 0}, N[3] = {1, 1, 1}, K[3] = {1, 1, 1};
        for (int a = 0; a < rank; a++) {
          N[3 - rank + a] = n[a];
          K[3 - rank + a] = k[a];
          p[3 - rank + a] = ft::uniform(g, 0, n[a] - 1);
        }
        Array x(t, ft::signal_elems(d)), h(t, ft::kernel_elems(d));
        x.set((p[0] * N[1] + p[1]) * N[2] + p[2], 1); // the impulse at p
        h.fill_random(g);
        const Array y = run(d, x, h);
        // y[p + m] = h[m] (convolve) or conj(h[K-1-m]) (correlate); zero elsewhere.
        reference::Result want = ft::reference_of(d, x, h);
        const size_t O[3] = {N[0] + K[0] - 1, N[1] + K[1] - 1, N[2] + K[2] - 1};
        std::fill(want.y.begin(), want.y.end(), cld(0));
        for (size_t m0 = 0; m0 < K[0]; m0++)
          for (size_t m1 = 0; m1 < K[1]; m1++)
            for (size_t m2 = 0; m2 < K[2]; m2++) {
              const cld v =
                  op == FCONV_OP_CONVOLVE
                      ? h.get((m0 * K[1] + m1) * K[2] + m2)
                      : std::conj(h.get(((K[0] - 1 - m0) * K[1] + (K[1] - 1 - m1)) * K[2] +
                                        (K[2] - 1 - m2)));
              want.y[((p[0] + m0) * O[1] + p[1] + m1) * O[2] + p[2] + m2] = v;
            }
        EXPECT_TRUE(ft::matches_reference(y, want));
      }
}

TEST_P(Properties, ShiftEquivarianceWithWrap) {
  // With WRAP and an output as long as the signal (SAME, or PAD with P0 + P1 = K - 1), a
  // circular shift of the signal circularly shifts the output by the same amount.
  std::mt19937_64 g = ft::rng();
  for (fconv_dtype t : ft::kAllDtypes)
    for (int rep = 0; rep < 6; rep++) {
      const int rank = (int)ft::uniform(g, 1, 3);
      size_t n[3], k[3];
      random_extents(g, n, 1, 7, k, 1, 5);
      fconv_desc d = desc(rank, n, k, t);
      d.boundary = FCONV_BOUNDARY_WRAP;
      d.op = (fconv_op)ft::uniform(g, 0, 1);
      d.mode = ft::coin(g) ? FCONV_MODE_SAME : FCONV_MODE_PAD;
      for (int a = 0; a < rank; a++) {
        d.pad_before[a] = ft::uniform(g, 0, k[a] - 1);
        d.pad_after[a] = k[a] - 1 - d.pad_before[a];
      }
      SCOPED_TRACE(ft::describe(d));
      size_t N[3] = {1, 1, 1}, s[3] = {0, 0, 0};
      for (int a = 0; a < rank; a++) {
        N[3 - rank + a] = n[a];
        s[3 - rank + a] = ft::uniform(g, 0, n[a] - 1);
      }
      auto shifted = [&](const Array &v) { // v rolled by s (np.roll)
        Array r(t, v.size());
        for (size_t i0 = 0; i0 < N[0]; i0++)
          for (size_t i1 = 0; i1 < N[1]; i1++)
            for (size_t i2 = 0; i2 < N[2]; i2++)
              r.set((((i0 + s[0]) % N[0]) * N[1] + (i1 + s[1]) % N[1]) * N[2] + (i2 + s[2]) % N[2],
                    v.get((i0 * N[1] + i1) * N[2] + i2));
        return r;
      };
      Operands o = random_operands(d, g);
      Array &x = o.x, &h = o.h;
      const Array xs = shifted(x);
      const Array y = run(d, x, h), ys = run(d, xs, h);
      ASSERT_EQ(y.size(), x.size()) << "output not as long as the signal";
      EXPECT_TRUE(ft::outputs_agree(ys, shifted(y), ft::reference_of(d, x, h)));
    }
}

TEST_P(Properties, FullConvolutionCommutes) {
  std::mt19937_64 g = ft::rng();
  for (fconv_dtype t : ft::kAllDtypes)
    for (int rank = 1; rank <= 3; rank++) {
      size_t n[3], k[3];
      random_extents(g, n, 1, 6, k, 1, 6);
      const fconv_desc d = desc(rank, n, k, t), e = desc(rank, k, n, t);
      SCOPED_TRACE(ft::describe(d));
      Operands o = random_operands(d, g);
      Array &x = o.x, &h = o.h;
      EXPECT_TRUE(ft::outputs_agree(run(d, x, h), run(e, h, x), ft::reference_of(d, x, h)));
    }
}

TEST_P(Properties, CorrelateIsConvolveWithFlippedConjugate) {
  std::mt19937_64 g = ft::rng();
  for (fconv_dtype t : ft::kAllDtypes)
    for (int rep = 0; rep < 8; rep++) {
      const int rank = (int)ft::uniform(g, 1, 3);
      size_t n[3], k[3];
      random_extents(g, n, 1, 6, k, 1, 6);
      fconv_desc d = desc(rank, n, k, t);
      random_problem(g, d);
      if (d.mode == FCONV_MODE_VALID) { // keep VALID legal: K <= N or K >= N on every axis
        const bool big = ft::coin(g);
        for (int a = 0; a < rank; a++)
          d.kernel_shape[a] = big ? std::max(k[a], n[a]) + (a == 0) : std::min(k[a], n[a]);
      }
      d.op = FCONV_OP_CORRELATE;
      fconv_desc c = d;
      c.op = FCONV_OP_CONVOLVE;
      SCOPED_TRACE(ft::describe(d));
      Array x(t, ft::signal_elems(d)), h(t, ft::kernel_elems(d)), hf(t, ft::kernel_elems(d));
      x.fill_random(g);
      h.fill_random(g);
      size_t K[3] = {1, 1, 1};
      for (int a = 0; a < rank; a++) K[3 - rank + a] = d.kernel_shape[a];
      for (size_t i0 = 0; i0 < K[0]; i0++)
        for (size_t i1 = 0; i1 < K[1]; i1++)
          for (size_t i2 = 0; i2 < K[2]; i2++)
            hf.set((i0 * K[1] + i1) * K[2] + i2,
                   std::conj(h.get(((K[0] - 1 - i0) * K[1] + K[1] - 1 - i1) * K[2] + K[2] - 1 -
                                   i2)));
      EXPECT_TRUE(ft::outputs_agree(run(d, x, h), run(c, x, hf), ft::reference_of(d, x, h)));
    }
}

TEST_P(Properties, SetKernelThenExecuteNullEqualsExecuteWithKernel) {
  std::mt19937_64 g = ft::rng();
  for (fconv_dtype t : ft::kAllDtypes)
    for (int rep = 0; rep < 6; rep++) {
      const int rank = (int)ft::uniform(g, 1, 3);
      size_t n[3], k[3];
      random_extents(g, n, 3, 7, k, 1, 3);
      fconv_desc d = desc(rank, n, k, t);
      random_problem(g, d);
      if (ft::coin(g)) d.kernel_batch = 3;
      SCOPED_TRACE(ft::describe(d));
      Operands o = random_operands(d, g);
      Array &x = o.x, &h = o.h;
      const reference::Result ref = ft::reference_of(d, x, h);
      Array y1(t, ref.y.size()), y2(t, ref.y.size());
      fconv_plan *p = nullptr;
      ASSERT_EQ(fconv_plan_create(&p, &d), FCONV_OK);
      EXPECT_EQ(fconv_execute(p, x.data(), h.data(), y1.data()), FCONV_OK);
      EXPECT_EQ(fconv_plan_set_kernel(p, h.data()), FCONV_OK);
      h.fill_random(g); // the plan holds its own copy: changing ours must not matter
      EXPECT_EQ(fconv_execute(p, x.data(), nullptr, y2.data()), FCONV_OK);
      fconv_plan_destroy(p);
      EXPECT_TRUE(ft::outputs_agree(y2, y1, ref));
      EXPECT_TRUE(ft::matches_reference(y2, ref));
    }
}

TEST_P(Properties, PlanReuseEqualsFreshPlans) {
  std::mt19937_64 g = ft::rng();
  for (fconv_dtype t : ft::kAllDtypes) {
    const size_t n[2] = {7, 9}, k[2] = {3, 4};
    fconv_desc d = desc(2, n, k, t);
    random_problem(g, d);
    SCOPED_TRACE(ft::describe(d));
    Array h(t, ft::kernel_elems(d));
    h.fill_random(g);
    fconv_plan *p = nullptr;
    ASSERT_EQ(fconv_plan_create(&p, &d), FCONV_OK);
    ASSERT_EQ(fconv_plan_set_kernel(p, h.data()), FCONV_OK);
    for (int i = 0; i < 12; i++) {
      Array x(t, ft::signal_elems(d));
      x.fill_random(g);
      const reference::Result ref = ft::reference_of(d, x, h);
      Array y(t, ref.y.size());
      y.fill_pattern((unsigned char)(i * 37)); // stale content from "earlier" runs
      EXPECT_EQ(fconv_execute(p, x.data(), i % 2 ? nullptr : h.data(), y.data()), FCONV_OK);
      EXPECT_TRUE(ft::outputs_agree(y, run(d, x, h), ref)) << "signal " << i;
      EXPECT_TRUE(ft::matches_reference(y, ref)) << "signal " << i;
    }
    fconv_plan_destroy(p);
  }
}

TEST_P(Properties, BatchesEqualSeparateRuns) {
  std::mt19937_64 g = ft::rng();
  for (fconv_dtype t : ft::kAllDtypes)
    for (int kind = 0; kind < 3; kind++) { // filter bank, shared kernel, paired
      const int rank = (int)ft::uniform(g, 1, 3);
      size_t n[3], k[3];
      random_extents(g, n, 2, 6, k, 1, 3);
      fconv_desc one = desc(rank, n, k, t);
      random_problem(g, one);
      fconv_desc d = one;
      const size_t B = ft::uniform(g, 2, 5);
      if (kind == 0) d.kernel_batch = B;
      if (kind == 1) d.batch = B;
      if (kind == 2) d.batch = d.kernel_batch = B;
      SCOPED_TRACE(ft::describe(d));
      Operands o = random_operands(d, g);
      Array &x = o.x, &h = o.h;
      const reference::Result ref = ft::reference_of(d, x, h);
      ASSERT_EQ(ref.count, B);
      const Array y = run(d, x, h);
      const size_t ns = ft::signal_elems(one), ks = ft::kernel_elems(one);
      for (size_t i = 0; i < B; i++) {
        Array xi(t, ns), hi(t, ks);
        for (size_t j = 0; j < ns; j++) xi.set(j, x.get((d.batch == 1 ? 0 : i) * ns + j));
        for (size_t j = 0; j < ks; j++) hi.set(j, h.get((d.kernel_batch == 1 ? 0 : i) * ks + j));
        const Array yi = run(one, xi, hi);
        Array part(t, yi.size());
        for (size_t j = 0; j < yi.size(); j++) part.set(j, y.get(i * yi.size() + j));
        EXPECT_TRUE(ft::outputs_agree(part, yi, ft::reference_of(one, xi, hi))) << "item " << i;
      }
    }
}

TEST_P(Properties, ThreadCountDoesNotChangeTheResult) {
  std::mt19937_64 g = ft::rng();
  for (fconv_dtype t : ft::kAllDtypes) {
    const size_t n[2] = {37, 45}, k[2] = {5, 4};
    fconv_desc d = desc(2, n, k, t);
    random_problem(g, d);
    d.batch = 2;
    d.threads = 1;
    SCOPED_TRACE(ft::describe(d));
    Operands o = random_operands(d, g);
    Array &x = o.x, &h = o.h;
    const reference::Result ref = ft::reference_of(d, x, h);
    const Array y1 = run(d, x, h);
    EXPECT_TRUE(ft::matches_reference(y1, ref));
    for (int threads : {0, 2, 3, 8}) {
      fconv_desc e = d;
      e.threads = threads;
      EXPECT_TRUE(ft::outputs_agree(run(e, x, h), y1, ref)) << "threads " << threads;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Api, Properties, ::testing::ValuesIn(ft::all_method_backends()),
                         [](const ::testing::TestParamInfo<MethodBackend> &i) {
                           return ft::name_of(i.param);
                         });

} // namespace
