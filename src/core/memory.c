/* core/memory.c — aligned host allocation (with a bounded cache of large blocks) and a
 * fault-injection hook for tests. */
#include "memory.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
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

/* ---- blocks and the cache of large blocks -----------------------------------------------------
 *
 * Every block is a malloc'd or calloc'd region with a 64-byte aligned payload and a header just
 * before it (the region's start and payload capacity). Large blocks (FC_CACHE_MIN bytes or more)
 * freed by fconv_free are kept in a small process-wide cache, bounded in bytes, and handed to
 * the next large request they fit (at most twice its size): creating and destroying plans of one
 * shape in a loop (fconv_convolve) then reuses memory that is already mapped, instead of paying a
 * page fault for every 4 KiB of every fresh buffer again (about 16 us each on the machines this
 * was measured on: a 1024^2 f32 FFT plan's 11 MB of slots cost 40 ms of faults). A fresh zeroed
 * block comes from calloc, which maps zero pages lazily: creating a plan does not touch its
 * buffers. FCONV_BUFFER_CACHE_MB sets the bound (default 256; 0 disables the cache). */

#define FC_CACHE_MIN ((size_t)256 << 10)
#define FC_CACHE_SLOTS 16

typedef struct {
  void *region; /* what malloc/calloc returned */
  size_t cap;   /* payload bytes */
} fc_header;

typedef struct {
  unsigned char *payload;
  size_t cap;
} fc_cached;

static pthread_mutex_t fc_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static fc_cached fc_cache[FC_CACHE_SLOTS];
static int fc_cache_n;
static size_t fc_cache_bytes;

static size_t fc_cache_limit(void) {
  static atomic_long limit = -1;
  long v = atomic_load(&limit);
  if (v < 0) {
    const char *e = getenv("FCONV_BUFFER_CACHE_MB");
    char *end = NULL;
    long mb = e && *e ? strtol(e, &end, 10) : 256;
    if (!e || !*e || (end && *end) || mb < 0) mb = 256;
    v = mb > (long)(SIZE_MAX >> 21) ? (long)(SIZE_MAX >> 21) : mb;
    atomic_store(&limit, v);
  }
  return (size_t)v << 20;
}

static fc_header *header_of(void *payload) { return (fc_header *)payload - 1; }

/* A new block of cap payload bytes (cap a multiple of 64), zeroed when zero != 0. */
static void *fresh_block(size_t cap, int zero) {
  size_t total;
  if (fconv_add_ovf(cap, 64 + sizeof(fc_header), &total)) return NULL;
  void *region = zero ? calloc(1, total) : malloc(total);
  if (!region) return NULL;
  uintptr_t at = ((uintptr_t)region + sizeof(fc_header) + 63) & ~(uintptr_t)63;
  unsigned char *payload = (unsigned char *)at;
  header_of(payload)->region = region;
  header_of(payload)->cap = cap;
  return payload;
}

/* A cached block of at least cap bytes and at most twice that, or NULL. */
static void *cached_block(size_t cap) {
  if (cap < FC_CACHE_MIN) return NULL;
  unsigned char *got = NULL;
  pthread_mutex_lock(&fc_cache_lock);
  int best = -1;
  for (int i = 0; i < fc_cache_n; i++)
    if (fc_cache[i].cap >= cap && fc_cache[i].cap / 2 <= cap &&
        (best < 0 || fc_cache[i].cap < fc_cache[best].cap))
      best = i;
  if (best >= 0) {
    got = fc_cache[best].payload;
    fc_cache_bytes -= fc_cache[best].cap;
    fc_cache[best] = fc_cache[--fc_cache_n];
  }
  pthread_mutex_unlock(&fc_cache_lock);
  return got;
}

static void *alloc_block(size_t bytes, int zero) {
  fconv_alloc_reset_if_changed();
  if (fconv_alloc_should_fail()) return NULL;
  if (bytes == 0) bytes = 1;
  size_t cap;
  if (fconv_add_ovf(bytes, 63, &cap)) return NULL;
  cap &= ~(size_t)63;
  unsigned char *p = (unsigned char *)cached_block(cap);
  if (p) {
    if (zero) memset(p, 0, bytes);
    return p;
  }
  return fresh_block(cap, zero);
}

void *fconv_malloc(size_t bytes) { return alloc_block(bytes, 0); }

void *fconv_calloc(size_t bytes) { return alloc_block(bytes, 1); }

void fconv_free(void *p) {
  if (!p) return;
  fc_header *h = header_of(p);
  const size_t cap = h->cap;
  if (cap >= FC_CACHE_MIN) {
    const size_t limit = fc_cache_limit();
    if (cap <= limit) {
      void *evict[FC_CACHE_SLOTS];
      int ne = 0;
      pthread_mutex_lock(&fc_cache_lock);
      /* room: drop the oldest entries (the front) until the block fits */
      while (fc_cache_n > 0 && (fc_cache_n == FC_CACHE_SLOTS || fc_cache_bytes + cap > limit)) {
        evict[ne++] = header_of(fc_cache[0].payload)->region;
        fc_cache_bytes -= fc_cache[0].cap;
        memmove(&fc_cache[0], &fc_cache[1], (size_t)(fc_cache_n - 1) * sizeof fc_cache[0]);
        fc_cache_n--;
      }
      fc_cache[fc_cache_n].payload = (unsigned char *)p;
      fc_cache[fc_cache_n].cap = cap;
      fc_cache_n++;
      fc_cache_bytes += cap;
      pthread_mutex_unlock(&fc_cache_lock);
      for (int i = 0; i < ne; i++) free(evict[i]);
      return;
    }
  }
  free(h->region);
}

