// SPDX-License-Identifier: Apache-2.0
// What the two stem families (families/stem_tf32, families/stem_wgmma_tf32) share, host and device: the
// config's fields, the chunk layout of the input band, the packed weights and the kernel parameters.
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

#include "families/stem_common/nhwc_planes.h"
#include "ptx/fast_divmod.h"

namespace kconv {

inline constexpr int kStemMaxChunks = 256;

// One line of a stem family's `configs` file.
struct StemConfig {
  int mt;       // m16 tiles per warp (stem_wgmma_tf32: m64 tiles per consumer warpgroup)
  int nt;       // n8 tiles per warp: every warp covers all nt*8 output channels
  int warps;    // warps that compute (stem_wgmma_tf32: consumer warps; its producers come on top)
  int wsteps;   // k8 steps of weights per pipeline stage
  int wstages;  // weight pipeline depth (>= 2)
};

struct StemLayout {
  int tile_pixels;    // 16 * mt * warps consecutive output pixels of one image per block
  int threads;        // of the warps that compute
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
                          // (NHWC in the Hopper family: W * C even and x 4-byte aligned, 16-bit pairs)
  FastDivmod div_q;
  // The portable family's strips: rows too wide for a band are cut into `strips` strips of strip_columns
  // output columns (a multiple of the phases; the last strip may hold fewer real ones), each a problem of
  // P x strip_columns pixels (strip_pixels) that tiles walk as if it were the image. 1, Q and P * Q otherwise.
  int32_t strips;
  int32_t strip_columns;
  int32_t strip_pixels;
  FastDivmod div_strip;  // by strip_columns
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

struct StemPackParams {
  const float* w;   // [K][C][R][S]
  float* packed;
  int32_t k, c, r, s, j;  // j = chunks per kernel row
  int32_t channels;       // nt * 8
  int32_t steps;
  NhwcPlanes planes;      // NHWC bands (nhwc_planes.h): K in its chunk order; planes = 0: K is (c, r, j)
  int32_t flat_rows;      // 1: K is (r, j) over each kernel row's S * C (s, c) pairs (FlatRowTapAt; the
                          // im2col family's NHWC gather), with j = ceil(S * C / 4)
};

// The (c, r, s) of the weight that element e of chunk `chunk` multiplies where K is (r, j) over flat kernel
// rows: kernel row chunk / j, and element 4 * (chunk % j) + e of its (s, c) pairs, c fastest. False past the
// kernel (a zero weight).
KCONV_HOST_DEVICE bool FlatRowTapAt(int32_t channels, int32_t kernel_rows, int32_t kernel_columns, int32_t j,
                                    int32_t chunk, int32_t e, int32_t* c, int32_t* r, int32_t* s) {
  const int32_t element = 4 * (chunk % j) + e;
  *r = chunk / j;
  *s = element / channels;
  *c = element % channels;
  return *r < kernel_rows && *s < kernel_columns;
}

}  // namespace kconv
