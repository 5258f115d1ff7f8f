// test_planning.cpp — bounded planning (fconv.h, "how AUTO chooses"): without
// FCONV_FLAG_MEASURE, fconv_plan_create never loops over the signal and allocates no
// signal-sized buffer, so it returns promptly even for 2^40 samples. The guard below is
// generous (it proves the call returns, not how fast: no timing assertion on speed).
#include <chrono>
#include <cmath>
#include <future>
#include <memory>
#include <thread>

#include "test_common.h"

namespace {

struct Outcome {
  fconv_status st = FCONV_ERR_INTERNAL;
  fconv_plan_info info{};
};

// Create (and destroy) a plan for d on a helper thread; false when it did not return within
// the guard (the helper is then left behind: the test has failed anyway).
bool plan_within(const fconv_desc &d, Outcome *out, double guard_s = 120.0) {
  auto prom = std::make_shared<std::promise<Outcome>>();
  std::future<Outcome> fut = prom->get_future();
  std::thread([d, prom] {
    Outcome o;
    fconv_plan *pl = nullptr;
    o.st = fconv_plan_create(&pl, &d);
    if (o.st == FCONV_OK) fconv_plan_get_info(pl, &o.info);
    fconv_plan_destroy(pl);
    prom->set_value(o);
  }).detach();
  if (fut.wait_for(std::chrono::duration<double>(guard_s)) != std::future_status::ready)
    return false;
  *out = fut.get();
  return true;
}

bool smooth7(size_t m) {
  for (size_t p : {2, 3, 5, 7})
    while (m % p == 0) m /= p;
  return m == 1;
}

} // namespace

TEST(BoundedPlanning, HugeProblemsPlanInBoundedTime) {
  const size_t n1[1] = {size_t(1) << 40}, k1[1] = {3};
  const size_t n2[2] = {size_t(1) << 20, size_t(1) << 20}, k2[2] = {3, 3};
  const size_t n3[3] = {size_t(1) << 14, size_t(1) << 14, size_t(1) << 14}, k3[3] = {3, 3, 3};
  const fconv_desc shapes[3] = {ft::make_desc(1, n1, k1, FCONV_F32),
                                ft::make_desc(2, n2, k2, FCONV_F32),
                                ft::make_desc(3, n3, k3, FCONV_F64)};
  for (fconv_desc d : shapes) {
    d.backend = FCONV_BACKEND_CPU;
    d.threads = 2;
    for (fconv_method m : {FCONV_METHOD_AUTO, FCONV_METHOD_DIRECT, FCONV_METHOD_FFT,
                           FCONV_METHOD_OVERLAP_SAVE}) {
      d.method = m;
      SCOPED_TRACE(ft::describe(d));
      Outcome o;
      ASSERT_TRUE(plan_within(d, &o)) << "fconv_plan_create did not return within the guard";
      // FFT of 2^40 points exceeds FFTW's int interface: UNSUPPORTED is the honest answer.
      EXPECT_TRUE(o.st == FCONV_OK || o.st == FCONV_ERR_UNSUPPORTED)
          << fconv_status_string(o.st);
      if (o.st != FCONV_OK) continue;
      // the plan holds scratch, never a signal-sized buffer (the signal is >= 4 TiB here)
      EXPECT_LT(o.info.workspace_bytes, size_t(1) << 30) << o.info.reason;
      if (m == FCONV_METHOD_AUTO) {
        EXPECT_EQ(o.info.method, FCONV_METHOD_DIRECT) << "3 taps: direct is the fast method; "
                                                      << o.info.reason;
      }
    }
  }
}

// Transform lengths are 7-smooth, at least what the problem needs, and not far beyond it, also
// for awkward (prime) sizes and sizes past 2^22 (direct enumeration of 2^a 3^b 5^c 7^d).
TEST(BoundedPlanning, TransformLengthsSmoothAndTight) {
  for (size_t n : {size_t(1009), size_t(65537), size_t(999983), (size_t(1) << 22) + 1}) {
    const size_t k = 5, need = n + 2 * (k - 1);
    fconv_desc d = ft::make_desc(1, &n, &k, FCONV_F32);
    d.backend = FCONV_BACKEND_CPU;
    d.method = FCONV_METHOD_FFT;
    Outcome o;
    ASSERT_TRUE(plan_within(d, &o));
    ASSERT_EQ(o.st, FCONV_OK);
    const size_t T = o.info.transform_shape[0];
    EXPECT_TRUE(smooth7(T)) << T;
    EXPECT_GE(T, need - (k - 1)) << T; /* at least the linear convolution's support */
    EXPECT_LE(T, need + need / 3 + 8) << T;
  }
}

namespace {

double direct_estimate(size_t n, size_t k, int threads) {
  fconv_desc d;
  const size_t nn[1] = {n}, kk[1] = {k};
  fconv_desc_init(&d, 1, nn, kk, FCONV_F32);
  d.method = FCONV_METHOD_DIRECT;
  d.backend = FCONV_BACKEND_CPU;
  d.threads = threads;
  fconv_plan *p = nullptr;
  EXPECT_EQ(fconv_plan_create(&p, &d), FCONV_OK);
  fconv_plan_info info{};
  EXPECT_EQ(fconv_plan_get_info(p, &info), FCONV_OK);
  fconv_plan_destroy(p);
  return info.estimated_seconds;
}

// The direct path's model describes what runs: work too small to pay for waking threads runs
// on one thread, so its estimate does not shrink with more threads (it once halved, and AUTO
// kept 1-D 16384 x 255 taps direct at 2.4x overlap-save's time); large work does.
TEST(CostModel, DirectEstimateFollowsTheSerialRule) {
  const double small1 = direct_estimate(4096, 31, 1), small2 = direct_estimate(4096, 31, 2);
  EXPECT_GT(small1, 0);
  EXPECT_DOUBLE_EQ(small2, small1) << "small work runs on one thread";
  const double big1 = direct_estimate(1 << 22, 63, 1), big2 = direct_estimate(1 << 22, 63, 2);
  EXPECT_LT(big2, 0.75 * big1) << "large work is split over the threads";
}

}  // namespace
