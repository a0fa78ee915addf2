// SPDX-License-Identifier: Apache-2.0
// The im2col family's gather (gather.h) and packed-weight order on the CPU, in NCHW and NHWC: the GEMM the
// kernel computes from them (the chunk table, each pixel's window and element indices, the packer's taps, the
// epilogue's output index) equals the float64 convolution, and a load width LoadWidth allows never splits a
// load between a real element and a zero.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "families/im2col_wgmma_tf32/gather.h"
#include "families/im2col_wgmma_tf32/planner.h"
#include "prelude.h"
#include "runtime/conv_shape.h"
#include "validated_shape.h"

namespace {

namespace ic = kconv::im2col_wgmma_tf32;

constexpr kconv::DeviceLimits kH100{90, 132, 227 * 1024, 228 * 1024, 2048, 65536};
constexpr ic::Config kIo = ic::MakeConfig(1, 12, 8, 4, 5, 1);  // m128n96_w8_k4x5_io

kconv::ConvShape In(const kconv_test::Shape& shape, kconv_element_type type, kconv_layout layout) {
  return kconv_test::ValidatedIn(shape, type, layout, KCONV_MATH_TF32);
}

// x (NCHW) in `layout`.
std::vector<float> Laid(const std::vector<float>& nchw, const kconv_test::Shape& s, kconv_layout layout) {
  if (layout == KCONV_LAYOUT_NCHW) return nchw;
  std::vector<float> nhwc(nchw.size());
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t c = 0; c < s.c; ++c)
      for (int64_t h = 0; h < s.h; ++h)
        for (int64_t w = 0; w < s.w; ++w) {
          nhwc[((n * s.h + h) * s.w + w) * s.c + c] = nchw[((n * s.c + c) * s.h + h) * s.w + w];
        }
  return nhwc;
}

ic::PixelWindow WindowOf(const ic::Im2colParams& p, int64_t pixel) {
  return ic::MakePixelWindow(p, pixel / p.pq, static_cast<int32_t>(pixel % p.pq / p.q), static_cast<int32_t>(pixel % p.q));
}

// The weight the packer puts at element e of chunk `chunk` for channel n (stem_tile.cuh's PackWeights).
float PackedWeight(const ic::PlanData& d, const std::vector<float>& w, int n, int chunk, int e) {
  const kconv::StemPackParams& p = d.pack;
  int32_t c, r, s;
  bool tap;
  if (p.flat_rows) {
    tap = kconv::FlatRowTapAt(p.c, p.r, p.s, p.j, chunk, e, &c, &r, &s);
  } else {
    c = chunk / (p.j * p.r);
    r = chunk / p.j % p.r;
    s = 4 * (chunk % p.j) + e;
    tap = c < p.c && s < p.s;
  }
  if (!tap || n >= p.k || chunk >= 2 * p.steps) return 0.f;
  return w[((static_cast<int64_t>(n) * p.c + c) * p.r + r) * p.s + s];
}

}  // namespace

TEST_CASE("im2col_wgmma_tf32.gather_and_packed_weights_compute_the_convolution_in_both_layouts") {
  std::mt19937_64 rng(20261205);
  const kconv_test::Shape shapes[] = {
      {2, 3, 32, 32, 20, 16, 16, 16, 16},           // a patchify (ViT's 16x16/16, smaller)
      {1, 3, 23, 29, 9, 7, 7, 3, 3, 3, 3},          // stride 3, padding, odd widths
      {2, 4, 17, 21, 5, 5, 3, 2, 1, 2, 1, 1, 1, true, true},  // RGBA, asymmetric kernel and strides, ReLU
      {1, 1, 15, 15, 3, 11, 11, 4, 4, 2, 2},        // one channel, 11x11
  };
  for (const kconv_test::Shape& shape : shapes) {
    const std::vector<float> x = kconv_test::RandomTensor(shape.XElements(), rng);
    const std::vector<float> w = kconv_test::RandomTensor(shape.WElements(), rng);
    const std::vector<float> bias = kconv_test::RandomTensor(shape.k, rng);
    const std::vector<double> ref = kconv_test::ReferenceConv(shape, x, w, bias);
    for (const kconv_layout layout : {KCONV_LAYOUT_NCHW, KCONV_LAYOUT_NHWC}) {
      const std::string name = shape.Name() + (layout == KCONV_LAYOUT_NHWC ? " NHWC" : " NCHW");
      CAPTURE(name);
      const kconv::ConvShape s = In(shape, KCONV_ELEMENT_F32, layout);
      REQUIRE(ic::Accepts(s, kIo, kH100).ok());
      const ic::PlanData d = ic::MakePlanData(s, kIo);
      const ic::Im2colParams& p = d.params;
      const std::vector<float> laid = Laid(x, shape, layout);
      // The kernel's y, read back as NCHW.
      std::vector<float> y(static_cast<size_t>(shape.YElements()), NAN);
      for (int64_t pixel = 0; pixel < p.pixels; ++pixel) {
        const ic::PixelWindow window = WindowOf(p, pixel);
        for (int n = 0; n < p.k; ++n) {
          double sum = 0;
          for (int i = 0; i < 2 * p.steps; ++i) {
            const ic::Chunk chunk = ic::ChunkAt(p, i);
            for (int e = 0; e < 4; ++e) {
              if (!ic::ChunkElementInside(p, window, chunk, e)) continue;
              const int64_t index = ic::ChunkIndex(window, chunk) + e;
              REQUIRE(index >= 0);
              REQUIRE(index < static_cast<int64_t>(laid.size()));
              sum += static_cast<double>(laid[static_cast<size_t>(index)]) * PackedWeight(d, w, n, i, e);
            }
          }
          sum += bias[n];
          if (shape.relu && sum < 0) sum = 0;
          const int64_t image = pixel / p.pq, pq = pixel % p.pq;
          y[static_cast<size_t>((image * p.k + n) * p.pq + pq)] = static_cast<float>(sum);
        }
      }
      CHECK(kconv_test::RelativeL2(y.data(), ref.data(), static_cast<int64_t>(ref.size())) < 1e-6);
    }
  }
}

TEST_CASE("im2col_wgmma_tf32.a_load_the_width_allows_is_wholly_inside_or_outside") {
  // For every pixel and chunk, the elements one load of LoadWidth's width covers are all real or all zero
  // (but for a pair's element past an odd kernel row, which the kernel zeroes apart).
  struct Case {
    kconv_test::Shape shape;
    kconv_element_type type;
    kconv_layout layout;
    int width;
  };
  const Case cases[] = {
      {{1, 3, 32, 32, 8, 16, 16, 16, 16}, KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, 4},
      {{1, 3, 32, 32, 8, 16, 16, 16, 16}, KCONV_ELEMENT_F16, KCONV_LAYOUT_NHWC, 4},  // 48-element kernel rows
      {{1, 3, 32, 32, 8, 16, 16, 16, 16, 2, 2}, KCONV_ELEMENT_BF16, KCONV_LAYOUT_NHWC, 2},  // pad 2 * 3 = 6
      {{1, 3, 30, 30, 8, 11, 11, 4, 4, 2, 2}, KCONV_ELEMENT_F16, KCONV_LAYOUT_NCHW, 2},
      {{1, 4, 20, 20, 8, 3, 3, 1, 1, 1, 1}, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, 4},  // RGBA: a pixel a chunk
      {{1, 3, 21, 21, 8, 3, 3, 1, 1, 1, 1}, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC, 1},
  };
  for (const Case& k : cases) {
    const kconv::ConvShape s = In(k.shape, k.type, k.layout);
    const std::string name = k.shape.Name();
    CAPTURE(name);
    CAPTURE(k.layout);
    REQUIRE(ic::LoadWidth(s, 0x10000) == k.width);
    const ic::PlanData d = ic::MakePlanData(s, kIo);
    const ic::Im2colParams& p = d.params;
    int64_t split = 0, misaligned = 0;
    for (int64_t pixel = 0; pixel < p.pixels; ++pixel) {
      const ic::PixelWindow window = WindowOf(p, pixel);
      for (int i = 0; i < p.real_chunks; ++i) {
        const ic::Chunk chunk = ic::ChunkAt(p, i);
        for (int first = 0; first < 4; first += k.width) {
          const bool inside = ic::ChunkElementInside(p, window, chunk, first);
          if (inside && (ic::ChunkIndex(window, chunk) + first) % k.width != 0) ++misaligned;
          for (int e = first + 1; e < first + k.width; ++e) {
            const bool past_row = chunk.first + e >= p.row_taps;
            if (!past_row && ic::ChunkElementInside(p, window, chunk, e) != inside) ++split;
          }
        }
      }
    }
    CHECK(split == 0);
    CHECK(misaligned == 0);
  }
  // 16-bit loads need half the alignment: an NHWC fp16 ViT at x 8-byte aligned still loads 4 elements.
  const kconv::ConvShape vit16 = In({1, 3, 32, 32, 8, 16, 16, 16, 16}, KCONV_ELEMENT_F16, KCONV_LAYOUT_NHWC);
  CHECK(ic::LoadWidth(vit16, 0x10008) == 4);
  CHECK(ic::LoadWidth(vit16, 0x10004) == 2);
  CHECK(ic::LoadWidth(vit16, 0x10002) == 1);
}

TEST_CASE("im2col_wgmma_tf32.io_configs_take_16_bit_and_nhwc_and_the_others_refuse_them") {
  const kconv_test::Shape vit{64, 3, 224, 224, 768, 16, 16, 16, 16};
  const ic::Config fp32_only = ic::MakeConfig(1, 12, 8, 4, 5, 0);
  for (const kconv_element_type type : {KCONV_ELEMENT_F32, KCONV_ELEMENT_F16, KCONV_ELEMENT_BF16}) {
    for (const kconv_layout layout : {KCONV_LAYOUT_NCHW, KCONV_LAYOUT_NHWC}) {
      CAPTURE(type);
      CAPTURE(layout);
      const kconv::ConvShape s = In(vit, type, layout);
      CHECK(ic::Accepts(s, kIo, kH100).ok());
      const bool plain = type == KCONV_ELEMENT_F32 && layout == KCONV_LAYOUT_NCHW;
      const absl::Status refused = ic::Accepts(s, fp32_only, kH100);
      CHECK(refused.ok() == plain);
      if (!plain) CHECK(std::string(refused.message()).find("io=0") != std::string::npos);
      const ic::PlanData d = ic::MakePlanData(s, kIo);
      CHECK(d.kernel == 3 * type + (layout == KCONV_LAYOUT_NHWC ? 2 : 0));
      CHECK(d.packer == 3 * type + 1);
      CHECK(d.pack.flat_rows == (layout == KCONV_LAYOUT_NHWC ? 1 : 0));
      // NHWC: kernel rows of 48 (s, c) elements, 12 chunks each; NCHW: 3 channels x 16 rows x 4 chunks.
      CHECK(d.params.real_chunks == (layout == KCONV_LAYOUT_NHWC ? 16 * 12 : 3 * 16 * 4));
    }
  }
  // A chunk's offset reaches R input rows down: refused where that passes the kernel's 32-bit offsets (a
  // review's example: 81 rows of 2^24 RGBA pixels).
  const kconv_test::Shape tall{1, 4, 1, 1 << 24, 8, 81, 1, 1, 1, 40, 0};
  const absl::Status far = ic::Accepts(In(tall, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC), kIo, kH100);
  CHECK_FALSE(far.ok());
  CHECK(std::string(far.message()).find("32-bit") != std::string::npos);
  // 16-bit NHWC at stride 1 is left to the FFMA implicit GEMM (measured faster); fp32 NHWC and 16-bit NCHW
  // at stride 1, and 16-bit NHWC at stride 2, are accepted (16-bit NCHW goes to stem_tf32 first where it fits).
  const kconv_test::Shape vgg{2, 3, 32, 32, 64, 3, 3, 1, 1, 1, 1};
  const absl::Status sixteen = ic::Accepts(In(vgg, KCONV_ELEMENT_BF16, KCONV_LAYOUT_NHWC), kIo, kH100);
  CHECK_FALSE(sixteen.ok());
  CHECK(std::string(sixteen.message()).find("stride 1") != std::string::npos);
  CHECK(ic::Accepts(In(vgg, KCONV_ELEMENT_F32, KCONV_LAYOUT_NHWC), kIo, kH100).ok());
  CHECK(ic::Accepts(In(vgg, KCONV_ELEMENT_F16, KCONV_LAYOUT_NCHW), kIo, kH100).ok());
  const kconv_test::Shape mobilenet{2, 3, 32, 32, 32, 3, 3, 2, 2, 1, 1};
  CHECK(ic::Accepts(In(mobilenet, KCONV_ELEMENT_F16, KCONV_LAYOUT_NHWC), kIo, kH100).ok());
  // fp32 in TF32 only; 16-bit tensors in every math mode (their products are exact).
  CHECK_FALSE(ic::Accepts(kconv_test::ValidatedIn(vit, KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW, KCONV_MATH_FP32), kIo,
                          kH100).ok());
  CHECK(ic::Accepts(kconv_test::ValidatedIn(vit, KCONV_ELEMENT_F16, KCONV_LAYOUT_NCHW, KCONV_MATH_3XTF32), kIo, kH100)
            .ok());
}
