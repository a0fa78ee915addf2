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

bool EncodeBandMap(const DriverApi* api, const ConvShape& s, const StemPlanData& stem, uint64_t x, uint64_t* map) {
  // The tensor-copy engine needs a 16-byte aligned base, row pitches that are multiples of 16 bytes and
  // boxes of at most 256 elements per dimension; otherwise the kernel's producer warp copies the band.
  const StemParams& p = stem.params;
  // The box starts at column -pad_w rounded down to a multiple of 4 (an innermost start that is not
  // 16-byte aligned faults), and the kernel shifts each row into place when the two differ.
  if (api->cuTensorMapEncodeTiled == nullptr || x % 16 != 0 || (s.w * 4) % 16 != 0) return false;
  if (p.row_floats > 256 || p.band_rows > 256 || s.c > 256) return false;
  const cuuint64_t dims[4] = {static_cast<cuuint64_t>(s.w), static_cast<cuuint64_t>(s.h),
                              static_cast<cuuint64_t>(s.c), static_cast<cuuint64_t>(s.n)};
  const cuuint64_t strides[3] = {static_cast<cuuint64_t>(s.w * 4), static_cast<cuuint64_t>(s.h * s.w * 4),
                                 static_cast<cuuint64_t>(s.c * s.h * s.w * 4)};
  const cuuint32_t box[4] = {static_cast<cuuint32_t>(p.row_floats), static_cast<cuuint32_t>(p.band_rows),
                             static_cast<cuuint32_t>(s.c), 1};
  const cuuint32_t element_strides[4] = {1, 1, 1, 1};
  static_assert(sizeof(CUtensorMap) == 16 * sizeof(uint64_t), "StemWgmmaParams::band_map holds one CUtensorMap");
  return api->cuTensorMapEncodeTiled(reinterpret_cast<CUtensorMap*>(map), CU_TENSOR_MAP_DATA_TYPE_FLOAT32, 4,
                                     reinterpret_cast<void*>(x), dims, strides, box, element_strides,
                                     CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_NONE,
                                     CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                                     CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
}

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
    KCONV_ASSIGN_OR_RETURN(const DeviceContext::Choice choice, device->ChooseFor(shape));
    config_index = choice.config;
  } else {
    const KernelConfig& config = Configs()[config_index];
    if (absl::Status accepted = ConfigAccepts(shape, config, limits); !accepted.ok()) {
      return absl::Status(accepted.code(), absl::StrCat(config.full_name, " cannot run this shape: ", accepted.message()));
    }
  }
  const KernelConfig& config = Configs()[config_index];
  std::unique_ptr<Plan> plan(new Plan());
  plan->device_ = device;  // first: the destructor frees what a failing step below already allocated
  plan->shape_ = shape;
  plan->config_index_ = config_index;
  plan->family_ = FamilyOf(config);
  KCONV_ASSIGN_OR_RETURN(plan->blob_, SelectBlob(config_index, limits.cc, device->force_ptx()));
  const std::string symbol = plan->blob_->kernel_symbol;
  if (IsStemFamily(plan->family_)) {
    plan->stem_ = std::make_unique<StemPlanData>(
        MakeStemPlanData(shape, StemConfigOf(config), StemKernelOf(plan->family_), limits.sm_count));
    plan->geometry_ = plan->stem_->geometry;
    KCONV_ASSIGN_OR_RETURN(plan->pack_function_, device->Function(*plan->blob_, symbol + "_pack_weights", 0));
    const DriverApi* api = device->api();
    ScopedCuContext scoped(api, device->cu_context());
    KCONV_RETURN_IF_ERROR(scoped.status());
    KCONV_RETURN_IF_ERROR(CuResultToStatus(
        api, api->cuMemAlloc(&plan->packed_weights_, static_cast<size_t>(plan->stem_->packed_weight_bytes)),
        absl::StrCat("cuMemAlloc of ", plan->stem_->packed_weight_bytes, " bytes for the packed weights")));
  } else {
    plan->geometry_ = ImplicitGemmGeometry(shape, ImplicitGemmTile(config));
    plan->implicit_params_ = ImplicitGemmParams(shape);
  }
  KCONV_ASSIGN_OR_RETURN(plan->function_,
                         device->Function(*plan->blob_, symbol, static_cast<int>(plan->geometry_.shared_bytes)));
  return plan;
}

Plan::~Plan() {
  if (packed_weights_ == 0 || device_ == nullptr) return;
  ScopedCuContext scoped(device_->api(), device_->cu_context());
  if (scoped.status().ok()) device_->api()->cuMemFree(packed_weights_);
}

absl::Status Plan::Pack(uint64_t w, CUdeviceptr packed, CUstream stream) const {
  StemPackParams pack = stem_->pack;
  pack.w = reinterpret_cast<const float*>(w);
  pack.packed = reinterpret_cast<float*>(packed);
  void* args[] = {&pack};
  const unsigned blocks = static_cast<unsigned>((int64_t{pack.steps} * pack.channels * 8 + 255) / 256);
  const DriverApi* api = device_->api();
  return CuResultToStatus(api, api->cuLaunchKernel(pack_function_, blocks, 1, 1, 256, 1, 1, 0, stream, args, nullptr),
                          absl::StrCat("cuLaunchKernel(", blob_->kernel_symbol, "_pack_weights)"));
}

absl::Status Plan::SetWeights(uint64_t w, CUstream stream) {
  if (w == 0) return absl::InvalidArgumentError("w is a null pointer");
  if (w % alignof(float) != 0) return absl::InvalidArgumentError("w is not 4-byte aligned (fp32 tensors must be)");
  if (IsStemFamily(family_)) {
    ScopedCuContext scoped(device_->api(), device_->cu_context());
    KCONV_RETURN_IF_ERROR(scoped.status());
    KCONV_RETURN_IF_ERROR(Pack(w, packed_weights_, stream));
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
  if (IsStemFamily(family_) && !use_bound_weights) {
    // Weights given with the call: pack them into stream-ordered scratch, so that concurrent calls on
    // other streams, and later changes to w, are safe. kconv_plan_set_weights avoids this per call.
    CUdeviceptr scratch = 0;
    KCONV_RETURN_IF_ERROR(CuResultToStatus(
        api, api->cuMemAllocAsync(&scratch, static_cast<size_t>(stem_->packed_weight_bytes), stream),
        "cuMemAllocAsync for the packed weights"));
    absl::Status s = Pack(t.w, scratch, stream);
    if (s.ok()) s = Launch({t.x, scratch, t.bias, t.y}, stream);
    api->cuMemFreeAsync(scratch, stream);
    KCONV_RETURN_IF_ERROR(s);
  } else {
    KCONV_RETURN_IF_ERROR(Launch({t.x, IsStemFamily(family_) ? packed_weights_ : t.w, t.bias, t.y}, stream));
  }
  if (device_->synchronize()) {
    KCONV_RETURN_IF_ERROR(CuResultToStatus(api, api->cuStreamSynchronize(stream),
                                           absl::StrCat("cuStreamSynchronize after ", blob_->kernel_symbol)));
  }
  return absl::OkStatus();
}

absl::Status Plan::Launch(const TensorPointers& t, CUstream stream) const {
  ConvParams implicit;
  StemParams stem;  // about 1 KB: the chunk table travels as a kernel parameter
  StemWgmmaParams persistent;
  void* args[1];
  if (IsStemFamily(family_)) {
    stem = stem_->params;
    stem.x = reinterpret_cast<const float*>(t.x);
    stem.w_packed = reinterpret_cast<const float*>(t.w);
    stem.bias = reinterpret_cast<const float*>(t.bias);
    stem.y = reinterpret_cast<float*>(t.y);
    stem.pair_copies = shape_.w % 2 == 0 && shape_.pad_w % 2 == 0 && t.x % 8 == 0 ? 1 : 0;
    args[0] = &stem;
    if (family_ == Family::kStemWgmmaTf32) {
      persistent = StemWgmmaParams{};
      persistent.p = stem;
      persistent.use_tma = EncodeBandMap(device_->api(), shape_, *stem_, t.x, persistent.band_map) ? 1 : 0;
      persistent.band_box_bytes = stem_->band_box_bytes;
      persistent.tiles_per_image = stem_->tiles_per_image;
      persistent.channel_groups = stem_->channel_groups;
      persistent.total_tiles = stem_->total_tiles;
      persistent.rows_per_tile = stem_->rows_per_tile;
      persistent.segments = stem_->segments;
      persistent.staging_stride = stem_->staging_stride;
      args[0] = &persistent;
    }
  } else {
    implicit = implicit_params_;
    implicit.x = reinterpret_cast<const float*>(t.x);
    implicit.w = reinterpret_cast<const float*>(t.w);
    implicit.bias = reinterpret_cast<const float*>(t.bias);
    implicit.y = reinterpret_cast<float*>(t.y);
    args[0] = &implicit;
  }
  const DriverApi* api = device_->api();
  return CuResultToStatus(api,
                          api->cuLaunchKernel(function_, geometry_.grid_x, geometry_.grid_y, 1, geometry_.threads, 1, 1,
                                              geometry_.shared_bytes, stream, args, nullptr),
                          absl::StrCat("cuLaunchKernel(", blob_->kernel_symbol, ")"));
}

kconv_plan_info Plan::Info() const {
  const KernelConfig& config = Configs()[config_index_];
  kconv_plan_info info{};
  info.struct_size = sizeof(info);
  info.family = config.family;
  info.config = config.name;
  if (IsStemFamily(family_)) {
    const StemConfig c = StemConfigOf(config);
    info.block_m = MakeStemLayout(c).tile_pixels;
    info.block_n = c.nt * 8;
    info.block_k = c.wsteps * 8;
    info.warps = c.warps;
    info.stages = c.wstages;
  } else {
    const TileConfig c = ImplicitGemmTile(config);
    info.block_m = c.block_m;
    info.block_n = c.block_n;
    info.block_k = c.block_k;
    info.warps = c.warps;
    info.stages = c.stages;
  }
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
  return absl::StrFormat("%s on %s (cc %d.%d) from %s_%d%s %s; grid %ux%u x %u threads, %u B shared memory",
                         config.full_name, device_->device_name(), device_->limits().cc / 10,
                         device_->limits().cc % 10, ptx ? "compute" : "sm", blob_->arch, blob_->arch_specific ? "a" : "",
                         ptx ? "PTX (compiled by the driver at load)" : "cubin", geometry_.grid_x, geometry_.grid_y,
                         geometry_.threads, geometry_.shared_bytes);
}

}  // namespace kconv
