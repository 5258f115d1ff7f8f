/* cost.c — which method a distributed plan runs, and what its info says. */
#include <stdio.h>
#include <string.h>

#include "mpi_internal.h"

fconv_status fm_choose(fconv_mpi_plan *p, const size_t *own, const size_t *out_own) {
  (void)own, (void)out_own;
  const int fft_ok = p->desc.rank >= 2 && !p->geom.swapped;
  p->method = FCONV_METHOD_DIRECT; /* the halo path */
  p->piece_method = p->desc.method;
  if (p->desc.method == FCONV_METHOD_FFT && fft_ok) p->method = FCONV_METHOD_FFT;
  return FCONV_OK;
}

void fm_fill_info(fconv_mpi_plan *p) {
  fconv_mpi_plan_info *in = &p->info;
  double keep[4]; /* the cost model's figures (fm_choose) survive the reset */
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
    snprintf(in->reason, sizeof in->reason,
             "FFTW-MPI distributed transforms (transposed spectrum), %zu+%zu row messages",
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
  snprintf(in->reason, sizeof in->reason,
           "%shalo exchange (%zu rows from %d ranks); serial %s on %d piece(s) of the slab",
           p->fft_fallback ? "FFTW-MPI cannot plan this shape: " : "", p->halo.n_need,
           p->halo.n_recv_peers, fconv_method_name(in->method), p->n_pieces);
}
