/* channels_fft.c — the CPU FFT and overlap-save paths for multi-channel problems (C_in / C_out
 * > 1, groups): the sum over input channels is taken in the frequency domain.
 *
 * The geometry, the packing of a block's box of the extended signal, the crop of the wrap-free
 * outputs and the kernel spectra are the FFTW engine's (fft_plan.h), made for the problem of ONE
 * channel pair; per block (the FFT path has one, overlap-save tiles the outputs into blocks of
 * about 8 kernel lengths per axis, fconv_block_outputs):
 *  1. every (batch item, input channel) box is packed and transformed once (per-thread
 *     single-slot FFTW plans, items spread over the threads);
 *  2. per frequency bin, Y[b, o] = sum over the inputs i of o's group of H[o, i] X[b, i]: a small
 *     complex matrix product per bin, in tiles of CH_TILE bins (the units of the threads). A
 *     tile of the inputs' spectra (up to CH_XBYTES of batch items at once) is copied to planar
 *     form (re | im) in the thread's scratch, then the register-blocked micro-kernel
 *     (channel_kernels.c, fconv_ck_ops.cmac: CB items x CC output channels x one vector of
 *     bins) sums over the group's inputs, reading the filters' tile in the planar, tile-major
 *     layout set_kernel stored it in (one tile of every filter contiguous: streamed once per
 *     block of items); the planar sums are interleaved into the output spectra;
 *  3. one inverse transform and crop per (batch item, output channel).
 * set_kernel transforms each of the C_out x C_in/groups filters once (their spectra, with the
 * 1/prod(T) scale and CORRELATE's flip-conjugate folded in, are cached); an explicit kernel at
 * execute is transformed into scratch spectra made by create. */
#include <math.h>
#include <string.h>

#include "../core/dtype.h"
#include "../core/geometry.h"
#include "../core/memory.h"
#include "../path.h"
#include "../util.h"
#include "direct_kernels.h"
#include "fft_plan.h"

#define CH_TILE 64 /* bins per tile of the per-bin channel product (a multiple of every lane count) */
#define CH_XBYTES ((size_t)256 << 10) /* planar input spectra per tile and thread (cache) */
/* Seconds per complex multiply-add of the channel product on one thread (f32 measured on the
 * development machine with bench CNN layers 6 and 7, incl. streaming the filters; f64 2x). */
#define CH_CMAC_SECONDS_F32 2e-10
#define CH_CMAC_SECONDS_F64 4e-10

typedef struct {
  fconv_problem p;   /* the whole problem */
  fconv_problem p1;  /* one channel pair: the engine's problem */
  fconv_fc *fc;      /* the engine (geometry, pack, crop, kernel spectra) */
  int os;
  size_t nb[3];      /* blocks per axis */
  size_t sslot;      /* scalars per slot in our buffers (64-byte multiple) */
  size_t sb;         /* bytes per slot */
  fconv_fftw_plan fwd, bwd; /* single-slot, single-thread, in place */
  unsigned char *X;  /* batch * cin slots (one block) */
  unsigned char *Y;  /* batch * cout slots */
  /* filter spectra, planar and tile-major: tile t of filter q at ((t * filters + q) * 2) *
   * CH_TILE scalars (re), + CH_TILE (im); zeros past the spectrum */
  size_t tiles;
  size_t hbytes;     /* bytes of one set of filter spectra */
  unsigned char *H;  /* set_kernel's (allocated by the first set_kernel) */
  unsigned char *Hx; /* an explicit kernel's (create) */
  unsigned char *slot; /* one slot: a filter's spectrum before it is tiled */
  int H_valid;
  const fconv_ck_ops *ck;
  size_t lanes;      /* scalars per vector */
  size_t ib;         /* batch items per planar input block */
  size_t xp_sc, yp_sc; /* scalars per thread: planar inputs, planar sums */
  unsigned char *xp, *yp; /* per thread */
} chf_state;

static void p1_of(const fconv_problem *p, fconv_problem *q) {
  *q = *p;
  q->batch = q->kernel_batch = q->count = 1;
  q->cin = q->cout = q->groups = q->cig = q->cog = q->filters = 1;
  q->multichannel = 0;
}

/* Overlap-save geometry: per axis about 8 kernel lengths (at least 64) when that is shorter than
 * the single block. */
static void os_geometry(const fconv_problem *p1, const fconv_fc_geom *single, fconv_fc_geom *g) {
  *g = *single;
  for (int a = 0; a < 3; a++) {
    const fconv_axis *x = &p1->ax[a];
    if (x->out <= 1 || single->T[a] <= 1) continue;
    size_t need = 8 * x->k > 64 ? 8 * x->k : 64;
    size_t T = fconv_fc_good_size(need, !p1->is_complex && a == 2, 1.0);
    if (!T || T >= single->T[a]) continue;
    size_t Bo = fconv_block_outputs(p1, a, T);
    if (Bo == 0 || Bo >= x->out) continue;
    g->T[a] = T;
    g->Bo[a] = Bo;
  }
}

static int geometry(const fconv_problem *p, int os, fconv_problem *p1, fconv_fc_geom *g) {
  p1_of(p, p1);
  fconv_fc_geom single;
  if (!fconv_fc_single_block(p1, &single)) return 0;
  if (os) os_geometry(p1, &single, g); else *g = single;
  return 1;
}

static double model(const fconv_problem *p, int os) {
  if (!p->multichannel) return -1.0;
  fconv_problem p1;
  fconv_fc_geom g;
  if (!geometry(p, os, &p1, &g)) return -1.0;
  if (os) {
    int sectioned = 0;
    fconv_fc_geom single;
    fconv_fc_single_block(&p1, &single);
    for (int a = 0; a < 3; a++) sectioned |= g.T[a] != single.T[a];
    if (!sectioned) os = 2; /* the FFT path's geometry: AUTO prefers that path (below) */
  }
  /* transforms: the engine's model of count = (batch*(cin+cout)/2) forward+inverse pairs */
  fconv_problem q = p1;
  q.count = q.batch = (p->batch * (p->cin + p->cout) + 1) / 2;
  q.threads = p->threads;
  const double tf = fconv_fc_model(&q, &g);
  /* the channel product: batch * cout * cig complex multiply-adds per bin of every block */
  double bins = 1.0, blocks = 1.0;
  for (int a = 0; a < 3; a++) {
    bins *= (double)g.T[a];
    blocks *= ceil((double)p->ax[a].out / (double)g.Bo[a]);
  }
  if (!p->is_complex) bins = bins / (double)g.T[fconv_fc_halved_axis(g.T)] *
                             (double)(g.T[fconv_fc_halved_axis(g.T)] / 2 + 1);
  const double cmac = fconv_dtype_is_double(p->dtype) ? CH_CMAC_SECONDS_F64 : CH_CMAC_SECONDS_F32;
  const double prod = (double)p->batch * (double)p->cout * (double)p->cig * bins * blocks * cmac /
                      (double)p->threads;
  return (tf + prod) * (os == 2 ? 1.1 : 1.0);
}

static double chf_estimate(const fconv_problem *p) { return model(p, 0); }
static double chos_estimate(const fconv_problem *p) { return model(p, 1); }

static void chf_destroy(void *state) {
  chf_state *s = (chf_state *)state;
  if (!s) return;
  fconv_fftw_destroy(&s->fwd);
  fconv_fftw_destroy(&s->bwd);
  if (s->fc) fconv_fc_destroy(s->fc);
  fconv_free(s->X);
  fconv_free(s->Y);
  fconv_free(s->H);
  fconv_free(s->Hx);
  fconv_free(s->slot);
  fconv_free(s->xp);
  fconv_free(s->yp);
  fconv_free(s);
}

static fconv_status create(const fconv_problem *p, int os, void **state) {
  FCONV_RETURN_IF(!p->multichannel, FCONV_ERR_INTERNAL, "channel path for a plain problem");
  chf_state *s = (chf_state *)fconv_calloc(sizeof *s);
  FCONV_RETURN_IF(!s, FCONV_ERR_OUT_OF_MEMORY, "channel fft state");
  s->p = *p;
  s->os = os;
  fconv_fc_geom g;
  fconv_status st = FCONV_OK;
  if (!geometry(p, os, &s->p1, &g)) {
    chf_destroy(s);
    FCONV_RETURN_ERROR(FCONV_ERR_UNSUPPORTED, "transform length overflows");
  }
  void *fcs = NULL;
  st = fconv_fc_create(&s->p1, &g, os, &fcs);
  if (st != FCONV_OK) {
    chf_destroy(s);
    return st;
  }
  s->fc = (fconv_fc *)fcs;
  for (int a = 0; a < 3; a++) s->nb[a] = ceil_div(p->ax[a].out, g.Bo[a]);
  const size_t ss = fconv_dtype_scalar_size(p->dtype);
  s->sslot = (s->fc->s.slot * ss + 63) / 64 * 64 / ss;
  s->sb = s->sslot * ss;
  size_t nx, ny;
  s->ck = fconv_dk_select_isa()->ch;
  s->lanes = fconv_dk_select_isa()->vbytes / ss;
  s->tiles = ceil_div(s->fc->s.spec, CH_TILE);
  const size_t tile_sc = 2 * CH_TILE; /* scalars of one planar tile */
  s->ib = CH_XBYTES / (p->cin * tile_sc * ss);
  s->ib = s->ib < 1 ? 1 : s->ib > p->batch ? p->batch : s->ib;
  s->xp_sc = s->ib * p->cin * tile_sc;
  s->yp_sc = s->ck->cb * s->ck->cc * tile_sc;
  size_t xpb, ypb;
  if (fconv_mul_ovf(p->batch * p->cin, s->sb, &nx) || fconv_mul_ovf(p->batch * p->cout, s->sb, &ny) ||
      fconv_mul_ovf(s->tiles * p->filters, tile_sc * ss, &s->hbytes) ||
      fconv_mul_ovf((size_t)p->threads * s->xp_sc, ss, &xpb) ||
      fconv_mul_ovf((size_t)p->threads * s->yp_sc, ss, &ypb)) {
    chf_destroy(s);
    FCONV_RETURN_ERROR(FCONV_ERR_OUT_OF_MEMORY, "channel spectra overflow");
  }
  s->X = (unsigned char *)fconv_malloc(nx);
  s->Y = (unsigned char *)fconv_malloc(ny);
  s->Hx = (unsigned char *)fconv_malloc(s->hbytes);
  s->slot = (unsigned char *)fconv_malloc(s->sb);
  s->xp = (unsigned char *)fconv_malloc(xpb);
  s->yp = (unsigned char *)fconv_malloc(ypb);
  if (!s->X || !s->Y || !s->Hx || !s->slot || !s->xp || !s->yp) {
    chf_destroy(s);
    FCONV_RETURN_ERROR(FCONV_ERR_OUT_OF_MEMORY, "channel spectra");
  }
  const int measure = (p->flags & FCONV_FLAG_MEASURE) != 0;
  st = fconv_fftw_make(&s->fwd, &s->fc->fg, FCONV_FFTW_FORWARD, 1, s->X, s->X, 1, measure);
  if (st == FCONV_OK)
    st = fconv_fftw_make(&s->bwd, &s->fc->fg, FCONV_FFTW_BACKWARD, 1, s->Y, s->Y, 1, measure);
  if (st != FCONV_OK) {
    chf_destroy(s);
    return st;
  }
  *state = s;
  return FCONV_OK;
}

static fconv_status chf_create(const fconv_problem *p, void **state) { return create(p, 0, state); }
static fconv_status chos_create(const fconv_problem *p, void **state) { return create(p, 1, state); }

/* Spectra of every filter (user layout, C_out x cig x k) into dst (planar tiles). */
#define CH_DEF_TILE(TY, SUF)                                                                   \
  static void tile_spectrum_##SUF(const chf_state *s, const TY *src, TY *dst, size_t q) {      \
    const size_t spec = s->fc->s.spec;                                                         \
    for (size_t t = 0; t < s->tiles; t++) {                                                    \
      TY *re = dst + (t * s->p.filters + q) * 2 * CH_TILE, *im = re + CH_TILE;                 \
      const size_t f0 = t * CH_TILE, n = spec - f0 < CH_TILE ? spec - f0 : CH_TILE;            \
      for (size_t f = 0; f < n; f++) {                                                         \
        re[f] = src[2 * (f0 + f)];                                                             \
        im[f] = src[2 * (f0 + f) + 1];                                                         \
      }                                                                                        \
      for (size_t f = n; f < CH_TILE; f++) re[f] = im[f] = 0;                                  \
    }                                                                                          \
  }
CH_DEF_TILE(float, f)
CH_DEF_TILE(double, d)

static void filter_spectra(chf_state *s, const void *h, unsigned char *dst) {
  const size_t kb = s->p.ker_elems * s->p.esize;
  if (!s->fc->kplan) { /* no block reads a signal sample (the engine made no kernel plan): */
    memset(dst, 0, s->hbytes); /* every output is 0 */
    return;
  }
  for (size_t q = 0; q < s->p.filters; q++) {
    fconv_fc_kernel_spectra(s->fc, (const unsigned char *)h + q * kb, s->slot);
    if (fconv_dtype_is_double(s->p.dtype))
      tile_spectrum_d(s, (const double *)(void *)s->slot, (double *)(void *)dst, q);
    else
      tile_spectrum_f(s, (const float *)(void *)s->slot, (float *)(void *)dst, q);
  }
}

static fconv_status chf_set_kernel(void *state, const void *h, const fconv_kernel_info *info) {
  (void)info;
  chf_state *s = (chf_state *)state;
  if (!s->H) {
    s->H = (unsigned char *)fconv_malloc(s->hbytes);
    FCONV_RETURN_IF(!s->H, FCONV_ERR_OUT_OF_MEMORY, "filter spectra");
  }
  filter_spectra(s, h, s->H);
  s->H_valid = 1;
  return FCONV_OK;
}

/* ---- execute ------------------------------------------------------------------------------ */

/* Tile t of the channel product for every (batch item, output channel): the inputs' tile to
 * planar form (ib items at a time), the micro-kernel per (group, cc output channels, cb items),
 * its planar sums interleaved into Y. Items and channels past the end are computed on
 * duplicates of the last ones and not stored. */
#define CH_DEF_PRODUCT(TY, SUF)                                                                \
  static void product_tile_##SUF(const chf_state *s, const TY *H, size_t t, int tid) {         \
    const fconv_problem *p = &s->p;                                                            \
    const size_t ss = s->sslot, spec = s->fc->s.spec, f0 = t * CH_TILE, T2 = 2 * CH_TILE;      \
    const size_t n = spec - f0 < CH_TILE ? spec - f0 : CH_TILE;                                \
    const size_t nr = (n + s->lanes - 1) / s->lanes * s->lanes, cb = s->ck->cb, cc = s->ck->cc;\
    const fconv_dk_cmac_fn cmac = s->ck->cmac[fconv_dtype_is_double(p->dtype)];                \
    TY *xp = (TY *)(void *)s->xp + (size_t)tid * s->xp_sc;                                     \
    TY *yp = (TY *)(void *)s->yp + (size_t)tid * s->yp_sc;                                     \
    const TY *X = (const TY *)(const void *)s->X;                                              \
    TY *Y = (TY *)(void *)s->Y;                                                                \
    const void *xs[16], *hs[16];                                                               \
    for (size_t i0 = 0; i0 < p->batch; i0 += s->ib) {                                          \
      const size_t ni = p->batch - i0 < s->ib ? p->batch - i0 : s->ib;                         \
      for (size_t j = 0; j < ni * p->cin; j++) {                                               \
        const TY *src = X + ((i0 * p->cin) + j) * ss + 2 * f0;                                 \
        TY *re = xp + j * T2, *im = re + CH_TILE;                                              \
        for (size_t f = 0; f < n; f++) {                                                       \
          re[f] = src[2 * f];                                                                  \
          im[f] = src[2 * f + 1];                                                              \
        }                                                                                      \
        for (size_t f = n; f < nr; f++) re[f] = im[f] = 0;                                     \
      }                                                                                        \
      for (size_t g = 0; g < p->groups; g++)                                                   \
        for (size_t c0 = 0; c0 < p->cog; c0 += cc)                                             \
          for (size_t b0 = 0; b0 < ni; b0 += cb) {                                             \
            for (size_t b = 0; b < cb; b++) {                                                  \
              const size_t bb = b0 + b < ni ? b0 + b : ni - 1;                                 \
              xs[b] = xp + (bb * p->cin + g * p->cig) * T2;                                    \
            }                                                                                  \
            for (size_t c = 0; c < cc; c++) {                                                  \
              const size_t co = g * p->cog + (c0 + c < p->cog ? c0 + c : p->cog - 1);          \
              hs[c] = H + (t * p->filters + co * p->cig) * T2;                                 \
            }                                                                                  \
            cmac(yp, xs, hs, p->cig, CH_TILE, nr);                                             \
            for (size_t b = 0; b < cb && b0 + b < ni; b++)                                     \
              for (size_t c = 0; c < cc && c0 + c < p->cog; c++) {                             \
                const TY *re = yp + (b * cc + c) * T2, *im = re + CH_TILE;                     \
                TY *y = Y + ((i0 + b0 + b) * p->cout + g * p->cog + c0 + c) * ss + 2 * f0;     \
                for (size_t f = 0; f < n; f++) {                                               \
                  y[2 * f] = re[f];                                                            \
                  y[2 * f + 1] = im[f];                                                        \
                }                                                                              \
              }                                                                                \
          }                                                                                    \
    }                                                                                          \
  }
CH_DEF_PRODUCT(float, f)
CH_DEF_PRODUCT(double, d)

typedef struct {
  chf_state *s;
  const unsigned char *x;
  unsigned char *y;
  const unsigned char *H;
  fconv_span sp[3];
} chf_ctx;

static void forward_range(void *vctx, size_t begin, size_t end, int tid) {
  (void)tid;
  const chf_ctx *c = (const chf_ctx *)vctx;
  const chf_state *s = c->s;
  for (size_t j = begin; j < end; j++) {
    unsigned char *slot = s->X + j * s->sb;
    fconv_fc_pack_block(s->fc, c->x + j * s->p.sig_elems * s->p.esize, c->sp, slot, 1);
    fconv_fftw_exec(&s->fwd, slot, slot);
  }
}

static void product_range(void *vctx, size_t begin, size_t end, int tid) {
  const chf_ctx *c = (const chf_ctx *)vctx;
  const chf_state *s = c->s;
  for (size_t t = begin; t < end; t++) {
    if (fconv_dtype_is_double(s->p.dtype))
      product_tile_d(s, (const double *)(const void *)c->H, t, tid);
    else
      product_tile_f(s, (const float *)(const void *)c->H, t, tid);
  }
}

static void inverse_range(void *vctx, size_t begin, size_t end, int tid) {
  (void)tid;
  const chf_ctx *c = (const chf_ctx *)vctx;
  const chf_state *s = c->s;
  for (size_t j = begin; j < end; j++) {
    unsigned char *slot = s->Y + j * s->sb;
    fconv_fftw_exec(&s->bwd, slot, slot);
    fconv_fc_crop_block(s->fc, slot, c->sp, c->y + j * s->p.out_elems * s->p.esize, 1);
  }
}

static fconv_status chf_execute(void *state, const void *x, const void *h, void *y) {
  chf_state *s = (chf_state *)state;
  const fconv_problem *p = &s->p;
  const unsigned char *H = s->H;
  if (h) {
    filter_spectra(s, h, s->Hx);
    H = s->Hx;
  }
  FCONV_RETURN_IF(!H || (!h && !s->H_valid), FCONV_ERR_INVALID_ARGUMENT, "no kernel set");
  chf_ctx c;
  c.s = s;
  c.x = (const unsigned char *)x;
  c.y = (unsigned char *)y;
  c.H = H;
  const size_t tiles = s->tiles;
  for (size_t b0 = 0; b0 < s->nb[0]; b0++)
    for (size_t b1 = 0; b1 < s->nb[1]; b1++)
      for (size_t b2 = 0; b2 < s->nb[2]; b2++) {
        const size_t b[3] = {b0, b1, b2};
        for (int a = 0; a < 3; a++) fconv_block_span(&s->p1, a, s->fc->g.Bo[a], b[a], &c.sp[a]);
        fconv_parallel_for(p->batch * p->cin, 1, p->threads, forward_range, &c);
        fconv_parallel_for(tiles, 1, p->threads, product_range, &c);
        fconv_parallel_for(p->batch * p->cout, 1, p->threads, inverse_range, &c);
      }
  return FCONV_OK;
}

static void chf_describe(const void *state, fconv_plan_info *info) {
  const chf_state *s = (const chf_state *)state;
  for (int a = 0; a < 3; a++) {
    info->transform_shape[a] = 1;
    info->block_shape[a] = 0;
  }
  const int r = s->p.rank, off = 3 - r;
  for (int a = 0; a < r; a++) {
    info->transform_shape[a] = s->fc->g.T[off + a];
    info->block_shape[a] = s->os ? s->fc->g.Bo[off + a] : 0;
  }
  info->workspace_bytes = s->p.batch * (s->p.cin + s->p.cout) * s->sb + (1 + (s->H != NULL)) *
                          s->hbytes + (size_t)s->p.threads * (s->xp_sc + s->yp_sc) *
                          fconv_dtype_scalar_size(s->p.dtype);
}

const fconv_path_vtbl fconv_cpu_channels_fft_path = {
    .name = "cpu-channels-fft",
    .backend = FCONV_BACKEND_CPU,
    .method = FCONV_METHOD_FFT,
    .channels = FCONV_PATH_CHANNELS_ONLY,
    .estimate = chf_estimate,
    .create = chf_create,
    .set_kernel = chf_set_kernel,
    .execute = chf_execute,
    .destroy = chf_destroy,
    .describe = chf_describe,
};

const fconv_path_vtbl fconv_cpu_channels_overlap_save_path = {
    .name = "cpu-channels-overlap-save",
    .backend = FCONV_BACKEND_CPU,
    .method = FCONV_METHOD_OVERLAP_SAVE,
    .channels = FCONV_PATH_CHANNELS_ONLY,
    .estimate = chos_estimate,
    .create = chos_create,
    .set_kernel = chf_set_kernel,
    .execute = chf_execute,
    .destroy = chf_destroy,
    .describe = chf_describe,
};
