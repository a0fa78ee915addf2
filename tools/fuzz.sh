#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer harnesses (the `fuzz` preset: clang) and runs each for a fixed time from its
# committed seed corpus (tests/fuzz/corpus/<harness>/), new inputs going to a scratch folder. A failure is a
# crash file under build-fuzz/crashes/ and a non-zero exit; commit such an input into the harness's corpus
# as a regression test once it is fixed. Usage: tools/fuzz.sh [seconds per harness]   (default 120)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}
cmake --preset fuzz
cmake --build --preset fuzz -j "$(nproc)"
mkdir -p build-fuzz/crashes
status=0
for harness in descriptor_fuzzer tuning_cache_fuzzer; do
  scratch=$(mktemp -d)
  # Every committed input first (the regressions among them), then fuzzing for the time given.
  if ! build-fuzz/tests/fuzz/$harness -runs=0 "tests/fuzz/corpus/${harness%_fuzzer}" > "build-fuzz/$harness.seeds.log" 2>&1; then
    echo "$harness: a committed input fails" >&2
    status=1
  fi
  if ! build-fuzz/tests/fuzz/$harness -max_total_time="$seconds" -print_final_stats=1 \
       -artifact_prefix=build-fuzz/crashes/$harness- "$scratch" "tests/fuzz/corpus/${harness%_fuzzer}" \
       > "build-fuzz/$harness.log" 2>&1; then
    echo "$harness: FAILED; the input is in build-fuzz/crashes/, the log in build-fuzz/$harness.log:" >&2
    tail -30 "build-fuzz/$harness.log" >&2
    status=1
  else
    echo "$harness: $(grep -E '^stat::number_of_executed_units' "build-fuzz/$harness.log" | awk '{print $2}') inputs in ${seconds} s, no failure"
  fi
  rm -rf "$scratch"
done
exit $status
