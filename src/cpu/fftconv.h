/* fftconv.h — the FFTW convolution engine shared by the CPU FFT and overlap-save paths.
 *
 * Both paths compute every output block of the normalised problem as the valid part of a
 * circular convolution of length T (per axis) of a box of the extended signal with g (g = h for
 * CONVOLVE, flip(conj(h)) for CORRELATE, scaled by 1/prod(T)):
 *   - the FFT path uses ONE block per axis (Bo = out) and the smallest safe T;
 *   - overlap-save tiles the outputs into blocks of Bo outputs per axis, each reading its own
 *     window of (Bo-1)*stride + k samples (T >= that).
 * Box of a block (window coordinates e, where e reads x[bmap(e - p0)]): [org, org + c) =
 * [o_lo*s, (o_hi-1)*s + k), clipped to the signal's support [p0, p0+n) for the ZERO boundary
 * (the zeros are never materialised; an empty box means the block's outputs are 0). Output o of
 * the block is element idx = o*s + k-1 - org of the circular result, and is 0 when idx lies
 * outside [0, c + k - 1) (the linear convolution of the box is 0 there). The result is free of
 * wrap-around when T >= max(c + k-1 - idx_lo, idx_hi + 1) over the block's outputs; for a block
 * with T >= (Bo-1)*s + k this always holds.
 *
 * Execution: blocks of every output item are "units", transformed in chunks of `howmany`
 * slots through one FFTW advanced-interface plan per chunk size (in place; r2c/c2r with half
 * spectra for F32/F64, c2c for C64/C128), multiplied by the kernel spectrum (cached by
 * set_kernel at the transform size), inverse transformed and cropped into the output. Either
 * each thread runs its own chunks with its own buffers (many units), or one chunk at a time
 * uses every thread inside FFTW and the pointwise/pack/crop passes (few, large units).
 * Filter bank (one signal, many kernels): each block's spectrum is computed once and multiplied
 * by every kernel's spectrum.
 */
#ifndef FCONV_FFTCONV_H
#define FCONV_FFTCONV_H

#include "../fconv_internal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fconv_fc fconv_fc;

/* The geometry both paths choose: transform length and outputs per block, per axis (rank-3
 * normalised axes; 1 and out for axes that need no transform). */
typedef struct fconv_fc_geom {
  size_t T[3];
  size_t Bo[3];
} fconv_fc_geom;

/* Smallest-cost 7-smooth length >= need (even when even != 0): candidates from fconv_fft_size
 * (or fconv_fft_size_even) up to 1.3 * need, ranked by the calibrated per-radix cost in a
 * transform whose other axes hold other_points points. */
FCONV_HIDDEN size_t fconv_fc_good_size(size_t need, int even, double other_points);

/* The FFT path's geometry: one block per axis, the smallest wrap-free T (0 on overflow). */
FCONV_HIDDEN int fconv_fc_single_block(const fconv_problem *p, fconv_fc_geom *g);

/* Index of the axis r2c halves for geometry T (the last with T > 1, else 2). */
FCONV_HIDDEN int fconv_fc_halved_axis(const size_t T[3]);

/* Modelled seconds of one execute (kernel spectrum cached) with geometry g. */
FCONV_HIDDEN double fconv_fc_model(const fconv_problem *p, const fconv_fc_geom *g);

/* Engine lifecycle (the paths' create/set_kernel/execute/destroy). `os` only changes what
 * describe reports (block_shape). The state is a fconv_fc; the signatures are the path vtable's. */
FCONV_HIDDEN fconv_status fconv_fc_create(const fconv_problem *p, const fconv_fc_geom *g, int os,
                                          void **state);
FCONV_HIDDEN fconv_status fconv_fc_set_kernel(void *state, const void *h);
FCONV_HIDDEN fconv_status fconv_fc_execute(void *state, const void *x, const void *h, void *y);
FCONV_HIDDEN void fconv_fc_destroy(void *state);
FCONV_HIDDEN void fconv_fc_describe(const void *state, fconv_plan_info *info);
/* Kernel-aware estimate: +INFINITY when accuracy asks for the direct path (see fftconv.c,
 * fconv_fc_refine), else the model's seconds. */
FCONV_HIDDEN double fconv_fc_refine(void *state, const void *h);

/* Tools only: wall seconds (best of reps) of just the FFTW executes one execute makes. */
FCONV_HIDDEN double fconv_fc_transform_seconds(void *state, int reps);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_FFTCONV_H */
