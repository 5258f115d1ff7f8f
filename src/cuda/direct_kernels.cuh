/* direct_kernels.cuh — device code of the tiled direct path (no host code; launched from
 * direct_path.cu). Include "compat.cuh" first.
 *
 * One kernel template computes a rank-3 direct correlation with prepared taps w
 * (fconv_prepare_taps layout):  y[o] = sum_j xe[o*s + j] w[j]  per axis (z, y, x = axes 0,1,2),
 * where xe is the signal extended by the boundary rule (window coordinate e reads
 * x[fconv_bmap(e - p0)]). Every launch geometry (the full problem, or one 1-D pass of a
 * separable kernel) is expressed in fconv_direct_args; the host squeezes and merges axes so
 * that the tile shape fits the number of non-trivial axes (fconv_tile_1d/2d/3d).
 *
 * Block work (one output tile of TOZ x TOY x TOX outputs of one output item):
 *   for each input plane z the tile needs:            (planes nobody uses are skipped)
 *     for each tap chunk (kcy x kcx taps):            (one chunk when the window fits)
 *      for each band of window rows:                  (one band unless a.band > 0)
 *       sync; load main + halo of the plane's window into shared memory, applying the
 *       boundary rule (and the optional flip/conj of the signal) during the load; load the
 *       tap chunk into shared memory (shared-taps variant); sync;
 *       compute: each thread accumulates RZ x RY x RX outputs in registers; a thread's RY
 *       outputs are consecutive rows, so one shared-memory value feeds up to RY taps.
 *   write the outputs inside the output extents (tails by bounds checks).
 * When the window of a tile does not fit shared memory but one full row of it does (large
 * kernels, e.g. complex128 31x31), its rows pass through in bands (a.band rows each) instead of
 * tap chunks: every window element is loaded once, and each thread runs only the rows of a band
 * that its outputs read (tap chunks would reload the window once per chunk).
 * Window layout per axis: dense (outputs o read window o*s + j) when s <= kc, else sparse
 * (output o reads its own kc-long slot o*kc + j), so large strides never load unused input.
 * Shared rows have an odd pitch (bank conflicts across rows); a warp spans one row (BX = 32 or
 * 128) and reads consecutive columns (for stride 1).
 * Taps are the plan's own (a.taps, device memory: no process-wide bank, nothing shared between
 * plans or streams). RTAPS variant (one kernel's taps <= FCONV_DIRECT_RTAPS_BYTES): every thread
 * of the block reads the same tap at once, through the read-only cache (__ldg, a broadcast);
 * otherwise the taps are tiled through shared memory with the window.
 */
#ifndef FCONV_CUDA_DIRECT_KERNELS_CUH
#define FCONV_CUDA_DIRECT_KERNELS_CUH

/* ---- tile shapes (threads BX x BY; outputs per thread RX along x, RY along y, RZ along z) ---- */
struct fconv_tile_1d { enum { BX = 128, BY = 1, RX = 4, RY = 1, RZ = 1 }; };
struct fconv_tile_2d { enum { BX = 32, BY = 8, RX = 2, RY = 4, RZ = 1 }; };
struct fconv_tile_3d { enum { BX = 32, BY = 4, RX = 2, RY = 4, RZ = 2 }; };

/* Largest taps of one kernel read straight from the plan's device buffer (RTAPS variant). */
#define FCONV_DIRECT_RTAPS_BYTES 16384

/* ---- launch arguments ------------------------------------------------------------------------ */
struct fconv_direct_args {
  const void *x;        /* input items (device), x_item elements apart */
  void *y;              /* output items, y_item elements apart */
  const void *taps;     /* taps of every kernel, ker_elems apart (device memory, the plan's) */
  fconv_problem pairing; /* only batch and kernel_batch are read: rule 7 via fconv_signal_of */
  long long n[3];       /* input extents (z, y, x) */
  long long p0[3];      /* padding before */
  long long out[3];     /* output extents */
  int k[3];             /* taps per axis */
  int s[3];             /* strides */
  int boundary;         /* fconv_boundary */
  int flip;             /* read flip(conj(x)) instead of x (swapped CORRELATE, device pointers) */
  long long x_item, y_item, ker_elems;
  long long item0;      /* first output item of this launch */
  long long tiles[3];   /* output tiles per item along z, y, x */
  long long block0;     /* linear index of this launch's first block */
  int kc[2];            /* tap chunk along y, x */
  int sparse[2];        /* window layout along y, x: 0 dense, 1 sparse */
  int pitch;            /* shared row pitch (elements) */
  int wrows;            /* shared window rows */
  int band;             /* > 0: the window's rows pass through shared memory in bands of this
                           many rows, each loaded once (dense y, taps read directly, one tap
                           chunk along y); 0: one load per tap chunk */
  /* the specialised kernels only (direct_reg_kernels.cuh) */
  long long xtiles;     /* output tiles along x; tiles[2] counts strips of xsteps tiles */
  int xsteps;           /* x tiles one block computes, one after the other (pipelined) */
  int vec_out;          /* output rows are 16-byte aligned: vector stores on full tiles */
};

__device__ __forceinline__ int fconv_imin(int a, int b) { return a < b ? a : b; }
__device__ __forceinline__ long long fconv_llmin(long long a, long long b) { return a < b ? a : b; }

/* Window coordinate of local window index r along axis a (1 = y, 2 = x) of a tile whose first
 * output is o0, for the tap chunk starting at j0 (chunk length c, slot length kc). Returns false
 * for sparse slots past the chunk (never read). */
__device__ __forceinline__ bool fconv_window_coord(const fconv_direct_args &a, int ax, long long o0,
                                                   int j0, int c, int r, long long *e) {
  const int s = a.s[ax], kc = a.kc[ax - 1];
  if (!a.sparse[ax - 1]) {
    *e = o0 * s + j0 + r;
    return true;
  }
  const int o = r / kc, j = r - o * kc;
  *e = (o0 + o) * s + j0 + j;
  return j < c;
}

/* The signal index read at window coordinate e along axis ax, or -1 for a zero. */
__device__ __forceinline__ long long fconv_source(const fconv_direct_args &a, int ax, long long e) {
  long long i = (long long)fconv_bmap((ptrdiff_t)(e - a.p0[ax]), (size_t)a.n[ax],
                                      (fconv_boundary)a.boundary);
  return (i >= 0 && a.flip) ? a.n[ax] - 1 - i : i;
}

/* No __launch_bounds__: with it ptxas (CUDA 13, sm_90) capped most instances at 64-80 registers
 * and spilled; without it none spill (<= 128 registers, checked with -Xptxas -v). */
template <class T, class Tile, bool RTAPS>
__global__ void fconv_direct_tile(fconv_direct_args a) {
  enum { BX = Tile::BX, BY = Tile::BY, RX = Tile::RX, RY = Tile::RY, RZ = Tile::RZ };
  enum { TOX = BX * RX, TOY = BY * RY };
  FCONV_DYNAMIC_SHARED(T, smem);
  T *win = smem;                             /* wrows x pitch */
  T *stap = smem + (long long)a.wrows * a.pitch; /* RZ x kc[0] x kc[1] (shared-taps variant) */

  /* Which tile of which output item. */
  long long L = (long long)blockIdx.x + a.block0;
  const long long tx_ = L % a.tiles[2];
  L /= a.tiles[2];
  const long long ty_ = L % a.tiles[1];
  L /= a.tiles[1];
  const long long tz_ = L % a.tiles[0];
  const long long item = a.item0 + L / a.tiles[0];
  const long long ox0 = tx_ * TOX, oy0 = ty_ * TOY, oz0 = tz_ * RZ;
  const long long xi = (long long)fconv_signal_of(&a.pairing, (size_t)item);
  const long long ki = (long long)fconv_kernel_of(&a.pairing, (size_t)item);
  const T *X = (const T *)a.x + xi * a.x_item;
  const T *Wg = (const T *)a.taps + ki * a.ker_elems;
  const int tx = (int)threadIdx.x, ty = (int)threadIdx.y;
  const int k0 = a.k[0], k1 = a.k[1], k2 = a.k[2], s0 = a.s[0];
  const int kcy = a.kc[0], kcx = a.kc[1];
  const int ay = a.sparse[0] ? kcy : a.s[1]; /* shared rows between neighbouring outputs */
  const int ax = a.sparse[1] ? kcx : a.s[2];
  /* Outputs of this tile inside the output extents (tails). */
  const int nvy = (int)fconv_llmin(TOY, a.out[1] - oy0), nvx = (int)fconv_llmin(TOX, a.out[2] - ox0);

  T acc[RZ][RY][RX];
FCONV_UNROLL
  for (int rz = 0; rz < RZ; rz++)
FCONV_UNROLL
    for (int ry = 0; ry < RY; ry++)
FCONV_UNROLL
      for (int rx = 0; rx < RX; rx++) acc[rz][ry][rx] = fconv_zero<T>();

  const int zwin = (RZ - 1) * s0 + k0;
  for (int pz = 0; pz < zwin; pz++) {
    /* Does any output of the tile read this plane, and is it inside the signal? (uniform) */
    bool used = false;
FCONV_UNROLL
    for (int rz = 0; rz < RZ; rz++) {
      const int j0 = pz - rz * s0;
      used |= j0 >= 0 && j0 < k0 && oz0 + rz < a.out[0];
    }
    if (!used) continue;
    const long long sz = fconv_source(a, 0, oz0 * s0 + pz);
    if (sz < 0) continue; /* a zero plane adds nothing */
    const T *Xz = X + sz * a.n[1] * a.n[2];

    for (int jy0 = 0; jy0 < k1; jy0 += kcy) {
      const int cy = fconv_imin(kcy, k1 - jy0);
      const int ly = a.sparse[0] ? nvy * kcy : (nvy - 1) * a.s[1] + cy; /* rows to load */
      for (int jx0 = 0; jx0 < k2; jx0 += kcx) {
        const int cx = fconv_imin(kcx, k2 - jx0);
        const int lx = a.sparse[1] ? nvx * kcx : (nvx - 1) * a.s[2] + cx; /* columns to load */
        const int bh = a.band > 0 ? a.band : ly; /* rows per band */
       for (int rb = 0; rb < ly; rb += bh) {
        const int nb = fconv_imin(bh, ly - rb); /* window rows rb .. rb + nb - 1 */

        __syncthreads(); /* the previous chunk's (band's) window and taps are no longer read */

        /* Load main + halo of the window, boundary rule applied here. */
        for (int r = rb + ty; r < rb + nb; r += BY) {
          long long ey;
          if (!fconv_window_coord(a, 1, oy0, jy0, cy, r, &ey)) continue;
          const long long sy = fconv_source(a, 1, ey);
          T *dst = win + (r - rb) * a.pitch;
          if (sy < 0) {
            for (int c = tx; c < lx; c += BX) dst[c] = fconv_zero<T>();
            continue;
          }
          const T *row = Xz + sy * a.n[2];
          for (int c = tx; c < lx; c += BX) {
            long long ex;
            if (!fconv_window_coord(a, 2, ox0, jx0, cx, c, &ex)) continue;
            const long long sx = fconv_source(a, 2, ex);
            T v = fconv_zero<T>();
            if (sx >= 0) {
              v = __ldg(row + sx);
              if (a.flip) v = fconv_conj(v);
            }
            dst[c] = v;
          }
        }
        /* Load the tap chunk of every plane offset the tile uses (shared-taps variant). */
        if (!RTAPS) {
          const int tid = ty * BX + tx, n = cy * cx;
FCONV_UNROLL
          for (int rz = 0; rz < RZ; rz++) {
            const int j0 = pz - rz * s0;
            if (j0 < 0 || j0 >= k0 || oz0 + rz >= a.out[0]) continue;
            const T *src = Wg + ((long long)j0 * k1 + jy0) * k2 + jx0;
            for (int i = tid; i < n; i += BX * BY) {
              const int jy = i / cx, jx = i - jy * cx;
              stap[(rz * kcy + jy) * kcx + jx] = __ldg(src + (long long)jy * k2 + jx);
            }
          }
        }

        __syncthreads(); /* window and taps visible to the whole block */

        /* Compute: thread (tx, ty) owns rows ty*RY + ry and columns tx + rx*BX of the tile. */
FCONV_UNROLL
        for (int rz = 0; rz < RZ; rz++) {
          const int j0 = pz - rz * s0;
          if (j0 < 0 || j0 >= k0 || oz0 + rz >= a.out[0]) continue;
          /* index in Wg (< 4096 elements, so int) of tap (j0, jy0, jx0) */
          const int tbase = RTAPS ? (int)(((long long)j0 * k1 + jy0) * k2 + jx0) : 0;
          const T *sw = stap + rz * kcy * kcx;
          /* this thread reads window rows row0 + r, r < rows; those of this band: */
          const int row0 = ty * RY * ay, rows = (RY - 1) * ay + cy;
          const int r0 = fconv_imin(rows, rb > row0 ? rb - row0 : 0);
          const int r1 = fconv_imin(rows, rb + nb - row0);
          const int wrow = row0 - rb; /* the band's local row of r = 0 (may be negative) */
          for (int jx = 0; jx < cx; jx++) {
            for (int r = r0; r < r1; r++) {
              const T *wr = win + (wrow + r) * a.pitch + tx * ax + jx;
              T v[RX];
FCONV_UNROLL
              for (int rx = 0; rx < RX; rx++) v[rx] = wr[rx * BX * ax];
FCONV_UNROLL
              for (int ry = 0; ry < RY; ry++) {
                const int jy = r - ry * ay;
                if (jy < 0 || jy >= cy) continue;
                const T w = RTAPS ? __ldg(Wg + tbase + jy * k2 + jx)
                                  : sw[jy * kcx + jx];
FCONV_UNROLL
                for (int rx = 0; rx < RX; rx++) acc[rz][ry][rx] = fconv_madd(acc[rz][ry][rx], v[rx], w);
              }
            }
          }
        }
       } /* bands */
      }
    }
  }

  /* Write the outputs inside the extents. */
  T *Y = (T *)a.y + item * a.y_item;
FCONV_UNROLL
  for (int rz = 0; rz < RZ; rz++) {
    const long long oz = oz0 + rz;
    if (oz >= a.out[0]) continue;
FCONV_UNROLL
    for (int ry = 0; ry < RY; ry++) {
      const long long oy = oy0 + ty * RY + ry;
      if (oy >= a.out[1]) continue;
      T *yrow = Y + (oz * a.out[1] + oy) * a.out[2];
FCONV_UNROLL
      for (int rx = 0; rx < RX; rx++) {
        const long long ox = ox0 + tx + rx * BX;
        if (ox < a.out[2]) yrow[ox] = acc[rz][ry][rx];
      }
    }
  }
}

/* Taps for kernels given to execute as DEVICE pointers (no host round trip): the
 * fconv_prepare_taps layout, w = flip(h) on every axis (CONVOLVE) or conj(h) (CORRELATE), for
 * `count` kernels of k0 x k1 x k2 taps. Grid-stride loop with 64-bit indices. */
template <class T>
__global__ void fconv_direct_prepare_taps(const T *__restrict__ h, T *__restrict__ w, long long k0,
                                          long long k1, long long k2, long long count,
                                          int correlate) {
  const long long ke = k0 * k1 * k2, total = ke * count;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    if (correlate) {
      w[i] = fconv_conj(h[i]);
      continue;
    }
    const long long b = i / ke, r = i - b * ke;
    const long long j0 = r / (k1 * k2), j1 = (r / k2) % k1, j2 = r % k2;
    w[i] = h[b * ke + ((k0 - 1 - j0) * k1 + (k1 - 1 - j1)) * k2 + (k2 - 1 - j2)];
  }
}

#endif /* FCONV_CUDA_DIRECT_KERNELS_CUH */
