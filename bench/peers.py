#!/usr/bin/python3
"""peers.py -- time the libraries people use today on fconv_bench's problems, same CSV format.

  /usr/bin/python3 bench/peers.py --cases-from results/.../fconv.csv --csv results/.../peers.csv
  /usr/bin/python3 bench/peers.py 2d:f32:2048x2048:k7x7:same 1d:f32:2^20:k16:same

Peers: NumPy (np.convolve, 1-D), SciPy (signal.convolve, fftconvolve, oaconvolve,
ndimage.convolve), OpenCV (cv2.filter2D, 2-D, the kernel flipped since it correlates), and on GPU
machines PyTorch (cuDNN conv1d/2d/3d) and CuPy (cupyx.scipy.signal.fftconvolve,
cupyx.scipy.ndimage.convolve) when importable. Also "fconv (Python)": fconv's own Python package
(a Plan called from Python, the kernel passed like fconv_bench passes it), so the binding's
overhead over the C rows is visible; it is imported from $FCONV_PYTHONPATH, else build/python
(cmake --build build --target fconv_python), and is not a peer in the report's comparisons. A peer that cannot be imported is reported as
"missing" (a GPU peer without a device as "no device"), never dropped. Every peer result is
checked at sampled points against the scalar oracle (benchcase.oracle_point) before it is timed:
a peer that computes something else is a "mismatch" (exit status 2), so every comparison is
between equal computations. Each measurement runs in a worker process with a per-row timeout.
Threads: OpenCV gets --threads (cv2.setNumThreads), SciPy's FFTs --threads workers
(scipy.fft.set_workers); np.convolve, scipy direct and ndimage are single-threaded.

Peers run at their best: this VM charges ~16 us of CPU for the first touch of every fresh 4 KiB
page, and every peer allocates its output (and scratch) per call, so the workers run with glibc
told to keep freed memory (GLIBC_TUNABLES=glibc.malloc.mmap_threshold=2147483647:
glibc.malloc.trim_threshold=2147483647; --malloc default turns it off); the CSV records it.
Rows: "steady" (call column) is the repeated call in a long-lived worker; "first" is the first
call in a fresh worker process (imports done, data made, nothing called yet), for the problems
fconv measured one-shot (--first-calls). --contended keeps one busy process (a pure spin loop)
running beside every measurement.
"""

import argparse
import csv
import json
import math
import os
import platform
import select
import subprocess
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchcase  # noqa: E402

COLUMNS = ("group,problem,case,source,impl,method_req,backend_req,mem,method,backend,reason,"
           "threads,status,verify,max_rel_err,oracle_rel_err,tol,reps,plan_ms,median_ms,min_ms,"
           "max_ms,q1_ms,q3_ms,outputs,taps,bytes,outputs_per_s,gbps,gflops,note,call,first_ms,"
           "set_kernel_ms,transforms_ms,transforms").split(",")

# glibc keeps freed memory instead of returning it (no fresh-page faults per call).
KEEP_MEMORY = ("GLIBC_TUNABLES",
               "glibc.malloc.mmap_threshold=2147483647:glibc.malloc.trim_threshold=2147483647")

# --contended: the busy process, a pure spin loop that ends when its parent is gone.
SPIN = ("import os, sys\n"
        "parent = int(sys.argv[1])\n"
        "while True:\n"
        "    for _ in range(1000000):\n"
        "        pass\n"
        "    if os.getppid() != parent:\n"
        "        break\n")

# name, library (import name), source label, method, backend, memory
IMPLS = [
    ("numpy.convolve", "numpy", "numpy", "direct", "cpu", "host"),
    ("scipy.signal.convolve", "scipy", "scipy", "auto", "cpu", "host"),
    ("scipy.signal.fftconvolve", "scipy", "scipy", "fft", "cpu", "host"),
    ("scipy.signal.oaconvolve", "scipy", "scipy", "os", "cpu", "host"),
    ("scipy.ndimage.convolve", "scipy", "scipy", "direct", "cpu", "host"),
    ("cv2.filter2D", "cv2", "opencv", "auto", "cpu", "host"),
    ("torch.convNd", "torch", "torch", "auto", "cuda", "device"),
    ("cupyx.scipy.signal.fftconvolve", "cupy", "cupy", "fft", "cuda", "device"),
    ("cupyx.scipy.ndimage.convolve", "cupy", "cupy", "direct", "cuda", "device"),
    ("fconv (Python)", "fconv", "fconv-python", "auto", "auto", "host"),
]
# fconv's Python package for the "fconv (Python)" row (see the docstring)
FCONV_PYTHONPATH = os.environ.get("FCONV_PYTHONPATH",
                                  os.path.join(os.path.dirname(HERE), "build", "python"))
if os.path.isdir(FCONV_PYTHONPATH) and FCONV_PYTHONPATH not in sys.path:
    sys.path.insert(0, FCONV_PYTHONPATH)  # every worker (steady and first-call) imports it
IMPL_BY_NAME = {i[0]: i for i in IMPLS}

NDIMAGE_MODES = {"zero": "constant", "wrap": "grid-wrap", "symmetric": "reflect",
                 "mirror": "mirror", "replicate": "nearest"}


def applicable(impl, c):
    """None when the peer can compute case c exactly as fconv defines it, else why not."""
    if impl == "fconv (Python)":
        return None
    if any(s != 1 for s in c.stride) and impl != "torch.convNd":
        return "no stride"
    if impl == "numpy.convolve":
        if c.rank != 1:
            return "1-D only"
        if c.boundary != "zero":
            return "zero boundary only"
        if c.mode == "same" and c.k[0] > c.n[0]:
            return "numpy 'same' differs when the kernel is longer"
        return None
    if impl in ("scipy.signal.convolve", "scipy.signal.fftconvolve", "scipy.signal.oaconvolve",
                "cupyx.scipy.signal.fftconvolve"):
        return None if c.boundary == "zero" else "zero boundary only"
    if impl in ("scipy.ndimage.convolve", "cupyx.scipy.ndimage.convolve"):
        if c.mode != "same":
            return "'same' only"
        if impl.startswith("cupyx") and c.is_complex:
            return "real only"
        return None
    if impl == "cv2.filter2D":
        if c.rank != 2:
            return "2-D only"
        if c.mode != "same":
            return "'same' only"
        if c.is_complex:
            return "real only"
        if c.boundary == "wrap":
            return "filter2D has no BORDER_WRAP"
        if c.batch * c.kernel_batch > 64:
            return "batch too large for a Python loop"
        return None
    if impl == "torch.convNd":
        if c.is_complex:
            return "real only"
        if c.swapped:
            return "kernel larger than signal"
        if c.boundary == "symmetric":
            return "no symmetric padding"
        return None
    return "unknown peer"


# ---- the worker (imports the libraries; one task at a time over stdin/stdout) -----------------

def _emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _probe_libs():
    libs = {}
    for name in ("numpy", "scipy", "cv2", "torch", "cupy", "fconv"):
        try:
            mod = __import__(name)
            info = {"version": getattr(mod, "__version__", "?"), "ok": True}
            if name == "torch":
                info["gpu"] = bool(mod.cuda.is_available())
                if info["gpu"]:
                    info["device"] = mod.cuda.get_device_name(0)
                    info["cudnn"] = str(mod.backends.cudnn.version())
            if name == "cupy":
                try:
                    info["gpu"] = mod.cuda.runtime.getDeviceCount() > 0
                except Exception as e:  # no driver
                    info["gpu"] = False
                    info["why"] = str(e).splitlines()[0]
            libs[name] = info
        except Exception as e:
            libs[name] = {"ok": False, "why": "%s: %s" % (type(e).__name__, e)}
    return libs


class Runner:
    def __init__(self, threads):
        self.threads = threads
        self.data_key = None
        self.gpu_cache = {}

    def data(self, c):
        import numpy as np
        key = c.problem()
        if key != self.data_key:
            self.gpu_cache = {}
            rng = np.random.default_rng(zlib.crc32(key.encode()))
            real = np.float32 if c.dtype in ("f32", "c64") else np.float64

            def gen(shape):
                a = rng.uniform(-1.0, 1.0, size=shape).astype(real)
                if c.is_complex:
                    a = a + 1j * rng.uniform(-1.0, 1.0, size=shape).astype(real)
                return np.ascontiguousarray(a)

            self.x = gen((c.batch,) + tuple(c.n))
            self.h = benchcase.make_kernel(c, rng, real)
            self.data_key = key
        return self.x, self.h

    def make(self, impl, c):
        """Returns (fn, sync, to_host, method_note): fn() computes all outputs."""
        import numpy as np
        x, h = self.data(c)
        r = c.rank
        flip = (slice(None),) + (slice(None, None, -1),) * r
        # fconv: CORRELATE = CONVOLVE with g = flip(conj(h)); every peer convolves with g.
        g = np.ascontiguousarray(np.conj(h)[flip]) if c.op == "corr" else h
        count = c.count
        si = (lambda i: 0) if c.batch == 1 else (lambda i: i)
        ki = (lambda i: 0) if c.kernel_batch == 1 else (lambda i: i)
        host = (lambda y: np.asarray(y))
        nosync = (lambda: None)
        T = self.threads

        if impl == "numpy.convolve":
            op = np.convolve

            def fn():
                return np.stack([op(x[si(i)], g[ki(i)], c.mode) for i in range(count)])
            return fn, nosync, host, "loop over the batch" if count > 1 else ""

        if impl.startswith("scipy.signal"):
            import scipy.fft
            import scipy.signal as ss
            if impl == "scipy.signal.convolve":
                chosen = ss.choose_conv_method(x[0], g[0], c.mode)

                def fn():
                    with scipy.fft.set_workers(T):
                        return np.stack([ss.convolve(x[si(i)], g[ki(i)], c.mode)
                                         for i in range(count)])
                return fn, nosync, host, "scipy chose %s" % chosen
            f = ss.fftconvolve if impl.endswith("fftconvolve") else ss.oaconvolve
            axes = list(range(1, r + 1))
            # batches along axis 0; a lone signal (filter bank) or kernel broadcast explicitly
            xb = np.broadcast_to(x, (count,) + x.shape[1:])
            gb = np.broadcast_to(g, (count,) + g.shape[1:])

            def fn():
                with scipy.fft.set_workers(T):
                    return f(xb, gb, mode=c.mode, axes=axes)
            return fn, nosync, host, ""

        if impl == "scipy.ndimage.convolve":
            import scipy.ndimage as nd
            mode = NDIMAGE_MODES[c.boundary]
            origin = [-1 if k % 2 == 0 else 0 for k in c.k]
            if c.kernel_batch == 1:
                def fn():
                    return nd.convolve(x, g[:1], mode=mode, cval=0.0, origin=[0] + origin)
                return fn, nosync, host, ""

            def fn():
                return np.stack([nd.convolve(x[si(i)], g[ki(i)], mode=mode, cval=0.0,
                                             origin=origin) for i in range(count)])
            return fn, nosync, host, "loop over the batch"

        if impl == "cv2.filter2D":
            import cv2
            cv2.setNumThreads(T)
            border = {"zero": cv2.BORDER_CONSTANT, "symmetric": cv2.BORDER_REFLECT,
                      "mirror": cv2.BORDER_REFLECT_101,
                      "replicate": cv2.BORDER_REPLICATE}[c.boundary]
            kern = np.ascontiguousarray(g[flip])  # filter2D correlates: flip back

            def fn():
                return np.stack([cv2.filter2D(x[si(i)], -1, kern[ki(i)], borderType=border)
                                 for i in range(count)])
            return fn, nosync, host, "loop over the batch" if count > 1 else ""

        if impl == "torch.convNd":
            import torch
            import torch.nn.functional as F
            torch.backends.cudnn.benchmark = True
            dev = torch.device("cuda")
            conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[r]
            w_np = np.ascontiguousarray(g[flip])  # torch correlates
            xt = torch.from_numpy(x).to(dev)
            wt = torch.from_numpy(w_np).to(dev)
            pad = []
            for p0, p1 in reversed(c.pads()):
                pad += [p0, p1]
            pmode = {"zero": "constant", "wrap": "circular", "mirror": "reflect",
                     "replicate": "replicate"}[c.boundary]
            stride = tuple(c.stride)
            if c.kernel_batch == 1:
                xin, win, groups = xt.unsqueeze(1), wt.unsqueeze(1), 1      # (B,1,N) (1,1,K)
            elif c.batch == 1:
                xin, win, groups = xt.unsqueeze(1), wt.unsqueeze(1), 1      # (1,1,N) (KB,1,K)
            else:
                xin, win, groups = xt.unsqueeze(0), wt.unsqueeze(1), c.batch  # grouped

            def fn():
                xp = F.pad(xin, pad, mode=pmode) if any(pad) else xin
                y = conv(xp, win, stride=stride, groups=groups)
                return y.reshape((count,) + tuple(y.shape[2:]))
            return (fn, torch.cuda.synchronize, lambda y: y.detach().cpu().numpy(),
                    "cuDNN, device-resident")

        if impl == "fconv (Python)":
            import fconv
            shape = (count,) + tuple(c.out_shape())
            state = {}

            def fn():
                # planned in the first call (a first-call row includes it, like fconv's
                # one-shot), then reused; the kernel is passed like the C rows pass it
                if "plan" not in state:
                    state["plan"] = fconv.Plan(
                        c.n, c.k, x.dtype, batch=c.batch, kernel_batch=c.kernel_batch,
                        mode=c.mode, op="correlate" if c.op == "corr" else "convolve",
                        boundary=c.boundary, threads=T,
                        stride=list(c.stride) if len(c.stride) == c.rank else c.stride[0])
                    state["out"] = np.empty(state["plan"].output_shape, x.dtype)
                return state["plan"](x, h, state["out"]).reshape(shape)
            return fn, nosync, host, "fconv.Plan from Python"

        if impl.startswith("cupyx"):
            import cupy
            xd, gd = cupy.asarray(x), cupy.asarray(g)
            sync = cupy.cuda.Device().synchronize
            if impl.endswith("fftconvolve"):
                import cupyx.scipy.signal as cs
                axes = list(range(1, r + 1))
                xb = cupy.broadcast_to(xd, (count,) + xd.shape[1:])
                gb = cupy.broadcast_to(gd, (count,) + gd.shape[1:])

                def fn():
                    return cs.fftconvolve(xb, gb, mode=c.mode, axes=axes)
            else:
                import cupyx.scipy.ndimage as cn
                mode = NDIMAGE_MODES[c.boundary]
                origin = [-1 if k % 2 == 0 else 0 for k in c.k]
                if c.kernel_batch == 1:
                    def fn():
                        return cn.convolve(xd, gd[:1], mode=mode, cval=0.0, origin=[0] + origin)
                else:
                    def fn():
                        return cupy.stack([cn.convolve(xd[si(i)], gd[ki(i)], mode=mode, cval=0.0,
                                                       origin=origin) for i in range(count)])
            return fn, sync, cupy.asnumpy, "device-resident"
        raise ValueError("unknown peer " + impl)

    def verify(self, c, y):
        """Max relative error at sampled points against the oracle (and the shape)."""
        import numpy as np
        want = (c.count,) + c.out_shape()
        if tuple(y.shape) != want:
            return math.inf, "shape %s, expected %s" % (tuple(y.shape), want)
        x, h = self.data(c)
        out = c.out_shape()
        pts = []
        for item in sorted({0, c.count - 1}):
            for q in range(1 << c.rank):
                pts.append((item, tuple((o - 1) if (q >> a) & 1 else 0 for a, o in enumerate(out))))
            pts.append((item, tuple(o // 2 for o in out)))
        scale = float(np.max(np.abs(y))) if y.size else 0.0
        err = 0.0
        for item, t in pts:
            ref = benchcase.oracle_point(c, x, h, item, t)
            v = complex(y[(item,) + t])
            if not (math.isfinite(v.real) and math.isfinite(v.imag)):
                return math.inf, "non-finite output"
            err = max(err, abs(v - ref))
            scale = max(scale, abs(ref))
        return (err / scale if scale > 0 else err), "%d points" % len(pts)

    def first(self, task):
        """The first call of this (fresh) process: timed, then verified."""
        c = benchcase.parse_problem(task["problem"])
        fn, sync, to_host, note = self.make(task["impl"], c)
        t0 = time.perf_counter()
        y = fn()
        sync()
        t = time.perf_counter() - t0
        rel, how = self.verify(c, to_host(y))
        tol = c.tolerance()
        _emit({"type": "verified", "rel": rel, "tol": tol, "how": how, "note": note, "warm": t})
        if not (rel <= tol):
            _emit({"type": "done", "status": "mismatch",
                   "detail": "peer result differs from the oracle: %.3g > %.3g (%s)" %
                   (rel, tol, how)})
            return
        _emit({"type": "rep", "t": t})
        _emit({"type": "done", "status": "ok"})

    def run(self, task):
        c = benchcase.parse_problem(task["problem"])
        impl = task["impl"]
        if task.get("first"):
            return self.first(task)
        fn, sync, to_host, note = self.make(impl, c)
        t0 = time.perf_counter()
        y = fn()
        sync()
        tw = time.perf_counter() - t0
        rel, how = self.verify(c, to_host(y))
        del y
        tol = c.tolerance()
        _emit({"type": "verified", "rel": rel, "tol": tol, "how": how, "note": note,
               "warm": tw})
        if not (rel <= tol):
            _emit({"type": "done", "status": "mismatch",
                   "detail": "peer result differs from the oracle: %.3g > %.3g (%s)" %
                   (rel, tol, how)})
            return
        budget, min_reps = task["budget"], task["min_reps"]
        n = 0
        if tw >= budget:
            _emit({"type": "rep", "t": tw, "warm_counted": True})
            n = 1
        start = time.perf_counter()
        while n < min_reps or (time.perf_counter() - start < budget and n < 20000):
            t0 = time.perf_counter()
            y = fn()
            sync()
            _emit({"type": "rep", "t": time.perf_counter() - t0})
            del y
            n += 1
        _emit({"type": "done", "status": "ok"})


def worker_main(threads, lazy=False):
    libs = {} if lazy else _probe_libs()
    _emit({"type": "hello", "libs": libs, "python": platform.python_version()})
    runner = Runner(threads)
    for line in sys.stdin:
        task = json.loads(line)
        try:
            runner.run(task)
        except Exception as e:
            _emit({"type": "done", "status": "error",
                   "detail": "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")})


# ---- the parent -------------------------------------------------------------------------------

class Worker:
    def __init__(self, threads, keep_memory=True, lazy=False):
        env = dict(os.environ)
        for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[v] = str(threads)
        if keep_memory:
            env[KEEP_MEMORY[0]] = KEEP_MEMORY[1]
        self.p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker",
                                   "--threads", str(threads)] + (["--lazy"] if lazy else []),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                  text=True, bufsize=1)
        self.buf = ""
        self.hello = self.read(300.0)

    def read(self, timeout):
        """One JSON message, or None on timeout / exit."""
        deadline = time.monotonic() + timeout
        fd = self.p.stdout.fileno()
        while "\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self.buf += chunk.decode()
        line, self.buf = self.buf.split("\n", 1)
        return json.loads(line)

    def kill(self):
        try:
            self.p.kill()
            self.p.wait(timeout=10)
        except Exception:
            pass


def stats(ts):
    ts = sorted(ts)
    n = len(ts)
    if n == 0:
        return None

    def q(p):
        pos = p * (n - 1)
        i = int(pos)
        if i + 1 >= n:
            return ts[-1]
        f = pos - i
        return ts[i] * (1 - f) + ts[i + 1] * f
    return {"median": q(0.5), "min": ts[0], "max": ts[-1], "q1": q(0.25), "q3": q(0.75), "n": n}


def fmt(v):
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else "%.6g" % v


def row_for(group, c, impl, status, threads, st=None, verify="", rel=None, tol=None, note="",
            method=None, call="steady"):
    name, lib, source, meth, backend, mem = IMPL_BY_NAME[impl]
    med = st["median"] if st else None
    r = {k: "" for k in COLUMNS}
    r.update({
        "group": group, "problem": c.problem(), "case": c.problem(), "source": source,
        "impl": name, "method_req": "-", "backend_req": backend, "mem": mem,
        "method": method or meth, "backend": backend, "reason": "", "threads": str(threads),
        "status": status, "verify": verify, "max_rel_err": fmt(rel), "oracle_rel_err": fmt(rel),
        "tol": fmt(tol), "reps": str(st["n"] if st else 0), "plan_ms": "",
        "outputs": "%d" % c.outputs, "taps": "%d" % c.taps, "bytes": "%d" % c.bytes_moved(),
        "note": note, "call": call})
    if st:
        for k in ("median", "min", "max", "q1", "q3"):
            r[k + "_ms"] = fmt(st[k] * 1e3)
        r["outputs_per_s"] = fmt(c.outputs / med)
        r["gbps"] = fmt(c.bytes_moved() / med / 1e9)
        r["gflops"] = fmt(c.flops() / med / 1e9)
        if call == "first":
            r["first_ms"] = fmt(med * 1e3)
    return r


def impl_threads(impl, threads):
    if impl in ("cv2.filter2D", "scipy.signal.fftconvolve", "scipy.signal.oaconvolve",
                "scipy.signal.convolve", "fconv (Python)"):
        return threads
    return 1


def load_problems(path, groups):
    """Distinct (group, problem) of fconv rows in a CSV, in order; problems that fconv could not
    run at all (every row "not built" or "no device", e.g. GPU-sized cases without a GPU) are
    left out, and counted in the second value; the third: the problems with one-shot rows."""
    order, status, oneshot = [], {}, set()
    with open(path) as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        for r in rows:
            if r.get("source") != "fconv":
                continue
            if groups and not groups & set(r["group"].split("+")):
                continue
            if r["problem"] not in status:
                order.append((r["group"], r["problem"]))
                status[r["problem"]] = set()
            status[r["problem"]].add(r["status"])
            if r.get("call") == "oneshot":
                oneshot.add(r["problem"])
    keep = [(g, p) for g, p in order if status[p] - {"not built", "no device"}]
    return keep, len(order) - len(keep), oneshot


def collect(worker, task, timeout):
    """Send one task; gather its messages. (reps, verified message, final message or None on
    timeout / a dead worker, warm_counted)."""
    worker.p.stdin.write(json.dumps(task) + "\n")
    worker.p.stdin.flush()
    t0 = time.monotonic()
    reps, ver, final, warm_counted = [], None, None, False
    while True:
        msg = worker.read(max(0.0, timeout - (time.monotonic() - t0)))
        if msg is None:
            break
        if msg["type"] == "verified":
            ver = msg
        elif msg["type"] == "rep":
            reps.append(msg["t"])
            warm_counted |= bool(msg.get("warm_counted"))
        elif msg["type"] == "done":
            final = msg
            break
    return reps, ver, final, warm_counted


def start_spinner():
    """--contended: the busy process (a pure spin loop; it ends when this process is gone)."""
    return subprocess.Popen([sys.executable, "-c", SPIN, str(os.getpid())],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("problems", nargs="*", help="problems or cases (grammar of fconv_bench)")
    ap.add_argument("--cases-from", help="fconv_bench CSV: time its problems")
    ap.add_argument("--groups", default="target,kernel,gpu,coverage,cli",
                    help="with --cases-from: the row groups to take (comma list, 'all')")
    ap.add_argument("--csv", help="output CSV (default stdout)")
    ap.add_argument("--budget", type=float, default=0.4)
    ap.add_argument("--min-reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--peers", default="all", help="comma list of peer names, or all")
    ap.add_argument("--contended", action="store_true",
                    help="keep one busy process (a spin loop) running beside every measurement")
    ap.add_argument("--malloc", choices=("keep", "default"), default="keep",
                    help="keep: glibc keeps freed memory (GLIBC_TUNABLES, the default); "
                         "default: glibc's defaults")
    ap.add_argument("--first-calls", choices=("auto", "all", "none"), default="auto",
                    help="first call in a fresh process: auto = the problems fconv measured "
                         "one-shot (--cases-from), all = every problem, none")
    ap.add_argument("--run", type=int, default=1, help="run number for the CSV header")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--lazy", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    if a.worker:
        worker_main(a.threads, a.lazy)
        return 0

    todo = [("cli", p) for p in a.problems]
    oneshot = set(p for _, p in todo) if a.first_calls == "all" else set()
    if a.cases_from:
        groups = None if a.groups == "all" else set(a.groups.split(","))
        keep, skipped, fconv_oneshot = load_problems(a.cases_from, groups)
        todo += keep
        oneshot |= fconv_oneshot if a.first_calls == "auto" else \
            set(p for _, p in keep) if a.first_calls == "all" else set()
        if skipped:
            print("peers.py: %d problem(s) left out: fconv could not run them here (not built / "
                  "no device)" % skipped, file=sys.stderr)
    cases = []
    for g, p in todo:
        try:
            cases.append((g, benchcase.parse_problem(p)))
        except benchcase.CaseError as e:
            print("peers.py: %s" % e, file=sys.stderr)
            return 1
    impls = [i[0] for i in IMPLS] if a.peers == "all" else a.peers.split(",")
    for i in impls:
        if i not in IMPL_BY_NAME:
            print("peers.py: unknown peer %r" % i, file=sys.stderr)
            return 1

    keep_memory = a.malloc == "keep"
    out = open(a.csv, "w", newline="") if a.csv else sys.stdout
    spinner = start_spinner() if a.contended else None
    try:
        return measure_all(a, cases, impls, oneshot, keep_memory, spinner, out)
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
        if out is not sys.stdout:
            out.close()


def measure_all(a, cases, impls, oneshot, keep_memory, spinner, out):
    worker = Worker(a.threads, keep_memory)
    hello = worker.hello or {"libs": {}, "python": "?"}
    libs = hello["libs"]
    out.write("# peers.py: peer results (one row per measurement)\n")
    out.write("# date: %s\n" % time.strftime("%Y-%m-%d %H:%M:%S %z"))
    out.write("# python: %s (%s)\n" % (hello.get("python", "?"), sys.executable))
    for name in ("numpy", "scipy", "cv2", "torch", "cupy", "fconv"):
        info = libs.get(name, {"ok": False, "why": "worker did not start"})
        if info.get("ok"):
            extra = ""
            if name in ("torch", "cupy"):
                extra = ", GPU %s" % (info.get("device", "yes") if info.get("gpu") else
                                      "none (%s)" % info.get("why", "no device"))
                if info.get("cudnn"):
                    extra += ", cuDNN %s" % info["cudnn"]
            out.write("# peer_%s: %s%s\n" % (name, info.get("version"), extra))
        else:
            out.write("# peer_%s: missing (%s)\n" % (name, info.get("why", "?")))
    out.write("# threads: %d (cv2.setNumThreads, scipy.fft workers; numpy/ndimage/scipy direct "
              "single-threaded)\n" % a.threads)
    out.write("# budget_s: %g\n# min_reps: %d\n# timeout_s: %g\n" % (a.budget, a.min_reps,
                                                                     a.timeout))
    out.write("# run: %d\n" % a.run)
    out.write("# load: %s\n" % ("contended (one busy process, a pure spin loop, pid %d, beside "
                                "every measurement)" % spinner.pid if spinner else "quiet"))
    out.write("# malloc: %s\n" % ("%s=%s (glibc keeps freed memory: no fresh-page faults per "
                                  "call)" % KEEP_MEMORY if keep_memory else "glibc defaults"))
    try:
        with open("/proc/loadavg") as f:
            out.write("# loadavg: %s (1, 5, 15 min at the start; running/total tasks)\n" %
                      f.read().strip())
    except OSError:
        pass
    w = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    out.flush()

    mismatches = errors = 0
    told = set()
    jobs = [(group, c, impl, False) for group, c in cases for impl in impls
            if applicable(impl, c) is None]

    def runnable(impl):
        lib, backend = IMPL_BY_NAME[impl][1], IMPL_BY_NAME[impl][4]
        info = libs.get(lib, {})
        return info.get("ok") and (backend != "cuda" or info.get("gpu"))
    # first calls only for peers that can run here (the steady rows say why the others cannot)
    jobs += [(group, c, impl, True) for group, c in cases if c.problem() in oneshot
             for impl in impls if applicable(impl, c) is None and runnable(impl)]
    total = len(jobs)
    done = 0
    t_all = time.monotonic()
    for group, c, impl, first in jobs:
        done += 1
        name, lib, source, meth, backend, mem = IMPL_BY_NAME[impl]
        info = libs.get(lib, {"ok": False, "why": "?"})
        th = impl_threads(impl, a.threads)
        call = "first" if first else "steady"
        label = "[%3d/%d] %-30s %-44s%s" % (done, total, impl, c.problem(),
                                            " first call" if first else "")
        if not info.get("ok") or (backend == "cuda" and not info.get("gpu")):
            st = "missing" if not info.get("ok") else "no device"
            why = ("%s not importable: %s" % (lib, info.get("why", "?")) if st == "missing"
                   else "%s has no GPU" % lib)
            w.writerow(row_for(group, c, impl, st, th, note=why, call=call))
            if not a.quiet and impl not in told:
                print("peers.py: %s: %s (%s) -- reported so for every case" % (impl, st, why),
                      file=sys.stderr)
            told.add(impl)
            continue
        task = {"problem": c.problem(), "impl": impl, "budget": a.budget,
                "min_reps": a.min_reps, "first": first}
        if first:  # a fresh process: imports done, nothing called yet
            fresh = Worker(a.threads, keep_memory, lazy=True)
            reps, ver, final, warm_counted = collect(fresh, task, a.timeout)
            fresh.kill()
        else:
            if worker is None:
                worker = Worker(a.threads, keep_memory)
            reps, ver, final, warm_counted = collect(worker, task, a.timeout)
        note = (ver or {}).get("note", "")
        rel = ver["rel"] if ver else None
        tol = ver["tol"] if ver else None
        verify = ("sampled " + ver["how"]) if ver else ""
        method = None
        if impl == "scipy.signal.convolve" and note.startswith("scipy chose "):
            method = note.split()[-1]
        if final is None:  # timeout or the worker died
            if not first:
                worker.kill()
                worker = None
            if reps and ver and ver["rel"] <= ver["tol"]:
                status = "ok"
                note = (note + "; " if note else "") + \
                    "repetitions cut short by --timeout %g s" % a.timeout
            else:
                status = "timeout"
                reps = []
                note = (note + "; " if note else "") + "stopped after --timeout %g s" % a.timeout
        else:
            status = final["status"]
            if status != "ok":
                reps = []
                note = (note + "; " if note else "") + final.get("detail", "")
        if warm_counted and status == "ok":
            note = (note + "; " if note else "") + "first run counted (>= budget)"
        if first and status == "ok":
            note = (note + "; " if note else "") + "first call in a fresh process"
        st = stats(reps)
        w.writerow(row_for(group, c, impl, status, th, st, verify, rel, tol, note, method, call))
        out.flush()
        if status == "mismatch":
            mismatches += 1
        elif status == "error":
            errors += 1
        if not a.quiet or status in ("mismatch", "error"):
            if st:
                print("%s %10.3f ms (IQR %.3f..%.3f, n=%d) verify %.1e ok" %
                      (label, st["median"] * 1e3, st["q1"] * 1e3, st["q3"] * 1e3, st["n"],
                       rel), file=sys.stderr)
            elif status == "mismatch":
                print("\n%s\n  *** PEER MISMATCH *** %s\n" % (label, note), file=sys.stderr)
            else:
                print("%s %s: %s" % (label, status, note), file=sys.stderr)
    if worker is not None:
        worker.kill()
    print("peers.py: %d measurements in %.1f s%s%s" % (
        done, time.monotonic() - t_all,
        "; *** %d PEER MISMATCH(ES) ***" % mismatches if mismatches else "",
        "; %d error(s)" % errors if errors else ""), file=sys.stderr)
    # A peer that fails (e.g. MemoryError on a huge kernel) is reported, not fatal; a peer that
    # computes something else than fconv's definition is a harness bug: exit status 2.
    return 2 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
