/* channels_direct.c — the CPU direct path for multi-channel problems (C_in / C_out > 1, groups):
 *   y[b, o] = sum over the inputs i of o's group of  xe[b, i] (*) w[o, i]
 *
 * The extended channels: every (batch item, input channel) is extended once per execute (the
 * window of (out-1)*stride + k samples per axis through fconv_gather, every boundary rule) with
 * EVERY axis split into its stride phases, phase blocks outermost (xe_index): phase (r0, r1, r2)
 * holds xe[t * s + r] per axis, L0 x L1 x L2 elements with L = ceil(window / stride). Tap m of
 * output o then reads element o + m / s of phase m % s on every axis, so for every stride the
 * micro-kernels read unit-stride rows at one offset per tap from every output, and the outputs
 * of an item flatten over a phase block, p = (o0 * L1 + o1) * L2 + o2 (rows of short outputs
 * packed together: the ceil(k2 / s2) - 1 positions between two rows are computed and dropped).
 * With stride 1 this is the plain window. With the ZERO boundary only the part of the window
 * inside the signal is written: the border is zero from create on.
 * set_kernel packs the weights: taps flipped for CONVOLVE, conjugated for CORRELATE
 * (fconv_prepare_taps), then laid out for the kernel that runs the layer:
 *
 * - GEMM (real dtypes, at least MR output channels per group; channel_kernels.c,
 *   fconv_ck_ops.gemm): tap m of input channel i is one k step at offset i * chan + xe_index(m)
 *   from every output, the K = cig x taps of the matrix product (dilation's zero taps left out).
 *   A call computes MR output channels x NV vectors of consecutive flattened positions, the
 *   weights of MR channels packed side by side per k. A unit (batch item, group, position
 *   block) holds the positions whose input rows fit CHD_BLOCK_BYTES (cache); the output
 *   channels run over a unit's block by blocks of MR.
 * - depthwise (real dtypes, one input channel per group, fewer than MR output channels per
 *   group, channels up to CHD_DW_BYTES; fconv_ck_ops.dw): a unit is one (batch item, input
 *   channel), extended into the thread's own buffer just before use (so it stays in L1/L2 and
 *   the layer streams each input and output once), then each of its output channels runs as
 *   rows of output (DR rows x up to DNV vectors in registers) stored straight into y.
 * - pair-row (everything else: complex dtypes, narrow groups, large depthwise channels): the
 *   direct path's micro-kernels (direct_kernels.c) over CHD_SEG consecutive flattened positions
 *   of a PAIR of output channels (every input vector loaded feeds both, fn2), tap rows over every
 *   input channel of the group, kernel row and stride phase (each kernel row reordered by stride
 *   phase, a flag per (row, phase) that is all zero: dilated kernels arrive zero-stuffed, their
 *   zero rows cost nothing), into the thread's scratch, then scattered to y.
 * Units run on fconv_parallel_for. */
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
  size_t L[3];     /* phase length per axis: ceil(W / stride) */
  size_t pb;       /* elements of one phase block: L0 * L1 * L2 */
  size_t chan;     /* elements of one extended channel: s0 * s1 * s2 phase blocks */
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
  unsigned char *ftmp;    /* per thread: 2 x CHD_SEG outputs */
  /* the depthwise kernel (dw != 0; off, tap, K and gw as for the GEMM kernel) */
  int dw;
  size_t dwr;             /* dw with its rows kernel: 1 + the index into ck->dwr, else 0 */
  unsigned char *dwbuf;   /* per thread: one extended channel (dwpitch bytes) */
  size_t dwpitch;
} chd_state;

#define CHD_SEG 512 /* flattened positions per pair-row call */

/* Extended channels of at most this many bytes run the depthwise kernel out of a per-thread
 * buffer (extended just before use, so it stays in cache) */
#define CHD_DW_BYTES ((size_t)512 << 10)
/* Input bytes a position block should keep in cache (half of a 1 MiB L2) */
#define CHD_BLOCK_BYTES ((size_t)384 << 10)
/* A group's GEMM weights of at most this many bytes are cheap to read once per position block:
 * blocks are then cut finer for the threads' balance */
#define CHD_SMALL_WEIGHTS ((size_t)256 << 10)
/* The GEMM path's time per multiply-add relative to the direct path's calibrated model
 * (cost_direct.h, one output row per call): measured with bench/cnn.py layers 1, 2, 8. */
#define CHD_GEMM_FACTOR 0.35
/* The depthwise kernels' (dw, and its rows variant dwr), measured against the model's figure
 * (fconv_cnn_bench ... 2 direct|fft prints the chosen method's est_ms beside the time; bench/
 * cnn.py's layers, 2 threads, one run): measured / modelled was 3.4 for dwr (layer 4, with a
 * factor 0.43), 3.8 for dw (layer 5, 0.62), 2.5 for the channel FFT path on layer 5 (and about
 * 4 for GEMM on layers 1 and 8). Depthwise layers choose between dw and FFT (small kernels are
 * direct either way), so both factors were scaled to the FFT path's ratio: 0.43 x 3.4 / 2.5 and
 * 0.62 x 3.8 / 2.5; AUTO then picks FFT for layer 5 (35 ms against dw's 45) and dwr for layer 4.
 * tools/fconv_calibrate does not measure the channel paths. */
#define CHD_DW_FACTOR 0.94
#define CHD_DWR_FACTOR 0.58
#define CHD_CEIL(a, b) (((a) + (b) - 1) / (b))
#define CHD_MIN(a, b) ((a) < (b) ? (a) : (b))
#define CHD_MAX(a, b) ((a) > (b) ? (a) : (b))

/* The GEMM micro-kernel runs p: real dtype, mr channels per group. */
static int gemm_fits(const fconv_problem *p, const fconv_ck_ops *ck) {
  return !p->is_complex && p->cog >= ck->mr;
}

/* The depthwise kernel runs p (chan_bytes: one extended channel): real dtype, one input channel
 * per group and fewer output channels than the GEMM kernel's block, channels small enough for
 * a per-thread buffer, and enough channels for the threads. */
static int dw_fits(const fconv_problem *p, const fconv_ck_ops *ck, size_t chan_bytes) {
  return !p->is_complex && p->cig == 1 && !gemm_fits(p, ck) && chan_bytes <= CHD_DW_BYTES &&
         (p->threads <= 1 || p->batch * p->cin >= 2 * (size_t)p->threads);
}

/* The depthwise kernel's rows variant runs p (with dw): kernels of 3, 5 or 7 rows, unit stride
 * and no dilation on axis 1, more than one output row. Returns 1 + its index, or 0. */
static size_t dwr_of(const fconv_problem *p) {
  const fconv_axis *a = &p->ax[1];
  if (a->stride != 1 || a->dil != 1 || a->out < 2 || (a->k != 3 && a->k != 5 && a->k != 7))
    return 0;
  return a->k / 2;
}

/* The extended channel's layout: window W and phase length L per axis, elements of a phase
 * block (pb) and of a channel (chan). Returns nonzero when a size overflows. */
static int chan_layout(const fconv_problem *p, size_t W[3], size_t L[3], size_t *pb,
                       size_t *chan) {
  int ovf = 0;
  *pb = 1;
  size_t phases = 1;
  for (int a = 0; a < 3; a++) {
    W[a] = (p->ax[a].out - 1) * p->ax[a].stride + p->ax[a].k;
    L[a] = CHD_CEIL(W[a], p->ax[a].stride);
    ovf |= fconv_mul_ovf(*pb, L[a], pb) || fconv_mul_ovf(phases, p->ax[a].stride, &phases);
  }
  return ovf || fconv_mul_ovf(*pb, phases, chan);
}

static double chd_estimate(const fconv_problem *p) {
  if (!p->multichannel) return -1.0;
  /* the direct path's calibrated model, for count*C_out outputs of cig*ker_elems taps each */
  fconv_problem q = *p;
  q.count = p->count * p->cout;
  q.ker_elems = p->cig * p->ker_elems;
  q.multichannel = 0;
  const fconv_dk_ops *ops = fconv_dk_select_isa();
  const fconv_axis *a = p->ax;
  size_t W[3], L[3], pb, chan;
  if (!chan_layout(p, W, L, &pb, &chan) && chan <= CHD_DW_BYTES / p->esize &&
      dw_fits(p, ops->ch, chan * p->esize)) {
    /* the depthwise kernel: the taps dilation does not zero; rows of whole vectors, in tiles of
     * dr rows (a row of axis 2 cut into rows of dnv vectors when axis 1 has one output) */
    q.ker_elems = p->tap_elems;
    const double factor = dwr_of(p) ? CHD_DWR_FACTOR : CHD_DW_FACTOR;
    const double lanes = (double)(ops->vbytes / p->esize), dr = (double)ops->ch->dr;
    const double seg = lanes * (double)ops->ch->dnv;
    double rows = (double)a[1].out, cols = (double)a[2].out;
    if (a[1].out == 1) rows = ceil(cols / seg), cols = seg;
    const double waste = ceil(cols / lanes) * lanes / cols * ceil(rows / dr) * dr / rows;
    return fconv_cpu_direct_path.estimate(&q) * factor * waste;
  }
  if (!gemm_fits(p, ops->ch)) return fconv_cpu_direct_path.estimate(&q);
  /* the GEMM path: the taps dilation does not zero, and the positions between rows of a phase
   * block (flattened positions) */
  q.ker_elems = p->cig * p->tap_elems;
  const double row = (double)a[2].out;
  const double waste = (double)CHD_CEIL((a[2].out - 1) * a[2].stride + a[2].k, a[2].stride) / row;
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
  fconv_free(s->dwbuf);
  fconv_free(s);
}

/* Element (e0, e1, e2) of the extended window within one extended channel: every axis split
 * into its stride phases, phase blocks outermost (phase (r0, r1, r2) holds xe[t * s + r] on each
 * axis, L0 x L1 x L2 elements), so that with stride s tap m of output o reads o + m / s of
 * phase m % s on every axis: unit-stride rows, and positions flattened over a phase block. */
static size_t xe_index(const chd_state *s, size_t e0, size_t e1, size_t e2) {
  const fconv_axis *a = s->p.ax;
  const size_t s0 = a[0].stride, s1 = a[1].stride, s2 = a[2].stride;
  return ((e0 % s0 * s1 + e1 % s1) * s2 + e2 % s2) * s->pb +
         (e0 / s0 * s->L[1] + e1 / s1) * s->L[2] + e2 / s2;
}

/* Input bytes the positions [p, p + n) of one item and group read: per (input channel, kernel
 * plane, kernel row) a run of n + k2 - 1, runs of neighbouring kernel rows overlapping when
 * n spans rows. */
static size_t block_bytes(const chd_state *s, size_t n) {
  const fconv_problem *p = &s->p;
  const size_t k1 = CHD_CEIL(p->ax[1].k, p->ax[1].stride), t0 = p->ax[0].kt, t1 = p->ax[1].kt;
  const size_t k2 = CHD_CEIL(p->ax[2].k, p->ax[2].stride), s2 = p->ax[2].stride;
  size_t rows = t1 * (n + k2 - 1) * s2, span = (n + (k1 - 1) * s->L[2] + k2 - 1) * s2;
  return p->cig * t0 * (rows < span ? rows : span) * s->es;
}

/* Positions of an item flattened over a phase block: p = (o0*L1 + o1)*L2 + o2 up to the last
 * output. */
static size_t flat_positions(const chd_state *s) {
  const fconv_axis *a = s->p.ax;
  return ((a[0].out - 1) * s->L[1] + a[1].out - 1) * s->L[2] + a[2].out;
}

/* The k steps of the GEMM and depthwise kernels (create): per (input channel, tap dilation does
 * not zero) its offset into a group's extended channels and its tap index into a filter group.
 * 0 on allocation failure. */
static int taps_setup(chd_state *s) {
  const fconv_problem *p = &s->p;
  const fconv_axis *a = p->ax;
  s->K = p->cig * p->tap_elems;
  s->off = (ptrdiff_t *)fconv_malloc(s->K * sizeof *s->off);
  s->tap = (size_t *)fconv_malloc(s->K * sizeof *s->tap);
  if (!s->off || !s->tap) return 0;
  size_t k = 0;
  for (size_t ci = 0; ci < p->cig; ci++)
    for (size_t m0 = 0; m0 < a[0].k; m0 += a[0].dil)
      for (size_t m1 = 0; m1 < a[1].k; m1 += a[1].dil)
        for (size_t m2 = 0; m2 < a[2].k; m2 += a[2].dil, k++) {
          s->off[k] = (ptrdiff_t)(ci * s->chan + xe_index(s, m0, m1, m2));
          s->tap[k] = ci * p->ker_elems + (m0 * a[1].k + m1) * a[2].k + m2;
        }
  if (!s->dwr) return 1;
  /* the rows kernel's order: k = m1 * J + j with j over (m0, m2) (cig is 1, m1 undilated) */
  const size_t J = s->K / a[1].k;
  k = 0;
  for (size_t m0 = 0, j = 0; m0 < a[0].k; m0 += a[0].dil)
    for (size_t m2 = 0; m2 < a[2].k; m2 += a[2].dil, j++)
      for (size_t m1 = 0; m1 < a[1].k; m1++, k++) {
        s->off[m1 * J + j] = (ptrdiff_t)xe_index(s, m0, m1, m2);
        s->tap[m1 * J + j] = (m0 * a[1].k + m1) * a[2].k + m2;
      }
  return 1;
}

/* The depthwise layout (create): k steps, packed-weight scratch, per-thread channel buffers
 * (zeroed: the ZERO boundary's border is never written again, extend_one). */
static int dw_setup(chd_state *s) {
  const fconv_problem *p = &s->p;
  s->dwr = dwr_of(p);
  if (!taps_setup(s)) return 0;
  s->gw = (unsigned char *)fconv_malloc(p->filters * s->K * s->es);
  /* + the reads' slack: up to a row tile of rows past the last row, a vector past a row */
  const size_t slack = (s->ck->dr * s->L[2]) * s->es + 2 * s->ops->vbytes;
  s->dwpitch = CHD_CEIL(s->chan * s->es + slack, 64) * 64;
  s->dwbuf = (unsigned char *)fconv_calloc((size_t)p->threads * s->dwpitch);
  return s->gw && s->dwbuf;
}

/* The GEMM layout (create): k steps, position blocks. 0 on allocation failure. */
static int gemm_setup(chd_state *s) {
  const fconv_problem *p = &s->p;
  if (!taps_setup(s)) return 0;
  s->lanes = s->ops->vbytes / s->es;
  s->nvw = s->ck->nv * s->lanes;
  s->cblocks = (p->cog + s->ck->mr - 1) / s->ck->mr;
  s->panel = s->K * s->ck->mr;
  s->gout = (unsigned char *)fconv_malloc((size_t)p->threads * s->ck->mr * s->nvw * s->es);
  s->gw = (unsigned char *)fconv_malloc(p->groups * s->cblocks * s->panel * s->es);
  if (!s->gout || !s->gw) return 0;
  s->P = flat_positions(s);
  /* position blocks: as long as the cache budget allows, enough of them for the threads */
  size_t PB = s->nvw;
  while (PB < s->P && block_bytes(s, 2 * PB) <= CHD_BLOCK_BYTES) PB *= 2;
  if (PB < s->P && block_bytes(s, s->P) <= CHD_BLOCK_BYTES) PB = s->P;
  PB = CHD_CEIL(CHD_CEIL(s->P, CHD_CEIL(s->P, PB)), s->nvw) * s->nvw; /* even blocks, no stub */
  /* units for the threads: many when a group's weights are small (each unit reads them all:
   * layer 3's 37 KB), a few when they are not (layer 2's 2.4 MB) */
  const size_t wbytes = s->K * p->cog * s->es;
  const size_t items = p->batch * p->groups,
               want = (wbytes <= CHD_SMALL_WEIGHTS ? 16 : 4) * (size_t)p->threads;
  if (items * CHD_CEIL(s->P, PB) < want) {
    const size_t per = CHD_CEIL(s->P, CHD_CEIL(want, items));
    PB = CHD_CEIL(per, s->nvw) * s->nvw;
  }
  /* whole rows of the phase block when a block holds more than one: no block boundary cuts a
   * row's vectors (a cut row's ends would take the partial-tile path) */
  if (PB > s->L[2]) PB = CHD_CEIL(PB, s->L[2]) * s->L[2];
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
  size_t chan = 0, t;
  int ovf = chan_layout(p, s->W, s->L, &s->pb, &chan);
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
  s->dw = !s->gemm && chan <= CHD_DW_BYTES / s->es && dw_fits(p, s->ck, chan * s->es);
  const int nt = p->threads;
  /* zeroed: the slack past the last channel and the short phases' last slots are read for
   * positions that are computed and dropped (no junk values there), and the ZERO boundary's
   * border is written once (extend_one) */
  if (!s->dw) s->xe = (unsigned char *)fconv_calloc(t);
  s->taps = (unsigned char *)fconv_malloc(p->filters * p->ker_elems * s->es);
  s->nz = (unsigned char *)fconv_malloc(p->filters * p->ax[0].k * p->ax[1].k * s2);
  s->ph_off = (size_t *)fconv_malloc(2 * s2 * sizeof(size_t));
  s->zeros = (unsigned char *)fconv_calloc(k2 * s->es);
  s->tmp = (unsigned char *)fconv_malloc((size_t)nt * s->W[2] * s->es);
  s->rows = (fconv_dk_pairrow *)fconv_malloc((size_t)nt * s->nrows * sizeof(fconv_dk_pairrow));
  const int pairrow = !s->gemm && !s->dw;
  if (pairrow) {
    s->P = flat_positions(s);
    s->ftmp = (unsigned char *)fconv_malloc((size_t)nt * 2 * CHD_SEG * s->es);
  }
  if ((!s->dw && !s->xe) || !s->taps || !s->nz || !s->ph_off || !s->zeros || !s->tmp ||
      !s->rows || (pairrow && !s->ftmp) || (s->gemm && !gemm_setup(s)) ||
      (s->dw && !dw_setup(s))) {
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

/* The depthwise kernel's weights into dst: per filter its K taps (fconv_prepare_taps, in
 * s->taps) in the order of the k steps. */
static void pack_dw(chd_state *s, const void *h, unsigned char *dst) {
  const fconv_problem *p = &s->p;
  fconv_problem q = *p;
  q.kernel_batch = p->kernel_batch * p->filters;
  fconv_prepare_taps(&q, h, s->taps);
  const size_t es = s->es;
  for (size_t f = 0; f < p->filters; f++)
    for (size_t k = 0; k < s->K; k++)
      memcpy(dst + (f * s->K + k) * es, s->taps + (f * p->ker_elems + s->tap[k]) * es, es);
}

/* Pack the weights for the plan's kernel into dst (the GEMM panels, the depthwise taps or the
 * pair-row taps); returns dst. */
static unsigned char *pack(chd_state *s, const void *h, unsigned char *dst) {
  if (s->gemm) pack_panels(s, h, dst);
  else if (s->dw) pack_dw(s, h, dst);
  else pack_weights(s, h, dst);
  return dst;
}

static fconv_status chd_set_kernel(void *state, const void *h, const fconv_kernel_info *info) {
  (void)info;
  chd_state *s = (chd_state *)state;
  const fconv_problem *p = &s->p;
  if (!s->kset) {
    const size_t n = s->gemm ? p->groups * s->cblocks * s->panel
                     : s->dw ? p->filters * s->K
                             : p->filters * p->ker_elems;
    s->kset = (unsigned char *)fconv_malloc(n * s->es);
    FCONV_RETURN_IF(!s->kset, FCONV_ERR_OUT_OF_MEMORY, "packed weights");
  }
  pack(s, h, s->kset);
  s->kset_valid = 1;
  return FCONV_OK;
}

/* ---- execute ------------------------------------------------------------------------------ */

typedef struct {
  chd_state *s;
  const unsigned char *x;
  unsigned char *y;
  const unsigned char *w; /* packed taps */
  size_t parts;           /* extend_range: parts per channel */
} chd_ctx;

/* Copy n elements of size es from src, every step-th, to dst (contiguous); copy_strided calls
 * it with the usual sizes as constants, so that each copy is one move. */
static inline __attribute__((always_inline)) void copy_strided_es(unsigned char *dst,
                                                                  const unsigned char *src,
                                                                  size_t n, size_t step,
                                                                  size_t es) {
  for (size_t i = 0; i < n; i++) memcpy(dst + i * es, src + i * step * es, es);
}
static void copy_strided(unsigned char *dst, const unsigned char *src, size_t n, size_t step,
                         size_t es) {
  switch (es) {
  case 4: copy_strided_es(dst, src, n, step, 4); break;
  case 8: copy_strided_es(dst, src, n, step, 8); break;
  case 16: copy_strided_es(dst, src, n, step, 16); break;
  default: copy_strided_es(dst, src, n, step, es); break;
  }
}

/* Extend one channel x into d (chan elements, xe_index order). With the ZERO boundary only the
 * part of the window inside the signal is written: d's border is zero from create on (every
 * channel of the plan has the same border) and nothing else writes it. tmp: W2 elements. */
static void extend_one(const chd_state *s, const unsigned char *x, unsigned char *d,
                       unsigned char *tmp, size_t part, size_t parts) {
  const fconv_problem *p = &s->p;
  const size_t es = s->es, s2 = p->ax[2].stride;
  size_t lo[3], hi[3];
  for (int a = 0; a < 3; a++) {
    lo[a] = 0;
    hi[a] = s->W[a];
    if (p->boundary == FCONV_BOUNDARY_ZERO) {
      const size_t p0 = p->ax[a].p0, end = p0 + p->ax[a].n;
      lo[a] = p0 < s->W[a] ? p0 : s->W[a];
      hi[a] = end < s->W[a] ? end : s->W[a];
      if (hi[a] <= lo[a]) return;
    }
  }
  if (parts > 1) { /* this part's share of the window's rows of axis 1 */
    const size_t rows = hi[1] - lo[1], r0 = lo[1];
    lo[1] = r0 + rows * part / parts;
    hi[1] = r0 + rows * (part + 1) / parts;
    if (hi[1] <= lo[1]) return;
  }
  if (s->chan == s->pb) { /* stride 1: one box */
    const ptrdiff_t org[3] = {(ptrdiff_t)lo[0], (ptrdiff_t)lo[1], (ptrdiff_t)lo[2]};
    const size_t cnt[3] = {hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]};
    const size_t pitch[2] = {s->L[1] * s->L[2], s->L[2]};
    fconv_gather(p, x, org, cnt, d + xe_index(s, lo[0], lo[1], lo[2]) * es, pitch, 0);
    return;
  }
  const size_t n2 = hi[2] - lo[2];
  for (size_t e0 = lo[0]; e0 < hi[0]; e0++)
    for (size_t e1 = lo[1]; e1 < hi[1]; e1++) {
      const ptrdiff_t org[3] = {(ptrdiff_t)e0, (ptrdiff_t)e1, (ptrdiff_t)lo[2]};
      const size_t cnt[3] = {1, 1, n2}, pitch[2] = {n2, n2};
      unsigned char *row = d + xe_index(s, e0, e1, 0) * es; /* phase 0 of the row */
      if (s2 == 1) {
        fconv_gather(p, x, org, cnt, row + lo[2] * es, pitch, 0);
        continue;
      }
      fconv_gather(p, x, org, cnt, tmp, pitch, 0);
      for (size_t r = 0; r < s2; r++) { /* phase r: window positions e2 = r mod s2 */
        const size_t f = lo[2] + (r + s2 - lo[2] % s2) % s2;
        if (f < hi[2])
          copy_strided(row + (r * s->pb + f / s2) * es, tmp + (f - lo[2]) * es,
                       CHD_CEIL(hi[2] - f, s2), s2, es);
      }
    }
}

/* Step 1: extend the channels (batch item * cin + channel) into xe, unit u = channel *
 * c->parts + part (a share of the channel's rows: a few channels still keep every thread busy). */
static void extend_range(void *vctx, size_t begin, size_t end, int tid) {
  const chd_ctx *c = (const chd_ctx *)vctx;
  const chd_state *s = c->s;
  unsigned char *tmp = s->tmp + (size_t)tid * s->W[2] * s->es;
  for (size_t u = begin; u < end; u++) {
    const size_t j = u / c->parts;
    extend_one(s, c->x + j * s->p.sig_elems * s->es, s->xe + j * s->chan * s->es, tmp,
               u % c->parts, c->parts);
  }
}

/* The depthwise kernel: unit u = batch item * cin + input channel, extended into the thread's
 * buffer, then each of its cog output channels, plane by plane (axis 0), a row per output row
 * of axis 1 (one row of axis 2 split into rows of dnv vectors when axis 1 has one output). */
static void dw_range(void *vctx, size_t begin, size_t end, int tid) {
  const chd_ctx *c = (const chd_ctx *)vctx;
  const chd_state *s = c->s;
  const fconv_problem *p = &s->p;
  const fconv_axis *a = p->ax;
  const size_t es = s->es, K = s->K;
  const fconv_dk_dw_fn dw = s->ck->dw[fconv_dtype_is_double(p->dtype)];
  const fconv_dk_dwr_fn dwr = s->dwr ? s->ck->dwr[fconv_dtype_is_double(p->dtype)][s->dwr - 1] : 0;
  unsigned char *buf = s->dwbuf + (size_t)tid * s->dwpitch;
  unsigned char *tmp = s->tmp + (size_t)tid * s->W[2] * es;
  const size_t seg = s->ck->dnv * s->ops->vbytes / es; /* a row segment when out1 == 1 */
  for (size_t u = begin; u < end; u++) {
    const size_t item = u / p->cin, ci = u % p->cin;
    extend_one(s, c->x + u * p->sig_elems * es, buf, tmp, 0, 1);
    for (size_t j = 0; j < p->cog; j++) {
      const size_t co = ci * p->cog + j; /* group ci */
      const unsigned char *w = c->w + co * K * es;
      unsigned char *y = c->y + (item * p->cout + co) * p->out_elems * es;
      for (size_t o0 = 0; o0 < a[0].out; o0++) {
        const unsigned char *xp = buf + o0 * s->L[1] * s->L[2] * es;
        unsigned char *yp = y + o0 * a[1].out * a[2].out * es;
        if (s->dwr) {
          dwr(yp, a[2].out, xp, s->L[2], s->off, w, K / a[1].k, a[1].out, a[2].out);
          continue;
        }
        if (a[1].out > 1) {
          dw(yp, a[2].out, xp, s->L[2], s->off, w, K, a[1].out, a[2].out);
          continue;
        }
        const size_t full = a[2].out / seg, rest = a[2].out % seg;
        if (full) dw(yp, seg, xp, seg, s->off, w, K, full, seg);
        if (rest) dw(yp + full * seg * es, rest, xp + full * seg * es, rest, s->off, w, K, 1, rest);
      }
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

/* A flattened position p = (o0 * L1 + o1) * L2 + o2 as its coordinates (pos_of). */
typedef struct {
  size_t q, o0, o1, o2;
} chd_pos;
static chd_pos pos_of(const chd_state *s, size_t q) {
  const size_t plane = s->L[1] * s->L[2];
  chd_pos t = {q, q / plane, q % plane / s->L[2], q % s->L[2]};
  return t;
}

/* Copy the n positions of an output tile row (src) that start at position at to output channel
 * y, dropping the positions between rows and planes. */
static void scatter_row(const chd_state *s, const unsigned char *src, chd_pos at, size_t n,
                        unsigned char *y) {
  const fconv_axis *a = s->p.ax;
  const size_t es = s->es, L1 = s->L[1], L2 = s->L[2];
  size_t q = at.q, o0 = at.o0, o1 = at.o1, o2 = at.o2;
  for (const size_t end = at.q + n; q < end;) {
    if (o1 >= a[1].out) { /* between planes */
      q += (L1 - o1) * L2 - o2;
      o0++, o1 = 0, o2 = 0;
      continue;
    }
    if (o2 >= a[2].out) { /* between rows */
      q += L2 - o2;
      o1++, o2 = 0;
      continue;
    }
    const size_t run = a[2].out - o2 < end - q ? a[2].out - o2 : end - q;
    fconv_copy_run(y + ((o0 * a[1].out + o1) * a[2].out + o2) * es, src + (q - at.q) * es,
                   run * es);
    q += run;
    o2 += run;
  }
}

/* GEMM unit u = (item * groups + g) * nsb + position block. */
static void gemm_range(void *vctx, size_t begin, size_t end, int tid) {
  const chd_ctx *c = (const chd_ctx *)vctx;
  const chd_state *s = c->s;
  const fconv_problem *p = &s->p;
  const size_t es = s->es, mr = s->ck->mr, nvw = s->nvw;
  const fconv_dk_gemm_fn gemm = s->ck->gemm[fconv_dtype_is_double(p->dtype)];
  unsigned char *tile = s->gout + (size_t)tid * mr * nvw * es;
  for (size_t u = begin; u < end; u++) {
    const size_t sb = u % s->nsb, ig = u / s->nsb, g = ig % p->groups, item = ig / p->groups;
    const size_t q0 = sb * s->PB, q1 = q0 + s->PB < s->P ? q0 + s->PB : s->P;
    const unsigned char *xg = s->xe + (item * p->cin + g * p->cig) * s->chan * es;
    for (size_t cb = 0; cb < s->cblocks; cb++) {
      const unsigned char *w = c->w + (g * s->cblocks + cb) * s->panel * es;
      const size_t co0 = g * p->cog + cb * mr;
      const size_t rows = p->cog - cb * mr < mr ? p->cog - cb * mr : mr;
      /* tiles within one output row each: the positions between rows and planes (the phase
       * blocks' padding) are skipped, not computed */
      for (size_t q = q0; q < q1;) {
        const chd_pos at = pos_of(s, q);
        if (at.o1 >= p->ax[1].out) { /* between planes */
          q += (s->L[1] - at.o1) * s->L[2] - at.o2;
          continue;
        }
        if (at.o2 >= p->ax[2].out) { /* between rows */
          q += s->L[2] - at.o2;
          continue;
        }
        /* the rest of this output row within the block */
        size_t n = q1 - q;
        if (n > p->ax[2].out - at.o2) n = p->ax[2].out - at.o2;
        if (rows == mr && (n % s->lanes == 0 || n >= nvw)) {
          /* its whole vectors in one call (the call's overhead amortised over the row):
           * straight into y; a partial vector left goes through the tile below */
          n -= n % s->lanes;
          unsigned char *y = c->y + ((item * p->cout + co0) * p->out_elems +
                                     (at.o0 * p->ax[1].out + at.o1) * p->ax[2].out + at.o2) * es;
          gemm(y, p->out_elems, xg + q * es, s->off, w, s->K, n / s->lanes);
        } else {
          if (n > nvw) n = nvw;
          gemm(tile, nvw, xg + q * es, s->off, w, s->K, CHD_CEIL(n, s->lanes));
          for (size_t r = 0; r < rows; r++)
            scatter_row(s, tile + r * nvw * es, at, n,
                        c->y + (item * p->cout + co0 + r) * p->out_elems * es);
        }
        q += n;
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
  const size_t s2 = p->ax[2].stride;
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
          for (size_t r = 0; r < s2 && r < k2; r++) { /* the row's taps of stride phase r */
            const int za = s->nz[ra * s2 + r], zb = has_b && s->nz[rb * s2 + r];
            if (!za && !zb) continue;
            tr[nt].x = xc + (xe_index(s, m0, m1, r) + q) * es;
            tr[nt].wa = za ? c->w + (ra * k2 + s->ph_off[r]) * es : s->zeros;
            tr[nt].wb = zb ? c->w + (rb * k2 + s->ph_off[r]) * es : s->zeros;
            tr[nt].nt = s->ph_nt[r];
            nt++;
          }
        }
    }
    unsigned char *ya = c->y + (item * p->cout + coa) * p->out_elems * es;
    run_pair(s, ta, tb, n, tr, nt, has_b);
    const chd_pos at = pos_of(s, q);
    if (has_b) scatter_row(s, tb, at, n, c->y + (item * p->cout + cob) * p->out_elems * es);
    scatter_row(s, ta, at, n, ya);
  }
}

static fconv_status chd_execute(void *state, const void *x, const void *h, void *y) {
  chd_state *s = (chd_state *)state;
  const fconv_problem *p = &s->p;
  const unsigned char *w = s->kset;
  if (h) /* an explicit kernel: packed into the plan's scratch weights */
    w = pack(s, h, s->gemm || s->dw ? s->gw : s->taps);
  FCONV_RETURN_IF(!w || (!h && !s->kset_valid), FCONV_ERR_INVALID_ARGUMENT, "no kernel set");
  chd_ctx c = {s, (const unsigned char *)x, (unsigned char *)y, w, 1};
  if (s->dw) {
    fconv_parallel_for(p->batch * p->cin, 1, p->threads, dw_range, &c);
    return FCONV_OK;
  }
  const size_t chans = p->batch * p->cin, want = 8 * (size_t)p->threads;
  if (p->threads > 1 && chans < want) /* rows of a channel in parts of at least 8 */
    c.parts = CHD_MIN(CHD_CEIL(want, chans), CHD_MAX(s->W[1] / 8, 1));
  fconv_parallel_for(chans * c.parts, 1, p->threads, extend_range, &c);
  if (s->gemm) {
    fconv_parallel_for(p->batch * p->groups * s->nsb, 1, p->threads, gemm_range, &c);
    return FCONV_OK;
  }
  const size_t pairs = p->batch * p->groups * ((p->cog + 1) / 2);
  fconv_parallel_for(pairs * CHD_CEIL(s->P, CHD_SEG), 1, p->threads, flat_range, &c);
  return FCONV_OK;
}

static void chd_describe(const void *state, fconv_plan_info *info) {
  const chd_state *s = (const chd_state *)state;
  /* the instruction set, and which micro-kernel runs the layer (none: the pair-row kernels) */
  snprintf(info->isa, sizeof info->isa, "%s%s", s->ops->isa,
           s->gemm ? "+gemm" : s->dwr ? "+dwr" : s->dw ? "+dw" : "");
  const size_t xe = s->dw ? (size_t)s->p.threads * s->dwpitch / s->es : s->p.batch * s->p.cin * s->chan;
  info->workspace_bytes = (xe + s->p.filters * s->p.ker_elems) * s->es;
  if (s->gemm) info->workspace_bytes += s->p.groups * s->cblocks * s->panel * s->es;
  if (s->dw) info->workspace_bytes += 2 * s->p.filters * s->K * s->es;
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
