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

// Writes elements 0 ... n - 1 of kRuns runs of n elements each (a tile's channels), run r starting at an output
// element of parity head[r] (0 even, 1 odd): load(r, e) gives element e's value (called for real elements
// only), store_pair(r, e, v0, v1) writes e and e + 1 (at an even output element), store_one(r, e, v) one element.
// `lane` of 32 takes a run's pairs lane, lane + 32, ... from its first even element; each lane's kPairs pairs of
// a span, of every run, are loaded before any is stored, so that their loads are in flight together. A run's first
// element goes alone where it is odd, and its last where the pairs leave it; every test is a predicate on a
// store (no branch around it), so that a pair costs its two loads, the conversion and one store (ncu put the
// one-run loop at ~40 instructions a pair, most of them branches and tests, and that loop at half the
// consumers' time of the 16-bit AlexNet kernel).
template <int kPairs, int kRuns, class Load, class StorePair, class StoreOne>
KCONV_HOST_DEVICE void WritePairedRuns(const int (&head)[kRuns], int n, int lane, Load load, StorePair store_pair,
                                       StoreOne store_one) {
#pragma unroll
  for (int r = 0; r < kRuns; ++r) {
    if (head[r] == 1 && lane == 0 && n > 0) store_one(r, 0, load(r, 0));
  }
  for (int span = 0; span < n; span += 64 * kPairs) {
    float v0[kRuns][kPairs], v1[kRuns][kPairs];
#pragma unroll
    for (int r = 0; r < kRuns; ++r)
#pragma unroll
      for (int c = 0; c < kPairs; ++c) {
        const int e = head[r] + span + 2 * (lane + 32 * c);
        v0[r][c] = e < n ? load(r, e) : 0.f;
        v1[r][c] = e + 1 < n ? load(r, e + 1) : 0.f;
      }
#pragma unroll
    for (int r = 0; r < kRuns; ++r)
#pragma unroll
      for (int c = 0; c < kPairs; ++c) {
        const int e = head[r] + span + 2 * (lane + 32 * c);
        if (e + 1 < n) store_pair(r, e, v0[r][c], v1[r][c]);
        if (e + 1 == n) store_one(r, e, v0[r][c]);
      }
  }
}

}  // namespace stem
}  // namespace kconv
