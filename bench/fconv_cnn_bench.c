/* fconv_cnn_bench.c — one CNN layer through fconv (multi-channel API), for bench/cnn.py.
 *
 *   fconv_cnn_bench RANK N CIN COUT GROUPS SIZE K STRIDE PAD THREADS METHOD REPS DIR
 *
 * Signal (N x CIN x SIZE^RANK) and weights (COUT x CIN/GROUPS x K^RANK) are filled with a
 * deterministic pattern in [-1, 1) and written to DIR/x.f32 and DIR/w.f32 (float32, C order);
 * the layer is torch's conv (cross-correlation, zero padding PAD, stride STRIDE): fconv CORRELATE,
 * MODE_PAD, ZERO boundary. METHOD is auto|direct|fft|os. Timed: one-shot plan (create +
 * set_kernel) once, then REPS executes; the output goes to DIR/y.f32 and one line to stdout:
 *   method=<chosen> plan_ms=<..> median_ms=<..> min_ms=<..> out=<elements> est_ms=<..> isa=<..>
 * (est_ms: the cost model's figure for the chosen method, the measure its constants are
 * checked against; isa: fconv_plan_info.isa, e.g. avx512+gemm)
 *
 *   fconv_cnn_bench peak THREADS
 * estimates this CPU's f32 multiply-add peak for THREADS cores: one thread runs independent
 * chains of vector FMAs (AVX-512 when the CPU has it, else AVX2+FMA, else SSE) in 60 short
 * runs of a few ms; the best run's rate (a run that had a core to itself, also on a busy
 * machine) times THREADS; prints
 *   isa=<..> threads=<..> gflops=<..>   (2 flops per multiply-add)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fconv.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void fill(float *v, size_t n, unsigned long long seed) {
  unsigned long long s = seed;
  for (size_t i = 0; i < n; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    v[i] = (float)((double)(s >> 11) * (2.0 / 9007199254740992.0) - 1.0);
  }
}

static int save(const char *dir, const char *name, const float *v, size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) return 1;
  size_t w = fwrite(v, sizeof(float), n, f);
  fclose(f);
  return w != n;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* ---- peak: independent FMA chains (12 accumulators cover the latency of 2 pipes) ---------- */
#define PEAK_ACC 12
#define PEAK_ITERS 1000000L
#define PEAK_RUNS 60
#define PEAK_FN(NAME, BYTES, TARGET)                                                            \
  __attribute__((target(TARGET))) static double NAME(void) {                                    \
    typedef float v __attribute__((vector_size(BYTES)));                                        \
    v a[PEAK_ACC], m, c;                                                                        \
    for (int i = 0; i < PEAK_ACC; i++) a[i] = (v){0} + (float)i * 1e-3f;                       \
    m = (v){0} + 0.999999f;                                                                     \
    c = (v){0} + 1e-7f;                                                                         \
    for (long it = 0; it < PEAK_ITERS; it++) {                                                  \
      for (int i = 0; i < PEAK_ACC; i++) a[i] = a[i] * m + c;                                   \
    }                                                                                           \
    float sum = 0;                                                                              \
    for (int i = 0; i < PEAK_ACC; i++) sum += a[i][0];                                          \
    if (sum == 12345.f) printf(" ");                                                            \
    return 2.0 * PEAK_ACC * (BYTES / 4) * (double)PEAK_ITERS;                                   \
  }
#if defined(__x86_64__) && defined(__GNUC__)
PEAK_FN(peak_avx512, 64, "avx512f,fma")
PEAK_FN(peak_avx2, 32, "avx2,fma")
#endif
PEAK_FN(peak_base, 16, "sse2")

static double (*peak_fn)(void) = peak_base;

static int peak(int threads) {
  const char *isa = "sse2";
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    peak_fn = peak_avx512;
    isa = "avx512f";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    peak_fn = peak_avx2;
    isa = "avx2+fma";
  }
#endif
  if (threads < 1) return 2;
  peak_fn(); /* warm-up (clock ramp) */
  double best = 0;
  for (int r = 0; r < PEAK_RUNS; r++) {
    const double t0 = now(), flops = peak_fn(), rate = flops / (now() - t0);
    if (rate > best) best = rate;
  }
  printf("isa=%s threads=%d gflops=%.1f\n", isa, threads, best * threads / 1e9);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "peak")) return peak(atoi(argv[2]));
  if (argc != 14) {
    fprintf(stderr, "usage: %s RANK N CIN COUT GROUPS SIZE K STRIDE PAD THREADS METHOD REPS DIR\n",
            argv[0]);
    return 2;
  }
  const int rank = atoi(argv[1]);
  const size_t batch = strtoull(argv[2], NULL, 10), cin = strtoull(argv[3], NULL, 10),
               cout = strtoull(argv[4], NULL, 10), groups = strtoull(argv[5], NULL, 10),
               size = strtoull(argv[6], NULL, 10), k = strtoull(argv[7], NULL, 10),
               stride = strtoull(argv[8], NULL, 10), pad = strtoull(argv[9], NULL, 10);
  const int threads = atoi(argv[10]), reps = atoi(argv[12]);
  const char *m = argv[11], *dir = argv[13];
  size_t n[3], kk[3];
  for (int a = 0; a < 3; a++) {
    n[a] = size;
    kk[a] = k;
  }
  fconv_desc d;
  fconv_desc_init(&d, rank, n, kk, FCONV_F32);
  d.batch = batch;
  d.mode = FCONV_MODE_PAD;
  d.op = FCONV_OP_CORRELATE;
  d.backend = FCONV_BACKEND_CPU;
  d.threads = threads;
  d.method = !strcmp(m, "direct") ? FCONV_METHOD_DIRECT
             : !strcmp(m, "fft")  ? FCONV_METHOD_FFT
             : !strcmp(m, "os")   ? FCONV_METHOD_OVERLAP_SAVE
                                  : FCONV_METHOD_AUTO;
  for (int a = 0; a < rank; a++) {
    d.stride[a] = stride;
    d.pad_before[a] = d.pad_after[a] = pad;
  }
  fconv_desc_set_channels(&d, cin, cout, groups);
  size_t sp = 1, ks = 1;
  for (int a = 0; a < rank; a++) {
    sp *= size;
    ks *= k;
  }
  const size_t nx = batch * cin * sp, nw = cout * (cin / groups) * ks;
  float *x = (float *)malloc(nx * sizeof(float)), *w = (float *)malloc(nw * sizeof(float));
  if (!x || !w) return 3;
  fill(x, nx, 1);
  fill(w, nw, 2);
  if (save(dir, "x.f32", x, nx) || save(dir, "w.f32", w, nw)) return 4;

  double t0 = now();
  fconv_plan *plan = NULL;
  fconv_status st = fconv_plan_create(&plan, &d);
  if (st == FCONV_OK) st = fconv_plan_set_kernel(plan, w);
  const double plan_ms = (now() - t0) * 1e3;
  if (st != FCONV_OK) {
    fprintf(stderr, "fconv: %s\n", fconv_status_string(st));
    return 5;
  }
  size_t os[FCONV_MAX_RANK];
  fconv_plan_output_shape(plan, os);
  size_t ny = batch * cout;
  for (int a = 0; a < rank; a++) ny *= os[a];
  float *y = (float *)malloc(ny * sizeof(float));
  double *t = (double *)malloc((size_t)(reps + 1) * sizeof(double));
  if (!y || !t) return 3;
  st = fconv_execute(plan, x, NULL, y); /* warm-up (first touch of the output) */
  for (int r = 0; r < reps && st == FCONV_OK; r++) {
    t0 = now();
    st = fconv_execute(plan, x, NULL, y);
    t[r] = (now() - t0) * 1e3;
  }
  if (st != FCONV_OK) {
    fprintf(stderr, "fconv: %s\n", fconv_status_string(st));
    return 5;
  }
  qsort(t, (size_t)reps, sizeof(double), cmp_double);
  fconv_plan_info info;
  fconv_plan_get_info(plan, &info);
  if (save(dir, "y.f32", y, ny)) return 4;
  printf("method=%s plan_ms=%.3f median_ms=%.3f min_ms=%.3f out=%zu est_ms=%.3f isa=%s\n",
         fconv_method_name(info.method), plan_ms, t[reps / 2], t[0], ny,
         info.estimated_seconds * 1e3, info.isa[0] ? info.isa : "-");
  fconv_plan_destroy(plan);
  free(x);
  free(w);
  free(y);
  free(t);
  return 0;
}
