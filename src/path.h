/* path.h — the contract between dispatch and every backend path (the vtable), and what each
 * backend exports. Data flows one way: api (validation, plan lifecycle) -> dispatch (choice) ->
 * one path. Every path sees the same normalised problem (core/problem.h). */
#ifndef FCONV_PATH_H
#define FCONV_PATH_H

#include <stddef.h>

#include "core/error.h"
#include "core/kernel_info.h"
#include "core/problem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One computation path. The api owns the plan; the path owns `state`. Vtables are written with
 * designated initialisers; optional entries left out are NULL.
 * Lifecycle: create (all planning and allocation) -> set_kernel* -> execute* -> destroy.
 * Contract for every path:
 *  - estimate(p): modelled seconds for one execute of p (all count outputs), or a negative
 *    value when this path cannot run p in this build. Cheap, no allocation.
 *  - create(p, &state): plan and allocate. p is copied by the path if it needs it later. On
 *    failure nothing is leaked and *state is untouched.
 *  - set_kernel(state, kernel, info): kernel_batch kernels in user layout (the user's h, not
 *    taps). For host-pointer plans `kernel` is the api's own copy, valid until the next
 *    set_kernel or destroy, so the path may keep the pointer. For device-pointer CUDA plans it
 *    is the caller's device pointer: the path copies what it needs. `info` is what the api
 *    learnt about the kernels once (core/kernel_info.h), with a host copy of them. May be NULL
 *    in the vtable when the path needs no precomputation (execute then receives the api's copy
 *    explicitly).
 *  - execute(state, signal, kernel, out): kernel NULL means "the one given to set_kernel"
 *    (FCONV_ERR_INVALID_ARGUMENT when none was). Writes all count outputs. Never allocates (all
 *    scratch is made in create).
 *  - kernel_cost(state, info): optional: modelled seconds once the kernel is known (e.g. the
 *    direct paths' separable cost); NULL: the estimate stands. info is the kernel set (its host
 *    is the one set_kernel received) or an explicit kernel about to be passed to execute (the
 *    api's execute-path refinement): a path may analyse that one into its execute-time scratch,
 *    never allocating. Accuracy policy (which kernels need the direct method) is dispatch's,
 *    not the path's.
 *  - describe(state, info): optional: fill transform_shape, block_shape, separable, isa,
 *    workspace_bytes.
 *  - to_host(state, dst, src, bytes): optional: copy the caller's array (device memory for
 *    device-pointer plans) into host memory at dst, after checking its kind for this plan (the
 *    api's kernel copy); NULL: a plain memcpy (host-only paths).
 *  - set_stream, set_workspace, workspace_size: CUDA paths only (NULL elsewhere).
 * The same misuse gets the same status on every path: a kernel missing at execute and bad
 * workspace or pointer kinds are FCONV_ERR_INVALID_ARGUMENT; sizes a path cannot address
 * (overflowing size_t, or beyond its library's int interface) FCONV_ERR_UNSUPPORTED; failed
 * allocations FCONV_ERR_OUT_OF_MEMORY. */
/* Which problems a path runs (vtable field `channels`; dispatch checks it): */
enum {
  FCONV_PATH_PLAIN = 0,         /* single-channel problems only (the default) */
  FCONV_PATH_CHANNELS_ONLY = 1, /* multi-channel problems (p->multichannel) only */
  FCONV_PATH_CHANNELS_TOO = 2   /* both */
};

typedef struct fconv_path_vtbl {
  const char *name; /* "cpu-direct", "cpu-fft", "cpu-overlap-save", "cuda-direct", ... */
  fconv_backend backend;
  fconv_method method;
  int channels;     /* FCONV_PATH_PLAIN, _CHANNELS_ONLY or _CHANNELS_TOO */
  double (*estimate)(const fconv_problem *p);
  fconv_status (*create)(const fconv_problem *p, void **state);
  fconv_status (*set_kernel)(void *state, const void *kernel, const fconv_kernel_info *info);
  fconv_status (*execute)(void *state, const void *signal, const void *kernel, void *out);
  void (*destroy)(void *state);
  double (*kernel_cost)(const void *state, const fconv_kernel_info *info);
  void (*describe)(const void *state, fconv_plan_info *info);
  fconv_status (*to_host)(void *state, void *dst, const void *src, size_t bytes);
  fconv_status (*set_stream)(void *state, void *stream);
  fconv_status (*set_workspace)(void *state, void *ws, size_t bytes);
  size_t (*workspace_size)(const void *state);
  int auto_only; /* 1: the path's error bound is not its method's (fconv.h, "Accuracy"):
                    dispatch offers it to method AUTO without FCONV_FLAG_ACCURATE only */
} fconv_path_vtbl;

extern FCONV_HIDDEN const fconv_path_vtbl fconv_cpu_direct_path;
extern FCONV_HIDDEN const fconv_path_vtbl fconv_cpu_fft_path;
extern FCONV_HIDDEN const fconv_path_vtbl fconv_cpu_overlap_save_path;
/* The CPU backend's FFTW wisdom, both precisions as one text (cpu/fftw.c; fconv.h's
 * fconv_wisdom_*): export (malloc'ed; free()), import, to and from files (written atomically),
 * forget. FCONV_ERR_INVALID_ARGUMENT for NULL, text that is not fconv wisdom, and files that
 * cannot be read or written; FCONV_ERR_FFT when FFTW rejects the wisdom. */
FCONV_HIDDEN fconv_status fconv_fftw_wisdom_export(char **text);
FCONV_HIDDEN fconv_status fconv_fftw_wisdom_import(const char *text);
FCONV_HIDDEN fconv_status fconv_fftw_wisdom_export_file(const char *path);
FCONV_HIDDEN fconv_status fconv_fftw_wisdom_import_file(const char *path);
FCONV_HIDDEN void fconv_fftw_wisdom_forget(void);

/* multi-channel problems (p->multichannel) only; cpu/channels_direct.c, cpu/channels_fft.c,
 * cpu/channels_winograd.c */
extern FCONV_HIDDEN const fconv_path_vtbl fconv_cpu_channels_direct_path;
extern FCONV_HIDDEN const fconv_path_vtbl fconv_cpu_channels_winograd_path;
extern FCONV_HIDDEN const fconv_path_vtbl fconv_cpu_channels_fft_path;
extern FCONV_HIDDEN const fconv_path_vtbl fconv_cpu_channels_overlap_save_path;
/* The CUDA backend's paths live in the CUDA module (libfconv_cuda, src/cuda); libfconv reaches
 * them only through the module's entry (cuda_module.h), never by these names. */
#ifdef FCONV_HAVE_CUDA
extern FCONV_HIDDEN const fconv_path_vtbl fconv_cuda_direct_path;
extern FCONV_HIDDEN const fconv_path_vtbl fconv_cuda_fft_path;          /* channels too */
extern FCONV_HIDDEN const fconv_path_vtbl fconv_cuda_overlap_save_path; /* channels too */
extern FCONV_HIDDEN const fconv_path_vtbl fconv_cuda_channels_direct_path; /* cuda/channels_direct.cu */
/* Usable CUDA devices (0 on any driver/runtime error, which is cleared). */
FCONV_HIDDEN int fconv_cuda_devices(void);
#endif

#ifdef __cplusplus
}
#endif

#endif /* FCONV_PATH_H */
