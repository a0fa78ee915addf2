// SPDX-License-Identifier: Apache-2.0
// The Hopper im2col family's planner: its pixel tiles and channel groups, shared-memory sizing, the load
// width per launch, the shapes it refuses, and where the heuristic sends the stems the bands cannot hold.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "families/im2col_wgmma_tf32/planner.h"
#include "prelude.h"
#include "runtime/blob_registry.h"
#include "runtime/config_choice.h"
#include "runtime/conv_shape.h"
#include "validated_shape.h"

namespace {

namespace ic = kconv::im2col_wgmma_tf32;
using kconv_test::Validated;

constexpr kconv::DeviceLimits kH100{90, 132, 227 * 1024, 228 * 1024, 2048, 65536};
constexpr kconv::DeviceLimits kRtx4090{89, 128, 99 * 1024, 100 * 1024, 1536, 65536};
constexpr ic::Config kN192 = ic::MakeConfig(1, 24, 8, 4, 4);  // m128n192_w8_k4x4
constexpr ic::Config kN96 = ic::MakeConfig(1, 12, 8, 4, 5);   // m128n96_w8_k4x5

kconv_test::Shape VitB16(int64_t n) { return {n, 3, 224, 224, 768, 16, 16, 16, 16}; }
kconv_test::Shape AlexNetOnAFrame(int64_t n) {
  kconv_test::Shape s = kconv_test::AlexNetConv1(n);
  s.h = 1080;
  s.w = 1920;
  return s;
}

// The family and config name the heuristic picks on an H100 (when this build has the sm_90a images).
std::string HopperChoice(const kconv_test::Shape& shape) {
  auto choice = kconv::ChooseConfig(Validated(shape), kH100, false);
  REQUIRE(choice.ok());
  return kconv::Configs()[*choice].full_name;
}

bool Built(const char* name) { return kconv::FindConfig(name).ok(); }

}  // namespace

TEST_CASE("im2col_wgmma_tf32.tiles_cover_every_pixel_and_groups_every_channel") {
  // ViT-B/16 at N = 64: 64 * 14 * 14 pixels in tiles of 128, 768 channels in groups of 192.
  const kconv::ConvShape s = Validated(VitB16(64));
  REQUIRE(ic::Accepts(s, kN192, kH100).ok());
  const ic::PlanData d = ic::MakePlanData(s, kN192);
  CHECK(d.params.pixels == 64 * 196);
  CHECK(d.params.channel_groups == 4);
  CHECK(d.geometry.grid_x == 98 * 4);
  CHECK(d.geometry.threads == 32 * 8 + 2 * 128);
  CHECK(d.params.real_chunks == 3 * 16 * 4);  // C * R * S / 4
  CHECK(d.params.steps == 96);                // 192 chunks: whole stages of 8 already
  CHECK(d.params.j == 4);
  CHECK(d.pack.channels == 768);
  CHECK(d.packed_weight_bytes == int64_t{768} * 96 * 32);
  CHECK(d.geometry.shared_bytes <= static_cast<uint32_t>(kH100.smem_per_block_optin));
  CHECK(d.geometry.shared_bytes == ic::MakeIm2colSmem(kN192, 192).total);

  // AlexNet's 363 taps are 99 chunks, padded to 104 (13 stages of 8); 96 channels are one group of n96.
  const ic::PlanData frame = ic::MakePlanData(Validated(AlexNetOnAFrame(1)), kN96);
  CHECK(frame.params.real_chunks == 99);
  CHECK(frame.params.steps == 52);
  CHECK(frame.params.channel_groups == 1);
  CHECK(frame.params.pixels == 269 * 479);
  CHECK(frame.geometry.grid_x == (269 * 479 + 127) / 128);
  // A partial group: 200 channels are two groups of 192, the second mostly padding.
  kconv_test::Shape partial = VitB16(1);
  partial.k = 200;
  CHECK(ic::MakePlanData(Validated(partial), kN192).params.channel_groups == 2);
}

TEST_CASE("im2col_wgmma_tf32.load_width_follows_alignment") {
  const kconv::ConvShape vit = Validated(VitB16(1));
  CHECK(ic::LoadWidth(vit, 0x1000) == 4);
  CHECK(ic::LoadWidth(vit, 0x1008) == 2);  // x only 8-byte aligned
  CHECK(ic::LoadWidth(vit, 0x1004) == 1);
  // AlexNet's pad 2 and 11 columns: pairs (a pair is wholly inside or outside the image).
  CHECK(ic::LoadWidth(Validated(kconv_test::AlexNetConv1(1)), 0x1000) == 2);
  // An odd width: single floats.
  kconv_test::Shape odd = VitB16(1);
  odd.w = 225;
  CHECK(ic::LoadWidth(Validated(odd), 0x1000) == 1);
  // 16x16 with pad 2: a chunk straddles the image's edge; pairs do not.
  kconv_test::Shape padded = VitB16(1);
  padded.pad_w = 2;
  CHECK(ic::LoadWidth(Validated(padded), 0x1000) == 2);
}

TEST_CASE("im2col_wgmma_tf32.refuses_what_it_cannot_run") {
  const kconv::ConvShape vit = Validated(VitB16(1));
  const absl::Status ada = ic::Accepts(vit, kN192, kRtx4090);
  CHECK(absl::IsUnimplemented(ada));
  CHECK(std::string(ada.message()).find("compute capability 9.0") != std::string::npos);
  // A later layer: more input channels than a stem's.
  kconv_test::Shape wide = VitB16(1);
  wide.c = 5;
  const absl::Status channels = ic::Accepts(Validated(wide), kN192, kH100);
  CHECK(absl::IsUnimplemented(channels));
  CHECK(std::string(channels.message()).find("input channels") != std::string::npos);
  CHECK(absl::IsUnimplemented(ic::Accepts(Validated(kconv_test::DilatedLayer(1)), kN192, kH100)));
  // 4 * 40 * ceil(40 / 4) = 1600 chunks.
  const absl::Status chunks = ic::Accepts(Validated(kconv_test::Shape{1, 4, 64, 64, 8, 40, 40}), kN192, kH100);
  CHECK(absl::IsUnimplemented(chunks));
  CHECK(std::string(chunks.message()).find("chunks") != std::string::npos);
  // The largest reduction it takes still fits shared memory in every config.
  const kconv::ConvShape largest = Validated(kconv_test::Shape{1, 4, 64, 64, 8, 31, 16});  // 496 chunks
  int configs = 0;
  for (const kconv::KernelConfig& c : kconv::Configs()) {
    if (&c.family() != &ic::Family()) continue;  // family_index indexes this family's kConfigs only then
    const ic::Config& config = ic::kConfigs[c.family_index];
    if (config.split || config.ffma) continue;  // their own cases
    CAPTURE(c.full_name);
    CHECK(ic::Accepts(largest, config, kH100).ok());
    ++configs;
  }
  CHECK(configs >= 5);
}

TEST_CASE("im2col_wgmma_tf32.the_heuristic_sends_it_the_stems_the_bands_cannot_hold") {
  if (!Built("im2col_wgmma_tf32/m128n192_w8_k4x4")) {
    MESSAGE("skipped: this build has no sm_90a images");
    return;
  }
  // ViT's 16x16/16: n192, four groups of 768 channels.
  CHECK(HopperChoice(VitB16(64)) == "im2col_wgmma_tf32/m128n192_w8_k4x4");
  // AlexNet on a 1080p frame: the stem family's column tiles hold it (faster: its bands share overlapping
  // windows, which the im2col gather reads once per pixel).
  CHECK(HopperChoice(AlexNetOnAFrame(1)).rfind("stem_wgmma_tf32/", 0) == 0);
  // Stride 3: no stem family's chunk layout; 64 channels.
  CHECK(HopperChoice(kconv_test::Shape{8, 3, 224, 224, 64, 7, 7, 3, 3, 3, 3}) == "im2col_wgmma_tf32/m128n64_w8_k4x6");
  // The bands' stems stay with the stem family; later layers with the implicit GEMM; other devices never.
  CHECK(HopperChoice(kconv_test::AlexNetConv1(256)).rfind("stem_wgmma_tf32/", 0) == 0);
  CHECK(HopperChoice(kconv_test::ResNetStem(64)).rfind("stem_wgmma_tf32/", 0) == 0);
  CHECK(HopperChoice(kconv_test::DilatedLayer(8)).rfind("implicit_gemm_tf32/", 0) == 0);
  auto ada = kconv::ChooseConfig(Validated(VitB16(64)), kRtx4090, false);
  REQUIRE(ada.ok());
  CHECK(std::string(kconv::Configs()[*ada].family_name) != "im2col_wgmma_tf32");
}

TEST_CASE("im2col_wgmma_tf32.split_configs_take_fp32_3xtf32_and_nothing_else") {
  const kconv_test::Shape vit = VitB16(64);
  int split_configs = 0;
  for (const kconv::KernelConfig& kc : kconv::Configs()) {
    if (&kc.family() != &ic::Family()) continue;
    const ic::Config& c = ic::kConfigs[kc.family_index];
    CAPTURE(kc.full_name);
    const kconv::ConvShape nchw = kconv_test::ValidatedIn(vit, KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_3XTF32);
    const kconv::ConvShape nhwc = kconv_test::ValidatedIn(vit, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, KCONV_MATH_3XTF32);
    if (!c.split) {  // TF32 (ffma: strict FP32) only for fp32: 3xTF32 is the split configs'
      const absl::Status refused = ic::Accepts(nchw, c, kH100);
      CHECK_FALSE(refused.ok());
      CHECK(std::string(refused.message()).find(c.ffma ? "ffma=1" : "split=1") != std::string::npos);
      continue;
    }
    ++split_configs;
    CHECK(c.io == 0);
    for (const kconv::ConvShape& s : {nchw, nhwc}) {
      REQUIRE(ic::Accepts(s, c, kH100).ok());
      const ic::PlanData d = ic::MakePlanData(s, c);
      CHECK(d.kernel == (s.layout == KCONV_LAYOUT_NHWC ? 2 : 0));  // fp32's kernels are the 3xTF32 ones
      CHECK(d.packer == 1);
      // Each step's values image, then its remainders' image.
      CHECK(d.packed_weight_bytes == int64_t{d.pack.channels} * d.params.steps * 64);
      CHECK(d.geometry.threads == static_cast<uint32_t>(32 * c.warps + 256));
      CHECK(d.geometry.shared_bytes == ic::MakeIm2colSmem(c, 2 * d.params.steps).total);
    }
    for (const kconv_element_type type : {KCONV_ELEMENT_F32, KCONV_ELEMENT_F16, KCONV_ELEMENT_BF16}) {
      for (const kconv_math_mode math : {KCONV_MATH_TF32, KCONV_MATH_3XTF32, KCONV_MATH_FP32}) {
        if (type == KCONV_ELEMENT_F32 && math == KCONV_MATH_3XTF32) continue;
        const absl::Status refused = ic::Accepts(kconv_test::ValidatedIn(vit, type, KCONV_LAYOUT_NCHW, math), c, kH100);
        CHECK_FALSE(refused.ok());
        CHECK(std::string(refused.message()).find("3xTF32 only") != std::string::npos);
      }
    }
    // The largest reduction the family takes fits shared memory twice over (values and remainders)...
    CHECK(ic::MakeIm2colSmem(c, ic::kMaxChunks).total <= kH100.smem_per_block_optin);
    // ...but the values' chain of sums is refused past 128 k8 steps: 4 x 16 x ceil(20 / 4) = 320 chunks.
    const absl::Status long_chain = ic::Accepts(
        kconv_test::ValidatedIn(kconv_test::Shape{1, 4, 64, 64, 8, 16, 20}, KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW,
                                KCONV_MATH_3XTF32),
        c, kH100);
    CHECK_FALSE(long_chain.ok());
    CHECK(std::string(long_chain.message()).find("accuracy") != std::string::npos);
  }
  CHECK(split_configs >= 2);
  // The heuristic sends ViT's 3xTF32 here (no stem family takes a 16x16/16 over 768 channels) on sm_90.
  if (Built("im2col_wgmma_tf32/m64n128_w4_k4x4_x3")) {
    for (const kconv_layout layout : {KCONV_LAYOUT_NCHW, KCONV_LAYOUT_NHWC}) {
      auto choice = kconv::ChooseConfig(kconv_test::ValidatedIn(vit, KCONV_ELEMENT_F32, layout, KCONV_MATH_3XTF32),
                                        kH100, false);
      REQUIRE(choice.ok());
      const kconv::KernelConfig& chosen = kconv::Configs()[*choice];
      CHECK(&chosen.family() == &ic::Family());
      CHECK(ic::kConfigs[chosen.family_index].split == 1);
      // H100, N = 64: 198.9 us NCHW and 205.9 NHWC, against 240.7 and 239.3 on m64n128_w4_k4x4_x3.
      CHECK(std::string(chosen.full_name) == "im2col_wgmma_tf32/m128n96_w8_k4x3_x3");
    }
  }
}

TEST_CASE("im2col_wgmma_tf32.split_packing_puts_each_remainder_one_image_after_its_value") {
  // Every (step, channel, element) of two channel groups of 128, its value and its remainder: distinct
  // 4-byte slots that tile the packed weights exactly, each group's steps contiguous (one bulk copy a stage).
  constexpr int kChannels = 128, kSteps = 6, kGroups = 2;
  std::vector<int> hits(static_cast<size_t>(kGroups * kChannels * kSteps * 64 / 4), 0);
  for (int step = 0; step < kSteps; ++step)
    for (int n = 0; n < kGroups * kChannels; ++n)
      for (int e = 0; e < 8; ++e) {
        const int64_t value = ic::PackedWeightOffset<kChannels, 2>(kSteps, step, n, e);
        const int64_t remainder = value + kChannels * 32;
        REQUIRE(value % 4 == 0);
        REQUIRE(remainder + 4 <= static_cast<int64_t>(hits.size()) * 4);
        ++hits[static_cast<size_t>(value / 4)];
        ++hits[static_cast<size_t>(remainder / 4)];
        // Group g's step s starts at (g * steps + s) * 2 images: the stage's bytes follow each other.
        const int64_t step_start = (static_cast<int64_t>(n / kChannels) * kSteps + step) * kChannels * 64;
        CHECK(value >= step_start);
        CHECK(remainder < step_start + kChannels * 64);
      }
  int once = 0;
  for (int h : hits) once += h == 1 ? 1 : 0;
  CHECK(once == static_cast<int>(hits.size()));
  // One image, as before: the values' layout is the unsplit one.
  CHECK(ic::PackedWeightOffset<kChannels, 1>(kSteps, 5, 130, 7) ==
        ((1 * kSteps + 5) * kChannels + 0) * 32 + kChannels * 16 + 2 * 16 + 12);
}

TEST_CASE("im2col_wgmma_tf32.ffma_configs_take_fp32_strict_fp32_and_nothing_else") {
  const kconv_test::Shape vit = VitB16(64);
  int ffma_configs = 0;
  for (const kconv::KernelConfig& kc : kconv::Configs()) {
    if (&kc.family() != &ic::Family()) continue;
    const ic::Config& c = ic::kConfigs[kc.family_index];
    CAPTURE(kc.full_name);
    const kconv::ConvShape nchw = kconv_test::ValidatedIn(vit, KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_FP32);
    if (!c.ffma) {  // strict FP32 is the ffma configs' alone
      CHECK_FALSE(ic::Accepts(nchw, c, kH100).ok());
      continue;
    }
    ++ffma_configs;
    CHECK(c.split == 0);
    CHECK(ic::BlockPixels(c) == 128);  // the consumer's 16 x 16 threads of 8 x 8 outputs
    CHECK(ic::BlockChannels(c) == 128);
    CHECK(c.warps == 8);
    for (const kconv_layout layout : {KCONV_LAYOUT_NCHW, KCONV_LAYOUT_NHWC}) {
      const kconv::ConvShape s = kconv_test::ValidatedIn(vit, KCONV_ELEMENT_F32, layout, KCONV_MATH_FP32);
      REQUIRE(ic::Accepts(s, c, kH100).ok());
      const ic::PlanData d = ic::MakePlanData(s, c);
      CHECK(d.kernel == (layout == KCONV_LAYOUT_NHWC ? 2 : 0));
      CHECK(d.packed_weight_bytes == int64_t{d.pack.channels} * d.params.steps * 32);  // values only
      CHECK(d.geometry.shared_bytes == ic::MakeIm2colSmem(c, 2 * d.params.steps).total);
    }
    for (const kconv_element_type type : {KCONV_ELEMENT_F32, KCONV_ELEMENT_F16, KCONV_ELEMENT_BF16}) {
      for (const kconv_math_mode math : {KCONV_MATH_TF32, KCONV_MATH_3XTF32, KCONV_MATH_FP32}) {
        if (type == KCONV_ELEMENT_F32 && math == KCONV_MATH_FP32) continue;
        const absl::Status refused = ic::Accepts(kconv_test::ValidatedIn(vit, type, KCONV_LAYOUT_NCHW, math), c, kH100);
        CHECK_FALSE(refused.ok());
        CHECK(std::string(refused.message()).find("strict FP32 only") != std::string::npos);
      }
    }
    // Fewer than 96 output channels would leave most of a block's 128 idle.
    kconv_test::Shape narrow = vit;
    narrow.k = 64;
    const absl::Status refused =
        ic::Accepts(kconv_test::ValidatedIn(narrow, KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_FP32), c, kH100);
    CHECK_FALSE(refused.ok());
    CHECK(std::string(refused.message()).find("output channels") != std::string::npos);
    CHECK(ic::MakeIm2colSmem(c, ic::kMaxChunks).total <= kH100.smem_per_block_optin);
  }
  CHECK(ffma_configs >= 1);
  // ViT's strict FP32 comes here on sm_90 (stem_ffma cannot hold 768 channels' weights), from N = 4 (42 blocks);
  // at N = 1 and 2 (12 and 24 blocks, under a quarter of 132 SMs) the FFMA implicit GEMM measured faster.
  if (Built("im2col_wgmma_tf32/m128n128_w8_k4x4_ffma")) {
    for (const int64_t n : {1, 2, 4, 64}) {
      for (const kconv_layout layout : {KCONV_LAYOUT_NCHW, KCONV_LAYOUT_NHWC}) {
        CAPTURE(n);
        auto choice = kconv::ChooseConfig(
            kconv_test::ValidatedIn(VitB16(n), KCONV_ELEMENT_F32, layout, KCONV_MATH_FP32), kH100, false);
        REQUIRE(choice.ok());
        const std::string chosen = kconv::Configs()[*choice].full_name;
        if (n <= 2) {
          CHECK(chosen.rfind("implicit_gemm_ffma/", 0) == 0);
        } else {
          CHECK(chosen == "im2col_wgmma_tf32/m128n128_w8_k4x4_ffma");
        }
      }
    }
  }
}

