// SPDX-License-Identifier: Apache-2.0
// The tuned-result memory of one kconv context: the configs its autotuning chose, the tuning cache file
// it consults, and the order in which a plan without a named config takes its config (this context's
// autotuning results, then the tuning cache file, then the heuristic).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "runtime/mutex.h"
#include "runtime/conv_shape.h"
#include "runtime/device_context.h"
#include "runtime/tuning_cache.h"
#include "runtime/tuning_cache_file.h"

namespace kconv {

class TunedConfigs {
 public:
  // `cache_path`: the tuning cache file, "" for none.
  TunedConfigs(std::shared_ptr<DeviceContext> device, std::string cache_path)
      : device_(std::move(device)), cache_path_(std::move(cache_path)), file_(cache_path_) {}

  struct Choice {
    int config;          // index into Configs()
    const char* source;  // "autotuned in this context", "tuning cache" or "heuristic"
  };
  // The config a plan for `shape` gets when the caller names none, and where the choice came from.
  absl::StatusOr<Choice> ChooseFor(const ConvShape& shape);
  // Makes ChooseFor return `config` for `shape` from now on (kconv_autotune's winner).
  void Remember(const ConvShape& shape, int config);

  // The tuning cache file ("" for none) and the key of `shape`'s entry in it on this device.
  const std::string& cache_path() const { return cache_path_; }
  TuningKey KeyOf(const ConvShape& shape) const;

 private:
  // The tuned config for `shape` from the tuning cache, if one applies (see TunedConfig). The file is
  // parsed once and again only when it changes (CachedTuningFile).
  std::optional<int> FromCacheFile(const ConvShape& shape);

  std::shared_ptr<DeviceContext> device_;
  std::string cache_path_;
  CachedTuningFile file_;
  kconv::Mutex mu_;
  absl::flat_hash_map<ConvShapeKey, int> tuned_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kconv
