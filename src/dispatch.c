/* dispatch.c — choice policy for every backend: choose a backend and a method. Each path models
 * its own cost (estimate()); dispatch compares them, optionally times the candidates
 * (FCONV_FLAG_MEASURE), keeps the fallback candidate, and after set_kernel applies the
 * kernel-aware refinement (the paths' kernel costs, e.g. separable kernels, and the accuracy
 * policy below) to CPU and CUDA plans alike. */
#include "dispatch.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "core/dtype.h"
#include "core/kernel_info.h"
#include "core/memory.h"
#include "util.h"

static const fconv_path_vtbl *const fconv_paths[] = {
    &fconv_cpu_direct_path,
    &fconv_cpu_fft_path,
    &fconv_cpu_overlap_save_path,
    &fconv_cpu_channels_direct_path,
    &fconv_cpu_channels_fft_path,
    &fconv_cpu_channels_overlap_save_path,
#ifdef FCONV_HAVE_CUDA
    &fconv_cuda_direct_path,
    &fconv_cuda_fft_path,
    &fconv_cuda_overlap_save_path,
#endif
};
#define NPATHS (sizeof fconv_paths / sizeof fconv_paths[0])

/* Multi-channel problems (C_in or C_out > 1) run only on the channel paths, which run only them. */
static int channel_path(const fconv_path_vtbl *path) {
  return path == &fconv_cpu_channels_direct_path || path == &fconv_cpu_channels_fft_path ||
         path == &fconv_cpu_channels_overlap_save_path;
}

/* Time one execute of a created candidate on deterministic data: the best of a few runs. */
static double measure(const fconv_problem *p, const fconv_candidate *c, void *sig, void *ker,
                      const fconv_kernel_info *kinfo, void *out) {
  if (c->path->set_kernel && c->path->set_kernel(c->state, ker, kinfo) != FCONV_OK) return -1.0;
  const void *k = c->path->set_kernel ? NULL : ker;
  if (c->path->execute(c->state, sig, k, out) != FCONV_OK) return -1.0; /* warm-up */
  double best = INFINITY;
  for (int rep = 0; rep < 3; rep++) {
    double t0 = fconv_now();
    if (c->path->execute(c->state, sig, k, out) != FCONV_OK) return -1.0;
    double t = fconv_now() - t0;
    if (t < best) best = t;
    if (best > 0.5) break; /* a slow candidate has told us enough */
  }
  return best;
}

/* Deterministic pseudo-random fill in [-1, 1) for measurement inputs. */
static void fill(void *buf, size_t scalars, int dbl) {
  uint64_t s = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < scalars; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    double v = (double)(s >> 11) * (2.0 / 9007199254740992.0) - 1.0;
    if (dbl) ((double *)buf)[i] = v; else ((float *)buf)[i] = (float)v;
  }
}

static void describe_choice(fconv_plan_info *info, const fconv_candidate *c, const char *why) {
  info->backend = c->path->backend;
  info->method = c->path->method;
  info->estimated_seconds = c->seconds;
  snprintf(info->reason, sizeof info->reason, "%s: %s (%.3g ms)", why, c->path->name,
           c->seconds * 1e3);
}

fconv_status fconv_dispatch_create(const fconv_problem *p, fconv_method method,
                                   fconv_backend backend,
                                   fconv_candidate cand[FCONV_MAX_CANDIDATES], int *ncand,
                                   fconv_plan_info *info) {
  memset(info, 0, sizeof *info);
  for (int m = 0; m < 4; m++) info->candidate_seconds[m] = -1.0;
  *ncand = 0;
  const int device_ptrs = (p->flags & FCONV_FLAG_DEVICE_POINTERS) != 0;

  int cuda_devices = 0;
#ifdef FCONV_HAVE_CUDA
  if (backend != FCONV_BACKEND_CPU) cuda_devices = fconv_cuda_devices();
#endif
  if (backend == FCONV_BACKEND_CUDA || device_ptrs) {
#ifndef FCONV_HAVE_CUDA
    FCONV_RETURN_ERROR(FCONV_ERR_UNSUPPORTED, "this build has no CUDA backend");
#endif
    FCONV_RETURN_IF(cuda_devices == 0, FCONV_ERR_NO_DEVICE, "no usable CUDA device or driver");
    FCONV_RETURN_IF(p->multichannel, FCONV_ERR_UNSUPPORTED,
                    "the CUDA backend has no multi-channel paths yet (use the CPU backend)");
  }

  /* Model every path the request allows. */
  fconv_candidate all[NPATHS];
  size_t nall = 0, best = 0;
  for (size_t i = 0; i < NPATHS; i++) {
    const fconv_path_vtbl *path = fconv_paths[i];
    if (method != FCONV_METHOD_AUTO && path->method != method) continue;
    if (channel_path(path) != (p->multichannel != 0)) continue;
    if (path->backend == FCONV_BACKEND_CUDA && cuda_devices == 0) continue;
    if (path->backend == FCONV_BACKEND_CPU && (backend == FCONV_BACKEND_CUDA || device_ptrs))
      continue;
    double s = path->estimate(p);
    if (!(s >= 0.0)) continue;
    all[nall].path = path;
    all[nall].state = NULL;
    all[nall].seconds = s;
    double *slot = &info->candidate_seconds[path->method];
    if (*slot < 0.0 || s < *slot) *slot = s;
    if (nall == 0 || s < all[best].seconds) best = nall;
    nall++;
  }
  FCONV_RETURN_IF(nall == 0, FCONV_ERR_UNSUPPORTED,
                  "no path of this build can run the requested method and backend");

  const char *why = nall == 1 ? "requested" : "cost model";
  const fconv_path_vtbl *failed = NULL; /* the first CUDA path whose create failed */
  fconv_status failed_st = FCONV_OK;
  if ((p->flags & FCONV_FLAG_MEASURE) && nall > 1 && !device_ptrs) {
    /* Time every candidate the model does not rule out by a wide margin. */
    const int dbl = fconv_dtype_is_double(p->dtype), cplx = p->is_complex;
    size_t scal = (size_t)(cplx ? 2 : 1);
    const size_t kelems = fconv_problem_path_kernel_bytes(p) / p->esize;
    void *sig = fconv_malloc(fconv_problem_signal_total(p) * p->esize);
    void *ker = fconv_malloc(kelems * p->esize);
    void *out = fconv_malloc(fconv_problem_output_total(p) * p->esize);
    fconv_kernel_stats *kstats =
        (fconv_kernel_stats *)fconv_malloc(p->kernel_batch * sizeof *kstats);
    if (!sig || !ker || !out || !kstats) {
      fconv_free(sig); fconv_free(ker); fconv_free(out); fconv_free(kstats);
      FCONV_RETURN_ERROR(FCONV_ERR_OUT_OF_MEMORY, "measurement buffers");
    }
    fill(sig, fconv_problem_signal_total(p) * scal, dbl);
    fill(ker, kelems * scal, dbl);
    fconv_kernel_info kinfo;
    fconv_kernel_info_init(p, ker, kstats, &kinfo);
    double best_t = INFINITY;
    void *best_state = NULL;
    fconv_status first_err = FCONV_OK;
    for (size_t i = 0; i < nall; i++) {
      if (all[i].seconds > 20.0 * all[best].seconds + 1e-3) continue;
      void *st = NULL;
      fconv_status cst = all[i].path->create(p, &st);
      if (cst != FCONV_OK) {
        if (first_err == FCONV_OK) first_err = cst;
        continue;
      }
      fconv_candidate c = {all[i].path, st, all[i].seconds};
      double t = measure(p, &c, sig, ker, &kinfo, out);
      if (t >= 0.0) {
        info->candidate_seconds[all[i].path->method] = t;
        all[i].seconds = t;
      }
      if (t >= 0.0 && t < best_t) {
        if (best_state) all[best].path->destroy(best_state);
        best_t = t;
        best = i;
        best_state = st;
      } else {
        all[i].path->destroy(st);
      }
    }
    fconv_free(sig); fconv_free(ker); fconv_free(out); fconv_free(kstats);
    FCONV_RETURN_IF(!best_state, first_err != FCONV_OK ? first_err : FCONV_ERR_INTERNAL,
                    "no candidate could be created and measured");
    all[best].state = best_state;
    info->measured = 1;
    why = "measured";
  } else {
    /* Create the cheapest; a CUDA path that cannot be created (a device busy in
     * exclusive-process mode or out of memory, a cuFFT planning failure, a current device this
     * build cannot run on) gives way to the next cheapest candidate, and the reason says so. */
    for (;;) {
      fconv_status cst = all[best].path->create(p, &all[best].state);
      if (cst == FCONV_OK) break;
      if (all[best].path->backend != FCONV_BACKEND_CUDA) return cst;
      if (!failed) {
        failed = all[best].path;
        failed_st = cst;
      }
      all[best].seconds = -1.0; /* out of the running */
      int next = -1;
      for (size_t i = 0; i < nall; i++)
        if (all[i].seconds >= 0.0 && (next < 0 || all[i].seconds < all[next].seconds))
          next = (int)i;
      if (next < 0) return failed_st;
      best = (size_t)next;
    }
  }
  cand[0] = all[best];
  *ncand = 1;
  describe_choice(info, &cand[0], method == FCONV_METHOD_AUTO ? why : "requested method");
  if (failed) {
    const size_t used = strlen(info->reason);
    snprintf(info->reason + used, sizeof info->reason - used, "; %s could not be created: %s",
             failed->name, fconv_status_text(failed_st));
  }

  /* Fallback policy: an AUTO plan that chose a transform method keeps the direct path of the
   * same backend ready: once the kernel is known it may turn out separable (much cheaper
   * direct) or demand direct accuracy. */
  if (method == FCONV_METHOD_AUTO && cand[0].path->method != FCONV_METHOD_DIRECT) {
    for (size_t i = 0; i < nall; i++) {
      if (all[i].path->backend != cand[0].path->backend ||
          all[i].path->method != FCONV_METHOD_DIRECT)
        continue;
      void *st = NULL;
      if (all[i].path->create(p, &st) == FCONV_OK) {
        cand[1] = all[i];
        cand[1].state = st;
        *ncand = 2;
      }
    }
  }
  return FCONV_OK;
}

/* Accuracy policy. A transform method's result carries an error of about
 * eps * log2(T) * |x| * |g| spread over every output, while the direct sum is exact for exact
 * inputs. So a kernel asks for the direct method when, for any of the kernel_batch kernels:
 *   (a) the magnitudes span a huge range: max|h| / min nonzero |h| > 1e6 (F32, C64) or 1e12
 *       (F64, C128): the small taps would drown in the large taps' rounding error; or
 *   (b) every tap is integer-valued (real and imaginary parts) and sum|h| <= 2^16 (F32, C64) or
 *       2^45 (F64, C128): integer signals up to 2^8 in magnitude then convolve to exact
 *       integers directly, which a user with an integer kernel likely expects.
 * Kernels with non-finite taps are left to the models. */
static int kernel_needs_direct(fconv_dtype dtype, const fconv_kernel_info *kinfo) {
  const int dbl = fconv_dtype_is_double(dtype);
  const double range_max = dbl ? 1e12 : 1e6, int_max = dbl ? 35184372088832.0 : 65536.0;
  for (size_t q = 0; q < kinfo->kernel_batch; q++) {
    const fconv_kernel_stats *st = &kinfo->stats[q];
    if (!st->finite) continue;
    if (st->max_abs > 0.0 && st->max_abs / st->min_abs > range_max) return 1;
    if (st->integer && st->sum_abs <= int_max) return 1;
  }
  return 0;
}

/* A candidate's modelled seconds once the kernel is known: +infinity for a transform method
 * when the accuracy policy asks for direct, else the path's kernel cost (its estimate when it
 * has none). */
static double kernel_seconds(const fconv_candidate *c, int needs_direct,
                             const fconv_kernel_info *kinfo) {
  if (needs_direct && c->path->method != FCONV_METHOD_DIRECT) return INFINITY;
  return c->path->kernel_cost ? c->path->kernel_cost(c->state, kinfo) : c->seconds;
}

void fconv_dispatch_refine(fconv_candidate cand[FCONV_MAX_CANDIDATES], int ncand,
                           const fconv_problem *p, const fconv_kernel_info *kinfo,
                           fconv_plan_info *info) {
  const int needs_direct = kernel_needs_direct(p->dtype, kinfo);
  if (ncand < 2) {
    if (ncand == 1) {
      double s = kernel_seconds(&cand[0], needs_direct, kinfo);
      if (s >= 0.0) cand[0].seconds = info->estimated_seconds = s;
    }
    return;
  }
  int best = 0;
  for (int i = 0; i < ncand; i++) {
    double s = kernel_seconds(&cand[i], needs_direct, kinfo);
    if (s >= 0.0) cand[i].seconds = s;
    if (cand[i].seconds < cand[best].seconds) best = i;
  }
  if (best != 0) {
    fconv_candidate t = cand[0];
    cand[0] = cand[best];
    cand[best] = t;
    describe_choice(info, &cand[0], "kernel-aware refinement");
  }
}
