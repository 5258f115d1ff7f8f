/* core/geometry.c — the one place that reads the extended signal (boundary rules), prepares
 * taps, picks FFT-friendly sizes and derives block spans and wrap-free transform extents (see
 * geometry.h). Output extents and padding windows come from problem.c. */
#include "geometry.h"

#include <stdint.h>
#include <string.h>

#include "boundary.h"
#include "memory.h"

/* Negate the imaginary parts of `count` complex elements of size es (8: float, 16: double). */
static void conj_inplace(unsigned char *d, size_t count, size_t es) {
  if (es == 8) {
    float *f = (float *)(void *)d;
    for (size_t i = 0; i < count; i++) f[2 * i + 1] = -f[2 * i + 1];
  } else if (es == 16) {
    double *f = (double *)(void *)d;
    for (size_t i = 0; i < count; i++) f[2 * i + 1] = -f[2 * i + 1];
  }
}

/* One row of the box along the contiguous axis: window positions a .. a+cnt-1 relative to the
 * signal's first sample. */
static void gather_row(unsigned char *d, const unsigned char *s, ptrdiff_t a, size_t cnt,
                       size_t n, fconv_boundary b, size_t es, int flip) {
  ptrdiff_t lo = a < 0 ? -a : 0;
  ptrdiff_t hi = (ptrdiff_t)n - a;
  if (hi > (ptrdiff_t)cnt) hi = (ptrdiff_t)cnt;
  if (lo > (ptrdiff_t)cnt) lo = (ptrdiff_t)cnt;
  if (hi < lo) hi = lo;
  if (!flip) {
    if (hi > lo)
      fconv_copy_run(d + (size_t)lo * es, s + (size_t)(a + lo) * es, (size_t)(hi - lo) * es);
  } else {
    for (ptrdiff_t i = lo; i < hi; i++)
      memcpy(d + (size_t)i * es, s + (size_t)((ptrdiff_t)n - 1 - (a + i)) * es, es);
  }
  /* The border: positions before lo and from hi on go through the boundary map. */
  for (int side = 0; side < 2; side++) {
    ptrdiff_t from = side == 0 ? 0 : hi, to = side == 0 ? lo : (ptrdiff_t)cnt;
    for (ptrdiff_t i = from; i < to; i++) {
      ptrdiff_t j = fconv_bmap(a + i, n, b);
      if (j < 0) {
        memset(d + (size_t)i * es, 0, es);
      } else {
        if (flip) j = (ptrdiff_t)n - 1 - j;
        memcpy(d + (size_t)i * es, s + (size_t)j * es, es);
      }
    }
  }
}

void fconv_gather(const fconv_problem *p, const void *x, const ptrdiff_t org[3],
                  const size_t cnt[3], void *dst, const size_t dpitch[2], int flip_conj) {
  const size_t es = p->esize;
  const unsigned char *src = (const unsigned char *)x;
  unsigned char *d = (unsigned char *)dst;
  const size_t n0 = p->ax[0].n, n1 = p->ax[1].n, n2 = p->ax[2].n;
  for (size_t i0 = 0; i0 < cnt[0]; i0++) {
    ptrdiff_t s0 = fconv_bmap(org[0] + (ptrdiff_t)i0 - (ptrdiff_t)p->ax[0].p0, n0, p->boundary);
    for (size_t i1 = 0; i1 < cnt[1]; i1++) {
      unsigned char *drow = d + (i0 * dpitch[0] + i1 * dpitch[1]) * es;
      ptrdiff_t s1 =
          fconv_bmap(org[1] + (ptrdiff_t)i1 - (ptrdiff_t)p->ax[1].p0, n1, p->boundary);
      if (s0 < 0 || s1 < 0) {
        memset(drow, 0, cnt[2] * es);
        continue;
      }
      size_t r0 = flip_conj ? n0 - 1 - (size_t)s0 : (size_t)s0;
      size_t r1 = flip_conj ? n1 - 1 - (size_t)s1 : (size_t)s1;
      const unsigned char *srow = src + ((r0 * n1 + r1) * n2) * es;
      gather_row(drow, srow, org[2] - (ptrdiff_t)p->ax[2].p0, cnt[2], n2, p->boundary, es,
                 flip_conj);
      if (flip_conj && p->is_complex) conj_inplace(drow, cnt[2], es);
    }
  }
}

void fconv_prepare_taps(const fconv_problem *p, const void *h, void *w) {
  const size_t es = p->esize;
  const size_t k0 = p->ax[0].k, k1 = p->ax[1].k, k2 = p->ax[2].k, ke = p->ker_elems;
  const unsigned char *src = (const unsigned char *)h;
  unsigned char *dst = (unsigned char *)w;
  for (size_t b = 0; b < p->kernel_batch; b++) {
    const unsigned char *hs = src + b * ke * es;
    unsigned char *ws = dst + b * ke * es;
    if (p->op == FCONV_OP_CORRELATE) {
      memcpy(ws, hs, ke * es);
      if (p->is_complex) conj_inplace(ws, ke, es);
    } else {
      for (size_t j0 = 0; j0 < k0; j0++)
        for (size_t j1 = 0; j1 < k1; j1++)
          for (size_t j2 = 0; j2 < k2; j2++)
            memcpy(ws + ((j0 * k1 + j1) * k2 + j2) * es,
                   hs + (((k0 - 1 - j0) * k1 + (k1 - 1 - j1)) * k2 + (k2 - 1 - j2)) * es, es);
    }
  }
}

/* ---- FFT-friendly lengths ------------------------------------------------------------------
 * Direct enumeration of 2^a 3^b 5^c 7^d: for every base 3^b 5^c 7^d (at most ~log^3 n of them)
 * the powers of two that land in the range. No scan over the lengths themselves, so sizes near
 * 2^40 and beyond cost the same microseconds as small ones. */

/* Smallest power of two >= q (q >= 1), or 0 on overflow. */
static size_t pow2_at_least(size_t q) {
  size_t m = 1;
  while (m < q) {
    if (m > SIZE_MAX / 2) return 0;
    m *= 2;
  }
  return m;
}

/* Insert v into the ascending list out[0..*n) of at most cap entries (dropping the largest).
 * Every 7-smooth number has one factorisation, so no value is offered twice. */
static void insert_sorted(size_t *out, size_t *n, size_t cap, size_t v) {
  size_t i = *n;
  if (i == cap) {
    if (v >= out[cap - 1]) return;
    i--;
  } else {
    (*n)++;
  }
  for (; i > 0 && out[i - 1] > v; i--) out[i] = out[i - 1];
  out[i] = v;
}

size_t fconv_fft_sizes(size_t lo, size_t hi, int even, size_t *out, size_t cap) {
  size_t n = 0;
  if (cap == 0 || hi < lo) return 0;
  if (lo < 1) lo = 1;
  const size_t two = even ? 2 : 1;
  /* lim: nothing above it can enter the list any more */
#define LIM() (n == cap ? out[cap - 1] : hi)
  for (size_t p7 = 1; p7 <= LIM() / two; p7 = p7 > SIZE_MAX / 7 ? SIZE_MAX : p7 * 7) {
    for (size_t p5 = p7; p5 <= LIM() / two; p5 = p5 > SIZE_MAX / 5 ? SIZE_MAX : p5 * 5) {
      for (size_t b = p5; b <= LIM() / two; b = b > SIZE_MAX / 3 ? SIZE_MAX : b * 3) {
        size_t m = b * two; /* b * 2^j >= lo, j >= 1 when even */
        if (m < lo) {
          const size_t f = pow2_at_least((lo + m - 1) / m);
          m = (f == 0 || m > SIZE_MAX / f) ? 0 : m * f;
        }
        for (; m != 0 && m <= LIM(); m = m > SIZE_MAX / 2 ? 0 : 2 * m)
          insert_sorted(out, &n, cap, m);
        if (b == SIZE_MAX) break;
      }
      if (p5 == SIZE_MAX) break;
    }
    if (p7 == SIZE_MAX) break;
  }
#undef LIM
  return n;
}

size_t fconv_fft_size(size_t n) {
  size_t m = 0;
  return fconv_fft_sizes(n, SIZE_MAX, 0, &m, 1) ? m : 0;
}

size_t fconv_fft_size_even(size_t n) {
  size_t m = 0;
  return fconv_fft_sizes(n, SIZE_MAX, 1, &m, 1) ? m : 0;
}

/* ---- transform geometry (both FFT backends) ------------------------------------------------- */

void fconv_block_span(const fconv_problem *p, int a, size_t Bo, size_t b, fconv_span *sp) {
  const fconv_axis *x = &p->ax[a];
  const size_t s = x->stride, k = x->k;
  sp->o_lo = b * Bo;
  size_t o_hi = sp->o_lo + Bo < x->out ? sp->o_lo + Bo : x->out;
  sp->nout = o_hi - sp->o_lo;
  ptrdiff_t lo = (ptrdiff_t)(sp->o_lo * s), hi = (ptrdiff_t)((o_hi - 1) * s + k);
  if (p->boundary == FCONV_BOUNDARY_ZERO) {
    const ptrdiff_t s_lo = (ptrdiff_t)x->p0, s_hi = (ptrdiff_t)(x->p0 + x->n);
    if (lo < s_lo) lo = s_lo;
    if (hi > s_hi) hi = s_hi;
  }
  sp->org = lo;
  sp->c = hi > lo ? (size_t)(hi - lo) : 0;
  if (sp->c) {
    /* Does any output of the block read an element of [0, c + k - 1)? idx = o*s + k-1 - org */
    const ptrdiff_t base = (ptrdiff_t)(k - 1) - lo, lim = (ptrdiff_t)(sp->c + k - 1);
    ptrdiff_t first = (ptrdiff_t)(sp->o_lo * s) + base, last = (ptrdiff_t)((o_hi - 1) * s) + base;
    if (last < 0 || first >= lim) {
      sp->c = 0;
    } else if (first < 0) {
      /* first output with idx >= 0 */
      ptrdiff_t o = (-base + (ptrdiff_t)s - 1) / (ptrdiff_t)s;
      if (o * (ptrdiff_t)s + base >= lim || (size_t)o >= o_hi) sp->c = 0;
    }
  }
}

/* Is block b entirely before (side 0) or after (side 1) the signal's support (ZERO only)? Both
 * predicates are monotone in b. */
static int outside(const fconv_problem *p, int a, size_t Bo, size_t b, int side) {
  const fconv_axis *x = &p->ax[a];
  if (p->boundary != FCONV_BOUNDARY_ZERO) return 0;
  const size_t o_lo = b * Bo, o_hi = o_lo + Bo < x->out ? o_lo + Bo : x->out;
  if (side == 0) return (o_hi - 1) * x->stride + x->k <= x->p0; /* box end <= support start */
  return o_lo * x->stride >= x->p0 + x->n;                     /* box start >= support end */
}

void fconv_active_blocks(const fconv_problem *p, int a, size_t Bo, size_t *blo, size_t *bhi) {
  const size_t nb = (p->ax[a].out + Bo - 1) / Bo;
  /* lo: the first block not entirely before the support; hi: the first entirely after it */
  size_t lo = 0, hi = nb, l, r;
  for (l = 0, r = nb; l < r;) {
    const size_t m = l + (r - l) / 2;
    if (outside(p, a, Bo, m, 0)) l = m + 1; else r = m;
  }
  lo = l;
  for (l = lo, r = nb; l < r;) {
    const size_t m = l + (r - l) / 2;
    if (outside(p, a, Bo, m, 1)) r = m; else l = m + 1;
  }
  hi = l;
  /* Blocks at the ends of the support whose outputs all skip it (strides): a few at most; past
   * the scan limit a block counts as active (it then computes zeros, still correct). */
  fconv_span sp;
  for (int i = 0; i < 64 && lo < hi; i++, lo++) {
    fconv_block_span(p, a, Bo, lo, &sp);
    if (sp.c) break;
  }
  for (int i = 0; i < 64 && hi > lo; i++, hi--) {
    fconv_block_span(p, a, Bo, hi - 1, &sp);
    if (sp.c) break;
  }
  if (hi <= lo) lo = hi = 0;
  *blo = lo;
  *bhi = hi;
}

size_t fconv_span_need(const fconv_problem *p, int a, const fconv_span *sp) {
  const fconv_axis *x = &p->ax[a];
  if (!sp->c) return 1;
  /* wrap-free: T >= max(c + k-1 - idx_lo, idx_hi + 1), idx = o*s + k-1 - org */
  const ptrdiff_t base = (ptrdiff_t)(x->k - 1) + (ptrdiff_t)(sp->o_lo * x->stride) - sp->org;
  ptrdiff_t lo = base > 0 ? base : 0;
  ptrdiff_t hi = (ptrdiff_t)((sp->nout - 1) * x->stride) + base;
  if (hi > (ptrdiff_t)(sp->c + x->k - 2)) hi = (ptrdiff_t)(sp->c + x->k - 2);
  size_t n1 = sp->c + x->k - 1 - (size_t)lo, n2 = (size_t)hi + 1;
  size_t need = n1 > n2 ? n1 : n2;
  return need < x->k ? x->k : need; /* g is packed unwrapped at [0, k) */
}

size_t fconv_block_outputs(const fconv_problem *p, int a, size_t T) {
  const fconv_axis *x = &p->ax[a];
  return T < x->k ? 0 : (T - x->k) / x->stride + 1;
}

int fconv_single_block(const fconv_problem *p, fconv_size_fn choose, void *ctx, size_t T[3],
                       fconv_span sp[3]) {
  size_t need[3];
  for (int a = 0; a < 3; a++) {
    fconv_block_span(p, a, p->ax[a].out, 0, &sp[a]);
    need[a] = fconv_span_need(p, a, &sp[a]);
  }
  for (int a = 0; a < 3; a++) {
    T[a] = choose(p, a, need, ctx);
    if (!T[a]) return 0;
  }
  return 1;
}

void fconv_dilate_kernels(const fconv_problem *p, const void *h, void *dst) {
  const size_t es = p->esize, items = p->kernel_batch * p->filters;
  const fconv_axis *a = p->ax;
  const unsigned char *src = (const unsigned char *)h;
  unsigned char *d = (unsigned char *)dst;
  memset(d, 0, items * p->ker_elems * es);
  for (size_t q = 0; q < items; q++) {
    unsigned char *dq = d + q * p->ker_elems * es;
    for (size_t m0 = 0; m0 < a[0].kt; m0++)
      for (size_t m1 = 0; m1 < a[1].kt; m1++)
        for (size_t m2 = 0; m2 < a[2].kt; m2++, src += es)
          memcpy(dq + ((m0 * a[0].dil * a[1].k + m1 * a[1].dil) * a[2].k + m2 * a[2].dil) * es,
                 src, es);
  }
}
