"""fconv: fast 1-D, 2-D and 3-D convolution and correlation (libfconv) for NumPy.

    import fconv
    from fconv import signal, ndimage      # SciPy's names and semantics
    from fconv import nn                   # CNN layers, PyTorch's F.conv1d/2d/3d conventions

    y = signal.convolve(x, h, mode="same")              # like scipy.signal.convolve
    z = ndimage.correlate(img, w, mode="mirror")         # like scipy.ndimage.correlate

    plan = fconv.Plan((64,), (3,), "float32", mode="same")   # fconv's own layer
    plan.set_kernel(h3)
    for x in signals:
        y = plan(x)
    plan.info   # {'method': 'direct', 'backend': 'cpu', 'reason': ..., ...}

fconv.signal: convolve, correlate, fftconvolve, oaconvolve, convolve2d, correlate2d,
choose_conv_method, correlation_lags.  fconv.ndimage: correlate, convolve, correlate1d,
convolve1d.  fconv.nn: conv, conv1d, conv2d, conv3d (multi-channel layers: N x C_in x
spatial signals, C_out x C_in/groups x kernel weights, stride, padding, dilation, groups;
fconv.Plan(..., channels=(C_in, C_out)) is the same as a reusable plan).  Errors from the library raise fconv.Error subclasses (InvalidArgumentError is
also a ValueError, UnsupportedError a NotImplementedError, OutOfMemoryError a MemoryError;
NoDeviceError, CudaError, FFTError, InternalError); `err.status` is the fconv_status value.
The computations run with the GIL released.

fconv.set_default_threads(n) sets the CPU threads of the SciPy-style functions called without
threads= (initially 0: all cores). The one-shot functions keep recently used plans in a small cache (plan_cache() reads and sets
its limits; clear_plan_cache() empties it).

fconv.wisdom_export(path=None), fconv.wisdom_import(text, path=), fconv.wisdom_forget(): FFTW
wisdom, so that Plan(..., measure=True) pays FFTW_MEASURE once per machine and shape.

fconv.Stream(responses, block) filters endless multi-channel signals block by block
(fconv_stream_*: convolution reverb, long FIR filters): stream.process(x) per block (or several
blocks at once), reset(), set_responses(..., crossfade=), work() for a worker thread, info.
"""

from . import _core
from ._core import (CudaError, Error, FFTError, InternalError, InvalidArgumentError,
                    NoDeviceError, OutOfMemoryError, UnsupportedError, clear_plan_cache,
                    cuda_device_count, plan_cache)
from ._core import wisdom_forget
from ._engine import set_default_threads
from ._plan import Plan
from ._stream import Stream
from . import ndimage, nn, signal

__all__ = ["Plan", "Stream", "signal", "ndimage", "nn", "wisdom_export", "wisdom_import",
           "wisdom_forget", "Error", "InvalidArgumentError", "UnsupportedError",
           "OutOfMemoryError", "NoDeviceError", "CudaError", "FFTError", "InternalError",
           "plan_cache", "clear_plan_cache", "set_default_threads", "cuda_device_count", "version",
           "library_version", "status_string"]

#: the libfconv this module was built against: "MAJOR.MINOR.PATCH (features)"
library_version = _core.version_string()
__version__ = library_version.split()[0]


def version():
    """(MAJOR, MINOR, PATCH) of the loaded libfconv (fconv_version_number)."""
    n = _core.version_number()
    return (n // 10000, n // 100 % 100, n % 100)


def wisdom_export(path=None):
    """FFTW wisdom (the FFTW_MEASURE results of this process, float and double) as a str, or
    written to the file `path` (atomically) — fconv_wisdom_export_string / _file."""
    return _core.wisdom_export(None if path is None else str(path))


def wisdom_import(text=None, *, path=None):
    """Add FFTW wisdom from a str (as wisdom_export returns) or from the file `path`
    (fconv_wisdom_import_string / _file). Text that is not fconv wisdom, or a file that cannot
    be read, raises InvalidArgumentError; wisdom FFTW rejects (another FFTW build) FFTError."""
    if (text is None) == (path is None):
        raise TypeError("wisdom_import needs text or path= (one of them)")
    if path is not None:
        return _core.wisdom_import(str(path), True)
    return _core.wisdom_import(text, False)


def status_string(status):
    """fconv_status_string: the library's sentence for a status value."""
    return _core.status_string(int(status))
