// Parameters and shared-memory layout of the stem-convolution family (ptx/stem_tf32.cuh), shared by the
// host runtime and the kernels.
//
// The stride-4 chunk layout: with a horizontal stride of 4, each padded input row is stored in shared
// memory as 16-byte chunks, chunk k holding input columns 4k - pad_w ... 4k - pad_w + 3. Output pixel q
// at kernel column s then reads chunk q + s/4, element s%4, so an im2col row of one (channel, kernel row)
// is J = ceil(S/4) consecutive chunks, and eight consecutive pixels of one output row are 128
// contiguous bytes: one ldmatrix 8x8 matrix, or one wgmma core matrix. GEMM K is the list of chunks (c
// outer, then r, then j: band offsets increase along it), padded to whole weight stages; one mma k8 step
// consumes two chunks.
#pragma once

#include <stdint.h>

#include "conv_params.h"

namespace kconv {

inline constexpr int kStemMaxChunks = 256;

struct StemConfig {
  int mt;       // m16 tiles per warp
  int nt;       // n8 tiles per warp: every warp covers all nt*8 output channels
  int warps;
  int wsteps;   // k8 steps of weights per pipeline stage
  int wstages;  // weight pipeline depth (>= 2)
};

struct StemLayout {
  int tile_pixels;    // 16 * mt * warps consecutive output pixels of one image per block
  int threads;
  int weight_step_bytes;   // one k8 step of packed weights: nt*8 channels x 8 floats
  int weight_stage_bytes;
  int staging_stride;      // floats per channel row of the output staging
};

constexpr StemLayout MakeStemLayout(StemConfig c) {
  StemLayout l{};
  l.tile_pixels = 16 * c.mt * c.warps;
  l.threads = 32 * c.warps;
  l.weight_step_bytes = c.nt * 8 * 8 * 4;
  l.weight_stage_bytes = c.wsteps * l.weight_step_bytes;
  l.staging_stride = l.tile_pixels + 4;  // rows 4 banks apart: conflict-free accumulator stores
  return l;
}

struct StemParams {
  const float* x;
  const float* w_packed;  // [steps][nt*8][8] TF32-rounded, halves swizzled (see PackedWeightOffset)
  const float* bias;      // null: no bias
  float* y;

  int32_t c, h, w_in, k, p, q;
  int32_t stride_h, pad_h, pad_w;
  int32_t row_floats;     // floats per shared-memory input row: 4 * (Q + J - 1)
  int32_t band_rows;      // input rows per channel a tile may touch
  int32_t steps;          // k8 steps (chunk count / 2), a multiple of the config's wsteps
  int32_t relu;
  int32_t band_bytes;     // c * band_rows * row_floats * 4, rounded up to 128
  int32_t pq;
  int32_t pair_copies;    // set per launch: W and pad_w even and x 8-byte aligned, so bands copy in pairs
  FastDivmod div_q;
  // Byte offset of each chunk in the band: (c * band_rows + r) * row_floats * 4 + j * 16, increasing
  // along K; padding chunks repeat the last real chunk (data the pixel reads anyway, zero weights).
  int32_t chunk_offset[kStemMaxChunks];
};

// Byte offset, within one packed k8 step, of weight float e (0..7) of channel n: each channel's 32 bytes
// hold the step's two chunks as 16-byte halves, swapped for channels with bit 2 set, so the eight rows
// of an ldmatrix phase cover all 32 banks.
KCONV_HOST_DEVICE int PackedWeightOffset(int n, int e) {
  const int half = (e / 4) ^ ((n >> 2) & 1);
  return n * 32 + half * 16 + (e % 4) * 4;
}

// Parameters of the persistent Hopper kernel (ptx/stem_wgmma_tf32.cuh): block b computes tiles
// [b * total_tiles / grid, (b + 1) * total_tiles / grid). Its tiles are whole output rows and one group of
// the config's channels (96, or 48 for n48 configs): tile i is channel group i % channel_groups of rows
// (t % tiles_per_image) * rows_per_tile ... of image t / tiles_per_image, t = i / channel_groups, each row
// cut into `segments` m64 pieces (pixels 64s ... 64s + 63 of the row), so that eight consecutive pixels of a
// piece are one 128-byte core matrix of the band and wgmma reads A straight from it.
struct alignas(64) StemWgmmaParams {
  uint64_t band_map[16];   // CUtensorMap of x as [N][C][H][W] whose box is one band; used if use_tma
  int32_t use_tma;         // 0: the producer warps copy bands through registers (x not 16-byte aligned, ...)
  int32_t band_box_bytes;  // c * band_rows * row_floats * 4: the bytes one band copy delivers
  int32_t tiles_per_image;  // row tiles per image
  int32_t channel_groups;   // ceil(k / the config's channels): blocks that share a row tile's channels
  int32_t total_tiles;      // N * tiles_per_image * channel_groups
  int32_t rows_per_tile;   // output rows per tile: the config's m64 pieces / segments
  int32_t segments;        // m64 pieces per output row: ceil(Q / 64)
  int32_t staging_stride;  // floats between channel rows of a tile's staged outputs (over its band)
  StemParams p;
};

// Shared-memory layout of the persistent Hopper kernel: two bands (the next tile's loads while this one
// computes; the epilogue stages over the finished one), `wstages` weight slots, the mbarriers (full and
// empty per weight slot; landed, full and empty per band), the chunk table, then the 96 biases. wgmma's
// reads of a piece's last pixels may run up to a few chunks past the end of a band: the weights follow.
// 64-bit, so that the host can size shapes far too large for shared memory without overflow.
struct StemWgmmaSmem {
  int64_t band_bytes;
  int64_t weights;      // offset of the weight slots
  int64_t barriers;     // offset of the 2 * wstages + 6 mbarriers
  int64_t chunk_table;  // offset of the chunk table (4 bytes per chunk)
  int64_t bias;         // offset of the bias (96 floats, zeros without one)
  int64_t total;
};

KCONV_HOST_DEVICE constexpr StemWgmmaSmem MakeStemWgmmaSmem(int64_t band_bytes, int64_t wstages,
                                                            int64_t weight_stage_bytes, int64_t chunks) {
  StemWgmmaSmem s{};
  s.band_bytes = band_bytes;
  s.weights = 2 * band_bytes;
  s.barriers = s.weights + wstages * weight_stage_bytes;
  s.chunk_table = s.barriers + (2 * wstages + 6) * 8;
  s.bias = s.chunk_table + 4 * ((chunks + 3) / 4 * 4);
  s.total = s.bias + 4 * 96;
  return s;
}

// Floats between the channel rows of a tile's staged outputs in the persistent kernel: at least the tile's
// pixels, and 4 banks past a multiple of 32, so that accumulator stores are conflict-free.
KCONV_HOST_DEVICE constexpr int64_t StemWgmmaStagingStride(int64_t tile_pixels) {
  return (tile_pixels + 31) / 32 * 32 + 4;
}

struct StemPackParams {
  const float* w;   // [K][C][R][S]
  float* packed;
  int32_t k, c, r, s, j;  // j = chunks per kernel row
  int32_t channels;       // nt * 8
  int32_t steps;
};

}  // namespace kconv
