#!/usr/bin/python3
"""cnn.py — the CNN section of the bench: the eight layers of issue 13 through fconv
(fconv_cnn_bench, multi-channel API) and torch.nn.functional.conv1d/2d/3d, in the same run, on
the same data, outputs verified against each other (max |diff| / max |y| <= 1e-3 for f32).

  /usr/bin/python3 bench/cnn.py --bin build-cpu/bench/fconv_cnn_bench [--threads 2] [--reps 5]
                       [--rounds 3] [--layers 1,2,...] [--method auto|direct|fft|os]
                       [--inproc build-cpu/python]

Both sides use 2 threads by default (torch.set_num_threads). Every process runs with glibc told
to keep freed memory (GLIBC_TUNABLES=glibc.malloc.mmap_threshold=2147483647:
glibc.malloc.trim_threshold=2147483647), torch's best setting on this VM (the script re-executes
itself with it when unset). Per layer, --rounds rounds alternate the two sides (fconv's --reps
executes after a warm-up, then torch's), so both see the same machine load; a time is the
median over the rounds of each round's median, the speedup the median of the rounds' ratios.
torch's times include nothing but the conv call (no grad).
--inproc DIR times fconv through its Python package instead (DIR holds the importable `fconv`,
e.g. <build>/python): one process, a fconv.Plan with channels (kernel set once, output array
reused) and torch alternating round by round as above, with a 20 ms pause before each side's
round so that the other side's idle threads (fconv's spin 30 us, libgomp's up to a few ms) have
gone to sleep; cheap rounds, so use many (--rounds 30). The header gives the CPU's f32
multiply-add peak for --threads cores (fconv_cnn_bench peak: the best of many short runs of
independent FMA chains on one core, times --threads), and both sides' GFLOP/s are also shown as
a share of it."""
import argparse
import os
import subprocess
import sys
import tempfile
import time

TUNE = "glibc.malloc.mmap_threshold=2147483647:glibc.malloc.trim_threshold=2147483647"

# (name, rank, N, Cin, Cout, groups, size, k, stride, pad)
LAYERS = [
    ("1. N=8, 64->64, 56^2, 3x3, pad 1", 2, 8, 64, 64, 1, 56, 3, 1, 1),
    ("2. N=8, 256->256, 14^2, 3x3, pad 1", 2, 8, 256, 256, 1, 14, 3, 1, 1),
    ("3. N=1, 3->64, 224^2, 7x7, stride 2, pad 3", 2, 1, 3, 64, 1, 224, 7, 2, 3),
    ("4. N=8, depthwise C=256, 28^2, 7x7, pad 3", 2, 8, 256, 256, 256, 28, 7, 1, 3),
    ("5. N=8, depthwise C=128, 56^2, 31x31, pad 15", 2, 8, 128, 128, 128, 56, 31, 1, 15),
    ("6. N=8, 64->64, 64^2, 31x31, pad 15", 2, 8, 64, 64, 1, 64, 31, 1, 15),
    ("7. conv1d N=16, 32->32, 16384, 255 taps, pad 127", 1, 16, 32, 32, 1, 16384, 255, 1, 127),
    ("8. conv3d N=2, 16->16, 64^3, 3x3x3, pad 1", 3, 2, 16, 16, 1, 64, 3, 1, 1),
]


def gflop(l):
    _, rank, n, cin, cout, groups, size, k, stride, pad = l
    out = (size + 2 * pad - k) // stride + 1
    return 2.0 * n * cout * (cin // groups) * (out ** rank) * (k ** rank) / 1e9


def inproc(fc, F, f, l, a, tf_r, tt_r, np, torch, med):
    """One layer through fconv's Python package and torch in this process (--inproc): rounds
    alternate the sides (a 20 ms pause before each), each round's median of a.reps calls is
    appended to tf_r / tt_r. Returns (failure or None, info, fconv's y, torch's y)."""
    _, rank, n, cin, cout, groups, size, k, stride, pad = l
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, cin) + (size,) * rank).astype(np.float32)
    w = rng.standard_normal((cout, cin // groups) + (k,) * rank).astype(np.float32)
    try:
        plan = fc.Plan((size,) * rank, (k,) * rank, "float32", batch=n, channels=(cin, cout),
                       groups=groups, mode="pad", pad=(pad, pad), stride=stride,
                       op="correlate", method=a.method, backend="cpu", threads=a.threads)
        plan.set_kernel(w)
        y = np.empty(plan.output_shape, np.float32)
        plan(x, out=y)  # warm-up
    except fc.Error as e:
        return str(e), {}, None, None
    xt, wt = torch.from_numpy(x), torch.from_numpy(w)
    with torch.no_grad():
        yt = f(xt, wt, stride=stride, padding=pad, groups=groups)  # warm-up
        for _ in range(a.rounds):
            for side in (0, 1):
                time.sleep(0.02)
                times = []
                for _ in range(a.reps):
                    t0 = time.perf_counter()
                    if side == 0:
                        plan(x, out=y)
                    else:
                        yt = f(xt, wt, stride=stride, padding=pad, groups=groups)
                    times.append((time.perf_counter() - t0) * 1e3)
                (tf_r if side == 0 else tt_r).append(med(times))
    info = {"method": plan.info["method"]}
    plan.close()
    return None, info, y, yt


def main():
    if os.environ.get("GLIBC_TUNABLES") != TUNE:
        env = dict(os.environ, GLIBC_TUNABLES=TUNE)
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--layers", default="1,2,3,4,5,6,7,8")
    ap.add_argument("--method", default="auto")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--inproc", default=None)
    a = ap.parse_args()
    import numpy as np
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(a.threads)
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
    want = {int(s) for s in a.layers.split(",")}
    pk = subprocess.run([a.bin, "peak", str(a.threads)], capture_output=True, text=True)
    peak = float(dict(kv.split("=") for kv in pk.stdout.split())["gflops"]) \
        if pk.returncode == 0 else float("nan")
    fc = None
    if a.inproc:
        sys.path.insert(0, a.inproc)
        import fconv as fc
    print(f"# torch {torch.__version__}, {a.threads} threads each, GLIBC_TUNABLES={TUNE}, "
          f"{a.rounds} rounds of {a.reps} reps"
          + (f", fconv in process (Python package {fc.library_version})" if fc else ""))
    print(f"# f32 multiply-add peak of {a.threads} cores (best one-core FMA run x {a.threads}): "
          f"{pk.stdout.strip()}")
    print("| layer | GFLOP | torch ms | fconv ms (method) | speedup | torch GFLOP/s (% peak) |"
          " fconv GFLOP/s (% peak) | max rel diff |")
    print("|---|---|---|---|---|---|---|---|")
    ok = True

    def med(v):
        v = sorted(v)
        return v[len(v) // 2]

    with tempfile.TemporaryDirectory() as tmp:
        for i, l in enumerate(LAYERS, 1):
            if i not in want:
                continue
            name, rank, n, cin, cout, groups, size, k, stride, pad = l
            f = conv[rank]
            tf_r, tt_r, info, failed = [], [], {}, None
            if fc is not None:
                failed, info, yf, yt = inproc(fc, F, f, l, a, tf_r, tt_r, np, torch, med)
            for _ in range(a.rounds if fc is None else 0):
                r = subprocess.run([a.bin, str(rank), str(n), str(cin), str(cout), str(groups),
                                    str(size), str(k), str(stride), str(pad), str(a.threads),
                                    a.method, str(a.reps), tmp], capture_output=True, text=True)
                if r.returncode != 0:
                    failed = r.stderr.strip()
                    break
                info = dict(kv.split("=") for kv in r.stdout.split())
                tf_r.append(float(info["median_ms"]))
                x = torch.from_numpy(np.fromfile(os.path.join(tmp, "x.f32"), dtype=np.float32)
                                     .reshape((n, cin) + (size,) * rank))
                w = torch.from_numpy(np.fromfile(os.path.join(tmp, "w.f32"), dtype=np.float32)
                                     .reshape((cout, cin // groups) + (k,) * rank))
                times = []
                with torch.no_grad():
                    yt = f(x, w, stride=stride, padding=pad, groups=groups)  # warm-up
                    for _ in range(a.reps):
                        t0 = time.perf_counter()
                        yt = f(x, w, stride=stride, padding=pad, groups=groups)
                        times.append((time.perf_counter() - t0) * 1e3)
                tt_r.append(med(times))
            if failed is not None:
                print(f"| {name} | fconv failed: {failed} |")
                ok = False
                continue
            if fc is None:
                yf = np.fromfile(os.path.join(tmp, "y.f32"), dtype=np.float32)
            yf = yf.ravel()
            yt = yt.numpy().ravel()
            tt, tf = med(tt_r), med(tf_r)
            ratio = med([t / q for t, q in zip(tt_r, tf_r)])
            diff = float(np.max(np.abs(yt - yf)) / max(np.max(np.abs(yt)), 1e-30)) \
                if yt.size == yf.size else float("inf")
            ok = ok and diff <= 1e-3
            g = gflop(l)
            gt, gf = g / tt * 1e3, g / tf * 1e3
            print(f"| {name} | {g:.3g} | {tt:.2f} | {tf:.2f} ({info['method']}) | {ratio:.2f}x"
                  f" | {gt:.0f} ({100 * gt / peak:.0f}%) | {gf:.0f} ({100 * gf / peak:.0f}%)"
                  f" | {diff:.1e} |", flush=True)
    if not ok:
        print("# MISMATCH or failure: see the rows above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
