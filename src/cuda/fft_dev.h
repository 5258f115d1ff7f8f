/* fft_dev.h — the device FFT abstraction used by the CUDA FFT and overlap-save paths.
 *
 * One interface, two implementations with the SAME data layout:
 *   src/cuda/fft_cufft.cu          cuFFT (the library build),
 *   tests/cuda/fft_fftw_standin.cpp FFTW standing in for cuFFT (the emulator tests only; there
 *                                  "device" memory is host memory).
 * The layout is cufftPlanMany's "advanced layout": element (b, i0, i1, i2) of a rank-3 batch is
 * at  b*idist + ((i0*inembed[1] + i1)*inembed[2] + i2)*istride  (inembed[0] is not used), and
 * likewise for the output with onembed/ostride/odist. Extents, strides and distances count
 * elements of the array's own type (real for R2C input / C2R output, complex otherwise).
 * Unnormalised transforms: inverse(forward(x)) = (prod n) * x.
 *
 * Plans never allocate device memory themselves: create with a size query (*work_bytes), then
 * give the plan a work area with fconv_fft_set_work_area before the first exec (cuFFT's
 * cufftSetAutoAllocation(0) model), so the plan's workspace can be the caller's buffer
 * (fconv_plan_set_workspace). exec queues the transform on the plan's stream (set_stream) and
 * does not synchronise.
 *
 * Thread safety: a plan must not be used by two threads at once; distinct plans may.
 */
#ifndef FCONV_CUDA_FFT_DEV_H
#define FCONV_CUDA_FFT_DEV_H

#include "../core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fconv_fft_kind {
  FCONV_FFT_R2C, /* real -> half spectrum (last axis n/2+1), forward */
  FCONV_FFT_C2R, /* half spectrum -> real, inverse (the input may be overwritten) */
  FCONV_FFT_C2C  /* complex <-> complex, direction chosen at exec */
} fconv_fft_kind;

typedef struct fconv_fft_layout {
  int rank;             /* 1..3 */
  long long n[3];       /* logical transform extents, slowest first (rank entries) */
  long long inembed[3]; /* input storage extents (inembed[0] unused), rank entries */
  long long istride, idist;
  long long onembed[3];
  long long ostride, odist;
  long long howmany;    /* transforms in the batch (>= 1) */
} fconv_fft_layout;

typedef struct fconv_fft fconv_fft; /* opaque */

/* fconv_fft_plan_many: plan `howmany` transforms of kind `kind` in float (dbl == 0) or double
 * (dbl != 0) with layout *l. in_place says whether exec will be given in == out (cuFFT does not
 * need to know; FFTW does). *work_bytes receives the device work area the plan needs. On
 * failure *plan is untouched and nothing leaks. Statuses: FCONV_OK, FCONV_ERR_OUT_OF_MEMORY,
 * FCONV_ERR_FFT (the library refused), FCONV_ERR_INVALID_ARGUMENT (a bad layout). */
FCONV_HIDDEN fconv_status fconv_fft_plan_many(fconv_fft **plan, fconv_fft_kind kind, int dbl,
                                              const fconv_fft_layout *l, int in_place,
                                              size_t *work_bytes);

/* fconv_fft_set_stream: queue later execs on stream (a cudaStream_t; NULL = the default one). */
FCONV_HIDDEN fconv_status fconv_fft_set_stream(fconv_fft *plan, void *stream);

/* fconv_fft_set_work_area: device buffer of at least *work_bytes (from plan_many) bytes, kept
 * (not owned) until replaced. May be NULL when work_bytes was 0. */
FCONV_HIDDEN fconv_status fconv_fft_set_work_area(fconv_fft *plan, void *work);

/* fconv_fft_exec: run the batch on device arrays in -> out (in == out iff planned in place).
 * inverse: 0 forward, 1 inverse; must be 0 for R2C and 1 for C2R. Asynchronous. */
FCONV_HIDDEN fconv_status fconv_fft_exec(fconv_fft *plan, void *in, void *out, int inverse);

/* fconv_fft_destroy: NULL is a no-op. */
FCONV_HIDDEN void fconv_fft_destroy(fconv_fft *plan);

/* fconv_cufft_status: map a cufftResult (as its integer value) to an fconv_status.
 * Defined here, not in fft_cufft.cu, so the emulator tests check it without libcufft; the
 * numeric values are checked against <cufft.h> by static_asserts in fft_cufft.cu.
 *   SUCCESS -> OK; ALLOC_FAILED -> OUT_OF_MEMORY; INVALID_DEVICE -> CUDA (the device, not the
 *   transform, is the problem); INVALID_PLAN, NO_WORKSPACE, UNALIGNED_DATA (fconv handed cuFFT a
 *   bad handle, no work area or a misaligned array: a bug) -> INTERNAL; everything else
 *   (INVALID_TYPE, INVALID_VALUE, INTERNAL_ERROR, EXEC_FAILED, SETUP_FAILED, INVALID_SIZE,
 *   NOT_IMPLEMENTED, NOT_SUPPORTED, MISSING_DEPENDENCY, NVRTC/NVJITLINK/NVSHMEM failures and
 *   values unknown to this build) -> FFT. */
static inline fconv_status fconv_cufft_status(int r) {
  switch (r) {
  case 0x0: return FCONV_OK;                 /* CUFFT_SUCCESS */
  case 0x2: return FCONV_ERR_OUT_OF_MEMORY;  /* CUFFT_ALLOC_FAILED */
  case 0xB: return FCONV_ERR_CUDA;           /* CUFFT_INVALID_DEVICE */
  case 0x1:                                  /* CUFFT_INVALID_PLAN */
  case 0x9:                                  /* CUFFT_UNALIGNED_DATA */
  case 0xD: return FCONV_ERR_INTERNAL;       /* CUFFT_NO_WORKSPACE */
  default: return FCONV_ERR_FFT;
  }
}

#ifdef __cplusplus
}
#endif

#endif /* FCONV_CUDA_FFT_DEV_H */
