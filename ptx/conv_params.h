// Parameters of one convolution launch, shared by the host runtime (g++) and the kernels (nvcc).
// Plain data only: the runtime fills it once per plan and passes it by value as the kernel argument,
// so the kernels do almost no index arithmetic of their own (CUTLASS's Params idea).
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

// NCHW input x[N][C][H][W], weights w[K][C][R][S], bias b[K], output y[N][K][P][Q], all fp32.
// GEMM view: gemm_m = N*P*Q output pixels, gemm_n = K output channels, gemm_k = C*R*S taps.
struct ConvParams {
  const float* x;
  const float* w;
  const float* bias;  // null when the convolution has no bias
  float* y;

  int32_t n, c, h, w_in, k, r, s, p, q;
  int32_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
  int32_t gemm_m, gemm_k;
  int32_t relu;  // 1: clamp the output at zero after the bias

  FastDivmod div_pq;  // m -> (image, p*Q+q)
  FastDivmod div_q;   // p*Q+q -> (p, q)
  FastDivmod div_rs;  // tap -> (c, r*S+s)
  FastDivmod div_s;   // r*S+s -> (r, s)
};

}  // namespace kconv
