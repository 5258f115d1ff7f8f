// test_memory.cpp — core/memory.c: 64-byte alignment, the cache of large blocks (a freed block
// of 256 KiB or more is handed to the next request it fits, at most twice its size; a zeroed
// request gets zeros even from a reused block), the tests' fault injection counting cache hits
// too, and concurrent allocation and release handing no block to two owners. Internal symbols:
// linked against the static library only.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "core/memory.h"

namespace {

constexpr size_t MiB = size_t(1) << 20;

bool aligned64(const void *p) { return ((uintptr_t)p & 63) == 0; }

TEST(Memory, EveryBlockIsAligned) {
  for (size_t n : {size_t(0), size_t(1), size_t(63), size_t(64), size_t(65), size_t(4097),
                   size_t(300) << 10, 3 * MiB + 7}) {
    void *p = fconv_malloc(n), *q = fconv_calloc(n);
    ASSERT_NE(p, nullptr);
    ASSERT_NE(q, nullptr);
    EXPECT_TRUE(aligned64(p)) << n;
    EXPECT_TRUE(aligned64(q)) << n;
    for (size_t i = 0; i < n; i++) ASSERT_EQ(((unsigned char *)q)[i], 0) << n << " at " << i;
    if (n) memset(p, 0x5A, n); /* the whole request is writable (ASan checks the bounds) */
    fconv_free(p);
    fconv_free(q);
  }
  fconv_free(nullptr);
}

TEST(Memory, LargeBlocksAreReusedAndZeroedOnRequest) {
  unsigned char *p = (unsigned char *)fconv_malloc(MiB);
  ASSERT_NE(p, nullptr);
  memset(p, 0xFF, MiB);
  fconv_free(p);
  unsigned char *q = (unsigned char *)fconv_malloc(MiB);
  EXPECT_EQ(q, p) << "a freed large block is handed to the next request of its size";
  memset(q, 0xFF, MiB);
  fconv_free(q);
  unsigned char *z = (unsigned char *)fconv_calloc(MiB - 100);
  EXPECT_EQ(z, p);
  for (size_t i = 0; i < MiB - 100; i++) ASSERT_EQ(z[i], 0) << "at " << i;
  fconv_free(z);
}

TEST(Memory, ReuseOnlyWithinTwiceTheRequest) {
  unsigned char *p = (unsigned char *)fconv_malloc(MiB);
  ASSERT_NE(p, nullptr);
  fconv_free(p); /* cached */
  void *big = fconv_malloc(3 * MiB);   /* does not fit in the cached block */
  void *small = fconv_malloc(300 << 10); /* fits, but the block is over twice the request */
  EXPECT_NE(big, (void *)p);
  EXPECT_NE(small, (void *)p);
  void *same = fconv_malloc(MiB / 2 + 64); /* within twice: takes it */
  EXPECT_EQ(same, (void *)p);
  fconv_free(big);
  fconv_free(small);
  fconv_free(same);
}

TEST(Memory, FaultInjectionCountsCacheHits) {
  void *p = fconv_malloc(MiB);
  ASSERT_NE(p, nullptr);
  fconv_free(p); /* a cached block is available ... */
  setenv("FCONV_FAIL_ALLOC_AFTER", "0", 1);
  void *q = fconv_malloc(MiB); /* ... and the injected failure still happens */
  unsetenv("FCONV_FAIL_ALLOC_AFTER");
  EXPECT_EQ(q, nullptr);
  fconv_free(q);
  void *r = fconv_malloc(MiB);
  EXPECT_EQ(r, p);
  fconv_free(r);
}

// Threads allocate, fill with their own pattern, check, and free large blocks of a few sizes:
// a block handed to two owners at once shows up as a foreign pattern.
TEST(Memory, ConcurrentUseHandsNoBlockToTwoOwners) {
  std::vector<std::thread> ts;
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; t++)
    ts.emplace_back([t, &bad] {
      for (int it = 0; it < 200; it++) {
        const size_t n = (size_t(256) << 10) * size_t(1 + (it + t) % 5);
        unsigned char *p = (unsigned char *)fconv_malloc(n);
        if (!p) { bad[t]++; continue; }
        memset(p, 0x10 + t, n);
        std::this_thread::yield();
        for (size_t i = 0; i < n; i += 4093)
          if (p[i] != 0x10 + t) { bad[t]++; break; }
        fconv_free(p);
      }
    });
  for (auto &th : ts) th.join();
  for (int t = 0; t < 4; t++) EXPECT_EQ(bad[t], 0) << "thread " << t;
}

}  // namespace
