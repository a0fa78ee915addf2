// SPDX-License-Identifier: Apache-2.0
// The host path against hand-computed results and the float64 reference.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "kconv/kconv.h"
#include "prelude.h"

using kconv_test::Shape;

TEST_CASE("conv2d.host.hand_checked_box_filter_with_padding") {
  // x = 1..9 in a 3x3 image; a 2x2 kernel of ones with padding 1 sums each 2x2 window of the padded
  // image; bias 0.5.
  const Shape s{1, 1, 3, 3, 1, 2, 2, 1, 1, 1, 1};
  const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w = {1, 1, 1, 1}, b = {0.5f};
  std::vector<float> y(16, NAN);
  const kconv_conv_desc d = s.Desc();
  REQUIRE(kconv_forward_host(&d, x.data(), w.data(), b.data(), y.data()) == KCONV_STATUS_OK);
  const float expected[16] = {1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9};
  for (int i = 0; i < 16; ++i) CHECK(y[i] == doctest::Approx(expected[i] + 0.5f));
}

TEST_CASE("conv2d.host.hand_checked_stride_dilation_channels_and_relu") {
  // Two input channels of a 5x5 ramp (channel 1 negated and doubled), one 2x2 kernel per channel,
  // dilation 2, stride 2: output (p, q) reads x[2p + {0,2}][2q + {0,2}].
  const Shape s{1, 2, 5, 5, 2, 2, 2, 2, 2, 0, 0, 2, 2, false, true};
  std::vector<float> x(50);
  for (int i = 0; i < 25; ++i) {
    x[i] = static_cast<float>(i);
    x[25 + i] = -2.f * i;
  }
  // Filter 0 sums channel 0's four taps; filter 1 takes channel 1's top-left tap, negated.
  std::vector<float> w(16, 0.f);
  for (int t = 0; t < 4; ++t) w[t] = 1.f;
  w[8 + 4] = -1.f;
  std::vector<float> y(8, NAN);
  kconv_conv_desc d = s.Desc();
  REQUIRE(kconv_forward_host(&d, x.data(), w.data(), nullptr, y.data()) == KCONV_STATUS_OK);
  // Filter 0 at (p,q): x[a] + x[a+2] + x[a+10] + x[a+12] with a = 10p + 2q = 4a + 24.
  for (int p = 0; p < 2; ++p)
    for (int q = 0; q < 2; ++q) {
      const int a = 10 * p + 2 * q;
      CHECK(y[p * 2 + q] == doctest::Approx(4 * a + 24));
      CHECK(y[4 + p * 2 + q] == doctest::Approx(2 * a));  // -(-2a), positive so ReLU keeps it
    }
  // With the weights negated, ReLU clamps filter 0 to zero.
  for (int t = 0; t < 4; ++t) w[t] = -1.f;
  REQUIRE(kconv_forward_host(&d, x.data(), w.data(), nullptr, y.data()) == KCONV_STATUS_OK);
  for (int i = 0; i < 4; ++i) CHECK(y[i] == 0.f);
}

TEST_CASE("conv2d.host.matches_float64_reference_on_random_shapes") {
  std::mt19937_64 rng(20261121);
  std::uniform_int_distribution<int> pick(0, 1 << 20);
  for (int trial = 0; trial < 60; ++trial) {
    Shape s{1 + pick(rng) % 3, 1 + pick(rng) % 5, 1 + pick(rng) % 13, 1 + pick(rng) % 13, 1 + pick(rng) % 7,
            1 + pick(rng) % 5, 1 + pick(rng) % 5};
    s.stride_h = 1 + pick(rng) % 4;
    s.stride_w = 1 + pick(rng) % 4;
    s.pad_h = pick(rng) % 4;
    s.pad_w = pick(rng) % 4;
    s.dil_h = 1 + pick(rng) % 2;
    s.dil_w = 1 + pick(rng) % 2;
    s.bias = pick(rng) % 2;
    s.relu = pick(rng) % 2;
    const kconv_conv_desc d = s.Desc();
    int64_t dims[4];
    if (kconv_conv_output_shape(&d, dims) != KCONV_STATUS_OK) continue;  // empty output: drawn again
    CAPTURE(s.Name());
    const auto x = kconv_test::RandomTensor(s.XElements(), rng), w = kconv_test::RandomTensor(s.WElements(), rng),
               b = kconv_test::RandomTensor(s.k, rng);
    std::vector<float> y(s.YElements(), NAN);
    REQUIRE(kconv_forward_host(&d, x.data(), w.data(), s.bias ? b.data() : nullptr, y.data()) == KCONV_STATUS_OK);
    const std::vector<double> ref = kconv_test::ReferenceConv(s, x, w, b);
    CHECK(kconv_test::RelativeL2(y.data(), ref.data(), s.YElements()) < 1e-6);
    CHECK(kconv_test::CountOutsideTolerance(y.data(), ref.data(), s.YElements(), 1e-5, 1e-6) == 0);
  }
}

TEST_CASE("conv2d.host.alexnet_conv1_batch_1") {
  std::mt19937_64 rng(1);
  const Shape s = kconv_test::AlexNetConv1(1);
  const auto x = kconv_test::RandomTensor(s.XElements(), rng), w = kconv_test::RandomTensor(s.WElements(), rng),
             b = kconv_test::RandomTensor(s.k, rng);
  std::vector<float> y(s.YElements(), NAN);
  const kconv_conv_desc d = s.Desc();
  REQUIRE(kconv_forward_host(&d, x.data(), w.data(), b.data(), y.data()) == KCONV_STATUS_OK);
  const std::vector<double> ref = kconv_test::ReferenceConv(s, x, w, b);
  CHECK(kconv_test::RelativeL2(y.data(), ref.data(), s.YElements()) < 1e-6);  // fp32 accumulation
  // The float64-accumulation reference path is exact to fp32 rounding.
  kconv_host_options options;
  kconv_host_options_init(&options);
  options.reference = 1;
  std::fill(y.begin(), y.end(), NAN);
  REQUIRE(kconv_forward_host_with_options(&d, x.data(), w.data(), b.data(), y.data(), &options, nullptr) ==
          KCONV_STATUS_OK);
  CHECK(kconv_test::RelativeL2(y.data(), ref.data(), s.YElements()) < 1e-7);
}

TEST_CASE("conv2d.host.nan_input_propagates_through_relu") {
  const Shape s{1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, false, true};
  const std::vector<float> x = {NAN}, w = {1.f};
  std::vector<float> y(1, 0.f);
  const kconv_conv_desc d = s.Desc();
  REQUIRE(kconv_forward_host(&d, x.data(), w.data(), nullptr, y.data()) == KCONV_STATUS_OK);
  CHECK(std::isnan(y[0]));
}

TEST_CASE("conv2d.host.an_inf_input_gives_signed_infs_in_its_window_only") {
  // +Inf at x[0][1][4][4] under a 3x3 kernel, padding 1: outputs (k, p, q) with p, q in 3..5 hold it at tap
  // (4 - p + 1, 4 - q + 1), and IEEE gives Inf with that weight's sign, or NaN where the weight is 0 (one is
  // set to 0). Every other output stays finite. The fast path and the float64 reference path alike.
  const Shape s{1, 2, 8, 8, 4, 3, 3, 1, 1, 1, 1};
  std::mt19937_64 rng(7);
  std::vector<float> x = kconv_test::RandomTensor(s.XElements(), rng);
  std::vector<float> w = kconv_test::RandomTensor(s.WElements(), rng);
  const std::vector<float> b = kconv_test::RandomTensor(s.k, rng);
  x[(1 * 8 + 4) * 8 + 4] = INFINITY;
  w[((2 * 2 + 1) * 3 + 1) * 3 + 1] = 0.f;  // k 2, c 1, the centre tap: output (2, 4, 4) is NaN
  const kconv_conv_desc d = s.Desc();
  for (const int reference : {0, 1}) {
    CAPTURE(reference);
    kconv_host_options options;
    kconv_host_options_init(&options);
    options.reference = reference;
    std::vector<float> y(s.YElements(), 0.f);
    REQUIRE(kconv_forward_host_with_options(&d, x.data(), w.data(), b.data(), y.data(), &options, nullptr) ==
            KCONV_STATUS_OK);
    int specials = 0;
    for (int k = 0; k < 4; ++k)
      for (int p = 0; p < 8; ++p)
        for (int q = 0; q < 8; ++q) {
          const float v = y[(k * 8 + p) * 8 + q];
          const int dh = 4 - (p - 1), dw = 4 - (q - 1);
          if (dh < 0 || dh >= 3 || dw < 0 || dw >= 3) {
            CHECK(std::isfinite(v));
            continue;
          }
          ++specials;
          const float weight = w[((k * 2 + 1) * 3 + dh) * 3 + dw];
          if (weight == 0.f) {
            CHECK(std::isnan(v));
          } else {
            CHECK(v == std::copysign(INFINITY, weight));
          }
        }
    CHECK(specials == 4 * 9);
  }
}
