/* cuda_module_fake.c — stand-ins for CUDA modules that libfconv must refuse (test_cuda_module
 * absent), compiled three ways:
 *   FCONV_FAKE_DEP_LIB   libfconv_fake_dep: an ordinary library (no module entry);
 *   FCONV_FAKE_DEP       a module that needs libfconv_fake_dep, which the loader cannot find
 *                        (as libcudart and libcufft on a machine without CUDA);
 *   (neither)            a module from another fconv: its entry reports module ABI 0. */
#include <stddef.h>

#if defined(FCONV_FAKE_DEP_LIB)
__attribute__((visibility("default"))) int fconv_fake_dep(void);
int fconv_fake_dep(void) { return 0; }
#else
/* The shape of src/cuda_module.h's fconv_cuda_module, with nothing valid in it. */
struct fake_module {
  unsigned abi, version;
  size_t layout[9];
  const void *paths[4];
  int (*devices)(void);
  const void *stream;
};
#ifdef FCONV_FAKE_DEP
int fconv_fake_dep(void);
static int devices(void) { return fconv_fake_dep(); }
#else
static int devices(void) { return 0; }
#endif
__attribute__((visibility("default"))) const struct fake_module *
fconv_cuda_module_entry(const void *host);
const struct fake_module *fconv_cuda_module_entry(const void *host) {
  static const struct fake_module m = {0, 0, {0}, {0}, devices, 0};
  (void)host;
  return &m;
}
#endif
