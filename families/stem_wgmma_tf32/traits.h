// SPDX-License-Identifier: Apache-2.0
// Everything a config of the Hopper stem family determines, shared by its kernel (nvcc) and its planner
// (g++): the config's fields, the block's warps, the kernel's parameters and its shared-memory layout.
#pragma once

#include <stdint.h>

#include "families/stem_common/stem_params.h"

namespace kconv {
namespace stem_wgmma_tf32 {

// One line of families/stem_wgmma_tf32/configs: mt counts m64 tiles per consumer warpgroup, warps the
// consumer warps, nt = 12, 8, 6 or 4 (wgmma n96, n64, n48, n32), and phases the output-column phases a band
// holds: 4 / the horizontal stride it serves (1 for stride 4, 2 for stride 2, 4 for stride 1).
struct Config : StemConfig {
  int phases;
  // 1: the config also computes fp16 and bf16 tensors and NHWC (kernel.cuh); 0: fp32 NCHW only, since each
  // more kernel costs the library ~200 KB, so only the configs the planner picks for stems carry them.
  int io;
  // 1: the config computes fp32 NCHW in 3xTF32 only (each band and weight step with its TF32 remainders).
  int split;
};

KCONV_HOST_DEVICE constexpr Config MakeConfig(int mt, int nt, int warps, int wsteps, int wstages, int phases) {
  Config c{};
  c.mt = mt;
  c.nt = nt;
  c.warps = warps;
  c.wsteps = wsteps;
  c.wstages = wstages;
  c.phases = phases;
  return c;
}

// The producer warps that come on top of the consumer warps: one streams the weights, the others copy the bands (for
// load parallelism): three, or five where the registers allow and the band was measured to bound the kernel: fp32
// NHWC at strides 4 and 2, and 16-bit NCHW at stride 2 (raw rows widened or paired into each phase's plane). At
// stride 2 on an H100 (N = 64, NOTES of the thirty-ninth session) five took ResNet's 7x7/2 fp32 NHWC from 148.6 to
// 138.4 us, MobileNet's 3x3/2 fp32 NHWC from 71 to 65 and ResNet's fp16 NCHW from 137 to 127, but made the 16-bit
// NHWC bands, whose RGB widening pass is cheap, 4-5% slower, and VGG's 3x3/1 5-8% slower in fp16 NCHW and NHWC,
// where the consumers bound (likely by losing registers, 168 -> 128, and issue slots to the extra warps). Those band
// warps lay a band out in C planes (by asynchronous copies they issue themselves, or a tensor copy per plane) and
// round each plane's rows, fewer than a band's and so less evenly divided: with three, the consumers waited on the
// bands (ncu, NOTES of the twenty-sixth session). Registers bound the count: the block's warps share an SM's four
// schedulers, and each scheduler's warps its 16384 registers (ptxas, sm_90a):
//  - 12-warp configs, 16 -> 18 warps: 128 -> 96 registers a thread, which their kernels fit without spills (108);
//  - 8-warp n64 and n32 configs, 12 -> 14 warps: 168 -> 128, fitting their 114 (the stride-2 and stride-1
//    configs' 110-128);
//  - not 8-warp n96 configs (131-136) nor the 3xTF32 ones (136-176), which would spill.
// The 4-warp configs (N = 1: one tile a block) fit five (168 registers) but gained nothing (AlexNet N = 1: 10.0
// us either way with the async copies, 9.6 -> 9.8 with the tensor copies), so they keep three.
KCONV_HOST_DEVICE constexpr int BandWarps(int warps, int nt, bool split, int element_type, bool nhwc, int phases) {
  const bool fits = !split && (warps == 12 || (warps == 8 && nt <= 8));
  const bool fp32 = element_type == 0;
  const bool wanted = phases == 1 ? fp32 && nhwc : phases == 2 && fp32 == nhwc;
  return fits && wanted ? 5 : 3;
}
KCONV_HOST_DEVICE constexpr int Threads(Config c, int element_type, bool nhwc) {
  return 32 * (c.warps + 1 + BandWarps(c.warps, c.nt, c.split == 1, element_type, nhwc, c.phases));
}

// The most output channels a launch computes: channel groups of the config's 96, 64, 48 or 32 channels split
// them over blocks, and the bias table in shared memory holds every group's.
inline constexpr int kMaxChannels = 1024;

// Parameters of the persistent Hopper kernel (families/stem_wgmma_tf32/kernel.cuh): block b computes tiles
// [b * total_tiles / grid, (b + 1) * total_tiles / grid). A tile is rows_per_tile output rows, the
// columns of one column tile, and one group of the config's channels (96, or 48 for n48 configs): tile i is
// channel group i % channel_groups of column tile u % column_tiles of rows (t % tiles_per_image) *
// rows_per_tile ... of image t / tiles_per_image, with u = i / channel_groups and t = u / column_tiles.
// Each row of a column tile is cut into `segments` m64 pieces per phase (pixels 64s ... 64s + 63 of the
// phase), so that eight consecutive pixels of a piece are one 128-byte core matrix of the band and wgmma
// reads A straight from it. Rows that fit the config's tile are one column tile (tile_columns = Q); wider
// rows (a 1080p frame) are cut into column tiles of one m64 piece per phase, each with its own, narrower
// band.
struct alignas(64) StemWgmmaParams {
  uint64_t band_map[16];   // CUtensorMap of x whose box is one band (NHWC: one plane); used if use_tma
  int32_t use_tma;         // 0: the producer warps copy bands through registers (x not 16-byte aligned, ...)
  int32_t band_box_bytes;  // the bytes one band copy delivers: c * band_rows * row_floats * 4 (per phase), or
                           // band_rows * row_floats * 4 per plane of an NHWC band (c planes); a pair-row band's
                           // raw rows, c * band_rows * raw_row * 2 (its units' bytes where raw_row is 0); a
                           // widened band's raw rows, c * band_rows * raw_row elements
  int32_t tiles_per_image;  // row tiles per image
  int32_t column_tiles;     // column tiles per row tile: 1 when the config's tile holds whole rows
  int32_t tile_columns;     // output columns per column tile (Q when whole rows), a multiple of the phases
  int32_t channel_groups;   // ceil(k / the config's channels): blocks that share a row tile's channels
  int32_t total_tiles;      // N * tiles_per_image * column_tiles * channel_groups
  int32_t rows_per_tile;   // output rows per tile: the config's m64 pieces / segments
  int32_t segments;        // m64 pieces per output row and phase of a column tile: ceil(tile_columns / phases / 64)
  int32_t staging_stride;  // floats between channel rows of a tile's staged outputs (over its band); 16-bit
                           // elements where it stages in the type (StagesInType); NHWC: floats between its
                           // staged pixels (StemWgmmaPixelStride)
  FastDivmod div_tile_columns;  // by tile_columns: a tile pixel's row and column (NHWC epilogue)
  int32_t first_position;  // NHWC: the pixel step of a band's first group from the tile's first (NhwcPlanes)
  int32_t lo_offset;       // 3xTF32: bytes from a band buffer's start to the band's TF32 remainders
  int32_t raw_offset;      // raw rows by tensor copy (pair rows, widened bands): bytes from a band buffer's start
                           // to them
  int32_t raw_row;         // ... and the columns of one raw row (PairRowRawRow, WidenedRawRow); 0: no room, no
                           // tensor copy
  StemParams p;
  int32_t async_band;  // 1: an fp32 NHWC band at stride 4 comes by the band warps' 16-byte asynchronous copies
                       // (use_tma 0; NhwcBandByAsyncCopies). After p, so that no other field moves.
  int32_t bulk_write;  // how a tile staged in the 16-bit type goes out: kBulkWriteLanes or kBulkWriteConsumers
                       // (BulkWrite in planner.cc; KCONV_BULK_WRITE=0 or 1 forces one)
  int32_t resident_weights;  // 1: each weight stage has its own slot and is copied once per block, not per tile
                             // (ResidentWeights in planner.cc)
  int32_t pingpong;  // 1: the consumer warpgroups take turns (kernel.cuh's kMayPingPong; WithPingPong in planner.cc),
                     // each staging half the tile (staging_stride is a half's): the first at raw_offset,
  int32_t second_staging;  // the second this many bytes from its band buffer's start
  int32_t nhwc_bulk;  // 1: a 16-bit NHWC tile of whole rows (one channel group, K a multiple of 8) is staged in the
                      // type as its contiguous output and written by one bulk copy where y is 16-byte aligned
                      // (NhwcBulkWrite in planner.cc)
  int32_t early_raw;  // 1: the raw rows' room (raw_offset) lies past the staging, so that the producers copy a band's
                      // raw rows as soon as the band two tiles before has been laid out (EarlyRawRows in planner.cc)
  int32_t raw_group;  // NHWC raw rows by tensor copy: the elements of the map's innermost dimension (NhwcRawGroup in
                      // planner.cc), whose count the copy's start coordinate is in
};

// StemWgmmaParams::bulk_write. kBulkWriteLanes: the consumer lanes' 16-byte stores (WriteTileInType).
// kBulkWriteConsumers: each consumer lane issues its channels' whole pieces as bulk copies and waits for them to
// read the staging (WriteTileInTypeBulk). (The band warps issuing those copies when they came to refill the band,
// so that the consumers freed it at once, was 1-2% faster on AlexNet and 17-29% slower on the other stems: NOTES,
// thirty-second session.)
inline constexpr int32_t kBulkWriteLanes = 0;
inline constexpr int32_t kBulkWriteConsumers = 1;

// Shared-memory layout of the persistent Hopper kernel: two bands (the next tile's loads while this one
// computes; the epilogue stages over the finished one), `wstages` weight slots, the mbarriers (full and
// empty per weight slot; landed, full and empty per band), the chunk table, then the biases of every
// channel group (bias_floats: channel_groups * the config's channels; zeros past K and without a bias).
// wgmma's reads of a piece's last pixels may run up to a few chunks past the end of a band: the weights
// follow. 64-bit, so that the host can size shapes far too large for shared memory without overflow.
struct StemWgmmaSmem {
  int64_t band_bytes;
  int64_t weights;      // offset of the weight slots
  int64_t barriers;     // offset of the 2 * wstages + 6 mbarriers
  int64_t chunk_table;  // offset of the chunk table (4 bytes per chunk)
  int64_t bias;         // offset of the bias table
  int64_t total;
};

KCONV_HOST_DEVICE constexpr StemWgmmaSmem MakeStemWgmmaSmem(int64_t band_bytes, int64_t wstages,
                                                            int64_t weight_stage_bytes, int64_t chunks,
                                                            int64_t bias_floats) {
  StemWgmmaSmem s{};
  s.band_bytes = band_bytes;
  s.weights = 2 * band_bytes;
  s.barriers = s.weights + wstages * weight_stage_bytes;
  s.chunk_table = s.barriers + (2 * wstages + 6) * 8;
  s.bias = s.chunk_table + 4 * ((chunks + 3) / 4 * 4);
  s.total = s.bias + 4 * ((bias_floats + 3) / 4 * 4);
  return s;
}

// Floats between the channel rows of a tile's staged outputs in the persistent kernel: at least the tile's
// pixels, and 4 banks past a multiple of 32, so that accumulator stores are conflict-free.
KCONV_HOST_DEVICE constexpr int64_t StemWgmmaStagingStride(int64_t tile_pixels) {
  return (tile_pixels + 31) / 32 * 32 + 4;
}

// Whether a launch stages its outputs in their 16-bit type (families/stem_common/stem_tile_in_type.cuh): 16-bit
// NCHW on the pair-row kernels and at horizontal stride 1 (phases 4), over tiles of whole rows (column tiles stage
// fp32). Half the staging's shared memory, which the weight ring may take instead. Where it measured slower it
// stays fp32: on an H100 at N = 64, fp16 MobileNet's 3x3/2 (widened rows, phases 2) took 61.7 us staged in the
// type against 58.5, while VGG's 3x3/1 took 360 against 416 (NOTES, thirtieth session).
KCONV_HOST_DEVICE constexpr bool StagesInType(int element_type, bool nhwc, bool pair_rows, int phases,
                                              int64_t column_tiles) {
  return element_type != 0 && !nhwc && (pair_rows || phases == 4) && column_tiles == 1;
}

// Elements between the channel rows of a tile staged in its 16-bit type: the tile's pixels after a head of up
// to 7 (the run's offset from a 16-byte boundary), in whole 16-byte pieces, and 8 elements past a multiple of 16,
// so that the four channel pairs a warp stages land 8 banks apart.
KCONV_HOST_DEVICE constexpr int64_t StemWgmmaStagingStrideInType(int64_t tile_pixels) {
  return (tile_pixels + 7 + 15) / 16 * 16 + 8;
}

// Floats between the staged pixels of an NHWC tile (pixel-major staging, families/stem_common/stem_tile_nhwc.cuh):
// the block's channels plus 8, which for 96, 64, 48 and 32 channels is 8 or 24 banks past a multiple of 32, so
// that the accumulators' 64-bit stores are conflict-free and each pixel's 16-byte pieces stay aligned.
KCONV_HOST_DEVICE constexpr int64_t StemWgmmaPixelStride(int64_t channels) { return channels + 8; }

// Byte offset in the packed weights of weight float e (0..7) of channel n at k8 step `step`, for blocks
// of kBlockChannels channels (96, or 48 when two blocks share a tile's channels): the channels of one
// block are one contiguous stream of `steps` step images, which is all that block copies. Within a step
// image the two K halves (chunks) are kBlockChannels * 16 bytes apart and channels 16 bytes apart, so each
// group of 8 channels of one half is a 128-byte core matrix (LBO kBlockChannels * 16, SBO 128).
template <int kBlockChannels>
KCONV_HOST_DEVICE int64_t WgmmaWeightOffset(int steps, int step, int n, int e) {
  const int group = n / kBlockChannels, channel = n % kBlockChannels;
  return (static_cast<int64_t>(group) * steps + step) * kBlockChannels * 32 + (e / 4) * kBlockChannels * 16 +
         channel * 16 + (e % 4) * 4;
}

// WgmmaWeightOffset for 3xTF32 configs: each step image of kBlockChannels channels is followed by its TF32
// remainders' image, so a weight stage holds both; `remainder` selects the second.
template <int kBlockChannels>
KCONV_HOST_DEVICE int64_t WgmmaSplitWeightOffset(int steps, int step, int n, int e, bool remainder) {
  const int group = n / kBlockChannels, channel = n % kBlockChannels;
  return ((static_cast<int64_t>(group) * steps + step) * 2 + (remainder ? 1 : 0)) * kBlockChannels * 32 +
         (e / 4) * kBlockChannels * 16 + channel * 16 + (e % 4) * 4;
}

// WgmmaWeightOffset for the k16 steps of 16-bit pair-row bands (families/stem_common/pair_rows.h): element e
// (0..15) of channel n, the step's two units (8 elements each) as the two K halves, in the same 32 bytes per
// channel and step.
template <int kBlockChannels>
KCONV_HOST_DEVICE int64_t WgmmaWeightOffset16(int steps, int step, int n, int e) {
  const int group = n / kBlockChannels, channel = n % kBlockChannels;
  return (static_cast<int64_t>(group) * steps + step) * kBlockChannels * 32 + (e / 8) * kBlockChannels * 16 +
         channel * 16 + (e % 8) * 2;
}

}  // namespace stem_wgmma_tf32
}  // namespace kconv
