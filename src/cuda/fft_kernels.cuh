/* fft_kernels.cuh — device code of the CUDA FFT and overlap-save paths (no host logic):
 *   fconv_fft_gather_kernel   the extended signal (boundary rule through fconv_bmap, only at the
 *                             window's edges) into the data box of every transform item, or a
 *                             kernel scaled by 1/(transform volume) into a whole item;
 *   fconv_fft_mul_kernel      pointwise spectrum product, conjugate for correlation, one signal
 *                             spectrum times many kernel spectra for filter banks (the 1/n
 *                             normalisation is already in the kernel spectra);
 *   fconv_fft_extract_kernel  the strided valid part of the circular result into the output.
 * Included by fft_path.cu after compat.cuh, so the same source runs on a GPU and, in the tests,
 * on the CPU through the block emulator (FCONV_CUDA_EMULATE).
 *
 * Geometry (per axis a; the host side in fft_path.cu fills it). A transform buffer item has M
 * positions; block b of an axis holds source coordinates s = off + b*step + i for buffer
 * positions i < cnt (s relative to the signal's first sample; the window is [lo, hi) in source
 * coordinates), zeros elsewhere. The item's circular product c gives the output o (block
 * b = o / bo, q = o % bo) at t = q*stride + c0 (+ M when negative), or 0 when q is outside
 * [qlo, qhi) (the host derives c0, qlo, qhi from the crop rule: u = q*stride + base valid in
 * [0, uhi], read at (u - shift) mod M; shift = k-1 for correlation, whose spectrum product uses
 * conj(H) (cross-correlation theorem), 0 for convolution).
 *
 * The signal's transform input is a persistent buffer whose zero padding (positions >= cnt, and
 * positions whose source lies outside the window) the plan zeroes once at create: the gather
 * writes only the positions that carry samples, every execute the same set, and the forward
 * transform runs out of place from it, so nothing ever overwrites the zeros.
 *
 * Thread layout of all three: y (blockIdx.y * blockDim.y + threadIdx.y, grid-stride) walks rows
 * along the contiguous axis, x (blockIdx.x * blockDim.x + threadIdx.x, grid-stride) walks along
 * the row, so index decomposition happens once per row, not per element (the extract kernel
 * divides per element only along a blocked contiguous axis), and short rows share a block
 * (blockDim.y > 1). Any grid is correct; tails are bounds-checked. Index arithmetic: 32-bit
 * with divisors precomputed on the host (fastdiv.cuh) when every index of the launch is below
 * 2^30 (Wide = false), 64-bit otherwise; addresses are always 64-bit.
 */
#ifndef FCONV_CUDA_FFT_KERNELS_CUH
#define FCONV_CUDA_FFT_KERNELS_CUH

#include "../core/boundary.h"
#include "fastdiv.cuh"

/* Element types: float, double, and float2 / double2 (re, im) for complex, layout-identical to
 * cufftComplex / cufftDoubleComplex; fconv_conj and fconv_zero come from compat.cuh. */

FCONV_DI float fconv_scale(float v, double s) { return v * (float)s; }
FCONV_DI double fconv_scale(double v, double s) { return v * s; }
FCONV_DI float2 fconv_scale(float2 v, double s) {
  return make_float2(v.x * (float)s, v.y * (float)s);
}
FCONV_DI double2 fconv_scale(double2 v, double s) { return make_double2(v.x * s, v.y * s); }

/* ---- gather: pad / extend ------------------------------------------------------------------ */

struct fconv_gather_axis {
  long long n;         /* source extent */
  long long M;         /* buffer positions (transform extent) */
  long long R;         /* positions walked per block: cnt, or M (full) */
  long long nb;        /* blocks along this axis */
  long long step;      /* source coordinate step from one block to the next */
  long long off;       /* source coordinate of buffer position 0 in block 0 */
  long long cnt;       /* buffer positions that carry data (<= M); the rest are zero */
  long long lo, hi;    /* source coordinates outside [lo, hi) are zero (outside the window) */
  fconv_divisor dR, dnb;
};

struct fconv_gather_args {
  const void *src;     /* items back to back, src_dist elements apart */
  long long src_dist;
  long long items;     /* source items (signals or kernels) */
  void *dst;           /* items*nb0*nb1*nb2 buffer items, dst_dist elements apart */
  long long dst_dist;
  long long pitch;     /* elements per buffer row along axis 2 (>= M[2]) */
  long long rows;      /* items * nb0*nb1*nb2 * R0 * R1 */
  fconv_gather_axis ax[3];
  double scale;        /* every value times this (kernels: 1 / transform volume) */
  int boundary;        /* fconv_boundary */
  int flip_conj;       /* read flip(conj(src)) on every axis (swapped correlation) */
  int full;            /* write every position (zeros too): a buffer the transform overwrites;
                          else only the positions that carry samples (a pre-zeroed buffer) */
};

/* Source index along one axis of source coordinate s, or -1 outside the window. The interior
 * is one compare; only the window's edges map through the boundary rule. */
template <class S>
__device__ __forceinline__ S fconv_gather_src(const fconv_gather_axis &a, S s, int boundary,
                                              int flip) {
  S j;
  if (s >= 0 && s < (S)a.n)
    j = s;
  else if (s < (S)a.lo || s >= (S)a.hi)
    return -1;
  else
    j = (S)fconv_bmap((ptrdiff_t)s, (size_t)a.n, (fconv_boundary)boundary);
  return j >= 0 && flip ? (S)a.n - 1 - j : j;
}

template <class T, bool Wide> __global__ void fconv_fft_gather_kernel(fconv_gather_args g) {
  typedef fconv_index<Wide> X;
  typedef typename X::U U;
  typedef typename X::S S;
  const fconv_gather_axis &a0 = g.ax[0], &a1 = g.ax[1], &a2 = g.ax[2];
  const T *src = (const T *)g.src;
  T *dst = (T *)g.dst;
  for (U row = (U)blockIdx.y * blockDim.y + threadIdx.y; row < (U)g.rows;
       row += (U)gridDim.y * blockDim.y) {
    /* row -> (item, b0, b1, b2, i0, i1) */
    U i1, i0, b2, b1, b0;
    U r = X::divmod(a1.dR, row, &i1);
    r = X::divmod(a0.dR, r, &i0);
    r = X::divmod(a2.dnb, r, &b2);
    r = X::divmod(a1.dnb, r, &b1);
    const U item = X::divmod(a0.dnb, r, &b0);
    const long long bi = (((long long)item * a0.nb + b0) * a1.nb + b1) * a2.nb + b2;
    T *drow = dst + bi * g.dst_dist + ((long long)i0 * a1.M + i1) * g.pitch;
    S s0 = -1, s1 = -1;
    if ((S)i0 < (S)a0.cnt)
      s0 = fconv_gather_src<S>(a0, (S)(a0.off + (long long)b0 * a0.step) + (S)i0, g.boundary,
                               g.flip_conj);
    if (s0 >= 0 && (S)i1 < (S)a1.cnt)
      s1 = fconv_gather_src<S>(a1, (S)(a1.off + (long long)b1 * a1.step) + (S)i1, g.boundary,
                               g.flip_conj);
    const bool live = s0 >= 0 && s1 >= 0;
    if (!live && !g.full) continue; /* a padding row: zero since create */
    const T *srow = live ? src + (long long)item * g.src_dist + ((long long)s0 * a1.n + s1) * a2.n
                         : src;
    const S base2 = (S)(a2.off + (long long)b2 * a2.step);
    for (U i2 = (U)blockIdx.x * blockDim.x + threadIdx.x; i2 < (U)a2.R;
         i2 += (U)gridDim.x * blockDim.x) {
      S j2 = -1;
      if (live && (S)i2 < (S)a2.cnt) j2 = fconv_gather_src<S>(a2, base2 + (S)i2, g.boundary, g.flip_conj);
      if (j2 >= 0) {
        const T v = srow[j2];
        drow[i2] = fconv_scale(g.flip_conj ? fconv_conj(v) : v, g.scale);
      } else if (g.full) {
        drow[i2] = fconv_zero<T>();
      }
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
        g.Y[(i * g.nb + bl) * g.spec + f] = fconv_cmul(x, g.conj ? fconv_conj(h) : h);
      }
    }
  }
}

/* Host side: complete a's derived fields (rows, divisors) from the axes' R, nb, and say whether
 * the launch needs the 64-bit instance (1) or 32-bit index math serves (0). */
#define FCONV_FITS32(v) ((v) > -(1LL << 30) && (v) < (1LL << 30))
static inline int fconv_gather_prepare(fconv_gather_args *a) {
  int wide = !FCONV_FITS32(a->items);
  a->rows = a->items;
  for (int d = 0; d < 3; d++) {
    fconv_gather_axis *q = &a->ax[d];
    a->rows *= q->nb;
    if (d < 2) a->rows *= q->R;
    q->dR = fconv_divisor_make(q->R);
    q->dnb = fconv_divisor_make(q->nb);
    /* the coordinates the kernel forms: off + b*step + i, and the window's ends */
    const long long reach = q->off + (q->nb - 1) * q->step + q->M;
    wide |= !FCONV_FITS32(q->n) || !FCONV_FITS32(q->M) || !FCONV_FITS32(q->R) ||
            !FCONV_FITS32(q->off) || !FCONV_FITS32(reach) || !FCONV_FITS32(q->lo) ||
            !FCONV_FITS32(q->hi);
  }
  return wide | !FCONV_FITS32(a->rows) | !FCONV_FITS32(a->pitch);
}

/* ---- extract: crop / mode / stride --------------------------------------------------------- */

struct fconv_extract_axis {
  long long out;    /* outputs along this axis */
  long long bo;     /* outputs per block (one block: out) */
  long long nb;     /* blocks */
  long long stride;
  long long c0;     /* buffer position of output q of a block: q*stride + c0 (+ M when < 0) */
  long long qlo, qhi; /* outputs q of a block outside [qlo, qhi) are 0 */
  long long M;
  fconv_divisor dout, dbo;
};

struct fconv_extract_args {
  const void *src;  /* count*nb0*nb1*nb2 items of the inverse transform */
  long long src_dist, pitch;
  void *dst;        /* count outputs, out0*out1*out2 elements each, back to back */
  long long count;
  long long rows;   /* count * out0 * out1 */
  fconv_extract_axis ax[3];
};

/* Buffer position along one axis for output o, or -1 for a zero output; *b gets the block.
 * Wide: the general modulo (any geometry); else one conditional add (the host checked that
 * every valid q*stride + c0 lies in [-M, M)). */
template <bool Wide>
__device__ __forceinline__ long long fconv_extract_pos(const fconv_extract_axis &a,
                                                       typename fconv_index<Wide>::U o,
                                                       typename fconv_index<Wide>::U *b) {
  typedef fconv_index<Wide> X;
  typedef typename X::S S;
  typename X::U q = o;
  *b = 0;
  if (a.nb > 1) *b = X::divmod(a.dbo, o, &q);
  if ((S)q < (S)a.qlo || (S)q >= (S)a.qhi) return -1;
  S t = (S)q * (S)a.stride + (S)a.c0;
  if (Wide) {
    t %= (S)a.M;
    if (t < 0) t += (S)a.M;
  } else if (t < 0) {
    t += (S)a.M;
  }
  return t;
}

/* Host side: axis q from the crop rule (output q of a block reads u = q*stride + base, valid in
 * [0, uhi], at position (u - shift) mod M); 1 when it needs the 64-bit instance. */
static inline int fconv_extract_axis_init(fconv_extract_axis *q, long long out, long long stride,
                                          long long bo, long long nb, long long M, long long base,
                                          long long uhi, long long shift) {
  q->out = out;
  q->stride = stride;
  q->bo = bo;
  q->nb = nb;
  q->M = M;
  q->c0 = base - shift;
  /* q valid when 0 <= q*stride + base <= uhi */
  q->qlo = base >= 0 ? 0 : (-base + stride - 1) / stride;
  if (uhi < base) {
    q->qhi = 0;
  } else { /* (uhi - base) / stride + 1, capped at bo without overflowing (uhi: LLONG_MAX) */
    const long long span = (uhi - base) / stride;
    q->qhi = span >= bo ? bo : span + 1;
  }
  if (q->qlo > q->qhi) q->qlo = q->qhi;
  q->dout = fconv_divisor_make(out);
  q->dbo = fconv_divisor_make(bo);
  int wide = !FCONV_FITS32(out) || !FCONV_FITS32(M) || !FCONV_FITS32(stride) ||
             !FCONV_FITS32(q->c0) || !FCONV_FITS32(bo * stride + q->c0);
  /* 32-bit: one conditional add of M serves when every valid position is in [-M, M) */
  if (q->qhi > q->qlo)
    wide |= q->qlo * stride + q->c0 < -M || (q->qhi - 1) * stride + q->c0 >= M;
  return wide;
}

/* Host side: rows; 1 when the launch needs the 64-bit instance (with the axes' answers). */
static inline int fconv_extract_prepare(fconv_extract_args *a) {
  a->rows = a->count * a->ax[0].out * a->ax[1].out;
  return !FCONV_FITS32(a->rows) || !FCONV_FITS32(a->count);
}

template <class T, bool Wide> __global__ void fconv_fft_extract_kernel(fconv_extract_args g) {
  typedef fconv_index<Wide> X;
  typedef typename X::U U;
  const long long O2 = g.ax[2].out, M1 = g.ax[1].M;
  const T *src = (const T *)g.src;
  T *dst = (T *)g.dst;
  for (U row = (U)blockIdx.y * blockDim.y + threadIdx.y; row < (U)g.rows;
       row += (U)gridDim.y * blockDim.y) {
    U o1, o0, b0 = 0, b1 = 0;
    const U i = X::divmod(g.ax[0].dout, X::divmod(g.ax[1].dout, row, &o1), &o0);
    const long long t0 = fconv_extract_pos<Wide>(g.ax[0], o0, &b0);
    const long long t1 = fconv_extract_pos<Wide>(g.ax[1], o1, &b1);
    const long long item0 = (((long long)i * g.ax[0].nb + b0) * g.ax[1].nb + b1) * g.ax[2].nb;
    const bool live = t0 >= 0 && t1 >= 0;
    const T *srow = live ? src + (t0 * M1 + t1) * g.pitch : src;
    T *drow = dst + (long long)row * O2;
    for (U o2 = (U)blockIdx.x * blockDim.x + threadIdx.x; o2 < (U)O2;
         o2 += (U)gridDim.x * blockDim.x) {
      U b2 = 0;
      const long long t2 = live ? fconv_extract_pos<Wide>(g.ax[2], o2, &b2) : -1;
      T v = fconv_zero<T>();
      if (t2 >= 0) v = srow[(item0 + (long long)b2) * g.src_dist + t2];
      drow[o2] = v;
    }
  }
}

#endif /* FCONV_CUDA_FFT_KERNELS_CUH */
