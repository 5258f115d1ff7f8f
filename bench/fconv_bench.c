/* fconv_bench — verifies and times fconv on a list of cases (or a named matrix), writes one CSV
 * row per measurement and human-readable progress on stderr.
 *
 *   fconv_bench [options] CASE...          e.g.  2d:f32:2048x2048:k7x7:same:fft:cpu
 *   fconv_bench --matrix default|full [options]
 *
 * Every result is verified before it is timed: against the CPU direct path (forced
 * METHOD_DIRECT + BACKEND_CPU; the whole output when that is cheap, else tiles at every corner
 * and the centre of the first, middle and last output), and at a few points against the bench's
 * own double-precision scalar oracle. A failed verification is printed loudly and makes the exit
 * status 2. Each row runs in a child process (crash isolation, a per-row --timeout, and a clean
 * CUDA context), using only the public API (fconv.h). See --help and bench_core.h (grammar).
 *
 * Every case is measured on each call path (--calls): the kernel passed to fconv_execute (exec),
 * fconv_plan_set_kernel once + fconv_execute(kernel = NULL) (reuse), and fconv_convolve per call
 * (oneshot, AUTO rows), whose first call in the row's fresh process is reported apart.
 * --contended keeps one busy process (a pure spin loop) running beside every row.
 * --transforms EFFORT also times plain FFTW transforms of the transform shape the plan reports
 * (public API + FFTW only), so the report can show execute / its own transforms.
 */
#define _GNU_SOURCE
#include "bench_core.h"
#include "fconv.h"

#include <fftw3.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef FCONV_BENCH_CUDART
#include <cuda_runtime_api.h>
#endif

#ifndef FCONV_BENCH_BUILD_TYPE
#define FCONV_BENCH_BUILD_TYPE "unknown"
#endif

/* ---- options ------------------------------------------------------------------------------- */

typedef struct options {
  const char *matrix;      /* NULL: the cases on the command line */
  const char *csv;         /* NULL: stdout */
  double budget;           /* seconds of timed repetitions per row */
  int min_reps;
  int threads;             /* fconv desc.threads (0 = all cores) */
  double timeout;          /* seconds per row (child killed after) */
  double verify_full_max;  /* multiply-adds up to which the whole output is verified */
  int plant_error;         /* hidden: corrupt one output element before verification */
  int no_fork;
  int parse_only;
  int list;
  int quiet;
  unsigned calls;          /* BENCH_CALLS_* mask for rows without a CALL */
  int contended;           /* one busy process beside every row */
  const char *transforms;  /* NULL, or the FFTW planner effort for transforms-only timing */
  int run;                 /* run number recorded in the CSV (scripts/bench.sh --repeat) */
  int no_paired;           /* AUTO rows without the side-by-side forced plans */
} options;

static void usage(FILE *f) {
  fprintf(f,
          "usage: fconv_bench [options] CASE...   |   fconv_bench --matrix default|full [options]\n"
          "\n"
          "CASE: RANKd:DTYPE:SHAPE:kKSHAPE[@KIND]:MODE:METHOD:BACKEND[:bN][:kbN][:sN][:corr]\n"
          "      [:BOUNDARY][:CALL][:dev]\n"
          "  e.g. 2d:f32:2048x2048:k7x7:same:fft:cpu   1d:f32:480000:k96000@decay:full:auto:cpu\n"
          "  DTYPE f32|f64|c64|c128  MODE full|same|valid  METHOD direct|fft|os|auto|*\n"
          "  BACKEND cpu|cuda|auto|*  BOUNDARY zero|wrap|symmetric|mirror|replicate\n"
          "  KIND rand (default)|decay|disk|gauss|box: the kernel's content (bench_core.h)\n"
          "  CALL exec|reuse|oneshot: one call path (default: the paths of --calls)\n"
          "  dev: CUDA device-resident arrays (FCONV_FLAG_DEVICE_POINTERS)\n"
          "\n"
          "options:\n"
          "  --matrix NAME        default (several minutes on 2 cores) or full (GPU machines)\n"
          "  --csv FILE           write the CSV there (default: stdout)\n"
          "  --budget S           seconds of timed repetitions per row (default 0.4; min reps 3)\n"
          "  --no-paired          AUTO rows (exec, reuse) skip timing AUTO's plan side by side\n"
          "                       with a plan per forced method (the paired regret columns)\n"
          "  --min-reps N         minimum timed repetitions (default 3)\n"
          "  --threads N          CPU threads for fconv (default 2; 0 = all cores)\n"
          "  --timeout S          seconds per row before it is stopped (default 30)\n"
          "  --verify-full-max M  verify the whole output up to M direct multiply-adds\n"
          "                       (default 5e7), else sampled tiles\n"
          "  --calls LIST         call paths for cases without a CALL: exec, reuse, oneshot\n"
          "                       (comma list) or all (default; oneshot for AUTO rows only)\n"
          "  --contended          keep one busy process (a spin loop) running beside every row\n"
          "  --transforms EFFORT  also time plain FFTW transforms of each FFT/overlap-save\n"
          "                       plan's transform shape, planned with EFFORT:\n"
          "                       estimate|measure|patient\n"
          "  --run N              run number written to the CSV header (repeated runs)\n"
          "  --no-fork            run rows in this process (no timeout; for debuggers)\n"
          "  --list               print the rows (group and case) and exit\n"
          "  --parse-only         parse the cases, print them canonically, exit\n"
          "  --quiet              no progress on stderr\n"
          "exit status: 0 all verified, 1 usage, 2 a verification failed, 3 an error or crash\n");
}

/* ---- small utilities ----------------------------------------------------------------------- */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *xalloc(size_t bytes) {
  void *p = NULL;
  if (bytes == 0) bytes = 64;
  if (posix_memalign(&p, 64, (bytes + 63) / 64 * 64)) return NULL;
  return p;
}

static size_t esize(fconv_dtype t) { return t == FCONV_F32 ? 4 : t == FCONV_C128 ? 16 : 8; }
static int is_complex(fconv_dtype t) { return t == FCONV_C64 || t == FCONV_C128; }
static int is_double(fconv_dtype t) { return t == FCONV_F64 || t == FCONV_C128; }

static unsigned long long fnv1a(const char *s) {
  unsigned long long h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

/* CSV field with quotes when needed. */
static void csv_str(FILE *f, const char *s) {
  if (!strpbrk(s, ",\"\n")) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s == '\n' ? ' ' : *s, f);
  }
  fputc('"', f);
}

static void csv_num(FILE *f, double v) {
  if (isnan(v)) return; /* empty field */
  fprintf(f, "%.6g", v);
}

/* ---- the shared result of one row (written by the child, read by the parent) ------------- */

#define MAX_REPS 20000

enum { STAGE_START, STAGE_PLANNED, STAGE_RAN, STAGE_VERIFIED, STAGE_DONE };

typedef struct row_result {
  int stage;
  int failed_verify;     /* 1: the result was wrong */
  int error;             /* 1: an fconv call failed unexpectedly */
  char status[40];       /* ok | FAILED | not built | no device | error | ... */
  char detail[256];      /* why, for anything but ok */
  char method[16], backend[16];
  char reason[160];      /* fconv_plan_info.reason */
  char verify[48];       /* "full", "sampled 15 tiles", ... */
  char transforms[128];  /* what --transforms timed */
  double plan_ms, warm_ms;
  double set_kernel_ms;  /* reuse: fconv_plan_set_kernel */
  double transforms_ms;  /* --transforms: median of the plain FFTW transforms */
  double rel_err, oracle_err, tol;
  int threads;
  int warm_counted;
  /* AUTO rows: AUTO's plan and a plan per forced method called in turn in this process
   * (time_paired): AUTO's regret without the noise between separately timed rows. */
  int paired_rounds;
  double paired_auto_ms, paired_best_ms;
  char paired_best[24];  /* method/backend of the fastest forced plan */
  char paired[256];      /* every forced plan's median, "fft/cpu 0.095; os/cpu 0.093; ..." */
  volatile int nreps;
  double t[MAX_REPS];
} row_result;

static void set_status(row_result *r, const char *status, const char *fmt, ...) {
  snprintf(r->status, sizeof r->status, "%s", status);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->detail, sizeof r->detail, fmt, ap);
  va_end(ap);
}

/* ---- CUDA runtime helpers (only in the CUDA build) ---------------------------------------- */

#ifdef FCONV_BENCH_CUDART
static void *dev_alloc(size_t bytes) {
  void *p = NULL;
  if (cudaMalloc(&p, bytes ? bytes : 64) != cudaSuccess) return NULL;
  return p;
}
static int dev_put(void *d, const void *h, size_t bytes) {
  return cudaMemcpy(d, h, bytes, cudaMemcpyHostToDevice) == cudaSuccess ? 0 : -1;
}
static int dev_get(void *h, const void *d, size_t bytes) {
  return cudaMemcpy(h, d, bytes, cudaMemcpyDeviceToHost) == cudaSuccess ? 0 : -1;
}
static void dev_free(void *p) {
  if (p) cudaFree(p);
}
static void dev_sync(void) { cudaDeviceSynchronize(); }
#else
static void *dev_alloc(size_t bytes) { (void)bytes; return NULL; }
static int dev_put(void *d, const void *h, size_t bytes) { (void)d; (void)h; (void)bytes; return -1; }
static int dev_get(void *h, const void *d, size_t bytes) { (void)d; (void)h; (void)bytes; return -1; }
static void dev_free(void *p) { (void)p; }
static void dev_sync(void) {}
#endif

/* ---- verification -------------------------------------------------------------------------- */

static void desc_of(const bench_case *c, int threads, fconv_desc *d) {
  fconv_desc_init(d, c->rank, c->n, c->k, c->dtype);
  d->mode = c->mode;
  d->op = c->op;
  d->boundary = c->boundary;
  d->batch = c->batch;
  d->kernel_batch = c->kernel_batch;
  for (int a = 0; a < c->rank; a++) d->stride[a] = c->stride[a];
  d->method = c->method;
  d->backend = c->backend;
  d->threads = threads;
  d->flags = c->device_ptrs ? FCONV_FLAG_DEVICE_POINTERS : 0;
}

/* Run the CPU direct path on desc d (method and backend forced); out allocated by the caller. */
static fconv_status reference_run(fconv_desc d, const void *x, const void *h, void *out) {
  d.method = FCONV_METHOD_DIRECT;
  d.backend = FCONV_BACKEND_CPU;
  d.flags = 0;
  return fconv_convolve(&d, x, h, out);
}

/* Verify y (host, all outputs) of case c. Fills r->verify, r->rel_err, r->oracle_err, r->tol;
 * returns 0 when within tolerance, 1 when wrong, -1 when the reference itself failed. */
static int verify_with(const bench_case *c, const bench_geom *g, const bench_ext *e,
                       const options *o, const void *x, const void *h, const void *y,
                       row_result *r, bench_cmp *mp, bench_cmp *mop);

static int verify(const bench_case *c, const bench_geom *g, const options *o, const void *x,
                  const void *h, const void *y, row_result *r) {
  bench_cmp m, mo;
  bench_cmp_init(&m);
  bench_cmp_init(&mo);
  r->tol = bench_tolerance(c->dtype, g);
  bench_ext e;
  if (bench_ext_init(&e, c, g)) {
    set_status(r, "error", "out of memory for the boundary extension");
    return -1;
  }
  const int v = verify_with(c, g, &e, o, x, h, y, r, &m, &mo);
  bench_ext_free(&e);
  if (v < 0) return -1;
  r->rel_err = bench_cmp_rel(&m);
  const int bad = !(r->rel_err <= r->tol) || (!isnan(r->oracle_err) && !(r->oracle_err <= r->tol));
  return bad ? 1 : 0;
}

static int verify_with(const bench_case *c, const bench_geom *g, const bench_ext *e,
                       const options *o, const void *x, const void *h, const void *y,
                       row_result *r, bench_cmp *mp, bench_cmp *mop) {
  const size_t es = esize(c->dtype);
  const double macs = (double)g->count * (double)g->out_elems * g->taps;
  bench_cmp m = *mp, mo = *mop;
  fconv_desc d;
  desc_of(c, o->threads, &d);

  if (macs <= o->verify_full_max || g->swapped) {
    size_t bytes = g->count * g->out_elems * es;
    void *ref = xalloc(bytes);
    if (!ref) { set_status(r, "error", "out of memory for the reference"); return -1; }
    fconv_status st = reference_run(d, x, h, ref);
    if (st != FCONV_OK) {
      set_status(r, "error", "reference (cpu direct) failed: %s", fconv_status_string(st));
      free(ref);
      return -1;
    }
    bench_cmp_add(&m, c->dtype, y, ref, g->count * g->out_elems);
    free(ref);
    snprintf(r->verify, sizeof r->verify, "full");
  } else {
    /* Tiles: every corner and the centre of the first, middle and last output. */
    size_t T[3];
    for (int a = 0; a < 3; a++) T[a] = g->out[a];
    const double tile_macs = 4e6;
    while ((double)T[0] * (double)T[1] * (double)T[2] * g->taps > tile_macs &&
           T[0] * T[1] * T[2] > 1) {
      int big = 0;
      for (int a = 1; a < 3; a++)
        if (T[a] > T[big]) big = a;
      T[big] = (T[big] + 1) / 2;
    }
    size_t wext[3], wmax = 1, tn = T[0] * T[1] * T[2];
    for (int a = 0; a < 3; a++) wmax *= (T[a] - 1) * g->s[a] + g->k[a];
    void *win = xalloc(wmax * es), *ref = xalloc(tn * es), *ytile = xalloc(tn * es);
    if (!win || !ref || !ytile) {
      free(win); free(ref); free(ytile);
      set_status(r, "error", "out of memory for the reference tiles");
      return -1;
    }
    const size_t items[3] = {0, g->count / 2, g->count - 1};
    int tiles = 0;
    for (int ii = 0; ii < 3; ii++) {
      if ((ii == 1 && items[1] == items[0]) || (ii == 2 && (items[2] == items[1] || items[2] == items[0])))
        continue;
      const size_t item = items[ii];
      const int corners = 1 << c->rank;
      for (int q = 0; q <= corners; q++) { /* q == corners: the centre */
        size_t t0[3] = {0, 0, 0};
        for (int a = 3 - c->rank, bit = 0; a < 3; a++, bit++) {
          size_t hi = g->out[a] - T[a];
          t0[a] = q == corners ? hi / 2 : ((q >> bit) & 1) ? hi : 0;
        }
        bench_extract_window(c, g, e, x, item, t0, T, win, wext);
        fconv_desc td;
        size_t wshape[3], kshape[3], stride[3];
        for (int u = 0; u < c->rank; u++) {
          wshape[u] = wext[3 - c->rank + u];
          kshape[u] = c->k[u];
          stride[u] = c->stride[u];
        }
        fconv_desc_init(&td, c->rank, wshape, kshape, c->dtype);
        td.mode = FCONV_MODE_VALID;
        td.op = c->op;
        td.threads = o->threads;
        for (int u = 0; u < c->rank; u++) td.stride[u] = stride[u];
        const size_t kb = c->kernel_batch == 1 ? 0 : item;
        fconv_status st = reference_run(td, win, (const char *)h + kb * g->ker_elems * es, ref);
        if (st != FCONV_OK) {
          set_status(r, "error", "reference tile (cpu direct) failed: %s", fconv_status_string(st));
          free(win); free(ref); free(ytile);
          return -1;
        }
        /* The same box of y. */
        const char *yi = (const char *)y + item * g->out_elems * es;
        char *dst = (char *)ytile;
        for (size_t i0 = 0; i0 < T[0]; i0++)
          for (size_t i1 = 0; i1 < T[1]; i1++) {
            size_t off = ((t0[0] + i0) * g->out[1] + t0[1] + i1) * g->out[2] + t0[2];
            memcpy(dst, yi + off * es, T[2] * es);
            dst += T[2] * es;
          }
        bench_cmp_add(&m, c->dtype, ytile, ref, tn);
        tiles++;
      }
    }
    free(win); free(ref); free(ytile);
    snprintf(r->verify, sizeof r->verify, "sampled %d tiles", tiles);
  }

  /* The bench's own oracle at the corners and the centre of the first and last outputs. */
  if (g->taps <= 4e6) {
    const size_t items[2] = {0, g->count - 1};
    for (int ii = 0; ii < 2; ii++) {
      const int corners = 1 << c->rank;
      for (int q = 0; q <= corners; q++) {
        size_t t[3] = {0, 0, 0};
        for (int a = 3 - c->rank, bit = 0; a < 3; a++, bit++)
          t[a] = q == corners ? g->out[a] / 2 : ((q >> bit) & 1) ? g->out[a] - 1 : 0;
        double ref[2];
        bench_oracle(c, g, e, x, h, items[ii], t, ref);
        size_t off = items[ii] * g->out_elems + (t[0] * g->out[1] + t[1]) * g->out[2] + t[2];
        bench_cmp_add_point(&mo, c->dtype, (const char *)y + off * es, ref);
      }
    }
    /* Relative to the reference's scale (the oracle's few points may all be small). */
    double scale = m.max_ref > mo.max_ref ? m.max_ref : mo.max_ref;
    r->oracle_err = isinf(mo.max_err) || isnan(mo.max_err) ? INFINITY
                    : scale > 0 ? mo.max_err / scale : mo.max_err;
  } else {
    r->oracle_err = NAN;
  }
  *mp = m;
  *mop = mo;
  return 0;
}

/* ---- transforms only (--transforms) -------------------------------------------------------- */

/* Times plain FFTW transforms of the plan's transform shape: per item one forward and one
 * inverse transform (FFT), or one pair per overlap-save block, with the block count taken as
 * ceil(unstrided output extent / block extent) per axis (every block; the library may skip
 * blocks that read only zeros). Real dtypes: r2c + c2r; complex: c2c both ways. The transforms
 * run in chunks of `howmany` (a batch of about 2 MiB, so it stays in cache) on per-thread
 * buffers: with at least as many transforms as threads the chunks are shared out over the
 * row's threads (single-threaded FFTW plans, new-array execute); with fewer (one large FFT) one
 * plan runs them with FFTW's own threads. Planned with the requested effort. The kernel's
 * transform (set_kernel caches it) and the library's gather, multiply and crop passes are not
 * included: execute / transforms is the library's overhead over its own transforms. Public API
 * + FFTW only. */
typedef struct fft_ops {
  void *(*alloc)(size_t bytes);
  void (*release)(void *p);
  void *(*plan)(int rank, const int *n, int howmany, int cx, int forward, void *in, void *out,
                unsigned flags);
  void (*exec)(void *plan, int cx, int forward, void *in, void *out);
  void (*destroy)(void *plan);
  void (*nthreads)(int threads);
  size_t real_bytes;
} fft_ops;

/* One precision's wrappers: P the FFTW prefix, REAL the scalar. */
#define FFT_OPS(NAME, P, REAL)                                                                  \
  static void *NAME##_alloc(size_t b) { return P##malloc(b ? b : 64); }                         \
  static void NAME##_release(void *p) { P##free(p); }                                           \
  static void *NAME##_plan(int rank, const int *n, int howmany, int cx, int forward, void *in,  \
                           void *out, unsigned flags) {                                         \
    int pts = 1;                                                                                \
    for (int a = 0; a < rank; a++) pts *= n[a];                                                 \
    const int half = pts / n[rank - 1] * (n[rank - 1] / 2 + 1);                                 \
    if (cx)                                                                                     \
      return P##plan_many_dft(rank, n, howmany, (P##complex *)in, NULL, 1, pts,                 \
                              (P##complex *)out, NULL, 1, pts,                                  \
                              forward ? FFTW_FORWARD : FFTW_BACKWARD, flags);                   \
    if (forward)                                                                                \
      return P##plan_many_dft_r2c(rank, n, howmany, (REAL *)in, NULL, 1, pts,                   \
                                  (P##complex *)out, NULL, 1, half, flags);                     \
    return P##plan_many_dft_c2r(rank, n, howmany, (P##complex *)in, NULL, 1, half, (REAL *)out, \
                                NULL, 1, pts, flags);                                           \
  }                                                                                             \
  static void NAME##_exec(void *plan, int cx, int forward, void *in, void *out) {               \
    if (cx) P##execute_dft((P##plan)plan, (P##complex *)in, (P##complex *)out);                 \
    else if (forward) P##execute_dft_r2c((P##plan)plan, (REAL *)in, (P##complex *)out);         \
    else P##execute_dft_c2r((P##plan)plan, (P##complex *)in, (REAL *)out);                      \
  }                                                                                             \
  static void NAME##_destroy(void *plan) { if (plan) P##destroy_plan((P##plan)plan); }          \
  static void NAME##_nthreads(int t) { P##plan_with_nthreads(t); }                              \
  static const fft_ops NAME = {NAME##_alloc, NAME##_release, NAME##_plan, NAME##_exec,          \
                               NAME##_destroy, NAME##_nthreads, sizeof(REAL)};
FFT_OPS(fft_ops_f32, fftwf_, float)
FFT_OPS(fft_ops_f64, fftw_, double)

typedef struct tjob {
  const fft_ops *ops;
  void *fw, *bw;
  void *in, *sp, *back;
  int cx;
  size_t chunks;
} tjob;

static void *tjob_run(void *arg) {
  tjob *j = (tjob *)arg;
  for (size_t ch = 0; ch < j->chunks; ch++) {
    j->ops->exec(j->fw, j->cx, 1, j->in, j->sp);
    j->ops->exec(j->bw, j->cx, 0, j->sp, j->back);
  }
  return NULL;
}

/* Median seconds of all `total` transform pairs, or NaN when planning or memory failed. */
static double transforms_seconds(const fft_ops *ops, int rank, const int *n, size_t total, int cx,
                                 unsigned flags, int threads, double budget, int min_reps,
                                 size_t *howmany_out) {
  size_t pts = 1;
  for (int a = 0; a < rank; a++) pts *= (size_t)n[a];
  const size_t half = pts / (size_t)n[rank - 1] * (size_t)(n[rank - 1] / 2 + 1);
  const size_t in_b = (cx ? 2 * pts : pts) * ops->real_bytes, sp_b = 2 * (cx ? pts : half) * ops->real_bytes;
  const int split = total >= (size_t)threads; /* chunks over threads, else FFTW's threads */
  const int teams = split ? threads : 1;
  size_t howmany = (size_t)(2.0 * 1048576.0 / (double)(2 * in_b + sp_b));
  const size_t per_team = (total + (size_t)teams - 1) / (size_t)teams;
  if (howmany > per_team) howmany = per_team;
  if (howmany < 1) howmany = 1;
  *howmany_out = howmany;
  if (howmany > (size_t)INT_MAX) return NAN;
  const size_t chunks = (total + howmany - 1) / howmany;
  tjob jobs[64];
  pthread_t tid[64];
  double med = NAN;
  int nj = teams > 64 ? 64 : teams;
  memset(jobs, 0, sizeof jobs);
  void *fw = NULL, *bw = NULL;
  for (int t = 0; t < nj; t++) {
    jobs[t].in = ops->alloc(howmany * in_b);
    jobs[t].sp = ops->alloc(howmany * sp_b);
    jobs[t].back = ops->alloc(howmany * in_b);
    if (!jobs[t].in || !jobs[t].sp || !jobs[t].back) goto out;
  }
  ops->nthreads(split ? 1 : threads);
  fw = ops->plan(rank, n, (int)howmany, cx, 1, jobs[0].in, jobs[0].sp, flags);
  bw = ops->plan(rank, n, (int)howmany, cx, 0, jobs[0].sp, jobs[0].back, flags);
  if (!fw || !bw) goto out;
  for (int t = 0; t < nj; t++) { /* inputs after planning (MEASURE overwrites the arrays) */
    jobs[t].ops = ops;
    jobs[t].fw = fw;
    jobs[t].bw = bw;
    jobs[t].cx = cx;
    jobs[t].chunks = chunks * (size_t)(t + 1) / (size_t)nj - chunks * (size_t)t / (size_t)nj;
    const size_t scalars = howmany * in_b / ops->real_bytes;
    bench_fill(jobs[t].in, scalars, ops->real_bytes == 8, (unsigned long long)t + 11);
  }
  {
    const double scale = (double)total / (double)(chunks * howmany);
    double ts[4096];
    int nt = 0;
    const double start = now_s();
    while (nt < (int)(sizeof ts / sizeof ts[0]) && (nt < min_reps || now_s() - start < budget)) {
      const double t0 = now_s();
      int started = 1;
      for (int t = 1; t < nj; t++, started++)
        if (pthread_create(&tid[t], NULL, tjob_run, &jobs[t])) break;
      tjob_run(&jobs[0]);
      for (int t = started; t < nj; t++) tjob_run(&jobs[t]); /* threads that did not start */
      for (int t = 1; t < started; t++) pthread_join(tid[t], NULL);
      ts[nt++] = (now_s() - t0) * scale;
    }
    bench_stats st;
    bench_stats_of(ts, (size_t)nt, &st);
    med = st.median;
  }
out:
  ops->destroy(fw);
  ops->destroy(bw);
  for (int t = 0; t < nj; t++) {
    ops->release(jobs[t].in);
    ops->release(jobs[t].sp);
    ops->release(jobs[t].back);
  }
  return med;
}

static unsigned effort_flags(const char *e) {
  if (strcmp(e, "measure") == 0) return FFTW_MEASURE;
  if (strcmp(e, "patient") == 0) return FFTW_PATIENT;
  return FFTW_ESTIMATE;
}

static void time_transforms(const bench_case *c, const bench_geom *g, const fconv_plan_info *info,
                            const options *o, row_result *r) {
  if (info->backend != FCONV_BACKEND_CPU || c->device_ptrs ||
      (info->method != FCONV_METHOD_FFT && info->method != FCONV_METHOD_OVERLAP_SAVE))
    return;
  const int rank = info->rank, os = info->method == FCONV_METHOD_OVERLAP_SAVE;
  int n[FCONV_MAX_RANK];
  size_t blocks = 1, pts = 1;
  for (int a = 0; a < rank; a++) {
    if (info->transform_shape[a] == 0 || info->transform_shape[a] > (size_t)1 << 30) return;
    n[a] = (int)info->transform_shape[a];
    pts *= info->transform_shape[a];
    if (os && info->block_shape[a]) {
      const size_t len = g->len[3 - rank + a];
      blocks *= (len + info->block_shape[a] - 1) / info->block_shape[a];
    }
  }
  if (pts > (size_t)INT_MAX) return;
  const size_t total = blocks * info->output_count;
  const int cx = is_complex(c->dtype), dbl = is_double(c->dtype);
  int threads = o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (threads < 1) threads = 1;
  if (threads > 64) threads = 64;
  static int threads_ready;
  if (!threads_ready) { /* FFTW needs it before plan_with_nthreads; harmless when fconv did too */
    fftwf_init_threads();
    fftw_init_threads();
    threads_ready = 1;
  }
  size_t howmany = 0;
  const double t = transforms_seconds(dbl ? &fft_ops_f64 : &fft_ops_f32, rank, n, total, cx,
                                      effort_flags(o->transforms), threads,
                                      o->budget > 0 ? o->budget : 0.1, o->min_reps, &howmany);
  r->transforms_ms = 1e3 * t;
  char shape[64] = "";
  size_t pos = 0;
  for (int a = 0; a < rank && pos < sizeof shape; a++)
    pos += (size_t)snprintf(shape + pos, sizeof shape - pos, a ? "x%d" : "%d", n[a]);
  snprintf(r->transforms, sizeof r->transforms,
           "%s %s x %zu%s, %zu per call, %s, %d thread(s)%s", cx ? "c2c fwd+bwd" : "r2c+c2r",
           shape, total, os ? " blocks" : "", howmany, o->transforms, threads,
           total >= (size_t)threads ? "" : " in FFTW");
}

/* ---- one row (in the child) ---------------------------------------------------------------- */

/* Plan-creation failures that mean "this build or machine cannot run it", not an error. */
static int unavailable(fconv_status st, const char *what, row_result *r) {
  if (st == FCONV_ERR_UNSUPPORTED) set_status(r, "not built", "%s: %s", what, fconv_status_string(st));
  else if (st == FCONV_ERR_NO_DEVICE) set_status(r, "no device", "%s: %s", what, fconv_status_string(st));
  else return 0;
  return 1;
}

static void record_info(const fconv_plan *plan, row_result *r, fconv_plan_info *info) {
  if (fconv_plan_get_info(plan, info) != FCONV_OK) {
    memset(info, 0, sizeof *info);
    return;
  }
  snprintf(r->method, sizeof r->method, "%s", bench_method_token(info->method));
  snprintf(r->backend, sizeof r->backend, "%s", bench_backend_token(info->backend));
  snprintf(r->reason, sizeof r->reason, "%s", info->reason);
  if (info->threads > 0) r->threads = info->threads;
}

/* One call of the row's path: exec and reuse run the plan, oneshot fconv_convolve. */
static fconv_status call_once(const bench_case *c, const fconv_desc *d, fconv_plan *plan,
                              const void *x, const void *h, void *y) {
  fconv_status st;
  if (c->call == BENCH_CALL_ONESHOT) st = fconv_convolve(d, x, h, y);
  else st = fconv_execute(plan, x, c->call == BENCH_CALL_REUSE ? NULL : h, y);
  if (c->device_ptrs) dev_sync();
  return st;
}

/* AUTO's regret measured side by side: after AUTO's own repetitions, a plan per forced method
 * (and backend, for BACKEND auto) is made in this process and called in turn with AUTO's
 * plan, round after round (the order rotating), for another budget; the medians of the rounds
 * give AUTO's time and the fastest forced time under the same machine state (on a noisy host
 * the rows timed one after another differ by up to 2x with the very same plan). A forced plan
 * whose second call is over 3x AUTO's median cannot be the fastest within the regret target
 * and leaves the rounds (it is listed with that time). Forced rows are verified on their own
 * rows; these plans' results are not read. */
#define PAIRED_MAX 6
#define PAIRED_MAX_ROUNDS 4000
static void time_paired(const bench_case *c, const fconv_desc *d, const options *o,
                        fconv_plan *autop, const void *x, const void *h, void *y,
                        size_t ybytes, row_result *r) {
  const fconv_method all_m[3] = {FCONV_METHOD_DIRECT, FCONV_METHOD_FFT, FCONV_METHOD_OVERLAP_SAVE};
  const fconv_backend all_b[2] = {FCONV_BACKEND_CPU, FCONV_BACKEND_CUDA};
  fconv_plan *alt[PAIRED_MAX];
  char name[PAIRED_MAX][24];
  int na = 0;
  const void *hk = c->call == BENCH_CALL_REUSE ? NULL : h;
  void *y2 = xalloc(ybytes);
  double *t = malloc(sizeof(double) * (PAIRED_MAX + 1) * PAIRED_MAX_ROUNDS);
  bench_stats st;
  double *ta = malloc(sizeof(double) * MAX_REPS);
  if (!y2 || !t || !ta) goto out;
  const int nauto = r->nreps;
  if (nauto < 1) goto out;
  memcpy(ta, r->t, sizeof(double) * (size_t)nauto);
  bench_stats_of(ta, (size_t)nauto, &st);
  const double auto_med = st.median;
  char *list = r->paired;
  size_t used = 0;
  for (int mi = 0; mi < 3; mi++) {
    if (c->method != FCONV_METHOD_AUTO && all_m[mi] != c->method) continue;
    for (int bi = 0; bi < 2; bi++) {
      if (c->backend != FCONV_BACKEND_AUTO && all_b[bi] != c->backend) continue;
      if (na == PAIRED_MAX) break;
      fconv_desc dd = *d;
      dd.method = all_m[mi];
      dd.backend = all_b[bi];
      fconv_plan *p = NULL;
      if (fconv_plan_create(&p, &dd) != FCONV_OK) continue;
      if ((c->call == BENCH_CALL_REUSE && fconv_plan_set_kernel(p, h) != FCONV_OK) ||
          fconv_execute(p, x, hk, y2) != FCONV_OK) {
        fconv_plan_destroy(p);
        continue;
      }
      double t0 = now_s();
      fconv_status s2 = fconv_execute(p, x, hk, y2);
      double t1 = now_s() - t0;
      char nm[24];
      snprintf(nm, sizeof nm, "%s/%s", bench_method_token(all_m[mi]),
               bench_backend_token(all_b[bi]));
      if (s2 != FCONV_OK || t1 > 3 * auto_med) {
        if (s2 == FCONV_OK && used < sizeof r->paired)
          used += (size_t)snprintf(list + used, sizeof r->paired - used, "%s%s %.4g (> 3x)",
                                   used ? "; " : "", nm, t1 * 1e3);
        fconv_plan_destroy(p);
        continue;
      }
      snprintf(name[na], sizeof name[na], "%s", nm);
      alt[na++] = p;
    }
  }
  if (na == 0) goto out;
  int rounds = 0;
  const double start = now_s();
  while (rounds < PAIRED_MAX_ROUNDS && (rounds < o->min_reps || now_s() - start < o->budget)) {
    for (int j = 0; j <= na; j++) {
      const int k = (j + rounds) % (na + 1); /* 0: AUTO */
      double t0 = now_s();
      fconv_status s2 = k == 0 ? fconv_execute(autop, x, hk, y)
                               : fconv_execute(alt[k - 1], x, hk, y2);
      if (s2 != FCONV_OK) goto destroy;
      t[k * PAIRED_MAX_ROUNDS + rounds] = now_s() - t0;
    }
    rounds++;
  }
  bench_stats_of(t, (size_t)rounds, &st);
  r->paired_auto_ms = st.median * 1e3;
  r->paired_best_ms = INFINITY;
  for (int k = 1; k <= na; k++) {
    bench_stats_of(t + k * PAIRED_MAX_ROUNDS, (size_t)rounds, &st);
    const double ms = st.median * 1e3;
    if (ms < r->paired_best_ms) {
      r->paired_best_ms = ms;
      memcpy(r->paired_best, name[k - 1], sizeof r->paired_best);
    }
    if (used < sizeof r->paired)
      used += (size_t)snprintf(list + used, sizeof r->paired - used, "%s%s %.4g",
                               used ? "; " : "", name[k - 1], ms);
  }
  r->paired_rounds = rounds;
destroy:
  for (int k = 0; k < na; k++) fconv_plan_destroy(alt[k]);
out:
  free(y2);
  free(t);
  free(ta);
}

static void run_row(const bench_case *c, const options *o, row_result *r) {
  bench_geom g;
  fconv_desc d;
  char problem[256];
  bench_format_problem(c, problem, sizeof problem);
  bench_geom_init(c, &g);
  desc_of(c, o->threads, &d);
  r->threads = o->threads;
  r->plan_ms = r->set_kernel_ms = r->transforms_ms = NAN;
  snprintf(r->method, sizeof r->method, "%s", bench_method_token(c->method));
  snprintf(r->backend, sizeof r->backend, "%s", bench_backend_token(c->backend));
  const int oneshot = c->call == BENCH_CALL_ONESHOT;
  fconv_plan_info info;
  memset(&info, 0, sizeof info);

  /* Plan first (exec, reuse): a path that is not built fails here without any data being made.
   * The row's process is fresh, so this is the first plan of the shape in the process. */
  fconv_plan *plan = NULL;
  double t0 = now_s();
  fconv_status st = FCONV_OK;
  if (!oneshot) {
    st = fconv_plan_create(&plan, &d);
    r->plan_ms = 1e3 * (now_s() - t0);
    if (unavailable(st, "fconv_plan_create", r)) return;
    if (st != FCONV_OK) {
      r->error = 1;
      set_status(r, "error", "fconv_plan_create: %s", fconv_status_string(st));
      return;
    }
    record_info(plan, r, &info);
    size_t oshape[FCONV_MAX_RANK];
    if (fconv_plan_output_shape(plan, oshape) == FCONV_OK) {
      for (int u = 0; u < c->rank; u++)
        if (oshape[u] != g.out[3 - c->rank + u]) {
          r->failed_verify = 1;
          set_status(r, "FAILED", "output shape mismatch on axis %d: fconv %zu, expected %zu", u,
                     oshape[u], g.out[3 - c->rank + u]);
          fconv_plan_destroy(plan);
          return;
        }
    }
    r->stage = STAGE_PLANNED;
  }

  const size_t es = esize(c->dtype), sc = is_complex(c->dtype) ? 2 : 1;
  const size_t xn = c->batch * g.sig_elems, hn = c->kernel_batch * g.ker_elems;
  const size_t yn = g.count * g.out_elems;
  void *x = xalloc(xn * es), *h = xalloc(hn * es), *y = xalloc(yn * es);
  void *dx = NULL, *dh = NULL, *dy = NULL;
  if (!x || !h || !y) {
    r->error = 1;
    set_status(r, "error", "out of host memory for the arrays");
    goto done;
  }
  const unsigned long long seed = fnv1a(problem);
  bench_fill(x, xn * sc, is_double(c->dtype), seed);
  bench_fill_kernel(c, h, seed + 1);
  memset(y, 0, yn * es);
  const void *ax = x, *ah = h;
  void *ay = y;
  if (c->device_ptrs) {
    dx = dev_alloc(xn * es);
    dh = dev_alloc(hn * es);
    dy = dev_alloc(yn * es);
    if (!dx || !dh || !dy || dev_put(dx, x, xn * es) || dev_put(dh, h, hn * es)) {
      r->error = 1;
      set_status(r, "error", "device allocation or copy failed");
      goto done;
    }
    ax = dx;
    ah = dh;
    ay = dy;
  }

  /* reuse: the kernel once; AUTO's kernel-aware refinement runs here. */
  if (c->call == BENCH_CALL_REUSE) {
    t0 = now_s();
    st = fconv_plan_set_kernel(plan, ah);
    r->set_kernel_ms = 1e3 * (now_s() - t0);
    if (st != FCONV_OK) {
      r->error = 1;
      set_status(r, "error", "fconv_plan_set_kernel: %s", fconv_status_string(st));
      goto done;
    }
    record_info(plan, r, &info);
  }

  /* The first call, whose result is verified (oneshot: the first fconv call of the process). */
  t0 = now_s();
  st = call_once(c, &d, plan, ax, ah, ay);
  double tw = now_s() - t0;
  r->warm_ms = 1e3 * tw;
  if (oneshot && unavailable(st, "fconv_convolve", r)) goto done;
  if (st != FCONV_OK) {
    r->error = 1;
    set_status(r, "error", "%s: %s", oneshot ? "fconv_convolve" : "fconv_execute",
               fconv_status_string(st));
    goto done;
  }
  if (c->device_ptrs && dev_get(y, dy, yn * es)) {
    r->error = 1;
    set_status(r, "error", "copying the device result back failed");
    goto done;
  }
  r->stage = STAGE_RAN;
  if (o->plant_error) { /* hidden test hook: a wrong first element must be caught */
    if (is_double(c->dtype)) ((double *)y)[0] += 1.0 + fabs(((double *)y)[0]);
    else ((float *)y)[0] += 1.0f + fabsf(((float *)y)[0]);
  }
  int v = verify(c, &g, o, x, h, y, r);
  if (v < 0) {
    r->error = 1;
    goto done;
  }
  if (v > 0) {
    r->failed_verify = 1;
    set_status(r, "FAILED", "verification failed: max relative error %.3g (oracle %.3g) > "
               "tolerance %.3g", r->rel_err, r->oracle_err, r->tol);
    goto done;
  }
  if (oneshot) { /* what AUTO chose for this desc: a plan made after the timed first call */
    fconv_plan *p1 = NULL;
    if (fconv_plan_create(&p1, &d) == FCONV_OK) record_info(p1, r, &info);
    fconv_plan_destroy(p1);
  }
  r->stage = STAGE_VERIFIED;

  /* Timed repetitions: at least min_reps, then until the budget is spent. */
  if (tw >= o->budget && !oneshot) { /* a long first run counts: warm-up effects are small */
    r->t[0] = tw;
    __atomic_store_n(&r->nreps, 1, __ATOMIC_RELEASE);
    r->warm_counted = 1;
  }
  const double start = now_s();
  for (;;) {
    int n = r->nreps;
    if (n >= MAX_REPS) break;
    if (n >= o->min_reps && now_s() - start >= o->budget) break;
    t0 = now_s();
    st = call_once(c, &d, plan, ax, ah, ay);
    double t = now_s() - t0;
    if (st != FCONV_OK) {
      r->error = 1;
      set_status(r, "error", "%s (timed): %s", oneshot ? "fconv_convolve" : "fconv_execute",
                 fconv_status_string(st));
      goto done;
    }
    r->t[n] = t;
    __atomic_store_n(&r->nreps, n + 1, __ATOMIC_RELEASE);
  }
  if (o->transforms) time_transforms(c, &g, &info, o, r);
  if (!o->no_paired && !oneshot && !c->device_ptrs &&
      (c->method == FCONV_METHOD_AUTO || c->backend == FCONV_BACKEND_AUTO))
    time_paired(c, &d, o, plan, ax, ah, ay, yn * es, r);
  set_status(r, "ok", "%s", "");
  r->stage = STAGE_DONE;
done:
  fconv_plan_destroy(plan);
  free(x); free(h); free(y);
  dev_free(dx); dev_free(dh); dev_free(dy);
}

/* ---- the machine (also in a child: no CUDA or thread-pool state in the parent) ----------- */

typedef struct machine {
  char cpu[128];
  int cores;
  double mem_gib;
  double copy_gbps;
  char isa[16];
  char fconv[128];
  char fftw[64];
  int fconv_gpus;          /* fconv_cuda_device_count() */
  int cuda_devices;        /* cudart's count (CUDA build only; -1 otherwise) */
  char gpu[128];
  char gpu_driver[32];
  double gpu_mem_gib;
  double gpu_bw_peak_gbps, gpu_bw_copy_gbps;
} machine;

static void read_cpu(machine *m) {
  snprintf(m->cpu, sizeof m->cpu, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[512];
  if (f) {
    while (fgets(line, sizeof line, f)) {
      if (strncmp(line, "model name", 10) == 0 || strncmp(line, "Model\t", 6) == 0) {
        char *p = strchr(line, ':');
        if (p) {
          p++;
          while (*p == ' ' || *p == '\t') p++;
          p[strcspn(p, "\n")] = 0;
          snprintf(m->cpu, sizeof m->cpu, "%s", p);
          break;
        }
      }
    }
    fclose(f);
  }
  m->cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
  f = fopen("/proc/meminfo", "r");
  if (f) {
    while (fgets(line, sizeof line, f)) {
      unsigned long long kb;
      if (sscanf(line, "MemTotal: %llu kB", &kb) == 1) m->mem_gib = (double)kb / (1024.0 * 1024.0);
    }
    fclose(f);
  }
}

/* memcpy bandwidth of one thread, counting read + write bytes: the best of 5. */
static double copy_bandwidth(void) {
  const size_t bytes = (size_t)128 << 20;
  char *a = (char *)xalloc(bytes), *b = (char *)xalloc(bytes);
  if (!a || !b) { free(a); free(b); return NAN; }
  memset(a, 1, bytes);
  memset(b, 2, bytes);
  double best = INFINITY;
  for (int i = 0; i < 5; i++) {
    double t0 = now_s();
    memcpy(b, a, bytes);
    double t = now_s() - t0;
    if (t < best) best = t;
    a[i] = b[bytes - 1 - i]; /* keep the copies observable */
  }
  free(a);
  free(b);
  return 2.0 * (double)bytes / best / 1e9;
}

static void gpu_info(machine *m) {
  m->cuda_devices = -1;
  snprintf(m->gpu, sizeof m->gpu, "no GPU");
#ifdef FCONV_BENCH_CUDART
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
    cudaGetLastError();
    m->cuda_devices = 0;
    return;
  }
  m->cuda_devices = n;
  struct cudaDeviceProp p;
  if (cudaGetDeviceProperties(&p, 0) != cudaSuccess) return;
  snprintf(m->gpu, sizeof m->gpu, "%.127s", p.name);
  m->gpu_mem_gib = (double)p.totalGlobalMem / (1024.0 * 1024.0 * 1024.0);
  int drv = 0, clk = 0, bus = 0;
  cudaDriverGetVersion(&drv);
  snprintf(m->gpu_driver, sizeof m->gpu_driver, "CUDA driver API %d.%d", drv / 1000,
           (drv % 1000) / 10);
  if (cudaDeviceGetAttribute(&clk, cudaDevAttrMemoryClockRate, 0) == cudaSuccess &&
      cudaDeviceGetAttribute(&bus, cudaDevAttrGlobalMemoryBusWidth, 0) == cudaSuccess)
    m->gpu_bw_peak_gbps = 2.0 * clk * 1e3 * (bus / 8.0) / 1e9;
  /* Device-to-device copy, counting read + write bytes. */
  const size_t bytes = (size_t)256 << 20;
  void *a = NULL, *b = NULL;
  if (cudaMalloc(&a, bytes) == cudaSuccess && cudaMalloc(&b, bytes) == cudaSuccess) {
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice);
    float best = 1e30f;
    for (int i = 0; i < 5; i++) {
      float ms = 0;
      cudaEventRecord(e0, 0);
      cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice);
      cudaEventRecord(e1, 0);
      cudaEventSynchronize(e1);
      cudaEventElapsedTime(&ms, e0, e1);
      if (ms < best) best = ms;
    }
    m->gpu_bw_copy_gbps = 2.0 * (double)bytes / (best * 1e-3) / 1e9;
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
  }
  cudaFree(a);
  cudaFree(b);
  cudaGetLastError();
#endif
}

static void probe_machine(machine *m) {
  read_cpu(m);
  m->copy_gbps = copy_bandwidth();
  snprintf(m->fconv, sizeof m->fconv, "%s", fconv_version_string());
  snprintf(m->fftw, sizeof m->fftw, "%s", fftwf_version);
  m->fconv_gpus = fconv_cuda_device_count();
  snprintf(m->isa, sizeof m->isa, "n/a");
  size_t n = 64, k = 3;
  fconv_desc d;
  fconv_desc_init(&d, 1, &n, &k, FCONV_F32);
  d.method = FCONV_METHOD_DIRECT;
  d.backend = FCONV_BACKEND_CPU;
  fconv_plan *p = NULL;
  fconv_plan_info info;
  if (fconv_plan_create(&p, &d) == FCONV_OK && fconv_plan_get_info(p, &info) == FCONV_OK &&
      info.isa[0])
    snprintf(m->isa, sizeof m->isa, "%.15s", info.isa);
  fconv_plan_destroy(p);
  gpu_info(m);
}

/* ---- the parent: run rows in children ------------------------------------------------------ */

/* Run fn(arg, shared) in a child with a timeout (seconds, <= 0: none). Returns 0 when the child
 * exited normally, 1 on timeout, 2 on a crash (signal in *sig), -1 when fork failed. */
static int run_isolated(void (*fn)(void *, void *), void *arg, void *shared, double timeout,
                        int *sig) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    fn(arg, shared);
    fflush(NULL);
    _exit(0);
  }
  const double start = now_s();
  for (;;) {
    int wst = 0;
    pid_t w = waitpid(pid, &wst, WNOHANG);
    if (w == pid) {
      if (WIFSIGNALED(wst)) {
        *sig = WTERMSIG(wst);
        return 2;
      }
      return 0;
    }
    if (w < 0) return -1;
    if (timeout > 0 && now_s() - start > timeout) {
      kill(pid, SIGKILL);
      waitpid(pid, &wst, 0);
      return 1;
    }
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
}

/* --contended: one busy process, a pure spin loop, for the whole run; it dies with this process
 * (PR_SET_PDEATHSIG) even when this one is killed. Returns its pid, or -1. */
static pid_t start_spinner(void) {
  fflush(NULL);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
    volatile unsigned long long spin = 0;
    for (;;) spin++;
  }
  return pid;
}

static void stop_spinner(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

typedef struct row_arg {
  const bench_case *c;
  const options *o;
} row_arg;

static void row_child(void *arg, void *shared) {
  row_arg *a = (row_arg *)arg;
  run_row(a->c, a->o, (row_result *)shared);
}

static void machine_child(void *arg, void *shared) {
  (void)arg;
  probe_machine((machine *)shared);
}

static const char *const csv_columns =
    "group,problem,case,source,impl,method_req,backend_req,mem,method,backend,reason,threads,"
    "status,verify,max_rel_err,oracle_rel_err,tol,reps,plan_ms,median_ms,min_ms,max_ms,q1_ms,"
    "q3_ms,outputs,taps,bytes,outputs_per_s,gbps,gflops,note,call,first_ms,set_kernel_ms,"
    "transforms_ms,transforms,paired_rounds,paired_auto_ms,paired_best_ms,paired_best,paired";

static void write_header(FILE *f, const machine *m, const options *o, pid_t spinner, int argc,
                         char **argv) {
  time_t now = time(NULL);
  struct tm tm;
  char date[64], host[128] = "unknown";
  localtime_r(&now, &tm);
  strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %z", &tm);
  gethostname(host, sizeof host - 1);
  struct utsname u;
  uname(&u);
  fprintf(f, "# fconv_bench: fconv results (one row per measurement)\n");
  fprintf(f, "# date: %s\n", date);
  fprintf(f, "# host: %s\n", host);
  fprintf(f, "# os: %s %s %s\n", u.sysname, u.release, u.machine);
  fprintf(f, "# cpu: %s\n", m->cpu);
  fprintf(f, "# cores: %d\n", m->cores);
  fprintf(f, "# memory_gib: %.1f\n", m->mem_gib);
  fprintf(f, "# copy_gbps: %.2f (memcpy of 128 MiB, one thread, read+write bytes, best of 5)\n",
          m->copy_gbps);
  fprintf(f, "# isa: %s\n", m->isa);
  fprintf(f, "# fconv: %s\n", m->fconv);
  fprintf(f, "# fftw: %s\n", m->fftw);
  fprintf(f, "# compiler: gcc-compatible %s, build %s\n", __VERSION__, FCONV_BENCH_BUILD_TYPE);
  fprintf(f, "# fconv_gpus: %d\n", m->fconv_gpus);
  if (m->cuda_devices > 0) {
    fprintf(f, "# gpu: %s\n", m->gpu);
    fprintf(f, "# gpu_count: %d\n", m->cuda_devices);
    fprintf(f, "# gpu_driver: %s\n", m->gpu_driver);
    fprintf(f, "# gpu_memory_gib: %.1f\n", m->gpu_mem_gib);
    fprintf(f, "# gpu_bw_peak_gbps: %.0f\n", m->gpu_bw_peak_gbps);
    fprintf(f, "# gpu_bw_copy_gbps: %.0f (device-to-device cudaMemcpy, read+write bytes)\n",
            m->gpu_bw_copy_gbps);
  } else {
    fprintf(f, "# gpu: no GPU%s\n",
            m->cuda_devices < 0 ? " (bench built without the CUDA runtime)" : "");
  }
  fprintf(f, "# threads: %d\n", o->threads);
  fprintf(f, "# budget_s: %g\n", o->budget);
  fprintf(f, "# min_reps: %d\n", o->min_reps);
  fprintf(f, "# timeout_s: %g\n", o->timeout);
  fprintf(f, "# matrix: %s\n", o->matrix ? o->matrix : "command line");
  fprintf(f, "# run: %d\n", o->run);
  if (o->contended)
    fprintf(f, "# load: contended (one busy process, a pure spin loop, pid %ld, beside every row)\n",
            (long)spinner);
  else
    fprintf(f, "# load: quiet\n");
  char la[128] = "?";
  FILE *lf = fopen("/proc/loadavg", "r");
  if (lf) {
    if (fgets(la, sizeof la, lf)) la[strcspn(la, "\n")] = 0;
    fclose(lf);
  }
  fprintf(f, "# loadavg: %s (1, 5, 15 min at the start; running/total tasks)\n", la);
  if (o->transforms)
    fprintf(f, "# transforms: plain FFTW transforms of each plan's transform shape, planner %s\n",
            o->transforms);
  fprintf(f, "# command:");
  for (int i = 0; i < argc; i++) fprintf(f, " %s", argv[i]);
  fprintf(f, "\n%s\n", csv_columns);
  fflush(f);
}

static void write_row(FILE *f, const char *group, const bench_case *c, const bench_geom *g,
                      const row_result *r, const bench_stats *st, const char *note) {
  char cs[256], ps[256];
  bench_format_case(c, cs, sizeof cs);
  bench_format_problem(c, ps, sizeof ps);
  const double outputs = (double)g->count * (double)g->out_elems;
  const double bytes = (double)esize(c->dtype) *
                       ((double)c->batch * (double)g->sig_elems +
                        (double)c->kernel_batch * (double)g->ker_elems + outputs);
  const double flops = (is_complex(c->dtype) ? 8.0 : 2.0) * outputs * g->taps;
  const double med = st->median;
  csv_str(f, group); fputc(',', f);
  csv_str(f, ps); fputc(',', f);
  csv_str(f, cs); fputc(',', f);
  fputs("fconv,fconv,", f);
  fprintf(f, "%s,%s,%s,", bench_method_token(c->method), bench_backend_token(c->backend),
          c->device_ptrs ? "device" : "host");
  csv_str(f, r->method); fputc(',', f);
  csv_str(f, r->backend); fputc(',', f);
  csv_str(f, r->reason); fputc(',', f);
  fprintf(f, "%d,", r->threads);
  csv_str(f, r->status); fputc(',', f);
  csv_str(f, r->verify); fputc(',', f);
  if (r->stage >= STAGE_RAN && r->verify[0]) csv_num(f, r->rel_err);
  fputc(',', f);
  if (r->stage >= STAGE_RAN && r->verify[0]) csv_num(f, r->oracle_err);
  fputc(',', f);
  if (r->verify[0]) csv_num(f, r->tol);
  fputc(',', f);
  fprintf(f, "%zu,", st->n);
  if (r->stage >= STAGE_PLANNED) csv_num(f, r->plan_ms);
  fputc(',', f);
  const double v[5] = {st->median, st->min, st->max, st->q1, st->q3};
  for (int i = 0; i < 5; i++) {
    csv_num(f, v[i] * 1e3);
    fputc(',', f);
  }
  fprintf(f, "%.0f,%.0f,%.0f,", outputs, g->taps, bytes);
  csv_num(f, outputs / med); fputc(',', f);
  csv_num(f, bytes / med / 1e9); fputc(',', f);
  csv_num(f, flops / med / 1e9); fputc(',', f);
  csv_str(f, note);
  fprintf(f, ",%s,", bench_call_token(c->call));
  if (r->stage >= STAGE_RAN) csv_num(f, r->warm_ms);
  fputc(',', f);
  csv_num(f, r->set_kernel_ms);
  fputc(',', f);
  csv_num(f, r->transforms_ms);
  fputc(',', f);
  csv_str(f, r->transforms);
  if (r->paired_rounds > 0) {
    fprintf(f, ",%d,", r->paired_rounds);
    csv_num(f, r->paired_auto_ms);
    fputc(',', f);
    csv_num(f, r->paired_best_ms);
    fputc(',', f);
  } else {
    fputs(",,,,", f);
  }
  csv_str(f, r->paired_best);
  fputc(',', f);
  csv_str(f, r->paired);
  fputc('\n', f);
  fflush(f);
}

static void fmt_time(char *buf, size_t len, double s) {
  if (isnan(s)) snprintf(buf, len, "-");
  else if (s < 1e-3) snprintf(buf, len, "%.1f us", s * 1e6);
  else if (s < 1.0) snprintf(buf, len, "%.3f ms", s * 1e3);
  else snprintf(buf, len, "%.3f s", s);
}

/* Runs one row; returns 0 ok/not measured, 2 verification failure, 3 error or crash. */
static int bench_one(FILE *csv, const char *group, const bench_case *c, const options *o,
                     row_result *r, size_t idx, size_t total) {
  memset(r, 0, offsetof(row_result, t));
  r->plan_ms = r->warm_ms = r->set_kernel_ms = r->transforms_ms = NAN;
  bench_geom g;
  bench_geom_init(c, &g);
  row_arg arg = {c, o};
  int sig = 0, rc;
  char note[512] = "";
  const double t_start = now_s();
  if (o->no_fork) {
    run_row(c, o, r);
    rc = 0;
  } else {
    rc = run_isolated(row_child, &arg, r, o->timeout, &sig);
  }
  int n = r->nreps;
  if (rc == 1) {
    if (n > 0 && r->stage >= STAGE_VERIFIED) {
      snprintf(r->status, sizeof r->status, "ok");
      snprintf(note, sizeof note, "repetitions cut short by --timeout %g s", o->timeout);
    } else {
      snprintf(r->status, sizeof r->status, "timeout");
      snprintf(r->detail, sizeof r->detail, "stopped after --timeout %g s (%s)", o->timeout,
               r->stage >= STAGE_RAN ? "during verification"
               : r->stage >= STAGE_PLANNED ? "first run not finished"
                                           : "planning not finished");
    }
  } else if (rc == 2) {
    r->error = 1;
    snprintf(r->status, sizeof r->status, "crashed");
    snprintf(r->detail, sizeof r->detail, "the row's process died of signal %d (%s)", sig,
             strsignal(sig));
  } else if (rc < 0) {
    r->error = 1;
    snprintf(r->status, sizeof r->status, "error");
    snprintf(r->detail, sizeof r->detail, "fork failed");
  } else if (r->status[0] == 0) {
    r->error = 1;
    snprintf(r->status, sizeof r->status, "error");
    snprintf(r->detail, sizeof r->detail, "the row's process ended without a result");
  }
  if (strcmp(r->status, "ok") != 0) n = 0;
  bench_stats st;
  bench_stats_of(r->t, (size_t)n, &st);
  if (r->warm_counted && !note[0]) snprintf(note, sizeof note, "first run counted (>= budget)");
  if (r->detail[0]) {
    size_t l = strlen(note);
    snprintf(note + l, sizeof note - l, "%s%s", l ? "; " : "", r->detail);
  }
  write_row(csv, group, c, &g, r, &st, note);

  char cs[256], tm[32], lo[32], hi[32];
  bench_format_case(c, cs, sizeof cs);
  if (!o->quiet || r->failed_verify || r->error) {
    if (strcmp(r->status, "ok") == 0) {
      fmt_time(tm, sizeof tm, st.median);
      fmt_time(lo, sizeof lo, st.q1);
      fmt_time(hi, sizeof hi, st.q3);
      const double flops = (is_complex(c->dtype) ? 8.0 : 2.0) * (double)g.count *
                           (double)g.out_elems * g.taps;
      const int is_auto = c->method == FCONV_METHOD_AUTO || c->backend == FCONV_BACKEND_AUTO;
      fprintf(stderr,
              "[%3zu/%zu] %-11s %-46s %11s (IQR %s..%s, n=%zu) %7.2f GFLOP/s  verify %s "
              "%.1e ok (%.1fs)\n",
              idx, total, group, cs, tm, lo, hi, st.n, flops / st.median / 1e9, r->verify,
              r->rel_err, now_s() - t_start);
      if (c->call == BENCH_CALL_ONESHOT)
        fprintf(stderr, "            one-shot: first call in the process %s\n",
                (fmt_time(tm, sizeof tm, r->warm_ms * 1e-3), tm));
      if (c->call == BENCH_CALL_REUSE)
        fprintf(stderr, "            set_kernel %s\n", (fmt_time(tm, sizeof tm, r->set_kernel_ms * 1e-3), tm));
      if (is_auto)
        fprintf(stderr, "            AUTO chose %s/%s: %s\n", r->method, r->backend, r->reason);
      if (r->paired_rounds > 0 || r->paired[0])
        fprintf(stderr, "            side by side (%d rounds): AUTO %.4g ms; %s\n",
                r->paired_rounds, r->paired_auto_ms, r->paired);
      if (!isnan(r->transforms_ms))
        fprintf(stderr, "            transforms alone %s: %s\n",
                (fmt_time(tm, sizeof tm, r->transforms_ms * 1e-3), tm), r->transforms);
    } else if (r->failed_verify) {
      fprintf(stderr,
              "\n[%3zu/%zu] %-10s %s\n"
              "  *** VERIFICATION FAILED *** %s\n"
              "  (%s; chosen %s/%s)\n\n",
              idx, total, group, cs, r->detail, r->verify, r->method, r->backend);
    } else {
      fprintf(stderr, "[%3zu/%zu] %-11s %-46s %s: %s\n", idx, total, group, cs, r->status,
              r->detail);
    }
  }
  if (r->failed_verify) return 2;
  if (r->error) return 3;
  return 0;
}

/* ---- main ---------------------------------------------------------------------------------- */

static int parse_double(const char *s, double *v) {
  char *end;
  *v = strtod(s, &end);
  return *s && !*end ? 0 : -1;
}

/* Heap arrays of one run, owned by main() so that every early return frees them. */
typedef struct {
  const char **cases;
  bench_row *rows;
} bench_heap;

static int bench_main(int argc, char **argv, bench_heap *heap) {
  options o = {NULL, NULL, 0.4, 3, 2, 30.0, 5e7, 0, 0, 0, 0, 0, BENCH_CALLS_ALL, 0, NULL, 1, 0};
  const char **cases = heap->cases = (const char **)calloc((size_t)argc, sizeof *cases);
  if (!cases) {
    fprintf(stderr, "fconv_bench: out of memory\n");
    return 3;
  }
  int ncases = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    double dv;
#define NEED_VALUE                                                          \
  do {                                                                      \
    if (!val) {                                                             \
      fprintf(stderr, "fconv_bench: %s needs a value\n", a);                \
      return 1;                                                             \
    }                                                                       \
    i++;                                                                    \
  } while (0)
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(a, "--matrix") == 0) {
      NEED_VALUE;
      o.matrix = val;
    } else if (strcmp(a, "--full") == 0) {
      o.matrix = "full";
    } else if (strcmp(a, "--csv") == 0) {
      NEED_VALUE;
      o.csv = val;
    } else if (strcmp(a, "--budget") == 0 || strcmp(a, "--timeout") == 0 ||
               strcmp(a, "--verify-full-max") == 0) {
      NEED_VALUE;
      if (parse_double(val, &dv) || dv < 0) {
        fprintf(stderr, "fconv_bench: bad value for %s: '%s'\n", a, val);
        return 1;
      }
      if (a[2] == 'b') o.budget = dv;
      else if (a[2] == 't') o.timeout = dv;
      else o.verify_full_max = dv;
    } else if (strcmp(a, "--threads") == 0 || strcmp(a, "--min-reps") == 0) {
      NEED_VALUE;
      if (parse_double(val, &dv) || dv < 0 || dv > 4096 || dv != floor(dv)) {
        fprintf(stderr, "fconv_bench: bad value for %s: '%s'\n", a, val);
        return 1;
      }
      if (a[2] == 't') o.threads = (int)dv;
      else o.min_reps = dv < 1 ? 1 : (int)dv;
    } else if (strcmp(a, "--calls") == 0) {
      NEED_VALUE;
      o.calls = bench_parse_calls(val);
      if (!o.calls) {
        fprintf(stderr, "fconv_bench: bad value for --calls: '%s' (exec,reuse,oneshot or all)\n",
                val);
        return 1;
      }
    } else if (strcmp(a, "--contended") == 0) {
      o.contended = 1;
    } else if (strcmp(a, "--no-paired") == 0) {
      o.no_paired = 1;
    } else if (strcmp(a, "--transforms") == 0) {
      NEED_VALUE;
      if (strcmp(val, "estimate") && strcmp(val, "measure") && strcmp(val, "patient")) {
        fprintf(stderr, "fconv_bench: bad value for --transforms: '%s' (estimate, measure or "
                "patient)\n", val);
        return 1;
      }
      o.transforms = val;
    } else if (strcmp(a, "--run") == 0) {
      NEED_VALUE;
      if (parse_double(val, &dv) || dv < 1 || dv > 1e6 || dv != floor(dv)) {
        fprintf(stderr, "fconv_bench: bad value for --run: '%s'\n", val);
        return 1;
      }
      o.run = (int)dv;
    } else if (strcmp(a, "--plant-error") == 0) {
      o.plant_error = 1;
    } else if (strcmp(a, "--no-fork") == 0) {
      o.no_fork = 1;
    } else if (strcmp(a, "--parse-only") == 0) {
      o.parse_only = 1;
    } else if (strcmp(a, "--list") == 0) {
      o.list = 1;
    } else if (strcmp(a, "--quiet") == 0) {
      o.quiet = 1;
    } else if (a[0] == '-' && a[1] == '-') {
      fprintf(stderr, "fconv_bench: unknown option '%s' (see --help)\n", a);
      return 1;
    } else {
      cases[ncases++] = a;
    }
  }

  if (o.parse_only) {
    int bad = 0;
    for (int i = 0; i < ncases; i++) {
      bench_case c;
      char err[512], cs[256], ps[256];
      if (bench_parse_case(cases[i], &c, err, sizeof err)) {
        printf("invalid: %s\n", err);
        bad = 1;
        continue;
      }
      bench_geom g;
      bench_geom_init(&c, &g);
      bench_format_case(&c, cs, sizeof cs);
      bench_format_problem(&c, ps, sizeof ps);
      printf("case %s problem %s outputs %zu taps %.0f%s\n", cs, ps, g.count * g.out_elems,
             g.taps, g.swapped ? " swapped" : "");
    }
    return bad ? 1 : 0;
  }

  /* Machine first (needs to know whether a GPU exists to build the matrix). */
  machine *m = (machine *)mmap(NULL, sizeof(machine), PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  row_result *r = (row_result *)mmap(NULL, sizeof(row_result), PROT_READ | PROT_WRITE,
                                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED || r == MAP_FAILED) {
    fprintf(stderr, "fconv_bench: mmap failed\n");
    return 3;
  }
  memset(m, 0, sizeof *m);

  bench_row *rows = NULL;
  size_t nrows = 0;
  if (o.matrix) {
    if (ncases) {
      fprintf(stderr, "fconv_bench: give either --matrix or cases, not both\n");
      return 1;
    }
    if (strcmp(o.matrix, "default") != 0 && strcmp(o.matrix, "full") != 0) {
      fprintf(stderr, "fconv_bench: unknown matrix '%s' (default or full)\n", o.matrix);
      return 1;
    }
  } else if (ncases == 0) {
    usage(stderr);
    return 1;
  } else {
    bench_case *cs = NULL;
    size_t cn = 0, ccap = 0;
    for (int i = 0; i < ncases; i++) {
      char err[512];
      if (bench_expand(cases[i], &cs, &cn, &ccap, err, sizeof err)) {
        fprintf(stderr, "fconv_bench: %s\n", err);
        free(cs);
        return 1;
      }
    }
    rows = heap->rows = (bench_row *)calloc(cn ? cn : 1, sizeof *rows);
    if (!rows) {
      free(cs);
      fprintf(stderr, "fconv_bench: out of memory\n");
      return 3;
    }
    for (size_t i = 0; i < cn; i++) {
      snprintf(rows[i].group, sizeof rows[i].group, "cli");
      rows[i].c = cs[i];
    }
    nrows = cn;
    free(cs);
  }

  int sig = 0;
  if (o.no_fork) probe_machine(m);
  else if (run_isolated(machine_child, NULL, m, 120.0, &sig) != 0)
    fprintf(stderr, "fconv_bench: the machine probe failed; continuing without it\n");
  const int gpu = m->fconv_gpus > 0;

  if (o.matrix) {
    long nr = bench_matrix(o.matrix, gpu, &rows);
    heap->rows = rows;
    if (nr < 0) {
      fprintf(stderr, "fconv_bench: could not build the matrix\n");
      return 3;
    }
    nrows = (size_t)nr;
  }
  {
    long nr = bench_expand_calls(&rows, nrows, o.calls);
    heap->rows = rows;
    if (nr < 0) {
      fprintf(stderr, "fconv_bench: out of memory\n");
      return 3;
    }
    nrows = (size_t)nr;
  }
  if (o.list) {
    for (size_t i = 0; i < nrows; i++) {
      char cs[256];
      bench_format_case(&rows[i].c, cs, sizeof cs);
      printf("%s %s\n", rows[i].group, cs);
    }
    return 0;
  }

  FILE *csv = stdout;
  if (o.csv) {
    csv = fopen(o.csv, "w");
    if (!csv) {
      fprintf(stderr, "fconv_bench: cannot write %s\n", o.csv);
      return 1;
    }
  }
  pid_t spinner = o.contended ? start_spinner() : 0;
  if (spinner < 0) {
    fprintf(stderr, "fconv_bench: --contended: could not start the busy process\n");
    return 3;
  }
  write_header(csv, m, &o, spinner, argc, argv);
  if (!o.quiet) {
    fprintf(stderr, "fconv_bench: %zu rows, %d thread(s), budget %g s/row, timeout %g s/row%s\n",
            nrows, o.threads, o.budget, o.timeout,
            o.contended ? ", contended (one busy process beside every row)" : "");
    fprintf(stderr, "  cpu: %s (%d cores), copy %.1f GB/s; fconv %s; fftw %s; gpu: %s\n", m->cpu,
            m->cores, m->copy_gbps, m->fconv, m->fftw,
            m->cuda_devices > 0 ? m->gpu : "no GPU");
  }
  const double t0 = now_s();
  int worst = 0, failed = 0, errors = 0;
  for (size_t i = 0; i < nrows; i++) {
    int rc = bench_one(csv, rows[i].group, &rows[i].c, &o, r, i + 1, nrows);
    if (rc == 2) failed++;
    if (rc == 3) errors++;
    if (rc > worst && !(worst == 2)) worst = rc;
  }
  stop_spinner(spinner);
  if (csv != stdout) fclose(csv);
  fprintf(stderr, "fconv_bench: %zu rows in %.1f s", nrows, now_s() - t0);
  if (failed) fprintf(stderr, "; *** %d VERIFICATION FAILURE(S) ***", failed);
  if (errors) fprintf(stderr, "; %d error(s)/crash(es)", errors);
  fprintf(stderr, "\n");
  return failed ? 2 : errors ? 3 : 0;
}

int main(int argc, char **argv) {
  bench_heap heap = {NULL, NULL};
  int rc = bench_main(argc, argv, &heap);
  free(heap.rows);
  free(heap.cases);
  return rc;
}
