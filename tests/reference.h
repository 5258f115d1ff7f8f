// reference.h — an independent, naive oracle for fconv's semantics (DESIGN.md "Semantics"),
// written from the design text only: it never reads src/ and never uses fconv_bmap.
//
//   1. g = h (CONVOLVE) or flip(conj(h)) on every axis (CORRELATE).
//   2. P0/P1 per axis: FULL (K-1, K-1), SAME (K/2, (K-1)/2), VALID (0, 0), PAD (pad_before,
//      pad_after).
//   3. x is extended by the np.pad algorithm itself (iterated chunk copies, as numpy does it),
//      axis after axis, so corners come from already-padded data exactly as in np.pad.
//   4. y[n] = sum_m xe[n + K-1 - m] g[m] (valid convolution), accumulated in long double.
//   5. Stride s keeps y[0], y[s], ...
//   6. VALID with K >= N on every axis swaps the operands (convolution commutes; correlate is
//      convolve with flip(conj(h)), so the swapped signal is flip(conj(h))).
//   7. max(batch, kernel_batch) outputs, pairing signal i / kernel i, or the single one.
//   With the descriptor's extension (FCONV_FLAG_EXTENDED): dilation zero-stuffs each kernel to
//   extent (k-1)*d + 1; channels give batch * C_out outputs, each the sum over the inputs of its
//   group of single-channel problems (scale: the sum of their ||xe|| ||g||).
//
// Accuracy: reference::error_bound() is the ONE bound every comparison in the suite uses.
#ifndef FCONV_TESTS_REFERENCE_H
#define FCONV_TESTS_REFERENCE_H

#include <complex>
#include <cstddef>
#include <string>
#include <vector>

#include "fconv.h"

namespace reference {

using cld = std::complex<long double>;

// Pad one line in place, the way numpy.pad does it for one axis. `line` has the final length;
// the original samples sit at [left, size - right). ZERO='constant' (0), WRAP='wrap',
// SYMMETRIC='symmetric', MIRROR='reflect', REPLICATE='edge'.
void pad_line(std::vector<cld> &line, size_t left, size_t right, fconv_boundary b);

// Extend an array of `rank` axes (C order, extents n) by p0/p1 per axis with boundary b.
// ext receives the extended extents. Pads axis 0, then 1, then 2, over the whole (partly
// padded) array, like numpy.pad.
std::vector<cld> extend(const std::vector<cld> &x, int rank, const size_t *n, const size_t *p0,
                        const size_t *p1, fconv_boundary b, size_t *ext);

struct Result {
  int rank = 0;
  size_t shape[FCONV_MAX_RANK] = {1, 1, 1}; // one output's extents (entries past rank are 1)
  size_t count = 0;                         // max(batch, kernel_batch)
  size_t per_output = 0;                    // prod(shape)
  std::vector<cld> y;                       // count * per_output, back to back
  std::vector<long double> scale;           // per output: ||xe||_2 * ||g||_2 of its pair
  double log2_len = 1.0;                    // log2 of the (largest) transform length
  bool swapped = false;                     // VALID rule 6 applied
};

// Compute the oracle for d. x holds batch signals, h kernel_batch kernels (as complex; real
// dtypes have zero imaginary parts). Returns false (with why) when d is not a valid problem
// for the semantics (crossed VALID, PAD window shorter than the kernel, zero extents, ...).
// only: when given, compute just these flat output indices of every item (the others are left
// 0; the norms and log2_len are computed in full) -- for problems too large for the whole sum.
bool convolve(const fconv_desc &d, const std::vector<cld> &x, const std::vector<cld> &h,
              Result *out, std::string *why, const std::vector<size_t> *only = nullptr);

// Per output element, sum over the taps of |xe| |g| (the l1 magnitude that bounds a direct
// sum's rounding), in the layout of Result::y. Computed as convolve(d, |x|, |h|): padding,
// flipping and conjugation all commute with |.|. Same failure cases as convolve.
bool magnitudes(const fconv_desc &d, const std::vector<cld> &x, const std::vector<cld> &h,
                std::vector<long double> *l1, std::string *why);

// Machine epsilon of the dtype's real scalar (FLT_EPSILON for F32/C64, DBL_EPSILON otherwise).
double eps_of(fconv_dtype t);

// The constant C of the accuracy bound (DESIGN.md "Accuracy bound to test against").
constexpr double kBoundC = 8.0;

// The ONE accuracy bound of the suite, from DESIGN.md:
//   max |y - reference| <= C * eps(dtype) * log2(fft length) * ||xe||_2 * ||g||_2
// with C = kBoundC, log2 at least 1, applied per output item with that item's ||xe||*||g||.
// It covers the direct method too (whose error is at most ~taps * eps * window norm product,
// in practice ~sqrt(taps) * eps, and the window norm is <= ||xe||).
double error_bound(fconv_dtype t, long double scale, double log2_len);

// The Winograd F(4x4, 3x3) bound of fconv.h ("Accuracy": WINOGRAD), for an output channel whose
// group has cig input channels (times B, the 3x3 blocks per filter: kernel planes in 3-D, a
// larger or strided kernel's blocks), with scale = sqrt(B) times the sum over those inputs of
// ||xe_i||_2 ||g_i||_2 (Result::scale of a multi-channel problem):
//   |y[n] - exact[n]| <= kWinogradKappa * (cig + 20) * eps(dtype) * scale
// kWinogradKappa = 300 bounds the largest singular value, over the 16 outputs of a tile, of the
// map (|g|, |d|) -> |A^T| (|G| |g| |G^T| (.) |B^T| |d| |B|) |A| (299.35), and cig + 20 the
// rounding steps (6 per transform, cig in the product's sum, 8 for the weights and slack).
constexpr double kWinogradKappa = 300.0;
double winograd_error_bound(fconv_dtype t, size_t cig, long double scale);

} // namespace reference

#endif
