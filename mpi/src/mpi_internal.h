/* mpi_internal.h — private declarations of libfconv_mpi (mpi/src). The library is a client of
 * the public fconv.h only: every local piece of work is a serial fconv plan. */
#ifndef FCONV_MPI_INTERNAL_H
#define FCONV_MPI_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "fconv_mpi.h"

#if defined(__GNUC__)
#define FM_HIDDEN __attribute__((visibility("hidden")))
#else
#define FM_HIDDEN
#endif

/* ---- errors -------------------------------------------------------------------------------- */

/* fm_fail: log why (only when FCONV_DEBUG is set, with the MPI rank) and return st. */
FM_HIDDEN fconv_status fm_fail(fconv_status st, const char *why);
/* After an agreement on a status: keep this rank's reason, or record a serial call's or another
 * rank's (fconv_mpi_last_error). fm_agree calls it; so does any other agreement. */
FM_HIDDEN void fm_note_agreed(fconv_status mine, fconv_status agreed);
/* The same status on every rank: the largest status value any rank of comm reports (an MPI
 * failure of the reduction itself counts as FCONV_ERR_INTERNAL, on the ranks that see it). */
FM_HIDDEN fconv_status fm_agree(MPI_Comm comm, fconv_status st);
FM_HIDDEN size_t fm_esize(fconv_dtype t);

/* ---- row exchange ---------------------------------------------------------------------------
 * A "row space" [0, R) is split between the ranks in rank order (rank r owns
 * [own[r], own[r+1])). Each rank names the rows it needs from the others (a sorted list);
 * fm_xchg_setup tells every owner what to send (collective), and fm_xchg_start / fm_xchg_wait
 * move `planes` copies of each row (one per batch item) with non-blocking point-to-point
 * messages, one per pair of ranks that share rows. Rows are row_bytes long. */
typedef struct fm_xchg {
  int nranks;
  size_t planes, row_bytes;
  MPI_Datatype row_type;
  /* needs: sorted global rows this rank receives; need_pos[i]: offset of need i's plane 0 row in
   * recv_buf (plane p at + p * need_plane_step[i]) */
  size_t n_need;
  size_t *need;
  size_t *need_pos, *need_step;
  int n_recv_peers, n_send_peers;
  int *recv_peer, *send_peer;
  size_t *recv_count, *send_count;    /* rows per peer (per plane) */
  size_t **send_rows;                 /* per send peer: local row indices in the owner's slab */
  unsigned char *recv_buf, *send_buf; /* planes * rows * row_bytes, peer sections back to back */
  MPI_Request *reqs;
} fm_xchg;

/* Collective over comm. own: nranks + 1 boundaries of the row space; need: sorted unique rows
 * (none owned by this rank), n_need of them (copied). On failure of one rank every rank gets a
 * failure status (the collectives still run). */
FM_HIDDEN fconv_status fm_xchg_setup(fm_xchg *x, MPI_Comm comm, const size_t *own,
                                     const size_t *need, size_t n_need, size_t planes,
                                     size_t row_bytes);
/* Post the receives, pack and send. src: this rank's slab; row r of plane p at
 * src + p * plane_stride + r * row_stride (bytes). */
FM_HIDDEN fconv_status fm_xchg_start(fm_xchg *x, MPI_Comm comm, const void *src,
                                     size_t plane_stride, size_t row_stride);
FM_HIDDEN fconv_status fm_xchg_wait(fm_xchg *x);
/* Where received global row g of plane p lies (NULL when g is not a need). */
FM_HIDDEN const unsigned char *fm_xchg_row(const fm_xchg *x, size_t g, size_t p);
FM_HIDDEN void fm_xchg_free(fm_xchg *x);

/* ---- where each row of an assembled input comes from ----------------------------------------- */
typedef struct fm_rowsrc {
  int kind;     /* FM_ROW_ZERO, FM_ROW_OWN (slab row idx), FM_ROW_RECV (global row idx) */
  size_t idx;
} fm_rowsrc;
enum { FM_ROW_ZERO = 0, FM_ROW_OWN = 1, FM_ROW_RECV = 2 };

/* Copy rows into dst (planes * n rows of row_bytes, plane-major). slab rows at
 * slab + p * slab_plane + r * slab_row; received rows from x. */
FM_HIDDEN void fm_assemble(unsigned char *dst, const fm_rowsrc *src, size_t n, size_t planes,
                           size_t row_bytes, const unsigned char *slab, size_t slab_plane,
                           size_t slab_row, const fm_xchg *x);

/* ---- the plan ------------------------------------------------------------------------------- */

/* Axis-0 geometry of the global problem (the contract's steps 2-6 along the decomposed axis). */
typedef struct fm_geom {
  size_t n, k, s;   /* signal rows, kernel rows, stride */
  size_t p0, p1;    /* padding before / after */
  size_t L;         /* output rows */
  int swapped;      /* VALID with the kernel larger than the signal (rule 6) */
} fm_geom;

/* A local piece of the halo path: output rows [out_j0, out_j0 + out_n) of this rank, computed by
 * one serial plan from in_rows assembled input rows (per batch item). */
typedef struct fm_piece {
  fconv_plan *plan;
  size_t out_j0, out_n;
  size_t plan_out_rows, crop0; /* rows per output the plan writes; first one kept */
  size_t in_rows;
  fm_rowsrc *src;              /* where each input row comes from */
  int in_place;                /* input read straight from the caller's slab */
  unsigned char *inbuf, *outbuf;
} fm_piece;

typedef struct fm_fft fm_fft; /* the FFTW-MPI path (fft.c) */

#define FM_MAGIC 0x6d70636fu
struct fconv_mpi_plan {
  unsigned magic;
  MPI_Comm comm;
  int nranks, me;
  fconv_desc desc;
  fm_geom geom;
  fconv_method method;       /* what runs: DIRECT / OVERLAP_SAVE (halo) or FFT (FFTW-MPI) */
  fconv_method piece_method; /* the serial plans' method (halo path) */
  size_t esz, row_elems, orow_elems, count;
  size_t out_shape[FCONV_MAX_RANK];
  size_t local_n0, local_start, out_n0, out_start;
  int kernel_set;
  fm_piece pieces[3];
  int n_pieces, interior;    /* interior: index of the piece computed during the exchange */
  fm_xchg halo;
  fm_fft *fft;
  int fft_fallback;          /* FFT requested, FFTW-MPI could not plan the shape */
  int auto_modelled;         /* AUTO compared the halo path and FFTW-MPI (info figures set) */
  fconv_mpi_plan_info info;
};

/* plan.c: the contract's padding of one axis for the mode (step 2); the serial library's
 * boundary map of axis 0 (xe row i is signal row map[i], -1 for zero); sort and deduplicate. */
FM_HIDDEN void fm_mode_padding(const fconv_desc *d, int axis, size_t *p0, size_t *p1);
FM_HIDDEN fconv_status fm_row_map(const fconv_desc *d, const fm_geom *g, long long *map);
FM_HIDDEN size_t fm_sort_unique(size_t *v, size_t n);
/* One output axis' length (steps 2-6). */
FM_HIDDEN size_t fm_axis_out_len(const fconv_desc *d, int axis, int swapped);

/* cost.c: the method (and the serial pieces' method), and the plan's info. */
FM_HIDDEN fconv_status fm_choose(fconv_mpi_plan *p, const size_t *own, const size_t *out_own);
FM_HIDDEN void fm_fill_info(fconv_mpi_plan *p);
/* AUTO or FFT, with the halo path planned: is FFTW-MPI modelled faster on the slowest rank?
 * Collective; the same answer on every rank. Records both figures in p->info. */
FM_HIDDEN int fm_auto_prefers_fft(fconv_mpi_plan *p);
/* cost.c: the modelled seconds of receiving `rows` halo rows (every signal of the batch). */
FM_HIDDEN double fm_halo_seconds(const fconv_mpi_plan *p, size_t rows);

/* fft.c: the FFTW-MPI path. fm_fft_plan is collective. */
FM_HIDDEN fconv_status fm_fft_plan(fconv_mpi_plan *p, const size_t *own, const size_t *out_own);
FM_HIDDEN fconv_status fm_fft_set_kernel(fconv_mpi_plan *p, const void *kernel);
FM_HIDDEN fconv_status fm_fft_execute(fconv_mpi_plan *p, const void *signal, const void *kernel,
                                      void *out);
FM_HIDDEN void fm_fft_free(fconv_mpi_plan *p);
/* The FFT path's modelled communication seconds per execute on this rank (transposes and the
 * two redistributions), before it is planned. */
FM_HIDDEN double fm_fft_comm_model(const fconv_mpi_plan *p, double alpha, double beta);
/* The FFT path's messages and bytes per execute (adds to *in). */
FM_HIDDEN void fm_fft_traffic(const fconv_mpi_plan *p, fconv_mpi_plan_info *in);
/* The same for one exchange. */
FM_HIDDEN void fm_xchg_traffic(const fm_xchg *x, fconv_mpi_plan_info *in);

#endif
