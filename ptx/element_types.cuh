// SPDX-License-Identifier: Apache-2.0
// Loads and stores of one tensor element of kconv_element_type kType (0 fp32, 1 fp16, 2 bf16) as fp32:
// widening is exact; narrowing rounds to nearest even, once.
#pragma once

#include <stdint.h>

#include <type_traits>

namespace kconv {
namespace ptx {

// The fp32 value of the 16-bit element `bits` of type kType (1 fp16, 2 bf16).
template <int kType>
__device__ __forceinline__ float WidenElement(uint16_t bits) {
  static_assert(kType == 1 || kType == 2, "a 16-bit element type");
  if constexpr (kType == 1) {
    float v;
    asm("cvt.f32.f16 %0, %1;\n" : "=f"(v) : "h"(bits));
    return v;
  } else {
    return __uint_as_float(static_cast<uint32_t>(bits) << 16);
  }
}

template <int kType>
__device__ __forceinline__ float LoadElement(const void* base, int64_t index) {
  if constexpr (kType == 0) {
    return static_cast<const float*>(base)[index];
  } else {
    return WidenElement<kType>(static_cast<const uint16_t*>(base)[index]);
  }
}

// A tensor element of kType as loaded, before widening: a load's consumer converts it only once every load
// of a batch is issued (converting at the load made ptxas wait for each 16-bit load in turn).
template <int kType>
using RawElement = typename std::conditional<kType == 0, float, uint16_t>::type;

template <int kType>
__device__ __forceinline__ float WidenRaw(RawElement<kType> raw) {
  if constexpr (kType == 0) {
    return raw;
  } else {
    return WidenElement<kType>(raw);
  }
}

// The bits of v rounded to the 16-bit element type kType (1 fp16, 2 bf16), to nearest even.
template <int kType>
__device__ __forceinline__ uint16_t NarrowElement(float v) {
  static_assert(kType == 1 || kType == 2, "a 16-bit element type");
  uint16_t bits;
  if constexpr (kType == 1) {
    asm("cvt.rn.f16.f32 %0, %1;\n" : "=h"(bits) : "f"(v));
  } else {
    asm("cvt.rn.bf16.f32 %0, %1;\n" : "=h"(bits) : "f"(v));
  }
  return bits;
}

// The fp32 values of the two 16-bit elements of type kType in `word`, as loaded from memory: the first
// element (x) is the low half.
template <int kType>
__device__ __forceinline__ float2 WidenPair(uint32_t word) {
  return make_float2(WidenElement<kType>(static_cast<uint16_t>(word & 0xffffu)),
                     WidenElement<kType>(static_cast<uint16_t>(word >> 16)));
}

// v0 and v1 rounded to kType (1 fp16, 2 bf16), to nearest even, packed in memory order: v0 in the low half. One
// instruction (sm_80's packed conversion puts its first operand in the high half), where two conversions and a
// merge took three; the same bits as NarrowElement of each.
template <int kType>
__device__ __forceinline__ uint32_t NarrowPair(float v0, float v1) {
  static_assert(kType == 1 || kType == 2, "a 16-bit element type");
  uint32_t bits;
  if constexpr (kType == 1) {
    asm("cvt.rn.f16x2.f32 %0, %1, %2;\n" : "=r"(bits) : "f"(v1), "f"(v0));
  } else {
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(bits) : "f"(v1), "f"(v0));
  }
  return bits;
}

template <int kType>
__device__ __forceinline__ void StoreElement(void* base, int64_t index, float v) {
  if constexpr (kType == 0) {
    static_cast<float*>(base)[index] = v;
  } else {
    static_cast<uint16_t*>(base)[index] = NarrowElement<kType>(v);
  }
}

// Elements index ... index + 3 in one store (16 bytes for fp32, 8 for 16-bit types): index a multiple of 4,
// base aligned to the store.
template <int kType>
__device__ __forceinline__ void StoreElements4(void* base, int64_t index, const float (&v)[4]) {
  if constexpr (kType == 0) {
    *reinterpret_cast<float4*>(static_cast<float*>(base) + index) = make_float4(v[0], v[1], v[2], v[3]);
  } else {
    *reinterpret_cast<uint2*>(static_cast<uint16_t*>(base) + index) =
        make_uint2(NarrowPair<kType>(v[0], v[1]), NarrowPair<kType>(v[2], v[3]));
  }
}

}  // namespace ptx
}  // namespace kconv
