/* stream_path.h — the contract between the streaming api (src/stream_api.c) and a streaming
 * engine (the CPU's, src/cpu/stream.c; the CUDA module's, src/cuda/stream.cu), as path.h is for
 * plans: the api validates, chooses the engine and owns the handle; the engine receives a
 * validated description and owns `state`.
 *  - estimate(d, capacity): modelled seconds of one fconv_stream_process, or a negative value
 *    when the engine cannot run d. Cheap, no allocation.
 *  - create(&state, d, capacity): choose the partitioning, plan, allocate everything, load the
 *    responses (d's, at most capacity samples each). On failure nothing is leaked and *state
 *    is NULL.
 *  - process(state, in, out): one block; no allocation, no locks (the CPU engine with
 *    FCONV_STREAM_FLAG_WORKER may spin for one unit the worker is running, at a chunk's deadline
 *    only). The CPU engine never fails; the CUDA engine returns the device's failures (then
 *    out is untouched and the stream must be reset before it is used again).
 *  - work(state): with FCONV_STREAM_FLAG_WORKER, from one other thread at a time: run the work
 *    that is ready; returns the units run (0 for an engine without deferred work).
 *  - set_responses(state, h, len, crossfade): lengths already checked against capacity; it and
 *    reset exclude a concurrent work(). On failure the responses in use do not change.
 *  - reset, info, destroy (NULL is a no-op).
 * Both engines give the same guarantees (fconv.h, "streaming convolution"): output block n
 * depends on input blocks 0..n only, responses swap between blocks (with the crossfade), reset
 * forgets the input. */
#ifndef FCONV_STREAM_PATH_H
#define FCONV_STREAM_PATH_H

#include <stddef.h>

#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fconv_stream_engine {
  const char *name; /* "cpu-stream", "cuda-stream" */
  fconv_backend backend;
  double (*estimate)(const fconv_stream_desc *d, size_t capacity);
  fconv_status (*create)(void **state, const fconv_stream_desc *d, size_t capacity);
  fconv_status (*process)(void *state, const void *in, void *out);
  size_t (*work)(void *state);
  fconv_status (*reset)(void *state);
  fconv_status (*set_responses)(void *state, const void *const *h, const size_t *len,
                                size_t crossfade);
  void (*info)(const void *state, fconv_stream_info *info);
  void (*destroy)(void *state);
} fconv_stream_engine;

/* The CPU engine (cpu/stream.c). The CUDA engine is the module's (cuda_module.h: `stream`);
 * libfconv reaches it only through the module's entry. */
extern FCONV_HIDDEN const fconv_stream_engine fconv_cpu_stream_engine;
#ifdef FCONV_HAVE_CUDA
extern FCONV_HIDDEN const fconv_stream_engine fconv_cuda_stream_engine; /* cuda/stream.cu */
#endif

#ifdef __cplusplus
}
#endif

#endif /* FCONV_STREAM_PATH_H */
