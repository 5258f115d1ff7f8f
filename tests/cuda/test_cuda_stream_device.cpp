// test_cuda_stream_device.cpp — the CUDA streaming engine on a real device, through the public
// API of the library: the contract checks of stream_cases.h (random blocks, channel matrices,
// response lengths and dtypes, small and odd blocks, impulse, reset, swaps with and without
// crossfade, bad input) with backend CUDA, against the independent reference. Skipped (with the
// reason) where fconv_cuda_device_count() is 0. Label: cuda-device.
#include <gtest/gtest.h>

#include "../stream_cases.h"

namespace {

using namespace ft;

const fconv_backend kCuda = FCONV_BACKEND_CUDA;

#define NEED_DEVICE()                                                                            \
  if (fconv_cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"

TEST(CudaStreamDevice, RandomCasesMatchFullConvolution) {
  NEED_DEVICE();
  check_random_cases(kCuda, 30);
}
TEST(CudaStreamDevice, SmallOddPrimeBlocksAndShortResponses) {
  NEED_DEVICE();
  check_small_blocks(kCuda);
}
TEST(CudaStreamDevice, ImpulseReturnsTheResponses) {
  NEED_DEVICE();
  check_impulse(kCuda);
}
TEST(CudaStreamDevice, ResetForgetsTheInput) {
  NEED_DEVICE();
  check_reset(kCuda);
}
TEST(CudaStreamDevice, SwapResponsesWithAndWithoutCrossfade) {
  NEED_DEVICE();
  check_swaps(kCuda, 8);
}
TEST(CudaStreamDevice, BadInputReturnsStatuses) {
  NEED_DEVICE();
  check_bad_input(kCuda, FCONV_OK);
}

} // namespace
