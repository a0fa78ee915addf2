// SPDX-License-Identifier: Apache-2.0
#include "tools/shape_flags.h"

#include <stdio.h>

#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "tools/tensor_modes.h"

namespace kconv_tools {

// Outside an anonymous namespace: FLAGS_preset, a global, has this type.
enum class ShapePreset { kAlexNet, kResNetStem };

// --preset's values, parsed by Abseil, so that a misspelt one is named like any other bad value.
bool AbslParseFlag(absl::string_view text, ShapePreset* preset, std::string* error) {
  if (text == "alexnet") return *preset = ShapePreset::kAlexNet, true;
  if (text == "resnet_stem") return *preset = ShapePreset::kResNetStem, true;
  *error = "expected alexnet or resnet_stem";
  return false;
}

std::string AbslUnparseFlag(ShapePreset preset) {
  return preset == ShapePreset::kAlexNet ? "alexnet" : "resnet_stem";
}

// --dtype, --layout and --math: kconv's enums by the names bench/compare_torch.py uses.
struct ElementTypeFlag {
  kconv_element_type value;
};
struct LayoutFlag {
  kconv_layout value;
};
struct MathFlag {
  kconv_math_mode value;
};

// Parses `text` as one of `names` (indexed by the enum's values) into *value.
template <class Enum, size_t kCount>
bool ParseNamed(absl::string_view text, const char* const (&names)[kCount], Enum* value, std::string* error) {
  for (size_t i = 0; i < kCount; ++i) {
    if (text == names[i]) return *value = static_cast<Enum>(i), true;
  }
  *error = "expected one of";
  for (const char* name : names) absl::StrAppend(error, " ", name);
  return false;
}

constexpr const char* kTypeNames[] = {"fp32", "fp16", "bf16"};  // kconv_element_type order
constexpr const char* kLayoutNames[] = {"nchw", "nhwc"};        // kconv_layout order
constexpr const char* kMathNames[] = {"tf32", "3xtf32", "fp32"};  // kconv_math_mode order
static_assert(KCONV_ELEMENT_F32 == 0 && KCONV_ELEMENT_F16 == 1 && KCONV_ELEMENT_BF16 == 2);
static_assert(KCONV_LAYOUT_NCHW == 0 && KCONV_LAYOUT_NHWC == 1);
static_assert(KCONV_MATH_TF32 == 0 && KCONV_MATH_3XTF32 == 1 && KCONV_MATH_FP32 == 2);

bool AbslParseFlag(absl::string_view text, ElementTypeFlag* f, std::string* error) {
  return ParseNamed(text, kTypeNames, &f->value, error);
}
std::string AbslUnparseFlag(ElementTypeFlag f) { return kTypeNames[f.value]; }
bool AbslParseFlag(absl::string_view text, LayoutFlag* f, std::string* error) {
  return ParseNamed(text, kLayoutNames, &f->value, error);
}
std::string AbslUnparseFlag(LayoutFlag f) { return kLayoutNames[f.value]; }
bool AbslParseFlag(absl::string_view text, MathFlag* f, std::string* error) {
  return ParseNamed(text, kMathNames, &f->value, error);
}
std::string AbslUnparseFlag(MathFlag f) { return kMathNames[f.value]; }

}  // namespace kconv_tools

// The fields are optional so that a value given on the command line can be told from none: an absl::Flag
// cannot say whether it was set, and the preset fills every field that was not. (An empty value, --n=,
// is Abseil's "none" for an optional flag: the preset's again.)
ABSL_FLAG(kconv_tools::ShapePreset, preset, kconv_tools::ShapePreset::kAlexNet,
          "the shape the other shape flags change: alexnet (AlexNet conv1: 3x224x224 -> 96, 11x11, stride 4, "
          "pad 2, bias) or resnet_stem (3x224x224 -> 64, 7x7, stride 2, pad 3, no bias); both at N = 256");
ABSL_FLAG(kconv_tools::ElementTypeFlag, dtype, {KCONV_ELEMENT_F32},
          "element type of x, w and y: fp32, fp16 or bf16 (bias stays fp32; GPU only for 16-bit types)");
ABSL_FLAG(kconv_tools::LayoutFlag, layout, {KCONV_LAYOUT_NCHW}, "layout of x and y: nchw or nhwc (w stays KCRS)");
ABSL_FLAG(kconv_tools::MathFlag, math, {KCONV_MATH_TF32}, "math mode: tf32, 3xtf32 or fp32");
ABSL_FLAG(std::optional<int64_t>, n, std::nullopt,
          "batch size (default: the preset's; kconv-bench's host path: 2)");
ABSL_FLAG(std::optional<int64_t>, c, std::nullopt, "input channels (default: the preset's)");
ABSL_FLAG(std::optional<int64_t>, h, std::nullopt, "input height (default: the preset's)");
ABSL_FLAG(std::optional<int64_t>, w, std::nullopt, "input width (default: the preset's)");
ABSL_FLAG(std::optional<int64_t>, k, std::nullopt, "output channels, filters (default: the preset's)");
ABSL_FLAG(std::optional<int64_t>, r, std::nullopt, "filter height (default: the preset's)");
ABSL_FLAG(std::optional<int64_t>, s, std::nullopt, "filter width (default: the preset's)");
ABSL_FLAG(std::optional<int64_t>, stride, std::nullopt, "stride, both dimensions (default: the preset's)");
ABSL_FLAG(std::optional<int64_t>, stride_h, std::nullopt, "vertical stride, over --stride");
ABSL_FLAG(std::optional<int64_t>, stride_w, std::nullopt, "horizontal stride, over --stride");
ABSL_FLAG(std::optional<int64_t>, pad, std::nullopt, "zero padding, both dimensions (default: the preset's)");
ABSL_FLAG(std::optional<int64_t>, pad_h, std::nullopt, "padding at top and bottom, over --pad");
ABSL_FLAG(std::optional<int64_t>, pad_w, std::nullopt, "padding at left and right, over --pad");
ABSL_FLAG(std::optional<int64_t>, dil, std::nullopt, "dilation, both dimensions (default: the preset's)");
ABSL_FLAG(std::optional<int64_t>, dil_h, std::nullopt, "vertical dilation, over --dil");
ABSL_FLAG(std::optional<int64_t>, dil_w, std::nullopt, "horizontal dilation, over --dil");
// Optional, not a plain bool, because the presets differ; so it takes a value (--bias=false), and
// --nobias, which Abseil allows for plain bools only, is refused by name.
ABSL_FLAG(std::optional<bool>, bias, std::nullopt,
          "add a bias term: --bias=true or --bias=false (default: the preset's: alexnet has one, resnet_stem none)");
ABSL_FLAG(bool, relu, false, "apply max(y, 0) after the bias");

namespace kconv_tools {
namespace {

kconv_conv_desc PresetShape(ShapePreset preset) {
  kconv_conv_desc d;
  kconv_conv_desc_init(&d);
  d.n = 256, d.c = 3, d.h = 224, d.w = 224;
  if (preset == ShapePreset::kAlexNet) {
    d.k = 96, d.r = 11, d.s = 11;
    d.stride_h = d.stride_w = 4;
    d.pad_h = d.pad_w = 2;
    d.has_bias = 1;
  } else {
    d.k = 64, d.r = 7, d.s = 7;
    d.stride_h = d.stride_w = 2;
    d.pad_h = d.pad_w = 3;
    d.has_bias = 0;
  }
  return d;
}

// Sets *field from the flag if it was given; leaves it otherwise.
void TakeIfGiven(const absl::Flag<std::optional<int64_t>>& flag, int64_t* field) {
  if (const std::optional<int64_t> value = absl::GetFlag(flag)) *field = *value;
}

// "4", or "4x2" where the two dimensions differ.
std::string HeightByWidth(int64_t h, int64_t w) { return h == w ? absl::StrCat(h) : absl::StrCat(h, "x", w); }

}  // namespace

ShapeChoice ShapeFromFlags() {
  ShapeChoice choice{PresetShape(absl::GetFlag(FLAGS_preset)), absl::GetFlag(FLAGS_n).has_value()};
  kconv_conv_desc& d = choice.desc;
  TakeIfGiven(FLAGS_n, &d.n);
  TakeIfGiven(FLAGS_c, &d.c);
  TakeIfGiven(FLAGS_h, &d.h);
  TakeIfGiven(FLAGS_w, &d.w);
  TakeIfGiven(FLAGS_k, &d.k);
  TakeIfGiven(FLAGS_r, &d.r);
  TakeIfGiven(FLAGS_s, &d.s);
  // Both dimensions first, then either one over them.
  TakeIfGiven(FLAGS_stride, &d.stride_h);
  TakeIfGiven(FLAGS_stride, &d.stride_w);
  TakeIfGiven(FLAGS_stride_h, &d.stride_h);
  TakeIfGiven(FLAGS_stride_w, &d.stride_w);
  TakeIfGiven(FLAGS_pad, &d.pad_h);
  TakeIfGiven(FLAGS_pad, &d.pad_w);
  TakeIfGiven(FLAGS_pad_h, &d.pad_h);
  TakeIfGiven(FLAGS_pad_w, &d.pad_w);
  TakeIfGiven(FLAGS_dil, &d.dil_h);
  TakeIfGiven(FLAGS_dil, &d.dil_w);
  TakeIfGiven(FLAGS_dil_h, &d.dil_h);
  TakeIfGiven(FLAGS_dil_w, &d.dil_w);
  if (const std::optional<bool> bias = absl::GetFlag(FLAGS_bias)) d.has_bias = *bias ? 1 : 0;
  d.relu = absl::GetFlag(FLAGS_relu) ? 1 : 0;
  d.element_type = absl::GetFlag(FLAGS_dtype).value;
  d.layout = absl::GetFlag(FLAGS_layout).value;
  d.math_mode = absl::GetFlag(FLAGS_math).value;
  return choice;
}

ShapeDims DimsOf(const kconv_conv_desc& d) {
  int64_t out[4] = {0, 0, 0, 0};
  kconv_conv_output_shape(&d, out);
  return {d.n * d.c * d.h * d.w, d.k * d.c * d.r * d.s, out[0] * out[1] * out[2] * out[3], out[2], out[3]};
}

double UsefulFlops(const kconv_conv_desc& d, const ShapeDims& dims) {
  return 2.0 * static_cast<double>(dims.y) * static_cast<double>(d.c * d.r * d.s);
}

double CompulsoryBytes(const kconv_conv_desc& d, const ShapeDims& dims) {
  const int64_t element = ElementBytes(static_cast<kconv_element_type>(d.element_type));  // the bias stays fp32
  return static_cast<double>(element * (dims.x + dims.w + dims.y) + 4 * (d.has_bias ? d.k : 0));
}

void PrintShape(const kconv_conv_desc& d, const ShapeDims& dims) {
  printf("shape: N=%lld C=%lld H=%lld W=%lld -> K=%lld %lldx%lld stride %s pad %s dil %s%s%s -> %lldx%lld; %s %s %s\n",
         (long long)d.n, (long long)d.c, (long long)d.h, (long long)d.w, (long long)d.k, (long long)d.r, (long long)d.s,
         HeightByWidth(d.stride_h, d.stride_w).c_str(), HeightByWidth(d.pad_h, d.pad_w).c_str(),
         HeightByWidth(d.dil_h, d.dil_w).c_str(), d.has_bias ? " bias" : "", d.relu ? " relu" : "", (long long)dims.p,
         (long long)dims.q, kTypeNames[d.element_type], kLayoutNames[d.layout], kMathNames[d.math_mode]);
}

}  // namespace kconv_tools
