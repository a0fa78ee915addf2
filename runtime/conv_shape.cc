// SPDX-License-Identifier: Apache-2.0
#include "runtime/conv_shape.h"

#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "runtime/status_macros.h"
#include "runtime/struct_versions.h"
#include "runtime/versioned_struct.h"

namespace kconv {
namespace {

// Sizes above this are refused outright: no real tensor has a dimension of 2^40 and it keeps every
// intermediate of the shape arithmetic far from int64 overflow.
constexpr int64_t kMaxDimension = int64_t{1} << 40;

absl::Status CheckRange(const char* field, int64_t value, int64_t lo) {
  if (value < lo || value > kMaxDimension) {
    return absl::InvalidArgumentError(absl::StrCat("desc->", field, " = ", value, ": must be ",
                                                   lo == 0 ? "non-negative" : "at least 1",
                                                   value > kMaxDimension ? " and at most 2^40" : ""));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CheckedProduct(std::initializer_list<int64_t> factors, const char* what,
                                       const char* unit = "bytes") {
  int64_t product = 1;
  for (int64_t f : factors) {
    if (__builtin_mul_overflow(product, f, &product)) {
      return absl::InvalidArgumentError(absl::StrCat(what, " has more ", unit, " than int64 can count"));
    }
  }
  return product;
}

// The input extent a dilated kernel covers, dil * (kernel - 1) + 1, or -1 when that exceeds int64: each
// factor may be up to 2^40.
int64_t DilatedSpan(int64_t dil, int64_t kernel) {
  int64_t span = 0;
  if (__builtin_mul_overflow(dil, kernel - 1, &span) || __builtin_add_overflow(span, 1, &span)) return -1;
  return span;
}

std::string SpanText(int64_t span) { return span < 0 ? std::string("at least 2^63") : absl::StrCat(span); }

// Output pixels along one dimension; 0 when the dilated kernel is wider than the padded input. Sizes are at
// most 2^40 (CheckRange), so the padded input cannot overflow.
int64_t OutputExtent(int64_t in, int64_t pad, int64_t dil, int64_t kernel, int64_t stride) {
  const int64_t span = DilatedSpan(dil, kernel);
  const int64_t padded = in + 2 * pad;
  return span < 0 || padded < span ? 0 : (padded - span) / stride + 1;
}

}  // namespace

namespace {
Strides4 DenseStrides(kconv_layout layout, int64_t c, int64_t h, int64_t w) {
  if (layout == KCONV_LAYOUT_NHWC) return {h * w * c, 1, w * c, c};
  return {c * h * w, h * w, w, 1};
}
}  // namespace

Strides4 XStrides(const ConvShape& s) { return DenseStrides(s.layout, s.c, s.h, s.w); }
Strides4 YStrides(const ConvShape& s) { return DenseStrides(s.layout, s.k, s.p, s.q); }

kconv_conv_desc DefaultConvDesc() {
  kconv_conv_desc d{};
  d.struct_size = sizeof(kconv_conv_desc);
  d.stride_h = d.stride_w = 1;
  d.dil_h = d.dil_w = 1;
  d.math_mode = KCONV_MATH_TF32;
  d.element_type = KCONV_ELEMENT_F32;
  d.layout = KCONV_LAYOUT_NCHW;
  return d;
}

const char* ElementTypeName(kconv_element_type type) {
  switch (type) {
    case KCONV_ELEMENT_F32: return "fp32";
    case KCONV_ELEMENT_F16: return "fp16";
    case KCONV_ELEMENT_BF16: return "bf16";
  }
  return "(unknown element type)";
}

const char* LayoutName(kconv_layout layout) {
  switch (layout) {
    case KCONV_LAYOUT_NCHW: return "NCHW";
    case KCONV_LAYOUT_NHWC: return "NHWC";
  }
  return "(unknown layout)";
}

const char* MathModeName(kconv_math_mode mode) {
  switch (mode) {
    case KCONV_MATH_TF32: return "TF32";
    case KCONV_MATH_3XTF32: return "3xTF32";
    case KCONV_MATH_FP32: return "FP32";
  }
  return "(unknown math mode)";
}

std::string FormatOf(const ConvShape& s) {
  return absl::StrCat(ElementTypeName(s.element_type), " ", LayoutName(s.layout), " with ", MathModeName(s.math_mode),
                      " math");
}

absl::StatusOr<ConvShape> ValidateConvDesc(const kconv_conv_desc* in) {
  KCONV_ASSIGN_OR_RETURN(const kconv_conv_desc d,
                         ReadVersionedStruct(in, DefaultConvDesc(), kConvDescVersions, "desc"));
  KCONV_RETURN_IF_ERROR(CheckRange("n", d.n, 1));
  KCONV_RETURN_IF_ERROR(CheckRange("c", d.c, 1));
  KCONV_RETURN_IF_ERROR(CheckRange("h", d.h, 1));
  KCONV_RETURN_IF_ERROR(CheckRange("w", d.w, 1));
  KCONV_RETURN_IF_ERROR(CheckRange("k", d.k, 1));
  KCONV_RETURN_IF_ERROR(CheckRange("r", d.r, 1));
  KCONV_RETURN_IF_ERROR(CheckRange("s", d.s, 1));
  KCONV_RETURN_IF_ERROR(CheckRange("stride_h", d.stride_h, 1));
  KCONV_RETURN_IF_ERROR(CheckRange("stride_w", d.stride_w, 1));
  KCONV_RETURN_IF_ERROR(CheckRange("pad_h", d.pad_h, 0));
  KCONV_RETURN_IF_ERROR(CheckRange("pad_w", d.pad_w, 0));
  KCONV_RETURN_IF_ERROR(CheckRange("dil_h", d.dil_h, 1));
  KCONV_RETURN_IF_ERROR(CheckRange("dil_w", d.dil_w, 1));
  if (d.has_bias != 0 && d.has_bias != 1) {
    return absl::InvalidArgumentError(absl::StrCat("desc->has_bias = ", d.has_bias, ": must be 0 or 1"));
  }
  if (d.relu != 0 && d.relu != 1) {
    return absl::InvalidArgumentError(absl::StrCat("desc->relu = ", d.relu, ": must be 0 or 1"));
  }
  if (d.math_mode != KCONV_MATH_TF32 && d.math_mode != KCONV_MATH_3XTF32 && d.math_mode != KCONV_MATH_FP32) {
    if (d.math_mode > 0 && d.math_mode < 64) {
      return absl::UnimplementedError(absl::StrCat("desc->math_mode = ", d.math_mode,
                                                   ": reserved for a future math mode; this version "
                                                   "provides TF32 (0), 3XTF32 (1) and FP32 (2)"));
    }
    return absl::InvalidArgumentError(absl::StrCat("desc->math_mode = ", d.math_mode,
                                                   ": not a kconv_math_mode (TF32 0, 3XTF32 1, FP32 2)"));
  }
  if (d.element_type != KCONV_ELEMENT_F32 && d.element_type != KCONV_ELEMENT_F16 && d.element_type != KCONV_ELEMENT_BF16) {
    return absl::InvalidArgumentError(absl::StrCat("desc->element_type = ", d.element_type,
                                                   ": not a kconv_element_type (F32 0, F16 1, BF16 2)"));
  }
  if (d.layout != KCONV_LAYOUT_NCHW && d.layout != KCONV_LAYOUT_NHWC) {
    return absl::InvalidArgumentError(
        absl::StrCat("desc->layout = ", d.layout, ": not a kconv_layout (NCHW 0, NHWC 1)"));
  }

  ConvShape s{d.n, d.c, d.h, d.w, d.k, d.r, d.s, d.stride_h, d.stride_w, d.pad_h, d.pad_w, d.dil_h, d.dil_w,
              0, 0, d.has_bias == 1, d.relu == 1, static_cast<kconv_math_mode>(d.math_mode),
              static_cast<kconv_element_type>(d.element_type), static_cast<kconv_layout>(d.layout)};
  s.p = OutputExtent(s.h, s.pad_h, s.dil_h, s.r, s.stride_h);
  s.q = OutputExtent(s.w, s.pad_w, s.dil_w, s.s, s.stride_w);
  if (s.p < 1 || s.q < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "empty output: the dilated kernel (", SpanText(DilatedSpan(s.dil_h, s.r)), " x ",
        SpanText(DilatedSpan(s.dil_w, s.s)),
        ") is larger than the padded input (", s.h + 2 * s.pad_h, " x ", s.w + 2 * s.pad_w, "), giving a ", s.p,
        " x ", s.q, " output"));
  }
  // Counted in bytes, so that every tensor's size in bytes is an int64 too.
  KCONV_RETURN_IF_ERROR(CheckedProduct({s.n, s.c, s.h, s.w, s.element_bytes()}, "the input x").status());
  KCONV_RETURN_IF_ERROR(CheckedProduct({s.k, s.c, s.r, s.s, s.element_bytes()}, "the weights w").status());
  KCONV_RETURN_IF_ERROR(CheckedProduct({s.n, s.k, s.p, s.q, s.element_bytes()}, "the output y").status());
  // The float64 flop count and gemm extents derive from these; keep them finite and exact.
  KCONV_RETURN_IF_ERROR(CheckedProduct({s.n, s.p, s.q, s.k, s.c, s.r, s.s}, "the convolution's work", "multiply-adds").status());
  return s;
}

ConvShapeKey KeyOf(const ConvShape& s) {
  return ConvShapeKey{{s.n, s.c, s.h, s.w, s.k, s.r, s.s, s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.dil_h,
                       s.dil_w, (s.has_bias ? 1 : 0) | (s.relu ? 2 : 0), static_cast<int64_t>(s.math_mode),
                       static_cast<int64_t>(s.element_type), static_cast<int64_t>(s.layout)}};
}

}  // namespace kconv
