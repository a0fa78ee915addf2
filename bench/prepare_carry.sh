#!/usr/bin/env bash
# Copies what bench/device_run.sh needs from a build folder into the git-ignored .carry/ that the
# device tool carries: the GPU suite, kconv-bench, kconv-tune, libkconv.so (stripped), the sm_90 cubins for the
# SASS check, and the Triton start from ../shared/reference.
# Usage: bench/prepare_carry.sh [build-folder]   (default build-dev)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-dev}
rm -rf .carry && mkdir -p .carry/cubins
cp "$build/tests/kconv_gpu_tests" "$build/tools/kconv-bench" "$build/tools/kconv-tune" .carry/
cp -L "$build/libkconv.so" .carry/libkconv.so
strip .carry/kconv_gpu_tests .carry/kconv-bench .carry/kconv-tune .carry/libkconv.so
cp "$build"/kernels/*.sm_90*.cubin .carry/cubins/
cp ../shared/reference/starting_triton_kernel.py .carry/
du -sh .carry
