// Validation of a kconv_conv_desc and the shape arithmetic every path shares.
#pragma once

#include <stdint.h>

#include "absl/status/statusor.h"
#include "kconv/kconv.h"

namespace kconv {

// A validated descriptor: every size positive, the output non-empty, every tensor's element count
// representable in int64.
struct ConvShape {
  int64_t n, c, h, w, k, r, s;
  int64_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
  int64_t p, q;  // output height and width
  bool has_bias, relu;
  kconv_math_mode math_mode;

  int64_t x_elements() const { return n * c * h * w; }
  int64_t w_elements() const { return k * c * r * s; }
  int64_t y_elements() const { return n * k * p * q; }
  int64_t gemm_m() const { return n * p * q; }
  int64_t gemm_k() const { return c * r * s; }
  // Multiply-adds of the convolution, counting every tap (padding included).
  double flops() const { return 2.0 * static_cast<double>(gemm_m()) * static_cast<double>(k) * static_cast<double>(gemm_k()); }
};

kconv_conv_desc DefaultConvDesc();

// INVALID_ARGUMENT naming the field and value for anything malformed; UNIMPLEMENTED for a math mode
// this version reserves but does not provide.
absl::StatusOr<ConvShape> ValidateConvDesc(const kconv_conv_desc* desc);

// The descriptor's fields as a key for plan caches (every field that changes the plan).
struct ConvShapeKey {
  int64_t v[15];
  bool operator==(const ConvShapeKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const ConvShapeKey& key) {
    return H::combine_contiguous(std::move(h), key.v, 15);
  }
};
ConvShapeKey KeyOf(const ConvShape& shape);

}  // namespace kconv
