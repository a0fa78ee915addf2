// SPDX-License-Identifier: Apache-2.0
// Shared by the test suites: descriptors, random tensors, the float64 reference convolution and the
// error measures.
#pragma once

#include <stdint.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "kconv/kconv.h"

namespace kconv_test {

struct Shape {
  int64_t n, c, h, w, k, r, s;
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dil_h = 1, dil_w = 1;
  bool bias = true, relu = false;

  kconv_conv_desc Desc() const;
  int64_t P() const { return (h + 2 * pad_h - dil_h * (r - 1) - 1) / stride_h + 1; }
  int64_t Q() const { return (w + 2 * pad_w - dil_w * (s - 1) - 1) / stride_w + 1; }
  int64_t XElements() const { return n * c * h * w; }
  int64_t WElements() const { return k * c * r * s; }
  int64_t YElements() const { return n * k * P() * Q(); }
  std::string Name() const;
};

// AlexNet conv1: 3 -> 96 channels, 11x11, stride 4, padding 2, bias.
Shape AlexNetConv1(int64_t n);
// The ResNet stem: 3 -> 64 channels, 7x7, stride 2, padding 3.
Shape ResNetStem(int64_t n);
// A later layer no stem family serves (dilation 2, 16 input channels): the implicit GEMM's.
Shape DilatedLayer(int64_t n);

// Sets an environment variable for the life of the object (a failed REQUIRE included), then restores what it
// was (unset, if it was).
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const char* value);
  ~ScopedEnvironment();
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  std::string name_;
  std::optional<std::string> before_;
};

std::vector<float> RandomTensor(int64_t elements, std::mt19937_64& rng, float lo = -1.f, float hi = 1.f);

// Direct float64 convolution, written as plainly as possible: seven loops, one bounds test per tap.
std::vector<double> ReferenceConv(const Shape& s, const std::vector<float>& x, const std::vector<float>& w,
                                  const std::vector<float>& bias);

// ||out - ref|| / ||ref||; infinite if out holds a NaN (an unwritten or broken element). The norm counts each
// reference value as at least `magnitude_floor` in size: a 16-bit output type cannot hold a value below its
// smallest normal to its relative precision (fp16 keeps 2^-24 absolute there), so an output that small, alone,
// would fail any relative bar whatever the kernel did.
double RelativeL2(const float* out, const double* ref, int64_t n, double magnitude_floor = 0);

// Elements with |out - ref| > atol + rtol*|ref| (NaN counts as a violation).
int64_t CountOutsideTolerance(const float* out, const double* ref, int64_t n, double atol, double rtol);

}  // namespace kconv_test
