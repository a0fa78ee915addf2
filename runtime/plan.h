// A plan: one validated shape bound to one kernel config and its loaded function on one device.
// Executing is thread-safe; SetWeights changes the plan and must not race with executions of it.
#pragma once

#include <cuda.h>
#include <stdint.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "kconv/kconv.h"
#include "ptx/conv_params.h"
#include "ptx/stem_params.h"
#include "runtime/blob_registry.h"
#include "runtime/conv_shape.h"
#include "runtime/device_context.h"
#include "runtime/implicit_gemm_family.h"
#include "runtime/stem_family.h"

namespace kconv {

struct TensorPointers {
  uint64_t x, w, bias, y;
};

// Fills `map` (a CUtensorMap) with x as [N][C][H][W] and a box of one band of the persistent stem kernel;
// false when the tensor-copy engine cannot describe it (the kernel then copies bands itself).
bool EncodeBandMap(const DriverApi* api, const ConvShape& shape, const StemPlanData& stem, uint64_t x, uint64_t* map);

class Plan {
 public:
  // config_index < 0: ChooseConfig decides.
  static absl::StatusOr<std::unique_ptr<Plan>> Create(std::shared_ptr<DeviceContext> device, const ConvShape& shape,
                                                      int config_index);
  ~Plan();

  // Launches on `stream`. tensors.w may be 0 once SetWeights has run: the plan's weights are used.
  absl::Status Execute(const TensorPointers& tensors, CUstream stream) const;

  // Binds the weights w to the plan. Families that re-lay out weights (the stem family) pack and round
  // them into the plan's own device buffer now, on `stream`; later executions with w = 0 read that.
  absl::Status SetWeights(uint64_t w, CUstream stream);

  kconv_plan_info Info() const;
  std::string Describe() const;
  const ConvShape& shape() const { return shape_; }
  CUfunction function() const { return function_; }
  Family family() const { return family_; }

 private:
  Plan() = default;
  absl::Status Pack(uint64_t w, CUdeviceptr packed, CUstream stream) const;
  absl::Status Launch(const TensorPointers& tensors, CUstream stream) const;

  std::shared_ptr<DeviceContext> device_;
  ConvShape shape_{};
  int config_index_ = -1;
  Family family_ = Family::kImplicitGemmTf32;
  const Blob* blob_ = nullptr;
  CUfunction function_ = nullptr;
  CUfunction pack_function_ = nullptr;  // stem family only
  LaunchGeometry geometry_{};
  ConvParams implicit_params_{};        // implicit-GEMM family; pointers filled per launch
  std::unique_ptr<StemPlanData> stem_;  // stem family; pointers filled per launch
  CUdeviceptr packed_weights_ = 0;      // stem family: owned, packed by SetWeights
  uint64_t weights_ = 0;                // set by SetWeights (0: none)
};

// Checks the tensor pointers of one call against a shape: non-zero, 4-byte aligned, bias given iff the
// shape has one, and y not overlapping x, w or bias. Shared by the device and host paths.
absl::Status CheckTensorPointers(const ConvShape& shape, const TensorPointers& tensors);

}  // namespace kconv
