// SPDX-License-Identifier: Apache-2.0
// Everything a config of the FFMA stem family determines, shared by its kernel (nvcc) and its planner (g++):
// the config's fields, the shared-memory layout derived from them, and the kernel's parameters.
#pragma once

#include <stdint.h>

#include "ptx/fast_divmod.h"  // KCONV_HOST_DEVICE

namespace kconv {
namespace stem_ffma {

// One line of families/stem_ffma/configs.
struct Config {
  int kernel;   // R = S
  int stride;   // both directions
  int block_k;  // output channels per block, a multiple of 8
  int rows;     // output rows per tile
  int tile_q;   // output columns per tile, a multiple of 8
  int thread_k; // output channels per thread: 8, or 4 (twice the threads, half the accumulators)
  int teams;    // 1, or 2: two teams of threads, each on tiles of its own with its own bands and barriers,
                // sharing the block's weights
};

// A thread computes 8 consecutive output pixels of one row x thread_k output channels.
constexpr int kThreadPixels = 8;

// The taps of phase `phase` (kernel columns phase, phase + stride, ...): columns of one phase of the band
// sit in a plane of their own, so that a thread's 8 pixels read consecutive positions of it.
KCONV_HOST_DEVICE constexpr int TapsOfPhase(Config c, int phase) {
  return phase < c.kernel ? (c.kernel - phase + c.stride - 1) / c.stride : 0;
}
// 16-byte loads of a thread's window of one phase: 8 pixels + taps - 1 positions.
KCONV_HOST_DEVICE constexpr int WindowLoads(Config c, int phase) {
  const int taps = TapsOfPhase(c, phase);
  return taps > 0 ? (kThreadPixels + taps - 1 + 3) / 4 : 0;
}

struct TileLayout {
  int channel_groups;  // block_k / thread_k: a thread's channel group is its index modulo this (fastest)
  int pixel_groups;    // tile_q / 8
  int threads;         // a team's threads that compute
  int team_threads;    // a team's threads: whole warps when there are two teams (named barriers)
  int block_threads;
  int band_rows;       // input rows of one tile
  int band_columns;    // input columns of one tile
  int plane_width;     // floats of a plane row (a multiple of 4)
  int band_floats;     // one input channel's band: [phase][band row][plane_width]
  int loads_per_thread;  // band elements each thread loads per channel
  int staging_stride;    // floats between channels of the epilogue's staging (4 mod 32: conflict-free)
  int staging_groups;    // channel groups staged per epilogue pass
  int passes;
  int region_floats;   // two bands, or the staging, whichever is larger; the weights follow
  int weight_stride;   // floats per tap of the weights: block_k + 4 (their stores spread over the banks)
  int min_blocks;      // __launch_bounds__' blocks per SM
  bool valid;
};

constexpr int RoundUp(int a, int b) { return (a + b - 1) / b * b; }

constexpr TileLayout MakeTileLayout(Config c) {
  TileLayout l{};
  l.valid = c.kernel > 0 && c.stride > 0 && c.rows > 0 && c.block_k > 0 && c.tile_q > 0 &&
            (c.thread_k == 4 || c.thread_k == 8) && c.block_k % 8 == 0 && c.tile_q % kThreadPixels == 0;
  if (!l.valid) return l;
  l.channel_groups = c.block_k / c.thread_k;
  l.pixel_groups = c.tile_q / kThreadPixels;
  l.threads = l.channel_groups * l.pixel_groups * c.rows;
  l.team_threads = c.teams > 1 ? RoundUp(l.threads, 32) : l.threads;
  l.block_threads = c.teams * l.team_threads;
  l.valid = (c.teams == 1 || c.teams == 2) && l.block_threads <= 1024;
  if (!l.valid) return l;
  l.band_rows = c.stride * (c.rows - 1) + c.kernel;
  l.band_columns = c.stride * (c.tile_q - 1) + c.kernel;
  int reach = 0;
  for (int phase = 0; phase < c.stride; ++phase) {
    const int end = kThreadPixels * (l.pixel_groups - 1) + 4 * WindowLoads(c, phase);
    reach = reach > end ? reach : end;
  }
  const int positions = (l.band_columns + c.stride - 1) / c.stride;
  l.plane_width = RoundUp(positions > reach ? positions : reach, 4);
  l.band_floats = c.stride * l.band_rows * l.plane_width;
  l.loads_per_thread = (l.band_floats + l.threads - 1) / l.threads;
  const int pixels = c.rows * c.tile_q;
  l.staging_stride = pixels + ((4 - pixels) % 32 + 32) % 32;
  // At most two passes; more groups per pass where the two bands hold them anyway.
  const int fit = 2 * l.band_floats / (c.thread_k * l.staging_stride);
  const int half = (l.channel_groups + 1) / 2;
  l.staging_groups = fit > half ? (fit < l.channel_groups ? fit : l.channel_groups) : half;
  l.passes = (l.channel_groups + l.staging_groups - 1) / l.staging_groups;
  const int staging = l.staging_groups * c.thread_k * l.staging_stride;
  l.region_floats = 2 * l.band_floats > staging ? 2 * l.band_floats : staging;
  l.weight_stride = c.block_k + 4;
  // As many blocks as fit at 168 registers a thread (ptxas: 114-128 for the 8-channel configs, 64 of them
  // accumulators; a block of more than 12 warps gets at most 128 whatever this says, of more than 24 at
  // most 64).
  const int per_sm = 65536 / (168 * RoundUp(l.block_threads, 32));
  l.min_blocks = per_sm > 1 ? per_sm : 1;
  return l;
}

// Dynamic shared memory of a block for `channels` input channels: each team's band/staging region, every input
// channel's weights of the block's output channels ([c][r][s][weight_stride]), then their bias.
constexpr int64_t SharedBytes(const Config& c, int64_t channels) {
  const TileLayout l = MakeTileLayout(c);
  return (int64_t{c.teams} * l.region_floats + channels * c.kernel * c.kernel * l.weight_stride + c.block_k) * 4;
}

// The kernel's argument, filled once per plan (pointers per launch). x and y in NCHW or NHWC (strides in
// elements), w[K][C][R][S], fp32; bias fp32[K].
struct FfmaStemParams {
  const float* x;
  const float* w;
  const float* bias;  // null when the convolution has no bias
  float* y;

  int32_t c, h, w_in, k, p, q, pad_h, pad_w;
  int32_t q_tiles, p_tiles, tiles;  // tiles = N * p_tiles * q_tiles, column tiles fastest
  int32_t relu;                     // 1: clamp the output at zero after the bias
  int32_t channels_last;            // 1: y is NHWC, written channel-fastest
  int64_t x_stride_n, x_stride_c, x_stride_h, x_stride_w;
  int64_t y_stride_n, y_stride_k, y_stride_p, y_stride_q;  // within an image the kernel takes them as 32-bit:
                                                           // the planner refuses images of 2^31 elements
};

}  // namespace stem_ffma
}  // namespace kconv
