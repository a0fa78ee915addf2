// SPDX-License-Identifier: Apache-2.0
// The Hopper stem family's 3xTF32 configs (split = 1), on the CPU: what they accept, and only while
// on unless KCONV_WGMMA_3XTF32=0; where a plan puts the band's remainders and the weights' remainders;
// that they fit shared memory; and that the choice goes to them only when enabled.
#include <doctest/doctest.h>


#include <string>
#include <vector>

#include "families/stem_wgmma_tf32/planner.h"
#include "prelude.h"
#include "runtime/blob_registry.h"
#include "runtime/config_choice.h"
#include "runtime/conv_shape.h"
#include "validated_shape.h"

namespace {

namespace wg = kconv::stem_wgmma_tf32;

constexpr kconv::DeviceLimits kH100{90, 132, 227 * 1024, 228 * 1024, 2048, 65536};

kconv::ConvShape In(const kconv_test::Shape& shape, kconv_math_mode math, kconv_element_type type = KCONV_ELEMENT_F32,
                    kconv_layout layout = KCONV_LAYOUT_NCHW) {
  return kconv_test::ValidatedIn(shape, type, layout, math);
}

// The family's split configs, by name.
std::vector<std::string> SplitConfigs() {
  std::vector<std::string> names;
  for (const kconv::KernelConfig& c : kconv::Configs()) {
    if (std::string(c.family_name) == "stem_wgmma_tf32" && std::string(c.full_name).ends_with("_x3")) {
      names.push_back(c.full_name);
    }
  }
  return names;
}

const wg::Config& ConfigNamed(const std::string& full_name) {
  auto index = kconv::FindConfig(full_name.c_str());
  REQUIRE(index.ok());
  return wg::kConfigs[kconv::Configs()[*index].family_index];
}

}  // namespace

TEST_CASE("stem_wgmma_tf32.split_configs_take_fp32_in_3xtf32_only_and_only_when_enabled") {
  const std::vector<std::string> names = SplitConfigs();
  REQUIRE(names.size() == 4);  // two the heuristic may choose, and one neighbour of each
  const kconv_test::Shape alexnet = kconv_test::AlexNetConv1(256);
  for (const std::string& name : names) {
    CAPTURE(name);
    const wg::Config& config = ConfigNamed(name);
    REQUIRE(config.split == 1);
    CHECK(wg::Accepts(In(alexnet, KCONV_MATH_3XTF32), config, kH100).ok());  // on by default
    {
      const kconv_test::ScopedEnvironment off_switch("KCONV_WGMMA_3XTF32", "0");
      const absl::Status off = wg::Accepts(In(alexnet, KCONV_MATH_3XTF32), config, kH100);
      CHECK(off.code() == absl::StatusCode::kUnimplemented);
      CHECK(std::string(off.message()).find("KCONV_WGMMA_3XTF32=0") != std::string::npos);
    }
    CHECK(wg::Accepts(In(alexnet, KCONV_MATH_3XTF32), config, kH100).ok());
    // fp32 NHWC too (ConvNeXt's stem: AlexNet's NHWC planes fit the one-row configs only), and nothing else:
    // TF32, strict FP32, 16-bit tensors.
    CHECK(wg::Accepts(In(kconv_test::Shape{1, 3, 224, 224, 96, 4, 4, 4, 4}, KCONV_MATH_3XTF32, KCONV_ELEMENT_F32,
                         KCONV_LAYOUT_NHWC),
                      config, kH100)
              .ok());
    CHECK_FALSE(wg::Accepts(In(alexnet, KCONV_MATH_TF32), config, kH100).ok());
    CHECK_FALSE(wg::Accepts(In(alexnet, KCONV_MATH_FP32), config, kH100).ok());
    CHECK_FALSE(wg::Accepts(In(alexnet, KCONV_MATH_3XTF32, KCONV_ELEMENT_F16), config, kH100).ok());
    // A reduction longer than the accuracy allows: 4 x 16 x 4 chunks, 128 k8 steps.
    const absl::Status long_k = wg::Accepts(In(kconv_test::Shape{1, 4, 64, 64, 96, 16, 16, 4, 4}, KCONV_MATH_3XTF32),
                                            config, kH100);
    CHECK(std::string(long_k.message()).find("k8 steps") != std::string::npos);
  }
}

TEST_CASE("stem_wgmma_tf32.split_plans_hold_the_remainders_after_the_values") {
  for (const std::string& name : SplitConfigs()) {
    CAPTURE(name);
    const wg::Config& config = ConfigNamed(name);
    for (const kconv_test::Shape& shape : {kconv_test::AlexNetConv1(256), kconv_test::AlexNetConv1(1),
                                           kconv_test::Shape{2, 3, 64, 64, 200, 4, 4, 4, 4}}) {
      CAPTURE(shape.Name());
      const kconv::ConvShape s = In(shape, KCONV_MATH_3XTF32);
      REQUIRE(wg::Accepts(s, config, kH100).ok());
      const wg::PlanData d = wg::MakePlanData(s, config, kH100);
      const kconv::StemParams& p = d.params.p;
      // The remainders start past the values (128-aligned, a tensor copy's destination) and end inside the
      // buffer, which also holds the staged outputs; the block fits shared memory.
      CHECK(d.params.lo_offset >= s.c * p.band_rows * p.row_floats * 4);
      CHECK(d.params.lo_offset % 128 == 0);
      CHECK(2 * static_cast<int64_t>(d.params.lo_offset) <= p.band_bytes);
      CHECK(d.geometry.shared_bytes <= static_cast<uint32_t>(kH100.smem_per_block_optin));
      CHECK(d.packed_weight_bytes == 2 * int64_t{d.params.channel_groups} * p.steps * config.nt * 8 * 32);
      CHECK(d.kernel == 0);  // a split config's fp32 NCHW convolution and packer are its 3xTF32 ones
      CHECK(d.packer == 1);
    }
  }
  // Values and remainders of every (step, channel, element) of two channel groups: one byte range each, no
  // overlap, nothing left over.
  constexpr int kSteps = 3, kChannels = 96, kGroups = 2;
  std::vector<int> owner(static_cast<size_t>(2 * kGroups * kSteps * kChannels * 32 / 4), 0);
  for (int step = 0; step < kSteps; ++step)
    for (int n = 0; n < kGroups * kChannels; ++n)
      for (int e = 0; e < 8; ++e)
        for (bool remainder : {false, true}) {
          const int64_t at = wg::WgmmaSplitWeightOffset<kChannels>(kSteps, step, n, e, remainder);
          REQUIRE(at % 4 == 0);
          ++owner[static_cast<size_t>(at / 4)];
          // The remainder sits one step image (kChannels * 32 bytes) after its value: the kernel's B descriptor.
          if (remainder) {
            CHECK(at - wg::WgmmaSplitWeightOffset<kChannels>(kSteps, step, n, e, false) == kChannels * 32);
          }
        }
  for (int count : owner) CHECK(count == 1);
}

TEST_CASE("stem_wgmma_tf32.the_3xtf32_choice_goes_to_the_split_configs_unless_turned_off") {
  if (!kconv::SelectBlob(*kconv::FindConfig(SplitConfigs().front().c_str()), 90, false).ok()) {
    MESSAGE("SKIPPED: the build has no sm_90a cubins (KCONV_CUDA_ARCHS without 90)");
    return;
  }
  const kconv::ConvShape s = In(kconv_test::AlexNetConv1(256), KCONV_MATH_3XTF32);
  auto on = kconv::ChooseConfig(s, kH100, false);
  REQUIRE(on.ok());
  CHECK(std::string(kconv::Configs()[*on].full_name) == "stem_wgmma_tf32/m128n96_w8_k3x3_x3");
  const kconv_test::ScopedEnvironment off_switch("KCONV_WGMMA_3XTF32", "0");
  auto off = kconv::ChooseConfig(s, kH100, false);
  REQUIRE(off.ok());
  CHECK(std::string(kconv::Configs()[*off].family_name) == "stem_tf32");
}

TEST_CASE("stem_wgmma_tf32.split_nhwc_plans_hold_each_planes_remainders_after_the_planes") {
  // fp32 NHWC: an NHWC band is C planes (nhwc_planes.h), and the shift-and-round pass writes each plane's
  // remainders lo_offset bytes on, so the remainders must follow every plane, inside the buffer, and the launch
  // is the NHWC convolution with the split packer.
  const kconv_test::Shape convnext{64, 3, 224, 224, 96, 4, 4, 4, 4}, swin{64, 3, 224, 224, 128, 4, 4, 4, 4};
  int planned = 0;
  for (const std::string& name : SplitConfigs()) {
    CAPTURE(name);
    const wg::Config& config = ConfigNamed(name);
    for (const kconv_test::Shape& shape : {convnext, swin, kconv_test::AlexNetConv1(1)}) {
      CAPTURE(shape.Name());
      const kconv::ConvShape s = In(shape, KCONV_MATH_3XTF32, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC);
      if (!wg::Accepts(s, config, kH100).ok()) continue;  // AlexNet's doubled planes fit the one-row configs only
      ++planned;
      const wg::PlanData d = wg::MakePlanData(s, config, kH100);
      const kconv::StemParams& p = d.params.p;
      // Every plane (one per input channel), 128-aligned, before the remainders.
      const int64_t plane_bytes = (int64_t{p.band_rows} * p.row_floats * 4 + 127) / 128 * 128;
      CHECK(d.params.lo_offset >= s.c * plane_bytes);
      CHECK(d.params.lo_offset % 128 == 0);
      CHECK(2 * static_cast<int64_t>(d.params.lo_offset) <= p.band_bytes);
      CHECK(d.geometry.shared_bytes <= static_cast<uint32_t>(kH100.smem_per_block_optin));
      CHECK(wg::Family().KernelSuffixes()[static_cast<size_t>(d.kernel)] == "_nhwc");
      CHECK(wg::Family().KernelSuffixes()[static_cast<size_t>(d.packer)] == "_pack_weights");
      CHECK(d.packed_weight_bytes == 2 * int64_t{d.params.channel_groups} * p.steps * config.nt * 8 * 32);
    }
  }
  CHECK(planned >= 4);  // ConvNeXt and Swin on every split config
}
