// test_bad_input.cpp — every bad-input probe of DESIGN.md "Bad input", one test each. Each
// asserts the exact status, that fconv_status_string explains it (non-empty), that a failed
// create leaves *plan NULL (it is set to junk first), and that fconv_convolve with the same
// description fails the same way without touching the output buffer.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>

#include "c_probes.h"
#include "test_common.h"

namespace {

using ft::Array;

constexpr size_t kMax = SIZE_MAX;

// The failed call's detail (fconv_last_error, read right after it on this thread) starts with
// the public function's name and contains `what` (the field and value, or the reason; "" when
// the test only knows the function).
void expect_detail(const std::string &function, const std::string &what) {
  const char *raw = fconv_last_error();
  ASSERT_NE(raw, nullptr);
  const std::string detail = raw;
  EXPECT_EQ(detail.rfind(function + ": ", 0), 0u) << "fconv_last_error() = \"" << detail
                                                  << "\", expected it to start with " << function;
  EXPECT_NE(detail.find(what), std::string::npos)
      << "fconv_last_error() = \"" << detail << "\", expected it to name \"" << what << "\"";
}

// got == want, fconv_status_string explains it, and fconv_last_error names `function: what`.
void expect_status(fconv_status got, fconv_status want, const std::string &function,
                   const std::string &what) {
  EXPECT_EQ(got, want) << "got \"" << fconv_status_string(got) << "\"";
  const char *msg = fconv_status_string(got);
  ASSERT_NE(msg, nullptr);
  EXPECT_GT(std::strlen(msg), 0u);
  expect_detail(function, what);
}

fconv_plan *junk_plan() { // a non-NULL value a failed create must overwrite with NULL
  static int junk;
  return reinterpret_cast<fconv_plan *>(&junk);
}

class BadInput : public ::testing::Test {
protected:
  // A valid base: 2-D, 8x8 signal, 3x3 kernel, f32, FULL.
  const size_t n_[2] = {8, 8}, k_[2] = {3, 3};
  fconv_desc d_ = ft::make_desc(2, n_, k_, FCONV_F32);
  Array x_{FCONV_F32, 64}, h_{FCONV_F32, 64}, y_{FCONV_F32, 256};

  void SetUp() override {
    std::mt19937_64 g(7);
    x_.fill_random(g);
    h_.fill_random(g);
    fconv_plan *p = nullptr; // the base itself is valid
    ASSERT_EQ(fconv_plan_create(&p, &d_), FCONV_OK);
    fconv_plan_destroy(p);
  }

  // create fails with want, *plan is NULL afterwards, destroy(NULL) is fine, and
  // fconv_convolve fails the same way leaving the output untouched.
  void expect_create_fails(const fconv_desc &d, fconv_status want, const std::string &what) {
    fconv_plan *p = junk_plan();
    expect_status(fconv_plan_create(&p, &d), want, "fconv_plan_create", what);
    EXPECT_EQ(p, nullptr) << "a failed create must leave *plan NULL";
    if (p != nullptr && p != junk_plan()) {
      fconv_plan_destroy(p); // created after all (the library accepted bad input)
      return;
    }
    fconv_plan_destroy(p);
    if (p != nullptr) return;
    y_.fill_pattern(0x5A);
    expect_status(fconv_convolve(&d, x_.data(), h_.data(), y_.data()), want, "fconv_convolve",
                  what);
    EXPECT_TRUE(y_.all_bytes(0x5A)) << "a failed fconv_convolve wrote to the output";
    EXPECT_TRUE(y_.guards_intact());
  }
  void expect_invalid(const fconv_desc &d, const std::string &what) {
    expect_create_fails(d, FCONV_ERR_INVALID_ARGUMENT, what);
  }

  // Each value stored into the enum field (from C: see c_probes.c) is rejected.
  void expect_enum_rejected(ft_enum_field field, std::initializer_list<int> values) {
    static const char *const names[] = {"dtype", "mode", "op", "boundary", "method", "backend"};
    for (int v : values) {
      fconv_desc d = d_;
      ft_set_enum_field(&d, field, v);
      SCOPED_TRACE(v);
      expect_invalid(d, std::string("desc->") + names[field] + " = " + std::to_string(v) + ":");
    }
  }

  fconv_plan *make_plan() {
    fconv_plan *p = nullptr;
    EXPECT_EQ(fconv_plan_create(&p, &d_), FCONV_OK);
    return p;
  }
};

// ---- NULL pointers ------------------------------------------------------------------------------

TEST_F(BadInput, CreateWithNullPlanPointer) {
  expect_status(fconv_plan_create(nullptr, &d_), FCONV_ERR_INVALID_ARGUMENT, "fconv_plan_create", "plan is NULL");
}

TEST_F(BadInput, CreateWithNullDesc) {
  fconv_plan *p = junk_plan();
  expect_status(fconv_plan_create(&p, nullptr), FCONV_ERR_INVALID_ARGUMENT, "fconv_plan_create", "desc is NULL");
  EXPECT_EQ(p, nullptr);
}

TEST_F(BadInput, ConvolveWithNullDesc) {
  y_.fill_pattern(0x5A);
  expect_status(fconv_convolve(nullptr, x_.data(), h_.data(), y_.data()),
                FCONV_ERR_INVALID_ARGUMENT, "fconv_convolve", "desc is NULL");
  EXPECT_TRUE(y_.all_bytes(0x5A));
}

TEST_F(BadInput, ConvolveWithNullSignal) {
  y_.fill_pattern(0x5A);
  expect_status(fconv_convolve(&d_, nullptr, h_.data(), y_.data()), FCONV_ERR_INVALID_ARGUMENT, "fconv_convolve", "signal is NULL");
  EXPECT_TRUE(y_.all_bytes(0x5A));
}

TEST_F(BadInput, ConvolveWithNullKernel) {
  y_.fill_pattern(0x5A);
  expect_status(fconv_convolve(&d_, x_.data(), nullptr, y_.data()), FCONV_ERR_INVALID_ARGUMENT, "fconv_convolve", "kernel is NULL");
  EXPECT_TRUE(y_.all_bytes(0x5A));
}

TEST_F(BadInput, ConvolveWithNullOut) {
  expect_status(fconv_convolve(&d_, x_.data(), h_.data(), nullptr), FCONV_ERR_INVALID_ARGUMENT, "fconv_convolve", "out is NULL");
}

TEST_F(BadInput, ExecuteWithNullPlan) {
  y_.fill_pattern(0x5A);
  expect_status(fconv_execute(nullptr, x_.data(), h_.data(), y_.data()),
                FCONV_ERR_INVALID_ARGUMENT, "fconv_execute", "plan is NULL");
  EXPECT_TRUE(y_.all_bytes(0x5A));
}

TEST_F(BadInput, ExecuteWithNullSignal) {
  fconv_plan *p = make_plan();
  y_.fill_pattern(0x5A);
  expect_status(fconv_execute(p, nullptr, h_.data(), y_.data()), FCONV_ERR_INVALID_ARGUMENT, "fconv_execute", "signal is NULL");
  EXPECT_TRUE(y_.all_bytes(0x5A));
  fconv_plan_destroy(p);
}

TEST_F(BadInput, ExecuteWithNullOut) {
  fconv_plan *p = make_plan();
  expect_status(fconv_execute(p, x_.data(), h_.data(), nullptr), FCONV_ERR_INVALID_ARGUMENT, "fconv_execute", "out is NULL");
  fconv_plan_destroy(p);
}

TEST_F(BadInput, ExecuteWithNullKernelWhenNoneWasSet) {
  fconv_plan *p = make_plan();
  y_.fill_pattern(0x5A);
  expect_status(fconv_execute(p, x_.data(), nullptr, y_.data()), FCONV_ERR_INVALID_ARGUMENT, "fconv_execute", "kernel is NULL");
  EXPECT_TRUE(y_.all_bytes(0x5A));
  // A failed set_kernel(NULL) does not count as setting one either.
  expect_status(fconv_plan_set_kernel(p, nullptr), FCONV_ERR_INVALID_ARGUMENT, "fconv_plan_set_kernel", "kernel is NULL");
  expect_status(fconv_execute(p, x_.data(), nullptr, y_.data()), FCONV_ERR_INVALID_ARGUMENT, "fconv_execute", "kernel is NULL");
  EXPECT_TRUE(y_.all_bytes(0x5A));
  fconv_plan_destroy(p);
}

TEST_F(BadInput, ExecuteWithNullKernelOnSwappedValidPlanWhenNoneWasSet) {
  const size_t n = 3, k = 9;
  fconv_desc d = ft::make_desc(1, &n, &k, FCONV_F64);
  d.mode = FCONV_MODE_VALID;
  d.op = FCONV_OP_CORRELATE;
  fconv_plan *p = nullptr;
  ASSERT_EQ(fconv_plan_create(&p, &d), FCONV_OK);
  Array x(FCONV_F64, 3), y(FCONV_F64, 7);
  y.fill_pattern(0x5A);
  expect_status(fconv_execute(p, x.data(), nullptr, y.data()), FCONV_ERR_INVALID_ARGUMENT, "fconv_execute", "kernel is NULL");
  EXPECT_TRUE(y.all_bytes(0x5A));
  fconv_plan_destroy(p);
}

// ---- out overlapping an input (fconv.h: in-place is not supported) ------------------------------

// One buffer holds both arrays; out starts `out_at` elements after the input, which starts at 0.
// The base plan's out is 10x10 = 100 elements; its signal 64, its kernel 9.
TEST_F(BadInput, ExecuteWithOutOverlappingTheSignal) {
  fconv_plan *p = make_plan();
  for (size_t out_at : {size_t(0), size_t(1), size_t(63)}) {
    SCOPED_TRACE(out_at);
    Array buf(FCONV_F32, 200);
    buf.fill_pattern(0x5A);
    char *b = static_cast<char *>(buf.data());
    expect_status(fconv_execute(p, b, h_.data(), b + 4 * out_at), FCONV_ERR_INVALID_ARGUMENT, "fconv_execute", "out overlaps signal");
    EXPECT_TRUE(buf.all_bytes(0x5A)) << "a refused execute wrote to out";
  }
  // out ending where the signal begins: adjacent, not overlapping.
  Array buf(FCONV_F32, 200);
  buf.fill_pattern(0x5A);
  char *b = static_cast<char *>(buf.data());
  std::memcpy(b + 4 * 100, x_.data(), 4 * 64);
  EXPECT_EQ(fconv_execute(p, b + 4 * 100, h_.data(), b), FCONV_OK);
  fconv_plan_destroy(p);
}

TEST_F(BadInput, ExecuteWithOutOverlappingTheKernel) {
  fconv_plan *p = make_plan();
  Array buf(FCONV_F32, 200);
  buf.fill_pattern(0x5A);
  char *b = static_cast<char *>(buf.data());
  std::memcpy(b, h_.data(), 4 * 9);
  expect_status(fconv_execute(p, x_.data(), b, b + 4 * 8), FCONV_ERR_INVALID_ARGUMENT, "fconv_execute", "out overlaps kernel");
  EXPECT_EQ(std::memcmp(b, h_.data(), 4 * 9), 0);
  EXPECT_TRUE(std::all_of(b + 4 * 9, b + 4 * 200, [](char c) { return c == 0x5A; }));
  // Right after the kernel: accepted, and the same result as with separate buffers.
  ASSERT_EQ(fconv_execute(p, x_.data(), b, b + 4 * 9), FCONV_OK);
  ASSERT_EQ(fconv_execute(p, x_.data(), h_.data(), y_.data()), FCONV_OK);
  EXPECT_EQ(std::memcmp(b + 4 * 9, y_.data(), 4 * 100), 0);
  // Inputs may overlap each other (both are only read).
  EXPECT_EQ(fconv_execute(p, x_.data(), x_.data(), y_.data()), FCONV_OK);
  fconv_plan_destroy(p);
}

TEST_F(BadInput, ConvolveWithOutOverlappingTheSignal) {
  Array buf(FCONV_F32, 200);
  buf.fill_pattern(0x5A);
  expect_status(fconv_convolve(&d_, buf.data(), h_.data(), buf.data()),
                FCONV_ERR_INVALID_ARGUMENT, "fconv_convolve", "out overlaps signal");
  EXPECT_TRUE(buf.all_bytes(0x5A));
}

TEST_F(BadInput, SetKernelWithNullPlan) {
  expect_status(fconv_plan_set_kernel(nullptr, h_.data()), FCONV_ERR_INVALID_ARGUMENT, "fconv_plan_set_kernel", "plan is NULL");
}

TEST_F(BadInput, SetKernelWithNullKernel) {
  fconv_plan *p = make_plan();
  expect_status(fconv_plan_set_kernel(p, nullptr), FCONV_ERR_INVALID_ARGUMENT, "fconv_plan_set_kernel", "kernel is NULL");
  fconv_plan_destroy(p);
}

TEST_F(BadInput, OutputShapeWithNullPlan) {
  size_t s[FCONV_MAX_RANK] = {7, 7, 7};
  expect_status(fconv_plan_output_shape(nullptr, s), FCONV_ERR_INVALID_ARGUMENT, "fconv_plan_output_shape", "plan is NULL");
  EXPECT_EQ(s[0], 7u);
}

TEST_F(BadInput, OutputShapeWithNullShape) {
  fconv_plan *p = make_plan();
  expect_status(fconv_plan_output_shape(p, nullptr), FCONV_ERR_INVALID_ARGUMENT, "fconv_plan_output_shape", "shape is NULL");
  fconv_plan_destroy(p);
}

TEST_F(BadInput, GetInfoWithNullPlan) {
  fconv_plan_info info;
  expect_status(fconv_plan_get_info(nullptr, &info), FCONV_ERR_INVALID_ARGUMENT, "fconv_plan_get_info", "plan is NULL");
}

TEST_F(BadInput, GetInfoWithNullInfo) {
  fconv_plan *p = make_plan();
  expect_status(fconv_plan_get_info(p, nullptr), FCONV_ERR_INVALID_ARGUMENT, "fconv_plan_get_info", "info is NULL");
  fconv_plan_destroy(p);
}

TEST_F(BadInput, WorkspaceSizeWithNullPlanOrNullBytes) {
  size_t bytes = 0;
  expect_status(fconv_plan_workspace_size(nullptr, &bytes), FCONV_ERR_INVALID_ARGUMENT, "fconv_plan_workspace_size", "plan is NULL");
  fconv_plan *p = make_plan();
  expect_status(fconv_plan_workspace_size(p, nullptr), FCONV_ERR_INVALID_ARGUMENT, "fconv_plan_workspace_size", "bytes is NULL");
  fconv_plan_destroy(p);
}

TEST_F(BadInput, CudaControlsWithNullPlan) {
  expect_status(fconv_plan_set_cuda_stream(nullptr, nullptr), FCONV_ERR_INVALID_ARGUMENT, "fconv_plan_set_cuda_stream", "plan is NULL");
  expect_status(fconv_plan_set_workspace(nullptr, nullptr, 0), FCONV_ERR_INVALID_ARGUMENT, "fconv_plan_set_workspace", "plan is NULL");
}

TEST_F(BadInput, CudaControlsOnCpuPlanAreUnsupported) {
  d_.backend = FCONV_BACKEND_CPU;
  fconv_plan *p = make_plan();
  expect_status(fconv_plan_set_cuda_stream(p, nullptr), FCONV_ERR_UNSUPPORTED, "fconv_plan_set_cuda_stream", "not a CUDA plan");
  char ws[256];
  expect_status(fconv_plan_set_workspace(p, ws, sizeof ws), FCONV_ERR_UNSUPPORTED, "fconv_plan_set_workspace", "CPU plans keep their own workspace");
  fconv_plan_destroy(p);
}

TEST_F(BadInput, DescInitWithNullDescIsANoOp) {
  fconv_desc_init(nullptr, 2, n_, k_, FCONV_F32); // must not crash
  SUCCEED();
}

TEST_F(BadInput, DescInitWithNullShapesLeavesZeroExtents) {
  fconv_desc d;
  fconv_desc_init(&d, 2, nullptr, nullptr, FCONV_F32);
  EXPECT_EQ(d.signal_shape[0], 0u);
  EXPECT_EQ(d.kernel_shape[1], 0u);
  expect_invalid(d, "desc->signal_shape[0] = 0");
}

// ---- rank, extents, batches, strides ------------------------------------------------------------

TEST_F(BadInput, RankZero) {
  d_.rank = 0;
  expect_invalid(d_, "desc->rank = 0");
}

TEST_F(BadInput, RankFour) {
  d_.rank = 4;
  expect_invalid(d_, "desc->rank = 4");
}

TEST_F(BadInput, RankNegative) {
  d_.rank = -1;
  expect_invalid(d_, "desc->rank = -1");
}

TEST_F(BadInput, ZeroSignalExtent) {
  for (int a = 0; a < 2; a++) {
    fconv_desc d = d_;
    d.signal_shape[a] = 0;
    SCOPED_TRACE(a);
    expect_invalid(d, "desc->signal_shape[");
  }
}

TEST_F(BadInput, ZeroKernelExtent) {
  for (int a = 0; a < 2; a++) {
    fconv_desc d = d_;
    d.kernel_shape[a] = 0;
    SCOPED_TRACE(a);
    expect_invalid(d, "desc->kernel_shape[");
  }
}

TEST_F(BadInput, ZeroBatch) {
  d_.batch = 0;
  expect_invalid(d_, "desc->batch = 0");
}

TEST_F(BadInput, ZeroKernelBatch) {
  d_.kernel_batch = 0;
  expect_invalid(d_, "desc->kernel_batch = 0");
}

TEST_F(BadInput, KernelBatchNeitherOneNorBatch) {
  d_.batch = 3;
  d_.kernel_batch = 2;
  expect_invalid(d_, "desc->kernel_batch = ");
  d_.batch = 2;
  d_.kernel_batch = 3;
  expect_invalid(d_, "desc->kernel_batch = ");
}

TEST_F(BadInput, StrideZero) {
  for (int a = 0; a < 2; a++) {
    fconv_desc d = d_;
    d.stride[a] = 0;
    SCOPED_TRACE(a);
    expect_invalid(d, "desc->stride[");
  }
}

// ---- enums and flags ----------------------------------------------------------------------------

TEST_F(BadInput, DtypeOutOfRange) {
  expect_enum_rejected(FT_FIELD_DTYPE, {4, 5, -1, 1000, INT_MAX, INT_MIN});
}

TEST_F(BadInput, ModeOutOfRange) { expect_enum_rejected(FT_FIELD_MODE, {4, -1, 77, INT_MIN}); }

TEST_F(BadInput, OpOutOfRange) { expect_enum_rejected(FT_FIELD_OP, {2, -1, 1 << 20}); }

TEST_F(BadInput, BoundaryOutOfRange) {
  expect_enum_rejected(FT_FIELD_BOUNDARY, {5, 6, -1, INT_MAX});
}

TEST_F(BadInput, MethodOutOfRange) { expect_enum_rejected(FT_FIELD_METHOD, {4, -1, 99}); }

TEST_F(BadInput, BackendOutOfRange) { expect_enum_rejected(FT_FIELD_BACKEND, {3, -1, 42}); }

TEST_F(BadInput, UnknownFlags) {
  for (unsigned f : {1u << 5, 1u << 7, 1u << 31, ~0u, FCONV_FLAG_MEASURE | (1u << 12)}) {
    fconv_desc d = d_;
    d.flags = f;
    SCOPED_TRACE(f);
    expect_invalid(d, "desc->flags = ");
  }
}

TEST_F(BadInput, NegativeThreads) {
  for (int v : {-1, -8, INT_MIN}) {
    fconv_desc d = d_;
    d.threads = v;
    SCOPED_TRACE(v);
    expect_invalid(d, "desc->threads = ");
  }
}

// ---- counts that overflow size_t ----------------------------------------------------------------

TEST_F(BadInput, SignalElementCountOverflows) {
  const size_t n[3] = {size_t(1) << 22, size_t(1) << 22, size_t(1) << 22}, k[3] = {1, 1, 1};
  expect_invalid(ft::make_desc(3, n, k, FCONV_F32), "desc->signal_shape"); // 2^66 elements
}

TEST_F(BadInput, KernelElementCountOverflows) {
  const size_t n[3] = {2, 2, 2}, k[3] = {size_t(1) << 30, size_t(1) << 30, size_t(1) << 5};
  expect_invalid(ft::make_desc(3, n, k, FCONV_F32), "desc->kernel_shape"); // 2^65 elements
}

TEST_F(BadInput, SignalElementCountOverflowsWithATinyOutput) {
  // VALID with a one-tap kernel and huge strides: the output is 1x1x1, only the signal's
  // element count (2^66) overflows.
  const size_t big = size_t(1) << 22;
  const size_t n[3] = {big, big, big}, k[3] = {1, 1, 1};
  fconv_desc d = ft::make_desc(3, n, k, FCONV_F32);
  d.mode = FCONV_MODE_VALID;
  d.stride[0] = d.stride[1] = d.stride[2] = big;
  expect_invalid(d, "desc->signal_shape");
}

TEST_F(BadInput, KernelElementCountOverflowsWithATinyOutput) {
  // VALID swaps (the kernel is the larger operand); strides make the output 1x1x1, so only the
  // kernel's element count (2^66) overflows.
  const size_t big = size_t(1) << 22;
  const size_t n[3] = {2, 2, 2}, k[3] = {big, big, big};
  fconv_desc d = ft::make_desc(3, n, k, FCONV_F32);
  d.mode = FCONV_MODE_VALID;
  d.stride[0] = d.stride[1] = d.stride[2] = big;
  expect_invalid(d, "desc->kernel_shape");
}

TEST_F(BadInput, SignalByteCountOverflows) {
  const size_t n = kMax / 8, k = 1; // the element count fits, 16 bytes each do not
  expect_invalid(ft::make_desc(1, &n, &k, FCONV_C128), "desc->signal_shape");
}

TEST_F(BadInput, KernelByteCountOverflows) {
  const size_t n[2] = {4, 4}, k[2] = {size_t(1) << 31, size_t(1) << 31}; // 2^62 x 8 bytes
  fconv_desc d = ft::make_desc(2, n, k, FCONV_C64);
  expect_invalid(d, "desc->kernel_shape");
}

TEST_F(BadInput, BatchTimesSignalOverflows) {
  const size_t n = size_t(1) << 20, k = 3;
  fconv_desc d = ft::make_desc(1, &n, &k, FCONV_F32);
  d.batch = size_t(1) << 45; // 2^65 elements
  expect_invalid(d, "desc->batch");
}

TEST_F(BadInput, KernelBatchTimesKernelOverflows) {
  const size_t n = 16, k = 4;
  fconv_desc d = ft::make_desc(1, &n, &k, FCONV_F64);
  d.kernel_batch = kMax / 2; // filter bank: batch 1, any kernel_batch; 2^65 elements
  expect_invalid(d, "desc->kernel_batch");
}

TEST_F(BadInput, PaddedExtentOverflows) {
  const size_t n = 8, k = 3;
  fconv_desc d = ft::make_desc(1, &n, &k, FCONV_F32);
  d.mode = FCONV_MODE_PAD;
  d.pad_before[0] = kMax - 2; // N + P0 wraps around
  d.pad_after[0] = 1;
  expect_invalid(d, "desc->pad_before");
  d.pad_before[0] = kMax / 2 + 1; // P0 + P1 wraps around
  d.pad_after[0] = kMax / 2 + 1;
  expect_invalid(d, "desc->pad_before");
}

TEST_F(BadInput, OutputCountOverflowsAcrossAxes) {
  // Every input fits (2^42 + 2^21 elements); the FULL output is ~2^63 elements of 4 bytes.
  const size_t n[3] = {size_t(1) << 21, size_t(1) << 21, 1}, k[3] = {1, 1, size_t(1) << 21};
  expect_invalid(ft::make_desc(3, n, k, FCONV_F32), "overflow");
}

TEST_F(BadInput, OutputCountOverflowsWithPadding) {
  const size_t n[2] = {4, 4}, k[2] = {1, 1};
  fconv_desc d = ft::make_desc(2, n, k, FCONV_F64);
  d.mode = FCONV_MODE_PAD;
  d.pad_before[0] = d.pad_before[1] = size_t(1) << 33; // 2^68 outputs
  expect_invalid(d, "overflow");
}

TEST_F(BadInput, OutputCountOverflowsWithFilterBank) {
  // Inputs fit: a 2^30-sample signal and 2^40 one-tap kernels; outputs: 2^70 elements.
  const size_t n = size_t(1) << 30, k = 1;
  fconv_desc d = ft::make_desc(1, &n, &k, FCONV_F32);
  d.kernel_batch = size_t(1) << 40;
  expect_invalid(d, "overflow");
}

// ---- inconsistent descriptions ------------------------------------------------------------------

TEST_F(BadInput, ValidWithCrossedShapes) {
  const size_t n[2] = {4, 6}, k[2] = {5, 3};
  fconv_desc d = ft::make_desc(2, n, k, FCONV_F32);
  d.mode = FCONV_MODE_VALID;
  expect_invalid(d, "desc->mode = VALID");
  const size_t n3[3] = {5, 5, 5}, k3[3] = {2, 2, 6}; // crossed on the last axis only
  fconv_desc e = ft::make_desc(3, n3, k3, FCONV_C64);
  e.mode = FCONV_MODE_VALID;
  e.op = FCONV_OP_CORRELATE;
  expect_invalid(e, "desc->mode = VALID");
}

TEST_F(BadInput, PadWindowShorterThanKernel) {
  const size_t n = 3, k = 7;
  fconv_desc d = ft::make_desc(1, &n, &k, FCONV_F32);
  d.mode = FCONV_MODE_PAD;
  d.pad_before[0] = 1;
  d.pad_after[0] = 2; // 3 + 1 + 2 = 6 < 7
  expect_invalid(d, "desc->pad_before + desc->pad_after");
  d.pad_after[0] = 3; // 7 == 7: one output, valid
  fconv_plan *p = nullptr;
  EXPECT_EQ(fconv_plan_create(&p, &d), FCONV_OK);
  size_t s[FCONV_MAX_RANK];
  EXPECT_EQ(fconv_plan_output_shape(p, s), FCONV_OK);
  EXPECT_EQ(s[0], 1u);
  fconv_plan_destroy(p);
}

TEST_F(BadInput, PadWindowShorterThanKernelOnOneAxis) {
  const size_t n[2] = {6, 3}, k[2] = {3, 7};
  fconv_desc d = ft::make_desc(2, n, k, FCONV_F64);
  d.mode = FCONV_MODE_PAD;
  d.pad_before[0] = 4; // axis 0 is fine, axis 1: 3 + 0 + 3 < 7
  d.pad_after[1] = 3;
  expect_invalid(d, "axis 1: desc->pad_before + desc->pad_after");
}

TEST_F(BadInput, DevicePointersWithCpuBackend) {
  d_.flags = FCONV_FLAG_DEVICE_POINTERS;
  d_.backend = FCONV_BACKEND_CPU;
  expect_invalid(d_, "FCONV_FLAG_DEVICE_POINTERS");
}

TEST_F(BadInput, CudaBackendWithoutDevice) {
  if (fconv_cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  d_.backend = FCONV_BACKEND_CUDA;
  fconv_plan *p = junk_plan();
  const fconv_status st = fconv_plan_create(&p, &d_);
  // NO_DEVICE in a CUDA build without a usable device, UNSUPPORTED in a CPU-only build.
  EXPECT_TRUE(st == FCONV_ERR_NO_DEVICE || st == FCONV_ERR_UNSUPPORTED)
      << "got " << st << ": " << fconv_status_string(st);
  expect_detail("fconv_plan_create", "");
  EXPECT_EQ(p, nullptr);
  EXPECT_GT(std::strlen(fconv_status_string(st)), 0u);
}

TEST_F(BadInput, DevicePointersWithoutDevice) {
  if (fconv_cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  d_.flags = FCONV_FLAG_DEVICE_POINTERS; // backend AUTO: device pointers need CUDA
  fconv_plan *p = junk_plan();
  const fconv_status st = fconv_plan_create(&p, &d_);
  EXPECT_TRUE(st == FCONV_ERR_NO_DEVICE || st == FCONV_ERR_UNSUPPORTED)
      << "got " << st << ": " << fconv_status_string(st);
  expect_detail("fconv_plan_create", "");
  EXPECT_EQ(p, nullptr);
}

TEST_F(BadInput, CudaMethodsWithoutDevice) {
  if (fconv_cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  for (int m = FCONV_METHOD_AUTO; m <= FCONV_METHOD_OVERLAP_SAVE; m++) {
    fconv_desc d = d_;
    d.backend = FCONV_BACKEND_CUDA;
    d.method = (fconv_method)m;
    fconv_plan *p = junk_plan();
    const fconv_status st = fconv_plan_create(&p, &d);
    EXPECT_TRUE(st == FCONV_ERR_NO_DEVICE || st == FCONV_ERR_UNSUPPORTED) << "method " << m;
    EXPECT_EQ(p, nullptr);
  }
}

// ---- lifecycle ----------------------------------------------------------------------------------

TEST_F(BadInput, DestroyNullIsANoOp) {
  fconv_plan_destroy(nullptr);
  fconv_plan_destroy(nullptr);
  SUCCEED();
}

TEST_F(BadInput, DestroyAfterFailedCreateIsSafe) {
  d_.rank = 0;
  fconv_plan *p = junk_plan();
  EXPECT_EQ(fconv_plan_create(&p, &d_), FCONV_ERR_INVALID_ARGUMENT);
  ASSERT_EQ(p, nullptr);
  fconv_plan_destroy(p);
}

TEST_F(BadInput, HugeButValidProblemFailsCleanlyOrPlans) {
  // Valid, but its extended window is ~2^56 bytes: create may plan without allocating it or
  // report FCONV_ERR_OUT_OF_MEMORY; it must not crash, and must leave *plan NULL on failure.
  const size_t n = 4, k = 3;
  fconv_desc d = ft::make_desc(1, &n, &k, FCONV_F64);
  d.mode = FCONV_MODE_PAD;
  d.pad_before[0] = size_t(1) << 53;
  d.method = FCONV_METHOD_DIRECT;
  d.backend = FCONV_BACKEND_CPU;
  fconv_plan *p = junk_plan();
  const fconv_status st = fconv_plan_create(&p, &d);
  EXPECT_TRUE(st == FCONV_OK || st == FCONV_ERR_OUT_OF_MEMORY) << fconv_status_string(st);
  if (st != FCONV_OK) {
    EXPECT_EQ(p, nullptr);
  }
  if (st == FCONV_OK) fconv_plan_destroy(p);
}

} // namespace
