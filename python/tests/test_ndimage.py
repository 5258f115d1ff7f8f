"""fconv.ndimage against scipy.ndimage on random problems (seed printed): every mode, origins,
cval, long kernels, output handling, axes, and SciPy's errors."""

import numpy as np
import pytest
import scipy.ndimage as nd

from fconv import ndimage as fn

from conftest import assert_conv_close, random_array

MODES = ["reflect", "grid-mirror", "mirror", "nearest", "wrap", "grid-wrap", "constant",
         "grid-constant"]
IN_DTYPES = [np.float32, np.float64, np.complex64, np.complex128, np.int16, np.uint8]
W_DTYPES = [np.float64, np.float32, np.complex128, np.int64]


def _single(*dts):
    return all(np.dtype(d) in (np.float32, np.complex64) for d in dts[:1])


def _case(rng, ndim, long_kernels=False):
    n = [int(rng.integers(1, 9)) for _ in range(ndim)]
    kmax = 20 if long_kernels else 6
    k = [int(rng.integers(1, kmax)) for _ in range(ndim)]
    origin = [int(rng.integers(-(kk // 2), (kk - 1) // 2 + 1)) for kk in k]
    return n, k, origin


@pytest.mark.parametrize("func", ["correlate", "convolve"])
def test_random_against_scipy(rng, func):
    ours, theirs = getattr(fn, func), getattr(nd, func)
    for i in range(120):
        ndim = int(rng.integers(1, 4))
        n, k, origin = _case(rng, ndim, long_kernels=i % 3 == 0)
        mode = MODES[rng.integers(len(MODES))]
        tx = IN_DTYPES[rng.integers(len(IN_DTYPES))]
        tw = W_DTYPES[rng.integers(len(W_DTYPES))]
        x, w = random_array(rng, n, tx), random_array(rng, k, tw)
        cval = 0.0 if rng.random() < 0.5 else float(rng.integers(-3, 4))
        if np.dtype(tx).kind in "iu" and np.dtype(tw).kind != "c":
            w = w.real.astype(np.int64)  # integer outputs: exact when the weights are too
        orig = origin if rng.random() < 0.7 else origin[0]
        if not isinstance(orig, list):
            orig = [orig] * ndim
            origin = orig
            if any(o < -(kk // 2) or o > (kk - 1) // 2 for o, kk in zip(origin, k)):
                continue
        if mode in ("reflect", "grid-mirror") and any(kk > 2 * nn for kk, nn in zip(k, n)):
            continue  # SciPy's N-D code is wrong there: test_long_reflect_follows_scipy_1d
        want = theirs(x, w, mode=mode, cval=cval, origin=orig)
        got = ours(x, w, mode=mode, cval=cval, origin=orig)
        assert got.dtype == want.dtype
        xe = np.pad(x, [(kk, kk) for kk in k], constant_values=cval)
        assert_conv_close(got, want, xe, w, _single(tx), c=256)


def test_long_reflect_follows_scipy_1d(rng):
    """scipy.ndimage.correlate (N-D code) with mode 'reflect' reads wrong values once the
    padding exceeds about twice the input (e.g. 2 samples, 9 taps, origin 4); its
    correlate1d and every other mode extend periodically, as fconv does on every path."""
    x = rng.standard_normal(2)
    w = rng.standard_normal(9)
    want = nd.correlate1d(x, w, mode="reflect", origin=4)
    np.testing.assert_allclose(fn.correlate(x, w, mode="reflect", origin=4), want, rtol=1e-12)
    np.testing.assert_allclose(fn.correlate1d(x, w, mode="reflect", origin=4), want,
                               rtol=1e-12)
    assert not np.allclose(nd.correlate(x, w, mode="reflect", origin=4), want)  # SciPy 1.10


@pytest.mark.parametrize("func", ["correlate1d", "convolve1d"])
def test_1d_random_against_scipy(rng, func):
    ours, theirs = getattr(fn, func), getattr(nd, func)
    for i in range(120):
        ndim = int(rng.integers(1, 5))
        shape = [int(rng.integers(1, 7)) for _ in range(ndim)]
        axis = int(rng.integers(-ndim, ndim))
        kk = int(rng.integers(1, 25 if i % 2 else 6))
        origin = int(rng.integers(-(kk // 2), (kk - 1) // 2 + 1))
        mode = MODES[rng.integers(len(MODES))]
        tx = IN_DTYPES[rng.integers(len(IN_DTYPES))]
        x = random_array(rng, shape, tx)
        w = random_array(rng, kk, np.float64 if rng.random() < 0.8 else np.complex128)
        if np.dtype(tx).kind in "iu" and w.dtype.kind != "c":
            w = np.round(4 * w)
        cval = 0.0 if rng.random() < 0.5 else 1.5
        want = theirs(x, w, axis=axis, mode=mode, cval=cval, origin=origin)
        got = ours(x, w, axis=axis, mode=mode, cval=cval, origin=origin)
        assert got.dtype == want.dtype
        assert_conv_close(got, want, np.pad(x, kk, constant_values=cval), w, _single(tx),
                          c=256)


def test_axes_match_scipy_with_one_tap_axes(rng):
    """axes=: weights over the listed axes only = SciPy with one-tap weights elsewhere."""
    for _ in range(30):
        ndim = int(rng.integers(2, 5))
        shape = [int(rng.integers(1, 7)) for _ in range(ndim)]
        naxes = int(rng.integers(1, ndim + 1))
        axes = sorted(rng.choice(ndim, size=naxes, replace=False).tolist())
        k = [int(rng.integers(1, 5)) for _ in axes]
        w = random_array(rng, k, np.float64)
        x = random_array(rng, shape, np.float64)
        mode = MODES[rng.integers(len(MODES))]
        wfull = w.reshape([k[axes.index(a)] if a in axes else 1 for a in range(ndim)])
        for ours, theirs in ((fn.correlate, nd.correlate), (fn.convolve, nd.convolve)):
            got = ours(x, w, mode=mode, axes=axes)
            want = theirs(x, wfull, mode=mode)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    with pytest.raises(RuntimeError, match="incorrect shape"):
        fn.correlate(np.ones((3, 3)), np.ones((2, 2)), axes=[0])
    with pytest.raises(ValueError, match="unique"):
        fn.correlate(np.ones((3, 3)), np.ones((2, 2)), axes=[0, 0])


def test_output_argument_like_scipy(rng):
    x = random_array(rng, (6, 7), np.float64)
    w = random_array(rng, (3, 2), np.float64)
    for output in (np.float32, "float32", np.dtype(np.int32), np.int8):
        got = fn.correlate(x * 10, w, output=output)
        want = nd.correlate(x * 10, w, output=output)
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-5)
    out = np.zeros((6, 7), np.float64)
    assert fn.convolve(x, w, output=out) is out
    np.testing.assert_allclose(out, nd.convolve(x, w), rtol=1e-12, atol=1e-12)
    # output = the input itself (memory shared): computed aside, then written
    y = x.copy()
    fn.correlate1d(y, [1.0, 2.0, 1.0], axis=0, output=y)
    np.testing.assert_allclose(y, nd.correlate1d(x, [1.0, 2.0, 1.0], axis=0), rtol=1e-12)
    # a non-contiguous output view
    big = np.zeros((6, 14))
    fn.correlate(x, w, output=big[:, ::2])
    np.testing.assert_allclose(big[:, ::2], nd.correlate(x, w), rtol=1e-12, atol=1e-12)
    # integer output truncates toward zero like SciPy's C cast
    xi = np.array([1, 2, 3, -4, -5])
    np.testing.assert_array_equal(fn.correlate1d(xi, [0.5, 0.5]), nd.correlate1d(xi, [0.5, 0.5]))
    with pytest.raises(RuntimeError, match="output shape"):
        fn.correlate(x, w, output=np.zeros((2, 2)))
    with pytest.raises(RuntimeError, match="complex"):
        fn.correlate(x, w + 1j, output=np.zeros((6, 7)))
    with pytest.warns(UserWarning, match="promoting"):
        fn.correlate(x, w + 1j, output=np.float64)


def test_errors_like_scipy():
    x = np.ones((3, 5))
    with pytest.raises(ValueError, match="Invalid origin"):
        fn.correlate(x, np.ones((2, 2)), origin=[0, 1])
    with pytest.raises(ValueError, match="Invalid origin"):
        fn.convolve1d(np.arange(10), np.ones(3), origin=-2)
    with pytest.raises(RuntimeError, match="boundary mode"):
        fn.correlate(x, np.ones((2, 2)), mode="nope")
    with pytest.raises(RuntimeError, match="sequence of modes"):
        fn.convolve(x, np.ones((2, 2)), mode=["nearest", "wrap"])
    with pytest.raises(RuntimeError, match="no filter weights"):
        fn.correlate1d(x, [])
    with pytest.raises(RuntimeError, match="incorrect shape"):
        fn.correlate(x, np.ones(3))
    with pytest.raises(ValueError, match="complex-valued cval"):
        fn.correlate(x, np.ones((2, 2)) * 1j, mode="constant", cval=1 + 1j)
    with pytest.raises(TypeError, match="object"):
        fn.correlate(np.ones(3, dtype=object), np.ones(2))
    assert fn.correlate(np.zeros((0, 3)), np.ones((2, 2))).shape == (0, 3)


def test_complex_cval_with_complex_input(rng):
    x = random_array(rng, (5, 4), np.complex128)
    w = random_array(rng, (3, 3), np.complex128)
    for mode in ("constant", "grid-constant"):
        want = nd.correlate(x, w, mode=mode, cval=2 - 3j)
        np.testing.assert_allclose(fn.correlate(x, w, mode=mode, cval=2 - 3j), want,
                                   rtol=1e-12, atol=1e-12)
