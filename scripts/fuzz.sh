#!/usr/bin/env bash
# fuzz.sh — build the libFuzzer target (tests/fuzz/fuzz_plan.c) with clang, ASan and UBSan, and
# run it for a while from the committed seed corpus.
#   scripts/fuzz.sh [seconds, default 60] [extra libFuzzer flags]
#   FCONV_FUZZ_BUILD_DIR=dir overrides build-fuzz/; CC/CXX override clang-14/clang++-14.
# Exits non-zero on a finding (crash, sanitizer report, leak, >1 s per input, wrong result); the
# input is left in <build>/findings/. New corpus entries go to <build>/corpus (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
fconv_install_deps fuzz
secs="${1:-60}"
shift || true
build="${FCONV_FUZZ_BUILD_DIR:-build-fuzz}"
cc="${CC:-clang-14}"
cxx="${CXX:-clang++-14}"
command -v "$cc" >/dev/null || { echo "fuzz.sh: $cc not found (Debian: clang-14 libclang-rt-14-dev)"; exit 1; }
CC="$cc" CXX="$cxx" cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFCONV_CUDA=OFF \
  -DFCONV_SANITIZE=ON -DFCONV_FUZZ=ON -DFCONV_BUILD_TESTS=OFF -DFCONV_BUILD_BENCH=OFF \
  -DFCONV_PYTHON=OFF -DFCONV_FORTRAN=OFF >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target fconv_fuzz_plan >/dev/null
mkdir -p "$build/corpus" "$build/findings"
# One worker: the target is itself multithreaded (threads up to 2 per plan). FFTW plans with
# FFTW_ESTIMATE: fconv's default FFTW_MEASURE for 2-D transforms of 2^12..2^22 points takes over
# the 1 s limit per input on a busy machine (planning time is issue 9's; it is not a fault the
# fuzzer looks for).
FCONV_FFTW_PLANNER="${FCONV_FFTW_PLANNER:-estimate}" ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
  "$build/tests/fuzz/fconv_fuzz_plan" -max_total_time="$secs" -timeout=1 -rss_limit_mb=2048 \
  -max_len=1024 -print_final_stats=1 -artifact_prefix="$build/findings/" "$@" \
  "$build/corpus" tests/fuzz/corpus
