/* core/geometry.h — reading the extended signal, preparing taps, FFT-friendly sizes, and the
 * transform geometry both FFT backends use: block spans, wrap-free transform extents, block
 * lengths. Each backend passes its own size-choice function (which fast length it likes); the
 * rules what a block reads and which length is free of wrap-around live here only.
 *
 * Geometry of a block along one axis (window coordinates e: e reads x[bmap(e - p0)]): outputs
 * [o_lo, o_lo + nout) read the box [org, org + c) = [o_lo*s, (o_lo+nout-1)*s + k), clipped to the
 * signal's support [p0, p0 + n) for the ZERO boundary (the zeros are never materialised; c = 0
 * means no output of the block reads a non-zero sample, so its outputs are 0). Output o of the
 * block is element idx = o*s + k-1 - org of the circular convolution of the box with g
 * (g = the kernel, packed unwrapped at [0, k)), and is 0 when idx lies outside [0, c + k - 1).
 * A transform length T is free of wrap-around for the block when T >= k and
 * T >= max(c + k-1 - idx_lo, idx_hi + 1) over its outputs; T >= (nout-1)*s + k always is. */
#ifndef FCONV_CORE_GEOMETRY_H
#define FCONV_CORE_GEOMETRY_H

#include <stddef.h>

#include "problem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* fconv_gather: copy a box of the extended signal of ONE signal item into dst.
 * Window coordinate e (per axis) reads x at fconv_bmap(e - p0) (zero where -1); e may lie
 * anywhere, also outside [0, n + p0 + p1). The box starts at window coordinate org[a] and has
 * cnt[a] elements per axis; dst element (i0,i1,i2) is at dst + (i0*dpitch[0] + i1*dpitch[1] +
 * i2) elements (dpitch[1] >= cnt[2], dpitch[0] >= cnt[1]*dpitch[1]). Rows are memcpy'd where
 * they lie inside the signal; only the border elements go through the boundary map.
 * If flip_conj, the source is flip(conj(x)) on every axis instead of x. */
FCONV_HIDDEN void fconv_gather(const fconv_problem *p, const void *x, const ptrdiff_t org[3],
                               const size_t cnt[3], void *dst, const size_t dpitch[2],
                               int flip_conj);

/* fconv_prepare_taps: for kernel_batch kernels h (user layout, k0*k1*k2 each) write w such that
 * y[n] = sum_j xe[n + j] * w[j] (all axes): w = flip(h) on every axis for CONVOLVE, w = conj(h)
 * for CORRELATE. w and h must not overlap. */
FCONV_HIDDEN void fconv_prepare_taps(const fconv_problem *p, const void *h, void *w);

/* fconv_dilate_kernels: the paths' kernels from the user's (the one place dilation is applied):
 * each of the kernel_batch * filters user kernels (kt0*kt1*kt2 taps) becomes the zero-stuffed
 * kernel of the effective extents k (tap m at m * dil per axis). dst holds
 * fconv_problem_path_kernel_bytes(p) and must not overlap h. */
FCONV_HIDDEN void fconv_dilate_kernels(const fconv_problem *p, const void *h, void *dst);


/* FFT-friendly lengths, the one place they are found: 7-smooth numbers 2^a 3^b 5^c 7^d by direct
 * enumeration (O(log^3) of the bounds, never a scan over the lengths).
 * fconv_fft_sizes: the smallest `cap` such lengths in [lo, hi] (even ones only when even != 0:
 * r2c likes even lengths), ascending, into out; returns how many (0 when none fits).
 * fconv_fft_size / fconv_fft_size_even: the smallest (even) one >= n; 0 on overflow. */
FCONV_HIDDEN size_t fconv_fft_sizes(size_t lo, size_t hi, int even, size_t *out, size_t cap);
FCONV_HIDDEN size_t fconv_fft_size(size_t n);
FCONV_HIDDEN size_t fconv_fft_size_even(size_t n);

/* One block along one axis (see the top of this file). */
typedef struct fconv_span {
  size_t o_lo, nout; /* outputs [o_lo, o_lo + nout) */
  ptrdiff_t org;     /* window coordinate of the box's first element */
  size_t c;          /* box length (0: the block's outputs are all 0) */
} fconv_span;

/* Block b of Bo outputs along axis a. */
FCONV_HIDDEN void fconv_block_span(const fconv_problem *p, int a, size_t Bo, size_t b,
                                   fconv_span *sp);

/* The active blocks of Bo outputs along axis a: [*blo, *bhi), those whose box reads a sample
 * (both 0 when none does). O(log blocks): planning never loops over the blocks. */
FCONV_HIDDEN void fconv_active_blocks(const fconv_problem *p, int a, size_t Bo, size_t *blo,
                                      size_t *bhi);

/* Wrap-free transform length needed by one block (at least k; 1 when the box is empty). */
FCONV_HIDDEN size_t fconv_span_need(const fconv_problem *p, int a, const fconv_span *sp);

/* Outputs per block along axis a for transform length T >= k: (T - k) / stride + 1, the most
 * for which T >= (Bo-1)*stride + k (overlap-save block length rule of both backends). */
FCONV_HIDDEN size_t fconv_block_outputs(const fconv_problem *p, int a, size_t T);

/* A backend's choice of transform length for axis a, given what every axis needs (need[b] <= 1:
 * that axis needs no transform). Returns the length (>= need[a]), or 0 on overflow. */
typedef size_t (*fconv_size_fn)(const fconv_problem *p, int a, const size_t need[3], void *ctx);

/* The FFT path's geometry (one block per axis, Bo = out): the wrap-free need per axis, the box
 * of each axis (sp) and the transform lengths T chosen by `choose`. 0 on overflow. */
FCONV_HIDDEN int fconv_single_block(const fconv_problem *p, fconv_size_fn choose, void *ctx,
                                    size_t T[3], fconv_span sp[3]);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_CORE_GEOMETRY_H */
