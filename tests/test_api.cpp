// test_api.cpp — the rest of the public surface: status strings, enum names, version,
// fconv_desc_init defaults, fconv_plan_output_shape, fconv_plan_get_info, workspace size.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <thread>

#include "c_probes.h"
#include "test_common.h"

namespace {

std::string lower(std::string s) {
  for (char &c : s) c = (char)std::tolower((unsigned char)c);
  return s;
}

TEST(StatusString, EveryStatusHasADistinctMeaningfulMessage) {
  // Each status and a word its message must contain.
  const std::pair<fconv_status, const char *> all[] = {
      {FCONV_OK, "success"},
      {FCONV_ERR_INVALID_ARGUMENT, "invalid"},
      {FCONV_ERR_UNSUPPORTED, "unsupported"},
      {FCONV_ERR_OUT_OF_MEMORY, "memory"},
      {FCONV_ERR_NO_DEVICE, "device"},
      {FCONV_ERR_CUDA, "cuda"},
      {FCONV_ERR_FFT, "fft"},
      {FCONV_ERR_INTERNAL, "internal"},
  };
  std::set<std::string> seen;
  int expected_value = 0;
  for (const auto &e : all) {
    EXPECT_EQ((int)e.first, expected_value++) << "status values are pinned";
    const char *s = fconv_status_string(e.first);
    ASSERT_NE(s, nullptr);
    EXPECT_GE(std::strlen(s), 7u) << "message for " << e.first << " is too short to explain";
    EXPECT_NE(lower(s).find(e.second), std::string::npos)
        << "message for status " << e.first << " (\"" << s << "\") should mention " << e.second;
    EXPECT_TRUE(seen.insert(s).second) << "duplicate message \"" << s << "\"";
  }
  EXPECT_EQ(seen.size(), 8u);
}

TEST(StatusString, UnknownValuesGetAGenericNonNullMessage) {
  std::set<std::string> known;
  for (int v = 0; v <= 7; v++) known.insert(ft_status_string(v));
  for (int v : {8, 9, 100, -1, -100, 1 << 30}) {
    const char *s = ft_status_string(v);
    ASSERT_NE(s, nullptr) << v;
    EXPECT_GT(std::strlen(s), 0u) << v;
    EXPECT_EQ(known.count(s), 0u) << "unknown value " << v << " got a known status's message";
  }
}

TEST(Names, KnownValuesHaveDistinctNames) {
  EXPECT_STREQ(fconv_method_name(FCONV_METHOD_FFT), "fft"); // the header's examples
  EXPECT_STREQ(fconv_backend_name(FCONV_BACKEND_CPU), "cpu");
  EXPECT_STREQ(fconv_dtype_name(FCONV_F32), "f32");
  std::set<std::string> m, b, t;
  for (int v = 0; v <= 3; v++) m.insert(ft_method_name(v));
  for (int v = 0; v <= 2; v++) b.insert(ft_backend_name(v));
  for (int v = 0; v <= 3; v++) t.insert(ft_dtype_name(v));
  EXPECT_EQ(m.size(), 4u);
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(t.size(), 4u);
  for (const auto *set : {&m, &b, &t})
    for (const std::string &s : *set) {
      EXPECT_FALSE(s.empty());
      EXPECT_NE(s, "?");
    }
  EXPECT_STREQ(fconv_dtype_name(FCONV_F64), "f64");
  EXPECT_STREQ(fconv_dtype_name(FCONV_C64), "c64");
  EXPECT_STREQ(fconv_dtype_name(FCONV_C128), "c128");
  EXPECT_STREQ(fconv_backend_name(FCONV_BACKEND_CUDA), "cuda");
  EXPECT_STREQ(fconv_method_name(FCONV_METHOD_DIRECT), "direct");
}

TEST(Names, OutOfRangeValuesGiveQuestionMark) {
  for (int v : {4, -1, 1000}) {
    ASSERT_NE(ft_method_name(v), nullptr);
    EXPECT_STREQ(ft_method_name(v), "?") << v;
    EXPECT_STREQ(ft_dtype_name(v), "?") << v;
  }
  for (int v : {3, -1, 1000}) EXPECT_STREQ(ft_backend_name(v), "?") << v;
}

TEST(Version, NumberAndStringMatchTheHeader) {
  EXPECT_EQ(fconv_version_number(), (unsigned)FCONV_VERSION_NUMBER);
  EXPECT_EQ((unsigned)FCONV_VERSION_NUMBER,
            (unsigned)(FCONV_VERSION_MAJOR * 10000 + FCONV_VERSION_MINOR * 100 +
                       FCONV_VERSION_PATCH));
  const char *s = fconv_version_string();
  ASSERT_NE(s, nullptr);
  const std::string want = std::to_string(FCONV_VERSION_MAJOR) + "." +
                           std::to_string(FCONV_VERSION_MINOR) + "." +
                           std::to_string(FCONV_VERSION_PATCH);
  EXPECT_EQ(std::string(s).substr(0, want.size()), want) << s;
  // fconv.h documents exactly these two forms.
  EXPECT_TRUE(std::string(s) == want + " (cpu only)" || std::string(s) == want + " (cuda backend built)")
      << s;
}

TEST(Cuda, DeviceCountIsNeverNegative) { EXPECT_GE(fconv_cuda_device_count(), 0); }

TEST(DescInit, FillsEveryDefault) {
  const size_t n[2] = {5, 6}, k[2] = {2, 3};
  fconv_desc d;
  std::memset(&d, 0xAB, sizeof d); // garbage everywhere first
  fconv_desc_init(&d, 2, n, k, FCONV_C64);
  EXPECT_EQ(d.rank, 2);
  EXPECT_EQ(d.signal_shape[0], 5u);
  EXPECT_EQ(d.signal_shape[1], 6u);
  EXPECT_EQ(d.signal_shape[2], 1u);
  EXPECT_EQ(d.kernel_shape[0], 2u);
  EXPECT_EQ(d.kernel_shape[1], 3u);
  EXPECT_EQ(d.kernel_shape[2], 1u);
  EXPECT_EQ(d.batch, 1u);
  EXPECT_EQ(d.kernel_batch, 1u);
  EXPECT_EQ(d.dtype, FCONV_C64);
  EXPECT_EQ(d.mode, FCONV_MODE_FULL);
  EXPECT_EQ(d.op, FCONV_OP_CONVOLVE);
  EXPECT_EQ(d.boundary, FCONV_BOUNDARY_ZERO);
  for (int a = 0; a < FCONV_MAX_RANK; a++) {
    EXPECT_EQ(d.stride[a], 1u);
    EXPECT_EQ(d.pad_before[a], 0u);
    EXPECT_EQ(d.pad_after[a], 0u);
  }
  EXPECT_EQ(d.method, FCONV_METHOD_AUTO);
  EXPECT_EQ(d.backend, FCONV_BACKEND_AUTO);
  EXPECT_EQ(d.threads, 0);
  EXPECT_EQ(d.flags, 0u);
}

// Output shapes computed by hand from DESIGN.md rules 2, 4, 5, 6 (not by the reference).
TEST(OutputShape, MatchesTheRulesByHand) {
  struct Row {
    int rank;
    size_t n[3], k[3];
    fconv_mode mode;
    size_t pb[3], pa[3], stride[3], want[3];
  } rows[] = {
      {1, {10}, {3}, FCONV_MODE_FULL, {}, {}, {1}, {12, 1, 1}},
      {1, {10}, {3}, FCONV_MODE_SAME, {}, {}, {1}, {10, 1, 1}},
      {1, {10}, {4}, FCONV_MODE_SAME, {}, {}, {1}, {10, 1, 1}},
      {1, {3}, {8}, FCONV_MODE_SAME, {}, {}, {1}, {3, 1, 1}},
      {1, {10}, {3}, FCONV_MODE_VALID, {}, {}, {1}, {8, 1, 1}},
      {1, {3}, {10}, FCONV_MODE_VALID, {}, {}, {1}, {8, 1, 1}},
      {1, {10}, {3}, FCONV_MODE_PAD, {2}, {5}, {1}, {15, 1, 1}},
      {1, {10}, {3}, FCONV_MODE_FULL, {}, {}, {3}, {4, 1, 1}},
      {1, {10}, {3}, FCONV_MODE_FULL, {}, {}, {4}, {3, 1, 1}},
      {1, {7}, {3}, FCONV_MODE_SAME, {}, {}, {100}, {1, 1, 1}},
      {2, {6, 9}, {2, 4}, FCONV_MODE_FULL, {}, {}, {1, 2}, {7, 6, 1}},
      {2, {6, 9}, {7, 10}, FCONV_MODE_VALID, {}, {}, {1, 1}, {2, 2, 1}},
      {2, {6, 9}, {6, 9}, FCONV_MODE_VALID, {}, {}, {1, 1}, {1, 1, 1}},
      {3, {4, 5, 6}, {3, 3, 3}, FCONV_MODE_SAME, {}, {}, {2, 2, 2}, {2, 3, 3}},
      {3, {4, 5, 6}, {1, 2, 3}, FCONV_MODE_PAD, {0, 1, 2}, {3, 0, 9}, {1, 1, 5}, {7, 5, 3}},
  };
  for (const Row &w : rows) {
    fconv_desc d = ft::make_desc(w.rank, w.n, w.k, FCONV_F32);
    d.mode = w.mode;
    for (int a = 0; a < w.rank; a++) {
      d.pad_before[a] = w.pb[a];
      d.pad_after[a] = w.pa[a];
      d.stride[a] = w.stride[a];
    }
    SCOPED_TRACE(ft::describe(d));
    fconv_plan *p = nullptr;
    ASSERT_EQ(fconv_plan_create(&p, &d), FCONV_OK);
    size_t s[FCONV_MAX_RANK] = {99, 99, 99};
    ASSERT_EQ(fconv_plan_output_shape(p, s), FCONV_OK);
    for (int a = 0; a < FCONV_MAX_RANK; a++) EXPECT_EQ(s[a], w.want[a]) << "axis " << a;
    fconv_plan_destroy(p);
  }
}

class PlanInfo : public ::testing::TestWithParam<ft::MethodBackend> {};

TEST_P(PlanInfo, DescribesTheChoiceAndTheShape) {
  const ft::MethodBackend mb = GetParam();
  FT_SKIP_IF_UNAVAILABLE(mb, FCONV_F32, 2);
  std::mt19937_64 g = ft::rng();
  for (int rep = 0; rep < 12; rep++) {
    const int rank = (int)ft::uniform(g, 1, 3);
    const size_t n[3] = {ft::uniform(g, 4, 12), ft::uniform(g, 4, 12), ft::uniform(g, 4, 12)};
    const size_t k[3] = {ft::uniform(g, 1, 4), ft::uniform(g, 1, 4), ft::uniform(g, 1, 4)};
    fconv_desc d = ft::make_desc(rank, n, k, ft::kAllDtypes[rep % 4]);
    d.method = mb.method;
    d.backend = mb.backend;
    d.mode = (fconv_mode)(rep % 4);
    d.kernel_batch = rep % 3 == 0 ? 3 : 1;
    d.threads = rep % 3;
    if (rep == 5) { // a swapped VALID plan
      d.mode = FCONV_MODE_VALID;
      for (int a = 0; a < rank; a++) std::swap(d.signal_shape[a], d.kernel_shape[a]);
    }
    SCOPED_TRACE(ft::describe(d));
    fconv_plan *p = nullptr;
    ASSERT_EQ(fconv_plan_create(&p, &d), FCONV_OK);
    fconv_plan_info info;
    std::memset(&info, 0xCD, sizeof info);
    ASSERT_EQ(fconv_plan_get_info(p, &info), FCONV_OK);
    size_t shape[FCONV_MAX_RANK];
    ASSERT_EQ(fconv_plan_output_shape(p, shape), FCONV_OK);
    EXPECT_TRUE(info.backend == FCONV_BACKEND_CPU || info.backend == FCONV_BACKEND_CUDA);
    ASSERT_TRUE(info.method == FCONV_METHOD_DIRECT || info.method == FCONV_METHOD_FFT ||
                info.method == FCONV_METHOD_OVERLAP_SAVE);
    if (mb.method != FCONV_METHOD_AUTO) {
      EXPECT_EQ(info.method, mb.method);
    }
    if (mb.backend != FCONV_BACKEND_AUTO) {
      EXPECT_EQ(info.backend, mb.backend);
    }
    EXPECT_EQ(info.rank, rank);
    for (int a = 0; a < FCONV_MAX_RANK; a++) EXPECT_EQ(info.output_shape[a], shape[a]);
    for (int a = rank; a < FCONV_MAX_RANK; a++) EXPECT_EQ(shape[a], 1u) << "past rank";
    EXPECT_EQ(info.output_count, std::max(d.batch, d.kernel_batch));
    bool want_swap = false; // rule 6: VALID with a kernel larger on some axis
    for (int a = 0; a < rank; a++)
      want_swap = want_swap ||
                  (d.mode == FCONV_MODE_VALID && d.kernel_shape[a] > d.signal_shape[a]);
    EXPECT_EQ(info.swapped, want_swap ? 1 : 0);
    EXPECT_EQ(info.measured, 0) << "no FCONV_FLAG_MEASURE";
    if (info.backend == FCONV_BACKEND_CPU) {
      EXPECT_GE(info.threads, 1) << "a CPU plan runs on at least one thread";
    }
    if (d.threads > 0 && info.backend == FCONV_BACKEND_CPU) {
      EXPECT_LE(info.threads, d.threads);
    }
    EXPECT_GE(info.estimated_seconds, 0.0);
    EXPECT_GE(info.candidate_seconds[info.method], 0.0) << "the chosen method is a candidate";
    EXPECT_NE(std::memchr(info.reason, 0, sizeof info.reason), nullptr) << "reason unterminated";
    EXPECT_GT(std::strlen(info.reason), 0u) << "no reason given";
    EXPECT_NE(std::memchr(info.isa, 0, sizeof info.isa), nullptr) << "isa unterminated";
    for (int a = 0; a < rank; a++) {
      if (info.method == FCONV_METHOD_DIRECT) {
        EXPECT_EQ(info.transform_shape[a], 0u) << "direct has no transform";
      } else {
        EXPECT_GT(info.transform_shape[a], 0u) << "transform extents of a transform method";
      }
      if (info.method == FCONV_METHOD_OVERLAP_SAVE) {
        EXPECT_GT(info.block_shape[a], 0u) << "overlap-save block extents";
      }
    }
    size_t ws = 12345;
    EXPECT_EQ(fconv_plan_workspace_size(p, &ws), FCONV_OK);
    fconv_plan_destroy(p);
  }
}

TEST(PlanInfo, SwappedValidIsReported) {
  const size_t n[2] = {3, 4}, k[2] = {9, 8};
  fconv_desc d = ft::make_desc(2, n, k, FCONV_F64);
  d.mode = FCONV_MODE_VALID;
  fconv_plan *p = nullptr;
  ASSERT_EQ(fconv_plan_create(&p, &d), FCONV_OK);
  fconv_plan_info info;
  ASSERT_EQ(fconv_plan_get_info(p, &info), FCONV_OK);
  EXPECT_EQ(info.swapped, 1);
  EXPECT_EQ(info.output_shape[0], 7u);
  EXPECT_EQ(info.output_shape[1], 5u);
  fconv_plan_destroy(p);
  d.mode = FCONV_MODE_FULL; // not VALID: never swapped
  ASSERT_EQ(fconv_plan_create(&p, &d), FCONV_OK);
  ASSERT_EQ(fconv_plan_get_info(p, &info), FCONV_OK);
  EXPECT_EQ(info.swapped, 0);
  fconv_plan_destroy(p);
}

TEST(PlanInfo, MeasureFlagIsHonouredAndStillCorrect) {
  const size_t n[2] = {24, 24}, k[2] = {5, 5};
  fconv_desc d = ft::make_desc(2, n, k, FCONV_F32);
  d.flags = FCONV_FLAG_MEASURE;
  d.backend = FCONV_BACKEND_CPU;
  std::mt19937_64 g = ft::rng();
  ft::Array x(FCONV_F32, 576), h(FCONV_F32, 25);
  x.fill_random(g);
  h.fill_random(g);
  const reference::Result ref = ft::reference_of(d, x, h);
  ft::Array y(FCONV_F32, ref.y.size());
  fconv_plan *p = nullptr;
  ASSERT_EQ(fconv_plan_create(&p, &d), FCONV_OK);
  fconv_plan_info info;
  ASSERT_EQ(fconv_plan_get_info(p, &info), FCONV_OK);
  int candidates = 0;
  for (int m = 1; m < 4; m++) candidates += info.candidate_seconds[m] >= 0.0;
  // measured is 1 exactly when there was more than one candidate to time.
  EXPECT_EQ(info.measured, candidates > 1 ? 1 : 0) << "candidates " << candidates;
  ASSERT_EQ(fconv_execute(p, x.data(), h.data(), y.data()), FCONV_OK);
  EXPECT_TRUE(ft::matches_reference(y, ref));
  fconv_plan_destroy(p);
}

INSTANTIATE_TEST_SUITE_P(Api, PlanInfo, ::testing::ValuesIn(ft::all_method_backends()),
                         [](const ::testing::TestParamInfo<ft::MethodBackend> &i) {
                           return ft::name_of(i.param);
                         });

} // namespace

// fconv_last_error is per thread: a failure on another thread does not replace this thread's.
TEST(LastError, IsThreadLocal) {
  fconv_desc d;
  const size_t n = 8, k = 3;
  fconv_desc_init(&d, 1, &n, &k, FCONV_F32);
  d.rank = 9;
  fconv_plan *p = nullptr;
  ASSERT_EQ(fconv_plan_create(&p, &d), FCONV_ERR_INVALID_ARGUMENT);
  const std::string mine = fconv_last_error();
  EXPECT_EQ(mine.rfind("fconv_plan_create: desc->rank = 9", 0), 0u) << mine;
  std::string theirs;
  std::thread([&] {
    EXPECT_STREQ(fconv_last_error(), "") << "a new thread starts with no failure";
    fconv_desc e = d;
    e.rank = 1;
    e.threads = -3;
    fconv_plan *q = nullptr;
    EXPECT_EQ(fconv_plan_create(&q, &e), FCONV_ERR_INVALID_ARGUMENT);
    theirs = fconv_last_error();
  }).join();
  EXPECT_EQ(theirs.rfind("fconv_plan_create: desc->threads = -3", 0), 0u) << theirs;
  EXPECT_EQ(fconv_last_error(), mine);
}

// A stride longer than the window keeps y[0] only, like a stride equal to it, on every method
// (found by the fuzzer: a stride near 2^63 overflowed the direct path's phase arithmetic).
TEST(Stride, BeyondTheWindowKeepsTheFirstOutput) {
  const size_t n = 8, k = 3;
  const double x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, h[3] = {1, -2, 4};
  for (fconv_method m : {FCONV_METHOD_DIRECT, FCONV_METHOD_FFT, FCONV_METHOD_OVERLAP_SAVE}) {
    for (size_t s : {size_t(10), size_t(PTRDIFF_MAX), size_t(SIZE_MAX)}) {
      SCOPED_TRACE(std::string(fconv_method_name(m)) + " stride " + std::to_string(s));
      fconv_desc d;
      fconv_desc_init(&d, 1, &n, &k, FCONV_F64);
      d.method = m;
      d.backend = FCONV_BACKEND_CPU;
      d.boundary = FCONV_BOUNDARY_WRAP;
      d.stride[0] = s;
      double y[2] = {0, -7};
      ASSERT_EQ(fconv_convolve(&d, x, h, y), FCONV_OK) << fconv_last_error();
      EXPECT_NEAR(y[0], 4 * 7 - 2 * 8 + 1 * 1, 1e-12); // xe[0..2] = x7, x8, x1 (wrap)
      EXPECT_EQ(y[1], -7) << "one output only";
    }
  }
}
