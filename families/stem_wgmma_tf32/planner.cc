// SPDX-License-Identifier: Apache-2.0
#include "families/stem_wgmma_tf32/planner.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "families/stem_common/pair_rows.h"
#include "families/stem_common/widened_raw_rows.h"
#include "families/stem_ffma/planner.h"

namespace kconv {
namespace stem_wgmma_tf32 {
namespace {

constexpr char kFamily[] = "stem_wgmma_tf32";

// KernelSuffixes: per element type the NCHW convolution, its packer and the NHWC convolution (a split = 1
// config's fp32 NCHW convolution and packer are its 3xTF32 ones), then per 16-bit type the pair-row
// convolution and its packer, then per 16-bit type the NHWC pair-row convolution (the same packer).
constexpr int kKernelsPerType = 3, kPairRowKernels = 3 * kKernelsPerType, kNhwcPairRowKernels = kPairRowKernels + 4;

// The most k8 steps a 3xTF32 config takes: the big products' chains of truncating fp32 sums grow the error
// with their length (AlexNet's 50 steps, 150 chained products, measured 2.5e-6 on the portable family before
// its fix; the bar is 5e-6; here the big products chain alone, over one or two accumulator sets).
constexpr int64_t kMaxSplitSteps = 64;

// Cycles from a weight slot's release to its next stage landing (the bulk copy from L2, with the producer's wake-up):
// AlexNet at N = 256 on an H100 put it at ~1000 (fp16) to ~1450 (TF32) from m256n96_w8_k3x2 against k3x5 (Cost).
constexpr double kWeightStageLatencyCycles = 1200;
// Cycles of a block's time per unit of Cost, to add waits measured in cycles: AlexNet's tiles on an H100 took
// ~54 (fp16 NCHW, k3x5: 247 us over 28 tiles of 320 units at ~1.9 GHz) to ~60 (TF32, k5x5). The kernel is
// latency-bound, so this is ~3x the wgmma cycles per unit.
constexpr double kCyclesPerCostUnit = 55;

struct Geometry {
  stem::StemBand band;      // one plane; band_bytes: the band buffer, which also holds the staged outputs
  int64_t plane_bytes;      // a plane's stride in the band buffer: C * band_rows * row_floats * 4 (pair rows:
                            // C * ceil(band_rows / 2) * row_floats * 4), rounded to 128
  int64_t column_tiles;     // per row tile: 1 for whole rows
  int64_t tile_columns;     // output columns per column tile: Q for whole rows
  int64_t segments;         // m64 pieces per output row and phase of a column tile
  int64_t rows_per_tile;    // output rows per tile (0: the pieces do not divide)
  int64_t tiles;            // row tiles per image
  int64_t channel_groups;   // ceil(K / the config's channels): blocks that share a tile's channels
  int64_t staging_stride;   // floats between staged channel rows
  int64_t lo_offset;        // 3xTF32: bytes from a band buffer's start to the band's remainders
  int64_t raw_offset;       // pair rows and widened raw rows: bytes from a band buffer's start to a tensor
                            // copy's raw rows,
  int64_t raw_row;          // the elements of one raw row (PairRowRawRow, WidenedRawRow),
  int64_t raw_bytes;        // and of them all: C * band_rows * raw_row elements
  bool early_raw;           // the raw rows' room lies past the staging too (EarlyRawRows)
  bool pingpong;            // the consumer warpgroups take turns (WithPingPong), each staging half the tile,
  int64_t second_staging;   // the second's at this offset of the band buffer (the first's at raw_offset)
  int64_t shared_bytes;
};

// The block's shared memory for `g`'s band buffers (traits.h's MakeStemWgmmaSmem).
int64_t SharedBytes(const Config& config, const Geometry& g) {
  const int64_t weight_stage_bytes = MakeStemLayout(config).weight_stage_bytes * (config.split ? 2 : 1);
  return MakeStemWgmmaSmem(g.band.band_bytes, config.wstages, weight_stage_bytes, g.band.chunks,
                           g.channel_groups * config.nt * 8)
      .total;
}

bool EnvironmentIs(const char* name, const char* value);

// The input column where plane `phase`'s chunk layout starts, and its offset from a 16-byte boundary.
int64_t PlaneShift(const ConvShape& s, int64_t phase) { return ((phase * s.stride_w - s.pad_w) % 4 + 4) % 4; }

// Whether the band is NHWC's plane layout (nhwc_planes.h): NHWC at stride 4.
bool NhwcBand(const ConvShape& s, const Config& config) { return s.layout == KCONV_LAYOUT_NHWC && config.phases == 1; }

// Whether the plane layout's int32 arithmetic holds: a footprint of at most 4 * kStemMaxChunks floats (the
// chunk limit needs no more) and a padding far inside the range.
bool NhwcPlanesFit(const ConvShape& s) { return s.c * s.s <= 4 * kStemMaxChunks && s.c * s.pad_w <= (int64_t{1} << 24); }

NhwcPlanes PlanesOf(const ConvShape& s) {
  return MakeNhwcPlanes(static_cast<int32_t>(s.c), static_cast<int32_t>(s.s), static_cast<int32_t>(s.pad_w));
}

// Whether a band at horizontal stride 2 or 1 in 16-bit NCHW or in NHWC (io = 1) may come by a tensor copy of its
// raw rows, which the producers widen (gather, round) into the phase planes (widened_raw_rows.h). fp32 NCHW
// keeps a tensor copy per plane.
bool WidenedRawBand(const ConvShape& s, const Config& config) {
  return (s.element_type != KCONV_ELEMENT_F32 || s.layout == KCONV_LAYOUT_NHWC) && config.io == 1 && config.phases > 1;
}

// Whether a plane's tensor copy starts left of its chunk layout (then each band row is 4 floats wider). An
// NHWC band's copy starts at a group, and its weights are zero before the footprint: never. Pair-row and
// widened raw bands are copied raw and laid out by the producers, and no other 16-bit band has a tensor copy.
bool Shifted(const ConvShape& s, const Config& config, bool pair_rows) {
  if (NhwcBand(s, config) || pair_rows || WidenedRawBand(s, config)) return false;
  bool shifted = false;
  for (int64_t phase = 0; phase < config.phases; ++phase) shifted |= PlaneShift(s, phase) != 0;
  return shifted;
}

// The geometry of tiles whose rows are `column_tiles` column tiles of `tile_columns` output columns, in the
// pair-row layout if `pair_rows` (PairRowBand, decided once per plan), with room for a tensor copy's raw rows
// if `raw_room` (pair rows, or a WidenedRawBand) and the copy can deliver them (whole rows, boxes of at most
// 256 elements, whole 16-byte row pitches: raw_row = 0 otherwise): after the units or planes, where the staging
// may overlay them, or with `early_raw` past the staging too (EarlyRawRows).
Geometry GeometryFor(const ConvShape& s, const Config& config, int64_t column_tiles, int64_t tile_columns,
                     bool pair_rows, bool raw_room = false, bool early_raw = false) {
  const StemLayout layout = MakeStemLayout(config);
  Geometry g{};
  const int64_t pieces = layout.tile_pixels / 64;
  g.column_tiles = column_tiles;
  g.tile_columns = tile_columns;
  const int64_t phase_columns = stem::CeilDiv(tile_columns, config.phases);  // output columns of the widest phase
  g.segments = stem::CeilDiv(phase_columns, 64);
  const int64_t row_pieces = config.phases * g.segments;
  g.rows_per_tile = pieces % row_pieces == 0 ? pieces / row_pieces : 0;
  const int64_t span = std::max<int64_t>(g.rows_per_tile, 1);
  g.tiles = stem::CeilDiv(s.p, span);
  g.channel_groups = stem::CeilDiv(s.k, int64_t{config.nt} * 8);
  // A plane's tensor copy starts up to 3 floats left of its chunk layout when that is not 16-byte
  // aligned, and the producers shift each row into place: 4 more floats per row keep the shift inside it.
  if (NhwcBand(s, config)) {
    g.band = stem::NhwcBandOf(s, config, PlanesOf(s), span, phase_columns, pair_rows);
  } else if (pair_rows) {
    g.band = stem::PairRowBandOf(s, config, span, phase_columns);
  } else {
    g.band = stem::BandOf(s, config, span, Shifted(s, config, pair_rows) ? 4 : 0, phase_columns);
  }
  g.plane_bytes = stem::CeilDiv(g.band.band_bytes, 128) * 128;
  // Each band buffer also holds the tile's staged outputs, channel-major (NCHW: in fp32, or in the 16-bit type
  // where StagesInType) or pixel-major (NHWC); the tensor copy's destination stays 128-aligned.
  const bool nhwc = s.layout == KCONV_LAYOUT_NHWC;
  const bool in_type = StagesInType(s.element_type, nhwc, pair_rows, config.phases, column_tiles);
  g.staging_stride = nhwc      ? StemWgmmaPixelStride(int64_t{config.nt} * 8)
                     : in_type ? StemWgmmaStagingStrideInType(span * tile_columns)
                               : StemWgmmaStagingStride(span * tile_columns);
  const int64_t staging =
      (nhwc ? span * tile_columns : int64_t{config.nt} * 8) * g.staging_stride * (in_type ? s.element_bytes() : 4);
  // 3xTF32: the band's remainders follow its values (lo_offset), with 64 chunks to spare after them, so that
  // wgmma's reads for the pixels past a row (dropped) stay in this buffer, not the one the producers fill.
  g.lo_offset = config.phases * g.plane_bytes;
  int64_t band_values = config.split ? 2 * g.lo_offset + 64 * 16 : g.lo_offset;
  if (raw_room && column_tiles == 1) {  // the raw rows after the units or planes (if the launch allows a copy)
    // Both start at the first plane's column rounded down to 16 bytes; the last plane starts up to 3 columns
    // after the first (strides 2 and 1). Pair rows read each plane's units from its offset; widening reads up to
    // 3 elements past a plane's row. The int32 arithmetic holds: CheckStemShape bounds pad_w, and a row of a
    // fitting band is short.
    const int32_t first = static_cast<int32_t>(-s.pad_w), last_offset = WidenedRawOffset(
        first, static_cast<int32_t>((config.phases - 1) * s.stride_w - s.pad_w));
    const int64_t row_floats = std::min<int64_t>(g.band.row_floats, 1 << 20);  // a longer row gets no room
    const int64_t raw_row = pair_rows ? PairRowRawRow(last_offset, static_cast<int32_t>(row_floats / 4))
                                      : WidenedRawRow(last_offset, static_cast<int32_t>(row_floats));
    // NCHW: a box of raw_row elements per row and channel; NHWC: rows of raw_row * C elements in 16-byte groups
    // (EncodeRawRowBandMap), up to 256 of them. Whole 16-byte row pitches either way.
    const int64_t group = 16 / s.element_bytes();
    // The kernel's producers take rows of at most 64 pieces (256 floats) a lane pair.
    const bool fits = s.layout == KCONV_LAYOUT_NHWC ? raw_row * s.c <= 256 * group && (s.w * s.c) % group == 0
                                                    : raw_row <= 256 && s.c <= 256 && (s.w * 2) % 16 == 0;
    if (fits && g.band.band_rows <= 256 && g.band.row_floats <= 256) {
      g.raw_row = raw_row;
      g.raw_offset = config.phases * g.plane_bytes;  // after every plane
      if (early_raw) g.raw_offset = stem::CeilDiv(std::max(g.raw_offset, staging), 128) * 128;  // and the staging
      g.early_raw = early_raw;
      g.raw_bytes = s.c * g.band.band_rows * g.raw_row * s.element_bytes();
      band_values = g.raw_offset + g.raw_bytes;
    }
  }
  g.band.band_bytes = stem::CeilDiv(std::max(band_values, staging), 128) * 128;
  g.shared_bytes = SharedBytes(config, g);
  return g;
}

// Whether the consumers take turns where they can (WithPingPong): by default at strides of 4 and more. There,
// once each half warp wrote runs of its own (RunWorkerOf), turns took AlexNet fp16 N = 256 from 188.5 to 177.2 µs,
// bf16 from 188.5 to 176.3, ConvNeXt's 4x4/4 from 35.0 to 34.7 and Swin's from 48.9 to 48.0; ResNet's 7x7/2 went
// from 136.0 to 137.7 (thirty-fifth session, H100; bench/NOTES.md). KCONV_PINGPONG=0 turns them off, =1 on at any
// stride the kernel takes (for A/B runs).
bool PingPongWanted(const ConvShape& s) {
  if (EnvironmentIs("KCONV_PINGPONG", "0")) return false;
  return EnvironmentIs("KCONV_PINGPONG", "1") || s.stride_h >= 4;
}

// `whole` with the consumer warpgroups taking turns (StemWgmmaParams::pingpong; kernel.cuh's PingPongEpilogue),
// where the kernel can and the room allows; `whole` otherwise. The pair-row kernels of two warpgroups over tiles
// of an even count of whole rows: each warpgroup stages its half of the tile, the first over the band's raw rows
// (read by nobody once the band is full) while the second still computes over the units, the second over the
// units where half a tile fits before the raw rows, else after the first's half; the band buffer grows to hold
// them where shared memory allows. A tile's weight stages must fit the ring: where it turns within a tile, the
// first warpgroup would wait for a slot that the second, waiting for its turn, has not freed.
// It runs before EarlyRawRows: raw_offset is still the end of the units here.
Geometry WithPingPong(const ConvShape& s, const Config& config, const Geometry& whole, bool pair_rows,
                      int64_t smem_limit) {
  // NCHW only: the kernel's turns stage in the type (kMayPingPong), and an NHWC tile stages pixel-major.
  if (!PingPongWanted(s) || !pair_rows || s.layout != KCONV_LAYOUT_NCHW || config.warps != 8 || config.split != 0 ||
      whole.column_tiles != 1 || whole.raw_row <= 0 || whole.rows_per_tile < 2 || whole.rows_per_tile % 2 != 0 ||
      whole.band.chunks / 2 / config.wsteps > config.wstages) {
    return whole;
  }
  Geometry g = whole;
  g.pingpong = true;
  g.staging_stride = StemWgmmaStagingStrideInType(g.rows_per_tile / 2 * s.q);
  const int64_t half = stem::CeilDiv(int64_t{config.nt} * 8 * g.staging_stride * s.element_bytes(), 128) * 128;
  g.second_staging = half <= g.raw_offset ? 0 : g.raw_offset + half;
  g.band.band_bytes = std::max(g.band.band_bytes, std::max(g.raw_offset, g.second_staging) + half);
  g.shared_bytes = SharedBytes(config, g);
  return g.shared_bytes <= smem_limit ? g : whole;
}

// Whether a raw-row band's room may lie past the staging (StemWgmmaParams::early_raw) where shared memory allows:
// then the producers copy the band two tiles ahead as soon as the band before it has been laid out, instead of
// when its tile has been written, so that the copy's latency (~1-2 us from memory) hides behind a tile's math and
// epilogue. On an H100 at N = 64 (thirty-seventh session, bench/NOTES.md) it took MobileNet's 3x3/2 from 57.9 to 54.8
// µs in fp16 NCHW, 82.3 to 77.6 in fp16 NHWC and 116.9 to 107.6 in fp32 NHWC TF32; ResNet's 7x7/2 from 143.8 to
// 137.3 (fp16 NCHW) and 169.3 to 160.4 (fp16 NHWC); VGG's 3x3/1 from 350.3 to 344.8 (fp16 NCHW) and 467.2 to 417.2
// (fp16 NHWC). KCONV_EARLY_RAW=0 turns it off. wgmma's reads of a row's dropped pixels may run past the last plane
// into the raw rows while a copy writes them: harmless, as those pixels' outputs are never staged.
bool EarlyRawWanted() { return !EnvironmentIs("KCONV_EARLY_RAW", "0"); }

// `whole` with its raw rows past the staging (EarlyRawWanted), where they fit; `whole` otherwise. Not with
// ping-pong, whose first warpgroup stages over the raw rows.
Geometry EarlyRawRows(const ConvShape& s, const Config& config, const Geometry& whole, bool pair_rows,
                      int64_t smem_limit) {
  if (!EarlyRawWanted() || whole.pingpong || whole.raw_row <= 0 || whole.column_tiles != 1 ||
      whole.rows_per_tile <= 0) {
    return whole;
  }
  const Geometry g = GeometryFor(s, config, 1, s.q, pair_rows, true, true);
  return g.raw_row > 0 && g.shared_bytes <= smem_limit ? g : whole;
}

// Tiles of whole rows where the config's tile holds a row (or a row fits it but the pieces do not
// divide: refused) and their bands fit `smem_limit`. Otherwise, rows too wide for the tile or its band
// (a 1080p frame) are cut into column tiles of one m64 piece per phase, as wide as shared memory allows and
// preferably narrow enough for the tensor copy's box (rows of at most 256 floats); then as many column
// tiles as that width needs, the row's columns split evenly between them. Column tiles are for stems (at
// most stem::kWideRowMaxChannels input channels).
// A pair-row band gets room for a tensor copy's raw rows where the environment asks for the copy
// (PairRowTensorCopyEnabled) and whole rows fit with it, a WidenedRawBand where whole rows fit with it; without
// it otherwise.
Geometry GeometryOf(const ConvShape& s, const Config& config, int64_t smem_limit, bool pair_rows) {
  const int64_t pieces = MakeStemLayout(config).tile_pixels / 64;
  const bool raw_room = pair_rows ? PairRowTensorCopyEnabled() : WidenedRawBand(s, config);
  Geometry whole = GeometryFor(s, config, 1, s.q, pair_rows, raw_room);
  if (whole.raw_row > 0 && whole.shared_bytes > smem_limit) whole = GeometryFor(s, config, 1, s.q, pair_rows);
  if (whole.rows_per_tile > 0 ? whole.shared_bytes <= smem_limit : config.phases * whole.segments <= pieces) {
    return EarlyRawRows(s, config, WithPingPong(s, config, whole, pair_rows, smem_limit), pair_rows, smem_limit);
  }
  if (s.c > stem::kWideRowMaxChannels) return whole;  // refused: the band does not fit, or the row its tile
  const int64_t phase_q = stem::CeilDiv(s.q, config.phases);
  // Output columns whose band row a box holds: 256 floats (NCHW) or 256 positions (NHWC).
  const int64_t box_columns = NhwcBand(s, config) ? 256 - NhwcPositionOf(PlanesOf(s), PlanesOf(s).groups - 1)
                                                  : (256 - (Shifted(s, config, pair_rows) ? 4 : 0)) / 4 - (stem::CeilDiv(s.s, 4) - 1);
  const int64_t widest = box_columns >= 32 ? std::min<int64_t>(64, box_columns) : 64;
  for (int64_t columns = widest; columns >= 8; --columns) {
    const int64_t column_tiles = stem::CeilDiv(phase_q, columns);
    const int64_t even = stem::CeilDiv(phase_q, column_tiles);  // <= columns
    const Geometry g = GeometryFor(s, config, column_tiles, even * config.phases, pair_rows);
    if (g.rows_per_tile > 0 && g.shared_bytes <= smem_limit) return g;
  }
  return whole;  // nothing fits: refused for its size
}

class StemWgmmaTf32 final : public KernelFamily {
 public:
  // fp32 in TF32 (3xTF32 on the split=1 configs); 16-bit tensors under every math mode (exact in TF32: one product
  // each). Accepts refuses the rest of the product.
  FamilySupport Support() const override {
    return {(uint64_t{1} << KCONV_ELEMENT_F32) | (uint64_t{1} << KCONV_ELEMENT_F16) | (uint64_t{1} << KCONV_ELEMENT_BF16),
            (uint64_t{1} << KCONV_LAYOUT_NCHW) | (uint64_t{1} << KCONV_LAYOUT_NHWC),
            (uint64_t{1} << KCONV_MATH_TF32) | (uint64_t{1} << KCONV_MATH_3XTF32) | (uint64_t{1} << KCONV_MATH_FP32)};
  }
  // Per element type, in kconv_element_type order: the NCHW convolution, its weight packer, the NHWC
  // convolution; then the pair-row convolutions and packers of fp16 and bf16, then their NHWC pair-row
  // convolutions (kernel.cuh).
  std::span<const std::string> KernelSuffixes() const override {
    static const std::string kSuffixes[] = {"",         "_pack_weights",          "_nhwc",
                                            "_f16",     "_f16_pack_weights",      "_f16_nhwc",
                                            "_bf16",    "_bf16_pack_weights",     "_bf16_nhwc",
                                            "_f16_k16", "_f16_k16_pack_weights",  "_bf16_k16",
                                            "_bf16_k16_pack_weights", "_f16_nhwc_k16",       "_bf16_nhwc_k16"};
    return kSuffixes;
  }
  absl::Status Accepts(const ConvShape& shape, int config, const DeviceLimits& device) const override {
    return stem_wgmma_tf32::Accepts(shape, kConfigs[config], device);
  }
  // Persistent, one block per SM by design: residency does not enter the cost.
  double Cost(const ConvShape& shape, int config, const DeviceLimits& device, const ResidencyFn&) const override {
    return stem_wgmma_tf32::Cost(shape, kConfigs[config], device);
  }
  double ChoiceMargin() const override { return 0.9; }
  ConfigKnobs Knobs(int config) const override {
    const Config& c = kConfigs[config];
    // 3xTF32 configs are neighbours of each other only.
    return {MakeStemLayout(c).tile_pixels, c.nt * 8, c.wsteps * 8, c.warps, c.wstages, c.phases + 8 * c.split};
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
    StemWgmmaParams params = data_.params;  // about 1 KB: the chunk table travels as a kernel parameter
    StemParams& p = params.p;
    p.x = reinterpret_cast<const float*>(t.x);
    p.w_packed = reinterpret_cast<const float*>(t.w);
    p.bias = reinterpret_cast<const float*>(t.bias);
    p.y = reinterpret_cast<float*>(t.y);
    p.pair_copies = shape_.layout == KCONV_LAYOUT_NHWC ? stem::NhwcPairCopies(shape_, t.x) : stem::PairCopies(shape_, t.x);
    // A pair-row band comes by tensor copy only into the room the plan made for its raw rows, which it made
    // only under KCONV_PAIR_ROWS=2, the default (the encoder refuses a plan without it): the environment is
    // read when the plan is made, not on each launch.
    params.async_band = data_.async_nhwc_band && t.x % 16 == 0 ? 1 : 0;
    params.use_tma = !params.async_band && EncodeLaunchBandMap(launcher.api(), shape_, data_, t.x, &params) ? 1 : 0;
    return launcher.Launch(data_.kernel, data_.geometry, &params, stream);
  }

 private:
  ConvShape shape_;
  PlanData data_;
};

std::unique_ptr<FamilyPlan> StemWgmmaTf32::MakePlan(const ConvShape& shape, int config,
                                                   const DeviceLimits& device) const {
  return std::make_unique<Plan>(shape, MakePlanData(shape, kConfigs[config], device));
}

}  // namespace

namespace {

// Whether environment variable `name` is set to `value`.
bool EnvironmentIs(const char* name, const char* value) {
  const char* v = std::getenv(name);
  return v != nullptr && std::strcmp(v, value) == 0;
}

// KCONV_PAIR_ROWS: 0 widens 16-bit bands to TF32 (as before pair rows), 1 has the producers copy pair-row
// bands, and 2 (the default: unset or any other value) lets a tensor copy bring their raw rows.
int PairRowMode() {
  if (EnvironmentIs("KCONV_PAIR_ROWS", "0")) return 0;
  return EnvironmentIs("KCONV_PAIR_ROWS", "1") ? 1 : 2;
}

bool PairRowBandsEnabled() { return PairRowMode() != 0; }

// How a tile staged in the 16-bit type goes out (traits.h): by the consumers' bulk copies for one-row tiles (one
// m64 piece a tile: the N = 1 and 2 configs), which measured 8-12% faster than the lanes' stores, and by the
// lanes' stores for multi-row tiles, where the consumers' bulk copies were 5-7% slower (H200, thirty-first
// session: AlexNet fp16 N = 1 9.35 -> 8.6 us, N = 2 11.55 -> 10.15, ConvNeXt N = 1 8.15 -> 7.35; N = 256 on k3x9
// 200.1 -> 212.2, VGG 3x3/1 N = 64 373 -> 399). KCONV_BULK_WRITE=0 or 1 forces one way, for A/B runs.
int32_t BulkWrite(const Config& config) {
  if (EnvironmentIs("KCONV_BULK_WRITE", "0")) return kBulkWriteLanes;
  if (EnvironmentIs("KCONV_BULK_WRITE", "1")) return kBulkWriteConsumers;
  return config.mt * config.warps == 4 ? kBulkWriteConsumers : kBulkWriteLanes;  // the kernel's kOneRowTiles
}

// Whether each weight stage keeps its own slot for the whole launch (StemWgmmaParams::resident_weights): where the
// block's tiles share one channel group and its stages fit the ring, the weight warp copies them once instead of
// once a tile (AlexNet on k3x9: 83 KB from L2 a tile, more than the tile's band and outputs together).
// On by default since the thirty-fourth session (H100: AlexNet fp16 N = 256 204.4 -> 188.4 µs, bench/NOTES.md);
// KCONV_RESIDENT_WEIGHTS=0 turns it off.
int32_t ResidentWeights(const Config& config, int64_t steps, int64_t channel_groups) {
  if (EnvironmentIs("KCONV_RESIDENT_WEIGHTS", "0")) return 0;
  return channel_groups == 1 && steps / config.wsteps <= config.wstages ? 1 : 0;
}

// Whether a 16-bit NHWC tile goes out as one bulk copy of its staging in the type (StemWgmmaParams::nhwc_bulk): tiles
// of whole rows, one channel group (the staged tile is then its contiguous output) and K a multiple of 8 (16-byte
// pixels). KCONV_NHWC_BULK=0 keeps the lanes' stores of the fp32 staging.
int32_t NhwcBulkWrite(const ConvShape& s, int64_t column_tiles, int64_t channel_groups) {
  if (EnvironmentIs("KCONV_NHWC_BULK", "0")) return 0;
  return s.element_type != KCONV_ELEMENT_F32 && s.layout == KCONV_LAYOUT_NHWC && column_tiles == 1 &&
                 channel_groups == 1 && s.k % 8 == 0
             ? 1
             : 0;
}

}  // namespace

bool PairRowTensorCopyEnabled() { return PairRowMode() == 2; }

bool PairRowBand(const ConvShape& s, const Config& config) {
  // At strides 2 and 1, an odd kernel height pads each plane's pair rows by a row: MobileNet's 3x3/2 (a quarter
  // of its rows) ran slower paired than widened (N = 64 on an H100: 76 against 65 us), ResNet's 7x7/2 (an
  // eighth) faster (157 against 163).
  const bool rows_pair_well = config.phases == 1 || s.r % 2 == 0 || s.r >= 7;
  // NHWC pairs at stride 4 only, where its band is the plane layout (nhwc_pair_rows.h).
  const bool layout = s.layout == KCONV_LAYOUT_NCHW || NhwcBand(s, config);
  return s.element_type != KCONV_ELEMENT_F32 && layout && config.io == 1 && s.stride_h % 2 == 0 && rows_pair_well &&
         PairRowBandsEnabled();
}

bool NhwcBandByAsyncCopies(const ConvShape& s, const Config& config) {
  if (!NhwcBand(s, config) || s.element_type != KCONV_ELEMENT_F32 || (s.w * s.c) % 4 != 0) return false;
  if (EnvironmentIs("KCONV_NHWC_BAND_COPY", "tensor")) return false;
  if (EnvironmentIs("KCONV_NHWC_BAND_COPY", "async")) return true;
  // Measured on an H100 (bench/NOTES.md, twenty-fifth session): AlexNet's 11x11 in TF32 gained 9-12% (N = 256:
  // 337 -> 307 us; a 1080p frame at N = 64: 3489 -> 3061), where the tensor copies' one-group requests bound the
  // band. With less math a band byte (the 4x4 patchifies, 48 taps a pixel: ConvNeXt 58 -> 62, Swin 83 -> 96)
  // or more (3xTF32's three products: 642 -> 686) the engine's copies, which take no issue slots, were faster.
  // Twenty-sixth session, with each lane's copies walking down the rows and five band warps where the registers
  // allow (BandWarps): on the patchifies the async copies won on the 8-warp n64 configs, which have five (Swin on
  // m256n64_w8_k3x2: 76.5 us against the tensor copies' 81.9), tied on three (ConvNeXt on m256n96_w8_k3x2: 57.2,
  // 58.0), and lost on the 12-warp configs' five (ConvNeXt on k3x8: 63.2 against 57.3; Swin 91.1 against 80.5).
  const bool five_band_warps = BandWarps(config.warps, config.nt, config.split == 1, s.element_type, true, 1) == 5;
  return !config.split && (s.s >= 8 || (five_band_warps && config.warps == 8));
}

bool WgmmaSplitEnabled() { return !EnvironmentIs("KCONV_WGMMA_3XTF32", "0"); }

int ConvolutionKernel(const ConvShape& s, bool pair_rows) {
  if (pair_rows && s.layout == KCONV_LAYOUT_NHWC) return kNhwcPairRowKernels + static_cast<int>(s.element_type) - 1;
  if (pair_rows) return kPairRowKernels + 2 * (static_cast<int>(s.element_type) - 1);
  return kKernelsPerType * static_cast<int>(s.element_type) + (s.layout == KCONV_LAYOUT_NHWC ? 2 : 0);
}

int PackerKernel(const ConvShape& s, bool pair_rows) {
  if (pair_rows) return kPairRowKernels + 2 * (static_cast<int>(s.element_type) - 1) + 1;  // NHWC's too
  return kKernelsPerType * static_cast<int>(s.element_type) + 1;
}

const KernelFamily& Family() {
  static const StemWgmmaTf32 family;
  return family;
}

absl::Status Accepts(const ConvShape& s, const Config& config, const DeviceLimits& device) {
  if (device.cc != 90) {
    return stem::Refuse(kFamily, "needs compute capability 9.0 (sm_90a wgmma); the device has ", device.cc / 10, ".",
                        device.cc % 10);
  }
  if (config.split) {
    if (s.element_type != KCONV_ELEMENT_F32 || s.math_mode != KCONV_MATH_3XTF32) {
      return stem::Refuse(kFamily, "the config computes fp32 in 3xTF32 only (split=1)");
    }
    if (!WgmmaSplitEnabled()) {
      return stem::Refuse(kFamily, "3xTF32 on wgmma is off (KCONV_WGMMA_3XTF32=0)");
    }
  } else if (s.element_type == KCONV_ELEMENT_F32 && s.math_mode != KCONV_MATH_TF32) {
    return stem::Refuse(kFamily, "fp32 in TF32 only with this config (3xTF32: the split=1 configs; strict FP32: FFMA)");
  }
  // (A split config's NHWC kernel is its 3xTF32 one: fp32 NHWC passes here.)
  if (config.io == 0 && (s.element_type != KCONV_ELEMENT_F32 || (s.layout != KCONV_LAYOUT_NCHW && !config.split))) {
    return stem::Refuse(kFamily, "the config computes fp32 NCHW only (io=0)");
  }
  // Channel groups split more channels than one config computes over blocks, up to the bias table's.
  if (absl::Status shape = stem::CheckStemShape(kFamily, s, kMaxChannels, 4 / config.phases); !shape.ok()) {
    return shape;
  }
  if (NhwcBand(s, config) && !NhwcPlanesFit(s)) {
    return stem::Refuse(kFamily, "an NHWC footprint of C*S = ", s.c * s.s, " floats, or a padding of C*pad_w = ",
                        s.c * s.pad_w, ", is too wide for the plane layout");
  }
  const Geometry g = GeometryOf(s, config, device.smem_per_block_optin, PairRowBand(s, config));
  if (g.rows_per_tile == 0) {
    return stem::Refuse(kFamily, "an output row of ", s.q, " pixels is ", config.phases * g.segments,
                        " m64 pieces, which do not divide the config's ", MakeStemLayout(config).tile_pixels / 64);
  }
  const int64_t tiles = g.tiles * s.n * g.column_tiles * g.channel_groups;
  if (tiles > stem::kInt32Max) return stem::Refuse(kFamily, tiles, " tiles exceed the 32-bit tile index");
  if (config.split && g.band.chunks / 2 > kMaxSplitSteps) {
    return stem::Refuse(kFamily, "3xTF32 takes at most ", kMaxSplitSteps, " k8 steps (", 2 * kMaxSplitSteps,
                        " chunks), for its accuracy; the shape has ", g.band.chunks / 2);
  }
  if (g.band.chunks > kStemMaxChunks) {
    return stem::Refuse(kFamily, g.band.chunks, " chunks (C*R*ceil(S/4), or R*ceil(C*S/4) in NHWC) exceed ",
                        kStemMaxChunks);
  }
  if (g.shared_bytes > device.smem_per_block_optin) {
    return stem::Refuse(kFamily, "needs ", g.shared_bytes, " bytes of shared memory per block; the device allows ",
                        device.smem_per_block_optin);
  }
  return absl::OkStatus();
}

PlanData MakePlanData(const ConvShape& s, const Config& config, const DeviceLimits& device) {
  const StemLayout layout = MakeStemLayout(config);
  const bool pair_rows = PairRowBand(s, config);  // once: the layout and the kernels must agree
  const Geometry g = GeometryOf(s, config, device.smem_per_block_optin, pair_rows);
  const int32_t groups = static_cast<int32_t>(g.channel_groups);
  PlanData d{};
  StemWgmmaParams& w = d.params;
  w.p = stem::MakeStemParams(s, g.band);
  // What one band copy delivers, the band without the buffer's rounding and staging room: per phase (all
  // channels), or per plane of an NHWC band.
  const bool nhwc = NhwcBand(s, config);
  w.band_box_bytes = static_cast<int32_t>((nhwc ? 1 : s.c) * g.band.band_rows * g.band.row_floats * 4);
  if (nhwc) {  // the planes' chunks, or their pair rows' units
    stem::SetNhwcChunkOffsets(s, g.band, PlanesOf(s), &w.p, pair_rows);
    w.first_position = PlanesOf(s).first_position;
  }
  d.pair_rows = pair_rows;
  d.raw_rows = pair_rows || WidenedRawBand(s, config);
  d.async_nhwc_band = NhwcBandByAsyncCopies(s, config);
  w.bulk_write = BulkWrite(config);
  d.kernel = ConvolutionKernel(s, pair_rows);
  d.packer = PackerKernel(s, pair_rows);
  if (pair_rows) {  // the units as the producers lay them out; a tensor copy's raw rows after them
    if (!nhwc) stem::SetPairRowChunkOffsets(s, g.band, &w.p);
    w.band_box_bytes = static_cast<int32_t>(g.raw_row > 0 ? g.raw_bytes : g.plane_bytes);
  } else if (g.raw_row > 0) {  // a widened raw band: its planes as fp32's, a tensor copy's raw rows after them
    w.band_box_bytes = static_cast<int32_t>(g.raw_bytes);
  }
  w.raw_offset = static_cast<int32_t>(g.raw_offset);
  w.raw_row = static_cast<int32_t>(g.raw_row);
  w.tiles_per_image = static_cast<int32_t>(g.tiles);
  w.column_tiles = static_cast<int32_t>(g.column_tiles);
  w.tile_columns = static_cast<int32_t>(g.tile_columns);
  w.channel_groups = groups;
  w.total_tiles = static_cast<int32_t>(g.tiles * s.n * g.column_tiles * groups);
  w.rows_per_tile = static_cast<int32_t>(g.rows_per_tile);
  w.segments = static_cast<int32_t>(g.segments);
  w.resident_weights = ResidentWeights(config, w.p.steps, groups);
  w.pingpong = g.pingpong ? 1 : 0;
  w.nhwc_bulk = NhwcBulkWrite(s, g.column_tiles, groups);
  w.early_raw = g.early_raw && !g.pingpong ? 1 : 0;  // ping-pong's first warpgroup stages over the raw rows
  w.raw_group = s.layout == KCONV_LAYOUT_NHWC ? NhwcRawGroup(s) : 0;
  w.second_staging = static_cast<int32_t>(g.second_staging);
  w.staging_stride = static_cast<int32_t>(g.staging_stride);
  w.lo_offset = config.split ? static_cast<int32_t>(g.lo_offset) : 0;
  w.div_tile_columns = FastDivmod::Make(static_cast<uint32_t>(g.tile_columns));
  d.pack = stem::MakeStemPackParams(s, g.band, w.p, groups * config.nt * 8);
  if (nhwc) d.pack.planes = PlanesOf(s);
  d.geometry = LaunchGeometry{static_cast<uint32_t>(std::min<int64_t>(w.total_tiles, std::max(device.sm_count, 1))), 1,
                              // The kernel's own count: its kNhwc is the layout's (nhwc above is the band's)
                              static_cast<uint32_t>(Threads(config, s.element_type, s.layout == KCONV_LAYOUT_NHWC)),
                              static_cast<uint32_t>(g.shared_bytes)};
  d.packed_weight_bytes = int64_t{groups} * w.p.steps * layout.weight_step_bytes * (config.split ? 2 : 1);
  return d;
}

namespace {

// fp32 NHWC 3x3 stems in TF32 (and 3xTF32 NCHW ones) go to stem_ffma, measured faster, except three-channel
// bands at strides 2 and 1, which the RGB widening pass lays out: MobileNet's 3x3/2 fp32 NHWC took 65 us on
// m512n32_w8_k5x2_p2 against stem_ffma's 102, VGG's 3x3/1 553 on m256n64_w8_k5x2_p4 against 607 (H100, N = 64;
// NOTES, thirty-ninth session).
bool LeftToStemFfma(const ConvShape& s, const Config& config, const DeviceLimits& device) {
  const bool rgb_band = s.layout == KCONV_LAYOUT_NHWC && s.c == 3 && WidenedRawBand(s, config);
  return !rgb_band && stem_ffma::LeftToStrictFp32(s, device);
}

}  // namespace

double Cost(const ConvShape& s, const Config& config, const DeviceLimits& device) {
  if (LeftToStemFfma(s, config, device)) return -1;
  const StemLayout layout = MakeStemLayout(config);
  const Geometry g = GeometryOf(s, config, device.smem_per_block_optin, PairRowBand(s, config));
  const int64_t tiles = g.tiles * s.n * g.column_tiles * g.channel_groups;
  const int64_t per_block = stem::CeilDiv(tiles, std::max(device.sm_count, 1));
  // The math grows with the chunks padded to whole weight stages: a stage too long for a short reduction
  // (a 4x4 kernel's 12 chunks in stages of 10) computes zeros.
  const double padding = static_cast<double>(g.band.chunks) / static_cast<double>(g.band.real_chunks);
  const double math = layout.tile_pixels * config.nt / 12.0 * padding;
  // The weight ring: a tile's stages past the first wstages wait for their slot's refill wherever the other
  // slots hold less math than the refill's latency. A step of one m64 piece is ~48 tensor cycles at n96 (m64n96k8
  // in TF32, m64n96k16 in 16 bits; three wgmmas with split). `chunks` is padded to whole stages: k8 (k16) steps
  // are chunks (units) / 2, at least wsteps.
  const double steps = static_cast<double>(g.band.chunks / 2), stages = steps / config.wsteps;
  const double piece_step_cycles = 48.0 * config.nt / 12.0 * (config.split ? 3 : 1);
  const double stage_cycles = config.wsteps * (layout.tile_pixels / 64.0) * piece_step_cycles;
  const double wait = std::max(0.0, kWeightStageLatencyCycles - (config.wstages - 1) * stage_cycles);
  const double waits = std::max(0.0, stages - config.wstages) * wait;
  return static_cast<double>(per_block) * (math + 64 + waits / kCyclesPerCostUnit);
}

bool EncodeNhwcBandMap(const DriverApi* api, const ConvShape& s, const StemParams& p, uint64_t x, uint64_t* map) {
  // x as [N][H][W / 4][C][4 floats]: a pixel step of 4 columns is C 16-byte groups, and a box one group wide
  // in the C dimension is one plane of the band (nhwc_planes.h), copied once per plane. Whole pixel steps
  // only (W % 4 == 0): a partial last step would read the next row where the chunks need zeros.
  if (api->cuTensorMapEncodeTiled == nullptr || x % 16 != 0 || s.w % 4 != 0) return false;
  if (p.row_floats / 4 > 256 || p.band_rows > 256 || s.c > 256) return false;
  const cuuint64_t dims[5] = {4, static_cast<cuuint64_t>(s.c), static_cast<cuuint64_t>(s.w / 4),
                              static_cast<cuuint64_t>(s.h), static_cast<cuuint64_t>(s.n)};
  const cuuint64_t strides[4] = {16, static_cast<cuuint64_t>(s.c * 16), static_cast<cuuint64_t>(s.w * s.c * 4),
                                 static_cast<cuuint64_t>(s.h * s.w * s.c * 4)};
  const cuuint32_t box[5] = {4, 1, static_cast<cuuint32_t>(p.row_floats / 4), static_cast<cuuint32_t>(p.band_rows), 1};
  const cuuint32_t element_strides[5] = {1, 1, 1, 1, 1};
  return api->cuTensorMapEncodeTiled(reinterpret_cast<CUtensorMap*>(map), CU_TENSOR_MAP_DATA_TYPE_FLOAT32, 5,
                                     reinterpret_cast<void*>(x), dims, strides, box, element_strides,
                                     CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_NONE,
                                     CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                                     CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
}

namespace {

// x as [N][C][H][W] elements of `element_bytes` and a box of C x `box_rows` rows of `box_row` elements: the
// tensor-copy engine needs a 16-byte aligned base, row pitches that are multiples of 16 bytes and boxes of at
// most 256 elements per dimension; false otherwise (the kernel's producer warps then copy the band).
bool EncodeNchwBandMap(const DriverApi* api, const ConvShape& s, CUtensorMapDataType type, int64_t element_bytes,
                       int64_t box_row, int64_t box_rows, uint64_t x, uint64_t* map) {
  if (api->cuTensorMapEncodeTiled == nullptr || x % 16 != 0 || (s.w * element_bytes) % 16 != 0) return false;
  if (box_row > 256 || box_rows > 256 || s.c > 256) return false;
  const cuuint64_t dims[4] = {static_cast<cuuint64_t>(s.w), static_cast<cuuint64_t>(s.h),
                              static_cast<cuuint64_t>(s.c), static_cast<cuuint64_t>(s.n)};
  const cuuint64_t strides[3] = {static_cast<cuuint64_t>(s.w * element_bytes),
                                 static_cast<cuuint64_t>(s.h * s.w * element_bytes),
                                 static_cast<cuuint64_t>(s.c * s.h * s.w * element_bytes)};
  const cuuint32_t box[4] = {static_cast<cuuint32_t>(box_row), static_cast<cuuint32_t>(box_rows),
                             static_cast<cuuint32_t>(s.c), 1};
  const cuuint32_t element_strides[4] = {1, 1, 1, 1};
  static_assert(sizeof(CUtensorMap) == 16 * sizeof(uint64_t), "StemWgmmaParams::band_map holds one CUtensorMap");
  return api->cuTensorMapEncodeTiled(reinterpret_cast<CUtensorMap*>(map), type, 4, reinterpret_cast<void*>(x), dims,
                                     strides, box, element_strides, CU_TENSOR_MAP_INTERLEAVE_NONE,
                                     CU_TENSOR_MAP_SWIZZLE_NONE, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                                     CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
}

}  // namespace

int32_t NhwcRawGroup(const ConvShape& s) {
  // 8 pixels where rows are whole 8-pixel groups and a group fits a box (8 C <= 256): 16 C bytes or more a request.
  // Not at horizontal stride 1, where VGG's 3x3/1 fp16 NHWC ran 3.5% slower so (417.9 -> 432.5 µs on an H100; AlexNet
  // fp16 NHWC on k3x5 186.9 -> 177.8, Swin's 4x4/4 51.3 -> 50.2, ResNet's 7x7/2 fp32 NHWC 225.0 -> 219.5, MobileNet's
  // 3x3/2 fp16 NHWC unchanged: thirty-seventh session, bench/NOTES.md).
  if (s.w % 8 == 0 && s.c <= 32 && s.stride_w >= 2) return static_cast<int32_t>(8 * s.c);
  return static_cast<int32_t>(16 / s.element_bytes());  // 16 bytes: one request each
}

bool EncodeRawRowBandMap(const DriverApi* api, const ConvShape& s, const StemWgmmaParams& params, uint64_t x,
                         uint64_t* map) {
  // Raw rows of raw_row columns, from the chunk layout's first column rounded down to a multiple of 8 (kernel.cuh
  // pairs or widens them); only into a plan's room for them (which the plan made only where the box fits).
  if (params.raw_row <= 0) return false;
  if (s.layout == KCONV_LAYOUT_NCHW) {  // 16-bit: W % 8 == 0 for whole 16-byte row pitches
    return EncodeNchwBandMap(api, s, CU_TENSOR_MAP_DATA_TYPE_UINT16, 2, params.raw_row, params.p.band_rows, x, map);
  }
  // NHWC: x as [N][H][W * C / G][G elements] and a box of the band's rows, raw_row * C / G groups each: every
  // element of a raw row, contiguous. G is the launch's raw_group (NhwcRawGroup): 8 pixels, or 16 bytes, which the
  // engine fetches one request each (2.5-3x more requests than 8 pixels of 3 channels). The first column is a
  // multiple of 8, so its first element starts a group either way, and raw_row is a multiple of 8.
  const int64_t bytes = s.element_bytes(), group = params.raw_group, row_elements = s.w * s.c;
  if (api->cuTensorMapEncodeTiled == nullptr || x % 16 != 0 || group <= 0 || group > 256 || (group * bytes) % 16 != 0 ||
      row_elements % group != 0 || (params.raw_row * s.c) % group != 0) {
    return false;
  }
  const cuuint64_t dims[4] = {static_cast<cuuint64_t>(group), static_cast<cuuint64_t>(row_elements / group),
                              static_cast<cuuint64_t>(s.h), static_cast<cuuint64_t>(s.n)};
  const cuuint64_t strides[3] = {static_cast<cuuint64_t>(group * bytes), static_cast<cuuint64_t>(row_elements * bytes),
                                 static_cast<cuuint64_t>(s.h * row_elements * bytes)};
  const cuuint32_t box[4] = {static_cast<cuuint32_t>(group), static_cast<cuuint32_t>(params.raw_row * s.c / group),
                             static_cast<cuuint32_t>(params.p.band_rows), 1};
  const cuuint32_t element_strides[4] = {1, 1, 1, 1};
  return api->cuTensorMapEncodeTiled(reinterpret_cast<CUtensorMap*>(map),
                                     bytes == 4 ? CU_TENSOR_MAP_DATA_TYPE_FLOAT32 : CU_TENSOR_MAP_DATA_TYPE_UINT16, 4,
                                     reinterpret_cast<void*>(x), dims, strides, box, element_strides,
                                     CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_NONE,
                                     CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                                     CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
}

bool EncodeLaunchBandMap(const DriverApi* api, const ConvShape& s, const PlanData& data, uint64_t x,
                         StemWgmmaParams* params) {
  // A band of raw rows comes by their copy or through registers, never by another layout's map (its kernel
  // would read that copy as raw rows).
  if (data.raw_rows) return EncodeRawRowBandMap(api, s, *params, x, params->band_map);
  return EncodeBandMap(api, s, params->p, x, params->band_map);
}

bool EncodeBandMap(const DriverApi* api, const ConvShape& s, const StemParams& p, uint64_t x, uint64_t* map) {
  // The box starts at column -pad_w rounded down to a multiple of 4 (an innermost start that is not 16-byte
  // aligned faults), and the kernel shifts each row into place when the two differ. 16-bit types are widened
  // on the way: the producer warps copy them (pair-row and widened raw bands: EncodeRawRowBandMap).
  if (s.element_type != KCONV_ELEMENT_F32) return false;
  if (s.layout == KCONV_LAYOUT_NHWC) return EncodeNhwcBandMap(api, s, p, x, map);
  return EncodeNchwBandMap(api, s, CU_TENSOR_MAP_DATA_TYPE_FLOAT32, 4, p.row_floats, p.band_rows, x, map);
}

}  // namespace stem_wgmma_tf32
}  // namespace kconv
