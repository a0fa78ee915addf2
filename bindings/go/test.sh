#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# CI entry for the Go bindings: vets and tests bindings/go/kconv against an installed kconv.
#   bash bindings/go/test.sh <install-prefix>
# <install-prefix> is what `cmake --install` wrote: include/kconv/kconv.h, lib/libkconv.so*,
# lib/pkgconfig/kconv.pc. Installs Debian's Go and pkg-config with apt when they are missing (CI runs as
# root on Debian 12, whose golang-go is Go 1.19, the oldest Go these bindings support).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: bash $0 <install-prefix>" >&2
  exit 2
fi
prefix=$(cd "$1" && pwd)
bindings=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [[ ! -f "$prefix/lib/pkgconfig/kconv.pc" ]]; then
  echo "test.sh: $prefix/lib/pkgconfig/kconv.pc is missing; install kconv there first (cmake --install)" >&2
  exit 1
fi

if ! command -v go >/dev/null || ! command -v pkg-config >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  # The lock timeout waits out another apt run instead of failing; a fresh image may have no package
  # lists yet, hence the update on a failed first try.
  apt_install=(apt-get install -y -qq -o DPkg::Lock::Timeout=600 golang-go pkg-config)
  "${apt_install[@]}" || { apt-get update -qq -o DPkg::Lock::Timeout=600 && "${apt_install[@]}"; }
fi

# Build and module caches in a folder of their own, removed afterwards: nothing lands in $HOME or the
# repository.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/kconv-go-test.XXXXXX")
trap 'chmod -R u+w "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT
export GOCACHE="$scratch/cache" GOPATH="$scratch/gopath"
export GOFLAGS=-mod=mod
# The module has no dependencies: never reach for the network (CI has none), and never switch
# toolchains (a Go newer than 1.20 would otherwise consider it).
export GOPROXY=off GOTOOLCHAIN=local
# cgo is the whole point; without a C compiler fail loudly rather than build nothing.
export CGO_ENABLED=1
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

echo "test.sh: $(go version); kconv $(pkg-config --modversion kconv) from $prefix"
cd "$bindings/kconv"
go vet ./...
go test -count=1 -v ./...
