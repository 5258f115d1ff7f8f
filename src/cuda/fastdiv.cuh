/* fastdiv.cuh — division by a divisor fixed at plan time, for index decomposition in CUDA
 * kernels: one 32-bit multiply-high and a shift instead of a 64-bit division (a ~70-instruction
 * software routine on NVIDIA GPUs). The round-up method of Granlund & Montgomery (1994), as in
 * CUTLASS's FastDivmod: for 1 <= d < 2^31 let l = ceil(log2 d), p = 31 + l and
 * m = ceil(2^p / d) (< 2^32); then for every 0 <= n < 2^31, n / d = (n * m) >> p, i.e.
 * umulhi(n, m) >> (l - 1); d == 1 is the identity (m = 0).
 * Proof sketch: m*d = 2^p + e with 0 <= e < d, so n*m / 2^p = n/d + n*e / (d 2^p), and
 * n*e / (d 2^p) < 2^31 / 2^p = 2^-l <= 1/d, which never carries past the next integer.
 * The host makes the divisor (fconv_fastdiv_make); host and device divide with it. Callers
 * check that dividends stay below 2^31 and use 64-bit division otherwise (the kernels'
 * `Wide` instances). Include "compat.cuh" first. */
#ifndef FCONV_CUDA_FASTDIV_CUH
#define FCONV_CUDA_FASTDIV_CUH

#include <stdint.h>

struct fconv_fastdiv {
  unsigned d; /* the divisor, >= 1 */
  unsigned m; /* multiplier; 0 for d == 1 */
  unsigned s; /* right shift after the multiply-high */
};

/* Largest dividend and divisor fconv_fastdiv serves (exclusive). */
#define FCONV_FASTDIV_LIMIT (1LL << 31)

static inline fconv_fastdiv fconv_fastdiv_make(long long d) {
  fconv_fastdiv f;
  f.d = d < 1 ? 1u : (unsigned)d;
  f.m = 0;
  f.s = 0;
  if (f.d > 1) {
    unsigned l = 0;
    while ((1ull << l) < f.d) l++; /* ceil(log2 d) */
    const unsigned p = 31 + l;
    f.m = (unsigned)(((1ull << p) + f.d - 1) / f.d);
    f.s = l - 1;
  }
  return f;
}

FCONV_DI unsigned fconv_umulhi(unsigned a, unsigned b) {
#if defined(__CUDA_ARCH__)
  return __umulhi(a, b);
#else
  return (unsigned)(((uint64_t)a * b) >> 32);
#endif
}

/* n / d, and *r = n % d; n < 2^31. */
FCONV_DI unsigned fconv_fastdiv_divmod(const fconv_fastdiv &f, unsigned n, unsigned *r) {
  const unsigned q = f.m ? fconv_umulhi(n, f.m) >> f.s : n;
  *r = n - q * f.d;
  return q;
}

/* A divisor for the kernels' index arithmetic in two widths: 32-bit with the multiply-high
 * where every index of a launch is below 2^30 (Wide = false), 64-bit division otherwise. */
struct fconv_divisor {
  long long d;
  fconv_fastdiv f;
};

static inline fconv_divisor fconv_divisor_make(long long d) {
  fconv_divisor v;
  v.d = d < 1 ? 1 : d;
  v.f = fconv_fastdiv_make(v.d < FCONV_FASTDIV_LIMIT ? v.d : 1);
  return v;
}

template <bool Wide> struct fconv_index;
template <> struct fconv_index<false> {
  typedef unsigned U; /* decomposed indices */
  typedef int S;      /* signed coordinates */
  static FCONV_DI U divmod(const fconv_divisor &v, U n, U *r) {
    return fconv_fastdiv_divmod(v.f, n, r);
  }
};
template <> struct fconv_index<true> {
  typedef unsigned long long U;
  typedef long long S;
  static FCONV_DI U divmod(const fconv_divisor &v, U n, U *r) {
    const U q = n / (U)v.d;
    *r = n - q * (U)v.d;
    return q;
  }
};

#endif /* FCONV_CUDA_FASTDIV_CUH */
