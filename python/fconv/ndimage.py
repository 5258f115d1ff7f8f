"""scipy.ndimage's convolution filters, computed by fconv.

correlate, convolve, correlate1d, convolve1d with SciPy 1.10's signatures, argument checks,
kernel centring (origin), modes and output handling (output= a dtype or an array, which may be
the input itself). Extra keyword-only arguments: `axes` (correlate/convolve: filter only these
axes; weights then have one dimension per listed axis, as in later SciPy versions), `threads`
(CPU threads, 0 = all cores; default: fconv.set_default_threads) and `backend` ('auto', 'cpu',
'cuda').

Modes map onto fconv's boundary rules:
    'reflect' = 'grid-mirror'  (d c b a | a b c d | d c b a)  FCONV_BOUNDARY_SYMMETRIC
    'mirror'                   (d c b | a b c d | c b a)      FCONV_BOUNDARY_MIRROR
    'nearest'                  (a a a | a b c d | d d d)      FCONV_BOUNDARY_REPLICATE
    'wrap' = 'grid-wrap'       (a b c d | a b c d | a b c d)  FCONV_BOUNDARY_WRAP
    'constant' = 'grid-constant' (k k k | a b c d | k k k), k = cval: FCONV_BOUNDARY_ZERO, with
        a non-zero cval written into an extended copy of the input first.
All repeat periodically when the kernel is longer than the input, as in SciPy.

Differences from SciPy (by design): float32 and complex64 inputs are computed in single
precision (SciPy computes every filter in double precision); integer inputs in float64 with
the result truncated to the output's integer type like SciPy's C cast; object arrays are a
TypeError.
"""

import warnings
from collections.abc import Iterable

import numpy as np

from . import _engine
from ._plan import backend_code

__all__ = ["correlate", "convolve", "correlate1d", "convolve1d"]

_MODES = {"reflect": _engine.SYMMETRIC, "grid-mirror": _engine.SYMMETRIC,
          "mirror": _engine.MIRROR, "nearest": _engine.REPLICATE, "wrap": _engine.WRAP,
          "grid-wrap": _engine.WRAP, "constant": _engine.ZERO, "grid-constant": _engine.ZERO}


def _mode(mode):
    if isinstance(mode, str) and mode in _MODES:
        return _MODES[mode]
    raise RuntimeError("boundary mode not supported")


def _normalize_sequence(value, rank):
    if not isinstance(value, str) and isinstance(value, Iterable):
        normalized = list(value)
        if len(normalized) != rank:
            raise RuntimeError("sequence argument must have length equal to input rank")
        return normalized
    return [value] * rank


def _get_output(output, input, complex_output=False):
    """scipy.ndimage._ni_support._get_output: the output array for `output`."""
    shape = input.shape
    if output is None:
        if not complex_output:
            return np.zeros(shape, dtype=input.dtype.name)
        return np.zeros(shape, dtype=np.promote_types(input.dtype, np.complex64))
    if isinstance(output, (type, np.dtype)):
        if complex_output and np.dtype(output).kind != "c":
            warnings.warn("promoting specified output dtype to complex", stacklevel=4)
            output = np.promote_types(output, np.complex64)
        return np.zeros(shape, dtype=output)
    if isinstance(output, str):
        output = np.sctypeDict[output]
        if complex_output and np.dtype(output).kind != "c":
            raise RuntimeError("output must have complex dtype")
        return np.zeros(shape, dtype=output)
    if output.shape != shape:
        raise RuntimeError("output shape not correct")
    if complex_output and output.dtype.kind != "c":
        raise RuntimeError("output must have complex dtype")
    return output


def _invalid_origin(origin, lenw):
    return (origin < -(lenw // 2)) or (origin > (lenw - 1) // 2)


def _axes(axes, ndim):
    if axes is None:
        return list(range(ndim))
    axes = [int(a) for a in np.atleast_1d(axes)]
    axes = [a + ndim if a < 0 else a for a in axes]
    if any(a < 0 or a >= ndim for a in axes):
        raise ValueError("axes exceeds dimensionality of input")
    if len(set(axes)) != len(axes):
        raise ValueError("all axes must be unique")
    return axes


def _filter(input, weights, axes, output, mode, cval, origins, threads, backend):
    """out[i] = sum_j conj(w[j]) * xe[i + j - (K//2 + origin)] along `axes` (ndimage's
    correlation; weights have one dimension per axis)."""
    boundary = _mode(mode)
    _engine.compute_dtype(input.dtype)  # TypeError for object, str, ... arrays
    complex_out = input.dtype.kind == "c" or weights.dtype.kind == "c"
    if output.size == 0 or input.size == 0:
        return output
    single = input.dtype in (np.float16, np.float32, np.complex64)
    ct = _engine.compute_dtype(np.complex64 if complex_out else np.float32, single=single)
    x = np.asarray(input, dtype=ct)
    h = np.asarray(weights, dtype=ct).reshape(
        [weights.shape[axes.index(a)] if a in axes else 1 for a in range(input.ndim)])
    pads = []
    for a, o in zip(axes, origins):
        k = h.shape[a]
        p0 = k // 2 + o
        pads.append((p0, k - 1 - p0))
    if boundary == _engine.ZERO and cval != 0:
        width = [(0, 0)] * x.ndim
        for a, p in zip(axes, pads):
            width[a] = p
        x = np.pad(x, width, mode="constant", constant_values=cval)
        pads = [(0, 0)] * len(axes)
    direct = (output.dtype == ct and output.flags.c_contiguous and output.flags.writeable
              and not np.may_share_memory(output, input))
    auto = _engine.METHODS["auto"]
    y = _engine.run(x, h, axes, pads, _engine.CORRELATE, boundary, auto, backend_code(backend),
                    _engine.threads_arg(threads), _engine.accurate_flags(output.dtype, auto),
                    out=output if direct else None)
    if y is not output:
        output[...] = _engine.cast_result(y, output.dtype, rounding="trunc")
    return output


def _check_cval(input, weights, cval):
    if (input.dtype.kind != "c" and weights.dtype.kind == "c"
            and np.iscomplexobj(cval)):
        raise ValueError("Cannot provide a complex-valued cval when the input is real.")
    if input.dtype.kind != "c" and np.iscomplexobj(cval):
        raise TypeError("a complex cval needs a complex input")


def correlate1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0, *,
                threads=None, backend="auto"):
    """Correlate `input` with the 1-D `weights` along `axis` (scipy.ndimage.correlate1d):
    out[i] = sum_j conj(w[j]) * in[i + j - (len(w) // 2) - origin], the input extended by
    `mode`."""
    input = np.asarray(input)
    weights = np.asarray(weights)
    complex_out = input.dtype.kind == "c" or weights.dtype.kind == "c"
    output = _get_output(output, input, complex_output=complex_out)
    _check_cval(input, weights, cval)
    if weights.ndim != 1 or weights.shape[0] < 1:
        raise RuntimeError("no filter weights given")
    axis = np.core.multiarray.normalize_axis_index(axis, input.ndim)
    if _invalid_origin(origin, len(weights)):
        raise ValueError("Invalid origin; origin must satisfy "
                         "-(len(weights) // 2) <= origin <= "
                         "(len(weights)-1) // 2")
    _mode(mode)
    return _filter(input, weights, [axis], output, mode, cval, [origin], threads, backend)


def convolve1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0, *,
               threads=None, backend="auto"):
    """Convolve `input` with the 1-D `weights` along `axis` (scipy.ndimage.convolve1d):
    correlate1d with the weights reversed (not conjugated) and the origin mirrored
    (-origin, minus one more for an even number of weights)."""
    weights = np.asarray(weights)
    weights = weights[::-1]
    origin = -origin
    if not len(weights) & 1:
        origin -= 1
    if weights.dtype.kind == "c":
        weights = weights.conj()  # undone by correlate1d's conjugation
    return correlate1d(input, weights, axis, output, mode, cval, origin, threads=threads,
                       backend=backend)


def _correlate_or_convolve(input, weights, output, mode, cval, origin, convolution, axes,
                           threads, backend):
    input = np.asarray(input)
    weights = np.asarray(weights)
    complex_out = input.dtype.kind == "c" or weights.dtype.kind == "c"
    if complex_out:
        output = _get_output(output, input, complex_output=True)
        _check_cval(input, weights, cval)
    axes = _axes(axes, input.ndim)
    origins = _normalize_sequence(origin, len(axes))
    wshape = [ii for ii in weights.shape if ii > 0]
    if len(wshape) != len(axes) or weights.ndim != len(axes):
        raise RuntimeError("filter weights array has incorrect shape.")
    if convolution:
        weights = weights[tuple([slice(None, None, -1)] * weights.ndim)]
        if weights.dtype.kind == "c":
            weights = weights.conj()  # undone by the correlation's conjugation
        for ii in range(len(origins)):
            origins[ii] = -origins[ii]
            if not weights.shape[ii] & 1:
                origins[ii] -= 1
    for o, lenw in zip(origins, wshape):
        if _invalid_origin(o, lenw):
            raise ValueError("Invalid origin; origin must satisfy "
                             "-(weights.shape[k] // 2) <= origin[k] <= "
                             "(weights.shape[k]-1) // 2")
    if not complex_out:
        output = _get_output(output, input)
    if not isinstance(mode, str) and isinstance(mode, Iterable):
        raise RuntimeError("A sequence of modes is not supported")
    _mode(mode)
    return _filter(input, weights, axes, output, mode, cval, origins, threads, backend)


def correlate(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None,
              threads=None, backend="auto"):
    """Multidimensional correlation (scipy.ndimage.correlate): out[i] = sum_j conj(w[j]) *
    in[i + j - (w.shape // 2) - origin] over every axis (or `axes`), the input extended by
    `mode` (and `cval` for 'constant')."""
    return _correlate_or_convolve(input, weights, output, mode, cval, origin, False, axes,
                                  threads, backend)


def convolve(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None,
             threads=None, backend="auto"):
    """Multidimensional convolution (scipy.ndimage.convolve): correlate with the weights
    reversed on every axis and the origins mirrored (see convolve1d)."""
    return _correlate_or_convolve(input, weights, output, mode, cval, origin, True, axes,
                                  threads, backend)
