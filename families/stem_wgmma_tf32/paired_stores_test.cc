// SPDX-License-Identifier: Apache-2.0
// The pair-row kernels' 16-bit epilogue (families/stem_common/paired_stores.h), on the CPU: for runs of every
// start parity and length a tile can give, the 32 lanes' paired stores write each element once, every pair at an
// even output element (a 4-byte aligned store), and read only the run's elements.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "families/stem_common/paired_stores.h"

namespace {

// Runs WritePairedRun over 32 lanes; counts the writes of each element and the misplaced accesses.
template <int kPairs>
void CheckRun(int64_t start, int n) {
  std::vector<int> writes(static_cast<std::size_t>(n), 0);
  int misaligned = 0, outside = 0;
  for (int lane = 0; lane < 32; ++lane) {
    kconv::stem::WritePairedRun<kPairs>(
        start, n, lane,
        [&](int e) {
          if (e < 0 || e >= n) ++outside;
          return static_cast<float>(e);
        },
        [&](int e, float v0, float v1) {
          if ((start + e) % 2 != 0) ++misaligned;
          if (e < 0 || e + 1 >= n || v0 != static_cast<float>(e) || v1 != static_cast<float>(e + 1)) {
            ++outside;
            return;
          }
          ++writes[static_cast<std::size_t>(e)];
          ++writes[static_cast<std::size_t>(e + 1)];
        },
        [&](int e, float v) {
          if (e < 0 || e >= n || v != static_cast<float>(e)) {
            ++outside;
            return;
          }
          ++writes[static_cast<std::size_t>(e)];
        });
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
      CheckRun<1>(start, n);
      CheckRun<4>(start, n);
    }
  }
}
