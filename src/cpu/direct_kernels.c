/* direct_kernels.c — register-blocked micro-kernels of the CPU direct path.
 *
 * This one source is compiled several times (cmake/fconv_cpu.cmake): FCONV_DK_ISA names the
 * variant (the suffix of the exported ops table) and FCONV_DK_VBYTES the vector width, with
 * per-compilation flags (none for generic: baseline x86-64 SSE2 or the target's default;
 * -mavx2 -mfma; -mavx512f). The code is written with GCC vector extensions only, so every
 * variant is the same algorithm at a different width.
 *
 * Tile: DK_NV vectors of one output row held in registers while the loop runs over all tap rows
 * and taps: broadcast weight x unaligned load, multiply-add (contracted to FMA where the ISA has
 * it). Complex (interleaved re,im): A += x * re(w), B += x * im(w) lane-wise, and at the end
 * out = A + swap_pairs(B) * (-1, +1, ...), i.e. (xr wr - xi wi, xi wr + xr wi). Tails: one
 * vector at a time, then scalar. Tap counts 1..7 shared by every tap row get unrolled copies.
 */
#include "direct_kernels.h"

#include <string.h>

#include "kernel_isa.h"

/* Vectors per register tile. Eight independent accumulators cover the multiply-add latency
 * (4 cycles x 2 pipes): one real row holds DK_NVR = 8 vectors; a complex row DK_NV = 4 (x2
 * for re/im weights); a pair of real rows 2 x DK_NV; a pair of complex rows 2 x 2 x DK_NV/2. */
#define DK_NV 4
#define DK_NVR 8


/* Make a pointer opaque to the optimiser so that loads use it with constant displacements
 * (otherwise GCC hoists one offset register per tap and vector out of the tap-row loop and
 * spills them). */
#define DK_OPAQUE(p) __asm__("" : "+r"(p))
/* Keep a loaded vector in a register (x86): used by both rows of a pair instead of being
 * folded into two memory-operand multiply-adds (two loads). */
#if defined(__x86_64__) || defined(__i386__)
#define DK_INREG(v) __asm__("" : "+x"(v))
#else
#define DK_INREG(v) ((void)0)
#endif


/* Pair swap (re <-> im) and the sign pattern (-1, +1, ...) for the complex combine. */
#if FCONV_DK_VBYTES == 16
#define DK_SWAP_F 1, 0, 3, 2
#define DK_SWAP_D 1, 0
#define DK_SGN_F -1.f, 1.f, -1.f, 1.f
#define DK_SGN_D -1.0, 1.0
#elif FCONV_DK_VBYTES == 32
#define DK_SWAP_F 1, 0, 3, 2, 5, 4, 7, 6
#define DK_SWAP_D 1, 0, 3, 2
#define DK_SGN_F -1.f, 1.f, -1.f, 1.f, -1.f, 1.f, -1.f, 1.f
#define DK_SGN_D -1.0, 1.0, -1.0, 1.0
#elif FCONV_DK_VBYTES == 64
#define DK_SWAP_F 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14
#define DK_SWAP_D 1, 0, 3, 2, 5, 4, 7, 6
#define DK_SGN_F -1.f, 1.f, -1.f, 1.f, -1.f, 1.f, -1.f, 1.f, -1.f, 1.f, -1.f, 1.f, -1.f, 1.f, \
                 -1.f, 1.f
#define DK_SGN_D -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0
#else
#error "FCONV_DK_VBYTES must be 16, 32 or 64"
#endif

#ifdef __clang__
#define DK_SHUF(v, MASK) __builtin_shufflevector(v, v, MASK)
#else
typedef int dk_mf __attribute__((vector_size(FCONV_DK_VBYTES)));
typedef long long dk_md __attribute__((vector_size(FCONV_DK_VBYTES)));
#define DK_SHUF_F(v) __builtin_shuffle(v, (dk_mf){DK_SWAP_F})
#define DK_SHUF_D(v) __builtin_shuffle(v, (dk_md){DK_SWAP_D})
#endif
#ifdef __clang__
#define DK_SHUF_F(v) DK_SHUF(v, DK_SWAP_F)
#define DK_SHUF_D(v) DK_SHUF(v, DK_SWAP_D)
#endif

/* ---- real: y[c] (+)= sum_t sum_j x_t[c + j] w_t[j] ----------------------------------------- */

#define DK_DEFINE_REAL(NAME, T, VT)                                                           \
  DK_INLINE VT NAME##_ld(const T *p) {                                                        \
    VT v;                                                                                     \
    memcpy(&v, p, sizeof v);                                                                  \
    return v;                                                                                 \
  }                                                                                           \
  /* one tile of NT vectors at column c (NT and K constant after inlining) */                 \
  DK_INLINE void NAME##_tile(T *out, size_t c, const fconv_dk_taprow *tr, size_t ntr,        \
                             int acc, const size_t K, const int NT) {                         \
    enum { W = sizeof(VT) / sizeof(T) };                                                      \
    VT a[DK_NVR];                                                                             \
    _Pragma("GCC unroll 8") for (int v = 0; v < NT; v++) a[v] =                               \
        acc ? NAME##_ld(out + c + v * W) : (VT){0};                                           \
    for (size_t t = 0; t < ntr; t++) {                                                        \
      const T *x = (const T *)tr[t].x + c, *w = (const T *)tr[t].w;                           \
      DK_OPAQUE(x);                                                                           \
      const size_t nt = K ? K : tr[t].nt;                                                     \
      for (size_t j = 0; j < nt; j++) {                                                       \
        const T wj = w[j];                                                                    \
        const T *xj = x + j; /* own base per tap: no loads shared across taps */              \
        DK_OPAQUE(xj);                                                                        \
        _Pragma("GCC unroll 8") for (int v = 0; v < NT; v++) a[v] +=                          \
            NAME##_ld(xj + v * W) * wj;                                                    \
      }                                                                                       \
    }                                                                                         \
    _Pragma("GCC unroll 8") for (int v = 0; v < NT; v++)                                      \
        memcpy(out + c + v * W, &a[v], sizeof a[v]);                                          \
  }                                                                                           \
  DK_INLINE void NAME##_body(T *out, size_t len, const fconv_dk_taprow *tr, size_t ntr,      \
                             int acc, const size_t K) {                                       \
    enum { W = sizeof(VT) / sizeof(T) };                                                      \
    size_t c = 0;                                                                             \
    for (; c + DK_NVR * W <= len; c += DK_NVR * W) NAME##_tile(out, c, tr, ntr, acc, K, DK_NVR);\
    if (c + 4 * W <= len) {                                                                   \
      NAME##_tile(out, c, tr, ntr, acc, K, 4);                                                \
      c += 4 * W;                                                                             \
    }                                                                                         \
    if (c + 2 * W <= len) {                                                                   \
      NAME##_tile(out, c, tr, ntr, acc, K, 2);                                                \
      c += 2 * W;                                                                             \
    }                                                                                         \
    if (c + W <= len) {                                                                       \
      NAME##_tile(out, c, tr, ntr, acc, K, 1);                                                \
      c += W;                                                                                 \
    }                                                                                         \
    if (!acc && c < len && len >= W) { /* last vector overlaps: same values rewritten */      \
      NAME##_tile(out, len - W, tr, ntr, acc, K, 1);                                          \
      c = len;                                                                                \
    }                                                                                         \
    for (; c < len; c++) {                                                                    \
      T s = acc ? out[c] : (T)0;                                                              \
      for (size_t t = 0; t < ntr; t++) {                                                      \
        const T *x = (const T *)tr[t].x + c, *w = (const T *)tr[t].w;                         \
        const size_t nt = K ? K : tr[t].nt;                                                   \
        for (size_t j = 0; j < nt; j++) s += x[j] * w[j];                                     \
      }                                                                                       \
      out[c] = s;                                                                             \
    }                                                                                         \
  }

/* ---- complex (interleaved): y[c] (+)= sum_t sum_j x_t[c + j] * w_t[j] (complex) ------------ */

#define DK_DEFINE_CPLX(NAME, T, VT, FD)                                                \
  DK_INLINE VT NAME##_ld(const T *p) {                                                        \
    VT v;                                                                                     \
    memcpy(&v, p, sizeof v);                                                                  \
    return v;                                                                                 \
  }                                                                                           \
  DK_INLINE void NAME##_body(T *out, size_t len, const fconv_dk_taprow *tr, size_t ntr,      \
                             int acc, const size_t K) {                                       \
    enum { W = sizeof(VT) / sizeof(T), CW = W / 2 };                                          \
    const VT sgn = {DK_SGN_##FD};                                                             \
    size_t c = 0;                                                                             \
    for (; c + DK_NV * CW <= len; c += DK_NV * CW) {                                          \
      VT a[DK_NV], b[DK_NV];                                                                  \
      _Pragma("GCC unroll 8") for (int v = 0; v < DK_NV; v++) {                               \
        a[v] = acc ? NAME##_ld(out + 2 * c + v * W) : (VT){0};                                \
        b[v] = (VT){0};                                                                       \
      }                                                                                       \
      for (size_t t = 0; t < ntr; t++) {                                                      \
        const T *x = (const T *)tr[t].x + 2 * c, *w = (const T *)tr[t].w;                     \
        DK_OPAQUE(x);                                                                         \
        const size_t nt = K ? K : tr[t].nt;                                                   \
        for (size_t j = 0; j < nt; j++) {                                                     \
          const T wr = w[2 * j], wi = w[2 * j + 1];                                           \
          const T *xj = x + 2 * j; /* own base per tap: no loads shared across taps */        \
          DK_OPAQUE(xj);                                                                      \
          _Pragma("GCC unroll 8") for (int v = 0; v < DK_NV; v++) {                           \
            const VT xv = NAME##_ld(xj + v * W);                                       \
            a[v] += xv * wr;                                                                  \
            b[v] += xv * wi;                                                                  \
          }                                                                                   \
        }                                                                                     \
      }                                                                                       \
      _Pragma("GCC unroll 8") for (int v = 0; v < DK_NV; v++) {                               \
        const VT r = a[v] + DK_SHUF_##FD(b[v]) * sgn;                                         \
        memcpy(out + 2 * c + v * W, &r, sizeof r);                                            \
      }                                                                                       \
    }                                                                                         \
    for (;;) {                                                                                \
      for (; c + CW <= len; c += CW) {                                                        \
        VT a0 = acc ? NAME##_ld(out + 2 * c) : (VT){0}, b0 = (VT){0};                         \
        for (size_t t = 0; t < ntr; t++) {                                                    \
          const T *x = (const T *)tr[t].x + 2 * c, *w = (const T *)tr[t].w;                   \
          const size_t nt = K ? K : tr[t].nt;                                                 \
          for (size_t j = 0; j < nt; j++) {                                                   \
            const VT xv = NAME##_ld(x + 2 * j);                                               \
            a0 += xv * w[2 * j];                                                              \
            b0 += xv * w[2 * j + 1];                                                          \
          }                                                                                   \
        }                                                                                     \
        const VT r = a0 + DK_SHUF_##FD(b0) * sgn;                                             \
        memcpy(out + 2 * c, &r, sizeof r);                                                    \
      }                                                                                       \
      if (acc || c >= len || len < CW) break;                                                 \
      c = len - CW; /* last vector overlaps: same values rewritten */                         \
    }                                                                                         \
    for (; c < len; c++) {                                                                    \
      T sr = acc ? out[2 * c] : (T)0, si = acc ? out[2 * c + 1] : (T)0;                       \
      for (size_t t = 0; t < ntr; t++) {                                                      \
        const T *x = (const T *)tr[t].x + 2 * c, *w = (const T *)tr[t].w;                     \
        const size_t nt = K ? K : tr[t].nt;                                                   \
        for (size_t j = 0; j < nt; j++) {                                                     \
          const T xr = x[2 * j], xi = x[2 * j + 1], wr = w[2 * j], wi = w[2 * j + 1];         \
          sr += xr * wr - xi * wi;                                                            \
          si += xr * wi + xi * wr;                                                            \
        }                                                                                     \
      }                                                                                       \
      out[2 * c] = sr;                                                                        \
      out[2 * c + 1] = si;                                                                    \
    }                                                                                         \
  }

/* The exported entries: unrolled copies when every tap row has the same 1..7 taps. */
#define DK_UNIFORM_TAPS(tr, ntr, K)                                                           \
  size_t K = (ntr) ? (tr)[0].nt : 0;                                                          \
  for (size_t t_ = 1; t_ < (ntr) && K; t_++)                                                  \
    if ((tr)[t_].nt != K) K = 0
#define DK_SWITCH_K(K, FN, ...)                                                               \
  switch (K) {                                                                                \
  case 1: FN(__VA_ARGS__, 1); break;                                                          \
  case 2: FN(__VA_ARGS__, 2); break;                                                          \
  case 3: FN(__VA_ARGS__, 3); break;                                                          \
  case 4: FN(__VA_ARGS__, 4); break;                                                          \
  case 5: FN(__VA_ARGS__, 5); break;                                                          \
  case 6: FN(__VA_ARGS__, 6); break;                                                          \
  case 7: FN(__VA_ARGS__, 7); break;                                                          \
  default: FN(__VA_ARGS__, 0); break;                                                         \
  }

#define DK_DEFINE_ENTRY(NAME, T)                                                              \
  static void NAME(void *out, size_t len, const fconv_dk_taprow *tr, size_t ntr, int acc) {   \
    DK_UNIFORM_TAPS(tr, ntr, K);                                                              \
    DK_SWITCH_K(K, NAME##_body, (T *)out, len, tr, ntr, acc)                                  \
  }

/* ---- two rows: real ------------------------------------------------------------------------ */

/* One register tile of both rows: loads shared, FMAs into a[] and/or b[]. */
#define DK_DEFINE_REAL2(NAME, T, VT)                                                          \
  DK_INLINE void NAME##_body2(T *oa, T *ob, size_t len, const fconv_dk_pairrow *tr,           \
                              size_t ntr, int acc, const size_t K) {                          \
    enum { W = sizeof(VT) / sizeof(T) };                                                      \
    size_t c = 0;                                                                             \
    for (; c + DK_NV * W <= len; c += DK_NV * W) {                                            \
      VT a[DK_NV], b[DK_NV];                                                                  \
      _Pragma("GCC unroll 8") for (int v = 0; v < DK_NV; v++) {                               \
        a[v] = acc ? NAME##_ld(oa + c + v * W) : (VT){0};                                     \
        b[v] = acc ? NAME##_ld(ob + c + v * W) : (VT){0};                                     \
      }                                                                                       \
      for (size_t t = 0; t < ntr; t++) {                                                      \
        const T *x = (const T *)tr[t].x + c;                                                  \
        const T *wa = (const T *)tr[t].wa, *wb = (const T *)tr[t].wb;                         \
        DK_OPAQUE(x);                                                                         \
        const size_t nt = K ? K : tr[t].nt;                                                   \
        for (size_t j = 0; j < nt; j++) {                                                     \
          const T ua = wa[j], ub = wb[j];                                                     \
          const T *xj = x + j; /* own base per tap: no loads shared across taps */            \
          DK_OPAQUE(xj);                                                                      \
          _Pragma("GCC unroll 8") for (int v = 0; v < DK_NV; v++) {                           \
            VT xv = NAME##_ld(xj + v * W);                                                 \
            DK_INREG(xv);                                                                     \
            a[v] += xv * ua;                                                                  \
            b[v] += xv * ub;                                                                  \
          }                                                                                   \
        }                                                                                     \
      }                                                                                       \
      _Pragma("GCC unroll 8") for (int v = 0; v < DK_NV; v++) {                               \
        memcpy(oa + c + v * W, &a[v], sizeof a[v]);                                           \
        memcpy(ob + c + v * W, &b[v], sizeof b[v]);                                           \
      }                                                                                       \
    }                                                                                         \
    for (;;) {                                                                                \
      for (; c + W <= len; c += W) {                                                          \
        VT a0 = acc ? NAME##_ld(oa + c) : (VT){0}, b0 = acc ? NAME##_ld(ob + c) : (VT){0};    \
        for (size_t t = 0; t < ntr; t++) {                                                    \
          const T *x = (const T *)tr[t].x + c;                                                \
          const T *wa = (const T *)tr[t].wa, *wb = (const T *)tr[t].wb;                       \
          const size_t nt = K ? K : tr[t].nt;                                                 \
          for (size_t j = 0; j < nt; j++) {                                                   \
            const VT xv = NAME##_ld(x + j);                                                   \
            a0 += xv * wa[j];                                                                 \
            b0 += xv * wb[j];                                                                 \
          }                                                                                   \
        }                                                                                     \
        memcpy(oa + c, &a0, sizeof a0);                                                       \
        memcpy(ob + c, &b0, sizeof b0);                                                       \
      }                                                                                       \
      if (acc || c >= len || len < W) break;                                                  \
      c = len - W; /* last vector overlaps: same values rewritten */                          \
    }                                                                                         \
    for (; c < len; c++) {                                                                    \
      T sa = acc ? oa[c] : (T)0, sb = acc ? ob[c] : (T)0;                                     \
      for (size_t t = 0; t < ntr; t++) {                                                      \
        const T *x = (const T *)tr[t].x + c;                                                  \
        const T *wa = (const T *)tr[t].wa, *wb = (const T *)tr[t].wb;                         \
        const size_t nt = K ? K : tr[t].nt;                                                   \
        for (size_t j = 0; j < nt; j++) {                                                     \
          sa += x[j] * wa[j];                                                                 \
          sb += x[j] * wb[j];                                                                 \
        }                                                                                     \
      }                                                                                       \
      oa[c] = sa;                                                                             \
      ob[c] = sb;                                                                             \
    }                                                                                         \
  }

/* ---- two rows: complex ----------------------------------------------------------------------- */

#define DK_NV2C (DK_NV / 2) /* vectors per row in the complex two-row tile (8 accumulators) */

#define DK_DEFINE_CPLX2(NAME, T, VT, FD)                                               \
  DK_INLINE void NAME##_body2(T *oa, T *ob, size_t len, const fconv_dk_pairrow *tr,           \
                              size_t ntr, int acc, const size_t K) {                          \
    enum { W = sizeof(VT) / sizeof(T), CW = W / 2 };                                          \
    const VT sgn = {DK_SGN_##FD};                                                             \
    size_t c = 0;                                                                             \
    for (; c + DK_NV2C * CW <= len; c += DK_NV2C * CW) {                                      \
      VT ar[DK_NV2C], ai[DK_NV2C], br[DK_NV2C], bi[DK_NV2C];                                  \
      _Pragma("GCC unroll 8") for (int v = 0; v < DK_NV2C; v++) {                             \
        ar[v] = acc ? NAME##_ld(oa + 2 * c + v * W) : (VT){0};                                \
        br[v] = acc ? NAME##_ld(ob + 2 * c + v * W) : (VT){0};                                \
        ai[v] = bi[v] = (VT){0};                                                              \
      }                                                                                       \
      for (size_t t = 0; t < ntr; t++) {                                                      \
        const T *x = (const T *)tr[t].x + 2 * c;                                              \
        const T *wa = (const T *)tr[t].wa, *wb = (const T *)tr[t].wb;                         \
        DK_OPAQUE(x);                                                                         \
        const size_t nt = K ? K : tr[t].nt;                                                   \
        for (size_t j = 0; j < nt; j++) {                                                     \
          const T war = wa[2 * j], wai = wa[2 * j + 1], wbr = wb[2 * j], wbi = wb[2 * j + 1]; \
          const T *xj = x + 2 * j; /* own base per tap: no loads shared across taps */        \
          DK_OPAQUE(xj);                                                                      \
          _Pragma("GCC unroll 8") for (int v = 0; v < DK_NV2C; v++) {                         \
            VT xv = NAME##_ld(xj + v * W);                                             \
            DK_INREG(xv);                                                                     \
            ar[v] += xv * war;                                                                \
            ai[v] += xv * wai;                                                                \
            br[v] += xv * wbr;                                                                \
            bi[v] += xv * wbi;                                                                \
          }                                                                                   \
        }                                                                                     \
      }                                                                                       \
      _Pragma("GCC unroll 8") for (int v = 0; v < DK_NV2C; v++) {                             \
        const VT ra = ar[v] + DK_SHUF_##FD(ai[v]) * sgn;                                      \
        const VT rb = br[v] + DK_SHUF_##FD(bi[v]) * sgn;                                      \
        memcpy(oa + 2 * c + v * W, &ra, sizeof ra);                                           \
        memcpy(ob + 2 * c + v * W, &rb, sizeof rb);                                           \
      }                                                                                       \
    }                                                                                         \
    for (;;) {                                                                                \
      for (; c + CW <= len; c += CW) {                                                        \
        VT a0 = acc ? NAME##_ld(oa + 2 * c) : (VT){0}, a1 = (VT){0};                          \
        VT b0 = acc ? NAME##_ld(ob + 2 * c) : (VT){0}, b1 = (VT){0};                          \
        for (size_t t = 0; t < ntr; t++) {                                                    \
          const T *x = (const T *)tr[t].x + 2 * c;                                            \
          const T *wa = (const T *)tr[t].wa, *wb = (const T *)tr[t].wb;                       \
          const size_t nt = K ? K : tr[t].nt;                                                 \
          for (size_t j = 0; j < nt; j++) {                                                   \
            const VT xv = NAME##_ld(x + 2 * j);                                               \
            a0 += xv * wa[2 * j];                                                             \
            a1 += xv * wa[2 * j + 1];                                                         \
            b0 += xv * wb[2 * j];                                                             \
            b1 += xv * wb[2 * j + 1];                                                         \
          }                                                                                   \
        }                                                                                     \
        const VT ra = a0 + DK_SHUF_##FD(a1) * sgn;                                            \
        const VT rb = b0 + DK_SHUF_##FD(b1) * sgn;                                            \
        memcpy(oa + 2 * c, &ra, sizeof ra);                                                   \
        memcpy(ob + 2 * c, &rb, sizeof rb);                                                   \
      }                                                                                       \
      if (acc || c >= len || len < CW) break;                                                 \
      c = len - CW; /* last vector overlaps: same values rewritten */                         \
    }                                                                                         \
    for (; c < len; c++) {                                                                    \
      T s[2][2] = {{acc ? oa[2 * c] : (T)0, acc ? oa[2 * c + 1] : (T)0},                      \
                   {acc ? ob[2 * c] : (T)0, acc ? ob[2 * c + 1] : (T)0}};                     \
      for (size_t t = 0; t < ntr; t++) {                                                      \
        const T *x = (const T *)tr[t].x + 2 * c;                                              \
        const size_t nt = K ? K : tr[t].nt;                                                   \
        for (int rr = 0; rr < 2; rr++) {                                                      \
          const T *w = (const T *)(rr ? tr[t].wb : tr[t].wa);                                 \
          for (size_t j = 0; j < nt; j++) {                                                   \
            const T xr = x[2 * j], xi = x[2 * j + 1], wr = w[2 * j], wi = w[2 * j + 1];       \
            s[rr][0] += xr * wr - xi * wi;                                                    \
            s[rr][1] += xr * wi + xi * wr;                                                    \
          }                                                                                   \
        }                                                                                     \
      }                                                                                       \
      oa[2 * c] = s[0][0];                                                                    \
      oa[2 * c + 1] = s[0][1];                                                                \
      ob[2 * c] = s[1][0];                                                                    \
      ob[2 * c + 1] = s[1][1];                                                                \
    }                                                                                         \
  }

#define DK_DEFINE_ENTRY2(NAME, T)                                                             \
  static void NAME##_2(void *oa, void *ob, size_t len, const fconv_dk_pairrow *tr, size_t ntr,\
                       int acc) {                                                             \
    DK_UNIFORM_TAPS(tr, ntr, K);                                                              \
    DK_SWITCH_K(K, NAME##_body2, (T *)oa, (T *)ob, len, tr, ntr, acc)                         \
  }

/* Every kernel of one dtype: one row and two rows, each with its unrolled entry. */
#define DK_DEFINE_DTYPE(NAME, T, KIND, ...) \
  DK_DEFINE_##KIND(NAME, T, __VA_ARGS__)    \
  DK_DEFINE_ENTRY(NAME, T)                  \
  DK_DEFINE_##KIND##2(NAME, T, __VA_ARGS__) \
  DK_DEFINE_ENTRY2(NAME, T)

DK_DEFINE_DTYPE(dk_f32, float, REAL, dk_vf)
DK_DEFINE_DTYPE(dk_f64, double, REAL, dk_vd)
DK_DEFINE_DTYPE(dk_c64, float, CPLX, dk_vf, F)
DK_DEFINE_DTYPE(dk_c128, double, CPLX, dk_vd, D)

/* channel_kernels.c, the same instruction set */
extern __attribute__((visibility("hidden"))) const fconv_ck_ops DK_CAT(fconv_ck_ops, FCONV_DK_ISA);

__attribute__((visibility("hidden"))) const fconv_dk_ops DK_CAT(fconv_dk_ops, FCONV_DK_ISA) = {
    DK_STR(FCONV_DK_ISA), FCONV_DK_VBYTES, FCONV_DK_VBYTES * DK_NVR,
    {dk_f32, dk_f64, dk_c64, dk_c128},
    {dk_f32_2, dk_f64_2, dk_c64_2, dk_c128_2},
    &DK_CAT(fconv_ck_ops, FCONV_DK_ISA)};
