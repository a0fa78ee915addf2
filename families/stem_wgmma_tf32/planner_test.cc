// SPDX-License-Identifier: Apache-2.0
// The Hopper stem family's planner: its row tiles, channel groups, shared-memory sizing, the shapes it
// refuses, and the configs its cost picks.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "families/stem_wgmma_tf32/planner.h"
#include "prelude.h"
#include "runtime/blob_registry.h"
#include "runtime/config_choice.h"
#include "runtime/conv_shape.h"
#include "validated_shape.h"

namespace {

namespace wg = kconv::stem_wgmma_tf32;
using kconv_test::Validated;

constexpr kconv::DeviceLimits kH100{90, 132, 227 * 1024, 228 * 1024, 2048, 65536};
constexpr kconv::DeviceLimits kRtx4090{89, 128, 99 * 1024, 100 * 1024, 1536, 65536};
constexpr wg::Config kRows4 = wg::MakeConfig(2, 12, 8, 5, 3, 1);   // m256n96_w8_k5x3: 4 m64 pieces
constexpr wg::Config kRows3 = wg::MakeConfig(1, 12, 12, 5, 5, 1);  // m192n96_w12_k5x5: 3 m64 pieces
constexpr wg::Config kRows1 = wg::MakeConfig(1, 12, 4, 5, 4, 1);   // m64n96_w4_k5x4: 1 m64 piece
constexpr wg::Config kPhases2 = wg::MakeConfig(2, 8, 8, 7, 3, 2);  // m256n64_w8_k7x3_p2: 2 rows of 2 phases
constexpr wg::Config kHalf1 = wg::MakeConfig(1, 6, 4, 5, 10, 1);   // m64n48_w4_k5x10: 48 channels

// The config the heuristic picks on an H100, when this build has the family's sm_90a images.
const wg::Config* HopperChoice(const kconv_test::Shape& shape) {
  auto choice = kconv::ChooseConfig(Validated(shape), kH100, false);
  REQUIRE(choice.ok());
  const kconv::KernelConfig& c = kconv::Configs()[*choice];
  if (&c.family() != &wg::Family()) return nullptr;
  return &wg::kConfigs[c.family_index];
}

}  // namespace

TEST_CASE("stem_wgmma_tf32.chunk_offsets_increase_along_k_and_padding_repeats_the_last_chunk") {
  // wgmma reads a k8 step's second chunk at a non-negative distance (LBO) from its first.
  const kconv::ConvShape s = Validated(kconv_test::AlexNetConv1(8));
  const wg::PlanData d = wg::MakePlanData(s, kRows4, kH100);
  const kconv::StemParams& p = d.params.p;
  const int real_chunks = 3 * 11 * 3;  // C * R * ceil(S / 4)
  REQUIRE(2 * p.steps >= real_chunks);
  CHECK(2 * p.steps % (2 * kRows4.wsteps) == 0);
  for (int i = 1; i < 2 * p.steps; ++i) CHECK(p.chunk_offset[i] >= p.chunk_offset[i - 1]);
  for (int i = real_chunks; i < 2 * p.steps; ++i) CHECK(p.chunk_offset[i] == p.chunk_offset[real_chunks - 1]);
  // Chunk (c, r, j) = (1, 0, 0) is the first of channel 1: one band height of rows past channel 0.
  CHECK(p.chunk_offset[11 * 3] == p.band_rows * p.row_floats * 4);
  CHECK(p.chunk_offset[1] == 16);
}

TEST_CASE("stem_wgmma_tf32.tiles_are_whole_output_rows") {
  const kconv::ConvShape s = Validated(kconv_test::AlexNetConv1(256));
  REQUIRE(wg::Accepts(s, kRows4, kH100).ok());
  const wg::PlanData d = wg::MakePlanData(s, kRows4, kH100);
  CHECK(d.params.segments == 1);          // Q = 55 fits one m64 piece
  CHECK(d.params.rows_per_tile == 4);     // 4 pieces
  CHECK(d.params.tiles_per_image == 14);  // ceil(55 / 4)
  CHECK(d.params.total_tiles == 14 * 256);
  CHECK(d.params.p.band_rows == 3 * 4 + 11);
  CHECK(d.params.staging_stride == 228);  // 220 pixels rounded up to 32, plus 4 banks
  CHECK(d.params.p.band_bytes % 128 == 0);
  CHECK(d.params.p.band_bytes >= 96 * 228 * 4);  // the tile's staged outputs fit in its band buffer
  CHECK(d.params.p.band_bytes >= 3 * 23 * d.params.p.row_floats * 4);
  CHECK(d.params.band_box_bytes == 3 * 23 * d.params.p.row_floats * 4);
  CHECK(d.geometry.grid_x == 132);
  CHECK(d.geometry.threads == 32 * (8 + 4));  // the weights' warp and three band warps
  CHECK(d.geometry.shared_bytes <= static_cast<uint32_t>(kH100.smem_per_block_optin));

  // N = 1: one block per tile when there are fewer tiles than SMs.
  const wg::PlanData one = wg::MakePlanData(Validated(kconv_test::AlexNetConv1(1)), kRows1, kH100);
  CHECK(one.params.rows_per_tile == 1);
  CHECK(one.params.total_tiles == 55);
  CHECK(one.geometry.grid_x == 55);
}

TEST_CASE("stem_wgmma_tf32.bulk_copies_write_one_row_tiles_only") {
  if (std::getenv("KCONV_BULK_WRITE") != nullptr) {
    MESSAGE("skipped: KCONV_BULK_WRITE is set, and it overrides the rule");
    return;
  }
  // Set on every plan, read only by the kernels that stage a tile in the 16-bit type.
  const auto alexnet = Validated(kconv_test::AlexNetConv1(1));
  CHECK(wg::MakePlanData(alexnet, kHalf1, kH100).params.bulk_write == wg::kBulkWriteConsumers);  // N = 1's choice
  CHECK(wg::MakePlanData(alexnet, kRows1, kH100).params.bulk_write == wg::kBulkWriteConsumers);
  CHECK(wg::MakePlanData(alexnet, kRows3, kH100).params.bulk_write == wg::kBulkWriteLanes);
  CHECK(wg::MakePlanData(alexnet, kRows4, kH100).params.bulk_write == wg::kBulkWriteLanes);
  CHECK(wg::MakePlanData(alexnet, wg::MakeConfig(4, 12, 4, 5, 3, 1), kH100).params.bulk_write == wg::kBulkWriteLanes);
}

TEST_CASE("stem_wgmma_tf32.the_bulk_write_variable_forces_each_way_and_ignores_other_values") {
  const auto alexnet = Validated(kconv_test::AlexNetConv1(1));
  const struct {
    const char* value;
    int32_t rows1, rows3;  // the one-row and the three-row tile's way
  } cases[] = {{"0", wg::kBulkWriteLanes, wg::kBulkWriteLanes},
               {"1", wg::kBulkWriteConsumers, wg::kBulkWriteConsumers},
               {"2", wg::kBulkWriteConsumers, wg::kBulkWriteLanes},
               {"", wg::kBulkWriteConsumers, wg::kBulkWriteLanes}};
  for (const auto& c : cases) {
    CAPTURE(c.value);
    kconv_test::ScopedEnvironment forced("KCONV_BULK_WRITE", c.value);
    CHECK(wg::MakePlanData(alexnet, kRows1, kH100).params.bulk_write == c.rows1);
    CHECK(wg::MakePlanData(alexnet, kRows3, kH100).params.bulk_write == c.rows3);
  }
}

TEST_CASE("stem_wgmma_tf32.refuses_rows_that_do_not_divide_into_its_pieces_and_other_devices") {
  // W = 400, 11x11 stride 4 pad 2: Q = 99, two m64 pieces per row, which three pieces cannot hold whole.
  kconv_test::Shape wide = kconv_test::AlexNetConv1(2);
  wide.w = 400;
  const kconv::ConvShape s = Validated(wide);
  REQUIRE(s.q == 99);
  const absl::Status three_pieces = wg::Accepts(s, kRows3, kH100);
  CHECK(absl::IsUnimplemented(three_pieces));
  CHECK(std::string(three_pieces.message()).find("m64 pieces") != std::string::npos);
  REQUIRE(wg::Accepts(s, kRows4, kH100).ok());
  const wg::PlanData d = wg::MakePlanData(s, kRows4, kH100);
  CHECK(d.params.segments == 2);
  CHECK(d.params.rows_per_tile == 2);
  CHECK(d.params.column_tiles == 1);
  CHECK(d.params.tile_columns == 99);
  const absl::Status ada = wg::Accepts(Validated(kconv_test::AlexNetConv1(1)), kRows1, kRtx4090);
  CHECK(absl::IsUnimplemented(ada));
  CHECK(std::string(ada.message()).find("compute capability 9.0") != std::string::npos);
}

TEST_CASE("stem_wgmma_tf32.n48_configs_split_a_tiles_channels_over_blocks") {
  // AlexNet at N = 1: 55 one-row tiles, each computed by two blocks of 48 channels, which stream their
  // own contiguous half of the packed weights.
  const kconv::ConvShape s = Validated(kconv_test::AlexNetConv1(1));
  REQUIRE(wg::Accepts(s, kHalf1, kH100).ok());
  const wg::PlanData d = wg::MakePlanData(s, kHalf1, kH100);
  CHECK(d.params.channel_groups == 2);
  CHECK(d.params.tiles_per_image == 55);
  CHECK(d.params.total_tiles == 110);
  CHECK(d.geometry.grid_x == 110);
  CHECK(d.pack.channels == 96);
  CHECK(d.packed_weight_bytes == 2 * d.params.p.steps * 48 * 32);
  CHECK(d.params.p.band_bytes >= 48 * d.params.staging_stride * 4);  // 48 staged channels fit a band buffer
  // Past the SM count the blocks walk several (row tile, channel group) items.
  const wg::PlanData many = wg::MakePlanData(Validated(kconv_test::AlexNetConv1(4)), kHalf1, kH100);
  CHECK(many.params.total_tiles == 4 * 55 * 2);
  CHECK(many.geometry.grid_x == 132);
  // 48 channels or fewer need one group; more than the bias table's kMaxChannels are refused.
  kconv_test::Shape narrow = kconv_test::AlexNetConv1(1);
  narrow.k = 40;
  CHECK(wg::MakePlanData(Validated(narrow), kHalf1, kH100).params.channel_groups == 1);
  kconv_test::Shape wide = kconv_test::AlexNetConv1(1);
  wide.k = wg::kMaxChannels + 1;
  CHECK(absl::IsUnimplemented(wg::Accepts(Validated(wide), kHalf1, kH100)));
}

TEST_CASE("stem_wgmma_tf32.rows_wider_than_a_tile_are_cut_into_column_tiles") {
  // A 1080p frame, AlexNet conv1: Q = 479. Whole rows (8 m64 pieces) fit no config's tile, so rows are cut
  // into column tiles of one piece, split evenly: 8 of 60 columns, whose band rows (4 * (60 + 2) floats plus
  // 4 for the tensor copy's shift at pad 2) fit the tensor copy's 256-float box.
  kconv_test::Shape frame = kconv_test::AlexNetConv1(1);
  frame.h = 1080;
  frame.w = 1920;
  const kconv::ConvShape s = Validated(frame);
  REQUIRE(s.q == 479);
  REQUIRE(wg::Accepts(s, kRows3, kH100).ok());
  const wg::PlanData d = wg::MakePlanData(s, kRows3, kH100);
  CHECK(d.params.column_tiles == 8);
  CHECK(d.params.tile_columns == 60);
  CHECK(d.params.segments == 1);
  CHECK(d.params.rows_per_tile == 3);
  CHECK(d.params.tiles_per_image == 90);  // ceil(269 / 3)
  CHECK(d.params.total_tiles == 90 * 8);
  CHECK(d.params.p.row_floats == 4 * (60 + 2) + 4);
  CHECK(d.params.staging_stride == 196);  // 180 pixels rounded up to 32, plus 4 banks
  CHECK(d.params.p.band_bytes >= 96 * 196 * 4);
  CHECK(d.geometry.shared_bytes <= static_cast<uint32_t>(kH100.smem_per_block_optin));
  // Four rows of 60 columns stage 96 * 260 floats per band buffer: two of them and three weight stages
  // exceed 227 KB, so the next narrower width that fits is taken (9 tiles of 54 columns).
  REQUIRE(wg::Accepts(s, kRows4, kH100).ok());
  const wg::PlanData d4 = wg::MakePlanData(s, kRows4, kH100);
  CHECK(d4.params.column_tiles == 9);
  CHECK(d4.params.tile_columns == 54);
  CHECK(d4.params.rows_per_tile == 4);
  CHECK(d4.geometry.shared_bytes <= static_cast<uint32_t>(kH100.smem_per_block_optin));
  // One piece per tile: each row is its own column tiles, and a row one piece wide needs none.
  REQUIRE(wg::Accepts(s, kRows1, kH100).ok());
  CHECK(wg::MakePlanData(s, kRows1, kH100).params.column_tiles == 8);
  CHECK(wg::MakePlanData(Validated(kconv_test::AlexNetConv1(1)), kRows1, kH100).params.column_tiles == 1);

  // Stride 2 (two phases): Q = 640 is 320 columns per phase, 6 column tiles of 54 per phase (108 columns);
  // 4 * (54 + 1) + 4 floats per band row at pad 3.
  kconv_test::Shape resnet = kconv_test::ResNetStem(1);
  resnet.w = 1280;
  const kconv::ConvShape r = Validated(resnet);
  REQUIRE(r.q == 640);
  REQUIRE(wg::Accepts(r, kPhases2, kH100).ok());
  const wg::PlanData p2 = wg::MakePlanData(r, kPhases2, kH100);
  CHECK(p2.params.column_tiles == 6);
  CHECK(p2.params.tile_columns == 108);
  CHECK(p2.params.rows_per_tile == 2);
  CHECK(p2.params.p.row_floats <= 256);

  // A row too wide for the tensor copy's box at any useful width (a 64-column kernel) still takes column
  // tiles of up to 64 columns, copied by the producer warps.
  kconv_test::Shape tall_kernel = frame;
  tall_kernel.r = 3;
  tall_kernel.s = 64;
  tall_kernel.pad_w = 0;
  const kconv::ConvShape t = Validated(tall_kernel);
  if (wg::Accepts(t, kRows1, kH100).ok()) {
    const wg::PlanData d64 = wg::MakePlanData(t, kRows1, kH100);
    CHECK(d64.params.column_tiles >= 1);
    CHECK(d64.params.tile_columns <= 64);
    CHECK(d64.geometry.shared_bytes <= static_cast<uint32_t>(kH100.smem_per_block_optin));
  }
}

TEST_CASE("stem_wgmma_tf32.refuses_huge_strides_and_rows_without_overflow") {
  for (kconv_test::Shape shape : {kconv_test::Shape{1, 3, 16, 64, 8, 3, 3, int64_t{1} << 35, 4},
                                  kconv_test::Shape{1, 3, 16, int64_t{1} << 26, 8, 3, 3, 1, 4}}) {
    const absl::Status accepted = wg::Accepts(Validated(shape), kRows1, kH100);
    CHECK(absl::IsUnimplemented(accepted));
  }
}

TEST_CASE("stem_wgmma_tf32.the_heuristic_picks_the_measured_fastest_tiles") {
  if (!kconv::SelectBlob(*kconv::FindConfig("stem_wgmma_tf32/m128n96_w8_k5x4"), 90, false).ok()) {
    MESSAGE("this build has no sm_90a images: the family's choice is not checked");
    return;
  }
  // 3-row tiles over three consumer warpgroups at large batches (measured fastest), 64-pixel tiles at
  // N = 1, where a larger tile leaves most SMs idle.
  const wg::Config* large = HopperChoice(kconv_test::AlexNetConv1(256));
  const wg::Config* medium = HopperChoice(kconv_test::AlexNetConv1(32));
  const wg::Config* one = HopperChoice(kconv_test::AlexNetConv1(1));
  REQUIRE(large != nullptr);
  REQUIRE(medium != nullptr);
  REQUIRE(one != nullptr);
  // m192n96_w12_k5x5, the first listed that takes fp32 (the whole-tile ring before it fits only 16-bit staging)
  const auto k5x5 = kconv::FindConfig("stem_wgmma_tf32/m192n96_w12_k5x5");
  REQUIRE(k5x5.ok());
  CHECK(large == &wg::kConfigs[kconv::Configs()[*k5x5].family_index]);
  CHECK(medium == large);
  CHECK(kconv::MakeStemLayout(*one).tile_pixels == 64);
  // Rows of 99 pixels are two m64 pieces, which three pieces per tile cannot hold: 256-pixel tiles.
  kconv_test::Shape wide = kconv_test::AlexNetConv1(256);
  wide.w = 400;
  const wg::Config* wide_choice = HopperChoice(wide);
  REQUIRE(wide_choice != nullptr);
  CHECK(kconv::MakeStemLayout(*wide_choice).tile_pixels == 256);
  // At N = 1 the 55 one-row tiles leave SMs idle, so each tile's channels are split over two blocks (n48);
  // at N = 256 there is work for every SM without splitting.
  CHECK(one->nt == 6);
  CHECK(large->nt == 12);
}

TEST_CASE("stem_wgmma_tf32.io_configs_take_16_bit_tensors_and_nhwc_the_others_fp32_nchw_only") {
  // 16-bit NCHW bands widened to TF32 (pair-row bands, the default, are pair_row_band_test's).
  const kconv_test::ScopedEnvironment widened("KCONV_PAIR_ROWS", "0");
  wg::Config io = kRows3;
  io.io = 1;
  struct Case {
    kconv_element_type type;
    kconv_layout layout;
    kconv_math_mode math;
    bool io_accepts;  // whether an io=1 config takes it (an io=0 config takes fp32 NCHW TF32 only)
  };
  for (const Case& c : {Case{KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32, true},
                        Case{KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32, true},
                        Case{KCONV_ELEMENT_F16, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32, true},
                        Case{KCONV_ELEMENT_BF16, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32, true},
                        Case{KCONV_ELEMENT_F16, KCONV_LAYOUT_NHWC, KCONV_MATH_FP32, true},
                        Case{KCONV_ELEMENT_BF16, KCONV_LAYOUT_NCHW, KCONV_MATH_3XTF32, true},
                        Case{KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_3XTF32, false},
                        Case{KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, KCONV_MATH_FP32, false}}) {
    kconv_conv_desc d = kconv_test::AlexNetConv1(32).Desc();
    d.element_type = c.type;
    d.layout = c.layout;
    d.math_mode = c.math;
    auto s = kconv::ValidateConvDesc(&d);
    REQUIRE(s.ok());
    CAPTURE(kconv::FormatOf(*s));
    const absl::Status with_io = wg::Accepts(*s, io, kH100);
    CHECK(with_io.ok() == c.io_accepts);
    if (!c.io_accepts) CHECK(std::string(with_io.message()).find("TF32 only") != std::string::npos);
    const bool fp32_nchw_tf32 =
        c.type == KCONV_ELEMENT_F32 && c.layout == KCONV_LAYOUT_NCHW && c.math == KCONV_MATH_TF32;
    CHECK(wg::Accepts(*s, kRows3, kH100).ok() == fp32_nchw_tf32);
    // The tiles do not depend on the element type or layout, and the band holds fp32 either way; NHWC stages
    // the outputs pixel-major, in no more room (AlexNet: 165 pixels of 104 floats against 96 channel rows of 196).
    if (c.io_accepts) {
      const wg::PlanData typed = wg::MakePlanData(*s, io, kH100);
      const wg::PlanData plain = wg::MakePlanData(Validated(kconv_test::AlexNetConv1(32)), io, kH100);
      if (c.layout == KCONV_LAYOUT_NCHW) CHECK(typed.geometry.shared_bytes == plain.geometry.shared_bytes);
      CHECK(typed.geometry.shared_bytes <= plain.geometry.shared_bytes);
      CHECK(typed.params.total_tiles == plain.params.total_tiles);
      if (c.layout == KCONV_LAYOUT_NHWC) {
        CHECK(typed.params.staging_stride == 104);
        CHECK(typed.params.p.band_bytes >= 3 * 55 * 104 * 4);
      }
      // This 12-warp config launches five band warps for fp32 NHWC at stride 4, three otherwise (BandWarps); the
      // kernel's __launch_bounds__ and the launch must agree, or the launch fails.
      const int band_warps = c.type == KCONV_ELEMENT_F32 && c.layout == KCONV_LAYOUT_NHWC ? 5 : 3;
      CHECK(typed.geometry.threads == static_cast<uint32_t>(32 * (io.warps + 1 + band_warps)));
      CHECK(typed.geometry.threads == static_cast<uint32_t>(wg::Threads(io, c.type, c.layout == KCONV_LAYOUT_NHWC)));
    }
  }
}
