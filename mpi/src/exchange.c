/* exchange.c — moving rows of a slab-decomposed array between ranks (see mpi_internal.h), and
 * the library's small shared helpers (errors, element size). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_internal.h"

/* Why this thread's most recent failed fconv_mpi call failed (fconv_mpi_last_error). fresh: set
 * by fm_fail since the last status agreement, so the agreement keeps a local reason and fills in
 * the others (a serial fconv call's reason, or another rank's failure). */
static _Thread_local char fm_why[256];
static _Thread_local int fm_why_fresh;

const char *fconv_mpi_last_error(void) { return fm_why; }

fconv_status fm_fail(fconv_status st, const char *why) {
  snprintf(fm_why, sizeof fm_why, "%s", why);
  fm_why_fresh = 1;
  const char *e = getenv("FCONV_DEBUG");
  if (e && *e && strcmp(e, "0") != 0) {
    int r = -1, up = 0;
    MPI_Initialized(&up);
    if (up) MPI_Comm_rank(MPI_COMM_WORLD, &r);
    fprintf(stderr, "fconv_mpi rank %d: %s: %s\n", r, fconv_status_string(st), why);
  }
  return st;
}

void fm_note_agreed(fconv_status mine, fconv_status agreed) {
  if (mine != FCONV_OK && !fm_why_fresh) { /* a serial fconv call failed here: its reason */
    const char *e = fconv_last_error();
    snprintf(fm_why, sizeof fm_why, "%s", e && *e ? e : fconv_status_string(mine));
  } else if (mine == FCONV_OK && agreed != FCONV_OK) {
    snprintf(fm_why, sizeof fm_why, "another rank failed (%s); its fconv_mpi_last_error says why",
             fconv_status_string(agreed));
  }
  fm_why_fresh = 0;
}

fconv_status fm_agree(MPI_Comm comm, fconv_status st) {
  int in = (int)st, out = 0;
  if (MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_MAX, comm) != MPI_SUCCESS)
    return fm_fail(FCONV_ERR_INTERNAL, "MPI_Allreduce of the status failed");
  fm_note_agreed(st, (fconv_status)out);
  return (fconv_status)out;
}

size_t fm_esize(fconv_dtype t) {
  switch (t) {
  case FCONV_F32: return 4;
  case FCONV_F64: case FCONV_C64: return 8;
  case FCONV_C128: return 16;
  }
  return 0;
}

/* The rank owning global row g (the last rank r with own[r] <= g: empty ranks are skipped). */
static int owner_of(const size_t *own, int nranks, size_t g) {
  int lo = 0, hi = nranks - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (own[mid] <= g) lo = mid; else hi = mid - 1;
  }
  return lo;
}

fconv_status fm_xchg_setup(fm_xchg *x, MPI_Comm comm, const size_t *own, const size_t *need,
                           size_t n_need, size_t planes, size_t row_bytes) {
  memset(x, 0, sizeof *x);
  x->row_type = MPI_DATATYPE_NULL;
  int np = 0, me = 0;
  MPI_Comm_size(comm, &np);
  MPI_Comm_rank(comm, &me);
  x->nranks = np;
  x->planes = planes;
  x->row_bytes = row_bytes;
  fconv_status st = FCONV_OK;
  int *rcount = calloc((size_t)np, sizeof(int)), *scount = calloc((size_t)np, sizeof(int));
  int *rdisp = calloc((size_t)np, sizeof(int)), *sdisp = calloc((size_t)np, sizeof(int));
  uint64_t *rbuf = NULL, *sbuf = NULL;
  if (!rcount || !scount || !rdisp || !sdisp) st = FCONV_ERR_OUT_OF_MEMORY;
  if (st == FCONV_OK && row_bytes > (size_t)INT_MAX)
    st = fm_fail(FCONV_ERR_UNSUPPORTED, "a row of the slab is larger than INT_MAX bytes");
  if (st == FCONV_OK && n_need > (size_t)INT_MAX / (planes ? planes : 1))
    st = fm_fail(FCONV_ERR_UNSUPPORTED, "more than INT_MAX rows to receive");
  if (st == FCONV_OK && n_need) {
    x->need = malloc(n_need * sizeof *x->need);
    x->need_pos = malloc(n_need * sizeof *x->need_pos);
    x->need_step = malloc(n_need * sizeof *x->need_step);
    rbuf = malloc(n_need * sizeof *rbuf);
    if (!x->need || !x->need_pos || !x->need_step || !rbuf) st = FCONV_ERR_OUT_OF_MEMORY;
  }
  if (st == FCONV_OK) {
    x->n_need = n_need;
    for (size_t i = 0; i < n_need; i++) {
      x->need[i] = need[i];
      rbuf[i] = need[i];
      const int q = owner_of(own, np, need[i]);
      if (q == me || need[i] >= own[np]) { st = FCONV_ERR_INTERNAL; break; }
      rcount[q]++;
    }
    for (int q = 1; q < np; q++) rdisp[q] = rdisp[q - 1] + rcount[q - 1];
  }
  /* Tell every owner what it sends. Each step's status is agreed first, so that every rank
   * takes part in the same collectives (or none). */
  size_t n_send = 0;
  st = fm_agree(comm, st);
  if (st == FCONV_OK && MPI_Alltoall(rcount, 1, MPI_INT, scount, 1, MPI_INT, comm) != MPI_SUCCESS)
    st = FCONV_ERR_INTERNAL;
  if (st == FCONV_OK) {
    for (int q = 0; q < np; q++) {
      if (q) sdisp[q] = sdisp[q - 1] + scount[q - 1];
      n_send += (size_t)scount[q];
    }
    if (n_send > (size_t)INT_MAX / (planes ? planes : 1))
      st = fm_fail(FCONV_ERR_UNSUPPORTED, "more than INT_MAX rows to send");
    else if (!(sbuf = malloc((n_send ? n_send : 1) * sizeof *sbuf)))
      st = FCONV_ERR_OUT_OF_MEMORY;
  }
  st = fm_agree(comm, st);
  if (st == FCONV_OK && MPI_Alltoallv(rbuf, rcount, rdisp, MPI_UINT64_T, sbuf, scount, sdisp,
                                      MPI_UINT64_T, comm) != MPI_SUCCESS)
    st = FCONV_ERR_INTERNAL;

  /* Peers, positions, buffers. */
  if (st == FCONV_OK) {
    for (int q = 0; q < np; q++) {
      if (rcount[q]) x->n_recv_peers++;
      if (scount[q]) x->n_send_peers++;
    }
    const int nr = x->n_recv_peers, ns = x->n_send_peers;
    x->recv_peer = malloc(((size_t)nr + 1) * sizeof(int));
    x->send_peer = malloc(((size_t)ns + 1) * sizeof(int));
    x->recv_count = malloc(((size_t)nr + 1) * sizeof(size_t));
    x->send_count = malloc(((size_t)ns + 1) * sizeof(size_t));
    x->send_rows = calloc((size_t)ns + 1, sizeof(size_t *));
    x->reqs = malloc(((size_t)nr + (size_t)ns + 1) * sizeof(MPI_Request));
    x->recv_buf = malloc(planes * n_need * row_bytes + 1);
    x->send_buf = malloc(planes * n_send * row_bytes + 1);
    if (!x->recv_peer || !x->send_peer || !x->recv_count || !x->send_count || !x->send_rows ||
        !x->reqs || !x->recv_buf || !x->send_buf)
      st = FCONV_ERR_OUT_OF_MEMORY;
  }
  if (st == FCONV_OK) {
    int ir = 0, is = 0;
    size_t off = 0;
    for (int q = 0; q < np; q++) {
      if (rcount[q]) {
        x->recv_peer[ir] = q;
        x->recv_count[ir] = (size_t)rcount[q];
        for (int k = 0; k < rcount[q]; k++) {
          const size_t i = (size_t)rdisp[q] + (size_t)k;
          x->need_pos[i] = off + (size_t)k * row_bytes;
          x->need_step[i] = (size_t)rcount[q] * row_bytes;
        }
        off += planes * (size_t)rcount[q] * row_bytes;
        ir++;
      }
      if (scount[q] && st == FCONV_OK) {
        x->send_peer[is] = q;
        x->send_count[is] = (size_t)scount[q];
        x->send_rows[is] = malloc((size_t)scount[q] * sizeof(size_t));
        if (!x->send_rows[is]) { st = FCONV_ERR_OUT_OF_MEMORY; is++; continue; }
        for (int k = 0; k < scount[q]; k++) {
          const uint64_t g = sbuf[sdisp[q] + k];
          if (g < own[me] || g >= own[me + 1]) st = FCONV_ERR_INTERNAL;
          x->send_rows[is][k] = (size_t)(g - own[me]);
        }
        is++;
      }
    }
  }
  if (st == FCONV_OK && (MPI_Type_contiguous((int)row_bytes, MPI_BYTE, &x->row_type) !=
                             MPI_SUCCESS ||
                         MPI_Type_commit(&x->row_type) != MPI_SUCCESS))
    st = FCONV_ERR_INTERNAL;
  free(rcount), free(scount), free(rdisp), free(sdisp), free(rbuf), free(sbuf);
  st = fm_agree(comm, st);
  if (st != FCONV_OK) fm_xchg_free(x);
  return st;
}

fconv_status fm_xchg_start(fm_xchg *x, MPI_Comm comm, const void *src, size_t plane_stride,
                           size_t row_stride) {
  int nreq = 0;
  size_t off = 0;
  for (int i = 0; i < x->n_recv_peers; i++) {
    const size_t n = x->planes * x->recv_count[i];
    if (MPI_Irecv(x->recv_buf + off, (int)n, x->row_type, x->recv_peer[i], 0, comm,
                  &x->reqs[nreq++]) != MPI_SUCCESS)
      return fm_fail(FCONV_ERR_INTERNAL, "MPI_Irecv failed");
    off += n * x->row_bytes;
  }
  off = 0;
  const unsigned char *s = src;
  for (int i = 0; i < x->n_send_peers; i++) {
    unsigned char *dst = x->send_buf + off;
    for (size_t p = 0; p < x->planes; p++)
      for (size_t k = 0; k < x->send_count[i]; k++, dst += x->row_bytes)
        memcpy(dst, s + p * plane_stride + x->send_rows[i][k] * row_stride, x->row_bytes);
    const size_t n = x->planes * x->send_count[i];
    if (MPI_Isend(x->send_buf + off, (int)n, x->row_type, x->send_peer[i], 0, comm,
                  &x->reqs[nreq++]) != MPI_SUCCESS)
      return fm_fail(FCONV_ERR_INTERNAL, "MPI_Isend failed");
    off += n * x->row_bytes;
  }
  return FCONV_OK;
}

fconv_status fm_xchg_wait(fm_xchg *x) {
  const int nreq = x->n_recv_peers + x->n_send_peers;
  if (nreq && MPI_Waitall(nreq, x->reqs, MPI_STATUSES_IGNORE) != MPI_SUCCESS)
    return fm_fail(FCONV_ERR_INTERNAL, "MPI_Waitall of the row exchange failed");
  return FCONV_OK;
}

const unsigned char *fm_xchg_row(const fm_xchg *x, size_t g, size_t p) {
  size_t lo = 0, hi = x->n_need;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (x->need[mid] < g) lo = mid + 1; else hi = mid;
  }
  if (lo == x->n_need || x->need[lo] != g) return NULL;
  return x->recv_buf + x->need_pos[lo] + p * x->need_step[lo];
}

void fm_xchg_free(fm_xchg *x) {
  if (x->send_rows)
    for (int i = 0; i < x->n_send_peers; i++) free(x->send_rows[i]);
  free(x->send_rows);
  free(x->need), free(x->need_pos), free(x->need_step);
  free(x->recv_peer), free(x->send_peer), free(x->recv_count), free(x->send_count);
  free(x->recv_buf), free(x->send_buf), free(x->reqs);
  if (x->row_type != MPI_DATATYPE_NULL) MPI_Type_free(&x->row_type);
  memset(x, 0, sizeof *x);
  x->row_type = MPI_DATATYPE_NULL;
}

void fm_assemble(unsigned char *dst, const fm_rowsrc *src, size_t n, size_t planes,
                 size_t row_bytes, const unsigned char *slab, size_t slab_plane,
                 size_t slab_row, const fm_xchg *x) {
  for (size_t p = 0; p < planes; p++)
    for (size_t i = 0; i < n; i++, dst += row_bytes) {
      const unsigned char *from = NULL;
      if (src[i].kind == FM_ROW_OWN) from = slab + p * slab_plane + src[i].idx * slab_row;
      else if (src[i].kind == FM_ROW_RECV) from = fm_xchg_row(x, src[i].idx, p);
      if (from) memcpy(dst, from, row_bytes);
      else memset(dst, 0, row_bytes);
    }
}

void fm_xchg_traffic(const fm_xchg *x, fconv_mpi_plan_info *in) {
  for (int i = 0; i < x->n_send_peers; i++)
    in->send_bytes += x->planes * x->send_count[i] * x->row_bytes;
  in->recv_bytes += x->planes * x->n_need * x->row_bytes;
  in->send_messages += (size_t)x->n_send_peers, in->recv_messages += (size_t)x->n_recv_peers;
}
