/* fftw.c — FFTW planner serialisation, planner effort, float/double plan wrappers. */
#include "fftw.h"

#include "../core/threads.h"

#include <fftw3.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- the library-wide planner mutex ---------------------------------------------------------
 * FFTW's planner (and destroy_plan, and the global nthreads setting) is not thread-safe; only
 * fftw_execute* is. Every planner call of fconv goes through here. */
static pthread_mutex_t fconv_fftw_mutex = PTHREAD_MUTEX_INITIALIZER;
static int fconv_fftw_threads_ready; /* guarded by the mutex */

void fconv_fftw_lock(void) { pthread_mutex_lock(&fconv_fftw_mutex); }
void fconv_fftw_unlock(void) { pthread_mutex_unlock(&fconv_fftw_mutex); }

/* FFTW's threads run on fconv's runtime (core/threads.h) instead of FFTW's own pool: a plan
 * made with nthreads splits its loops into at most nthreads jobs and calls this to run them,
 * so a descheduled thread never holds up an execute and FFTW's threads share the pool (and
 * the seats) of the paths. Installed process-wide, for every FFTW threads user. */
typedef struct {
  void *(*work)(char *);
  char *jobdata;
  size_t elsize;
} fftw_loop_ctx;

static void fftw_loop_range(void *vctx, size_t begin, size_t end, int tid) {
  const fftw_loop_ctx *c = (const fftw_loop_ctx *)vctx;
  (void)tid;
  for (size_t i = begin; i < end; i++) c->work(c->jobdata + i * c->elsize);
}

void fconv_fftw_parallel_loop(void *(*work)(char *), char *jobdata, size_t elsize, int njobs,
                              void *data) {
  (void)data;
  fftw_loop_ctx c = {work, jobdata, elsize};
  fconv_parallel_for(njobs > 0 ? (size_t)njobs : 0, 1, njobs, fftw_loop_range, &c);
}

/* Called with the mutex held. */
static void threads_init_locked(void) {
  if (fconv_fftw_threads_ready) return;
  fftwf_init_threads();
  fftw_init_threads();
  fftwf_threads_set_callback(fconv_fftw_parallel_loop, NULL);
  fftw_threads_set_callback(fconv_fftw_parallel_loop, NULL);
  fconv_fftw_threads_ready = 1;
}

/* ---- planner effort -------------------------------------------------------------------------
 * FFTW_MEASURE times candidate algorithms on the real sizes; it costs CPU seconds, and pays off
 * very differently by rank. Measured on the 2-core development machine (thread CPU time, in-place
 * r2c + c2r pair, MEASURE vs ESTIMATE execute time; planning CPU time):
 *   1-D, 4096x16 .. 262144x1 points:  1.1-1.5x faster,  1.3-5.7 s planning
 *   2-D, 64^2x16 .. 2048^2:           1.5-2.0x faster,  0.2-2.3 s planning
 *   3-D, 32^3x8 .. 128^3:             0.95-1.2x faster, 0.2-1.1 s planning
 * So by default only 2-D plans of 2^12 .. 2^22 points (howmany * prod(n)) use FFTW_MEASURE;
 * everything else uses FFTW_ESTIMATE (milliseconds). Below 2^12 points a whole execute takes
 * microseconds while MEASURE still costs a tenth of a second. A plan made with
 * FCONV_FLAG_MEASURE (the caller asked to spend plan time on speed) uses FFTW_MEASURE at every
 * size. Wisdom lasts for the life of the process, so a second plan of a shape plans in
 * milliseconds either way. The cost model's table (cost_fft.h) is measured through this
 * policy. The environment variable FCONV_FFTW_PLANNER=estimate|measure|patient forces one
 * effort for every plan. */
#define FCONV_MEASURE_MIN ((size_t)1 << 12)
#define FCONV_MEASURE_MAX ((size_t)1 << 22)

static int effort_override(void) { /* -1: none, else the flag */
  const char *e = getenv("FCONV_FFTW_PLANNER");
  if (!e || !*e) return -1;
  if (!strcmp(e, "estimate")) return (int)FFTW_ESTIMATE;
  if (!strcmp(e, "measure")) return (int)FFTW_MEASURE;
  if (!strcmp(e, "patient")) return (int)FFTW_PATIENT;
  return -1;
}

unsigned fconv_fftw_effort(size_t points, int rank, int measure) {
  int o = effort_override();
  if (o >= 0) return (unsigned)o;
  if (measure) return FFTW_MEASURE;
  return rank == 2 && points >= FCONV_MEASURE_MIN && points <= FCONV_MEASURE_MAX ? FFTW_MEASURE
                                                                                  : FFTW_ESTIMATE;
}

/* ---- plans ----------------------------------------------------------------------------------- */

fconv_status fconv_fftw_make(fconv_fftw_plan *pl, const fconv_fftw_geom *g, fconv_fftw_dir dir,
                             int howmany, void *buf, int nthreads, int measure) {
  memset(pl, 0, sizeof *pl);
  size_t points = (size_t)howmany;
  for (int i = 0; i < g->rank; i++) points *= (size_t)g->n[i];
  const unsigned flags = fconv_fftw_effort(points, g->rank, measure);
  /* Distances between slots: in scalars for the real side, in complex elements otherwise. */
  const int rdist = (int)g->slot, cdist = (int)(g->slot / 2);
  void *plan = NULL;
  const int sign = dir == FCONV_FFTW_FORWARD ? FFTW_FORWARD : FFTW_BACKWARD;
  /* One body for both precisions: PFX is fftw or fftwf, R the real type. */
#define FCONV_FFTW_PLAN(PFX, R)                                                                \
  do {                                                                                         \
    PFX##_plan_with_nthreads(nthreads < 1 ? 1 : nthreads);                                     \
    R *r = (R *)buf;                                                                           \
    PFX##_complex *c = (PFX##_complex *)buf;                                                   \
    if (g->cplx)                                                                               \
      plan = PFX##_plan_many_dft(g->rank, g->n, howmany, c, g->cembed, 1, cdist, c, g->cembed, \
                                 1, cdist, sign, flags);                                       \
    else if (dir == FCONV_FFTW_FORWARD)                                                        \
      plan = PFX##_plan_many_dft_r2c(g->rank, g->n, howmany, r, g->rembed, 1, rdist, c,        \
                                     g->cembed, 1, cdist, flags);                              \
    else                                                                                       \
      plan = PFX##_plan_many_dft_c2r(g->rank, g->n, howmany, c, g->cembed, 1, cdist, r,        \
                                     g->rembed, 1, rdist, flags);                              \
  } while (0)
  fconv_fftw_lock();
  threads_init_locked();
  if (g->dbl)
    FCONV_FFTW_PLAN(fftw, double);
  else
    FCONV_FFTW_PLAN(fftwf, float);
#undef FCONV_FFTW_PLAN
  fconv_fftw_unlock();
  FCONV_RETURN_IF(!plan, FCONV_ERR_FFT, "FFTW returned no plan");
  pl->plan = plan;
  pl->dbl = g->dbl;
  pl->cplx = g->cplx;
  pl->dir = dir;
  pl->howmany = howmany;
  return FCONV_OK;
}

void fconv_fftw_exec(const fconv_fftw_plan *pl, void *buf) {
  if (pl->dbl) {
    fftw_plan p = (fftw_plan)pl->plan;
    if (pl->cplx)
      fftw_execute_dft(p, (fftw_complex *)buf, (fftw_complex *)buf);
    else if (pl->dir == FCONV_FFTW_FORWARD)
      fftw_execute_dft_r2c(p, (double *)buf, (fftw_complex *)buf);
    else
      fftw_execute_dft_c2r(p, (fftw_complex *)buf, (double *)buf);
  } else {
    fftwf_plan p = (fftwf_plan)pl->plan;
    if (pl->cplx)
      fftwf_execute_dft(p, (fftwf_complex *)buf, (fftwf_complex *)buf);
    else if (pl->dir == FCONV_FFTW_FORWARD)
      fftwf_execute_dft_r2c(p, (float *)buf, (fftwf_complex *)buf);
    else
      fftwf_execute_dft_c2r(p, (fftwf_complex *)buf, (float *)buf);
  }
}

void fconv_fftw_destroy(fconv_fftw_plan *pl) {
  if (!pl->plan) return;
  fconv_fftw_lock();
  if (pl->dbl)
    fftw_destroy_plan((fftw_plan)pl->plan);
  else
    fftwf_destroy_plan((fftwf_plan)pl->plan);
  fconv_fftw_unlock();
  pl->plan = NULL;
}
