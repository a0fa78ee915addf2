// SPDX-License-Identifier: Apache-2.0
// The Hopper stem family's 16-bit NHWC pair-row band (families/stem_common/nhwc_pair_rows.h), on the CPU: a band
// laid out as the producers lay it out (from x, or paired from a tensor copy's raw rows), read as wgmma k16 reads
// its descriptors (the unit table, LBO, SBO = 128 and each output row's piece offset), with the weights where the
// packer puts them, computes every output row of a tile.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "families/stem_common/nhwc_pair_rows.h"
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

wg::Config IoConfig(int mt, int warps, int wsteps, int wstages, int phases = 1) {
  wg::Config c = wg::MakeConfig(mt, 12, warps, wsteps, wstages, phases);
  c.io = 1;
  return c;
}

kconv::ConvShape Nhwc(const kconv_test::Shape& shape, kconv_element_type type) {
  return kconv_test::ValidatedIn(shape, type, KCONV_LAYOUT_NHWC, KCONV_MATH_TF32);
}

// A plane's bytes: ceil(band_rows / 2) pair rows of row_floats * 4 bytes, to 128.
int64_t PlaneBytes(const kconv::StemParams& p) {
  return (kconv::BandPairRows(p.band_rows) * p.row_floats * 4 + 127) / 128 * 128;
}

// Tile 0's band (image 0) as the producers lay it out: unit u of pair row i of plane c holds elements
// 4 * ((first_position + u) * C + c) ... + 3 of input rows 2i - pad_h and 2i + 1 - pad_h (x as [H][W * C]), the
// even row's first; zeros outside the image and past the band's rows. Indices in 16-bit elements, then room for
// wgmma's reads past the band.
std::vector<float> ProducersBand(const kconv::ConvShape& s, const wg::PlanData& d, const std::vector<float>& x) {
  const kconv::StemParams& p = d.params.p;
  const int64_t pairs = kconv::BandPairRows(p.band_rows), units = p.row_floats / 4, plane = PlaneBytes(p) / 2;
  REQUIRE(s.c * plane * 2 <= p.band_bytes);
  std::vector<float> band(static_cast<size_t>(s.c * plane + 64 * 8 * 8), 0.f);
  for (int64_t c = 0; c < s.c; ++c)
    for (int64_t i = 0; i < pairs; ++i)
      for (int64_t u = 0; u < units; ++u)
        for (int64_t h = 0; h < 2; ++h)
          for (int64_t e = 0; e < 4; ++e) {
            const int64_t row = 2 * i + h, ih = row - s.pad_h;
            const int64_t element = 4 * ((d.params.first_position + u) * s.c + c) + e;
            const bool inside = row < p.band_rows && ih >= 0 && ih < s.h && element >= 0 && element < s.w * s.c;
            band[static_cast<size_t>(c * plane + (i * units + u) * 8 + 4 * h + e)] =
                inside ? x[static_cast<size_t>(ih * s.w * s.c + element)] : 0.f;
          }
  return band;
}

// Every output row of tile 0 (image 0), channels 0 ... k - 1, as [row][channel][q], as the kernel's wgmma computes
// it from `band` with the packer's weights (NhwcPairRowTapAt).
std::vector<double> TileFromBand(const kconv::ConvShape& s, const wg::PlanData& d, const std::vector<float>& band,
                                 const std::vector<float>& w) {
  const kconv::StemParams& p = d.params.p;
  auto tap_at = [&](int32_t unit, int32_t e, int32_t* c, int32_t* r, int32_t* col) {
    kconv::NhwcTap tap{};
    const bool real = kconv::NhwcPairRowTapAt(d.pack.planes, static_cast<int32_t>(s.r), static_cast<int32_t>(s.s),
                                              unit, e, &tap);
    *c = tap.c, *r = tap.r, *col = tap.s;
    return real;
  };
  const std::vector<float> packed = kconv_test::PackK16Weights(p, s.k, s.r, s.s, w, tap_at);
  const int64_t rows = d.params.rows_per_tile;
  std::vector<double> y(static_cast<size_t>(rows * s.k * s.q), 0.0);
  for (int64_t o = 0; o < rows && o < s.p; ++o) {
    const int64_t piece = o * (s.stride_h / 2) * p.row_floats * 4;  // the kernel's piece offset, x0 = 0
    kconv_test::AddK16Products(p, band, static_cast<int64_t>(band.size()), packed, piece, s.q, s.k,
                               [&](int64_t m, int64_t n, double v) {
                                 y[static_cast<size_t>((o * s.k + n) * s.q + m)] += v;
                               });
  }
  return y;
}

// Outputs of TileFromBand's rows that differ from the convolution of x (NHWC) and w (KCRS), image 0.
int TileMismatches(const kconv::ConvShape& s, const wg::PlanData& d, const std::vector<double>& got,
                   const std::vector<float>& x, const std::vector<float>& w) {
  int mismatches = 0;
  for (int64_t o = 0; o < d.params.rows_per_tile && o < s.p; ++o)
    for (int64_t n = 0; n < s.k; ++n)
      for (int64_t q = 0; q < s.q; ++q) {
        double want = 0.0;
        for (int64_t r = 0; r < s.r; ++r)
          for (int64_t t = 0; t < s.s; ++t)
            for (int64_t c = 0; c < s.c; ++c) {
              const int64_t ih = o * s.stride_h + r - s.pad_h, iw = 4 * q + t - s.pad_w;
              if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
              want += static_cast<double>(x[static_cast<size_t>((ih * s.w + iw) * s.c + c)]) *
                      w[static_cast<size_t>(((n * s.c + c) * s.r + r) * s.s + t)];
            }
        if (!(got[static_cast<size_t>((o * s.k + n) * s.q + q)] == doctest::Approx(want).epsilon(1e-9))) ++mismatches;
      }
  return mismatches;
}

struct Case {
  int64_t c, h, w, r, s, stride_h, pad_h, pad_w;
};

kconv_test::Shape ShapeOf(const Case& k) {
  kconv_test::Shape shape{1, k.c, k.h, k.w, 8, k.r, k.s};
  shape.stride_h = k.stride_h;
  shape.stride_w = 4;
  shape.pad_h = k.pad_h;
  shape.pad_w = k.pad_w;
  shape.bias = false;
  return shape;
}

}  // namespace

TEST_CASE("stem_wgmma_tf32.nhwc_pair_row_band_through_the_unit_table_computes_the_convolution") {
  const kconv_test::ScopedEnvironment registers("KCONV_PAIR_ROWS", "1");
  // AlexNet's 11x11/4 (pad 2: the footprint starts 2 floats into a group; odd R), a 4x4/4 patchify, one and four
  // channels, a vertical stride of 2, a padding past a pixel step, rows of an odd count of elements.
  for (const Case& k : {Case{3, 31, 224, 11, 11, 4, 2, 2}, Case{3, 20, 64, 4, 4, 4, 0, 0}, Case{1, 17, 96, 5, 5, 2, 1, 1},
                        Case{4, 23, 100, 7, 7, 4, 3, 3}, Case{2, 15, 61, 3, 3, 2, 5, 5}, Case{3, 25, 221, 6, 9, 4, 1, 6}}) {
    const kconv_test::Shape shape = ShapeOf(k);
    const kconv::ConvShape s = Nhwc(shape, KCONV_ELEMENT_F16);
    CAPTURE(kconv::FormatOf(s));
    for (const wg::Config& config : {IoConfig(1, 12, 5, 5), IoConfig(1, 4, 5, 4), IoConfig(2, 8, 3, 2)}) {
      CAPTURE(config.warps);
      REQUIRE(wg::PairRowBand(s, config));
      REQUIRE(wg::Accepts(s, config, kH100).ok());
      const wg::PlanData d = wg::MakePlanData(s, config, kH100);
      REQUIRE(d.pair_rows);
      REQUIRE(d.pack.planes.planes == k.c);
      // Every tap of the footprint is in exactly one (unit, element) of the real units, and the table only grows.
      std::vector<int> seen(static_cast<size_t>(s.c * s.r * s.s), 0);
      for (int32_t unit = 0; unit < 2 * d.params.p.steps; ++unit) {
        if (unit > 0) CHECK(d.params.p.chunk_offset[unit] >= d.params.p.chunk_offset[unit - 1]);
        for (int e = 0; e < 8; ++e) {
          kconv::NhwcTap tap{};
          if (kconv::NhwcPairRowTapAt(d.pack.planes, static_cast<int32_t>(s.r), static_cast<int32_t>(s.s), unit, e,
                                      &tap)) {
            ++seen[static_cast<size_t>((tap.r * s.s + tap.s) * s.c + tap.c)];
          }
        }
      }
      for (int count : seen) CHECK(count == 1);
      // Half the k8 steps of the widened NHWC layout, or about (an odd R pads a pair row).
      CHECK(d.params.p.steps * 2 >= kconv::KernelPairRows(static_cast<int32_t>(s.r)) * d.pack.planes.groups);

      std::mt19937_64 rng(static_cast<uint64_t>(k.c * 1000 + k.r * 10 + k.pad_w));
      const std::vector<float> x = kconv_test::RandomTensor(shape.XElements(), rng);
      const std::vector<float> w = kconv_test::RandomTensor(shape.WElements(), rng);
      CHECK(TileMismatches(s, d, TileFromBand(s, d, ProducersBand(s, d, x), w), x, w) == 0);
    }
  }
}

TEST_CASE("stem_wgmma_tf32.nhwc_pair_row_tensor_copy_pairs_its_raw_rows_into_the_same_band") {
  // KCONV_PAIR_ROWS=2 (the default): the tensor copy delivers raw rows of raw_row pixels (every channel) from
  // -pad_w rounded down to a multiple of 8 (zeros outside the image), and the producers pair them by
  // NhwcPairRowRawIndex from NhwcPairRowRawBase.
  const kconv_test::ScopedEnvironment copy("KCONV_PAIR_ROWS", "2");
  kconv::DriverApi api = kconv_test::RecordingTensorMapApi();
  const kconv_test::TensorMapRecord& map_call = kconv_test::LastTensorMap();
  // Rows of whole 16-byte groups (W * C a multiple of 8).
  for (const Case& k : {Case{3, 31, 224, 11, 11, 4, 2, 2}, Case{3, 20, 64, 4, 4, 4, 0, 0}, Case{1, 17, 96, 5, 5, 2, 1, 1},
                        Case{4, 23, 100, 7, 7, 4, 3, 3}, Case{2, 15, 64, 3, 3, 2, 9, 9}}) {
    const kconv_test::Shape shape = ShapeOf(k);
    const kconv::ConvShape s = Nhwc(shape, KCONV_ELEMENT_BF16);
    CAPTURE(kconv::FormatOf(s));
    for (const wg::Config& config : {IoConfig(1, 12, 5, 5), IoConfig(1, 4, 5, 10), IoConfig(2, 8, 3, 2)}) {
      CAPTURE(config.warps);
      REQUIRE(wg::Accepts(s, config, kH100).ok());
      const wg::PlanData d = wg::MakePlanData(s, config, kH100);
      REQUIRE(d.pair_rows);
      const kconv::StemParams& p = d.params.p;
      const int32_t raw_row = d.params.raw_row, units = p.row_floats / 4;
      const int32_t start = kconv::WidenedRawStart(static_cast<int32_t>(-s.pad_w));
      const int32_t base = kconv::NhwcPairRowRawBase(p.c, d.params.first_position, start);
      // The raw rows: after the planes, inside the buffer, each row whole 16-byte groups holding every unit.
      REQUIRE(raw_row > 0);
      CHECK(raw_row % 8 == 0);
      CHECK(start % 8 == 0);
      CHECK(base >= 0);
      CHECK(base % 4 == 0);
      CHECK(base + 4 * units * p.c <= raw_row * p.c);
      CHECK(d.params.raw_offset % 128 == 0);
      CHECK(d.params.raw_offset >= s.c * PlaneBytes(p));
      CHECK(d.params.raw_offset + p.band_rows * raw_row * s.c * 2 <= p.band_bytes);
      CHECK(d.params.band_box_bytes == p.band_rows * raw_row * s.c * 2);
      // The copy: band row r is input row r - pad_h, elements start * C ... of it (zeros outside the image).
      std::vector<float> x(static_cast<size_t>(s.h * s.w * s.c));
      for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i + 1);
      std::vector<float> raw(static_cast<size_t>(p.band_rows) * raw_row * s.c, 0.f);
      for (int64_t r = 0; r < p.band_rows; ++r)
        for (int64_t e = 0; e < raw_row * s.c; ++e) {
          const int64_t ih = r - s.pad_h, element = start * s.c + e;
          if (ih >= 0 && ih < s.h && element >= 0 && element < s.w * s.c) {
            raw[static_cast<size_t>(r * raw_row * s.c + e)] = x[static_cast<size_t>(ih * s.w * s.c + element)];
          }
        }
      // The producers' pairing pass against the band laid out from x.
      const std::vector<float> want = ProducersBand(s, d, x);
      const int64_t plane = PlaneBytes(p) / 2;
      int mismatches = 0;
      for (int32_t c = 0; c < p.c; ++c)
        for (int32_t i = 0; i < kconv::BandPairRows(p.band_rows); ++i)
          for (int32_t u = 0; u < units; ++u)
            for (int32_t h = 0; h < 2; ++h)
              for (int32_t e = 0; e < 4; ++e) {
                const int32_t row = 2 * i + h;
                const float got =
                    row < p.band_rows
                        ? raw[static_cast<size_t>(kconv::NhwcPairRowRawIndex(p.c, raw_row, base, c, row, u, e))]
                        : 0.f;
                if (got != want[static_cast<size_t>(c * plane + (i * units + u) * 8 + 4 * h + e)]) ++mismatches;
              }
      CHECK(mismatches == 0);
      // The map: x as [N][H][W * C / G][G elements], a box of every raw row's groups: G = 8 C (8 pixels) where W
      // is a multiple of 8 (stride 4 here), else 8 (16 bytes).
      uint64_t map[16];
      REQUIRE(wg::EncodeRawRowBandMap(&api, s, d.params, 4096, map));
      const int64_t group = s.w % 8 == 0 && s.stride_w >= 2 ? 8 * s.c : 8;
      CHECK(d.params.raw_group == group);
      CHECK(map_call.type == CU_TENSOR_MAP_DATA_TYPE_UINT16);
      CHECK(map_call.rank == 4);
      CHECK(map_call.dims[0] == static_cast<cuuint64_t>(group));
      CHECK(map_call.dims[1] == static_cast<cuuint64_t>(s.w * s.c / group));
      CHECK(map_call.box[1] == static_cast<cuuint32_t>(raw_row * s.c / group));
      CHECK(map_call.box[2] == static_cast<cuuint32_t>(p.band_rows));
    }
  }
}

TEST_CASE("stem_wgmma_tf32.nhwc_pair_row_tiles_stage_pixel_major_inside_the_band_buffer") {
  // The consumers' turns (ping-pong) are NCHW's: an NHWC pair-row plan keeps whole tiles and the pixel-major fp32
  // staging (the bulk write's staging in the type is smaller), which must fit each band buffer. Swin's K = 128 takes
  // two channel groups on these configs (no bulk write: the fp32 staging is what runs).
  const kconv_test::ScopedEnvironment copy("KCONV_PAIR_ROWS", "2");
  const kconv_test::ScopedEnvironment turns("KCONV_PINGPONG", "1");
  for (int64_t k : {96, 128}) {
    kconv_test::Shape patchify{8, 3, 224, 224, k, 4, 4, 4, 4, 0, 0};
    const kconv::ConvShape s = Nhwc(patchify, KCONV_ELEMENT_F16);
    for (const wg::Config& config :
         {IoConfig(2, 8, 3, 2), IoConfig(2, 8, 3, 4), IoConfig(2, 8, 3, 9), IoConfig(1, 12, 3, 9)}) {
      CAPTURE(k);
      CAPTURE(config.wstages);
      if (!wg::Accepts(s, config, kH100).ok()) continue;
      const wg::PlanData d = wg::MakePlanData(s, config, kH100);
      REQUIRE(d.pair_rows);
      CHECK(d.params.pingpong == 0);
      CHECK(d.params.staging_stride == wg::StemWgmmaPixelStride(96));
      CHECK(int64_t{d.params.rows_per_tile} * d.params.tile_columns * d.params.staging_stride * 4 <=
            d.params.p.band_bytes);
    }
  }
}

TEST_CASE("stem_wgmma_tf32.nhwc_pair_rows_at_stride_4_only") {
  const kconv::ConvShape half = Nhwc(kconv_test::AlexNetConv1(2), KCONV_ELEMENT_F16);
  const kconv::ConvShape bf16 = Nhwc(kconv_test::AlexNetConv1(2), KCONV_ELEMENT_BF16);
  const wg::Config io = IoConfig(1, 12, 5, 5);
  const auto& suffixes = wg::Family().KernelSuffixes();
  auto kernel = [&](const kconv::ConvShape& s, const wg::Config& c) {
    return suffixes[static_cast<size_t>(wg::MakePlanData(s, c, kH100).kernel)];
  };
  auto packer = [&](const kconv::ConvShape& s, const wg::Config& c) {
    return suffixes[static_cast<size_t>(wg::MakePlanData(s, c, kH100).packer)];
  };
  CHECK(wg::PairRowBand(half, io));
  CHECK(kernel(half, io) == "_f16_nhwc_k16");
  CHECK(packer(half, io) == "_f16_k16_pack_weights");
  CHECK(kernel(bf16, io) == "_bf16_nhwc_k16");
  CHECK(packer(bf16, io) == "_bf16_k16_pack_weights");
  // AlexNet: 9 groups a kernel row (misalign 2 + 33 floats) over 6 kernel pair rows, 54 units in stages of 5 k16
  // steps: 30 steps, where the widened layout took 11 x 9 = 99 chunks in 50.
  CHECK(wg::MakePlanData(half, io, kH100).params.p.steps == 30);
  // Not at strides 2 and 1 (NHWC's phase planes are gathered and widened), for fp32, or with KCONV_PAIR_ROWS=0.
  kconv_test::Shape stride2{2, 3, 64, 64, 32, 7, 7, 2, 2, 3, 3};
  const kconv::ConvShape resnet = Nhwc(stride2, KCONV_ELEMENT_F16);
  const wg::Config phases = IoConfig(1, 12, 5, 5, 2);
  CHECK_FALSE(wg::PairRowBand(resnet, phases));
  CHECK(kernel(resnet, phases) == "_f16_nhwc");
  CHECK_FALSE(wg::PairRowBand(Nhwc(kconv_test::AlexNetConv1(2), KCONV_ELEMENT_F32), io));
  const kconv_test::ScopedEnvironment off("KCONV_PAIR_ROWS", "0");
  CHECK_FALSE(wg::PairRowBand(half, io));
  CHECK(kernel(half, io) == "_f16_nhwc");
  CHECK(packer(half, io) == "_f16_pack_weights");
}
