// SPDX-License-Identifier: Apache-2.0
#include "multi_gpu_devices.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <string.h>

#include <map>
#include <mutex>

namespace kconv_test {

const MultiGpuDevices& TestDevices() {
  static const MultiGpuDevices devices = [] {
    MultiGpuDevices d;
    int count = 0;
    GpuDriver()->cuDeviceGetCount(&count);
    const char* one = getenv("KCONV_TEST_MULTI_GPU_ON_ONE_DEVICE");
    if (count >= 2) {
      for (int i = 0; i < count; ++i) d.ordinals.push_back(i);
      d.distinct = true;
    } else if (one != nullptr && strcmp(one, "1") == 0) {
      d.ordinals = {0, 0};
    } else {
      d.why = std::to_string(count) +
              " CUDA device visible, 2 needed (KCONV_TEST_MULTI_GPU_ON_ONE_DEVICE=1 runs the cases over two kconv "
              "contexts of device 0)";
    }
    return d;
  }();
  return devices;
}

CUcontext Primary(int ordinal) {
  static std::mutex mu;
  static std::map<int, CUcontext> retained;
  std::lock_guard<std::mutex> lock(mu);
  auto it = retained.find(ordinal);
  if (it != retained.end()) return it->second;
  CUcontext context = nullptr;
  CUdevice device = 0;
  REQUIRE(GpuDriver()->cuDeviceGet(&device, ordinal) == CUDA_SUCCESS);
  REQUIRE(GpuDriver()->cuDevicePrimaryCtxRetain(&context, device) == CUDA_SUCCESS);
  {
    CurrentContext current(context);
    REQUIRE(current.ok());
    LoadTestKernels();  // here, on the main thread: workers must find them loaded (they cannot REQUIRE)
  }
  return retained.emplace(ordinal, context).first->second;
}

CurrentContext::CurrentContext(CUcontext context) : ok_(GpuDriver()->cuCtxPushCurrent(context) == CUDA_SUCCESS) {}

CurrentContext::~CurrentContext() {
  CUcontext popped;
  if (ok_) GpuDriver()->cuCtxPopCurrent(&popped);
}

kconv_context* ContextOn(int ordinal, const char* tuning_cache) {
  kconv_context_options o;
  kconv_context_options_init(&o);
  o.device_ordinal = ordinal;
  o.tuning_cache_path = tuning_cache;
  kconv_context* ctx = nullptr;
  REQUIRE_MESSAGE(kconv_context_create(&o, &ctx) == KCONV_STATUS_OK, kconv_last_error_message());
  return ctx;
}

}  // namespace kconv_test
