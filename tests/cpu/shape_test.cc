// SPDX-License-Identifier: Apache-2.0
// Output-shape arithmetic and the kernels' fast division.
#include <doctest/doctest.h>

#include <random>

#include "kconv/kconv.h"
#include "prelude.h"
#include "ptx/fast_divmod.h"

using kconv_test::Shape;

namespace {

void ExpectDims(const kconv_conv_desc& d, int64_t n, int64_t k, int64_t p, int64_t q) {
  int64_t dims[4] = {};
  REQUIRE(kconv_conv_output_shape(&d, dims) == KCONV_STATUS_OK);
  CHECK(dims[0] == n);
  CHECK(dims[1] == k);
  CHECK(dims[2] == p);
  CHECK(dims[3] == q);
}

}  // namespace

TEST_CASE("conv2d.shape.known_networks") {
  ExpectDims(kconv_test::AlexNetConv1(256).Desc(), 256, 96, 55, 55);
  ExpectDims(kconv_test::ResNetStem(8).Desc(), 8, 64, 112, 112);
  ExpectDims(Shape{1, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1}.Desc(), 1, 64, 56, 56);  // same padding
  ExpectDims(Shape{2, 16, 14, 14, 32, 1, 1, 2, 2}.Desc(), 2, 32, 7, 7);           // 1x1 stride 2
}

TEST_CASE("conv2d.shape.asymmetric_stride_padding_and_dilation") {
  // P = (10 + 2*1 - 2*(3-1) - 1)/3 + 1 = 3; Q = (7 + 0 - 1*(2-1) - 1)/1 + 1 = 6
  ExpectDims(Shape{1, 1, 10, 7, 1, 3, 2, 3, 1, 1, 0, 2, 1}.Desc(), 1, 1, 3, 6);
  // Stride larger than the kernel skips input: (9 - 2)/5 + 1 = 2
  ExpectDims(Shape{1, 1, 9, 9, 1, 2, 2, 5, 5}.Desc(), 1, 1, 2, 2);
  // Padding larger than the kernel: (1 + 2*3 - 1)/1 + 1 = 7
  ExpectDims(Shape{1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3}.Desc(), 1, 1, 7, 7);
}

TEST_CASE("conv2d.shape.fast_divmod_matches_division") {
  std::mt19937 rng(7);
  for (uint32_t d : {1u, 2u, 3u, 7u, 11u, 55u, 121u, 363u, 3025u, 12544u, 65535u, 1u << 20, 2147483647u}) {
    const kconv::FastDivmod f = kconv::FastDivmod::Make(d);
    for (int i = 0; i < 20000; ++i) {
      uint32_t n = i < 1000 ? static_cast<uint32_t>(i) : rng() & 0x7fffffffu;
      if (i == 1001) n = 0x7fffffffu;
      uint32_t q, r;
      f.DivMod(n, q, r);
      REQUIRE(q == n / d);
      REQUIRE(r == n % d);
    }
  }
}
