#!/bin/sh
# bench_cli_test.sh TEST FCONV_BENCH PYTHON SRC_DIR WORK_DIR -- the harness end to end (ctest).
#   parse-valid    the C and Python parsers accept the same strings and print the same canonical form
#   parse-invalid  malformed cases are rejected with exit status 1 and a message
#   plant-full     a planted wrong element is caught by whole-output verification: exit status 2,
#                  "VERIFICATION FAILED" on stderr, status FAILED in the CSV
#   plant-sampled  the same with sampled (tile) verification
#   smoke          one tiny case on every method and backend, the peers on it, the report
#   list           the default matrix lists the issues' target cases
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
2d:f32:64:k3:full:direct:auto:replicate:conv:b1"

case $t in
parse-valid)
  # shellcheck disable=SC2086
  out=$("$bench" --parse-only $valid) || fail "valid cases rejected: $out"
  [ "$(printf '%s\n' "$out" | grep -c '^case ')" -eq 6 ] || fail "expected 6 parsed cases: $out"
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
           "2d:f32:8x8:k3x3:same:fft:cpu:reflect" "2d:f32:8x8:k3x3:same:fft:cpu:s0"; do
    out=$("$bench" --parse-only "$s"); rc=$?
    [ $rc -eq 1 ] || fail "'$s' accepted (rc $rc): $out"
    printf '%s' "$out" | grep -q '^invalid: ' || fail "no message for '$s': $out"
    "$bench" --csv "$work/x.csv" "$s" 2>/dev/null; rc=$?
    [ $rc -eq 1 ] || fail "running '$s' gave rc $rc, expected the usage status 1"
  done
  "$bench" --budget nope 1d:f32:8:k3:same:direct:cpu 2>/dev/null && fail "bad --budget accepted"
  "$bench" --matrix nonsense 2>/dev/null && fail "unknown matrix accepted"
  ;;
plant-full|plant-sampled)
  extra=""
  [ "$t" = plant-sampled ] && extra="--verify-full-max 0"
  # shellcheck disable=SC2086
  "$bench" --plant-error $extra --budget 0.01 --csv "$work/p.csv" \
      2d:f32:40x50:k5x3:same:direct:cpu 2>"$work/err"; rc=$?
  [ $rc -eq 2 ] || fail "planted error: exit status $rc, expected 2"
  grep -q 'VERIFICATION FAILED' "$work/err" || fail "no loud message: $(cat "$work/err")"
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
  [ "$(grep -c '^cli,' "$work/fconv.csv")" -eq 12 ] || fail "expected 12 rows"
  grep -q '^cli,1d:f32:300:k7:same,1d:f32:300:k7:same:direct:cpu,fconv,fconv,direct,cpu,host,direct,cpu,.*,ok,full,' \
    "$work/fconv.csv" || fail "direct row not ok and fully verified"
  # every row is measured or says why not
  bad=$(grep '^cli,' "$work/fconv.csv" | grep -v -e ',ok,' -e ',not built,' -e ',no device,')
  [ -z "$bad" ] || fail "rows neither ok nor not built/no device: $bad"
  [ -x "$py" ] || { echo "no python: peers and report skipped"; exit 0; }
  "$py" "$src/peers.py" --cases-from "$work/fconv.csv" --budget 0.01 --csv "$work/peers.csv" \
      2>"$work/perr" || fail "peers.py failed: $(cat "$work/perr")"
  grep -q '^# peer_numpy: ' "$work/peers.csv" || fail "no numpy line"
  for lib in torch cupy; do
    grep -q "^# peer_$lib: " "$work/peers.csv" || fail "peer $lib neither versioned nor missing"
  done
  grep -q ',numpy.convolve,' "$work/peers.csv" || fail "no numpy row"
  "$py" "$src/report.py" --fconv "$work/fconv.csv" --peers "$work/peers.csv" --out "$work/report" \
      2>"$work/rerr" || fail "report.py failed: $(cat "$work/rerr")"
  for s in '## Machine' '## fconv against the best peer' '## Methods side by side' \
           '## The seed claims' '## Not measured'; do
    grep -q "^$s" "$work/report/report.md" || fail "report lacks '$s'"
  done
  grep -q '^| 1d:f32:300:k7:same |' "$work/report/report.md" || fail "case missing from report"
  ;;
list)
  out=$("$bench" --matrix default --list) || fail "--list failed"
  for c in 2d:f32:2048x2048:k3x3:same:fft:cpu 2d:f32:2048x2048:k7x7:same:auto:cpu \
           1d:f32:1048576:k16:same:os:cpu 1d:f32:1048576:k65536:same:direct:cpu \
           1d:f32:65536:k65536:full:fft:cpu 2d:f32:1024x1024:k127x127:same:fft:cpu \
           3d:f32:128x128x128:k5x5x5:same:fft:cpu 2d:f32:4096x4096:k127x127:same:fft:cuda \
           1d:f32:16777216:k4096:same:fft:cuda; do
    printf '%s\n' "$out" | grep -q " $c\$" || fail "default matrix lacks $c"
  done
  ;;
*) fail "unknown test $t" ;;
esac
echo "PASS $t"
