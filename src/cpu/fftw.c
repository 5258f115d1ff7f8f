/* fftw.c — FFTW planner serialisation, planner effort, wisdom (export/import, the per-user
 * cache), float/double plan wrappers. */
#include "fftw.h"

#include "../core/paths.h"
#include "../core/threads.h"
#include "../path.h"

#include <fftw3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
 * FFTW_MEASURE times candidate algorithms on the real sizes; it costs CPU seconds (measured on
 * the 2-core development machine: 0.2-2.3 s for 2-D plans of 64^2x16 .. 2048^2 points, 1.3-5.7 s
 * for 1-D ones) for 1.1-2.0x faster transforms. So no plan pays it unless asked:
 *  - FFTW_ESTIMATE (milliseconds) by default;
 *  - FFTW_MEASURE when the plan has FCONV_FLAG_MEASURE (the caller asked to spend plan time on
 *    speed), or when the per-user wisdom cache is on (FCONV_WISDOM_CACHE, below): measured once
 *    per machine and shape, then planned from the cache's wisdom in milliseconds;
 *  - FCONV_FFTW_PLANNER=estimate|measure|patient in the environment forces one effort for
 *    every plan.
 * FFTW uses wisdom made with at least the requested rigour, so ESTIMATE plans also profit from
 * wisdom imported with fconv_wisdom_import_*. The cost model's table (cost_fft.h) is measured
 * through this policy's default. */
static int effort_override(void) { /* -1: none, else the flag */
  const char *e = getenv("FCONV_FFTW_PLANNER");
  if (!e || !*e) return -1;
  if (!strcmp(e, "estimate")) return (int)FFTW_ESTIMATE;
  if (!strcmp(e, "measure")) return (int)FFTW_MEASURE;
  if (!strcmp(e, "patient")) return (int)FFTW_PATIENT;
  return -1;
}

/* ---- wisdom: export/import (both precisions) and the per-user cache ---------------------------
 * fconv's wisdom text is "fconv-wisdom 1\n", FFTW's float wisdom (one s-expression), a newline,
 * FFTW's double wisdom. Every wisdom call runs under the planner mutex. */
#define WISDOM_MAGIC "fconv-wisdom 1\n"

/* Called with the mutex held: malloc'ed text of the current wisdom, or NULL. */
static char *export_locked(void) {
  char *f = fftwf_export_wisdom_to_string(), *d = fftw_export_wisdom_to_string();
  char *out = NULL;
  if (f && d) {
    const size_t n = strlen(WISDOM_MAGIC) + strlen(f) + 1 + strlen(d) + 2;
    out = (char *)malloc(n);
    if (out) snprintf(out, n, "%s%s\n%s\n", WISDOM_MAGIC, f, d);
  }
  free(f); /* fftw(f)_export_wisdom_to_string memory is malloc'ed (FFTW manual 4.7) */
  free(d);
  return out;
}

/* The next balanced s-expression at or after *s: [*start, *end). 0 when there is none. */
static int next_sexp(const char *s, const char **start, const char **end) {
  const char *p = strchr(s, '(');
  if (!p) return 0;
  int depth = 0;
  for (const char *q = p; *q; q++) {
    if (*q == '(') depth++;
    else if (*q == ')' && --depth == 0) {
      *start = p;
      *end = q + 1;
      return 1;
    }
  }
  return 0;
}

/* Called with the mutex held. */
static fconv_status import_locked(const char *text) {
  FCONV_RETURN_IF(strncmp(text, WISDOM_MAGIC, strlen(WISDOM_MAGIC)) != 0,
                  FCONV_ERR_INVALID_ARGUMENT, "not fconv wisdom (no 'fconv-wisdom 1' header)");
  const char *f0, *f1, *d0, *d1;
  FCONV_RETURN_IF(!next_sexp(text + strlen(WISDOM_MAGIC), &f0, &f1) || !next_sexp(f1, &d0, &d1),
                  FCONV_ERR_INVALID_ARGUMENT, "wisdom text is truncated or unbalanced");
  FCONV_RETURN_IF(!strstr(f0, "fftwf_wisdom") || (size_t)(strstr(f0, "fftwf_wisdom") - f0) > 32,
                  FCONV_ERR_INVALID_ARGUMENT, "the first part is not FFTW float wisdom");
  char *fs = (char *)malloc((size_t)(f1 - f0) + 1), *ds = (char *)malloc((size_t)(d1 - d0) + 1);
  if (!fs || !ds) {
    free(fs);
    free(ds);
    FCONV_RETURN_ERROR(FCONV_ERR_OUT_OF_MEMORY, "wisdom text");
  }
  memcpy(fs, f0, (size_t)(f1 - f0));
  fs[f1 - f0] = '\0';
  memcpy(ds, d0, (size_t)(d1 - d0));
  ds[d1 - d0] = '\0';
  const int ok = fftwf_import_wisdom_from_string(fs) && fftw_import_wisdom_from_string(ds);
  free(fs);
  free(ds);
  FCONV_RETURN_IF(!ok, FCONV_ERR_FFT,
                  "FFTW rejected the wisdom (another FFTW version or build, or corrupt)");
  return FCONV_OK;
}

static fconv_status read_file(const char *path, char **text) {
  FILE *fp = fopen(path, "rb");
  FCONV_RETURN_IF(!fp, FCONV_ERR_INVALID_ARGUMENT, "wisdom file cannot be opened for reading");
  size_t cap = 1 << 16, n = 0;
  char *buf = (char *)malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - 1 - n, fp);
    if (n < cap - 1) break;
    char *nb = (char *)realloc(buf, cap * 2);
    if (!nb) { free(buf); buf = NULL; break; }
    buf = nb;
    cap *= 2;
  }
  const int err = ferror(fp);
  fclose(fp);
  if (!buf) FCONV_RETURN_ERROR(FCONV_ERR_OUT_OF_MEMORY, "wisdom file buffer");
  if (err) {
    free(buf);
    FCONV_RETURN_ERROR(FCONV_ERR_INVALID_ARGUMENT, "wisdom file cannot be read");
  }
  buf[n] = '\0';
  *text = buf;
  return FCONV_OK;
}

/* Write text to path atomically: a temporary file beside it, then rename (readers see the old
 * or the new file, never a partial one). */
static fconv_status write_file_atomic(const char *path, const char *text) {
  const size_t n = strlen(path) + 32;
  char *tmp = (char *)malloc(n);
  FCONV_RETURN_IF(!tmp, FCONV_ERR_OUT_OF_MEMORY, "wisdom file name");
  snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
  FILE *fp = fopen(tmp, "wb");
  int ok = fp != NULL;
  if (fp) {
    const size_t len = strlen(text);
    ok = fwrite(text, 1, len, fp) == len;
    ok = (fclose(fp) == 0) && ok;
  }
  if (ok) ok = rename(tmp, path) == 0;
  if (!ok && fp) remove(tmp);
  free(tmp);
  FCONV_RETURN_IF(!ok, FCONV_ERR_INVALID_ARGUMENT, "wisdom file cannot be written");
  return FCONV_OK;
}

fconv_status fconv_fftw_wisdom_export(char **text) {
  FCONV_INVALID_IF(!text, "text is NULL");
  *text = NULL;
  fconv_fftw_lock();
  char *t = export_locked();
  fconv_fftw_unlock();
  FCONV_RETURN_IF(!t, FCONV_ERR_OUT_OF_MEMORY, "wisdom text");
  *text = t;
  return FCONV_OK;
}

fconv_status fconv_fftw_wisdom_import(const char *text) {
  FCONV_INVALID_IF(!text, "text is NULL");
  fconv_fftw_lock();
  /* wisdom of threaded plans names FFTW's threads solvers, which FFTW registers only in
   * fftw(f)_init_threads: without it, the import in a process that has not planned yet fails */
  threads_init_locked();
  const fconv_status st = import_locked(text);
  fconv_fftw_unlock();
  return st;
}

fconv_status fconv_fftw_wisdom_export_file(const char *path) {
  FCONV_INVALID_IF(!path || !*path, "path is NULL or empty");
  char *t = NULL;
  FCONV_FORWARD(fconv_fftw_wisdom_export(&t));
  const fconv_status st = write_file_atomic(path, t);
  free(t);
  return st;
}

fconv_status fconv_fftw_wisdom_import_file(const char *path) {
  FCONV_INVALID_IF(!path || !*path, "path is NULL or empty");
  char *t = NULL;
  FCONV_FORWARD(read_file(path, &t));
  const fconv_status st = fconv_fftw_wisdom_import(t);
  free(t);
  return st;
}

void fconv_fftw_wisdom_forget(void) {
  fconv_fftw_lock();
  fftwf_forget_wisdom();
  fftw_forget_wisdom();
  fconv_fftw_unlock();
}

/* The per-user cache: FCONV_WISDOM_CACHE unset, empty or "0": off; "1": $XDG_CACHE_HOME/fconv/
 * wisdom, else $HOME/.cache/fconv/wisdom; anything else: that path. Read at every plan (the
 * variable may change); a path is imported once per process, before its first plan. Guarded by
 * the mutex. */
static char cache_imported[4096];  /* the path imported last */
static char *cache_written;         /* the text last imported or written (skip equal rewrites) */

/* The cache path into buf, or 0 when the cache is off (or the path is unusable). */
static int cache_path(char *buf, size_t n) {
  const char *e = getenv("FCONV_WISDOM_CACHE");
  if (!e || !*e || !strcmp(e, "0")) return 0;
  if (strcmp(e, "1") != 0) return snprintf(buf, n, "%s", e) < (int)n;
  char dir[4096];
  if (!fconv_cache_dir(dir, sizeof dir)) return 0;
  return snprintf(buf, n, "%s/wisdom", dir) < (int)n;
}

/* Called with the mutex held, before planning: import the cache once per path. Returns 1 when
 * the cache is on (plans then measure, and cache_store runs after them). */
static int cache_load_locked(char *path, size_t n) {
  if (!cache_path(path, n)) return 0;
  if (strcmp(path, cache_imported) != 0) {
    snprintf(cache_imported, sizeof cache_imported, "%s", path);
    char *t = NULL;
    if (read_file(path, &t) == FCONV_OK) {
      const fconv_status st = import_locked(t);
      FCONV_LOG("wisdom cache %s: import %s", path, fconv_status_text(st));
      free(cache_written);
      cache_written = st == FCONV_OK ? t : NULL;
      if (st != FCONV_OK) free(t);
    } else {
      FCONV_LOG("wisdom cache %s: nothing to import yet", path);
    }
  }
  return 1;
}

/* Called with the mutex held, after planning: write the cache when the wisdom changed. */
static void cache_store_locked(const char *path) {
  char *t = export_locked();
  if (!t) return;
  if (cache_written && !strcmp(t, cache_written)) {
    free(t);
    return;
  }
  fconv_make_parent_dirs(path);
  const fconv_status st = write_file_atomic(path, t);
  FCONV_LOG("wisdom cache %s: write %s", path, fconv_status_text(st));
  free(cache_written);
  cache_written = t;
}

unsigned fconv_fftw_effort(int measure) {
  const int o = effort_override();
  if (o >= 0) return (unsigned)o;
  char path[4096];
  return measure || cache_path(path, sizeof path) ? FFTW_MEASURE : FFTW_ESTIMATE;
}

/* ---- the plan cache -------------------------------------------------------------------------
 *
 * FFTW plans are shared: a plan is keyed by everything it was made from (geometry, direction,
 * batch, threads, planner flags; every planning buffer is fconv_malloc'd, 64-byte aligned) and
 * reference counted; one no longer referenced stays cached until FC_PLANS entries are in use and
 * a new one needs its place (least recently used first). A loop of one-shot calls (create,
 * execute, destroy) on one shape then plans once: FFTW's ESTIMATE planning of a large transform
 * (its twiddle tables included) cost 25-70 ms per plan pair on this machine kind. Executing one
 * FFTW plan from several fconv plans at once is safe: the new-array execute functions only read
 * the plan. Guarded by fconv_fftw_lock, like every planner call. */

#define FC_PLANS 64
#define FC_KEY_OUT_OF_PLACE (1u << 31) /* in the key's flags: an out-of-place plan */

typedef struct {
  void *plan;
  int refs;
  unsigned long stamp;
  int dbl, cplx, dir, rank, howmany, nthreads;
  unsigned flags;
  int n[3], rembed[3], cembed[3];
  size_t slot;
} fc_plan_entry;

static fc_plan_entry fc_plans[FC_PLANS];
static unsigned long fc_plan_clock;

static int entry_matches(const fc_plan_entry *e, const fconv_fftw_geom *g, int dir, int howmany,
                         int nthreads, unsigned flags) {
  if (!e->plan || e->dbl != g->dbl || e->cplx != g->cplx || e->dir != dir ||
      e->rank != g->rank || e->howmany != howmany || e->nthreads != nthreads ||
      e->flags != flags || e->slot != g->slot)
    return 0;
  for (int i = 0; i < g->rank; i++)
    if (e->n[i] != g->n[i] || e->rembed[i] != g->rembed[i] || e->cembed[i] != g->cembed[i])
      return 0;
  return 1;
}

static void destroy_raw_locked(void *plan, int dbl) {
  if (dbl)
    fftw_destroy_plan((fftw_plan)plan);
  else
    fftwf_destroy_plan((fftwf_plan)plan);
}

/* A cached plan for the key (referenced once more), or NULL. */
static void *cache_find_locked(const fconv_fftw_geom *g, int dir, int howmany, int nthreads,
                               unsigned flags) {
  for (int i = 0; i < FC_PLANS; i++)
    if (entry_matches(&fc_plans[i], g, dir, howmany, nthreads, flags)) {
      fc_plans[i].refs++;
      fc_plans[i].stamp = ++fc_plan_clock;
      return fc_plans[i].plan;
    }
  return NULL;
}

/* Keep a new plan (referenced once) in a free entry or the least recently used unreferenced
 * one; 0 when every entry is referenced (the plan then stays private). */
static int cache_insert_locked(void *plan, const fconv_fftw_geom *g, int dir, int howmany,
                               int nthreads, unsigned flags) {
  int slot = -1;
  for (int i = 0; i < FC_PLANS; i++) {
    if (!fc_plans[i].plan) { slot = i; break; }
    if (fc_plans[i].refs == 0 && (slot < 0 || fc_plans[i].stamp < fc_plans[slot].stamp)) slot = i;
  }
  if (slot < 0) return 0;
  fc_plan_entry *e = &fc_plans[slot];
  if (e->plan) destroy_raw_locked(e->plan, e->dbl);
  memset(e, 0, sizeof *e);
  e->plan = plan;
  e->refs = 1;
  e->stamp = ++fc_plan_clock;
  e->dbl = g->dbl;
  e->cplx = g->cplx;
  e->dir = dir;
  e->rank = g->rank;
  e->howmany = howmany;
  e->nthreads = nthreads;
  e->flags = flags;
  e->slot = g->slot;
  for (int i = 0; i < g->rank; i++) {
    e->n[i] = g->n[i];
    e->rembed[i] = g->rembed[i];
    e->cembed[i] = g->cembed[i];
  }
  return 1;
}

/* Drop one reference; 0 when the plan is not cached (the caller destroys it). */
static int cache_release_locked(void *plan) {
  for (int i = 0; i < FC_PLANS; i++)
    if (fc_plans[i].plan == plan) {
      if (fc_plans[i].refs > 0) fc_plans[i].refs--;
      return 1;
    }
  return 0;
}

/* ---- plans ----------------------------------------------------------------------------------- */

fconv_status fconv_fftw_make(fconv_fftw_plan *pl, const fconv_fftw_geom *g, fconv_fftw_dir dir,
                             int howmany, void *in, void *out, int nthreads, int measure) {
  memset(pl, 0, sizeof *pl);
  unsigned flags = fconv_fftw_effort(measure);
  /* the cache's key tells in-place plans from out-of-place ones (a bit FFTW does not use) */
  const unsigned oop = in != out ? FC_KEY_OUT_OF_PLACE : 0u;
  if (nthreads < 1) nthreads = 1;
  /* Distances between slots: in scalars for the real side, in complex elements otherwise. */
  const int rdist = (int)g->slot, cdist = (int)(g->slot / 2);
  void *plan = NULL;
  const int sign = dir == FCONV_FFTW_FORWARD ? FFTW_FORWARD : FFTW_BACKWARD;
  /* One body for both precisions: PFX is fftw or fftwf, R the real type. */
#define FCONV_FFTW_PLAN(PFX, R)                                                                \
  do {                                                                                         \
    PFX##_plan_with_nthreads(nthreads);                                                       \
    if (g->cplx)                                                                               \
      plan = PFX##_plan_many_dft(g->rank, g->n, howmany, (PFX##_complex *)in, g->cembed, 1,    \
                                 cdist, (PFX##_complex *)out, g->cembed, 1, cdist, sign, flags); \
    else if (dir == FCONV_FFTW_FORWARD)                                                        \
      plan = PFX##_plan_many_dft_r2c(g->rank, g->n, howmany, (R *)in, g->rembed, 1, rdist,     \
                                     (PFX##_complex *)out, g->cembed, 1, cdist, flags);        \
    else                                                                                       \
      plan = PFX##_plan_many_dft_c2r(g->rank, g->n, howmany, (PFX##_complex *)in, g->cembed, 1, \
                                     cdist, (R *)out, g->rembed, 1, rdist, flags);             \
  } while (0)
  char cache[4096];
  fconv_fftw_lock();
  threads_init_locked();
  const int cached = cache_load_locked(cache, sizeof cache);
  if (cached && effort_override() < 0) flags = FFTW_MEASURE;
  plan = cache_find_locked(g, (int)dir, howmany, nthreads, flags | oop);
  if (!plan) {
    if (g->dbl)
      FCONV_FFTW_PLAN(fftw, double);
    else
      FCONV_FFTW_PLAN(fftwf, float);
    if (cached && plan) cache_store_locked(cache);
    if (plan) cache_insert_locked(plan, g, (int)dir, howmany, nthreads, flags | oop);
  }
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

void fconv_fftw_exec(const fconv_fftw_plan *pl, void *in, void *out) {
  if (pl->dbl) {
    fftw_plan p = (fftw_plan)pl->plan;
    if (pl->cplx)
      fftw_execute_dft(p, (fftw_complex *)in, (fftw_complex *)out);
    else if (pl->dir == FCONV_FFTW_FORWARD)
      fftw_execute_dft_r2c(p, (double *)in, (fftw_complex *)out);
    else
      fftw_execute_dft_c2r(p, (fftw_complex *)in, (double *)out);
  } else {
    fftwf_plan p = (fftwf_plan)pl->plan;
    if (pl->cplx)
      fftwf_execute_dft(p, (fftwf_complex *)in, (fftwf_complex *)out);
    else if (pl->dir == FCONV_FFTW_FORWARD)
      fftwf_execute_dft_r2c(p, (float *)in, (fftwf_complex *)out);
    else
      fftwf_execute_dft_c2r(p, (fftwf_complex *)in, (float *)out);
  }
}

void fconv_fftw_destroy(fconv_fftw_plan *pl) {
  if (!pl->plan) return;
  fconv_fftw_lock();
  if (!cache_release_locked(pl->plan)) destroy_raw_locked(pl->plan, pl->dbl);
  fconv_fftw_unlock();
  pl->plan = NULL;
}
