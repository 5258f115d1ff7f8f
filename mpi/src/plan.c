/* plan.c — fconv_mpi's public entry points: collective validation, the axis-0 geometry, the
 * output decomposition, and the halo-exchange path (DIRECT / OVERLAP_SAVE: serial fconv plans
 * over each rank's slab extended by rows from the other ranks). The FFTW-MPI path is in fft.c. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_internal.h"

/* ---- small helpers -------------------------------------------------------------------------- */

static size_t ceil_div(size_t a, size_t b) { return a / b + (a % b != 0); }

static int cmp_size(const void *a, const void *b) {
  const size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}

size_t fm_sort_unique(size_t *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_size);
  size_t u = 0;
  for (size_t i = 0; i < n; i++)
    if (!u || v[u - 1] != v[i]) v[u++] = v[i];
  return u;
}

/* Padding of one axis for the mode (the contract's step 2). */
void fm_mode_padding(const fconv_desc *d, int axis, size_t *p0, size_t *p1) {
  const size_t k = d->kernel_shape[axis];
  switch (d->mode) {
  case FCONV_MODE_FULL: *p0 = k - 1, *p1 = k - 1; break;
  case FCONV_MODE_SAME: *p0 = k / 2, *p1 = (k - 1) / 2; break;
  case FCONV_MODE_PAD: *p0 = d->pad_before[axis], *p1 = d->pad_after[axis]; break;
  default: *p0 = 0, *p1 = 0; break;
  }
}

/* What only the distributed problem can check (the rest is checked by fconv_plan_create on the
 * local pieces, whose statuses are agreed between the ranks). */
static fconv_status check_desc(const fconv_desc *d) {
  if (!d) return fm_fail(FCONV_ERR_INVALID_ARGUMENT, "NULL description");
  if (d->rank < 1 || d->rank > FCONV_MAX_RANK)
    return fm_fail(FCONV_ERR_INVALID_ARGUMENT, "rank outside 1..3");
  if ((unsigned)d->mode > FCONV_MODE_PAD || (unsigned)d->method > FCONV_METHOD_OVERLAP_SAVE)
    return fm_fail(FCONV_ERR_INVALID_ARGUMENT, "mode or method out of range");
  int smaller = 0, larger = 0;
  for (int a = 0; a < d->rank; a++) {
    if (!d->signal_shape[a] || !d->kernel_shape[a] || !d->stride[a])
      return fm_fail(FCONV_ERR_INVALID_ARGUMENT, "zero extent or stride");
    smaller |= d->kernel_shape[a] < d->signal_shape[a];
    larger |= d->kernel_shape[a] > d->signal_shape[a];
  }
  if (d->mode == FCONV_MODE_VALID && smaller && larger)
    return fm_fail(FCONV_ERR_INVALID_ARGUMENT, "VALID with crossed shapes");
  size_t p0, p1;
  fm_mode_padding(d, 0, &p0, &p1);
  const size_t n = d->signal_shape[0];
  if (p0 > SIZE_MAX / 4 || p1 > SIZE_MAX / 4 || n > SIZE_MAX / 4)
    return fm_fail(FCONV_ERR_INVALID_ARGUMENT, "axis 0 padding overflows");
  if (!(d->mode == FCONV_MODE_VALID && larger) && n + p0 + p1 < d->kernel_shape[0])
    return fm_fail(FCONV_ERR_INVALID_ARGUMENT, "axis 0 window shorter than the kernel");
  if (d->flags & FCONV_FLAG_DEVICE_POINTERS)
    return fm_fail(FCONV_ERR_UNSUPPORTED, "device pointers are not supported by fconv_mpi yet");
  return FCONV_OK;
}

/* Everything that must agree between the ranks (threads may differ). */
static uint64_t desc_hash(const fconv_desc *d) {
  uint64_t f[32];
  size_t n = 0;
  f[n++] = (uint64_t)d->rank;
  for (int a = 0; a < d->rank; a++) {
    f[n++] = d->signal_shape[a], f[n++] = d->kernel_shape[a], f[n++] = d->stride[a];
    f[n++] = d->mode == FCONV_MODE_PAD ? d->pad_before[a] : 0;
    f[n++] = d->mode == FCONV_MODE_PAD ? d->pad_after[a] : 0;
  }
  f[n++] = d->batch, f[n++] = d->kernel_batch, f[n++] = (uint64_t)d->dtype;
  f[n++] = (uint64_t)d->mode, f[n++] = (uint64_t)d->op, f[n++] = (uint64_t)d->boundary;
  f[n++] = (uint64_t)d->method, f[n++] = (uint64_t)d->backend, f[n++] = d->flags;
  uint64_t h = 1469598103934665603ull;
  const unsigned char *b = (const unsigned char *)f;
  for (size_t i = 0; i < n * sizeof f[0]; i++) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

fconv_status fconv_mpi_local_size(const fconv_desc *d, MPI_Comm comm, size_t *local_n0,
                                  size_t *local_start) {
  int up = 0, np = 0, me = 0;
  MPI_Initialized(&up);
  if (!d || !local_n0 || !local_start || !up || comm == MPI_COMM_NULL || d->rank < 1 ||
      d->rank > FCONV_MAX_RANK || !d->signal_shape[0])
    return fm_fail(FCONV_ERR_INVALID_ARGUMENT, "local_size: bad arguments");
  if (MPI_Comm_size(comm, &np) != MPI_SUCCESS || MPI_Comm_rank(comm, &me) != MPI_SUCCESS)
    return fm_fail(FCONV_ERR_INVALID_ARGUMENT, "local_size: not a communicator");
  const size_t n = d->signal_shape[0], block = ceil_div(n, (size_t)np);
  const size_t start = block * (size_t)me < n ? block * (size_t)me : n;
  *local_start = start;
  *local_n0 = (n - start < block) ? n - start : block;
  return FCONV_OK;
}

/* Output row ranges: output row j goes to the rank holding signal row a(j) = j*s - P0 + K/2
 * (the window's centre), clamped to [0, n0). first_out(S) is the first output row of the rank
 * whose slab starts at S. */
static size_t first_out(const fm_geom *g, size_t S) {
  if (S == 0) return 0;
  if (S >= g->n) return g->L;
  const size_t num = S + g->p0, sub = g->k / 2;
  if (num <= sub) return 0;
  const size_t j = ceil_div(num - sub, g->s);
  return j < g->L ? j : g->L;
}

/* The serial library's own boundary rule, read back: xe row i (of the axis-0 extension) is
 * signal row map[i], or -1 for a zero row. Computed as a 1-tap PAD convolution of 1..n. */
fconv_status fm_row_map(const fconv_desc *gd, const fm_geom *g, long long *map) {
  const size_t n = g->n, one = 1, m = g->n + g->p0 + g->p1;
  fconv_desc d;
  fconv_desc_init(&d, 1, &n, &one, FCONV_F64);
  d.mode = FCONV_MODE_PAD;
  d.pad_before[0] = g->p0, d.pad_after[0] = g->p1;
  d.boundary = gd->boundary;
  d.method = FCONV_METHOD_DIRECT, d.backend = FCONV_BACKEND_CPU, d.threads = 1;
  double *x = malloc(n * sizeof *x), *y = malloc(m * sizeof *y), h = 1.0;
  fconv_status st = (x && y) ? FCONV_OK : FCONV_ERR_OUT_OF_MEMORY;
  if (st == FCONV_OK) {
    for (size_t i = 0; i < n; i++) x[i] = (double)(i + 1);
    st = fconv_convolve(&d, x, &h, y);
  }
  if (st == FCONV_OK)
    for (size_t i = 0; i < m; i++) map[i] = (long long)(y[i] + 0.5) - 1;
  free(x), free(y);
  return st;
}

/* The serial description of a local piece of rows xe rows: axis 0 unpadded, the other axes
 * padded as the global mode pads them. */
static fconv_desc piece_desc(const fconv_mpi_plan *p, size_t rows) {
  fconv_desc d = p->desc;
  if (p->geom.swapped) return d;
  for (int a = 1; a < d.rank; a++) fm_mode_padding(&p->desc, a, &d.pad_before[a], &d.pad_after[a]);
  d.mode = FCONV_MODE_PAD;
  d.signal_shape[0] = rows;
  d.pad_before[0] = d.pad_after[0] = 0;
  d.method = p->piece_method;
  return d;
}

/* ---- the halo path: pieces ---------------------------------------------------------------- */

/* One piece: output rows [ja, jb) (global) computed from its own assembled input. */
static fconv_status add_piece(fconv_mpi_plan *p, size_t ja, size_t jb, const long long *map,
                              size_t *need, size_t *n_need) {
  fm_piece *pc = &p->pieces[p->n_pieces++];
  const fm_geom *g = &p->geom;
  const size_t S = p->local_start, E = p->local_start + p->local_n0;
  pc->out_j0 = ja - p->out_start;
  pc->out_n = jb - ja;
  size_t first;
  if (g->swapped) { /* every output needs the whole signal: gather it, keep our rows */
    pc->in_rows = g->n, first = 0;
    pc->plan_out_rows = g->L, pc->crop0 = ja;
  } else {
    pc->in_rows = (jb - ja - 1) * g->s + g->k, first = ja * g->s;
    pc->plan_out_rows = jb - ja, pc->crop0 = 0;
  }
  pc->src = malloc(pc->in_rows * sizeof *pc->src);
  if (!pc->src) return FCONV_ERR_OUT_OF_MEMORY;
  int contiguous_own = 1;
  for (size_t i = 0; i < pc->in_rows; i++) {
    const long long r = g->swapped ? (long long)(first + i) : map[first + i];
    if (r < 0) {
      pc->src[i].kind = FM_ROW_ZERO, pc->src[i].idx = 0;
    } else if ((size_t)r >= S && (size_t)r < E) {
      pc->src[i].kind = FM_ROW_OWN, pc->src[i].idx = (size_t)r - S;
    } else {
      pc->src[i].kind = FM_ROW_RECV, pc->src[i].idx = (size_t)r;
      need[(*n_need)++] = (size_t)r;
    }
    if (pc->src[i].kind != FM_ROW_OWN || pc->src[i].idx != pc->src[0].idx + i) contiguous_own = 0;
  }
  pc->in_place = contiguous_own && p->desc.batch == 1;
  if (!pc->in_place) {
    pc->inbuf = malloc(p->desc.batch * pc->in_rows * p->row_elems * p->esz + 1);
    if (!pc->inbuf) return FCONV_ERR_OUT_OF_MEMORY;
  }
  if (p->count > 1 || pc->crop0 || pc->plan_out_rows != pc->out_n) {
    pc->outbuf = malloc(p->count * pc->plan_out_rows * p->orow_elems * p->esz + 1);
    if (!pc->outbuf) return FCONV_ERR_OUT_OF_MEMORY;
  }
  const fconv_desc d = piece_desc(p, pc->in_rows);
  return fconv_plan_create(&pc->plan, &d);
}

static void free_pieces(fconv_mpi_plan *p) {
  for (int i = 0; i < p->n_pieces; i++) {
    fconv_plan_destroy(p->pieces[i].plan);
    free(p->pieces[i].src), free(p->pieces[i].inbuf), free(p->pieces[i].outbuf);
  }
  memset(p->pieces, 0, sizeof p->pieces);
  p->n_pieces = 0;
}

/* The pieces' modelled seconds (their serial plans' estimates); -1 when one of them runs
 * DIRECT (splitting costs a direct piece nothing). */
static double pieces_fft_seconds(const fconv_mpi_plan *p) {
  double t = 0;
  for (int i = 0; i < p->n_pieces; i++) {
    fconv_plan_info pi;
    if (fconv_plan_get_info(p->pieces[i].plan, &pi) != FCONV_OK ||
        pi.method == FCONV_METHOD_DIRECT)
      return -1;
    t += pi.estimated_seconds;
  }
  return t;
}

/* Pieces of this rank: the interior (every window inside the slab, computed while the halo
 * travels) and the edges, or one piece when there is no interior — or when the pieces run an
 * FFT method: each piece then transforms its own K-1 extra rows, and one piece over all the
 * rank's outputs, computed once the halo has arrived, is the cheaper when its modelled time plus
 * the exchange's (fm_halo_seconds) is under the split pieces' (measured, 3-D 256^3 with 31^3,
 * FFT, 2 ranks: 3 pieces transform 224 planes per rank, one piece 160). need: rows to receive. */
static fconv_status plan_halo(fconv_mpi_plan *p, const long long *map, size_t **need,
                              size_t *n_need) {
  const fm_geom *g = &p->geom;
  const size_t j0 = p->out_start, j1 = p->out_start + p->out_n0;
  const size_t S = p->local_start, E = p->local_start + p->local_n0;
  if (j0 == j1) return FCONV_OK;
  /* rows the pieces may need from others: at most all their input rows */
  const size_t cap = g->swapped ? g->n : (j1 - j0) * g->s + 3 * g->k;
  size_t *rows = *need = malloc((cap + 1) * sizeof(size_t));
  if (!rows) return FCONV_ERR_OUT_OF_MEMORY;
  fconv_status st = FCONV_OK;
  size_t ji0 = j0, ji1 = j0;
  if (!g->swapped) {
    ji0 = ceil_div(S + g->p0, g->s);
    if (ji0 < j0) ji0 = j0;
    ji1 = (E + g->p0 >= g->k) ? (E + g->p0 - g->k) / g->s + 1 : 0;
    if (ji1 > j1) ji1 = j1;
  }
  if (ji0 < ji1) {
    p->interior = p->n_pieces;
    st = add_piece(p, ji0, ji1, map, rows, n_need);
    if (st == FCONV_OK && j0 < ji0) st = add_piece(p, j0, ji0, map, rows, n_need);
    if (st == FCONV_OK && ji1 < j1) st = add_piece(p, ji1, j1, map, rows, n_need);
    const double split = st == FCONV_OK && p->n_pieces > 1 ? pieces_fft_seconds(p) : -1;
    if (split > 0) {
      *n_need = fm_sort_unique(rows, *n_need);
      const double xchg = fm_halo_seconds(p, *n_need);
      free_pieces(p);
      p->interior = -1;
      *n_need = 0;
      st = add_piece(p, j0, j1, map, rows, n_need);
      const double one = st == FCONV_OK ? pieces_fft_seconds(p) : -1;
      if (st == FCONV_OK && !(one > 0 && one + xchg < split)) { /* back to the split */
        free_pieces(p);
        *n_need = 0;
        p->interior = p->n_pieces;
        st = add_piece(p, ji0, ji1, map, rows, n_need);
        if (st == FCONV_OK && j0 < ji0) st = add_piece(p, j0, ji0, map, rows, n_need);
        if (st == FCONV_OK && ji1 < j1) st = add_piece(p, ji1, j1, map, rows, n_need);
      }
    }
  } else {
    st = add_piece(p, j0, j1, map, rows, n_need);
  }
  if (st != FCONV_OK) return st;
  *n_need = fm_sort_unique(rows, *n_need);
  return FCONV_OK;
}

/* ---- geometry ------------------------------------------------------------------------------ */

size_t fm_axis_out_len(const fconv_desc *d, int axis, int swapped) {
  const size_t n = d->signal_shape[axis], k = d->kernel_shape[axis], s = d->stride[axis];
  if (swapped) return ceil_div(k - n + 1, s);
  size_t p0, p1;
  fm_mode_padding(d, axis, &p0, &p1);
  return ceil_div(n + p0 + p1 - k + 1, s);
}

static void geometry(const fconv_desc *d, fm_geom *g) {
  g->n = d->signal_shape[0], g->k = d->kernel_shape[0], g->s = d->stride[0];
  fm_mode_padding(d, 0, &g->p0, &g->p1);
  g->swapped = 0;
  if (d->mode == FCONV_MODE_VALID) {
    int larger = 0;
    for (int a = 0; a < d->rank; a++) larger |= d->kernel_shape[a] > d->signal_shape[a];
    g->swapped = larger;
  }
  g->L = fm_axis_out_len(d, 0, g->swapped);
}

/* ---- create / destroy -------------------------------------------------------------------- */

static void plan_free(fconv_mpi_plan *p) {
  if (!p) return;
  free_pieces(p);
  fm_xchg_free(&p->halo);
  fm_fft_free(p);
  if (p->comm != MPI_COMM_NULL) MPI_Comm_free(&p->comm);
  p->magic = 0;
  free(p);
}

/* The serial plans' output extents must be the ones this library derived (a consistency check
 * of the two descriptions of the contract). */
static fconv_status check_out_shape(const fconv_mpi_plan *p, const fconv_plan *sp, size_t rows) {
  size_t sh[FCONV_MAX_RANK];
  fconv_status st = fconv_plan_output_shape(sp, sh);
  if (st != FCONV_OK) return st;
  if (sh[0] != rows) return fm_fail(FCONV_ERR_INTERNAL, "piece output rows differ");
  for (int a = 1; a < p->desc.rank; a++)
    if (sh[a] != p->out_shape[a]) return fm_fail(FCONV_ERR_INTERNAL, "piece output differs");
  return FCONV_OK;
}

/* A rank without output rows still validates the description the same way the others do. */
static fconv_status validate_alone(const fconv_mpi_plan *p) {
  fconv_desc d = piece_desc(p, p->geom.swapped ? p->geom.n : p->geom.k);
  d.method = FCONV_METHOD_DIRECT; /* no transforms planned for a check */
  fconv_plan *sp = NULL;
  fconv_status st = fconv_plan_create(&sp, &d);
  fconv_plan_destroy(sp);
  return st;
}

/* The halo path's pieces, checks and exchange (collective). */
static fconv_status plan_halo_path(fconv_mpi_plan *p, const size_t *own) {
  long long *map = malloc((p->geom.n + p->geom.p0 + p->geom.p1) * sizeof *map);
  size_t *need = NULL, n_need = 0;
  fconv_status st = map ? fm_row_map(&p->desc, &p->geom, map) : FCONV_ERR_OUT_OF_MEMORY;
  if (st == FCONV_OK) st = plan_halo(p, map, &need, &n_need);
  for (int i = 0; i < p->n_pieces && st == FCONV_OK; i++)
    st = check_out_shape(p, p->pieces[i].plan, p->pieces[i].plan_out_rows);
  if (st == FCONV_OK && !p->n_pieces) st = validate_alone(p);
  st = fm_agree(p->comm, st);
  if (st == FCONV_OK)
    st = fm_xchg_setup(&p->halo, p->comm, own, need, n_need, p->desc.batch,
                       p->row_elems * p->esz);
  free(map), free(need);
  return st;
}

fconv_status fconv_mpi_plan_create(fconv_mpi_plan **plan, const fconv_desc *d, MPI_Comm comm,
                                   size_t local_n0, size_t local_start) {
  int up = 0;
  MPI_Initialized(&up);
  if (!up || comm == MPI_COMM_NULL) {
    if (plan) *plan = NULL;
    return fm_fail(FCONV_ERR_INVALID_ARGUMENT, "MPI not initialised or MPI_COMM_NULL");
  }
  if (plan) *plan = NULL;
  fconv_mpi_plan *p = calloc(1, sizeof *p);
  MPI_Comm dup = MPI_COMM_NULL;
  if (MPI_Comm_dup(comm, &dup) != MPI_SUCCESS) {
    free(p);
    return fm_fail(FCONV_ERR_INTERNAL, "MPI_Comm_dup failed");
  }
  MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN);

  /* 1. Every rank's own checks, and the descriptions compared (a hash, max and min). */
  fconv_status st = !p ? FCONV_ERR_OUT_OF_MEMORY
                       : !plan ? fm_fail(FCONV_ERR_INVALID_ARGUMENT, "NULL plan pointer")
                               : check_desc(d);
  const uint64_t h = st == FCONV_OK ? desc_hash(d) : 0;
  uint64_t v[3] = {(uint64_t)st, h, ~h}, r[3];
  if (MPI_Allreduce(v, r, 3, MPI_UINT64_T, MPI_MAX, dup) != MPI_SUCCESS) r[0] = FCONV_ERR_INTERNAL;
  fm_note_agreed(st, (fconv_status)r[0]);
  st = (fconv_status)r[0];
  if (st == FCONV_OK && r[1] != ~r[2])
    st = fm_fail(FCONV_ERR_INVALID_ARGUMENT, "the ranks' descriptions differ");
  if (st != FCONV_OK) {
    free(p);
    MPI_Comm_free(&dup);
    return st;
  }
  p->magic = FM_MAGIC;
  p->comm = dup;
  p->halo.row_type = MPI_DATATYPE_NULL;
  p->interior = -1;
  MPI_Comm_size(dup, &p->nranks);
  MPI_Comm_rank(dup, &p->me);
  p->desc = *d;
  geometry(d, &p->geom);
  p->esz = fm_esize(d->dtype);
  p->row_elems = p->orow_elems = 1;
  p->out_shape[0] = p->geom.L;
  for (int a = 1; a < FCONV_MAX_RANK; a++) p->out_shape[a] = 1;
  for (int a = 1; a < d->rank; a++) {
    p->row_elems *= d->signal_shape[a];
    p->out_shape[a] = fm_axis_out_len(d, a, p->geom.swapped);
    p->orow_elems *= p->out_shape[a];
  }
  p->count = d->batch > d->kernel_batch ? d->batch : d->kernel_batch;

  /* 2. The ranges must tile [0, n0) in rank order (every rank sees all of them). */
  const size_t np = (size_t)p->nranks;
  uint64_t mine[2] = {local_n0, local_start}, *all = malloc(2 * np * sizeof *all);
  size_t *own = malloc((np + 1) * sizeof *own), *out_own = malloc((np + 1) * sizeof *own);
  st = (all && own && out_own) ? FCONV_OK : FCONV_ERR_OUT_OF_MEMORY;
  st = fm_agree(dup, st);
  if (st == FCONV_OK &&
      MPI_Allgather(mine, 2, MPI_UINT64_T, all, 2, MPI_UINT64_T, dup) != MPI_SUCCESS)
    st = FCONV_ERR_INTERNAL;
  if (st == FCONV_OK) {
    own[0] = 0;
    for (size_t q = 0; q < np && st == FCONV_OK; q++) {
      if (all[2 * q + 1] != own[q] || all[2 * q] > p->geom.n - own[q])
        st = fm_fail(FCONV_ERR_INVALID_ARGUMENT, "the ranks' ranges do not tile axis 0");
      else
        own[q + 1] = own[q] + all[2 * q];
    }
    if (st == FCONV_OK && own[np] != p->geom.n)
      st = fm_fail(FCONV_ERR_INVALID_ARGUMENT, "the ranks' ranges do not cover axis 0");
  }
  st = fm_agree(dup, st);
  if (st == FCONV_OK) {
    for (size_t q = 0; q <= np; q++) out_own[q] = first_out(&p->geom, own[q]);
    p->local_n0 = local_n0, p->local_start = local_start;
    p->out_start = out_own[p->me], p->out_n0 = out_own[p->me + 1] - out_own[p->me];
  }

  /* 3. The method, then its plans. AUTO plans the halo path first (its serial pieces carry
   * the cost model's figures) and moves to FFTW-MPI when that is modelled faster. FFTW-MPI
   * cannot plan some (degenerate) shapes: then serial FFTs on halo-extended slabs. */
  if (st == FCONV_OK) st = fm_choose(p, own, out_own);
  if (st == FCONV_OK && p->method != FCONV_METHOD_FFT) {
    st = plan_halo_path(p, own);
    if (st == FCONV_OK && (d->method == FCONV_METHOD_AUTO || d->method == FCONV_METHOD_FFT) &&
        fm_auto_prefers_fft(p)) {
      free_pieces(p);
      fm_xchg_free(&p->halo);
      p->interior = -1;
      p->method = FCONV_METHOD_FFT;
    }
  }
  if (st == FCONV_OK && p->method == FCONV_METHOD_FFT) {
    st = fm_agree(dup, validate_alone(p)); /* dtype, op, boundary, batches: as fconv says */
    if (st == FCONV_OK) st = fm_fft_plan(p, own, out_own);
    if (st == FCONV_ERR_FFT) {
      fm_fft_free(p);
      p->method = FCONV_METHOD_DIRECT, p->piece_method = d->method;
      p->fft_fallback = 1;
      st = plan_halo_path(p, own);
    }
  }
  free(all), free(own), free(out_own);
  if (st != FCONV_OK) {
    plan_free(p);
    return st;
  }
  fm_fill_info(p);
  *plan = p;
  return FCONV_OK;
}

void fconv_mpi_plan_destroy(fconv_mpi_plan *plan) {
  if (!plan || plan->magic != FM_MAGIC) return;
  plan_free(plan);
}

fconv_status fconv_mpi_plan_output_range(const fconv_mpi_plan *p, size_t *local_out_n0,
                                         size_t *local_out_start,
                                         size_t global_shape[FCONV_MAX_RANK]) {
  if (!p || p->magic != FM_MAGIC) return fm_fail(FCONV_ERR_INVALID_ARGUMENT, "not a plan");
  if (local_out_n0) *local_out_n0 = p->out_n0;
  if (local_out_start) *local_out_start = p->out_start;
  if (global_shape)
    for (int a = 0; a < FCONV_MAX_RANK; a++) global_shape[a] = p->out_shape[a];
  return FCONV_OK;
}

fconv_status fconv_mpi_plan_get_info(const fconv_mpi_plan *p, fconv_mpi_plan_info *info) {
  if (!p || p->magic != FM_MAGIC || !info)
    return fm_fail(FCONV_ERR_INVALID_ARGUMENT, "not a plan, or NULL info");
  *info = p->info;
  return FCONV_OK;
}

/* ---- execute -------------------------------------------------------------------------------- */

/* Run one piece: assemble its input (unless read in place), compute, place its rows. */
static fconv_status run_piece(fconv_mpi_plan *p, fm_piece *pc, const unsigned char *x,
                              const void *kernel, unsigned char *out) {
  const size_t rowb = p->row_elems * p->esz, orowb = p->orow_elems * p->esz;
  const size_t plane = p->local_n0 * rowb;
  const void *in = pc->in_place ? x + pc->src[0].idx * rowb : pc->inbuf;
  if (!pc->in_place)
    fm_assemble(pc->inbuf, pc->src, pc->in_rows, p->desc.batch, rowb, x, plane, rowb, &p->halo);
  unsigned char *dst = pc->outbuf ? pc->outbuf : out + pc->out_j0 * orowb;
  const fconv_status st = fconv_execute(pc->plan, in, kernel, dst);
  if (st != FCONV_OK || !pc->outbuf) return st;
  for (size_t c = 0; c < p->count; c++)
    memcpy(out + (c * p->out_n0 + pc->out_j0) * orowb,
           pc->outbuf + (c * pc->plan_out_rows + pc->crop0) * orowb, pc->out_n * orowb);
  return FCONV_OK;
}

static fconv_status execute_halo(fconv_mpi_plan *p, const unsigned char *x, const void *kernel,
                                 unsigned char *out) {
  const size_t rowb = p->row_elems * p->esz;
  fconv_status st = fm_xchg_start(&p->halo, p->comm, x, p->local_n0 * rowb, rowb);
  /* The interior needs no received rows: computed while the halo travels. */
  if (st == FCONV_OK && p->interior >= 0)
    st = run_piece(p, &p->pieces[p->interior], x, kernel, out);
  const fconv_status wst = fm_xchg_wait(&p->halo);
  if (st == FCONV_OK) st = wst;
  for (int i = 0; i < p->n_pieces && st == FCONV_OK; i++)
    if (i != p->interior) st = run_piece(p, &p->pieces[i], x, kernel, out);
  return st;
}

fconv_status fconv_mpi_execute(fconv_mpi_plan *p, const void *signal, const void *kernel,
                               void *out) {
  if (!p || p->magic != FM_MAGIC) return fm_fail(FCONV_ERR_INVALID_ARGUMENT, "not a plan");
  fconv_status st = FCONV_OK;
  if (!signal && p->local_n0 && p->desc.batch)
    st = fm_fail(FCONV_ERR_INVALID_ARGUMENT, "NULL signal on a rank that holds rows");
  else if (!out && p->out_n0)
    st = fm_fail(FCONV_ERR_INVALID_ARGUMENT, "NULL output on a rank that has output rows");
  else if (!kernel && !p->kernel_set)
    st = fm_fail(FCONV_ERR_INVALID_ARGUMENT, "NULL kernel and none set");
  st = fm_agree(p->comm, st);
  if (st != FCONV_OK) return st;
  if (p->method == FCONV_METHOD_FFT) st = fm_fft_execute(p, signal, kernel, out);
  else st = execute_halo(p, signal, kernel, out);
  return fm_agree(p->comm, st);
}

fconv_status fconv_mpi_plan_set_kernel(fconv_mpi_plan *p, const void *kernel) {
  if (!p || p->magic != FM_MAGIC) return fm_fail(FCONV_ERR_INVALID_ARGUMENT, "not a plan");
  fconv_status st = kernel ? FCONV_OK : fm_fail(FCONV_ERR_INVALID_ARGUMENT, "NULL kernel");
  st = fm_agree(p->comm, st);
  if (st != FCONV_OK) return st;
  if (p->method == FCONV_METHOD_FFT) st = fm_fft_set_kernel(p, kernel);
  for (int i = 0; i < p->n_pieces && st == FCONV_OK; i++)
    st = fconv_plan_set_kernel(p->pieces[i].plan, kernel);
  st = fm_agree(p->comm, st);
  p->kernel_set = st == FCONV_OK;
  return st;
}
