// test_common.h — shared helpers of the API suites: seeded RNG, typed host arrays with guard
// bytes, comparisons against the reference with the suite's one accuracy bound, and the
// method x backend parameter list. Public API only (fconv.h), never internal headers.
#ifndef FCONV_TESTS_COMMON_H
#define FCONV_TESTS_COMMON_H

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fconv.h"
#include "reference.h"

namespace ft {

using reference::cld;

// ---- seeds -----------------------------------------------------------------------------------
// The base seed is FCONV_TEST_SEED when set (decimal), else drawn at random once per process.
// It is printed once per process ("FCONV_TEST_SEED=..."), and rng() derives each test's stream
// from it and the test's full name, so a failure reproduces with
//   FCONV_TEST_SEED=<printed> ./fconv_api_tests --gtest_filter=<test>
uint64_t base_seed();
std::mt19937_64 rng();
size_t uniform(std::mt19937_64 &g, size_t lo, size_t hi); // inclusive
bool coin(std::mt19937_64 &g, double p = 0.5);

// ---- dtypes ----------------------------------------------------------------------------------
size_t esize(fconv_dtype t);
bool is_complex(fconv_dtype t);
const fconv_dtype kAllDtypes[4] = {FCONV_F32, FCONV_F64, FCONV_C64, FCONV_C128};

// ---- arrays ----------------------------------------------------------------------------------
// A host array of n elements of dtype t, placed `offset` elements past a 64-byte boundary
// (element-aligned only: exercises unaligned SIMD loads/stores) between two guard zones that
// must stay untouched.
class Array {
public:
  Array(fconv_dtype t, size_t n, size_t offset = 0);
  fconv_dtype dtype() const { return t_; }
  size_t size() const { return n_; }
  void *data() { return n_ ? &buf_[base_] : &buf_[kGuard]; }
  const void *data() const { return n_ ? &buf_[base_] : &buf_[kGuard]; }
  cld get(size_t i) const;
  void set(size_t i, cld v);
  std::vector<cld> values() const;
  void set_values(const std::vector<cld> &v);
  void fill_random(std::mt19937_64 &g);    // uniform in [-1, 1) (both parts for complex)
  void fill_pattern(unsigned char byte);   // every payload byte = byte (a sentinel)
  bool all_bytes(unsigned char byte) const;
  bool guards_intact() const;
  bool same_bytes(const Array &o) const;

private:
  static constexpr size_t kGuard = 64;
  static constexpr unsigned char kGuardByte = 0xA5;
  fconv_dtype t_;
  size_t n_, base_;
  std::vector<unsigned char> buf_;
};

// ---- descriptions ----------------------------------------------------------------------------
fconv_desc make_desc(int rank, const size_t *n, const size_t *k, fconv_dtype t);
std::string describe(const fconv_desc &d); // one line, every field that matters
const char *mode_name(fconv_mode m);
const char *op_name(fconv_op o);
const char *boundary_name(fconv_boundary b);

// Elements of the arrays a description needs.
size_t signal_elems(const fconv_desc &d);
size_t kernel_elems(const fconv_desc &d);

// ---- comparisons -----------------------------------------------------------------------------
// Every element of output item i within reference::error_bound(dtype, ref.scale[i],
// ref.log2_len) of the reference, finite, and the guard zones intact.
::testing::AssertionResult matches_reference(const Array &got, const reference::Result &ref);
// Two library outputs of the same problem agree within twice that bound (each may err by one).
::testing::AssertionResult outputs_agree(const Array &a, const Array &b,
                                         const reference::Result &ref);
// The largest |err| / bound seen by the comparisons since the last call (then reset): how much
// of the accuracy bound a method uses (printed by the randomised suites).
double take_worst_ratio();
// Run the reference on the arrays' values; fails the calling test when it refuses d.
reference::Result reference_of(const fconv_desc &d, const Array &x, const Array &h);

// ---- method x backend parameters ---------------------------------------------------------------
struct MethodBackend {
  fconv_method method;
  fconv_backend backend;
};
// {DIRECT, FFT, OVERLAP_SAVE, AUTO} x {CPU, CUDA}, plus AUTO x AUTO.
std::vector<MethodBackend> all_method_backends();
std::string name_of(const MethodBackend &mb); // "direct_cpu", ...
std::ostream &operator<<(std::ostream &os, const MethodBackend &mb);

// Create a plan for a small problem of this dtype and rank with mb; FCONV_OK when the
// method/backend can run here, else the status (UNSUPPORTED / NO_DEVICE mean "skip").
fconv_status probe(const MethodBackend &mb, fconv_dtype t, int rank);

} // namespace ft

// Skip the current test (with the reason) when mb cannot run in this build/machine.
#define FT_SKIP_IF_UNAVAILABLE(mb, dtype, rank)                                                \
  do {                                                                                         \
    const fconv_status ft_st_ = ::ft::probe((mb), (dtype), (rank));                            \
    if (ft_st_ == FCONV_ERR_UNSUPPORTED || ft_st_ == FCONV_ERR_NO_DEVICE)                      \
      GTEST_SKIP() << ::ft::name_of(mb) << " not available: " << fconv_status_string(ft_st_);  \
    ASSERT_EQ(ft_st_, FCONV_OK) << "probe plan for " << ::ft::name_of(mb) << ": "              \
                                << fconv_status_string(ft_st_);                                \
  } while (0)

#endif
