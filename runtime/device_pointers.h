// SPDX-License-Identifier: Apache-2.0
// Whether a call's tensors are memory this context's device can reach: with several devices visible, a
// pointer into another device's memory would make the kernel fault (a sticky error that ruins the CUDA
// context for every later call of the process), so it is refused before the launch.
#pragma once

#include "absl/status/status.h"
#include "runtime/device_context.h"
#include "runtime/kernel_family.h"

namespace kconv {

// OK unless one of the non-zero tensors is device memory (not managed) of another device that `device`'s
// device has no access to (CU_POINTER_ATTRIBUTE_ACCESS_FLAGS: none, or read-only for y; a driver older
// than CUDA 11.1, which cannot say, counts as no access): then INVALID_ARGUMENT naming the tensor and
// both devices. Host, managed and unknown memory pass, as do other devices' buffers opened to this device
// by peer access or cuMemSetAccess. With one visible device, or a driver without cuPointerGetAttributes,
// nothing is asked of the driver and the call costs nothing. Requires `device`'s context to be current.
absl::Status CheckTensorsReachable(const DeviceContext& device, const TensorPointers& tensors);

}  // namespace kconv
