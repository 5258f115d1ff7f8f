/* direct_reg_kernels.cuh — the specialised direct kernels for the memory-bound regime (device
 * code only; launched from direct_path.cu, which also decides where they apply). Include
 * "compat.cuh" and "direct_kernels.cuh" (fconv_direct_args, fconv_source) first.
 *
 * One template, fconv_direct_reg<T, KZ, KY, KX>, for real f32/f64, stride 1 on every axis, no
 * signal flip, and taps known at compile time in number (1-D 1x1xK, 2-D 1xKxK, 3-D KxKxK; the
 * list is direct_path.cu's). Compared with the generic fconv_direct_tile:
 *  - taps are a launch parameter (fconv_reg_taps, the constant bank): every multiply-add reads
 *    its tap as an operand (FFMA R, R, c[0x0][..], R), no load and no branch per tap;
 *  - register sliding window: a thread owns RY consecutive rows x RX consecutive columns of
 *    outputs; it reads each window row it needs once (RX + KX - 1 values, as 16-byte vector loads
 *    from shared memory, ceil((RX + KX - 1) / VEC) of them) and feeds it to every tap row of
 *    each of its RY outputs rows that uses it, fully unrolled: the inner loop is multiply-adds
 *    only;
 *  - interior tiles load their window with no boundary logic (one 64-bit row address per row,
 *    then one cp.async per element, consecutive lanes on consecutive addresses); only edge
 *    tiles (the window leaves the signal) map every coordinate through core/boundary.h's rule
 *    (fconv_source). Full output tiles store with 16-byte vector stores when the output rows are
 *    aligned; only tail tiles check bounds;
 *  - one block computes a strip of xsteps tiles along x (and, 3-D, every input plane of each):
 *    two shared window buffers, the next step's window is copied with cp.async (sm_80+) while
 *    this step computes (double buffering);
 *  - the window of a tile is loaded once: no tap chunks (the tile shape is chosen per variant
 *    so that both buffers fit 48 KiB).
 * Work per block: output plane oz (3-D: accumulated over KZ input planes), TOY output rows from
 * oy0, xsteps tiles of TOX columns.
 */
#ifndef FCONV_CUDA_DIRECT_REG_KERNELS_CUH
#define FCONV_CUDA_DIRECT_REG_KERNELS_CUH

/* Taps of one kernel (fconv_prepare_taps layout), passed by value: they live in the constant
 * bank of the launch (4 KiB of parameters hold 225 f64 taps). */
template <class T, int N>
struct fconv_reg_taps {
  T w[N];
};

/* Tile shape of a variant (host and device): BX x BY threads, RX x RY outputs per thread. RX is
 * a multiple of the 16-byte vector (VEC elements); RY the largest of 4, 2, 1 whose two window
 * buffers fit 48 KiB of shared memory. */
constexpr long long fconv_reg_bytes(int rows, int pitch, int esize) {
  return 2ll * rows * pitch * esize; /* two window buffers */
}
template <class T, int KY, int KX>
struct fconv_reg_tile {
  static constexpr int VEC = (int)(16 / sizeof(T));
  static constexpr int BX = KY == 1 ? 128 : 32;
  static constexpr int BY = KY == 1 ? 1 : 8;
  static constexpr int RX = KY == 1 ? 2 * VEC : VEC;
  static constexpr int TOX = BX * RX;
  static constexpr int WX = TOX + KX - 1;                  /* window columns */
  static constexpr int PITCH = (WX + VEC - 1) / VEC * VEC; /* shared row pitch */
  static constexpr int CH = (RX + KX - 1 + VEC - 1) / VEC; /* vectors a thread reads per row */
  static constexpr int RY = KY == 1                                                  ? 1
                            : fconv_reg_bytes(BY * 4 + KY - 1, PITCH, sizeof(T)) <= 49152 ? 4
                            : fconv_reg_bytes(BY * 2 + KY - 1, PITCH, sizeof(T)) <= 49152 ? 2
                                                                                          : 1;
  static constexpr int TOY = BY * RY;
  static constexpr int WY = TOY + KY - 1;  /* window rows */
  static constexpr int BUF = WY * PITCH;   /* elements of one window buffer */
  static constexpr size_t SMEM = 2 * (size_t)BUF * sizeof(T);
  static_assert(SMEM <= 49152, "two window buffers fit the default 48 KiB");
};

/* Copy the window of output tile (oy0, ox0) of input plane sz into buf (WY x PITCH): cp.async
 * per element; the boundary rule only when the window leaves the signal. */
template <class T, int KY, int KX>
__device__ __forceinline__ void fconv_reg_load(const fconv_direct_args &a, const T *X, long long sz,
                                               long long oy0, long long ox0, T *buf) {
  typedef fconv_reg_tile<T, KY, KX> G;
  const int tx = (int)threadIdx.x, ty = (int)threadIdx.y;
  const long long wy0 = oy0 - a.p0[1], wx0 = ox0 - a.p0[2]; /* signal coordinates (stride 1) */
  const T *Xz = X + sz * a.n[1] * a.n[2];
  const bool inner = wy0 >= 0 && wy0 + G::WY <= a.n[1] && wx0 >= 0 && wx0 + G::WX <= a.n[2];
  if (inner) {
FCONV_UNROLL
    for (int i = 0; i < (G::WY + G::BY - 1) / G::BY; i++) {
      const int r = ty + i * G::BY;
      if (G::WY % G::BY != 0 && r >= G::WY) break;
      const T *src = Xz + (wy0 + r) * a.n[2] + wx0 + tx;
      T *dst = buf + r * G::PITCH + tx;
FCONV_UNROLL
      for (int j = 0; j < (G::WX + G::BX - 1) / G::BX; j++)
        if ((j + 1) * G::BX <= G::WX || tx + j * G::BX < G::WX)
          fconv_cp_async(dst + j * G::BX, src + j * G::BX);
    }
    return;
  }
  for (int r = ty; r < G::WY; r += G::BY) {
    const long long sy = fconv_source(a, 1, oy0 + r);
    T *dst = buf + r * G::PITCH;
    if (sy < 0) {
      for (int c = tx; c < G::WX; c += G::BX) dst[c] = fconv_zero<T>();
      continue;
    }
    const T *row = Xz + sy * a.n[2];
    for (int c = tx; c < G::WX; c += G::BX) {
      const long long sx = fconv_source(a, 2, ox0 + c);
      if (sx >= 0)
        fconv_cp_async(dst + c, row + sx);
      else
        dst[c] = fconv_zero<T>();
    }
  }
}

/* acc += the window in buf times the taps of plane kz (kz is a constant after unrolling). */
template <class T, int KZ, int KY, int KX>
__device__ __forceinline__ void fconv_reg_compute(
    T (&acc)[fconv_reg_tile<T, KY, KX>::RY][fconv_reg_tile<T, KY, KX>::RX], const T *buf,
    const fconv_reg_taps<T, KZ * KY * KX> &w, int kz) {
  typedef fconv_reg_tile<T, KY, KX> G;
  const T *base = buf + (int)threadIdx.y * G::RY * G::PITCH + (int)threadIdx.x * G::RX;
FCONV_UNROLL
  for (int r = 0; r < G::RY + KY - 1; r++) {
    T v[G::CH * G::VEC];
FCONV_UNROLL
    for (int q = 0; q < G::CH; q++) fconv_ld16(base + r * G::PITCH + q * G::VEC, v + q * G::VEC);
FCONV_UNROLL
    for (int ry = 0; ry < G::RY; ry++) {
      const int ky = r - ry;
      if (ky < 0 || ky >= KY) continue;
FCONV_UNROLL
      for (int kx = 0; kx < KX; kx++) {
        const T t = w.w[(kz * KY + ky) * KX + kx];
FCONV_UNROLL
        for (int rx = 0; rx < G::RX; rx++) acc[ry][rx] = fconv_madd(acc[ry][rx], v[rx + kx], t);
      }
    }
  }
}

/* Write the thread's outputs of tile (oy0, ox0) of plane oz; zero acc. */
template <class T, int KY, int KX>
__device__ __forceinline__ void fconv_reg_store(
    const fconv_direct_args &a, T *Y, long long oz, long long oy0, long long ox0,
    T (&acc)[fconv_reg_tile<T, KY, KX>::RY][fconv_reg_tile<T, KY, KX>::RX]) {
  typedef fconv_reg_tile<T, KY, KX> G;
  const bool full = oy0 + G::TOY <= a.out[1] && ox0 + G::TOX <= a.out[2];
  const long long oy = oy0 + (int)threadIdx.y * G::RY, ox = ox0 + (int)threadIdx.x * G::RX;
  T *Yt = Y + (oz * a.out[1] + oy) * a.out[2] + ox;
FCONV_UNROLL
  for (int ry = 0; ry < G::RY; ry++) {
    T *yrow = Yt + ry * a.out[2];
    if (full && a.vec_out) {
FCONV_UNROLL
      for (int q = 0; q < G::RX / G::VEC; q++) fconv_st16(yrow + q * G::VEC, acc[ry] + q * G::VEC);
    } else if (oy + ry < a.out[1]) {
FCONV_UNROLL
      for (int rx = 0; rx < G::RX; rx++)
        if (ox + rx < a.out[2]) yrow[rx] = acc[ry][rx];
    }
FCONV_UNROLL
    for (int rx = 0; rx < G::RX; rx++) acc[ry][rx] = fconv_zero<T>();
  }
}

/* Block work: blockIdx.x + a.block0 = ((item * tiles[0] + oz) * tiles[1] + y tile) * tiles[2]
 * + x strip; tiles[0] = out[0] (one output plane per block). */
template <class T, int KZ, int KY, int KX>
__global__ void fconv_direct_reg(const FCONV_GRID_CONSTANT fconv_direct_args a,
                                 const FCONV_GRID_CONSTANT fconv_reg_taps<T, KZ * KY * KX> w) {
  typedef fconv_reg_tile<T, KY, KX> G;
  FCONV_DYNAMIC_SHARED(T, smem); /* two window buffers of G::BUF elements */
  long long L = (long long)blockIdx.x + a.block0;
  const long long xs = L % a.tiles[2];
  L /= a.tiles[2];
  const long long oy0 = (L % a.tiles[1]) * G::TOY;
  L /= a.tiles[1];
  const long long oz = L % a.tiles[0];
  const long long item = a.item0 + L / a.tiles[0];
  const T *X = (const T *)a.x + (long long)fconv_signal_of(&a.pairing, (size_t)item) * a.x_item;
  T *Y = (T *)a.y + item * a.y_item;
  const long long xt0 = xs * a.xsteps;
  const int nxt = (int)fconv_llmin(a.xsteps, a.xtiles - xt0);

  /* Input plane of each tap plane (uniform; -1: a zero plane, nothing to load or add). */
  long long sz[KZ];
FCONV_UNROLL
  for (int kz = 0; kz < KZ; kz++) sz[kz] = fconv_source(a, 0, oz + kz);

  T acc[G::RY][G::RX];
FCONV_UNROLL
  for (int ry = 0; ry < G::RY; ry++)
FCONV_UNROLL
    for (int rx = 0; rx < G::RX; rx++) acc[ry][rx] = fconv_zero<T>();

  int cur = 0;
  if (sz[0] >= 0) fconv_reg_load<T, KY, KX>(a, X, sz[0], oy0, xt0 * G::TOX, smem);
  fconv_cp_async_commit();
  for (int t = 0; t < nxt; t++) {
    const long long ox0 = (xt0 + t) * G::TOX;
FCONV_UNROLL
    for (int kz = 0; kz < KZ; kz++) {
      /* the next step's window into the other buffer, while this one computes */
      const int nkz = kz + 1 < KZ ? kz + 1 : 0;
      const bool more = kz + 1 < KZ || t + 1 < nxt;
      if (more && sz[nkz] >= 0)
        fconv_reg_load<T, KY, KX>(a, X, sz[nkz], oy0, kz + 1 < KZ ? ox0 : ox0 + G::TOX,
                                  smem + (cur ^ 1) * G::BUF);
      fconv_cp_async_commit();
      fconv_cp_async_wait<1>(); /* this step's copies are done (the next step's may not be) */
      __syncthreads();
      if (sz[kz] >= 0) fconv_reg_compute<T, KZ, KY, KX>(acc, smem + cur * G::BUF, w, kz);
      if (kz == KZ - 1) fconv_reg_store<T, KY, KX>(a, Y, oz, oy0, ox0, acc);
      __syncthreads(); /* this buffer is free for the step after next */
      cur ^= 1;
    }
  }
}

#endif /* FCONV_CUDA_DIRECT_REG_KERNELS_CUH */
