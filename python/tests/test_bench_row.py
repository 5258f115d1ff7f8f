"""The bench's "fconv (Python)" row: peers.py measures it (verified against the bench's
oracle), and report.py shows it in its own section, never as a peer."""

import csv
import os
import subprocess
import sys

import fconv

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "bench")


def test_peers_measures_and_verifies_the_python_row(tmp_path):
    out = tmp_path / "peers.csv"
    env = dict(os.environ, FCONV_PYTHONPATH=os.path.dirname(os.path.dirname(fconv.__file__)))
    r = subprocess.run([sys.executable, os.path.join(BENCH, "peers.py"),
                        "2d:c64:40x30:k5x4:same:corr:wrap:b3", "1d:f32:64:k3:full",
                        "--peers", "fconv (Python)", "--budget", "0.02", "--threads", "1",
                        "--csv", str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    with open(out) as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    assert len(rows) == 2
    for row in rows:
        assert row["source"] == "fconv-python" and row["impl"] == "fconv (Python)"
        assert row["status"] == "ok", row
        assert float(row["max_rel_err"]) <= float(row["tol"])
        assert float(row["median_ms"]) > 0


def test_report_keeps_the_python_row_out_of_the_peers():
    sys.path.insert(0, BENCH)
    try:
        import report
    finally:
        sys.path.remove(BENCH)
    base = {"group": "target", "problem": "1d:f32:64:k3:full", "status": "ok", "mem": "host",
            "method": "direct", "backend": "cpu", "note": ""}
    f = dict(base, source="fconv", impl="fconv", method_req="auto", backend_req="auto",
             median_ms=0.001)
    py = dict(base, source="fconv-python", impl="fconv (Python)", method_req="-",
              backend_req="auto", median_ms=0.0015)
    sp = dict(base, source="scipy", impl="scipy.signal.convolve", method_req="-",
              backend_req="cpu", median_ms=0.05)
    d = report.Data([f], [py, sp])
    assert d.best_peer("1d:f32:64:k3:full")["impl"] == "scipy.signal.convolve"
    text = report.section_python(d)
    assert "fconv (Python)" in text or "fconv from Python" in text
    assert "0.50 us" in text  # 0.0015 ms - 0.001 ms
