/* test_cuda_direct_ref.h — an independent long-double reference of the fconv contract
 * (DESIGN.md "Semantics"), written from the rules, not from src/: its own padding, its own
 * (iterative, np.pad-like) boundary extension, its own output extents and VALID swap.
 * TEMPORARY: the tests helper's shared tests/reference.h replaces it at merge. */
#ifndef FCONV_TEST_CUDA_DIRECT_REF_H
#define FCONV_TEST_CUDA_DIRECT_REF_H

#include <complex>
#include <cstddef>
#include <vector>

#include "fconv.h"

namespace fconv_ref {

using cld = std::complex<long double>;

struct Result {
  size_t shape[3] = {1, 1, 1}; /* per output, entries past rank are 1 */
  size_t count = 0;            /* outputs */
  std::vector<cld> y;          /* count * prod(shape) */
  std::vector<long double> l1; /* per output element: sum |xe| |g| over the taps */
};

/* y for every output of d, from x (batch signals) and h (kernel_batch kernels), both in the
 * user's layout, converted to long double. */
Result convolve(const fconv_desc &d, const std::vector<cld> &x, const std::vector<cld> &h);

/* Signal index read at extended position i (relative to the first sample) by np.pad-style
 * iterative extension; -1 for a zero. */
long ext_index(long i, long n, fconv_boundary b);

}  // namespace fconv_ref

#endif
