// SPDX-License-Identifier: Apache-2.0
// The Hopper stem family's NHWC band (families/stem_common/nhwc_planes.h), on the CPU: a band laid out as the
// kernel's copies lay it out, read through the plan's chunk table with the weights where the packer puts
// them, computes the convolution. This is the whole of the NHWC layout's host-side arithmetic: the planes,
// the chunk order, the taps and the band's row length.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "families/stem_common/nhwc_planes.h"
#include "families/stem_wgmma_tf32/planner.h"
#include "families/stem_wgmma_tf32/tensor_map_recorder.h"
#include "prelude.h"
#include "runtime/conv_shape.h"
#include "validated_shape.h"

namespace {

namespace wg = kconv::stem_wgmma_tf32;

constexpr kconv::DeviceLimits kH100{90, 132, 227 * 1024, 228 * 1024, 2048, 65536};

kconv::ConvShape NhwcShape(const kconv_test::Shape& shape) {
  kconv_conv_desc d = shape.Desc();
  d.layout = KCONV_LAYOUT_NHWC;
  auto s = kconv::ValidateConvDesc(&d);
  REQUIRE(s.ok());
  return *s;
}

int64_t PlaneFloats(const wg::PlanData& d) { return (d.params.band_box_bytes + 127) / 128 * 32; }

// Tile 0's band as the tensor copies (and the producers' register copy) lay it out: band row r is input row
// r - pad_h from element 4 * C * first_position on; element f goes to plane (f / 4) % C, position (f / 4) / C.
std::vector<float> TensorCopyBand(const kconv::ConvShape& s, const wg::PlanData& d, const std::vector<float>& x) {
  const kconv::StemParams& p = d.params.p;
  const int64_t plane_floats = PlaneFloats(d);
  std::vector<float> band(static_cast<size_t>(p.band_bytes / 4 + 64 * 4), 0.f);  // wgmma may read past the band
  const int64_t start = 4 * s.c * d.params.first_position;
  for (int64_t r = 0; r < p.band_rows; ++r) {
    const int64_t ih = r - s.pad_h;
    for (int64_t f = 0; f < p.row_floats * s.c; ++f) {
      const int64_t e = start + f;
      const bool inside = ih >= 0 && ih < s.h && e >= 0 && e < s.w * s.c;
      band[static_cast<size_t>((f / 4) % s.c * plane_floats + r * p.row_floats + (f / 4) / s.c * 4 + f % 4)] =
          inside ? x[static_cast<size_t>(ih * s.w * s.c + e)] : 0.f;
    }
  }
  return band;
}

// Output row 0 of image 0, channel 0 ... k - 1, as the kernel's wgmma computes it from tile 0's band.
std::vector<double> RowFromBand(const kconv::ConvShape& s, const wg::PlanData& d, const std::vector<float>& band,
                                const std::vector<float>& w) {
  const kconv::StemParams& p = d.params.p;
  const int64_t plane_floats = PlaneFloats(d);
  std::vector<double> y(static_cast<size_t>(s.k * s.q), 0.0);
  for (int64_t chunk = 0; chunk < 2 * p.steps; ++chunk) {
    for (int e = 0; e < 4; ++e) {
      kconv::NhwcTap tap{};
      if (!kconv::NhwcTapAt(d.pack.planes, static_cast<int32_t>(s.r), static_cast<int32_t>(s.s),
                            static_cast<int32_t>(chunk), e, &tap)) {
        continue;
      }
      const int64_t first = p.chunk_offset[chunk] / 4;
      for (int64_t q = 0; q < s.q; ++q) {
        // Pixel q reads the chunk 16 q bytes on, within the chunk's own plane and row (the row is long enough).
        const int64_t at = first + 4 * q + e;
        REQUIRE(at / plane_floats == first / plane_floats);
        REQUIRE(at % plane_floats / p.row_floats == first % plane_floats / p.row_floats);
        for (int64_t n = 0; n < s.k; ++n) {
          y[static_cast<size_t>(n * s.q + q)] += static_cast<double>(band[static_cast<size_t>(at)]) *
                                                 w[static_cast<size_t>(((n * s.c + tap.c) * s.r + tap.r) * s.s + tap.s)];
        }
      }
    }
  }
  return y;
}

// Tile 0's band as the kernel's CopyBandNhwcAsync lays it out: lane l of band warp `worker` of 3 takes the groups
// i = l, l + 32, ... of rows worker, worker + 3, ... (16 bytes each, zeros where not valid), each to the plane and
// position NhwcGroupWalk keeps. Every destination is written once, by whichever warp owns its row, so the layout
// is the same for the five band warps some kernels run (BandWarps).
std::vector<float> AsyncCopyBand(const kconv::ConvShape& s, const wg::PlanData& d, const std::vector<float>& x) {
  const kconv::StemParams& p = d.params.p;
  const int64_t plane_floats = PlaneFloats(d);
  std::vector<float> band(static_cast<size_t>(p.band_bytes / 4 + 64 * 4), 0.f);
  const int32_t groups = p.row_floats / 4 * p.c, row_groups = p.w_in * p.c / 4, first = d.params.first_position * p.c;
  const int32_t ih0 = -static_cast<int32_t>(s.pad_h);  // tile 0
  for (int worker = 0; worker < 3; ++worker) {
    for (int32_t lane = 0; lane < 32; ++lane) {
      kconv::NhwcGroupWalk at = kconv::NhwcGroupWalk::Start(p.c, lane, 32);
      for (int32_t i = lane; i < groups; i += 32, at.Advance(p.c)) {
        const int32_t g = first + i;
        const bool column_valid = g >= 0 && g < row_groups;
        for (int32_t r = worker; r < p.band_rows; r += 3) {
          const int32_t ih = ih0 + r;
          const bool valid = column_valid && ih >= 0 && ih < p.h;
          for (int e = 0; e < 4; ++e) {
            band[static_cast<size_t>(at.plane * plane_floats + r * p.row_floats + at.position * 4 + e)] =
                valid ? x[static_cast<size_t>((static_cast<int64_t>(ih) * p.w_in * p.c) + 4 * g + e)] : 0.f;
          }
        }
      }
    }
  }
  return band;
}

}  // namespace

TEST_CASE("stem_wgmma_tf32.nhwc_band_through_the_chunk_table_computes_the_convolution") {
  wg::Config io = wg::MakeConfig(1, 12, 4, 5, 4, 1);  // m64n96_w4_k5x4 as an io=1 config: one-row tiles
  io.io = 1;
  struct Case {
    int64_t c, w, s, pad;
  };
  // AlexNet's footprint (misaligned by 2 floats), a patchify (aligned), one and four channels, a padding past
  // the kernel, and rows that are not whole pixel steps (the last two whole 16-byte groups).
  // The async copies' layout is checked where rows are whole 16-byte groups (whole pixel steps or not).
  const kconv_test::ScopedEnvironment async_copies("KCONV_NHWC_BAND_COPY", "async");
  for (const Case& k : {Case{3, 224, 11, 2}, Case{3, 64, 4, 0}, Case{1, 96, 5, 1}, Case{4, 100, 7, 3},
                        Case{2, 37, 3, 5}, Case{3, 61, 11, 2}, Case{2, 38, 3, 5}, Case{4, 101, 7, 3}}) {
    kconv_test::Shape shape{1, k.c, k.s + 2, k.w, 8, k.s, k.s};
    shape.stride_h = 4;
    shape.stride_w = 4;
    shape.pad_h = 1;
    shape.pad_w = k.pad;
    const kconv::ConvShape s = NhwcShape(shape);
    CAPTURE(kconv::FormatOf(s));
    REQUIRE(wg::Accepts(s, io, kH100).ok());
    const wg::PlanData d = wg::MakePlanData(s, io, kH100);
    REQUIRE(d.pack.planes.planes == k.c);
    // Every tap of the footprint is in exactly one (chunk, float), and the chunk table only grows along K.
    std::vector<int> seen(static_cast<size_t>(s.r * s.s * s.c), 0);
    for (int32_t chunk = 0; chunk < 2 * d.params.p.steps; ++chunk) {
      if (chunk > 0) CHECK(d.params.p.chunk_offset[chunk] >= d.params.p.chunk_offset[chunk - 1]);
      for (int e = 0; e < 4; ++e) {
        kconv::NhwcTap tap{};
        if (kconv::NhwcTapAt(d.pack.planes, static_cast<int32_t>(s.r), static_cast<int32_t>(s.s), chunk, e, &tap)) {
          ++seen[static_cast<size_t>((tap.r * s.s + tap.s) * s.c + tap.c)];
        }
      }
    }
    for (int count : seen) CHECK(count == 1);

    std::mt19937 rng(static_cast<uint32_t>(k.c * 1000 + k.s * 10 + k.pad));
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    std::vector<float> x(static_cast<size_t>(s.h * s.w * s.c)), w(static_cast<size_t>(s.k * s.c * s.r * s.s));
    for (float& v : x) v = u(rng);
    for (float& v : w) v = u(rng);
    // Where rows are whole 16-byte groups, the band warps' asynchronous copies lay it out as the tensor copies.
    CHECK(d.async_nhwc_band == ((k.w * k.c) % 4 == 0));
    if (d.async_nhwc_band) CHECK(AsyncCopyBand(s, d, x) == TensorCopyBand(s, d, x));
    const std::vector<float> band = TensorCopyBand(s, d, x);
    const std::vector<double> y = RowFromBand(s, d, band, w);
    for (int64_t n = 0; n < s.k; ++n) {
      for (int64_t q = 0; q < s.q; ++q) {
        double want = 0.0;  // output row 0: input rows -pad_h ..., columns 4 q - pad_w ...
        for (int64_t r = 0; r < s.r; ++r)
          for (int64_t t = 0; t < s.s; ++t)
            for (int64_t c = 0; c < s.c; ++c) {
              const int64_t ih = r - s.pad_h, iw = 4 * q + t - s.pad_w;
              if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
              want += static_cast<double>(x[static_cast<size_t>((ih * s.w + iw) * s.c + c)]) *
                      w[static_cast<size_t>(((n * s.c + c) * s.r + r) * s.s + t)];
            }
        CAPTURE(n);
        CAPTURE(q);
        CHECK(y[static_cast<size_t>(n * s.q + q)] == doctest::Approx(want).epsilon(1e-9));
      }
    }
  }
}

TEST_CASE("stem_wgmma_tf32.nhwc_tensor_copy_needs_whole_pixel_steps_and_fp32") {
  // The NHWC band map views a row as W / 4 pixel steps of C groups: a partial last step would copy the next
  // row's floats where the chunks need zeros, so W % 4 != 0 keeps the producers' copy. A fake driver records
  // the map the planner asks for.
  kconv::DriverApi api = kconv_test::RecordingTensorMapApi();
  const kconv_test::TensorMapRecord& map_call = kconv_test::LastTensorMap();
  wg::Config io = wg::MakeConfig(1, 12, 12, 5, 5, 1);  // m192n96_w12_k5x5
  io.io = 1;
  const kconv::ConvShape s = NhwcShape(kconv_test::AlexNetConv1(2));
  const wg::PlanData d = wg::MakePlanData(s, io, kH100);
  uint64_t map[16];
  REQUIRE(wg::EncodeBandMap(&api, s, d.params.p, 4096, map));
  CHECK(map_call.calls == 1);
  CHECK(map_call.rank == 5);
  CHECK(map_call.dims[0] == 4);
  CHECK(map_call.dims[1] == 3);    // C groups per pixel step
  CHECK(map_call.dims[2] == 56);   // 224 / 4 pixel steps
  CHECK(map_call.strides[0] == 16);
  CHECK(map_call.strides[1] == 48);
  CHECK(map_call.strides[2] == 224 * 3 * 4);
  CHECK(map_call.box[1] == 1);     // one plane per copy
  CHECK(map_call.box[2] * 16 == static_cast<cuuint32_t>(d.params.p.row_floats * 4));
  CHECK(map_call.box[3] == static_cast<cuuint32_t>(d.params.p.band_rows));
  CHECK_FALSE(wg::EncodeBandMap(&api, s, d.params.p, 4100, map));  // x not 16-byte aligned

  kconv_test::Shape odd = kconv_test::AlexNetConv1(2);
  odd.w = 223;
  const kconv::ConvShape o = NhwcShape(odd);
  CHECK_FALSE(wg::EncodeBandMap(&api, o, wg::MakePlanData(o, io, kH100).params.p, 4096, map));
  kconv_conv_desc half = kconv_test::AlexNetConv1(2).Desc();
  half.layout = KCONV_LAYOUT_NHWC;
  half.element_type = KCONV_ELEMENT_F16;
  auto h = kconv::ValidateConvDesc(&half);
  REQUIRE(h.ok());
  CHECK_FALSE(wg::EncodeBandMap(&api, *h, wg::MakePlanData(*h, io, kH100).params.p, 4096, map));  // widened
  CHECK(map_call.calls == 1);
}

TEST_CASE("stem_wgmma_tf32.nhwc_group_walk_keeps_each_groups_plane_and_position") {
  for (int32_t c : {1, 2, 3, 4, 5, 7, 31, 32, 33, 64, 100, 256}) {
    for (int32_t lane = 0; lane < 32; ++lane) {
      kconv::NhwcGroupWalk at = kconv::NhwcGroupWalk::Start(c, lane, 32);
      for (int32_t i = lane; i < 4096; i += 32, at.Advance(c)) {
        CAPTURE(c);
        CAPTURE(i);
        REQUIRE(at.plane == i % c);
        REQUIRE(at.position == i / c);
      }
    }
  }
}

TEST_CASE("stem_wgmma_tf32.nhwc_fp32_bands_of_wide_kernels_come_by_async_copies_where_rows_are_whole_groups") {
  wg::Config k5x5 = wg::MakeConfig(1, 12, 12, 5, 5, 1);  // m192n96_w12_k5x5
  k5x5.io = 1;
  wg::Config k3x2 = wg::MakeConfig(2, 12, 8, 3, 2, 1);  // m256n96_w8_k3x2, the patchifies' config
  k3x2.io = 1;
  wg::Config split = wg::MakeConfig(1, 12, 8, 3, 3, 1);  // m128n96_w8_k3x3_x3
  split.split = 1;
  wg::Config phases = wg::MakeConfig(2, 8, 8, 7, 3, 2);  // m256n64_w8_k7x3_p2
  phases.io = 1;
  const kconv::ConvShape alexnet = NhwcShape(kconv_test::AlexNetConv1(2));
  CHECK(wg::NhwcBandByAsyncCopies(alexnet, k5x5));
  CHECK(wg::MakePlanData(alexnet, k5x5, kH100).async_nhwc_band);
  CHECK_FALSE(wg::NhwcBandByAsyncCopies(alexnet, split));  // 3xTF32: the tensor copies, measured faster
  kconv_test::Shape patchify{2, 3, 224, 224, 96, 4, 4};
  patchify.stride_h = patchify.stride_w = 4;
  CHECK_FALSE(wg::NhwcBandByAsyncCopies(NhwcShape(patchify), k3x2));  // little math a band byte: tensor copies
  // ... unless the kernel is an 8-warp one with five band warps (BandWarps), as the n64 configs are: Swin's. The
  // 12-warp configs' five measured slower with the async copies on the patchifies.
  wg::Config n64 = wg::MakeConfig(2, 8, 8, 3, 2, 1);  // m256n64_w8_k3x2
  n64.io = 1;
  patchify.k = 128;
  CHECK(wg::BandWarps(n64.warps, n64.nt, false, KCONV_ELEMENT_F32, true, 1) == 5);
  CHECK(wg::BandWarps(k3x2.warps, k3x2.nt, false, KCONV_ELEMENT_F32, true, 1) == 3);
  CHECK(wg::NhwcBandByAsyncCopies(NhwcShape(patchify), n64));
  CHECK(wg::MakePlanData(NhwcShape(patchify), n64, kH100).geometry.threads == 32 * (8 + 1 + 5));
  CHECK(wg::BandWarps(k5x5.warps, k5x5.nt, false, KCONV_ELEMENT_F32, true, 1) == 5);
  CHECK_FALSE(wg::NhwcBandByAsyncCopies(NhwcShape(patchify), k5x5));  // AlexNet's 11 columns on it: async (above)

  kconv_test::Shape odd = kconv_test::AlexNetConv1(2);
  odd.w = 223;  // 669 floats a row: a group would straddle two rows
  CHECK_FALSE(wg::NhwcBandByAsyncCopies(NhwcShape(odd), k5x5));
  odd.c = 2;
  odd.w = 226;  // 452 floats: whole groups, though not whole pixel steps (which the tensor copy needs)
  CHECK(wg::NhwcBandByAsyncCopies(NhwcShape(odd), k5x5));
  const kconv_conv_desc nchw = kconv_test::AlexNetConv1(2).Desc();
  auto n = kconv::ValidateConvDesc(&nchw);
  REQUIRE(n.ok());
  CHECK_FALSE(wg::NhwcBandByAsyncCopies(*n, k5x5));
  kconv_conv_desc half = kconv_test::AlexNetConv1(2).Desc();
  half.layout = KCONV_LAYOUT_NHWC;
  half.element_type = KCONV_ELEMENT_F16;
  auto h = kconv::ValidateConvDesc(&half);
  REQUIRE(h.ok());
  CHECK_FALSE(wg::NhwcBandByAsyncCopies(*h, k5x5));  // 16-bit NHWC: widened through registers
  kconv_test::Shape resnet{2, 3, 224, 224, 64, 7, 7};
  resnet.stride_h = resnet.stride_w = 2;
  resnet.pad_h = resnet.pad_w = 3;
  CHECK_FALSE(wg::NhwcBandByAsyncCopies(NhwcShape(resnet), phases));  // strides 2 and 1: raw rows, widened

  {
    const kconv_test::ScopedEnvironment tensor_copies("KCONV_NHWC_BAND_COPY", "tensor");
    CHECK_FALSE(wg::NhwcBandByAsyncCopies(alexnet, k5x5));
    CHECK_FALSE(wg::MakePlanData(alexnet, k5x5, kH100).async_nhwc_band);
  }
  const kconv_test::ScopedEnvironment async_copies("KCONV_NHWC_BAND_COPY", "async");  // every eligible plan
  CHECK(wg::NhwcBandByAsyncCopies(alexnet, split));
  CHECK(wg::NhwcBandByAsyncCopies(NhwcShape(patchify), k3x2));
  CHECK_FALSE(wg::NhwcBandByAsyncCopies(*h, k5x5));
}
