// Unit tests of the benchmark's pure parts: the case grammar, the matrices, the geometry, the
// scalar oracle (against scipy goldens and against fconv's CPU direct path), the comparison that
// verification relies on (a planted error must be caught), and the statistics.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "bench_core.h"
#include "fconv.h"

namespace {

std::string canonical(const char *s) {
  bench_case c;
  char err[256], buf[256];
  if (bench_parse_case(s, &c, err, sizeof err)) return std::string("ERROR ") + err;
  bench_format_case(&c, buf, sizeof buf);
  return buf;
}

TEST(Grammar, ParsesEveryField) {
  bench_case c;
  char err[256];
  ASSERT_EQ(bench_parse_case("3d:c128:8x9x10:k3x4x5:valid:os:cuda:b4:kb4:s2x1x3:corr:mirror:dev",
                             &c, err, sizeof err),
            0)
      << err;
  EXPECT_EQ(c.rank, 3);
  EXPECT_EQ(c.dtype, FCONV_C128);
  EXPECT_EQ(c.n[0], 8u);
  EXPECT_EQ(c.n[2], 10u);
  EXPECT_EQ(c.k[1], 4u);
  EXPECT_EQ(c.mode, FCONV_MODE_VALID);
  EXPECT_EQ(c.method, FCONV_METHOD_OVERLAP_SAVE);
  EXPECT_EQ(c.backend, FCONV_BACKEND_CUDA);
  EXPECT_EQ(c.batch, 4u);
  EXPECT_EQ(c.kernel_batch, 4u);
  EXPECT_EQ(c.stride[0], 2u);
  EXPECT_EQ(c.stride[1], 1u);
  EXPECT_EQ(c.stride[2], 3u);
  EXPECT_EQ(c.op, FCONV_OP_CORRELATE);
  EXPECT_EQ(c.boundary, FCONV_BOUNDARY_MIRROR);
  EXPECT_EQ(c.device_ptrs, 1);
}

TEST(Grammar, DefaultsPowersAndBroadcast) {
  bench_case c;
  char err[256];
  ASSERT_EQ(bench_parse_case("1d:f32:2^20:k16:same:auto:auto", &c, err, sizeof err), 0) << err;
  EXPECT_EQ(c.n[0], 1048576u);
  EXPECT_EQ(c.n[1], 1u);
  EXPECT_EQ(c.batch, 1u);
  EXPECT_EQ(c.op, FCONV_OP_CONVOLVE);
  EXPECT_EQ(c.boundary, FCONV_BOUNDARY_ZERO);
  EXPECT_EQ(c.device_ptrs, 0);
  ASSERT_EQ(bench_parse_case("3d:f64:128:k5:same:fft:cpu", &c, err, sizeof err), 0) << err;
  for (int a = 0; a < 3; a++) {
    EXPECT_EQ(c.n[a], 128u);
    EXPECT_EQ(c.k[a], 5u);
  }
}

TEST(Grammar, CanonicalRoundTrip) {
  EXPECT_EQ(canonical("2d:f32:2048x2048:k7x7:same:fft:cpu"), "2d:f32:2048x2048:k7x7:same:fft:cpu");
  EXPECT_EQ(canonical("1d:f32:2^20:k16:same:auto:auto"), "1d:f32:1048576:k16:same:auto:auto");
  EXPECT_EQ(canonical("2d:f32:64:k3:full:direct:cpu:conv2").rfind("ERROR", 0), 0u);
}

TEST(Grammar, CanonicalOrderAndDefaults) {
  EXPECT_EQ(canonical("2d:f32:64:k3:full:direct:cpu:wrap:corr:s2:kb3"),
            "2d:f32:64x64:k3x3:full:direct:cpu:kb3:s2:corr:wrap");
  EXPECT_EQ(canonical("2d:f32:64:k3:full:direct:cpu:zero:conv:s1:b1"),
            "2d:f32:64x64:k3x3:full:direct:cpu");
  EXPECT_EQ(canonical("2d:f32:64:k3:full:direct:cpu:s2x1:dev"),
            "2d:f32:64x64:k3x3:full:direct:cpu:s2x1:dev");
  bench_case c;
  char err[256], buf[256];
  ASSERT_EQ(bench_parse_case("2d:f32:64:k3:full:os:cuda:b2:dev", &c, err, sizeof err), 0);
  bench_format_problem(&c, buf, sizeof buf);
  EXPECT_STREQ(buf, "2d:f32:64x64:k3x3:full:b2");
}

TEST(Grammar, RejectsInvalid) {
  const char *bad[] = {
      "",                                          // empty
      "2d:f32:64x64:k3x3:same:fft",                // missing backend
      "4d:f32:8:k3:same:fft:cpu",                  // rank
      "2:f32:8:k3:same:fft:cpu",                   // rank spelling
      "2d:f16:8x8:k3x3:same:fft:cpu",              // dtype
      "2d:f32:8x8x8:k3x3:same:fft:cpu",            // too many extents
      "2d:f32:0x8:k3x3:same:fft:cpu",              // zero extent
      "2d:f32:8x8:3x3:same:fft:cpu",               // kernel without 'k'
      "2d:f32:8x8:k3x:same:fft:cpu",               // empty extent
      "2d:f32:8x8:k3x3:pad:fft:cpu",               // mode
      "2d:f32:8x8:k3x3:same:winograd:cpu",         // method
      "2d:f32:8x8:k3x3:same:fft:tpu",              // backend
      "2d:f32:8x8:k3x3:same:*:cpu",                // '*' only when expanding
      "2d:f32:8x8:k3x3:same:fft:cpu:b0",           // zero batch
      "2d:f32:8x8:k3x3:same:fft:cpu:b2:kb3",       // kernel batch neither 1 nor batch
      "2d:f32:8x8:k3x3:same:fft:cpu:s0",           // stride 0
      "2d:f32:8x8:k3x3:same:fft:cpu:corr:corr",    // repeated option
      "2d:f32:8x8:k3x3:same:fft:cpu:wrap:mirror",  // two boundaries
      "2d:f32:8x8:k3x3:same:fft:cpu:reflect",      // unknown option
      "2d:f32:8x4:k4x8:valid:fft:cpu",             // VALID with crossed shapes
      "1d:f32:2^41:k3:same:fft:cpu",               // extent too large
      "1d:f32:99999999999999999999999:k3:same:fft:cpu",
      "1d:f32:12a:k3:same:fft:cpu",
  };
  for (const char *s : bad) {
    bench_case c;
    char err[256] = "";
    EXPECT_NE(bench_parse_case(s, &c, err, sizeof err), 0) << "accepted: " << s;
    EXPECT_NE(err[0], 0) << "no message for: " << s;
  }
  bench_case c;
  EXPECT_NE(bench_parse_case(nullptr, &c, nullptr, 0), 0);
}

TEST(Grammar, ExpandStars) {
  bench_case *cs = nullptr;
  size_t n = 0, cap = 0;
  char err[256];
  ASSERT_EQ(bench_expand("1d:f32:64:k3:same:*:*", &cs, &n, &cap, err, sizeof err), 0) << err;
  EXPECT_EQ(n, 8u);  // 4 methods x {cpu, cuda}
  std::set<std::pair<int, int>> seen;
  for (size_t i = 0; i < n; i++) seen.insert({cs[i].method, cs[i].backend});
  EXPECT_EQ(seen.size(), 8u);
  ASSERT_EQ(bench_expand("1d:f32:64:k3:same:fft:*", &cs, &n, &cap, err, sizeof err), 0);
  EXPECT_EQ(n, 10u);
  ASSERT_EQ(bench_expand("1d:f32:64:k3:same:direct:cpu", &cs, &n, &cap, err, sizeof err), 0);
  EXPECT_EQ(n, 11u);
  EXPECT_NE(bench_expand("1d:f32:64:k3:same:**:cpu", &cs, &n, &cap, err, sizeof err), 0);
  free(cs);
}

// ---- matrices ----------------------------------------------------------------------------------

std::set<std::string> rows_of(const char *name, int gpu, std::vector<bench_row> *out = nullptr) {
  bench_row *rows = nullptr;
  long n = bench_matrix(name, gpu, &rows);
  std::set<std::string> s;
  for (long i = 0; i < n; i++) {
    char buf[256];
    bench_format_case(&rows[i].c, buf, sizeof buf);
    s.insert(buf);
    if (out) out->push_back(rows[i]);
  }
  free(rows);
  return s;
}

TEST(Matrix, DefaultHoldsTheIssuesTargetCases) {
  auto s = rows_of("default", 0);
  const char *problems[] = {
      "2d:f32:2048x2048:k3x3:same",    "2d:f32:2048x2048:k7x7:same",
      "1d:f32:1048576:k16:same",       "1d:f32:1048576:k1024:same",
      "1d:f32:1048576:k65536:same",    "1d:f32:65536:k65536:full",
      "2d:f32:2048x2048:k15x15:same",  "2d:f32:2048x2048:k31x31:same",
      "2d:f32:1024x1024:k127x127:same", "3d:f32:128x128x128:k5x5x5:same",
  };
  for (const char *p : problems)
    for (const char *m : {"direct", "fft", "os", "auto"}) {
      std::string cas = std::string(p) + ":" + m + ":cpu";
      EXPECT_TRUE(s.count(cas)) << "missing " << cas;
      std::string cu = std::string(p) + ":" + m + ":cuda";
      EXPECT_TRUE(s.count(cu)) << "missing " << cu;
    }
  // GPU cases: CUDA rows always (they report no device), CPU rows only with a GPU.
  for (const char *p : {"2d:f32:4096x4096:k3x3:same", "2d:f32:4096x4096:k7x7:same",
                        "2d:f32:4096x4096:k31x31:same", "2d:f32:4096x4096:k127x127:same",
                        "1d:f32:16777216:k4096:same"}) {
    EXPECT_TRUE(s.count(std::string(p) + ":fft:cuda")) << p;
    EXPECT_FALSE(s.count(std::string(p) + ":fft:cpu")) << p;
  }
  auto g = rows_of("default", 1);
  EXPECT_TRUE(g.count("2d:f32:4096x4096:k7x7:same:fft:cpu"));
  EXPECT_TRUE(g.count("2d:f32:4096x4096:k7x7:same:fft:cuda:dev"));
  EXPECT_TRUE(g.count("2d:f32:4096x4096:k7x7:same:auto:auto"));
  EXPECT_GT(g.size(), s.size());
}

TEST(Matrix, CoversRanksDtypesKernelsBatchesAndSweeps) {
  std::vector<bench_row> rows;
  rows_of("default", 0, &rows);
  std::set<int> ranks;
  std::set<int> dtypes;
  std::set<std::string> groups;
  bool batch = false, bank = false, small_k = false, k_eq_n = false;
  for (auto &r : rows) {
    ranks.insert(r.c.rank);
    dtypes.insert(r.c.dtype);
    groups.insert(r.group);
    batch |= r.c.batch > 1;
    bank |= r.c.kernel_batch > 1 && r.c.batch == 1;
    small_k |= r.c.k[r.c.rank - 1] == 3;
    bool eq = true;
    for (int a = 0; a < r.c.rank; a++) eq &= r.c.k[a] == r.c.n[a];
    k_eq_n |= eq;
  }
  EXPECT_EQ(ranks.size(), 3u);
  EXPECT_TRUE(dtypes.count(FCONV_F32) && dtypes.count(FCONV_F64));
  EXPECT_TRUE(batch && bank && small_k && k_eq_n);
  for (const char *gname : {"target", "gpu", "coverage", "sweep-k1d", "sweep-k2d", "sweep-k3d",
                            "sweep-n-kn", "sweep-n-k16"})
    EXPECT_TRUE(groups.count(gname)) << gname;
  bench_row *r = nullptr;
  EXPECT_EQ(bench_matrix("nonsense", 0, &r), -1);
  EXPECT_GT(rows_of("full", 1).size(), rows_of("default", 1).size());
}

// ---- geometry and boundaries -------------------------------------------------------------------

bench_case parse(const char *s) {
  bench_case c;
  char err[256];
  EXPECT_EQ(bench_parse_case(s, &c, err, sizeof err), 0) << err;
  return c;
}

// The oracle's boundary extension, freed on scope exit.
struct Ext {
  bench_ext e;
  Ext(const bench_case &c, const bench_geom &g) { EXPECT_EQ(bench_ext_init(&e, &c, &g), 0); }
  ~Ext() { bench_ext_free(&e); }
};

TEST(Geometry, OutputExtentsPerMode) {
  bench_geom g;
  bench_case c = parse("1d:f32:10:k4:full:direct:cpu");
  ASSERT_EQ(bench_geom_init(&c, &g), 0);
  EXPECT_EQ(g.out[2], 13u);
  c = parse("1d:f32:10:k4:same:direct:cpu");
  bench_geom_init(&c, &g);
  EXPECT_EQ(g.out[2], 10u);
  EXPECT_EQ(g.p0[2], 2u);
  EXPECT_EQ(g.p1[2], 1u);
  c = parse("1d:f32:10:k4:valid:direct:cpu:s3");
  bench_geom_init(&c, &g);
  EXPECT_EQ(g.out[2], 3u);  // len 7 -> 0, 3, 6
  c = parse("2d:f32:5x6:k9x8:valid:direct:cpu:b2:kb2");
  bench_geom_init(&c, &g);
  EXPECT_EQ(g.swapped, 1);
  EXPECT_EQ(g.out[1], 5u);
  EXPECT_EQ(g.out[2], 3u);
  EXPECT_EQ(g.count, 2u);
  EXPECT_DOUBLE_EQ(g.taps, 30.0);
}

// ---- kernel kinds and call paths ----------------------------------------------------------------

TEST(Grammar, KernelKindsAndCalls) {
  bench_case c = parse("1d:f32:480000:k96000@decay:full:auto:cpu");
  EXPECT_EQ(c.kernel_kind, BENCH_KERNEL_DECAY);
  EXPECT_EQ(c.k[0], 96000u);
  EXPECT_EQ(c.call, BENCH_CALL_NONE);
  EXPECT_EQ(parse("2d:f32:64:k5@disk:same:fft:cpu").kernel_kind, BENCH_KERNEL_DISK);
  EXPECT_EQ(parse("2d:f32:64:k5@gauss:same:fft:cpu").kernel_kind, BENCH_KERNEL_GAUSS);
  EXPECT_EQ(parse("2d:f32:64:k5@box:same:fft:cpu").kernel_kind, BENCH_KERNEL_BOX);
  EXPECT_EQ(parse("2d:f32:64:k5@rand:same:fft:cpu").kernel_kind, BENCH_KERNEL_RAND);
  EXPECT_EQ(parse("2d:f32:64:k5:same:fft:cpu:exec").call, BENCH_CALL_EXEC);
  EXPECT_EQ(parse("2d:f32:64:k5:same:fft:cpu:reuse").call, BENCH_CALL_REUSE);
  EXPECT_EQ(parse("2d:f32:64:k5:same:fft:cpu:oneshot").call, BENCH_CALL_ONESHOT);
  EXPECT_EQ(canonical("1d:f32:480000:k96000@decay:full:auto:cpu"),
            "1d:f32:480000:k96000@decay:full:auto:cpu");
  EXPECT_EQ(canonical("2d:f32:2048:k31@disk:same:os:cpu:reuse"),
            "2d:f32:2048x2048:k31x31@disk:same:os:cpu:reuse");
  EXPECT_EQ(canonical("2d:f32:64:k3@rand:same:fft:cpu:exec"), "2d:f32:64x64:k3x3:same:fft:cpu");
  EXPECT_EQ(canonical("2d:f32:64:k3@gauss:same:fft:cuda:oneshot:dev:wrap"),
            "2d:f32:64x64:k3x3@gauss:same:fft:cuda:wrap:oneshot:dev");
  char buf[256];
  c = parse("2d:f32:2048:k31@disk:same:os:cpu:reuse");
  bench_format_problem(&c, buf, sizeof buf);
  EXPECT_STREQ(buf, "2d:f32:2048x2048:k31x31@disk:same");  // the kind is part of the problem
  for (const char *bad : {"2d:f32:64:k3@noise:same:fft:cpu", "2d:f32:64:k3@:same:fft:cpu",
                          "2d:f32:64:k@decay:same:fft:cpu", "2d:f32:64:k3@decay@disk:same:fft:cpu",
                          "2d:f32:64:k3:same:fft:cpu:reuse:oneshot",
                          "2d:f32:64:k3:same:fft:cpu:exec:exec", "2d:f32:64:k3:same:fft:cpu:once"}) {
    bench_case x;
    char err[256] = "";
    EXPECT_NE(bench_parse_case(bad, &x, err, sizeof err), 0) << "accepted: " << bad;
    EXPECT_NE(err[0], 0) << bad;
  }
}

TEST(Calls, ParseCallList) {
  EXPECT_EQ(bench_parse_calls("all"), BENCH_CALLS_ALL);
  EXPECT_EQ(bench_parse_calls("exec"), BENCH_CALLS_EXEC);
  EXPECT_EQ(bench_parse_calls("reuse,exec"), BENCH_CALLS_EXEC | BENCH_CALLS_REUSE);
  EXPECT_EQ(bench_parse_calls("oneshot"), BENCH_CALLS_ONESHOT);
  EXPECT_EQ(bench_parse_calls("exec,reuse,oneshot"), BENCH_CALLS_ALL);
  for (const char *bad : {"", "none", "exec,", ",exec", "exec,foo", "execute", "re"})
    EXPECT_EQ(bench_parse_calls(bad), 0u) << bad;
  EXPECT_EQ(bench_parse_calls(nullptr), 0u);
}

std::vector<std::string> expanded(const std::vector<const char *> &cases, unsigned calls) {
  bench_case *cs = nullptr;
  size_t n = 0, cap = 0;
  char err[256];
  for (const char *s : cases) EXPECT_EQ(bench_expand(s, &cs, &n, &cap, err, sizeof err), 0) << err;
  bench_row *rows = (bench_row *)calloc(n ? n : 1, sizeof *rows);
  for (size_t i = 0; i < n; i++) rows[i].c = cs[i];
  free(cs);
  long m = bench_expand_calls(&rows, n, calls);
  EXPECT_GE(m, 0);
  std::vector<std::string> out;
  for (long i = 0; i < m; i++) {
    char buf[256];
    bench_format_case(&rows[i].c, buf, sizeof buf);
    out.push_back(std::string(buf) + " " + bench_call_token(rows[i].c.call));
  }
  free(rows);
  return out;
}

TEST(Calls, ExpandOneRowPerPath) {
  const std::vector<const char *> cases = {"1d:f32:64:k3:same:*:cpu",
                                           "1d:f32:64:k3:same:fft:cpu:reuse",
                                           "1d:f32:64:k3:same:auto:cuda:dev"};
  auto all = expanded(cases, BENCH_CALLS_ALL);
  const std::vector<std::string> want = {
      "1d:f32:64:k3:same:direct:cpu exec",        "1d:f32:64:k3:same:direct:cpu:reuse reuse",
      "1d:f32:64:k3:same:fft:cpu exec",           "1d:f32:64:k3:same:fft:cpu:reuse reuse",
      "1d:f32:64:k3:same:os:cpu exec",            "1d:f32:64:k3:same:os:cpu:reuse reuse",
      "1d:f32:64:k3:same:auto:cpu exec",          "1d:f32:64:k3:same:auto:cpu:reuse reuse",
      "1d:f32:64:k3:same:auto:cpu:oneshot oneshot", // one-shot: AUTO rows only
      "1d:f32:64:k3:same:fft:cpu:reuse reuse",      // a given CALL stays as it is
      "1d:f32:64:k3:same:auto:cuda:dev exec",     "1d:f32:64:k3:same:auto:cuda:reuse:dev reuse",
  };  // no one-shot row for device-resident arrays
  EXPECT_EQ(all, want);
  EXPECT_EQ(expanded(cases, BENCH_CALLS_EXEC).size(), 6u);
  auto one = expanded(cases, BENCH_CALLS_ONESHOT);
  ASSERT_EQ(one.size(), 2u);
  EXPECT_EQ(one[0], "1d:f32:64:k3:same:auto:cpu:oneshot oneshot");
}

TEST(Matrix, DefaultHoldsTheKernelContentCases) {
  std::vector<bench_row> rows;
  auto s = rows_of("default", 0, &rows);
  for (const char *p : {"1d:f32:480000:k96000@decay:full", "2d:f32:2048x2048:k31x31@disk:same",
                        "2d:f32:2048x2048:k31x31@gauss:same"})
    for (const char *m : {"direct", "fft", "os", "auto"}) {
      std::string cas = std::string(p) + ":" + m + ":cpu";
      EXPECT_TRUE(s.count(cas)) << "missing " << cas;
    }
  for (auto &r : rows) EXPECT_EQ(r.c.call, BENCH_CALL_NONE);  // paths are added by expansion
}

size_t taps_of(const bench_case &c) {
  size_t t = 1;
  for (int a = 0; a < c.rank; a++) t *= c.k[a];
  return t;
}

TEST(KernelKinds, DecayIsNoiseUnderAMinus60dBEnvelope) {
  bench_case c = parse("1d:f64:10:k1000@decay:full:direct:cpu:kb2");
  std::vector<double> h(2 * 1000), noise(2 * 1000);
  bench_fill_kernel(&c, h.data(), 9);
  bench_fill(noise.data(), noise.size(), 1, 9);
  for (size_t i = 0; i < h.size(); i++) {
    const double env = std::pow(10.0, -3.0 * (double)(i % 1000) / 999.0);
    EXPECT_NEAR(h[i], noise[i] * env, 1e-15) << i;  // the noise of rand times the envelope
  }
  EXPECT_LE(std::fabs(h[999]), 1e-3);
  EXPECT_NE(h[5], h[1005]);  // each kernel of a batch its own noise
  double head = 0, tail = 0;
  for (size_t i = 0; i < 100; i++) {
    head = std::max(head, std::fabs(h[i]));
    tail = std::max(tail, std::fabs(h[900 + i]));
  }
  EXPECT_GT(head, 0.5);
  EXPECT_LT(tail, 2e-3);
}

TEST(KernelKinds, DiskIsOnesInTheInscribedCircle) {
  bench_case c = parse("2d:f32:64:k31x31@disk:same:direct:cpu");
  std::vector<float> h(31 * 31, -7.0f);
  bench_fill_kernel(&c, h.data(), 1);
  size_t ones = 0;
  for (size_t i = 0; i < 31; i++)
    for (size_t j = 0; j < 31; j++) {
      const float v = h[i * 31 + j];
      ASSERT_TRUE(v == 0.0f || v == 1.0f);
      ones += v == 1.0f;
      EXPECT_EQ(v, h[(30 - i) * 31 + j]);  // symmetric under flips and the transpose
      EXPECT_EQ(v, h[j * 31 + i]);
      const double di = (double)i - 15, dj = (double)j - 15;
      EXPECT_EQ(v == 1.0f, di * di + dj * dj <= 15.5 * 15.5) << i << "," << j;
    }
  EXPECT_EQ(h[15 * 31 + 15], 1.0f);
  EXPECT_EQ(h[15 * 31 + 0], 1.0f);  // touches the box's edges
  EXPECT_EQ(h[0], 0.0f);            // not its corners
  EXPECT_NEAR((double)ones, 3.14159 * 15.5 * 15.5, 40.0);
  bench_case one = parse("1d:f32:64:k9@disk:same:direct:cpu");  // 1-D: all ones
  std::vector<float> l(9);
  bench_fill_kernel(&one, l.data(), 1);
  for (float v : l) EXPECT_EQ(v, 1.0f);
}

TEST(KernelKinds, GaussIsNormalisedSeparableAndTailed) {
  bench_case c = parse("2d:f64:64:k31x31@gauss:same:direct:cpu");
  std::vector<double> h(31 * 31);
  bench_fill_kernel(&c, h.data(), 1);
  double sum = 0;
  for (double v : h) sum += v;
  EXPECT_NEAR(sum, 1.0, 1e-12);
  const double centre = h[15 * 31 + 15];
  for (size_t i = 0; i < 31; i++)
    for (size_t j = 0; j < 31; j++) {
      EXPECT_LE(h[i * 31 + j], centre);
      // rank 1: h[i][j] h[c][c] = h[i][c] h[c][j]
      EXPECT_NEAR(h[i * 31 + j] * centre, h[i * 31 + 15] * h[15 * 31 + j], 1e-15 * centre * centre);
    }
  EXPECT_NEAR(h[0] / centre, std::exp(-16.0), 1e-12);  // 4 sigma on both axes
  bench_case z = parse("1d:c64:64:k9@gauss:same:direct:cpu:kb2");
  std::vector<float> zc(2 * 2 * 9);
  bench_fill_kernel(&z, zc.data(), 1);
  for (size_t i = 0; i < 18; i++) {
    EXPECT_EQ(zc[2 * i + 1], 0.0f);                  // real
    EXPECT_EQ(zc[2 * i], zc[2 * ((i + 9) % 18)]);    // the same for every kernel of the batch
  }
}

TEST(KernelKinds, BoxAndRand) {
  bench_case b = parse("2d:f32:64:k3x5@box:same:direct:cpu");
  std::vector<float> h(15);
  bench_fill_kernel(&b, h.data(), 1);
  for (float v : h) EXPECT_FLOAT_EQ(v, 1.0f / 15.0f);
  EXPECT_EQ(taps_of(b), 15u);
  bench_case r = parse("1d:f32:64:k33:same:direct:cpu");
  std::vector<float> a(33), want(33);
  bench_fill_kernel(&r, a.data(), 5);
  bench_fill(want.data(), 33, 0, 5);
  EXPECT_EQ(a, want);
}

// ---- boundary extension: np.pad goldens ---------------------------------------------------------

// np.pad(np.arange(n), (left, right), mode) as index lines (constant: -1 for the zeros). Printed
// by numpy 1.24 except where marked: there numpy 1.24's chunk loop is not periodic for a pad
// longer than the signal on one side only (numpy issues #22464, #24436), and the golden is the
// periodic result of the fixed algorithm ("repeating as often as needed", DESIGN.md rule 3).
struct PadGolden {
  fconv_boundary b;
  size_t n, left, right;
  std::vector<long long> want;
};

const std::vector<PadGolden> &pad_goldens() {
  static const std::vector<PadGolden> g = {
      {FCONV_BOUNDARY_ZERO, 4, 5, 5, {-1, -1, -1, -1, -1, 0, 1, 2, 3, -1, -1, -1, -1, -1}},
      {FCONV_BOUNDARY_ZERO, 4, 0, 7, {0, 1, 2, 3, -1, -1, -1, -1, -1, -1, -1}},
      {FCONV_BOUNDARY_ZERO, 1, 3, 2, {-1, -1, -1, 0, -1, -1}},
      {FCONV_BOUNDARY_WRAP, 4, 5, 5, {3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0}},
      {FCONV_BOUNDARY_WRAP, 4, 0, 7, {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2}},
      {FCONV_BOUNDARY_WRAP, 4, 11, 0, {1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}},
      {FCONV_BOUNDARY_WRAP, 2, 5, 6, {1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}},
      {FCONV_BOUNDARY_WRAP, 1, 3, 2, {0, 0, 0, 0, 0, 0}},
      // fixed algorithm; numpy 1.24: {1, 2, 3, 0, 1, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1}
      {FCONV_BOUNDARY_WRAP, 4, 9, 2, {3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1}},
      // fixed algorithm; numpy 1.24: {2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 2, 3, 0, 1, 2}
      {FCONV_BOUNDARY_WRAP, 4, 2, 9, {2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0}},
      // fixed algorithm; numpy 1.24: {2, 0, 1, 2, 0, 1, 2, 2, 0, 1, 2, 0}
      {FCONV_BOUNDARY_WRAP, 3, 1, 8, {2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1}},
      {FCONV_BOUNDARY_SYMMETRIC, 4, 5, 5, {3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0}},
      {FCONV_BOUNDARY_SYMMETRIC, 4, 9, 2, {0, 0, 1, 2, 3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2}},
      {FCONV_BOUNDARY_SYMMETRIC, 4, 2, 9, {1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0, 1, 2, 3, 3}},
      {FCONV_BOUNDARY_SYMMETRIC, 4, 11, 0, {2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0, 1, 2, 3}},
      {FCONV_BOUNDARY_SYMMETRIC, 3, 1, 8, {0, 0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 1}},
      {FCONV_BOUNDARY_SYMMETRIC, 1, 3, 2, {0, 0, 0, 0, 0, 0}},
      // fixed algorithm; numpy 1.24: {0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0}
      {FCONV_BOUNDARY_SYMMETRIC, 2, 1, 8, {0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1}},
      {FCONV_BOUNDARY_MIRROR, 4, 5, 5, {1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2}},
      {FCONV_BOUNDARY_MIRROR, 4, 9, 2, {3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1}},
      {FCONV_BOUNDARY_MIRROR, 4, 2, 9, {2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0}},
      {FCONV_BOUNDARY_MIRROR, 4, 0, 7, {0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2}},
      {FCONV_BOUNDARY_MIRROR, 2, 5, 6, {1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}},
      {FCONV_BOUNDARY_MIRROR, 1, 3, 2, {0, 0, 0, 0, 0, 0}}, // numpy: one sample reflects as edge
      // fixed algorithm; numpy 1.24: {1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 0}
      {FCONV_BOUNDARY_MIRROR, 3, 1, 8, {1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2}},
      {FCONV_BOUNDARY_REPLICATE, 4, 5, 5, {0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3}},
      {FCONV_BOUNDARY_REPLICATE, 4, 9, 2, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3}},
      {FCONV_BOUNDARY_REPLICATE, 3, 1, 8, {0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2}},
      {FCONV_BOUNDARY_REPLICATE, 1, 3, 2, {0, 0, 0, 0, 0, 0}},
  };
  return g;
}

TEST(Boundary, PadLineMatchesNumpyPadGoldens) {
  for (const PadGolden &c : pad_goldens()) {
    const size_t len = c.n + c.left + c.right;
    ASSERT_EQ(c.want.size(), len);
    std::vector<long long> line(len, 12345);
    bench_pad_index_line(line.data(), c.n, c.left, c.right, c.b);
    EXPECT_EQ(line, c.want) << "boundary " << c.b << " n " << c.n << " pads " << c.left << ","
                            << c.right;
  }
}

// The extension the oracle uses (pad areas stored apart) gives the same lines.
TEST(Boundary, ExtensionMatchesThePadLines) {
  for (const PadGolden &c : pad_goldens()) {
    bench_case bc = parse("1d:f64:4:k3:same:direct:cpu");
    bc.boundary = c.b;
    bench_geom g;
    bench_geom_init(&bc, &g);
    g.n[2] = c.n;
    g.p0[2] = c.left;
    g.p1[2] = c.right;
    bench_ext e;
    ASSERT_EQ(bench_ext_init(&e, &bc, &g), 0);
    for (size_t i = 0; i < c.want.size(); i++)
      EXPECT_EQ(bench_ext_at(&e, 2, i), c.want[i]) << "boundary " << c.b << " i " << i;
    EXPECT_EQ(bench_ext_at(&e, 0, 0), 0); // the leading (trivial) axes
    bench_ext_free(&e);
  }
}

// 2-D: np.pad(np.arange(6).reshape(2, 3), ((3, 1), (2, 4)), mode): the corners come from the
// first axis's padding, exactly as the per-axis gather of the oracle reads them.
TEST(Boundary, TwoDimensionalNumpyPadGoldens) {
  struct {
    fconv_boundary b;
    int want[6][9];
  } cases[] = {
      {FCONV_BOUNDARY_SYMMETRIC, {{4, 3, 3, 4, 5, 5, 4, 3, 3}, {4, 3, 3, 4, 5, 5, 4, 3, 3},
                                  {1, 0, 0, 1, 2, 2, 1, 0, 0}, {1, 0, 0, 1, 2, 2, 1, 0, 0},
                                  {4, 3, 3, 4, 5, 5, 4, 3, 3}, {4, 3, 3, 4, 5, 5, 4, 3, 3}}},
      {FCONV_BOUNDARY_MIRROR, {{5, 4, 3, 4, 5, 4, 3, 4, 5}, {2, 1, 0, 1, 2, 1, 0, 1, 2},
                               {5, 4, 3, 4, 5, 4, 3, 4, 5}, {2, 1, 0, 1, 2, 1, 0, 1, 2},
                               {5, 4, 3, 4, 5, 4, 3, 4, 5}, {2, 1, 0, 1, 2, 1, 0, 1, 2}}},
      {FCONV_BOUNDARY_REPLICATE, {{0, 0, 0, 1, 2, 2, 2, 2, 2}, {0, 0, 0, 1, 2, 2, 2, 2, 2},
                                  {0, 0, 0, 1, 2, 2, 2, 2, 2}, {0, 0, 0, 1, 2, 2, 2, 2, 2},
                                  {3, 3, 3, 4, 5, 5, 5, 5, 5}, {3, 3, 3, 4, 5, 5, 5, 5, 5}}},
      // fixed algorithm (numpy 1.24 is not periodic here: its first rows read 1 2 0 1 2 0 1 2 1)
      {FCONV_BOUNDARY_WRAP, {{4, 5, 3, 4, 5, 3, 4, 5, 3}, {1, 2, 0, 1, 2, 0, 1, 2, 0},
                             {4, 5, 3, 4, 5, 3, 4, 5, 3}, {1, 2, 0, 1, 2, 0, 1, 2, 0},
                             {4, 5, 3, 4, 5, 3, 4, 5, 3}, {1, 2, 0, 1, 2, 0, 1, 2, 0}}},
      {FCONV_BOUNDARY_ZERO, {{-1, -1, -1, -1, -1, -1, -1, -1, -1},
                             {-1, -1, -1, -1, -1, -1, -1, -1, -1},
                             {-1, -1, -1, -1, -1, -1, -1, -1, -1},
                             {-1, -1, 0, 1, 2, -1, -1, -1, -1},
                             {-1, -1, 3, 4, 5, -1, -1, -1, -1},
                             {-1, -1, -1, -1, -1, -1, -1, -1, -1}}},
  };
  for (auto &c : cases) {
    bench_case bc = parse("2d:f64:2x3:k3x3:same:direct:cpu");
    bc.boundary = c.b;
    bench_geom g;
    bench_geom_init(&bc, &g);
    g.p0[1] = 3;
    g.p1[1] = 1;
    g.p0[2] = 2;
    g.p1[2] = 4;
    bench_ext e;
    ASSERT_EQ(bench_ext_init(&e, &bc, &g), 0);
    for (size_t i = 0; i < 6; i++)
      for (size_t j = 0; j < 9; j++) {
        const long long r = bench_ext_at(&e, 1, i), s = bench_ext_at(&e, 2, j);
        const long long got = (r < 0 || s < 0) ? -1 : r * 3 + s;
        EXPECT_EQ(got, c.want[i][j]) << "boundary " << c.b << " at " << i << "," << j;
      }
    bench_ext_free(&e);
  }
}

// Padding far longer than the signal, every mode: the lines stay the periodic extension
// (period n, 2n, 2n - 2) or the edge value, on both sides, for many pad pairs.
TEST(Boundary, LongPadsArePeriodic) {
  const fconv_boundary modes[] = {FCONV_BOUNDARY_WRAP, FCONV_BOUNDARY_SYMMETRIC,
                                  FCONV_BOUNDARY_MIRROR, FCONV_BOUNDARY_REPLICATE};
  for (fconv_boundary b : modes)
    for (size_t n = 1; n <= 6; n++)
      for (size_t left = 0; left <= 23; left += 1)
        for (size_t right = 0; right <= 23; right += 3) {
          std::vector<long long> line(n + left + right);
          bench_pad_index_line(line.data(), n, left, right, b);
          const long long P = b == FCONV_BOUNDARY_WRAP        ? (long long)n
                              : b == FCONV_BOUNDARY_SYMMETRIC ? 2 * (long long)n
                              : n > 1                         ? 2 * (long long)n - 2
                                                              : 1;
          for (size_t i = 0; i < line.size(); i++) {
            const long long pos = (long long)i - (long long)left;
            ASSERT_TRUE(line[i] >= 0 && line[i] < (long long)n);
            if (b == FCONV_BOUNDARY_REPLICATE) {
              ASSERT_EQ(line[i], pos < 0 ? 0 : pos >= (long long)n ? (long long)n - 1 : pos);
              continue;
            }
            // periodic: position pos and pos + P read the same sample (when both exist)
            if (i + (size_t)P < line.size()) {
              ASSERT_EQ(line[i], line[i + (size_t)P])
                  << "mode " << b << " n " << n << " pads " << left << "," << right << " i " << i;
            }
          }
        }
}

// ---- the oracle ----------------------------------------------------------------------------------

TEST(Oracle, ScipyGoldens) {
  const float x[6] = {3, 4, 5, 6, 5, 4}, h[3] = {1, 2, 3};
  // scipy.signal.convolve(x, h) and scipy.signal.correlate(x, h, 'same')
  const double full[8] = {3, 10, 22, 28, 32, 32, 23, 12};
  const double corr_same[6] = {18, 26, 32, 32, 28, 13};
  auto check = [&](const char *s, const double *want, size_t n) {
    bench_case c = parse(s);
    bench_geom g;
    bench_geom_init(&c, &g);
    ASSERT_EQ(g.out_elems, n) << s;
    Ext e(c, g);
    for (size_t i = 0; i < n; i++) {
      size_t t[3] = {0, 0, i};
      double v[2];
      bench_oracle(&c, &g, &e.e, x, h, 0, t, v);
      EXPECT_DOUBLE_EQ(v[0], want[i]) << s << " " << i;
      EXPECT_DOUBLE_EQ(v[1], 0.0);
    }
  };
  check("1d:f32:6:k3:full:direct:cpu", full, 8);
  check("1d:f32:6:k3:same:direct:cpu:corr", corr_same, 6);
}

// The oracle and fconv's CPU direct path must agree on every combination of the semantics.
TEST(Oracle, AgreesWithFconvDirect) {
  const char *cases[] = {
      "1d:f32:37:k5:same:direct:cpu",          "1d:f64:37:k6:full:direct:cpu:corr",
      "1d:c64:20:k45:valid:direct:cpu:corr",   "1d:c128:20:k7:same:direct:cpu:wrap:corr",
      "2d:f32:9x11:k4x3:same:direct:cpu:symmetric:b2:kb2",
      "2d:f64:9x11:k3x5:full:direct:cpu:mirror:s2x3",
      "2d:f32:6x7:k8x9:valid:direct:cpu:corr:b3",
      "3d:f32:5x6x7:k2x3x4:same:direct:cpu:replicate:kb3",
      "3d:c64:5x6x7:k3x3x3:full:direct:cpu:corr:s2",
  };
  for (const char *s : cases) {
    bench_case c = parse(s);
    bench_geom g;
    bench_geom_init(&c, &g);
    const size_t es = c.dtype == FCONV_F32 ? 4 : c.dtype == FCONV_C128 ? 16 : 8;
    const int dbl = c.dtype == FCONV_F64 || c.dtype == FCONV_C128;
    const size_t sc = (c.dtype == FCONV_C64 || c.dtype == FCONV_C128) ? 2 : 1;
    std::vector<char> x(c.batch * g.sig_elems * es), h(c.kernel_batch * g.ker_elems * es),
        y(g.count * g.out_elems * es);
    bench_fill(x.data(), c.batch * g.sig_elems * sc, dbl, 1);
    bench_fill(h.data(), c.kernel_batch * g.ker_elems * sc, dbl, 2);
    fconv_desc d;
    fconv_desc_init(&d, c.rank, c.n, c.k, c.dtype);
    d.mode = c.mode;
    d.op = c.op;
    d.boundary = c.boundary;
    d.batch = c.batch;
    d.kernel_batch = c.kernel_batch;
    for (int a = 0; a < c.rank; a++) d.stride[a] = c.stride[a];
    d.method = FCONV_METHOD_DIRECT;
    d.backend = FCONV_BACKEND_CPU;
    ASSERT_EQ(fconv_convolve(&d, x.data(), h.data(), y.data()), FCONV_OK) << s;
    bench_cmp m;
    bench_cmp_init(&m);
    Ext e(c, g);
    for (size_t item = 0; item < g.count; item++)
      for (size_t t0 = 0; t0 < g.out[0]; t0++)
        for (size_t t1 = 0; t1 < g.out[1]; t1++)
          for (size_t t2 = 0; t2 < g.out[2]; t2++) {
            size_t t[3] = {t0, t1, t2};
            double v[2];
            bench_oracle(&c, &g, &e.e, x.data(), h.data(), item, t, v);
            size_t off = item * g.out_elems + (t0 * g.out[1] + t1) * g.out[2] + t2;
            bench_cmp_add_point(&m, c.dtype, y.data() + off * es, v);
          }
    EXPECT_EQ(m.compared, g.count * g.out_elems) << s;
    EXPECT_LE(bench_cmp_rel(&m), bench_tolerance(c.dtype, &g)) << s;
  }
}

// The sampled verification's window + VALID direct reproduces a tile of the full output.
TEST(Oracle, WindowReproducesTile) {
  bench_case c = parse("2d:f64:12x10:k3x4:same:direct:cpu:mirror:s2x1:corr");
  bench_geom g;
  bench_geom_init(&c, &g);
  std::vector<double> x(g.sig_elems), h(g.ker_elems), y(g.out_elems);
  bench_fill(x.data(), x.size(), 1, 3);
  bench_fill(h.data(), h.size(), 1, 4);
  const size_t t0[3] = {0, 2, 5}, T[3] = {1, 3, 4};
  size_t wext[3];
  std::vector<double> win(((T[1] - 1) * g.s[1] + g.k[1]) * ((T[2] - 1) * g.s[2] + g.k[2]));
  Ext e(c, g);
  bench_extract_window(&c, &g, &e.e, x.data(), 0, t0, T, win.data(), wext);
  EXPECT_EQ(wext[1] * wext[2], win.size());
  fconv_desc d;
  size_t ws[2] = {wext[1], wext[2]};
  fconv_desc_init(&d, 2, ws, c.k, FCONV_F64);
  d.mode = FCONV_MODE_VALID;
  d.op = c.op;
  d.stride[0] = 2;
  std::vector<double> tile(T[1] * T[2]);
  ASSERT_EQ(fconv_convolve(&d, win.data(), h.data(), tile.data()), FCONV_OK);
  for (size_t i = 0; i < T[1]; i++)
    for (size_t j = 0; j < T[2]; j++) {
      size_t t[3] = {0, t0[1] + i, t0[2] + j};
      double v[2];
      bench_oracle(&c, &g, &e.e, x.data(), h.data(), 0, t, v);
      EXPECT_NEAR(tile[i * T[2] + j], v[0], 1e-12) << i << "," << j;
    }
}

// ---- comparison: what verification relies on --------------------------------------------------

TEST(Compare, CatchesAPlantedError) {
  std::vector<float> ref(1000), y;
  bench_fill(ref.data(), ref.size(), 0, 7);
  y = ref;
  bench_case c = parse("1d:f32:1000:k31:same:fft:cpu");
  bench_geom g;
  bench_geom_init(&c, &g);
  const double tol = bench_tolerance(FCONV_F32, &g);
  bench_cmp m;
  bench_cmp_init(&m);
  bench_cmp_add(&m, FCONV_F32, y.data(), ref.data(), y.size());
  EXPECT_EQ(bench_cmp_rel(&m), 0.0);
  EXPECT_EQ(m.compared, 1000u);
  // rounding-sized differences pass
  for (auto &v : y) v = std::nextafter(v, 2.0f);
  bench_cmp_init(&m);
  bench_cmp_add(&m, FCONV_F32, y.data(), ref.data(), y.size());
  EXPECT_LE(bench_cmp_rel(&m), tol);
  // one wrong element fails, and is located
  y = ref;
  y[617] += 0.01f;
  bench_cmp_init(&m);
  bench_cmp_add(&m, FCONV_F32, y.data(), ref.data(), y.size());
  EXPECT_GT(bench_cmp_rel(&m), tol);
  EXPECT_EQ(m.worst_index, 617u);
  // NaN anywhere fails
  y = ref;
  y[3] = NAN;
  bench_cmp_init(&m);
  bench_cmp_add(&m, FCONV_F32, y.data(), ref.data(), y.size());
  EXPECT_FALSE(bench_cmp_rel(&m) <= tol);
  y[3] = INFINITY;
  bench_cmp_init(&m);
  bench_cmp_add(&m, FCONV_F32, y.data(), ref.data(), y.size());
  EXPECT_FALSE(bench_cmp_rel(&m) <= tol);
}

TEST(Compare, ComplexUsesTheModulusAndPointsWork) {
  std::complex<double> ref[2] = {{3, 4}, {0, 1}}, y[2] = {{3, 4}, {0, 1.5}};
  bench_cmp m;
  bench_cmp_init(&m);
  bench_cmp_add(&m, FCONV_C128, y, ref, 2);
  EXPECT_DOUBLE_EQ(m.max_ref, 5.0);
  EXPECT_DOUBLE_EQ(m.max_err, 0.5);
  EXPECT_DOUBLE_EQ(bench_cmp_rel(&m), 0.1);
  const double r[2] = {1.0, 0.0};
  float one = 1.0f;
  bench_cmp_init(&m);
  bench_cmp_add_point(&m, FCONV_F32, &one, r);
  EXPECT_EQ(bench_cmp_rel(&m), 0.0);
}

TEST(Compare, ToleranceByDtypeAndSize) {
  bench_case a = parse("1d:f32:4096:k16:same:fft:cpu"), b = parse("1d:f64:4096:k16:same:fft:cpu"),
             c = parse("1d:f32:4096:k4096:same:fft:cpu");
  bench_geom ga, gb, gc;
  bench_geom_init(&a, &ga);
  bench_geom_init(&b, &gb);
  bench_geom_init(&c, &gc);
  EXPECT_LT(bench_tolerance(FCONV_F64, &gb), 1e-12);
  EXPECT_GT(bench_tolerance(FCONV_F32, &ga), 1e6 * bench_tolerance(FCONV_F64, &gb));
  EXPECT_GT(bench_tolerance(FCONV_F32, &gc), bench_tolerance(FCONV_F32, &ga));
  EXPECT_LT(bench_tolerance(FCONV_F32, &gc), 1e-3);  // still catches real errors
}

// ---- statistics -----------------------------------------------------------------------------------

TEST(Stats, MedianQuartilesMinMax) {
  double t[] = {5, 1, 4, 2, 3};
  bench_stats st;
  bench_stats_of(t, 5, &st);
  EXPECT_EQ(st.n, 5u);
  EXPECT_DOUBLE_EQ(st.median, 3);
  EXPECT_DOUBLE_EQ(st.q1, 2);
  EXPECT_DOUBLE_EQ(st.q3, 4);
  EXPECT_DOUBLE_EQ(st.min, 1);
  EXPECT_DOUBLE_EQ(st.max, 5);
  double u[] = {4, 1, 3, 2};
  bench_stats_of(u, 4, &st);
  EXPECT_DOUBLE_EQ(st.median, 2.5);
  EXPECT_DOUBLE_EQ(st.q1, 1.75);
  bench_stats_of(u, 0, &st);
  EXPECT_TRUE(std::isnan(st.median));
}

TEST(Fill, DeterministicInRange) {
  std::vector<float> a(1000), b(1000);
  bench_fill(a.data(), a.size(), 0, 42);
  bench_fill(b.data(), b.size(), 0, 42);
  EXPECT_EQ(a, b);
  bench_fill(b.data(), b.size(), 0, 43);
  EXPECT_NE(a, b);
  for (float v : a) {
    EXPECT_GE(v, -1.0f);
    EXPECT_LT(v, 1.0f);
  }
}

}  // namespace
