/* module_linked.c — cuda_module.h's libfconv side for the emulator tests: the CUDA paths are
 * linked into the test program (compiled with the emulator), so the "module" is there from the
 * start and the real entry (src/cuda/module.c) describes it; nothing is opened. */
#include "cuda_module.h"

const fconv_cuda_module *fconv_cuda_module_get(void) { return fconv_cuda_module_entry(NULL); }

const char *fconv_cuda_module_why(void) { return ""; }
