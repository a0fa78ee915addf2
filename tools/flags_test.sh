#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The tools' command line (CTest: tools_flags): --help exits 0 with the flags listed; a bad value, an
# unknown flag, a value out of range and a positional argument each exit non-zero naming what is wrong;
# a small host-path run exits 0. Needs no GPU (--host). Usage: tools/flags_test.sh KCONV-BENCH KCONV-TUNE
set -uo pipefail
bench=${1:?usage: flags_test.sh KCONV-BENCH KCONV-TUNE}
tune=${2:?usage: flags_test.sh KCONV-BENCH KCONV-TUNE}
failures=0

# expect STATUS PATTERN COMMAND...: STATUS is 0 or "nonzero"; PATTERN an extended regex the output
# (stdout and stderr, as one text: "." matches a newline too) must match.
expect() {
  local status=$1 pattern=$2 output rc
  shift 2
  output=$("$@" 2>&1)
  rc=$?
  if { [ "$status" = 0 ] && [ "$rc" != 0 ]; } || { [ "$status" = nonzero ] && [ "$rc" = 0 ]; }; then
    echo "FAIL: $* exited $rc, expected $status"; echo "$output" | tail -5; failures=$((failures + 1))
  elif ! grep -Ezq -- "$pattern" <<<"$output"; then
    echo "FAIL: $*: output does not match /$pattern/"; echo "$output" | tail -5; failures=$((failures + 1))
  else
    echo "ok: $* (exit $rc)"
  fi
}

for tool in "$bench" "$tune"; do
  expect 0 "--runs=.*--preset=alexnet.*--stride_h" "$tool" --help
  expect 0 "--preset=alexnet" "$tool" --helpfull
  expect nonzero "Illegal value 'abc' specified for flag 'n'" "$tool" --n abc
  expect nonzero "Illegal value '12x' specified for flag 'n'" "$tool" --n 12x
  expect nonzero "Illegal value 'vgg' specified for flag 'preset'" "$tool" --preset=vgg
  expect nonzero "Unknown command line flag 'bogus'" "$tool" --bogus
  expect nonzero "Unknown command line flag 'resnet-stem'" "$tool" --resnet-stem
  expect nonzero "unexpected argument 'extra'" "$tool" --n 2 extra
  expect nonzero "Illegal value '0' specified for flag 'runs'" "$tool" --runs 0
  expect nonzero "Illegal value '-1' specified for flag 'warmup'" "$tool" --warmup=-1
  expect nonzero "Illegal value 'fp64' specified for flag 'dtype'; expected one of fp32 fp16 bf16" "$tool" --dtype fp64
  expect nonzero "Illegal value 'chw' specified for flag 'layout'; expected one of nchw nhwc" "$tool" --layout chw
  expect nonzero "Illegal value 'fp16' specified for flag 'math'; expected one of tf32 3xtf32 fp32" "$tool" --math fp16
done
expect nonzero "Unknown command line flag 'min-gain'" "$tune" --min-gain abc
expect nonzero "Illegal value 'abc' specified for flag 'min_gain'" "$tune" --min_gain abc
expect nonzero "Illegal value '1.5' specified for flag 'min_gain'" "$tune" --min_gain 1.5
expect nonzero "Illegal value 'fast' specified for flag 'mode'" "$tune" --mode fast
expect nonzero "stride" "$bench" --stride 0 --host
expect 0 "shape: N=2 C=3 H=224 W=224 -> K=96 11x11 stride 4 pad 2 dil 1 bias -> 55x55; fp32 nchw tf32" "$bench" --n 2 --host
expect 0 "55x55; fp32 nchw 3xtf32.*0 outside" "$bench" --n 1 --host --math 3xtf32
expect nonzero "the host path computes fp32 NCHW only, not bf16 NHWC" \
  "$bench" --n 1 --host --dtype bf16 --layout nhwc --math fp32
expect 0 "shape: N=1 C=3 H=32 W=32 -> K=8 7x7 stride 2x1 pad 3 dil 1 relu -> 16x32" \
  "$bench" --relu --w=32 --preset resnet_stem --stride_w 1 --h 32 --k 8 --n 1 --host

[ "$failures" = 0 ] && echo "all passed" || echo "$failures failed"
exit $((failures > 0))
