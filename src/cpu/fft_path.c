/* fft_path.c — the CPU FFT and overlap-save paths (their vtables; parallel to cuda/fft_path.cu).
 *
 * The FFT path (FFTW3): the whole extended window of every axis in one transform.
 *
 * fftw3f for F32/C64, fftw3 for F64/C128; r2c/c2r with half spectra for real data, c2c for
 * complex; every batch item in one FFTW advanced-interface plan (fft_plan.c). Per axis the
 * transform length is the smallest cheap 7-smooth length (fconv_fc_good_size) that is free of
 * wrap-around for the outputs actually kept (core/geometry.c, the rule of both backends):
 *   - ZERO boundary: the signal is placed at offset 0 unpadded (only the part of it any kept
 *     output reads), so T >= n + k - 1 at most, and n + k/2 for SAME; huge PAD zero padding
 *     costs nothing (outputs outside the support are written as 0);
 *   - other boundaries: the extended window ((out-1)*stride + k samples) is materialised with
 *     fconv_gather, T >= that.
 * The kernel spectrum (with the 1/prod(T) scale and, for CORRELATE, the flip and conjugate
 * folded in) is computed once by set_kernel; an explicit kernel at execute goes to a separate
 * scratch spectrum (and is not re-transformed while its contents do not change).
 *
 * The overlap-save path (FFTW3): sectioned convolution along every axis.
 *
 * The outputs are tiled into blocks of Bo outputs per axis; each block reads its own window of
 * the extended signal, (Bo-1)*stride + k samples per axis, through fconv_gather (so every
 * boundary rule works, and for ZERO the window is clipped to the signal), transforms it at a
 * fast length T >= (Bo-1)*stride + k (core: fconv_block_outputs), multiplies by the kernel
 * spectrum at T (cached by set_kernel), and keeps the wrap-free outputs. Blocks go through one FFTW plan per chunk
 * (howmany = blocks per chunk), chunks run on all threads with per-thread buffers made in
 * create (fft_plan.c).
 *
 * Block length: per axis the candidates are fast lengths from max(2k, 32) upwards in steps of
 * about sqrt(2) (so typically 2x-16x the kernel), plus one block spanning the axis (the FFT
 * path's length); the combination with the smallest modelled time (fconv_fc_model, the same
 * model as the FFT path, with calibrated constants) wins, but a sectioned geometry must beat
 * the single block by 10% (the model's accuracy), since the single block has no redundant work. */
#include <math.h>

#include "../core/geometry.h"
#include "../path.h"
#include "fft_plan.h"

static double fft_estimate(const fconv_problem *p) {
  fconv_fc_geom g;
  if (!fconv_fc_single_block(p, &g)) return -1.0;
  return fconv_fc_model(p, &g);
}

static fconv_status fft_create(const fconv_problem *p, void **state) {
  fconv_fc_geom g;
  FCONV_RETURN_IF(!fconv_fc_single_block(p, &g), FCONV_ERR_UNSUPPORTED,
                  "transform length overflows");
  return fconv_fc_create(p, &g, 0, state);
}

const fconv_path_vtbl fconv_cpu_fft_path = {
    .name = "cpu-fft",
    .backend = FCONV_BACKEND_CPU,
    .method = FCONV_METHOD_FFT,
    .estimate = fft_estimate,
    .create = fft_create,
    .set_kernel = fconv_fc_set_kernel,
    .execute = fconv_fc_execute,
    .destroy = fconv_fc_destroy,
    .kernel_cost = fconv_fc_kernel_cost,
    .describe = fconv_fc_describe};

#define OS_MAX_CAND 24
#define OS_MARGIN 0.9

/* Candidate (T, Bo) per axis; the first is the single block. */
static int axis_candidates(const fconv_problem *p, int a, const fconv_fc_geom *single,
                           int real_last, size_t T[OS_MAX_CAND], size_t Bo[OS_MAX_CAND]) {
  const fconv_axis *x = &p->ax[a];
  /* points of the other axes, for the size penalty: blocks there are about 8 kernels long */
  double other = 1.0;
  for (int b = 0; b < 3; b++)
    if (b != a) {
      const double blk = 8.0 * (double)p->ax[b].k;
      other *= blk < (double)single->T[b] ? blk : (double)single->T[b];
    }
  int n = 0;
  T[n] = single->T[a];
  Bo[n] = single->Bo[a];
  n++;
  if (x->out <= 1) return n;
  double need = (double)(2 * x->k > 32 ? 2 * x->k : 32);
  size_t last = 0;
  for (; n < OS_MAX_CAND; need *= 1.41421356) {
    if (need > (double)single->T[a] || need > 1e12) break;
    size_t t = fconv_fc_good_size((size_t)need, real_last, other);
    if (t == 0 || t >= single->T[a]) break;
    if (t == last || t < x->k) continue;
    last = t;
    size_t bo = fconv_block_outputs(p, a, t);
    if (bo >= x->out) break;
    T[n] = t;
    Bo[n] = bo;
    n++;
  }
  return n;
}

/* The cheapest block geometry by the model. 0 when none can run. */
static int os_geometry(const fconv_problem *p, fconv_fc_geom *best, double *best_s) {
  fconv_fc_geom single;
  if (!fconv_fc_single_block(p, &single)) return 0;
  size_t T[3][OS_MAX_CAND], Bo[3][OS_MAX_CAND];
  int n[3];
  /* The halved (r2c) axis is the last with T > 1; for real data it prefers even lengths. */
  const int L = fconv_fc_halved_axis(single.T);
  for (int a = 0; a < 3; a++)
    n[a] = axis_candidates(p, a, &single, !p->is_complex && a == L, T[a], Bo[a]);
  /* the single block (the FFT path's geometry, no redundant work) unless sectioning is modelled
   * clearly cheaper: the model's per-size constants are good to 10-20% at best */
  *best = single;
  *best_s = fconv_fc_model(p, &single);
  int found = *best_s >= 0.0;
  if (!found) *best_s = INFINITY;
  double margin = OS_MARGIN;
  for (int i0 = 0; i0 < n[0]; i0++)
    for (int i1 = 0; i1 < n[1]; i1++)
      for (int i2 = 0; i2 < n[2]; i2++) {
        fconv_fc_geom g = {{T[0][i0], T[1][i1], T[2][i2]}, {Bo[0][i0], Bo[1][i1], Bo[2][i2]}};
        double s = fconv_fc_model(p, &g);
        if (s >= 0.0 && s < *best_s * margin) {
          *best_s = s;
          *best = g;
          found = 1;
          margin = 1.0;
        }
      }
  return found;
}

static double os_estimate(const fconv_problem *p) {
  fconv_fc_geom g;
  double s;
  return os_geometry(p, &g, &s) ? s : -1.0;
}

static fconv_status os_create(const fconv_problem *p, void **state) {
  fconv_fc_geom g;
  double s;
  FCONV_RETURN_IF(!os_geometry(p, &g, &s), FCONV_ERR_UNSUPPORTED, "no block geometry fits");
  return fconv_fc_create(p, &g, 1, state);
}

const fconv_path_vtbl fconv_cpu_overlap_save_path = {
    .name = "cpu-overlap-save",
    .backend = FCONV_BACKEND_CPU,
    .method = FCONV_METHOD_OVERLAP_SAVE,
    .estimate = os_estimate,
    .create = os_create,
    .set_kernel = fconv_fc_set_kernel,
    .execute = fconv_fc_execute,
    .destroy = fconv_fc_destroy,
    .kernel_cost = fconv_fc_kernel_cost,
    .describe = fconv_fc_describe};
