/* test_cuda_direct_ref.cpp — see test_cuda_direct_ref.h. Deliberately simple and slow. */
#include "test_cuda_direct_ref.h"

namespace fconv_ref {

long ext_index(long i, long n, fconv_boundary b) {
  if (i >= 0 && i < n) return i;
  switch (b) {
  case FCONV_BOUNDARY_ZERO:
    return -1;
  case FCONV_BOUNDARY_WRAP:
    while (i < 0) i += n;
    while (i >= n) i -= n;
    return i;
  case FCONV_BOUNDARY_SYMMETRIC: /* reflect about the edges, edge sample repeated */
    while (i < 0 || i >= n) i = i < 0 ? -1 - i : 2 * n - 1 - i;
    return i;
  case FCONV_BOUNDARY_MIRROR: /* reflect about the edge samples */
    if (n == 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
    return i;
  case FCONV_BOUNDARY_REPLICATE:
    return i < 0 ? 0 : n - 1;
  }
  return -1;
}

Result convolve(const fconv_desc &d, const std::vector<cld> &x, const std::vector<cld> &h) {
  Result r;
  const int rank = d.rank, off = 3 - rank;
  long N[3] = {1, 1, 1}, K[3] = {1, 1, 1}, P0[3] = {0, 0, 0}, L[3] = {1, 1, 1}, S[3] = {1, 1, 1};
  long O[3] = {1, 1, 1}, shift[3] = {0, 0, 0};
  bool swapped = false;
  if (d.mode == FCONV_MODE_VALID)
    for (int u = 0; u < rank; u++) swapped |= d.kernel_shape[u] > d.signal_shape[u];
  for (int u = 0; u < rank; u++) {
    const int a = off + u;
    N[a] = (long)d.signal_shape[u];
    K[a] = (long)d.kernel_shape[u];
    S[a] = (long)d.stride[u];
    long p0 = 0, p1 = 0;
    switch (d.mode) {
    case FCONV_MODE_FULL: p0 = p1 = K[a] - 1; break;
    case FCONV_MODE_SAME: p0 = K[a] / 2; p1 = (K[a] - 1) / 2; break;
    case FCONV_MODE_VALID: break;
    case FCONV_MODE_PAD: p0 = (long)d.pad_before[u]; p1 = (long)d.pad_after[u]; break;
    }
    P0[a] = p0;
    if (swapped) { /* full convolution of x with g, entries N-1 .. K-1 */
      L[a] = K[a] - N[a] + 1;
      shift[a] = N[a] - 1;
    } else { /* y[n] = sum_m xe[n + K-1 - m] g[m] */
      L[a] = N[a] + p0 + p1 - K[a] + 1;
      shift[a] = K[a] - 1;
    }
    O[a] = (L[a] + S[a] - 1) / S[a];
    r.shape[u] = (size_t)O[a];
  }
  const size_t sig = (size_t)(N[0] * N[1] * N[2]), ker = (size_t)(K[0] * K[1] * K[2]);
  const size_t outn = (size_t)(O[0] * O[1] * O[2]);
  r.count = d.batch > d.kernel_batch ? d.batch : d.kernel_batch;
  r.y.assign(r.count * outn, cld(0));
  r.l1.assign(r.count * outn, 0.0L);
  const bool corr = d.op == FCONV_OP_CORRELATE;
  for (size_t i = 0; i < r.count; i++) {
    const cld *xs = &x[(d.batch == 1 ? 0 : i) * sig];
    const cld *hs = &h[(d.kernel_batch == 1 ? 0 : i) * ker];
    for (long o0 = 0; o0 < O[0]; o0++)
      for (long o1 = 0; o1 < O[1]; o1++)
        for (long o2 = 0; o2 < O[2]; o2++) {
          const long o[3] = {o0 * S[0], o1 * S[1], o2 * S[2]};
          cld acc = 0;
          long double l1 = 0;
          for (long m0 = 0; m0 < K[0]; m0++)
            for (long m1 = 0; m1 < K[1]; m1++)
              for (long m2 = 0; m2 < K[2]; m2++) {
                const long m[3] = {m0, m1, m2};
                long src[3];
                bool zero = false;
                for (int a = 0; a < 3; a++) {
                  const long e = o[a] + shift[a] - m[a]; /* extended (window) coordinate */
                  src[a] = swapped ? (e >= 0 && e < N[a] ? e : -1)
                                   : ext_index(e - P0[a], N[a], d.boundary);
                  zero |= src[a] < 0;
                }
                if (zero) continue;
                /* g = h (convolve) or flip(conj(h)) (correlate) */
                cld g = corr ? std::conj(hs[((K[0] - 1 - m0) * K[1] + (K[1] - 1 - m1)) * K[2] +
                                            (K[2] - 1 - m2)])
                             : hs[(m0 * K[1] + m1) * K[2] + m2];
                const cld xv = xs[(src[0] * N[1] + src[1]) * N[2] + src[2]];
                acc += xv * g;
                l1 += std::abs(xv) * std::abs(g);
              }
          const size_t idx = i * outn + (size_t)((o0 * O[1] + o1) * O[2] + o2);
          r.y[idx] = acc;
          r.l1[idx] = l1;
        }
  }
  return r;
}

}  // namespace fconv_ref
