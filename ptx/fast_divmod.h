// SPDX-License-Identifier: Apache-2.0
// Division by a run-time constant, shared by the host runtime (g++), which sets the divisor up once per
// plan, and the kernels (nvcc), which divide with it; and KCONV_HOST_DEVICE for such shared code.
#pragma once

#include <stdint.h>

#if defined(__CUDACC__)
#define KCONV_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define KCONV_HOST_DEVICE inline
#endif

namespace kconv {

// Divides unsigned 31-bit dividends by a run-time constant with one multiply-high, an add and a shift
// (Granlund & Montgomery). Dividends must be below 2^31 so that the add cannot overflow; the runtime
// refuses shapes whose GEMM extents reach 2^31.
struct FastDivmod {
  uint32_t divisor;
  uint32_t multiplier;
  uint32_t shift;

  static FastDivmod Make(uint32_t d) {
    FastDivmod f{d, 0, 0};
    while ((uint64_t{1} << f.shift) < d) ++f.shift;
    f.multiplier = static_cast<uint32_t>(((uint64_t{1} << 32) * ((uint64_t{1} << f.shift) - d)) / d + 1);
    return f;
  }

  KCONV_HOST_DEVICE uint32_t Div(uint32_t n) const {
#if defined(__CUDA_ARCH__)
    const uint32_t hi = __umulhi(n, multiplier);
#else
    const uint32_t hi = static_cast<uint32_t>((uint64_t{n} * multiplier) >> 32);
#endif
    return (hi + n) >> shift;
  }

  KCONV_HOST_DEVICE void DivMod(uint32_t n, uint32_t& quotient, uint32_t& remainder) const {
    quotient = Div(n);
    remainder = n - quotient * divisor;
  }
};

}  // namespace kconv
