/* stream_kernels.cuh — device code of the CUDA streaming engine (no host logic; launched from
 * stream.cu). Levels of uniformly partitioned frequency-domain delay lines: a level's partitions
 * hold P samples, its transforms N = 2P points, its spectra `bins` complex values (P + 1 for real
 * data, N for complex) stored `bs` apart.
 *   fconv_stream_hist_kernel    the new block of every input into its history ring;
 *   fconv_stream_window_kernel  a level's overlap-save window (the last N input samples) of every
 *                               input, from the history ring, for the batched forward transform;
 *   fconv_stream_parts_kernel   one response's taps [o, o + nP) cut into n partitions,
 *                               zero-padded to N and scaled by 1/N, for the batched transform
 *                               into its spectra;
 *   fconv_stream_mac_kernel     per bin, output and side: the sum over a range of partitions j
 *                               (split over thread blocks) and inputs i of
 *                               X(segment - j)[i] H[o, i][j], the delay line read through its ring
 *                               of slots, each value loaded once for a group of outputs; written,
 *                               or added to the partial sum already there;
 *   fconv_stream_sum_kernel     the split ranges' partial sums added into the first;
 *   fconv_stream_ring_add_kernel the valid second half of each output's inverse transform added
 *                               into the output ring (the samples due later);
 *   fconv_stream_emit_kernel    the output block from the ring, crossfaded from the old
 *                               responses' ring, and those ring samples cleared.
 * Element types: T = float, double, float2, double2 (samples); C = float2, double2 (spectra).
 * 64-bit indices, grid-stride loops: any grid is correct. Included after compat.cuh, so the same
 * source runs on a GPU and, in the tests, on the CPU through the block emulator. */
#ifndef FCONV_CUDA_STREAM_KERNELS_CUH
#define FCONV_CUDA_STREAM_KERNELS_CUH

/* v * s for real and complex samples (s real). */
FCONV_DI float fconv_stream_scale(float v, float s) { return v * s; }
FCONV_DI double fconv_stream_scale(double v, double s) { return v * s; }
FCONV_DI float2 fconv_stream_scale(float2 v, float s) { return make_float2(v.x * s, v.y * s); }
FCONV_DI double2 fconv_stream_scale(double2 v, double s) { return make_double2(v.x * s, v.y * s); }
FCONV_DI float fconv_stream_add(float a, float b) { return a + b; }
FCONV_DI double fconv_stream_add(double a, double b) { return a + b; }
FCONV_DI float2 fconv_stream_add(float2 a, float2 b) { return make_float2(a.x + b.x, a.y + b.y); }
FCONV_DI double2 fconv_stream_add(double2 a, double2 b) {
  return make_double2(a.x + b.x, a.y + b.y);
}
/* a * wa + b * wb (weights real). */
FCONV_DI float fconv_stream_mix(float a, float wa, float b, float wb) { return a * wa + b * wb; }
FCONV_DI double fconv_stream_mix(double a, double wa, double b, double wb) {
  return a * wa + b * wb;
}
FCONV_DI float2 fconv_stream_mix(float2 a, float wa, float2 b, float wb) {
  return make_float2(a.x * wa + b.x * wb, a.y * wa + b.y * wb);
}
FCONV_DI double2 fconv_stream_mix(double2 a, double wa, double2 b, double wb) {
  return make_double2(a.x * wa + b.x * wb, a.y * wa + b.y * wb);
}

/* ---- input: history and windows ------------------------------------------------------------ */

/* hist: [in][H] ring of the inputs' last H samples; x: [in][B], written at pos (pos + B <= H). */
template <class T>
__global__ void fconv_stream_hist_kernel(const T *x, T *hist, long long B, long long in,
                                         long long H, long long pos) {
  const long long total = in * B;
  for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total;
       t += (long long)gridDim.x * blockDim.x) {
    const long long i = t / B, k = t % B;
    hist[i * H + pos + k] = x[t];
  }
}

/* win: [in][N] = the N ring samples of every input from ring position start on (wrapping). */
template <class T>
__global__ void fconv_stream_window_kernel(const T *hist, T *win, long long N, long long in,
                                           long long H, long long start) {
  const long long total = in * N;
  for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total;
       t += (long long)gridDim.x * blockDim.x) {
    const long long i = t / N, k = t % N;
    long long r = start + k;
    if (r >= H) r -= H;
    win[t] = hist[i * H + r];
  }
}

/* ---- responses: partitions ------------------------------------------------------------------- */

/* rows: [n][N], row j = h[o + jP .. o + jP + P) * scale, zero-padded (zero past len). */
template <class T, class R>
__global__ void fconv_stream_parts_kernel(const T *h, long long len, T *rows, long long P,
                                          long long o, long long n, R scale) {
  const long long N = 2 * P, total = n * N;
  for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total;
       t += (long long)gridDim.x * blockDim.x) {
    const long long j = t / N, k = t % N, s = o + j * P + k;
    rows[t] = k < P && s < len ? fconv_stream_scale(h[s], scale) : fconv_zero<T>();
  }
}

/* ---- the multiply-add over the delay line ---------------------------------------------------- */

template <class C> struct fconv_stream_mac_args {
  const C *fdl;          /* [K][in][bs]: slot s holds the spectra of the inputs' block b with
                            b mod K == s */
  const C *H;            /* [sides][pairs][n][bs]: the responses' partition spectra (scaled) */
  const unsigned *parts; /* [sides][pairs]: partitions in use per pair (the rest are skipped) */
  C *acc;                /* [splits][sides][out][bs] partial sums */
  long long K, in, out, n, bins, bs;
  long long segment;     /* slot of the segment partition 0 reads (partition j: segment - j) */
  long long j_begin, j_end; /* the partitions of this launch */
  long long per_split;   /* partitions per split range */
  long long side0;       /* the first side to compute (sides side0 .. side0 + gridDim.z/splits) */
  long long splits;
  int accumulate;        /* add split 0's sum to the partial sum in acc (else overwrite) */
};

/* Outputs per thread of the multiply-add: each delay-line value loaded is used for this many
 * outputs (register accumulators), so the delay line is read out / FCONV_STREAM_OUTS times per
 * block instead of out times. */
#define FCONV_STREAM_OUTS 4

/* grid: x over bins (grid-stride), y over groups of FCONV_STREAM_OUTS outputs (grid-stride),
 * z = splits x sides. */
template <class C> __global__ void fconv_stream_mac_kernel(fconv_stream_mac_args<C> a) {
  const long long split = blockIdx.z % a.splits, side = a.side0 + blockIdx.z / a.splits;
  const long long pairs = a.in * a.out;
  const long long j0 = a.j_begin + split * a.per_split;
  const long long j1 = j0 + a.per_split < a.j_end ? j0 + a.per_split : a.j_end;
  for (long long o0 = (long long)blockIdx.y * FCONV_STREAM_OUTS; o0 < a.out;
       o0 += (long long)gridDim.y * FCONV_STREAM_OUTS) {
    const long long no = a.out - o0 < FCONV_STREAM_OUTS ? a.out - o0 : FCONV_STREAM_OUTS;
    for (long long k = (long long)blockIdx.x * blockDim.x + threadIdx.x; k < a.bins;
         k += (long long)gridDim.x * blockDim.x) {
      C s[FCONV_STREAM_OUTS];
      FCONV_UNROLL for (int t = 0; t < FCONV_STREAM_OUTS; t++) s[t] = fconv_zero<C>();
      for (long long i = 0; i < a.in; i++) {
        /* per output of the group: the end of its pair's partitions in this range */
        long long je[FCONV_STREAM_OUTS], jm = j0;
        const C *h[FCONV_STREAM_OUTS];
        FCONV_UNROLL for (int t = 0; t < FCONV_STREAM_OUTS; t++) {
          const long long p = (o0 + (t < no ? t : 0)) * a.in + i;
          const long long np = a.parts[side * pairs + p];
          je[t] = t < no ? (j1 < np ? j1 : np) : j0;
          if (je[t] > jm) jm = je[t];
          h[t] = a.H + (side * pairs + p) * a.n * a.bs + k;
        }
        long long slot = (a.segment - j0) % a.K; /* partition j reads segment - j */
        if (slot < 0) slot += a.K;
        for (long long j = j0; j < jm; j++) {
          const C x = a.fdl[(slot * a.in + i) * a.bs + k];
          FCONV_UNROLL for (int t = 0; t < FCONV_STREAM_OUTS; t++)
            if (j < je[t]) s[t] = fconv_madd(s[t], x, h[t][j * a.bs]);
          slot = slot == 0 ? a.K - 1 : slot - 1;
        }
      }
      for (int t = 0; t < no; t++) {
        C *const r = &a.acc[((split * 2 + side) * a.out + o0 + t) * a.bs + k];
        *r = a.accumulate && split == 0 ? fconv_stream_add(*r, s[t]) : s[t];
      }
    }
  }
}

/* acc[0][side][..] += acc[s][side][..] for s = 1 .. splits-1, sides side0 .. side0 + nsides - 1:
 * `len` = out * bs elements per side. */
template <class C>
__global__ void fconv_stream_sum_kernel(C *acc, long long splits, long long side0,
                                        long long nsides, long long len) {
  const long long total = nsides * len;
  for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total;
       t += (long long)gridDim.x * blockDim.x) {
    const long long e = (side0 + t / len) * len + t % len;
    C s = acc[e];
    for (long long sp = 1; sp < splits; sp++) {
      const C v = acc[sp * 2 * len + e];
      s.x += v.x;
      s.y += v.y;
    }
    acc[e] = s;
  }
}

/* ---- output ---------------------------------------------------------------------------------- */

/* ring[side][o][pos + k] += time[side - side0][o][P + k] for k in [skip, P), sides side0 ..
 * side0 + nsides - 1: the valid half of each inverse transform (time: [nsides][out][2P]) added
 * into the output ring ([2][out][F], pos + P <= F). */
template <class T>
__global__ void fconv_stream_ring_add_kernel(const T *time, T *ring, long long P, long long out,
                                             long long F, long long pos, long long skip,
                                             long long side0, long long nsides) {
  const long long total = nsides * out * P;
  for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total;
       t += (long long)gridDim.x * blockDim.x) {
    const long long k = t % P, row = t / P; /* row: (side - side0) * out + o */
    if (k < skip) continue;
    T *const r = &ring[(side0 * out + row) * F + pos + k];
    *r = fconv_stream_add(*r, time[row * 2 * P + P + k]);
  }
}

/* y[o][k] = ring[cur][o][pos + k], or while a crossfade runs (k < fade_n) the mix
 * w cur + (1 - w) old with w = (fade_pos + k + 1) / (fade_len + 1); then both sides' samples
 * cleared for the ring's next turn. ring: [2][out][F]. */
template <class T, class R>
__global__ void fconv_stream_emit_kernel(T *ring, T *y, long long B, long long out, long long F,
                                         long long pos, long long cur, long long fade_pos,
                                         long long fade_len, long long fade_n) {
  const long long total = out * B;
  for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total;
       t += (long long)gridDim.x * blockDim.x) {
    const long long o = t / B, k = t % B;
    T *const rc = &ring[(cur * out + o) * F + pos + k];
    T *const ro = &ring[((1 - cur) * out + o) * F + pos + k];
    T v = *rc;
    if (k < fade_n) {
      const R w = (R)(fade_pos + k + 1) / (R)(fade_len + 1);
      v = fconv_stream_mix(v, w, *ro, (R)1 - w);
    }
    y[t] = v;
    *rc = fconv_zero<T>();
    *ro = fconv_zero<T>();
  }
}

#endif /* FCONV_CUDA_STREAM_KERNELS_CUH */
