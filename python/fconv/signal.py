"""scipy.signal's convolution functions, computed by fconv.

Same names, signatures, argument checks, output shapes and dtypes as SciPy 1.10:
convolve, correlate, fftconvolve, oaconvolve, convolve2d, correlate2d, choose_conv_method,
correlation_lags. Every function also takes keyword-only `threads` (CPU threads, 0 = all cores;
default: fconv.set_default_threads, initially 0) and `backend` ('auto', 'cpu', 'cuda').

Differences from SciPy (by design):
- Everything is computed in float32, float64, complex64 or complex128: float16 in float32,
  longdouble/clongdouble in (complex) double precision, bool and integers in float64 and then
  rounded back (exact while every partial sum stays below 2**53; SciPy's direct method uses
  integer arithmetic). Object arrays (e.g. Decimal) are a TypeError.
- method='fft' runs fconv's FFT path, method='direct' its direct path, method='auto' lets
  fconv's cost model choose (direct, FFT or overlap-save); fftconvolve always uses the FFT path
  and oaconvolve the overlap-save path. choose_conv_method reports fconv's choice.
- Arrays of more than three dimensions are supported like SciPy's: leading axes that are not
  convolved become batches, and more than three convolved axes are summed from rank-3 fconv
  problems.
"""

import numbers
import operator
import time
import warnings

import numpy as np

from . import _engine
from ._plan import Plan, backend_code

__all__ = ["convolve", "correlate", "fftconvolve", "oaconvolve", "convolve2d", "correlate2d",
           "choose_conv_method", "correlation_lags"]

_MODES = ("full", "same", "valid")
_METHODS = {"auto": _engine.METHODS["auto"], "direct": _engine.METHODS["direct"],
            "fft": _engine.METHODS["fft"]}
_BOUNDARIES = {"fill": _engine.ZERO, "pad": _engine.ZERO, "wrap": _engine.WRAP,
               "circular": _engine.WRAP, "symm": _engine.SYMMETRIC,
               "symmetric": _engine.SYMMETRIC}


# ---- argument helpers (SciPy's messages) -------------------------------------------------------

def _check_mode(mode, lower=False):
    if mode not in _MODES:
        if lower:
            raise ValueError("acceptable mode flags are 'valid', 'same', or 'full'")
        raise ValueError("Acceptable mode flags are 'valid', 'same', or 'full'.")


def _method(method):
    try:
        return _METHODS[method]
    except (KeyError, TypeError):
        raise ValueError("Acceptable method flags are 'auto', 'direct', or 'fft'.") from None


def _inputs_swap_needed(mode, shape1, shape2, axes=None):
    """True when 'valid' mode needs in1 and in2 swapped (scipy.signal's rule and message)."""
    if mode != "valid" or not shape1:
        return False
    if axes is None:
        axes = range(len(shape1))
    ok1 = all(shape1[i] >= shape2[i] for i in axes)
    ok2 = all(shape2[i] >= shape1[i] for i in axes)
    if not (ok1 or ok2):
        raise ValueError("For 'valid' mode, one must be at least "
                         "as large as the other in every dimension")
    return not ok1


def _pads(mode, kshape, correlate2d=False):
    if mode == "full":
        return [(k - 1, k - 1) for k in kshape]
    if mode == "same":
        if correlate2d:  # scipy.signal.correlate2d centres even kernels one sample earlier
            return [((k - 1) // 2, k // 2) for k in kshape]
        return [(k // 2, (k - 1) // 2) for k in kshape]
    return [(0, 0)] * len(kshape)


def _reverse_and_conj(x):
    return x[(slice(None, None, -1),) * x.ndim].conj()


def _operands(in1, in2, dims_message, conj=False):
    """(a, b, None) as arrays of equal rank, or (a, b, a * b) for two scalars (conj: a *
    conj(b)); SciPy's checks and messages."""
    a = np.asarray(in1)
    b = np.asarray(in2)
    if a.ndim == b.ndim == 0:
        return a, b, a * (b.conj() if conj else b)
    if a.ndim != b.ndim:
        raise ValueError(dims_message)
    return a, b, None


def _result_type(a, b):
    return a.dtype if a.dtype == b.dtype else np.result_type(a, b)


def _run(x, h, axes, pads, op, boundary, method, threads, backend, result_dtype,
         fill=None):
    """x (*) h in fconv's dtype for result_dtype, cast back to it."""
    ct = _engine.compute_dtype(result_dtype)
    if x.dtype != ct:
        x = x.astype(ct)
    if h.dtype != ct:
        h = h.astype(ct)
    if fill is not None and fill != 0:  # materialise the constant border, then 'valid'
        width = [(0, 0)] * x.ndim
        for a, p in zip(axes, pads):
            width[a] = p
        x = np.pad(x, width, mode="constant", constant_values=fill)
        pads = [(0, 0)] * len(axes)
    y = _engine.run(x, h, list(axes), pads, op, boundary, method, backend_code(backend),
                    _engine.threads_arg(threads), _engine.accurate_flags(result_dtype, method))
    return _engine.cast_result(y, result_dtype)


# ---- convolve / correlate ----------------------------------------------------------------------

def _convolve_or_correlate(in1, in2, mode, method, corr, threads, backend):
    if corr:
        in1, in2, scalar = _operands(in1, in2, "in1 and in2 should have the same "
                                     "dimensionality", conj=True)
    else:
        in1, in2, scalar = _operands(in1, in2, "volume and kernel should have the same "
                                     "dimensionality")
    if scalar is not None:
        return scalar
    _check_mode(mode)
    m = _method(method)
    if in1.size == 0 or in2.size == 0:
        raise ValueError("%s: in1 and in2 must not be empty"
                         % ("correlate" if corr else "convolve"))
    rt = _result_type(in1, in2)
    x, h, op = in1, in2, _engine.CORRELATE if corr else _engine.CONVOLVE
    if _inputs_swap_needed(mode, in1.shape, in2.shape):
        # 'valid' with in2 the larger: convolution commutes; correlate(in1, in2) is
        # convolve(in1, reverse_conj(in2)), computed with the roles swapped
        x, h, op = (_reverse_and_conj(in2), in1, _engine.CONVOLVE) if corr else (in2, in1, op)
    out = _run(x, h, range(x.ndim), _pads(mode, h.shape), op, _engine.ZERO, m, threads,
               backend, rt)
    if method == "fft":
        _warn_nonfinite(out)
    return out


def _warn_nonfinite(out):
    v = out.flat[0] if out.size else 0
    if np.isnan(v) or np.isinf(v):
        warnings.warn("Use of fft convolution on input with NAN or inf results in NAN or inf "
                      "output. Consider using method='direct' instead.",
                      category=RuntimeWarning, stacklevel=4)


def convolve(in1, in2, mode="full", method="auto", *, threads=None, backend="auto"):
    """Convolve two N-dimensional arrays (scipy.signal.convolve).

    mode: 'full', 'valid' (one input at least as large as the other on every axis) or 'same'
    (the size of in1, centred). method: 'auto' (fconv's cost model), 'direct' or 'fft'.
    Integer and bool inputs give integer and bool results (rounded), like SciPy.
    """
    return _convolve_or_correlate(in1, in2, mode, method, False, threads, backend)


def correlate(in1, in2, mode="full", method="auto", *, threads=None, backend="auto"):
    """Cross-correlate two N-dimensional arrays (scipy.signal.correlate):
    z[k] = sum_l in1[l] * conj(in2[l - k + N2 - 1]) ('full'; other modes as convolve)."""
    return _convolve_or_correlate(in1, in2, mode, method, True, threads, backend)


# ---- fftconvolve / oaconvolve --------------------------------------------------------------------

def _iterable_of_int(x, name):
    if isinstance(x, numbers.Number):
        x = (x,)
    try:
        return [operator.index(a) for a in x]
    except TypeError as e:
        raise ValueError("%s must be a scalar or iterable of integers" % name) from e


def _freq_axes(in1, in2, mode, axes):
    """scipy.signal._init_freq_conv_axes: normalised axes (length-1 axes dropped: they
    broadcast), the shape check, and the 'valid' swap."""
    s1, s2 = in1.shape, in2.shape
    noaxes = axes is None
    if noaxes:
        axes = list(range(in1.ndim))
    else:
        axes = _iterable_of_int(axes, "axes")
        axes = [a + in1.ndim if a < 0 else a for a in axes]
        if any(a >= in1.ndim or a < 0 for a in axes):
            raise ValueError("axes exceeds dimensionality of input")
        if len(set(axes)) != len(axes):
            raise ValueError("all axes must be unique")
        if not len(axes):
            raise ValueError("when provided, axes cannot be empty")
    axes = [a for a in axes if s1[a] != 1 and s2[a] != 1]
    if not all(s1[a] == s2[a] or s1[a] == 1 or s2[a] == 1
               for a in range(in1.ndim) if a not in axes):
        raise ValueError("incompatible shapes for in1 and in2:"
                         " {0} and {1}".format(s1, s2))
    if _inputs_swap_needed(mode, s1, s2, axes=axes):
        in1, in2 = in2, in1
    return in1, in2, axes


def _fft_result_dtype(rt):
    """dtype of scipy.fft-based results: float64 for bool/int, float32 for float16."""
    if rt.kind in "biu":
        return np.dtype(np.float64)
    if rt == np.float16:
        return np.dtype(np.float32)
    return rt


def _centered(arr, newshape):
    start = [(c - n) // 2 for c, n in zip(arr.shape, newshape)]
    return arr[tuple(slice(s, s + n) for s, n in zip(start, newshape))]


def _freq_conv(in1, in2, mode, axes, method, threads, backend):
    in1, in2, scalar = _operands(in1, in2, "in1 and in2 should have the same dimensionality")
    if scalar is not None:
        return scalar
    _check_mode(mode, lower=True)
    if in1.size == 0 or in2.size == 0:
        return np.array([])
    in1, in2, axes = _freq_axes(in1, in2, mode, axes)
    s1 = in1.shape
    rt = _fft_result_dtype(np.result_type(in1, in2))
    if not axes:
        ret = in1 * in2  # only broadcast axes: a product, in its own dtype (as SciPy)
    else:
        ret = _run(in1, in2, axes, _pads(mode, [in2.shape[a] for a in axes]), _engine.CONVOLVE,
                   _engine.ZERO, method, threads, backend, rt)
    if mode == "same":  # SciPy crops every axis to in1's extent (also broadcast ones)
        ret = _centered(ret, s1)
    return np.ascontiguousarray(ret)


def fftconvolve(in1, in2, mode="full", axes=None, *, threads=None, backend="auto"):
    """Convolve two N-dimensional arrays with fconv's FFT path (scipy.signal.fftconvolve).

    axes: the axes to convolve (default all); on the others in1 and in2 must have equal
    extents or extent 1 (broadcast), and they are batches for fconv.
    """
    return _freq_conv(in1, in2, mode, axes, _engine.METHODS["fft"], threads, backend)


def oaconvolve(in1, in2, mode="full", axes=None, *, threads=None, backend="auto"):
    """Convolve two N-dimensional arrays with fconv's overlap-save path
    (scipy.signal.oaconvolve: same result as fftconvolve, efficient when one input is much
    larger than the other)."""
    return _freq_conv(in1, in2, mode, axes, _engine.METHODS["overlap-save"], threads, backend)


# ---- convolve2d / correlate2d ------------------------------------------------------------------

def _boundary(boundary):
    if boundary == "reflect":  # listed by SciPy, rejected by its implementation
        raise ValueError("Incorrect boundary value.")
    try:
        return _BOUNDARIES[boundary]
    except (KeyError, TypeError):
        raise ValueError("Acceptable boundary flags are 'fill', 'circular' "
                         "(or 'wrap'), and 'symmetric' (or 'symm').") from None


def _fillvalue(fillvalue, rt):
    fv = np.asarray(fillvalue)
    if fv.size != 1:
        raise ValueError("`fillvalue` must be scalar or an array with one element.")
    fv = fv.reshape(())
    if fv.dtype.kind not in "biufc":
        try:
            fv = np.asarray(complex(fv.item()))
        except (TypeError, ValueError) as e:
            raise ValueError(str(e)) from None
    if fv.dtype.kind == "c" and rt.kind != "c":
        raise ValueError("could not cast `fillvalue` directly to the output type (it was "
                         "first converted to complex).")
    with np.errstate(invalid="ignore", over="ignore"):
        return fv.astype(rt)[()]


def _conv2d(in1, in2, mode, boundary, fillvalue, name, corr, threads, backend):
    in1 = np.asarray(in1)
    in2 = np.asarray(in2)
    if not in1.ndim == in2.ndim == 2:
        raise ValueError("%s inputs must both be 2-D arrays" % name)
    swapped = _inputs_swap_needed(mode, in1.shape, in2.shape)
    if swapped:
        in1, in2 = in2, in1
    _check_mode(mode)
    b = _boundary(boundary)
    rt = np.result_type(in1, in2)
    fill = _fillvalue(fillvalue, rt)
    op = _engine.CORRELATE if corr else _engine.CONVOLVE
    out = _run(in1, in2, (0, 1), _pads(mode, in2.shape, correlate2d=corr), op, b,
               _engine.METHODS["auto"], threads, backend, rt,
               fill=fill if b == _engine.ZERO else None)
    if corr and swapped:
        out = out[::-1, ::-1]
    return out


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0, *, threads=None,
               backend="auto"):
    """Convolve two 2-D arrays (scipy.signal.convolve2d): boundary 'fill' (with fillvalue),
    'wrap' ('circular') or 'symm' ('symmetric')."""
    return _conv2d(in1, in2, mode, boundary, fillvalue, "convolve2d", False, threads, backend)


def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0, *, threads=None,
                backend="auto"):
    """Cross-correlate two 2-D arrays (scipy.signal.correlate2d, including its 'same' centring
    for even kernels and its result for 'valid' with in2 the larger)."""
    return _conv2d(in1, in2, mode, boundary, fillvalue, "correlate2d", True, threads, backend)


# ---- choose_conv_method / correlation_lags -------------------------------------------------------

def _timeit_fast(fn, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def choose_conv_method(in1, in2, mode="full", measure=False, *, threads=None, backend="auto"):
    """'direct' or 'fft': what convolve/correlate with method='auto' would run (fconv's choice
    for this problem; its overlap-save path counts as 'fft'). measure=True times both methods
    and returns (fastest, {'fft': s, 'direct': s})."""
    volume = np.asarray(in1)
    kernel = np.asarray(in2)
    if measure:
        times = {}
        for m in ("fft", "direct"):
            times[m] = _timeit_fast(lambda: convolve(volume, kernel, mode=mode, method=m,
                                                     threads=threads, backend=backend))
        return ("fft" if times["fft"] < times["direct"] else "direct"), times
    kinds = (volume.dtype.kind, kernel.dtype.kind)
    if any(k not in "buifc" for k in kinds):
        return "direct"
    # SciPy's guard: integers whose products could exceed a double's mantissa
    if any(k in "ui" for k in kinds) and volume.size and kernel.size:
        max_value = int(np.abs(volume).max()) * int(np.abs(kernel).max())
        max_value *= int(min(volume.size, kernel.size))
        if max_value > 2 ** np.finfo("float").nmant - 1:
            return "direct"
    if kinds == ("b", "b") or volume.ndim == 0 or volume.size == 0 or kernel.size == 0:
        return "direct"
    if volume.ndim > 3 or volume.ndim != kernel.ndim:
        return "direct"
    _check_mode(mode)
    if _inputs_swap_needed(mode, volume.shape, kernel.shape):
        volume, kernel = kernel, volume
    rt = np.result_type(volume, kernel)
    ct = _engine.compute_dtype(rt)
    if _engine.accurate_flags(rt, _engine.METHODS["auto"]):
        return "direct"  # integer results: convolve keeps fconv's direct method (FLAG_ACCURATE)
    with Plan(volume.shape, kernel.shape, ct, mode=mode, threads=_engine.threads_arg(threads),
              backend=backend) as plan:
        plan.set_kernel(np.asarray(kernel, dtype=ct))
        return "direct" if plan.info["method"] == "direct" else "fft"


def correlation_lags(in1_len, in2_len, mode="full"):
    """Lag indices for the 1-D cross-correlation of lengths in1_len and in2_len
    (scipy.signal.correlation_lags)."""
    if mode == "full":
        lags = np.arange(-in2_len + 1, in1_len)
    elif mode == "same":
        lags = np.arange(-in2_len + 1, in1_len)
        mid = lags.size // 2
        lag_bound = in1_len // 2
        if in1_len % 2 == 0:
            lags = lags[(mid - lag_bound):(mid + lag_bound)]
        else:
            lags = lags[(mid - lag_bound):(mid + lag_bound) + 1]
    elif mode == "valid":
        lag_bound = in1_len - in2_len
        if lag_bound >= 0:
            lags = np.arange(lag_bound + 1)
        else:
            lags = np.arange(lag_bound, 1)
    else:
        raise ValueError("Acceptable mode flags are 'valid', 'same', or 'full'.")
    return lags
