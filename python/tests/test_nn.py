"""fconv.nn (multi-channel layers, PyTorch's conventions) and fconv.Plan(channels=...), against
an independent NumPy reference (padded input, dilated taps, strided windows, channel sums per
group), with algebraic properties and the argument checks. Random cases print their seed."""

import numpy as np
import pytest

import fconv
from fconv import nn

SEED = 20261203

_PAD = {"zero": "constant", "wrap": "wrap", "symmetric": "symmetric", "mirror": "reflect",
        "replicate": "edge"}


def reference(x, w, stride, pads, dilation, groups, boundary="zero", op="correlate"):
    """y[b, o] = sum_i window(xpad[b, g*cig + i]) . taps(w[o, i]), in complex128 / float64."""
    rank = w.ndim - 2
    wide = np.complex128 if np.iscomplexobj(x) or np.iscomplexobj(w) else np.float64
    x = x.astype(wide)
    w = w.astype(wide)
    if op == "correlate":
        w = w.conj()
    else:
        w = w[(slice(None), slice(None)) + (slice(None, None, -1),) * rank]
    xp = np.pad(x, [(0, 0), (0, 0)] + [tuple(p) for p in pads], mode=_PAD[boundary])
    n, cin = x.shape[:2]
    cout, cig = w.shape[:2]
    cog = cout // groups
    ks = w.shape[2:]
    outs = [(xp.shape[2 + a] - dilation[a] * (ks[a] - 1) - 1) // stride[a] + 1
            for a in range(rank)]
    y = np.zeros((n, cout) + tuple(outs), wide)
    for m in np.ndindex(*ks):
        sl = tuple(slice(m[a] * dilation[a], m[a] * dilation[a] + (outs[a] - 1) * stride[a] + 1,
                         stride[a]) for a in range(rank))
        win = xp[(slice(None), slice(None)) + sl]  # n x cin x outs
        for g in range(groups):
            xg = win[:, g * cig:(g + 1) * cig]
            wg = w[g * cog:(g + 1) * cog, :, ][(slice(None), slice(None)) + m]  # cog x cig
            y[:, g * cog:(g + 1) * cog] += np.einsum("nc...,oc->no...", xg, wg)
    return y


def close(y, ref, dtype):
    tol = 2e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-10
    scale = max(np.max(np.abs(ref)), 1e-30)
    err = np.max(np.abs(y - ref)) / scale if ref.size else 0.0
    assert err <= tol, "max |y - ref| / max |ref| = %.3g > %.3g" % (err, tol)


def rand(rng, shape, dtype):
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


@pytest.mark.parametrize("case", range(40))
def test_random_layers_match_reference(case):
    seed = SEED + case
    print("seed", seed)
    rng = np.random.default_rng(seed)
    rank = 1 + case % 3
    dtype = [np.float32, np.float64, np.complex64, np.complex128][case // 3 % 4]
    groups = int(rng.choice([1, 1, 2, 3]))
    cig, cog = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    cin, cout = groups * cig, groups * cog
    n = int(rng.integers(1, 3))
    size = {1: 40, 2: 14, 3: 7}[rank]
    kshape = tuple(int(rng.integers(1, 5)) for _ in range(rank))
    stride = [int(rng.integers(1, 3)) for _ in range(rank)]
    dilation = [int(rng.integers(1, 3)) for _ in range(rank)]
    sshape = tuple(max(int(rng.integers(size // 2, size + 1)), d * (k - 1) + 1)
                   for k, d in zip(kshape, dilation))
    pads = [(int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in range(rank)]
    boundary = str(rng.choice(list(_PAD)))
    op = str(rng.choice(["correlate", "convolve"]))
    method = ["auto", "direct", "fft", "overlap-save"][case % 4]
    x = rand(rng, (n, cin) + sshape, dtype)
    w = rand(rng, (cout, cig) + kshape, dtype)
    y = nn.conv(x, w, stride=stride, padding=pads, dilation=dilation, groups=groups,
                boundary=boundary, op=op, method=method, threads=int(rng.integers(1, 3)))
    ref = reference(x, w, stride, pads, dilation, groups, boundary, op)
    assert y.dtype == dtype and y.shape == ref.shape
    close(y, ref, dtype)


def test_torch_conventions_padding_and_unbatched():
    rng = np.random.default_rng(SEED)
    x = rand(rng, (3, 11, 9), np.float64)  # unbatched: C_in x spatial
    w = rand(rng, (4, 3, 4, 2), np.float64)
    # 'same' is PyTorch's rule: d*(k-1) in all, the smaller half before
    y = nn.conv2d(x, w, padding="same", dilation=(1, 3))
    assert y.shape == (4, 11, 9)
    close(y, reference(x[None], w, [1, 1], [(1, 2), (1, 2)], [1, 3], 1)[0], np.float64)
    y = nn.conv2d(x, w, padding=(2, 1), stride=(3, 2))
    close(y, reference(x[None], w, [3, 2], [(2, 2), (1, 1)], [1, 1], 1)[0], np.float64)
    assert nn.conv2d(x, w, padding="valid").shape == (4, 8, 8)
    # torch's padding_mode names
    y = nn.conv2d(x, w, padding=2, boundary="reflect")
    close(y, reference(x[None], w, [1, 1], [(2, 2)] * 2, [1, 1], 1, "mirror")[0], np.float64)
    y = nn.conv2d(x, w, padding=2, boundary="circular")
    close(y, reference(x[None], w, [1, 1], [(2, 2)] * 2, [1, 1], 1, "wrap")[0], np.float64)


def test_dtype_promotion_and_out():
    rng = np.random.default_rng(SEED + 100)
    x = rng.integers(-3, 4, (2, 2, 30))
    w = rand(rng, (3, 2, 5), np.float32)
    y = nn.conv1d(x, w, padding=2)  # int64 with float32 -> float64, as numpy.result_type
    assert y.dtype == np.float64
    close(y, reference(x, w, [1], [(2, 2)], [1], 1), np.float64)
    out = np.empty((2, 3, 30), np.float64)
    r = nn.conv1d(x, w, padding=2, out=out)
    assert r is out and np.array_equal(out, y)
    with pytest.raises(ValueError):
        nn.conv1d(x, w, padding=2, out=np.empty((2, 3, 29)))
    with pytest.raises(ValueError):
        nn.conv1d(x, w, padding=2, out=np.empty((2, 3, 30), np.float32))


def test_linear_in_each_input_channel_and_impulse_responses():
    rng = np.random.default_rng(SEED + 200)
    cin, cout, groups = 4, 6, 2
    x1 = rand(rng, (1, cin, 12, 13), np.float64)
    x2 = rand(rng, (1, cin, 12, 13), np.float64)
    w = rand(rng, (cout, cin // groups, 3, 5), np.float64)
    kw = dict(padding=(2, 3), groups=groups, method="fft")
    close(nn.conv2d(2 * x1 - x2, w, **kw),
          2 * nn.conv2d(x1, w, **kw) - nn.conv2d(x2, w, **kw), np.float64)
    # an impulse in input channel i reads back every kernel of i's group, flipped (correlation)
    for i in range(cin):
        d = np.zeros((1, cin, 9, 9))
        d[0, i, 4, 4] = 1
        y = nn.conv2d(d, w, padding=(1, 2), groups=groups, method="direct")
        g, ii = divmod(i, cin // groups)
        for o in range(cout):
            if o // (cout // groups) == g:
                np.testing.assert_allclose(y[0, o, 3:6, 2:7], w[o, ii, ::-1, ::-1], atol=1e-12)
                y[0, o, 3:6, 2:7] = 0
        assert not y.any()  # nothing else: other groups' outputs and the rest are zero


def test_plan_with_channels():
    rng = np.random.default_rng(SEED + 300)
    x = rand(rng, (3, 6, 16, 10), np.float32)
    w = rand(rng, (9, 2, 3, 3), np.float32)
    p = fconv.Plan((16, 10), (3, 3), "float32", batch=3, channels=(6, 9), groups=3, mode="pad",
                   pad=(1, 1), stride=(2, 1), dilation=(2, 1), op="correlate")
    assert p.channels == (6, 9) and p.groups == 3 and p.dilation == (2, 1)
    assert p.output_shape == (3, 9, 7, 10)
    ref = reference(x, w, [2, 1], [(1, 1), (1, 1)], [2, 1], 3)
    close(p(x, w), ref, np.float32)
    p.set_kernel(w)
    y = p(x)
    assert y.shape == (3, 9, 7, 10)
    close(y, ref, np.float32)
    # a batch of one still has the batch axis (N x C_out x spatial, as PyTorch)
    q = fconv.Plan((16, 10), (3, 3), "float32", channels=(6, 9), groups=3)
    assert q.output_shape == (1, 9, 18, 12)
    assert q(x[0], w).shape == (1, 9, 18, 12)
    assert fconv.Plan((16,), (3,), "float32").channels is None


def test_argument_errors():
    x = np.zeros((1, 4, 10))
    w = np.zeros((6, 2, 3))
    with pytest.raises(ValueError, match="groups"):
        nn.conv1d(x, w, groups=3)  # 4 inputs in 3 groups
    with pytest.raises(ValueError, match="input channels per group"):
        nn.conv1d(x, w)  # w expects 2 per group, x has 4 in 1 group
    with pytest.raises(ValueError, match="stride 1"):
        nn.conv1d(x, w, groups=2, padding="same", stride=2)
    with pytest.raises(ValueError, match="dilation"):
        nn.conv1d(x, w, groups=2, dilation=0)
    with pytest.raises(ValueError, match="padding"):
        nn.conv1d(x, w, groups=2, padding=-1)
    with pytest.raises(ValueError, match="smaller than the dilated kernel"):
        nn.conv1d(x, w, groups=2, dilation=6)
    with pytest.raises(ValueError, match="boundary"):
        nn.conv1d(x, w, groups=2, padding=1, boundary="bogus")
    with pytest.raises(ValueError, match="conv2d"):
        nn.conv2d(x, w, groups=2)
    with pytest.raises(ValueError, match="groups needs channels"):
        fconv.Plan((10,), (3,), groups=2)
    with pytest.raises(ValueError, match="channels must be"):
        fconv.Plan((10,), (3,), channels=4)
    # the library's own check (6 input channels in 4 groups): its status, as an exception
    with pytest.raises(fconv.InvalidArgumentError):
        fconv.Plan((10,), (3,), channels=(6, 4), groups=4)
    with pytest.raises(fconv.InvalidArgumentError):
        fconv.Plan((10,), (3,), channels=(0, 4))
    p = fconv.Plan((10,), (3,), channels=(4, 6), groups=2)
    with pytest.raises(ValueError):
        p(np.zeros(10), np.zeros((6, 2, 3)))  # one channel's worth of signal


def test_matches_torch_when_available():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(SEED + 400)
    x = rand(rng, (2, 8, 24, 24), np.float32)
    for w, kw in [(rand(rng, (16, 8, 3, 3), np.float32), dict(padding=1)),
                  (rand(rng, (16, 8, 7, 7), np.float32), dict(stride=2, padding=3)),
                  (rand(rng, (8, 1, 9, 9), np.float32), dict(padding=4, groups=8)),
                  (rand(rng, (8, 4, 3, 3), np.float32), dict(padding=2, dilation=2, groups=2))]:
        yt = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), **kw).numpy()
        for method in ("auto", "direct", "fft"):
            close(nn.conv2d(x, w, method=method, **kw), yt, np.float32)


def test_plan_dilation_without_channels():
    # dilation alone (fconv_desc_set_dilation) on a single-channel plan: the zero-stuffed kernel
    rng = np.random.default_rng(SEED + 500)
    x, h = rng.standard_normal(40), rng.standard_normal(4)
    p = fconv.Plan((40,), (4,), dilation=3, mode="full")
    assert p.channels is None and p.dilation == (3,) and p.output_shape == (49,)
    hd = np.zeros(10)
    hd[::3] = h
    np.testing.assert_allclose(p(x, h), np.convolve(x, hd), atol=1e-12)
