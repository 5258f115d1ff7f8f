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
 * Depthwise (groups == C_in == C_out) is the same code with one input channel per group. */
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
} chd_state;

static double chd_estimate(const fconv_problem *p) {
  if (!p->multichannel) return -1.0;
  /* the direct path's calibrated model, for count*C_out outputs of cig*ker_elems taps each */
  fconv_problem q = *p;
  q.count = p->count * p->cout;
  q.ker_elems = p->cig * p->ker_elems;
  q.multichannel = 0;
  return fconv_cpu_direct_path.estimate(&q);
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
  fconv_free(s);
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
  ovf |= fconv_mul_ovf(chan, p->batch * p->cin, &t) || fconv_mul_ovf(t, s->es, &t);
  s->nrows = p->cig * p->ax[0].k * p->ax[1].k * s2;
  if (ovf) {
    chd_destroy(s);
    FCONV_RETURN_ERROR(FCONV_ERR_OUT_OF_MEMORY, "extended channels overflow");
  }
  const int nt = p->threads;
  s->xe = (unsigned char *)fconv_malloc(t);
  s->taps = (unsigned char *)fconv_malloc(p->filters * p->ker_elems * s->es);
  s->nz = (unsigned char *)fconv_malloc(p->filters * p->ax[0].k * p->ax[1].k * s2);
  s->ph_off = (size_t *)fconv_malloc(2 * s2 * sizeof(size_t));
  s->zeros = (unsigned char *)fconv_calloc(k2 * s->es);
  s->tmp = (unsigned char *)fconv_malloc((size_t)nt * s->W[2] * s->es);
  s->rows = (fconv_dk_pairrow *)fconv_malloc((size_t)nt * s->nrows * sizeof(fconv_dk_pairrow));
  if (!s->xe || !s->taps || !s->nz || !s->ph_off || !s->zeros || !s->tmp || !s->rows) {
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

static fconv_status chd_set_kernel(void *state, const void *h, const fconv_kernel_info *info) {
  (void)info;
  chd_state *s = (chd_state *)state;
  const fconv_problem *p = &s->p;
  if (!s->kset) {
    s->kset = (unsigned char *)fconv_malloc(p->filters * p->ker_elems * s->es);
    FCONV_RETURN_IF(!s->kset, FCONV_ERR_OUT_OF_MEMORY, "packed weights");
  }
  pack_weights(s, h, s->kset);
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

/* Step 2: unit u = ((item * groups + g) * pairs + pair) * out0 * out1 + output row. */
static void unit_range(void *vctx, size_t begin, size_t end, int tid) {
  const chd_ctx *c = (const chd_ctx *)vctx;
  const chd_state *s = c->s;
  const fconv_problem *p = &s->p;
  const size_t es = s->es, s2 = p->ax[2].stride, L = s->L;
  const size_t k0 = p->ax[0].k, k1 = p->ax[1].k, k2 = p->ax[2].k;
  const size_t out0 = p->ax[0].out, out1 = p->ax[1].out, out2 = p->ax[2].out;
  const size_t pairs = (p->cog + 1) / 2, nrow = out0 * out1;
  const size_t rowp = s2 * L; /* elements per extended row (all phases) */
  fconv_dk_pairrow *tr = s->rows + (size_t)tid * s->nrows;
  const fconv_dk_fn2 fn2 = s->ops->fn2[p->dtype];
  const fconv_dk_fn fn = s->ops->fn[p->dtype];
  for (size_t u = begin; u < end; u++) {
    const size_t orow = u % nrow, o0 = orow / out1, o1 = orow % out1;
    size_t v = u / nrow;
    const size_t pair = v % pairs;
    v /= pairs;
    const size_t g = v % p->groups, item = v / p->groups;
    const size_t coa = g * p->cog + 2 * pair, has_b = 2 * pair + 1 < p->cog;
    const size_t cob = has_b ? coa + 1 : coa;
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
    if (has_b) {
      fn2(ya, yb, out2, tr, n, 0);
    } else {
      /* the odd channel: the single-row kernel over the same entries (taps wa) */
      fconv_dk_taprow *one = (fconv_dk_taprow *)(void *)tr; /* in place: sizes shrink */
      for (size_t i = 0; i < n; i++) {
        fconv_dk_taprow t = {tr[i].x, tr[i].wa, tr[i].nt};
        one[i] = t;
      }
      fn(ya, out2, one, n, 0);
    }
  }
}

static fconv_status chd_execute(void *state, const void *x, const void *h, void *y) {
  chd_state *s = (chd_state *)state;
  const fconv_problem *p = &s->p;
  const unsigned char *w = s->kset;
  if (h) { /* an explicit kernel: packed into the plan's scratch weights */
    pack_weights(s, h, s->taps);
    w = s->taps;
  }
  FCONV_RETURN_IF(!w || (!h && !s->kset_valid), FCONV_ERR_INVALID_ARGUMENT, "no kernel set");
  chd_ctx c = {s, (const unsigned char *)x, (unsigned char *)y, w};
  fconv_parallel_for(p->batch * p->cin, 1, p->threads, extend_range, &c);
  const size_t units = p->batch * p->groups * ((p->cog + 1) / 2) * p->ax[0].out * p->ax[1].out;
  fconv_parallel_for(units, 1, p->threads, unit_range, &c);
  return FCONV_OK;
}

static void chd_describe(const void *state, fconv_plan_info *info) {
  const chd_state *s = (const chd_state *)state;
  snprintf(info->isa, sizeof info->isa, "%s", s->ops->isa);
  info->workspace_bytes = (s->p.batch * s->p.cin * s->chan + s->p.filters * s->p.ker_elems) * s->es;
}

const fconv_path_vtbl fconv_cpu_channels_direct_path = {
    .name = "cpu-channels-direct",
    .backend = FCONV_BACKEND_CPU,
    .method = FCONV_METHOD_DIRECT,
    .estimate = chd_estimate,
    .create = chd_create,
    .set_kernel = chd_set_kernel,
    .execute = chd_execute,
    .destroy = chd_destroy,
    .describe = chd_describe,
};
