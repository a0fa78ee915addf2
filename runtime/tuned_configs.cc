// SPDX-License-Identifier: Apache-2.0
#include "runtime/tuned_configs.h"

#include "runtime/config_choice.h"
#include "runtime/status_macros.h"

namespace kconv {

absl::StatusOr<TunedConfigs::Choice> TunedConfigs::ChooseFor(const ConvShape& shape) {
  {
    kconv::MutexLock lock(&mu_);
    if (auto it = tuned_.find(kconv::KeyOf(shape)); it != tuned_.end()) {
      return Choice{it->second, "autotuned in this context"};
    }
  }
  if (std::optional<int> tuned = FromCacheFile(shape); tuned.has_value()) return Choice{*tuned, "tuning cache"};
  DeviceContext* device = device_.get();
  KCONV_ASSIGN_OR_RETURN(const int heuristic,
                         ChooseConfig(shape, device->limits(), device->force_ptx(),
                                      [device](const Blob& blob, int threads, int shared_bytes) {
                                        return device->ResidentBlocks(blob, threads, shared_bytes);
                                      }));
  return Choice{heuristic, "heuristic"};
}

void TunedConfigs::Remember(const ConvShape& shape, int config) {
  kconv::MutexLock lock(&mu_);
  tuned_[kconv::KeyOf(shape)] = config;
}

TuningKey TunedConfigs::KeyOf(const ConvShape& shape) const {
  TuningKey key;
  key.device_name = device_->device_name();
  key.cc = device_->limits().cc;
  key.sm_count = device_->limits().sm_count;
  key.driver_version = device_->driver_version();
  key.library_version = kconv_version_string();
  key.build_id = KernelBuildId();
  key.shape = kconv::KeyOf(shape);
  return key;
}

std::optional<int> TunedConfigs::FromCacheFile(const ConvShape& shape) {
  if (cache_path_.empty()) return std::nullopt;
  const std::optional<TuningResult> result = file_.Find(KeyOf(shape));
  if (!result.has_value()) return std::nullopt;
  return TunedConfig(*result, shape, device_->limits(), device_->force_ptx());
}

}  // namespace kconv
