// SPDX-License-Identifier: Apache-2.0
// Initialisation, error names, devices and contexts.
#include <string.h>

#include <algorithm>

#include "fake_entry_points.h"
#include "fake_state.h"

namespace fake {
namespace {

struct ErrorText {
  CUresult code;
  const char* name;
  const char* text;
};

// The results the fake returns or tests inject, with the real driver's names.
constexpr ErrorText kErrors[] = {
    {CUDA_SUCCESS, "CUDA_SUCCESS", "no error"},
    {CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {CUDA_ERROR_OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {CUDA_ERROR_NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {CUDA_ERROR_DEINITIALIZED, "CUDA_ERROR_DEINITIALIZED", "driver shutting down"},
    {CUDA_ERROR_NO_DEVICE, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {CUDA_ERROR_INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {CUDA_ERROR_INVALID_IMAGE, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {CUDA_ERROR_INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {CUDA_ERROR_NO_BINARY_FOR_GPU, "CUDA_ERROR_NO_BINARY_FOR_GPU", "no kernel image is available for execution on the device"},
    {CUDA_ERROR_INVALID_PTX, "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"},
    {CUDA_ERROR_INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {CUDA_ERROR_NOT_FOUND, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {CUDA_ERROR_NOT_READY, "CUDA_ERROR_NOT_READY", "device not ready"},
    {CUDA_ERROR_ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"},
    {CUDA_ERROR_LAUNCH_FAILED, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
    {CUDA_ERROR_CONTEXT_IS_DESTROYED, "CUDA_ERROR_CONTEXT_IS_DESTROYED", "context is destroyed"},
    {CUDA_ERROR_NOT_SUPPORTED, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
    {CUDA_ERROR_SYSTEM_DRIVER_MISMATCH, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH", "system has unsupported display driver / cuda driver combination"},
    {CUDA_ERROR_OPERATING_SYSTEM, "CUDA_ERROR_OPERATING_SYSTEM", "OS call failed or operation not supported on this OS"},
    {CUDA_ERROR_UNKNOWN, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

const ErrorText* Find(CUresult code) {
  for (const ErrorText& e : kErrors)
    if (e.code == code) return &e;
  return nullptr;
}

}  // namespace

CUresult cuInit(unsigned int flags) {
  Call call("cuInit");
  if (call.fault()) return call.fault();
  if (flags != 0) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "flags must be 0");
  // The real driver fails here, not later, on a machine without a device.
  if (call.s().device_count == 0) return CUDA_ERROR_NO_DEVICE;
  call.s().initialized = true;
  return CUDA_SUCCESS;
}

CUresult cuDriverGetVersion(int* version) {
  Call call("cuDriverGetVersion");
  if (call.fault()) return call.fault();
  if (version == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "version is NULL");
  *version = call.s().driver_version;
  return CUDA_SUCCESS;
}

CUresult cuGetErrorName(CUresult error, const char** name) {
  Call call("cuGetErrorName");
  if (call.fault()) return call.fault();
  if (name == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "name is NULL");
  const ErrorText* e = Find(error);
  *name = e ? e->name : nullptr;
  return e ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

CUresult cuGetErrorString(CUresult error, const char** text) {
  Call call("cuGetErrorString");
  if (call.fault()) return call.fault();
  if (text == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "text is NULL");
  const ErrorText* e = Find(error);
  *text = e ? e->text : nullptr;
  return e ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

CUresult cuDeviceGetCount(int* count) {
  Call call("cuDeviceGetCount");
  if (call.fault()) return call.fault();
  if (!call.s().initialized) return call.Misuse(CUDA_ERROR_NOT_INITIALIZED, "cuInit has not run");
  if (count == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "count is NULL");
  *count = call.s().device_count;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice* device, int ordinal) {
  Call call("cuDeviceGet");
  if (call.fault()) return call.fault();
  if (!call.s().initialized) return call.Misuse(CUDA_ERROR_NOT_INITIALIZED, "cuInit has not run");
  if (device == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "device is NULL");
  if (!call.ValidDevice(ordinal)) return call.Misuse(CUDA_ERROR_INVALID_DEVICE, "no device " + std::to_string(ordinal));
  *device = ordinal;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char* name, int length, CUdevice device) {
  Call call("cuDeviceGetName");
  if (call.fault()) return call.fault();
  if (name == nullptr || length <= 0) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "no room for the name");
  if (!call.ValidDevice(device)) return call.Misuse(CUDA_ERROR_INVALID_DEVICE, "no device " + std::to_string(device));
  const std::string& full = call.s().devices[device].name;
  const size_t n = std::min(full.size(), static_cast<size_t>(length) - 1);
  memcpy(name, full.data(), n);
  name[n] = '\0';
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int* value, CUdevice_attribute attribute, CUdevice device) {
  Call call("cuDeviceGetAttribute");
  if (call.fault()) return call.fault();
  if (value == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "value is NULL");
  if (attribute <= 0 || attribute >= CU_DEVICE_ATTRIBUTE_MAX) {
    return call.Misuse(CUDA_ERROR_INVALID_VALUE, "no attribute " + std::to_string(attribute));
  }
  if (!call.ValidDevice(device)) return call.Misuse(CUDA_ERROR_INVALID_DEVICE, "no device " + std::to_string(device));
  *value = call.s().devices[device].attributes[attribute];
  return CUDA_SUCCESS;
}

CUresult cuDeviceTotalMem(size_t* bytes, CUdevice device) {
  Call call("cuDeviceTotalMem");
  if (call.fault()) return call.fault();
  if (bytes == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "bytes is NULL");
  if (!call.ValidDevice(device)) return call.Misuse(CUDA_ERROR_INVALID_DEVICE, "no device " + std::to_string(device));
  *bytes = static_cast<size_t>(call.s().devices[device].total_memory);
  return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRetain(CUcontext* context, CUdevice device) {
  Call call("cuDevicePrimaryCtxRetain");
  if (call.fault()) return call.fault();
  if (context == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "context is NULL");
  if (!call.ValidDevice(device)) return call.Misuse(CUDA_ERROR_INVALID_DEVICE, "no device " + std::to_string(device));
  CUctx_st& primary = call.s().primary[device];
  ++primary.refs;
  *context = &primary;
  return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRelease(CUdevice device) {
  Call call("cuDevicePrimaryCtxRelease");
  if (call.fault()) return call.fault();
  if (!call.ValidDevice(device)) return call.Misuse(CUDA_ERROR_INVALID_DEVICE, "no device " + std::to_string(device));
  CUctx_st& primary = call.s().primary[device];
  if (primary.refs <= 0) return call.Misuse(CUDA_ERROR_INVALID_CONTEXT, "released more often than retained");
  --primary.refs;
  return CUDA_SUCCESS;
}

CUresult cuCtxGetCurrent(CUcontext* context) {
  Call call("cuCtxGetCurrent");
  if (call.fault()) return call.fault();
  if (context == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "context is NULL");
  const std::vector<CUcontext>& stack = ContextStack();
  *context = stack.empty() ? nullptr : stack.back();
  return CUDA_SUCCESS;
}

CUresult cuCtxPushCurrent(CUcontext context) {
  Call call("cuCtxPushCurrent");
  if (call.fault()) return call.fault();
  const auto& primary = call.s().primary;
  const bool known = std::any_of(primary.begin(), primary.end(), [&](const CUctx_st& c) { return &c == context; });
  if (!known || context->refs <= 0) {
    return call.Misuse(CUDA_ERROR_INVALID_CONTEXT, "not a retained context");
  }
  ContextStack().push_back(context);
  return CUDA_SUCCESS;
}

CUresult cuCtxPopCurrent(CUcontext* context) {
  Call call("cuCtxPopCurrent");
  if (call.fault()) return call.fault();
  std::vector<CUcontext>& stack = ContextStack();
  if (stack.empty()) return call.Misuse(CUDA_ERROR_INVALID_CONTEXT, "the context stack is empty");
  if (context != nullptr) *context = stack.back();
  stack.pop_back();
  return CUDA_SUCCESS;
}

CUresult cuCtxGetDevice(CUdevice* device) {
  Call call("cuCtxGetDevice");
  if (call.fault()) return call.fault();
  if (device == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "device is NULL");
  CUresult error = CUDA_SUCCESS;
  CUcontext current = call.RequireContext(&error);
  if (current == nullptr) return error;
  *device = current->device;
  return CUDA_SUCCESS;
}

CUresult cuCtxSynchronize(void) {
  Call call("cuCtxSynchronize");
  if (call.fault()) return call.fault();
  CUresult error = CUDA_SUCCESS;
  if (call.RequireContext(&error) == nullptr) return error;
  return CUDA_SUCCESS;  // launches complete when they are made
}

}  // namespace fake
