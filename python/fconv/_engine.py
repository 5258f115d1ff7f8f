"""The one place where NumPy arrays become fconv problems.

Every SciPy-style function (fconv.signal, fconv.ndimage) reduces its call to

    run(x, h, axes, pads, op, boundary, ...)

y = x (*) h along `axes` (per axis: x extended by pads[i] = (before, after) with the boundary
rule, then the valid part), with every other axis a batch axis on which x and h broadcast.
run() chooses the layout (no copy when the convolved axes are the trailing ones, or are followed
only by axes the kernel does not extend along), maps broadcasting onto fconv's batch /
kernel_batch / filter-bank layouts, and handles what the C library does not do itself: more
than three convolved axes (a sum of rank-3 problems) and empty arrays. It also holds the dtype
rules every function shares (which fconv dtype computes a NumPy dtype, how results are cast
back) and the boundary maps used when a signal has to be extended in Python.
"""

import math

import numpy as np

from . import _core

# fconv's enumerations (fconv.h; values pinned by the library)
F32, F64, C64, C128 = 0, 1, 2, 3
MODE_FULL, MODE_SAME, MODE_VALID, MODE_PAD = 0, 1, 2, 3
CONVOLVE, CORRELATE = 0, 1
ZERO, WRAP, SYMMETRIC, MIRROR, REPLICATE = 0, 1, 2, 3, 4
METHODS = {"auto": 0, "direct": 1, "fft": 2, "overlap-save": 3}
BACKENDS = {"auto": 0, "cpu": 1, "cuda": 2}
BOUNDARIES = {"zero": ZERO, "wrap": WRAP, "symmetric": SYMMETRIC, "mirror": MIRROR,
              "replicate": REPLICATE}

_CODE = {np.dtype(np.float32): F32, np.dtype(np.float64): F64,
         np.dtype(np.complex64): C64, np.dtype(np.complex128): C128}
_CODE_NUM = {np.dtype(t).num: c for t, c in _CODE.items()}
_IDENTITY = [tuple(range(n)) for n in range(4)]
DTYPES = {F32: np.dtype(np.float32), F64: np.dtype(np.float64),
          C64: np.dtype(np.complex64), C128: np.dtype(np.complex128)}


def dtype_code(dt):
    """fconv's code for one of the four native dtypes (KeyError otherwise)."""
    return _CODE[np.dtype(dt)]


_COMPUTE = {}  # (dtype, single) -> compute dtype: the one-shot path looks this up per call


def compute_dtype(dt, single=None):
    """The native dtype fconv computes a result of NumPy dtype `dt` in.

    float16/float32 -> float32, float64/longdouble -> float64, complex64 -> complex64,
    complex128/clongdouble -> complex128, bool and integers -> float64 (exact while every sum
    stays below 2**53). `single` (bool) overrides the precision for real/complex kinds.
    Anything else (object, str, datetime) is a TypeError.
    """
    try:
        return _COMPUTE[(dt, single)]
    except (KeyError, TypeError):
        pass
    r = _compute_dtype(np.dtype(dt), single)
    try:
        _COMPUTE[(dt, single)] = r
    except TypeError:
        pass
    return r


def _compute_dtype(dt, single):
    kind = dt.kind
    if kind == "c":
        small = dt.itemsize <= 8 if single is None else single
        return np.dtype(np.complex64 if small else np.complex128)
    if kind == "f":
        small = dt.itemsize <= 4 if single is None else single
        return np.dtype(np.float32 if small else np.float64)
    if kind in "biu":
        return np.dtype(np.float32 if single else np.float64)
    raise TypeError("fconv computes in float32, float64, complex64 and complex128; arrays of "
                    "dtype %s are not supported (convert them first)" % dt)


def accurate_flags(dt, method):
    """fconv flags for a result of NumPy dtype dt: integer and bool results are rounded or
    truncated back, so AUTO keeps fconv's direct method (FLAG_ACCURATE: the per-output error
    bound, exact for integer data while every partial sum stays below 2**53) instead of a
    transform method, whose normwise error could move a result across an integer."""
    if method == METHODS["auto"] and np.dtype(dt).kind in "biu":
        return _core.FLAG_ACCURATE
    return 0


def cast_result(y, dt, rounding="nearest"):
    """y (computed in a native dtype) as dtype dt.

    Integer and bool results are rounded to the nearest integer (rounding='nearest', SciPy's
    signal functions) or truncated toward zero (rounding='trunc', a C cast as in
    scipy.ndimage), then wrap around like C integer arithmetic."""
    dt = np.dtype(dt)
    if y.dtype == dt:
        return y
    kind = dt.kind
    if kind in "biu":
        if y.dtype.kind == "c":
            y = y.real
        r = np.rint(y) if rounding == "nearest" else np.trunc(y)
        if kind == "b":
            return r != 0
        with np.errstate(invalid="ignore"):
            if kind == "u" and dt.itemsize == 8:  # beyond int64: straight to uint64
                big = r >= 2.0 ** 63
                res = r.astype(np.int64).astype(np.uint64)
                res[big] = r[big].astype(np.uint64)
                return res
            return r.astype(np.int64).astype(dt)
    if kind == "f" and y.dtype.kind == "c":
        y = y.real
    return y.astype(dt)


# ---- boundary maps (the same rules as the library's; used when Python extends a signal) ------

def boundary_index(i, n, boundary):
    """Indices into a length-n axis for window positions i (an integer array) under the
    boundary rule; -1 where the ZERO rule reads outside the signal. Periodic for every rule
    (repeats as often as needed), like fconv's and scipy.ndimage's extensions."""
    i = np.asarray(i, dtype=np.int64)
    inside = (i >= 0) & (i < n)
    if boundary == ZERO:
        return np.where(inside, i, -1)
    if boundary == WRAP:
        return i % n
    if boundary == SYMMETRIC:
        r = i % (2 * n)
        return np.where(r < n, r, 2 * n - 1 - r)
    if boundary == MIRROR:
        if n == 1:
            return np.zeros_like(i)
        r = i % (2 * n - 2)
        return np.where(r < n, r, 2 * n - 2 - r)
    if boundary == REPLICATE:
        return np.clip(i, 0, n - 1)
    raise ValueError("unknown boundary %r" % (boundary,))


def extend(x, axis, before, after, boundary, cval=0):
    """x extended along `axis` by before/after elements with the boundary rule (ZERO: cval)."""
    if before == 0 and after == 0:
        return x
    if boundary == ZERO:
        width = [(0, 0)] * x.ndim
        width[axis] = (before, after)
        return np.pad(x, width, mode="constant", constant_values=cval)
    idx = boundary_index(np.arange(-before, x.shape[axis] + after), x.shape[axis], boundary)
    return np.take(x, idx, axis=axis)


# ---- threads ---------------------------------------------------------------------------------

_default_threads = 0


def set_default_threads(n):
    """CPU threads for the SciPy-style functions called without threads= (0: all cores, the
    initial value). Returns the previous value."""
    global _default_threads
    n = int(n)
    if n < 0:
        raise ValueError("threads must be >= 0")
    old, _default_threads = _default_threads, n
    return old


def threads_arg(threads):
    return _default_threads if threads is None else int(threads)


# ---- run ---------------------------------------------------------------------------------------

def _prod(seq):
    return math.prod(seq)


def output_shape(xshape, hshape, axes, pads):
    """The shape run() returns (ValueError when the other axes do not broadcast)."""
    shape = []
    padmap = dict(zip(axes, pads))
    for a, (n, k) in enumerate(zip(xshape, hshape)):
        if a in padmap:
            p0, p1 = padmap[a]
            shape.append(max(n + p0 + p1 - k + 1, 0))
        elif n == k or k == 1:
            shape.append(n)
        elif n == 1:
            shape.append(k)
        else:
            raise ValueError("shapes %s and %s do not broadcast on axis %d"
                             % (tuple(xshape), tuple(hshape), a))
    return tuple(shape)


def run(x, h, axes, pads, op=CONVOLVE, boundary=ZERO, method=0, backend=0, threads=0, flags=0,
        out=None):
    """y = x (*) h along `axes` (see the module docstring).

    x, h: ndarrays of the same native dtype and number of dimensions. axes: distinct axes
    (non-negative); pads: one (before, after) per axis, with x.shape[a] + before + after >=
    h.shape[a]. op, boundary, method, backend: fconv's enum values. out: optional C-contiguous
    array of the result's shape and dtype to write into (must not overlap x or h).
    """
    code = _CODE_NUM[x.dtype.num]
    if h.dtype != x.dtype or h.ndim != x.ndim:
        raise ValueError("internal: x and h must share dtype and rank")
    nd = x.ndim
    if out is None and nd <= 3 and tuple(axes) == _IDENTITY[nd] and x.size and h.size:
        # every axis convolved in order, at most three, no batch: straight to fconv
        xs, hs = x.shape, h.shape
        p0 = [p[0] for p in pads]
        p1 = [p[1] for p in pads]
        yshape = [n + a + b - k + 1 for n, k, a, b in zip(xs, hs, p0, p1)]
        if min(yshape) > 0:
            y = np.empty(yshape, x.dtype)
            _core.execute_once(np.ascontiguousarray(x), np.ascontiguousarray(h), y, xs, hs, 1,
                               1, code, op, boundary, p0, p1, method, backend, threads, flags)
            return y
    padmap = dict(zip(axes, pads))
    yshape = output_shape(x.shape, h.shape, axes, pads)
    # Axes along which the kernel has one tap and nothing is padded are plain products.
    conv = sorted(a for a in padmap if not (h.shape[a] == 1 and padmap[a] == (0, 0)))
    if x.size == 0 or h.size == 0 or 0 in yshape:
        if out is not None:
            out[...] = 0
            return out
        return np.zeros(yshape, dtype=x.dtype)
    if len(conv) == 0:  # only one-tap kernel axes: a product (conjugated kernel to correlate)
        return np.multiply(x, h.conj() if op == CORRELATE else h, out=out)

    cset = set(conv)
    first = conv[0]
    # Layout without copies: batch axes first, then the problem axes, where axes the kernel
    # does not extend along (and that are not padded) merge into one fconv axis.
    layout = None
    if all(h.shape[a] == 1 for a in range(first, nd) if a not in cset):
        dims = []  # [n, k, p0, p1, mergeable]
        for a in range(first, nd):
            if a in cset:
                dims.append([x.shape[a], h.shape[a], padmap[a][0], padmap[a][1], False])
            elif dims and dims[-1][4]:
                dims[-1][0] *= x.shape[a]
            else:
                dims.append([x.shape[a], 1, 0, 0, True])
        if len(dims) <= 3:
            layout = (first, dims, None)
    if layout is None:
        other = [a for a in range(nd) if a not in cset]
        perm = other + conv
        x = x.transpose(perm)
        h = h.transpose(perm)
        dims = [[x.shape[i], h.shape[i], padmap[a][0], padmap[a][1], False]
                for i, a in enumerate(conv, start=len(other))]
        layout = (len(other), dims, perm)
    nb, dims, perm = layout

    bx, bh = x.shape[:nb], h.shape[:nb]
    bshape = tuple([max(a, b) for a, b in zip(bx, bh)])  # broadcast (checked by output_shape)
    if all(v == 1 for v in bh):
        batch, kbatch = _prod(bx), 1
    elif all(v == 1 for v in bx):
        batch, kbatch = 1, _prod(bh)
    elif bx == bh:
        batch = kbatch = _prod(bx)
    else:  # general broadcasting: materialise both batches
        x = np.broadcast_to(x, bshape + x.shape[nb:])
        h = np.broadcast_to(h, bshape + h.shape[nb:])
        batch = kbatch = _prod(bshape)

    if len(dims) > 3:
        y = _run_decomposed(x, h, nb, dims, op, boundary, method, backend, threads, flags)
    else:
        x = np.ascontiguousarray(x)
        h = np.ascontiguousarray(h)
        pshape = tuple(d[0] + d[2] + d[3] - d[1] + 1 for d in dims)
        if perm is None:
            final = bshape + tuple(yshape[nb:])
        else:
            final = bshape + pshape
        if (out is not None and perm is None and out.shape == final and out.dtype == x.dtype
                and out.flags.c_contiguous and out.flags.writeable
                and not np.may_share_memory(out, x) and not np.may_share_memory(out, h)):
            y = out
            out = None
        else:
            y = np.empty(final, dtype=x.dtype)
        _core.execute_once(x, h, y, [d[0] for d in dims], [d[1] for d in dims], batch, kbatch,
                           code, op, boundary, [d[2] for d in dims], [d[3] for d in dims],
                           method, backend, threads, flags)
    if perm is not None:
        y = y.transpose(np.argsort(perm))
    if out is not None:
        out[...] = y
        return out
    return y


def _run_decomposed(x, h, nb, dims, op, boundary, method, backend, threads, flags):
    """More than three convolved axes (all after the nb batch axes): extend the signal along the
    outer ones in Python and sum rank-3 problems over the kernel's outer indices."""
    outer = len(dims) - 3
    for i in range(outer):
        n, k, p0, p1, _ = dims[i]
        x = extend(x, nb + i, p0, p1, boundary)
    kouter = [d[1] for d in dims[:outer]]
    oouter = [d[0] + d[2] + d[3] - d[1] + 1 for d in dims[:outer]]
    inner = dims[outer:]
    inner_axes = list(range(nb + outer, nb + len(dims)))
    inner_pads = [(d[2], d[3]) for d in inner]
    y = None
    for m in np.ndindex(*kouter):
        starts = [k - 1 - j for k, j in zip(kouter, m)] if op == CONVOLVE else list(m)
        xs = x[(slice(None),) * nb + tuple(slice(s, s + o) for s, o in zip(starts, oouter))]
        hs = h[(slice(None),) * nb + tuple(m)]
        hs = hs.reshape(hs.shape[:nb] + (1,) * outer + hs.shape[nb:])
        part = run(xs, hs, inner_axes, inner_pads, op, boundary, method, backend, threads, flags)
        if y is None:
            y = part.copy()
        else:
            y += part
    return y
