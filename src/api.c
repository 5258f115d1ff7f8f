/* api.c — the public entry points: descriptor defaults, plan lifecycle, names and statuses.
 * Validation and the normalised problem are core/problem.c's; the choice is dispatch.c's. */
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/geometry.h"
#include "core/kernel_info.h"
#include "core/memory.h"
#include "core/problem.h"
#include "dispatch.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FCONV_PLAN_MAGIC 0x464e4f43u    /* "CONF" */
#define FCONV_PLAN_DEAD  0xdeadf00du

struct fconv_plan {
  uint32_t magic;
  fconv_desc desc;
  fconv_problem prob;                    /* as the paths see it (after the VALID swap) */
  fconv_candidate cand[FCONV_MAX_CANDIDATES];
  int ncand;
  fconv_plan_info info;
  void *kernel;                          /* the api's host copy of the kernel (device-pointer
                                            plans: copied back for the kernel analysis) */
  fconv_kernel_stats *kstats;            /* kernel_batch entries (core/kernel_info.h) */
  void *swap_buf;                        /* swapped CORRELATE: flip(conj(kernel)), per execute */
  void *dil_buf;                         /* dilated plans: an execute-time kernel, zero-stuffed */
  int kernel_set;
  size_t kernel_bytes;                   /* the user's kernel array (kernel_batch * filters * taps) */
  size_t path_kernel_bytes;              /* the paths' kernels (dilated), in plan->kernel */
  size_t signal_bytes;                   /* the user's signal array (batch * C_in * signal) */
  size_t out_bytes;                      /* count * C_out * prod(output shape) * esize */
  /* Kernel-aware choice on the execute path (AUTO plans with a second candidate, host
   * pointers): the last explicit kernel (user layout) and its statistics; which kernel the
   * candidates' order was refined for. */
  void *xmemo;
  fconv_kernel_stats *xstats;
  int xvalid;
  int order;                             /* ORDER_CREATE, ORDER_SET or ORDER_EXPLICIT */
};

enum { ORDER_CREATE = 0, ORDER_SET = 1, ORDER_EXPLICIT = 2 };

/* ---- names, statuses, version -------------------------------------------------------------- */

const char *fconv_status_string(fconv_status s) { return fconv_status_text(s); }

const char *fconv_method_name(fconv_method m) {
  switch (m) {
  case FCONV_METHOD_AUTO: return "auto";
  case FCONV_METHOD_DIRECT: return "direct";
  case FCONV_METHOD_FFT: return "fft";
  case FCONV_METHOD_OVERLAP_SAVE: return "overlap-save";
  }
  return "?";
}

const char *fconv_backend_name(fconv_backend b) {
  switch (b) {
  case FCONV_BACKEND_AUTO: return "auto";
  case FCONV_BACKEND_CPU: return "cpu";
  case FCONV_BACKEND_CUDA: return "cuda";
  }
  return "?";
}

const char *fconv_dtype_name(fconv_dtype t) {
  switch (t) {
  case FCONV_F32: return "f32";
  case FCONV_F64: return "f64";
  case FCONV_C64: return "c64";
  case FCONV_C128: return "c128";
  }
  return "?";
}

unsigned fconv_version_number(void) { return FCONV_VERSION_NUMBER; }

const char *fconv_version_string(void) {
#ifdef FCONV_HAVE_CUDA
#define FCONV_FEATURES "cuda backend built"
#else
#define FCONV_FEATURES "cpu only"
#endif
#define FCONV_STR2(x) #x
#define FCONV_STR(x) FCONV_STR2(x)
  return FCONV_STR(FCONV_VERSION_MAJOR) "." FCONV_STR(FCONV_VERSION_MINOR) "." FCONV_STR(
      FCONV_VERSION_PATCH) " (" FCONV_FEATURES ")";
}

int fconv_cuda_device_count(void) {
#ifdef FCONV_HAVE_CUDA
  return fconv_cuda_devices();
#else
  return 0;
#endif
}

/* ---- the description and the normalised problem -------------------------------------------- */

void fconv_desc_init(fconv_desc *d, int rank, const size_t *signal_shape,
                     const size_t *kernel_shape, fconv_dtype dtype) {
  if (!d) return;
  /* only the 0.1 part: a caller built against 0.1 passes the shorter struct (fconv_desc_read) */
  memset(d, 0, offsetof(fconv_desc, in_channels));
  d->rank = rank;
  for (int a = 0; a < FCONV_MAX_RANK; a++) {
    int inside = a < rank;
    d->signal_shape[a] = inside ? (signal_shape ? signal_shape[a] : 0) : 1;
    d->kernel_shape[a] = inside ? (kernel_shape ? kernel_shape[a] : 0) : 1;
    d->stride[a] = 1;
  }
  d->batch = 1;
  d->kernel_batch = 1;
  d->dtype = dtype;
  d->mode = FCONV_MODE_FULL;
  d->op = FCONV_OP_CONVOLVE;
  d->boundary = FCONV_BOUNDARY_ZERO;
  d->method = FCONV_METHOD_AUTO;
  d->backend = FCONV_BACKEND_AUTO;
}

void fconv_desc_set_channels(fconv_desc *d, size_t in_channels, size_t out_channels,
                             size_t groups) {
  if (!d) return;
  fconv_desc_extend(d);
  d->in_channels = in_channels;
  d->out_channels = out_channels;
  d->groups = groups;
}

void fconv_desc_set_dilation(fconv_desc *d, const size_t *dilation) {
  if (!d || !dilation) return;
  fconv_desc_extend(d);
  for (int a = 0; a < FCONV_MAX_RANK; a++)
    d->dilation[a] = (a < d->rank) ? dilation[a] : 1;
}

/* ---- plan lifecycle ------------------------------------------------------------------------ */

static int plan_ok(const fconv_plan *plan) { return plan && plan->magic == FCONV_PLAN_MAGIC; }

static void plan_free(fconv_plan *plan) {
  for (int i = 0; i < plan->ncand; i++)
    if (plan->cand[i].path && plan->cand[i].state) plan->cand[i].path->destroy(plan->cand[i].state);
  fconv_free(plan->kernel);
  fconv_free(plan->kstats);
  fconv_free(plan->swap_buf);
  fconv_free(plan->dil_buf);
  fconv_free(plan->xmemo);
  fconv_free(plan->xstats);
  plan->magic = FCONV_PLAN_DEAD;
  fconv_free(plan);
}

fconv_status fconv_plan_create(fconv_plan **out, const fconv_desc *d) {
  fconv_error_clear();
  FCONV_INVALID_IF(!out, "plan is NULL");
  *out = NULL;
  fconv_problem p;
  FCONV_FORWARD(fconv_problem_init(d, &p));
  if (p.threads == 0) p.threads = fconv_cpu_count();

  fconv_plan *plan = (fconv_plan *)fconv_calloc(sizeof *plan);
  FCONV_RETURN_IF(!plan, FCONV_ERR_OUT_OF_MEMORY, "allocating the plan (%zu bytes)", sizeof *plan);
  fconv_desc_read(d, &plan->desc);
  plan->prob = p;
  plan->kernel_bytes = fconv_problem_kernel_bytes(&p);
  plan->path_kernel_bytes = p.swapped ? plan->kernel_bytes : fconv_problem_path_kernel_bytes(&p);
  plan->signal_bytes = fconv_problem_signal_bytes(&p);
  plan->out_bytes = fconv_problem_output_total(&p) * p.esize;
  plan->magic = FCONV_PLAN_MAGIC;

  fconv_status st = FCONV_OK;
  const int device = (d->flags & FCONV_FLAG_DEVICE_POINTERS) != 0;
  if (device && (p.dilated || p.multichannel))
    st = FCONV_ERROR(FCONV_ERR_UNSUPPORTED,
                     "multi-channel or dilated problems with FCONV_FLAG_DEVICE_POINTERS");
  if (st == FCONV_OK) {
    plan->kernel = fconv_malloc(plan->path_kernel_bytes); /* >= kernel_bytes */
    plan->kstats =
        (fconv_kernel_stats *)fconv_malloc(p.kernel_batch * p.filters * sizeof *plan->kstats);
    if (!plan->kernel || !plan->kstats)
      st = FCONV_ERROR(FCONV_ERR_OUT_OF_MEMORY,
                       "allocating the kernel copy and statistics (%zu bytes)",
                       plan->path_kernel_bytes);
  }
  if (st == FCONV_OK && p.dilated) {
    plan->dil_buf = fconv_malloc(plan->path_kernel_bytes);
    if (!plan->dil_buf)
      st = FCONV_ERROR(FCONV_ERR_OUT_OF_MEMORY, "allocating the dilated kernel (%zu bytes)",
                       plan->path_kernel_bytes);
  }
  if (st == FCONV_OK && !device && p.swapped && d->op == FCONV_OP_CORRELATE) {
    plan->swap_buf = fconv_malloc(plan->kernel_bytes);
    if (!plan->swap_buf)
      st = FCONV_ERROR(FCONV_ERR_OUT_OF_MEMORY, "allocating the swapped kernel (%zu bytes)",
                       plan->kernel_bytes);
  }
  if (st == FCONV_OK)
    st = fconv_dispatch_create(&plan->prob, d->method, d->backend, plan->cand, &plan->ncand,
                               &plan->info);
  if (st == FCONV_OK && plan->ncand > 1 && !device && !p.swapped) {
    plan->xmemo = fconv_malloc(plan->kernel_bytes);
    plan->xstats =
        (fconv_kernel_stats *)fconv_malloc(p.kernel_batch * p.filters * sizeof *plan->xstats);
    if (!plan->xmemo || !plan->xstats)
      st = FCONV_ERROR(FCONV_ERR_OUT_OF_MEMORY,
                       "allocating the execute-path kernel memo (%zu bytes)", plan->kernel_bytes);
  }
  if (st != FCONV_OK) {
    plan_free(plan);
    return FCONV_PASS(st);
  }
  plan->info.rank = p.rank;
  plan->info.swapped = p.swapped;
  plan->info.output_count = p.count;
  plan->info.threads = plan->info.backend == FCONV_BACKEND_CPU ? p.threads : 0;
  for (int a = 0; a < FCONV_MAX_RANK; a++)
    plan->info.output_shape[a] = a < p.rank ? p.ax[FCONV_MAX_RANK - p.rank + a].out : 1;
  *out = plan;
  return FCONV_OK;
}

void fconv_plan_destroy(fconv_plan *plan) {
  if (!plan_ok(plan)) return;
  plan_free(plan);
}

fconv_status fconv_plan_output_shape(const fconv_plan *plan, size_t shape[FCONV_MAX_RANK]) {
  fconv_error_clear();
  FCONV_INVALID_IF(!plan_ok(plan), "plan is NULL or destroyed");
  FCONV_INVALID_IF(!shape, "shape is NULL");
  memcpy(shape, plan->info.output_shape, sizeof plan->info.output_shape);
  return FCONV_OK;
}

/* Swapped CORRELATE (host pointers): the path's signal is g = flip(conj(h)) of every kernel. */
static void materialise_swap(const fconv_plan *plan, const void *kernel, void *dst) {
  const fconv_problem *p = &plan->prob;
  const ptrdiff_t org[3] = {0, 0, 0};
  const size_t cnt[3] = {p->ax[0].n, p->ax[1].n, p->ax[2].n};
  const size_t pitch[2] = {p->ax[1].n * p->ax[2].n, p->ax[2].n};
  for (size_t b = 0; b < p->batch; b++)
    fconv_gather(p, (const char *)kernel + b * p->sig_elems * p->esize, org, cnt,
                 (char *)dst + b * p->sig_elems * p->esize, pitch, 1);
}

/* The api's host copy of the caller's kernel, through the path when it checks pointer kinds or
 * copies from the device. */
static fconv_status copy_kernel(fconv_plan *plan, const void *kernel) {
  const fconv_candidate *c = &plan->cand[0];
  if (c->path->to_host) return c->path->to_host(c->state, plan->kernel, kernel, plan->kernel_bytes);
  memcpy(plan->kernel, kernel, plan->kernel_bytes);
  return FCONV_OK;
}

/* What the plan learns about its kernels (host, the paths' layout): every filter of a
 * multi-channel kernel. */
static void analyse_kernels(const fconv_plan *plan, const void *host, fconv_kernel_stats *stats,
                            fconv_kernel_info *kinfo) {
  fconv_problem all = plan->prob;
  all.kernel_batch *= plan->prob.filters;
  fconv_kernel_info_init(&all, host, stats, kinfo);
}

static void refine_for_execute(fconv_plan *plan, const void *kernel, const void *path_kernel);

fconv_status fconv_plan_set_kernel(fconv_plan *plan, const void *kernel) {
  fconv_error_clear();
  FCONV_INVALID_IF(!plan_ok(plan), "plan is NULL or destroyed");
  FCONV_INVALID_IF(!kernel, "kernel is NULL");
  const fconv_problem *p = &plan->prob;
  plan->kernel_set = 0;
  const int device = (p->flags & FCONV_FLAG_DEVICE_POINTERS) != 0;
  if (p->swapped) {
    /* The user's kernel is the paths' signal: nothing to precompute, keep it (or its flip). */
    if (device) {
      FCONV_RETURN_ERROR(FCONV_ERR_UNSUPPORTED,
                         "set_kernel on a swapped VALID plan with device pointers: pass the "
                         "kernel to execute");
    }
    FCONV_FORWARD(copy_kernel(plan, kernel));
    plan->kernel_set = 1;
    return FCONV_OK;
  }
  if (p->dilated) /* host pointers only (create refuses device pointers) */
    fconv_dilate_kernels(p, kernel, plan->kernel);
  else
    FCONV_FORWARD(copy_kernel(plan, kernel)); /* device-pointer plans: for the analysis only */
  const void *k = device ? kernel : plan->kernel;
  fconv_kernel_info kinfo;
  analyse_kernels(plan, plan->kernel, plan->kstats, &kinfo);
  for (int i = 0; i < plan->ncand; i++) {
    const fconv_path_vtbl *path = plan->cand[i].path;
    if (path->set_kernel) FCONV_FORWARD(path->set_kernel(plan->cand[i].state, k, &kinfo));
  }
  fconv_dispatch_refine(plan->cand, plan->ncand, p, &kinfo, &plan->info);
  plan->order = ORDER_SET;
  plan->kernel_set = 1;
  return FCONV_OK;
}

/* The execute path's kernel-aware choice (AUTO plans with a second candidate): an explicit
 * kernel gets the choice set_kernel would make for it (the same refinement: separable direct
 * for a rank-1 kernel, the accuracy rule), analysed once per distinct kernel (a byte compare
 * against the last one, O(taps) next to the convolution); execute(NULL) goes back to the set
 * kernel's choice. path_kernel: the kernels in the paths' layout (dilated). */
static void refine_for_execute(fconv_plan *plan, const void *kernel, const void *path_kernel) {
  if (!plan->xmemo) return;
  fconv_kernel_info kinfo;
  if (kernel) {
    const int same = plan->xvalid && memcmp(plan->xmemo, kernel, plan->kernel_bytes) == 0;
    if (same && plan->order == ORDER_EXPLICIT) return;
    if (!same) {
      memcpy(plan->xmemo, kernel, plan->kernel_bytes);
      plan->xvalid = 1;
    }
    analyse_kernels(plan, path_kernel, plan->xstats, &kinfo);
    fconv_dispatch_refine(plan->cand, plan->ncand, &plan->prob, &kinfo, &plan->info);
    plan->order = ORDER_EXPLICIT;
  } else if (plan->order == ORDER_EXPLICIT) {
    analyse_kernels(plan, plan->kernel, plan->kstats, &kinfo);
    fconv_dispatch_refine(plan->cand, plan->ncand, &plan->prob, &kinfo, &plan->info);
    plan->order = ORDER_SET;
  }
}

/* Do the byte ranges [a, a + na) and [b, b + nb) share a byte? */
static int overlaps(const void *a, size_t na, const void *b, size_t nb) {
  const uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
  return x < y + nb && y < x + na;
}

fconv_status fconv_execute(fconv_plan *plan, const void *signal, const void *kernel, void *out) {
  fconv_error_clear();
  FCONV_INVALID_IF(!plan_ok(plan), "plan is NULL or destroyed");
  FCONV_INVALID_IF(!signal, "signal is NULL");
  FCONV_INVALID_IF(!out, "out is NULL");
  FCONV_INVALID_IF(!kernel && !plan->kernel_set, "kernel is NULL and none was set with set_kernel");
  FCONV_INVALID_IF(overlaps(out, plan->out_bytes, signal, plan->signal_bytes),
                   "out overlaps signal (in-place is not supported)");
  FCONV_INVALID_IF(kernel && overlaps(out, plan->out_bytes, kernel, plan->kernel_bytes),
                   "out overlaps kernel");
  const fconv_candidate *c = &plan->cand[0];
  if (plan->prob.swapped) {
    /* Rule 6: the user's kernel is the larger operand and becomes the paths' signal. */
    const void *big = kernel ? kernel : plan->kernel;
    if (plan->swap_buf) { /* CORRELATE: g = flip(conj(h)), O(size) next to the convolution */
      materialise_swap(plan, big, plan->swap_buf);
      big = plan->swap_buf;
    }
    return FCONV_PASS(c->path->execute(c->state, big, signal, out));
  }
  const void *user_kernel = kernel;
  if (kernel && plan->dil_buf) {
    fconv_dilate_kernels(&plan->prob, kernel, plan->dil_buf);
    kernel = plan->dil_buf;
  }
  refine_for_execute(plan, user_kernel, kernel);
  c = &plan->cand[0];
  if (!kernel && !c->path->set_kernel) kernel = plan->kernel;
  return FCONV_PASS(c->path->execute(c->state, signal, kernel, out));
}

fconv_status fconv_convolve(const fconv_desc *d, const void *signal, const void *kernel,
                            void *out) {
  fconv_error_clear();
  FCONV_INVALID_IF(!signal, "signal is NULL");
  FCONV_INVALID_IF(!kernel, "kernel is NULL");
  FCONV_INVALID_IF(!out, "out is NULL");
  fconv_plan *plan = NULL;
  FCONV_FORWARD(fconv_plan_create(&plan, d));
  fconv_status st = fconv_execute(plan, signal, kernel, out);
  fconv_plan_destroy(plan);
  return FCONV_PASS(st);
}

const char *fconv_last_error(void) { return fconv_error_detail(); }

/* ---- introspection and CUDA controls ------------------------------------------------------- */

fconv_status fconv_plan_get_info(const fconv_plan *plan, fconv_plan_info *info) {
  fconv_error_clear();
  FCONV_INVALID_IF(!plan_ok(plan), "plan is NULL or destroyed");
  FCONV_INVALID_IF(!info, "info is NULL");
  *info = plan->info;
  const fconv_candidate *c = &plan->cand[0];
  if (c->path->describe) c->path->describe(c->state, info);
  return FCONV_OK;
}

fconv_status fconv_plan_set_cuda_stream(fconv_plan *plan, void *stream) {
  fconv_error_clear();
  FCONV_INVALID_IF(!plan_ok(plan), "plan is NULL or destroyed");
  FCONV_RETURN_IF(!plan->cand[0].path->set_stream, FCONV_ERR_UNSUPPORTED, "not a CUDA plan");
  for (int i = 0; i < plan->ncand; i++) { /* a later refinement may switch candidates */
    const fconv_candidate *c = &plan->cand[i];
    if (c->path->set_stream) FCONV_FORWARD(c->path->set_stream(c->state, stream));
  }
  return FCONV_OK;
}

fconv_status fconv_plan_workspace_size(const fconv_plan *plan, size_t *bytes) {
  fconv_error_clear();
  FCONV_INVALID_IF(!plan_ok(plan), "plan is NULL or destroyed");
  FCONV_INVALID_IF(!bytes, "bytes is NULL");
  const fconv_candidate *c = &plan->cand[0];
  if (c->path->workspace_size) {
    *bytes = c->path->workspace_size(c->state);
  } else {
    fconv_plan_info info;
    fconv_plan_get_info(plan, &info);
    *bytes = info.workspace_bytes;
  }
  return FCONV_OK;
}

fconv_status fconv_plan_set_workspace(fconv_plan *plan, void *workspace, size_t bytes) {
  fconv_error_clear();
  FCONV_INVALID_IF(!plan_ok(plan), "plan is NULL or destroyed");
  const fconv_candidate *c = &plan->cand[0];
  FCONV_RETURN_IF(!c->path->set_workspace, FCONV_ERR_UNSUPPORTED,
                  "CPU plans keep their own workspace");
  return FCONV_PASS(c->path->set_workspace(c->state, workspace, bytes));
}

/* ---- FFTW wisdom (the CPU backend's, cpu/fftw.c) ------------------------------------------- */

fconv_status fconv_wisdom_export_string(char **text) { return fconv_fftw_wisdom_export(text); }
fconv_status fconv_wisdom_import_string(const char *text) { return fconv_fftw_wisdom_import(text); }
fconv_status fconv_wisdom_export_file(const char *path) {
  return fconv_fftw_wisdom_export_file(path);
}
fconv_status fconv_wisdom_import_file(const char *path) {
  return fconv_fftw_wisdom_import_file(path);
}
void fconv_wisdom_forget(void) { fconv_fftw_wisdom_forget(); }
void fconv_wisdom_free(char *text) { free(text); }
