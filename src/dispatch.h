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
  double seconds; /* at creation: modelled, or measured (FCONV_FLAG_MEASURE) */
  double model;   /* at creation: modelled */
  double current; /* what the plan reports: seconds, or the kernel-aware figure after set_kernel */
  const char *why; /* static text: why it was chosen at creation */
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
 * (the path's kernel_cost; a measured time is scaled by the model's kernel-aware factor, never
 * replaced), apply the accuracy rule (core/kernel_info.h, fconv_fft_bound_holds), and make the
 * cheapest candidate whose bound holds active (swap it into cand[0]); updates info (method,
 * estimate, reason). CPU and CUDA plans alike. Every rule that fires is logged under
 * FCONV_DEBUG. */
FCONV_HIDDEN void fconv_dispatch_refine(fconv_candidate cand[FCONV_MAX_CANDIDATES], int ncand,
                                        const fconv_problem *p, const fconv_kernel_info *kinfo,
                                        fconv_plan_info *info);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_DISPATCH_H */
