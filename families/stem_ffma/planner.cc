// SPDX-License-Identifier: Apache-2.0
#include "families/stem_ffma/planner.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "families/implicit_gemm_common/gemm_limits.h"

namespace kconv {
namespace stem_ffma {
namespace {

constexpr char kFamily[] = "stem_ffma";
constexpr int64_t kMaxExtent = int64_t{1} << 30;  // input extents, pads and tiles: int32 with room to add

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

constexpr uint64_t Bit(int v) { return uint64_t{1} << v; }

int64_t TilesOf(const ConvShape& s, const Config& c) { return s.n * CeilDiv(s.p, c.rows) * CeilDiv(s.q, c.tile_q); }

// A block's shared memory; channel counts past any device's limit are clamped so that the product stays
// far inside int64.
int64_t SharedBytesOf(const ConvShape& s, const Config& c) { return SharedBytes(c, std::min(s.c, kMaxExtent)); }

class StemFfma final : public KernelFamily {
 public:
  // 3xTF32 in NHWC and, for 3x3 stems, in NCHW, and TF32 for 3x3 stems in NHWC (Accepts), computed in strict
  // FP32: at least as accurate, and measured faster than the tensor-core paths there.
  FamilySupport Support() const override {
    return {Bit(KCONV_ELEMENT_F32), Bit(KCONV_LAYOUT_NCHW) | Bit(KCONV_LAYOUT_NHWC),
            Bit(KCONV_MATH_FP32) | Bit(KCONV_MATH_3XTF32) | Bit(KCONV_MATH_TF32)};
  }
  std::span<const std::string> KernelSuffixes() const override {
    static const std::string kSuffixes[] = {""};
    return kSuffixes;
  }
  absl::Status Accepts(const ConvShape& shape, int config, const DeviceLimits& device) const override {
    return stem_ffma::Accepts(shape, kConfigs[config], device);
  }
  double Cost(const ConvShape& shape, int config, const DeviceLimits& device,
              const ResidencyFn& resident) const override {
    const Config& c = kConfigs[config];
    const int64_t bytes = SharedBytesOf(shape, c);
    if (bytes > device.smem_per_block_optin) return -1.0;
    return stem_ffma::Cost(shape, c, resident(MakeTileLayout(c).block_threads, static_cast<int>(bytes)), device);
  }
  ConfigKnobs Knobs(int config) const override {
    const Config& c = kConfigs[config];
    return {c.rows * c.tile_q, c.block_k, c.kernel * c.kernel, (MakeTileLayout(c).block_threads + 31) / 32, 2};
  }
  std::unique_ptr<FamilyPlan> MakePlan(const ConvShape& shape, int config, const DeviceLimits& device) const override;
};

class Plan final : public FamilyPlan {
 public:
  Plan(const ConvShape& shape, const Config& config, const DeviceLimits& device)
      : params_(MakeParams(shape, config)), geometry_(GeometryOf(shape, config, device)) {}
  LaunchGeometry Geometry() const override { return geometry_; }
  absl::Status Launch(const KernelLauncher& launcher, const TensorPointers& t, CUstream stream) const override {
    FfmaStemParams p = params_;
    p.x = reinterpret_cast<const float*>(t.x);
    p.w = reinterpret_cast<const float*>(t.w);
    p.bias = reinterpret_cast<const float*>(t.bias);
    p.y = reinterpret_cast<float*>(t.y);
    return launcher.Launch(0, geometry_, &p, stream);
  }

 private:
  FfmaStemParams params_;
  LaunchGeometry geometry_;
};

std::unique_ptr<FamilyPlan> StemFfma::MakePlan(const ConvShape& shape, int config, const DeviceLimits& device) const {
  return std::make_unique<Plan>(shape, kConfigs[config], device);
}

}  // namespace

const KernelFamily& Family() {
  static const StemFfma family;
  return family;
}

bool LeftToStrictFp32(const ConvShape& shape, const DeviceLimits& device) {
  if (!FasterInStrictFp32(shape)) return false;
  for (int i = 0; i < kConfigCount; ++i) {
    if (Accepts(shape, kConfigs[i], device).ok()) return true;
  }
  return false;
}

absl::Status Accepts(const ConvShape& s, const Config& c, const DeviceLimits& device) {
  if (!MakeTileLayout(c).valid) return absl::InternalError("stem_ffma: invalid tile config in the registry");
  if (s.r != c.kernel || s.s != c.kernel || s.stride_h != c.stride || s.stride_w != c.stride) {
    return absl::UnimplementedError(absl::StrCat(kFamily, ": computes ", c.kernel, "x", c.kernel, " kernels at stride ",
                                                 c.stride, ", not ", s.r, "x", s.s, " at ", s.stride_h, "x",
                                                 s.stride_w));
  }
  if (s.dil_h != 1 || s.dil_w != 1) return absl::UnimplementedError(absl::StrCat(kFamily, ": no dilation"));
  // 3xTF32 asks for fp32 accuracy, which FFMA gives exactly. In NHWC the other paths were the implicit GEMM, which
  // this family beat 1.6-5x (N = 64 on an H200: AlexNet 388 against 919 us, VGG 596 against 2950, MobileNet 102
  // against 397), and on Hopper the split configs at stride 4 (faster: they decline nothing to this family). In
  // NCHW the stem families' 3xTF32 was faster, except on 3x3 stems (FasterInStrictFp32).
  if (s.math_mode == KCONV_MATH_3XTF32 && s.layout != KCONV_LAYOUT_NHWC && c.kernel != 3) {
    return absl::UnimplementedError(
        absl::StrCat(kFamily, ": 3xTF32 in NHWC, or for 3x3 stems in NCHW, only (computed in strict FP32)"));
  }
  // TF32 allows less accuracy than FFMA gives. For 3x3 stems in NHWC the FFMA was the fastest path measured
  // (N = 64 on an H200, against im2col_wgmma_tf32's TF32: MobileNet 102 against 194 us, VGG 596 against 1124);
  // elsewhere the tensor-core families were faster.
  if (s.math_mode == KCONV_MATH_TF32 && (c.kernel != 3 || s.layout != KCONV_LAYOUT_NHWC)) {
    return absl::UnimplementedError(
        absl::StrCat(kFamily, ": TF32 only for 3x3 stems in NHWC (computed in strict FP32)"));
  }
  // A 3x3 kernel over more channels is an ordinary layer, which the implicit GEMM computes: the 3x3 configs
  // were measured on image stems (3 channels) only.
  if (c.kernel == 3 && s.c > kMaxThreeByThreeChannels) {
    return absl::UnimplementedError(absl::StrCat(kFamily, ": 3x3 kernels over at most ", kMaxThreeByThreeChannels,
                                                 " input channels (a stem), not ", s.c));
  }
  if (s.h >= kMaxExtent || s.w >= kMaxExtent || s.pad_h >= kMaxExtent || s.pad_w >= kMaxExtent ||
      TilesOf(s, c) >= kMaxExtent || CeilDiv(s.k, c.block_k) > 65535 || s.c * s.h * s.w > INT32_MAX ||
      s.k * s.p * s.q > INT32_MAX) {
    return absl::UnimplementedError(absl::StrCat(kFamily, ": extents beyond the kernel's 32-bit indices"));
  }
  // The weights of every input channel stay in shared memory: at most what the device allows.
  const int64_t bytes = SharedBytesOf(s, c);
  if (bytes > device.smem_per_block_optin) {
    return absl::UnimplementedError(absl::StrCat(kFamily, ": ", s.c, " input channels need ", bytes,
                                                 " bytes of shared memory per block; the device allows ",
                                                 device.smem_per_block_optin));
  }
  return absl::OkStatus();
}

int BlocksPerSm(const ConvShape& s, const Config& c, const DeviceLimits& device) {
  const TileLayout layout = MakeTileLayout(c);
  const int64_t warps_threads = (layout.block_threads + 31) / 32 * 32;
  const int64_t by_smem = device.smem_per_sm / (SharedBytesOf(s, c) + 1024);  // the driver's 1 KB per block
  const int64_t by_threads = device.max_threads_per_sm / warps_threads;
  const int64_t by_registers = device.registers_per_sm / (warps_threads * 128);  // ptxas: 114-128
  return static_cast<int>(std::max<int64_t>(1, std::min({by_smem, by_threads, by_registers})));
}

LaunchGeometry GeometryOf(const ConvShape& s, const Config& c, const DeviceLimits& device) {
  const int64_t channel_blocks = CeilDiv(s.k, c.block_k);
  const int64_t slots = int64_t{std::max(device.sm_count, 1)} * BlocksPerSm(s, c, device);
  const int64_t blocks = std::clamp<int64_t>(slots / channel_blocks, 1, CeilDiv(TilesOf(s, c), c.teams));
  return LaunchGeometry{static_cast<uint32_t>(blocks), static_cast<uint32_t>(channel_blocks),
                        static_cast<uint32_t>(MakeTileLayout(c).block_threads),
                        static_cast<uint32_t>(SharedBytesOf(s, c))};
}

FfmaStemParams MakeParams(const ConvShape& s, const Config& c) {
  FfmaStemParams p{};
  p.c = static_cast<int32_t>(s.c);
  p.h = static_cast<int32_t>(s.h);
  p.w_in = static_cast<int32_t>(s.w);
  p.k = static_cast<int32_t>(s.k);
  p.p = static_cast<int32_t>(s.p);
  p.q = static_cast<int32_t>(s.q);
  p.pad_h = static_cast<int32_t>(s.pad_h);
  p.pad_w = static_cast<int32_t>(s.pad_w);
  p.q_tiles = static_cast<int32_t>(CeilDiv(s.q, c.tile_q));
  p.p_tiles = static_cast<int32_t>(CeilDiv(s.p, c.rows));
  p.tiles = static_cast<int32_t>(TilesOf(s, c));
  p.relu = s.relu ? 1 : 0;
  p.channels_last = s.layout == KCONV_LAYOUT_NHWC ? 1 : 0;
  implicit_gemm_common::SetLayoutStrides(s, p);
  return p;
}

double Cost(const ConvShape& s, const Config& c, int resident, const DeviceLimits& device) {
  const TileLayout layout = MakeTileLayout(c);
  if (!layout.valid || SharedBytesOf(s, c) > device.smem_per_block_optin) return -1.0;
  const int64_t units = TilesOf(s, c) * CeilDiv(s.k, c.block_k);
  const int64_t sms = std::max(device.sm_count, 1);
  // Each team of a block is a tile in flight.
  const int64_t sharing = std::min<int64_t>(int64_t{std::max(resident, 1)} * c.teams, CeilDiv(units, sms));
  const double waves = std::ceil(static_cast<double>(units) / static_cast<double>(sms * sharing));
  const double ffma = static_cast<double>(c.rows) * c.tile_q * c.block_k * c.kernel * c.kernel;
  const double unit = static_cast<double>(s.c) * (ffma + 10.0 * layout.band_floats);
  // A one-team block also waits, per tile, for its epilogue's barriers and the copy of the next tile's first
  // band; a second team computes meanwhile. 5% of a tile fits both measured ratios of the two-team AlexNet
  // config to the one-team one (0.975 at N = 256, 1.146 at N = 32; bench/NOTES.md).
  const double exposed = c.teams == 1 ? 0.05 * unit : 0.0;
  return waves * static_cast<double>(sharing) * (unit + exposed);
}

}  // namespace stem_ffma
}  // namespace kconv
