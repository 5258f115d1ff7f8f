/* fconv_calibrate.c — the one calibration program: measures the constants of the CPU paths'
 * cost models on this machine and writes them as generated headers (run on a quiet machine):
 *
 *   cmake --build build --target fconv_calibrate
 *   build/fconv_calibrate fft > src/cpu/cost_fft.h         (a few minutes)
 *   build/fconv_calibrate direct > src/cpu/cost_direct.h   (a minute)
 *   build/fconv_calibrate probe N0 [N1 [N2]]               (one shape's fft table figure)
 *
 *   build/fconv_calibrate cuda                             (a few seconds, on a GPU)
 *
 * cuda: the CUDA module's calibration routine (src/cuda/calibrate.cu) measures the CUDA cost
 * models' constants on the current device (device copy bandwidth, launch latency, stream
 * synchronisation, host -> device bandwidth pageable through the stager and pinned, FP32
 * throughput and the FP64/FP32 ratio, cuFFT plan creation per point, cuFFT time against its
 * model) and writes them to that device's calibration file (src/cuda/cost.h: directory
 * FCONV_CUDA_CALIBRATION, else $XDG_CACHE_HOME/fconv or $HOME/.cache/fconv; keyed by device
 * name, compute capability and driver), which every later process loads at its first CUDA
 * plan; it prints the figures beside the defaults the device's properties give. Not a header:
 * the figures belong to the machine that runs fconv, not to the source tree.
 *
 * fft: what it measures (best of several repetitions each, so other load inflates little):
 *  - fconv_cal_fft[rank][lg]: seconds per point per log2 of one forward+inverse pair of in-place
 *    f32 r2c/c2r transforms of 2^lg points (rank 1: 2^lg; rank 2, 3: near-square/cube power-of-two
 *    shapes), planned through fconv_fftw_make, i.e. with the library's planner effort policy
 *    (so ESTIMATE-planned big sizes carry their slowdown), batched like the engine batches them
 *    (howmany = 256 KiB of slots), 1 thread.
 *  - PEN3/PEN5/PEN7/PENODD: extra cost per point per log2 of a length with one more factor
 *    3, 5, 7, or with no factor 2, relative to a power of two: least squares over 35 square
 *    2-D sizes near 512^2 (odd ones as n x 512), which the policy plans with FFTW_MEASURE.
 *  - C2C, F64: c2c (complex data) and double-precision factors.
 *  - FFTW_SPEEDUP2: speedup of one FFTW plan made with 2 threads (2-D 1024^2).
 *  - PAR_SPEEDUP2: speedup of 2 threads each running their own batches of small transforms.
 *  - PASS_CACHED / PASS_MEMORY: seconds per scalar of the pack + multiply + crop passes, from
 *    full engine executes minus their own transforms (transform_seconds below), for
 *    cache-sized overlap-save chunks and for one large FFT-path transform.
 *  - EXEC_UNIT: cost per block beyond the per-scalar passes (1-D 2^20, 16 taps, 256-point
 *    blocks forced through the engine).
 *  - EXEC_CALL: fixed cost per chunk (FFTW execute calls and pass setup): half of a tiny
 *    problem's execute.
 * Single-thread figures are thread CPU time; the 2-thread speedups are wall time on both
 * sides, best of 20, and need an otherwise idle machine to mean anything.
 *
 * direct: seconds = a[dtype] * outputs * taps / threads + b[dtype] * outputs + c, through the
 * public API (method DIRECT, one thread, random non-separable kernels): a and b by relative
 * least squares over 1-D, 2-D and 3-D problems and kernel sizes, each time the best of several
 * runs; c a tiny problem's time.
 *
 * A program, not part of the library: it links the static library for the engine's internals.
 */
#include "../src/core/kernel_info.h"
#include "../src/core/memory.h"
#include "../src/core/problem.h"
#include "../src/cpu/fft_plan.h"
#include "../src/cpu/fftw.h"
#include "../src/path.h"
#include "../src/util.h"
#include "fconv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPS 5

static void print_made_by(const char *what, const char *file);
#define CHUNK_BYTES ((size_t)256 << 10)

/* Single-thread measurements use this thread's CPU time, which other processes' load does not
 * inflate (a descheduled thread does not run its clock); 2-thread ones need wall time. */
static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One batch of in-place transforms of shape n[0..rank-1]: seconds of one forward+inverse
 * pair per transform, best of REPS. */
static double pair_time(int rank, const int *n, int dbl, int cplx, int threads, int wall,
                        size_t *howmany_out) {
  fconv_fftw_geom g;
  memset(&g, 0, sizeof g);
  g.rank = rank;
  g.dbl = dbl;
  g.cplx = cplx;
  size_t slot = 1, pts = 1;
  /* the engine's slot layout (fconv_fc_pad_rows), the rank's axes last in T[3] */
  size_t T[3] = {1, 1, 1}, ext[3];
  for (int i = 0; i < rank; i++) T[3 - rank + i] = (size_t)n[i];
  for (int a = 0; a < 3; a++) ext[a] = (!cplx && a == 2) ? 2 * (T[a] / 2 + 1) : T[a];
  fconv_fc_pad_rows(T, ext, 2, (dbl ? 8 : 4) * (cplx ? 2 : 1));
  for (int i = 0; i < rank; i++) {
    g.n[i] = n[i];
    const int last = i == rank - 1;
    g.rembed[i] = (int)ext[3 - rank + i];
    g.cembed[i] = (!cplx && last) ? g.rembed[i] / 2 : g.rembed[i];
    slot *= (size_t)g.rembed[i];
    pts *= (size_t)n[i];
  }
  if (cplx) slot *= 2;
  g.slot = slot;
  const size_t sbytes = slot * (dbl ? 8 : 4);
  size_t hm = CHUNK_BYTES / sbytes;
  if (hm < 1) hm = 1;
  /* out of place or in place, as the engine transforms (fconv_fc_make_sched) */
  const int oop = fconv_fc_out_of_place(rank, pts, (size_t)(dbl ? 8 : 4) * (cplx ? 2 : 1));
  void *buf = fconv_calloc(sbytes * hm), *spec = oop ? fconv_calloc(sbytes * hm) : buf;
  fconv_fftw_plan f, b;
  if (!buf || !spec ||
      fconv_fftw_make(&f, &g, FCONV_FFTW_FORWARD, (int)hm, buf, spec, threads, 0) != FCONV_OK ||
      fconv_fftw_make(&b, &g, FCONV_FFTW_BACKWARD, (int)hm, spec, buf, threads, 0) != FCONV_OK) {
    fprintf(stderr, "planning failed\n");
    exit(1);
  }
  for (size_t i = 0; i < slot * hm; i++) {
    if (dbl) ((double *)buf)[i] = (double)(i % 17) - 8.0;
    else ((float *)buf)[i] = (float)(i % 17) - 8.0f;
  }
  /* enough repetitions per timing to last >= 2 ms */
  int inner = 1;
  double best = INFINITY;
  double (*clk)(void) = wall ? fconv_now : cpu_now;
  const int reps = wall ? 4 * REPS : REPS;
  for (int r = 0; r < reps + 1; r++) {
    double t0 = clk();
    for (int j = 0; j < inner; j++) {
      fconv_fftw_exec(&f, buf, spec);
      fconv_fftw_exec(&b, spec, buf);
    }
    double t = (clk() - t0) / inner;
    if (r == 0) { /* warm-up sizes the inner loop */
      inner = t < 2e-3 ? (int)(2e-3 / (t + 1e-9)) + 1 : 1;
      continue;
    }
    if (t < best) best = t;
    /* renormalise the data (c2r output is scaled by the length) */
    for (size_t i = 0; i < slot * hm; i++) {
      if (dbl) ((double *)buf)[i] = (double)(i % 17) - 8.0;
      else ((float *)buf)[i] = (float)(i % 17) - 8.0f;
    }
  }
  fconv_fftw_destroy(&f);
  fconv_fftw_destroy(&b);
  if (spec != buf) fconv_free(spec);
  fconv_free(buf);
  if (howmany_out) *howmany_out = hm;
  (void)pts;
  return best / (double)hm;
}

/* seconds per point per log2(points) */
static double per_nlogn(int rank, const int *n, int dbl, int cplx) {
  double pts = 1.0, lg = 0.0;
  for (int i = 0; i < rank; i++) { pts *= n[i]; lg += log2((double)n[i]); }
  return pair_time(rank, n, dbl, cplx, 1, 0, NULL) / (pts * lg);
}

/* The normalised problem of a simple case (ZERO boundary, CONVOLVE, stride 1, one signal and
 * one kernel), from the library's own rule. */
static void tool_problem(fconv_problem *p, int rank, const size_t *n, const size_t *k,
                         fconv_mode mode, fconv_dtype dt, int threads) {
  fconv_desc d;
  fconv_desc_init(&d, rank, n, k, dt);
  d.mode = mode;
  d.threads = threads;
  if (fconv_problem_init(&d, p) != FCONV_OK) {
    fprintf(stderr, "bad calibration problem\n");
    exit(1);
  }
}

/* ---- the engine: passes ----------------------------------------------------------------------- */

/* Only the FFTW executes one execute makes (the same plans, chunks, workers and buffers, from
 * the engine's schedule): execute minus this is the engine's passes. */
static void tonly_items(void *vctx, size_t begin, size_t end, int tid) {
  fconv_fc *fc = (fconv_fc *)vctx;
  const fc_sched *s = &fc->s;
  for (size_t it = begin; it < end; it++) {
    if (!s->fb) {
      const size_t u0 = it * s->h, m = u0 + s->h <= s->nunits ? s->h : s->nunits - u0;
      void *spec = fc->s.oop ? fc->cbuf[tid] : fc->wbuf[tid];
      fconv_fftw_exec(fconv_fc_find_plan(fc, FCONV_FFTW_FORWARD, m), fc->wbuf[tid], spec);
      fconv_fftw_exec(fconv_fc_find_plan(fc, FCONV_FFTW_BACKWARD, m), spec, fc->wbuf[tid]);
    } else {
      const size_t kb = fc->p.kernel_batch, bc = it / s->ksplit, r = it % s->ksplit;
      const size_t a0 = bc * s->h, cs = a0 + s->h <= s->nact ? s->h : s->nact - a0;
      fconv_fftw_exec(fconv_fc_find_plan(fc, FCONV_FFTW_FORWARD, cs), fc->wbuf[tid],
                      fc->s.oop ? fc->cbuf[tid] : fc->wbuf[tid]);
      const size_t q_lo = r * kb / s->ksplit, q_hi = (r + 1) * kb / s->ksplit;
      for (size_t q0 = q_lo; q0 < q_hi; q0 += s->kq) {
        const size_t qn = q0 + s->kq <= q_hi ? s->kq : q_hi - q0;
        fconv_fftw_exec(fconv_fc_find_plan(fc, FCONV_FFTW_BACKWARD, cs * qn), fc->pbuf[tid],
                        fc->pbuf[tid]);
      }
    }
  }
}

static void transform_seconds(void *state) {
  fconv_fc *fc = (fconv_fc *)state;
  if (fc->s.nact > 0) fconv_parallel_for(fc->s.nitems, 1, fc->s.nw, tonly_items, fc);
}

/* Best execute seconds and best transform-only seconds of an engine state (reps each). */
static void time_state(void *st, const float *x, float *y, int wall, int reps, double *exec_s,
                       double *fftw_s) {
  double (*clk)(void) = wall ? fconv_now : cpu_now;
  double best = INFINITY, tbest = INFINITY;
  for (int r = 0; r < reps; r++) {
    double t0 = clk();
    fconv_fc_execute(st, x, NULL, y);
    double t = clk() - t0;
    if (t < best) best = t;
    t0 = clk();
    transform_seconds(st);
    t = clk() - t0;
    if (t < tbest) tbest = t;
  }
  *exec_s = best;
  *fftw_s = tbest;
}

/* Execute seconds and transform-only seconds of a path on a problem (best of REPS). */
static void engine_times(const fconv_path_vtbl *path, const fconv_problem *p, int wall,
                         double *exec_s, double *fftw_s, double *scalars, double *chunks) {
  float *x = malloc(p->sig_elems * 4), *h = malloc(p->ker_elems * 4), *y = malloc(p->out_elems * 4);
  for (size_t i = 0; i < p->sig_elems; i++) x[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
  for (size_t i = 0; i < p->ker_elems; i++) h[i] = (float)((i * 104729) % 1000) / 1000.0f - 0.5f;
  void *st = NULL;
  if (path->create(p, &st) != FCONV_OK) { fprintf(stderr, "engine create failed\n"); exit(1); }
  fconv_kernel_stats ks;
  fconv_kernel_info ki;
  fconv_kernel_info_init(p, h, &ks, &ki);
  path->set_kernel(st, h, &ki);
  path->execute(st, x, NULL, y);
  time_state(st, x, y, wall, wall ? 4 * REPS : 2 * REPS, exec_s, fftw_s);
  fconv_plan_info info;
  memset(&info, 0, sizeof info);
  path->describe(st, &info);
  /* scalars the passes touch: 2 * slot per unit + outputs; slot from the transform shape */
  double slot = 1.0, blocks = 1.0;
  for (int a = 0; a < p->rank; a++) {
    const int ax = 3 - p->rank + a;
    const double T = (double)info.transform_shape[a];
    slot *= a == p->rank - 1 ? 2.0 * (floor(T / 2.0) + 1.0) : T;
    const double bo = info.block_shape[a] ? (double)info.block_shape[a] : (double)p->ax[ax].out;
    blocks *= ceil((double)p->ax[ax].out / bo);
  }
  *scalars = 2.0 * slot * blocks + (double)p->out_elems;
  const double hm = floor((double)CHUNK_BYTES / (slot * 4.0));
  *chunks = blocks / (hm < 1.0 ? 1.0 : hm);
  path->destroy(st);
  free(x);
  free(h);
  free(y);
}

static int calibrate_fft(void) {
  double tab[3][28];
  for (int r = 0; r < 3; r++)
    for (int l = 0; l < 28; l++) tab[r][l] = -1.0;

  /* rank 1: 2^4 .. 2^22 */
  for (int lg = 4; lg <= 22; lg++) {
    int n[1] = {1 << lg};
    tab[0][lg] = per_nlogn(1, n, 0, 0);
    fprintf(stderr, "rank 1 lg %2d: %.3g ns\n", lg, tab[0][lg] * 1e9);
  }
  /* rank 2: 2^8 .. 2^24 */
  for (int lg = 8; lg <= 24; lg++) {
    int n[2] = {1 << (lg / 2), 1 << (lg - lg / 2)};
    tab[1][lg] = per_nlogn(2, n, 0, 0);
    fprintf(stderr, "rank 2 lg %2d: %.3g ns\n", lg, tab[1][lg] * 1e9);
  }
  /* rank 3: 2^9 .. 2^24 */
  for (int lg = 9; lg <= 24; lg++) {
    int n[3] = {1 << (lg / 3), 1 << ((lg + 1) / 3), 1 << ((lg + 2) / 3)};
    tab[2][lg] = per_nlogn(3, n, 0, 0);
    fprintf(stderr, "rank 3 lg %2d: %.3g ns\n", lg, tab[2][lg] * 1e9);
  }
  /* fill the ends with the nearest measured value */
  for (int r = 0; r < 3; r++) {
    int first = 0, last = 27;
    while (tab[r][first] < 0) first++;
    while (tab[r][last] < 0) last--;
    for (int l = 0; l < first; l++) tab[r][l] = tab[r][first];
    for (int l = last + 1; l < 28; l++) tab[r][l] = tab[r][last];
  }

  /* radix penalties: least squares over 2-D transforms near 512^2 (MEASURE-planned, so plan
   * quality adds little noise): pen(n) - 1 = PEN3*e3 + PEN5*e5 + PEN7*e7 + PENODD*[n odd],
   * with pen(n) from n x n (even n) or n x 512 (odd n) against the table's c at the same
   * log2(points) (interpolated), which is how the model applies it. */
  static const int psz[] = {480, 500, 504, 540, 560, 576, 588, 600, 630, 640, 672, 686, 700,
                            720, 750, 756, 768, 784, 800, 810, 840, 864, 882, 896, 900, 960,
                            972, 980, 1000, 525, 567, 625, 675, 735, 729};
  const int npsz = (int)(sizeof psz / sizeof psz[0]);
  double A[4][4] = {{0}}, rhs[4] = {0};
  for (int i = 0; i < npsz; i++) {
    const int n = psz[i], odd = n % 2;
    int m = n, e[4] = {0, 0, 0, odd};
    while (m % 2 == 0) m /= 2;
    while (m % 3 == 0) { m /= 3; e[0]++; }
    while (m % 5 == 0) { m /= 5; e[1]++; }
    while (m % 7 == 0) { m /= 7; e[2]++; }
    int sh[2] = {n, odd ? 512 : n};
    const double t = pair_time(2, sh, 0, 0, 1, 0, NULL);
    const double lg = log2((double)n), pts = (double)sh[0] * sh[1], lp = log2(pts);
    const int l0 = (int)floor(lp);
    const double cb = tab[1][l0] + (lp - l0) * (tab[1][l0 + 1] - tab[1][l0]);
    const double pen = odd ? (t / (cb * pts) - 9.0) / lg : t / (cb * pts * 2.0 * lg);
    fprintf(stderr, "size %d: pen %.3f\n", n, pen);
    for (int r = 0; r < 4; r++) {
      for (int c = 0; c < 4; c++) A[r][c] += (double)e[r] * e[c];
      rhs[r] += (double)e[r] * (pen - 1.0);
    }
  }
  double pen[4];
  for (int c = 0; c < 4; c++) { /* Gaussian elimination with partial pivoting */
    int piv = c;
    for (int r = c + 1; r < 4; r++) if (fabs(A[r][c]) > fabs(A[piv][c])) piv = r;
    for (int k = 0; k < 4; k++) { double t = A[c][k]; A[c][k] = A[piv][k]; A[piv][k] = t; }
    double t = rhs[c]; rhs[c] = rhs[piv]; rhs[piv] = t;
    for (int r = c + 1; r < 4; r++) {
      const double f = A[r][c] / A[c][c];
      for (int k = c; k < 4; k++) A[r][k] -= f * A[c][k];
      rhs[r] -= f * rhs[c];
    }
  }
  for (int c = 3; c >= 0; c--) {
    double v = rhs[c];
    for (int k = c + 1; k < 4; k++) v -= A[c][k] * pen[k];
    pen[c] = v / A[c][c];
  }
  for (int c = 0; c < 4; c++) if (pen[c] < 0.0) pen[c] = 0.0;

  /* complex and double factors (4096 and 2-D 256^2) */
  int n1[1] = {4096}, n2[2] = {256, 256};
  const double c2c = 0.5 * (per_nlogn(1, n1, 0, 1) / per_nlogn(1, n1, 0, 0) +
                            per_nlogn(2, n2, 0, 1) / per_nlogn(2, n2, 0, 0));
  const double f64 = 0.5 * (per_nlogn(1, n1, 1, 0) / per_nlogn(1, n1, 0, 0) +
                            per_nlogn(2, n2, 1, 0) / per_nlogn(2, n2, 0, 0));
  fprintf(stderr, "c2c %.3f f64 %.3f\n", c2c, f64);

  /* FFTW threads: one 2-D 1024^2 plan with 1 and 2 threads (wall time both) */
  int nb[2] = {1024, 1024};
  const double t1 = pair_time(2, nb, 0, 0, 1, 1, NULL), t2 = pair_time(2, nb, 0, 0, 2, 1, NULL);
  const double fftw_speedup = t1 / t2;
  fprintf(stderr, "fftw 2 threads: %.3f x\n", fftw_speedup);

  /* engine passes: cache-sized overlap-save chunks (1-D and 2-D) and one big FFT (2-D) */
  fconv_problem p;
  double ex, ff, sc, ch;
  size_t n_os[1] = {(size_t)1 << 20}, k_os[1] = {33};
  tool_problem(&p, 1, n_os, k_os, FCONV_MODE_SAME, FCONV_F32, 1);
  engine_times(&fconv_cpu_overlap_save_path, &p, 0, &ex, &ff, &sc, &ch);
  double pass_cached = (ex - ff) / sc;
  fprintf(stderr, "os 1-D: exec %.3f ms fftw %.3f ms -> %.3g s/scalar\n", ex * 1e3, ff * 1e3,
          (ex - ff) / sc);
  size_t n_os2[2] = {1024, 1024}, k_os2[2] = {9, 9};
  tool_problem(&p, 2, n_os2, k_os2, FCONV_MODE_SAME, FCONV_F32, 1);
  engine_times(&fconv_cpu_overlap_save_path, &p, 0, &ex, &ff, &sc, &ch);
  pass_cached = 0.5 * (pass_cached + (ex - ff) / sc);
  fprintf(stderr, "os 2-D: exec %.3f ms fftw %.3f ms -> %.3g s/scalar\n", ex * 1e3, ff * 1e3,
          (ex - ff) / sc);
  size_t n_ff[2] = {2048, 2048}, k_ff[2] = {5, 5};
  tool_problem(&p, 2, n_ff, k_ff, FCONV_MODE_SAME, FCONV_F32, 1);
  engine_times(&fconv_cpu_fft_path, &p, 0, &ex, &ff, &sc, &ch);
  double pass_memory = (ex - ff) / sc;
  fprintf(stderr, "fft 2-D: exec %.3f ms fftw %.3f ms -> %.3g s/scalar\n", ex * 1e3, ff * 1e3,
          pass_memory);
  if (pass_cached < 1e-11) pass_cached = 1e-11;
  if (pass_memory < 1e-11) pass_memory = 1e-11;
  /* per chunk: a tiny problem is nothing but fixed costs */
  size_t n_t[1] = {16}, k_t[1] = {3};
  tool_problem(&p, 1, n_t, k_t, FCONV_MODE_SAME, FCONV_F32, 1);
  engine_times(&fconv_cpu_fft_path, &p, 0, &ex, &ff, &sc, &ch);
  double exec_call = 0.5 * ex;
  fprintf(stderr, "tiny: exec %.3f us fftw %.3f us\n", ex * 1e6, ff * 1e6);
  /* per block: 1-D 2^20 with 16 taps in 256-point blocks (geometry forced through the engine),
   * what the passes cost beyond their per-scalar part */
  double exec_unit = 0.0;
  {
    size_t n_u[1] = {(size_t)1 << 20}, k_u[1] = {16};
    tool_problem(&p, 1, n_u, k_u, FCONV_MODE_SAME, FCONV_F32, 1);
    const fconv_fc_geom g = {{1, 1, 256}, {1, 1, 241}};
    float *x = malloc(p.sig_elems * 4), *h = malloc(p.ker_elems * 4), *y = malloc(p.out_elems * 4);
    for (size_t i = 0; i < p.sig_elems; i++) x[i] = (float)(i % 13) - 6.0f;
    for (size_t i = 0; i < p.ker_elems; i++) h[i] = (float)(i % 5) - 2.0f;
    void *st = NULL;
    if (fconv_fc_create(&p, &g, 1, &st) != FCONV_OK) { fprintf(stderr, "engine create failed\n"); exit(1); }
    fconv_fc_set_kernel(st, h, NULL); /* the engine reads no kernel info */
    fconv_fc_execute(st, x, NULL, y);
    double eb, fb;
    time_state(st, x, y, 0, 2 * REPS, &eb, &fb);
    fconv_fc_destroy(st);
    const double blocks = ceil((double)p.out_elems / 241.0);
    exec_unit = (eb - fb - pass_cached * blocks * (2.0 * 258.0 + 241.0)) / blocks;
    fprintf(stderr, "256-point blocks: exec %.3f ms fftw %.3f ms -> %.3g s/block\n", eb * 1e3,
            fb * 1e3, exec_unit);
    if (exec_unit < 0.0) exec_unit = 0.0;
    free(x);
    free(h);
    free(y);
  }

  /* two threads, each on its own chunks (overlap-save, 1-D; wall time both) */
  double e1, e2, f1, f2;
  tool_problem(&p, 1, n_os, k_os, FCONV_MODE_SAME, FCONV_F32, 1);
  engine_times(&fconv_cpu_overlap_save_path, &p, 1, &e1, &f1, &sc, &ch);
  tool_problem(&p, 1, n_os, k_os, FCONV_MODE_SAME, FCONV_F32, 2);
  engine_times(&fconv_cpu_overlap_save_path, &p, 1, &e2, &f2, &sc, &ch);
  const double par_speedup = e1 / e2;
  fprintf(stderr, "per-thread chunks 2 threads: %.3f x\n", par_speedup);

  printf("/* cost_fft.h — GENERATED by tools/fconv_calibrate.c; do not edit by hand.\n");
  print_made_by("fft", "src/cpu/cost_fft.h");
  printf(" * The constants of the FFT / overlap-save cost model (cpu/fft_plan.c, model_sched). */\n");
  printf("#ifndef FCONV_CPU_COST_FFT_H\n#define FCONV_CPU_COST_FFT_H\n\n");
  printf("/* Seconds per point per log2(length) of one forward+inverse pair of in-place f32\n"
         " * r2c/c2r transforms, 1 thread, with the planner effort of fftw.c, by transform\n"
         " * rank (1..3) and log2(points) (0..27; the ends repeat the nearest measured size). */\n");
  printf("static const double fconv_cal_fft[3][28] = {\n");
  for (int r = 0; r < 3; r++) {
    printf("  {");
    for (int l = 0; l < 28; l++) printf("%.4g%s", tab[r][l], l < 27 ? (l % 7 == 6 ? ",\n   " : ", ") : "");
    printf("}%s\n", r < 2 ? "," : "};");
  }
  printf("/* Extra cost per point per log2 for each factor 3, 5, 7 of a length, and for lengths\n"
         " * without a factor 2, relative to a power of two. */\n");
  printf("#define FCONV_CAL_PEN3 %.4g\n#define FCONV_CAL_PEN5 %.4g\n", pen[0], pen[1]);
  printf("#define FCONV_CAL_PEN7 %.4g\n#define FCONV_CAL_PENODD %.4g\n", pen[2], pen[3]);
  printf("/* c2c (complex data) and double precision, relative to f32 r2c/c2r at equal points. */\n");
  printf("#define FCONV_CAL_C2C %.4g\n#define FCONV_CAL_F64 %.4g\n", c2c, f64);
  /* A loaded machine makes 2-thread wall times meaningless (the second thread may not run at
   * all); say so in the output and keep the speedups in [1, 2]. */
  const int loaded = fftw_speedup < 1.0 || par_speedup < 1.0;
  double fs = fftw_speedup < 1.0 ? 1.0 : fftw_speedup > 2.0 ? 2.0 : fftw_speedup;
  double ps = par_speedup < 1.0 ? 1.0 : par_speedup > 2.0 ? 2.0 : par_speedup;
  printf("/* Speedup of one FFTW plan with 2 threads; of 2 threads on their own chunks.%s */\n",
         loaded ? "\n * WARNING: measured below 1 (machine busy); clamped to 1 - rerun when idle" : "");
  printf("#define FCONV_CAL_FFTW_SPEEDUP2 %.4g\n#define FCONV_CAL_PAR_SPEEDUP2 %.4g\n", fs, ps);
  printf("/* Seconds per scalar of the pack + multiply + crop passes: cache-sized chunks, and\n"
         " * large transforms (memory bound); seconds per block beyond that (spans, calls);\n"
         " * seconds per chunk (FFTW call, setup). */\n");
  printf("#define FCONV_CAL_PASS_CACHED %.4g\n#define FCONV_CAL_PASS_MEMORY %.4g\n", pass_cached,
         pass_memory);
  printf("#define FCONV_CAL_EXEC_UNIT %.4g\n", exec_unit);
  printf("#define FCONV_CAL_EXEC_CALL %.4g\n\n#endif\n", exec_call);
  return 0;
}

/* ---- the direct path ------------------------------------------------------------------------ */

static double wall_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Best-of-reps seconds of one execute; also returns outputs and taps. */
static double direct_time_one(int rank, const size_t *n, const size_t *k, fconv_dtype dt, double *outputs,
                       double *taps) {
  fconv_desc d;
  fconv_desc_init(&d, rank, n, k, dt);
  d.mode = FCONV_MODE_SAME;
  d.method = FCONV_METHOD_DIRECT;
  d.backend = FCONV_BACKEND_CPU;
  d.threads = 1;
  d.flags = FCONV_FLAG_NO_SEPARABLE;
  fconv_plan *p = NULL;
  if (fconv_plan_create(&p, &d) != FCONV_OK) return -1.0;
  size_t se = 1, ke = 1, oe = 1, os[3];
  fconv_plan_output_shape(p, os);
  for (int a = 0; a < rank; a++) {
    se *= n[a];
    ke *= k[a];
    oe *= os[a];
  }
  const size_t scal = dt == FCONV_F32 || dt == FCONV_F64 ? 1 : 2;
  const int dbl = dt == FCONV_F64 || dt == FCONV_C128;
  const size_t es = (dbl ? 8 : 4);
  unsigned char *x = malloc(se * scal * es), *h = malloc(ke * scal * es), *y = malloc(oe * scal * es);
  double best = INFINITY;
  if (x && h && y) {
    for (size_t i = 0; i < se * scal; i++) {
      double v = (double)rand() / RAND_MAX - 0.5;
      if (dbl) ((double *)(void *)x)[i] = v; else ((float *)(void *)x)[i] = (float)v;
    }
    for (size_t i = 0; i < ke * scal; i++) {
      double v = (double)rand() / RAND_MAX - 0.5;
      if (dbl) ((double *)(void *)h)[i] = v; else ((float *)(void *)h)[i] = (float)v;
    }
    fconv_plan_set_kernel(p, h);
    fconv_execute(p, x, NULL, y);
    double total = 0.0;
    for (int r = 0; r < 15 && (r < 5 || total < 0.3); r++) {
      double t0 = wall_now();
      fconv_execute(p, x, NULL, y);
      double t = wall_now() - t0;
      total += t;
      if (t < best) best = t;
    }
  }
  free(x);
  free(h);
  free(y);
  fconv_plan_destroy(p);
  *outputs = (double)oe;
  *taps = (double)ke;
  return best;
}

static int calibrate_direct(void) {
  static const char *names[4] = {"F32", "F64", "C64", "C128"};
  struct { int rank; size_t n[3], k[3]; } probs[] = {
      {1, {1 << 18}, {1}},        {1, {1 << 18}, {3}},        {1, {1 << 18}, {16}},
      {1, {1 << 18}, {64}},       {1, {1 << 16}, {255}},      {2, {512, 512}, {1, 1}},
      {2, {512, 512}, {3, 3}},    {2, {512, 512}, {5, 5}},    {2, {512, 512}, {9, 9}},
      {2, {256, 256}, {15, 15}},  {3, {64, 64, 64}, {1, 1, 1}}, {3, {64, 64, 64}, {3, 3, 3}},
      {3, {48, 48, 48}, {5, 5, 5}},
  };
  const int np = (int)(sizeof probs / sizeof probs[0]);
  double A[4], B[4];
  for (int dt = 0; dt < 4; dt++) {
    /* relative least squares: minimise sum ((a X + b Y - t) / t)^2 */
    double sxx = 0, sxy = 0, syy = 0, sxt = 0, syt = 0;
    for (int i = 0; i < np; i++) {
      double outputs, taps;
      double t = direct_time_one(probs[i].rank, probs[i].n, probs[i].k, (fconv_dtype)dt, &outputs, &taps);
      if (!(t > 0)) continue;
      double X = outputs * taps / t, Y = outputs / t;
      sxx += X * X; sxy += X * Y; syy += Y * Y; sxt += X; syt += Y;
      fprintf(stderr, "%s rank %d k %zu: %.3f ms (%.3f ns/output, %.4f ns/output-tap)\n",
              names[dt], probs[i].rank, probs[i].k[0], t * 1e3, t / outputs * 1e9,
              t / (outputs * taps) * 1e9);
    }
    double det = sxx * syy - sxy * sxy;
    A[dt] = (sxt * syy - syt * sxy) / det;
    B[dt] = (sxx * syt - sxy * sxt) / det;
    if (B[dt] < 0) { B[dt] = 0; A[dt] = sxt / sxx; }
  }
  double outputs, taps;
  size_t n1 = 64, k1 = 3;
  double c = direct_time_one(1, &n1, &k1, FCONV_F32, &outputs, &taps);
  printf("/* cost_direct.h — GENERATED by tools/fconv_calibrate.c; do not edit by hand.\n");
  print_made_by("direct", "src/cpu/cost_direct.h");
  printf(" * The constants of the CPU direct path's cost model (cpu/direct_path.c, model_seconds):\n"
         " * seconds = a[dtype] * outputs * taps / threads + b[dtype] * outputs + c, measured with\n"
         " * the micro-kernels this machine selects; other vector widths scale a by 32 / vector\n"
         " * bytes. */\n");
  printf("#ifndef FCONV_CPU_COST_DIRECT_H\n#define FCONV_CPU_COST_DIRECT_H\n\n");
  for (int dt = 0; dt < 4; dt++) printf("#define DIRECT_A_%s %.3g\n", names[dt], A[dt]);
  for (int dt = 0; dt < 4; dt++) printf("#define DIRECT_B_%s %.3g\n", names[dt], B[dt]);
  printf("#define DIRECT_C %.3g\n\n#endif\n", c);
  return 0;
}

/* The header's provenance: the command and the machine (CPU model, cores). */
static void print_made_by(const char *what, const char *file) {
  char model[256] = "unknown CPU";
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (f) {
    char line[512];
    while (fgets(line, sizeof line, f))
      if (strncmp(line, "model name", 10) == 0) {
        const char *c = strchr(line, ':');
        if (c) {
          snprintf(model, sizeof model, "%s", c + 2);
          model[strcspn(model, "\n")] = '\0';
        }
        break;
      }
    fclose(f);
  }
  printf(" * Made by: fconv_calibrate %s > %s\n", what, file);
  printf(" * on: %s, %d cores.\n", model, fconv_cpu_count());
}

#ifdef FCONV_HAVE_CUDA
#include "../src/cuda_module.h"
static int calibrate_cuda(void) {
  const fconv_cuda_module *m = fconv_cuda_module_get();
  if (!m) {
    fprintf(stderr, "fconv_calibrate cuda: no CUDA module: %s\n", fconv_cuda_module_why());
    return 1;
  }
  if (m->devices() == 0) {
    fprintf(stderr, "fconv_calibrate cuda: no usable CUDA device\n");
    return 1;
  }
  char report[8192];
  const fconv_status st = m->calibrate(0, report, sizeof report);
  if (st != FCONV_OK) {
    fprintf(stderr, "fconv_calibrate cuda: %s\n", fconv_last_error());
    return 1;
  }
  fputs(report, stdout);
  return 0;
}
#else
static int calibrate_cuda(void) {
  fprintf(stderr, "fconv_calibrate cuda: this fconv was built without the CUDA backend\n");
  return 1;
}
#endif

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "fft") == 0) return calibrate_fft();
  if (argc == 2 && strcmp(argv[1], "direct") == 0) return calibrate_direct();
  if (argc == 2 && strcmp(argv[1], "cuda") == 0) return calibrate_cuda();
  if (argc >= 3 && argc <= 5 && strcmp(argv[1], "probe") == 0) { /* one shape's table figure */
    int n[3], r = argc - 2;
    for (int i = 0; i < r; i++) n[i] = atoi(argv[2 + i]);
    printf("%.4g ns per point per log2\n", per_nlogn(r, n, 0, 0) * 1e9);
    return 0;
  }
  fprintf(stderr, "usage: fconv_calibrate fft|direct > header, cuda, or probe N0 [N1 [N2]] (see the top "
                  "of the source)\n");
  return 2;
}
