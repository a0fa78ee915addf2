// A plan: one validated shape bound to one kernel config and its loaded function on one device.
// Immutable once created, so several threads may execute it at once.
#pragma once

#include <cuda.h>
#include <stdint.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "kconv/kconv.h"
#include "ptx/conv_params.h"
#include "runtime/blob_registry.h"
#include "runtime/conv_shape.h"
#include "runtime/device_context.h"
#include "runtime/implicit_gemm_family.h"

namespace kconv {

struct TensorPointers {
  uint64_t x, w, bias, y;
};

class Plan {
 public:
  // config_index < 0: the heuristic chooses (ChooseConfig).
  static absl::StatusOr<std::unique_ptr<Plan>> Create(std::shared_ptr<DeviceContext> device, const ConvShape& shape,
                                                      int config_index);

  // Checks the pointers (non-zero, aligned, y disjoint from the inputs) and launches on `stream`.
  absl::Status Execute(const TensorPointers& tensors, CUstream stream) const;

  kconv_plan_info Info() const;
  std::string Describe() const;
  const ConvShape& shape() const { return shape_; }

 private:
  Plan() = default;

  std::shared_ptr<DeviceContext> device_;
  ConvShape shape_{};
  int config_index_ = -1;
  const Blob* blob_ = nullptr;
  CUfunction function_ = nullptr;
  LaunchGeometry geometry_{};
  ConvParams params_{};  // pointers left null; Execute fills a copy
};

// Checks the tensor pointers of one call against a shape: non-zero, 4-byte aligned, bias given iff the
// shape has one, and y not overlapping x, w or bias. Shared by the device and host paths.
absl::Status CheckTensorPointers(const ConvShape& shape, const TensorPointers& tensors);

}  // namespace kconv
