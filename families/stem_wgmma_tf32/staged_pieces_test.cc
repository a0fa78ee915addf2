// SPDX-License-Identifier: Apache-2.0
// The Hopper stem family's 16-bit NCHW write from a staging in the type (families/stem_common/staged_pieces.h), on
// the CPU: for runs at every offset from a 16-byte boundary of y and of every length a tile can give, the 32
// lanes write each element once with its own value, whole pieces only at 16-byte boundaries of y, and read only
// pieces that hold the run's elements.
#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "families/stem_common/staged_pieces.h"

namespace {

using Piece = std::array<int, 8>;  // 8 staged elements; -1 where the staging holds no run element

// Runs WriteStagedPieces over `lanes` lanes (16 or 32) for kRuns runs of n elements at once, run r's first output
// at element start[r] of a y at address y_address (2-byte aligned), staged as StageTileInType stages it: element e
// of run r at element heads.Of(r) + e of its row. Checks each real run's elements written once, with their values,
// whole pieces at 16-byte boundaries only, at most one element store a lane and run, and no other element read or
// written.
template <int kRuns>
void CheckRuns(uint64_t y_address, int64_t first_start, int64_t pq, int n, const bool (&real)[kRuns], int lanes = 32) {
  const kconv::stem::RunHeads heads = kconv::stem::RunHeadsAt(y_address, first_start, pq);
  int head[kRuns], wrong_head = 0;
  std::vector<std::vector<int>> rows(kRuns);
  for (int r = 0; r < kRuns; ++r) {
    head[r] = heads.Of(r);
    wrong_head += (y_address / 2 + static_cast<uint64_t>(first_start + r * pq)) % 8 != static_cast<uint64_t>(head[r]);
    rows[static_cast<std::size_t>(r)].assign(static_cast<std::size_t>((head[r] + n + 7) / 8 * 8), -1);
    for (int e = 0; e < n; ++e) rows[static_cast<std::size_t>(r)][static_cast<std::size_t>(head[r] + e)] = 1000 * r + e;
  }
  std::vector<int> writes(static_cast<std::size_t>(kRuns * n), 0);
  int misaligned = 0, outside = 0, wrong_value = 0, crowded = 0;
  std::vector<int> element_stores(kRuns, 0);  // this lane's, per run
  auto write = [&](int r, int e, int v) {
    if (r < 0 || r >= kRuns || !real[r] || e < 0 || e >= n) {
      ++outside;
      return;
    }
    if (v != 1000 * r + e) ++wrong_value;
    ++writes[static_cast<std::size_t>(r * n + e)];
  };
  for (int lane = 0; lane < lanes; ++lane) {
    kconv::stem::WriteStagedPieces<kRuns>(
        head, real, n, lane, lanes,
        [&](int r, int i) {
          const std::vector<int>& row = rows[static_cast<std::size_t>(r)];
          Piece v;
          v.fill(-1);
          if (i < 0 || 8 * i - head[r] < 0 || 8 * i + 8 - head[r] > n) {  // whole pieces only
            ++outside;
            return v;
          }
          for (int j = 0; j < 8; ++j) v[static_cast<std::size_t>(j)] = row[static_cast<std::size_t>(8 * i + j)];
          return v;
        },
        [&](int r, int i, const Piece& v) {
          // The piece's first element is output element start - head + 8i: a 16-byte boundary of y.
          const uint64_t element = y_address / 2 + static_cast<uint64_t>(first_start + r * pq - head[r] + 8 * i);
          if (element % 8 != 0) ++misaligned;
          for (int j = 0; j < 8; ++j) write(r, 8 * i + j - head[r], v[static_cast<std::size_t>(j)]);
        },
        [&](int r, int e) {
          if (r < 0 || r >= kRuns || e < 0 || e >= n) {
            ++outside;
            return -1;
          }
          return rows[static_cast<std::size_t>(r)][static_cast<std::size_t>(head[r] + e)];
        },
        [&](int r, int e, int v) {
          ++element_stores[static_cast<std::size_t>(r)];
          write(r, e, v);
        });
    // A partial piece's elements go one a lane, from lanes 0-15: one 2-byte store instruction a run.
    for (int r = 0; r < kRuns; ++r) {
      const int stores = element_stores[static_cast<std::size_t>(r)];
      if (stores > 1 || (lane >= 16 && stores > 0)) ++crowded;
      element_stores[static_cast<std::size_t>(r)] = 0;
    }
  }
  int wrong_count = 0;
  for (int r = 0; r < kRuns; ++r)
    for (int e = 0; e < n; ++e) wrong_count += writes[static_cast<std::size_t>(r * n + e)] != (real[r] ? 1 : 0);
  CHECK(wrong_head == 0);
  CHECK(wrong_count == 0);
  CHECK(wrong_value == 0);
  CHECK(misaligned == 0);
  CHECK(outside == 0);
  CHECK(crowded == 0);
}

}  // namespace

TEST_CASE("stem_wgmma_tf32.staged_pieces_write_each_element_once_in_aligned_pieces") {
  // One to 600 elements (one to ten of AlexNet's 55-pixel rows, VGG's 224), from every head: y at each 2-byte
  // offset of a 16-byte boundary, channel planes 1-7 mod 8 apart (AlexNet's 3025 is 1), far into a large tensor.
  const bool one[1] = {true};
  const bool four[4] = {true, true, true, false};  // a pass past the last channel: read, not written
  for (int n = 1; n <= 600; ++n) {
    for (uint64_t offset = 0; offset < 16; offset += 2) {
      CAPTURE(n);
      CAPTURE(offset);
      CheckRuns<1>(0x7f0000000000 + offset, 0, 3025, n, one);
      CheckRuns<4>(0x7f0000000000 + offset, 3025 * 95 + 220, 3025, n, four);
      CheckRuns<4>(0x7f0000000000 + offset, (int64_t{1} << 33) + 5, 90, n, four);
      CheckRuns<4>(0x7f0000000000 + offset, 7, 35 * 8 + 7, n, four);
      // A half warp a run (RunWorkerOf): every run short enough for 16 lanes from any head.
      if (kconv::stem::RunWorkerOf(n, 0, 0, 1).lanes == 16) {
        CheckRuns<1>(0x7f0000000000 + offset, 0, 3025, n, one, 16);
        CheckRuns<4>(0x7f0000000000 + offset, 3025 * 95 + 220, 3025, n, four, 16);
        CheckRuns<4>(0x7f0000000000 + offset, 7, 35 * 8 + 7, n, four, 16);
      }
    }
  }
}

TEST_CASE("stem_wgmma_tf32.run_workers_write_every_channel_once_whole_or_by_half_warps") {
  // WriteTileInType's split: warp `worker` of `workers`, lane 0-31, and ForEachRunPass's channels. Every channel
  // must go to exactly one worker, whose lanes 0 ... lanes - 1 are each one lane of a warp; a half warp a run
  // exactly where 16 lanes reach every piece (121 elements: 6 + 121 = 127 < 128).
  for (int n : {1, 55, 110, 121, 122, 220, 600}) {
    for (int workers : {1, 4, 8}) {
      for (int channels : {1, 5, 16, 95, 96, 128}) {
        CAPTURE(n);
        CAPTURE(workers);
        CAPTURE(channels);
        const int lanes = n <= 121 ? 16 : 32;
        std::vector<int> seats(static_cast<std::size_t>(32 * workers), 0);  // (worker, lane) of RunWorker
        std::vector<int> writes(static_cast<std::size_t>(channels), 0);
        int wrong = 0;
        for (int warp = 0; warp < workers; ++warp) {
          for (int lane = 0; lane < 32; ++lane) {
            const kconv::stem::RunWorker w = kconv::stem::RunWorkerOf(n, lane, warp, workers);
            const bool in_range = w.lanes == lanes && w.workers * w.lanes == 32 * workers && w.worker >= 0 &&
                                  w.worker < w.workers && w.lane >= 0 && w.lane < w.lanes;
            if (!in_range) {
              ++wrong;
              continue;
            }
            ++seats[static_cast<std::size_t>(w.worker * w.lanes + w.lane)];
            if (w.lane != 0) continue;  // a worker's channels, once
            kconv::stem::ForEachRunPass<4>(channels, w, [&](const int (&channel)[4], const bool (&real)[4]) {
              for (int r = 0; r < 4; ++r) {
                if (channel[r] < 0 || channel[r] >= channels) ++wrong;
                else if (real[r]) ++writes[static_cast<std::size_t>(channel[r])];
              }
            });
          }
        }
        int wrong_seats = 0, wrong_writes = 0;
        for (int s : seats) wrong_seats += s != 1;
        for (int c : writes) wrong_writes += c != 1;
        CHECK(wrong == 0);
        CHECK(wrong_seats == 0);
        CHECK(wrong_writes == 0);
      }
    }
  }
}

TEST_CASE("stem_wgmma_tf32.run_heads_stay_in_range_for_any_channel_and_plane") {
  // The head's arithmetic is mod 8 throughout: any channel and plane size (up to the int64 a shape allows).
  const kconv::stem::RunHeads heads = kconv::stem::RunHeadsAt(6, int64_t{1} << 40, (int64_t{1} << 40) + 3);
  for (int n = 0; n < 1024; ++n) {
    const uint64_t element = 3 + (uint64_t{1} << 40) + static_cast<uint64_t>(n) * ((uint64_t{1} << 40) + 3);
    CHECK(heads.Of(n) == static_cast<int>(element % 8));
  }
}

TEST_CASE("stem_wgmma_tf32.a_bulk_copy_of_the_whole_pieces_and_the_partial_pieces_write_each_element_once") {
  // The copy engine's way (WriteTileInTypeBulk): each run's whole pieces by one bulk copy (WholePiecesOf), its
  // partial pieces across lanes (WritePartialPieces). Together they must write each element once, the copy from
  // and to 16-byte boundaries in whole pieces, and no lane store more than one element a run.
  for (int n = 1; n <= 600; ++n) {
    for (int head = 0; head < 8; ++head) {
      CAPTURE(n);
      CAPTURE(head);
      std::vector<int> writes(static_cast<std::size_t>(n), 0);
      const kconv::stem::PieceRange whole = kconv::stem::WholePiecesOf(head, n);
      int outside = 0, crowded = 0;
      for (int i = whole.first; i < whole.first + whole.count; ++i) {
        for (int j = 0; j < 8; ++j) {
          const int e = 8 * i + j - head;
          if (e < 0 || e >= n) {
            ++outside;
            continue;
          }
          ++writes[static_cast<std::size_t>(e)];
        }
      }
      const int heads[1] = {head};
      const bool real[1] = {true};
      for (int lane = 0; lane < 32; ++lane) {
        int stores = 0;
        kconv::stem::WritePartialPieces<1>(
            heads, real, n, lane, [&](int, int e) { return e; },
            [&](int, int e, int v) {
              ++stores;
              if (e < 0 || e >= n || v != e) {
                ++outside;
                return;
              }
              ++writes[static_cast<std::size_t>(e)];
            });
        crowded += stores > 1 || (lane >= 16 && stores > 0);
      }
      int wrong_count = 0;
      for (int w : writes) wrong_count += w != 1;
      CHECK(whole.count >= 0);
      CHECK(wrong_count == 0);
      CHECK(outside == 0);
      CHECK(crowded == 0);
    }
  }
}
