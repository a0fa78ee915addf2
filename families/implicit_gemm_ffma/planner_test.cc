// SPDX-License-Identifier: Apache-2.0
// The FFMA family's planner: its configs, its parameters for each layout, and the tiles it picks.
#include <doctest/doctest.h>

#include <string>

#include "families/implicit_gemm_ffma/planner.h"
#include "prelude.h"
#include "runtime/blob_registry.h"
#include "runtime/config_choice.h"
#include "validated_shape.h"

namespace {

namespace ff = kconv::implicit_gemm_ffma;
using kconv_test::Validated;

constexpr kconv::DeviceLimits kH100{90, 132, 227 * 1024, 228 * 1024, 2048, 65536};
constexpr kconv::DeviceLimits kRtx4090{89, 128, 99 * 1024, 100 * 1024, 1536, 65536};

kconv::ConvShape InMode(kconv_test::Shape shape, kconv_element_type type, kconv_layout layout, kconv_math_mode math) {
  return kconv_test::ValidatedIn(shape, type, layout, math);
}

}  // namespace

TEST_CASE("implicit_gemm_ffma.every_listed_config_is_a_valid_tile_named_after_it") {
  int count = 0;
  for (const kconv::KernelConfig& c : kconv::Configs()) {
    if (&c.family() != &ff::Family()) continue;
    ++count;
    const ff::Config config = ff::kConfigs[c.family_index];
    const ff::TileLayout layout = ff::MakeTileLayout(config);
    CAPTURE(c.full_name);
    CHECK(layout.valid);
    CHECK(layout.threads % 32 == 0);
    CHECK(layout.smem_bytes <= 48 * 1024);  // no opt-in needed on any device
    CHECK(std::string(c.name) == "m" + std::to_string(config.block_m) + "n" + std::to_string(config.block_n) + "k" +
                                     std::to_string(config.block_k) + "_t" + std::to_string(config.thread_m) + "x" +
                                     std::to_string(config.thread_n));
  }
  CHECK(count >= 4);
  CHECK(ff::Family().KernelSuffixes().size() == 3);  // one kernel per element type
}

TEST_CASE("implicit_gemm_ffma.params_carry_each_layouts_strides") {
  const kconv_test::Shape shape{2, 3, 10, 12, 5, 3, 3, 2, 2, 1, 1};  // P = 5, Q = 6
  const ff::FfmaParams nchw =
      ff::MakeParams(InMode(shape, KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_FP32));
  CHECK(nchw.x_stride_n == 3 * 10 * 12);
  CHECK(nchw.x_stride_c == 10 * 12);
  CHECK(nchw.x_stride_h == 12);
  CHECK(nchw.x_stride_w == 1);
  CHECK(nchw.y_stride_k == 5 * 6);
  CHECK(nchw.y_stride_q == 1);
  const ff::FfmaParams nhwc = ff::MakeParams(InMode(shape, KCONV_ELEMENT_F16, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32));
  CHECK(nhwc.x_stride_n == 3 * 10 * 12);
  CHECK(nhwc.x_stride_c == 1);
  CHECK(nhwc.x_stride_h == 12 * 3);
  CHECK(nhwc.x_stride_w == 3);
  CHECK(nhwc.y_stride_n == 5 * 5 * 6);
  CHECK(nhwc.y_stride_k == 1);
  CHECK(nhwc.y_stride_p == 6 * 5);
  CHECK(nhwc.y_stride_q == 5);
}

TEST_CASE("implicit_gemm_ffma.large_problems_take_large_tiles_small_ones_small_tiles") {
  const auto configs = kconv::Configs();
  // A later layer (AlexNet conv1 in FP32 math is the FFMA stem family's).
  auto big = kconv::ChooseConfig(InMode(kconv_test::Shape{64, 64, 56, 56, 128, 3, 3, 1, 1, 1, 1}, KCONV_ELEMENT_F32,
                                        KCONV_LAYOUT_NCHW, KCONV_MATH_FP32),
                                 kH100, false);
  REQUIRE(big.ok());
  REQUIRE(&configs[*big].family() == &ff::Family());
  CHECK(ff::kConfigs[configs[*big].family_index].block_m == 128);
  auto tiny = kconv::ChooseConfig(
      InMode(kconv_test::Shape{1, 8, 8, 8, 8, 3, 3, 1, 1, 1, 1}, KCONV_ELEMENT_BF16, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32),
      kRtx4090, false);  // on sm_90 the Hopper stem family takes it
  REQUIRE(tiny.ok());
  REQUIRE(&configs[*tiny].family() == &ff::Family());
  CHECK(ff::kConfigs[configs[*tiny].family_index].block_m == 64);
}
