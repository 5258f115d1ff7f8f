/* stream_layout.c — partitioning of a stream's responses and the spreading of each level's work
 * over blocks (see stream.h). Arithmetic only: no FFTW, no allocation. */
#include "stream.h"

#include <math.h>
#include <string.h>

/* ---- the cost model -------------------------------------------------------------------------
 * Nanoseconds on the development machine (FFTW 3.3, one AVX-512 core, f32, real data); only the
 * ratios matter for the choice. Double precision costs ~2x, complex data ~2x per transform. */
#define COST_FFT 0.12   /* per N log2 N of one transform of length N */
#define COST_MAC 0.30   /* per spectrum bin of one complex multiply-add */
#define COST_ADD 0.30   /* per sample added into the output ring */
#define COST_TAP 0.15   /* per head tap and output sample */
#define COST_CALL 250.0 /* per level and chunk: calls, loop set-up, cache refills */

static double fft_cost(size_t N, int cplx, int dbl) {
  return COST_FFT * (double)N * log2((double)N) * (cplx ? 2.0 : 1.0) * (dbl ? 1.7 : 1.0);
}

static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

static void level_geometry(fconv_stream_level *lv, size_t P, size_t B, int cplx) {
  lv->P = P;
  lv->N = 2 * P;
  lv->bins = cplx ? 2 * P : P + 1;
  lv->bs = (lv->bins + 15) / 16 * 16;
  lv->M = P / B;
}

/* One transform of a level: whole, or split (r sub-transforms, the transpositions, the
 * twiddled r-point passes; the unit weights of the schedule below, summed). */
static double transform_cost(const fconv_stream_level *lv, int cplx, int dbl) {
  if (lv->r <= 1) return fft_cost(lv->N, cplx, dbl);
  const double r = (double)lv->r, N = (double)lv->N;
  return r * fft_cost(lv->m, cplx, dbl) +
         N * (3.0 * COST_ADD + 2.0 * COST_FFT * log2(r) + 3.0 * COST_MAC) * (dbl ? 1.7 : 1.0);
}

/* Cost per block of one level (inputs forward transforms, outputs inverse ones, pairs products). */
static double level_cost(const fconv_stream_level *lv, size_t in, size_t out, int cplx, int dbl) {
  const double chunk = (double)(in + out) * transform_cost(lv, cplx, dbl) +
                       (double)(in * out) * (double)lv->n * (double)lv->bins * COST_MAC *
                           (dbl ? 2.0 : 1.0) +
                       (double)out * (double)lv->P * COST_ADD * (cplx ? 2.0 : 1.0) + COST_CALL;
  return chunk / (double)lv->M;
}

/* The unit structure of a level (stream.h): with `even` (FCONV_STREAM_FLAG_EVEN_LOAD, or a
 * transform too large for one block, see build), lag-2 levels of real data whose transform is
 * at least twice the sub-transform length are split, r a power of two dividing N / 2. The
 * sub-transform length grows with the block (the work one block can absorb): the smallest power
 * of two >= FCONV_STREAM_SPLIT_PER_BLOCK B, at least FCONV_STREAM_SPLIT_SUB (half that for B < 128). */
static void level_units(fconv_stream_level *lv, int cplx, int even) {
  const size_t B = lv->P / lv->M;
  /* Short blocks absorb less work: their sub-transforms are shorter (measured: 2048 points at
   * B = 64 keep the costliest block within 3x the median, 4096 do not). */
  size_t r = 1, sub = B < 128 ? FCONV_STREAM_SPLIT_SUB / 2 : FCONV_STREAM_SPLIT_SUB;
  while (sub < FCONV_STREAM_SPLIT_PER_BLOCK * B) sub *= 2;
  if (even && lv->lag == 2 && !cplx)
    while ((lv->N / 2) % (2 * r) == 0 && lv->N / (2 * r) >= sub) r *= 2;
  lv->r = r;
  lv->m = lv->N / r;
  lv->nt = r == 1 ? 0 : r;
  if (r == 1) {
    lv->q = 0;
    lv->nf = lv->nv = 1;
    lv->nc = lv->ni = 0;
  } else {
    lv->q = (lv->m + r - 1) / r;
    lv->nf = lv->nv = r;
    lv->nc = (lv->m + lv->q - 1) / lv->q;
    lv->ni = (lv->m / 2 + 1 + lv->q - 1) / lv->q;
  }
  /* Multiply-adds: groups of FCONV_STREAM_MAC_PARTS partitions over chunks of bins (multiples
   * of 16, up to bs: long runs for the prefetchers); lag-2 levels' units of at most about
   * FCONV_STREAM_MAC_CHUNK products per pair of channels. */
  lv->mg = (lv->n + FCONV_STREAM_MAC_PARTS - 1) / FCONV_STREAM_MAC_PARTS;
  const size_t mc = lv->lag == 2 ? (FCONV_STREAM_MAC_PARTS * lv->bs + FCONV_STREAM_MAC_CHUNK - 1) /
                                       FCONV_STREAM_MAC_CHUNK
                                 : 1;
  lv->mq = round_up((lv->bs + mc - 1) / mc, 16);
  lv->mc = (lv->bs + lv->mq - 1) / lv->mq;
  lv->units = 2 * lv->nt + lv->nf + lv->nc + lv->mg * lv->mc + lv->ni + lv->nv;
}

/* Build one candidate: growth g (0 = uniform), at least `minparts` partitions per level below the
 * largest, partitions up to `cap` samples. Returns 0 when the sizes would overflow. */
static int build(fconv_stream_layout *L, size_t cap, size_t g, size_t minparts, size_t in,
                 size_t out, int cplx, int dbl) {
  const size_t len = L->capacity;
  L->levels = 0;
  double cost = (double)(in * out) * (double)L->D * (double)L->B * COST_TAP * (cplx ? 4 : 1);
  if (len > L->D) {
    size_t o = L->D, P = L->Q;
    int lag = L->D ? 1 : 0;
    for (;;) {
      if (L->levels == FCONV_STREAM_MAX_LEVELS) return 0;
      fconv_stream_level *lv = &L->lv[L->levels];
      memset(lv, 0, sizeof *lv);
      level_geometry(lv, P, L->B, cplx);
      lv->lag = lag;
      lv->offset = o;
      lv->d = o / P - (size_t)lag;
      const size_t rest = (len - o + P - 1) / P; /* partitions to cover the rest here */
      size_t next = 0;
      if (g && P <= cap / g && P * g <= ((size_t)1 << 40)) {
        const size_t P2 = P * g;
        next = round_up(o + minparts * P, P2);
        if (next < 2 * P2) next = 2 * P2;
      }
      if (!next || o + rest * P <= next) { /* the last level */
        lv->n = rest;
        lv->K = lv->n + lv->d + 1;
        level_units(lv, cplx, L->even);
        L->levels++;
        break;
      }
      lv->n = (next - o) / P;
      lv->K = lv->n + lv->d + 1;
      level_units(lv, cplx, L->even);
      L->levels++;
      o = next;
      P *= g;
      lag = 2;
    }
  }
  double levels_cost = 0;
  for (int l = 0; l < L->levels; l++) levels_cost += level_cost(&L->lv[l], in, out, cplx, dbl);
  /* Without EVEN_LOAD, split only the transforms that one block could not absorb: a unit of
   * one whole transform per channel costing more than FCONV_STREAM_SPLIT_BUDGET mean blocks
   * would make its block stand out (the schedule can spread units, not cut them). */
  const double block_cost = cost + levels_cost;
  if (!L->even && !cplx) {
    levels_cost = 0;
    for (int l = 0; l < L->levels; l++) {
      fconv_stream_level *lv = &L->lv[l];
      const double unit = (double)(in > out ? in : out) * fft_cost(lv->N, cplx, dbl);
      if (lv->lag == 2 && unit > FCONV_STREAM_SPLIT_BUDGET * block_cost) level_units(lv, cplx, 1);
      levels_cost += level_cost(lv, in, out, cplx, dbl);
    }
  }
  L->cost_ns = cost + levels_cost;
  L->fixed_ns = cost; /* the head and the levels computed whole every block */
  for (int l = 0; l < L->levels; l++)
    if (L->lv[l].lag == 0) L->fixed_ns += level_cost(&L->lv[l], in, out, cplx, dbl);
  return 1;
}

fconv_status fconv_stream_choose_layout(fconv_stream_layout *L, size_t block, size_t capacity,
                                        size_t inputs, size_t outputs, int cplx, int dbl,
                                        fconv_stream_partitioning policy, size_t max_partition,
                                        int even_load) {
  memset(L, 0, sizeof *L);
  FCONV_RETURN_IF(block > ((size_t)1 << 30) || capacity > ((size_t)1 << 40),
                  FCONV_ERR_INVALID_ARGUMENT, "stream block or response too long");
  L->B = block;
  L->capacity = capacity;
  L->even = even_load;
  if (block < FCONV_STREAM_HEAD_BELOW) {
    L->Q = round_up(FCONV_STREAM_HEAD_BELOW, block);
    L->D = L->Q;
  } else {
    L->Q = block;
    L->D = 0;
  }
  fconv_stream_layout best, cand = *L;
  int have = 0;
  if (policy != FCONV_STREAM_PARTITION_NONUNIFORM || capacity <= L->D + L->Q) {
    if (build(&cand, 0, 0, 0, inputs, outputs, cplx, dbl)) {
      best = cand;
      have = 1;
    }
  }
  if (policy != FCONV_STREAM_PARTITION_UNIFORM) {
    static const size_t growth[] = {2, 4, 8};
    static const size_t extra[] = {1, 2, 3, 4, 6, 8, 12, 16, 24};
    const size_t cap_max = max_partition ? max_partition : ((size_t)1 << 16);
    for (size_t gi = 0; gi < sizeof growth / sizeof growth[0]; gi++)
      for (size_t cap = L->Q * growth[gi]; cap <= cap_max && cap <= ((size_t)1 << 40);
           cap *= growth[gi])
        for (size_t ei = 0; ei < sizeof extra / sizeof extra[0]; ei++) {
          cand = *L;
          if (!build(&cand, cap, growth[gi], extra[ei], inputs, outputs, cplx, dbl)) continue;
          /* NONUNIFORM with a max_partition: grow to within a factor 2 of it. */
          if (policy == FCONV_STREAM_PARTITION_NONUNIFORM && max_partition &&
              (cand.levels == 0 || cand.lv[cand.levels - 1].P * 2 <= max_partition))
            continue;
          if (!have || cand.cost_ns < best.cost_ns) {
            best = cand;
            have = 1;
          }
        }
  }
  if (!have) { /* max_partition too small to grow: uniform */
    cand = *L;
    have = build(&cand, 0, 0, 0, inputs, outputs, cplx, dbl);
    best = cand;
  }
  FCONV_RETURN_IF(!have, FCONV_ERR_INVALID_ARGUMENT, "no stream partitioning fits");
  *L = best;
  return FCONV_OK;
}

/* Modelled cost of each kind of unit of a level (stream.h: the unit order). */
typedef struct unit_costs {
  size_t u_f, u_c, u_m, u_i, u_v, u_t; /* first unit of each kind after the transpositions */
  double w_t_in, w_sub_in, w_chunk_in, w_mac, w_chunk_out, w_sub_out, w_t_out;
} unit_costs;

static void unit_costs_init(unit_costs *k, const fconv_stream_level *lv, size_t inputs,
                            size_t outputs, int cplx) {
  const double in = (double)inputs, out = (double)outputs;
  double w_sub, w_chunk;
  if (lv->r == 1) {
    w_sub = fft_cost(lv->N, cplx, 0);
    w_chunk = 0;
  } else {
    const double r = (double)lv->r;
    w_sub = fft_cost(lv->m, 0, 0) + COST_ADD * (double)lv->m;
    w_chunk = (double)lv->q * r * (COST_FFT * 2.0 * log2(r) + 3.0 * COST_MAC);
  }
  const double w_t = 2.0 * COST_ADD * (double)lv->m;
  k->u_f = lv->nt;
  k->u_c = k->u_f + lv->nf;
  k->u_m = k->u_c + lv->nc;
  k->u_i = k->u_m + lv->mg * lv->mc;
  k->u_v = k->u_i + lv->ni;
  k->u_t = k->u_v + lv->nv;
  k->w_t_in = in * w_t;
  k->w_sub_in = in * w_sub;
  k->w_chunk_in = in * w_chunk;
  k->w_mac = in * out * (double)FCONV_STREAM_MAC_PARTS * (double)lv->mq * COST_MAC;
  k->w_chunk_out = out * w_chunk;
  k->w_sub_out = out * w_sub;
  k->w_t_out = out * w_t;
}

static double unit_cost(const unit_costs *k, size_t u) {
  return u < k->u_f ? k->w_t_in : u < k->u_c ? k->w_sub_in : u < k->u_m ? k->w_chunk_in
       : u < k->u_i ? k->w_mac : u < k->u_v ? k->w_chunk_out : u < k->u_t ? k->w_sub_out
       : k->w_t_out;
}

/* Place the units of one level, in order, on its M stages on top of the load `base` (M
 * entries): each stage takes units while its load stays within `fill`, or one unit alone while
 * within `cap`. Returns whether every unit was placed; with sched, writes the M + 1 stage
 * boundaries. With fill = cap this is greedy packing, which places the longest prefix possible
 * by each stage, so it fits whenever any in-order placement within cap does: bisection on cap
 * finds the smallest peak. Then bisection on fill (at that cap) finds the lowest level the
 * stages can be filled to evenly, large units standing alone, so that the work is not all
 * front-loaded into the first stages (their memory traffic costs more than the model says). */
static int pack(const fconv_stream_level *lv, const unit_costs *k, const double *base,
                double fill, double cap, size_t *sched) {
  size_t u = 0;
  for (size_t s = 0; s < lv->M; s++) {
    if (sched) sched[s] = u;
    double load = base[s];
    for (int first = 1; u < lv->units; first = 0) {
      const double w = unit_cost(k, u);
      if (!(load + w <= fill || (first && load + w <= cap))) break;
      load += w;
      u++;
    }
  }
  if (sched) sched[lv->M] = lv->units;
  return u == lv->units;
}

/* Smallest x in [lo, hi] (hi feasible) for which feasible(x) holds, to 0.1%. */
#define STREAM_BISECT(lo, hi, feasible)                                                        \
  for (int it_ = 0; it_ < 60 && (hi) - (lo) > 1e-3 * ((hi) > 1 ? (hi) : 1); it_++) {          \
    const double x = 0.5 * ((lo) + (hi));                                                      \
    if (feasible)                                                                              \
      (hi) = x;                                                                                \
    else                                                                                       \
      (lo) = x;                                                                                \
  }

/* Blocks after which every level's stages repeat: the longest chunk (every M divides it). */
static size_t schedule_period(const fconv_stream_layout *L) {
  size_t Mmax = 1;
  for (int l = 0; l < L->levels; l++)
    if (L->lv[l].lag > 0 && L->lv[l].M > Mmax) Mmax = L->lv[l].M;
  return Mmax;
}

size_t fconv_stream_schedule_scratch(const fconv_stream_layout *L) {
  return 2 * schedule_period(L);
}

double fconv_stream_schedule(const fconv_stream_layout *L, size_t inputs, size_t outputs, int cplx,
                             size_t *const *sched, double *load) {
  const size_t Mmax = schedule_period(L);
  for (size_t s = 0; s < Mmax; s++) load[s] = 0;
  /* A block's stage of level l is (blocks - 1) mod M_l and every M_l divides Mmax, so the load
   * of block position s of the period Mmax is the sum over levels of their stage s mod M_l.
   * Levels with the shortest period (the least freedom) are placed first. */
  for (int l = 0; l < L->levels; l++) {
    const fconv_stream_level *lv = &L->lv[l];
    unit_costs k;
    unit_costs_init(&k, lv, inputs, outputs, cplx);
    if (lv->lag == 1) { /* whole, in the block that completes its chunk */
      double w = 0;
      for (size_t u = 0; u < lv->units; u++) w += unit_cost(&k, u);
      for (size_t s = lv->M - 1; s < Mmax; s += lv->M) load[s] += w;
      continue;
    }
    if (lv->lag != 2) continue;
    /* The load on this level's M stages: the period Mmax folded onto M (its maximum). */
    double *base = load + Mmax; /* M entries of scratch after the profile */
    double lo = 0, total = 0;
    for (size_t s = 0; s < lv->M; s++) {
      base[s] = 0;
      for (size_t t = s; t < Mmax; t += lv->M)
        if (load[t] > base[s]) base[s] = load[t];
      if (base[s] > lo) lo = base[s];
    }
    for (size_t u = 0; u < lv->units; u++) total += unit_cost(&k, u);
    double min_base = lo;
    for (size_t s = 0; s < lv->M; s++)
      if (base[s] < min_base) min_base = base[s];
    double cap = lo + total;
    STREAM_BISECT(lo, cap, pack(lv, &k, base, x, x, NULL));
    double fill_lo = min_base, fill = cap;
    STREAM_BISECT(fill_lo, fill, pack(lv, &k, base, x, cap, NULL));
    pack(lv, &k, base, fill, cap, sched[l]);
    for (size_t s = 0; s < lv->M; s++) {
      double w = 0;
      for (size_t u = sched[l][s]; u < sched[l][s + 1]; u++) w += unit_cost(&k, u);
      for (size_t t = s; t < Mmax; t += lv->M) load[t] += w;
    }
  }
  double peak = 0;
  for (size_t s = 0; s < Mmax; s++)
    if (load[s] > peak) peak = load[s];
  return L->fixed_ns + peak;
}

