// channel_cases.cpp — see channel_cases.h.
#include "channel_cases.h"

#include <algorithm>
#include <string>

namespace ft {

ChCase random_channel_case(std::mt19937_64 &g, fconv_method m, bool multi, fconv_backend b) {
  ChCase c;
  const int rank = (int)ft::uniform(g, 1, 3);
  const fconv_dtype t = ft::kAllDtypes[ft::uniform(g, 0, 3)];
  size_t n[3], k[3];
  const size_t maxn = rank == 1 ? 40 : rank == 2 ? 11 : 6;
  const size_t maxk = rank == 1 ? 7 : rank == 2 ? 4 : 3;
  size_t dil[3];
  for (int a = 0; a < rank; a++) {
    n[a] = ft::uniform(g, 1, maxn);
    k[a] = ft::uniform(g, 1, maxk);
    dil[a] = ft::coin(g, 0.3) ? ft::uniform(g, 2, 3) : 1;
  }
  c.d = ft::make_desc(rank, n, k, t);
  c.d.mode = (fconv_mode)ft::uniform(g, 0, 3);
  c.d.op = (fconv_op)ft::uniform(g, 0, 1);
  c.d.boundary = (fconv_boundary)ft::uniform(g, 0, 4);
  c.d.method = m;
  c.d.backend = b;
  c.d.threads = (int)ft::uniform(g, 1, 3);
  for (int a = 0; a < rank; a++) {
    c.d.stride[a] = ft::coin(g, 0.3) ? ft::uniform(g, 2, 3) : 1;
    c.d.pad_before[a] = ft::uniform(g, 0, 5);
    c.d.pad_after[a] = ft::uniform(g, 0, 5);
  }
  fconv_desc_set_dilation(&c.d, dil);
  // VALID swap is not defined for channels/dilation: keep the kernel inside the signal there,
  // and make every PAD window at least the dilated kernel.
  for (int a = 0; a < rank; a++) {
    const size_t keff = (k[a] - 1) * dil[a] + 1;
    if (c.d.mode == FCONV_MODE_VALID && keff > n[a]) c.d.signal_shape[a] = keff + ft::uniform(g, 0, 3);
    if (c.d.mode == FCONV_MODE_PAD && c.d.signal_shape[a] + c.d.pad_before[a] + c.d.pad_after[a] < keff)
      c.d.pad_after[a] = keff;
  }
  if (multi) {
    const size_t groups = ft::uniform(g, 1, 3);
    const size_t cin = groups * ft::uniform(g, 1, 3), cout = groups * ft::uniform(g, 1, 3);
    fconv_desc_set_channels(&c.d, cin, cout, groups);
    if (cin == 1 && cout == 1) fconv_desc_set_channels(&c.d, 2, 3, 1);
    c.d.batch = ft::uniform(g, 1, 3);
  } else {
    c.d.batch = ft::uniform(g, 1, 2);
    c.d.kernel_batch = ft::coin(g) ? c.d.batch : 1;
  }
  c.way = (int)ft::uniform(g, 0, 2);
  return c;
}

size_t output_elems(const fconv_plan *plan, const fconv_desc &d) {
  size_t shape[FCONV_MAX_RANK];
  EXPECT_EQ(fconv_plan_output_shape(plan, shape), FCONV_OK);
  size_t e = std::max(d.batch, d.kernel_batch);
  if (d.flags & FCONV_FLAG_EXTENDED) e *= d.out_channels;
  for (int a = 0; a < d.rank; a++) e *= shape[a];
  return e;
}

// Run c, compare with the reference (gtest failures on a mismatch).
void run_case(const ChCase &c, std::mt19937_64 &g, const char *kernel, const ChCheck &check) {
  const fconv_desc &d = c.d;
  SCOPED_TRACE(ft::describe(d) + " way " + std::to_string(c.way));
  Array x(d.dtype, ft::signal_elems(d), 1), h(d.dtype, ft::kernel_elems(d), 2);
  x.fill_random(g);
  h.fill_random(g);
  fconv_plan *plan = nullptr;
  ASSERT_EQ(fconv_plan_create(&plan, &d), FCONV_OK);
  Array y(d.dtype, output_elems(plan, d), 3);
  y.fill_pattern(0x7f);
  fconv_status st;
  if (c.way == 0) {
    st = fconv_convolve(&d, x.data(), h.data(), y.data());
  } else if (c.way == 1) {
    st = fconv_execute(plan, x.data(), h.data(), y.data());
  } else {
    st = fconv_plan_set_kernel(plan, h.data());
    if (st == FCONV_OK) st = fconv_execute(plan, x.data(), nullptr, y.data());
  }
  fconv_plan_info info;
  ASSERT_EQ(fconv_plan_get_info(plan, &info), FCONV_OK);
  fconv_plan_destroy(plan);
  ASSERT_EQ(st, FCONV_OK);
  if (kernel) {
    const std::string isa = info.isa, want = kernel;
    EXPECT_NE(isa.find(want), std::string::npos) << "ran " << isa << ", expected the " << want << " kernel";
  }
  const reference::Result ref = ft::reference_of(d, x, h);
  ASSERT_EQ(ref.y.size(), y.size());
  if (check) {
    EXPECT_TRUE(y.guards_intact());
    check(y, ref);
    return;
  }
  EXPECT_TRUE(ft::matches_reference(y, ref)) << "chosen " << fconv_method_name(info.method);
}

std::string method_param_name(const ::testing::TestParamInfo<fconv_method> &i) {
  std::string n = fconv_method_name(i.param);
  std::replace(n.begin(), n.end(), '-', '_');
  return n;
}

} // namespace ft
