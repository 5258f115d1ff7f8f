/* cuda_fft_reference.h — TEMPORARY small reference for the CUDA FFT tests, until the tests
 * helper's shared tests/reference.h lands: the semantics of DESIGN.md rules 1-7 evaluated
 * directly from the user's fconv_desc in long double, sharing NO code with the library (no
 * fconv_bmap, no fconv_problem): np.pad-style extension built from explicit period tables,
 * full linear convolution of the extended signal with g, the valid part, then the stride. */
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

/* np.pad of one axis: the source index that extended position i (relative to the first sample)
 * reads, or -1 for zero. Built from explicit period tables, independent of fconv_bmap. */
long pad_index(long i, long n, fconv_boundary b);

/* Deterministic values in [-1, 1) (complex parts for complex dtypes). */
std::vector<cld> random_values(size_t count, bool complex_values, unsigned seed);

/* Pack / unpack between cld and the dtype's storage. */
std::vector<unsigned char> pack(const std::vector<cld> &v, fconv_dtype t);
std::vector<cld> unpack(const void *p, size_t count, fconv_dtype t);

/* The accuracy bound of DESIGN.md: C * eps(dtype) * log2(fft length) * ||xe||_2 * ||g||_2,
 * evaluated per output item with ||xe|| over the whole extended window and ||g|| of its
 * kernel. Returns the max over items of max|y - ref| / bound (<= 1 passes). */
double error_ratio(const fconv_desc &d, const std::vector<cld> &x, const std::vector<cld> &h,
                   const std::vector<cld> &got, const std::vector<cld> &want, double fft_len,
                   double C);

}  // namespace fftref

#endif
