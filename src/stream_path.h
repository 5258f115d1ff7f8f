/* stream_path.h — the contract between the streaming api (src/stream_api.c) and the streaming
 * engine (src/cpu/stream.c), as path.h is for plans: the api validates and owns the handle; the
 * engine receives a validated description and never fails after create.
 *  - create(&s, d, capacity): choose the partitioning, plan, allocate everything, load the
 *    responses (d's, at most capacity samples each). On failure nothing is leaked, *s is NULL.
 *  - process(s, in, out): one block; no allocation, no locks (with FCONV_STREAM_FLAG_WORKER it
 *    may spin for one unit the worker is running, at a chunk's deadline only).
 *  - work(s): with FCONV_STREAM_FLAG_WORKER, from one other thread at a time: run the work
 *    that is ready; returns the units run.
 *  - set_responses(s, h, len, crossfade): lengths already checked against capacity; it and
 *    reset exclude a concurrent work().
 *  - reset, info, destroy (NULL is a no-op). */
#ifndef FCONV_STREAM_PATH_H
#define FCONV_STREAM_PATH_H

#include <stddef.h>

#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fconv_cpu_stream fconv_cpu_stream;

FCONV_HIDDEN fconv_status fconv_cpu_stream_create(fconv_cpu_stream **s, const fconv_stream_desc *d,
                                                  size_t capacity);
FCONV_HIDDEN void fconv_cpu_stream_process(fconv_cpu_stream *s, const void *in, void *out);
FCONV_HIDDEN size_t fconv_cpu_stream_work(fconv_cpu_stream *s);
FCONV_HIDDEN void fconv_cpu_stream_reset(fconv_cpu_stream *s);
FCONV_HIDDEN void fconv_cpu_stream_set_responses(fconv_cpu_stream *s, const void *const *h,
                                                 const size_t *len, size_t crossfade);
FCONV_HIDDEN void fconv_cpu_stream_info(const fconv_cpu_stream *s, fconv_stream_info *info);
FCONV_HIDDEN void fconv_cpu_stream_destroy(fconv_cpu_stream *s);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_STREAM_PATH_H */
