// SPDX-License-Identifier: Apache-2.0
#include "families/im2col_wgmma_tf32/planner.h"

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "families/stem_common/stem_geometry.h"

namespace kconv {
namespace im2col_wgmma_tf32 {
namespace {

constexpr char kFamily[] = "im2col_wgmma_tf32";

// The element type's kernels: the NCHW convolution, its packer and the NHWC convolution (KernelSuffixes).
constexpr int kKernelsPerType = 3;

// The most k8 steps a split config takes: its values' products chain in one accumulator set, a chain of
// truncating fp32 sums whose error grows with its length (the stem family's split configs, over at most 64
// steps, measured ~1e-6 at AlexNet's 48; the bar is 5e-6). ViT's 16x16 over 3 channels is 96 steps.
constexpr int64_t kMaxSplitSteps = 128;

// The fewest output channels an ffma config takes (its blocks compute 128).
constexpr int64_t kMinFfmaChannels = 96;

// The gather's row (gather.h) counts elements: NHWC's rows, pads, strides and kernel rows are C elements a
// column, NCHW's one.
int64_t ColumnScale(const ConvShape& s) { return s.layout == KCONV_LAYOUT_NHWC ? s.c : 1; }

// Chunks of four taps along a kernel row: ceil(S / 4), NHWC ceil(S * C / 4).
int64_t ChunksPerKernelRow(const ConvShape& s) { return stem::CeilDiv(s.s * ColumnScale(s), 4); }

// Chunks that hold real taps: C * R * J over NCHW's C planes, R * J over NHWC's one interleaved plane.
int64_t RealChunks(const ConvShape& s) {
  return (s.layout == KCONV_LAYOUT_NHWC ? 1 : s.c) * s.r * ChunksPerKernelRow(s);
}

struct Geometry {
  int64_t chunks;          // padded to whole stages
  int64_t pixel_tiles;     // ceil(N * P * Q / BlockPixels)
  int64_t channel_groups;  // ceil(K / BlockChannels)
  int64_t shared_bytes;
};

// Requires C, R and S to be small (Accepts checks them first), so that nothing here overflows.
Geometry GeometryOf(const ConvShape& s, const Config& config) {
  Geometry g{};
  const int64_t stage_chunks = 2 * config.ksteps;
  g.chunks = stem::CeilDiv(RealChunks(s), stage_chunks) * stage_chunks;
  g.pixel_tiles = stem::CeilDiv(s.gemm_m(), BlockPixels(config));
  g.channel_groups = stem::CeilDiv(s.k, BlockChannels(config));
  g.shared_bytes = MakeIm2colSmem(config, g.chunks).total;
  return g;
}

class Im2colWgmmaTf32 final : public KernelFamily {
 public:
  // fp16 and bf16 products are exact in TF32's fp32 sums, so 16-bit tensors take every math mode.
  FamilySupport Support() const override {
    return {(uint64_t{1} << KCONV_ELEMENT_F32) | (uint64_t{1} << KCONV_ELEMENT_F16) | (uint64_t{1} << KCONV_ELEMENT_BF16),
            (uint64_t{1} << KCONV_LAYOUT_NCHW) | (uint64_t{1} << KCONV_LAYOUT_NHWC),
            (uint64_t{1} << KCONV_MATH_TF32) | (uint64_t{1} << KCONV_MATH_3XTF32) | (uint64_t{1} << KCONV_MATH_FP32)};
  }
  std::span<const std::string> KernelSuffixes() const override {
    static const std::string kSuffixes[] = {"",     "_pack_weights",      "_nhwc",      "_f16",     "_f16_pack_weights",
                                            "_f16_nhwc", "_bf16", "_bf16_pack_weights", "_bf16_nhwc"};
    return kSuffixes;
  }
  absl::Status Accepts(const ConvShape& shape, int config, const DeviceLimits& device) const override {
    return im2col_wgmma_tf32::Accepts(shape, kConfigs[config], device);
  }
  // One block per SM by its shared memory: residency does not enter the cost.
  double Cost(const ConvShape& shape, int config, const DeviceLimits& device, const ResidencyFn&) const override {
    return im2col_wgmma_tf32::Cost(shape, kConfigs[config], device);
  }
  ConfigKnobs Knobs(int config) const override {
    const Config& c = kConfigs[config];
    // 3xTF32 and strict FP32 configs: neighbours of their own kind only.
    return {BlockPixels(c), BlockChannels(c), c.ksteps * 8, c.warps, c.stages, c.split + 2 * c.ffma};
  }
  std::unique_ptr<FamilyPlan> MakePlan(const ConvShape& shape, int config, const DeviceLimits& device) const override;
};

class Plan final : public FamilyPlan {
 public:
  Plan(const ConvShape& shape, const PlanData& data) : shape_(shape), data_(data) {}
  LaunchGeometry Geometry() const override { return data_.geometry; }
  int64_t PackedWeightBytes() const override { return data_.packed_weight_bytes; }
  absl::Status PackWeights(const KernelLauncher& launcher, uint64_t w, uint64_t packed, CUstream stream) const override {
    return stem::LaunchPackWeights(launcher, data_.packer, data_.pack, w, packed, stream);
  }
  absl::Status Launch(const KernelLauncher& launcher, const TensorPointers& t, CUstream stream) const override {
    Im2colParams params = data_.params;
    params.x = reinterpret_cast<const float*>(t.x);
    params.w_packed = reinterpret_cast<const float*>(t.w);
    params.bias = reinterpret_cast<const float*>(t.bias);
    params.y = reinterpret_cast<float*>(t.y);
    params.load_width = LoadWidth(shape_, t.x);
    return launcher.Launch(data_.kernel, data_.geometry, &params, stream);
  }

 private:
  ConvShape shape_;
  PlanData data_;
};

std::unique_ptr<FamilyPlan> Im2colWgmmaTf32::MakePlan(const ConvShape& shape, int config, const DeviceLimits&) const {
  return std::make_unique<Plan>(shape, MakePlanData(shape, kConfigs[config]));
}

}  // namespace

const KernelFamily& Family() {
  static const Im2colWgmmaTf32 family;
  return family;
}

absl::Status Accepts(const ConvShape& s, const Config& config, const DeviceLimits& device) {
  if (device.cc != 90) {
    return stem::Refuse(kFamily, "needs compute capability 9.0 (sm_90a wgmma); the device has ", device.cc / 10, ".",
                        device.cc % 10);
  }
  // 16-bit products are exact in TF32: the plain configs take 16-bit tensors in every math mode.
  if (config.split) {
    if (s.element_type != KCONV_ELEMENT_F32 || s.math_mode != KCONV_MATH_3XTF32) {
      return stem::Refuse(kFamily, "the config computes fp32 in 3xTF32 only (split=1)");
    }
  } else if (config.ffma) {
    if (s.element_type != KCONV_ELEMENT_F32 || s.math_mode != KCONV_MATH_FP32) {
      return stem::Refuse(kFamily, "the config computes fp32 in strict FP32 only (ffma=1)");
    }
    // A block's 128 channels are 16 threads' 8: fewer leave most of them idle (the FFMA implicit GEMM then).
    if (s.k < kMinFfmaChannels) {
      return stem::Refuse(kFamily, s.k, " output channels are fewer than the ", kMinFfmaChannels,
                          " a strict FP32 block (128) is for");
    }
  } else if (s.element_type == KCONV_ELEMENT_F32 && s.math_mode != KCONV_MATH_TF32) {
    return stem::Refuse(kFamily,
                        "fp32 in TF32 only with this config (3xTF32: the split=1 configs; strict FP32: ffma=1)");
  }
  // (A split or ffma config's NHWC kernel is its fp32 one: fp32 NHWC passes here.)
  const bool fp32_only = config.split || config.ffma;
  if (config.io == 0 && (s.element_type != KCONV_ELEMENT_F32 || (s.layout != KCONV_LAYOUT_NCHW && !fp32_only))) {
    return stem::Refuse(kFamily, "the config computes fp32 NCHW only (io=0)");
  }
  // Every tap of a stride-1 window is gathered once per pixel: in 16-bit NHWC the FFMA implicit GEMM, which
  // reads the taps as they lie, measured faster (VGG's 3x3/1 at N = 64 on an H200: 992 against 1193 us).
  if (s.element_type != KCONV_ELEMENT_F32 && s.layout == KCONV_LAYOUT_NHWC && s.stride_h == 1 && s.stride_w == 1) {
    return stem::Refuse(kFamily, "16-bit NHWC at stride 1 goes to the FFMA implicit GEMM (measured faster)");
  }
  if (s.dil_h != 1 || s.dil_w != 1) return stem::Refuse(kFamily, "needs dilation 1");
  if (s.c > kMaxInputChannels) {
    return stem::Refuse(kFamily, s.c, " input channels exceed the ", kMaxInputChannels, " of a stem");
  }
  // C <= 4 here, and R and S at most 2^40 (ValidateConvDesc): the products cannot overflow.
  const int64_t real_chunks = RealChunks(s);
  if (real_chunks > kMaxChunks - 2 * config.ksteps) {
    return stem::Refuse(kFamily, s.layout == KCONV_LAYOUT_NHWC ? "R*ceil(S*C/4) = " : "C*R*ceil(S/4) = ", real_chunks,
                        " chunks exceed ", kMaxChunks - 2 * config.ksteps);
  }
  // The kernel indexes pixels, an image's floats and input coordinates with int32. Each extent is at most
  // 2^40 (ValidateConvDesc), so these sums and products cannot overflow int64.
  // In NHWC a row's elements and columns are C times more (C <= 4); a chunk's offset reaches R rows down.
  const int64_t scale = ColumnScale(s);
  for (int64_t extent : {s.gemm_m() + BlockPixels(config), s.c * s.h * s.w, s.k * s.p * s.q, s.h + 2 * s.pad_h,
                         scale * (s.w + 2 * s.pad_w), s.p * s.stride_h, scale * s.q * s.stride_w,
                         s.k + BlockChannels(config), s.r * scale * s.w}) {
    if (extent > stem::kInt32Max / 2) {
      return stem::Refuse(kFamily, "an extent (", extent, ") exceeds the 32-bit index range");
    }
  }
  const Geometry g = GeometryOf(s, config);
  if (config.split && g.chunks / 2 > kMaxSplitSteps) {
    return stem::Refuse(kFamily, "3xTF32 takes at most ", kMaxSplitSteps, " k8 steps (", 2 * kMaxSplitSteps,
                        " chunks), for its accuracy; the shape has ", g.chunks / 2);
  }
  if (g.pixel_tiles * g.channel_groups > stem::kInt32Max) {
    return stem::Refuse(kFamily, g.pixel_tiles * g.channel_groups, " blocks exceed the grid");
  }
  if (g.shared_bytes > device.smem_per_block_optin) {
    return stem::Refuse(kFamily, "needs ", g.shared_bytes, " bytes of shared memory per block; the device allows ",
                        device.smem_per_block_optin);
  }
  return absl::OkStatus();
}

PlanData MakePlanData(const ConvShape& s, const Config& config) {
  const Geometry g = GeometryOf(s, config);
  PlanData d{};
  Im2colParams& p = d.params;
  p.c = static_cast<int32_t>(s.c);
  p.h = static_cast<int32_t>(s.h);
  p.w = static_cast<int32_t>(s.w);
  p.k = static_cast<int32_t>(s.k);
  p.q = static_cast<int32_t>(s.q);
  p.pq = static_cast<int32_t>(s.p * s.q);
  p.s = static_cast<int32_t>(s.s);
  p.stride_h = static_cast<int32_t>(s.stride_h);
  p.stride_w = static_cast<int32_t>(s.stride_w);
  p.pad_h = static_cast<int32_t>(s.pad_h);
  p.pad_w = static_cast<int32_t>(s.pad_w);
  p.pixels = static_cast<int32_t>(s.gemm_m());
  p.channel_groups = static_cast<int32_t>(g.channel_groups);
  p.steps = static_cast<int32_t>(g.chunks / 2);
  p.real_chunks = static_cast<int32_t>(RealChunks(s));
  p.j = static_cast<int32_t>(ChunksPerKernelRow(s));
  p.r = static_cast<int32_t>(s.r);
  const bool nhwc = s.layout == KCONV_LAYOUT_NHWC;
  p.column_scale = static_cast<int32_t>(ColumnScale(s));
  p.row_elements = p.w * p.column_scale;
  p.row_taps = p.s * p.column_scale;
  p.relu = s.relu ? 1 : 0;
  p.load_width = 1;
  p.div_pq = FastDivmod::Make(static_cast<uint32_t>(s.p * s.q));
  p.div_q = FastDivmod::Make(static_cast<uint32_t>(s.q));
  const int32_t channels = static_cast<int32_t>(g.channel_groups * BlockChannels(config));
  d.pack = StemPackParams{nullptr, nullptr, p.k, p.c, p.r, p.s, p.j, channels, p.steps, NhwcPlanes{}, nhwc ? 1 : 0};
  const int type = static_cast<int>(s.element_type);
  d.kernel = kKernelsPerType * type + (nhwc ? 2 : 0);
  d.packer = kKernelsPerType * type + 1;
  d.geometry = LaunchGeometry{static_cast<uint32_t>(g.pixel_tiles * g.channel_groups), 1,
                              static_cast<uint32_t>(Threads(config)), static_cast<uint32_t>(g.shared_bytes)};
  d.packed_weight_bytes = int64_t{channels} * p.steps * 32 * (1 + config.split);  // remainders' images after values'
  return d;
}

int32_t LoadWidth(const ConvShape& s, uint64_t x) {
  // In elements of a row (gather.h).
  const int64_t scale = ColumnScale(s), bytes = s.element_type == KCONV_ELEMENT_F32 ? 4 : 2;
  const int64_t row = s.w * scale, pad = s.pad_w * scale, stride = s.stride_w * scale, taps = s.s * scale;
  if (x % (4 * bytes) == 0 && row % 4 == 0 && pad % 4 == 0 && stride % 4 == 0 && taps % 4 == 0) return 4;
  if (x % (2 * bytes) == 0 && row % 2 == 0 && pad % 2 == 0 && stride % 2 == 0) return 2;
  return 1;
}

double Cost(const ConvShape& s, const Config& config, const DeviceLimits& device) {
  const Geometry g = GeometryOf(s, config);
  const int64_t blocks = g.pixel_tiles * g.channel_groups;
  // An ffma block takes its whole reduction alone: with blocks for under a quarter of the SMs the FFMA
  // implicit GEMM's smaller tiles finish first (ViT at N = 1 and 2, 12 and 24 blocks on an H100: 58.6 and
  // 77.2 us against 85.6 and 85.9; at N = 4, 42 blocks, 124.6 against 86.0). Negative: leave it to them.
  if (config.ffma && blocks * 4 < device.sm_count) return -1;
  const int64_t waves = stem::CeilDiv(blocks, std::max(device.sm_count, 1));
  const int64_t steps = g.chunks / 2 + 4 * config.ksteps;
  // Every block gathers its pixels' A tile whatever its channels: a cost of kGatherChannels channels' math.
  // A split config takes three products a step and stores two A tiles.
  constexpr int64_t kGatherChannels = 64;
  const int64_t per_pixel = (config.split ? 3 : 1) * BlockChannels(config) + (config.split ? 2 : 1) * kGatherChannels;
  // One consumer warpgroup leaves its wgmma groups' latency unhidden, where two take turns: ViT's 3xTF32 at
  // N = 64 (H100) ran 240.7 us on m64n128_w4 against 198.9 on m128n96_w8, at 0.92 of the latter's cost.
  constexpr double kOneWarpgroupFactor = 1.3;
  const double warpgroups = config.warps / 4 == 1 ? kOneWarpgroupFactor : 1.0;
  return static_cast<double>(waves) * BlockPixels(config) * static_cast<double>(per_pixel) * static_cast<double>(steps) *
         warpgroups;
}

}  // namespace im2col_wgmma_tf32
}  // namespace kconv
