/* channel_kernels.c — register-blocked micro-kernels of the CPU multi-channel paths
 * (direct_kernels.h: fconv_ck_ops), compiled once per instruction set beside direct_kernels.c
 * (same object library, same FCONV_DK_ISA / FCONV_DK_VBYTES and flags: cmake/fconv_cpu.cmake)
 * and reached through that variant's fconv_dk_ops.ch. GCC vector extensions only, so every
 * variant is the same algorithm at a different width; multiply-adds contract to FMA where the
 * ISA has it.
 *
 * gemm: MR output channels x NV vectors of output positions held in registers (AVX-512, 32
 *   registers: 8 x 3, i.e. 48 f32 positions, and 8 divides the usual channel counts; 16
 *   registers: 4 x 3) while k runs over (input channel, tap): per k, NV unaligned vector loads
 *   of the input at off[k] and MR broadcast weights feed MR x NV multiply-adds.
 * dw: one channel's plane, DR rows x up to DNV vectors of a row in registers (AVX-512: 7 x 4;
 *   7 divides the usual CNN extents 7, 14, 28, 56, 112; 16 registers: 3 x 4) while k runs over
 *   the taps: per k one broadcast weight and DR x NV unaligned loads (the multiply-adds' memory
 *   operands); the last vector of a row is stored masked (AVX-512) or lane by lane, so rows of
 *   any width write nothing past their end.
 * dwr: dw for kernels of KH = 3, 5 or 7 unit-stride rows: per k step (a column tap, shared by
 *   the KH rows) the KH weights are broadcast once into registers and each input row of the
 *   tile's DR + KH - 1 is loaded once (up to RNV vectors) and feeds every output row it reaches:
 *   about KH multiply-adds per load instead of one.
 * cmac: CB items x CC output channels x one vector of bins, real and imaginary accumulators
 *   (AVX-512: 2 x 4, i.e. 16 registers; the rest 2 x 2): per input channel 2 CB + 2 CC vector
 *   loads feed 4 CB CC multiply-adds.
 * wino_in / wino_out: the transforms of Winograd's F(4x4, 3x3) (channels_winograd.c) for one
 *   row of tiles, one vector of tiles at a time (a lane per tile): the input tile's columns come
 *   from the row's four column phases (unit-stride loads), the 36 transformed values go to 36
 *   planes (unit-stride stores); the output tiles' 4 x 4 values are interleaved into rows. */
#include <string.h>

#include "direct_kernels.h"
#include "kernel_isa.h"

#if FCONV_DK_VBYTES == 64 && defined(__AVX512F__)
#include <immintrin.h>
#define CK_MASKED_STORE 1
#endif

#if FCONV_DK_VBYTES == 64 /* 32 vector registers */
#define CK_MR 8
#define CK_NV 3
#define CK_CB 2
#define CK_CC 4
#define CK_DR 7
#define CK_DNV 4
#define CK_RNV 3 /* dwr: 7 x 3 accumulators, 7 weights, 3 input vectors */
#else /* 16 vector registers */
#define CK_MR 4
#define CK_NV 3
#define CK_CB 2
#define CK_CC 2
#define CK_DR 3
#define CK_DNV 4
#define CK_RNV 2 /* dwr: 3 x 2 accumulators, 7 weights, 2 input vectors */
#endif

/* Store the first n (< lanes) elements of a vector. */
#ifdef CK_MASKED_STORE
DK_INLINE void ck_f32_stn(float *p, dk_vf v, int n) {
  _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), (__m512)v);
}
DK_INLINE void ck_f64_stn(double *p, dk_vd v, int n) {
  _mm512_mask_storeu_pd(p, (__mmask8)((1u << n) - 1), (__m512d)v);
}
#else
DK_INLINE void ck_f32_stn(float *p, dk_vf v, int n) {
  for (int i = 0; i < n; i++) p[i] = v[i];
}
DK_INLINE void ck_f64_stn(double *p, dk_vd v, int n) {
  for (int i = 0; i < n; i++) p[i] = v[i];
}
#endif

#define CK_DEFINE(NAME, T, VT)                                                                 \
  DK_INLINE VT NAME##_ld(const T *p) {                                                         \
    VT v;                                                                                      \
    memcpy(&v, p, sizeof v);                                                                   \
    return v;                                                                                  \
  }                                                                                            \
  /* one register tile: CK_MR rows x NV vectors (NV constant after inlining) */                \
  DK_INLINE void NAME##_tile(T *out, size_t ldo, const T *x, const ptrdiff_t *off, const T *w, \
                             size_t K, const int NV) {                                         \
    enum { W = sizeof(VT) / sizeof(T) };                                                       \
    VT a[CK_MR][CK_NV];                                                                        \
    _Pragma("GCC unroll 8") for (int r = 0; r < CK_MR; r++)                                    \
        _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) a[r][v] = (VT){0};                \
    for (size_t k = 0; k < K; k++) {                                                           \
      const T *xk = x + off[k], *wk = w + k * CK_MR;                                           \
      VT xv[CK_NV];                                                                            \
      _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) xv[v] = NAME##_ld(xk + v * W);      \
      _Pragma("GCC unroll 8") for (int r = 0; r < CK_MR; r++) {                                \
        const T wr = wk[r];                                                                    \
        _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) a[r][v] += xv[v] * wr;            \
      }                                                                                        \
    }                                                                                          \
    _Pragma("GCC unroll 8") for (int r = 0; r < CK_MR; r++)                                    \
        _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++)                                   \
            memcpy(out + r * ldo + v * W, &a[r][v], sizeof a[r][v]);                           \
  }                                                                                            \
  static void NAME##_gemm(void *out, size_t ldo, const void *x, const ptrdiff_t *off,         \
                          const void *w, size_t K, size_t nvec) {                              \
    enum { W = sizeof(VT) / sizeof(T) };                                                       \
    T *o = (T *)out;                                                                           \
    const T *xx = (const T *)x, *ww = (const T *)w;                                            \
    for (; nvec >= CK_NV; nvec -= CK_NV, o += CK_NV * W, xx += CK_NV * W)                      \
      NAME##_tile(o, ldo, xx, off, ww, K, CK_NV);                                              \
    if (nvec == 3) NAME##_tile(o, ldo, xx, off, ww, K, 3); /* tails when CK_NV > 3 */       \
    else if (nvec == 2) NAME##_tile(o, ldo, xx, off, ww, K, 2);                                \
    else if (nvec == 1) NAME##_tile(o, ldo, xx, off, ww, K, 1);                                \
  }                                                                                            \
  /* one output row of a dw / dwr tile: NV vectors, the last holding tail (1..W) outputs */     \
  DK_INLINE void NAME##_dwrow(T *orow, const VT *ar, int tail, const int NV) {                 \
    enum { W = sizeof(VT) / sizeof(T) };                                                       \
    _Pragma("GCC unroll 8") for (int v = 0; v < NV - 1; v++)                                   \
        memcpy(orow + v * W, &ar[v], sizeof ar[v]);                                            \
    if (tail == W) memcpy(orow + (NV - 1) * W, &ar[NV - 1], sizeof ar[NV - 1]);                \
    else NAME##_stn(orow + (NV - 1) * W, ar[NV - 1], tail);                                   \
  }                                                                                            \
  /* one dw tile: nr (<= CK_DR) rows x NV vectors, the last one holding tail (1..W) outputs; \
   * rows past nr repeat the last row's reads and are not stored */                          \
  DK_INLINE void NAME##_dwtile(T *out, size_t ldo, const T *x, size_t ldx, const ptrdiff_t *off, \
                               const T *w, size_t K, int nr, int tail, const int NV) {       \
    enum { W = sizeof(VT) / sizeof(T) };                                                       \
    const T *xr[CK_DR];                                                                        \
    VT a[CK_DR][CK_DNV];                                                                       \
    _Pragma("GCC unroll 8") for (int r = 0; r < CK_DR; r++) {                                  \
      xr[r] = x + (size_t)(r < nr ? r : nr - 1) * ldx;                                         \
      _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) a[r][v] = (VT){0};                  \
    }                                                                                          \
    for (size_t k = 0; k < K; k++) {                                                           \
      const VT wk = (VT){0} + w[k];                                                            \
      const ptrdiff_t o = off[k];                                                              \
      _Pragma("GCC unroll 8") for (int r = 0; r < CK_DR; r++)                                  \
          _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++)                                 \
              a[r][v] += NAME##_ld(xr[r] + o + v * W) * wk;                                    \
    }                                                                                          \
    _Pragma("GCC unroll 8") for (int r = 0; r < CK_DR && r < nr; r++)                          \
        NAME##_dwrow(out + (size_t)r * ldo, a[r], tail, NV);                                   \
  }                                                                                            \
  static void NAME##_dw(void *out, size_t ldo, const void *x, size_t ldx, const ptrdiff_t *off, \
                        const void *w, size_t K, size_t rows, size_t cols) {                   \
    enum { W = sizeof(VT) / sizeof(T) };                                                       \
    T *o = (T *)out;                                                                           \
    const T *xx = (const T *)x, *ww = (const T *)w;                                            \
    for (size_t r0 = 0; r0 < rows; r0 += CK_DR) {                                              \
      const int nr = rows - r0 < CK_DR ? (int)(rows - r0) : CK_DR;                             \
      for (size_t c0 = 0; c0 < cols; c0 += CK_DNV * W) {                                       \
        const size_t left = cols - c0;                                                         \
        const size_t nv = left >= CK_DNV * W ? CK_DNV : (left + W - 1) / W;                    \
        const int tail = (int)(left >= nv * W ? W : left - (nv - 1) * W);                      \
        T *oo = o + r0 * ldo + c0;                                                             \
        const T *xo = xx + r0 * ldx + c0;                                                      \
        if (nv == 4) NAME##_dwtile(oo, ldo, xo, ldx, off, ww, K, nr, tail, 4);                 \
        else if (nv == 3) NAME##_dwtile(oo, ldo, xo, ldx, off, ww, K, nr, tail, 3);            \
        else if (nv == 2) NAME##_dwtile(oo, ldo, xo, ldx, off, ww, K, nr, tail, 2);            \
        else NAME##_dwtile(oo, ldo, xo, ldx, off, ww, K, nr, tail, 1);                         \
      }                                                                                        \
    }                                                                                          \
  }                                                                                            \
  /* one dwr tile: CK_DR rows (nr stored) x NV vectors, the last holding tail outputs; every   \
   * input row of the tile (CK_DR + KH - 1 of them) must be readable */                       \
  DK_INLINE void NAME##_dwrtile(T *out, size_t ldo, const T *x, size_t ldx,                   \
                                const ptrdiff_t *coff, const T *w, size_t J, int nr, int tail, \
                                const int KH, const int NV) {                                  \
    enum { W = sizeof(VT) / sizeof(T) };                                                       \
    VT a[CK_DR][CK_RNV];                                                                       \
    _Pragma("GCC unroll 8") for (int r = 0; r < CK_DR; r++)                                    \
        _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) a[r][v] = (VT){0};                \
    for (size_t j = 0; j < J; j++) {                                                           \
      VT wm[7];                                                                                \
      _Pragma("GCC unroll 8") for (int m = 0; m < KH; m++) wm[m] = (VT){0} + w[m * J + j];    \
      const T *xq = x + coff[j];                                                               \
      _Pragma("GCC unroll 16") for (int q = 0; q < CK_DR + KH - 1; q++) {                      \
        VT xv[CK_RNV];                                                                         \
        _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) xv[v] = NAME##_ld(xq + v * W);    \
        _Pragma("GCC unroll 8") for (int m = 0; m < KH; m++) {                                 \
          if (q - m < 0 || q - m >= CK_DR) continue;                                           \
          _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) a[q - m][v] += xv[v] * wm[m];   \
        }                                                                                      \
        xq += ldx;                                                                             \
      }                                                                                        \
    }                                                                                          \
    _Pragma("GCC unroll 8") for (int r = 0; r < CK_DR && r < nr; r++)                          \
        NAME##_dwrow(out + (size_t)r * ldo, a[r], tail, NV);                                   \
  }                                                                                            \
  DK_INLINE void NAME##_dwr(void *out, size_t ldo, const void *x, size_t ldx,                 \
                            const ptrdiff_t *coff, const void *w, size_t J, size_t rows,      \
                            size_t cols, const int KH) {                                       \
    enum { W = sizeof(VT) / sizeof(T) };                                                       \
    T *o = (T *)out;                                                                           \
    const T *xx = (const T *)x, *ww = (const T *)w;                                            \
    const size_t nvt = (cols + W - 1) / W, chunks = (nvt + CK_RNV - 1) / CK_RNV;              \
    for (size_t r0 = 0; r0 < rows; r0 += CK_DR) {                                              \
      const int nr = rows - r0 < CK_DR ? (int)(rows - r0) : CK_DR;                             \
      for (size_t ch = 0, v0 = 0; ch < chunks; ch++) { /* even chunks of the row's vectors */  \
        const size_t nv = (nvt - v0 + (chunks - ch) - 1) / (chunks - ch);                      \
        const size_t c0 = v0 * W, left = cols - c0;                                            \
        const int tail = (int)(left >= nv * W ? W : left - (nv - 1) * W);                      \
        T *oo = o + r0 * ldo + c0;                                                             \
        const T *xo = xx + r0 * ldx + c0;                                                      \
        if (nv >= 3) NAME##_dwrtile(oo, ldo, xo, ldx, coff, ww, J, nr, tail, KH, CK_RNV);      \
        else if (nv == 2) NAME##_dwrtile(oo, ldo, xo, ldx, coff, ww, J, nr, tail, KH, 2);      \
        else NAME##_dwrtile(oo, ldo, xo, ldx, coff, ww, J, nr, tail, KH, 1);                   \
        v0 += nv;                                                                              \
      }                                                                                        \
    }                                                                                          \
  }                                                                                            \
  static void NAME##_dwr3(void *out, size_t ldo, const void *x, size_t ldx,                   \
                          const ptrdiff_t *coff, const void *w, size_t J, size_t rows,        \
                          size_t cols) {                                                       \
    NAME##_dwr(out, ldo, x, ldx, coff, w, J, rows, cols, 3);                                   \
  }                                                                                            \
  static void NAME##_dwr5(void *out, size_t ldo, const void *x, size_t ldx,                   \
                          const ptrdiff_t *coff, const void *w, size_t J, size_t rows,        \
                          size_t cols) {                                                       \
    NAME##_dwr(out, ldo, x, ldx, coff, w, J, rows, cols, 5);                                   \
  }                                                                                            \
  static void NAME##_dwr7(void *out, size_t ldo, const void *x, size_t ldx,                   \
                          const ptrdiff_t *coff, const void *w, size_t J, size_t rows,        \
                          size_t cols) {                                                       \
    NAME##_dwr(out, ldo, x, ldx, coff, w, J, rows, cols, 7);                                   \
  }                                                                                            \
  static void NAME##_cmac(void *yv, const void *const *xp, const void *const *hp, size_t cig,  \
                          size_t ld, size_t n) {                                               \
    enum { W = sizeof(VT) / sizeof(T) };                                                       \
    T *y = (T *)yv;                                                                            \
    const size_t st = 2 * ld;                                                                  \
    for (size_t v = 0; v < n; v += W) {                                                        \
      VT ar[CK_CB][CK_CC], ai[CK_CB][CK_CC];                                                   \
      const T *xb[CK_CB], *hc[CK_CC];                                                          \
      _Pragma("GCC unroll 8") for (int b = 0; b < CK_CB; b++) {                                \
        xb[b] = (const T *)xp[b] + v;                                                          \
        _Pragma("GCC unroll 8") for (int c = 0; c < CK_CC; c++) ar[b][c] = ai[b][c] = (VT){0}; \
      }                                                                                        \
      _Pragma("GCC unroll 8") for (int c = 0; c < CK_CC; c++) hc[c] = (const T *)hp[c] + v;    \
      for (size_t i = 0; i < cig; i++) {                                                       \
        VT xr[CK_CB], xi[CK_CB];                                                               \
        _Pragma("GCC unroll 8") for (int b = 0; b < CK_CB; b++) {                              \
          xr[b] = NAME##_ld(xb[b] + i * st);                                                   \
          xi[b] = NAME##_ld(xb[b] + i * st + ld);                                              \
        }                                                                                      \
        _Pragma("GCC unroll 8") for (int c = 0; c < CK_CC; c++) {                              \
          const VT hr = NAME##_ld(hc[c] + i * st), hi = NAME##_ld(hc[c] + i * st + ld);        \
          _Pragma("GCC unroll 8") for (int b = 0; b < CK_CB; b++) {                            \
            ar[b][c] += hr * xr[b];                                                            \
            ar[b][c] -= hi * xi[b];                                                            \
            ai[b][c] += hr * xi[b];                                                            \
            ai[b][c] += hi * xr[b];                                                            \
          }                                                                                    \
        }                                                                                      \
      }                                                                                        \
      _Pragma("GCC unroll 8") for (int b = 0; b < CK_CB; b++)                                  \
          _Pragma("GCC unroll 8") for (int c = 0; c < CK_CC; c++) {                            \
        T *yo = y + (size_t)(b * CK_CC + c) * st + v;                                          \
        memcpy(yo, &ar[b][c], sizeof ar[b][c]);                                                \
        memcpy(yo + ld, &ai[b][c], sizeof ai[b][c]);                                           \
      }                                                                                        \
    }                                                                                          \
  }

CK_DEFINE(ck_f32, float, dk_vf)
CK_DEFINE(ck_f64, double, dk_vd)

/* ---- Winograd F(4x4, 3x3) transforms (Lavin & Gray 2016, interpolation points 0, +-1, +-2,
 * infinity): V = B^T d B (6x6 input tile d), y = A^T M A (4x4 outputs of the 6x6 product M), with
 *   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
 *   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
 * (the kernel's G g G^T is made once, in double, by channels_winograd.c). */
#define WK_BT(T, VT, d, e)                                                                     \
  do {                                                                                         \
    const VT four = (VT){0} + (T)4, five = (VT){0} + (T)5, two = (VT){0} + (T)2;               \
    const VT s1 = d[4] - d[2] * four, s2 = d[3] - d[1] * four;                                 \
    const VT s3 = d[4] - d[2], s4 = (d[3] - d[1]) * two;                                       \
    e[0] = d[0] * four - d[2] * five + d[4];                                                   \
    e[1] = s1 + s2;                                                                            \
    e[2] = s1 - s2;                                                                            \
    e[3] = s3 + s4;                                                                            \
    e[4] = s3 - s4;                                                                            \
    e[5] = d[1] * four - d[3] * five + d[5];                                                   \
  } while (0)
#define WK_AT(T, VT, m, o)                                                                     \
  do {                                                                                         \
    const VT two = (VT){0} + (T)2, four = (VT){0} + (T)4, eight = (VT){0} + (T)8;              \
    const VT p1 = m[1] + m[2], m1 = m[1] - m[2], p3 = m[3] + m[4], m3 = m[3] - m[4];          \
    o[0] = m[0] + p1 + p3;                                                                     \
    o[1] = m1 + m3 * two;                                                                      \
    o[2] = p1 + p3 * four;                                                                     \
    o[3] = m1 + m3 * eight + m[5];                                                             \
  } while (0)

/* put4: four vectors as interleaved quadruples, dst[4 l + b] = c[b][l] for 4 l + b < n; split4
 * the inverse, a row's four column phases, ph[q * lp + j] = src[4 j + q] (direct_kernels.h:
 * wino_split). f32 with AVX2 (also in the AVX-512 variant, a 256-bit half at a time): 4 x 4
 * transposes within 128-bit lanes plus lane permutes; otherwise element by element. */
#if (FCONV_DK_VBYTES == 32 || FCONV_DK_VBYTES == 64) && defined(__AVX2__)
#include <immintrin.h>
/* eight tiles (AVX2 registers; AVX-512 runs it on each half of its registers) */
DK_INLINE void ck_f32_put4x8(float *dst, __m256 c0, __m256 c1, __m256 c2, __m256 c3, size_t n) {
  const __m256 u0 = _mm256_unpacklo_ps(c0, c1), u1 = _mm256_unpackhi_ps(c0, c1);
  const __m256 u2 = _mm256_unpacklo_ps(c2, c3), u3 = _mm256_unpackhi_ps(c2, c3);
  const __m256 q0 = _mm256_shuffle_ps(u0, u2, 0x44), q1 = _mm256_shuffle_ps(u0, u2, 0xEE);
  const __m256 q2 = _mm256_shuffle_ps(u1, u3, 0x44), q3 = _mm256_shuffle_ps(u1, u3, 0xEE);
  __m256 o[4] = {_mm256_permute2f128_ps(q0, q1, 0x20), _mm256_permute2f128_ps(q2, q3, 0x20),
                 _mm256_permute2f128_ps(q0, q1, 0x31), _mm256_permute2f128_ps(q2, q3, 0x31)};
  size_t i = 0;
  for (; i + 8 <= n && i < 32; i += 8) _mm256_storeu_ps(dst + i, o[i / 8]);
  if (i < n && i < 32) memcpy(dst + i, &o[i / 8], (n - i) * sizeof(float));
}
DK_INLINE void ck_f32_put4(float *dst, const dk_vf c[4], size_t n) {
  enum { H = sizeof(dk_vf) / sizeof(__m256) }; /* halves */
  __m256 h[4][H];
  memcpy(h, c, sizeof h);
  for (int k = 0; k < H && 32 * (size_t)k < n; k++)
    ck_f32_put4x8(dst + 32 * k, h[0][k], h[1][k], h[2][k], h[3][k], n - 32 * (size_t)k);
}
static void ck_f32_split4(void *phv, size_t lp, const void *srcv, size_t n) {
  float *ph = (float *)phv;
  const float *src = (const float *)srcv;
  for (size_t e = 0; e < n; e += 32, ph += 8, src += 32) {
    const __m256 a0 = _mm256_loadu_ps(src), a1 = _mm256_loadu_ps(src + 8);
    const __m256 a2 = _mm256_loadu_ps(src + 16), a3 = _mm256_loadu_ps(src + 24);
    const __m256 t0 = _mm256_permute2f128_ps(a0, a2, 0x20), t1 = _mm256_permute2f128_ps(a1, a3, 0x20);
    const __m256 t2 = _mm256_permute2f128_ps(a0, a2, 0x31), t3 = _mm256_permute2f128_ps(a1, a3, 0x31);
    const __m256 u0 = _mm256_unpacklo_ps(t0, t2), u1 = _mm256_unpackhi_ps(t0, t2);
    const __m256 u2 = _mm256_unpacklo_ps(t1, t3), u3 = _mm256_unpackhi_ps(t1, t3);
    _mm256_storeu_ps(ph, _mm256_shuffle_ps(u0, u2, 0x44));
    _mm256_storeu_ps(ph + lp, _mm256_shuffle_ps(u0, u2, 0xEE));
    _mm256_storeu_ps(ph + 2 * lp, _mm256_shuffle_ps(u1, u3, 0x44));
    _mm256_storeu_ps(ph + 3 * lp, _mm256_shuffle_ps(u1, u3, 0xEE));
  }
}
#endif
/* put4 / split4 element by element (f64, and f32 without the AVX2 transposes above) */
#define CK_PUT4_GENERIC(NAME, T, VT)                                                           \
  DK_INLINE void NAME##_put4(T *dst, const VT c[4], size_t n) {                                \
    enum { W = sizeof(VT) / sizeof(T) };                                                       \
    T buf[4 * W];                                                                              \
    for (int l = 0; l < W; l++)                                                                \
      for (int b = 0; b < 4; b++) buf[4 * l + b] = c[b][l];                                    \
    memcpy(dst, buf, (n < 4 * W ? n : 4 * W) * sizeof(T));                                     \
  }                                                                                            \
  static void NAME##_split4(void *phv, size_t lp, const void *srcv, size_t n) {                \
    T *ph = (T *)phv;                                                                          \
    const T *src = (const T *)srcv;                                                            \
    for (size_t e = 0; e < n; e++) ph[(e & 3) * lp + (e >> 2)] = src[e];                       \
  }
#if !((FCONV_DK_VBYTES == 32 || FCONV_DK_VBYTES == 64) && defined(__AVX2__))
CK_PUT4_GENERIC(ck_f32, float, dk_vf)
#endif
CK_PUT4_GENERIC(ck_f64, double, dk_vd)
#undef CK_PUT4_GENERIC

#define WK_DEFINE(NAME, T, VT)                                                                 \
  static void NAME##_wino_in(void *vv, size_t fs, const void *xv, size_t ldx, size_t lp,      \
                             size_t nt) {                                                      \
    enum { W = sizeof(VT) / sizeof(T) };                                                       \
    T *v = (T *)vv;                                                                            \
    const T *x = (const T *)xv;                                                                \
    for (size_t t = 0; t < nt; t += W) {                                                       \
      VT e[6][6]; /* e[r][j]: row r of the tile times B */                                     \
      _Pragma("GCC unroll 6") for (int r = 0; r < 6; r++) {                                    \
        const T *row = x + r * ldx + t;                                                        \
        VT d[6];                                                                               \
        _Pragma("GCC unroll 6") for (int k = 0; k < 6; k++)                                    \
            d[k] = NAME##_ld(row + (k % 4) * lp + k / 4);                                      \
        WK_BT(T, VT, d, e[r]);                                                                 \
      }                                                                                        \
      _Pragma("GCC unroll 6") for (int j = 0; j < 6; j++) {                                    \
        VT d[6], o[6];                                                                         \
        _Pragma("GCC unroll 6") for (int r = 0; r < 6; r++) d[r] = e[r][j];                    \
        WK_BT(T, VT, d, o);                                                                    \
        _Pragma("GCC unroll 6") for (int i = 0; i < 6; i++)                                    \
            memcpy(v + (size_t)(i * 6 + j) * fs + t, &o[i], sizeof o[i]);                      \
      }                                                                                        \
    }                                                                                          \
  }                                                                                            \
  static void NAME##_wino_out(void *yv, size_t ldy, const void *mv, size_t fs, size_t nt,     \
                              size_t rows, size_t cols) {                                      \
    enum { W = sizeof(VT) / sizeof(T) };                                                       \
    T *y = (T *)yv;                                                                            \
    const T *m = (const T *)mv;                                                                \
    for (size_t t = 0; t < nt; t += W) {                                                       \
      VT e[6][4]; /* e[i][b]: row i of M times A */                                            \
      _Pragma("GCC unroll 6") for (int i = 0; i < 6; i++) {                                    \
        VT d[6];                                                                               \
        _Pragma("GCC unroll 6") for (int j = 0; j < 6; j++)                                    \
            d[j] = NAME##_ld(m + (size_t)(i * 6 + j) * fs + t);                                \
        WK_AT(T, VT, d, e[i]);                                                                 \
      }                                                                                        \
      const size_t c0 = 4 * t, n = cols - c0 < 4 * (size_t)W ? cols - c0 : 4 * (size_t)W;     \
      _Pragma("GCC unroll 4") for (int b = 0; b < 4; b++) {                                    \
        VT d[6], o[4];                                                                         \
        _Pragma("GCC unroll 6") for (int i = 0; i < 6; i++) d[i] = e[i][b];                    \
        WK_AT(T, VT, d, o);                                                                    \
        _Pragma("GCC unroll 4") for (int a = 0; a < 4; a++) e[a][b] = o[a];                    \
      }                                                                                        \
      /* e[a][b] now holds output (a, b) of every tile: rows a, interleaved by tile */          \
      for (size_t a = 0; a < rows; a++) NAME##_put4(y + a * ldy + c0, e[a], n);                \
    }                                                                                          \
  }

WK_DEFINE(ck_f32, float, dk_vf)
WK_DEFINE(ck_f64, double, dk_vd)

__attribute__((visibility("hidden"))) const fconv_ck_ops DK_CAT(fconv_ck_ops, FCONV_DK_ISA) = {
    CK_MR, CK_NV, {ck_f32_gemm, ck_f64_gemm}, CK_DR, CK_DNV, {ck_f32_dw, ck_f64_dw},
    {{ck_f32_dwr3, ck_f32_dwr5, ck_f32_dwr7}, {ck_f64_dwr3, ck_f64_dwr5, ck_f64_dwr7}},
    CK_CB, CK_CC, {ck_f32_cmac, ck_f64_cmac}, {ck_f32_wino_in, ck_f64_wino_in},
    {ck_f32_wino_out, ck_f64_wino_out}, {ck_f32_split4, ck_f64_split4}};
