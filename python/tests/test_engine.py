"""fconv._engine: boundary maps, layouts (no-copy and transposed), batch mapping, the
decomposition of more than three convolved axes, and the dtype/cast rules."""

import numpy as np
import pytest
import scipy.signal as ss

from fconv import _engine as E

from conftest import random_array

NP_NAMES = {E.WRAP: "wrap", E.SYMMETRIC: "symmetric", E.MIRROR: "reflect",
            E.REPLICATE: "edge", E.ZERO: "constant"}


def test_boundary_maps_match_np_pad_and_are_periodic(rng):
    for b, name in NP_NAMES.items():
        for n in range(1, 7):
            x = np.arange(1, n + 1)
            for p in range(0, n + 1):  # np.pad is periodic for pads up to the length
                if b == E.MIRROR and n == 1:
                    continue
                np.testing.assert_array_equal(E.extend(x, 0, p, p, b), np.pad(x, p, name))
            if b == E.ZERO:
                continue
            period = {E.WRAP: n, E.SYMMETRIC: 2 * n, E.MIRROR: max(2 * n - 2, 1)}.get(b)
            i = np.arange(-5 * n - 3, 6 * n + 3)
            idx = E.boundary_index(i, n, b)
            assert idx.min() >= 0 and idx.max() < n
            if period:
                np.testing.assert_array_equal(idx[period:], idx[:-period])
            else:  # replicate
                assert (idx[i < 0] == 0).all() and (idx[i >= n] == n - 1).all()
    assert (E.boundary_index(np.array([-1, 3]), 3, E.ZERO) == -1).all()


def _ref(x, h, axes, pads, op):
    """Loop over every non-convolved index with SciPy (broadcast first)."""
    nd = x.ndim
    other = [a for a in range(nd) if a not in axes]
    bshape = np.broadcast_shapes(tuple(x.shape[a] for a in other),
                                 tuple(h.shape[a] for a in other))
    xt = np.moveaxis(x, other, range(len(other)))
    ht = np.moveaxis(h, other, range(len(other)))
    xt = np.broadcast_to(xt, bshape + xt.shape[len(other):])
    ht = np.broadcast_to(ht, bshape + ht.shape[len(other):])
    outs = []
    for idx in np.ndindex(*bshape):
        xi = np.pad(xt[idx], pads)
        hi = ht[idx]
        g = hi if op == E.CONVOLVE else np.conj(hi[(slice(None, None, -1),) * hi.ndim])
        outs.append(ss.convolve(xi, g, "valid", method="direct"))
    y = np.array(outs).reshape(bshape + outs[0].shape)
    return np.moveaxis(y, range(len(other)), other)


def test_layouts_and_batches_against_a_loop(rng):
    for _ in range(60):
        nd = int(rng.integers(1, 6))
        naxes = int(rng.integers(1, min(nd, 4) + 1))
        axes = sorted(rng.choice(nd, size=naxes, replace=False).tolist())
        xs, hs = [], []
        for a in range(nd):
            if a in axes:
                xs.append(int(rng.integers(1, 7)))
                hs.append(int(rng.integers(1, 4)))
            else:
                e = int(rng.integers(1, 4))
                r = rng.random()
                xs.append(1 if r < 0.25 else e)
                hs.append(1 if r < 0.25 or r > 0.5 else e)  # often a kernel extent of 1
        pads = [(int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in axes]
        pads = [(p0 + max(0, hs[a] - xs[a]), p1) for (p0, p1), a in zip(pads, axes)]
        op = int(rng.integers(2))
        x, h = random_array(rng, xs, np.complex128), random_array(rng, hs, np.complex128)
        got = E.run(x, h, axes, pads, op)
        want = _ref(x, h, axes, pads, op)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_more_than_three_axes_with_boundaries(rng):
    x = random_array(rng, (4, 3, 5, 2, 3), np.float64)
    h = random_array(rng, (2, 3, 2, 2, 2), np.float64)
    axes = [0, 1, 2, 3, 4]
    pads = [(1, 0), (2, 0), (1, 1), (1, 0), (0, 1)]
    for b, name in NP_NAMES.items():
        for op in (E.CONVOLVE, E.CORRELATE):
            got = E.run(x, h, axes, pads, op, b)
            xe = np.pad(x, pads, name)
            g = h if op == E.CONVOLVE else h[(slice(None, None, -1),) * 5]
            want = ss.convolve(xe, g, "valid", method="direct")
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_run_writes_into_out_and_handles_empties():
    x = np.ones((3, 8))
    h = np.ones((1, 3))
    out = np.empty((3, 10))
    assert E.run(x, h, [1], [(2, 2)], out=out) is out
    np.testing.assert_array_equal(out[0], np.convolve(np.ones(8), np.ones(3)))
    assert E.run(np.ones((0, 4)), np.ones((1, 2)), [1], [(0, 0)]).shape == (0, 3)


def test_dtype_rules():
    assert E.compute_dtype(np.float16) == np.float32
    assert E.compute_dtype(np.longdouble) == np.float64
    assert E.compute_dtype(np.clongdouble) == np.complex128
    assert E.compute_dtype(np.uint8) == np.float64
    assert E.compute_dtype(np.bool_) == np.float64
    with pytest.raises(TypeError):
        E.compute_dtype(object)
    y = np.array([-2.5, -1.5, 1.5, 2.5, 300.0, -1.0])
    np.testing.assert_array_equal(E.cast_result(y, np.int64), [-2, -2, 2, 2, 300, -1])
    np.testing.assert_array_equal(E.cast_result(y, np.int64, "trunc"), [-2, -1, 1, 2, 300, -1])
    np.testing.assert_array_equal(E.cast_result(y, np.uint8), [254, 254, 2, 2, 44, 255])
    np.testing.assert_array_equal(E.cast_result(y, np.uint64)[-1], np.uint64(2**64 - 1))
    np.testing.assert_array_equal(E.cast_result(np.array([0.0, 0.2, 2.0]), np.bool_),
                                  [False, False, True])
