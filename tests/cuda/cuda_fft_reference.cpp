/* cuda_fft_reference.cpp — see cuda_fft_reference.h (TEMPORARY until tests/reference.h). */
#include "cuda_fft_reference.h"

#include <cfloat>
#include <cmath>
#include <cstring>

namespace fftref {

long pad_index(long i, long n, fconv_boundary b) {
  if (i >= 0 && i < n) return i;
  /* One period of the extension, as np.pad repeats it. */
  std::vector<long> period;
  switch (b) {
  case FCONV_BOUNDARY_ZERO: return -1;
  case FCONV_BOUNDARY_REPLICATE: return i < 0 ? 0 : n - 1;
  case FCONV_BOUNDARY_WRAP:
    for (long j = 0; j < n; j++) period.push_back(j);
    break;
  case FCONV_BOUNDARY_SYMMETRIC: /* a b c d d c b a */
    for (long j = 0; j < n; j++) period.push_back(j);
    for (long j = n - 1; j >= 0; j--) period.push_back(j);
    break;
  case FCONV_BOUNDARY_MIRROR: /* a b c d c b */
    for (long j = 0; j < n; j++) period.push_back(j);
    for (long j = n - 2; j >= 1; j--) period.push_back(j);
    break;
  }
  const long P = (long)period.size();
  long r = ((i % P) + P) % P;
  return period[(size_t)r];
}

bool reference(const fconv_desc &d, const std::vector<cld> &x, const std::vector<cld> &h,
               std::vector<cld> &y, size_t shape[3]) {
  const int R = d.rank;
  if (R < 1 || R > 3) return false;
  long N[3], K[3], P0[3], P1[3], S[3];
  bool k_le = true, k_ge = true;
  for (int a = 0; a < 3; a++) {
    const int u = a - (3 - R); /* user axis, or < 0 for a leading unit axis */
    N[a] = u >= 0 ? (long)d.signal_shape[u] : 1;
    K[a] = u >= 0 ? (long)d.kernel_shape[u] : 1;
    S[a] = u >= 0 ? (long)d.stride[u] : 1;
    switch (d.mode) {
    case FCONV_MODE_FULL: P0[a] = K[a] - 1; P1[a] = K[a] - 1; break;
    case FCONV_MODE_SAME: P0[a] = K[a] / 2; P1[a] = (K[a] - 1) / 2; break;
    case FCONV_MODE_VALID: P0[a] = P1[a] = 0; break;
    case FCONV_MODE_PAD:
      P0[a] = u >= 0 ? (long)d.pad_before[u] : 0;
      P1[a] = u >= 0 ? (long)d.pad_after[u] : 0;
      break;
    }
    k_le &= K[a] <= N[a];
    k_ge &= K[a] >= N[a];
  }
  const bool swap = d.mode == FCONV_MODE_VALID && !k_le;
  if (swap && !k_ge) return false;
  long E[3], L[3], start[3], O[3];
  for (int a = 0; a < 3; a++) {
    E[a] = N[a] + P0[a] + P1[a];
    if (E[a] < K[a] && !swap) return false;
    L[a] = swap ? K[a] - N[a] + 1 : E[a] - K[a] + 1;
    start[a] = swap ? N[a] - 1 : K[a] - 1;
    O[a] = (L[a] + S[a] - 1) / S[a];
  }
  for (int u = 0; u < R; u++) shape[u] = (size_t)O[3 - R + u];
  const size_t count = d.batch > d.kernel_batch ? d.batch : d.kernel_batch;
  const long ne = N[0] * N[1] * N[2], ke = K[0] * K[1] * K[2], oe = O[0] * O[1] * O[2];
  y.assign(count * (size_t)oe, cld(0, 0));
  std::vector<cld> xe((size_t)(E[0] * E[1] * E[2])), g((size_t)ke);
  for (size_t i = 0; i < count; i++) {
    const cld *xs = &x[(d.batch == 1 ? 0 : i) * (size_t)ne];
    const cld *hs = &h[(d.kernel_batch == 1 ? 0 : i) * (size_t)ke];
    /* rule 3: the extended signal */
    for (long e0 = 0; e0 < E[0]; e0++)
      for (long e1 = 0; e1 < E[1]; e1++)
        for (long e2 = 0; e2 < E[2]; e2++) {
          long s0 = pad_index(e0 - P0[0], N[0], d.boundary);
          long s1 = pad_index(e1 - P0[1], N[1], d.boundary);
          long s2 = pad_index(e2 - P0[2], N[2], d.boundary);
          xe[(size_t)((e0 * E[1] + e1) * E[2] + e2)] =
              s0 < 0 || s1 < 0 || s2 < 0 ? cld(0, 0) : xs[(s0 * N[1] + s1) * N[2] + s2];
        }
    /* rule 1: g */
    for (long m = 0; m < ke; m++)
      g[(size_t)m] = d.op == FCONV_OP_CONVOLVE ? hs[m] : std::conj(hs[ke - 1 - m]);
    /* rules 4-6: y[o] = (xe * g)[start + o*stride], the full linear convolution */
    cld *ys = &y[i * (size_t)oe];
    for (long o0 = 0; o0 < O[0]; o0++)
      for (long o1 = 0; o1 < O[1]; o1++)
        for (long o2 = 0; o2 < O[2]; o2++) {
          const long t[3] = {start[0] + o0 * S[0], start[1] + o1 * S[1], start[2] + o2 * S[2]};
          cld acc(0, 0);
          for (long m0 = 0; m0 < K[0]; m0++) {
            const long j0 = t[0] - m0;
            if (j0 < 0 || j0 >= E[0]) continue;
            for (long m1 = 0; m1 < K[1]; m1++) {
              const long j1 = t[1] - m1;
              if (j1 < 0 || j1 >= E[1]) continue;
              for (long m2 = 0; m2 < K[2]; m2++) {
                const long j2 = t[2] - m2;
                if (j2 < 0 || j2 >= E[2]) continue;
                acc += xe[(size_t)((j0 * E[1] + j1) * E[2] + j2)] *
                       g[(size_t)((m0 * K[1] + m1) * K[2] + m2)];
              }
            }
          }
          ys[(o0 * O[1] + o1) * O[2] + o2] = acc;
        }
  }
  return true;
}

std::vector<cld> random_values(size_t count, bool complex_values, unsigned seed) {
  std::vector<cld> v(count);
  unsigned long long s = 0x9e3779b97f4a7c15ull ^ ((unsigned long long)seed * 0x100000001b3ull);
  auto next = [&s]() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return (long double)(s >> 11) * (2.0L / 9007199254740992.0L) - 1.0L;
  };
  for (auto &e : v) {
    long double re = next();
    long double im = complex_values ? next() : 0.0L;
    e = cld(re, im);
  }
  return v;
}

std::vector<unsigned char> pack(const std::vector<cld> &v, fconv_dtype t) {
  const size_t es = t == FCONV_F32 ? 4 : t == FCONV_C128 ? 16 : 8;
  std::vector<unsigned char> out(v.size() * es);
  for (size_t i = 0; i < v.size(); i++) {
    unsigned char *p = &out[i * es];
    if (t == FCONV_F32) {
      float f = (float)v[i].real();
      std::memcpy(p, &f, 4);
    } else if (t == FCONV_F64) {
      double f = (double)v[i].real();
      std::memcpy(p, &f, 8);
    } else if (t == FCONV_C64) {
      float f[2] = {(float)v[i].real(), (float)v[i].imag()};
      std::memcpy(p, f, 8);
    } else {
      double f[2] = {(double)v[i].real(), (double)v[i].imag()};
      std::memcpy(p, f, 16);
    }
  }
  return out;
}

std::vector<cld> unpack(const void *p, size_t count, fconv_dtype t) {
  std::vector<cld> v(count);
  const unsigned char *b = (const unsigned char *)p;
  for (size_t i = 0; i < count; i++) {
    if (t == FCONV_F32) {
      float f;
      std::memcpy(&f, b + 4 * i, 4);
      v[i] = cld(f, 0);
    } else if (t == FCONV_F64) {
      double f;
      std::memcpy(&f, b + 8 * i, 8);
      v[i] = cld(f, 0);
    } else if (t == FCONV_C64) {
      float f[2];
      std::memcpy(f, b + 8 * i, 8);
      v[i] = cld(f[0], f[1]);
    } else {
      double f[2];
      std::memcpy(f, b + 16 * i, 16);
      v[i] = cld(f[0], f[1]);
    }
  }
  return v;
}

double error_ratio(const fconv_desc &d, const std::vector<cld> &x, const std::vector<cld> &h,
                   const std::vector<cld> &got, const std::vector<cld> &want, double fft_len,
                   double C) {
  const int R = d.rank;
  long N[3] = {1, 1, 1}, P0[3] = {0, 0, 0}, E[3] = {1, 1, 1}, ne = 1, ke = 1;
  bool k_le = true;
  for (int u = 0; u < R; u++) k_le &= d.kernel_shape[u] <= d.signal_shape[u];
  const bool swap = d.mode == FCONV_MODE_VALID && !k_le;
  for (int u = 0; u < R; u++) {
    const int a = 3 - R + u;
    const long n = (long)d.signal_shape[u], k = (long)d.kernel_shape[u];
    long p0 = 0, p1 = 0;
    if (d.mode == FCONV_MODE_FULL) p0 = p1 = k - 1;
    if (d.mode == FCONV_MODE_SAME) { p0 = k / 2; p1 = (k - 1) / 2; }
    if (d.mode == FCONV_MODE_PAD) { p0 = (long)d.pad_before[u]; p1 = (long)d.pad_after[u]; }
    N[a] = n;
    P0[a] = p0;
    E[a] = swap ? n : n + p0 + p1;
    ne *= n;
    ke *= k;
  }
  const bool dbl = d.dtype == FCONV_F64 || d.dtype == FCONV_C128;
  const double eps = dbl ? DBL_EPSILON : FLT_EPSILON;
  const size_t count = d.batch > d.kernel_batch ? d.batch : d.kernel_batch;
  const size_t oe = want.size() / count;
  double worst = 0;
  for (size_t i = 0; i < count; i++) {
    const cld *xs = &x[(d.batch == 1 ? 0 : i) * (size_t)ne];
    const cld *hs = &h[(d.kernel_batch == 1 ? 0 : i) * (size_t)ke];
    long double nx = 0, nh = 0; /* ||xe||^2 over the extended window, ||g||^2 = ||h||^2 */
    for (long e0 = 0; e0 < E[0]; e0++)
      for (long e1 = 0; e1 < E[1]; e1++)
        for (long e2 = 0; e2 < E[2]; e2++) {
          long s0 = pad_index(e0 - (swap ? 0 : P0[0]), N[0], d.boundary);
          long s1 = pad_index(e1 - (swap ? 0 : P0[1]), N[1], d.boundary);
          long s2 = pad_index(e2 - (swap ? 0 : P0[2]), N[2], d.boundary);
          if (s0 >= 0 && s1 >= 0 && s2 >= 0) nx += std::norm(xs[(s0 * N[1] + s1) * N[2] + s2]);
        }
    for (long j = 0; j < ke; j++) nh += std::norm(hs[j]);
    const double bound = C * eps * std::log2(fft_len > 2 ? fft_len : 2) *
                         std::sqrt((double)nx) * std::sqrt((double)nh) + 1e-300;
    for (size_t j = 0; j < oe; j++) {
      const double e = (double)std::abs(got[i * oe + j] - want[i * oe + j]);
      if (e / bound > worst) worst = e / bound;
    }
  }
  return worst;
}

}  // namespace fftref
