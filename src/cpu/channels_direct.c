/* channels_direct.c — the CPU direct path for multi-channel problems (C_in / C_out > 1, groups):
 *   y[b, o] = sum over the inputs i of o's group of  xe[b, i] (*) w[o, i]
 * on the direct path's register-blocked micro-kernels (direct_kernels.c), one call per PAIR of
 * output channels and output row: every input vector loaded feeds both output channels (fn2),
 * and the call's tap rows run over every input channel of the group, every kernel row and every
 * stride phase, so the sum over input channels stays in registers (the GEMM-like structure:
 * output channels x output positions x input channels).
 *
 * Per execute:
 *  1. every (batch item, input channel) is extended once into the plan's workspace: the window
 *     of (out-1)*stride + k samples per axis through fconv_gather (every boundary rule), with
 *     the contiguous axis split into its stride phases (phase r holds xe[t*s + r]), so the
 *     micro-kernel only ever reads unit-stride rows;
 *  2. units (batch item, group, output-channel pair, output row) run on fconv_parallel_for.
 * set_kernel packs the weights: taps (flipped for CONVOLVE, conjugated for CORRELATE:
 * fconv_prepare_taps), each kernel row reordered by stride phase, and a flag per (row, phase)
 * that is all zero (dilated kernels arrive zero-stuffed, so their zero rows cost nothing).
 * Depthwise (groups == C_in == C_out) is the same code with one input channel per group.
 *
 * Real dtypes with at least MR output channels per group take the GEMM micro-kernel instead
 * (channel_kernels.c, fconv_ck_ops.gemm): tap m of input channel i reads the extended channels at
 * the same offset from EVERY output of a row, i * chan + (m0 * W1 + m1) * s2 * L + (m2 % s2) * L
 * + m2 / s2 (its row and stride phase): one offset per (input channel, tap), the K = cig x taps
 * of the matrix product (dilation's zero taps left out). A call computes MR output channels x NV
 * vectors of consecutive positions; the weights of MR channels are packed side by side per k by
 * set_kernel. With stride 1 on every axis the positions of an item are flattened over the
 * extended window, p = (o0 * W1 + o1) * W2 + o2 (rows of short outputs packed together: the
 * k2 - 1 positions between two rows are computed and dropped), and a unit (batch item, group,
 * position block) holds the positions whose input rows fit CHD_BLOCK_BYTES (cache); strided
 * problems run one output row per unit. Units run on fconv_parallel_for; the output channels
 * run over a unit block of MR by block of MR.
 * The pair-row kernels use the same flattening for stride-1 problems (depthwise, narrow groups,
 * complex dtypes): a call covers CHD_SEG consecutive flattened positions of an output-channel
 * pair, into the thread's scratch, then scattered, so short rows still fill the register tile. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../core/dtype.h"
#include "../core/geometry.h"
#include "../core/memory.h"
#include "../path.h"
#include "../util.h"
#include "direct_kernels.h"

typedef struct {
  fconv_problem p;
  const fconv_dk_ops *ops;
  size_t es;
  size_t W[3];     /* extended window per axis: (out-1)*stride + k */
  size_t L;        /* phase row length: ceil(W2 / s2) */
  size_t chan;     /* elements of one extended channel: W0 * W1 * s2 * L */
  unsigned char *xe;    /* batch * cin extended channels */
  unsigned char *taps;  /* filters * ker_elems, rows in phase order */
  unsigned char *nz;    /* filters * k0 * k1 * s2: (row, phase) has a non-zero tap */
  size_t *ph_off, *ph_nt; /* per phase: offset of its taps in a row, tap count */
  unsigned char *zeros;   /* k2 zero taps */
  unsigned char *tmp;     /* per thread: one gathered row of W2 (strided problems) */
  fconv_dk_pairrow *rows; /* per thread: cig * k0 * k1 * s2 entries */
  size_t nrows;           /* entries per thread */
  unsigned char *kset;    /* set_kernel's packed weights (taps), or NULL */
  int kset_valid;
  /* the GEMM micro-kernel (gemm != 0) */
  int gemm;
  const fconv_ck_ops *ck;
  size_t lanes, nvw;      /* elements per vector; positions per register tile (nv * lanes) */
  size_t K;               /* k steps: cig x the taps dilation does not zero */
  ptrdiff_t *off;         /* K offsets (elements) into a group's extended channels */
  size_t *tap;            /* K tap indices into a group's filters: ci * ker_elems + m */
  size_t cblocks;         /* output-channel blocks of mr per group */
  size_t P, PB, nsb;      /* flattened positions, per block, blocks per (item, group) */
  size_t panel;           /* elements of one block's packed weights: K * mr */
  unsigned char *gout;    /* per thread: mr x nvw outputs */
  unsigned char *gw;      /* packed panels of the explicit kernel: groups * cblocks panels */
  int flat;               /* pair-row kernels over flattened positions (stride 1, no GEMM) */
  unsigned char *ftmp;    /* per thread: 2 x CHD_SEG outputs */
} chd_state;

#define CHD_SEG 512 /* flattened positions per pair-row call */

/* Input bytes a position block should keep in cache (half of a 1 MiB L2) */
#define CHD_BLOCK_BYTES ((size_t)384 << 10)
/* The GEMM path's time per multiply-add relative to the direct path's calibrated model
 * (cost_direct.h, one output row per call): measured with bench/cnn.py layers 1, 2, 8. */
#define CHD_GEMM_FACTOR 0.35
#define CHD_CEIL(a, b) (((a) + (b) - 1) / (b))

/* The GEMM micro-kernel runs p: real dtype, mr channels per group. */
static int gemm_fits(const fconv_problem *p, const fconv_ck_ops *ck) {
  return !p->is_complex && p->cog >= ck->mr;
}

/* Stride 1 on every axis: the GEMM path flattens an item's positions over the window. */
static int unit_stride(const fconv_problem *p) {
  return p->ax[0].stride == 1 && p->ax[1].stride == 1 && p->ax[2].stride == 1;
}

static double chd_estimate(const fconv_problem *p) {
  if (!p->multichannel) return -1.0;
  /* the direct path's calibrated model, for count*C_out outputs of cig*ker_elems taps each */
  fconv_problem q = *p;
  q.count = p->count * p->cout;
  q.ker_elems = p->cig * p->ker_elems;
  q.multichannel = 0;
  if (!gemm_fits(p, fconv_dk_select_isa()->ch)) return fconv_cpu_direct_path.estimate(&q);
  /* the GEMM path: the taps dilation does not zero, and the positions between rows (flat) or
   * the last vector's tail (per row) */
  const fconv_axis *a = p->ax;
  q.ker_elems = p->cig * p->tap_elems;
  const double lanes = 16.0, row = (double)a[2].out;
  const double waste = unit_stride(p) ? (row + (double)a[2].k - 1) / row
                                      : ceil(row / lanes) * lanes / row;
  return fconv_cpu_direct_path.estimate(&q) * CHD_GEMM_FACTOR * waste;
}

static void chd_destroy(void *state) {
  chd_state *s = (chd_state *)state;
  if (!s) return;
  fconv_free(s->xe);
  fconv_free(s->taps);
  fconv_free(s->kset);
  fconv_free(s->nz);
  fconv_free(s->ph_off);
  fconv_free(s->zeros);
  fconv_free(s->tmp);
  fconv_free(s->rows);
  fconv_free(s->off);
  fconv_free(s->tap);
  fconv_free(s->gout);
  fconv_free(s->gw);
  fconv_free(s->ftmp);
  fconv_free(s);
}

/* Input bytes the positions [p, p + n) of one item and group read: per (input channel, kernel
 * plane, kernel row) a run of n + k2 - 1, runs of neighbouring kernel rows overlapping when
 * n spans rows. */
static size_t block_bytes(const chd_state *s, size_t n) {
  const fconv_problem *p = &s->p;
  const size_t k1 = p->ax[1].k, k2 = p->ax[2].k, t0 = p->ax[0].kt, t1 = p->ax[1].kt;
  size_t rows = t1 * (n + k2 - 1), span = n + (k1 - 1) * s->W[2] + k2 - 1;
  return p->cig * t0 * (rows < span ? rows : span) * s->es;
}

/* Positions of an item flattened over the extended window (stride 1): p = (o0*W1 + o1)*W2 + o2
 * up to the last output. */
static size_t flat_positions(const chd_state *s) {
  const fconv_axis *a = s->p.ax;
  return ((a[0].out - 1) * s->W[1] + a[1].out - 1) * s->W[2] + a[2].out;
}

/* The GEMM layout (create): offsets, tap indices, position blocks. 0 on allocation failure. */
static int gemm_setup(chd_state *s) {
  const fconv_problem *p = &s->p;
  const fconv_axis *a = p->ax;
  s->lanes = s->ops->vbytes / s->es;
  s->nvw = s->ck->nv * s->lanes;
  s->K = p->cig * p->tap_elems;
  s->cblocks = (p->cog + s->ck->mr - 1) / s->ck->mr;
  s->panel = s->K * s->ck->mr;
  s->off = (ptrdiff_t *)fconv_malloc(s->K * sizeof *s->off);
  s->tap = (size_t *)fconv_malloc(s->K * sizeof *s->tap);
  s->gout = (unsigned char *)fconv_malloc((size_t)p->threads * s->ck->mr * s->nvw * s->es);
  s->gw = (unsigned char *)fconv_malloc(p->groups * s->cblocks * s->panel * s->es);
  if (!s->off || !s->tap || !s->gout || !s->gw) return 0;
  const size_t s2 = a[2].stride, L = s->L;
  size_t k = 0;
  for (size_t ci = 0; ci < p->cig; ci++)
    for (size_t m0 = 0; m0 < a[0].k; m0 += a[0].dil)
      for (size_t m1 = 0; m1 < a[1].k; m1 += a[1].dil)
        for (size_t m2 = 0; m2 < a[2].k; m2 += a[2].dil, k++) {
          s->off[k] = (ptrdiff_t)(ci * s->chan + (m0 * s->W[1] + m1) * s2 * L + m2 % s2 * L +
                                  m2 / s2);
          s->tap[k] = ci * p->ker_elems + (m0 * a[1].k + m1) * a[2].k + m2;
        }
  if (!unit_stride(p)) { /* one output row per unit */
    s->P = a[2].out;
    s->PB = s->P;
    s->nsb = a[0].out * a[1].out;
    return 1;
  }
  s->P = flat_positions(s);
  /* position blocks: as long as the cache budget allows, enough of them for the threads */
  size_t PB = s->nvw;
  while (PB < s->P && block_bytes(s, 2 * PB) <= CHD_BLOCK_BYTES) PB *= 2;
  const size_t items = p->batch * p->groups, want = 4 * (size_t)p->threads;
  if (items * CHD_CEIL(s->P, PB) < want) {
    const size_t per = CHD_CEIL(s->P, CHD_CEIL(want, items));
    PB = CHD_CEIL(per, s->nvw) * s->nvw;
  }
  s->PB = PB;
  s->nsb = CHD_CEIL(s->P, PB);
  return 1;
}

static fconv_status chd_create(const fconv_problem *p, void **state) {
  FCONV_RETURN_IF(!p->multichannel, FCONV_ERR_INTERNAL, "channel path for a plain problem");
  chd_state *s = (chd_state *)fconv_calloc(sizeof *s);
  FCONV_RETURN_IF(!s, FCONV_ERR_OUT_OF_MEMORY, "channel direct state");
  s->p = *p;
  s->ops = fconv_dk_select_isa();
  s->es = p->esize;
  const size_t s2 = p->ax[2].stride, k2 = p->ax[2].k;
  size_t chan = 1, t;
  int ovf = 0;
  for (int a = 0; a < 3; a++) {
    s->W[a] = (p->ax[a].out - 1) * p->ax[a].stride + p->ax[a].k;
    if (a < 2) ovf |= fconv_mul_ovf(chan, s->W[a], &chan);
  }
  s->L = (s->W[2] + s2 - 1) / s2;
  ovf |= fconv_mul_ovf(chan, s2 * s->L, &chan);
  s->chan = chan;
  s->ck = s->ops->ch;
  s->gemm = gemm_fits(p, s->ck);
  ovf |= fconv_mul_ovf(chan, p->batch * p->cin, &t) || fconv_mul_ovf(t, s->es, &t);
  /* GEMM reads run up to a register tile past a group's last channel */
  if (s->gemm) ovf |= fconv_add_ovf(t, s->ck->nv * s->ops->vbytes, &t);
  s->nrows = p->cig * p->ax[0].k * p->ax[1].k * s2;
  if (ovf) {
    chd_destroy(s);
    FCONV_RETURN_ERROR(FCONV_ERR_OUT_OF_MEMORY, "extended channels overflow");
  }
  const int nt = p->threads;
  s->xe = (unsigned char *)fconv_malloc(t);
  if (s->xe && s->gemm) /* the slack past the last channel: read, never kept; no junk values */
    memset(s->xe + t - s->ck->nv * s->ops->vbytes, 0, s->ck->nv * s->ops->vbytes);
  s->taps = (unsigned char *)fconv_malloc(p->filters * p->ker_elems * s->es);
  s->nz = (unsigned char *)fconv_malloc(p->filters * p->ax[0].k * p->ax[1].k * s2);
  s->ph_off = (size_t *)fconv_malloc(2 * s2 * sizeof(size_t));
  s->zeros = (unsigned char *)fconv_calloc(k2 * s->es);
  s->tmp = (unsigned char *)fconv_malloc((size_t)nt * s->W[2] * s->es);
  s->rows = (fconv_dk_pairrow *)fconv_malloc((size_t)nt * s->nrows * sizeof(fconv_dk_pairrow));
  s->flat = !s->gemm && unit_stride(p);
  if (s->flat) {
    s->P = flat_positions(s);
    s->ftmp = (unsigned char *)fconv_malloc((size_t)nt * 2 * CHD_SEG * s->es);
  }
  if (!s->xe || !s->taps || !s->nz || !s->ph_off || !s->zeros || !s->tmp || !s->rows ||
      (s->flat && !s->ftmp) || (s->gemm && !gemm_setup(s))) {
    chd_destroy(s);
    FCONV_RETURN_ERROR(FCONV_ERR_OUT_OF_MEMORY, "channel direct workspace");
  }
  s->ph_nt = s->ph_off + s2;
  size_t off = 0;
  for (size_t r = 0; r < s2; r++) {
    s->ph_off[r] = off;
    s->ph_nt[r] = r < k2 ? (k2 - r + s2 - 1) / s2 : 0;
    off += s->ph_nt[r];
  }
  *state = s;
  return FCONV_OK;
}

/* Pack the weights into dst: taps per filter (fconv_prepare_taps), each row in phase order, and
 * the non-zero flags. */
static void pack_weights(chd_state *s, const void *h, unsigned char *dst) {
  const fconv_problem *p = &s->p;
  fconv_problem q = *p; /* prepare_taps over all filters at once */
  q.kernel_batch = p->kernel_batch * p->filters;
  fconv_prepare_taps(&q, h, dst);
  const size_t es = s->es, k2 = p->ax[2].k, s2 = p->ax[2].stride;
  const size_t rows = p->filters * p->ax[0].k * p->ax[1].k;
  unsigned char *tmp = s->tmp; /* W2 >= k2 elements */
  for (size_t row = 0; row < rows; row++) {
    unsigned char *w = dst + row * k2 * es;
    memcpy(tmp, w, k2 * es);
    for (size_t r = 0; r < s2; r++) {
      int any = 0;
      for (size_t i = 0; i < s->ph_nt[r]; i++) {
        const unsigned char *src = tmp + (r + i * s2) * es;
        memcpy(w + (s->ph_off[r] + i) * es, src, es);
        for (size_t b = 0; b < es && !any; b++) any = src[b] != 0;
      }
      s->nz[row * s2 + r] = (unsigned char)any;
    }
  }
}

/* The GEMM panels into dst: per (group, block of mr output channels) K x mr weights, k-major,
 * the taps of fconv_prepare_taps (in s->taps); channels past the group's end get zeros. */
static void pack_panels(chd_state *s, const void *h, unsigned char *dst) {
  const fconv_problem *p = &s->p;
  fconv_problem q = *p;
  q.kernel_batch = p->kernel_batch * p->filters;
  fconv_prepare_taps(&q, h, s->taps);
  const size_t es = s->es, mr = s->ck->mr, fe = p->cig * p->ker_elems; /* per output channel */
  for (size_t g = 0; g < p->groups; g++)
    for (size_t cb = 0; cb < s->cblocks; cb++) {
      unsigned char *w = dst + (g * s->cblocks + cb) * s->panel * es;
      for (size_t r = 0; r < mr; r++) {
        const size_t co = cb * mr + r;
        const unsigned char *t = s->taps + (g * p->cog + co) * fe * es;
        for (size_t k = 0; k < s->K; k++) {
          unsigned char *d = w + (k * mr + r) * es;
          if (co < p->cog) memcpy(d, t + s->tap[k] * es, es); else memset(d, 0, es);
        }
      }
    }
}

static fconv_status chd_set_kernel(void *state, const void *h, const fconv_kernel_info *info) {
  (void)info;
  chd_state *s = (chd_state *)state;
  const fconv_problem *p = &s->p;
  if (!s->kset) {
    const size_t n = s->gemm ? p->groups * s->cblocks * s->panel : p->filters * p->ker_elems;
    s->kset = (unsigned char *)fconv_malloc(n * s->es);
    FCONV_RETURN_IF(!s->kset, FCONV_ERR_OUT_OF_MEMORY, "packed weights");
  }
  if (s->gemm) pack_panels(s, h, s->kset); else pack_weights(s, h, s->kset);
  s->kset_valid = 1;
  return FCONV_OK;
}

/* ---- execute ------------------------------------------------------------------------------ */

typedef struct {
  chd_state *s;
  const unsigned char *x;
  unsigned char *y;
  const unsigned char *w; /* packed taps */
} chd_ctx;

/* Step 1: extend channel item j (batch item * cin + channel) into xe. */
static void extend_range(void *vctx, size_t begin, size_t end, int tid) {
  const chd_ctx *c = (const chd_ctx *)vctx;
  chd_state *s = c->s;
  const fconv_problem *p = &s->p;
  const size_t es = s->es, s2 = p->ax[2].stride, L = s->L;
  unsigned char *tmp = s->tmp + (size_t)tid * s->W[2] * es;
  for (size_t j = begin; j < end; j++) {
    const unsigned char *x = c->x + j * p->sig_elems * es;
    unsigned char *d = s->xe + j * s->chan * es;
    if (s2 == 1) {
      const ptrdiff_t org[3] = {0, 0, 0};
      const size_t cnt[3] = {s->W[0], s->W[1], s->W[2]}, pitch[2] = {s->W[1] * L, L};
      fconv_gather(p, x, org, cnt, d, pitch, 0);
      continue;
    }
    for (size_t e0 = 0; e0 < s->W[0]; e0++)
      for (size_t e1 = 0; e1 < s->W[1]; e1++) {
        const ptrdiff_t org[3] = {(ptrdiff_t)e0, (ptrdiff_t)e1, 0};
        const size_t cnt[3] = {1, 1, s->W[2]}, pitch[2] = {s->W[2], s->W[2]};
        fconv_gather(p, x, org, cnt, tmp, pitch, 0);
        unsigned char *row = d + (e0 * s->W[1] + e1) * s2 * L * es;
        for (size_t e2 = 0; e2 < s->W[2]; e2++)
          memcpy(row + ((e2 % s2) * L + e2 / s2) * es, tmp + e2 * es, es);
      }
  }
}

/* The pair of output channels a, b (b only when has_b) over len positions from the tap rows tr:
 * the two-row kernel, or for an odd channel the single-row kernel over the same entries. */
static void run_pair(const chd_state *s, void *ya, void *yb, size_t len, fconv_dk_pairrow *tr,
                     size_t n, size_t has_b) {
  if (has_b) {
    s->ops->fn2[s->p.dtype](ya, yb, len, tr, n, 0);
    return;
  }
  fconv_dk_taprow *one = (fconv_dk_taprow *)(void *)tr; /* in place: sizes shrink */
  for (size_t i = 0; i < n; i++) {
    fconv_dk_taprow t = {tr[i].x, tr[i].wa, tr[i].nt};
    one[i] = t;
  }
  s->ops->fn[s->p.dtype](ya, len, one, n, 0);
}

/* Unit u = ((item * groups + g) * pairs + pair) * rest + r: its item, group and output-channel
 * pair (coa, and cob = coa + 1 when has_b). */
typedef struct {
  size_t r, item, g, coa, cob, has_b;
} chd_unit;
static chd_unit unit_of(const fconv_problem *p, size_t u, size_t rest) {
  chd_unit t;
  const size_t pairs = (p->cog + 1) / 2;
  t.r = u % rest;
  size_t v = u / rest;
  const size_t pair = v % pairs;
  v /= pairs;
  t.g = v % p->groups;
  t.item = v / p->groups;
  t.coa = t.g * p->cog + 2 * pair;
  t.has_b = 2 * pair + 1 < p->cog;
  t.cob = t.has_b ? t.coa + 1 : t.coa;
  return t;
}

/* Step 2: unit u = ((item * groups + g) * pairs + pair) * out0 * out1 + output row. */
static void unit_range(void *vctx, size_t begin, size_t end, int tid) {
  const chd_ctx *c = (const chd_ctx *)vctx;
  const chd_state *s = c->s;
  const fconv_problem *p = &s->p;
  const size_t es = s->es, s2 = p->ax[2].stride, L = s->L;
  const size_t k0 = p->ax[0].k, k1 = p->ax[1].k, k2 = p->ax[2].k;
  const size_t out0 = p->ax[0].out, out1 = p->ax[1].out, out2 = p->ax[2].out;
  const size_t nrow = out0 * out1;
  const size_t rowp = s2 * L; /* elements per extended row (all phases) */
  fconv_dk_pairrow *tr = s->rows + (size_t)tid * s->nrows;
  for (size_t u = begin; u < end; u++) {
    const chd_unit t = unit_of(p, u, nrow);
    const size_t orow = t.r, o0 = orow / out1, o1 = orow % out1, g = t.g, item = t.item;
    const size_t coa = t.coa, cob = t.cob, has_b = t.has_b;
    unsigned char *ya = c->y + ((item * p->cout + coa) * p->out_elems + orow * out2) * es;
    unsigned char *yb = c->y + ((item * p->cout + cob) * p->out_elems + orow * out2) * es;
    size_t n = 0;
    for (size_t ci = 0; ci < p->cig; ci++) {
      const unsigned char *xc = s->xe + (item * p->cin + g * p->cig + ci) * s->chan * es;
      const size_t fa = coa * p->cig + ci, fb = cob * p->cig + ci;
      for (size_t m0 = 0; m0 < k0; m0++)
        for (size_t m1 = 0; m1 < k1; m1++) {
          const size_t ra = (fa * k0 + m0) * k1 + m1, rb = (fb * k0 + m0) * k1 + m1;
          const unsigned char *xrow =
              xc + ((o0 * p->ax[0].stride + m0) * s->W[1] + o1 * p->ax[1].stride + m1) * rowp * es;
          for (size_t r = 0; r < s2 && r < k2; r++) {
            const int za = s->nz[ra * s2 + r], zb = has_b && s->nz[rb * s2 + r];
            if (!za && !zb) continue;
            tr[n].x = xrow + r * L * es;
            tr[n].wa = za ? c->w + (ra * k2 + s->ph_off[r]) * es : s->zeros;
            tr[n].wb = zb ? c->w + (rb * k2 + s->ph_off[r]) * es : s->zeros;
            tr[n].nt = s->ph_nt[r];
            n++;
          }
        }
    }
    run_pair(s, ya, yb, out2, tr, n, has_b);
  }
}

/* Copy the positions [p0, p0 + n) of an output tile row (src) to output channel y, dropping
 * the positions between rows and planes. */
static void scatter_row(const chd_state *s, const unsigned char *src, size_t p0, size_t n,
                        unsigned char *y) {
  const fconv_axis *a = s->p.ax;
  const size_t es = s->es, W2 = s->W[2], plane = s->W[1] * W2;
  for (size_t q = p0, end = p0 + n; q < end;) {
    const size_t o0 = q / plane, o1 = q % plane / W2, o2 = q % W2;
    if (o1 >= a[1].out) { /* between planes */
      q = (o0 + 1) * plane;
      continue;
    }
    if (o2 >= a[2].out) { /* between rows */
      q += W2 - o2;
      continue;
    }
    const size_t run = a[2].out - o2 < end - q ? a[2].out - o2 : end - q;
    memcpy(y + ((o0 * a[1].out + o1) * a[2].out + o2) * es, src + (q - p0) * es, run * es);
    q += run;
  }
}

/* GEMM unit u = (item * groups + g) * nsb + position block (flat) or output row (strided). */
static void gemm_range(void *vctx, size_t begin, size_t end, int tid) {
  const chd_ctx *c = (const chd_ctx *)vctx;
  const chd_state *s = c->s;
  const fconv_problem *p = &s->p;
  const fconv_axis *a = p->ax;
  const size_t es = s->es, mr = s->ck->mr, nvw = s->nvw, flat = unit_stride(p);
  const fconv_dk_gemm_fn gemm = s->ck->gemm[fconv_dtype_is_double(p->dtype)];
  unsigned char *tile = s->gout + (size_t)tid * mr * nvw * es;
  for (size_t u = begin; u < end; u++) {
    const size_t sb = u % s->nsb, ig = u / s->nsb, g = ig % p->groups, item = ig / p->groups;
    const size_t q0 = flat ? sb * s->PB : 0, q1 = q0 + s->PB < s->P ? q0 + s->PB : s->P;
    const unsigned char *xg = s->xe + (item * p->cin + g * p->cig) * s->chan * es;
    if (!flat) /* output row sb = (o0, o1): its input row */
      xg += ((sb / a[1].out * a[0].stride * s->W[1]) + sb % a[1].out * a[1].stride) *
            a[2].stride * s->L * es;
    for (size_t cb = 0; cb < s->cblocks; cb++) {
      const unsigned char *w = c->w + (g * s->cblocks + cb) * s->panel * es;
      const size_t co0 = g * p->cog + cb * mr;
      const size_t rows = p->cog - cb * mr < mr ? p->cog - cb * mr : mr;
      for (size_t q = q0; q < q1; q += nvw) {
        const size_t n = q1 - q < nvw ? q1 - q : nvw;
        gemm(tile, nvw, xg + q * es, s->off, w, s->K, CHD_CEIL(n, s->lanes));
        for (size_t r = 0; r < rows; r++) {
          unsigned char *y = c->y + (item * p->cout + co0 + r) * p->out_elems * es;
          if (flat)
            scatter_row(s, tile + r * nvw * es, q, n, y);
          else
            memcpy(y + (sb * a[2].out + q) * es, tile + r * nvw * es, n * es);
        }
      }
    }
  }
}

/* Pair-row kernels over flattened positions (stride 1): unit u = ((item * groups + g) * pairs +
 * pair) * segments + segment of CHD_SEG positions. */
static void flat_range(void *vctx, size_t begin, size_t end, int tid) {
  const chd_ctx *c = (const chd_ctx *)vctx;
  const chd_state *s = c->s;
  const fconv_problem *p = &s->p;
  const size_t es = s->es, k0 = p->ax[0].k, k1 = p->ax[1].k, k2 = p->ax[2].k;
  const size_t W1 = s->W[1], W2 = s->W[2];
  const size_t nseg = CHD_CEIL(s->P, CHD_SEG);
  fconv_dk_pairrow *tr = s->rows + (size_t)tid * s->nrows;
  unsigned char *ta = s->ftmp + (size_t)tid * 2 * CHD_SEG * es, *tb = ta + CHD_SEG * es;
  for (size_t u = begin; u < end; u++) {
    const chd_unit t = unit_of(p, u, nseg);
    const size_t g = t.g, item = t.item, coa = t.coa, cob = t.cob, has_b = t.has_b;
    const size_t q = t.r * CHD_SEG, n = s->P - q < CHD_SEG ? s->P - q : CHD_SEG;
    size_t nt = 0;
    for (size_t ci = 0; ci < p->cig; ci++) {
      const unsigned char *xc = s->xe + (item * p->cin + g * p->cig + ci) * s->chan * es;
      const size_t fa = coa * p->cig + ci, fb = cob * p->cig + ci;
      for (size_t m0 = 0; m0 < k0; m0++)
        for (size_t m1 = 0; m1 < k1; m1++) {
          const size_t ra = (fa * k0 + m0) * k1 + m1, rb = (fb * k0 + m0) * k1 + m1;
          const int za = s->nz[ra], zb = has_b && s->nz[rb];
          if (!za && !zb) continue;
          tr[nt].x = xc + ((m0 * W1 + m1) * W2 + q) * es;
          tr[nt].wa = za ? c->w + ra * k2 * es : s->zeros;
          tr[nt].wb = zb ? c->w + rb * k2 * es : s->zeros;
          tr[nt].nt = k2;
          nt++;
        }
    }
    unsigned char *ya = c->y + (item * p->cout + coa) * p->out_elems * es;
    run_pair(s, ta, tb, n, tr, nt, has_b);
    if (has_b) scatter_row(s, tb, q, n, c->y + (item * p->cout + cob) * p->out_elems * es);
    scatter_row(s, ta, q, n, ya);
  }
}

static fconv_status chd_execute(void *state, const void *x, const void *h, void *y) {
  chd_state *s = (chd_state *)state;
  const fconv_problem *p = &s->p;
  const unsigned char *w = s->kset;
  if (h) { /* an explicit kernel: packed into the plan's scratch weights */
    if (s->gemm) pack_panels(s, h, s->gw); else pack_weights(s, h, s->taps);
    w = s->gemm ? s->gw : s->taps;
  }
  FCONV_RETURN_IF(!w || (!h && !s->kset_valid), FCONV_ERR_INVALID_ARGUMENT, "no kernel set");
  chd_ctx c = {s, (const unsigned char *)x, (unsigned char *)y, w};
  fconv_parallel_for(p->batch * p->cin, 1, p->threads, extend_range, &c);
  if (s->gemm) {
    fconv_parallel_for(p->batch * p->groups * s->nsb, 1, p->threads, gemm_range, &c);
    return FCONV_OK;
  }
  const size_t pairs = p->batch * p->groups * ((p->cog + 1) / 2);
  if (s->flat)
    fconv_parallel_for(pairs * CHD_CEIL(s->P, CHD_SEG), 1, p->threads, flat_range, &c);
  else
    fconv_parallel_for(pairs * p->ax[0].out * p->ax[1].out, 1, p->threads, unit_range, &c);
  return FCONV_OK;
}

static void chd_describe(const void *state, fconv_plan_info *info) {
  const chd_state *s = (const chd_state *)state;
  snprintf(info->isa, sizeof info->isa, "%s", s->ops->isa);
  info->workspace_bytes = (s->p.batch * s->p.cin * s->chan + s->p.filters * s->p.ker_elems) * s->es;
  if (s->gemm) info->workspace_bytes += s->p.groups * s->cblocks * s->panel * s->es;
}

const fconv_path_vtbl fconv_cpu_channels_direct_path = {
    .name = "cpu-channels-direct",
    .backend = FCONV_BACKEND_CPU,
    .method = FCONV_METHOD_DIRECT,
    .channels = FCONV_PATH_CHANNELS_ONLY,
    .estimate = chd_estimate,
    .create = chd_create,
    .set_kernel = chd_set_kernel,
    .execute = chd_execute,
    .destroy = chd_destroy,
    .describe = chd_describe,
};
