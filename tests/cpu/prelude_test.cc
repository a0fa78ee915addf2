// SPDX-License-Identifier: Apache-2.0
// The test prelude's error measure, which every accuracy bar of the suites goes through.
#include <doctest/doctest.h>

#include <cmath>

#include "prelude.h"

TEST_CASE("test_prelude.relative_l2_counts_reference_values_as_at_least_the_floor") {
  // One fp16 output of 6.3e-7, rounded to the nearest multiple of 2^-24: 3% off, what fp16 holds there.
  const double ref[] = {6.3e-7};
  const float out[] = {static_cast<float>(std::nearbyint(6.3e-7 * 0x1p24) * 0x1p-24)};
  CHECK(kconv_test::RelativeL2(out, ref, 1) > 1e-2);
  CHECK(kconv_test::RelativeL2(out, ref, 1, 0x1p-14) < 5e-4);
  // Values above the floor keep the plain measure, and a NaN is still infinite.
  const double big[] = {3.0, -4.0};
  const float off[] = {3.0f, -4.5f};
  CHECK(kconv_test::RelativeL2(off, big, 2, 0x1p-14) == doctest::Approx(0.1));
  const float unwritten[] = {3.0f, NAN};
  CHECK(std::isinf(kconv_test::RelativeL2(unwritten, big, 2, 0x1p-14)));
}
