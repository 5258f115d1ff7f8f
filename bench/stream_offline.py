#!/usr/bin/env python3
"""stream_offline.py — the offline reference row of the streaming section (issue 12):
scipy.signal.oaconvolve over the whole signal at once (no block processing, so no latency
bound), for the same cases as fconv_stream_bench: 48 kHz noise through decaying-noise responses,
f32, an inputs x outputs matrix summed per output. CPU seconds (process time) for the whole
signal, median over the runs, and the same figure per block of B samples so that it reads next
to the streaming table. scipy.fft runs single-threaded (its default, workers=None).

  stream_offline.py [--seconds S] [--runs R] [--ir 0.5,2,10] [--channels 1,2]
                    [--blocks 64,128,256,1024]
"""
import argparse
import statistics
import sys
import time

try:
    import numpy as np
    import scipy
    import scipy.signal
except ImportError as err:  # the bench then says why the row is missing
    print(f"stream_offline.py: {err}; no scipy.signal.oaconvolve row", file=sys.stderr)
    sys.exit(0)

RATE = 48000.0


def floats(text):
    return [float(v) for v in text.split(",") if v]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--ir", type=floats, default=[0.5, 2, 10])
    ap.add_argument("--channels", type=floats, default=[1, 2])
    ap.add_argument("--blocks", type=floats, default=[64, 128, 256, 1024])
    a, _ = ap.parse_known_args()  # fconv_stream_bench's other options do not apply
    if a.seconds <= 0 or a.runs < 1:
        ap.error("--seconds and --runs must be positive")
    g = np.random.default_rng(12345)
    T = int(a.seconds * RATE)
    print(f"offline reference: scipy {scipy.__version__} scipy.signal.oaconvolve of the whole "
          f"{a.seconds:g} s signal (f32, single-threaded), CPU time, median of {a.runs} runs")
    heads = " | ".join(f"us per block {int(b)}" for b in a.blocks)
    print(f"| IR | channels | oaconvolve s | {heads} | RT factor |")
    print("|---|---|---|" + "---|" * len(a.blocks) + "---|")
    for ir in a.ir:
        n = int(ir * RATE)
        decay = np.exp(-6.9 * np.arange(n) / n).astype(np.float32)
        for ch in a.channels:
            c = int(ch)
            h = [(g.uniform(-1, 1, n).astype(np.float32) * decay * 0.05) for _ in range(c * c)]
            x = [g.uniform(-1, 1, T).astype(np.float32) for _ in range(c)]
            times = []
            for _ in range(a.runs):
                t0 = time.process_time()
                for o in range(c):
                    y = np.zeros(T, np.float32)
                    for i in range(c):
                        y += scipy.signal.oaconvolve(x[i], h[o * c + i])[:T]
                times.append(time.process_time() - t0)
            t = statistics.median(times)
            per = " | ".join(f"{t * 1e6 / (T / b):.1f}" for b in a.blocks)
            print(f"| {ir:g} s | {c} in, {c} out | {t:.2f} | {per} | {a.seconds / t:.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()
