#!/usr/bin/env bash
# scripts/gpu-check.sh -- one command that proves the CUDA backend on a bare GPU machine (CUDA
# toolkit, CMake and a Python with PyTorch and CuPy; no FFTW, no GoogleTest), in < 8 minutes:
#   1. deps:      copies ../shared/device-deps/*.deb (Debian FFTW 3.3.10 and GoogleTest 1.12.1)
#                 into .device-deps/ (git-ignored) and unpacks them with dpkg-deb -x into the
#                 private prefix .device-deps/prefix (never into /); pkg-config files rewritten
#                 to that prefix;
#   2. build:     configures build-gpu/ for sm_90 only (CMAKE_CUDA_ARCHITECTURES=90) with that
#                 FFTW and GoogleTest, Release, tests and bench on; builds with all cores;
#   3. tests:     ctest -L 'cuda-device|cuda-emu' (the real GPU tests, and the emulated ones);
#   3b. calibrate: fconv_calibrate cuda (the CUDA cost models' constants measured on this GPU,
#                 written to $OUT/cuda-calibration/ through FCONV_CUDA_CALIBRATION, and the
#                 bench step below uses them); its table goes into the report;
#   4. sanitize:  compute-sanitizer memcheck, racecheck and synccheck on a small subset of the
#                 cuda-device tests (--sanitize-filter), and the streaming engine's small cases;
#   5. bench:     the GPU benchmark subset (2-D 4096^2 f32 with 3x3, 7x7, 31x31, 127x127; 1-D 2^24
#                 with 4096 taps; device-resident and host arrays) with fconv_bench, and the same
#                 problems with torch conv and cupyx fftconvolve / ndimage.convolve (bench/peers.py);
#   6. stream:    the streaming engine on the GPU (bench/stream_gpu_bench.c), issue 12's target:
#                 64 channels x 10 s responses (each input its own, diagonal matrix) at block
#                 256, 48 kHz, 20 s of audio: real-time factor and margin (block period / worst
#                 block); then the full 64 x 64 matrix (4096 responses of 10 s, 8 s of audio);
#   7. report:    report.md (each step's status, time and log tail, the GPU, the figures) in
#                 $OUT when set (the device runner's folder), else build-gpu/gpu-check/.
#
#   scripts/gpu-check.sh [--deps DIR] [--build DIR] [--out DIR] [--steps LIST] [--budget S]
#                        [--sanitize-filter GTEST_FILTER] [--dry-run]
#     --deps DIR     the .deb folder (default: $FCONV_DEVICE_DEPS, else the first of
#                    ../shared, ../../shared, shared/ (+ /device-deps) next to or in the tree)
#     --steps LIST   comma list of deps,build,tests,calibrate,sanitize,bench,stream (default: all)
#     --budget S     fconv_bench seconds per row (default 0.3)
#     --dry-run      print the commands of every step without running them
# Exit status: 0 every step passed; 1 usage; 2 a step failed (the report says which).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps_src="${FCONV_DEVICE_DEPS:-}"
if [ -z "$deps_src" ]; then # the main checkout's ../shared, a worktree's ../../shared, a copy's shared/
  for d in "$ROOT/../shared/device-deps" "$ROOT/../../shared/device-deps" "$ROOT/shared/device-deps"; do
    if [ -d "$d" ]; then deps_src=$d; break; fi
  done
  deps_src=${deps_src:-$ROOT/../shared/device-deps}
fi
build="$ROOT/build-gpu"
out="${OUT:-}"
steps="deps,build,tests,calibrate,sanitize,bench,stream"
budget=0.3
dry=0
san_filter='CudaDirectDevice.TwoPlansOnTwoStreams*:CudaFftDevice.LongSignal*'

usage() { sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
miss() { echo "gpu-check.sh: $1 needs a value (see --help)" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --deps|--build|--out|--steps|--budget|--sanitize-filter)
      [ $# -ge 2 ] || miss "$1"
      case "$1" in
        --deps) deps_src=$2 ;;
        --build) build=$2 ;;
        --out) out=$2 ;;
        --steps) steps=$2 ;;
        --budget) budget=$2 ;;
        --sanitize-filter) san_filter=$2 ;;
      esac
      shift ;;
    --dry-run) dry=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu-check.sh: unknown argument '$1' (see --help)" >&2; exit 1 ;;
  esac
  shift
done
for s in ${steps//,/ }; do
  case "$s" in deps|build|tests|calibrate|sanitize|bench|stream) ;;
    *) echo "gpu-check.sh: unknown step '$s' (deps,build,tests,calibrate,sanitize,bench,stream)" >&2; exit 1 ;;
  esac
done
want() { [[ ",$steps," == *",$1,"* ]]; }

[ -n "$out" ] || out="$build/gpu-check"
mkdir -p "$out"
report="$out/report.md"
prefix="$ROOT/.device-deps/prefix"
multiarch=x86_64-linux-gnu
export PATH="/usr/local/cuda/bin:$PATH"
jobs=$(nproc 2>/dev/null || echo 4)
failed=0
: >"$out/steps.txt"

# run NAME CMD...: run one step's command (or print it with --dry-run), log to $out/NAME.log,
# record status and seconds.
run() {
  local name=$1; shift
  if [ "$dry" = 1 ]; then
    printf '[dry-run] %s: %s\n' "$name" "$*"
    echo "$name dry-run 0" >>"$out/steps.txt"
    return 0
  fi
  local t0=$SECONDS rc
  echo "== $name: $*" >&2
  "$@" >"$out/$name.log" 2>&1
  rc=$?
  echo "$name $rc $((SECONDS - t0))" >>"$out/steps.txt"
  if [ $rc -ne 0 ]; then
    failed=1
    echo "== $name FAILED (rc $rc); tail of $out/$name.log:" >&2
    tail -n 20 "$out/$name.log" >&2
  fi
  return $rc
}

# ---- 1. deps: copy the .debs into the tree (ignored) and unpack into a private prefix -------
unpack_deps() {
  set -e
  ls "$deps_src"/*.deb >/dev/null
  mkdir -p "$ROOT/.device-deps"
  cp -f "$deps_src"/*.deb "$ROOT/.device-deps/"
  rm -rf "$prefix"
  mkdir -p "$prefix"
  for f in "$ROOT"/.device-deps/*.deb; do dpkg-deb -x "$f" "$prefix"; done
  # Debian's .pc files say prefix=/usr: point them at the private prefix
  for pc in "$prefix/usr/lib/$multiarch/pkgconfig"/*.pc; do
    sed -i "s|^prefix=.*|prefix=$prefix/usr|" "$pc"
  done
  # libfftw3*.so are symlinks to absolute or relative names: keep only what resolves
  ls "$prefix/usr/lib/$multiarch"/libfftw3f.so "$prefix/usr/lib/$multiarch"/libgtest.a
  PKG_CONFIG_PATH="$prefix/usr/lib/$multiarch/pkgconfig" pkg-config --modversion fftw3f fftw3
}
export PKG_CONFIG_PATH="$prefix/usr/lib/$multiarch/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$prefix/usr/lib/$multiarch${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if want deps; then
  if [ "$dry" = 1 ]; then
    ls "$deps_src"/*.deb >/dev/null 2>&1 || echo "gpu-check.sh: warning: no .deb in $deps_src" >&2
  fi
  run deps unpack_deps || true
fi

# ---- 2. build: sm_90 only, against the private FFTW and GoogleTest -------------------------
if want build; then
  run configure cmake -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DFCONV_CUDA=ON -DFCONV_BUILD_TESTS=ON -DFCONV_BUILD_BENCH=ON \
    -DFCONV_MPI=OFF -DFCONV_PYTHON=OFF \
    -DCMAKE_PREFIX_PATH="$prefix/usr" -DGTest_ROOT="$prefix/usr" \
    && run build cmake --build "$build" -j "$jobs" || true
fi

# ---- 3. tests: the GPU tests and the emulated ones ----------------------------------------
if want tests; then
  run tests ctest --test-dir "$build" -L 'cuda-device|cuda-emu' --output-on-failure \
    -j "$jobs" --timeout 300 || true
fi

# ---- 3b. the CUDA cost models' constants, measured on this GPU ----------------------------
caldir="$out/cuda-calibration"
if want calibrate; then
  run calibrate-build cmake --build "$build" --target fconv_calibrate -j "$jobs" \
    && run calibrate env FCONV_CUDA_CALIBRATION="$caldir" "$build/fconv_calibrate" cuda || true
fi
export FCONV_CUDA_CALIBRATION="$caldir" # the bench step's plans use them (defaults without)

# ---- 4. compute-sanitizer on a small subset ----------------------------------------------
if want sanitize; then
  for tool in memcheck racecheck synccheck; do
    for t in fconv_cuda_direct_device_test fconv_cuda_fft_device_test; do
      run "sanitize-$tool-$t" compute-sanitizer --tool "$tool" --error-exitcode 9 \
        "$build/tests/cuda/$t" --gtest_filter="$san_filter" --gtest_brief=1 || true
    done
    # the streaming engine: its small cases
    run "sanitize-$tool-fconv_cuda_stream_device_test" compute-sanitizer --tool "$tool" \
      --error-exitcode 9 "$build/tests/cuda/fconv_cuda_stream_device_test" \
      --gtest_filter='CudaStreamDevice.Impulse*:CudaStreamDevice.Reset*' --gtest_brief=1 || true
  done
fi

# ---- 5. the GPU benchmark subset, fconv and its peers ------------------------------------
bench_cases=()
for k in 3x3 7x7 31x31 127x127; do
  for mem in "" ":dev"; do bench_cases+=("2d:f32:4096x4096:k$k:same:auto:cuda:reuse$mem"); done
done
for mem in "" ":dev"; do bench_cases+=("1d:f32:2^24:k4096:same:auto:cuda:reuse$mem"); done
if want bench; then
  run bench "$build/bench/fconv_bench" --budget "$budget" --timeout 60 --csv "$out/fconv.csv" \
    "${bench_cases[@]}" || true
  run peers python3 "$ROOT/bench/peers.py" --budget "$budget" \
    --cases-from "$out/fconv.csv" --csv "$out/peers.csv" || true
fi

# ---- 6. the streaming engine on the GPU: real-time factor and margin ----------------------
if want stream; then
  [ "$dry" = 1 ] || echo "inputs,outputs,matrix,ir_s,block,backend,rtf,margin,worst_ms,p99_ms,median_ms,partitions,memory_bytes" >"$out/stream.csv"
  run stream-64-diag "$build/bench/fconv_stream_gpu_bench" --inputs 64 --outputs 64 \
    --matrix diag --ir 10 --block 256 --seconds 20 --csv "$out/stream.csv" || true
  run stream-64-full "$build/bench/fconv_stream_gpu_bench" --inputs 64 --outputs 64 \
    --matrix full --ir 10 --block 256 --seconds 8 --csv "$out/stream.csv" || true
  # the two partitionings side by side (AUTO above chose by the model)
  for pol in uniform nonuniform; do
    run "stream-64-full-$pol" "$build/bench/fconv_stream_gpu_bench" --inputs 64 --outputs 64 \
      --matrix full --ir 10 --block 256 --seconds 8 --partitioning "$pol" \
      --csv "$out/stream.csv" || true
  done
fi

# ---- 7. the report ---------------------------------------------------------------------
{
  echo "# fconv gpu-check"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "- GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo 'none (nvidia-smi failed)')"
  echo "- nvcc: $(nvcc --version 2>/dev/null | tail -n 1 || echo 'not found')"
  echo "- steps: $steps$([ "$dry" = 1 ] && echo ' (dry run: nothing executed)')"
  echo
  echo "| step | status | seconds |"
  echo "|---|---|---|"
  while read -r name rc secs; do
    if [ "$rc" = dry-run ]; then st="dry run"; elif [ "$rc" = 0 ]; then st=passed; else st="FAILED (rc $rc)"; fi
    echo "| $name | $st | ${secs:-} |"
  done <"$out/steps.txt"
  # table CSV TITLE COLUMNS...: one line per row of a bench CSV ('#' lines are its header)
  table() {
    local csvf=$1 title=$2; shift 2
    [ -s "$csvf" ] || return 0
    printf '\n## %s\n\n```\n' "$title"
    python3 -c '
import csv, sys
rows = csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith("#"))
for r in rows:
    print("  ".join(r.get(c, "?") for c in sys.argv[2:]))' "$csvf" "$@" || true
    echo '```'
  }
  table "$out/fconv.csv" "fconv (every row verified before it was timed)" \
    case status method median_ms gbps
  table "$out/peers.csv" "peers (torch, cupy, ...)" problem impl status median_ms
  table "$out/stream.csv" "streaming on the GPU (wall clock per block; margin = period / worst block)" \
    inputs outputs matrix ir_s block backend rtf margin worst_ms p99_ms median_ms memory_bytes
  if [ -s "$out/calibrate.log" ]; then
    printf '\n## CUDA cost-model calibration (fconv_calibrate cuda)\n\n'
    cat "$out/calibrate.log"
  fi
  for f in "$out"/*.log; do
    [ -e "$f" ] || continue
    echo
    echo "### $(basename "$f") (last 15 lines)"
    echo '```'
    tail -n 15 "$f"
    echo '```'
  done
} >"$report"
echo "gpu-check: report in $report" >&2
[ "$failed" = 0 ] || exit 2
exit 0
