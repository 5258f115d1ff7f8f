// test_stream.cpp — the streaming convolution (fconv_stream_*): the concatenated output blocks
// equal the leading samples of the FULL convolution of the concatenated input with each
// response, summed per output (tests/reference), within the suite's one accuracy bound; for
// random block lengths (1, odd, prime, powers of two), response lengths (single sample, shorter
// than the block, long enough for several partition levels), channel matrices, dtypes,
// partitioning policies and response swaps (with and without crossfade); reset; bad input;
// FCONV_STREAM_FLAG_WORKER: the same output, bit for bit, with and without a worker thread.
// Public API only. Seeds: printed once per run (test_common.h).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <sstream>
#include <thread>

#include "test_common.h"

namespace {

using ft::cld;

struct StreamCase {
  fconv_dtype dtype = FCONV_F32;
  size_t block = 64, inputs = 1, outputs = 1, blocks = 10;
  std::vector<size_t> lengths; // outputs x inputs
  fconv_stream_partitioning policy = FCONV_STREAM_PARTITION_AUTO;
  size_t max_partition = 0, capacity = 0;
  unsigned flags = 0;
  std::string str() const {
    std::ostringstream os;
    os << fconv_dtype_name(dtype) << " B=" << block << " " << inputs << "in x " << outputs
       << "out blocks=" << blocks << " policy=" << (int)policy << " maxpart=" << max_partition
       << " capacity=" << capacity << " flags=" << flags << " lengths=";
    for (size_t l : lengths) os << l << ",";
    return os.str();
  }
};

// A case of these channel counts, lengths ([o * inputs + i]) and block count; defaults otherwise.
StreamCase case_of(fconv_dtype t, size_t block, size_t inputs, size_t outputs,
                   std::vector<size_t> lengths, size_t blocks) {
  StreamCase c;
  c.dtype = t;
  c.block = block;
  c.inputs = inputs;
  c.outputs = outputs;
  c.lengths = std::move(lengths);
  c.blocks = blocks;
  return c;
}

// Responses of a case: one ft::Array per pair, random values.
std::vector<ft::Array> make_responses(const StreamCase &c, std::mt19937_64 &g) {
  std::vector<ft::Array> h;
  for (size_t p = 0; p < c.inputs * c.outputs; p++) {
    h.emplace_back(c.dtype, c.lengths[p]);
    h.back().fill_random(g);
  }
  return h;
}

// A response swap's data: the case's responses, new ones of random lengths up to its capacity
// (c_new: the case with their lengths), and a random input.
struct SwapData {
  std::vector<ft::Array> h_old, h_new;
  StreamCase c_new;
  ft::Array x;
  SwapData(const StreamCase &c, std::mt19937_64 &g)
      : h_old(make_responses(c, g)), c_new(c), x(c.dtype, c.inputs * c.blocks * c.block) {
    for (auto &l : c_new.lengths) l = ft::uniform(g, 1, c.capacity);
    h_new = make_responses(c_new, g);
    x.fill_random(g);
  }
};

// A stream for case c with responses h; fails the test when create fails.
fconv_stream *make_stream(const StreamCase &c, const std::vector<ft::Array> &h) {
  std::vector<const void *> ptr;
  for (auto &a : h) ptr.push_back(a.data());
  fconv_stream_desc d;
  fconv_stream_desc_init(&d, c.block, c.inputs, c.outputs, c.dtype);
  d.responses = ptr.data();
  d.response_lengths = c.lengths.data();
  d.partitioning = c.policy;
  d.max_partition = c.max_partition;
  d.max_response_length = c.capacity;
  d.flags = c.flags;
  fconv_stream *s = nullptr;
  const fconv_status st = fconv_stream_create(&s, &d);
  EXPECT_EQ(st, FCONV_OK) << fconv_status_string(st) << " " << c.str();
  return s;
}

// Block b of x (inputs x T, channel after channel) through s (staged in xin, yout) into y
// (outputs x T).
void process_block(fconv_stream *s, const StreamCase &c, const ft::Array &x, size_t b,
                   ft::Array &xin, ft::Array &yout, ft::Array &y) {
  const size_t T = c.blocks * c.block, B = c.block, es = ft::esize(c.dtype);
  for (size_t i = 0; i < c.inputs; i++)
    memcpy((char *)xin.data() + i * B * es, (const char *)x.data() + (i * T + b * B) * es,
           B * es);
  EXPECT_EQ(fconv_stream_process(s, xin.data(), yout.data()), FCONV_OK);
  for (size_t o = 0; o < c.outputs; o++)
    memcpy((char *)y.data() + (o * T + b * B) * es, (const char *)yout.data() + o * B * es,
           B * es);
}

// Run blocks of x (inputs x T, channel after channel) through s; returns outputs x T.
ft::Array run(fconv_stream *s, const StreamCase &c, const ft::Array &x, size_t first = 0,
              size_t count = (size_t)-1) {
  const size_t T = c.blocks * c.block, B = c.block;
  if (count == (size_t)-1) count = c.blocks - first;
  ft::Array y(c.dtype, c.outputs * T);
  ft::Array xin(c.dtype, c.inputs * B), yout(c.dtype, c.outputs * B);
  for (size_t b = first; b < first + count; b++) {
    process_block(s, c, x, b, xin, yout, y);
  }
  EXPECT_TRUE(xin.guards_intact() && yout.guards_intact());
  return y;
}

// The oracle: per output o, sum_i FULL(x_i, h_oi) truncated to T, and the bound per output.
struct Expected {
  std::vector<std::vector<cld>> y; // [outputs][T]
  std::vector<double> bound;       // [outputs]
};
Expected expected(const StreamCase &c, const ft::Array &x, const std::vector<ft::Array> &h,
                  double log2_len) {
  const size_t T = c.blocks * c.block;
  Expected e;
  e.y.assign(c.outputs, std::vector<cld>(T));
  e.bound.assign(c.outputs, 0.0);
  const std::vector<cld> xv = x.values();
  for (size_t o = 0; o < c.outputs; o++)
    for (size_t i = 0; i < c.inputs; i++) {
      const size_t len = c.lengths[o * c.inputs + i];
      const size_t n[1] = {T}, k[1] = {len};
      fconv_desc d = ft::make_desc(1, n, k, c.dtype);
      std::vector<cld> xi(xv.begin() + i * T, xv.begin() + (i + 1) * T);
      reference::Result r;
      std::string why;
      EXPECT_TRUE(reference::convolve(d, xi, h[o * c.inputs + i].values(), &r, &why)) << why;
      for (size_t t = 0; t < T; t++) e.y[o][t] += r.y[t];
      e.bound[o] += reference::error_bound(c.dtype, r.scale[0], log2_len);
    }
  return e;
}

double log2_of(fconv_stream *s) {
  fconv_stream_info info;
  EXPECT_EQ(fconv_stream_get_info(s, &info), FCONV_OK);
  return std::log2((double)std::max<size_t>(2, info.transform_max));
}

// Every output sample within the bound of the oracle.
::testing::AssertionResult close_to(const ft::Array &y, const Expected &e, const StreamCase &c,
                                    size_t t_begin = 0) {
  const size_t T = c.blocks * c.block;
  for (size_t o = 0; o < c.outputs; o++)
    for (size_t t = t_begin; t < T; t++) {
      const cld got = y.get(o * T + t);
      const double err = (double)std::abs(got - e.y[o][t]);
      if (!(err <= e.bound[o]))
        return ::testing::AssertionFailure()
               << "output " << o << " sample " << t << " (block " << t / c.block << "): got "
               << (double)got.real() << "," << (double)got.imag() << " expected "
               << (double)e.y[o][t].real() << "," << (double)e.y[o][t].imag() << " err " << err
               << " bound " << e.bound[o] << " | " << c.str();
    }
  return ::testing::AssertionSuccess();
}

void check_case(const StreamCase &c, std::mt19937_64 &g) {
  SCOPED_TRACE(c.str());
  const auto h = make_responses(c, g);
  ft::Array x(c.dtype, c.inputs * c.blocks * c.block);
  x.fill_random(g);
  fconv_stream *s = make_stream(c, h);
  ASSERT_NE(s, nullptr);
  const ft::Array y = run(s, c, x);
  EXPECT_TRUE(close_to(y, expected(c, x, h, log2_of(s)), c));
  fconv_stream_destroy(s);
}

const size_t kBlocks[] = {1, 2, 3, 5, 7, 13, 31, 32, 33, 64, 97, 128, 200, 256};

TEST(Stream, RandomCasesMatchFullConvolution) {
  auto g = ft::rng();
  for (int rep = 0; rep < 14; rep++) {
    StreamCase c;
    c.dtype = ft::kAllDtypes[ft::uniform(g, 0, 3)];
    c.block = ft::coin(g, 0.7) ? kBlocks[ft::uniform(g, 0, std::size(kBlocks) - 1)]
                               : ft::uniform(g, 1, 300);
    c.inputs = ft::uniform(g, 1, 3);
    c.outputs = ft::uniform(g, 1, 3);
    const size_t maxlen = ft::coin(g) ? ft::uniform(g, 1, 3 * c.block) : ft::uniform(g, 1, 3000);
    for (size_t p = 0; p < c.inputs * c.outputs; p++)
      c.lengths.push_back(ft::coin(g, 0.2) ? 1 : ft::uniform(g, 1, maxlen));
    c.policy = (fconv_stream_partitioning)ft::uniform(g, 0, 2);
    if (ft::coin(g)) c.max_partition = c.block * ((size_t)1 << ft::uniform(g, 1, 4));
    if (ft::coin(g)) c.flags = FCONV_STREAM_FLAG_EVEN_LOAD;
    const size_t longest = *std::max_element(c.lengths.begin(), c.lengths.end());
    c.blocks = std::max<size_t>(2, (longest + 2 * c.block + ft::uniform(g, 0, 600)) / c.block);
    c.blocks = std::min<size_t>(c.blocks, 6000 / std::max<size_t>(1, c.inputs * c.outputs) + 2);
    check_case(c, g);
  }
}

// Block lengths 1, odd, prime, and responses of one sample and shorter than the block.
TEST(Stream, SmallOddPrimeBlocksAndShortResponses) {
  auto g = ft::rng();
  for (size_t B : {1, 2, 3, 7, 17, 31, 61, 127}) {
    for (size_t len : {(size_t)1, B > 1 ? B - 1 : 1, B + 1, 5 * B + 3}) {
      StreamCase c;
      c.dtype = B % 2 ? FCONV_F32 : FCONV_C128;
      c.block = B;
      c.lengths.assign(1, len); // not = {x}: GCC 12 warns (-Wnonnull, a false positive)
      c.blocks = (len + 3 * B + 40) / B + 1;
      check_case(c, g);
    }
  }
}

// Long responses through several partition levels, each policy, real and complex.
TEST(Stream, NonUniformLevelsMatchFullConvolution) {
  auto g = ft::rng();
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
TEST(Stream, SplitTransformsAndSwapMatchFullConvolution) {
  auto g = ft::rng();
  for (fconv_dtype t : {FCONV_F32, FCONV_F64}) {
    StreamCase c;
    c.dtype = t;
    c.block = t == FCONV_F32 ? 64 : 128;
    c.lengths.assign(1, 13000); // not = {x}: GCC 12 warns (-Wnonnull, a false positive)
    c.policy = FCONV_STREAM_PARTITION_NONUNIFORM;
    c.max_partition = 4096;
    c.flags = FCONV_STREAM_FLAG_EVEN_LOAD;
    c.blocks = 16000 / c.block;
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

// The spreading of the work (cost model): for the bench's long responses (10 s at 48 kHz, 1 and
// 2 channels) and blocks, without EVEN_LOAD, no block's modelled work is more than 3 times the
// mean (the large partitions' pieces of different sizes placed apart, and transforms too large
// for one block split).
TEST(Stream, ModelledWorkHasNoSpikes) {
  auto g = ft::rng();
  for (size_t ch : {1, 2})
    for (size_t B : {64, 128, 256, 1024}) {
      const StreamCase c = case_of(FCONV_F32, B, ch, ch, std::vector<size_t>(ch * ch, 480000), 1);
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
TEST(Stream, ImpulseReturnsTheResponses) {
  auto g = ft::rng();
  const StreamCase c = case_of(FCONV_F64, 100, 2, 3, {1, 50, 333, 1000, 2, 777}, 12);
  const auto h = make_responses(c, g);
  fconv_stream *s = make_stream(c, h);
  ASSERT_NE(s, nullptr);
  const size_t T = c.blocks * c.block;
  ft::Array x(c.dtype, c.inputs * T);
  x.set(0, 1.0);     // input 0 at t = 0
  x.set(T + 5, 1.0); // input 1 at t = 5
  const ft::Array y = run(s, c, x);
  for (size_t o = 0; o < 3; o++)
    for (size_t t = 0; t < T; t++) {
      cld want = 0;
      if (t < c.lengths[o * 2]) want += h[o * 2].get(t);
      if (t >= 5 && t - 5 < c.lengths[o * 2 + 1]) want += h[o * 2 + 1].get(t - 5);
      ASSERT_NEAR((double)std::abs(y.get(o * T + t) - want), 0.0, 1e-12)
          << "output " << o << " t " << t;
    }
  fconv_stream_destroy(s);
}

// reset forgets the input: the same blocks after a reset give the same output as at first.
TEST(Stream, ResetForgetsTheInput) {
  auto g = ft::rng();
  StreamCase c;
  c.block = 37;
  c.lengths.assign(1, 2500); // not = {x}: GCC 12 warns (-Wnonnull, a false positive)
  c.blocks = 80;
  c.policy = FCONV_STREAM_PARTITION_NONUNIFORM;
  const auto h = make_responses(c, g);
  ft::Array x(c.dtype, c.blocks * c.block);
  x.fill_random(g);
  fconv_stream *s = make_stream(c, h);
  ASSERT_NE(s, nullptr);
  const ft::Array y1 = run(s, c, x);
  ASSERT_EQ(fconv_stream_reset(s), FCONV_OK);
  const ft::Array y2 = run(s, c, x);
  EXPECT_TRUE(y1.same_bytes(y2));
  EXPECT_TRUE(close_to(y2, expected(c, x, h, log2_of(s)), c));
  fconv_stream_destroy(s);
}

// Response swaps at random blocks (mid-way through the spread work of large partitions):
// without crossfade the output from the swap on is the full convolution of the whole input with
// the new responses; with crossfade F it moves linearly from the old output to the new one.
TEST(Stream, SwapResponsesWithAndWithoutCrossfade) {
  auto g = ft::rng();
  for (int rep = 0; rep < 8; rep++) {
    StreamCase c;
    c.dtype = ft::kAllDtypes[ft::uniform(g, 0, 3)];
    c.block = ft::coin(g) ? ft::uniform(g, 1, 40) : kBlocks[ft::uniform(g, 0, std::size(kBlocks) - 1)];
    c.inputs = ft::uniform(g, 1, 2);
    c.outputs = ft::uniform(g, 1, 2);
    c.capacity = rep == 0 ? 12000 : ft::uniform(g, 200, 3000);
    if (rep == 0) { // long enough for split transforms (partitions of 2048 and 4096)
      c.dtype = FCONV_F32;
      c.block = ft::uniform(g, 64, 72);
      c.inputs = c.outputs = 1;
    }
    for (size_t p = 0; p < c.inputs * c.outputs; p++) c.lengths.push_back(ft::uniform(g, 1, c.capacity));
    c.policy = ft::coin(g) ? FCONV_STREAM_PARTITION_NONUNIFORM : FCONV_STREAM_PARTITION_AUTO;
    if (rep == 0) {
      c.policy = FCONV_STREAM_PARTITION_NONUNIFORM;
      c.max_partition = 64 * c.block;
      c.flags = FCONV_STREAM_FLAG_EVEN_LOAD;
    }
    c.blocks = (2 * c.capacity + 600) / c.block + 2;
    const size_t crossfade = ft::coin(g) ? 0 : ft::uniform(g, 1, 700);
    const size_t swap_at = ft::uniform(g, 1, c.blocks - 1); // first block with the new responses
    SCOPED_TRACE(c.str() + " crossfade " + std::to_string(crossfade) + " swap at block " +
                 std::to_string(swap_at));
    const SwapData sw(c, g);
    const auto &h_old = sw.h_old, &h_new = sw.h_new;
    const StreamCase &c_new = sw.c_new;
    const ft::Array &x = sw.x;
    fconv_stream *s = make_stream(c, h_old);
    ASSERT_NE(s, nullptr);
    if (rep == 0) {
      fconv_stream_info info;
      ASSERT_EQ(fconv_stream_get_info(s, &info), FCONV_OK);
      EXPECT_GE(info.split_levels, 1);
    }
    ft::Array y = run(s, c, x, 0, swap_at);
    std::vector<const void *> ptr;
    for (auto &a : h_new) ptr.push_back(a.data());
    ASSERT_EQ(fconv_stream_set_responses(s, ptr.data(), c_new.lengths.data(), crossfade), FCONV_OK);
    const ft::Array y2 = run(s, c, x, swap_at);
    const size_t T = c.blocks * c.block, t0 = swap_at * c.block;
    for (size_t o = 0; o < c.outputs; o++)
      for (size_t t = t0; t < T; t++) y.set(o * T + t, y2.get(o * T + t));
    const double l2 = log2_of(s);
    Expected e_old = expected(c, x, h_old, l2), e_new = expected(c_new, x, h_new, l2);
    Expected e = e_new;
    for (size_t o = 0; o < c.outputs; o++) {
      e.bound[o] = std::max(e_old.bound[o], e_new.bound[o]);
      for (size_t t = 0; t < T; t++) {
        if (t < t0) {
          e.y[o][t] = e_old.y[o][t];
        } else if (t - t0 < crossfade) {
          const long double w = (long double)(t - t0 + 1) / (long double)(crossfade + 1);
          e.y[o][t] = w * e_new.y[o][t] + (1 - w) * e_old.y[o][t];
        }
      }
    }
    EXPECT_TRUE(close_to(y, e, c));
    fconv_stream_destroy(s);
  }
}

// One scripted session of a worker-mode stream: blocks, a response swap (crossfade or not) at
// swap_at, a reset at reset_at, more blocks. `worker`: 0 none; 1 fconv_stream_work called in the
// processing thread between blocks at random; 2 a worker thread calling it in a loop (yielding,
// sometimes sleeping) while the blocks run. Returns the concatenated outputs; *units counts the
// pieces the worker ran.
ft::Array worker_session(const StreamCase &c, const std::vector<ft::Array> &h_old,
                         const std::vector<ft::Array> &h_new, const std::vector<size_t> &len_new,
                         size_t crossfade, size_t swap_at, size_t reset_at, const ft::Array &x,
                         int worker, uint64_t seed, size_t *units) {
  fconv_stream *s = make_stream(c, h_old);
  ft::Array y(c.dtype, c.outputs * c.blocks * c.block);
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
        if (ft::coin(g, 0.1)) std::this_thread::sleep_for(std::chrono::microseconds(50));
        else std::this_thread::yield();
      }
    });
  std::mt19937_64 g(seed);
  std::vector<const void *> ptr;
  for (auto &a : h_new) ptr.push_back(a.data());
  const size_t B = c.block;
  ft::Array xin(c.dtype, c.inputs * B), yout(c.dtype, c.outputs * B);
  for (size_t b = 0; b < c.blocks; b++) {
    if (b == swap_at) {
      EXPECT_EQ(fconv_stream_set_responses(s, ptr.data(), len_new.data(), crossfade), FCONV_OK);
    }
    if (b == reset_at) {
      EXPECT_EQ(fconv_stream_reset(s), FCONV_OK);
    }
    if (worker == 1 && ft::coin(g, 0.3)) {
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
  auto g = ft::rng();
  for (int rep = 0; rep < 6; rep++) {
    StreamCase c;
    c.dtype = ft::kAllDtypes[rep % 4];
    c.block = rep == 5 ? 1 : rep % 2 ? ft::uniform(g, 32, 80) : ft::uniform(g, 2, 40);
    c.inputs = ft::uniform(g, 1, 2);
    c.outputs = ft::uniform(g, 1, 2);
    c.capacity = ft::uniform(g, 3000, 9000);
    for (size_t p = 0; p < c.inputs * c.outputs; p++)
      c.lengths.push_back(ft::uniform(g, c.capacity / 2, c.capacity));
    c.policy = FCONV_STREAM_PARTITION_NONUNIFORM;
    c.max_partition = rep < 2 ? 4096 : 1024;
    c.flags = FCONV_STREAM_FLAG_WORKER | (rep < 2 ? FCONV_STREAM_FLAG_EVEN_LOAD : 0u);
    c.blocks = std::min<size_t>((c.capacity + 6000) / c.block + 2, 3000);
    const size_t crossfade = rep % 3 == 0 ? 0 : ft::uniform(g, 1, 900);
    const size_t swap_at = ft::uniform(g, 1, c.blocks / 2);
    const size_t reset_at = ft::uniform(g, c.blocks / 2 + 1, c.blocks - 1);
    SCOPED_TRACE(c.str() + " crossfade " + std::to_string(crossfade) + " swap at " +
                 std::to_string(swap_at) + " reset at " + std::to_string(reset_at));
    const SwapData sw(c, g);
    const auto &h_old = sw.h_old, &h_new = sw.h_new;
    const StreamCase &c_new = sw.c_new;
    const ft::Array &x = sw.x;
    size_t units[3];
    const uint64_t seed = g();
    const ft::Array y0 = worker_session(c, h_old, h_new, c_new.lengths, crossfade, swap_at,
                                        reset_at, x, 0, seed, &units[0]);
    const ft::Array y1 = worker_session(c, h_old, h_new, c_new.lengths, crossfade, swap_at,
                                        reset_at, x, 1, seed, &units[1]);
    const ft::Array y2 = worker_session(c, h_old, h_new, c_new.lengths, crossfade, swap_at,
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
    ft::Array x_pre(c.dtype, c.inputs * swap_at * c.block), y_pre(c.dtype, c.outputs * swap_at * c.block);
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
  auto g = ft::rng();
  StreamCase c = case_of(FCONV_F64, 64, 2, 1, {10000, 3000}, 230);
  c.policy = FCONV_STREAM_PARTITION_NONUNIFORM;
  c.max_partition = 4096;
  c.flags = FCONV_STREAM_FLAG_WORKER | FCONV_STREAM_FLAG_EVEN_LOAD;
  const auto h = make_responses(c, g);
  ft::Array x(c.dtype, c.inputs * c.blocks * c.block);
  x.fill_random(g);
  size_t units = 0;
  const ft::Array y = worker_session(c, h, h, c.lengths, 0, c.blocks, c.blocks, x, 2, g(), &units);
  fconv_stream *s = make_stream(c, h);
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(close_to(y, expected(c, x, h, log2_of(s)), c));
  fconv_stream_destroy(s);
}

TEST(Stream, BadInputReturnsStatuses) {
  float h0[4] = {1, 2, 3, 4}, buf[64] = {0};
  const void *hp[4] = {h0, h0, h0, h0};
  size_t len[4] = {4, 4, 4, 4};
  fconv_stream_desc d;
  fconv_stream_desc_init(&d, 8, 2, 2, FCONV_F32);
  d.responses = hp;
  d.response_lengths = len;
  fconv_stream *s = (fconv_stream *)&d; // must be overwritten with NULL on failure
  EXPECT_EQ(fconv_stream_create(nullptr, &d), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_stream_create(&s, nullptr), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(s, nullptr);
  auto bad = [&](auto mutate, fconv_status want) {
    fconv_stream_desc e = d;
    mutate(e);
    fconv_stream *t = (fconv_stream *)&d;
    EXPECT_EQ(fconv_stream_create(&t, &e), want);
    EXPECT_EQ(t, nullptr);
  };
  bad([](fconv_stream_desc &e) { e.block = 0; }, FCONV_ERR_INVALID_ARGUMENT);
  bad([](fconv_stream_desc &e) { e.inputs = 0; }, FCONV_ERR_INVALID_ARGUMENT);
  bad([](fconv_stream_desc &e) { e.outputs = 0; }, FCONV_ERR_INVALID_ARGUMENT);
  bad([](fconv_stream_desc &e) { e.dtype = (fconv_dtype)9; }, FCONV_ERR_INVALID_ARGUMENT);
  bad([](fconv_stream_desc &e) { e.partitioning = (fconv_stream_partitioning)7; },
      FCONV_ERR_INVALID_ARGUMENT);
  bad([](fconv_stream_desc &e) { e.backend = (fconv_backend)7; }, FCONV_ERR_INVALID_ARGUMENT);
  bad([](fconv_stream_desc &e) { e.flags = 1u << 9; }, FCONV_ERR_INVALID_ARGUMENT);
  bad([](fconv_stream_desc &e) { e.responses = nullptr; }, FCONV_ERR_INVALID_ARGUMENT);
  bad([](fconv_stream_desc &e) { e.response_lengths = nullptr; }, FCONV_ERR_INVALID_ARGUMENT);
  bad([](fconv_stream_desc &e) { e.max_response_length = 3; }, FCONV_ERR_INVALID_ARGUMENT);
  bad([](fconv_stream_desc &e) { e.backend = FCONV_BACKEND_CUDA; }, FCONV_ERR_UNSUPPORTED);
  bad([](fconv_stream_desc &e) { e.inputs = e.outputs = (size_t)1 << 33; },
      FCONV_ERR_INVALID_ARGUMENT);
  bad([](fconv_stream_desc &e) { e.block = SIZE_MAX / 2; }, FCONV_ERR_INVALID_ARGUMENT);
  {
    const void *hn[4] = {h0, nullptr, h0, h0};
    bad([&](fconv_stream_desc &e) { e.responses = hn; }, FCONV_ERR_INVALID_ARGUMENT);
    size_t l0[4] = {4, 0, 4, 4};
    bad([&](fconv_stream_desc &e) { e.response_lengths = l0; }, FCONV_ERR_INVALID_ARGUMENT);
    size_t lbig[4] = {4, SIZE_MAX / 2, 4, 4};
    bad([&](fconv_stream_desc &e) { e.response_lengths = lbig; }, FCONV_ERR_INVALID_ARGUMENT);
  }
  // A good stream, then bad calls on it: nothing changes.
  ASSERT_EQ(fconv_stream_create(&s, &d), FCONV_OK);
  EXPECT_EQ(fconv_stream_process(s, nullptr, buf), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_stream_process(s, buf, nullptr), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_stream_process(nullptr, buf, buf + 32), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_stream_reset(nullptr), FCONV_ERR_INVALID_ARGUMENT);
  size_t longer[4] = {4, 5, 4, 4};
  float h5[5] = {1, 2, 3, 4, 5};
  const void *hp5[4] = {h0, h5, h0, h0};
  EXPECT_EQ(fconv_stream_set_responses(s, hp5, longer, 0), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_stream_set_responses(s, nullptr, len, 0), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_stream_set_responses(nullptr, hp, len, 0), FCONV_ERR_INVALID_ARGUMENT);
  size_t units = 7;
  EXPECT_EQ(fconv_stream_work(nullptr, &units), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_stream_work(s, &units), FCONV_ERR_INVALID_ARGUMENT); // no WORKER flag
  EXPECT_EQ(units, 7u);
  fconv_stream_info info;
  EXPECT_EQ(fconv_stream_get_info(s, nullptr), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_stream_get_info(nullptr, &info), FCONV_ERR_INVALID_ARGUMENT);
  // Still the original responses: an impulse on input 0 returns h0 on both outputs.
  float in[16] = {1}, out[16];
  ASSERT_EQ(fconv_stream_process(s, in, out), FCONV_OK);
  for (int k = 0; k < 4; k++) {
    EXPECT_NEAR(out[k], h0[k], 1e-5);
    EXPECT_NEAR(out[8 + k], h0[k], 1e-5);
  }
  fconv_stream_destroy(s);
  fconv_stream_destroy(nullptr);
}

} // namespace
