// stream_cases.h — the streaming convolution's (fconv_stream_*) cases and their checks against
// the independent reference, shared by the CPU suite (test_stream.cpp) and the CUDA emulator
// suite (cuda/test_cuda_stream_emu.cpp), so that both engines are held to the same contract:
// the concatenated output blocks equal the leading samples of the FULL convolution of the
// concatenated input with each response, summed per output, within the suite's one accuracy
// bound; for random block lengths (1, odd, prime, powers of two), response lengths, channel
// matrices, dtypes, response swaps (with and without crossfade), reset; bad input.
// Public API only. Seeds: printed once per run (test_common.h).
#ifndef FCONV_TESTS_STREAM_CASES_H
#define FCONV_TESTS_STREAM_CASES_H

#include <string>
#include <vector>

#include "test_common.h"

namespace ft {

struct StreamCase {
  fconv_dtype dtype = FCONV_F32;
  size_t block = 64, inputs = 1, outputs = 1, blocks = 10;
  std::vector<size_t> lengths; // outputs x inputs
  fconv_stream_partitioning policy = FCONV_STREAM_PARTITION_AUTO;
  size_t max_partition = 0, capacity = 0;
  unsigned flags = 0;
  fconv_backend backend = FCONV_BACKEND_CPU;
  std::string str() const;
};

// A case of these channel counts, lengths ([o * inputs + i]) and block count; defaults otherwise.
StreamCase stream_case_of(fconv_dtype t, size_t block, size_t inputs, size_t outputs,
                          std::vector<size_t> lengths, size_t blocks,
                          fconv_backend b = FCONV_BACKEND_CPU);

// Responses of a case: one Array per pair, random values.
std::vector<Array> make_responses(const StreamCase &c, std::mt19937_64 &g);

// A response swap's data: the case's responses, new ones of random lengths up to its capacity
// (c_new: the case with their lengths), and a random input.
struct SwapData {
  std::vector<Array> h_old, h_new;
  StreamCase c_new;
  Array x;
  SwapData(const StreamCase &c, std::mt19937_64 &g);
};

// The description of case c with responses h (ptr receives their pointers; keep it alive).
fconv_stream_desc stream_desc_of(const StreamCase &c, const std::vector<Array> &h,
                                 std::vector<const void *> &ptr);

// A stream for case c with responses h; fails the test (and returns NULL) when create fails.
fconv_stream *make_stream(const StreamCase &c, const std::vector<Array> &h);

// Block b of x (inputs x T, channel after channel) through s (staged in xin, yout) into y
// (outputs x T).
void process_block(fconv_stream *s, const StreamCase &c, const Array &x, size_t b, Array &xin,
                   Array &yout, Array &y);

// Run blocks [first, first + count) of x through s; returns outputs x T (other blocks zero).
Array run_stream(fconv_stream *s, const StreamCase &c, const Array &x, size_t first = 0,
                 size_t count = (size_t)-1);

// The oracle: per output o, sum_i FULL(x_i, h_oi) truncated to T, and the bound per output.
struct Expected {
  std::vector<std::vector<cld>> y; // [outputs][T]
  std::vector<double> bound;       // [outputs]
};
Expected expected(const StreamCase &c, const Array &x, const std::vector<Array> &h,
                  double log2_len);

// The stream's info (a test failure when get_info fails).
fconv_stream_info stream_info(fconv_stream *s);

// log2 of the stream's largest transform (at least 1): the bound's length term.
double log2_of(fconv_stream *s);

// Every output sample from t_begin on within the bound of the oracle.
::testing::AssertionResult close_to(const Array &y, const Expected &e, const StreamCase &c,
                                    size_t t_begin = 0);

// Run case c (random responses and input) and compare with the oracle.
void check_case(const StreamCase &c, std::mt19937_64 &g);

// ---- the contract, checked on one backend (CPU or CUDA) ------------------------------------------

// Random dtypes, blocks, channel matrices (up to 3 x 3), response lengths (single sample,
// shorter than the block, up to 3000), policies and max partitions.
StreamCase random_stream_case(std::mt19937_64 &g, fconv_backend b);
void check_random_cases(fconv_backend b, int reps);
// Block lengths 1, odd, prime; responses of one sample, shorter and longer than the block.
void check_small_blocks(fconv_backend b);
// An impulse returns each response, summed over inputs (F64: exact up to rounding).
void check_impulse(fconv_backend b);
// reset forgets the input: the same blocks after a reset give the same output, bit for bit.
void check_reset(fconv_backend b);
// Response swaps at random blocks with and without crossfade (rep 0: long responses, block
// 64-72, NONUNIFORM up to 64 B, EVEN_LOAD: swaps in the middle of split transforms on the CPU,
// in the middle of a level's period on the CUDA engine).
void check_swaps(fconv_backend b, int reps);
// Bad descriptions and calls return statuses and change nothing; cuda_status: what backend
// CUDA gets on a description that is otherwise good (FCONV_OK when a device runs it).
void check_bad_input(fconv_backend b, fconv_status cuda_status);

extern const size_t kStreamBlocks[14];

} // namespace ft

#endif // FCONV_TESTS_STREAM_CASES_H
