// SPDX-License-Identifier: Apache-2.0
// The implicit-GEMM family's planner: its shape limits, its cost model and the tiles it picks.
#include <doctest/doctest.h>

#include <string>

#include "families/implicit_gemm_tf32/planner.h"
#include "prelude.h"
#include "runtime/blob_registry.h"
#include "runtime/config_choice.h"
#include "runtime/cubin_info.h"
#include "validated_shape.h"

namespace {

namespace ig = kconv::implicit_gemm_tf32;
using kconv_test::Validated;

constexpr kconv::DeviceLimits kH100{90, 132, 227 * 1024, 228 * 1024, 2048, 65536};

// The cost with the modelled residency of a kernel of `registers` per thread.
double ModelCost(const kconv::ConvShape& s, const ig::Config& c, int registers, const kconv::DeviceLimits& d) {
  const ig::TileLayout layout = ig::MakeTileLayout(c);
  return ig::Cost(s, c, kconv::ResidentBlocks(layout.smem_bytes, layout.threads, registers, d), d);
}

// The register count of config i's newest cubin.
int RegistersOfCubin(int i) {
  const kconv::Blob* newest = nullptr;
  for (const kconv::Blob& b : kconv::Blobs())
    if (b.config_index == i && b.kind == kconv::BlobKind::kCubin && (!newest || b.arch > newest->arch)) newest = &b;
  return newest ? kconv::CubinRegisterCount(newest->begin, newest->size(), newest->kernel_symbol) : 0;
}

bool IsThisFamily(const kconv::KernelConfig& c) { return &c.family() == &ig::Family(); }

}  // namespace

TEST_CASE("implicit_gemm_tf32.large_batches_take_large_tiles_small_ones_small_tiles") {
  const auto configs = kconv::Configs();
  auto big = kconv::ChooseConfig(Validated(kconv_test::Shape{256, 64, 56, 56, 128, 3, 3, 1, 1, 1, 1}), kH100, false);
  REQUIRE(big.ok());
  REQUIRE(IsThisFamily(configs[*big]));
  const ig::Config b = ig::kConfigs[configs[*big].family_index];
  CHECK(b.block_m * b.block_n == 64 * 64);
  // Eight input channels: no stem family serves it.
  auto tiny = kconv::ChooseConfig(Validated(kconv_test::Shape{1, 8, 8, 8, 8, 3, 3, 3, 3}), kH100, false);
  REQUIRE(tiny.ok());
  REQUIRE(IsThisFamily(configs[*tiny]));
  const ig::Config t = ig::kConfigs[configs[*tiny].family_index];
  CHECK(t.block_m == 32);
  CHECK(t.block_n == 32);
}

TEST_CASE("implicit_gemm_tf32.cost_weighs_tile_reuse_against_channel_waste") {
  // 128 output channels: 64-wide tiles waste nothing and reuse each gathered pixel twice as often.
  const kconv::ConvShape wide = Validated(kconv_test::Shape{256, 64, 56, 56, 128, 3, 3, 1, 1, 1, 1});
  CHECK(ModelCost(wide, {64, 64, 32, 4, 2}, 0, kH100) <= ModelCost(wide, {32, 32, 32, 4, 2}, 0, kH100));
  CHECK(ModelCost(wide, {64, 64, 32, 4, 2}, 0, kH100) < ModelCost(wide, {64, 32, 32, 4, 2}, 0, kH100));
  // AlexNet's 96 channels: a 64-wide tile computes 128, a third more than needed.
  const kconv::ConvShape s = Validated(kconv_test::AlexNetConv1(256));
  const double narrow = ModelCost(s, {64, 32, 32, 4, 2}, 0, kH100);
  const double padded = ModelCost(s, {64, 64, 32, 4, 2}, 0, kH100);
  CHECK(narrow > 0);
  CHECK(padded > 0);
  CHECK(narrow < padded);
  CHECK(ModelCost(s, {64, 64, 32, 4, 2}, 0, {80, 108, 1024, 1024, 2048, 65536}) < 0);  // no room
  CHECK(ModelCost(s, {64, 64, 32, 4, 2}, 247, kH100) > ModelCost(s, {64, 64, 32, 4, 2}, 0, kH100));
}

TEST_CASE("implicit_gemm_tf32.refuses_gemm_extents_beyond_32_bits_and_tiles_beyond_shared_memory") {
  // 2^31 output pixels: N*P*Q = 8192 * 512 * 512.
  const kconv::ConvShape s = Validated(kconv_test::Shape{8192, 1, 512, 512, 1, 1, 1});
  const absl::Status accepted = ig::Accepts(s, {64, 64, 32, 4, 2}, kH100);
  CHECK(accepted.code() == absl::StatusCode::kUnimplemented);
  CHECK(std::string(accepted.message()).find("N*P*Q") != std::string::npos);
  // Large tensors with small GEMM extents are fine: offsets are 64-bit.
  CHECK(ig::Accepts(Validated(kconv_test::Shape{2, 1, 46341, 46341, 4, 3, 3, 8, 8}), {64, 64, 32, 4, 2}, kH100).ok());
  const absl::Status small_device =
      ig::Accepts(Validated(kconv_test::AlexNetConv1(1)), {64, 64, 32, 4, 2}, {80, 108, 1024, 1024, 2048, 65536});
  CHECK(absl::IsUnimplemented(small_device));
  CHECK(std::string(small_device.message()).find("shared memory") != std::string::npos);
}

TEST_CASE("implicit_gemm_tf32.picks_the_config_an_h200_measured_fastest_for_alexnet") {
  // Among its configs, AlexNet's choice is the one an H200 measured fastest (bench/RESULTS.md:
  // m64n64k16_w4_s3 at 2073 us against 2290 and 2447 for the next two).
  const kconv::ConvShape alexnet = Validated(kconv_test::AlexNetConv1(256));
  double best = 1e300;
  std::string best_name;
  for (int i = 0; i < static_cast<int>(kconv::Configs().size()); ++i) {
    const kconv::KernelConfig& c = kconv::Configs()[i];
    if (!IsThisFamily(c) || c.tuning_only) continue;
    const double cost = ModelCost(alexnet, ig::kConfigs[c.family_index], RegistersOfCubin(i), kH100);
    if (cost < best) best = cost, best_name = c.name;
  }
  CHECK(best_name == "m64n64k16_w4_s3");
}

TEST_CASE("implicit_gemm_tf32.every_listed_config_is_a_valid_tile_and_reports_its_knobs") {
  int count = 0;
  for (const kconv::KernelConfig& c : kconv::Configs()) {
    if (!IsThisFamily(c)) continue;
    CAPTURE(c.full_name);
    ++count;
    const ig::Config config = ig::kConfigs[c.family_index];
    CHECK(ig::MakeTileLayout(config).valid);
    const kconv::ConfigKnobs knobs = ig::Family().Knobs(c.family_index);
    CHECK(knobs.block_m == config.block_m);
    CHECK(knobs.block_n == config.block_n);
    CHECK(knobs.block_k == config.block_k);
    CHECK(knobs.warps == config.warps);
    CHECK(knobs.stages == config.stages);
    // The name spells the fields out: m<block_m>n<block_n>k<block_k>_w<warps>_s<stages>, and _x3 for 3xTF32.
    CHECK(std::string(c.name) == "m" + std::to_string(config.block_m) + "n" + std::to_string(config.block_n) + "k" +
                                     std::to_string(config.block_k) + "_w" + std::to_string(config.warps) + "_s" +
                                     std::to_string(config.stages) + (config.split ? "_x3" : ""));
  }
  CHECK(count >= 9);  // the Triton start's nine at least
}
