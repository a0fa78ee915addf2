#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# README command 1: installs what the build needs (tools/install_build_deps.sh main), builds the release
# configuration (cubins for sm_80/86/89/90 and the compute_80 PTX), then runs the main job: kconv-bench
# times AlexNet conv1 (N = 256) with every kernel config on the GPU. Without a GPU, kconv-bench says why
# and runs the host path on a small batch instead. Extra arguments go to kconv-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_build_deps.sh main
cmake --preset default
cmake --build --preset default -j "$(nproc)"
./build/tools/kconv-bench "$@"
