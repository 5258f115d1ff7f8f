/* direct.c — PLACEHOLDER naive direct path (correct, slow); replaced by the vectorised one. */
#include "../fconv_internal.h"

#include <complex.h>
#include <string.h>

typedef struct {
  fconv_problem p;
  void *win;  /* the whole extended window of one signal */
  void *taps; /* prepared taps of every kernel */
} naive_state;

static double naive_estimate(const fconv_problem *p) {
  return 1e-9 * (double)p->count * (double)p->out_elems * (double)p->ker_elems;
}

static fconv_status naive_create(const fconv_problem *p, void **state) {
  naive_state *s = (naive_state *)fconv_calloc(sizeof *s);
  FCONV_RETURN_IF(!s, FCONV_ERR_OUT_OF_MEMORY, "state");
  s->p = *p;
  size_t w = 1;
  for (int a = 0; a < 3; a++) w *= p->ax[a].n + p->ax[a].p0 + p->ax[a].p1;
  s->win = fconv_malloc(w * p->esize);
  s->taps = fconv_malloc(p->kernel_batch * p->ker_elems * p->esize);
  if (!s->win || !s->taps) {
    fconv_free(s->win); fconv_free(s->taps); fconv_free(s);
    return FCONV_ERR_OUT_OF_MEMORY;
  }
  *state = s;
  return FCONV_OK;
}

#define NAIVE_BODY(T, ACC)                                                                   \
  {                                                                                          \
    const T *W = (const T *)s->win, *G = (const T *)s->taps + kb * p->ker_elems;             \
    T *Y = (T *)out + i * p->out_elems;                                                      \
    for (size_t o0 = 0; o0 < p->ax[0].out; o0++)                                             \
      for (size_t o1 = 0; o1 < p->ax[1].out; o1++)                                           \
        for (size_t o2 = 0; o2 < p->ax[2].out; o2++) {                                       \
          ACC acc = 0;                                                                       \
          for (size_t j0 = 0; j0 < p->ax[0].k; j0++)                                         \
            for (size_t j1 = 0; j1 < p->ax[1].k; j1++)                                       \
              for (size_t j2 = 0; j2 < p->ax[2].k; j2++)                                     \
                acc += (ACC)W[((o0 * p->ax[0].stride + j0) * e1 + o1 * p->ax[1].stride + j1) * \
                                  e2 + o2 * p->ax[2].stride + j2] *                          \
                       (ACC)G[(j0 * p->ax[1].k + j1) * p->ax[2].k + j2];                     \
          Y[(o0 * p->ax[1].out + o1) * p->ax[2].out + o2] = (T)acc;                          \
        }                                                                                    \
  }

static fconv_status naive_execute(void *state, const void *signal, const void *kernel,
                                  void *out) {
  naive_state *s = (naive_state *)state;
  const fconv_problem *p = &s->p;
  FCONV_RETURN_IF(!kernel, FCONV_ERR_INTERNAL, "naive direct path needs the kernel");
  fconv_prepare_taps(p, kernel, s->taps);
  const size_t e1 = p->ax[1].n + p->ax[1].p0 + p->ax[1].p1;
  const size_t e2 = p->ax[2].n + p->ax[2].p0 + p->ax[2].p1;
  const size_t e0 = p->ax[0].n + p->ax[0].p0 + p->ax[0].p1;
  const ptrdiff_t org[3] = {0, 0, 0};
  const size_t cnt[3] = {e0, e1, e2}, pitch[2] = {e1 * e2, e2};
  for (size_t i = 0; i < p->count; i++) {
    size_t sb = fconv_signal_of(p, i), kb = fconv_kernel_of(p, i);
    fconv_gather(p, (const char *)signal + sb * p->sig_elems * p->esize, org, cnt, s->win, pitch,
                 0);
    switch (p->dtype) {
    case FCONV_F32: NAIVE_BODY(float, double) break;
    case FCONV_F64: NAIVE_BODY(double, double) break;
    case FCONV_C64: NAIVE_BODY(float _Complex, double _Complex) break;
    case FCONV_C128: NAIVE_BODY(double _Complex, double _Complex) break;
    }
  }
  return FCONV_OK;
}

static void naive_destroy(void *state) {
  naive_state *s = (naive_state *)state;
  fconv_free(s->win);
  fconv_free(s->taps);
  fconv_free(s);
}

const fconv_path_vtbl fconv_cpu_direct_path = {
    "cpu-direct", FCONV_BACKEND_CPU, FCONV_METHOD_DIRECT, naive_estimate, naive_create, NULL,
    naive_execute, naive_destroy, NULL, NULL, NULL, NULL, NULL};
