/* fftconv.c — the FFTW convolution engine shared by the CPU FFT and overlap-save paths.
 * The geometry (what a block is, which T is safe) is described in fftconv.h. */
#include "fftconv.h"

#include "calibration.h"
#include "fftw_util.h"

#include <limits.h>
#include <math.h>
#include <string.h>

/* Bytes of one chunk of slots (one FFTW execute over howmany slots): units smaller than this
 * are batched up to it, so a chunk stays in L2 from pack through transforms to crop; larger
 * units go one per chunk (batching them would only leave the cache). Measured: 81 blocks of
 * 256^2 in one 21 MB batch ran 1.6x slower per transform than in 256 KiB chunks. */
#define FC_CHUNK_BYTES ((size_t)256 << 10)
/* FFTW threads are used inside a plan only from this many points per execute on. */
#define FC_FFTW_THREADS_MIN_POINTS ((size_t)1 << 15)
/* Pack/multiply/crop passes are split over threads from this many elements per job on. */
#define FC_PASS_GRAIN ((size_t)1 << 14)
#define FC_MAX_PLANS 12

/* ---- geometry -------------------------------------------------------------------------------- */

/* One block along one axis: outputs [o_lo, o_lo + nout), box [org, org + c) of the window
 * (c = 0: no output of the block reads a non-zero sample; its outputs are 0). */
typedef struct {
  size_t o_lo, nout;
  ptrdiff_t org;
  size_t c;
} fc_span;

static void block_span(const fconv_problem *p, int a, size_t Bo, size_t b, fc_span *sp) {
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

int fconv_fc_halved_axis(const size_t T[3]) {
  for (int a = 2; a >= 0; a--)
    if (T[a] > 1) return a;
  return 2;
}

/* Exponents of 2, 3, 5, 7 in m (m 7-smooth). */
static void factor7(size_t m, int e[4]) {
  static const size_t pr[4] = {2, 3, 5, 7};
  for (int i = 0; i < 4; i++) {
    e[i] = 0;
    while (m > 1 && m % pr[i] == 0) { m /= pr[i]; e[i]++; }
  }
}

/* Relative cost per point per log2 of a length-m pass (1 for powers of two) in a transform of
 * `points` points. The calibrated penalties (fitted on 2^18..2^20-point transforms) shrink for
 * memory-bound transforms, where powers of two lose their edge: to 1/3 at 2^22 points and above
 * (measured around 2048^2: 2100, 2160, 2240, 2304 cost 1.17-1.33x of 2048 per point per log2,
 * about a third of the in-cache penalties). */
static double size_penalty(size_t m, double points) {
  if (m <= 16) return 1.0;
  int e[4];
  factor7(m, e);
  const double lg = log2(points > 1.0 ? points : 1.0);
  const double taper = lg <= 20.0 ? 1.0 : lg >= 22.0 ? 1.0 / 3.0 : 1.0 - (lg - 20.0) / 3.0;
  return 1.0 + taper * (FCONV_CAL_PEN3 * e[1] + FCONV_CAL_PEN5 * e[2] + FCONV_CAL_PEN7 * e[3] +
                        (e[0] == 0 ? FCONV_CAL_PENODD : 0.0));
}

size_t fconv_fc_good_size(size_t need, int even, double other_points) {
  if (need <= 1) return even ? 2 : 1;
  size_t m = even ? fconv_fft_size_even(need) : fconv_fft_size(need);
  size_t best = m, lim = need + need / 3 + 8;
  double best_cost = INFINITY;
  for (int it = 0; m != 0 && m <= lim && it < 64; it++) {
    double c = (double)m * log2((double)m) * size_penalty(m, (double)m * other_points);
    if (c < best_cost) { best_cost = c; best = m; }
    m = even ? fconv_fft_size_even(m + 1) : fconv_fft_size(m + 1);
  }
  return best;
}

int fconv_fc_single_block(const fconv_problem *p, fconv_fc_geom *g) {
  size_t need[3];
  for (int a = 0; a < 3; a++) {
    const fconv_axis *x = &p->ax[a];
    g->Bo[a] = x->out;
    fc_span sp;
    block_span(p, a, x->out, 0, &sp);
    if (!sp.c) { need[a] = 1; continue; }
    /* wrap-free: T >= max(c + k-1 - idx_lo, idx_hi + 1), idx = o*s + k-1 - org */
    const ptrdiff_t base = (ptrdiff_t)(x->k - 1) - sp.org;
    ptrdiff_t lo = base > 0 ? base : 0;
    ptrdiff_t hi = (ptrdiff_t)((x->out - 1) * x->stride) + base;
    if (hi > (ptrdiff_t)(sp.c + x->k - 2)) hi = (ptrdiff_t)(sp.c + x->k - 2);
    size_t n1 = sp.c + x->k - 1 - (size_t)lo, n2 = (size_t)hi + 1;
    need[a] = n1 > n2 ? n1 : n2;
    if (need[a] < x->k) need[a] = x->k; /* g is packed unwrapped at [0, k) */
  }
  size_t t3[3] = {need[0], need[1], need[2]};
  const int L = fconv_fc_halved_axis(t3);
  const double all = (double)need[0] * (double)need[1] * (double)need[2];
  for (int a = 0; a < 3; a++) {
    g->T[a] = need[a] <= 1 ? 1
                           : fconv_fc_good_size(need[a], !p->is_complex && a == L,
                                                all / (double)need[a]);
    if (!g->T[a]) return 0;
  }
  return 1;
}

/* ---- the schedule (shared by the model and create) ------------------------------------------ */

typedef struct {
  size_t nb[3];       /* blocks per axis */
  size_t blo[3], bhi[3]; /* active blocks per axis: [blo, bhi) (box non-empty) */
  size_t nact;        /* active blocks: prod(bhi - blo) */
  size_t ext[3];      /* slot embedding per axis (halved axis padded to 2*(T/2+1) for reals) */
  size_t pitch[3];    /* slot element pitch per axis */
  int L;              /* halved axis */
  size_t slot;        /* scalars per slot */
  size_t spec;        /* complex elements per slot */
  size_t points;      /* prod(T) */
  int fb;             /* filter bank: one signal, kernel_batch > 1 kernels */
  size_t nunits;      /* non-FB: count * nact; FB: nact */
  int nw;             /* workers (buffer sets) */
  int inner;          /* threads inside FFTW and the passes of one worker */
  int fftw_threads;   /* FFTW threads of the chunk plans */
  size_t h;           /* units (non-FB) or blocks (FB) per chunk */
  size_t kq;          /* FB: kernels per product group */
  size_t ksplit;      /* FB: kernel ranges per block chunk */
  size_t nchunks;     /* chunks of units / blocks */
  size_t nitems;      /* parallel items: nchunks (non-FB) or nchunks * ksplit (FB) */
} fc_sched;

static size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }
static size_t clampz(size_t v, size_t lo, size_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* 0 when the geometry cannot be run (sizes beyond FFTW's int interface). */
static int make_sched(const fconv_problem *p, const fconv_fc_geom *g, fc_sched *s) {
  memset(s, 0, sizeof *s);
  const int cx = p->is_complex;
  s->L = fconv_fc_halved_axis(g->T);
  s->nact = 1;
  s->points = 1;
  for (int a = 0; a < 3; a++) {
    if (g->T[a] == 0 || g->Bo[a] == 0 || g->T[a] > (size_t)INT_MAX / 4) return 0;
    s->nb[a] = ceil_div(p->ax[a].out, g->Bo[a]);
    s->blo[a] = s->nb[a];
    s->bhi[a] = 0;
    for (size_t b = 0; b < s->nb[a]; b++) {
      fc_span sp;
      block_span(p, a, g->Bo[a], b, &sp);
      if (!sp.c) continue;
      if (b < s->blo[a]) s->blo[a] = b;
      s->bhi[a] = b + 1;
    }
    if (s->bhi[a] <= s->blo[a]) s->blo[a] = s->bhi[a] = 0;
    s->nact *= s->bhi[a] - s->blo[a];
    s->ext[a] = (!cx && a == s->L) ? 2 * (g->T[a] / 2 + 1) : g->T[a];
    s->points *= g->T[a];
  }
  s->pitch[2] = 1;
  s->pitch[1] = s->ext[2];
  s->pitch[0] = s->ext[1] * s->ext[2];
  const double slotd = (double)s->ext[0] * (double)s->ext[1] * (double)s->ext[2] * (cx ? 2 : 1);
  if (slotd > (double)INT_MAX / 2) return 0;
  s->slot = (size_t)slotd;
  s->spec = s->slot / 2;

  const size_t slot_bytes = s->slot * (fconv_dtype_is_double(p->dtype) ? 8 : 4);
  const int T = p->threads;
  s->fb = p->batch == 1 && p->kernel_batch > 1;
  if (s->nact == 0) { /* every output is zero: nothing to transform */
    s->nw = 1; s->inner = T; s->fftw_threads = 1; s->h = 1; s->kq = 1; s->ksplit = 1;
    return 1;
  }
  const size_t per_chunk = FC_CHUNK_BYTES / slot_bytes;
  if (!s->fb) {
    s->nunits = p->count * s->nact;
    const int per_thread = T > 1 && s->nunits >= (size_t)T &&
                           (s->nunits >= 2 * (size_t)T || s->nunits % (size_t)T == 0);
    if (per_thread) { /* cache-sized chunks, at least 4 per thread for balance */
      s->nw = T;
      s->inner = 1;
      s->h = clampz(per_chunk, 1, ceil_div(s->nunits, 4 * (size_t)T));
    } else {
      s->nw = 1;
      s->inner = T;
      s->h = clampz(per_chunk, 1, s->nunits);
    }
    s->nchunks = ceil_div(s->nunits, s->h);
    s->nitems = s->nchunks;
    s->ksplit = 1;
    s->kq = 1;
  } else {
    const size_t kb = p->kernel_batch;
    s->nunits = s->nact;
    s->nw = T;
    s->inner = 1;
    s->h = clampz(per_chunk, 1, ceil_div(s->nact, 4 * (size_t)T));
    s->nchunks = ceil_div(s->nact, s->h);
    s->ksplit = s->nchunks >= (size_t)T ? 1 : clampz(ceil_div((size_t)T, s->nchunks), 1, kb);
    s->kq = clampz(per_chunk / s->h, 1, ceil_div(kb, s->ksplit));
    s->nitems = s->nchunks * s->ksplit;
    if (T <= 1) s->nw = 1;
  }
  if (s->nw > 1 && (size_t)s->nw > s->nitems) s->nw = (int)s->nitems;
  s->fftw_threads = (s->inner > 1 && s->h * s->points >= FC_FFTW_THREADS_MIN_POINTS) ? s->inner : 1;
  return 1;
}

/* ---- cost model -----------------------------------------------------------------------------
 * seconds = (transforms + passes) / parallel speedup, with the constants of calibration.h:
 *   one forward+inverse pair of dims T: points * sum_a log2(T_a) * pen(T_a) * c[rank][log2 points]
 *     (x C2C for complex data, x F64 for doubles; c already includes the planner effort);
 *   passes (pack + multiply + crop): PASS * (2 * slot scalars + output scalars) per unit, PASS
 *     the cached or the memory-bound constant by the chunk's size;
 *   per block (spans, gather, multiply and crop set-up): EXEC_UNIT; per chunk: EXEC_CALL.
 * Filter bank: one forward per block (and kernel range), one inverse + multiply per
 * (block, kernel). Parallel speedup: PAR_SPEEDUP2 per thread pair for per-thread chunks,
 * FFTW_SPEEDUP2 for threads inside FFTW. */
static double pair_seconds(const fconv_problem *p, const size_t T[3], int rank, size_t points) {
  int lg = (int)lround(log2((double)points));
  if (lg < 0) lg = 0;
  if (lg > 27) lg = 27;
  double w = 0.0;
  for (int a = 0; a < 3; a++)
    if (T[a] > 1) w += log2((double)T[a]) * size_penalty(T[a], (double)points);
  double c = fconv_cal_fft[rank - 1][lg];
  if (p->is_complex) c *= FCONV_CAL_C2C;
  if (fconv_dtype_is_double(p->dtype)) c *= FCONV_CAL_F64;
  return c * (double)points * (w > 0.0 ? w : 1.0);
}

static double speedup(int threads, double pair_speedup) {
  return threads <= 1 ? 1.0 : 1.0 + (pair_speedup - 1.0) * (double)(threads - 1);
}

static double model_sched(const fconv_problem *p, const fconv_fc_geom *g, const fc_sched *s) {
  if (s->nact == 0) return 1e-6 + 1e-10 * (double)p->count * (double)p->out_elems;
  int rank = 0;
  for (int a = 0; a < 3; a++) rank += g->T[a] > 1;
  if (rank == 0) rank = 1;
  const double pair = pair_seconds(p, g->T, rank, s->points);
  const size_t scal = p->is_complex ? 2 : 1;
  const double outs_per_unit = (double)p->count * (double)p->out_elems * (double)scal /
                               (double)(p->count * s->nact);
  const size_t chunk_bytes = s->h * s->slot * (fconv_dtype_is_double(p->dtype) ? 8 : 4);
  const double pass = chunk_bytes <= 4 * FC_CHUNK_BYTES ? FCONV_CAL_PASS_CACHED
                                                        : FCONV_CAL_PASS_MEMORY;
  double fwd, inv; /* transforms */
  if (!s->fb) {
    fwd = inv = (double)s->nunits;
  } else {
    fwd = (double)s->nact * (double)s->ksplit;
    inv = (double)s->nact * (double)p->kernel_batch;
  }
  double t = 0.5 * pair * (fwd + inv) +
             pass * ((double)s->slot * (fwd + inv) + outs_per_unit * inv) +
             FCONV_CAL_EXEC_UNIT * inv + FCONV_CAL_EXEC_CALL * (double)(s->nitems * 2);
  if (s->nw > 1) {
    double items_per_worker = ceil((double)s->nitems / (double)s->nw);
    double balance = (double)s->nitems / ((double)s->nw * items_per_worker);
    t /= speedup(s->nw, FCONV_CAL_PAR_SPEEDUP2) * balance;
  } else if (s->inner > 1) {
    t /= speedup(s->inner, s->fftw_threads > 1 ? FCONV_CAL_FFTW_SPEEDUP2 : 1.0);
  }
  return t + 2e-6;
}

double fconv_fc_model(const fconv_problem *p, const fconv_fc_geom *g) {
  fc_sched s;
  if (!make_sched(p, g, &s)) return -1.0;
  return model_sched(p, g, &s);
}

/* ---- engine state ---------------------------------------------------------------------------- */

typedef struct {
  fconv_fftw_dir dir;
  int howmany, nthreads;
  fconv_fftw_plan plan;
} fc_plan_entry;

struct fconv_fc {
  fconv_problem p;
  fconv_fc_geom g;
  fc_sched s;
  int os;
  fconv_fftw_geom fg;
  fc_plan_entry plans[FC_MAX_PLANS];
  int nplans;
  const fconv_fftw_plan *kplan; /* kernel_batch kernels at once */
  void **wbuf;                  /* per worker: h slots (non-FB) or S: h slots (FB) */
  void **pbuf;                  /* FB: per worker: h * kq product slots */
  void *kscr;                   /* explicit kernels' spectra (execute with a kernel) */
  void *kset;                   /* set_kernel's spectra (allocated by the first set_kernel) */
  void *kmemo;                  /* the explicit kernels kscr holds (skip re-transforming) */
  int kmemo_valid;
  int kset_valid;
  double scale;
  size_t kbytes;                /* bytes of kernel_batch user kernels */
  size_t workspace;
};

static size_t scalar_size(const fconv_problem *p) {
  return fconv_dtype_is_double(p->dtype) ? 8 : 4;
}

/* Find or make the plan (dir, howmany, nthreads), planning on buf. */
static fconv_status get_plan(fconv_fc *fc, fconv_fftw_dir dir, size_t howmany, int nthreads,
                             void *buf, const fconv_fftw_plan **out) {
  for (int i = 0; i < fc->nplans; i++) {
    fc_plan_entry *e = &fc->plans[i];
    if (e->dir == dir && e->howmany == (int)howmany && e->nthreads == nthreads) {
      *out = &e->plan;
      return FCONV_OK;
    }
  }
  FCONV_RETURN_IF(fc->nplans >= FC_MAX_PLANS, FCONV_ERR_INTERNAL, "plan cache full");
  FCONV_RETURN_IF(howmany > (size_t)INT_MAX, FCONV_ERR_UNSUPPORTED, "howmany beyond FFTW's int");
  fc_plan_entry *e = &fc->plans[fc->nplans];
  FCONV_FORWARD(fconv_fftw_make(&e->plan, &fc->fg, dir, (int)howmany, buf, nthreads,
                                (fc->p.flags & FCONV_FLAG_MEASURE) != 0));
  e->dir = dir;
  e->howmany = (int)howmany;
  e->nthreads = nthreads;
  fc->nplans++;
  *out = &e->plan;
  return FCONV_OK;
}

static const fconv_fftw_plan *find_plan(const fconv_fc *fc, fconv_fftw_dir dir, size_t howmany) {
  for (int i = 0; i < fc->nplans; i++) {
    const fc_plan_entry *e = &fc->plans[i];
    if (e->dir == dir && e->howmany == (int)howmany && e->nthreads == fc->s.fftw_threads &&
        &e->plan != fc->kplan)
      return &e->plan;
  }
  for (int i = 0; i < fc->nplans; i++) { /* the kernel plan may double as one */
    const fc_plan_entry *e = &fc->plans[i];
    if (e->dir == dir && e->howmany == (int)howmany) return &e->plan;
  }
  return NULL;
}

void fconv_fc_destroy(void *state) {
  fconv_fc *fc = (fconv_fc *)state;
  if (!fc) return;
  for (int i = 0; i < fc->nplans; i++) fconv_fftw_destroy(&fc->plans[i].plan);
  if (fc->wbuf)
    for (int w = 0; w < fc->s.nw; w++) fconv_free(fc->wbuf[w]);
  if (fc->pbuf)
    for (int w = 0; w < fc->s.nw; w++) fconv_free(fc->pbuf[w]);
  fconv_free(fc->wbuf);
  fconv_free(fc->pbuf);
  fconv_free(fc->kscr);
  fconv_free(fc->kset);
  fconv_free(fc->kmemo);
  fconv_free(fc);
}

/* Every chunk size execute will use: for non-FB {h, last chunk}; FB forward {h, last block
 * chunk} and inverse {cs * qn} over block chunk sizes cs and kernel group sizes qn. */
static fconv_status make_plans(fconv_fc *fc) {
  const fc_sched *s = &fc->s;
  const int ft = s->fftw_threads;
  const fconv_fftw_plan *pl;
  if (s->nact == 0) return FCONV_OK;
  size_t cs_list[2] = {s->h, s->nunits - (s->nchunks - 1) * s->h};
  for (int i = 0; i < 2; i++) {
    FCONV_FORWARD(get_plan(fc, FCONV_FFTW_FORWARD, cs_list[i], ft, fc->wbuf[0], &pl));
    if (!s->fb) FCONV_FORWARD(get_plan(fc, FCONV_FFTW_BACKWARD, cs_list[i], ft, fc->wbuf[0], &pl));
  }
  if (s->fb) {
    const size_t kb = fc->p.kernel_batch;
    const size_t rl[2] = {kb / s->ksplit, ceil_div(kb, s->ksplit)};
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 2; j++) {
        size_t qn[2] = {s->kq < rl[j] ? s->kq : rl[j], rl[j] % s->kq};
        for (int q = 0; q < 2; q++)
          if (qn[q] && rl[j])
            FCONV_FORWARD(
                get_plan(fc, FCONV_FFTW_BACKWARD, cs_list[i] * qn[q], ft, fc->pbuf[0], &pl));
      }
  }
  return FCONV_OK;
}

fconv_status fconv_fc_create(const fconv_problem *p, const fconv_fc_geom *g, int os,
                             void **out) {
  fconv_fc *fc = (fconv_fc *)fconv_calloc(sizeof *fc);
  FCONV_RETURN_IF(!fc, FCONV_ERR_OUT_OF_MEMORY, "fft state");
  fc->p = *p;
  fc->g = *g;
  fc->os = os;
  if (!make_sched(p, g, &fc->s)) {
    fconv_free(fc);
    FCONV_RETURN_IF(1, FCONV_ERR_UNSUPPORTED, "transform sizes beyond FFTW's int interface");
  }
  const fc_sched *s = &fc->s;
  /* FFTW geometry: the axes with T > 1 (at least the last). */
  fconv_fftw_geom *fg = &fc->fg;
  fg->dbl = fconv_dtype_is_double(p->dtype);
  fg->cplx = p->is_complex;
  for (int a = 0; a < 3; a++) {
    if (g->T[a] <= 1 && !(a == 2 && fg->rank == 0)) continue;
    fg->n[fg->rank] = (int)g->T[a];
    fg->rembed[fg->rank] = (int)s->ext[a];
    fg->cembed[fg->rank] = p->is_complex ? (int)s->ext[a]
                                         : (a == s->L ? (int)(g->T[a] / 2 + 1) : (int)s->ext[a]);
    fg->rank++;
  }
  fg->slot = s->slot;
  double prod = 1.0;
  for (int a = 0; a < 3; a++) prod *= (double)g->T[a];
  fc->scale = 1.0 / prod;
  fc->kbytes = p->kernel_batch * p->ker_elems * p->esize;

  const size_t sb = s->slot * scalar_size(p);
  fconv_status st = FCONV_OK;
  fc->wbuf = (void **)fconv_calloc(sizeof(void *) * (size_t)s->nw);
  fc->kscr = fconv_calloc(sb * p->kernel_batch);
  fc->kmemo = fconv_malloc(fc->kbytes);
  if (!fc->wbuf || !fc->kscr || !fc->kmemo) st = FCONV_ERR_OUT_OF_MEMORY;
  fc->workspace = sb * p->kernel_batch + fc->kbytes;
  if (st == FCONV_OK && s->fb) {
    fc->pbuf = (void **)fconv_calloc(sizeof(void *) * (size_t)s->nw);
    if (!fc->pbuf) st = FCONV_ERR_OUT_OF_MEMORY;
  }
  if (s->nact > 0)
    for (int w = 0; st == FCONV_OK && w < s->nw; w++) {
      fc->wbuf[w] = fconv_calloc(sb * s->h);
      if (!fc->wbuf[w]) st = FCONV_ERR_OUT_OF_MEMORY;
      fc->workspace += sb * s->h;
      if (st == FCONV_OK && s->fb) {
        fc->pbuf[w] = fconv_calloc(sb * s->h * s->kq);
        if (!fc->pbuf[w]) st = FCONV_ERR_OUT_OF_MEMORY;
        fc->workspace += sb * s->h * s->kq;
      }
    }
  if (st == FCONV_OK) st = make_plans(fc);
  if (st == FCONV_OK && s->nact > 0) {
    const int kt = s->points * p->kernel_batch >= FC_FFTW_THREADS_MIN_POINTS ? p->threads : 1;
    st = get_plan(fc, FCONV_FFTW_FORWARD, p->kernel_batch, kt, fc->kscr, &fc->kplan);
  }
  if (st != FCONV_OK) {
    fconv_fc_destroy(fc);
    return st;
  }
  *out = fc;
  return FCONV_OK;
}

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
  fc_span sp[3];
  fc_grid grid;
} fc_rows_ctx;

static void run_rows(const fconv_fc *fc, const void *in, void *out, const fc_span sp[3],
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

static void pack_block(const fconv_fc *fc, const void *x, const fc_span sp[3], void *dst,
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
static void valid_range(const fconv_problem *p, int a, const fc_span *sp, size_t *lo,
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

static void crop_block(const fconv_fc *fc, const void *slot, const fc_span sp[3], void *y,
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

static void multiply(const fconv_fc *fc, void *d, const void *a, const void *b, int threads) {
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
  const size_t kes = fc->p.ker_elems * fc->p.esize, sb = fc->s.slot * scalar_size(&fc->p);
  for (size_t q = begin; q < end; q++) {
    if (fconv_dtype_is_double(fc->p.dtype))
      pack_kernel_d(fc, (const double *)(const void *)(c->h + q * kes),
                    (double *)(void *)(c->dst + q * sb));
    else
      pack_kernel_f(fc, (const float *)(const void *)(c->h + q * kes),
                    (float *)(void *)(c->dst + q * sb));
  }
}

/* Spectra of every kernel into dst (kernel_batch slots). */
static void kernel_spectra(fconv_fc *fc, const void *h, void *dst) {
  fc_kpack_ctx c = {fc, (const unsigned char *)h, (unsigned char *)dst};
  fconv_parallel_for(fc->p.kernel_batch, 1, fc->p.threads, kpack_range, &c);
  fconv_fftw_exec(fc->kplan, dst);
}

fconv_status fconv_fc_set_kernel(void *state, const void *h) {
  fconv_fc *fc = (fconv_fc *)state;
  FCONV_RETURN_IF(!h, FCONV_ERR_INVALID_ARGUMENT, "kernel is NULL");
  if (fc->s.nact == 0) { fc->kset_valid = 1; return FCONV_OK; }
  if (!fc->kset) {
    const size_t bytes = fc->s.slot * scalar_size(&fc->p) * fc->p.kernel_batch;
    fc->kset = fconv_malloc(bytes);
    FCONV_RETURN_IF(!fc->kset, FCONV_ERR_OUT_OF_MEMORY, "kernel spectra");
    fc->workspace += bytes;
  }
  kernel_spectra(fc, h, fc->kset);
  fc->kset_valid = 1;
  return FCONV_OK;
}

/* ---- execute --------------------------------------------------------------------------------- */

typedef struct {
  fconv_fc *fc;
  const unsigned char *x;
  const unsigned char *G; /* kernel spectra */
  unsigned char *y;
} fc_exec_ctx;

/* Spans of active block number `a` (0 <= a < nact). */
static void active_spans(const fconv_fc *fc, size_t a, fc_span sp[3]) {
  const fc_sched *s = &fc->s;
  size_t r2 = s->bhi[2] - s->blo[2], r1 = s->bhi[1] - s->blo[1];
  size_t b2 = s->blo[2] + a % r2, b1 = s->blo[1] + (a / r2) % r1, b0 = s->blo[0] + a / (r2 * r1);
  block_span(&fc->p, 0, fc->g.Bo[0], b0, &sp[0]);
  block_span(&fc->p, 1, fc->g.Bo[1], b1, &sp[1]);
  block_span(&fc->p, 2, fc->g.Bo[2], b2, &sp[2]);
}

static void run_chunk(const fc_exec_ctx *c, size_t chunk, int tid) {
  fconv_fc *fc = c->fc;
  const fconv_problem *p = &fc->p;
  const fc_sched *s = &fc->s;
  const size_t sb = s->slot * scalar_size(p);
  const size_t xb = p->sig_elems * p->esize, yb = p->out_elems * p->esize;
  unsigned char *W = (unsigned char *)fc->wbuf[tid];
  const size_t u0 = chunk * s->h;
  const size_t m = u0 + s->h <= s->nunits ? s->h : s->nunits - u0;
  fc_span sp[3];
  for (size_t j = 0; j < m; j++) {
    const size_t u = u0 + j, i = u / s->nact;
    active_spans(fc, u % s->nact, sp);
    pack_block(fc, c->x + fconv_signal_of(p, i) * xb, sp, W + j * sb, s->inner);
  }
  fconv_fftw_exec(find_plan(fc, FCONV_FFTW_FORWARD, m), W);
  for (size_t j = 0; j < m; j++) {
    const size_t i = (u0 + j) / s->nact;
    multiply(fc, W + j * sb, W + j * sb, c->G + fconv_kernel_of(p, i) * sb, s->inner);
  }
  fconv_fftw_exec(find_plan(fc, FCONV_FFTW_BACKWARD, m), W);
  for (size_t j = 0; j < m; j++) {
    const size_t u = u0 + j, i = u / s->nact;
    active_spans(fc, u % s->nact, sp);
    crop_block(fc, W + j * sb, sp, c->y + i * yb, s->inner);
  }
}

/* Filter bank item: block chunk bc, kernel range r. */
static void run_fb_item(const fc_exec_ctx *c, size_t item, int tid) {
  fconv_fc *fc = c->fc;
  const fconv_problem *p = &fc->p;
  const fc_sched *s = &fc->s;
  const size_t sb = s->slot * scalar_size(p), yb = p->out_elems * p->esize;
  const size_t kb = p->kernel_batch;
  const size_t bc = item / s->ksplit, r = item % s->ksplit;
  unsigned char *S = (unsigned char *)fc->wbuf[tid], *P = (unsigned char *)fc->pbuf[tid];
  const size_t a0 = bc * s->h, cs = a0 + s->h <= s->nact ? s->h : s->nact - a0;
  fc_span sp[3];
  for (size_t j = 0; j < cs; j++) {
    active_spans(fc, a0 + j, sp);
    pack_block(fc, c->x, sp, S + j * sb, s->inner);
  }
  fconv_fftw_exec(find_plan(fc, FCONV_FFTW_FORWARD, cs), S);
  const size_t q_lo = r * kb / s->ksplit, q_hi = (r + 1) * kb / s->ksplit;
  for (size_t q0 = q_lo; q0 < q_hi; q0 += s->kq) {
    const size_t qn = q0 + s->kq <= q_hi ? s->kq : q_hi - q0;
    for (size_t ql = 0; ql < qn; ql++)
      for (size_t j = 0; j < cs; j++)
        multiply(fc, P + (ql * cs + j) * sb, S + j * sb, c->G + (q0 + ql) * sb, s->inner);
    fconv_fftw_exec(find_plan(fc, FCONV_FFTW_BACKWARD, cs * qn), P);
    for (size_t ql = 0; ql < qn; ql++)
      for (size_t j = 0; j < cs; j++) {
        active_spans(fc, a0 + j, sp);
        crop_block(fc, P + (ql * cs + j) * sb, sp, c->y + (q0 + ql) * yb, s->inner);
      }
  }
}

static void exec_items(void *vctx, size_t begin, size_t end, int tid) {
  const fc_exec_ctx *c = (const fc_exec_ctx *)vctx;
  for (size_t it = begin; it < end; it++) {
    if (c->fc->s.fb)
      run_fb_item(c, it, tid);
    else
      run_chunk(c, it, tid);
  }
}

/* Zero the outputs of blocks whose box is empty (outside the active block ranges). */
typedef struct {
  const fconv_fc *fc;
  unsigned char *y;
  size_t olo[3], ohi[3]; /* active output ranges */
} fc_zero_ctx;

static void zero_rows(void *vctx, size_t begin, size_t end, int tid) {
  (void)tid;
  const fc_zero_ctx *c = (const fc_zero_ctx *)vctx;
  const fconv_problem *p = &c->fc->p;
  const size_t es = p->esize, out0 = p->ax[0].out, out1 = p->ax[1].out, out2 = p->ax[2].out;
  for (size_t r = begin; r < end; r++) {
    const size_t o1 = r % out1, o0 = (r / out1) % out0;
    unsigned char *row = c->y + r * out2 * es;
    if (o0 < c->olo[0] || o0 >= c->ohi[0] || o1 < c->olo[1] || o1 >= c->ohi[1]) {
      memset(row, 0, out2 * es);
      continue;
    }
    if (c->olo[2] > 0) memset(row, 0, c->olo[2] * es);
    if (c->ohi[2] < out2) memset(row + c->ohi[2] * es, 0, (out2 - c->ohi[2]) * es);
  }
}

static void zero_inactive(const fconv_fc *fc, void *y) {
  const fconv_problem *p = &fc->p;
  fc_zero_ctx c;
  c.fc = fc;
  c.y = (unsigned char *)y;
  int all = 1;
  for (int a = 0; a < 3; a++) {
    c.olo[a] = fc->s.blo[a] * fc->g.Bo[a];
    c.ohi[a] = fc->s.bhi[a] * fc->g.Bo[a];
    if (c.ohi[a] > p->ax[a].out) c.ohi[a] = p->ax[a].out;
    if (c.olo[a] >= c.ohi[a]) c.olo[a] = c.ohi[a] = 0;
    all &= c.olo[a] == 0 && c.ohi[a] == p->ax[a].out;
  }
  if (all) return;
  const size_t rows = p->count * p->ax[0].out * p->ax[1].out;
  fconv_parallel_for(rows, clampz(FC_PASS_GRAIN / p->ax[2].out, 1, rows), p->threads, zero_rows,
                     &c);
}

fconv_status fconv_fc_execute(void *state, const void *x, const void *h, void *y) {
  fconv_fc *fc = (fconv_fc *)state;
  const fc_sched *s = &fc->s;
  const void *G;
  if (!h) {
    FCONV_RETURN_IF(!fc->kset_valid, FCONV_ERR_INVALID_ARGUMENT, "no kernel set");
    G = fc->kset;
  } else {
    if (s->nact > 0 && !(fc->kmemo_valid && memcmp(fc->kmemo, h, fc->kbytes) == 0)) {
      kernel_spectra(fc, h, fc->kscr);
      memcpy(fc->kmemo, h, fc->kbytes);
      fc->kmemo_valid = 1;
    }
    G = fc->kscr;
  }
  zero_inactive(fc, y);
  if (s->nact == 0) return FCONV_OK;
  fc_exec_ctx c = {fc, (const unsigned char *)x, (const unsigned char *)G, (unsigned char *)y};
  fconv_parallel_for(s->nitems, 1, s->nw, exec_items, &c);
  return FCONV_OK;
}

/* ---- introspection and the accuracy rule ----------------------------------------------------- */

void fconv_fc_describe(const void *state, fconv_plan_info *info) {
  const fconv_fc *fc = (const fconv_fc *)state;
  const int r = fc->p.rank, off = 3 - r;
  for (int a = 0; a < FCONV_MAX_RANK; a++) {
    info->transform_shape[a] = a < r ? fc->g.T[off + a] : 0;
    info->block_shape[a] = (fc->os && a < r) ? fc->g.Bo[off + a] : 0;
  }
  info->threads = fc->p.threads;
  info->workspace_bytes = fc->workspace;
}

/* Accuracy rule (refine). The FFT result carries an error of about
 * eps * log2(T) * |x| * |g| spread over every output, while the direct sum is exact for exact
 * inputs. So the FFT and overlap-save paths return +INFINITY (dispatch then keeps the direct
 * path) when, for any of the kernel_batch kernels:
 *   (a) the magnitudes span a huge range: max|h| / min nonzero |h| > 1e6 (F32, C64) or 1e12
 *       (F64, C128): the small taps would drown in the large taps' rounding error; or
 *   (b) every tap is integer-valued (real and imaginary parts) and sum|h| <= 2^16 (F32, C64) or
 *       2^45 (F64, C128): integer signals up to 2^8 in magnitude then convolve to exact
 *       integers directly, which a user with an integer kernel likely expects.
 * Otherwise it returns the model's seconds. Non-finite taps are left to the model. */
#define FC_DEF_KSTATS(TY, SUF)                                                                 \
  static void kstats_##SUF(const TY *h, size_t n, double *mx, double *mn, double *sum,         \
                           int *integer, int *finite) {                                        \
    for (size_t i = 0; i < n; i++) {                                                           \
      const double v = (double)h[i], a = fabs(v);                                              \
      if (!isfinite(v)) { *finite = 0; continue; }                                             \
      if (a > *mx) *mx = a;                                                                    \
      if (a > 0.0 && a < *mn) *mn = a;                                                         \
      *sum += a;                                                                               \
      if (v != nearbyint(v)) *integer = 0;                                                     \
    }                                                                                          \
  }
FC_DEF_KSTATS(float, f)
FC_DEF_KSTATS(double, d)

double fconv_fc_refine(void *state, const void *h) {
  fconv_fc *fc = (fconv_fc *)state;
  const fconv_problem *p = &fc->p;
  const int dbl = fconv_dtype_is_double(p->dtype);
  const size_t scal = p->ker_elems * (p->is_complex ? 2 : 1);
  const double range_max = dbl ? 1e12 : 1e6, int_max = dbl ? 35184372088832.0 : 65536.0;
  for (size_t q = 0; q < p->kernel_batch; q++) {
    double mx = 0.0, mn = INFINITY, sum = 0.0;
    int integer = 1, finite = 1;
    if (dbl)
      kstats_d((const double *)h + q * scal, scal, &mx, &mn, &sum, &integer, &finite);
    else
      kstats_f((const float *)h + q * scal, scal, &mx, &mn, &sum, &integer, &finite);
    if (!finite) continue;
    if (mx > 0.0 && mx / mn > range_max) return INFINITY;
    if (integer && sum <= int_max) return INFINITY;
  }
  return fconv_fc_model(p, &fc->g);
}

/* ---- measurement hook (tools only) ----------------------------------------------------------- */

/* Run only the FFTW executes one execute() would make (same plans, chunks, workers, buffers),
 * reps times; wall seconds of the fastest rep. Used by tools/fconv_fft_timing.c to compare the
 * path with its own transforms. Call after one execute so the buffers hold ordinary data. */
typedef struct {
  fconv_fc *fc;
} fc_tonly_ctx;

static void tonly_items(void *vctx, size_t begin, size_t end, int tid) {
  const fc_tonly_ctx *c = (const fc_tonly_ctx *)vctx;
  fconv_fc *fc = c->fc;
  const fc_sched *s = &fc->s;
  for (size_t it = begin; it < end; it++) {
    if (!s->fb) {
      const size_t u0 = it * s->h, m = u0 + s->h <= s->nunits ? s->h : s->nunits - u0;
      fconv_fftw_exec(find_plan(fc, FCONV_FFTW_FORWARD, m), fc->wbuf[tid]);
      fconv_fftw_exec(find_plan(fc, FCONV_FFTW_BACKWARD, m), fc->wbuf[tid]);
    } else {
      const size_t kb = fc->p.kernel_batch, bc = it / s->ksplit, r = it % s->ksplit;
      const size_t a0 = bc * s->h, cs = a0 + s->h <= s->nact ? s->h : s->nact - a0;
      fconv_fftw_exec(find_plan(fc, FCONV_FFTW_FORWARD, cs), fc->wbuf[tid]);
      const size_t q_lo = r * kb / s->ksplit, q_hi = (r + 1) * kb / s->ksplit;
      for (size_t q0 = q_lo; q0 < q_hi; q0 += s->kq) {
        const size_t qn = q0 + s->kq <= q_hi ? s->kq : q_hi - q0;
        fconv_fftw_exec(find_plan(fc, FCONV_FFTW_BACKWARD, cs * qn), fc->pbuf[tid]);
      }
    }
  }
}

double fconv_fc_transform_seconds(void *state, int reps) {
  fconv_fc *fc = (fconv_fc *)state;
  if (fc->s.nact == 0) return 0.0;
  fc_tonly_ctx c = {fc};
  double best = INFINITY;
  for (int r = 0; r < reps; r++) {
    double t0 = fconv_now();
    fconv_parallel_for(fc->s.nitems, 1, fc->s.nw, tonly_items, &c);
    double t = fconv_now() - t0;
    if (t < best) best = t;
  }
  return best;
}
