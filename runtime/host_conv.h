// The host (CPU) convolution: fp32 tensors, float64 accumulation. No driver needed.
#pragma once

#include "runtime/conv_shape.h"

namespace kconv {

// x, w, y must be non-null and sized for `shape`; bias non-null iff shape.has_bias.
void HostConvForward(const ConvShape& shape, const float* x, const float* w, const float* bias, float* y);

}  // namespace kconv
