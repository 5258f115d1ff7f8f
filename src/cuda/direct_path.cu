/* direct_path.cu — the CUDA tiled direct path: launch code and the fconv_cuda_direct_path
 * vtable. Device code is in direct_kernels.cuh. All device access goes through dev.h, so this
 * file also compiles with g++ under the block emulator (tests/cuda/direct_path_emu.cpp).
 *
 * Launch plan (made in create, from the normalised problem only):
 *  - the full problem as one rank-3 geometry; pure axes (one tap, no padding, stride 1) of
 *    extent 1 are dropped and adjacent pure axes merged, and the tile shape is picked by the
 *    number of axes left (fconv_tile_1d/2d/3d);
 *  - when the kernel has taps on two or more axes (and FCONV_FLAG_NO_SEPARABLE is not set), the
 *    separable alternative: one 1-D pass per such axis (the first pass also applies padding and
 *    stride of the single-tap axes), in the order with the fewest multiply-adds. set_kernel
 *    factors the prepared taps (core/kernel_info.c's rank-1 rule, as the CPU) and the passes
 *    run when every kernel is rank 1 and the model says they are cheaper;
 *  - per launch: taps read straight from the plan's device buffer (a broadcast through the
 *    read-only cache) when one kernel's taps fit 16 KiB, else tiled through shared memory; the
 *    shared window per block at most ~40 KiB (tap chunks when the halo would not fit).
 * Taps are per plan (no process-wide __constant__ bank, no lock, no event between plans): plans
 * on different streams run independently, and a device-pointer execute on the caller's stream
 * only queues launches (capturable into a CUDA graph).
 *
 * Buffers: device taps (set_kernel) and taps for kernels given to execute; a workspace (the
 * caller's, or the plan's own) holding the device copies of signal and output for host-pointer
 * plans and the separable intermediates; dev.h's pinned stager (2 x <= 4 MiB chunks,
 * double-buffered with events) for host-pointer plans, and pinned taps.
 *
 * Cost model (estimate): multiply-adds at the dtype's rate, device memory traffic, a fixed cost
 * per execute and per launch, and for host pointers the staged transfers
 * (fconv_dev_transfer_seconds) and a synchronisation; rates scaled by the SM count when a device
 * can be queried. The constants are cost.h's: H100-class assumptions (no GPU was available to
 * measure them), which a GPU calibration should replace.
 *
 * Testing knobs (environment, read at create): FCONV_CUDA_DIRECT_CONST_BYTES (largest taps per
 * kernel read straight from device memory; 0 = always shared-tiled; default 16384),
 * FCONV_CUDA_DIRECT_SMEM_BYTES (shared window budget per block; default 40960; raised to the
 * minimum a tile needs) and FCONV_CUDA_DIRECT_SEPARABLE=force (run rank-1 kernels as passes
 * even where the model says the full kernel is cheaper).
 */
#include "compat.cuh"
#include "dev.h"
#include "direct_kernels.cuh"
#include "direct_reg_kernels.cuh"
#include "host.h"

#include "../core/geometry.h"
#include "../core/kernel_info.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


namespace {

/* ---- constants ------------------------------------------------------------------------------- */
const size_t kConstDefault = 16384;      /* taps bytes per kernel read directly (RTAPS) */
const size_t kSmemDefault = 40960;       /* shared window budget per block */
const size_t kSmemMax = 48 * 1024;       /* without cudaFuncSetAttribute */
const long long kMaxTap = 1ll << 30;     /* k and stride per axis (int window math) */

/* Cost model (see the header comment; the constants are cost.h's). */

enum { BUF_SIGNAL, BUF_A, BUF_B, BUF_OUT };

/* Tile extents of a tile configuration (1, 2, 3). */
struct tile_dims {
  int bx, by, tox, toy, rz;
};
tile_dims dims_of(int cfg) {
  if (cfg == 1) return {fconv_tile_1d::BX, fconv_tile_1d::BY, fconv_tile_1d::BX * fconv_tile_1d::RX,
                        fconv_tile_1d::BY * fconv_tile_1d::RY, fconv_tile_1d::RZ};
  if (cfg == 2) return {fconv_tile_2d::BX, fconv_tile_2d::BY, fconv_tile_2d::BX * fconv_tile_2d::RX,
                        fconv_tile_2d::BY * fconv_tile_2d::RY, fconv_tile_2d::RZ};
  return {fconv_tile_3d::BX, fconv_tile_3d::BY, fconv_tile_3d::BX * fconv_tile_3d::RX,
          fconv_tile_3d::BY * fconv_tile_3d::RY, fconv_tile_3d::RZ};
}

/* One rank-3 geometry (axes z, y, x). */
struct geom {
  long long n[3], p0[3], out[3];
  int k[3], s[3];
};

bool pure_axis(const geom &g, int a) {
  return g.k[a] == 1 && g.p0[a] == 0 && g.s[a] == 1 && g.out[a] == g.n[a];
}

/* Drop pure axes of extent 1, merge adjacent pure axes (row-major flattening is the identity
 * on them), right-align. Returns the number of axes left (0..3). */
int squeeze(geom *g) {
  geom r;
  int m = 0; /* axes collected, fastest first */
  for (int a = 2; a >= 0; a--) {
    if (pure_axis(*g, a) && g->n[a] == 1) continue;
    if (m > 0 && pure_axis(*g, a) && pure_axis(r, 3 - m)) {
      r.n[3 - m] *= g->n[a];
      r.out[3 - m] = r.n[3 - m];
      continue;
    }
    m++;
    r.n[3 - m] = g->n[a];
    r.p0[3 - m] = g->p0[a];
    r.out[3 - m] = g->out[a];
    r.k[3 - m] = g->k[a];
    r.s[3 - m] = g->s[a];
  }
  for (int a = 0; a < 3 - m; a++) {
    r.n[a] = r.out[a] = 1;
    r.p0[a] = 0;
    r.k[a] = r.s[a] = 1;
  }
  *g = r;
  return m;
}

struct direct_state;
struct pass;

/* A specialised kernel (direct_reg_kernels.cuh) that runs a pass: launch(s, q, args, taps)
 * with `taps` the host copy of the pass's prepared taps (they become launch parameters). */
struct reg_variant {
  fconv_status (*launch)(const direct_state *s, const pass &q, fconv_direct_args a,
                         const void *taps);
  char name[12]; /* "reg7x7", "reg31", "reg3x3x3" (fconv_plan_info.isa) */
};

/* One launch sequence: the full problem or one separable pass. */
struct pass {
  geom g;
  int cfg;
  int flip;
  int src, dst;        /* BUF_* */
  long long ker_elems; /* taps per kernel */
  size_t taps_off;     /* separable passes: element offset of this pass's factors in d_sep */
  long long x_item, y_item;
  bool rtaps;
  int kc[2], sparse[2], pitch, wrows, band;
  size_t smem;
  double macs; /* per output item */
  bool use_reg;    /* a specialised kernel applies (when its taps are on the host) */
  reg_variant reg;
};

/* Window rows/cols for tap chunk kc along an axis with stride s and `to` outputs per tile. */
long long window_extent(long long to, int s, int kc, int *sparse) {
  *sparse = s > kc;
  return *sparse ? to * kc : (to - 1) * s + kc;
}

/* Choose tap chunks and the shared layout for pass q. */
void plan_shared(pass *q, size_t esize, size_t budget) {
  const tile_dims t = dims_of(q->cfg);
  int kcy = q->g.k[1], kcx = q->g.k[2];
  q->band = 0;
  if (q->rtaps) {
    /* A window too large for the budget whose full rows fit: bands of rows, each loaded once
     * (tap chunks would load the window once per chunk). */
    const long long wy = window_extent(t.toy, q->g.s[1], kcy, &q->sparse[0]);
    const long long wx = window_extent(t.tox, q->g.s[2], kcx, &q->sparse[1]);
    const long long pitch = wx | 1, fit = (long long)(budget / esize) / pitch;
    if (!q->sparse[0] && (double)wy * (double)pitch * (double)esize > (double)budget && fit >= 1 &&
        fit < wy) {
      q->kc[0] = kcy;
      q->kc[1] = kcx;
      q->pitch = (int)pitch;
      q->band = q->wrows = (int)fit;
      q->smem = (size_t)fit * (size_t)pitch * esize;
      return;
    }
  }
  for (;;) {
    /* 64-bit until the chunks fit: a dense window of huge taps and strides may not fit int */
    const long long wy = window_extent(t.toy, q->g.s[1], kcy, &q->sparse[0]);
    const long long wx = window_extent(t.tox, q->g.s[2], kcx, &q->sparse[1]);
    const long long pitch = wx | 1; /* odd: rows start in different banks */
    const long long elems = wy * pitch + (q->rtaps ? 0 : (long long)t.rz * kcy * kcx);
    if ((double)elems * (double)esize <= (double)budget || (kcy == 1 && kcx == 1)) {
      q->kc[0] = kcy;
      q->kc[1] = kcx;
      q->pitch = (int)pitch;
      q->wrows = (int)wy;
      q->smem = (size_t)elems * esize;
      return;
    }
    if ((kcx > 1 && (long long)wx * kcy >= (long long)wy * kcx) || kcy == 1)
      kcx = (kcx + 1) / 2;
    else
      kcy = (kcy + 1) / 2;
  }
}

double volume(const long long e[3]) { return (double)e[0] * (double)e[1] * (double)e[2]; }

struct direct_state {
  fconv_problem p;
  fconv_cuda_host h; /* device, stream, workspace, stager (host.h) */
  size_t const_bytes, smem_budget;
  int force_separable; /* FCONV_CUDA_DIRECT_SEPARABLE=force (tests) */
  int reg_off;         /* FCONV_CUDA_DIRECT_SPECIALISED=0: generic kernel only (tests) */
  int xsteps;          /* FCONV_CUDA_DIRECT_XSTEPS: x tiles per block (0: the heuristic) */
  int sms;             /* the device's SMs (grid heuristic) */
  /* launch plans */
  pass full;
  int nsep;   /* separable passes prepared (0: not a candidate) */
  pass sep[3];
  int sep_axis[3];
  int separable;  /* the kernel set is rank 1 and the passes are cheaper */
  int kernel_set;
  /* device memory */
  void *d_taps, *d_taps_exec, *d_sep;
  size_t off[4]; /* BUF_SIGNAL, BUF_A, BUF_B, BUF_OUT offsets in the workspace */
  size_t ws_need;
  /* host memory */
  void *h_taps, *h_sep; /* pinned */
  void *h_fac;          /* one kernel's rank-1 factors (k0 + k1 + k2 elements) */
  void *h_reg;          /* the set kernel's prepared taps (specialised full pass: launch
                           parameters; h_taps is rewritten by kernels given to execute) */
  size_t tap_bytes, sep_elems;
};

/* ---- the specialised kernels (direct_reg_kernels.cuh) --------------------------------------- */

/* Where they apply: real f32/f64, stride 1 on every axis, no signal flip, at most
 * kRegMaxKernels kernels (one launch each: the taps are launch parameters), and taps (after
 * squeeze) 1x1xK with K odd in 3..31, 1xKxK with K odd in 3..15, or KxKxK with K in 3, 5, 7.
 * Other problems run the generic fconv_direct_tile. Instances: 25 sizes x 2 dtypes. */
const long long kRegMaxKernels = 32;

/* x tiles per block: enough blocks for about eight per SM, then strips of tiles (the next
 * window is copied while the current one computes). Not measured: a heuristic. */
int reg_xsteps(const direct_state *s, long long tiles, long long xtiles) {
  if (s->xsteps > 0) return s->xsteps;
  const long long want = 8ll * (s->sms > 0 ? s->sms : FCONV_CUDA_REFERENCE_SMS);
  long long n = tiles / want;
  if (n > 8) n = 8;
  if (n > xtiles) n = xtiles;
  return n < 1 ? 1 : (int)n;
}

template <class T, int KZ, int KY, int KX>
fconv_status reg_launch(const direct_state *s, const pass &q, fconv_direct_args a,
                        const void *taps) {
  typedef fconv_reg_tile<T, KY, KX> G;
  enum { N = KZ * KY * KX };
  const fconv_problem *p = &s->p;
  a.tiles[0] = q.g.out[0];
  a.tiles[1] = (long long)fconv_dev_ceil_div((uint64_t)q.g.out[1], G::TOY);
  a.xtiles = (long long)fconv_dev_ceil_div((uint64_t)q.g.out[2], G::TOX);
  const long long nk = (long long)p->kernel_batch; /* > 1: output item b uses kernel b */
  const long long per = nk == 1 ? (long long)p->count : 1;
  a.xsteps = reg_xsteps(s, a.tiles[0] * a.tiles[1] * a.xtiles * (long long)p->count, a.xtiles);
  a.tiles[2] = (long long)fconv_dev_ceil_div((uint64_t)a.xtiles, (uint64_t)a.xsteps);
  a.vec_out = (uintptr_t)a.y % 16 == 0 && q.g.out[2] % G::VEC == 0;
  const uint64_t blocks = (uint64_t)a.tiles[0] * a.tiles[1] * a.tiles[2] * (uint64_t)per;
  void (*const reg_kernel)(fconv_direct_args, fconv_reg_taps<T, N>) = fconv_direct_reg<T, KZ, KY, KX>;
  fconv_reg_taps<T, N> w;
  for (long long b = 0; b < nk; b++) {
    memcpy(w.w, (const T *)taps + b * N, sizeof w.w);
    a.item0 = nk == 1 ? 0 : b;
    for (uint64_t b0 = 0; b0 < blocks; b0 += FCONV_DEV_MAX_GRID_X) {
      a.block0 = (long long)b0;
      const unsigned nb = fconv_dev_blocks(blocks - b0, 1, FCONV_DEV_MAX_GRID_X);
      FCONV_FORWARD(FCONV_LAUNCH(reg_kernel, dim3(nb), dim3(G::BX, G::BY), G::SMEM, s->h.stream,
                                 a, w));
    }
  }
  return FCONV_OK;
}

#define REG_CASE_(Z, Y, X, K)                                          \
  case K:                                                              \
    v->launch = reg_launch<T, Z, Y, X>;                                \
    return true;
template <class T>
bool reg_for(int rank, int k, reg_variant *v) {
  if (rank == 1) switch (k) {
      REG_CASE_(1, 1, 3, 3) REG_CASE_(1, 1, 5, 5) REG_CASE_(1, 1, 7, 7) REG_CASE_(1, 1, 9, 9)
      REG_CASE_(1, 1, 11, 11) REG_CASE_(1, 1, 13, 13) REG_CASE_(1, 1, 15, 15)
      REG_CASE_(1, 1, 17, 17) REG_CASE_(1, 1, 19, 19) REG_CASE_(1, 1, 21, 21)
      REG_CASE_(1, 1, 23, 23) REG_CASE_(1, 1, 25, 25) REG_CASE_(1, 1, 27, 27)
      REG_CASE_(1, 1, 29, 29) REG_CASE_(1, 1, 31, 31)
    }
  if (rank == 2) switch (k) {
      REG_CASE_(1, 3, 3, 3) REG_CASE_(1, 5, 5, 5) REG_CASE_(1, 7, 7, 7) REG_CASE_(1, 9, 9, 9)
      REG_CASE_(1, 11, 11, 11) REG_CASE_(1, 13, 13, 13) REG_CASE_(1, 15, 15, 15)
    }
  if (rank == 3) switch (k) {
      REG_CASE_(3, 3, 3, 3) REG_CASE_(5, 5, 5, 5) REG_CASE_(7, 7, 7, 7)
    }
  return false;
}
#undef REG_CASE_

/* The specialised kernel for geometry g (after squeeze) of problem p, if one applies. */
bool find_reg(const fconv_problem *p, const geom &g, int flip, reg_variant *v) {
  memset(v, 0, sizeof *v);
  if ((p->dtype != FCONV_F32 && p->dtype != FCONV_F64) || flip ||
      (long long)p->kernel_batch > kRegMaxKernels)
    return false;
  for (int a = 0; a < 3; a++)
    if (g.s[a] != 1) return false;
  const int k = g.k[2];
  const int rank = g.k[0] == k && g.k[1] == k ? 3 : g.k[0] == 1 && g.k[1] == k ? 2
                   : g.k[0] == 1 && g.k[1] == 1 ? 1 : 0;
  if (rank == 0 || k < 3) return false;
  const bool ok = p->dtype == FCONV_F32 ? reg_for<float>(rank, k, v) : reg_for<double>(rank, k, v);
  if (!ok) return false;
  const int kk = k & 63; /* k <= 31: the compiler sees the name fits */
  if (rank == 1) snprintf(v->name, sizeof v->name, "reg%d", kk);
  if (rank == 2) snprintf(v->name, sizeof v->name, "reg%dx%d", kk, kk);
  if (rank == 3) snprintf(v->name, sizeof v->name, "reg%dx%dx%d", kk, kk, kk);
  return true;
}

/* ---- the cost model -------------------------------------------------------------------------- */

/* Seconds for `macs` multiply-adds over `launches` launches moving `dev_bytes` on the device,
 * plus the host transfers of host-pointer plans; `reg`: the specialised kernel's rate. */
double model(const fconv_problem *p, double macs, double dev_bytes, int launches, bool reg) {
  const fconv_cuda_cost *c = fconv_cuda_cost_get(); /* this device's (cost.h) */
  const double compute = macs / fconv_cost_mac_rate(c, (int)p->dtype, reg);
  const double memory = dev_bytes / c->mem_bw;
  const double host = (double)p->esize * ((double)p->batch * p->sig_elems +
                                          (double)p->count * p->out_elems);
  return FCONV_CUDA_EXECUTE_S + launches * c->launch_s + (compute > memory ? compute : memory) +
         fconv_dev_transfer_seconds(p, host);
}

/* One full pass; reg: the specialised kernel runs it. */
double full_seconds_as(const direct_state *s, bool reg) {
  const fconv_problem *p = &s->p;
  const double bytes = (double)p->esize * ((double)p->batch * p->sig_elems +
                                           (double)p->count * p->out_elems);
  return model(p, (double)p->count * s->full.macs, bytes, 1, reg);
}

double full_seconds(const direct_state *s) { return full_seconds_as(s, s->full.use_reg); }

double sep_seconds(const direct_state *s) {
  const fconv_problem *p = &s->p;
  const fconv_cuda_cost *c = fconv_cuda_cost_get();
  double macs = 0, bytes = 0;
  for (int i = 0; i < s->nsep; i++) {
    const pass &q = s->sep[i];
    /* a specialised pass counts as that many generic multiply-adds */
    macs += (double)p->count * q.macs *
            (q.use_reg ? fconv_cost_mac_rate(c, (int)p->dtype, 0) /
                             fconv_cost_mac_rate(c, (int)p->dtype, 1)
                       : 1.0);
    bytes += (double)p->esize * (double)p->count * (volume(q.g.n) + volume(q.g.out));
  }
  return model(p, macs, bytes, s->nsep, false);
}

/* ---- launch plans ---------------------------------------------------------------------------- */

bool fits_int(const fconv_problem *p) {
  for (int a = 0; a < 3; a++)
    if ((long long)p->ax[a].k >= kMaxTap || (long long)p->ax[a].stride >= kMaxTap) return false;
  return true;
}

void finish_pass(const direct_state *s, pass *q, long long ker_elems) {
  const geom raw = q->g;
  const int m = squeeze(&q->g);
  q->cfg = m <= 1 ? 1 : m;
  q->ker_elems = ker_elems;
  q->macs = volume(raw.out) * (double)ker_elems;
  q->rtaps = (size_t)ker_elems * s->p.esize <= s->const_bytes;
  plan_shared(q, s->p.esize, s->smem_budget);
  q->use_reg = !s->reg_off && find_reg(&s->p, q->g, q->flip, &q->reg);
}

void plan_full(direct_state *s) {
  const fconv_problem *p = &s->p;
  pass *q = &s->full;
  memset(q, 0, sizeof *q);
  for (int a = 0; a < 3; a++) {
    q->g.n[a] = (long long)p->ax[a].n;
    q->g.p0[a] = (long long)p->ax[a].p0;
    q->g.out[a] = (long long)p->ax[a].out;
    q->g.k[a] = (int)p->ax[a].k;
    q->g.s[a] = (int)p->ax[a].stride;
  }
  q->flip = p->signal_flip;
  q->src = BUF_SIGNAL;
  q->dst = BUF_OUT;
  q->x_item = (long long)p->sig_elems;
  q->y_item = (long long)p->out_elems;
  finish_pass(s, q, (long long)p->ker_elems);
}

/* Separable passes: one per axis with taps, the first also extending the single-tap axes. */
void plan_separable(direct_state *s) {
  const fconv_problem *p = &s->p;
  s->nsep = 0;
  int axes[3], na = 0;
  for (int a = 0; a < 3; a++)
    if (p->ax[a].k > 1) axes[na++] = a;
  if (na < 2 || (p->flags & FCONV_FLAG_NO_SEPARABLE) || p->swapped) return;
  static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  double best = -1;
  for (int pi = 0; pi < 6; pi++) {
    int order[3], no = 0;
    for (int i = 0; i < 3; i++)
      if (perms[pi][i] < na) order[no++] = axes[perms[pi][i]];
    if (no != na) continue;
    pass qs[3];
    long long cur[3] = {(long long)p->ax[0].n, (long long)p->ax[1].n, (long long)p->ax[2].n};
    double cost = 0;
    size_t taps_off = 0;
    for (int i = 0; i < na; i++) {
      pass *q = &qs[i];
      memset(q, 0, sizeof *q);
      for (int b = 0; b < 3; b++) {
        const bool here = b == order[i], ext = p->ax[b].k == 1 && i == 0;
        q->g.n[b] = cur[b];
        q->g.k[b] = here ? (int)p->ax[b].k : 1;
        q->g.p0[b] = here || ext ? (long long)p->ax[b].p0 : 0;
        q->g.s[b] = here || ext ? (int)p->ax[b].stride : 1;
        q->g.out[b] = here || ext ? (long long)p->ax[b].out : cur[b];
      }
      q->flip = i == 0 ? p->signal_flip : 0;
      q->src = i == 0 ? BUF_SIGNAL : (i == 1 ? BUF_A : BUF_B);
      q->dst = i == na - 1 ? BUF_OUT : (i == 0 ? BUF_A : BUF_B);
      q->x_item = (long long)volume(q->g.n);
      q->y_item = (long long)volume(q->g.out);
      q->taps_off = taps_off;
      taps_off += p->kernel_batch * p->ax[order[i]].k;
      for (int b = 0; b < 3; b++) cur[b] = q->g.out[b];
      finish_pass(s, q, (long long)p->ax[order[i]].k);
      cost += q->macs + 0.25 * (double)q->y_item; /* an intermediate costs memory traffic */
    }
    if (best < 0 || cost < best) {
      best = cost;
      for (int i = 0; i < na; i++) {
        s->sep[i] = qs[i];
        s->sep_axis[i] = order[i];
      }
      s->nsep = na;
      s->sep_elems = taps_off;
    }
  }
}

size_t round_up(size_t v) { return (v + FCONV_CUDA_WS_ALIGN - 1) / FCONV_CUDA_WS_ALIGN * FCONV_CUDA_WS_ALIGN; }

/* Workspace layout: device copies of signal and output (host-pointer plans), intermediates. */
void plan_workspace(direct_state *s) {
  const fconv_problem *p = &s->p;
  size_t at = 0;
  const size_t sizes[4] = {
      s->h.device_ptrs ? 0 : p->batch * p->sig_elems * p->esize,
      s->nsep >= 2 ? p->count * (size_t)s->sep[0].y_item * p->esize : 0,
      s->nsep >= 3 ? p->count * (size_t)s->sep[1].y_item * p->esize : 0,
      s->h.device_ptrs ? 0 : p->count * p->out_elems * p->esize};
  for (int b = 0; b < 4; b++) {
    s->off[b] = at;
    at += round_up(sizes[b]);
  }
  s->ws_need = at;
}

size_t env_size(const char *name, size_t dflt) {
  const char *e = getenv(name);
  if (!e || !*e) return dflt;
  char *end = NULL;
  unsigned long long v = strtoull(e, &end, 10);
  return end && *end == '\0' ? (size_t)v : dflt;
}

/* ---- launches -------------------------------------------------------------------------------- */

template <class T>
void (*tile_kernel_for(int cfg, bool rtaps))(fconv_direct_args) {
  if (cfg == 1)
    return rtaps ? fconv_direct_tile<T, fconv_tile_1d, true> : fconv_direct_tile<T, fconv_tile_1d, false>;
  if (cfg == 2)
    return rtaps ? fconv_direct_tile<T, fconv_tile_2d, true> : fconv_direct_tile<T, fconv_tile_2d, false>;
  return rtaps ? fconv_direct_tile<T, fconv_tile_3d, true> : fconv_direct_tile<T, fconv_tile_3d, false>;
}

#define TILE_KERNEL_(E, S, C) return tile_kernel_for<fconv_elem<S, C>::type>(cfg, rtaps);
void (*tile_kernel(fconv_dtype t, int cfg, bool rtaps))(fconv_direct_args) {
  FCONV_DTYPE_DISPATCH(t, TILE_KERNEL_)
  return nullptr;
}
#undef TILE_KERNEL_

/* Launch every block of items [item0, item0 + nitems) (several launches past 2^31-1 blocks). */
fconv_status launch_items(const direct_state *s, const pass &q, fconv_direct_args a,
                          long long item0, long long nitems) {
  const tile_dims t = dims_of(q.cfg);
  a.item0 = item0;
  a.tiles[0] = (long long)fconv_dev_ceil_div((uint64_t)q.g.out[0], (uint64_t)t.rz);
  a.tiles[1] = (long long)fconv_dev_ceil_div((uint64_t)q.g.out[1], (uint64_t)t.toy);
  a.tiles[2] = (long long)fconv_dev_ceil_div((uint64_t)q.g.out[2], (uint64_t)t.tox);
  const uint64_t blocks = (uint64_t)a.tiles[0] * a.tiles[1] * a.tiles[2] * (uint64_t)nitems;
  void (*const direct_tile_kernel)(fconv_direct_args) = tile_kernel(s->p.dtype, q.cfg, q.rtaps);
  for (uint64_t b0 = 0; b0 < blocks; b0 += FCONV_DEV_MAX_GRID_X) {
    a.block0 = (long long)b0;
    const unsigned nb = fconv_dev_blocks(blocks - b0, 1, FCONV_DEV_MAX_GRID_X);
    FCONV_FORWARD(FCONV_LAUNCH(direct_tile_kernel, dim3(nb), dim3(t.bx, t.by), q.smem, s->h.stream, a));
  }
  return FCONV_OK;
}

/* Fill the launch arguments of pass q (without the tile counts). */
fconv_direct_args pass_args(const direct_state *s, const pass &q, const void *x, void *y,
                            const void *taps) {
  const fconv_problem *p = &s->p;
  fconv_direct_args a;
  memset(&a, 0, sizeof a);
  a.x = x;
  a.y = y;
  a.taps = taps;
  a.pairing = *p;
  if (q.src != BUF_SIGNAL) a.pairing.batch = p->count; /* intermediates: one per output */
  for (int ax = 0; ax < 3; ax++) {
    a.n[ax] = q.g.n[ax];
    a.p0[ax] = q.g.p0[ax];
    a.out[ax] = q.g.out[ax];
    a.k[ax] = q.g.k[ax];
    a.s[ax] = q.g.s[ax];
  }
  a.boundary = (int)p->boundary;
  a.flip = q.flip;
  a.x_item = q.x_item;
  a.y_item = q.y_item;
  a.ker_elems = q.ker_elems;
  a.kc[0] = q.kc[0];
  a.kc[1] = q.kc[1];
  a.sparse[0] = q.sparse[0];
  a.sparse[1] = q.sparse[1];
  a.pitch = q.pitch;
  a.wrows = q.wrows;
  a.band = q.band;
  return a;
}

/* Run one pass from x to y with the given device taps (all kernels, q.ker_elems apart), or with
 * its specialised kernel when it has one and `host_taps` (the same taps on the host) is given. */
fconv_status run_pass(const direct_state *s, const pass &q, const void *x, void *y,
                      const void *taps, const void *host_taps) {
  const fconv_direct_args a = pass_args(s, q, x, y, taps);
  if (q.use_reg && host_taps) return q.reg.launch(s, q, a, host_taps);
  return launch_items(s, q, a, 0, (long long)s->p.count);
}

/* ---- separable factors ----------------------------------------------------------------------- */

/* Factor every kernel's prepared taps (s->h_taps) with the core's rank-1 rule
 * (core/kernel_info.c) into s->h_sep (pass order, kernel_batch factors per pass; the factors of
 * single-tap axes, one element each, folded into the first pass). Returns 1 when every kernel
 * is rank 1. */
int factor_taps(direct_state *s) {
  const fconv_problem *p = &s->p;
  const fconv_dtype t = p->dtype;
  const size_t k[3] = {p->ax[0].k, p->ax[1].k, p->ax[2].k};
  const size_t off[3] = {0, k[0], k[0] + k[1]}; /* factor of axis a in h_fac */
  for (size_t b = 0; b < p->kernel_batch; b++) {
    if (!fconv_kernel_rank1(t, k, (const char *)s->h_taps + b * p->ker_elems * p->esize,
                            s->h_fac))
      return 0;
    double sr = 1, si = 0;
    for (int a = 0; a < 3; a++) {
      if (k[a] != 1) continue;
      double fr, fi;
      fconv_load_d(t, s->h_fac, off[a], &fr, &fi);
      const double r = sr * fr - si * fi;
      si = sr * fi + si * fr;
      sr = r;
    }
    for (int i = 0; i < s->nsep; i++) {
      const int a = s->sep_axis[i];
      for (size_t j = 0; j < k[a]; j++) {
        double re, im;
        fconv_load_d(t, s->h_fac, off[a] + j, &re, &im);
        if (i == 0) {
          const double r = re * sr - im * si;
          im = re * si + im * sr;
          re = r;
        }
        fconv_store_d(t, s->h_sep, s->sep[i].taps_off + b * k[a] + j, re, im);
      }
    }
  }
  return 1;
}

/* ---- the vtable ------------------------------------------------------------------------------ */

void destroy_state(direct_state *s) {
  if (!s) return;
  fconv_cuda_host_destroy(&s->h); /* first: nothing in flight uses our memory */
  fconv_dev_free(s->d_taps);
  fconv_dev_free(s->d_taps_exec);
  fconv_dev_free(s->d_sep);
  fconv_dev_free_host(s->h_taps);
  fconv_dev_free_host(s->h_sep);
  fconv_free(s->h_fac);
  fconv_free(s->h_reg);
  fconv_free(s);
}

double cuda_direct_estimate(const fconv_problem *p) {
  if (!fits_int(p)) return -1.0;
  direct_state s;
  memset(&s, 0, sizeof s);
  s.p = *p;
  s.const_bytes = kConstDefault;
  s.smem_budget = kSmemDefault;
  plan_full(&s);
  return full_seconds(&s);
}

fconv_status create_buffers(direct_state *s) {
  const fconv_problem *p = &s->p;
  s->tap_bytes = p->kernel_batch * p->ker_elems * p->esize;
  FCONV_FORWARD(fconv_dev_malloc(&s->d_taps, s->tap_bytes));
  FCONV_FORWARD(fconv_dev_malloc(&s->d_taps_exec, s->tap_bytes));
  FCONV_FORWARD(fconv_dev_malloc_host(&s->h_taps, s->tap_bytes));
  if (s->nsep) {
    FCONV_FORWARD(fconv_dev_malloc(&s->d_sep, s->sep_elems * p->esize));
    FCONV_FORWARD(fconv_dev_malloc_host(&s->h_sep, s->sep_elems * p->esize));
    s->h_fac = fconv_malloc((p->ax[0].k + p->ax[1].k + p->ax[2].k) * p->esize);
    FCONV_RETURN_IF(!s->h_fac, FCONV_ERR_OUT_OF_MEMORY, "rank-1 factors");
  }
  if (s->full.use_reg) {
    s->h_reg = fconv_malloc(s->tap_bytes);
    FCONV_RETURN_IF(!s->h_reg, FCONV_ERR_OUT_OF_MEMORY, "taps");
  }
  const size_t most = p->batch * p->sig_elems > p->count * p->out_elems
                          ? p->batch * p->sig_elems * p->esize
                          : p->count * p->out_elems * p->esize;
  return fconv_cuda_host_alloc(&s->h, s->ws_need, most);
}

fconv_status cuda_direct_create(const fconv_problem *p, void **state) {
  FCONV_RETURN_IF(!fits_int(p), FCONV_ERR_UNSUPPORTED, "taps or stride beyond 2^30 on an axis");
  direct_state *s = (direct_state *)fconv_calloc(sizeof *s);
  FCONV_RETURN_IF(!s, FCONV_ERR_OUT_OF_MEMORY, "state");
  s->p = *p;
  fconv_status st = fconv_cuda_host_init(&s->h, p);
  if (st != FCONV_OK) {
    fconv_free(s);
    return st;
  }
  s->const_bytes = env_size("FCONV_CUDA_DIRECT_CONST_BYTES", kConstDefault);
  if (s->const_bytes > FCONV_DIRECT_RTAPS_BYTES) s->const_bytes = FCONV_DIRECT_RTAPS_BYTES;
  s->smem_budget = env_size("FCONV_CUDA_DIRECT_SMEM_BYTES", kSmemDefault);
  if (s->smem_budget > kSmemMax) s->smem_budget = kSmemMax;
  const char *sep = getenv("FCONV_CUDA_DIRECT_SEPARABLE");
  s->force_separable = sep && strcmp(sep, "force") == 0;
  const char *reg = getenv("FCONV_CUDA_DIRECT_SPECIALISED");
  s->reg_off = reg && strcmp(reg, "0") == 0;
  s->xsteps = (int)env_size("FCONV_CUDA_DIRECT_XSTEPS", 0);
  if (s->xsteps > 64) s->xsteps = 64;
  s->sms = fconv_dev_sm_count(s->h.device);
  plan_full(s);
  plan_separable(s);
  plan_workspace(s);
  st = create_buffers(s);
  if (st != FCONV_OK) {
    destroy_state(s);
    return st;
  }
  *state = s;
  return FCONV_OK;
}

/* kernel: the caller's (device-pointer plans) or the api's copy; info->host: a host copy. */
fconv_status set_kernel_body(direct_state *s, const void *kernel,
                             const fconv_kernel_info *info) {
  const fconv_problem *p = &s->p;
  s->kernel_set = 0;
  s->separable = 0;
  const void *h = s->h.device_ptrs ? info->host : kernel;
  /* earlier work on the stream may still read d_taps: the copies below are ordered after it */
  FCONV_FORWARD(fconv_dev_stream_sync(s->h.stream)); /* h_taps / h_sep are free to overwrite */
  fconv_prepare_taps(p, h, s->h_taps);
  if (s->h_reg) memcpy(s->h_reg, s->h_taps, s->tap_bytes);
  FCONV_FORWARD(fconv_dev_copy_h2d(s->d_taps, s->h_taps, s->tap_bytes, s->h.stream));
  if (s->nsep && factor_taps(s) && (s->force_separable || sep_seconds(s) < full_seconds(s))) {
    FCONV_FORWARD(fconv_dev_copy_h2d(s->d_sep, s->h_sep, s->sep_elems * p->esize, s->h.stream));
    s->separable = 1;
  }
  FCONV_FORWARD(fconv_dev_stream_sync(s->h.stream));
  s->kernel_set = 1;
  return FCONV_OK;
}

fconv_status cuda_direct_set_kernel(void *state, const void *kernel,
                                    const fconv_kernel_info *info) {
  direct_state *s = (direct_state *)state;
  fconv_device_scope scope(s->h.device);
  FCONV_FORWARD(scope.status);
  FCONV_FORWARD(fconv_cuda_host_check_capture(&s->h, 1)); /* set_kernel synchronises */
  fconv_status st = set_kernel_body(s, kernel, info);
  if (st != FCONV_OK) /* leave no copy from h_taps / h_sep in flight: execute rewrites them */
    (void)fconv_dev_stream_sync(s->h.stream);
  return st;
}

void *buffer(direct_state *s, int role, const void *signal, void *out) {
  if (role == BUF_SIGNAL && s->h.device_ptrs) return (void *)signal;
  if (role == BUF_OUT && s->h.device_ptrs) return out;
  return (char *)s->h.ws + s->off[role];
}

/* Prepared taps of device-resident kernels into d_taps_exec, on the device. */
template <class T>
fconv_status prepare_device_taps_t(const direct_state *s, const void *kernel) {
  const fconv_problem *p = &s->p;
  const long long total = (long long)(p->kernel_batch * p->ker_elems);
  const dim3 grid(fconv_dev_blocks((uint64_t)total, 256, 4096)), block(256);
  void (*const prepare_taps_kernel)(const T *, T *, long long, long long, long long, long long,
                                    int) = fconv_direct_prepare_taps<T>;
  return FCONV_LAUNCH(prepare_taps_kernel, grid, block, 0, s->h.stream, (const T *)kernel,
                      (T *)s->d_taps_exec, (long long)p->ax[0].k, (long long)p->ax[1].k,
                      (long long)p->ax[2].k, (long long)p->kernel_batch,
                      p->op == FCONV_OP_CORRELATE);
}
#define PREPARE_DEVICE_TAPS_(E, S, C) return prepare_device_taps_t<fconv_elem<S, C>::type>(s, kernel);
fconv_status prepare_device_taps(const direct_state *s, const void *kernel) {
  FCONV_DTYPE_DISPATCH(s->p.dtype, PREPARE_DEVICE_TAPS_)
  return FCONV_ERR_INTERNAL;
}
#undef PREPARE_DEVICE_TAPS_

fconv_status execute_body(direct_state *s, const void *signal, const void *kernel, void *out) {
  const fconv_problem *p = &s->p;
  FCONV_FORWARD(fconv_cuda_host_check_pointer(&s->h, signal));
  FCONV_FORWARD(fconv_cuda_host_check_pointer(&s->h, out));
  if (kernel) FCONV_FORWARD(fconv_cuda_host_check_pointer(&s->h, kernel));
  FCONV_INVALID_IF(!kernel && !s->kernel_set, "no kernel set");
  FCONV_RETURN_IF(s->h.ws_bytes && !s->h.ws, FCONV_ERR_INVALID_ARGUMENT, "no workspace");

  if (!s->h.device_ptrs)
    FCONV_FORWARD(fconv_dev_stage_h2d(&s->h.stage, buffer(s, BUF_SIGNAL, signal, out), signal,
                                      p->batch * p->sig_elems * p->esize, s->h.stream));
  const void *taps = s->d_taps;
  const void *host_taps = s->h_reg; /* the specialised kernel's launch parameters */
  if (kernel) {
    taps = s->d_taps_exec;
    host_taps = NULL; /* device-resident taps: the generic kernel reads them there */
    if (s->h.device_ptrs) {
      FCONV_FORWARD(prepare_device_taps(s, kernel));
    } else {
      /* h_taps is free: every host-pointer call ends synchronised */
      fconv_prepare_taps(p, kernel, s->h_taps);
      FCONV_FORWARD(fconv_dev_copy_h2d(s->d_taps_exec, s->h_taps, s->tap_bytes, s->h.stream));
      host_taps = s->h_taps;
    }
  }

  if (!kernel && s->separable) {
    for (int i = 0; i < s->nsep; i++) {
      const pass &q = s->sep[i];
      FCONV_FORWARD(run_pass(s, q, buffer(s, q.src, signal, out), buffer(s, q.dst, signal, out),
                             (const char *)s->d_sep + q.taps_off * p->esize,
                             (const char *)s->h_sep + q.taps_off * p->esize));
    }
  } else {
    FCONV_FORWARD(run_pass(s, s->full, buffer(s, BUF_SIGNAL, signal, out),
                           buffer(s, BUF_OUT, signal, out), taps, host_taps));
  }

  if (!s->h.device_ptrs)
    FCONV_FORWARD(fconv_dev_stage_d2h(&s->h.stage, out, buffer(s, BUF_OUT, signal, out),
                                      p->count * p->out_elems * p->esize, s->h.stream));
  else
    FCONV_FORWARD(fconv_cuda_host_finish(&s->h)); /* asynchronous only on a caller's stream */
  return FCONV_OK;
}

fconv_status cuda_direct_execute(void *state, const void *signal, const void *kernel, void *out) {
  direct_state *s = (direct_state *)state;
  if (s->p.count == 0 || s->p.out_elems == 0) return FCONV_OK;
  fconv_device_scope scope(s->h.device);
  FCONV_FORWARD(scope.status);
  FCONV_FORWARD(fconv_cuda_host_check_capture(&s->h, !s->h.device_ptrs));
  fconv_status st = execute_body(s, signal, kernel, out);
  if (st != FCONV_OK) fconv_cuda_host_failed(&s->h);
  return st;
}

void cuda_direct_destroy(void *state) {
  direct_state *s = (direct_state *)state;
  fconv_device_scope scope(s->h.device);
  destroy_state(s);
}

double cuda_direct_kernel_cost(const void *state, const fconv_kernel_info *info) {
  (void)info; /* set_kernel has analysed it */
  const direct_state *s = (const direct_state *)state;
  return s->separable ? sep_seconds(s) : full_seconds(s);
}

void cuda_direct_describe(const void *state, fconv_plan_info *info) {
  const direct_state *s = (const direct_state *)state;
  info->separable = s->kernel_set && s->separable;
  info->workspace_bytes = s->h.ws_bytes;
  /* the kernel variant(s) execute(NULL) runs: "reg7x7" (specialised), "tile" (generic); the
   * separable passes joined by '+' */
  char name[sizeof info->isa] = "";
  const int np = info->separable ? s->nsep : 1;
  for (int i = 0; i < np; i++) {
    const pass &q = info->separable ? s->sep[i] : s->full;
    const size_t at = strlen(name);
    snprintf(name + at, sizeof name - at, "%s%s", i ? "+" : "", q.use_reg ? q.reg.name : "tile");
  }
  memcpy(info->isa, name, sizeof name);
  for (int a = 0; a < FCONV_MAX_RANK; a++) info->transform_shape[a] = info->block_shape[a] = 0;
}

fconv_status cuda_direct_set_stream(void *state, void *stream) {
  direct_state *s = (direct_state *)state;
  fconv_device_scope scope(s->h.device);
  FCONV_FORWARD(scope.status);
  return fconv_cuda_host_set_stream(&s->h, stream);
}

fconv_status cuda_direct_set_workspace(void *state, void *ws, size_t bytes) {
  direct_state *s = (direct_state *)state;
  fconv_device_scope scope(s->h.device);
  FCONV_FORWARD(scope.status);
  return fconv_cuda_host_set_workspace(&s->h, ws, bytes);
}

fconv_status cuda_direct_to_host(void *state, void *dst, const void *src, size_t bytes) {
  direct_state *s = (direct_state *)state;
  fconv_device_scope scope(s->h.device);
  FCONV_FORWARD(scope.status);
  return fconv_cuda_host_to_host(&s->h, dst, src, bytes);
}

size_t cuda_direct_workspace_size(const void *state) {
  return ((const direct_state *)state)->h.ws_bytes;
}

}  // namespace

extern "C" const fconv_path_vtbl fconv_cuda_direct_path = {
    .name = "cuda-direct",
    .backend = FCONV_BACKEND_CUDA,
    .method = FCONV_METHOD_DIRECT,
    .channels = FCONV_PATH_PLAIN,
    .estimate = cuda_direct_estimate,
    .create = cuda_direct_create,
    .set_kernel = cuda_direct_set_kernel,
    .execute = cuda_direct_execute,
    .destroy = cuda_direct_destroy,
    .kernel_cost = cuda_direct_kernel_cost,
    .describe = cuda_direct_describe,
    .to_host = cuda_direct_to_host,
    .set_stream = cuda_direct_set_stream,
    .set_workspace = cuda_direct_set_workspace,
    .workspace_size = cuda_direct_workspace_size,
    .auto_only = 0};
