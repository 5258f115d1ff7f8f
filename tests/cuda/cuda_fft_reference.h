/* cuda_fft_reference.h — the CUDA FFT tests' call shapes over the suite's ONE independent
 * reference (tests/reference.h, reference::convolve / reference::error_bound), plus their value
 * generation and packing. No reference code of its own. */
#ifndef FCONV_TESTS_CUDA_FFT_REFERENCE_H
#define FCONV_TESTS_CUDA_FFT_REFERENCE_H

#include <complex>
#include <cstddef>
#include <vector>

#include "fconv.h"

namespace fftref {

typedef std::complex<long double> cld;

/* Outputs of d for signals x (batch items) and kernels h (kernel_batch items), as complex
 * long double (imaginary parts 0 for real dtypes), back to back; `shape` receives one output's
 * extents (rank entries). Returns false for a description the reference considers invalid. */
bool reference(const fconv_desc &d, const std::vector<cld> &x, const std::vector<cld> &h,
               std::vector<cld> &y, size_t shape[3]);

/* Deterministic values in [-1, 1) (complex parts for complex dtypes). */
std::vector<cld> random_values(size_t count, bool complex_values, unsigned seed);

/* Pack / unpack between cld and the dtype's storage. */
std::vector<unsigned char> pack(const std::vector<cld> &v, fconv_dtype t);
std::vector<cld> unpack(const void *p, size_t count, fconv_dtype t);

/* The accuracy bound of DESIGN.md, reference::error_bound (log2 of the actual transform length
 * fft_len) with its constant kBoundC replaced by the (stricter) C, per output item with that
 * item's ||xe||_2 ||g||_2 from reference::convolve. Returns the max over items of
 * max|y - ref| / bound (<= 1 passes; a NaN output gives HUGE_VAL). */
double error_ratio(const fconv_desc &d, const std::vector<cld> &x, const std::vector<cld> &h,
                   const std::vector<cld> &got, const std::vector<cld> &want, double fft_len,
                   double C);

}  // namespace fftref

#endif
