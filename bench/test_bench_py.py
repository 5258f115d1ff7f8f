#!/usr/bin/python3
"""Tests of the Python side of the harness (run by ctest as bench.python):
- benchcase: the grammar (invalid strings rejected) and the scalar oracle against SciPy/NumPy
  for every mode, operation and boundary (the oracle is what every peer is checked against);
- report.py on small synthetic CSVs: the expected tables, verdicts and PNG files.
No timing assertions.
"""

import csv
import io
import math
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchcase  # noqa: E402
import report  # noqa: E402

# A directory to keep the outputs in: the first argument when this file runs as a script (ctest
# passes one); under `python3 -m unittest test_bench_py` argv[1] is the module name, not a
# directory, and a temporary directory is used.
WORK = (sys.argv[1] if __name__ == "__main__" and len(sys.argv) > 1 and
        not sys.argv[1].startswith("-") else None)


class TestBenchcase(unittest.TestCase):
    def test_rejects_invalid(self):
        for s in ("", "2d:f32:8x8:k3x3:same:fft", "4d:f32:8:k3:same:fft:cpu",
                  "2d:f32:0x8:k3x3:same:fft:cpu", "2d:f32:8x8:k3x3:same:fft:cpu:b2:kb3",
                  "2d:f32:8x4:k4x8:valid:fft:cpu", "2d:f32:8x8:k3x3:same:fft:cpu:reflect",
                  "2d:f32:8x8:k3x3:same:fft:cpu:corr:corr", "1d:f32:2^41:k3:same:fft:cpu"):
            with self.assertRaises(benchcase.CaseError, msg=s):
                benchcase.parse(s)

    def test_problem_and_case_strings(self):
        c = benchcase.parse("2d:f32:64:k3:full:direct:cpu:wrap:corr:s2:kb3:dev")
        self.assertEqual(c.case(), "2d:f32:64x64:k3x3:full:direct:cpu:kb3:s2:corr:wrap:dev")
        self.assertEqual(c.problem(), "2d:f32:64x64:k3x3:full:kb3:s2:corr:wrap")
        self.assertEqual(benchcase.parse_problem(c.problem()).problem(), c.problem())
        self.assertEqual(c.out_shape(), (33, 33))

    def _check(self, case, ref):
        import numpy as np
        c = benchcase.parse_problem(case)
        rng = np.random.default_rng(5)
        x = rng.uniform(-1, 1, (c.batch,) + c.n)
        h = rng.uniform(-1, 1, (c.kernel_batch,) + c.k)
        if c.is_complex:
            x = x + 1j * rng.uniform(-1, 1, x.shape)
            h = h + 1j * rng.uniform(-1, 1, h.shape)
        want = ref(x[0], h[0])
        self.assertEqual(want.shape, c.out_shape(), case)
        for t in np.ndindex(*want.shape):
            got = benchcase.oracle_point(c, x, h, 0, t)
            self.assertAlmostEqual(abs(got - want[t]), 0.0, delta=1e-9, msg="%s %s" % (case, t))

    def test_oracle_matches_scipy_zero_boundary(self):
        import numpy as np
        import scipy.signal as ss
        for mode in ("full", "same", "valid"):
            self._check("1d:f64:13:k4:%s" % mode, lambda x, h: ss.convolve(x, h, mode))
            self._check("1d:c128:13:k5:%s:corr" % mode, lambda x, h: ss.correlate(x, h, mode))
            self._check("2d:f64:7x9:k4x3:%s" % mode, lambda x, h: ss.convolve(x, h, mode))
            self._check("3d:f64:5x6x4:k2x3x2:%s:corr" % mode, lambda x, h: ss.correlate(x, h, mode))
        # VALID with the kernel larger: the roles swap (rule 6)
        self._check("1d:f64:4:k11:valid", lambda x, h: ss.convolve(x, h, "valid"))
        self._check("2d:c128:3x4:k6x7:valid:corr", lambda x, h: ss.correlate(x, h, "valid"))
        # stride keeps y[0], y[s], ...
        self._check("2d:f64:9x10:k3x4:same:s2x3", lambda x, h: ss.convolve(x, h, "same")[::2, ::3])
        del np

    def test_oracle_matches_boundaries(self):
        import numpy as np
        import scipy.signal as ss
        self._check("2d:f64:8x9:k3x5:same:wrap",
                    lambda x, h: ss.convolve2d(x, h, "same", boundary="wrap"))
        self._check("2d:f64:8x9:k4x3:same:symmetric",
                    lambda x, h: ss.convolve2d(x, h, "same", boundary="symm"))
        for name, npmode in (("mirror", "reflect"), ("replicate", "edge"), ("symmetric",
                                                                            "symmetric")):
            # pads longer than the signal repeat (np.pad semantics)
            def ref(x, h, npmode=npmode):
                k = h.shape[0]
                xe = np.pad(x, (k // 2, (k - 1) // 2), mode=npmode)
                return np.convolve(xe, h, "valid")
            self._check("1d:f64:5:k13:same:%s" % name, ref)


def write_csv(path, meta, rows, columns):
    with open(path, "w", newline="") as f:
        for k, v in meta.items():
            f.write("# %s: %s\n" % (k, v))
        w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in columns})


def frow(group, problem, method, backend="cpu", ms=None, status="ok", chosen=None, mem="host",
         note=""):
    c = benchcase.parse_problem(problem)
    return {"group": group, "problem": problem, "case": "%s:%s:%s" % (problem, method, backend),
            "source": "fconv", "impl": "fconv", "method_req": method, "backend_req": backend,
            "mem": mem, "method": chosen or method, "backend": backend if backend != "auto" else "cpu",
            "reason": "test", "threads": "2", "status": status,
            "verify": "full" if status in ("ok", "FAILED") else "",
            "max_rel_err": "1e-7" if status == "ok" else ("0.5" if status == "FAILED" else ""),
            "tol": "1e-5", "reps": "5" if ms else "0", "median_ms": "" if ms is None else str(ms),
            "q1_ms": "" if ms is None else str(ms * 0.9), "q3_ms": "" if ms is None else str(ms * 1.1),
            "outputs": str(c.outputs), "taps": str(c.taps), "note": note}


def prow(problem, impl, source, ms=None, status="ok", note=""):
    return {"group": "target", "problem": problem, "case": problem, "source": source, "impl": impl,
            "method_req": "-", "backend_req": "cpu", "mem": "host", "method": "direct",
            "backend": "cpu", "threads": "1", "status": status, "reps": "5" if ms else "0",
            "median_ms": "" if ms is None else str(ms), "note": note}


class TestReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import peers
        cls.cols = peers.COLUMNS
        cls.dir = WORK or tempfile.mkdtemp(prefix="fconv-report-test-")
        if os.path.isdir(cls.dir):
            shutil.rmtree(cls.dir)
        os.makedirs(cls.dir)
        P1, P2, P3 = "2d:f32:64x64:k3x3:same", "1d:f32:8192:k16:same", "1d:f64:100:k3:same"
        rows = [frow("target", P1, "direct", ms=10.0), frow("target", P1, "fft", ms=5.0),
                frow("target", P1, "os", ms=4.0), frow("target", P1, "auto", ms=4.2, chosen="os")]
        for m in ("direct", "fft", "os", "auto"):
            rows.append(frow("target", P1, m, "cuda", status="no device"))
        rows += [frow("coverage", P2, "direct", ms=1.0),
                 frow("coverage", P2, "fft", status="not built"),
                 frow("coverage", P2, "os", status="not built"),
                 frow("coverage", P2, "auto", ms=1.0, chosen="direct"),
                 frow("coverage", P3, "direct", status="FAILED", note="planted")]
        for k in (4, 16, 64, 256, 1024):  # direct = 0.01 K ms, FFT 0.5 ms, OS 0.4 ms
            p = "1d:f32:4096:k%d:same" % k
            g = "target+sweep-k1d" if k == 256 else "sweep-k1d"  # in two groups
            rows += [frow(g, p, "direct", ms=0.01 * k), frow(g, p, "fft", ms=0.5),
                     frow(g, p, "os", ms=0.4), frow(g, p, "auto", ms=0.01 * k, chosen="direct")]
        for e in range(10, 15):  # direct ~ N^2, FFT ~ N log N
            n = 1 << e
            p = "1d:f32:%d:k%d:same" % (n, n)
            rows += [frow("sweep-n-kn", p, "direct", ms=1e-6 * n * n),
                     frow("sweep-n-kn", p, "fft", ms=1e-4 * n * e)]
        meta = {"date": "2026-01-01 00:00:00", "host": "testhost", "cpu": "TestCPU 9000",
                "cores": "2", "memory_gib": "8", "copy_gbps": "12.5", "isa": "avx2",
                "fconv": "0.1.0 (test)", "fftw": "fftw-3.3.10", "gpu": "no GPU", "threads": "2",
                "budget_s": "0.4", "min_reps": "3", "timeout_s": "30", "command": "fconv_bench x"}
        cls.fcsv = os.path.join(cls.dir, "fconv.csv")
        write_csv(cls.fcsv, meta, rows, cls.cols)
        prows = [prow(P1, "cv2.filter2D", "opencv", 2.0), prow(P1, "scipy.ndimage.convolve", "scipy", 8.0),
                 prow(P1, "torch.convNd", "torch", status="missing", note="torch not importable"),
                 prow(P2, "numpy.convolve", "numpy", 0.5),
                 # fconv itself through another binding: listed, never "the best peer"
                 prow(P2, "fconv.python", "fconv-python", 0.1),
                 prow(P2, "scipy.signal.oaconvolve", "scipy", status="timeout")]
        cls.pcsv = os.path.join(cls.dir, "peers.csv")
        write_csv(cls.pcsv, {"python": "3.x", "peer_numpy": "1.24", "peer_torch": "missing (x)",
                             "threads": "2"}, prows, cls.cols)
        cls.out = os.path.join(cls.dir, "out")
        cls.path, cls.plots = report.build_report([cls.fcsv], [cls.pcsv], cls.out)
        with open(cls.path) as f:
            cls.md = f.read()

    def test_machine_section(self):
        self.assertIn("| CPU | TestCPU 9000, 2 cores, 8 GiB |", self.md)
        self.assertIn("| memory bandwidth | 12.5 GB/s |", self.md)
        self.assertIn("| peer torch | missing (x) |", self.md)
        self.assertIn("| GPU | no GPU |", self.md)

    def test_failed_verification_is_loud(self):
        self.assertIn("**VERIFICATION FAILED** for 1 fconv row(s)", self.md)
        self.assertIn("1d:f64:100:k3:same:direct:cpu", self.md)

    def test_peer_table(self):
        self.assertIn("| case | fconv method chosen | fconv ms | best peer | peer ms | ratio |",
                      self.md)
        self.assertIn("| 2d:f32:64x64:k3x3:same | os/cpu | 4.20 | cv2.filter2D | 2.00 | 0.48x |",
                      self.md)
        self.assertIn("| 1d:f32:8192:k16:same | direct/cpu | 1.00 | numpy.convolve | 0.500 | 0.50x |",
                      self.md)
        # a missing or timed-out peer is shown, not dropped
        self.assertRegex(self.md, r"\| 2d:f32:64x64:k3x3:same \| .*missing")
        self.assertRegex(self.md, r"\| 1d:f32:8192:k16:same \| .*timeout")

    def test_methods_table(self):
        self.assertIn("| 2d:f32:64x64:k3x3:same | 10.0 | 5.00 (2.00x) | 4.00 (2.50x) | "
                      "4.20 (2.38x) os |", self.md)
        self.assertIn("| 1d:f32:8192:k16:same | 1.00 | not built | not built |", self.md)
        # a row in two groups ("target+sweep-k1d") shows in both places
        self.assertIn("| 1d:f32:4096:k256:same | 2.56 | 0.500 (5.12x) | 0.400 (6.40x) | "
                      "2.56 (1.00x) direct |", self.md)
        self.assertIn("| 256 | 2.56 | 0.500 | 0.400 | 2.56 direct |", self.md)

    def test_crossover(self):
        self.assertIn("crossover **kernel 64**", self.md)
        self.assertIn("transform methods win from kernel 64 on (direct still wins at 16)", self.md)

    def test_claims_and_gpu(self):
        self.assertIn("direct ~ N^2.00", self.md)
        self.assertIn("**Verdict: supported** -- with K = N", self.md)
        self.assertIn("**Verdict: not measured: no GPU** (CUDA rows: no device)", self.md)
        self.assertIn("not measured: no GPU (CUDA rows: no device)", self.md)
        # claim (c): OS beats FFT on P1 and on the short sweep kernels
        self.assertRegex(self.md, r"overlap-save faster in 5 of 5; FFT time / overlap-save time: geometric mean 1.25x")

    def test_auto_section(self):
        # sweep rows: AUTO chose direct; the fastest is overlap-save from K = 64 on (3 misses);
        # P1: AUTO chose os, the fastest (a hit); P2: direct, the only one measured (a hit)
        self.assertIn("AUTO chose the fastest forced method in **4 of 7** comparisons, one within "
                      "10% of it in 0 more, and missed by more than 10% in **3**", self.md)
        self.assertRegex(self.md, r"\| 1d:f32:4096:k1024:same \| auto:cpu \| direct/cpu \| 10.2 \| "
                                  r"os/cpu \| 0.400 \| \+2460% \| 10.2 \|")

    def test_not_measured(self):
        self.assertRegex(self.md, r"\| fconv \| direct/cuda \| no device \| 1 \|")
        self.assertRegex(self.md, r"\| fconv \| fft/cpu \| not built \| 1 \|")
        self.assertRegex(self.md, r"\| torch \| torch.convNd \| missing \| 1 \|")

    def test_pngs(self):
        for name in ("sweep_k1d.png", "speedup_vs_peers.png", "size_sweep.png"):
            p = os.path.join(self.out, name)
            self.assertTrue(os.path.exists(p), name)
            with open(p, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", name)
            self.assertGreater(os.path.getsize(p), 5000, name)
            self.assertIn("](%s)" % name, self.md)


class TestKernelKindsAndCalls(unittest.TestCase):
    def test_grammar(self):
        c = benchcase.parse("1d:f32:480000:k96000@decay:full:auto:cpu:reuse")
        self.assertEqual((c.kernel_kind, c.k, c.call), ("decay", (96000,), "reuse"))
        self.assertEqual(c.case(), "1d:f32:480000:k96000@decay:full:auto:cpu:reuse")
        self.assertEqual(c.problem(), "1d:f32:480000:k96000@decay:full")
        self.assertEqual(benchcase.parse_problem(c.problem()).kernel_kind, "decay")
        c = benchcase.parse("2d:f32:8:k3@rand:same:fft:cpu:exec")
        self.assertEqual(c.case(), "2d:f32:8x8:k3x3:same:fft:cpu")  # rand and exec left out
        self.assertEqual(c.call, "exec")
        for s in ("2d:f32:8:k3@noise:same:fft:cpu", "2d:f32:8:k3@:same:fft:cpu",
                  "2d:f32:8:k3:same:fft:cpu:reuse:oneshot", "2d:f32:8:k3:same:reuse"):
            with self.assertRaises(benchcase.CaseError, msg=s):
                benchcase.parse(s)
        with self.assertRaises(benchcase.CaseError):  # a problem has no call path
            benchcase.parse("2d:f32:8:k3:same:reuse", problem_only=True)

    def test_make_kernel(self):
        import numpy as np
        rng = np.random.default_rng(1)
        c = benchcase.parse_problem("1d:f64:10:k1000@decay:full:kb2")
        h = benchcase.make_kernel(c, rng, np.float64)
        self.assertEqual(h.shape, (2, 1000))
        env = 10.0 ** (-3.0 * np.arange(1000) / 999.0)
        self.assertTrue(np.all(np.abs(h) <= env + 1e-15))
        self.assertGreater(np.max(np.abs(h[:, :100])), 0.5)
        self.assertFalse(np.array_equal(h[0], h[1]))
        c = benchcase.parse_problem("2d:f32:64:k31@disk:same")
        d = benchcase.make_kernel(c, rng, np.float32)[0]
        ii, jj = np.mgrid[0:31, 0:31]
        np.testing.assert_array_equal(d, ((ii - 15.0) ** 2 + (jj - 15.0) ** 2 <= 15.5 ** 2))
        c = benchcase.parse_problem("2d:c128:64:k31@gauss:same")
        g = benchcase.make_kernel(c, rng, np.float64)[0]
        self.assertEqual(g.dtype, np.complex128)
        self.assertAlmostEqual(float(g.real.sum()), 1.0, places=12)
        self.assertEqual(float(np.abs(g.imag).max()), 0.0)
        self.assertAlmostEqual(g[0, 0].real / g[15, 15].real, math.exp(-16.0), places=12)
        self.assertEqual(np.linalg.matrix_rank(g.real, tol=1e-12), 1)  # separable
        c = benchcase.parse_problem("1d:f32:64:k7@box:same")
        np.testing.assert_allclose(benchcase.make_kernel(c, rng, np.float32), 1.0 / 7)


def frow2(run, problem, method, call, ms, chosen=None, group="target", plan=1.0, first=None,
          set_kernel=None, transforms=None, status="ok"):
    r = frow(group, problem, method, ms=ms, chosen=chosen, status=status)
    r.update({"call": call, "plan_ms": "" if call == "oneshot" else str(plan),
              "case": r["case"] + ("" if call == "exec" else ":" + call)})
    if first is not None:
        r["first_ms"] = str(first)
    if set_kernel is not None:
        r["set_kernel_ms"] = str(set_kernel)
    if transforms is not None:
        r["transforms_ms"] = str(transforms)
        r["transforms"] = "r2c+c2r 1048576 x 1, 1 per call, estimate, 2 thread(s)"
    return r


def prow2(problem, impl, source, ms, call="steady"):
    r = prow(problem, impl, source, ms)
    r["call"] = call
    if call == "first":
        r["first_ms"] = str(ms)
    return r


class TestReportRuns(unittest.TestCase):
    """Three quiet runs and one contended run on synthetic CSVs: the headline, the regret on both
    call paths, quiet against contended, one-shot calls, plan creation, the spread, transforms."""
    P = "1d:f32:480000:k96000@decay:full"   # the reverb case: AUTO + set_kernel picks direct
    Q = "2d:f32:64x64:k3x3:same"

    @classmethod
    def setUpClass(cls):
        import peers
        cols = peers.COLUMNS + ["paired_rounds", "paired_auto_ms", "paired_best_ms",
                                "paired_best", "paired"]
        cls.dir = tempfile.mkdtemp(prefix="fconv-report-runs-")
        P, Q = cls.P, cls.Q
        fpaths, ppaths = [], []

        def fconv_rows(run, s, contended):
            g = "kernel"
            rows = [frow2(run, P, "direct", "exec", 900 * s, group=g),
                    frow2(run, P, "fft", "exec", 19 * s, group=g, plan=2400, transforms=10 * s),
                    frow2(run, P, "os", "exec", 25 * s, group=g),
                    frow2(run, P, "auto", "exec", (30 if contended else 20) * s, "fft", group=g),
                    frow2(run, P, "direct", "reuse", 900 * s, group=g, set_kernel=0.5),
                    frow2(run, P, "fft", "reuse", 18 * s, group=g, set_kernel=3.0),
                    frow2(run, P, "os", "reuse", 24 * s, group=g, set_kernel=2.0),
                    frow2(run, P, "auto", "reuse", (2000 if contended else 912) * s, "direct",
                          group=g, set_kernel=0.7),
                    frow2(run, P, "auto", "oneshot", 30 * s, "fft", group=g, first=250 * s)]
            for call in ("exec", "reuse"):
                rows += [frow2(run, Q, "direct", call, 1 * s, plan=0.5),
                         frow2(run, Q, "fft", call, 2 * s, plan=0.5),
                         frow2(run, Q, "os", call, 3 * s, plan=0.5),
                         frow2(run, Q, "auto", call, (3 if contended else 1) * s, "direct", plan=0.5)]
            # Q exec: AUTO timed side by side with the forced plans (time_paired): its regret
            # is 1.2 / 0.96 = 1.25x there, not the separate rows' 1.00x; the choice (direct,
            # the fastest side by side) is 1.00x; fft left the rounds (> 3x).
            qa = [r for r in rows if r["problem"] == Q and r["method_req"] == "auto" and
                  r["call"] == "exec"][0]
            qa.update({"paired_rounds": "100", "paired_auto_ms": str(1.2 * s),
                             "paired_best_ms": str(0.96 * s), "paired_best": "direct/cpu",
                             "paired": "direct/cpu %g; fft/cpu %g (> 3x); os/cpu %g"
                                       % (0.96 * s, 4 * s, 2.5 * s)})
            rows.append(frow2(run, Q, "auto", "oneshot", 1.5 * s, "direct", first=4 * s))
            return rows

        for run, s in ((1, 1.0), (2, 1.1), (3, 0.9)):
            meta = {"date": "2026-01-01", "host": "testhost", "fconv": "t", "run": str(run),
                    "load": "quiet", "loadavg": "0.10 0.20 0.30 1/99 5", "threads": "2"}
            f = os.path.join(cls.dir, "fconv-run%d.csv" % run)
            write_csv(f, meta, fconv_rows(run, s, False), cols)
            pr = [prow2(P, "scipy.signal.oaconvolve", "scipy", 40), prow2(Q, "cv2.filter2D", "opencv", 2),
                  prow2(P, "scipy.signal.oaconvolve", "scipy", 60, "first"),
                  prow2(Q, "cv2.filter2D", "opencv", 5, "first")]
            p = os.path.join(cls.dir, "peers-run%d.csv" % run)
            write_csv(p, {"run": str(run), "load": "quiet", "malloc": "GLIBC_TUNABLES=x"}, pr, cols)
            fpaths.append(f)
            ppaths.append(p)
        f = os.path.join(cls.dir, "fconv-contended.csv")
        write_csv(f, {"run": "1", "load": "contended (one busy process ...)"},
                  fconv_rows(1, 1.0, True), cols)
        p = os.path.join(cls.dir, "peers-contended.csv")
        write_csv(p, {"run": "1", "load": "contended (one busy process ...)"},
                  [prow2(P, "scipy.signal.oaconvolve", "scipy", 45),
                   prow2(Q, "cv2.filter2D", "opencv", 2.1)], cols)
        fpaths.append(f)
        ppaths.append(p)
        cls.out = os.path.join(cls.dir, "out")
        cls.path, _ = report.build_report(fpaths, ppaths, cls.out)
        with open(cls.path) as fh:
            cls.md = fh.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def section(self, title):
        start = self.md.index("## " + title)
        end = self.md.find("\n## ", start + 1)
        return self.md[start:end if end > 0 else None]

    def test_runs_counted(self):
        self.assertIn("3 quiet run(s), 1 contended run(s)", self.md)
        self.assertIn("| peer memory | GLIBC_TUNABLES=x |", self.md)
        self.assertIn("| load | quiet; load average at the start: 0.10 0.20 0.30 1/99 5 |", self.md)

    def test_headline(self):
        h = self.section("Headline")
        # medians over the three quiet runs; reuse regret 912/18 flagged; contended 30 vs 20;
        # one-shot first 250 / steady 30; peers' first 60 / steady 40; plan 2400 ms flagged
        self.assertIn("| %s | 20.0 fft | 1.05x | 912 direct | **51x** | 40.0 scipy.signal.oaconvolve"
                      " | 2.00x | 30.0 (1.50x) | 250 / 30.0 | 60.0 / 40.0 | **2400** |" % self.P, h)
        self.assertIn("| %s | 1.00 direct | 1.25x | 1.00 direct | 1.00x | 2.00 cv2.filter2D | 2.00x | "
                      "3.00 (3.00x) | 4.00 / 1.50 | 5.00 / 2.00 | 0.500 |" % self.Q, h)
        self.assertIn("Geometric mean of best peer / fconv over the 1 target cases: 2.00x (median "
                      "of 3 runs; min 1.82x, max 2.22x).", h)

    def test_regret(self):
        r = self.section("AUTO's regret on both call paths")
        self.assertIn("AUTO's regret is within 1.25x in **3 of 4** (case, call path) pairs; worst: "
                      "`%s` on the reuse path, 51x." % self.P, r)
        # separate rows: AUTO's row / the fastest forced row; choice: the forced time of AUTO's
        # method / the fastest: 900/18 and 19/19
        self.assertIn("| %s | reuse | direct/cpu | 912 | fft/cpu | 18.0 | **51x** | 51x | 50x |"
                      % self.P, r)
        self.assertIn("| %s | exec | fft/cpu | 20.0 | fft/cpu | 19.0 | 1.05x | 1.05x | 1.00x |"
                      % self.P, r)

    def test_regret_side_by_side(self):
        # Q exec has the paired columns: regret and times from them (1.2 / 0.96), the separate
        # rows' ratio beside it (1.00x), the choice from the paired direct/cpu time (1.00x).
        r = self.section("AUTO's regret on both call paths")
        self.assertIn("| %s | exec | direct/cpu | 1.20 | direct/cpu | 0.960 | 1.25x | 1.00x | "
                      "1.00x |" % self.Q, r)
        self.assertIn("| %s | reuse | direct/cpu | 1.00 | direct/cpu | 1.00 | 1.00x | 1.00x | "
                      "1.00x |" % self.Q, r)

    def test_contended(self):
        c = self.section("Quiet against contended")
        self.assertIn("Of 4 AUTO rows: 3 above 2x their quiet median, 3 slower than the best "
                      "peer under contention.", c)
        self.assertIn("| %s | exec | 20.0 | 30.0 | 1.50x | 45.0 scipy.signal.oaconvolve | ok |" % self.P, c)
        self.assertIn("| %s | reuse | 912 | 2000 | 2.19x | 45.0 scipy.signal.oaconvolve | **> 2x quiet**, "
                      "**slower than scipy.signal.oaconvolve** |" % self.P, c)
        self.assertIn("| %s | exec | 1.00 | 3.00 | 3.00x | 2.10 cv2.filter2D | **> 2x quiet**, "
                      "**slower than cv2.filter2D** |" % self.Q, c)

    def test_oneshot(self):
        o = self.section("One-shot calls")
        self.assertIn("| %s | fft/cpu | 250 | 30.0 | 20.0 | 60.0 scipy.signal.oaconvolve | 40.0 "
                      "scipy.signal.oaconvolve | 0.24x | 1.33x |" % self.P, o)

    def test_planning(self):
        p = self.section("Plan creation")
        self.assertIn("Plan creation within 20 ms in **1 of 2** cases; above: `%s`." % self.P, p)
        self.assertIn("| %s | **2400** | fft:cpu exec | 3.00 |" % self.P, p)

    def test_spread(self):
        s = self.section("Run-to-run spread")
        self.assertIn("| %s | 3 | 1.82x | 2.00x | 2.22x |" % self.Q, s)
        self.assertIn("| **geometric mean, 1 target cases** | 3 | 1.82x | 2.00x | 2.22x |", s)
        self.assertIn("| %s | 3 | 1.82x | 2.00x | 2.22x |" % self.P, s)  # 40 / (20 x 1, 1.1, 0.9)

    def test_transforms(self):
        t = self.section("fconv against its own transforms")
        self.assertIn("| %s | fft:cpu exec | fft | 19.0 | 10.0 | 1.90x | r2c+c2r 1048576 x 1, 1 per "
                      "call, estimate, 2 thread(s) |" % self.P, t)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]])
