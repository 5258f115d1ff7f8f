/* bench_core.h — the benchmark's pure parts, kept apart from main() so the tests can call them:
 * the case grammar, the benchmark matrices, the bench's own geometry (an independent statement
 * of the semantics in include/fconv.h, used to cross-check the library), the scalar oracle,
 * the result comparison and tolerance, and summary statistics.
 *
 * Case grammar (one benchmark row):
 *   RANKd:DTYPE:SHAPE:kKSHAPE[@KIND]:MODE:METHOD:BACKEND[:bBATCH][:kbKB][:sSTRIDE][:corr]
 *       [:BOUNDARY][:CALL][:dev]
 *     RANK      1, 2 or 3
 *     DTYPE     f32 | f64 | c64 | c128
 *     SHAPE     extents joined by 'x', C order (last axis fastest); one extent is broadcast to
 *               every axis; an extent is decimal or 2^E  (2048x2048, 2^20, 128)
 *     KSHAPE    the same for the kernel, after a 'k'  (k7x7, k16)
 *     KIND      what the kernel holds (its content steers AUTO's kernel-aware refinement):
 *               rand   uniform noise in [-1, 1) (the default; not written in canonical strings)
 *               decay  the same noise times 10^(-3 r), r = normalised distance from the first
 *                      tap in [0, 1]: -60 dB at the far end (a reverb impulse response)
 *               disk   ones inside the ellipse inscribed in the kernel box, zeros outside
 *                      (1-D: all ones); integer taps
 *               gauss  exp(-d^2 / 2) with d in units of sigma = (K - 1) / 8 per axis from the
 *                      centre (truncated at 4 sigma, as scipy.ndimage), normalised to sum 1
 *               box    every tap 1 / taps (a mean filter)
 *               The deterministic kinds are real (imaginary parts 0 for complex dtypes) and the
 *               same for every kernel of a kernel batch; rand and decay differ per kernel.
 *     MODE      full | same | valid
 *     METHOD    direct | fft | os | auto      ('*' expands to all four in a case list)
 *     BACKEND   cpu | cuda | auto             ('*' expands to cpu and cuda)
 *     options in any order: bN (batch), kbN (kernel batch), sN or sAxB.. (stride), corr
 *     (cross-correlation; 'conv' is the default), zero | wrap | symmetric | mirror | replicate
 *     (boundary, zero the default), dev (CUDA: device-resident arrays, FCONV_FLAG_DEVICE_POINTERS),
 *     CALL: how the row calls fconv (see bench_call):
 *               exec     plan once, fconv_execute(plan, x, h, y) per repetition (the kernel is
 *                        passed every call; no kernel-aware refinement)
 *               reuse    plan once, fconv_plan_set_kernel(plan, h) once, then
 *                        fconv_execute(plan, x, NULL, y) per repetition (the README's reuse
 *                        pattern; AUTO's kernel-aware refinement runs at set_kernel)
 *               oneshot  fconv_convolve(desc, x, h, y) per repetition: create + execute +
 *                        destroy; the first call of the row's fresh process is reported apart
 *               none     (no CALL token) the row is expanded by bench_expand_calls; canonical
 *                        strings write reuse and oneshot and leave exec out
 *   A "problem" is a case without METHOD and BACKEND (and CALL and dev): what peers are compared
 *   on. The kernel KIND is part of the problem.
 */
#ifndef FCONV_BENCH_CORE_H
#define FCONV_BENCH_CORE_H

#include "fconv.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Kernel content (the grammar's @KIND). */
typedef enum bench_kernel_kind {
  BENCH_KERNEL_RAND, BENCH_KERNEL_DECAY, BENCH_KERNEL_DISK, BENCH_KERNEL_GAUSS, BENCH_KERNEL_BOX
} bench_kernel_kind;

/* How a row calls fconv (the grammar's CALL option). BENCH_CALL_NONE: not given. */
typedef enum bench_call {
  BENCH_CALL_NONE, BENCH_CALL_EXEC, BENCH_CALL_REUSE, BENCH_CALL_ONESHOT
} bench_call;

typedef struct bench_case {
  int rank;
  fconv_dtype dtype;
  size_t n[FCONV_MAX_RANK];      /* signal extents (rank entries, rest 1) */
  size_t k[FCONV_MAX_RANK];      /* kernel extents */
  fconv_mode mode;
  fconv_method method;
  fconv_backend backend;
  size_t batch, kernel_batch;
  size_t stride[FCONV_MAX_RANK];
  fconv_op op;
  fconv_boundary boundary;
  int device_ptrs;               /* ":dev" */
  bench_kernel_kind kernel_kind; /* "@KIND" after the kernel shape */
  bench_call call;               /* ":exec", ":reuse", ":oneshot" */
} bench_case;

/* Parse one case string. Returns 0 and fills *c, or -1 and writes a message to err. '*' is
 * not accepted here (see bench_expand). */
int bench_parse_case(const char *s, bench_case *c, char *err, size_t errlen);
/* Canonical strings: the full case, and the problem (no method, backend or dev). */
void bench_format_case(const bench_case *c, char *buf, size_t len);
void bench_format_problem(const bench_case *c, char *buf, size_t len);
/* Short names used in the grammar ("os" for overlap-save). */
const char *bench_method_token(fconv_method m);
const char *bench_backend_token(fconv_backend b);
const char *bench_kernel_kind_token(bench_kernel_kind k);
/* "exec", "reuse", "oneshot" ("exec" for BENCH_CALL_NONE: what such a row does unexpanded). */
const char *bench_call_token(bench_call c);

/* Expand a case string whose METHOD and/or BACKEND may be '*' into cases appended to a
 * growable array (*cases, *count, *cap; realloc'd). Returns 0, or -1 with a message. */
int bench_expand(const char *s, bench_case **cases, size_t *count, size_t *cap, char *err,
                 size_t errlen);

/* One matrix row: a group name (what the report does with it) and a case. */
typedef struct bench_row {
  char group[48];             /* "target", "sweep-k1d", ...; "a+b" when in several */
  bench_case c;
} bench_row;

/* Build the named matrix ("default" or "full"). gpu: a CUDA device exists (adds the GPU cases
 * on the CPU too, and device-resident rows). Returns the number of rows (malloc'd into *rows),
 * or -1 for an unknown name. Rows come without a CALL (see bench_expand_calls). */
long bench_matrix(const char *name, int gpu, bench_row **rows);

/* Call paths to measure (bench_expand_calls). */
#define BENCH_CALLS_EXEC    1u
#define BENCH_CALLS_REUSE   2u
#define BENCH_CALLS_ONESHOT 4u
#define BENCH_CALLS_ALL     7u
/* Parse a comma list of call names ("exec,reuse,oneshot", or "all"): the mask, or 0 when bad. */
unsigned bench_parse_calls(const char *s);

/* Replace every row without a CALL by one row per call path in `calls`, in place of the row and
 * in the order exec, reuse, oneshot: exec and reuse for every row, oneshot only for AUTO-method
 * rows on host arrays (what a one-shot user calls). Rows with a CALL stay as they are. Returns
 * the new count (*rows realloc'd), or -1 when out of memory (*rows unchanged). */
long bench_expand_calls(bench_row **rows, size_t n, unsigned calls);

/* ---- geometry: the semantics of fconv.h restated independently, normalised to rank 3 ------- */

typedef struct bench_geom {
  int swapped;             /* VALID with the kernel at least as large: roles exchanged */
  size_t n[3], k[3];       /* operand extents as computed (after a swap: n = user's kernel) */
  size_t p0[3], p1[3], s[3];
  size_t len[3], out[3];   /* unstrided and strided output extents */
  size_t sig_elems, ker_elems, out_elems; /* per item, the user's signal and kernel */
  size_t count;            /* outputs: max(batch, kernel_batch) */
  double taps;             /* multiply-adds per output of the direct method */
  double log2_len;         /* log2 of the padded (transform) size */
} bench_geom;

/* Fill g for c. Returns 0, or -1 when c is not a valid problem (the library must reject it). */
int bench_geom_init(const bench_case *c, bench_geom *g);

/* ---- boundary extension (rule 3), by numpy.pad's own algorithm --------------------------------
 * np.pad fills one axis's pad areas by iterated chunk copies from the data next to them: 'wrap'
 * copies the nearest whole periods, 'symmetric' and 'reflect' mirror a chunk about the current
 * edge (with or without the edge sample), each pass growing the filled span, until the pads are
 * full (numpy/lib/arraypad.py, _set_wrap_both and _set_reflect_both, with the chunk rounded to
 * whole periods as numpy's fix for pads longer than the signal does: the extension repeats as
 * often as needed). 'edge' copies the edge sample; 'constant' writes zeros; 'reflect' and
 * 'symmetric' of one sample are 'edge' (numpy's legacy rule). The bench runs this algorithm on a
 * line of source indices, so it states rule 3 independently of the library's index arithmetic.
 * np.pad pads axis after axis, each pass copying whole slices along the others, so the padded
 * array is the gather xe[i0, i1, i2] = x[m0(i0), m1(i1), m2(i2)] of the per-axis index lines
 * (a zero when any of them is -1): one line per axis is the whole extension. */

/* np.pad of the index line 0..n-1 by (left, right) with boundary b: line[left + n + right]
 * receives the source index of every position (-1 for a zero). */
void bench_pad_index_line(long long *line, size_t n, size_t left, size_t right, fconv_boundary b);

/* The extension of one problem: per axis (rank 3, leading axes trivial) the index line of the
 * operand that is extended, stored as its two pad areas (the middle is the identity). */
typedef struct bench_ext {
  size_t n[3], p0[3], p1[3];
  long long *left[3], *right[3];
} bench_ext;

/* Build e for c (g from bench_geom_init). Returns 0, or -1 when out of memory. */
int bench_ext_init(bench_ext *e, const bench_case *c, const bench_geom *g);
void bench_ext_free(bench_ext *e);
/* Source index of extended position pos (0 <= pos < n + p0 + p1) on axis a, or -1 (a zero). */
long long bench_ext_at(const bench_ext *e, int a, size_t pos);

/* Scalar oracle in double precision: output element t (rank-3 output coordinates) of item i.
 * out[0] = real part, out[1] = imaginary part. Reads the user's arrays directly. */
void bench_oracle(const bench_case *c, const bench_geom *g, const bench_ext *e,
                  const void *signal, const void *kernel, size_t item, const size_t t[3],
                  double out[2]);

/* Copy the box of the extended signal that output box [t0, t0+T) of item i reads into dst
 * (dense, extents (T-1)*s + k per axis). Not for swapped problems. */
void bench_extract_window(const bench_case *c, const bench_geom *g, const bench_ext *e,
                          const void *signal, size_t item, const size_t t0[3], const size_t T[3],
                          void *dst, size_t wext[3]);

/* ---- verification -------------------------------------------------------------------------- */

/* Accumulates max |y - ref| and max |ref| over compared elements (complex: modulus). A NaN or
 * infinity in y makes the error infinite. */
typedef struct bench_cmp {
  double max_err, max_ref;
  size_t compared;
  size_t worst_index;      /* index (within the last compare call) of the worst element */
} bench_cmp;

void bench_cmp_init(bench_cmp *m);
/* Compare n elements of dtype: y against ref (same layout). */
void bench_cmp_add(bench_cmp *m, fconv_dtype t, const void *y, const void *ref, size_t n);
/* Compare one element of y against a double-precision reference value (re, im). */
void bench_cmp_add_point(bench_cmp *m, fconv_dtype t, const void *y_elem, const double ref[2]);
/* max_err / max_ref (max_err when max_ref is 0). */
double bench_cmp_rel(const bench_cmp *m);
/* The tolerance for a relative max error: C * eps(dtype) * (log2(transform size) + sqrt(taps)). */
double bench_tolerance(fconv_dtype t, const bench_geom *g);

/* ---- statistics ---------------------------------------------------------------------------- */

typedef struct bench_stats {
  double median, min, max, q1, q3;
  size_t n;
} bench_stats;

/* Sorts t in place. n == 0 gives NaNs. */
void bench_stats_of(double *t, size_t n, bench_stats *st);

/* Deterministic uniform [-1, 1) fill of `scalars` floats or doubles. */
void bench_fill(void *buf, size_t scalars, int is_double, unsigned long long seed);

/* Fill the case's c->kernel_batch kernels (user extents c->k, dtype c->dtype) with its kernel
 * kind (see the grammar above); the noise of rand and decay comes from bench_fill(seed). */
void bench_fill_kernel(const bench_case *c, void *h, unsigned long long seed);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_BENCH_CORE_H */
