// One kconv context's hold on a CUDA device: the CUcontext it runs in and the kernel modules loaded
// there. Shared (shared_ptr) by the kconv context and its plans, so modules stay loaded until the last
// of them is destroyed.
#pragma once

#include <cuda.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "kconv/kconv.h"
#include "runtime/blob_registry.h"
#include "runtime/config_choice.h"
#include "runtime/conv_shape.h"
#include "runtime/driver_api.h"
#include "runtime/tuning_cache.h"

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
  // The heuristic's choice for `shape` on this device (ChooseConfig with the driver's occupancy).
  absl::StatusOr<int> HeuristicConfig(const ConvShape& shape);
  // The config a plan for `shape` gets when the caller names none, and where the choice came from: an
  // autotuning result of this context, else the tuning cache file, else the heuristic.
  struct Choice {
    int config;
    const char* source;  // "autotuned in this context", "tuning cache" or "heuristic"
  };
  absl::StatusOr<Choice> ChooseFor(const ConvShape& shape);
  // Makes ChooseFor return `config` for `shape` from now on (kconv_autotune's winner).
  void RememberTuned(const ConvShape& shape, int config);

  const DriverApi* api() const { return api_; }
  CUcontext cu_context() const { return cu_context_; }
  const DeviceLimits& limits() const { return limits_; }
  const std::string& device_name() const { return device_name_; }
  bool force_ptx() const { return force_ptx_; }
  bool synchronize() const { return synchronize_; }
  // The tuning cache file ("" for none) and the key of `shape`'s entry in it on this device.
  const std::string& tuning_cache_path() const { return tuning_cache_path_; }
  TuningKey TuningKeyOf(const ConvShape& shape) const;
  // The tuned config for `shape` from the tuning cache, if one applies (see TunedConfig); reports an
  // ignored cache file on stderr, once per context.
  std::optional<int> TunedConfigOf(const ConvShape& shape);

 private:
  DeviceContext() = default;


  const DriverApi* api_ = nullptr;
  CUdevice device_ = 0;
  CUcontext cu_context_ = nullptr;
  bool owns_primary_ = false;
  DeviceLimits limits_{};
  std::string device_name_;
  bool force_ptx_ = false;
  bool synchronize_ = false;
  int driver_version_ = 0;
  std::string tuning_cache_path_;
  std::atomic<bool> reported_tuning_problem_{false};

  absl::Mutex mu_;
  absl::flat_hash_map<const Blob*, CUmodule> modules_ ABSL_GUARDED_BY(mu_);
  struct LoadedFunction {
    CUfunction function;
    int max_dynamic_shared;  // the largest dynamic shared memory any plan has asked of it so far
  };
  absl::flat_hash_map<std::pair<const Blob*, std::string>, LoadedFunction> functions_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<ConvShapeKey, int> tuned_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kconv
