/* util.h — CPU threads and the clock (util.c). */
#ifndef FCONV_UTIL_H
#define FCONV_UTIL_H

#include <stddef.h>

#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* fconv_parallel_for: call fn(ctx, begin, end, tid) over [0, n) split into contiguous chunks of
 * at least `grain` items, on up to `threads` threads (tid in [0, threads)). Runs inline when
 * threads <= 1 or n <= grain. OpenMP where available, else serial. */
typedef void (*fconv_range_fn)(void *ctx, size_t begin, size_t end, int tid);
FCONV_HIDDEN void fconv_parallel_for(size_t n, size_t grain, int threads, fconv_range_fn fn,
                                     void *ctx);
/* Number of cores usable by this process (>= 1). */
FCONV_HIDDEN int fconv_cpu_count(void);
/* Wall clock in seconds (monotonic). */
FCONV_HIDDEN double fconv_now(void);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_UTIL_H */
