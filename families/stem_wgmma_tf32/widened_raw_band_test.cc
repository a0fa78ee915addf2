// SPDX-License-Identifier: Apache-2.0
// The Hopper stem family's widened raw bands (families/stem_common/widened_raw_rows.h), on the CPU: 16-bit NCHW and
// NHWC in every type at horizontal strides 2 and 1, where one tensor copy brings a band's raw rows and the
// producers widen (and gather) them into each phase's plane. The plan's room and box, and the widening pass's
// reads as the kernel makes them (NCHW: two aligned 8-byte groups a piece, funnel-shifted; NHWC: a piece's 4
// elements C apart), give every plane exactly what fp32 NCHW's copies give it.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "families/stem_common/widened_raw_rows.h"
#include "families/stem_wgmma_tf32/planner.h"
#include "families/stem_wgmma_tf32/tensor_map_recorder.h"
#include "prelude.h"
#include "runtime/blob_registry.h"
#include "runtime/conv_shape.h"
#include "validated_shape.h"

namespace {

namespace wg = kconv::stem_wgmma_tf32;

constexpr kconv::DeviceLimits kH100{90, 132, 227 * 1024, 228 * 1024, 2048, 65536};

// A config of the family at `phases` with io = 1 (the stride-2 and stride-1 defaults' fields: families/stem_wgmma_tf32/configs).
wg::Config PhaseConfig(int mt, int nt, int wsteps, int wstages, int phases) {
  wg::Config c = wg::MakeConfig(mt, nt, 8, wsteps, wstages, phases);
  c.io = 1;
  return c;
}

const wg::Config kResNet = PhaseConfig(2, 8, 7, 3, 2), kMobileNet = PhaseConfig(4, 4, 5, 2, 2),
                 kVgg = PhaseConfig(2, 8, 5, 2, 4);

struct Case {
  int64_t c, h, w, k, r, s, stride_h, stride_w, pad;
  wg::Config config;
};

// ResNet's 7x7/2, MobileNet's 3x3/2 and VGG's 3x3/1 at small heights, every left padding 0..3 (each plane's
// offset % 4), 1 and 4 channels, a vertical stride other than the horizontal one, rows of two and four pieces.
const Case kCases[] = {
    {3, 20, 224, 64, 7, 7, 2, 2, 3, kResNet},   {3, 17, 224, 32, 3, 3, 2, 2, 1, kMobileNet},
    {3, 9, 224, 64, 3, 3, 1, 1, 1, kVgg},       {1, 21, 96, 64, 7, 7, 2, 2, 0, kResNet},
    {4, 12, 64, 64, 5, 5, 3, 2, 2, kResNet},    {2, 11, 120, 64, 3, 3, 1, 1, 0, kVgg},
    {3, 10, 200, 64, 3, 3, 1, 1, 2, kVgg},      {3, 10, 112, 32, 3, 3, 2, 2, 3, kMobileNet},
};

kconv::ConvShape ShapeOf(const Case& k, kconv_element_type type, kconv_layout layout = KCONV_LAYOUT_NCHW) {
  kconv_test::Shape shape{1, k.c, k.h, k.w, k.k, k.r, k.s};
  shape.stride_h = k.stride_h;
  shape.stride_w = k.stride_w;
  shape.pad_h = shape.pad_w = k.pad;
  return kconv_test::ValidatedIn(shape, type, layout, KCONV_MATH_TF32);
}

}  // namespace

struct Mode {
  kconv_element_type type;
  kconv_layout layout;
  const char* kernel;  // the convolution's suffix (KernelSuffixes)
};

TEST_CASE("stem_wgmma_tf32.widened_raw_band_fills_every_phase_plane_as_the_fp32_copies_do") {
  // 16-bit NCHW at an even vertical stride is a pair-row band by default (pair_row_band_test.cc): widened with
  // KCONV_PAIR_ROWS=0, as at odd vertical strides.
  const kconv_test::ScopedEnvironment widened("KCONV_PAIR_ROWS", "0");
  const Mode modes[] = {Mode{KCONV_ELEMENT_BF16, KCONV_LAYOUT_NCHW, "_bf16"},
                        Mode{KCONV_ELEMENT_F16, KCONV_LAYOUT_NHWC, "_f16_nhwc"},
                        Mode{KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, "_nhwc"}};
  for (const Case& k : kCases) {
    for (const Mode& mode : modes) {
      const kconv::ConvShape s = ShapeOf(k, mode.type, mode.layout);
      CAPTURE(kconv::FormatOf(s));
      REQUIRE(wg::Accepts(s, k.config, kH100).ok());
      const wg::PlanData d = wg::MakePlanData(s, k.config, kH100);
      const kconv::StemParams& p = d.params.p;
      const int phases = k.config.phases, stride_w = 4 / phases;
      const bool nhwc = mode.layout == KCONV_LAYOUT_NHWC;
      const int64_t element_bytes = mode.type == KCONV_ELEMENT_F32 ? 4 : 2;
      CHECK_FALSE(d.pair_rows);
      CHECK(wg::Family().KernelSuffixes()[static_cast<size_t>(d.kernel)] == mode.kernel);
      // Five band warps lay the planes out at stride 2 in fp32 NHWC and 16-bit NCHW, three otherwise (BandWarps,
      // measured); the launch's threads must be the kernel's __launch_bounds__.
      const bool five = phases == 2 && (mode.type == KCONV_ELEMENT_F32) == nhwc;
      CHECK(d.geometry.threads == 32u * (8 + 1 + (five ? 5 : 3)));
      CHECK(d.geometry.threads == static_cast<uint32_t>(wg::Threads(k.config, mode.type, nhwc)));
      // The planes as fp32's (no wider rows: nothing is shifted in place), then the raw rows after every plane,
      // inside the buffer, whole 16-byte groups, a box the copy engine takes.
      const int64_t plane_bytes = (int64_t{p.c} * p.band_rows * p.row_floats * 4 + 127) / 128 * 128;
      CHECK(p.row_floats == 4 * ((s.q + phases - 1) / phases + (s.s + 3) / 4 - 1));
      // (Past the staging too where the plan copies bands early: early_raw_test.cc.)
      CHECK(d.params.raw_offset >= phases * plane_bytes);
      if (d.params.early_raw == 0) CHECK(d.params.raw_offset == phases * plane_bytes);
      CHECK(d.params.raw_row % 8 == 0);
      CHECK(d.params.raw_row <= 256);
      CHECK(d.params.band_box_bytes == s.c * p.band_rows * d.params.raw_row * element_bytes);
      CHECK(d.params.raw_offset + d.params.band_box_bytes <= p.band_bytes);

      // The copy's box: row ih0 + r of channel c (tile 0: ih0 = -pad_h) from column WidenedRawStart(-pad_w), zeros
      // outside the image; values that name their element.
      const int32_t first = static_cast<int32_t>(-s.pad_w), raw_start = kconv::WidenedRawStart(first);
      CHECK(raw_start % 8 == 0);
      CHECK(raw_start <= first);
      const int64_t rows = s.c * p.band_rows, raw_row = d.params.raw_row;
      auto input = [&](int64_t c, int64_t r, int64_t col) -> float {
        const int64_t ih = r - s.pad_h;
        return ih >= 0 && ih < s.h && col >= 0 && col < s.w ? static_cast<float>((c * s.h + ih) * s.w + col + 1) : 0.f;
      };
      // NCHW: [C][band_rows][raw_row]; NHWC: [band_rows][raw_row][C], every element of a raw row contiguous.
      auto raw_index = [&](int64_t c, int64_t r, int64_t e) {
        return nhwc ? (r * raw_row + e) * s.c + c : (c * p.band_rows + r) * raw_row + e;
      };
      std::vector<float> raw(static_cast<size_t>(rows * raw_row));
      for (int64_t c = 0; c < s.c; ++c)
        for (int64_t r = 0; r < p.band_rows; ++r)
          for (int64_t e = 0; e < raw_row; ++e) raw[static_cast<size_t>(raw_index(c, r, e))] = input(c, r, raw_start + e);

      // The widening pass (kernel.cuh): NCHW (WidenRawRows), piece i of plane `phase` reads the 8-byte groups
      // offset / 4 + i and the next and keeps elements offset % 4 ... + 3 of the eight; NHWC (WidenRawRowsNhwc), it
      // reads elements offset + 4i ... + 3 of the raw row, C apart. Either must stay inside its raw row.
      int mismatches = 0, reads_past_row = 0;
      const int pieces = p.row_floats / 4;
      for (int phase = 0; phase < phases; ++phase) {
        const int32_t plane_start = phase * stride_w - static_cast<int32_t>(s.pad_w);
        const int32_t offset = kconv::WidenedRawOffset(first, plane_start);
        REQUIRE(offset >= 0);
        for (int64_t row = 0; row < rows; ++row)
          for (int i = 0; i < pieces; ++i) {
            const int64_t c = row / p.band_rows, r = row % p.band_rows, group = offset / 4 + i;
            const int64_t last = nhwc ? offset + 4 * i + 3 : offset % 4 != 0 ? 4 * group + 7 : 4 * group + 3;
            if (last >= raw_row) ++reads_past_row;
            for (int e = 0; e < 4; ++e) {
              const int64_t at = nhwc ? raw_index(c, r, offset + 4 * i + e) : row * raw_row + 4 * group + offset % 4 + e;
              if (raw[static_cast<size_t>(at)] != input(c, r, plane_start + 4 * i + e)) ++mismatches;
            }
          }
      }
      CHECK(mismatches == 0);
      CHECK(reads_past_row == 0);

      // With 3 channels NHWC widens by WidenRgbRowsNhwc instead: piece i of raw row r is NhwcRgbGroups aligned
      // 4-element groups from NhwcRgbFirstGroup on, whose element NhwcRgbShift + 3e + c is float e of the piece in
      // channel c's plane.
      if (!nhwc || s.c != 3) continue;
      int rgb_mismatches = 0, rgb_reads_past_row = 0;
      for (int phase = 0; phase < phases; ++phase) {
        const int32_t plane_start = phase * stride_w - static_cast<int32_t>(s.pad_w);
        const int32_t offset = kconv::WidenedRawOffset(first, plane_start), shift = kconv::NhwcRgbShift(offset);
        REQUIRE(shift >= 0);
        REQUIRE(shift < 4);
        for (int64_t r = 0; r < p.band_rows; ++r)
          for (int i = 0; i < pieces; ++i) {
            const int64_t group = kconv::NhwcRgbFirstGroup(offset, i), end = group + kconv::NhwcRgbGroups(shift);
            if (4 * end > raw_row * 3) ++rgb_reads_past_row;
            for (int64_t c = 0; c < 3; ++c)
              for (int e = 0; e < 4; ++e) {
                const int64_t at = r * raw_row * 3 + 4 * group + shift + 3 * e + c;
                if (raw[static_cast<size_t>(at)] != input(c, r, plane_start + 4 * i + e)) ++rgb_mismatches;
              }
          }
      }
      CHECK(rgb_mismatches == 0);
      CHECK(rgb_reads_past_row == 0);
    }
  }
}

TEST_CASE("stem_wgmma_tf32.widened_raw_band_for_16_bit_nchw_and_nhwc_at_strides_2_and_1") {
  const kconv_test::ScopedEnvironment widened("KCONV_PAIR_ROWS", "0");
  const Case& resnet = kCases[0];
  // fp32 NCHW keeps its tensor copy per plane (shifted rows, no raw room); an io = 0 config refuses 16 bits and
  // NHWC.
  const wg::PlanData fp32 = wg::MakePlanData(ShapeOf(resnet, KCONV_ELEMENT_F32), resnet.config, kH100);
  CHECK(fp32.params.raw_row == 0);
  CHECK(fp32.params.raw_offset == 0);
  CHECK(wg::Family().KernelSuffixes()[static_cast<size_t>(fp32.kernel)].empty());
  wg::Config fp32_only = resnet.config;
  fp32_only.io = 0;
  CHECK_FALSE(wg::Accepts(ShapeOf(resnet, KCONV_ELEMENT_F16), fp32_only, kH100).ok());
  CHECK_FALSE(wg::Accepts(ShapeOf(resnet, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC), fp32_only, kH100).ok());
  // No room where no copy can run (rows that are not whole 16-byte groups): the producers copy through registers.
  Case narrow = resnet;
  narrow.w = 220;
  CHECK(wg::MakePlanData(ShapeOf(narrow, KCONV_ELEMENT_F16), resnet.config, kH100).params.raw_row == 0);
  narrow.w = 221;  // NHWC rows of 663 elements: not whole 16-byte groups in either type
  CHECK(wg::MakePlanData(ShapeOf(narrow, KCONV_ELEMENT_F16, KCONV_LAYOUT_NHWC), resnet.config, kH100).params.raw_row == 0);
  CHECK(wg::MakePlanData(ShapeOf(narrow, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC), resnet.config, kH100).params.raw_row == 0);
  // An NHWC raw row of 240 columns of 4 fp32 channels is 240 groups: room where shared memory has it
  // (MobileNet's 3x3), none where it has not (ResNet's 7x7 with its 43 KB of weight stages).
  Case rgba = kCases[1];
  rgba.c = 4;
  CHECK(wg::MakePlanData(ShapeOf(rgba, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC), rgba.config, kH100).params.raw_row == 240);
  rgba = resnet;
  rgba.c = 4;
  const kconv::ConvShape resnet_rgba = ShapeOf(rgba, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC);
  REQUIRE(wg::Accepts(resnet_rgba, rgba.config, kH100).ok());
  CHECK(wg::MakePlanData(resnet_rgba, rgba.config, kH100).params.raw_row == 0);
  // Rows too wide for the tile (VGG's stride 1 at W = 600: 150 columns a phase, three pieces) are column tiles,
  // whose bands come through registers: no room either.
  Case wide = kCases[2];
  wide.w = 600;
  const kconv::ConvShape w600 = ShapeOf(wide, KCONV_ELEMENT_F16);
  REQUIRE(wg::Accepts(w600, wide.config, kH100).ok());
  const wg::PlanData columns = wg::MakePlanData(w600, wide.config, kH100);
  CHECK(columns.params.column_tiles > 1);
  CHECK(columns.params.raw_row == 0);
}

TEST_CASE("stem_wgmma_tf32.widened_raw_band_map_copies_raw_16_bit_rows") {
  const kconv_test::ScopedEnvironment widened("KCONV_PAIR_ROWS", "0");
  kconv::DriverApi api = kconv_test::RecordingTensorMapApi();
  const kconv_test::TensorMapRecord& map_call = kconv_test::LastTensorMap();
  const Case& resnet = kCases[0];
  const kconv::ConvShape s = ShapeOf(resnet, KCONV_ELEMENT_F16);
  const wg::PlanData d = wg::MakePlanData(s, resnet.config, kH100);
  REQUIRE(d.params.raw_row > 0);
  uint64_t map[16];
  REQUIRE(wg::EncodeRawRowBandMap(&api, s, d.params, 4096, map));
  CHECK(map_call.calls == 1);
  CHECK(map_call.type == CU_TENSOR_MAP_DATA_TYPE_UINT16);
  CHECK(map_call.rank == 4);
  CHECK(map_call.dims[0] == 224);
  CHECK(map_call.strides[0] == 448);
  // Plane 1 starts at column -1, 7 elements into raw rows from -8: its 228 floats and the 3 read past them, to 16
  // bytes.
  CHECK(map_call.box[0] == 240);
  CHECK(map_call.box[1] == static_cast<cuuint32_t>(d.params.p.band_rows));
  CHECK(map_call.box[2] == 3);
  CHECK_FALSE(wg::EncodeRawRowBandMap(&api, s, d.params, 4104, map));  // x not 16-byte aligned
  CHECK(map_call.calls == 1);
  // NHWC: rows as groups of 8 pixels (24 fp16 elements: W = 224 is whole groups), a box of every group of the
  // band's raw rows (the same bytes, in the same order, as one box of whole rows).
  const kconv::ConvShape nhwc = ShapeOf(resnet, KCONV_ELEMENT_F16, KCONV_LAYOUT_NHWC);
  const wg::PlanData dn = wg::MakePlanData(nhwc, resnet.config, kH100);
  REQUIRE(dn.params.raw_row == 240);
  CHECK(dn.params.raw_group == 24);
  REQUIRE(wg::EncodeRawRowBandMap(&api, nhwc, dn.params, 4096, map));
  CHECK(map_call.calls == 2);
  CHECK(map_call.type == CU_TENSOR_MAP_DATA_TYPE_UINT16);
  CHECK(map_call.rank == 4);
  CHECK(map_call.dims[0] == 24);
  CHECK(map_call.dims[1] == 224 / 8);
  CHECK(map_call.strides[0] == 48);
  CHECK(map_call.strides[1] == 224 * 3 * 2);
  CHECK(map_call.box[0] == 24);
  CHECK(map_call.box[1] == 240 / 8);
  CHECK(map_call.box[2] == static_cast<cuuint32_t>(dn.params.p.band_rows));
  CHECK(map_call.box[3] == 1);
  CHECK(dn.params.band_box_bytes == 240 * 3 * 2 * dn.params.p.band_rows);
  const kconv::ConvShape nhwc32 = ShapeOf(resnet, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC);
  REQUIRE(wg::EncodeRawRowBandMap(&api, nhwc32, wg::MakePlanData(nhwc32, resnet.config, kH100).params, 4096, map));
  CHECK(map_call.type == CU_TENSOR_MAP_DATA_TYPE_FLOAT32);
  CHECK(map_call.dims[0] == 24);
  CHECK(map_call.strides[0] == 96);
  CHECK(map_call.box[1] == 240 / 8);
  // Stride 1 keeps 16-byte groups (VGG's 3x3/1 measured slower with 8-pixel ones), and so do rows that are not
  // whole 8-pixel groups: W = 220 (660 fp32 elements, whole 4-element groups).
  const kconv::ConvShape vgg = ShapeOf(kCases[2], KCONV_ELEMENT_F16, KCONV_LAYOUT_NHWC);
  CHECK(wg::NhwcRawGroup(vgg) == 8);
  CHECK(wg::MakePlanData(vgg, kCases[2].config, kH100).params.raw_group == 8);
  kconv_test::Shape uneven{1, 3, 20, 220, 64, 7, 7};
  uneven.stride_h = uneven.stride_w = 2;
  uneven.pad_h = uneven.pad_w = 3;
  const kconv::ConvShape n32 = kconv_test::ValidatedIn(uneven, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32);
  CHECK(wg::NhwcRawGroup(n32) == 4);
  const wg::PlanData du = wg::MakePlanData(n32, resnet.config, kH100);
  REQUIRE(du.params.raw_row > 0);  // the plan copies these rows, so the map below is the one the launch encodes
  REQUIRE(wg::EncodeRawRowBandMap(&api, n32, du.params, 4096, map));
  CHECK(map_call.dims[0] == 4);
  CHECK(map_call.box[1] == static_cast<cuuint32_t>(du.params.raw_row * 3 / 4));
}

TEST_CASE("stem_wgmma_tf32.widened_raw_band_launch_uses_its_raw_rows_copy_or_none") {
  kconv::DriverApi api = kconv_test::RecordingTensorMapApi();
  const kconv_test::TensorMapRecord& map_call = kconv_test::LastTensorMap();
  auto copies = [&](const kconv::ConvShape& s, const wg::Config& config) {
    REQUIRE(wg::Accepts(s, config, kH100).ok());
    const wg::PlanData d = wg::MakePlanData(s, config, kH100);
    wg::StemWgmmaParams params = d.params;
    return wg::EncodeLaunchBandMap(&api, s, d, 4096, &params);
  };
  // With room for the raw rows: their copy.
  CHECK(copies(ShapeOf(kCases[0], KCONV_ELEMENT_F16, KCONV_LAYOUT_NHWC), kResNet));
  CHECK(map_call.calls == 1);
  CHECK(map_call.rank == 4);
  // Without (fp32 NHWC RGBA ResNet: the weight stages leave none; column tiles), no copy at all: fp32 NHWC's
  // stride-4 plane map would be read as raw rows.
  Case rgba = kCases[0];
  rgba.c = 4;
  CHECK_FALSE(copies(ShapeOf(rgba, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC), kResNet));
  Case wide = kCases[2];
  wide.w = 600;
  CHECK_FALSE(copies(ShapeOf(wide, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC), kVgg));
  CHECK_FALSE(copies(ShapeOf(wide, KCONV_ELEMENT_F16, KCONV_LAYOUT_NCHW), kVgg));
  CHECK(map_call.calls == 1);
  // fp32 NHWC at stride 4 keeps its plane map.
  wg::Config stride4 = wg::MakeConfig(1, 12, 12, 5, 5, 1);
  stride4.io = 1;
  CHECK(copies(kconv_test::ValidatedIn(kconv_test::AlexNetConv1(2), KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC,
                                       KCONV_MATH_TF32),
               stride4));
  CHECK(map_call.calls == 2);
  CHECK(map_call.rank == 5);
}

TEST_CASE("stem_wgmma_tf32.widened_raw_band_rows_stay_within_the_producers_64_pieces") {
  // A lane widens pieces lane and lane + 32 of a row: rows of more than 256 floats get no room (through
  // registers instead). MobileNet's 3x3/2 on SSD's 300x300 input: 150 columns, two phases of 75 (300 floats).
  Case ssd = kCases[1];
  ssd.w = 300;
  for (const Mode& mode : {Mode{KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, "_nhwc"}, Mode{KCONV_ELEMENT_F16, KCONV_LAYOUT_NHWC, "_f16_nhwc"},
                           Mode{KCONV_ELEMENT_F16, KCONV_LAYOUT_NCHW, "_f16"}}) {
    const kconv::ConvShape s = ShapeOf(ssd, mode.type, mode.layout);
    CAPTURE(kconv::FormatOf(s));
    REQUIRE(wg::Accepts(s, ssd.config, kH100).ok());
    const wg::PlanData d = wg::MakePlanData(s, ssd.config, kH100);
    CHECK(d.params.p.row_floats > 256);
    CHECK(d.params.raw_row == 0);
  }
}

TEST_CASE("stem_wgmma_tf32.raw_row_plans_keep_their_invariants_over_random_stems") {
  // Random stems at strides 4, 2 and 1 in every type and layout, through every config of the family that accepts
  // them, under each KCONV_PAIR_ROWS way: wherever a plan makes room for raw rows, the room, the rows and the box
  // are what the kernels assume (inside the band buffer after every plane, rows of at most 64 pieces for a lane
  // pair, a box the copy engine takes), and the launch's map is the raw rows' or none.
  std::vector<wg::Config> configs;
  for (const kconv::KernelConfig& c : kconv::Configs()) {
    if (&c.family() == &wg::Family()) configs.push_back(wg::kConfigs[c.family_index]);
  }
  REQUIRE(configs.size() > 40);
  std::mt19937_64 rng(20261205);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  kconv::DriverApi api = kconv_test::RecordingTensorMapApi();
  int plans = 0, with_room = 0;
  for (const char* ways : {"2", "1", "0"}) {
    const kconv_test::ScopedEnvironment pair_rows("KCONV_PAIR_ROWS", ways);
    for (int trial = 0; trial < 1000; ++trial) {
      // Widths of whole 16-byte groups half the time (the tensor copies' condition), any width otherwise.
      const int64_t w = trial % 2 == 0 ? 8 * pick(1, 80) : pick(8, 700);
      kconv_test::Shape shape{pick(1, 3), pick(1, 4), pick(8, 64), w, pick(1, 130), pick(1, 11), pick(1, 11)};
      shape.stride_w = std::vector<int64_t>{1, 2, 4}[static_cast<size_t>(pick(0, 2))];
      shape.stride_h = pick(1, 4);
      shape.pad_h = pick(0, 3);
      shape.pad_w = pick(0, 3);
      if (shape.r > shape.h + 2 * shape.pad_h || shape.s > shape.w + 2 * shape.pad_w) continue;
      const kconv_element_type type = static_cast<kconv_element_type>(pick(0, 2));
      const kconv_layout layout = static_cast<kconv_layout>(pick(0, 1));
      const kconv::ConvShape s = kconv_test::ValidatedIn(shape, type, layout, KCONV_MATH_TF32);
      CAPTURE(kconv::FormatOf(s));
      for (const wg::Config& config : configs) {
        if (!wg::Accepts(s, config, kH100).ok()) continue;
        ++plans;
        const wg::PlanData d = wg::MakePlanData(s, config, kH100);
        const kconv::StemParams& p = d.params.p;
        CHECK(d.geometry.shared_bytes <= static_cast<uint32_t>(kH100.smem_per_block_optin));
        wg::StemWgmmaParams params = d.params;
        const int calls = kconv_test::LastTensorMap().calls;
        const bool copies = wg::EncodeLaunchBandMap(&api, s, d, 4096, &params);
        if (d.params.raw_row == 0) {
          if (d.raw_rows) CHECK_FALSE(copies);
          continue;
        }
        ++with_room;
        CHECK(d.raw_rows);
        CHECK(d.params.column_tiles == 1);
        CHECK(p.row_floats <= 256);
        CHECK(p.band_rows <= 256);
        CHECK(d.params.raw_row % 8 == 0);
        const int64_t element_bytes = type == KCONV_ELEMENT_F32 ? 4 : 2;
        CHECK(d.params.band_box_bytes == s.c * p.band_rows * d.params.raw_row * element_bytes);
        CHECK(d.params.raw_offset % 128 == 0);
        CHECK(d.params.raw_offset + d.params.band_box_bytes <= p.band_bytes);
        // Every plane's reads stay inside a raw row: from its offset, row_floats elements and (widening) 3 more.
        const int32_t first = static_cast<int32_t>(-s.pad_w);
        const int32_t last = kconv::WidenedRawOffset(first, static_cast<int32_t>((config.phases - 1) * s.stride_w - s.pad_w));
        CHECK(last + p.row_floats <= d.params.raw_row);
        if (copies) {
          CHECK(kconv_test::LastTensorMap().calls == calls + 1);
          CHECK(kconv_test::LastTensorMap().rank == 4);
          for (cuuint32_t i = 0; i < 4; ++i) CHECK(kconv_test::LastTensorMap().box[i] <= 256);
        }
      }
    }
  }
  MESSAGE(plans << " plans, " << with_room << " with room for raw rows");
  CHECK(with_room > 0);
}
