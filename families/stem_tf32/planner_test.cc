// SPDX-License-Identifier: Apache-2.0
// The portable stem family's planner: its tiles, bands, shared memory and the shapes it refuses.
#include <doctest/doctest.h>

#include <string>

#include "families/stem_tf32/planner.h"
#include "prelude.h"
#include "runtime/blob_registry.h"
#include "runtime/config_choice.h"
#include "validated_shape.h"

namespace {

namespace st = kconv::stem_tf32;
using kconv_test::Validated;

constexpr kconv::DeviceLimits kH100{90, 132, 227 * 1024, 228 * 1024, 2048, 65536};
constexpr kconv::DeviceLimits kRtx4090{89, 128, 99 * 1024, 100 * 1024, 1536, 65536};
constexpr st::Config kM256{{2, 12, 8, 4, 2}, 1};  // m256n96_w8_k4x2
constexpr st::Config kM128{{2, 12, 4, 5, 2}, 1};  // m128n96_w4_k5x2
constexpr st::Config kResNet{{2, 8, 4, 7, 2}, 2};  // m128n64_w4_k7x2_p2

}  // namespace

TEST_CASE("stem_tf32.a_tile_is_consecutive_pixels_whose_band_covers_every_row_it_touches") {
  const kconv::ConvShape s = Validated(kconv_test::AlexNetConv1(32));
  REQUIRE(st::Accepts(s, kM256, kH100).ok());
  const st::PlanData d = st::MakePlanData(s, kM256, kH100);
  CHECK(d.geometry.grid_x == (55 * 55 + 255) / 256);
  CHECK(d.geometry.grid_y == 32);
  CHECK(d.geometry.threads == 8 * 32);
  // 256 pixels of 55-pixel rows touch up to 6 output rows: (6 - 1) * 4 + 11 input rows.
  CHECK(d.params.band_rows == 5 * 4 + 11);
  CHECK(d.params.row_floats == 4 * (55 + 3 - 1));
  CHECK(d.params.band_bytes % 128 == 0);
  CHECK(d.pack.channels == 96);
  CHECK(d.packed_weight_bytes == int64_t{d.params.steps} * 96 * 32);
  for (int i = 1; i < 2 * d.params.steps; ++i) CHECK(d.params.chunk_offset[i] >= d.params.chunk_offset[i - 1]);
}

TEST_CASE("stem_tf32.refuses_other_strides_dilation_more_channels_and_bands_past_shared_memory") {
  kconv_test::Shape stride2 = kconv_test::AlexNetConv1(1);
  stride2.stride_w = 2;
  CHECK(std::string(st::Accepts(Validated(stride2), kM256, kH100).message()).find("stride of 4") != std::string::npos);
  kconv_test::Shape dilated = kconv_test::AlexNetConv1(1);
  dilated.dil_h = 2;
  CHECK(absl::IsUnimplemented(st::Accepts(Validated(dilated), kM256, kH100)));
  kconv_test::Shape many = kconv_test::AlexNetConv1(1);
  many.k = 97;
  CHECK(std::string(st::Accepts(Validated(many), kM256, kH100).message()).find("97 output channels") != std::string::npos);
  // Ada's 99 KB: the 128-pixel config fits AlexNet, the 256-pixel one does not.
  CHECK(st::Accepts(Validated(kconv_test::AlexNetConv1(1)), kM128, kRtx4090).ok());
  const absl::Status big = st::Accepts(Validated(kconv_test::AlexNetConv1(1)), kM256, kRtx4090);
  CHECK(absl::IsUnimplemented(big));
  CHECK(std::string(big.message()).find("shared memory") != std::string::npos);
  // Rows far too wide for shared memory even in 64 more strips than a first guess are refused, quickly.
  kconv_test::Shape wide = kconv_test::AlexNetConv1(1);
  wide.w = int64_t{1} << 28;
  wide.h = 12;
  CHECK(absl::IsUnimplemented(st::Accepts(Validated(wide), kM256, kH100)));
}

TEST_CASE("stem_tf32.rows_too_wide_for_a_band_are_cut_into_strips") {
  // A 1080p frame, AlexNet conv1 (Q = 479): a band of whole rows is far past Ada's 99 KB, so rows are cut
  // into equal strips, each a 269 x strip_columns problem of its own.
  kconv_test::Shape frame = kconv_test::AlexNetConv1(2);
  frame.h = 1080;
  frame.w = 1920;
  const kconv::ConvShape s = Validated(frame);
  REQUIRE(st::Accepts(s, kM128, kRtx4090).ok());
  const st::PlanData d = st::MakePlanData(s, kM128, kRtx4090);
  const kconv::StemParams& p = d.params;
  REQUIRE(p.strips > 1);
  CHECK(p.strip_columns == (479 + p.strips - 1) / p.strips);
  CHECK(static_cast<int64_t>(p.strips) * p.strip_columns >= 479);
  CHECK(p.strip_pixels == 269 * p.strip_columns);
  CHECK(p.div_strip.divisor == static_cast<uint32_t>(p.strip_columns));
  CHECK(p.row_floats == 4 * (p.strip_columns + 3 - 1));
  CHECK(d.geometry.grid_y == 2 * static_cast<uint32_t>(p.strips));
  CHECK(d.geometry.grid_x == static_cast<uint32_t>((269 * p.strip_columns + 127) / 128));
  CHECK(d.geometry.shared_bytes <= static_cast<uint32_t>(kRtx4090.smem_per_block_optin));
  // A whole row's band is ~254 KB, so at least two strips (the planner takes the fewest that fit).
  CHECK(p.strips >= 2);
  // Whole rows keep one strip; so do rows no wider than a tile (AlexNet at 224 on Ada: the 256-pixel config
  // stays refused, and the 128-pixel one takes it, as before strips).
  const st::PlanData whole = st::MakePlanData(Validated(kconv_test::AlexNetConv1(2)), kM128, kRtx4090);
  CHECK(whole.params.strips == 1);
  CHECK(whole.params.strip_columns == 55);
  CHECK(whole.params.strip_pixels == 55 * 55);
  // Stride 2 (two phases): strips are a multiple of the phases wide.
  kconv_test::Shape resnet = kconv_test::ResNetStem(1);
  resnet.w = 1920;
  resnet.h = 64;
  const kconv::ConvShape r = Validated(resnet);
  REQUIRE(st::Accepts(r, kResNet, kRtx4090).ok());
  const st::PlanData d2 = st::MakePlanData(r, kResNet, kRtx4090);
  CHECK(d2.params.strips > 1);
  CHECK(d2.params.strip_columns % 2 == 0);
  // More than 4 input channels is a later layer: no strips.
  kconv_test::Shape layer = frame;
  layer.c = 8;
  CHECK(absl::IsUnimplemented(st::Accepts(Validated(layer), kM128, kRtx4090)));
}

TEST_CASE("stem_tf32.stride_2_bands_hold_two_planes_of_the_phases_columns") {
  // ResNet's 7x7/2 pad 3: 112 output columns, 56 per phase: a plane row is 4 * (56 + 2 - 1) floats.
  const kconv::ConvShape s = Validated(kconv_test::ResNetStem(8));
  REQUIRE(st::Accepts(s, kResNet, kRtx4090).ok());
  const st::PlanData d = st::MakePlanData(s, kResNet, kRtx4090);
  CHECK(d.params.row_floats == 4 * (56 + 2 - 1));
  CHECK(d.params.band_bytes >= 2 * 3 * d.params.band_rows * d.params.row_floats * 4);
  CHECK(d.params.band_bytes % 128 == 0);
  CHECK(d.pack.channels == 64);
  CHECK(absl::IsUnimplemented(st::Accepts(Validated(kconv_test::AlexNetConv1(1)), kResNet, kH100)));
  CHECK(absl::IsUnimplemented(st::Accepts(s, kM256, kH100)));  // stride 4 configs refuse stride 2
}

TEST_CASE("stem_tf32.is_the_choice_for_stride_4_stems_where_the_hopper_family_is_not") {
  for (int64_t n : {1, 32, 256}) {
    auto choice = kconv::ChooseConfig(Validated(kconv_test::AlexNetConv1(n)), kRtx4090, false);
    REQUIRE(choice.ok());
    CHECK(&kconv::Configs()[*choice].family() == &st::Family());
  }
}
