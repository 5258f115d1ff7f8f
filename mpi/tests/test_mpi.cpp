// test_mpi.cpp — fconv_mpi under mpirun (ctest runs it with 1, 2, 3 and 4 ranks).
//
// Every rank builds the same random global problem (the seed is drawn on rank 0, broadcast and
// printed: FCONV_TEST_SEED=<n> replays it), decomposes the signal along axis 0 (uneven slabs,
// ranks holding fewer rows than the halo, ranks holding none), runs the distributed plan, and
// compares its own output rows with (a) the independent reference (tests/reference.cpp) of the
// global problem and (b) the serial fconv result of the global problem, both cut to the rows
// the plan says this rank owns. Bad input must give the same status on every rank.
//
// Every test runs the same collective calls on every rank (no ASSERT that returns early on one
// rank only), so that a failure is reported instead of hanging.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "fconv_mpi.h"
#include "test_common.h"

namespace {

using ft::Array;

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int world_size() {
  int s = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

// The status every rank returned, gathered: all equal is what the contract promises.
std::vector<int> all_statuses(fconv_status st) {
  std::vector<int> v((size_t)world_size());
  int mine = (int)st;
  MPI_Allgather(&mine, 1, MPI_INT, v.data(), 1, MPI_INT, MPI_COMM_WORLD);
  return v;
}
::testing::AssertionResult same_everywhere(fconv_status st, fconv_status want) {
  const std::vector<int> v = all_statuses(st);
  std::ostringstream s;
  bool ok = true;
  for (size_t r = 0; r < v.size(); r++) {
    s << " rank " << r << ": " << v[r];
    ok = ok && v[r] == (int)want;
  }
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "want " << want << " on every rank, got" << s.str();
}

// A decomposition of n rows over the ranks: uneven, with empty ranks (start/count per rank).
std::vector<size_t> random_split(std::mt19937_64 &g, size_t n, int np) {
  std::vector<size_t> cuts{0, n};
  for (int i = 1; i < np; i++) cuts.push_back(ft::uniform(g, 0, n)); // repeats = empty ranks
  std::sort(cuts.begin(), cuts.end());
  return cuts; // rank r holds [cuts[r], cuts[r+1])
}

size_t row_elems(const fconv_desc &d) {
  size_t e = 1;
  for (int a = 1; a < d.rank; a++) e *= d.signal_shape[a];
  return e;
}

// This rank's rows [s0, s0 + n) of every signal of the batch.
Array local_rows(const Array &x, const fconv_desc &d, size_t s0, size_t n) {
  const size_t row = row_elems(d), per = d.signal_shape[0] * row;
  Array out(d.dtype, d.batch * n * row, 1);
  for (size_t b = 0; b < d.batch; b++)
    for (size_t i = 0; i < n * row; i++) out.set(b * n * row + i, x.get(b * per + s0 * row + i));
  return out;
}

// The reference cut to output rows [j0, j0 + n).
reference::Result cut(const reference::Result &ref, size_t j0, size_t n) {
  reference::Result r = ref;
  const size_t orow = ref.per_output / ref.shape[0];
  r.shape[0] = n;
  r.per_output = n * orow;
  r.y.assign(ref.count * r.per_output, 0);
  for (size_t c = 0; c < ref.count; c++)
    for (size_t i = 0; i < n * orow; i++)
      r.y[c * r.per_output + i] = ref.y[c * ref.per_output + j0 * orow + i];
  return r;
}
Array cut(const Array &y, const reference::Result &ref, size_t j0, size_t n) {
  const size_t orow = ref.per_output / ref.shape[0];
  Array out(y.dtype(), ref.count * n * orow);
  for (size_t c = 0; c < ref.count; c++)
    for (size_t i = 0; i < n * orow; i++)
      out.set(c * n * orow + i, y.get(c * ref.per_output + j0 * orow + i));
  return out;
}

struct Outcome {
  bool ran = false;
  fconv_method method = FCONV_METHOD_AUTO;
  int fftw_mpi = -1;
};

// Run d distributed with rank r holding rows [cuts[r], cuts[r+1]); compare with the reference
// and with serial fconv. way 0: execute(kernel); 1: set_kernel + execute(NULL).
Outcome check_problem(const fconv_desc &d, const std::vector<size_t> &cuts, std::mt19937_64 &g,
                      int way, const std::string &what) {
  Outcome o;
  Array x(d.dtype, ft::signal_elems(d)), h(d.dtype, ft::kernel_elems(d));
  x.fill_random(g);
  h.fill_random(g);
  const reference::Result ref = ft::reference_of(d, x, h);
  Array serial(d.dtype, ref.count * ref.per_output);
  EXPECT_EQ(fconv_convolve(&d, x.data(), h.data(), serial.data()), FCONV_OK) << what;

  const int me = world_rank();
  const size_t s0 = cuts[(size_t)me], n = cuts[(size_t)me + 1] - s0;
  Array xl = local_rows(x, d, s0, n);
  fconv_mpi_plan *p = nullptr;
  fconv_status st = fconv_mpi_plan_create(&p, &d, MPI_COMM_WORLD, n, s0);
  EXPECT_TRUE(same_everywhere(st, FCONV_OK)) << what;
  if (st != FCONV_OK) return o;
  size_t on = 0, os = 0, gshape[3];
  EXPECT_EQ(fconv_mpi_plan_output_range(p, &on, &os, gshape), FCONV_OK);
  for (int a = 0; a < d.rank; a++) EXPECT_EQ(gshape[a], ref.shape[a]) << what;
  // The output ranges tile the global output in rank order.
  uint64_t mine[2] = {os, on};
  std::vector<uint64_t> all(2 * (size_t)world_size());
  MPI_Allgather(mine, 2, MPI_UINT64_T, all.data(), 2, MPI_UINT64_T, MPI_COMM_WORLD);
  uint64_t next = 0;
  for (int r = 0; r < world_size(); r++) {
    EXPECT_EQ(all[2 * (size_t)r], next) << what;
    next = all[2 * (size_t)r] + all[2 * (size_t)r + 1];
  }
  EXPECT_EQ(next, ref.shape[0]) << what;

  const size_t orow = ref.per_output / ref.shape[0];
  Array yl(d.dtype, ref.count * on * orow, 3);
  if (way == 1) {
    EXPECT_TRUE(same_everywhere(fconv_mpi_plan_set_kernel(p, h.data()), FCONV_OK)) << what;
    st = fconv_mpi_execute(p, xl.data(), nullptr, yl.data());
  } else {
    st = fconv_mpi_execute(p, xl.data(), h.data(), yl.data());
  }
  EXPECT_TRUE(same_everywhere(st, FCONV_OK)) << what;
  if (st == FCONV_OK && os + on <= ref.shape[0]) {
    const reference::Result mine_ref = cut(ref, os, on);
    EXPECT_TRUE(ft::matches_reference(yl, mine_ref)) << what << " rows " << os << "+" << on;
    EXPECT_TRUE(ft::outputs_agree(yl, cut(serial, ref, os, on), mine_ref))
        << what << " (against serial fconv)";
  }
  fconv_mpi_plan_info info;
  EXPECT_EQ(fconv_mpi_plan_get_info(p, &info), FCONV_OK);
  o.ran = st == FCONV_OK;
  o.method = info.method;
  o.fftw_mpi = info.fftw_mpi;
  fconv_mpi_plan_destroy(p);
  return o;
}

// ---- random global problems ---------------------------------------------------------------

fconv_desc random_desc(std::mt19937_64 &g, fconv_method m) {
  const int rank = (int)ft::uniform(g, 1, 3);
  const size_t ncap = rank == 1 ? 40 : rank == 2 ? 14 : 7;
  const size_t kcap = rank == 1 ? 13 : rank == 2 ? 7 : 4;
  const fconv_mode mode = (fconv_mode)ft::uniform(g, 0, 3);
  const bool swap = mode == FCONV_MODE_VALID && ft::coin(g, 0.2);
  size_t n[3] = {1, 1, 1}, k[3] = {1, 1, 1};
  for (int a = 0; a < rank; a++) {
    n[a] = ft::uniform(g, 1, ncap);
    if (swap) k[a] = ft::uniform(g, n[a], n[a] + 3);
    else if (mode == FCONV_MODE_VALID) k[a] = ft::uniform(g, 1, std::min(n[a], kcap));
    else k[a] = ft::uniform(g, 1, std::min(n[a] + 3, kcap));
  }
  if (swap && k[0] == n[0]) k[0]++;
  fconv_desc d = ft::make_desc(rank, n, k, ft::kAllDtypes[ft::uniform(g, 0, 3)]);
  d.mode = mode;
  d.op = (fconv_op)ft::uniform(g, 0, 1);
  d.boundary = (fconv_boundary)ft::uniform(g, 0, 4);
  for (int a = 0; a < rank; a++) {
    d.stride[a] = ft::coin(g, 0.3) ? ft::uniform(g, 2, 3) : 1;
    if (mode == FCONV_MODE_PAD) {
      d.pad_before[a] = ft::uniform(g, 0, k[a] + 2);
      d.pad_after[a] = ft::uniform(g, 0, k[a] + 2);
      if (n[a] + d.pad_before[a] + d.pad_after[a] < k[a]) d.pad_after[a] += k[a];
    }
  }
  const int layout = (int)ft::uniform(g, 0, 3);
  if (layout == 1) d.batch = ft::uniform(g, 2, 3);
  if (layout == 2) d.batch = d.kernel_batch = ft::uniform(g, 2, 3);
  if (layout == 3) d.kernel_batch = ft::uniform(g, 2, 3); // filter bank
  d.method = m;
  d.threads = 1;
  return d;
}

class MpiRandom : public ::testing::TestWithParam<fconv_method> {};

TEST_P(MpiRandom, PiecesMatchTheSerialResult) {
  std::mt19937_64 g = ft::rng();
  const int cases = 60;
  for (int c = 0; c < cases; c++) {
    const fconv_desc d = random_desc(g, GetParam());
    const std::vector<size_t> cuts = random_split(g, d.signal_shape[0], world_size());
    std::ostringstream w;
    w << "case " << c << ": " << ft::describe(d) << " split";
    for (size_t v : cuts) w << " " << v;
    check_problem(d, cuts, g, c % 2, w.str());
    if (HasFailure()) break;
  }
}

INSTANTIATE_TEST_SUITE_P(Methods, MpiRandom,
                         ::testing::Values(FCONV_METHOD_AUTO, FCONV_METHOD_DIRECT,
                                           FCONV_METHOD_OVERLAP_SAVE, FCONV_METHOD_FFT),
                         [](const ::testing::TestParamInfo<fconv_method> &i) {
                           std::string n = fconv_method_name(i.param);
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

struct Split {
  size_t n, s;
};
Split block_split(const fconv_desc &d) {
  Split sp{0, 0};
  fconv_mpi_local_size(&d, MPI_COMM_WORLD, &sp.n, &sp.s);
  return sp;
}

// ---- chosen decompositions --------------------------------------------------------------

fconv_desc desc2d(size_t n0, size_t n1, size_t k0, size_t k1, fconv_dtype t) {
  const size_t n[2] = {n0, n1}, k[2] = {k0, k1};
  fconv_desc d = ft::make_desc(2, n, k, t);
  d.threads = 1;
  return d;
}

// Halo deeper than the neighbours' slabs: a 9-row kernel over 1-2 row slabs, every boundary,
// so rows come from several ranks and wrap between the last rank and the first.
TEST(MpiHalo, DeeperThanNeighbourSlabs) {
  std::mt19937_64 g = ft::rng();
  const int np = world_size();
  for (int b = 0; b <= FCONV_BOUNDARY_REPLICATE; b++)
    for (int mode : {FCONV_MODE_SAME, FCONV_MODE_FULL}) {
      fconv_desc d = desc2d((size_t)np + 3, 5, 9, 3, FCONV_F64);
      d.boundary = (fconv_boundary)b;
      d.mode = (fconv_mode)mode;
      std::vector<size_t> cuts{0};
      for (int r = 0; r < np; r++) cuts.push_back(r == np - 1 ? d.signal_shape[0] : cuts.back() + 1);
      check_problem(d, cuts, g, 0,
                    std::string("deep halo ") + ft::boundary_name(d.boundary) + " " +
                        ft::mode_name(d.mode));
    }
}

// A rank holding no rows: the first, a middle one, the last (each in turn).
TEST(MpiHalo, RanksWithoutRows) {
  std::mt19937_64 g = ft::rng();
  const int np = world_size();
  for (int empty = 0; empty < np && np > 1; empty++) {
    fconv_desc d = desc2d(4 * (size_t)np + 2, 6, 5, 3, FCONV_F32);
    d.mode = FCONV_MODE_SAME;
    d.boundary = FCONV_BOUNDARY_WRAP;
    const int last_full = empty == np - 1 ? np - 2 : np - 1; // takes what is left
    std::vector<size_t> cuts{0};
    for (int r = 0; r < np; r++)
      cuts.push_back(r == empty ? cuts.back() : r == last_full ? d.signal_shape[0] : cuts.back() + 4);
    check_problem(d, cuts, g, 1, "empty rank " + std::to_string(empty));
  }
}

// fconv_mpi_local_size: FFTW-MPI's block distribution, tiling the axis; with it, SAME and
// stride 1 give every rank exactly its own rows as output rows.
TEST(MpiHalo, LocalSizeAndSameRows) {
  std::mt19937_64 g = ft::rng();
  fconv_desc d = desc2d(37, 11, 7, 7, FCONV_C64);
  d.mode = FCONV_MODE_SAME;
  d.boundary = FCONV_BOUNDARY_MIRROR;
  size_t n = 0, s = 0;
  EXPECT_EQ(fconv_mpi_local_size(&d, MPI_COMM_WORLD, &n, &s), FCONV_OK);
  const size_t block = (37 + (size_t)world_size() - 1) / (size_t)world_size();
  EXPECT_EQ(s, std::min((size_t)world_rank() * block, (size_t)37));
  std::vector<uint64_t> all(2 * (size_t)world_size());
  uint64_t mine[2] = {s, n};
  MPI_Allgather(mine, 2, MPI_UINT64_T, all.data(), 2, MPI_UINT64_T, MPI_COMM_WORLD);
  std::vector<size_t> cuts{0};
  for (int r = 0; r < world_size(); r++) {
    EXPECT_EQ(all[2 * (size_t)r], cuts.back());
    cuts.push_back(all[2 * (size_t)r] + all[2 * (size_t)r + 1]);
  }
  EXPECT_EQ(cuts.back(), 37u);
  fconv_mpi_plan *p = nullptr;
  EXPECT_TRUE(same_everywhere(fconv_mpi_plan_create(&p, &d, MPI_COMM_WORLD, n, s), FCONV_OK));
  size_t on = 0, os = 0;
  EXPECT_EQ(fconv_mpi_plan_output_range(p, &on, &os, nullptr), FCONV_OK);
  EXPECT_EQ(on, n);
  EXPECT_EQ(os, s);
  fconv_mpi_plan_destroy(p);
  check_problem(d, cuts, g, 0, "local_size split");
}

// A larger 2-D problem where each rank has an interior (computed during the exchange) and edges.
TEST(MpiHalo, InteriorAndEdges) {
  std::mt19937_64 g = ft::rng();
  for (int m : {FCONV_METHOD_DIRECT, FCONV_METHOD_OVERLAP_SAVE}) {
    fconv_desc d = desc2d(97, 40, 7, 5, FCONV_F32);
    d.mode = FCONV_MODE_SAME;
    d.boundary = FCONV_BOUNDARY_SYMMETRIC;
    d.method = (fconv_method)m;
    d.op = FCONV_OP_CORRELATE;
    d.stride[0] = 2;
    const std::vector<size_t> cuts = random_split(g, 97, world_size());
    const Outcome o = check_problem(d, cuts, g, 1, std::string("interior ") +
                                                       fconv_method_name((fconv_method)m));
    if (o.ran) {
      EXPECT_EQ(o.method, (fconv_method)m);
    }
  }
}

// The FFT method on FFTW-MPI's distributed transforms (transposed spectrum): 2-D and 3-D, every
// dtype, modes, ops, boundaries, strides, batches and a filter bank, uneven slabs.
TEST(MpiFft, DistributedTransformsMatch) {
  setenv("FCONV_MPI_FFT", "fftw-mpi", 1); // the model may prefer the halo path for these sizes
  std::mt19937_64 g = ft::rng();
  int c = 0;
  for (fconv_dtype t : ft::kAllDtypes)
    for (int rank : {2, 3}) {
      const size_t n[3] = {rank == 2 ? (size_t)29 : 11, rank == 2 ? (size_t)18 : 9, 7};
      const size_t k[3] = {rank == 2 ? (size_t)5 : 3, 4, 3};
      fconv_desc d = ft::make_desc(rank, n, k, t);
      d.threads = 1;
      d.method = FCONV_METHOD_FFT;
      d.mode = (fconv_mode)(c % 4);
      d.op = (fconv_op)(c % 2);
      d.boundary = (fconv_boundary)(c % 5);
      if (d.mode == FCONV_MODE_PAD)
        for (int a = 0; a < rank; a++) d.pad_before[a] = 2, d.pad_after[a] = 5;
      d.stride[0] = 1 + (size_t)(c % 3 == 1), d.stride[1] = 1 + (size_t)(c % 3 == 2);
      if (c % 3 == 0) d.batch = 2;
      if (c % 3 == 1) d.kernel_batch = 3;
      const std::vector<size_t> cuts = random_split(g, n[0], world_size());
      const Outcome o = check_problem(d, cuts, g, c % 2, "fftw-mpi " + ft::describe(d));
      if (o.ran) {
        EXPECT_EQ(o.method, FCONV_METHOD_FFT);
        EXPECT_EQ(o.fftw_mpi, 1) << ft::describe(d);
      }
      c++;
    }
  unsetenv("FCONV_MPI_FFT");
}

// The FFT method on the halo path (serial FFT plans on halo-extended slabs; one piece per rank
// when its model is cheaper than interior + edges, as for a deep kernel): FCONV_MPI_FFT=halo, and
// the model's own choice, both match the reference on every rank.
TEST(MpiFft, HaloPathAndModelChoiceMatch) {
  std::mt19937_64 g = ft::rng();
  int c = 0;
  for (const char *policy : {"halo", ""})
    for (fconv_dtype t : ft::kAllDtypes)
      for (int rank : {2, 3}) {
        if (*policy) setenv("FCONV_MPI_FFT", policy, 1);
        else unsetenv("FCONV_MPI_FFT");
        const size_t n[3] = {rank == 2 ? (size_t)40 : 24, rank == 2 ? (size_t)18 : 9, 7};
        const size_t k[3] = {rank == 2 ? (size_t)9 : 7, 4, 3};
        fconv_desc d = ft::make_desc(rank, n, k, t);
        d.threads = 1;
        d.method = FCONV_METHOD_FFT;
        d.mode = (fconv_mode)(c % 4);
        d.op = (fconv_op)(c % 2);
        d.boundary = (fconv_boundary)(c % 5);
        if (d.mode == FCONV_MODE_PAD)
          for (int a = 0; a < rank; a++) d.pad_before[a] = 2, d.pad_after[a] = 5;
        d.stride[0] = 1 + (size_t)(c % 3 == 1);
        if (c % 3 == 0) d.batch = 2;
        if (c % 3 == 1) d.kernel_batch = 3;
        const std::vector<size_t> cuts = random_split(g, n[0], world_size());
        const Outcome o = check_problem(d, cuts, g, c % 2, std::string("fft policy '") + policy +
                                                              "' " + ft::describe(d));
        if (o.ran) {
          EXPECT_EQ(o.method, FCONV_METHOD_FFT) << ft::describe(d);
          if (*policy) {
            EXPECT_EQ(o.fftw_mpi, 0) << ft::describe(d);
          }
        }
        c++;
      }
  unsetenv("FCONV_MPI_FFT");
}

// An FFT plan made before the process has made any serial fconv call (ctest runs this test in a
// process of its own, mpi_fft_first): FFTW-MPI must still plan (it once failed there, because
// FFTW's threads were not initialised yet).
TEST(MpiFftFirst, PlansBeforeAnySerialCall) {
  const size_t n[3] = {16, 12, 10}, k[3] = {3, 3, 3};
  fconv_desc d = ft::make_desc(3, n, k, FCONV_F32);
  d.method = FCONV_METHOD_FFT;
  d.mode = FCONV_MODE_SAME;
  const Split sp = block_split(d);
  fconv_mpi_plan *p = nullptr;
  setenv("FCONV_MPI_FFT", "fftw-mpi", 1);
  EXPECT_TRUE(same_everywhere(fconv_mpi_plan_create(&p, &d, MPI_COMM_WORLD, sp.n, sp.s), FCONV_OK));
  unsetenv("FCONV_MPI_FFT");
  fconv_mpi_plan_info info;
  EXPECT_EQ(fconv_mpi_plan_get_info(p, &info), FCONV_OK);
  EXPECT_EQ(info.fftw_mpi, 1);
  fconv_mpi_plan_destroy(p);
}

// FFT pieces on the halo path: a rank with an interior and edges runs one piece over all its
// output rows when that is modelled cheaper (here: 3 pieces would transform 66 rows, one 38).
TEST(MpiFft, DeepKernelRunsOnePiecePerRank) {
  const size_t n[3] = {24 * (size_t)world_size(), 16, 16}, k[3] = {15, 3, 3};
  fconv_desc d = ft::make_desc(3, n, k, FCONV_F32);
  d.method = FCONV_METHOD_FFT;
  d.mode = FCONV_MODE_SAME;
  d.threads = 1;
  const Split sp = block_split(d);
  fconv_mpi_plan *p = nullptr;
  setenv("FCONV_MPI_FFT", "halo", 1);
  EXPECT_TRUE(same_everywhere(fconv_mpi_plan_create(&p, &d, MPI_COMM_WORLD, sp.n, sp.s), FCONV_OK));
  unsetenv("FCONV_MPI_FFT");
  fconv_mpi_plan_info info;
  ASSERT_EQ(fconv_mpi_plan_get_info(p, &info), FCONV_OK);
  EXPECT_EQ(info.fftw_mpi, 0) << info.reason;
  if (sp.n >= 24) {
    EXPECT_NE(std::string(info.reason).find("on 1 piece"), std::string::npos) << info.reason;
  }
  fconv_mpi_plan_destroy(p);
}

// AUTO compares the halo path with FFTW-MPI, communication included, and keeps the cheaper
// (the same choice on every rank); both figures are in the info.
TEST(MpiAuto, ComparesBothPathsWithCommunication) {
  for (size_t k : {3, 15}) {
    const size_t n[3] = {40, 40, 40}, kk[3] = {k, k, k};
    fconv_desc d = ft::make_desc(3, n, kk, FCONV_F32);
    d.mode = FCONV_MODE_SAME;
    d.threads = 1;
    const Split sp = block_split(d);
    fconv_mpi_plan *p = nullptr;
    EXPECT_TRUE(same_everywhere(fconv_mpi_plan_create(&p, &d, MPI_COMM_WORLD, sp.n, sp.s), FCONV_OK));
    fconv_mpi_plan_info info;
    EXPECT_EQ(fconv_mpi_plan_get_info(p, &info), FCONV_OK);
    const double fft = info.candidate_seconds[FCONV_METHOD_FFT];
    const double halo = info.candidate_seconds[FCONV_METHOD_DIRECT];
    EXPECT_GT(fft, 0) << info.reason;
    EXPECT_GT(halo, 0) << info.reason;
    EXPECT_EQ(info.fftw_mpi, fft < halo ? 1 : 0) << info.reason;
    EXPECT_EQ(info.estimated_seconds, std::min(fft, halo));
    const std::vector<int> all = all_statuses((fconv_status)info.fftw_mpi);
    EXPECT_EQ(std::count(all.begin(), all.end(), all[0]), (long)all.size()) << "same choice";
    fconv_mpi_plan_destroy(p);
  }
}

// ---- bad input: the same status on every rank ------------------------------------------------

fconv_status create_status(const fconv_desc *d, Split sp, bool null_plan = false) {
  fconv_mpi_plan *p = reinterpret_cast<fconv_mpi_plan *>(&sp); // must be overwritten with NULL
  const fconv_status st =
      fconv_mpi_plan_create(null_plan ? nullptr : &p, d, MPI_COMM_WORLD, sp.n, sp.s);
  if (st == FCONV_OK) {
    fconv_mpi_plan_destroy(p);
  } else if (!null_plan) {
    EXPECT_EQ(p, nullptr) << "a failed create must leave *plan NULL";
  }
  return st;
}

TEST(MpiBadInput, DescriptionsDifferOnOneRank) {
  const int last = world_size() - 1;
  for (int what = 0; what < 5; what++) {
    fconv_desc d = desc2d(20, 8, 3, 3, FCONV_F32);
    const Split sp = block_split(d);
    if (world_rank() == last) {
      if (what == 0) d.kernel_shape[1] = 5;
      if (what == 1) d.boundary = FCONV_BOUNDARY_WRAP;
      if (what == 2) d.dtype = FCONV_F64;
      if (what == 3) d.stride[1] = 2;
      if (what == 4) d.batch = 2;
    }
    d.threads = world_rank() + 1; // threads may differ: not part of the comparison
    const fconv_status want = world_size() == 1 ? FCONV_OK : FCONV_ERR_INVALID_ARGUMENT;
    EXPECT_TRUE(same_everywhere(create_status(&d, sp), want)) << "difference " << what;
  }
}

TEST(MpiBadInput, InvalidOnOneRankOnly) {
  const int last = world_size() - 1;
  for (int what = 0; what < 6; what++) {
    fconv_desc d = desc2d(20, 8, 3, 3, FCONV_F32);
    const Split sp = block_split(d);
    fconv_status want = FCONV_ERR_INVALID_ARGUMENT;
    bool null_plan = false;
    const fconv_desc *dp = &d;
    if (world_rank() == last) {
      if (what == 0) d.stride[0] = 0;
      if (what == 1) d.dtype = (fconv_dtype)42;
      if (what == 2) dp = nullptr;
      if (what == 3) null_plan = true;
      if (what == 4) d.kernel_batch = 3, d.batch = 2;
      if (what == 5) d.mode = FCONV_MODE_PAD, d.kernel_shape[0] = 30;
    }
    EXPECT_TRUE(same_everywhere(create_status(dp, sp, null_plan), want)) << "case " << what;
    // Every rank says why: the failing rank its own reason, the others that another rank failed
    // (or, when the bad field only shows as a different description, that they differ).
    const std::string why = fconv_mpi_last_error();
    EXPECT_FALSE(why.empty()) << "case " << what;
    if (world_rank() != last) {
      EXPECT_TRUE(why.find("another rank failed") != std::string::npos ||
                  why.find("descriptions differ") != std::string::npos)
          << "case " << what << ": " << why;
    } else {
      EXPECT_EQ(why.find("another rank failed"), std::string::npos) << why;
    }
  }
  // Unsupported on every rank: device pointers.
  fconv_desc d = desc2d(20, 8, 3, 3, FCONV_F32);
  d.flags = FCONV_FLAG_DEVICE_POINTERS;
  EXPECT_TRUE(same_everywhere(create_status(&d, block_split(d)), FCONV_ERR_UNSUPPORTED));
}

TEST(MpiBadInput, RangesThatDoNotTile) {
  const int np = world_size();
  for (int what = 0; what < 4; what++) {
    fconv_desc d = desc2d(20, 8, 3, 3, FCONV_F32);
    Split sp = block_split(d);
    const bool last = world_rank() == np - 1;
    if (what == 0 && last) sp.n += 1;                      // past the end
    if (what == 1 && last && sp.n) sp.n -= 1;              // short of the end
    if (what == 2 && world_rank() == 0) sp.s = 1;          // does not start at 0
    if (what == 3 && np > 1 && last) sp.s -= 1, sp.n += 1; // overlaps the previous rank
    if (what == 3 && np == 1) sp.n = 0;                    // (one rank: covers nothing)
    EXPECT_TRUE(same_everywhere(create_status(&d, sp), FCONV_ERR_INVALID_ARGUMENT))
        << "case " << what;
  }
}

TEST(MpiBadInput, ExecuteArguments) {
  fconv_desc d = desc2d(20, 8, 3, 3, FCONV_F32);
  d.mode = FCONV_MODE_SAME;
  const Split sp = block_split(d);
  fconv_mpi_plan *p = nullptr;
  EXPECT_TRUE(same_everywhere(fconv_mpi_plan_create(&p, &d, MPI_COMM_WORLD, sp.n, sp.s), FCONV_OK));
  std::vector<float> x(sp.n * 8 + 1, 1.0f), y(sp.n * 8 + 1, -7.0f), h(9, 1.0f);
  // No kernel set and none passed: every rank.
  EXPECT_TRUE(same_everywhere(fconv_mpi_execute(p, x.data(), nullptr, y.data()),
                              FCONV_ERR_INVALID_ARGUMENT));
  // A NULL signal (or output) on one rank that holds rows: every rank gets the error, and the
  // output is untouched everywhere.
  const bool culprit = world_rank() == 0;
  EXPECT_TRUE(same_everywhere(
      fconv_mpi_execute(p, culprit ? nullptr : x.data(), h.data(), y.data()),
      FCONV_ERR_INVALID_ARGUMENT));
  EXPECT_TRUE(same_everywhere(
      fconv_mpi_execute(p, x.data(), h.data(), culprit ? nullptr : y.data()),
      FCONV_ERR_INVALID_ARGUMENT));
  EXPECT_EQ(y[0], -7.0f);
  EXPECT_TRUE(same_everywhere(fconv_mpi_plan_set_kernel(p, culprit ? nullptr : h.data()),
                              FCONV_ERR_INVALID_ARGUMENT));
  EXPECT_TRUE(same_everywhere(fconv_mpi_execute(p, x.data(), h.data(), y.data()), FCONV_OK));
  fconv_mpi_plan_destroy(p);
  fconv_mpi_plan_destroy(nullptr);
  fconv_mpi_plan_info info;
  EXPECT_EQ(fconv_mpi_plan_get_info(nullptr, &info), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_mpi_plan_output_range(nullptr, nullptr, nullptr, nullptr),
            FCONV_ERR_INVALID_ARGUMENT);
  size_t n, s;
  EXPECT_EQ(fconv_mpi_local_size(nullptr, MPI_COMM_WORLD, &n, &s), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_mpi_local_size(&d, MPI_COMM_NULL, &n, &s), FCONV_ERR_INVALID_ARGUMENT);
}

// Failures on ranks other than 0 are printed with the rank (rank 0 prints the usual report).
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
  void OnTestPartResult(const ::testing::TestPartResult &r) override {
    if (r.failed())
      std::cerr << "[rank " << world_rank() << "] " << (r.file_name() ? r.file_name() : "?") << ":"
                << r.line_number() << ": " << r.summary() << "\n";
  }
};

} // namespace

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  // One seed for every rank (each rank must build the same global problem).
  unsigned long long seed = 0;
  if (world_rank() == 0) {
    const char *e = std::getenv("FCONV_TEST_SEED");
    seed = (e && *e) ? std::strtoull(e, nullptr, 10) : (unsigned long long)ft::base_seed();
  }
  MPI_Bcast(&seed, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
  if (world_rank() != 0) {
    setenv("FCONV_TEST_SEED", std::to_string(seed).c_str(), 1);
    ::testing::TestEventListeners &l = ::testing::UnitTest::GetInstance()->listeners();
    delete l.Release(l.default_result_printer());
    l.Append(new RankFailurePrinter);
    std::cout.setstate(std::ios::failbit); // the seed line is printed once, by rank 0
  }
  const int rc = RUN_ALL_TESTS();
  int any = 0;
  MPI_Allreduce(&rc, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return any;
}
