/* fft.c — the FFTW-MPI path: the global problem as one distributed FFT convolution.
 *
 * Per output: the extended signal xe (boundary rule on every axis) zero-padded to transform
 * extents T >= N + P0 + P1 lies in FFTW-MPI's slab layout (rows [f0, f0 + fn) of T0 on this
 * rank); a forward transform with FFTW_MPI_TRANSPOSED_OUT leaves the spectrum transposed (axes
 * 0 and 1 swapped, distributed along axis 1), where it is multiplied by the kernel's spectrum in
 * the same layout; the backward transform with FFTW_MPI_TRANSPOSED_IN comes back in the slab
 * layout, so no transpose back is made. Output element n is c[n * s + K - 1] per axis.
 * Around it, two row exchanges (exchange.c): the signal rows each FFTW slab needs from the
 * caller's slabs (through the boundary map on axis 0), and the output rows from the FFTW slabs
 * to the ranks that own them. The other axes are extended by a serial fconv plan with a 1-tap
 * kernel (the serial library's own boundary rule). Rank 2 and 3 only. */
#include <complex.h>
#include <math.h>
#include <pthread.h>
#include <fftw3-mpi.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_internal.h"

/* ---- the two precisions behind one table ---------------------------------------------------- */

typedef struct fm_fftw_ops {
  void *(*plan)(int rnk, const ptrdiff_t *n, void *buf, MPI_Comm c, int cplx, int fwd,
                unsigned flags);
  void (*exec)(void *plan, void *buf, int cplx, int fwd);
  void (*destroy)(void *plan);
  void *(*alloc)(size_t bytes);
  void (*release)(void *p);
  /* dst[i] = a[i] * b[i] for n complex elements */
  void (*cmul)(void *dst, const void *a, const void *b, size_t n);
  /* scale n complex elements */
  void (*cscale)(void *dst, size_t n, double s);
  /* negate the odd scalars (imaginary parts) of n complex elements */
  void (*cconj)(void *dst, size_t n);
} fm_fftw_ops;

#define FM_FFTW_OPS(P, R)                                                                      \
  static void *P##_mpi_plan_any(int rnk, const ptrdiff_t *n, void *buf, MPI_Comm c, int cplx,  \
                                int fwd, unsigned flags) {                                     \
    const ptrdiff_t B = FFTW_MPI_DEFAULT_BLOCK;                                                \
    flags |= fwd ? FFTW_MPI_TRANSPOSED_OUT : FFTW_MPI_TRANSPOSED_IN;                           \
    if (cplx)                                                                                  \
      return P##_mpi_plan_many_dft(rnk, n, 1, B, B, buf, buf, c,                               \
                                   fwd ? FFTW_FORWARD : FFTW_BACKWARD, flags);                 \
    return fwd ? (void *)P##_mpi_plan_many_dft_r2c(rnk, n, 1, B, B, buf, buf, c, flags)        \
               : (void *)P##_mpi_plan_many_dft_c2r(rnk, n, 1, B, B, buf, buf, c, flags);       \
  }                                                                                            \
  static void P##_mpi_exec_any(void *pl, void *buf, int cplx, int fwd) {                       \
    if (cplx) P##_mpi_execute_dft(pl, buf, buf);                                               \
    else if (fwd) P##_mpi_execute_dft_r2c(pl, buf, buf);                                       \
    else P##_mpi_execute_dft_c2r(pl, buf, buf);                                                \
  }                                                                                            \
  static void P##_destroy_any(void *pl) { P##_destroy_plan(pl); }                              \
  static void *P##_alloc_any(size_t b) { return P##_malloc(b); }                               \
  static void P##_cmul(void *dst, const void *a, const void *b, size_t n) {                    \
    R(*d)[2] = dst;                                                                            \
    const R(*x)[2] = a, (*y)[2] = b;                                                           \
    for (size_t i = 0; i < n; i++) {                                                           \
      const R re = x[i][0] * y[i][0] - x[i][1] * y[i][1];                                      \
      const R im = x[i][0] * y[i][1] + x[i][1] * y[i][0];                                      \
      d[i][0] = re, d[i][1] = im;                                                              \
    }                                                                                          \
  }                                                                                            \
  static void P##_cscale(void *dst, size_t n, double s) {                                      \
    R *d = dst;                                                                                \
    for (size_t i = 0; i < 2 * n; i++) d[i] = (R)(d[i] * s);                                   \
  }                                                                                            \
  static void P##_cconj(void *dst, size_t n) {                                                 \
    R *d = dst;                                                                                \
    for (size_t i = 0; i < n; i++) d[2 * i + 1] = -d[2 * i + 1];                               \
  }                                                                                            \
  static const fm_fftw_ops P##_ops = {P##_mpi_plan_any, P##_mpi_exec_any, P##_destroy_any,     \
                                      P##_alloc_any,    P##_free,         P##_cmul,            \
                                      P##_cscale,       P##_cconj};
FM_FFTW_OPS(fftw, double)
FM_FFTW_OPS(fftwf, float)

/* ---- the path's state ---------------------------------------------------------------------- */

struct fm_fft {
  const fm_fftw_ops *ops;
  int cplx, rnk;
  void *fwd, *bwd;
  ptrdiff_t T[FCONV_MAX_RANK], nc[FCONV_MAX_RANK]; /* transform extents; complex-side extents */
  size_t M[FCONV_MAX_RANK];                        /* extended signal extents */
  size_t rlast;          /* scalars per last-axis line on the real side (padded for r2c) */
  size_t f0, fn;         /* this rank's FFTW slab: rows [f0, f0 + fn) of T0 */
  size_t xe_rows;        /* of them, rows < M0 (from the signal) */
  size_t alloc_c;        /* complex elements of one transform buffer */
  size_t spec_c;         /* complex elements of this rank's (transposed) spectrum */
  void *buf, *sig_spec, *ktmp, *kspec; /* FFTW arrays; kspec: kernel_batch spectra */
  fm_rowsrc *in_src;     /* xe_rows sources of the signal rows */
  fm_xchg in, out;       /* signal rows in; output rows out */
  fm_rowsrc *out_src;    /* out_n0 sources of this rank's output rows */
  unsigned char *xrows;  /* batch * xe_rows signal rows (caller's layout) */
  unsigned char *ext;    /* batch * xe_rows rows extended on axes 1.. (M1 x M2) */
  unsigned char *crop;   /* count * fn output rows (cropped, strided) */
  fconv_plan *extend;    /* serial 1-tap PAD plan: the boundary rule on axes 1.. */
  unsigned char one[16]; /* the 1-tap kernel */
  double scale;
};

/* Once per process: FFTW's threads (before anything else: the planner's thread hooks need
 * fftw_init_threads), its MPI solvers, and a thread-safe planner (the serial library plans too). */
static pthread_once_t fftw_once = PTHREAD_ONCE_INIT;
static void fftw_setup(void) {
  fftw_init_threads(), fftwf_init_threads();
  fftw_mpi_init(), fftwf_mpi_init();
  fftw_make_planner_thread_safe(), fftwf_make_planner_thread_safe();
}

static size_t good_size(size_t n) { /* smallest 2^a 3^b 5^c 7^d >= n */
  for (size_t m = n;; m++) {
    size_t r = m;
    for (size_t f = 2; f <= 7; f++)
      while (f != 4 && f != 6 && r % f == 0) r /= f;
    if (r == 1) return m;
  }
}

void fm_fft_free(fconv_mpi_plan *p) {
  fm_fft *f = p->fft;
  if (!f) return;
  if (f->fwd) f->ops->destroy(f->fwd);
  if (f->bwd) f->ops->destroy(f->bwd);
  f->ops->release(f->buf), f->ops->release(f->sig_spec), f->ops->release(f->ktmp);
  f->ops->release(f->kspec);
  fm_xchg_free(&f->in), fm_xchg_free(&f->out);
  free(f->in_src), free(f->out_src), free(f->xrows), free(f->ext), free(f->crop);
  fconv_plan_destroy(f->extend);
  free(f);
  p->fft = NULL;
}


fconv_status fm_fft_plan(fconv_mpi_plan *p, const size_t *own, const size_t *out_own) {
  (void)out_own;
  const fconv_desc *d = &p->desc;
  fm_fft *f = calloc(1, sizeof *f);
  p->fft = f;
  fconv_status st = f ? FCONV_OK : FCONV_ERR_OUT_OF_MEMORY;
  if (st == FCONV_OK) {
    const int dbl = d->dtype == FCONV_F64 || d->dtype == FCONV_C128;
    f->ops = dbl ? &fftw_ops : &fftwf_ops;
    f->cplx = d->dtype == FCONV_C64 || d->dtype == FCONV_C128;
    f->rnk = d->rank;
    f->in.row_type = f->out.row_type = MPI_DATATYPE_NULL;
    f->scale = 1.0;
    for (int a = 0; a < d->rank; a++) {
      size_t p0, p1;
      fm_mode_padding(d, a, &p0, &p1);
      f->M[a] = d->signal_shape[a] + p0 + p1;
      f->T[a] = (ptrdiff_t)good_size(f->M[a]);
      f->nc[a] = f->T[a];
      f->scale /= (double)f->T[a];
    }
    if (!f->cplx) f->nc[d->rank - 1] = f->T[d->rank - 1] / 2 + 1;
    f->rlast = f->cplx ? (size_t)f->T[d->rank - 1] : 2 * (size_t)f->nc[d->rank - 1];
    ptrdiff_t n0, s0, n1, s1;
    const ptrdiff_t alloc = fftw_mpi_local_size_many_transposed(
        d->rank, f->nc, 1, FFTW_MPI_DEFAULT_BLOCK, FFTW_MPI_DEFAULT_BLOCK, p->comm, &n0, &s0, &n1,
        &s1);
    f->f0 = (size_t)s0, f->fn = (size_t)n0;
    f->alloc_c = (size_t)(alloc > 0 ? alloc : 1);
    f->spec_c = (size_t)n1 * (size_t)f->nc[0];
    for (int a = 2; a < d->rank; a++) f->spec_c *= (size_t)f->nc[a];
    f->xe_rows = f->f0 >= f->M[0] ? 0 : (f->f0 + f->fn > f->M[0] ? f->M[0] - f->f0 : f->fn);
    const size_t cb = f->cplx ? p->esz : 2 * p->esz; /* bytes of one complex element */
    f->buf = f->ops->alloc(f->alloc_c * cb);
    f->ktmp = f->ops->alloc(f->alloc_c * cb);
    f->kspec = f->ops->alloc(d->kernel_batch * f->spec_c * cb + cb);
    if (d->batch == 1 && p->count > 1) f->sig_spec = f->ops->alloc(f->spec_c * cb + cb);
    if (!f->buf || !f->ktmp || !f->kspec || (d->batch == 1 && p->count > 1 && !f->sig_spec))
      st = FCONV_ERR_OUT_OF_MEMORY;
  }
  /* The transforms (collective; every rank reaches them unless the allocation failed). */
  st = fm_agree(p->comm, st);
  if (st == FCONV_OK) {
    pthread_once(&fftw_once, fftw_setup);
    fftw_plan_with_nthreads(1), fftwf_plan_with_nthreads(1);
    const unsigned eff = (d->flags & FCONV_FLAG_MEASURE) ? FFTW_MEASURE : FFTW_ESTIMATE;
    f->fwd = f->ops->plan(d->rank, f->T, f->buf, p->comm, f->cplx, 1, eff);
    f->bwd = f->ops->plan(d->rank, f->T, f->buf, p->comm, f->cplx, 0, eff);
    if (!f->fwd || !f->bwd) st = fm_fail(FCONV_ERR_FFT, "FFTW-MPI returned no plan");
  }
  st = fm_agree(p->comm, st);

  /* Signal rows in: xe rows [f0, f0 + xe_rows) through the boundary map. */
  const size_t m0 = p->geom.n + p->geom.p0 + p->geom.p1;
  long long *map = NULL;
  size_t *need = NULL, n_need = 0;
  const size_t S = p->local_start, E = p->local_start + p->local_n0;
  if (st == FCONV_OK) {
    map = malloc((m0 + 1) * sizeof *map);
    need = malloc((f->xe_rows + p->out_n0 + 1) * sizeof *need);
    f->in_src = malloc((f->xe_rows + 1) * sizeof *f->in_src);
    st = map && need && f->in_src ? fm_row_map(d, &p->geom, map) : FCONV_ERR_OUT_OF_MEMORY;
  }
  if (st == FCONV_OK) {
    for (size_t i = 0; i < f->xe_rows; i++) {
      const long long r = map[f->f0 + i];
      fm_rowsrc *s = &f->in_src[i];
      if (r < 0) s->kind = FM_ROW_ZERO, s->idx = 0;
      else if ((size_t)r >= S && (size_t)r < E) s->kind = FM_ROW_OWN, s->idx = (size_t)r - S;
      else s->kind = FM_ROW_RECV, s->idx = (size_t)r, need[n_need++] = (size_t)r;
    }
    n_need = fm_sort_unique(need, n_need);
  }
  st = fm_agree(p->comm, st);
  if (st == FCONV_OK)
    st = fm_xchg_setup(&f->in, p->comm, own, need, n_need, d->batch, p->row_elems * p->esz);

  /* Output rows out: output row j is c row j * s + K - 1, on the rank whose FFTW slab has it. */
  size_t *fown = NULL;
  if (st == FCONV_OK) {
    const size_t np = (size_t)p->nranks;
    fown = malloc((np + 1) * sizeof *fown);
    uint64_t mine[2] = {f->f0, f->fn}, *all = malloc(2 * np * sizeof *all);
    f->out_src = malloc((p->out_n0 + 1) * sizeof *f->out_src);
    if (!fown || !all || !f->out_src) st = FCONV_ERR_OUT_OF_MEMORY;
    st = fm_agree(p->comm, st);
    if (st == FCONV_OK &&
        MPI_Allgather(mine, 2, MPI_UINT64_T, all, 2, MPI_UINT64_T, p->comm) != MPI_SUCCESS)
      st = FCONV_ERR_INTERNAL;
    if (st == FCONV_OK) {
      /* FFTW's slabs are in rank order; an empty one starts where the next one does. */
      fown[np] = (size_t)f->T[0];
      for (size_t q = np; q-- > 0;) fown[q] = all[2 * q + 1] ? all[2 * q] : fown[q + 1];
      n_need = 0;
      for (size_t j = 0; j < p->out_n0; j++) {
        const size_t row = (p->out_start + j) * p->geom.s + p->geom.k - 1;
        fm_rowsrc *s = &f->out_src[j];
        if (row >= f->f0 && row < f->f0 + f->fn) s->kind = FM_ROW_OWN, s->idx = row - f->f0;
        else s->kind = FM_ROW_RECV, s->idx = row, need[n_need++] = row;
      }
      n_need = fm_sort_unique(need, n_need);
    }
    free(all);
  }
  st = fm_agree(p->comm, st);
  if (st == FCONV_OK)
    st = fm_xchg_setup(&f->out, p->comm, fown, need, n_need, p->count, p->orow_elems * p->esz);
  free(map), free(need), free(fown);

  /* Buffers and the serial extension plan of axes 1.. . */
  if (st == FCONV_OK) {
    size_t mrow = 1;
    for (int a = 1; a < d->rank; a++) mrow *= f->M[a];
    f->xrows = malloc(d->batch * f->xe_rows * p->row_elems * p->esz + 1);
    f->ext = malloc(d->batch * f->xe_rows * mrow * p->esz + 1);
    f->crop = malloc(p->count * f->fn * p->orow_elems * p->esz + 1);
    if (!f->xrows || !f->ext || !f->crop) st = FCONV_ERR_OUT_OF_MEMORY;
    if (st == FCONV_OK && f->xe_rows) {
      size_t n[FCONV_MAX_RANK], k[FCONV_MAX_RANK] = {1, 1, 1};
      for (int a = 1; a < d->rank; a++) n[a - 1] = d->signal_shape[a];
      fconv_desc e;
      fconv_desc_init(&e, d->rank - 1, n, k, d->dtype);
      e.mode = FCONV_MODE_PAD;
      e.boundary = d->boundary;
      for (int a = 1; a < d->rank; a++)
        fm_mode_padding(d, a, &e.pad_before[a - 1], &e.pad_after[a - 1]);
      e.batch = d->batch * f->xe_rows;
      e.method = FCONV_METHOD_DIRECT, e.backend = FCONV_BACKEND_CPU;
      e.threads = d->threads;
      st = fconv_plan_create(&f->extend, &e);
      memset(f->one, 0, sizeof f->one); /* 1 (real part 1, imaginary 0 for complex) */
      const float one_f = 1.0f;
      const double one_d = 1.0;
      if (f->ops == &fftw_ops) memcpy(f->one, &one_d, sizeof one_d);
      else memcpy(f->one, &one_f, sizeof one_f);
    }
  }
  return fm_agree(p->comm, st);
}

/* ---- execute ------------------------------------------------------------------------------- */

/* Real-side layout of a transform buffer: element (i0, i1, i2) of this rank's slab. */
static size_t line_elems(const fm_fft *f) {
  return f->cplx ? (size_t)f->T[f->rnk - 1] : f->rlast;
}

/* Kernel kk of the caller's kernel array, flipped and conjugated for CORRELATE, zero-padded to
 * T in this rank's slab, transformed and scaled by 1 / prod(T) into dst (spec_c elements). */
static void kernel_spectrum(fconv_mpi_plan *p, const void *kernel, size_t kk, void *dst) {
  fm_fft *f = p->fft;
  const fconv_desc *d = &p->desc;
  const size_t es = p->esz, cb = f->cplx ? es : 2 * es, line = line_elems(f);
  const size_t K0 = d->kernel_shape[0], K1 = d->rank > 1 ? d->kernel_shape[1] : 1;
  const size_t K2 = d->rank > 2 ? d->kernel_shape[2] : 1, T1 = (size_t)f->T[1];
  const int corr = d->op == FCONV_OP_CORRELATE;
  const unsigned char *h = (const unsigned char *)kernel + kk * K0 * K1 * K2 * es;
  unsigned char *b = f->ktmp;
  memset(b, 0, f->alloc_c * cb);
  for (size_t i = 0; i < f->fn; i++) {
    const size_t g0 = f->f0 + i;
    if (g0 >= K0) break;
    for (size_t i1 = 0; i1 < K1; i1++)
      for (size_t i2 = 0; i2 < K2; i2++) {
        const size_t s0 = corr ? K0 - 1 - g0 : g0, s1 = corr ? K1 - 1 - i1 : i1;
        const size_t s2 = corr ? K2 - 1 - i2 : i2;
        const size_t to = d->rank == 2 ? i * line + i1 : (i * T1 + i1) * line + i2;
        memcpy(b + to * es, h + ((s0 * K1 + s1) * K2 + s2) * es, es);
      }
  }
  if (corr && f->cplx) f->ops->cconj(b, f->alloc_c);
  f->ops->exec(f->fwd, b, f->cplx, 1);
  f->ops->cscale(b, f->spec_c, f->scale);
  if (dst != b) memcpy(dst, b, f->spec_c * cb);
}

fconv_status fm_fft_set_kernel(fconv_mpi_plan *p, const void *kernel) {
  fm_fft *f = p->fft;
  const size_t cb = f->cplx ? p->esz : 2 * p->esz;
  for (size_t k = 0; k < p->desc.kernel_batch; k++)
    kernel_spectrum(p, kernel, k, (unsigned char *)f->kspec + k * f->spec_c * cb);
  return FCONV_OK;
}

/* Signal plane b (extended rows in f->ext) into the transform buffer, zero-padded. */
static void load_signal(fconv_mpi_plan *p, size_t b) {
  fm_fft *f = p->fft;
  const size_t es = p->esz, cb = f->cplx ? es : 2 * es, line = line_elems(f);
  const size_t M1 = f->M[1], M2 = f->rnk > 2 ? f->M[2] : 1, T1 = (size_t)f->T[1];
  unsigned char *buf = f->buf;
  memset(buf, 0, f->alloc_c * cb);
  const unsigned char *e = f->ext + b * f->xe_rows * M1 * M2 * es;
  for (size_t i = 0; i < f->xe_rows; i++) {
    if (f->rnk == 2) {
      memcpy(buf + i * line * es, e + i * M1 * es, M1 * es);
      continue;
    }
    for (size_t i1 = 0; i1 < M1; i1++)
      memcpy(buf + (i * T1 + i1) * line * es, e + (i * M1 + i1) * M2 * es, M2 * es);
  }
}

/* The output rows of this rank's slab: c[n * s + K - 1] on axes 1.., for every row i. */
static void crop_rows(fconv_mpi_plan *p, size_t c) {
  fm_fft *f = p->fft;
  const fconv_desc *d = &p->desc;
  const size_t es = p->esz, line = line_elems(f), T1 = (size_t)f->T[1];
  const size_t O1 = p->out_shape[1], O2 = d->rank > 2 ? p->out_shape[2] : 1;
  const size_t s1 = d->stride[1], s2 = d->rank > 2 ? d->stride[2] : 1;
  const size_t k1 = d->kernel_shape[1] - 1, k2 = d->rank > 2 ? d->kernel_shape[2] - 1 : 0;
  const unsigned char *buf = f->buf;
  unsigned char *dst = f->crop + c * f->fn * O1 * O2 * es;
  /* The last axis: one copy per line when its stride is 1. */
  const size_t sl = d->rank == 2 ? s1 : s2, nl = d->rank == 2 ? O1 : O2;
  for (size_t i = 0; i < f->fn; i++)
    for (size_t o1 = 0; o1 < (d->rank == 2 ? 1 : O1); o1++) {
      const unsigned char *from = d->rank == 2 ? buf + (i * line + k1) * es
                                               : buf + ((i * T1 + o1 * s1 + k1) * line + k2) * es;
      if (sl == 1) {
        memcpy(dst, from, nl * es), dst += nl * es;
        continue;
      }
      for (size_t o = 0; o < nl; o++, dst += es) memcpy(dst, from + o * sl * es, es);
    }
}

fconv_status fm_fft_execute(fconv_mpi_plan *p, const void *signal, const void *kernel,
                            void *out) {
  fm_fft *f = p->fft;
  const fconv_desc *d = &p->desc;
  const size_t rowb = p->row_elems * p->esz, orowb = p->orow_elems * p->esz;
  const size_t cb = f->cplx ? p->esz : 2 * p->esz;
  fconv_status st = fm_xchg_start(&f->in, p->comm, signal, p->local_n0 * rowb, rowb);
  const fconv_status wst = fm_xchg_wait(&f->in);
  if (st == FCONV_OK) st = wst;
  if (st != FCONV_OK) return st; /* an MPI failure: the caller's status agreement reports it */
  fm_assemble(f->xrows, f->in_src, f->xe_rows, d->batch, rowb, signal, p->local_n0 * rowb,
              rowb, &f->in);
  if (f->xe_rows) st = fconv_execute(f->extend, f->xrows, f->one, f->ext);
  /* Every rank runs every transform (they are collective), whatever its local status. */
  for (size_t c = 0; c < p->count; c++) {
    const size_t b = d->batch > 1 ? c : 0, kk = d->kernel_batch > 1 ? c : 0;
    const void *G = (unsigned char *)f->kspec + kk * f->spec_c * cb;
    if (kernel) {
      if (c == 0 || d->kernel_batch > 1) kernel_spectrum(p, kernel, kk, f->ktmp);
      G = f->ktmp;
    }
    if (c == 0 || d->batch > 1) {
      load_signal(p, b);
      f->ops->exec(f->fwd, f->buf, f->cplx, 1);
      if (f->sig_spec) memcpy(f->sig_spec, f->buf, f->spec_c * cb);
    }
    f->ops->cmul(f->buf, f->sig_spec ? f->sig_spec : f->buf, G, f->spec_c);
    f->ops->exec(f->bwd, f->buf, f->cplx, 0);
    crop_rows(p, c);
  }
  const fconv_status xst = fm_xchg_start(&f->out, p->comm, f->crop, f->fn * orowb, orowb);
  const fconv_status wst2 = fm_xchg_wait(&f->out);
  if (st == FCONV_OK) st = xst != FCONV_OK ? xst : wst2;
  if (st == FCONV_OK)
    fm_assemble(out, f->out_src, p->out_n0, p->count, orowb, f->crop, f->fn * orowb, orowb,
                &f->out);
  return st;
}

void fm_fft_traffic(const fconv_mpi_plan *p, fconv_mpi_plan_info *in) {
  const fm_fft *f = p->fft;
  fm_xchg_traffic(&f->in, in);
  fm_xchg_traffic(&f->out, in);
  /* Each transform transposes this rank's share once (all-to-all): a forward and a backward
   * per output (the forward once for a filter bank). */
  const size_t cb = f->cplx ? p->esz : 2 * p->esz, np = (size_t)p->nranks;
  const size_t transforms = p->count + (p->desc.batch > 1 ? p->count : 1);
  in->transpose_bytes = transforms * f->spec_c * cb * (np - 1) / np;
}

double fm_fft_comm_model(const fconv_mpi_plan *p, double alpha, double beta) {
  const fconv_desc *d = &p->desc;
  const int cplx = d->dtype == FCONV_C64 || d->dtype == FCONV_C128;
  const double np = (double)p->nranks, cb = cplx ? (double)p->esz : 2.0 * (double)p->esz;
  double points = 1;
  for (int a = 0; a < d->rank; a++) {
    size_t p0, p1;
    fm_mode_padding(d, a, &p0, &p1);
    double t = (double)good_size(d->signal_shape[a] + p0 + p1);
    if (a == d->rank - 1 && !cplx) t = floor(t / 2) + 1;
    points *= t;
  }
  const double transforms = (double)p->count + (d->batch > 1 ? (double)p->count : 1.0);
  const double share = points * cb / np; /* this rank's spectrum */
  const double transposes = transforms * (share * (np - 1) / np / beta + (np - 1) * alpha);
  /* The signal rows in and the output rows out: at worst a slab's worth each. */
  const double rows = (double)(p->local_n0 * p->row_elems * d->batch +
                               p->out_n0 * p->orow_elems * p->count) * (double)p->esz;
  return transposes + (np > 1 ? rows * (np - 1) / np / beta + 2 * alpha : 0);
}
