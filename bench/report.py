#!/usr/bin/python3
"""report.py -- turn fconv_bench and peers.py CSVs into a Markdown report and PNG plots.

  /usr/bin/python3 bench/report.py --fconv fconv.csv [--peers peers.csv] --out DIR
  /usr/bin/python3 bench/report.py --fconv fconv.csv --fconv fconv-contended.csv \
      --peers peers.csv --peers peers-contended.csv --out DIR      (quiet and contended)

Writes DIR/report.md and DIR/*.png (matplotlib, Agg). CSVs are grouped into runs by their
'# load:' (quiet, contended) and '# run:' lines. Sections: verification; the machine; the
headline (per case: both call paths with AUTO's regret, the best peer, contended against quiet,
one-shot first call and steady state, plan creation); AUTO's regret on both call paths; quiet
against contended; one-shot calls; plan creation; the run-to-run spread of the ratios;
fconv against the best peer per case; every method side by side (speed-up over the CPU direct
path); FFT against direct as the kernel grows with the crossover per rank; GPU against CPU
(device-resident and end to end); AUTO against the best forced method; fconv against its own
transforms (--transforms); the seed claims with
verdicts; what was not measured and why. A row that was not measured (not built, no device,
missing peer, timeout) appears as such, never silently dropped.
"""

import argparse
import csv
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchcase  # noqa: E402

NUMERIC = ("max_rel_err", "oracle_rel_err", "tol", "reps", "plan_ms", "median_ms", "min_ms",
           "max_ms", "q1_ms", "q3_ms", "outputs", "taps", "bytes", "outputs_per_s", "gbps",
           "gflops", "threads", "first_ms", "set_kernel_ms", "transforms_ms", "paired_rounds",
           "paired_auto_ms", "paired_best_ms")
CALLS = ("exec", "reuse", "oneshot")
CALL_NAME = {"exec": "kernel passed to execute", "reuse": "set_kernel + execute(NULL)",
             "oneshot": "fconv_convolve (create + execute + destroy)"}
REGRET_TARGET = 1.25      # issue 9: AUTO's regret on every case and call path
CONTENDED_TARGET = 2.0    # issue 9: contended time at most this times the quiet median
PLAN_TARGET_MS = 20.0     # issue 9: plan creation without MEASURE
METHOD_ORDER = ("direct", "fft", "os", "auto")
METHOD_NAME = {"direct": "direct", "fft": "FFT", "os": "overlap-save", "auto": "AUTO"}


# ---- reading ----------------------------------------------------------------------------------

def read_csv(path):
    """(meta dict from '# key: value' lines, list of row dicts with numbers converted)."""
    meta, lines = {}, []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                body = line[1:].strip()
                if ": " in body:
                    k, v = body.split(": ", 1)
                    meta[k.strip()] = v.strip()
            else:
                lines.append(line)
    rows = []
    for r in csv.DictReader(lines):
        for k in NUMERIC:
            v = r.get(k, "")
            try:
                r[k] = float(v) if v not in ("", None) else None
            except ValueError:
                r[k] = None
        rows.append(r)
    return meta, rows


def is_ok(r):
    return r is not None and r["status"] == "ok" and r["median_ms"] is not None


def fmt_ms(v):
    if v is None:
        return "-"
    if v >= 1000:
        return "%.0f" % v
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    if v >= 1:
        return "%.2f" % v
    if v >= 0.01:
        return "%.3f" % v
    return "%.2g" % v


def fmt_x(v):
    if v is None or not math.isfinite(v):
        return "-"
    return "%.2fx" % v if v < 10 else "%.0fx" % v


def cell(r):
    """A table cell for one measurement: the median in ms, or why there is none."""
    if r is None:
        return "-"
    if is_ok(r):
        return fmt_ms(r["median_ms"])
    st = r["status"]
    if st == "FAILED":
        return "**FAILED**"
    if st == "timeout":
        return "timeout"
    return st


def esc(s):
    return str(s).replace("|", "\\|")


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(esc(c) for c in r) + " |")
    return "\n".join(out)


# ---- model ------------------------------------------------------------------------------------

def is_peer(r):
    """Rows of peers.py whose source is fconv itself (e.g. fconv through its Python binding) are
    shown in the every-peer table but are not "the best peer" fconv is compared with."""
    return not r.get("source", "").startswith("fconv")


def call_of(r):
    """A fconv row's call path (CSVs from before the column: exec)."""
    c = r.get("call") or ""
    return c if c in CALLS else "exec"


class Data:
    """The rows of one run (one load, one run number): fconv rows by (problem, method, backend,
    memory, call path); peer rows: steady (self.p) and first calls in a fresh process (self.pf)."""

    def __init__(self, fconv_rows, peer_rows):
        self.f = [r for r in fconv_rows if r.get("source") == "fconv"]
        self.p = [r for r in peer_rows if r.get("call") != "first"]
        self.pf = [r for r in peer_rows if r.get("call") == "first"]
        # "fconv (Python)" rows (peers.py: fconv through its Python package) also get their
        # own section, with the overhead over the C row (is_peer keeps them from "best peer")
        self.py = [r for r in self.p if r.get("source") == "fconv-python"]
        self.by_key = {}
        self.problems = []      # (group, problem) in first-seen order
        seen = set()
        for r in self.f:
            self.by_key[(r["problem"], r["method_req"], r["backend_req"], r["mem"], call_of(r))] = r
            if r["problem"] not in seen:
                seen.add(r["problem"])
                self.problems.append((r["group"], r["problem"]))
        self.peers_by_problem = {}
        for r in self.p:
            self.peers_by_problem.setdefault(r["problem"], []).append(r)
        self.first_by_problem = {}
        for r in self.pf:
            self.first_by_problem.setdefault(r["problem"], []).append(r)

    def get(self, problem, method, backend="cpu", mem="host", call="exec"):
        return self.by_key.get((problem, method, backend, mem, call))

    def auto_row(self, problem, call="exec"):
        a = self.get(problem, "auto", "auto", call=call)
        if a is not None and (is_ok(a) or self.get(problem, "auto", "cpu", call=call) is None):
            return a
        return self.get(problem, "auto", "cpu", call=call)

    def forced(self, problem, backends=("cpu",), call="exec"):
        out = []
        for m in ("direct", "fft", "os"):
            for b in backends:
                for mem in ("host", "device") if b == "cuda" else ("host",):
                    r = self.get(problem, m, b, mem, call)
                    if r is not None:
                        out.append(r)
        return out

    def best_peer(self, problem):
        ok = [r for r in self.peers_by_problem.get(problem, []) if is_ok(r) and is_peer(r)]
        return min(ok, key=lambda r: r["median_ms"]) if ok else None

    def best_first_peer(self, problem):
        ok = [r for r in self.first_by_problem.get(problem, []) if is_ok(r) and is_peer(r)]
        return min(ok, key=lambda r: r["median_ms"]) if ok else None

    def regret_rows(self, problem, call):
        """(AUTO row, fastest forced row on the same call path and backends, AUTO time / its
        time) from separately timed rows, or None when either is not measured."""
        a = self.auto_row(problem, call)
        if not is_ok(a):
            return None
        scope = ("cpu", "cuda") if a["backend_req"] == "auto" else ("cpu",)
        forced = [r for r in self.forced(problem, scope, call) if is_ok(r) and r["mem"] == "host"]
        if not forced:
            return None
        best = min(forced, key=lambda r: r["median_ms"])
        return a, best, a["median_ms"] / best["median_ms"]

    def regret(self, problem, call):
        """(AUTO, fastest forced, AUTO time / its time). Measured side by side where the AUTO
        row has the paired columns (fconv_bench's time_paired: AUTO's plan and a plan per
        forced method called in turn in one process; the AUTO and forced entries are then
        dicts with those medians as median_ms); else from the separately timed rows."""
        a = self.auto_row(problem, call)
        if is_ok(a) and a.get("paired_rounds") and a.get("paired_auto_ms") and \
                a.get("paired_best_ms") and "/" in (a.get("paired_best") or ""):
            m, b = a["paired_best"].split("/", 1)
            best = {"method": m, "backend": b, "median_ms": a["paired_best_ms"], "status": "ok"}
            auto = dict(a, median_ms=a["paired_auto_ms"])
            return auto, best, a["paired_auto_ms"] / a["paired_best_ms"]
        return self.regret_rows(problem, call)

    def choice_regret(self, problem, call):
        """The method AUTO chose, forced / the fastest forced, same call path: the choice alone.
        Side by side where the AUTO row has the paired columns (the chosen method's forced
        plan's median among them; 1 when AUTO's choice is the fastest), else the separately
        timed forced rows."""
        res = self.regret(problem, call)
        if res is None:
            return None
        a, best, _ = res
        if a.get("paired_rounds"):
            mine = paired_times(a.get("paired") or "").get("%s/%s" % (a["method"], a["backend"]))
            return mine / best["median_ms"] if mine else None
        mine = self.get(problem, a["method"], a["backend"], "host", call)
        return mine["median_ms"] / best["median_ms"] if is_ok(mine) else None

    def group_problems(self, prefix):
        """Problems in a group (a row may be in several: "target+sweep-n-k16")."""
        return [p for g, p in self.problems if any(x.startswith(prefix) for x in g.split("+"))]


def sweep_only(group):
    return all(x.startswith("sweep") for x in group.split("+"))


def fit_slope(xs, ys):
    """Least-squares slope of log(y) against log(x)."""
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    n = len(lx)
    mx, my = sum(lx) / n, sum(ly) / n
    sxx = sum((a - mx) ** 2 for a in lx)
    if sxx == 0:
        return None
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sxx


# ---- sections ---------------------------------------------------------------------------------

def section_machine(fm, pm, timings=None):
    rows = [
        ("date", fm.get("date", "?")),
        ("host", fm.get("host", "?")),
        ("CPU", "%s, %s cores, %s GiB" % (fm.get("cpu", "?"), fm.get("cores", "?"),
                                         fm.get("memory_gib", "?"))),
        ("memory bandwidth", "%s GB/s%s" % (fm.get("copy_gbps", "?").split(" ")[0],
                                            " " + fm["copy_gbps"].split(" ", 1)[1]
                                            if " " in fm.get("copy_gbps", "") else "")),
        ("direct path ISA", fm.get("isa", "?")),
        ("fconv", fm.get("fconv", "?")),
        ("FFTW", fm.get("fftw", "?")),
        ("compiler", fm.get("compiler", "?")),
        ("GPU", fm.get("gpu", "no GPU")),
    ]
    for k in ("gpu_count", "gpu_driver", "gpu_memory_gib", "gpu_bw_peak_gbps", "gpu_bw_copy_gbps"):
        if k in fm:
            rows.append((k.replace("_", " "), fm[k]))
    rows.append(("fconv devices seen", fm.get("fconv_gpus", "?")))
    rows.append(("threads", "%s for fconv; peers: %s" % (fm.get("threads", "?"),
                                                       pm.get("threads", "peers not run"))))
    rows.append(("timing", "warm-up (verified) then repetitions for %s s per row, at least %s; "
                 "median and IQR; rows stopped after %s s" % (fm.get("budget_s", "?"),
                                                             fm.get("min_reps", "?"),
                                                             fm.get("timeout_s", "?"))))
    if pm:
        rows.append(("Python", pm.get("python", "?")))
        for lib in ("numpy", "scipy", "cv2", "torch", "cupy"):
            rows.append(("peer " + lib, pm.get("peer_" + lib, "not recorded")))
    else:
        rows.append(("peers", "not run (no peers CSV)"))
    rows.append(("load", "%s; load average at the start: %s" % (
        fm.get("load", "quiet"), fm.get("loadavg", "not recorded"))))
    if pm:
        rows.append(("peer memory", pm.get("malloc", "not recorded")))
    rows.append(("command", "`%s`" % fm.get("command", "?").strip()))
    if timings:
        rows.append(("wall time", ", ".join("%s %s s" % (k.replace("_s", ""), v)
                                            for k, v in timings.items())))
    return "## Machine\n\n" + md_table(["", ""], rows)


def section_summary(d):
    counts = {}
    for r in d.f:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    pc = {}
    for r in d.p:
        pc[r["status"]] = pc.get(r["status"], 0) + 1
    lines = ["## Summary", ""]
    lines.append("- fconv rows: %d (%s)" % (len(d.f), ", ".join(
        "%d %s" % (v, k) for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))))
    if d.p:
        lines.append("- peer rows: %d (%s)" % (len(d.p), ", ".join(
            "%d %s" % (v, k) for k, v in sorted(pc.items(), key=lambda kv: -kv[1]))))
    failed = [r for r in d.f if r["status"] == "FAILED"]
    mism = [r for r in d.p + d.pf if r["status"] == "mismatch"]
    ok = [r for r in d.f if is_ok(r)]
    if failed or mism:
        lines.append("")
        lines.append("**VERIFICATION FAILED** for %d fconv row(s) and %d peer row(s):" %
                     (len(failed), len(mism)))
        lines.append("")
        for r in failed + mism:
            lines.append("- `%s` %s: %s" % (r["case"], r["impl"], r["note"]))
    else:
        worst = max((r for r in ok if r["max_rel_err"] is not None),
                    key=lambda r: r["max_rel_err"] / (r["tol"] or 1), default=None)
        if worst is not None and worst["max_rel_err"] > 0:
            how = "; worst: `%s` rel. error %.2g (tolerance %.2g)" % (
                worst["case"], worst["max_rel_err"], worst["tol"])
        else:
            how = " (all identical to the reference)" if worst is not None else ""
        lines.append("- every measured fconv result was verified against the CPU direct path "
                     "and the scalar oracle before timing%s" % how)
        if d.p:
            lines.append("- every measured peer result was checked against the scalar oracle "
                         "at sampled points (same semantics as fconv)")
    return "\n".join(lines)


def section_peers(d):
    lines = ["## fconv against the best peer", "",
             "fconv: the AUTO row (what a user gets). ratio = best peer time / fconv time "
             "(> 1: fconv faster). Both verified, same sizes, same machine, same run.", ""]
    rows = []
    for g, p in d.problems:
        if sweep_only(g):
            continue
        a = d.auto_row(p)
        peers = d.peers_by_problem.get(p, [])
        if a is None and not peers:
            continue
        bp = d.best_peer(p)
        chosen = "%s/%s" % (a["method"], a["backend"]) if a is not None and is_ok(a) else "-"
        ratio = (bp["median_ms"] / a["median_ms"]) if (bp and is_ok(a)) else None
        if bp:
            peer = bp["impl"]
            pms = fmt_ms(bp["median_ms"])
        elif peers:
            peer = "none measured (%s)" % ", ".join(sorted({"%s: %s" % (r["impl"], r["status"])
                                                           for r in peers}))
            pms = "-"
        else:
            peer, pms = "no peer computes this", "-"
        rows.append((p, chosen, cell(a), peer, pms, fmt_x(ratio)))
    if not rows:
        return "\n".join(lines + ["No peer measurements."])
    lines.append(md_table(["case", "fconv method chosen", "fconv ms", "best peer", "peer ms",
                           "ratio"], rows))
    # Every peer, for the record.
    if d.p:
        impls = []
        for r in d.p:
            if r["impl"] not in impls:
                impls.append(r["impl"])
        prow = []
        for g, p in d.problems:
            peers = {r["impl"]: r for r in d.peers_by_problem.get(p, [])}
            if not peers:
                continue
            prow.append([p] + [cell(peers.get(i)) if i in peers else "n/a" for i in impls])
        lines += ["", "Every peer (ms; n/a: the peer cannot compute this problem):", "",
                  md_table(["case"] + impls, prow)]
    return "\n".join(lines)


def section_python(d):
    """fconv's Python package (a Plan called from Python) against the C AUTO row."""
    if not d.py:
        return ""
    lines = ["## fconv from Python", "",
             "peers.py's \"fconv (Python)\" row: the same problem through fconv's Python "
             "package (fconv.Plan, kernel passed per call like fconv_bench). overhead = Python "
             "time - C time (AUTO row, exec path), per call; peers.py's per-call timing adds a "
             "few us of its own, python/tools/bench_overhead.py measures the binding alone.", ""]
    rows = []
    for r in d.py:
        a = d.auto_row(r["problem"])
        if is_ok(r) and a is not None and is_ok(a):
            over = "%.2f us" % ((float(r["median_ms"]) - float(a["median_ms"])) * 1e3)
        else:
            over = "-"
        rows.append((r["problem"], cell(a), cell(r), over, r.get("note", "")))
    lines.append(md_table(["case", "fconv C ms", "fconv Python ms", "overhead", "note"], rows))
    return "\n".join(lines)


def section_methods(d):
    lines = ["## Methods side by side", "",
             "Median ms per method (speed-up over the CPU direct path in brackets). "
             "AUTO shows its choice.", ""]
    has_cuda = any(r["backend_req"] == "cuda" for r in d.f)
    header = ["case", "direct", "FFT", "overlap-save", "AUTO (choice)"]
    if has_cuda:
        header += ["CUDA direct", "CUDA FFT", "CUDA os"]
    rows = []
    for g, p in d.problems:
        if sweep_only(g):
            continue
        dr = d.get(p, "direct")
        base = dr["median_ms"] if is_ok(dr) else None

        def c(r):
            s = cell(r)
            if is_ok(r) and base:
                s += " (%s)" % fmt_x(base / r["median_ms"])
            return s
        a = d.get(p, "auto", "cpu")
        ac = c(a)
        if is_ok(a):
            ac += " %s" % a["method"]
        row = [p, cell(dr), c(d.get(p, "fft")), c(d.get(p, "os")), ac]
        if has_cuda:
            for m in ("direct", "fft", "os"):
                h, dv = d.get(p, m, "cuda", "host"), d.get(p, m, "cuda", "device")
                s = c(h)
                if dv is not None:
                    s += " / dev " + c(dv)
                row.append(s)
        rows.append(row)
    lines.append(md_table(header, rows))
    return "\n".join(lines)


def sweep_series(d, rank):
    """{method: [(kernel edge, ms or None, row)]} for the rank's kernel sweep."""
    out = {}
    for p in d.group_problems("sweep-k%dd" % rank):
        c = benchcase.parse_problem(p)
        for m in METHOD_ORDER:
            r = d.get(p, m)
            if r is not None:
                out.setdefault(m, []).append((c.k[0], r["median_ms"] if is_ok(r) else None, r))
        for m in ("fft", "direct"):
            r = d.get(p, m, "cuda", "device")
            if r is not None:
                out.setdefault("cuda-" + m, []).append(
                    (c.k[0], r["median_ms"] if is_ok(r) else None, r))
    return out


def crossover(series):
    """(last kernel where direct wins, first kernel where a transform wins) or a reason."""
    direct = {k: v for k, v, _ in series.get("direct", []) if v is not None}
    trans = {}
    for m in ("fft", "os"):
        for k, v, _ in series.get(m, []):
            if v is not None:
                trans[k] = min(v, trans.get(k, math.inf))
    common = sorted(set(direct) & set(trans))
    if not direct:
        return None, "not measured: no direct timings"
    if not common:
        return None, "not measured: FFT and overlap-save not built (or not measured)"
    # The crossover: the smallest kernel from which a transform wins at every larger measured
    # kernel (one noisy point below it does not move it).
    first = None
    for k in reversed(common):
        if trans[k] < direct[k]:
            first = k
        else:
            break
    if first is None:
        return None, "direct is faster at the largest measured kernel (%d)" % common[-1]
    before = [k for k in common if k < first]
    flukes = [k for k in before if trans[k] < direct[k]]
    return first, "transform methods win from kernel %d on%s%s" % (
        first, " (direct still wins at %d)" % before[-1] if before else " (the smallest measured)",
        "; a transform was also faster at %s" % ", ".join(map(str, flukes)) if flukes else "")


def section_crossover(d, plots):
    lines = ["## FFT against direct as the kernel grows", ""]
    for rank in (1, 2, 3):
        s = sweep_series(d, rank)
        if not s:
            continue
        probs = d.group_problems("sweep-k%dd" % rank)
        c0 = benchcase.parse_problem(probs[0])
        first, why = crossover(s)
        lines.append("### %d-D, signal %s, SAME, f32: crossover %s" % (
            rank, "x".join(map(str, c0.n)), "**kernel %d**" % first if first else "-"))
        lines.append("")
        lines.append(why + ".")
        lines.append("")
        ks = sorted({k for v in s.values() for k, _, _ in v})
        header = ["kernel"] + [METHOD_NAME.get(m, m) for m in s]
        rows = []
        for k in ks:
            row = ["%d%s" % (k, "^%d" % rank if rank > 1 else "")]
            for m in s:
                r = next((r for kk, _, r in s[m] if kk == k), None)
                txt = cell(r)
                if m == "auto" and is_ok(r):
                    txt += " " + r["method"]
                row.append(txt)
            rows.append(row)
        lines.append(md_table(header, rows))
        if ("sweep_k%dd" % rank) in plots:
            lines += ["", "![time against kernel size, %d-D](%s)" % (rank, plots["sweep_k%dd" % rank])]
        lines.append("")
    if len(lines) == 2:
        lines.append("not measured: no kernel sweep in these results")
    return "\n".join(lines)


def section_gpu(d):
    lines = ["## GPU against CPU", ""]
    cuda = [r for r in d.f if r["backend_req"] == "cuda"]
    okc = [r for r in cuda if is_ok(r)]
    if not okc:
        why = sorted({r["status"] for r in cuda}) or ["no CUDA rows"]
        lines.append("not measured: no GPU (CUDA rows: %s)." % ", ".join(why))
        return "\n".join(lines)
    rows = []
    for g, p in d.problems:
        cpu = [r for r in d.forced(p) + [d.get(p, "auto", "cpu")] if is_ok(r)]
        best_cpu = min(cpu, key=lambda r: r["median_ms"]) if cpu else None
        e2e = [r for r in d.forced(p, ("cuda",)) if is_ok(r) and r["mem"] == "host"]
        dev = [r for r in d.forced(p, ("cuda",)) if is_ok(r) and r["mem"] == "device"]
        if not e2e and not dev:
            continue
        be = min(e2e, key=lambda r: r["median_ms"]) if e2e else None
        bd = min(dev, key=lambda r: r["median_ms"]) if dev else None
        bc = best_cpu["median_ms"] if best_cpu else None
        rows.append((p, "%s %s" % (fmt_ms(bc), best_cpu["method"]) if best_cpu else "-",
                     "%s %s" % (fmt_ms(be["median_ms"]), be["method"]) if be else "-",
                     "%s %s" % (fmt_ms(bd["median_ms"]), bd["method"]) if bd else "-",
                     fmt_x(bc / be["median_ms"]) if bc and be else "-",
                     fmt_x(bc / bd["median_ms"]) if bc and bd else "-"))
    lines.append(md_table(["case", "best CPU ms", "CUDA end-to-end ms", "CUDA device-resident ms",
                           "speed-up e2e", "speed-up resident"], rows))
    return "\n".join(lines)


def section_auto(d):
    """AUTO's choice against the fastest forced method. The comparison uses the forced rows'
    times (the chosen method's own forced row against the fastest), so that timing noise between
    two runs of the same path does not count as a miss."""
    lines = ["## AUTO against the best forced method", ""]
    n, same, near, misses = 0, 0, 0, []
    for g, p in d.problems:
        for backend, scope in (("cpu", ("cpu",)), ("auto", ("cpu", "cuda"))):
            a = d.get(p, "auto", backend)
            if not is_ok(a):
                continue
            forced = [r for r in d.forced(p, scope) if is_ok(r) and r["mem"] == "host"]
            if not forced:
                continue
            best = min(forced, key=lambda r: r["median_ms"])
            n += 1
            if (a["method"], a["backend"]) == (best["method"], best["backend"]):
                same += 1
                continue
            mine = next((r for r in forced if (r["method"], r["backend"]) ==
                         (a["method"], a["backend"])), None)
            t = mine["median_ms"] if mine else a["median_ms"]
            slower = t / best["median_ms"] - 1.0
            if slower <= 0.10:
                near += 1
            else:
                misses.append((slower, p, backend, a, t, best))
    if n == 0:
        lines.append("not measured: no problem has both an AUTO row and a forced row measured.")
        return "\n".join(lines)
    forced_built = sorted({r["method_req"] + "/" + r["backend_req"] for r in d.f
                           if is_ok(r) and r["method_req"] != "auto"})
    lines.append("AUTO chose the fastest forced method in **%d of %d** comparisons, one within "
                 "10%% of it in %d more, and missed by more than 10%% in **%d** (forced methods "
                 "measured: %s; the chosen method's forced time is compared, so that noise "
                 "between runs of one path is no miss)." % (same, n, near, len(misses),
                                                            ", ".join(forced_built)))
    if misses:
        misses.sort(key=lambda t: -t[0])
        lines.append("")
        rows = [(p, "auto:" + b, "%s/%s" % (a["method"], a["backend"]), fmt_ms(t),
                 "%s/%s" % (best["method"], best["backend"]), fmt_ms(best["median_ms"]),
                 "+%.0f%%" % (100 * m), fmt_ms(a["median_ms"]))
                for m, p, b, a, t, best in misses]
        lines.append(md_table(["case", "row", "AUTO chose", "its forced ms", "fastest forced",
                               "fastest ms", "slower by", "AUTO row ms"], rows))
    return "\n".join(lines)


def size_series(d, group, method, backend="cpu", mem="host"):
    pts = []
    for p in d.group_problems(group):
        c = benchcase.parse_problem(p)
        r = d.get(p, method, backend, mem)
        if is_ok(r):
            pts.append((c.n[0], r["median_ms"]))
    return sorted(pts)


def section_claims(d, plots):
    lines = ["## The seed claims", ""]
    # (a) growth exponents
    lines.append("### (a) \"FFT reduces convolution from O(N^2) to O(N log N)\"")
    lines.append("")
    res = {}
    for group, label in (("sweep-n-kn", "kernel length = signal length"),
                         ("sweep-n-k16", "fixed 16-tap kernel")):
        if not d.group_problems(group):
            continue
        parts = []
        for m in ("direct", "fft", "os"):
            pts = [(n, t) for n, t in size_series(d, group, m) if n >= 1024]
            if len(pts) >= 3:
                s = fit_slope([n for n, _ in pts], [t for _, t in pts])
                res[(group, m)] = s
                parts.append("%s ~ N^%.2f (%d sizes %d..%d)" % (METHOD_NAME[m], s, len(pts),
                                                                 pts[0][0], pts[-1][0]))
            else:
                parts.append("%s: not measured (fewer than 3 sizes timed)" % METHOD_NAME[m])
        lines.append("- %s: %s." % (label, "; ".join(parts)))
    sd, sf = res.get(("sweep-n-kn", "direct")), res.get(("sweep-n-kn", "fft"))
    if sd is not None and sf is not None:
        ok = sd >= 1.7 and sf <= 1.4
        lines.append("- **Verdict: %s** -- with K = N, direct grows as N^%.2f and FFT as N^%.2f "
                     "(N log N fits an exponent a little above 1)." % (
                         "supported" if ok else "not supported by these numbers", sd, sf))
    else:
        lines.append("- **Verdict: not measured** -- %s." % (
            "the FFT method is not built" if sd is not None else "no size sweep was timed"))
    s1d, s1o, s1f = (res.get(("sweep-n-k16", m)) for m in ("direct", "fft", "os"))
    if s1d is not None:
        lines.append("- With a short kernel direct is O(N K): exponent %.2f (expected about 1)." % s1d)
    big = {}
    for m in ("direct", "fft", "os"):
        for n, t in size_series(d, "sweep-n-k16", m):
            big.setdefault(n, {})[m] = t
    full = [n for n in sorted(big) if len(big[n]) >= 2]
    if full:
        n = full[-1]
        order = sorted(big[n].items(), key=lambda kv: kv[1])
        lines.append("- 16-tap kernel at the largest N measured by two or more methods (N = %d): "
                     "%s; fastest: **%s**." % (n, ", ".join("%s %s ms" % (METHOD_NAME[m], fmt_ms(t))
                                                            for m, t in order),
                                               METHOD_NAME[order[0][0]]))
    if "size_sweep" in plots:
        lines += ["", "![growth with signal size](%s)" % plots["size_sweep"]]
    lines.append("")

    # (b) GPU FFT up to 10x
    lines.append("### (b) \"GPU FFT convolution is up to 10x faster than the CPU\"")
    lines.append("")
    best = []
    for g, p in d.problems:
        cpu = [r for r in (d.get(p, "fft"), d.get(p, "os")) if is_ok(r)]
        for mem in ("device", "host"):
            gpu = [r for r in (d.get(p, "fft", "cuda", mem), d.get(p, "os", "cuda", mem))
                   if is_ok(r)]
            if cpu and gpu:
                c = min(r["median_ms"] for r in cpu)
                gm = min(r["median_ms"] for r in gpu)
                best.append((c / gm, p, mem))
    if best:
        best.sort(reverse=True)
        dev = [b for b in best if b[2] == "device"]
        e2e = [b for b in best if b[2] == "host"]
        txt = []
        if dev:
            txt.append("device-resident: up to %.1fx (`%s`)" % (dev[0][0], dev[0][1]))
        if e2e:
            txt.append("end to end: up to %.1fx (`%s`)" % (e2e[0][0], e2e[0][1]))
        top = best[0][0]
        lines.append("- GPU FFT over CPU FFT (%d threads): %s." % (
            int(float(d.f[0]["threads"] or 0)) if d.f else 0, "; ".join(txt)))
        lines.append("- **Verdict: %s** (best %.1fx)." % (
            "supported" if top >= 10 else "not reached on this machine", top))
    else:
        gpu_rows = [r for r in d.f if r["backend_req"] == "cuda"]
        why = ", ".join(sorted({r["status"] for r in gpu_rows})) or "no CUDA rows"
        lines.append("- **Verdict: not measured: no GPU** (CUDA rows: %s)." % why)
    lines.append("")

    # (c) overlap-save beats plain FFT for short kernels
    lines.append("### (c) \"overlap-save beats plain FFT when the kernel is much shorter than the "
                 "signal\"")
    lines.append("")
    pairs = []
    for g, p in d.problems:
        c = benchcase.parse_problem(p)
        if c.swapped or math.prod(c.k) * 16 > math.prod(c.n):
            continue
        f, o = d.get(p, "fft"), d.get(p, "os")
        if is_ok(f) and is_ok(o):
            pairs.append((f["median_ms"] / o["median_ms"], p))
    if pairs:
        wins = sum(1 for r, _ in pairs if r > 1)
        gm = math.exp(sum(math.log(r) for r, _ in pairs) / len(pairs))
        pairs.sort()
        lines.append("- Problems with kernel at most 1/16 of the signal: overlap-save faster in "
                     "%d of %d; FFT time / overlap-save time: geometric mean %.3gx, range "
                     "%.3gx (`%s`) .. %.3gx (`%s`)." % (wins, len(pairs), gm, pairs[0][0],
                                                        pairs[0][1], pairs[-1][0], pairs[-1][1]))
        lines.append("- **Verdict: %s**." % ("supported" if wins * 2 > len(pairs) and gm > 1 else
                                              "not supported by these numbers"))
    else:
        st = sorted({r["status"] for r in d.f if r["method_req"] in ("fft", "os") and
                     r["backend_req"] == "cpu"})
        lines.append("- **Verdict: not measured** (CPU FFT / overlap-save rows: %s)." %
                     (", ".join(st) or "none"))
    return "\n".join(lines)


def section_not_measured(d):
    lines = ["## Not measured", ""]
    groups = {}
    for r in d.f + d.p:
        if is_ok(r):
            continue
        key = (r["source"], r["impl"] if r["source"] != "fconv" else
               "%s/%s%s" % (r["method_req"], r["backend_req"], "/dev" if r["mem"] == "device" else ""),
               r["status"])
        groups.setdefault(key, []).append(r)
    if not groups:
        lines.append("Everything was measured.")
        return "\n".join(lines)
    rows = []
    for (src, what, st), rs in sorted(groups.items()):
        notes = sorted({r["note"] for r in rs if r["note"]})
        rows.append((src, what, st, len(rs), notes[0][:120] if notes else ""))
    lines.append(md_table(["source", "method / peer", "status", "rows", "why (first)"], rows))
    return "\n".join(lines)


# ---- runs: quiet and contended, repeated ------------------------------------------------------

def load_of(meta):
    return "contended" if meta.get("load", "quiet").startswith("contended") else "quiet"


def run_of(meta):
    try:
        return int(meta.get("run", "1"))
    except ValueError:
        return 1


def median(vals):
    vals = sorted(v for v in vals if v is not None)
    if not vals:
        return None
    n = len(vals)
    return vals[n // 2] if n % 2 else 0.5 * (vals[n // 2 - 1] + vals[n // 2])


def geomean(vals):
    vals = [v for v in vals if v is not None and v > 0]
    return math.exp(sum(math.log(v) for v in vals) / len(vals)) if vals else None


class Runs:
    """Every CSV given, grouped by load (quiet / contended, from the '# load:' line) and run
    number ('# run:'); files with the same load and run are one run (their rows merged). The
    existing sections read the first quiet run (`primary`); the headline and the new tables
    take the median over the runs of a load."""

    def __init__(self, fconv_files, peer_files):
        groups = {}
        for meta, rows in fconv_files:
            groups.setdefault((load_of(meta), run_of(meta)), ([], []))[0].extend(rows)
        for meta, rows in peer_files:
            key = (load_of(meta), run_of(meta))
            if key in groups:
                groups[key][1].extend(rows)
        self.data = {k: Data(f, p) for k, (f, p) in sorted(groups.items())}
        self.quiet = [d for (load, _), d in self.data.items() if load == "quiet"]
        self.contended = [d for (load, _), d in self.data.items() if load == "contended"]
        self.primary = (self.quiet or self.contended)[0]

    def over(self, runs, fn):
        """Median over runs of fn(run data), ignoring runs where it is None."""
        return median([fn(d) for d in runs])


def ms_of(r):
    return r["median_ms"] if is_ok(r) else None


def paired_times(text):
    """{"fft/cpu": ms, ...} from an AUTO row's paired column ("direct/cpu 0.32 (> 3x); fft/cpu
    0.0953"); plans left out of the rounds (> 3x AUTO) are not included."""
    out = {}
    for part in text.split(";"):
        f = part.split()
        if len(f) == 2:
            try:
                out[f[0]] = float(f[1])
            except ValueError:
                pass
    return out


def choice(r):
    return "%s/%s" % (r["method"], r["backend"]) if is_ok(r) else "-"


def fmt_regret(x):
    if x is None:
        return "-"
    s = fmt_x(x)
    return "**%s**" % s if x > REGRET_TARGET else s


def fmt_target(x):
    return "%gx" % x


def section_headline(R):
    d = R.primary
    nq, nc = len(R.quiet), len(R.contended)
    lines = ["## Headline", "",
             "Per case: AUTO on both call paths -- the kernel passed to `fconv_execute` (exec) and "
             "`fconv_plan_set_kernel` + `fconv_execute(kernel = NULL)` (reuse, where AUTO's "
             "kernel-aware refinement runs) -- with AUTO's regret (AUTO time / fastest forced "
             "method on the same path; **bold** above %s); the best peer (steady state) and "
             "best peer time / fconv exec time; fconv under contention (one busy process beside "
             "it) against its quiet time; one-shot `fconv_convolve` (create + execute + destroy): "
             "its first call in a fresh process / steady state, against the best peer's; and the "
             "longest `fconv_plan_create` of the case (the first plan of the shape in a fresh "
             "process, no MEASURE; **bold** above %g ms). Times in ms, the median over %d quiet "
             "run(s)%s." % (fmt_target(REGRET_TARGET), PLAN_TARGET_MS, nq,
                            " and %d contended run(s)" % nc if nc else ""), ""]
    rows = []
    for g, p in d.problems:
        if sweep_only(g):
            continue
        cells = [p]
        for call in ("exec", "reuse"):
            t = R.over(R.quiet, lambda x: ms_of(x.auto_row(p, call)))
            ran = [x.auto_row(p, call) for x in R.quiet if is_ok(x.auto_row(p, call))]
            cells.append("%s %s" % (fmt_ms(t), ran[0]["method"]) if ran else
                         cell(d.auto_row(p, call)))
            cells.append(fmt_regret(R.over(R.quiet, lambda x: (x.regret(p, call) or
                                                                  (None, None, None))[2])))
        bps = [x.best_peer(p) for x in R.quiet if x.best_peer(p)]
        tp = R.over(R.quiet, lambda x: ms_of(x.best_peer(p)))
        cells.append("%s %s" % (fmt_ms(tp), bps[0]["impl"]) if bps else "-")
        cells.append(fmt_x(R.over(R.quiet, lambda x: (
            ms_of(x.best_peer(p)) / ms_of(x.auto_row(p)) if ms_of(x.best_peer(p)) and
            ms_of(x.auto_row(p)) else None))))
        if nc:
            tq = R.over(R.quiet, lambda x: ms_of(x.auto_row(p)))
            tc = R.over(R.contended, lambda x: ms_of(x.auto_row(p)))
            cells.append("%s (%s)" % (fmt_ms(tc), fmt_x(tc / tq)) if tc and tq else "-")
        o = d.get(p, "auto", "cpu", call="oneshot")
        if o is not None:
            of = R.over(R.quiet, lambda x: (x.get(p, "auto", "cpu", call="oneshot") or {})
                        .get("first_ms") if is_ok(x.get(p, "auto", "cpu", call="oneshot")) else None)
            os_ = R.over(R.quiet, lambda x: ms_of(x.get(p, "auto", "cpu", call="oneshot")))
            cells.append("%s / %s" % (fmt_ms(of), fmt_ms(os_)) if os_ is not None else cell(o))
        else:
            cells.append("-")
        pf = R.over(R.quiet, lambda x: ms_of(x.best_first_peer(p)))
        cells.append("%s / %s" % (fmt_ms(pf), fmt_ms(tp)) if pf is not None else "-")
        plan = max_plan(d, p)
        cells.append("-" if plan is None else
                     ("**%s**" % fmt_ms(plan) if plan > PLAN_TARGET_MS else fmt_ms(plan)))
        rows.append(cells)
    if not rows:
        return "\n".join(lines + ["No cases outside the sweeps."])
    header = ["case", "exec AUTO", "regret", "reuse AUTO", "regret", "best peer", "peer/fconv"]
    if nc:
        header.append("contended (x quiet)")
    header += ["one-shot first / steady", "peer first / steady", "plan"]
    lines.append(md_table(header, rows))
    tg = [p for g, p in d.problems if "target" in g.split("+")]
    gms = [geomean([ms_of(x.best_peer(p)) / ms_of(x.auto_row(p)) for p in tg
                    if ms_of(x.best_peer(p)) and ms_of(x.auto_row(p))]) for x in R.quiet]
    gms = [v for v in gms if v is not None]
    if gms:
        lines += ["", "Geometric mean of best peer / fconv over the %d target cases: %s%s." % (
            len(tg), fmt_x(median(gms)),
            " (median of %d runs; min %s, max %s)" % (len(gms), fmt_x(min(gms)), fmt_x(max(gms)))
            if len(gms) > 1 else " (one run)")]
    return "\n".join(lines)


def max_plan(d, p):
    """Longest fconv_plan_create among the case's planned rows (exec and reuse paths)."""
    vals = [r["plan_ms"] for r in d.f if r["problem"] == p and r["plan_ms"] is not None]
    return max(vals) if vals else None


def section_regret(R):
    d = R.primary
    lines = ["## AUTO's regret on both call paths", "",
             "AUTO's regret: AUTO's time / the fastest forced method's time on the same call path "
             "(exec: kernel passed to execute; reuse: set_kernel + execute(NULL)); target <= %s. "
             "Measured side by side: in AUTO's row, after its own repetitions, a plan per forced "
             "method is made in the same process and called in turn with AUTO's plan, round "
             "after round, for another budget; the times are the medians of those rounds (a "
             "forced plan over 3x AUTO's time leaves the rounds). *Separate rows*: AUTO's row / "
             "the fastest forced row, each timed in its own process -- on a noisy host the same "
             "plan differs by up to 2x between rows. *Choice*: the method AUTO chose, forced / "
             "the fastest forced (side by side). Times are medians over the %d quiet run(s), "
             "ratios the median of the runs' ratios. Cases of the sweeps are listed only above "
             "the target." % (fmt_target(REGRET_TARGET), len(R.quiet)), ""]
    rows, n, bad = [], 0, []
    for g, p in d.problems:
        for call in ("exec", "reuse"):
            res = d.regret(p, call)
            if res is None:
                continue
            x = R.over(R.quiet, lambda q: (q.regret(p, call) or (None, None, None))[2])
            a, best, _ = res
            n += 1
            if x > REGRET_TARGET:
                bad.append((x, p, call))
            if sweep_only(g) and x <= REGRET_TARGET:
                continue
            ta = R.over(R.quiet, lambda q: (q.regret(p, call) or (None, None, None))[0]["median_ms"]
                        if q.regret(p, call) else None)
            tb = R.over(R.quiet, lambda q: q.regret(p, call)[1]["median_ms"]
                        if q.regret(p, call) else None)
            sep = R.over(R.quiet, lambda q: (q.regret_rows(p, call) or (None, None, None))[2])
            rows.append((p, call, choice(a), fmt_ms(ta), choice(best), fmt_ms(tb),
                         fmt_regret(x), fmt_x(sep),
                         fmt_x(R.over(R.quiet, lambda q: q.choice_regret(p, call))),
                         a["reason"]))
    if not n:
        return "\n".join(lines + ["not measured: no case has an AUTO row and a forced row on "
                                  "the same call path."])
    lines.append("AUTO's regret is within %s in **%d of %d** (case, call path) pairs%s." % (
        fmt_target(REGRET_TARGET), n - len(bad), n,
        "; worst: `%s` on the %s path, %s" % (max(bad)[1], max(bad)[2], fmt_x(max(bad)[0]))
        if bad else ""))
    lines += ["", md_table(["case", "path", "AUTO chose", "AUTO ms", "fastest forced",
                            "its ms", "regret", "separate rows", "choice", "AUTO's reason"],
                           rows)]
    return "\n".join(lines)


def section_contended(R):
    lines = ["## Quiet against contended", ""]
    if not R.contended:
        lines.append("not measured: no contended run (`scripts/bench.sh --contended`, or "
                     "`fconv_bench --contended` + `peers.py --contended`).")
        return "\n".join(lines)
    d = R.primary
    lines.append("One busy process (a pure spin loop) ran beside every fconv row and every peer "
                 "row of the contended run(s). AUTO on both call paths: the quiet median "
                 "(%d run(s)), the contended median (%d run(s)), their ratio, and the best peer "
                 "of the same contended run. Flags: **> %gx quiet** and **slower than the best "
                 "peer** (contended)." % (len(R.quiet), len(R.contended), CONTENDED_TARGET))
    lines.append("")
    rows, n, over, slower = [], 0, [], []
    for g, p in d.problems:
        for call in ("exec", "reuse"):
            tq = R.over(R.quiet, lambda x: ms_of(x.auto_row(p, call)))
            tc = R.over(R.contended, lambda x: ms_of(x.auto_row(p, call)))
            if tq is None or tc is None:
                continue
            n += 1
            pc = R.over(R.contended, lambda x: ms_of(x.best_peer(p)))
            bp = R.contended[0].best_peer(p)
            flags = []
            if tc > CONTENDED_TARGET * tq:
                flags.append("**> %gx quiet**" % CONTENDED_TARGET)
                over.append(p + " " + call)
            if pc is not None and tc > pc:
                flags.append("**slower than %s**" % (bp["impl"] if bp else "the best peer"))
                slower.append(p + " " + call)
            if sweep_only(g) and not flags:
                continue
            rows.append((p, call, fmt_ms(tq), fmt_ms(tc), fmt_x(tc / tq),
                         "%s %s" % (fmt_ms(pc), bp["impl"]) if pc is not None and bp else "-",
                         ", ".join(flags) or "ok"))
    lines.append("Of %d AUTO rows: %d above %gx their quiet median, %d slower than the "
                 "best peer under contention. Sweeps are listed only when flagged." % (
                     n, len(over), CONTENDED_TARGET, len(slower)))
    lines += ["", md_table(["case", "path", "quiet ms", "contended ms", "contended / quiet",
                            "best peer contended", "flags"], rows)]
    return "\n".join(lines)


def section_oneshot(R):
    d = R.primary
    lines = ["## One-shot calls", "",
             "`fconv_convolve` per call (create + execute + destroy, method AUTO) against the "
             "peer's single call. *First*: the first call in a fresh process (fconv: a row's "
             "forked process that has made no fconv or FFTW call; peers: a new worker process, "
             "imports done), so plan-time work such as FFTW planning is paid there; *steady*: the "
             "median of the calls after it. Median over %d quiet run(s)." % len(R.quiet), ""]
    rows = []
    for g, p in d.problems:
        o = d.get(p, "auto", "cpu", call="oneshot")
        if o is None:
            continue

        def first(x):
            r = x.get(p, "auto", "cpu", call="oneshot")
            return r["first_ms"] if is_ok(r) else None
        ff = R.over(R.quiet, first)
        fs = R.over(R.quiet, lambda x: ms_of(x.get(p, "auto", "cpu", call="oneshot")))
        fe = R.over(R.quiet, lambda x: ms_of(x.auto_row(p)))
        pf = R.over(R.quiet, lambda x: ms_of(x.best_first_peer(p)))
        ps = R.over(R.quiet, lambda x: ms_of(x.best_peer(p)))
        bpf, bps = d.best_first_peer(p), d.best_peer(p)
        rows.append((p, choice(o), fmt_ms(ff) if ff is not None else cell(o), fmt_ms(fs),
                     fmt_ms(fe),
                     "%s %s" % (fmt_ms(pf), bpf["impl"]) if pf is not None and bpf else "-",
                     "%s %s" % (fmt_ms(ps), bps["impl"]) if ps is not None and bps else "-",
                     fmt_x(pf / ff) if pf and ff else "-", fmt_x(ps / fs) if ps and fs else "-"))
    if not rows:
        return "\n".join(lines + ["not measured: no one-shot rows (`fconv_bench --calls` without "
                                  "oneshot, or no AUTO rows)."])
    lines.append(md_table(["case", "AUTO chose", "fconv first", "fconv steady",
                           "(plan reused: execute)", "best peer first", "best peer steady",
                           "first: peer/fconv", "steady: peer/fconv"], rows))
    return "\n".join(lines)


def section_planning(R):
    d = R.primary
    lines = ["## Plan creation", "",
             "`fconv_plan_create` per case: the longest of its rows (each the first plan of the "
             "shape in a fresh process; the bench never sets FCONV_FLAG_MEASURE) and the longest "
             "`fconv_plan_set_kernel` (reuse rows). Target: plan creation <= %g ms. Sweeps are "
             "listed only above it." % PLAN_TARGET_MS, ""]
    rows, n, bad = [], 0, []
    for g, p in d.problems:
        rs = [r for r in d.f if r["problem"] == p and r["plan_ms"] is not None]
        if not rs:
            continue
        worst = max(rs, key=lambda r: r["plan_ms"])
        n += 1
        over = worst["plan_ms"] > PLAN_TARGET_MS
        if over:
            bad.append(p)
        if sweep_only(g) and not over:
            continue
        sk = [r["set_kernel_ms"] for r in rs if r["set_kernel_ms"] is not None]
        rows.append((p, ("**%s**" if over else "%s") % fmt_ms(worst["plan_ms"]),
                     "%s:%s %s" % (worst["method_req"], worst["backend_req"], call_of(worst)),
                     fmt_ms(max(sk)) if sk else "-"))
    if not n:
        return "\n".join(lines + ["not measured: no planned rows."])
    lines.append("Plan creation within %g ms in **%d of %d** cases%s." % (
        PLAN_TARGET_MS, n - len(bad), n, "" if not bad else "; above: " +
        ", ".join("`%s`" % p for p in bad[:8]) + (" ..." if len(bad) > 8 else "")))
    lines += ["", md_table(["case", "longest plan ms", "row", "longest set_kernel ms"], rows)]
    return "\n".join(lines)


def section_spread(R):
    lines = ["## Run-to-run spread", ""]
    d = R.primary
    if len(R.quiet) < 2:
        lines.append("One quiet run: no spread (`scripts/bench.sh --repeat N` repeats the whole "
                     "run N times).")
        return "\n".join(lines)
    lines.append("Best peer time / fconv time (AUTO, exec path) in each of the %d quiet runs: "
                 "min / median / max." % len(R.quiet))
    lines.append("")
    rows = []
    tg = [p for g, p in d.problems if not sweep_only(g)]
    per_run = []
    for x in R.quiet:
        per_run.append({p: ms_of(x.best_peer(p)) / ms_of(x.auto_row(p)) for p in tg
                        if ms_of(x.best_peer(p)) and ms_of(x.auto_row(p))})
    for p in tg:
        vals = [r[p] for r in per_run if p in r]
        if vals:
            rows.append((p, len(vals), fmt_x(min(vals)), fmt_x(median(vals)), fmt_x(max(vals))))
    target = [p for g, p in d.problems if "target" in g.split("+")]
    gms = [geomean([r[p] for p in target if p in r]) for r in per_run]
    gms = [v for v in gms if v is not None]
    if gms:
        rows.append(("**geometric mean, %d target cases**" % len(target), len(gms),
                     fmt_x(min(gms)), fmt_x(median(gms)), fmt_x(max(gms))))
    lines.append(md_table(["case", "runs", "min", "median", "max"], rows))
    return "\n".join(lines)


def section_transforms(R):
    d = R.primary
    rs = [r for r in d.f if is_ok(r) and r["transforms_ms"] is not None]
    lines = ["## fconv against its own transforms", ""]
    if not rs:
        lines.append("not measured (`fconv_bench --transforms estimate|measure|patient`).")
        return "\n".join(lines)
    lines.append("Plain FFTW transforms (forward + inverse per item or overlap-save block) of the "
                 "transform shape each plan reports, planned as stated; fconv execute / those "
                 "transforms is its overhead (gather, multiply, crop, threading).")
    lines.append("")
    rows = [(r["problem"], "%s:%s %s" % (r["method_req"], r["backend_req"], call_of(r)),
             r["method"], fmt_ms(r["median_ms"]), fmt_ms(r["transforms_ms"]),
             fmt_x(r["median_ms"] / r["transforms_ms"]) if r["transforms_ms"] else "-",
             r.get("transforms", "")) for r in rs]
    lines.append(md_table(["case", "row", "ran", "execute ms", "transforms ms",
                           "execute / transforms", "transforms timed"], rows))
    return "\n".join(lines)


# ---- plots ------------------------------------------------------------------------------------

def make_plots(d, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as e:  # report still written, without plots
        print("report.py: no plots (matplotlib: %s)" % e, file=sys.stderr)
        return {}
    plots = {}
    styles = {"direct": ("o-", "C0"), "fft": ("s-", "C1"), "os": ("^-", "C2"),
              "auto": ("x--", "C3"), "cuda-fft": ("s:", "C4"), "cuda-direct": ("o:", "C5")}
    for rank in (1, 2, 3):
        s = sweep_series(d, rank)
        if not s or not any(v is not None for pts in s.values() for _, v, _ in pts):
            continue
        fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=110)
        for m, pts in s.items():
            xs = [k for k, v, _ in pts if v is not None]
            ys = [v for k, v, _ in pts if v is not None]
            if xs:
                st, col = styles.get(m, (".-", None))
                ax.plot(xs, ys, st, color=col, label=METHOD_NAME.get(m, m), ms=5)
        first, why = crossover(s)
        if first:
            ax.axvline(first, color="grey", ls="--", lw=1)
            ax.annotate("crossover\nkernel %d" % first, (first, ax.get_ylim()[1]),
                        textcoords="offset points", xytext=(4, -28), fontsize=9, color="grey")
        else:
            ax.text(0.98, 0.03, why, transform=ax.transAxes, fontsize=8, va="bottom", ha="right",
                    color="grey")
        probs = d.group_problems("sweep-k%dd" % rank)
        c0 = benchcase.parse_problem(probs[0])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("kernel edge K (%s)" % ("taps" if rank == 1 else "K^%d taps" % rank))
        ax.set_ylabel("median time per call [ms]")
        ax.set_title("%d-D f32 SAME, signal %s: time against kernel size" %
                     (rank, "x".join(map(str, c0.n))))
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=9)
        fig.tight_layout()
        name = "sweep_k%dd.png" % rank
        fig.savefig(os.path.join(out, name))
        plt.close(fig)
        plots["sweep_k%dd" % rank] = name

    # speed-up over the best peer per case
    bars = []
    for g, p in d.problems:
        if sweep_only(g):
            continue
        a = d.auto_row(p)
        bp = d.best_peer(p)
        if is_ok(a) and bp:
            bars.append((p, bp["median_ms"] / a["median_ms"], bp["impl"]))
    if bars:
        fig, ax = plt.subplots(figsize=(9, 0.36 * len(bars) + 1.4), dpi=110)
        ys = range(len(bars))
        vals = [b[1] for b in bars]
        # bars grow from 1x: right of the line fconv is faster, left the peer
        ax.barh(list(ys), [v - 1.0 for v in vals], left=1.0,
                color=["C2" if v >= 1 else "C3" for v in vals])
        ax.set_yticks(list(ys))
        ax.set_yticklabels(["%s  (vs %s)" % (b[0], b[2]) for b in bars], fontsize=7)
        ax.set_xscale("log")
        lo, hi = min(vals + [1.0]), max(vals + [1.0])
        ax.set_xlim(lo / 1.6, hi * 1.6)
        from matplotlib.ticker import FixedLocator, FuncFormatter
        mults = (1, 2, 5) if hi / lo < 50 else (1,)  # fewer labels over wide ranges
        ticks = [m * 10.0 ** e for e in range(-6, 7) for m in mults]
        ax.xaxis.set_major_locator(FixedLocator([t for t in ticks if lo / 1.6 <= t <= hi * 1.6]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: "%gx" % float("%.2g" % v)))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
        ax.axvline(1.0, color="black", lw=1)
        for y, v in zip(ys, vals):
            ax.text(v, y, " %.2gx" % v, va="center", fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("best peer time / fconv AUTO time (> 1: fconv faster)")
        ax.set_title("fconv speed-up over the best peer, per case")
        ax.grid(True, axis="x", which="both", alpha=0.3)
        fig.tight_layout()
        fig.savefig(os.path.join(out, "speedup_vs_peers.png"))
        plt.close(fig)
        plots["speedup_vs_peers"] = "speedup_vs_peers.png"

    # claim (a): growth with size
    series = []
    for group, label in (("sweep-n-kn", "K = N"), ("sweep-n-k16", "K = 16")):
        for m in ("direct", "fft", "os"):
            pts = size_series(d, group, m)
            if len(pts) >= 2:
                series.append((label, m, pts))
    if series:
        fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=110)
        for label, m, pts in series:
            big = [(n, t) for n, t in pts if n >= 1024]
            s = fit_slope(*zip(*big)) if len(big) >= 3 else None
            st, col = styles[m]
            ax.plot([n for n, _ in pts], [t for _, t in pts], st if label == "K = N" else
                    st.replace("-", ":"), color=col, ms=4,
                    label="%s, %s%s" % (METHOD_NAME[m], label,
                                        " (slope %.2f)" % s if s is not None else ""))
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("signal length N (1-D f32 SAME)")
        ax.set_ylabel("median time per call [ms]")
        ax.set_title("growth with size: direct O(N K) vs FFT O(N log N)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out, "size_sweep.png"))
        plt.close(fig)
        plots["size_sweep"] = "size_sweep.png"
    return plots


# ---- main -------------------------------------------------------------------------------------

def build_report(fconv_paths, peer_paths, out):
    os.makedirs(out, exist_ok=True)
    ffiles = [read_csv(p) for p in fconv_paths]
    pfiles = [read_csv(p) for p in peer_paths if os.path.exists(p)]
    # The machine record of the first quiet file (else the first).
    fmeta = next((m for m, _ in ffiles if load_of(m) == "quiet"), ffiles[0][0] if ffiles else {})
    pmeta = next((m for m, _ in pfiles if load_of(m) == "quiet"), pfiles[0][0] if pfiles else {})
    timings = {}
    tpath = os.path.join(out, "timings.txt")  # written by scripts/bench.sh
    if os.path.exists(tpath):
        with open(tpath) as f:
            for line in f:
                if ":" in line:
                    k, v = line.split(":", 1)
                    timings[k.strip()] = v.strip()
    R = Runs(ffiles, pfiles)
    d = R.primary
    plots = make_plots(d, out)
    runs = "%d quiet run(s)%s" % (len(R.quiet), ", %d contended run(s)" % len(R.contended)
                                  if R.contended else "")
    parts = ["# fconv benchmark report", "",
             "%s, %s. fconv `%s`. %s. Generated by bench/report.py from %s." % (
                 fmeta.get("date", "?"), fmeta.get("host", "?"), fmeta.get("fconv", "?"), runs,
                 ", ".join(os.path.basename(p) for p in fconv_paths + peer_paths)),
             "",
             section_summary(d), "", section_machine(fmeta, pmeta, timings), "",
             section_headline(R), "", section_regret(R), "", section_contended(R), "",
             section_oneshot(R), "", section_planning(R), "", section_spread(R), "",
             section_peers(d), ""]
    if "speedup_vs_peers" in plots:
        parts += ["![speed-up over the best peer](%s)" % plots["speedup_vs_peers"], ""]
    if d.py:
        parts += [section_python(d), ""]
    parts += [section_methods(d), "", section_crossover(d, plots), "", section_gpu(d), "",
              section_auto(d), "", section_transforms(R), "", section_claims(d, plots), "",
              section_not_measured(d), ""]
    path = os.path.join(out, "report.md")
    with open(path, "w") as f:
        f.write("\n".join(parts))
    return path, plots


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fconv", action="append", required=True,
                    help="fconv_bench CSV (repeatable: runs are told apart by their '# run:' and "
                         "'# load:' lines, quiet or contended)")
    ap.add_argument("--peers", action="append", default=[],
                    help="peers.py CSV (repeatable; paired with the fconv CSV of the same run "
                         "and load)")
    ap.add_argument("--out", required=True, help="output directory")
    a = ap.parse_args()
    path, plots = build_report(a.fconv, a.peers, a.out)
    print("report.py: wrote %s (%d plot(s))" % (path, len(plots)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
