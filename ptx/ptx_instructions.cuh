// SPDX-License-Identifier: Apache-2.0
// Thin wrappers over the PTX instructions the kernel families share; each is one instruction, always
// inlined (a non-inlined call between tensor-core instructions serialises them).
#pragma once

#include <stdint.h>

namespace kconv {
namespace ptx {

__device__ __forceinline__ uint32_t SharedAddress(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// Stores 16 bytes at a 16-byte aligned global address. Through a uint4 lvalue made from a 16-bit output pointer,
// nvcc wrote four 32-bit stores instead (SASS of the 16-bit staged write, stem_tile_in_type.cuh).
__device__ __forceinline__ void StoreGlobal16(void* address, uint4 v) {
  asm volatile("st.global.v4.b32 [%0], {%1, %2, %3, %4};\n" ::"l"(address), "r"(v.x), "r"(v.y), "r"(v.z), "r"(v.w)
               : "memory");
}

// Stores 2 bytes at shared address + kOffset (a 2-byte aligned shared-space address). With the offset in the
// instruction, a pair of stores 16 bytes apart costs one address add: through a 16-bit pointer into the band,
// ptxas recomputed index * 2 + base for each (SASS of the staging in the type, stem_tile_in_type.cuh).
template <int kOffset = 0>
__device__ __forceinline__ void StoreShared2(uint32_t address, uint16_t v) {
  asm volatile("st.shared.b16 [%0+%2], %1;\n" ::"r"(address), "h"(v), "n"(kOffset));
}

// 4-byte asynchronous copy; valid = false writes a zero without reading (padding, tails).
__device__ __forceinline__ void CopyAsync4(uint32_t dst, const float* src, bool valid) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(dst), "l"(src), "r"(valid ? 4 : 0));
}

// 8-byte asynchronous copy (both addresses 8-byte aligned); valid = false writes zeros without reading.
__device__ __forceinline__ void CopyAsync8(uint32_t dst, const float* src, bool valid) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 8, %2;\n" ::"r"(dst), "l"(src), "r"(valid ? 8 : 0));
}

__device__ __forceinline__ void CopyAsync16(uint32_t dst, const void* src) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(dst), "l"(src));
}

// 16-byte asynchronous copy (both addresses 16-byte aligned), through L2 only; valid = false writes zeros
// without reading.
__device__ __forceinline__ void CopyAsync16(uint32_t dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(valid ? 16 : 0)
               : "memory");
}

__device__ __forceinline__ void CommitGroup() { asm volatile("cp.async.commit_group;\n" ::); }

template <int kPending>
__device__ __forceinline__ void WaitGroup() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending));
}

__device__ __forceinline__ void LoadMatrixX4(uint32_t (&r)[4], uint32_t address) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address));
}

// Round to nearest (ties away) into TF32; tensor cores fed raw fp32 truncate, biasing results to zero.
__device__ __forceinline__ uint32_t ToTf32(float v) {
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(v));
  return r;
}

// 3xTF32's small part: the TF32 remainder of `raw` once rounded to `big` (raw - big is exact in fp32), as TF32
// bits. Zero where big is not finite (an Inf or NaN input, or one that rounded up to Inf), so that the products
// keep IEEE's Inf or NaN instead of Inf - Inf.
__device__ __forceinline__ uint32_t Tf32Remainder(float raw, float big) {
  return isfinite(big) ? ToTf32(raw - big) : 0u;
}

// d += a * b, m16n8k8, TF32 operands, fp32 accumulators.
__device__ __forceinline__ void MmaTf32(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

}  // namespace ptx
}  // namespace kconv
