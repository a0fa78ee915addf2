// SPDX-License-Identifier: Apache-2.0
// Whether a call's tensors are memory this context's device can reach: with several devices visible, a
// pointer into another device's memory would make the kernel fault (a sticky error that ruins the CUDA
// context for every later call of the process), so it is refused before the launch.
#pragma once

#include "absl/status/status.h"
#include "runtime/device_context.h"
#include "runtime/kernel_family.h"

namespace kconv {

// OK unless one of the non-zero tensors is device memory (not managed) of another device that kernels in
// `device`'s context cannot reach: then INVALID_ARGUMENT naming the tensor and both devices. Asked of the
// driver in two steps: cuPointerGetAttributes for the memory type, device ordinal and managed flag, and only
// for another device's memory cuPointerGetAttribute(CU_POINTER_ATTRIBUTE_DEVICE_POINTER), which fails when
// the current context has no way to it (so peer access or cuMemSetAccess let a tensor through).
// Host, managed and unknown memory pass, as does memory of another context on the same device (the device
// can address it). With one visible device, or a driver without the two functions, nothing is asked and
// nothing is refused. Requires `device`'s context to be current.
absl::Status CheckTensorsReachable(const DeviceContext& device, const TensorPointers& tensors);

}  // namespace kconv
