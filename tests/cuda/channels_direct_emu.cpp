/* channels_direct_emu.cpp — the CUDA multi-channel direct path (host logic and kernel) compiled
 * by the host compiler with the block emulator (FCONV_CUDA_EMULATE), for fconv_cuda_emu_lib. */
#include "../../src/cuda/channels_direct.cu"
