// SPDX-License-Identifier: Apache-2.0
// Wrappers over the Hopper (sm_90) asynchronous-copy instructions: mbarriers, bulk copies and tensor
// (TMA) copies that complete on an mbarrier's transaction count. One instruction each, always inlined.
#pragma once

#include <stdint.h>

namespace kconv {
namespace ptx {

__device__ __forceinline__ void MbarrierInit(uint32_t bar, uint32_t count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}

// Makes initialised mbarriers visible to the async proxy (TMA completion); a barrier must follow.
__device__ __forceinline__ void FenceMbarrierInit() { asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory"); }

__device__ __forceinline__ void MbarrierArrive(uint32_t bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}

// An arrival on the mbarrier once every cp.async this thread has issued so far has landed (the arrivals it
// counts: its init count holds them, .noinc).
__device__ __forceinline__ void MbarrierArriveOnAsyncCopies(uint32_t bar) {
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" ::"r"(bar) : "memory");
}

// Arrives and adds `bytes` to the transaction count the current phase waits for.
__device__ __forceinline__ void MbarrierArriveExpectTx(uint32_t bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
}

// Blocks until the phase of parity `parity` has completed.
__device__ __forceinline__ void MbarrierWait(uint32_t bar, uint32_t parity) {
  asm volatile(
      "{\n"
      ".reg .pred done;\n"
      "wait_%=:\n"
      "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
      "@!done bra wait_%=;\n"
      "}\n" ::"r"(bar),
      "r"(parity)
      : "memory");
}

// Copies `bytes` (a multiple of 16; both addresses 16-byte aligned) from global to shared memory.
__device__ __forceinline__ void BulkCopyToShared(uint32_t dst, const void* src, uint32_t bytes, uint32_t bar) {
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::"r"(dst),
               "l"(src), "r"(bytes), "r"(bar)
               : "memory");
}

// Copies `bytes` (a multiple of 16; both addresses 16-byte aligned) from shared to global memory through the
// copy engine, in this thread's bulk async-group: the issuing thread's instructions, not the SM's load/store
// path, carry it. Generic writes to the source must be fenced to the async proxy (FenceProxyAsyncShared) first.
__device__ __forceinline__ void BulkCopyToGlobal(void* dst, uint32_t src, uint32_t bytes) {
  asm volatile("cp.async.bulk.global.shared::cta.bulk_group [%0], [%1], %2;\n" ::"l"(dst), "r"(src), "r"(bytes)
               : "memory");
}

// Closes this thread's bulk copies issued so far into one bulk async-group.
__device__ __forceinline__ void BulkCommitGroup() { asm volatile("cp.async.bulk.commit_group;\n" ::: "memory"); }

// Waits until every bulk async-group this thread committed has read its source: the shared memory may be
// written again (the writes to global may still be in flight).
__device__ __forceinline__ void BulkWaitGroupsRead() { asm volatile("cp.async.bulk.wait_group.read 0;\n" ::: "memory"); }

// Waits until every bulk async-group this thread committed has completed, its writes made.
__device__ __forceinline__ void BulkWaitGroups() { asm volatile("cp.async.bulk.wait_group 0;\n" ::: "memory"); }

// Copies one box of a 4-D tensor map (a __grid_constant__ parameter) at element coordinates c0..c3
// (innermost first; out-of-range elements are filled with zeros) to shared memory.
__device__ __forceinline__ void TensorCopyToShared4D(uint32_t dst, const void* tensor_map, int c0, int c1, int c2, int c3,
                                                     uint32_t bar) {
  asm volatile(
      "cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4, %5}], "
      "[%6];\n" ::"r"(dst),
      "l"(tensor_map), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(bar)
      : "memory");
}

// TensorCopyToShared4D for a 5-D tensor map.
__device__ __forceinline__ void TensorCopyToShared5D(uint32_t dst, const void* tensor_map, int c0, int c1, int c2, int c3,
                                                     int c4, uint32_t bar) {
  asm volatile(
      "cp.async.bulk.tensor.5d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4, %5, "
      "%6}], [%7];\n" ::"r"(dst),
      "l"(tensor_map), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(c4), "r"(bar)
      : "memory");
}

// Barrier `id` (1..15; 0 is __syncthreads) over `threads` threads, a multiple of 32.
__device__ __forceinline__ void NamedBarrierSync(int id, int threads) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}

// Arrives at barrier `id` without waiting: the barrier completes when `threads` threads have arrived or synced.
__device__ __forceinline__ void NamedBarrierArrive(int id, int threads) {
  asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}

}  // namespace ptx
}  // namespace kconv
