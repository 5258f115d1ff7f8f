#!/bin/sh
# gpu_check_test.sh ROOT WORK — what of scripts/gpu-check.sh runs without a GPU: argument
# parsing (usage errors exit 1), the dependency step (the local device-deps .debs unpacked into
# a private prefix whose pkg-config files point at it) and a dry run writing its report.
set -u
root=$1 work=$2
rm -rf "$work"; mkdir -p "$work"
s="$root/scripts/gpu-check.sh"
fail() { echo "FAIL: $*"; exit 1; }
sh -c "\"$s\" --help" >"$work/help" 2>&1 || fail "--help"
grep -q "compute-sanitizer" "$work/help" || fail "--help text"
for bad in "--bogus" "--deps" "--steps deps,nope" "--budget"; do
  # shellcheck disable=SC2086
  "$s" $bad --out "$work/bad" >/dev/null 2>&1; rc=$?
  [ $rc -eq 1 ] || fail "'$bad' exited $rc, not 1"
done
"$s" --dry-run --out "$work/dry" >"$work/dry.out" 2>&1 || fail "dry run: $(cat "$work/dry.out")"
grep -q "compute-sanitizer --tool racecheck" "$work/dry.out" || fail "dry run lists no racecheck"
grep -q "k127x127:same:auto:cuda:reuse:dev" "$work/dry.out" || fail "dry run lists no bench case"
grep -q "| tests | dry run |" "$work/dry/report.md" || fail "dry-run report"
grep -q "fconv_stream_gpu_bench --inputs 64 --outputs 64 --matrix diag --ir 10 --block 256" \
  "$work/dry.out" || fail "dry run lists no streaming measurement"
# the dependency step for real, when the .debs are there (they are in the team's checkout)
deps=""
for d in "$root/../shared/device-deps" "$root/../../shared/device-deps" "$root/shared/device-deps"; do
  [ -d "$d" ] && { deps=$d; break; }
done
if [ -n "$deps" ] && command -v dpkg-deb >/dev/null; then
  "$s" --steps deps --deps "$deps" --out "$work/deps" >"$work/deps.out" 2>&1 || fail "deps step: $(cat "$work/deps.out")"
  pc="$root/.device-deps/prefix/usr/lib/x86_64-linux-gnu/pkgconfig/fftw3f.pc"
  grep -q "^prefix=$root/.device-deps/prefix/usr" "$pc" || fail "fftw3f.pc not rewritten"
  v=$(PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config --variable=libdir fftw3f)
  [ -e "$v/libfftw3f.so" ] || fail "private libfftw3f.so missing ($v)"
  [ -e "$root/.device-deps/prefix/usr/lib/x86_64-linux-gnu/cmake/GTest/GTestConfig.cmake" ] ||
    fail "private GTest config missing"
else
  echo "deps step skipped: no device-deps folder or dpkg-deb"
fi
echo "gpu-check.sh: OK"
