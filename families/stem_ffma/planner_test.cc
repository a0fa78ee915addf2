// SPDX-License-Identifier: Apache-2.0
// The FFMA stem family's planner: its configs' layouts, what it accepts and chooses, and a CPU run of the
// kernel's index arithmetic (band planes, windows, weights, staging) against the float64 reference.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "families/stem_ffma/planner.h"
#include "prelude.h"
#include "runtime/blob_registry.h"
#include "runtime/config_choice.h"
#include "validated_shape.h"

namespace {

namespace sf = kconv::stem_ffma;

constexpr kconv::DeviceLimits kH100{90, 132, 227 * 1024, 228 * 1024, 2048, 65536};
constexpr kconv::DeviceLimits kRtx4090{89, 128, 99 * 1024, 100 * 1024, 1536, 65536};

kconv::ConvShape InFp32(kconv_test::Shape shape, kconv_layout layout = KCONV_LAYOUT_NCHW,
                        kconv_math_mode math = KCONV_MATH_FP32) {
  kconv_conv_desc d = shape.Desc();
  d.layout = layout;
  d.math_mode = math;
  auto s = kconv::ValidateConvDesc(&d);
  REQUIRE(s.ok());
  return *s;
}

int ConfigNamed(const char* name) {
  const auto configs = kconv::Configs();
  for (size_t i = 0; i < configs.size(); ++i) {
    if (&configs[i].family() == &sf::Family() && std::string(configs[i].name) == name) return configs[i].family_index;
  }
  FAIL("no stem_ffma config " << name);
  return -1;
}

// What kernel.cuh computes for x, w (NCHW, KCRS) and bias, step by step as its threads do: each tile's
// bands copied into planes, each thread's windows and weights multiplied in the kernel's order, and the
// outputs staged and written pass by pass. Returns y in NCHW; clears in_bounds if a thread read outside its
// window or the band, or staged outside the region.
std::vector<float> SimulateKernel(const sf::Config& c, const kconv::ConvShape& s, const std::vector<float>& x,
                                  const std::vector<float>& w, const std::vector<float>& bias, bool& in_bounds) {
  const sf::TileLayout l = sf::MakeTileLayout(c);
  const sf::FfmaStemParams p = sf::MakeParams(s, c);
  std::vector<float> y(s.n * s.k * s.p * s.q, std::nanf(""));
  const int tk = c.thread_k;
  const int plane_floats = l.band_rows * l.plane_width, row_floats = c.stride * l.plane_width;
  const int taps = p.c * c.kernel * c.kernel;
  for (int k0 = 0; k0 < p.k; k0 += c.block_k) {
    // LoadWeights' layout.
    std::vector<float> weights(static_cast<size_t>(taps) * l.weight_stride, std::nanf(""));
    for (int channel = 0; channel < c.block_k; ++channel) {
      for (int tap = 0; tap < taps; ++tap) {
        const int k = k0 + channel;
        const int g = channel / tk, h = channel % tk / 4, j = channel % 4;
        weights[tap * l.weight_stride + h * (c.block_k / 2) + g * 4 + j] = k < p.k ? w[k * taps + tap] : 0.f;
      }
    }
    for (int tile = 0; tile < p.tiles; ++tile) {
      const int n = tile / p.q_tiles / p.p_tiles, p0 = tile / p.q_tiles % p.p_tiles * c.rows,
                q0 = tile % p.q_tiles * c.tile_q;
      std::vector<float> acc(static_cast<size_t>(l.threads) * 8 * tk, 0.f);
      for (int ch = 0; ch < p.c; ++ch) {
        std::vector<float> band(l.band_floats, std::nanf(""));
        for (int e = 0; e < l.band_floats; ++e) {  // CopyBand
          const int row = e / row_floats, column = e % row_floats;
          const int ih = p0 * c.stride - p.pad_h + row, iw = q0 * c.stride - p.pad_w + column;
          const bool inside = ih >= 0 && ih < p.h && iw >= 0 && iw < p.w_in;
          band[(column % c.stride) * plane_floats + row * l.plane_width + column / c.stride] =
              inside ? x[((n * p.c + ch) * p.h + ih) * p.w_in + iw] : 0.f;
        }
        for (int tid = 0; tid < l.threads; ++tid) {  // Multiply
          const int group = tid % l.channel_groups, pixel_group = tid / l.channel_groups % l.pixel_groups,
                    row = tid / (l.channel_groups * l.pixel_groups);
          const int band_offset = row * c.stride * l.plane_width + pixel_group * 8;
          for (int r = 0; r < c.kernel; ++r) {
            for (int phase = 0; phase < c.stride; ++phase) {
              const int loads = sf::WindowLoads(c, phase);
              for (int t = 0; t < sf::TapsOfPhase(c, phase); ++t) {
                const int tap = (ch * c.kernel + r) * c.kernel + phase + t * c.stride;
                for (int i = 0; i < 8; ++i) {
                  const int at = band_offset + phase * plane_floats + r * l.plane_width + i + t;
                  if (i + t >= 4 * loads || at >= l.band_floats) {  // outside the window or the band
                    in_bounds = false;
                    continue;
                  }
                  for (int j = 0; j < tk; ++j) {
                    const float wv = weights[tap * l.weight_stride + group * 4 + (j / 4) * (c.block_k / 2) + j % 4];
                    float& a = acc[(tid * 8 + i) * tk + j];
                    a = std::fma(band[at], wv, a);
                  }
                }
              }
            }
          }
        }
      }
      for (int pass = 0; pass < l.passes; ++pass) {  // WriteTile
        std::vector<float> staging(l.region_floats, std::nanf(""));
        const int first = pass * l.staging_groups, pass_channels = l.staging_groups * tk, pixels = c.rows * c.tile_q;
        for (int tid = 0; tid < l.threads; ++tid) {
          const int group = tid % l.channel_groups, pixel_group = tid / l.channel_groups % l.pixel_groups,
                    row = tid / (l.channel_groups * l.pixel_groups);
          if (group < first || group >= first + l.staging_groups) continue;
          for (int j = 0; j < tk; ++j) {
            for (int i = 0; i < 8; ++i) {
              const int at = (j * l.staging_groups + group - first) * l.staging_stride + row * c.tile_q +
                             pixel_group * 8 + i;
              if (at >= l.region_floats) {
                in_bounds = false;
                continue;
              }
              staging[at] = acc[(tid * 8 + i) * tk + j];
            }
          }
        }
        for (int e = 0; e < pass_channels * pixels; ++e) {
          const int channel = e / pixels, at = e % pixels;
          const int g = first + channel / tk, j = channel % tk, k = k0 + g * tk + j;
          const int oh = p0 + at / c.tile_q, ow = q0 + at % c.tile_q;
          if (g >= l.channel_groups || k >= p.k || oh >= p.p || ow >= p.q) continue;
          float v = staging[(j * l.staging_groups + channel / tk) * l.staging_stride + at];
          if (s.has_bias) v += bias[k];
          y[((n * p.k + k) * p.p + oh) * p.q + ow] = v;
        }
      }
    }
  }
  return y;
}

}  // namespace

TEST_CASE("stem_ffma.every_listed_config_is_a_valid_layout_named_after_it") {
  int count = 0;
  for (const kconv::KernelConfig& kc : kconv::Configs()) {
    if (&kc.family() != &sf::Family()) continue;
    ++count;
    const sf::Config c = sf::kConfigs[kc.family_index];
    const sf::TileLayout l = sf::MakeTileLayout(c);
    CAPTURE(kc.full_name);
    REQUIRE(l.valid);
    CHECK(std::string(kc.name) == "s" + std::to_string(c.kernel) + "u" + std::to_string(c.stride) + "_k" +
                                      std::to_string(c.block_k) + "_r" + std::to_string(c.rows) + "_q" +
                                      std::to_string(c.tile_q) + (c.thread_k == 4 ? "_t4" : "") +
                                      (c.teams == 2 ? "_x2" : ""));
    CHECK(l.plane_width % 4 == 0);
    CHECK(l.plane_width * c.stride >= l.band_columns);
    CHECK(l.staging_stride % 32 == 4);
    CHECK(l.staging_groups * c.thread_k * l.staging_stride <= l.region_floats);
    CHECK(2 * l.band_floats <= l.region_floats);
    CHECK(l.passes * l.staging_groups >= l.channel_groups);
    CHECK(l.passes <= 2);
    CHECK(l.threads <= 1024);
    // The first stems' three input channels fit on every architecture kconv builds for.
    CHECK(sf::SharedBytes(c, 3) <= (c.block_k == 96 && c.kernel == 11 ? kH100 : kRtx4090).smem_per_block_optin);
  }
  CHECK(count >= 4);
}

TEST_CASE("stem_ffma.takes_alexnet_in_fp32_math_and_chooses_by_batch_and_device") {
  const auto configs = kconv::Configs();
  struct Case {
    int64_t n;
    kconv::DeviceLimits device;
    const char* config;
  };
  // Two teams a block where the batch fills many rounds (measured faster at 256, slower at 32).
  for (const Case& c : {Case{256, kH100, "s11u4_k96_r3_q56_x2"}, Case{32, kH100, "s11u4_k96_r3_q56"},
                        Case{1, kH100, "s11u4_k32_r4_q56_t4"}, Case{256, kRtx4090, "s11u4_k32_r4_q56_t4"}}) {
    CAPTURE(c.n);
    CAPTURE(c.device.cc);
    for (kconv_layout layout : {KCONV_LAYOUT_NCHW, KCONV_LAYOUT_NHWC}) {
      auto chosen = kconv::ChooseConfig(InFp32(kconv_test::AlexNetConv1(c.n), layout), c.device, false);
      REQUIRE(chosen.ok());
      REQUIRE(&configs[*chosen].family() == &sf::Family());
      CHECK(std::string(configs[*chosen].name) == c.config);
    }
  }
  // The patchify stems: ConvNeXt's 96 channels in a 96-channel block, Swin's 128 in a 128-channel one.
  for (const auto& [k, block_k] : {std::pair<int64_t, int>{96, 96}, std::pair<int64_t, int>{128, 128}}) {
    auto chosen = kconv::ChooseConfig(InFp32(kconv_test::Shape{64, 3, 224, 224, k, 4, 4, 4, 4, 0, 0}), kH100, false);
    REQUIRE(chosen.ok());
    REQUIRE(&configs[*chosen].family() == &sf::Family());
    CHECK(sf::kConfigs[configs[*chosen].family_index].block_k == block_k);
  }
  // Not in TF32 or 3xTF32: the tensor-core families take those.
  auto tf32 =
      kconv::ChooseConfig(InFp32(kconv_test::AlexNetConv1(8), KCONV_LAYOUT_NCHW, KCONV_MATH_TF32), kH100, false);
  REQUIRE(tf32.ok());
  CHECK(&configs[*tf32].family() != &sf::Family());
}

TEST_CASE("stem_ffma.refuses_what_it_cannot_hold_and_says_why") {
  const sf::Config alexnet = sf::kConfigs[ConfigNamed("s11u4_k96_r3_q56")];
  auto refused = [&](const kconv_test::Shape& shape, const kconv::DeviceLimits& device, const char* why) {
    CAPTURE(shape.Name());
    const absl::Status st = sf::Accepts(InFp32(shape), alexnet, device);
    CHECK(absl::IsUnimplemented(st));
    CHECK_MESSAGE(st.message().find(why) != std::string::npos, st.message());
  };
  refused(kconv_test::Shape{1, 3, 64, 64, 96, 11, 11, 2, 2, 2, 2}, kH100, "at stride 4");
  refused(kconv_test::Shape{1, 3, 64, 64, 96, 11, 9, 4, 4, 2, 2}, kH100, "11x9");
  refused(kconv_test::Shape{1, 3, 64, 64, 96, 11, 11, 4, 4, 2, 2, 2, 2}, kH100, "dilation");
  refused(kconv_test::AlexNetConv1(2), kRtx4090, "input channels need");
  refused(kconv_test::Shape{1, 16, 64, 64, 96, 11, 11, 4, 4, 2, 2}, kH100, "16 input channels");
  refused(kconv_test::Shape{1, 3, 27000, 27000, 96, 11, 11, 4, 4, 2, 2}, kH100, "32-bit");  // 2^31 input elements
  CHECK(sf::Accepts(InFp32(kconv_test::AlexNetConv1(2)), alexnet, kH100).ok());
  // A 3x3 config takes image stems, not the ordinary 3x3 layers whose weights would also fit.
  const sf::Config vgg = sf::kConfigs[ConfigNamed("s3u1_k64_r4_q56")];
  const absl::Status layer = sf::Accepts(InFp32(kconv_test::Shape{2, 64, 56, 56, 128, 3, 3, 1, 1, 1, 1}), vgg, kH100);
  CHECK(absl::IsUnimplemented(layer));
  CHECK_MESSAGE(layer.message().find("at most 4 input channels") != std::string::npos, layer.message());
  CHECK(sf::Accepts(InFp32(kconv_test::Shape{2, 4, 56, 56, 64, 3, 3, 1, 1, 1, 1}), vgg, kH100).ok());
  // 3xTF32 (computed in strict FP32) in NHWC, and for 3x3 stems in NCHW.
  const kconv_test::Shape alexnet_shape = kconv_test::AlexNetConv1(2);
  const absl::Status split = sf::Accepts(InFp32(alexnet_shape, KCONV_LAYOUT_NCHW, KCONV_MATH_3XTF32), alexnet, kH100);
  CHECK(absl::IsUnimplemented(split));
  CHECK_MESSAGE(split.message().find("3xTF32 in NHWC, or for 3x3 stems in NCHW, only") != std::string::npos,
                split.message());
  CHECK(sf::Accepts(InFp32(kconv_test::Shape{2, 3, 64, 64, 64, 3, 3, 1, 1, 1, 1}, KCONV_LAYOUT_NCHW, KCONV_MATH_3XTF32),
                    vgg, kH100)
            .ok());
  const kconv::ConvShape nhwc = InFp32(alexnet_shape, KCONV_LAYOUT_NHWC, KCONV_MATH_3XTF32);
  CHECK(sf::Accepts(nhwc, alexnet, kH100).ok());
  CHECK(sf::Family().Support().Covers(nhwc));
  // TF32 (computed in strict FP32) for 3x3 stems in NHWC only.
  const kconv_test::Shape stem{2, 3, 64, 64, 64, 3, 3, 1, 1, 1, 1};
  CHECK(sf::Accepts(InFp32(stem, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32), vgg, kH100).ok());
  const absl::Status tf32_planes = sf::Accepts(InFp32(stem, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32), vgg, kH100);
  CHECK(absl::IsUnimplemented(tf32_planes));
  CHECK_MESSAGE(tf32_planes.message().find("TF32 only for 3x3 stems in NHWC") != std::string::npos,
                tf32_planes.message());
  // AlexNet's 11x11 in NHWC TF32: the tensor-core families'.
  CHECK(absl::IsUnimplemented(sf::Accepts(InFp32(alexnet_shape, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32), alexnet, kH100)));
}

TEST_CASE("stem_ffma.grid_is_persistent_and_params_carry_the_layout") {
  const sf::Config c = sf::kConfigs[ConfigNamed("s11u4_k96_r3_q56")];
  const kconv::ConvShape big = InFp32(kconv_test::AlexNetConv1(256));
  const kconv::LaunchGeometry g = sf::GeometryOf(big, c, kH100);
  CHECK(g.grid_x == 132);  // one 183 KB block per SM
  CHECK(g.grid_y == 1);
  CHECK(g.threads == 252);
  CHECK(g.shared_bytes == sf::SharedBytes(c, 3));
  const sf::FfmaStemParams p = sf::MakeParams(big, c);
  CHECK(p.tiles == 256 * 19);
  CHECK(p.q_tiles == 1);
  CHECK(p.channels_last == 0);
  CHECK(sf::GeometryOf(InFp32(kconv_test::AlexNetConv1(1)), c, kH100).grid_x == 19);  // no more blocks than tiles
  const sf::FfmaStemParams nhwc = sf::MakeParams(InFp32(kconv_test::AlexNetConv1(2), KCONV_LAYOUT_NHWC), c);
  CHECK(nhwc.channels_last == 1);
  CHECK(nhwc.x_stride_w == 3);
  CHECK(nhwc.y_stride_k == 1);
  // Two channel blocks share the SMs.
  const sf::Config k32 = sf::kConfigs[ConfigNamed("s11u4_k32_r4_q56")];
  const kconv::LaunchGeometry g32 = sf::GeometryOf(big, k32, kRtx4090);
  CHECK(g32.grid_y == 3);
  CHECK(g32.grid_x * g32.grid_y <= 128 * sf::BlocksPerSm(big, k32, kRtx4090));
}

TEST_CASE("stem_ffma.the_kernels_index_arithmetic_computes_the_convolution") {
  std::mt19937_64 rng(20261204);
  struct Case {
    const char* config;
    kconv_test::Shape shape;
  };
  const Case cases[] = {
      // Two tiles of rows with a partial last one, odd widths, a channel block cut short (K = 40 of 96).
      {"s11u4_k96_r3_q56", kconv_test::Shape{2, 3, 47, 51, 40, 11, 11, 4, 4, 2, 2}},
      // Column tiles (Q = 70 > 56), two channel blocks, no padding on one side.
      {"s11u4_k32_r4_q56", kconv_test::Shape{1, 2, 27, 290, 40, 11, 11, 4, 4, 0, 3}},
      {"s7u2_k64_r4_q56", kconv_test::Shape{1, 3, 30, 131, 64, 7, 7, 2, 2, 3, 3}},
      {"s4u4_k96_r4_q56", kconv_test::Shape{1, 3, 36, 236, 96, 4, 4, 4, 4, 0, 0}},
      {"s11u4_k96_r3_q56_t4", kconv_test::Shape{2, 3, 47, 51, 40, 11, 11, 4, 4, 2, 2}},
      {"s7u2_k64_r4_q56_t4", kconv_test::Shape{1, 3, 30, 131, 70, 7, 7, 2, 2, 3, 3}},
      {"s4u4_k128_r3_q56", kconv_test::Shape{1, 3, 28, 100, 128, 4, 4, 4, 4, 0, 0}},
      // The 3x3 candidates: stride 2 with a partial row tile and column tiles, stride 1 (one plane) with a
      // channel block cut short.
      {"s3u2_k32_r8_q56", kconv_test::Shape{2, 3, 37, 130, 32, 3, 3, 2, 2, 1, 1}},
      {"s3u2_k32_r4_q112_t4", kconv_test::Shape{1, 3, 20, 250, 40, 3, 3, 2, 2, 1, 1}},
      {"s3u1_k64_r4_q56", kconv_test::Shape{1, 3, 13, 61, 50, 3, 3, 1, 1, 1, 1}},
      {"s3u1_k64_r4_q56_t4", kconv_test::Shape{2, 3, 9, 120, 64, 3, 3, 1, 1, 0, 1}},
      // The two-team patchify candidate (the simulation runs the tiles in order; the teams only share them).
      {"s4u4_k96_r2_q56_x2", kconv_test::Shape{1, 3, 20, 236, 70, 4, 4, 4, 4, 0, 0}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.config);
    const sf::Config config = sf::kConfigs[ConfigNamed(c.config)];
    const kconv::ConvShape s = InFp32(c.shape);
    REQUIRE(sf::Accepts(s, config, kH100).ok());
    const std::vector<float> x = kconv_test::RandomTensor(c.shape.XElements(), rng);
    const std::vector<float> w = kconv_test::RandomTensor(c.shape.WElements(), rng);
    const std::vector<float> bias = kconv_test::RandomTensor(c.shape.k, rng);
    bool in_bounds = true;
    const std::vector<float> y = SimulateKernel(config, s, x, w, bias, in_bounds);
    CHECK(in_bounds);
    const std::vector<double> ref = kconv_test::ReferenceConv(c.shape, x, w, bias);
    CHECK(kconv_test::RelativeL2(y.data(), ref.data(), static_cast<int64_t>(ref.size())) < 1e-6);
  }
}
