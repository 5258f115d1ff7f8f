/* core/memory.h — host allocation (64-byte aligned, with the tests' fault injection) and size_t
 * arithmetic that reports overflow. */
#ifndef FCONV_CORE_MEMORY_H
#define FCONV_CORE_MEMORY_H

#include <stddef.h>

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

#ifdef __cplusplus
}
#endif

#endif /* FCONV_CORE_MEMORY_H */
