#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds and runs tests/consumers/consumer.c against an installed kconv: with CMake's find_package and with
# pkg-config, each with the shared and the static library. Usage: tests/consumers/run.sh <prefix>
set -euo pipefail
prefix=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== find_package(kconv) against $prefix"
cmake -S "$here/cmake" -B "$work/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake" >/dev/null
LD_LIBRARY_PATH="$prefix/lib" "$work/cmake/consumer_shared"
"$work/cmake/consumer_static"
# The static build must not need libkconv.so at run time.
if ldd "$work/cmake/consumer_static" | grep -q libkconv; then echo "consumer_static needs libkconv.so" >&2; exit 1; fi

echo "== pkg-config kconv / kconv_static against $prefix"
pc_path=$(dirname "$(find "$prefix" -name kconv.pc | head -1)")
export PKG_CONFIG_PATH="$pc_path"
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -pedantic -Werror -o "$work/pc_shared" "$here/consumer.c" $(pkg-config --cflags --libs kconv) -lm
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -pedantic -Werror -o "$work/pc_static" "$here/consumer.c" $(pkg-config --cflags --libs kconv_static)
LD_LIBRARY_PATH="$(pkg-config --variable=libdir kconv)" "$work/pc_shared"
"$work/pc_static"
echo "consumers: all four builds ran"
