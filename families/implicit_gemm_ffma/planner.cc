// SPDX-License-Identifier: Apache-2.0
#include "families/implicit_gemm_ffma/planner.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "families/implicit_gemm_common/gemm_limits.h"
#include "runtime/status_macros.h"

namespace kconv {
namespace implicit_gemm_ffma {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

constexpr uint64_t Bit(int v) { return uint64_t{1} << v; }

class ImplicitGemmFfma final : public KernelFamily {
 public:
  FamilySupport Support() const override {
    return {Bit(KCONV_ELEMENT_F32) | Bit(KCONV_ELEMENT_F16) | Bit(KCONV_ELEMENT_BF16),
            Bit(KCONV_LAYOUT_NCHW) | Bit(KCONV_LAYOUT_NHWC),
            Bit(KCONV_MATH_TF32) | Bit(KCONV_MATH_3XTF32) | Bit(KCONV_MATH_FP32)};
  }
  // One kernel per element type, in kconv_element_type order (kernel.cuh).
  std::span<const std::string> KernelSuffixes() const override {
    static const std::string kSuffixes[] = {"", "_f16", "_bf16"};
    return kSuffixes;
  }
  absl::Status Accepts(const ConvShape& shape, int config, const DeviceLimits& device) const override {
    return implicit_gemm_ffma::Accepts(shape, kConfigs[config], device);
  }
  double Cost(const ConvShape& shape, int config, const DeviceLimits& device,
              const ResidencyFn& resident) const override {
    const Config& c = kConfigs[config];
    const TileLayout layout = MakeTileLayout(c);
    return implicit_gemm_ffma::Cost(shape, c, resident(layout.threads, layout.smem_bytes), device);
  }
  ConfigKnobs Knobs(int config) const override {
    const Config& c = kConfigs[config];
    const TileLayout layout = MakeTileLayout(c);
    return {c.block_m, c.block_n, c.block_k, layout.threads / 32, 2};
  }
  std::unique_ptr<FamilyPlan> MakePlan(const ConvShape& shape, int config, const DeviceLimits&) const override;
};

class Plan final : public FamilyPlan {
 public:
  Plan(const ConvShape& shape, const Config& config)
      : params_(MakeParams(shape)), geometry_(GeometryOf(shape, config)), kernel_(shape.element_type) {}
  LaunchGeometry Geometry() const override { return geometry_; }
  absl::Status Launch(const KernelLauncher& launcher, const TensorPointers& t, CUstream stream) const override {
    FfmaParams p = params_;
    p.x = reinterpret_cast<const void*>(t.x);
    p.w = reinterpret_cast<const void*>(t.w);
    p.bias = reinterpret_cast<const float*>(t.bias);
    p.y = reinterpret_cast<void*>(t.y);
    return launcher.Launch(kernel_, geometry_, &p, stream);
  }

 private:
  FfmaParams params_;
  LaunchGeometry geometry_;
  int kernel_;  // the element type's kernel (KernelSuffixes)
};

std::unique_ptr<FamilyPlan> ImplicitGemmFfma::MakePlan(const ConvShape& shape, int config, const DeviceLimits&) const {
  return std::make_unique<Plan>(shape, kConfigs[config]);
}

}  // namespace

const KernelFamily& Family() {
  static const ImplicitGemmFfma family;
  return family;
}

absl::Status Accepts(const ConvShape& s, const Config& config, const DeviceLimits& device) {
  const TileLayout layout = MakeTileLayout(config);
  if (!layout.valid) return absl::InternalError("implicit_gemm_ffma: invalid tile config in the registry");
  KCONV_RETURN_IF_ERROR(
      implicit_gemm_common::CheckIndexRange("implicit_gemm_ffma", s, config.block_m, config.block_k, config.block_n));
  if (layout.smem_bytes > device.smem_per_block_optin) {
    return absl::UnimplementedError(absl::StrCat("implicit_gemm_ffma: needs ", layout.smem_bytes,
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

FfmaParams MakeParams(const ConvShape& s) {
  FfmaParams p{};
  p.c = static_cast<int32_t>(s.c);
  p.h = static_cast<int32_t>(s.h);
  p.w_in = static_cast<int32_t>(s.w);
  p.k = static_cast<int32_t>(s.k);
  p.r = static_cast<int32_t>(s.r);
  p.s = static_cast<int32_t>(s.s);
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
  const int64_t sms = std::max(device.sm_count, 1);
  // Blocks sharing an SM at once share its FFMA pipes: a wave of `sharing` blocks takes `sharing` blocks'
  // work.
  const int64_t sharing = std::min<int64_t>(std::max(resident, 1), CeilDiv(blocks, sms));
  const double waves = std::ceil(static_cast<double>(blocks) / static_cast<double>(sms * sharing));
  const double k_padded = std::ceil(static_cast<double>(s.gemm_k()) / config.block_k) * config.block_k;
  return waves * static_cast<double>(sharing) * k_padded *
         (config.block_m * config.block_n + 4.0 * (config.block_m + config.block_n));
}

}  // namespace implicit_gemm_ffma
}  // namespace kconv
