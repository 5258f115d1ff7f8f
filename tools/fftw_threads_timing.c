/* fftw_threads_timing.c — how FFTW's threads should run inside fconv: one in-place r2c + c2r
 * pair of length n (FFTW_ESTIMATE, as fconv plans 1-D), timed with
 *   serial  1 thread;
 *   pool    `threads` FFTW threads on FFTW's own thread pool;
 *   fconv   `threads` FFTW threads run by fconv's runtime (the callback the library
 *           installs, fconv_fftw_parallel_loop -> fconv_parallel_for);
 * interleaved rounds, median milliseconds per pair. --contended keeps one busy process (a spin
 * loop) running beside the measurement.
 *   cmake --build build --target fconv_fftw_threads_timing
 *   build/fconv_fftw_threads_timing [--contended] [n] [threads] [rounds]
 */
#define _GNU_SOURCE
#include "cpu/fftw.h"

#include <fftw3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int contended = 0, ai = 1;
  if (argc > 1 && strcmp(argv[1], "--contended") == 0) contended = 1, ai = 2;
  const int n = argc > ai ? atoi(argv[ai]) : 1 << 20;
  const int threads = argc > ai + 1 ? atoi(argv[ai + 1]) : 2;
  const int rounds = argc > ai + 2 ? atoi(argv[ai + 2]) : 30;
  if (n < 16 || threads < 1 || rounds < 1) {
    fprintf(stderr, "usage: %s [--contended] [n >= 16] [threads] [rounds]\n", argv[0]);
    return 1;
  }
  pid_t spinner = 0;
  if (contended) {
    spinner = fork();
    if (spinner == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      for (volatile unsigned long i = 0;; i++) {
      }
    }
  }
  fftwf_init_threads();
  const size_t cplx = (size_t)n / 2 + 1;
  float *buf = fftwf_alloc_real(2 * cplx);
  fftwf_plan f[2], b[2];
  for (int m = 0; m < 2; m++) {
    fftwf_plan_with_nthreads(m == 0 ? 1 : threads);
    f[m] = fftwf_plan_dft_r2c_1d(n, buf, (fftwf_complex *)buf, FFTW_ESTIMATE);
    b[m] = fftwf_plan_dft_c2r_1d(n, (fftwf_complex *)buf, buf, FFTW_ESTIMATE);
  }
  for (size_t i = 0; i < 2 * cplx; i++) buf[i] = (float)(i % 13) - 6.0f;
  const char *name[3] = {"serial", "pool", "fconv"};
  double *t[3];
  for (int m = 0; m < 3; m++) t[m] = (double *)malloc(sizeof(double) * (size_t)rounds * 10);
  int reps = 0;
  for (int r = 0; r < rounds; r++) {
    for (int m = 0; m < 3; m++) {
      fftwf_threads_set_callback(m == 2 ? fconv_fftw_parallel_loop : NULL, NULL);
      const int p = m == 0 ? 0 : 1;
      fftwf_execute(f[p]); /* warm */
      fftwf_execute(b[p]);
      for (int k = 0; k < 10; k++) {
        double t0 = now();
        fftwf_execute(f[p]);
        fftwf_execute(b[p]);
        t[m][r * 10 + k] = (now() - t0) * 1e3;
      }
    }
    reps += 10;
  }
  printf("# r2c + c2r pair, n = %d, %d threads, %d reps each, %s\n", n, threads, reps,
         contended ? "contended (one busy process)" : "no added load");
  for (int m = 0; m < 3; m++) {
    qsort(t[m], (size_t)reps, sizeof(double), cmp);
    printf("%-7s median %.3f ms  (q1 %.3f, q3 %.3f)\n", name[m], t[m][reps / 2], t[m][reps / 4],
           t[m][3 * reps / 4]);
    free(t[m]);
  }
  for (int m = 0; m < 2; m++) {
    fftwf_destroy_plan(f[m]);
    fftwf_destroy_plan(b[m]);
  }
  fftwf_free(buf);
  if (spinner > 0) kill(spinner, SIGKILL);
  return 0;
}
