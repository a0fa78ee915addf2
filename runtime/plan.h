// SPDX-License-Identifier: Apache-2.0
// A plan: one validated shape bound to one kernel config, its family's part of the plan (parameters,
// launch geometry) and its loaded kernels on one device. Executing is thread-safe; SetWeights changes
// the plan and must not race with executions of it.
#pragma once

#include <cuda.h>
#include <stdint.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kconv/kconv.h"
#include "runtime/blob_registry.h"
#include "runtime/conv_shape.h"
#include "runtime/device_context.h"
#include "runtime/kernel_family.h"
#include "runtime/tensor_pointers.h"

namespace kconv {

class Plan {
 public:
  // A plan of Configs()[config_index], which must accept `shape` on the device (else the reason, with
  // its status code).
  static absl::StatusOr<std::unique_ptr<Plan>> Create(std::shared_ptr<DeviceContext> device, const ConvShape& shape,
                                                      int config_index);
  ~Plan();

  // Launches on `stream`. tensors.w may be 0 once SetWeights has run: the plan's weights are used.
  absl::Status Execute(const TensorPointers& tensors, CUstream stream) const;

  // Binds the weights w to the plan. Families that re-lay out weights pack them into the plan's own
  // device buffer now, on `stream`; later executions with w = 0 read that.
  absl::Status SetWeights(uint64_t w, CUstream stream);

  kconv_plan_info Info() const;
  std::string Describe() const;
  const ConvShape& shape() const { return shape_; }
  CUfunction function() const { return functions_[0]; }  // the convolution kernel
  const KernelConfig& config() const { return Configs()[config_index_]; }

 private:
  Plan() = default;
  KernelLauncher Launcher() const;
  absl::Status Launch(const TensorPointers& tensors, CUstream stream) const;

  std::shared_ptr<DeviceContext> device_;
  ConvShape shape_{};
  int config_index_ = -1;
  const Blob* blob_ = nullptr;
  std::unique_ptr<FamilyPlan> family_plan_;
  LaunchGeometry geometry_{};
  std::vector<std::string> kernel_names_;  // the family's kernels in blob_, in KernelSuffixes() order
  std::vector<CUfunction> functions_;
  CUdeviceptr packed_weights_ = 0;  // owned when the family packs weights; filled by SetWeights
  uint64_t weights_ = 0;            // set by SetWeights (0: none)
};

}  // namespace kconv
