/* test_emu.cpp — self-test of the CUDA block emulator and of the emulated dev.h. */
#include "../../../src/cuda/compat.cuh"
#include "../../../src/cuda/dev.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace {

/* ---- kernels ---------------------------------------------------------------------------------- */

__global__ void k_index(unsigned *out) {
  const unsigned tid = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  const unsigned bid = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  const unsigned nt = blockDim.x * blockDim.y * blockDim.z;
  out[bid * nt + tid] = bid * 1000u + tid;
}

/* Rotate values through static shared memory: needs the barrier and a block-wide array. */
__global__ void k_shared_rotate(int *out) {
  __shared__ int s[128];
  const int t = (int)threadIdx.x, n = (int)blockDim.x;
  s[t] = t * 10 + (int)blockIdx.x;
  __syncthreads();
  out[blockIdx.x * n + t] = s[(t + 1) % n];
}

/* Reverse through dynamic shared memory, two phases with a barrier between. */
__global__ void k_dynamic_reverse(const float *in, float *out, int n) {
  FCONV_DYNAMIC_SHARED(float, buf);
  const int t = (int)threadIdx.x;
  if (t < n) buf[t] = in[t];
  __syncthreads();
  if (t < n) out[t] = buf[n - 1 - t];
}

/* Barrier divergence: the first `k` threads wait at a barrier, the others exit. */
__global__ void k_diverge_exit(int *out, int k) {
  if ((int)threadIdx.x < k) {
    __syncthreads();
    out[threadIdx.x] = 1;
  }
}

/* Barrier divergence: odd and even threads wait at different barriers. */
__global__ void k_diverge_sites(int *out) {
  if (threadIdx.x % 2)
    __syncthreads();
  else
    __syncthreads();
  out[threadIdx.x] = 1;
}

/* Uniform loop of barriers: must pass and count barriers. */
__global__ void k_many_barriers(int *out, int rounds) {
  __shared__ int acc[64];
  const int t = (int)threadIdx.x;
  acc[t] = 0;
  for (int r = 0; r < rounds; r++) {
    __syncthreads();
    acc[(t + 1) % blockDim.x] += 1; /* each slot written by exactly one thread per round */
    __syncthreads();
  }
  out[t] = acc[t];
}

/* Grid-stride loop with 64-bit indices (the shape of fconv's prepare/pack kernels): every
 * element is written once, by the thread the CUDA indexing assigns it to. */
__global__ void k_grid_stride(long long *out, long long k1, long long k2, long long total) {
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    const long long a = i / (k1 * k2), b = (i / k2) % k1, c = i % k2;
    out[i] = ((a * k1 + b) * k2 + c) * 1000 + (long long)(blockIdx.x * blockDim.x + threadIdx.x);
  }
}

/* The built-in index variables seen by every thread between and after barriers: each thread
 * must see its OWN threadIdx (and the launch's blockIdx/blockDim/gridDim) after every resume. */
__global__ void k_index_across_barriers(unsigned *out, int rounds) {
  const unsigned nt = blockDim.x * blockDim.y;
  const unsigned tid0 = threadIdx.x + blockDim.x * threadIdx.y;
  unsigned bad = 0;
  for (int r = 0; r < rounds; r++) {
    __syncthreads();
    const unsigned tid = threadIdx.x + blockDim.x * threadIdx.y;
    bad += (tid != tid0) + (blockDim.x * blockDim.y != nt) + (gridDim.x != 3u);
  }
  out[blockIdx.x * nt + tid0] = bad * 100000u + blockIdx.x * 1000u + tid0;
}

__global__ void k_atomic(unsigned long long *counter, float *fsum) {
  atomicAdd(counter, 1ull);
  atomicAdd(fsum, 0.5f);
}

/* ---- helpers ---------------------------------------------------------------------------------- */

template <class T>
struct DevBuf {
  T *p = nullptr;
  size_t n = 0;
  explicit DevBuf(size_t count) : n(count) {
    EXPECT_EQ(fconv_dev_malloc((void **)&p, count * sizeof(T)), FCONV_OK);
  }
  ~DevBuf() { fconv_dev_free(p); }
  std::vector<T> get() const {
    std::vector<T> h(n);
    EXPECT_EQ(fconv_dev_copy_d2h(h.data(), p, n * sizeof(T), nullptr), FCONV_OK);
    EXPECT_EQ(fconv_dev_stream_sync(nullptr), FCONV_OK);
    return h;
  }
};

TEST(CudaEmu, IndicesCoverEveryThreadOfEveryBlock) {
  const dim3 grid(3, 2, 2), block(4, 3, 2);
  const size_t n = 12 * 24;
  DevBuf<unsigned> out(n);
  void (*const kernel)(unsigned *) = k_index;
  ASSERT_EQ(FCONV_LAUNCH(kernel, grid, block, 0, nullptr, out.p), FCONV_OK);
  std::vector<unsigned> h = out.get();
  for (unsigned b = 0; b < 12; b++)
    for (unsigned t = 0; t < 24; t++) ASSERT_EQ(h[b * 24 + t], b * 1000 + t);
}

TEST(CudaEmu, StaticSharedMemoryIsSharedByTheBlock) {
  DevBuf<int> out(2 * 128);
  void (*const kernel)(int *) = k_shared_rotate;
  ASSERT_EQ(FCONV_LAUNCH(kernel, dim3(2), dim3(128), 0, nullptr, out.p), FCONV_OK);
  std::vector<int> h = out.get();
  for (int b = 0; b < 2; b++)
    for (int t = 0; t < 128; t++) ASSERT_EQ(h[b * 128 + t], ((t + 1) % 128) * 10 + b);
}

TEST(CudaEmu, DynamicSharedMemory) {
  const int n = 50;
  DevBuf<float> in(n), out(n);
  std::vector<float> h(n);
  std::iota(h.begin(), h.end(), 1.0f);
  ASSERT_EQ(fconv_dev_copy_h2d(in.p, h.data(), n * sizeof(float), nullptr), FCONV_OK);
  void (*const kernel)(const float *, float *, int) = k_dynamic_reverse;
  ASSERT_EQ(FCONV_LAUNCH(kernel, dim3(1), dim3(64), n * sizeof(float), nullptr, in.p, out.p, n),
            FCONV_OK);
  std::vector<float> r = out.get();
  for (int i = 0; i < n; i++) ASSERT_EQ(r[i], (float)(n - i));
}

TEST(CudaEmu, UniformBarriersPass) {
  DevBuf<int> out(64);
  const auto before = fconv_emu::stats();
  void (*const kernel)(int *, int) = k_many_barriers;
  ASSERT_EQ(FCONV_LAUNCH(kernel, dim3(1), dim3(64), 0, nullptr, out.p, 7), FCONV_OK);
  std::vector<int> h = out.get();
  for (int t = 0; t < 64; t++) ASSERT_EQ(h[t], 7);
  EXPECT_EQ(fconv_emu::stats().barriers - before.barriers, 14u);
  EXPECT_EQ(fconv_emu::stats().failures, before.failures);
}

TEST(CudaEmu, BarrierWithExitedThreadsIsDetected) {
  DevBuf<int> out(32);
  fconv_emu::ScopedCapture cap;
  void (*const kernel)(int *, int) = k_diverge_exit;
  ASSERT_EQ(FCONV_LAUNCH(kernel, dim3(2), dim3(32), 0, nullptr, out.p, 5), FCONV_OK);
  EXPECT_EQ(fconv_dev_stream_sync(nullptr), FCONV_ERR_CUDA); /* surfaces at synchronisation */
  ASSERT_EQ(cap.messages().size(), 1u); /* the launch stops at the first bad block */
  const std::string &m = cap.messages()[0];
  EXPECT_NE(m.find("kernel"), std::string::npos) << m;
  EXPECT_NE(m.find("block (0,0,0)"), std::string::npos) << m;
  EXPECT_NE(m.find("27 of 32 threads exited"), std::string::npos) << m;
  EXPECT_NE(m.find("barrier #1"), std::string::npos) << m;
  EXPECT_NE(m.find("test_emu.cpp"), std::string::npos) << m;
}

TEST(CudaEmu, BarriersAtDifferentSitesAreDetected) {
  DevBuf<int> out(16);
  fconv_emu::ScopedCapture cap;
  void (*const kernel)(int *) = k_diverge_sites;
  ASSERT_EQ(FCONV_LAUNCH(kernel, dim3(1), dim3(16), 0, nullptr, out.p), FCONV_OK);
  EXPECT_EQ(fconv_dev_stream_sync(nullptr), FCONV_ERR_CUDA);
  ASSERT_EQ(cap.messages().size(), 1u);
  EXPECT_NE(cap.messages()[0].find("different barriers"), std::string::npos) << cap.messages()[0];
}

TEST(CudaEmu, ARunAfterADetectedDivergenceIsClean) {
  {
    DevBuf<int> out(32);
    fconv_emu::ScopedCapture cap;
    void (*const kernel)(int *, int) = k_diverge_exit;
    ASSERT_EQ(FCONV_LAUNCH(kernel, dim3(1), dim3(32), 0, nullptr, out.p, 1), FCONV_OK);
    EXPECT_EQ(fconv_dev_stream_sync(nullptr), FCONV_ERR_CUDA);
    EXPECT_EQ(cap.messages().size(), 1u);
  }
  DevBuf<int> out(2 * 128);
  void (*const kernel)(int *) = k_shared_rotate;
  ASSERT_EQ(FCONV_LAUNCH(kernel, dim3(2), dim3(128), 0, nullptr, out.p), FCONV_OK);
  EXPECT_EQ(fconv_dev_stream_sync(nullptr), FCONV_OK);
  EXPECT_EQ(out.get()[5], 60);
}

TEST(CudaEmu, InvalidLaunchConfigurationsFailAtLaunch) {
  DevBuf<int> out(16);
  fconv_emu::ScopedCapture cap;
  void (*const kernel)(int *) = k_diverge_sites;
  EXPECT_EQ(FCONV_LAUNCH(kernel, dim3(1), dim3(2048), 0, nullptr, out.p), FCONV_ERR_CUDA);
  EXPECT_EQ(FCONV_LAUNCH(kernel, dim3(1, 70000), dim3(16), 0, nullptr, out.p), FCONV_ERR_CUDA);
  EXPECT_EQ(FCONV_LAUNCH(kernel, dim3(1), dim3(16), 64 * 1024, nullptr, out.p), FCONV_ERR_CUDA);
  EXPECT_EQ(cap.messages().size(), 3u);
  EXPECT_EQ(fconv_dev_stream_sync(nullptr), FCONV_OK); /* nothing was queued */
}

TEST(CudaEmu, GridStrideLoopsCoverEveryElementOnce) {
  const long long k1 = 3, k2 = 5, total = 7 * k1 * k2; /* 105 elements, 2 x 16 threads */
  DevBuf<long long> out((size_t)total);
  ASSERT_EQ(fconv_dev_memset(out.p, 0xff, (size_t)total * sizeof(long long), nullptr), FCONV_OK);
  void (*const kernel)(long long *, long long, long long, long long) = k_grid_stride;
  ASSERT_EQ(FCONV_LAUNCH(kernel, dim3(2), dim3(16), 0, nullptr, out.p, k1, k2, total), FCONV_OK);
  std::vector<long long> h = out.get();
  for (long long i = 0; i < total; i++) ASSERT_EQ(h[(size_t)i], i * 1000 + i % 32) << i;
}

TEST(CudaEmu, IndexVariablesAreTheThreadsOwnAfterEveryBarrier) {
  const unsigned nt = 8 * 4;
  DevBuf<unsigned> out(3 * nt);
  void (*const kernel)(unsigned *, int) = k_index_across_barriers;
  ASSERT_EQ(FCONV_LAUNCH(kernel, dim3(3), dim3(8, 4), 0, nullptr, out.p, 5), FCONV_OK);
  std::vector<unsigned> h = out.get();
  for (unsigned b = 0; b < 3; b++)
    for (unsigned t = 0; t < nt; t++) ASSERT_EQ(h[b * nt + t], b * 1000u + t) << b << " " << t;
}

TEST(CudaEmu, Atomics) {
  DevBuf<unsigned long long> cnt(1);
  DevBuf<float> sum(1);
  ASSERT_EQ(fconv_dev_memset(cnt.p, 0, sizeof(unsigned long long), nullptr), FCONV_OK);
  ASSERT_EQ(fconv_dev_memset(sum.p, 0, sizeof(float), nullptr), FCONV_OK);
  void (*const kernel)(unsigned long long *, float *) = k_atomic;
  ASSERT_EQ(FCONV_LAUNCH(kernel, dim3(3), dim3(100), 0, nullptr, cnt.p, sum.p), FCONV_OK);
  EXPECT_EQ(cnt.get()[0], 300u);
  EXPECT_EQ(sum.get()[0], 150.0f);
}

/* ---- emulated streams ---------------------------------------------------------------------------- */

TEST(CudaEmuDev, StreamsAreLazyUntilSynchronised) {
  fconv_dev_stream s = nullptr;
  ASSERT_EQ(fconv_dev_stream_create(&s, 0), FCONV_OK);
  DevBuf<int> d(4);
  int *pin = nullptr;
  ASSERT_EQ(fconv_dev_malloc_host((void **)&pin, 4 * sizeof(int)), FCONV_OK);
  for (int i = 0; i < 4; i++) pin[i] = i + 1;
  ASSERT_EQ(fconv_dev_copy_h2d(d.p, pin, 4 * sizeof(int), s), FCONV_OK);
  ASSERT_EQ(fconv_dev_memset(d.p, 0, sizeof(int), s), FCONV_OK);
  ASSERT_EQ(fconv_dev_copy_d2h(pin, d.p, 4 * sizeof(int), s), FCONV_OK);
  pin[3] = 40; /* the queued H2D has not read it yet: a real GPU may see either value */
  ASSERT_EQ(fconv_dev_stream_sync(s), FCONV_OK);
  EXPECT_EQ(pin[0], 0);
  EXPECT_EQ(pin[1], 2);
  EXPECT_EQ(pin[3], 40);
  fconv_dev_free_host(pin);
  fconv_dev_stream_destroy(s);
}

TEST(CudaEmuDev, EventsOrderStreams) {
  fconv_dev_stream a = nullptr, b = nullptr;
  fconv_dev_event e = nullptr;
  ASSERT_EQ(fconv_dev_stream_create(&a, 0), FCONV_OK);
  ASSERT_EQ(fconv_dev_stream_create(&b, 0), FCONV_OK);
  ASSERT_EQ(fconv_dev_event_create(&e), FCONV_OK);
  DevBuf<int> d(2);
  int *pin = nullptr;
  ASSERT_EQ(fconv_dev_malloc_host((void **)&pin, 2 * sizeof(int)), FCONV_OK);
  pin[0] = pin[1] = 7;
  ASSERT_EQ(fconv_dev_memset(d.p, 0, 2 * sizeof(int), a), FCONV_OK);
  ASSERT_EQ(fconv_dev_event_record(e, a), FCONV_OK);
  ASSERT_EQ(fconv_dev_stream_wait_event(b, e), FCONV_OK);
  ASSERT_EQ(fconv_dev_copy_d2h(pin, d.p, 2 * sizeof(int), b), FCONV_OK);
  ASSERT_EQ(fconv_dev_stream_sync(b), FCONV_OK); /* runs a's memset first */
  EXPECT_EQ(pin[0], 0);
  EXPECT_EQ(pin[1], 0);
  fconv_dev_free_host(pin);
  fconv_dev_event_destroy(e);
  fconv_dev_stream_destroy(a);
  fconv_dev_stream_destroy(b);
}

TEST(CudaEmuDev, CopyDirectionsAndKindsAreChecked) {
  DevBuf<float> d(8);
  std::vector<float> h(8, 1.0f);
  fconv_dev_ptr_kind k;
  ASSERT_EQ(fconv_dev_pointer_kind(d.p + 3, &k), FCONV_OK);
  EXPECT_EQ(k, FCONV_PTR_DEVICE);
  ASSERT_EQ(fconv_dev_pointer_kind(h.data(), &k), FCONV_OK);
  EXPECT_EQ(k, FCONV_PTR_HOST);
  fconv_emu::ScopedCapture cap;
  EXPECT_EQ(fconv_dev_copy_h2d(h.data(), d.p, 8 * sizeof(float), nullptr), FCONV_ERR_CUDA);
  EXPECT_EQ(fconv_dev_copy_d2h(d.p, h.data(), 8 * sizeof(float), nullptr), FCONV_ERR_CUDA);
  EXPECT_EQ(fconv_dev_copy_h2d(d.p, h.data(), 9 * sizeof(float), nullptr), FCONV_ERR_CUDA);
  EXPECT_EQ(cap.messages().size(), 3u);
}

TEST(CudaEmuDev, AllocationFailureInjection) {
  const long live = fconv_emu::live_device_allocations();
  fconv_emu::dev_fail_after(1);
  void *a = nullptr, *b = nullptr;
  EXPECT_EQ(fconv_dev_malloc(&a, 16), FCONV_OK);
  EXPECT_EQ(fconv_dev_malloc_host(&b, 16), FCONV_ERR_OUT_OF_MEMORY);
  EXPECT_EQ(b, nullptr);
  fconv_emu::dev_fail_after(-1);
  EXPECT_EQ(fconv_emu::live_device_allocations(), live + 1);
  fconv_dev_free(a);
  EXPECT_EQ(fconv_emu::live_device_allocations(), live);
}

}  // namespace
