/* core/problem.h — the normalised problem every path sees, and the one function that derives it
 * from a descriptor (validation, padding windows (rule 2), output extents (rules 4, 5), the VALID
 * swap (rule 6), the operand flip, batch pairing counts (rule 7)). No other code derives them.
 *
 * The problem is rank 3, with the user's axes at the END (a 1-D problem of N samples is
 * [1,1,N]; the unused leading axes have n = k = 1, no padding, stride 1). */
#ifndef FCONV_CORE_PROBLEM_H
#define FCONV_CORE_PROBLEM_H

#include <stddef.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fconv_axis {
  size_t n;      /* signal extent (after VALID swap: the larger operand) */
  size_t k;      /* kernel extent the paths see: the effective (k_taps-1)*dil + 1 */
  size_t kt;     /* the user's kernel extent (taps) */
  size_t dil;    /* tap spacing (>= 1); k == kt when 1 */
  size_t p0, p1; /* padding before / after (rule 2) */
  size_t len;    /* unstrided output length: n + p0 + p1 - k + 1  (>= 1) */
  size_t stride; /* >= 1 */
  size_t out;    /* outputs: ceil(len / stride) */
} fconv_axis;

typedef struct fconv_problem {
  int rank;                 /* the user's rank, 1..3 (axes 3-rank.. 2 are the user's) */
  fconv_dtype dtype;
  size_t esize;             /* bytes per element */
  int is_complex;
  fconv_op op;
  fconv_boundary boundary;
  fconv_axis ax[3];         /* axis 0 slowest, axis 2 contiguous */
  size_t batch;             /* signals */
  size_t kernel_batch;      /* kernels */
  size_t count;             /* outputs: max(batch, kernel_batch) */
  size_t sig_elems;         /* elements of one signal: n0*n1*n2 */
  size_t ker_elems;         /* elements of one kernel as the paths see it: k0*k1*k2 (dilated) */
  size_t tap_elems;         /* elements of one user kernel: kt0*kt1*kt2 */
  int dilated;              /* some axis has dil > 1: the api zero-stuffs kernels (geometry.c) */
  /* channels (fconv_desc_set_channels; all 1 for a plain problem). Signal item b is C_in
   * signals, output item b is C_out outputs, and each of the kernel_batch (= 1 when
   * multichannel) kernels is C_out x cig filters. */
  size_t cin, cout, groups;
  size_t cig, cog;          /* channels per group: cin / groups, cout / groups */
  size_t filters;           /* filters per kernel item: cout * cig */
  int multichannel;         /* cin > 1 or cout > 1: only the channel paths run it */
  size_t out_elems;         /* elements of one output: out0*out1*out2 */
  int threads;              /* CPU threads >= 1 (the api resolves the request 0 = all cores) */
  unsigned flags;           /* FCONV_FLAG_* */
  int swapped;              /* VALID rule 6 applied: the path's "signal" is the user's kernel */
  int signal_flip;          /* only ever set for device-pointer CUDA plans: the path must use
                               flip(conj(signal)) as its signal (swapped CORRELATE). Host-pointer
                               plans get the flipped operand materialised by the api. */
} fconv_problem;

/* Validate d and build p. FCONV_ERR_INVALID_ARGUMENT (with the reason under FCONV_DEBUG) for
 * every malformed descriptor, including element or byte counts that overflow size_t. */
FCONV_HIDDEN fconv_status fconv_problem_init(const fconv_desc *d, fconv_problem *p);

/* Bytes of the user's kernel array(s) as set_kernel reads them (the swapped problem's signals). */
FCONV_HIDDEN size_t fconv_problem_kernel_bytes(const fconv_problem *p);
/* Bytes of the kernels as the paths receive them (dilated; not for swapped problems). */
FCONV_HIDDEN size_t fconv_problem_path_kernel_bytes(const fconv_problem *p);
/* Elements of the whole signal array (batch x C_in x n) and output array (count x C_out x out). */
FCONV_HIDDEN size_t fconv_problem_signal_total(const fconv_problem *p);
FCONV_HIDDEN size_t fconv_problem_output_total(const fconv_problem *p);

/* The one place that knows the descriptor's ABI rule: copy the 0.1 fields of *d into *dst, and
 * the extension fields when d->flags has FCONV_FLAG_EXTENDED, else their defaults (a caller built
 * against 0.1 passes the shorter struct: nothing past its flags is read). */
FCONV_HIDDEN void fconv_desc_read(const fconv_desc *d, fconv_desc *dst);
/* Fill d's extension fields with their defaults and set FCONV_FLAG_EXTENDED (the setters). */
FCONV_HIDDEN void fconv_desc_extend(fconv_desc *d);
/* Bytes of the user's signal array(s) as execute reads them (the swapped problem's kernels). */
FCONV_HIDDEN size_t fconv_problem_signal_bytes(const fconv_problem *p);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_CORE_PROBLEM_H */
