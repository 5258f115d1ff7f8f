#!/usr/bin/env bash
# consumers.sh — the installed package against every install kind: builds libfconv shared
# (CPU-only, and with the CUDA backend when nvcc exists) and runs tests/consumers/run.sh on each
# install. The static kinds are the default build's: ctest's `consumers` test covers them in
# scripts/test.sh. Library only (no tests, bench or Python), CUDA for one architecture.
#   scripts/consumers.sh [build root, default build-consumers]
set -euo pipefail
cd "$(dirname "$0")/.."
root="${1:-build-consumers}"
jobs="$(nproc 2>/dev/null || echo 2)"
kinds=(cpu)
if command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; then kinds+=(cuda); fi
for kind in "${kinds[@]}"; do
  b="$root/shared-$kind"
  opts=(-DBUILD_SHARED_LIBS=ON -DFCONV_BUILD_TESTS=OFF -DFCONV_BUILD_BENCH=OFF -DFCONV_PYTHON=OFF)
  if [ "$kind" = cuda ]; then
    opts+=(-DFCONV_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90)
  else
    opts+=(-DFCONV_CUDA=OFF)
  fi
  echo "--- shared, $kind"
  cmake -S . -B "$b" -DCMAKE_BUILD_TYPE=Release "${opts[@]}" >/dev/null
  cmake --build "$b" -j "$jobs" >/dev/null
  bash tests/consumers/run.sh "$b" "$b/consumers"
done
