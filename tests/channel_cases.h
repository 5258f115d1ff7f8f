// channel_cases.h — random multi-channel (CNN layer) cases and their check against the
// reference, shared by the CPU suite (test_channels.cpp) and the CUDA emulator suite
// (cuda/test_cuda_channels_emu.cpp). Public API only.
#ifndef FCONV_TESTS_CHANNEL_CASES_H
#define FCONV_TESTS_CHANNEL_CASES_H

#include <functional>

#include "reference.h"
#include "test_common.h"

namespace ft {

struct ChCase {
  fconv_desc d;
  int way; // 0 convolve, 1 execute(kernel), 2 set_kernel + execute(NULL)
};

// A random case of method m on backend b: rank 1-3, every dtype, mode, op, boundary, stride,
// padding and dilation; with multi, channels and groups (up to 3 groups of up to 3 inputs and 3
// outputs) and batch 1-3, else a plain (dilated) problem.
ChCase random_channel_case(std::mt19937_64 &g, fconv_method m, bool multi, fconv_backend b);
// Output elements of a plan of d (all items and channels).
size_t output_elems(const fconv_plan *plan, const fconv_desc &d);
// The comparison of an output with the reference (gtest failures on a mismatch).
using ChCheck = std::function<void(const Array &y, const reference::Result &ref)>;
// Run c and compare with the reference (gtest failures on a mismatch): within the suite's bound
// (ft::matches_reference), or by check when given. With kernel, the plan's info.isa must
// contain it (the CPU channel path's micro-kernel: "+gemm", "+dw", "+dwr", "+wino").
void run_case(const ChCase &c, std::mt19937_64 &g, const char *kernel = nullptr,
              const ChCheck &check = nullptr);
// gtest parameter names of the methods: "direct", "fft", "overlap_save", "auto".
std::string method_param_name(const ::testing::TestParamInfo<fconv_method> &i);

} // namespace ft

#endif // FCONV_TESTS_CHANNEL_CASES_H
