// SPDX-License-Identifier: Apache-2.0
// Test-only kernels, built as compute_80 PTX and embedded in the GPU test binary: a float64 direct
// convolution (the reference the library's kernels are checked against) and a random fill.
#include <stdint.h>

struct RefConvArgs {
  const float* x;
  const float* w;
  const float* bias;  // null: no bias
  double* y;
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
    for (int64_t c = 0; c < a.c; ++c)
      for (int64_t r = 0; r < a.r; ++r) {
        const int64_t ih = p * a.stride_h - a.pad_h + r * a.dil_h;
        if (ih < 0 || ih >= a.h) continue;
        for (int64_t t = 0; t < a.s; ++t) {
          const int64_t iw = q * a.stride_w - a.pad_w + t * a.dil_w;
          if (iw < 0 || iw >= a.w_in) continue;
          acc += static_cast<double>(a.x[((n * a.c + c) * a.h + ih) * a.w_in + iw]) *
                 static_cast<double>(a.w[((k * a.c + c) * a.r + r) * a.s + t]);
        }
      }
    if (a.relu && acc < 0) acc = 0;
    a.y[i] = acc;
  }
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
