/* dev_cuda.cu — src/cuda/dev.h on the CUDA runtime. The emulated twin for the tests is
 * tests/cuda/emu/dev_emu.cpp. */
#include "compat.cuh"
#include "dev.h"

#include <atomic>
#include <stdio.h>

/* The oldest architecture this build has code for (nvcc lists them in __CUDA_ARCH_LIST__,
 * e.g. 750,800,860,890,900): a device older than that cannot run fconv's kernels. */
static constexpr int min_of(const int *a, int n) {
  return n == 1 ? a[0] : (a[0] < min_of(a + 1, n - 1) ? a[0] : min_of(a + 1, n - 1));
}
#ifdef __CUDA_ARCH_LIST__
static constexpr int fconv_arch_list[] = {__CUDA_ARCH_LIST__};
static constexpr int FCONV_MIN_ARCH =
    min_of(fconv_arch_list, (int)(sizeof fconv_arch_list / sizeof fconv_arch_list[0]));
#else
static constexpr int FCONV_MIN_ARCH = 750;
#endif

fconv_status fconv_dev_status(cudaError_t e) {
  if (e == cudaSuccess) return FCONV_OK;
  (void)cudaGetLastError(); /* clear the (non-sticky) last error */
  FCONV_LOG("CUDA error %d: %s", (int)e, cudaGetErrorString(e));
  switch (e) {
  case cudaErrorMemoryAllocation:
    return FCONV_ERR_OUT_OF_MEMORY;
  case cudaErrorInsufficientDriver:
  case cudaErrorNoDevice:
  case cudaErrorStubLibrary:
  case cudaErrorSystemDriverMismatch:
  case cudaErrorCompatNotSupportedOnDevice:
  case cudaErrorDevicesUnavailable:
  case cudaErrorInvalidDevice:
    return FCONV_ERR_NO_DEVICE;
  default:
    return FCONV_ERR_CUDA;
  }
}

/* ---- devices --------------------------------------------------------------------------------- */

int fconv_dev_usable(int device) {
  int major = 0, minor = 0;
  if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return major * 100 + minor * 10 >= FCONV_MIN_ARCH;
}

int fconv_cuda_devices(void) {
  /* Cached: -1 = not yet asked. Two threads asking at once both compute the same answer. */
  static std::atomic<int> cached{-1};
  int v = cached.load(std::memory_order_acquire);
  if (v >= 0) return v;
  int n = 0, usable = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) { /* no driver, no device, stub libcuda: all mean "none" */
    (void)cudaGetLastError();
    FCONV_LOG("cudaGetDeviceCount: %s (treated as no device)", cudaGetErrorString(e));
    n = 0;
  }
  for (int d = 0; d < n; d++) usable += fconv_dev_usable(d);
  cached.store(usable, std::memory_order_release);
  return usable;
}

fconv_status fconv_dev_get_device(int *device) { return fconv_dev_status(cudaGetDevice(device)); }
fconv_status fconv_dev_set_device(int device) { return fconv_dev_status(cudaSetDevice(device)); }

fconv_status fconv_dev_properties(int device, fconv_dev_props *p) {
  memset(p, 0, sizeof *p);
  cudaDeviceProp prop;
  FCONV_FORWARD(fconv_dev_status(cudaGetDeviceProperties(&prop, device)));
  snprintf(p->name, sizeof p->name, "%s", prop.name);
  p->cc_major = prop.major;
  p->cc_minor = prop.minor;
  p->sms = prop.multiProcessorCount;
  int v = 0;
  if (cudaDeviceGetAttribute(&v, cudaDevAttrClockRate, device) == cudaSuccess) p->clock_hz = 1e3 * v;
  if (cudaDeviceGetAttribute(&v, cudaDevAttrMemoryClockRate, device) == cudaSuccess)
    p->mem_clock_hz = 1e3 * v;
  if (cudaDeviceGetAttribute(&v, cudaDevAttrGlobalMemoryBusWidth, device) == cudaSuccess)
    p->bus_bits = v;
  if (cudaDriverGetVersion(&v) == cudaSuccess) p->driver = v;
  (void)cudaGetLastError(); /* an attribute this device does not report: 0, no error left */
  return FCONV_OK;
}

int fconv_dev_sm_count(int device) {
  int n = 0;
  if (cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, device) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return n;
}

/* ---- memory ---------------------------------------------------------------------------------- */

fconv_status fconv_dev_malloc(void **p, size_t bytes) {
  *p = NULL;
  if (bytes == 0) return FCONV_OK;
  fconv_status s = fconv_dev_status(cudaMalloc(p, bytes));
  if (s != FCONV_OK) *p = NULL;
  return s;
}

void fconv_dev_free(void *p) {
  if (p && cudaFree(p) != cudaSuccess) (void)cudaGetLastError();
}

fconv_status fconv_dev_malloc_host(void **p, size_t bytes) {
  *p = NULL;
  if (bytes == 0) return FCONV_OK;
  fconv_status s = fconv_dev_status(cudaMallocHost(p, bytes));
  if (s != FCONV_OK) *p = NULL;
  return s;
}

void fconv_dev_free_host(void *p) {
  if (p && cudaFreeHost(p) != cudaSuccess) (void)cudaGetLastError();
}

fconv_status fconv_dev_pointer_kind(const void *p, fconv_dev_ptr_kind *kind) {
  cudaPointerAttributes a;
  *kind = FCONV_PTR_HOST;
  cudaError_t e = cudaPointerGetAttributes(&a, p);
  if (e != cudaSuccess) { /* older runtimes: cudaErrorInvalidValue for unregistered memory */
    (void)cudaGetLastError();
    return e == cudaErrorInvalidValue ? FCONV_OK : fconv_dev_status(e);
  }
  switch (a.type) {
  case cudaMemoryTypeDevice: *kind = FCONV_PTR_DEVICE; break;
  case cudaMemoryTypeManaged: *kind = FCONV_PTR_MANAGED; break;
  case cudaMemoryTypeHost: *kind = FCONV_PTR_PINNED; break;
  default: *kind = FCONV_PTR_HOST; break;
  }
  return FCONV_OK;
}

fconv_status fconv_dev_pointer_device(const void *p, int *device) {
  cudaPointerAttributes a;
  *device = -1;
  cudaError_t e = cudaPointerGetAttributes(&a, p);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return e == cudaErrorInvalidValue ? FCONV_OK : fconv_dev_status(e);
  }
  if (a.type == cudaMemoryTypeDevice || a.type == cudaMemoryTypeManaged) *device = a.device;
  return FCONV_OK;
}

/* ---- copies ---------------------------------------------------------------------------------- */

fconv_status fconv_dev_copy_h2d(void *dst, const void *src, size_t bytes, fconv_dev_stream s) {
  if (bytes == 0) return FCONV_OK;
  return fconv_dev_status(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, (cudaStream_t)s));
}

fconv_status fconv_dev_copy_d2h(void *dst, const void *src, size_t bytes, fconv_dev_stream s) {
  if (bytes == 0) return FCONV_OK;
  return fconv_dev_status(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, (cudaStream_t)s));
}

fconv_status fconv_dev_copy_d2d(void *dst, const void *src, size_t bytes, fconv_dev_stream s) {
  if (bytes == 0) return FCONV_OK;
  return fconv_dev_status(
      cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, (cudaStream_t)s));
}

fconv_status fconv_dev_copy2d_d2d(void *dst, size_t dpitch, const void *src, size_t spitch,
                                  size_t width, size_t rows, fconv_dev_stream s) {
  if (width == 0 || rows == 0) return FCONV_OK;
  return fconv_dev_status(cudaMemcpy2DAsync(dst, dpitch, src, spitch, width, rows,
                                            cudaMemcpyDeviceToDevice, (cudaStream_t)s));
}

fconv_status fconv_dev_memset(void *dst, int value, size_t bytes, fconv_dev_stream s) {
  if (bytes == 0) return FCONV_OK;
  return fconv_dev_status(cudaMemsetAsync(dst, value, bytes, (cudaStream_t)s));
}

/* ---- streams and events ---------------------------------------------------------------------- */

fconv_status fconv_dev_stream_create(fconv_dev_stream *s, int blocking) {
  cudaStream_t t = NULL;
  fconv_status r = fconv_dev_status(
      cudaStreamCreateWithFlags(&t, blocking ? cudaStreamDefault : cudaStreamNonBlocking));
  *s = r == FCONV_OK ? (fconv_dev_stream)t : NULL;
  return r;
}

void fconv_dev_stream_destroy(fconv_dev_stream s) {
  if (s && cudaStreamDestroy((cudaStream_t)s) != cudaSuccess) (void)cudaGetLastError();
}

fconv_status fconv_dev_stream_sync(fconv_dev_stream s) {
  return fconv_dev_status(cudaStreamSynchronize((cudaStream_t)s));
}

fconv_status fconv_dev_event_create(fconv_dev_event *e) {
  cudaEvent_t t = NULL;
  fconv_status r = fconv_dev_status(cudaEventCreateWithFlags(&t, cudaEventDisableTiming));
  *e = r == FCONV_OK ? (fconv_dev_event)t : NULL;
  return r;
}

fconv_status fconv_dev_timer_create(fconv_dev_event *e) {
  cudaEvent_t t = NULL;
  const fconv_status r = fconv_dev_status(cudaEventCreate(&t));
  *e = r == FCONV_OK ? (fconv_dev_event)t : NULL;
  return r;
}

fconv_status fconv_dev_event_elapsed(fconv_dev_event start, fconv_dev_event end, double *seconds) {
  float ms = 0;
  FCONV_FORWARD(fconv_dev_status(cudaEventElapsedTime(&ms, (cudaEvent_t)start, (cudaEvent_t)end)));
  *seconds = 1e-3 * ms;
  return FCONV_OK;
}

void fconv_dev_event_destroy(fconv_dev_event e) {
  if (e && cudaEventDestroy((cudaEvent_t)e) != cudaSuccess) (void)cudaGetLastError();
}

fconv_status fconv_dev_event_record(fconv_dev_event e, fconv_dev_stream s) {
  return fconv_dev_status(cudaEventRecord((cudaEvent_t)e, (cudaStream_t)s));
}

fconv_status fconv_dev_event_sync(fconv_dev_event e) {
  return fconv_dev_status(cudaEventSynchronize((cudaEvent_t)e));
}

fconv_status fconv_dev_stream_capturing(fconv_dev_stream s, int *capturing) {
  cudaStreamCaptureStatus c = cudaStreamCaptureStatusNone;
  fconv_status r = fconv_dev_status(cudaStreamIsCapturing((cudaStream_t)s, &c));
  *capturing = r == FCONV_OK && c != cudaStreamCaptureStatusNone;
  return r;
}

fconv_status fconv_dev_stream_wait_event(fconv_dev_stream s, fconv_dev_event e) {
  return fconv_dev_status(cudaStreamWaitEvent((cudaStream_t)s, (cudaEvent_t)e, 0));
}

