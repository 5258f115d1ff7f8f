/* kernel_isa.h — what every per-instruction-set compilation of the CPU micro-kernels
 * (direct_kernels.c, channel_kernels.c: one object library per ISA, cmake/fconv_cpu.cmake)
 * shares: the variant's name and vector width (defaults: generic, 16 bytes), name pasting, the
 * always-inline helper marker and the GCC vector types. Included only by those two sources. */
#ifndef FCONV_CPU_KERNEL_ISA_H
#define FCONV_CPU_KERNEL_ISA_H

#ifndef FCONV_DK_ISA
#define FCONV_DK_ISA generic
#endif
#ifndef FCONV_DK_VBYTES
#define FCONV_DK_VBYTES 16
#endif

#define DK_CAT2(a, b) a##_##b
#define DK_CAT(a, b) DK_CAT2(a, b)
#define DK_STR2(a) #a
#define DK_STR(a) DK_STR2(a)

#define DK_INLINE static inline __attribute__((always_inline))

typedef float dk_vf __attribute__((vector_size(FCONV_DK_VBYTES)));
typedef double dk_vd __attribute__((vector_size(FCONV_DK_VBYTES)));

#endif /* FCONV_CPU_KERNEL_ISA_H */
