#include <gtest/gtest.h>
#include "fconv.h"
TEST(Smoke, ScipyGolden) {
  const float x[6] = {3, 4, 5, 6, 5, 4}, h[3] = {1, 2, 3};
  const float want[8] = {3, 10, 22, 28, 32, 32, 23, 12};
  size_t n = 6, k = 3;
  fconv_desc d;
  fconv_desc_init(&d, 1, &n, &k, FCONV_F32);
  float y[8];
  ASSERT_EQ(fconv_convolve(&d, x, h, y), FCONV_OK);
  for (int i = 0; i < 8; i++) EXPECT_FLOAT_EQ(y[i], want[i]) << i;
}
