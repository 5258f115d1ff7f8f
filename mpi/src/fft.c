/* fft.c — the FFTW-MPI path (distributed transforms). */
#include "mpi_internal.h"

fconv_status fm_fft_plan(fconv_mpi_plan *p, const size_t *own, const size_t *out_own) {
  (void)p, (void)own, (void)out_own;
  return fm_fail(FCONV_ERR_UNSUPPORTED, "FFTW-MPI path not built");
}
fconv_status fm_fft_set_kernel(fconv_mpi_plan *p, const void *kernel) {
  (void)p, (void)kernel;
  return FCONV_ERR_UNSUPPORTED;
}
fconv_status fm_fft_execute(fconv_mpi_plan *p, const void *signal, const void *kernel, void *out) {
  (void)p, (void)signal, (void)kernel, (void)out;
  return FCONV_ERR_UNSUPPORTED;
}
void fm_fft_free(fconv_mpi_plan *p) { (void)p; }
