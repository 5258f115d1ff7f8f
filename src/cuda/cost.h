/* cost.h — the constants of the CUDA paths' cost models, in one place. H100-class defaults
 * (SXM5, PCIe 5 host), NOT measured by fconv: they were written without a GPU. A GPU calibration
 * (the counterpart of tools/fconv_calibrate.c for the CPU paths) would generate this header, with
 * the command and the device that made it. */
#ifndef FCONV_CUDA_COST_H
#define FCONV_CUDA_COST_H

/* ---- shared by every CUDA path ---- */
#define FCONV_DEV_MEM_BW 2.0e12   /* bytes/s streamed through device memory (peak 3.35e12) */
#define FCONV_DEV_STAGE_BW 8.0e9  /* bytes/s host <-> device through the stager: one core's
                                     memcpy into pinned chunks, overlapped with the ~2.5e10
                                     bytes/s PCIe DMA, is the bottleneck */
#define FCONV_DEV_LAUNCH_S 5.0e-6 /* one kernel launch or library call on the stream */
#define FCONV_DEV_SYNC_S 1.0e-5   /* one host synchronisation */

/* ---- cuda-direct (direct_path.cu): direct convolution is bound by shared-memory bandwidth at
 * roughly a quarter of FMA peak ---- */
#define FCONV_CUDA_MAC_F32 8e12   /* multiply-adds per second */
#define FCONV_CUDA_MAC_F64 4e12
#define FCONV_CUDA_MAC_C64 2e12
#define FCONV_CUDA_MAC_C128 1e12
/* the specialised kernels (direct_reg_kernels.cuh: taps as FMA operands, register windows):
 * ~70% of FMA peak (H100 SXM: 132 SMs x 128 FP32 / 64 FP64 lanes x 1.98 GHz = 3.3e13 / 1.7e13
 * FMA/s). Not measured: an estimate from SASS (one FFMA/DFMA per multiply-add plus ~10-25%
 * loads and address arithmetic, docs/cuda-kernels.md). */
#define FCONV_CUDA_MAC_REG_F32 2.4e13
#define FCONV_CUDA_MAC_REG_F64 1.2e13
#define FCONV_CUDA_EXECUTE_S 10e-6 /* per execute */
#define FCONV_CUDA_REFERENCE_SMS 132 /* the device the rates are for; others scale by SM count */

/* ---- cuda-fft, cuda-overlap-save (fft_path.cu) ---- */
#define FCONV_CUDA_FLOPS_F32 4.0e13 /* FP32 butterflies per second (peak ~6.7e13 non-tensor) */
#define FCONV_CUDA_FLOPS_F64 2.0e13 /* FP64 (peak ~3.4e13) */
#define FCONV_CUFFT_PASS_LOG2 12    /* cuFFT does up to ~2^12 points of an axis per pass through
                                       device memory (shared-memory kernels); longer axes take
                                       more passes */

#endif /* FCONV_CUDA_COST_H */
