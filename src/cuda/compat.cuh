/* compat.cuh — included FIRST by every CUDA source of fconv (kernels and launch code).
 *
 * Under nvcc it includes the CUDA runtime and nothing special happens. When FCONV_CUDA_EMULATE
 * is defined (the tests), it includes the block emulator "fconv_emu.h" (found through the test
 * target's include path, tests/cuda/emu), so the SAME kernel source compiles as plain C++ with
 * g++ and runs on the CPU, one fiber per CUDA thread. See tests/cuda/emu/fconv_emu.h.
 *
 * Rules for kernel code that must run in both worlds:
 *  - dynamic shared memory only through FCONV_DYNAMIC_SHARED(T, name) (never `extern
 *    __shared__` directly): it declares `T *name`;
 *  - no warp-level primitives or implicit warp synchrony (the emulator has no warps);
 *  - shared/boundary/pairing math from core/boundary.h (FCONV_HD functions) is usable.
 */
#ifndef FCONV_CUDA_COMPAT_CUH
#define FCONV_CUDA_COMPAT_CUH

#if defined(FCONV_CUDA_EMULATE)
#include "fconv_emu.h"
#define FCONV_DYNAMIC_SHARED(T, name) T *name = reinterpret_cast<T *>(::fconv_emu::dynamic_shared())
#define FCONV_GRID_CONSTANT
#elif defined(__CUDACC__)
#include <cuda_runtime.h>
#define FCONV_DYNAMIC_SHARED(T, name)                                 \
  extern __shared__ __align__(16) unsigned char fconv_dyn_smem_[];    \
  T *name = reinterpret_cast<T *>(fconv_dyn_smem_)
/* `const FCONV_GRID_CONSTANT T param`: a kernel parameter read in place (references into it
 * never copy it to local memory; sm_70+) */
#define FCONV_GRID_CONSTANT __grid_constant__
#else
#error "compat.cuh: compile with nvcc, or define FCONV_CUDA_EMULATE (tests)"
#endif

#include "../core/boundary.h"
#include "../core/dtype.h"
#include "../core/error.h"
#include "../core/memory.h"
#include "../core/problem.h"
#include "../path.h"

/* Element type of a dtype from FCONV_DTYPE_DISPATCH's (scalar, cplx): float, double, float2,
 * double2 (layout-identical to cufftComplex / cufftDoubleComplex). */
template <class S, int C> struct fconv_elem { typedef S type; };
template <> struct fconv_elem<float, 1> { typedef float2 type; };
template <> struct fconv_elem<double, 1> { typedef double2 type; };

/* `FCONV_UNROLL for (...)`: unroll under nvcc (a hint; g++ builds of the emulator ignore it). */
#if defined(__CUDACC__)
#define FCONV_UNROLL _Pragma("unroll")
#else
#define FCONV_UNROLL
#endif

/* ---- small complex helpers shared by all CUDA kernels (float2 / double2 = re, im) ---------- */
#define FCONV_DI __device__ __host__ __forceinline__

FCONV_DI float2 fconv_cmul(float2 a, float2 b) {
  return make_float2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}
FCONV_DI double2 fconv_cmul(double2 a, double2 b) {
  return make_double2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}
FCONV_DI float2 fconv_conj(float2 a) { return make_float2(a.x, -a.y); }
FCONV_DI double2 fconv_conj(double2 a) { return make_double2(a.x, -a.y); }
FCONV_DI float fconv_conj(float a) { return a; }
FCONV_DI double fconv_conj(double a) { return a; }

/* acc + a * b for real and complex element types. Plain expressions: nvcc contracts them into
 * FMAs (--fmad=true, the default); the emulator keeps them cheap on any host. */
FCONV_DI float fconv_madd(float acc, float a, float b) { return acc + a * b; }
FCONV_DI double fconv_madd(double acc, double a, double b) { return acc + a * b; }
FCONV_DI float2 fconv_madd(float2 acc, float2 a, float2 b) {
  acc.x += a.x * b.x - a.y * b.y;
  acc.y += a.x * b.y + a.y * b.x;
  return acc;
}
FCONV_DI double2 fconv_madd(double2 acc, double2 a, double2 b) {
  acc.x += a.x * b.x - a.y * b.y;
  acc.y += a.x * b.y + a.y * b.x;
  return acc;
}

/* A zero of element type T. */
template <class T>
FCONV_DI T fconv_zero();
template <>
FCONV_DI float fconv_zero<float>() { return 0.0f; }
template <>
FCONV_DI double fconv_zero<double>() { return 0.0; }
template <>
FCONV_DI float2 fconv_zero<float2>() { return make_float2(0.0f, 0.0f); }
template <>
FCONV_DI double2 fconv_zero<double2>() { return make_double2(0.0, 0.0); }

/* ---- copies between global and shared memory (the specialised direct kernels) -------------- */
/* fconv_cp_async(dst, src): copy one element from global src to shared dst without holding a
 * register (cp.async on sm_80+, completed by fconv_cp_async_wait<N>: all but the N newest
 * committed groups are done); a plain copy on older architectures and in the emulator, where
 * commit and wait are no-ops. */
template <class T>
__device__ __forceinline__ void fconv_cp_async(T *dst, const T *src) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.ca.shared.global [%0], [%1], %2;\n" ::"r"(
                   (unsigned)__cvta_generic_to_shared(dst)),
               "l"(src), "n"((int)sizeof(T))
               : "memory");
#else
  *dst = __ldg(src);
#endif
}
__device__ __forceinline__ void fconv_cp_async_commit() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}
template <int N>
__device__ __forceinline__ void fconv_cp_async_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
#endif
}

/* 16 bytes (4 floats or 2 doubles) between a 16-byte aligned address and registers v[]. */
#if defined(__CUDACC__)
__device__ __forceinline__ void fconv_ld16(const float *p, float *v) {
  const float4 q = *reinterpret_cast<const float4 *>(p);
  v[0] = q.x, v[1] = q.y, v[2] = q.z, v[3] = q.w;
}
__device__ __forceinline__ void fconv_ld16(const double *p, double *v) {
  const double2 q = *reinterpret_cast<const double2 *>(p);
  v[0] = q.x, v[1] = q.y;
}
__device__ __forceinline__ void fconv_st16(float *p, const float *v) {
  *reinterpret_cast<float4 *>(p) = make_float4(v[0], v[1], v[2], v[3]);
}
__device__ __forceinline__ void fconv_st16(double *p, const double *v) {
  *reinterpret_cast<double2 *>(p) = make_double2(v[0], v[1]);
}
#else /* the emulator: element by element (no aliasing of T through a vector type) */
template <class T>
inline void fconv_ld16(const T *p, T *v) {
  for (unsigned i = 0; i < 16 / sizeof(T); i++) v[i] = p[i];
}
template <class T>
inline void fconv_st16(T *p, const T *v) {
  for (unsigned i = 0; i < 16 / sizeof(T); i++) p[i] = v[i];
}
#endif

#endif /* FCONV_CUDA_COMPAT_CUH */
