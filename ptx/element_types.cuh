// SPDX-License-Identifier: Apache-2.0
// Loads and stores of one tensor element of kconv_element_type kType (0 fp32, 1 fp16, 2 bf16) as fp32:
// widening is exact; narrowing rounds to nearest even, once.
#pragma once

#include <stdint.h>

namespace kconv {
namespace ptx {

template <int kType>
__device__ __forceinline__ float LoadElement(const void* base, int64_t index) {
  if constexpr (kType == 0) {
    return static_cast<const float*>(base)[index];
  } else {
    const uint16_t bits = static_cast<const uint16_t*>(base)[index];
    if constexpr (kType == 1) {
      float v;
      asm("cvt.f32.f16 %0, %1;\n" : "=f"(v) : "h"(bits));
      return v;
    } else {
      return __uint_as_float(static_cast<uint32_t>(bits) << 16);
    }
  }
}

template <int kType>
__device__ __forceinline__ void StoreElement(void* base, int64_t index, float v) {
  if constexpr (kType == 0) {
    static_cast<float*>(base)[index] = v;
  } else {
    uint16_t bits;
    if constexpr (kType == 1) {
      asm("cvt.rn.f16.f32 %0, %1;\n" : "=h"(bits) : "f"(v));
    } else {
      asm("cvt.rn.bf16.f32 %0, %1;\n" : "=h"(bits) : "f"(v));
    }
    static_cast<uint16_t*>(base)[index] = bits;
  }
}

}  // namespace ptx
}  // namespace kconv
