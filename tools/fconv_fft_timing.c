/* fconv_fft_timing.c — times the CPU FFT and overlap-save paths on the target cases.
 *
 * For each case (F32, ZERO boundary, SAME unless stated) and method it prints the median
 * execute time through the public API (plan reused, kernel set with set_kernel), the model's
 * estimate, the best time of the path's own FFTW transforms alone (the same plans, chunks and
 * threads, via the engine's measurement hook), the plan creation time, and ratio = best execute
 * / best transforms-only: the overhead of the pack, multiply and crop passes.
 *
 * Build (static libfconv only: the hook is a hidden symbol):
 *   cmake --build build-fft --target fconv_fft_timing
 * Run: build-fft/fconv_fft_timing [threads=2] [reps=7] [case-substring]
 * (threads = 1: thread CPU time, robust on a busy machine; otherwise wall time.)
 * Compare with the peers in the same shell session: /usr/bin/python3 tools/fft_peers.py
 */
#include "../src/cpu/fft_plan.h"
#include "tool_problem.h"
#include "fconv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  const char *name;
  int rank;
  size_t n[3], k[3];
  fconv_mode mode;
} tcase;

static const tcase cases[] = {
    {"1d-1M-k16", 1, {1 << 20}, {16}, FCONV_MODE_SAME},
    {"1d-1M-k1024", 1, {1 << 20}, {1024}, FCONV_MODE_SAME},
    {"1d-1M-k65536", 1, {1 << 20}, {65536}, FCONV_MODE_SAME},
    {"1d-64K-k65536-full", 1, {65536}, {65536}, FCONV_MODE_FULL},
    {"2d-2048-k7", 2, {2048, 2048}, {7, 7}, FCONV_MODE_SAME},
    {"2d-2048-k15", 2, {2048, 2048}, {15, 15}, FCONV_MODE_SAME},
    {"2d-2048-k31", 2, {2048, 2048}, {31, 31}, FCONV_MODE_SAME},
    {"2d-1024-k127", 2, {1024, 1024}, {127, 127}, FCONV_MODE_SAME},
    {"3d-128-k5", 3, {128, 128, 128}, {5, 5, 5}, FCONV_MODE_SAME},
};

/* threads == 1: everything runs on this thread, so its CPU time is the clean measure on a busy
 * machine; otherwise wall time. */
static int g_cpu_clock;
static double clk(void) {
  if (!g_cpu_clock) return fconv_now();
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmpd(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static const fconv_path_vtbl *path_of(fconv_method m) {
  return m == FCONV_METHOD_FFT ? &fconv_cpu_fft_path : &fconv_cpu_overlap_save_path;
}

int main(int argc, char **argv) {
  const int threads = argc > 1 ? atoi(argv[1]) : 2;
  const int reps = argc > 2 ? atoi(argv[2]) : 7;
  const char *only = argc > 3 ? argv[3] : NULL;
  g_cpu_clock = threads == 1;
  printf("%-20s %-13s %9s %9s %9s %9s %7s %9s  %s\n", "case", "method", "exec_ms", "model_ms",
         "fftw_ms", "plan_s", "ratio", "auto", "transform/block");
  for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
    const tcase *c = &cases[ci];
    if (only && !strstr(c->name, only)) continue;
    fconv_problem prob;
    tool_problem(&prob, c->rank, c->n, c->k, c->mode, FCONV_F32, threads);
    float *x = malloc(prob.sig_elems * 4), *h = malloc(prob.ker_elems * 4),
          *y = malloc(prob.out_elems * 4);
    srand(1);
    for (size_t i = 0; i < prob.sig_elems; i++) x[i] = (float)rand() / RAND_MAX - 0.5f;
    for (size_t i = 0; i < prob.ker_elems; i++) h[i] = (float)rand() / RAND_MAX - 0.5f;
    const fconv_method ms[2] = {FCONV_METHOD_FFT, FCONV_METHOD_OVERLAP_SAVE};
    for (int mi = 0; mi < 2; mi++) {
      fconv_desc d;
      fconv_desc_init(&d, c->rank, c->n, c->k, FCONV_F32);
      d.mode = c->mode;
      d.threads = threads;
      d.method = ms[mi];
      d.backend = FCONV_BACKEND_CPU;
      fconv_plan *pl = NULL;
      double t0 = fconv_now();
      if (fconv_plan_create(&pl, &d) != FCONV_OK) { printf("%s: create failed\n", c->name); continue; }
      double tplan = fconv_now() - t0;
      fconv_plan_set_kernel(pl, h);
      fconv_execute(pl, x, NULL, y);
      double ts[64];
      int nr = reps > 64 ? 64 : reps;
      for (int r = 0; r < nr; r++) {
        t0 = clk();
        fconv_execute(pl, x, NULL, y);
        ts[r] = clk() - t0;
      }
      qsort(ts, (size_t)nr, sizeof ts[0], cmpd);
      fconv_plan_info info;
      fconv_plan_get_info(pl, &info);
      fconv_plan_destroy(pl);
      /* the same path state through the vtable, for its transforms alone */
      void *st = NULL;
      double tf = NAN;
      const fconv_path_vtbl *path = path_of(ms[mi]);
      if (path->create(&prob, &st) == FCONV_OK) {
        path->set_kernel(st, h);
        path->execute(st, x, NULL, y);
        tf = INFINITY;
        for (int r = 0; r < nr; r++) { /* best of nr */
          double t1 = clk();
          fconv_fc_transform_seconds(st, 1);
          t1 = clk() - t1;
          if (t1 < tf) tf = t1;
        }
        path->destroy(st);
      }
      /* which would AUTO pick between the two (model)? */
      double efft = fconv_cpu_fft_path.estimate(&prob), eos = fconv_cpu_overlap_save_path.estimate(&prob);
      /* ratio: best execute over best transforms-only (like with like) */
      printf("%-20s %-13s %9.2f %9.2f %9.2f %9.2f %7.2f %9s  %zux%zux%zu / %zux%zux%zu\n", c->name,
             fconv_method_name(ms[mi]), ts[nr / 2] * 1e3, info.estimated_seconds * 1e3, tf * 1e3,
             tplan, ts[0] / tf, efft <= eos ? "fft" : "os", info.transform_shape[0],
             info.transform_shape[1], info.transform_shape[2], info.block_shape[0],
             info.block_shape[1], info.block_shape[2]);
      fflush(stdout);
    }
    free(x);
    free(h);
    free(y);
  }
  return 0;
}
