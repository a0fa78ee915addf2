// SPDX-License-Identifier: Apache-2.0
// The planner's NHWC bulk write for the Hopper stem kernel (StemWgmmaParams::nhwc_bulk): a 16-bit NHWC tile of
// whole rows is staged in the type as its own output, rows_per_tile * Q * K contiguous elements, and one bulk copy
// writes it. Where that holds, and that the staging fits the band buffer it is written over.
#include <doctest/doctest.h>

#include <string>

#include "families/stem_wgmma_tf32/planner.h"
#include "prelude.h"
#include "runtime/conv_shape.h"
#include "validated_shape.h"

namespace {

namespace wg = kconv::stem_wgmma_tf32;

constexpr kconv::DeviceLimits kH100{90, 132, 227 * 1024, 228 * 1024, 2048, 65536};
constexpr wg::Config Io(wg::Config c) {
  c.io = 1;
  return c;
}
constexpr wg::Config kRows3 = Io(wg::MakeConfig(1, 12, 12, 5, 5, 1));   // m192n96_w12_k5x5
constexpr wg::Config kN64 = Io(wg::MakeConfig(2, 8, 8, 3, 2, 1));       // m256n64_w8_k3x2
constexpr wg::Config kResNet = Io(wg::MakeConfig(2, 8, 8, 7, 3, 2));    // m256n64_w8_k7x3_p2
constexpr wg::Config kOneRow = Io(wg::MakeConfig(1, 12, 4, 5, 10, 1));  // m64n96_w4_k5x10

kconv::ConvShape Nhwc(kconv_test::Shape shape, kconv_element_type type) {
  return kconv_test::ValidatedIn(shape, type, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32);
}

}  // namespace

TEST_CASE("stem_wgmma_tf32.nhwc_bulk_write_where_a_tile_is_one_run_of_its_output") {
  kconv_test::Shape alexnet = kconv_test::AlexNetConv1(8);
  for (const wg::Config& config : {kRows3, kOneRow}) {
    CAPTURE(config.warps);
    for (kconv_element_type type : {KCONV_ELEMENT_F16, KCONV_ELEMENT_BF16}) {
      const kconv::ConvShape s = Nhwc(alexnet, type);
      REQUIRE(wg::Accepts(s, config, kH100).ok());
      const wg::PlanData d = wg::MakePlanData(s, config, kH100);
      CHECK(d.params.nhwc_bulk == 1);
      CHECK(d.params.column_tiles == 1);
      CHECK(d.params.channel_groups == 1);
      // The tile's output, staged in the type over the band buffer, and 16-byte pixels for the copy.
      CHECK(int64_t{d.params.rows_per_tile} * s.q * s.k * 2 <= d.params.p.band_bytes);
      CHECK(s.k * 2 % 16 == 0);
    }
  }
  // ResNet's 7x7/2 at N = 64 (phase planes; K = 64 on an n64 config): one channel group as well.
  const kconv::ConvShape resnet = Nhwc(kconv_test::ResNetStem(64), KCONV_ELEMENT_F16);
  REQUIRE(wg::Accepts(resnet, kResNet, kH100).ok());
  CHECK(wg::MakePlanData(resnet, kResNet, kH100).params.nhwc_bulk == 1);
  // Not for fp32, NCHW, two channel groups (Swin's K = 128 on an n64 config), K not a multiple of 8, or when
  // turned off.
  const kconv::ConvShape fp32 = Nhwc(alexnet, KCONV_ELEMENT_F32);
  CHECK(wg::MakePlanData(fp32, kRows3, kH100).params.nhwc_bulk == 0);
  const kconv::ConvShape nchw = kconv_test::ValidatedIn(alexnet, KCONV_ELEMENT_F16, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32);
  CHECK(wg::MakePlanData(nchw, kRows3, kH100).params.nhwc_bulk == 0);
  kconv_test::Shape swin{8, 3, 224, 224, 128, 4, 4, 4, 4, 0, 0};
  const wg::PlanData two_groups = wg::MakePlanData(Nhwc(swin, KCONV_ELEMENT_F16), kN64, kH100);
  CHECK(two_groups.params.channel_groups == 2);
  CHECK(two_groups.params.nhwc_bulk == 0);
  kconv_test::Shape k92 = alexnet;
  k92.k = 92;
  CHECK(wg::MakePlanData(Nhwc(k92, KCONV_ELEMENT_F16), kRows3, kH100).params.nhwc_bulk == 0);
  const kconv_test::ScopedEnvironment off("KCONV_NHWC_BULK", "0");
  CHECK(wg::MakePlanData(Nhwc(alexnet, KCONV_ELEMENT_F16), kRows3, kH100).params.nhwc_bulk == 0);
}
