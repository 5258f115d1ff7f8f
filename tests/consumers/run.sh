#!/usr/bin/env bash
# run.sh — build and run the consumer projects against an installed fconv, as users would.
#   tests/consumers/run.sh <fconv build dir> <work dir>
# Installs the build (`cmake --install`) into <work>/stage, MOVES it to <work>/prefix (so the
# package must be relocatable), then configures, builds and runs:
#   - find_package(fconv) from a C project, a C++-only project and a Fortran-only project
#     (the last where fconv was built with a Fortran compiler: fconv::fconv_fortran);
#   - pkg-config: C and C++ with `pkg-config --cflags --libs fconv`, C with `--static` too,
#     Fortran with fconv-fortran.
# Every consumer checks its numbers and exits non-zero when they are wrong. The install kind
# (shared or static) and the CUDA backend are whatever the build has; CI runs this against
# shared and static builds with and without CUDA (scripts/consumers.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "$1" && pwd)"
mkdir -p "$2"
work="$(cd "$2" && pwd)"
cc="${CC:-cc}"
cxx="${CXX:-c++}"
fc="${FC:-gfortran}"

rm -rf "$work/stage" "$work/prefix" "$work/out"
mkdir -p "$work/out"
cmake --install "$build" --prefix "$work/stage" >/dev/null
mv "$work/stage" "$work/prefix"
prefix="$work/prefix"
config="$(find "$prefix" -name fconvConfig.cmake | head -1)"
[ -n "$config" ] || { echo "consumers: no fconvConfig.cmake installed"; exit 1; }
shared=$(sed -n 's/^set(fconv_SHARED \([A-Za-z]*\).*/\1/p' "$config")
cuda=$(sed -n 's/^set(fconv_CUDA \([A-Za-z]*\).*/\1/p' "$config")
pcdir="$(dirname "$(find "$prefix" -name fconv.pc | head -1)")"
fortran=0
[ -f "$pcdir/fconv-fortran.pc" ] && command -v "$fc" >/dev/null && fortran=1
echo "consumers: install at $prefix (shared=$shared, cuda=$cuda, fortran=$fortran)"

failed=0
run() { # run <name> <command...>: the command builds; then out/<name> runs
  local name="$1"; shift
  if ! "$@" >"$work/out/$name.log" 2>&1; then
    echo "FAIL $name (build):"; sed 's/^/    /' "$work/out/$name.log" | tail -30; failed=1; return
  fi
}
check() { # check <name> <executable>
  local name="$1" exe="$2" out
  if out="$("$exe" 2>&1)"; then
    echo "ok   $name: $out"
  else
    echo "FAIL $name (run): $out"; failed=1
  fi
}

# ---- CMake find_package -------------------------------------------------------------------
langs=(c cxx)
[ "$fortran" = 1 ] && langs+=(fortran)
for lang in "${langs[@]}"; do
  b="$work/cmake-$lang"
  rm -rf "$b"
  run "cmake-$lang" bash -c "cmake -S '$here/$lang' -B '$b' -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH='$prefix' && cmake --build '$b'"
  [ -x "$b/consumer_$lang" ] && check "find_package ($lang)" "$b/consumer_$lang"
done

# ---- pkg-config ---------------------------------------------------------------------------
export PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
libdir="$(pkg-config --variable=libdir fconv)"
rpath="-Wl,-rpath,$libdir" # a shared libfconv outside the loader's path
o="$work/out"
run pc-c bash -c "$cc '$here/c/main.c' -o '$o/pc-c' \$(pkg-config --cflags --libs fconv) $rpath -lm"
[ -x "$o/pc-c" ] && check "pkg-config (c)" "$o/pc-c"
run pc-c-static bash -c "$cc '$here/c/main.c' -o '$o/pc-c-static' \
    \$(pkg-config --static --cflags --libs fconv) $rpath -lm"
[ -x "$o/pc-c-static" ] && check "pkg-config --static (c)" "$o/pc-c-static"
run pc-cxx bash -c "$cxx '$here/cxx/main.cpp' -o '$o/pc-cxx' \$(pkg-config --cflags --libs fconv) $rpath"
[ -x "$o/pc-cxx" ] && check "pkg-config (c++)" "$o/pc-cxx"
if [ "$fortran" = 1 ]; then
  run pc-fortran bash -c "cd '$o' && $fc '$here/fortran/main.f90' -o '$o/pc-fortran' \
      \$(pkg-config --cflags --libs fconv-fortran) $rpath"
  [ -x "$o/pc-fortran" ] && check "pkg-config (fortran)" "$o/pc-fortran"
fi

if [ "$failed" != 0 ]; then
  echo "consumers: FAILED (logs in $work/out)"
  exit 1
fi
echo "consumers: all passed"
