// SPDX-License-Identifier: Apache-2.0
// The fast host (CPU) convolution: fp32 NCHW, fp32 accumulation, threads and vector registers.
#pragma once

#include "absl/status/status.h"
#include "runtime/conv_shape.h"
#include "runtime/host_microkernels.h"

namespace kconv {

// x, w, y must be non-null and sized for `shape`; bias non-null iff shape.has_bias; threads >= 1.
// RESOURCE_EXHAUSTED (y untouched) when the packed weights and the threads' panels do not fit in memory.
absl::Status HostConvFast(const ConvShape& shape, const float* x, const float* w, const float* bias, float* y,
                          int threads, const HostMicroKernel& kernel = BestHostMicroKernel());

}  // namespace kconv
