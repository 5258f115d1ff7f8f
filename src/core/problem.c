/* core/problem.c — descriptor -> normalised problem: validation, padding windows, output extents,
 * the VALID swap and the operand flip (rules 2, 4, 5, 6, 7). The only place that derives them. */
#include "problem.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dtype.h"
#include "memory.h"

/* Product of three extents times a count times esize, without overflow. */
static int bytes_of(size_t e0, size_t e1, size_t e2, size_t count, size_t esize, size_t *elems,
                    size_t *bytes) {
  size_t t, u;
  if (fconv_mul_ovf(e0, e1, &t) || fconv_mul_ovf(t, e2, &t)) return 1;
  if (fconv_mul_ovf(t, count, &u) || fconv_mul_ovf(u, esize, &u)) return 1;
  if (u > (size_t)PTRDIFF_MAX) return 1;
  *elems = t;
  *bytes = u;
  return 0;
}

static void ext_defaults(fconv_desc *d) {
  d->in_channels = d->out_channels = d->groups = 1;
  for (int a = 0; a < FCONV_MAX_RANK; a++) d->dilation[a] = 1;
}

void fconv_desc_read(const fconv_desc *d, fconv_desc *dst) {
  memcpy(dst, d, offsetof(fconv_desc, in_channels)); /* the 0.1 struct ends at flags */
  if (d->flags & FCONV_FLAG_EXTENDED) {
    dst->in_channels = d->in_channels;
    dst->out_channels = d->out_channels;
    dst->groups = d->groups;
    memcpy(dst->dilation, d->dilation, sizeof dst->dilation);
  } else {
    ext_defaults(dst);
  }
}

void fconv_desc_extend(fconv_desc *d) {
  if (d->flags & FCONV_FLAG_EXTENDED) return;
  ext_defaults(d);
  d->flags |= FCONV_FLAG_EXTENDED;
}

/* Validate d and build the normalised problem (rank 3, user axes last, VALID swap applied). */
fconv_status fconv_problem_init(const fconv_desc *user, fconv_problem *p) {
  FCONV_INVALID_IF(!user, "desc is NULL");
  fconv_desc dd;
  fconv_desc_read(user, &dd);
  const fconv_desc *d = &dd;
  FCONV_INVALID_IF(d->rank < 1 || d->rank > FCONV_MAX_RANK, "desc->rank = %d: must be 1, 2 or 3",
                   d->rank);
  FCONV_INVALID_IF((unsigned)d->dtype > (unsigned)FCONV_C128, "desc->dtype = %d: out of range",
                   (int)d->dtype);
  FCONV_INVALID_IF((unsigned)d->mode > (unsigned)FCONV_MODE_PAD, "desc->mode = %d: out of range",
                   (int)d->mode);
  FCONV_INVALID_IF((unsigned)d->op > (unsigned)FCONV_OP_CORRELATE, "desc->op = %d: out of range",
                   (int)d->op);
  FCONV_INVALID_IF((unsigned)d->boundary > (unsigned)FCONV_BOUNDARY_REPLICATE,
                   "desc->boundary = %d: out of range", (int)d->boundary);
  FCONV_INVALID_IF((unsigned)d->method > (unsigned)FCONV_METHOD_OVERLAP_SAVE,
                   "desc->method = %d: out of range", (int)d->method);
  FCONV_INVALID_IF((unsigned)d->backend > (unsigned)FCONV_BACKEND_CUDA,
                   "desc->backend = %d: out of range", (int)d->backend);
  FCONV_INVALID_IF(d->flags & ~(unsigned)FCONV_FLAG_ALL, "desc->flags = 0x%x: unknown bits 0x%x",
                   d->flags, d->flags & ~(unsigned)FCONV_FLAG_ALL);
  FCONV_INVALID_IF((d->flags & FCONV_FLAG_ACCURATE) && (d->method == FCONV_METHOD_FFT ||
                                                         d->method == FCONV_METHOD_OVERLAP_SAVE),
                   "FCONV_FLAG_ACCURATE asks for the direct method; FFT or overlap-save requested");
  FCONV_INVALID_IF(d->threads < 0, "desc->threads = %d: must be >= 0", d->threads);
  FCONV_INVALID_IF(d->batch == 0, "desc->batch = 0: must be >= 1");
  FCONV_INVALID_IF(d->kernel_batch == 0, "desc->kernel_batch = 0: must be >= 1");
  FCONV_INVALID_IF(d->kernel_batch != 1 && d->kernel_batch != d->batch && d->batch != 1,
                   "desc->kernel_batch = %zu with desc->batch = %zu: must be 1, equal to batch, "
                   "or any count when batch is 1", d->kernel_batch, d->batch);
  FCONV_INVALID_IF((d->flags & FCONV_FLAG_DEVICE_POINTERS) && d->backend == FCONV_BACKEND_CPU,
                   "desc->flags has FCONV_FLAG_DEVICE_POINTERS with desc->backend = CPU: device "
                   "pointers need the CUDA backend");

  /* channels and groups (fconv_desc_set_channels) */
  FCONV_INVALID_IF(d->in_channels == 0 || d->out_channels == 0,
                   "in_channels = %zu, out_channels = %zu: channels must be >= 1",
                   d->in_channels, d->out_channels);
  FCONV_INVALID_IF(d->groups == 0, "groups = 0: must be >= 1");
  FCONV_INVALID_IF(d->in_channels % d->groups || d->out_channels % d->groups,
                   "in_channels = %zu and out_channels = %zu must both be divisible by groups = %zu",
                   d->in_channels, d->out_channels, d->groups);
  const int multichannel = d->in_channels > 1 || d->out_channels > 1;
  FCONV_INVALID_IF(multichannel && d->kernel_batch != 1,
                   "desc->kernel_batch = %zu: must be 1 for a multi-channel problem (the kernel "
                   "array holds C_out x C_in/groups filters)", d->kernel_batch);

  memset(p, 0, sizeof *p);
  const int r = d->rank, off = FCONV_MAX_RANK - r;
  int k_le_n = 1, k_ge_n = 1, dilated = 0;
  size_t keff[FCONV_MAX_RANK];
  for (int a = 0; a < r; a++) {
    FCONV_INVALID_IF(d->signal_shape[a] == 0, "desc->signal_shape[%d] = 0: extents must be >= 1", a);
    FCONV_INVALID_IF(d->kernel_shape[a] == 0, "desc->kernel_shape[%d] = 0: extents must be >= 1", a);
    FCONV_INVALID_IF(d->stride[a] == 0, "desc->stride[%d] = 0: must be >= 1", a);
    FCONV_INVALID_IF(d->dilation[a] == 0, "dilation[%d] = 0: must be >= 1", a);
    /* the effective (zero-stuffed) extent is the K of every rule below */
    FCONV_INVALID_IF(fconv_mul_ovf(d->kernel_shape[a] - 1, d->dilation[a], &keff[a]) ||
                         fconv_add_ovf(keff[a], 1, &keff[a]) || keff[a] > (size_t)PTRDIFF_MAX / 4,
                     "axis %d: the dilated kernel extent (%zu - 1) * %zu + 1 overflows", a,
                     d->kernel_shape[a], d->dilation[a]);
    dilated |= d->dilation[a] > 1 && d->kernel_shape[a] > 1;
    k_le_n &= keff[a] <= d->signal_shape[a];
    k_ge_n &= keff[a] >= d->signal_shape[a];
  }
  size_t elems, bytes;
  /* element and byte counts of the user's arrays */
  size_t se = 1, ke = 1, kt = 1;
  for (int a = 0; a < r; a++) {
    FCONV_INVALID_IF(fconv_mul_ovf(se, d->signal_shape[a], &se),
                     "desc->signal_shape: the element count overflows size_t (at axis %d, %zu)", a,
                     d->signal_shape[a]);
    FCONV_INVALID_IF(fconv_mul_ovf(kt, d->kernel_shape[a], &kt) || fconv_mul_ovf(ke, keff[a], &ke),
                     "desc->kernel_shape: the element count overflows size_t (at axis %d, %zu)", a,
                     d->kernel_shape[a]);
  }
  const size_t es = fconv_dtype_size(d->dtype);
  const size_t cig = d->in_channels / d->groups, cog = d->out_channels / d->groups;
  size_t filters;
  FCONV_INVALID_IF(fconv_mul_ovf(d->out_channels, cig, &filters),
                   "out_channels x in_channels/groups = %zu x %zu overflows size_t",
                   d->out_channels, cig);
  FCONV_INVALID_IF(bytes_of(se, d->in_channels, 1, d->batch, es, &elems, &bytes),
                   "desc->signal_shape, desc->batch and in_channels: %zu x %zu signals of %zu "
                   "elements overflow the byte count", d->batch, d->in_channels, se);
  FCONV_INVALID_IF(bytes_of(ke, filters, 1, d->kernel_batch, es, &elems, &bytes),
                   "desc->kernel_shape and desc->kernel_batch: %zu kernels of %zu filters of %zu "
                   "elements overflow the byte count", d->kernel_batch, filters, ke);

  const int swap = d->mode == FCONV_MODE_VALID && !k_le_n;
  FCONV_INVALID_IF(d->mode == FCONV_MODE_VALID && !k_le_n && !k_ge_n,
                   "desc->mode = VALID with desc->signal_shape and desc->kernel_shape crossed "
                   "(neither contains the other on every axis)");
  FCONV_RETURN_IF(swap && (multichannel || dilated), FCONV_ERR_UNSUPPORTED,
                  "VALID with a kernel larger than the signal (rule 6 swap) is not supported "
                  "for multi-channel or dilated problems");

  p->rank = r;
  p->dtype = d->dtype;
  p->esize = es;
  p->is_complex = fconv_dtype_is_complex(d->dtype);
  p->op = swap ? FCONV_OP_CONVOLVE : d->op; /* swapped: the api passes g = flip(conj(h)) */
  p->boundary = d->boundary;
  p->batch = swap ? d->kernel_batch : d->batch;
  p->kernel_batch = swap ? d->batch : d->kernel_batch;
  p->count = d->batch > d->kernel_batch ? d->batch : d->kernel_batch;
  p->threads = d->threads;
  p->flags = d->flags;
  p->swapped = swap;
  p->signal_flip = swap && d->op == FCONV_OP_CORRELATE && (d->flags & FCONV_FLAG_DEVICE_POINTERS);

  for (int a = 0; a < FCONV_MAX_RANK; a++) {
    fconv_axis *x = &p->ax[a];
    if (a < off) {
      x->n = x->k = x->kt = x->dil = x->len = x->stride = x->out = 1;
      continue;
    }
    const int u = a - off;
    x->n = swap ? d->kernel_shape[u] : d->signal_shape[u];
    x->k = swap ? d->signal_shape[u] : keff[u];
    x->kt = swap ? x->k : d->kernel_shape[u];
    x->dil = swap ? 1 : d->dilation[u];
    x->stride = d->stride[u];
    switch (d->mode) {
    case FCONV_MODE_FULL: x->p0 = x->k - 1; x->p1 = x->k - 1; break;
    case FCONV_MODE_SAME: x->p0 = x->k / 2; x->p1 = (x->k - 1) / 2; break;
    case FCONV_MODE_VALID: x->p0 = 0; x->p1 = 0; break;
    case FCONV_MODE_PAD: x->p0 = d->pad_before[u]; x->p1 = d->pad_after[u]; break;
    }
    size_t w;
    FCONV_INVALID_IF(fconv_add_ovf(x->n, x->p0, &w) || fconv_add_ovf(w, x->p1, &w) ||
                         w > (size_t)PTRDIFF_MAX / 4,
                     "axis %d: the padded extent %zu + %zu + %zu overflows (desc->pad_before, "
                     "desc->pad_after)", u, x->n, x->p0, x->p1);
    FCONV_INVALID_IF(w < x->k,
                     "axis %d: desc->pad_before + desc->pad_after = %zu + %zu leave a window of "
                     "%zu, shorter than the kernel (%zu)", u, x->p0, x->p1, w, x->k);
    x->len = w - x->k + 1;
    /* A stride beyond the window keeps y[0] only, as a stride of len does: the paths see at most
     * len, so their index arithmetic (stride x phase, pos + m * stride) stays in range. */
    if (x->stride > x->len) x->stride = x->len;
    x->out = (x->len - 1) / x->stride + 1;
  }
  p->sig_elems = p->ax[0].n * p->ax[1].n * p->ax[2].n;
  p->ker_elems = p->ax[0].k * p->ax[1].k * p->ax[2].k;
  p->tap_elems = p->ax[0].kt * p->ax[1].kt * p->ax[2].kt;
  p->dilated = dilated;
  p->cin = d->in_channels;
  p->cout = d->out_channels;
  p->groups = d->groups;
  p->cig = cig;
  p->cog = cog;
  p->filters = filters;
  p->multichannel = multichannel;
  size_t cnt_ch;
  FCONV_INVALID_IF(fconv_mul_ovf(p->count, p->cout, &cnt_ch), "the output count overflows");
  FCONV_INVALID_IF(bytes_of(p->ax[0].out, p->ax[1].out, p->ax[2].out, cnt_ch, es, &p->out_elems,
                            &bytes),
                   "the output (%zu outputs of %zu x %zu x %zu) overflows size_t", p->count,
                   p->ax[0].out, p->ax[1].out, p->ax[2].out);
  return FCONV_OK;
}

size_t fconv_problem_kernel_bytes(const fconv_problem *p) {
  return (p->swapped ? p->batch : p->kernel_batch * p->filters) * p->esize *
         (p->swapped ? p->sig_elems : p->tap_elems);
}

size_t fconv_problem_path_kernel_bytes(const fconv_problem *p) {
  return p->kernel_batch * p->filters * p->ker_elems * p->esize;
}

size_t fconv_problem_signal_total(const fconv_problem *p) {
  return p->batch * p->cin * p->sig_elems;
}

size_t fconv_problem_output_total(const fconv_problem *p) {
  return p->count * p->cout * p->out_elems;
}

size_t fconv_problem_signal_bytes(const fconv_problem *p) {
  return (p->swapped ? p->kernel_batch : p->batch * p->cin) * p->esize *
         (p->swapped ? p->ker_elems : p->sig_elems);
}
