#!/usr/bin/env bash
# test-without-cuda.sh — a CUDA-built fconv where CUDA is missing: hides the build's CUDA module
# (libfconv_cuda.so.<version>, the only binary that links the CUDA runtime and cuFFT), checks
# that the default search then finds nothing and a CUDA request says so, and runs the build's
# CPU suites (labels api, stream, threads, header) against it. The module is put back on exit.
# CI's stage after scripts/test.sh. Nothing to do for a CPU-only build.
#   scripts/test-without-cuda.sh [build dir, default build]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
jobs="$(nproc 2>/dev/null || echo 2)"
shopt -s nullglob
modules=("$build"/libfconv_cuda.so.*)
if [ "${#modules[@]}" = 0 ]; then
  echo "test-without-cuda: no CUDA module in $build (a CPU-only build): nothing to do"
  exit 0
fi
hidden="$build/cuda-module-hidden"
mkdir -p "$hidden"
restore() { mv "$hidden"/* "$build"/ && rmdir "$hidden"; }
trap restore EXIT
mv "${modules[@]}" "$hidden"/
unset FCONV_CUDA_MODULE
echo "test-without-cuda: ${modules[*]} hidden"
"$build"/tests/fconv_test_cuda_module absent "is in none of"
ctest --test-dir "$build" --output-on-failure -j "$jobs" -L '^(api|stream|threads|header)$'
