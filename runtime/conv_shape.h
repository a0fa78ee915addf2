// SPDX-License-Identifier: Apache-2.0
// Validation of a kconv_conv_desc and the shape arithmetic every path shares.
#pragma once

#include <stdint.h>

#include <string>

#include "absl/status/statusor.h"
#include "kconv/kconv.h"

namespace kconv {

// A validated descriptor: every size positive, the output non-empty, every tensor's element count
// representable in int64, and the element type, layout and math mode ones the ABI defines.
struct ConvShape {
  int64_t n, c, h, w, k, r, s;
  int64_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
  int64_t p, q;  // output height and width
  bool has_bias, relu;
  kconv_math_mode math_mode;
  kconv_element_type element_type;
  kconv_layout layout;

  int64_t element_bytes() const { return element_type == KCONV_ELEMENT_F32 ? 4 : 2; }
  int64_t x_elements() const { return n * c * h * w; }
  int64_t w_elements() const { return k * c * r * s; }
  int64_t y_elements() const { return n * k * p * q; }
  int64_t gemm_m() const { return n * p * q; }
  int64_t gemm_k() const { return c * r * s; }
  // Multiply-adds of the convolution, counting every tap (padding included).
  double flops() const { return 2.0 * static_cast<double>(gemm_m()) * static_cast<double>(k) * static_cast<double>(gemm_k()); }
};

// Elements between neighbours along each dimension of a dense 4-d tensor in the shape's layout: x's (N, C,
// H, W) or y's (N, K, P, Q).
struct Strides4 {
  int64_t n, c, h, w;
};
Strides4 XStrides(const ConvShape& shape);
Strides4 YStrides(const ConvShape& shape);

kconv_conv_desc DefaultConvDesc();

// INVALID_ARGUMENT naming the field and value for anything malformed; UNIMPLEMENTED for a math mode
// this version reserves but does not provide.
absl::StatusOr<ConvShape> ValidateConvDesc(const kconv_conv_desc* desc);

// "fp32", "fp16", "bf16"; "NCHW", "NHWC"; "TF32": as messages and the tuning cache name them.
const char* ElementTypeName(kconv_element_type type);
const char* LayoutName(kconv_layout layout);
const char* MathModeName(kconv_math_mode mode);
// "fp32 NCHW with TF32 math": the combination a kernel family must compute.
std::string FormatOf(const ConvShape& shape);

// The descriptor's fields as a key for plan caches (every field that changes the plan): the 13 sizes,
// bias and ReLU as bits, the math mode, the element type and the layout.
struct ConvShapeKey {
  static constexpr int kFields = 17;
  int64_t v[kFields];
  bool operator==(const ConvShapeKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const ConvShapeKey& key) {
    return H::combine_contiguous(std::move(h), key.v, kFields);
  }
};
ConvShapeKey KeyOf(const ConvShape& shape);

}  // namespace kconv
