/* fft_plan.h — the FFTW convolution engine shared by the CPU FFT and overlap-save paths
 * (fft_plan.c: lengths, schedule, model, create; fft_passes.c: pack / multiply / crop;
 * fft_exec.c: set_kernel, execute, refine; fft_path.c: the two vtables).
 *
 * Both paths compute every output block of the normalised problem as the valid part of a
 * circular convolution of length T (per axis) of a box of the extended signal with g (g = h for
 * CONVOLVE, flip(conj(h)) for CORRELATE, scaled by 1/prod(T)):
 *   - the FFT path uses ONE block per axis (Bo = out) and the smallest safe T;
 *   - overlap-save tiles the outputs into blocks of Bo outputs per axis, each reading its own
 *     window of (Bo-1)*stride + k samples (T >= that).
 * Box of a block (window coordinates e, where e reads x[bmap(e - p0)]): [org, org + c) =
 * [o_lo*s, (o_hi-1)*s + k), clipped to the signal's support [p0, p0+n) for the ZERO boundary
 * (the zeros are never materialised; an empty box means the block's outputs are 0). Output o of
 * the block is element idx = o*s + k-1 - org of the circular result, and is 0 when idx lies
 * outside [0, c + k - 1) (the linear convolution of the box is 0 there). The result is free of
 * wrap-around when T >= max(c + k-1 - idx_lo, idx_hi + 1) over the block's outputs; for a block
 * with T >= (Bo-1)*s + k this always holds.
 *
 * Execution: blocks of every output item are "units", transformed in chunks of `howmany`
 * slots through one FFTW advanced-interface plan per chunk size (in place; r2c/c2r with half
 * spectra for F32/F64, c2c for C64/C128), multiplied by the kernel spectrum (cached by
 * set_kernel at the transform size), inverse transformed and cropped into the output. Either
 * each thread runs its own chunks with its own buffers (many units), or one chunk at a time
 * uses every thread inside FFTW and the pointwise/pack/crop passes (few, large units).
 * Filter bank (one signal, many kernels): each block's spectrum is computed once and multiplied
 * by every kernel's spectrum.
 */
#ifndef FCONV_CPU_FFT_PLAN_H
#define FCONV_CPU_FFT_PLAN_H

#include <stddef.h>

#include "../core/dtype.h"
#include "../core/geometry.h"
#include "../core/kernel_info.h"
#include "../core/problem.h"
#include "fftw.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of one chunk of slots (one FFTW execute over howmany slots): units smaller than this
 * are batched up to it, so a chunk stays in L2 from pack through transforms to crop; larger
 * units go one per chunk (batching them would only leave the cache). Measured: 81 blocks of
 * 256^2 in one 21 MB batch ran 1.6x slower per transform than in 256 KiB chunks. */
#define FC_CHUNK_BYTES ((size_t)256 << 10)
/* FFTW threads are used inside a plan only from this many points per execute on. */
#define FC_FFTW_THREADS_MIN_POINTS ((size_t)1 << 15)
/* Which transforms run out of place (spectra in a buffer of their own): every 2-D and 3-D
 * one, and 1-D ones of at most FC_OOP_1D_POINTS points or of more than FC_OOP_1D_MID_END
 * points whose data (points x element bytes) stays under FC_OOP_1D_MAX_BYTES. FFTW's ESTIMATE
 * planner searches in-place real transforms longer (in-place c2r of 589824 points: 35-47 ms
 * against 16-18 out of place, in a fresh process with 2 threads on the CI machine), and out of
 * place they ran as fast or faster there — except 1-D ones of 2^17-2^19 points (2^19: an r2c +
 * c2r pair 2.55 ms in place against 2.9-3.1, planned in 12.5 against 17-19 ms) and large ones:
 * f32 4194304 points 57 against 81-84 ms; f64 of 2^20 + 16 taps with FFT forced 28 against 34 ms
 * (fconv_bench, old and new builds alternating, 4 rounds). Used by fconv_fc_make_sched and
 * tools/fconv_calibrate.c. */
#define FC_OOP_1D_POINTS ((size_t)1 << 17)
#define FC_OOP_1D_MID_END ((size_t)1 << 19)
#define FC_OOP_1D_MAX_BYTES ((size_t)8 << 20)
static inline int fconv_fc_out_of_place(int rank, size_t points, size_t elem_bytes) {
  return rank >= 2 || points <= FC_OOP_1D_POINTS ||
         (points > FC_OOP_1D_MID_END && points * elem_bytes < FC_OOP_1D_MAX_BYTES);
}
/* Pack/multiply/crop passes are split over threads from this many elements per job on. */
#define FC_PASS_GRAIN ((size_t)1 << 14)
#define FC_MAX_PLANS 12

/* The geometry both paths choose: transform length and outputs per block, per axis (rank-3
 * normalised axes; 1 and out for axes that need no transform). */
typedef struct fconv_fc_geom {
  size_t T[3];
  size_t Bo[3];
} fconv_fc_geom;

/* The schedule (shared by the model and create). */
typedef struct {
  size_t nb[3];       /* blocks per axis */
  size_t blo[3], bhi[3]; /* active blocks per axis: [blo, bhi) (box non-empty) */
  size_t nact;        /* active blocks: prod(bhi - blo) */
  size_t ext[3];      /* slot embedding per axis (halved axis padded to 2*(T/2+1) for reals) */
  size_t pitch[3];    /* slot element pitch per axis */
  int L;              /* halved axis */
  size_t slot;        /* scalars per slot */
  size_t spec;        /* complex elements per slot */
  size_t points;      /* prod(T) */
  int oop;            /* transforms out of place (fconv_fc_make_sched says which) */
  int fb;             /* filter bank: one signal, kernel_batch > 1 kernels */
  size_t nunits;      /* non-FB: count * nact; FB: nact */
  int nw;             /* workers (buffer sets) */
  int inner;          /* threads inside FFTW and the passes of one worker */
  int fftw_threads;   /* FFTW threads of the chunk plans */
  size_t h;           /* units (non-FB) or blocks (FB) per chunk */
  size_t kq;          /* FB: kernels per product group */
  size_t ksplit;      /* FB: kernel ranges per block chunk */
  size_t nchunks;     /* chunks of units / blocks */
  size_t nitems;      /* parallel items: nchunks (non-FB) or nchunks * ksplit (FB) */
} fc_sched;

typedef struct {
  fconv_fftw_dir dir;
  int howmany, nthreads, inplace;
  fconv_fftw_plan plan;
} fc_plan_entry;

/* The engine state (the paths' state). */
typedef struct fconv_fc {
  fconv_problem p;
  fconv_fc_geom g;
  fc_sched s;
  int os;
  fconv_fftw_geom fg;
  fc_plan_entry plans[FC_MAX_PLANS];
  int nplans;
  const fconv_fftw_plan *kplan; /* kernel_batch kernels at once */
  void **wbuf;                  /* per worker: h real slots (non-FB) or S: h slots (FB) */
  void **cbuf;                  /* s.oop: per worker, the h spectra of wbuf's slots */
  void *kstage;                 /* s.oop: kernel_batch real slots for the kernels' transform, when
                                 * wbuf[0] has fewer slots (else wbuf[0] stages them) */
  void **pbuf;                  /* FB: per worker: h * kq product slots */
  void *kscr;                   /* explicit kernels' spectra (execute with a kernel) */
  void *kset;                   /* set_kernel's spectra (allocated by the first set_kernel) */
  void *kmemo;                  /* the explicit kernels kscr holds (skip re-transforming) */
  int kmemo_valid;
  int kset_valid;
  double scale;
  size_t kbytes;                /* bytes of kernel_batch user kernels */
  size_t workspace;
} fconv_fc;

static inline size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }
static inline size_t clampz(size_t v, size_t lo, size_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* ---- fft_plan.c ---- */

/* Smallest-cost 7-smooth length >= need (even when even != 0): the candidates of
 * fconv_fft_sizes up to 1.33 * need, ranked by the calibrated per-radix cost in a
 * transform whose other axes hold other_points points. */
FCONV_HIDDEN size_t fconv_fc_good_size(size_t need, int even, double other_points);
/* The FFT path's geometry: one block per axis, the core's wrap-free need, the CPU's sizes. */
FCONV_HIDDEN int fconv_fc_single_block(const fconv_problem *p, fconv_fc_geom *g);
/* Index of the axis r2c halves for geometry T (the last with T > 1, else 2). */
FCONV_HIDDEN int fconv_fc_halved_axis(const size_t T[3]);
/* The slot's row padding (ext[L] grown; fft_plan.c says why): the engine's, and the calibration
 * tool's, layout. elem_bytes: bytes per ext element (a real scalar, or a complex element). */
FCONV_HIDDEN void fconv_fc_pad_rows(const size_t T[3], size_t ext[3], int L, size_t elem_bytes);
/* The schedule of geometry g; 0 when it cannot run (sizes beyond FFTW's int interface). */
FCONV_HIDDEN int fconv_fc_make_sched(const fconv_problem *p, const fconv_fc_geom *g, fc_sched *s);
/* Modelled seconds of one execute (kernel spectrum cached) with geometry g. */
FCONV_HIDDEN double fconv_fc_model(const fconv_problem *p, const fconv_fc_geom *g);
/* Engine lifecycle. `os` only changes what describe reports (block_shape). */
FCONV_HIDDEN fconv_status fconv_fc_create(const fconv_problem *p, const fconv_fc_geom *g, int os,
                                          void **state);
FCONV_HIDDEN void fconv_fc_destroy(void *state);
/* The chunk plan for (dir, howmany) made by create. */
FCONV_HIDDEN const fconv_fftw_plan *fconv_fc_find_plan(const fconv_fc *fc, fconv_fftw_dir dir,
                                                       size_t howmany);

/* ---- fft_passes.c ---- */
FCONV_HIDDEN void fconv_fc_pack_block(const fconv_fc *fc, const void *x, const fconv_span sp[3],
                                      void *dst, int threads);
FCONV_HIDDEN void fconv_fc_crop_block(const fconv_fc *fc, const void *slot,
                                      const fconv_span sp[3], void *y, int threads);
FCONV_HIDDEN void fconv_fc_multiply(const fconv_fc *fc, void *d, const void *a, const void *b,
                                    int threads);
/* Spectra of every kernel into dst (kernel_batch slots). */
FCONV_HIDDEN void fconv_fc_kernel_spectra(fconv_fc *fc, const void *h, void *dst);

/* ---- fft_exec.c (the paths' set_kernel / execute / describe / refine) ---- */
FCONV_HIDDEN fconv_status fconv_fc_set_kernel(void *state, const void *h,
                                              const fconv_kernel_info *info);
FCONV_HIDDEN fconv_status fconv_fc_execute(void *state, const void *x, const void *h, void *y);
FCONV_HIDDEN void fconv_fc_describe(const void *state, fconv_plan_info *info);
/* Kernel-aware estimate: the model's seconds (the accuracy policy is dispatch's). */
FCONV_HIDDEN double fconv_fc_kernel_cost(const void *state, const fconv_kernel_info *info);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_CPU_FFT_PLAN_H */
