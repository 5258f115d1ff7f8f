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
  /* Split transforms (FCONV_STREAM_FLAG_EVEN_LOAD: large lag-2 levels of real data, see
   * stream_layout.c): the
   * N-point transform as r transforms of m = N / r points (samples n1, n1 + r, ...) and a pass
   * of r-point transforms over k1 ranges of q (twiddled), so that no unit of work is large.
   * r = 1: one transform per unit. */
  size_t r, m, q;
  size_t nt;             /* units: transpositions of the window (split levels: r), each way */
  size_t nf, nc, ni, nv; /* units: forward subs, combine chunks, inverse chunks, inverse subs */
  size_t mc, mq;         /* multiply-adds: mc chunks of mq bins per partition */
  size_t units;          /* nt + nf + nc + n mc + ni + nv + nt */
} fconv_stream_level;

#define FCONV_STREAM_SPLIT_SUB 4096       /* shortest sub-transform of split levels */
#define FCONV_STREAM_SPLIT_PER_BLOCK 16     /* sub-transforms of at least this many blocks */
#define FCONV_STREAM_MAC_CHUNK 4096        /* lag-2 multiply-adds in chunks of at most this many
                                              bins (a large partition streams megabytes) */

typedef struct fconv_stream_layout {
  size_t B, Q, D;      /* block, base partition, head taps (0: no head) */
  size_t capacity;     /* longest response the layout covers */
  int even;            /* FCONV_STREAM_FLAG_EVEN_LOAD: split large transforms */
  int levels;
  fconv_stream_level lv[FCONV_STREAM_MAX_LEVELS];
  double cost_ns;      /* modelled cost per block */
} fconv_stream_layout;

/* Choose the layout for a description (cplx: complex samples). FCONV_ERR_INVALID_ARGUMENT when
 * the sizes overflow. */
FCONV_HIDDEN fconv_status fconv_stream_choose_layout(fconv_stream_layout *L, size_t block,
                                                     size_t capacity, size_t inputs,
                                                     size_t outputs, int cplx, int dbl,
                                                     fconv_stream_partitioning policy,
                                                     size_t max_partition, int even_load);

/* Units of a level's work, in order: nt transpositions of the input window (samples n1, n1 + r,
 * ... made contiguous), nf forward transforms (or sub-transforms), nc combine chunks, n x mc
 * multiply-adds (partition j, bin chunk), ni inverse chunks, nv inverse (sub-)transforms, nt
 * transpositions of their outputs into the output ring.
 * sched[s]..sched[s+1] are the units of stage s (s < M) of a lag-2 level, spread by modelled
 * cost. sched has M + 1 entries. */
FCONV_HIDDEN void fconv_stream_schedule(const fconv_stream_level *lv, size_t inputs,
                                        size_t outputs, int cplx, size_t *sched);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_CPU_STREAM_H */
