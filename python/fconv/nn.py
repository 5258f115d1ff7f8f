"""Multi-channel (CNN layer) convolution with PyTorch's conventions, computed by fconv.

    from fconv import nn
    y = nn.conv2d(x, w, stride=2, padding=3)          # like torch.nn.functional.conv2d
    y = nn.conv(x, w, padding="same", groups=x.shape[1])  # any rank 1-3, depthwise

conv(x, w, *, stride=1, padding=0, dilation=1, groups=1, boundary='zero', op='correlate',
     method='auto', backend='auto', threads=None, out=None) -> y

x: (N, C_in, *spatial) or unbatched (C_in, *spatial), 1 to 3 spatial axes.
w: (C_out, C_in / groups, *kernel), the same number of spatial axes.
y: (N, C_out, *out) (unbatched: (C_out, *out)), out = floor((n + p0 + p1 - d*(k-1) - 1) / s)
   + 1 per axis, as in PyTorch.
y[b, o] = sum over the C_in/groups inputs i of o's group of the cross-correlation of
x[b, g*C_in/groups + i] (extended by the padding) with w[o, i]: torch.nn.functional.convNd
(no bias: add it yourself). op='correlate' is fconv's (and SciPy's) correlation, which
conjugates complex kernels (PyTorch's complex convNd does not: pass w.conj() to match it);
op='convolve' flips the kernels instead.

stride, dilation: an int or one per spatial axis. padding: an int or one per axis (both
sides), one (before, after) pair per axis, 'valid' (none) or 'same' (PyTorch's rule:
d*(k-1) in all, the smaller half before; stride 1 only). boundary: how the padding is filled:
'zero' (PyTorch's F.convNd), 'wrap', 'symmetric', 'mirror', 'replicate', or PyTorch's
padding_mode names 'zeros', 'circular', 'reflect', 'replicate'.
dtype: float32 inputs compute in float32, complex64 in complex64, anything else in float64 or
complex128 (numpy.result_type of x and w, as fconv.signal); the result has that dtype.
method: 'auto' (fconv's cost model: direct with channel blocking, Winograd, FFT or
overlap-save with the channel sum per frequency), 'direct', 'fft', 'overlap-save'.
threads: CPU threads (None: fconv.set_default_threads' value, initially all cores).
out: a C-contiguous array of the result's shape and dtype to write into.
Plans are kept in the one-shot plan cache (fconv.plan_cache), so repeated calls with the same
shapes pay for planning once; fconv.Plan(..., channels=(C_in, C_out)) holds one explicitly.
"""

import numbers

import numpy as np

from . import _core, _engine
from ._plan import _per_axis as _axis_values, backend_code, method_code

__all__ = ["conv", "conv1d", "conv2d", "conv3d"]

_BOUNDARY_ALIASES = {"zeros": "zero", "circular": "wrap", "reflect": "mirror"}


def _per_axis(v, rank, what, minimum):
    vals = _axis_values(v, rank, what)
    if any(s < minimum for s in vals):
        raise ValueError("%s must be >= %d, got %r" % (what, minimum, v))
    return vals


def _pads(padding, kshape, dilation, stride):
    rank = len(kshape)
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0)] * rank
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' needs stride 1 (as in PyTorch)")
            tot = [d * (k - 1) for k, d in zip(kshape, dilation)]
            return [(t // 2, t - t // 2) for t in tot]
        raise ValueError("padding must be an int, a sequence, 'valid' or 'same', got %r"
                         % (padding,))
    if isinstance(padding, numbers.Integral):
        p = int(padding)
        if p < 0:
            raise ValueError("padding must be >= 0, got %d" % p)
        return [(p, p)] * rank
    pads = list(padding)
    if len(pads) != rank:
        raise ValueError("padding needs one entry per spatial axis (%d), got %d"
                         % (rank, len(pads)))
    out = []
    for p in pads:
        pair = (int(p), int(p)) if isinstance(p, numbers.Integral) else tuple(int(v) for v in p)
        if len(pair) != 2 or min(pair) < 0:
            raise ValueError("padding entries must be ints or (before, after) pairs >= 0, got %r"
                             % (p,))
        out.append(pair)
    return out


def conv(x, w, *, stride=1, padding=0, dilation=1, groups=1, boundary="zero", op="correlate",
         method="auto", backend="auto", threads=None, out=None):
    """Multi-channel convolution (PyTorch's F.conv1d/2d/3d conventions); see the module."""
    x = np.asarray(x)
    w = np.asarray(w)
    rank = w.ndim - 2
    if rank < 1 or rank > 3:
        raise ValueError("w must have shape (C_out, C_in/groups, *kernel) with 1 to 3 kernel "
                         "axes, got %d dimensions" % w.ndim)
    unbatched = x.ndim == rank + 1
    if x.ndim != rank + 2 and not unbatched:
        raise ValueError("x must have shape (N, C_in, *spatial) or (C_in, *spatial) with %d "
                         "spatial axes (as w), got %d dimensions" % (rank, x.ndim))
    if unbatched:
        x = x[np.newaxis]
    n, cin = x.shape[0], x.shape[1]
    cout, cig = w.shape[0], w.shape[1]
    groups = int(groups)
    if groups < 1 or cin % groups or cout % groups:
        raise ValueError("groups (%d) must divide in_channels (%d) and out_channels (%d)"
                         % (groups, cin, cout))
    if cig * groups != cin:
        raise ValueError("w has %d input channels per group; x has %d channels in %d groups "
                         "(%d per group)" % (cig, cin, groups, cin // groups))
    stride = _per_axis(stride, rank, "stride", 1)
    dilation = _per_axis(dilation, rank, "dilation", 1)
    kshape = list(w.shape[2:])
    pads = _pads(padding, kshape, dilation, stride)
    bnd = _BOUNDARY_ALIASES.get(boundary, boundary)
    if bnd not in _engine.BOUNDARIES:
        raise ValueError("boundary must be one of %s, got %r"
                         % (", ".join(map(repr, list(_engine.BOUNDARIES) +
                                          list(_BOUNDARY_ALIASES))), boundary))
    if op not in ("correlate", "convolve"):
        raise ValueError("op must be 'correlate' or 'convolve', got %r" % (op,))
    sshape = list(x.shape[2:])
    oshape = []
    for nn_, k, d, s, (p0, p1) in zip(sshape, kshape, dilation, stride, pads):
        span = nn_ + p0 + p1 - d * (k - 1)
        if span < 1:
            raise ValueError("the padded input (%d) is smaller than the dilated kernel (%d)"
                             % (nn_ + p0 + p1, d * (k - 1) + 1))
        oshape.append((span - 1) // s + 1)
    ct = _engine.compute_dtype(np.result_type(x, w))
    yshape = (n, cout) + tuple(oshape)
    if out is not None:
        want = yshape[1:] if unbatched else yshape
        if (not isinstance(out, np.ndarray) or out.shape != want or out.dtype != ct
                or not out.flags.c_contiguous or not out.flags.writeable):
            raise ValueError("out must be a writeable C-contiguous %s array of shape %s"
                             % (ct, want))
        y = out.reshape(yshape)
    else:
        y = np.empty(yshape, ct)
    result = out if out is not None else (y[0] if unbatched else y)
    if y.size == 0:
        return result
    if x.size == 0 or w.size == 0:  # no input channel or no sample: every sum is empty
        y[...] = 0
        return result
    xc = np.ascontiguousarray(x, dtype=ct)
    wc = np.ascontiguousarray(w, dtype=ct)
    _core.execute_once(xc, wc, y, sshape, kshape, n, 1, _engine.dtype_code(ct),
                       _engine.CORRELATE if op == "correlate" else _engine.CONVOLVE,
                       _engine.BOUNDARIES[bnd], [p[0] for p in pads], [p[1] for p in pads],
                       method_code(method), backend_code(backend), _engine.threads_arg(threads),
                       0, cin, cout, groups, dilation, stride)
    return result


def _ranked(rank):
    def f(x, w, **kw):
        w = np.asarray(w)
        if w.ndim != rank + 2:
            raise ValueError("conv%dd needs w of shape (C_out, C_in/groups%s), got %d "
                             "dimensions" % (rank, ", k" * rank, w.ndim))
        return conv(x, w, **kw)
    f.__name__ = "conv%dd" % rank
    f.__doc__ = ("conv with %d spatial axes (torch.nn.functional.conv%dd's conventions); see "
                 "fconv.nn." % (rank, rank))
    return f


conv1d = _ranked(1)
conv2d = _ranked(2)
conv3d = _ranked(3)
