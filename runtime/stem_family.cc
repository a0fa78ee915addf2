#include "runtime/stem_family.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"

namespace kconv {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct StemGeometry {
  int64_t j;           // chunks per kernel row
  int64_t chunks;      // R*C*J padded to whole weight stages (2 * wsteps chunks)
  int64_t row_floats;  // 4 * (Q + J - 1), + 4 for the persistent kernel when pad_w % 4 != 0
  int64_t band_rows;
  int64_t band_bytes;
  int64_t shared_bytes;
  int64_t tiles;       // per image
  int64_t segments;    // persistent kernel: m64 pieces per output row
  int64_t rows_per_tile;  // persistent kernel: whole output rows per tile (0: the pieces do not divide)
  int64_t staging_stride;  // persistent kernel: floats between staged channel rows
  int64_t channel_groups;  // ceil(K / the config's channels): blocks that share a tile's channels
};

// The band is every input row a tile touches: from its first output row to its last, plus the kernel's
// height. The block-per-tile kernel's tiles are consecutive pixels, the persistent kernel's whole rows.
StemGeometry GeometryOf(const ConvShape& s, const StemConfig& config, StemKernel kernel) {
  const StemLayout layout = MakeStemLayout(config);
  StemGeometry g{};
  g.j = CeilDiv(s.s, 4);
  g.chunks = CeilDiv(s.r * s.c * g.j, 2 * config.wsteps) * 2 * config.wsteps;
  g.channel_groups = CeilDiv(s.k, int64_t{config.nt} * 8);
  g.row_floats = 4 * (s.q + g.j - 1);
  // The persistent kernel's tensor copy starts a 16-byte step left of -pad_w when pad_w % 4 != 0 and
  // its producers shift each row into place; the wider pitch keeps that shift within the row.
  if (kernel == StemKernel::kPersistent && s.pad_w % 4 != 0) g.row_floats += 4;
  const int64_t pq = s.p * s.q;
  int64_t span = 1;
  if (kernel == StemKernel::kPersistent) {
    const int64_t pieces = layout.tile_pixels / 64;
    g.segments = CeilDiv(s.q, 64);
    g.rows_per_tile = pieces % g.segments == 0 ? pieces / g.segments : 0;
    span = std::max<int64_t>(g.rows_per_tile, 1);
    g.tiles = CeilDiv(s.p, span);
  } else {
    g.tiles = CeilDiv(pq, layout.tile_pixels);
    for (int64_t t = 0; t < g.tiles; ++t) {
      const int64_t first = t * layout.tile_pixels, last = std::min(first + layout.tile_pixels, pq) - 1;
      span = std::max(span, last / s.q - first / s.q + 1);
    }
  }
  g.band_rows = (span - 1) * s.stride_h + s.r;
  g.band_bytes = CeilDiv(s.c * g.band_rows * g.row_floats * 4, 128) * 128;
  if (kernel == StemKernel::kPersistent) {
    // Each band buffer also holds the tile's staged outputs; the TMA destination stays 128-aligned.
    g.staging_stride = StemWgmmaStagingStride(span * s.q);
    const int64_t staging = int64_t{config.nt} * 8 * g.staging_stride * 4;
    g.band_bytes = CeilDiv(std::max(g.band_bytes, staging), 128) * 128;
    g.shared_bytes = MakeStemWgmmaSmem(g.band_bytes, config.wstages, layout.weight_stage_bytes, g.chunks).total;
    return g;
  }
  const int64_t staging = int64_t{config.nt} * 8 * layout.staging_stride * 4;
  const int64_t pipeline = g.band_bytes + int64_t{config.wstages} * layout.weight_stage_bytes + 4 * g.chunks;
  g.shared_bytes = std::max(pipeline, staging);
  return g;
}

}  // namespace

absl::Status StemAccepts(const ConvShape& s, const StemConfig& config, int max_shared_bytes, StemKernel kernel) {
  auto no = [](auto... why) { return absl::UnimplementedError(absl::StrCat("stem family: ", why...)); };
  if (s.stride_w != 4) return no("needs a horizontal stride of 4 (the chunk layout), got ", s.stride_w);
  if (s.dil_h != 1 || s.dil_w != 1) return no("needs dilation 1");
  // The persistent kernel splits more channels than one config computes over blocks (channel groups), up to
  // the 96 its bias table holds.
  const int64_t max_k = kernel == StemKernel::kPersistent ? 96 : config.nt * 8;
  if (s.k > max_k) return no(s.k, " output channels exceed the config's ", max_k);
  if (s.n > 65535) return no("N = ", s.n, " exceeds the grid's 65535 images");
  for (int64_t extent : {s.h + 2 * s.pad_h, s.w + 2 * s.pad_w, s.p * s.q, s.c * s.h * s.w, s.k * s.p * s.q}) {
    if (extent > kInt32Max / 2) return no("an extent (", extent, ") exceeds the 32-bit index range");
  }
  const StemGeometry g = GeometryOf(s, config, kernel);
  if (kernel == StemKernel::kPersistent && g.rows_per_tile == 0) {
    return no("an output row of ", s.q, " pixels is ", g.segments, " m64 pieces, which do not divide the config's ",
              MakeStemLayout(config).tile_pixels / 64);
  }
  const int64_t tiles = g.tiles * s.n * g.channel_groups;
  if (tiles > kInt32Max) return no(tiles, " tiles exceed the 32-bit tile index");
  if (g.chunks > kStemMaxChunks) return no("C*R*ceil(S/4) = ", g.chunks, " chunks exceed ", kStemMaxChunks);
  if (g.shared_bytes > max_shared_bytes) {
    return no("needs ", g.shared_bytes, " bytes of shared memory per block; the device allows ", max_shared_bytes);
  }
  return absl::OkStatus();
}

StemPlanData MakeStemPlanData(const ConvShape& s, const StemConfig& config, StemKernel kernel, int sm_count) {
  const StemLayout layout = MakeStemLayout(config);
  const StemGeometry g = GeometryOf(s, config, kernel);
  StemPlanData d{};
  StemParams& p = d.params;
  p.c = static_cast<int32_t>(s.c);
  p.h = static_cast<int32_t>(s.h);
  p.w_in = static_cast<int32_t>(s.w);
  p.k = static_cast<int32_t>(s.k);
  p.p = static_cast<int32_t>(s.p);
  p.q = static_cast<int32_t>(s.q);
  p.stride_h = static_cast<int32_t>(s.stride_h);
  p.pad_h = static_cast<int32_t>(s.pad_h);
  p.pad_w = static_cast<int32_t>(s.pad_w);
  p.row_floats = static_cast<int32_t>(g.row_floats);
  p.band_rows = static_cast<int32_t>(g.band_rows);
  p.steps = static_cast<int32_t>(g.chunks / 2);
  p.relu = s.relu ? 1 : 0;
  p.band_bytes = static_cast<int32_t>(g.band_bytes);
  p.pq = static_cast<int32_t>(s.p * s.q);
  p.div_q = FastDivmod::Make(static_cast<uint32_t>(s.q));
  // K order: c, then r, then j, so that offsets increase (wgmma's A descriptors need a second chunk
  // at or after the first); padding chunks repeat the last real one.
  const int64_t real_chunks = s.r * s.c * g.j;
  for (int64_t chunk = 0; chunk < g.chunks; ++chunk) {
    const int64_t k = std::min(chunk, real_chunks - 1);
    const int64_t j = k % g.j, r = (k / g.j) % s.r, c = k / (g.j * s.r);
    p.chunk_offset[chunk] = static_cast<int32_t>((c * g.band_rows + r) * g.row_floats * 4 + j * 16);
  }
  const int32_t groups = static_cast<int32_t>(g.channel_groups);
  d.pack = StemPackParams{nullptr, nullptr, p.k, p.c, static_cast<int32_t>(s.r), static_cast<int32_t>(s.s),
                          static_cast<int32_t>(g.j), groups * config.nt * 8, p.steps};
  d.geometry = LaunchGeometry{static_cast<uint32_t>(g.tiles), static_cast<uint32_t>(s.n),
                              static_cast<uint32_t>(layout.threads), static_cast<uint32_t>(g.shared_bytes)};
  d.packed_weight_bytes = int64_t{groups} * p.steps * layout.weight_step_bytes;
  d.tiles_per_image = static_cast<int32_t>(g.tiles);
  d.channel_groups = groups;
  d.total_tiles = static_cast<int32_t>(g.tiles * s.n * groups);
  d.band_box_bytes = static_cast<int32_t>(s.c * g.band_rows * g.row_floats * 4);
  d.rows_per_tile = static_cast<int32_t>(g.rows_per_tile);
  d.segments = static_cast<int32_t>(g.segments);
  d.staging_stride = static_cast<int32_t>(g.staging_stride);
  if (kernel == StemKernel::kPersistent) {
    d.geometry = LaunchGeometry{static_cast<uint32_t>(std::min<int64_t>(d.total_tiles, std::max(sm_count, 1))), 1,
                                static_cast<uint32_t>(layout.threads + 128), static_cast<uint32_t>(g.shared_bytes)};
  }
  return d;
}

}  // namespace kconv
