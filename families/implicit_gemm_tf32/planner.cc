// SPDX-License-Identifier: Apache-2.0
#include "families/implicit_gemm_tf32/planner.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "families/implicit_gemm_common/gemm_limits.h"
#include "runtime/status_macros.h"

namespace kconv {
namespace implicit_gemm_tf32 {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

class ImplicitGemmTf32 final : public KernelFamily {
 public:
  FamilySupport Support() const override {
    return {uint64_t{1} << KCONV_ELEMENT_F32, (uint64_t{1} << KCONV_LAYOUT_NCHW) | (uint64_t{1} << KCONV_LAYOUT_NHWC),
            (uint64_t{1} << KCONV_MATH_TF32) | (uint64_t{1} << KCONV_MATH_3XTF32)};
  }
  std::span<const std::string> KernelSuffixes() const override {
    static const std::string kSuffixes[] = {""};
    return kSuffixes;
  }
  absl::Status Accepts(const ConvShape& shape, int config, const DeviceLimits& device) const override {
    return implicit_gemm_tf32::Accepts(shape, kConfigs[config], device);
  }
  double Cost(const ConvShape& shape, int config, const DeviceLimits& device,
              const ResidencyFn& resident) const override {
    const Config& c = kConfigs[config];
    const TileLayout layout = MakeTileLayout(c);
    return implicit_gemm_tf32::Cost(shape, c, resident(layout.threads, layout.smem_bytes), device);
  }
  ConfigKnobs Knobs(int config) const override {
    const Config& c = kConfigs[config];
    return {c.block_m, c.block_n, c.block_k, c.warps, c.stages, c.split};
  }
  std::unique_ptr<FamilyPlan> MakePlan(const ConvShape& shape, int config, const DeviceLimits&) const override;
};

class Plan final : public FamilyPlan {
 public:
  Plan(const ConvShape& shape, const Config& config) : params_(MakeParams(shape)), geometry_(GeometryOf(shape, config)) {}
  LaunchGeometry Geometry() const override { return geometry_; }
  absl::Status Launch(const KernelLauncher& launcher, const TensorPointers& t, CUstream stream) const override {
    ConvParams p = params_;
    p.x = reinterpret_cast<const float*>(t.x);
    p.w = reinterpret_cast<const float*>(t.w);
    p.bias = reinterpret_cast<const float*>(t.bias);
    p.y = reinterpret_cast<float*>(t.y);
    return launcher.Launch(0, geometry_, &p, stream);
  }

 private:
  ConvParams params_;
  LaunchGeometry geometry_;
};

std::unique_ptr<FamilyPlan> ImplicitGemmTf32::MakePlan(const ConvShape& shape, int config, const DeviceLimits&) const {
  return std::make_unique<Plan>(shape, kConfigs[config]);
}

}  // namespace

const KernelFamily& Family() {
  static const ImplicitGemmTf32 family;
  return family;
}

absl::Status Accepts(const ConvShape& s, const Config& config, const DeviceLimits& device) {
  const TileLayout layout = MakeTileLayout(config);
  if (!layout.valid) return absl::InternalError("implicit_gemm_tf32: invalid tile config in the registry");
  if ((config.split == 1) != (s.math_mode == KCONV_MATH_3XTF32)) {
    return absl::UnimplementedError(config.split == 1 ? "implicit_gemm_tf32: a 3xTF32 config"
                                                      : "implicit_gemm_tf32: a TF32 config, not 3xTF32");
  }
  KCONV_RETURN_IF_ERROR(
      implicit_gemm_common::CheckIndexRange("implicit_gemm_tf32", s, layout.threads * 2, config.block_k, config.block_n));
  if (layout.smem_bytes > device.smem_per_block_optin) {
    return absl::UnimplementedError(absl::StrCat("implicit_gemm_tf32: needs ", layout.smem_bytes,
                                                 " bytes of shared memory per block; the device allows ",
                                                 device.smem_per_block_optin));
  }
  return absl::OkStatus();
}

LaunchGeometry GeometryOf(const ConvShape& s, const Config& config) {
  const TileLayout layout = MakeTileLayout(config);
  return LaunchGeometry{static_cast<uint32_t>(CeilDiv(s.gemm_m(), config.block_m)),
                        static_cast<uint32_t>(CeilDiv(s.k, config.block_n)), static_cast<uint32_t>(layout.threads),
                        static_cast<uint32_t>(layout.smem_bytes)};
}

ConvParams MakeParams(const ConvShape& s) {
  ConvParams p{};
  p.n = static_cast<int32_t>(s.n);
  p.c = static_cast<int32_t>(s.c);
  p.h = static_cast<int32_t>(s.h);
  p.w_in = static_cast<int32_t>(s.w);
  p.k = static_cast<int32_t>(s.k);
  p.r = static_cast<int32_t>(s.r);
  p.s = static_cast<int32_t>(s.s);
  p.p = static_cast<int32_t>(s.p);
  p.q = static_cast<int32_t>(s.q);
  p.stride_h = static_cast<int32_t>(s.stride_h);
  p.stride_w = static_cast<int32_t>(s.stride_w);
  p.pad_h = static_cast<int32_t>(s.pad_h);
  p.pad_w = static_cast<int32_t>(s.pad_w);
  p.dil_h = static_cast<int32_t>(s.dil_h);
  p.dil_w = static_cast<int32_t>(s.dil_w);
  p.gemm_m = static_cast<int32_t>(s.gemm_m());
  p.gemm_k = static_cast<int32_t>(s.gemm_k());
  p.relu = s.relu ? 1 : 0;
  implicit_gemm_common::SetLayoutStrides(s, p);
  p.div_pq = FastDivmod::Make(static_cast<uint32_t>(s.p * s.q));
  p.div_q = FastDivmod::Make(static_cast<uint32_t>(s.q));
  p.div_rs = FastDivmod::Make(static_cast<uint32_t>(s.r * s.s));
  p.div_s = FastDivmod::Make(static_cast<uint32_t>(s.s));
  return p;
}

double Cost(const ConvShape& s, const Config& config, int resident, const DeviceLimits& device) {
  const TileLayout layout = MakeTileLayout(config);
  if (!layout.valid || layout.smem_bytes > device.smem_per_block_optin) return -1.0;
  const int64_t blocks = CeilDiv(s.gemm_m(), config.block_m) * CeilDiv(s.k, config.block_n);
  const double waves =
      std::ceil(static_cast<double>(blocks) / (static_cast<double>(std::max(device.sm_count, 1)) * std::max(resident, 1)));
  const double k_padded = std::ceil(static_cast<double>(s.gemm_k()) / config.block_k) * config.block_k;
  return waves * (config.block_m + config.block_n) * k_padded;
}

}  // namespace implicit_gemm_tf32
}  // namespace kconv
