// SPDX-License-Identifier: Apache-2.0
// The planner's two launch-wide choices for the Hopper stem kernel's consumers: weights that stay resident, and
// the two warpgroups taking turns (ping-pong), with the half-tile staging each warpgroup's region must hold.
#include <doctest/doctest.h>

#include <string>

#include "families/stem_wgmma_tf32/planner.h"
#include "prelude.h"
#include "runtime/conv_shape.h"
#include "validated_shape.h"

namespace {

namespace wg = kconv::stem_wgmma_tf32;

constexpr kconv::DeviceLimits kH100{90, 132, 227 * 1024, 228 * 1024, 2048, 65536};
// io = 1: the configs that take 16-bit tensors (and so the pair-row kernels).
constexpr wg::Config Io(wg::Config c) {
  c.io = 1;
  return c;
}
constexpr wg::Config kK3x9 = Io(wg::MakeConfig(2, 12, 8, 3, 9, 1));   // m256n96_w8_k3x9: AlexNet's 27 k16 steps
constexpr wg::Config kK5x3 = Io(wg::MakeConfig(2, 12, 8, 5, 3, 1));   // m256n96_w8_k5x3: 3 slots of 5 steps
constexpr wg::Config kRows3 = Io(wg::MakeConfig(1, 12, 12, 5, 5, 1));  // m192n96_w12_k5x5: three warpgroups
constexpr wg::Config kResNet = Io(wg::MakeConfig(2, 8, 8, 7, 3, 2));   // m256n64_w8_k7x3_p2

kconv::ConvShape AlexNet(kconv_element_type type, int64_t k = 96) {
  kconv_test::Shape shape = kconv_test::AlexNetConv1(32);
  shape.k = k;
  return kconv_test::ValidatedIn(shape, type, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32);
}

// Each half's staging lies in its band buffer, the first's after the units (from raw_offset), and the two apart.
void CheckHalvesApart(const wg::PlanData& d, int64_t channels) {
  const int64_t half = channels * int64_t{d.params.staging_stride} * 2;
  const int64_t first = d.params.raw_offset, second = d.params.second_staging;
  CHECK(first + half <= d.params.p.band_bytes);
  CHECK(second + half <= d.params.p.band_bytes);
  CHECK((second + half <= first || first + half <= second));
  CHECK(second % 16 == 0);
}

}  // namespace

TEST_CASE("stem_wgmma_tf32.pingpong_is_on_at_stride_4_and_resident_weights_are_on_unless_turned_off") {
  const kconv::ConvShape fp16 = AlexNet(KCONV_ELEMENT_F16);
  const kconv::ConvShape resnet =
      kconv_test::ValidatedIn(kconv_test::ResNetStem(64), KCONV_ELEMENT_F16, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32);
  const kconv_test::ScopedEnvironment tensor_copy("KCONV_PAIR_ROWS", "2");
  for (const char* value : {"", "0", "1", "2"}) {
    CAPTURE(value);
    const std::string set = value;
    const kconv_test::ScopedEnvironment resident("KCONV_RESIDENT_WEIGHTS", value);
    const kconv_test::ScopedEnvironment pingpong("KCONV_PINGPONG", value);
    const wg::PlanData d = wg::MakePlanData(fp16, kK3x9, kH100);
    CHECK(d.params.resident_weights == (set == "0" ? 0 : 1));
    // AlexNet's stride 4 takes turns unless turned off; ResNet's stride 2 only when asked (it ran 1% slower).
    CHECK(d.params.pingpong == (set == "0" ? 0 : 1));
    CHECK(d.params.staging_stride == wg::StemWgmmaStagingStrideInType((set == "0" ? 4 : 2) * 55));
    const wg::PlanData r = wg::MakePlanData(resnet, kResNet, kH100);
    REQUIRE(r.pair_rows);
    CHECK(r.params.pingpong == (set == "1" ? 1 : 0));
  }
}

TEST_CASE("stem_wgmma_tf32.weights_stay_resident_where_one_channel_group_fits_the_ring") {
  const kconv_test::ScopedEnvironment on("KCONV_RESIDENT_WEIGHTS", "");
  const kconv::ConvShape fp16 = AlexNet(KCONV_ELEMENT_F16);
  REQUIRE(wg::Accepts(fp16, kK3x9, kH100).ok());
  const wg::PlanData k3x9 = wg::MakePlanData(fp16, kK3x9, kH100);
  REQUIRE(k3x9.params.p.steps == 27);  // nine 3-step stages, nine slots
  CHECK(k3x9.params.resident_weights == 1);
  // 27 steps are six 5-step stages (padded) against three slots: the ring turns.
  CHECK(wg::MakePlanData(fp16, kK5x3, kH100).params.resident_weights == 0);
  // Two channel groups alternate tile by tile, so each tile needs the other group's weights.
  const kconv::ConvShape wide = AlexNet(KCONV_ELEMENT_F16, 192);
  REQUIRE(wg::Accepts(wide, kK3x9, kH100).ok());
  CHECK(wg::MakePlanData(wide, kK3x9, kH100).params.channel_groups == 2);
  CHECK(wg::MakePlanData(wide, kK3x9, kH100).params.resident_weights == 0);
}

TEST_CASE("stem_wgmma_tf32.pingpong_takes_pair_row_tiles_of_two_warpgroups_and_stages_half_a_tile") {
  const kconv_test::ScopedEnvironment on("KCONV_PINGPONG", "1");
  const kconv_test::ScopedEnvironment tensor_copy("KCONV_PAIR_ROWS", "2");
  for (const kconv_element_type type : {KCONV_ELEMENT_F16, KCONV_ELEMENT_BF16}) {
    const kconv::ConvShape s = AlexNet(type);
    const wg::PlanData d = wg::MakePlanData(s, kK3x9, kH100);
    REQUIRE(d.pair_rows);
    CHECK(d.params.pingpong == 1);
    // Two of the tile's four rows a warpgroup: 110 pixels after a head of up to 7, whole pieces, 8 past 16.
    CHECK(d.params.staging_stride == 136);
    CHECK(d.params.staging_stride == wg::StemWgmmaStagingStrideInType(2 * 55));
    CHECK(d.params.second_staging == 0);  // the units hold the second half
    CheckHalvesApart(d, 96);
  }
  {  // ConvNeXt's 4x4/4: 21.5 KB of units cannot hold a half (26 KB), so it follows the first's, in a larger buffer
    kconv_test::Shape patchify = kconv_test::AlexNetConv1(64);
    patchify.r = patchify.s = 4;
    patchify.pad_h = patchify.pad_w = 0;
    const kconv::ConvShape s = kconv_test::ValidatedIn(patchify, KCONV_ELEMENT_F16, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32);
    const wg::PlanData d = wg::MakePlanData(s, kK3x9, kH100);
    const kconv_test::ScopedEnvironment off("KCONV_PINGPONG", "0");
    const wg::PlanData whole = wg::MakePlanData(s, kK3x9, kH100);
    REQUIRE(d.params.pingpong == 1);
    CHECK(d.params.second_staging > d.params.raw_offset);
    CHECK(d.params.p.band_bytes > whole.params.p.band_bytes);
    CHECK(d.geometry.shared_bytes <= kH100.smem_per_block_optin);
    CheckHalvesApart(d, 96);
  }
  {  // ResNet's 7x7/2 on its n64 config at two phases: one row a warpgroup, the raw rows grown to hold it
    kconv_test::Shape resnet = kconv_test::ResNetStem(64);
    const kconv::ConvShape s = kconv_test::ValidatedIn(resnet, KCONV_ELEMENT_F16, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32);
    const wg::PlanData d = wg::MakePlanData(s, kResNet, kH100);
    REQUIRE(d.params.rows_per_tile == 2);
    CHECK(d.params.pingpong == 1);
    CHECK(d.params.staging_stride == wg::StemWgmmaStagingStrideInType(112));
    CHECK(d.geometry.shared_bytes <= kH100.smem_per_block_optin);
    CheckHalvesApart(d, 64);
  }
  // A ring that turns within a tile (27 steps in six 5-step stages, three slots) would deadlock the turns: the
  // first warpgroup would wait for a slot that only the second, waiting for its turn, can free.
  CHECK(wg::MakePlanData(AlexNet(KCONV_ELEMENT_F16), kK5x3, kH100).params.pingpong == 0);
  // fp32 has no pair rows; three warpgroups do not pair up.
  CHECK(wg::MakePlanData(AlexNet(KCONV_ELEMENT_F32), kK3x9, kH100).params.pingpong == 0);
  const kconv::ConvShape fp16 = AlexNet(KCONV_ELEMENT_F16);
  REQUIRE(wg::Accepts(fp16, kRows3, kH100).ok());
  CHECK(wg::MakePlanData(fp16, kRows3, kH100).params.pingpong == 0);
  {  // without the tensor copy's raw rows the first warpgroup has no region
    const kconv_test::ScopedEnvironment copied("KCONV_PAIR_ROWS", "1");
    CHECK(wg::MakePlanData(fp16, kK3x9, kH100).params.pingpong == 0);
  }
}
