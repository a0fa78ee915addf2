// SPDX-License-Identifier: Apache-2.0
#include "tools/tensor_modes.h"

#include <string.h>

#include <cmath>

namespace kconv_tools {
namespace {

uint32_t BitsOf(float v) {
  uint32_t u;
  memcpy(&u, &v, 4);
  return u;
}

float FloatOf(uint32_t u) {
  float v;
  memcpy(&v, &u, 4);
  return v;
}

// Index of element (n, c, h, w) in `layout`.
int64_t IndexOf(int64_t n, int64_t c, int64_t h, int64_t w, int64_t C, int64_t H, int64_t W, kconv_layout layout) {
  return layout == KCONV_LAYOUT_NHWC ? ((n * H + h) * W + w) * C + c : ((n * C + c) * H + h) * W + w;
}

}  // namespace

uint16_t HalfBits(float v) {
  const uint32_t u = BitsOf(v);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const float a = std::fabs(v);
  if (std::isnan(v)) return static_cast<uint16_t>(sign | 0x7e00u);
  if (a >= 65520.f) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds past the largest finite, 65504
  if (a < 0x1p-14f) {
    // Subnormal (or zero): a multiple of 2^-24, rounded to nearest even by the fp32 addition of 2^-1 ... the
    // magic constant 0.5 puts the multiple's units in the low mantissa bits.
    const float scaled = a + 0.5f;  // exact: 0.5 has exponent -1, so the sum's ulp is 2^-24
    return static_cast<uint16_t>(sign | (BitsOf(scaled) - BitsOf(0.5f)));
  }
  // Normal: rebias the exponent (127 - 15) and round the 23-bit mantissa to 10 bits, to nearest even; a carry
  // into the exponent is the right result (up to infinity, excluded above).
  const uint32_t magnitude = u & 0x7fffffffu;
  const uint32_t lsb = (magnitude >> 13) & 1u;
  const uint32_t rounded = (magnitude - (112u << 23) + 0xfffu + lsb) >> 13;
  return static_cast<uint16_t>(sign | rounded);
}

float HalfValue(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu, mantissa = bits & 0x3ffu;
  if (exponent == 0x1f) return FloatOf(sign | 0x7f800000u | (mantissa << 13));  // infinity or NaN
  if (exponent == 0) {                                                          // zero or subnormal
    const float value = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -value : value;
  }
  return FloatOf(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

uint16_t Bf16Bits(float v) {
  const uint32_t u = BitsOf(v);
  if (std::isnan(v)) return static_cast<uint16_t>((u >> 16) | 0x0040u);  // quiet
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

float Bf16Value(uint16_t bits) { return FloatOf(static_cast<uint32_t>(bits) << 16); }

float RoundedTo(float v, kconv_element_type type) {
  if (type == KCONV_ELEMENT_F16) return HalfValue(HalfBits(v));
  if (type == KCONV_ELEMENT_BF16) return Bf16Value(Bf16Bits(v));
  return v;
}

int64_t ElementBytes(kconv_element_type type) { return type == KCONV_ELEMENT_F32 ? 4 : 2; }

std::vector<uint8_t> ToDevice(const std::vector<float>& nchw, int64_t n, int64_t c, int64_t h, int64_t w,
                              kconv_element_type type, kconv_layout layout) {
  const int64_t bytes = ElementBytes(type);
  std::vector<uint8_t> out(nchw.size() * static_cast<size_t>(bytes));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          const float v = nchw[static_cast<size_t>(((i * c + j) * h + y) * w + x)];
          uint8_t* at = out.data() + IndexOf(i, j, y, x, c, h, w, layout) * bytes;
          if (type == KCONV_ELEMENT_F32) {
            memcpy(at, &v, 4);
          } else {
            const uint16_t bits = type == KCONV_ELEMENT_F16 ? HalfBits(v) : Bf16Bits(v);
            memcpy(at, &bits, 2);
          }
        }
  return out;
}

std::vector<float> FromDevice(const std::vector<uint8_t>& bytes, int64_t n, int64_t c, int64_t h, int64_t w,
                              kconv_element_type type, kconv_layout layout) {
  const int64_t size = ElementBytes(type);
  std::vector<float> out(static_cast<size_t>(n * c * h * w));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          const uint8_t* at = bytes.data() + IndexOf(i, j, y, x, c, h, w, layout) * size;
          float v;
          if (type == KCONV_ELEMENT_F32) {
            memcpy(&v, at, 4);
          } else {
            uint16_t bits;
            memcpy(&bits, at, 2);
            v = type == KCONV_ELEMENT_F16 ? HalfValue(bits) : Bf16Value(bits);
          }
          out[static_cast<size_t>(((i * c + j) * h + y) * w + x)] = v;
        }
  return out;
}

}  // namespace kconv_tools
