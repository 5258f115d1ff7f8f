/* cost_emu.cpp — src/cuda/cost.cu (the cost models' constants per device) and
 * src/cuda/calibrate.cu (the calibration routine) compiled by the host compiler with the block
 * emulator (FCONV_CUDA_EMULATE), for fconv_cuda_emu_lib. */
#include "../../src/cuda/cost.cu"
#include "../../src/cuda/calibrate.cu"
