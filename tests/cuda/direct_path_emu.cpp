/* direct_path_emu.cpp — the CUDA direct path's sources (host logic and kernels) compiled by the
 * host compiler with the block emulator (FCONV_CUDA_EMULATE), for fconv_cuda_emu_lib. */
#include "../../src/cuda/direct_path.cu"
