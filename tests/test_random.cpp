// test_random.cpp — randomised comparisons of the public API against the independent
// reference over every combination of rank (1-3) x dtype (4) x mode (4) x op (2) x
// boundary (5), with random shapes (kernels longer than the signal, singleton axes), PAD
// windows longer than the signal, strides 1-3, batch / paired kernel_batch / filter bank,
// separable and general kernels, threads, flags, unaligned arrays and every way of calling
// (fconv_convolve, execute with a kernel, set_kernel + execute(NULL), a replaced or overridden
// kernel), parameterised over method x backend. A method/backend this build or machine cannot
// run (FCONV_ERR_UNSUPPORTED / FCONV_ERR_NO_DEVICE for the probe plan) is skipped with the
// reason; once it can run, the same tests exercise it unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <sstream>
#include <tuple>

#include "test_common.h"

namespace {

using ft::Array;
using ft::MethodBackend;

// How the case calls the library.
enum Way {
  kConvolve,          // fconv_convolve
  kExecuteKernel,     // create + execute(kernel)
  kSetKernel,         // create + set_kernel(kernel) + execute(NULL)
  kReplaceKernel,     // create + set_kernel(other) + set_kernel(kernel) + execute(NULL)
  kOverrideKernel,    // create + set_kernel(other) + execute(kernel)
  kWays
};
const char *way_name(int w) {
  static const char *names[] = {"convolve", "execute(kernel)", "set_kernel+execute(NULL)",
                                "set_kernel twice", "set_kernel(other)+execute(kernel)"};
  return names[w];
}

struct Case {
  fconv_desc d;
  int way;
  bool separable; // kernel is an outer product of 1-D vectors (rank >= 2)
  size_t off_x, off_h, off_y;
};

// Per-axis size limits, so that rank 3 stays as fast as rank 1. Most cases are small (every
// boundary/padding corner case within a few samples); one in five is larger, so that SIMD
// tails, tiles, blocks and FFT sizes of real paths are crossed too (and AUTO may pick them).
size_t max_extent(int rank, bool large) {
  if (large) return rank == 1 ? 300 : rank == 2 ? 40 : 12;
  return rank == 1 ? 24 : rank == 2 ? 8 : 5;
}
size_t max_taps(int rank, bool large) {
  if (large) return rank == 1 ? 40 : rank == 2 ? 9 : 5;
  return rank == 1 ? 28 : rank == 2 ? 12 : 7;
}

Case random_case(std::mt19937_64 &g, const MethodBackend &mb, fconv_dtype t, int rank,
                 fconv_mode mode, fconv_op op, fconv_boundary b) {
  const bool large = ft::coin(g, 0.2);
  const size_t cap = max_extent(rank, large), kcap = max_taps(rank, large);
  size_t n[3] = {1, 1, 1}, k[3] = {1, 1, 1};
  const bool swap = mode == FCONV_MODE_VALID && ft::coin(g, 0.35);
  for (int a = 0; a < rank; a++) {
    n[a] = ft::coin(g, 0.1) ? 1 : ft::uniform(g, 1, cap);
    if (mode == FCONV_MODE_VALID && swap)
      k[a] = ft::uniform(g, n[a], n[a] + 4);
    else if (mode == FCONV_MODE_VALID)
      k[a] = ft::uniform(g, 1, std::min(n[a], kcap));
    else // may exceed the signal
      k[a] = ft::uniform(g, 1, std::min(n[a] + (rank == 3 ? 2 : 4), kcap));
  }
  if (swap) { // make sure at least one axis really swaps
    const int a = (int)ft::uniform(g, 0, (size_t)rank - 1);
    if (k[a] == n[a]) k[a]++;
  }
  Case c;
  c.d = ft::make_desc(rank, n, k, t);
  c.d.mode = mode;
  c.d.op = op;
  c.d.boundary = b;
  c.d.method = mb.method;
  c.d.backend = mb.backend;
  if (mode == FCONV_MODE_PAD) {
    for (int a = 0; a < rank; a++) {
      const size_t lim = rank == 1 ? 2 * n[a] + 4 : n[a] + 3; // longer than the signal too
      c.d.pad_before[a] = ft::uniform(g, 0, lim);
      c.d.pad_after[a] = ft::uniform(g, 0, lim);
      const size_t w = n[a] + c.d.pad_before[a] + c.d.pad_after[a];
      if (w < k[a]) c.d.pad_after[a] += k[a] - w; // rule: the window holds the kernel
    }
  }
  if (ft::coin(g, 0.5))
    for (int a = 0; a < rank; a++) c.d.stride[a] = ft::uniform(g, 1, 3);
  switch (ft::uniform(g, 0, 4)) {
  case 0: case 1: break;                                    // one signal, one kernel
  case 2: c.d.batch = ft::uniform(g, 2, 3); break;          // batch, shared kernel
  case 3: c.d.batch = c.d.kernel_batch = ft::uniform(g, 2, 3); break; // paired
  case 4: c.d.kernel_batch = ft::uniform(g, 2, 4); break;   // filter bank
  }
  c.d.threads = (int)ft::uniform(g, 0, 3);
  if (ft::coin(g, 0.2)) c.d.flags |= FCONV_FLAG_NO_SEPARABLE;
  if (ft::coin(g, 0.1)) c.d.flags |= FCONV_FLAG_MEASURE;
  c.way = (int)ft::uniform(g, 0, kWays - 1);
  c.separable = rank >= 2 && ft::coin(g, 0.3);
  c.off_x = ft::uniform(g, 0, 3);
  c.off_h = ft::uniform(g, 0, 3);
  c.off_y = ft::uniform(g, 0, 3);
  return c;
}

// Kernels that are outer products of 1-D vectors (what separable paths detect).
void make_separable(Array &h, const fconv_desc &d, std::mt19937_64 &g) {
  const size_t per = ft::kernel_elems(d) / d.kernel_batch;
  size_t k3[3] = {1, 1, 1};
  for (int a = 0; a < d.rank; a++) k3[3 - d.rank + a] = d.kernel_shape[a];
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (size_t kb = 0; kb < d.kernel_batch; kb++) {
    std::vector<ft::cld> f[3];
    for (int a = 0; a < 3; a++)
      for (size_t i = 0; i < k3[a]; i++)
        f[a].push_back(ft::cld(u(g), ft::is_complex(d.dtype) ? u(g) : 0.0));
    for (size_t i0 = 0; i0 < k3[0]; i0++)
      for (size_t i1 = 0; i1 < k3[1]; i1++)
        for (size_t i2 = 0; i2 < k3[2]; i2++)
          h.set(kb * per + (i0 * k3[1] + i1) * k3[2] + i2, f[0][i0] * f[1][i1] * f[2][i2]);
  }
}

// Run one case through the API and check everything the contract says about it.
// Returns false after a failure (the caller stops early to keep the log short).
bool run_case(const Case &c, std::mt19937_64 &g) {
  const fconv_desc &d = c.d;
  SCOPED_TRACE(ft::describe(d) + " via " + way_name(c.way));
  Array x(d.dtype, ft::signal_elems(d), c.off_x), h(d.dtype, ft::kernel_elems(d), c.off_h);
  Array other(d.dtype, ft::kernel_elems(d));
  x.fill_random(g);
  h.fill_random(g);
  other.fill_random(g);
  if (c.separable) make_separable(h, d, g);
  const Array x0 = x, h0 = h;
  const reference::Result ref = ft::reference_of(d, x, h);
  if (::testing::Test::HasFailure()) return false;
  Array y(d.dtype, ref.count * ref.per_output, c.off_y);
  y.fill_pattern(0xFF); // NaN everywhere: every element must be written

  if (c.way == kConvolve) {
    const fconv_status st = fconv_convolve(&d, x.data(), h.data(), y.data());
    EXPECT_EQ(st, FCONV_OK) << fconv_status_string(st);
    if (st != FCONV_OK) return false;
  } else {
    fconv_plan *p = nullptr;
    fconv_status st = fconv_plan_create(&p, &d);
    EXPECT_EQ(st, FCONV_OK) << "plan_create: " << fconv_status_string(st);
    if (st != FCONV_OK) return false;
    size_t shape[FCONV_MAX_RANK] = {0, 0, 0};
    EXPECT_EQ(fconv_plan_output_shape(p, shape), FCONV_OK);
    fconv_plan_info info;
    EXPECT_EQ(fconv_plan_get_info(p, &info), FCONV_OK);
    for (int a = 0; a < FCONV_MAX_RANK; a++) {
      EXPECT_EQ(shape[a], ref.shape[a]) << "output_shape axis " << a;
      EXPECT_EQ(info.output_shape[a], ref.shape[a]) << "info.output_shape axis " << a;
    }
    EXPECT_EQ(info.output_count, ref.count);
    EXPECT_EQ(info.swapped, ref.swapped ? 1 : 0);
    if (d.method != FCONV_METHOD_AUTO) {
      EXPECT_EQ(info.method, d.method);
    }
    if (d.backend != FCONV_BACKEND_AUTO) {
      EXPECT_EQ(info.backend, d.backend);
    }
    switch (c.way) {
    case kExecuteKernel: st = fconv_execute(p, x.data(), h.data(), y.data()); break;
    case kSetKernel:
      st = fconv_plan_set_kernel(p, h.data());
      if (st == FCONV_OK) st = fconv_execute(p, x.data(), nullptr, y.data());
      break;
    case kReplaceKernel:
      st = fconv_plan_set_kernel(p, other.data());
      if (st == FCONV_OK) st = fconv_plan_set_kernel(p, h.data());
      if (st == FCONV_OK) st = fconv_execute(p, x.data(), nullptr, y.data());
      break;
    case kOverrideKernel:
      st = fconv_plan_set_kernel(p, other.data());
      if (st == FCONV_OK) st = fconv_execute(p, x.data(), h.data(), y.data());
      break;
    }
    EXPECT_EQ(st, FCONV_OK) << fconv_status_string(st);
    EXPECT_EQ(fconv_plan_get_info(p, &info), FCONV_OK);
    EXPECT_NE(info.method, FCONV_METHOD_AUTO);
    EXPECT_NE(info.backend, FCONV_BACKEND_AUTO);
    fconv_plan_destroy(p);
    if (st != FCONV_OK) return false;
  }
  EXPECT_TRUE(x.same_bytes(x0)) << "the signal was modified";
  EXPECT_TRUE(h.same_bytes(h0)) << "the kernel was modified";
  EXPECT_TRUE(x.guards_intact() && h.guards_intact());
  EXPECT_TRUE(ft::matches_reference(y, ref));
  return !::testing::Test::HasFailure();
}

using Param = std::tuple<MethodBackend, fconv_dtype, int>;

class RandomVsReference : public ::testing::TestWithParam<Param> {};

// Every mode x op x boundary, kReps random cases each, for this method/backend, dtype, rank.
TEST_P(RandomVsReference, AllModesOpsBoundaries) {
  const MethodBackend mb = std::get<0>(GetParam());
  const fconv_dtype t = std::get<1>(GetParam());
  const int rank = std::get<2>(GetParam());
  FT_SKIP_IF_UNAVAILABLE(mb, t, rank);
  std::mt19937_64 g = ft::rng();
  const int kReps = rank == 1 ? 4 : 3;
  int cases = 0;
  for (int mode = FCONV_MODE_FULL; mode <= FCONV_MODE_PAD; mode++)
    for (int op = FCONV_OP_CONVOLVE; op <= FCONV_OP_CORRELATE; op++)
      for (int b = FCONV_BOUNDARY_ZERO; b <= FCONV_BOUNDARY_REPLICATE; b++)
        for (int rep = 0; rep < kReps; rep++) {
          const Case c = random_case(g, mb, t, rank, (fconv_mode)mode, (fconv_op)op,
                                     (fconv_boundary)b);
          cases++;
          if (!run_case(c, g)) {
            ADD_FAILURE() << "stopping " << ::testing::UnitTest::GetInstance()
                                                ->current_test_info()->name()
                          << " after the first failing case (" << cases << ")";
            return;
          }
        }
  EXPECT_EQ(cases, 4 * 2 * 5 * kReps);
  const double worst = ft::take_worst_ratio();
  std::cout << "[   info   ] " << cases << " cases; worst |err| / bound = " << worst << "\n";
  RecordProperty("worst_error_over_bound", std::to_string(worst));
}

std::string param_name(const ::testing::TestParamInfo<Param> &info) {
  return ft::name_of(std::get<0>(info.param)) + "_" + fconv_dtype_name(std::get<1>(info.param)) +
         "_r" + std::to_string(std::get<2>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Api, RandomVsReference,
                         ::testing::Combine(::testing::ValuesIn(ft::all_method_backends()),
                                            ::testing::ValuesIn(ft::kAllDtypes),
                                            ::testing::Values(1, 2, 3)),
                         param_name);

} // namespace
