// SPDX-License-Identifier: Apache-2.0
// The default config choice over every family: which family wins a shape, the occupancy it is given, the
// tuning configs it leaves alone, tuned entries, and which family computes each element type, layout and math mode.
#include <doctest/doctest.h>

#include <string>
#include <tuple>

#include "families/implicit_gemm_tf32/planner.h"
#include "families/stem_ffma/planner.h"
#include "families/stem_tf32/planner.h"
#include "families/stem_wgmma_tf32/planner.h"
#include "prelude.h"
#include "runtime/blob_registry.h"
#include "runtime/config_choice.h"
#include "runtime/conv_shape.h"
#include "runtime/kernel_family.h"
#include "validated_shape.h"

namespace {

constexpr kconv::DeviceLimits kH100{90, 132, 227 * 1024, 228 * 1024, 2048, 65536};
constexpr kconv::DeviceLimits kRtx4090{89, 128, 99 * 1024, 100 * 1024, 1536, 65536};

using kconv_test::Validated;

const kconv::KernelConfig& Chosen(const kconv_test::Shape& shape, const kconv::DeviceLimits& device,
                                  bool force_ptx = false) {
  auto choice = kconv::ChooseConfig(Validated(shape), device, force_ptx);
  REQUIRE_MESSAGE(choice.ok(), choice.status().message());
  return kconv::Configs()[*choice];
}

bool Built(const char* name) {
  auto index = kconv::FindConfig(name);
  return index.ok() && kconv::SelectBlob(*index, 90, false).ok();
}

}  // namespace

TEST_CASE("config_choice.the_first_family_listed_with_an_accepting_config_wins") {
  // Stride-4 stems go to a stem family: wgmma on Hopper when its sm_90a cubins are built, mma.sync on
  // Ada's 99 KB and on Hopper with PTX forced; other shapes to the implicit GEMM.
  const bool hopper_built = Built("stem_wgmma_tf32/m128n96_w8_k5x4");
  for (const kconv::DeviceLimits& device : {kH100, kRtx4090}) {
    for (bool force_ptx : {false, true}) {
      if (force_ptx && KCONV_TEST_PTX_ARCH == 0) continue;  // a build without PTX
      for (int64_t n : {1, 32, 256}) {
        CAPTURE(device.cc);
        CAPTURE(force_ptx);
        CAPTURE(n);
        const bool wgmma = device.cc == 90 && !force_ptx && hopper_built;
        CHECK(std::string(Chosen(kconv_test::AlexNetConv1(n), device, force_ptx).family_name) ==
              (wgmma ? "stem_wgmma_tf32" : "stem_tf32"));
      }
    }
  }
  CHECK(std::string(Chosen(kconv_test::Shape{256, 64, 56, 56, 128, 3, 3, 1, 1, 1, 1}, kH100).family_name) ==
        "implicit_gemm_tf32");
  // The ResNet stem (stride 2): the stem families' phases.
  CHECK(std::string(Chosen(kconv_test::ResNetStem(8), kH100).family_name) ==
        (hopper_built ? "stem_wgmma_tf32" : "stem_tf32"));
  CHECK(std::string(Chosen(kconv_test::ResNetStem(8), kRtx4090).family_name) == "stem_tf32");
  CHECK(std::string(Chosen(kconv_test::DilatedLayer(8), kH100).family_name) == "implicit_gemm_tf32");
}

TEST_CASE("config_choice.families_are_listed_in_order_of_preference_and_configs_family_by_family") {
  const auto families = kconv::Families();
  REQUIRE(families.size() >= 2);
  const auto configs = kconv::Configs();
  size_t family = 0;
  for (const kconv::KernelConfig& c : configs) {
    CAPTURE(c.full_name);
    while (family < families.size() && std::string(families[family].name) != c.family_name) ++family;
    REQUIRE(family < families.size());  // never back to an earlier family
    CHECK(&families[family].planner() == &c.family());
    CHECK(std::string(c.full_name) == std::string(c.family_name) + "/" + c.name);
  }
  CHECK(std::string(families.back().name) == "implicit_gemm_ffma");  // the fallback for every shape and mode
}

TEST_CASE("config_choice.every_element_type_layout_and_math_mode_has_a_family") {
  struct Case {
    kconv_element_type type;
    kconv_layout layout;
    kconv_math_mode math;
    const char* family;  // the family that computes AlexNet conv1 in this mode before Hopper
    int split;           // stem_tf32, implicit_gemm_tf32 and (on sm_90) stem_wgmma_tf32 configs: 3xTF32 or not
    bool hopper;         // whether the Hopper stem family computes it on sm_90
  };
  for (const Case& c : {Case{KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_3XTF32, "stem_tf32", 1, true},
                        Case{KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32, "implicit_gemm_tf32", 0, true},
                        Case{KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, KCONV_MATH_3XTF32, "stem_ffma", 1, true},
                        Case{KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_FP32, "stem_ffma", 0, false},
                        Case{KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, KCONV_MATH_FP32, "stem_ffma", 0, false},
                        Case{KCONV_ELEMENT_F16, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32, "stem_tf32", 0, true},
                        Case{KCONV_ELEMENT_BF16, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32, "implicit_gemm_ffma", 0, true},
                        Case{KCONV_ELEMENT_BF16, KCONV_LAYOUT_NCHW, KCONV_MATH_FP32, "stem_tf32", 0, true},
                        Case{KCONV_ELEMENT_BF16, KCONV_LAYOUT_NCHW, KCONV_MATH_3XTF32, "stem_tf32", 0, true}}) {
    kconv_conv_desc d = kconv_test::AlexNetConv1(4).Desc();
    d.element_type = c.type;
    d.layout = c.layout;
    d.math_mode = c.math;
    auto shape = kconv::ValidateConvDesc(&d);
    REQUIRE(shape.ok());
    CAPTURE(kconv::FormatOf(*shape));
    for (const kconv::DeviceLimits& device : {kH100, kRtx4090}) {
      const bool hopper = c.hopper && device.cc == 90;
      const std::string expected = hopper ? "stem_wgmma_tf32" : c.family;
      CAPTURE(expected);
      auto choice = kconv::ChooseConfig(*shape, device, false);
      REQUIRE_MESSAGE(choice.ok(), choice.status().message());
      const kconv::KernelConfig& config = kconv::Configs()[*choice];
      CHECK(std::string(config.family_name) == expected);
      if (expected == "implicit_gemm_tf32") {
        CHECK(kconv::implicit_gemm_tf32::kConfigs[config.family_index].split == c.split);
      }
      if (expected == "stem_tf32") CHECK(kconv::stem_tf32::kConfigs[config.family_index].split == c.split);
      // Otherwise the Hopper stem family's first config declines it, naming what it computes (3xTF32 goes to
      // its split configs).
      const absl::Status hopper_first = kconv::ConfigAccepts(*shape, kconv::Configs()[0], device);
      const bool split = c.type == KCONV_ELEMENT_F32 && c.math == KCONV_MATH_3XTF32;
      CHECK((hopper && !split) ? hopper_first.ok() : absl::IsUnimplemented(hopper_first));
      if (hopper && expected == config.family_name) {
        CHECK(kconv::stem_wgmma_tf32::kConfigs[config.family_index].split == c.split);
      }
    }
  }
}

TEST_CASE("config_choice.a_3x3_stem_stem_ffma_cannot_take_stays_with_the_tensor_core_families") {
  // 3xTF32 NCHW 3x3 stems are left to stem_ffma (stem_ffma::LeftToStrictFp32) only where one of its configs
  // accepts them: this one has 2^30 tiles or more (65535 images of 32772 rows), beyond stem_ffma's indices, so
  // stem_tf32's split configs keep it rather than decline it to no family at all.
  const kconv::ConvShape huge =
      kconv_test::ValidatedIn(kconv_test::Shape{65535, 3, 32772, 57, 64, 3, 3, 1, 1, 1, 1}, KCONV_ELEMENT_F32,
                              KCONV_LAYOUT_NCHW, KCONV_MATH_3XTF32);
  CHECK(kconv::stem_ffma::FasterInStrictFp32(huge));
  CHECK_FALSE(kconv::stem_ffma::LeftToStrictFp32(huge, kH100));
  const auto choice = kconv::ChooseConfig(huge, kH100, false);
  REQUIRE_MESSAGE(choice.ok(), choice.status().message());
  CHECK(std::string(kconv::Configs()[*choice].family_name) == "stem_tf32");
  // The same stem at an ordinary size goes to stem_ffma.
  const kconv::ConvShape vgg = kconv_test::ValidatedIn(kconv_test::Shape{8, 3, 224, 224, 64, 3, 3, 1, 1, 1, 1},
                                                       KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_3XTF32);
  CHECK(kconv::stem_ffma::LeftToStrictFp32(vgg, kH100));
  CHECK(kconv::stem_ffma::LeftToStrictFp32(vgg, kRtx4090));
}

TEST_CASE("config_choice.refuses_gemm_extents_beyond_32_bits_with_every_config_named") {
  // 2^31 output pixels: N*P*Q = 8192 * 512 * 512, dilated (no stem family serves it).
  const kconv::ConvShape s = Validated(kconv_test::Shape{8192, 1, 516, 516, 1, 3, 3, 1, 1, 0, 0, 2, 2});
  auto choice = kconv::ChooseConfig(s, kH100, false);
  REQUIRE(!choice.ok());
  CHECK(choice.status().code() == absl::StatusCode::kUnimplemented);
  CHECK(std::string(choice.status().message()).find("N*P*Q") != std::string::npos);
}

TEST_CASE("config_choice.a_tuned_entry_overrides_the_heuristic_only_where_it_still_applies") {
  const kconv::ConvShape alexnet = Validated(kconv_test::AlexNetConv1(256));
  kconv::TuningKey key;
  key.device_name = "NVIDIA H100 80GB HBM3";
  key.cc = 90;
  key.sm_count = 132;
  key.driver_version = 13000;
  key.library_version = "0.1.0";
  key.build_id = kconv::KernelBuildId();
  key.shape = kconv::KeyOf(alexnet);
  auto index = [](const char* name) {
    auto i = kconv::FindConfig(name);
    REQUIRE(i.ok());
    return *i;
  };
  kconv::TuningFile file;
  file.entries.push_back({key, {"stem_tf32/m128n96_w8_k2x4", 600.0, 599.0, 601.0}});
  const auto heuristic = kconv::ChooseConfig(alexnet, kH100, false);
  REQUIRE(heuristic.ok());
  REQUIRE(*heuristic != index("stem_tf32/m128n96_w8_k2x4"));

  SUBCASE("the entry for this key wins over the heuristic") {
    CHECK(kconv::TunedConfig(file, key, alexnet, kH100, false) == index("stem_tf32/m128n96_w8_k2x4"));
  }
  SUBCASE("another descriptor or build has no entry") {
    kconv::TuningKey other = key;
    other.shape.v[0] = 32;
    CHECK_FALSE(kconv::TunedConfig(file, other, alexnet, kH100, false).has_value());
    other = key;
    other.build_id ^= 1;
    CHECK_FALSE(kconv::TunedConfig(file, other, alexnet, kH100, false).has_value());
  }
  SUBCASE("a config this build lacks, or one the device cannot run, is not trusted") {
    file.entries[0].result.config = "stem_tf32/m999n96_w8_k2x4";
    CHECK_FALSE(kconv::TunedConfig(file, key, alexnet, kH100, false).has_value());
    file.entries[0].result.config = "stem_wgmma_tf32/m256n96_w8_k5x3";
    kconv::TuningKey ada = key;
    ada.cc = 89;
    file.entries[0].key = ada;
    if (kconv::FindConfig("stem_wgmma_tf32/m256n96_w8_k5x3").ok()) {
      CHECK_FALSE(kconv::TunedConfig(file, ada, alexnet, kRtx4090, false).has_value());
    }
  }
  SUBCASE("a candidate config, which accepts the shape, is not taken from a tuning file") {
    const char* name = "stem_ffma/s4u4_k96_r2_q56_x2";
    const int candidate = index(name);
    REQUIRE(kconv::Configs()[candidate].candidate);
    // ConvNeXt's patchify in strict FP32, which the candidate computes.
    const kconv::ConvShape convnext = kconv_test::ValidatedIn(kconv_test::Shape{64, 3, 224, 224, 96, 4, 4, 4, 4, 0, 0},
                                                              KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_FP32);
    REQUIRE(kconv::Runnable(candidate, convnext, kH100, false));
    kconv::TuningKey patchify = key;
    patchify.shape = kconv::KeyOf(convnext);
    file.entries[0] = {patchify, {name, 100.0, 99.0, 101.0}};
    CHECK_FALSE(kconv::TunedConfig(file, patchify, convnext, kH100, false).has_value());
    // The same entry naming the default config is followed.
    file.entries[0].result.config = "stem_ffma/s4u4_k96_r4_q56";
    CHECK(kconv::TunedConfig(file, patchify, convnext, kH100, false) == index("stem_ffma/s4u4_k96_r4_q56"));
  }
}

TEST_CASE("config_choice.the_heuristic_follows_the_occupancy_it_is_given_and_leaves_tuning_configs_alone") {
  const auto configs = kconv::Configs();
  const kconv::ConvShape big = Validated(kconv_test::Shape{256, 64, 56, 56, 128, 3, 3, 1, 1, 1, 1});
  const int small_tile = *kconv::FindConfig("implicit_gemm_tf32/m32n32k32_w4_s1");
  int calls = 0;
  bool asked_for_tuning_config = false;
  // A driver that reports one resident block for every kernel but m32n32k32_w4_s1, which gets 32: with
  // 32 times the blocks per wave, the small tile becomes the cheapest.
  auto choice = kconv::ChooseConfig(big, kH100, false, [&](const kconv::Blob& blob, int threads, int shared_bytes) {
    ++calls;
    asked_for_tuning_config |= configs[blob.config_index].tuning_only;
    CHECK(threads > 0);
    CHECK(shared_bytes > 0);
    return blob.config_index == small_tile ? 32 : 1;
  });
  REQUIRE(choice.ok());
  CHECK(*choice == small_tile);
  CHECK(calls > 0);
  CHECK(!asked_for_tuning_config);
  // Without it, the model's residency picks another tile.
  auto modelled = kconv::ChooseConfig(big, kH100, false);
  REQUIRE(modelled.ok());
  CHECK(*modelled != small_tile);
  // The heuristic never picks a config marked for tuning, on any device or batch.
  for (const kconv::DeviceLimits& device : {kH100, kRtx4090}) {
    for (int64_t n : {1, 32, 256}) {
      for (const kconv_test::Shape& shape : {kconv_test::AlexNetConv1(n), kconv_test::Shape{n, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3},
                                             kconv_test::Shape{n, 16, 20, 20, 24, 3, 3}}) {
        CHECK(!Chosen(shape, device).tuning_only);
      }
    }
  }
}

TEST_CASE("config_choice.the_model_of_residency_counts_shared_memory_threads_and_registers") {
  // Registers limit residency: 247 per thread leave room for two 128-thread blocks of 65536.
  CHECK(kconv::ResidentBlocks(36 * 1024, 128, 247, kH100) == 2);
  CHECK(kconv::ResidentBlocks(36 * 1024, 128, 0, kH100) == 6);  // shared memory alone: 228 KB / 36 KB
  CHECK(kconv::ResidentBlocks(1024, 1024, 0, kH100) == 2);      // threads: 2048 per SM
  CHECK(kconv::ResidentBlocks(300 * 1024, 128, 0, kH100) == 1);  // at least one
}

TEST_CASE("config_choice.the_stems_go_where_an_h200_measured_them_fastest") {
  // Twenty-first session, N = 64 on an H200, every config timed in one run (bench/RESULTS.md): the choice the
  // family order and Accepts make for the stems whose best family is not the first listed.
  if (!Built("im2col_wgmma_tf32/m128n192_w8_k4x4_io")) {
    MESSAGE("skipped: this build has no sm_90a images");
    return;
  }
  const kconv_test::Shape resnet{64, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3}, mobilenet{64, 3, 224, 224, 32, 3, 3, 2, 2, 1, 1},
      vgg{64, 3, 224, 224, 64, 3, 3, 1, 1, 1, 1}, convnext{64, 3, 224, 224, 96, 4, 4, 4, 4, 0, 0},
      vit{64, 3, 224, 224, 768, 16, 16, 16, 16, 0, 0}, alexnet{256, 3, 224, 224, 96, 11, 11, 4, 4, 2, 2},
      alexnet32{32, 3, 224, 224, 96, 11, 11, 4, 4, 2, 2};
  struct Case {
    const kconv_test::Shape* shape;
    kconv_element_type type;
    kconv_layout layout;
    kconv_math_mode math;
    const char* config;  // with the us measured for it, and for what it displaced
  };
  for (const Case& c : {
           Case{&vit, KCONV_ELEMENT_F16, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32, "im2col_wgmma_tf32/m128n192_w8_k4x4_io"},  // 95 (721)
           Case{&vit, KCONV_ELEMENT_BF16, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32, "im2col_wgmma_tf32/m128n192_w8_k4x4_io"},  // 106 (715)
           Case{&vit, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32, "im2col_wgmma_tf32/m128n192_w8_k4x4_io"},  // 109 (753)
           Case{&vit, KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32, "im2col_wgmma_tf32/m128n192_w8_k4x4"},  // 104
           // Twenty-third session, N = 64 on an H100: the stride-2 and stride-1 defaults with io=1 against the
           // portable families' choice before.
           Case{&resnet, KCONV_ELEMENT_F16, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32, "stem_wgmma_tf32/m256n64_w8_k7x3_p2"},  // 157 (298)
           Case{&resnet, KCONV_ELEMENT_F16, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32, "stem_wgmma_tf32/m256n64_w8_k7x3_p2"},  // 175 (341)
           Case{&mobilenet, KCONV_ELEMENT_BF16, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32, "stem_wgmma_tf32/m512n32_w8_k5x2_p2"},  // fp16 65 widened (115)
           // TF32 in NHWC: the Hopper stem family with the RGB widening pass, 65 (the FFMA stem family 102; thirty-
           // ninth session); VGG below 553 (607)
           Case{&mobilenet, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32, "stem_wgmma_tf32/m512n32_w8_k5x2_p2"},
           Case{&mobilenet, KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_FP32, "stem_ffma/s3u2_k32_r8_q56"},  // 160 (214)
           Case{&vgg, KCONV_ELEMENT_F16, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32, "stem_wgmma_tf32/m256n64_w8_k5x2_p4"},  // 494 (995)
           Case{&vgg, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32, "stem_wgmma_tf32/m256n64_w8_k5x2_p4"},
           Case{&resnet, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32, "stem_wgmma_tf32/m256n64_w8_k7x3_p2"},  // 227 (357)
           Case{&vgg, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, KCONV_MATH_FP32, "stem_ffma/s3u1_k64_r4_q56"},  // 595 (871)
           // 3xTF32 in NHWC as strict FP32: 596 (implicit_gemm_tf32's 3xTF32: 2950)
           Case{&vgg, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, KCONV_MATH_3XTF32, "stem_ffma/s3u1_k64_r4_q56"},
           // Twenty-fourth session, N = 64 on an H100: 3xTF32 in NCHW as strict FP32 on 3x3 stems, 582 (stem_tf32's
           // split config 776) and MobileNet 98.6 (112); ResNet's 7x7 keeps the split config (408; stem_ffma 480).
           Case{&vgg, KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_3XTF32, "stem_ffma/s3u1_k64_r4_q56"},
           Case{&mobilenet, KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_3XTF32, "stem_ffma/s3u2_k32_r8_q56"},
           Case{&resnet, KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_3XTF32, "stem_tf32/m128n64_w8_k3x2_p2_x3"},
           // fp32 NHWC 3xTF32 at stride 4 on the split configs: ConvNeXt 76.2 (stem_ffma 114.3), AlexNet N = 256
           // 642.5 (1417.0).
           Case{&convnext, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, KCONV_MATH_3XTF32, "stem_wgmma_tf32/m128n96_w8_k3x3_x3"},
           Case{&alexnet, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, KCONV_MATH_3XTF32, "stem_wgmma_tf32/m128n96_w8_k3x3_x3"},
           Case{&convnext, KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_FP32, "stem_ffma/s4u4_k96_r4_q56"},  // 145 (156)
           // The weight ring's waits (Cost), AlexNet at N = 256 on an H100: k3x2 (294 fp16, 474 TF32) is left for
           // the five-slot ring (247) in 16 bits; TF32 keeps k5x5 (287; k3x5 290); ConvNeXt's one stage never waits.
           // Thirtieth session: outputs staged in 16 bits leave room for the whole-tile ring, k3x9 (199.7; k3x5
           // 219.3), which fp32 staging does not fit; at N = 32 it beat k5x5 (35.8 against 37.3).
           Case{&alexnet, KCONV_ELEMENT_F16, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32, "stem_wgmma_tf32/m256n96_w8_k3x9"},
           Case{&alexnet, KCONV_ELEMENT_BF16, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32, "stem_wgmma_tf32/m256n96_w8_k3x9"},
           Case{&alexnet32, KCONV_ELEMENT_F16, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32, "stem_wgmma_tf32/m256n96_w8_k3x9"},
           Case{&alexnet32, KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32, "stem_wgmma_tf32/m192n96_w12_k5x5"},
           Case{&alexnet, KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32, "stem_wgmma_tf32/m192n96_w12_k5x5"},
           // ConvNeXt's one 16-bit stage fills one slot of any ring: k3x9 (listed first) 35.5 against k3x2's 36.1.
           Case{&convnext, KCONV_ELEMENT_F16, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32, "stem_wgmma_tf32/m256n96_w8_k3x9"},
       }) {
    const kconv::ConvShape shape = kconv_test::ValidatedIn(*c.shape, c.type, c.layout, c.math);
    CAPTURE(kconv::FormatOf(shape));
    CAPTURE(c.shape->Name());
    const auto choice = kconv::ChooseConfig(shape, kH100, false);
    REQUIRE_MESSAGE(choice.ok(), choice.status().message());
    CHECK(std::string(kconv::Configs()[*choice].full_name) == c.config);
  }
}
