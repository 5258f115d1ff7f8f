#!/bin/sh
# cuda_module_needed.sh <readelf> <module> <binary>... — the CUDA libraries are the module's
# dependencies alone: the module (libfconv_cuda) needs libcudart and libcufft, and no other
# binary given (libfconv.so, programs linking libfconv) needs either, so they start on a
# machine without CUDA. Prints each binary's NEEDED list; exit 1 on a violation.
set -u
readelf="$1"; module="$2"; shift 2
needed() { "$readelf" -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' '; }
status=0
m="$(needed "$module")"
echo "$(basename "$module"): $m"
case "$m" in *libcudart*) ;; *) echo "FAIL: the module does not need libcudart"; status=1 ;; esac
case "$m" in *libcufft*) ;; *) echo "FAIL: the module does not need libcufft"; status=1 ;; esac
for b in "$@"; do
  n="$(needed "$b")"
  echo "$(basename "$b"): $n"
  case "$n" in
    *libcudart*|*libcufft*|*libcuda.so*) echo "FAIL: $b needs a CUDA library"; status=1 ;;
  esac
done
exit $status
