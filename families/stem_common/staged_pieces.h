// SPDX-License-Identifier: Apache-2.0
// The walk of a 16-bit NCHW write from a staging in the type (stem_tile_in_type.cuh), host and device: each run of
// n elements sits in its staging row from its head, the offset of its first output element from a 16-byte
// boundary of y, so that piece i of the row (elements 8i ... 8i + 7) is the 16-byte piece of y at the run's
// aligned start plus 8i. A whole piece is one 16-byte store; only a run's first and last pieces, which hold
// elements of other runs, go out element by element, one element a lane.
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

// The whole pieces of a run of n elements from `head`: pieces first ... first + count - 1 of its staging row, each
// the 16-byte piece of y at the run's aligned start plus 16 bytes a piece. The rest of the run (its first piece
// where the head is not 0, its last where it does not end on a boundary) shares pieces with other runs.
struct PieceRange {
  int first;
  int count;
};

KCONV_HOST_DEVICE PieceRange WholePiecesOf(int head, int n) {
  const int first = head == 0 ? 0 : 1, end = (head + n) >> 3;  // piece i is whole iff head <= 8i and 8i + 8 <= head + n
  return PieceRange{first, end > first ? end - first : 0};
}

// A lane's slots in kRuns runs' partial pieces: lanes 0-7 take the first piece's slots, lanes 8-15 the last's (where
// partial), so that a run's partial elements cost each lane at most one 2-byte load and store. Load reads the
// lane's elements (load_one(r, e) gives run r's element e), Store writes them (store_one(r, e, v)).
template <int kRuns, class Element>
struct PartialSlots {
  int e[kRuns];
  bool live[kRuns];
  Element v[kRuns];

  template <class LoadOne>
  KCONV_HOST_DEVICE void Load(const int (&head)[kRuns], const bool (&real)[kRuns], int n, int lane, LoadOne load_one) {
#pragma unroll
    for (int r = 0; r < kRuns; ++r) {
      const int last = (head[r] + n - 1) >> 3;
      const int piece = lane < 8 ? 0 : last;
      const int first = 8 * piece - head[r];  // the run element in the piece's first slot
      const bool partial = first < 0 || first + 8 > n;
      e[r] = first + (lane & 7);
      live[r] = real[r] && lane < 16 && (lane < 8 || last > 0) && partial && e[r] >= 0 && e[r] < n;
      v[r] = live[r] ? load_one(r, e[r]) : Element{};
    }
  }

  template <class StoreOne>
  KCONV_HOST_DEVICE void Store(StoreOne store_one) const {
#pragma unroll
    for (int r = 0; r < kRuns; ++r) {
      if (live[r]) store_one(r, e[r], v[r]);
    }
  }
};

// Moves kRuns runs of n elements each from their staging rows to y: run r starts at element head[r] of its row
// and is written only if real[r]. `lane` of `lanes` (16 or 32: RunWorkerOf) takes the whole pieces lane,
// lane + lanes, ... of every run: load(r, i) gives piece i of run r's row, store(r, i, v) writes it to y (16 bytes
// at a 16-byte boundary). A run's partial pieces go element by element across lanes (PartialSlots). So a run costs
// its whole pieces' stores and one 2-byte store: with a lane storing its partial piece's elements one by one (eight
// predicated stores a piece), AlexNet's runs, whose heads differ (P*Q = 3025), took twice the store instructions of
// the paired fp32-staged loop, and the kernel 10% longer (NOTES, twenty-ninth session). Every run's loads are
// issued before any store (their latencies overlap).
template <int kRuns, class Load, class Store, class LoadOne, class StoreOne>
KCONV_HOST_DEVICE void WriteStagedPieces(const int (&head)[kRuns], const bool (&real)[kRuns], int n, int lane,
                                         int lanes, Load load, Store store, LoadOne load_one, StoreOne store_one) {
  using Piece = decltype(load(0, 0));
  PartialSlots<kRuns, decltype(load_one(0, 0))> partial;
  partial.Load(head, real, n, lane, load_one);
  for (int piece0 = 0; 8 * piece0 < n + 7; piece0 += lanes) {
    const int i = piece0 + lane;
    Piece v[kRuns];
    bool whole[kRuns];
#pragma unroll
    for (int r = 0; r < kRuns; ++r) {
      const int first = 8 * i - head[r];
      whole[r] = real[r] && first >= 0 && first + 8 <= n;
      v[r] = whole[r] ? load(r, i) : Piece{};
    }
#pragma unroll
    for (int r = 0; r < kRuns; ++r) {
      if (whole[r]) store(r, i, v[r]);
    }
  }
  partial.Store(store_one);
}

// Who writes which runs of a tile: `lane` of `lanes` in the run, as worker `worker` of `workers`. Where every run of
// n elements has at most 16 pieces whatever its head (its last piece, (head + n - 1) / 8, is at most (n + 6) / 8),
// each half warp is a worker of its own, so that one store instruction carries two runs' pieces: a whole warp on
// ping-pong's 110-element runs (14 whole pieces) left half its lanes idle on every store, and the kernel ran 32%
// more instructions than with whole tiles (ncu, NOTES of the thirty-fourth session). PartialSlots needs 16 lanes.
struct RunWorker {
  int lane;
  int lanes;
  int worker;
  int workers;
};

KCONV_HOST_DEVICE RunWorker RunWorkerOf(int n, int lane, int worker, int workers) {
  if (n + 6 < 8 * 16) return RunWorker{lane & 15, 16, 2 * worker + (lane >> 4), 2 * workers};
  return RunWorker{lane, 32, worker, workers};
}

// The passes of worker w over channels [0, channels), kRuns at a time: channels w.worker + r * w.workers of each
// pass, `workers * kRuns` apart from pass to pass. write_runs(channel, real) writes a pass; past the last channel
// a run repeats the pass's first channel with real false (read, not written), so that a worker's lanes run the same
// code. The two half warps of a warp may take different counts of passes: nothing in a pass is warp-wide.
template <int kRuns, class WriteRuns>
KCONV_HOST_DEVICE void ForEachRunPass(int channels, const RunWorker& w, WriteRuns write_runs) {
  for (int c0 = w.worker; c0 < channels; c0 += kRuns * w.workers) {
    int channel[kRuns];
    bool real[kRuns];
#pragma unroll
    for (int r = 0; r < kRuns; ++r) {
      const int c = c0 + r * w.workers;
      real[r] = c < channels;
      channel[r] = real[r] ? c : c0;
    }
    write_runs(channel, real);
  }
}

// The partial pieces alone of kRuns runs (as WriteStagedPieces writes them), where the whole pieces go another way
// (WholePiecesOf: a bulk copy each run).
template <int kRuns, class LoadOne, class StoreOne>
KCONV_HOST_DEVICE void WritePartialPieces(const int (&head)[kRuns], const bool (&real)[kRuns], int n, int lane,
                                          LoadOne load_one, StoreOne store_one) {
  PartialSlots<kRuns, decltype(load_one(0, 0))> partial;
  partial.Load(head, real, n, lane, load_one);
  partial.Store(store_one);
}

}  // namespace stem
}  // namespace kconv
