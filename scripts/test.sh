#!/usr/bin/env bash
# test.sh — the README's test command: install what is missing, configure (CUDA backend when
# nvcc exists, also at /usr/local/cuda/bin), build Release in build/, and run every test.
#   scripts/test.sh [extra cmake -D options]      e.g. scripts/test.sh -DFCONV_CUDA=OFF
#   FCONV_BUILD_DIR=dir overrides build/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
# "bench": the suite also tests the benchmark harness, its report writer (matplotlib) and its
# Python oracle (numpy), so the test command installs those too.
fconv_install_deps bench

build="${FCONV_BUILD_DIR:-build}"
jobs="$(nproc 2>/dev/null || echo 2)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="${FCONV_BUILD_TYPE:-Release}" -DFCONV_BUILD_TESTS=ON "$@"
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 900
