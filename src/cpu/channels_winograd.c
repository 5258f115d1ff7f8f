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
 * Runs: real dtypes, 2-D problems with a 3 x 3 kernel and 3-D ones with a k0 x 3 x 3 kernel (no
 * dilation), stride 1, any mode, padding, boundary, op, batch and groups; the estimate is
 * negative for everything else, which the direct channel path runs. 3-D: output plane o0 is the
 * sum over the kernel planes m0 of the 2-D problems of window plane o0 + m0, i.e. the products'
 * inner dimension runs over (input channel, kernel plane), K = C_in/groups x k0. Its error bound
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
  size_t kp;           /* kernel planes (axis 0); V rows per input channel */
  size_t K;            /* the products' inner dimension: cig * kp */
  size_t panel;        /* elements of one (frequency, group, block) weight panel: K * mr */
  ptrdiff_t *off;      /* K offsets into V: k * Tp */
  unsigned char *taps; /* filters * kp * 9: fconv_prepare_taps */
  unsigned char *kset; /* set_kernel's transformed weights, or NULL */
  int kset_valid;
  unsigned char *uw;   /* an explicit kernel's transformed weights */
  /* per thread */
  size_t band_elems, tmp_elems, v_elems, m_elems;
  unsigned char *band, *tmp, *v, *m;
} wg_state;

/* p runs here: real, 3 x 3 undilated on the last two axes (any undilated depth on axis 0),
 * stride 1, host operands as given. */
static int wg_fits(const fconv_problem *p) {
  const fconv_axis *a = p->ax;
  return p->multichannel && !p->is_complex && !p->swapped && !p->signal_flip &&
         p->kernel_batch == 1 && a[0].k == a[0].kt && a[1].k == 3 && a[2].k == 3 &&
         a[1].kt == 3 && a[2].kt == 3 && a[0].stride == 1 && a[1].stride == 1 &&
         a[2].stride == 1;
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
  const double kp = (double)p->ax[0].k;
  const double wmacs = tiles * WG_F * (double)p->cig * kp * coutp;
  const double xform = tiles * WG_F * ((double)p->cin * kp + (double)p->cout);
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
  s->K = p->cig * s->kp;
  s->panel = s->K * s->mr;
  /* chunks: about WG_CHUNK_BYTES of V and M, at least 4 register tiles of the GEMM, and at
   * least one per thread */
  const size_t per_tile = WG_F * (p->cin * s->kp + s->coutp) * s->es;
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
  s->v_elems = WG_F * p->cin * s->kp * s->Tp;
  s->m_elems = WG_F * s->coutp * s->Tp;
  const size_t nt = (size_t)p->threads, es = s->es;
  const size_t bb = wg_bytes(s->band_elems, nt, es), tb = wg_bytes(s->tmp_elems, nt, es);
  const size_t vb = wg_bytes(s->v_elems, nt, es), mb = wg_bytes(s->m_elems, nt, es);
  const size_t ub = wg_bytes(WG_F * s->coutp, s->K, es);
  if (!bb || !tb || !vb || !mb || !ub) {
    wg_destroy(s);
    FCONV_RETURN_ERROR(FCONV_ERR_OUT_OF_MEMORY, "winograd workspace overflows");
  }
  s->off = (ptrdiff_t *)fconv_malloc(s->K * sizeof *s->off);
  s->taps = (unsigned char *)fconv_malloc(p->filters * s->kp * 9 * es);
  s->uw = (unsigned char *)fconv_malloc(ub);
  /* zeroed: the band's and the gathered rows' columns past the window and V's columns past a
   * chunk's tiles are read (for outputs that are dropped) and must hold finite values */
  s->band = (unsigned char *)fconv_calloc(bb);
  s->tmp = (unsigned char *)fconv_calloc(tb);
  s->v = (unsigned char *)fconv_calloc(vb);
  s->m = (unsigned char *)fconv_malloc(mb);
  if (!s->off || !s->taps || !s->uw || !s->band || !s->tmp || !s->v || !s->m) {
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

/* The transformed weights into dst: per (frequency, group, block of mr output channels) a panel
 * of K x mr, k-major (the GEMM kernel's w; k = input channel * kp + kernel plane); channels past
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
    for (size_t k = 0; k < s->K; k++) { /* k = ci * kp + plane: taps k * 9 of the filter */
      const size_t fi = co * s->K + k, g = co / p->cog, j = co % p->cog;
      double t[9], u[WG_F];
      for (int i = 0; i < 9; i++)
        t[i] = dbl ? ((const double *)(const void *)s->taps)[fi * 9 + i]
                   : (double)((const float *)(const void *)s->taps)[fi * 9 + i];
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

/* Extend window rows [4 ty, 4 (ty + nr) + 2) of window plane e0 of channel x into the band, each row
 * split into its four column phases (row i at band + i * 4 lp, phase c at + c * lp); rows past
 * the window are zero. */
static void wg_extend_band(const wg_state *s, const unsigned char *x, size_t e0, size_t ty,
                           size_t nr, unsigned char *band, unsigned char *tmp) {
  const fconv_problem *p = &s->p;
  const size_t es = s->es, W2 = s->W2, lp = s->lp, e1 = 4 * ty, n = 4 * nr + 2;
  const size_t valid = e1 >= s->W1 ? 0 : (s->W1 - e1 < n ? s->W1 - e1 : n);
  if (valid) {
    const ptrdiff_t org[3] = {(ptrdiff_t)e0, (ptrdiff_t)e1, 0};
    const size_t cnt[3] = {1, valid, W2}, pitch[2] = {valid * s->tp, s->tp};
    fconv_gather(p, x, org, cnt, tmp, pitch, 0);
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char *row = band + i * 4 * lp * es;
    if (i >= valid) {
      memset(row, 0, 4 * lp * es);
      continue;
    }
    s->ck->wino_split[fconv_dtype_is_double(p->dtype)](row, lp, tmp + i * s->tp * es, W2);
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
  /* 1. V = B^T d B of every tile, input channel and kernel plane (V row ci * kp + m0: window
   * plane o0 + m0 of channel ci): bands of tile rows of one plane, in order (a tile row's
   * transform writes up to a vector past its end: the next row overwrites it, the last one
   * writes into the slack of Tp) */
  const size_t K = s->K, kp = s->kp, fs = p->cin * kp * Tp;
  for (size_t ci = 0; ci < p->cin; ci++)
    for (size_t m0 = 0; m0 < kp; m0++)
      for (size_t r = r0; r < r1;) {
        const wg_row t = wg_row_of(s, r);
        const size_t nr = s->ty - t.ty < r1 - r ? s->ty - t.ty : r1 - r;
        const unsigned char *xc = c->x + (t.item * p->cin + ci) * p->sig_elems * es;
        wg_extend_band(s, xc, t.o0 + m0, t.ty, nr, band, tmp);
        for (size_t k = 0; k < nr; k++)
          win(v + ((ci * kp + m0) * Tp + (r - r0 + k) * tx) * es, fs, band + k * 16 * lp * es,
              4 * lp, lp, tx);
        r += nr;
      }
  /* 2. M[f] = U[f] V[f] per frequency and group, one register tile of tiles at a time against
   * every block of output channels (its V panel stays in L1, the weight panels stream) */
  const size_t nvec = WG_CEIL(ntiles, s->lanes), nv = s->ck->nv;
  for (size_t f = 0; f < WG_F; f++)
    for (size_t g = 0; g < p->groups; g++)
      for (size_t t = 0; t < nvec; t += nv) {
        const size_t n = nvec - t < nv ? nvec - t : nv;
        const unsigned char *vt = v + (f * fs + (g * K * Tp) + t * s->lanes) * es;
        for (size_t cb = 0; cb < s->cblocks; cb++) {
          const size_t prow = (f * p->groups + g) * s->cblocks + cb;
          gemm(m + ((f * s->coutp + (g * s->cblocks + cb) * mr) * Tp + t * s->lanes) * es, Tp,
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
      wout(y, a[2].out, m + (row * Tp + (r - r0) * tx) * es, s->coutp * Tp, tx, rows,
           a[2].out);
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
  wg_ctx c = {s, (const unsigned char *)x, (unsigned char *)y, w};
  fconv_parallel_for(s->chunks, 1, s->p.threads, wg_range, &c);
  return FCONV_OK;
}

static void wg_describe(const void *state, fconv_plan_info *info) {
  const wg_state *s = (const wg_state *)state;
  snprintf(info->isa, sizeof info->isa, "%s+wino", s->ops->isa);
  const size_t nt = (size_t)s->p.threads;
  info->workspace_bytes =
      (nt * (s->band_elems + s->tmp_elems + s->v_elems + s->m_elems) +
       2 * WG_F * s->coutp * s->K + s->p.filters * s->kp * 9) * s->es;
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
