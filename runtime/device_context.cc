// SPDX-License-Identifier: Apache-2.0
#include "runtime/device_context.h"

#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "runtime/config_choice.h"
#include "runtime/status_macros.h"

namespace kconv {
namespace {

bool EnvFlag(const char* name) {
  const char* v = getenv(name);
  return v != nullptr && v[0] != '\0' && strcmp(v, "0") != 0;
}

// The driver's word on the device is not trusted blindly: every limit the config choice divides by or
// sizes blocks with must be positive and plausible, else the device is not usable (UNAVAILABLE).
absl::Status CheckLimits(const DeviceLimits& l, int major, int minor, const std::string& name) {
  struct Limit {
    const char* what;
    int value, lowest, highest;
  };
  const Limit limits[] = {
      {"compute capability major", major, 1, 99},
      {"compute capability minor", minor, 0, 9},
      {"multiprocessors", l.sm_count, 1, 1 << 20},
      {"shared memory per block (opt-in)", l.smem_per_block_optin, 1024, 1 << 30},
      {"shared memory per multiprocessor", l.smem_per_sm, 1024, 1 << 30},
      {"threads per multiprocessor", l.max_threads_per_sm, 32, 1 << 20},
      {"registers per multiprocessor", l.registers_per_sm, 1024, 1 << 30},
  };
  for (const Limit& limit : limits) {
    if (limit.value < limit.lowest || limit.value > limit.highest) {
      return absl::UnavailableError(absl::StrCat("the driver reports ", limit.value, " ", limit.what, " for device \"",
                                                 name, "\" (expected ", limit.lowest, " to ", limit.highest,
                                                 "): not a usable device"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<DeviceContext>> DeviceContext::Open(const kconv_context_options& options) {
  KCONV_ASSIGN_OR_RETURN(const DriverApi* api, Driver());
  std::shared_ptr<DeviceContext> dc(new DeviceContext());
  dc->api_ = api;
  dc->force_ptx_ = options.force_ptx == 1 || EnvFlag("KCONV_FORCE_PTX");
  dc->synchronize_ = options.synchronize == 1;
  KCONV_CU_RETURN_IF_ERROR(api, cuDriverGetVersion(&dc->driver_version_));
  KCONV_CU_RETURN_IF_ERROR(api, cuDeviceGetCount(&dc->visible_devices_));
  dc->visible_devices_ = std::max(dc->visible_devices_, 0);

  if (options.use_current_context == 1) {
    KCONV_CU_RETURN_IF_ERROR(api, cuCtxGetCurrent(&dc->cu_context_));
    if (dc->cu_context_ == nullptr) {
      return absl::FailedPreconditionError(
          "options->use_current_context = 1, but the calling thread has no current CUDA context");
    }
    KCONV_CU_RETURN_IF_ERROR(api, cuCtxGetDevice(&dc->device_));
  } else {
    const int count = dc->visible_devices_;
    if (options.device_ordinal < 0 || options.device_ordinal >= count) {
      return absl::NotFoundError(absl::StrCat("options->device_ordinal = ", options.device_ordinal, ", but ", count,
                                              " CUDA device(s) are visible"));
    }
    KCONV_CU_RETURN_IF_ERROR(api, cuDeviceGet(&dc->device_, options.device_ordinal));
    KCONV_CU_RETURN_IF_ERROR(api, cuDevicePrimaryCtxRetain(&dc->cu_context_, dc->device_));
    dc->owns_primary_ = true;
  }

  char name[256] = {};
  KCONV_CU_RETURN_IF_ERROR(api, cuDeviceGetName(name, sizeof(name) - 1, dc->device_));
  dc->device_name_ = name;
  auto attribute = [&](CUdevice_attribute which, int* value) {
    return CuResultToStatus(api, api->cuDeviceGetAttribute(value, which, dc->device_), "cuDeviceGetAttribute");
  };
  int major = 0, minor = 0;
  KCONV_RETURN_IF_ERROR(attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, &major));
  KCONV_RETURN_IF_ERROR(attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, &minor));
  dc->limits_.cc = major * 10 + minor;
  KCONV_RETURN_IF_ERROR(attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, &dc->limits_.sm_count));
  KCONV_RETURN_IF_ERROR(
      attribute(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, &dc->limits_.smem_per_block_optin));
  KCONV_RETURN_IF_ERROR(
      attribute(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR, &dc->limits_.smem_per_sm));
  KCONV_RETURN_IF_ERROR(
      attribute(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR, &dc->limits_.max_threads_per_sm));
  KCONV_RETURN_IF_ERROR(
      attribute(CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR, &dc->limits_.registers_per_sm));
  KCONV_RETURN_IF_ERROR(CheckLimits(dc->limits_, major, minor, dc->device_name_));
  return dc;
}

DeviceContext::~DeviceContext() {
  if (api_ == nullptr || cu_context_ == nullptr) return;
  {
    ScopedCuContext scoped(api_, cu_context_);
    if (scoped.status().ok()) {
      kconv::MutexLock lock(&mu_);
      for (auto& [blob, module] : modules_) api_->cuModuleUnload(module);
    }
  }
  if (owns_primary_) api_->cuDevicePrimaryCtxRelease(device_);
}

absl::StatusOr<CUfunction> DeviceContext::Function(const Blob& blob, const std::string& symbol, int shared_bytes) {
  kconv::MutexLock lock(&mu_);
  const auto key = std::make_pair(&blob, symbol);
  auto it = functions_.find(key);
  if (it == functions_.end()) {
    ScopedCuContext scoped(api_, cu_context_);
    KCONV_RETURN_IF_ERROR(scoped.status());
    auto module_it = modules_.find(&blob);
    if (module_it == modules_.end()) {
      CUmodule module = nullptr;
      const std::string what = absl::StrCat("cuModuleLoadData(", blob.kernel_symbol,
                                            blob.kind == BlobKind::kPtx ? ", compute_" : ", sm_", blob.arch, ")");
      KCONV_RETURN_IF_ERROR(CuResultToStatus(api_, api_->cuModuleLoadData(&module, blob.begin), what));
      module_it = modules_.emplace(&blob, module).first;
    }
    CUfunction function = nullptr;
    KCONV_RETURN_IF_ERROR(
        CuResultToStatus(api_, api_->cuModuleGetFunction(&function, module_it->second, symbol.c_str()),
                         absl::StrCat("cuModuleGetFunction(", symbol, ")")));
    it = functions_.emplace(key, LoadedFunction{function, 48 * 1024}).first;
  }
  // Plans of one config for different shapes need different amounts of shared memory: the function's
  // limit only ever grows, so that plans made earlier still launch.
  if (shared_bytes > it->second.max_dynamic_shared) {
    ScopedCuContext scoped(api_, cu_context_);
    KCONV_RETURN_IF_ERROR(scoped.status());
    KCONV_RETURN_IF_ERROR(CuResultToStatus(
        api_, api_->cuFuncSetAttribute(it->second.function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, shared_bytes),
        "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)"));
    it->second.max_dynamic_shared = shared_bytes;
  }
  return it->second.function;
}

int DeviceContext::ResidentBlocks(const Blob& blob, int threads, int shared_bytes) {
  if (blob.kind == BlobKind::kCubin) {
    const absl::StatusOr<CUfunction> function = Function(blob, blob.kernel_symbol, shared_bytes);
    if (function.ok()) {
      ScopedCuContext scoped(api_, cu_context_);
      int blocks = 0;
      if (scoped.status().ok() &&
          api_->cuOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, *function, threads, shared_bytes) == CUDA_SUCCESS &&
          blocks > 0) {
        return std::min(blocks, 64);  // no SM holds more; a larger answer is not believed
      }
    }
  }
  return ModelResidentBlocks(blob, threads, shared_bytes, limits_);
}

}  // namespace kconv
