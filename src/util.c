/* util.c — CPU threads (fconv_parallel_for, OpenMP where available) and the clock. */
#include "util.h"

#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- threads ----------------------------------------------------------------------------- */

int fconv_cpu_count(void) {
#ifdef _OPENMP
  int n = omp_get_num_procs();
#else
  long n = sysconf(_SC_NPROCESSORS_ONLN);
#endif
  return n >= 1 ? (int)n : 1;
}

void fconv_parallel_for(size_t n, size_t grain, int threads, fconv_range_fn fn, void *ctx) {
  if (n == 0) return;
  if (grain == 0) grain = 1;
  size_t max_chunks = (n + grain - 1) / grain;
  int t = threads < 1 ? 1 : threads;
  if ((size_t)t > max_chunks) t = (int)max_chunks;
  if (t <= 1) {
    fn(ctx, 0, n, 0);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel num_threads(t)
  {
    int tid = omp_get_thread_num();
    int nt = omp_get_num_threads();
    size_t b = n * (size_t)tid / (size_t)nt, e = n * (size_t)(tid + 1) / (size_t)nt;
    if (b < e) fn(ctx, b, e, tid);
  }
#else
  fn(ctx, 0, n, 0);
#endif
}

double fconv_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
