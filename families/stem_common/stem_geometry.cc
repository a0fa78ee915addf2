// SPDX-License-Identifier: Apache-2.0
#include "families/stem_common/stem_geometry.h"

#include <algorithm>

namespace kconv {
namespace stem {

absl::Status CheckStemShape(const char* family, const ConvShape& s, int64_t max_channels, int64_t stride_w) {
  if (s.stride_w != stride_w) {
    return Refuse(family, "needs a horizontal stride of ", stride_w, " (the config's chunk layout), got ", s.stride_w);
  }
  if (s.dil_h != 1 || s.dil_w != 1) return Refuse(family, "needs dilation 1");
  if (s.k > max_channels) return Refuse(family, s.k, " output channels exceed the config's ", max_channels);
  if (s.n > 65535) return Refuse(family, "N = ", s.n, " exceeds the grid's 65535 images");
  // The kernels index with int32: every extent, and the band's rows (stride_h and R), stays well inside.
  // Each is at most 2^40 (ValidateConvDesc), so these sums and products cannot overflow int64.
  for (int64_t extent : {s.h + 2 * s.pad_h, s.w + 2 * s.pad_w, s.p * s.q, s.c * s.h * s.w, s.k * s.p * s.q,
                         s.stride_h, s.r, s.s}) {
    if (extent > kInt32Max / 2) return Refuse(family, "an extent (", extent, ") exceeds the 32-bit index range");
  }
  return absl::OkStatus();
}

namespace {

// a * b, or kSaturated when that overflows: a size no device has, which the shared-memory check refuses.
constexpr int64_t kSaturated = int64_t{1} << 56;
int64_t SaturatingProduct(std::initializer_list<int64_t> factors) {
  int64_t product = 1;
  for (int64_t f : factors)
    if (__builtin_mul_overflow(product, f, &product) || product > kSaturated) return kSaturated;
  return product;
}

// Chunks padded to whole weight stages of the config (2 * wsteps chunks a stage).
int64_t WholeStages(int64_t real_chunks, const StemConfig& config) {
  return CeilDiv(real_chunks, 2 * config.wsteps) * 2 * config.wsteps;
}

// The chunk table for K listed as (c, kernel row, j), `kernel_rows` a channel, over a band of `band_rows` rows
// a channel, each band.row_floats floats: chunk (c, r, j) at (c * band_rows + r) * row_floats * 4 + 16 j.
// Padding chunks repeat the last real one. MakeStemParams's rows are input rows, SetPairRowChunkOffsets's pair
// rows.
void SetRowChunkOffsets(int64_t kernel_rows, int64_t band_rows, const StemBand& band, StemParams* p) {
  for (int64_t chunk = 0; chunk < band.chunks; ++chunk) {
    const int64_t k = std::min(chunk, band.real_chunks - 1);
    const int64_t j = k % band.j, r = (k / band.j) % kernel_rows, c = k / (band.j * kernel_rows);
    p->chunk_offset[chunk] = static_cast<int32_t>((c * band_rows + r) * band.row_floats * 4 + j * 16);
  }
}

}  // namespace

StemBand BandOf(const ConvShape& s, const StemConfig& config, int64_t rows_spanned, int64_t extra_row_floats,
                int64_t columns) {
  // CheckStemShape bounds C, R, S, Q and stride_h by 2^30, and a tile spans few rows, so only the band's
  // size can overflow: it saturates.
  StemBand b{};
  b.j = CeilDiv(s.s, 4);
  b.real_chunks = SaturatingProduct({s.r, s.c, b.j});
  b.chunks = WholeStages(b.real_chunks, config);
  b.row_floats = 4 * (columns + b.j - 1) + extra_row_floats;
  b.band_rows = (rows_spanned - 1) * s.stride_h + s.r;
  b.band_bytes = CeilDiv(SaturatingProduct({s.c, b.band_rows, b.row_floats, 4}), 128) * 128;
  return b;
}

StemBand NhwcBandOf(const ConvShape& s, const StemConfig& config, const NhwcPlanes& planes, int64_t rows_spanned,
                    int64_t columns, bool pair_rows) {
  StemBand b{};
  b.j = planes.groups;
  b.real_chunks = SaturatingProduct({pair_rows ? CeilDiv(s.r, 2) : s.r, b.j});
  b.chunks = WholeStages(b.real_chunks, config);
  b.row_floats = 4 * (columns + NhwcPositionOf(planes, planes.groups - 1));  // the last chunk of the last pixel
  b.band_rows = (rows_spanned - 1) * s.stride_h + s.r;
  const int64_t plane_rows = pair_rows ? CeilDiv(b.band_rows, 2) : b.band_rows;
  b.band_bytes = SaturatingProduct({s.c, CeilDiv(SaturatingProduct({plane_rows, b.row_floats, 4}), 128), 128});
  return b;
}

void SetNhwcChunkOffsets(const ConvShape& s, const StemBand& band, const NhwcPlanes& planes, StemParams* p,
                         bool pair_rows) {
  const int64_t plane_bytes = NhwcPlaneBytes(band, pair_rows);
  const int32_t kernel_rows = static_cast<int32_t>(pair_rows ? CeilDiv(s.r, 2) : s.r);
  for (int64_t chunk = 0; chunk < band.chunks; ++chunk) {
    const NhwcChunk at = NhwcChunkAt(planes, kernel_rows, static_cast<int32_t>(std::min(chunk, band.real_chunks - 1)));
    p->chunk_offset[chunk] = static_cast<int32_t>(NhwcPlaneOf(planes, at.g) * plane_bytes +
                                                  at.r * band.row_floats * 4 + NhwcPositionOf(planes, at.g) * 16);
  }
}

StemBand PairRowBandOf(const ConvShape& s, const StemConfig& config, int64_t rows_spanned, int64_t columns) {
  // BandOf's rows and columns, with K over kernel pair rows and the band's rows held in pairs.
  StemBand b = BandOf(s, config, rows_spanned, 0, columns);
  b.real_chunks = SaturatingProduct({CeilDiv(s.r, 2), s.c, b.j});
  b.chunks = WholeStages(b.real_chunks, config);
  b.band_bytes = CeilDiv(SaturatingProduct({s.c, CeilDiv(b.band_rows, 2), b.row_floats, 4}), 128) * 128;
  return b;
}

void SetPairRowChunkOffsets(const ConvShape& s, const StemBand& band, StemParams* p) {
  SetRowChunkOffsets(CeilDiv(s.r, 2), CeilDiv(band.band_rows, 2), band, p);
}

StemParams MakeStemParams(const ConvShape& s, const StemBand& band) {
  StemParams p{};
  p.c = static_cast<int32_t>(s.c);
  p.h = static_cast<int32_t>(s.h);
  p.w_in = static_cast<int32_t>(s.w);
  p.k = static_cast<int32_t>(s.k);
  p.p = static_cast<int32_t>(s.p);
  p.q = static_cast<int32_t>(s.q);
  p.stride_h = static_cast<int32_t>(s.stride_h);
  p.pad_h = static_cast<int32_t>(s.pad_h);
  p.pad_w = static_cast<int32_t>(s.pad_w);
  p.row_floats = static_cast<int32_t>(band.row_floats);
  p.band_rows = static_cast<int32_t>(band.band_rows);
  p.steps = static_cast<int32_t>(band.chunks / 2);
  p.relu = s.relu ? 1 : 0;
  p.band_bytes = static_cast<int32_t>(band.band_bytes);
  p.pq = static_cast<int32_t>(s.p * s.q);
  p.div_q = FastDivmod::Make(static_cast<uint32_t>(s.q));
  p.strips = 1;
  p.strip_columns = p.q;
  p.strip_pixels = p.pq;
  p.div_strip = p.div_q;
  SetRowChunkOffsets(s.r, band.band_rows, band, &p);
  return p;
}

StemPackParams MakeStemPackParams(const ConvShape& s, const StemBand& band, const StemParams& p, int32_t channels) {
  return StemPackParams{nullptr, nullptr, p.k, p.c, static_cast<int32_t>(s.r), static_cast<int32_t>(s.s),
                        static_cast<int32_t>(band.j), channels, p.steps, NhwcPlanes{}, 0};
}

absl::Status LaunchPackWeights(const KernelLauncher& launcher, int kernel, StemPackParams pack, uint64_t w,
                               uint64_t packed, CUstream stream) {
  pack.w = reinterpret_cast<const float*>(w);
  pack.packed = reinterpret_cast<float*>(packed);
  const uint32_t blocks = static_cast<uint32_t>((int64_t{pack.steps} * pack.channels * 8 + 255) / 256);
  return launcher.Launch(kernel, LaunchGeometry{blocks, 1, 256, 0}, &pack, stream);
}

}  // namespace stem
}  // namespace kconv
