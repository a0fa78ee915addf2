#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs, from Debian's archive, what kconv's build needs (`main`) or its tests need too (`test`), skipping
# what is there already. Runs apt-get as root, or through sudo. Abseil is not installed: the configure step
# fetches Debian's source package (cmake/fetch_abseil_source.sh). The CUDA toolkit (nvcc) must be
# installed already; this checks for it.
#   main: cmake ninja-build g++ dpkg-dev pkg-config python3
#   test: the above, python3-venv (the Python package's test), doctest-dev, clang and libclang-rt-14-dev
#         (fuzzers), cargo (Rust bindings), golang-go (Go bindings)
# Usage: tools/install_build_deps.sh main|test
set -euo pipefail
case "${1:-}" in
  main) packages=(cmake ninja-build g++ dpkg-dev pkg-config python3) ;;
  test) packages=(cmake ninja-build g++ dpkg-dev pkg-config python3 python3-venv doctest-dev clang libclang-rt-14-dev cargo
        golang-go) ;;
  *) echo "usage: tools/install_build_deps.sh main|test" >&2; exit 2 ;;
esac

missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "install as root: apt-get install ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "installing from Debian: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
fi

if ! command -v nvcc >/dev/null && [ ! -x /usr/local/cuda/bin/nvcc ] && [ ! -x "${CUDA_HOME:-/nonexistent}/bin/nvcc" ]; then
  echo "nvcc not found: kconv builds its kernels with the CUDA toolkit (install it, or set CUDA_HOME)" >&2
  exit 1
fi
