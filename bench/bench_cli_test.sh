#!/bin/sh
# bench_cli_test.sh TEST FCONV_BENCH PYTHON SRC_DIR WORK_DIR -- the harness end to end (ctest).
#   parse-valid    the C and Python parsers accept the same strings and print the same canonical form
#   parse-invalid  malformed cases are rejected with exit status 1 and a message
#   plant-full     a planted wrong element is caught by whole-output verification on every call
#                  path (exec, reuse, oneshot): exit status 2, "VERIFICATION FAILED" on stderr,
#                  status FAILED in the CSV
#   plant-sampled  the same with sampled (tile) verification
#   smoke          one tiny case on every method, backend and call path, the peers on it (with
#                  first calls), the report with its new tables
#   list           the default matrix lists the issues' target and kernel-content cases on every
#                  call path
#   contended      --contended: the CSVs say so, and the busy process is gone afterwards
#                  (fconv_bench and peers.py)
#   transforms     --transforms times the FFT and overlap-save rows' own transforms, not direct
# No timing assertions anywhere.
set -u
t=$1 bench=$2 py=$3 src=$4 work=$5
rm -rf "$work" && mkdir -p "$work" || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }

valid="2d:f32:2048x2048:k7x7:same:fft:cpu
1d:f32:2^20:k16:same:auto:auto
3d:f64:128:k5:same:os:cuda:b4:kb4:s2:corr:mirror:dev
2d:c64:64x32:k3x5:valid:direct:cpu:s2x1:wrap:kb3
1d:c128:1000:k50000:valid:auto:cpu:corr:b2
2d:f32:64:k3:full:direct:auto:replicate:conv:b1
1d:f32:480000:k96000@decay:full:auto:cpu:reuse
2d:f64:64:k5@disk:same:os:cpu:oneshot:wrap:kb2
3d:c64:16:k3@gauss:valid:fft:cuda:exec:dev
2d:f32:32:k4@box:same:direct:cpu"

case $t in
parse-valid)
  # shellcheck disable=SC2086
  out=$("$bench" --parse-only $valid) || fail "valid cases rejected: $out"
  [ "$(printf '%s\n' "$out" | grep -c '^case ')" -eq 10 ] || fail "expected 10 parsed cases: $out"
  printf '%s\n' "$out" | grep -q '^case 1d:f32:480000:k96000@decay:full:auto:cpu:reuse problem 1d:f32:480000:k96000@decay:full ' \
    || fail "kernel kind or call not canonical: $out"
  printf '%s\n' "$out" | grep -q '^case 3d:c64:16x16x16:k3x3x3@gauss:valid:fft:cuda:dev problem ' \
    || fail "exec not left out of the canonical case: $out"
  printf '%s\n' "$out" | grep -q '^case 1d:f32:1048576:k16:same:auto:auto problem 1d:f32:1048576:k16:same ' \
    || fail "2^20 not canonicalised: $out"
  printf '%s\n' "$out" | grep -q 'k50000:valid:auto:cpu:b2:corr problem .* swapped$' \
    || fail "VALID swap not detected: $out"
  if [ -x "$py" ]; then
    pyout=$(cd "$src" && printf '%s\n' "$valid" | "$py" -c '
import sys, benchcase
for line in sys.stdin:
    c = benchcase.parse(line.strip())
    print("case %s problem %s outputs %d taps %d%s" % (c.case(), c.problem(), c.outputs, c.taps,
          " swapped" if c.swapped else ""))') || fail "python parser failed: $pyout"
    [ "$out" = "$pyout" ] || fail "C and Python parsers differ:
C:
$out
Python:
$pyout"
  fi
  ;;
parse-invalid)
  for s in "" "2d:f32:64x64:k3x3:same:fft" "4d:f32:8:k3:same:fft:cpu" "2d:f32:0x8:k3x3:same:fft:cpu" \
           "2d:f32:8x8:k3x3:same:fft:cpu:b2:kb3" "2d:f32:8x4:k4x8:valid:fft:cpu" \
           "2d:f32:8x8:k3x3:same:fft:cpu:reflect" "2d:f32:8x8:k3x3:same:fft:cpu:s0" \
           "2d:f32:8x8:k3x3@noise:same:fft:cpu" "2d:f32:8x8:k3x3:same:fft:cpu:reuse:oneshot"; do
    out=$("$bench" --parse-only "$s"); rc=$?
    [ $rc -eq 1 ] || fail "'$s' accepted (rc $rc): $out"
    printf '%s' "$out" | grep -q '^invalid: ' || fail "no message for '$s': $out"
    "$bench" --csv "$work/x.csv" "$s" 2>/dev/null; rc=$?
    [ $rc -eq 1 ] || fail "running '$s' gave rc $rc, expected the usage status 1"
  done
  "$bench" --budget nope 1d:f32:8:k3:same:direct:cpu 2>/dev/null && fail "bad --budget accepted"
  "$bench" --matrix nonsense 2>/dev/null && fail "unknown matrix accepted"
  "$bench" --calls exec,never 1d:f32:8:k3:same:direct:cpu 2>/dev/null && fail "bad --calls accepted"
  "$bench" --transforms fast 1d:f32:8:k3:same:direct:cpu 2>/dev/null && fail "bad --transforms accepted"
  ;;
plant-full|plant-sampled)
  extra=""
  [ "$t" = plant-sampled ] && extra="--verify-full-max 0"
  # every call path verifies what it computed: exec, reuse (set_kernel) and oneshot
  for calls in exec reuse oneshot; do
    # shellcheck disable=SC2086
    "$bench" --plant-error $extra --budget 0.01 --calls $calls --csv "$work/p.csv" \
        2d:f32:40x50:k5x3:same:auto:cpu 2>"$work/err"; rc=$?
    [ $rc -eq 2 ] || fail "planted error ($calls): exit status $rc, expected 2"
    grep -q 'VERIFICATION FAILED' "$work/err" || fail "no loud message ($calls): $(cat "$work/err")"
    [ "$(grep -c ",FAILED,.*,$calls," "$work/p.csv")" -eq 1 ] \
      || fail "CSV row of the $calls path not FAILED: $(cat "$work/p.csv")"
  done
  # shellcheck disable=SC2086
  "$bench" --plant-error $extra --budget 0.01 --csv "$work/p.csv" \
      2d:f32:40x50:k5x3:same:direct:cpu 2>"$work/err"; rc=$?
  [ $rc -eq 2 ] || fail "planted error: exit status $rc, expected 2"
  grep -q ',FAILED,' "$work/p.csv" || fail "CSV row not FAILED: $(cat "$work/p.csv")"
  if [ "$t" = plant-sampled ]; then
    grep -q 'sampled' "$work/p.csv" || fail "not sampled verification: $(cat "$work/p.csv")"
  else
    grep -q ',full,' "$work/p.csv" || fail "not full verification: $(cat "$work/p.csv")"
  fi
  # the same run without the plant verifies and exits 0
  # shellcheck disable=SC2086
  "$bench" $extra --budget 0.01 --csv "$work/q.csv" 2d:f32:40x50:k5x3:same:direct:cpu 2>"$work/err" \
    || fail "clean run failed: $(cat "$work/err")"
  grep -q ',ok,' "$work/q.csv" || fail "clean row not ok"
  ;;
smoke)
  "$bench" --budget 0.01 --csv "$work/fconv.csv" '1d:f32:300:k7:same:*:*' '2d:f64:20x24:k4x3:same:*:cpu:corr' \
      2>"$work/err" || fail "fconv_bench failed: $(cat "$work/err")"
  grep -q '^# cpu: ' "$work/fconv.csv" || fail "no machine record"
  grep -q '^# fftw: fftw-3' "$work/fconv.csv" || fail "no FFTW version"
  grep -q '^# copy_gbps: [0-9]' "$work/fconv.csv" || fail "no bandwidth"
  # 12 cases on the exec and reuse paths, and oneshot for the 3 AUTO rows on host arrays
  [ "$(grep -c '^cli,' "$work/fconv.csv")" -eq 27 ] || fail "expected 27 rows"
  for call in exec reuse oneshot; do
    grep -q "^cli,1d:f32:300:k7:same,[^,]*,fconv,fconv,auto,cpu,host,.*,ok,.*,$call," "$work/fconv.csv" \
      || fail "the AUTO row of the $call path is not ok"
  done
  [ -x "$py" ] || { echo "no python: peers and report skipped"; echo "PASS $t"; exit 0; }
  # the one-shot row records its first call, the reuse row its set_kernel
  "$py" - "$work/fconv.csv" <<'EOF' || fail "first_ms / set_kernel_ms wrong"
import csv, sys
rows = list(csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith("#")))
one = [r for r in rows if r["call"] == "oneshot" and r["status"] == "ok"]
reu = [r for r in rows if r["call"] == "reuse" and r["status"] == "ok"]
assert one and all(float(r["first_ms"]) > 0 and r["plan_ms"] == "" for r in one), one
assert reu and all(float(r["set_kernel_ms"]) >= 0 and float(r["plan_ms"]) > 0 for r in reu), reu
assert all(r["set_kernel_ms"] == "" for r in rows if r["call"] != "reuse")
# AUTO rows of the exec and reuse paths on host arrays are timed side by side with a plan per
# forced method: the fastest is one of those listed, AUTO's paired median is positive; other
# rows carry no paired columns
pa = [r for r in rows if r["call"] in ("exec", "reuse") and r["status"] == "ok" and
      r["mem"] == "host" and "auto" in (r["method_req"], r["backend_req"])]
assert pa, rows
for r in pa:
    assert int(r["paired_rounds"]) >= 3 and float(r["paired_auto_ms"]) > 0, r
    listed = dict(p.split()[:2] for p in r["paired"].split("; ") if "(> 3x)" not in p)
    assert r["paired_best"] in listed and float(listed[r["paired_best"]]) == \
        min(float(v) for v in listed.values()), r
    assert abs(float(r["paired_best_ms"]) - float(listed[r["paired_best"]])) <= \
        6e-4 * float(r["paired_best_ms"]), r
assert all(r["paired_rounds"] == "" for r in rows if r not in pa), rows
EOF
  grep -q '^cli,1d:f32:300:k7:same,1d:f32:300:k7:same:direct:cpu,fconv,fconv,direct,cpu,host,direct,cpu,.*,ok,full,' \
    "$work/fconv.csv" || fail "direct row not ok and fully verified"
  # every row is measured or says why not
  bad=$(grep '^cli,' "$work/fconv.csv" | grep -v -e ',ok,' -e ',not built,' -e ',no device,')
  [ -z "$bad" ] || fail "rows neither ok nor not built/no device: $bad"
  "$py" "$src/peers.py" --cases-from "$work/fconv.csv" --budget 0.01 --csv "$work/peers.csv" \
      2>"$work/perr" || fail "peers.py failed: $(cat "$work/perr")"
  grep -q '^# peer_numpy: ' "$work/peers.csv" || fail "no numpy line"
  for lib in torch cupy; do
    grep -q "^# peer_$lib: " "$work/peers.csv" || fail "peer $lib neither versioned nor missing"
  done
  grep -q ',numpy.convolve,' "$work/peers.csv" || fail "no numpy row"
  grep -q '^# malloc: GLIBC_TUNABLES=glibc.malloc.mmap_threshold=2147483647:glibc.malloc.trim_threshold=2147483647' \
    "$work/peers.csv" || fail "peers not run with glibc keeping freed memory"
  grep -q ',numpy.convolve,.*,ok,.*first call in a fresh process,first,' "$work/peers.csv" \
    || fail "no first-call row for the one-shot problem"
  "$py" "$src/report.py" --fconv "$work/fconv.csv" --peers "$work/peers.csv" --out "$work/report" \
      2>"$work/rerr" || fail "report.py failed: $(cat "$work/rerr")"
  for s in '## Machine' '## Headline' "## AUTO's regret on both call paths" \
           '## Quiet against contended' '## One-shot calls' '## Plan creation' \
           '## Run-to-run spread' '## fconv against the best peer' '## Methods side by side' \
           '## The seed claims' '## Not measured'; do
    grep -q "^$s" "$work/report/report.md" || fail "report lacks '$s'"
  done
  grep -q '^| 1d:f32:300:k7:same |' "$work/report/report.md" || fail "case missing from report"
  grep -q '^| 1d:f32:300:k7:same | reuse |' "$work/report/report.md" || fail "no reuse-path regret"
  grep -q '^| peer memory | GLIBC_TUNABLES=' "$work/report/report.md" || fail "report lacks the malloc note"
  ;;
contended)
  "$bench" --contended --calls exec --budget 0.01 --csv "$work/c.csv" 1d:f32:300:k7:same:auto:cpu \
      2>"$work/err" || fail "contended run failed: $(cat "$work/err")"
  pid=$(sed -n 's/^# load: contended (.*pid \([0-9]*\),.*/\1/p' "$work/c.csv")
  [ -n "$pid" ] || fail "no contended load line: $(grep '^# load' "$work/c.csv")"
  sleep 0.2
  kill -0 "$pid" 2>/dev/null && fail "the busy process $pid outlived fconv_bench"
  grep -q ',ok,' "$work/c.csv" || fail "contended row not ok"
  "$bench" --calls exec --budget 0.01 --csv "$work/q.csv" 1d:f32:300:k7:same:auto:cpu 2>/dev/null \
    || fail "quiet run failed"
  grep -q '^# load: quiet' "$work/q.csv" || fail "no quiet load line"
  [ -x "$py" ] || { echo "no python: peers skipped"; echo "PASS $t"; exit 0; }
  "$py" "$src/peers.py" --contended --peers numpy.convolve --budget 0.01 --csv "$work/p.csv" \
      1d:f32:300:k7:same 2>"$work/perr" || fail "peers.py --contended failed: $(cat "$work/perr")"
  pid=$(sed -n 's/^# load: contended (.*pid \([0-9]*\),.*/\1/p' "$work/p.csv")
  [ -n "$pid" ] || fail "peers: no contended load line"
  sleep 0.2
  kill -0 "$pid" 2>/dev/null && fail "the busy process $pid outlived peers.py"
  grep -q ',numpy.convolve,.*,ok,' "$work/p.csv" || fail "contended peer row not ok"
  ;;
transforms)
  "$bench" --transforms estimate --calls reuse --budget 0.01 --csv "$work/t.csv" \
      '1d:f32:4096:k200:same:*:cpu' 2d:c64:40x30:k5x7:full:fft:cpu 2>"$work/err" \
    || fail "--transforms run failed: $(cat "$work/err")"
  grep -q '^# transforms: .*planner estimate' "$work/t.csv" || fail "no transforms line"
  [ -x "$py" ] || { echo "no python: CSV not inspected"; echo "PASS $t"; exit 0; }
  "$py" - "$work/t.csv" <<'EOF' || fail "transforms columns wrong: $(cat "$work/t.csv")"
import csv, sys
rows = list(csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith("#")))
by = {r["case"]: r for r in rows}
fft = by["1d:f32:4096:k200:same:fft:cpu:reuse"]
os_ = by["1d:f32:4096:k200:same:os:cpu:reuse"]
cx = by["2d:c64:40x30:k5x7:full:fft:cpu:reuse"]
assert float(fft["transforms_ms"]) > 0 and fft["transforms"].startswith("r2c+c2r "), fft
assert " x 1, " in fft["transforms"], fft                      # one item: one transform pair
assert float(os_["transforms_ms"]) > 0 and " blocks" in os_["transforms"], os_
assert cx["transforms"].startswith("c2c fwd+bwd "), cx          # complex data: c2c
assert by["1d:f32:4096:k200:same:direct:cpu:reuse"]["transforms_ms"] == ""
EOF
  ;;
list)
  out=$("$bench" --matrix default --list) || fail "--list failed"
  for c in 2d:f32:2048x2048:k3x3:same:fft:cpu 2d:f32:2048x2048:k7x7:same:auto:cpu \
           1d:f32:1048576:k16:same:os:cpu 1d:f32:1048576:k65536:same:direct:cpu \
           1d:f32:65536:k65536:full:fft:cpu 2d:f32:1024x1024:k127x127:same:fft:cpu \
           3d:f32:128x128x128:k5x5x5:same:fft:cpu 2d:f32:4096x4096:k127x127:same:fft:cuda \
           1d:f32:16777216:k4096:same:fft:cuda 1d:f32:480000:k96000@decay:full:auto:cpu \
           1d:f32:480000:k96000@decay:full:auto:cpu:reuse 1d:f32:480000:k96000@decay:full:auto:cpu:oneshot \
           1d:f32:480000:k96000@decay:full:fft:cpu:reuse 2d:f32:2048x2048:k31x31@disk:same:auto:cpu:reuse \
           2d:f32:2048x2048:k31x31@disk:same:os:cpu; do
    printf '%s\n' "$out" | grep -q " $c\$" || fail "default matrix lacks $c"
  done
  printf '%s\n' "$out" | grep -q ':direct:cpu:oneshot$' && fail "one-shot rows for a forced method"
  out=$("$bench" --matrix default --list --calls exec) || fail "--list --calls exec failed"
  printf '%s\n' "$out" | grep -q -e ':reuse$' -e ':oneshot$' && fail "--calls exec listed other paths"
  ;;
*) fail "unknown test $t" ;;
esac
echo "PASS $t"
