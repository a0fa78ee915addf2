// SPDX-License-Identifier: Apache-2.0
// Test-only kernels, built as compute_80 PTX and embedded in the GPU test binary: a float64 direct
// convolution (the reference the library's kernels are checked against), a comparison against it on the
// device, a random fill and layout conversions.
#include <stdint.h>

struct RefConvArgs {
  const float* x;
  const float* w;
  const float* bias;  // null: no bias
  double* y;
  double* y_magnitude;  // null, or sum |x * w| + |bias| per output: the scale of its rounding error
  int64_t n, c, h, w_in, k, r, s, p, q;
  int64_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
  int32_t relu;
};

// One thread per output element; plain loops, 64-bit indices throughout.
extern "C" __global__ void ref_conv2d_f64(const RefConvArgs a) {
  const int64_t total = a.n * a.k * a.p * a.q;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t q = i % a.q, p = (i / a.q) % a.p, k = (i / (a.q * a.p)) % a.k, n = i / (a.q * a.p * a.k);
    double acc = a.bias ? static_cast<double>(a.bias[k]) : 0.0;
    double magnitude = fabs(acc);
    for (int64_t c = 0; c < a.c; ++c)
      for (int64_t r = 0; r < a.r; ++r) {
        const int64_t ih = p * a.stride_h - a.pad_h + r * a.dil_h;
        if (ih < 0 || ih >= a.h) continue;
        for (int64_t t = 0; t < a.s; ++t) {
          const int64_t iw = q * a.stride_w - a.pad_w + t * a.dil_w;
          if (iw < 0 || iw >= a.w_in) continue;
          const double product = static_cast<double>(a.x[((n * a.c + c) * a.h + ih) * a.w_in + iw]) *
                                 static_cast<double>(a.w[((k * a.c + c) * a.r + r) * a.s + t]);
          acc += product;
          magnitude += fabs(product);
        }
      }
    if (a.relu && acc < 0) acc = 0;
    a.y[i] = acc;
    if (a.y_magnitude) a.y_magnitude[i] = magnitude;
  }
}

// Adds to *count the outputs with |y - ref| > tolerance * magnitude, or NaN: a bound on rounding error
// (tolerance ~ the math mode's unit roundoff times a small factor) that no correct result exceeds, and that
// an unwritten output always fails and a stale or misplaced one almost always does.
extern "C" __global__ void count_mismatches(const float* y, const double* ref, const double* magnitude, int64_t n,
                                            double tolerance, unsigned long long* count) {
  unsigned long long bad = 0;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const double error = fabs(static_cast<double>(y[i]) - ref[i]);
    bad += !(error <= tolerance * magnitude[i]);  // NaN fails the comparison
  }
  if (bad != 0) atomicAdd(count, bad);
}

__device__ __forceinline__ uint64_t SplitMix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Uniform in [lo, hi): a fresh seed gives fresh data.
extern "C" __global__ void fill_uniform(float* out, int64_t count, uint64_t seed, float lo, float hi) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count; i += int64_t{gridDim.x} * blockDim.x) {
    const uint64_t bits = SplitMix64(seed ^ SplitMix64(static_cast<uint64_t>(i)));
    const float u = static_cast<float>(bits >> 40) * (1.0f / 16777216.0f);
    out[i] = lo + (hi - lo) * u;
  }
}

// Element type 0 fp32, 1 fp16, 2 bf16 (kconv_element_type); layout 0 NCHW, 1 NHWC (kconv_layout).
__device__ __forceinline__ float RoundToType(float v, int type) {
  if (type == 1) {
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(v));
    float back;
    asm("cvt.f32.f16 %0, %1;" : "=f"(back) : "h"(h));
    return back;
  }
  if (type == 2) {
    unsigned short h;
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(h) : "f"(v));
    return __uint_as_float(static_cast<unsigned>(h) << 16);
  }
  return v;
}

// Rounds every value to the element type in place, so that fp32 holds exactly what the typed tensor will.
extern "C" __global__ void round_to_type(float* v, int64_t count, int type) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < count; i += int64_t{gridDim.x} * blockDim.x)
    v[i] = RoundToType(v[i], type);
}

// Offset of NCHW element (n, c, h, w) of an [N][C][H][W] tensor in `layout`.
__device__ __forceinline__ int64_t LayoutOffset(int64_t n, int64_t c, int64_t h, int64_t w, int64_t C, int64_t H,
                                                int64_t W, int layout) {
  return layout == 1 ? ((n * H + h) * W + w) * C + c : ((n * C + c) * H + h) * W + w;
}

struct LayoutArgs {
  const void* src;
  void* dst;
  int64_t n, c, h, w;
  int32_t type, layout;
};

// NCHW fp32 (already rounded to the type) -> the type in `layout`.
extern "C" __global__ void to_mode(const LayoutArgs a) {
  const int64_t total = a.n * a.c * a.h * a.w;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t w = i % a.w, h = (i / a.w) % a.h, c = (i / (a.w * a.h)) % a.c, n = i / (a.w * a.h * a.c);
    const float v = static_cast<const float*>(a.src)[i];
    const int64_t o = LayoutOffset(n, c, h, w, a.c, a.h, a.w, a.layout);
    if (a.type == 0) {
      static_cast<float*>(a.dst)[o] = v;
    } else {
      unsigned short bits;
      if (a.type == 1) {
        asm("cvt.rn.f16.f32 %0, %1;" : "=h"(bits) : "f"(v));
      } else {
        asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(bits) : "f"(v));
      }
      static_cast<unsigned short*>(a.dst)[o] = bits;
    }
  }
}

// The type in `layout` -> NCHW fp32 (exact).
extern "C" __global__ void from_mode(const LayoutArgs a) {
  const int64_t total = a.n * a.c * a.h * a.w;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t w = i % a.w, h = (i / a.w) % a.h, c = (i / (a.w * a.h)) % a.c, n = i / (a.w * a.h * a.c);
    const int64_t o = LayoutOffset(n, c, h, w, a.c, a.h, a.w, a.layout);
    float v;
    if (a.type == 0) {
      v = static_cast<const float*>(a.src)[o];
    } else {
      const unsigned short bits = static_cast<const unsigned short*>(a.src)[o];
      if (a.type == 1) {
        asm("cvt.f32.f16 %0, %1;" : "=f"(v) : "h"(bits));
      } else {
        v = __uint_as_float(static_cast<unsigned>(bits) << 16);
      }
    }
    static_cast<float*>(a.dst)[i] = v;
  }
}
