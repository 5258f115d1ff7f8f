/* tool_problem.h — tools only: the normalised problem api.c would build for a simple case
 * (ZERO boundary, CONVOLVE, stride 1, one signal and one kernel), so the tools can create the
 * FFT/overlap-save engine states directly through the path vtables. */
#ifndef FCONV_TOOL_PROBLEM_H
#define FCONV_TOOL_PROBLEM_H

#include "../src/core/dtype.h"
#include "../src/core/problem.h"

#include <string.h>

static void tool_problem(fconv_problem *p, int rank, const size_t *n, const size_t *k,
                         fconv_mode mode, fconv_dtype dt, int threads) {
  memset(p, 0, sizeof *p);
  p->rank = rank;
  p->dtype = dt;
  p->esize = fconv_dtype_size(dt);
  p->is_complex = fconv_dtype_is_complex(dt);
  p->op = FCONV_OP_CONVOLVE;
  p->boundary = FCONV_BOUNDARY_ZERO;
  p->batch = p->kernel_batch = p->count = 1;
  p->threads = threads;
  p->sig_elems = p->ker_elems = p->out_elems = 1;
  for (int a = 0; a < 3; a++) {
    fconv_axis *x = &p->ax[a];
    const int u = a - (3 - rank);
    if (u < 0) { x->n = x->k = x->len = x->stride = x->out = 1; continue; }
    x->n = n[u];
    x->k = k[u];
    x->p0 = mode == FCONV_MODE_FULL ? x->k - 1 : mode == FCONV_MODE_SAME ? x->k / 2 : 0;
    x->p1 = mode == FCONV_MODE_FULL ? x->k - 1 : mode == FCONV_MODE_SAME ? (x->k - 1) / 2 : 0;
    x->len = x->n + x->p0 + x->p1 - x->k + 1;
    x->stride = 1;
    x->out = x->len;
    p->sig_elems *= x->n;
    p->ker_elems *= x->k;
    p->out_elems *= x->out;
  }
}

#endif
