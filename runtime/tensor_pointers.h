// SPDX-License-Identifier: Apache-2.0
// The checks every call's tensor pointers pass before kconv touches them, on the device and host paths.
#pragma once

#include "absl/status/status.h"
#include "runtime/conv_shape.h"
#include "runtime/kernel_family.h"

namespace kconv {

// OK if the tensors of one call can hold `shape`: x, w and y non-zero; bias given iff the shape has one;
// each aligned to its element type (the bias is fp32); no tensor's bytes running past the end of the
// address space; and y not overlapping x, w or the bias. Else INVALID_ARGUMENT naming the pointer.
absl::Status CheckTensorPointers(const ConvShape& shape, const TensorPointers& tensors);

}  // namespace kconv
