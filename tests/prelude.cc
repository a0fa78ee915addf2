// SPDX-License-Identifier: Apache-2.0
#include "prelude.h"

#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace kconv_test {

kconv_conv_desc Shape::Desc() const {
  kconv_conv_desc d;
  kconv_conv_desc_init(&d);
  d.n = n, d.c = c, d.h = h, d.w = w, d.k = k, d.r = r, d.s = s;
  d.stride_h = stride_h, d.stride_w = stride_w, d.pad_h = pad_h, d.pad_w = pad_w, d.dil_h = dil_h, d.dil_w = dil_w;
  d.has_bias = bias ? 1 : 0;
  d.relu = relu ? 1 : 0;
  return d;
}

std::string Shape::Name() const {
  std::ostringstream o;
  o << "N" << n << " C" << c << " " << h << "x" << w << " K" << k << " " << r << "x" << s << " stride " << stride_h
    << "," << stride_w << " pad " << pad_h << "," << pad_w << " dil " << dil_h << "," << dil_w
    << (bias ? " bias" : "") << (relu ? " relu" : "");
  return o.str();
}

Shape AlexNetConv1(int64_t n) { return Shape{n, 3, 224, 224, 96, 11, 11, 4, 4, 2, 2}; }
Shape ResNetStem(int64_t n) { return Shape{n, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3}; }
Shape DilatedLayer(int64_t n) { return Shape{n, 16, 56, 56, 64, 3, 3, 1, 1, 2, 2, 2, 2}; }

std::vector<float> RandomTensor(int64_t elements, std::mt19937_64& rng, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(elements));
  for (float& e : v) e = dist(rng);
  return v;
}

ScopedEnvironment::ScopedEnvironment(const char* name, const char* value) : name_(name) {
  if (const char* before = getenv(name)) before_ = before;
  setenv(name, value, 1);
}
ScopedEnvironment::~ScopedEnvironment() {
  if (before_) {
    setenv(name_.c_str(), before_->c_str(), 1);
  } else {
    unsetenv(name_.c_str());
  }
}

std::vector<double> ReferenceConv(const Shape& s, const std::vector<float>& x, const std::vector<float>& w,
                                  const std::vector<float>& bias) {
  const int64_t P = s.P(), Q = s.Q();
  std::vector<double> y(static_cast<size_t>(s.YElements()));
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t k = 0; k < s.k; ++k)
      for (int64_t p = 0; p < P; ++p)
        for (int64_t q = 0; q < Q; ++q) {
          double acc = s.bias ? bias[k] : 0.0;
          for (int64_t c = 0; c < s.c; ++c)
            for (int64_t r = 0; r < s.r; ++r)
              for (int64_t t = 0; t < s.s; ++t) {
                const int64_t ih = p * s.stride_h - s.pad_h + r * s.dil_h;
                const int64_t iw = q * s.stride_w - s.pad_w + t * s.dil_w;
                if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
                acc += static_cast<double>(x[((n * s.c + c) * s.h + ih) * s.w + iw]) *
                       static_cast<double>(w[((k * s.c + c) * s.r + r) * s.s + t]);
              }
          if (s.relu && acc < 0) acc = 0;
          y[((n * s.k + k) * P + p) * Q + q] = acc;
        }
  return y;
}

double RelativeL2(const float* out, const double* ref, int64_t n, double magnitude_floor) {
  double err = 0, norm = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (std::isnan(out[i])) return INFINITY;
    const double d = out[i] - ref[i];
    err += d * d;
    const double magnitude = std::max(std::fabs(ref[i]), magnitude_floor);
    norm += magnitude * magnitude;
  }
  return norm == 0 ? std::sqrt(err) : std::sqrt(err / norm);
}

int64_t CountOutsideTolerance(const float* out, const double* ref, int64_t n, double atol, double rtol) {
  int64_t bad = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = std::fabs(static_cast<double>(out[i]) - ref[i]);
    if (!(d <= atol + rtol * std::fabs(ref[i]))) ++bad;
  }
  return bad;
}

}  // namespace kconv_test
