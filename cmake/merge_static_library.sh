#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the self-contained static library: kconv's objects and the Abseil archive members they use,
# partially linked (ld -r) into one object, in one archive. A program then links it with only
# -lkconv_static -ldl -lpthread and the C++ runtime.
#
# Abseil's ordinary (GLOBAL) symbols, and kconv's internal ones, are hidden (-fvisibility=hidden) and are
# made local here, so that a program with its own Abseil gets no duplicate definitions. WEAK symbols
# (inline functions, template instances) stay as they are: they sit in COMDAT groups that the linker
# merges with a program's copies, and a local symbol in a discarded group would be an error.
#
# Usage: merge_static_library.sh <c++ compiler> <objcopy> <ar> <output.a> <object or archive>...
set -euo pipefail
cxx=$1 objcopy=$2 ar=$3 out=$4
shift 4
objects=() archives=()
for f in "$@"; do
  case "$f" in
    *.a) archives+=("$f") ;;
    *) objects+=("$f") ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
merged="$work/kconv_static.o"
"$cxx" -r -nostdlib -o "$merged" "${objects[@]}" -Wl,--start-group "${archives[@]}" -Wl,--end-group
# Defined, GLOBAL, HIDDEN symbols: readelf -sW columns are Num Value Size Type Bind Vis Ndx Name.
readelf -sW "$merged" | awk '$5 == "GLOBAL" && $6 == "HIDDEN" && $7 != "UND" { print $8 }' | sort -u > "$work/local.txt"
"$objcopy" --localize-symbols="$work/local.txt" "$merged"
rm -f "$out"
"$ar" qc "$out" "$merged"
"$ar" s "$out"
