// SPDX-License-Identifier: Apache-2.0
// One kconv context's hold on a CUDA device: the CUcontext it runs in, the device's limits and the kernel
// modules and functions loaded there. Shared (shared_ptr) by the kconv context and its plans, so modules
// stay loaded until the last of them is destroyed. Choosing configs is not its business
// (runtime/config_choice.h, runtime/tuned_configs.h).
#pragma once

#include <cuda.h>

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "runtime/mutex.h"
#include "kconv/kconv.h"
#include "runtime/blob_registry.h"
#include "runtime/driver_api.h"
#include "runtime/kernel_family.h"

namespace kconv {

class DeviceContext {
 public:
  // Loads the driver if needed and binds to the device's primary context (retained until destruction)
  // or to the calling thread's current context.
  static absl::StatusOr<std::shared_ptr<DeviceContext>> Open(const kconv_context_options& options);
  ~DeviceContext();
  DeviceContext(const DeviceContext&) = delete;
  DeviceContext& operator=(const DeviceContext&) = delete;

  // Kernel `symbol` of `blob`'s module, loading the module into this context on first use
  // (thread-safe), with its dynamic shared-memory limit raised to `shared_bytes`.
  absl::StatusOr<CUfunction> Function(const Blob& blob, const std::string& symbol, int shared_bytes);

  // Blocks of `blob`'s kernel resident on one SM with `threads` per block and `shared_bytes` of dynamic
  // shared memory: cuOccupancyMaxActiveBlocksPerMultiprocessor for a cubin (loading its module); for a
  // PTX image, which would have to be compiled first, or if the driver fails, the model
  // (ModelResidentBlocks). For ChooseConfig's OccupancyFn.
  int ResidentBlocks(const Blob& blob, int threads, int shared_bytes);

  const DriverApi* api() const { return api_; }
  CUcontext cu_context() const { return cu_context_; }
  CUdevice device() const { return device_; }
  int visible_devices() const { return visible_devices_; }  // cuDeviceGetCount when the context was opened
  const DeviceLimits& limits() const { return limits_; }
  const std::string& device_name() const { return device_name_; }
  bool force_ptx() const { return force_ptx_; }
  bool synchronize() const { return synchronize_; }
  int driver_version() const { return driver_version_; }  // cuDriverGetVersion, e.g. 13000

 private:
  DeviceContext() = default;

  const DriverApi* api_ = nullptr;
  CUdevice device_ = 0;
  CUcontext cu_context_ = nullptr;
  int visible_devices_ = 0;
  bool owns_primary_ = false;
  DeviceLimits limits_{};
  std::string device_name_;
  bool force_ptx_ = false;
  bool synchronize_ = false;
  int driver_version_ = 0;

  kconv::Mutex mu_;
  absl::flat_hash_map<const Blob*, CUmodule> modules_ ABSL_GUARDED_BY(mu_);
  struct LoadedFunction {
    CUfunction function;
    int max_dynamic_shared;  // the largest dynamic shared memory any plan has asked of it so far
  };
  absl::flat_hash_map<std::pair<const Blob*, std::string>, LoadedFunction> functions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kconv
