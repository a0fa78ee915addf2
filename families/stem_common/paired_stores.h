// SPDX-License-Identifier: Apache-2.0
// A 16-bit output run written two elements to a 32-bit store, host and device: the NCHW epilogue's runs of one
// channel start at any element (AlexNet's 55 x 55 planes have an odd size, so every other channel's run starts
// odd), so a run's first element goes alone when it is odd, and the rest in aligned pairs: half the store
// instructions of one element a store, for the same bytes.
#pragma once

#include <stdint.h>

#include "ptx/fast_divmod.h"  // KCONV_HOST_DEVICE

namespace kconv {
namespace stem {

// Writes elements 0 ... n - 1 of the run that starts at output element `start`: load(e) gives element e's
// value (called for real elements only), store_pair(e, v0, v1) writes e and e + 1 (start + e even),
// store_one(e, v) one element. `lane` of 32 takes pairs lane, lane + 32, ...; each lane's kPairs pairs of a
// span are loaded before any is stored, so that their loads are in flight together.
template <int kPairs, class Load, class StorePair, class StoreOne>
KCONV_HOST_DEVICE void WritePairedRun(int64_t start, int n, int lane, Load load, StorePair store_pair,
                                      StoreOne store_one) {
  const int head = static_cast<int>(start & 1);
  if (head == 1 && lane == 0 && n > 0) store_one(0, load(0));
  for (int span = head; span < n; span += 64 * kPairs) {
    float v0[kPairs], v1[kPairs];
#pragma unroll
    for (int c = 0; c < kPairs; ++c) {
      const int e = span + 2 * (lane + 32 * c);
      v0[c] = e < n ? load(e) : 0.f;
      v1[c] = e + 1 < n ? load(e + 1) : 0.f;
    }
#pragma unroll
    for (int c = 0; c < kPairs; ++c) {
      const int e = span + 2 * (lane + 32 * c);
      if (e + 1 < n) {
        store_pair(e, v0[c], v1[c]);
      } else if (e < n) {
        store_one(e, v0[c]);
      }
    }
  }
}

}  // namespace stem
}  // namespace kconv
