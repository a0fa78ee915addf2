#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kconv's test command (README command 2, .ci/run):
#  1. installs what the tests need (tools/install_build_deps.sh test);
#  2. builds the release configuration and runs every suite (the GPU suite skips with its reason printed
#     where there is no driver; the C programs, the Python binding, the tools' flags and the fake-driver
#     suite run everywhere);
#  3. installs it into build/test-install and builds programs against that tree: a C program with CMake's
#     find_package and with pkg-config, shared and static (tests/consumers), the Rust crates
#     (bindings/rust) and the Go package (bindings/go), and runs their tests (host path); then pip installs
#     the Python package into a fresh virtual environment and runs pytest (tools/test_python.sh);
#  4. builds the CPU suites under AddressSanitizer + UndefinedBehaviorSanitizer (leak checks on) and runs
#     them;
#  5. fuzzes the descriptor validation, the host paths and the tuning-cache parser for 120 s each
#     (tools/fuzz.sh; clang).
# --no-sanitizers skips step 4, --no-fuzz step 5.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
sanitizers=1
fuzz=1
for arg in "$@"; do
  case "$arg" in
    --no-sanitizers) sanitizers=0 ;;
    --no-fuzz) fuzz=0 ;;
    *) echo "usage: tools/test.sh [--no-sanitizers] [--no-fuzz]" >&2; exit 2 ;;
  esac
done

bash tools/install_build_deps.sh test
# The release build, the Python package and the sanitizer build embed the same sm_80 and sm_90 images:
# compiled once, into this cache (cmake/cached_image.cmake), then copied.
image_cache=$PWD/build/image-cache
cmake --preset default -DKCONV_IMAGE_CACHE="$image_cache"
cmake --build --preset default -j "$jobs"
ctest --preset default

prefix=$PWD/build/test-install
rm -rf "$prefix"
cmake --install build --prefix "$prefix" >/dev/null
bash tests/consumers/run.sh "$prefix"
bash bindings/rust/test.sh "$prefix"
bash bindings/go/test.sh "$prefix"
# The Python package with the kernels of one architecture only: its CPU tests need none, and a full
# build would double the time.
bash tools/test_python.sh --config-settings=cmake.define.KCONV_CUDA_ARCHS=80 \
  --config-settings=cmake.define.KCONV_PTX_ARCH= --config-settings=cmake.define.KCONV_IMAGE_CACHE="$image_cache"

if [ "$sanitizers" = 1 ]; then
  cmake --preset asan -DKCONV_IMAGE_CACHE="$image_cache"
  cmake --build --preset asan -j "$jobs" --target kconv_cpu_tests kconv_fake_driver_tests
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --preset asan -R '^(cpu|fake_cuda|fake_driver)$'
fi

if [ "$fuzz" = 1 ]; then
  bash tools/fuzz.sh 120
fi
