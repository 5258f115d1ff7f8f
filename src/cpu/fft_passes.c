/* fft_passes.c — the FFTW engine's passes over transform slots: pack a block's box of the
 * extended signal (core/geometry.c's gather), multiply spectra, crop the wrap-free outputs, and
 * the kernel spectra. Split over threads as grids of rows x column pieces. See fft_plan.h. */
#include "fft_plan.h"

#include <stdint.h>
#include <string.h>

#include "../core/geometry.h"
#include "../util.h"

/* ---- typed passes ---------------------------------------------------------------------------- */

/* g = h (CONVOLVE) or flip(conj(h)) (CORRELATE), times scale, at the origin of a zeroed slot. */
#define FC_DEF_PACK_KERNEL(TY, SUF)                                                             \
  static void pack_kernel_##SUF(const fconv_fc *fc, const TY *h, TY *dst) {                     \
    const fconv_problem *p = &fc->p;                                                           \
    const size_t w = p->is_complex ? 2 : 1;                                                    \
    const size_t k0 = p->ax[0].k, k1 = p->ax[1].k, k2 = p->ax[2].k;                            \
    const TY sc = (TY)fc->scale;                                                               \
    const int corr = p->op == FCONV_OP_CORRELATE;                                              \
    memset(dst, 0, fc->s.slot * sizeof(TY));                                                   \
    for (size_t m0 = 0; m0 < k0; m0++)                                                         \
      for (size_t m1 = 0; m1 < k1; m1++) {                                                     \
        TY *row = dst + (m0 * fc->s.pitch[0] + m1 * fc->s.pitch[1]) * w;                       \
        if (!corr) {                                                                           \
          const TY *src = h + ((m0 * k1 + m1) * k2) * w;                                       \
          for (size_t i = 0; i < k2 * w; i++) row[i] = src[i] * sc;                            \
        } else {                                                                               \
          const TY *src = h + (((k0 - 1 - m0) * k1 + (k1 - 1 - m1)) * k2) * w;                 \
          for (size_t m2 = 0; m2 < k2; m2++) {                                                 \
            const size_t e = (k2 - 1 - m2) * w;                                                \
            row[m2 * w] = src[e] * sc;                                                         \
            if (w == 2) row[m2 * w + 1] = -src[e + 1] * sc;                                    \
          }                                                                                    \
        }                                                                                      \
      }                                                                                        \
  }
FC_DEF_PACK_KERNEL(float, f)
FC_DEF_PACK_KERNEL(double, d)

/* Complex products over n elements: a *= b, or d = a * b. The library is built for the baseline
 * ISA; on x86-64 these loops are also compiled for AVX2+FMA and picked at load time (ifunc). */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__ELF__) && !defined(FCONV_NO_CLONES)
#define FC_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define FC_CLONES
#endif
#define FC_DEF_CMUL(TY, SUF)                                                                   \
  FC_CLONES static void cmul_##SUF(TY *restrict a, const TY *restrict b, size_t n) {           \
    for (size_t i = 0; i < n; i++) {                                                           \
      const TY ar = a[2 * i], ai = a[2 * i + 1], br = b[2 * i], bi = b[2 * i + 1];              \
      a[2 * i] = ar * br - ai * bi;                                                            \
      a[2 * i + 1] = ar * bi + ai * br;                                                        \
    }                                                                                          \
  }                                                                                            \
  FC_CLONES static void cmul3_##SUF(TY *restrict d, const TY *restrict a, const TY *restrict b, \
                                    size_t n) {                                                \
    for (size_t i = 0; i < n; i++) {                                                           \
      const TY ar = a[2 * i], ai = a[2 * i + 1], br = b[2 * i], bi = b[2 * i + 1];              \
      d[2 * i] = ar * br - ai * bi;                                                            \
      d[2 * i + 1] = ar * bi + ai * br;                                                        \
    }                                                                                          \
  }
FC_DEF_CMUL(float, f)
FC_DEF_CMUL(double, d)

/* ---- parallel passes over slots -------------------------------------------------------------- */

/* Rows x column pieces: a 2-D job grid so that long single rows (1-D) still split. */
typedef struct {
  size_t nrows, rowlen, pieces, plen;
} fc_grid;

static fc_grid make_grid(size_t nrows, size_t rowlen, int threads) {
  fc_grid g = {nrows, rowlen, 1, rowlen};
  if (threads > 1 && nrows < 4 * (size_t)threads && rowlen >= 2 * FC_PASS_GRAIN) {
    g.pieces = clampz(ceil_div(4 * (size_t)threads, nrows), 1, rowlen / FC_PASS_GRAIN);
    g.plen = ceil_div(rowlen, g.pieces);
  }
  return g;
}

static size_t grid_grain(const fc_grid *g) {
  size_t per_job = g->plen ? g->plen : 1;
  return clampz(FC_PASS_GRAIN / per_job, 1, (size_t)1 << 20);
}

/* One block's pass over rows (pack: signal -> slot; crop: slot -> output), split over threads
 * as a grid of rows x column pieces. */
typedef struct {
  const fconv_fc *fc;
  const unsigned char *in; /* pack: the signal item; crop: the slot */
  unsigned char *out;      /* pack: the slot; crop: the output item */
  fconv_span sp[3];
  fc_grid grid;
} fc_rows_ctx;

static void run_rows(const fconv_fc *fc, const void *in, void *out, const fconv_span sp[3],
                     size_t nrows, size_t rowlen, int threads, fconv_range_fn fn) {
  fc_rows_ctx c;
  c.fc = fc;
  c.in = (const unsigned char *)in;
  c.out = (unsigned char *)out;
  memcpy(c.sp, sp, sizeof c.sp);
  c.grid = make_grid(nrows, rowlen, threads);
  fconv_parallel_for(c.grid.nrows * c.grid.pieces, grid_grain(&c.grid), threads, fn, &c);
}

/* pack: the box of one block of one signal into a slot (zeros around it). */

static void pack_rows(void *vctx, size_t begin, size_t end, int tid) {
  (void)tid;
  const fc_rows_ctx *c = (const fc_rows_ctx *)vctx;
  const fconv_fc *fc = c->fc;
  const fconv_problem *p = &fc->p;
  const size_t es = p->esize;
  const size_t T2 = fc->g.T[2], T1 = fc->g.T[1];
  for (size_t j = begin; j < end; j++) {
    const size_t r = j / c->grid.pieces, piece = j % c->grid.pieces;
    const size_t i0 = r / T1, i1 = r % T1;
    size_t col_lo = piece * c->grid.plen, col_hi = col_lo + c->grid.plen;
    if (col_hi > T2) col_hi = T2;
    if (col_lo >= col_hi) continue;
    unsigned char *row = c->out + (i0 * fc->s.pitch[0] + i1 * fc->s.pitch[1]) * es;
    const size_t c2 = (i0 < c->sp[0].c && i1 < c->sp[1].c) ? c->sp[2].c : 0;
    size_t zlo = col_lo;
    if (col_lo < c2) {
      const size_t hi = col_hi < c2 ? col_hi : c2;
      const ptrdiff_t org[3] = {c->sp[0].org + (ptrdiff_t)i0, c->sp[1].org + (ptrdiff_t)i1,
                                c->sp[2].org + (ptrdiff_t)col_lo};
      const size_t cnt[3] = {1, 1, hi - col_lo}, dp[2] = {hi - col_lo, hi - col_lo};
      fconv_gather(p, c->in, org, cnt, row + col_lo * es, dp, 0);
      zlo = hi;
    }
    if (zlo < col_hi) memset(row + zlo * es, 0, (col_hi - zlo) * es);
  }
}

void fconv_fc_pack_block(const fconv_fc *fc, const void *x, const fconv_span sp[3], void *dst,
                       int threads) {
  const fc_sched *s = &fc->s;
  const size_t es = fc->p.esize;
  const size_t T0 = fc->g.T[0], T1 = fc->g.T[1], T2 = fc->g.T[2];
  if (threads <= 1 && sp[0].c && sp[1].c && sp[2].c) {
    /* one gather for the whole box, then the margins up to T */
    unsigned char *d = (unsigned char *)dst;
    const ptrdiff_t org[3] = {sp[0].org, sp[1].org, sp[2].org};
    const size_t cnt[3] = {sp[0].c, sp[1].c, sp[2].c}, dp[2] = {s->pitch[0], s->pitch[1]};
    int inside = 1; /* the box reads only real samples: plain row copies */
    for (int a = 0; a < 3; a++)
      inside &= org[a] >= (ptrdiff_t)fc->p.ax[a].p0 &&
                org[a] - (ptrdiff_t)fc->p.ax[a].p0 + (ptrdiff_t)cnt[a] <= (ptrdiff_t)fc->p.ax[a].n;
    if (inside) {
      const size_t n1 = fc->p.ax[1].n, n2 = fc->p.ax[2].n;
      const unsigned char *src =
          (const unsigned char *)x + (((size_t)(org[0] - (ptrdiff_t)fc->p.ax[0].p0) * n1 +
                                       (size_t)(org[1] - (ptrdiff_t)fc->p.ax[1].p0)) * n2 +
                                      (size_t)(org[2] - (ptrdiff_t)fc->p.ax[2].p0)) * es;
      for (size_t i0 = 0; i0 < cnt[0]; i0++)
        for (size_t i1 = 0; i1 < cnt[1]; i1++)
          memcpy(d + (i0 * dp[0] + i1 * dp[1]) * es, src + ((i0 * n1) + i1) * n2 * es, cnt[2] * es);
    } else {
      fconv_gather(&fc->p, x, org, cnt, d, dp, 0);
    }
    for (size_t i0 = 0; i0 < sp[0].c; i0++) {
      unsigned char *plane = d + i0 * s->pitch[0] * es;
      if (sp[2].c < T2)
        for (size_t i1 = 0; i1 < sp[1].c; i1++)
          memset(plane + (i1 * s->pitch[1] + sp[2].c) * es, 0, (T2 - sp[2].c) * es);
      if (sp[1].c < T1)
        memset(plane + sp[1].c * s->pitch[1] * es, 0, (T1 - sp[1].c) * s->pitch[1] * es);
    }
    if (sp[0].c < T0)
      memset(d + sp[0].c * s->pitch[0] * es, 0, (T0 - sp[0].c) * s->pitch[0] * es);
    return;
  }
  run_rows(fc, x, dst, sp, T0 * T1, T2, threads, pack_rows);
}

/* crop: the block's outputs from a slot (zeros where idx is outside [0, c + k - 1)). */

/* Output range [lo, hi) of the block's o (relative) whose idx = (o_lo + o)*s + k-1 - org lies in
 * [0, c + k - 1). */
static void valid_range(const fconv_problem *p, int a, const fconv_span *sp, size_t *lo,
                        size_t *hi) {
  const ptrdiff_t s = (ptrdiff_t)p->ax[a].stride, k = (ptrdiff_t)p->ax[a].k;
  const ptrdiff_t base = (ptrdiff_t)sp->o_lo * s + k - 1 - sp->org; /* idx of o = 0 */
  const ptrdiff_t lim = (ptrdiff_t)sp->c + k - 1;
  if (!sp->c || base >= lim) { *lo = *hi = 0; return; }
  ptrdiff_t l = base >= 0 ? 0 : (-base + s - 1) / s;
  ptrdiff_t h = (lim - 1 - base) / s + 1; /* idx(o) <= lim - 1 */
  if (h > (ptrdiff_t)sp->nout) h = (ptrdiff_t)sp->nout;
  if (l > h) l = h;
  *lo = (size_t)l;
  *hi = (size_t)h;
}

static void copy_strided(unsigned char *d, const unsigned char *s, size_t n, size_t step,
                         size_t es) {
  if (step == 1) { memcpy(d, s, n * es); return; }
  switch (es) {
  case 4: {
    uint32_t *dd = (uint32_t *)(void *)d;
    const uint32_t *ss = (const uint32_t *)(const void *)s;
    for (size_t i = 0; i < n; i++) dd[i] = ss[i * step];
    break;
  }
  case 8: {
    uint64_t *dd = (uint64_t *)(void *)d;
    const uint64_t *ss = (const uint64_t *)(const void *)s;
    for (size_t i = 0; i < n; i++) dd[i] = ss[i * step];
    break;
  }
  default:
    for (size_t i = 0; i < n; i++) memcpy(d + i * es, s + i * step * es, es);
  }
}

static void crop_rows(void *vctx, size_t begin, size_t end, int tid) {
  (void)tid;
  const fc_rows_ctx *c = (const fc_rows_ctx *)vctx;
  const fconv_fc *fc = c->fc;
  const fconv_problem *p = &fc->p;
  const size_t es = p->esize;
  const size_t n1 = c->sp[1].nout, out1 = p->ax[1].out, out2 = p->ax[2].out;
  size_t vlo[3], vhi[3];
  for (int a = 0; a < 3; a++) valid_range(p, a, &c->sp[a], &vlo[a], &vhi[a]);
  for (size_t j = begin; j < end; j++) {
    const size_t r = j / c->grid.pieces, piece = j % c->grid.pieces;
    const size_t r0 = r / n1, r1 = r % n1;
    size_t lo = piece * c->grid.plen, hi = lo + c->grid.plen;
    if (hi > c->sp[2].nout) hi = c->sp[2].nout;
    if (lo >= hi) continue;
    unsigned char *yrow =
        c->out + (((c->sp[0].o_lo + r0) * out1 + c->sp[1].o_lo + r1) * out2 + c->sp[2].o_lo) * es;
    if (r0 < vlo[0] || r0 >= vhi[0] || r1 < vlo[1] || r1 >= vhi[1]) {
      memset(yrow + lo * es, 0, (hi - lo) * es);
      continue;
    }
    size_t idx[3];
    for (int a = 0; a < 2; a++) {
      const size_t o = (a == 0 ? r0 : r1) + c->sp[a].o_lo;
      idx[a] = (size_t)((ptrdiff_t)(o * p->ax[a].stride + p->ax[a].k - 1) - c->sp[a].org);
    }
    size_t a_lo = vlo[2] > lo ? vlo[2] : lo, a_hi = vhi[2] < hi ? vhi[2] : hi;
    if (a_lo > a_hi) a_lo = a_hi;
    if (a_lo > lo) memset(yrow + lo * es, 0, (a_lo - lo) * es);
    if (a_hi < hi) memset(yrow + a_hi * es, 0, (hi - a_hi) * es);
    if (a_hi > a_lo) {
      const size_t s2 = p->ax[2].stride;
      const size_t i2 = (size_t)((ptrdiff_t)((c->sp[2].o_lo + a_lo) * s2 + p->ax[2].k - 1) -
                                 c->sp[2].org);
      const unsigned char *srow =
          c->in + (idx[0] * fc->s.pitch[0] + idx[1] * fc->s.pitch[1] + i2) * es;
      copy_strided(yrow + a_lo * es, srow, a_hi - a_lo, s2, es);
    }
  }
}

void fconv_fc_crop_block(const fconv_fc *fc, const void *slot, const fconv_span sp[3], void *y,
                       int threads) {
  const fconv_problem *p = &fc->p;
  if (threads <= 1) {
    /* serial: valid ranges once, then incremental row pointers; zeros where idx is invalid */
    const size_t es = p->esize, out1 = p->ax[1].out, out2 = p->ax[2].out;
    size_t vlo[3], vhi[3];
    for (int a = 0; a < 3; a++) valid_range(p, a, &sp[a], &vlo[a], &vhi[a]);
    const size_t n2 = sp[2].nout, s2 = p->ax[2].stride;
    unsigned char *y0 = (unsigned char *)y + ((sp[0].o_lo * out1 + sp[1].o_lo) * out2 + sp[2].o_lo) * es;
    for (size_t r0 = 0; r0 < sp[0].nout; r0++)
      for (size_t r1 = 0; r1 < sp[1].nout; r1++) {
        unsigned char *yrow = y0 + (r0 * out1 + r1) * out2 * es;
        if (r0 < vlo[0] || r0 >= vhi[0] || r1 < vlo[1] || r1 >= vhi[1] || vlo[2] >= vhi[2]) {
          memset(yrow, 0, n2 * es);
          continue;
        }
        size_t idx[3];
        const size_t rr[3] = {r0, r1, vlo[2]};
        for (int a = 0; a < 3; a++)
          idx[a] = (size_t)((ptrdiff_t)((sp[a].o_lo + rr[a]) * p->ax[a].stride + p->ax[a].k - 1) -
                            sp[a].org);
        if (vlo[2] > 0) memset(yrow, 0, vlo[2] * es);
        if (vhi[2] < n2) memset(yrow + vhi[2] * es, 0, (n2 - vhi[2]) * es);
        copy_strided(yrow + vlo[2] * es,
                     (const unsigned char *)slot +
                         (idx[0] * fc->s.pitch[0] + idx[1] * fc->s.pitch[1] + idx[2]) * es,
                     vhi[2] - vlo[2], s2, es);
      }
    return;
  }
  run_rows(fc, slot, y, sp, sp[0].nout * sp[1].nout, sp[2].nout, threads, crop_rows);
}

/* multiply: d[i] = a[i] * b[i] (d == a allowed), n complex elements, split over threads. */
typedef struct {
  void *d;
  const void *a, *b;
  int dbl;
} fc_mul_ctx;

static void mul_range(void *vctx, size_t begin, size_t end, int tid) {
  (void)tid;
  const fc_mul_ctx *c = (const fc_mul_ctx *)vctx;
  const size_t n = end - begin;
  if (c->dbl) {
    double *d = (double *)c->d + 2 * begin;
    const double *a = (const double *)c->a + 2 * begin, *b = (const double *)c->b + 2 * begin;
    if (d == a) cmul_d(d, b, n); else cmul3_d(d, a, b, n);
  } else {
    float *d = (float *)c->d + 2 * begin;
    const float *a = (const float *)c->a + 2 * begin, *b = (const float *)c->b + 2 * begin;
    if (d == a) cmul_f(d, b, n); else cmul3_f(d, a, b, n);
  }
}

void fconv_fc_multiply(const fconv_fc *fc, void *d, const void *a, const void *b, int threads) {
  fc_mul_ctx c = {d, a, b, fconv_dtype_is_double(fc->p.dtype)};
  fconv_parallel_for(fc->s.spec, 4 * FC_PASS_GRAIN, threads, mul_range, &c);
}

/* ---- kernels --------------------------------------------------------------------------------- */

typedef struct {
  const fconv_fc *fc;
  const unsigned char *h;
  unsigned char *dst;
} fc_kpack_ctx;

static void kpack_range(void *vctx, size_t begin, size_t end, int tid) {
  (void)tid;
  const fc_kpack_ctx *c = (const fc_kpack_ctx *)vctx;
  const fconv_fc *fc = c->fc;
  const size_t kes = fc->p.ker_elems * fc->p.esize, sb = fc->s.slot * fconv_dtype_scalar_size(fc->p.dtype);
  for (size_t q = begin; q < end; q++) {
    if (fconv_dtype_is_double(fc->p.dtype))
      pack_kernel_d(fc, (const double *)(const void *)(c->h + q * kes),
                    (double *)(void *)(c->dst + q * sb));
    else
      pack_kernel_f(fc, (const float *)(const void *)(c->h + q * kes),
                    (float *)(void *)(c->dst + q * sb));
  }
}

/* Spectra of every kernel into dst (kernel_batch slots): in place, or (oop) packed into the
 * staging slots (kstage, else the first worker's buffer: no chunk runs meanwhile) and
 * transformed out of place. */
void fconv_fc_kernel_spectra(fconv_fc *fc, const void *h, void *dst) {
  unsigned char *stage = (unsigned char *)(!fc->s.oop ? dst : fc->kstage ? fc->kstage : fc->wbuf[0]);
  fc_kpack_ctx c = {fc, (const unsigned char *)h, stage};
  fconv_parallel_for(fc->p.kernel_batch, 1, fc->p.threads, kpack_range, &c);
  fconv_fftw_exec(fc->kplan, stage, dst);
}
