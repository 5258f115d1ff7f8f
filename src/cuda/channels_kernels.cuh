/* channels_kernels.cuh — device code of the CUDA multi-channel paths (no host logic):
 *   fconv_ch_direct_kernel   the direct layer: one output (item, output channel, position) per
 *                            thread, summed over the input channels of its group and the taps
 *                            dilation does not zero, the signal read through the boundary map;
 *   fconv_ch_product_kernel  the per-bin channel reduction of the FFT paths as a batched complex
 *                            matrix product: per bin and block, Y[b, o] = sum_i op(H[o, i])
 *                            X[b, i of o's group] (op: conj for correlation; H carries the
 *                            transform's 1/n).
 * Launched from channels_direct.cu and channels_fft.cu; included after compat.cuh, so the same
 * source runs on a GPU and, in the tests, on the CPU through the block emulator. 64-bit indices,
 * grid-stride loops: any grid is correct. */
#ifndef FCONV_CUDA_CHANNELS_KERNELS_CUH
#define FCONV_CUDA_CHANNELS_KERNELS_CUH

#include "../core/boundary.h"

/* ---- direct ------------------------------------------------------------------------------- */

struct fconv_ch_direct_args {
  const void *x;          /* batch x cin signals of n0 x n1 x n2 */
  void *y;                /* batch x cout outputs of out0 x out1 x out2 */
  const void *taps;       /* cout x cig prepared filters (fconv_prepare_taps: y[o] = sum_m
                             xe[o*s + m] w[m]) of k0 x k1 x k2 (zero-stuffed by dilation) */
  long long n[3], p0[3], out[3], k[3], s[3], dil[3];
  long long cin, cout, cig, cog;
  long long total;        /* batch * cout * out0 * out1 * out2 */
  int boundary;           /* fconv_boundary */
};

template <class T> __global__ void fconv_ch_direct_kernel(fconv_ch_direct_args a) {
  const long long nel = a.n[0] * a.n[1] * a.n[2], kel = a.k[0] * a.k[1] * a.k[2];
  const fconv_boundary bnd = (fconv_boundary)a.boundary;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < a.total;
       i += (long long)gridDim.x * blockDim.x) {
    long long r = i;
    const long long o2 = r % a.out[2];
    r /= a.out[2];
    const long long o1 = r % a.out[1];
    r /= a.out[1];
    const long long o0 = r % a.out[0];
    r /= a.out[0];
    const long long co = r % a.cout, b = r / a.cout, g = co / a.cog;
    const T *w = (const T *)a.taps + co * a.cig * kel;
    T acc = fconv_zero<T>();
    for (long long ci = 0; ci < a.cig; ci++) {
      const T *xc = (const T *)a.x + (b * a.cin + g * a.cig + ci) * nel;
      const T *wc = w + ci * kel;
      for (long long m0 = 0; m0 < a.k[0]; m0 += a.dil[0]) {
        const long long i0 = fconv_bmap(o0 * a.s[0] + m0 - a.p0[0], (size_t)a.n[0], bnd);
        if (i0 < 0) continue;
        for (long long m1 = 0; m1 < a.k[1]; m1 += a.dil[1]) {
          const long long i1 = fconv_bmap(o1 * a.s[1] + m1 - a.p0[1], (size_t)a.n[1], bnd);
          if (i1 < 0) continue;
          const T *xr = xc + (i0 * a.n[1] + i1) * a.n[2];
          const T *wr = wc + (m0 * a.k[1] + m1) * a.k[2];
          for (long long m2 = 0; m2 < a.k[2]; m2 += a.dil[2]) {
            const long long i2 = fconv_bmap(o2 * a.s[2] + m2 - a.p0[2], (size_t)a.n[2], bnd);
            if (i2 >= 0) acc = fconv_madd(acc, xr[i2], wr[m2]);
          }
        }
      }
    }
    ((T *)a.y)[i] = acc;
  }
}

/* ---- the per-bin channel product (FFT paths) ------------------------------------------------ */

/* Register tile of one thread: FCONV_CH_TB items x FCONV_CH_TO output channels of one bin, so
 * every X value loaded feeds TO products and every H value TB; consecutive threads take
 * consecutive bins (coalesced loads). */
#define FCONV_CH_TB 4
#define FCONV_CH_TO 4

template <class R, class C> struct fconv_ch_product_args {
  const C *X;             /* (batch * cin) x nb spectra of spec bins (item-major) */
  const C *H;             /* cout x cig filter spectra */
  C *Y;                   /* (batch * cout) x nb spectra */
  long long spec, nb, batch, cin, cout, cig, cog;
  int conj;               /* correlation: conj(H) */
};

template <class R, class C> __global__ void fconv_ch_product_kernel(fconv_ch_product_args<R, C> a) {
  const long long tb = (a.batch + FCONV_CH_TB - 1) / FCONV_CH_TB;
  const long long to = (a.cog + FCONV_CH_TO - 1) / FCONV_CH_TO, groups = a.cout / a.cog;
  const long long rows = a.nb * tb * groups * to; /* (block, item tile, group, channel tile) */
  for (long long row = (long long)blockIdx.y * blockDim.y + threadIdx.y; row < rows;
       row += (long long)gridDim.y * blockDim.y) {
    long long r = row;
    const long long ot = r % to;
    r /= to;
    const long long g = r % groups;
    r /= groups;
    const long long bt = r % tb, bl = r / tb;
    for (long long f = (long long)blockIdx.x * blockDim.x + threadIdx.x; f < a.spec;
         f += (long long)gridDim.x * blockDim.x) {
      C acc[FCONV_CH_TB][FCONV_CH_TO];
      FCONV_UNROLL for (int j = 0; j < FCONV_CH_TB; j++)
        FCONV_UNROLL for (int c = 0; c < FCONV_CH_TO; c++) acc[j][c] = fconv_zero<C>();
      for (long long i = 0; i < a.cig; i++) {
        C x[FCONV_CH_TB];
        FCONV_UNROLL for (int j = 0; j < FCONV_CH_TB; j++) {
          const long long b = bt * FCONV_CH_TB + j;
          x[j] = b < a.batch ? a.X[((b * a.cin + g * a.cig + i) * a.nb + bl) * a.spec + f]
                             : fconv_zero<C>();
        }
        FCONV_UNROLL for (int c = 0; c < FCONV_CH_TO; c++) {
          const long long oc = ot * FCONV_CH_TO + c;
          if (oc >= a.cog) break;
          C h = a.H[((g * a.cog + oc) * a.cig + i) * a.spec + f];
          if (a.conj) h = fconv_conj(h);
          FCONV_UNROLL for (int j = 0; j < FCONV_CH_TB; j++) acc[j][c] = fconv_madd(acc[j][c], x[j], h);
        }
      }
      FCONV_UNROLL for (int j = 0; j < FCONV_CH_TB; j++) {
        const long long b = bt * FCONV_CH_TB + j;
        if (b >= a.batch) break;
        FCONV_UNROLL for (int c = 0; c < FCONV_CH_TO; c++) {
          const long long oc = ot * FCONV_CH_TO + c;
          if (oc >= a.cog) break;
          a.Y[((b * a.cout + g * a.cog + oc) * a.nb + bl) * a.spec + f] = acc[j][c];
        }
      }
    }
  }
}

#endif /* FCONV_CUDA_CHANNELS_KERNELS_CUH */
