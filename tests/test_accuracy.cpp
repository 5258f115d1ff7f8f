// test_accuracy.cpp — the accuracy policy of fconv.h ("how AUTO chooses", "Accuracy") on the
// kernels that used to send AUTO to the direct method: a reverb impulse response (96000 taps of
// exponentially decaying noise) on 10 s of 48 kHz audio, and a 31x31 disk of ones on a 2048^2
// image. After set_kernel AUTO keeps a transform method for both, and the transform results meet
// the stated FFT bound against the long-double reference (tests/reference.h; sampled outputs,
// the whole sum being too long for a test), with the suite's one bound.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "test_common.h"

namespace {

// Outputs to check: both ends, the middle, and random ones (the seed is printed by ft::rng).
std::vector<size_t> sample_outputs(size_t per_output, size_t count, std::mt19937_64 &g) {
  std::vector<size_t> s = {0, 1, per_output / 2, per_output - 2, per_output - 1};
  for (size_t i = 0; i < count; i++) s.push_back(ft::uniform(g, 0, per_output - 1));
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  return s;
}

// Runs d with method m through set_kernel + execute(NULL); checks the sampled outputs against
// the reference with the one bound; returns the method the plan ran.
fconv_method check_method(fconv_desc d, fconv_method m, const ft::Array &x, const ft::Array &h,
                          const reference::Result &ref, const std::vector<size_t> &samples) {
  d.method = m;
  fconv_plan *pl = nullptr;
  EXPECT_EQ(fconv_plan_create(&pl, &d), FCONV_OK);
  if (!pl) return FCONV_METHOD_AUTO;
  ft::Array y(d.dtype, ref.per_output);
  EXPECT_EQ(fconv_plan_set_kernel(pl, h.data()), FCONV_OK);
  EXPECT_EQ(fconv_execute(pl, x.data(), nullptr, y.data()), FCONV_OK);
  fconv_plan_info info;
  fconv_plan_get_info(pl, &info);
  fconv_plan_destroy(pl);
  const double bound = reference::error_bound(d.dtype, ref.scale[0], ref.log2_len);
  double worst = 0;
  for (size_t f : samples) {
    const double err = (double)std::abs(y.get(f) - ref.y[f]);
    EXPECT_LE(err, bound) << fconv_method_name(m) << " output " << f;
    worst = std::max(worst, err);
  }
  EXPECT_TRUE(y.guards_intact());
  std::printf("  %s (%s): worst sampled error %.3g, bound %.3g (%.2g of it)\n",
              fconv_method_name(m), info.reason, worst, bound, worst / bound);
  return info.method;
}

// AUTO after set_kernel (the README's reuse pattern) must not pick direct for kernel h.
void expect_transform_after_set_kernel(const fconv_desc &d, const ft::Array &h) {
  fconv_plan *pl = nullptr;
  ASSERT_EQ(fconv_plan_create(&pl, &d), FCONV_OK);
  ASSERT_EQ(fconv_plan_set_kernel(pl, h.data()), FCONV_OK);
  fconv_plan_info info;
  fconv_plan_get_info(pl, &info);
  EXPECT_NE(info.method, FCONV_METHOD_DIRECT) << info.reason;
  EXPECT_TRUE(std::isfinite(info.estimated_seconds)) << info.reason;
  fconv_plan_destroy(pl);
}

} // namespace

TEST(AccuracyPolicy, ReverbKernelRunsOnTransformsWithinBound) {
  auto g = ft::rng();
  const size_t n[1] = {480000}, k[1] = {96000};
  fconv_desc d = ft::make_desc(1, n, k, FCONV_F32);
  d.backend = FCONV_BACKEND_CPU;
  ft::Array x(d.dtype, n[0]), h(d.dtype, k[0]);
  x.fill_random(g);
  h.fill_random(g);
  for (size_t i = 0; i < k[0]; i++) /* 60 dB of exponential decay over the response */
    h.set(i, h.get(i) * (long double)std::pow(10.0, -3.0 * (double)i / (double)(k[0] - 1)));
  expect_transform_after_set_kernel(d, h);
  reference::Result ref;
  std::string why;
  const size_t per = n[0] + k[0] - 1;
  const std::vector<size_t> samples = sample_outputs(per, 300, g);
  ASSERT_TRUE(reference::convolve(d, x.values(), h.values(), &ref, &why, &samples)) << why;
  EXPECT_NE(check_method(d, FCONV_METHOD_AUTO, x, h, ref, samples), FCONV_METHOD_DIRECT);
  check_method(d, FCONV_METHOD_FFT, x, h, ref, samples);
  check_method(d, FCONV_METHOD_OVERLAP_SAVE, x, h, ref, samples);
}

TEST(AccuracyPolicy, DiskKernelRunsOnTransformsWithinBound) {
  auto g = ft::rng();
  const size_t n[2] = {2048, 2048}, k[2] = {31, 31};
  fconv_desc d = ft::make_desc(2, n, k, FCONV_F32);
  d.backend = FCONV_BACKEND_CPU;
  d.mode = FCONV_MODE_SAME;
  ft::Array x(d.dtype, n[0] * n[1]), h(d.dtype, k[0] * k[1]);
  x.fill_random(g);
  for (size_t i = 0; i < k[0]; i++)
    for (size_t j = 0; j < k[1]; j++) { /* ones inside the inscribed circle */
      const double u = ((double)i - 15) / 15.5, v = ((double)j - 15) / 15.5;
      h.set(i * k[1] + j, u * u + v * v <= 1.0 ? 1.0L : 0.0L);
    }
  expect_transform_after_set_kernel(d, h);
  reference::Result ref;
  std::string why;
  const std::vector<size_t> samples = sample_outputs(n[0] * n[1], 1000, g);
  ASSERT_TRUE(reference::convolve(d, x.values(), h.values(), &ref, &why, &samples)) << why;
  EXPECT_NE(check_method(d, FCONV_METHOD_AUTO, x, h, ref, samples), FCONV_METHOD_DIRECT);
  check_method(d, FCONV_METHOD_FFT, x, h, ref, samples);
  check_method(d, FCONV_METHOD_OVERLAP_SAVE, x, h, ref, samples);
}
