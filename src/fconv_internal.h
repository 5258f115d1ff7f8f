/* fconv_internal.h — the contract between the api layer, dispatch and every backend path.
 *
 * Data flows one way: api (validation, plan lifecycle) -> dispatch (choice) -> one path.
 * Every path sees the same normalised problem: rank 3, with the user's axes at the END (a 1-D
 * problem of N samples is [1,1,N]; the unused leading axes have n = k = 1, no padding, stride 1),
 * output extents already computed, VALID's swap rule already applied. Shape and boundary math
 * lives here and in shape.c only; no path re-derives output sizes.
 */
#ifndef FCONV_INTERNAL_H
#define FCONV_INTERNAL_H

#include "fconv.h"
#include "core/threads.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FCONV_HIDDEN __attribute__((visibility("hidden")))

/* Functions shared by host code and CUDA device code (and the CUDA emulator used in tests). */
#if defined(__CUDACC__)
#define FCONV_HD __host__ __device__
#else
#define FCONV_HD
#endif

/* ---- errors and logging ------------------------------------------------------------------ */

/* Debug logging: printed to stderr only when the environment variable FCONV_DEBUG is set to a
 * non-empty value other than "0". Never used for the caller's mistakes otherwise. */
FCONV_HIDDEN int fconv_debug_enabled(void);
FCONV_HIDDEN void fconv_log(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define FCONV_LOG(...) \
  do { if (fconv_debug_enabled()) fconv_log(__FILE__, __LINE__, __VA_ARGS__); } while (0)

/* RETURN_IF(cond, status, "why"): leave with status when cond holds (logs why under FCONV_DEBUG). */
#define FCONV_RETURN_IF(cond, st, why)                                      \
  do {                                                                      \
    if (cond) {                                                             \
      FCONV_LOG("%s: %s", fconv_status_string(st), (why));                  \
      return (st);                                                          \
    }                                                                       \
  } while (0)
/* FORWARD(expr): evaluate a call returning fconv_status; leave with it unless FCONV_OK. */
#define FCONV_FORWARD(expr)                                                 \
  do {                                                                      \
    fconv_status fconv_fw_st_ = (expr);                                     \
    if (fconv_fw_st_ != FCONV_OK) return fconv_fw_st_;                      \
  } while (0)

/* ---- dtypes ------------------------------------------------------------------------------ */

/* X(ENUM, ctype-of-one-scalar, suffix, is_complex) for the four dtypes. */
#define FCONV_FOR_EACH_DTYPE(X)          \
  X(FCONV_F32, float, f32, 0)            \
  X(FCONV_F64, double, f64, 0)           \
  X(FCONV_C64, float, c64, 1)            \
  X(FCONV_C128, double, c128, 1)

static inline size_t fconv_dtype_size(fconv_dtype t) {
  return t == FCONV_F32 ? 4 : t == FCONV_F64 ? 8 : t == FCONV_C64 ? 8 : 16;
}
static inline int fconv_dtype_is_complex(fconv_dtype t) {
  return t == FCONV_C64 || t == FCONV_C128;
}
static inline int fconv_dtype_is_double(fconv_dtype t) {
  return t == FCONV_F64 || t == FCONV_C128;
}

/* ---- the normalised problem -------------------------------------------------------------- */

typedef struct fconv_axis {
  size_t n;      /* signal extent (after VALID swap: the larger operand) */
  size_t k;      /* kernel extent */
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
  size_t ker_elems;         /* elements of one kernel: k0*k1*k2 */
  size_t out_elems;         /* elements of one output: out0*out1*out2 */
  int threads;              /* resolved CPU threads, >= 1 */
  unsigned flags;           /* FCONV_FLAG_* */
  int swapped;              /* VALID rule 6 applied: the path's "signal" is the user's kernel */
  int signal_flip;          /* only ever set for device-pointer CUDA plans: the path must use
                               flip(conj(signal)) as its signal (swapped CORRELATE). Host-pointer
                               plans get the flipped operand materialised by the api. */
} fconv_problem;

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

/* Fast FFT length >= n: smallest 2^a 3^b 5^c 7^d. Returns 0 on overflow. */
FCONV_HIDDEN size_t fconv_fft_size(size_t n);
/* Fast even FFT length >= n (r2c likes even lengths). */
FCONV_HIDDEN size_t fconv_fft_size_even(size_t n);

/* size_t arithmetic that reports overflow: return 0 on success, 1 on overflow. */
static inline int fconv_mul_ovf(size_t a, size_t b, size_t *r) {
  return __builtin_mul_overflow(a, b, r);
}
static inline int fconv_add_ovf(size_t a, size_t b, size_t *r) {
  return __builtin_add_overflow(a, b, r);
}

/* ---- memory ------------------------------------------------------------------------------ */

/* 64-byte aligned host allocation; NULL on failure or bytes == 0 overflow. Free with fconv_free.
 * fconv_calloc zeroes. The env var FCONV_FAIL_ALLOC_AFTER=N (tests only) makes allocation N+1
 * and later ones fail (only N+1 with FCONV_FAIL_ALLOC_ONLY=1), to test out-of-memory paths. */
FCONV_HIDDEN void *fconv_malloc(size_t bytes);
FCONV_HIDDEN void *fconv_calloc(size_t bytes);
FCONV_HIDDEN void fconv_free(void *p);

/* ---- CPU threads: fconv_parallel_for, fconv_cpu_count (core/threads.h) -------------------- */

/* Wall clock in seconds (monotonic). */
FCONV_HIDDEN double fconv_now(void);

/* ---- backend paths ----------------------------------------------------------------------- */

/* One computation path. The api owns the plan; the path owns `state`.
 * Lifecycle: create (all planning and allocation) -> set_kernel* -> execute* -> destroy.
 * Contract for every path:
 *  - estimate(p): modelled seconds for one execute of p (all count outputs), or a negative
 *    value when this path cannot run p in this build. Cheap, no allocation.
 *  - create(p, &state): plan and allocate. p is copied by the path if it needs it later. On
 *    failure nothing is leaked and *state is untouched.
 *  - set_kernel(state, kernel): kernel_batch kernels in user layout (the user's h, not taps).
 *    For host-pointer plans it is the api's own copy, valid until the next set_kernel or
 *    destroy, so the path may keep the pointer. For device-pointer CUDA plans it is the
 *    caller's device pointer: the path copies what it needs. May be NULL in the vtable when the
 *    path needs no precomputation (execute then receives the api's copy explicitly).
 *  - execute(state, signal, kernel, out): kernel NULL means "the one given to set_kernel".
 *    Writes all count outputs. Never allocates (all scratch is made in create).
 *  - refine(state, kernel): optional (may be NULL): modelled seconds once the kernel is known
 *    (e.g. the direct path's separable cost; FFT's +infinity when accuracy needs direct).
 *    Called by dispatch from set_kernel to re-choose between the plan's candidate states.
 *  - describe(state, info): optional: fill transform_shape, block_shape, separable, isa,
 *    workspace_bytes.
 *  - set_stream, set_workspace, workspace_size: CUDA paths only (NULL elsewhere). */
typedef struct fconv_path_vtbl {
  const char *name; /* "cpu-direct", "cpu-fft", "cpu-overlap-save", "cuda-direct", ... */
  fconv_backend backend;
  fconv_method method;
  double (*estimate)(const fconv_problem *p);
  fconv_status (*create)(const fconv_problem *p, void **state);
  fconv_status (*set_kernel)(void *state, const void *kernel);
  fconv_status (*execute)(void *state, const void *signal, const void *kernel, void *out);
  void (*destroy)(void *state);
  double (*refine)(void *state, const void *kernel);
  void (*describe)(const void *state, fconv_plan_info *info);
  fconv_status (*set_stream)(void *state, void *stream);
  fconv_status (*set_workspace)(void *state, void *ws, size_t bytes);
  size_t (*workspace_size)(const void *state);
} fconv_path_vtbl;

extern FCONV_HIDDEN const fconv_path_vtbl fconv_cpu_direct_path;
extern FCONV_HIDDEN const fconv_path_vtbl fconv_cpu_fft_path;
extern FCONV_HIDDEN const fconv_path_vtbl fconv_cpu_overlap_save_path;
#ifdef FCONV_HAVE_CUDA
extern FCONV_HIDDEN const fconv_path_vtbl fconv_cuda_direct_path;
extern FCONV_HIDDEN const fconv_path_vtbl fconv_cuda_fft_path;
extern FCONV_HIDDEN const fconv_path_vtbl fconv_cuda_overlap_save_path;
/* Usable CUDA devices (0 on any driver/runtime error, which is cleared). */
FCONV_HIDDEN int fconv_cuda_devices(void);
#endif

/* ---- dispatch ---------------------------------------------------------------------------- */

/* A plan's candidate: a path and its state. */
typedef struct fconv_candidate {
  const fconv_path_vtbl *path;
  void *state;
  double seconds; /* modelled (or measured) */
} fconv_candidate;

#define FCONV_MAX_CANDIDATES 2

/* fconv_dispatch_create: choose a backend and method for p as requested, create the chosen
 * path's state (and for CPU AUTO-method plans, a second candidate that set_kernel may switch
 * to: the direct path when another method won), fill info's backend/method/estimates/reason.
 * cand[0] is the active one. On failure nothing is leaked. */
FCONV_HIDDEN fconv_status fconv_dispatch_create(const fconv_problem *p, fconv_method method,
                                                fconv_backend backend,
                                                fconv_candidate cand[FCONV_MAX_CANDIDATES],
                                                int *ncand, fconv_plan_info *info);

/* fconv_dispatch_refine: after set_kernel, let each candidate's refine() re-estimate with the
 * kernel known, and make the cheapest active (swap it into cand[0]); updates info. */
FCONV_HIDDEN void fconv_dispatch_refine(fconv_candidate cand[FCONV_MAX_CANDIDATES], int ncand,
                                        const void *kernel, fconv_plan_info *info);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_INTERNAL_H */
