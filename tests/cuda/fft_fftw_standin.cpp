/* fft_fftw_standin.cpp — TESTS ONLY: src/cuda/fft_dev.h implemented with FFTW, standing in for
 * cuFFT in the emulator build (where "device" memory is host memory and streams run inline).
 * Same data layout as cufftMakePlanMany64 (advanced layout, unnormalised, R2C/C2R half
 * spectrum along the last axis). Behaves like cuFFT with auto-allocation off: it reports a
 * non-zero work area, refuses to run without one (CUFFT_NO_WORKSPACE's status) and writes all
 * of it on every exec, so AddressSanitizer catches a work area that is too small or freed.
 * Stream order: exec queues the transform on the plan's emulated stream (fconv_emu::
 * enqueue_host), like cuFFT, so it runs in stream order when the host synchronises and a
 * missing synchronisation in the host logic still shows.
 * Counters (fft_fftw_standin.h) let tests check that execute neither plans nor recomputes
 * the cached kernel spectrum. */
#include "fft_fftw_standin.h"

#include "cuda/compat.cuh"
#include "cuda/dev.h"
#include "fconv_emu.h"

#include <fftw3.h>

#include <cstring>
#include <mutex>

#include "cuda/fft_dev.h"

namespace {
std::mutex planner_mutex; /* FFTW's planner is not thread-safe */
long plans_made, execs_run;
}  // namespace

struct fconv_fft {
  fconv_fft_kind kind;
  int dbl;
  void *plan;        /* fftwf_plan or fftw_plan */
  void *plan_inv;    /* C2C: plan is the forward sign, plan_inv the inverse */
  int in_place;
  size_t work_bytes;
  void *work;
  int work_set;
  void *stream;
};

extern "C" long fconv_fft_standin_plans(void) { return plans_made; }
extern "C" long fconv_fft_standin_execs(void) { return execs_run; }

/* Elements spanned by one item of an advanced layout. */
static long long span_of(const fconv_fft_layout *l, const long long *n, const long long *nembed,
                         long long stride) {
  long long off = 0, pitch = 1;
  for (int a = l->rank - 1; a >= 0; a--) {
    off += (n[a] - 1) * pitch;
    pitch *= nembed[a];
  }
  return off * stride + 1;
}

template <class F> struct fftw_api;
template <> struct fftw_api<float> {
  typedef fftwf_complex C;
  typedef fftwf_plan P;
  static P r2c(int r, const int *n, int h, float *i, const int *ie, int is, int id, C *o,
               const int *oe, int os, int od) {
    return fftwf_plan_many_dft_r2c(r, n, h, i, ie, is, id, o, oe, os, od,
                                   FFTW_ESTIMATE | FFTW_UNALIGNED);
  }
  static P c2r(int r, const int *n, int h, C *i, const int *ie, int is, int id, float *o,
               const int *oe, int os, int od) {
    return fftwf_plan_many_dft_c2r(r, n, h, i, ie, is, id, o, oe, os, od,
                                   FFTW_ESTIMATE | FFTW_UNALIGNED);
  }
  static P c2c(int r, const int *n, int h, C *i, const int *ie, int is, int id, C *o,
               const int *oe, int os, int od, int sign) {
    return fftwf_plan_many_dft(r, n, h, i, ie, is, id, o, oe, os, od, sign,
                               FFTW_ESTIMATE | FFTW_UNALIGNED);
  }
  static void exec(fconv_fft_kind k, P p, void *in, void *out) {
    if (k == FCONV_FFT_R2C) fftwf_execute_dft_r2c(p, (float *)in, (C *)out);
    else if (k == FCONV_FFT_C2R) fftwf_execute_dft_c2r(p, (C *)in, (float *)out);
    else fftwf_execute_dft(p, (C *)in, (C *)out);
  }
  static void destroy(P p) { fftwf_destroy_plan(p); }
  static void *alloc(size_t b) { return fftwf_malloc(b); }
  static void dealloc(void *p) { fftwf_free(p); }
};
template <> struct fftw_api<double> {
  typedef fftw_complex C;
  typedef fftw_plan P;
  static P r2c(int r, const int *n, int h, double *i, const int *ie, int is, int id, C *o,
               const int *oe, int os, int od) {
    return fftw_plan_many_dft_r2c(r, n, h, i, ie, is, id, o, oe, os, od,
                                  FFTW_ESTIMATE | FFTW_UNALIGNED);
  }
  static P c2r(int r, const int *n, int h, C *i, const int *ie, int is, int id, double *o,
               const int *oe, int os, int od) {
    return fftw_plan_many_dft_c2r(r, n, h, i, ie, is, id, o, oe, os, od,
                                  FFTW_ESTIMATE | FFTW_UNALIGNED);
  }
  static P c2c(int r, const int *n, int h, C *i, const int *ie, int is, int id, C *o,
               const int *oe, int os, int od, int sign) {
    return fftw_plan_many_dft(r, n, h, i, ie, is, id, o, oe, os, od, sign,
                              FFTW_ESTIMATE | FFTW_UNALIGNED);
  }
  static void exec(fconv_fft_kind k, P p, void *in, void *out) {
    if (k == FCONV_FFT_R2C) fftw_execute_dft_r2c(p, (double *)in, (C *)out);
    else if (k == FCONV_FFT_C2R) fftw_execute_dft_c2r(p, (C *)in, (double *)out);
    else fftw_execute_dft(p, (C *)in, (C *)out);
  }
  static void destroy(P p) { fftw_destroy_plan(p); }
  static void *alloc(size_t b) { return fftw_malloc(b); }
  static void dealloc(void *p) { fftw_free(p); }
};

template <class F>
static fconv_status plan_t(fconv_fft *f, const fconv_fft_layout *l) {
  typedef fftw_api<F> A;
  int n[3], ie[3], oe[3];
  for (int a = 0; a < l->rank; a++) {
    n[a] = (int)l->n[a];
    ie[a] = (int)l->inembed[a];
    oe[a] = (int)l->onembed[a];
  }
  ie[0] = oe[0] = n[0]; /* unused by either library; FFTW wants a positive value */
  /* Logical extents of the input and output arrays (half spectrum on the complex side). */
  long long nin[3], nout[3];
  for (int a = 0; a < l->rank; a++) nin[a] = nout[a] = l->n[a];
  const int last = l->rank - 1;
  if (f->kind == FCONV_FFT_R2C) nout[last] = l->n[last] / 2 + 1;
  if (f->kind == FCONV_FFT_C2R) nin[last] = l->n[last] / 2 + 1;
  const size_t in_es = f->kind == FCONV_FFT_R2C ? sizeof(F) : 2 * sizeof(F);
  const size_t out_es = f->kind == FCONV_FFT_C2R ? sizeof(F) : 2 * sizeof(F);
  const size_t in_b = (size_t)((l->howmany - 1) * l->idist + span_of(l, nin, l->inembed, l->istride)) * in_es;
  const size_t out_b = (size_t)((l->howmany - 1) * l->odist + span_of(l, nout, l->onembed, l->ostride)) * out_es;
  /* FFTW_ESTIMATE does not touch the arrays, but it wants real ones of the right shape. */
  void *in = A::alloc(in_b > out_b ? in_b : out_b);
  void *out = f->in_place ? in : A::alloc(out_b);
  if (!in || !out) {
    A::dealloc(in);
    if (out != in) A::dealloc(out);
    return FCONV_ERR_OUT_OF_MEMORY;
  }
  const int h = (int)l->howmany, is = (int)l->istride, id = (int)l->idist;
  const int os = (int)l->ostride, od = (int)l->odist;
  typename A::P p = nullptr, q = nullptr;
  {
    std::lock_guard<std::mutex> lock(planner_mutex);
    if (f->kind == FCONV_FFT_R2C)
      p = A::r2c(l->rank, n, h, (F *)in, ie, is, id, (typename A::C *)out, oe, os, od);
    else if (f->kind == FCONV_FFT_C2R)
      p = A::c2r(l->rank, n, h, (typename A::C *)in, ie, is, id, (F *)out, oe, os, od);
    else {
      p = A::c2c(l->rank, n, h, (typename A::C *)in, ie, is, id, (typename A::C *)out, oe, os,
                 od, FFTW_FORWARD);
      q = A::c2c(l->rank, n, h, (typename A::C *)in, ie, is, id, (typename A::C *)out, oe, os,
                 od, FFTW_BACKWARD);
    }
  }
  A::dealloc(in);
  if (out != in) A::dealloc(out);
  if (!p || (f->kind == FCONV_FFT_C2C && !q)) {
    std::lock_guard<std::mutex> lock(planner_mutex);
    if (p) A::destroy(p);
    if (q) A::destroy(q);
    return FCONV_ERR_FFT;
  }
  f->plan = (void *)p;
  f->plan_inv = (void *)q;
  return FCONV_OK;
}

extern "C" fconv_status fconv_fft_plan_many(fconv_fft **plan, fconv_fft_kind kind, int dbl,
                                            const fconv_fft_layout *l, int in_place,
                                            size_t *work_bytes) {
  if (!plan || !l || !work_bytes || l->rank < 1 || l->rank > 3 || l->howmany < 1)
    return FCONV_ERR_INVALID_ARGUMENT;
  fconv_fft *f = (fconv_fft *)fconv_calloc(sizeof *f);
  if (!f) return FCONV_ERR_OUT_OF_MEMORY;
  f->kind = kind;
  f->dbl = dbl;
  f->in_place = in_place;
  fconv_status st = dbl ? plan_t<double>(f, l) : plan_t<float>(f, l);
  if (st != FCONV_OK) {
    fconv_free(f);
    return st;
  }
  /* Like cuFFT: some work area, growing with the batch. */
  f->work_bytes = 512 + 8 * (size_t)l->howmany;
  *work_bytes = f->work_bytes;
  plans_made++;
  *plan = f;
  return FCONV_OK;
}

extern "C" fconv_status fconv_fft_set_stream(fconv_fft *plan, void *stream) {
  plan->stream = stream;
  return FCONV_OK;
}

extern "C" fconv_status fconv_fft_set_work_area(fconv_fft *plan, void *work) {
  plan->work = work;
  plan->work_set = 1;
  return FCONV_OK;
}

extern "C" fconv_status fconv_fft_exec(fconv_fft *plan, void *in, void *out, int inverse) {
  if (!plan->work_set || (plan->work_bytes && !plan->work))
    return fconv_cufft_status(0xD); /* CUFFT_NO_WORKSPACE */
  if ((in == out) != (plan->in_place != 0)) return fconv_cufft_status(0x4); /* INVALID_VALUE */
  if ((plan->kind == FCONV_FFT_R2C && inverse) || (plan->kind == FCONV_FFT_C2R && !inverse))
    return fconv_cufft_status(0x4);
  void *p = plan->kind == FCONV_FFT_C2C && inverse ? plan->plan_inv : plan->plan;
  void *work = plan->work;
  const size_t work_bytes = plan->work_bytes;
  const int dbl = plan->dbl;
  const fconv_fft_kind kind = plan->kind;
  execs_run++;
  return fconv_emu::enqueue_host(plan->stream, [=]() {
    memset(work, 0xA5, work_bytes); /* ASan: the area must be all there */
    if (dbl)
      fftw_api<double>::exec(kind, (fftw_plan)p, in, out);
    else
      fftw_api<float>::exec(kind, (fftwf_plan)p, in, out);
    return FCONV_OK;
  });
}

extern "C" void fconv_fft_destroy(fconv_fft *plan) {
  if (!plan) return;
  {
    std::lock_guard<std::mutex> lock(planner_mutex);
    if (plan->dbl) {
      fftw_destroy_plan((fftw_plan)plan->plan);
      if (plan->plan_inv) fftw_destroy_plan((fftw_plan)plan->plan_inv);
    } else {
      fftwf_destroy_plan((fftwf_plan)plan->plan);
      if (plan->plan_inv) fftwf_destroy_plan((fftwf_plan)plan->plan_inv);
    }
  }
  fconv_free(plan);
}
