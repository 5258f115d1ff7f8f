/* fft_exec.c — the FFTW engine's set_kernel, execute (chunks of blocks per worker, the filter
 * bank's shared forward transforms, zeros for blocks that read no sample), introspection and the
 * kernel-aware cost. See fft_plan.h. */
#include "fft_plan.h"

#include <math.h>
#include <string.h>

#include "../core/boundary.h"
#include "../core/geometry.h"
#include "../core/kernel_info.h"
#include "../core/memory.h"
#include "../util.h"

fconv_status fconv_fc_set_kernel(void *state, const void *h, const fconv_kernel_info *info) {
  (void)info;
  fconv_fc *fc = (fconv_fc *)state;
  FCONV_RETURN_IF(!h, FCONV_ERR_INVALID_ARGUMENT, "kernel is NULL");
  if (fc->s.nact == 0) { fc->kset_valid = 1; return FCONV_OK; }
  if (!fc->kset) {
    const size_t bytes = fc->s.slot * fconv_dtype_scalar_size(fc->p.dtype) * fc->p.kernel_batch;
    fc->kset = fconv_malloc(bytes);
    FCONV_RETURN_IF(!fc->kset, FCONV_ERR_OUT_OF_MEMORY, "kernel spectra");
    fc->workspace += bytes;
  }
  fconv_fc_kernel_spectra(fc, h, fc->kset);
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
static void active_spans(const fconv_fc *fc, size_t a, fconv_span sp[3]) {
  const fc_sched *s = &fc->s;
  size_t r2 = s->bhi[2] - s->blo[2], r1 = s->bhi[1] - s->blo[1];
  size_t b2 = s->blo[2] + a % r2, b1 = s->blo[1] + (a / r2) % r1, b0 = s->blo[0] + a / (r2 * r1);
  fconv_block_span(&fc->p, 0, fc->g.Bo[0], b0, &sp[0]);
  fconv_block_span(&fc->p, 1, fc->g.Bo[1], b1, &sp[1]);
  fconv_block_span(&fc->p, 2, fc->g.Bo[2], b2, &sp[2]);
}

static void run_chunk(const fc_exec_ctx *c, size_t chunk, int tid) {
  fconv_fc *fc = c->fc;
  const fconv_problem *p = &fc->p;
  const fc_sched *s = &fc->s;
  const size_t sb = s->slot * fconv_dtype_scalar_size(p->dtype);
  const size_t xb = p->sig_elems * p->esize, yb = p->out_elems * p->esize;
  unsigned char *W = (unsigned char *)fc->wbuf[tid];
  unsigned char *C = fc->s.oop ? (unsigned char *)fc->cbuf[tid] : W; /* W's spectra */
  const size_t u0 = chunk * s->h;
  const size_t m = u0 + s->h <= s->nunits ? s->h : s->nunits - u0;
  fconv_span sp[3];
  for (size_t j = 0; j < m; j++) {
    const size_t u = u0 + j, i = u / s->nact;
    active_spans(fc, u % s->nact, sp);
    fconv_fc_pack_block(fc, c->x + fconv_signal_of(p, i) * xb, sp, W + j * sb, s->inner);
  }
  fconv_fftw_exec(fconv_fc_find_plan(fc, FCONV_FFTW_FORWARD, m), W, C);
  for (size_t j = 0; j < m; j++) {
    const size_t i = (u0 + j) / s->nact;
    fconv_fc_multiply(fc, C + j * sb, C + j * sb, c->G + fconv_kernel_of(p, i) * sb, s->inner);
  }
  fconv_fftw_exec(fconv_fc_find_plan(fc, FCONV_FFTW_BACKWARD, m), C, W);
  for (size_t j = 0; j < m; j++) {
    const size_t u = u0 + j, i = u / s->nact;
    active_spans(fc, u % s->nact, sp);
    fconv_fc_crop_block(fc, W + j * sb, sp, c->y + i * yb, s->inner);
  }
}

/* Filter bank item: block chunk bc, kernel range r. */
static void run_fb_item(const fc_exec_ctx *c, size_t item, int tid) {
  fconv_fc *fc = c->fc;
  const fconv_problem *p = &fc->p;
  const fc_sched *s = &fc->s;
  const size_t sb = s->slot * fconv_dtype_scalar_size(p->dtype), yb = p->out_elems * p->esize;
  const size_t kb = p->kernel_batch;
  const size_t bc = item / s->ksplit, r = item % s->ksplit;
  unsigned char *S = (unsigned char *)fc->wbuf[tid], *P = (unsigned char *)fc->pbuf[tid];
  unsigned char *Sc = fc->s.oop ? (unsigned char *)fc->cbuf[tid] : S; /* S's spectra */
  const size_t a0 = bc * s->h, cs = a0 + s->h <= s->nact ? s->h : s->nact - a0;
  fconv_span sp[3];
  for (size_t j = 0; j < cs; j++) {
    active_spans(fc, a0 + j, sp);
    fconv_fc_pack_block(fc, c->x, sp, S + j * sb, s->inner);
  }
  fconv_fftw_exec(fconv_fc_find_plan(fc, FCONV_FFTW_FORWARD, cs), S, Sc);
  const size_t q_lo = r * kb / s->ksplit, q_hi = (r + 1) * kb / s->ksplit;
  for (size_t q0 = q_lo; q0 < q_hi; q0 += s->kq) {
    const size_t qn = q0 + s->kq <= q_hi ? s->kq : q_hi - q0;
    for (size_t ql = 0; ql < qn; ql++)
      for (size_t j = 0; j < cs; j++)
        fconv_fc_multiply(fc, P + (ql * cs + j) * sb, Sc + j * sb, c->G + (q0 + ql) * sb, s->inner);
    fconv_fftw_exec(fconv_fc_find_plan(fc, FCONV_FFTW_BACKWARD, cs * qn), P, P);
    for (size_t ql = 0; ql < qn; ql++)
      for (size_t j = 0; j < cs; j++) {
        active_spans(fc, a0 + j, sp);
        fconv_fc_crop_block(fc, P + (ql * cs + j) * sb, sp, c->y + (q0 + ql) * yb, s->inner);
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
      fconv_fc_kernel_spectra(fc, h, fc->kscr);
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

/* ---- introspection and the kernel-aware cost ----------------------------------------------------- */

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

double fconv_fc_kernel_cost(const void *state, const fconv_kernel_info *info) {
  (void)info;
  const fconv_fc *fc = (const fconv_fc *)state;
  return fconv_fc_model(&fc->p, &fc->g);
}
