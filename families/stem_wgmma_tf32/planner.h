// SPDX-License-Identifier: Apache-2.0
// The Hopper stem family's planner (families/stem_wgmma_tf32/kernel.cuh): one persistent block per SM
// walks tiles of output rows (whole rows, or column tiles of rows too wide for a band) and one group of the
// config's channels.
#pragma once

#include <stdint.h>

#include "absl/status/status.h"
#include "families/stem_common/stem_geometry.h"
#include "families/stem_wgmma_tf32/traits.h"
#include "runtime/conv_shape.h"
#include "runtime/driver_api.h"
#include "runtime/kernel_family.h"

namespace kconv {
namespace stem_wgmma_tf32 {

const KernelFamily& Family();

// The family's configs, in the order of its `configs` file (generated from it:
// generated/stem_wgmma_tf32_configs.cc).
extern const Config kConfigs[];

// OK, or UNIMPLEMENTED saying why `config` cannot run `shape` on `device`: a device other than compute
// capability 9.0, CheckStemShape's limits (up to kMaxChannels channels), output rows that do not divide
// into the config's m64 pieces, too many chunks or tiles, or a band larger than shared memory.
absl::Status Accepts(const ConvShape& shape, const Config& config, const DeviceLimits& device);

// Whether `config` computes `shape` over a pair-row band (families/stem_common/pair_rows.h) with wgmma k16 in
// the type: 16-bit NCHW with an even vertical stride, io = 1 (at strides 2 and 1, a pair-row plane per phase,
// for kernel heights that are even or at least 7), or 16-bit NHWC at stride 4 (horizontally) in its planes
// (families/stem_common/nhwc_pair_rows.h). On by default (AlexNet fp16 NCHW on an H200: 1080p 2762
// against 3645 us with widened bands); KCONV_PAIR_ROWS=0 widens 16-bit bands to TF32 instead (read on each call).
bool PairRowBand(const ConvShape& shape, const Config& config);

// Whether a pair-row band may come by tensor copy (raw rows the producers pair): KCONV_PAIR_ROWS unset or 2
// (1: the producers copy it through registers), read on each call (Accepts and Cost too).
bool PairRowTensorCopyEnabled();

// Whether the split = 1 configs (3xTF32 on wgmma) accept shapes: unless the environment sets
// KCONV_WGMMA_3XTF32=0 (read on each call), which sends 3xTF32 to the portable family's mma.sync (more
// accurate, slower: AlexNet N = 256 on an H200, 1149 against 673 us, relative L2 1.5e-7 against 9.7e-7).
bool WgmmaSplitEnabled();

// The kernels a plan of `shape` launches, as indices into the family's KernelSuffixes, over a pair-row band or
// not (PlanData::pair_rows).
int ConvolutionKernel(const ConvShape& shape, bool pair_rows);
int PackerKernel(const ConvShape& shape, bool pair_rows);

struct PlanData {
  StemWgmmaParams params;   // tensor pointers, band_map and use_tma left for the launch
  StemPackParams pack;      // pointers left null
  LaunchGeometry geometry;  // (min(tiles, SMs), 1)
  int64_t packed_weight_bytes;
  bool pair_rows;  // PairRowBand, decided once, so that the band's geometry and the kernels agree
  bool raw_rows;   // the band comes as raw rows (pair rows, or widened at strides 2 and 1) or not at all by copy
  bool async_nhwc_band;  // an fp32 NHWC band at stride 4 by asynchronous copies (NhwcBandByAsyncCopies)
  int kernel;      // the convolution (ConvolutionKernel) and the weight packer (PackerKernel)
  int packer;
};
// Requires Accepts(shape, config, device) to be OK; the device's SM count sizes the persistent grid, and its
// shared memory decides whether a tile holds whole rows or column tiles.
PlanData MakePlanData(const ConvShape& shape, const Config& config, const DeviceLimits& device);

// Relative cost: the tiles of the busiest block (tiles are split evenly over one block per SM), each its
// pixels times its share of 96 channels (times the reduction's padding to whole weight stages) plus a
// 64-pixel equivalent of per-tile overhead (the band copy and
// the latency chain, which do not scale with the tile; the H200's AlexNet timings put it at 50-90 pixels).
// It picks the measured fastest tile size at N = 1, 32 and 256, but cannot rank configs within ~10% of
// each other: ChoiceMargin() asks a later-listed config to be 10% cheaper. A weight ring too shallow for its
// reduction adds each stage's wait for its slot's refill (a bulk copy's latency less the math of the other
// slots, in cycles of a latency-bound block), which made m256n96_w8_k3x2 1.2x (fp16) to 1.6x (TF32) slower than
// k3x5 on AlexNet (the term puts it at 1.25x and 1.5x). Negative (not chosen: the heuristic goes on to the next
// family) for fp32 NHWC 3x3 stems of up to 4 channels at equal strides 2 or 1, which stem_ffma computes faster.
double Cost(const ConvShape& shape, const Config& config, const DeviceLimits& device);

// Whether a plan of `shape` on `config` brings its fp32 NHWC stride-4 bands by the band warps' 16-byte
// asynchronous copies (cp.async, a warp's copy 512 contiguous bytes) rather than by tensor copies, whose box is
// one 16-byte group wide (a plane's groups are C apart), so that the engine fetches every group on its own:
// rows must be whole 16-byte groups (W * C % 4 == 0). By default for TF32 (not split) configs, on kernels of at
// least 8 columns or on 8-warp configs with five band warps (BandWarps), where they were measured faster;
// KCONV_NHWC_BAND_COPY=tensor or =async (read when the plan is made) forces either way. A launch also needs x 16-byte aligned (params.async_band), else the tensor copies (or
// the warps, through registers) bring the band.
bool NhwcBandByAsyncCopies(const ConvShape& shape, const Config& config);

// The tensor map a launch of `data` over x uses, into params->band_map: EncodeRawRowBandMap for a band of raw
// rows (which is false where the plan made no room for them), else EncodeBandMap. True: the band comes by tensor
// copy (params->use_tma).
bool EncodeLaunchBandMap(const DriverApi* api, const ConvShape& shape, const PlanData& data, uint64_t x,
                         StemWgmmaParams* params);
// Fills `map` (a CUtensorMap) with x as [N][C][H][W] and a box of one band (NHWC: EncodeNhwcBandMap); false when the tensor-copy
// engine cannot describe it (the kernel's producer warps then copy the bands themselves).
bool EncodeBandMap(const DriverApi* api, const ConvShape& shape, const StemParams& params, uint64_t x, uint64_t* map);
// The elements of an NHWC raw-row map's innermost dimension (StemWgmmaParams::raw_group): 8 pixels (8 C) where W is
// a multiple of 8, C at most 32 and the horizontal stride at least 2, so that each of the engine's requests brings
// 16 C bytes or more, where a map of 16-byte groups takes one request per 16 bytes; else 16 bytes.
int32_t NhwcRawGroup(const ConvShape& shape);
// EncodeBandMap for a band of raw rows (a pair-row band, or a widened one at horizontal stride 2 or 1): in NCHW,
// x as [N][C][H][W] 16-bit elements and a box of the band's raw rows (params.raw_row elements); in NHWC, x as
// [N][H][W * C / G][G] (G = params.raw_group elements: NhwcRawGroup) and a box of every group of the raw rows
// (raw_row * C elements each). False unless the plan made room for them (raw_row > 0), x is 16-byte aligned and
// rows are whole groups.
bool EncodeRawRowBandMap(const DriverApi* api, const ConvShape& shape, const StemWgmmaParams& params, uint64_t x,
                         uint64_t* map);
// EncodeBandMap for fp32 NHWC: x as [N][H][W / 4][C][4 floats], whose box one group wide in C is one plane of
// the band (families/stem_common/nhwc_planes.h); false unless W % 4 == 0 (whole pixel steps).
bool EncodeNhwcBandMap(const DriverApi* api, const ConvShape& shape, const StemParams& params, uint64_t x,
                       uint64_t* map);

}  // namespace stem_wgmma_tf32
}  // namespace kconv
