// SPDX-License-Identifier: Apache-2.0
// The portable stem family's 16-bit epilogue (families/stem_common/paired_stores.h), on the CPU: for runs of every
// start parity and length a tile can give, the 32 lanes' paired stores write each element once, every pair at an
// even output element (a 4-byte aligned store), and read only the run's elements.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "families/stem_common/paired_stores.h"

namespace {

// Runs WritePairedRuns over 32 lanes for kRuns runs of n elements at once, run r starting at output element
// start[r]: each run's elements written once, with its own values, every pair at an even output element, and no
// element read or written outside the runs.
template <int kPairs, int kRuns>
void CheckRuns(const int64_t (&start)[kRuns], int n) {
  int head[kRuns];
  for (int r = 0; r < kRuns; ++r) head[r] = static_cast<int>(start[r] & 1);
  std::vector<int> writes(static_cast<std::size_t>(kRuns * n), 0);
  int misaligned = 0, outside = 0;
  auto value = [](int r, int e) { return static_cast<float>(1000 * r + e); };
  auto write = [&](int r, int e, float v) {
    if (r < 0 || r >= kRuns || e < 0 || e >= n || v != value(r, e)) {
      ++outside;
      return;
    }
    ++writes[static_cast<std::size_t>(r * n + e)];
  };
  for (int lane = 0; lane < 32; ++lane) {
    kconv::stem::WritePairedRuns<kPairs, kRuns>(
        head, n, lane,
        [&](int r, int e) {
          if (e < 0 || e >= n) ++outside;
          return value(r, e);
        },
        [&](int r, int e, float v0, float v1) {
          if ((start[r] + e) % 2 != 0) ++misaligned;
          write(r, e, v0);
          write(r, e + 1, v1);
        },
        [&](int r, int e, float v) { write(r, e, v); });
  }
  int wrong = 0;
  for (int w : writes) wrong += w != 1;
  CHECK(wrong == 0);
  CHECK(misaligned == 0);
  CHECK(outside == 0);
}

}  // namespace

TEST_CASE("stem_wgmma_tf32.paired_stores_write_each_element_once_in_aligned_pairs") {
  // Runs of one to five rows of AlexNet's 55 pixels and of other widths, at even and odd starts (AlexNet's
  // channel planes are 3025 elements: consecutive channels' runs alternate).
  for (int n = 1; n <= 300; ++n) {
    for (const int64_t start : {int64_t{0}, int64_t{1}, int64_t{3025}, int64_t{3025} * 2 + 55, int64_t{1} << 33}) {
      CAPTURE(n);
      CAPTURE(start);
      const int64_t one[1] = {start};
      CheckRuns<1>(one, n);
      CheckRuns<4>(one, n);
    }
  }
}

TEST_CASE("stem_wgmma_tf32.paired_stores_of_two_runs_at_once_keep_each_run_whole") {
  // Two channels of a tile at once (the 16-bit epilogue's passes), of equal and of opposite start parities.
  for (int n = 1; n <= 600; ++n) {
    for (const auto& [start0, start1] : {std::pair<int64_t, int64_t>{0, 3025}, std::pair<int64_t, int64_t>{3025, 6050},
                                         std::pair<int64_t, int64_t>{2, 4}, std::pair<int64_t, int64_t>{1, 3}}) {
      CAPTURE(n);
      CAPTURE(start0);
      CAPTURE(start1);
      const int64_t two[2] = {start0, start1};
      CheckRuns<4>(two, n);
    }
  }
}
