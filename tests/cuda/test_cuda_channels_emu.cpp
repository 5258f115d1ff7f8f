/* test_cuda_channels_emu.cpp — the CUDA backend's multi-channel (CNN layer) paths on the CPU:
 * cuda-channels-direct and the channel-aware cuda-fft / cuda-overlap-save (their per-bin channel
 * product kernel, pad and crop over channel items) run through the block emulator and the
 * emulated dev.h, FFTW standing in for cuFFT; every case is compared with the independent
 * long-double reference (tests/reference.cpp) through the shared random cases of
 * tests/channel_cases.h: rank 1-3, every dtype, mode, op, boundary, stride, padding, dilation,
 * groups (up to 3 groups of up to 3 inputs and outputs), batch, each call way. Seeds printed.
 * Label: cuda-emu. */
#include <gtest/gtest.h>

#include "../channel_cases.h"
#include "../test_common.h"
#include "fconv.h"

extern "C" long long fconv_cuda_os_test_max_fft; /* fft_path.cu test hook */

namespace {

class CudaChannels : public ::testing::TestWithParam<fconv_method> {};

TEST_P(CudaChannels, MatchesReference) {
  auto g = ft::rng();
  for (int i = 0; i < 60 && !HasFatalFailure(); i++) {
    ft::ChCase c = ft::random_channel_case(g, GetParam(), true, FCONV_BACKEND_CUDA);
    c.d.threads = 1;
    ft::run_case(c, g);
  }
}

// Overlap-save with short blocks (the test hook caps the transform length at 16): many blocks
// per axis, so the channel product runs over several blocks of every item.
TEST(CudaChannels, OverlapSaveManyBlocks) {
  auto g = ft::rng();
  fconv_cuda_os_test_max_fft = 16;
  for (int i = 0; i < 30 && !HasFatalFailure(); i++) {
    ft::ChCase c = ft::random_channel_case(g, FCONV_METHOD_OVERLAP_SAVE, true, FCONV_BACKEND_CUDA);
    ft::run_case(c, g);
  }
  fconv_cuda_os_test_max_fft = 0;
}

// Wide groups and batches beyond the product kernel's register tile (4 items x 4 channels):
// partial tiles on both sides.
TEST(CudaChannels, WideGroupsPartialTiles) {
  auto g = ft::rng();
  for (int i = 0; i < 24 && !HasFatalFailure(); i++) {
    const fconv_method m = i % 3 == 0   ? FCONV_METHOD_DIRECT
                           : i % 3 == 1 ? FCONV_METHOD_FFT
                                        : FCONV_METHOD_OVERLAP_SAVE;
    ft::ChCase c = ft::random_channel_case(g, m, true, FCONV_BACKEND_CUDA);
    const size_t groups = ft::uniform(g, 1, 2);
    fconv_desc_set_channels(&c.d, groups * ft::uniform(g, 1, 3), groups * ft::uniform(g, 3, 9),
                            groups);
    c.d.batch = ft::uniform(g, 1, 6);
    ft::run_case(c, g);
  }
}

// The plan reports the CUDA backend and the requested method for channel problems.
TEST(CudaChannels, PlansRunOnTheDevice) {
  const size_t n[2] = {9, 8}, k[2] = {3, 3};
  for (fconv_method m : {FCONV_METHOD_DIRECT, FCONV_METHOD_FFT, FCONV_METHOD_OVERLAP_SAVE}) {
    fconv_desc d = ft::make_desc(2, n, k, FCONV_F32);
    d.backend = FCONV_BACKEND_CUDA;
    d.method = m;
    fconv_desc_set_channels(&d, 4, 6, 2);
    fconv_plan *plan = nullptr;
    ASSERT_EQ(fconv_plan_create(&plan, &d), FCONV_OK) << fconv_last_error();
    fconv_plan_info info;
    ASSERT_EQ(fconv_plan_get_info(plan, &info), FCONV_OK);
    EXPECT_EQ(info.backend, FCONV_BACKEND_CUDA);
    EXPECT_EQ(info.method, m) << info.reason;
    fconv_plan_destroy(plan);
  }
}

INSTANTIATE_TEST_SUITE_P(Methods, CudaChannels,
                         ::testing::Values(FCONV_METHOD_DIRECT, FCONV_METHOD_FFT,
                                           FCONV_METHOD_OVERLAP_SAVE, FCONV_METHOD_AUTO),
                         ft::method_param_name);

} // namespace
