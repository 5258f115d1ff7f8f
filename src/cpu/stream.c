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

struct fconv_cpu_stream {
  int dbl;
  void *eng; /* engine_f32 or engine_f64 */
};

/* One body, two precisions: CALL(fn, args...) runs fn_f32 or fn_f64 on s's engine. */
#define STREAM_CALL(s, fn, ...)                                                                \
  ((s)->dbl ? fn##_f64((engine_f64 *)(s)->eng, __VA_ARGS__)                                    \
            : fn##_f32((engine_f32 *)(s)->eng, __VA_ARGS__))

fconv_status fconv_cpu_stream_create(fconv_cpu_stream **out, const fconv_stream_desc *d,
                                     size_t capacity) {
  *out = NULL;
  const int cplx = d->dtype == FCONV_C64 || d->dtype == FCONV_C128;
  const int dbl = d->dtype == FCONV_F64 || d->dtype == FCONV_C128;
  fconv_stream_layout L;
  FCONV_FORWARD(fconv_stream_choose_layout(&L, d->block, capacity, d->inputs, d->outputs, cplx,
                                           dbl, d->partitioning, d->max_partition,
                                           (d->flags & FCONV_STREAM_FLAG_EVEN_LOAD) != 0));
  fconv_cpu_stream *s = fconv_calloc(sizeof *s);
  FCONV_RETURN_IF(!s, FCONV_ERR_OUT_OF_MEMORY, "stream allocation failed");
  s->dbl = dbl;
  const fconv_status st = dbl ? create_f64((engine_f64 **)&s->eng, d, &L)
                              : create_f32((engine_f32 **)&s->eng, d, &L);
  if (st != FCONV_OK) {
    fconv_free(s);
    return st;
  }
  *out = s;
  return FCONV_OK;
}

void fconv_cpu_stream_process(fconv_cpu_stream *s, const void *in, void *out) {
  STREAM_CALL(s, process, in, out);
}

size_t fconv_cpu_stream_work(fconv_cpu_stream *s) {
  return s->dbl ? work_f64((engine_f64 *)s->eng) : work_f32((engine_f32 *)s->eng);
}

void fconv_cpu_stream_set_responses(fconv_cpu_stream *s, const void *const *h, const size_t *len,
                                    size_t crossfade) {
  STREAM_CALL(s, set_responses, h, len, crossfade);
}

void fconv_cpu_stream_reset(fconv_cpu_stream *s) {
  if (s->dbl)
    reset_f64((engine_f64 *)s->eng);
  else
    reset_f32((engine_f32 *)s->eng);
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
}

void fconv_cpu_stream_info(const fconv_cpu_stream *s, fconv_stream_info *info) {
  if (s->dbl) {
    const engine_f64 *e = s->eng;
    info_of(&e->L, e->bytes + sizeof *s, e->peak_ns, info);
  } else {
    const engine_f32 *e = s->eng;
    info_of(&e->L, e->bytes + sizeof *s, e->peak_ns, info);
  }
}

void fconv_cpu_stream_destroy(fconv_cpu_stream *s) {
  if (!s) return;
  if (s->dbl)
    destroy_f64((engine_f64 *)s->eng);
  else
    destroy_f32((engine_f32 *)s->eng);
  fconv_free(s);
}
