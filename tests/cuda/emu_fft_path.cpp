/* emu_fft_path.cpp — src/cuda/fft_path.cu compiled by the host C++ compiler for the emulated
 * library (FCONV_CUDA_EMULATE): the same source as the GPU build, nothing changed. */
#include "../../src/cuda/fft_path.cu"
