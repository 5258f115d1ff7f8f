/* core/memory.h — host allocation (64-byte aligned, with the tests' fault injection) and size_t
 * arithmetic that reports overflow. */
#ifndef FCONV_CORE_MEMORY_H
#define FCONV_CORE_MEMORY_H

#include <stddef.h>
#include <string.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 64-byte aligned host allocation; NULL on failure. Free with fconv_free. fconv_calloc zeroes.
 * The env var FCONV_FAIL_ALLOC_AFTER=N (tests only) makes allocation N+1 and later ones fail
 * (only N+1 with FCONV_FAIL_ALLOC_ONLY=1), to test out-of-memory paths. */
FCONV_HIDDEN void *fconv_malloc(size_t bytes);
FCONV_HIDDEN void *fconv_calloc(size_t bytes);
FCONV_HIDDEN void fconv_free(void *p);

/* size_t arithmetic that reports overflow: return 0 on success, 1 on overflow. */
static inline int fconv_mul_ovf(size_t a, size_t b, size_t *r) {
  return __builtin_mul_overflow(a, b, r);
}
static inline int fconv_add_ovf(size_t a, size_t b, size_t *r) {
  return __builtin_add_overflow(a, b, r);
}

/* memcpy for the short runs of the gathers and scatters (rows of a few to a few hundred bytes,
 * d and s apart): fixed-size moves, overlapping at the end, instead of a library call per run. */
static inline void fconv_copy_run(void *d, const void *s, size_t n) {
  unsigned char *dc = (unsigned char *)d;
  const unsigned char *sc = (const unsigned char *)s;
  if (n > 256) {
    memcpy(dc, sc, n);
  } else if (n >= 32) {
    for (size_t i = 0; i + 32 < n; i += 32) memcpy(dc + i, sc + i, 32);
    memcpy(dc + n - 32, sc + n - 32, 32);
  } else if (n >= 16) {
    memcpy(dc, sc, 16);
    memcpy(dc + n - 16, sc + n - 16, 16);
  } else if (n >= 8) {
    memcpy(dc, sc, 8);
    memcpy(dc + n - 8, sc + n - 8, 8);
  } else if (n >= 4) {
    memcpy(dc, sc, 4);
    memcpy(dc + n - 4, sc + n - 4, 4);
  } else {
    for (size_t i = 0; i < n; i++) dc[i] = sc[i];
  }
}

#ifdef __cplusplus
}
#endif

#endif /* FCONV_CORE_MEMORY_H */
