// SPDX-License-Identifier: Apache-2.0
// The raw rows' room past the staging (StemWgmmaParams::early_raw), on the CPU: where a plan takes it, no staging
// reaches the raw rows (the producers copy the band two tiles ahead into them while a tile is staged and written),
// the room holds the copy's box, the block fits, and nothing else of the plan moves; ping-pong, which stages over
// the raw rows, never takes it; KCONV_EARLY_RAW=0 keeps the room after the planes.
#include <doctest/doctest.h>

#include <string>

#include "families/stem_wgmma_tf32/planner.h"
#include "prelude.h"
#include "runtime/blob_registry.h"
#include "runtime/conv_shape.h"
#include "validated_shape.h"

namespace {

namespace wg = kconv::stem_wgmma_tf32;

constexpr kconv::DeviceLimits kH100{90, 132, 227 * 1024, 228 * 1024, 2048, 65536};

// The stems of bench/stem_suite.py at N = 64 (AlexNet's 11x11/4, the patchifies, the stride-2 and stride-1 stems).
kconv_test::Shape Stem(int64_t c, int64_t k, int64_t r, int64_t stride, int64_t pad) {
  kconv_test::Shape shape{64, c, 224, 224, k, r, r};
  shape.stride_h = shape.stride_w = stride;
  shape.pad_h = shape.pad_w = pad;
  return shape;
}
const kconv_test::Shape kStems[] = {Stem(3, 96, 11, 4, 2), Stem(3, 96, 4, 4, 0), Stem(3, 128, 4, 4, 0),
                                    Stem(3, 64, 7, 2, 3),  Stem(3, 32, 3, 2, 1), Stem(3, 64, 3, 1, 1)};

// The bytes a tile's staged outputs take at the start of its band buffer: pixel-major fp32 (NHWC: the bulk write's
// staging in the type is half of it), or channel-major in fp32 or the 16-bit type (StagesInType).
int64_t StagingBytes(const kconv::ConvShape& s, const wg::Config& config, const wg::PlanData& d) {
  const int64_t stride = d.params.staging_stride;
  if (s.layout == KCONV_LAYOUT_NHWC) return int64_t{d.params.rows_per_tile} * d.params.tile_columns * stride * 4;
  const bool in_type =
      wg::StagesInType(s.element_type, false, d.pair_rows, config.phases, d.params.column_tiles);
  return int64_t{config.nt} * 8 * stride * (in_type ? s.element_bytes() : 4);
}

}  // namespace

TEST_CASE("stem_wgmma_tf32.early_raw_rows_lie_past_the_staging_and_change_nothing_else") {
  const kconv_test::ScopedEnvironment tensor_copy("KCONV_PAIR_ROWS", "2");
  const kconv_test::ScopedEnvironment on("KCONV_EARLY_RAW", ""), turns("KCONV_PINGPONG", "");
  int early = 0, plans = 0;
  for (const kconv_test::Shape& shape : kStems) {
    for (const kconv_element_type type : {KCONV_ELEMENT_F16, KCONV_ELEMENT_BF16, KCONV_ELEMENT_F32}) {
      for (const kconv_layout layout : {KCONV_LAYOUT_NCHW, KCONV_LAYOUT_NHWC}) {
        const kconv::ConvShape s = kconv_test::ValidatedIn(shape, type, layout, KCONV_MATH_TF32);
        for (const kconv::KernelConfig& c : kconv::Configs()) {
          if (&c.family() != &wg::Family()) continue;  // family_index indexes this family's kConfigs only then
          const wg::Config& config = wg::kConfigs[c.family_index];
          if (!wg::Accepts(s, config, kH100).ok()) continue;
          CAPTURE(kconv::FormatOf(s));
          CAPTURE(c.full_name);
          const wg::PlanData d = wg::MakePlanData(s, config, kH100);
          wg::PlanData off{};
          {
            const kconv_test::ScopedEnvironment no("KCONV_EARLY_RAW", "0");
            off = wg::MakePlanData(s, config, kH100);
          }
          CHECK(off.params.early_raw == 0);
          if (!d.raw_rows || d.params.raw_row == 0) {
            CHECK(d.params.early_raw == 0);
            continue;
          }
          ++plans;
          if (d.params.early_raw == 0) {
            CHECK(d.params.raw_offset == off.params.raw_offset);
            continue;
          }
          ++early;
          CHECK(d.params.pingpong == 0);
          CHECK(d.params.column_tiles == 1);
          // Past the planes (where the room lay before) and past the staging, whole 128 bytes, inside the buffer.
          CHECK(d.params.raw_offset >= off.params.raw_offset);
          CHECK(d.params.raw_offset >= StagingBytes(s, config, d));
          CHECK(d.params.raw_offset % 128 == 0);
          CHECK(d.params.raw_offset + d.params.band_box_bytes <= d.params.p.band_bytes);
          CHECK(d.geometry.shared_bytes <= kH100.smem_per_block_optin);
          // The same tiles, band and copy; only the room moved.
          CHECK(d.kernel == off.kernel);
          CHECK(d.params.total_tiles == off.params.total_tiles);
          CHECK(d.params.rows_per_tile == off.params.rows_per_tile);
          CHECK(d.params.raw_row == off.params.raw_row);
          CHECK(d.params.band_box_bytes == off.params.band_box_bytes);
          CHECK(d.params.p.band_rows == off.params.p.band_rows);
          CHECK(d.params.p.row_floats == off.params.p.row_floats);
          CHECK(d.params.p.steps == off.params.p.steps);
          CHECK(d.params.staging_stride == off.params.staging_stride);
          CHECK(d.params.pingpong == off.params.pingpong);
          CHECK(d.params.nhwc_bulk == off.params.nhwc_bulk);
          CHECK(d.geometry.grid_x == off.geometry.grid_x);
          CHECK(d.geometry.threads == off.geometry.threads);
        }
      }
    }
  }
  CHECK(plans > 0);
  CHECK(early > 0);
}

TEST_CASE("stem_wgmma_tf32.early_raw_rows_where_the_stride_2_stems_have_the_room_and_not_with_pingpong") {
  const kconv_test::ScopedEnvironment tensor_copy("KCONV_PAIR_ROWS", "2");
  const kconv_test::ScopedEnvironment on("KCONV_EARLY_RAW", ""), turns("KCONV_PINGPONG", "");
  wg::Config mobilenet = wg::MakeConfig(4, 4, 8, 5, 2, 2);  // m512n32_w8_k5x2_p2
  mobilenet.io = 1;
  wg::Config k3x9 = wg::MakeConfig(2, 12, 8, 3, 9, 1);  // m256n96_w8_k3x9: AlexNet fp16 NCHW takes turns
  k3x9.io = 1;
  for (const kconv_layout layout : {KCONV_LAYOUT_NCHW, KCONV_LAYOUT_NHWC}) {
    const kconv::ConvShape s = kconv_test::ValidatedIn(Stem(3, 32, 3, 2, 1), KCONV_ELEMENT_F16, layout, KCONV_MATH_TF32);
    REQUIRE(wg::Accepts(s, mobilenet, kH100).ok());
    CHECK(wg::MakePlanData(s, mobilenet, kH100).params.early_raw == 1);
  }
  const kconv::ConvShape alexnet =
      kconv_test::ValidatedIn(Stem(3, 96, 11, 4, 2), KCONV_ELEMENT_F16, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32);
  REQUIRE(wg::Accepts(alexnet, k3x9, kH100).ok());
  const wg::PlanData d = wg::MakePlanData(alexnet, k3x9, kH100);
  CHECK(d.params.pingpong == 1);
  CHECK(d.params.early_raw == 0);
}
