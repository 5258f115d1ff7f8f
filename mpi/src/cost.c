/* cost.c — which method a distributed plan runs, and what its info says. */
#include <stdio.h>
#include <string.h>

#include "mpi_internal.h"

fconv_status fm_choose(fconv_mpi_plan *p, const size_t *own, const size_t *out_own) {
  (void)own, (void)out_own;
  p->method = FCONV_METHOD_DIRECT; /* the halo path */
  p->piece_method = p->desc.method;
  return FCONV_OK;
}

void fm_fill_info(fconv_mpi_plan *p) {
  fconv_mpi_plan_info *in = &p->info;
  memset(in, 0, sizeof *in);
  in->nranks = p->nranks;
  in->local_n0 = p->local_n0, in->local_start = p->local_start;
  in->local_out_n0 = p->out_n0, in->local_out_start = p->out_start;
  for (int m = 0; m < 4; m++) in->candidate_seconds[m] = -1;
  const fm_xchg *x = &p->halo;
  for (int i = 0; i < x->n_send_peers; i++)
    in->send_bytes += x->planes * x->send_count[i] * x->row_bytes;
  in->recv_bytes = x->planes * x->n_need * x->row_bytes;
  in->send_messages = (size_t)x->n_send_peers, in->recv_messages = (size_t)x->n_recv_peers;
  /* A requested method is what every piece runs; for AUTO, the method of the largest piece
   * (the interior when there is one; DIRECT on a rank without output rows). */
  int big = p->interior;
  for (int i = 0; big < 0 && i < p->n_pieces; i++) big = i;
  in->method = p->desc.method != FCONV_METHOD_AUTO ? p->desc.method : FCONV_METHOD_DIRECT;
  if (big >= 0 && p->desc.method == FCONV_METHOD_AUTO) {
    fconv_plan_info pi;
    if (fconv_plan_get_info(p->pieces[big].plan, &pi) == FCONV_OK) in->method = pi.method;
  }
  for (int i = 0; i < p->n_pieces; i++) {
    fconv_plan_info pi;
    if (fconv_plan_get_info(p->pieces[i].plan, &pi) == FCONV_OK)
      in->estimated_seconds += pi.estimated_seconds;
  }
  snprintf(in->reason, sizeof in->reason,
           "halo exchange (%zu rows from %d ranks); serial %s on %d piece(s) of the slab",
           x->n_need, x->n_recv_peers, fconv_method_name(in->method), p->n_pieces);
}
