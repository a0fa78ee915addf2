#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CI entry of the Rust bindings: bash bindings/rust/test.sh <install-prefix>
#
# Tests both crates with Debian's cargo and rustc (1.63, the oldest compiler the crates support) against
# an installed kconv, once per way kconv-sys finds it: libkconv.so through pkg-config, then, when the
# prefix has it, libkconv_static.a through KCONV_LIB_DIR with KCONV_STATIC=1.
set -euo pipefail

if [[ $# -ne 1 || ! -d $1 ]]; then
  echo "usage: bash bindings/rust/test.sh <install-prefix>   (the folder cmake --install wrote)" >&2
  exit 2
fi
prefix=$(cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

export DEBIAN_FRONTEND=noninteractive
install_from_apt() {  # package: installed quietly, refreshing the package lists only if the first try fails
  apt-get install -y -qq "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$1" >/dev/null; }
}
[[ -x /usr/bin/cargo ]] || install_from_apt cargo
command -v pkg-config >/dev/null || install_from_apt pkg-config

# Debian's compiler even where a rustup toolchain comes first on PATH: 1.63 is what must build.
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib/x86_64-linux-gnu/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
shared_library_path="$prefix/lib:$prefix/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
unset KCONV_LIB_DIR KCONV_STATIC  # a caller's setting would bypass the pkg-config run
cd "$here"

echo "== kconv-rust: $("$RUSTC" --version), libkconv.so from $prefix through pkg-config"
LD_LIBRARY_PATH="$shared_library_path" CARGO_TARGET_DIR="$here/target/shared" /usr/bin/cargo test --offline -- --show-output

archive=""
for dir in "$prefix/lib" "$prefix/lib/x86_64-linux-gnu"; do
  [[ -f $dir/libkconv_static.a ]] && { archive=$dir/libkconv_static.a; break; }
done
if [[ -n $archive ]]; then
  # No LD_LIBRARY_PATH: a test binary that still needed libkconv.so would fail to start.
  echo "== kconv-rust: $archive through KCONV_LIB_DIR, KCONV_STATIC=1"
  env -u LD_LIBRARY_PATH KCONV_STATIC=1 KCONV_LIB_DIR="$(dirname "$archive")" CARGO_TARGET_DIR="$here/target/static" \
    /usr/bin/cargo test --offline -- --show-output
else
  echo "== kconv-rust: no libkconv_static.a in $prefix/lib; the static link is not tested"
fi
echo "== kconv-rust: all tests passed"
