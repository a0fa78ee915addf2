// SPDX-License-Identifier: Apache-2.0
// The tools' tensors in kconv's element types and layouts, on the host: rounding fp32 values to fp16 or bf16
// (to nearest even, as the GPU's cvt.rn does), and converting an NCHW fp32 tensor to the bytes a device
// tensor of a type and layout holds, and back.
#pragma once

#include <stdint.h>

#include <vector>

#include "kconv/kconv.h"

namespace kconv_tools {

// The bits of v rounded to nearest even in IEEE binary16 (overflow to infinity, subnormals kept, NaN stays
// NaN), and the value of binary16 bits.
uint16_t HalfBits(float v);
float HalfValue(uint16_t bits);
// The same for bfloat16 (the high half of an fp32, rounded to nearest even).
uint16_t Bf16Bits(float v);
float Bf16Value(uint16_t bits);

// v as a tensor of `type` holds it: unchanged for fp32.
float RoundedTo(float v, kconv_element_type type);

// Bytes of one element of `type`.
int64_t ElementBytes(kconv_element_type type);

// The device bytes of an [n][c][h][w] fp32 tensor in `type` and `layout` (NHWC: [n][h][w][c]), each value
// rounded to the type.
std::vector<uint8_t> ToDevice(const std::vector<float>& nchw, int64_t n, int64_t c, int64_t h, int64_t w,
                              kconv_element_type type, kconv_layout layout);
// The inverse: the [n][c][h][w] fp32 values of a device tensor's bytes.
std::vector<float> FromDevice(const std::vector<uint8_t>& bytes, int64_t n, int64_t c, int64_t h, int64_t w,
                              kconv_element_type type, kconv_layout layout);

}  // namespace kconv_tools
