/* util.c — logging, aligned allocation (with a fault-injection hook for tests), clock. */
#include "fconv_internal.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- logging: only under FCONV_DEBUG ------------------------------------------------------ */

int fconv_debug_enabled(void) {
  static atomic_int cached = -1;
  int v = atomic_load_explicit(&cached, memory_order_relaxed);
  if (v < 0) {
    const char *e = getenv("FCONV_DEBUG");
    v = (e && *e && strcmp(e, "0") != 0) ? 1 : 0;
    atomic_store_explicit(&cached, v, memory_order_relaxed);
  }
  return v;
}

void fconv_log(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "fconv %s:%d: ", file, line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* ---- memory ------------------------------------------------------------------------------ */

/* FCONV_FAIL_ALLOC_AFTER=N: allocation number N+1 and every later one fail; with
 * FCONV_FAIL_ALLOC_ONLY=1 as well, only allocation N+1 fails (so an ignored failure followed by
 * further allocations is caught). Read on every call so tests can change them between calls. */
static atomic_long fconv_alloc_counter;

static int fconv_alloc_should_fail(void) {
  const char *e = getenv("FCONV_FAIL_ALLOC_AFTER");
  if (!e || !*e) return 0;
  long limit = strtol(e, NULL, 10);
  long n = atomic_fetch_add(&fconv_alloc_counter, 1);
  const char *only = getenv("FCONV_FAIL_ALLOC_ONLY");
  if (only && *only && strcmp(only, "0") != 0) return n == limit;
  return n >= limit;
}

/* Reset by tests through the environment: a change of the variable's value resets the count. */
static void fconv_alloc_reset_if_changed(void) {
  static char last[32];
  static atomic_flag lock = ATOMIC_FLAG_INIT;
  const char *e = getenv("FCONV_FAIL_ALLOC_AFTER");
  if (!e) e = "";
  while (atomic_flag_test_and_set(&lock)) {}
  if (strncmp(last, e, sizeof last - 1) != 0) {
    strncpy(last, e, sizeof last - 1);
    atomic_store(&fconv_alloc_counter, 0);
  }
  atomic_flag_clear(&lock);
}

void *fconv_malloc(size_t bytes) {
  fconv_alloc_reset_if_changed();
  if (fconv_alloc_should_fail()) return NULL;
  if (bytes == 0) bytes = 1;
  size_t rounded;
  if (fconv_add_ovf(bytes, 63, &rounded)) return NULL;
  rounded &= ~(size_t)63;
  void *p = NULL;
  if (posix_memalign(&p, 64, rounded) != 0) return NULL;
  return p;
}

void *fconv_calloc(size_t bytes) {
  void *p = fconv_malloc(bytes);
  if (p) memset(p, 0, bytes);
  return p;
}

void fconv_free(void *p) { free(p); }

/* ---- clock ------------------------------------------------------------------------------- */

double fconv_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
