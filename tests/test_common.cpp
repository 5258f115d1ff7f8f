// test_common.cpp — see test_common.h.
#include "test_common.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>

namespace ft {

// ---- seeds -----------------------------------------------------------------------------------

uint64_t base_seed() {
  static const uint64_t seed = [] {
    uint64_t s;
    const char *e = std::getenv("FCONV_TEST_SEED");
    if (e && *e) {
      s = std::strtoull(e, nullptr, 10);
    } else {
      std::random_device rd;
      s = ((uint64_t)rd() << 32) ^ rd();
    }
    std::cout << "[   seed   ] FCONV_TEST_SEED=" << s << " reproduces this run\n";
    return s;
  }();
  return seed;
}

std::mt19937_64 rng() {
  std::string name = "?";
  if (const ::testing::TestInfo *ti = ::testing::UnitTest::GetInstance()->current_test_info())
    name = std::string(ti->test_suite_name()) + "." + ti->name();
  uint64_t h = 1469598103934665603ull; // FNV-1a of the test name, mixed with the base seed
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  const uint64_t s = base_seed() ^ h;
  ::testing::Test::RecordProperty("fconv_test_seed", std::to_string(base_seed()));
  return std::mt19937_64(s);
}

size_t uniform(std::mt19937_64 &g, size_t lo, size_t hi) {
  return std::uniform_int_distribution<size_t>(lo, hi)(g);
}

bool coin(std::mt19937_64 &g, double p) { return std::bernoulli_distribution(p)(g); }

// ---- dtypes ----------------------------------------------------------------------------------

size_t esize(fconv_dtype t) {
  switch (t) {
  case FCONV_F32: return 4;
  case FCONV_F64: return 8;
  case FCONV_C64: return 8;
  case FCONV_C128: return 16;
  }
  return 0;
}

bool is_complex(fconv_dtype t) { return t == FCONV_C64 || t == FCONV_C128; }

// ---- arrays ----------------------------------------------------------------------------------

Array::Array(fconv_dtype t, size_t n, size_t offset)
    : t_(t), n_(n), base_(kGuard + offset * esize(t)),
      buf_(base_ + n * esize(t) + kGuard + 64, kGuardByte) {
  // Place the payload `offset` elements past a 64-byte boundary of the real allocation.
  const uintptr_t p = reinterpret_cast<uintptr_t>(buf_.data());
  const size_t fix = (64 - (p + kGuard) % 64) % 64;
  base_ += fix;
  std::memset(&buf_[base_], 0, n * esize(t));
}

cld Array::get(size_t i) const {
  const unsigned char *p = &buf_[base_ + i * esize(t_)];
  switch (t_) {
  case FCONV_F32: { float v; std::memcpy(&v, p, 4); return cld(v, 0); }
  case FCONV_F64: { double v; std::memcpy(&v, p, 8); return cld(v, 0); }
  case FCONV_C64: { float v[2]; std::memcpy(v, p, 8); return cld(v[0], v[1]); }
  case FCONV_C128: { double v[2]; std::memcpy(v, p, 16); return cld(v[0], v[1]); }
  }
  return 0;
}

void Array::set(size_t i, cld z) {
  unsigned char *p = &buf_[base_ + i * esize(t_)];
  switch (t_) {
  case FCONV_F32: { float v = (float)z.real(); std::memcpy(p, &v, 4); break; }
  case FCONV_F64: { double v = (double)z.real(); std::memcpy(p, &v, 8); break; }
  case FCONV_C64: { float v[2] = {(float)z.real(), (float)z.imag()}; std::memcpy(p, v, 8); break; }
  case FCONV_C128: {
    double v[2] = {(double)z.real(), (double)z.imag()};
    std::memcpy(p, v, 16);
    break;
  }
  }
}

std::vector<cld> Array::values() const {
  std::vector<cld> v(n_);
  for (size_t i = 0; i < n_; i++) v[i] = get(i);
  return v;
}

void Array::set_values(const std::vector<cld> &v) {
  for (size_t i = 0; i < n_ && i < v.size(); i++) set(i, v[i]);
}

void Array::fill_random(std::mt19937_64 &g) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (size_t i = 0; i < n_; i++) {
    const double re = u(g), im = is_complex(t_) ? u(g) : 0.0;
    set(i, cld(re, im));
  }
}

void Array::fill_pattern(unsigned char byte) {
  std::memset(&buf_[base_], byte, n_ * esize(t_));
}

bool Array::all_bytes(unsigned char byte) const {
  for (size_t i = 0; i < n_ * esize(t_); i++)
    if (buf_[base_ + i] != byte) return false;
  return true;
}

bool Array::guards_intact() const {
  for (size_t i = 0; i < base_; i++)
    if (buf_[i] != kGuardByte) return false;
  for (size_t i = base_ + n_ * esize(t_); i < buf_.size(); i++)
    if (buf_[i] != kGuardByte) return false;
  return true;
}

bool Array::same_bytes(const Array &o) const {
  return t_ == o.t_ && n_ == o.n_ &&
         std::memcmp(&buf_[base_], &o.buf_[o.base_], n_ * esize(t_)) == 0;
}

// ---- descriptions ----------------------------------------------------------------------------

fconv_desc make_desc(int rank, const size_t *n, const size_t *k, fconv_dtype t) {
  fconv_desc d;
  fconv_desc_init(&d, rank, n, k, t);
  return d;
}

const char *mode_name(fconv_mode m) {
  switch (m) {
  case FCONV_MODE_FULL: return "full";
  case FCONV_MODE_SAME: return "same";
  case FCONV_MODE_VALID: return "valid";
  case FCONV_MODE_PAD: return "pad";
  }
  return "?";
}

const char *op_name(fconv_op o) { return o == FCONV_OP_CONVOLVE ? "convolve" : "correlate"; }

const char *boundary_name(fconv_boundary b) {
  switch (b) {
  case FCONV_BOUNDARY_ZERO: return "zero";
  case FCONV_BOUNDARY_WRAP: return "wrap";
  case FCONV_BOUNDARY_SYMMETRIC: return "symmetric";
  case FCONV_BOUNDARY_MIRROR: return "mirror";
  case FCONV_BOUNDARY_REPLICATE: return "replicate";
  }
  return "?";
}

static std::string axes(const size_t *v, int rank) {
  std::ostringstream s;
  for (int a = 0; a < rank; a++) s << (a ? "x" : "") << v[a];
  return s.str();
}

static bool extended(const fconv_desc &d) { return (d.flags & FCONV_FLAG_EXTENDED) != 0; }

std::string describe(const fconv_desc &d) {
  std::ostringstream s;
  const int r = d.rank >= 1 && d.rank <= FCONV_MAX_RANK ? d.rank : 0;
  s << "rank " << d.rank << " " << fconv_dtype_name(d.dtype) << " signal "
    << axes(d.signal_shape, r) << " kernel " << axes(d.kernel_shape, r) << " batch " << d.batch
    << " kernel_batch " << d.kernel_batch << " " << mode_name(d.mode) << " " << op_name(d.op) << " "
    << boundary_name(d.boundary) << " stride " << axes(d.stride, r);
  if (d.mode == FCONV_MODE_PAD)
    s << " pad " << axes(d.pad_before, r) << "/" << axes(d.pad_after, r);
  if (extended(d))
    s << " channels " << d.in_channels << "->" << d.out_channels << " groups " << d.groups
      << " dilation " << axes(d.dilation, r);
  s << " method " << fconv_method_name(d.method) << " backend " << fconv_backend_name(d.backend)
    << " threads " << d.threads << " flags " << d.flags;
  return s.str();
}

size_t signal_elems(const fconv_desc &d) {
  size_t e = d.batch * (extended(d) ? d.in_channels : 1);
  for (int a = 0; a < d.rank; a++) e *= d.signal_shape[a];
  return e;
}

size_t kernel_elems(const fconv_desc &d) {
  size_t e = d.kernel_batch;
  if (extended(d) && d.groups) e *= d.out_channels * (d.in_channels / d.groups);
  for (int a = 0; a < d.rank; a++) e *= d.kernel_shape[a];
  return e;
}

// ---- comparisons -----------------------------------------------------------------------------

static double g_worst_ratio = 0;

double take_worst_ratio() {
  const double w = g_worst_ratio;
  g_worst_ratio = 0;
  return w;
}

static ::testing::AssertionResult compare(const Array &got, const std::vector<cld> &want,
                                          const reference::Result &ref, double factor,
                                          const char *what) {
  if (got.size() != ref.y.size())
    return ::testing::AssertionFailure()
           << what << ": output has " << got.size() << " elements, reference " << ref.y.size();
  if (!got.guards_intact())
    return ::testing::AssertionFailure() << what << ": the library wrote outside the output array";
  size_t bad = 0, first = 0;
  double worst = 0, worst_err = 0, worst_bound = 0;
  for (size_t i = 0; i < ref.y.size(); i++) {
    const size_t item = i / ref.per_output;
    const double bound =
        factor * reference::error_bound(got.dtype(), ref.scale[item], ref.log2_len);
    const cld g = got.get(i);
    const double err = (double)std::abs(g - want[i]);
    const bool ok = std::isfinite((double)g.real()) && std::isfinite((double)g.imag()) &&
                    err <= bound;
    const double ratio = bound > 0 ? err / bound : (err > 0 ? INFINITY : 0);
    if (!ok && bad++ == 0) first = i;
    if (!(ratio <= worst)) {
      worst = ratio;
      worst_err = err;
      worst_bound = bound;
    }
  }
  if (worst > g_worst_ratio) g_worst_ratio = worst;
  if (bad == 0) return ::testing::AssertionSuccess();
  const size_t item = first / ref.per_output, j = first % ref.per_output;
  size_t idx[3] = {0, 0, 0}, rest = j;
  for (int a = ref.rank - 1; a >= 0; a--) {
    idx[a] = rest % ref.shape[a];
    rest /= ref.shape[a];
  }
  std::ostringstream s;
  s << what << ": " << bad << " of " << ref.y.size() << " elements off; first at output " << item
    << " index (";
  for (int a = 0; a < ref.rank; a++) s << (a ? "," : "") << idx[a];
  const cld g = got.get(first);
  s << "): got (" << (double)g.real() << "," << (double)g.imag() << ") want ("
    << (double)want[first].real() << "," << (double)want[first].imag() << "); worst |err| "
    << worst_err << " vs bound " << worst_bound << " (ratio " << worst << ")";
  return ::testing::AssertionFailure() << s.str();
}

::testing::AssertionResult matches_reference(const Array &got, const reference::Result &ref) {
  return compare(got, ref.y, ref, 1.0, "vs reference");
}

::testing::AssertionResult outputs_agree(const Array &a, const Array &b,
                                         const reference::Result &ref) {
  return compare(a, b.values(), ref, 2.0, "between two runs");
}

reference::Result reference_of(const fconv_desc &d, const Array &x, const Array &h) {
  reference::Result r;
  std::string why;
  const bool ok = reference::convolve(d, x.values(), h.values(), &r, &why);
  EXPECT_TRUE(ok) << "the reference refuses " << describe(d) << ": " << why;
  return r;
}

// ---- method x backend ------------------------------------------------------------------------

std::vector<MethodBackend> all_method_backends() {
  std::vector<MethodBackend> v;
  for (fconv_backend b : {FCONV_BACKEND_CPU, FCONV_BACKEND_CUDA})
    for (fconv_method m :
         {FCONV_METHOD_DIRECT, FCONV_METHOD_FFT, FCONV_METHOD_OVERLAP_SAVE, FCONV_METHOD_AUTO})
      v.push_back({m, b});
  v.push_back({FCONV_METHOD_AUTO, FCONV_BACKEND_AUTO});
  return v;
}

std::string name_of(const MethodBackend &mb) {
  std::string m = fconv_method_name(mb.method);
  for (char &c : m)
    if (c == '-') c = '_';
  return m + "_" + fconv_backend_name(mb.backend);
}

std::ostream &operator<<(std::ostream &os, const MethodBackend &mb) { return os << name_of(mb); }

fconv_status probe(const MethodBackend &mb, fconv_dtype t, int rank) {
  const size_t n[3] = {9, 9, 9}, k[3] = {3, 3, 3};
  fconv_desc d = make_desc(rank, n, k, t);
  d.method = mb.method;
  d.backend = mb.backend;
  fconv_plan *p = nullptr;
  const fconv_status st = fconv_plan_create(&p, &d);
  fconv_plan_destroy(p);
  return st;
}

} // namespace ft
