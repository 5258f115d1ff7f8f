/* direct_kernels.h — the CPU direct path's micro-kernels (direct_kernels.c), compiled once per
 * instruction set (generic, avx2, avx512) and chosen at run time by direct_path.c.
 *
 * A micro-kernel computes one output row segment as a sum of "tap rows":
 *     out[c] (+)= sum_t sum_{j < tr[t].nt} x_t[c + j] * w_t[j]      for c in [0, len)
 * where x_t = tr[t].x and w_t = tr[t].w point at elements of the plan's dtype (complex: re,im
 * interleaved, complex multiply). No branches on boundaries: every x_t[c + j] read must be
 * valid memory (the caller points x_t into the signal where the window lies inside it, else
 * into a gathered, boundary-extended copy). With accumulate == 0 the sum overwrites out (and
 * ntr == 0 writes zeros); with accumulate != 0 it is added to out. */
#ifndef FCONV_DIRECT_KERNELS_H
#define FCONV_DIRECT_KERNELS_H

#include <stddef.h>

typedef struct fconv_dk_taprow {
  const void *x; /* input, positioned at output column 0 of this call */
  const void *w; /* nt taps */
  size_t nt;
} fconv_dk_taprow;

typedef void (*fconv_dk_fn)(void *out, size_t len, const fconv_dk_taprow *tr, size_t ntr,
                            int accumulate);

/* Two output rows at once (out_a, out_b) sharing input rows: each entry's x feeds row a with
 * taps wa and row b with taps wb (both valid; the caller points the unused side at zero taps).
 * Each loaded input vector serves both rows, which halves the loads per multiply-add. */
typedef struct fconv_dk_pairrow {
  const void *x;
  const void *wa, *wb;
  size_t nt;
} fconv_dk_pairrow;

typedef void (*fconv_dk_fn2)(void *out_a, void *out_b, size_t len, const fconv_dk_pairrow *tr,
                             size_t ntr, int accumulate);

/* The multi-channel paths' micro-kernels (channel_kernels.c, compiled per instruction set with
 * this file's variants; real dtypes F32, F64 only, indexed 0 / 1).
 *
 * gemm (channels_direct.c): one register tile of the layer as a small matrix product,
 *     out[r * ldo + c] = sum_{k < K} x[off[k] + c] * w[k * mr + r]    r < mr, c < nvec * lanes
 * mr output channels x nvec vectors of output positions in registers while k runs over
 * (input channel, kernel tap); off[k] (elements) places tap k in the extended input, w holds the
 * mr channels' weights of each k side by side. Every x[off[k] + c] read must be valid memory.
 *
 * dw (channels_direct.c, one input channel per group): one channel's plane of rows,
 *     out[r * ldo + c] = sum_{k < K} x[off[k] + r * ldx + c] * w[k]    r < rows, c < cols
 * for any rows and cols, in tiles of dr rows x up to dnv vectors; writes nothing past column
 * cols of a row, reads up to one vector past it (x[off[k] + r * ldx + c] for c < cols rounded
 * up to the lanes must be valid memory).
 *
 * dwr[dtype][KH / 2 - 1] (KH = 3, 5, 7): dw for a kernel of KH unit-stride rows, its other taps
 * as J column steps shared by the rows,
 *     out[r * ldo + c] = sum_{j < J} sum_{m < KH} x[coff[j] + (r + m) * ldx + c] * w[m * J + j]
 * reading rows up to rows rounded up to dr, + KH - 1, and one vector past cols.
 *
 * cmac (channels_fft.c): the per-bin channel product on planar blocks (ld real parts, then ld
 * imaginary parts; channel i of an operand at + i * 2 * ld):
 *     y[(b * cc + c) * 2 * ld] = sum_{i < cig} x[b][i] * h[c][i]    (complex, per bin f < n)
 * for b < cb items and c < cc output channels (point unused ones at valid duplicates); n and ld
 * are multiples of the lanes.
 *
 * wino_in / wino_out (channels_winograd.c): Winograd F(4x4, 3x3) transforms of nt tiles of one
 * row of tiles. wino_in: input tile t (6 x 6) has row r, column c at
 *     x[r * ldx + (c % 4) * lp + t + c / 4]     (a row's four column phases, lp apart)
 * and writes B^T d B to v[f * fs + t], f = 6 i + j < 36, for t up to nt rounded up to the lanes
 * (the tiles past nt are transforms of whatever the phases hold there), reading as far (+ 1) in
 * every phase. wino_out: tile t's 6 x 6 product at m[f * fs + t]; writes A^T M A to
 *     y[a * ldy + 4 t + b]     a < rows, 4 t + b < cols
 * reading m up to nt rounded up to the lanes. wino_split: a row's four column phases,
 *     ph[q * lp + j] = src[4 j + q]     4 j + q < n
 * reading src and writing every phase up to n rounded up to 4 lanes. */
typedef void (*fconv_dk_wino_in_fn)(void *v, size_t fs, const void *x, size_t ldx, size_t lp,
                                    size_t nt);
typedef void (*fconv_dk_wino_out_fn)(void *y, size_t ldy, const void *m, size_t fs, size_t nt,
                                     size_t rows, size_t cols);
typedef void (*fconv_dk_gemm_fn)(void *out, size_t ldo, const void *x, const ptrdiff_t *off,
                                 const void *w, size_t K, size_t nvec);
typedef void (*fconv_dk_dw_fn)(void *out, size_t ldo, const void *x, size_t ldx,
                               const ptrdiff_t *off, const void *w, size_t K, size_t rows,
                               size_t cols);
typedef fconv_dk_dw_fn fconv_dk_dwr_fn; /* (out, ldo, x, ldx, coff, w, J, rows, cols) */
typedef void (*fconv_dk_cmac_fn)(void *y, const void *const *x, const void *const *h, size_t cig,
                                 size_t ld, size_t n);
typedef struct fconv_ck_ops {
  size_t mr, nv;  /* gemm: output channels per call, vectors per register tile */
  fconv_dk_gemm_fn gemm[2];
  size_t dr, dnv; /* dw: rows per tile, most vectors per row segment */
  fconv_dk_dw_fn dw[2];
  fconv_dk_dwr_fn dwr[2][3];
  size_t cb, cc;  /* cmac: items and output channels per call */
  fconv_dk_cmac_fn cmac[2];
  fconv_dk_wino_in_fn wino_in[2];
  fconv_dk_wino_out_fn wino_out[2];
  void (*wino_split[2])(void *ph, size_t lp, const void *src, size_t n);
} fconv_ck_ops;

typedef struct fconv_dk_ops {
  const char *isa;   /* "generic", "avx2", "avx512" */
  size_t vbytes;     /* bytes per SIMD vector */
  size_t tile_bytes; /* output bytes one register tile covers (vbytes * vectors per tile) */
  fconv_dk_fn fn[4];   /* indexed by fconv_dtype: F32, F64, C64, C128 */
  fconv_dk_fn2 fn2[4]; /* two-row variants, same index */
  const fconv_ck_ops *ch; /* the multi-channel micro-kernels of the same instruction set */
} fconv_dk_ops;

#define FCONV_DK_DECLARE(isa)                                                       \
  extern __attribute__((visibility("hidden"))) const fconv_dk_ops fconv_dk_ops_##isa; \
  extern __attribute__((visibility("hidden"))) const fconv_ck_ops fconv_ck_ops_##isa;
FCONV_DK_DECLARE(generic)
#ifdef FCONV_DK_HAVE_AVX2
FCONV_DK_DECLARE(avx2)
#endif
#ifdef FCONV_DK_HAVE_AVX512
FCONV_DK_DECLARE(avx512)
#endif
#undef FCONV_DK_DECLARE

/* The micro-kernels this CPU runs best (AVX-512F, AVX2+FMA or generic), lowered by the
 * environment variable FCONV_ISA=generic|avx2|avx512 (direct_path.c). */
__attribute__((visibility("hidden"))) const fconv_dk_ops *fconv_dk_select_isa(void);

#endif /* FCONV_DIRECT_KERNELS_H */
