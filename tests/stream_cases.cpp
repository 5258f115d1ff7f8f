// stream_cases.cpp — see stream_cases.h.
#include "stream_cases.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

namespace ft {

const size_t kStreamBlocks[14] = {1, 2, 3, 5, 7, 13, 31, 32, 33, 64, 97, 128, 200, 256};

std::string StreamCase::str() const {
  std::ostringstream os;
  os << fconv_backend_name(backend) << " " << fconv_dtype_name(dtype) << " B=" << block << " "
     << inputs << "in x " << outputs << "out blocks=" << blocks << " policy=" << (int)policy
     << " maxpart=" << max_partition << " capacity=" << capacity << " flags=" << flags
     << " lengths=";
  for (size_t l : lengths) os << l << ",";
  return os.str();
}

StreamCase stream_case_of(fconv_dtype t, size_t block, size_t inputs, size_t outputs,
                          std::vector<size_t> lengths, size_t blocks, fconv_backend b) {
  StreamCase c;
  c.dtype = t;
  c.block = block;
  c.inputs = inputs;
  c.outputs = outputs;
  c.lengths = std::move(lengths);
  c.blocks = blocks;
  c.backend = b;
  return c;
}

std::vector<Array> make_responses(const StreamCase &c, std::mt19937_64 &g) {
  std::vector<Array> h;
  for (size_t p = 0; p < c.inputs * c.outputs; p++) {
    h.emplace_back(c.dtype, c.lengths[p]);
    h.back().fill_random(g);
  }
  return h;
}

SwapData::SwapData(const StreamCase &c, std::mt19937_64 &g)
    : h_old(make_responses(c, g)), c_new(c), x(c.dtype, c.inputs * c.blocks * c.block) {
  for (auto &l : c_new.lengths) l = uniform(g, 1, c.capacity);
  h_new = make_responses(c_new, g);
  x.fill_random(g);
}

fconv_stream_desc stream_desc_of(const StreamCase &c, const std::vector<Array> &h,
                                 std::vector<const void *> &ptr) {
  ptr.clear();
  for (auto &a : h) ptr.push_back(a.data());
  fconv_stream_desc d;
  fconv_stream_desc_init(&d, c.block, c.inputs, c.outputs, c.dtype);
  d.responses = ptr.data();
  d.response_lengths = c.lengths.data();
  d.partitioning = c.policy;
  d.max_partition = c.max_partition;
  d.max_response_length = c.capacity;
  d.flags = c.flags;
  d.backend = c.backend;
  return d;
}

fconv_stream *make_stream(const StreamCase &c, const std::vector<Array> &h) {
  std::vector<const void *> ptr;
  const fconv_stream_desc d = stream_desc_of(c, h, ptr);
  fconv_stream *s = nullptr;
  const fconv_status st = fconv_stream_create(&s, &d);
  EXPECT_EQ(st, FCONV_OK) << fconv_status_string(st) << ": " << fconv_last_error() << " | "
                          << c.str();
  if (s && c.backend != FCONV_BACKEND_AUTO) {
    EXPECT_EQ(stream_info(s).backend, c.backend) << c.str();
  }
  return s;
}

void process_block(fconv_stream *s, const StreamCase &c, const Array &x, size_t b, Array &xin,
                   Array &yout, Array &y) {
  const size_t T = c.blocks * c.block, B = c.block, es = esize(c.dtype);
  for (size_t i = 0; i < c.inputs; i++)
    memcpy((char *)xin.data() + i * B * es, (const char *)x.data() + (i * T + b * B) * es,
           B * es);
  EXPECT_EQ(fconv_stream_process(s, xin.data(), yout.data()), FCONV_OK) << fconv_last_error();
  for (size_t o = 0; o < c.outputs; o++)
    memcpy((char *)y.data() + (o * T + b * B) * es, (const char *)yout.data() + o * B * es,
           B * es);
}

Array run_stream(fconv_stream *s, const StreamCase &c, const Array &x, size_t first,
                 size_t count) {
  const size_t T = c.blocks * c.block, B = c.block;
  if (count == (size_t)-1) count = c.blocks - first;
  Array y(c.dtype, c.outputs * T);
  Array xin(c.dtype, c.inputs * B), yout(c.dtype, c.outputs * B);
  for (size_t b = first; b < first + count; b++) process_block(s, c, x, b, xin, yout, y);
  EXPECT_TRUE(xin.guards_intact() && yout.guards_intact());
  return y;
}

Expected expected(const StreamCase &c, const Array &x, const std::vector<Array> &h,
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
      fconv_desc d = make_desc(1, n, k, c.dtype);
      std::vector<cld> xi(xv.begin() + i * T, xv.begin() + (i + 1) * T);
      reference::Result r;
      std::string why;
      EXPECT_TRUE(reference::convolve(d, xi, h[o * c.inputs + i].values(), &r, &why)) << why;
      for (size_t t = 0; t < T; t++) e.y[o][t] += r.y[t];
      e.bound[o] += reference::error_bound(c.dtype, r.scale[0], log2_len);
    }
  return e;
}

fconv_stream_info stream_info(fconv_stream *s) {
  fconv_stream_info info;
  memset(&info, 0, sizeof info);
  EXPECT_EQ(fconv_stream_get_info(s, &info), FCONV_OK);
  return info;
}

double log2_of(fconv_stream *s) {
  return std::log2((double)std::max<size_t>(2, stream_info(s).transform_max));
}

::testing::AssertionResult close_to(const Array &y, const Expected &e, const StreamCase &c,
                                    size_t t_begin) {
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
  Array x(c.dtype, c.inputs * c.blocks * c.block);
  x.fill_random(g);
  fconv_stream *s = make_stream(c, h);
  ASSERT_NE(s, nullptr);
  const Array y = run_stream(s, c, x);
  EXPECT_TRUE(close_to(y, expected(c, x, h, log2_of(s)), c));
  fconv_stream_destroy(s);
}

// A partitioning policy the backend runs (the CUDA engine partitions uniformly).
static fconv_stream_partitioning random_policy(std::mt19937_64 &g) {
  return (fconv_stream_partitioning)uniform(g, 0, 2);
}

StreamCase random_stream_case(std::mt19937_64 &g, fconv_backend b) {
  StreamCase c;
  c.backend = b;
  c.dtype = kAllDtypes[uniform(g, 0, 3)];
  c.block = coin(g, 0.7) ? kStreamBlocks[uniform(g, 0, std::size(kStreamBlocks) - 1)]
                         : uniform(g, 1, 300);
  c.inputs = uniform(g, 1, 3);
  c.outputs = uniform(g, 1, 3);
  const size_t maxlen = coin(g) ? uniform(g, 1, 3 * c.block) : uniform(g, 1, 3000);
  for (size_t p = 0; p < c.inputs * c.outputs; p++)
    c.lengths.push_back(coin(g, 0.2) ? 1 : uniform(g, 1, maxlen));
  c.policy = random_policy(g);
  if (coin(g)) c.max_partition = c.block * ((size_t)1 << uniform(g, 1, 4));
  if (coin(g)) c.flags = FCONV_STREAM_FLAG_EVEN_LOAD;
  const size_t longest = *std::max_element(c.lengths.begin(), c.lengths.end());
  c.blocks = std::max<size_t>(2, (longest + 2 * c.block + uniform(g, 0, 600)) / c.block);
  c.blocks = std::min<size_t>(c.blocks, 6000 / std::max<size_t>(1, c.inputs * c.outputs) + 2);
  return c;
}

void check_random_cases(fconv_backend b, int reps) {
  auto g = rng();
  for (int rep = 0; rep < reps && !::testing::Test::HasFatalFailure(); rep++)
    check_case(random_stream_case(g, b), g);
}

void check_small_blocks(fconv_backend b) {
  auto g = rng();
  for (size_t B : {1, 2, 3, 7, 17, 31, 61, 127}) {
    for (size_t len : {(size_t)1, B > 1 ? B - 1 : 1, B + 1, 5 * B + 3}) {
      StreamCase c;
      c.backend = b;
      c.dtype = B % 2 ? FCONV_F32 : FCONV_C128;
      c.block = B;
      c.lengths.assign(1, len); // not = {x}: GCC 12 warns (-Wnonnull, a false positive)
      c.blocks = (len + 3 * B + 40) / B + 1;
      check_case(c, g);
    }
  }
}

void check_impulse(fconv_backend b) {
  auto g = rng();
  const StreamCase c = stream_case_of(FCONV_F64, 100, 2, 3, {1, 50, 333, 1000, 2, 777}, 12, b);
  const auto h = make_responses(c, g);
  fconv_stream *s = make_stream(c, h);
  ASSERT_NE(s, nullptr);
  const size_t T = c.blocks * c.block;
  Array x(c.dtype, c.inputs * T);
  x.set(0, 1.0);     // input 0 at t = 0
  x.set(T + 5, 1.0); // input 1 at t = 5
  const Array y = run_stream(s, c, x);
  for (size_t o = 0; o < 3; o++)
    for (size_t t = 0; t < T; t++) {
      cld want = 0;
      if (t < c.lengths[o * 2]) want += h[o * 2].get(t);
      if (t >= 5 && t - 5 < c.lengths[o * 2 + 1]) want += h[o * 2 + 1].get(t - 5);
      ASSERT_NEAR((double)std::abs(y.get(o * T + t) - want), 0.0, 1e-12)
          << "output " << o << " t " << t << " | " << c.str();
    }
  fconv_stream_destroy(s);
}

void check_reset(fconv_backend b) {
  auto g = rng();
  StreamCase c;
  c.backend = b;
  c.block = 37;
  c.lengths.assign(1, 2500); // not = {x}: GCC 12 warns (-Wnonnull, a false positive)
  c.blocks = 80;
  c.policy = FCONV_STREAM_PARTITION_NONUNIFORM;
  const auto h = make_responses(c, g);
  Array x(c.dtype, c.blocks * c.block);
  x.fill_random(g);
  fconv_stream *s = make_stream(c, h);
  ASSERT_NE(s, nullptr);
  const Array y1 = run_stream(s, c, x);
  ASSERT_EQ(fconv_stream_reset(s), FCONV_OK);
  const Array y2 = run_stream(s, c, x);
  EXPECT_TRUE(y1.same_bytes(y2));
  EXPECT_TRUE(close_to(y2, expected(c, x, h, log2_of(s)), c));
  fconv_stream_destroy(s);
}

void check_swaps(fconv_backend b, int reps) {
  auto g = rng();
  for (int rep = 0; rep < reps && !::testing::Test::HasFatalFailure(); rep++) {
    StreamCase c;
    c.backend = b;
    c.dtype = kAllDtypes[uniform(g, 0, 3)];
    c.block = coin(g) ? uniform(g, 1, 40)
                      : kStreamBlocks[uniform(g, 0, std::size(kStreamBlocks) - 1)];
    c.inputs = uniform(g, 1, 2);
    c.outputs = uniform(g, 1, 2);
    c.capacity = rep == 0 ? 12000 : uniform(g, 200, 3000);
    if (rep == 0) { // long enough for split transforms (partitions of 2048 and 4096)
      c.dtype = FCONV_F32;
      c.block = uniform(g, 64, 72);
      c.inputs = c.outputs = 1;
    }
    for (size_t p = 0; p < c.inputs * c.outputs; p++)
      c.lengths.push_back(uniform(g, 1, c.capacity));
    c.policy = random_policy(g);
    if (rep == 0) {
      c.policy = FCONV_STREAM_PARTITION_NONUNIFORM;
      c.max_partition = 64 * c.block;
      c.flags = FCONV_STREAM_FLAG_EVEN_LOAD;
    }
    c.blocks = (2 * c.capacity + 600) / c.block + 2;
    const size_t crossfade = coin(g) ? 0 : uniform(g, 1, 700);
    const size_t swap_at = uniform(g, 1, c.blocks - 1); // first block with the new responses
    SCOPED_TRACE(c.str() + " crossfade " + std::to_string(crossfade) + " swap at block " +
                 std::to_string(swap_at));
    const SwapData sw(c, g);
    const auto &h_old = sw.h_old, &h_new = sw.h_new;
    const StreamCase &c_new = sw.c_new;
    const Array &x = sw.x;
    fconv_stream *s = make_stream(c, h_old);
    ASSERT_NE(s, nullptr);
    if (rep == 0 && b == FCONV_BACKEND_CPU) {
      fconv_stream_info info;
      ASSERT_EQ(fconv_stream_get_info(s, &info), FCONV_OK);
      EXPECT_GE(info.split_levels, 1);
    }
    Array y = run_stream(s, c, x, 0, swap_at);
    std::vector<const void *> ptr;
    for (auto &a : h_new) ptr.push_back(a.data());
    ASSERT_EQ(fconv_stream_set_responses(s, ptr.data(), c_new.lengths.data(), crossfade),
              FCONV_OK);
    const Array y2 = run_stream(s, c, x, swap_at);
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

void check_bad_input(fconv_backend b, fconv_status cuda_status) {
  float h0[4] = {1, 2, 3, 4}, buf[64] = {0};
  const void *hp[4] = {h0, h0, h0, h0};
  size_t len[4] = {4, 4, 4, 4};
  fconv_stream_desc d;
  fconv_stream_desc_init(&d, 8, 2, 2, FCONV_F32);
  d.responses = hp;
  d.response_lengths = len;
  d.backend = b;
  fconv_stream *s = (fconv_stream *)&d; // must be overwritten with NULL on failure
  EXPECT_EQ(fconv_stream_create(nullptr, &d), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_stream_create(&s, nullptr), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(s, nullptr);
  auto bad = [&](auto mutate, fconv_status want) {
    fconv_stream_desc e = d;
    mutate(e);
    fconv_stream *t = (fconv_stream *)&d;
    const fconv_status st = fconv_stream_create(&t, &e);
    EXPECT_EQ(st, want) << fconv_last_error();
    if (st == FCONV_OK) {
      fconv_stream_destroy(t);
      return;
    }
    EXPECT_EQ(t, nullptr);
    EXPECT_STRNE(fconv_last_error(), "");
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
  bad([](fconv_stream_desc &e) { e.backend = FCONV_BACKEND_CUDA; }, cuda_status);
  bad([](fconv_stream_desc &e) {
        e.backend = FCONV_BACKEND_CPU;
        e.flags = FCONV_FLAG_DEVICE_POINTERS;
      },
      FCONV_ERR_INVALID_ARGUMENT);
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
  ASSERT_EQ(fconv_stream_create(&s, &d), FCONV_OK) << fconv_last_error();
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

} // namespace ft
