/* core/dtype.h — the one dtype table: element size, complex/double predicates, the dispatch
 * macro every typed call site uses, and element load/store as double.
 *
 * FCONV_DTYPE_DISPATCH(t, X) expands to a switch over t calling X(ENUM, scalar, cplx) for the
 * matching dtype (scalar: float or double; cplx: 0 or 1). X is a macro defined at file scope by
 * the caller, e.g. to instantiate a template (CUDA: element type from fconv_elem_t<scalar,
 * cplx>) or to pick a typed C function. */
#ifndef FCONV_CORE_DTYPE_H
#define FCONV_CORE_DTYPE_H

#include <stddef.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FCONV_DTYPE_DISPATCH(t, X)                  \
  switch (t) {                                      \
  case FCONV_F32: X(FCONV_F32, float, 0) break;     \
  case FCONV_F64: X(FCONV_F64, double, 0) break;    \
  case FCONV_C64: X(FCONV_C64, float, 1) break;     \
  case FCONV_C128: X(FCONV_C128, double, 1) break;  \
  }

/* Bytes of one element. */
FCONV_HD static inline size_t fconv_dtype_size(fconv_dtype t) {
  return t == FCONV_F32 ? 4 : t == FCONV_F64 ? 8 : t == FCONV_C64 ? 8 : 16;
}
FCONV_HD static inline int fconv_dtype_is_complex(fconv_dtype t) {
  return t == FCONV_C64 || t == FCONV_C128;
}
FCONV_HD static inline int fconv_dtype_is_double(fconv_dtype t) {
  return t == FCONV_F64 || t == FCONV_C128;
}
/* Bytes of one real scalar (4: float, 8: double). */
FCONV_HD static inline size_t fconv_dtype_scalar_size(fconv_dtype t) {
  return fconv_dtype_is_double(t) ? 8 : 4;
}

/* Element i of an array of dtype t as (re, im) in double (im = 0 for real dtypes). */
#define FCONV_LOAD_D_(E, S, C)                        \
  {                                                   \
    const S *v_ = (const S *)a + (C ? 2 : 1) * i;     \
    *re = (double)v_[0];                              \
    *im = C ? (double)v_[C ? 1 : 0] : 0.0;            \
  }
static inline void fconv_load_d(fconv_dtype t, const void *a, size_t i, double *re, double *im) {
  *re = *im = 0.0;
  FCONV_DTYPE_DISPATCH(t, FCONV_LOAD_D_)
}
#undef FCONV_LOAD_D_

/* Store (re, im) rounded to dtype t as element i (im ignored for real dtypes). */
#define FCONV_STORE_D_(E, S, C)                       \
  {                                                   \
    S *v_ = (S *)a + (C ? 2 : 1) * i;                 \
    v_[0] = (S)re;                                    \
    if (C) v_[C ? 1 : 0] = (S)im;                     \
  }
static inline void fconv_store_d(fconv_dtype t, void *a, size_t i, double re, double im) {
  FCONV_DTYPE_DISPATCH(t, FCONV_STORE_D_)
}
#undef FCONV_STORE_D_

#ifdef __cplusplus
}
#endif

#endif /* FCONV_CORE_DTYPE_H */
