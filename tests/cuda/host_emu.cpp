/* host_emu.cpp — src/cuda/host.cu (the CUDA paths' shared host skeleton) compiled by the host
 * compiler with the block emulator (FCONV_CUDA_EMULATE), for fconv_cuda_emu_lib. */
#include "../../src/cuda/host.cu"
