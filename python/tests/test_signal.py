"""fconv.signal against scipy.signal on random problems (seed printed), plus the edge cases and
errors SciPy defines."""

import warnings

import numpy as np
import pytest
import scipy.signal as ss

import fconv
from fconv import signal as fs

from conftest import assert_conv_close, random_array, single_precision

DTYPES = [np.float32, np.float64, np.complex64, np.complex128, np.float16, np.int16, np.uint8,
          np.int64, np.bool_, np.longdouble]


def random_shapes(rng, ndim, valid=False):
    n = [int(rng.integers(1, 12)) for _ in range(ndim)]
    k = [int(rng.integers(1, 8)) for _ in range(ndim)]
    if valid:  # one contains the other on every axis
        if rng.random() < 0.5:
            k = [min(a, b) for a, b in zip(n, k)]
        else:
            n, k = [min(a, b) for a, b in zip(n, k)], [max(a, b) for a, b in zip(n, k)]
    return tuple(n), tuple(k)


def scipy_direct(theirs, x, h, mode):
    """SciPy's direct result; for the dtypes SciPy's direct code rejects (float16 mixes)
    computed in double precision and cast like SciPy's FFT path does."""
    try:
        return theirs(x, h, mode, method="direct")
    except ValueError as e:
        if "Unsupported type" not in str(e):
            raise
    rt = np.result_type(x, h)
    up = np.complex128 if rt.kind == "c" else np.float64
    return theirs(x.astype(up), h.astype(up), mode, method="direct").astype(rt)


@pytest.mark.parametrize("func", ["convolve", "correlate"])
@pytest.mark.parametrize("method", ["auto", "direct", "fft"])
def test_random_against_scipy(rng, func, method):
    ours, theirs = getattr(fs, func), getattr(ss, func)
    for _ in range(60):
        ndim = int(rng.integers(1, 4))
        mode = str(rng.choice(["full", "same", "valid"]))
        n, k = random_shapes(rng, ndim, valid=mode == "valid")
        t1, t2 = DTYPES[rng.integers(len(DTYPES))], DTYPES[rng.integers(len(DTYPES))]
        x, h = random_array(rng, n, t1), random_array(rng, k, t2)
        want = scipy_direct(theirs, x, h, mode)
        got = ours(x, h, mode, method=method)
        assert got.dtype == want.dtype, (t1, t2, got.dtype, want.dtype)
        assert_conv_close(got, want, x, h, single_precision(np.result_type(t1, t2)))


def test_four_dimensions_against_scipy(rng):
    """More than three convolved axes: summed from rank-3 fconv problems."""
    for _ in range(6):
        n = tuple(int(v) for v in rng.integers(1, 6, size=4))
        k = tuple(int(v) for v in rng.integers(1, 4, size=4))
        for mode in ("full", "same", "valid"):
            if mode == "valid":
                k = tuple(min(a, b) for a, b in zip(n, k))
            x, h = random_array(rng, n, np.complex128), random_array(rng, k, np.complex128)
            for ours, theirs in ((fs.convolve, ss.convolve), (fs.correlate, ss.correlate)):
                assert_conv_close(ours(x, h, mode), theirs(x, h, mode, method="direct"), x, h,
                                  False)


def test_integers_are_exact_and_keep_their_dtype(rng):
    x = rng.integers(-2**20, 2**20, size=300)
    h = rng.integers(-2**10, 2**10, size=17)
    for mode in ("full", "same", "valid"):
        for method in ("auto", "direct", "fft"):
            got = fs.convolve(x, h, mode, method=method)
            assert got.dtype == np.int64
            np.testing.assert_array_equal(got, np.convolve(x, h, mode))
    u = np.array([200, 100, 7], np.uint8)
    np.testing.assert_array_equal(fs.convolve(u, u), ss.convolve(u, u))  # wraps like SciPy


@pytest.mark.parametrize("func", ["fftconvolve", "oaconvolve"])
def test_freq_axes_and_broadcasting_against_scipy(rng, func):
    ours, theirs = getattr(fs, func), getattr(ss, func)
    for _ in range(40):
        ndim = int(rng.integers(1, 5))
        naxes = int(rng.integers(1, ndim + 1))
        axes = sorted(rng.choice(ndim, size=naxes, replace=False).tolist())
        s1, s2 = [], []
        for a in range(ndim):
            if a in axes:
                s1.append(int(rng.integers(1, 20)))
                s2.append(int(rng.integers(1, 9)))
            else:  # equal, or one of them 1 (broadcast)
                e = int(rng.integers(1, 4))
                r = rng.random()
                s1.append(1 if r < 0.3 else e)
                s2.append(1 if 0.3 <= r < 0.6 else e)
        mode = str(rng.choice(["full", "same", "valid"]))
        if mode == "valid":
            for a in axes:
                s2[a] = min(s1[a], s2[a])
        dt = [np.float32, np.float64, np.complex64, np.complex128, np.int32][rng.integers(5)]
        x, h = random_array(rng, s1, dt), random_array(rng, s2, dt)
        want = theirs(x, h, mode, axes=axes)
        got = ours(x, h, mode, axes=axes)
        assert got.dtype == want.dtype
        assert_conv_close(got, want, x, h, single_precision(dt))


def test_freq_methods_are_fft_and_overlap_save():
    """fftconvolve forces fconv's FFT path, oaconvolve its overlap-save path: compare with a
    Plan forcing each, bit for bit."""
    x = np.random.default_rng(1).standard_normal(5000)
    h = np.random.default_rng(2).standard_normal(100)
    for func, method in ((fs.fftconvolve, "fft"), (fs.oaconvolve, "overlap-save")):
        plan = fconv.Plan(x.shape, h.shape, np.float64, method=method)
        assert plan.info["method"] == method
        np.testing.assert_array_equal(func(x, h), plan(x, h))


@pytest.mark.parametrize("func", ["convolve2d", "correlate2d"])
def test_2d_boundaries_against_scipy(rng, func):
    ours, theirs = getattr(fs, func), getattr(ss, func)
    for _ in range(80):
        mode = str(rng.choice(["full", "same", "valid"]))
        n, k = random_shapes(rng, 2, valid=mode == "valid")
        boundary = str(rng.choice(["fill", "wrap", "symm", "circular", "symmetric", "pad"]))
        fill = 0 if rng.random() < 0.5 else float(rng.integers(-3, 4))
        dt = [np.float32, np.float64, np.complex64, np.complex128, np.int16][rng.integers(5)]
        x, h = random_array(rng, n, dt), random_array(rng, k, dt)
        want = theirs(x, h, mode, boundary, fill)
        got = ours(x, h, mode, boundary, fill)
        assert got.dtype == want.dtype
        xe = np.pad(x, [(kk, kk) for kk in k], constant_values=fill)  # norm incl. the border
        assert_conv_close(got, want, xe, h, single_precision(dt))


def test_convolve2d_fillvalue_rules():
    a = np.array([[1, 2], [3, 4]], np.uint8)
    np.testing.assert_array_equal(fs.convolve2d(a, [[1, 1]], fillvalue=300),
                                  ss.convolve2d(a, [[1, 1]], fillvalue=300))
    np.testing.assert_array_equal(fs.convolve2d(a.astype(float), [[1, 1]], fillvalue=2.7),
                                  ss.convolve2d(a.astype(float), [[1, 1]], fillvalue=2.7))
    with pytest.raises(ValueError, match="could not cast `fillvalue`"):
        fs.convolve2d([[1.0]], [[1.0, 2.0]], fillvalue=1j)
    with pytest.raises(ValueError, match="must be scalar or an array with one element"):
        fs.convolve2d([[1]], [[1, 2]], fillvalue=[1, 2])
    with pytest.raises(ValueError, match="Incorrect boundary value"):
        fs.convolve2d([[1]], [[1, 2]], boundary="reflect")
    with pytest.raises(ValueError, match="Acceptable boundary flags"):
        fs.convolve2d([[1]], [[1, 2]], boundary="nope")
    with pytest.raises(ValueError, match="2-D"):
        fs.correlate2d([1], [1])


def test_choose_conv_method_reports_fconvs_choice():
    rng = np.random.default_rng(3)
    small = fs.choose_conv_method(rng.standard_normal(8), rng.standard_normal(6))
    assert small == "direct"
    x, h = rng.standard_normal(1 << 16), rng.standard_normal(4096)
    big = fs.choose_conv_method(x, h)
    plan = fconv.Plan(x.shape, h.shape, np.float64)
    plan.set_kernel(h)
    assert big == ("direct" if plan.info["method"] == "direct" else "fft")
    assert big == "fft"  # 4096 taps: every cost model prefers a transform
    m, times = fs.choose_conv_method(x[:100], h[:10], measure=True)
    assert m in ("fft", "direct") and set(times) == {"fft", "direct"}
    assert fs.choose_conv_method(np.array([2**51]), np.array([2**51])) == "direct"
    assert fs.choose_conv_method([True, False], [True]) == "direct"


def test_correlation_lags_against_scipy(rng):
    for _ in range(50):
        n1, n2 = int(rng.integers(1, 50)), int(rng.integers(1, 50))
        for mode in ("full", "same", "valid"):
            np.testing.assert_array_equal(fs.correlation_lags(n1, n2, mode),
                                          ss.correlation_lags(n1, n2, mode))
    with pytest.raises(ValueError):
        fs.correlation_lags(3, 4, "nope")


def test_scalars_and_errors():
    assert fs.convolve(3, 4) == 12
    assert fs.correlate(2j, 3j) == 6
    for f in (fs.convolve, fs.correlate, fs.fftconvolve, fs.oaconvolve):
        with pytest.raises(ValueError, match="dimensionality"):
            f([1], [[2]])
        with pytest.raises(ValueError, match="mode flags"):
            f([1], [2], mode="nope")
    for f in (fs.convolve, fs.correlate):
        with pytest.raises(ValueError, match="method flags"):
            f([1], [2], method="nope")
        with pytest.raises(ValueError, match="'valid' mode"):
            f(np.ones((2, 3)), np.ones((3, 2)), "valid")
        with pytest.raises(TypeError, match="object"):
            f(np.array([1, 2], dtype=object), np.array([1], dtype=object))
        with pytest.raises(ValueError, match="empty"):
            f([], [1])
    assert fs.fftconvolve([], [1]).size == 0


def test_nonfinite_warning_like_scipy():
    x = np.ones(50)
    x[0] = np.nan
    with pytest.warns(RuntimeWarning, match="Use of fft convolution"):
        fs.convolve(x, np.ones(5), method="fft")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fs.convolve(x, np.ones(5), method="direct")


def test_threads_and_backend_arguments():
    x = np.random.default_rng(4).standard_normal(1000)
    h = np.ones(9)
    ref = ss.convolve(x, h)
    for threads in (1, 2):
        np.testing.assert_allclose(fs.convolve(x, h, threads=threads, backend="cpu"), ref,
                                   rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="backend"):
        fs.convolve(x, h, backend="gpu")
    if fconv.cuda_device_count() == 0:
        with pytest.raises((fconv.NoDeviceError, fconv.UnsupportedError)):
            fs.convolve(x, h, backend="cuda")


def test_default_threads():
    old = fconv.set_default_threads(1)
    try:
        assert fconv.set_default_threads(2) == 1
        x = np.arange(100.0)
        np.testing.assert_allclose(fs.convolve(x, [1.0, 2.0]), np.convolve(x, [1.0, 2.0]))
        with pytest.raises(ValueError):
            fconv.set_default_threads(-1)
    finally:
        fconv.set_default_threads(old)
