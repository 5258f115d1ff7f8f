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

typedef struct fconv_dk_ops {
  const char *isa;   /* "generic", "avx2", "avx512" */
  size_t vbytes;     /* bytes per SIMD vector */
  size_t tile_bytes; /* output bytes one register tile covers (vbytes * vectors per tile) */
  fconv_dk_fn fn[4];   /* indexed by fconv_dtype: F32, F64, C64, C128 */
  fconv_dk_fn2 fn2[4]; /* two-row variants, same index */
} fconv_dk_ops;

#define FCONV_DK_DECLARE(isa) \
  extern __attribute__((visibility("hidden"))) const fconv_dk_ops fconv_dk_ops_##isa;
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
