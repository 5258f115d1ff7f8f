/* fftw.h — the one place fconv talks to FFTW's planner.
 *
 * - Every fftw(f)_plan_* and fftw(f)_destroy_plan call of the library runs under ONE
 *   library-wide mutex (fconv_fftw_lock), together with the global planner state it needs
 *   (fftw_plan_with_nthreads). fftw(f)_init_threads runs once, under the same mutex, and
 *   routes FFTW's threads into fconv's runtime (fftw(f)_threads_set_callback, FFTW >= 3.3.9).
 *   Code outside these functions that plans with FFTW in the same process (tests, the CUDA
 *   path's FFTW stand-in) must take fconv_fftw_lock()/fconv_fftw_unlock() around its own
 *   planner calls.
 * - Plans are made once, on scratch buffers, and executed lock-free with the new-array
 *   functions (fftwf_execute_dft_r2c, ...) on buffers of the same alignment. Plans are shared
 *   and cached process-wide (fftw.c, "the plan cache"): fconv_fftw_make returns the cached plan
 *   of an identical request, fconv_fftw_destroy drops a reference.
 * - One plan type covers float and double, r2c/c2r and c2c: fconv_fftw_plan.
 */
#ifndef FCONV_CPU_FFTW_H
#define FCONV_CPU_FFTW_H

#include "../core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  FCONV_FFTW_FORWARD,  /* r2c for real data, c2c FFTW_FORWARD for complex */
  FCONV_FFTW_BACKWARD  /* c2r for real data, c2c FFTW_BACKWARD for complex (unnormalised) */
} fconv_fftw_dir;

/* A batched multi-dimensional transform (in place or out of place). */
typedef struct fconv_fftw_plan {
  void *plan;      /* fftwf_plan or fftw_plan; NULL when not made */
  int dbl;         /* 1: fftw (double), 0: fftwf (float) */
  int cplx;        /* 1: c2c, 0: r2c / c2r */
  fconv_fftw_dir dir;
  int howmany;
} fconv_fftw_plan;

/* The geometry of one slot of an in-place transform buffer: rank dims (the transformed axes,
 * slowest first), the real-domain embedding (last transformed axis padded to 2*(n/2+1) for
 * real data) and the slot size in scalars (floats or doubles). */
typedef struct fconv_fftw_geom {
  int rank;          /* 1..3 */
  int n[3];          /* transform lengths */
  int rembed[3];     /* real-domain (or complex-domain for c2c) embedding */
  int cembed[3];     /* complex-domain embedding */
  size_t slot;       /* scalars per slot (real-domain embedding product; x2 for c2c) */
  int dbl, cplx;
} fconv_fftw_geom;

/* FFTW's parallel-loop callback (fftw(f)_threads_set_callback): runs work(jobdata + i * elsize)
 * for i < njobs on fconv_parallel_for. Installed for both precisions at the first plan. */
FCONV_HIDDEN void fconv_fftw_parallel_loop(void *(*work)(char *), char *jobdata, size_t elsize,
                                           int njobs, void *data);

FCONV_HIDDEN void fconv_fftw_lock(void);
FCONV_HIDDEN void fconv_fftw_unlock(void);

/* Planner effort policy (see fftw.c): FFTW_ESTIMATE, FFTW_MEASURE when measure != 0
 * (FCONV_FLAG_MEASURE) or the wisdom cache is on (FCONV_WISDOM_CACHE);
 * FCONV_FFTW_PLANNER=estimate|measure|patient in the environment overrides. */
FCONV_HIDDEN unsigned fconv_fftw_effort(int measure);

/* Plan howmany transforms of geometry g, slot after slot, from in to out: in place when
 * out == in, else out of place (r2c: in real slots, out spectra; c2r the other way; c2r
 * destroys its input). Both are scratch (planning may overwrite them; at least howmany *
 * g->slot scalars each, allocated with fconv_malloc). nthreads FFTW threads, the effort
 * fconv_fftw_effort(measure) picks (with the wisdom cache on, its wisdom is imported first and
 * written back after). The engine transforms out of place where fconv_fc_make_sched says so
 * (multi-dimensional and shorter 1-D transforms): FFTW's ESTIMATE planner searches in-place real
 * transforms 2-4x longer (buffered and indirect solvers).
 * FCONV_ERR_FFT when FFTW returns NULL. */
FCONV_HIDDEN fconv_status fconv_fftw_make(fconv_fftw_plan *pl, const fconv_fftw_geom *g,
                                          fconv_fftw_dir dir, int howmany, void *in, void *out,
                                          int nthreads, int measure);
/* Execute pl from in to out (in-place plans: out == in; same alignment as the planning
 * buffers). Lock-free. */
FCONV_HIDDEN void fconv_fftw_exec(const fconv_fftw_plan *pl, void *in, void *out);
/* Release (under the mutex): the plan stays cached for the next identical request, or is
 * destroyed when it is not cached; a plan never made is a no-op. */
FCONV_HIDDEN void fconv_fftw_destroy(fconv_fftw_plan *pl);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_CPU_FFTW_H */
