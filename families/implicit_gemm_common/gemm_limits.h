// SPDX-License-Identifier: Apache-2.0
// What the two implicit-GEMM families (families/implicit_gemm_tf32, families/implicit_gemm_ffma) share on the
// host: the 32-bit index range their kernels assume, and the layout strides their parameters carry.
#pragma once

#include <stdint.h>

#include "absl/status/status.h"
#include "runtime/conv_shape.h"

namespace kconv {
namespace implicit_gemm_common {

// OK, or UNIMPLEMENTED naming `family` and the extent beyond the kernels' 32-bit indices: FastDivmod
// dividends stay below 2^31 (GEMM rows up to gemm_m + m_margin, taps up to gemm_k + block_k), input
// coordinates reach (P-1)*stride + (R-1)*dil - pad < H + pad, and K / block_n blocks fit grid y.
absl::Status CheckIndexRange(const char* family, const ConvShape& shape, int64_t m_margin, int block_k, int block_n);

// Sets p's x_stride_{n,c,h,w} and y_stride_{n,k,p,q} (elements) for the shape's layout.
template <class Params>
void SetLayoutStrides(const ConvShape& shape, Params& p) {
  const Strides4 xs = XStrides(shape), ys = YStrides(shape);
  p.x_stride_n = xs.n;
  p.x_stride_c = xs.c;
  p.x_stride_h = xs.h;
  p.x_stride_w = xs.w;
  p.y_stride_n = ys.n;
  p.y_stride_k = ys.c;
  p.y_stride_p = ys.h;
  p.y_stride_q = ys.w;
}

}  // namespace implicit_gemm_common
}  // namespace kconv
