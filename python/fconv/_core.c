/*
 * _core.c — the CPython extension of the fconv package: libfconv's public C API (fconv.h) as
 * Python objects, and nothing else. It is a client of the library like any other program: it
 * includes only <fconv.h> and calls only the functions declared there.
 *
 *   Plan            one fconv plan: create once, set_kernel, call on many signals, .info.
 *                   Host arrays (NumPy) or, for plans created with FCONV_FLAG_DEVICE_POINTERS,
 *                   CUDA device arrays (__cuda_array_interface__ or DLPack).
 *   execute_once    the one-shot path used by fconv.signal and fconv.ndimage: a plan from a
 *                   small cache (keyed by the whole fconv_desc), set_kernel, execute.
 *   errors          every fconv_status other than FCONV_OK becomes an exception of the matching
 *                   class (fconv.InvalidArgumentError is a ValueError, ...) whose message is the
 *                   library's explanation (status_detail below is the one place that reads it).
 *
 * The GIL is released around every call into the library that computes or plans (plan create,
 * set_kernel, execute, destroy). One fconv plan must not be used by two threads at once; each
 * Plan object therefore has a lock taken (with the GIL released) around its library calls, and
 * a cached plan is removed from the cache while it is in use.
 *
 *   Stream          one fconv_stream (streaming convolution): process blocks, reset,
 *                   set_responses, work (a worker thread's share), .info. Same pattern as Plan:
 *                   a handle, a lock, calls with the GIL released.
 * Multi-channel plans are Plans with channels (fconv_desc_set_channels).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>
#include <structmember.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <fconv.h>

#if PY_VERSION_HEX < 0x030A0000 /* Py_NewRef is Python 3.10+ */
static inline PyObject *Py_NewRef(PyObject *o) {
  Py_INCREF(o);
  return o;
}
#endif

#include <stdint.h>
#include <string.h>
#include <time.h>

/* ---- errors --------------------------------------------------------------------------------- */

static PyObject *Error;          /* fconv.Error(RuntimeError): base of all below */
static PyObject *StatusErrors[8]; /* indexed by fconv_status; [0] unused */

/* The library's detail of the failed call (fconv_last_error: function, field, value, reason):
 * called on the thread that made the failed call, right after it returned. */
static const char *status_detail(fconv_status st) {
  (void)st;
  return fconv_last_error();
}

/* Raise the exception for st. `what` names the call ("fconv_plan_create", ...). Returns NULL. */
static PyObject *raise_status(fconv_status st, const char *what) {
  const char *detail = status_detail(st);
  PyObject *type = ((unsigned)st < 8 && st != FCONV_OK) ? StatusErrors[st] : Error;
  PyObject *msg = detail && *detail
                      ? PyUnicode_FromFormat("%s: %s (%s)", what, fconv_status_string(st), detail)
                      : PyUnicode_FromFormat("%s: %s", what, fconv_status_string(st));
  if (!msg) return NULL;
  PyObject *exc = PyObject_CallOneArg(type, msg);
  Py_DECREF(msg);
  if (!exc) return NULL;
  PyObject *code = PyLong_FromLong((long)st);
  if (!code || PyObject_SetAttrString(exc, "status", code) < 0) {
    Py_XDECREF(code);
    Py_DECREF(exc);
    return NULL;
  }
  Py_DECREF(code);
  PyErr_SetObject(type, exc);
  Py_DECREF(exc);
  return NULL;
}

/* ---- dtypes --------------------------------------------------------------------------------- */

static int npy_type_of(fconv_dtype t) {
  switch (t) {
  case FCONV_F32: return NPY_FLOAT32;
  case FCONV_F64: return NPY_FLOAT64;
  case FCONV_C64: return NPY_COMPLEX64;
  case FCONV_C128: return NPY_COMPLEX128;
  }
  return -1;
}

static size_t esize_of(fconv_dtype t) {
  PyArray_Descr *d = PyArray_DescrFromType(npy_type_of(t));
  size_t es = d ? (size_t)d->elsize : 0;
  Py_XDECREF(d);
  return es;
}

static int parse_dtype(PyObject *o, fconv_dtype *t) {
  long v = PyLong_AsLong(o);
  if (v == -1 && PyErr_Occurred()) return -1;
  if (v < FCONV_F32 || v > FCONV_C128) {
    PyErr_Format(PyExc_ValueError, "fconv dtype code %ld out of range", v);
    return -1;
  }
  *t = (fconv_dtype)v;
  return 0;
}

/* ---- small parsers ------------------------------------------------------------------------ */

/* A tuple/list of `rank` non-negative integers into out[0..rank-1] (rest set to `fill`). */
static int parse_sizes(PyObject *o, int rank, size_t out[FCONV_MAX_RANK], size_t fill,
                       const char *name) {
  PyObject *seq = PySequence_Fast(o, "");
  if (!seq) {
    PyErr_Format(PyExc_TypeError, "%s must be a sequence of integers", name);
    return -1;
  }
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  if (n != rank) {
    Py_DECREF(seq);
    PyErr_Format(PyExc_ValueError, "%s has %zd entries, expected %d", name, n, rank);
    return -1;
  }
  for (int i = 0; i < FCONV_MAX_RANK; i++) out[i] = fill;
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *it = PySequence_Fast_GET_ITEM(seq, i);
    long long v = PyLong_AsLongLong(it);
    if (v == -1 && PyErr_Occurred()) {
      Py_DECREF(seq);
      return -1;
    }
    if (v < 0) {
      Py_DECREF(seq);
      PyErr_Format(PyExc_ValueError, "%s[%zd] = %lld is negative", name, i, v);
      return -1;
    }
    out[i] = (size_t)v;
  }
  Py_DECREF(seq);
  return 0;
}

static int parse_size(PyObject *o, size_t *out, const char *name) {
  long long v = PyLong_AsLongLong(o);
  if (v == -1 && PyErr_Occurred()) return -1;
  if (v < 0) {
    PyErr_Format(PyExc_ValueError, "%s = %lld is negative", name, v);
    return -1;
  }
  *out = (size_t)v;
  return 0;
}

static int parse_int(PyObject *o, int *out) {
  long v = PyLong_AsLong(o);
  if (v == -1 && PyErr_Occurred()) return -1;
  if (v < INT32_MIN || v > INT32_MAX) {
    PyErr_SetString(PyExc_OverflowError, "integer argument out of range");
    return -1;
  }
  *out = (int)v;
  return 0;
}

/* Element counts with overflow detection (0 on overflow: the library rejects such shapes). */
static size_t prod3(const size_t s[FCONV_MAX_RANK], size_t times) {
  size_t r = times;
  for (int i = 0; i < FCONV_MAX_RANK; i++) {
    if (s[i] && r > SIZE_MAX / s[i]) return 0;
    r *= s[i];
  }
  return r;
}

/* ---- host arrays ---------------------------------------------------------------------------- */

static int is_device_object(PyObject *o) {
  return !PyArray_Check(o) && PyObject_HasAttrString(o, "__cuda_array_interface__");
}

/* A new reference to a C-contiguous, aligned array of `typenum` holding exactly `nelems`
 * elements: `o` itself when it already is one, else a converted copy (safe casts only). */
static PyArrayObject *host_input(PyObject *o, int typenum, size_t nelems, const char *name) {
  if (PyArray_Check(o)) {
    PyArrayObject *a = (PyArrayObject *)o;
    if (PyArray_TYPE(a) == typenum && PyArray_ISCARRAY_RO(a) && PyArray_ISNOTSWAPPED(a) &&
        (size_t)PyArray_SIZE(a) == nelems) {
      Py_INCREF(o);
      return a;
    }
  } else if (is_device_object(o)) {
    PyErr_Format(PyExc_TypeError,
                 "%s is a CUDA device array, but this Plan works on host arrays (create it with "
                 "device=True for device arrays)",
                 name);
    return NULL;
  }
  PyArray_Descr *d = PyArray_DescrFromType(typenum);
  if (!d) return NULL;
  PyArrayObject *a = (PyArrayObject *)PyArray_FromAny(o, d, 0, 0, NPY_ARRAY_IN_ARRAY, NULL);
  if (!a) return NULL;
  if ((size_t)PyArray_SIZE(a) != nelems) {
    PyErr_Format(PyExc_ValueError, "%s has %zd elements, the plan expects %zu", name,
                 (Py_ssize_t)PyArray_SIZE(a), nelems);
    Py_DECREF(a);
    return NULL;
  }
  return a;
}

/* Checks a caller-provided output array (never converted: results must land in it). */
static int host_output_ok(PyObject *o, int typenum, size_t nelems) {
  if (!PyArray_Check(o)) {
    PyErr_SetString(PyExc_TypeError, "out must be a numpy.ndarray");
    return 0;
  }
  PyArrayObject *a = (PyArrayObject *)o;
  if (PyArray_TYPE(a) != typenum || !PyArray_ISNOTSWAPPED(a)) {
    PyArray_Descr *want = PyArray_DescrFromType(typenum);
    PyErr_Format(PyExc_TypeError, "out has dtype %S, the plan computes %S",
                 (PyObject *)PyArray_DESCR(a), (PyObject *)want);
    Py_XDECREF(want);
    return 0;
  }
  if (!PyArray_ISCARRAY(a)) {
    PyErr_SetString(PyExc_ValueError, "out must be C-contiguous, aligned and writeable");
    return 0;
  }
  if ((size_t)PyArray_SIZE(a) != nelems) {
    PyErr_Format(PyExc_ValueError, "out has %zd elements, the plan writes %zu",
                 (Py_ssize_t)PyArray_SIZE(a), nelems);
    return 0;
  }
  return 1;
}

static int ranges_overlap(const void *a, size_t an, const void *b, size_t bn) {
  const char *pa = (const char *)a, *pb = (const char *)b;
  return an && bn && pa < pb + bn && pb < pa + an;
}

/* ---- device arrays: __cuda_array_interface__ (v2/v3) and DLPack ------------------------------ */

/* DLPack ABI (dlpack.h v0.8, the structures exchanged through "dltensor" capsules). */
typedef struct { int32_t device_type, device_id; } DLDevice;
typedef struct { uint8_t code, bits; uint16_t lanes; } DLDataType;
typedef struct {
  void *data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t *shape;
  int64_t *strides;
  uint64_t byte_offset;
} DLTensor;
typedef struct DLManagedTensor {
  DLTensor dl_tensor;
  void *manager_ctx;
  void (*deleter)(struct DLManagedTensor *self);
} DLManagedTensor;
enum { kDLCPU = 1, kDLCUDA = 2, kDLCUDAHost = 3, kDLCUDAManaged = 13 };
enum { kDLFloat = 2, kDLComplex = 5 };

typedef struct {
  uintptr_t ptr;
  int dtype;          /* fconv_dtype, or -1 when not one of the four */
  size_t nelems;
  int device_type;    /* DLPack device type; kDLCUDA for __cuda_array_interface__ */
  int readonly;
  int contiguous;     /* C-contiguous (or no strides given) */
  PyObject *keep;     /* keeps the memory alive while it is used (capsule or object) */
} device_array;

static int dtype_of_typestr(const char *s) {
  if (!strcmp(s, "<f4")) return FCONV_F32;
  if (!strcmp(s, "<f8")) return FCONV_F64;
  if (!strcmp(s, "<c8")) return FCONV_C64;
  if (!strcmp(s, "<c16")) return FCONV_C128;
  return -1;
}

/* C-contiguity of (shape, strides in bytes) for elements of `es` bytes. */
static int strides_contiguous(int ndim, const int64_t *shape, const int64_t *strides_bytes,
                              size_t es) {
  int64_t want = (int64_t)es;
  for (int i = ndim - 1; i >= 0; i--) {
    if (shape[i] != 1 && strides_bytes[i] != want) return 0;
    want *= shape[i];
  }
  return 1;
}

static int parse_cai(PyObject *o, device_array *r) {
  PyObject *cai = PyObject_GetAttrString(o, "__cuda_array_interface__");
  if (!cai) return -1;
  int ok = -1;
  if (!PyDict_Check(cai)) {
    PyErr_SetString(PyExc_TypeError, "__cuda_array_interface__ is not a dict");
    goto done;
  }
  PyObject *data = PyDict_GetItemString(cai, "data");
  PyObject *typestr = PyDict_GetItemString(cai, "typestr");
  PyObject *shape = PyDict_GetItemString(cai, "shape");
  PyObject *strides = PyDict_GetItemString(cai, "strides");
  if (!data || !PyTuple_Check(data) || PyTuple_GET_SIZE(data) != 2 || !typestr ||
      !PyUnicode_Check(typestr) || !shape || !PyTuple_Check(shape)) {
    PyErr_SetString(PyExc_TypeError,
                    "__cuda_array_interface__ needs 'data' (ptr, readonly), 'typestr' and "
                    "'shape'");
    goto done;
  }
  r->ptr = (uintptr_t)PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(data, 0));
  if (PyErr_Occurred()) goto done;
  r->readonly = PyObject_IsTrue(PyTuple_GET_ITEM(data, 1));
  if (r->readonly < 0) goto done;
  const char *ts = PyUnicode_AsUTF8(typestr);
  if (!ts) goto done;
  r->dtype = dtype_of_typestr(ts);
  int ndim = (int)PyTuple_GET_SIZE(shape);
  if (ndim > 32) {
    PyErr_SetString(PyExc_ValueError, "__cuda_array_interface__: too many dimensions");
    goto done;
  }
  int64_t sh[32], st[32];
  size_t n = 1;
  for (int i = 0; i < ndim; i++) {
    sh[i] = PyLong_AsLongLong(PyTuple_GET_ITEM(shape, i));
    if (sh[i] < 0) {
      if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "negative extent");
      goto done;
    }
    n *= (size_t)sh[i];
  }
  r->nelems = n;
  r->contiguous = 1;
  if (strides && strides != Py_None) {
    if (!PyTuple_Check(strides) || PyTuple_GET_SIZE(strides) != ndim) {
      PyErr_SetString(PyExc_TypeError, "__cuda_array_interface__: bad 'strides'");
      goto done;
    }
    for (int i = 0; i < ndim; i++) {
      st[i] = PyLong_AsLongLong(PyTuple_GET_ITEM(strides, i));
      if (st[i] == -1 && PyErr_Occurred()) goto done;
    }
    size_t es = r->dtype >= 0 ? esize_of((fconv_dtype)r->dtype) : 0;
    r->contiguous = es ? strides_contiguous(ndim, sh, st, es) : 0;
  }
  r->device_type = kDLCUDA;
  r->keep = o;
  Py_INCREF(o);
  ok = 0;
done:
  Py_DECREF(cai);
  return ok;
}

static int parse_dlpack(PyObject *o, device_array *r) {
  PyObject *cap = PyObject_CallMethod(o, "__dlpack__", NULL);
  if (!cap) return -1;
  DLManagedTensor *m = (DLManagedTensor *)PyCapsule_GetPointer(cap, "dltensor");
  if (!m) {
    Py_DECREF(cap);
    return -1;
  }
  const DLTensor *t = &m->dl_tensor;
  r->ptr = (uintptr_t)t->data + (uintptr_t)t->byte_offset;
  r->device_type = t->device.device_type;
  r->readonly = 0;
  r->dtype = -1;
  if (t->dtype.lanes == 1) {
    if (t->dtype.code == kDLFloat && t->dtype.bits == 32) r->dtype = FCONV_F32;
    if (t->dtype.code == kDLFloat && t->dtype.bits == 64) r->dtype = FCONV_F64;
    if (t->dtype.code == kDLComplex && t->dtype.bits == 64) r->dtype = FCONV_C64;
    if (t->dtype.code == kDLComplex && t->dtype.bits == 128) r->dtype = FCONV_C128;
  }
  size_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= (size_t)t->shape[i];
  r->nelems = n;
  r->contiguous = 1;
  if (t->strides) { /* DLPack strides count elements */
    int64_t want = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
      if (t->shape[i] != 1 && t->strides[i] != want) r->contiguous = 0;
      want *= t->shape[i];
    }
  }
  /* Not consumed: the capsule keeps its name, and its destructor (the producer's) calls the
   * deleter when we drop it after the call. */
  r->keep = cap;
  return 0;
}

static int parse_device_array(PyObject *o, device_array *r) {
  memset(r, 0, sizeof *r);
  if (PyObject_HasAttrString(o, "__cuda_array_interface__")) return parse_cai(o, r);
  if (PyObject_HasAttrString(o, "__dlpack__")) return parse_dlpack(o, r);
  PyErr_SetString(PyExc_TypeError,
                  "a device Plan needs CUDA arrays (__cuda_array_interface__ or __dlpack__)");
  return -1;
}

/* A device pointer for `o`, checked against the plan's dtype and element count. */
static int device_input(PyObject *o, fconv_dtype dt, size_t nelems, int writable,
                        const char *name, device_array *r) {
  if (parse_device_array(o, r) < 0) return -1;
  const char *why = NULL;
  if (r->device_type != kDLCUDA && r->device_type != kDLCUDAManaged)
    why = "is not in CUDA device memory";
  else if (r->dtype != (int)dt)
    why = "has a dtype other than the plan's";
  else if (!r->contiguous)
    why = "is not C-contiguous";
  else if (r->nelems != nelems)
    why = "has a different element count than the plan expects";
  else if (writable && r->readonly)
    why = "is read-only";
  if (why) {
    Py_CLEAR(r->keep);
    PyErr_Format(PyExc_ValueError, "%s %s", name, why);
    return -1;
  }
  return 0;
}

/* ---- channels and dilation ------------------------------------------------------------------ */

/* The multi-channel and dilation fields of d from Python objects (None: not given): channels
 * (in_channels, out_channels, groups) through fconv_desc_set_channels, dilation (one size per
 * axis) through fconv_desc_set_dilation. 1 when channels were given, 0 when not, -1 on error. */
static int parse_extension(PyObject *cin, PyObject *cout, PyObject *groups, PyObject *dil,
                           fconv_desc *d) {
  int chan = 0;
  if (cin != Py_None || cout != Py_None || groups != Py_None) {
    size_t ci = 1, co = 1, g = 1;
    if ((cin != Py_None && parse_size(cin, &ci, "in_channels") < 0) ||
        (cout != Py_None && parse_size(cout, &co, "out_channels") < 0) ||
        (groups != Py_None && parse_size(groups, &g, "groups") < 0))
      return -1;
    fconv_desc_set_channels(d, ci, co, g);
    chan = 1;
  }
  if (dil != Py_None) {
    size_t v[FCONV_MAX_RANK];
    if (parse_sizes(dil, d->rank, v, 1, "dilation") < 0) return -1;
    fconv_desc_set_dilation(d, v);
  }
  return chan;
}

/* Elements of one plan's whole signal, kernel (per call) and output arrays: batches and
 * channels included (fconv.h's layouts). Channel counts that fconv_plan_create rejects (0, not
 * divisible by groups) never reach here. */
static size_t signal_elems(const fconv_desc *d) {
  const size_t c = (d->flags & FCONV_FLAG_EXTENDED) ? d->in_channels : 1;
  return prod3(d->signal_shape, d->batch) * c;
}
static size_t kernel_elems(const fconv_desc *d) {
  const size_t c = (d->flags & FCONV_FLAG_EXTENDED)
                       ? d->out_channels * (d->in_channels / (d->groups ? d->groups : 1))
                       : 1;
  return prod3(d->kernel_shape, d->kernel_batch) * c;
}
static size_t output_channels(const fconv_desc *d) {
  return (d->flags & FCONV_FLAG_EXTENDED) ? d->out_channels : 1;
}

/* ---- the Plan type -------------------------------------------------------------------------- */

typedef struct {
  PyObject_HEAD
  fconv_plan *plan;
  fconv_desc desc;
  PyThread_type_lock lock; /* one library call on this plan at a time */
  int typenum;
  size_t sig_elems, ker_elems, out_elems; /* whole arrays: batches included */
  size_t count;                            /* outputs: max(batch, kernel_batch) */
  size_t out_shape[FCONV_MAX_RANK];
  int channels;                            /* a multi-channel plan: output (count, C_out, ...) */
  int kernel_set;
  int device;
  PyObject *weakreflist;
} PlanObject;

static PyTypeObject PlanType;

static int plan_alive(PlanObject *self) {
  if (!self->plan) {
    PyErr_SetString(PyExc_ValueError, "the Plan is closed");
    return 0;
  }
  return 1;
}

/* Plan(signal_shape, kernel_shape, dtype, batch, kernel_batch, mode, op, boundary, stride,
 *      pad_before, pad_after, method, backend, threads, flags): every enum as its fconv value.
 * fconv.Plan (fconv/_plan.py) is the friendly constructor on top. */
static int Plan_init(PlanObject *self, PyObject *args, PyObject *kwds) {
  static char *kw[] = {"signal_shape", "kernel_shape", "dtype", "batch", "kernel_batch",
                       "mode", "op", "boundary", "stride", "pad_before", "pad_after",
                       "method", "backend", "threads", "flags", "in_channels",
                       "out_channels", "groups", "dilation", NULL};
  PyObject *sshape, *kshape, *dtype, *batch, *kbatch, *mode, *op, *boundary, *stride, *pb, *pa,
      *method, *backend, *threads, *flags, *cin = Py_None, *cout = Py_None, *groups = Py_None,
      *dil = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOOOOOOOOOOOO|$OOOO:Plan", kw, &sshape,
                                   &kshape, &dtype, &batch, &kbatch, &mode, &op, &boundary,
                                   &stride, &pb, &pa, &method, &backend, &threads, &flags, &cin,
                                   &cout, &groups, &dil))
    return -1;
  if (self->plan) {
    PyErr_SetString(PyExc_RuntimeError, "Plan already initialised");
    return -1;
  }
  Py_ssize_t rank = PySequence_Size(sshape);
  if (rank < 0) return -1;
  if (rank < 1 || rank > FCONV_MAX_RANK) {
    PyErr_Format(PyExc_ValueError, "fconv plans have rank 1 to %d, got %zd", FCONV_MAX_RANK,
                 rank);
    return -1;
  }
  fconv_desc d;
  fconv_dtype dt;
  if (parse_dtype(dtype, &dt) < 0) return -1;
  memset(&d, 0, sizeof d);
  fconv_desc_init(&d, (int)rank, NULL, NULL, dt);
  int v;
  if (parse_sizes(sshape, (int)rank, d.signal_shape, 1, "signal_shape") < 0 ||
      parse_sizes(kshape, (int)rank, d.kernel_shape, 1, "kernel_shape") < 0 ||
      parse_sizes(stride, (int)rank, d.stride, 1, "stride") < 0 ||
      parse_sizes(pb, (int)rank, d.pad_before, 0, "pad_before") < 0 ||
      parse_sizes(pa, (int)rank, d.pad_after, 0, "pad_after") < 0 ||
      parse_size(batch, &d.batch, "batch") < 0 ||
      parse_size(kbatch, &d.kernel_batch, "kernel_batch") < 0)
    return -1;
  if (parse_int(mode, &v) < 0) return -1;
  d.mode = (fconv_mode)v;
  if (parse_int(op, &v) < 0) return -1;
  d.op = (fconv_op)v;
  if (parse_int(boundary, &v) < 0) return -1;
  d.boundary = (fconv_boundary)v;
  if (parse_int(method, &v) < 0) return -1;
  d.method = (fconv_method)v;
  if (parse_int(backend, &v) < 0) return -1;
  d.backend = (fconv_backend)v;
  if (parse_int(threads, &d.threads) < 0) return -1;
  unsigned long fl = PyLong_AsUnsignedLong(flags);
  if (fl == (unsigned long)-1 && PyErr_Occurred()) return -1;
  d.flags = (unsigned)fl;
  const int chan = parse_extension(cin, cout, groups, dil, &d);
  if (chan < 0) return -1;

  fconv_plan *p = NULL;
  fconv_status st;
  Py_BEGIN_ALLOW_THREADS
  st = fconv_plan_create(&p, &d);
  Py_END_ALLOW_THREADS
  if (st != FCONV_OK) {
    raise_status(st, "fconv_plan_create");
    return -1;
  }
  fconv_plan_info info;
  st = fconv_plan_get_info(p, &info);
  if (st != FCONV_OK) {
    fconv_plan_destroy(p);
    raise_status(st, "fconv_plan_get_info");
    return -1;
  }
  self->lock = PyThread_allocate_lock();
  if (!self->lock) {
    fconv_plan_destroy(p);
    PyErr_NoMemory();
    return -1;
  }
  self->plan = p;
  self->desc = d;
  self->typenum = npy_type_of(dt);
  self->count = info.output_count;
  for (int i = 0; i < FCONV_MAX_RANK; i++) self->out_shape[i] = info.output_shape[i];
  self->channels = chan;
  self->sig_elems = signal_elems(&d);
  self->ker_elems = kernel_elems(&d);
  self->out_elems = prod3(self->out_shape, self->count) * output_channels(&d);
  self->device = (d.flags & FCONV_FLAG_DEVICE_POINTERS) != 0;
  return 0;
}

/* close(): waits (without the GIL) for a call in progress on another thread, then destroys. */
static void plan_close(PlanObject *self) {
  if (self->plan) {
    fconv_plan *p = self->plan;
    self->plan = NULL;
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(self->lock, WAIT_LOCK);
    fconv_plan_destroy(p);
    PyThread_release_lock(self->lock);
    Py_END_ALLOW_THREADS
  }
}

static void Plan_dealloc(PlanObject *self) {
  if (self->weakreflist) PyObject_ClearWeakRefs((PyObject *)self);
  /* no call can be in progress (they hold a reference): destroy with the GIL held, which is
   * also safe while the interpreter shuts down */
  fconv_plan_destroy(self->plan);
  self->plan = NULL;
  if (self->lock) PyThread_free_lock(self->lock);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Plan_close(PlanObject *self, PyObject *unused) {
  plan_close(self);
  Py_RETURN_NONE;
}

/* Output array for a host plan: (count,) + shape when the plan has batches, else shape; a
 * multi-channel plan's always (count, C_out) + shape. */
static PyArrayObject *new_output(PlanObject *self) {
  npy_intp dims[FCONV_MAX_RANK + 2];
  int nd = 0;
  if (self->channels || self->desc.batch > 1 || self->desc.kernel_batch > 1)
    dims[nd++] = (npy_intp)self->count;
  if (self->channels) dims[nd++] = (npy_intp)self->desc.out_channels;
  for (int i = 0; i < self->desc.rank; i++) dims[nd++] = (npy_intp)self->out_shape[i];
  return (PyArrayObject *)PyArray_EMPTY(nd, dims, self->typenum, 0);
}

static PyObject *Plan_set_kernel(PlanObject *self, PyObject *kernel) {
  if (!plan_alive(self)) return NULL;
  fconv_status st;
  if (self->device) {
    device_array dk;
    if (device_input(kernel, self->desc.dtype, self->ker_elems, 0, "kernel", &dk) < 0)
      return NULL;
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(self->lock, WAIT_LOCK);
    st = fconv_plan_set_kernel(self->plan, (const void *)dk.ptr);
    PyThread_release_lock(self->lock);
    Py_END_ALLOW_THREADS
    Py_DECREF(dk.keep);
  } else {
    PyArrayObject *k = host_input(kernel, self->typenum, self->ker_elems, "kernel");
    if (!k) return NULL;
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(self->lock, WAIT_LOCK);
    st = fconv_plan_set_kernel(self->plan, PyArray_DATA(k));
    PyThread_release_lock(self->lock);
    Py_END_ALLOW_THREADS
    Py_DECREF(k);
  }
  if (st != FCONV_OK) return raise_status(st, "fconv_plan_set_kernel");
  self->kernel_set = 1;
  Py_RETURN_NONE;
}

static PyObject *plan_call_device(PlanObject *self, PyObject *signal, PyObject *kernel,
                                  PyObject *out) {
  if (!out || out == Py_None) {
    PyErr_SetString(PyExc_TypeError, "a device Plan needs out= (a CUDA array it writes to)");
    return NULL;
  }
  device_array ds = {0}, dk = {0}, dy = {0};
  PyObject *ret = NULL;
  if (device_input(signal, self->desc.dtype, self->sig_elems, 0, "signal", &ds) < 0) goto done;
  if (kernel && kernel != Py_None &&
      device_input(kernel, self->desc.dtype, self->ker_elems, 0, "kernel", &dk) < 0)
    goto done;
  if (device_input(out, self->desc.dtype, self->out_elems, 1, "out", &dy) < 0) goto done;
  fconv_status st;
  Py_BEGIN_ALLOW_THREADS
  PyThread_acquire_lock(self->lock, WAIT_LOCK);
  st = fconv_execute(self->plan, (const void *)ds.ptr, dk.keep ? (const void *)dk.ptr : NULL,
                     (void *)dy.ptr);
  PyThread_release_lock(self->lock);
  Py_END_ALLOW_THREADS
  if (st != FCONV_OK) {
    raise_status(st, "fconv_execute");
    goto done;
  }
  Py_INCREF(out);
  ret = out;
done:
  Py_XDECREF(ds.keep);
  Py_XDECREF(dk.keep);
  Py_XDECREF(dy.keep);
  return ret;
}

/* plan(signal, kernel=None, out=None) -> out */
static PyObject *Plan_call(PlanObject *self, PyObject *args, PyObject *kwds) {
  static char *kw[] = {"signal", "kernel", "out", NULL};
  PyObject *signal, *kernel = Py_None, *out = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OO:Plan.__call__", kw, &signal, &kernel,
                                   &out))
    return NULL;
  if (!plan_alive(self)) return NULL;
  if (kernel == Py_None && !self->kernel_set) {
    PyErr_SetString(PyExc_ValueError,
                    "no kernel: pass one, or set it first with Plan.set_kernel");
    return NULL;
  }
  if (self->device) return plan_call_device(self, signal, kernel, out);

  PyArrayObject *x = host_input(signal, self->typenum, self->sig_elems, "signal");
  if (!x) return NULL;
  PyArrayObject *h = NULL, *y = NULL;
  if (kernel != Py_None) {
    h = host_input(kernel, self->typenum, self->ker_elems, "kernel");
    if (!h) goto fail;
  }
  if (out == Py_None) {
    y = new_output(self);
    if (!y) goto fail;
  } else {
    if (!host_output_ok(out, self->typenum, self->out_elems)) goto fail;
    y = (PyArrayObject *)out;
    Py_INCREF(out);
    size_t ob = (size_t)PyArray_NBYTES(y);
    if (ranges_overlap(PyArray_DATA(y), ob, PyArray_DATA(x), (size_t)PyArray_NBYTES(x)) ||
        (h && ranges_overlap(PyArray_DATA(y), ob, PyArray_DATA(h), (size_t)PyArray_NBYTES(h)))) {
      PyErr_SetString(PyExc_ValueError, "out overlaps the signal or the kernel");
      goto fail;
    }
  }
  fconv_status st;
  const void *xp = PyArray_DATA(x), *hp = h ? PyArray_DATA(h) : NULL;
  void *yp = PyArray_DATA(y);
  Py_BEGIN_ALLOW_THREADS
  PyThread_acquire_lock(self->lock, WAIT_LOCK);
  st = fconv_execute(self->plan, xp, hp, yp);
  PyThread_release_lock(self->lock);
  Py_END_ALLOW_THREADS
  Py_DECREF(x);
  Py_XDECREF(h);
  if (st != FCONV_OK) {
    Py_DECREF(y);
    return raise_status(st, "fconv_execute");
  }
  return (PyObject *)y;
fail:
  Py_XDECREF(x);
  Py_XDECREF(h);
  Py_XDECREF(y);
  return NULL;
}

static PyObject *sizes_tuple(const size_t *s, int n) {
  PyObject *t = PyTuple_New(n);
  if (!t) return NULL;
  for (int i = 0; i < n; i++) {
    PyObject *v = PyLong_FromSize_t(s[i]);
    if (!v) {
      Py_DECREF(t);
      return NULL;
    }
    PyTuple_SET_ITEM(t, i, v);
  }
  return t;
}

static PyObject *info_dict(const fconv_plan_info *in) {
  int r = in->rank;
  PyObject *cand = PyDict_New();
  if (!cand) return NULL;
  for (int m = FCONV_METHOD_DIRECT; m <= FCONV_METHOD_OVERLAP_SAVE; m++) {
    double s = in->candidate_seconds[m];
    PyObject *v = s < 0 ? Py_NewRef(Py_None) : PyFloat_FromDouble(s);
    if (!v || PyDict_SetItemString(cand, fconv_method_name((fconv_method)m), v) < 0) {
      Py_XDECREF(v);
      Py_DECREF(cand);
      return NULL;
    }
    Py_DECREF(v);
  }
  PyObject *d = Py_BuildValue(
      "{s:s,s:s,s:i,s:N,s:n,s:N,s:N,s:O,s:O,s:O,s:i,s:d,s:N,s:n,s:s,s:s}", "backend",
      fconv_backend_name(in->backend), "method", fconv_method_name(in->method), "rank", r,
      "output_shape", sizes_tuple(in->output_shape, r), "output_count",
      (Py_ssize_t)in->output_count, "transform_shape", sizes_tuple(in->transform_shape, r),
      "block_shape", sizes_tuple(in->block_shape, r), "separable",
      in->separable ? Py_True : Py_False, "swapped", in->swapped ? Py_True : Py_False,
      "measured", in->measured ? Py_True : Py_False, "threads", in->threads,
      "estimated_seconds", in->estimated_seconds, "candidate_seconds", cand, "workspace_bytes",
      (Py_ssize_t)in->workspace_bytes, "isa", in->isa, "reason", in->reason);
  return d;
}

static PyObject *Plan_get_info(PlanObject *self, void *closure) {
  if (!plan_alive(self)) return NULL;
  fconv_plan_info info;
  fconv_status st;
  Py_BEGIN_ALLOW_THREADS
  PyThread_acquire_lock(self->lock, WAIT_LOCK);
  st = fconv_plan_get_info(self->plan, &info);
  PyThread_release_lock(self->lock);
  Py_END_ALLOW_THREADS
  if (st != FCONV_OK) return raise_status(st, "fconv_plan_get_info");
  return info_dict(&info);
}

static PyObject *Plan_get_output_shape(PlanObject *self, void *closure) {
  PyObject *s = sizes_tuple(self->out_shape, self->desc.rank);
  if (!s || !(self->channels || self->desc.batch > 1 || self->desc.kernel_batch > 1)) return s;
  PyObject *c = self->channels ? Py_BuildValue("(nn)", (Py_ssize_t)self->count,
                                               (Py_ssize_t)self->desc.out_channels)
                               : Py_BuildValue("(n)", (Py_ssize_t)self->count);
  if (!c) {
    Py_DECREF(s);
    return NULL;
  }
  PyObject *r = PySequence_Concat(c, s);
  Py_DECREF(c);
  Py_DECREF(s);
  return r;
}

static PyObject *Plan_get_desc(PlanObject *self, void *closure) {
  const fconv_desc *d = &self->desc;
  int r = d->rank;
  const int ext = (d->flags & FCONV_FLAG_EXTENDED) != 0;
  size_t dil[FCONV_MAX_RANK];
  for (int i = 0; i < FCONV_MAX_RANK; i++) dil[i] = ext ? d->dilation[i] : 1;
  return Py_BuildValue("{s:N,s:N,s:n,s:n,s:i,s:i,s:i,s:i,s:N,s:N,s:N,s:i,s:i,s:i,s:I,s:n,s:n,"
                       "s:n,s:N,s:O}",
                       "signal_shape", sizes_tuple(d->signal_shape, r), "kernel_shape",
                       sizes_tuple(d->kernel_shape, r), "batch", (Py_ssize_t)d->batch,
                       "kernel_batch", (Py_ssize_t)d->kernel_batch, "dtype", (int)d->dtype,
                       "mode", (int)d->mode, "op", (int)d->op, "boundary", (int)d->boundary,
                       "stride", sizes_tuple(d->stride, r), "pad_before",
                       sizes_tuple(d->pad_before, r), "pad_after", sizes_tuple(d->pad_after, r),
                       "method", (int)d->method, "backend", (int)d->backend, "threads",
                       d->threads, "flags", d->flags, "in_channels",
                       (Py_ssize_t)(ext ? d->in_channels : 1), "out_channels",
                       (Py_ssize_t)(ext ? d->out_channels : 1), "groups",
                       (Py_ssize_t)(ext ? d->groups : 1), "dilation", sizes_tuple(dil, r),
                       "channels", self->channels ? Py_True : Py_False);
}

static PyObject *Plan_get_kernel_set(PlanObject *self, void *closure) {
  return PyBool_FromLong(self->kernel_set);
}

static PyObject *Plan_get_closed(PlanObject *self, void *closure) {
  return PyBool_FromLong(self->plan == NULL);
}

static PyObject *Plan_set_cuda_stream(PlanObject *self, PyObject *arg) {
  if (!plan_alive(self)) return NULL;
  void *stream = NULL;
  if (arg != Py_None) {
    stream = PyLong_AsVoidPtr(arg);
    if (!stream && PyErr_Occurred()) return NULL;
  }
  fconv_status st;
  Py_BEGIN_ALLOW_THREADS
  PyThread_acquire_lock(self->lock, WAIT_LOCK);
  st = fconv_plan_set_cuda_stream(self->plan, stream);
  PyThread_release_lock(self->lock);
  Py_END_ALLOW_THREADS
  if (st != FCONV_OK) return raise_status(st, "fconv_plan_set_cuda_stream");
  Py_RETURN_NONE;
}

static PyObject *Plan_enter(PyObject *self, PyObject *unused) { return Py_NewRef(self); }

static PyObject *Plan_exit(PlanObject *self, PyObject *args) {
  plan_close(self);
  Py_RETURN_FALSE;
}

static PyMethodDef Plan_methods[] = {
    {"set_kernel", (PyCFunction)Plan_set_kernel, METH_O,
     "set_kernel(kernel): copy the kernel(s) into the plan and precompute what the chosen "
     "method needs (fconv_plan_set_kernel); later calls may then omit the kernel."},
    {"set_cuda_stream", (PyCFunction)Plan_set_cuda_stream, METH_O,
     "set_cuda_stream(handle): run a CUDA plan's work on this cudaStream_t (an int; None: the "
     "plan's own stream). UnsupportedError for CPU plans."},
    {"close", (PyCFunction)Plan_close, METH_NOARGS,
     "close(): destroy the fconv plan now (also done when the object is freed)."},
    {"__enter__", (PyCFunction)Plan_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)Plan_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef Plan_getset[] = {
    {"info", (getter)Plan_get_info, NULL,
     "What the plan chose and why (fconv_plan_get_info) as a dict.", NULL},
    {"output_shape", (getter)Plan_get_output_shape, NULL,
     "Shape of the array a call returns: (count,) + per-output shape when the plan has "
     "batches, else the per-output shape.",
     NULL},
    {"_desc", (getter)Plan_get_desc, NULL, "the fconv_desc the plan was created from", NULL},
    {"kernel_set", (getter)Plan_get_kernel_set, NULL, "True after set_kernel", NULL},
    {"closed", (getter)Plan_get_closed, NULL, "True after close()", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject PlanType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "fconv._core.Plan",
    .tp_basicsize = sizeof(PlanObject),
    .tp_dealloc = (destructor)Plan_dealloc,
    .tp_call = (ternaryfunc)Plan_call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Plan(signal_shape, kernel_shape, dtype, batch, kernel_batch, mode, op, boundary, "
              "stride, pad_before, pad_after, method, backend, threads, flags): one fconv plan "
              "(enum arguments as fconv values; use fconv.Plan for names).",
    .tp_weaklistoffset = offsetof(PlanObject, weakreflist),
    .tp_methods = Plan_methods,
    .tp_getset = Plan_getset,
    .tp_init = (initproc)Plan_init,
    .tp_new = PyType_GenericNew,
};

/* ---- the Stream type ------------------------------------------------------------------------ */

/* One fconv_stream. `lock` serialises process / reset / set_responses / info (the stream is not
 * thread-safe); `wlock` serialises work() and destruction, so that work() may run on another
 * thread concurrently with process() (fconv_stream_work's contract) but never with destroy. */
typedef struct {
  PyObject_HEAD
  fconv_stream *stream;
  PyThread_type_lock lock, wlock;
  fconv_dtype dtype;
  int typenum;
  size_t block, inputs, outputs;
  void *scratch; /* one block of inputs and one of outputs, for process() over many blocks */
  PyObject *weakreflist;
} StreamObject;

static PyTypeObject StreamType;

static int stream_alive(StreamObject *self) {
  if (!self->stream) {
    PyErr_SetString(PyExc_ValueError, "the Stream is closed");
    return 0;
  }
  return 1;
}

/* The responses (a sequence of outputs * inputs objects, row-major) as contiguous arrays of the
 * stream's dtype: *arrays (a new list keeping them alive), ptrs and lens (PyMem arrays). */
static int stream_responses(StreamObject *self, PyObject *seq, size_t n, PyObject **arrays,
                            const void ***ptrs, size_t **lens) {
  *arrays = NULL;
  *ptrs = NULL;
  *lens = NULL;
  PyObject *fast = PySequence_Fast(seq, "responses must be a sequence of arrays");
  if (!fast) return -1;
  if ((size_t)PySequence_Fast_GET_SIZE(fast) != n) {
    PyErr_Format(PyExc_ValueError, "%zu responses expected (outputs x inputs), got %zd", n,
                 PySequence_Fast_GET_SIZE(fast));
    Py_DECREF(fast);
    return -1;
  }
  *arrays = PyList_New((Py_ssize_t)n);
  *ptrs = (const void **)PyMem_Malloc((n ? n : 1) * sizeof **ptrs);
  *lens = (size_t *)PyMem_Malloc((n ? n : 1) * sizeof **lens);
  if (!*arrays || !*ptrs || !*lens) {
    Py_DECREF(fast);
    PyErr_NoMemory();
    return -1;
  }
  PyArray_Descr *d = PyArray_DescrFromType(self->typenum);
  if (!d) {
    Py_DECREF(fast);
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    Py_INCREF(d); /* PyArray_FromAny steals one reference */
    PyArrayObject *a = (PyArrayObject *)PyArray_FromAny(PySequence_Fast_GET_ITEM(fast, i), d, 1,
                                                        1, NPY_ARRAY_IN_ARRAY, NULL);
    if (!a) {
      Py_DECREF(d);
      Py_DECREF(fast);
      return -1;
    }
    PyList_SET_ITEM(*arrays, (Py_ssize_t)i, (PyObject *)a);
    (*ptrs)[i] = PyArray_DATA(a);
    (*lens)[i] = (size_t)PyArray_SIZE(a);
  }
  Py_DECREF(d);
  Py_DECREF(fast);
  return 0;
}

static void stream_responses_free(PyObject *arrays, const void **ptrs, size_t *lens) {
  Py_XDECREF(arrays);
  PyMem_Free((void *)ptrs);
  PyMem_Free(lens);
}

/* Stream(block, inputs, outputs, dtype, responses, max_response_length, partitioning,
 *        max_partition, backend, flags): every enum as its fconv value; responses a sequence of
 * outputs * inputs 1-D arrays (row-major: [o * inputs + i]). fconv.Stream is the friendly
 * constructor on top. */
static int Stream_init(StreamObject *self, PyObject *args, PyObject *kwds) {
  static char *kw[] = {"block", "inputs", "outputs", "dtype", "responses",
                       "max_response_length", "partitioning", "max_partition", "backend",
                       "flags", NULL};
  PyObject *block, *inputs, *outputs, *dtype, *resp, *maxlen, *part, *maxpart, *backend, *flags;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOOOOOOO:Stream", kw, &block, &inputs,
                                   &outputs, &dtype, &resp, &maxlen, &part, &maxpart, &backend,
                                   &flags))
    return -1;
  if (self->stream) {
    PyErr_SetString(PyExc_RuntimeError, "Stream already initialised");
    return -1;
  }
  fconv_stream_desc d;
  fconv_dtype dt;
  size_t b, ni, no;
  int v;
  if (parse_dtype(dtype, &dt) < 0 || parse_size(block, &b, "block") < 0 ||
      parse_size(inputs, &ni, "inputs") < 0 || parse_size(outputs, &no, "outputs") < 0)
    return -1;
  fconv_stream_desc_init(&d, b, ni, no, dt);
  if (parse_size(maxlen, &d.max_response_length, "max_response_length") < 0 ||
      parse_size(maxpart, &d.max_partition, "max_partition") < 0)
    return -1;
  if (parse_int(part, &v) < 0) return -1;
  d.partitioning = (fconv_stream_partitioning)v;
  if (parse_int(backend, &v) < 0) return -1;
  d.backend = (fconv_backend)v;
  unsigned long fl = PyLong_AsUnsignedLong(flags);
  if (fl == (unsigned long)-1 && PyErr_Occurred()) return -1;
  d.flags = (unsigned)fl;
  if (ni && no && ni > SIZE_MAX / no) {
    PyErr_SetString(PyExc_ValueError, "inputs x outputs overflows");
    return -1;
  }
  self->typenum = npy_type_of(dt);
  PyObject *arrays;
  const void **ptrs;
  size_t *lens;
  if (stream_responses(self, resp, ni * no, &arrays, &ptrs, &lens) < 0) {
    stream_responses_free(arrays, ptrs, lens);
    return -1;
  }
  d.responses = ptrs;
  d.response_lengths = lens;
  fconv_stream *st = NULL;
  fconv_status rc;
  Py_BEGIN_ALLOW_THREADS
  rc = fconv_stream_create(&st, &d);
  Py_END_ALLOW_THREADS
  stream_responses_free(arrays, ptrs, lens);
  if (rc != FCONV_OK) {
    raise_status(rc, "fconv_stream_create");
    return -1;
  }
  fconv_stream_info info;
  const size_t es = dt == FCONV_F32 ? 4 : dt == FCONV_C128 ? 16 : 8;
  self->lock = PyThread_allocate_lock();
  self->wlock = PyThread_allocate_lock();
  self->scratch = (ni + no) > SIZE_MAX / b / es ? NULL : PyMem_Malloc((ni + no) * b * es);
  if (!self->lock || !self->wlock || !self->scratch ||
      fconv_stream_get_info(st, &info) != FCONV_OK) {
    fconv_stream_destroy(st);
    PyErr_NoMemory();
    return -1;
  }
  self->stream = st;
  self->dtype = dt;
  self->block = b;
  self->inputs = ni;
  self->outputs = no;
  return 0;
}

static void stream_close(StreamObject *self) {
  if (!self->stream) return;
  fconv_stream *st = self->stream;
  self->stream = NULL;
  Py_BEGIN_ALLOW_THREADS
  PyThread_acquire_lock(self->wlock, WAIT_LOCK);
  PyThread_acquire_lock(self->lock, WAIT_LOCK);
  fconv_stream_destroy(st);
  PyThread_release_lock(self->lock);
  PyThread_release_lock(self->wlock);
  Py_END_ALLOW_THREADS
}

static void Stream_dealloc(StreamObject *self) {
  if (self->weakreflist) PyObject_ClearWeakRefs((PyObject *)self);
  fconv_stream_destroy(self->stream); /* no call in progress: they hold a reference */
  self->stream = NULL;
  if (self->lock) PyThread_free_lock(self->lock);
  if (self->wlock) PyThread_free_lock(self->wlock);
  PyMem_Free(self->scratch);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Stream_close(StreamObject *self, PyObject *unused) {
  stream_close(self);
  Py_RETURN_NONE;
}

/* process(x, out): x holds inputs x (n * B) elements (channel after channel), out receives
 * outputs x (n * B): n blocks, one fconv_stream_process each, with the GIL released. */
static PyObject *Stream_process(StreamObject *self, PyObject *args) {
  PyObject *xo, *out;
  if (!PyArg_ParseTuple(args, "OO:Stream.process", &xo, &out)) return NULL;
  if (!stream_alive(self)) return NULL;
  if (!PyArray_Check(xo) || PyArray_NDIM((PyArrayObject *)xo) != 2 ||
      (size_t)PyArray_DIM((PyArrayObject *)xo, 0) != self->inputs) {
    PyErr_SetString(PyExc_ValueError, "internal: x must be an (inputs, n * block) array");
    return NULL;
  }
  const size_t len = (size_t)PyArray_DIM((PyArrayObject *)xo, 1);
  if (len % self->block) {
    PyErr_Format(PyExc_ValueError, "the signal has %zu samples per channel, not a multiple of "
                 "the block (%zu)", len, self->block);
    return NULL;
  }
  PyArrayObject *x = host_input(xo, self->typenum, self->inputs * len, "signal");
  if (!x) return NULL;
  if (!host_output_ok(out, self->typenum, self->outputs * len) ||
      ranges_overlap(PyArray_DATA((PyArrayObject *)out), (size_t)PyArray_NBYTES((PyArrayObject *)out),
                     PyArray_DATA(x), (size_t)PyArray_NBYTES(x))) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "out overlaps the signal");
    Py_DECREF(x);
    return NULL;
  }
  const size_t es = (size_t)PyArray_ITEMSIZE(x), B = self->block, nb = len / B;
  const unsigned char *xp = (const unsigned char *)PyArray_DATA(x);
  unsigned char *yp = (unsigned char *)PyArray_DATA((PyArrayObject *)out);
  unsigned char *in = (unsigned char *)self->scratch, *ob = in + self->inputs * B * es;
  fconv_status st = FCONV_OK;
  size_t j = 0;
  Py_BEGIN_ALLOW_THREADS
  PyThread_acquire_lock(self->lock, WAIT_LOCK);
  for (; j < nb && st == FCONV_OK; j++) {
    const int direct_in = self->inputs == 1, direct_out = self->outputs == 1;
    const unsigned char *src = xp + j * B * es;
    if (!direct_in)
      for (size_t i = 0; i < self->inputs; i++)
        memcpy(in + i * B * es, xp + (i * len + j * B) * es, B * es);
    unsigned char *dst = direct_out ? yp + j * B * es : ob;
    st = fconv_stream_process(self->stream, direct_in ? src : in, dst);
    if (st == FCONV_OK && !direct_out)
      for (size_t o = 0; o < self->outputs; o++)
        memcpy(yp + (o * len + j * B) * es, ob + o * B * es, B * es);
  }
  PyThread_release_lock(self->lock);
  Py_END_ALLOW_THREADS
  Py_DECREF(x);
  if (st != FCONV_OK) return raise_status(st, "fconv_stream_process");
  return Py_NewRef(out);
}

static PyObject *Stream_reset(StreamObject *self, PyObject *unused) {
  if (!stream_alive(self)) return NULL;
  fconv_status st;
  Py_BEGIN_ALLOW_THREADS
  PyThread_acquire_lock(self->lock, WAIT_LOCK);
  st = fconv_stream_reset(self->stream);
  PyThread_release_lock(self->lock);
  Py_END_ALLOW_THREADS
  if (st != FCONV_OK) return raise_status(st, "fconv_stream_reset");
  Py_RETURN_NONE;
}

/* set_responses(responses, crossfade): responses as for the constructor. */
static PyObject *Stream_set_responses(StreamObject *self, PyObject *args) {
  PyObject *resp, *cf;
  size_t crossfade;
  if (!PyArg_ParseTuple(args, "OO:Stream.set_responses", &resp, &cf)) return NULL;
  if (!stream_alive(self) || parse_size(cf, &crossfade, "crossfade") < 0) return NULL;
  PyObject *arrays;
  const void **ptrs;
  size_t *lens;
  if (stream_responses(self, resp, self->inputs * self->outputs, &arrays, &ptrs, &lens) < 0) {
    stream_responses_free(arrays, ptrs, lens);
    return NULL;
  }
  fconv_status st;
  Py_BEGIN_ALLOW_THREADS
  PyThread_acquire_lock(self->lock, WAIT_LOCK);
  st = fconv_stream_set_responses(self->stream, ptrs, lens, crossfade);
  PyThread_release_lock(self->lock);
  Py_END_ALLOW_THREADS
  stream_responses_free(arrays, ptrs, lens);
  if (st != FCONV_OK) return raise_status(st, "fconv_stream_set_responses");
  Py_RETURN_NONE;
}

/* work() -> units: fconv_stream_work, concurrently with process() on another thread. */
static PyObject *Stream_work(StreamObject *self, PyObject *unused) {
  size_t units = 0;
  fconv_status st = FCONV_OK;
  int alive;
  Py_BEGIN_ALLOW_THREADS
  PyThread_acquire_lock(self->wlock, WAIT_LOCK);
  alive = self->stream != NULL;
  if (alive) st = fconv_stream_work(self->stream, &units);
  PyThread_release_lock(self->wlock);
  Py_END_ALLOW_THREADS
  if (!alive) {
    stream_alive(self); /* sets the "closed" error */
    return NULL;
  }
  if (st != FCONV_OK) return raise_status(st, "fconv_stream_work");
  return PyLong_FromSize_t(units);
}

static PyObject *Stream_get_info(StreamObject *self, void *closure) {
  if (!stream_alive(self)) return NULL;
  fconv_stream_info in;
  fconv_status st;
  Py_BEGIN_ALLOW_THREADS
  PyThread_acquire_lock(self->lock, WAIT_LOCK);
  st = fconv_stream_get_info(self->stream, &in);
  PyThread_release_lock(self->lock);
  Py_END_ALLOW_THREADS
  if (st != FCONV_OK) return raise_status(st, "fconv_stream_get_info");
  const int lv = in.levels < 0 ? 0 : in.levels > 16 ? 16 : in.levels;
  return Py_BuildValue("{s:n,s:n,s:n,s:i,s:N,s:N,s:n,s:n,s:i,s:n,s:d,s:d,s:s}", "block",
                       (Py_ssize_t)in.block, "latency", (Py_ssize_t)in.latency, "head_length",
                       (Py_ssize_t)in.head_length, "levels", in.levels, "partition_size",
                       sizes_tuple(in.partition_size, lv), "partition_count",
                       sizes_tuple(in.partition_count, lv), "partitions",
                       (Py_ssize_t)in.partitions, "transform_max", (Py_ssize_t)in.transform_max,
                       "split_levels", in.split_levels, "memory_bytes",
                       (Py_ssize_t)in.memory_bytes, "cost_per_block", in.cost_per_block,
                       "cost_peak", in.cost_peak, "backend", fconv_backend_name(in.backend));
}

static PyObject *Stream_get_shape(StreamObject *self, void *closure) {
  return Py_BuildValue("(nnnn)", (Py_ssize_t)self->block, (Py_ssize_t)self->inputs,
                       (Py_ssize_t)self->outputs, (Py_ssize_t)self->dtype);
}

static PyObject *Stream_get_closed(StreamObject *self, void *closure) {
  return PyBool_FromLong(self->stream == NULL);
}

static PyObject *Stream_enter(PyObject *self, PyObject *unused) { return Py_NewRef(self); }

static PyObject *Stream_exit(StreamObject *self, PyObject *args) {
  stream_close(self);
  Py_RETURN_FALSE;
}

static PyMethodDef Stream_methods[] = {
    {"process", (PyCFunction)Stream_process, METH_VARARGS,
     "process(x, out): filter x (inputs x n*block, C order) into out (outputs x n*block)"},
    {"reset", (PyCFunction)Stream_reset, METH_NOARGS, "forget all input; the responses stay"},
    {"set_responses", (PyCFunction)Stream_set_responses, METH_VARARGS,
     "set_responses(responses, crossfade): replace the responses between two blocks"},
    {"work", (PyCFunction)Stream_work, METH_NOARGS,
     "work() -> units: a worker thread's fconv_stream_work (streams created with worker=True)"},
    {"close", (PyCFunction)Stream_close, METH_NOARGS, "destroy the stream (idempotent)"},
    {"__enter__", Stream_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)Stream_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef Stream_getset[] = {
    {"info", (getter)Stream_get_info, NULL, "fconv_stream_get_info as a dict", NULL},
    {"_shape", (getter)Stream_get_shape, NULL, "(block, inputs, outputs, dtype code)", NULL},
    {"closed", (getter)Stream_get_closed, NULL, "True after close()", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject StreamType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "fconv._core.Stream",
    .tp_basicsize = sizeof(StreamObject),
    .tp_dealloc = (destructor)Stream_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Stream(block, inputs, outputs, dtype, responses, max_response_length, "
              "partitioning, max_partition, backend, flags): one fconv_stream (see fconv.Stream)",
    .tp_weaklistoffset = offsetof(StreamObject, weakreflist),
    .tp_methods = Stream_methods,
    .tp_getset = Stream_getset,
    .tp_init = (initproc)Stream_init,
    .tp_new = PyType_GenericNew,
};

/* ---- the one-shot path and its plan cache --------------------------------------------------- */

/* Idle plans keyed by the bytes of their fconv_desc (zero-filled first, so padding is
 * deterministic), in least-recently-used order (dict insertion order). A plan in use is not in
 * the dict, so no two threads ever share one. All dict operations run with the GIL held. */
static PyObject *cache;          /* dict: bytes -> capsule(fconv_plan *) */
static Py_ssize_t cache_max_plans = 16;
static size_t cache_max_bytes = (size_t)256 << 20;
static size_t cache_bytes;       /* workspace bytes of the idle plans */

static const char CAPSULE_NAME[] = "fconv._core.cached_plan";

typedef struct {
  fconv_plan *plan;
  size_t bytes;
} cached_plan;

static void cached_plan_free(PyObject *cap) {
  cached_plan *c = (cached_plan *)PyCapsule_GetPointer(cap, CAPSULE_NAME);
  if (!c) {
    PyErr_Clear();
    return;
  }
  cache_bytes -= c->bytes;
  fconv_plan_destroy(c->plan); /* with the GIL held: this runs inside dict operations */
  PyMem_Free(c);
}

/* Drop least-recently-used idle plans until the limits hold. */
static int cache_trim(void) {
  while (PyDict_GET_SIZE(cache) > 0 &&
         (PyDict_GET_SIZE(cache) > cache_max_plans || cache_bytes > cache_max_bytes)) {
    Py_ssize_t pos = 0;
    PyObject *key, *val;
    if (!PyDict_Next(cache, &pos, &key, &val)) break;
    Py_INCREF(key);
    int r = PyDict_DelItem(cache, key);
    Py_DECREF(key);
    if (r < 0) return -1;
  }
  return 0;
}

/* Take the idle plan for key out of the cache (NULL when there is none; no error set). */
static fconv_plan *cache_take(PyObject *key) {
  PyObject *cap = PyDict_GetItemWithError(cache, key);
  if (!cap) return NULL;
  cached_plan *c = (cached_plan *)PyCapsule_GetPointer(cap, CAPSULE_NAME);
  if (!c) {
    PyErr_Clear();
    return NULL;
  }
  fconv_plan *p = c->plan;
  cache_bytes -= c->bytes;
  c->plan = NULL; /* the capsule no longer owns it */
  c->bytes = 0;
  if (PyDict_DelItem(cache, key) < 0) PyErr_Clear();
  return p;
}

/* Return a plan to the cache (or destroy it when caching is off or it does not fit). */
static void cache_give(PyObject *key, fconv_plan *p) {
  fconv_plan_info info;
  size_t bytes = fconv_plan_get_info(p, &info) == FCONV_OK ? info.workspace_bytes : 0;
  cached_plan *c = NULL;
  PyObject *cap = NULL;
  if (cache_max_plans <= 0 || bytes > cache_max_bytes || PyDict_Contains(cache, key) != 0)
    goto destroy;
  c = (cached_plan *)PyMem_Malloc(sizeof *c);
  if (!c) goto destroy;
  c->plan = p;
  c->bytes = bytes;
  cap = PyCapsule_New(c, CAPSULE_NAME, cached_plan_free);
  if (!cap) {
    PyMem_Free(c);
    goto destroy;
  }
  cache_bytes += bytes;
  if (PyDict_SetItem(cache, key, cap) < 0) {
    Py_DECREF(cap); /* frees the plan */
    PyErr_Clear();
    return;
  }
  Py_DECREF(cap);
  if (cache_trim() < 0) PyErr_Clear();
  return;
destroy:
  PyErr_Clear();
  Py_BEGIN_ALLOW_THREADS
  fconv_plan_destroy(p);
  Py_END_ALLOW_THREADS
}

/* A fconv_desc from execute_once's arguments (mode is always FCONV_MODE_PAD). */
static int desc_from_args(PyObject *const *a, fconv_desc *d) {
  /* a: sshape, kshape, batch, kernel_batch, dtype, op, boundary, pad_before, pad_after, method,
   *    backend, threads, flags */
  Py_ssize_t rank = PySequence_Size(a[0]);
  if (rank < 0) return -1;
  if (rank < 1 || rank > FCONV_MAX_RANK) {
    PyErr_Format(PyExc_ValueError, "rank %zd outside 1..%d", rank, FCONV_MAX_RANK);
    return -1;
  }
  fconv_dtype dt;
  if (parse_dtype(a[4], &dt) < 0) return -1;
  memset(d, 0, sizeof *d);
  fconv_desc_init(d, (int)rank, NULL, NULL, dt);
  int v;
  if (parse_sizes(a[0], (int)rank, d->signal_shape, 1, "signal_shape") < 0 ||
      parse_sizes(a[1], (int)rank, d->kernel_shape, 1, "kernel_shape") < 0 ||
      parse_size(a[2], &d->batch, "batch") < 0 ||
      parse_size(a[3], &d->kernel_batch, "kernel_batch") < 0 ||
      parse_sizes(a[7], (int)rank, d->pad_before, 0, "pad_before") < 0 ||
      parse_sizes(a[8], (int)rank, d->pad_after, 0, "pad_after") < 0)
    return -1;
  d->mode = FCONV_MODE_PAD;
  if (parse_int(a[5], &v) < 0) return -1;
  d->op = (fconv_op)v;
  if (parse_int(a[6], &v) < 0) return -1;
  d->boundary = (fconv_boundary)v;
  if (parse_int(a[9], &v) < 0) return -1;
  d->method = (fconv_method)v;
  if (parse_int(a[10], &v) < 0) return -1;
  d->backend = (fconv_backend)v;
  if (parse_int(a[11], &d->threads) < 0) return -1;
  unsigned long fl = PyLong_AsUnsignedLong(a[12]);
  if (fl == (unsigned long)-1 && PyErr_Occurred()) return -1;
  d->flags = (unsigned)fl;
  return 0;
}

/* execute_once(x, h, out, signal_shape, kernel_shape, batch, kernel_batch, dtype, op,
 *              boundary, pad_before, pad_after, method, backend, threads, flags
 *              [, in_channels, out_channels, groups, dilation, stride]) -> out
 * x, h and out are C-contiguous arrays of the dtype with the exact element counts; mode PAD.
 * The optional channel and dilation arguments (None: not given) make a multi-channel and/or
 * dilated problem (fconv_desc_set_channels / _set_dilation; layouts as in fconv.h); stride
 * (None: 1) is the output step per axis.
 * Uses (and refills) the plan cache; the kernel goes through set_kernel so that AUTO's
 * kernel-dependent refinements (separable, accuracy) apply as they would for a Plan. */
static PyObject *execute_once(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
  if (nargs != 16 && nargs != 21) {
    PyErr_Format(PyExc_TypeError, "execute_once takes 16 or 21 arguments (%zd given)", nargs);
    return NULL;
  }
  fconv_desc d;
  if (desc_from_args(args + 3, &d) < 0) return NULL;
  if (nargs == 21) {
    if (parse_extension(args[16], args[17], args[18], args[19], &d) < 0) return NULL;
    if (args[20] != Py_None && parse_sizes(args[20], d.rank, d.stride, 1, "stride") < 0)
      return NULL;
  }
  const int typenum = npy_type_of(d.dtype);
  PyArrayObject *x = NULL, *h = NULL;
  PyObject *key = PyBytes_FromStringAndSize((const char *)&d, sizeof d);
  PyObject *ret = NULL;
  if (!key) return NULL;

  /* the plan first: it validates the descriptor (channel counts included) before the arrays'
   * sizes, which follow from it, are checked */
  fconv_plan *p = cache_take(key);
  if (PyErr_Occurred()) goto done;
  fconv_status st = FCONV_OK;
  if (!p) {
    Py_BEGIN_ALLOW_THREADS
    st = fconv_plan_create(&p, &d);
    Py_END_ALLOW_THREADS
    if (st != FCONV_OK) {
      raise_status(st, "fconv_plan_create");
      goto done;
    }
  }
  x = host_input(args[0], typenum, signal_elems(&d), "signal");
  if (x) h = host_input(args[1], typenum, kernel_elems(&d), "kernel");
  if (!h) {
    cache_give(key, p);
    goto done;
  }
  fconv_plan_info info;
  size_t osh[FCONV_MAX_RANK];
  if ((st = fconv_plan_output_shape(p, osh)) != FCONV_OK ||
      (st = fconv_plan_get_info(p, &info)) != FCONV_OK) {
    raise_status(st, "fconv_plan_output_shape");
    cache_give(key, p);
    goto done;
  }
  if (!host_output_ok(args[2], typenum, prod3(osh, info.output_count) * output_channels(&d))) {
    cache_give(key, p);
    goto done;
  }
  PyArrayObject *y = (PyArrayObject *)args[2];
  if (ranges_overlap(PyArray_DATA(y), (size_t)PyArray_NBYTES(y), PyArray_DATA(x),
                     (size_t)PyArray_NBYTES(x)) ||
      ranges_overlap(PyArray_DATA(y), (size_t)PyArray_NBYTES(y), PyArray_DATA(h),
                     (size_t)PyArray_NBYTES(h))) {
    PyErr_SetString(PyExc_ValueError, "out overlaps the signal or the kernel");
    cache_give(key, p);
    goto done;
  }
  const void *xp = PyArray_DATA(x), *hp = PyArray_DATA(h);
  void *yp = PyArray_DATA(y);
  const char *what = "fconv_plan_set_kernel";
  Py_BEGIN_ALLOW_THREADS
  st = fconv_plan_set_kernel(p, hp);
  if (st == FCONV_OK) {
    what = "fconv_execute";
    st = fconv_execute(p, xp, NULL, yp);
  }
  Py_END_ALLOW_THREADS
  if (st != FCONV_OK) {
    raise_status(st, what);
    cache_give(key, p);
    goto done;
  }
  cache_give(key, p);
  ret = Py_NewRef(args[2]);
done:
  Py_DECREF(key);
  Py_XDECREF(x);
  Py_XDECREF(h);
  return ret;
}

/* plan_cache(max_plans=None, max_bytes=None) -> (max_plans, max_bytes, idle_plans, idle_bytes) */
static PyObject *plan_cache(PyObject *mod, PyObject *args, PyObject *kwds) {
  static char *kw[] = {"max_plans", "max_bytes", NULL};
  PyObject *mp = Py_None, *mb = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OO:plan_cache", kw, &mp, &mb)) return NULL;
  if (mp != Py_None) {
    Py_ssize_t v = PyLong_AsSsize_t(mp);
    if (v == -1 && PyErr_Occurred()) return NULL;
    if (v < 0) {
      PyErr_SetString(PyExc_ValueError, "max_plans must be >= 0");
      return NULL;
    }
    cache_max_plans = v;
  }
  if (mb != Py_None) {
    size_t v;
    if (parse_size(mb, &v, "max_bytes") < 0) return NULL;
    cache_max_bytes = v;
  }
  if (cache_trim() < 0) return NULL;
  return Py_BuildValue("(nnnn)", cache_max_plans, (Py_ssize_t)cache_max_bytes,
                       PyDict_GET_SIZE(cache), (Py_ssize_t)cache_bytes);
}

static PyObject *clear_plan_cache(PyObject *mod, PyObject *unused) {
  PyDict_Clear(cache);
  Py_RETURN_NONE;
}

/* ---- FFTW wisdom ----------------------------------------------------------------------------- */

/* wisdom_export() -> str; wisdom_export(path) writes the file (fconv_wisdom_export_*). */
static PyObject *wisdom_export(PyObject *mod, PyObject *args) {
  const char *path = NULL;
  if (!PyArg_ParseTuple(args, "|z:wisdom_export", &path)) return NULL;
  fconv_status st;
  if (path) {
    Py_BEGIN_ALLOW_THREADS
    st = fconv_wisdom_export_file(path);
    Py_END_ALLOW_THREADS
    if (st != FCONV_OK) return raise_status(st, "fconv_wisdom_export_file");
    Py_RETURN_NONE;
  }
  char *text = NULL;
  Py_BEGIN_ALLOW_THREADS
  st = fconv_wisdom_export_string(&text);
  Py_END_ALLOW_THREADS
  if (st != FCONV_OK) return raise_status(st, "fconv_wisdom_export_string");
  PyObject *r = PyUnicode_FromString(text);
  fconv_wisdom_free(text);
  return r;
}

/* wisdom_import(text, is_path) (fconv_wisdom_import_string / _file). */
static PyObject *wisdom_import(PyObject *mod, PyObject *args) {
  const char *s;
  int is_path;
  if (!PyArg_ParseTuple(args, "sp:wisdom_import", &s, &is_path)) return NULL;
  fconv_status st;
  Py_BEGIN_ALLOW_THREADS
  st = is_path ? fconv_wisdom_import_file(s) : fconv_wisdom_import_string(s);
  Py_END_ALLOW_THREADS
  if (st != FCONV_OK)
    return raise_status(st, is_path ? "fconv_wisdom_import_file" : "fconv_wisdom_import_string");
  Py_RETURN_NONE;
}

static PyObject *wisdom_forget(PyObject *mod, PyObject *unused) {
  Py_BEGIN_ALLOW_THREADS
  fconv_wisdom_forget();
  Py_END_ALLOW_THREADS
  Py_RETURN_NONE;
}

/* ---- timing of the bare C calls (the baseline for the binding's overhead) ------------------ */

static double clock_s(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* _time_c(plan, x, h, out, reps, oneshot) -> (wall, thread CPU) seconds per call of the C loop
 *   oneshot False: fconv_execute(plan, x, h or NULL, out)  (h None: the kernel set before)
 *   oneshot True:  fconv_convolve(&plan's desc, x, h, out)  (plan, execute, destroy) */
static PyObject *time_c(PyObject *mod, PyObject *args) {
  PlanObject *pl;
  PyObject *xo, *ho, *yo;
  Py_ssize_t reps;
  int oneshot;
  if (!PyArg_ParseTuple(args, "O!OOOnp:_time_c", &PlanType, &pl, &xo, &ho, &yo, &reps,
                        &oneshot))
    return NULL;
  if (!plan_alive(pl)) return NULL;
  if (pl->device) {
    PyErr_SetString(PyExc_ValueError, "_time_c times host plans");
    return NULL;
  }
  if (oneshot && ho == Py_None) {
    PyErr_SetString(PyExc_ValueError, "the one-shot C call needs the kernel");
    return NULL;
  }
  if (ho == Py_None && !pl->kernel_set) {
    PyErr_SetString(PyExc_ValueError, "no kernel set");
    return NULL;
  }
  PyArrayObject *x = host_input(xo, pl->typenum, pl->sig_elems, "signal");
  if (!x) return NULL;
  PyArrayObject *h = ho == Py_None ? NULL : host_input(ho, pl->typenum, pl->ker_elems, "kernel");
  if (ho != Py_None && !h) {
    Py_DECREF(x);
    return NULL;
  }
  if (!host_output_ok(yo, pl->typenum, pl->out_elems)) {
    Py_DECREF(x);
    Py_XDECREF(h);
    return NULL;
  }
  const void *xp = PyArray_DATA(x), *hp = h ? PyArray_DATA(h) : NULL;
  void *yp = PyArray_DATA((PyArrayObject *)yo);
  fconv_status st = FCONV_OK;
  double w0 = 0, w1 = 0, c0 = 0, c1 = 0;
  Py_BEGIN_ALLOW_THREADS
  PyThread_acquire_lock(pl->lock, WAIT_LOCK);
  w0 = clock_s(CLOCK_MONOTONIC);
  c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
  for (Py_ssize_t i = 0; i < reps && st == FCONV_OK; i++)
    st = oneshot ? fconv_convolve(&pl->desc, xp, hp, yp) : fconv_execute(pl->plan, xp, hp, yp);
  c1 = clock_s(CLOCK_THREAD_CPUTIME_ID);
  w1 = clock_s(CLOCK_MONOTONIC);
  PyThread_release_lock(pl->lock);
  Py_END_ALLOW_THREADS
  Py_DECREF(x);
  Py_XDECREF(h);
  if (st != FCONV_OK) return raise_status(st, oneshot ? "fconv_convolve" : "fconv_execute");
  double n = reps > 0 ? (double)reps : 1.0;
  return Py_BuildValue("(dd)", (w1 - w0) / n, (c1 - c0) / n);
}

/* ---- module-level functions ------------------------------------------------------------------ */

static PyObject *status_string(PyObject *mod, PyObject *arg) {
  long v = PyLong_AsLong(arg);
  if (v == -1 && PyErr_Occurred()) return NULL;
  return PyUnicode_FromString(fconv_status_string((fconv_status)v));
}

static PyObject *version_string(PyObject *mod, PyObject *unused) {
  return PyUnicode_FromString(fconv_version_string());
}

static PyObject *version_number(PyObject *mod, PyObject *unused) {
  return PyLong_FromUnsignedLong(fconv_version_number());
}

static PyObject *cuda_device_count(PyObject *mod, PyObject *unused) {
  int n;
  Py_BEGIN_ALLOW_THREADS
  n = fconv_cuda_device_count();
  Py_END_ALLOW_THREADS
  return PyLong_FromLong(n);
}

/* _device_array_info(obj) -> dict: what the device-array parser reads from obj (tests). */
static PyObject *device_array_info(PyObject *mod, PyObject *obj) {
  device_array r;
  if (parse_device_array(obj, &r) < 0) return NULL;
  PyObject *dt = r.dtype < 0 ? Py_NewRef(Py_None)
                             : PyUnicode_FromString(fconv_dtype_name((fconv_dtype)r.dtype));
  PyObject *d = dt ? Py_BuildValue("{s:K,s:N,s:n,s:i,s:O,s:O}", "ptr", (unsigned long long)r.ptr,
                                   "dtype", dt, "size", (Py_ssize_t)r.nelems, "device_type",
                                   r.device_type, "readonly", r.readonly ? Py_True : Py_False,
                                   "contiguous", r.contiguous ? Py_True : Py_False)
                   : NULL;
  Py_XDECREF(r.keep);
  return d;
}

static PyMethodDef module_methods[] = {
    {"execute_once", (PyCFunction)(void (*)(void))execute_once, METH_FASTCALL,
     "execute_once(x, h, out, signal_shape, kernel_shape, batch, kernel_batch, dtype, op, "
     "boundary, pad_before, pad_after, method, backend, threads, flags[, in_channels, "
     "out_channels, groups, dilation, stride]) -> out (mode PAD; cached plans)"},
    {"plan_cache", (PyCFunction)(void (*)(void))plan_cache, METH_VARARGS | METH_KEYWORDS,
     "plan_cache(max_plans=None, max_bytes=None) -> (max_plans, max_bytes, idle_plans, "
     "idle_bytes): read or set the one-shot functions' plan cache limits."},
    {"clear_plan_cache", clear_plan_cache, METH_NOARGS, "Destroy every idle cached plan."},
    {"wisdom_export", wisdom_export, METH_VARARGS,
     "wisdom_export(path=None): FFTW wisdom as a str, or written to path"},
    {"wisdom_import", wisdom_import, METH_VARARGS,
     "wisdom_import(text_or_path, is_path): add FFTW wisdom from a str or a file"},
    {"wisdom_forget", wisdom_forget, METH_NOARGS, "drop all FFTW wisdom of this process"},
    {"status_string", status_string, METH_O, "fconv_status_string(status)"},
    {"version_string", version_string, METH_NOARGS, "fconv_version_string()"},
    {"version_number", version_number, METH_NOARGS, "fconv_version_number()"},
    {"cuda_device_count", cuda_device_count, METH_NOARGS, "fconv_cuda_device_count()"},
    {"_device_array_info", device_array_info, METH_O,
     "What the device-array parser reads from an object (for tests)."},
    {"_time_c", time_c, METH_VARARGS,
     "_time_c(plan, x, h, out, reps, oneshot) -> (wall, thread CPU) seconds per bare C call "
     "(the overhead bench's baseline)"},
    {NULL, NULL, 0, NULL}};

static void module_free(void *m) {
  if (cache) PyDict_Clear(cache);
  Py_CLEAR(cache);
}

static struct PyModuleDef moduledef = {PyModuleDef_HEAD_INIT, "_core",
                                       "libfconv's public C API as Python objects (see fconv).",
                                       -1, module_methods, NULL, NULL, NULL, module_free};

static int add_error(PyObject *m, fconv_status st, const char *name, PyObject *extra_base) {
  char full[64];
  snprintf(full, sizeof full, "fconv.%s", name);
  PyObject *bases = extra_base ? PyTuple_Pack(2, Error, extra_base) : PyTuple_Pack(1, Error);
  if (!bases) return -1;
  PyObject *e = PyErr_NewException(full, bases, NULL);
  Py_DECREF(bases);
  if (!e) return -1;
  StatusErrors[st] = e;
  Py_INCREF(e);
  if (PyModule_AddObject(m, name, e) < 0) {
    Py_DECREF(e);
    return -1;
  }
  return 0;
}

PyMODINIT_FUNC PyInit__core(void) {
  import_array();
  if (PyType_Ready(&PlanType) < 0 || PyType_Ready(&StreamType) < 0) return NULL;
  PyObject *m = PyModule_Create(&moduledef);
  if (!m) return NULL;
  cache = PyDict_New();
  if (!cache) goto fail;
  Error = PyErr_NewException("fconv.Error", PyExc_RuntimeError, NULL);
  if (!Error) goto fail;
  Py_INCREF(Error);
  if (PyModule_AddObject(m, "Error", Error) < 0) goto fail;
  if (add_error(m, FCONV_ERR_INVALID_ARGUMENT, "InvalidArgumentError", PyExc_ValueError) < 0 ||
      add_error(m, FCONV_ERR_UNSUPPORTED, "UnsupportedError", PyExc_NotImplementedError) < 0 ||
      add_error(m, FCONV_ERR_OUT_OF_MEMORY, "OutOfMemoryError", PyExc_MemoryError) < 0 ||
      add_error(m, FCONV_ERR_NO_DEVICE, "NoDeviceError", NULL) < 0 ||
      add_error(m, FCONV_ERR_CUDA, "CudaError", NULL) < 0 ||
      add_error(m, FCONV_ERR_FFT, "FFTError", NULL) < 0 ||
      add_error(m, FCONV_ERR_INTERNAL, "InternalError", NULL) < 0)
    goto fail;
  Py_INCREF(&PlanType);
  if (PyModule_AddObject(m, "Plan", (PyObject *)&PlanType) < 0) {
    Py_DECREF(&PlanType);
    goto fail;
  }
  Py_INCREF(&StreamType);
  if (PyModule_AddObject(m, "Stream", (PyObject *)&StreamType) < 0) {
    Py_DECREF(&StreamType);
    goto fail;
  }
  if (PyModule_AddIntConstant(m, "FLAG_MEASURE", FCONV_FLAG_MEASURE) < 0 ||
      PyModule_AddIntConstant(m, "STREAM_FLAG_EVEN_LOAD", FCONV_STREAM_FLAG_EVEN_LOAD) < 0 ||
      PyModule_AddIntConstant(m, "STREAM_FLAG_WORKER", FCONV_STREAM_FLAG_WORKER) < 0 ||
      PyModule_AddIntConstant(m, "FLAG_DEVICE_POINTERS", FCONV_FLAG_DEVICE_POINTERS) < 0 ||
      PyModule_AddIntConstant(m, "FLAG_NO_SEPARABLE", FCONV_FLAG_NO_SEPARABLE) < 0 ||
      PyModule_AddIntConstant(m, "FLAG_ACCURATE", FCONV_FLAG_ACCURATE) < 0 ||
      PyModule_AddIntConstant(m, "MAX_RANK", FCONV_MAX_RANK) < 0 ||
      PyModule_AddIntConstant(m, "HEADER_VERSION_NUMBER", FCONV_VERSION_NUMBER) < 0)
    goto fail;
  return m;
fail:
  Py_DECREF(m);
  return NULL;
}
