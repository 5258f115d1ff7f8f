/* stream_emu.cpp — the CUDA streaming engine (host logic and kernels) compiled by the host
 * compiler with the block emulator (FCONV_CUDA_EMULATE), for fconv_cuda_emu_lib. */
#include "../../src/cuda/stream.cu"
