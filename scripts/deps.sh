#!/usr/bin/env bash
# deps.sh — install the Debian packages fconv needs, only those missing. Safe to run repeatedly.
#   FCONV_DEPS=build   compiler, CMake, pkg-config, FFTW3, GoogleTest, libsndfile (fconv-reverb)
#                      (default)
#   FCONV_DEPS=bench   the above plus the peers: NumPy, SciPy, OpenCV, Matplotlib, and what the
#                      Python package needs to build and test (python3-dev, pytest), and MPI
#                      with FFTW-MPI for fconv_mpi and its mpirun tests (libopenmpi-dev,
#                      openmpi-bin, libfftw3-mpi-dev), zita-convolver for the streaming bench
#   FCONV_DEPS=fuzz    what scripts/fuzz.sh needs: clang-14 with libFuzzer (libclang-rt-14-dev)
#   FCONV_DEPS=cnn     the build set plus the CNN bench's peer: NumPy and PyTorch (python3-torch)
set -euo pipefail

fconv_install_deps() {
  local want=(cmake g++ make pkg-config libfftw3-dev libgtest-dev libsndfile1-dev)
  if [ "${1:-build}" = bench ]; then
    want+=(python3 python3-numpy python3-scipy python3-opencv python3-matplotlib
           python3-dev python3-pytest libopenmpi-dev openmpi-bin libfftw3-mpi-dev
           libzita-convolver-dev)
  elif [ "${1:-build}" = cnn ]; then
    want+=(python3 python3-numpy python3-torch)
  elif [ "${1:-build}" = fuzz ]; then
    want=(cmake make pkg-config libfftw3-dev clang-14 libclang-rt-14-dev)
  fi
  if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "fconv: not a Debian-like system (no dpkg/apt-get): install by hand: ${want[*]}" >&2
    return 0
  fi
  local missing=() p
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "fconv: installing ${missing[*]}" >&2
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "fconv: need root or sudo to install: ${missing[*]}" >&2; return 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  fconv_install_deps "${FCONV_DEPS:-build}"
fi
