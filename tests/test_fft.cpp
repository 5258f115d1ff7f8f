// test_fft.cpp — the CPU FFT and overlap-save paths' own contract, through the public API.
//
// The reference is the CPU direct path (METHOD_DIRECT), which the direct path's own suites
// verify against an independent oracle. Accuracy bound: the suite's one bound,
// reference::error_bound (DESIGN.md), here with the tighter C = 4 (kC / reference::kBoundC):
//   max|y - ref| <= C * eps(dtype) * log2(prod transform_shape) * ||xe||_2 * ||g||_2
// per output item, where xe is the extended signal window (reference::extend, np.pad's
// algorithm) and g the kernel. Arrays, element sizes and the RNG are the test kit's
// (test_common.h). Seeds are fixed and printed on failure.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <complex>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fconv.h"
#include "reference.h"
#include "test_common.h"

namespace {

constexpr double kC = 4.0;

using Buf = ft::Array; /* the kit's typed array, read back as complex<long double> */
using Rng = std::mt19937_64;

double eps(fconv_dtype t) { return reference::eps_of(t); }
/* Element i of b as complex<double> (the kit's arrays read back in long double). */
std::complex<double> at(const Buf &b, size_t i) { return std::complex<double>(b.get(i)); }

size_t prod(const size_t *s, int r) {
  size_t p = 1;
  for (int a = 0; a < r; a++) p *= s[a];
  return p;
}

void pads(const fconv_desc &d, int a, size_t *p0, size_t *p1) {
  const size_t k = d.kernel_shape[a];
  switch (d.mode) {
  case FCONV_MODE_FULL: *p0 = *p1 = k - 1; break;
  case FCONV_MODE_SAME: *p0 = k / 2; *p1 = (k - 1) / 2; break;
  case FCONV_MODE_VALID: *p0 = *p1 = 0; break;
  default: *p0 = d.pad_before[a]; *p1 = d.pad_after[a];
  }
}

// ||xe||_2 of signal item `item`: the window extended by reference::extend (np.pad's algorithm).
double window_norm(const fconv_desc &d, const Buf &x, size_t item) {
  const int r = d.rank;
  size_t p0[3] = {0, 0, 0}, p1[3] = {0, 0, 0}, ext[3] = {1, 1, 1};
  for (int a = 0; a < r; a++) pads(d, a, &p0[a], &p1[a]);
  const size_t se = prod(d.signal_shape, r);
  std::vector<reference::cld> xi(se);
  for (size_t i = 0; i < se; i++) xi[i] = at(x, item * se + i);
  const std::vector<reference::cld> xe = reference::extend(xi, r, d.signal_shape, p0, p1,
                                                           d.boundary, ext);
  long double s = 0;
  for (const reference::cld &v : xe) s += std::norm(v);
  return (double)std::sqrt(s);
}

double kernel_norm(const fconv_desc &d, const Buf &h, size_t item) {
  const size_t ke = prod(d.kernel_shape, d.rank);
  double s = 0;
  for (size_t i = 0; i < ke; i++) s += std::norm(at(h, item * ke + i));
  return std::sqrt(s);
}

struct PathRun {
  fconv_status st = FCONV_ERR_INTERNAL;
  Buf y{FCONV_F32, 0};
  fconv_plan_info info{};
};

// Create a plan for d with method m, optionally set_kernel, execute once.
PathRun run(fconv_desc d, fconv_method m, const Buf &x, const Buf &h, bool use_set) {
  PathRun r;
  d.method = m;
  fconv_plan *pl = nullptr;
  r.st = fconv_plan_create(&pl, &d);
  if (r.st != FCONV_OK) return r;
  size_t os[3];
  fconv_plan_output_shape(pl, os);
  const size_t count = std::max(d.batch, d.kernel_batch);
  r.y = Buf(d.dtype, prod(os, d.rank) * count);
  if (use_set) {
    r.st = fconv_plan_set_kernel(pl, h.data());
    if (r.st == FCONV_OK) r.st = fconv_execute(pl, x.data(), nullptr, r.y.data());
  } else {
    r.st = fconv_execute(pl, x.data(), h.data(), r.y.data());
  }
  fconv_plan_get_info(pl, &r.info);
  fconv_plan_destroy(pl);
  return r;
}

// Check y against ref item by item with the DESIGN.md bound. Returns the worst err/bound.
double check_bound(const fconv_desc &d, const Buf &x, const Buf &h, const Buf &y, const Buf &ref,
                   const fconv_plan_info &info, const std::string &what) {
  const size_t count = std::max(d.batch, d.kernel_batch);
  const size_t per = y.size() / count;
  double tl = 1;
  for (int a = 0; a < d.rank; a++) tl *= std::max<size_t>(info.transform_shape[a], 2);
  double worst = 0;
  for (size_t i = 0; i < count; i++) {
    const size_t si = d.batch == 1 ? 0 : i, ki = d.kernel_batch == 1 ? 0 : i;
    double bound = kC / reference::kBoundC *
                   reference::error_bound(d.dtype, window_norm(d, x, si) * kernel_norm(d, h, ki),
                                          std::log2(tl));
    bound = std::max(bound, 1e-300);
    double err = 0;
    for (size_t j = 0; j < per; j++) err = std::max(err, std::abs(at(y, i * per + j) - at(ref, i * per + j)));
    EXPECT_LE(err, bound) << what << " item " << i;
    worst = std::max(worst, err / bound);
  }
  return worst;
}

std::string describe(const fconv_desc &d) {
  char b[400];
  std::snprintf(b, sizeof b,
                "rank %d dtype %s n %zux%zux%zu k %zux%zux%zu mode %d op %d boundary %d stride "
                "%zu,%zu,%zu pad %zu/%zu batch %zu kernel_batch %zu threads %d",
                d.rank, fconv_dtype_name(d.dtype), d.signal_shape[0], d.signal_shape[1],
                d.signal_shape[2], d.kernel_shape[0], d.kernel_shape[1], d.kernel_shape[2],
                (int)d.mode, (int)d.op, (int)d.boundary, d.stride[0], d.stride[1], d.stride[2],
                d.pad_before[0], d.pad_after[0], d.batch, d.kernel_batch, d.threads);
  return b;
}

bool smooth7(size_t m) {
  if (m == 0) return false;
  for (size_t p : {2, 3, 5, 7})
    while (m % p == 0) m /= p;
  return m == 1;
}

// Plan-time effort: FFTW_MEASURE planning takes 0.1 s to seconds per plan; most tests use
// ESTIMATE plans (identical fconv code paths, other FFTW algorithms), restored afterwards.
// ConcurrentPlansOnThreads keeps the default policy and forces MEASURE on half its plans.
struct EstimatePlanner {
  std::string old;
  bool had;
  EstimatePlanner() {
    const char *e = std::getenv("FCONV_FFTW_PLANNER");
    had = e != nullptr;
    if (had) old = e;
    setenv("FCONV_FFTW_PLANNER", "estimate", 1);
  }
  ~EstimatePlanner() {
    if (had) setenv("FCONV_FFTW_PLANNER", old.c_str(), 1);
    else unsetenv("FCONV_FFTW_PLANNER");
  }
};

fconv_desc make_desc(int rank, std::initializer_list<size_t> n, std::initializer_list<size_t> k,
                     fconv_dtype t) {
  size_t ns[3] = {1, 1, 1}, ks[3] = {1, 1, 1};
  std::copy(n.begin(), n.end(), ns);
  std::copy(k.begin(), k.end(), ks);
  fconv_desc d;
  fconv_desc_init(&d, rank, ns, ks, t);
  d.backend = FCONV_BACKEND_CPU;
  return d;
}

Buf signal_for(const fconv_desc &d, Rng &g) {
  Buf x(d.dtype, prod(d.signal_shape, d.rank) * d.batch);
  x.fill_random(g);
  return x;
}
Buf kernel_for(const fconv_desc &d, Rng &g) {
  Buf h(d.dtype, prod(d.kernel_shape, d.rank) * d.kernel_batch);
  h.fill_random(g);
  return h;
}

const fconv_method kMethods[2] = {FCONV_METHOD_FFT, FCONV_METHOD_OVERLAP_SAVE};

// The policy tests' problem: 1-D f32 2^17 samples, 8192 taps, SAME (a transform method wins).
fconv_desc policy_desc(unsigned flags) {
  fconv_desc d = make_desc(1, {1 << 17}, {8192}, FCONV_F32);
  d.mode = FCONV_MODE_SAME;
  d.flags = flags;
  return d;
}

}  // namespace

// Every rank x dtype x mode x op x boundary, with strides, batches, filter banks and paddings
// cycled through, for both methods, with set_kernel and with an explicit kernel.
TEST(FftPaths, EveryCombinationMatchesDirect) {
  EstimatePlanner est;
  const unsigned seed = 20240611;
  Rng g(seed);
  int combo = 0;
  double worst = 0;
  for (int rank = 1; rank <= 3; rank++)
    for (int t = 0; t < 4; t++)
      for (int mode = 0; mode < 4; mode++)
        for (int op = 0; op < 2; op++)
          for (int bnd = 0; bnd < 5; bnd++, combo++) {
            const size_t nmax = rank == 1 ? 40 : rank == 2 ? 12 : 6, kmax = rank == 1 ? 9 : 4;
            size_t ns[3], ks[3];
            for (int a = 0; a < rank; a++) {
              ns[a] = 1 + g() % nmax;
              ks[a] = 1 + g() % kmax;
            }
            fconv_desc d;
            fconv_desc_init(&d, rank, ns, ks, (fconv_dtype)t);
            d.backend = FCONV_BACKEND_CPU;
            d.mode = (fconv_mode)mode;
            d.op = (fconv_op)op;
            d.boundary = (fconv_boundary)bnd;
            d.threads = 1 + combo % 2;
            for (int a = 0; a < rank; a++) {
              d.stride[a] = 1 + (size_t)((combo / 3 + a) % 3);
              d.pad_before[a] = g() % 9;
              d.pad_after[a] = g() % 9;
              if (combo % 7 == 0) d.pad_before[a] += 40; /* long padding, repeated extension */
              if (ns[a] + d.pad_before[a] + d.pad_after[a] < ks[a]) d.pad_after[a] = ks[a];
            }
            if (d.mode == FCONV_MODE_VALID) { /* shapes must nest: grow the signal */
              for (int a = 0; a < rank; a++) d.signal_shape[a] = std::max(ns[a], ks[a]);
            }
            switch (combo % 4) { /* single, batch x one kernel, pairs, filter bank */
            case 1: d.batch = 3; break;
            case 2: d.batch = d.kernel_batch = 2; break;
            case 3: d.kernel_batch = 3; break;
            }
            Buf x = signal_for(d, g), h = kernel_for(d, g);
            PathRun ref = run(d, FCONV_METHOD_DIRECT, x, h, false);
            ASSERT_EQ(ref.st, FCONV_OK) << describe(d);
            for (fconv_method m : kMethods)
              for (int use_set = 0; use_set < 2; use_set++) {
                PathRun r = run(d, m, x, h, use_set);
                const std::string what = describe(d) + " method " + fconv_method_name(m) +
                                         (use_set ? " set_kernel" : " explicit") +
                                         " seed " + std::to_string(seed);
                ASSERT_EQ(r.st, FCONV_OK) << what;
                EXPECT_EQ(r.info.method, m) << what;
                worst = std::max(worst, check_bound(d, x, h, r.y, ref.y, r.info, what));
              }
          }
  RecordProperty("worst_err_over_bound", std::to_string(worst));
}

// Overlap-save with many blocks per axis (long signals, short kernels), every boundary. The
// shapes are long enough that the model sections them (6x10x900 became one block when the
// 2-thread speedup of per-thread chunks was re-measured at 1.26 on a 2-core VM).
TEST(FftPaths, OverlapSaveManyBlocksMatchesDirect) {
  EstimatePlanner est;
  Rng g(77);
  struct S { int rank; size_t n[3], k[3]; };
  const S shapes[] = {{1, {3000}, {9}}, {2, {150, 170}, {5, 3}}, {3, {6, 10, 3000}, {3, 3, 5}}};
  for (const S &s : shapes)
    for (int bnd = 0; bnd < 5; bnd++)
      for (int mode : {FCONV_MODE_SAME, FCONV_MODE_FULL, FCONV_MODE_VALID}) {
        fconv_desc d;
        fconv_desc_init(&d, s.rank, s.n, s.k, bnd % 2 ? FCONV_F64 : FCONV_F32);
        d.backend = FCONV_BACKEND_CPU;
        d.boundary = (fconv_boundary)bnd;
        d.mode = (fconv_mode)mode;
        d.op = bnd % 2 ? FCONV_OP_CORRELATE : FCONV_OP_CONVOLVE;
        d.stride[0] = bnd == 3 ? 2 : 1;
        d.threads = 2;
        Buf x = signal_for(d, g), h = kernel_for(d, g);
        PathRun ref = run(d, FCONV_METHOD_DIRECT, x, h, false);
        PathRun r = run(d, FCONV_METHOD_OVERLAP_SAVE, x, h, true);
        ASSERT_EQ(r.st, FCONV_OK) << describe(d);
        size_t blocks = 1, os[3] = {r.info.output_shape[0], r.info.output_shape[1], r.info.output_shape[2]};
        for (int a = 0; a < s.rank; a++) {
          ASSERT_GT(r.info.block_shape[a], 0u);
          blocks *= (os[a] + r.info.block_shape[a] - 1) / r.info.block_shape[a];
        }
        EXPECT_GT(blocks, 1u) << describe(d) << ": expected a sectioned geometry";
        check_bound(d, x, h, r.y, ref.y, r.info, describe(d));
      }
}

// Transform slots whose rows reach 1 KiB get padded pitches (fft_plan.c, fc_pad_pitches: rows of
// an odd number of 64-byte lines, an odd row count per plane in 3-D): every dtype, 2-D and 3-D,
// odd and even extents, batches and filter banks, both methods, both kernel paths, against the
// direct path. A slot layout that FFTW and the pack/multiply/crop passes read differently (the
// embed of the halved axis, the plane pitch) fails here.
TEST(FftPaths, PaddedSlotLayoutsMatchDirect) {
  EstimatePlanner est;
  const unsigned seed = 4099;
  Rng g(seed);
  struct S { int rank; size_t n[3], k[3]; fconv_dtype t; size_t batch, kbatch; };
  const S shapes[] = {
      {2, {40, 600}, {5, 7}, FCONV_F32, 1, 1},     {2, {33, 255}, {4, 3}, FCONV_F32, 2, 1},
      {2, {24, 200}, {3, 3}, FCONV_C64, 1, 2},     {2, {20, 130}, {3, 5}, FCONV_F64, 2, 2},
      {2, {17, 70}, {3, 3}, FCONV_C128, 1, 1},     {3, {5, 12, 300}, {3, 3, 3}, FCONV_F32, 1, 1},
      {3, {4, 10, 140}, {3, 2, 3}, FCONV_C64, 2, 1}, {3, {3, 7, 70}, {2, 3, 3}, FCONV_C128, 1, 2},
      {3, {4, 9, 150}, {3, 3, 5}, FCONV_F64, 1, 1},
      /* planes of 2^k rows: the plane rule adds spare rows (64 x 65 and 32 x 64 elements) */
      {3, {4, 62, 126}, {3, 3, 3}, FCONV_F32, 2, 1}, {3, {3, 30, 62}, {2, 3, 3}, FCONV_C64, 1, 2}};
  int i = 0;
  for (const S &s : shapes)
    for (fconv_method m : kMethods) {
      fconv_desc d;
      fconv_desc_init(&d, s.rank, s.n, s.k, s.t);
      d.backend = FCONV_BACKEND_CPU;
      d.mode = (fconv_mode)(i % 3); /* FULL, SAME, VALID */
      d.boundary = (fconv_boundary)(i % 5);
      d.batch = s.batch;
      d.kernel_batch = s.kbatch;
      d.threads = 1 + i % 2;
      Buf x = signal_for(d, g), h = kernel_for(d, g);
      PathRun ref = run(d, FCONV_METHOD_DIRECT, x, h, false);
      ASSERT_EQ(ref.st, FCONV_OK) << describe(d);
      const int use_set = i++ % 2;
      PathRun r = run(d, m, x, h, use_set);
      const std::string what = describe(d) + " method " + fconv_method_name(m) + " seed " +
                               std::to_string(seed);
      ASSERT_EQ(r.st, FCONV_OK) << what;
      EXPECT_EQ(r.info.method, m) << what;
      check_bound(d, x, h, r.y, ref.y, r.info, what);
    }
}

// One plan executed on many different signals gives what fresh plans give.
TEST(FftPaths, PlanReuseEqualsFreshPlans) {
  EstimatePlanner est;
  Rng g(5);
  const fconv_desc descs[] = {make_desc(1, {1000}, {31}, FCONV_F32),
                              make_desc(2, {60, 50}, {7, 5}, FCONV_C64),
                              make_desc(3, {20, 18, 16}, {3, 3, 3}, FCONV_F64)};
  for (fconv_desc d : descs)
    for (fconv_method m : kMethods) {
      d.method = m;
      d.boundary = FCONV_BOUNDARY_SYMMETRIC;
      d.mode = FCONV_MODE_SAME;
      d.batch = 2;
      fconv_plan *pl = nullptr;
      ASSERT_EQ(fconv_plan_create(&pl, &d), FCONV_OK);
      Buf h = kernel_for(d, g);
      ASSERT_EQ(fconv_plan_set_kernel(pl, h.data()), FCONV_OK);
      size_t os[3];
      fconv_plan_output_shape(pl, os);
      for (int rep = 0; rep < 6; rep++) {
        Buf x = signal_for(d, g);
        Buf y(d.dtype, prod(os, d.rank) * d.batch), yf(d.dtype, y.size());
        ASSERT_EQ(fconv_execute(pl, x.data(), nullptr, y.data()), FCONV_OK);
        ASSERT_EQ(fconv_convolve(&d, x.data(), h.data(), yf.data()), FCONV_OK);
        double mx = 0, diff = 0;
        for (size_t i = 0; i < y.size(); i++) {
          mx = std::max(mx, std::abs(at(yf, i)));
          diff = std::max(diff, std::abs(at(y, i) - at(yf, i)));
        }
        EXPECT_LE(diff, 1e-12 + 50 * eps(d.dtype) * mx)
            << describe(d) << " " << fconv_method_name(m) << " rep " << rep;
      }
      fconv_plan_destroy(pl);
    }
}

// set_kernel + execute(NULL) equals execute(kernel); an explicit kernel does not clobber the
// one set; an explicit kernel changed in place between executes is used as changed.
TEST(FftPaths, KernelCachingContract) {
  EstimatePlanner est;
  Rng g(11);
  fconv_desc descs[] = {make_desc(1, {700}, {40}, FCONV_F32), make_desc(2, {40, 44}, {6, 7}, FCONV_C128)};
  for (fconv_desc d : descs)
    for (fconv_method m : kMethods) {
      d.method = m;
      d.kernel_batch = 2;
      d.batch = 2;
      d.op = FCONV_OP_CORRELATE;
      fconv_plan *pl = nullptr;
      ASSERT_EQ(fconv_plan_create(&pl, &d), FCONV_OK);
      size_t os[3];
      fconv_plan_output_shape(pl, os);
      const size_t ny = prod(os, d.rank) * 2;
      Buf x = signal_for(d, g), h1 = kernel_for(d, g), h2 = kernel_for(d, g);
      Buf y1(d.dtype, ny), y1n(d.dtype, ny), y2(d.dtype, ny), y1again(d.dtype, ny), y2b(d.dtype, ny),
          y2bref(d.dtype, ny);
      ASSERT_EQ(fconv_execute(pl, x.data(), h1.data(), y1.data()), FCONV_OK);
      ASSERT_EQ(fconv_plan_set_kernel(pl, h1.data()), FCONV_OK);
      ASSERT_EQ(fconv_execute(pl, x.data(), nullptr, y1n.data()), FCONV_OK);
      ASSERT_EQ(fconv_execute(pl, x.data(), h2.data(), y2.data()), FCONV_OK);
      ASSERT_EQ(fconv_execute(pl, x.data(), nullptr, y1again.data()), FCONV_OK);
      // change h2 in place (same pointer) and execute again
      Buf h2b = h2;
      for (size_t i = 0; i < h2b.size(); i += 3) h2b.set(i, h2b.get(i) * 2.0L + 1.0L);
      std::memcpy(h2.data(), h2b.data(), h2b.size() * ft::esize(h2b.dtype()));
      ASSERT_EQ(fconv_execute(pl, x.data(), h2.data(), y2b.data()), FCONV_OK);
      ASSERT_EQ(fconv_convolve(&d, x.data(), h2b.data(), y2bref.data()), FCONV_OK);
      fconv_plan_destroy(pl);
      double mx = 0, d1 = 0, d2 = 0, d3 = 0, d21 = 0;
      for (size_t i = 0; i < ny; i++) {
        mx = std::max(mx, std::abs(at(y1, i)));
        d1 = std::max(d1, std::abs(at(y1, i) - at(y1n, i)));
        d2 = std::max(d2, std::abs(at(y1, i) - at(y1again, i)));
        d3 = std::max(d3, std::abs(at(y2b, i) - at(y2bref, i)));
        d21 = std::max(d21, std::abs(at(y2, i) - at(y1, i)));
      }
      const double tol = 1e-12 + 50 * eps(d.dtype) * mx;
      const std::string what = describe(d) + " " + fconv_method_name(m);
      EXPECT_LE(d1, tol) << what << ": set_kernel + NULL differs from the explicit kernel";
      EXPECT_LE(d2, tol) << what << ": the explicit kernel clobbered the set one";
      EXPECT_LE(d3, tol) << what << ": a kernel changed in place was not re-transformed";
      EXPECT_GT(d21, 100 * tol) << what << ": different kernels gave the same result";
    }
}

// Plans created, executed and destroyed concurrently from several threads are correct.
TEST(FftPaths, ConcurrentPlansOnThreads) {
  const int nthreads = 6;
  std::vector<fconv_desc> ds;
  std::vector<Buf> xs, hs, refs;
  Rng g(3);
  for (int i = 0; i < nthreads; i++) {
    fconv_desc d = i % 3 == 0 ? make_desc(1, {2000 + 37 * (size_t)i}, {17 + (size_t)i}, FCONV_F32)
                   : i % 3 == 1 ? make_desc(2, {64, 60 + (size_t)i}, {5, 3 + (size_t)i}, FCONV_F64)
                                : make_desc(3, {16, 14, 12 + (size_t)i}, {3, 3, 2}, FCONV_C64);
    d.mode = FCONV_MODE_SAME;
    d.boundary = (fconv_boundary)(i % 5);
    d.threads = 1 + i % 2;
    if (i % 2) d.flags |= FCONV_FLAG_MEASURE; /* FFTW_MEASURE planning, concurrently */
    ds.push_back(d);
    xs.push_back(signal_for(d, g));
    hs.push_back(kernel_for(d, g));
    refs.push_back(run(d, FCONV_METHOD_DIRECT, xs.back(), hs.back(), false).y);
  }
  std::atomic<int> bad{0};
  std::vector<std::thread> th;
  for (int i = 0; i < nthreads; i++)
    th.emplace_back([&, i] {
      for (int rep = 0; rep < 3; rep++) {
        PathRun r = run(ds[i], kMethods[(i + rep) % 2], xs[i], hs[i], rep % 2);
        if (r.st != FCONV_OK) { bad++; continue; }
        double mx = 0, diff = 0;
        for (size_t j = 0; j < r.y.size(); j++) {
          mx = std::max(mx, std::abs(at(refs[i], j)));
          diff = std::max(diff, std::abs(at(r.y, j) - at(refs[i], j)));
        }
        if (diff > 1e-4 * (mx + 1)) bad++;
      }
    });
  for (auto &t : th) t.join();
  EXPECT_EQ(bad.load(), 0);
}

// Transform lengths are 7-smooth, hold the kernel, and the FFT path's are wrap-free minimal
// for the zero boundary (no larger than the next fast length above n + k - 1).
TEST(FftPaths, TransformSizesAreSevenSmooth) {
  EstimatePlanner est;
  const fconv_desc descs[] = {make_desc(1, {1009}, {97}, FCONV_F32),
                              make_desc(2, {211, 127}, {13, 31}, FCONV_F64),
                              make_desc(3, {23, 29, 31}, {5, 7, 3}, FCONV_C64),
                              make_desc(1, {4099}, {4099}, FCONV_C128)};
  for (fconv_desc d : descs)
    for (fconv_method m : kMethods)
      for (int mode = 0; mode < 3; mode++) {
        d.method = m;
        d.mode = (fconv_mode)mode;
        fconv_plan *pl = nullptr;
        ASSERT_EQ(fconv_plan_create(&pl, &d), FCONV_OK) << describe(d);
        fconv_plan_info info;
        ASSERT_EQ(fconv_plan_get_info(pl, &info), FCONV_OK);
        for (int a = 0; a < d.rank; a++) {
          const size_t T = info.transform_shape[a];
          EXPECT_TRUE(smooth7(T)) << describe(d) << " axis " << a << " T " << T;
          EXPECT_GE(T, d.kernel_shape[a]) << describe(d);
          if (m == FCONV_METHOD_FFT) {
            EXPECT_LE(T, 2 * (d.signal_shape[a] + d.kernel_shape[a])) << describe(d);
          }
        }
        EXPECT_GT(info.workspace_bytes, 0u);
        fconv_plan_destroy(pl);
      }
}

// Overlap-save on a long signal with a short kernel: the output is sectioned into several
// blocks, transforms hold block + k - 1, and blocks are neither shorter than the kernel nor
// absurdly long (the cost model trades per-block costs against redundant work: typically
// 4-64 kernel lengths for short kernels).
TEST(FftPaths, OverlapSaveBlockShapeSensible) {
  EstimatePlanner est;
  const fconv_desc descs[] = {make_desc(1, {1 << 18}, {63}, FCONV_F32),
                              make_desc(2, {1024, 1024}, {9, 9}, FCONV_F32)};
  for (fconv_desc d : descs) {
    d.method = FCONV_METHOD_OVERLAP_SAVE;
    d.mode = FCONV_MODE_SAME;
    fconv_plan *pl = nullptr;
    ASSERT_EQ(fconv_plan_create(&pl, &d), FCONV_OK);
    fconv_plan_info info;
    fconv_plan_get_info(pl, &info);
    EXPECT_EQ(info.method, FCONV_METHOD_OVERLAP_SAVE);
    for (int a = 0; a < d.rank; a++) {
      const size_t B = info.block_shape[a], T = info.transform_shape[a], k = d.kernel_shape[a];
      EXPECT_GE(T, B + k - 1) << "axis " << a;
      EXPECT_GE(B, k / 2) << "axis " << a << ": blocks much shorter than the kernel";
      EXPECT_LE(T, 512 * k) << "axis " << a << ": blocks far longer than the kernel";
      EXPECT_LE(4 * B, info.output_shape[a]) << "axis " << a << ": fewer than 4 blocks";
    }
    fconv_plan_destroy(pl);
  }
}

// AUTO: an FFT-friendly problem picks a transform method, and set_kernel keeps it for ordinary,
// integer-valued and widely ranging kernels (all meet the FFT bound); only the range rule (a
// kernel so small that its taps scaled by 1/T round in the subnormal range) keeps direct, and
// then the forced FFT result does miss the bound while AUTO's meets it.
TEST(FftPaths, AutoAccuracyPolicy) {
  Rng g(9);
  fconv_desc d = policy_desc(0);
  Buf x = signal_for(d, g);
  EstimatePlanner est;
  Buf hr(d.dtype, d.kernel_shape[0]), hi(d.dtype, hr.size()), hw(d.dtype, hr.size()),
      ht(d.dtype, hr.size());
  std::uniform_real_distribution<double> mag(0.1, 1.0);
  for (size_t i = 0; i < hr.size(); i++) hr.set(i, {g() % 2 ? mag(g) : -mag(g), 0});
  for (size_t i = 0; i < hi.size(); i++) hi.set(i, {(double)((int)(g() % 7) - 3), 0});
  for (size_t i = 0; i < hw.size(); i++) hw.set(i, hr.get(i) * (i % 2 ? 1e-8L : 1.0L));
  for (size_t i = 0; i < ht.size(); i++) ht.set(i, hr.get(i) * 2e-38L); /* normal f32 taps */
  struct K { const Buf *h; bool direct; const char *what; };
  const K ks[] = {{&hr, false, "random kernel"}, {&hi, false, "integer kernel"},
                  {&hw, false, "range 1e8"}, {&ht, true, "taps near FLT_MIN"}};
  for (const K &k : ks) {
    fconv_plan *pl = nullptr;
    ASSERT_EQ(fconv_plan_create(&pl, &d), FCONV_OK);
    fconv_plan_info info;
    fconv_plan_get_info(pl, &info);
    ASSERT_NE(info.method, FCONV_METHOD_DIRECT) << "AUTO should model a transform as faster here";
    ASSERT_EQ(fconv_plan_set_kernel(pl, k.h->data()), FCONV_OK);
    fconv_plan_get_info(pl, &info);
    EXPECT_EQ(info.method == FCONV_METHOD_DIRECT, k.direct) << k.what << ": " << info.reason;
    if (k.direct) {
      EXPECT_NE(std::strstr(info.reason, "range rule"), nullptr) << info.reason;
    }
    EXPECT_TRUE(std::isfinite(info.estimated_seconds)) << k.what;
    fconv_plan_destroy(pl);
  }
  // The rule is needed: forced FFT on the tiny kernel misses the bound, AUTO's direct meets it.
  PathRun ref = run(d, FCONV_METHOD_DIRECT, x, ht, true);
  PathRun f = run(d, FCONV_METHOD_FFT, x, ht, true);
  PathRun a = run(d, FCONV_METHOD_AUTO, x, ht, true);
  ASSERT_EQ(ref.st, FCONV_OK);
  ASSERT_EQ(f.st, FCONV_OK);
  ASSERT_EQ(a.st, FCONV_OK);
  EXPECT_NE(std::strstr(f.info.reason, "range rule"), nullptr) << f.info.reason;
  EXPECT_TRUE(std::isfinite(f.info.estimated_seconds));
  double tl = (double)f.info.transform_shape[0];
  double bound = kC * eps(d.dtype) * std::log2(tl) * window_norm(d, x, 0) * kernel_norm(d, ht, 0);
  double ferr = 0;
  for (size_t i = 0; i < f.y.size(); i++) ferr = std::max(ferr, (double)std::abs(f.y.get(i) - ref.y.get(i)));
  EXPECT_GT(ferr, bound) << "the forced FFT result met the bound: the range rule is not needed";
  EXPECT_EQ(a.info.method, FCONV_METHOD_DIRECT);
  for (size_t i = 0; i < a.y.size(); i++) ASSERT_EQ(a.y.get(i), ref.y.get(i)) << i;
  // The integer kernel on integer data through AUTO's transform method: within the bound of
  // the exact (integer) result.
  Buf xi(d.dtype, x.size());
  for (size_t i = 0; i < xi.size(); i++) xi.set(i, {(double)((int)(g() % 5) - 2), 0});
  PathRun ai = run(d, FCONV_METHOD_AUTO, xi, hi, true);
  PathRun ri = run(d, FCONV_METHOD_DIRECT, xi, hi, true);
  ASSERT_EQ(ai.st, FCONV_OK);
  EXPECT_NE(ai.info.method, FCONV_METHOD_DIRECT) << ai.info.reason;
  check_bound(d, xi, hi, ai.y, ri.y, ai.info, "integer kernel, AUTO");
}

// FCONV_FLAG_ACCURATE: AUTO keeps the direct method (before and after set_kernel); with a
// requested transform method the flag is a contradiction.
TEST(FftPaths, AccurateFlag) {
  EstimatePlanner est;
  Rng g(10);
  fconv_desc d = policy_desc(FCONV_FLAG_ACCURATE);
  Buf x = signal_for(d, g), h = kernel_for(d, g);
  PathRun a = run(d, FCONV_METHOD_AUTO, x, h, true);
  ASSERT_EQ(a.st, FCONV_OK);
  EXPECT_EQ(a.info.method, FCONV_METHOD_DIRECT) << a.info.reason;
  EXPECT_NE(std::strstr(a.info.reason, "ACCURATE"), nullptr) << a.info.reason;
  for (fconv_method m : kMethods) {
    d.method = m;
    fconv_plan *pl = nullptr;
    EXPECT_EQ(fconv_plan_create(&pl, &d), FCONV_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(pl, nullptr);
  }
}

// FCONV_FLAG_MEASURE: the measured choice survives set_kernel (an integer kernel no longer
// sends it to direct), and the reason says it was measured.
TEST(FftPaths, MeasuredChoiceKeptAfterSetKernel) {
  EstimatePlanner est;
  Rng g(11);
  fconv_desc d = policy_desc(FCONV_FLAG_MEASURE);
  d.threads = 1;
  Buf x = signal_for(d, g), h(d.dtype, 8192);
  for (size_t i = 0; i < h.size(); i++) h.set(i, {(double)((int)(g() % 7) - 3), 0});
  fconv_plan *pl = nullptr;
  ASSERT_EQ(fconv_plan_create(&pl, &d), FCONV_OK);
  fconv_plan_info before, after;
  fconv_plan_get_info(pl, &before);
  ASSERT_EQ(before.measured, 1);
  ASSERT_EQ(fconv_plan_set_kernel(pl, h.data()), FCONV_OK);
  fconv_plan_get_info(pl, &after);
  EXPECT_EQ(after.method, before.method) << before.reason << " -> " << after.reason;
  EXPECT_NE(std::strstr(after.reason, "measured"), nullptr) << after.reason;
  EXPECT_TRUE(std::isfinite(after.estimated_seconds));
  fconv_plan_destroy(pl);
}

// get_info models what runs: a separable kernel on a forced direct plan reports the separable
// passes, a finite estimate below the general one, and says so in the reason.
TEST(FftPaths, InfoReportsSeparableModel) {
  EstimatePlanner est;
  fconv_desc d = make_desc(2, {512, 512}, {15, 15}, FCONV_F32);
  d.mode = FCONV_MODE_SAME;
  d.method = FCONV_METHOD_DIRECT;
  Buf h(d.dtype, 15 * 15);
  for (int i = 0; i < 15; i++)
    for (int j = 0; j < 15; j++) h.set((size_t)(i * 15 + j), {std::exp(-0.1 * ((i - 7) * (i - 7) + (j - 7) * (j - 7))), 0});
  fconv_plan *pl = nullptr;
  ASSERT_EQ(fconv_plan_create(&pl, &d), FCONV_OK);
  fconv_plan_info before, after;
  fconv_plan_get_info(pl, &before);
  ASSERT_EQ(fconv_plan_set_kernel(pl, h.data()), FCONV_OK);
  fconv_plan_get_info(pl, &after);
  EXPECT_EQ(after.method, FCONV_METHOD_DIRECT);
  EXPECT_EQ(after.separable, 1);
  EXPECT_TRUE(std::isfinite(after.estimated_seconds));
  EXPECT_LT(after.estimated_seconds, before.estimated_seconds);
  EXPECT_NE(std::strstr(after.reason, "separable"), nullptr) << after.reason;
  EXPECT_EQ(after.candidate_seconds[FCONV_METHOD_DIRECT], after.estimated_seconds);
  fconv_plan_destroy(pl);
}

// The execute path makes set_kernel's kernel-aware choice for an explicit kernel (issue 9: a
// Gaussian 31x31 passed to execute ran overlap-save at 2.7x the separable direct time): an
// AUTO plan switches to separable direct for a rank-1 kernel, back to the transform method for
// a full-rank one, and execute(NULL) runs the choice for the kernel set; every result matches
// the forced direct path.
TEST(FftPaths, ExecutePathRefinesLikeSetKernel) {
  EstimatePlanner est;
  const unsigned seed = 31337;
  Rng g(seed);
  fconv_desc d = make_desc(2, {256, 256}, {31, 31}, FCONV_F32);
  d.mode = FCONV_MODE_SAME;
  d.threads = 1;
  Buf x = signal_for(d, g), hr = kernel_for(d, g), hg(d.dtype, 31 * 31);
  for (int i = 0; i < 31; i++)
    for (int j = 0; j < 31; j++)
      hg.set((size_t)(i * 31 + j), {std::exp(-0.02 * ((i - 15) * (i - 15) + (j - 15) * (j - 15))), 0});
  const PathRun ref_r = run(d, FCONV_METHOD_DIRECT, x, hr, false);
  const PathRun ref_g = run(d, FCONV_METHOD_DIRECT, x, hg, false);
  ASSERT_EQ(ref_r.st, FCONV_OK);
  ASSERT_EQ(ref_g.st, FCONV_OK);
  fconv_plan *pl = nullptr;
  ASSERT_EQ(fconv_plan_create(&pl, &d), FCONV_OK);
  fconv_plan_info info;
  fconv_plan_get_info(pl, &info);
  const fconv_method created = info.method;
  ASSERT_NE(created, FCONV_METHOD_DIRECT) << "the problem must favour a transform method for a "
                                             "full-rank kernel (seed " << seed << ")";
  Buf y(d.dtype, 256 * 256);
  const std::string what = "seed " + std::to_string(seed);
  // explicit rank-1 kernel: separable direct, like set_kernel would choose
  ASSERT_EQ(fconv_execute(pl, x.data(), hg.data(), y.data()), FCONV_OK);
  fconv_plan_get_info(pl, &info);
  EXPECT_EQ(info.method, FCONV_METHOD_DIRECT) << info.reason;
  EXPECT_EQ(info.separable, 1) << info.reason;
  check_bound(d, x, hg, y, ref_g.y, info, what + " gaussian, explicit");
  {
    PathRun viaset = run(d, FCONV_METHOD_AUTO, x, hg, true);
    EXPECT_EQ(viaset.info.method, info.method) << "set_kernel and execute choose alike";
  }
  // explicit full-rank kernel: back to the transform method
  ASSERT_EQ(fconv_execute(pl, x.data(), hr.data(), y.data()), FCONV_OK);
  fconv_plan_get_info(pl, &info);
  EXPECT_EQ(info.method, created) << info.reason;
  check_bound(d, x, hr, y, ref_r.y, info, what + " random, explicit");
  // a set full-rank kernel, an explicit rank-1 one, then execute(NULL): the set kernel's choice
  ASSERT_EQ(fconv_plan_set_kernel(pl, hr.data()), FCONV_OK);
  ASSERT_EQ(fconv_execute(pl, x.data(), hg.data(), y.data()), FCONV_OK);
  fconv_plan_get_info(pl, &info);
  EXPECT_EQ(info.method, FCONV_METHOD_DIRECT);
  check_bound(d, x, hg, y, ref_g.y, info, what + " gaussian after set_kernel");
  ASSERT_EQ(fconv_execute(pl, x.data(), nullptr, y.data()), FCONV_OK);
  fconv_plan_get_info(pl, &info);
  EXPECT_EQ(info.method, created) << info.reason;
  check_bound(d, x, hr, y, ref_r.y, info, what + " set kernel after an explicit one");
  // the same explicit kernel again (the memo): still right
  ASSERT_EQ(fconv_execute(pl, x.data(), hg.data(), y.data()), FCONV_OK);
  fconv_plan_get_info(pl, &info);
  EXPECT_EQ(info.method, FCONV_METHOD_DIRECT);
  check_bound(d, x, hg, y, ref_g.y, info, what + " gaussian again");
  fconv_plan_destroy(pl);
}

// PAD with padding far larger than the signal: the FFT path transforms only the signal's
// support, and writes the zeros outside it.
TEST(FftPaths, HugeZeroPadding) {
  EstimatePlanner est;
  Rng g(21);
  fconv_desc d = make_desc(1, {100}, {7}, FCONV_F64);
  d.mode = FCONV_MODE_PAD;
  d.pad_before[0] = 1000000;
  d.pad_after[0] = 700001;
  // both methods against direct; returns the runs for further checks
  auto both = [&](const fconv_desc &dd, bool use_set) {
    Buf xx = signal_for(dd, g), hh = kernel_for(dd, g);
    PathRun ref = run(dd, FCONV_METHOD_DIRECT, xx, hh, false);
    std::vector<PathRun> rs;
    for (fconv_method m : kMethods) {
      rs.push_back(run(dd, m, xx, hh, use_set));
      EXPECT_EQ(rs.back().st, FCONV_OK);
      if (rs.back().st == FCONV_OK)
        check_bound(dd, xx, hh, rs.back().y, ref.y, rs.back().info, fconv_method_name(m));
    }
    return rs;
  };
  for (const PathRun &r : both(d, true)) {
    if (r.info.method == FCONV_METHOD_FFT) {
      EXPECT_LE(r.info.transform_shape[0], 256u);
    }
    size_t nz = 0;
    for (size_t i = 0; i < r.y.size(); i++) nz += at(r.y, i) != 0.0;
    EXPECT_EQ(nz, 106u); /* n + k - 1 outputs can be non-zero */
  }
  // 2-D, strided, non-zero boundary with long padding: the window is materialised
  fconv_desc d2 = make_desc(2, {9, 11}, {3, 4}, FCONV_F32);
  d2.mode = FCONV_MODE_PAD;
  d2.boundary = FCONV_BOUNDARY_WRAP;
  d2.pad_before[0] = 300; d2.pad_after[0] = 2;
  d2.pad_before[1] = 5; d2.pad_after[1] = 260;
  d2.stride[0] = 3;
  both(d2, false);
}

// A long 1-D signal with a long kernel: FFT and overlap-save agree, and sampled outputs match a
// direct sum computed here in double precision. Transform lengths on both sides of the engine's
// in-place / out-of-place ranges (fconv_fc_out_of_place: in place from 2^17 to 2^19 points and
// from 8 MiB of data on, out of place between: f32 up to 2^21 points, f64 up to 2^20).
TEST(FftPaths, Big1DLongKernel) {
  EstimatePlanner est;
  Rng g(31);
  const size_t k = 12289;
  struct R { size_t n, tmin, tmax; fconv_dtype t; };
  const R cases[] = {{(size_t)1 << 18, (size_t)1 << 17, (size_t)1 << 19, FCONV_F32}, /* in place */
                     {600000, (size_t)1 << 19, (size_t)1 << 21, FCONV_F32},   /* out of place */
                     {2100000, (size_t)1 << 21, (size_t)1 << 23, FCONV_F32},  /* in place */
                     {600000, (size_t)1 << 19, (size_t)1 << 20, FCONV_F64},   /* out of place */
                     {1100000, (size_t)1 << 20, (size_t)1 << 22, FCONV_F64}}; /* in place */
  for (const R &c : cases) {
    const size_t n = c.n;
    fconv_desc d = make_desc(1, {n}, {k}, c.t);
    d.mode = FCONV_MODE_SAME;
    Buf x = signal_for(d, g), h = kernel_for(d, g);
    PathRun f = run(d, FCONV_METHOD_FFT, x, h, true);
    PathRun o = run(d, FCONV_METHOD_OVERLAP_SAVE, x, h, true);
    ASSERT_EQ(f.st, FCONV_OK) << n;
    ASSERT_EQ(o.st, FCONV_OK) << n;
    EXPECT_GT(f.info.transform_shape[0], c.tmin) << n;
    EXPECT_LT(f.info.transform_shape[0], c.tmax) << n;
    double xn = 0, hn = 0;
    for (size_t i = 0; i < n; i++) xn += std::norm(at(x, i));
    for (size_t i = 0; i < k; i++) hn += std::norm(at(h, i));
    const double bound =
        kC / reference::kBoundC *
        reference::error_bound(d.dtype, std::sqrt(xn) * std::sqrt(hn),
                               std::log2((double)f.info.transform_shape[0]));
    const size_t p0 = k / 2;
    std::vector<size_t> idx = {0, 1, p0, n / 2, n - 1, n - 2};
    for (int i = 0; i < 60; i++) idx.push_back(g() % n);
    for (size_t o_ : idx) {
      double s = 0; /* y[o] = sum_m xe[o + k-1 - m] h[m], xe[e] = x[e - p0] */
      for (size_t m = 0; m < k; m++) {
        long e = (long)o_ + (long)k - 1 - (long)m - (long)p0;
        if (e >= 0 && e < (long)n) s += at(x, (size_t)e).real() * at(h, m).real();
      }
      EXPECT_NEAR(at(f.y, o_).real(), s, bound) << "fft output " << o_ << " of " << n;
      EXPECT_NEAR(at(o.y, o_).real(), s, bound) << "overlap-save output " << o_ << " of " << n;
    }
    double diff = 0;
    for (size_t i = 0; i < n; i++) diff = std::max(diff, std::abs(at(f.y, i) - at(o.y, i)));
    EXPECT_LE(diff, 2 * bound) << n;
  }
}

// Failed allocations: FCONV_ERR_OUT_OF_MEMORY, nothing leaked (ASan builds), plans still usable.
TEST(FftPaths, OutOfMemoryIsReported) {
  EstimatePlanner est;
  Rng g(41);
  fconv_desc d = make_desc(2, {40, 30}, {5, 4}, FCONV_F32);
  d.kernel_batch = 3; /* filter bank: the most buffers */
  d.threads = 2;
  Buf x = signal_for(d, g), h = kernel_for(d, g);
  for (fconv_method m : kMethods) {
    d.method = m;
    int ok = 0, oom = 0;
    for (int n = 0; n < 40; n++) {
      setenv("FCONV_FAIL_ALLOC_AFTER", std::to_string(n).c_str(), 1);
      fconv_plan *pl = nullptr;
      fconv_status st = fconv_plan_create(&pl, &d);
      if (st == FCONV_OK) {
        fconv_status s2 = fconv_plan_set_kernel(pl, h.data()); /* may allocate the spectra */
        EXPECT_TRUE(s2 == FCONV_OK || s2 == FCONV_ERR_OUT_OF_MEMORY);
        unsetenv("FCONV_FAIL_ALLOC_AFTER");
        size_t os[3];
        fconv_plan_output_shape(pl, os);
        std::vector<float> y(os[0] * os[1] * d.kernel_batch);
        EXPECT_EQ(fconv_execute(pl, x.data(), h.data(), y.data()), FCONV_OK);
        fconv_plan_destroy(pl);
        ok++;
      } else {
        EXPECT_EQ(st, FCONV_ERR_OUT_OF_MEMORY) << "allocation " << n;
        EXPECT_EQ(pl, nullptr);
        oom++;
      }
      unsetenv("FCONV_FAIL_ALLOC_AFTER");
    }
    EXPECT_GT(oom, 0);
    EXPECT_GT(ok, 0);
  }
}
