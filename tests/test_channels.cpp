// test_channels.cpp — multi-channel (CNN layer) problems and dilation (fconv_desc_set_channels,
// fconv_desc_set_dilation) through the public API:
//  - random cases over rank x dtype x mode x op x boundary x stride x groups x dilation x batch x
//    call way, per method on the CPU, against the independent reference (seed printed);
//  - properties: linearity in each input channel; the impulse response of every channel pair;
//  - dilation alone on plain problems, every method (the zero-stuffed kernel);
//  - bad input and the 0.1 descriptor ABI (extension ignored without the flag);
//  - the cost model's choice for a small and a large kernel;
//  - the Winograd path (AUTO; 3x3 stride 1, and other kernels and strides as 3x3 blocks): random
//    layers within its bound, when AUTO takes it
//    and when it declines.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>

#include "channel_cases.h"
#include "reference.h"
#include "test_common.h"

namespace {

using ft::Array;
using ft::ChCase;
using ft::output_elems;
using ft::random_channel_case;
using ft::run_case;

// Runs body(isa) once per instruction set this CPU runs (FCONV_ISA caps the one plans pick),
// restoring FCONV_ISA afterwards.
template <class F> void for_every_isa(F body) {
  const char *prev = getenv("FCONV_ISA");
  const std::string saved = prev ? prev : "";
  for (const char *isa : {"generic", "avx2", "avx512"}) {
    setenv("FCONV_ISA", isa, 1);
    SCOPED_TRACE(std::string("FCONV_ISA=") + isa);
    body();
  }
  if (prev) setenv("FCONV_ISA", saved.c_str(), 1); else unsetenv("FCONV_ISA");
}

class ChannelsRandom : public ::testing::TestWithParam<fconv_method> {};

TEST_P(ChannelsRandom, MatchesReference) {
  auto g = ft::rng();
  for (int i = 0; i < 120 && !HasFatalFailure(); i++) run_case(random_channel_case(g, GetParam(), true, FCONV_BACKEND_CPU), g);
  std::cout << "  worst error / bound: " << ft::take_worst_ratio() << "\n";
}

TEST_P(ChannelsRandom, DilationOnPlainProblems) {
  auto g = ft::rng();
  for (int i = 0; i < 60 && !HasFatalFailure(); i++) run_case(random_channel_case(g, GetParam(), false, FCONV_BACKEND_CPU), g);
}

INSTANTIATE_TEST_SUITE_P(Methods, ChannelsRandom,
                         ::testing::Values(FCONV_METHOD_DIRECT, FCONV_METHOD_FFT,
                                           FCONV_METHOD_OVERLAP_SAVE, FCONV_METHOD_AUTO),
                         ft::method_param_name);

// Wide groups (4..14 output channels per group, batch up to 5): the direct path's GEMM
// micro-kernel (real dtypes, at least MR = 4 or 8 channels per group; partial channel blocks,
// short and multi-row position blocks, flattened or per output row) and the FFT paths' blocked
// per-bin product (items and channels past a block's end), at every instruction set this CPU
// runs (FCONV_ISA caps the one the plans pick).
TEST(ChannelsWide, MatchesReferenceEveryIsa) {
  auto g = ft::rng();
  for_every_isa([&] {
    for (int i = 0; i < 36 && !::testing::Test::HasFatalFailure(); i++) {
      const fconv_method m = i % 3 == 0   ? FCONV_METHOD_DIRECT
                             : i % 3 == 1 ? FCONV_METHOD_FFT
                                          : FCONV_METHOD_OVERLAP_SAVE;
      ChCase c = random_channel_case(g, m, true, FCONV_BACKEND_CPU);
      if (i % 3 == 0 && ft::coin(g, 0.8)) {
        c.d.dtype = ft::coin(g) ? FCONV_F32 : FCONV_F64; // the GEMM kernel's dtypes
        for (int a = 0; a < c.d.rank; a++) c.d.stride[a] = 1;
      }
      const size_t groups = ft::uniform(g, 1, 2);
      fconv_desc_set_channels(&c.d, groups * ft::uniform(g, 1, 4), groups * ft::uniform(g, 4, 14),
                              groups);
      c.d.batch = ft::uniform(g, 1, 5);
      run_case(c, g);
    }
  });
}

// The depthwise micro-kernels (real dtypes, one input channel per group, fewer output channels
// per group than a GEMM block; the plan says "+dw", "+dwr" for the rows variant of kernels with
// 3, 5 or 7 undilated unit-stride rows): every rank, mode, op, boundary, stride, dilation,
// padding and call way of the random cases, channel multipliers 1-3, with planes from one vector
// to several row tiles and column chunks wide (rows cut into segments when axis 1 has one
// output), at every instruction set.
TEST(ChannelsDepthwise, MatchesReferenceOnTheDwKernel) {
  auto g = ft::rng();
  for_every_isa([&] {
    for (int i = 0; i < 40 && !::testing::Test::HasFatalFailure(); i++) {
      ChCase c = random_channel_case(g, FCONV_METHOD_DIRECT, true, FCONV_BACKEND_CPU);
      c.d.dtype = ft::coin(g) ? FCONV_F32 : FCONV_F64;
      if (i % 2 == 1) { // wider planes: row tiles and column chunks with tails
        const size_t wide = c.d.rank == 1 ? ft::uniform(g, 60, 300) : ft::uniform(g, 17, 80);
        c.d.signal_shape[c.d.rank - 1] = wide;
        if (c.d.rank >= 2) c.d.signal_shape[c.d.rank - 2] = ft::uniform(g, 8, 20);
        for (int a = 0; a < c.d.rank; a++) { // VALID: the dilated kernel inside the signal
          const size_t keff = (c.d.kernel_shape[a] - 1) * c.d.dilation[a] + 1;
          if (c.d.signal_shape[a] < keff) c.d.signal_shape[a] = keff;
        }
      }
      const char *kernel = "+dw";
      if (i % 4 >= 2 && c.d.rank >= 2) { // the rows variant: 3, 5 or 7 undilated unit-stride rows
        const int r = c.d.rank - 2;
        c.d.kernel_shape[r] = 3 + 2 * ft::uniform(g, 0, 2);
        c.d.dilation[r] = 1;
        c.d.stride[r] = 1;
        c.d.mode = ft::coin(g) ? FCONV_MODE_SAME : FCONV_MODE_FULL;
        if (c.d.signal_shape[r] < 2) c.d.signal_shape[r] = 2;
        kernel = "+dwr";
      }
      const size_t cin = ft::uniform(g, 2, 5);
      fconv_desc_set_channels(&c.d, cin, cin * ft::uniform(g, 1, 3), cin);
      c.d.threads = (int)ft::uniform(g, 1, 2);
      c.d.batch = ft::uniform(g, 2, 3); // batch * cin >= 2 * threads
      run_case(c, g, kernel);
    }
  });
}

// The GEMM micro-kernel with strides (positions flattened over stride-phase blocks): layer-3
// shapes (few input channels, 7x7 or 3x3, stride 2 or 3 on every axis) and random strided cases,
// every boundary, at every instruction set; the plan says "+gemm".
TEST(ChannelsStrided, GemmMatchesReference) {
  auto g = ft::rng();
  for_every_isa([&] {
    for (int i = 0; i < 24 && !::testing::Test::HasFatalFailure(); i++) {
      ChCase c = random_channel_case(g, FCONV_METHOD_DIRECT, true, FCONV_BACKEND_CPU);
      c.d.dtype = ft::coin(g) ? FCONV_F32 : FCONV_F64;
      if (i % 3 == 0) { // a layer-3 shape: 3 -> 8..16 channels, 7x7 or 3x3, PAD k/2
        const size_t n[2] = {ft::uniform(g, 20, 45), ft::uniform(g, 20, 45)};
        const size_t kk = ft::coin(g) ? 7 : 3, k[2] = {kk, kk};
        const fconv_boundary b = c.d.boundary;
        c.d = ft::make_desc(2, n, k, c.d.dtype);
        c.d.mode = FCONV_MODE_PAD;
        c.d.op = FCONV_OP_CORRELATE;
        c.d.boundary = b;
        c.d.method = FCONV_METHOD_DIRECT;
        c.d.backend = FCONV_BACKEND_CPU;
        for (int a = 0; a < 2; a++) c.d.pad_before[a] = c.d.pad_after[a] = kk / 2;
        c.way = 2;
      }
      const size_t s = ft::uniform(g, 2, 3);
      for (int a = 0; a < c.d.rank; a++) c.d.stride[a] = ft::coin(g, 0.8) ? s : 1;
      c.d.stride[c.d.rank - 1] = s; // the contiguous axis always strided
      fconv_desc_set_channels(&c.d, ft::uniform(g, 1, 4), ft::uniform(g, 8, 16), 1);
      c.d.batch = ft::uniform(g, 1, 2);
      run_case(c, g, "+gemm");
    }
  });
}

// Execute with an explicit kernel allocates nothing (its packed weights or spectra are made by
// create): with every allocation failing after create (the library's fault-injection hook),
// execute still succeeds and matches the reference, on every channel path.
TEST(ChannelsExecute, ExplicitKernelAllocatesNothing) {
  auto g = ft::rng();
  const size_t n[2] = {12, 10}, k[2] = {3, 3};
  for (fconv_method m : {FCONV_METHOD_DIRECT, FCONV_METHOD_FFT, FCONV_METHOD_OVERLAP_SAVE})
    for (size_t cout : {2, 8}) { // direct: the pair-row kernels, the GEMM kernel
      fconv_desc d = ft::make_desc(2, n, k, FCONV_F32);
      d.mode = FCONV_MODE_SAME;
      d.batch = 2;
      d.method = m;
      d.backend = FCONV_BACKEND_CPU;
      fconv_desc_set_channels(&d, 3, cout, 1);
      Array x(d.dtype, ft::signal_elems(d)), h(d.dtype, ft::kernel_elems(d));
      x.fill_random(g);
      h.fill_random(g);
      fconv_plan *plan = nullptr;
      ASSERT_EQ(fconv_plan_create(&plan, &d), FCONV_OK);
      Array y(d.dtype, output_elems(plan, d));
      setenv("FCONV_FAIL_ALLOC_AFTER", "0", 1); // a new value: the count restarts, all fail
      const fconv_status st = fconv_execute(plan, x.data(), h.data(), y.data());
      unsetenv("FCONV_FAIL_ALLOC_AFTER");
      fconv_plan_destroy(plan);
      ASSERT_EQ(st, FCONV_OK) << fconv_method_name(m) << " C_out " << cout << ": "
                              << fconv_last_error();
      EXPECT_TRUE(ft::matches_reference(y, ft::reference_of(d, x, h))) << fconv_method_name(m);
    }
}

// A larger 2-D layer (SAME, groups, stride) where overlap-save really sections the image.
TEST(Channels, LargerLayerEveryMethod) {
  auto g = ft::rng();
  const size_t n[2] = {70, 45}, k[2] = {9, 7};
  for (fconv_method m : {FCONV_METHOD_DIRECT, FCONV_METHOD_FFT, FCONV_METHOD_OVERLAP_SAVE}) {
    ChCase c;
    c.d = ft::make_desc(2, n, k, FCONV_F32);
    c.d.mode = FCONV_MODE_SAME;
    c.d.boundary = FCONV_BOUNDARY_MIRROR;
    c.d.batch = 2;
    c.d.method = m;
    c.d.backend = FCONV_BACKEND_CPU;
    c.d.threads = 2;
    fconv_desc_set_channels(&c.d, 6, 4, 2);
    c.way = 2;
    run_case(c, g);
  }
}

// out(a*x1 + x2) = a*out(x1) + out(x2) with x1, x2 differing in one input channel only.
TEST(ChannelsProperties, LinearPerInputChannel) {
  auto g = ft::rng();
  const size_t n[2] = {12, 10}, k[2] = {3, 4};
  for (fconv_method m : {FCONV_METHOD_DIRECT, FCONV_METHOD_FFT, FCONV_METHOD_OVERLAP_SAVE}) {
    fconv_desc d = ft::make_desc(2, n, k, FCONV_F64);
    d.mode = FCONV_MODE_SAME;
    d.method = m;
    d.backend = FCONV_BACKEND_CPU;
    fconv_desc_set_channels(&d, 4, 2, 2);
    Array x1(d.dtype, ft::signal_elems(d)), h(d.dtype, ft::kernel_elems(d));
    x1.fill_random(g);
    h.fill_random(g);
    const size_t chan = n[0] * n[1];
    for (size_t ci = 0; ci < 4; ci++) {
      // x2: a pattern in channel ci only; xs = 2.5 x1 + x2
      Array x2(d.dtype, x1.size()), xs(d.dtype, x1.size());
      for (size_t e = 0; e < x1.size(); e++) {
        const bool in_ci = e / chan == ci;
        x2.set(e, std::complex<long double>(in_ci ? (long double)(e % 7) - 3.0L : 0.0L, 0));
        xs.set(e, 2.5L * x1.get(e) + x2.get(e));
      }
      fconv_plan *plan = nullptr;
      ASSERT_EQ(fconv_plan_create(&plan, &d), FCONV_OK);
      ASSERT_EQ(fconv_plan_set_kernel(plan, h.data()), FCONV_OK);
      const size_t ne = output_elems(plan, d);
      Array y1(d.dtype, ne), y2(d.dtype, ne), ys(d.dtype, ne);
      ASSERT_EQ(fconv_execute(plan, x1.data(), nullptr, y1.data()), FCONV_OK);
      ASSERT_EQ(fconv_execute(plan, x2.data(), nullptr, y2.data()), FCONV_OK);
      ASSERT_EQ(fconv_execute(plan, xs.data(), nullptr, ys.data()), FCONV_OK);
      fconv_plan_destroy(plan);
      for (size_t e = 0; e < ne; e++) {
        const std::complex<long double> want = 2.5L * y1.get(e) + y2.get(e);
        ASSERT_NEAR((double)ys.get(e).real(), (double)want.real(), 1e-9)
            << fconv_method_name(m) << " channel " << ci << " element " << e;
      }
    }
  }
}

// A unit impulse in input channel ci (FULL, ZERO): output channel o is the dilated kernel[o, i]
// placed at the impulse when o belongs to ci's group, and zero otherwise.
TEST(ChannelsProperties, ImpulseResponsePerChannelPair) {
  auto g = ft::rng();
  const size_t n[2] = {7, 9}, k[2] = {3, 2}, dil[2] = {2, 3}, at[2] = {3, 4};
  const size_t cin = 6, cout = 4, groups = 2, cig = 3, cog = 2;
  for (fconv_method m : {FCONV_METHOD_DIRECT, FCONV_METHOD_FFT, FCONV_METHOD_OVERLAP_SAVE}) {
    fconv_desc d = ft::make_desc(2, n, k, FCONV_F64);
    d.method = m;
    d.backend = FCONV_BACKEND_CPU;
    fconv_desc_set_channels(&d, cin, cout, groups);
    fconv_desc_set_dilation(&d, dil);
    Array h(d.dtype, ft::kernel_elems(d));
    h.fill_random(g);
    fconv_plan *plan = nullptr;
    ASSERT_EQ(fconv_plan_create(&plan, &d), FCONV_OK);
    ASSERT_EQ(fconv_plan_set_kernel(plan, h.data()), FCONV_OK);
    size_t os[FCONV_MAX_RANK];
    ASSERT_EQ(fconv_plan_output_shape(plan, os), FCONV_OK);
    ASSERT_EQ(os[0], n[0] + (k[0] - 1) * dil[0]);
    ASSERT_EQ(os[1], n[1] + (k[1] - 1) * dil[1]);
    const size_t plane = os[0] * os[1];
    for (size_t ci = 0; ci < cin; ci++) {
      Array x(d.dtype, cin * n[0] * n[1]);
      x.set_values(std::vector<std::complex<long double>>(x.size(), 0));
      x.set(ci * n[0] * n[1] + at[0] * n[1] + at[1], 1);
      Array y(d.dtype, cout * plane);
      ASSERT_EQ(fconv_execute(plan, x.data(), nullptr, y.data()), FCONV_OK);
      for (size_t co = 0; co < cout; co++) {
        const bool same_group = co / cog == ci / cig;
        for (size_t o0 = 0; o0 < os[0]; o0++)
          for (size_t o1 = 0; o1 < os[1]; o1++) {
            long double want = 0;
            const ptrdiff_t r0 = (ptrdiff_t)o0 - (ptrdiff_t)at[0], r1 = (ptrdiff_t)o1 - (ptrdiff_t)at[1];
            if (same_group && r0 >= 0 && r1 >= 0 && r0 % (ptrdiff_t)dil[0] == 0 &&
                r1 % (ptrdiff_t)dil[1] == 0 && (size_t)r0 / dil[0] < k[0] && (size_t)r1 / dil[1] < k[1])
              want = h.get((co * cig + ci % cig) * k[0] * k[1] + ((size_t)r0 / dil[0]) * k[1] +
                           (size_t)r1 / dil[1]).real();
            ASSERT_NEAR((double)y.get(co * plane + o0 * os[1] + o1).real(), (double)want, 1e-12)
                << fconv_method_name(m) << " ci " << ci << " co " << co << " at " << o0 << "," << o1;
          }
      }
    }
    fconv_plan_destroy(plan);
  }
}

// ---- bad input and the descriptor ABI ----------------------------------------------------------

fconv_desc small_desc() {
  const size_t n[2] = {8, 8}, k[2] = {3, 3};
  return ft::make_desc(2, n, k, FCONV_F32);
}

fconv_status create_status(const fconv_desc &d) {
  fconv_plan *plan = reinterpret_cast<fconv_plan *>(0x1);
  fconv_status st = fconv_plan_create(&plan, &d);
  EXPECT_TRUE(st == FCONV_OK || plan == nullptr);
  fconv_plan_destroy(plan);
  return st;
}

TEST(ChannelsBadInput, Rejected) {
  fconv_desc d = small_desc();
  fconv_desc_set_channels(&d, 6, 4, 4);
  EXPECT_EQ(create_status(d), FCONV_ERR_INVALID_ARGUMENT) << "6 not divisible by 4";
  fconv_desc_set_channels(&d, 4, 6, 4);
  EXPECT_EQ(create_status(d), FCONV_ERR_INVALID_ARGUMENT) << "6 not divisible by 4";
  fconv_desc_set_channels(&d, 0, 4, 1);
  EXPECT_EQ(create_status(d), FCONV_ERR_INVALID_ARGUMENT) << "zero input channels";
  fconv_desc_set_channels(&d, 4, 0, 1);
  EXPECT_EQ(create_status(d), FCONV_ERR_INVALID_ARGUMENT) << "zero output channels";
  fconv_desc_set_channels(&d, 4, 4, 0);
  EXPECT_EQ(create_status(d), FCONV_ERR_INVALID_ARGUMENT) << "zero groups";
  fconv_desc_set_channels(&d, SIZE_MAX / 2, 2, 1);
  EXPECT_EQ(create_status(d), FCONV_ERR_INVALID_ARGUMENT) << "signal bytes overflow";
  fconv_desc_set_channels(&d, (size_t)1 << 40, (size_t)1 << 40, 1);
  EXPECT_EQ(create_status(d), FCONV_ERR_INVALID_ARGUMENT) << "filter count overflows";
  fconv_desc_set_channels(&d, 2, 2, 1);
  d.kernel_batch = 2;
  d.batch = 2;
  EXPECT_EQ(create_status(d), FCONV_ERR_INVALID_ARGUMENT) << "kernel_batch with channels";
  d.kernel_batch = 1;
  EXPECT_EQ(create_status(d), FCONV_OK);

  fconv_desc e = small_desc();
  const size_t zero[2] = {1, 0}, huge[2] = {1, SIZE_MAX / 2};
  fconv_desc_set_dilation(&e, zero);
  EXPECT_EQ(create_status(e), FCONV_ERR_INVALID_ARGUMENT) << "dilation 0";
  fconv_desc_set_dilation(&e, huge);
  EXPECT_EQ(create_status(e), FCONV_ERR_INVALID_ARGUMENT) << "dilated extent overflows";

  // VALID with the (dilated) kernel larger than the signal: the rule-6 swap is not defined here.
  fconv_desc v = small_desc();
  v.mode = FCONV_MODE_VALID;
  const size_t d5[2] = {5, 5};
  fconv_desc_set_dilation(&v, d5);
  EXPECT_EQ(create_status(v), FCONV_ERR_UNSUPPORTED);
  fconv_desc w = small_desc();
  w.mode = FCONV_MODE_VALID;
  w.kernel_shape[0] = w.kernel_shape[1] = 9;
  fconv_desc_set_channels(&w, 2, 2, 1);
  EXPECT_EQ(create_status(w), FCONV_ERR_UNSUPPORTED);

  // The CUDA backend runs channels where a device exists (its paths are checked in the emulator
  // suite); without one: NO_DEVICE (UNSUPPORTED in a CPU-only build), and AUTO runs the CPU.
  fconv_desc c = small_desc();
  fconv_desc_set_channels(&c, 2, 2, 1);
  c.backend = FCONV_BACKEND_CUDA;
  const fconv_status cs = create_status(c);
  if (fconv_cuda_device_count() > 0) {
    EXPECT_EQ(cs, FCONV_OK) << fconv_status_string(cs);
  } else {
    EXPECT_TRUE(cs == FCONV_ERR_UNSUPPORTED || cs == FCONV_ERR_NO_DEVICE) << fconv_status_string(cs);
  }
  c.backend = FCONV_BACKEND_AUTO;
  fconv_plan *plan = nullptr;
  ASSERT_EQ(fconv_plan_create(&plan, &c), FCONV_OK);
  fconv_plan_info info;
  ASSERT_EQ(fconv_plan_get_info(plan, &info), FCONV_OK);
  if (fconv_cuda_device_count() == 0) {
    EXPECT_EQ(info.backend, FCONV_BACKEND_CPU);
  }
  fconv_plan_destroy(plan);

  // NULL descriptors are no-ops for the setters.
  fconv_desc_set_channels(nullptr, 1, 1, 1);
  fconv_desc_set_dilation(nullptr, d5);
  fconv_desc_set_dilation(&c, nullptr);
}

// A caller built against 0.1 never sets FCONV_FLAG_EXTENDED: whatever lies past its struct is
// never read, so garbage there changes nothing.
TEST(ChannelsAbi, ExtensionIgnoredWithoutTheFlag) {
  fconv_desc d = small_desc();
  EXPECT_EQ(d.flags & FCONV_FLAG_EXTENDED, 0u) << "fconv_desc_init must leave the flag clear";
  d.in_channels = 0; // would be invalid if read
  d.out_channels = 7;
  d.groups = 0;
  d.dilation[0] = 0;
  EXPECT_EQ(create_status(d), FCONV_OK);
  // fconv_desc_init writes only the 0.1 part of the struct.
  fconv_desc e;
  std::memset(&e, 0xAB, sizeof e);
  const size_t n[1] = {4}, k[1] = {2};
  fconv_desc_init(&e, 1, n, k, FCONV_F32);
  const unsigned char *tail = reinterpret_cast<const unsigned char *>(&e.in_channels);
  for (size_t i = 0; i < sizeof e - offsetof(fconv_desc, in_channels); i++)
    ASSERT_EQ(tail[i], 0xAB) << "byte " << i << " past the 0.1 struct was written";
  // A setter fills every extension field with its default first.
  fconv_desc_set_channels(&e, 3, 5, 1);
  EXPECT_EQ(e.dilation[0], 1u);
  EXPECT_TRUE(e.flags & FCONV_FLAG_EXTENDED);
}

// The cost model: a 3x3 layer runs direct, a 31x31 one a transform method.
TEST(ChannelsDispatch, AutoFollowsTheKernelSize) {
  const size_t n[2] = {32, 32}, k3[2] = {3, 3}, k31[2] = {31, 31};
  fconv_desc d = ft::make_desc(2, n, k3, FCONV_F32);
  d.mode = FCONV_MODE_SAME;
  d.batch = 2;
  fconv_desc_set_channels(&d, 16, 16, 1);
  fconv_plan *plan = nullptr;
  fconv_plan_info info;
  ASSERT_EQ(fconv_plan_create(&plan, &d), FCONV_OK);
  ASSERT_EQ(fconv_plan_get_info(plan, &info), FCONV_OK);
  EXPECT_EQ(info.method, FCONV_METHOD_DIRECT) << info.reason;
  fconv_plan_destroy(plan);
  d.kernel_shape[0] = k31[0];
  d.kernel_shape[1] = k31[1];
  ASSERT_EQ(fconv_plan_create(&plan, &d), FCONV_OK);
  ASSERT_EQ(fconv_plan_get_info(plan, &info), FCONV_OK);
  EXPECT_NE(info.method, FCONV_METHOD_DIRECT) << info.reason;
  fconv_plan_destroy(plan);
}


// ---- Winograd F(4x4, 3x3) (cpu-channels-winograd: method AUTO, info.isa "+wino") --------------

// A 3x3 stride-1 layer wide enough that the cost model picks Winograd: 2-D (or 3-D with a
// kernel of 1-3 planes), extents 13..23 (mostly not multiples of the 4 x 4 tile), 28..35 inputs and 30..39
// outputs per group (not multiples of any register block), 1-2 groups, batch 1-2, every mode,
// op, boundary and call way, f32 or f64, method AUTO on the CPU.
ChCase winograd_case(std::mt19937_64 &g) {
  ChCase c;
  const int rank = ft::coin(g, 0.8) ? 2 : 3;
  size_t n[3], k[3];
  for (int a = 0; a < rank; a++) {
    n[a] = ft::uniform(g, 13, 23);
    k[a] = 3;
  }
  if (rank == 3) { // a kernel of 1, 2 or 3 planes
    k[0] = ft::uniform(g, 1, 3);
    n[0] = ft::uniform(g, k[0], 4);
  }
  c.d = ft::make_desc(rank, n, k, ft::coin(g) ? FCONV_F32 : FCONV_F64);
  c.d.mode = (fconv_mode)ft::uniform(g, 0, 3);
  if (c.d.mode == FCONV_MODE_PAD)
    for (int a = rank - 2; a < rank; a++) {
      c.d.pad_before[a] = ft::uniform(g, 0, 3);
      c.d.pad_after[a] = ft::uniform(g, 0, 3);
    }
  c.d.op = ft::coin(g) ? FCONV_OP_CORRELATE : FCONV_OP_CONVOLVE;
  c.d.boundary = (fconv_boundary)ft::uniform(g, 0, 4);
  c.d.method = FCONV_METHOD_AUTO;
  c.d.backend = FCONV_BACKEND_CPU;
  c.d.threads = (int)ft::uniform(g, 1, 3);
  c.d.batch = ft::uniform(g, 1, 2);
  const size_t groups = ft::uniform(g, 1, 2);
  fconv_desc_set_channels(&c.d, groups * ft::uniform(g, 28, 35), groups * ft::uniform(g, 30, 39),
                          groups);
  c.way = (int)ft::uniform(g, 0, 2);
  return c;
}

// fconv.h's B for axis extent k and stride s: the 3 x 3 blocks of the kernel's phases
// (phase p < s has ceil((k - p) / s) taps, cut into blocks of 3).
size_t blocks_on_axis(size_t k, size_t s) {
  size_t b = 0;
  for (size_t p = 0; p < s && p < k; p++) b += ((k - p + s - 1) / s + 2) / 3;
  return b;
}
// B of a 2-D or 3-D layer: kernel planes x the blocks of the last two axes.
size_t winograd_blocks(const fconv_desc &d) {
  const int r = d.rank;
  return (r == 3 ? d.kernel_shape[0] : 1) * blocks_on_axis(d.kernel_shape[r - 2], d.stride[r - 2]) *
         blocks_on_axis(d.kernel_shape[r - 1], d.stride[r - 1]);
}

// Run c, check that it ran on the Winograd path and that every output is within the Winograd
// bound (reference.h: winograd_error_bound, with fconv.h's B blocks per filter: K = B C_in /
// groups rounding steps, scale sqrt(B) sum_i ||xe_i|| ||g_i||); returns the largest
// |err| / (eps * scale) seen.
double run_winograd(const ChCase &c, std::mt19937_64 &g) {
  const size_t B = winograd_blocks(c.d), cig = c.d.in_channels / c.d.groups * B;
  const double eps = reference::eps_of(c.d.dtype);
  double worst = 0;
  run_case(c, g, "+wino", [&](const Array &y, const reference::Result &ref) {
    size_t bad = 0;
    for (size_t i = 0; i < y.size(); i++) {
      const size_t item = i / ref.per_output;
      const double err = (double)std::abs(y.get(i) - ref.y[i]);
      const double bound = reference::winograd_error_bound(
          c.d.dtype, cig, ref.scale[item] * std::sqrt((long double)B));
      if (!(err <= bound) && bad++ == 0)
        ADD_FAILURE() << "output " << i << ": |err| " << err << " > bound " << bound;
      worst = std::max(worst, err / (eps * (double)ref.scale[item]));
    }
    EXPECT_EQ(bad, 0u);
  });
  return worst;
}

// Random layers through the Winograd path at every instruction set, within its bound. A wrong
// entry in any transform matrix gives errors of the order of the outputs: 1e9 times the f64
// bound, so the f64 cases fail for every such mistake. Prints the measured constant
// max |err| / (eps * sum_i ||xe_i|| ||g_i||) beside the documented 300 (B C_in/groups + 20) sqrt(B).
TEST(ChannelsWinograd, MatchesReferenceWithinItsBound) {
  auto g = ft::rng();
  double worst[2] = {0, 0};
  for_every_isa([&] {
    for (int i = 0; i < 8 && !::testing::Test::HasFailure(); i++) {
      const ChCase c = winograd_case(g);
      const double w = run_winograd(c, g);
      double &slot = worst[c.d.dtype == FCONV_F64];
      slot = std::max(slot, w);
    }
  });
  std::cout << "  max |err| / (eps * sum ||xe_i|| ||g_i||): f32 " << worst[0] << ", f64 "
            << worst[1] << " (bound: 300 * (B * C_in/groups + 20) * sqrt(B) >= 14400)\n";
}

// Other kernels and strides (fconv.h: B 3x3 blocks per filter): random layers with kernels of
// 2-7 taps and strides 1-3 on the last two axes (not the plain 3x3 stride 1), 2-D or 3-D with
// 1-2 kernel planes, extents 22..40, 16..35 inputs and outputs per group, 1-2 groups, every
// mode, op, boundary and call way, f32 or f64. Drawn until the cost model takes Winograd (the
// draws it declines are counted; at least some are taken, or the test fails).
bool takes_winograd(const fconv_desc &d) {
  fconv_plan *plan = nullptr;
  if (fconv_plan_create(&plan, &d) != FCONV_OK) return false;
  fconv_plan_info info;
  const bool w = fconv_plan_get_info(plan, &info) == FCONV_OK &&
                 std::string(info.isa).find("+wino") != std::string::npos;
  fconv_plan_destroy(plan);
  return w;
}
ChCase winograd_blocks_case(std::mt19937_64 &g, size_t *declined) {
  for (;;) {
    ChCase c = winograd_case(g);
    const int r = c.d.rank;
    do {
      for (int a = r - 2; a < r; a++) {
        c.d.kernel_shape[a] = ft::uniform(g, 2, 7);
        c.d.stride[a] = ft::uniform(g, 1, 3);
        c.d.signal_shape[a] = ft::uniform(g, 22, 40);
      }
    } while (c.d.kernel_shape[r - 1] == 3 && c.d.kernel_shape[r - 2] == 3 &&
             c.d.stride[r - 1] == 1 && c.d.stride[r - 2] == 1);
    if (r == 3) {
      c.d.kernel_shape[0] = ft::uniform(g, 1, 2);
      c.d.signal_shape[0] = ft::uniform(g, c.d.kernel_shape[0], 3);
    }
    const size_t groups = c.d.groups;
    fconv_desc_set_channels(&c.d, groups * ft::uniform(g, 16, 35), groups * ft::uniform(g, 16, 35),
                            groups);
    if (c.d.mode == FCONV_MODE_VALID) // a window at least as large as the kernel
      for (int a = 0; a < r; a++)
        c.d.signal_shape[a] = std::max(c.d.signal_shape[a], c.d.kernel_shape[a]);
    if (takes_winograd(c.d)) return c;
    if (++*declined % 500 == 0) ADD_FAILURE() << *declined << " draws declined in a row";
  }
}

TEST(ChannelsWinograd, KernelBlocksMatchReferenceWithinTheirBound) {
  auto g = ft::rng();
  size_t declined = 0, ran = 0;
  double worst[2] = {0, 0};
  for_every_isa([&] {
    for (int i = 0; i < 6 && !::testing::Test::HasFailure(); i++) {
      const ChCase c = winograd_blocks_case(g, &declined);
      SCOPED_TRACE(::testing::Message()
                   << "kernel " << c.d.kernel_shape[c.d.rank - 2] << "x"
                   << c.d.kernel_shape[c.d.rank - 1] << " stride " << c.d.stride[c.d.rank - 2]
                   << "x" << c.d.stride[c.d.rank - 1] << " rank " << c.d.rank << " B "
                   << winograd_blocks(c.d));
      const double w = run_winograd(c, g);
      double &slot = worst[c.d.dtype == FCONV_F64];
      slot = std::max(slot, w);
      ran++;
    }
  });
  EXPECT_GT(ran, 0u);
  std::cout << "  " << ran << " layers (" << declined << " draws declined by the cost model); "
            << "max |err| / (eps * sum ||xe_i|| ||g_i||): f32 " << worst[0] << ", f64 " << worst[1]
            << "\n";
}

// The path is taken for the CNN bench's 3x3 layers (bench/cnn.py layers 1 and 2) and its 7x7
// stride-2 stem (layer 3) under AUTO, and never when the caller asks for the direct method or
// for the per-output bound.
TEST(ChannelsWinograd, ChosenByAutoOnlyForTheBenchLayers) {
  struct Layer { size_t batch, cin, cout, n, k, stride, pad; } layers[] = {
      {8, 64, 64, 56, 3, 1, 1}, {8, 256, 256, 14, 3, 1, 1}, {1, 3, 64, 224, 7, 2, 3}};
  for (const Layer &l : layers) {
    const size_t n[2] = {l.n, l.n}, k[2] = {l.k, l.k};
    for (int variant = 0; variant < 3; variant++) {
      fconv_desc d = ft::make_desc(2, n, k, FCONV_F32);
      d.mode = FCONV_MODE_PAD;
      d.op = FCONV_OP_CORRELATE;
      d.pad_before[0] = d.pad_before[1] = d.pad_after[0] = d.pad_after[1] = l.pad;
      d.stride[0] = d.stride[1] = l.stride;
      d.batch = l.batch;
      d.threads = 2;
      d.backend = FCONV_BACKEND_CPU;
      if (variant == 1) d.method = FCONV_METHOD_DIRECT;
      if (variant == 2) d.flags |= FCONV_FLAG_ACCURATE;
      fconv_desc_set_channels(&d, l.cin, l.cout, 1);
      fconv_plan *plan = nullptr;
      ASSERT_EQ(fconv_plan_create(&plan, &d), FCONV_OK);
      fconv_plan_info info;
      ASSERT_EQ(fconv_plan_get_info(plan, &info), FCONV_OK);
      fconv_plan_destroy(plan);
      const bool wino = std::string(info.isa).find("+wino") != std::string::npos;
      EXPECT_EQ(wino, variant == 0) << "C " << l.cin << " k " << l.k << " variant " << variant << ": " << info.isa
                                    << " (" << info.reason << ")";
      EXPECT_EQ(info.method, FCONV_METHOD_DIRECT);
    }
  }
}

// Not for layers it cannot run: a 13x13 kernel (25 blocks, over the 16 it takes), a dilated
// 3x3, a 1x5 kernel (one row) and a complex 3x3 layer run elsewhere under AUTO (and still match
// the reference there).
TEST(ChannelsWinograd, DeclinesWhatItDoesNotRun) {
  auto g = ft::rng();
  for (int variant = 0; variant < 4; variant++) {
    const size_t n[2] = {20, 18};
    const size_t k[2] = {variant == 0 ? 13u : variant == 2 ? 1u : 3u,
                         variant == 0 ? 13u : variant == 2 ? 5u : 3u};
    ChCase c;
    c.d = ft::make_desc(2, n, k, variant == 3 ? FCONV_C64 : FCONV_F32);
    c.d.mode = FCONV_MODE_SAME;
    c.d.backend = FCONV_BACKEND_CPU;
    c.d.batch = 2;
    fconv_desc_set_channels(&c.d, 32, 36, 1);
    if (variant == 1) {
      const size_t dil[2] = {2, 1};
      fconv_desc_set_dilation(&c.d, dil);
    }
    c.way = 2;
    fconv_plan *plan = nullptr;
    ASSERT_EQ(fconv_plan_create(&plan, &c.d), FCONV_OK);
    fconv_plan_info info;
    ASSERT_EQ(fconv_plan_get_info(plan, &info), FCONV_OK);
    fconv_plan_destroy(plan);
    EXPECT_EQ(std::string(info.isa).find("+wino"), std::string::npos) << "variant " << variant;
    run_case(c, g);
  }
}

} // namespace
