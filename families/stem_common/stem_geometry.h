// SPDX-License-Identifier: Apache-2.0
// Host side that the stem families share: the shapes the stride-4 chunk layout serves, the band of input
// rows a tile reads, the chunk table, and the weight packing (families/stem_common/stem_params.h).
#pragma once

#include <cuda.h>
#include <stdint.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "families/stem_common/stem_params.h"
#include "runtime/conv_shape.h"
#include "runtime/kernel_family.h"

namespace kconv {
namespace stem {

inline constexpr int64_t kInt32Max = 2147483647;

// The most input channels for which a stem family cuts rows too wide for a band (the Hopper family's column
// tiles, the portable family's strips): stems are gray, RGB or RGBA; a layer with more channels is a later
// layer, which the implicit GEMM serves.
inline constexpr int64_t kWideRowMaxChannels = 4;

inline int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// UNIMPLEMENTED "<family>: <why>".
template <typename... Why>
absl::Status Refuse(const char* family, const Why&... why) {
  return absl::UnimplementedError(absl::StrCat(family, ": ", why...));
}

// OK if the chunk layout and the kernels' 32-bit indices serve `shape` with at most `max_channels` output
// channels at horizontal stride `stride_w`, else why not: another horizontal stride, dilation, too many
// channels or images, or an extent past the 32-bit index range.
absl::Status CheckStemShape(const char* family, const ConvShape& shape, int64_t max_channels, int64_t stride_w = 4);

// The input rows a tile reads, every channel, in the chunk layout.
struct StemBand {
  int64_t j;           // chunks per kernel row: ceil(S / 4) (NHWC planes: NhwcPlanes::groups, all channels)
  int64_t real_chunks; // R * C * J (NHWC planes: R * groups)
  int64_t chunks;      // real_chunks padded to whole weight stages (2 * wsteps chunks)
  int64_t row_floats;  // 4 * (the output columns + J - 1), plus the kernel's extra pitch
  int64_t band_rows;   // input rows per channel: (output rows spanned - 1) * stride_h + R
  int64_t band_bytes;  // C * band_rows * row_floats * 4, rounded up to 128
};

// The band of a tile spanning `rows_spanned` output rows of `columns` output pixels in the chunk layout (Q,
// or a phase's share of Q), each input row `extra_row_floats` wider than the chunk layout needs. Requires
// CheckStemShape to be OK.
StemBand BandOf(const ConvShape& shape, const StemConfig& config, int64_t rows_spanned, int64_t extra_row_floats,
                int64_t columns);

// The band of an NHWC tile in the plane layout (nhwc_planes.h) of `planes`: C planes of band_rows rows of
// row_floats floats (the tile's `columns` output pixels plus the chunks' reach), each plane's stride rounded
// up to 128 bytes (NhwcPlaneBytes: a tensor copy's destination), no wider rows for a shift. With `pair_rows`
// (16-bit NHWC at stride 4: nhwc_pair_rows.h), K is over the kernel's pair rows and each plane holds
// ceil(band_rows / 2) pair rows of the same row_floats * 4 bytes (16-byte units). Requires CheckStemShape to be
// OK and stride_w = 4.
StemBand NhwcBandOf(const ConvShape& shape, const StemConfig& config, const NhwcPlanes& planes, int64_t rows_spanned,
                    int64_t columns, bool pair_rows = false);
inline int64_t NhwcPlaneBytes(const StemBand& band, bool pair_rows = false) {
  return CeilDiv((pair_rows ? CeilDiv(band.band_rows, 2) : band.band_rows) * band.row_floats * 4, 128) * 128;
}

// MakeStemParams's chunk table replaced by the plane layout's: chunk (r, g) at its plane's offset, row r and
// its position (16 bytes each), in NhwcChunkAt's order; padding chunks repeat the last real one. With
// `pair_rows`, r is a kernel pair row, the unit's row in its plane.
void SetNhwcChunkOffsets(const ConvShape& shape, const StemBand& band, const NhwcPlanes& planes, StemParams* params,
                         bool pair_rows = false);

// The band of a 16-bit NCHW tile in the pair-row layout (pair_rows.h): j = ceil(S / 4) units per kernel pair
// row, real_chunks = C * ceil(R / 2) * j units, band_rows input rows as BandOf's, in C * ceil(band_rows / 2)
// pair rows of row_floats * 4 bytes (16-byte units, the same length as BandOf's rows without extra floats).
// Requires CheckStemShape to be OK and an even stride_h.
StemBand PairRowBandOf(const ConvShape& shape, const StemConfig& config, int64_t rows_spanned, int64_t columns);

// MakeStemParams's chunk table replaced by the pair-row layout's units: unit (c, i, j) at
// (c * ceil(band_rows / 2) + i) * row_floats * 4 + 16 j; padding units repeat the last real one.
void SetPairRowChunkOffsets(const ConvShape& shape, const StemBand& band, StemParams* params);

// The kernel parameters both stem kernels read (tensor pointers and pair_copies left for the launch): sizes,
// the band's geometry and the chunk table. K order: c, then r, then j, so that offsets increase (wgmma's A
// descriptors need a step's second chunk at or after its first); padding chunks repeat the last real one.
StemParams MakeStemParams(const ConvShape& shape, const StemBand& band);

// Whether a launch may copy bands in pairs of floats: W and pad_w even and x 8-byte aligned.
inline int32_t PairCopies(const ConvShape& shape, uint64_t x) {
  return shape.w % 2 == 0 && shape.pad_w % 2 == 0 && x % 8 == 0 ? 1 : 0;
}

// The same for an NHWC band's copy in pairs of 16-bit elements (the Hopper family): W * C even (rows start at
// even elements) and x 4-byte aligned; the band starts at a group, so a pair never straddles one.
inline int32_t NhwcPairCopies(const ConvShape& shape, uint64_t x) { return (shape.w * shape.c) % 2 == 0 && x % 4 == 0 ? 1 : 0; }

// The packing of w[K][C][R][S] into `channels` (a multiple of the config's) by params.steps k8 steps.
StemPackParams MakeStemPackParams(const ConvShape& shape, const StemBand& band, const StemParams& params,
                                  int32_t channels);

// Enqueues kernel `kernel` of `launcher`, the family's weight packer, over `pack` from w into `packed`.
absl::Status LaunchPackWeights(const KernelLauncher& launcher, int kernel, StemPackParams pack, uint64_t w,
                               uint64_t packed, CUstream stream);

}  // namespace stem
}  // namespace kconv
