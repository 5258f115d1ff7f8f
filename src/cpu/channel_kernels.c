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
 * cmac: CB items x CC output channels x one vector of bins, real and imaginary accumulators
 *   (AVX-512: 2 x 4, i.e. 16 registers; the rest 2 x 2): per input channel 2 CB + 2 CC vector
 *   loads feed 4 CB CC multiply-adds. */
#include <string.h>

#include "direct_kernels.h"
#include "kernel_isa.h"

#if FCONV_DK_VBYTES == 64 /* 32 vector registers */
#define CK_MR 8
#define CK_NV 3
#define CK_CB 2
#define CK_CC 4
#else /* 16 vector registers */
#define CK_MR 4
#define CK_NV 3
#define CK_CB 2
#define CK_CC 2
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

__attribute__((visibility("hidden"))) const fconv_ck_ops DK_CAT(fconv_ck_ops, FCONV_DK_ISA) = {
    CK_MR, CK_NV, {ck_f32_gemm, ck_f64_gemm}, CK_CB, CK_CC, {ck_f32_cmac, ck_f64_cmac}};
