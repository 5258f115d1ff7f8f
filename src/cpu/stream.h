/* stream.h — the CPU streaming-convolution engine (fconv_stream_* of fconv.h).
 *
 * Validation and the handle live in src/stream_api.c, which reaches this engine through
 * src/stream_path.h with a validated description. Layout (stream_layout.c, backend-neutral arithmetic only):
 *  - B < FCONV_STREAM_HEAD_BELOW: a direct (time-domain) head of D = Q taps, Q = the smallest
 *    multiple of B >= FCONV_STREAM_HEAD_BELOW; level 0 (partitions of Q) is computed when a chunk
 *    of Q samples completes and lands one chunk later (lag 1);
 *  - otherwise Q = B, no head, level 0 is computed each block into that block (lag 0);
 *  - levels 1.. have partitions P = Q * g^k, start at a tap offset that is a multiple of P and at
 *    least 2P, and their work (forward FFT, one multiply-add per partition, inverse FFT) is spread
 *    over the P / B blocks after their chunk completes (lag 2).
 * A level's tap offset is (lag + d) * P: d whole partitions of extra delay in its delay line.
 */
#ifndef FCONV_CPU_STREAM_H
#define FCONV_CPU_STREAM_H

#include "../core/error.h"
#include "../core/memory.h"
#include "../stream_path.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FCONV_STREAM_HEAD_BELOW 32 /* blocks shorter than this get a time-domain head */
#define FCONV_STREAM_MAX_LEVELS 16

typedef struct fconv_stream_level {
  size_t P;      /* partition length (samples), a multiple of B */
  size_t N;      /* FFT length, 2P */
  size_t bins;   /* spectrum bins: P + 1 (real) or N (complex) */
  size_t bs;     /* bins rounded up to 16 (64-byte aligned rows) */
  size_t n;      /* partitions */
  size_t d;      /* extra delay in partitions */
  size_t K;      /* delay-line slots: n + d + 1 */
  size_t M;      /* blocks per chunk: P / B */
  size_t offset; /* first tap: (lag + d) * P */
  int lag;       /* 0, 1 or 2 chunks between a chunk's completion and its result */
  /* Split transforms (large lag-2 levels of real data: all with FCONV_STREAM_FLAG_EVEN_LOAD,
   * else those over FCONV_STREAM_SPLIT_BUDGET, see stream_layout.c): the
   * N-point transform as r transforms of m = N / r points (samples n1, n1 + r, ...) and a pass
   * of r-point transforms over k1 ranges of q (twiddled), so that no unit of work is large.
   * r = 1: one transform per unit. */
  size_t r, m, q;
  size_t nt;             /* units: transpositions of the window (split levels: r), each way */
  size_t nf, nc, ni, nv; /* units: forward subs, combine chunks, inverse chunks, inverse subs */
  size_t mg, mc, mq;     /* multiply-adds: mg groups of FCONV_STREAM_MAC_PARTS partitions by mc
                            chunks of mq bins (of bs) */
  size_t units;          /* nt + nf + nc + mg mc + ni + nv + nt */
} fconv_stream_level;

#define FCONV_STREAM_SPLIT_SUB 4096       /* shortest sub-transform of split levels, except for
                                             blocks under 128 samples (2048) */
#define FCONV_STREAM_SPLIT_BUDGET 1.0     /* without EVEN_LOAD, transforms costing more than this
                                             many mean blocks (modelled) are split */
#define FCONV_STREAM_SPLIT_PER_BLOCK 16     /* sub-transforms of at least this many blocks */
#define FCONV_STREAM_MAC_CHUNK 4096        /* lag-2 multiply-add units of at most about this
                                              many bins x partitions (a large partition streams
                                              megabytes) */
#define FCONV_STREAM_MAC_PARTS 2           /* partitions per pass over an accumulator (measured:
                                              4 need more registers than x86-64 has) */

typedef struct fconv_stream_layout {
  size_t B, Q, D;      /* block, base partition, head taps (0: no head) */
  size_t capacity;     /* longest response the layout covers */
  int even;            /* FCONV_STREAM_FLAG_EVEN_LOAD: split every large transform (else only
                          those over FCONV_STREAM_SPLIT_BUDGET) */
  int levels;
  fconv_stream_level lv[FCONV_STREAM_MAX_LEVELS];
  double cost_ns;      /* modelled cost per block */
  double fixed_ns;     /* of which the head's and the lag-0 levels' (the same every block) */
} fconv_stream_layout;

/* Choose the layout for a description (cplx: complex samples). FCONV_ERR_INVALID_ARGUMENT when
 * the sizes overflow. */
FCONV_HIDDEN fconv_status fconv_stream_choose_layout(fconv_stream_layout *L, size_t block,
                                                     size_t capacity, size_t inputs,
                                                     size_t outputs, int cplx, int dbl,
                                                     fconv_stream_partitioning policy,
                                                     size_t max_partition, int even_load);

/* Units of a level's work, in order: nt transpositions of the input window (samples n1, n1 + r,
 * ... made contiguous), nf forward transforms (or sub-transforms), nc combine chunks, mg x mc
 * multiply-adds (group of partitions, bin chunk), ni inverse chunks, nv inverse (sub-)transforms, nt
 * transpositions of their outputs into the output ring.
 * sched[l][s]..sched[l][s+1] are the units of stage s (s < M) of lag-2 level l (the other
 * levels' entries are not used); sched[l] has M + 1 entries. The stages of all levels are placed
 * together (stream_layout.c): a block runs stage (blocks - 1) mod M of every level, and each
 * level's units go where the modelled load of the blocks is lowest, so that the large units of
 * different levels do not meet in one block. load: scratch of fconv_stream_schedule_scratch(L)
 * doubles. Returns the modelled cost of the costliest block. */
FCONV_HIDDEN double fconv_stream_schedule(const fconv_stream_layout *L, size_t inputs,
                                          size_t outputs, int cplx, size_t *const *sched,
                                          double *load);
FCONV_HIDDEN size_t fconv_stream_schedule_scratch(const fconv_stream_layout *L);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_CPU_STREAM_H */
