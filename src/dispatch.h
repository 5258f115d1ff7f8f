/* dispatch.h — choice policy for every backend (dispatch.c): which path runs a plan, the
 * candidates a plan keeps, and kernel-aware refinement after set_kernel. */
#ifndef FCONV_DISPATCH_H
#define FCONV_DISPATCH_H

#include "path.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A plan's candidate: a path and its state. */
typedef struct fconv_candidate {
  const fconv_path_vtbl *path;
  void *state;
  double seconds; /* modelled (or measured) */
} fconv_candidate;

#define FCONV_MAX_CANDIDATES 2

/* fconv_dispatch_create: choose a backend and method for p as requested, create the chosen
 * path's state (and for AUTO-method plans, a second candidate that set_kernel may switch to:
 * the direct path of the same backend when another method won), fill info's backend/method/estimates/reason.
 * cand[0] is the active one. On failure nothing is leaked. */
FCONV_HIDDEN fconv_status fconv_dispatch_create(const fconv_problem *p, fconv_method method,
                                                fconv_backend backend,
                                                fconv_candidate cand[FCONV_MAX_CANDIDATES],
                                                int *ncand, fconv_plan_info *info);

/* fconv_dispatch_refine: after set_kernel, re-estimate each candidate with the kernel known
 * (the path's kernel_cost, and the accuracy policy for transform methods), and make the
 * cheapest active (swap it into cand[0]); updates info. CPU and CUDA plans alike. */
FCONV_HIDDEN void fconv_dispatch_refine(fconv_candidate cand[FCONV_MAX_CANDIDATES], int ncand,
                                        const fconv_problem *p, const fconv_kernel_info *kinfo,
                                        fconv_plan_info *info);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_DISPATCH_H */
