// SPDX-License-Identifier: Apache-2.0
#include "runtime/plan.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runtime/config_choice.h"
#include "runtime/device_pointers.h"
#include "runtime/status_macros.h"

namespace kconv {
absl::Status KernelLauncher::Launch(int kernel, const LaunchGeometry& g, void* params, CUstream stream) const {
  void* args[] = {params};
  return CuResultToStatus(api_,
                          api_->cuLaunchKernel(functions_[kernel], g.grid_x, g.grid_y, 1, g.threads, 1, 1,
                                               g.shared_bytes, stream, args, nullptr),
                          absl::StrCat("cuLaunchKernel(", names_[kernel], ")"));
}

absl::Status FamilyPlan::PackWeights(const KernelLauncher&, uint64_t, uint64_t, CUstream) const {
  return absl::InternalError("this kernel family keeps no packed weights");
}

absl::StatusOr<std::unique_ptr<Plan>> Plan::Create(std::shared_ptr<DeviceContext> device, const ConvShape& shape,
                                                   int config_index) {
  const DeviceLimits& limits = device->limits();
  const KernelConfig& config = Configs()[config_index];
  if (absl::Status accepted = ConfigAccepts(shape, config, limits); !accepted.ok()) {
    return absl::Status(accepted.code(), absl::StrCat(config.full_name, " cannot run this shape: ", accepted.message()));
  }
  const KernelFamily& family = config.family();
  std::unique_ptr<Plan> plan(new Plan());
  plan->device_ = device;  // first: the destructor frees what a failing step below already allocated
  plan->shape_ = shape;
  plan->config_index_ = config_index;
  KCONV_ASSIGN_OR_RETURN(plan->blob_, SelectBlob(config_index, limits.cc, device->force_ptx()));
  plan->family_plan_ = family.MakePlan(shape, config.family_index, limits);
  plan->geometry_ = plan->family_plan_->Geometry();
  for (const std::string& suffix : family.KernelSuffixes()) {
    const std::string symbol = plan->blob_->kernel_symbol + suffix;
    // Every kernel of the image may launch with the plan's shared memory: a family may hold one convolution
    // per element type (its packers launch with none, which a raised limit allows as well).
    const int shared_bytes = static_cast<int>(plan->geometry_.shared_bytes);
    KCONV_ASSIGN_OR_RETURN(const CUfunction function, device->Function(*plan->blob_, symbol, shared_bytes));
    plan->functions_.push_back(function);
    plan->kernel_names_.push_back(symbol);
  }
  if (const int64_t packed_bytes = plan->family_plan_->PackedWeightBytes(); packed_bytes > 0) {
    const DriverApi* api = device->api();
    ScopedCuContext scoped(api, device->cu_context());
    KCONV_RETURN_IF_ERROR(scoped.status());
    KCONV_RETURN_IF_ERROR(CuResultToStatus(api, api->cuMemAlloc(&plan->packed_weights_, static_cast<size_t>(packed_bytes)),
                                           absl::StrCat("cuMemAlloc of ", packed_bytes, " bytes for the packed weights")));
  }
  return plan;
}

Plan::~Plan() {
  if (packed_weights_ == 0 || device_ == nullptr) return;
  ScopedCuContext scoped(device_->api(), device_->cu_context());
  if (scoped.status().ok()) device_->api()->cuMemFree(packed_weights_);
}

KernelLauncher Plan::Launcher() const { return KernelLauncher(device_->api(), functions_, kernel_names_); }

absl::Status Plan::SetWeights(uint64_t w, CUstream stream) {
  if (w == 0) return absl::InvalidArgumentError("w is a null pointer");
  if (w % static_cast<uint64_t>(shape_.element_bytes()) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("w is not ", shape_.element_bytes(), "-byte aligned (",
                                                   ElementTypeName(shape_.element_type), " tensors must be)"));
  }
  ScopedCuContext scoped(device_->api(), device_->cu_context());
  KCONV_RETURN_IF_ERROR(scoped.status());
  KCONV_RETURN_IF_ERROR(CheckTensorsReachable(*device_, {0, w, 0, 0}));
  if (packed_weights_ != 0) {
    KCONV_RETURN_IF_ERROR(family_plan_->PackWeights(Launcher(), w, packed_weights_, stream));
  }
  weights_ = w;
  return absl::OkStatus();
}

absl::Status Plan::Execute(const TensorPointers& given, CUstream stream) const {
  TensorPointers t = given;
  const bool use_bound_weights = t.w == 0 && weights_ != 0;
  if (use_bound_weights) t.w = weights_;
  KCONV_RETURN_IF_ERROR(CheckTensorPointers(shape_, t));
  const DriverApi* api = device_->api();
  ScopedCuContext scoped(api, device_->cu_context());
  KCONV_RETURN_IF_ERROR(scoped.status());
  // Bound weights were checked when they were bound.
  KCONV_RETURN_IF_ERROR(CheckTensorsReachable(*device_, {t.x, use_bound_weights ? 0 : t.w, t.bias, t.y}));
  const int64_t packed_bytes = family_plan_->PackedWeightBytes();
  if (packed_bytes > 0 && !use_bound_weights) {
    // Weights given with the call: pack them into stream-ordered scratch, so that concurrent calls on
    // other streams, and later changes to w, are safe. kconv_plan_set_weights avoids this per call.
    CUdeviceptr scratch = 0;
    KCONV_RETURN_IF_ERROR(CuResultToStatus(api, api->cuMemAllocAsync(&scratch, static_cast<size_t>(packed_bytes), stream),
                                           "cuMemAllocAsync for the packed weights"));
    absl::Status s = family_plan_->PackWeights(Launcher(), t.w, scratch, stream);
    if (s.ok()) s = Launch({t.x, scratch, t.bias, t.y}, stream);
    api->cuMemFreeAsync(scratch, stream);
    KCONV_RETURN_IF_ERROR(s);
  } else {
    KCONV_RETURN_IF_ERROR(Launch({t.x, packed_bytes > 0 ? packed_weights_ : t.w, t.bias, t.y}, stream));
  }
  if (device_->synchronize()) {
    KCONV_RETURN_IF_ERROR(CuResultToStatus(api, api->cuStreamSynchronize(stream),
                                           absl::StrCat("cuStreamSynchronize after ", blob_->kernel_symbol)));
  }
  return absl::OkStatus();
}

absl::Status Plan::Launch(const TensorPointers& t, CUstream stream) const {
  return family_plan_->Launch(Launcher(), t, stream);
}

kconv_plan_info Plan::Info() const {
  const KernelConfig& c = config();
  const ConfigKnobs knobs = c.family().Knobs(c.family_index);
  kconv_plan_info info{};
  info.struct_size = sizeof(info);
  info.family = c.family_name;
  info.config = c.name;
  info.block_m = knobs.block_m;
  info.block_n = knobs.block_n;
  info.block_k = knobs.block_k;
  info.warps = knobs.warps;
  info.stages = knobs.stages;
  info.arch = blob_->arch;
  info.is_ptx = blob_->kind == BlobKind::kPtx ? 1 : 0;
  info.device_cc = device_->limits().cc;
  info.grid_x = geometry_.grid_x;
  info.grid_y = geometry_.grid_y;
  info.threads_per_block = static_cast<int32_t>(geometry_.threads);
  info.shared_bytes = static_cast<int32_t>(geometry_.shared_bytes);
  info.packed_weight_bytes = family_plan_->PackedWeightBytes();
  return info;
}

std::string Plan::Describe() const {
  const KernelConfig& c = config();
  const bool ptx = blob_->kind == BlobKind::kPtx;
  return absl::StrFormat("%s on %s (cc %d.%d) from %s_%d%s %s; grid %ux%u x %u threads, %u B shared memory",
                         c.full_name, device_->device_name(), device_->limits().cc / 10, device_->limits().cc % 10,
                         ptx ? "compute" : "sm", blob_->arch, blob_->arch_specific ? "a" : "",
                         ptx ? "PTX (compiled by the driver at load)" : "cubin", geometry_.grid_x, geometry_.grid_y,
                         geometry_.threads, geometry_.shared_bytes);
}

}  // namespace kconv
