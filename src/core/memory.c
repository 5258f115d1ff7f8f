/* core/memory.c — aligned host allocation with a fault-injection hook for tests. */
#include "memory.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

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
