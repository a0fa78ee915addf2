// SPDX-License-Identifier: Apache-2.0
// The Hopper stem family's pair-row band (families/stem_common/pair_rows.h), on the CPU: a band laid out as the
// producers' copy lays it out, read as wgmma k16 reads its descriptors (the unit table, LBO, SBO = 128 and each
// output row's piece offset), with the weights where the packer puts them, computes every output row of a
// tile. This is the whole of the layout's host-side arithmetic, and the address arithmetic the kernel shares
// with it, before any GPU time.
#include <doctest/doctest.h>


#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "families/stem_common/pair_rows.h"
#include "families/stem_common/widened_raw_rows.h"
#include "families/stem_wgmma_tf32/planner.h"
#include "families/stem_wgmma_tf32/tensor_map_recorder.h"
#include "prelude.h"
#include "stem_k16_reads.h"
#include "runtime/conv_shape.h"
#include "validated_shape.h"

namespace {

namespace wg = kconv::stem_wgmma_tf32;

constexpr kconv::DeviceLimits kH100{90, 132, 227 * 1024, 228 * 1024, 2048, 65536};

kconv::ConvShape Validated(const kconv_test::Shape& shape, kconv_element_type type) {
  return kconv_test::ValidatedIn(shape, type, KCONV_LAYOUT_NCHW, KCONV_MATH_TF32);
}

wg::Config IoConfig(int mt, int warps, int wsteps, int wstages) {
  wg::Config c = wg::MakeConfig(mt, 12, warps, wsteps, wstages, 1);
  c.io = 1;
  return c;
}


// Tile 0's band (image 0) as the producers' copy lays it out: unit u of pair row i of channel c holds elements
// first + 4u ... + 3 of band rows 2i and 2i + 1 (input rows -pad_h + ...), zeros outside the image and past the
// band's rows; `first` is -pad_w, or a phase plane's first column. Indices in 16-bit elements; then room for
// wgmma's reads past the band (the buffer, and shared memory, go on).
std::vector<float> ProducersBand(const kconv::ConvShape& s, const kconv::StemParams& p, const std::vector<float>& x,
                                 std::optional<int64_t> first = std::nullopt) {
  const int64_t first_column = first.value_or(-s.pad_w);
  const int64_t band_pairs = kconv::BandPairRows(p.band_rows), units = p.row_floats / 4;
  const int64_t band_elements = s.c * band_pairs * units * 8;
  REQUIRE(band_elements * 2 <= p.band_bytes);
  std::vector<float> band(static_cast<size_t>(band_elements + 64 * 8 * 8), 0.f);
  for (int64_t c = 0; c < s.c; ++c)
    for (int64_t i = 0; i < band_pairs; ++i)
      for (int64_t u = 0; u < units; ++u)
        for (int64_t h = 0; h < 2; ++h)
          for (int64_t e = 0; e < 4; ++e) {
            const int64_t band_row = 2 * i + h, ih = band_row - s.pad_h, iw = 4 * u + e + first_column;
            const bool inside = band_row < p.band_rows && ih >= 0 && ih < s.h && iw >= 0 && iw < s.w;
            band[static_cast<size_t>(((c * band_pairs + i) * units + u) * 8 + 4 * h + e)] =
                inside ? x[static_cast<size_t>((c * s.h + ih) * s.w + iw)] : 0.f;
          }
  return band;
}

// Every output row of tile 0 (image 0), channels 0 ... k - 1, as the kernel's wgmma computes them from the band
// of that tile, with x and w as floats (the layout is what is tested, not the rounding). With `phases` planes
// (horizontal strides 2 and 1), output column phase + phases * m reads plane `phase` (its first column
// phase * stride_w - pad_w) at pixel m.
std::vector<double> TileFromBand(const kconv::ConvShape& s, const wg::PlanData& d, const std::vector<float>& x,
                                 const std::vector<float>& w, int phases = 1) {
  const kconv::StemParams& p = d.params.p;
  const int64_t band_elements = s.c * kconv::BandPairRows(p.band_rows) * (p.row_floats / 4) * 8;
  auto tap_at = [&](int32_t unit, int32_t e, int32_t* c, int32_t* r, int32_t* col) {
    kconv::PairRowTap tap{};
    const bool real = kconv::PairRowTapAt(p.c, static_cast<int32_t>(s.r), static_cast<int32_t>(s.s), d.pack.j,
                                          unit, e, &tap);
    *c = tap.c, *r = tap.r, *col = tap.s;
    return real;
  };
  const std::vector<float> packed = kconv_test::PackK16Weights(p, s.k, s.r, s.s, w, tap_at);
  const int64_t rows = d.params.rows_per_tile;
  std::vector<double> y(static_cast<size_t>(rows * s.k * s.q), 0.0);
  for (int phase = 0; phase < phases; ++phase) {
    const std::vector<float> band = ProducersBand(s, p, x, phase * s.stride_w - s.pad_w);
    for (int64_t o = 0; o < rows && o < s.p; ++o) {
      const int64_t piece = o * (s.stride_h / 2) * p.row_floats * 4;  // the kernel's piece offset, x0 = 0
      const int64_t pixels = (s.q - phase + phases - 1) / phases;     // the phase's output columns
      kconv_test::AddK16Products(p, band, band_elements, packed, piece, pixels, s.k,
                                 [&](int64_t m, int64_t n, double v) {
                                   y[static_cast<size_t>((o * s.k + n) * s.q + phase + phases * m)] += v;
                                 });
    }
  }
  return y;
}

// Outputs of tile 0 (TileFromBand's rows) that differ from the reference convolution's `want` (NCHW, image 0).
int TileMismatches(const kconv::ConvShape& s, const wg::PlanData& d, const std::vector<double>& got,
                   const std::vector<double>& want) {
  int mismatches = 0;
  for (int64_t o = 0; o < d.params.rows_per_tile && o < s.p; ++o)
    for (int64_t n = 0; n < s.k; ++n)
      for (int64_t q = 0; q < s.q; ++q) {
        const double g = got[static_cast<size_t>((o * s.k + n) * s.q + q)];
        const double r = want[static_cast<size_t>((n * s.p + o) * s.q + q)];
        if (!(g == doctest::Approx(r).epsilon(1e-9))) ++mismatches;
      }
  return mismatches;
}

// Elements of `want` (a pair-row plane as ProducersBand lays it out) that the producers' pairing pass gets wrong
// from `raw` (the tensor copy's raw rows, raw_row elements each) with its rows `shift` elements in (kernel.cuh:
// PairRawRowsAs reads them by PairRowRawIndex, zeros past the band's rows).
int PairingMismatches(const kconv::ConvShape& s, const kconv::StemParams& p, const std::vector<float>& raw,
                      int32_t raw_row, int32_t shift, const std::vector<float>& want) {
  const int32_t band_pairs = kconv::BandPairRows(p.band_rows), units = p.row_floats / 4;
  int mismatches = 0;
  for (int32_t c = 0; c < s.c; ++c)
    for (int32_t i = 0; i < band_pairs; ++i)
      for (int32_t u = 0; u < units; ++u)
        for (int32_t h = 0; h < 2; ++h)
          for (int32_t e = 0; e < 4; ++e) {
            const int32_t row = 2 * i + h;
            const float got =
                row < p.band_rows
                    ? raw[static_cast<size_t>(kconv::PairRowRawIndex(p.band_rows, raw_row, shift, c, row, u, e))]
                    : 0.f;
            if (got != want[static_cast<size_t>(((c * band_pairs + i) * units + u) * 8 + 4 * h + e)]) ++mismatches;
          }
  return mismatches;
}

}  // namespace

TEST_CASE("stem_wgmma_tf32.pair_row_band_through_the_unit_table_computes_the_convolution") {
  const kconv_test::ScopedEnvironment enabled("KCONV_PAIR_ROWS", "1");
  struct Case {
    int64_t c, h, w, r, s, stride_h, pad_h, pad_w;
  };
  // AlexNet's 11x11/4 (odd R: the last pair's second row has zero weights; pad 2), a 4x4/4 patchify (even R,
  // one unit a row), one and four channels, a vertical stride of 2, paddings past a chunk, a row that is not
  // whole units.
  for (const Case& k : {Case{3, 31, 224, 11, 11, 4, 2, 2}, Case{3, 20, 64, 4, 4, 4, 0, 0}, Case{1, 17, 96, 5, 5, 2, 1, 1},
                        Case{4, 23, 100, 7, 7, 4, 3, 3}, Case{2, 15, 61, 3, 3, 2, 5, 5}, Case{3, 25, 221, 6, 9, 4, 1, 6}}) {
    kconv_test::Shape shape{1, k.c, k.h, k.w, 8, k.r, k.s};
    shape.stride_h = k.stride_h;
    shape.stride_w = 4;
    shape.pad_h = k.pad_h;
    shape.pad_w = k.pad_w;
    shape.bias = false;
    const kconv::ConvShape s = Validated(shape, KCONV_ELEMENT_F16);
    CAPTURE(kconv::FormatOf(s));
    for (const wg::Config& config : {IoConfig(1, 12, 5, 5), IoConfig(1, 4, 5, 4), IoConfig(2, 8, 3, 2)}) {
      CAPTURE(config.warps);
      REQUIRE(wg::PairRowBand(s, config));
      REQUIRE(wg::Accepts(s, config, kH100).ok());
      const wg::PlanData d = wg::MakePlanData(s, config, kH100);
      REQUIRE(d.params.p.steps * 2 >= kconv::KernelPairRows(static_cast<int32_t>(s.r)) * s.c * d.pack.j);
      // Every tap of the kernel is in exactly one (unit, element) of the real units, and the table only grows.
      std::vector<int> seen(static_cast<size_t>(s.c * s.r * s.s), 0);
      for (int32_t unit = 0; unit < 2 * d.params.p.steps; ++unit) {
        if (unit > 0) CHECK(d.params.p.chunk_offset[unit] >= d.params.p.chunk_offset[unit - 1]);
        for (int e = 0; e < 8; ++e) {
          kconv::PairRowTap tap{};
          if (kconv::PairRowTapAt(static_cast<int32_t>(s.c), static_cast<int32_t>(s.r), static_cast<int32_t>(s.s),
                                  d.pack.j, unit, e, &tap)) {
            ++seen[static_cast<size_t>((tap.c * s.r + tap.r) * s.s + tap.s)];
          }
        }
      }
      for (int count : seen) CHECK(count == 1);

      std::mt19937_64 rng(static_cast<uint64_t>(k.c * 1000 + k.r * 10 + k.pad_w));
      const std::vector<float> x = kconv_test::RandomTensor(shape.XElements(), rng);
      const std::vector<float> w = kconv_test::RandomTensor(shape.WElements(), rng);
      const std::vector<double> want = kconv_test::ReferenceConv(shape, x, w, {});
      CHECK(TileMismatches(s, d, TileFromBand(s, d, x, w), want) == 0);
    }
  }
}

TEST_CASE("stem_wgmma_tf32.pair_row_band_only_where_it_computes") {
  kconv_test::Shape alexnet = kconv_test::AlexNetConv1(2);
  const wg::Config io = IoConfig(1, 12, 5, 5);
  const kconv::ConvShape half = Validated(alexnet, KCONV_ELEMENT_F16);
  const kconv::ConvShape bf16 = Validated(alexnet, KCONV_ELEMENT_BF16);
  // On by default; KCONV_PAIR_ROWS=0 turns it off: the widened kernels, as before pair rows.
  CHECK(wg::PairRowBand(half, io));
  CHECK(wg::PairRowTensorCopyEnabled());
  std::optional<kconv_test::ScopedEnvironment> off;
  off.emplace("KCONV_PAIR_ROWS", "0");
  const auto& suffixes = wg::Family().KernelSuffixes();
  auto kernel = [&](const kconv::ConvShape& s) { return suffixes[static_cast<size_t>(wg::MakePlanData(s, io, kH100).kernel)]; };
  auto packer = [&](const kconv::ConvShape& s) { return suffixes[static_cast<size_t>(wg::MakePlanData(s, io, kH100).packer)]; };
  CHECK_FALSE(wg::PairRowBand(half, io));
  CHECK_FALSE(wg::MakePlanData(half, io, kH100).pair_rows);
  CHECK(kernel(half) == "_f16");
  CHECK(packer(half) == "_f16_pack_weights");
  const wg::PlanData widened = wg::MakePlanData(half, io, kH100);
  off.reset();
  const kconv_test::ScopedEnvironment enabled("KCONV_PAIR_ROWS", "1");
  CHECK_FALSE(wg::PairRowTensorCopyEnabled());
  REQUIRE(wg::PairRowBand(half, io));
  CHECK(wg::MakePlanData(half, io, kH100).pair_rows);
  CHECK(kernel(half) == "_f16_k16");
  CHECK(packer(half) == "_f16_k16_pack_weights");
  CHECK(kernel(bf16) == "_bf16_k16");
  CHECK(packer(bf16) == "_bf16_k16_pack_weights");
  // Half the band of the widened layout, half the steps (the weights' bytes per step are the same).
  const wg::PlanData pairs = wg::MakePlanData(half, io, kH100);
  CHECK(pairs.params.band_box_bytes * 2 <= widened.params.band_box_bytes + 2 * 3 * 57 * 16);
  CHECK(pairs.params.raw_row == 0);  // no room for a tensor copy's raw rows unless it is asked for (=2)
  CHECK(pairs.params.p.steps == 30);  // 3 x 6 x 3 = 54 units, in stages of 5 k16 steps
  CHECK(widened.params.p.steps == 50);
  CHECK(pairs.params.use_tma == 0);
  CHECK(pairs.packed_weight_bytes == 30 * 96 * 32);
  // Not for fp32, an odd vertical stride or an fp32-only config. NHWC at stride 4 pairs in its planes
  // (nhwc_pair_row_band_test.cc).
  CHECK_FALSE(wg::PairRowBand(Validated(alexnet, KCONV_ELEMENT_F32), io));
  const kconv::ConvShape nhwc = kconv_test::ValidatedIn(alexnet, KCONV_ELEMENT_F16, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32);
  CHECK(wg::PairRowBand(nhwc, io));
  CHECK(kernel(nhwc) == "_f16_nhwc_k16");
  kconv_test::Shape odd = alexnet;
  odd.stride_h = 3;
  CHECK_FALSE(wg::PairRowBand(Validated(odd, KCONV_ELEMENT_F16), io));
  wg::Config fp32_only = io;
  fp32_only.io = 0;
  CHECK_FALSE(wg::PairRowBand(half, fp32_only));
  // At strides 2 and 1, only kernel heights whose pairing pads few rows: ResNet's 7x7/2 pairs, MobileNet's 3x3/2
  // (measured faster widened) and a 5x5/2 do not, a 4x4/2 does.
  wg::Config phases = io;
  phases.phases = 2;
  for (const auto& [r, pairs_rows] : {std::pair{7, true}, std::pair{3, false}, std::pair{5, false}, std::pair{4, true}}) {
    kconv_test::Shape stride2{2, 3, 64, 64, 32, r, r, 2, 2, r / 2, r / 2};
    CAPTURE(r);
    CHECK(wg::PairRowBand(Validated(stride2, KCONV_ELEMENT_F16), phases) == pairs_rows);
  }
}

TEST_CASE("stem_wgmma_tf32.pair_row_tensor_copy_pairs_its_raw_rows_into_the_same_band") {
  // KCONV_PAIR_ROWS=2: the tensor copy delivers raw rows from the chunk layout's first column
  // rounded down to a multiple of 8 (zeros outside the image), and the producers pair them by PairRowRawIndex.
  const kconv_test::ScopedEnvironment enabled("KCONV_PAIR_ROWS", "2");
  CHECK(wg::PairRowTensorCopyEnabled());
  struct Case {
    int64_t c, h, w, r, s, stride_h, pad;
  };
  for (const Case& k : {Case{3, 31, 224, 11, 11, 4, 2}, Case{3, 20, 64, 4, 4, 4, 0}, Case{1, 17, 96, 5, 5, 2, 1},
                        Case{4, 23, 104, 7, 7, 4, 3}, Case{2, 15, 64, 3, 3, 2, 9}}) {
    kconv_test::Shape shape{1, k.c, k.h, k.w, 8, k.r, k.s};
    shape.stride_h = k.stride_h;
    shape.stride_w = 4;
    shape.pad_h = shape.pad_w = k.pad;
    const kconv::ConvShape s = Validated(shape, KCONV_ELEMENT_BF16);
    CAPTURE(kconv::FormatOf(s));
    for (const wg::Config& config : {IoConfig(1, 12, 5, 5), IoConfig(1, 4, 5, 10), IoConfig(2, 8, 3, 2)}) {
      CAPTURE(config.warps);
      REQUIRE(wg::Accepts(s, config, kH100).ok());
      const wg::PlanData d = wg::MakePlanData(s, config, kH100);
      const kconv::StemParams& p = d.params.p;
      const int32_t units = p.row_floats / 4, shift = kconv::PairRowRawShift(static_cast<int32_t>(-s.pad_w));
      // The raw rows: after the units, inside the buffer, each row whole 16-byte groups long enough for every unit.
      CHECK(d.params.raw_offset % 128 == 0);
      CHECK(d.params.raw_offset >= s.c * kconv::BandPairRows(p.band_rows) * p.row_floats * 4);
      CHECK(d.params.raw_offset + s.c * p.band_rows * d.params.raw_row * 2 <= p.band_bytes);
      CHECK(d.params.band_box_bytes == s.c * p.band_rows * d.params.raw_row * 2);
      CHECK(d.params.raw_row % 8 == 0);
      CHECK(d.params.raw_row >= shift + 4 * units);
      // The copy's box: row ih0 + r of channel c, columns -pad_w - shift ... (zeros outside the image).
      std::vector<float> raw(static_cast<size_t>(s.c * p.band_rows * d.params.raw_row), 0.f);
      for (int64_t c = 0; c < s.c; ++c)
        for (int64_t r = 0; r < p.band_rows; ++r)
          for (int64_t e = 0; e < d.params.raw_row; ++e) {
            const int64_t ih = r - s.pad_h, iw = e - s.pad_w - shift;
            if (ih >= 0 && ih < s.h && iw >= 0 && iw < s.w) {
              raw[static_cast<size_t>((c * p.band_rows + r) * d.params.raw_row + e)] =
                  static_cast<float>((c * s.h + ih) * s.w + iw + 1);
            }
          }
      std::vector<float> x(static_cast<size_t>(s.c * s.h * s.w));
      for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i + 1);
      // The producers' pairing pass.
      CHECK(PairingMismatches(s, p, raw, d.params.raw_row, shift, ProducersBand(s, p, x)) == 0);
    }
  }
}

TEST_CASE("stem_wgmma_tf32.pair_row_band_map_copies_raw_16_bit_rows") {
  kconv::DriverApi api = kconv_test::RecordingTensorMapApi();
  const kconv_test::TensorMapRecord& map_call = kconv_test::LastTensorMap();
  const kconv_test::ScopedEnvironment enabled("KCONV_PAIR_ROWS", "2");
  const wg::Config io = IoConfig(1, 12, 5, 5);
  const kconv::ConvShape s = Validated(kconv_test::AlexNetConv1(2), KCONV_ELEMENT_F16);
  const wg::PlanData d = wg::MakePlanData(s, io, kH100);
  uint64_t map[16];
  REQUIRE(wg::EncodeRawRowBandMap(&api, s, d.params, 4096, map));
  REQUIRE(d.params.raw_row > 0);
  CHECK(map_call.calls == 1);
  CHECK(map_call.type == CU_TENSOR_MAP_DATA_TYPE_UINT16);
  CHECK(map_call.rank == 4);
  CHECK(map_call.dims[0] == 224);
  CHECK(map_call.strides[0] == 448);
  CHECK(map_call.strides[1] == 224 * 448);
  CHECK(map_call.box[0] == 240);  // shift 6 (column -8 for -2) + 57 units of 4, to 16 bytes
  CHECK(map_call.box[1] == static_cast<cuuint32_t>(d.params.p.band_rows));
  CHECK(map_call.box[2] == 3);
  CHECK_FALSE(wg::EncodeRawRowBandMap(&api, s, d.params, 4100, map));  // x not 16-byte aligned
  // A plan made under =1 has no room for raw rows, so its launches copy through registers whatever the
  // environment says by then (Plan::Launch reads the plan, not the environment).
  wg::PlanData register_copy;
  {
    const kconv_test::ScopedEnvironment registers("KCONV_PAIR_ROWS", "1");
    register_copy = wg::MakePlanData(s, io, kH100);
  }
  REQUIRE(register_copy.pair_rows);
  CHECK(register_copy.params.raw_row == 0);
  CHECK_FALSE(wg::EncodeRawRowBandMap(&api, s, register_copy.params, 4096, map));
  kconv_test::Shape narrow = kconv_test::AlexNetConv1(2);
  narrow.w = 220;  // rows of 440 bytes: not whole 16-byte groups
  const kconv::ConvShape n = Validated(narrow, KCONV_ELEMENT_F16);
  CHECK(wg::MakePlanData(n, io, kH100).params.raw_row == 0);  // no room where no copy can run
  CHECK_FALSE(wg::EncodeRawRowBandMap(&api, n, wg::MakePlanData(n, io, kH100).params, 4096, map));
  CHECK(map_call.calls == 1);
}

TEST_CASE("stem_wgmma_tf32.deep_weight_rings_take_alexnet_pair_rows_with_their_tensor_copy") {
  // The deep rings m256n96_w8_k3x5 and m192n96_w12_k3x8 (configs): AlexNet fp16's 27 k16 steps in whole 3-step
  // stages, with room for the raw rows' tensor copy on a device of 227 KB.
  const kconv_test::ScopedEnvironment enabled("KCONV_PAIR_ROWS", "2");
  const kconv::ConvShape s = Validated(kconv_test::AlexNetConv1(256), KCONV_ELEMENT_F16);
  for (const wg::Config& config : {IoConfig(2, 8, 3, 5), IoConfig(1, 12, 3, 8)}) {
    CAPTURE(config.warps);
    REQUIRE(wg::Accepts(s, config, kH100).ok());
    const wg::PlanData d = wg::MakePlanData(s, config, kH100);
    CHECK(d.pair_rows);
    CHECK(d.params.p.steps == 27);
    CHECK(d.params.raw_row > 0);
    CHECK(d.geometry.shared_bytes <= kH100.smem_per_block_optin);
  }
}

TEST_CASE("stem_wgmma_tf32.16_bit_nchw_tiles_of_whole_rows_stage_in_the_type") {
  // Pair-row launches stage their outputs in 16 bits (StagesInType): a channel row of AlexNet's 4-row tile is its
  // 220 pixels after a head of up to 7, in 16-byte pieces, 8 elements past a multiple of 16 (248), so a band
  // buffer needs half the fp32 staging's room (96 * 228 floats), and the deep ring fits nine 3-step stages (every
  // one of AlexNet's 27 k16 steps) with the raw rows' tensor copy. fp32 keeps its staging; column tiles (a 1080p
  // frame) stage fp32 in any type. (Ping-pong stages half a tile a warpgroup: pingpong_test's.)
  const kconv_test::ScopedEnvironment enabled("KCONV_PAIR_ROWS", "2");
  const kconv_test::ScopedEnvironment whole_tiles("KCONV_PINGPONG", "0");
  const kconv::ConvShape half = Validated(kconv_test::AlexNetConv1(256), KCONV_ELEMENT_F16);
  const kconv::ConvShape single = Validated(kconv_test::AlexNetConv1(256), KCONV_ELEMENT_F32);
  const wg::PlanData d16 = wg::MakePlanData(half, IoConfig(2, 8, 3, 5), kH100);
  const wg::PlanData d32 = wg::MakePlanData(single, IoConfig(2, 8, 3, 5), kH100);
  REQUIRE(d16.pair_rows);
  CHECK(d16.params.rows_per_tile == 4);
  CHECK(d16.params.column_tiles == 1);
  CHECK(d16.params.staging_stride == 248);
  CHECK(d16.params.staging_stride == wg::StemWgmmaStagingStrideInType(220));
  CHECK(d16.params.p.band_bytes >= 96 * 248 * 2);
  CHECK(d16.params.p.band_bytes < 96 * 228 * 4);
  CHECK(d32.params.staging_stride == 228);
  CHECK(d32.params.p.band_bytes >= 96 * 228 * 4);
  const wg::Config nine = IoConfig(2, 8, 3, 9);
  REQUIRE(wg::Accepts(half, nine, kH100).ok());
  const wg::PlanData deep = wg::MakePlanData(half, nine, kH100);
  CHECK(deep.params.raw_row > 0);
  CHECK(deep.geometry.shared_bytes <= kH100.smem_per_block_optin);
  if (wg::Accepts(single, nine, kH100).ok()) {  // fp32's staging leaves no room for whole rows and nine stages
    CHECK(wg::MakePlanData(single, nine, kH100).params.column_tiles > 1);
  }

  kconv_test::Shape frame{1, 3, 1080, 1920, 96, 11, 11, 4, 4, 2, 2};
  const kconv::ConvShape wide = Validated(frame, KCONV_ELEMENT_F16);
  const wg::PlanData columns = wg::MakePlanData(wide, IoConfig(2, 8, 3, 5), kH100);
  REQUIRE(columns.params.column_tiles > 1);
  CHECK(columns.params.staging_stride == wg::StemWgmmaStagingStride(columns.params.rows_per_tile *
                                                                     columns.params.tile_columns));
  for (int64_t step = 0; step < 16; ++step) {  // the stride's invariants for every pixel count
    const int64_t stride = wg::StemWgmmaStagingStrideInType(200 + step);
    CHECK(stride >= (200 + step + 7 + 7) / 8 * 8);
    CHECK(stride % 16 == 8);
  }
}

TEST_CASE("stem_wgmma_tf32.pair_row_planes_at_strides_2_and_1_compute_the_convolution") {
  // 16-bit NCHW at horizontal stride 2 or 1 with an even vertical stride: a pair-row plane per phase, each from
  // its own first column, read as the stride-4 kernels read theirs. ResNet's 7x7/2 and other kernel heights that
  // pair (even, or at least 7: PairRowBand) with every left padding, one and four channels, stride (2, 1) over
  // four phases, rows of two pieces.
  struct Case {
    int64_t c, h, w, r, s, stride_h, stride_w, pad;
  };
  for (const Case& k : {Case{3, 20, 64, 7, 7, 2, 2, 3}, Case{3, 17, 56, 4, 4, 2, 2, 1}, Case{1, 15, 48, 6, 6, 2, 2, 0},
                        Case{4, 13, 40, 4, 3, 2, 1, 2}, Case{3, 11, 150, 9, 5, 2, 2, 1}}) {
    kconv_test::Shape shape{1, k.c, k.h, k.w, 16, k.r, k.s};
    shape.stride_h = k.stride_h;
    shape.stride_w = k.stride_w;
    shape.pad_h = shape.pad_w = k.pad;
    shape.bias = false;
    const kconv::ConvShape s = Validated(shape, KCONV_ELEMENT_F16);
    CAPTURE(kconv::FormatOf(s));
    const int phases = static_cast<int>(4 / k.stride_w);
    wg::Config config = wg::MakeConfig(2, 12, 8, 3, 2, phases);
    config.io = 1;
    std::mt19937_64 rng(static_cast<uint64_t>(k.c * 100 + k.w + k.pad));
    const std::vector<float> x = kconv_test::RandomTensor(shape.XElements(), rng);
    const std::vector<float> w = kconv_test::RandomTensor(shape.WElements(), rng);
    const std::vector<double> want = kconv_test::ReferenceConv(shape, x, w, {});
    for (const char* mode : {"1", "2"}) {  // the producers' copy, then the tensor copy's raw rows (the same planes)
      const kconv_test::ScopedEnvironment pair_rows("KCONV_PAIR_ROWS", mode);
      REQUIRE(wg::PairRowBand(s, config));
      REQUIRE(wg::Accepts(s, config, kH100).ok());
      const wg::PlanData d = wg::MakePlanData(s, config, kH100);
      CHECK(wg::Family().KernelSuffixes()[static_cast<size_t>(d.kernel)] == "_f16_k16");
      CHECK(TileMismatches(s, d, TileFromBand(s, d, x, w, phases), want) == 0);
      const kconv::StemParams& p = d.params.p;
      const int64_t plane_bytes = (s.c * kconv::BandPairRows(p.band_rows) * p.row_floats * 4 + 127) / 128 * 128;
      if (std::string(mode) == "1" || d.params.raw_row == 0) continue;
      // The raw rows after every plane, long enough for the last plane's units from its offset; pairing plane
      // `phase` from offset WidenedRawOffset(-pad_w, its first column) gives ProducersBand's plane.
      // (Past the staging too where the plan copies bands early: early_raw_test.cc.)
      CHECK(d.params.raw_offset >= phases * plane_bytes);
      if (d.params.early_raw == 0) CHECK(d.params.raw_offset == phases * plane_bytes);
      CHECK(d.params.raw_offset + s.c * p.band_rows * d.params.raw_row * 2 <= p.band_bytes);
      const int32_t first = static_cast<int32_t>(-s.pad_w), raw_start = kconv::WidenedRawStart(first);
      const int32_t units = p.row_floats / 4;
      std::vector<float> raw(static_cast<size_t>(s.c * p.band_rows * d.params.raw_row), 0.f);
      for (int64_t c = 0; c < s.c; ++c)
        for (int64_t r = 0; r < p.band_rows; ++r)
          for (int64_t e = 0; e < d.params.raw_row; ++e) {
            const int64_t ih = r - s.pad_h, iw = raw_start + e;
            if (ih >= 0 && ih < s.h && iw >= 0 && iw < s.w) {
              raw[static_cast<size_t>((c * p.band_rows + r) * d.params.raw_row + e)] =
                  x[static_cast<size_t>((c * s.h + ih) * s.w + iw)];
            }
          }
      for (int phase = 0; phase < phases; ++phase) {
        const int32_t plane_start = static_cast<int32_t>(phase * s.stride_w - s.pad_w);
        const int32_t shift = kconv::WidenedRawOffset(first, plane_start);
        CAPTURE(phase);
        CHECK(shift + 4 * units <= d.params.raw_row);
        CHECK(PairingMismatches(s, p, raw, d.params.raw_row, shift, ProducersBand(s, p, x, plane_start)) == 0);
      }
    }
  }
}
