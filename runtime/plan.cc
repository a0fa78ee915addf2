#include "runtime/plan.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runtime/config_choice.h"
#include "runtime/status_macros.h"

namespace kconv {
namespace {

bool Overlaps(uint64_t a, int64_t a_elements, uint64_t b, int64_t b_elements) {
  const uint64_t a_end = a + static_cast<uint64_t>(a_elements) * sizeof(float);
  const uint64_t b_end = b + static_cast<uint64_t>(b_elements) * sizeof(float);
  return a < b_end && b < a_end;
}

}  // namespace

absl::Status CheckTensorPointers(const ConvShape& s, const TensorPointers& t) {
  struct Named {
    const char* name;
    uint64_t value;
  };
  for (const Named& p : {Named{"x", t.x}, Named{"w", t.w}, Named{"y", t.y}}) {
    if (p.value == 0) return absl::InvalidArgumentError(absl::StrCat(p.name, " is a null pointer"));
  }
  if (s.has_bias && t.bias == 0) {
    return absl::InvalidArgumentError("bias is a null pointer, but desc->has_bias = 1");
  }
  if (!s.has_bias && t.bias != 0) {
    return absl::InvalidArgumentError("bias is non-null, but desc->has_bias = 0 (set has_bias to add it)");
  }
  for (const Named& p : {Named{"x", t.x}, Named{"w", t.w}, Named{"bias", t.bias}, Named{"y", t.y}}) {
    if (p.value % alignof(float) != 0) {
      return absl::InvalidArgumentError(absl::StrFormat("%s = 0x%x is not 4-byte aligned (fp32 tensors must be)", p.name, p.value));
    }
  }
  if (Overlaps(t.y, s.y_elements(), t.x, s.x_elements()) || Overlaps(t.y, s.y_elements(), t.w, s.w_elements()) ||
      (s.has_bias && Overlaps(t.y, s.y_elements(), t.bias, s.k))) {
    return absl::InvalidArgumentError("y overlaps an input tensor; the output must be a separate buffer");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Plan>> Plan::Create(std::shared_ptr<DeviceContext> device, const ConvShape& shape,
                                                   int config_index) {
  const DeviceLimits& limits = device->limits();
  if (config_index < 0) {
    KCONV_ASSIGN_OR_RETURN(config_index, ChooseConfig(shape, limits, device->force_ptx()));
  } else {
    const KernelConfig& config = Configs()[config_index];
    if (absl::Status accepted = ImplicitGemmAccepts(shape, config.tile); !accepted.ok()) {
      return absl::Status(accepted.code(), absl::StrCat(config.full_name, " cannot run this shape: ", accepted.message()));
    }
    if (MakeTileLayout(config.tile).smem_bytes > limits.smem_per_block_optin) {
      return absl::UnimplementedError(absl::StrCat(config.full_name, " needs ", MakeTileLayout(config.tile).smem_bytes,
                                                   " bytes of shared memory per block; the device allows ",
                                                   limits.smem_per_block_optin));
    }
  }
  std::unique_ptr<Plan> plan(new Plan());
  plan->shape_ = shape;
  plan->config_index_ = config_index;
  const TileConfig& tile = Configs()[config_index].tile;
  plan->geometry_ = ImplicitGemmGeometry(shape, tile);
  plan->params_ = ImplicitGemmParams(shape);
  KCONV_ASSIGN_OR_RETURN(plan->blob_, SelectBlob(config_index, limits.cc, device->force_ptx()));
  KCONV_ASSIGN_OR_RETURN(plan->function_, device->Function(*plan->blob_, static_cast<int>(plan->geometry_.shared_bytes)));
  plan->device_ = std::move(device);
  return plan;
}

absl::Status Plan::Execute(const TensorPointers& t, CUstream stream) const {
  KCONV_RETURN_IF_ERROR(CheckTensorPointers(shape_, t));
  ConvParams params = params_;
  params.x = reinterpret_cast<const float*>(t.x);
  params.w = reinterpret_cast<const float*>(t.w);
  params.bias = reinterpret_cast<const float*>(t.bias);
  params.y = reinterpret_cast<float*>(t.y);
  void* args[] = {&params};
  const DriverApi* api = device_->api();
  ScopedCuContext scoped(api, device_->cu_context());
  KCONV_RETURN_IF_ERROR(scoped.status());
  KCONV_RETURN_IF_ERROR(CuResultToStatus(
      api,
      api->cuLaunchKernel(function_, geometry_.grid_x, geometry_.grid_y, 1, geometry_.threads, 1, 1,
                          geometry_.shared_bytes, stream, args, nullptr),
      absl::StrCat("cuLaunchKernel(", blob_->kernel_symbol, ")")));
  if (device_->synchronize()) {
    KCONV_RETURN_IF_ERROR(CuResultToStatus(api, api->cuStreamSynchronize(stream),
                                           absl::StrCat("cuStreamSynchronize after ", blob_->kernel_symbol)));
  }
  return absl::OkStatus();
}

kconv_plan_info Plan::Info() const {
  const KernelConfig& config = Configs()[config_index_];
  kconv_plan_info info{};
  info.struct_size = sizeof(info);
  info.family = config.family;
  info.config = config.name;
  info.block_m = config.tile.block_m;
  info.block_n = config.tile.block_n;
  info.block_k = config.tile.block_k;
  info.warps = config.tile.warps;
  info.stages = config.tile.stages;
  info.arch = blob_->arch;
  info.is_ptx = blob_->kind == BlobKind::kPtx ? 1 : 0;
  info.device_cc = device_->limits().cc;
  info.grid_x = geometry_.grid_x;
  info.grid_y = geometry_.grid_y;
  info.threads_per_block = static_cast<int32_t>(geometry_.threads);
  info.shared_bytes = static_cast<int32_t>(geometry_.shared_bytes);
  return info;
}

std::string Plan::Describe() const {
  const KernelConfig& config = Configs()[config_index_];
  const bool ptx = blob_->kind == BlobKind::kPtx;
  return absl::StrFormat("%s on %s (cc %d.%d) from %s_%d %s; grid %ux%u x %u threads, %u B shared memory",
                         config.full_name, device_->device_name(), device_->limits().cc / 10,
                         device_->limits().cc % 10, ptx ? "compute" : "sm", blob_->arch,
                         ptx ? "PTX (compiled by the driver at load)" : "cubin", geometry_.grid_x, geometry_.grid_y,
                         geometry_.threads, geometry_.shared_bytes);
}

}  // namespace kconv
