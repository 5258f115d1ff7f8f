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
 */
#define _GNU_SOURCE
#include "bench_core.h"
#include "fconv.h"

#include <fftw3.h>
#include <math.h>
#include <signal.h>
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
} options;

static void usage(FILE *f) {
  fprintf(f,
          "usage: fconv_bench [options] CASE...   |   fconv_bench --matrix default|full [options]\n"
          "\n"
          "CASE: RANKd:DTYPE:SHAPE:kKSHAPE:MODE:METHOD:BACKEND[:bN][:kbN][:sN][:corr][:BOUNDARY][:dev]\n"
          "  e.g. 2d:f32:2048x2048:k7x7:same:fft:cpu   1d:f32:2^20:k16:same:auto:auto\n"
          "  DTYPE f32|f64|c64|c128  MODE full|same|valid  METHOD direct|fft|os|auto|*\n"
          "  BACKEND cpu|cuda|auto|*  BOUNDARY zero|wrap|symmetric|mirror|replicate\n"
          "  dev: CUDA device-resident arrays (FCONV_FLAG_DEVICE_POINTERS)\n"
          "\n"
          "options:\n"
          "  --matrix NAME        default (a few minutes on 2 cores) or full (GPU machines)\n"
          "  --csv FILE           write the CSV there (default: stdout)\n"
          "  --budget S           seconds of timed repetitions per row (default 0.4; min reps 3)\n"
          "  --min-reps N         minimum timed repetitions (default 3)\n"
          "  --threads N          CPU threads for fconv (default 2; 0 = all cores)\n"
          "  --timeout S          seconds per row before it is stopped (default 30)\n"
          "  --verify-full-max M  verify the whole output up to M direct multiply-adds\n"
          "                       (default 5e7), else sampled tiles\n"
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
  double plan_ms, warm_ms;
  double rel_err, oracle_err, tol;
  int threads;
  int warm_counted;
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
static int verify(const bench_case *c, const bench_geom *g, const options *o, const void *x,
                  const void *h, const void *y, row_result *r) {
  const size_t es = esize(c->dtype);
  const double macs = (double)g->count * (double)g->out_elems * g->taps;
  bench_cmp m, mo;
  bench_cmp_init(&m);
  bench_cmp_init(&mo);
  r->tol = bench_tolerance(c->dtype, g);
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
        bench_extract_window(c, g, x, item, t0, T, win, wext);
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
        bench_oracle(c, g, x, h, items[ii], t, ref);
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
  r->rel_err = bench_cmp_rel(&m);
  const int bad = !(r->rel_err <= r->tol) || (!isnan(r->oracle_err) && !(r->oracle_err <= r->tol));
  return bad ? 1 : 0;
}

/* ---- one row (in the child) ---------------------------------------------------------------- */

static void run_row(const bench_case *c, const options *o, row_result *r) {
  bench_geom g;
  fconv_desc d;
  char problem[256];
  bench_format_problem(c, problem, sizeof problem);
  bench_geom_init(c, &g);
  desc_of(c, o->threads, &d);
  r->threads = o->threads;
  snprintf(r->method, sizeof r->method, "%s", bench_method_token(c->method));
  snprintf(r->backend, sizeof r->backend, "%s", bench_backend_token(c->backend));

  /* Plan first: a path that is not built fails here without any data being made. */
  fconv_plan *plan = NULL;
  double t0 = now_s();
  fconv_status st = fconv_plan_create(&plan, &d);
  r->plan_ms = 1e3 * (now_s() - t0);
  if (st == FCONV_ERR_UNSUPPORTED) {
    set_status(r, "not built", "fconv_plan_create: %s", fconv_status_string(st));
    return;
  }
  if (st == FCONV_ERR_NO_DEVICE) {
    set_status(r, "no device", "fconv_plan_create: %s", fconv_status_string(st));
    return;
  }
  if (st != FCONV_OK) {
    r->error = 1;
    set_status(r, "error", "fconv_plan_create: %s", fconv_status_string(st));
    return;
  }
  fconv_plan_info info;
  if (fconv_plan_get_info(plan, &info) == FCONV_OK) {
    snprintf(r->method, sizeof r->method, "%s", bench_method_token(info.method));
    snprintf(r->backend, sizeof r->backend, "%s", bench_backend_token(info.backend));
    snprintf(r->reason, sizeof r->reason, "%s", info.reason);
    if (info.threads > 0) r->threads = info.threads;
  }
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
  bench_fill(h, hn * sc, is_double(c->dtype), seed + 1);
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

  /* Warm-up: the first execute, whose result is verified. */
  t0 = now_s();
  st = fconv_execute(plan, ax, ah, ay);
  if (c->device_ptrs) dev_sync();
  double tw = now_s() - t0;
  r->warm_ms = 1e3 * tw;
  if (st != FCONV_OK) {
    r->error = 1;
    set_status(r, "error", "fconv_execute: %s", fconv_status_string(st));
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
  r->stage = STAGE_VERIFIED;

  /* Timed repetitions: at least min_reps, then until the budget is spent. */
  if (tw >= o->budget) { /* a long first run counts: warm-up effects are small next to it */
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
    st = fconv_execute(plan, ax, ah, ay);
    if (c->device_ptrs) dev_sync();
    double t = now_s() - t0;
    if (st != FCONV_OK) {
      r->error = 1;
      set_status(r, "error", "fconv_execute (timed): %s", fconv_status_string(st));
      goto done;
    }
    r->t[n] = t;
    __atomic_store_n(&r->nreps, n + 1, __ATOMIC_RELEASE);
  }
  set_status(r, "ok", "%s", "");
  r->stage = STAGE_DONE;
done:
  fconv_plan_destroy(plan);
  free(x); free(h); free(y);
  dev_free(dx); dev_free(dh); dev_free(dy);
}

/* ---- the machine (also in a child: no CUDA or OpenMP state in the parent) ---------------- */

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
    "q3_ms,outputs,taps,bytes,outputs_per_s,gbps,gflops,note";

static void write_header(FILE *f, const machine *m, const options *o, int argc, char **argv) {
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
      if (is_auto)
        fprintf(stderr, "            AUTO chose %s/%s: %s\n", r->method, r->backend, r->reason);
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
  options o = {NULL, NULL, 0.4, 3, 2, 30.0, 5e7, 0, 0, 0, 0, 0};
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
  write_header(csv, m, &o, argc, argv);
  if (!o.quiet) {
    fprintf(stderr, "fconv_bench: %zu rows, %d thread(s), budget %g s/row, timeout %g s/row\n",
            nrows, o.threads, o.budget, o.timeout);
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
