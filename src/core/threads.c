/* threads.c — the CPU thread runtime (see threads.h for the contract).
 *
 * A job lives in one of FT_SLOTS slots. Its caller owns the slot (bit FT_OWNER of refs), writes
 * the job, opens it and wakes helpers; then it claims chunks itself until the claim counter
 * passes the last chunk, closes the job and waits until `done` counts every chunk (only chunks
 * some helper already claimed can still be running). A helper enters a slot by adding one to
 * refs, and joins only when the job is open after that; while any helper holds a reference the
 * slot cannot be given to a new job, so the job a helper read stays the one it works on — the
 * caller never waits for references, only for claimed chunks. A caller that finds every slot
 * taken runs its work inline.
 *
 * Idle helpers sleep on the pool's generation word (futex; a condition variable without one);
 * a caller bumps it and wakes as many helpers as its job has seats for. A caller waiting for
 * claimed chunks spins briefly, then sleeps on `done`; the helper finishing the last chunk wakes
 * it. Spins are bounded by FT_SPIN_NS (microseconds, never a scheduler tick).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "threads.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__) && !defined(FCONV_THREADS_NO_FUTEX)
#define FT_FUTEX 1
#include <linux/futex.h>
#include <sys/syscall.h>
#else
#define FT_FUTEX 0
#endif

#define FT_SLOTS 64                  /* concurrent jobs (a bit each in the pool's mask) */
#define FT_CHUNKS_PER_THREAD 8       /* chunks per seat: a late helper leaves little behind */
#define FT_MAX_CHUNKS ((size_t)1 << 30)
#define FT_MAX_HELPERS 511
#define FT_SPIN_NS 30000             /* spin before sleeping (helpers idle, caller waiting) */
#define FT_OWNER 0x80000000u         /* refs: a caller owns the slot */

typedef struct ft_slot {
  _Alignas(64) atomic_uint refs; /* FT_OWNER | helpers holding a reference */
  atomic_int open;               /* the job takes helpers (release: the fields below are set) */
  fconv_range_fn fn;             /* the job: written by the owner while refs == FT_OWNER */
  void *ctx;
  size_t n, nchunks;
  int seats;                     /* the call's threads */
  _Alignas(64) atomic_size_t next; /* next chunk to claim */
  _Alignas(64) atomic_int members; /* seats taken; the caller is 0 */
  _Alignas(64) atomic_uint done;   /* chunks finished: the waiting caller sleeps on it */
  atomic_int waiting;
} ft_slot;

static struct {
  ft_slot slot[FT_SLOTS];
  _Alignas(64) atomic_uint_fast64_t open_mask; /* a hint for helpers: slots with open jobs */
  _Alignas(64) atomic_uint gen;                /* bumped by every new job: helpers sleep on it */
  atomic_int sleepers;
  atomic_int stop;                             /* at exit: helpers leave, calls run inline */
  atomic_int nhelpers;
  pthread_mutex_t mu;                          /* pool growth, fork, shutdown */
  pthread_t helper[FT_MAX_HELPERS];
  int atfork_done;
} ft_pool = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* ---- waiting ------------------------------------------------------------------------------ */

#if FT_FUTEX
static void ft_wait(atomic_uint *w, unsigned seen) {
  syscall(SYS_futex, (unsigned *)w, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
}
static void ft_wake(atomic_uint *w, int count) {
  syscall(SYS_futex, (unsigned *)w, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}
static void ft_wait_reset(void) {}
#else
/* One mutex and condition variable for every word: a waker changes the word first, then takes
 * the mutex, so a waiter between its check and pthread_cond_wait is not missed. */
static pthread_mutex_t ft_wait_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ft_wait_cv = PTHREAD_COND_INITIALIZER;
static void ft_wait(atomic_uint *w, unsigned seen) {
  pthread_mutex_lock(&ft_wait_mu);
  if (atomic_load(w) == seen) pthread_cond_wait(&ft_wait_cv, &ft_wait_mu);
  pthread_mutex_unlock(&ft_wait_mu);
}
static void ft_wake(atomic_uint *w, int count) {
  (void)w;
  (void)count;
  pthread_mutex_lock(&ft_wait_mu);
  pthread_cond_broadcast(&ft_wait_cv);
  pthread_mutex_unlock(&ft_wait_mu);
}
static void ft_wait_reset(void) {
  pthread_mutex_init(&ft_wait_mu, NULL);
  pthread_cond_init(&ft_wait_cv, NULL);
}
#endif

static inline void ft_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static uint64_t ft_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Spin up to FT_SPIN_NS while *w == seen; 1 when it changed. */
static int ft_spin_while(atomic_uint *w, unsigned seen) {
  uint64_t t0 = 0;
  for (unsigned i = 1;; i++) {
    if (atomic_load_explicit(w, memory_order_acquire) != seen) return 1;
    ft_pause();
    if ((i & 63) == 0) {
      uint64_t t = ft_ns();
      if (!t0) t0 = t;
      else if (t - t0 > FT_SPIN_NS) return 0;
    }
  }
}

/* ---- running chunks ------------------------------------------------------------------------ */

static size_t ft_chunk_begin(const ft_slot *s, size_t k) {
  const size_t q = s->n / s->nchunks, r = s->n % s->nchunks;
  return k * q + (k < r ? k : r);
}

/* Claim and run chunks of s's job as seat tid until none is left; 1 when one ran. */
static int ft_run_chunks(ft_slot *s, int tid) {
  int ran = 0;
  for (;;) {
    size_t k = atomic_fetch_add_explicit(&s->next, 1, memory_order_relaxed);
    if (k >= s->nchunks) return ran;
    s->fn(s->ctx, ft_chunk_begin(s, k), ft_chunk_begin(s, k + 1), tid);
    ran = 1;
    /* One count per chunk, at once: a caller never waits for a finished chunk whose helper
     * was descheduled before reporting it. */
    unsigned d = atomic_fetch_add(&s->done, 1) + 1;
    if (d == (unsigned)s->nchunks && atomic_load(&s->waiting)) ft_wake(&s->done, 1);
  }
}

/* A helper's pass over the open jobs; 1 when it ran a chunk. */
static int ft_help(void) {
  int ran = 0;
  uint64_t mask = atomic_load(&ft_pool.open_mask);
  while (mask) {
    const int i = __builtin_ctzll(mask);
    mask &= mask - 1;
    ft_slot *s = &ft_pool.slot[i];
    if (!atomic_load_explicit(&s->open, memory_order_relaxed)) continue;
    atomic_fetch_add(&s->refs, 1);
    if (atomic_load_explicit(&s->open, memory_order_acquire)) {
      const int tid = atomic_fetch_add(&s->members, 1);
      if (tid < s->seats) ran |= ft_run_chunks(s, tid);
    }
    atomic_fetch_sub(&s->refs, 1);
  }
  return ran;
}

static void *ft_helper_main(void *arg) {
  (void)arg;
  for (;;) {
    const unsigned g = atomic_load(&ft_pool.gen);
    if (atomic_load(&ft_pool.stop)) return NULL;
    if (ft_help()) continue;
    if (ft_spin_while(&ft_pool.gen, g)) continue;
    atomic_fetch_add(&ft_pool.sleepers, 1);
    if (atomic_load(&ft_pool.gen) == g && !atomic_load(&ft_pool.stop)) ft_wait(&ft_pool.gen, g);
    atomic_fetch_sub(&ft_pool.sleepers, 1);
  }
}

/* ---- the pool: growth, fork, exit ----------------------------------------------------------- */

static int ft_cgroup_cached = -1; /* fconv_threads_cgroup_cpus of this process; -1: not read */

static void ft_atfork_prepare(void) { pthread_mutex_lock(&ft_pool.mu); }
static void ft_atfork_parent(void) { pthread_mutex_unlock(&ft_pool.mu); }
/* The child has only the forking thread: no helper, no job of another thread survives. */
static void ft_atfork_child(void) {
  for (int i = 0; i < FT_SLOTS; i++) {
    ft_slot *s = &ft_pool.slot[i];
    atomic_store(&s->refs, 0);
    atomic_store(&s->open, 0);
    atomic_store(&s->waiting, 0);
  }
  atomic_store(&ft_pool.open_mask, 0);
  atomic_store(&ft_pool.sleepers, 0);
  atomic_store(&ft_pool.nhelpers, 0);
  ft_cgroup_cached = -1;
  ft_wait_reset();
  pthread_mutex_unlock(&ft_pool.mu);
}

/* At exit or unload: stop and join the helpers (a helper inside a chunk finishes its job's
 * claimed work first; callers still running finish the rest themselves). Later calls run
 * inline. */
__attribute__((destructor)) static void ft_shutdown(void) {
  pthread_mutex_lock(&ft_pool.mu);
  atomic_store(&ft_pool.stop, 1);
  atomic_fetch_add(&ft_pool.gen, 1);
  ft_wake(&ft_pool.gen, INT_MAX);
  const int n = atomic_load(&ft_pool.nhelpers);
  for (int i = 0; i < n; i++)
    if (!pthread_equal(ft_pool.helper[i], pthread_self())) pthread_join(ft_pool.helper[i], NULL);
  atomic_store(&ft_pool.nhelpers, 0);
  pthread_mutex_unlock(&ft_pool.mu);
}

/* Make the pool hold at least want helpers (up to FT_MAX_HELPERS); the count it holds. */
static int ft_grow(int want) {
  if (want > FT_MAX_HELPERS) want = FT_MAX_HELPERS;
  int have = atomic_load_explicit(&ft_pool.nhelpers, memory_order_acquire);
  if (have >= want) return have;
  pthread_mutex_lock(&ft_pool.mu);
  if (!ft_pool.atfork_done) {
    ft_pool.atfork_done = pthread_atfork(ft_atfork_prepare, ft_atfork_parent, ft_atfork_child) == 0;
  }
  have = atomic_load(&ft_pool.nhelpers);
  if (ft_pool.atfork_done && !atomic_load(&ft_pool.stop) && have < want) {
    /* Helpers take no signals: the process's handlers run on the application's threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    while (have < want && pthread_create(&ft_pool.helper[have], NULL, ft_helper_main, NULL) == 0)
      have++;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    atomic_store_explicit(&ft_pool.nhelpers, have, memory_order_release);
  }
  pthread_mutex_unlock(&ft_pool.mu);
  return have;
}

int fconv_threads_pool_size(void) { return atomic_load(&ft_pool.nhelpers); }

/* ---- the call ------------------------------------------------------------------------------ */

static ft_slot *ft_acquire(void) {
  /* Start where this thread's last job was: concurrent callers spread over the slots. */
  static _Thread_local unsigned start;
  for (int tries = 0; tries < 2; tries++) {
    for (int j = 0; j < FT_SLOTS; j++) {
      const unsigned i = (start + (unsigned)j) % FT_SLOTS;
      ft_slot *s = &ft_pool.slot[i];
      unsigned expect = 0;
      if (atomic_load_explicit(&s->refs, memory_order_relaxed) == 0 &&
          atomic_compare_exchange_strong(&s->refs, &expect, FT_OWNER)) {
        start = i;
        return s;
      }
    }
  }
  return NULL;
}

void fconv_parallel_for(size_t n, size_t grain, int threads, fconv_range_fn fn, void *ctx) {
  if (n == 0) return;
  if (grain == 0) grain = 1;
  const size_t most = n / grain; /* chunks of at least grain items */
  size_t t = threads < 1 ? 1 : (size_t)threads;
  if (t > most) t = most;
  if (t > (size_t)FT_MAX_HELPERS + 1) t = (size_t)FT_MAX_HELPERS + 1;
  if (t <= 1 || atomic_load_explicit(&ft_pool.stop, memory_order_relaxed) ||
      ft_grow((int)t - 1) < 1) {
    fn(ctx, 0, n, 0);
    return;
  }
  ft_slot *s = ft_acquire();
  if (!s) {
    fn(ctx, 0, n, 0);
    return;
  }
  size_t nchunks = t * FT_CHUNKS_PER_THREAD;
  if (nchunks > most) nchunks = most;
  if (nchunks > FT_MAX_CHUNKS) nchunks = FT_MAX_CHUNKS;
  s->fn = fn;
  s->ctx = ctx;
  s->n = n;
  s->nchunks = nchunks;
  s->seats = (int)t;
  atomic_store_explicit(&s->next, 0, memory_order_relaxed);
  atomic_store_explicit(&s->members, 1, memory_order_relaxed);
  atomic_store_explicit(&s->done, 0, memory_order_relaxed);
  atomic_store_explicit(&s->waiting, 0, memory_order_relaxed);
  atomic_store_explicit(&s->open, 1, memory_order_release);
  const uint64_t bit = (uint64_t)1 << (s - ft_pool.slot);
  atomic_fetch_or(&ft_pool.open_mask, bit);
  atomic_fetch_add(&ft_pool.gen, 1);
  if (atomic_load(&ft_pool.sleepers) > 0) {
    const size_t w = t - 1 < nchunks - 1 ? t - 1 : nchunks - 1;
    ft_wake(&ft_pool.gen, (int)w);
  }

  ft_run_chunks(s, 0); /* every chunk nobody claimed before us, in the end all of them */

  atomic_store_explicit(&s->open, 0, memory_order_relaxed);
  atomic_fetch_and(&ft_pool.open_mask, ~bit);
  /* Only claimed chunks can still run: wait for them, briefly spinning, then sleeping. */
  const unsigned all = (unsigned)nchunks;
  unsigned d = atomic_load(&s->done);
  while (d != all && ft_spin_while(&s->done, d)) d = atomic_load(&s->done);
  while (d != all) {
    atomic_store(&s->waiting, 1);
    d = atomic_load(&s->done);
    if (d != all) ft_wait(&s->done, d);
    d = atomic_load(&s->done);
  }
  atomic_thread_fence(memory_order_acquire);
  atomic_fetch_sub(&s->refs, FT_OWNER); /* helpers still inside only find no chunk left */
}

/* ---- how many cores ------------------------------------------------------------------------ */

static int ft_read_file(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  size_t len = fread(buf, 1, cap - 1, f);
  fclose(f);
  buf[len] = '\0';
  return len > 0;
}

int fconv_threads_quota_cpus(const char *quota_text, const char *period_text) {
  if (!quota_text) return 0;
  long long quota = 0, period = 0;
  if (period_text) { /* cgroup v1: cpu.cfs_quota_us ("-1": none) and cpu.cfs_period_us */
    if (sscanf(quota_text, "%lld", &quota) != 1 || sscanf(period_text, "%lld", &period) != 1)
      return 0;
  } else { /* cgroup v2: cpu.max = "max <period>" or "<quota> <period>" */
    if (sscanf(quota_text, "%lld %lld", &quota, &period) != 2) return 0;
  }
  if (quota <= 0 || period <= 0) return 0;
  long long cpus = (quota + period - 1) / period;
  return cpus > INT_MAX ? INT_MAX : cpus < 1 ? 1 : (int)cpus;
}

/* The smallest quota on dir and its parents down to (and including) root; 0 if none. */
static int ft_quota_up(const char *root, const char *base, const char *path, int v1) {
  char dir[4096], q[256], pr[256], file[4200];
  int best = 0;
  if (snprintf(dir, sizeof dir, "%s%s%s", root, base, path) >= (int)sizeof dir) return 0;
  const size_t floor_len = strlen(root) + strlen(base);
  for (;;) {
    size_t len = strlen(dir);
    while (len > floor_len && dir[len - 1] == '/') dir[--len] = '\0';
    int c = 0;
    if (v1) {
      snprintf(file, sizeof file, "%s/cpu.cfs_quota_us", dir);
      if (ft_read_file(file, q, sizeof q)) {
        snprintf(file, sizeof file, "%s/cpu.cfs_period_us", dir);
        if (ft_read_file(file, pr, sizeof pr)) c = fconv_threads_quota_cpus(q, pr);
      }
    } else {
      snprintf(file, sizeof file, "%s/cpu.max", dir);
      if (ft_read_file(file, q, sizeof q)) c = fconv_threads_quota_cpus(q, NULL);
    }
    if (c > 0 && (best == 0 || c < best)) best = c;
    char *slash = strrchr(dir, '/');
    if (len <= floor_len || !slash || (size_t)(slash - dir) < floor_len) break;
    *slash = '\0';
  }
  return best;
}

static int ft_min_pos(int a, int b) { return a <= 0 ? b : b <= 0 ? a : a < b ? a : b; }

int fconv_threads_cgroup_cpus(const char *text, const char *root) {
  if (!text || !root) return 0;
  int best = 0;
  const char *line = text;
  while (*line) {
    const char *end = strchr(line, '\n');
    if (!end) end = line + strlen(line);
    char buf[4096];
    size_t len = (size_t)(end - line);
    if (len < sizeof buf) {
      memcpy(buf, line, len);
      buf[len] = '\0';
      char *c1 = strchr(buf, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
      if (c2) {
        *c2 = '\0';
        const char *ctrls = c1 + 1, *path = c2 + 1;
        if (!*ctrls) { /* cgroup v2: the unified hierarchy, mounted at root or root/unified */
          best = ft_min_pos(best, ft_quota_up(root, "", path, 0));
          best = ft_min_pos(best, ft_quota_up(root, "/unified", path, 0));
        } else { /* cgroup v1: the line of the cpu controller */
          int has_cpu = 0;
          char tmp[256];
          snprintf(tmp, sizeof tmp, "%s", ctrls);
          for (char *sv = NULL, *tok = strtok_r(tmp, ",", &sv); tok; tok = strtok_r(NULL, ",", &sv))
            has_cpu |= strcmp(tok, "cpu") == 0;
          if (has_cpu) {
            char base[300];
            snprintf(base, sizeof base, "/%s", ctrls);
            best = ft_min_pos(best, ft_quota_up(root, base, path, 1));
            if (strcmp(ctrls, "cpu") != 0) best = ft_min_pos(best, ft_quota_up(root, "/cpu", path, 1));
          }
        }
      }
    }
    line = *end ? end + 1 : end;
  }
  return best;
}

static int ft_affinity_cpus(void) {
  for (int ncpu = 1024; ncpu <= (1 << 16); ncpu *= 4) {
    cpu_set_t *set = CPU_ALLOC((size_t)ncpu);
    if (!set) break;
    const size_t bytes = CPU_ALLOC_SIZE((size_t)ncpu);
    CPU_ZERO_S(bytes, set);
    if (sched_getaffinity(0, bytes, set) == 0) {
      int c = CPU_COUNT_S(bytes, set);
      CPU_FREE(set);
      return c;
    }
    CPU_FREE(set);
    if (errno != EINVAL) break;
  }
  long c = sysconf(_SC_NPROCESSORS_ONLN);
  return c > INT_MAX ? INT_MAX : (int)c;
}

int fconv_cpu_count(void) {
  int n = ft_affinity_cpus();
  int q = __atomic_load_n(&ft_cgroup_cached, __ATOMIC_RELAXED);
  if (q < 0) {
    char text[8192];
    q = ft_read_file("/proc/self/cgroup", text, sizeof text)
            ? fconv_threads_cgroup_cpus(text, "/sys/fs/cgroup")
            : 0;
    __atomic_store_n(&ft_cgroup_cached, q, __ATOMIC_RELAXED);
  }
  if (q > 0 && q < n) n = q;
  return n >= 1 ? n : 1;
}
