/* direct_calibrate.c — measures the constants of the CPU direct path's cost model
 *     seconds = a[dtype] * outputs * taps / threads + b[dtype] * outputs + c
 * on this machine, through the public API (method DIRECT, one thread, random non-separable
 * kernels), and prints them as the #defines used in direct_path.c.
 *
 *   cmake --build <build> --target fconv_direct_calibrate && <build>/fconv_direct_calibrate
 *
 * a and b: relative least squares over 1-D, 2-D and 3-D problems and kernel sizes; each time is
 * the best of several runs (robust on a shared machine). c: a tiny problem's time. Not part of
 * the library; built only on request. */
#include "fconv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Best-of-reps seconds of one execute; also returns outputs and taps. */
static double time_one(int rank, const size_t *n, const size_t *k, fconv_dtype dt, double *outputs,
                       double *taps) {
  fconv_desc d;
  fconv_desc_init(&d, rank, n, k, dt);
  d.mode = FCONV_MODE_SAME;
  d.method = FCONV_METHOD_DIRECT;
  d.backend = FCONV_BACKEND_CPU;
  d.threads = 1;
  d.flags = FCONV_FLAG_NO_SEPARABLE;
  fconv_plan *p = NULL;
  if (fconv_plan_create(&p, &d) != FCONV_OK) return -1.0;
  size_t se = 1, ke = 1, oe = 1, os[3];
  fconv_plan_output_shape(p, os);
  for (int a = 0; a < rank; a++) {
    se *= n[a];
    ke *= k[a];
    oe *= os[a];
  }
  const size_t scal = dt == FCONV_F32 || dt == FCONV_F64 ? 1 : 2;
  const int dbl = dt == FCONV_F64 || dt == FCONV_C128;
  const size_t es = (dbl ? 8 : 4);
  unsigned char *x = malloc(se * scal * es), *h = malloc(ke * scal * es), *y = malloc(oe * scal * es);
  double best = INFINITY;
  if (x && h && y) {
    for (size_t i = 0; i < se * scal; i++) {
      double v = (double)rand() / RAND_MAX - 0.5;
      if (dbl) ((double *)(void *)x)[i] = v; else ((float *)(void *)x)[i] = (float)v;
    }
    for (size_t i = 0; i < ke * scal; i++) {
      double v = (double)rand() / RAND_MAX - 0.5;
      if (dbl) ((double *)(void *)h)[i] = v; else ((float *)(void *)h)[i] = (float)v;
    }
    fconv_plan_set_kernel(p, h);
    fconv_execute(p, x, NULL, y);
    double total = 0.0;
    for (int r = 0; r < 15 && (r < 5 || total < 0.3); r++) {
      double t0 = now();
      fconv_execute(p, x, NULL, y);
      double t = now() - t0;
      total += t;
      if (t < best) best = t;
    }
  }
  free(x);
  free(h);
  free(y);
  fconv_plan_destroy(p);
  *outputs = (double)oe;
  *taps = (double)ke;
  return best;
}

int main(void) {
  static const char *names[4] = {"F32", "F64", "C64", "C128"};
  struct { int rank; size_t n[3], k[3]; } probs[] = {
      {1, {1 << 18}, {1}},        {1, {1 << 18}, {3}},        {1, {1 << 18}, {16}},
      {1, {1 << 18}, {64}},       {1, {1 << 16}, {255}},      {2, {512, 512}, {1, 1}},
      {2, {512, 512}, {3, 3}},    {2, {512, 512}, {5, 5}},    {2, {512, 512}, {9, 9}},
      {2, {256, 256}, {15, 15}},  {3, {64, 64, 64}, {1, 1, 1}}, {3, {64, 64, 64}, {3, 3, 3}},
      {3, {48, 48, 48}, {5, 5, 5}},
  };
  const int np = (int)(sizeof probs / sizeof probs[0]);
  double A[4], B[4];
  for (int dt = 0; dt < 4; dt++) {
    /* relative least squares: minimise sum ((a X + b Y - t) / t)^2 */
    double sxx = 0, sxy = 0, syy = 0, sxt = 0, syt = 0;
    for (int i = 0; i < np; i++) {
      double outputs, taps;
      double t = time_one(probs[i].rank, probs[i].n, probs[i].k, (fconv_dtype)dt, &outputs, &taps);
      if (!(t > 0)) continue;
      double X = outputs * taps / t, Y = outputs / t;
      sxx += X * X; sxy += X * Y; syy += Y * Y; sxt += X; syt += Y;
      fprintf(stderr, "%s rank %d k %zu: %.3f ms (%.3f ns/output, %.4f ns/output-tap)\n",
              names[dt], probs[i].rank, probs[i].k[0], t * 1e3, t / outputs * 1e9,
              t / (outputs * taps) * 1e9);
    }
    double det = sxx * syy - sxy * sxy;
    A[dt] = (sxt * syy - syt * sxy) / det;
    B[dt] = (sxx * syt - sxy * sxt) / det;
    if (B[dt] < 0) { B[dt] = 0; A[dt] = sxt / sxx; }
  }
  double outputs, taps;
  size_t n1 = 64, k1 = 3;
  double c = time_one(1, &n1, &k1, FCONV_F32, &outputs, &taps);
  for (int dt = 0; dt < 4; dt++) printf("#define DIRECT_A_%s %.3g\n", names[dt], A[dt]);
  for (int dt = 0; dt < 4; dt++) printf("#define DIRECT_B_%s %.3g\n", names[dt], B[dt]);
  printf("#define DIRECT_C %.3g\n", c);
  return 0;
}
