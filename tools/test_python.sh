#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Python package's test (tools/test.sh runs it): pip install . into a fresh virtual environment, then
# python -m kconv and pytest (tests/python: the host path everywhere; PyTorch's tests where torch is
# installed, its GPU tests where a device is). Extra arguments go to pip, e.g.
# --config-settings=cmake.define.KCONV_CUDA_ARCHS=80
# for a quicker build that embeds fewer kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=build/python-test-venv
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q "$@" ".[test]"
# Out of the source tree, so that the installed package is the one imported.
(cd build && "../$venv/bin/python" -m kconv)
"$venv/bin/python" -m pytest -q -p no:cacheprovider --rootdir=. tests/python
