/* cuda_fft_reference.cpp — see cuda_fft_reference.h: adapters over tests/reference.h. */
#include "cuda_fft_reference.h"

#include <cmath>
#include <cstring>
#include <utility>

#include "../reference.h"

namespace fftref {

bool reference(const fconv_desc &d, const std::vector<cld> &x, const std::vector<cld> &h,
               std::vector<cld> &y, size_t shape[3]) {
  ::reference::Result r;
  if (!::reference::convolve(d, x, h, &r, nullptr)) return false;
  for (int u = 0; u < d.rank; u++) shape[u] = r.shape[u];
  y = std::move(r.y);
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
  ::reference::Result r; /* for its per-item ||xe|| ||g|| */
  if (!::reference::convolve(d, x, h, &r, nullptr) || r.count == 0) return HUGE_VAL;
  const size_t oe = want.size() / r.count;
  double worst = 0;
  for (size_t i = 0; i < r.count; i++) {
    const double bound = ::reference::error_bound(d.dtype, r.scale[i], std::log2(fft_len)) *
                             (C / ::reference::kBoundC) + 1e-300;
    for (size_t j = 0; j < oe; j++) {
      const double e = (double)std::abs(got[i * oe + j] - want[i * oe + j]);
      if (std::isnan(e)) return HUGE_VAL; /* a NaN output fails (NaN compares false) */
      if (e / bound > worst) worst = e / bound;
    }
  }
  return worst;
}

}  // namespace fftref
