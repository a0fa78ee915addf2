// SPDX-License-Identifier: Apache-2.0
// Device memory is host memory: a device pointer is the address of a 256-byte aligned host block, so that
// copies and fills are memcpy and memset, and every pointer handed in is checked against the live blocks
// (a freed or foreign pointer is refused as misuse, never written through).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iterator>

#include "fake_entry_points.h"
#include "fake_state.h"

namespace fake {
namespace {

constexpr size_t kAlignment = 256;  // what cuMemAlloc guarantees

std::string Hex(uintptr_t value) {
  char text[32];
  snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

// `stream` (null for cuMemAlloc): a created stream's allocations come from its own device's pool, as the
// driver's stream-ordered allocator takes them, whatever context is current.
CUresult Allocate(Call& call, CUdeviceptr* pointer, size_t bytes, CUstream stream = nullptr) {
  if (pointer == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "pointer is NULL");
  if (bytes == 0) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "0 bytes");
  CUresult error = CUDA_SUCCESS;
  CUcontext context = call.RequireContext(&error);
  if (context == nullptr) return error;
  if (call.s().streams.count(stream) > 0) context = stream->context;
  State& s = call.s();
  if (bytes > s.devices[context->device].total_memory - static_cast<uint64_t>(s.allocated_bytes) ||
      s.allocated_bytes > static_cast<int64_t>(s.devices[context->device].total_memory)) {
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  void* block = aligned_alloc(kAlignment, (bytes + kAlignment - 1) / kAlignment * kAlignment);
  if (block == nullptr) return CUDA_ERROR_OUT_OF_MEMORY;
  s.allocations[reinterpret_cast<uintptr_t>(block)] = Allocation{bytes, context->device};
  s.allocated_bytes += static_cast<int64_t>(bytes);
  *pointer = reinterpret_cast<CUdeviceptr>(block);
  return CUDA_SUCCESS;
}

CUresult Free(Call& call, CUdeviceptr pointer) {
  CUresult error = CUDA_SUCCESS;
  if (call.RequireContext(&error) == nullptr) return error;
  if (pointer == 0) return CUDA_SUCCESS;
  State& s = call.s();
  auto it = s.allocations.find(static_cast<uintptr_t>(pointer));
  if (it == s.allocations.end()) {
    return call.Misuse(CUDA_ERROR_INVALID_VALUE, Hex(pointer) + " is not a live allocation (freed twice?)");
  }
  s.allocated_bytes -= static_cast<int64_t>(it->second.bytes);
  free(reinterpret_cast<void*>(it->first));
  s.allocations.erase(it);
  return CUDA_SUCCESS;
}

// [pointer, pointer + bytes) inside one live device allocation, with a current context.
CUresult CheckDeviceRange(Call& call, CUdeviceptr pointer, size_t bytes, const char* what) {
  CUresult error = CUDA_SUCCESS;
  if (call.RequireContext(&error) == nullptr) return error;
  if (call.DeviceRange(pointer, bytes) == nullptr) {
    return call.Misuse(CUDA_ERROR_INVALID_VALUE, std::string(what) + " [" + Hex(pointer) + ", +" +
                                                     std::to_string(bytes) + ") is not inside a live allocation");
  }
  return CUDA_SUCCESS;
}

// Whether `pointer` lies inside a live cuMemHostAlloc block.
bool InHostBlock(Call& call, CUdeviceptr pointer) {
  const auto& blocks = call.s().host_allocations;
  auto after = blocks.upper_bound(static_cast<uintptr_t>(pointer));
  return after != blocks.begin() && static_cast<uintptr_t>(pointer) - std::prev(after)->first < std::prev(after)->second.bytes;
}

CUresult Fill(Call& call, CUdeviceptr destination, unsigned int value, size_t count) {
  if (destination % 4 != 0) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "destination is not 4-byte aligned");
  if (CUresult r = CheckDeviceRange(call, destination, count * 4, "destination"); r != CUDA_SUCCESS) return r;
  auto* words = reinterpret_cast<unsigned int*>(destination);
  for (size_t i = 0; i < count; ++i) words[i] = value;
  return CUDA_SUCCESS;
}

}  // namespace

CUresult cuMemAlloc(CUdeviceptr* pointer, size_t bytes) {
  Call call("cuMemAlloc");
  if (call.fault()) return call.fault();
  return Allocate(call, pointer, bytes);
}

CUresult cuMemFree(CUdeviceptr pointer) {
  Call call("cuMemFree");
  if (call.fault()) return call.fault();
  return Free(call, pointer);
}

CUresult cuMemAllocAsync(CUdeviceptr* pointer, size_t bytes, CUstream stream) {
  Call call("cuMemAllocAsync");
  if (call.fault()) return call.fault();
  if (!call.ValidStream(stream)) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "unknown stream");
  return Allocate(call, pointer, bytes, stream);
}

CUresult cuMemFreeAsync(CUdeviceptr pointer, CUstream stream) {
  Call call("cuMemFreeAsync");
  if (call.fault()) return call.fault();
  if (!call.ValidStream(stream)) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "unknown stream");
  return Free(call, pointer);
}

CUresult cuMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  Call call("cuMemGetInfo");
  if (call.fault()) return call.fault();
  if (free_bytes == nullptr || total_bytes == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "NULL output");
  CUresult error = CUDA_SUCCESS;
  CUcontext context = call.RequireContext(&error);
  if (context == nullptr) return error;
  const uint64_t total = call.s().devices[context->device].total_memory;
  const uint64_t used = static_cast<uint64_t>(call.s().allocated_bytes);
  *total_bytes = static_cast<size_t>(total);
  *free_bytes = static_cast<size_t>(used < total ? total - used : 0);
  return CUDA_SUCCESS;
}

CUresult cuMemcpyHtoD(CUdeviceptr destination, const void* source, size_t bytes) {
  Call call("cuMemcpyHtoD");
  if (call.fault()) return call.fault();
  if (source == nullptr && bytes > 0) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "source is NULL");
  if (CUresult r = CheckDeviceRange(call, destination, bytes, "destination"); r != CUDA_SUCCESS) return r;
  if (bytes > 0) memcpy(reinterpret_cast<void*>(destination), source, bytes);
  return CUDA_SUCCESS;
}

CUresult cuMemcpyDtoH(void* destination, CUdeviceptr source, size_t bytes) {
  Call call("cuMemcpyDtoH");
  if (call.fault()) return call.fault();
  if (destination == nullptr && bytes > 0) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "destination is NULL");
  if (CUresult r = CheckDeviceRange(call, source, bytes, "source"); r != CUDA_SUCCESS) return r;
  if (bytes > 0) memcpy(destination, reinterpret_cast<const void*>(source), bytes);
  return CUDA_SUCCESS;
}

CUresult cuMemsetD32(CUdeviceptr destination, unsigned int value, size_t count) {
  Call call("cuMemsetD32");
  if (call.fault()) return call.fault();
  return Fill(call, destination, value, count);
}

CUresult cuMemsetD32Async(CUdeviceptr destination, unsigned int value, size_t count, CUstream stream) {
  Call call("cuMemsetD32Async");
  if (call.fault()) return call.fault();
  if (!call.ValidStream(stream)) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "unknown stream");
  return Fill(call, destination, value, count);
}

CUresult cuMemHostAlloc(void** pointer, size_t bytes, unsigned int flags) {
  Call call("cuMemHostAlloc");
  if (call.fault()) return call.fault();
  if (pointer == nullptr || bytes == 0) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "NULL pointer or 0 bytes");
  constexpr unsigned kKnown = CU_MEMHOSTALLOC_PORTABLE | CU_MEMHOSTALLOC_DEVICEMAP | CU_MEMHOSTALLOC_WRITECOMBINED;
  if (flags & ~kKnown) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "unknown flags");
  CUresult error = CUDA_SUCCESS;
  if (call.RequireContext(&error) == nullptr) return error;
  void* block = calloc(1, bytes);
  if (block == nullptr) return CUDA_ERROR_OUT_OF_MEMORY;
  call.s().host_allocations[reinterpret_cast<uintptr_t>(block)] = HostAllocation{bytes, flags};
  *pointer = block;
  return CUDA_SUCCESS;
}

CUresult cuMemHostGetDevicePointer(CUdeviceptr* device_pointer, void* host_pointer, unsigned int flags) {
  Call call("cuMemHostGetDevicePointer");
  if (call.fault()) return call.fault();
  if (device_pointer == nullptr || flags != 0) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "NULL output or flags != 0");
  if (!InHostBlock(call, reinterpret_cast<CUdeviceptr>(host_pointer))) {
    return call.Misuse(CUDA_ERROR_INVALID_VALUE, "not inside a cuMemHostAlloc block");
  }
  *device_pointer = reinterpret_cast<CUdeviceptr>(host_pointer);  // unified addressing: the same address
  return CUDA_SUCCESS;
}

CUresult cuMemFreeHost(void* pointer) {
  Call call("cuMemFreeHost");
  if (call.fault()) return call.fault();
  auto& blocks = call.s().host_allocations;
  auto it = blocks.find(reinterpret_cast<uintptr_t>(pointer));
  if (it == blocks.end()) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "not a live cuMemHostAlloc block");
  free(pointer);
  blocks.erase(it);
  return CUDA_SUCCESS;
}

// The attributes kconv asks cuPointerGetAttributes about, answered as the real driver does: device memory
// (its device, never managed), mapped host memory, and for an address the driver does not know, success
// with default values (memory type 0; the fake's device ordinal -2, a recognisable value). Attributes the
// driver does not list for this function (CU_POINTER_ATTRIBUTE_ACCESS_FLAGS among them) are refused.
CUresult cuPointerGetAttributes(unsigned int count, CUpointer_attribute* attributes, void** data, CUdeviceptr pointer) {
  Call call("cuPointerGetAttributes");
  if (call.fault()) return call.fault();
  if (count == 0 || attributes == nullptr || data == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "no attributes");
  CUresult error = CUDA_SUCCESS;
  CUcontext context = call.RequireContext(&error);
  if (context == nullptr) return error;
  const Allocation* device_block = call.DeviceRange(pointer, 1);
  const bool host_block = InHostBlock(call, pointer);
  for (unsigned i = 0; i < count; ++i) {
    if (data[i] == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "a NULL data slot");
    switch (attributes[i]) {
      case CU_POINTER_ATTRIBUTE_MEMORY_TYPE:
        *static_cast<unsigned*>(data[i]) =
            device_block ? unsigned{CU_MEMORYTYPE_DEVICE} : host_block ? unsigned{CU_MEMORYTYPE_HOST} : 0u;
        break;
      case CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL:
        *static_cast<int*>(data[i]) = device_block ? device_block->device : host_block ? context->device : -2;
        break;
      case CU_POINTER_ATTRIBUTE_IS_MANAGED:
        *static_cast<bool*>(data[i]) = false;
        break;
      default:
        return call.Misuse(CUDA_ERROR_INVALID_VALUE, "an attribute cuPointerGetAttributes does not take");
    }
  }
  return CUDA_SUCCESS;
}

// CU_POINTER_ATTRIBUTE_DEVICE_POINTER only: the address through which kernels of the current context reach
// `pointer` (the same address, with unified addressing), or CUDA_ERROR_INVALID_VALUE when they cannot (another
// device's memory without peer access, or memory the driver does not know).
CUresult cuPointerGetAttribute(void* data, CUpointer_attribute attribute, CUdeviceptr pointer) {
  Call call("cuPointerGetAttribute");
  if (call.fault()) return call.fault();
  if (data == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "data is NULL");
  if (attribute != CU_POINTER_ATTRIBUTE_DEVICE_POINTER) {
    return call.Misuse(CUDA_ERROR_INVALID_VALUE, "an attribute the fake does not implement");
  }
  CUresult error = CUDA_SUCCESS;
  CUcontext context = call.RequireContext(&error);
  if (context == nullptr) return error;
  const Allocation* device_block = call.DeviceRange(pointer, 1);
  const bool reachable =
      InHostBlock(call, pointer) ||
      (device_block != nullptr && (device_block->device == context->device ||
                                   call.s().peer_access.count({context->device, device_block->device}) > 0));
  if (!reachable) return CUDA_ERROR_INVALID_VALUE;
  *static_cast<CUdeviceptr*>(data) = pointer;
  return CUDA_SUCCESS;
}

}  // namespace fake
