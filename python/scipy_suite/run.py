#!/usr/bin/python3
"""Run SciPy's own test files against fconv's functions and check the pass rate.

    PYTHONPATH=build/python python3 python/scipy_suite/run.py signal|ndimage|all
        [--fast] [--report FILE] [--target 0.95] [-- extra pytest arguments]

Runs scipy/signal/tests/test_signaltools.py (signal) and scipy/ndimage/tests/test_filters.py
(ndimage) from the installed SciPy with fconv_scipy_plugin (which substitutes fconv's
functions and selects the tests that call them), SciPy's slow tests included unless --fast
(SciPy's default selection, what ctest runs: the slow ones are thousands of size sweeps that
take minutes). Prints and writes: applicable tests, passed, failed (with their ids), excluded
(exclusions.txt, with the reason), skipped by SciPy's own conditions, and tests deselected
because they do not call a substituted function. Runs with FCONV_FFTW_PLANNER=estimate unless
set. Exit status 0 when passed / (passed + failed) >= target and every exclusion pattern matched
a test; 1 otherwise.
"""

import argparse
import collections
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

FILES = {"signal": ["signal/tests/test_signaltools.py"],
         "ndimage": ["ndimage/tests/test_filters.py"]}


class Collector:
    """Outcome per test (setup skips and call results)."""

    def __init__(self):
        self.outcome = {}
        self.reason = {}
        self.ids = {}
        self.longrepr = {}

    def pytest_runtest_logreport(self, report):
        sid = dict(report.user_properties).get("fconv_id", report.nodeid)
        self.ids[report.nodeid] = sid
        if report.when == "call" or (report.when == "setup" and not report.passed):
            if report.skipped:
                if hasattr(report, "wasxfail"):
                    self.outcome[sid] = "xfailed"
                else:
                    self.outcome[sid] = "skipped"
                    lr = report.longrepr
                    why = lr[2] if isinstance(lr, tuple) else str(lr)
                    self.reason[sid] = why[len("Skipped: "):] if why.startswith("Skipped: ") \
                        else why
            elif report.failed:
                self.outcome[sid] = "failed" if report.when == "call" else "error"
                self.longrepr[sid] = str(report.longrepr).splitlines()[-1:] or [""]
            else:
                self.outcome[sid] = "passed"
        elif report.when == "teardown" and report.failed:
            self.outcome[sid] = "error"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("suite", choices=["signal", "ndimage", "all"])
    ap.add_argument("--report", help="write the summary to this file too")
    ap.add_argument("--target", type=float, default=0.95)
    ap.add_argument("--fast", action="store_true", help="leave out SciPy's slow tests")
    ap.add_argument("pytest_args", nargs="*")
    a = ap.parse_args()

    import pytest
    import scipy

    root = os.path.dirname(scipy.__file__)
    suites = ["signal", "ndimage"] if a.suite == "all" else [a.suite]
    files = [os.path.join(root, f) for s in suites for f in FILES[s]]
    for f in files:
        if not os.path.exists(f):
            print("run.py: SciPy's test file %s is missing (Debian's python3-scipy ships it)"
                  % f, file=sys.stderr)
            return 1
    col = Collector()
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    # The suites plan hundreds of distinct small 2-D shapes once each: FFTW_ESTIMATE planning
    # keeps that to milliseconds (libfconv reads this when it plans; results do not depend on
    # it). The plugin also runs fconv single-threaded.
    os.environ.setdefault("FCONV_FFTW_PLANNER", "estimate")
    t0 = time.time()
    args = files + ["-p", "fconv_scipy_plugin", "-p", "no:cacheprovider", "-q",
                    "--no-header", "-rN", "-W", "ignore::DeprecationWarning"] + a.pytest_args
    if a.fast:
        args.append("--fconv-fast")
    rc = pytest.main(args, plugins=[col])
    elapsed = time.time() - t0
    if rc not in (0, 1):
        print("run.py: pytest exit status %d" % rc, file=sys.stderr)
        return 1

    import fconv_scipy_plugin as plugin
    exclusions = plugin.load_exclusions()
    counts = collections.Counter(col.outcome.values())
    excluded = {s: r for s, r in col.reason.items() if r.startswith("fconv exclusion: ")}
    scipy_skips = {s: r for s, r in col.reason.items() if s not in excluded}
    passed = counts["passed"] + counts["xfailed"]
    failed = sorted(s for s, o in col.outcome.items() if o in ("failed", "error"))
    relevant = [p for p, _ in exclusions
                if any(p.startswith(FILES[s][0].split("/")[0] + "/") for s in suites)]
    stale = [p for p in relevant if p not in plugin.MATCHED]
    applicable = passed + len(failed)
    rate = passed / applicable if applicable else 0.0

    lines = []
    lines.append("SciPy %s test suite(s) %s against fconv (%s), %.0f s"
                 % (scipy.__version__, "+".join(suites), __import__("fconv").library_version,
                    elapsed))
    for f in files:
        lines.append("  file: %s" % f)
    lines.append("selected (call a substituted function): %d"
                 % (len(col.outcome) + len(plugin.SLOW_LEFT_OUT)))
    lines.append("  passed:   %d" % passed)
    lines.append("  failed:   %d" % len(failed))
    lines.append("  excluded: %d (exclusions.txt, reasons below)" % len(excluded))
    lines.append("  skipped by SciPy's own conditions: %d" % len(scipy_skips))
    if a.fast:
        lines.append("  not run: %d marked slow by SciPy (--fast; run.py without it runs them)"
                     % len(plugin.SLOW_LEFT_OUT))
    lines.append("pass rate over applicable (passed + failed): %d / %d = %.2f%% (target %.0f%%)"
                 % (passed, applicable, 100 * rate, 100 * a.target))
    if failed:
        lines.append("failed tests:")
        for s in failed:
            lines.append("  %s  %s" % (s, " ".join(col.longrepr.get(s, []))[:200]))
    if excluded:
        lines.append("excluded tests:")
        for s in sorted(excluded):
            lines.append("  %s  -- %s" % (s, excluded[s][len("fconv exclusion: "):]))
    if scipy_skips:
        lines.append("skipped by SciPy's own conditions:")
        for s in sorted(scipy_skips):
            lines.append("  %s  -- %s" % (s, scipy_skips[s]))
    if stale:
        lines.append("STALE exclusion patterns (match no test; remove them): %s" % stale)
    text = "\n".join(lines)
    print(text)
    if a.report:
        with open(a.report, "w") as f:
            f.write(text + "\n")
    ok = applicable > 0 and rate >= a.target and not stale
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
