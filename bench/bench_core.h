/* bench_core.h — the benchmark's pure parts, kept apart from main() so the tests can call them:
 * the case grammar, the benchmark matrices, the bench's own geometry (an independent statement
 * of the semantics in include/fconv.h, used to cross-check the library), the scalar oracle,
 * the result comparison and tolerance, and summary statistics.
 *
 * Case grammar (one benchmark row):
 *   RANKd:DTYPE:SHAPE:kKSHAPE:MODE:METHOD:BACKEND[:bBATCH][:kbKB][:sSTRIDE][:corr][:BOUNDARY][:dev]
 *     RANK      1, 2 or 3
 *     DTYPE     f32 | f64 | c64 | c128
 *     SHAPE     extents joined by 'x', C order (last axis fastest); one extent is broadcast to
 *               every axis; an extent is decimal or 2^E  (2048x2048, 2^20, 128)
 *     KSHAPE    the same for the kernel, after a 'k'  (k7x7, k16)
 *     MODE      full | same | valid
 *     METHOD    direct | fft | os | auto      ('*' expands to all four in a case list)
 *     BACKEND   cpu | cuda | auto             ('*' expands to cpu and cuda)
 *     options in any order: bN (batch), kbN (kernel batch), sN or sAxB.. (stride), corr
 *     (cross-correlation; 'conv' is the default), zero | wrap | symmetric | mirror | replicate
 *     (boundary, zero the default), dev (CUDA: device-resident arrays, FCONV_FLAG_DEVICE_POINTERS)
 *   A "problem" is a case without METHOD and BACKEND (and dev): what peers are compared on.
 */
#ifndef FCONV_BENCH_CORE_H
#define FCONV_BENCH_CORE_H

#include "fconv.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

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
 * or -1 for an unknown name. */
long bench_matrix(const char *name, int gpu, bench_row **rows);

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

/* Extended-signal index map (rule 3): signal index read by position i relative to the first
 * sample, or -1 for a zero. */
long long bench_ext_index(long long i, long long n, fconv_boundary b);

/* Scalar oracle in double precision: output element t (rank-3 output coordinates) of item i.
 * out[0] = real part, out[1] = imaginary part. Reads the user's arrays directly. */
void bench_oracle(const bench_case *c, const bench_geom *g, const void *signal,
                  const void *kernel, size_t item, const size_t t[3], double out[2]);

/* Copy the box of the extended signal that output box [t0, t0+T) of item i reads into dst
 * (dense, extents (T-1)*s + k per axis). Not for swapped problems. */
void bench_extract_window(const bench_case *c, const bench_geom *g, const void *signal,
                          size_t item, const size_t t0[3], const size_t T[3], void *dst,
                          size_t wext[3]);

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

#ifdef __cplusplus
}
#endif

#endif /* FCONV_BENCH_CORE_H */
