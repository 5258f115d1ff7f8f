/* dispatch.c — choice policy for every backend: choose a backend and a method. Each path models
 * its own cost (estimate()); dispatch compares them, optionally times the candidates
 * (FCONV_FLAG_MEASURE), keeps the fallback candidate, and after set_kernel applies the
 * kernel-aware refinement (the paths' kernel costs, e.g. separable kernels, and the accuracy
 * rule of core/kernel_info.h) to CPU and CUDA plans alike. The policy (fconv.h, "how AUTO
 * chooses"): the fastest method whose error bound holds; FCONV_FLAG_ACCURATE keeps AUTO on
 * the direct method. FCONV_DEBUG logs every candidate, rule and choice. */
#include "dispatch.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "core/dtype.h"
#include "core/kernel_info.h"
#include "core/memory.h"
#include "util.h"
#ifdef FCONV_HAVE_CUDA
#include "cuda_module.h"
#endif

static const fconv_path_vtbl *const fconv_cpu_paths[] = {
    &fconv_cpu_direct_path,
    &fconv_cpu_fft_path,
    &fconv_cpu_overlap_save_path,
    &fconv_cpu_channels_direct_path,
    &fconv_cpu_channels_winograd_path,
    &fconv_cpu_channels_fft_path,
    &fconv_cpu_channels_overlap_save_path,
};
#define NCPU (sizeof fconv_cpu_paths / sizeof fconv_cpu_paths[0])
#define NPATHS (NCPU + 4) /* and the CUDA module's direct, FFT, overlap-save, channels paths */

/* Multi-channel problems (C_in or C_out > 1) run only on paths that say they can (vtable field
 * `channels`), and channel-only paths run only them. */
static int path_runs(const fconv_path_vtbl *path, const fconv_problem *p) {
  if (p->multichannel) return path->channels != FCONV_PATH_PLAIN;
  return path->channels != FCONV_PATH_CHANNELS_ONLY;
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

/* Fill info's choice from the active candidate; `why` starts the reason. */
static void describe_choice(fconv_plan_info *info, const fconv_candidate *c, const char *why) {
  fconv_plan_info d = *info;
  if (c->path->describe) c->path->describe(c->state, &d);
  info->backend = c->path->backend;
  info->method = c->path->method;
  info->estimated_seconds = c->current;
  snprintf(info->reason, sizeof info->reason, "%s: %s%s (%.3g ms)", why, c->path->name,
           d.separable ? " as separable passes" : "", c->current * 1e3);
  FCONV_LOG("choice: %s", info->reason);
}

fconv_status fconv_dispatch_create(const fconv_problem *p, fconv_method method,
                                   fconv_backend backend,
                                   fconv_candidate cand[FCONV_MAX_CANDIDATES], int *ncand,
                                   fconv_plan_info *info) {
  memset(info, 0, sizeof *info);
  for (int m = 0; m < 4; m++) info->candidate_seconds[m] = -1.0;
  *ncand = 0;
  const int device_ptrs = (p->flags & FCONV_FLAG_DEVICE_POINTERS) != 0;

  /* The paths this request may use: the CPU's, and the CUDA module's when it can be loaded
   * (cuda_module.h: opened on the first request that may use CUDA). */
  const fconv_path_vtbl *paths[NPATHS];
  size_t npaths = 0;
  for (size_t i = 0; i < NCPU; i++) paths[npaths++] = fconv_cpu_paths[i];
  int cuda_devices = 0;
#ifdef FCONV_HAVE_CUDA
  const fconv_cuda_module *cuda = backend != FCONV_BACKEND_CPU ? fconv_cuda_module_get() : NULL;
  if (cuda) {
    cuda_devices = cuda->devices();
    paths[npaths++] = cuda->direct;
    paths[npaths++] = cuda->fft;
    paths[npaths++] = cuda->overlap_save;
    paths[npaths++] = cuda->channels_direct;
  }
#endif
  if (backend == FCONV_BACKEND_CUDA || device_ptrs) {
#ifndef FCONV_HAVE_CUDA
    FCONV_RETURN_ERROR(FCONV_ERR_UNSUPPORTED, "this build has no CUDA backend");
#else
    FCONV_RETURN_IF(!cuda, FCONV_ERR_NO_DEVICE, "the CUDA backend module is not available: %s",
                    fconv_cuda_module_why());
#endif
    FCONV_RETURN_IF(cuda_devices == 0, FCONV_ERR_NO_DEVICE, "no usable CUDA device or driver");
  }

  /* Model every path the request allows. */
  fconv_candidate all[NPATHS];
  size_t nall = 0, best = 0;
  for (size_t i = 0; i < npaths; i++) {
    const fconv_path_vtbl *path = paths[i];
    if (method != FCONV_METHOD_AUTO && path->method != method) continue;
    if (method == FCONV_METHOD_AUTO && (p->flags & FCONV_FLAG_ACCURATE) &&
        path->method != FCONV_METHOD_DIRECT)
      continue; /* the caller asked for the per-output bound */
    if (path->auto_only && (method != FCONV_METHOD_AUTO || (p->flags & FCONV_FLAG_ACCURATE)))
      continue; /* its bound is not the requested method's */
    if (!path_runs(path, p)) continue;
    if (path->backend == FCONV_BACKEND_CUDA && cuda_devices == 0) continue;
    if (path->backend == FCONV_BACKEND_CPU && (backend == FCONV_BACKEND_CUDA || device_ptrs))
      continue;
    double s = path->estimate(p);
    if (!(s >= 0.0)) continue;
    all[nall].path = path;
    all[nall].state = NULL;
    all[nall].seconds = all[nall].model = all[nall].current = s;
    all[nall].why = NULL;
    FCONV_LOG("model: %s %.3g ms", path->name, s * 1e3);
    double *slot = &info->candidate_seconds[path->method];
    if (*slot < 0.0 || s < *slot) *slot = s;
    if (nall == 0 || s < all[best].seconds) best = nall;
    nall++;
  }
  FCONV_RETURN_IF(nall == 0, FCONV_ERR_UNSUPPORTED,
                  "no path of this build can run the requested method and backend");

  const char *why = nall == 1 ? "requested" : "cost model";
  if (method == FCONV_METHOD_AUTO && (p->flags & FCONV_FLAG_ACCURATE)) {
    why = "FCONV_FLAG_ACCURATE (direct only)";
    FCONV_LOG("rule 'accurate flag': AUTO considers the direct method only");
  }
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
      fconv_candidate c = all[i];
      c.state = st;
      double t = measure(p, &c, sig, ker, &kinfo, out);
      if (t >= 0.0) {
        info->candidate_seconds[all[i].path->method] = t;
        all[i].seconds = all[i].current = t;
        FCONV_LOG("measured: %s %.3g ms (model %.3g ms)", all[i].path->name, t * 1e3,
                  all[i].model * 1e3);
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
  cand[0].why = method == FCONV_METHOD_AUTO ? why : "requested method";
  describe_choice(info, &cand[0], cand[0].why);
  if (failed) {
    const size_t used = strlen(info->reason);
    snprintf(info->reason + used, sizeof info->reason - used, "; %s could not be created: %s",
             failed->name, fconv_status_text(failed_st));
  }

  /* Fallback policy: an AUTO plan that chose a transform method keeps the direct path of the
   * same backend ready: once the kernel is known it may turn out separable (much cheaper
   * direct), or the accuracy rule may need it (fconv_dispatch_refine). */
  if (method == FCONV_METHOD_AUTO && cand[0].path->method != FCONV_METHOD_DIRECT) {
    for (size_t i = 0; i < nall; i++) {
      if (all[i].path->backend != cand[0].path->backend ||
          all[i].path->method != FCONV_METHOD_DIRECT || all[i].path->auto_only)
        continue;
      void *st = NULL;
      if (all[i].path->create(p, &st) == FCONV_OK) {
        cand[1] = all[i];
        cand[1].state = st;
        cand[1].why = "cost model";
        *ncand = 2;
      }
    }
  }
  return FCONV_OK;
}

/* The accuracy rule for one candidate (fconv.h, "Accuracy"; the rule itself is
 * core/kernel_info.c's fconv_fft_bound_holds): 1 when its error bound holds for every kernel.
 * Only the CPU transform paths scale the kernel by 1/points before transforming (cuFFT's paths
 * scale the product), so only they can miss it this way. */
static int bound_holds(const fconv_problem *p, const fconv_candidate *c,
                       const fconv_kernel_info *kinfo) {
  if (c->path->method == FCONV_METHOD_DIRECT || c->path->backend != FCONV_BACKEND_CPU) return 1;
  fconv_plan_info d;
  memset(&d, 0, sizeof d);
  if (c->path->describe) c->path->describe(c->state, &d);
  double points = 1.0;
  for (int a = 0; a < p->rank; a++)
    if (d.transform_shape[a] > 1) points *= (double)d.transform_shape[a];
  for (size_t q = 0; q < kinfo->kernel_batch; q++) {
    const fconv_kernel_stats *st = &kinfo->stats[q];
    if (!fconv_fft_bound_holds(p->dtype, st, (double)p->ker_elems, points)) {
      FCONV_LOG("rule 'range' fired for %s: kernel %zu (||h||_2 %.3g, max|h| %.3g) scaled by "
                "1/%.3g rounds in the subnormal range: the FFT bound is not guaranteed",
                c->path->name, q, st->l2, st->max_abs, points);
      return 0;
    }
  }
  return 1;
}

void fconv_dispatch_refine(fconv_candidate cand[FCONV_MAX_CANDIDATES], int ncand,
                           const fconv_problem *p, const fconv_kernel_info *kinfo,
                           fconv_plan_info *info) {
  if (ncand < 1) return;
  int ok[FCONV_MAX_CANDIDATES];
  int best = -1;
  for (int i = 0; i < ncand; i++) {
    fconv_candidate *c = &cand[i];
    c->current = c->seconds;
    if (c->path->kernel_cost) {
      const double r = c->path->kernel_cost(c->state, kinfo);
      /* a measured time is kept and scaled by the model's kernel-aware factor */
      if (r >= 0.0) c->current = info->measured && c->model > 0.0 ? c->seconds * (r / c->model) : r;
    }
    if (c->current != c->seconds)
      FCONV_LOG("kernel-aware: %s %.3g ms (was %.3g ms)", c->path->name, c->current * 1e3,
                c->seconds * 1e3);
    info->candidate_seconds[c->path->method] = c->current;
    ok[i] = bound_holds(p, c, kinfo);
    if (ok[i] && (best < 0 || c->current < cand[best].current)) best = i;
  }
  const char *why;
  if (best < 0) { /* no candidate meets the bound: only the requested (or only) method */
    best = 0;
    why = "requested method, FFT bound not guaranteed (range rule)";
  } else if (ncand == 1) {
    why = cand[0].why ? cand[0].why : "cost model";
  } else if (!ok[0] && best != 0) {
    why = "range rule kept the direct method";
  } else {
    why = info->measured ? "measured, kernel-aware" : "kernel-aware cost model";
  }
  if (best != 0) {
    fconv_candidate t = cand[0];
    cand[0] = cand[best];
    cand[best] = t;
  }
  describe_choice(info, &cand[0], why);
}
