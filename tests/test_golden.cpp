// test_golden.cpp — golden vectors: results of SciPy / NumPy calls, pasted as fixed arrays.
// Each vector names the exact call that produced it (scipy 1.10.1, numpy 1.24.2; the numbers
// were computed once with /usr/bin/python3 and are facts about SciPy's documented semantics,
// which DESIGN.md says fconv matches). The tests never call Python.
//
// Every golden runs through the library (every method/backend that can run here, every dtype
// that can hold its values) and through the reference (which must reproduce it exactly: the
// values are small integers and halves).
#include <gtest/gtest.h>

#include <cmath>

#include "test_common.h"

namespace {

using ft::Array;
using ft::cld;
using ft::MethodBackend;

struct Golden {
  const char *call; // the Python call that produced `want`
  int rank;
  std::vector<size_t> n, k;
  fconv_mode mode;
  fconv_op op;
  fconv_boundary boundary;
  std::vector<cld> x, h, want;
  std::vector<size_t> stride = {};
  std::vector<size_t> pad_before = {}, pad_after = {};
};

cld c(long double re, long double im) { return cld(re, im); }

// 2-D operands shared by several goldens (row-major).
// x = np.array([[1,2,0,-1],[3,1,4,1],[5,-9,2,6]]); h = np.array([[1,0,-1],[2,1,0]])
// h3 = np.array([[1,2,-1],[0,1,3],[2,-2,1]])
const std::vector<cld> kX2 = {1, 2, 0, -1, 3, 1, 4, 1, 5, -9, 2, 6};
const std::vector<cld> kH2 = {1, 0, -1, 2, 1, 0};
const std::vector<cld> kH3 = {1, 2, -1, 0, 1, 3, 2, -2, 1};
// xs = np.array([[1,2],[3,-4]]);
// hb = np.array([[1,2,0,1,-1],[0,1,1,2,3],[2,-1,0,1,1],[1,1,1,-2,0]])
const std::vector<cld> kXs = {1, 2, 3, -4};
const std::vector<cld> kHb = {1, 2, 0, 1, -1, 0, 1, 1, 2, 3, 2, -1, 0, 1, 1, 1, 1, 1, -2, 0};
// x3 = np.arange(24).reshape(2,3,4) % 5 - 2; h3d = np.array([[[1,-1],[2,0]],[[0,1],[1,1]]])
const std::vector<cld> kX3 = {-2, -1, 0, 1, 2, -2, -1, 0, 1, 2, -2, -1,
                              0,  1,  2, -2, -1, 0, 1, 2, -2, -1, 0, 1};
const std::vector<cld> kH3d = {1, -1, 2, 0, 0, 1, 1, 1};

const std::vector<Golden> &goldens() {
  static const std::vector<Golden> g = {
      // ---- 1-D convolve ----------------------------------------------------------------------
      {"scipy.signal.convolve([3,4,5,6,5,4],[1,2,3])  (the SciPy documentation example)", 1,
       {6}, {3}, FCONV_MODE_FULL, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_ZERO,
       {3, 4, 5, 6, 5, 4}, {1, 2, 3}, {3, 10, 22, 28, 32, 32, 23, 12}},
      {"scipy.signal.convolve([1,2,3],[0,1,0.5,2,1],'same')  (kernel longer than the signal)", 1,
       {3}, {5}, FCONV_MODE_SAME, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_ZERO,
       {1, 2, 3}, {0, 1, 0.5, 2, 1}, {2.5, 6, 6.5}},
      {"scipy.signal.convolve([1,2,3],[0,1,0.5,2,1],'valid')  (operands swapped, rule 6)", 1,
       {3}, {5}, FCONV_MODE_VALID, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_ZERO,
       {1, 2, 3}, {0, 1, 0.5, 2, 1}, {2.5, 6, 6.5}},
      {"scipy.signal.convolve([1,2,3,4,5],[1,-1,2,3],'same')  (even kernel length)", 1,
       {5}, {4}, FCONV_MODE_SAME, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_ZERO,
       {1, 2, 3, 4, 5}, {1, -1, 2, 3}, {1, 3, 8, 13, 12}},
      {"scipy.signal.convolve([3,4,5,6,5,4,1,-2,7],[1,2,3,-1])[::3]  (stride 3)", 1,
       {9}, {4}, FCONV_MODE_FULL, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_ZERO,
       {3, 4, 5, 6, 5, 4, 1, -2, 7}, {1, 2, 3, -1}, {3, 25, 18, 7}, {3}},
      // ---- 1-D correlate ---------------------------------------------------------------------
      {"np.correlate([1,2,3],[0,1,0.5])  (the NumPy documentation example, 'valid')", 1,
       {3}, {3}, FCONV_MODE_VALID, FCONV_OP_CORRELATE, FCONV_BOUNDARY_ZERO,
       {1, 2, 3}, {0, 1, 0.5}, {3.5}},
      {"np.correlate([1,2,3],[0,1,0.5],'same')", 1,
       {3}, {3}, FCONV_MODE_SAME, FCONV_OP_CORRELATE, FCONV_BOUNDARY_ZERO,
       {1, 2, 3}, {0, 1, 0.5}, {2, 3.5, 3}},
      {"np.correlate([1,2,3],[0,1,0.5],'full')", 1,
       {3}, {3}, FCONV_MODE_FULL, FCONV_OP_CORRELATE, FCONV_BOUNDARY_ZERO,
       {1, 2, 3}, {0, 1, 0.5}, {0.5, 2, 3.5, 3, 0}},
      {"np.correlate([1+1j,2,3-1j],[0,1,0.5j],'full')  (== scipy.signal.correlate; conjugates)",
       1, {3}, {3}, FCONV_MODE_FULL, FCONV_OP_CORRELATE, FCONV_BOUNDARY_ZERO,
       {c(1, 1), 2, c(3, -1)}, {0, 1, c(0, 0.5)}, {c(0.5, -0.5), 1, c(1.5, -1.5), c(3, -1), 0}},
      {"scipy.signal.correlate([1+1j,2,3-1j],[0,1,0.5j],'same')", 1,
       {3}, {3}, FCONV_MODE_SAME, FCONV_OP_CORRELATE, FCONV_BOUNDARY_ZERO,
       {c(1, 1), 2, c(3, -1)}, {0, 1, c(0, 0.5)}, {1, c(1.5, -1.5), c(3, -1)}},
      {"scipy.signal.correlate([1+1j,2,3-1j],[0,1,0.5j],'valid')", 1,
       {3}, {3}, FCONV_MODE_VALID, FCONV_OP_CORRELATE, FCONV_BOUNDARY_ZERO,
       {c(1, 1), 2, c(3, -1)}, {0, 1, c(0, 0.5)}, {c(1.5, -1.5)}},
      {"scipy.signal.correlate([1,2,3],[0,1,0.5,2,1],'valid')  (swapped correlate)", 1,
       {3}, {5}, FCONV_MODE_VALID, FCONV_OP_CORRELATE, FCONV_BOUNDARY_ZERO,
       {1, 2, 3}, {0, 1, 0.5, 2, 1}, {7.5, 8, 3.5}},
      {"scipy.signal.correlate([1+1j,2,3-1j],[1+2j,-1j,0.5,2-1j,1],'valid')  (swapped, complex)",
       1, {3}, {5}, FCONV_MODE_VALID, FCONV_OP_CORRELATE, FCONV_BOUNDARY_ZERO,
       {c(1, 1), 2, c(3, -1)}, {c(1, 2), c(0, -1), 0.5, c(2, -1), 1},
       {c(7.5, 1.5), c(7, 2), c(4.5, 0.5)}},
      {"scipy.signal.correlate([1+1j,2,3-1j],[1+2j,-1j,0.5,2-1j,1],'full')", 1,
       {3}, {5}, FCONV_MODE_FULL, FCONV_OP_CORRELATE, FCONV_BOUNDARY_ZERO,
       {c(1, 1), 2, c(3, -1)}, {c(1, 2), c(0, -1), 0.5, c(2, -1), 1},
       {c(1, 1), c(3, 3), c(7.5, 1.5), c(7, 2), c(4.5, 0.5), c(3, -1), c(1, -7)}},
      {"scipy.signal.correlate([1,2,3,4,5],[1,-1,2,3],'same')  (even kernel; correlate2d gives "
       "[12,17,22,9,-1] here, fconv follows correlate)", 1,
       {5}, {4}, FCONV_MODE_SAME, FCONV_OP_CORRELATE, FCONV_BOUNDARY_ZERO,
       {1, 2, 3, 4, 5}, {1, -1, 2, 3}, {8, 12, 17, 22, 9}},
      // ---- 2-D with boundaries (scipy.signal.convolve2d / correlate2d) ------------------------
      {"scipy.signal.convolve2d(x,h,'full',boundary='fill')", 2, {3, 4}, {2, 3},
       FCONV_MODE_FULL, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_ZERO, kX2, kH2,
       {1, 2, -1, -3, 0, 1, 5, 6, 3, -2, -5, -1, 11, -4, 6, 21, -1, -6, 10, -13, -5, 14, 6, 0}},
      {"scipy.signal.convolve2d(x,h,'same',boundary='fill')", 2, {3, 4}, {2, 3},
       FCONV_MODE_SAME, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_ZERO, kX2, kH2,
       {2, -1, -3, 0, 6, 3, -2, -5, -4, 6, 21, -1}},
      {"scipy.signal.convolve2d(x,h,'valid')  (VALID reads no padding: any boundary)", 2,
       {3, 4}, {2, 3},
       FCONV_MODE_VALID, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_WRAP, kX2, kH2, {3, -2, 6, 21}},
      {"scipy.signal.convolve2d(x,h,'full',boundary='wrap')", 2, {3, 4}, {2, 3},
       FCONV_MODE_FULL, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_WRAP, kX2, kH2,
       {17, -10, -6, 11, 17, -10, 0, 5, 3, -2, 0, 5, 10, -10, 6, 21, 10, -10, 17, -10, -6, 11,
        17, -10}},
      {"scipy.signal.convolve2d(x,h,'same',boundary='wrap')", 2, {3, 4}, {2, 3},
       FCONV_MODE_SAME, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_WRAP, kX2, kH2,
       {-10, -6, 11, 17, 5, 3, -2, 0, -10, 6, 21, 10}},
      {"scipy.signal.convolve2d(x,h,'full',boundary='symm')", 2, {3, 4}, {2, 3},
       FCONV_MODE_FULL, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_SYMMETRIC, kX2, kH2,
       {2, 6, 1, -5, -4, 0, 5, 3, 3, -2, -6, 2, 23, -9, 6, 21, 7, 5, 29, -27, -8, 29, 22, 6}},
      {"scipy.signal.convolve2d(x,h,'same',boundary='symm')", 2, {3, 4}, {2, 3},
       FCONV_MODE_SAME, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_SYMMETRIC, kX2, kH2,
       {6, 1, -5, -4, 3, 3, -2, -6, -9, 6, 21, 7}},
      {"scipy.signal.correlate2d(x,h3,'full',boundary='wrap')", 2, {3, 4}, {3, 3},
       FCONV_MODE_FULL, FCONV_OP_CORRELATE, FCONV_BOUNDARY_WRAP, kX2, kH3,
       {27, -18, -4, 31, 27, -18, 20, 29, -5, -19, 20, 29, 4, -2, 48, -6, 4, -2,
        27, -18, -4, 31, 27, -18, 20, 29, -5, -19, 20, 29}},
      {"scipy.signal.correlate2d(x,h3,'same',boundary='wrap')  (odd kernel: == correlate)", 2,
       {3, 4}, {3, 3}, FCONV_MODE_SAME, FCONV_OP_CORRELATE, FCONV_BOUNDARY_WRAP, kX2, kH3,
       {29, -5, -19, 20, -2, 48, -6, 4, -18, -4, 31, 27}},
      {"scipy.signal.correlate2d(x,h3,'full',boundary='symm')", 2, {3, 4}, {3, 3},
       FCONV_MODE_FULL, FCONV_OP_CORRELATE, FCONV_BOUNDARY_SYMMETRIC, kX2, kH3,
       {11, 17, 1, 8, 2, -2, 6, 9, 15, -5, 2, 0, -8, -2, 48, -6, 1, 12,
        1, -23, 28, 12, 27, 13, 15, 3, -10, 4, 39, 32}},
      {"scipy.signal.correlate2d(x,h3,'same',boundary='symm')", 2, {3, 4}, {3, 3},
       FCONV_MODE_SAME, FCONV_OP_CORRELATE, FCONV_BOUNDARY_SYMMETRIC, kX2, kH3,
       {9, 15, -5, 2, -2, 48, -6, 1, -23, 28, 12, 27}},
      {"scipy.signal.convolve2d(xs,hb,'full',boundary='wrap')  (padding longer than the signal)",
       2, {2, 2}, {4, 5}, FCONV_MODE_FULL, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_WRAP, kXs, kHb,
       {19, -9, 19, -9, 19, -9, 7, 11, 7, 11, 7, 11, 19, -9, 19, -9, 19, -9,
        7, 11, 7, 11, 7, 11, 19, -9, 19, -9, 19, -9}},
      {"scipy.signal.convolve2d(xs,hb,'full',boundary='symm')  (padding longer than the signal)",
       2, {2, 2}, {4, 5}, FCONV_MODE_FULL, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_SYMMETRIC, kXs, kHb,
       {26, 7, 0, 19, 26, 7, 26, 31, 0, -5, 26, 31, 6, -5, -4, 7, 6, -5,
        6, -29, -4, 31, 6, -29, 26, 7, 0, 19, 26, 7}},
      // ---- 3-D -----------------------------------------------------------------------------
      {"scipy.signal.convolve(x3,h3d,'full')", 3, {2, 3, 4}, {2, 2, 2}, FCONV_MODE_FULL,
       FCONV_OP_CONVOLVE, FCONV_BOUNDARY_ZERO, kX3, kH3d,
       {-2, 1, 1, 1, -1, -2, -6, 1, 3, 0, 5, -3, -6, 1, 1, 2, 4, -4, -2, 0,
        0, -1, 0, -4, 3, -3, 2, 2, -3, -1, -2, 2, 2, 2, -2, -3, 1, 0, -1, -1,
        0, 0, 1, 2, -2, 0, 0, 3, 1, 0, -1, -3, 0, 3, 3, -2, -3, -1, 1, 1}},
      {"scipy.signal.convolve(x3,h3d,'same')", 3, {2, 3, 4}, {2, 2, 2}, FCONV_MODE_SAME,
       FCONV_OP_CONVOLVE, FCONV_BOUNDARY_ZERO, kX3, kH3d,
       {-2, 1, 1, 1, -2, -6, 1, 3, 5, -3, -6, 1, 0, -1, 0, -4, -3, 2, 2, -3, -2, 2, 2, 2}},
      // ---- np.pad: PAD mode with the kernel [1] returns the extended signal itself ------------
      {"np.pad([1.,2,3,4],(9,9),'constant')", 1, {4}, {1}, FCONV_MODE_PAD, FCONV_OP_CONVOLVE,
       FCONV_BOUNDARY_ZERO, {1, 2, 3, 4}, {1},
       {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {}, {9}, {9}},
      {"np.pad([1.,2,3,4],(9,9),'wrap')", 1, {4}, {1}, FCONV_MODE_PAD, FCONV_OP_CONVOLVE,
       FCONV_BOUNDARY_WRAP, {1, 2, 3, 4}, {1},
       {4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1}, {}, {9}, {9}},
      {"np.pad([1.,2,3,4],(9,9),'symmetric')", 1, {4}, {1}, FCONV_MODE_PAD, FCONV_OP_CONVOLVE,
       FCONV_BOUNDARY_SYMMETRIC, {1, 2, 3, 4}, {1},
       {1, 1, 2, 3, 4, 4, 3, 2, 1, 1, 2, 3, 4, 4, 3, 2, 1, 1, 2, 3, 4, 4}, {}, {9}, {9}},
      {"np.pad([1.,2,3,4],(9,9),'reflect')", 1, {4}, {1}, FCONV_MODE_PAD, FCONV_OP_CONVOLVE,
       FCONV_BOUNDARY_MIRROR, {1, 2, 3, 4}, {1},
       {4, 3, 2, 1, 2, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1}, {}, {9}, {9}},
      {"np.pad([1.,2,3,4],(9,9),'edge')", 1, {4}, {1}, FCONV_MODE_PAD, FCONV_OP_CONVOLVE,
       FCONV_BOUNDARY_REPLICATE, {1, 2, 3, 4}, {1},
       {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4}, {}, {9}, {9}},
      {"np.pad([1.,2,3,4],(3,2),'wrap')", 1, {4}, {1}, FCONV_MODE_PAD, FCONV_OP_CONVOLVE,
       FCONV_BOUNDARY_WRAP, {1, 2, 3, 4}, {1}, {2, 3, 4, 1, 2, 3, 4, 1, 2}, {}, {3}, {2}},
      {"np.pad([1.,2,3,4],(3,2),'symmetric')", 1, {4}, {1}, FCONV_MODE_PAD, FCONV_OP_CONVOLVE,
       FCONV_BOUNDARY_SYMMETRIC, {1, 2, 3, 4}, {1}, {3, 2, 1, 1, 2, 3, 4, 4, 3}, {}, {3}, {2}},
      {"np.pad([1.,2,3,4],(3,2),'reflect')", 1, {4}, {1}, FCONV_MODE_PAD, FCONV_OP_CONVOLVE,
       FCONV_BOUNDARY_MIRROR, {1, 2, 3, 4}, {1}, {4, 3, 2, 1, 2, 3, 4, 3, 2}, {}, {3}, {2}},
      {"np.pad([1.,2,3,4],(3,2),'edge')", 1, {4}, {1}, FCONV_MODE_PAD, FCONV_OP_CONVOLVE,
       FCONV_BOUNDARY_REPLICATE, {1, 2, 3, 4}, {1}, {1, 1, 1, 1, 2, 3, 4, 4, 4}, {}, {3}, {2}},
      {"np.pad([7.],(3,2),'reflect')  (numpy extends a single sample as 'edge')", 1, {1}, {1},
       FCONV_MODE_PAD, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_MIRROR, {7}, {1},
       {7, 7, 7, 7, 7, 7}, {}, {3}, {2}},
      {"np.pad([7.,8],(5,5),'reflect')", 1, {2}, {1}, FCONV_MODE_PAD, FCONV_OP_CONVOLVE,
       FCONV_BOUNDARY_MIRROR, {7, 8}, {1}, {8, 7, 8, 7, 8, 7, 8, 7, 8, 7, 8, 7}, {}, {5}, {5}},
      {"np.pad([7.,8],(5,5),'symmetric')", 1, {2}, {1}, FCONV_MODE_PAD, FCONV_OP_CONVOLVE,
       FCONV_BOUNDARY_SYMMETRIC, {7, 8}, {1}, {7, 7, 8, 8, 7, 7, 8, 8, 7, 7, 8, 8}, {}, {5}, {5}},
      {"np.pad(np.array([[1,2],[3,4],[5,6]]),((2,2),(3,3)),'wrap')", 2, {3, 2}, {1, 1},
       FCONV_MODE_PAD, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_WRAP, {1, 2, 3, 4, 5, 6}, {1},
       {4, 3, 4, 3, 4, 3, 4, 3, 6, 5, 6, 5, 6, 5, 6, 5, 2, 1, 2, 1, 2, 1, 2, 1,
        4, 3, 4, 3, 4, 3, 4, 3, 6, 5, 6, 5, 6, 5, 6, 5, 2, 1, 2, 1, 2, 1, 2, 1,
        4, 3, 4, 3, 4, 3, 4, 3},
       {}, {2, 3}, {2, 3}},
      {"np.pad(np.array([[1,2,3],[4,5,6]]),((1,1),(2,2)),'reflect')", 2, {2, 3}, {1, 1},
       FCONV_MODE_PAD, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_MIRROR, {1, 2, 3, 4, 5, 6}, {1},
       {6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1, 6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1},
       {}, {1, 2}, {1, 2}},
      {"np.pad(np.array([[1,2,3],[4,5,6]]),((2,2),(4,4)),'symmetric')", 2, {2, 3}, {1, 1},
       FCONV_MODE_PAD, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_SYMMETRIC, {1, 2, 3, 4, 5, 6}, {1},
       {6, 6, 5, 4, 4, 5, 6, 6, 5, 4, 4, 3, 3, 2, 1, 1, 2, 3, 3, 2, 1, 1,
        3, 3, 2, 1, 1, 2, 3, 3, 2, 1, 1, 6, 6, 5, 4, 4, 5, 6, 6, 5, 4, 4,
        6, 6, 5, 4, 4, 5, 6, 6, 5, 4, 4, 3, 3, 2, 1, 1, 2, 3, 3, 2, 1, 1},
       {}, {2, 4}, {2, 4}},
      {"np.pad(np.array([[1,2,3],[4,5,6]]),((1,2),(2,1)),'edge')", 2, {2, 3}, {1, 1},
       FCONV_MODE_PAD, FCONV_OP_CONVOLVE, FCONV_BOUNDARY_REPLICATE, {1, 2, 3, 4, 5, 6}, {1},
       {1, 1, 1, 2, 3, 3, 1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6, 4, 4, 4, 5, 6, 6, 4, 4, 4, 5, 6, 6},
       {}, {1, 2}, {2, 1}},
  };
  return g;
}

bool has_imaginary(const std::vector<cld> &v) {
  for (const cld &z : v)
    if (z.imag() != 0) return true;
  return false;
}

fconv_desc desc_of(const Golden &g, fconv_dtype t) {
  fconv_desc d = ft::make_desc(g.rank, g.n.data(), g.k.data(), t);
  d.mode = g.mode;
  d.op = g.op;
  d.boundary = g.boundary;
  for (size_t a = 0; a < g.stride.size(); a++) d.stride[a] = g.stride[a];
  for (size_t a = 0; a < g.pad_before.size(); a++) d.pad_before[a] = g.pad_before[a];
  for (size_t a = 0; a < g.pad_after.size(); a++) d.pad_after[a] = g.pad_after[a];
  return d;
}

// The reference reproduces every golden exactly (it is checked here so that the randomised
// suites' oracle is itself anchored to SciPy/NumPy).
TEST(ReferenceGolden, ReproducesEveryGolden) {
  for (const Golden &g : goldens()) {
    SCOPED_TRACE(g.call);
    const fconv_desc d = desc_of(g, FCONV_C128);
    reference::Result r;
    std::string why;
    ASSERT_TRUE(reference::convolve(d, g.x, g.h, &r, &why)) << why;
    ASSERT_EQ(r.y.size(), g.want.size());
    for (size_t i = 0; i < g.want.size(); i++)
      EXPECT_EQ(r.y[i], g.want[i]) << "element " << i;
  }
}

class GoldenVectors : public ::testing::TestWithParam<MethodBackend> {};

TEST_P(GoldenVectors, LibraryMatchesScipy) {
  const MethodBackend mb = GetParam();
  FT_SKIP_IF_UNAVAILABLE(mb, FCONV_F64, 1);
  int checked = 0;
  for (const Golden &g : goldens()) {
    for (fconv_dtype t : ft::kAllDtypes) {
      const bool cplx = has_imaginary(g.x) || has_imaginary(g.h) || has_imaginary(g.want);
      if (cplx && !ft::is_complex(t)) continue;
      SCOPED_TRACE(std::string(g.call) + " as " + fconv_dtype_name(t));
      fconv_desc d = desc_of(g, t);
      d.method = mb.method;
      d.backend = mb.backend;
      Array x(t, g.x.size()), h(t, g.h.size()), y(t, g.want.size());
      x.set_values(g.x);
      h.set_values(g.h);
      y.fill_pattern(0xFF);
      fconv_plan *p = nullptr;
      ASSERT_EQ(fconv_plan_create(&p, &d), FCONV_OK) << ft::describe(d);
      size_t shape[FCONV_MAX_RANK];
      ASSERT_EQ(fconv_plan_output_shape(p, shape), FCONV_OK);
      size_t elems = 1;
      for (int a = 0; a < g.rank; a++) elems *= shape[a];
      ASSERT_EQ(elems, g.want.size()) << "output shape";
      const fconv_status st = fconv_execute(p, x.data(), h.data(), y.data());
      fconv_plan_destroy(p);
      ASSERT_EQ(st, FCONV_OK) << fconv_status_string(st);
      // Integers and halves: the bound with the golden's own norms (tiny), checked exactly for
      // the reference above; here every element within it.
      reference::Result r;
      ASSERT_TRUE(reference::convolve(d, g.x, g.h, &r, nullptr));
      r.y = g.want;
      EXPECT_TRUE(ft::matches_reference(y, r));
      checked++;
    }
  }
  EXPECT_GT(checked, 100);
}

INSTANTIATE_TEST_SUITE_P(Api, GoldenVectors, ::testing::ValuesIn(ft::all_method_backends()),
                         [](const ::testing::TestParamInfo<MethodBackend> &i) {
                           return ft::name_of(i.param);
                         });

} // namespace
