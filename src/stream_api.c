/* stream_api.c — public entry points of the streaming convolution (fconv_stream_* in fconv.h):
 * validation, the handle and its magic value, and the choice of engine (stream_path.h): the
 * CPU's (src/cpu/stream.c) or the CUDA module's (src/cuda/stream.cu, through cuda_module.h). */
#include "core/dtype.h"
#include "core/error.h"
#include "core/memory.h"
#include "stream_path.h"
#ifdef FCONV_HAVE_CUDA
#include "cuda_module.h"
#endif

#include <stdint.h>
#include <string.h>

#define FCONV_STREAM_MAGIC 0x4d525453u /* "STRM" */
#define FCONV_STREAM_DEAD 0xdeadbeefu

struct fconv_stream {
  uint32_t magic;
  fconv_dtype dtype;
  size_t inputs, outputs, capacity;
  int worker; /* FCONV_STREAM_FLAG_WORKER */
  const fconv_stream_engine *engine;
  void *state; /* the engine's */
};

void fconv_stream_desc_init(fconv_stream_desc *d, size_t block, size_t inputs, size_t outputs,
                            fconv_dtype dtype) {
  if (!d) return;
  memset(d, 0, sizeof *d);
  d->block = block;
  d->inputs = inputs;
  d->outputs = outputs;
  d->dtype = dtype;
  d->partitioning = FCONV_STREAM_PARTITION_AUTO;
  d->backend = FCONV_BACKEND_AUTO;
}

static int stream_ok(const fconv_stream *s) { return s && s->magic == FCONV_STREAM_MAGIC; }

/* The responses of a stream with these channel counts: pointers and lengths present, every
 * length >= 1 and its bytes representable; *longest receives the longest. */
static fconv_status check_responses(const void *const *h, const size_t *len, size_t pairs,
                                    fconv_dtype t, size_t *longest) {
  FCONV_RETURN_IF(!h || !len, FCONV_ERR_INVALID_ARGUMENT, "stream responses or lengths NULL");
  size_t m = 0, bytes;
  for (size_t p = 0; p < pairs; p++) {
    FCONV_RETURN_IF(!h[p], FCONV_ERR_INVALID_ARGUMENT, "a stream response is NULL");
    FCONV_RETURN_IF(len[p] == 0, FCONV_ERR_INVALID_ARGUMENT, "a stream response has length 0");
    FCONV_RETURN_IF(fconv_mul_ovf(len[p], fconv_dtype_size(t), &bytes),
                    FCONV_ERR_INVALID_ARGUMENT, "a stream response's size overflows");
    if (len[p] > m) m = len[p];
  }
  *longest = m;
  return FCONV_OK;
}

/* The engine for d: the CPU's for BACKEND_CPU; the CUDA module's for BACKEND_CUDA (or device
 * pointers), FCONV_ERR_NO_DEVICE with the reason when it cannot run; for AUTO the CUDA engine
 * when a usable device exists and its model beats the CPU engine's, else the CPU's. */
static fconv_status choose_engine(const fconv_stream_desc *d, size_t capacity,
                                  const fconv_stream_engine **engine) {
  *engine = &fconv_cpu_stream_engine;
  const int device_ptrs = (d->flags & FCONV_FLAG_DEVICE_POINTERS) != 0;
  const int need_cuda = d->backend == FCONV_BACKEND_CUDA || device_ptrs;
  if (d->backend == FCONV_BACKEND_CPU) return FCONV_OK;
#ifndef FCONV_HAVE_CUDA
  FCONV_RETURN_IF(need_cuda, FCONV_ERR_UNSUPPORTED, "this build has no CUDA backend");
  (void)capacity;
  return FCONV_OK;
#else
  const fconv_cuda_module *cuda = fconv_cuda_module_get();
  if (need_cuda) {
    FCONV_RETURN_IF(!cuda, FCONV_ERR_NO_DEVICE, "the CUDA backend module is not available: %s",
                    fconv_cuda_module_why());
    FCONV_RETURN_IF(cuda->devices() == 0, FCONV_ERR_NO_DEVICE, "no usable CUDA device or driver");
    FCONV_RETURN_IF(cuda->stream->estimate(d, capacity) < 0, FCONV_ERR_UNSUPPORTED,
                    "the CUDA stream engine cannot address this stream's sizes");
    *engine = cuda->stream;
    return FCONV_OK;
  }
  if (!cuda || cuda->devices() == 0) return FCONV_OK;
  const double gpu = cuda->stream->estimate(d, capacity);
  const double cpu = fconv_cpu_stream_engine.estimate(d, capacity);
  FCONV_LOG("stream model: cpu %.3g us, cuda %.3g us per block", cpu * 1e6, gpu * 1e6);
  if (gpu >= 0 && (cpu < 0 || gpu < cpu)) *engine = cuda->stream;
  return FCONV_OK;
#endif
}

fconv_status fconv_stream_create(fconv_stream **stream, const fconv_stream_desc *d) {
  fconv_error_clear();
  FCONV_RETURN_IF(!stream, FCONV_ERR_INVALID_ARGUMENT, "stream pointer NULL");
  *stream = NULL;
  FCONV_RETURN_IF(!d, FCONV_ERR_INVALID_ARGUMENT, "stream description NULL");
  FCONV_RETURN_IF(d->block == 0, FCONV_ERR_INVALID_ARGUMENT, "stream block length 0");
  FCONV_RETURN_IF(d->inputs == 0 || d->outputs == 0, FCONV_ERR_INVALID_ARGUMENT,
                  "stream channel count 0");
  FCONV_RETURN_IF((unsigned)d->dtype > (unsigned)FCONV_C128, FCONV_ERR_INVALID_ARGUMENT,
                  "stream dtype out of range");
  FCONV_RETURN_IF((unsigned)d->partitioning > (unsigned)FCONV_STREAM_PARTITION_NONUNIFORM,
                  FCONV_ERR_INVALID_ARGUMENT, "stream partitioning out of range");
  FCONV_RETURN_IF((unsigned)d->backend > (unsigned)FCONV_BACKEND_CUDA,
                  FCONV_ERR_INVALID_ARGUMENT, "stream backend out of range");
  FCONV_RETURN_IF(d->flags & ~(FCONV_FLAG_MEASURE | FCONV_FLAG_DEVICE_POINTERS |
                               FCONV_STREAM_FLAG_EVEN_LOAD | FCONV_STREAM_FLAG_WORKER),
                  FCONV_ERR_INVALID_ARGUMENT,
                  "stream flags: only FCONV_FLAG_MEASURE, FCONV_FLAG_DEVICE_POINTERS, "
                  "FCONV_STREAM_FLAG_EVEN_LOAD and FCONV_STREAM_FLAG_WORKER apply");
  FCONV_RETURN_IF((d->flags & FCONV_FLAG_DEVICE_POINTERS) && d->backend == FCONV_BACKEND_CPU,
                  FCONV_ERR_INVALID_ARGUMENT,
                  "stream: FCONV_FLAG_DEVICE_POINTERS needs the CUDA backend (AUTO or CUDA)");
  size_t pairs, bytes;
  FCONV_RETURN_IF(fconv_mul_ovf(d->inputs, d->outputs, &pairs) ||
                      fconv_mul_ovf(d->block, d->inputs > d->outputs ? d->inputs : d->outputs,
                                    &bytes) ||
                      fconv_mul_ovf(bytes, fconv_dtype_size(d->dtype), &bytes),
                  FCONV_ERR_INVALID_ARGUMENT, "stream sizes overflow");
  size_t longest;
  FCONV_FORWARD(check_responses(d->responses, d->response_lengths, pairs, d->dtype, &longest));
  FCONV_RETURN_IF(d->max_response_length && d->max_response_length < longest,
                  FCONV_ERR_INVALID_ARGUMENT, "stream max_response_length below a response");
  const size_t capacity = d->max_response_length ? d->max_response_length : longest;
  const fconv_stream_engine *engine;
  FCONV_FORWARD(choose_engine(d, capacity, &engine));
  fconv_stream *s = fconv_calloc(sizeof *s);
  FCONV_RETURN_IF(!s, FCONV_ERR_OUT_OF_MEMORY, "stream allocation failed");
  s->dtype = d->dtype;
  s->inputs = d->inputs;
  s->outputs = d->outputs;
  s->capacity = capacity;
  s->worker = (d->flags & FCONV_STREAM_FLAG_WORKER) != 0;
  s->engine = engine;
  const fconv_status st = engine->create(&s->state, d, capacity);
  if (st != FCONV_OK) {
    fconv_free(s);
    return FCONV_PASS(st);
  }
  s->magic = FCONV_STREAM_MAGIC;
  *stream = s;
  return FCONV_OK;
}

fconv_status fconv_stream_process(fconv_stream *s, const void *in, void *out) {
  fconv_error_clear();
  FCONV_RETURN_IF(!stream_ok(s), FCONV_ERR_INVALID_ARGUMENT, "not a stream");
  FCONV_RETURN_IF(!in || !out, FCONV_ERR_INVALID_ARGUMENT, "stream block pointer NULL");
  return FCONV_PASS(s->engine->process(s->state, in, out));
}

fconv_status fconv_stream_work(fconv_stream *s, size_t *units) {
  fconv_error_clear();
  FCONV_RETURN_IF(!stream_ok(s), FCONV_ERR_INVALID_ARGUMENT, "not a stream");
  FCONV_RETURN_IF(!s->worker, FCONV_ERR_INVALID_ARGUMENT,
                  "fconv_stream_work: the stream was created without FCONV_STREAM_FLAG_WORKER");
  const size_t n = s->engine->work(s->state);
  if (units) *units = n;
  return FCONV_OK;
}

fconv_status fconv_stream_reset(fconv_stream *s) {
  fconv_error_clear();
  FCONV_RETURN_IF(!stream_ok(s), FCONV_ERR_INVALID_ARGUMENT, "not a stream");
  return FCONV_PASS(s->engine->reset(s->state));
}

fconv_status fconv_stream_set_responses(fconv_stream *s, const void *const *responses,
                                        const size_t *lengths, size_t crossfade) {
  fconv_error_clear();
  FCONV_RETURN_IF(!stream_ok(s), FCONV_ERR_INVALID_ARGUMENT, "not a stream");
  size_t longest;
  FCONV_FORWARD(check_responses(responses, lengths, s->inputs * s->outputs, s->dtype, &longest));
  FCONV_RETURN_IF(longest > s->capacity, FCONV_ERR_INVALID_ARGUMENT,
                  "a response is longer than the stream's max_response_length");
  return FCONV_PASS(s->engine->set_responses(s->state, responses, lengths, crossfade));
}

fconv_status fconv_stream_get_info(const fconv_stream *s, fconv_stream_info *info) {
  fconv_error_clear();
  FCONV_RETURN_IF(!stream_ok(s) || !info, FCONV_ERR_INVALID_ARGUMENT, "stream or info NULL");
  s->engine->info(s->state, info);
  return FCONV_OK;
}

void fconv_stream_destroy(fconv_stream *s) {
  if (!stream_ok(s)) return;
  s->magic = FCONV_STREAM_DEAD;
  s->engine->destroy(s->state);
  fconv_free(s);
}
