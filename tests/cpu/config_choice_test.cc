// The default config choice and the family's shape limits.
#include <doctest/doctest.h>

#include <string>

#include "prelude.h"
#include "validated_shape.h"
#include "runtime/blob_registry.h"
#include "runtime/config_choice.h"
#include "runtime/cubin_info.h"
#include "runtime/stem_family.h"
#include "runtime/conv_shape.h"
#include "runtime/implicit_gemm_family.h"

namespace {

constexpr kconv::DeviceLimits kH100{90, 132, 227 * 1024, 228 * 1024, 2048, 65536};
constexpr kconv::DeviceLimits kRtx4090{89, 128, 99 * 1024, 100 * 1024, 1536, 65536};

// The register count of config i's newest cubin.
int RegistersOfCubin(int i) {
  const kconv::Blob* newest = nullptr;
  for (const kconv::Blob& b : kconv::Blobs())
    if (b.config_index == i && b.kind == kconv::BlobKind::kCubin && (!newest || b.arch > newest->arch)) newest = &b;
  return newest ? kconv::CubinRegisterCount(newest->begin, newest->size(), newest->kernel_symbol) : 0;
}

using kconv_test::Validated;

// The implicit-GEMM cost with the modelled residency of a kernel of `registers` per thread.
double Cost(const kconv::ConvShape& s, const kconv::TileConfig& tile, int registers, const kconv::DeviceLimits& d) {
  return kconv::EstimateTileCost(s, tile, kconv::ResidentBlocks(tile, registers, d), d);
}

}  // namespace

TEST_CASE("config_choice.large_batches_take_large_tiles_small_ones_small_tiles") {
  const auto configs = kconv::Configs();
  auto big = kconv::ChooseConfig(Validated(kconv_test::Shape{256, 64, 56, 56, 128, 3, 3, 1, 1, 1, 1}), kH100, false);
  REQUIRE(big.ok());
  const kconv::TileConfig b = kconv::ImplicitGemmTile(configs[*big]);
  CHECK(b.block_m * b.block_n == 64 * 64);
  // Stride-4 stems go to a stem family: wgmma on Hopper when its sm_90a cubins are built, mma.sync on
  // Ada's 99 KB and on Hopper with PTX forced.
  const bool hopper_built = kconv::SelectBlob(*kconv::FindConfig("stem_wgmma_tf32/m128n96_w8_k5x4"), 90, false).ok();
  for (const kconv::DeviceLimits& device : {kH100, kRtx4090}) {
    for (bool force_ptx : {false, true}) {
      for (int64_t n : {1, 32, 256}) {
        CAPTURE(device.cc);
        CAPTURE(force_ptx);
        CAPTURE(n);
        auto alexnet = kconv::ChooseConfig(Validated(kconv_test::AlexNetConv1(n)), device, force_ptx);
        REQUIRE(alexnet.ok());
        const bool wgmma = device.cc == 90 && !force_ptx && hopper_built;
        CHECK(std::string(configs[*alexnet].family) == (wgmma ? "stem_wgmma_tf32" : "stem_tf32"));
      }
    }
  }
  if (hopper_built) {
    // The persistent Hopper family: 3-row tiles over three consumer warpgroups at large batches (measured
    // fastest), 64-pixel tiles at N = 1, where a larger tile leaves most SMs idle.
    auto large = kconv::ChooseConfig(Validated(kconv_test::AlexNetConv1(256)), kH100, false);
    auto one = kconv::ChooseConfig(Validated(kconv_test::AlexNetConv1(1)), kH100, false);
    REQUIRE(large.ok());
    REQUIRE(one.ok());
    CHECK(std::string(configs[*large].full_name) == "stem_wgmma_tf32/m192n96_w12_k5x5");
    auto medium = kconv::ChooseConfig(Validated(kconv_test::AlexNetConv1(32)), kH100, false);
    REQUIRE(medium.ok());
    CHECK(*medium == *large);
    CHECK(kconv::MakeStemLayout(kconv::StemConfigOf(configs[*one])).tile_pixels == 64);
    // Rows of 99 pixels are two m64 pieces, which three pieces per tile cannot hold: 256-pixel tiles.
    kconv_test::Shape wide = kconv_test::AlexNetConv1(256);
    wide.w = 400;
    auto wide_choice = kconv::ChooseConfig(Validated(wide), kH100, false);
    REQUIRE(wide_choice.ok());
    CHECK(kconv::MakeStemLayout(kconv::StemConfigOf(configs[*wide_choice])).tile_pixels == 256);
    // At N = 1 the 55 one-row tiles leave SMs idle, so each tile's channels are split over two blocks (n48);
    // at N = 256 there is work for every SM without splitting.
    CHECK(kconv::StemConfigOf(configs[*one]).nt == 6);
    CHECK(kconv::StemConfigOf(configs[*large]).nt == 12);
  }
  auto tiny = kconv::ChooseConfig(Validated(kconv_test::Shape{1, 3, 8, 8, 8, 3, 3}), kH100, false);
  REQUIRE(tiny.ok());
  const kconv::TileConfig t = kconv::ImplicitGemmTile(configs[*tiny]);
  CHECK(t.block_m == 32);
  CHECK(t.block_n == 32);
  CHECK(kconv::ChooseConfig(Validated(kconv_test::AlexNetConv1(32)), kRtx4090, false).ok());
  CHECK(kconv::ChooseConfig(Validated(kconv_test::AlexNetConv1(32)), kH100, true).ok());
}

TEST_CASE("config_choice.cost_weighs_tile_reuse_against_channel_waste") {
  // 128 output channels: 64-wide tiles waste nothing and reuse each gathered pixel twice as often.
  const kconv::ConvShape wide = Validated(kconv_test::Shape{256, 64, 56, 56, 128, 3, 3, 1, 1, 1, 1});
  CHECK(Cost(wide, {64, 64, 32, 4, 2}, 0, kH100) <= Cost(wide, {32, 32, 32, 4, 2}, 0, kH100));
  CHECK(Cost(wide, {64, 64, 32, 4, 2}, 0, kH100) < Cost(wide, {64, 32, 32, 4, 2}, 0, kH100));
  // AlexNet's 96 channels: a 64-wide tile computes 128, a third more than needed.
  const kconv::ConvShape s = Validated(kconv_test::AlexNetConv1(256));
  const double narrow = Cost(s, {64, 32, 32, 4, 2}, 0, kH100);
  const double padded = Cost(s, {64, 64, 32, 4, 2}, 0, kH100);
  CHECK(narrow > 0);
  CHECK(padded > 0);
  CHECK(narrow < padded);
  CHECK(Cost(s, {64, 64, 32, 4, 2}, 0, {80, 108, 1024, 1024, 2048, 65536}) < 0);  // no room
  // Registers limit residency: 247 per thread leave room for two 128-thread blocks of 65536.
  CHECK(kconv::ResidentBlocks({64, 64, 32, 4, 2}, 247, kH100) == 2);
  CHECK(kconv::ResidentBlocks({64, 64, 32, 4, 2}, 0, kH100) == 6);  // shared memory alone: 228 KB / 36 KB
  CHECK(Cost(s, {64, 64, 32, 4, 2}, 247, kH100) > Cost(s, {64, 64, 32, 4, 2}, 0, kH100));
}

TEST_CASE("config_choice.refuses_gemm_extents_beyond_32_bits") {
  // 2^31 output pixels: N*P*Q = 8192 * 512 * 512.
  const kconv::ConvShape s = Validated(kconv_test::Shape{8192, 1, 512, 512, 1, 1, 1});
  CHECK(kconv::ConfigAccepts(s, kconv::Configs()[0], kH100).code() == absl::StatusCode::kUnimplemented);
  const absl::Status accepted = kconv::ImplicitGemmAccepts(s, {64, 64, 32, 4, 2});
  CHECK(accepted.code() == absl::StatusCode::kUnimplemented);
  CHECK(std::string(accepted.message()).find("N*P*Q") != std::string::npos);
  auto choice = kconv::ChooseConfig(s, kH100, false);
  REQUIRE(!choice.ok());
  CHECK(choice.status().code() == absl::StatusCode::kUnimplemented);
  // Among implicit-GEMM configs, AlexNet's choice is the one an H200 measured fastest (bench/RESULTS.md:
  // m64n64k16_w4_s3 at 2073 us against 2290 and 2447 for the next two).
  const kconv::ConvShape alexnet = Validated(kconv_test::AlexNetConv1(256));
  double best = 1e300;
  std::string best_name;
  for (int i = 0; i < static_cast<int>(kconv::Configs().size()); ++i) {
    const kconv::KernelConfig& c = kconv::Configs()[i];
    if (kconv::FamilyOf(c) != kconv::Family::kImplicitGemmTf32 || c.tuning_only) continue;
    const double cost = Cost(alexnet, kconv::ImplicitGemmTile(c), RegistersOfCubin(i), kH100);
    if (cost < best) best = cost, best_name = c.name;
  }
  CHECK(best_name == "m64n64k16_w4_s3");
  // Large tensors with small GEMM extents are fine: offsets are 64-bit.
  CHECK(kconv::ImplicitGemmAccepts(Validated(kconv_test::Shape{2, 1, 46341, 46341, 4, 3, 3, 8, 8}), {64, 64, 32, 4, 2}).ok());
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
  // Without it, the model's residency picks a 64 x 64 tile (the first case above).
  auto modelled = kconv::ChooseConfig(big, kH100, false);
  REQUIRE(modelled.ok());
  CHECK(*modelled != small_tile);
  // The heuristic never picks a config marked for tuning, on any device or batch.
  for (const kconv::DeviceLimits& device : {kH100, kRtx4090}) {
    for (int64_t n : {1, 32, 256}) {
      for (const kconv_test::Shape& shape : {kconv_test::AlexNetConv1(n), kconv_test::Shape{n, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3},
                                             kconv_test::Shape{n, 16, 20, 20, 24, 3, 3}}) {
        auto chosen = kconv::ChooseConfig(Validated(shape), device, false);
        REQUIRE(chosen.ok());
        CHECK(!configs[*chosen].tuning_only);
      }
    }
  }
}
