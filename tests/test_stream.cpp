// test_stream.cpp — the streaming convolution (fconv_stream_*) on the CPU engine: the shared
// contract checks of stream_cases.h (random cases, small and odd blocks, impulse, reset, swaps
// with and without crossfade, bad input) against the independent reference, and what only the
// CPU engine has: non-uniform levels, split transforms, the spreading of the work (no modelled
// spikes), FCONV_STREAM_FLAG_WORKER (the same output, bit for bit, with and without a worker
// thread); AUTO runs on the CPU without a device. Public API only. Seeds: printed once per run
// (test_common.h).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <sstream>
#include <thread>

#include "stream_cases.h"

namespace {

using namespace ft;

const fconv_backend kCpu = FCONV_BACKEND_CPU;

// What backend CUDA gets here for a stream it could otherwise run.
fconv_status cuda_status() {
  if (!strstr(fconv_version_string(), "cuda backend built")) return FCONV_ERR_UNSUPPORTED;
  return fconv_cuda_device_count() > 0 ? FCONV_OK : FCONV_ERR_NO_DEVICE;
}

TEST(Stream, RandomCasesMatchFullConvolution) { check_random_cases(kCpu, 14); }

// Block lengths 1, odd, prime, and responses of one sample and shorter than the block.
TEST(Stream, SmallOddPrimeBlocksAndShortResponses) { check_small_blocks(kCpu); }

// Long responses through several partition levels, each policy, real and complex.
// NONUNIFORM with a max_partition, a block under FCONV_STREAM_HEAD_BELOW (32) and responses the
// time-domain head covers alone (no partition level): create must not read a level that does not
// exist (UBSan caught lv[-1] in CI's sanitizer stage, from the random cases).
TEST(Stream, NonUniformWithoutLevelsMatchesFullConvolution) {
  auto g = rng();
  for (size_t len : {1, 2, 5, 32}) {
    StreamCase c;
    c.dtype = FCONV_F32;
    c.block = 16;
    c.lengths.assign(1, len); // not = {x}: GCC 12 warns (-Wnonnull, a false positive)
    c.policy = FCONV_STREAM_PARTITION_NONUNIFORM;
    c.max_partition = 256;
    c.blocks = 4;
    const auto h = make_responses(c, g);
    fconv_stream *s = make_stream(c, h);
    ASSERT_NE(s, nullptr) << c.str() << ": " << fconv_last_error();
    fconv_stream_destroy(s);
  }
}

TEST(Stream, NonUniformLevelsMatchFullConvolution) {
  auto g = rng();
  for (fconv_dtype t : {FCONV_F32, FCONV_F64, FCONV_C64}) {
    StreamCase c;
    c.dtype = t;
    c.block = t == FCONV_F32 ? 64 : 48;
    c.inputs = t == FCONV_F64 ? 2 : 1;
    c.outputs = 2;
    c.lengths.clear();
    for (size_t p = 0; p < c.inputs * c.outputs; p++) c.lengths.push_back(6000 - 1000 * p);
    c.policy = FCONV_STREAM_PARTITION_NONUNIFORM;
    c.max_partition = 1024;
    c.blocks = 6000 / c.block + 30;
    const auto h = make_responses(c, g);
    fconv_stream *s = make_stream(c, h);
    ASSERT_NE(s, nullptr);
    fconv_stream_info info;
    ASSERT_EQ(fconv_stream_get_info(s, &info), FCONV_OK);
    EXPECT_GE(info.levels, 2) << c.str();
    EXPECT_EQ(info.latency, 0u);
    EXPECT_LE(info.partition_size[info.levels - 1], 1024u);
    size_t covered = 0;
    for (int l = 0; l < info.levels; l++) covered += info.partition_size[l] * info.partition_count[l];
    EXPECT_GE(covered, (size_t)6000);
    fconv_stream_destroy(s);
    check_case(c, g);
  }
}

// FCONV_STREAM_FLAG_EVEN_LOAD with partitions of 2048 and 4096 samples, whose transforms are
// split into sub-transforms spread over blocks (the swap test's first case adds a swap in the
// middle of their windows).
// A mono EVEN_LOAD case of one response of `length`, NONUNIFORM up to max_partition, for
// `samples` of input.
StreamCase even_load_case(fconv_dtype t, size_t block, size_t length, size_t max_partition,
                          size_t samples) {
  StreamCase c;
  c.dtype = t;
  c.block = block;
  c.lengths.assign(1, length); // not = {x}: GCC 12 warns (-Wnonnull, a false positive)
  c.policy = FCONV_STREAM_PARTITION_NONUNIFORM;
  c.max_partition = max_partition;
  c.flags = FCONV_STREAM_FLAG_EVEN_LOAD;
  c.blocks = samples / block;
  return c;
}

TEST(Stream, SplitTransformsAndSwapMatchFullConvolution) {
  auto g = rng();
  for (fconv_dtype t : {FCONV_F32, FCONV_F64}) {
    const StreamCase c = even_load_case(t, t == FCONV_F32 ? 64 : 128, 13000, 4096, 16000);
    const auto h = make_responses(c, g);
    fconv_stream *s = make_stream(c, h);
    ASSERT_NE(s, nullptr);
    fconv_stream_info info;
    ASSERT_EQ(fconv_stream_get_info(s, &info), FCONV_OK);
    EXPECT_GE(info.partition_size[info.levels - 1], 2048u) << c.str();
    EXPECT_GE(info.split_levels, 1) << c.str();
    fconv_stream_destroy(s);
    check_case(c, g);
  }
}

// Split levels of every transposition kernel: with EVEN_LOAD at block 64 (sub-transforms of
// 2048 points), partitions of 2048, 4096 and 8192 samples split their transforms into r = 2, 4
// and 8 sub-transforms (the transpositions have a loop for each of these r); the response
// reaches into the 8192-sample level.
TEST(Stream, SplitTransformsOfRadix2To8MatchFullConvolution) {
  auto g = rng();
  const StreamCase c = even_load_case(FCONV_F32, 64, 17000, 8192, 18500);
  const auto h = make_responses(c, g);
  fconv_stream *s = make_stream(c, h);
  ASSERT_NE(s, nullptr);
  fconv_stream_info info;
  ASSERT_EQ(fconv_stream_get_info(s, &info), FCONV_OK);
  std::vector<size_t> sizes(info.partition_size, info.partition_size + info.levels);
  for (size_t P : {2048, 4096, 8192})
    EXPECT_NE(std::find(sizes.begin(), sizes.end(), P), sizes.end()) << P << " | " << c.str();
  EXPECT_GE(info.split_levels, 3) << c.str();
  size_t below = 0; // where the 8192-sample level starts
  for (int l = 0; l < info.levels && info.partition_size[l] < 8192; l++)
    below += info.partition_size[l] * info.partition_count[l];
  EXPECT_LT(below, c.lengths[0]) << c.str();
  fconv_stream_destroy(s);
  check_case(c, g);
}

// The spreading of the work (cost model): for the bench's long responses (10 s at 48 kHz, 1 and
// 2 channels) and blocks, without EVEN_LOAD, no block's modelled work is more than 3 times the
// mean (the large partitions' pieces of different sizes placed apart, and transforms too large
// for one block split).
TEST(Stream, ModelledWorkHasNoSpikes) {
  auto g = rng();
  for (size_t ch : {1, 2})
    for (size_t B : {64, 128, 256, 1024}) {
      const StreamCase c = stream_case_of(FCONV_F32, B, ch, ch, std::vector<size_t>(ch * ch, 480000), 1);
      const auto h = make_responses(c, g);
      fconv_stream *s = make_stream(c, h);
      ASSERT_NE(s, nullptr);
      fconv_stream_info info;
      ASSERT_EQ(fconv_stream_get_info(s, &info), FCONV_OK);
      EXPECT_GT(info.cost_peak, 0.0);
      EXPECT_GE(info.cost_peak, 0.9 * info.cost_per_block) << c.str();
      EXPECT_LE(info.cost_peak, 3.0 * info.cost_per_block) << c.str();
      fconv_stream_destroy(s);
    }
}

// An impulse returns each response, summed over inputs: exact up to rounding.
TEST(Stream, ImpulseReturnsTheResponses) { check_impulse(kCpu); }

// reset forgets the input: the same blocks after a reset give the same output as at first.
TEST(Stream, ResetForgetsTheInput) { check_reset(kCpu); }

// Response swaps at random blocks (mid-way through the spread work of large partitions):
// without crossfade the output from the swap on is the full convolution of the whole input with
// the new responses; with crossfade F it moves linearly from the old output to the new one.
TEST(Stream, SwapResponsesWithAndWithoutCrossfade) { check_swaps(kCpu, 8); }

// One scripted session of a worker-mode stream: blocks, a response swap (crossfade or not) at
// swap_at, a reset at reset_at, more blocks. `worker`: 0 none; 1 fconv_stream_work called in the
// processing thread between blocks at random; 2 a worker thread calling it in a loop (yielding,
// sometimes sleeping) while the blocks run. Returns the concatenated outputs; *units counts the
// pieces the worker ran.
Array worker_session(const StreamCase &c, const std::vector<Array> &h_old,
                         const std::vector<Array> &h_new, const std::vector<size_t> &len_new,
                         size_t crossfade, size_t swap_at, size_t reset_at, const Array &x,
                         int worker, uint64_t seed, size_t *units) {
  fconv_stream *s = make_stream(c, h_old);
  Array y(c.dtype, c.outputs * c.blocks * c.block);
  *units = 0;
  if (!s) return y;
  std::atomic<bool> stop{false};
  std::atomic<size_t> ran{0};
  std::thread th;
  if (worker == 2)
    th = std::thread([&] {
      std::mt19937_64 g(seed);
      while (!stop.load()) {
        size_t n = 0;
        EXPECT_EQ(fconv_stream_work(s, &n), FCONV_OK);
        ran += n;
        if (coin(g, 0.1)) std::this_thread::sleep_for(std::chrono::microseconds(50));
        else std::this_thread::yield();
      }
    });
  std::mt19937_64 g(seed);
  std::vector<const void *> ptr;
  for (auto &a : h_new) ptr.push_back(a.data());
  const size_t B = c.block;
  Array xin(c.dtype, c.inputs * B), yout(c.dtype, c.outputs * B);
  for (size_t b = 0; b < c.blocks; b++) {
    if (b == swap_at) {
      EXPECT_EQ(fconv_stream_set_responses(s, ptr.data(), len_new.data(), crossfade), FCONV_OK);
    }
    if (b == reset_at) {
      EXPECT_EQ(fconv_stream_reset(s), FCONV_OK);
    }
    if (worker == 1 && coin(g, 0.3)) {
      size_t n = 0;
      EXPECT_EQ(fconv_stream_work(s, &n), FCONV_OK);
      ran += n;
    }
    process_block(s, c, x, b, xin, yout, y);
  }
  stop = true;
  if (th.joinable()) th.join();
  *units = ran.load();
  fconv_stream_destroy(s);
  return y;
}

// FCONV_STREAM_FLAG_WORKER: the output does not depend on whether or when fconv_stream_work runs
// (none, at random points in the processing thread, a concurrent worker thread), bit for bit,
// through a response swap (with or without crossfade) and a reset; and it is the convolution.
TEST(Stream, WorkerGivesTheSameOutputInAnyInterleaving) {
  auto g = rng();
  for (int rep = 0; rep < 6; rep++) {
    StreamCase c;
    c.dtype = kAllDtypes[rep % 4];
    c.block = rep == 5 ? 1 : rep % 2 ? uniform(g, 32, 80) : uniform(g, 2, 40);
    c.inputs = uniform(g, 1, 2);
    c.outputs = uniform(g, 1, 2);
    c.capacity = uniform(g, 3000, 9000);
    for (size_t p = 0; p < c.inputs * c.outputs; p++)
      c.lengths.push_back(uniform(g, c.capacity / 2, c.capacity));
    c.policy = FCONV_STREAM_PARTITION_NONUNIFORM;
    c.max_partition = rep < 2 ? 4096 : 1024;
    c.flags = FCONV_STREAM_FLAG_WORKER | (rep < 2 ? FCONV_STREAM_FLAG_EVEN_LOAD : 0u);
    c.blocks = std::min<size_t>((c.capacity + 6000) / c.block + 2, 3000);
    const size_t crossfade = rep % 3 == 0 ? 0 : uniform(g, 1, 900);
    const size_t swap_at = uniform(g, 1, c.blocks / 2);
    const size_t reset_at = uniform(g, c.blocks / 2 + 1, c.blocks - 1);
    SCOPED_TRACE(c.str() + " crossfade " + std::to_string(crossfade) + " swap at " +
                 std::to_string(swap_at) + " reset at " + std::to_string(reset_at));
    const SwapData sw(c, g);
    const auto &h_old = sw.h_old, &h_new = sw.h_new;
    const StreamCase &c_new = sw.c_new;
    const Array &x = sw.x;
    size_t units[3];
    const uint64_t seed = g();
    const Array y0 = worker_session(c, h_old, h_new, c_new.lengths, crossfade, swap_at,
                                        reset_at, x, 0, seed, &units[0]);
    const Array y1 = worker_session(c, h_old, h_new, c_new.lengths, crossfade, swap_at,
                                        reset_at, x, 1, seed, &units[1]);
    const Array y2 = worker_session(c, h_old, h_new, c_new.lengths, crossfade, swap_at,
                                        reset_at, x, 2, seed, &units[2]);
    fconv_stream *s = make_stream(c, h_old);
    ASSERT_NE(s, nullptr);
    fconv_stream_info info;
    ASSERT_EQ(fconv_stream_get_info(s, &info), FCONV_OK);
    EXPECT_EQ(units[0], 0u);
    if (info.levels >= 2) { // the worker ran pieces ahead of process
      EXPECT_GT(units[1], 0u);
    }
    EXPECT_TRUE(y0.same_bytes(y1));
    EXPECT_TRUE(y0.same_bytes(y2)) << "worker thread ran " << units[2] << " pieces";
    // Before the swap, the output is the convolution with the old responses.
    StreamCase c_pre = c;
    c_pre.blocks = swap_at;
    Array x_pre(c.dtype, c.inputs * swap_at * c.block), y_pre(c.dtype, c.outputs * swap_at * c.block);
    const size_t T = c.blocks * c.block, Tp = swap_at * c.block;
    for (size_t i = 0; i < c.inputs; i++)
      for (size_t t = 0; t < Tp; t++) x_pre.set(i * Tp + t, x.get(i * T + t));
    for (size_t o = 0; o < c.outputs; o++)
      for (size_t t = 0; t < Tp; t++) y_pre.set(o * Tp + t, y0.get(o * T + t));
    EXPECT_TRUE(close_to(y_pre, expected(c_pre, x_pre, h_old, log2_of(s)), c_pre));
    fconv_stream_destroy(s);
  }
}

// With a worker thread running ahead, the output is the convolution (within the bound).
TEST(Stream, WorkerMatchesFullConvolution) {
  auto g = rng();
  StreamCase c = stream_case_of(FCONV_F64, 64, 2, 1, {10000, 3000}, 230);
  c.policy = FCONV_STREAM_PARTITION_NONUNIFORM;
  c.max_partition = 4096;
  c.flags = FCONV_STREAM_FLAG_WORKER | FCONV_STREAM_FLAG_EVEN_LOAD;
  const auto h = make_responses(c, g);
  Array x(c.dtype, c.inputs * c.blocks * c.block);
  x.fill_random(g);
  size_t units = 0;
  const Array y = worker_session(c, h, h, c.lengths, 0, c.blocks, c.blocks, x, 2, g(), &units);
  fconv_stream *s = make_stream(c, h);
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(close_to(y, expected(c, x, h, log2_of(s)), c));
  fconv_stream_destroy(s);
}

TEST(Stream, BadInputReturnsStatuses) { check_bad_input(kCpu, cuda_status()); }

// Backend AUTO without a usable CUDA device (or in a build without CUDA) runs on the CPU engine,
// with the CPU's result; an explicit CUDA request then fails with a reason.
TEST(Stream, AutoRunsOnTheCpuWithoutADevice) {
  if (fconv_cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  auto g = rng();
  StreamCase c = stream_case_of(FCONV_F32, 64, 2, 2, {3000, 10, 1, 700}, 60, FCONV_BACKEND_AUTO);
  check_case(c, g);
  const auto h = make_responses(c, g);
  fconv_stream *s = make_stream(c, h);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(stream_info(s).backend, FCONV_BACKEND_CPU);
  fconv_stream_destroy(s);
  c.backend = FCONV_BACKEND_CUDA;
  std::vector<const void *> ptr;
  const fconv_stream_desc d = stream_desc_of(c, h, ptr);
  s = (fconv_stream *)&ptr;
  EXPECT_EQ(fconv_stream_create(&s, &d), cuda_status());
  EXPECT_EQ(s, nullptr);
  EXPECT_NE(std::string(fconv_last_error()).find(cuda_status() == FCONV_ERR_UNSUPPORTED
                                                     ? "no CUDA backend"
                                                     : "CUDA"),
            std::string::npos)
      << fconv_last_error();
}

} // namespace
