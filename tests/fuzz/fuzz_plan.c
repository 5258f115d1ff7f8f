/* fuzz_plan.c — libFuzzer target for the public API (include/fconv.h only).
 *
 * Bytes -> a descriptor with every field drawn from the input: ranks and enums in and out of
 * range, hostile extents (0, 1, small, and 2^32 .. SIZE_MAX), strides, pads, batches, flags,
 * threads. Then fconv_plan_create, and for plans it accepts: fconv_plan_get_info,
 * fconv_plan_output_shape, optionally fconv_plan_set_kernel, fconv_execute on small data drawn
 * from the input, fconv_plan_destroy — and the result compared with the forced CPU direct path
 * (fconv_convolve with FCONV_METHOD_DIRECT) within the error bound of tests/reference.
 * Anything else is a finding: a crash, a sanitizer report, a leak, a hang (run with -timeout=1),
 * a failed create that leaves *plan non-NULL, a status out of the enum, an accepted descriptor
 * with an impossible output, or a wrong result (reported with __builtin_trap()).
 *
 * Work cap: plans whose direct reference would exceed FUZZ_MAX_WORK multiply-adds are created
 * and queried but not executed.
 * Size cap: descriptors whose arrays, padded windows or outputs would exceed FUZZ_MAX_ELEMS
 * elements (without overflowing size_t) are not planned — they are valid and would only
 * allocate and compute for long (planning a 2^40-sample signal also hangs today: issue 9).
 * Descriptors whose counts overflow size_t are always passed to fconv_plan_create, with its
 * allocations made to fail (FCONV_FAIL_ALLOC_AFTER=0): it must reject them or report
 * FCONV_ERR_OUT_OF_MEMORY. Build: scripts/fuzz.sh (clang, -fsanitize=fuzzer,address,undefined). */
#include <fconv.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_ELEMS ((size_t)1 << 14)
/* Multiply-adds of the forced direct reference (outputs x kernel taps): beyond this an input
 * is created, queried and destroyed but not executed (2^14 outputs of a 2^14-tap c128 kernel
 * take seconds under ASan; a slow valid problem is not a finding). */
#define FUZZ_MAX_WORK ((size_t)1 << 21)

typedef struct {
  const uint8_t *p;
  size_t n;
} reader;

static unsigned u8(reader *r) {
  if (r->n == 0) return 0;
  r->n--;
  return *r->p++;
}

static uint64_t u64(reader *r) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | u8(r);
  return v;
}

/* An extent, stride, pad or batch: mostly small, sometimes 0, sometimes hostile. */
static size_t hostile(reader *r, size_t small_max) {
  static const size_t table[8] = {SIZE_MAX,           SIZE_MAX / 2,       (size_t)1 << 40,
                                  (size_t)1 << 62,    (size_t)PTRDIFF_MAX, (size_t)1 << 32,
                                  ((size_t)1 << 31) + 1, (size_t)3 << 30};
  const unsigned b = u8(r);
  switch (b >> 5) {
  case 0: return b & 1;                                  /* 0 or 1 */
  case 5: return 1 + (((size_t)(b & 31) << 8) | u8(r)); /* up to 8192 */
  case 6: return table[b & 7];
  case 7: return (size_t)u64(r);
  default: return 1 + (b & 31) % small_max;              /* 1 .. small_max */
  }
}

/* An enum value: usually one of the n valid ones, else any int (out of range). */
static int enum_value(reader *r, int n) {
  const unsigned b = u8(r);
  if (b < 224) return (int)(b % (unsigned)n);
  return (b & 1) ? (int)(int32_t)(uint32_t)u64(r) : n + (int)(b & 15);
}

/* a * b, saturating at SIZE_MAX (which stands for "overflows"). */
static size_t smul(size_t a, size_t b) {
  size_t r;
  return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}
static size_t sadd(size_t a, size_t b) {
  size_t r;
  return __builtin_add_overflow(a, b, &r) ? SIZE_MAX : r;
}

static void finding(const char *what, const fconv_desc *d) {
  fprintf(stderr, "fuzz_plan: %s (rank %d dtype %d mode %d op %d boundary %d method %d backend %d"
                  " flags %u threads %d batch %zu kernel_batch %zu)\n",
          what, d->rank, (int)d->dtype, (int)d->mode, (int)d->op, (int)d->boundary,
          (int)d->method, (int)d->backend, d->flags, d->threads, d->batch, d->kernel_batch);
  __builtin_trap();
}

static size_t scalars_per_elem(fconv_dtype t) { return (t == FCONV_C64 || t == FCONV_C128) ? 2 : 1; }
static int is_double(fconv_dtype t) { return t == FCONV_F64 || t == FCONV_C128; }

/* Fill n scalars of the dtype with small exact values (k/8, |k| <= 16) drawn from the input. */
static void fill(reader *r, fconv_dtype t, void *buf, size_t n_scalars) {
  for (size_t i = 0; i < n_scalars; i++) {
    const double v = (double)((int)(u8(r) % 33) - 16) / 8.0;
    if (is_double(t)) ((double *)buf)[i] = v;
    else ((float *)buf)[i] = (float)v;
  }
}
static double get(fconv_dtype t, const void *buf, size_t i) {
  return is_double(t) ? ((const double *)buf)[i] : (double)((const float *)buf)[i];
}
static double norm2(fconv_dtype t, const void *buf, size_t n_scalars) {
  double s = 0;
  for (size_t i = 0; i < n_scalars; i++) s += get(t, buf, i) * get(t, buf, i);
  return sqrt(s);
}

/* Axis a's padded window (the extended signal's extent, VALID's swap included), saturating. */
static size_t window(const fconv_desc *d, int a) {
  const size_t n = d->signal_shape[a], k = d->kernel_shape[a];
  size_t p = 0;
  switch (d->mode) {
  case FCONV_MODE_FULL: p = k > 0 ? sadd(k - 1, k - 1) : 0; break;
  case FCONV_MODE_SAME: p = k > 0 ? k - 1 : 0; break;
  case FCONV_MODE_PAD: p = sadd(d->pad_before[a], d->pad_after[a]); break;
  default: break;
  }
  return sadd(n > k ? n : k, p);
}

/* The descriptor's worst count (elements of an array, a padded window or the outputs), or
 * SIZE_MAX when one overflows. Only an estimate for the size cap: fconv decides validity. */
static size_t worst_count(const fconv_desc *d) {
  if (d->rank < 1 || d->rank > FCONV_MAX_RANK) return 0;
  size_t sig = d->batch, ker = d->kernel_batch, win = 1;
  for (int a = 0; a < d->rank; a++) {
    sig = smul(sig, d->signal_shape[a]);
    ker = smul(ker, d->kernel_shape[a]);
    win = smul(win, window(d, a));
  }
  const size_t out = smul(win, d->batch > d->kernel_batch ? d->batch : d->kernel_batch);
  size_t m = sig > ker ? sig : ker;
  return out > m ? out : m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  reader r = {data, size};
  fconv_desc d;
  memset(&d, 0, sizeof d);
  const unsigned rb = u8(&r);
  const int rank = rb < 240 ? 1 + (int)(rb % 3) : (int)(rb & 7) - 2; /* 1..3, sometimes -2..5 */
  size_t n[FCONV_MAX_RANK], k[FCONV_MAX_RANK];
  for (int a = 0; a < FCONV_MAX_RANK; a++) {
    n[a] = hostile(&r, 24);
    k[a] = hostile(&r, 8);
  }
  fconv_desc_init(&d, rank, n, k, (fconv_dtype)enum_value(&r, 4));
  d.mode = (fconv_mode)enum_value(&r, 4);
  d.op = (fconv_op)enum_value(&r, 2);
  d.boundary = (fconv_boundary)enum_value(&r, 5);
  d.method = (fconv_method)enum_value(&r, 4);
  d.backend = (fconv_backend)enum_value(&r, 3);
  const unsigned fb = u8(&r);
  d.flags = fb < 240 ? (fb & 7) : (unsigned)u64(&r);
  const unsigned tb = u8(&r);
  d.threads = tb < 240 ? (int)(tb % 3) : (tb & 1 ? -1 : (int)(tb & 15) * 8);
  d.batch = u8(&r) < 200 ? 1 + u8(&r) % 3 : hostile(&r, 4);
  d.kernel_batch = u8(&r) < 200 ? 1 + u8(&r) % 3 : hostile(&r, 4);
  for (int a = 0; a < FCONV_MAX_RANK; a++) {
    d.stride[a] = u8(&r) < 200 ? 1 + u8(&r) % 3 : hostile(&r, 5);
    d.pad_before[a] = hostile(&r, 6) - 1; /* 0 .. 5 mostly, and hostile */
    d.pad_after[a] = hostile(&r, 6) - 1;
  }
  const int use_set_kernel = (int)(u8(&r) & 1);

  const size_t worst = worst_count(&d);
  if (worst != SIZE_MAX && worst > FUZZ_MAX_ELEMS) return 0; /* the size cap */
  if (worst > 4096) d.flags &= ~(unsigned)FCONV_FLAG_MEASURE; /* timing is meant to be slow */

  /* Counts that overflow size_t here may still be a valid (huge) problem to fconv, whose
   * create would then allocate terabytes: fconv's test hook makes every allocation fail, so
   * create must end in INVALID_ARGUMENT or OUT_OF_MEMORY, nothing leaked. */
  if (worst == SIZE_MAX) setenv("FCONV_FAIL_ALLOC_AFTER", "0", 1);
  fconv_plan *plan = (fconv_plan *)&r; /* junk: a failed create must set it to NULL */
  const fconv_status st = fconv_plan_create(&plan, &d);
  if (worst == SIZE_MAX) unsetenv("FCONV_FAIL_ALLOC_AFTER");
  if ((unsigned)st > (unsigned)FCONV_ERR_INTERNAL) finding("status out of the enum", &d);
  if (st == FCONV_ERR_INTERNAL) finding("FCONV_ERR_INTERNAL from create", &d);
  if (st != FCONV_OK) {
    if (plan != NULL) finding("failed create left *plan non-NULL", &d);
    if (!fconv_status_string(st)[0]) finding("empty status string", &d);
    return 0;
  }
  if (worst == SIZE_MAX) finding("create succeeded without allocating", &d);

  fconv_plan_info info;
  size_t oshape[FCONV_MAX_RANK];
  if (fconv_plan_get_info(plan, &info) != FCONV_OK) finding("get_info failed", &d);
  if (fconv_plan_output_shape(plan, oshape) != FCONV_OK) finding("output_shape failed", &d);
  if (info.method == FCONV_METHOD_AUTO || info.backend == FCONV_BACKEND_AUTO)
    finding("info reports AUTO", &d);
  size_t out_elems = info.output_count, sig_elems = d.batch, ker_elems = d.kernel_batch;
  for (int a = 0; a < d.rank; a++) {
    if (oshape[a] != info.output_shape[a] || oshape[a] == 0) finding("bad output shape", &d);
    out_elems = smul(out_elems, oshape[a]);
    sig_elems = smul(sig_elems, d.signal_shape[a]);
    ker_elems = smul(ker_elems, d.kernel_shape[a]);
  }
  if (out_elems > FUZZ_MAX_ELEMS) finding("output larger than its padded window", &d);
  size_t taps = 1;
  for (int a = 0; a < d.rank; a++) taps = smul(taps, d.kernel_shape[a]);
  if (smul(out_elems, taps) > FUZZ_MAX_WORK ||
      (d.flags & FCONV_FLAG_DEVICE_POINTERS)) { /* too slow; or needs a GPU (host arrays below) */
    fconv_plan_destroy(plan);
    return 0;
  }

  const size_t spe = scalars_per_elem(d.dtype), es = spe * (is_double(d.dtype) ? 8 : 4);
  void *x = malloc(sig_elems * es), *h = malloc(ker_elems * es);
  void *y = malloc(out_elems * es), *yref = malloc(out_elems * es);
  if (!x || !h || !y || !yref) abort(); /* the harness's own allocation (capped sizes) */
  fill(&r, d.dtype, x, sig_elems * spe);
  fill(&r, d.dtype, h, ker_elems * spe);
  memset(y, 0xA5, out_elems * es);

  fconv_status ex;
  if (use_set_kernel) {
    ex = fconv_plan_set_kernel(plan, h);
    if (ex == FCONV_OK) ex = fconv_execute(plan, x, NULL, y);
  } else {
    ex = fconv_execute(plan, x, h, y);
  }
  if (ex == FCONV_OK && fconv_plan_get_info(plan, &info) != FCONV_OK)
    finding("get_info failed after execute", &d);
  fconv_plan_destroy(plan);
  if (ex == FCONV_ERR_INVALID_ARGUMENT || ex == FCONV_ERR_INTERNAL ||
      (unsigned)ex > (unsigned)FCONV_ERR_INTERNAL)
    finding("set_kernel/execute failed on a plan create accepted", &d);

  if (ex == FCONV_OK) {
    fconv_desc dr = d;
    dr.method = FCONV_METHOD_DIRECT;
    dr.backend = FCONV_BACKEND_CPU;
    dr.flags &= ~(unsigned)FCONV_FLAG_MEASURE;
    const fconv_status rs = fconv_convolve(&dr, x, h, yref);
    if (rs != FCONV_OK) finding("the forced direct path failed where the plan did not", &d);
    /* Bound: C * eps * log2(window) * ||xe|| * ||g||, with ||xe|| <= ||x|| * sqrt(repeats) per
     * axis (a boundary rule repeats samples into the padding). */
    double reps = 1, len = 1;
    for (int a = 0; a < d.rank; a++) {
      const double w = (double)window(&d, a), small = (double)(d.signal_shape[a] < d.kernel_shape[a]
                                                                  ? d.signal_shape[a]
                                                                  : d.kernel_shape[a]);
      reps *= ceil(w / small) + 1;
      len *= w;
    }
    const double eps = is_double(d.dtype) ? DBL_EPSILON : FLT_EPSILON;
    const double tol = 64 * eps * log2(len + 2) * norm2(d.dtype, x, sig_elems * spe) *
                           sqrt(reps) * norm2(d.dtype, h, ker_elems * spe) + 1e-300;
    for (size_t i = 0; i < out_elems * spe; i++) {
      const double diff = fabs(get(d.dtype, y, i) - get(d.dtype, yref, i));
      if (!(diff <= tol)) {
        fprintf(stderr, "fuzz_plan: element %zu: %g, direct %g, bound %g (method %s)\n", i,
                get(d.dtype, y, i), get(d.dtype, yref, i), tol, fconv_method_name(info.method));
        finding("result differs from the direct path", &d);
      }
    }
  }
  free(x);
  free(h);
  free(y);
  free(yref);
  return 0;
}
