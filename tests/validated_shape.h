// SPDX-License-Identifier: Apache-2.0
// A test shape validated into the runtime's ConvShape, for CPU tests of host-side geometry and choice.
#pragma once

#include <doctest/doctest.h>

#include "prelude.h"
#include "runtime/conv_shape.h"

namespace kconv_test {

inline kconv::ConvShape Validated(const Shape& s) {
  const kconv_conv_desc d = s.Desc();
  auto shape = kconv::ValidateConvDesc(&d);
  REQUIRE(shape.ok());
  return *shape;
}

// The same in another element type, layout and math mode.
inline kconv::ConvShape ValidatedIn(const Shape& s, kconv_element_type type, kconv_layout layout, kconv_math_mode math) {
  kconv_conv_desc d = s.Desc();
  d.element_type = type;
  d.layout = layout;
  d.math_mode = math;
  auto shape = kconv::ValidateConvDesc(&d);
  REQUIRE(shape.ok());
  return *shape;
}

}  // namespace kconv_test
