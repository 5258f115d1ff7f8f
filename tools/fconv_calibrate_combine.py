#!/usr/bin/env python3
"""fconv_calibrate_combine.py — combine several runs of fconv_calibrate into one header.

On a noisy machine (a shared VM: one run's figures move by 2x between its slow and fast
phases) a single calibration run is not a measurement of the machine. Run it several times and
combine the outputs: per entry the minimum of the times (what the machine does when nothing
disturbs it; every time in the headers is a best-of-repetitions already) and the median of the
ratios and speedups (a disturbed run lowers a speedup as often as a quiet one raises it):

  for i in 1 2 3 4 5 6; do build/fconv_calibrate fft > /tmp/fft$i.h; done
  tools/fconv_calibrate_combine.py fft /tmp/fft*.h > src/cpu/cost_fft.h
  for i in 1 2 3 4 5 6; do build/fconv_calibrate direct > /tmp/direct$i.h; done
  tools/fconv_calibrate_combine.py direct /tmp/direct*.h > src/cpu/cost_direct.h

The first file's text is kept (its comments and provenance line); a line saying how many runs
were combined is added after the provenance. Each combined value is printed on stderr with the
values it came from."""
import re
import statistics
import sys

FFT_RULES = {"PEN3": "median", "PEN5": "median", "PEN7": "median", "PENODD": "median",
             "C2C": "median", "F64": "median", "FFTW_SPEEDUP2": "median",
             "PAR_SPEEDUP2": "median", "PASS_CACHED": "min", "PASS_MEMORY": "min",
             "EXEC_UNIT": "median", "EXEC_CALL": "min"}
DIRECT_RULES = {k: "min" for k in ("A_F32", "A_F64", "A_C64", "A_C128", "B_F32", "B_F64",
                                   "B_C64", "B_C128", "C")}
TABLE = re.compile(r"fconv_cal_fft\[3\]\[28\] = \{(.*?)\};", re.S)
NUMBER = re.compile(r"[0-9.]+(?:e[-+][0-9]+)?")


def combine_table(texts):
    tabs = [[float(v) for v in NUMBER.findall(TABLE.search(t).group(1))] for t in texts]
    if any(len(t) != 84 for t in tabs):
        sys.exit("fconv_calibrate_combine: a table without 3 x 28 entries")
    mins = [min(t[i] for t in tabs) for i in range(84)]
    rows = []
    for r in range(3):
        vals = mins[28 * r:28 * (r + 1)]
        rows.append("  {" + ",\n   ".join(", ".join("%.4g" % v for v in vals[j:j + 7])
                                          for j in range(0, 28, 7)) + "}")
    return "fconv_cal_fft[3][28] = {\n" + ",\n".join(rows) + "};"


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("fft", "direct"):
        sys.exit("usage: fconv_calibrate_combine.py fft|direct HEADER...")
    kind, files = sys.argv[1], sys.argv[2:]
    texts = [open(f).read() for f in files]
    out = texts[0]
    if kind == "fft":
        out = TABLE.sub(lambda m: combine_table(texts), out)
        rules, prefix = FFT_RULES, "FCONV_CAL_"
    else:
        rules, prefix = DIRECT_RULES, "DIRECT_"
    for name, how in rules.items():
        pat = re.compile(r"(#define %s%s )(\S+)" % (prefix, name))
        vals = [float(pat.search(t).group(2)) for t in texts]
        v = min(vals) if how == "min" else statistics.median(vals)
        print("%s: %s of %s = %.4g" % (name, how, vals, v), file=sys.stderr)
        out = pat.sub(lambda m: m.group(1) + "%.4g" % v, out)
    lines = out.split("\n")
    at = next(i for i, l in enumerate(lines) if l.startswith(" * on:"))
    lines.insert(at + 1, " * Combined from %d runs by tools/fconv_calibrate_combine.py (per entry the minimum"
                 " of\n * the times, the median of the ratios and speedups)." % len(texts))
    sys.stdout.write("\n".join(lines))


if __name__ == "__main__":
    main()
