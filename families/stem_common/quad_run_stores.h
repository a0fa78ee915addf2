// SPDX-License-Identifier: Apache-2.0
// A 16-bit output run written straight from wgmma accumulators, host and device. With output channels as the
// MMA's M and pixels as its N (the Hopper stem family's channels-as-M kernels), the four lanes of a quad hold one
// channel's row: lane t holds elements 8i + 2t and 8i + 2t + 1 of it. A pair goes out as one 32-bit store where
// the run's element is 4-byte aligned; NCHW runs start at any element (AlexNet's 55 x 55 planes have an odd
// size), so for a run that starts odd each lane pairs its first element with the element before it, which its
// neighbour holds (the caller fetches it: `previous`), and the run's first and, for an even length, last
// element go alone.
#pragma once

#include <stdint.h>

#include "ptx/fast_divmod.h"  // KCONV_HOST_DEVICE

namespace kconv {
namespace stem {

// Lane t (0-3) of the quad writes its share of elements 0 ... n - 1 (n <= 8 * kGroups) of a run whose element 0
// sits at an odd 16-bit position when `odd` (its address is 2 mod 4): first[i] and second[i] are elements
// 8i + 2t and 8i + 2t + 1, previous[i] element 8i + 2t - 1 (unused for element 0). store_pair(e, v0, v1)
// writes e and e + 1 (e at an even position), store_one(e, v) one element.
template <int kGroups, class StorePair, class StoreOne>
KCONV_HOST_DEVICE void WriteQuadRun(int t, int n, bool odd, const float (&first)[kGroups],
                                    const float (&second)[kGroups], const float (&previous)[kGroups],
                                    StorePair store_pair, StoreOne store_one) {
#pragma unroll
  for (int i = 0; i < kGroups; ++i) {
    const int e = 8 * i + 2 * t;
    if (!odd) {  // pairs (e, e + 1)
      if (e + 1 < n) {
        store_pair(e, first[i], second[i]);
      } else if (e < n) {
        store_one(e, first[i]);
      }
      continue;
    }
    // Pairs (e - 1, e): element 0 alone, and the last one alone where n is even (no lane's e is n).
    if (e == 0 && n > 0) {
      store_one(0, first[i]);
    } else if (e < n) {
      store_pair(e - 1, previous[i], first[i]);
    }
    if (e + 2 == n) store_one(e + 1, second[i]);
  }
}

}  // namespace stem
}  // namespace kconv
