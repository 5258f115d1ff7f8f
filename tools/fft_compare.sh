#!/bin/sh
# fft_compare.sh — fconv FFT / overlap-save vs peers on the target cases, one shell session.
#   tools/fft_compare.sh [build-dir=build-fft] [threads=2] [reps=7] [case-substring]
# Prints the fconv table (tools/fconv_fft_timing.c) and the peers' (tools/fft_peers.py).
# threads = 1: both sides single-threaded on thread/process CPU time (robust when the machine
# is busy); otherwise wall time.
B=${1:-build-fft}; T=${2:-2}; R=${3:-7}; C=${4:-}
cmake --build "$B" --target fconv_fft_timing >/dev/null || exit 1
uptime
"$B/fconv_fft_timing" "$T" "$R" ${C:+"$C"}
/usr/bin/python3 "$(dirname "$0")/fft_peers.py" "$R" "${C:-all}" "$T"
