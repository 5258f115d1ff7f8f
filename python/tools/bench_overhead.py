#!/usr/bin/python3
"""bench_overhead.py -- the Python binding's cost over the bare C calls, side by side.

    PYTHONPATH=build/python python3 python/tools/bench_overhead.py [--clock thread|wall]
        [--reps 20000] [--rounds 7]

For small problems (default: 1-D f32 64 samples with 3 taps, full; 2-D f32 32x32 with 3x3,
same) it times, in one process and alternating rounds (median of rounds, microseconds per
call):
  C execute        fconv_execute(plan, x, h, y) in a C loop (what fconv_bench times)
  C execute(NULL)  fconv_execute(plan, x, NULL, y) after fconv_plan_set_kernel
  C one-shot       fconv_convolve(&desc, x, h, y): plan, execute, destroy
  Plan(x, h, out)  fconv.Plan called from Python, output given
  Plan(x, out)     the kernel set once with set_kernel
  Plan(x)          output allocated by the call
  signal.convolve  fconv.signal.convolve(x, h) (one-shot: plan cache hit, set_kernel,
                   execute, NumPy glue), and with the plan cache off (a plan per call)
  scipy            scipy.signal.convolve(x, h) for reference
The overhead is Python time minus the matching C time. fconv runs with threads=1, so the
calling thread does all the work and --clock thread (the default: CPU time of this thread,
for C and Python alike) is insensitive to other processes on a busy machine; --clock wall
measures elapsed time.
"""

import argparse
import statistics
import time

import numpy as np

import fconv
from fconv import _core
from fconv import signal as fs


CLOCK = {"thread": time.thread_time, "wall": time.perf_counter}
C_CLOCK = {"wall": 0, "thread": 1}  # index into _core._time_c's result


def per_call(fn, reps, clock):
    t0 = clock()
    for _ in range(reps):
        fn()
    return (clock() - t0) / reps


def measure(name, n, k, mode, clockname, reps, rounds, threads=1):
    clock = CLOCK[clockname]
    ci = C_CLOCK[clockname]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n).astype(np.float32)
    h = rng.standard_normal(k).astype(np.float32)
    plan = fconv.Plan(n, k, np.float32, mode=mode, threads=threads)
    out = np.empty(plan.output_shape, np.float32)
    kplan = fconv.Plan(n, k, np.float32, mode=mode, threads=threads)
    kplan.set_kernel(h)
    kout = np.empty(kplan.output_shape, np.float32)
    cache = fconv.plan_cache()

    def no_cache():
        fconv.plan_cache(max_plans=0)
        try:
            fs.convolve(x, h, mode, threads=threads)
        finally:
            fconv.plan_cache(max_plans=cache[0])

    import scipy.signal as ss
    cases = [
        ("C execute", lambda r: _core._time_c(plan, x, h, out, r, False)[ci], True),
        ("C execute(NULL)", lambda r: _core._time_c(kplan, x, None, kout, r, False)[ci], True),
        ("C one-shot", lambda r: _core._time_c(plan, x, h, out, max(r // 10, 100), True)[ci],
         True),
        ("Plan(x, h, out)", lambda r: per_call(lambda: plan(x, h, out), r, clock), False),
        ("Plan(x, out)", lambda r: per_call(lambda: kplan(x, out=kout), r, clock), False),
        ("Plan(x)", lambda r: per_call(lambda: kplan(x), r, clock), False),
        ("signal.convolve", lambda r: per_call(
            lambda: fs.convolve(x, h, mode, threads=threads), r, clock), False),
        ("signal.convolve, no cache", lambda r: per_call(no_cache, max(r // 10, 100), clock),
         False),
        ("scipy.signal.convolve", lambda r: per_call(lambda: ss.convolve(x, h, mode), r,
                                                     clock), False),
    ]
    samples = {c[0]: [] for c in cases}
    for _ in range(rounds):  # alternate, so a busy moment hits every case alike
        for label, fn, _ in cases:
            samples[label].append(fn(reps))
    med = {label: statistics.median(v) * 1e6 for label, v in samples.items()}
    base = {"Plan(x, h, out)": "C execute", "Plan(x, out)": "C execute(NULL)",
            "Plan(x)": "C execute(NULL)", "signal.convolve": "C one-shot",
            "signal.convolve, no cache": "C one-shot"}
    print("\n%s (%s, threads=%d, %s clock; median of %d rounds; us per call)"
          % (name, mode, threads, clockname, rounds))
    print("%-28s %10s %22s" % ("call", "us", "overhead over C (us)"))
    for label, _, _ in cases:
        extra = ""
        if label in base:
            extra = "%+.2f vs %s" % (med[label] - med[base[label]], base[label])
        print("%-28s %10.2f   %s" % (label, med[label], extra))
    return med


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clock", choices=sorted(CLOCK), default="thread")
    ap.add_argument("--reps", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=7)
    a = ap.parse_args()
    print("fconv %s, NumPy %s" % (fconv.library_version, np.__version__))
    measure("1-D f32 64 samples, 3 taps", (64,), (3,), "full", a.clock, a.reps, a.rounds)
    measure("2-D f32 32x32, 3x3", (32, 32), (3, 3), "same", a.clock, a.reps // 4, a.rounds)


if __name__ == "__main__":
    main()
