// test_fftw_cache.cpp — cpu/fftw.c's plan cache: an identical request returns the cached FFTW
// plan (the same pointer), a request differing in any key field (direction, batch, threads,
// embedding) does not; a plan released by one owner keeps working for the other; a released
// plan is handed to the next identical request; and results through a shared plan are those of
// a private FFTW plan. Internal symbols: linked against the static library only.
#include <gtest/gtest.h>

#include <fftw3.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "core/memory.h"
#include "cpu/fft_plan.h"
#include "cpu/fftw.h"

namespace {

fconv_fftw_geom geom_1d(int n) {
  fconv_fftw_geom g;
  memset(&g, 0, sizeof g);
  g.rank = 1;
  g.n[0] = n;
  g.rembed[0] = 2 * (n / 2 + 1);
  g.cembed[0] = n / 2 + 1;
  g.slot = (size_t)g.rembed[0];
  return g;
}

TEST(FftwPlanCache, IdenticalRequestsSharePlans) {
  const fconv_fftw_geom g = geom_1d(480);
  float *buf = (float *)fconv_calloc(g.slot * 4 * sizeof(float));
  ASSERT_NE(buf, nullptr);
  fconv_fftw_plan a, b, c, d, e;
  ASSERT_EQ(fconv_fftw_make(&a, &g, FCONV_FFTW_FORWARD, 4, buf, buf, 1, 0), FCONV_OK);
  ASSERT_EQ(fconv_fftw_make(&b, &g, FCONV_FFTW_FORWARD, 4, buf, buf, 1, 0), FCONV_OK);
  EXPECT_EQ(a.plan, b.plan) << "an identical request shares the plan";
  ASSERT_EQ(fconv_fftw_make(&c, &g, FCONV_FFTW_BACKWARD, 4, buf, buf, 1, 0), FCONV_OK);
  ASSERT_EQ(fconv_fftw_make(&d, &g, FCONV_FFTW_FORWARD, 3, buf, buf, 1, 0), FCONV_OK);
  fconv_fftw_geom g2 = g;
  g2.rembed[0] += 16; /* another embedding */
  g2.cembed[0] += 8;
  g2.slot += 16;
  ASSERT_EQ(fconv_fftw_make(&e, &g2, FCONV_FFTW_FORWARD, 4, buf, buf, 1, 0), FCONV_OK);
  EXPECT_NE(c.plan, a.plan);
  EXPECT_NE(d.plan, a.plan);
  EXPECT_NE(e.plan, a.plan);

  // release one owner: the other's plan still transforms correctly (a unit impulse -> ones)
  void *shared = a.plan;
  fconv_fftw_destroy(&a);
  EXPECT_EQ(a.plan, nullptr);
  memset(buf, 0, g.slot * 4 * sizeof(float));
  buf[0] = 1.0f;
  fconv_fftw_exec(&b, buf, buf);
  for (int i = 0; i <= 240; i++) {
    EXPECT_NEAR(buf[2 * i], 1.0f, 1e-6f) << i;
    EXPECT_NEAR(buf[2 * i + 1], 0.0f, 1e-6f) << i;
  }
  fconv_fftw_destroy(&b);
  // both released: the next identical request gets the cached plan again
  fconv_fftw_plan again;
  ASSERT_EQ(fconv_fftw_make(&again, &g, FCONV_FFTW_FORWARD, 4, buf, buf, 1, 0), FCONV_OK);
  EXPECT_EQ(again.plan, shared);
  fconv_fftw_destroy(&again);

  // out of place (what the engine's chunks use): not the in-place plan of the same key, and
  // it transforms from the real slots into a separate spectrum buffer, the input kept
  float *spec = (float *)fconv_calloc(g.slot * 4 * sizeof(float));
  ASSERT_NE(spec, nullptr);
  fconv_fftw_plan o1, o2;
  ASSERT_EQ(fconv_fftw_make(&o1, &g, FCONV_FFTW_FORWARD, 4, buf, spec, 1, 0), FCONV_OK);
  ASSERT_EQ(fconv_fftw_make(&o2, &g, FCONV_FFTW_FORWARD, 4, buf, spec, 1, 0), FCONV_OK);
  EXPECT_NE(o1.plan, shared) << "an out-of-place request never gets an in-place plan";
  EXPECT_EQ(o1.plan, o2.plan) << "identical out-of-place requests share the plan";
  memset(buf, 0, g.slot * 4 * sizeof(float));
  memset(spec, 0, g.slot * 4 * sizeof(float));
  for (int j = 0; j < 4; j++) buf[j * g.slot + j] = 1.0f; /* slot j: an impulse at j */
  fconv_fftw_exec(&o1, buf, spec);
  for (int j = 0; j < 4; j++) {
    EXPECT_EQ(buf[j * g.slot + j], 1.0f) << "r2c out of place keeps its input";
    for (int i = 0; i <= 240; i += 60) { /* X[i] = exp(-2 pi i j i / 480) */
      const double ang = -2.0 * M_PI * (double)(i * j) / 480.0;
      EXPECT_NEAR(spec[j * g.slot + 2 * i], cos(ang), 1e-5) << j << " " << i;
      EXPECT_NEAR(spec[j * g.slot + 2 * i + 1], sin(ang), 1e-5) << j << " " << i;
    }
  }
  fconv_fftw_destroy(&o1);
  fconv_fftw_destroy(&o2);
  fconv_free(spec);
  fconv_fftw_destroy(&c);
  fconv_fftw_destroy(&d);
  fconv_fftw_destroy(&e);
  fconv_free(buf);
}

// Many distinct shapes (more than the cache holds) made and released, then made again: every
// plan computes the same spectrum as a private FFTW plan of the shape.
TEST(FftwPlanCache, EvictionKeepsResultsRight) {
  std::vector<fconv_fftw_plan> held;
  for (int n = 16; n < 16 + 2 * 80; n += 2) { /* 80 shapes: beyond the 64 entries */
    const fconv_fftw_geom g = geom_1d(n);
    float *buf = (float *)fconv_calloc(g.slot * sizeof(float));
    ASSERT_NE(buf, nullptr);
    fconv_fftw_plan p;
    ASSERT_EQ(fconv_fftw_make(&p, &g, FCONV_FFTW_FORWARD, 1, buf, buf, 1, 0), FCONV_OK);
    for (int i = 0; i < n; i++) buf[i] = (float)std::sin(0.3 * i) + 0.01f * (float)i;
    std::vector<float> in(buf, buf + n), ref(g.slot);
    fconv_fftw_exec(&p, buf, buf);
    fconv_fftw_lock();
    fftwf_plan q = fftwf_plan_dft_r2c_1d(n, in.data(), (fftwf_complex *)ref.data(), FFTW_ESTIMATE);
    fconv_fftw_unlock();
    fftwf_execute(q);
    fconv_fftw_lock();
    fftwf_destroy_plan(q);
    fconv_fftw_unlock();
    for (int i = 0; i < 2 * (n / 2 + 1); i++) EXPECT_NEAR(buf[i], ref[i], 1e-4f) << n << " " << i;
    if (n % 4 == 0) held.push_back(p); /* some stay referenced */
    else fconv_fftw_destroy(&p);
    fconv_free(buf);
  }
  for (fconv_fftw_plan &p : held) fconv_fftw_destroy(&p);
}

// The slot layout rule (cpu/fft_plan.c, fconv_fc_pad_rows): the strides of the outer axes'
// columns are kept off multiples of large powers of two. Rows of 1 KiB or more: rounded to
// 64-byte lines plus two; 3-D planes of 4 KiB or more: spare rows until the plane pitch is not a
// multiple of 512 bytes (256^3 f32 r2c measured 8x slower without). Small transforms untouched.
TEST(SlotLayout, RowAndPlanePitchesAvoidPowersOfTwo) {
  struct C { size_t T[3]; size_t elem; bool cplx; };
  const C cases[] = {{{256, 256, 256}, 4, false}, {{8, 256, 256}, 8, true},
                     {{6, 64, 128}, 4, false},    {{4, 32, 64}, 8, true},
                     {{288, 288, 288}, 4, false}, {{1, 1024, 1024}, 4, false}};
  for (const C &c : cases) {
    size_t ext[3];
    for (int a = 0; a < 3; a++) ext[a] = (!c.cplx && a == 2) ? 2 * (c.T[a] / 2 + 1) : c.T[a];
    const size_t row0 = ext[2] * c.elem;
    fconv_fc_pad_rows(c.T, ext, 2, c.elem);
    const size_t row = ext[2] * c.elem, plane = ext[1] * row;
    const std::string what = std::to_string(c.T[0]) + "x" + std::to_string(c.T[1]) + "x" +
                             std::to_string(c.T[2]);
    EXPECT_GE(ext[1], c.T[1]) << what;
    EXPECT_EQ(ext[0], c.T[0]) << what;
    if (row0 >= 1024) {
      EXPECT_EQ(row % 64, 0u) << what;
      EXPECT_GE(row, row0 + 128) << what;
    } else {
      EXPECT_EQ(row, row0) << what;
    }
    if (c.T[0] > 1 && plane >= 4096 && row % 512 != 0) {
      EXPECT_NE(plane % 512, 0u) << what;
    }
    if (c.T[0] == 1) {
      EXPECT_EQ(ext[1], c.T[1]) << what << ": 2-D slots keep their rows";
    }
  }
  size_t T[3] = {4, 4, 4}, ext[3] = {4, 4, 6};
  fconv_fc_pad_rows(T, ext, 2, 4);
  EXPECT_EQ(ext[1], 4u);
  EXPECT_EQ(ext[2], 6u) << "small slots stay as they are";
}

}  // namespace
