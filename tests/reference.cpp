// reference.cpp — the naive oracle (see reference.h). Written from DESIGN.md and numpy's pad
// algorithm only; deliberately slow and simple.
//
// About np.pad: numpy pads an axis whose padding is longer than the data by repeated chunk
// copies (numpy/lib/arraypad.py, _set_wrap_both / _set_reflect_both). Before numpy 2.x those
// loops could copy a chunk that was not a whole period when the two pads differ (numpy issues
// #22464, #24436, #28575; fixed by PR #22575 for 'wrap' and later for 'reflect'/'symmetric'),
// so numpy 1.24 (installed here) is not periodic for e.g. np.pad(arange(4), (9, 2), 'wrap').
// fconv's contract is "repeating as often as needed", i.e. the fixed algorithm, which is what
// pad_line implements, literally, with the fix's original_period rounding.
#include "reference.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace reference {

namespace {

void pad_wrap(std::vector<cld> &a, size_t left, size_t right) {
  const size_t L = a.size(), original_period = L - left - right;
  size_t lp = left, rp = right;
  while (lp > 0 || rp > 0) { // numpy: _set_wrap_both, called until both pads are filled
    size_t period = L - rp - lp;
    period = period / original_period * original_period;
    size_t new_lp = 0, new_rp = 0;
    if (lp > 0) {
      // chunk = padded[left_pad + period - min(period, left_pad) : left_pad + period]
      const size_t slice_end = lp + period, chunk = std::min(period, lp);
      const size_t slice_start = slice_end - chunk;
      const size_t dst = lp > period ? lp - period : 0;
      if (lp > period) new_lp = lp - period;
      for (size_t j = 0; j < chunk; j++) a[dst + j] = a[slice_start + j];
    }
    if (rp > 0) {
      // chunk = padded[-right_pad - period : -right_pad - period + min(period, right_pad)]
      const size_t slice_start = L - rp - period, chunk = std::min(period, rp);
      const size_t dst = L - rp;
      if (rp > period) new_rp = rp - period;
      for (size_t j = 0; j < chunk; j++) a[dst + j] = a[slice_start + j];
    }
    lp = new_lp;
    rp = new_rp;
  }
}

void pad_reflect(std::vector<cld> &a, size_t left, size_t right, bool include_edge) {
  const size_t L = a.size(), original_period = L - left - right;
  if (original_period == 1) { // numpy: legacy singleton extension is 'edge' for both modes
    for (size_t i = 0; i < left; i++) a[i] = a[left];
    for (size_t i = L - right; i < L; i++) a[i] = a[left];
    return;
  }
  size_t lp = left, rp = right;
  while (lp > 0 || rp > 0) { // numpy: _set_reflect_both
    size_t old_length = L - rp - lp, edge_offset;
    if (include_edge) {
      old_length = old_length / original_period * original_period;
      edge_offset = 1;
    } else {
      old_length = (old_length - 1) / (original_period - 1) * (original_period - 1) + 1;
      edge_offset = 0;
      old_length -= 1;
    }
    if (lp > 0) {
      // left_chunk = padded[stop + chunk : stop : -1] with stop = left_pad - edge_offset,
      // written to padded[left_pad - chunk : left_pad]
      const size_t chunk = std::min(old_length, lp);
      const size_t start = lp - edge_offset + chunk;
      for (size_t j = 0; j < chunk; j++) a[lp - chunk + j] = a[start - j];
      lp -= chunk;
    }
    if (rp > 0) {
      // right_chunk = padded[s : s - chunk : -1] with s = -right_pad + edge_offset - 2,
      // written to padded[L - right_pad : L - right_pad + chunk]
      const size_t chunk = std::min(old_length, rp);
      const size_t start = L - rp + edge_offset - 2;
      for (size_t j = 0; j < chunk; j++) a[L - rp + j] = a[start - j];
      rp -= chunk;
    }
  }
}

long double norm2(const std::vector<cld> &v) {
  long double s = 0;
  for (const cld &z : v) s += std::norm(z);
  return std::sqrt(s);
}

size_t prod3(const size_t *e) { return e[0] * e[1] * e[2]; }

// One pair: signal s (extents n, 3 axes, leading ones), kernel k (extents kk).
struct Pair {
  std::vector<cld> y;
  long double scale;
};

} // namespace

void pad_line(std::vector<cld> &line, size_t left, size_t right, fconv_boundary b) {
  const size_t L = line.size();
  if (left + right == 0) return;
  switch (b) {
  case FCONV_BOUNDARY_ZERO:
    for (size_t i = 0; i < left; i++) line[i] = 0;
    for (size_t i = L - right; i < L; i++) line[i] = 0;
    return;
  case FCONV_BOUNDARY_REPLICATE:
    for (size_t i = 0; i < left; i++) line[i] = line[left];
    for (size_t i = L - right; i < L; i++) line[i] = line[L - right - 1];
    return;
  case FCONV_BOUNDARY_WRAP: pad_wrap(line, left, right); return;
  case FCONV_BOUNDARY_SYMMETRIC: pad_reflect(line, left, right, true); return;
  case FCONV_BOUNDARY_MIRROR: pad_reflect(line, left, right, false); return;
  }
}

std::vector<cld> extend(const std::vector<cld> &x, int rank, const size_t *n, const size_t *p0,
                        const size_t *p1, fconv_boundary b, size_t *ext) {
  // Work on three axes with leading ones.
  size_t N[3] = {1, 1, 1}, A[3] = {0, 0, 0}, E[3] = {1, 1, 1};
  for (int a = 0; a < rank; a++) {
    const int u = 3 - rank + a;
    N[u] = n[a];
    A[u] = p0[a];
    E[u] = n[a] + p0[a] + p1[a];
  }
  std::vector<cld> xe(prod3(E), cld(0));
  for (size_t i0 = 0; i0 < N[0]; i0++)
    for (size_t i1 = 0; i1 < N[1]; i1++)
      for (size_t i2 = 0; i2 < N[2]; i2++)
        xe[((i0 + A[0]) * E[1] + i1 + A[1]) * E[2] + i2 + A[2]] =
            x[(i0 * N[1] + i1) * N[2] + i2];
  // Pad axis after axis over the whole array (np.pad order: axis 0 first).
  for (int u = 0; u < 3; u++) {
    if (E[u] == N[u]) continue;
    const size_t before = A[u], after = E[u] - N[u] - A[u];
    size_t step = 1;
    for (int v = u + 1; v < 3; v++) step *= E[v];
    const size_t outer = prod3(E) / (E[u] * step);
    std::vector<cld> line(E[u]);
    for (size_t o = 0; o < outer; o++)
      for (size_t s = 0; s < step; s++) {
        const size_t base = o * E[u] * step + s;
        for (size_t i = 0; i < E[u]; i++) line[i] = xe[base + i * step];
        pad_line(line, before, after, b);
        for (size_t i = 0; i < E[u]; i++) xe[base + i * step] = line[i];
      }
  }
  for (int a = 0; a < rank; a++) ext[a] = E[3 - rank + a];
  return xe;
}

double eps_of(fconv_dtype t) {
  return (t == FCONV_F32 || t == FCONV_C64) ? (double)FLT_EPSILON : DBL_EPSILON;
}

double error_bound(fconv_dtype t, long double scale, double log2_len) {
  return kBoundC * eps_of(t) * std::max(1.0, log2_len) * (double)scale;
}

double winograd_error_bound(fconv_dtype t, size_t cig, long double scale) {
  return kWinogradKappa * ((double)cig + 20.0) * eps_of(t) * (double)scale;
}

static bool convolve_plain(const fconv_desc &d, const std::vector<cld> &x,
                           const std::vector<cld> &h, Result *out, std::string *why,
                           const std::vector<size_t> *only) {
  auto fail = [&](const char *w) {
    if (why) *why = w;
    return false;
  };
  if (d.rank < 1 || d.rank > 3) return fail("rank");
  if (d.batch == 0 || d.kernel_batch == 0) return fail("batch");
  if (d.kernel_batch != 1 && d.kernel_batch != d.batch && d.batch != 1)
    return fail("kernel_batch");
  const int r = d.rank;
  bool k_le_n = true, k_ge_n = true;
  size_t ns = 1, ks = 1;
  for (int a = 0; a < r; a++) {
    if (d.signal_shape[a] == 0 || d.kernel_shape[a] == 0 || d.stride[a] == 0)
      return fail("zero extent or stride");
    k_le_n = k_le_n && d.kernel_shape[a] <= d.signal_shape[a];
    k_ge_n = k_ge_n && d.kernel_shape[a] >= d.signal_shape[a];
    ns *= d.signal_shape[a];
    ks *= d.kernel_shape[a];
  }
  if (d.mode == FCONV_MODE_VALID && !k_le_n && !k_ge_n) return fail("crossed VALID");
  const bool swap = d.mode == FCONV_MODE_VALID && !k_le_n;
  if (x.size() != d.batch * ns || h.size() != d.kernel_batch * ks) return fail("array sizes");

  // Extents in the roles after the swap.
  size_t N[3], K[3], P0[3], P1[3], len[3], outn[3];
  for (int a = 0; a < r; a++) {
    N[a] = swap ? d.kernel_shape[a] : d.signal_shape[a];
    K[a] = swap ? d.signal_shape[a] : d.kernel_shape[a];
    switch (d.mode) {
    case FCONV_MODE_FULL: P0[a] = K[a] - 1; P1[a] = K[a] - 1; break;
    case FCONV_MODE_SAME: P0[a] = K[a] / 2; P1[a] = (K[a] - 1) / 2; break;
    case FCONV_MODE_VALID: P0[a] = 0; P1[a] = 0; break;
    case FCONV_MODE_PAD: P0[a] = d.pad_before[a]; P1[a] = d.pad_after[a]; break;
    default: return fail("mode");
    }
    if (N[a] + P0[a] + P1[a] < K[a]) return fail("PAD window shorter than the kernel");
    len[a] = N[a] + P0[a] + P1[a] - K[a] + 1;
    outn[a] = (len[a] + d.stride[a] - 1) / d.stride[a];
  }

  Result res;
  res.rank = r;
  res.swapped = swap;
  res.count = std::max(d.batch, d.kernel_batch);
  res.per_output = 1;
  for (int a = 0; a < r; a++) {
    res.shape[a] = outn[a];
    res.per_output *= outn[a];
  }
  res.y.assign(res.count * res.per_output, cld(0));
  res.scale.assign(res.count, 0);

  // Three-axis views with leading ones for the loops below.
  size_t k3[3] = {1, 1, 1}, o3[3] = {1, 1, 1}, s3[3] = {1, 1, 1},
         e3[3] = {1, 1, 1};
  const size_t *kk_user = d.kernel_shape;
  for (int a = 0; a < r; a++) {
    const int u = 3 - r + a;
    k3[u] = K[a];
    o3[u] = outn[a];
    s3[u] = d.stride[a];
  }
  double log2_len = 0;
  for (int a = 0; a < r; a++) log2_len += std::log2((double)(N[a] + P0[a] + P1[a]));
  res.log2_len = std::max(1.0, log2_len);

  // flip(conj(v)) of an array with user extents e (rank r).
  auto flip_conj = [&](const std::vector<cld> &v, const size_t *e) {
    size_t e3l[3] = {1, 1, 1};
    for (int a = 0; a < r; a++) e3l[3 - r + a] = e[a];
    std::vector<cld> f(v.size());
    for (size_t i0 = 0; i0 < e3l[0]; i0++)
      for (size_t i1 = 0; i1 < e3l[1]; i1++)
        for (size_t i2 = 0; i2 < e3l[2]; i2++)
          f[(i0 * e3l[1] + i1) * e3l[2] + i2] = std::conj(
              v[((e3l[0] - 1 - i0) * e3l[1] + (e3l[1] - 1 - i1)) * e3l[2] + (e3l[2] - 1 - i2)]);
    return f;
  };

  for (size_t i = 0; i < res.count; i++) {
    const size_t si = d.batch == 1 ? 0 : i, ki = d.kernel_batch == 1 ? 0 : i;
    std::vector<cld> xs(x.begin() + (ptrdiff_t)(si * ns), x.begin() + (ptrdiff_t)((si + 1) * ns));
    std::vector<cld> hk(h.begin() + (ptrdiff_t)(ki * ks), h.begin() + (ptrdiff_t)((ki + 1) * ks));
    // Rule 1: g = h or flip(conj(h)).
    std::vector<cld> g = d.op == FCONV_OP_CORRELATE ? flip_conj(hk, kk_user) : hk;
    std::vector<cld> sig = xs;
    if (swap) std::swap(sig, g); // rule 6: the larger operand is the signal
    size_t ext[3];
    std::vector<cld> xe = extend(sig, r, N, P0, P1, d.boundary, ext);
    for (int a = 0; a < r; a++) e3[3 - r + a] = ext[a];
    res.scale[i] = norm2(xe) * norm2(g);
    cld *y = res.y.data() + i * res.per_output;
    auto one = [&](size_t o0, size_t o1, size_t o2) {
      const size_t q0 = o0 * s3[0], q1 = o1 * s3[1], q2 = o2 * s3[2];
      cld acc = 0;
      for (size_t m0 = 0; m0 < k3[0]; m0++)
        for (size_t m1 = 0; m1 < k3[1]; m1++)
          for (size_t m2 = 0; m2 < k3[2]; m2++) {
            const size_t j0 = q0 + k3[0] - 1 - m0, j1 = q1 + k3[1] - 1 - m1,
                         j2 = q2 + k3[2] - 1 - m2;
            acc += xe[(j0 * e3[1] + j1) * e3[2] + j2] * g[(m0 * k3[1] + m1) * k3[2] + m2];
          }
      y[(o0 * o3[1] + o1) * o3[2] + o2] = acc;
    };
    if (only) {
      for (size_t f : *only)
        if (f < res.per_output) one(f / (o3[1] * o3[2]), (f / o3[2]) % o3[1], f % o3[2]);
    } else {
      for (size_t o0 = 0; o0 < o3[0]; o0++)
        for (size_t o1 = 0; o1 < o3[1]; o1++)
          for (size_t o2 = 0; o2 < o3[2]; o2++) one(o0, o1, o2);
    }
  }
  *out = std::move(res);
  return true;
}

// Multi-channel and dilated problems (the descriptor's extension, FCONV_FLAG_EXTENDED), written
// from the header's definition: the kernel of dilation d is the zero-stuffed kernel of extent
// (k-1)*d + 1, and out[b, o] = sum over the inputs i of o's group of the single-channel problem
// of signal[b, g*cig + i] with kernel[o, i]. Each term runs through convolve_plain above.
bool convolve(const fconv_desc &d, const std::vector<cld> &x, const std::vector<cld> &h,
              Result *out, std::string *why, const std::vector<size_t> *only) {
  const bool ext = (d.flags & FCONV_FLAG_EXTENDED) != 0;
  size_t cin = 1, cout = 1, groups = 1, dil[3] = {1, 1, 1};
  if (ext) {
    cin = d.in_channels;
    cout = d.out_channels;
    groups = d.groups;
    for (int a = 0; a < 3; a++) dil[a] = d.dilation[a];
  }
  bool dilated = false;
  for (int a = 0; a < d.rank && a < 3; a++) dilated = dilated || dil[a] != 1;
  if (cin == 1 && cout == 1 && groups == 1 && !dilated) return convolve_plain(d, x, h, out, why, only);
  auto fail = [&](const char *w) {
    if (why) *why = w;
    return false;
  };
  if (d.rank < 1 || d.rank > 3) return fail("rank");
  if (cin == 0 || cout == 0 || groups == 0 || cin % groups || cout % groups)
    return fail("channels / groups");
  const bool multi = cin > 1 || cout > 1;
  if (multi && d.kernel_batch != 1) return fail("kernel_batch with channels");
  for (int a = 0; a < d.rank; a++)
    if (dil[a] == 0) return fail("dilation 0");
  const size_t cig = cin / groups, cog = cout / groups;
  // The plain problem of one (signal, filter) pair, with the zero-stuffed kernel.
  fconv_desc one = d;
  one.flags &= ~FCONV_FLAG_EXTENDED;
  size_t ns = 1, kt = 1, ke = 1, kk[3] = {1, 1, 1}, ks[3] = {1, 1, 1};
  for (int a = 0; a < d.rank; a++) {
    kk[3 - d.rank + a] = d.kernel_shape[a];
    one.kernel_shape[a] = (d.kernel_shape[a] - 1) * dil[a] + 1;
    ks[3 - d.rank + a] = one.kernel_shape[a];
    ns *= d.signal_shape[a];
    kt *= d.kernel_shape[a];
    ke *= one.kernel_shape[a];
  }
  size_t dl[3] = {1, 1, 1};
  for (int a = 0; a < d.rank; a++) dl[3 - d.rank + a] = dil[a];
  auto stuff = [&](const cld *src) {
    std::vector<cld> v(ke, cld(0));
    for (size_t m0 = 0; m0 < kk[0]; m0++)
      for (size_t m1 = 0; m1 < kk[1]; m1++)
        for (size_t m2 = 0; m2 < kk[2]; m2++)
          v[(m0 * dl[0] * ks[1] + m1 * dl[1]) * ks[2] + m2 * dl[2]] =
              src[(m0 * kk[1] + m1) * kk[2] + m2];
    return v;
  };
  if (!multi) { // dilation only: every kernel stuffed, then the plain problem
    if (h.size() != d.kernel_batch * kt) return fail("array sizes");
    std::vector<cld> hs;
    for (size_t q = 0; q < d.kernel_batch; q++) {
      std::vector<cld> v = stuff(h.data() + q * kt);
      hs.insert(hs.end(), v.begin(), v.end());
    }
    return convolve_plain(one, x, hs, out, why, nullptr);
  }
  if (x.size() != d.batch * cin * ns || h.size() != cout * cig * kt) return fail("array sizes");
  one.batch = one.kernel_batch = 1;
  Result res;
  res.count = d.batch * cout;
  for (size_t b = 0; b < d.batch; b++)
    for (size_t co = 0; co < cout; co++) {
      const size_t g = co / cog;
      for (size_t i = 0; i < cig; i++) {
        const size_t ci = g * cig + i;
        std::vector<cld> xs(x.begin() + (ptrdiff_t)((b * cin + ci) * ns),
                            x.begin() + (ptrdiff_t)((b * cin + ci + 1) * ns));
        Result r1;
        if (!convolve_plain(one, xs, stuff(h.data() + (co * cig + i) * kt), &r1, why, nullptr))
          return false;
        if (res.y.empty()) {
          res.rank = r1.rank;
          std::copy(r1.shape, r1.shape + FCONV_MAX_RANK, res.shape);
          res.per_output = r1.per_output;
          res.y.assign(res.count * res.per_output, cld(0));
          res.scale.assign(res.count, 0);
        }
        const size_t item = b * cout + co;
        for (size_t e = 0; e < res.per_output; e++) res.y[item * res.per_output + e] += r1.y[e];
        res.scale[item] += r1.scale[0]; // triangle inequality: the bound of the sum
        res.log2_len = std::max(res.log2_len, r1.log2_len);
      }
    }
  *out = std::move(res);
  return true;
}

bool magnitudes(const fconv_desc &d, const std::vector<cld> &x, const std::vector<cld> &h,
                std::vector<long double> *l1, std::string *why) {
  std::vector<cld> ax(x.size()), ah(h.size());
  for (size_t i = 0; i < x.size(); i++) ax[i] = std::abs(x[i]);
  for (size_t i = 0; i < h.size(); i++) ah[i] = std::abs(h[i]);
  Result r;
  if (!convolve(d, ax, ah, &r, why)) return false;
  l1->resize(r.y.size());
  for (size_t i = 0; i < r.y.size(); i++) (*l1)[i] = r.y[i].real();
  return true;
}

} // namespace reference
