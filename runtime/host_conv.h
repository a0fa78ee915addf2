// SPDX-License-Identifier: Apache-2.0
// The reference host (CPU) convolution: fp32 tensors, float64 accumulation, one thread, plain loops. The
// tests compare every path against it; kconv_host_options.reference selects it.
#pragma once

#include "runtime/conv_shape.h"

namespace kconv {

// x, w, y must be non-null and sized for `shape`; bias non-null iff shape.has_bias.
void HostConvReference(const ConvShape& shape, const float* x, const float* w, const float* bias, float* y);

}  // namespace kconv
