// SPDX-License-Identifier: Apache-2.0
// FNV-1a, 64-bit: a stable hash for file checksums and build ids (absl::Hash may differ between runs).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace kconv {

inline constexpr uint64_t kFnv1aBasis = 0xcbf29ce484222325ull;

// Continues hash `h` over `size` bytes; start from kFnv1aBasis.
inline uint64_t Fnv1a(const void* bytes, size_t size, uint64_t h = kFnv1aBasis) {
  const unsigned char* p = static_cast<const unsigned char*>(bytes);
  for (size_t i = 0; i < size; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

}  // namespace kconv
