#!/usr/bin/env bash
# scripts/bench.sh -- the benchmark, from a fresh Debian/Ubuntu machine to a report:
# installs what is missing (apt-get), configures and builds Release in build/, runs the default
# benchmark matrix (every result verified before it is timed) and the peers (NumPy, SciPy,
# OpenCV; PyTorch and CuPy when importable), and writes results/<date>-<host>/report.md + PNGs.
#
#   scripts/bench.sh                 default matrix (several minutes on 2 cores: every case on each call path)
#   scripts/bench.sh --full          the full matrix (GPU machines)
#   scripts/bench.sh --threads 8 --budget 1
#   scripts/bench.sh 2d:f32:2048x2048:k7x7:same:*:*     just these cases
#   scripts/bench.sh --repeat 3 --contended              3 quiet + 3 contended runs, one report
#   scripts/bench.sh --mpi           the distributed section only (fconv_mpi under mpirun: strong
#                                    and weak scaling at 1, 2, 4 ranks, halo traffic, cost model)
#                                    into results/<date>-<host>/mpi.md; --mpi-quick: small sizes
#   scripts/bench.sh --stream        only the streaming section: fconv_stream vs zita-convolver
#                                    (results/<date>-<host>/stream.md and stream.csv)
#   scripts/bench.sh --stream --stream-args "--seconds 20 --blocks 128"
#   scripts/bench.sh --cnn           only the CNN section: the eight layers of issue 13 through
#                                    fconv's multi-channel API and torch.nn.functional.conv*d,
#                                    alternating in one run, verified against each other, with
#                                    the measured f32 peak (results/<date>-<host>/cnn.md)
#   scripts/bench.sh --cnn --cnn-args "--layers 6,7 --rounds 5"
#   scripts/bench.sh --cnn --cnn-args "--inproc build/python --rounds 30"
#                                    the same, fconv through its Python package in one process
#
# Options: --full | --matrix NAME, --threads N (fconv and OpenCV; default 2), --budget S
# (seconds of timed repetitions per row; default 0.4), --timeout S (per row; default 30),
# --repeat N (the whole run N times; the report quotes the spread), --contended (each run also
# with one busy process beside every row), --contended-only, --cuda AUTO|ON|OFF (default AUTO),
# --build DIR (default build), --out DIR, --no-peers, --skip-deps, --stream [--stream-args
# "fconv_stream_bench options"], --cnn [--cnn-args "bench/cnn.py options"]. Anything else (cases,
# fconv_bench options such as --calls exec,reuse or --transforms estimate) goes to fconv_bench.
# Files: fconv.csv + peers.csv (quiet), fconv-contended.csv + peers-contended.csv; with --repeat
# N > 1 each gets -runI (fconv-run1.csv, fconv-contended-run2.csv, ...).
# Exit status: 0; 2 when a verification failed (fconv) or a peer disagreed; other: a step failed.
# Idempotent: re-running reuses the build and overwrites the day's results directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# ---- dependencies: scripts/deps.sh installs the missing Debian packages --------------------
source "$ROOT/scripts/deps.sh"

# ---- arguments -----------------------------------------------------------------------------
matrix=default threads=2 budget=0.4 timeout=30 cuda=AUTO build="$ROOT/build" out="" peers=1 deps=1
repeat=1 loads=quiet pass=() cases=0 mpi= stream=0 stream_args="" cnn=0 cnn_args=""
while [ $# -gt 0 ]; do
  case "$1" in
    --full) matrix=full ;;
    --matrix) matrix=$2; shift ;;
    --threads) threads=$2; shift ;;
    --budget) budget=$2; shift ;;
    --timeout) timeout=$2; shift ;;
    --cuda) cuda=$2; shift ;;
    --build) build=$2; shift ;;
    --out) out=$2; shift ;;
    --no-peers) peers=0 ;;
    --repeat) repeat=$2; shift ;;
    --contended) loads="quiet contended" ;;
    --contended-only) loads=contended ;;
    --skip-deps) deps=0 ;;
    --mpi) mpi=full ;;
    --mpi-quick) mpi=quick ;;
    --stream) stream=1 ;;
    --stream-args) stream_args=$2; shift ;;
    --cnn) cnn=1 ;;
    --cnn-args) cnn_args=$2; shift ;;
    -h|--help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --*) pass+=("$1")
         case "$1" in --min-reps|--verify-full-max|--calls|--transforms) pass+=("$2"); shift ;; esac ;;
    *) pass+=("$1"); cases=1 ;;
  esac
  shift
done

case $repeat in ''|*[!0-9]*|0) echo "bench.sh: --repeat needs a count >= 1" >&2; exit 1 ;; esac
t_start=$(date +%s)
if [ "$deps" = 1 ]; then
  if [ "$cnn" = 1 ]; then fconv_install_deps cnn; else fconv_install_deps bench; fi
fi

PY=${FCONV_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=$(command -v python3 || true)

# ---- build ---------------------------------------------------------------------------------
jobs=$(nproc 2>/dev/null || echo 2)
if [ -n "$mpi" ]; then # the distributed section (mpi/bench/scaling.py)
  cmake -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=Release -DFCONV_CUDA="$cuda" -DFCONV_MPI=ON >/dev/null
  cmake --build "$build" --target fconv_mpi_bench -j "$jobs"
  [ -n "$out" ] || out="$ROOT/results/$(date +%F)-$(hostname 2>/dev/null || echo host)"
  extra=()
  [ "$mpi" = quick ] && extra=(--quick)
  exec "$PY" "$ROOT/mpi/bench/scaling.py" "$build" "$out" "${extra[@]}"
fi
cmake -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=Release -DFCONV_CUDA="$cuda" >/dev/null
if [ "$stream" = 1 ]; then
  # The streaming section alone: fconv_stream against zita-convolver, side by side in one run.
  cmake --build "$build" --target fconv_stream_bench -j "$jobs"
fi
if [ "$cnn" = 1 ]; then
  # The CNN section alone: fconv's multi-channel API against torch, side by side in one run.
  cmake --build "$build" --target fconv_cnn_bench -j "$jobs"
fi
[ "$stream" = 1 ] || [ "$cnn" = 1 ] || cmake --build "$build" --target fconv_bench -j "$jobs"
# The "fconv (Python)" peer row needs the extension module (built when FCONV_PYTHON is on).
if cmake --build "$build" --target help 2>/dev/null | grep -qw fconv_python; then
  cmake --build "$build" --target fconv_python -j "$jobs"
fi
t_built=$(date +%s)

# ---- results directory: results/<date>-<host or cpu> ---------------------------------------
if [ -z "$out" ]; then
  host=$(hostname 2>/dev/null || true)
  if [ -z "$host" ] || [ "$host" = localhost ]; then
    host=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
  fi
  host=$(printf '%s' "${host:-unknown}" | tr -cs 'A-Za-z0-9._-' '-' | sed 's/-*$//')
  out="$ROOT/results/$(date +%F)-$host"
fi
mkdir -p "$out"

if [ "$stream" = 1 ]; then
  echo "bench.sh: machine load before the run: $(uptime)" | tee "$out/uptime.txt" >&2
  # shellcheck disable=SC2086 # stream_args is a list of options
  "$build/bench/fconv_stream_bench" --csv "$out/stream.csv" $stream_args | tee "$out/stream.md"
  # The offline reference row: scipy.signal.oaconvolve over the whole signal (same options).
  # shellcheck disable=SC2086
  "$PY" "$ROOT/bench/stream_offline.py" $stream_args | tee -a "$out/stream.md"
  echo "bench.sh: streaming section: $out/stream.md"
  exit 0
fi

if [ "$cnn" = 1 ]; then
  echo "bench.sh: machine load before the run: $(uptime)" | tee "$out/uptime.txt" >&2
  # shellcheck disable=SC2086 # cnn_args is a list of options
  "$PY" "$ROOT/bench/cnn.py" --bin "$build/bench/fconv_cnn_bench" --threads "$threads" \
    $cnn_args | tee "$out/cnn.md"
  echo "bench.sh: machine load after the run: $(uptime)" | tee -a "$out/uptime.txt" >&2
  echo "bench.sh: CNN section: $out/cnn.md"
  exit "${PIPESTATUS[0]}"
fi

# ---- fconv, then the peers on the same problems (per run and load), then the report -------
echo "bench.sh: machine load before the runs: $(uptime)" | tee "$out/uptime.txt" >&2
rc=0 prc=0
reports=()
rm -f "$out"/fconv*.csv "$out"/peers*.csv
for run in $(seq 1 "$repeat"); do
  for load in $loads; do
    sfx=""
    [ "$load" = contended ] && sfx="-contended"
    [ "$repeat" -gt 1 ] && sfx="$sfx-run$run"
    lflag=()
    [ "$load" = contended ] && lflag=(--contended)
    echo "bench.sh: run $run of $repeat, $load" >&2
    args=(--threads "$threads" --budget "$budget" --timeout "$timeout" --run "$run"
          --csv "$out/fconv$sfx.csv" "${lflag[@]}")
    [ "$cases" = 0 ] && args+=(--matrix "$matrix")
    frc=0
    "$build/bench/fconv_bench" "${args[@]}" "${pass[@]}" 2> >(tee "$out/fconv$sfx.log" >&2) || frc=$?
    [ "$frc" -ne 0 ] && [ "$rc" -ne 2 ] && rc=$frc
    if [ ! -s "$out/fconv$sfx.csv" ]; then
      echo "bench.sh: fconv_bench wrote no results (exit status $frc)" >&2
      exit "${frc/#0/1}"
    fi
    reports+=(--fconv "$out/fconv$sfx.csv")
    if [ "$peers" = 1 ] && [ -n "$PY" ]; then
      qrc=0
      "$PY" "$ROOT/bench/peers.py" --cases-from "$out/fconv$sfx.csv" --csv "$out/peers$sfx.csv" \
          --threads "$threads" --budget "$budget" --timeout "$timeout" --run "$run" "${lflag[@]}" \
          2> >(tee "$out/peers$sfx.log" >&2) || qrc=$?
      [ "$qrc" -ne 0 ] && [ "$prc" -ne 2 ] && prc=$qrc
      [ -s "$out/peers$sfx.csv" ] && reports+=(--peers "$out/peers$sfx.csv")
    fi
  done
done
t_fconv=$(date +%s)

cat >"$out/timings.txt" <<EOF
deps+build_s: $((t_built - t_start))
runs_s: $((t_fconv - t_built))
EOF
if [ -n "$PY" ]; then
  "$PY" "$ROOT/bench/report.py" "${reports[@]}" --out "$out"
else
  echo "bench.sh: no python3: no report (the CSVs are in $out)" >&2
fi
t_end=$(date +%s)
echo "total_s: $((t_end - t_start))" >>"$out/timings.txt"

echo
echo "bench.sh: done in $((t_end - t_start)) s (build $((t_built - t_start)) s, runs" \
     "$((t_fconv - t_built)) s)"
echo "bench.sh: report: $out/report.md"
[ "$rc" -ne 0 ] && { echo "bench.sh: fconv_bench exit status $rc (2: a verification FAILED)" >&2; exit "$rc"; }
[ "$prc" -ne 0 ] && { echo "bench.sh: peers.py exit status $prc (2: a peer disagreed)" >&2; exit "$prc"; }
exit 0
