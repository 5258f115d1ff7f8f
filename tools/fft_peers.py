#!/usr/bin/python3
"""fft_peers.py — peer timings for the fconv FFT target cases (F32, SAME unless stated).

Peers: scipy.signal.fftconvolve, oaconvolve, convolve (method='auto'), and cv2.filter2D for 2-D,
with 2 threads (scipy.fft.set_workers, cv2.setNumThreads). Median of reps, milliseconds.
Run with the system interpreter, in the same shell session as tools/fconv_fft_timing:
  /usr/bin/python3 tools/fft_peers.py [reps] [case-substring] [threads=2]
With threads = 1 the peers run single-threaded and are timed with process CPU time (robust on a
busy machine, comparable with fconv_fft_timing's threads = 1 figures); otherwise wall time.
"""
import sys, time
import numpy as np
import scipy.signal as ss
import scipy.fft
import cv2

THREADS = int(sys.argv[3]) if len(sys.argv) > 3 else 2
cv2.setNumThreads(THREADS)
CLOCK = time.process_time if THREADS == 1 else time.perf_counter
CASES = [
    ("1d-1M-k16", (1 << 20,), (16,), "same"),
    ("1d-1M-k1024", (1 << 20,), (1024,), "same"),
    ("1d-1M-k65536", (1 << 20,), (65536,), "same"),
    ("1d-64K-k65536-full", (65536,), (65536,), "full"),
    ("2d-2048-k7", (2048, 2048), (7, 7), "same"),
    ("2d-2048-k15", (2048, 2048), (15, 15), "same"),
    ("2d-2048-k31", (2048, 2048), (31, 31), "same"),
    ("2d-1024-k127", (1024, 1024), (127, 127), "same"),
    ("3d-128-k5", (128, 128, 128), (5, 5, 5), "same"),
]


def med(f, reps):
    f()
    ts = []
    for _ in range(reps):
        t0 = CLOCK()
        f()
        ts.append(CLOCK() - t0)
    return sorted(ts)[len(ts) // 2] * 1e3


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    only = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] != "all" else None
    rng = np.random.default_rng(1)
    print("%-20s %12s %12s %12s %12s  best" % ("case", "fftconvolve", "oaconvolve", "convolve", "filter2D"))
    for name, n, k, mode in CASES:
        if only and only not in name:
            continue
        x = rng.random(n, dtype=np.float32) - 0.5
        h = rng.random(k, dtype=np.float32) - 0.5
        r = {}
        with scipy.fft.set_workers(THREADS):
            r["fftconvolve"] = med(lambda: ss.fftconvolve(x, h, mode=mode), reps)
            r["oaconvolve"] = med(lambda: ss.oaconvolve(x, h, mode=mode), reps)
            r["convolve"] = med(lambda: ss.convolve(x, h, mode=mode, method="auto"), reps)
        if len(n) == 2 and mode == "same":
            hf = np.ascontiguousarray(h[::-1, ::-1])
            r["filter2D"] = med(lambda: cv2.filter2D(x, -1, hf, borderType=cv2.BORDER_CONSTANT), reps)
        best = min(r, key=r.get)
        print("%-20s %12.2f %12.2f %12.2f %12s  %s %.2f" % (
            name, r["fftconvolve"], r["oaconvolve"], r["convolve"],
            "%.2f" % r["filter2D"] if "filter2D" in r else "-", best, r[best]), flush=True)


if __name__ == "__main__":
    main()
