// SPDX-License-Identifier: Apache-2.0
// tools/tensor_modes: fp16 and bf16 rounding against known bit patterns and every 16-bit value, and the
// layouts' element order (CTest: tools_tensor_modes).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <string.h>

#include <cmath>
#include <random>
#include <vector>

#include "tools/tensor_modes.h"

using kconv_tools::Bf16Bits;
using kconv_tools::Bf16Value;
using kconv_tools::HalfBits;
using kconv_tools::HalfValue;

TEST_CASE("tensor_modes.half_rounds_to_nearest_even") {
  CHECK(HalfBits(1.f) == 0x3c00);
  CHECK(HalfBits(-2.f) == 0xc000);
  CHECK(HalfBits(0.f) == 0x0000);
  CHECK(HalfBits(-0.f) == 0x8000);
  CHECK(HalfBits(65504.f) == 0x7bff);
  CHECK(HalfBits(65519.f) == 0x7bff);
  CHECK(HalfBits(65520.f) == 0x7c00);  // the tie past the largest finite rounds to infinity (even)
  CHECK(HalfBits(1e9f) == 0x7c00);
  CHECK(HalfBits(-INFINITY) == 0xfc00);
  CHECK((HalfBits(NAN) & 0x7c00) == 0x7c00);
  CHECK((HalfBits(NAN) & 0x03ff) != 0);
  CHECK(HalfBits(1.f + 0x1p-11f) == 0x3c00);      // a tie: to the even 1.0
  CHECK(HalfBits(1.f + 3 * 0x1p-11f) == 0x3c02);  // a tie: to the even neighbour above
  CHECK(HalfBits(1.f + 0x1p-11f + 0x1p-20f) == 0x3c01);
  CHECK(HalfBits(0x1p-14f) == 0x0400);  // the smallest normal
  CHECK(HalfBits(0x1p-24f) == 0x0001);  // the smallest subnormal
  CHECK(HalfBits(0x1p-25f) == 0x0000);  // a tie: to zero (even)
  CHECK(HalfBits(1.5f * 0x1p-24f) == 0x0002);
  CHECK(HalfBits(-0x1p-24f * 1023.f) == 0x83ff);
  CHECK(HalfBits(0x1p-14f - 0x1p-26f) == 0x0400);  // rounds up out of the subnormals
}

TEST_CASE("tensor_modes.every_16_bit_value_round_trips_and_rounding_picks_the_nearest") {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const uint16_t bits = static_cast<uint16_t>(b);
    if ((bits & 0x7c00) != 0x7c00 || (bits & 0x03ff) == 0) {  // not a NaN
      CHECK(HalfBits(HalfValue(bits)) == bits);
    }
    if ((bits & 0x7f80) != 0x7f80 || (bits & 0x007f) == 0) {
      CHECK(Bf16Bits(Bf16Value(bits)) == bits);
    }
  }
  // Random values: the rounded value is no farther than either neighbour of it.
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-70000.f, 70000.f);
  std::uniform_int_distribution<int> e(-30, 15);
  int far = 0;
  for (int i = 0; i < 200000; ++i) {
    const float v = i % 2 ? u(rng) : std::ldexp(u(rng) / 70000.f, e(rng));
    for (bool half : {true, false}) {
      const uint16_t r = half ? HalfBits(v) : Bf16Bits(v);
      const float value = half ? HalfValue(r) : Bf16Value(r);
      if (std::isinf(value)) continue;
      const uint16_t magnitude = r & 0x7fff, sign = r & 0x8000;
      for (int step : {-1, 1}) {
        if (magnitude == 0 && step < 0) continue;
        const uint16_t neighbour = static_cast<uint16_t>(sign | (magnitude + step));
        const float n = half ? HalfValue(neighbour) : Bf16Value(neighbour);
        if (std::isfinite(n) && std::fabs(static_cast<double>(n) - v) < std::fabs(static_cast<double>(value) - v)) ++far;
      }
    }
  }
  CHECK(far == 0);
}

TEST_CASE("tensor_modes.nhwc_puts_a_pixels_channels_together_and_converts_back") {
  const int64_t n = 2, c = 3, h = 2, w = 5;
  std::vector<float> x(static_cast<size_t>(n * c * h * w));
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.1f * static_cast<float>(i) - 1.f;
  const std::vector<uint8_t> nhwc = kconv_tools::ToDevice(x, n, c, h, w, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC);
  REQUIRE(nhwc.size() == x.size() * 4);
  float second;
  memcpy(&second, nhwc.data() + 4, 4);
  CHECK(second == x[static_cast<size_t>(h * w)]);  // channel 1 of pixel (0, 0)
  CHECK(kconv_tools::FromDevice(nhwc, n, c, h, w, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC) == x);
  for (kconv_element_type type : {KCONV_ELEMENT_F16, KCONV_ELEMENT_BF16}) {
    for (kconv_layout layout : {KCONV_LAYOUT_NCHW, KCONV_LAYOUT_NHWC}) {
      const std::vector<uint8_t> bytes = kconv_tools::ToDevice(x, n, c, h, w, type, layout);
      REQUIRE(bytes.size() == x.size() * 2);
      const std::vector<float> back = kconv_tools::FromDevice(bytes, n, c, h, w, type, layout);
      for (size_t i = 0; i < x.size(); ++i) CHECK(back[i] == kconv_tools::RoundedTo(x[i], type));
    }
  }
}
