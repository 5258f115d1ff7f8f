/*
 * fconv — fast 1-D, 2-D and 3-D convolution and cross-correlation.
 *
 * The model, in a dozen lines:
 *   1. Describe one problem in an fconv_desc: rank, signal and kernel extents (C order, last
 *      axis fastest), element type, mode (FULL/SAME/VALID/PAD), operation (convolve/correlate),
 *      boundary rule, stride, batch counts. fconv_desc_init() fills every field with its default.
 *   2. fconv_plan_create() validates the description, computes the output shape, chooses a
 *      backend (CPU or CUDA) and a method (direct, FFT, overlap-save), and allocates and plans
 *      everything. It is the only call that plans or allocates.
 *   3. Optionally fconv_plan_set_kernel() copies a kernel into the plan and precomputes what
 *      the chosen method needs from it (its spectrum, its separable factors).
 *   4. fconv_execute() computes out = signal (*) kernel, as often as you like, for new signals.
 *   5. fconv_plan_destroy() frees the plan.  fconv_convolve() does 2-4 once for you.
 * Every function returns a status and never aborts, exits or prints; fconv_status_string()
 * explains a status. Arrays are never retained after a call returns, except that
 * fconv_plan_set_kernel() keeps its own copy. All arrays are dense, C order, batches back to back.
 *
 * The exact semantics (what every method and backend computes) are in README.md and below at
 * fconv_desc. Thread safety: distinct plans may be created, used and destroyed from any threads
 * at the same time; one plan must not be used by two threads at once.
 */
#ifndef FCONV_H
#define FCONV_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- export macro and version ------------------------------------------------------------ */

#if defined(FCONV_STATIC_DEFINE)
#  define FCONV_API
#elif defined(_WIN32)
#  ifdef FCONV_BUILDING
#    define FCONV_API __declspec(dllexport)
#  else
#    define FCONV_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define FCONV_API __attribute__((visibility("default")))
#else
#  define FCONV_API
#endif

#define FCONV_VERSION_MAJOR 0
#define FCONV_VERSION_MINOR 1
#define FCONV_VERSION_PATCH 0
/* MAJOR*10000 + MINOR*100 + PATCH, comparable with fconv_version_number(). */
#define FCONV_VERSION_NUMBER \
  (FCONV_VERSION_MAJOR * 10000 + FCONV_VERSION_MINOR * 100 + FCONV_VERSION_PATCH)

/* fconv_version_number: the library's FCONV_VERSION_NUMBER as it was built (may differ from the
 * header's when the shared library is replaced). Thread-safe. */
FCONV_API unsigned fconv_version_number(void);

/* fconv_version_string: "MAJOR.MINOR.PATCH" plus the build's features: "0.1.0 (cpu only)", or
 * "0.1.0 (cuda backend built)" for a build with the CUDA backend. Static storage, never NULL.
 * Thread-safe. */
FCONV_API const char *fconv_version_string(void);

/* ---- enumerations (values pinned forever; append only) ----------------------------------- */

#define FCONV_MAX_RANK 3

typedef enum fconv_status {
  FCONV_OK = 0,
  FCONV_ERR_INVALID_ARGUMENT = 1, /* the caller's mistake: NULL, out of range, inconsistent */
  FCONV_ERR_UNSUPPORTED = 2,      /* valid, but this build or backend cannot do it */
  FCONV_ERR_OUT_OF_MEMORY = 3,    /* host or device allocation failed; nothing leaked */
  FCONV_ERR_NO_DEVICE = 4,        /* BACKEND_CUDA asked for, but no usable GPU, driver or
                                     CUDA module (fconv_last_error says which) */
  FCONV_ERR_CUDA = 5,             /* a CUDA runtime call failed */
  FCONV_ERR_FFT = 6,              /* FFTW or cuFFT failed to plan or execute */
  FCONV_ERR_INTERNAL = 7          /* a bug in fconv: please report it */
} fconv_status;

typedef enum { FCONV_F32, FCONV_F64, FCONV_C64, FCONV_C128 } fconv_dtype; /* C64 = 2 x float */
typedef enum { FCONV_MODE_FULL, FCONV_MODE_SAME, FCONV_MODE_VALID, FCONV_MODE_PAD } fconv_mode;
typedef enum { FCONV_OP_CONVOLVE, FCONV_OP_CORRELATE } fconv_op;
typedef enum {
  FCONV_BOUNDARY_ZERO,      /* np.pad 'constant' (0)          0 0 0 | a b c d | 0 0 0 */
  FCONV_BOUNDARY_WRAP,      /* np.pad 'wrap'   (periodic)     b c d | a b c d | a b c */
  FCONV_BOUNDARY_SYMMETRIC, /* np.pad 'symmetric'             d c b a | a b c d | d c b a */
  FCONV_BOUNDARY_MIRROR,    /* np.pad 'reflect'               d c b | a b c d | c b a */
  FCONV_BOUNDARY_REPLICATE  /* np.pad 'edge'                  a a a | a b c d | d d d */
} fconv_boundary;
typedef enum {
  FCONV_METHOD_AUTO,
  FCONV_METHOD_DIRECT,
  FCONV_METHOD_FFT,
  FCONV_METHOD_OVERLAP_SAVE
} fconv_method;
typedef enum { FCONV_BACKEND_AUTO, FCONV_BACKEND_CPU, FCONV_BACKEND_CUDA } fconv_backend;

/* Flags for fconv_desc.flags (bitwise OR). Unknown bits are FCONV_ERR_INVALID_ARGUMENT. */
#define FCONV_FLAG_MEASURE         (1u << 0) /* time the candidate methods at plan creation and
                                                keep the fastest (when method or backend is
                                                AUTO), and plan every FFTW transform with
                                                FFTW_MEASURE (slower planning, faster
                                                transforms). Host pointers only. */
#define FCONV_FLAG_DEVICE_POINTERS (1u << 1) /* CUDA backend: signal, kernel and out passed to
                                                execute/set_kernel are device pointers (aligned
                                                to their element size; 16 bytes for C128) */
#define FCONV_FLAG_NO_SEPARABLE    (1u << 2) /* never run a rank-1 (outer product) kernel as 1-D
                                                passes */
#define FCONV_FLAG_ACCURATE        (1u << 3) /* AUTO method: only the direct method, whose error
                                                bound holds per output (see "accuracy" below),
                                                instead of the fastest method. With method FFT or
                                                OVERLAP_SAVE it is FCONV_ERR_INVALID_ARGUMENT. */
#define FCONV_FLAG_EXTENDED       (1u << 4) /* set by the fconv_desc_set_* calls below (never by
                                                hand): the descriptor's extension fields
                                                (channels, groups, dilation) are valid */
#define FCONV_FLAG_ALL \
  (FCONV_FLAG_MEASURE | FCONV_FLAG_DEVICE_POINTERS | FCONV_FLAG_NO_SEPARABLE | FCONV_FLAG_ACCURATE | \
   FCONV_FLAG_EXTENDED)

/* ---- the problem description ------------------------------------------------------------- */

/* One signal x (extents N) and one kernel h (extents K), per axis:
 *  1. g = h for CONVOLVE; g = h flipped on every axis and complex-conjugated for CORRELATE.
 *  2. Padding P0 before, P1 after: FULL (K-1, K-1); SAME (K/2, (K-1)/2); VALID (0, 0);
 *     PAD (pad_before, pad_after).
 *  3. x is extended by P0/P1 with the boundary rule, repeating as often as needed.
 *  4. y[n] = sum_m xe[n + K-1 - m] g[m]: length N + P0 + P1 - K + 1 per axis.
 *  5. Stride s keeps y[0], y[s], y[2s], ...: ceil(length / s) outputs per axis.
 *  6. VALID with a kernel at least as large as the signal on every axis swaps the two roles;
 *     VALID where neither contains the other is FCONV_ERR_INVALID_ARGUMENT.
 *  7. max(batch, kernel_batch) outputs: signal i with kernel i, or with the single kernel, or
 *     (filter bank, batch == 1) the single signal with kernel i. Outputs back to back.
 * With ZERO boundary this is scipy.signal.convolve / correlate (full, same, valid). */
typedef struct fconv_desc {
  int rank;                               /* 1..3 */
  size_t signal_shape[FCONV_MAX_RANK];    /* extents, C order: last axis fastest */
  size_t kernel_shape[FCONV_MAX_RANK];
  size_t batch;                           /* signals, stored back to back (default 1) */
  size_t kernel_batch;                    /* kernels, back to back: 1, or equal to batch, or any
                                             count when batch == 1 (filter bank)  (default 1) */
  fconv_dtype dtype;                      /* signal, kernel and output share it */
  fconv_mode mode;                        /* default FULL */
  fconv_op op;                            /* default CONVOLVE */
  fconv_boundary boundary;                /* default ZERO */
  size_t stride[FCONV_MAX_RANK];          /* output step per axis (default 1; 0 is invalid) */
  size_t pad_before[FCONV_MAX_RANK];      /* FCONV_MODE_PAD only */
  size_t pad_after[FCONV_MAX_RANK];
  fconv_method method;                    /* default AUTO */
  fconv_backend backend;                  /* default AUTO */
  int threads;                            /* CPU threads, 0 = all cores (default 0) */
  unsigned flags;                         /* FCONV_FLAG_* (default 0) */
  /* ---- extension (0.2): read by the library only when flags has FCONV_FLAG_EXTENDED, which
   * the setters fconv_desc_set_channels / fconv_desc_set_dilation set (they fill every
   * extension field with its default first). Set these fields ONLY through the setters: a
   * program built against 0.1 passes the shorter 0.1 struct, never sets the flag, and keeps
   * 0.1's behaviour; so fields written by hand without a setter are ignored. */
  size_t in_channels;                     /* C_in  (default 1) */
  size_t out_channels;                    /* C_out (default 1) */
  size_t groups;                          /* channel groups (default 1; = C_in = C_out: depthwise) */
  size_t dilation[FCONV_MAX_RANK];        /* kernel tap spacing per axis (default 1) */
} fconv_desc;

/* fconv_desc_init: fill *d with a description of `rank` axes with the given extents (rank
 * entries each, copied; entries past rank set to 1) and every other field at its default:
 * batch 1, kernel_batch 1, FULL, CONVOLVE, ZERO, stride 1, no padding, AUTO method and backend,
 * threads 0, flags 0. d == NULL is a no-op. Shape pointers may be NULL (extents left 0, to be
 * filled in by the caller). Out-of-range rank is stored as given and rejected by
 * fconv_plan_create. Thread-safe. */
FCONV_API void fconv_desc_init(fconv_desc *d, int rank, const size_t *signal_shape,
                               const size_t *kernel_shape, fconv_dtype dtype);

/* fconv_desc_set_channels: make d a multi-channel (CNN layer) problem: in_channels input and
 * out_channels output channels in `groups` groups (both divisible by groups; groups ==
 * in_channels == out_channels is depthwise). Layouts (C order, last axis fastest):
 *   signal: batch x C_in x signal_shape
 *   kernel: C_out x (C_in / groups) x kernel_shape      (kernel_batch must be 1)
 *   output: batch x C_out x output shape
 * out[b, o] = sum over the C_in/groups inputs i of o's group (group g = o / (C_out/groups),
 * inputs g*C_in/groups + i) of signal[b, g*C_in/groups + i] (*) kernel[o, i], each term exactly
 * the single-channel problem of this descriptor (mode, boundary, op, stride, padding).
 * Stores the values only (and sets FCONV_FLAG_EXTENDED); fconv_plan_create validates them
 * (0 channels or groups, channels not divisible by groups, overflowing sizes:
 * FCONV_ERR_INVALID_ARGUMENT). d == NULL is a no-op. Call after fconv_desc_init.
 * Every method runs on both backends; FCONV_FLAG_DEVICE_POINTERS with channels is
 * FCONV_ERR_UNSUPPORTED (host arrays only). */
FCONV_API void fconv_desc_set_channels(fconv_desc *d, size_t in_channels, size_t out_channels,
                                       size_t groups);

/* fconv_desc_set_dilation: kernel taps dilation[a] samples apart on axis a (rank entries read;
 * the rest stay 1): the kernel acts as the zero-stuffed kernel of extent (k-1)*d + 1, and that
 * effective extent is the K of every padding rule (FULL, SAME, VALID, the PAD window check).
 * Dilation 0 is FCONV_ERR_INVALID_ARGUMENT at fconv_plan_create. d or dilation NULL: no-op.
 * Call after fconv_desc_init. */
FCONV_API void fconv_desc_set_dilation(fconv_desc *d, const size_t *dilation);

/* ---- plans ------------------------------------------------------------------------------- */

typedef struct fconv_plan fconv_plan; /* opaque */

/* fconv_plan_create: validate *d, choose backend and method, plan and allocate everything
 * (FFTW plans with FFTW_ESTIMATE unless FCONV_FLAG_MEASURE or the wisdom cache asks for
 * FFTW_MEASURE: see "FFTW wisdom").
 * On success *plan is a new plan (free it with fconv_plan_destroy). On failure *plan is set to
 * NULL (when plan != NULL) and nothing is leaked. *d is not retained.
 * Returns FCONV_OK, FCONV_ERR_INVALID_ARGUMENT (the list is in README.md, "Bad input"),
 * FCONV_ERR_UNSUPPORTED (e.g. BACKEND_CUDA in a build without CUDA), FCONV_ERR_NO_DEVICE,
 * FCONV_ERR_OUT_OF_MEMORY, FCONV_ERR_FFT, FCONV_ERR_CUDA. Thread-safe. */
FCONV_API fconv_status fconv_plan_create(fconv_plan **plan, const fconv_desc *d);

/* fconv_plan_output_shape: write the extents of one output (rank entries; entries past rank
 * are 1) to shape. The number of outputs is max(batch, kernel_batch).
 * Returns FCONV_ERR_INVALID_ARGUMENT for a NULL or destroyed plan or NULL shape. */
FCONV_API fconv_status fconv_plan_output_shape(const fconv_plan *plan,
                                               size_t shape[FCONV_MAX_RANK]);

/* fconv_plan_set_kernel: copy kernel_batch kernels (kernel_batch * prod(kernel_shape) elements
 * of the plan's dtype; host memory, or device memory with FCONV_FLAG_DEVICE_POINTERS) into the
 * plan and precompute what the method needs (its spectrum, separable factors). The caller's
 * array is not retained. Replaces any kernel set before. */
FCONV_API fconv_status fconv_plan_set_kernel(fconv_plan *plan, const void *kernel);

/* fconv_execute: out = signal (*) kernel for every pair of the batch.
 * signal: batch * prod(signal_shape) elements; kernel: kernel_batch * prod(kernel_shape)
 * elements, or NULL to use the kernel set with fconv_plan_set_kernel (FCONV_ERR_INVALID_ARGUMENT
 * when none was set); out: max(batch, kernel_batch) * prod(output shape) elements. out must not
 * overlap signal or kernel: FCONV_ERR_INVALID_ARGUMENT (in-place is not supported). Nothing is
 * retained. On failure out is either untouched or fully written.
 * Returns when out holds the result, except with FCONV_FLAG_DEVICE_POINTERS and a stream set by
 * fconv_plan_set_cuda_stream, where the work is queued on that stream. */
FCONV_API fconv_status fconv_execute(fconv_plan *plan, const void *signal, const void *kernel,
                                     void *out);

/* fconv_plan_destroy: free the plan and everything it owns. NULL is a no-op. */
FCONV_API void fconv_plan_destroy(fconv_plan *plan);

/* fconv_convolve: create a plan for *d, execute it once with signal and kernel (kernel must not
 * be NULL), destroy it. Same arrays and statuses as fconv_plan_create + fconv_execute. */
FCONV_API fconv_status fconv_convolve(const fconv_desc *d, const void *signal,
                                      const void *kernel, void *out);

/* fconv_status_string: a sentence explaining s; unknown values get a generic sentence.
 * Static storage, never NULL. Thread-safe. */
FCONV_API const char *fconv_status_string(fconv_status s);

/* fconv_last_error: why the calling thread's most recent failed call failed, as
 * "function: field = value: reason", e.g. "fconv_plan_create: desc->rank = 7: must be 1, 2 or 3"
 * or "fconv_execute: out overlaps signal (in-place is not supported)". Every public function
 * that returns a status other than FCONV_OK sets it; read it right after that call, on the same
 * thread (later calls, successful ones included, may replace it). "" before any failure. Never
 * printed by the library. Thread-local static storage, valid until the thread's next fconv
 * call; never NULL. */
FCONV_API const char *fconv_last_error(void);

/* ---- how AUTO chooses ------------------------------------------------------------------------
 * Backend AUTO: CUDA when a usable device exists and its modelled time, transfers of host arrays
 * included, beats the CPU's; otherwise CPU. Method AUTO: the fastest method whose error bound
 * (below) holds, by a cost model per path (direct ~ outputs x taps; FFT ~ n log n over the padded
 * transform sizes; overlap-save with the block length that minimises the cost per output), with
 * constants measured on the reference machine; with FCONV_FLAG_MEASURE the candidates are timed
 * at plan creation instead (and set_kernel scales those times by the kernel-aware model, never
 * discarding them). Creating a plan without FCONV_FLAG_MEASURE takes milliseconds for any size:
 * planning never loops over the signal, and allocates no signal-sized buffer.
 *
 * Accuracy. For one output item, with xe the extended signal (rule 3), g the kernel operand
 * (rule 1), eps the dtype's machine epsilon (FLT_EPSILON for F32/C64, DBL_EPSILON for F64/C128),
 * K the taps per kernel and T the points of one transform (the product of transform_shape in
 * fconv_plan_info; log2 T at least 1):
 *  - DIRECT:        |y[n] - exact[n]| <= K * eps * (|xe| (*) |g|)[n]     for every output n
 *                   (the sum of |products| that output reads: a per-output bound);
 *  - FFT and OVERLAP_SAVE:
 *                   max_n |y[n] - exact[n]| <= 8 * eps * log2(T) * ||xe||_2 * ||g||_2
 *                   (a normwise bound: the error is spread over all outputs, so outputs much
 *                   smaller than ||xe|| ||g|| can lose relative accuracy).
 *  - WINOGRAD (multi-channel F32/F64 layers, no dilation, 2-D, or 3-D with k0 kernel planes
 *    and stride 1 on the depth axis; a kernel of at least 2x2 taps on the last two axes that
 *    splits into B2 <= 16 blocks below; fconv_plan_info.method DIRECT, isa ending in "+wino"):
 *    output channel o computed by Winograd's F(4x4, 3x3) algorithm (6x6 tiles, 36 products per
 *    16 outputs and 3x3 block instead of 144). Other kernels and strides run as sums of 3x3
 *    stride-1 blocks: on an axis of k taps and stride s, phase p < s holds the taps
 *    p, p + s, ... (ceil((k - p) / s) of them), cut into ceil(that / 3) blocks of 3 (zero past
 *    the kernel): B_a blocks on axis a, B2 = B_1 * B_2 per plane, B = k0 * B2 per filter (k0 = 1
 *    in 2-D): 1 for 3x3 stride 1, 9 for 7x7 stride 2 or stride 1, 4 for 5x5 stride 1. For every
 *    output n of o,
 *             |y[n] - exact[n]| <= 300 * (B * C_in/groups + 20) * eps * sqrt(B) * sum_i ||xe_i||_2 ||g_i||_2
 *                   (the sum over the inputs i of o's group, xe_i the extended input channel
 *                   and g_i o's filter for it; 300 bounds how much the transforms amplify
 *                   rounding, B C_in/groups + 20 the rounding steps, sqrt(B) the split of each
 *                   filter into its B blocks). A normwise bound like the
 *                   FFT's (an output's error depends on its whole 6x6 tile, not only on the
 *                   products it reads, so no per-output direct bound holds); measured on
 *                   random data the error stays below 4 * eps * the sum. Only AUTO runs it,
 *                   where its cost model is the fastest; FCONV_METHOD_DIRECT and
 *                   FCONV_FLAG_ACCURATE keep the per-output direct bound.
 * All hold for finite data whose products (and Winograd's transformed taps, G g G^T, down to
 * g / 576) stay in the dtype's normal range. The CPU transform
 * paths compute with g scaled by 1/T; for a kernel so small that the scaled taps round in the
 * subnormal range, sqrt(K) * T * (smallest subnormal / 2) > eps * ||g||_2 (with FLT_TRUE_MIN,
 * FLT_EPSILON for F32/C64; DBL_ for F64/C128), the FFT bound can be missed, so
 * fconv_plan_set_kernel makes an AUTO plan keep the direct method for it (the "range" rule).
 * That is the only accuracy rule: integer-valued, noise-like or widely ranging kernels all
 * meet the FFT bound and run on the fastest method. A caller who needs the per-output (direct) bound asks for it with FCONV_FLAG_ACCURATE, or
 * requests FCONV_METHOD_DIRECT.
 *
 * fconv_plan_set_kernel refines the choice once the kernel is known: a rank-1 (outer product)
 * kernel runs as 1-D passes on the direct path, which then often wins (unless
 * FCONV_FLAG_NO_SEPARABLE), and the range rule applies. A kernel passed directly to
 * fconv_execute gets the same refinement, made once per distinct kernel (it is compared byte for
 * byte with the last one passed, O(taps)); execute(NULL) goes back to the choice for the kernel
 * set. An explicitly requested method is always honoured.
 * fconv_plan_get_info reports what was chosen and why (the model of what runs, separable passes
 * included); FCONV_DEBUG=1 logs every candidate and every rule that fired. */

/* ---- introspection ----------------------------------------------------------------------- */

/* What a plan chose and why. Filled by fconv_plan_get_info. */
typedef struct fconv_plan_info {
  fconv_backend backend;            /* CPU or CUDA (never AUTO) */
  fconv_method method;              /* DIRECT, FFT or OVERLAP_SAVE (never AUTO) */
  int rank;
  size_t output_shape[FCONV_MAX_RANK];
  size_t output_count;              /* max(batch, kernel_batch) */
  size_t transform_shape[FCONV_MAX_RANK]; /* FFT/overlap-save transform extents; 0 for direct */
  size_t block_shape[FCONV_MAX_RANK];     /* overlap-save: outputs per block and axis; else 0 */
  int separable;                    /* 1 when the kernel set runs as 1-D passes */
  int swapped;                      /* 1 when VALID swapped signal and kernel (rule 6) */
  int measured;                     /* 1 when FCONV_FLAG_MEASURE made the choice */
  int threads;                      /* CPU threads the plan uses */
  double estimated_seconds;         /* the cost model's figure for the chosen method */
  double candidate_seconds[4];      /* indexed by fconv_method (AUTO unused): modelled or, with
                                       MEASURE, measured seconds; negative = not a candidate */
  size_t workspace_bytes;           /* scratch the plan holds (host, or device for CUDA) */
  char isa[16];                     /* CPU direct path's instruction set: "avx512", "avx2", ...
                                       (multi-channel: + the micro-kernel, "avx512+gemm",
                                       "avx512+dw", "avx512+dwr", "avx512+wino" (Winograd,
                                       see "Accuracy"); none for the pair-row kernels);
                                       CUDA direct path's kernel: "reg7x7" (specialised, see
                                       README), "tile" (generic); separable passes joined by + */
  char reason[160];                 /* one line: why this backend and method */
} fconv_plan_info;

/* fconv_plan_get_info: fill *info for plan. Returns FCONV_ERR_INVALID_ARGUMENT for NULL. */
FCONV_API fconv_status fconv_plan_get_info(const fconv_plan *plan, fconv_plan_info *info);

/* Names for enum values ("fft", "cpu", "f32", ...); "?" for out-of-range values. Never NULL. */
FCONV_API const char *fconv_method_name(fconv_method m);
FCONV_API const char *fconv_backend_name(fconv_backend b);
FCONV_API const char *fconv_dtype_name(fconv_dtype t);

/* ---- FFTW wisdom (CPU backend) --------------------------------------------------------------
 * The CPU transform paths plan with FFTW_ESTIMATE (milliseconds) unless a plan has
 * FCONV_FLAG_MEASURE or the wisdom cache is on; FFTW_MEASURE plans (1.1-2x faster transforms,
 * 0.1-5 s of planning per new shape) leave "wisdom" that later plans of the same shapes reuse,
 * ESTIMATE ones included. These functions keep it across processes: the text holds FFTW's float
 * and double wisdom together, and is only valid for the same FFTW version and build.
 * Per-user cache (opt-in): the environment variable FCONV_WISDOM_CACHE=1 keeps wisdom in
 * $XDG_CACHE_HOME/fconv/wisdom (else $HOME/.cache/fconv/wisdom), FCONV_WISDOM_CACHE=<path> in
 * that file: it is imported before the process's first plan, every plan is then made with
 * FFTW_MEASURE (so each shape is measured once per machine), and the file is rewritten
 * atomically (temporary file + rename) when a plan added wisdom. Unset, empty or 0: off.
 * All of these are thread-safe (serialised with fconv's planning).
 *
 * fconv_wisdom_export_string: *text = a new NUL-terminated string (free it with
 *   fconv_wisdom_free). FCONV_ERR_INVALID_ARGUMENT for NULL text.
 * fconv_wisdom_import_string: add the wisdom in text. FCONV_ERR_INVALID_ARGUMENT for NULL or
 *   text that is not fconv wisdom; FCONV_ERR_FFT when FFTW rejects it (another FFTW version or
 *   build, or corrupt). Nothing is imported on failure of the float part; the double part is
 *   imported only after the float part succeeded.
 * fconv_wisdom_export_file / fconv_wisdom_import_file: the same to or from a file (written
 *   atomically); FCONV_ERR_INVALID_ARGUMENT for NULL or a file that cannot be written or read.
 * fconv_wisdom_forget: drop all of FFTW's wisdom in this process (plans already made stay).
 * fconv_wisdom_free: free a string from fconv_wisdom_export_string (NULL is a no-op). */
FCONV_API fconv_status fconv_wisdom_export_string(char **text);
FCONV_API fconv_status fconv_wisdom_import_string(const char *text);
FCONV_API fconv_status fconv_wisdom_export_file(const char *path);
FCONV_API fconv_status fconv_wisdom_import_file(const char *path);
FCONV_API void fconv_wisdom_forget(void);
FCONV_API void fconv_wisdom_free(char *text);

/* ---- CUDA -------------------------------------------------------------------------------- */

/* fconv_cuda_device_count: usable CUDA devices; 0 without CUDA support in this build, without
 * its CUDA module (libfconv_cuda, or the CUDA runtime and cuFFT it needs: see README.md, "CUDA
 * without CUDA"), without a driver, or without a device. Never fails. Thread-safe. The first call
 * (like the first plan that may use CUDA) opens the CUDA module. */
FCONV_API int fconv_cuda_device_count(void);

/* CUDA streams and errors.
 *  - Without fconv_plan_set_cuda_stream a plan works on its own BLOCKING stream (created
 *    without cudaStreamNonBlocking): its work starts after everything queued earlier on the
 *    legacy default stream (stream 0) and, since execute returns with that work done, before
 *    anything the caller queues there later. Work on the caller's other non-blocking streams,
 *    or on the per-thread default stream (--default-stream per-thread), is not waited for: give
 *    the plan that stream, or synchronise it first.
 *  - With a stream of the caller's and FCONV_FLAG_DEVICE_POINTERS, execute only queues work on
 *    that stream, in its order; with host pointers it returns when out is in place.
 *  - The plan's device is the one current at create; every call selects it and restores the
 *    caller's current device before returning. Device-pointer arrays must be device memory of
 *    that device (or managed memory) aligned to the element size: FCONV_ERR_INVALID_ARGUMENT
 *    otherwise, checked before any device work.
 *  - On a stream capturing a CUDA graph, execute of a device-pointer plan is captured (it only
 *    queues work); calls that must synchronise that stream (set_kernel, execute with host
 *    pointers) return FCONV_ERR_UNSUPPORTED.
 *  - A CUDA error a call of fconv causes is returned as FCONV_ERR_CUDA (or OUT_OF_MEMORY /
 *    NO_DEVICE) and cleared; an error the caller's earlier call left pending is neither
 *    reported nor cleared; sticky errors (an illegal address, a kernel fault) poison the
 *    whole CUDA context: every later call of the process, fconv's included, fails and the
 *    context cannot be recovered. */

/* fconv_plan_set_cuda_stream: run the plan's device work on `stream` (a cudaStream_t; NULL =
 * the plan's own stream). With FCONV_FLAG_DEVICE_POINTERS execute is then asynchronous on that
 * stream; with host pointers execute still returns when out is in place. The stream must outlive
 * its use by the plan. FCONV_ERR_UNSUPPORTED for a plan on the CPU backend. */
FCONV_API fconv_status fconv_plan_set_cuda_stream(fconv_plan *plan, void *stream);

/* fconv_plan_workspace_size: bytes of scratch the plan needs for execute (device memory for
 * CUDA plans, host memory for CPU plans). */
FCONV_API fconv_status fconv_plan_workspace_size(const fconv_plan *plan, size_t *bytes);

/* fconv_plan_set_workspace: CUDA plans: use the caller's device buffer (at least
 * fconv_plan_workspace_size bytes, 256-byte aligned) instead of the plan's own, which is freed.
 * The buffer must outlive the plan's use of it; NULL returns to a plan-owned buffer.
 * FCONV_ERR_INVALID_ARGUMENT when too small or misaligned; FCONV_ERR_UNSUPPORTED for CPU plans
 * (their scratch is always plan-owned). */
FCONV_API fconv_status fconv_plan_set_workspace(fconv_plan *plan, void *workspace, size_t bytes);

/* ---- streaming convolution ------------------------------------------------------------------
 * A stream filters endless multi-channel signals block by block, as real-time audio and
 * acquisition systems do (convolution reverb, long FIR filters): each call of
 * fconv_stream_process takes B new samples per input channel and returns B samples per output
 * channel. Output channel o is sum over input channels i of (response[o][i] convolved with input
 * i), and output block n depends only on input blocks 0..n: no latency beyond the block itself.
 * The concatenated outputs equal the leading samples of the FULL convolution of the concatenated
 * inputs (fconv_convolve with FCONV_MODE_FULL), within the FFT accuracy bound.
 *
 * Engine (CPU): a direct (time-domain) head for blocks shorter than 32 samples, then
 * frequency-domain delay lines (uniformly partitioned overlap-save) whose partitions grow
 * (non-uniform partitioning: B, then 2, 4 or 8 times larger, ... up to a maximum) for long
 * responses; the work of a large partition (its transforms, and its products in chunks) is
 * spread over the blocks it spans, every level's pieces placed together so that they do not
 * meet in one block (transforms too large for one block are split into sub-transforms;
 * FCONV_STREAM_FLAG_EVEN_LOAD splits every large one), in the calling thread, or ahead of time
 * by a worker thread of the caller's (FCONV_STREAM_FLAG_WORKER, fconv_stream_work).
 *
 * Real-time guarantees of fconv_stream_process: no memory allocation, no locks, no system calls,
 * no thread hand-off; its work per call is bounded (fconv_stream_info reports the estimate).
 * With FCONV_STREAM_FLAG_WORKER it does the scheduled work the worker has not done yet (when the
 * worker is busy with a partition, that partition's share waits for the next block: at most two
 * blocks' shares in one call), and it can wait in one case only: when, at the last block before
 * a large partition's result is due, the worker is running one piece of that partition's work;
 * it then spins (no system call) until that one piece is done (one transform, or with EVEN_LOAD
 * one sub-transform, or the products of two partitions over about 2048 bins of every channel
 * pair). So the worker thread must not be one that the processing thread can keep from running
 * (same core and lower priority under a real-time scheduler).
 * A stream is not thread-safe: one thread at a time may use it (fconv_stream_work excepted);
 * different streams are independent.
 *
 * Engine (CUDA, backend CUDA, or AUTO when a usable device exists and the model says it is
 * faster: many channels, long responses): frequency-domain delay lines on the device, uniformly
 * partitioned (one level of B-sample partitions, transforms of 2B points) or non-uniformly
 * (levels of partitions B, 2B, 4B, ... up to a maximum; AUTO partitioning takes the one the
 * device model finds cheaper per block). Per block: one batched cuFFT forward transform of the
 * new block of every input, one kernel summing over the partitions and inputs of every
 * (output, input) pair into each output's spectrum, one batched inverse transform, and the
 * overlap-save output; each larger level's products are spread evenly over the blocks of its
 * period (a share of its partitions per block) and its transforms run once per period. The same
 * guarantees and the same results (within the FFT bound) as the CPU engine; max_partition
 * applies as on the CPU (rounded down to B 2^k); FCONV_FLAG_MEASURE and
 * FCONV_STREAM_FLAG_EVEN_LOAD do not apply, and with FCONV_STREAM_FLAG_WORKER fconv_stream_work
 * has nothing to do (returns 0 units).
 * fconv_stream_process then waits for the device (a synchronisation) but allocates nothing;
 * a CUDA error is returned as a status (FCONV_ERR_CUDA, ...) with out untouched, and the stream
 * must then be reset. With FCONV_FLAG_DEVICE_POINTERS (CUDA engine only) in, out and the
 * responses are device memory of the device current at create (aligned to the element size);
 * process still returns when out is written. */

typedef struct fconv_stream fconv_stream; /* opaque */

/* How the response is partitioned. */
typedef enum {
  FCONV_STREAM_PARTITION_AUTO,       /* non-uniform when it is cheaper (the default) */
  FCONV_STREAM_PARTITION_UNIFORM,    /* one frequency-domain delay line of block-sized parts */
  FCONV_STREAM_PARTITION_NONUNIFORM  /* growing partitions up to max_partition */
} fconv_stream_partitioning;

typedef struct fconv_stream_desc {
  size_t block;                 /* B >= 1: samples per channel per fconv_stream_process call */
  size_t inputs, outputs;       /* channel counts >= 1 */
  fconv_dtype dtype;            /* samples and responses (F32, F64, C64, C128) */
  const void *const *responses; /* outputs x inputs pointers, row-major ([o * inputs + i]), each
                                   to response_lengths[o * inputs + i] elements of dtype; copied
                                   at create, not retained; never NULL */
  const size_t *response_lengths; /* same layout; each >= 1 (a silent path is one zero sample) */
  size_t max_response_length;   /* capacity for fconv_stream_set_responses; 0 = the longest
                                   response given here */
  fconv_stream_partitioning partitioning; /* default AUTO */
  size_t max_partition;         /* largest partition in samples (0 = chosen by the cost model);
                                   rounded down to the engine's partition grid. With NONUNIFORM
                                   the largest partition is within a factor 2 of it when the
                                   response is long enough; with AUTO it is an upper bound */
  fconv_backend backend;        /* default AUTO: the CUDA engine when a usable device exists
                                   and its model beats the CPU's, else the CPU's; CPU; CUDA
                                   (FCONV_ERR_NO_DEVICE without a usable device or CUDA module,
                                   FCONV_ERR_UNSUPPORTED in a build without CUDA) */
  unsigned flags;               /* FCONV_FLAG_MEASURE: FFTW_MEASURE plans (slower create);
                                   FCONV_FLAG_DEVICE_POINTERS (CUDA engine: device arrays);
                                   FCONV_STREAM_FLAG_EVEN_LOAD, _WORKER (below) */
} fconv_stream_desc;

/* Even load: split the transforms of every large partition (real data, partitions of 4096
 * samples and more) into sub-transforms spread over the blocks. By default only the transforms
 * that would cost more than a mean block's work are split (real data; complex data never), so
 * that no block's work stands out; EVEN_LOAD splits more of them, for an even lower peak at some
 * mean CPU time (see the README's streaming figures). */
#define FCONV_STREAM_FLAG_EVEN_LOAD (1u << 16)

/* Worker: the stream's large partitions may be computed ahead of time by fconv_stream_work,
 * called by the caller from a thread of its own (see fconv_stream_work). */
#define FCONV_STREAM_FLAG_WORKER (1u << 17)

/* fconv_stream_desc_init: fill *d with the defaults for block B and the channel counts; the
 * caller then sets responses and response_lengths. NULL d is a no-op. */
FCONV_API void fconv_stream_desc_init(fconv_stream_desc *d, size_t block, size_t inputs,
                                      size_t outputs, fconv_dtype dtype);

/* fconv_stream_create: validate d, choose the partitioning, plan the FFTs, allocate everything
 * fconv_stream_process will use, and copy the responses (and their spectra). *stream is NULL on
 * failure. FCONV_ERR_INVALID_ARGUMENT for NULL pointers, B, channel counts or a length of 0,
 * enum values out of range, sizes that overflow, FCONV_FLAG_DEVICE_POINTERS with backend CPU;
 * for backend CUDA (or device pointers): FCONV_ERR_NO_DEVICE without a usable device or CUDA
 * module (fconv_last_error says why), FCONV_ERR_UNSUPPORTED in a build without CUDA, and the
 * device's failures (FCONV_ERR_CUDA, FCONV_ERR_OUT_OF_MEMORY). */
FCONV_API fconv_status fconv_stream_create(fconv_stream **stream, const fconv_stream_desc *d);

/* fconv_stream_process: filter one block. in: inputs x B elements of dtype, channel after
 * channel; out: outputs x B elements, channel after channel (must not overlap in). Returns
 * FCONV_ERR_INVALID_ARGUMENT for NULL pointers (and, on the CUDA engine, pointers of the wrong
 * kind: a device pointer without FCONV_FLAG_DEVICE_POINTERS or a host pointer with it); then
 * neither the stream nor out changes. The CUDA engine returns the device's failures (see above). */
FCONV_API fconv_status fconv_stream_process(fconv_stream *stream, const void *in, void *out);

/* fconv_stream_work: for a stream created with FCONV_STREAM_FLAG_WORKER, run now, in the calling
 * thread, the work of large partitions whose input is complete (work fconv_stream_process would
 * otherwise do in later blocks), and return when none is left; *units (NULL allowed) receives
 * the pieces of work run (0: nothing was ready). Call it from one thread at a time (a worker of
 * the caller's: typically woken after each fconv_stream_process, or polling), concurrently with
 * fconv_stream_process, set_responses, reset and get_info on another thread; not concurrently
 * with fconv_stream_destroy. Output is identical, bit for bit, whether and whenever it runs; it
 * never waits for the processing thread (it skips work that thread is doing).
 * FCONV_ERR_INVALID_ARGUMENT for NULL or a stream created without the flag. */
FCONV_API fconv_status fconv_stream_work(fconv_stream *stream, size_t *units);

/* fconv_stream_reset: forget all input (as if just created); the responses stay. */
FCONV_API fconv_status fconv_stream_reset(fconv_stream *stream);

/* fconv_stream_set_responses: replace the responses between two blocks (same layout as the
 * description; each length between 1 and the stream's max_response_length). With crossfade = 0
 * the next block's output is computed as if the new responses had always been in place; with
 * crossfade = F > 0 the output moves linearly from the old responses' output to the new ones'
 * over the next F samples (sample k of the fade weighs the new output (k + 1) / (F + 1)), both
 * computed on the whole input history. Not real-time safe (it transforms the responses, and
 * recomputes the work in flight); no allocation. On failure nothing changes. */
FCONV_API fconv_status fconv_stream_set_responses(fconv_stream *stream,
                                                  const void *const *responses,
                                                  const size_t *response_lengths,
                                                  size_t crossfade);

/* What a stream chose. Filled by fconv_stream_get_info. */
typedef struct fconv_stream_info {
  size_t block;                 /* B */
  size_t latency;               /* samples of delay beyond the block itself: always 0 */
  size_t head_length;           /* taps computed in the time domain (0 when B >= 32) */
  int levels;                   /* partition sizes in use */
  size_t partition_size[16];    /* per level: samples per partition */
  size_t partition_count[16];   /* per level: partitions */
  size_t partitions;            /* total */
  size_t transform_max;         /* largest FFT length */
  int split_levels;             /* levels whose transforms are split (EVEN_LOAD) */
  size_t memory_bytes;          /* everything the stream holds */
  double cost_per_block;        /* the cost model's estimate, in nanoseconds on the reference
                                   machine (relative figure) */
  double cost_peak;             /* the same model's costliest block, as the work is spread (the
                                   worst block without a worker) */
  fconv_backend backend;        /* the engine's: CPU or CUDA (for CUDA, memory_bytes counts
                                   device and pinned memory too, and the costs are the CUDA
                                   model's, not measured) */
} fconv_stream_info;

/* fconv_stream_get_info: fill *info. FCONV_ERR_INVALID_ARGUMENT for NULL. */
FCONV_API fconv_status fconv_stream_get_info(const fconv_stream *stream, fconv_stream_info *info);

/* fconv_stream_destroy: free everything; NULL is a no-op. */
FCONV_API void fconv_stream_destroy(fconv_stream *stream);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* FCONV_H */
