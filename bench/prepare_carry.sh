#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copies what bench/device_run.sh needs from a build folder into the git-ignored .carry/ that the device
# tool carries (64 MiB at most): the GPU suite, kconv-bench, the sm_90 cubins for the SASS check and the
# Triton start from ../shared/reference; with CARRY_LIBRARY=1 libkconv.so (for compare_torch), with
# CARRY_TUNE=1 kconv-tune, and with BASELINE=<build folder> that build's kconv-bench as
# .carry/baseline/kconv-bench (the A/B stage). Binaries are stripped, then packed with the cubins into
# .carry/bins.tar.xz, which bench/device_run.sh unpacks: 0.4's binaries are ~38 MB each with sm_90 and PTX
# (three element types per portable stem config), past the carry's 64 MiB; packed, all of them take ~10 MB.
# Usage: [CARRY_LIBRARY=1] [CARRY_TUNE=1] [BASELINE=dir] bench/prepare_carry.sh [build-folder]   (default build-dev)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-dev}
rm -rf .carry && mkdir -p .carry/cubins
cp "$build/tests/kconv_gpu_tests" "$build/tools/kconv-bench" .carry/
[ "${CARRY_TUNE:-0}" = 1 ] && cp "$build/tools/kconv-tune" .carry/
[ "${CARRY_LIBRARY:-0}" = 1 ] && cp -L "$build/libkconv.so" .carry/libkconv.so
if [ -n "${BASELINE:-}" ]; then
  mkdir -p .carry/baseline
  cp "$BASELINE/tools/kconv-bench" .carry/baseline/
fi
find .carry -type f -perm -u+x -exec strip {} +
cp "$build"/kernels/*.sm_90*.cubin .carry/cubins/
cp ../shared/reference/starting_triton_kernel.py .carry/
(cd .carry && find . -mindepth 1 -maxdepth 2 \( -type f -perm -u+x -o -name '*.cubin' \) -print0 |
  tar cJf bins.tar.xz --null -T - --remove-files)
du -sh .carry
