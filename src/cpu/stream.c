/* stream.c — the CPU streaming engine: the f32 and f64 instantiations of stream_impl.inc (FFTW
 * called directly, split-format spectra) and the dispatch on the dtype's precision. */
#include "stream.h"

#include <fftw3.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "fftw.h"

/* Allocate a zeroed array of a * b * c elements of *ptr's type for engine e (counted in its
 * memory), or leave the enclosing function with FCONV_ERR_OUT_OF_MEMORY. */
#define STREAM_ALLOC(SXM, ptr, a, b, c)                                                       \
  do {                                                                                         \
    if (!((ptr) = SXM(alloc)(e, (a), (b), (c), sizeof *(ptr))))                                \
      return FCONV_ERR_OUT_OF_MEMORY;                                                          \
  } while (0)

/* The multiply-add is also compiled for AVX2+FMA and AVX-512 (target attributes; the choice is
 * made at run time), on x86-64 with GCC or Clang. */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define STREAM_X86 1
#else
#define STREAM_X86 0
#endif

#define R float
#define FX(n) fftwf_##n
#define SX(n) n##_f32
#include "stream_impl.inc"
#undef R
#undef FX
#undef SX

#define R double
#define FX(n) fftw_##n
#define SX(n) n##_f64
#include "stream_impl.inc"
#undef R
#undef FX
#undef SX

typedef struct cpu_stream {
  int dbl;
  void *eng; /* engine_f32 or engine_f64 */
} cpu_stream;

/* One body, two precisions: CALL(fn, args...) runs fn_f32 or fn_f64 on s's engine. */
#define STREAM_CALL(s, fn, ...)                                                                \
  ((s)->dbl ? fn##_f64((engine_f64 *)(s)->eng, __VA_ARGS__)                                    \
            : fn##_f32((engine_f32 *)(s)->eng, __VA_ARGS__))

static fconv_status layout_of(const fconv_stream_desc *d, size_t capacity, fconv_stream_layout *L) {
  const int cplx = d->dtype == FCONV_C64 || d->dtype == FCONV_C128;
  const int dbl = d->dtype == FCONV_F64 || d->dtype == FCONV_C128;
  return fconv_stream_choose_layout(L, d->block, capacity, d->inputs, d->outputs, cplx, dbl,
                                    d->partitioning, d->max_partition,
                                    (d->flags & FCONV_STREAM_FLAG_EVEN_LOAD) != 0);
}

/* The layout's modelled cost (its nanoseconds on the reference machine), in seconds. */
static double cpu_stream_estimate(const fconv_stream_desc *d, size_t capacity) {
  if (d->flags & FCONV_FLAG_DEVICE_POINTERS) return -1.0;
  fconv_stream_layout L;
  if (layout_of(d, capacity, &L) != FCONV_OK) return -1.0;
  return L.cost_ns * 1e-9;
}

static fconv_status cpu_stream_create(void **out, const fconv_stream_desc *d, size_t capacity) {
  *out = NULL;
  fconv_stream_layout L;
  FCONV_FORWARD(layout_of(d, capacity, &L));
  cpu_stream *s = fconv_calloc(sizeof *s);
  FCONV_RETURN_IF(!s, FCONV_ERR_OUT_OF_MEMORY, "stream allocation failed");
  s->dbl = d->dtype == FCONV_F64 || d->dtype == FCONV_C128;
  const fconv_status st = s->dbl ? create_f64((engine_f64 **)&s->eng, d, &L)
                                 : create_f32((engine_f32 **)&s->eng, d, &L);
  if (st != FCONV_OK) {
    fconv_free(s);
    return st;
  }
  *out = s;
  return FCONV_OK;
}

static fconv_status cpu_stream_process(void *state, const void *in, void *out) {
  cpu_stream *s = state;
  STREAM_CALL(s, process, in, out);
  return FCONV_OK;
}

static size_t cpu_stream_work(void *state) {
  cpu_stream *s = state;
  return s->dbl ? work_f64((engine_f64 *)s->eng) : work_f32((engine_f32 *)s->eng);
}

static fconv_status cpu_stream_set_responses(void *state, const void *const *h, const size_t *len,
                                             size_t crossfade) {
  cpu_stream *s = state;
  STREAM_CALL(s, set_responses, h, len, crossfade);
  return FCONV_OK;
}

static fconv_status cpu_stream_reset(void *state) {
  cpu_stream *s = state;
  if (s->dbl)
    reset_f64((engine_f64 *)s->eng);
  else
    reset_f32((engine_f32 *)s->eng);
  return FCONV_OK;
}

static void info_of(const fconv_stream_layout *L, size_t bytes, double peak,
                    fconv_stream_info *info) {
  memset(info, 0, sizeof *info);
  info->block = L->B;
  info->latency = 0;
  info->head_length = L->D;
  info->levels = L->levels;
  for (int l = 0; l < L->levels; l++) {
    info->partition_size[l] = L->lv[l].P;
    info->partition_count[l] = L->lv[l].n;
    info->partitions += L->lv[l].n;
    if (L->lv[l].N > info->transform_max) info->transform_max = L->lv[l].N;
    info->split_levels += L->lv[l].r > 1;
  }
  info->memory_bytes = bytes;
  info->cost_per_block = L->cost_ns;
  info->cost_peak = peak;
  info->backend = FCONV_BACKEND_CPU;
}

static void cpu_stream_info(const void *state, fconv_stream_info *info) {
  const cpu_stream *s = state;
  if (s->dbl) {
    const engine_f64 *e = s->eng;
    info_of(&e->L, e->bytes + sizeof *s, e->peak_ns, info);
  } else {
    const engine_f32 *e = s->eng;
    info_of(&e->L, e->bytes + sizeof *s, e->peak_ns, info);
  }
}

static void cpu_stream_destroy(void *state) {
  cpu_stream *s = state;
  if (!s) return;
  if (s->dbl)
    destroy_f64((engine_f64 *)s->eng);
  else
    destroy_f32((engine_f32 *)s->eng);
  fconv_free(s);
}

const fconv_stream_engine fconv_cpu_stream_engine = {
    .name = "cpu-stream",
    .backend = FCONV_BACKEND_CPU,
    .estimate = cpu_stream_estimate,
    .create = cpu_stream_create,
    .process = cpu_stream_process,
    .work = cpu_stream_work,
    .reset = cpu_stream_reset,
    .set_responses = cpu_stream_set_responses,
    .info = cpu_stream_info,
    .destroy = cpu_stream_destroy,
};
