/* host.cu — the CUDA paths' shared host skeleton (host.h). Device access through dev.h only, so
 * this file also compiles with g++ under the block emulator (tests/cuda/host_emu.cpp). */
#include "compat.cuh"
#include "dev.h"
#include "host.h"

fconv_status fconv_cuda_host_init(fconv_cuda_host *h, const fconv_problem *p) {
  return fconv_cuda_host_init_flags(h, p->flags, p->esize);
}

fconv_status fconv_cuda_host_init_flags(fconv_cuda_host *h, unsigned flags, size_t esize) {
  memset(h, 0, sizeof *h);
  h->device_ptrs = (flags & FCONV_FLAG_DEVICE_POINTERS) != 0;
  h->align = h->device_ptrs ? esize : 1;
  FCONV_FORWARD(fconv_dev_get_device(&h->device));
  FCONV_RETURN_IF(!fconv_dev_usable(h->device), FCONV_ERR_NO_DEVICE,
                  "the current CUDA device cannot run this build's kernels");
  FCONV_FORWARD(fconv_dev_stream_create(&h->own_stream, 1));
  h->stream = h->own_stream;
  fconv_status st = fconv_dev_event_create(&h->done);
  if (st != FCONV_OK) {
    fconv_dev_stream_destroy(h->own_stream);
    h->own_stream = h->stream = NULL;
  }
  return st;
}

/* Wait for everything the plan queued: its own stream, or up to the `done` event on a caller's
 * stream (never the caller's stream itself). */
static fconv_status quiesce(const fconv_cuda_host *h) {
  if (h->user_stream) return fconv_dev_event_sync(h->done);
  return h->stream ? fconv_dev_stream_sync(h->stream) : FCONV_OK;
}

fconv_status fconv_cuda_host_alloc(fconv_cuda_host *h, size_t ws_bytes, size_t stage_bytes) {
  h->ws_bytes = ws_bytes;
  FCONV_FORWARD(fconv_dev_malloc(&h->ws_own, ws_bytes));
  h->ws = (unsigned char *)h->ws_own;
  if (!h->device_ptrs) FCONV_FORWARD(fconv_dev_stager_create(&h->stage, stage_bytes));
  return FCONV_OK;
}

void fconv_cuda_host_destroy(fconv_cuda_host *h) {
  (void)quiesce(h); /* nothing in flight uses our memory */
  fconv_dev_event_destroy(h->done);
  h->done = NULL;
  fconv_dev_free(h->ws_own);
  fconv_dev_stager_destroy(&h->stage);
  fconv_dev_stream_destroy(h->own_stream);
  h->ws_own = NULL;
  h->ws = NULL;
  h->own_stream = h->stream = NULL;
}

fconv_status fconv_cuda_host_check_pointer(const fconv_cuda_host *h, const void *ptr) {
  fconv_dev_ptr_kind k;
  FCONV_FORWARD(fconv_dev_pointer_kind(ptr, &k));
  if (h->device_ptrs) {
    FCONV_INVALID_IF(k == FCONV_PTR_HOST, "FCONV_FLAG_DEVICE_POINTERS plan given a host pointer");
    FCONV_INVALID_IF((uintptr_t)ptr % h->align != 0,
                     "device pointer not aligned to the element size");
    if (k == FCONV_PTR_DEVICE) {
      int dev = -1;
      FCONV_FORWARD(fconv_dev_pointer_device(ptr, &dev));
      FCONV_INVALID_IF(dev != h->device, "device pointer on another device than the plan's");
    }
  } else
    FCONV_INVALID_IF(k == FCONV_PTR_DEVICE,
                     "device pointer given to a plan without FCONV_FLAG_DEVICE_POINTERS");
  return FCONV_OK;
}

fconv_status fconv_cuda_host_check_capture(const fconv_cuda_host *h, int syncs) {
  if (!h->user_stream || !syncs) return FCONV_OK;
  int capturing = 0;
  FCONV_FORWARD(fconv_dev_stream_capturing(h->stream, &capturing));
  FCONV_RETURN_IF(capturing, FCONV_ERR_UNSUPPORTED,
                  "the plan's stream is capturing a CUDA graph: only execute with device "
                  "pointers (no synchronisation) can be captured");
  return FCONV_OK;
}

fconv_status fconv_cuda_host_set_stream(fconv_cuda_host *h, void *stream) {
  fconv_device_scope scope(h->device);
  FCONV_FORWARD(scope.status);
  /* work queued on the previous stream uses the plan's buffers: finish it first */
  FCONV_FORWARD(quiesce(h));
  h->user_stream = stream != NULL;
  h->stream = stream ? (fconv_dev_stream)stream : h->own_stream;
  return FCONV_OK;
}

fconv_status fconv_cuda_host_set_workspace(fconv_cuda_host *h, void *ws, size_t bytes) {
  fconv_device_scope scope(h->device);
  FCONV_FORWARD(scope.status);
  if (ws) {
    FCONV_INVALID_IF(bytes < h->ws_bytes, "workspace too small");
    FCONV_INVALID_IF((uintptr_t)ws % FCONV_CUDA_WS_ALIGN != 0, "workspace not 256-byte aligned");
    fconv_dev_ptr_kind k;
    FCONV_FORWARD(fconv_dev_pointer_kind(ws, &k));
    FCONV_INVALID_IF(k != FCONV_PTR_DEVICE && k != FCONV_PTR_MANAGED,
                     "workspace is not device memory");
  }
  FCONV_FORWARD(quiesce(h)); /* the old workspace is no longer in use */
  if (ws) {
    fconv_dev_free(h->ws_own);
    h->ws_own = NULL;
    h->ws = (unsigned char *)ws;
  } else if (!h->ws_own) {
    h->ws = NULL;
    FCONV_FORWARD(fconv_dev_malloc(&h->ws_own, h->ws_bytes));
    h->ws = (unsigned char *)h->ws_own;
  }
  return FCONV_OK;
}

fconv_status fconv_cuda_host_finish(const fconv_cuda_host *h) {
  if (h->device_ptrs && h->user_stream) return fconv_dev_event_record(h->done, h->stream);
  return fconv_dev_stream_sync(h->stream);
}

void fconv_cuda_host_failed(const fconv_cuda_host *h) {
  if (h->user_stream) (void)fconv_dev_event_record(h->done, h->stream);
  if (!h->device_ptrs) (void)fconv_dev_stream_sync(h->stream); /* no copy from our pinned
                                                                  buffers left in flight */
}

fconv_status fconv_cuda_host_to_host(fconv_cuda_host *h, void *dst, const void *src,
                                     size_t bytes) {
  fconv_device_scope scope(h->device);
  FCONV_FORWARD(scope.status);
  FCONV_FORWARD(fconv_cuda_host_check_pointer(h, src));
  FCONV_FORWARD(fconv_cuda_host_check_capture(h, h->device_ptrs));
  if (!h->device_ptrs) {
    memcpy(dst, src, bytes);
    return FCONV_OK;
  }
  FCONV_FORWARD(fconv_dev_copy_d2h(dst, src, bytes, h->stream));
  return fconv_dev_stream_sync(h->stream);
}
