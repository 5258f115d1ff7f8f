/* core/boundary.h — the boundary index map (rule 3) and the batch pairing (rule 7): the one
 * definition, shared by host code and CUDA device code. */
#ifndef FCONV_CORE_BOUNDARY_H
#define FCONV_CORE_BOUNDARY_H

#include <stddef.h>

#include "problem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Pairing (rule 7): which signal and which kernel make output i. */
FCONV_HD static inline size_t fconv_signal_of(const fconv_problem *p, size_t i) {
  return p->batch == 1 ? 0 : i;
}
FCONV_HD static inline size_t fconv_kernel_of(const fconv_problem *p, size_t i) {
  return p->kernel_batch == 1 ? 0 : i;
}

/* Boundary index map (rule 3): the signal index that extended position i (relative to the
 * signal's first sample, i.e. i = e - p0 for window coordinate e) reads, or -1 for a zero.
 * Repeats as often as needed when the padding is longer than the signal. */
FCONV_HD static inline ptrdiff_t fconv_bmap(ptrdiff_t i, size_t n_, fconv_boundary b) {
  const ptrdiff_t n = (ptrdiff_t)n_;
  if (i >= 0 && i < n) return i;
  switch (b) {
  case FCONV_BOUNDARY_ZERO:
    return -1;
  case FCONV_BOUNDARY_WRAP: {
    ptrdiff_t r = i % n;
    return r < 0 ? r + n : r;
  }
  case FCONV_BOUNDARY_SYMMETRIC: { /* period 2n: a b c d | d c b a */
    ptrdiff_t r = i % (2 * n);
    if (r < 0) r += 2 * n;
    return r < n ? r : 2 * n - 1 - r;
  }
  case FCONV_BOUNDARY_MIRROR: { /* period 2n-2: a b c d | c b */
    if (n == 1) return 0;
    ptrdiff_t r = i % (2 * n - 2);
    if (r < 0) r += 2 * n - 2;
    return r < n ? r : 2 * n - 2 - r;
  }
  case FCONV_BOUNDARY_REPLICATE:
    return i < 0 ? 0 : n - 1;
  }
  return -1;
}

#ifdef __cplusplus
}
#endif

#endif /* FCONV_CORE_BOUNDARY_H */
