"""Shared helpers: a seeded generator whose seed is printed (shown with a failing test's
output; FCONV_TEST_SEED=<n> replays it), random arrays, and the comparison with SciPy."""

import math
import os
import random

import numpy as np
import pytest


@pytest.fixture
def rng(request):
    seed = int(os.environ.get("FCONV_TEST_SEED", random.SystemRandom().randrange(2**32)))
    print("%s: seed %d (FCONV_TEST_SEED=%d replays it)" % (request.node.nodeid, seed, seed))
    return np.random.default_rng(seed)


def random_array(rng, shape, dtype):
    """Values in [-1, 1) (integers in a small range, bools 0/1) of the given dtype."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype.kind == "u":
        return rng.integers(0, 8, size=shape).astype(dtype)
    if dtype.kind == "i":
        return rng.integers(-8, 8, size=shape).astype(dtype)
    a = rng.uniform(-1, 1, size=shape)
    if dtype.kind == "c":
        a = a + 1j * rng.uniform(-1, 1, size=shape)
    return a.astype(dtype)


def single_precision(*dtypes):
    """True when fconv computes these (float16/32, complex64 only) in single precision."""
    return all(np.dtype(d) in (np.float16, np.float32, np.complex64) for d in dtypes)


def assert_conv_close(got, want, x, h, single, c=64.0):
    """|got - want| <= c * eps * log2(n) * ||x||_2 * ||h||_2 (DESIGN.md's bound), exact for
    integer and bool results; shapes must agree."""
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape, "shape %s, SciPy %s" % (got.shape, want.shape)
    if want.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want)
        return
    if want.size == 0:
        return
    eps = np.finfo(np.float32 if single else np.float64).eps
    if want.dtype == np.float16:
        eps = np.finfo(np.float16).eps
    xn = float(np.linalg.norm(np.asarray(x, dtype=np.complex128).ravel()))
    hn = float(np.linalg.norm(np.asarray(h, dtype=np.complex128).ravel()))
    n = max(np.asarray(x).size + np.asarray(h).size, 2)
    bound = c * eps * math.log2(n) * max(xn * hn, 1e-300)
    err = float(np.max(np.abs(got.astype(np.complex128) - want.astype(np.complex128))))
    assert err <= bound, "max |fconv - scipy| = %.3g > bound %.3g" % (err, bound)
