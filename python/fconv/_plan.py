"""fconv.Plan: one fconv plan, created once and called on many signals."""

import numpy as np

from . import _core, _engine

_MODES = {"full": _engine.MODE_FULL, "same": _engine.MODE_SAME, "valid": _engine.MODE_VALID,
          "pad": _engine.MODE_PAD}
_OPS = {"convolve": _engine.CONVOLVE, "correlate": _engine.CORRELATE}
_METHOD_ALIASES = {"os": "overlap-save", "overlap_save": "overlap-save"}


def _lookup(table, name, what):
    try:
        return table[name]
    except (KeyError, TypeError):
        raise ValueError("%s must be one of %s, got %r" % (what, ", ".join(map(repr, table)),
                                                           name)) from None


def method_code(name):
    return _lookup(_engine.METHODS, _METHOD_ALIASES.get(name, name), "method")


def backend_code(name):
    return _lookup(_engine.BACKENDS, name, "backend")


def _per_axis(value, rank, what):
    if np.ndim(value) == 0:
        return [int(value)] * rank
    v = [int(s) for s in value]
    if len(v) != rank:
        raise ValueError("%s needs %d entries (one per axis), got %d" % (what, rank, len(v)))
    return v


class Plan(_core.Plan):
    """One fconv plan: validated, chosen and planned once, then called on many signals.

    Plan(signal_shape, kernel_shape, dtype='float64', *, batch=1, kernel_batch=1, mode='full',
         op='convolve', boundary='zero', stride=1, pad=None, method='auto', backend='auto',
         threads=0, measure=False, separable=True, device=False, channels=None, groups=1,
         dilation=1)

    signal_shape, kernel_shape: extents of one signal and one kernel (1 to 3 axes, C order).
    dtype: float32, float64, complex64 or complex128 (signal, kernel and output share it).
    batch, kernel_batch: signals and kernels per call, stored back to back; outputs number
        max(batch, kernel_batch) (kernel_batch may exceed 1 with batch 1: a filter bank).
    mode: 'full', 'same', 'valid' or 'pad' (then pad = (before, after) for every axis, or one
        pair per axis).  op: 'convolve' or 'correlate' (the kernel flipped and conjugated).
    boundary: 'zero', 'wrap', 'symmetric', 'mirror' or 'replicate' (np.pad's 'constant',
        'wrap', 'symmetric', 'reflect', 'edge').  stride: output step, per axis or for all.
    method: 'auto', 'direct', 'fft', 'overlap-save'.  backend: 'auto', 'cpu', 'cuda'.
    threads: CPU threads (0: all cores).  measure: time the candidates at creation
        (FCONV_FLAG_MEASURE).  separable=False: never run rank-1 kernels as 1-D passes.
    device: arrays are CUDA device arrays (__cuda_array_interface__ or DLPack), for the CUDA
        backend (FCONV_FLAG_DEVICE_POINTERS); calls then need out=.
    channels=(C_in, C_out), groups: a multi-channel (CNN layer) plan, fconv_desc_set_channels:
        the signal holds batch x C_in x signal_shape, the kernel C_out x (C_in / groups) x
        kernel_shape (kernel_batch 1), and output channel o sums its group's C_in / groups
        input channels, each convolved with its own kernel; the output always has shape
        (batch, C_out) + spatial shape. groups = C_in = C_out is depthwise.
    dilation: kernel taps `dilation` samples apart, per axis or for all
        (fconv_desc_set_dilation); the effective extent (k-1)*dilation + 1 is the kernel
        extent of every padding rule. fconv.nn.conv has PyTorch's argument conventions.

    plan(signal, kernel=None, out=None) -> out: signal holds batch * prod(signal_shape)
    elements (any shape), kernel kernel_batch * prod(kernel_shape) or None for the kernel set
    with set_kernel(); the result has shape plan.output_shape. plan.info tells what fconv chose
    and why. The computation runs without the GIL; one plan serialises its own calls.
    Errors raise fconv.Error subclasses (InvalidArgumentError is a ValueError, ...).
    """

    def __init__(self, signal_shape, kernel_shape, dtype="float64", *, batch=1, kernel_batch=1,
                 mode="full", op="convolve", boundary="zero", stride=1, pad=None,
                 method="auto", backend="auto", threads=0, measure=False, separable=True,
                 device=False, channels=None, groups=1, dilation=1):
        sshape = [int(s) for s in np.atleast_1d(signal_shape)]
        kshape = [int(s) for s in np.atleast_1d(kernel_shape)]
        rank = len(sshape)
        if len(kshape) != rank:
            raise ValueError("signal_shape and kernel_shape need the same number of axes")
        try:
            code = _engine.dtype_code(dtype)
        except (KeyError, TypeError):
            raise ValueError("dtype must be float32, float64, complex64 or complex128, got %r"
                             % (dtype,)) from None
        m = _lookup(_MODES, mode, "mode")
        before = after = [0] * rank
        if m == _engine.MODE_PAD:
            if pad is None:
                raise ValueError("mode='pad' needs pad=(before, after) or one pair per axis")
            p = np.asarray(pad, dtype=np.int64)
            if p.shape == (2,):
                p = np.tile(p, (rank, 1))
            if p.shape != (rank, 2):
                raise ValueError("pad must be (before, after) or %d such pairs" % rank)
            before, after = [int(v) for v in p[:, 0]], [int(v) for v in p[:, 1]]
        elif pad is not None:
            raise ValueError("pad= is only used with mode='pad'")
        flags = 0
        if measure:
            flags |= _core.FLAG_MEASURE
        if not separable:
            flags |= _core.FLAG_NO_SEPARABLE
        if device:
            flags |= _core.FLAG_DEVICE_POINTERS
        ext = {}
        if channels is not None:
            if np.ndim(channels) != 1 or len(channels) != 2:
                raise ValueError("channels must be (in_channels, out_channels), got %r"
                                 % (channels,))
            ext = {"in_channels": int(channels[0]), "out_channels": int(channels[1]),
                   "groups": int(groups)}
        elif int(groups) != 1:
            raise ValueError("groups needs channels=(in_channels, out_channels)")
        if np.ndim(dilation) != 0 or int(dilation) != 1:
            ext["dilation"] = _per_axis(dilation, rank, "dilation")
        super().__init__(sshape, kshape, code, int(batch), int(kernel_batch), m,
                         _lookup(_OPS, op, "op"),
                         _lookup(_engine.BOUNDARIES, boundary, "boundary"),
                         _per_axis(stride, rank, "stride"), before, after, method_code(method),
                         backend_code(backend), int(threads), flags, **ext)

    @property
    def dtype(self):
        return _engine.DTYPES[self._desc["dtype"]]

    @property
    def signal_shape(self):
        return self._desc["signal_shape"]

    @property
    def kernel_shape(self):
        return self._desc["kernel_shape"]

    @property
    def batch(self):
        return self._desc["batch"]

    @property
    def kernel_batch(self):
        return self._desc["kernel_batch"]

    @property
    def channels(self):
        """(C_in, C_out) of a multi-channel plan, None for a plain one."""
        d = self._desc
        return (d["in_channels"], d["out_channels"]) if d["channels"] else None

    @property
    def groups(self):
        return self._desc["groups"]

    @property
    def dilation(self):
        return self._desc["dilation"]

    def __repr__(self):
        if self.closed:
            return "<fconv.Plan (closed)>"
        d = self._desc
        i = self.info
        ch = (" channels %d -> %d groups %d" % (d["in_channels"], d["out_channels"], d["groups"])
              if d["channels"] else "")
        return ("<fconv.Plan %s signal %s kernel %s batch %d kernel_batch %d%s -> %s: %s on %s>"
                % (self.dtype, d["signal_shape"], d["kernel_shape"], d["batch"],
                   d["kernel_batch"], ch, self.output_shape, i["method"], i["backend"]))
