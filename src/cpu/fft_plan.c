/* fft_plan.c — the FFTW engine's plan: transform lengths (the CPU's size choice for the core's
 * geometry), the schedule of blocks into chunks and workers, the cost model, and create/destroy
 * (buffers and the FFTW plans of every chunk size). See fft_plan.h. */
#include "fft_plan.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "../core/memory.h"
#include "cost_fft.h"

/* ---- geometry -------------------------------------------------------------------------------- */


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
  size_t cand[64];
  const size_t lim = need + need / 3 + 8;
  size_t n = fconv_fft_sizes(need, lim > need ? lim : need, even, cand, 64);
  if (n == 0) { /* nothing within a third: the next one up (0 on overflow) */
    return even ? fconv_fft_size_even(need) : fconv_fft_size(need);
  }
  size_t best = cand[0];
  double best_cost = INFINITY;
  for (size_t i = 0; i < n; i++) {
    const size_t m = cand[i];
    double c = (double)m * log2((double)m) * size_penalty(m, (double)m * other_points);
    if (c < best_cost) { best_cost = c; best = m; }
  }
  return best;
}

/* The CPU's size choice for the core's single-block geometry: the cheapest fast length by the
 * calibrated per-radix cost, even on the r2c-halved axis for real data. */
static size_t choose_size(const fconv_problem *p, int a, const size_t need[3], void *ctx) {
  (void)ctx;
  if (need[a] <= 1) return 1;
  const int L = fconv_fc_halved_axis(need);
  const double all = (double)need[0] * (double)need[1] * (double)need[2];
  return fconv_fc_good_size(need[a], !p->is_complex && a == L, all / (double)need[a]);
}

int fconv_fc_single_block(const fconv_problem *p, fconv_fc_geom *g) {
  fconv_span sp[3];
  if (!fconv_single_block(p, choose_size, NULL, g->T, sp)) return 0;
  for (int a = 0; a < 3; a++) g->Bo[a] = p->ax[a].out;
  return 1;
}

/* ---- the schedule (shared by the model and create) ------------------------------------------ */



/* Slot rows padded so that the strides of the outer axes' transforms are not (near) multiples of
 * a large power of two. FFTW_ESTIMATE (the default planner) transforms the outer axes of a
 * multi-dimensional plan in place along strided columns; with a row pitch of 2^k bytes (c2c of
 * power-of-two rows), or a few bytes more (r2c's n/2+1), a column's elements fall into a few
 * cache sets. Measured on this machine kind, f32 2-D in-place forward+inverse, ESTIMATE plans
 * (best of 2, pure FFTW, /tmp programs in the note of issue 9): c2c 256^2 4.3 -> 0.38 ms,
 * 1024^2 117 -> 8.6 ms, 1536^2 361 -> 28.6 ms, 2048^2 472 -> 37 ms; r2c 1024^2 6.1 -> 4.3 ms,
 * 2048^2 46.5 -> 20.7 ms, 2304^2 40.6 -> 35.5 ms, 4096^2 334 -> 147 ms; a 2100^2 r2c (not a
 * pathological pitch) 36.5 -> 35.5 ms. The rule: rows of 1 KiB or more are rounded up to
 * 64-byte lines, plus two lines (of the paddings tried, +2 lines was good for every size
 * above; +3 or +7 lines were 1.5-2.5x slower for some). Rows under 1 KiB stay unpadded (small
 * transforms live in cache). ext[] is in elements of the slot's layout (reals: scalars of the
 * halved axis, 2 per complex); the passes and FFTW's embed read ext and pitch, so the rule
 * lives here only. */
void fconv_fc_pad_rows(const size_t T[3], size_t ext[3], int L, size_t elem_bytes) {
  int outer = 0; /* transformed axes outside the innermost transformed axis L */
  for (int a = 0; a < L; a++) outer += T[a] > 1;
  size_t bytes = ext[L] * elem_bytes;
  if (outer == 0) return;
  if (bytes >= 1024) {
    bytes = (bytes + 63) / 64 * 64 + 128;
    ext[L] = bytes / elem_bytes;
  }
  /* Planes: with two outer axes (L = 2, T[0] > 1 and T[1] > 1) the outermost axis's columns
   * stride by a plane, ext[1] rows; a power-of-two row count (256 x 256 x n) makes that pitch a
   * multiple of 2 KiB or more and the same collapse follows (measured, f32 r2c+c2r pair, ESTIMATE,
   * `fconv_calibrate probe`: 256^3 2.09 ns per point per log2, 288^3 0.41). The rule: planes of
   * 4 KiB or more get spare rows until the pitch is not a multiple of 512 bytes (when a row's
   * bytes allow it). */
  if (outer == 2 && L == 2) {
    const size_t row = ext[2] * elem_bytes;
    for (int i = 0; i < 8 && ext[1] * row >= 4096 && (ext[1] * row) % 512 == 0 && row % 512; i++)
      ext[1]++;
  }
}

/* 0 when the geometry cannot be run (sizes beyond FFTW's int interface). */
int fconv_fc_make_sched(const fconv_problem *p, const fconv_fc_geom *g, fc_sched *s) {
  memset(s, 0, sizeof *s);
  const int cx = p->is_complex;
  s->L = fconv_fc_halved_axis(g->T);
  s->nact = 1;
  s->points = 1;
  for (int a = 0; a < 3; a++) {
    if (g->T[a] == 0 || g->Bo[a] == 0 || g->T[a] > (size_t)INT_MAX / 4) return 0;
    s->nb[a] = ceil_div(p->ax[a].out, g->Bo[a]);
    fconv_active_blocks(p, a, g->Bo[a], &s->blo[a], &s->bhi[a]);
    s->nact *= s->bhi[a] - s->blo[a];
    s->ext[a] = (!cx && a == s->L) ? 2 * (g->T[a] / 2 + 1) : g->T[a];
    s->points *= g->T[a];
  }
  fconv_fc_pad_rows(g->T, s->ext, s->L, fconv_dtype_scalar_size(p->dtype) * (cx ? 2 : 1));
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
  /* Out of place (spectra in a buffer of their own) where fconv_fc_out_of_place says (FFTW's
   * ESTIMATE planner searches in-place real transforms 2-4x longer; out of place they ran as
   * fast or faster on the CI machine: 2-D 1152^2 a pair 13.1 against 20.0 ms, 256^2 0.43
   * against 0.52, 3-D 40^3 1.70 against 1.98, 1-D 16384 84 against 105 us, 2^20 7.1 against
   * 13.3 ms). A chunk then holds half as many slots: both buffers in its budget. */
  int rank = 0;
  for (int a = 0; a < 3; a++) rank += g->T[a] > 1;
  s->oop = fconv_fc_out_of_place(rank, s->points, p->esize);
  const size_t per_chunk = FC_CHUNK_BYTES / ((s->oop ? 2 : 1) * slot_bytes);
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
 * seconds = (transforms + passes) / parallel speedup, with the constants of cost_fft.h:
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
  if (!fconv_fc_make_sched(p, g, &s)) return -1.0;
  return model_sched(p, g, &s);
}

/* ---- engine state: FFTW plans, buffers ------------------------------------------------------- */


/* Find or make the plan (dir, howmany, nthreads) from in to out (in place when out == in),
 * planning on those buffers. */
static fconv_status get_plan(fconv_fc *fc, fconv_fftw_dir dir, size_t howmany, int nthreads,
                             void *in, void *buf_out, const fconv_fftw_plan **out) {
  const int inplace = in == buf_out;
  for (int i = 0; i < fc->nplans; i++) {
    fc_plan_entry *e = &fc->plans[i];
    if (e->dir == dir && e->howmany == (int)howmany && e->nthreads == nthreads &&
        e->inplace == inplace) {
      *out = &e->plan;
      return FCONV_OK;
    }
  }
  FCONV_RETURN_IF(fc->nplans >= FC_MAX_PLANS, FCONV_ERR_INTERNAL, "plan cache full");
  FCONV_RETURN_IF(howmany > (size_t)INT_MAX, FCONV_ERR_UNSUPPORTED, "howmany beyond FFTW's int");
  fc_plan_entry *e = &fc->plans[fc->nplans];
  FCONV_FORWARD(fconv_fftw_make(&e->plan, &fc->fg, dir, (int)howmany, in, buf_out, nthreads,
                                (fc->p.flags & FCONV_FLAG_MEASURE) != 0));
  e->dir = dir;
  e->howmany = (int)howmany;
  e->nthreads = nthreads;
  e->inplace = inplace;
  fc->nplans++;
  *out = &e->plan;
  return FCONV_OK;
}

const fconv_fftw_plan *fconv_fc_find_plan(const fconv_fc *fc, fconv_fftw_dir dir, size_t howmany) {
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
  if (fc->cbuf)
    for (int w = 0; w < fc->s.nw; w++) fconv_free(fc->cbuf[w]);
  fconv_free(fc->cbuf);
  fconv_free(fc->kstage);
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
  void *spec = fc->s.oop ? fc->cbuf[0] : fc->wbuf[0]; /* out of place: wbuf's spectra in cbuf */
  for (int i = 0; i < 2; i++) {
    FCONV_FORWARD(get_plan(fc, FCONV_FFTW_FORWARD, cs_list[i], ft, fc->wbuf[0], spec, &pl));
    if (!s->fb)
      FCONV_FORWARD(get_plan(fc, FCONV_FFTW_BACKWARD, cs_list[i], ft, spec, fc->wbuf[0], &pl));
  }
  if (s->fb) {
    const size_t kb = fc->p.kernel_batch;
    const size_t rl[2] = {kb / s->ksplit, ceil_div(kb, s->ksplit)};
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 2; j++) {
        size_t qn[2] = {s->kq < rl[j] ? s->kq : rl[j], rl[j] % s->kq};
        for (int q = 0; q < 2; q++)
          if (qn[q] && rl[j])
            FCONV_FORWARD(get_plan(fc, FCONV_FFTW_BACKWARD, cs_list[i] * qn[q], ft,
                                   fc->pbuf[0], fc->pbuf[0], &pl)); /* in place */
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
  if (!fconv_fc_make_sched(p, g, &fc->s)) {
    fconv_free(fc);
    FCONV_RETURN_ERROR(FCONV_ERR_UNSUPPORTED, "transform sizes beyond FFTW's int interface");
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
    fg->cembed[fg->rank] = (int)(!p->is_complex && a == s->L ? s->ext[a] / 2 : s->ext[a]);
    fg->rank++;
  }
  fg->slot = s->slot;
  double prod = 1.0;
  for (int a = 0; a < 3; a++) prod *= (double)g->T[a];
  fc->scale = 1.0 / prod;
  fc->kbytes = p->kernel_batch * p->ker_elems * p->esize;

  const size_t sb = s->slot * fconv_dtype_scalar_size(p->dtype);
  fconv_status st = FCONV_OK;
  fc->wbuf = (void **)fconv_calloc(sizeof(void *) * (size_t)s->nw);
  if (s->oop) fc->cbuf = (void **)fconv_calloc(sizeof(void *) * (size_t)s->nw);
  fc->kscr = fconv_calloc(sb * p->kernel_batch);
  fc->kmemo = fconv_malloc(fc->kbytes);
  if (!fc->wbuf || (fc->s.oop && !fc->cbuf) || !fc->kscr || !fc->kmemo)
    st = FCONV_ERR_OUT_OF_MEMORY;
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
      if (st == FCONV_OK && fc->s.oop) {
        fc->cbuf[w] = fconv_calloc(sb * s->h);
        if (!fc->cbuf[w]) st = FCONV_ERR_OUT_OF_MEMORY;
        fc->workspace += sb * s->h;
      }
      if (st == FCONV_OK && s->fb) {
        fc->pbuf[w] = fconv_calloc(sb * s->h * s->kq);
        if (!fc->pbuf[w]) st = FCONV_ERR_OUT_OF_MEMORY;
        fc->workspace += sb * s->h * s->kq;
      }
    }
  if (st == FCONV_OK) st = make_plans(fc);
  if (st == FCONV_OK && s->nact > 0) {
    /* the kernels' transform: out of place like the blocks' (one plan for both when the counts
     * and threads agree), staged in wbuf[0] when it has the slots */
    const int kt = s->points * p->kernel_batch >= FC_FFTW_THREADS_MIN_POINTS ? p->threads : 1;
    void *stage = fc->s.oop ? fc->wbuf[0] : fc->kscr;
    if (fc->s.oop && p->kernel_batch > s->h) {
      stage = fc->kstage = fconv_malloc(sb * p->kernel_batch);
      fc->workspace += sb * p->kernel_batch;
      if (!stage) st = FCONV_ERR_OUT_OF_MEMORY;
    }
    if (st == FCONV_OK)
      st = get_plan(fc, FCONV_FFTW_FORWARD, p->kernel_batch, kt, stage, fc->kscr, &fc->kplan);
  }
  if (st != FCONV_OK) {
    fconv_fc_destroy(fc);
    return st;
  }
  *out = fc;
  return FCONV_OK;
}
