/* core/kernel_info.c — rank-1 factors and magnitude statistics of kernels (kernel_info.h). */
#include "kernel_info.h"

#include <complex.h>
#include <math.h>
#include <string.h>

#include "dtype.h"
#include "problem.h"

static double complex load_c(fconv_dtype t, const void *a, size_t i) {
  double re, im;
  fconv_load_d(t, a, i, &re, &im);
  union { double complex z; double d[2]; } u = {.d = {re, im}}; /* C11: array layout */
  return u.z;
}

static void store_c(fconv_dtype t, void *a, size_t i, double complex v) {
  fconv_store_d(t, a, i, creal(v), cimag(v));
}

int fconv_kernel_rank1(fconv_dtype t, const size_t k[3], const void *w, void *fac) {
  const size_t k0 = k[0], k1 = k[1], k2 = k[2], ke = k0 * k1 * k2, es = fconv_dtype_size(t);
  size_t im = 0;
  double mag = 0.0;
  for (size_t i = 0; i < ke; i++) {
    double a = cabs(load_c(t, w, i));
    if (a > mag) { mag = a; im = i; }
  }
  if (!(mag > 0.0) || !isfinite(mag)) return 0;
  const size_t i2 = im % k2, i1 = (im / k2) % k1, i0 = im / (k1 * k2);
  const double complex m = load_c(t, w, im);
  unsigned char *A = (unsigned char *)fac, *B = A + k0 * es, *C = A + (k0 + k1) * es;
  for (size_t j = 0; j < k0; j++) store_c(t, A, j, load_c(t, w, (j * k1 + i1) * k2 + i2) / m);
  for (size_t j = 0; j < k1; j++) store_c(t, B, j, load_c(t, w, (i0 * k1 + j) * k2 + i2) / m);
  memcpy(C, (const unsigned char *)w + (i0 * k1 + i1) * k2 * es, k2 * es);
  const double tol = (fconv_dtype_is_double(t) ? FCONV_RANK1_TOL_D : FCONV_RANK1_TOL_F) * mag;
  for (size_t j0 = 0; j0 < k0; j0++)
    for (size_t j1 = 0; j1 < k1; j1++) {
      const double complex ab = load_c(t, A, j0) * load_c(t, B, j1);
      for (size_t j2 = 0; j2 < k2; j2++) {
        const double complex c = load_c(t, C, j2);
        if (!(cabs(load_c(t, w, (j0 * k1 + j1) * k2 + j2) - ab * c) <= tol)) return 0;
      }
    }
  return 1;
}

void fconv_kernel_stats_of(fconv_dtype t, const void *h, size_t elems, fconv_kernel_stats *st) {
  st->max_abs = 0.0;
  st->min_abs = INFINITY;
  st->sum_abs = 0.0;
  st->integer = 1;
  st->finite = 1;
  const size_t scal = elems * (fconv_dtype_is_complex(t) ? 2 : 1);
  const int dbl = fconv_dtype_is_double(t);
  for (size_t i = 0; i < scal; i++) {
    const double v = dbl ? ((const double *)h)[i] : (double)((const float *)h)[i], a = fabs(v);
    if (!isfinite(v)) { st->finite = 0; continue; }
    if (a > st->max_abs) st->max_abs = a;
    if (a > 0.0 && a < st->min_abs) st->min_abs = a;
    st->sum_abs += a;
    if (v != nearbyint(v)) st->integer = 0;
  }
}

void fconv_kernel_info_init(const fconv_problem *p, const void *host, fconv_kernel_stats *stats,
                            fconv_kernel_info *info) {
  for (size_t q = 0; q < p->kernel_batch; q++)
    fconv_kernel_stats_of(p->dtype, (const unsigned char *)host + q * p->ker_elems * p->esize,
                          p->ker_elems, &stats[q]);
  info->host = host;
  info->kernel_batch = p->kernel_batch;
  info->stats = stats;
}
