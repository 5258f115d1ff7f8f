/* fft.c — the CPU FFT path (FFTW3): the whole extended window of every axis in one transform.
 *
 * fftw3f for F32/C64, fftw3 for F64/C128; r2c/c2r with half spectra for real data, c2c for
 * complex; every batch item in one FFTW advanced-interface plan (fftconv.c). Per axis the
 * transform length is the smallest cheap 7-smooth length (fconv_fc_good_size) that is free of
 * wrap-around for the outputs actually kept:
 *   - ZERO boundary: the signal is placed at offset 0 unpadded (only the part of it any kept
 *     output reads), so T >= n + k - 1 at most, and n + k/2 for SAME; huge PAD zero padding
 *     costs nothing (outputs outside the support are written as 0);
 *   - other boundaries: the extended window ((out-1)*stride + k samples) is materialised with
 *     fconv_gather, T >= that.
 * The kernel spectrum (with the 1/prod(T) scale and, for CORRELATE, the flip and conjugate
 * folded in) is computed once by set_kernel; an explicit kernel at execute goes to a separate
 * scratch spectrum (and is not re-transformed while its contents do not change). */
#include "../fconv_internal.h"
#include "fftconv.h"

static double fft_estimate(const fconv_problem *p) {
  fconv_fc_geom g;
  if (!fconv_fc_single_block(p, &g)) return -1.0;
  return fconv_fc_model(p, &g);
}

static fconv_status fft_create(const fconv_problem *p, void **state) {
  fconv_fc_geom g;
  FCONV_RETURN_IF(!fconv_fc_single_block(p, &g), FCONV_ERR_UNSUPPORTED,
                  "transform length overflows");
  return fconv_fc_create(p, &g, 0, state);
}

const fconv_path_vtbl fconv_cpu_fft_path = {
    "cpu-fft",          FCONV_BACKEND_CPU,  FCONV_METHOD_FFT, fft_estimate,    fft_create,
    fconv_fc_set_kernel, fconv_fc_execute,  fconv_fc_destroy, fconv_fc_refine, fconv_fc_describe,
    NULL,               NULL,               NULL};
