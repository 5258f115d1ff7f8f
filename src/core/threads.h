/* threads.h — the CPU thread runtime every CPU path (and FFTW's own threads) runs on.
 *
 * fconv_parallel_for cuts [0, n) into many more chunks than threads and publishes them as a
 * job; chunks are claimed one at a time through an atomic counter. The calling thread works
 * too and, when it runs out of chunks, has claimed every chunk nobody else took: a call waits
 * only for chunks another thread has already claimed, never for a helper the OS did not
 * schedule (on a shared machine a helper may not run for milliseconds). Helpers are a pool of
 * threads made on first use (as many as the largest `threads` asked for, less one); idle
 * helpers sleep on a futex (a condition variable elsewhere), after at most a few microseconds
 * of spinning. Several threads may call at once (each call takes its own job slot; helpers
 * join any job with work left and a free seat); a chunk may itself call fconv_parallel_for.
 * After fork() the child starts with an empty pool (made again on first use); at exit or
 * unload the helpers are stopped and joined.
 */
#ifndef FCONV_CORE_THREADS_H
#define FCONV_CORE_THREADS_H

#include <stddef.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* fconv_parallel_for: call fn(ctx, begin, end, tid) over [0, n) in contiguous chunks of at
 * least `grain` items (grain 0 counts as 1), on at most `threads` threads at once. Every index
 * is covered exactly once. tid identifies the thread within this call: 0 for the caller,
 * 1 .. threads-1 for helpers; fn may be called many times with one tid (never twice at once), so
 * tid can index per-thread scratch. Runs inline (fn(ctx, 0, n, 0)) when threads <= 1 or n < 2 *
 * grain. Returns when every chunk has finished; stores made by fn happen before the return. */
typedef void (*fconv_range_fn)(void *ctx, size_t begin, size_t end, int tid);
FCONV_HIDDEN void fconv_parallel_for(size_t n, size_t grain, int threads, fconv_range_fn fn,
                                     void *ctx);

/* Cores this process may use (>= 1): the CPUs in its affinity mask (sched_getaffinity),
 * limited by its cgroup's CPU quota (cgroup v2 cpu.max, or v1 cpu.cfs_quota_us /
 * cpu.cfs_period_us, rounded up), on the process's own cgroup and every parent. The default
 * for `threads = 0`. */
FCONV_HIDDEN int fconv_cpu_count(void);

/* ---- internals exposed to the tests ------------------------------------------------------ */

/* The CPU limit of a cgroup CPU quota file's text: cgroup v2 "cpu.max" ("max 100000" or
 * "<quota> <period>"), or, with period_text non-NULL, cgroup v1 cpu.cfs_quota_us text ("-1" or
 * "<quota>") with period_text the cpu.cfs_period_us text. ceil(quota / period), at least 1;
 * 0 when unlimited or unreadable. */
FCONV_HIDDEN int fconv_threads_quota_cpus(const char *quota_text, const char *period_text);
/* The smallest CPU quota of the cgroup named by a /proc/self/cgroup text (v2 line "0::/path",
 * or a v1 line with the cpu controller) and its parents, read under root (e.g.
 * "/sys/fs/cgroup"); 0 when unlimited or unknown. */
FCONV_HIDDEN int fconv_threads_cgroup_cpus(const char *proc_cgroup_text, const char *root);
/* Helper threads the pool holds now (0 before first use and in a fresh fork child). */
FCONV_HIDDEN int fconv_threads_pool_size(void);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_CORE_THREADS_H */
