/* stream.cu — the CUDA streaming engine (stream_path.h; include/fconv.h, "streaming convolution",
 * engine CUDA): one uniformly partitioned frequency-domain delay line on the device.
 *
 * Partitions of B samples, transforms of N = 2B points (overlap-save). Per block, on the
 * engine's stream (host.h):
 *   1. the new block of every input to the device (staged through pinned memory, host.h), and
 *      each input's window [previous block | new block] (fconv_stream_window_kernel);
 *   2. ONE batched forward transform of the windows of all inputs into the delay line's slot
 *      of this block (K = n slots, a ring: slot b mod K holds block b's spectra);
 *   3. ONE multiply-add kernel over the delay line: per bin and output, the sum over the inputs
 *      and the partitions of every (output, input) pair (each pair only over the partitions
 *      its response has) of X(block - j)[i] H[o, i][j]; the partitions split into ranges summed
 *      by separate blocks of threads when outputs x bins alone would not fill the device, the
 *      ranges' partial sums then added (fconv_stream_sum_kernel);
 *   4. ONE batched inverse transform of every output's spectrum;
 *   5. the valid second half of each window into the output block (overlap-save), crossfaded
 *      from the old responses' output while a fade runs, and back to the host.
 * The responses' partition spectra (scaled by 1/N) are computed on the device at create and at
 * set_responses (one batched transform per pair). Two sides of responses exist: a swap loads the
 * other side and makes it current; during a crossfade both sides are multiplied and inverted
 * (their spectra batched together) and mixed. As the delay line holds every input block the
 * longest response reaches, a swap is exact at once: the next block is computed as if the new
 * responses had always been in place. Nothing is in flight between blocks, so reset and swaps
 * need no correction of pending work (unlike the CPU engine's spread partitions).
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

/* Sizes of a stream; all byte counts checked for overflow (sizes_of). */
struct stream_sizes {
  size_t B, N, bins, bs, in, out, pairs, n, K, splits, per_split;
  size_t esize, csize;
  /* device workspace, byte offsets (256-aligned) */
  size_t off_x, off_prev, off_win, off_fdl, off_H, off_acc, off_y, off_resp, off_parts, off_work;
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

/* 1 when the sizes cannot be addressed. fft_work: the transforms' work area (0 before
 * planning). */
static int sizes_of(const fconv_stream_desc *d, size_t capacity, size_t fft_work,
                    stream_sizes *z) {
  memset(z, 0, sizeof *z);
  const int cplx = fconv_dtype_is_complex(d->dtype);
  z->B = d->block;
  z->in = d->inputs;
  z->out = d->outputs;
  z->esize = fconv_dtype_size(d->dtype);
  z->csize = 2 * fconv_dtype_scalar_size(d->dtype);
  if (z->B > (size_t)LLONG_MAX / 4 || fconv_mul_ovf(z->in, z->out, &z->pairs)) return 1;
  z->N = 2 * z->B;
  z->bins = cplx ? z->N : z->B + 1;
  z->bs = (z->bins + 31) / 32 * 32;
  z->n = capacity / z->B + (capacity % z->B != 0);
  z->K = z->n;
  /* rows of the time-domain buffer: the inputs' windows, both sides' inverse transforms, one
   * response's partitions */
  size_t items = z->in > 2 * z->out ? z->in : 2 * z->out;
  if (z->n > items) items = z->n;
  /* threads of the multiply-add before splitting: output groups x bins */
  size_t work = (z->out + FCONV_STREAM_OUTS - 1) / FCONV_STREAM_OUTS * z->bins;
  z->splits = (STREAM_FILL + work - 1) / work;
  if (z->splits > STREAM_MAX_SPLITS) z->splits = STREAM_MAX_SPLITS;
  if (z->splits > z->n) z->splits = z->n;
  if (z->splits < 1) z->splits = 1;
  z->per_split = (z->n + z->splits - 1) / z->splits;
  z->splits = (z->n + z->per_split - 1) / z->per_split;
  size_t b_blk, b_win, b_fdl, b_H, b_acc, b_y, b_resp, b_parts, end = 0;
  if (mul3(z->in, z->B, z->esize, &b_blk) || mul3(items, z->N, z->esize, &b_win) ||
      mul3(z->K, z->in, z->bs, &b_fdl) || fconv_mul_ovf(b_fdl, z->csize, &b_fdl) ||
      mul3(z->pairs, z->n, z->bs, &b_H) || mul3(b_H, 2, z->csize, &b_H) ||
      mul3(z->splits * 2, z->out, z->bs, &b_acc) || fconv_mul_ovf(b_acc, z->csize, &b_acc) ||
      mul3(z->out, z->B, z->esize, &b_y) || fconv_mul_ovf(capacity, z->esize, &b_resp) ||
      mul3(2, z->pairs, sizeof(unsigned), &b_parts))
    return 1;
  if (carve(&end, b_blk, &z->off_x) || carve(&end, b_blk, &z->off_prev) ||
      carve(&end, b_win, &z->off_win) || carve(&end, b_fdl, &z->off_fdl) ||
      carve(&end, b_H, &z->off_H) || carve(&end, b_acc, &z->off_acc) ||
      carve(&end, b_y, &z->off_y) || carve(&end, b_resp, &z->off_resp) ||
      carve(&end, b_parts, &z->off_parts) ||
      carve(&end, fft_work, &z->off_work))
    return 1;
  if (z->n > UINT_MAX || items > (size_t)LLONG_MAX / z->N) return 1;
  z->ws_bytes = end;
  z->stage_bytes = b_resp > b_blk ? b_resp : b_blk;
  if (b_y > z->stage_bytes) z->stage_bytes = b_y;
  return 0;
}

struct cuda_stream {
  fconv_cuda_host h; /* device, stream, workspace (every device buffer), pinned stager */
  fconv_dtype dtype;
  stream_sizes z;
  uint64_t nb;       /* blocks processed */
  int cur;           /* the side whose responses are current */
  size_t fade_len, fade_pos;
  unsigned *parts_host; /* [2][pairs] */
  fconv_fft *fwd_in, *fwd_h, *inv1, *inv2;
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

/* Windows of the new block x (device) of every input into win. */
static fconv_status launch_window(cuda_stream *s, const void *x) {
  const stream_sizes &z = s->z;
  fconv_status st = FCONV_ERR_INTERNAL;
#define STREAM_BODY                                                                            \
  void (*const window_kernel)(const T *, T *, T *, long long, long long) =                     \
      fconv_stream_window_kernel<T>;                                                           \
  st = FCONV_LAUNCH(window_kernel, grid_1d((uint64_t)z.in * z.B), dim3(STREAM_THREADS), 0,     \
                    s->h.stream, (const T *)x, (T *)dev(s, z.off_prev), (T *)dev(s, z.off_win),  \
                    (long long)z.B, (long long)z.in);
  FCONV_DTYPE_DISPATCH(s->dtype, STREAM_LAUNCH_)
#undef STREAM_BODY
  return st;
}

/* The partitions of the response at resp (len elements, device) into the rows of win. */
static fconv_status launch_parts(cuda_stream *s, size_t len) {
  const stream_sizes &z = s->z;
  fconv_status st = FCONV_ERR_INTERNAL;
#define STREAM_BODY                                                                            \
  void (*const parts_kernel)(const T *, long long, T *, long long, long long, Sc) =            \
      fconv_stream_parts_kernel<T, Sc>;                                                        \
  st = FCONV_LAUNCH(parts_kernel, grid_1d((uint64_t)z.n * z.N), dim3(STREAM_THREADS), 0,       \
                    s->h.stream, (const T *)dev(s, z.off_resp), (long long)len,                \
                    (T *)dev(s, z.off_win), (long long)z.B, (long long)z.n, (Sc)1 / (Sc)z.N);
  FCONV_DTYPE_DISPATCH(s->dtype, STREAM_LAUNCH_)
#undef STREAM_BODY
  return st;
}

/* The multiply-add of sides side0 .. side0 + nsides - 1 for block b, and the split ranges'
 * sum. */
static fconv_status launch_mac(cuda_stream *s, uint64_t b, int side0, int nsides) {
  const stream_sizes &z = s->z;
  fconv_status st = FCONV_ERR_INTERNAL;
  const size_t groups = (z.out + FCONV_STREAM_OUTS - 1) / FCONV_STREAM_OUTS;
  /* threads along the bins: whole warps, no more than the bins need */
  const unsigned tx = z.bins < STREAM_THREADS ? (unsigned)(z.bins + 31) / 32 * 32 : STREAM_THREADS;
  const dim3 grid(fconv_dev_blocks(z.bins, tx, 65535),
                  (unsigned)(groups < 65535 ? groups : 65535), (unsigned)(z.splits * nsides));
#define STREAM_BODY                                                                            \
  fconv_stream_mac_args<C> a;                                                                  \
  a.fdl = (const C *)dev(s, z.off_fdl);                                                        \
  a.H = (const C *)dev(s, z.off_H);                                                            \
  a.parts = (const unsigned *)dev(s, z.off_parts);                                             \
  a.acc = (C *)dev(s, z.off_acc);                                                              \
  a.K = (long long)z.K;                                                                        \
  a.in = (long long)z.in;                                                                      \
  a.out = (long long)z.out;                                                                    \
  a.n = (long long)z.n;                                                                        \
  a.bins = (long long)z.bins;                                                                  \
  a.bs = (long long)z.bs;                                                                      \
  a.block = (long long)(b % z.K);                                                              \
  a.per_split = (long long)z.per_split;                                                        \
  a.side0 = side0;                                                                             \
  a.splits = (long long)z.splits;                                                              \
  void (*const mac_kernel)(fconv_stream_mac_args<C>) = fconv_stream_mac_kernel<C>;             \
  st = FCONV_LAUNCH(mac_kernel, grid, dim3(tx), 0, s->h.stream, a);                           \
  if (st == FCONV_OK && z.splits > 1) {                                                        \
    void (*const sum_kernel)(C *, long long, long long, long long, long long) =                \
        fconv_stream_sum_kernel<C>;                                                            \
    st = FCONV_LAUNCH(sum_kernel, grid_1d((uint64_t)nsides * z.out * z.bs),                    \
                      dim3(STREAM_THREADS), 0, s->h.stream, (C *)dev(s, z.off_acc),            \
                      (long long)z.splits, (long long)side0, (long long)nsides,                \
                      (long long)(z.out * z.bs));                                              \
  }
  FCONV_DTYPE_DISPATCH(s->dtype, STREAM_LAUNCH_)
#undef STREAM_BODY
  return st;
}

/* The output block from the inverse transforms in win (cur's outputs at cur_off, the fading
 * side's at old_off) into y (device). */
static fconv_status launch_extract(cuda_stream *s, size_t cur_off, size_t old_off, void *y,
                                   size_t fade_n) {
  const stream_sizes &z = s->z;
  fconv_status st = FCONV_ERR_INTERNAL;
#define STREAM_BODY                                                                            \
  void (*const extract_kernel)(const T *, const T *, T *, long long, long long, long long,     \
                               long long, long long) = fconv_stream_extract_kernel<T, Sc>;     \
  st = FCONV_LAUNCH(extract_kernel, grid_1d((uint64_t)z.out * z.B), dim3(STREAM_THREADS), 0,   \
                    s->h.stream, (const T *)dev(s, cur_off), (const T *)dev(s, old_off),       \
                    (T *)y, (long long)z.B, (long long)z.out, (long long)s->fade_pos,          \
                    (long long)s->fade_len, (long long)fade_n);
  FCONV_DTYPE_DISPATCH(s->dtype, STREAM_LAUNCH_)
#undef STREAM_BODY
  return st;
}
#undef STREAM_LAUNCH_

/* ---- transforms ------------------------------------------------------------------------------ */

/* howmany transforms of N points; forward: time rows N apart -> spectra bs apart, inverse the
 * other way. */
static fconv_status make_fft(cuda_stream *s, int inverse, size_t howmany, fconv_fft **out) {
  const stream_sizes &z = s->z;
  const int cplx = fconv_dtype_is_complex(s->dtype);
  fconv_fft_layout l;
  memset(&l, 0, sizeof l);
  l.rank = 1;
  l.n[0] = (long long)z.N;
  l.inembed[0] = inverse ? (long long)z.bs : (long long)z.N;
  l.onembed[0] = inverse ? (long long)z.N : (long long)z.bs;
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
 * its partition count and spectra. Queued on the stream. */
static fconv_status load_response(cuda_stream *s, int side, size_t p, const void *src,
                                  size_t len) {
  const stream_sizes &z = s->z;
  size_t parts = len / z.B + (len % z.B != 0);
  if (parts > z.n) parts = z.n;
  s->parts_host[(size_t)side * z.pairs + p] = (unsigned)parts;
  FCONV_FORWARD(fconv_cuda_host_check_pointer(&s->h, src));
  if (s->h.device_ptrs)
    FCONV_FORWARD(fconv_dev_copy_d2d(dev(s, z.off_resp), src, len * z.esize, s->h.stream));
  else
    FCONV_FORWARD(fconv_dev_stage_h2d(&s->h.stage, dev(s, z.off_resp), src, len * z.esize,
                                      s->h.stream));
  FCONV_FORWARD(launch_parts(s, len));
  return fconv_fft_exec(s->fwd_h, dev(s, z.off_win),
                        dev(s, z.off_H + ((size_t)side * z.pairs + p) * z.n * z.bs * z.csize), 0);
}

/* Every response of side `side`, then its partition counts; returns with the work done. */
static fconv_status load_side(cuda_stream *s, int side, const void *const *h, const size_t *len) {
  const stream_sizes &z = s->z;
  for (size_t p = 0; p < z.pairs; p++) FCONV_FORWARD(load_response(s, side, p, h[p], len[p]));
  FCONV_FORWARD(fconv_dev_copy_h2d(dev(s, z.off_parts + (size_t)side * z.pairs * sizeof(unsigned)),
                                   s->parts_host + (size_t)side * z.pairs,
                                   z.pairs * sizeof(unsigned), s->h.stream));
  return fconv_dev_stream_sync(s->h.stream);
}

/* ---- the engine ------------------------------------------------------------------------------ */

static fconv_status reset_in(cuda_stream *s) {
  const stream_sizes &z = s->z;
  FCONV_FORWARD(fconv_dev_memset(dev(s, z.off_prev), 0, z.in * z.B * z.esize, s->h.stream));
  FCONV_FORWARD(fconv_dev_memset(dev(s, z.off_fdl), 0, z.K * z.in * z.bs * z.csize, s->h.stream));
  FCONV_FORWARD(fconv_dev_stream_sync(s->h.stream));
  s->nb = 0;
  s->fade_len = s->fade_pos = 0;
  return FCONV_OK;
}

static void state_free(cuda_stream *s) {
  fconv_cuda_host_destroy(&s->h); /* first: nothing in flight uses our memory */
  fconv_fft_destroy(s->fwd_in);
  fconv_fft_destroy(s->fwd_h);
  fconv_fft_destroy(s->inv1);
  fconv_fft_destroy(s->inv2);
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
  s->parts_host = (unsigned *)fconv_calloc(2 * z.pairs * sizeof(unsigned));
  FCONV_RETURN_IF(!s->parts_host, FCONV_ERR_OUT_OF_MEMORY, "stream allocation failed");
  FCONV_FORWARD(fconv_cuda_host_init_flags(&s->h, d->flags, z.esize));
  FCONV_FORWARD(make_fft(s, 0, z.in, &s->fwd_in));
  FCONV_FORWARD(make_fft(s, 0, z.n, &s->fwd_h));
  FCONV_FORWARD(make_fft(s, 1, z.out, &s->inv1));
  FCONV_FORWARD(make_fft(s, 1, 2 * z.out, &s->inv2));
  FCONV_RETURN_IF(sizes_of(d, capacity, s->fft_work, &s->z), FCONV_ERR_UNSUPPORTED,
                  "the CUDA stream's sizes overflow");
  FCONV_FORWARD(fconv_cuda_host_alloc(&s->h, z.ws_bytes, z.stage_bytes));
  fconv_fft *all[4] = {s->fwd_in, s->fwd_h, s->inv1, s->inv2};
  for (int i = 0; i < 4; i++) FCONV_FORWARD(bind_fft(s, all[i]));
  FCONV_FORWARD(reset_in(s));
  FCONV_FORWARD(load_side(s, 0, d->responses, d->response_lengths));
  s->cur = 0;
  FCONV_LOG("cuda-stream: B %zu, %zu partitions, %zu x %zu channels, %zu splits, workspace %zu "
            "bytes", z.B, z.n, z.in, z.out, z.splits, z.ws_bytes);
  return FCONV_OK;
}

double cuda_stream_estimate(const fconv_stream_desc *d, size_t capacity) {
  stream_sizes z;
  if (sizes_of(d, capacity, 0, &z)) return -1.0;
  const int dbl = fconv_dtype_is_double(d->dtype);
  const double N = (double)z.N;
  /* the multiply-add streams every partition spectrum of the current side once per block,
   * and the delay line once per group of FCONV_STREAM_OUTS outputs */
  const double groups = (double)((z.out + FCONV_STREAM_OUTS - 1) / FCONV_STREAM_OUTS);
  const double mac_bytes = ((double)z.pairs + groups * (double)z.in) * (double)z.n *
                           (double)z.bins * (double)z.csize;
  const fconv_cuda_cost *c = fconv_cuda_cost_get(); /* this device's (cost.h) */
  const double fft = c->fft_scale * 5.0 * N * log2(N > 2 ? N : 2) * (double)(z.in + z.out) /
                     fconv_cost_fft_flops(c, dbl);
  double t = 7 * c->launch_s + c->sync_s + mac_bytes / c->mem_bw + fft;
  if (!(d->flags & FCONV_FLAG_DEVICE_POINTERS))
    t += (double)(z.in + z.out) * (double)z.B * (double)z.esize / c->stage_bw;
  return t;
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
  const uint64_t b = s->nb;
  const void *x = in;
  if (!s->h.device_ptrs) {
    FCONV_FORWARD(fconv_dev_stage_h2d(&s->h.stage, dev(s, z.off_x), in, z.in * z.B * z.esize,
                                      s->h.stream));
    x = dev(s, z.off_x);
  }
  FCONV_FORWARD(launch_window(s, x));
  const size_t slot_bytes = z.in * z.bs * z.csize;
  FCONV_FORWARD(fconv_fft_exec(s->fwd_in, dev(s, z.off_win),
                               dev(s, z.off_fdl + (size_t)(b % z.K) * slot_bytes), 0));
  const int fading = s->fade_pos < s->fade_len;
  const int side0 = fading ? 0 : s->cur, nsides = fading ? 2 : 1;
  FCONV_FORWARD(launch_mac(s, b, side0, nsides));
  const size_t side_spec = z.out * z.bs * z.csize, side_time = z.out * z.N * z.esize;
  FCONV_FORWARD(fconv_fft_exec(fading ? s->inv2 : s->inv1,
                               dev(s, z.off_acc + (size_t)side0 * side_spec), dev(s, z.off_win),
                               1));
  size_t fade_n = 0;
  if (fading) fade_n = s->fade_len - s->fade_pos < z.B ? s->fade_len - s->fade_pos : z.B;
  const size_t cur_off = z.off_win + (fading ? (size_t)s->cur * side_time : 0);
  const size_t old_off = z.off_win + (fading ? (size_t)(1 - s->cur) * side_time : 0);
  const size_t out_bytes = z.out * z.B * z.esize;
  if (s->h.device_ptrs) {
    FCONV_FORWARD(launch_extract(s, cur_off, old_off, out, fade_n));
    FCONV_FORWARD(fconv_cuda_host_finish(&s->h));
  } else {
    FCONV_FORWARD(launch_extract(s, cur_off, old_off, dev(s, z.off_y), fade_n));
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
  const fconv_status st = load_side(s, side, h, len);
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
  info->levels = 1;
  info->partition_size[0] = z.B;
  info->partition_count[0] = z.n;
  info->partitions = z.n;
  info->transform_max = z.N;
  info->split_levels = 0;
  info->memory_bytes = z.ws_bytes + 2 * s->h.stage.chunk + sizeof *s +
                       2 * z.pairs * sizeof(unsigned);
  fconv_stream_desc d;
  memset(&d, 0, sizeof d);
  d.block = z.B;
  d.inputs = z.in;
  d.outputs = z.out;
  d.dtype = s->dtype;
  d.flags = s->h.device_ptrs ? FCONV_FLAG_DEVICE_POINTERS : 0;
  info->cost_per_block = cuda_stream_estimate(&d, z.n * z.B) * 1e9;
  info->cost_peak = info->cost_per_block; /* the same work every block */
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
