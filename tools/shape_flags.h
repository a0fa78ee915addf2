// The shape flags kconv-bench and kconv-tune share: presets (AlexNet conv1, the ResNet stem) and the
// descriptor's fields one by one, plus the shape's useful work and traffic for their reports.
#pragma once

#include <stdint.h>

#include "kconv/kconv.h"

namespace kconv_tools {

inline constexpr const char* kShapeFlagsUsage =
    "[--alexnet | --resnet-stem] [--n N] [--c C] [--h H] [--w W] [--k K] [--r R] [--s S]\n"
    "       [--stride S] [--pad P] [--dil D] [--no-bias] [--relu]";

// AlexNet conv1 (3x224x224 -> 96, 11x11, stride 4, pad 2, bias) at N = 256.
void SetAlexNet(kconv_conv_desc* desc);
// The ResNet stem (3x224x224 -> 64, 7x7, stride 2, pad 3, no bias) at the descriptor's N.
void SetResNetStem(kconv_conv_desc* desc);

// If argv[*i] is a shape flag, applies it (consuming its value: *i advances) and returns true; *n_given
// is set by --n. False for any other argument, or a flag missing its value.
bool ParseShapeFlag(int argc, char** argv, int* i, kconv_conv_desc* desc, bool* n_given);

struct ShapeDims {
  int64_t x, w, y, p, q;  // element counts of x, w, y; output height and width
};
ShapeDims DimsOf(const kconv_conv_desc& desc);

// 2 * output elements * C * R * S: the convolution's multiply-adds, not counting padding or rounding.
double UsefulFlops(const kconv_conv_desc& desc, const ShapeDims& dims);
// x, w, y and bias once each: the least traffic DRAM must carry.
double CompulsoryBytes(const kconv_conv_desc& desc, const ShapeDims& dims);

void PrintShape(const kconv_conv_desc& desc, const ShapeDims& dims);

}  // namespace kconv_tools
