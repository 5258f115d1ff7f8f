/* stream.cu — the CUDA streaming engine (stream_path.h; include/fconv.h, "streaming convolution",
 * engine CUDA): levels of uniformly partitioned frequency-domain delay lines on the device.
 *
 * Level 0 has partitions of B samples (transforms of N = 2B points, overlap-save) and covers the
 * response's head [0, o1); with UNIFORM partitioning it covers all of it and is the only level.
 * Non-uniform partitioning adds levels l = 1, 2, ... of partitions P = 2^l B, level l covering
 * taps [o_l, o_l + n_l P) with o_l a multiple of P and at least 2P (layout_build). Per block
 * (the block ending at input time T), on the engine's stream (host.h):
 *   1. the new block of every input to the device (staged through pinned memory, host.h) and
 *      into each input's history ring (the last 2 P_max samples);
 *   2. level 0: the window [T - 2B, T) of every input, ONE batched forward transform into its
 *      delay line's slot, ONE multiply-add kernel over the delay line (per bin and output, the
 *      sum over the inputs and partitions of every (output, input) pair, each pair only over the
 *      partitions its response has, of X(segment - j)[i] H[o, i][j]; partitions split into
 *      ranges summed by separate thread blocks when outputs x bins alone would not fill the
 *      device, then added: fconv_stream_sum_kernel), ONE batched inverse transform, and the
 *      valid half added into the output ring at [T - B, T);
 *   3. every other level l (P, M = P / B blocks per period, boundaries at multiples of P): its
 *      contribution to output samples [T_k, T_k + P) (T_k = kP) needs input up to T_k - P only
 *      (as o_l >= 2P), so it is computed during the M blocks that end at T_(k-1) + B ..
 *      T_k: one chunk of its partitions' multiply-add per block (n_l / M partitions, added to
 *      the level's partial sums), and at the boundary T_k the inverse transforms, the valid
 *      half into the output ring at [T_k, T_k + P), and the forward transform of the window
 *      [T_k - 2P, T_k) into the level's delay line. So every block carries a similar share of
 *      every level's products; the transforms of a level run once per period;
 *   4. the output block [T - B, T) from the ring (crossfaded from the old responses' ring while
 *      a fade runs), those ring samples cleared, and back to the host.
 * The responses' partition spectra (scaled by 1/N) are computed on the device at create and at
 * set_responses (one batched transform per pair and level). Two sides of responses exist, each
 * with its own output ring: a swap loads the other side, recomputes that side's work in flight
 * (the ring's samples still due, and the partial sums of the chunks done) from the delay lines,
 * which hold every input segment the responses reach, and makes it current; so a swap is exact
 * at once: the next block is computed as if the new responses had always been in place. During
 * a crossfade both sides are computed (their spectra batched together) and mixed.
 *
 * Device access through dev.h and fft_dev.h only: under the block emulator (tests) this file
 * compiles with g++ and runs its kernels on the CPU, FFTW standing in for cuFFT. */
#include "compat.cuh"
#include "dev.h"
#include "fft_dev.h"
#include "host.h"
#include "stream_kernels.cuh"
#include "../core/dtype.h"
#include "../stream_path.h"

#include <limits.h>
#include <math.h>

namespace {

#define STREAM_THREADS 128      /* threads per block of every launch */
#define STREAM_FILL 65536       /* multiply-add threads wanted before partitions are split */
#define STREAM_MAX_SPLITS 64
#define STREAM_MAX_LEVELS 16    /* fconv_stream_info's arrays */

/* One level: partitions of P samples covering taps [o, o + nP); segments (windows of N input
 * samples ending at multiples of P) indexed by their end / P, kept in a ring of K slots. */
struct stream_level {
  size_t P, N, bins, bs, n, o, M; /* M = P / B blocks per period */
  size_t d;                       /* segment delay: the range due at T_k reads segments
                                     k - d - j (0 for level 0, o / P - 1 for the others) */
  size_t K;                       /* delay-line slots: n + d */
  size_t splits, chunk;           /* most split ranges of one launch; partitions per block */
  size_t off_fdl, off_H, off_acc; /* device workspace */
};

/* Sizes of a stream; all byte counts checked for overflow (sizes_of). */
struct stream_sizes {
  size_t B, in, out, pairs, esize, csize;
  int levels;
  stream_level lv[STREAM_MAX_LEVELS];
  size_t Pmax, hist, F; /* largest partition; history ring (2 Pmax); output ring (2 Pmax) */
  size_t rows;          /* time-domain rows of the largest level (elements: rows x N) */
  /* device workspace, byte offsets (256-aligned) */
  size_t off_x, off_hist, off_win, off_ring, off_y, off_resp, off_parts, off_work;
  size_t ws_bytes, stage_bytes;
};

/* a * b * c, or 1 on overflow. */
static int mul3(size_t a, size_t b, size_t c, size_t *r) {
  return fconv_mul_ovf(a, b, r) || fconv_mul_ovf(*r, c, r);
}

/* Append `bytes` at the next 256-byte boundary of *end; 1 on overflow. */
static int carve(size_t *end, size_t bytes, size_t *off) {
  const size_t a = FCONV_CUDA_WS_ALIGN;
  if (*end > SIZE_MAX - (a - 1)) return 1;
  *off = (*end + a - 1) / a * a;
  if (bytes > SIZE_MAX - *off) return 1;
  *end = *off + bytes;
  return 0;
}

/* ---- the layout ------------------------------------------------------------------------------ */

/* One candidate layout for responses of up to `cap_len` taps: level 0 of B-sample partitions,
 * then (cap > B) levels of doubling partitions up to cap, each below the last covering at least
 * `minparts` partitions and ending at a multiple of the next size, the next level starting at
 * least two of its partitions in (so that its work has a whole period to run). Returns 0 when
 * the sizes would overflow or need more than STREAM_MAX_LEVELS levels. */
static int layout_build(stream_sizes *z, size_t cap_len, size_t cap, size_t minparts) {
  const size_t B = z->B;
  size_t o = 0, P = B;
  z->levels = 0;
  for (;;) {
    if (z->levels == STREAM_MAX_LEVELS) return 0;
    stream_level *lv = &z->lv[z->levels];
    memset(lv, 0, sizeof *lv);
    lv->P = P;
    lv->o = o;
    lv->M = P / B;
    lv->d = z->levels ? o / P - 1 : 0;
    const size_t rest = (cap_len - o) / P + ((cap_len - o) % P != 0);
    size_t next = 0;
    if (P <= cap / 2 && P <= ((size_t)1 << 40)) {
      const size_t P2 = 2 * P;
      if (fconv_mul_ovf(minparts, P, &next) || next > SIZE_MAX - o - P2) return 0;
      next = (o + next + P2 - 1) / P2 * P2;
      if (next < 2 * P2) next = 2 * P2;
    }
    z->levels++;
    if (!next || rest <= (next - o) / P) { /* the last level */
      lv->n = rest;
      return 1;
    }
    lv->n = (next - o) / P;
    o = next;
    P *= 2;
  }
}

/* The geometry of every level and the workspace offsets; 1 when the sizes cannot be addressed.
 * fft_work: the transforms' work area (0 before planning). */
static int sizes_finish(stream_sizes *z, int cplx, size_t fft_work) {
  size_t end = 0;
  z->Pmax = z->lv[z->levels - 1].P;
  if (z->Pmax > (size_t)LLONG_MAX / 8) return 1;
  z->hist = z->F = 2 * z->Pmax;
  z->rows = 0;
  size_t maxrows_bytes = 0;
  for (int l = 0; l < z->levels; l++) {
    stream_level *lv = &z->lv[l];
    lv->N = 2 * lv->P;
    lv->bins = cplx ? lv->N : lv->P + 1;
    lv->bs = (lv->bins + 31) / 32 * 32;
    lv->K = lv->n + lv->d;
    if (lv->n > UINT_MAX) return 1;
    lv->chunk = (lv->n + lv->M - 1) / lv->M;
    /* threads of the multiply-add before splitting: output groups x bins */
    const size_t work = (z->out + FCONV_STREAM_OUTS - 1) / FCONV_STREAM_OUTS * lv->bins;
    size_t sp = (STREAM_FILL + work - 1) / work;
    if (sp > STREAM_MAX_SPLITS) sp = STREAM_MAX_SPLITS;
    if (sp > lv->n) sp = lv->n;
    lv->splits = sp < 1 ? 1 : sp;
    /* time rows: the inputs' windows, both sides' inverse transforms, one response's parts */
    size_t items = z->in > 2 * z->out ? z->in : 2 * z->out;
    if (lv->n > items) items = lv->n;
    size_t rb;
    if (mul3(items, lv->N, z->esize, &rb)) return 1;
    if (rb > maxrows_bytes) maxrows_bytes = rb;
    if (items > (size_t)LLONG_MAX / lv->N) return 1;
    size_t b_fdl, b_H, b_acc;
    if (mul3(lv->K, z->in, lv->bs, &b_fdl) || fconv_mul_ovf(b_fdl, z->csize, &b_fdl) ||
        mul3(z->pairs, lv->n, lv->bs, &b_H) || mul3(b_H, 2, z->csize, &b_H) ||
        mul3(lv->splits * 2, z->out, lv->bs, &b_acc) || fconv_mul_ovf(b_acc, z->csize, &b_acc))
      return 1;
    if (carve(&end, b_fdl, &lv->off_fdl) || carve(&end, b_H, &lv->off_H) ||
        carve(&end, b_acc, &lv->off_acc))
      return 1;
  }
  size_t b_blk, b_hist, b_ring, b_y, b_resp, b_parts;
  if (mul3(z->in, z->B, z->esize, &b_blk) || mul3(z->in, z->hist, z->esize, &b_hist) ||
      mul3(2 * z->out, z->F, z->esize, &b_ring) || mul3(z->out, z->B, z->esize, &b_y) ||
      fconv_mul_ovf(z->lv[z->levels - 1].o + z->lv[z->levels - 1].n * z->Pmax, z->esize,
                    &b_resp) ||
      mul3(2 * (size_t)z->levels, z->pairs, sizeof(unsigned), &b_parts))
    return 1;
  if (carve(&end, b_blk, &z->off_x) || carve(&end, b_hist, &z->off_hist) ||
      carve(&end, maxrows_bytes, &z->off_win) || carve(&end, b_ring, &z->off_ring) ||
      carve(&end, b_y, &z->off_y) || carve(&end, b_resp, &z->off_resp) ||
      carve(&end, b_parts, &z->off_parts) || carve(&end, fft_work, &z->off_work))
    return 1;
  z->ws_bytes = end;
  z->stage_bytes = b_resp > b_blk ? b_resp : b_blk;
  if (b_y > z->stage_bytes) z->stage_bytes = b_y;
  return 0;
}

/* The modelled seconds of a layout: per block on average (*mean) and at the block where every
 * level's period ends (*peak). */
static void layout_cost(const stream_sizes *z, int dbl, int device_ptrs, double *mean,
                        double *peak) {
  const fconv_cuda_cost *c = fconv_cuda_cost_get(); /* this device's (cost.h) */
  const double groups = (double)((z->out + FCONV_STREAM_OUTS - 1) / FCONV_STREAM_OUTS);
  double m = 3 * c->launch_s + c->sync_s, pk = m; /* history, emit, copies; the sync */
  if (!device_ptrs) {
    const double stage = (double)(z->in + z->out) * (double)z->B * (double)z->esize / c->stage_bw;
    m += stage;
    pk += stage;
  }
  for (int l = 0; l < z->levels; l++) {
    const stream_level &lv = z->lv[l];
    const double N = (double)lv.N;
    /* the multiply-add streams every partition spectrum of the current side once per period,
     * and the delay line once per group of FCONV_STREAM_OUTS outputs */
    const double mac = ((double)z->pairs + groups * (double)z->in) * (double)lv.n *
                       (double)lv.bins * (double)z->csize / c->mem_bw;
    const double fft = c->fft_scale * 5.0 * N * log2(N > 2 ? N : 2) * (double)(z->in + z->out) /
                       fconv_cost_fft_flops(c, dbl);
    const double period = 4 * c->launch_s + fft; /* window, forward, inverse, ring */
    const double chunk = (lv.splits > 1 ? 2 : 1) * c->launch_s + mac / (double)lv.M;
    m += chunk + period / (double)lv.M;
    pk += chunk + period;
  }
  *mean = m;
  *peak = pk;
}

/* Choose the layout of d (UNIFORM: level 0 only; NONUNIFORM: the cheapest of the candidates with
 * two levels or more when the responses are long enough, its largest partition the grid's below
 * max_partition when one is given; AUTO: the cheapest of all) and size it (fft_work: see
 * sizes_finish). 1 when no layout can be addressed. */
static int sizes_of(const fconv_stream_desc *d, size_t capacity, size_t fft_work,
                    stream_sizes *z) {
  memset(z, 0, sizeof *z);
  const int cplx = fconv_dtype_is_complex(d->dtype), dbl = fconv_dtype_is_double(d->dtype);
  const int device_ptrs = (d->flags & FCONV_FLAG_DEVICE_POINTERS) != 0;
  z->B = d->block;
  z->in = d->inputs;
  z->out = d->outputs;
  z->esize = fconv_dtype_size(d->dtype);
  z->csize = 2 * fconv_dtype_scalar_size(d->dtype);
  if (z->B > (size_t)LLONG_MAX / 8 || fconv_mul_ovf(z->in, z->out, &z->pairs)) return 1;
  stream_sizes best, cand = *z;
  double best_cost = INFINITY;
  /* NONUNIFORM: layouts of several levels whose largest partition is the grid's cap only,
   * when the responses are long enough for one (require: 2, then 1, then 0 constraints) */
  int require = d->partitioning == FCONV_STREAM_PARTITION_NONUNIFORM ? 2 : 0;
  size_t want_cap = 0;
  const auto consider = [&](size_t cap, size_t minparts) {
    if (!layout_build(&cand, capacity, cap, minparts)) return;
    if (require >= 1 && cand.levels < 2) return;
    if (require >= 2 && want_cap && cand.lv[cand.levels - 1].P != want_cap) return;
    if (sizes_finish(&cand, cplx, fft_work)) return;
    double mean, peak;
    layout_cost(&cand, dbl, device_ptrs, &mean, &peak);
    if (mean < best_cost) {
      best_cost = mean;
      best = cand;
    }
  };
  if (d->partitioning != FCONV_STREAM_PARTITION_NONUNIFORM) consider(z->B, 1);
  if (d->partitioning != FCONV_STREAM_PARTITION_UNIFORM) {
    /* the partition grid: B 2^k, up to half the capacity (at least 2B); max_partition rounds
     * down to it: the largest partition with NONUNIFORM (at least 2B), a bound with AUTO */
    size_t hi = capacity / 2 > 2 * z->B ? capacity / 2 : 2 * z->B, lo = 2 * z->B;
    if (d->max_partition) {
      hi = z->B;
      while (hi <= d->max_partition / 2 && hi <= ((size_t)1 << 40)) hi *= 2;
      if (hi < 2 * z->B && d->partitioning == FCONV_STREAM_PARTITION_NONUNIFORM) hi = 2 * z->B;
      if (d->partitioning == FCONV_STREAM_PARTITION_NONUNIFORM) lo = want_cap = hi;
    }
    for (; require >= 0 && best_cost == INFINITY; require--)
      for (size_t cap = lo; cap <= hi && cap <= ((size_t)1 << 41); cap *= 2)
        for (size_t minparts = 2; minparts <= 64; minparts *= 2) consider(cap, minparts);
  }
  if (best_cost == INFINITY) return 1;
  *z = best;
  return 0;
}
struct cuda_stream {
  fconv_cuda_host h; /* device, stream, workspace (every device buffer), pinned stager */
  fconv_dtype dtype;
  stream_sizes z;
  uint64_t nb;       /* blocks processed */
  int cur;           /* the side whose responses are current */
  size_t fade_len, fade_pos;
  unsigned *parts_host; /* [levels][2][pairs] */
  fconv_fft *fwd_in[STREAM_MAX_LEVELS], *fwd_h[STREAM_MAX_LEVELS];
  fconv_fft *inv1[STREAM_MAX_LEVELS], *inv2[STREAM_MAX_LEVELS];
  size_t fft_work;
};

static unsigned char *dev(const cuda_stream *s, size_t off) { return s->h.ws + off; }

/* ---- launches -------------------------------------------------------------------------------- */

static dim3 grid_1d(uint64_t n) { return dim3(fconv_dev_blocks(n, STREAM_THREADS, 4096), 1, 1); }

/* FCONV_DTYPE_DISPATCH's case body: STREAM_BODY with Sc (the scalar), T (the sample) and C
 * (the complex spectrum value) of the dtype. */
#define STREAM_LAUNCH_(E, S, Cx)                                                               \
  {                                                                                            \
    typedef S Sc;                                                                              \
    typedef fconv_elem<S, Cx>::type T;                                                         \
    typedef fconv_elem<S, 1>::type C;                                                          \
    (void)sizeof(Sc), (void)sizeof(T), (void)sizeof(C);                                        \
    STREAM_BODY                                                                                \
  }

/* The new block x (device) of every input into the history ring, ending at input time t. */
static fconv_status launch_hist(cuda_stream *s, const void *x, uint64_t t) {
  const stream_sizes &z = s->z;
  fconv_status st = FCONV_ERR_INTERNAL;
  const long long pos = (long long)((t - z.B) % z.hist);
#define STREAM_BODY                                                                            \
  void (*const hist_kernel)(const T *, T *, long long, long long, long long, long long) =      \
      fconv_stream_hist_kernel<T>;                                                             \
  st = FCONV_LAUNCH(hist_kernel, grid_1d((uint64_t)z.in * z.B), dim3(STREAM_THREADS), 0,       \
                    s->h.stream, (const T *)x, (T *)dev(s, z.off_hist), (long long)z.B,        \
                    (long long)z.in, (long long)z.hist, pos);
  FCONV_DTYPE_DISPATCH(s->dtype, STREAM_LAUNCH_)
#undef STREAM_BODY
  return st;
}

/* Level lv's window of every input ending at input time t into the time rows. */
static fconv_status launch_window(cuda_stream *s, const stream_level &lv, uint64_t t) {
  const stream_sizes &z = s->z;
  fconv_status st = FCONV_ERR_INTERNAL;
  /* t - N modulo the ring (t may be below N: the ring then still holds zeros there) */
  const long long start = (long long)((t + z.hist - lv.N % z.hist) % z.hist);
#define STREAM_BODY                                                                            \
  void (*const window_kernel)(const T *, T *, long long, long long, long long, long long) =    \
      fconv_stream_window_kernel<T>;                                                           \
  st = FCONV_LAUNCH(window_kernel, grid_1d((uint64_t)z.in * lv.N), dim3(STREAM_THREADS), 0,    \
                    s->h.stream, (const T *)dev(s, z.off_hist), (T *)dev(s, z.off_win),        \
                    (long long)lv.N, (long long)z.in, (long long)z.hist, start);
  FCONV_DTYPE_DISPATCH(s->dtype, STREAM_LAUNCH_)
#undef STREAM_BODY
  return st;
}

/* Level lv's partitions of the response at resp (len elements, device) into the time rows. */
static fconv_status launch_parts(cuda_stream *s, const stream_level &lv, size_t len) {
  const stream_sizes &z = s->z;
  fconv_status st = FCONV_ERR_INTERNAL;
#define STREAM_BODY                                                                            \
  void (*const parts_kernel)(const T *, long long, T *, long long, long long, long long, Sc) = \
      fconv_stream_parts_kernel<T, Sc>;                                                        \
  st = FCONV_LAUNCH(parts_kernel, grid_1d((uint64_t)lv.n * lv.N), dim3(STREAM_THREADS), 0,     \
                    s->h.stream, (const T *)dev(s, z.off_resp), (long long)len,                \
                    (T *)dev(s, z.off_win), (long long)lv.P, (long long)lv.o, (long long)lv.n, \
                    (Sc)1 / (Sc)lv.N);
  FCONV_DTYPE_DISPATCH(s->dtype, STREAM_LAUNCH_)
#undef STREAM_BODY
  return st;
}

/* Level lv's multiply-add of partitions [jb, je) with partition 0 reading segment `seg`, sides
 * side0 .. side0 + nsides - 1, into (accumulate: added to) the level's partial sums, and the
 * split ranges' sum. Nothing for an empty range. */
static fconv_status launch_mac(cuda_stream *s, const stream_level &lv, int64_t seg, size_t jb,
                               size_t je, int side0, int nsides, int accumulate) {
  const stream_sizes &z = s->z;
  if (je <= jb) return FCONV_OK;
  fconv_status st = FCONV_ERR_INTERNAL;
  const size_t groups = (z.out + FCONV_STREAM_OUTS - 1) / FCONV_STREAM_OUTS;
  size_t splits = lv.splits < je - jb ? lv.splits : je - jb;
  const size_t per_split = (je - jb + splits - 1) / splits;
  splits = (je - jb + per_split - 1) / per_split;
  int64_t slot = seg % (int64_t)lv.K;
  if (slot < 0) slot += (int64_t)lv.K;
  /* threads along the bins: whole warps, no more than the bins need */
  const unsigned tx =
      lv.bins < STREAM_THREADS ? (unsigned)(lv.bins + 31) / 32 * 32 : STREAM_THREADS;
  const dim3 grid(fconv_dev_blocks(lv.bins, tx, 65535),
                  (unsigned)(groups < 65535 ? groups : 65535), (unsigned)(splits * nsides));
#define STREAM_BODY                                                                            \
  fconv_stream_mac_args<C> a;                                                                  \
  a.fdl = (const C *)dev(s, lv.off_fdl);                                                       \
  a.H = (const C *)dev(s, lv.off_H);                                                           \
  a.parts = (const unsigned *)dev(s, z.off_parts) +                                            \
            (size_t)(&lv - z.lv) * 2 * z.pairs;                                                \
  a.acc = (C *)dev(s, lv.off_acc);                                                             \
  a.K = (long long)lv.K;                                                                       \
  a.in = (long long)z.in;                                                                      \
  a.out = (long long)z.out;                                                                    \
  a.n = (long long)lv.n;                                                                       \
  a.bins = (long long)lv.bins;                                                                 \
  a.bs = (long long)lv.bs;                                                                     \
  a.segment = (long long)slot;                                                                 \
  a.j_begin = (long long)jb;                                                                   \
  a.j_end = (long long)je;                                                                     \
  a.per_split = (long long)per_split;                                                          \
  a.side0 = side0;                                                                             \
  a.splits = (long long)splits;                                                                \
  a.accumulate = accumulate;                                                                   \
  void (*const mac_kernel)(fconv_stream_mac_args<C>) = fconv_stream_mac_kernel<C>;             \
  st = FCONV_LAUNCH(mac_kernel, grid, dim3(tx), 0, s->h.stream, a);                           \
  if (st == FCONV_OK && splits > 1) {                                                          \
    void (*const sum_kernel)(C *, long long, long long, long long, long long) =                \
        fconv_stream_sum_kernel<C>;                                                            \
    st = FCONV_LAUNCH(sum_kernel, grid_1d((uint64_t)nsides * z.out * lv.bs),                   \
                      dim3(STREAM_THREADS), 0, s->h.stream, (C *)dev(s, lv.off_acc),           \
                      (long long)splits, (long long)side0, (long long)nsides,                  \
                      (long long)(z.out * lv.bs));                                             \
  }
  FCONV_DTYPE_DISPATCH(s->dtype, STREAM_LAUNCH_)
#undef STREAM_BODY
  return st;
}

/* Level lv's partial sums of sides side0 .. side0 + nsides - 1 inverted, and the valid half
 * added into those sides' output rings from input time t0 on (its samples before `from`
 * skipped). */
static fconv_status finish_range(cuda_stream *s, int l, uint64_t t0, uint64_t from, int side0,
                                 int nsides) {
  const stream_sizes &z = s->z;
  const stream_level &lv = z.lv[l];
  const size_t side_spec = z.out * lv.bs * z.csize;
  FCONV_FORWARD(fconv_fft_exec(nsides == 2 ? s->inv2[l] : s->inv1[l],
                               dev(s, lv.off_acc + (size_t)side0 * side_spec), dev(s, z.off_win),
                               1));
  fconv_status st = FCONV_ERR_INTERNAL;
  const long long pos = (long long)(t0 % z.F);
  const long long skip = from > t0 ? (long long)(from - t0 < lv.P ? from - t0 : lv.P) : 0;
#define STREAM_BODY                                                                            \
  void (*const add_kernel)(const T *, T *, long long, long long, long long, long long,          \
                           long long, long long, long long) = fconv_stream_ring_add_kernel<T>; \
  st = FCONV_LAUNCH(add_kernel, grid_1d((uint64_t)nsides * z.out * lv.P), dim3(STREAM_THREADS), \
                    0, s->h.stream, (const T *)dev(s, z.off_win), (T *)dev(s, z.off_ring),     \
                    (long long)lv.P, (long long)z.out, (long long)z.F, pos, skip,              \
                    (long long)side0, (long long)nsides);
  FCONV_DTYPE_DISPATCH(s->dtype, STREAM_LAUNCH_)
#undef STREAM_BODY
  return st;
}

/* The output block ending at input time t from the rings into y (device). */
static fconv_status launch_emit(cuda_stream *s, uint64_t t, void *y, size_t fade_n) {
  const stream_sizes &z = s->z;
  fconv_status st = FCONV_ERR_INTERNAL;
  const long long pos = (long long)((t - z.B) % z.F);
#define STREAM_BODY                                                                            \
  void (*const emit_kernel)(T *, T *, long long, long long, long long, long long, long long,   \
                            long long, long long, long long) = fconv_stream_emit_kernel<T, Sc>; \
  st = FCONV_LAUNCH(emit_kernel, grid_1d((uint64_t)z.out * z.B), dim3(STREAM_THREADS), 0,      \
                    s->h.stream, (T *)dev(s, z.off_ring), (T *)y, (long long)z.B,              \
                    (long long)z.out, (long long)z.F, pos, (long long)s->cur,                  \
                    (long long)s->fade_pos, (long long)s->fade_len, (long long)fade_n);
  FCONV_DTYPE_DISPATCH(s->dtype, STREAM_LAUNCH_)
#undef STREAM_BODY
  return st;
}
#undef STREAM_LAUNCH_

/* ---- transforms ------------------------------------------------------------------------------ */

/* howmany transforms of level lv's N points; forward: time rows N apart -> spectra bs apart,
 * inverse the other way. */
static fconv_status make_fft(cuda_stream *s, const stream_level &lv, int inverse, size_t howmany,
                             fconv_fft **out) {
  const int cplx = fconv_dtype_is_complex(s->dtype);
  fconv_fft_layout l;
  memset(&l, 0, sizeof l);
  l.rank = 1;
  l.n[0] = (long long)lv.N;
  l.inembed[0] = inverse ? (long long)lv.bs : (long long)lv.N;
  l.onembed[0] = inverse ? (long long)lv.N : (long long)lv.bs;
  l.istride = l.ostride = 1;
  l.idist = l.inembed[0];
  l.odist = l.onembed[0];
  l.howmany = (long long)howmany;
  const fconv_fft_kind kind =
      cplx ? FCONV_FFT_C2C : inverse ? FCONV_FFT_C2R : FCONV_FFT_R2C;
  size_t work = 0;
  FCONV_FORWARD(fconv_fft_plan_many(out, kind, fconv_dtype_is_double(s->dtype), &l, 0, &work));
  if (work > s->fft_work) s->fft_work = work;
  return FCONV_OK;
}

/* ---- responses ------------------------------------------------------------------------------- */

/* Response pair p of side `side` (len elements at src: host, or device with device pointers):
 * its partition counts and spectra on every level. Queued on the stream. */
static fconv_status load_response(cuda_stream *s, int side, size_t p, const void *src,
                                  size_t len) {
  const stream_sizes &z = s->z;
  FCONV_FORWARD(fconv_cuda_host_check_pointer(&s->h, src));
  if (s->h.device_ptrs)
    FCONV_FORWARD(fconv_dev_copy_d2d(dev(s, z.off_resp), src, len * z.esize, s->h.stream));
  else
    FCONV_FORWARD(fconv_dev_stage_h2d(&s->h.stage, dev(s, z.off_resp), src, len * z.esize,
                                      s->h.stream));
  for (int l = 0; l < z.levels; l++) {
    const stream_level &lv = z.lv[l];
    size_t parts = len > lv.o ? (len - lv.o) / lv.P + ((len - lv.o) % lv.P != 0) : 0;
    if (parts > lv.n) parts = lv.n;
    s->parts_host[((size_t)l * 2 + side) * z.pairs + p] = (unsigned)parts;
    if (!parts) continue; /* the spectra are never read */
    FCONV_FORWARD(launch_parts(s, lv, len));
    FCONV_FORWARD(fconv_fft_exec(
        s->fwd_h[l], dev(s, z.off_win),
        dev(s, lv.off_H + ((size_t)side * z.pairs + p) * lv.n * lv.bs * z.csize), 0));
  }
  return FCONV_OK;
}

/* Every response of side `side`, then its partition counts; returns with the work done. */
static fconv_status load_side(cuda_stream *s, int side, const void *const *h, const size_t *len) {
  const stream_sizes &z = s->z;
  for (size_t p = 0; p < z.pairs; p++) FCONV_FORWARD(load_response(s, side, p, h[p], len[p]));
  for (int l = 0; l < z.levels; l++) {
    const size_t at = ((size_t)l * 2 + side) * z.pairs;
    FCONV_FORWARD(fconv_dev_copy_h2d(dev(s, z.off_parts + at * sizeof(unsigned)),
                                     s->parts_host + at, z.pairs * sizeof(unsigned),
                                     s->h.stream));
  }
  return fconv_dev_stream_sync(s->h.stream);
}

/* Side `side`'s work in flight recomputed from the delay lines (after its responses changed,
 * between blocks): its output ring cleared and refilled with the samples still due of every
 * level's last range, and the partial sums of the chunks done of the next one. */
static fconv_status redo_side(cuda_stream *s, int side) {
  const stream_sizes &z = s->z;
  const uint64_t t = s->nb * z.B; /* input time: the next block ends at t + B */
  FCONV_FORWARD(fconv_dev_memset(dev(s, z.off_ring + (size_t)side * z.out * z.F * z.esize), 0,
                                 z.out * z.F * z.esize, s->h.stream));
  for (int l = 1; l < z.levels; l++) {
    const stream_level &lv = z.lv[l];
    const uint64_t k = t / lv.P;            /* the last boundary: T_k = kP <= t */
    const int64_t seg = (int64_t)k - (int64_t)lv.d; /* range k's newest segment */
    if (k > 0) { /* range k, [T_k, T_k + P): samples from t on still due */
      FCONV_FORWARD(launch_mac(s, lv, seg, 0, lv.n, side, 1, 0));
      FCONV_FORWARD(finish_range(s, l, k * lv.P, t, side, 1));
    }
    const size_t done = (size_t)((t - k * lv.P) / z.B) * lv.chunk; /* range k + 1's chunks */
    FCONV_FORWARD(launch_mac(s, lv, seg + 1, 0, done < lv.n ? done : lv.n, side, 1, 0));
  }
  return fconv_dev_stream_sync(s->h.stream);
}

/* ---- the engine ------------------------------------------------------------------------------ */

static fconv_status reset_in(cuda_stream *s) {
  const stream_sizes &z = s->z;
  FCONV_FORWARD(fconv_dev_memset(dev(s, z.off_hist), 0, z.in * z.hist * z.esize, s->h.stream));
  FCONV_FORWARD(fconv_dev_memset(dev(s, z.off_ring), 0, 2 * z.out * z.F * z.esize, s->h.stream));
  for (int l = 0; l < z.levels; l++)
    FCONV_FORWARD(fconv_dev_memset(dev(s, z.lv[l].off_fdl), 0,
                                   z.lv[l].K * z.in * z.lv[l].bs * z.csize, s->h.stream));
  FCONV_FORWARD(fconv_dev_stream_sync(s->h.stream));
  s->nb = 0;
  s->fade_len = s->fade_pos = 0;
  return FCONV_OK;
}

static void state_free(cuda_stream *s) {
  fconv_cuda_host_destroy(&s->h); /* first: nothing in flight uses our memory */
  for (int l = 0; l < STREAM_MAX_LEVELS; l++) {
    fconv_fft_destroy(s->fwd_in[l]);
    fconv_fft_destroy(s->fwd_h[l]);
    fconv_fft_destroy(s->inv1[l]);
    fconv_fft_destroy(s->inv2[l]);
  }
  fconv_free(s->parts_host);
  fconv_free(s);
}

static fconv_status bind_fft(cuda_stream *s, fconv_fft *f) {
  FCONV_FORWARD(fconv_fft_set_stream(f, s->h.stream));
  return fconv_fft_set_work_area(f, s->fft_work ? dev(s, s->z.off_work) : NULL);
}

static fconv_status create_in(cuda_stream *s, const fconv_stream_desc *d, size_t capacity) {
  FCONV_RETURN_IF(sizes_of(d, capacity, 0, &s->z), FCONV_ERR_UNSUPPORTED,
                  "the CUDA stream's sizes overflow");
  const stream_sizes &z = s->z;
  s->parts_host = (unsigned *)fconv_calloc((size_t)z.levels * 2 * z.pairs * sizeof(unsigned));
  FCONV_RETURN_IF(!s->parts_host, FCONV_ERR_OUT_OF_MEMORY, "stream allocation failed");
  FCONV_FORWARD(fconv_cuda_host_init_flags(&s->h, d->flags, z.esize));
  for (int l = 0; l < z.levels; l++) {
    FCONV_FORWARD(make_fft(s, z.lv[l], 0, z.in, &s->fwd_in[l]));
    FCONV_FORWARD(make_fft(s, z.lv[l], 0, z.lv[l].n, &s->fwd_h[l]));
    FCONV_FORWARD(make_fft(s, z.lv[l], 1, z.out, &s->inv1[l]));
    FCONV_FORWARD(make_fft(s, z.lv[l], 1, 2 * z.out, &s->inv2[l]));
  }
  /* the same layout again (the choice does not depend on the work area), now with it */
  const int levels = z.levels;
  FCONV_RETURN_IF(sizes_of(d, capacity, s->fft_work, &s->z) || s->z.levels != levels,
                  FCONV_ERR_UNSUPPORTED, "the CUDA stream's sizes overflow");
  FCONV_FORWARD(fconv_cuda_host_alloc(&s->h, z.ws_bytes, z.stage_bytes));
  for (int l = 0; l < z.levels; l++) {
    fconv_fft *all[4] = {s->fwd_in[l], s->fwd_h[l], s->inv1[l], s->inv2[l]};
    for (int i = 0; i < 4; i++) FCONV_FORWARD(bind_fft(s, all[i]));
  }
  FCONV_FORWARD(reset_in(s));
  FCONV_FORWARD(load_side(s, 0, d->responses, d->response_lengths));
  s->cur = 0;
  FCONV_LOG("cuda-stream: B %zu, %d levels (largest partition %zu), %zu x %zu channels, "
            "workspace %zu bytes", z.B, z.levels, z.Pmax, z.in, z.out, z.ws_bytes);
  return FCONV_OK;
}

double cuda_stream_estimate(const fconv_stream_desc *d, size_t capacity) {
  stream_sizes z;
  if (sizes_of(d, capacity, 0, &z)) return -1.0;
  double mean, peak;
  layout_cost(&z, fconv_dtype_is_double(d->dtype), (d->flags & FCONV_FLAG_DEVICE_POINTERS) != 0,
              &mean, &peak);
  return mean;
}

fconv_status cuda_stream_create(void **state, const fconv_stream_desc *d, size_t capacity) {
  *state = NULL;
  cuda_stream *s = (cuda_stream *)fconv_calloc(sizeof *s);
  FCONV_RETURN_IF(!s, FCONV_ERR_OUT_OF_MEMORY, "stream allocation failed");
  s->dtype = d->dtype; /* the stream's device: the current one (fconv_cuda_host_init_flags) */
  fconv_status st = create_in(s, d, capacity);
  if (st != FCONV_OK) {
    state_free(s);
    return st;
  }
  *state = s;
  return FCONV_OK;
}

/* One block (see the top of the file). */
static fconv_status process_in(cuda_stream *s, const void *in, void *out) {
  const stream_sizes &z = s->z;
  FCONV_FORWARD(fconv_cuda_host_check_pointer(&s->h, in));
  FCONV_FORWARD(fconv_cuda_host_check_pointer(&s->h, out));
  const uint64_t t = (s->nb + 1) * z.B; /* input time at the end of this block */
  const void *x = in;
  if (!s->h.device_ptrs) {
    FCONV_FORWARD(fconv_dev_stage_h2d(&s->h.stage, dev(s, z.off_x), in, z.in * z.B * z.esize,
                                      s->h.stream));
    x = dev(s, z.off_x);
  }
  FCONV_FORWARD(launch_hist(s, x, t));
  const int fading = s->fade_pos < s->fade_len;
  const int side0 = fading ? 0 : s->cur, nsides = fading ? 2 : 1;
  for (int l = 0; l < z.levels; l++) {
    const stream_level &lv = z.lv[l];
    const size_t slot_bytes = z.in * lv.bs * z.csize;
    if (l == 0) { /* this block's range [t - B, t), from the segment ending at t */
      const uint64_t seg = t / z.B;
      FCONV_FORWARD(launch_window(s, lv, t));
      FCONV_FORWARD(fconv_fft_exec(s->fwd_in[0], dev(s, z.off_win),
                                   dev(s, lv.off_fdl + (size_t)(seg % lv.K) * slot_bytes), 0));
      FCONV_FORWARD(launch_mac(s, lv, (int64_t)seg, 0, lv.n, side0, nsides, 0));
      FCONV_FORWARD(finish_range(s, 0, t - z.B, 0, side0, nsides));
      continue;
    }
    /* chunk c of range k + 1 ([T_(k+1), T_(k+1) + P)), whose newest segment is k + 1 - d */
    const uint64_t k = (t - z.B) / lv.P;
    const size_t c = (size_t)((t - z.B - k * lv.P) / z.B);
    const size_t jb = c * lv.chunk < lv.n ? c * lv.chunk : lv.n;
    const size_t je = jb + lv.chunk < lv.n ? jb + lv.chunk : lv.n;
    const int64_t seg = (int64_t)k + 1 - (int64_t)lv.d;
    FCONV_FORWARD(launch_mac(s, lv, seg, jb, je, side0, nsides, c > 0));
    if (c + 1 == lv.M) { /* the boundary T_(k+1) = t: the range is complete; a new segment */
      FCONV_FORWARD(finish_range(s, l, t, 0, side0, nsides));
      FCONV_FORWARD(launch_window(s, lv, t));
      FCONV_FORWARD(fconv_fft_exec(s->fwd_in[l], dev(s, z.off_win),
                                   dev(s, lv.off_fdl + (size_t)((t / lv.P) % lv.K) * slot_bytes),
                                   0));
    }
  }
  size_t fade_n = 0;
  if (fading) fade_n = s->fade_len - s->fade_pos < z.B ? s->fade_len - s->fade_pos : z.B;
  const size_t out_bytes = z.out * z.B * z.esize;
  if (s->h.device_ptrs) {
    FCONV_FORWARD(launch_emit(s, t, out, fade_n));
    FCONV_FORWARD(fconv_cuda_host_finish(&s->h));
  } else {
    FCONV_FORWARD(launch_emit(s, t, dev(s, z.off_y), fade_n));
    FCONV_FORWARD(fconv_dev_stage_d2h(&s->h.stage, out, dev(s, z.off_y), out_bytes, s->h.stream));
  }
  s->nb++;
  s->fade_pos += fade_n;
  return FCONV_OK;
}

fconv_status cuda_stream_process(void *state, const void *in, void *out) {
  cuda_stream *s = (cuda_stream *)state;
  fconv_device_scope scope(s->h.device);
  FCONV_FORWARD(scope.status);
  const fconv_status st = process_in(s, in, out);
  if (st != FCONV_OK) fconv_cuda_host_failed(&s->h);
  return st;
}

size_t cuda_stream_work(void *state) {
  (void)state;
  return 0; /* nothing is deferred: every block's work is done in process */
}

fconv_status cuda_stream_reset(void *state) {
  cuda_stream *s = (cuda_stream *)state;
  fconv_device_scope scope(s->h.device);
  FCONV_FORWARD(scope.status);
  const fconv_status st = reset_in(s);
  if (st != FCONV_OK) fconv_cuda_host_failed(&s->h);
  return st;
}

fconv_status cuda_stream_set_responses(void *state, const void *const *h, const size_t *len,
                                       size_t crossfade) {
  cuda_stream *s = (cuda_stream *)state;
  fconv_device_scope scope(s->h.device);
  FCONV_FORWARD(scope.status);
  for (size_t p = 0; p < s->z.pairs; p++) FCONV_FORWARD(fconv_cuda_host_check_pointer(&s->h, h[p]));
  const int side = 1 - s->cur;
  fconv_status st = load_side(s, side, h, len);
  if (st == FCONV_OK) st = redo_side(s, side);
  if (st != FCONV_OK) {
    /* the current responses stay; a fade in progress (which read the side just written) ends */
    fconv_cuda_host_failed(&s->h);
    s->fade_len = s->fade_pos = 0;
    return st;
  }
  s->cur = side;
  s->fade_len = crossfade;
  s->fade_pos = 0;
  return FCONV_OK;
}

void cuda_stream_info(const void *state, fconv_stream_info *info) {
  const cuda_stream *s = (const cuda_stream *)state;
  const stream_sizes &z = s->z;
  memset(info, 0, sizeof *info);
  info->block = z.B;
  info->latency = 0;
  info->head_length = 0;
  info->levels = z.levels;
  for (int l = 0; l < z.levels; l++) {
    info->partition_size[l] = z.lv[l].P;
    info->partition_count[l] = z.lv[l].n;
    info->partitions += z.lv[l].n;
  }
  info->transform_max = 2 * z.Pmax;
  info->split_levels = 0;
  info->memory_bytes = z.ws_bytes + 2 * s->h.stage.chunk + sizeof *s +
                       (size_t)z.levels * 2 * z.pairs * sizeof(unsigned);
  double mean, peak;
  layout_cost(&z, fconv_dtype_is_double(s->dtype), s->h.device_ptrs, &mean, &peak);
  info->cost_per_block = mean * 1e9;
  info->cost_peak = peak * 1e9;
  info->backend = FCONV_BACKEND_CUDA;
}

void cuda_stream_destroy(void *state) {
  if (!state) return;
  cuda_stream *s = (cuda_stream *)state;
  fconv_device_scope scope(s->h.device);
  state_free(s);
}

} // namespace

extern "C" const fconv_stream_engine fconv_cuda_stream_engine = {
    "cuda-stream",
    FCONV_BACKEND_CUDA,
    cuda_stream_estimate,
    cuda_stream_create,
    cuda_stream_process,
    cuda_stream_work,
    cuda_stream_reset,
    cuda_stream_set_responses,
    cuda_stream_info,
    cuda_stream_destroy,
};
