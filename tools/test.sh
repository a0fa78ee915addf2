#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kconv's test command (README, .ci/run): builds the release configuration and runs every suite (the GPU
# suite skips with its reason printed where there is no driver; the C programs, the Python binding, the
# tools' flags and the fake-driver suite run everywhere), then builds the CPU suites under AddressSanitizer
# + UndefinedBehaviorSanitizer (leak checks on) and runs them, then fuzzes the descriptor validation, the
# host path and the tuning-cache parser for 120 s each (tools/fuzz.sh; clang).
# --no-sanitizers skips the second part, --no-fuzz the third.
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

cmake --preset default
cmake --build --preset default -j "$jobs"
ctest --preset default

if [ "$sanitizers" = 1 ]; then
  cmake --preset asan
  cmake --build --preset asan -j "$jobs" --target kconv_cpu_tests kconv_fake_driver_tests
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --preset asan -R '^(cpu|fake_cuda|fake_driver)$'
fi

if [ "$fuzz" = 1 ]; then
  bash tools/fuzz.sh 120
fi
