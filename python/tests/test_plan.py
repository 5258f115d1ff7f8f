"""fconv.Plan: creation, set_kernel, reuse, batches, every option, info, output handling, device
arrays (parsing; execution only where a GPU exists), and the one-shot plan cache."""

import ctypes
import ctypes.util

import numpy as np
import pytest
import scipy.signal as ss

import fconv

from conftest import assert_conv_close, random_array

NP_BOUNDARY = {"zero": "constant", "wrap": "wrap", "symmetric": "symmetric",
               "mirror": "reflect", "replicate": "edge"}


def reference(x, h, mode="full", op="convolve", boundary="zero", stride=1, pad=None):
    """fconv's semantics (DESIGN.md) from NumPy and SciPy: extend with np.pad (pads no longer
    than the signal, where np.pad is periodic), then SciPy's valid convolution, then stride."""
    k = h.shape
    if mode == "full":
        pads = [(kk - 1, kk - 1) for kk in k]
    elif mode == "same":
        pads = [(kk // 2, (kk - 1) // 2) for kk in k]
    elif mode == "valid":
        pads = [(0, 0)] * len(k)
    else:
        pads = pad
    xe = np.pad(x, pads, mode=NP_BOUNDARY[boundary])
    g = h if op == "convolve" else np.conj(h[(slice(None, None, -1),) * h.ndim])
    y = ss.convolve(xe, g, "valid", method="direct")
    return y[(slice(None, None, stride),) * y.ndim]


def test_reuse_and_every_option_against_reference(rng):
    for _ in range(40):
        rank = int(rng.integers(1, 4))
        n = tuple(int(v) for v in rng.integers(4, 10, size=rank))
        k = tuple(int(v) for v in rng.integers(1, 5, size=rank))
        dt = [np.float32, np.float64, np.complex64, np.complex128][rng.integers(4)]
        mode = str(rng.choice(["full", "same", "valid", "pad"]))
        op = str(rng.choice(["convolve", "correlate"]))
        boundary = str(rng.choice(list(NP_BOUNDARY)))
        stride = int(rng.integers(1, 3))
        method = str(rng.choice(["auto", "direct", "fft", "overlap-save"]))
        pad = [(int(rng.integers(0, kk + 1)), int(rng.integers(0, kk + 1))) for kk in k]
        pad = [(max(a, 0), max(b, 0)) for a, b in pad]
        pad = [(a, b) if nn + a + b >= kk else (kk, kk) for (a, b), nn, kk in zip(pad, n, k)]
        plan = fconv.Plan(n, k, dt, mode=mode, op=op, boundary=boundary, stride=stride,
                          pad=pad if mode == "pad" else None, method=method, threads=1)
        h = random_array(rng, k, dt)
        plan.set_kernel(h)
        assert plan.kernel_set
        for _ in range(3):  # many signals, one plan
            x = random_array(rng, n, dt)
            want = reference(x, h, mode, op, boundary, stride, pad)
            got = plan(x)
            assert got.shape == plan.output_shape == want.shape
            assert got.dtype == np.dtype(dt)
            assert_conv_close(got, want, np.pad(x, 4, mode="wrap"), h,
                              np.dtype(dt) in (np.float32, np.complex64))
            # the kernel passed to the call instead of set_kernel: same result
            np.testing.assert_allclose(plan(x, h), got, rtol=1e-5, atol=1e-5)
        info = plan.info
        assert info["backend"] == "cpu" and info["threads"] == 1
        assert info["method"] in ("direct", "fft", "overlap-save")
        if method != "auto":
            assert info["method"] == method


def test_batches_and_filter_bank(rng):
    x = random_array(rng, (5, 40), np.float64)
    h = random_array(rng, (5, 7), np.float64)
    paired = fconv.Plan((40,), (7,), batch=5, kernel_batch=5, mode="same")
    y = paired(x, h)
    assert y.shape == paired.output_shape == (5, 40)
    for i in range(5):
        np.testing.assert_allclose(y[i], ss.convolve(x[i], h[i], "same"), rtol=1e-12,
                                   atol=1e-12)
    bank = fconv.Plan((40,), (7,), kernel_batch=5)
    yb = bank(x[0], h)
    for i in range(5):
        np.testing.assert_allclose(yb[i], ss.convolve(x[0], h[i]), rtol=1e-12, atol=1e-12)
    one_kernel = fconv.Plan((40,), (7,), batch=5)
    yk = one_kernel(x, h[0])
    for i in range(5):
        np.testing.assert_allclose(yk[i], ss.convolve(x[i], h[0]), rtol=1e-12, atol=1e-12)


def test_out_argument_and_input_conversion():
    plan = fconv.Plan((8,), (3,), "float32")
    x = np.arange(8, dtype=np.float32)
    h = np.array([1, 2, 3], np.float32)
    out = np.empty(10, np.float32)
    assert plan(x, h, out=out) is out
    np.testing.assert_array_equal(out, np.convolve(x, h))
    np.testing.assert_array_equal(plan(list(range(8)), [1, 2, 3]), out)  # lists convert
    np.testing.assert_array_equal(plan(x[None, :], h), out)  # any shape with the right size
    with pytest.raises(TypeError):  # arrays are not down-cast silently
        plan(x.astype(np.float64), h)
    with pytest.raises(ValueError, match="elements"):
        plan(np.ones(9, np.float32), h)
    with pytest.raises(TypeError, match="dtype"):
        plan(x, h, out=np.empty(10, np.float64))
    with pytest.raises(ValueError, match="contiguous"):
        plan(x, h, out=np.empty(20, np.float32)[::2])
    with pytest.raises(ValueError, match="elements"):
        plan(x, h, out=np.empty(11, np.float32))
    buf = np.zeros(20, np.float32)
    with pytest.raises(ValueError, match="overlaps"):
        plan(buf[:8], h, out=buf[5:15])
    with pytest.raises(ValueError, match="no kernel"):
        plan(x)


def test_close_context_manager_and_repr():
    with fconv.Plan((16, 16), (3, 3), "complex64", mode="same") as plan:
        assert "complex64" in repr(plan) and "(16, 16)" in repr(plan)
        assert plan.signal_shape == (16, 16) and plan.kernel_shape == (3, 3)
        assert plan.dtype == np.complex64 and plan.batch == 1 and plan.kernel_batch == 1
    assert plan.closed
    assert "closed" in repr(plan)
    with pytest.raises(ValueError, match="closed"):
        plan(np.ones((16, 16), np.complex64), np.ones((3, 3), np.complex64))
    plan.close()  # twice is fine


def test_bad_arguments():
    with pytest.raises(ValueError, match="dtype"):
        fconv.Plan((8,), (3,), "int32")
    with pytest.raises(ValueError, match="mode"):
        fconv.Plan((8,), (3,), mode="nope")
    with pytest.raises(ValueError, match="pad"):
        fconv.Plan((8,), (3,), mode="pad")
    with pytest.raises(ValueError, match="same number of axes"):
        fconv.Plan((8, 8), (3,))
    with pytest.raises(ValueError, match="rank"):
        fconv.Plan((2, 2, 2, 2), (1, 1, 1, 1))
    # the library's own validation: InvalidArgumentError (a ValueError) with its message
    with pytest.raises(fconv.InvalidArgumentError) as e:
        fconv.Plan((2, 3), (3, 2), mode="valid")
    assert e.value.status == 1
    assert fconv.status_string(1) in str(e.value)
    with pytest.raises(ValueError):
        fconv.Plan((8,), (3,), stride=0)
    with pytest.raises(fconv.InvalidArgumentError):
        fconv.Plan((8,), (3,), batch=2, kernel_batch=3)
    with pytest.raises(fconv.InvalidArgumentError):
        fconv.Plan((8,), (0,))


def test_measure_and_separable_flags():
    p = fconv.Plan((64, 64), (5, 5), "float32", measure=True)
    assert p.info["measured"] is True and p.info["reason"].startswith("measured")
    assert fconv.Plan((64, 64), (5, 5), "float32").info["measured"] is False
    q = fconv.Plan((64, 64), (5, 5), "float32", method="direct", separable=False)
    q.set_kernel(np.outer(np.arange(1, 6), np.arange(1, 6)).astype(np.float32))
    assert q.info["separable"] is False
    r = fconv.Plan((64, 64), (5, 5), "float32", method="direct")
    r.set_kernel(np.outer(np.arange(1, 6), np.arange(1, 6)).astype(np.float32))
    assert r.info["separable"] is True


# ---- device arrays ---------------------------------------------------------------------------

class FakeCuda:
    """An object exposing __cuda_array_interface__ (host memory standing in; only parsed)."""

    def __init__(self, arr, readonly=False, strides=None):
        self.arr = arr
        self.__cuda_array_interface__ = {
            "shape": arr.shape, "typestr": arr.dtype.str, "data": (arr.ctypes.data, readonly),
            "strides": strides, "version": 3}


def test_device_array_parsing():
    a = np.zeros((3, 4), np.complex64)
    info = fconv._core._device_array_info(FakeCuda(a))
    assert info == {"ptr": a.ctypes.data, "dtype": "c64", "size": 12, "device_type": 2,
                    "readonly": False, "contiguous": True}
    info = fconv._core._device_array_info(FakeCuda(a, readonly=True, strides=(8, 32)))
    assert info["readonly"] and not info["contiguous"]
    assert fconv._core._device_array_info(FakeCuda(np.zeros(3, np.int32)))["dtype"] is None
    # DLPack: NumPy exports host (kDLCPU = 1) tensors
    b = np.arange(6, dtype=np.float64).reshape(2, 3)
    info = fconv._core._device_array_info(b)
    assert info["device_type"] == 1 and info["ptr"] == b.ctypes.data and info["size"] == 6
    assert info["dtype"] == "f64" and info["contiguous"]
    assert not fconv._core._device_array_info(b.T)["contiguous"]
    with pytest.raises(TypeError):
        fconv._core._device_array_info(object())


def test_device_arrays_refused_by_host_plans():
    plan = fconv.Plan((4,), (2,), "float32")
    fake = FakeCuda(np.zeros(4, np.float32))
    with pytest.raises(TypeError, match="device array"):
        plan(fake, np.ones(2, np.float32))


@pytest.mark.skipif(fconv.cuda_device_count() > 0, reason="a CUDA device is present")
def test_cuda_backend_without_a_device_fails_cleanly():
    built = "cuda" in fconv.library_version
    expected = fconv.NoDeviceError if built else fconv.UnsupportedError
    for kwargs in ({"backend": "cuda"}, {"backend": "cuda", "device": True}):
        with pytest.raises(expected) as e:
            fconv.Plan((64,), (3,), "float32", **kwargs)
        assert e.value.status == (4 if built else 2)
    plan = fconv.Plan((64,), (3,), "float32", backend="cpu")
    with pytest.raises(fconv.UnsupportedError):
        plan.set_cuda_stream(None)
    # AUTO never fails for want of a device
    assert fconv.Plan((64,), (3,), "float32").info["backend"] == "cpu"


class _Cudart:
    """cudaMalloc/cudaMemcpy through ctypes, to hand real device memory to a device Plan."""

    def __init__(self):
        name = ctypes.util.find_library("cudart") or "libcudart.so"
        self.lib = ctypes.CDLL(name)

    def alloc(self, nbytes):
        p = ctypes.c_void_p()
        assert self.lib.cudaMalloc(ctypes.byref(p), ctypes.c_size_t(nbytes)) == 0
        return p.value

    def put(self, dst, arr):
        assert self.lib.cudaMemcpy(ctypes.c_void_p(dst), arr.ctypes.data_as(ctypes.c_void_p),
                                   ctypes.c_size_t(arr.nbytes), 1) == 0

    def get(self, arr, src):
        assert self.lib.cudaMemcpy(arr.ctypes.data_as(ctypes.c_void_p), ctypes.c_void_p(src),
                                   ctypes.c_size_t(arr.nbytes), 2) == 0

    def free(self, p):
        self.lib.cudaFree(ctypes.c_void_p(p))


class DeviceArray:
    def __init__(self, cudart, shape, dtype):
        self.shape, self.dtype = tuple(shape), np.dtype(dtype)
        self.ptr = cudart.alloc(int(np.prod(shape)) * self.dtype.itemsize)
        self.__cuda_array_interface__ = {"shape": self.shape, "typestr": self.dtype.str,
                                         "data": (self.ptr, False), "strides": None,
                                         "version": 3}


@pytest.mark.skipif(fconv.cuda_device_count() == 0, reason="no CUDA device")
def test_device_plan_on_a_gpu():
    cu = _Cudart()
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 1000)).astype(np.float32)
    h = rng.standard_normal(31).astype(np.float32)
    dx, dh, dy = (DeviceArray(cu, x.shape, np.float32), DeviceArray(cu, h.shape, np.float32),
                  DeviceArray(cu, (4, 1000), np.float32))
    cu.put(dx.ptr, x)
    cu.put(dh.ptr, h)
    plan = fconv.Plan((1000,), (31,), "float32", batch=4, mode="same", backend="cuda",
                      device=True)
    plan.set_kernel(dh)
    assert plan(dx, out=dy) is dy
    y = np.empty((4, 1000), np.float32)
    cu.get(y, dy.ptr)
    for i in range(4):
        np.testing.assert_allclose(y[i], ss.convolve(x[i], h, "same"), rtol=1e-4, atol=1e-4)
    with pytest.raises(TypeError, match="out="):
        plan(dx)
    for a in (dx, dh, dy):
        cu.free(a.ptr)


# ---- the one-shot plan cache -----------------------------------------------------------------

def test_plan_cache_limits_and_reuse():
    from fconv import signal as fs
    old = fconv.plan_cache()
    try:
        fconv.clear_plan_cache()
        fconv.plan_cache(max_plans=3)
        x = np.ones(50)
        for n in range(5, 12):  # seven shapes, three kept
            np.testing.assert_allclose(fs.convolve(x, np.ones(n)), np.convolve(x, np.ones(n)))
        assert fconv.plan_cache()[2] == 3
        fconv.plan_cache(max_plans=0)
        assert fconv.plan_cache()[2] == 0
        np.testing.assert_allclose(fs.convolve(x, np.ones(3)), np.convolve(x, np.ones(3)))
        assert fconv.plan_cache()[2] == 0
        fconv.plan_cache(max_plans=8, max_bytes=0)  # nothing with a workspace fits
        fs.fftconvolve(np.ones(5000), np.ones(300))
        assert fconv.plan_cache()[3] == 0
    finally:
        fconv.plan_cache(max_plans=old[0], max_bytes=old[1])
