/* bench_core.c — case grammar, matrices, independent geometry and oracle, comparison,
 * statistics. See bench_core.h. Uses only the public header's types. */
#include "bench_core.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names --------------------------------------------------------------------------------- */

static const char *const dtype_tok[] = {"f32", "f64", "c64", "c128"};
static const char *const mode_tok[] = {"full", "same", "valid"};
static const char *const method_tok[] = {"auto", "direct", "fft", "os"};
static const char *const backend_tok[] = {"auto", "cpu", "cuda"};
static const char *const boundary_tok[] = {"zero", "wrap", "symmetric", "mirror", "replicate"};
static const char *const kind_tok[] = {"rand", "decay", "disk", "gauss", "box"};
static const char *const call_tok[] = {"exec", "exec", "reuse", "oneshot"}; /* NONE runs as exec */

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static int lookup(const char *s, const char *const *names, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(s, names[i]) == 0) return (int)i;
  return -1;
}

const char *bench_method_token(fconv_method m) {
  return (unsigned)m < COUNT_OF(method_tok) ? method_tok[m] : "?";
}
const char *bench_backend_token(fconv_backend b) {
  return (unsigned)b < COUNT_OF(backend_tok) ? backend_tok[b] : "?";
}
const char *bench_kernel_kind_token(bench_kernel_kind k) {
  return (unsigned)k < COUNT_OF(kind_tok) ? kind_tok[k] : "?";
}
const char *bench_call_token(bench_call c) {
  return (unsigned)c < COUNT_OF(call_tok) ? call_tok[c] : "?";
}

static void seterr(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* ---- parsing ------------------------------------------------------------------------------- */

#define EXTENT_MAX ((size_t)1 << 40)

/* One extent: decimal digits or 2^E. */
static int parse_extent(const char *s, size_t len, size_t *v) {
  char buf[32];
  if (len == 0 || len >= sizeof buf) return -1;
  memcpy(buf, s, len);
  buf[len] = 0;
  const char *caret = strchr(buf, '^');
  if (caret) {
    if (caret != buf + 1 || buf[0] != '2' || !isdigit((unsigned char)caret[1])) return -1;
    for (const char *p = caret + 1; *p; p++)
      if (!isdigit((unsigned char)*p)) return -1;
    long e = strtol(caret + 1, NULL, 10);
    if (e < 0 || e > 40) return -1;
    *v = (size_t)1 << e;
    return 0;
  }
  for (const char *p = buf; *p; p++)
    if (!isdigit((unsigned char)*p)) return -1;
  errno = 0;
  unsigned long long x = strtoull(buf, NULL, 10);
  if (errno || x == 0 || x > EXTENT_MAX) return -1;
  *v = (size_t)x;
  return 0;
}

/* 'x'-joined extents: exactly `rank` of them, or one broadcast to all. */
static int parse_shape(const char *s, int rank, size_t out[FCONV_MAX_RANK]) {
  size_t vals[FCONV_MAX_RANK + 1];
  int cnt = 0;
  const char *p = s;
  for (;;) {
    const char *x = strchr(p, 'x');
    size_t len = x ? (size_t)(x - p) : strlen(p);
    if (cnt > FCONV_MAX_RANK) return -1;
    if (parse_extent(p, len, &vals[cnt])) return -1;
    cnt++;
    if (!x) break;
    p = x + 1;
  }
  if (cnt != rank && cnt != 1) return -1;
  for (int a = 0; a < FCONV_MAX_RANK; a++) out[a] = a < rank ? vals[cnt == 1 ? 0 : a] : 1;
  return 0;
}

static int parse_count(const char *s, size_t *v) {
  if (!*s) return -1;
  return parse_extent(s, strlen(s), v);
}

#define MAX_TOKENS 16
#define CASE_MAX 256

/* Split s by ':' into toks (in buf). Returns the count or -1. */
static int split(const char *s, char *buf, size_t buflen, char *toks[MAX_TOKENS]) {
  size_t len = strlen(s);
  if (len == 0 || len >= buflen) return -1;
  memcpy(buf, s, len + 1);
  int n = 0;
  char *p = buf;
  for (;;) {
    if (n == MAX_TOKENS) return -1;
    toks[n++] = p;
    char *c = strchr(p, ':');
    if (!c) break;
    *c = 0;
    p = c + 1;
  }
  return n;
}

/* Parse; method/backend may be '*' when allow_star (reported as -1 in *mstar / *bstar). */
static int parse_impl(const char *s, bench_case *c, int allow_star, int *mstar, int *bstar,
                      char *err, size_t errlen) {
  char buf[CASE_MAX];
  char *t[MAX_TOKENS];
  if (!s) {
    seterr(err, errlen, "case is NULL");
    return -1;
  }
  int nt = split(s, buf, sizeof buf, t);
  if (nt < 0) {
    seterr(err, errlen, "'%s': empty, too long or too many ':' fields", s);
    return -1;
  }
  if (nt < 7) {
    seterr(err, errlen,
           "'%s': needs at least 7 fields RANKd:DTYPE:SHAPE:kKSHAPE:MODE:METHOD:BACKEND", s);
    return -1;
  }
  memset(c, 0, sizeof *c);
  if (strlen(t[0]) != 2 || t[0][1] != 'd' || t[0][0] < '1' || t[0][0] > '3') {
    seterr(err, errlen, "'%s': rank '%s' must be 1d, 2d or 3d", s, t[0]);
    return -1;
  }
  c->rank = t[0][0] - '0';
  int v = lookup(t[1], dtype_tok, COUNT_OF(dtype_tok));
  if (v < 0) {
    seterr(err, errlen, "'%s': dtype '%s' must be f32, f64, c64 or c128", s, t[1]);
    return -1;
  }
  c->dtype = (fconv_dtype)v;
  if (parse_shape(t[2], c->rank, c->n)) {
    seterr(err, errlen, "'%s': signal shape '%s' must be %d extent(s) >= 1 joined by 'x'", s,
           t[2], c->rank);
    return -1;
  }
  char *at = strchr(t[3], '@');
  if (at) {
    *at = 0;
    v = lookup(at + 1, kind_tok, COUNT_OF(kind_tok));
    if (v < 0) {
      seterr(err, errlen, "'%s': kernel kind '%s' must be rand, decay, disk, gauss or box", s,
             at + 1);
      return -1;
    }
    c->kernel_kind = (bench_kernel_kind)v;
  }
  if (t[3][0] != 'k' || parse_shape(t[3] + 1, c->rank, c->k)) {
    seterr(err, errlen, "'%s': kernel shape '%s' must be 'k' then %d extent(s) joined by 'x'",
           s, t[3], c->rank);
    return -1;
  }
  v = lookup(t[4], mode_tok, COUNT_OF(mode_tok));
  if (v < 0) {
    seterr(err, errlen, "'%s': mode '%s' must be full, same or valid", s, t[4]);
    return -1;
  }
  c->mode = (fconv_mode)v;
  *mstar = *bstar = 0;
  if (allow_star && strcmp(t[5], "*") == 0) {
    *mstar = 1;
  } else {
    v = lookup(t[5], method_tok, COUNT_OF(method_tok));
    if (v < 0) {
      seterr(err, errlen, "'%s': method '%s' must be direct, fft, os or auto", s, t[5]);
      return -1;
    }
    c->method = (fconv_method)v;
  }
  if (allow_star && strcmp(t[6], "*") == 0) {
    *bstar = 1;
  } else {
    v = lookup(t[6], backend_tok, COUNT_OF(backend_tok));
    if (v < 0) {
      seterr(err, errlen, "'%s': backend '%s' must be cpu, cuda or auto", s, t[6]);
      return -1;
    }
    c->backend = (fconv_backend)v;
  }
  c->batch = c->kernel_batch = 1;
  for (int a = 0; a < FCONV_MAX_RANK; a++) c->stride[a] = 1;
  c->op = FCONV_OP_CONVOLVE;
  c->boundary = FCONV_BOUNDARY_ZERO;
  unsigned seen = 0;
  for (int i = 7; i < nt; i++) {
    const char *o = t[i];
    unsigned bit;
    int ok = 0;
    if (strncmp(o, "kb", 2) == 0) {
      bit = 1u << 0;
      ok = parse_count(o + 2, &c->kernel_batch) == 0;
    } else if (o[0] == 'b' && isdigit((unsigned char)o[1])) {
      bit = 1u << 1;
      ok = parse_count(o + 1, &c->batch) == 0;
    } else if (o[0] == 's' && isdigit((unsigned char)o[1])) {
      bit = 1u << 2;
      ok = parse_shape(o + 1, c->rank, c->stride) == 0;
    } else if (strcmp(o, "corr") == 0 || strcmp(o, "conv") == 0) {
      bit = 1u << 3;
      c->op = o[1] == 'o' && o[2] == 'r' ? FCONV_OP_CORRELATE : FCONV_OP_CONVOLVE;
      ok = 1;
    } else if (strcmp(o, "dev") == 0) {
      bit = 1u << 4;
      c->device_ptrs = 1;
      ok = 1;
    } else if ((v = lookup(o, boundary_tok, COUNT_OF(boundary_tok))) >= 0) {
      bit = 1u << 5;
      c->boundary = (fconv_boundary)v;
      ok = 1;
    } else if ((v = lookup(o, call_tok + 1, COUNT_OF(call_tok) - 1)) >= 0) {
      bit = 1u << 6;
      c->call = (bench_call)(v + 1);
      ok = 1;
    } else {
      seterr(err, errlen,
             "'%s': unknown option '%s' (bN, kbN, sN[xN..], corr, conv, zero, wrap, symmetric, "
             "mirror, replicate, exec, reuse, oneshot, dev)",
             s, o);
      return -1;
    }
    if (!ok) {
      seterr(err, errlen, "'%s': bad value in option '%s'", s, o);
      return -1;
    }
    if (seen & bit) {
      seterr(err, errlen, "'%s': option '%s' given twice", s, o);
      return -1;
    }
    seen |= bit;
  }
  if (c->kernel_batch != 1 && c->kernel_batch != c->batch && c->batch != 1) {
    seterr(err, errlen, "'%s': kernel batch must be 1, equal to the batch, or any with batch 1",
           s);
    return -1;
  }
  bench_geom g;
  if (bench_geom_init(c, &g)) {
    seterr(err, errlen, "'%s': VALID needs one operand to contain the other on every axis", s);
    return -1;
  }
  return 0;
}

int bench_parse_case(const char *s, bench_case *c, char *err, size_t errlen) {
  int ms, bs;
  return parse_impl(s, c, 0, &ms, &bs, err, errlen);
}

static int push_case(const bench_case *c, bench_case **cases, size_t *count, size_t *cap) {
  if (*count == *cap) {
    size_t nc = *cap ? 2 * *cap : 16;
    bench_case *p = (bench_case *)realloc(*cases, nc * sizeof *p);
    if (!p) return -1;
    *cases = p;
    *cap = nc;
  }
  (*cases)[(*count)++] = *c;
  return 0;
}

int bench_expand(const char *s, bench_case **cases, size_t *count, size_t *cap, char *err,
                 size_t errlen) {
  bench_case c;
  int ms, bs;
  if (parse_impl(s, &c, 1, &ms, &bs, err, errlen)) return -1;
  static const fconv_method ms_all[] = {FCONV_METHOD_DIRECT, FCONV_METHOD_FFT,
                                        FCONV_METHOD_OVERLAP_SAVE, FCONV_METHOD_AUTO};
  static const fconv_backend bs_all[] = {FCONV_BACKEND_CPU, FCONV_BACKEND_CUDA};
  size_t nb = bs ? 2 : 1, nm = ms ? 4 : 1;
  for (size_t b = 0; b < nb; b++)
    for (size_t m = 0; m < nm; m++) {
      bench_case e = c;
      if (bs) e.backend = bs_all[b];
      if (ms) e.method = ms_all[m];
      if (push_case(&e, cases, count, cap)) {
        seterr(err, errlen, "out of memory");
        return -1;
      }
    }
  return 0;
}

/* ---- formatting ---------------------------------------------------------------------------- */

static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...) {
  if (*pos >= len) return;
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(buf + *pos, len - *pos, fmt, ap);
  va_end(ap);
  if (w > 0) *pos += (size_t)w;
}

static void append_shape(char *buf, size_t len, size_t *pos, const size_t *e, int rank) {
  for (int a = 0; a < rank; a++) append(buf, len, pos, a ? "x%zu" : "%zu", e[a]);
}

static void format_impl(const bench_case *c, char *buf, size_t len, int with_impl) {
  size_t pos = 0;
  if (len) buf[0] = 0;
  append(buf, len, &pos, "%dd:%s:", c->rank, dtype_tok[c->dtype]);
  append_shape(buf, len, &pos, c->n, c->rank);
  append(buf, len, &pos, ":k");
  append_shape(buf, len, &pos, c->k, c->rank);
  if (c->kernel_kind != BENCH_KERNEL_RAND) append(buf, len, &pos, "@%s", kind_tok[c->kernel_kind]);
  append(buf, len, &pos, ":%s", mode_tok[c->mode]);
  if (with_impl)
    append(buf, len, &pos, ":%s:%s", method_tok[c->method], backend_tok[c->backend]);
  if (c->batch != 1) append(buf, len, &pos, ":b%zu", c->batch);
  if (c->kernel_batch != 1) append(buf, len, &pos, ":kb%zu", c->kernel_batch);
  int uniform = 1, ones = 1;
  for (int a = 0; a < c->rank; a++) {
    uniform &= c->stride[a] == c->stride[0];
    ones &= c->stride[a] == 1;
  }
  if (!ones) {
    append(buf, len, &pos, ":s");
    if (uniform) append(buf, len, &pos, "%zu", c->stride[0]);
    else append_shape(buf, len, &pos, c->stride, c->rank);
  }
  if (c->op == FCONV_OP_CORRELATE) append(buf, len, &pos, ":corr");
  if (c->boundary != FCONV_BOUNDARY_ZERO) append(buf, len, &pos, ":%s", boundary_tok[c->boundary]);
  if (with_impl && (c->call == BENCH_CALL_REUSE || c->call == BENCH_CALL_ONESHOT))
    append(buf, len, &pos, ":%s", call_tok[c->call]);
  if (with_impl && c->device_ptrs) append(buf, len, &pos, ":dev");
}

void bench_format_case(const bench_case *c, char *buf, size_t len) { format_impl(c, buf, len, 1); }
void bench_format_problem(const bench_case *c, char *buf, size_t len) {
  format_impl(c, buf, len, 0);
}

/* ---- matrices ------------------------------------------------------------------------------ */

/* Row sets. */
#define SET_CPU   1u  /* direct, fft, os, auto on the CPU */
#define SET_CUDA  2u  /* direct, fft, os, auto on CUDA (host arrays; plus device-resident on GPU) */
#define SET_DF    4u  /* only direct and fft (with SET_CPU / SET_CUDA) */
#define GPU_ONLY  8u  /* the CPU rows only when a GPU exists (GPU-sized cases) */

typedef struct {
  const char *group;
  const char *problem;
  unsigned set;
} matrix_entry;

static int push_row(bench_row **rows, size_t *n, size_t *cap, const char *group,
                    const char *s) {
  char err[256];
  bench_case c;
  if (bench_parse_case(s, &c, err, sizeof err)) {
    fprintf(stderr, "fconv_bench: bad matrix entry: %s\n", err);
    return -1;
  }
  /* A case already in the matrix is measured once and belongs to both groups ("a+b"). */
  char want[CASE_MAX], have[CASE_MAX];
  bench_format_case(&c, want, sizeof want);
  for (size_t i = 0; i < *n; i++) {
    bench_format_case(&(*rows)[i].c, have, sizeof have);
    if (strcmp(want, have) != 0) continue;
    char *g = (*rows)[i].group;
    size_t gl = strlen(g);
    if (strstr(g, group) == NULL && gl + 1 + strlen(group) < sizeof (*rows)[i].group)
      snprintf(g + gl, sizeof (*rows)[i].group - gl, "+%s", group);
    return 0;
  }
  if (*n == *cap) {
    size_t nc = *cap ? 2 * *cap : 64;
    bench_row *p = (bench_row *)realloc(*rows, nc * sizeof *p);
    if (!p) return -1;
    *rows = p;
    *cap = nc;
  }
  bench_row *r = &(*rows)[(*n)++];
  memset(r, 0, sizeof *r);
  snprintf(r->group, sizeof r->group, "%s", group);
  r->c = c;
  return 0;
}

/* Rows of one problem (5 positional fields, then options) for the sets asked for. */
static int add_rows(bench_row **rows, size_t *n, size_t *cap, const char *group,
                    const char *problem, unsigned set, int gpu) {
  char s[CASE_MAX];
  /* Split after the 5th field: METHOD:BACKEND go between it and the options. */
  size_t head = strlen(problem);
  const char *p = problem;
  for (int f = 0; f < 5 && p; f++) {
    p = strchr(p, ':');
    if (p && f < 4) p++;
  }
  if (p) head = (size_t)(p - problem);
  const char *opts = problem + head;
  static const fconv_method all_m[] = {FCONV_METHOD_DIRECT, FCONV_METHOD_FFT,
                                       FCONV_METHOD_OVERLAP_SAVE, FCONV_METHOD_AUTO};
  const size_t nm = (set & SET_DF) ? 2 : 4;
  for (int pass = 0; pass < 3; pass++) {
    /* pass 0: CPU; pass 1: CUDA host arrays; pass 2: CUDA device-resident (GPU only). */
    if (pass == 0 && (!(set & SET_CPU) || ((set & GPU_ONLY) && !gpu))) continue;
    if (pass >= 1 && !(set & SET_CUDA)) continue;
    if (pass == 2 && !gpu) continue;
    for (size_t m = 0; m < nm; m++) {
      snprintf(s, sizeof s, "%.*s:%s:%s%s%s", (int)head, problem, method_tok[all_m[m]],
               pass == 0 ? "cpu" : "cuda", opts, pass == 2 ? ":dev" : "");
      if (push_row(rows, n, cap, group, s)) return -1;
    }
    /* With a GPU, the AUTO backend too (what a user gets by default). */
    if (pass == 0 && gpu && (set & SET_CUDA)) {
      snprintf(s, sizeof s, "%.*s:auto:auto%s", (int)head, problem, opts);
      if (push_row(rows, n, cap, group, s)) return -1;
    }
  }
  return 0;
}

/* The issues' target cases (all in the default matrix). */
static const matrix_entry target_entries[] = {
    {"target", "2d:f32:2048x2048:k3x3:same", SET_CPU | SET_CUDA},
    {"target", "2d:f32:2048x2048:k7x7:same", SET_CPU | SET_CUDA},
    {"target", "2d:f32:2048x2048:k15x15:same", SET_CPU | SET_CUDA},
    {"target", "2d:f32:2048x2048:k31x31:same", SET_CPU | SET_CUDA},
    {"target", "2d:f32:1024x1024:k127x127:same", SET_CPU | SET_CUDA},
    {"target", "1d:f32:2^20:k16:same", SET_CPU | SET_CUDA},
    {"target", "1d:f32:2^20:k1024:same", SET_CPU | SET_CUDA},
    {"target", "1d:f32:2^20:k65536:same", SET_CPU | SET_CUDA},
    {"target", "1d:f32:65536:k65536:full", SET_CPU | SET_CUDA},
    {"target", "3d:f32:128x128x128:k5x5x5:same", SET_CPU | SET_CUDA},
    /* GPU-sized: CUDA rows always (they say "no device" / "not built" without one), the CPU
     * rows beside them only when a GPU exists to compare with. */
    {"gpu", "2d:f32:4096x4096:k3x3:same", SET_CPU | SET_CUDA | GPU_ONLY},
    {"gpu", "2d:f32:4096x4096:k5x5:same", SET_CPU | SET_CUDA | GPU_ONLY},
    {"gpu", "2d:f32:4096x4096:k7x7:same", SET_CPU | SET_CUDA | GPU_ONLY},
    {"gpu", "2d:f32:4096x4096:k31x31:same", SET_CPU | SET_CUDA | GPU_ONLY},
    {"gpu", "2d:f32:4096x4096:k127x127:same", SET_CPU | SET_CUDA | GPU_ONLY},
    {"gpu", "1d:f32:2^24:k4096:same", SET_CPU | SET_CUDA | GPU_ONLY},
};

/* Kernel content that steers AUTO's kernel-aware refinement (set_kernel): a 2 s reverb impulse
 * response (exponentially decaying noise, 96000 taps at 48 kHz) on 10 s of audio, a disk of ones
 * (integer taps) and a Gaussian (rank 1, with tails six orders below its peak) on a 2048^2 image. */
static const matrix_entry kernel_entries[] = {
    {"kernel", "1d:f32:480000:k96000@decay:full", SET_CPU | SET_CUDA},
    {"kernel", "2d:f32:2048x2048:k31x31@disk:same", SET_CPU | SET_CUDA},
    {"kernel", "2d:f32:2048x2048:k31x31@gauss:same", SET_CPU | SET_CUDA},
};

/* Dtypes, batches, filter banks, correlation, boundaries, strides, VALID swap, complex. */
static const matrix_entry coverage_entries[] = {
    {"coverage", "1d:f64:2^20:k16:same", SET_CPU},
    {"coverage", "2d:f64:1024x1024:k7x7:same", SET_CPU},
    {"coverage", "3d:f64:64x64x64:k3x3x3:same", SET_CPU},
    {"coverage", "1d:f32:16384:k31:same:b64", SET_CPU | SET_CUDA},
    {"coverage", "2d:f32:256x256:k5x5:same:b16", SET_CPU | SET_CUDA},
    {"coverage", "1d:f32:65536:k63:same:kb8", SET_CPU},
    {"coverage", "2d:f32:512x512:k9x9:same:corr:symmetric", SET_CPU},
    {"coverage", "2d:f32:512x512:k9x9:same:wrap", SET_CPU},
    {"coverage", "1d:c64:65536:k127:same", SET_CPU},
    {"coverage", "2d:c128:256x256:k7x7:full", SET_CPU},
    {"coverage", "2d:f32:1024x1024:k5x5:valid:s2", SET_CPU},
    {"coverage", "1d:f32:1000:k50000:valid", SET_CPU},
};

static int add_entries(bench_row **rows, size_t *n, size_t *cap, const matrix_entry *e,
                       size_t ne, int gpu) {
  for (size_t i = 0; i < ne; i++)
    if (add_rows(rows, n, cap, e[i].group, e[i].problem, e[i].set, gpu)) return -1;
  return 0;
}

/* A kernel-size sweep at a fixed signal (the crossover per rank). */
static int add_ksweep(bench_row **rows, size_t *n, size_t *cap, const char *group, int rank,
                      size_t nsig, const size_t *ks, size_t nk, unsigned set, int gpu) {
  char p[CASE_MAX];
  for (size_t i = 0; i < nk; i++) {
    if (rank == 1) snprintf(p, sizeof p, "1d:f32:%zu:k%zu:same", nsig, ks[i]);
    else if (rank == 2)
      snprintf(p, sizeof p, "2d:f32:%zux%zu:k%zux%zu:same", nsig, nsig, ks[i], ks[i]);
    else
      snprintf(p, sizeof p, "3d:f32:%zux%zux%zu:k%zux%zux%zu:same", nsig, nsig, nsig, ks[i],
               ks[i], ks[i]);
    if (add_rows(rows, n, cap, group, p, set, gpu)) return -1;
  }
  return 0;
}

/* A signal-size sweep (claim a): kernel = signal (klen 0) or a fixed kernel length. */
static int add_nsweep(bench_row **rows, size_t *n, size_t *cap, const char *group, int lo,
                      int hi, int step, size_t klen, unsigned set, int gpu) {
  char p[CASE_MAX];
  for (int e = lo; e <= hi; e += step) {
    size_t nsig = (size_t)1 << e;
    snprintf(p, sizeof p, "1d:f32:%zu:k%zu:same", nsig, klen ? klen : nsig);
    if (add_rows(rows, n, cap, group, p, set, gpu)) return -1;
  }
  return 0;
}

long bench_matrix(const char *name, int gpu, bench_row **rows) {
  size_t n = 0, cap = 0;
  *rows = NULL;
  int full;
  if (strcmp(name, "default") == 0) full = 0;
  else if (strcmp(name, "full") == 0) full = 1;
  else return -1;
  const unsigned cpu = SET_CPU | (gpu ? SET_CUDA : 0);
  int bad = add_entries(rows, &n, &cap, target_entries, COUNT_OF(target_entries), gpu) ||
            add_entries(rows, &n, &cap, kernel_entries, COUNT_OF(kernel_entries), gpu) ||
            add_entries(rows, &n, &cap, coverage_entries, COUNT_OF(coverage_entries), gpu);
  if (!full) {
    static const size_t k1[] = {3, 7, 15, 31, 63, 127, 255, 511, 1023, 2047, 4095, 8191, 16384};
    static const size_t k2[] = {3, 5, 7, 9, 11, 15, 21, 31, 45, 63, 91, 128};
    static const size_t k3[] = {3, 5, 7, 9, 11, 15, 21, 32};
    bad = bad || add_ksweep(rows, &n, &cap, "sweep-k1d", 1, 16384, k1, COUNT_OF(k1), cpu, gpu) ||
          add_ksweep(rows, &n, &cap, "sweep-k2d", 2, 128, k2, COUNT_OF(k2), cpu, gpu) ||
          add_ksweep(rows, &n, &cap, "sweep-k3d", 3, 32, k3, COUNT_OF(k3), cpu, gpu) ||
          add_nsweep(rows, &n, &cap, "sweep-n-kn", 8, 15, 1, 0, cpu | SET_DF, gpu) ||
          add_nsweep(rows, &n, &cap, "sweep-n-k16", 12, 20, 1, 16, cpu, gpu);
  } else {
    static const size_t k1[] = {3,    7,    15,    31,    63,    127,    255,    511,    1023,
                                2047, 4095, 8191, 16383, 32767, 65535, 131071, 262144};
    static const size_t k2[] = {3, 5, 7, 9, 11, 15, 21, 31, 45, 63, 91, 127, 181, 256};
    static const size_t k3[] = {3, 5, 7, 9, 11, 15, 21, 31, 45, 64};
    static const matrix_entry extra[] = {
        {"coverage", "2d:f32:2048x2048:k7x7:same:b8", SET_CPU | SET_CUDA},
        {"coverage", "2d:f64:2048x2048:k31x31:same", SET_CPU | SET_CUDA},
        {"coverage", "3d:f32:256x256x256:k7x7x7:same", SET_CPU | SET_CUDA},
        {"coverage", "3d:f32:128x128x128:k31x31x31:same", SET_CPU | SET_CUDA},
        {"coverage", "1d:c64:2^22:k4096:same", SET_CPU | SET_CUDA},
        {"coverage", "2d:c64:1024x1024:k31x31:same", SET_CPU | SET_CUDA},
        {"coverage", "2d:f32:2048x2048:k15x15:same:mirror", SET_CPU | SET_CUDA},
        {"coverage", "2d:f32:2048x2048:k15x15:same:replicate", SET_CPU | SET_CUDA},
        {"coverage", "2d:f32:2048x2048:k15x15:full:corr", SET_CPU | SET_CUDA},
        {"coverage", "1d:f32:4096:k127:same:kb256", SET_CPU | SET_CUDA},
        {"coverage", "1d:f32:2^16:k65:same:b1024", SET_CPU | SET_CUDA},
        {"kernel", "2d:f32:1024x1024:k15x15@box:same", SET_CPU | SET_CUDA},
        {"kernel", "1d:f32:2^20:k4096@decay:same", SET_CPU | SET_CUDA},
    };
    bad = bad || add_entries(rows, &n, &cap, extra, COUNT_OF(extra), gpu) ||
          add_ksweep(rows, &n, &cap, "sweep-k1d", 1, 262144, k1, COUNT_OF(k1), cpu | SET_CUDA,
                     gpu) ||
          add_ksweep(rows, &n, &cap, "sweep-k2d", 2, 256, k2, COUNT_OF(k2), cpu | SET_CUDA, gpu) ||
          add_ksweep(rows, &n, &cap, "sweep-k3d", 3, 64, k3, COUNT_OF(k3), cpu | SET_CUDA, gpu) ||
          add_nsweep(rows, &n, &cap, "sweep-n-kn", 8, 17, 1, 0, cpu | SET_CUDA | SET_DF, gpu) ||
          add_nsweep(rows, &n, &cap, "sweep-n-k16", 12, 24, 1, 16, cpu | SET_CUDA, gpu);
  }
  if (bad) {
    free(*rows);
    *rows = NULL;
    return -1;
  }
  return (long)n;
}

unsigned bench_parse_calls(const char *s) {
  if (!s || !*s) return 0;
  if (strcmp(s, "all") == 0) return BENCH_CALLS_ALL;
  unsigned mask = 0;
  const char *p = s;
  for (;;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    unsigned bit = 0;
    for (int i = BENCH_CALL_EXEC; i <= BENCH_CALL_ONESHOT; i++)
      if (len == strlen(call_tok[i]) && strncmp(p, call_tok[i], len) == 0)
        bit = 1u << (i - BENCH_CALL_EXEC);
    if (!bit) return 0;
    mask |= bit;
    if (!comma) break;
    p = comma + 1;
  }
  return mask;
}

long bench_expand_calls(bench_row **rows, size_t n, unsigned calls) {
  size_t out = 0;
  for (size_t i = 0; i < n; i++) {
    const bench_case *c = &(*rows)[i].c;
    if (c->call != BENCH_CALL_NONE) out++;
    else
      for (int k = BENCH_CALL_EXEC; k <= BENCH_CALL_ONESHOT; k++)
        out += (calls >> (k - BENCH_CALL_EXEC)) & 1u &&
               (k != BENCH_CALL_ONESHOT || (c->method == FCONV_METHOD_AUTO && !c->device_ptrs));
  }
  bench_row *nr = (bench_row *)malloc((out ? out : 1) * sizeof *nr);
  if (!nr) return -1;
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    const bench_row *r = &(*rows)[i];
    if (r->c.call != BENCH_CALL_NONE) {
      nr[j++] = *r;
      continue;
    }
    for (int k = BENCH_CALL_EXEC; k <= BENCH_CALL_ONESHOT; k++) {
      if (!((calls >> (k - BENCH_CALL_EXEC)) & 1u)) continue;
      if (k == BENCH_CALL_ONESHOT && (r->c.method != FCONV_METHOD_AUTO || r->c.device_ptrs))
        continue;
      nr[j] = *r;
      nr[j++].c.call = (bench_call)k;
    }
  }
  free(*rows);
  *rows = nr;
  return (long)out;
}

/* ---- geometry ------------------------------------------------------------------------------ */

int bench_geom_init(const bench_case *c, bench_geom *g) {
  memset(g, 0, sizeof *g);
  if (c->rank < 1 || c->rank > FCONV_MAX_RANK) return -1;
  const int off = 3 - c->rank;
  int k_le_n = 1, k_ge_n = 1;
  g->sig_elems = g->ker_elems = 1;
  for (int a = 0; a < c->rank; a++) {
    if (!c->n[a] || !c->k[a] || !c->stride[a]) return -1;
    k_le_n &= c->k[a] <= c->n[a];
    k_ge_n &= c->k[a] >= c->n[a];
    g->sig_elems *= c->n[a];
    g->ker_elems *= c->k[a];
  }
  if (c->mode == FCONV_MODE_VALID && !k_le_n && !k_ge_n) return -1;
  g->swapped = c->mode == FCONV_MODE_VALID && !k_le_n;
  g->out_elems = 1;
  g->taps = 1.0;
  g->log2_len = 0.0;
  for (int a = 0; a < 3; a++) {
    if (a < off) {
      g->n[a] = g->k[a] = g->s[a] = g->len[a] = g->out[a] = 1;
      continue;
    }
    const int u = a - off;
    g->n[a] = g->swapped ? c->k[u] : c->n[u];
    g->k[a] = g->swapped ? c->n[u] : c->k[u];
    g->s[a] = c->stride[u];
    switch (c->mode) {
    case FCONV_MODE_FULL: g->p0[a] = g->p1[a] = g->k[a] - 1; break;
    case FCONV_MODE_SAME: g->p0[a] = g->k[a] / 2; g->p1[a] = (g->k[a] - 1) / 2; break;
    default: g->p0[a] = g->p1[a] = 0; break;
    }
    g->len[a] = g->n[a] + g->p0[a] + g->p1[a] - g->k[a] + 1;
    g->out[a] = (g->len[a] - 1) / g->s[a] + 1;
    g->out_elems *= g->out[a];
    g->taps *= (double)g->k[a];
    g->log2_len += log2((double)(g->n[a] + g->k[a] - 1));
  }
  g->count = c->batch > c->kernel_batch ? c->batch : c->kernel_batch;
  return 0;
}

/* ---- boundary extension: numpy.pad's algorithm on index lines (see bench_core.h) ----------- */

/* A line of n + left + right positions whose middle [left, left + n) is the identity (source
 * index i - left) and whose pad areas are stored: lp[left], rp[right]. */
typedef struct pad_line {
  size_t n, left, right;
  long long *lp, *rp;
} pad_line;

static long long line_get(const pad_line *l, size_t i) {
  if (i < l->left) return l->lp[i];
  if (i >= l->left + l->n) return l->rp[i - l->left - l->n];
  return (long long)(i - l->left);
}

static void line_set(pad_line *l, size_t i, long long v) {
  if (i < l->left) l->lp[i] = v;
  else if (i >= l->left + l->n) l->rp[i - l->left - l->n] = v;
}

static size_t min_z(size_t a, size_t b) { return a < b ? a : b; }

/* np.pad(arange(n), (left, right), mode) with numpy's names: constant, edge, wrap, symmetric,
 * reflect. Pass after pass, as numpy: `lpad` / `rpad` are the widths still unfilled. */
static void pad_fill(pad_line *l, fconv_boundary b) {
  const size_t n = l->n, L = l->n + l->left + l->right;
  if (b == FCONV_BOUNDARY_ZERO) { /* 'constant' */
    for (size_t i = 0; i < l->left; i++) l->lp[i] = -1;
    for (size_t i = 0; i < l->right; i++) l->rp[i] = -1;
    return;
  }
  if (b == FCONV_BOUNDARY_REPLICATE || n == 1) { /* 'edge'; numpy reflects one sample as 'edge' */
    for (size_t i = 0; i < l->left; i++) l->lp[i] = 0;
    for (size_t i = 0; i < l->right; i++) l->rp[i] = (long long)n - 1;
    return;
  }
  size_t lpad = l->left, rpad = l->right;
  while (lpad > 0 || rpad > 0) {
    const size_t filled = L - lpad - rpad; /* the data and the pads filled so far */
    if (b == FCONV_BOUNDARY_WRAP) {
      /* _set_wrap_both: copy the nearest whole periods of the filled span outwards. */
      const size_t period = filled / n * n;
      if (lpad > 0) {
        const size_t chunk = min_z(period, lpad);
        const size_t src = lpad + period - chunk, dst = lpad - chunk;
        for (size_t j = 0; j < chunk; j++) line_set(l, dst + j, line_get(l, src + j));
        lpad -= chunk;
      }
      if (rpad > 0) {
        const size_t chunk = min_z(period, rpad);
        const size_t src = L - rpad - period, dst = L - rpad;
        for (size_t j = 0; j < chunk; j++) line_set(l, dst + j, line_get(l, src + j));
        rpad -= chunk;
      }
    } else {
      /* _set_reflect_both: mirror a chunk about the edge of the filled span; 'symmetric'
       * repeats the edge sample (edge_offset 1), 'reflect' does not (the chunk skips it). */
      const int symmetric = b == FCONV_BOUNDARY_SYMMETRIC;
      const size_t chunk_max = symmetric ? filled / n * n : (filled - 1) / (n - 1) * (n - 1);
      const size_t skip = symmetric ? 0 : 1;
      if (lpad > 0) {
        /* padded[lpad - chunk : lpad] = padded[lpad + skip + chunk - 1 : lpad + skip - 1 : -1] */
        const size_t chunk = min_z(chunk_max, lpad);
        for (size_t j = 0; j < chunk; j++)
          line_set(l, lpad - chunk + j, line_get(l, lpad + skip + chunk - 1 - j));
        lpad -= chunk;
      }
      if (rpad > 0) {
        /* padded[L - rpad : L - rpad + chunk] = the chunk ending at the edge, reversed */
        const size_t chunk = min_z(chunk_max, rpad), edge = L - rpad;
        for (size_t j = 0; j < chunk; j++) line_set(l, edge + j, line_get(l, edge - 1 - skip - j));
        rpad -= chunk;
      }
    }
  }
}

void bench_pad_index_line(long long *line, size_t n, size_t left, size_t right, fconv_boundary b) {
  pad_line l = {n, left, right, line, line + left + n};
  for (size_t i = 0; i < n; i++) line[left + i] = (long long)i;
  if (n > 0) pad_fill(&l, b);
}

void bench_ext_free(bench_ext *e) {
  for (int a = 0; a < 3; a++) {
    free(e->left[a]);
    free(e->right[a]);
    e->left[a] = e->right[a] = NULL;
  }
}

int bench_ext_init(bench_ext *e, const bench_case *c, const bench_geom *g) {
  memset(e, 0, sizeof *e);
  for (int a = 0; a < 3; a++) {
    e->n[a] = g->n[a];
    e->p0[a] = g->p0[a];
    e->p1[a] = g->p1[a];
    e->left[a] = (long long *)malloc((g->p0[a] ? g->p0[a] : 1) * sizeof(long long));
    e->right[a] = (long long *)malloc((g->p1[a] ? g->p1[a] : 1) * sizeof(long long));
    if (!e->left[a] || !e->right[a]) {
      bench_ext_free(e);
      return -1;
    }
    pad_line l = {g->n[a], g->p0[a], g->p1[a], e->left[a], e->right[a]};
    pad_fill(&l, c->boundary);
  }
  return 0;
}

long long bench_ext_at(const bench_ext *e, int a, size_t pos) {
  const pad_line l = {e->n[a], e->p0[a], e->p1[a], e->left[a], e->right[a]};
  return line_get(&l, pos);
}

static void load(fconv_dtype t, const void *base, size_t idx, double v[2]) {
  switch (t) {
  case FCONV_F32: v[0] = ((const float *)base)[idx]; v[1] = 0; break;
  case FCONV_F64: v[0] = ((const double *)base)[idx]; v[1] = 0; break;
  case FCONV_C64:
    v[0] = ((const float *)base)[2 * idx];
    v[1] = ((const float *)base)[2 * idx + 1];
    break;
  default:
    v[0] = ((const double *)base)[2 * idx];
    v[1] = ((const double *)base)[2 * idx + 1];
    break;
  }
}

static size_t esize_of(fconv_dtype t) {
  return t == FCONV_F32 ? 4 : t == FCONV_C128 ? 16 : 8;
}

void bench_oracle(const bench_case *c, const bench_geom *g, const bench_ext *e,
                  const void *signal, const void *kernel, size_t item, const size_t t[3],
                  double out[2]) {
  const size_t es = esize_of(c->dtype);
  const size_t sb = c->batch == 1 ? 0 : item, kb = c->kernel_batch == 1 ? 0 : item;
  const char *x = (const char *)signal + sb * g->sig_elems * es;
  const char *h = (const char *)kernel + kb * g->ker_elems * es;
  /* A: the operand extended by the boundary; B: the other, as taps w[j] (y = sum A[ts+j] w[j]). */
  const char *A = g->swapped ? h : x, *B = g->swapped ? x : h;
  const int corr = c->op == FCONV_OP_CORRELATE;
  /* Not swapped: w[j] = B[K-1-j] (convolve) or conj(B[j]) (correlate).
   * Swapped: A is h, flipped and conjugated when correlating; w[j] = x[K-1-j]. */
  const int a_flipconj = g->swapped && corr, w_conj = !g->swapped && corr;
  double acc_re = 0, acc_im = 0;
  for (size_t j0 = 0; j0 < g->k[0]; j0++)
    for (size_t j1 = 0; j1 < g->k[1]; j1++)
      for (size_t j2 = 0; j2 < g->k[2]; j2++) {
        const size_t j[3] = {j0, j1, j2};
        size_t ai = 0, wi = 0;
        int zero = 0;
        for (int a = 0; a < 3; a++) {
          long long m = bench_ext_at(e, a, t[a] * g->s[a] + j[a]);
          if (m < 0) { zero = 1; break; }
          if (a_flipconj) m = (long long)g->n[a] - 1 - m;
          ai = ai * g->n[a] + (size_t)m;
          size_t wj = w_conj ? j[a] : g->k[a] - 1 - j[a];
          wi = wi * g->k[a] + wj;
        }
        if (zero) continue;
        double av[2], wv[2];
        load(c->dtype, A, ai, av);
        load(c->dtype, B, wi, wv);
        if (a_flipconj) av[1] = -av[1];
        if (w_conj) wv[1] = -wv[1];
        acc_re += av[0] * wv[0] - av[1] * wv[1];
        acc_im += av[0] * wv[1] + av[1] * wv[0];
      }
  out[0] = acc_re;
  out[1] = acc_im;
}

void bench_extract_window(const bench_case *c, const bench_geom *g, const bench_ext *e,
                          const void *signal, size_t item, const size_t t0[3], const size_t T[3],
                          void *dst, size_t wext[3]) {
  const size_t es = esize_of(c->dtype);
  const size_t sb = c->batch == 1 ? 0 : item;
  const char *x = (const char *)signal + sb * g->sig_elems * es;
  for (int a = 0; a < 3; a++) wext[a] = (T[a] - 1) * g->s[a] + g->k[a];
  char *d = (char *)dst;
  for (size_t w0 = 0; w0 < wext[0]; w0++)
    for (size_t w1 = 0; w1 < wext[1]; w1++)
      for (size_t w2 = 0; w2 < wext[2]; w2++) {
        const size_t w[3] = {w0, w1, w2};
        size_t si = 0;
        int zero = 0;
        for (int a = 0; a < 3; a++) {
          long long m = bench_ext_at(e, a, t0[a] * g->s[a] + w[a]);
          if (m < 0) { zero = 1; break; }
          si = si * g->n[a] + (size_t)m;
        }
        if (zero) memset(d, 0, es);
        else memcpy(d, x + si * es, es);
        d += es;
      }
}

/* ---- comparison ---------------------------------------------------------------------------- */

void bench_cmp_init(bench_cmp *m) { memset(m, 0, sizeof *m); }

static void cmp_one(bench_cmp *m, const double y[2], const double r[2], size_t idx) {
  double err, ref = hypot(r[0], r[1]);
  if (!isfinite(y[0]) || !isfinite(y[1])) err = INFINITY;
  else err = hypot(y[0] - r[0], y[1] - r[1]);
  if (!(err <= m->max_err)) { /* also catches the first NaN */
    m->max_err = err;
    m->worst_index = idx;
  }
  if (ref > m->max_ref) m->max_ref = ref;
  m->compared++;
}

void bench_cmp_add(bench_cmp *m, fconv_dtype t, const void *y, const void *ref, size_t n) {
  for (size_t i = 0; i < n; i++) {
    double a[2], b[2];
    load(t, y, i, a);
    load(t, ref, i, b);
    cmp_one(m, a, b, i);
  }
}

void bench_cmp_add_point(bench_cmp *m, fconv_dtype t, const void *y_elem, const double ref[2]) {
  double a[2];
  load(t, y_elem, 0, a);
  cmp_one(m, a, ref, 0);
}

double bench_cmp_rel(const bench_cmp *m) {
  if (isnan(m->max_err) || isinf(m->max_err)) return INFINITY;
  return m->max_ref > 0 ? m->max_err / m->max_ref : m->max_err;
}

double bench_tolerance(fconv_dtype t, const bench_geom *g) {
  const double eps = (t == FCONV_F32 || t == FCONV_C64) ? 1.1920928955078125e-07
                                                        : 2.220446049250313e-16;
  return 8.0 * eps * (g->log2_len + sqrt(g->taps) + 1.0);
}

/* ---- statistics ---------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

static double quantile(const double *s, size_t n, double q) {
  double pos = q * (double)(n - 1);
  size_t i = (size_t)pos;
  if (i + 1 >= n) return s[n - 1];
  double f = pos - (double)i;
  return s[i] * (1 - f) + s[i + 1] * f;
}

void bench_stats_of(double *t, size_t n, bench_stats *st) {
  st->n = n;
  if (n == 0) {
    st->median = st->min = st->max = st->q1 = st->q3 = NAN;
    return;
  }
  qsort(t, n, sizeof *t, cmp_double);
  st->min = t[0];
  st->max = t[n - 1];
  st->median = quantile(t, n, 0.5);
  st->q1 = quantile(t, n, 0.25);
  st->q3 = quantile(t, n, 0.75);
}

void bench_fill(void *buf, size_t scalars, int is_double, unsigned long long seed) {
  unsigned long long s = seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
  for (size_t i = 0; i < scalars; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    double v = (double)(s >> 11) * (2.0 / 9007199254740992.0) - 1.0;
    if (is_double) ((double *)buf)[i] = v;
    else ((float *)buf)[i] = (float)v;
  }
}

void bench_fill_kernel(const bench_case *c, void *h, unsigned long long seed) {
  size_t taps = 1;
  for (int a = 0; a < c->rank; a++) taps *= c->k[a];
  const int dbl = c->dtype == FCONV_F64 || c->dtype == FCONV_C128;
  const size_t sc = (c->dtype == FCONV_C64 || c->dtype == FCONV_C128) ? 2 : 1;
  const size_t total = c->kernel_batch * taps;
  if (c->kernel_kind == BENCH_KERNEL_RAND || c->kernel_kind == BENCH_KERNEL_DECAY)
    bench_fill(h, total * sc, dbl, seed);
  if (c->kernel_kind == BENCH_KERNEL_RAND) return;
  double gsum = 0.0;
  for (int pass = c->kernel_kind == BENCH_KERNEL_GAUSS ? 0 : 1; pass < 2; pass++)
    for (size_t i = 0; i < total; i++) {
      /* tap coordinates, last axis fastest */
      size_t rem = i % taps;
      double r2 = 0.0, d2 = 0.0, e2 = 0.0;
      for (int a = c->rank - 1; a >= 0; a--) {
        const double K = (double)c->k[a], x = (double)(rem % c->k[a]);
        rem /= c->k[a];
        const double span = K > 1 ? K - 1 : 1.0, centre = (K - 1) / 2;
        r2 += (x / span) * (x / span);                        /* decay: from the first tap */
        d2 += ((x - centre) / (K / 2)) * ((x - centre) / (K / 2)); /* disk: inscribed ellipse */
        const double sigma = K > 1 ? (K - 1) / 8 : 1.0;
        e2 += ((x - centre) / sigma) * ((x - centre) / sigma); /* gauss */
      }
      double v = 0.0;
      switch (c->kernel_kind) {
      case BENCH_KERNEL_DECAY: v = pow(10.0, -3.0 * sqrt(r2 / c->rank)); break;
      case BENCH_KERNEL_DISK: v = d2 <= 1.0 ? 1.0 : 0.0; break;
      case BENCH_KERNEL_GAUSS: v = exp(-0.5 * e2); break;
      default: v = 1.0 / (double)taps; break; /* box */
      }
      if (pass == 0) { /* gauss: the sum of one kernel, to normalise */
        if (i < taps) gsum += v;
        continue;
      }
      if (c->kernel_kind == BENCH_KERNEL_GAUSS) v /= gsum;
      for (size_t p = 0; p < sc; p++) {
        const size_t idx = i * sc + p;
        if (c->kernel_kind == BENCH_KERNEL_DECAY) { /* noise times the envelope */
          if (dbl) ((double *)h)[idx] *= v;
          else ((float *)h)[idx] = (float)(((float *)h)[idx] * v);
        } else { /* real: imaginary parts 0 */
          const double w = p == 0 ? v : 0.0;
          if (dbl) ((double *)h)[idx] = w;
          else ((float *)h)[idx] = (float)w;
        }
      }
    }
}
