// SPDX-License-Identifier: Apache-2.0
// For the Hopper stem family's pair-row band tests (NCHW's and NHWC's), on the CPU: the weights as the pair-row
// packer places them, and the products wgmma k16 forms from a band through the plan's unit table (each step's
// start and LBO, SBO = 128) and those weights. Test code only.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "families/stem_common/stem_params.h"
#include "families/stem_wgmma_tf32/traits.h"

namespace kconv_test {

// w (KCRS) packed in k16 step images of 96 channels (WgmmaWeightOffset16<96>, in elements): element e (0-15) of
// channel n at step s is w[n][tap] where tap(unit 2s + e / 8, element e % 8, &c, &r, &col) is true, else zero.
template <class Tap>
std::vector<float> PackK16Weights(const kconv::StemParams& p, int64_t k, int64_t r, int64_t s,
                                  const std::vector<float>& w, Tap tap) {
  std::vector<float> packed(static_cast<size_t>(p.steps) * 96 * 16, 0.f);
  for (int step = 0; step < p.steps; ++step)
    for (int n = 0; n < 96; ++n)
      for (int e = 0; e < 16; ++e) {
        int32_t c = 0, row = 0, col = 0;
        const bool real = tap(2 * step + e / 8, e % 8, &c, &row, &col);
        packed[static_cast<size_t>(kconv::stem_wgmma_tf32::WgmmaWeightOffset16<96>(p.steps, step, n, e) / 2)] =
            n < k && real ? w[static_cast<size_t>(((n * p.c + c) * r + row) * s + col)] : 0.f;
      }
  return packed;
}

// For pixel m < pixels of the m64 piece at byte offset `piece` of `band` (16-bit elements as floats, the first
// `limit` of them real) and channel n < k, every k16 step's products: add(m, n, product). A (pixel m, element e) is
// at the step's first unit + (e / 8) * LBO + (m / 8) * 128 + (m % 8) * 16 + 2 (e % 8) bytes from the piece; B
// (e, channel n) likewise in the step's image, LBO 96 * 16 bytes.
template <class Add>
void AddK16Products(const kconv::StemParams& p, const std::vector<float>& band, int64_t limit,
                    const std::vector<float>& packed, int64_t piece, int64_t pixels, int64_t k, Add add) {
  for (int step = 0; step < p.steps; ++step) {
    const int64_t first = p.chunk_offset[2 * step], lbo = p.chunk_offset[2 * step + 1] - first;
    REQUIRE(lbo >= 0);
    REQUIRE(lbo % 16 == 0);
    REQUIRE(lbo / 16 < (1 << 14));
    for (int64_t m = 0; m < pixels; ++m)
      for (int e = 0; e < 16; ++e) {
        const int64_t a = (piece + first + (e / 8) * lbo + (m / 8) * 128 + (m % 8) * 16 + 2 * (e % 8)) / 2;
        REQUIRE(a < limit);  // a real pixel reads inside the band
        const double av = band[static_cast<size_t>(a)];
        for (int64_t n = 0; n < k; ++n) {
          const int64_t b = (step * 96 * 32 + (e / 8) * 96 * 16 + (n / 8) * 128 + (n % 8) * 16 + 2 * (e % 8)) / 2;
          add(m, n, av * packed[static_cast<size_t>(b)]);
        }
      }
  }
}

}  // namespace kconv_test
