/* fft_path.cu — the CUDA FFT path (one batched transform per execute) and the CUDA overlap-save
 * path (the output cut into blocks along every axis, all blocks of all signals ONE batched
 * transform): planning, the cost model, and the launch code. Device code is in fft_kernels.cuh,
 * the transforms behind fft_dev.h (cuFFT; FFTW in the emulator tests), memory and streams
 * behind dev.h.
 *
 * Per execute, on the plan's stream:
 *   [host pointers: signal -> pinned chunks -> device (dev.h's stager)]
 *   gather:  the extended signal windows (boundary rule applied here) -> the data box of every
 *            item of P, the plan's persistent transform input (batch * blocks items of M per
 *            axis) whose zero padding was written ONCE, at create: per execute only the
 *            positions that carry samples are rewritten, always the same set
 *   fft:     P -> X forward, OUT of place (R2C for real dtypes, C2C for complex), so P's zeros
 *            stay (cuFFT keeps the input of out-of-place R2C / C2C; only C2R overwrites it)
 *   mul:     Y = X * H (conj(H) for correlation); H cached by set_kernel, 1/prod(M) folded
 *            into H when it is made, so no pass scales anything
 *   fft:     Y inverse in place
 *   extract: the mode's window, stride and blocks of every item -> out, one kernel, 32-bit
 *            index math with divisors precomputed at create (fastdiv.cuh) where sizes allow
 *            [host pointers: -> pinned -> out]
 * Passes over device memory and bytes per output: traffic() below (the cost model's and the
 * FCONV_DEBUG log's one count); figures in docs/cuda-kernels.md.
 * Host-pointer executes return with out in place; device-pointer ones too unless the caller
 * gave a stream (fconv_plan_set_cuda_stream), where they only queue the work.
 * Transform extents per axis: the rules of both backends (core/geometry.h). One block ("single"
 * axes): the box of the extended window the outputs read (for ZERO clipped to the signal), M the
 * core's wrap-free need (e.g. n + k/2 for SAME/ZERO), rounded by this path's size choice.
 * Overlap-save ("blocked" axes): bo = fconv_block_outputs(M) outputs per block, M chosen by
 * the cost model. On a GPU
 * cuFFT's cost per point is flat up to one shared-memory pass (~2^12 points per axis), so the
 * model picks blocks near that size, usually longer than the CPU's 4-8 x kernel.
 *
 * Multi-channel problems (fconv_desc_set_channels; host pointers, the api refuses device ones):
 * the same steps over items: batch x C_in signal items are padded and transformed, the C_out x
 * C_in/groups filters' spectra cached, and the multiply is the per-bin channel reduction
 * (channels_kernels.cuh, fconv_ch_product_kernel: a batched complex matrix product per bin,
 * fconv's own kernel: cuBLAS's cublasCgemmStridedBatched would need the bins as the batch with
 * the channels as strided matrices, i.e. a transposed spectra layout, plus a cuBLAS dependency
 * and handle per plan; at the channel counts of CNN layers (a few hundred) the product should be
 * bound by reading the spectra, which the register-tiled kernel does once per tile (a model, not
 * measured: no GPU here)), then batch x C_out inverse transforms and crops.
 *
 * Not done: cuFFT LTO callbacks (cufftXtSetJITCallback) could also move the gather into the
 * forward transform's load, the multiply into its store and the extraction into the inverse's
 * store (~4 fewer passes over the buffer). They need LTO-IR fatbins built with -dlto, nvJitLink
 * at run time and a GPU to check them, none of which this code could be tested with; the
 * persistent pre-zeroed input with fused gather / extract kernels is the path.
 */
#include "compat.cuh"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "channels_kernels.cuh"
#include "dev.h"
#include "fft_dev.h"
#include "fft_kernels.cuh"
#include "host.h"

#include "../core/geometry.h"

/* ---- cost model: the constants are cost.h's (the device's calibration file, or defaults from
 * its properties) ------------------------------------------------------------------------------ */

/* Test hook (emulator tests only): when > 0, overlap-save blocks are at most this long on
 * every axis, so small problems get many blocks. */
extern "C" FCONV_HIDDEN long long fconv_cuda_os_test_max_fft;
long long fconv_cuda_os_test_max_fft = 0;

/* ---- geometry -------------------------------------------------------------------------------- */

enum { AX_SINGLE, AX_BLOCKED };

typedef struct fft_geom {
  long long M[3];   /* transform extent (1: axis not transformed) */
  long long nb[3];  /* blocks */
  long long bo[3];  /* outputs per block */
  int kind[3];      /* AX_* */
  fconv_span sp[3]; /* AX_SINGLE: the box the one block reads (core/geometry.h) */
  long long NB;     /* nb0 * nb1 * nb2 */
  long long pitch;  /* elements per buffer row along axis 2 (real: 2*(M2/2+1), complex: M2) */
  long long spec;   /* complex elements per spectrum item */
  size_t item_bytes;/* bytes per buffer item (spec complex values) */
} fft_geom;

/* Transform extent for a requirement `need` along axis a: a fast size; axis 2 is always
 * transformed (>= 2) and even for real dtypes (R2C along it). 0 on overflow. */
static size_t fft_len(const fconv_problem *p, int a, size_t need) {
  if (a == 2) return p->is_complex ? fconv_fft_size(need < 2 ? 2 : need) : fconv_fft_size_even(need);
  return fconv_fft_size(need);
}

/* The CUDA paths' size choice for the core's single-block geometry. */
static size_t choose_size(const fconv_problem *p, int a, const size_t need[3], void *ctx) {
  (void)ctx;
  const size_t m = fft_len(p, a, need[a]);
  return m > (size_t)LLONG_MAX ? 0 : m;
}

static void axis_blocked(const fconv_problem *p, int a, long long M, fft_geom *g) {
  const fconv_axis *x = &p->ax[a];
  g->kind[a] = AX_BLOCKED;
  g->M[a] = M;
  g->bo[a] = (long long)fconv_block_outputs(p, a, (size_t)M);
  g->nb[a] = ((long long)x->out + g->bo[a] - 1) / g->bo[a];
}

/* Derived sizes; 0 on success, 1 when they overflow. */
static int geom_finish(const fconv_problem *p, fft_geom *g) {
  for (int a = 0; a < 3; a++)
    if (g->M[a] <= 0) return 1;
  const long long M2 = g->M[2], h2 = p->is_complex ? M2 : M2 / 2 + 1;
  g->pitch = p->is_complex ? M2 : 2 * h2;
  long long t;
  if (__builtin_mul_overflow(g->M[0], g->M[1], &t) || __builtin_mul_overflow(t, h2, &g->spec))
    return 1;
  if (__builtin_mul_overflow(g->nb[0], g->nb[1], &t) || __builtin_mul_overflow(t, g->nb[2], &g->NB))
    return 1;
  size_t cs = 2 * (fconv_dtype_is_double(p->dtype) ? sizeof(double) : sizeof(float));
  return fconv_mul_ovf((size_t)g->spec, cs, &g->item_bytes);
}

/* ---- items: a multi-channel problem has batch x C_in signals, C_out x cig filters and
 * count x C_out outputs (all 1 x the plain counts for single-channel problems) ------------------ */
static size_t items_x(const fconv_problem *p) { return p->batch * p->cin; }
static size_t items_k(const fconv_problem *p) { return p->kernel_batch * p->filters; }
static size_t items_y(const fconv_problem *p) { return p->count * p->cout; }

/* ---- the model ------------------------------------------------------------------------------- */

/* Positions of one item of P that carry samples (the gather writes them, every execute): the
 * data box, cnt per axis (a blocked axis: all M; the positions whose source lies outside the
 * window, which the gather skips too, are not subtracted). */
static double data_box(const fft_geom *g) {
  double v = 1;
  for (int a = 0; a < 3; a++) v *= g->kind[a] == AX_SINGLE ? (double)g->sp[a].c : (double)g->M[a];
  return v;
}

/* What one execute moves through device memory (bytes), step by step: the cost model's and
 * the FCONV_DEBUG log's one count. */
typedef struct fft_traffic {
  double gather;  /* read the signal windows, write P's data box */
  double fwd;     /* forward transforms: each pass through device memory reads and writes */
  double mul;     /* read X and H, write Y (the channel product: X once per output tile) */
  double inv;     /* inverse transforms */
  double extract; /* read the outputs' positions, write the outputs */
  double buffer;  /* bytes of all signal spectra (one "pass over the transform buffer") */
  double outputs; /* output elements */
  int passes;     /* cuFFT passes through device memory per transform */
  double flops;   /* butterflies of every transform */
  double ch_flops;/* the channel product's */
} fft_traffic;

static void traffic(const fconv_problem *p, const fft_geom *g, fft_traffic *t) {
  const double es = (double)p->esize, cs = (double)g->item_bytes / (double)g->spec;
  const double spec = (double)g->spec, NB = (double)g->NB;
  const double vol = (double)g->M[0] * (double)g->M[1] * (double)g->M[2];
  int passes = 0;
  for (int a = 0; a < 3; a++)
    if (g->M[a] > 1) passes += (int)ceil(log2((double)g->M[a]) / FCONV_CUFFT_PASS_LOG2);
  const double xi = (double)items_x(p), yi = (double)items_y(p);
  const double bx = xi * NB, by = yi * NB; /* transform items */
  t->passes = passes;
  t->gather = 2.0 * bx * data_box(g) * es;
  t->fwd = bx * 2.0 * spec * cs * passes;
  t->inv = by * 2.0 * spec * cs * passes;
  t->mul = (bx + (double)items_k(p) + by) * spec * cs;
  if (p->multichannel) /* X read once per tile of FCONV_CH_TO output channels */
    t->mul = (bx * ceil((double)p->cog / FCONV_CH_TO) + (double)items_k(p) + by) * spec * cs;
  t->outputs = yi * (double)p->out_elems;
  t->extract = 2.0 * t->outputs * es;
  t->buffer = bx * spec * cs;
  t->flops = (bx + by) * (p->is_complex ? 5.0 : 2.5) * vol * log2(vol > 2 ? vol : 2);
  t->ch_flops = p->multichannel ? 8.0 * by * (double)p->cig * spec : 0.0;
}

/* Modelled seconds of one execute with geometry g. */
static double model(const fconv_problem *p, const fft_geom *g) {
  fft_traffic t;
  traffic(p, g, &t);
  const fconv_cuda_cost *c = fconv_cuda_cost_get();
  const double fft_flops = fconv_cost_fft_flops(c, fconv_dtype_is_double(p->dtype));
  /* the transforms as calibrated (fft_scale: measured / modelled cuFFT time) */
  const double fft = c->fft_scale * fconv_cost_fft_seconds(c, t.fwd + t.inv, t.flops,
                                                           fconv_dtype_is_double(p->dtype));
  double s = (t.gather + t.mul + t.extract) / c->mem_bw + t.ch_flops / fft_flops + fft +
             5 * c->launch_s;
  const double staged = ((double)items_x(p) * (double)p->sig_elems + t.outputs) * (double)p->esize;
  return s + fconv_dev_transfer_seconds(p, staged);
}

/* One block per axis: the core's wrap-free extents (the rule of both backends), CUDA sizes. */
static int geom_single(const fconv_problem *p, fft_geom *g) {
  memset(g, 0, sizeof *g);
  size_t T[3];
  if (!fconv_single_block(p, choose_size, NULL, T, g->sp)) return 1;
  for (int a = 0; a < 3; a++) {
    g->kind[a] = AX_SINGLE;
    g->M[a] = (long long)T[a];
    g->nb[a] = 1;
    g->bo[a] = (long long)p->ax[a].out;
  }
  return geom_finish(p, g);
}

#define OS_MAX_CAND 20

/* Overlap-save: per axis, the one-block choice plus block lengths from fast sizes >= k + stride
 * (two outputs per block) that give at least two blocks; every combination is modelled and the
 * cheapest with at least one blocked axis wins (when no axis can be blocked: one block, i.e.
 * the FFT path's geometry). *cost receives its model. 1 on overflow. */
static int geom_os(const fconv_problem *p, fft_geom *best, double *cost) {
  fft_geom single;
  if (geom_single(p, &single)) return 1;
  long long cand[3][OS_MAX_CAND + 1];
  int nc[3];
  int any = 0;
  for (int a = 0; a < 3; a++) {
    const fconv_axis *x = &p->ax[a];
    nc[a] = 0;
    cand[a][nc[a]++] = 0; /* 0: one block */
    long long need = (long long)(x->k + x->stride);
    while (nc[a] <= OS_MAX_CAND) {
      long long M = (long long)fft_len(p, a, (size_t)need);
      if (M <= 0 || M >= single.M[a]) break;
      if (fconv_cuda_os_test_max_fft > 0 && M > fconv_cuda_os_test_max_fft) break;
      long long bo = (M - (long long)x->k) / (long long)x->stride + 1;
      if (bo >= (long long)x->out) break; /* one block */
      cand[a][nc[a]++] = M;
      need = M + (M / 4 > 1 ? M / 4 : 1);
    }
    any |= nc[a] > 1;
  }
  double best_cost = -1;
  for (int i0 = 0; i0 < nc[0]; i0++)
    for (int i1 = 0; i1 < nc[1]; i1++)
      for (int i2 = 0; i2 < nc[2]; i2++) {
        const int ci[3] = {i0, i1, i2};
        if (any && !cand[0][i0] && !cand[1][i1] && !cand[2][i2]) continue;
        fft_geom g = single;
        for (int a = 0; a < 3; a++)
          if (cand[a][ci[a]]) axis_blocked(p, a, cand[a][ci[a]], &g);
        if (geom_finish(p, &g)) continue;
        double c = model(p, &g);
        if (best_cost < 0 || c < best_cost) {
          best_cost = c;
          *best = g;
        }
      }
  if (best_cost < 0) return 1;
  /* A one-block "overlap-save" is the FFT path with extra steps: let the FFT path win ties. */
  *cost = any ? best_cost : best_cost * 1.001 + 1e-7;
  return 0;
}

static double fft_estimate(const fconv_problem *p) {
  fft_geom g;
  return geom_single(p, &g) ? -1.0 : model(p, &g);
}

static double os_estimate(const fconv_problem *p) {
  fft_geom g;
  double c;
  return geom_os(p, &g, &c) ? -1.0 : c;
}

/* ---- the state ------------------------------------------------------------------------------- */

typedef struct fft_state {
  fconv_problem p;
  int os;
  fft_geom g;
  fconv_cuda_host h;      /* device, stream, workspace, stager (host.h) */
  int host;               /* host pointers (staged through pinned buffers) */
  fconv_fft *fx, *fh, *fy;/* forward signals (items_x*NB; P -> X out of place), forward
                             kernels (items_k, in place), inverse products (items_y*NB, in
                             place) */
  void *xin;              /* P: the signals' transform input, items_x*NB items of xin_dist
                             elements (rows of M2, no R2C padding), plan-owned and zeroed at
                             create; the gather rewrites only its data box */
  size_t xin_bytes;
  long long xin_dist;
  size_t fft_work;        /* largest work area of the three */
  void *hspec;            /* cached kernel spectra (items_k), plan-owned */
  int have_kernel;
  /* workspace (h.ws): one device buffer, plan-owned or the caller's (set_workspace) */
  size_t ws_need;
  size_t off_x, off_y, off_k, off_sig, off_ker, off_out, off_work;
  size_t sig_bytes, ker_bytes, out_bytes;
} fft_state;

#define WS_ALIGN FCONV_CUDA_WS_ALIGN

static size_t align_up(size_t v) { return (v + WS_ALIGN - 1) & ~(size_t)(WS_ALIGN - 1); }

/* Lay out the workspace; 1 on overflow. */
static int ws_layout(fft_state *s) {
  const fconv_problem *p = &s->p;
  const fft_geom *g = &s->g;
  size_t off = 0, b;
#define WS_REGION(field, count, unit)                                                 \
  do {                                                                                \
    s->field = off;                                                                   \
    if (fconv_mul_ovf((size_t)(count), (unit), &b) || fconv_add_ovf(off, b, &off) || \
        off > SIZE_MAX - WS_ALIGN)                                                    \
      return 1;                                                                       \
    off = align_up(off);                                                              \
  } while (0)
  size_t nx, ny;
  if (fconv_mul_ovf(items_x(p), (size_t)g->NB, &nx) || fconv_mul_ovf(items_y(p), (size_t)g->NB, &ny))
    return 1;
  /* Y in place on X, except for channels (the product reads every input of a bin) */
  const int inplace = !p->multichannel && p->batch == p->count;
  WS_REGION(off_x, nx, g->item_bytes);
  WS_REGION(off_y, inplace ? 0 : ny, g->item_bytes);
  if (inplace) s->off_y = s->off_x;
  WS_REGION(off_k, items_k(p), g->item_bytes);
  WS_REGION(off_sig, s->host ? s->sig_bytes : 0, 1);
  WS_REGION(off_ker, s->host ? s->ker_bytes : 0, 1);
  WS_REGION(off_out, s->host ? s->out_bytes : 0, 1);
  WS_REGION(off_work, s->fft_work, 1);
#undef WS_REGION
  s->ws_need = off;
  return 0;
}

/* Layout of `howmany` transforms of geometry g (axes with M == 1 left out, axis 2 always in).
 * In place, for real dtypes: R2C/C2R with rows padded to 2*(M2/2+1) reals. tight_in: out of
 * place from P (rows of M2 elements, items xin_dist apart) into the in-place layout's spectra. */
static void fft_layout(const fconv_problem *p, const fft_geom *g, long long howmany, int c2r,
                       int tight_in, fconv_fft_layout *l) {
  memset(l, 0, sizeof *l);
  int r = 0;
  for (int a = 0; a < 3; a++) {
    if (g->M[a] == 1 && a != 2) continue;
    l->n[r] = g->M[a];
    l->inembed[r] = l->onembed[r] = g->M[a];
    r++;
  }
  l->rank = r;
  l->istride = l->ostride = 1;
  l->howmany = howmany;
  if (p->is_complex) {
    l->idist = l->odist = g->spec; /* tight too: complex rows carry no padding */
    return;
  }
  long long *re = c2r ? l->onembed : l->inembed, *ce = c2r ? l->inembed : l->onembed;
  re[r - 1] = g->pitch;
  ce[r - 1] = g->M[2] / 2 + 1;
  if (c2r) {
    l->idist = g->spec;
    l->odist = 2 * g->spec;
  } else if (tight_in) {
    l->inembed[r - 1] = g->M[2];
    l->idist = g->M[0] * g->M[1] * g->M[2];
    l->odist = g->spec;
  } else {
    l->idist = 2 * g->spec;
    l->odist = g->spec;
  }
}

static void state_free(fft_state *s) {
  fconv_cuda_host_destroy(&s->h); /* first: nothing in flight uses our memory */
  fconv_fft_destroy(s->fx);
  fconv_fft_destroy(s->fh);
  fconv_fft_destroy(s->fy);
  fconv_dev_free(s->hspec);
  fconv_dev_free(s->xin);
  fconv_free(s);
}

/* Point the transforms at the current stream and work area. */
static fconv_status bind_plans(fft_state *s) {
  void *work = s->fft_work ? s->h.ws + s->off_work : NULL;
  fconv_fft *plans[3] = {s->fx, s->fh, s->fy};
  for (int i = 0; i < 3; i++) {
    FCONV_FORWARD(fconv_fft_set_stream(plans[i], s->h.stream));
    FCONV_FORWARD(fconv_fft_set_work_area(plans[i], work));
  }
  return FCONV_OK;
}

static fconv_status make_plan(fft_state *s, fconv_fft_kind kind, long long howmany, int in_place,
                              fconv_fft **out) {
  fconv_fft_layout l;
  fft_layout(&s->p, &s->g, howmany, kind == FCONV_FFT_C2R, !in_place, &l);
  size_t work = 0;
  FCONV_FORWARD(
      fconv_fft_plan_many(out, kind, fconv_dtype_is_double(s->p.dtype), &l, in_place, &work));
  if (work > s->fft_work) s->fft_work = work;
  return FCONV_OK;
}

static fconv_status path_create(const fconv_problem *p, void **state, int os) {
  fft_state *s = (fft_state *)fconv_calloc(sizeof *s);
  FCONV_RETURN_IF(!s, FCONV_ERR_OUT_OF_MEMORY, "cuda fft state");
  s->p = *p;
  s->os = os;
  s->host = !(p->flags & FCONV_FLAG_DEVICE_POINTERS);
  double cost;
  if (os ? geom_os(p, &s->g, &cost) : geom_single(p, &s->g)) {
    fconv_free(s);
    FCONV_RETURN_ERROR(FCONV_ERR_UNSUPPORTED, "transform sizes overflow size_t");
  }
  fconv_status st = FCONV_OK;
  if (fconv_mul_ovf(items_x(p) * p->sig_elems, p->esize, &s->sig_bytes) ||
      fconv_mul_ovf(items_k(p) * p->ker_elems, p->esize, &s->ker_bytes) ||
      fconv_mul_ovf(items_y(p) * p->out_elems, p->esize, &s->out_bytes))
    st = FCONV_ERROR(FCONV_ERR_UNSUPPORTED, "byte counts overflow size_t");
  size_t items; /* the largest transform batch */
  const size_t most_items = items_x(p) > items_y(p) ? items_x(p) : items_y(p);
  if (fconv_mul_ovf(most_items, (size_t)s->g.NB, &items) || items > (size_t)LLONG_MAX ||
      items_k(p) > (size_t)LLONG_MAX)
    st = FCONV_ERROR(FCONV_ERR_UNSUPPORTED, "transform batch overflows");
  const fconv_fft_kind fwd = p->is_complex ? FCONV_FFT_C2C : FCONV_FFT_R2C;
  const fconv_fft_kind inv = p->is_complex ? FCONV_FFT_C2C : FCONV_FFT_C2R;
  if (st == FCONV_OK) st = fconv_cuda_host_init(&s->h, p);
  s->xin_dist = s->g.M[0] * s->g.M[1] * s->g.M[2]; /* <= spec * 2: no overflow */
  size_t xin_elems;
  if (st == FCONV_OK &&
      (fconv_mul_ovf(items_x(p) * (size_t)s->g.NB, (size_t)s->xin_dist, &xin_elems) ||
       fconv_mul_ovf(xin_elems, p->esize, &s->xin_bytes)))
    st = FCONV_ERROR(FCONV_ERR_UNSUPPORTED, "transform input overflows size_t");
  if (st == FCONV_OK) st = make_plan(s, fwd, (long long)items_x(p) * s->g.NB, 0, &s->fx);
  if (st == FCONV_OK) st = make_plan(s, fwd, (long long)items_k(p), 1, &s->fh);
  if (st == FCONV_OK) st = make_plan(s, inv, (long long)items_y(p) * s->g.NB, 1, &s->fy);
  if (st == FCONV_OK && ws_layout(s))
    st = FCONV_ERROR(FCONV_ERR_UNSUPPORTED, "workspace overflows size_t");
  if (st == FCONV_OK) st = fconv_dev_malloc(&s->hspec, items_k(p) * s->g.item_bytes);
  /* P's zero padding, written once: the gather never writes it, nothing else writes P */
  if (st == FCONV_OK) st = fconv_dev_malloc(&s->xin, s->xin_bytes);
  if (st == FCONV_OK) st = fconv_dev_memset(s->xin, 0, s->xin_bytes, s->h.stream);
  if (st == FCONV_OK) st = fconv_dev_stream_sync(s->h.stream);
  if (st == FCONV_OK) {
    size_t most = s->sig_bytes > s->ker_bytes ? s->sig_bytes : s->ker_bytes;
    st = fconv_cuda_host_alloc(&s->h, s->ws_need, most > s->out_bytes ? most : s->out_bytes);
  }
  if (st == FCONV_OK) st = bind_plans(s);
  if (st != FCONV_OK) {
    state_free(s);
    return st;
  }
  if (fconv_debug_enabled()) {
    fft_traffic t;
    traffic(p, &s->g, &t);
    const double all = t.gather + t.fwd + t.mul + t.inv + t.extract;
    FCONV_LOG("%s: per execute %.2f passes over the transform buffer (gather %.2f, forward "
              "%.2f, multiply %.2f, inverse %.2f, extract %.2f), %.1f bytes per output",
              os ? "cuda-overlap-save" : "cuda-fft", all / t.buffer, t.gather / t.buffer,
              t.fwd / t.buffer, t.mul / t.buffer, t.inv / t.buffer, t.extract / t.buffer,
              all / t.outputs);
  }
  FCONV_LOG("%s: M %lldx%lldx%lld kinds %d%d%d (0 single, 1 blocked) blocks "
            "%lldx%lldx%lld of %lldx%lldx%lld outputs, workspace %zu bytes",
            os ? "cuda-overlap-save" : "cuda-fft", s->g.M[0], s->g.M[1], s->g.M[2],
            s->g.kind[0], s->g.kind[1], s->g.kind[2], s->g.nb[0], s->g.nb[1], s->g.nb[2],
            s->g.bo[0], s->g.bo[1], s->g.bo[2], s->h.ws_bytes);
  *state = s;
  return FCONV_OK;
}

static fconv_status fft_create(const fconv_problem *p, void **state) {
  return path_create(p, state, 0);
}
static fconv_status os_create(const fconv_problem *p, void **state) {
  return path_create(p, state, 1);
}

static void path_destroy(void *state) {
  if (!state) return;
  fconv_device_scope scope(((fft_state *)state)->h.device);
  state_free((fft_state *)state);
}

/* ---- launches -------------------------------------------------------------------------------- */

/* Block and grid for `rows` rows of `len` elements: x along the row, y over rows, 256 threads
 * at most. Short rows share a block (warps are formed from consecutive x, then y, so a warp
 * spans several short rows; no lane idles), and small launches get no idle rows. */
static void rows_config(long long rows, long long len, dim3 *grid, dim3 *block) {
  unsigned bx = 1, by = 1;
  while (bx < 256 && (long long)bx < len) bx *= 2;
  while (by < 256 / bx && (long long)by < rows) by *= 2;
  long long gx = (len + bx - 1) / bx, gy = (rows + by - 1) / by;
  if (gx > 1024) gx = 1024; /* grid-stride beyond */
  if (gy > 65535) gy = 65535;
  *block = dim3(bx, by, 1);
  *grid = dim3((unsigned)(gx > 0 ? gx : 1), (unsigned)(gy > 0 ? gy : 1), 1);
}

/* A rows x len launch of a kernel in its 32-bit (narrow) or 64-bit (wide) instance. */
template <class Args>
static fconv_status launch_rows(void (*narrow)(Args), void (*wide_kernel)(Args), int wide,
                                long long rows, long long len, const Args &a, void *stream) {
  dim3 grid, block;
  rows_config(rows, len, &grid, &block);
  return wide ? FCONV_LAUNCH(wide_kernel, grid, block, 0, stream, a)
              : FCONV_LAUNCH(narrow, grid, block, 0, stream, a);
}

/* The gather for the dtype's element type T (real or interleaved complex). */
template <class T>
static fconv_status launch_gather_t(const fconv_gather_args &a, int wide, void *stream) {
  return launch_rows(fconv_fft_gather_kernel<T, false>, fconv_fft_gather_kernel<T, true>, wide,
                     a.rows, a.ax[2].R, a, stream);
}

#define LAUNCH_GATHER_(E, S, C) \
  return launch_gather_t<fconv_elem<S, C>::type>(a, wide, s->h.stream);
/* Complete a's derived fields and launch it. */
static fconv_status launch_gather(const fft_state *s, fconv_gather_args &a) {
  const int wide = fconv_gather_prepare(&a);
  FCONV_DTYPE_DISPATCH(s->p.dtype, LAUNCH_GATHER_)
  return FCONV_ERR_INTERNAL;
}
#undef LAUNCH_GATHER_

/* Gather arguments common to signals and kernels: `items` sources `src_dist` elements apart into
 * transform buffer items at dst, dst_dist elements apart, rows of `pitch` elements. */
static void gather_args_init(const fft_state *s, fconv_gather_args *a, const void *src,
                             size_t src_dist, size_t items, void *dst, long long dst_dist,
                             long long pitch) {
  memset(a, 0, sizeof *a);
  a->src = src;
  a->src_dist = (long long)src_dist;
  a->items = (long long)items;
  a->dst = dst;
  a->dst_dist = dst_dist;
  a->pitch = pitch;
  a->scale = 1.0;
  (void)s;
}

/* Signal windows of every block into P's data boxes (the padding is zero since create). */
static fconv_status gather_signal(const fft_state *s, const void *x) {
  const fconv_problem *p = &s->p;
  const fft_geom *g = &s->g;
  fconv_gather_args a;
  gather_args_init(s, &a, x, p->sig_elems, items_x(p), s->xin, s->xin_dist, g->M[2]);
  a.boundary = (int)p->boundary;
  a.flip_conj = p->signal_flip;
  a.full = 0;
  for (int d = 0; d < 3; d++) {
    const fconv_axis *x = &p->ax[d];
    fconv_gather_axis *q = &a.ax[d];
    const long long n = (long long)x->n, p0 = (long long)x->p0, p1 = (long long)x->p1;
    q->n = n;
    q->M = g->M[d];
    q->nb = g->nb[d];
    q->lo = -p0;
    q->hi = n + p1;
    if (g->kind[d] == AX_SINGLE) { /* the block's box (clipped to the signal for ZERO) */
      q->off = (long long)g->sp[d].org - p0;
      q->cnt = (long long)g->sp[d].c;
    } else {
      q->off = -p0;
      q->step = g->bo[d] * (long long)x->stride;
      q->cnt = g->M[d];
    }
    q->R = q->cnt; /* only the data box */
  }
  if (a.ax[0].R == 0 || a.ax[1].R == 0 || a.ax[2].R == 0) return FCONV_OK; /* all padding */
  return launch_gather(s, a);
}

/* Kernels (user layout), scaled by 1/prod(M) (the transform's normalisation, so no later pass
 * scales), zero-padded into items_k whole items at dst (in the in-place transform layout: the
 * transform overwrites them), then transformed there. */
static fconv_status kernel_spectra(const fft_state *s, const void *h, void *dst) {
  const fconv_problem *p = &s->p;
  const fft_geom *g = &s->g;
  fconv_gather_args a;
  gather_args_init(s, &a, h, p->ker_elems, items_k(p), dst,
                   2 * g->spec / (p->is_complex ? 2 : 1), g->pitch);
  a.boundary = (int)FCONV_BOUNDARY_ZERO;
  a.scale = 1.0 / ((double)g->M[0] * (double)g->M[1] * (double)g->M[2]);
  a.full = 1;
  for (int d = 0; d < 3; d++) {
    fconv_gather_axis *q = &a.ax[d];
    q->n = q->cnt = q->hi = (long long)p->ax[d].k;
    q->M = g->M[d];
    q->R = d == 2 ? g->pitch : g->M[d];
    q->nb = 1;
  }
  FCONV_FORWARD(launch_gather(s, a));
  return fconv_fft_exec(s->fh, dst, dst, 0);
}

template <class R, class C>
static fconv_status launch_mul_t(const fft_state *s, const void *H) {
  const fconv_problem *p = &s->p;
  fconv_mul_args<R, C> a;
  a.X = (const C *)(s->h.ws + s->off_x);
  a.Y = (C *)(s->h.ws + s->off_y);
  a.H = (const C *)H;
  a.spec = s->g.spec;
  a.nb = s->g.NB;
  a.count = (long long)p->count;
  a.batch = (long long)p->batch;
  a.kernel_batch = (long long)p->kernel_batch;
  a.group = p->batch == 1 && p->count > 1 ? 8 : 1; /* filter bank: X[f] read once per group */
  a.conj = p->op == FCONV_OP_CORRELATE;
  dim3 grid, block;
  rows_config(a.nb * ((a.count + a.group - 1) / a.group), a.spec, &grid, &block);
  void (*const mul_kernel)(fconv_mul_args<R, C>) = fconv_fft_mul_kernel<R, C>;
  return FCONV_LAUNCH(mul_kernel, grid, block, 0, s->h.stream, a);
}

/* Multi-channel: the per-bin channel product (channels_kernels.cuh). Grid rows: (block, item
 * tile, group, channel tile); columns: bins. */
template <class R, class C>
static fconv_status launch_channel_product_t(const fft_state *s, const void *H) {
  const fconv_problem *p = &s->p;
  fconv_ch_product_args<R, C> a;
  a.X = (const C *)(s->h.ws + s->off_x);
  a.Y = (C *)(s->h.ws + s->off_y);
  a.H = (const C *)H;
  a.spec = s->g.spec;
  a.nb = s->g.NB;
  a.batch = (long long)p->batch;
  a.cin = (long long)p->cin;
  a.cout = (long long)p->cout;
  a.cig = (long long)p->cig;
  a.cog = (long long)p->cog;
  a.conj = p->op == FCONV_OP_CORRELATE;
  const long long rows = a.nb * ((a.batch + FCONV_CH_TB - 1) / FCONV_CH_TB) *
                         (long long)p->groups * ((a.cog + FCONV_CH_TO - 1) / FCONV_CH_TO);
  dim3 grid, block;
  rows_config(rows, a.spec, &grid, &block);
  void (*const product_kernel)(fconv_ch_product_args<R, C>) = fconv_ch_product_kernel<R, C>;
  return FCONV_LAUNCH(product_kernel, grid, block, 0, s->h.stream, a);
}

static fconv_status launch_mul(const fft_state *s, const void *H) {
  const int dbl = fconv_dtype_is_double(s->p.dtype);
  if (s->p.multichannel)
    return dbl ? launch_channel_product_t<double, double2>(s, H)
               : launch_channel_product_t<float, float2>(s, H);
  if (dbl) return launch_mul_t<double, double2>(s, H);
  return launch_mul_t<float, float2>(s, H);
}

template <class T>
static fconv_status launch_extract_t(const fconv_extract_args &a, int wide, void *stream) {
  return launch_rows(fconv_fft_extract_kernel<T, false>, fconv_fft_extract_kernel<T, true>, wide,
                     a.rows, a.ax[2].out, a, stream);
}

#define LAUNCH_EXTRACT_(E, S, C) \
  return launch_extract_t<fconv_elem<S, C>::type>(a, wide, s->h.stream);
/* The outputs of every item: output o of an axis (block b = o / bo, q = o % bo) reads the
 * circular result at u = q*stride + base, valid in [0, uhi], at position (u - shift) mod M
 * (shift = k-1 for correlation); here turned into [qlo, qhi) and c0 = base - shift once. */
static fconv_status extract(const fft_state *s, void *out) {
  const fconv_problem *p = &s->p;
  const fft_geom *g = &s->g;
  fconv_extract_args a;
  memset(&a, 0, sizeof a);
  a.src = s->h.ws + s->off_y;
  a.src_dist = 2 * g->spec / (p->is_complex ? 2 : 1);
  a.pitch = g->pitch;
  a.dst = out;
  a.count = (long long)items_y(p);
  int wide = 0;
  for (int d = 0; d < 3; d++) {
    const fconv_axis *x = &p->ax[d];
    const long long k = (long long)x->k, shift = p->op == FCONV_OP_CORRELATE ? k - 1 : 0;
    long long base, uhi;
    if (g->kind[d] == AX_SINGLE) { /* u = o*s + k-1 - org, 0 outside [0, c + k - 1) */
      base = k - 1 - (long long)g->sp[d].org;
      uhi = g->sp[d].c ? (long long)g->sp[d].c + k - 2 : -1; /* an empty box: all zero */
    } else {
      base = k - 1;
      uhi = LLONG_MAX;
    }
    wide |= fconv_extract_axis_init(&a.ax[d], (long long)x->out, (long long)x->stride, g->bo[d],
                                    g->nb[d], g->M[d], base, uhi, shift);
  }
  wide |= fconv_extract_prepare(&a);
  FCONV_DTYPE_DISPATCH(p->dtype, LAUNCH_EXTRACT_)
  return FCONV_ERR_INTERNAL;
}
#undef LAUNCH_EXTRACT_

/* Work queued on a caller's stream with device pointers stays asynchronous; everything else
 * returns with the work done. */
static fconv_status finish(const fft_state *s) { return fconv_cuda_host_finish(&s->h); }

static fconv_status set_kernel_body(fft_state *s, const void *kernel) {
  s->have_kernel = 0;
  FCONV_FORWARD(fconv_cuda_host_check_pointer(&s->h, kernel));
  const void *h = kernel;
  if (s->host) {
    FCONV_FORWARD(fconv_dev_stage_h2d(&s->h.stage, s->h.ws + s->off_ker, kernel, s->ker_bytes,
                                      s->h.stream));
    h = s->h.ws + s->off_ker;
  }
  FCONV_FORWARD(kernel_spectra(s, h, s->hspec));
  FCONV_FORWARD(finish(s));
  s->have_kernel = 1;
  return FCONV_OK;
}

static fconv_status path_set_kernel(void *state, const void *kernel,
                                    const fconv_kernel_info *info) {
  (void)info; /* the spectrum is made from the kernel where it lies */
  fft_state *s = (fft_state *)state;
  fconv_device_scope scope(s->h.device);
  FCONV_FORWARD(scope.status);
  FCONV_FORWARD(fconv_cuda_host_check_capture(&s->h, !s->h.device_ptrs));
  fconv_status st = set_kernel_body(s, kernel);
  if (st != FCONV_OK) fconv_cuda_host_failed(&s->h);
  return st;
}

static fconv_status execute_body(fft_state *s, const void *signal, const void *kernel,
                                 void *out) {
  FCONV_INVALID_IF(!kernel && !s->have_kernel, "no kernel set");
  FCONV_FORWARD(fconv_cuda_host_check_pointer(&s->h, signal));
  FCONV_FORWARD(fconv_cuda_host_check_pointer(&s->h, out));
  if (kernel) FCONV_FORWARD(fconv_cuda_host_check_pointer(&s->h, kernel));
  FCONV_INVALID_IF(s->h.ws_bytes && !s->h.ws, "no workspace");
  const void *H = s->hspec;
  if (kernel) { /* explicit kernel: its spectrum in the scratch region, the cached one kept */
    const void *h = kernel;
    if (s->host) {
      FCONV_FORWARD(fconv_dev_stage_h2d(&s->h.stage, s->h.ws + s->off_ker, kernel, s->ker_bytes,
                                        s->h.stream));
      h = s->h.ws + s->off_ker;
    }
    FCONV_FORWARD(kernel_spectra(s, h, s->h.ws + s->off_k));
    H = s->h.ws + s->off_k;
  }
  const void *x = signal;
  if (s->host) {
    FCONV_FORWARD(fconv_dev_stage_h2d(&s->h.stage, s->h.ws + s->off_sig, signal, s->sig_bytes,
                                      s->h.stream));
    x = s->h.ws + s->off_sig;
  }
  FCONV_FORWARD(gather_signal(s, x));
  FCONV_FORWARD(fconv_fft_exec(s->fx, s->xin, s->h.ws + s->off_x, 0));
  FCONV_FORWARD(launch_mul(s, H));
  FCONV_FORWARD(fconv_fft_exec(s->fy, s->h.ws + s->off_y, s->h.ws + s->off_y, 1));
  if (!s->host) {
    FCONV_FORWARD(extract(s, out));
    return finish(s);
  }
  FCONV_FORWARD(extract(s, s->h.ws + s->off_out));
  return fconv_dev_stage_d2h(&s->h.stage, out, s->h.ws + s->off_out, s->out_bytes, s->h.stream);
}

static fconv_status path_execute(void *state, const void *signal, const void *kernel, void *out) {
  fft_state *s = (fft_state *)state;
  fconv_device_scope scope(s->h.device);
  FCONV_FORWARD(scope.status);
  FCONV_FORWARD(fconv_cuda_host_check_capture(&s->h, !s->h.device_ptrs));
  fconv_status st = execute_body(s, signal, kernel, out);
  if (st != FCONV_OK) fconv_cuda_host_failed(&s->h);
  return st;
}

/* ---- introspection, streams, workspace ------------------------------------------------------- */

static void path_describe(const void *state, fconv_plan_info *info) {
  const fft_state *s = (const fft_state *)state;
  const int off = 3 - s->p.rank;
  for (int a = 0; a < 3; a++) {
    info->transform_shape[a] = a < s->p.rank ? (size_t)s->g.M[off + a] : 0;
    info->block_shape[a] = s->os && a < s->p.rank ? (size_t)s->g.bo[off + a] : 0;
  }
  info->workspace_bytes = s->h.ws_bytes + items_k(&s->p) * s->g.item_bytes + s->xin_bytes;
}

static fconv_status path_set_stream(void *state, void *stream) {
  fft_state *s = (fft_state *)state;
  fconv_device_scope scope(s->h.device);
  FCONV_FORWARD(scope.status);
  FCONV_FORWARD(fconv_cuda_host_set_stream(&s->h, stream));
  return bind_plans(s);
}

static size_t path_workspace_size(const void *state) {
  return ((const fft_state *)state)->h.ws_bytes;
}

static fconv_status path_set_workspace(void *state, void *ws, size_t bytes) {
  fft_state *s = (fft_state *)state;
  fconv_device_scope scope(s->h.device);
  FCONV_FORWARD(scope.status);
  FCONV_FORWARD(fconv_cuda_host_set_workspace(&s->h, ws, bytes));
  return bind_plans(s);
}

static fconv_status path_to_host(void *state, void *dst, const void *src, size_t bytes) {
  fft_state *s = (fft_state *)state;
  fconv_device_scope scope(s->h.device);
  FCONV_FORWARD(scope.status);
  return fconv_cuda_host_to_host(&s->h, dst, src, bytes);
}

/* `extern` so the definitions have external linkage in C++ whatever was declared before. */
extern "C" {
extern const fconv_path_vtbl fconv_cuda_fft_path;
extern const fconv_path_vtbl fconv_cuda_overlap_save_path;
const fconv_path_vtbl fconv_cuda_fft_path = {
    .name = "cuda-fft",
    .backend = FCONV_BACKEND_CUDA,
    .method = FCONV_METHOD_FFT,
    .channels = FCONV_PATH_CHANNELS_TOO,
    .estimate = fft_estimate,
    .create = fft_create,
    .set_kernel = path_set_kernel,
    .execute = path_execute,
    .destroy = path_destroy,
    .kernel_cost = NULL, /* the estimate stands; dispatch applies the accuracy policy */
    .describe = path_describe,
    .to_host = path_to_host,
    .set_stream = path_set_stream,
    .set_workspace = path_set_workspace,
    .workspace_size = path_workspace_size,
    .auto_only = 0};
const fconv_path_vtbl fconv_cuda_overlap_save_path = {
    .name = "cuda-overlap-save",
    .backend = FCONV_BACKEND_CUDA,
    .method = FCONV_METHOD_OVERLAP_SAVE,
    .channels = FCONV_PATH_CHANNELS_TOO,
    .estimate = os_estimate,
    .create = os_create,
    .set_kernel = path_set_kernel,
    .execute = path_execute,
    .destroy = path_destroy,
    .kernel_cost = NULL, /* the estimate stands; dispatch applies the accuracy policy */
    .describe = path_describe,
    .to_host = path_to_host,
    .set_stream = path_set_stream,
    .set_workspace = path_set_workspace,
    .workspace_size = path_workspace_size,
    .auto_only = 0};
}
