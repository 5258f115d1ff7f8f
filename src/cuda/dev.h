/* dev.h — the device abstraction used by the host code of every CUDA path.
 *
 * Host logic (plans, staging, launches) calls only these functions, never the CUDA runtime
 * directly, so it runs unchanged under the block emulator in the tests:
 *   src/cuda/dev_cuda.cu          the real implementation (CUDA runtime);
 *   tests/cuda/emu/dev_emu.cpp    the emulated one (host memory, lazy in-order streams).
 * Include "compat.cuh" before this header in CUDA sources.
 *
 * Conventions: every function returns an fconv_status (errors mapped by fconv_dev_status:
 * cudaErrorMemoryAllocation -> FCONV_ERR_OUT_OF_MEMORY; no driver / no device / stub driver ->
 * FCONV_ERR_NO_DEVICE; anything else -> FCONV_ERR_CUDA; the sticky last-error is cleared).
 * Nothing here prints, aborts or synchronises unless its name says so. Frees accept NULL.
 * Streams and events are opaque (cudaStream_t / cudaEvent_t underneath); stream NULL is the
 * legacy default stream. Copies and memsets are asynchronous on the stream; their host side
 * should be pinned (fconv_dev_malloc_host) to be truly asynchronous.
 */
#ifndef FCONV_CUDA_DEV_H
#define FCONV_CUDA_DEV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../core/error.h"
#include "../core/problem.h"
#include "../path.h"
#include "cost.h"

typedef void *fconv_dev_stream;
typedef void *fconv_dev_event;

typedef enum {
  FCONV_PTR_HOST = 0,    /* ordinary (pageable, unregistered) host memory, or unknown */
  FCONV_PTR_PINNED = 1,  /* page-locked host memory (cudaMallocHost / registered) */
  FCONV_PTR_DEVICE = 2,  /* device memory */
  FCONV_PTR_MANAGED = 3  /* managed (unified) memory */
} fconv_dev_ptr_kind;

/* ---- devices ------------------------------------------------------------------------------- */
/* fconv_cuda_devices() (declared in path.h): usable devices, 0 on any error (cached,
 * thread-safe, sticky error cleared). "Usable" = compute capability at least the oldest
 * architecture this build has code for. */
FCONV_HIDDEN fconv_status fconv_dev_get_device(int *device);
FCONV_HIDDEN fconv_status fconv_dev_set_device(int device);
/* Whether `device` can run this build's kernels (compute capability check). */
FCONV_HIDDEN int fconv_dev_usable(int device);
/* Streaming multiprocessors of `device` (for cost models); 0 when unknown. */
FCONV_HIDDEN int fconv_dev_sm_count(int device);
/* Name, compute capability, driver version, SMs, clocks and bus width of `device` (cost.h's
 * defaults and the calibration file's key); fields the runtime does not report are 0. */
FCONV_HIDDEN fconv_status fconv_dev_properties(int device, fconv_dev_props *props);

/* ---- memory -------------------------------------------------------------------------------- */
/* bytes == 0 gives *p = NULL and FCONV_OK. Device allocations are 256-byte aligned. */
FCONV_HIDDEN fconv_status fconv_dev_malloc(void **p, size_t bytes);
FCONV_HIDDEN void fconv_dev_free(void *p);
FCONV_HIDDEN fconv_status fconv_dev_malloc_host(void **p, size_t bytes); /* pinned */
FCONV_HIDDEN void fconv_dev_free_host(void *p);
/* What kind of memory p points into (FCONV_PTR_HOST for unknown/pageable pointers). */
FCONV_HIDDEN fconv_status fconv_dev_pointer_kind(const void *p, fconv_dev_ptr_kind *kind);
/* The device that device or managed memory at p belongs to; -1 for host memory. */
FCONV_HIDDEN fconv_status fconv_dev_pointer_device(const void *p, int *device);

/* ---- copies (asynchronous on stream s) ----------------------------------------------------- */
FCONV_HIDDEN fconv_status fconv_dev_copy_h2d(void *dst, const void *src, size_t bytes,
                                             fconv_dev_stream s);
FCONV_HIDDEN fconv_status fconv_dev_copy_d2h(void *dst, const void *src, size_t bytes,
                                             fconv_dev_stream s);
FCONV_HIDDEN fconv_status fconv_dev_copy_d2d(void *dst, const void *src, size_t bytes,
                                             fconv_dev_stream s);
/* Copy `rows` rows of `width` bytes between pitched buffers (cudaMemcpy2DAsync, device to
 * device). */
FCONV_HIDDEN fconv_status fconv_dev_copy2d_d2d(void *dst, size_t dpitch, const void *src,
                                               size_t spitch, size_t width, size_t rows,
                                               fconv_dev_stream s);
FCONV_HIDDEN fconv_status fconv_dev_memset(void *dst, int value, size_t bytes,
                                           fconv_dev_stream s);

/* ---- streams and events -------------------------------------------------------------------- */
/* blocking != 0: an ordinary (blocking) stream, ordered with the legacy default stream (its
 * work waits for work queued earlier on stream NULL, and stream NULL's later work waits for
 * it); 0: cudaStreamNonBlocking, ordered with nothing. */
FCONV_HIDDEN fconv_status fconv_dev_stream_create(fconv_dev_stream *s, int blocking);
FCONV_HIDDEN void fconv_dev_stream_destroy(fconv_dev_stream s);         /* NULL: no-op */
FCONV_HIDDEN fconv_status fconv_dev_stream_sync(fconv_dev_stream s);
FCONV_HIDDEN fconv_status fconv_dev_event_create(fconv_dev_event *e);   /* timing disabled */
/* An event with timing (the calibration's): fconv_dev_event_elapsed gives the seconds between
 * two of them, once both completed. */
FCONV_HIDDEN fconv_status fconv_dev_timer_create(fconv_dev_event *e);
FCONV_HIDDEN fconv_status fconv_dev_event_elapsed(fconv_dev_event start, fconv_dev_event end,
                                                  double *seconds);
FCONV_HIDDEN void fconv_dev_event_destroy(fconv_dev_event e);
FCONV_HIDDEN fconv_status fconv_dev_event_record(fconv_dev_event e, fconv_dev_stream s);
FCONV_HIDDEN fconv_status fconv_dev_event_sync(fconv_dev_event e);
/* Work queued on s after this call waits for e's last record. */
FCONV_HIDDEN fconv_status fconv_dev_stream_wait_event(fconv_dev_stream s, fconv_dev_event e);
/* *capturing = 1 while s is capturing work into a CUDA graph (cudaStreamIsCapturing): then
 * nothing may synchronise it. */
FCONV_HIDDEN fconv_status fconv_dev_stream_capturing(fconv_dev_stream s, int *capturing);

/* ---- launches ------------------------------------------------------------------------------ */
/* FCONV_LAUNCH(kernel, grid, block, shmem_bytes, stream, args...): launch and evaluate to the
 * launch's OWN fconv_status (cudaLaunchKernelEx's result: configuration errors; execution
 * errors surface at synchronisation). The runtime's last-error state is left alone on success,
 * so an error the caller's own earlier launch left there stays the caller's to read.
 * `kernel` must be one identifier: bind template instances to a named pointer first, e.g.
 *   void (*const tile_kernel)(Args) = direct_tile<float, 32, 8>;
 *   FCONV_FORWARD(FCONV_LAUNCH(tile_kernel, grid, block, 0, stream, args));
 * FCONV_SYMBOL_ADDRESS(pp, symbol): *pp = device address of a __constant__/__device__ symbol
 * (evaluates to an fconv_status); copy to it with fconv_dev_copy_h2d/d2d. */
#if defined(FCONV_CUDA_EMULATE)
#define FCONV_LAUNCH(kernel, grid, block, shmem, stream, ...) \
  ::fconv_emu::launch(#kernel, (grid), (block), (shmem), (stream), kernel, ##__VA_ARGS__)
FCONV_HIDDEN fconv_status fconv_dev_symbol_address_emu(void **pp, void *sym, size_t bytes);
#define FCONV_SYMBOL_ADDRESS(pp, symbol) \
  fconv_dev_symbol_address_emu((void **)(pp), (void *)&(symbol), sizeof(symbol))
#elif defined(__CUDACC__)
FCONV_HIDDEN fconv_status fconv_dev_status(cudaError_t e);
template <class... P, class... A>
static inline fconv_status fconv_dev_launch(void (*kernel)(P...), dim3 grid, dim3 block,
                                            size_t shmem, void *stream, A... args) {
  cudaLaunchConfig_t cfg = {};
  cfg.gridDim = grid;
  cfg.blockDim = block;
  cfg.dynamicSmemBytes = shmem;
  cfg.stream = (cudaStream_t)stream;
  return fconv_dev_status(cudaLaunchKernelEx(&cfg, kernel, args...));
}
#define FCONV_LAUNCH(kernel, grid, block, shmem, stream, ...) \
  fconv_dev_launch(kernel, (grid), (block), (shmem), (void *)(stream), ##__VA_ARGS__)
#define FCONV_SYMBOL_ADDRESS(pp, symbol) fconv_dev_status(cudaGetSymbolAddress((void **)(pp), symbol))
#endif

/* ---- grid sizes (64-bit safe) -------------------------------------------------------------- */
/* Most blocks one launch may have along grid.x. */
#define FCONV_DEV_MAX_GRID_X 2147483647u
/* Blocks of `per_block` threads (or items) to cover n items, capped at `cap` (use a grid-stride
 * loop with 64-bit indices when capped). per_block >= 1. */
static inline unsigned fconv_dev_blocks(uint64_t n, unsigned per_block, unsigned cap) {
  uint64_t b = n / per_block + (n % per_block != 0);
  if (b == 0) b = 1;
  return b > cap ? cap : (unsigned)b;
}
/* Ceiling division for 64-bit tile counts. */
static inline uint64_t fconv_dev_ceil_div(uint64_t a, uint64_t b) { return a / b + (a % b != 0); }

/* ==== BEGIN fft-helper block: shared staging and transfer costs (proposed for every CUDA path;
 * direct_path.cu's stage_h2d/stage_d2h and transfer constants can move onto these) ========== */

/* Host <-> device staging through two pinned chunks, double-buffered with events, so the
 * memcpy between the caller's pageable array and one chunk overlaps the DMA of the other. */
#define FCONV_DEV_STAGE_CHUNK ((size_t)4 << 20)
typedef struct fconv_dev_stager {
  void *pin[2];
  fconv_dev_event ev[2];
  size_t chunk; /* bytes per pinned chunk (0: nothing to stage) */
} fconv_dev_stager;

static inline void fconv_dev_stager_destroy(fconv_dev_stager *st) {
  for (int b = 0; b < 2; b++) {
    fconv_dev_free_host(st->pin[b]);
    fconv_dev_event_destroy(st->ev[b]);
    st->pin[b] = NULL;
    st->ev[b] = NULL;
  }
  st->chunk = 0;
}

/* Chunks of min(max_bytes, FCONV_DEV_STAGE_CHUNK) bytes. On failure *st is left empty. */
static inline fconv_status fconv_dev_stager_create(fconv_dev_stager *st, size_t max_bytes) {
  memset(st, 0, sizeof *st);
  st->chunk = max_bytes < FCONV_DEV_STAGE_CHUNK ? max_bytes : FCONV_DEV_STAGE_CHUNK;
  fconv_status r = FCONV_OK;
  for (int b = 0; b < 2 && r == FCONV_OK && st->chunk; b++) {
    r = fconv_dev_malloc_host(&st->pin[b], st->chunk);
    if (r == FCONV_OK) r = fconv_dev_event_create(&st->ev[b]);
  }
  if (r != FCONV_OK) fconv_dev_stager_destroy(st);
  return r;
}

/* Queue host -> dev on s. Returns once `host` may be reused (its bytes are in pinned memory or
 * already copied); the device side completes in stream order. A chunk is refilled only after
 * its previous copy (also one queued by an earlier call) is done. */
static inline fconv_status fconv_dev_stage_h2d(fconv_dev_stager *st, void *dev, const void *host,
                                               size_t bytes, fconv_dev_stream s) {
  for (size_t off = 0, c = 0; off < bytes; off += st->chunk, c++) {
    const size_t n = bytes - off < st->chunk ? bytes - off : st->chunk;
    const int b = (int)(c & 1);
    FCONV_FORWARD(fconv_dev_event_sync(st->ev[b]));
    memcpy(st->pin[b], (const char *)host + off, n);
    FCONV_FORWARD(fconv_dev_copy_h2d((char *)dev + off, st->pin[b], n, s));
    FCONV_FORWARD(fconv_dev_event_record(st->ev[b], s));
  }
  return FCONV_OK;
}

/* dev -> host after the work queued on s; returns with s synchronised and host filled. */
static inline fconv_status fconv_dev_stage_d2h(fconv_dev_stager *st, void *host, const void *dev,
                                               size_t bytes, fconv_dev_stream s) {
  size_t prev_off = 0, prev_n = 0;
  int prev_b = -1;
  for (size_t off = 0, c = 0; off < bytes; off += st->chunk, c++) {
    const size_t n = bytes - off < st->chunk ? bytes - off : st->chunk;
    const int b = (int)(c & 1);
    FCONV_FORWARD(fconv_dev_event_sync(st->ev[b])); /* an earlier h2d may still read it */
    FCONV_FORWARD(fconv_dev_copy_d2h(st->pin[b], (const char *)dev + off, n, s));
    FCONV_FORWARD(fconv_dev_event_record(st->ev[b], s));
    if (prev_b >= 0) { /* drain the previous chunk while this one is copied */
      FCONV_FORWARD(fconv_dev_event_sync(st->ev[prev_b]));
      memcpy((char *)host + prev_off, st->pin[prev_b], prev_n);
    }
    prev_off = off;
    prev_n = n;
    prev_b = b;
  }
  FCONV_FORWARD(fconv_dev_stream_sync(s));
  if (prev_b >= 0) memcpy((char *)host + prev_off, st->pin[prev_b], prev_n);
  return FCONV_OK;
}

/* Modelled seconds of staging `bytes` in and out for a host-pointer plan (0 for device ones). */
static inline double fconv_dev_transfer_seconds(const fconv_problem *p, double bytes) {
  if (p->flags & FCONV_FLAG_DEVICE_POINTERS) return 0.0;
  const fconv_cuda_cost *c = fconv_cuda_cost_get();
  return bytes / c->stage_bw + c->sync_s;
}
/* ==== END fft-helper block ================================================================== */

#endif /* FCONV_CUDA_DEV_H */
