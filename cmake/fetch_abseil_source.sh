#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Unpacks Debian's abseil source package into $1 (default .deps/abseil).
#
# Why not the libabsl-dev archives: Debian builds them without -fPIC, and several (cordz, which
# absl::Status needs; sysinfo, which absl::Mutex needs) use local-exec TLS relocations
# (R_X86_64_TPOFF32) that cannot be linked into a shared library. kconv links Abseil statically into
# libkconv.so, so it builds the same Debian release from source with position-independent code.
set -euo pipefail
dest=${1:-.deps/abseil}
[ -f "$dest/CMakeLists.txt" ] && exit 0

# apt-get source needs the Sources indices: derive a deb-src entry from the deb822 binary entry if the
# machine has none.
if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
      > /etc/apt/sources.list.d/kconv-debian-src.sources
  else
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/kconv-debian-src.list
  fi
  apt-get update -qq
fi
command -v dpkg-source >/dev/null || apt-get install -y -qq dpkg-dev >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get source -qq --download-only abseil 2>/dev/null)
mkdir -p "$(dirname "$dest")"
dpkg-source -x "$work"/abseil_*.dsc "$work/src" >/dev/null
rm -rf "$dest"
mv "$work/src" "$dest"
echo "Abseil source: $(basename "$work"/abseil_*.dsc .dsc) unpacked into $dest"
