#!/usr/bin/env bash
# kconv's test command (README, .ci/run): builds the release configuration and runs every suite (the GPU
# suite skips with its reason printed where there is no driver), then builds the CPU tests under
# AddressSanitizer + UndefinedBehaviorSanitizer and runs them. Pass --no-sanitizers to skip the second part.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

cmake --preset default
cmake --build --preset default -j "$jobs"
ctest --preset default

if [ "${1:-}" != "--no-sanitizers" ]; then
  cmake --preset asan
  cmake --build --preset asan -j "$jobs" --target kconv_cpu_tests
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --preset asan -R '^cpu$'
fi
