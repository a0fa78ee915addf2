// SPDX-License-Identifier: Apache-2.0
// The shape flags kconv-bench and kconv-tune share (defined in shape_flags.cc): --preset=alexnet or
// resnet_stem, then any of the descriptor's fields given one by one, plus the shape's useful work and
// traffic for their reports.
#pragma once

#include <stdint.h>

#include "kconv/kconv.h"

namespace kconv_tools {

struct ShapeChoice {
  kconv_conv_desc desc;
  bool n_given;  // --n was given: kconv-bench's host path keeps it instead of its small batch
};

// The shape the flags describe, once they are parsed: the preset's descriptor, then every field given
// on the command line over it, whatever the order on the line: --stride, --pad and --dil set both
// dimensions, and --stride_h, --stride_w, ... one, over them. Not validated (kconv_conv_output_shape does).
ShapeChoice ShapeFromFlags();

struct ShapeDims {
  int64_t x, w, y, p, q;  // element counts of x, w, y; output height and width
};
ShapeDims DimsOf(const kconv_conv_desc& desc);

// 2 * output elements * C * R * S: the convolution's multiply-adds, not counting padding or rounding.
double UsefulFlops(const kconv_conv_desc& desc, const ShapeDims& dims);
// x, w, y and bias once each: the least traffic DRAM must carry.
double CompulsoryBytes(const kconv_conv_desc& desc, const ShapeDims& dims);

void PrintShape(const kconv_conv_desc& desc, const ShapeDims& dims);

}  // namespace kconv_tools
