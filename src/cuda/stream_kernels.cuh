/* stream_kernels.cuh — device code of the CUDA streaming engine (no host logic; launched from
 * stream.cu). A uniformly partitioned frequency-domain delay line: partitions of B samples,
 * transforms of N = 2B points, spectra of `bins` complex values (B + 1 for real data, N for
 * complex) stored `bs` apart.
 *   fconv_stream_window_kernel  each input's overlap-save window [previous block | new block]
 *                               for the batched forward transform, and the new block kept as the
 *                               next call's previous one;
 *   fconv_stream_parts_kernel   one response cut into its partitions, zero-padded to N and
 *                               scaled by 1/N, for the batched transform into its spectra;
 *   fconv_stream_mac_kernel     per bin, output and side: the sum over the (split range of)
 *                               partitions j and inputs i of X(block - j)[i] H[o, i][j], the
 *                               delay line read through its ring of slots, each value loaded
 *                               once for a group of outputs;
 *   fconv_stream_sum_kernel     the split ranges' partial sums added into the first;
 *   fconv_stream_extract_kernel the valid second half of each output's inverse transform into
 *                               the output block, crossfaded from the old responses' output.
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

/* ---- input: windows -------------------------------------------------------------------------- */

/* x: [in][B] the new block; prev: [in][B] the previous one (updated to x); win: [in][N]. */
template <class T>
__global__ void fconv_stream_window_kernel(const T *x, T *prev, T *win, long long B,
                                           long long in) {
  const long long total = in * B;
  for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total;
       t += (long long)gridDim.x * blockDim.x) {
    const long long i = t / B, k = t % B;
    const T v = x[t];
    win[i * 2 * B + k] = prev[t];
    win[i * 2 * B + B + k] = v;
    prev[t] = v;
  }
}

/* ---- responses: partitions ------------------------------------------------------------------- */

/* rows: [n][N], row j = h[jB .. jB + B) * scale, zero-padded (zero rows past len). */
template <class T, class R>
__global__ void fconv_stream_parts_kernel(const T *h, long long len, T *rows, long long B,
                                          long long n, R scale) {
  const long long N = 2 * B, total = n * N;
  for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total;
       t += (long long)gridDim.x * blockDim.x) {
    const long long j = t / N, k = t % N, s = j * B + k;
    rows[t] = k < B && s < len ? fconv_stream_scale(h[s], scale) : fconv_zero<T>();
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
  long long block;       /* the block just received (its spectra in slot block mod K) */
  long long per_split;   /* partitions per split range */
  long long side0;       /* the first side to compute (sides side0 .. side0 + gridDim.z/splits) */
  long long splits;
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
  const long long j0 = split * a.per_split;
  const long long j1 = j0 + a.per_split < a.n ? j0 + a.per_split : a.n;
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
        long long slot = (a.block - j0) % a.K; /* partition j reads block - j */
        if (slot < 0) slot += a.K;
        for (long long j = j0; j < jm; j++) {
          const C x = a.fdl[(slot * a.in + i) * a.bs + k];
          FCONV_UNROLL for (int t = 0; t < FCONV_STREAM_OUTS; t++)
            if (j < je[t]) s[t] = fconv_madd(s[t], x, h[t][j * a.bs]);
          slot = slot == 0 ? a.K - 1 : slot - 1;
        }
      }
      for (int t = 0; t < no; t++) a.acc[((split * 2 + side) * a.out + o0 + t) * a.bs + k] = s[t];
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

/* y[o][k] = cur[o][B + k], or while a crossfade runs (k < fade_n) the mix
 * w cur + (1 - w) old with w = (fade_pos + k + 1) / (fade_len + 1). cur and old: [out][N]. */
template <class T, class R>
__global__ void fconv_stream_extract_kernel(const T *cur, const T *old, T *y, long long B,
                                            long long out, long long fade_pos,
                                            long long fade_len, long long fade_n) {
  const long long total = out * B;
  for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total;
       t += (long long)gridDim.x * blockDim.x) {
    const long long o = t / B, k = t % B;
    T v = cur[o * 2 * B + B + k];
    if (k < fade_n) {
      const R w = (R)(fade_pos + k + 1) / (R)(fade_len + 1);
      v = fconv_stream_mix(v, w, old[o * 2 * B + B + k], (R)1 - w);
    }
    y[t] = v;
  }
}

#endif /* FCONV_CUDA_STREAM_KERNELS_CUH */
