/* cost.h — the constants of the CUDA paths' cost models, in one place, per device.
 *
 * Where they come from (fconv_cuda_cost_get, once per device and process):
 *   1. a calibration file written on that device by `fconv_calibrate cuda` (tools/, which calls
 *      the module's calibration routine, calibrate.cu): measured device-to-device copy
 *      bandwidth, launch latency, host -> device transfer bandwidth through the stager
 *      (pageable memory) and from pinned memory, FP32 throughput and the FP64/FP32 ratio,
 *      cuFFT plan-creation time per point and a measured/modelled ratio of cuFFT transforms.
 *      The file is keyed by device name, compute capability and driver version: a file made
 *      on another device or driver is ignored. Directory: FCONV_CUDA_CALIBRATION (unset or
 *      empty: $XDG_CACHE_HOME/fconv, else $HOME/.cache/fconv; "0": no file is read), name
 *      cuda-<device>-cc<major><minor>-drv<driver>.txt;
 *   2. without a usable file: defaults derived from the device's properties (memory bandwidth
 *      from memory clock x bus width, FP32 rate from SMs x lanes x clock, FP64 ratio from the
 *      compute capability), never fixed figures of one GPU;
 *   3. when even the properties are unknown: the H100-class figures below (FCONV_COST_*).
 * A bad, truncated or foreign file is never an error and never printed (FCONV_DEBUG logs why
 * it was not used): the defaults apply. */
#ifndef FCONV_CUDA_COST_H
#define FCONV_CUDA_COST_H

#include <stddef.h>

#include "../core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the defaults need to know of a device (dev.h's fconv_dev_properties fills it). */
typedef struct fconv_dev_props {
  char name[256];        /* cudaDeviceProp.name */
  int cc_major, cc_minor;
  int driver;            /* cudaDriverGetVersion, e.g. 13000 */
  int sms;               /* streaming multiprocessors (0: unknown) */
  double clock_hz;       /* SM clock */
  double mem_clock_hz;   /* memory clock (the attribute's; DDR: two transfers per clock) */
  int bus_bits;          /* memory bus width */
} fconv_dev_props;

typedef struct fconv_cuda_cost {
  double mem_bw;           /* bytes/s read + written by a device-to-device copy */
  double launch_s;         /* one kernel launch queued behind others */
  double sync_s;           /* one host synchronisation of a stream */
  double stage_bw;         /* bytes/s host <-> device through the stager (pageable memory) */
  double pinned_bw;        /* bytes/s host -> device from pinned memory (the DMA alone) */
  double flops_f32;        /* FP32 flops/s of the FMA pipes (2 per FMA) */
  double fp64_ratio;       /* FP64 / FP32 throughput */
  double fft_scale;        /* measured / modelled seconds of cuFFT transforms (1: unmeasured) */
  double plan_s_per_point; /* cuFFT plan creation, seconds per transform point */
  int measured;            /* 1: read from a calibration file */
} fconv_cuda_cost;

/* ---- the fallbacks when the device's properties are unknown: H100 SXM5-class figures, NOT
 * measured (the figures the models used before calibration existed) ---- */
#define FCONV_COST_MEM_BW 2.0e12    /* bytes/s streamed (peak 3.35e12) */
#define FCONV_COST_LAUNCH_S 5.0e-6
#define FCONV_COST_SYNC_S 1.0e-5
#define FCONV_COST_STAGE_BW 8.0e9   /* one core's memcpy into pinned chunks, overlapped with DMA */
#define FCONV_COST_PINNED_BW 2.5e10 /* PCIe 5 x16, practical */
#define FCONV_COST_FLOPS_F32 6.7e13 /* 132 SMs x 128 lanes x 2 x 1.98 GHz */
#define FCONV_COST_FP64_RATIO 0.5
#define FCONV_COST_PLAN_S_PER_POINT 2.0e-9
/* fraction of peak a streaming kernel reaches (defaults from the bus: peak x this) */
#define FCONV_COST_STREAM_EFFICIENCY 0.6

/* ---- structural constants (not calibrated) ---- */
#define FCONV_CUDA_EXECUTE_S 10e-6   /* host work per direct execute */
#define FCONV_CUDA_REFERENCE_SMS 132 /* launch geometry when the SM count is unknown */
#define FCONV_CUFFT_PASS_LOG2 12     /* cuFFT does up to ~2^12 points of an axis per pass through
                                        device memory (shared-memory kernels); longer axes take
                                        more passes */

/* ---- model rates derived from the constants (one place for every path) ---- */
/* cuFFT butterflies per second (~60% of the FMA pipes' peak). */
static inline double fconv_cost_fft_flops(const fconv_cuda_cost *c, int dbl) {
  return 0.6 * c->flops_f32 * (dbl ? c->fp64_ratio : 1.0);
}
/* Modelled seconds of cuFFT transforms moving `bytes` through device memory and doing `flops`
 * butterflies, before the calibration's fft_scale (the FFT paths' model and the calibration's
 * reference both use it). */
static inline double fconv_cost_fft_seconds(const fconv_cuda_cost *c, double bytes, double flops,
                                            int dbl) {
  return bytes / c->mem_bw + flops / fconv_cost_fft_flops(c, dbl);
}
/* Multiply-adds per second of the direct kernels by fconv_dtype (F32, F64, C64, C128): the
 * generic tile kernel is bound by shared memory at about a quarter of the FP32 FMA peak (half
 * that for 8-byte elements, a quarter for complex64, an eighth for complex128) unless FP64
 * compute is slower; the specialised kernels (reg: taps as FMA operands, register windows) at
 * ~70% of the FMA peak of their type. */
static inline double fconv_cost_mac_rate(const fconv_cuda_cost *c, int dtype, int reg) {
  const double fma32 = 0.5 * c->flops_f32, fma64 = fma32 * c->fp64_ratio;
  const double base = 0.24 * fma32;
  double r;
  switch (dtype) {
  case 0: r = reg ? 0.7 * fma32 : base; break;
  case 1: r = reg ? 0.7 * fma64 : base / 2; if (!reg && 0.7 * fma64 < r) r = 0.7 * fma64; break;
  case 2: r = base / 4; break;
  default: r = base / 8; if (0.7 * fma64 / 4 < r) r = 0.7 * fma64 / 4; break;
  }
  return r;
}

/* The constants for the current device: loaded once per device (file, else defaults), never
 * NULL, thread-safe. */
FCONV_HIDDEN const fconv_cuda_cost *fconv_cuda_cost_get(void);
/* Forget what was loaded (the next get reads again): after a calibration, and in tests. */
FCONV_HIDDEN void fconv_cuda_cost_reset(void);

/* The pieces (tests and the calibration use them directly). */
/* Defaults from the device's properties (FCONV_COST_* where a property is unknown). */
FCONV_HIDDEN void fconv_cuda_cost_defaults(const fconv_dev_props *d, fconv_cuda_cost *c);
/* The calibration file of device d into buf (n bytes): FCONV_OK, or FCONV_ERR_UNSUPPORTED when
 * calibration files are off (FCONV_CUDA_CALIBRATION=0) or no directory is known. */
FCONV_HIDDEN fconv_status fconv_cuda_cost_path(const fconv_dev_props *d, char *buf, size_t n);
/* Read path into *c when it is a complete, well-formed file of device d (every value finite
 * and in range); else FCONV_ERR_INVALID_ARGUMENT (or FCONV_ERR_UNSUPPORTED: no such file) and
 * *c untouched. Never prints. */
FCONV_HIDDEN fconv_status fconv_cuda_cost_read(const char *path, const fconv_dev_props *d,
                                               fconv_cuda_cost *c);
/* Write c as device d's file at path (its directory created), atomically (temporary file +
 * rename). `made_by`: a comment line (the command and date). */
FCONV_HIDDEN fconv_status fconv_cuda_cost_write(const char *path, const fconv_dev_props *d,
                                                const fconv_cuda_cost *c, const char *made_by);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_CUDA_COST_H */
