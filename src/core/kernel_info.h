/* core/kernel_info.h — what set_kernel learns about a kernel, computed here once for every path:
 * rank-1 (separable) factors with the one tolerance, and magnitude statistics (range, sum,
 * integer-valued taps) that the accuracy rule reads. */
#ifndef FCONV_CORE_KERNEL_INFO_H
#define FCONV_CORE_KERNEL_INFO_H

#include <stddef.h>

#include "error.h"
#include "problem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rank-1 tolerance: a kernel is separable when every tap matches the product of its rounded
 * factors within this times the kernel's largest magnitude. */
#define FCONV_RANK1_TOL_F 1e-6  /* F32, C64 */
#define FCONV_RANK1_TOL_D 1e-13 /* F64, C128 */

/* fconv_kernel_rank1: factor one kernel's taps w (k[0] x k[1] x k[2], natural order, dtype t) as
 * A (x) B (x) C into fac = A (k[0] elements) | B (k[1]) | C (k[2]), in dtype t: A and B are 1 at
 * the largest-magnitude tap (the pivot), C is w's row through the pivot (it carries the scale,
 * so an axis with k == 1 other than axis 2 has factor exactly 1). The check uses the factors as
 * stored. Returns 1 when separable (fac written), 0 otherwise (all-zero and non-finite kernels
 * included; fac may be partly written). */
FCONV_HIDDEN int fconv_kernel_rank1(fconv_dtype t, const size_t k[3], const void *w, void *fac);

/* Magnitude statistics of one kernel (elements of dtype t; real and imaginary parts alike). */
typedef struct fconv_kernel_stats {
  double max_abs;     /* largest |part| */
  double min_abs;     /* smallest non-zero |part| (+inf when none) */
  double sum_abs;     /* sum of |part| */
  int integer;        /* every part is integer-valued */
  int finite;         /* every part is finite */
} fconv_kernel_stats;

FCONV_HIDDEN void fconv_kernel_stats_of(fconv_dtype t, const void *h, size_t elems,
                                        fconv_kernel_stats *st);

/* What set_kernel learns about a plan's kernels, once, before any path sees them. */
typedef struct fconv_kernel_info {
  const void *host;                /* the kernel_batch kernels, user layout, host memory */
  size_t kernel_batch;
  const fconv_kernel_stats *stats; /* kernel_batch entries */
} fconv_kernel_info;

/* Fill info for the kernels of p at host (stats: room for p->kernel_batch entries). */
FCONV_HIDDEN void fconv_kernel_info_init(const fconv_problem *p, const void *host,
                                         fconv_kernel_stats *stats, fconv_kernel_info *info);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_CORE_KERNEL_INFO_H */
