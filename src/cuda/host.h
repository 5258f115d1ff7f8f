/* host.h — the host skeleton every CUDA path shares (host.cu): the plan's device and stream, its
 * workspace (the plan's own or the caller's), the pinned stager of host-pointer plans, pointer
 * kind checks, and a scope that makes the plan's device current. The direct and FFT paths keep
 * one fconv_cuda_host each and route stream, workspace and pointer handling through it, so the
 * same misuse gets the same status on both.
 * Include "compat.cuh" and "dev.h" before this header. */
#ifndef FCONV_CUDA_HOST_H
#define FCONV_CUDA_HOST_H

#include "dev.h"

#define FCONV_CUDA_WS_ALIGN 256 /* workspace (and sub-buffer) alignment, bytes */

typedef struct fconv_cuda_host {
  int device;              /* the plan's device (current at create) */
  int device_ptrs;         /* FCONV_FLAG_DEVICE_POINTERS */
  size_t align;            /* device-pointer plans: the element size, their arrays' alignment */
  fconv_dev_stream own_stream;
  fconv_dev_stream stream; /* own_stream, or the caller's (set_stream) */
  int user_stream;         /* stream is the caller's */
  void *ws_own;            /* the plan's own workspace (NULL while the caller's is used) */
  unsigned char *ws;       /* the workspace in use */
  size_t ws_bytes;
  fconv_dev_stager stage;  /* host-pointer plans: pinned staging */
  fconv_dev_event done;    /* recorded after the work a call leaves queued on a caller's
                              stream: waiting for it never touches that stream, which the
                              caller may have destroyed since */
} fconv_cuda_host;

/* The plan's device (the current one; FCONV_ERR_NO_DEVICE when this build cannot run on it) and
 * its own stream: a BLOCKING stream, so a plan without a stream of the caller's (set_stream) is
 * ordered after the caller's work on the legacy default stream and before the caller's later
 * work there (include/fconv.h, "CUDA streams"). On failure h holds nothing to free. */
FCONV_HIDDEN fconv_status fconv_cuda_host_init(fconv_cuda_host *h, const fconv_problem *p);
/* The same for a user of device memory that is not a plan (the stream engine): `flags` holds
 * FCONV_FLAG_DEVICE_POINTERS or not, esize is the element size (device arrays' alignment). */
FCONV_HIDDEN fconv_status fconv_cuda_host_init_flags(fconv_cuda_host *h, unsigned flags,
                                                     size_t esize);
/* The plan's own workspace of ws_bytes and, for host-pointer plans, a stager for transfers of
 * up to stage_bytes. */
FCONV_HIDDEN fconv_status fconv_cuda_host_alloc(fconv_cuda_host *h, size_t ws_bytes,
                                                size_t stage_bytes);
/* Waits for the plan's work (the `done` event on a caller's stream: that stream may be gone),
 * frees what h owns. */
FCONV_HIDDEN void fconv_cuda_host_destroy(fconv_cuda_host *h);
/* Device-pointer plans need device-accessible pointers of the plan's device (managed memory
 * from any), aligned to the element size; host-pointer plans host-accessible ones (a device
 * pointer would crash the host copy): FCONV_ERR_INVALID_ARGUMENT otherwise, with no CUDA error
 * left behind. Every path entry that takes the caller's arrays calls it. */
FCONV_HIDDEN fconv_status fconv_cuda_host_check_pointer(const fconv_cuda_host *h,
                                                        const void *ptr);
/* Stream capture: a call that must synchronise the caller's stream (set_kernel; execute of a
 * host-pointer plan) is refused with FCONV_ERR_UNSUPPORTED while that stream captures a CUDA
 * graph; a device-pointer execute only queues work and is captured. */
FCONV_HIDDEN fconv_status fconv_cuda_host_check_capture(const fconv_cuda_host *h, int syncs);
/* set_stream, set_workspace and to_host make the plan's device current for the call themselves
 * (a path's vtable entry may pass straight through). */
/* Finish the work queued on the old stream, then use `stream` (NULL: the plan's own). */
FCONV_HIDDEN fconv_status fconv_cuda_host_set_stream(fconv_cuda_host *h, void *stream);
/* The caller's workspace (at least ws_bytes, 256-byte aligned device memory), or NULL: the
 * plan's own again. */
FCONV_HIDDEN fconv_status fconv_cuda_host_set_workspace(fconv_cuda_host *h, void *ws,
                                                        size_t bytes);
/* End of a call: work queued on a caller's stream with device pointers stays asynchronous
 * (the `done` event marks its end); everything else returns with the work done. */
FCONV_HIDDEN fconv_status fconv_cuda_host_finish(const fconv_cuda_host *h);
/* End of a call that failed: marks the end of what it queued on a caller's stream. */
FCONV_HIDDEN void fconv_cuda_host_failed(const fconv_cuda_host *h);
/* The caller's array at src (device memory for device-pointer plans, host memory otherwise;
 * checked) copied to host dst, synchronously. */
FCONV_HIDDEN fconv_status fconv_cuda_host_to_host(fconv_cuda_host *h, void *dst, const void *src,
                                                  size_t bytes);

#ifdef __cplusplus
/* Makes the plan's device current for the scope of a call and restores the caller's. */
struct fconv_device_scope {
  int prev = -1;
  fconv_status status = FCONV_OK;
  explicit fconv_device_scope(int dev) {
    int cur = 0;
    status = fconv_dev_get_device(&cur);
    if (status == FCONV_OK && cur != dev) {
      status = fconv_dev_set_device(dev);
      if (status == FCONV_OK) prev = cur;
    }
  }
  ~fconv_device_scope() {
    if (prev >= 0) (void)fconv_dev_set_device(prev);
  }
};
#endif

#endif /* FCONV_CUDA_HOST_H */
