/* channels_winograd.c — the CPU path for multi-channel 3x3 layers by Winograd's minimal
 * filtering algorithm F(4x4, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural
 * Networks", 2016): every 4 x 4 block of outputs (a tile) of output channel o is
 *     y = A^T [ sum over the inputs i of o's group of  U[o, i] (.) V[i] ] A
 * with U[o, i] = G g[o, i] G^T (6 x 6, the filter's taps in correlation form) and V[i] = B^T d B
 * (d: the tile's 6 x 6 window of extended input channel i). The sum is, per frequency f < 36,
 * one matrix product [C_out x C_in] x [C_in x tiles], run by the GEMM micro-kernel of the direct
 * channel path (channel_kernels.c, fconv_ck_ops.gemm); the transforms are fconv_ck_ops.wino_in /
 * wino_out. 36 multiplies per 16 outputs and tap pair instead of 144.
 *
 * Runs: real dtypes, 2-D problems and 3-D ones with k0 kernel planes (no dilation, stride 1 on
 * the depth axis), any mode, padding, boundary, op, batch and groups; the estimate is negative
 * for everything else, which the direct channel path runs. 3-D: output plane o0 is the sum over
 * the kernel planes m0 of the 2-D problems of window plane o0 + m0, i.e. the products' inner
 * dimension runs over (input channel, kernel plane), K = C_in/groups x k0.
 * Other kernels and strides on the last two axes (7x7 stride 2, 5x5 stride 1, ...) become
 * 3 x 3 stride-1 problems the same way, by splitting every filter into 3 x 3 blocks: on an axis
 * of stride s and k taps (correlation form), output o reads window position s o + m; with
 * m = s (3 b + t) + p (phase p < s, block b, tap t < 3),
 *     sum_m w[m] xe[s o + m] = sum_(p,b) sum_t w[s (3 b + t) + p] xe[s (o + 3 b + t) + p],
 * a 3-tap stride-1 correlation of the block's taps (zero past k) with the subsampled window
 * v_(p,b)[r] = xe[s (r + 3 b) + p]. Each (phase, block) pair of both axes (a "sub-block"; B per
 * filter, with the kernel planes) is one more row of V, K = C_in/groups x B: 7x7 stride 2 has
 * 3 x 3 sub-blocks (36 x 9 = 324 products per 16 outputs and input channel instead of 784),
 * 5x5 stride 1 2 x 2 (144 instead of 400). Window positions read only by zero taps are zero.
 * Its error bound
 * is not the direct method's per-output one (fconv.h, "Accuracy": WINOGRAD), so dispatch offers
 * it to method AUTO only (vtable auto_only), never to a requested DIRECT or FCONV_FLAG_ACCURATE.
 *
 * Work: the tile rows of all (batch item, plane) flattened, cut into chunks of whole tile rows
 * (fconv_parallel_for units). A chunk extends the rows it reads of each input channel into the
 * thread's band buffer (fconv_gather, then each row split into its four column phases so that
 * the input transform loads a vector of tiles per tap), transforms them into V (36 x C_in k0 x
 * tiles), multiplies per frequency and group into M (36 x C_out x tiles), and transforms M into
 * the output rows. Window rows and columns past the extended window (out + 2) are zero, so the
 * last tiles' dropped outputs never feed non-finite values into kept ones. */
#include <stdio.h>
#include <string.h>

#include "../core/dtype.h"
#include "../core/geometry.h"
#include "../core/memory.h"
#include "../core/threads.h"
#include "../path.h"
#include "../util.h"
#include "direct_kernels.h"

#define WG_F 36 /* frequencies: 6 x 6 */
#define WG_CEIL(a, b) (((a) + (b) - 1) / (b))

/* The GEMM's time per multiply-add and the transforms' time per transformed element, relative
 * to the direct path's calibrated time per multiply-add (cost_direct.h): fitted (least squares
 * on the ratio, then rounded between two fits) to the best of 8 runs of 10 executes of this path
 * (forced by a temporary hook) and of the direct channel path's GEMM kernel (fconv_cnn_bench R N
 * C C' 1 S 3 1 1 2 auto|direct 10) on 3x3 (3-D: 3x3x3) pad-1 layers R: N x C->C' x S^R =
 * 2: 8x64x56^2, 8x256x14^2, 8x16x56^2, 4x32x28^2, 8x128x28^2, 2x(8->12)x20^2, 1x16x13^2;
 * 3: 2x16x64^3, 1x32x24^3 (AVX2, 2 threads, a loaded VM): measured / direct-GEMM time 0.28,
 * 0.53, 0.92, 0.51, 0.27, 0.97, 1.44; 0.54, 0.22; modelled 0.36, 0.29, 0.81, 0.49, 0.27, 1.14,
 * 1.10; 0.61, 0.39. */
#define WG_GEMM_FACTOR 0.30
#define WG_XFORM_FACTOR 7.0
/* Bytes of one chunk's V and M together that should stay in cache (L2 + a share of L3) */
#define WG_CHUNK_BYTES ((size_t)2 << 20)
/* At most this many 3 x 3 sub-blocks per filter plane (the error bound grows with them; 11x11
 * stride 4 has 16) */
#define WG_MAX_SUBS 16

/* One sub-block on an axis: phase p and block b (window position s (r + 3 b) + p). */
typedef struct {
  size_t p, b;
} wg_sub;

/* The sub-blocks of an axis with k taps and stride s (into sub when not NULL: at most
 * WG_MAX_SUBS are written); returns their count (phases with no taps have none). */
static size_t wg_subs(size_t k, size_t s, wg_sub *sub) {
  size_t n = 0;
  for (size_t p = 0; p < s && p < k; p++) {
    const size_t taps = (k - p + s - 1) / s, blocks = WG_CEIL(taps, 3);
    for (size_t b = 0; b < blocks; b++, n++)
      if (sub && n < WG_MAX_SUBS) sub[n] = (wg_sub){p, b};
  }
  return n;
}

typedef struct {
  fconv_problem p;
  const fconv_dk_ops *ops;
  const fconv_ck_ops *ck;
  size_t es, lanes, mr;
  size_t W1, W2;       /* extended window rows and columns: out + 2 */
  size_t tp;           /* pitch of a gathered row: W2 rounded up to 4 vectors (zero past W2) */
  size_t tx, ty;       /* tiles per row, tile rows per plane */
  size_t rows;         /* tile rows of the whole layer: batch * out0 * ty */
  size_t R, Tp;        /* tile rows per chunk; its tiles rounded up to the lanes */
  size_t chunks;
  size_t lp;           /* elements of one column phase of a band row */
  size_t cblocks;      /* output-channel blocks of mr per group */
  size_t coutp;        /* M rows: groups * cblocks * mr */
  size_t kp;           /* kernel planes (axis 0) */
  size_t n1, n2;       /* sub-blocks on axes 1 and 2 (1 and 1 for a 3 x 3 stride-1 kernel) */
  wg_sub sub1[WG_MAX_SUBS], sub2[WG_MAX_SUBS];
  size_t kv;           /* V rows per input channel: kp * n1 * n2 (plane-major) */
  int plain;           /* 3 x 3 stride 1: the window rows are V's rows as they are */
  size_t win0, win1, win2; /* extended window extents: (out - 1) stride + k */
  /* not plain: the phase images of every (item, channel, window plane), made by execute:
   * image (p1, p2) of q1 x q2 holds xe[s1 r + p1, s2 c + p2] (zero past the window), q1 and q2
   * covering every sub-block's virtual window (+ the split's reach past W2) */
  size_t q1, q2, qplane; /* rows, pitch, elements of one plane's s1 s2 images */
  unsigned char *q;
  size_t K;            /* the products' inner dimension: cig * kv */
  size_t panel;        /* elements of one (frequency, group, block) weight panel: K * mr */
  ptrdiff_t *off;      /* K offsets into V: k * Tp */
  unsigned char *taps; /* filters * ker_elems: fconv_prepare_taps */
  unsigned char *kset; /* set_kernel's transformed weights, or NULL */
  int kset_valid;
  unsigned char *uw;   /* an explicit kernel's transformed weights */
  /* per thread */
  size_t band_elems, tmp_elems, v_elems, m_elems, wide_elems;
  unsigned char *band, *tmp, *v, *m, *wide; /* wide: one window row (the phase pass) */
} wg_state;

/* p runs here: real, undilated, a kernel of at least 2 x 2 taps on the last two axes that
 * splits into at most WG_MAX_SUBS sub-blocks, stride 1 on axis 0 (any depth), host operands as
 * given. */
static int wg_fits(const fconv_problem *p) {
  const fconv_axis *a = p->ax;
  if (!p->multichannel || p->is_complex || p->swapped || p->signal_flip || p->kernel_batch != 1)
    return 0;
  for (int i = 0; i < 3; i++)
    if (a[i].k != a[i].kt) return 0;
  if (a[0].stride != 1 || a[1].k < 2 || a[2].k < 2) return 0;
  return wg_subs(a[1].k, a[1].stride, NULL) * wg_subs(a[2].k, a[2].stride, NULL) <= WG_MAX_SUBS;
}

/* V rows per input channel: kernel planes x sub-blocks */
static size_t wg_kv(const fconv_problem *p) {
  return p->ax[0].k * wg_subs(p->ax[1].k, p->ax[1].stride, NULL) *
         wg_subs(p->ax[2].k, p->ax[2].stride, NULL);
}

static size_t wg_cblocks(const fconv_problem *p, size_t mr) { return WG_CEIL(p->cog, mr); }

static double wg_estimate(const fconv_problem *p) {
  if (!wg_fits(p)) return -1.0;
  const fconv_dk_ops *ops = fconv_dk_select_isa();
  const size_t mr = ops->ch->mr;
  /* the direct model's time per multiply-add, from count * C_out outputs of cig * k0 * 9 taps */
  fconv_problem q = *p;
  q.count = p->count * p->cout;
  q.ker_elems = p->cig * p->tap_elems;
  q.multichannel = 0;
  const double direct = fconv_cpu_direct_path.estimate(&q);
  if (!(direct > 0.0)) return -1.0;
  const double macs = (double)q.count * (double)p->out_elems * (double)q.ker_elems;
  const double tiles = (double)p->count * (double)p->ax[0].out *
                       (double)WG_CEIL(p->ax[1].out, 4) * (double)WG_CEIL(p->ax[2].out, 4);
  const double coutp = (double)(p->groups * wg_cblocks(p, mr) * mr);
  const double kv = (double)wg_kv(p);
  const double wmacs = tiles * WG_F * (double)p->cig * kv * coutp;
  const double xform = tiles * WG_F * ((double)p->cin * kv + (double)p->cout);
  return direct / macs * (WG_GEMM_FACTOR * wmacs + WG_XFORM_FACTOR * xform);
}

static void wg_destroy(void *state) {
  wg_state *s = (wg_state *)state;
  if (!s) return;
  fconv_free(s->off);
  fconv_free(s->taps);
  fconv_free(s->kset);
  fconv_free(s->uw);
  fconv_free(s->band);
  fconv_free(s->tmp);
  fconv_free(s->v);
  fconv_free(s->m);
  fconv_free(s->wide);
  fconv_free(s->q);
  fconv_free(s);
}

/* Per-thread buffer of n elements for nt threads: n * nt * es bytes, or 0 on overflow. */
static size_t wg_bytes(size_t n, size_t nt, size_t es) {
  size_t b;
  if (fconv_mul_ovf(n, nt, &b) || fconv_mul_ovf(b, es, &b)) return 0;
  return b;
}

static fconv_status wg_create(const fconv_problem *p, void **state) {
  FCONV_RETURN_IF(!wg_fits(p), FCONV_ERR_INTERNAL, "winograd path for an unfit problem");
  wg_state *s = (wg_state *)fconv_calloc(sizeof *s);
  FCONV_RETURN_IF(!s, FCONV_ERR_OUT_OF_MEMORY, "winograd state");
  s->p = *p;
  s->ops = fconv_dk_select_isa();
  s->ck = s->ops->ch;
  s->es = p->esize;
  s->lanes = s->ops->vbytes / s->es;
  s->mr = s->ck->mr;
  const fconv_axis *a = p->ax;
  s->W1 = a[1].out + 2;
  s->W2 = a[2].out + 2;
  s->tx = WG_CEIL(a[2].out, 4);
  s->ty = WG_CEIL(a[1].out, 4);
  s->rows = p->batch * a[0].out * s->ty;
  s->cblocks = wg_cblocks(p, s->mr);
  s->coutp = p->groups * s->cblocks * s->mr;
  s->kp = a[0].k;
  s->n1 = wg_subs(a[1].k, a[1].stride, s->sub1);
  s->n2 = wg_subs(a[2].k, a[2].stride, s->sub2);
  s->kv = s->kp * s->n1 * s->n2;
  s->plain = a[1].k == 3 && a[2].k == 3 && a[1].stride == 1 && a[2].stride == 1;
  s->win0 = a[0].out + a[0].k - 1;
  s->win1 = (a[1].out - 1) * a[1].stride + a[1].k;
  s->win2 = (a[2].out - 1) * a[2].stride + a[2].k;
  s->K = p->cig * s->kv;
  s->panel = s->K * s->mr;
  /* chunks: about WG_CHUNK_BYTES of V and M, at least 4 register tiles of the GEMM, and at
   * least one per thread */
  const size_t per_tile = WG_F * (p->cin * s->kv + s->coutp) * s->es;
  size_t want = WG_CHUNK_BYTES / per_tile, floor_tiles = 4 * s->ck->nv * s->lanes;
  if (want < floor_tiles) want = floor_tiles;
  size_t chunks = (s->rows * s->tx + want / 2) / want;
  if (chunks < (size_t)p->threads) chunks = (size_t)p->threads;
  if (chunks > s->rows) chunks = s->rows;
  if (chunks == 0) chunks = 1;
  s->R = WG_CEIL(s->rows, chunks);
  s->chunks = WG_CEIL(s->rows, s->R);
  /* + a vector: the output transform of a chunk's last tile row reads its tiles rounded up */
  s->Tp = (WG_CEIL(s->R * s->tx, s->lanes) + 1) * s->lanes;
  /* a band row's phases: the vectors of tiles rounded up, + 1 for the columns 4 and 5 */
  s->lp = (WG_CEIL(s->tx, s->lanes) + 1) * s->lanes;
  s->band_elems = (4 * s->R + 2) * 4 * s->lp;
  s->tp = WG_CEIL(s->W2, 4 * s->lanes) * 4 * s->lanes;
  s->tmp_elems = (4 * s->R + 2) * s->tp;
  s->v_elems = WG_F * p->cin * s->kv * s->Tp;
  s->m_elems = WG_F * s->coutp * s->Tp;
  /* one gathered window row for the phase pass; the phase images: the last sub-block's
   * virtual rows and columns (+ 3 b), the columns rounded up to the split's 4 vectors */
  s->wide_elems = s->plain ? 0 : s->win2;
  if (!s->plain) {
    size_t b1 = 0, b2 = 0; /* the largest block index (phase 0 has the most blocks) */
    for (size_t i = 0; i < s->n1; i++) b1 = s->sub1[i].b > b1 ? s->sub1[i].b : b1;
    for (size_t i = 0; i < s->n2; i++) b2 = s->sub2[i].b > b2 ? s->sub2[i].b : b2;
    s->q1 = s->W1 + 3 * b1;
    s->q2 = WG_CEIL(s->W2, 4 * s->lanes) * 4 * s->lanes + 3 * b2;
    s->qplane = a[1].stride * a[2].stride * s->q1 * s->q2;
  }
  const size_t nt = (size_t)p->threads, es = s->es;
  const size_t bb = wg_bytes(s->band_elems, nt, es), tb = wg_bytes(s->tmp_elems, nt, es);
  const size_t vb = wg_bytes(s->v_elems, nt, es), mb = wg_bytes(s->m_elems, nt, es);
  const size_t ub = wg_bytes(WG_F * s->coutp, s->K, es);
  const size_t wb = s->plain ? 1 : wg_bytes(s->wide_elems, nt, es);
  size_t qb = 1;
  if (!s->plain && (fconv_mul_ovf(p->batch * p->cin, s->win0, &qb) ||
                    fconv_mul_ovf(qb, s->qplane, &qb) || fconv_mul_ovf(qb, es, &qb)))
    qb = 0;
  if (!bb || !tb || !vb || !mb || !ub || !wb || !qb) {
    wg_destroy(s);
    FCONV_RETURN_ERROR(FCONV_ERR_OUT_OF_MEMORY, "winograd workspace overflows");
  }
  s->off = (ptrdiff_t *)fconv_malloc(s->K * sizeof *s->off);
  s->taps = (unsigned char *)fconv_malloc(p->filters * p->ker_elems * es);
  s->uw = (unsigned char *)fconv_malloc(ub);
  /* zeroed: the band's and the gathered rows' columns past the window and V's columns past a
   * chunk's tiles are read (for outputs that are dropped) and must hold finite values */
  s->band = (unsigned char *)fconv_calloc(bb);
  s->tmp = (unsigned char *)fconv_calloc(tb);
  s->v = (unsigned char *)fconv_calloc(vb);
  s->m = (unsigned char *)fconv_malloc(mb);
  if (!s->plain) {
    s->wide = (unsigned char *)fconv_malloc(wb);
    s->q = (unsigned char *)fconv_calloc(qb); /* positions past the window stay zero */
  }
  if (!s->off || !s->taps || !s->uw || !s->band || !s->tmp || !s->v || !s->m ||
      (!s->plain && (!s->wide || !s->q))) {
    wg_destroy(s);
    FCONV_RETURN_ERROR(FCONV_ERR_OUT_OF_MEMORY, "winograd workspace");
  }
  for (size_t k = 0; k < s->K; k++) s->off[k] = (ptrdiff_t)(k * s->Tp);
  *state = s;
  return FCONV_OK;
}

/* U = G t G^T for the 3 x 3 taps t (correlation form), in double:
 *   G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]. */
static void wg_kernel_transform(const double t[9], double u[WG_F]) {
  static const double G[6][3] = {{0.25, 0.0, 0.0},
                                 {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                 {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                 {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                 {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                 {0.0, 0.0, 1.0}};
  double gt[6][3]; /* G t */
  for (int i = 0; i < 6; i++)
    for (int l = 0; l < 3; l++)
      gt[i][l] = G[i][0] * t[l] + G[i][1] * t[3 + l] + G[i][2] * t[6 + l];
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 6; j++)
      u[i * 6 + j] = gt[i][0] * G[j][0] + gt[i][1] * G[j][1] + gt[i][2] * G[j][2];
}

/* The 3 x 3 taps of sub-block v (plane-major: plane, sub-block of axis 1, of axis 2) of filter
 * f (correlation form, s->taps), zero past the kernel. */
static void wg_sub_taps(const wg_state *s, size_t f, size_t v, double t[9]) {
  const fconv_problem *p = &s->p;
  const fconv_axis *a = p->ax;
  const size_t m0 = v / (s->n1 * s->n2);
  const wg_sub b1 = s->sub1[v / s->n2 % s->n1], b2 = s->sub2[v % s->n2];
  const int dbl = fconv_dtype_is_double(p->dtype);
  for (size_t i = 0; i < 3; i++)
    for (size_t l = 0; l < 3; l++) {
      const size_t m1 = a[1].stride * (3 * b1.b + i) + b1.p, m2 = a[2].stride * (3 * b2.b + l) + b2.p;
      double x = 0.0;
      if (m1 < a[1].k && m2 < a[2].k) {
        const size_t at = f * p->ker_elems + (m0 * a[1].k + m1) * a[2].k + m2;
        x = dbl ? ((const double *)(const void *)s->taps)[at]
                : (double)((const float *)(const void *)s->taps)[at];
      }
      t[i * 3 + l] = x;
    }
}

/* The transformed weights into dst: per (frequency, group, block of mr output channels) a panel
 * of K x mr, k-major (the GEMM kernel's w; k = input channel * kv + sub-block); channels past
 * the group's end are zero. */
static void wg_pack(wg_state *s, const void *h, unsigned char *dst) {
  const fconv_problem *p = &s->p;
  fconv_problem q = *p;
  q.kernel_batch = p->kernel_batch * p->filters;
  fconv_prepare_taps(&q, h, s->taps);
  const size_t es = s->es, mr = s->mr;
  const int dbl = fconv_dtype_is_double(p->dtype);
  memset(dst, 0, WG_F * s->coutp * s->K * es);
  for (size_t co = 0; co < p->cout; co++)
    for (size_t k = 0; k < s->K; k++) { /* k = ci * kv + sub-block v of filter (co, ci) */
      const size_t g = co / p->cog, j = co % p->cog;
      double t[9], u[WG_F];
      wg_sub_taps(s, co * p->cig + k / s->kv, k % s->kv, t);
      wg_kernel_transform(t, u);
      for (size_t f = 0; f < WG_F; f++) {
        const size_t at = (((f * p->groups + g) * s->cblocks + j / mr) * s->K + k) * mr + j % mr;
        if (dbl) ((double *)(void *)dst)[at] = u[f];
        else ((float *)(void *)dst)[at] = (float)u[f];
      }
    }
}

static fconv_status wg_set_kernel(void *state, const void *h, const fconv_kernel_info *info) {
  (void)info;
  wg_state *s = (wg_state *)state;
  if (!s->kset) {
    s->kset = (unsigned char *)fconv_malloc(WG_F * s->coutp * s->K * s->es);
    FCONV_RETURN_IF(!s->kset, FCONV_ERR_OUT_OF_MEMORY, "winograd weights");
  }
  wg_pack(s, h, s->kset);
  s->kset_valid = 1;
  return FCONV_OK;
}

/* ---- execute ------------------------------------------------------------------------------ */

typedef struct {
  const wg_state *s;
  const unsigned char *x;
  unsigned char *y;
  const unsigned char *w;
} wg_ctx;

/* Tile row r of the layer: batch item, plane, tile row in the plane. */
typedef struct {
  size_t item, o0, ty;
} wg_row;
static wg_row wg_row_of(const wg_state *s, size_t r) {
  wg_row t = {r / s->ty / s->p.ax[0].out, r / s->ty % s->p.ax[0].out, r % s->ty};
  return t;
}

/* The phase pass (not plain): window plane e0 of channel x into its s1 s2 phase images at qp
 * (image (p1, p2) at qp + (p1 s2 + p2) q1 q2), one window row gathered at a time. */
static void wg_phases(const wg_state *s, const unsigned char *x, size_t e0, unsigned char *qp,
                      unsigned char *wide) {
  const fconv_problem *p = &s->p;
  const size_t s1 = p->ax[1].stride, s2 = p->ax[2].stride, es = s->es, q1 = s->q1, q2 = s->q2;
  const size_t cnt[3] = {1, 1, s->win2}, pitch[2] = {s->win2, s->win2};
  for (size_t R = 0; R < s->win1; R++) {
    const size_t p1 = R % s1, r = R / s1;
    if (r >= q1) continue; /* rows no sub-block reads */
    const ptrdiff_t org[3] = {(ptrdiff_t)e0, (ptrdiff_t)R, 0};
    fconv_gather(p, x, org, cnt, wide, pitch, 0);
    for (size_t p2 = 0; p2 < s2 && p2 < s->win2; p2++) {
      unsigned char *dst = qp + (((p1 * s2 + p2) * q1 + r) * q2) * es;
      size_t n = (s->win2 - p2 + s2 - 1) / s2;
      if (n > q2) n = q2;
      if (s2 == 1) {
        memcpy(dst, wide, n * es);
      } else if (es == sizeof(double)) {
        const double *w = (const double *)(const void *)wide + p2;
        double *d = (double *)(void *)dst;
        for (size_t c = 0; c < n; c++) d[c] = w[s2 * c];
      } else {
        const float *w = (const float *)(const void *)wide + p2;
        float *d = (float *)(void *)dst;
        for (size_t c = 0; c < n; c++) d[c] = w[s2 * c];
      }
    }
  }
}

typedef struct {
  const wg_state *s;
  const unsigned char *x;
} wg_phase_ctx;

/* units: (item, channel, window plane) */
static void wg_phase_range(void *vctx, size_t begin, size_t end, int tid) {
  const wg_phase_ctx *c = (const wg_phase_ctx *)vctx;
  const wg_state *s = c->s;
  const fconv_problem *p = &s->p;
  unsigned char *wide = s->wide + (size_t)tid * s->wide_elems * s->es;
  for (size_t u = begin; u < end; u++) {
    const size_t ic = u / s->win0, e0 = u % s->win0;
    wg_phases(s, c->x + ic * p->sig_elems * s->es, e0, s->q + u * s->qplane * s->es, wide);
  }
}

/* Extend rows [4 ty, 4 (ty + nr) + 2) of sub-block v's virtual window (plain: the window
 * itself, from channel x; otherwise from the phase images qc of the channel) in window plane e0
 * into the band, each row split into its four column phases (row i at band + i * 4 lp, phase c
 * at + c * lp); rows and columns past the window are zero (only zero taps read them). */
static void wg_extend_band(const wg_state *s, const unsigned char *x, const unsigned char *qc,
                           size_t e0, size_t v, size_t ty, size_t nr, unsigned char *band,
                           unsigned char *tmp) {
  const fconv_problem *p = &s->p;
  const size_t es = s->es, W2 = s->W2, lp = s->lp, e1 = 4 * ty, n = 4 * nr + 2, tp = s->tp;
  const int dbl = fconv_dtype_is_double(p->dtype);
  if (!s->plain) {
    /* virtual row r, column c of sub-block (p1, b1; p2, b2): image (p1, p2) at r + 3 b1,
     * c + 3 b2 */
    const wg_sub b1 = s->sub1[v / s->n2 % s->n1], b2 = s->sub2[v % s->n2];
    const unsigned char *img =
        qc + ((e0 * p->ax[1].stride * p->ax[2].stride + b1.p * p->ax[2].stride + b2.p) * s->q1 *
                  s->q2 + 3 * b2.b) * es;
    for (size_t i = 0; i < n; i++) {
      unsigned char *row = band + i * 4 * lp * es;
      const size_t r = e1 + i + 3 * b1.b;
      if (r >= s->q1) {
        memset(row, 0, 4 * lp * es);
        continue;
      }
      s->ck->wino_split[dbl](row, lp, img + r * s->q2 * es, W2);
    }
    return;
  }
  const size_t valid = e1 >= s->W1 ? 0 : (s->W1 - e1 < n ? s->W1 - e1 : n);
  if (valid) {
    const ptrdiff_t org[3] = {(ptrdiff_t)e0, (ptrdiff_t)e1, 0};
    const size_t cnt[3] = {1, valid, W2}, pitch[2] = {valid * tp, tp};
    fconv_gather(p, x, org, cnt, tmp, pitch, 0);
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char *row = band + i * 4 * lp * es;
    if (i >= valid) {
      memset(row, 0, 4 * lp * es);
      continue;
    }
    s->ck->wino_split[dbl](row, lp, tmp + i * tp * es, W2);
  }
}

/* One chunk: tile rows [c R, (c + 1) R) of the layer. */
static void wg_chunk(const wg_ctx *c, size_t chunk, int tid) {
  const wg_state *s = c->s;
  const fconv_problem *p = &s->p;
  const size_t es = s->es, Tp = s->Tp, mr = s->mr, tx = s->tx, lp = s->lp;
  const int dbl = fconv_dtype_is_double(p->dtype);
  const fconv_dk_wino_in_fn win = s->ck->wino_in[dbl];
  const fconv_dk_wino_out_fn wout = s->ck->wino_out[dbl];
  const fconv_dk_gemm_fn gemm = s->ck->gemm[dbl];
  unsigned char *band = s->band + (size_t)tid * s->band_elems * es;
  unsigned char *tmp = s->tmp + (size_t)tid * s->tmp_elems * es;
  unsigned char *v = s->v + (size_t)tid * s->v_elems * es;
  unsigned char *m = s->m + (size_t)tid * s->m_elems * es;
  const size_t r0 = chunk * s->R, r1 = r0 + s->R < s->rows ? r0 + s->R : s->rows;
  const size_t ntiles = (r1 - r0) * tx;
  /* 1. V = B^T d B of every tile, input channel and sub-block (V row ci * kv + vb: sub-block
   * vb of window plane o0 + its kernel plane, channel ci): bands of tile rows of one plane, in
   * order (a tile row's transform writes up to a vector past its end: the next row overwrites
   * it, the last one writes into the slack of Tp) */
  const size_t K = s->K, kv = s->kv, fs = p->cin * kv * Tp, per_plane = s->n1 * s->n2;
  for (size_t ci = 0; ci < p->cin; ci++)
    for (size_t vb = 0; vb < kv; vb++)
      for (size_t r = r0; r < r1;) {
        const wg_row t = wg_row_of(s, r);
        const size_t nr = s->ty - t.ty < r1 - r ? s->ty - t.ty : r1 - r;
        const size_t ic = t.item * p->cin + ci;
        const unsigned char *xc = c->x + ic * p->sig_elems * es;
        const unsigned char *qc = s->q ? s->q + ic * s->win0 * s->qplane * es : NULL;
        wg_extend_band(s, xc, qc, t.o0 + vb / per_plane, vb, t.ty, nr, band, tmp);
        for (size_t k = 0; k < nr; k++)
          win(v + ((ci * kv + vb) * Tp + (r - r0 + k) * tx) * es, fs, band + k * 16 * lp * es,
              4 * lp, lp, tx);
        r += nr;
      }
  /* 2. M[f] = U[f] V[f] per frequency and group, one register tile of tiles at a time against
   * every block of output channels (its V panel stays in L1, the weight panels stream); M is
   * channel-major (row co's 36 frequencies adjacent, for the output transform's reads) */
  const size_t nvec = WG_CEIL(ntiles, s->lanes), nv = s->ck->nv;
  for (size_t f = 0; f < WG_F; f++)
    for (size_t g = 0; g < p->groups; g++)
      for (size_t t = 0; t < nvec; t += nv) {
        const size_t n = nvec - t < nv ? nvec - t : nv;
        const unsigned char *vt = v + (f * fs + (g * K * Tp) + t * s->lanes) * es;
        for (size_t cb = 0; cb < s->cblocks; cb++) {
          const size_t prow = (f * p->groups + g) * s->cblocks + cb;
          gemm(m + (((g * s->cblocks + cb) * mr * WG_F + f) * Tp + t * s->lanes) * es, WG_F * Tp,
               vt, s->off, c->w + prow * s->panel * es, K, n);
        }
      }
  /* 3. y = A^T M A per output channel and tile row */
  const fconv_axis *a = p->ax;
  for (size_t co = 0; co < p->cout; co++) {
    const size_t row = (co / p->cog) * s->cblocks * mr + co % p->cog;
    for (size_t r = r0; r < r1; r++) {
      const wg_row t = wg_row_of(s, r);
      unsigned char *y = c->y + ((t.item * p->cout + co) * p->out_elems +
                                 (t.o0 * a[1].out + 4 * t.ty) * a[2].out) * es;
      const size_t rows = a[1].out - 4 * t.ty < 4 ? a[1].out - 4 * t.ty : 4;
      wout(y, a[2].out, m + (row * WG_F * Tp + (r - r0) * tx) * es, Tp, tx, rows, a[2].out);
    }
  }
}

static void wg_range(void *vctx, size_t begin, size_t end, int tid) {
  for (size_t u = begin; u < end; u++) wg_chunk((const wg_ctx *)vctx, u, tid);
}

static fconv_status wg_execute(void *state, const void *x, const void *h, void *y) {
  wg_state *s = (wg_state *)state;
  const unsigned char *w = s->kset;
  if (h) { /* an explicit kernel: transformed into the plan's scratch weights */
    wg_pack(s, h, s->uw);
    w = s->uw;
  }
  FCONV_RETURN_IF(!w || (!h && !s->kset_valid), FCONV_ERR_INVALID_ARGUMENT, "no kernel set");
  if (!s->plain) { /* the phase images, then the tiles read them */
    wg_phase_ctx pc = {s, (const unsigned char *)x};
    fconv_parallel_for(s->p.batch * s->p.cin * s->win0, 1, s->p.threads, wg_phase_range, &pc);
  }
  wg_ctx c = {s, (const unsigned char *)x, (unsigned char *)y, w};
  fconv_parallel_for(s->chunks, 1, s->p.threads, wg_range, &c);
  return FCONV_OK;
}

static void wg_describe(const void *state, fconv_plan_info *info) {
  const wg_state *s = (const wg_state *)state;
  snprintf(info->isa, sizeof info->isa, "%s+wino", s->ops->isa);
  const size_t nt = (size_t)s->p.threads;
  info->workspace_bytes =
      (nt * (s->band_elems + s->tmp_elems + s->v_elems + s->m_elems + s->wide_elems) +
       2 * WG_F * s->coutp * s->K + s->p.filters * s->p.ker_elems +
       s->p.batch * s->p.cin * s->win0 * s->qplane) * s->es;
}

const fconv_path_vtbl fconv_cpu_channels_winograd_path = {
    .name = "cpu-channels-winograd",
    .backend = FCONV_BACKEND_CPU,
    .method = FCONV_METHOD_DIRECT,
    .channels = FCONV_PATH_CHANNELS_ONLY,
    .estimate = wg_estimate,
    .create = wg_create,
    .set_kernel = wg_set_kernel,
    .execute = wg_execute,
    .destroy = wg_destroy,
    .describe = wg_describe,
    .auto_only = 1,
};
