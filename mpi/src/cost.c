/* cost.c — which method a distributed plan runs, and what its info says. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_internal.h"

/* Point-to-point terms of the cost model: one-way latency (s) and bandwidth (bytes/s) between
 * two ranks, measured on one node's shared memory (Open MPI 4.1's vader transport) with
 * `mpirun -np 2 build/mpi/fconv_mpi_bench --pingpong` on the quiet 2-core development machine
 * (2026-12-02: 0.15 us, 4.61 GB/s; a network has a larger alpha and a smaller beta). */
#define FM_ALPHA 0.15e-6
#define FM_BETA 4.6e9
/* FFTW-MPI's distributed transforms against the serial library's FFT path on the same rows, one
 * rank (no communication): 303 and 317 ms against 249 and 255 ms for 3-D 256^3 with 31^3, f32,
 * one thread (fconv_mpi_bench, two runs; FFTW-MPI's local transposes and unpadded slabs). */
#define FM_FFTW_MPI_COMPUTE 1.2

double fm_halo_seconds(const fconv_mpi_plan *p, size_t rows) {
  return 2 * FM_ALPHA +
         (double)(rows * p->row_elems * p->esz * p->desc.batch) / FM_BETA;
}

fconv_status fm_choose(fconv_mpi_plan *p, const size_t *own, const size_t *out_own) {
  (void)own, (void)out_own;
  for (int m = 0; m < 4; m++) p->info.candidate_seconds[m] = -1;
  /* The halo path first, for FFT too (serial FFT pieces); AUTO and FFT then compare it with
   * FFTW-MPI (fm_auto_prefers_fft). */
  p->method = FCONV_METHOD_DIRECT;
  p->piece_method = p->desc.method;
  return FCONV_OK;
}

void fm_fill_info(fconv_mpi_plan *p) {
  fconv_mpi_plan_info *in = &p->info;
  double keep[4]; /* the cost model's figures (fm_auto_prefers_fft) survive the reset */
  memcpy(keep, in->candidate_seconds, sizeof keep);
  const double est = in->estimated_seconds;
  memset(in, 0, sizeof *in);
  memcpy(in->candidate_seconds, keep, sizeof keep);
  in->estimated_seconds = est;
  in->nranks = p->nranks;
  in->local_n0 = p->local_n0, in->local_start = p->local_start;
  in->local_out_n0 = p->out_n0, in->local_out_start = p->out_start;
  if (p->method == FCONV_METHOD_FFT) {
    in->method = FCONV_METHOD_FFT;
    in->fftw_mpi = 1;
    fm_fft_traffic(p, in);
    snprintf(in->reason, sizeof in->reason, "%sFFTW-MPI distributed transforms (spectrum "
             "multiplied transposed), %zu+%zu row messages",
             p->auto_modelled ? "modelled faster than the halo path; " : "",
             in->send_messages, in->recv_messages);
    return;
  }
  fm_xchg_traffic(&p->halo, in);
  /* A requested method is what every piece runs; for AUTO, the method of the largest piece
   * (the interior when there is one; DIRECT on a rank without output rows). */
  int big = p->interior;
  for (int i = 0; big < 0 && i < p->n_pieces; i++) big = i;
  in->method = p->desc.method != FCONV_METHOD_AUTO ? p->desc.method : FCONV_METHOD_DIRECT;
  if (big >= 0 && p->desc.method == FCONV_METHOD_AUTO) {
    fconv_plan_info pi;
    if (fconv_plan_get_info(p->pieces[big].plan, &pi) == FCONV_OK) in->method = pi.method;
  }
  if (!p->auto_modelled) {
    in->estimated_seconds = 0;
    for (int i = 0; i < p->n_pieces; i++) {
      fconv_plan_info pi;
      if (fconv_plan_get_info(p->pieces[i].plan, &pi) == FCONV_OK)
        in->estimated_seconds += pi.estimated_seconds;
    }
  }
  snprintf(in->reason, sizeof in->reason,
           "%shalo exchange (%zu rows from %d ranks); serial %s on %d piece(s) of the slab",
           p->fft_fallback ? "FFTW-MPI cannot plan this shape: "
                           : p->auto_modelled ? "modelled faster than FFTW-MPI; " : "",
           p->halo.n_need, p->halo.n_recv_peers, fconv_method_name(in->method), p->n_pieces);
}

int fm_auto_prefers_fft(fconv_mpi_plan *p) {
  if (p->desc.rank < 2 || p->geom.swapped) return 0; /* the same on every rank */
  fconv_mpi_plan_info comm;
  memset(&comm, 0, sizeof comm);
  fm_xchg_traffic(&p->halo, &comm);
  double halo = FM_ALPHA * (double)(comm.send_messages + comm.recv_messages) +
                (double)(comm.send_bytes + comm.recv_bytes) / FM_BETA;
  /* FFTW-MPI's computation: the serial model's FFT figure for the largest piece, per row,
   * times this rank's share of the extended rows. */
  double fft = fm_fft_comm_model(p, FM_ALPHA, FM_BETA), fft_rows = -1;
  for (int i = 0; i < p->n_pieces; i++) {
    fconv_plan_info pi;
    if (fconv_plan_get_info(p->pieces[i].plan, &pi) != FCONV_OK) continue;
    halo += pi.estimated_seconds;
    const double per_row = pi.candidate_seconds[FCONV_METHOD_FFT] / (double)p->pieces[i].in_rows;
    if (pi.candidate_seconds[FCONV_METHOD_FFT] >= 0 && per_row > fft_rows) fft_rows = per_row;
  }
  const double m0 = (double)(p->geom.n + p->geom.p0 + p->geom.p1);
  /* A rank whose pieces have no FFT figure (FFT not a candidate for the serial model, e.g.
   * kept direct for accuracy) vetoes; a rank without pieces only adds its communication. */
  const int veto = p->n_pieces > 0 && fft_rows < 0;
  if (fft_rows > 0) fft += FM_FFTW_MPI_COMPUTE * fft_rows * m0 / p->nranks;
  /* FCONV_MPI_FFT=fftw-mpi or halo overrides the model (the largest request over the ranks, so
   * every rank decides alike). */
  const char *e = getenv("FCONV_MPI_FFT");
  const double force = !e ? 0 : !strcmp(e, "fftw-mpi") ? 2 : !strcmp(e, "halo") ? 1 : 0;
  double v[4] = {halo, fft, veto, force}, r[4];
  if (MPI_Allreduce(v, r, 4, MPI_DOUBLE, MPI_MAX, p->comm) != MPI_SUCCESS) return 0;
  p->info.candidate_seconds[p->piece_method == FCONV_METHOD_AUTO ? FCONV_METHOD_DIRECT
                                                                 : p->piece_method] = r[0];
  p->info.candidate_seconds[FCONV_METHOD_FFT] = r[2] > 0 ? -1 : r[1];
  p->auto_modelled = 1;
  const int fft_wins = r[3] == 2 || (r[3] == 0 && r[2] == 0 && r[1] < r[0]);
  p->info.estimated_seconds = fft_wins ? r[1] : r[0];
  return fft_wins;
}
