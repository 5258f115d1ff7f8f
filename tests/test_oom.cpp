// test_oom.cpp — out-of-memory behaviour through the library's fault-injection hook: with the
// environment variable FCONV_FAIL_ALLOC_AFTER=N the library's allocation N+1 and every later
// one fail (a change of the value resets the count). For N = 0, 1, 2, ... until create +
// set_kernel + execute all succeed, every failure must be FCONV_ERR_OUT_OF_MEMORY, a failed
// create leaves *plan NULL, the plan stays destroyable, the output is untouched or fully
// written, and nothing leaks (the AddressSanitizer/LeakSanitizer build proves that part).
// It also proves that execute itself does not allocate: once create and set_kernel succeed
// under a limit, execute must succeed under the same limit. A second sweep fails only allocation
// N+1 (FCONV_FAIL_ALLOC_ONLY=1), so an ignored failure with allocations after it is caught.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "test_common.h"

namespace {

using ft::Array;
using ft::MethodBackend;

const char kVar[] = "FCONV_FAIL_ALLOC_AFTER";
const char kOnlyVar[] = "FCONV_FAIL_ALLOC_ONLY";

// Let the library observe an unset variable (so that the next value, even the same N as last
// time, is a change and resets its counter).
void library_sees_unset() {
  unsetenv(kVar);
  const size_t n = 4, k = 2;
  fconv_desc d = ft::make_desc(1, &n, &k, FCONV_F32);
  fconv_plan *p = nullptr;
  if (fconv_plan_create(&p, &d) == FCONV_OK) fconv_plan_destroy(p);
}

void fail_alloc_after(long n) {
  library_sees_unset();
  setenv(kVar, std::to_string(n).c_str(), 1);
}

struct EnvGuard {
  ~EnvGuard() {
    unsetenv(kOnlyVar);
    library_sees_unset();
  }
};

enum Way { kSetKernel, kExecuteKernel, kConvolve };

struct Config {
  const char *what;
  int rank;
  size_t n[3], k[3];
  fconv_dtype t;
  fconv_mode mode;
  fconv_op op;
  fconv_boundary b;
  size_t batch, kernel_batch;
  unsigned flags;
  int threads;
  Way way;
};

const Config kConfigs[] = {
    {"2-D f32 full, set_kernel", 2, {9, 11}, {3, 4}, FCONV_F32, FCONV_MODE_FULL,
     FCONV_OP_CONVOLVE, FCONV_BOUNDARY_ZERO, 1, 1, 0, 1, kSetKernel},
    {"1-D c128 swapped VALID correlate", 1, {5}, {13}, FCONV_C128, FCONV_MODE_VALID,
     FCONV_OP_CORRELATE, FCONV_BOUNDARY_ZERO, 1, 1, 0, 1, kExecuteKernel},
    {"1-D c128 swapped VALID correlate, set_kernel", 1, {5}, {13}, FCONV_C128, FCONV_MODE_VALID,
     FCONV_OP_CORRELATE, FCONV_BOUNDARY_ZERO, 2, 2, 0, 1, kSetKernel},
    {"3-D f64 pad wrap, batch 2", 3, {3, 4, 5}, {2, 2, 3}, FCONV_F64, FCONV_MODE_PAD,
     FCONV_OP_CONVOLVE, FCONV_BOUNDARY_WRAP, 2, 1, 0, 2, kSetKernel},
    {"2-D c64 same mirror filter bank, MEASURE", 2, {16, 16}, {3, 3}, FCONV_C64,
     FCONV_MODE_SAME, FCONV_OP_CORRELATE, FCONV_BOUNDARY_MIRROR, 1, 3, FCONV_FLAG_MEASURE, 2,
     kSetKernel},
    {"2-D f32 larger same, threads 2", 2, {48, 40}, {9, 7}, FCONV_F32, FCONV_MODE_SAME,
     FCONV_OP_CONVOLVE, FCONV_BOUNDARY_SYMMETRIC, 1, 1, 0, 2, kExecuteKernel},
    {"fconv_convolve 1-D f64 full", 1, {40}, {9}, FCONV_F64, FCONV_MODE_FULL,
     FCONV_OP_CONVOLVE, FCONV_BOUNDARY_REPLICATE, 1, 1, 0, 1, kConvolve},
};

class OutOfMemory : public ::testing::TestWithParam<MethodBackend> {};

TEST_P(OutOfMemory, EveryAllocationFailureIsReportedAndLeakFree) {
  const MethodBackend mb = GetParam();
  FT_SKIP_IF_UNAVAILABLE(mb, FCONV_F64, 2);
  EnvGuard guard;
  std::mt19937_64 g = ft::rng();
  for (const Config &c : kConfigs) {
    fconv_desc d = ft::make_desc(c.rank, c.n, c.k, c.t);
    d.mode = c.mode;
    d.op = c.op;
    d.boundary = c.b;
    d.batch = c.batch;
    d.kernel_batch = c.kernel_batch;
    d.flags = c.flags;
    d.threads = c.threads;
    d.method = mb.method;
    d.backend = mb.backend;
    if (c.mode == FCONV_MODE_PAD)
      for (int a = 0; a < c.rank; a++) {
        d.pad_before[a] = c.n[a] + 1; // longer than the signal
        d.pad_after[a] = 2;
      }
    SCOPED_TRACE(std::string(c.what) + ": " + ft::describe(d));
    Array x(c.t, ft::signal_elems(d)), h(c.t, ft::kernel_elems(d));
    x.fill_random(g);
    h.fill_random(g);
    const reference::Result ref = ft::reference_of(d, x, h);
    Array y(c.t, ref.y.size());

    long n = 0, failures = 0;
    bool done = false;
    for (; n <= 2000 && !done; n++) {
      fail_alloc_after(n);
      y.fill_pattern(0x5A);
      fconv_status st;
      if (c.way == kConvolve) {
        st = fconv_convolve(&d, x.data(), h.data(), y.data());
        if (st == FCONV_OK) {
          done = true;
          break;
        }
      } else {
        fconv_plan *p = reinterpret_cast<fconv_plan *>(&n); // junk: must become NULL
        st = fconv_plan_create(&p, &d);
        if (st != FCONV_OK) {
          EXPECT_EQ(p, nullptr) << "N=" << n << ": failed create left *plan set";
        } else {
          if (c.way == kSetKernel) st = fconv_plan_set_kernel(p, h.data());
          if (st == FCONV_OK) {
            // create and set_kernel succeeded under this limit: execute must not allocate.
            st = fconv_execute(p, x.data(), c.way == kSetKernel ? nullptr : h.data(), y.data());
            EXPECT_EQ(st, FCONV_OK) << "N=" << n << ": execute failed (\""
                                    << fconv_status_string(st)
                                    << "\") where create and set_kernel succeeded: execute "
                                       "must not allocate";
            if (st == FCONV_OK) done = true;
          }
          fconv_plan_destroy(p); // destroyable whatever failed
          if (done) break;
        }
      }
      failures++;
      EXPECT_EQ(st, FCONV_ERR_OUT_OF_MEMORY) << "N=" << n << ": " << fconv_status_string(st);
      EXPECT_TRUE(y.all_bytes(0x5A) || ft::matches_reference(y, ref))
          << "N=" << n << ": a failed call left the output half-written";
      EXPECT_TRUE(y.guards_intact());
      if (::testing::Test::HasFailure()) break;
    }
    library_sees_unset();
    ASSERT_TRUE(done) << "never succeeded, up to N=" << n;
    EXPECT_TRUE(ft::matches_reference(y, ref)) << "result after the sweep";
    EXPECT_GT(failures, 0) << "the hook never made an allocation fail (is it still wired?)";

    // Second sweep: only allocation N+1 fails, the later ones succeed. A failure the library
    // ignored would now be followed by work on a NULL buffer: every call must either report
    // FCONV_ERR_OUT_OF_MEMORY cleanly or succeed with the exact result.
    setenv(kOnlyVar, "1", 1);
    for (long m = 0; m < failures; m++) {
      fail_alloc_after(m);
      y.fill_pattern(0x5A);
      fconv_status st;
      if (c.way == kConvolve) {
        st = fconv_convolve(&d, x.data(), h.data(), y.data());
      } else {
        fconv_plan *p = nullptr;
        st = fconv_plan_create(&p, &d);
        if (st == FCONV_OK && c.way == kSetKernel) st = fconv_plan_set_kernel(p, h.data());
        if (st == FCONV_OK)
          st = fconv_execute(p, x.data(), c.way == kSetKernel ? nullptr : h.data(), y.data());
        fconv_plan_destroy(p);
      }
      if (st == FCONV_OK) {
        EXPECT_TRUE(ft::matches_reference(y, ref)) << "only N=" << m << ": wrong result";
      } else {
        EXPECT_EQ(st, FCONV_ERR_OUT_OF_MEMORY) << "only N=" << m << ": "
                                               << fconv_status_string(st);
        EXPECT_TRUE(y.all_bytes(0x5A) || ft::matches_reference(y, ref))
            << "only N=" << m << ": a failed call left the output half-written";
      }
      EXPECT_TRUE(y.guards_intact());
      if (::testing::Test::HasFailure()) break;
    }
    unsetenv(kOnlyVar);
    library_sees_unset();
    std::cout << "[   info   ] " << c.what << ": " << failures << " failing allocation points\n";
  }
}

INSTANTIATE_TEST_SUITE_P(Api, OutOfMemory, ::testing::ValuesIn(ft::all_method_backends()),
                         [](const ::testing::TestParamInfo<MethodBackend> &i) {
                           return ft::name_of(i.param);
                         });

} // namespace
