// SPDX-License-Identifier: Apache-2.0
#include "runtime/device_pointers.h"

#include <stdint.h>

#include "absl/strings/str_format.h"

namespace kconv {
namespace {

// The device memory of another device at `address`, as the driver describes it; ordinal -1 for anything else
// (host, managed, this device's or unknown memory, or a query that failed).
int ForeignDevice(const DriverApi* api, CUdevice own, uint64_t address) {
  CUpointer_attribute which[] = {CU_POINTER_ATTRIBUTE_MEMORY_TYPE, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL,
                                 CU_POINTER_ATTRIBUTE_IS_MANAGED};
  // Zeroed 8-byte slots, narrowed after: the driver writes an enum, an int and a bool, and leaves the rest
  // of a slot zero. For an address it does not know it succeeds with default values.
  uint64_t slots[3] = {};
  void* data[3] = {&slots[0], &slots[1], &slots[2]};
  if (api->cuPointerGetAttributes(3, which, data, static_cast<CUdeviceptr>(address)) != CUDA_SUCCESS) return -1;
  const uint32_t memory_type = static_cast<uint32_t>(slots[0]);
  const int32_t ordinal = static_cast<int32_t>(static_cast<uint32_t>(slots[1]));
  const bool managed = static_cast<uint32_t>(slots[2]) != 0;
  if (memory_type != CU_MEMORYTYPE_DEVICE || managed || ordinal < 0 || ordinal == own) return -1;
  return ordinal;
}

// Whether kernels of the current context can address `address` (peer access, or a mapping opened to it).
bool ReachableFromCurrentContext(const DriverApi* api, uint64_t address) {
  CUdeviceptr mapped = 0;
  return api->cuPointerGetAttribute(&mapped, CU_POINTER_ATTRIBUTE_DEVICE_POINTER,
                                    static_cast<CUdeviceptr>(address)) == CUDA_SUCCESS;
}

}  // namespace

absl::Status CheckTensorsReachable(const DeviceContext& device, const TensorPointers& t) {
  const DriverApi* api = device.api();
  if (device.visible_devices() < 2 || api->cuPointerGetAttributes == nullptr || api->cuPointerGetAttribute == nullptr) {
    return absl::OkStatus();
  }
  struct Tensor {
    const char* name;
    uint64_t address;
  };
  for (const Tensor& p : {Tensor{"x", t.x}, Tensor{"w", t.w}, Tensor{"bias", t.bias}, Tensor{"y", t.y}}) {
    if (p.address == 0) continue;
    const int foreign = ForeignDevice(api, device.device(), p.address);
    if (foreign < 0 || ReachableFromCurrentContext(api, p.address)) continue;
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s = 0x%x is memory of CUDA device %d, but this kconv context runs on device %d, which cannot reach it "
        "(no peer access): use a context of device %d (kconv_context_options.device_ordinal), or copy the tensor",
        p.name, p.address, foreign, static_cast<int>(device.device()), foreign));
  }
  return absl::OkStatus();
}

}  // namespace kconv
