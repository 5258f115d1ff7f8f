/* fconv_emu.h — a small CUDA block emulator: runs fconv's kernel sources as plain C++ (g++,
 * under AddressSanitizer) in the tests, on machines without a GPU.
 *
 * ============================== API (stable; other CUDA helpers build on it) ================
 * Kernel sources include "cuda/compat.cuh" first; with -DFCONV_CUDA_EMULATE that header
 * includes this one, so the SAME kernel source compiles with nvcc and with g++.
 *
 * Provided for kernel code (CUDA spellings):
 *   __global__ __device__ __host__ __forceinline__ __launch_bounds__(...)  (not __noinline__:
 *                              it would break libstdc++ headers)
 *   __constant__            -> nothing (an ordinary global; see fconv_dev_symbol_address)
 *   __shared__              -> static (blocks of a launch run one after another on one OS
 *                              thread, kernel execution is serialised process-wide, so a
 *                              function-local static IS the block's shared memory)
 *   __align__(n)            -> __attribute__((aligned(n)))
 *   __restrict__            -> (g++ keyword)
 *   dim3, uint3, threadIdx, blockIdx, blockDim, gridDim, warpSize (threadIdx is per fiber;
 *                           all four are constant-initialised `__thread`
 *                           variables, see below)
 *   float2 double2 float4 double4 int2 make_float2 make_double2 make_float4 make_int2 ...
 *   __syncthreads()         a real barrier over the block's fibers. A block whose threads
 *                           disagree (some exited while others wait, or threads waiting at
 *                           different __syncthreads() call sites) is reported as a test
 *                           failure naming the kernel, block and barrier count; the block is
 *                           abandoned (never deadlocks) and the launch's stream reports
 *                           FCONV_ERR_CUDA at its next synchronisation.
 *   __ldg(p)                *p
 *   atomicAdd/atomicSub/atomicMax/atomicMin/atomicExch/atomicCAS (int, unsigned,
 *   unsigned long long, float, double for Add): plain read-modify-write (fibers never preempt)
 *   __threadfence(), __threadfence_block(): no-ops
 *   Dynamic shared memory: do NOT write `extern __shared__`; use the compat.cuh macro
 *   FCONV_DYNAMIC_SHARED(T, name) which here yields `T *name` pointing at a per-launch heap
 *   buffer of exactly the requested bytes (so ASan catches overruns).
 *
 * Provided for host code (normally used only through src/cuda/dev.h):
 *   fconv_emu::launch(name, grid, block, shmem_bytes, stream, kernel_fn, args...)
 *       validates the launch configuration like the driver (block <= 1024 threads, dims,
 *       shmem <= FCONV_EMU_MAX_SHMEM) and ENQUEUES the kernel on the emulated stream with its
 *       arguments copied (by value) now. Returns FCONV_OK or FCONV_ERR_CUDA (bad config).
 *       The dev.h macro FCONV_LAUNCH(kernel, grid, block, shmem, stream, args...) calls it.
 *   Emulated streams (dev_emu.cpp) are LAZY: copies, memsets and kernels queued on a stream
 *   run only when the host synchronises (stream/event sync, or an event wait that needs
 *   them), in stream order, so a missing synchronisation in host logic shows up as wrong
 *   results in the tests, as it would on a GPU.
 *
 * Test controls (namespace fconv_emu):
 *   set_failure_handler(fn)   fn(const std::string&) called for every emulator failure
 *                              (default: gtest ADD_FAILURE with the message).
 *   ScopedCapture             RAII: collect failures instead of reporting them (.messages()),
 *                              for tests that provoke failures on purpose.
 *   stats()                   counters: launches, blocks, barriers, failures.
 *   dev_fail_after(n)         (dev_emu.cpp) the n+1-th emulated device/pinned allocation
 *                              fails (OUT_OF_MEMORY); -1 disables. live_device_allocations()
 *                              counts emulated device+pinned buffers not yet freed.
 *   set_device_count(n)       (dev_emu.cpp) n emulated devices; memory remembers its device.
 *   dev_fail_stream_create(b) (dev_emu.cpp) stream creation fails (a busy device).
 *   set_capturing(s, b)       (dev_emu.cpp) s captures a graph: syncing it is a failure.
 *   dev_poison_allocations(b) (dev_emu.cpp) new device memory reads as NaN until written;
 *                              memsets_queued() counts device memsets.
 * Limitations: no warp-level semantics (shuffles, votes, implicit warp synchrony are not
 * emulated: fconv kernels must not rely on them); no races are detected between threads of
 * a block (fibers run one at a time between barriers).
 * ============================================================================================
 */
#ifndef FCONV_EMU_H
#define FCONV_EMU_H

#ifdef __CUDACC__
#error "fconv_emu.h is for host compilers only (FCONV_CUDA_EMULATE)"
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "fconv.h"

/* ---- keywords ------------------------------------------------------------------------------ */
#define __global__
#define __device__
#define __host__
#define __constant__
#define __shared__ static
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))

/* Largest dynamic shared memory a launch may ask for, per block (the default CUDA limit without
 * cudaFuncSetAttribute). */
#define FCONV_EMU_MAX_SHMEM (48u * 1024u)

/* ---- built-in types -------------------------------------------------------------------------- */
struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
};
struct __attribute__((aligned(8))) float2 { float x, y; };
struct __attribute__((aligned(16))) float4 { float x, y, z, w; };
struct __attribute__((aligned(16))) double2 { double x, y; };
struct __attribute__((aligned(16))) double4 { double x, y, z, w; };
struct __attribute__((aligned(8))) int2 { int x, y; };
struct __attribute__((aligned(16))) int4 { int x, y, z, w; };
inline float2 make_float2(float x, float y) { return float2{x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline double2 make_double2(double x, double y) { return double2{x, y}; }
inline double4 make_double4(double x, double y, double z, double w) { return double4{x, y, z, w}; }
inline int2 make_int2(int x, int y) { return int2{x, y}; }
inline int4 make_int4(int x, int y, int z, int w) { return int4{x, y, z, w}; }
inline uint3 make_uint3(unsigned x, unsigned y, unsigned z) { return uint3{x, y, z}; }

/* Per fiber (the scheduler sets threadIdx before it resumes a fiber, blockIdx per block,
 * blockDim/gridDim per launch); thread-local so that two OS threads never see each other's
 * values.
 *
 * GNU `__thread`, NOT C++ `thread_local`. An `extern thread_local` object of class type is
 * reached through a TLS wrapper function (the compiler cannot know that the defining TU has no
 * dynamic initialiser), whose returned pointer UBSan null-checks. GCC 12 at -O2 branches on
 * the flags of `add x@gottpoff(%rip), %reg` for that check, and the linker's mandatory TLS
 * IE->LE relaxation rewrites the add into a `lea`, which sets no flags: the check then reads
 * stale flags and reports "member access within null pointer of type 'struct dim3'"
 * (-O2 + -fsanitize=undefined; fibers play no part). `__thread` variables are constant-
 * initialised by definition (no wrapper), so every access is a direct %fs-relative load.
 * Fibers share their OS thread, so the TLS address is the same in every fiber; the values are
 * re-read after __syncthreads() (an opaque call), and each fiber sees its own threadIdx. */
extern __thread uint3 threadIdx;
extern __thread uint3 blockIdx;
extern __thread dim3 blockDim;
extern __thread dim3 gridDim;
static_assert(std::is_trivially_destructible<dim3>::value && std::is_trivially_copyable<dim3>::value &&
                  std::is_trivial<uint3>::value,
              "__thread needs constant-initialised, trivially destructible types");
constexpr int warpSize = 32;

namespace fconv_emu {
void syncthreads(const char *file, int line);
void *dynamic_shared(); /* the launch's dynamic shared buffer (nullptr when 0 bytes) */
}  // namespace fconv_emu
#define __syncthreads() ::fconv_emu::syncthreads(__FILE__, __LINE__)
inline void __threadfence() {}
inline void __threadfence_block() {}

template <class T>
inline T __ldg(const T *p) { return *p; }

/* Atomics: fibers of a block never run concurrently and kernel execution is serialised, so a
 * plain read-modify-write is atomic. Return the old value, like CUDA. */
template <class T>
inline T atomicAdd(T *a, T v) { T o = *a; *a = o + v; return o; }
template <class T>
inline T atomicSub(T *a, T v) { T o = *a; *a = o - v; return o; }
template <class T>
inline T atomicMax(T *a, T v) { T o = *a; if (v > o) *a = v; return o; }
template <class T>
inline T atomicMin(T *a, T v) { T o = *a; if (v < o) *a = v; return o; }
template <class T>
inline T atomicExch(T *a, T v) { T o = *a; *a = v; return o; }
template <class T>
inline T atomicCAS(T *a, T cmp, T v) { T o = *a; if (o == cmp) *a = v; return o; }

/* ---- host side ------------------------------------------------------------------------------- */
namespace fconv_emu {

/* A queued kernel: runs every block of grid with block threads (fibers). */
struct KernelLaunch {
  std::string name;
  dim3 grid, block;
  size_t shmem = 0;
  std::function<void()> body; /* one CUDA thread's work: calls the kernel with bound args */
};

/* Validate the configuration like the driver (reports a failure and returns FCONV_ERR_CUDA
 * when invalid). */
fconv_status launch_check(const KernelLaunch &k);
/* Validate, then hand the launch to the emulated stream (dev_emu.cpp). */
fconv_status launch_enqueue(KernelLaunch &&k, void *stream);
/* Run a launch now on the calling thread (used by the stream executor). Returns FCONV_OK or
 * FCONV_ERR_CUDA after reporting a failure. */
fconv_status launch_run(const KernelLaunch &k);

template <class... P, class... A>
fconv_status launch(const char *name, dim3 grid, dim3 block, size_t shmem, void *stream,
                    void (*kernel)(P...), A &&...args) {
  KernelLaunch k;
  k.name = name;
  k.grid = grid;
  k.block = block;
  k.shmem = shmem;
  /* Convert to the parameter types now (as a launch marshals its arguments). */
  std::tuple<typename std::decay<P>::type...> bound(std::forward<A>(args)...);
  k.body = [kernel, bound]() { std::apply(kernel, bound); };
  return launch_enqueue(std::move(k), stream);
}

/* Failure reporting. */
using FailureHandler = std::function<void(const std::string &)>;
void set_failure_handler(FailureHandler h); /* empty handler = default (gtest ADD_FAILURE) */
void report_failure(const std::string &msg);

class ScopedCapture {
 public:
  ScopedCapture();
  ~ScopedCapture();
  const std::vector<std::string> &messages() const { return msgs_; }
  ScopedCapture(const ScopedCapture &) = delete;
  ScopedCapture &operator=(const ScopedCapture &) = delete;

 private:
  std::vector<std::string> msgs_;
  FailureHandler prev_;
};

struct Stats {
  unsigned long long launches, blocks, barriers, failures;
};
Stats stats();

/* Emulated device memory controls (dev_emu.cpp). */
void dev_fail_after(long n);
long live_device_allocations();
/* New device allocations are filled with 0xFF bytes (NaN as float and double), as cudaMalloc
 * gives whatever was there: a reader of memory nothing wrote sees NaN. Off by default. */
void dev_poison_allocations(bool on);
/* Device memsets queued so far (a counter that only grows). */
long memsets_queued();
/* The name fconv_dev_properties reports (default "fconv emulated device"; the calibration
 * file's key). */
void set_device_name(const char *name);
/* Emulated devices 0..n-1 (default 1): fconv_cuda_devices(), set_device and usable follow;
 * device memory remembers the device current at its allocation. */
void set_device_count(int n);
/* Stream creation fails with FCONV_ERR_NO_DEVICE (an exclusive-process device taken by another
 * process: every CUDA plan create fails). */
void dev_fail_stream_create(bool on);
/* The stream is capturing a CUDA graph (work is still queued and run as usual): synchronising
 * it is reported as a failure, as cudaStreamSynchronize would end the capture. */
void set_capturing(void *stream, bool on);
/* Queue host work on an emulated stream (runs in stream order, like a library call on the GPU:
 * the cuFFT stand-in's transforms). */
fconv_status enqueue_host(void *stream, std::function<fconv_status()> fn);

}  // namespace fconv_emu

#endif /* FCONV_EMU_H */
