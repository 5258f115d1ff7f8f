"""The GIL is released while fconv computes, and concurrent use stays correct."""

import threading
import time

import numpy as np
import scipy.signal as ss

import fconv
from fconv import signal as fs


def _long_plan(seconds=0.3):
    """A direct-method plan whose one call takes at least `seconds` here (grown until it
    does), with its input arrays."""
    n, k = 1 << 16, 256
    while True:
        plan = fconv.Plan((n,), (k,), "float64", method="direct", threads=1)
        x = np.ones(n)
        h = np.ones(k)
        t0 = time.perf_counter()
        plan(x, h)
        if time.perf_counter() - t0 >= seconds or k >= 1 << 16:
            return plan, x, h
        k *= 4


def test_other_threads_run_during_a_call():
    """With the GIL held through the call, the main thread could run only in the switch
    interval (5 ms) around it; we require it to make progress in the middle of the call."""
    plan, x, h = _long_plan()
    times = {}
    started = threading.Event()

    def worker():
        started.set()
        times["enter"] = time.perf_counter()
        plan(x, h)
        times["exit"] = time.perf_counter()

    t = threading.Thread(target=worker)
    stamps = []
    t.start()
    started.wait()
    while t.is_alive():
        stamps.append(time.perf_counter())
    t.join()
    enter, leave = times["enter"], times["exit"]
    margin = 0.05 + 0.1 * (leave - enter)
    inside = [s for s in stamps if enter + margin < s < leave - margin]
    assert leave - enter > 2 * margin, "the call was too short to tell (%.3f s)" % (leave - enter)
    assert len(inside) > 1000, (
        "main thread ran %d loop iterations during the middle of a %.3f s call"
        % (len(inside), leave - enter))


def test_one_plan_from_many_threads():
    rng = np.random.default_rng(7)
    plan = fconv.Plan((500,), (33,), "float64", mode="same")
    h = rng.standard_normal(33)
    plan.set_kernel(h)
    xs = [rng.standard_normal(500) for _ in range(64)]
    want = [ss.convolve(x, h, "same") for x in xs]
    got = [None] * len(xs)

    def work(i0):
        for i in range(i0, len(xs), 4):
            got[i] = plan(xs[i])

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-10)


def test_one_shot_functions_from_many_threads():
    """Same shapes from several threads: cached plans are never shared by two threads."""
    rng = np.random.default_rng(8)
    cases = [(rng.standard_normal((40, 40)), rng.standard_normal((5, 5))) for _ in range(48)]
    want = [ss.convolve(x, h, "same") for x, h in cases]
    got = [None] * len(cases)

    def work(i0):
        for i in range(i0, len(cases), 4):
            got[i] = fs.convolve(cases[i][0], cases[i][1], "same")

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-10)
