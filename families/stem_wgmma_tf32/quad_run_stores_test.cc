// SPDX-License-Identifier: Apache-2.0
// The channels-as-M kernels' 16-bit epilogue (families/stem_common/quad_run_stores.h), on the CPU: the four lanes
// of a quad, each holding elements 8i + 2t and 8i + 2t + 1 of a run as a wgmma accumulator row does, write every
// element of runs of 1 to 56 elements once, with the right value, every pair at an even position (a 4-byte
// aligned store), for runs that start at an even and at an odd position.
#include <doctest/doctest.h>

#include <cstddef>
#include <vector>

#include "families/stem_common/quad_run_stores.h"

namespace {

constexpr int kGroups = 7;  // N = 56

// Element e's value in the test: e itself, so a wrong element is seen.
float Value(int e) { return static_cast<float>(e); }

void CheckRun(int n, bool odd) {
  std::vector<int> writes(static_cast<std::size_t>(n), 0);
  int misaligned = 0, wrong = 0;
  for (int t = 0; t < 4; ++t) {
    float first[kGroups], second[kGroups], previous[kGroups];
    for (int i = 0; i < kGroups; ++i) {
      // What the lane holds (past the run: what the accumulators hold there, never written), and what the
      // kernel's shuffle gives it: the previous lane's second element, or for lane 0 lane 3's of the group before.
      first[i] = Value(8 * i + 2 * t);
      second[i] = Value(8 * i + 2 * t + 1);
      previous[i] = t > 0 ? Value(8 * i + 2 * (t - 1) + 1) : i > 0 ? Value(8 * (i - 1) + 7) : -1.f;
    }
    auto write = [&](int e, float v) {
      if (e < 0 || e >= n || v != Value(e)) {
        ++wrong;
        return;
      }
      ++writes[static_cast<std::size_t>(e)];
    };
    kconv::stem::WriteQuadRun<kGroups>(
        t, n, odd, first, second, previous,
        [&](int e, float v0, float v1) {
          if ((e + (odd ? 1 : 0)) % 2 != 0) ++misaligned;
          write(e, v0);
          write(e + 1, v1);
        },
        [&](int e, float v) { write(e, v); });
  }
  int not_once = 0;
  for (int w : writes) not_once += w != 1;
  CHECK(not_once == 0);
  CHECK(misaligned == 0);
  CHECK(wrong == 0);
}

}  // namespace

TEST_CASE("stem_wgmma_tf32.quad_run_stores_write_each_element_once_in_aligned_pairs") {
  for (int n = 1; n <= 8 * kGroups; ++n) {
    for (const bool odd : {false, true}) {
      CAPTURE(n);
      CAPTURE(odd);
      CheckRun(n, odd);
    }
  }
}
