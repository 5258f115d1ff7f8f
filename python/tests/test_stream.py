"""fconv.Stream (fconv_stream_*) from Python: block outputs against NumPy's full convolution of
the concatenated input (per output, summed over inputs), several blocks per call, reset,
set_responses, the worker thread, and the argument checks. Random cases print their seed."""

import threading

import numpy as np
import pytest

import fconv

SEED = 20261204


def full_sum(x, responses, n):
    """Leading n samples of sum_i response[o][i] * x[i] for every output o (float64/complex)."""
    return np.array([sum(np.convolve(x[i], h)[:n] for i, h in enumerate(row))
                     for row in responses])


def close(y, ref, dtype):
    tol = 1e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-10
    err = np.max(np.abs(y - ref)) / max(np.max(np.abs(ref)), 1e-30)
    assert err <= tol, "relative error %.3g > %.3g" % (err, tol)


@pytest.mark.parametrize("case", range(12))
def test_blocks_match_full_convolution(case):
    seed = SEED + case
    print("seed", seed)
    rng = np.random.default_rng(seed)
    dtype = [np.float32, np.float64, np.complex64, np.complex128][case % 4]
    inputs, outputs = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    block = int(rng.choice([16, 64, 100, 256]))
    part = ["auto", "uniform", "nonuniform"][case % 3]

    def rnd(shape):
        a = rng.standard_normal(shape)
        return (a + 1j * rng.standard_normal(shape) if np.dtype(dtype).kind == "c" else a)

    responses = [[rnd(int(rng.integers(1, 3000))).astype(dtype) for _ in range(inputs)]
                 for _ in range(outputs)]
    nb = int(rng.integers(3, 12))
    x = rnd((inputs, nb * block)).astype(dtype)
    with fconv.Stream(responses, block, partitioning=part) as s:
        assert s.dtype == dtype and (s.inputs, s.outputs, s.block) == (inputs, outputs, block)
        ref = full_sum(x, responses, nb * block)
        # block by block, then (after reset) all blocks in one call: the same samples
        y = np.concatenate([s.process(x[:, j * block:(j + 1) * block]) for j in range(nb)],
                           axis=1)
        close(y, ref, dtype)
        s.reset()
        close(s.process(x), ref, dtype)


def test_one_path_shapes_and_out():
    rng = np.random.default_rng(SEED + 100)
    h = rng.standard_normal(500).astype(np.float32)
    x = rng.standard_normal(32 * 10).astype(np.float32)
    s = fconv.Stream(h, 32)
    y = s.process(x)
    assert y.shape == (320,) and y.dtype == np.float32
    close(y, np.convolve(x, h)[:320], np.float32)
    out = np.empty(32, np.float32)
    assert s.process(x[:32], out=out) is out
    two = fconv.Stream([[h], [2 * h]], 32)  # one input, two outputs: (2, n) for a 1-D input
    s.reset()
    y2 = two.process(x)
    assert y2.shape == (2, 320)
    np.testing.assert_allclose(y2[1], 2 * y2[0], rtol=1e-6, atol=1e-6)
    close(y2[0], y, np.float32)


def test_set_responses_and_crossfade():
    rng = np.random.default_rng(SEED + 200)
    B = 64
    h1, h2 = rng.standard_normal(300), rng.standard_normal(700)
    x = rng.standard_normal(B * 8)
    s = fconv.Stream(h1, B, max_response_length=1000)
    s.process(x[:4 * B])
    s.set_responses(h2)  # as if h2 had always been in place
    close(s.process(x[4 * B:]), np.convolve(x, h2)[4 * B:8 * B], np.float64)
    s.reset()
    s.set_responses(h1)
    s.process(x[:4 * B])
    s.set_responses(h2, crossfade=B)
    y = s.process(x[4 * B:5 * B])
    a, b = np.convolve(x, h1)[4 * B:5 * B], np.convolve(x, h2)[4 * B:5 * B]
    wgt = (np.arange(B) + 1) / (B + 1)
    close(y, (1 - wgt) * a + wgt * b, np.float64)
    with pytest.raises(fconv.InvalidArgumentError):
        s.set_responses(np.ones(1001))  # longer than max_response_length
    with pytest.raises(ValueError, match="1 x 1"):
        s.set_responses([[h1, h1]])


def test_worker_thread_gives_identical_output():
    rng = np.random.default_rng(SEED + 300)
    B = 32
    h = rng.standard_normal(40000)
    x = rng.standard_normal(B * 400)
    plain = fconv.Stream(h, B, worker=True).process(x)  # the same stream, work() never called
    close(plain, np.convolve(x, h)[:len(x)], np.float64)
    s = fconv.Stream(h, B, worker=True)
    assert s.info["levels"] > 1  # large partitions: there is work for the worker
    stop = threading.Event()
    done = []

    def worker():
        while not stop.is_set():
            done.append(s.work())

    t = threading.Thread(target=worker)
    t.start()
    try:
        y = np.concatenate([s.process(x[j * B:(j + 1) * B]) for j in range(400)])
    finally:
        stop.set()
        t.join()
    assert sum(done) > 0  # the worker ran pieces of work
    np.testing.assert_array_equal(y, plain)  # bit for bit, as fconv_stream_work promises
    s.close()
    with pytest.raises(ValueError, match="closed"):
        s.work()
    with pytest.raises(fconv.InvalidArgumentError):
        fconv.Stream(h, B).work()  # created without worker=True


def test_argument_errors():
    h = np.ones(10)
    with pytest.raises(fconv.InvalidArgumentError):
        fconv.Stream(h, 0)
    with pytest.raises(fconv.InvalidArgumentError):
        fconv.Stream(np.ones(0), 16)  # a response of length 0
    with pytest.raises(ValueError, match="partitioning"):
        fconv.Stream(h, 16, partitioning="bogus")
    with pytest.raises(ValueError, match="one response per input"):
        fconv.Stream([[h, h], [h]], 16)
    with pytest.raises(ValueError, match="dtype"):
        fconv.Stream(h, 16, dtype=np.int32)
    s = fconv.Stream([[h, h]], 16)
    with pytest.raises(ValueError, match="one-input"):
        s.process(np.ones(16))
    with pytest.raises(ValueError, match="multiple of the block"):
        s.process(np.ones((2, 20)))
    with pytest.raises(ValueError, match="out must"):
        s.process(np.ones((2, 16)), out=np.empty((2, 16)))
    s.close()
    assert s.closed and "closed" in repr(s)
    with pytest.raises(ValueError, match="closed"):
        s.process(np.ones((2, 16)))
