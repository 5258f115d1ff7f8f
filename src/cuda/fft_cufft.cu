/* fft_cufft.cu — fft_dev.h on cuFFT: cufftMakePlanMany64 with auto-allocation off (the plan's
 * workspace is fconv's), execution on the plan's stream. The tests run the same callers against
 * tests/cuda/fft_fftw_standin.cpp instead. */
#include "compat.cuh"

#include <cufft.h>

#include "fft_dev.h"

/* fconv_cufft_status in fft_dev.h uses the numeric values; pin them to this cuFFT. */
static_assert(CUFFT_SUCCESS == 0x0 && CUFFT_INVALID_PLAN == 0x1 && CUFFT_ALLOC_FAILED == 0x2 &&
                  CUFFT_UNALIGNED_DATA == 0x9 && CUFFT_INVALID_DEVICE == 0xB &&
                  CUFFT_NO_WORKSPACE == 0xD,
              "cufftResult values changed: update fconv_cufft_status in fft_dev.h");

struct fconv_fft {
  cufftHandle h;
  cufftType type;
};

#define CUFFT_FORWARD_STATUS(expr, why)                                         \
  do {                                                                          \
    cufftResult r_ = (expr);                                                    \
    if (r_ != CUFFT_SUCCESS) {                                                  \
      FCONV_LOG("cuFFT %s failed: cufftResult %d", (why), (int)r_);             \
      return fconv_cufft_status((int)r_);                                       \
    }                                                                           \
  } while (0)

extern "C" fconv_status fconv_fft_plan_many(fconv_fft **plan, fconv_fft_kind kind, int dbl,
                                            const fconv_fft_layout *l, int in_place,
                                            size_t *work_bytes) {
  (void)in_place; /* cuFFT decides per exec */
  FCONV_RETURN_IF(!plan || !l || !work_bytes || l->rank < 1 || l->rank > 3 || l->howmany < 1,
                  FCONV_ERR_INVALID_ARGUMENT, "fft layout");
  cufftType type;
  switch (kind) {
  case FCONV_FFT_R2C: type = dbl ? CUFFT_D2Z : CUFFT_R2C; break;
  case FCONV_FFT_C2R: type = dbl ? CUFFT_Z2D : CUFFT_C2R; break;
  default: type = dbl ? CUFFT_Z2Z : CUFFT_C2C; break;
  }
  fconv_fft *f = (fconv_fft *)fconv_calloc(sizeof *f);
  FCONV_RETURN_IF(!f, FCONV_ERR_OUT_OF_MEMORY, "fft plan");
  f->type = type;
  cufftResult r = cufftCreate(&f->h);
  if (r != CUFFT_SUCCESS) {
    fconv_free(f);
    FCONV_LOG("cufftCreate failed: %d", (int)r);
    return fconv_cufft_status((int)r);
  }
  long long n[3], in[3], on[3];
  for (int a = 0; a < l->rank; a++) {
    n[a] = l->n[a];
    in[a] = l->inembed[a];
    on[a] = l->onembed[a];
  }
  size_t ws = 0;
  r = cufftSetAutoAllocation(f->h, 0);
  if (r == CUFFT_SUCCESS)
    r = cufftMakePlanMany64(f->h, l->rank, n, in, l->istride, l->idist, on, l->ostride,
                            l->odist, type, l->howmany, &ws);
  if (r != CUFFT_SUCCESS) {
    cufftDestroy(f->h);
    fconv_free(f);
    FCONV_LOG("cufftMakePlanMany64 failed: %d", (int)r);
    return fconv_cufft_status((int)r);
  }
  *work_bytes = ws;
  *plan = f;
  return FCONV_OK;
}

extern "C" fconv_status fconv_fft_set_stream(fconv_fft *plan, void *stream) {
  CUFFT_FORWARD_STATUS(cufftSetStream(plan->h, (cudaStream_t)stream), "cufftSetStream");
  return FCONV_OK;
}

extern "C" fconv_status fconv_fft_set_work_area(fconv_fft *plan, void *work) {
  CUFFT_FORWARD_STATUS(cufftSetWorkArea(plan->h, work), "cufftSetWorkArea");
  return FCONV_OK;
}

extern "C" fconv_status fconv_fft_exec(fconv_fft *plan, void *in, void *out, int inverse) {
  cufftResult r;
  const int dir = inverse ? CUFFT_INVERSE : CUFFT_FORWARD;
  switch (plan->type) {
  case CUFFT_R2C: r = cufftExecR2C(plan->h, (cufftReal *)in, (cufftComplex *)out); break;
  case CUFFT_D2Z:
    r = cufftExecD2Z(plan->h, (cufftDoubleReal *)in, (cufftDoubleComplex *)out);
    break;
  case CUFFT_C2R: r = cufftExecC2R(plan->h, (cufftComplex *)in, (cufftReal *)out); break;
  case CUFFT_Z2D:
    r = cufftExecZ2D(plan->h, (cufftDoubleComplex *)in, (cufftDoubleReal *)out);
    break;
  case CUFFT_C2C:
    r = cufftExecC2C(plan->h, (cufftComplex *)in, (cufftComplex *)out, dir);
    break;
  default:
    r = cufftExecZ2Z(plan->h, (cufftDoubleComplex *)in, (cufftDoubleComplex *)out, dir);
    break;
  }
  CUFFT_FORWARD_STATUS(r, "exec");
  return FCONV_OK;
}

extern "C" void fconv_fft_destroy(fconv_fft *plan) {
  if (!plan) return;
  cufftDestroy(plan->h);
  fconv_free(plan);
}
