// SPDX-License-Identifier: Apache-2.0
// Everything a config of the FFMA implicit-GEMM family determines, shared by its kernel (nvcc) and its
// planner (g++): the config's fields, the tile layout derived from them, and the kernel's parameters.
#pragma once

#include <stdint.h>

#include "ptx/fast_divmod.h"

namespace kconv {
namespace implicit_gemm_ffma {

// One line of families/implicit_gemm_ffma/configs.
struct Config {
  int block_m;   // output pixels per block
  int block_n;   // output channels per block
  int block_k;   // taps per shared-memory stage
  int thread_m;  // output pixels per thread
  int thread_n;  // output channels per thread
};

struct TileLayout {
  int threads;
  int a_per_thread;  // im2col elements each thread gathers per stage
  int b_per_thread;  // weight elements each thread gathers per stage
  int smem_bytes;    // two stages of A [block_k][block_m] and B [block_k][block_n], fp32
  int min_blocks;    // __launch_bounds__' blocks per SM: two of up to 256 threads (at most 128 registers
                     // each), so that one block's gather overlaps the other's math; ptxas gave the 8x8
                     // tile 145 registers, one block, without it
  bool valid;
};

constexpr TileLayout MakeTileLayout(Config c) {
  TileLayout l{};
  l.valid = c.thread_m > 0 && c.thread_n > 0 && c.block_k > 0 && c.block_m % c.thread_m == 0 &&
            c.block_n % c.thread_n == 0 && c.thread_m % 4 == 0 && c.thread_n % 2 == 0;
  if (!l.valid) return l;
  l.threads = (c.block_m / c.thread_m) * (c.block_n / c.thread_n);
  l.valid = l.threads % 32 == 0 && l.threads <= 1024 && (c.block_m * c.block_k) % l.threads == 0 &&
            (c.block_n * c.block_k) % l.threads == 0;
  if (!l.valid) return l;
  l.a_per_thread = c.block_m * c.block_k / l.threads;
  l.b_per_thread = c.block_n * c.block_k / l.threads;
  l.smem_bytes = 2 * c.block_k * (c.block_m + c.block_n) * 4;
  l.min_blocks = l.threads <= 256 ? 2 : 1;
  return l;
}

// The kernel's argument, filled once per plan (pointers per launch). x and y in NCHW or NHWC (strides in
// elements), w[K][C][R][S], of the kernel's element type; bias fp32[K].
// GEMM view: gemm_m = N*P*Q output pixels, gemm_n = K output channels, gemm_k = C*R*S taps.
struct FfmaParams {
  const void* x;
  const void* w;
  const float* bias;  // null when the convolution has no bias
  void* y;

  int32_t c, h, w_in, k, r, s;
  int32_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
  int32_t gemm_m, gemm_k;
  int32_t relu;  // 1: clamp the output at zero after the bias
  int64_t x_stride_n, x_stride_c, x_stride_h, x_stride_w;
  int64_t y_stride_n, y_stride_k, y_stride_p, y_stride_q;

  FastDivmod div_pq;  // m -> (image, p*Q+q)
  FastDivmod div_q;   // p*Q+q -> (p, q)
  FastDivmod div_rs;  // tap -> (c, r*S+s)
  FastDivmod div_s;   // r*S+s -> (r, s)
};

}  // namespace implicit_gemm_ffma
}  // namespace kconv
