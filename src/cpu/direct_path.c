/* direct_path.c — the CPU direct path: y[n] = sum_j xe[n*s + j] w[j] computed term by term, SIMD and
 * threads, for every combination of the contract (ranks 1-3, four dtypes, every mode, op,
 * boundary, stride, batch and filter bank).
 *
 * Structure (per execute):
 *  - Work is split into units (output item, block of output planes, block of output rows,
 *    block of output columns) run by fconv_parallel_for, so one large image and a big batch
 *    both use every thread. Each thread owns a scratch area made in create.
 *  - Columns of a block are split into the left border, the interior and the right border
 *    (along the contiguous axis). In the interior (stride 1) the micro-kernel reads signal rows
 *    in place; border pieces, and every row when the contiguous stride is > 1, are gathered with
 *    fconv_gather into scratch rows first (strided: de-interleaved into stride phases, so only
 *    the kept outputs are computed with unit-stride loads). Rows that are all zero (ZERO
 *    boundary outside the signal) are skipped. The micro-kernel (direct_kernels.c) therefore
 *    never branches on boundaries.
 *  - An output row segment = sum over "tap rows" (one per kernel row and stride phase); long
 *    tap rows are cut into pieces and grouped so a group's inputs and taps stay in L1
 *    (large 1-D kernels: outputs blocked, taps looped, partial sums accumulated in place).
 *  - Separable kernels (an outer product of 1-D vectors, detected at set_kernel or for an
 *    explicit kernel at execute) run as passes: along axis 2 into scratch rows, along axis 1
 *    (into the output, or a ring of planes), along axis 0 into the output. Each pass applies
 *    its axis' padding (boundary map), stride and taps, which reproduces the full result.
 *  - The micro-kernel ISA is chosen at create: AVX-512F, AVX2+FMA or the baseline build,
 *    lowered by the environment variable FCONV_ISA=generic|avx2|avx512.
 */
#include "../core/boundary.h"
#include "../core/dtype.h"
#include "../core/geometry.h"
#include "../core/kernel_info.h"
#include "../core/memory.h"
#include "../path.h"
#include "../util.h"
#include "cost_direct.h"
#include "direct_kernels.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- cost model ---------------------------------------------------------------------------
 * seconds = a[dtype] * outputs * taps / threads + b[dtype] * outputs + c
 * (taps: k0*k1*k2, or the separable passes' equivalent once the kernel is known), with the
 * constants of cost_direct.h (tools/fconv_calibrate.c direct). The baseline (SSE2) variant
 * scales a by 32 / vector bytes, AVX-512 by the same rule (not measured: no AVX-512 machine). */
#define DIRECT_SERIAL_SECONDS 5e-5 /* modelled work below which execute runs on one thread */

/* Tiling targets. */
#define DIRECT_COL_BYTES 16384        /* output column block */
#define DIRECT_ROWS 32                /* output row block */
#define DIRECT_SEP_BYTES (512 * 1024) /* separable intermediate rows of one unit */
#define DIRECT_INPLACE_MIN_BYTES 2048 /* rows shorter than this are gathered whole */
#define DIRECT_GROUP_BYTES (24 * 1024) /* inputs + taps one micro-kernel call streams per tile */
#define DIRECT_PIECE_BYTES 8192        /* taps per piece of a long tap row */
#define DIRECT_SLOT_BUDGET ((size_t)8 << 20) /* per-thread gathered rows */

typedef struct {
  void *taps;         /* kernel_batch x ker_elems, axis 2 in stride-phase order */
  void *fac;          /* kernel_batch x (k0 + k1 + k2): axis-0, axis-1, axis-2 (phase order) */
  unsigned char *sep; /* kernel_batch flags: run as separable passes */
  size_t nsep;
} dk_kset;

typedef struct {
  fconv_problem p;
  const fconv_dk_ops *ops;
  fconv_dk_fn mk;
  fconv_dk_fn2 mk2;
  int pairs;                  /* output rows in pairs (input rows shared: s1 < k1) */
  size_t es;
  size_t nph;                 /* stride phases holding taps: min(s2, k2) */
  size_t oL, oR;              /* interior output columns [oL, oR) along axis 2 (stride 1) */
  int inplace;                /* read interior rows in place (else gather whole pieces) */
  size_t PB, R, CB;           /* planes, rows, columns per unit */
  size_t nPB, nRB, nCB, units;
  size_t chunk;               /* units a thread claims at a time */
  size_t nthreads;            /* threads execute uses */
  size_t nrt;                 /* row-table entries per plane and unit */
  size_t slotcap;             /* elements of one gathered (phased) row */
  size_t trcap;               /* tap-row list capacity */
  size_t CBp;                 /* pitch of separable scratch rows (elements) */
  size_t piece;               /* taps per piece */
  int sep_ok;                 /* separable passes allowed and modelled cheaper */
  double sep_taps, gen_taps;  /* modelled taps per output */
  /* per-thread scratch: offsets in bytes inside one thread's area */
  size_t off_rt, off_tr, off_tr2, off_slots, off_h, off_ring, off_tags, per_thread;
  unsigned char *scratch;
  size_t scratch_bytes;
  void *raw;                  /* prepared taps before phase reordering (stride > 1) */
  unsigned char *crow;        /* one kernel row (k2 elements) being reordered (stride > 1) */
  dk_kset kset[2];            /* [0]: set_kernel's; [1]: an explicit kernel at execute */
  const void *set_host;       /* the kernel_info host of the kernels in kset[0] */
  const dk_kset *cur;         /* the kernels last modelled or run (describe's separable) */
  int kernel_set;
  size_t workspace_bytes;
} dstate;

/* Tiling overrides for development builds only (-DFCONV_DIRECT_TUNING): tests force tiny
 * blocks, in-place rows and separable passes on small shapes. Release builds read nothing. */
static size_t tuning(const char *name, size_t dflt) {
#ifdef FCONV_DIRECT_TUNING
  const char *e = getenv(name);
  if (e && *e) return (size_t)strtoull(e, NULL, 10);
#else
  (void)name;
#endif
  return dflt;
}

static size_t cdiv(size_t a, size_t b) { return (a + b - 1) / b; }
static size_t zmin(size_t a, size_t b) { return a < b ? a : b; }
static size_t zmax(size_t a, size_t b) { return a > b ? a : b; }
static size_t round64(size_t b) { return (b + 63) & ~(size_t)63; }

/* ---- ISA choice -------------------------------------------------------------------------- */

const fconv_dk_ops *fconv_dk_select_isa(void) {
  const fconv_dk_ops *best = &fconv_dk_ops_generic;
#if defined(__x86_64__) || defined(__i386__)
  int level = 0; /* 0 generic, 1 avx2, 2 avx512 */
  __builtin_cpu_init();
#ifdef FCONV_DK_HAVE_AVX2
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) level = 1;
#endif
#ifdef FCONV_DK_HAVE_AVX512
  if (level == 1 && __builtin_cpu_supports("avx512f")) level = 2;
#endif
  const char *e = getenv("FCONV_ISA");
  if (e && *e) {
    int want = !strcmp(e, "generic") ? 0 : !strcmp(e, "avx2") ? 1 : !strcmp(e, "avx512") ? 2 : 9;
    if (want < level) level = want; /* a lower one only: never one the CPU cannot run */
  }
#ifdef FCONV_DK_HAVE_AVX2
  if (level == 1) best = &fconv_dk_ops_avx2;
#endif
#ifdef FCONV_DK_HAVE_AVX512
  if (level == 2) best = &fconv_dk_ops_avx512;
#endif
#endif
  return best;
}

/* ---- cost model ---------------------------------------------------------------------------- */

static double model_threads(const fconv_problem *p, size_t vbytes, double taps, double threads) {
  static const double a[4] = {DIRECT_A_F32, DIRECT_A_F64, DIRECT_A_C64, DIRECT_A_C128};
  static const double b[4] = {DIRECT_B_F32, DIRECT_B_F64, DIRECT_B_C64, DIRECT_B_C128};
  const double outputs = (double)p->count * (double)p->out_elems;
  return a[p->dtype] * 32.0 / (double)vbytes * outputs * taps / threads + b[p->dtype] * outputs +
         DIRECT_C;
}

/* Work modelled under DIRECT_SERIAL_SECONDS on one thread runs on one thread (create's rule). */
static int runs_serial(const fconv_problem *p, size_t vbytes, double taps) {
  return model_threads(p, vbytes, taps, 1.0) < DIRECT_SERIAL_SECONDS;
}

/* The model of what runs: one thread for small work, else p->threads. (It once divided small
 * work by the threads too, so AUTO kept 1-D 16384 x 127 / 255 taps direct at 1.6-2.4x the
 * overlap-save time: results/m2, the quiet default-matrix run of issue 9.) */
static double model_seconds(const fconv_problem *p, size_t vbytes, double taps) {
  return model_threads(p, vbytes, taps, runs_serial(p, vbytes, taps) ? 1.0 : (double)p->threads);
}

static double direct_estimate(const fconv_problem *p) {
  size_t vb = fconv_dk_select_isa()->vbytes;
  return model_seconds(p, vb, (double)p->ker_elems);
}

/* Separable passes: modelled taps per output for the tiling chosen in create. */
static double sep_model_taps(const dstate *s) {
  const fconv_axis *ax = s->p.ax;
  const double R = (double)s->R;
  /* input rows per output row (only rows some output needs) */
  double hrows = (double)s->nrt / R;
  double pred = 1.0; /* input planes computed per output plane */
  if (ax[0].k > 1) {
    double np = ax[0].stride >= ax[0].k ? (double)ax[0].k * (double)s->PB
                                        : (double)((s->PB - 1) * ax[0].stride + ax[0].k);
    pred = np / (double)s->PB;
  }
  /* Pass taps, weighted: the passes run the single-tap-row and one-tap kernels, which do less
   * work per load than the general kernel, plus a stored and reloaded intermediate per pass.
   * Fitted on 2048^2 f32 kernels 3x3..31x31 against the general path (1.5 x taps + 2). */
  double t = (double)ax[2].k * hrows * pred + (double)ax[1].k * pred;
  if (ax[0].k > 1) t += (double)ax[0].k;
  t = 1.5 * t + 2.0;
  return t;
}

/* ---- create / destroy -------------------------------------------------------------------- */

static void kset_free(dk_kset *k) {
  fconv_free(k->taps);
  fconv_free(k->fac);
  fconv_free(k->sep);
}

static void direct_destroy(void *state) {
  dstate *s = (dstate *)state;
  if (!s) return;
  kset_free(&s->kset[0]);
  kset_free(&s->kset[1]);
  fconv_free(s->raw);
  fconv_free(s->crow);
  fconv_free(s->scratch);
  fconv_free(s);
}

static size_t rows_per_plane(size_t R, size_t s1, size_t k1) {
  return s1 >= k1 ? R * k1 : (R - 1) * s1 + k1;
}

/* Choose the unit tiling and lay out the per-thread scratch. */
static void plan_tiling(dstate *s) {
  const fconv_problem *p = &s->p;
  const fconv_axis *ax = p->ax;
  const size_t es = s->es, k0 = ax[0].k, k1 = ax[1].k, k2 = ax[2].k, s2 = ax[2].stride;
  const size_t tile = zmax(1, s->ops->tile_bytes / es);

  size_t CB = zmax(tile, tuning("FCONV_DIRECT_COL_BYTES", DIRECT_COL_BYTES) / es);
  if (ax[2].out <= CB + CB / 2) CB = ax[2].out;
  size_t R = zmax(1, tuning("FCONV_DIRECT_ROWS", DIRECT_ROWS));
  if (ax[1].out <= R + R / 2) R = ax[1].out;
  size_t PB = k0 > 1 ? ax[0].out : 1; /* planes shared by consecutive outputs: one block */
  if (s->sep_ok) {
    /* separable: tall row blocks (the pass along axis 2 recomputes k1 - 1 rows per block),
     * narrower columns so a block's intermediate rows stay in L2 */
    R = zmax(R, 4 * k1);
    if (ax[1].out <= R + R / 2) R = ax[1].out;
    size_t rows = rows_per_plane(R, ax[1].stride, k1) + (k0 > 1 ? k0 * R : 0);
    size_t cb = zmax(tile, DIRECT_SEP_BYTES / (rows * es));
    if (cb < CB) CB = cb;
  }

  /* Parallelism: at least 4 units per thread when the problem allows. */
  const size_t want = p->threads > 1 ? 4 * (size_t)p->threads : 1;
#define UNITS() (p->count * cdiv(ax[0].out, PB) * cdiv(ax[1].out, R) * cdiv(ax[2].out, CB))
  if (UNITS() < want && PB > 1) {
    size_t n = zmin(ax[0].out, cdiv(want, p->count * cdiv(ax[1].out, R) * cdiv(ax[2].out, CB)));
    PB = cdiv(ax[0].out, n);
  }
  if (UNITS() < want && R > 1) {
    size_t n = zmin(ax[1].out, cdiv(want, p->count * cdiv(ax[0].out, PB) * cdiv(ax[2].out, CB)));
    R = cdiv(ax[1].out, n);
  }
  if (UNITS() < want && CB > tile) {
    size_t n = zmin(ax[2].out, cdiv(want, p->count * cdiv(ax[0].out, PB) * cdiv(ax[1].out, R)));
    CB = zmax(tile, cdiv(ax[2].out, n));
  }
#undef UNITS
  /* Memory: gathered rows of one unit (all kernel planes and rows) within a budget. */
  const size_t nph = zmin(s2, k2);
  for (;;) {
    size_t slotcap = nph * (CB - 1 + cdiv(k2, s2));
    size_t bytes = k0 * rows_per_plane(R, ax[1].stride, k1) * slotcap * es;
    if (bytes <= DIRECT_SLOT_BUDGET) break;
    if (R > 1) R = (R + 1) / 2;
    else if (CB > tile) CB = zmax(tile, CB / 2);
    else break;
  }

  s->PB = PB; s->R = R; s->CB = CB; s->nph = nph;
  s->nPB = cdiv(ax[0].out, PB);
  s->nRB = cdiv(ax[1].out, R);
  s->nCB = cdiv(ax[2].out, CB);
  s->units = p->count * s->nPB * s->nRB * s->nCB;
  s->chunk = zmax(1, s->units / (16 * (size_t)p->threads));
  s->nrt = rows_per_plane(R, ax[1].stride, k1);
  s->slotcap = nph * (CB - 1 + cdiv(k2, s2));
  s->slotcap = round64(s->slotcap * es) / es;
  s->piece = zmax(16, DIRECT_PIECE_BYTES / es);
  s->CBp = round64(CB * es) / es;

  /* interior columns (stride 1): o >= p0 and o + k2 - 1 < p0 + n2 */
  const fconv_axis *a2 = &ax[2];
  s->oL = zmin(a2->out, cdiv(a2->p0, s2));
  ptrdiff_t lim = (ptrdiff_t)(a2->p0 + a2->n) - (ptrdiff_t)k2 + 1;
  size_t oR = lim <= 0 ? 0 : cdiv((size_t)lim, s2);
  s->oR = zmax(s->oL, zmin(oR, a2->out));
  /* Short rows are gathered whole (one box copy per plane): cheaper than two tiny border
   * pieces and vector tails; long rows are read in place between the borders. */
  s->inplace = s2 == 1 && (a2->out * es >= tuning("FCONV_DIRECT_INPLACE_MIN",
                                                   DIRECT_INPLACE_MIN_BYTES) ||
                            (s->oL == 0 && s->oR == a2->out)); /* no border at all */

  /* tap-row list: every kernel row's phases, long phases cut into pieces */
  size_t pieces = nph + k2 / s->piece + 1;
  size_t trcap = k0 * k1 * pieces;
  trcap = zmax(trcap, zmax(k0, k1) + 1);

  size_t off = 0;
  s->off_rt = off; off += round64(k0 * s->nrt * sizeof(void *));
  s->off_tr = off; off += round64(trcap * sizeof(fconv_dk_taprow));
  /* pairs of output rows: input rows [t, t + s1 + k1) of every plane */
  s->off_tr2 = off;
  if (s->pairs) off += round64(k0 * (ax[1].stride + k1) * pieces * sizeof(fconv_dk_pairrow));
  s->off_slots = off; off += round64(k0 * s->nrt * s->slotcap * es);
  if (s->sep_ok) {
    s->off_h = off; off += round64(s->nrt * s->CBp * es);
    s->off_ring = off; off += k0 > 1 ? round64(k0 * R * s->CBp * es) : 0;
  }
  s->off_tags = off; off += round64(2 * k0 * sizeof(ptrdiff_t));
  s->trcap = trcap;
  s->per_thread = round64(off) + 64; /* + a line between threads */
}

static fconv_status kset_alloc(const dstate *s, dk_kset *k) {
  const fconv_problem *p = &s->p;
  const size_t nf = p->ax[0].k + p->ax[1].k + p->ax[2].k;
  k->taps = fconv_malloc(p->kernel_batch * p->ker_elems * p->esize);
  k->fac = fconv_malloc(p->kernel_batch * nf * p->esize);
  k->sep = (unsigned char *)fconv_calloc(p->kernel_batch);
  return k->taps && k->fac && k->sep ? FCONV_OK : FCONV_ERR_OUT_OF_MEMORY;
}

static fconv_status direct_create(const fconv_problem *p, void **state) {
  dstate *s = (dstate *)fconv_calloc(sizeof *s);
  FCONV_RETURN_IF(!s, FCONV_ERR_OUT_OF_MEMORY, "direct state");
  s->p = *p;
  s->es = p->esize;
  s->ops = fconv_dk_select_isa();
  s->mk = s->ops->fn[p->dtype];
  s->mk2 = s->ops->fn2[p->dtype];
  s->pairs = p->ax[1].stride < p->ax[1].k;
  const fconv_axis *ax = p->ax;
  int active = (ax[0].k > 1) + (ax[1].k > 1) + (ax[2].k > 1);
  s->gen_taps = (double)p->ker_elems;
  s->sep_ok = !(p->flags & FCONV_FLAG_NO_SEPARABLE) && active >= 2;
  if (s->sep_ok) {
    plan_tiling(s); /* the tiling the separable passes would use */
    s->sep_taps = sep_model_taps(s);
    s->sep_ok = s->sep_taps < (double)tuning("FCONV_DIRECT_SEP_FACTOR", 1) * s->gen_taps;
  }
  plan_tiling(s);
  if (s->sep_ok) s->sep_taps = sep_model_taps(s);

  /* Threads: all p->threads unless the work is too small to pay for waking them. */
  s->nthreads = zmin((size_t)p->threads, cdiv(s->units, s->chunk));
  if (runs_serial(p, s->ops->vbytes, s->gen_taps)) s->nthreads = 1;

  fconv_status st = FCONV_OK;
  s->scratch_bytes = s->per_thread * s->nthreads;
  s->scratch = (unsigned char *)fconv_malloc(s->scratch_bytes);
  if (!s->scratch) st = FCONV_ERR_OUT_OF_MEMORY;
  if (st == FCONV_OK) st = kset_alloc(s, &s->kset[0]);
  if (st == FCONV_OK) st = kset_alloc(s, &s->kset[1]);
  if (st == FCONV_OK && ax[2].stride > 1) {
    s->raw = fconv_malloc(p->kernel_batch * p->ker_elems * p->esize);
    s->crow = (unsigned char *)fconv_malloc(ax[2].k * p->esize);
    if (!s->raw || !s->crow) st = FCONV_ERR_OUT_OF_MEMORY;
  }
  if (st != FCONV_OK) {
    direct_destroy(s);
    return st;
  }
  const size_t nf = ax[0].k + ax[1].k + ax[2].k;
  s->workspace_bytes = s->scratch_bytes +
                       2 * p->kernel_batch * (p->ker_elems + nf) * p->esize +
                       (s->raw ? p->kernel_batch * p->ker_elems * p->esize : 0);
  FCONV_LOG("cpu-direct: isa %s, units %zu (planes %zu, rows %zu, cols %zu), separable %s "
            "(%.1f vs %.1f taps/output), scratch %zu bytes/thread",
            s->ops->isa, s->units, s->PB, s->R, s->CB, s->sep_ok ? "possible" : "off",
            s->sep_taps, s->gen_taps, s->per_thread);
  *state = s;
  return FCONV_OK;
}

/* ---- kernel preparation and separability --------------------------------------------------- */

/* Copy axis-2 taps of each kernel row from natural order into stride-phase order: phase q
 * holds taps q, q + s2, q + 2 s2, ... (q < nph). */
static void to_phase_order(const dstate *s, const unsigned char *src, unsigned char *dst,
                           size_t rows) {
  const size_t es = s->es, k2 = s->p.ax[2].k, s2 = s->p.ax[2].stride;
  for (size_t r = 0; r < rows; r++) {
    const unsigned char *a = src + r * k2 * es;
    unsigned char *b = dst + r * k2 * es;
    size_t o = 0;
    for (size_t q = 0; q < s->nph; q++)
      for (size_t j = q; j < k2; j += s2) memcpy(b + (o++) * es, a + j * es, es);
  }
}

/* Factor one kernel's taps w (natural order) with the core's rank-1 rule (core/kernel_info.c):
 * fac = A | B | C, C (the kernel's own row through the pivot) reordered into stride-phase order.
 * Returns 1 when separable. */
static int factorize(const dstate *s, const unsigned char *w, unsigned char *fac) {
  const fconv_axis *ax = s->p.ax;
  const size_t k[3] = {ax[0].k, ax[1].k, ax[2].k};
  if (!fconv_kernel_rank1(s->p.dtype, k, w, fac)) return 0;
  if (ax[2].stride > 1) { /* C in stride-phase order */
    unsigned char *C = fac + (k[0] + k[1]) * s->es;
    memcpy(s->crow, C, k[2] * s->es);
    to_phase_order(s, s->crow, C, 1);
  }
  return 1;
}

static void prepare_kset(dstate *s, const void *h, dk_kset *ks) {
  const fconv_problem *p = &s->p;
  const size_t ke = p->ker_elems, es = s->es, nf = p->ax[0].k + p->ax[1].k + p->ax[2].k;
  unsigned char *raw = (unsigned char *)(p->ax[2].stride > 1 ? s->raw : ks->taps);
  fconv_prepare_taps(p, h, raw);
  if (p->ax[2].stride > 1)
    to_phase_order(s, raw, (unsigned char *)ks->taps, p->kernel_batch * p->ax[0].k * p->ax[1].k);
  ks->nsep = 0;
  for (size_t b = 0; b < p->kernel_batch; b++) {
    ks->sep[b] = s->sep_ok &&
                 factorize(s, raw + b * ke * es, (unsigned char *)ks->fac + b * nf * es);
    ks->nsep += ks->sep[b];
  }
}

static fconv_status direct_set_kernel(void *state, const void *kernel,
                                      const fconv_kernel_info *info) {
  /* the rank-1 test runs on the prepared taps (factorize) */
  dstate *s = (dstate *)state;
  FCONV_RETURN_IF(!kernel, FCONV_ERR_INVALID_ARGUMENT, "kernel is NULL");
  prepare_kset(s, kernel, &s->kset[0]);
  s->set_host = info ? info->host : NULL;
  s->cur = &s->kset[0];
  s->kernel_set = 1;
  return FCONV_OK;
}

/* The set kernel's cost, or an explicit kernel's (info->host is not the set kernel's): that
 * one is prepared into kset[1], the execute-time scratch it is about to be prepared into anyway
 * (the plan's scratch: a plan is used by one thread at a time; nothing is allocated). */
static double direct_kernel_cost(const void *state, const fconv_kernel_info *info) {
  dstate *s = (dstate *)(uintptr_t)state;
  const dk_kset *ks = &s->kset[0];
  if (info && info->host && (!s->kernel_set || info->host != s->set_host)) {
    prepare_kset(s, info->host, &s->kset[1]);
    ks = &s->kset[1];
  } else if (!s->kernel_set) {
    return direct_estimate(&s->p);
  }
  s->cur = ks;
  const double kb = (double)s->p.kernel_batch, ns = (double)ks->nsep;
  double taps = (ns * s->sep_taps + (kb - ns) * s->gen_taps) / kb;
  return model_seconds(&s->p, s->ops->vbytes, taps);
}

static void direct_describe(const void *state, fconv_plan_info *info) {
  const dstate *s = (const dstate *)state;
  strncpy(info->isa, s->ops->isa, sizeof info->isa - 1);
  info->isa[sizeof info->isa - 1] = '\0';
  info->separable = s->cur && s->cur->nsep == s->p.kernel_batch;
  info->workspace_bytes = s->workspace_bytes;
  for (int a = 0; a < FCONV_MAX_RANK; a++) info->transform_shape[a] = info->block_shape[a] = 0;
}

/* ---- execution ---------------------------------------------------------------------------- */

typedef struct {
  const dstate *s;
  const unsigned char *x; /* all signals */
  const dk_kset *ks;
  unsigned char *y;       /* all outputs */
  size_t chunk;           /* units claimed at a time */
  _Atomic size_t next;    /* next unclaimed unit */
} exec_ctx;

/* One unit's column pieces: [cut[i], cut[i+1]) with in-place flag. */
typedef struct {
  size_t ca[3], cb[3];
  int inplace[3];
  int n;
} col_split;

static void split_columns(const dstate *s, size_t c0, size_t c1, col_split *cs) {
  cs->n = 0;
  if (!s->inplace) {
    cs->ca[0] = c0; cs->cb[0] = c1; cs->inplace[0] = 0; cs->n = 1;
    return;
  }
  const size_t cut[4] = {c0, zmin(zmax(s->oL, c0), c1), zmin(zmax(s->oR, c0), c1), c1};
  for (int i = 0; i < 3; i++)
    if (cut[i + 1] > cut[i]) {
      cs->ca[cs->n] = cut[i];
      cs->cb[cs->n] = cut[i + 1];
      cs->inplace[cs->n] = i == 1;
      cs->n++;
    }
}

/* Window row index (axis 1) of row-table entry t for the row block starting at output r0. */
static size_t table_row(const dstate *s, size_t r0, size_t t) {
  const size_t s1 = s->p.ax[1].stride, k1 = s->p.ax[1].k;
  return s1 >= k1 ? (r0 + t / k1) * s1 + t % k1 : r0 * s1 + t;
}
/* Row-table entry of output row r (block start r0) and kernel row j1. */
static size_t table_index(const dstate *s, size_t r, size_t r0, size_t j1) {
  const size_t s1 = s->p.ax[1].stride, k1 = s->p.ax[1].k;
  return s1 >= k1 ? (r - r0) * k1 + j1 : (r - r0) * s1 + j1;
}

/* d[m] = src[m * st] for m < n elements of es bytes. Stride 2 (the common case) is written with
 * a constant stride so the compiler vectorises it. */
static void copy_strided(unsigned char *d, const unsigned char *src, size_t n, ptrdiff_t st,
                         size_t es) {
  if (st == 2 && es == 4) {
    uint32_t *o = (uint32_t *)(void *)d;
    const uint32_t *i = (const uint32_t *)(const void *)src;
    for (size_t m = 0; m < n; m++) o[m] = i[2 * m];
  } else if (st == 2 && es == 8) {
    uint64_t *o = (uint64_t *)(void *)d;
    const uint64_t *i = (const uint64_t *)(const void *)src;
    for (size_t m = 0; m < n; m++) o[m] = i[2 * m];
  } else {
    for (size_t m = 0; m < n; m++, src += st * (ptrdiff_t)es) memcpy(d + m * es, src, es);
  }
}

/* The extended row at window (e0, e1) over window columns [w0, w0 + wlen): NULL when it is all
 * zeros; a pointer into the signal when inplace; else gathered into slot (stride > 1:
 * de-interleaved into phases of pitch PL). */
static const unsigned char *row_source(const dstate *s, const unsigned char *x, size_t e0,
                                       size_t e1, size_t w0, size_t wlen, size_t PL, int inplace,
                                       unsigned char *slot) {
  const fconv_problem *p = &s->p;
  const fconv_axis *ax = p->ax;
  const size_t es = s->es;
  ptrdiff_t i0 = fconv_bmap((ptrdiff_t)e0 - (ptrdiff_t)ax[0].p0, ax[0].n, p->boundary);
  ptrdiff_t i1 = fconv_bmap((ptrdiff_t)e1 - (ptrdiff_t)ax[1].p0, ax[1].n, p->boundary);
  if (i0 < 0 || i1 < 0) return NULL;
  if (inplace)
    return x + (((size_t)i0 * ax[1].n + (size_t)i1) * ax[2].n + (w0 - ax[2].p0)) * es;
  const ptrdiff_t org[3] = {(ptrdiff_t)e0, (ptrdiff_t)e1, (ptrdiff_t)w0};
  const size_t cnt[3] = {1, 1, wlen}, pitch[2] = {wlen, wlen};
  const size_t s2 = ax[2].stride;
  if (s2 == 1) {
    fconv_gather(p, x, org, cnt, slot, pitch, 0);
    return slot;
  }
  /* Stride s2 > 1: read the signal row with stride straight into the phases; positions outside
   * the signal go through the boundary map. */
  const unsigned char *srow = x + ((size_t)i0 * ax[1].n + (size_t)i1) * ax[2].n * es;
  const ptrdiff_t n2 = (ptrdiff_t)ax[2].n, st = (ptrdiff_t)s2;
  for (size_t q = 0; q < s->nph; q++) {
    unsigned char *d = slot + q * PL * es;
    const ptrdiff_t m_n = (ptrdiff_t)((wlen - q + s2 - 1) / s2);
    const ptrdiff_t pos0 = (ptrdiff_t)(w0 + q) - (ptrdiff_t)ax[2].p0; /* signal index of m = 0 */
    ptrdiff_t lo = pos0 >= 0 ? 0 : (-pos0 + st - 1) / st;
    ptrdiff_t hi = pos0 < n2 ? (n2 - pos0 + st - 1) / st : 0;
    if (lo > m_n) lo = m_n;
    if (hi > m_n) hi = m_n;
    if (hi < lo) hi = lo;
    copy_strided(d + lo * (ptrdiff_t)es, srow + (pos0 + lo * st) * (ptrdiff_t)es,
                 (size_t)(hi - lo), st, es);
    for (int side = 0; side < 2; side++)
      for (ptrdiff_t m = side ? hi : 0; m < (side ? m_n : lo); m++) {
        ptrdiff_t j = fconv_bmap(pos0 + m * st, ax[2].n, p->boundary);
        if (j < 0) memset(d + m * es, 0, es);
        else memcpy(d + m * es, srow + (size_t)j * es, es);
      }
  }
  return slot;
}

/* The needed rows (table entries t < ntab of the row block starting at output row r0) of
 * input plane e0 over window columns [w0, w0 + wlen): rows[t] as row_source gives them, gathered
 * rows in slot t. Unit-stride pieces whose rows are contiguous are gathered as one box. */
static void plane_rows(const dstate *s, const unsigned char *x, size_t e0, size_t r0,
                       size_t ntab, size_t w0, size_t wlen, size_t PL, int inplace,
                       unsigned char *slots, const unsigned char **rows) {
  const fconv_problem *p = &s->p;
  const fconv_axis *ax = p->ax;
  const size_t es = s->es, pitch = s->slotcap;
  if (fconv_bmap((ptrdiff_t)e0 - (ptrdiff_t)ax[0].p0, ax[0].n, p->boundary) < 0) {
    for (size_t t = 0; t < ntab; t++) rows[t] = NULL;
    return;
  }
  if (!inplace && ax[2].stride == 1 && ax[1].stride < ax[1].k) {
    const ptrdiff_t org[3] = {(ptrdiff_t)e0, (ptrdiff_t)(r0 * ax[1].stride), (ptrdiff_t)w0};
    const size_t cnt[3] = {1, ntab, wlen}, dp[2] = {ntab * pitch, pitch};
    fconv_gather(p, x, org, cnt, slots, dp, 0);
    for (size_t t = 0; t < ntab; t++) {
      ptrdiff_t e1 = (ptrdiff_t)table_row(s, r0, t) - (ptrdiff_t)ax[1].p0;
      rows[t] = fconv_bmap(e1, ax[1].n, p->boundary) < 0 ? NULL : slots + t * pitch * es;
    }
    return;
  }
  for (size_t t = 0; t < ntab; t++)
    rows[t] = row_source(s, x, e0, table_row(s, r0, t), w0, wlen, PL, inplace,
                         slots + t * pitch * es);
}

/* Append the tap rows of one kernel row (its stride phases, cut into pieces). row: phased input
 * (phase pitch PL); w: the kernel row's taps in phase order. */
static size_t add_kernel_row(const dstate *s, fconv_dk_taprow *tr, size_t n,
                             const unsigned char *row, size_t PL, const unsigned char *w) {
  const size_t es = s->es, k2 = s->p.ax[2].k, s2 = s->p.ax[2].stride;
  size_t off = 0;
  for (size_t q = 0; q < s->nph; q++) {
    const size_t nt = (k2 - q + s2 - 1) / s2;
    const unsigned char *x = row + q * PL * es, *wq = w + off * es;
    for (size_t j = 0; j < nt; j += s->piece) {
      tr[n].x = x + j * es;
      tr[n].w = wq + j * es;
      tr[n].nt = zmin(s->piece, nt - j);
      n++;
    }
    off += nt;
  }
  return n;
}

/* End of the group of tap rows starting at g0 whose inputs and wsets weight sets fit L1
 * (at least one row). Row t's tap count is at nt0 + t * stride bytes (either list type). */
static size_t group_end(const dstate *s, const unsigned char *nt0, size_t stride, size_t g0,
                        size_t n, size_t wsets) {
  size_t used = 0, t = g0;
  for (; t < n; t++) {
    size_t nt;
    memcpy(&nt, nt0 + t * stride, sizeof nt);
    const size_t cost = (1 + wsets) * nt * s->es + s->ops->tile_bytes;
    if (t > g0 && used + cost > DIRECT_GROUP_BYTES) break;
    used += cost;
  }
  return t;
}

/* out[0, len) = sum of the tap rows, in groups whose inputs and taps fit L1 (later groups add
 * to the partial sums in out). */
static void run_rows(const dstate *s, void *out, size_t len, const fconv_dk_taprow *tr, size_t n) {
  size_t g0 = 0;
  do {
    const size_t g1 = group_end(s, (const unsigned char *)&tr[0].nt, sizeof *tr, g0, n, 1);
    s->mk(out, len, tr + g0, g1 - g0, g0 > 0);
    g0 = g1;
  } while (g0 < n);
}

/* Zero taps for the side of a row pair that does not use an input row (a piece at most). */
static const double zero_taps[DIRECT_PIECE_BYTES / sizeof(double)];

/* Pair version of add_kernel_row: the input row feeds row a with taps wa and row b with wb
 * (either may be NULL: zero taps). */
static size_t add_pair_row(const dstate *s, fconv_dk_pairrow *tr, size_t n,
                           const unsigned char *row, size_t PL, const unsigned char *wa,
                           const unsigned char *wb) {
  const size_t es = s->es, k2 = s->p.ax[2].k, s2 = s->p.ax[2].stride;
  size_t off = 0;
  for (size_t q = 0; q < s->nph; q++) {
    const size_t nt = (k2 - q + s2 - 1) / s2;
    const unsigned char *x = row + q * PL * es;
    for (size_t j = 0; j < nt; j += s->piece) {
      tr[n].x = x + j * es;
      tr[n].wa = wa ? wa + (off + j) * es : (const void *)zero_taps;
      tr[n].wb = wb ? wb + (off + j) * es : (const void *)zero_taps;
      tr[n].nt = zmin(s->piece, nt - j);
      n++;
    }
    off += nt;
  }
  return n;
}

static void run_rows2(const dstate *s, void *oa, void *ob, size_t len,
                      const fconv_dk_pairrow *tr, size_t n) {
  size_t g0 = 0;
  do {
    const size_t g1 = group_end(s, (const unsigned char *)&tr[0].nt, sizeof *tr, g0, n, 2);
    s->mk2(oa, ob, len, tr + g0, g1 - g0, g0 > 0);
    g0 = g1;
  } while (g0 < n);
}

/* General kernel: every output row segment sums k0 x k1 kernel rows. */
static void unit_general(const dstate *s, unsigned char *scr, const unsigned char *x,
                         const unsigned char *w, unsigned char *y, size_t o0a, size_t o0b,
                         size_t r0, size_t r1, size_t c0, size_t c1) {
  const fconv_axis *ax = s->p.ax;
  const size_t es = s->es, k0 = ax[0].k, k1 = ax[1].k, k2 = ax[2].k;
  const size_t s0 = ax[0].stride, s2 = ax[2].stride;
  const size_t nrt = s->nrt, nr = r1 - r0;
  const size_t ntab = nr == s->R ? nrt : rows_per_plane(nr, ax[1].stride, k1);
  const unsigned char **rt = (const unsigned char **)(void *)(scr + s->off_rt);
  fconv_dk_taprow *tr = (fconv_dk_taprow *)(void *)(scr + s->off_tr);
  fconv_dk_pairrow *tr2 = (fconv_dk_pairrow *)(void *)(scr + s->off_tr2);
  unsigned char *slots = scr + s->off_slots;
  ptrdiff_t *tag = (ptrdiff_t *)(void *)(scr + s->off_tags);
  col_split cs;
  split_columns(s, c0, c1, &cs);
  /* The rows of input plane e0 live in ring slot e0 % k0 (tag: which plane is there), so
   * consecutive output planes of the unit reuse the planes they share. */
#define RT(j0, t) rt[((o0 * s0 + (j0)) % k0) * nrt + (t)]
  for (int piece = 0; piece < cs.n; piece++) {
    const size_t ca = cs.ca[piece], cb = cs.cb[piece];
    const size_t w0 = ca * s2, wlen = (cb - ca - 1) * s2 + k2, PL = cdiv(wlen, s2);
    for (size_t i = 0; i < k0; i++) tag[i] = -1;
    for (size_t o0 = o0a; o0 < o0b; o0++) {
      for (size_t j0 = 0; j0 < k0; j0++) {
        const size_t e0 = o0 * s0 + j0, ri = e0 % k0;
        if (tag[ri] == (ptrdiff_t)e0) continue;
        plane_rows(s, x, e0, r0, ntab, w0, wlen, PL, cs.inplace[piece],
                   slots + ri * nrt * s->slotcap * es, rt + ri * nrt);
        tag[ri] = (ptrdiff_t)e0;
      }
      const size_t s1 = ax[1].stride, ostep = ax[2].out * es;
      for (size_t r = r0; r < r1;) {
        unsigned char *yr = y + ((o0 * ax[1].out + r) * ax[2].out + ca) * es;
        if (s->pairs && r + 1 < r1) { /* rows r, r+1 read input rows [ta, ta + s1 + k1) */
          size_t n = 0;
          const size_t ta = (r - r0) * s1;
          for (size_t j0 = 0; j0 < k0; j0++)
            for (size_t t = ta; t < ta + s1 + k1; t++) {
              const unsigned char *row = RT(j0, t);
              if (!row) continue;
              const size_t ja = t - ta, jb = t - ta - s1; /* jb wraps when t < ta + s1 */
              const unsigned char *wa = ja < k1 ? w + (j0 * k1 + ja) * k2 * es : NULL;
              const unsigned char *wb = t >= ta + s1 ? w + (j0 * k1 + jb) * k2 * es : NULL;
              n = add_pair_row(s, tr2, n, row, PL, wa, wb);
            }
          run_rows2(s, yr, yr + ostep, cb - ca, tr2, n);
          r += 2;
          continue;
        }
        size_t n = 0;
        for (size_t j0 = 0; j0 < k0; j0++)
          for (size_t j1 = 0; j1 < k1; j1++) {
            const unsigned char *row = RT(j0, table_index(s, r, r0, j1));
            if (row) n = add_kernel_row(s, tr, n, row, PL, w + (j0 * k1 + j1) * k2 * es);
          }
        run_rows(s, yr, cb - ca, tr, n);
        r++;
      }
    }
  }
#undef RT
}

/* Separable kernel A (x) B (x) C: pass along axis 2 into scratch rows H, along axis 1 into the
 * output (k0 == 1) or a ring of k0 planes, along axis 0 into the output. */
static void unit_separable(const dstate *s, unsigned char *scr, const unsigned char *x,
                           const unsigned char *fac, unsigned char *y, size_t o0a, size_t o0b,
                           size_t r0, size_t r1, size_t c0, size_t c1) {
  const fconv_problem *p = &s->p;
  const fconv_axis *ax = p->ax;
  const size_t es = s->es, k0 = ax[0].k, k1 = ax[1].k, k2 = ax[2].k;
  const size_t s0 = ax[0].stride, s2 = ax[2].stride, CBp = s->CBp, R = s->R;
  const size_t nr = r1 - r0;
  const size_t ntab = nr == R ? s->nrt : rows_per_plane(nr, ax[1].stride, k1);
  const unsigned char *A = fac, *B = fac + k0 * es, *C = fac + (k0 + k1) * es;
  const unsigned char **hrow = (const unsigned char **)(void *)(scr + s->off_rt);
  fconv_dk_taprow *tr = (fconv_dk_taprow *)(void *)(scr + s->off_tr);
  unsigned char *slot = scr + s->off_slots;
  unsigned char *H = scr + s->off_h, *ring = scr + s->off_ring;
  ptrdiff_t *tag = (ptrdiff_t *)(void *)(scr + s->off_tags), *valid = tag + k0;
  col_split cs;
  split_columns(s, c0, c1, &cs);
  for (int piece = 0; piece < cs.n; piece++) {
    const size_t ca = cs.ca[piece], cb = cs.cb[piece], width = cb - ca;
    const size_t w0 = ca * s2, wlen = (width - 1) * s2 + k2, PL = cdiv(wlen, s2);
    for (size_t i = 0; i < k0; i++) tag[i] = -1;
    for (size_t o0 = o0a; o0 < o0b; o0++) {
      for (size_t j0 = 0; j0 < k0; j0++) {
        const size_t e0 = o0 * s0 + j0, ri = e0 % k0;
        if (k0 > 1 && tag[ri] == (ptrdiff_t)e0) continue;
        const int zero_plane =
            fconv_bmap((ptrdiff_t)e0 - (ptrdiff_t)ax[0].p0, ax[0].n, p->boundary) < 0;
        /* pass along axis 2: the needed input rows of plane e0 */
        plane_rows(s, x, e0, r0, ntab, w0, wlen, PL, cs.inplace[piece], slot, hrow);
        for (size_t t = 0; t < ntab; t++) {
          const unsigned char *src = hrow[t];
          hrow[t] = NULL;
          if (!src) continue;
          unsigned char *h = H + t * CBp * es;
          size_t n = add_kernel_row(s, tr, 0, src, PL, C);
          run_rows(s, h, width, tr, n);
          hrow[t] = h;
        }
        /* pass along axis 1 (rows in pairs where they share input rows) */
        const size_t s1 = ax[1].stride;
        for (size_t r = r0; r < r1; r++) {
          unsigned char *dst = k0 > 1 ? ring + (ri * R + (r - r0)) * CBp * es
                                      : y + ((o0 * ax[1].out + r) * ax[2].out + ca) * es;
          if (s->pairs && r + 1 < r1) {
            const size_t ta = (r - r0) * s1;
            fconv_dk_pairrow *tp = (fconv_dk_pairrow *)(void *)(scr + s->off_tr2);
            size_t n = 0;
            for (size_t t = ta; t < ta + s1 + k1; t++) {
              if (!hrow[t]) continue;
              const size_t ja = t - ta, jb = t - ta - s1;
              tp[n].x = hrow[t];
              tp[n].wa = ja < k1 ? B + ja * es : (const void *)zero_taps;
              tp[n].wb = t >= ta + s1 ? B + jb * es : (const void *)zero_taps;
              tp[n].nt = 1;
              n++;
            }
            unsigned char *dst2 = k0 > 1 ? dst + CBp * es : dst + ax[2].out * es;
            run_rows2(s, dst, dst2, width, tp, n);
            r++;
            continue;
          }
          size_t n = 0;
          for (size_t j1 = 0; j1 < k1; j1++) {
            const unsigned char *h = hrow[table_index(s, r, r0, j1)];
            if (!h) continue;
            tr[n].x = h;
            tr[n].w = B + j1 * es;
            tr[n].nt = 1;
            n++;
          }
          run_rows(s, dst, width, tr, n);
        }
        if (k0 > 1) {
          tag[ri] = (ptrdiff_t)e0;
          valid[ri] = !zero_plane;
        }
      }
      if (k0 == 1) continue;
      /* pass along axis 0 */
      for (size_t r = r0; r < r1; r++) {
        size_t n = 0;
        for (size_t j0 = 0; j0 < k0; j0++) {
          const size_t ri = (o0 * s0 + j0) % k0;
          if (!valid[ri]) continue;
          tr[n].x = ring + (ri * R + (r - r0)) * CBp * es;
          tr[n].w = A + j0 * es;
          tr[n].nt = 1;
          n++;
        }
        run_rows(s, y + ((o0 * ax[1].out + r) * ax[2].out + ca) * es, width, tr, n);
      }
    }
  }
}

static void run_units(const exec_ctx *ctx, size_t ub, size_t ue, int tid) {
  const dstate *s = ctx->s;
  const fconv_problem *p = &s->p;
  const size_t es = s->es, nf = p->ax[0].k + p->ax[1].k + p->ax[2].k;
  unsigned char *scr = s->scratch + (size_t)tid * s->per_thread;
  for (size_t u = ub; u < ue; u++) {
    size_t v = u;
    const size_t cb = v % s->nCB; v /= s->nCB;
    const size_t rb = v % s->nRB; v /= s->nRB;
    const size_t pb = v % s->nPB;
    const size_t item = v / s->nPB;
    const size_t sb = fconv_signal_of(p, item), kb = fconv_kernel_of(p, item);
    const unsigned char *x = ctx->x + sb * p->sig_elems * es;
    unsigned char *y = ctx->y + item * p->out_elems * es;
    const size_t o0a = pb * s->PB, o0b = zmin(p->ax[0].out, o0a + s->PB);
    const size_t r0 = rb * s->R, r1 = zmin(p->ax[1].out, r0 + s->R);
    const size_t c0 = cb * s->CB, c1 = zmin(p->ax[2].out, c0 + s->CB);
    if (ctx->ks->sep[kb])
      unit_separable(s, scr, x, (const unsigned char *)ctx->ks->fac + kb * nf * es, y, o0a, o0b,
                     r0, r1, c0, c1);
    else
      unit_general(s, scr, x, (const unsigned char *)ctx->ks->taps + kb * p->ker_elems * es, y,
                   o0a, o0b, r0, r1, c0, c1);
  }
}

/* One thread: claim chunks of units until none are left (dynamic: a thread that starts late
 * or runs slow on a shared machine takes less work instead of holding the others up). */
static void run_thread(void *vctx, size_t tb, size_t te, int tid) {
  exec_ctx *ctx = (exec_ctx *)vctx;
  (void)tb;
  (void)te;
  for (;;) {
    size_t u = atomic_fetch_add_explicit(&ctx->next, ctx->chunk, memory_order_relaxed);
    if (u >= ctx->s->units) break;
    run_units(ctx, u, zmin(u + ctx->chunk, ctx->s->units), tid);
  }
}

static fconv_status direct_execute(void *state, const void *signal, const void *kernel,
                                   void *out) {
  dstate *s = (dstate *)state;
  const dk_kset *ks = &s->kset[0];
  if (kernel) {
    prepare_kset(s, kernel, &s->kset[1]);
    ks = &s->kset[1];
  } else {
    FCONV_INVALID_IF(!s->kernel_set, "cpu-direct: no kernel set");
  }
  s->cur = ks;
  exec_ctx ctx = {s, (const unsigned char *)signal, ks, (unsigned char *)out, s->chunk, 0};
  fconv_parallel_for(s->nthreads, 1, (int)s->nthreads, run_thread, &ctx);
  return FCONV_OK;
}

const fconv_path_vtbl fconv_cpu_direct_path = {
    .name = "cpu-direct",
    .backend = FCONV_BACKEND_CPU,
    .method = FCONV_METHOD_DIRECT,
    .estimate = direct_estimate,
    .create = direct_create,
    .set_kernel = direct_set_kernel,
    .execute = direct_execute,
    .destroy = direct_destroy,
    .kernel_cost = direct_kernel_cost,
    .describe = direct_describe};
