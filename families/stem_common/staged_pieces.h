// SPDX-License-Identifier: Apache-2.0
// The walk of a 16-bit NCHW write from a staging in the type (stem_tile_in_type.cuh), host and device: each run of
// n elements sits in its staging row from its head, the offset of its first output element from a 16-byte
// boundary of y, so that piece i of the row (elements 8i ... 8i + 7) is the 16-byte piece of y at the run's
// aligned start plus 8i. A whole piece is one 16-byte store; only a run's first and last pieces, which hold
// elements of other runs, go out element by element.
#pragma once

#include <stdint.h>

#include "ptx/fast_divmod.h"  // KCONV_HOST_DEVICE

namespace kconv {
namespace stem {

// The heads of a tile's staged channel rows: channel n's first output is element y_first + n * pq of y, whose
// offset from a 16-byte boundary is (y / 2 + y_first + n * pq) mod 8 elements. Kept mod 8, so that no product
// overflows.
struct RunHeads {
  int first;  // channel 0's head
  int step;   // pq mod 8: the head's step per channel

  KCONV_HOST_DEVICE int Of(int n) const { return (first + n * step) & 7; }
};

KCONV_HOST_DEVICE RunHeads RunHeadsAt(uint64_t y_address, int64_t y_first, int64_t pq) {
  const uint64_t element = y_address / 2 + static_cast<uint64_t>(y_first);
  return RunHeads{static_cast<int>(element & 7), static_cast<int>(static_cast<uint64_t>(pq) & 7)};
}

// Moves kRuns runs of n elements each from their staging rows to y: run r starts at element head[r] of its row
// and is written only if real[r]. `lane` of 32 takes pieces lane, lane + 32, ... of every run, each run's load
// before any store (their latencies overlap). load(r, i) gives piece i of run r's row (called only for pieces
// that hold run elements); store(r, i, v) writes a whole piece to y; store_part(r, i, v, first) writes the
// elements j of a piece whose run element first + j is in [0, n).
template <int kRuns, class Load, class Store, class StorePart>
KCONV_HOST_DEVICE void WriteStagedPieces(const int (&head)[kRuns], const bool (&real)[kRuns], int n, int lane, Load load,
                                         Store store, StorePart store_part) {
  using Piece = decltype(load(0, 0));
  for (int piece0 = 0; 8 * piece0 < n + 7; piece0 += 32) {
    const int i = piece0 + lane;
    Piece v[kRuns];
#pragma unroll
    for (int r = 0; r < kRuns; ++r) v[r] = 8 * i < head[r] + n ? load(r, i) : Piece{};
#pragma unroll
    for (int r = 0; r < kRuns; ++r) {
      const int first = 8 * i - head[r];  // the run element in the piece's first slot
      if (!real[r] || first >= n) continue;
      if (first >= 0 && first + 8 <= n) {
        store(r, i, v[r]);
      } else {
        store_part(r, i, v[r], first);
      }
    }
  }
}

}  // namespace stem
}  // namespace kconv
