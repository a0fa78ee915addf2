// SPDX-License-Identifier: Apache-2.0
// Everything a config of the implicit-GEMM TF32 family determines, shared by its kernel (nvcc, at compile
// time) and its planner (g++, at run time): the config's fields as its `configs` file names them, the tile
// geometry derived from them, and the kernel's parameters.
#pragma once

#include <stdint.h>

#include "ptx/fast_divmod.h"

namespace kconv {
namespace implicit_gemm_tf32 {

// One line of families/implicit_gemm_tf32/configs.
struct Config {
  int block_m;  // output pixels per block
  int block_n;  // output channels per block
  int block_k;  // taps per pipeline stage
  int warps;
  int stages;   // cp.async pipeline depth; 1 = load, wait, compute
  int split;    // 1: 3xTF32 (KCONV_MATH_3XTF32), 0: TF32
};

struct TileLayout {
  int threads;
  int warps_m, warps_n;        // warp grid over the block tile
  int warp_tile_m, warp_tile_n;
  int a_stride;                // floats per row of the A stage, stored [block_k][block_m + 8]
  int b_stride;                // floats per row of the B stage, stored [block_n][block_k + 4]
  int stage_floats;
  int epilogue_stride;         // floats per row of the output staging, [block_n][block_m + 4]
  int smem_bytes;
  bool valid;
};

// The paddings make the mma.sync fragment reads conflict-free: A rows differ by 8 banks (block_m is a
// multiple of 32), B and epilogue rows by 4 banks (block_k a multiple of 8, block_m of 32).
constexpr TileLayout MakeTileLayout(Config c) {
  TileLayout l{};
  l.threads = c.warps * 32;
  // Pick the warp grid whose warp tiles are closest to square; warp tiles must hold whole
  // m16 x n8 mma tiles.
  int best_gap = 1 << 30;
  for (int wm = 1; wm <= c.warps; ++wm) {
    if (c.warps % wm != 0) continue;
    const int wn = c.warps / wm;
    if (c.block_m % (16 * wm) != 0 || c.block_n % (8 * wn) != 0) continue;
    const int tm = c.block_m / wm, tn = c.block_n / wn;
    const int gap = tm > tn ? tm - tn : tn - tm;
    if (gap < best_gap) {
      best_gap = gap;
      l.warps_m = wm;
      l.warps_n = wn;
    }
  }
  l.valid = best_gap != (1 << 30) && c.block_m % 32 == 0 && c.block_k % 8 == 0 && c.stages >= 1 &&
            (c.block_m * c.block_k) % l.threads == 0 && (c.block_n * c.block_k) % l.threads == 0 &&
            (c.block_m * c.block_n) % l.threads == 0 &&
            (l.threads % c.block_m == 0 || c.block_m % l.threads == 0) &&
            (l.threads % c.block_k == 0 || c.block_k % l.threads == 0);
  if (!l.valid) return l;
  l.warp_tile_m = c.block_m / l.warps_m;
  l.warp_tile_n = c.block_n / l.warps_n;
  l.a_stride = c.block_m + 8;
  l.b_stride = c.block_k + 4;
  l.stage_floats = c.block_k * l.a_stride + c.block_n * l.b_stride;
  l.epilogue_stride = c.block_m + 4;
  const int pipeline = c.stages * l.stage_floats;
  const int epilogue = c.block_n * l.epilogue_stride;
  l.smem_bytes = 4 * (pipeline > epilogue ? pipeline : epilogue);
  return l;
}

// The kernel's argument, filled once per plan (pointers per launch) and passed by value, so that the
// kernel does almost no index arithmetic of its own (CUTLASS's Params idea).
// Input x and output y in NCHW or NHWC, described by element strides; weights w[K][C][R][S], bias b[K];
// all fp32.
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
  int64_t x_stride_n, x_stride_c, x_stride_h, x_stride_w;  // elements between neighbours in x
  int64_t y_stride_n, y_stride_k, y_stride_p, y_stride_q;  // and in y

  FastDivmod div_pq;  // m -> (image, p*Q+q)
  FastDivmod div_q;   // p*Q+q -> (p, q)
  FastDivmod div_rs;  // tap -> (c, r*S+s)
  FastDivmod div_s;   // r*S+s -> (r, s)
};

}  // namespace implicit_gemm_tf32
}  // namespace kconv
