// test_reference.cpp — self-tests of the oracle, so that a wrong reference cannot hide a wrong
// library: its np.pad port against closed-form periodic index maps (a second, independent
// derivation), its convolution against the textbook sum over the unpadded signal, and its
// output shapes against hand-computed ones. (test_golden.cpp anchors it to SciPy/NumPy.)
#include <gtest/gtest.h>

#include "test_common.h"

namespace {

using ft::cld;

// Closed form of "repeat as often as needed": the source index of extended position i
// (relative to the first sample) for a signal of n samples, or -1 for a zero.
long closed_form(long i, long n, fconv_boundary b) {
  auto mod = [](long a, long m) { return ((a % m) + m) % m; };
  if (i >= 0 && i < n) return i;
  switch (b) {
  case FCONV_BOUNDARY_ZERO: return -1;
  case FCONV_BOUNDARY_WRAP: return mod(i, n);
  case FCONV_BOUNDARY_SYMMETRIC: { long r = mod(i, 2 * n); return r < n ? r : 2 * n - 1 - r; }
  case FCONV_BOUNDARY_MIRROR: {
    if (n == 1) return 0;
    long r = mod(i, 2 * n - 2);
    return r < n ? r : 2 * n - 2 - r;
  }
  case FCONV_BOUNDARY_REPLICATE: return i < 0 ? 0 : n - 1;
  }
  return -2;
}

TEST(Reference, PadLineIsPeriodicForEveryPadLength) {
  for (int b = FCONV_BOUNDARY_ZERO; b <= FCONV_BOUNDARY_REPLICATE; b++)
    for (size_t n = 1; n <= 7; n++)
      for (size_t left = 0; left <= 23; left++)
        for (size_t right = 0; right <= 23; right++) {
          std::vector<cld> line(left + n + right, cld(-99));
          for (size_t i = 0; i < n; i++) line[left + i] = cld((long double)(i + 1), 0);
          reference::pad_line(line, left, right, (fconv_boundary)b);
          for (size_t e = 0; e < line.size(); e++) {
            const long src = closed_form((long)e - (long)left, (long)n, (fconv_boundary)b);
            const cld want = src < 0 ? cld(0) : cld((long double)(src + 1), 0);
            ASSERT_EQ(line[e], want) << ft::boundary_name((fconv_boundary)b) << " n " << n
                                     << " pads " << left << "/" << right << " at " << e;
          }
        }
}

TEST(Reference, ExtendPadsEveryAxisWithCorners) {
  // 2x3 signal, pads longer than the signal on both axes: every position is the product of
  // the per-axis closed forms (np.pad pads axis by axis, so corners follow both maps).
  const size_t n[2] = {2, 3}, p0[2] = {5, 1}, p1[2] = {2, 7};
  std::vector<cld> x(6);
  for (size_t i = 0; i < 6; i++) x[i] = cld((long double)(i + 1), 0);
  for (int b = FCONV_BOUNDARY_ZERO; b <= FCONV_BOUNDARY_REPLICATE; b++) {
    size_t ext[2];
    const std::vector<cld> xe = reference::extend(x, 2, n, p0, p1, (fconv_boundary)b, ext);
    ASSERT_EQ(ext[0], 9u);
    ASSERT_EQ(ext[1], 11u);
    for (size_t r = 0; r < ext[0]; r++)
      for (size_t c = 0; c < ext[1]; c++) {
        const long sr = closed_form((long)r - 5, 2, (fconv_boundary)b);
        const long sc = closed_form((long)c - 1, 3, (fconv_boundary)b);
        const cld want = (sr < 0 || sc < 0) ? cld(0) : x[(size_t)sr * 3 + (size_t)sc];
        EXPECT_EQ(xe[r * ext[1] + c], want) << ft::boundary_name((fconv_boundary)b) << " at " << r
                                            << "," << c;
      }
  }
}

// The textbook definitions over the unpadded signal with zeros outside:
//   convolve: y[n] = sum_i x[i] h[n - i]        (full: n = 0 .. N+K-2)
//   correlate: y[n] = sum_i x[i + n - (K-1)] conj(h[i])
TEST(Reference, FullZeroMatchesTextbookSums) {
  std::mt19937_64 g = ft::rng();
  std::uniform_real_distribution<double> u(-1, 1);
  for (int rep = 0; rep < 50; rep++) {
    const size_t N = ft::uniform(g, 1, 12), K = ft::uniform(g, 1, 12);
    std::vector<cld> x(N), h(K);
    for (auto &v : x) v = cld(u(g), u(g));
    for (auto &v : h) v = cld(u(g), u(g));
    for (int op = 0; op < 2; op++) {
      fconv_desc d = ft::make_desc(1, &N, &K, FCONV_C128);
      d.op = (fconv_op)op;
      reference::Result r;
      ASSERT_TRUE(reference::convolve(d, x, h, &r, nullptr));
      ASSERT_EQ(r.y.size(), N + K - 1);
      for (size_t n = 0; n < N + K - 1; n++) {
        cld want = 0;
        for (size_t i = 0; i < N; i++) {
          if (op == FCONV_OP_CONVOLVE) {
            if (n >= i && n - i < K) want += x[i] * h[n - i];
          } else {
            // correlate: y[n] = sum_j x[n - (K-1) + j] conj(h[j])
            for (size_t j = 0; j < K; j++)
              if (i + K - 1 == n + j) want += x[i] * std::conj(h[j]);
          }
        }
        EXPECT_LT(std::abs(r.y[n] - want), 1e-15L) << "op " << op << " N " << N << " K " << K
                                                   << " n " << n;
      }
    }
  }
}

// reference::magnitudes (the per-output sum of |xe||g| that the direct tests' bounds use) against
// its closed form for a complex SAME correlate with WRAP boundary: l1[n] = sum_j
// |x[(n + j - K/2) mod N]| |h[j]|; and it must bound |y[n]| of the same problem.
TEST(Reference, MagnitudesAreTheL1SumsOfTheWindow) {
  const size_t N = 5, K = 3;
  fconv_desc d = ft::make_desc(1, &N, &K, FCONV_C128);
  d.mode = FCONV_MODE_SAME;
  d.op = FCONV_OP_CORRELATE;
  d.boundary = FCONV_BOUNDARY_WRAP;
  const std::vector<cld> x = {cld(1, -2), cld(-3, 0.5L), cld(0, 4), cld(2.5L, 1), cld(-1, -1)};
  const std::vector<cld> h = {cld(0.5L, 1), cld(-2, 0), cld(1, -3)};
  std::vector<long double> l1;
  std::string why;
  ASSERT_TRUE(reference::magnitudes(d, x, h, &l1, &why)) << why;
  reference::Result r;
  ASSERT_TRUE(reference::convolve(d, x, h, &r, &why)) << why;
  ASSERT_EQ(l1.size(), N);
  ASSERT_EQ(r.y.size(), N);
  for (size_t n = 0; n < N; n++) {
    long double want = 0;
    for (size_t j = 0; j < K; j++)
      want += std::abs(x[(n + j + N - K / 2) % N]) * std::abs(h[j]);
    EXPECT_NEAR((double)l1[n], (double)want, 1e-12) << "n=" << n;
    EXPECT_LE((double)std::abs(r.y[n]), (double)l1[n] * (1 + 1e-12)) << "n=" << n;
  }
}

TEST(Reference, OutputShapesByHand) {
  struct Row {
    fconv_mode mode;
    size_t n, k, pb, pa, stride, want;
  } rows[] = {
      {FCONV_MODE_FULL, 10, 3, 0, 0, 1, 12},  {FCONV_MODE_SAME, 10, 3, 0, 0, 1, 10},
      {FCONV_MODE_SAME, 10, 4, 0, 0, 1, 10},  {FCONV_MODE_SAME, 3, 8, 0, 0, 1, 3},
      {FCONV_MODE_VALID, 10, 3, 0, 0, 1, 8},  {FCONV_MODE_VALID, 3, 10, 0, 0, 1, 8},
      {FCONV_MODE_PAD, 10, 3, 2, 5, 1, 15},   {FCONV_MODE_PAD, 2, 3, 0, 1, 1, 1},
      {FCONV_MODE_FULL, 10, 3, 0, 0, 3, 4},   {FCONV_MODE_FULL, 10, 3, 0, 0, 4, 3},
      {FCONV_MODE_SAME, 7, 3, 0, 0, 7, 1},    {FCONV_MODE_SAME, 7, 3, 0, 0, 100, 1},
  };
  for (const Row &w : rows) {
    fconv_desc d = ft::make_desc(1, &w.n, &w.k, FCONV_F64);
    d.mode = w.mode;
    d.pad_before[0] = w.pb;
    d.pad_after[0] = w.pa;
    d.stride[0] = w.stride;
    reference::Result r;
    ASSERT_TRUE(reference::convolve(d, std::vector<cld>(w.n, 1), std::vector<cld>(w.k, 1), &r,
                                    nullptr));
    EXPECT_EQ(r.shape[0], w.want) << ft::describe(d);
  }
}

TEST(Reference, RefusesInvalidProblems) {
  const size_t n[2] = {4, 6}, k[2] = {5, 3};
  fconv_desc d = ft::make_desc(2, n, k, FCONV_F64);
  d.mode = FCONV_MODE_VALID;
  reference::Result r;
  EXPECT_FALSE(reference::convolve(d, std::vector<cld>(24, 1), std::vector<cld>(15, 1), &r,
                                   nullptr)); // crossed VALID
  const size_t n1 = 3, k1 = 7;
  fconv_desc e = ft::make_desc(1, &n1, &k1, FCONV_F64);
  e.mode = FCONV_MODE_PAD;
  e.pad_before[0] = e.pad_after[0] = 1;
  EXPECT_FALSE(reference::convolve(e, std::vector<cld>(3, 1), std::vector<cld>(7, 1), &r,
                                   nullptr)); // window 5 < kernel 7
}

} // namespace
