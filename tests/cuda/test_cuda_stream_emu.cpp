/* test_cuda_stream_emu.cpp — the CUDA streaming engine (src/cuda/stream.cu: cuda-stream) on the
 * CPU: its host logic and kernels through the block emulator and the emulated dev.h, FFTW
 * standing in for cuFFT, reached through the public API with backend CUDA. The CPU stream
 * suite's contract checks (stream_cases.h: random blocks, channel matrices and response lengths
 * in every dtype, small and odd blocks, impulse, reset, swaps with and without crossfade, bad
 * input) against the independent reference, plus what is the CUDA engine's own: many channels
 * with long responses (the partition ranges split over thread blocks), the info it reports,
 * device pointers (bit for bit the host-pointer result), pointer kinds, no device, the levels
 * of non-uniform partitioning (sizes, max_partition, swaps in the middle of a level's period),
 * failing device allocations (a status, nothing leaked). Seeds printed. Label: cuda-emu. */
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "../stream_cases.h"
#include "fconv.h"
#include "fconv_emu.h"

#include "cuda/compat.cuh"
#include "cuda/dev.h"

namespace {

using namespace ft;

const fconv_backend kCuda = FCONV_BACKEND_CUDA;

TEST(CudaStream, RandomCasesMatchFullConvolution) { check_random_cases(kCuda, 8); }
TEST(CudaStream, SmallOddPrimeBlocksAndShortResponses) { check_small_blocks(kCuda); }
TEST(CudaStream, ImpulseReturnsTheResponses) { check_impulse(kCuda); }
TEST(CudaStream, ResetForgetsTheInput) { check_reset(kCuda); }
TEST(CudaStream, SwapResponsesWithAndWithoutCrossfade) { check_swaps(kCuda, 4); }
TEST(CudaStream, BadInputReturnsStatuses) { check_bad_input(kCuda, FCONV_OK); }

// Channel matrices up to 4 x 8 with responses of up to 24 partitions, and 1 x 1 / 2 x 3 streams
// of short blocks and long responses (hundreds of partitions: the multiply-add's partition
// ranges split over thread blocks and summed), each dtype.
TEST(CudaStream, ManyChannelsAndLongResponses) {
  auto g = rng();
  const size_t shapes[4][4] = {{4, 8, 128, 1500}, {2, 2, 256, 6000}, {1, 1, 16, 4000},
                               {2, 3, 32, 3000}};
  for (int k = 0; k < 4; k++) {
    StreamCase c;
    c.backend = kCuda;
    c.dtype = kAllDtypes[k];
    c.inputs = shapes[k][0];
    c.outputs = shapes[k][1];
    c.block = shapes[k][2];
    for (size_t p = 0; p < c.inputs * c.outputs; p++)
      c.lengths.push_back(coin(g, 0.2) ? 1 : uniform(g, 1, shapes[k][3]));
    c.lengths[0] = shapes[k][3];
    c.blocks = (shapes[k][3] + 3 * c.block) / c.block;
    check_case(c, g);
  }
}

// What the engine reports: one uniform level of B-sample partitions covering the capacity,
// transforms of 2B points, no latency, its backend, memory at least its spectra.
TEST(CudaStream, InfoDescribesTheDeviceEngine) {
  auto g = rng();
  StreamCase c = stream_case_of(FCONV_F32, 100, 3, 2, {1, 250, 1001, 7, 500, 999}, 3, kCuda);
  c.capacity = 1500;
  c.policy = FCONV_STREAM_PARTITION_UNIFORM;
  const auto h = make_responses(c, g);
  fconv_stream *s = make_stream(c, h);
  ASSERT_NE(s, nullptr);
  const fconv_stream_info info = stream_info(s);
  EXPECT_EQ(info.backend, FCONV_BACKEND_CUDA);
  EXPECT_EQ(info.block, 100u);
  EXPECT_EQ(info.latency, 0u);
  EXPECT_EQ(info.head_length, 0u);
  EXPECT_EQ(info.levels, 1);
  EXPECT_EQ(info.partition_size[0], 100u);
  EXPECT_EQ(info.partition_count[0], 15u);
  EXPECT_EQ(info.partitions, 15u);
  EXPECT_EQ(info.transform_max, 200u);
  EXPECT_EQ(info.split_levels, 0);
  EXPECT_GE(info.memory_bytes, (size_t)2 * 6 * 15 * 101 * 8); // two sides of spectra
  EXPECT_GT(info.cost_per_block, 0.0);
  EXPECT_EQ(info.cost_peak, info.cost_per_block);
  size_t units = 1;
  fconv_stream_destroy(s);
  c.flags = FCONV_STREAM_FLAG_WORKER; // accepted; nothing is deferred on the device
  s = make_stream(c, h);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(fconv_stream_work(s, &units), FCONV_OK);
  EXPECT_EQ(units, 0u);
  fconv_stream_destroy(s);
}

// Emulated device memory holding a copy of a host array.
struct DevBuf {
  void *p = nullptr;
  DevBuf(const void *src, size_t bytes) {
    EXPECT_EQ(fconv_dev_malloc(&p, bytes), FCONV_OK);
    if (p && src) memcpy(p, src, bytes); /* emulated device memory is host memory */
  }
  ~DevBuf() { fconv_dev_free(p); }
};

// FCONV_FLAG_DEVICE_POINTERS: responses, input and output blocks in device memory give the
// host-pointer stream's output bit for bit, through a swap with crossfade and a reset; pointers
// of the wrong kind are FCONV_ERR_INVALID_ARGUMENT on both kinds of stream.
TEST(CudaStream, DevicePointersGiveTheHostPointerResult) {
  auto g = rng();
  for (fconv_dtype t : {FCONV_F32, FCONV_C128}) {
    StreamCase c = stream_case_of(t, 48, 2, 2, {300, 1, 47, 200}, 20, kCuda);
    c.capacity = 400;
    const SwapData sw(c, g);
    const size_t es = esize(t), B = c.block, T = c.blocks * B;
    std::vector<DevBuf *> dh_old, dh_new;
    std::vector<const void *> p_new, dp_old, dp_new;
    for (size_t p = 0; p < 4; p++) {
      p_new.push_back(sw.h_new[p].data());
      dh_old.push_back(new DevBuf(sw.h_old[p].data(), c.lengths[p] * es));
      dh_new.push_back(new DevBuf(sw.h_new[p].data(), sw.c_new.lengths[p] * es));
      dp_old.push_back(dh_old.back()->p);
      dp_new.push_back(dh_new.back()->p);
    }
    Array y[2] = {Array(t, 2 * T), Array(t, 2 * T)};
    for (int dev = 0; dev < 2; dev++) {
      std::vector<const void *> ptr;
      fconv_stream_desc d = stream_desc_of(c, sw.h_old, ptr);
      if (dev) d.responses = dp_old.data();
      d.backend = dev ? FCONV_BACKEND_AUTO : kCuda; // device pointers choose CUDA
      d.flags = dev ? FCONV_FLAG_DEVICE_POINTERS : 0;
      fconv_stream *s = nullptr;
      ASSERT_EQ(fconv_stream_create(&s, &d), FCONV_OK) << fconv_last_error();
      Array xin(t, 2 * B), yout(t, 2 * B);
      DevBuf din(nullptr, 2 * B * es), dout(nullptr, 2 * B * es);
      // the wrong kinds: a host pointer to a device-pointer stream and the other way round
      EXPECT_EQ(fconv_stream_process(s, dev ? xin.data() : din.p, dev ? dout.p : yout.data()),
                FCONV_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(fconv_stream_set_responses(s, dev ? p_new.data() : dp_new.data(),
                                           sw.c_new.lengths.data(), 0),
                FCONV_ERR_INVALID_ARGUMENT);
      for (size_t b = 0; b < c.blocks; b++) {
        if (b == 7) {
          ASSERT_EQ(fconv_stream_set_responses(s, dev ? dp_new.data() : p_new.data(),
                                               sw.c_new.lengths.data(), 61),
                    FCONV_OK);
        }
        if (b == 15) {
          ASSERT_EQ(fconv_stream_reset(s), FCONV_OK);
        }
        for (size_t i = 0; i < 2; i++)
          memcpy((char *)(dev ? din.p : xin.data()) + i * B * es,
                 (const char *)sw.x.data() + (i * T + b * B) * es, B * es);
        ASSERT_EQ(fconv_stream_process(s, dev ? din.p : xin.data(), dev ? dout.p : yout.data()),
                  FCONV_OK)
            << fconv_last_error();
        for (size_t o = 0; o < 2; o++)
          memcpy((char *)y[dev].data() + (o * T + b * B) * es,
                 (const char *)(dev ? dout.p : yout.data()) + o * B * es, B * es);
      }
      fconv_stream_destroy(s);
    }
    EXPECT_TRUE(y[0].same_bytes(y[1])) << fconv_dtype_name(t);
    for (auto *b : dh_old) delete b;
    for (auto *b : dh_new) delete b;
  }
}

// Without a usable device an explicit CUDA stream is FCONV_ERR_NO_DEVICE with a reason.
TEST(CudaStream, NoDeviceIsAStatus) {
  auto g = rng();
  const StreamCase c = stream_case_of(FCONV_F32, 16, 1, 1, {3}, 1, kCuda);
  const auto h = make_responses(c, g);
  std::vector<const void *> ptr;
  fconv_stream_desc d = stream_desc_of(c, h, ptr);
  fconv_stream *s = nullptr;
  fconv_emu::set_device_count(0);
  EXPECT_EQ(fconv_stream_create(&s, &d), FCONV_ERR_NO_DEVICE);
  EXPECT_EQ(s, nullptr);
  EXPECT_NE(std::string(fconv_last_error()).find("no usable CUDA device"), std::string::npos)
      << fconv_last_error();
  fconv_emu::set_device_count(1);
  EXPECT_EQ(fconv_stream_create(&s, &d), FCONV_OK);
  fconv_stream_destroy(s);
}

// NONUNIFORM on the device: levels of doubling partitions from B (each level's partitions
// covering the response in order, transforms of twice the largest), max_partition rounded down
// to the grid B 2^k; the output matches the reference for each dtype, and a reset repeats it.
TEST(CudaStream, NonUniformLevels) {
  auto g = rng();
  const size_t caps[4] = {0, 1000, 2500, 130};
  for (int k = 0; k < 4; k++) {
    StreamCase c = stream_case_of(kAllDtypes[k], k == 3 ? 3 : 64, 2, 2, {}, 0, kCuda);
    const size_t len = k == 3 ? 700 : 5000;
    c.lengths = {len, 1, len / 3, len - 5};
    c.policy = FCONV_STREAM_PARTITION_NONUNIFORM;
    c.max_partition = caps[k];
    c.blocks = (len + 500) / c.block;
    SCOPED_TRACE(c.str());
    const auto h = make_responses(c, g);
    fconv_stream *s = make_stream(c, h);
    ASSERT_NE(s, nullptr);
    const fconv_stream_info info = stream_info(s);
    EXPECT_GE(info.levels, 2);
    EXPECT_EQ(info.partition_size[0], c.block);
    size_t covered = 0, parts = 0;
    for (int l = 0; l < info.levels; l++) {
      if (l) {
        EXPECT_EQ(info.partition_size[l], 2 * info.partition_size[l - 1]) << l;
        EXPECT_EQ(covered % info.partition_size[l], 0u) << l; // starts on its grid
        EXPECT_GE(covered, 2 * info.partition_size[l]) << l;  // a period of slack
      }
      covered += info.partition_count[l] * info.partition_size[l];
      parts += info.partition_count[l];
    }
    EXPECT_GE(covered, len);
    EXPECT_LT(covered - info.partition_size[info.levels - 1], len);
    EXPECT_EQ(info.partitions, parts);
    const size_t largest = info.partition_size[info.levels - 1];
    EXPECT_EQ(info.transform_max, 2 * largest);
    if (caps[k] == 1000) {
      EXPECT_EQ(largest, 512u); // 64 * 2^3 <= 1000 < 64 * 2^4
    } else if (caps[k] == 2500) {
      EXPECT_EQ(largest, 2048u);
    } else if (caps[k] == 130) {
      EXPECT_EQ(largest, 96u); // 3 * 2^5
    }
    EXPECT_GE(info.cost_peak, info.cost_per_block);
    Array x(c.dtype, c.inputs * c.blocks * c.block);
    x.fill_random(g);
    const Array y1 = run_stream(s, c, x);
    EXPECT_TRUE(close_to(y1, expected(c, x, h, log2_of(s)), c));
    ASSERT_EQ(fconv_stream_reset(s), FCONV_OK);
    const Array y2 = run_stream(s, c, x);
    EXPECT_TRUE(y1.same_bytes(y2));
    fconv_stream_destroy(s);
  }
}

// Every device or pinned allocation of create failing in turn: FCONV_ERR_OUT_OF_MEMORY, nothing
// left allocated; then a stream is made and works.
TEST(CudaStream, FailingAllocationsLeakNothing) {
  auto g = rng();
  const StreamCase c = stream_case_of(FCONV_F64, 32, 2, 1, {100, 70}, 6, kCuda);
  const auto h = make_responses(c, g);
  std::vector<const void *> ptr;
  const fconv_stream_desc d = stream_desc_of(c, h, ptr);
  const long live = fconv_emu::live_device_allocations();
  bool created = false;
  for (long n = 0; n < 16 && !created; n++) {
    fconv_emu::dev_fail_after(n);
    fconv_stream *s = nullptr;
    const fconv_status st = fconv_stream_create(&s, &d);
    fconv_emu::dev_fail_after(-1);
    if (st == FCONV_OK) {
      created = true;
      fconv_stream_destroy(s);
    } else {
      EXPECT_EQ(st, FCONV_ERR_OUT_OF_MEMORY) << "allocation " << n << ": " << fconv_last_error();
      EXPECT_EQ(s, nullptr);
    }
    EXPECT_EQ(fconv_emu::live_device_allocations(), live) << "allocation " << n;
  }
  EXPECT_TRUE(created);
  check_case(c, g);
}

} // namespace
