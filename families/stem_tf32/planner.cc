// SPDX-License-Identifier: Apache-2.0
#include "families/stem_tf32/planner.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "families/stem_ffma/planner.h"

namespace kconv {
namespace stem_tf32 {
namespace {

constexpr char kFamily[] = "stem_tf32";

struct Geometry {
  stem::StemBand band;
  int64_t strips;         // per image: 1 for whole rows
  int64_t strip_columns;  // output columns per strip: Q for whole rows
  int64_t tiles;          // per strip
  int64_t shared_bytes;
};

// A tile is tile_pixels consecutive pixels of one strip of `strip_columns` output columns (the image, when
// that is Q); its band covers every output row it touches, in `phases` planes of the columns of one phase
// each (stem_tile.cuh's LoadBand).
Geometry GeometryFor(const ConvShape& s, const Config& config, int64_t strip_columns) {
  const StemLayout layout = MakeStemLayout(config);
  Geometry g{};
  g.strip_columns = strip_columns;
  g.strips = stem::CeilDiv(s.q, strip_columns);
  const int64_t pq = s.p * strip_columns;
  g.tiles = stem::CeilDiv(pq, layout.tile_pixels);
  // The rows a tile spans depend on its first pixel's column, which repeats every q tiles at most: the
  // first min(tiles, q) tiles hold the widest (a later partial tile spans no more than a full one there).
  int64_t span = 1;
  for (int64_t t = 0; t < std::min(g.tiles, strip_columns); ++t) {
    const int64_t first = t * layout.tile_pixels, last = std::min(first + layout.tile_pixels, pq) - 1;
    span = std::max(span, last / strip_columns - first / strip_columns + 1);
  }
  g.band = stem::BandOf(s, config, span, 0, stem::CeilDiv(strip_columns, config.phases));
  const int64_t plane = s.c * g.band.band_rows * g.band.row_floats * 4;  // 16-byte multiple: rows are
  g.band.band_bytes = stem::CeilDiv(config.phases * plane, 128) * 128;
  const int64_t staging = int64_t{config.nt} * 8 * layout.staging_stride * 4;
  const int64_t pipeline =
      g.band.band_bytes + int64_t{config.wstages} * config.wsteps * PackedStepBytes(config) + 4 * g.band.chunks;
  g.shared_bytes = std::max(pipeline, staging);
  return g;
}

// Whole rows when their band fits `smem_limit`, or when a row is no wider than a tile (then a config with
// smaller tiles takes the shape, as before strips). Otherwise, for stems (at most stem::kWideRowMaxChannels
// input channels), rows are cut into the fewest strips of equal width (a multiple of the phases) whose bands
// fit, trying up to 64 strip counts from the one a band row's size suggests; none fitting leaves whole
// rows, refused for their size.
Geometry GeometryOf(const ConvShape& s, const Config& config, int64_t smem_limit) {
  const Geometry whole = GeometryFor(s, config, s.q);
  if (whole.shared_bytes <= smem_limit || s.c > stem::kWideRowMaxChannels ||
      s.q <= MakeStemLayout(config).tile_pixels) {
    return whole;
  }
  const int64_t phase_q = stem::CeilDiv(s.q, config.phases);
  // A one-row band of the whole width against a quarter of the limit: a first guess at the strip count.
  const int64_t one_row = stem::BandOf(s, config, 1, 0, phase_q).band_bytes * config.phases;
  const int64_t first = std::max<int64_t>(2, stem::CeilDiv(one_row, std::max<int64_t>(smem_limit / 4, 1)));
  for (int64_t strips = first; strips < first + 64; ++strips) {
    const int64_t columns = stem::CeilDiv(phase_q, strips);
    if (columns < 8) break;
    const Geometry g = GeometryFor(s, config, columns * config.phases);
    if (g.shared_bytes <= smem_limit) return g;
  }
  return whole;
}

class StemTf32 final : public KernelFamily {
 public:
  FamilySupport Support() const override {
    return {(uint64_t{1} << KCONV_ELEMENT_F32) | (uint64_t{1} << KCONV_ELEMENT_F16) | (uint64_t{1} << KCONV_ELEMENT_BF16),
            uint64_t{1} << KCONV_LAYOUT_NCHW,
            (uint64_t{1} << KCONV_MATH_TF32) | (uint64_t{1} << KCONV_MATH_3XTF32) | (uint64_t{1} << KCONV_MATH_FP32)};
  }
  // The convolution and its weight packer per element type, in kconv_element_type order (kernel.cuh).
  std::span<const std::string> KernelSuffixes() const override {
    static const std::string kSuffixes[] = {"",     "_pack_weights", "_f16", "_f16_pack_weights",
                                            "_bf16", "_bf16_pack_weights"};
    return kSuffixes;
  }
  absl::Status Accepts(const ConvShape& shape, int config, const DeviceLimits& device) const override {
    return stem_tf32::Accepts(shape, kConfigs[config], device);
  }
  double Cost(const ConvShape& shape, int config, const DeviceLimits& device,
              const ResidencyFn& resident) const override {
    if (stem_ffma::LeftToStrictFp32(shape, device)) return -1;  // NCHW 3x3 stems in 3xTF32: stem_ffma measured faster
    const Config& c = kConfigs[config];
    const LaunchGeometry g = MakePlanData(shape, c, device).geometry;
    return stem_tf32::Cost(c, g, resident(static_cast<int>(g.threads), static_cast<int>(g.shared_bytes)), device);
  }
  ConfigKnobs Knobs(int config) const override {
    const Config& c = kConfigs[config];
    return {MakeStemLayout(c).tile_pixels, c.nt * 8, c.wsteps * 8, c.warps, c.wstages, c.phases + 8 * c.split};
  }
  std::unique_ptr<FamilyPlan> MakePlan(const ConvShape& shape, int config, const DeviceLimits& device) const override;
};

class Plan final : public FamilyPlan {
 public:
  Plan(const ConvShape& shape, const PlanData& data)
      : shape_(shape), data_(data), kernel_(2 * static_cast<int>(shape.element_type)) {}
  LaunchGeometry Geometry() const override { return data_.geometry; }
  int64_t PackedWeightBytes() const override { return data_.packed_weight_bytes; }
  absl::Status PackWeights(const KernelLauncher& launcher, uint64_t w, uint64_t packed, CUstream stream) const override {
    return stem::LaunchPackWeights(launcher, kernel_ + 1, data_.pack, w, packed, stream);
  }
  absl::Status Launch(const KernelLauncher& launcher, const TensorPointers& t, CUstream stream) const override {
    StemParams p = data_.params;  // about 1 KB: the chunk table travels as a kernel parameter
    p.x = reinterpret_cast<const float*>(t.x);
    p.w_packed = reinterpret_cast<const float*>(t.w);
    p.bias = reinterpret_cast<const float*>(t.bias);
    p.y = reinterpret_cast<float*>(t.y);
    p.pair_copies = stem::PairCopies(shape_, t.x);
    return launcher.Launch(kernel_, data_.geometry, &p, stream);
  }

 private:
  ConvShape shape_;
  PlanData data_;
  int kernel_;  // the element type's convolution (KernelSuffixes); its packer follows it
};

std::unique_ptr<FamilyPlan> StemTf32::MakePlan(const ConvShape& shape, int config, const DeviceLimits& device) const {
  return std::make_unique<Plan>(shape, MakePlanData(shape, kConfigs[config], device));
}

}  // namespace

const KernelFamily& Family() {
  static const StemTf32 family;
  return family;
}

absl::Status Accepts(const ConvShape& s, const Config& config, const DeviceLimits& device) {
  if (s.element_type == KCONV_ELEMENT_F32 && s.math_mode == KCONV_MATH_FP32) {
    return stem::Refuse(kFamily, "strict FP32 is FFMA's (implicit_gemm_ffma), not the tensor cores'");
  }
  // 16-bit values are exact in TF32: one product each, whatever the math mode.
  const bool split = s.element_type == KCONV_ELEMENT_F32 && s.math_mode == KCONV_MATH_3XTF32;
  if ((config.split == 1) != split) {
    return stem::Refuse(kFamily, config.split == 1 ? "a 3xTF32 config, for fp32 3xTF32 only"
                                                   : "a TF32 config, not 3xTF32");
  }
  if (absl::Status shape = stem::CheckStemShape(kFamily, s, int64_t{config.nt} * 8, 4 / config.phases); !shape.ok()) {
    return shape;
  }
  const Geometry g = GeometryOf(s, config, device.smem_per_block_optin);
  if (g.tiles * g.strips * s.n > stem::kInt32Max) {
    return stem::Refuse(kFamily, g.tiles * g.strips * s.n, " tiles exceed the 32-bit tile index");
  }
  if (s.n * g.strips > 65535) {
    return stem::Refuse(kFamily, "N = ", s.n, " times ", g.strips, " strips exceeds the grid's 65535");
  }
  if (g.band.chunks > kStemMaxChunks) {
    return stem::Refuse(kFamily, "C*R*ceil(S/4) = ", g.band.chunks, " chunks exceed ", kStemMaxChunks);
  }
  if (g.shared_bytes > device.smem_per_block_optin) {
    return stem::Refuse(kFamily, "needs ", g.shared_bytes, " bytes of shared memory per block; the device allows ",
                        device.smem_per_block_optin);
  }
  return absl::OkStatus();
}

PlanData MakePlanData(const ConvShape& s, const Config& config, const DeviceLimits& device) {
  const StemLayout layout = MakeStemLayout(config);
  const Geometry g = GeometryOf(s, config, device.smem_per_block_optin);
  PlanData d{};
  d.band = g.band;
  d.params = stem::MakeStemParams(s, g.band);
  if (g.strips > 1) {
    d.params.strips = static_cast<int32_t>(g.strips);
    d.params.strip_columns = static_cast<int32_t>(g.strip_columns);
    d.params.strip_pixels = static_cast<int32_t>(s.p * g.strip_columns);
    d.params.div_strip = FastDivmod::Make(static_cast<uint32_t>(g.strip_columns));
  }
  d.pack = stem::MakeStemPackParams(s, g.band, d.params, config.nt * 8);
  d.geometry = LaunchGeometry{static_cast<uint32_t>(g.tiles), static_cast<uint32_t>(s.n * g.strips),
                              static_cast<uint32_t>(layout.threads), static_cast<uint32_t>(g.shared_bytes)};
  d.packed_weight_bytes = int64_t{d.params.steps} * PackedStepBytes(config);
  return d;
}

double Cost(const Config& config, const LaunchGeometry& geometry, int resident, const DeviceLimits& device) {
  const StemLayout layout = MakeStemLayout(config);
  const int64_t blocks = int64_t{geometry.grid_x} * geometry.grid_y;
  resident = std::max(resident, 1);
  const double sms = std::max(device.sm_count, 1);
  const double waves = std::max(1.0, static_cast<double>(blocks) / (sms * resident));
  return waves * (layout.tile_pixels + 64) / std::sqrt(static_cast<double>(config.warps * resident));
}

}  // namespace stem_tf32
}  // namespace kconv
