/* fft_kernels.cuh — device code of the CUDA FFT and overlap-save paths (no host logic):
 *   fconv_fft_pad_kernel   the extended signal (boundary rule through fconv_bmap) or the kernel,
 *                          zero-padded to the transform size, one buffer item per block;
 *   fconv_fft_mul_kernel   pointwise spectrum product, conjugate for correlation, 1/n folded in,
 *                          one signal spectrum times many kernel spectra for filter banks;
 *   fconv_fft_crop_kernel  the strided valid part of the circular result into the output.
 * Included by fft_path.cu after compat.cuh, so the same source runs on a GPU and, in the tests,
 * on the CPU through the block emulator (FCONV_CUDA_EMULATE).
 *
 * Geometry (per axis a; the host side in fft_path.cu fills it). A transform buffer item has M
 * positions; block b of an axis holds source coordinates s = off + b*step + i for buffer
 * positions i < cnt (s relative to the signal's first sample; the window is [lo, hi) in source
 * coordinates), zeros elsewhere. The item's circular product c gives the output o (unstrided
 * index j = o*stride, in block b = o / bo) at u = j - b*step + base, valid when 0 <= u <= uhi
 * (else the output is 0), read at position (u - shift) mod M: shift = k-1 for correlation,
 * whose spectrum product uses conj(H) (cross-correlation theorem), 0 for convolution.
 *
 * Thread layout of all three: y (blockIdx.y * blockDim.y + threadIdx.y, grid-stride) walks rows
 * along the contiguous axis, x (blockIdx.x * blockDim.x + threadIdx.x, grid-stride) walks along
 * the row, so integer division happens once per row, not per element, and short rows share a
 * block (blockDim.y > 1). Any grid is correct; tails are bounds-checked. 64-bit indices.
 */
#ifndef FCONV_CUDA_FFT_KERNELS_CUH
#define FCONV_CUDA_FFT_KERNELS_CUH

#include "../core/boundary.h"

/* Element types: float, double, and float2 / double2 (re, im) for complex, layout-identical to
 * cufftComplex / cufftDoubleComplex; fconv_conj and fconv_zero come from compat.cuh. */

/* ---- pad / extend -------------------------------------------------------------------------- */

struct fconv_pad_axis {
  long long n;         /* source extent */
  long long M;         /* buffer positions (transform extent) */
  long long nb;        /* blocks along this axis */
  long long step;      /* source coordinate step from one block to the next */
  long long off;       /* source coordinate of buffer position 0 in block 0 */
  long long cnt;       /* buffer positions that carry data (<= M); the rest are zero */
  long long lo, hi;    /* source coordinates outside [lo, hi) are zero (outside the window) */
};

struct fconv_pad_args {
  const void *src;     /* items back to back, src_dist elements apart */
  long long src_dist;
  long long items;     /* source items (signals or kernels) */
  void *dst;           /* items*nb0*nb1*nb2 buffer items, dst_dist elements apart */
  long long dst_dist;
  long long pitch;     /* elements per buffer row along axis 2 (>= M[2]; in-place R2C pads) */
  fconv_pad_axis ax[3];
  int boundary;        /* fconv_boundary */
  int flip_conj;       /* read flip(conj(src)) on every axis (swapped correlation) */
};

/* Source index along one axis for buffer position i of block b, or -1 for a zero. */
__device__ __forceinline__ long long fconv_pad_src(const fconv_pad_axis &a, long long b,
                                                   long long i, int boundary, int flip) {
  if (i >= a.cnt) return -1;
  const long long s = a.off + b * a.step + i;
  if (s < a.lo || s >= a.hi) return -1;
  long long j = (long long)fconv_bmap((ptrdiff_t)s, (size_t)a.n, (fconv_boundary)boundary);
  if (j >= 0 && flip) j = a.n - 1 - j;
  return j;
}

template <class T> __global__ void fconv_fft_pad_kernel(fconv_pad_args g) {
  const long long M0 = g.ax[0].M, M1 = g.ax[1].M;
  const long long nb0 = g.ax[0].nb, nb1 = g.ax[1].nb, nb2 = g.ax[2].nb;
  const long long rows = g.items * nb0 * nb1 * nb2 * M0 * M1;
  const T *src = (const T *)g.src;
  T *dst = (T *)g.dst;
  for (long long row = (long long)blockIdx.y * blockDim.y + threadIdx.y; row < rows;
       row += (long long)gridDim.y * blockDim.y) {
    /* row -> (item, b0, b1, b2, i0, i1) */
    long long r = row;
    const long long i1 = r % M1; r /= M1;
    const long long i0 = r % M0; r /= M0;
    const long long b2 = r % nb2; r /= nb2;
    const long long b1 = r % nb1; r /= nb1;
    const long long b0 = r % nb0;
    const long long item = r / nb0;
    T *drow = dst + row / (M0 * M1) * g.dst_dist + (i0 * M1 + i1) * g.pitch;
    const long long s0 = fconv_pad_src(g.ax[0], b0, i0, g.boundary, g.flip_conj);
    const long long s1 = fconv_pad_src(g.ax[1], b1, i1, g.boundary, g.flip_conj);
    const int live = s0 >= 0 && s1 >= 0;
    const T *srow = live ? src + item * g.src_dist + (s0 * g.ax[1].n + s1) * g.ax[2].n : src;
    for (long long i2 = (long long)blockIdx.x * blockDim.x + threadIdx.x; i2 < g.pitch;
         i2 += (long long)gridDim.x * blockDim.x) {
      const long long s2 = live ? fconv_pad_src(g.ax[2], b2, i2, g.boundary, g.flip_conj) : -1;
      T v = fconv_zero<T>();
      if (s2 >= 0) v = g.flip_conj ? fconv_conj(srow[s2]) : srow[s2];
      drow[i2] = v;
    }
  }
}

/* ---- pointwise product --------------------------------------------------------------------- */

template <class R, class C> struct fconv_mul_args {
  const C *X; /* signal spectra: batch*nb items */
  C *Y;       /* product spectra: count*nb items (may be X when batch == count) */
  const C *H; /* kernel spectra: kernel_batch items (shared by every block) */
  long long spec;        /* complex elements per item */
  long long nb;          /* blocks per signal */
  long long count, batch, kernel_batch;
  long long group;       /* outputs per thread (filter bank: X[f] loaded once for the group) */
  R scale;               /* 1 / (transform volume) */
  int conj;              /* correlation: X * conj(H) */
};

template <class R, class C> __global__ void fconv_fft_mul_kernel(fconv_mul_args<R, C> g) {
  const long long groups = (g.count + g.group - 1) / g.group;
  const long long rows = g.nb * groups;
  for (long long row = (long long)blockIdx.y * blockDim.y + threadIdx.y; row < rows;
       row += (long long)gridDim.y * blockDim.y) {
    const long long bl = row % g.nb;
    const long long i0 = row / g.nb * g.group;
    long long i1 = i0 + g.group;
    if (i1 > g.count) i1 = g.count;
    for (long long f = (long long)blockIdx.x * blockDim.x + threadIdx.x; f < g.spec;
         f += (long long)gridDim.x * blockDim.x) {
      C x = g.X[((g.batch == 1 ? 0 : i0) * g.nb + bl) * g.spec + f];
      for (long long i = i0; i < i1; i++) {
        if (g.batch != 1 && i != i0) x = g.X[(i * g.nb + bl) * g.spec + f];
        const C h = g.H[(g.kernel_batch == 1 ? 0 : i) * g.spec + f];
        C y = fconv_cmul(x, g.conj ? fconv_conj(h) : h);
        y.x *= g.scale;
        y.y *= g.scale;
        g.Y[(i * g.nb + bl) * g.spec + f] = y;
      }
    }
  }
}

/* ---- crop / stride ------------------------------------------------------------------------- */

struct fconv_crop_axis {
  long long out;    /* outputs along this axis */
  long long stride;
  long long bo;     /* outputs per block */
  long long nb;     /* blocks */
  long long step;   /* source coordinate step per block (as in fconv_pad_axis) */
  long long base;   /* u = o*stride - b*step + base */
  long long uhi;    /* u outside [0, uhi] gives 0 */
  long long shift;  /* read position u - shift (mod M) */
  long long M;
};

struct fconv_crop_args {
  const void *src;  /* count*nb0*nb1*nb2 items of the inverse transform */
  long long src_dist, pitch;
  void *dst;        /* count outputs, out0*out1*out2 elements each, back to back */
  long long count;
  fconv_crop_axis ax[3];
};

/* Buffer position along one axis for output o, or -1 for a zero output; *b gets the block. */
__device__ __forceinline__ long long fconv_crop_pos(const fconv_crop_axis &a, long long o,
                                                    long long *b) {
  *b = o / a.bo;
  const long long u = o * a.stride - *b * a.step + a.base;
  if (u < 0 || u > a.uhi) return -1;
  long long t = (u - a.shift) % a.M;
  return t < 0 ? t + a.M : t;
}

template <class T> __global__ void fconv_fft_crop_kernel(fconv_crop_args g) {
  const long long O0 = g.ax[0].out, O1 = g.ax[1].out, O2 = g.ax[2].out;
  const long long M1 = g.ax[1].M;
  const long long rows = g.count * O0 * O1;
  const T *src = (const T *)g.src;
  T *dst = (T *)g.dst;
  for (long long row = (long long)blockIdx.y * blockDim.y + threadIdx.y; row < rows;
       row += (long long)gridDim.y * blockDim.y) {
    long long r = row;
    const long long o1 = r % O1; r /= O1;
    const long long o0 = r % O0;
    const long long i = r / O0;
    long long b0, b1;
    const long long t0 = fconv_crop_pos(g.ax[0], o0, &b0);
    const long long t1 = fconv_crop_pos(g.ax[1], o1, &b1);
    const long long item0 = ((i * g.ax[0].nb + b0) * g.ax[1].nb + b1) * g.ax[2].nb;
    T *drow = dst + row * O2;
    for (long long o2 = (long long)blockIdx.x * blockDim.x + threadIdx.x; o2 < O2;
         o2 += (long long)gridDim.x * blockDim.x) {
      long long b2;
      const long long t2 = fconv_crop_pos(g.ax[2], o2, &b2);
      T v = fconv_zero<T>();
      if (t0 >= 0 && t1 >= 0 && t2 >= 0)
        v = src[(item0 + b2) * g.src_dist + (t0 * M1 + t1) * g.pitch + t2];
      drow[o2] = v;
    }
  }
}

#endif /* FCONV_CUDA_FFT_KERNELS_CUH */
