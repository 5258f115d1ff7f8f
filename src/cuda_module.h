/* cuda_module.h — the contract between libfconv and its CUDA backend, which is a separate shared
 * module (libfconv_cuda.so.<version>, built from src/cuda) opened with dlopen on the first CUDA
 * request. libfconv itself links no CUDA library, so a CUDA-built fconv starts and runs its CPU
 * paths on a machine without the CUDA runtime or cuFFT (docs/ARCHITECTURE.md, "The CUDA module").
 *
 * The module exports one symbol, FCONV_CUDA_MODULE_ENTRY: libfconv calls it once with the host
 * services below (the module's error reports, debug log and host allocations go through them,
 * so fconv_last_error, FCONV_DEBUG and the allocation fault injection stay libfconv's), and it
 * returns the module's description: its paths' vtables (path.h) and what it was built from.
 * libfconv uses the module only when abi, version and layout all match its own.
 *
 *   src/cuda_loader.c          libfconv's side: search, dlopen, checks (fconv_cuda_module_get)
 *   src/cuda/module.c          the module's side: the entry and the host-service forwarders
 *   tests/cuda/emu/module_linked.c  the emulator tests: the paths linked in, no dlopen */
#ifndef FCONV_CUDA_MODULE_H
#define FCONV_CUDA_MODULE_H

#include <stdarg.h>
#include <stddef.h>

#include "core/error.h"
#include "core/kernel_info.h"
#include "core/problem.h"
#include "path.h"
#include "stream_path.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Raise on any change to what crosses the boundary: this header, path.h's vtable, stream_path.h's
 * engine, the problem, kernel-info, plan-info and stream description / info structures, or the
 * meaning of a field in them. 3: the streaming engine (`stream`);
 * 4: the cost-model calibration (`calibrate`); 5: the stream engine takes NONUNIFORM and
 * max_partition (the api no longer filters them out). */
#define FCONV_CUDA_MODULE_ABI 5
#define FCONV_CUDA_MODULE_ENTRY "fconv_cuda_module_entry"

/* What the module may call in libfconv (core/error.h, core/memory.h). */
typedef struct fconv_host_services {
  fconv_status (*verror)(fconv_status st, const char *file, int line, const char *func,
                         const char *fmt, va_list ap);
  fconv_status (*error_pass)(fconv_status st, const char *func);
  void (*vlog)(const char *file, int line, const char *fmt, va_list ap);
  int (*debug_enabled)(void);
  const char *(*status_text)(fconv_status s);
  void *(*malloc)(size_t bytes);
  void *(*calloc)(size_t bytes);
  void (*free)(void *p);
} fconv_host_services;

/* Sizes of the structures that cross the boundary, in the order of the layout field below. */
#define FCONV_CUDA_MODULE_LAYOUT                                                        \
  { sizeof(fconv_host_services), sizeof(fconv_path_vtbl), sizeof(fconv_problem),        \
    sizeof(fconv_kernel_info), sizeof(fconv_kernel_stats), sizeof(fconv_plan_info),     \
    sizeof(fconv_stream_engine), sizeof(fconv_stream_desc), sizeof(fconv_stream_info) }
#define FCONV_CUDA_MODULE_NLAYOUT 9

typedef struct fconv_cuda_module {
  unsigned abi;                             /* FCONV_CUDA_MODULE_ABI */
  unsigned version;                         /* FCONV_VERSION_NUMBER */
  size_t layout[FCONV_CUDA_MODULE_NLAYOUT]; /* FCONV_CUDA_MODULE_LAYOUT */
  const fconv_path_vtbl *direct, *fft, *overlap_save, *channels_direct;
  int (*devices)(void); /* usable devices (fconv_cuda_devices): 0 on any error, cached */
  const fconv_stream_engine *stream; /* the streaming engine (cuda/stream.cu) */
  /* Measure the cost models' constants on the current device and write its calibration file
   * (cuda/cost.h, cuda/calibrate.cu; `fconv_calibrate cuda`); a table of the figures into
   * report. quick: tiny sizes (tests; the figures mean nothing). */
  fconv_status (*calibrate)(int quick, char *report, size_t report_bytes);
} fconv_cuda_module;

/* The entry's type. host: libfconv's services (static storage), or NULL where the module's
 * sources are linked into the caller (the emulator tests). Never fails; the caller checks. */
typedef const fconv_cuda_module *(*fconv_cuda_module_entry_fn)(const fconv_host_services *host);
/* The module's entry (cuda/module.c), the one symbol it exports; libfconv finds it by name. */
__attribute__((visibility("default"))) const fconv_cuda_module *
fconv_cuda_module_entry(const fconv_host_services *host);

/* libfconv's side (cuda_loader.c). fconv_cuda_module_get: the module, loaded and checked on the
 * first call (thread-safe; later calls return the same answer at once), or NULL when it cannot be
 * used here: then fconv_cuda_module_why() says why in one line (what was tried and the loader's
 * reason), and FCONV_DEBUG logged every attempt. The module is never unloaded. */
FCONV_HIDDEN const fconv_cuda_module *fconv_cuda_module_get(void);
FCONV_HIDDEN const char *fconv_cuda_module_why(void);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_CUDA_MODULE_H */
