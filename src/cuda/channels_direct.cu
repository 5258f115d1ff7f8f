/* channels_direct.cu — the CUDA direct path for multi-channel problems (C_in / C_out > 1,
 * groups, dilation): host-pointer plans only (the api refuses device pointers with channels).
 * Device code: channels_kernels.cuh (fconv_ch_direct_kernel, one output per thread, the sum over
 * the group's input channels and the taps dilation does not zero, the boundary rule through
 * fconv_bmap). Plan plumbing (device, stream, workspace, pinned stager): host.h.
 *
 * Per execute, on the plan's stream: signal -> pinned chunks -> workspace; [an explicit kernel:
 * prepared on the host (fconv_prepare_taps: flip / conjugate), copied]; one launch; output ->
 * pinned chunks -> caller. set_kernel prepares and copies the taps once.
 * Not tiled: no shared-memory reuse of the input window across output channels (the GEMM-like
 * tiling of the CPU path); on a GPU AUTO prefers the FFT paths for all but small layers. */
#include "compat.cuh"

#include <string.h>

#include "channels_kernels.cuh"
#include "dev.h"
#include "host.h"

#include "../core/geometry.h"

namespace {

struct chd_state {
  fconv_problem p;
  fconv_cuda_host h;
  void *d_taps, *d_taps_exec; /* prepared taps: set_kernel's, an explicit kernel's */
  void *h_taps;               /* pinned: taps prepared on the host */
  size_t tap_bytes, sig_bytes, out_bytes, off_out;
  int kernel_set;
};

size_t ws_align(size_t v) { return (v + FCONV_CUDA_WS_ALIGN - 1) / FCONV_CUDA_WS_ALIGN * FCONV_CUDA_WS_ALIGN; }

double chd_estimate(const fconv_problem *p) {
  if (!p->multichannel || (p->flags & FCONV_FLAG_DEVICE_POINTERS)) return -1.0;
  const double macs = (double)p->count * (double)p->cout * (double)p->out_elems *
                      (double)p->cig * (double)p->tap_elems;
  const double bytes = ((double)fconv_problem_signal_total(p) +
                        (double)fconv_problem_output_total(p)) * (double)p->esize;
  /* untiled: every multiply-add loads its input through the cache, about 4x the tiled rate */
  return 4.0 * macs / fconv_cost_mac_rate(fconv_cuda_cost_get(), (int)p->dtype, 0) +
         fconv_dev_transfer_seconds(p, bytes) +
         FCONV_CUDA_EXECUTE_S;
}

void chd_free(chd_state *s) {
  fconv_cuda_host_destroy(&s->h); /* first: nothing in flight uses our memory */
  fconv_dev_free(s->d_taps);
  fconv_dev_free(s->d_taps_exec);
  fconv_dev_free_host(s->h_taps);
  fconv_free(s);
}

fconv_status chd_create(const fconv_problem *p, void **state) {
  FCONV_RETURN_IF(!p->multichannel, FCONV_ERR_INTERNAL, "channel path for a plain problem");
  FCONV_RETURN_IF(p->flags & FCONV_FLAG_DEVICE_POINTERS, FCONV_ERR_UNSUPPORTED,
                  "multi-channel plans take host pointers");
  chd_state *s = (chd_state *)fconv_calloc(sizeof *s);
  FCONV_RETURN_IF(!s, FCONV_ERR_OUT_OF_MEMORY, "state");
  s->p = *p;
  fconv_status st = fconv_cuda_host_init(&s->h, p);
  if (st != FCONV_OK) {
    fconv_free(s);
    return st;
  }
  size_t ws = 0;
  if (fconv_mul_ovf(p->filters * p->ker_elems, p->esize, &s->tap_bytes) ||
      fconv_mul_ovf(fconv_problem_signal_total(p), p->esize, &s->sig_bytes) ||
      fconv_mul_ovf(fconv_problem_output_total(p), p->esize, &s->out_bytes) ||
      fconv_add_ovf(ws_align(s->sig_bytes), s->out_bytes, &ws))
    st = FCONV_ERROR(FCONV_ERR_UNSUPPORTED, "byte counts overflow size_t");
  s->off_out = ws_align(s->sig_bytes);
  if (st == FCONV_OK) st = fconv_dev_malloc(&s->d_taps, s->tap_bytes);
  if (st == FCONV_OK) st = fconv_dev_malloc(&s->d_taps_exec, s->tap_bytes);
  if (st == FCONV_OK) st = fconv_dev_malloc_host(&s->h_taps, s->tap_bytes);
  if (st == FCONV_OK)
    st = fconv_cuda_host_alloc(&s->h, ws, s->sig_bytes > s->out_bytes ? s->sig_bytes : s->out_bytes);
  if (st != FCONV_OK) {
    chd_free(s);
    return st;
  }
  *state = s;
  return FCONV_OK;
}

/* Prepared taps of every filter (host kernel h) copied to dst, queued on the stream. */
fconv_status upload_taps(chd_state *s, const void *h, void *dst) {
  fconv_problem q = s->p; /* fconv_prepare_taps over all filters at once */
  q.kernel_batch = s->p.filters;
  FCONV_FORWARD(fconv_dev_stream_sync(s->h.stream)); /* h_taps is free to overwrite */
  fconv_prepare_taps(&q, h, s->h_taps);
  return fconv_dev_copy_h2d(dst, s->h_taps, s->tap_bytes, s->h.stream);
}

fconv_status chd_set_kernel(void *state, const void *kernel, const fconv_kernel_info *info) {
  (void)info;
  chd_state *s = (chd_state *)state;
  fconv_device_scope scope(s->h.device);
  FCONV_FORWARD(scope.status);
  FCONV_FORWARD(fconv_cuda_host_check_capture(&s->h, 1)); /* set_kernel synchronises */
  s->kernel_set = 0;
  fconv_status st = fconv_cuda_host_check_pointer(&s->h, kernel);
  if (st == FCONV_OK) st = upload_taps(s, kernel, s->d_taps);
  if (st == FCONV_OK) st = fconv_dev_stream_sync(s->h.stream);
  if (st != FCONV_OK) {
    (void)fconv_dev_stream_sync(s->h.stream);
    return st;
  }
  s->kernel_set = 1;
  return FCONV_OK;
}

template <class T> fconv_status launch_t(const fconv_ch_direct_args &a, void *stream) {
  const dim3 grid(fconv_dev_blocks((uint64_t)a.total, 256, 65535)), block(256);
  void (*const direct_kernel)(fconv_ch_direct_args) = fconv_ch_direct_kernel<T>;
  return FCONV_LAUNCH(direct_kernel, grid, block, 0, stream, a);
}
#define LAUNCH_(E, S, C) return launch_t<fconv_elem<S, C>::type>(a, s->h.stream);
fconv_status launch(const chd_state *s, const void *x, const void *taps, void *y) {
  const fconv_problem *p = &s->p;
  fconv_ch_direct_args a;
  memset(&a, 0, sizeof a);
  a.x = x;
  a.y = y;
  a.taps = taps;
  for (int d = 0; d < 3; d++) {
    const fconv_axis *ax = &p->ax[d];
    a.n[d] = (long long)ax->n;
    a.p0[d] = (long long)ax->p0;
    a.out[d] = (long long)ax->out;
    a.k[d] = (long long)ax->k;
    a.s[d] = (long long)ax->stride;
    a.dil[d] = (long long)ax->dil;
  }
  a.cin = (long long)p->cin;
  a.cout = (long long)p->cout;
  a.cig = (long long)p->cig;
  a.cog = (long long)p->cog;
  a.total = (long long)fconv_problem_output_total(p);
  a.boundary = (int)p->boundary;
  FCONV_DTYPE_DISPATCH(p->dtype, LAUNCH_)
  return FCONV_ERR_INTERNAL;
}
#undef LAUNCH_

fconv_status execute_body(chd_state *s, const void *signal, const void *kernel, void *out) {
  FCONV_FORWARD(fconv_cuda_host_check_pointer(&s->h, signal));
  FCONV_FORWARD(fconv_cuda_host_check_pointer(&s->h, out));
  if (kernel) FCONV_FORWARD(fconv_cuda_host_check_pointer(&s->h, kernel));
  FCONV_INVALID_IF(!kernel && !s->kernel_set, "no kernel set");
  FCONV_INVALID_IF(s->h.ws_bytes && !s->h.ws, "no workspace");
  const void *taps = s->d_taps;
  if (kernel) {
    FCONV_FORWARD(upload_taps(s, kernel, s->d_taps_exec));
    taps = s->d_taps_exec;
  }
  void *x = s->h.ws, *y = s->h.ws + s->off_out;
  FCONV_FORWARD(fconv_dev_stage_h2d(&s->h.stage, x, signal, s->sig_bytes, s->h.stream));
  FCONV_FORWARD(launch(s, x, taps, y));
  return fconv_dev_stage_d2h(&s->h.stage, out, y, s->out_bytes, s->h.stream);
}

fconv_status chd_execute(void *state, const void *signal, const void *kernel, void *out) {
  chd_state *s = (chd_state *)state;
  fconv_device_scope scope(s->h.device);
  FCONV_FORWARD(scope.status);
  FCONV_FORWARD(fconv_cuda_host_check_capture(&s->h, 1));
  fconv_status st = execute_body(s, signal, kernel, out);
  if (st != FCONV_OK) fconv_cuda_host_failed(&s->h);
  return st;
}

void chd_destroy(void *state) {
  if (!state) return;
  chd_state *s = (chd_state *)state;
  fconv_device_scope scope(s->h.device);
  chd_free(s);
}

void chd_describe(const void *state, fconv_plan_info *info) {
  const chd_state *s = (const chd_state *)state;
  info->workspace_bytes = s->h.ws_bytes + 2 * s->tap_bytes;
  for (int a = 0; a < FCONV_MAX_RANK; a++) info->transform_shape[a] = info->block_shape[a] = 0;
}

/* stream, workspace and host copies: the shared skeleton's (host.h; it makes the device current) */
fconv_status chd_set_stream(void *state, void *stream) {
  return fconv_cuda_host_set_stream(&((chd_state *)state)->h, stream);
}
fconv_status chd_set_workspace(void *state, void *ws, size_t bytes) {
  return fconv_cuda_host_set_workspace(&((chd_state *)state)->h, ws, bytes);
}
fconv_status chd_to_host(void *state, void *dst, const void *src, size_t bytes) {
  return fconv_cuda_host_to_host(&((chd_state *)state)->h, dst, src, bytes);
}
size_t chd_workspace_size(const void *state) { return ((const chd_state *)state)->h.ws_bytes; }

}  // namespace

extern "C" const fconv_path_vtbl fconv_cuda_channels_direct_path = {
    .name = "cuda-channels-direct",
    .backend = FCONV_BACKEND_CUDA,
    .method = FCONV_METHOD_DIRECT,
    .channels = FCONV_PATH_CHANNELS_ONLY,
    .estimate = chd_estimate,
    .create = chd_create,
    .set_kernel = chd_set_kernel,
    .execute = chd_execute,
    .destroy = chd_destroy,
    .kernel_cost = NULL,
    .describe = chd_describe,
    .to_host = chd_to_host,
    .set_stream = chd_set_stream,
    .set_workspace = chd_set_workspace,
    .workspace_size = chd_workspace_size,
    .auto_only = 0};
