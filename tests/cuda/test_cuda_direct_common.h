/* test_cuda_direct_common.h — the CUDA direct path's case runner and seeded sweep, shared by
 * the emulated tests (test_cuda_direct_emu.cpp: kernels and host logic on the CPU) and the
 * device tests (test_cuda_direct_device.cpp: the real library on a GPU). Each case goes through
 * the PUBLIC API with BACKEND_CUDA + METHOD_DIRECT and is compared element-wise with the
 * shared long-double reference (tests/reference.h):
 *   |y - ref| <= C eps(dtype) sum|xe||g|,  C = 2 (taps + 8)
 * (the classic bound for a sum of `taps` products, with room for complex products and for the
 * rounding of separable factors). */
#ifndef FCONV_TEST_CUDA_DIRECT_COMMON_H
#define FCONV_TEST_CUDA_DIRECT_COMMON_H

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "fconv.h"
#include "../reference.h"

namespace cuda_direct_test {

using reference::cld;

/* The shared long-double reference (tests/reference.h) of one case: its outputs and, per output
 * element, sum |xe||g| over the taps (for the direct sum's bound). */
inline testing::AssertionResult reference_of(const fconv_desc &d, const std::vector<cld> &x,
                                             const std::vector<cld> &h, reference::Result *r,
                                             std::vector<long double> *l1) {
  std::string why;
  if (!reference::convolve(d, x, h, r, &why) || !reference::magnitudes(d, x, h, l1, &why))
    return testing::AssertionFailure() << "the reference rejects the case: " << why;
  return testing::AssertionSuccess();
}

/* Device memory for device-pointer cases (emulated or real). */
struct MemOps {
  void *(*alloc)(size_t bytes);
  void (*release)(void *p);
  void (*h2d)(void *dst, const void *src, size_t bytes);
  void (*d2h)(void *dst, const void *src, size_t bytes);
};

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9e3779b97f4a7c15ull + 1) {}
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  size_t range(size_t lo, size_t hi) { return lo + (size_t)(next() % (hi - lo + 1)); } /* [lo,hi] */
  double uniform() { return (double)(next() >> 11) * (2.0 / 9007199254740992.0) - 1.0; }
};

enum class KernelKind { Random, Separable };

struct Case {
  fconv_desc d;
  uint64_t seed = 1;
  KernelKind kernel = KernelKind::Random;
  bool set_kernel = true;     /* set_kernel + execute(NULL), else execute(kernel) */
  bool device_ptrs = false;   /* FCONV_FLAG_DEVICE_POINTERS */
  long const_bytes = -1;      /* FCONV_CUDA_DIRECT_CONST_BYTES (-1: default) */
  long smem_bytes = -1;       /* FCONV_CUDA_DIRECT_SMEM_BYTES (-1: default) */
  bool force_separable = false; /* FCONV_CUDA_DIRECT_SEPARABLE=force */
  int expect_separable = -1;  /* -1: don't check info.separable */
  const char *expect_variant = nullptr; /* nullptr: don't check info.isa (the kernel variant) */
};

inline std::string describe(const Case &c) {
  const fconv_desc &d = c.d;
  std::string s = "seed " + std::to_string(c.seed) + ": rank " + std::to_string(d.rank) + " " +
                  fconv_dtype_name(d.dtype) + " n=";
  for (int a = 0; a < d.rank; a++) s += (a ? "x" : "") + std::to_string(d.signal_shape[a]);
  s += " k=";
  for (int a = 0; a < d.rank; a++) s += (a ? "x" : "") + std::to_string(d.kernel_shape[a]);
  static const char *modes[] = {"full", "same", "valid", "pad"};
  static const char *bounds[] = {"zero", "wrap", "symmetric", "mirror", "replicate"};
  s += std::string(" ") + modes[d.mode] + (d.op == FCONV_OP_CORRELATE ? " correlate " : " convolve ") +
       bounds[d.boundary] + " stride=";
  for (int a = 0; a < d.rank; a++) s += (a ? "x" : "") + std::to_string(d.stride[a]);
  if (d.mode == FCONV_MODE_PAD) {
    s += " pad=";
    for (int a = 0; a < d.rank; a++)
      s += (a ? "," : "") + std::to_string(d.pad_before[a]) + "/" + std::to_string(d.pad_after[a]);
  }
  s += " batch=" + std::to_string(d.batch) + " kernel_batch=" + std::to_string(d.kernel_batch);
  s += c.kernel == KernelKind::Separable ? " separable-kernel" : "";
  s += c.set_kernel ? " set_kernel" : " kernel-at-execute";
  s += c.device_ptrs ? " device-pointers" : "";
  if (c.const_bytes >= 0) s += " const_bytes=" + std::to_string(c.const_bytes);
  if (c.smem_bytes >= 0) s += " smem_bytes=" + std::to_string(c.smem_bytes);
  if (c.force_separable) s += " force-separable";
  if (d.flags & FCONV_FLAG_NO_SEPARABLE) s += " NO_SEPARABLE";
  return s;
}

/* Scoped environment variable (the path reads its knobs at plan creation). */
struct ScopedEnv {
  std::string name;
  explicit ScopedEnv(const char *n, long v) : name(n) {
    if (v >= 0)
      setenv(n, std::to_string(v).c_str(), 1);
    else
      unsetenv(n);
  }
  ScopedEnv(const char *n, const char *v) : name(n) {
    if (v)
      setenv(n, v, 1);
    else
      unsetenv(n);
  }
  ~ScopedEnv() { unsetenv(name.c_str()); }
};

inline size_t scalars_per_elem(fconv_dtype t) { return t == FCONV_C64 || t == FCONV_C128 ? 2 : 1; }
inline bool is_double(fconv_dtype t) { return t == FCONV_F64 || t == FCONV_C128; }

/* Values (as long double complex) stored in dtype in `raw`. */
inline void store(fconv_dtype t, const std::vector<cld> &v, std::vector<unsigned char> *raw) {
  const size_t sc = scalars_per_elem(t), n = v.size();
  raw->assign(n * sc * (is_double(t) ? 8 : 4), 0);
  for (size_t i = 0; i < n; i++)
    for (size_t c = 0; c < sc; c++) {
      const long double x = c ? v[i].imag() : v[i].real();
      if (is_double(t))
        ((double *)raw->data())[i * sc + c] = (double)x;
      else
        ((float *)raw->data())[i * sc + c] = (float)x;
    }
}

inline std::vector<cld> load(fconv_dtype t, const std::vector<unsigned char> &raw, size_t n) {
  std::vector<cld> v(n);
  const size_t sc = scalars_per_elem(t);
  for (size_t i = 0; i < n; i++) {
    long double re, im = 0;
    if (is_double(t)) {
      re = ((const double *)raw.data())[i * sc];
      if (sc == 2) im = ((const double *)raw.data())[i * sc + 1];
    } else {
      re = ((const float *)raw.data())[i * sc];
      if (sc == 2) im = ((const float *)raw.data())[i * sc + 1];
    }
    v[i] = cld(re, im);
  }
  return v;
}

/* Random values in [-1, 1), rounded to the dtype (so the reference sees what the path sees). */
inline std::vector<cld> random_values(Rng &rng, fconv_dtype t, size_t n) {
  std::vector<cld> v(n);
  const bool cplx = scalars_per_elem(t) == 2;
  for (auto &x : v) x = cld(rng.uniform(), cplx ? rng.uniform() : 0.0);
  std::vector<unsigned char> raw;
  store(t, v, &raw);
  return load(t, raw, n);
}

/* kernel_batch kernels, each an outer product of per-axis random vectors (a rank-1 kernel). */
inline std::vector<cld> separable_values(Rng &rng, const fconv_desc &d) {
  const size_t k[3] = {d.rank == 3 ? d.kernel_shape[0] : 1,
                       d.rank >= 2 ? d.kernel_shape[d.rank - 2] : 1, d.kernel_shape[d.rank - 1]};
  std::vector<cld> v;
  for (size_t b = 0; b < d.kernel_batch; b++) {
    std::vector<cld> f[3];
    for (int a = 0; a < 3; a++) f[a] = random_values(rng, d.dtype, k[a]);
    for (size_t i = 0; i < k[0]; i++)
      for (size_t j = 0; j < k[1]; j++)
        for (size_t l = 0; l < k[2]; l++) v.push_back(f[0][i] * f[1][j] * f[2][l]);
  }
  std::vector<unsigned char> raw;
  store(d.dtype, v, &raw);
  return load(d.dtype, raw, v.size());
}

inline size_t prod(const size_t *e, int rank) {
  size_t p = 1;
  for (int a = 0; a < rank; a++) p *= e[a];
  return p;
}

/* Run one case through the public API and compare with the reference. `dev` may be NULL for
 * host-pointer cases. */
inline testing::AssertionResult run_case(const Case &c, const MemOps *dev) {
  ScopedEnv e1("FCONV_CUDA_DIRECT_CONST_BYTES", c.const_bytes);
  ScopedEnv e2("FCONV_CUDA_DIRECT_SMEM_BYTES", c.smem_bytes);
  ScopedEnv e3("FCONV_CUDA_DIRECT_SEPARABLE", c.force_separable ? "force" : nullptr);
  fconv_desc d = c.d;
  d.backend = FCONV_BACKEND_CUDA;
  d.method = FCONV_METHOD_DIRECT;
  if (c.device_ptrs) d.flags |= FCONV_FLAG_DEVICE_POINTERS;
  Rng rng(c.seed);
  const size_t N = prod(d.signal_shape, d.rank), K = prod(d.kernel_shape, d.rank);
  const std::vector<cld> x = random_values(rng, d.dtype, d.batch * N);
  const std::vector<cld> h = c.kernel == KernelKind::Separable
                                 ? separable_values(rng, d)
                                 : random_values(rng, d.dtype, d.kernel_batch * K);
  reference::Result ref;
  std::vector<long double> l1;
  const testing::AssertionResult have_ref = reference_of(d, x, h, &ref, &l1);
  if (!have_ref) return have_ref;

  fconv_plan *plan = nullptr;
  fconv_status st = fconv_plan_create(&plan, &d);
  if (st != FCONV_OK)
    return testing::AssertionFailure() << "plan_create: " << fconv_status_string(st);
  struct Guard {
    fconv_plan *p;
    ~Guard() { fconv_plan_destroy(p); }
  } guard{plan};
  size_t shape[3];
  fconv_plan_output_shape(plan, shape);
  for (int a = 0; a < d.rank; a++)
    if (shape[a] != ref.shape[a])
      return testing::AssertionFailure() << "output extent " << a << ": " << shape[a]
                                         << ", reference " << ref.shape[a];
  fconv_plan_info info;
  fconv_plan_get_info(plan, &info);
  if (info.backend != FCONV_BACKEND_CUDA || info.method != FCONV_METHOD_DIRECT)
    return testing::AssertionFailure() << "not the cuda-direct path: " << info.reason;

  std::vector<unsigned char> xr, hr, yr;
  store(d.dtype, x, &xr);
  store(d.dtype, h, &hr);
  const size_t outn = ref.count * prod(ref.shape, d.rank);
  const size_t es = scalars_per_elem(d.dtype) * (is_double(d.dtype) ? 8 : 4);
  yr.assign(outn * es, 0xA5); /* garbage: every element must be written */
  void *dx = nullptr, *dh = nullptr, *dy = nullptr;
  const void *xp = xr.data(), *hp = hr.data();
  void *yp = yr.data();
  if (c.device_ptrs) {
    dx = dev->alloc(xr.size());
    dh = dev->alloc(hr.size());
    dy = dev->alloc(yr.size());
    dev->h2d(dx, xr.data(), xr.size());
    dev->h2d(dh, hr.data(), hr.size());
    dev->h2d(dy, yr.data(), yr.size());
    xp = dx;
    hp = dh;
    yp = dy;
  }
  struct DevGuard {
    const MemOps *dev;
    void *a, *b, *c;
    ~DevGuard() {
      if (dev) {
        dev->release(a);
        dev->release(b);
        dev->release(c);
      }
    }
  } devguard{c.device_ptrs ? dev : nullptr, dx, dh, dy};

  const bool swapped_device = c.device_ptrs && info.swapped;
  const void *kexec = hp;
  if (c.set_kernel) {
    st = fconv_plan_set_kernel(plan, hp);
    if (swapped_device) { /* documented: pass the kernel to execute */
      if (st != FCONV_ERR_UNSUPPORTED)
        return testing::AssertionFailure() << "swapped device set_kernel: " << fconv_status_string(st);
    } else {
      if (st != FCONV_OK)
        return testing::AssertionFailure() << "set_kernel: " << fconv_status_string(st);
      kexec = nullptr;
    }
  }
  st = fconv_execute(plan, xp, kexec, yp);
  if (st != FCONV_OK) return testing::AssertionFailure() << "execute: " << fconv_status_string(st);
  if (c.device_ptrs) dev->d2h(yr.data(), dy, yr.size());
  fconv_plan_get_info(plan, &info);
  if (c.expect_separable >= 0 && info.separable != c.expect_separable)
    return testing::AssertionFailure() << "info.separable " << info.separable << ", expected "
                                       << c.expect_separable;
  if (c.expect_variant && std::string(info.isa) != c.expect_variant)
    return testing::AssertionFailure() << "kernel variant (info.isa) \"" << info.isa
                                       << "\", expected \"" << c.expect_variant << "\"";

  const std::vector<cld> y = load(d.dtype, yr, outn);
  const long double eps = reference::eps_of(d.dtype);
  const long double C = 2.0L * ((long double)K + 8);
  for (size_t i = 0; i < outn; i++) {
    const long double err = std::abs(y[i] - ref.y[i]);
    const long double tol = C * eps * l1[i] + 1e-30L;
    if (!(err <= tol))
      return testing::AssertionFailure()
             << "output element " << i << " of " << outn << ": got (" << (double)y[i].real() << ","
             << (double)y[i].imag() << "), reference (" << (double)ref.y[i].real() << ","
             << (double)ref.y[i].imag() << "), |err| " << (double)err << " > tol " << (double)tol;
  }
  return testing::AssertionSuccess();
}

/* ---- the seeded sweep: rank x dtype x mode x op x boundary, with strides, batches, padding
 * longer than the signal, VALID swaps, separable kernels, device pointers, kernels at execute,
 * shared-tiled taps and tap chunking spread over the cases. --------------------------------- */
inline Case sweep_case(int rank, fconv_dtype t, fconv_mode mode, fconv_op op, fconv_boundary b,
                       uint64_t seed) {
  Rng r(seed);
  Case c;
  c.seed = seed;
  const size_t nmax = rank == 1 ? 40 : rank == 2 ? 11 : 6, kmax = rank == 1 ? 7 : rank == 2 ? 4 : 3;
  size_t n[3], k[3];
  for (int a = 0; a < rank; a++) {
    n[a] = r.range(1, nmax);
    k[a] = r.range(1, kmax);
  }
  if (mode == FCONV_MODE_VALID) {
    const bool swap = r.range(0, 3) == 0;
    for (int a = 0; a < rank; a++)
      if (swap ? k[a] < n[a] : k[a] > n[a]) std::swap(n[a], k[a]);
  }
  fconv_desc_init(&c.d, rank, n, k, t);
  c.d.mode = mode;
  c.d.op = op;
  c.d.boundary = b;
  for (int a = 0; a < rank; a++) {
    const size_t sr = r.range(0, 9);
    c.d.stride[a] = sr < 5 ? 1 : sr < 7 ? 2 : sr < 9 ? 3 : 5;
    if (mode == FCONV_MODE_PAD) {
      const size_t big = r.range(0, 2) == 0 ? 2 * n[a] + 2 : k[a]; /* often longer than n */
      c.d.pad_before[a] = r.range(0, big);
      c.d.pad_after[a] = r.range(0, big);
      while (n[a] + c.d.pad_before[a] + c.d.pad_after[a] < k[a]) c.d.pad_after[a]++;
    }
  }
  switch (r.range(0, 3)) {
  case 0: break;
  case 1: c.d.batch = 2; break;
  case 2: c.d.batch = c.d.kernel_batch = 2; break;
  case 3: c.d.kernel_batch = 3; break; /* filter bank */
  }
  c.set_kernel = r.range(0, 2) != 0;
  c.device_ptrs = r.range(0, 4) == 0;
  const size_t knob = r.range(0, 5);
  if (knob == 0) c.const_bytes = 0;       /* shared-tiled taps */
  if (knob == 1) c.smem_bytes = 256;      /* smallest tap chunks */
  if (knob == 2) c.const_bytes = 0, c.smem_bytes = 1024;
  if (rank >= 2 && r.range(0, 2) == 0) {
    c.kernel = KernelKind::Separable;
    c.force_separable = true;
    int taps_axes = 0;
    for (int a = 0; a < rank; a++) taps_axes += k[a] > 1;
    bool swapped = false;
    for (int a = 0; a < rank; a++) swapped |= mode == FCONV_MODE_VALID && k[a] > n[a];
    /* the api's swapped plans take the kernel at execute; so do kernel-at-execute cases */
    c.expect_separable = taps_axes >= 2 && !swapped && c.set_kernel;
    if (r.range(0, 3) == 0) {
      c.d.flags |= FCONV_FLAG_NO_SEPARABLE;
      c.expect_separable = 0;
    }
  }
  return c;
}

/* The ten sweep cases (2 ops x 5 boundaries) of one (rank, dtype, mode), from base_seed. */
inline void run_sweep(int rank, fconv_dtype t, fconv_mode mode, uint64_t base_seed,
                      const MemOps *dev) {
  for (int op = 0; op < 2; op++)
    for (int b = 0; b < 5; b++) {
      const uint64_t seed =
          base_seed * 1000003ull + ((((uint64_t)rank * 4 + t) * 4 + mode) * 2 + op) * 5 + b;
      const Case c = sweep_case(rank, t, mode, (fconv_op)op, (fconv_boundary)b, seed);
      EXPECT_TRUE(run_case(c, dev)) << describe(c) << "  (FCONV_TEST_SEED=" << base_seed << ")";
    }
}

/* A case with every field at its default. */
inline Case base_case(int rank, const size_t *n, const size_t *k, fconv_dtype t, uint64_t seed) {
  Case c;
  c.seed = seed;
  fconv_desc_init(&c.d, rank, n, k, t);
  return c;
}

/* gtest parameter name for (rank, dtype, mode) sweeps. */
inline std::string sweep_name(
    const testing::TestParamInfo<std::tuple<int, fconv_dtype, fconv_mode>> &i) {
  static const char *const modes[] = {"full", "same", "valid", "pad"};
  return "rank" + std::to_string(std::get<0>(i.param)) + "_" +
         fconv_dtype_name(std::get<1>(i.param)) + "_" + modes[std::get<2>(i.param)];
}

/* ---- the specialised kernels' sizes (direct_path.cu find_reg) ------------------------------ */

/* The sizes direct_path.cu specialises (stride 1, f32/f64): 1-D K odd 3..31, 2-D KxK odd 3..15,
 * 3-D K^3 for 3, 5, 7. */
inline std::vector<std::pair<int, size_t>> specialised_sizes() {
  std::vector<std::pair<int, size_t>> v;
  for (size_t k = 3; k <= 31; k += 2) v.push_back({1, k});
  for (size_t k = 3; k <= 15; k += 2) v.push_back({2, k});
  for (size_t k = 3; k <= 7; k += 2) v.push_back({3, k});
  return v;
}

inline std::string reg_name(int rank, size_t k) {
  std::string s = "reg" + std::to_string(k);
  for (int a = 1; a < rank; a++) s += "x" + std::to_string(k);
  return s;
}

/* One case of a specialised size: shape kind 0 spans several tiles on every axis (interior
 * tiles, whose windows skip the boundary rule, and tails), 1 is smaller than one tile, 2 is one
 * element wide on the last axis. */
inline Case reg_case(int rank, size_t K, fconv_dtype t, int b, int kind, uint64_t seed) {
  size_t n[3], k[3];
  for (int a = 0; a < rank; a++) {
    k[a] = K;
    const bool last = a == rank - 1;
    if (kind == 0)  /* tiles: 1-D 1024 (f32) / 512 (f64) wide; 2-D/3-D 128 / 64 x up to 32 */
      n[a] = rank == 1 ? 3 * 1024 + K + 5 : last ? 2 * 128 + K + 3 : a == rank - 2 ? 2 * 32 + K + 1 : K + 2;
    else if (kind == 1)
      n[a] = K + (size_t)a + 2;
    else
      n[a] = last ? 1 : K + 3;
  }
  if (rank == 3 && kind == 0) { /* keep the reference affordable: fewer rows and columns */
    n[1] = 32 + K + 4;
    n[2] = 2 * 64 + K + 7;
  }
  Case c = base_case(rank, n, k, t, seed);
  static const fconv_mode modes[4] = {FCONV_MODE_FULL, FCONV_MODE_SAME, FCONV_MODE_VALID,
                                      FCONV_MODE_PAD};
  c.d.mode = modes[(b + K / 2) % 4];
  if (kind == 2 && rank > 1 && c.d.mode == FCONV_MODE_VALID) c.d.mode = FCONV_MODE_SAME; /* not crossed */
  c.d.op = (fconv_op)(b % 2);
  c.d.boundary = (fconv_boundary)b;
  if (c.d.mode == FCONV_MODE_PAD)
    for (int a = 0; a < rank; a++) {
      c.d.pad_before[a] = kind && (a + b) % 3 == 0 ? 2 * n[a] + 3 : K / 2 + a; /* > n */
      c.d.pad_after[a] = K - 1;
    }
  switch ((b + kind) % 4) {
  case 0: break;
  case 1: c.d.batch = 2; break;
  case 2: c.d.batch = c.d.kernel_batch = 2; break;
  case 3: c.d.kernel_batch = 3; break;
  }
  c.device_ptrs = (b + kind) % 3 == 1;
  return c;
}

/* Every specialised size of one rank, both dtypes, each boundary rule, against the reference;
 * the plan must name the specialised variant (a wrong dispatch fails here). */
inline void run_specialised_sizes(int rank, const MemOps *dev) {
  for (const auto &rk : specialised_sizes()) {
    if (rk.first != rank) continue;
    for (fconv_dtype t : {FCONV_F32, FCONV_F64})
      for (int b = 0; b < 5; b++) {
        const int kind = (b + (int)rk.second) % 3;
        Case c = reg_case(rank, rk.second, t, b, kind, 7000 + 100 * rk.second + 10 * b + t);
        const std::string want = reg_name(rank, rk.second);
        bool swapped = false;
        for (int a = 0; a < rank; a++)
          swapped |= c.d.mode == FCONV_MODE_VALID && c.d.signal_shape[a] < c.d.kernel_shape[a];
        if (!swapped) c.expect_variant = want.c_str();
        EXPECT_TRUE(run_case(c, dev)) << describe(c);
      }
  }
}

}  // namespace cuda_direct_test

#endif
