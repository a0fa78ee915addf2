// SPDX-License-Identifier: Apache-2.0
#include "runtime/device_pointers.h"

#include <stdint.h>

#include "absl/strings/str_format.h"

namespace kconv {
namespace {

constexpr int kAccessFlagsDriver = 11010;  // CU_POINTER_ATTRIBUTE_ACCESS_FLAGS came with CUDA 11.1

struct Residency {
  bool known = false;  // the driver answered
  uint32_t memory_type = 0;
  int32_t ordinal = -1;
  bool managed = false;
  bool has_access_flags = false;
  uint32_t access_flags = 0;
};

// Every attribute is read into a zeroed 8-byte slot and narrowed: the driver writes a bool, an int or an
// enum, and what it leaves of a slot is zero either way.
Residency Query(const DriverApi* api, bool ask_access, uint64_t address) {
  CUpointer_attribute which[] = {CU_POINTER_ATTRIBUTE_MEMORY_TYPE, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL,
                                 CU_POINTER_ATTRIBUTE_IS_MANAGED, CU_POINTER_ATTRIBUTE_ACCESS_FLAGS};
  uint64_t slots[4] = {};
  void* data[4] = {&slots[0], &slots[1], &slots[2], &slots[3]};
  const unsigned count = ask_access ? 4 : 3;
  Residency r;
  // For an address the driver does not know, cuPointerGetAttributes succeeds with every value zero.
  if (api->cuPointerGetAttributes(count, which, data, static_cast<CUdeviceptr>(address)) != CUDA_SUCCESS) return r;
  r.known = true;
  r.memory_type = static_cast<uint32_t>(slots[0]);
  r.ordinal = static_cast<int32_t>(static_cast<uint32_t>(slots[1]));
  r.managed = static_cast<uint32_t>(slots[2]) != 0;
  r.has_access_flags = ask_access;
  r.access_flags = static_cast<uint32_t>(slots[3]);
  return r;
}

}  // namespace

absl::Status CheckTensorsReachable(const DeviceContext& device, const TensorPointers& t) {
  const DriverApi* api = device.api();
  if (device.visible_devices() < 2 || api->cuPointerGetAttributes == nullptr) return absl::OkStatus();
  const bool ask_access = device.driver_version() >= kAccessFlagsDriver;
  struct Tensor {
    const char* name;
    uint64_t address;
    bool written;
  };
  for (const Tensor& p : {Tensor{"x", t.x, false}, Tensor{"w", t.w, false}, Tensor{"bias", t.bias, false},
                          Tensor{"y", t.y, true}}) {
    if (p.address == 0) continue;
    const Residency r = Query(api, ask_access, p.address);
    if (!r.known || r.memory_type != CU_MEMORYTYPE_DEVICE || r.managed || r.ordinal == device.device()) continue;
    const uint32_t needed = p.written ? CU_POINTER_ATTRIBUTE_ACCESS_FLAG_READWRITE : CU_POINTER_ATTRIBUTE_ACCESS_FLAG_READ;
    if (r.has_access_flags && (r.access_flags & needed) == needed) continue;  // peer access or cuMemSetAccess
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s = 0x%x is memory of CUDA device %d, but this kconv context runs on device %d, which has no %s access "
        "to it: use a context of device %d (kconv_context_options.device_ordinal), or copy the tensor",
        p.name, p.address, r.ordinal, static_cast<int>(device.device()), p.written ? "write" : "read", r.ordinal));
  }
  return absl::OkStatus();
}

}  // namespace kconv
