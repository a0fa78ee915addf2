// The stem families' host-side geometry: the chunk table's K order, the persistent kernel's row tiles, its
// shared-memory sizing and the shapes it refuses.
#include <doctest/doctest.h>

#include <string>

#include "prelude.h"
#include "validated_shape.h"
#include "runtime/conv_shape.h"
#include "runtime/stem_family.h"

namespace {

constexpr int kHopperSharedBytes = 227 * 1024;
constexpr kconv::StemConfig kRows4{2, 12, 8, 5, 3};  // stem_wgmma_tf32/m256n96_w8_k5x3: 4 m64 pieces
constexpr kconv::StemConfig kRows1{1, 12, 4, 5, 4};  // stem_wgmma_tf32/m64n96_w4_k5x4: 1 m64 piece
constexpr kconv::StemConfig kHalf1{1, 6, 4, 5, 10};  // stem_wgmma_tf32/m64n48_w4_k5x10: 48 channels

using kconv_test::Validated;

}  // namespace

TEST_CASE("stem_family.chunk_offsets_increase_along_k_and_padding_repeats_the_last_chunk") {
  // wgmma reads a k8 step's second chunk at a non-negative distance (LBO) from its first.
  for (kconv::StemKernel kernel : {kconv::StemKernel::kBlockPerTile, kconv::StemKernel::kPersistent}) {
    const kconv::ConvShape s = Validated(kconv_test::AlexNetConv1(8));
    const kconv::StemPlanData d = kconv::MakeStemPlanData(s, kRows4, kernel, 132);
    const kconv::StemParams& p = d.params;
    const int real_chunks = 3 * 11 * 3;  // C * R * ceil(S / 4)
    REQUIRE(2 * p.steps >= real_chunks);
    CHECK(2 * p.steps % (2 * kRows4.wsteps) == 0);
    for (int i = 1; i < 2 * p.steps; ++i) CHECK(p.chunk_offset[i] >= p.chunk_offset[i - 1]);
    for (int i = real_chunks; i < 2 * p.steps; ++i) CHECK(p.chunk_offset[i] == p.chunk_offset[real_chunks - 1]);
    // Chunk (c, r, j) = (1, 0, 0) is the first of channel 1: one band height of rows past channel 0.
    CHECK(p.chunk_offset[11 * 3] == p.band_rows * p.row_floats * 4);
    CHECK(p.chunk_offset[1] == 16);
  }
}

TEST_CASE("stem_family.persistent_tiles_are_whole_output_rows") {
  const kconv::ConvShape s = Validated(kconv_test::AlexNetConv1(256));
  REQUIRE(kconv::StemAccepts(s, kRows4, kHopperSharedBytes, kconv::StemKernel::kPersistent).ok());
  const kconv::StemPlanData d = kconv::MakeStemPlanData(s, kRows4, kconv::StemKernel::kPersistent, 132);
  CHECK(d.segments == 1);          // Q = 55 fits one m64 piece
  CHECK(d.rows_per_tile == 4);     // 4 pieces
  CHECK(d.tiles_per_image == 14);  // ceil(55 / 4)
  CHECK(d.total_tiles == 14 * 256);
  CHECK(d.params.band_rows == 3 * 4 + 11);
  CHECK(d.staging_stride == 228);  // 220 pixels rounded up to 32, plus 4 banks
  CHECK(d.params.band_bytes % 128 == 0);
  CHECK(d.params.band_bytes >= 96 * 228 * 4);  // the tile's staged outputs fit in its band buffer
  CHECK(d.params.band_bytes >= 3 * 23 * d.params.row_floats * 4);
  CHECK(d.geometry.grid_x == 132);
  CHECK(d.geometry.shared_bytes <= static_cast<uint32_t>(kHopperSharedBytes));

  // N = 1: one block per tile when there are fewer tiles than SMs.
  const kconv::StemPlanData one =
      kconv::MakeStemPlanData(Validated(kconv_test::AlexNetConv1(1)), kRows1, kconv::StemKernel::kPersistent, 132);
  CHECK(one.rows_per_tile == 1);
  CHECK(one.total_tiles == 55);
  CHECK(one.geometry.grid_x == 55);
}

TEST_CASE("stem_family.persistent_kernel_refuses_rows_that_do_not_divide_into_its_pieces") {
  // W = 400, 11x11 stride 4 pad 2: Q = 99, two m64 pieces per row.
  kconv_test::Shape wide = kconv_test::AlexNetConv1(2);
  wide.w = 400;
  const kconv::ConvShape s = Validated(wide);
  REQUIRE(s.q == 99);
  const absl::Status one_piece = kconv::StemAccepts(s, kRows1, kHopperSharedBytes, kconv::StemKernel::kPersistent);
  CHECK(absl::IsUnimplemented(one_piece));
  CHECK(std::string(one_piece.message()).find("m64 pieces") != std::string::npos);
  CHECK(kconv::StemAccepts(s, kRows1, kHopperSharedBytes, kconv::StemKernel::kBlockPerTile).ok());
  REQUIRE(kconv::StemAccepts(s, kRows4, kHopperSharedBytes, kconv::StemKernel::kPersistent).ok());
  const kconv::StemPlanData d = kconv::MakeStemPlanData(s, kRows4, kconv::StemKernel::kPersistent, 132);
  CHECK(d.segments == 2);
  CHECK(d.rows_per_tile == 2);
}

TEST_CASE("stem_family.n48_configs_split_a_tiles_channels_over_blocks") {
  // AlexNet at N = 1: 55 one-row tiles, each computed by two blocks of 48 channels, which stream their
  // own contiguous half of the packed weights.
  const kconv::ConvShape s = Validated(kconv_test::AlexNetConv1(1));
  REQUIRE(kconv::StemAccepts(s, kHalf1, kHopperSharedBytes, kconv::StemKernel::kPersistent).ok());
  const kconv::StemPlanData d = kconv::MakeStemPlanData(s, kHalf1, kconv::StemKernel::kPersistent, 132);
  CHECK(d.channel_groups == 2);
  CHECK(d.tiles_per_image == 55);
  CHECK(d.total_tiles == 110);
  CHECK(d.geometry.grid_x == 110);
  CHECK(d.pack.channels == 96);
  CHECK(d.packed_weight_bytes == 2 * d.params.steps * 48 * 32);
  CHECK(d.params.band_bytes >= 48 * d.staging_stride * 4);  // 48 staged channels fit in a band buffer
  // Past the SM count the blocks walk several (row tile, channel group) items.
  const kconv::StemPlanData many =
      kconv::MakeStemPlanData(Validated(kconv_test::AlexNetConv1(4)), kHalf1, kconv::StemKernel::kPersistent, 132);
  CHECK(many.total_tiles == 4 * 55 * 2);
  CHECK(many.geometry.grid_x == 132);
  // 48 channels or fewer need one group; more than 96 are refused (the kernel's bias table), and the
  // block-per-tile kernel stays limited to its config's channels.
  kconv_test::Shape narrow = kconv_test::AlexNetConv1(1);
  narrow.k = 40;
  CHECK(kconv::MakeStemPlanData(Validated(narrow), kHalf1, kconv::StemKernel::kPersistent, 132).channel_groups == 1);
  kconv_test::Shape wide = kconv_test::AlexNetConv1(1);
  wide.k = 97;
  CHECK(absl::IsUnimplemented(
      kconv::StemAccepts(Validated(wide), kHalf1, kHopperSharedBytes, kconv::StemKernel::kPersistent)));
  narrow.k = 64;
  CHECK(absl::IsUnimplemented(
      kconv::StemAccepts(Validated(narrow), kHalf1, kHopperSharedBytes, kconv::StemKernel::kBlockPerTile)));
}
