// SPDX-License-Identifier: Apache-2.0
// The parts of a stem-family block that do not depend on how it multiplies (families/stem_tf32 with
// mma.sync, families/stem_wgmma_tf32 with wgmma): the band load, the per-lane ldmatrix row addresses of
// the chunk layout (stem_params.h), and the epilogue staged through shared memory into NCHW runs.
#pragma once

#include <stdint.h>

#include <type_traits>

#include "families/stem_common/nhwc_pair_rows.h"
#include "families/stem_common/pair_rows.h"
#include "families/stem_common/paired_stores.h"
#include "families/stem_common/stem_params.h"
#include "ptx/element_types.cuh"
#include "ptx/fast_divmod.h"
#include "ptx/ptx_instructions.cuh"

namespace kconv {
namespace stem {

using namespace ::kconv::ptx;

// The block's output tile: `tile_pixels` consecutive pixels of one image, starting at output row p0, or
// of output columns q0 ... q0 + columns - 1 only (the Hopper family's column tiles, the portable family's
// strips, whose m0 and p0 count within the strip).
struct Tile {
  int image;
  int m0;       // first pixel, within the image
  int p0;       // output row of m0
  int ih0;      // first input row of the band (may be negative: padding)
  int q0;       // first output column: 0 for tiles of whole rows
  int columns;  // output columns of each row in the tile: Q for tiles of whole rows
};

__device__ __forceinline__ Tile MakeTile(const StemParams& p, int image, int m0) {
  Tile t;
  t.image = image;
  t.m0 = m0;
  t.p0 = static_cast<int>(p.div_q.Div(static_cast<uint32_t>(m0)));
  t.ih0 = t.p0 * p.stride_h - p.pad_h;
  t.q0 = 0;
  t.columns = p.q;
  return t;
}

// One block per tile: blockIdx.x is the tile within its strip (the image when there is one strip),
// blockIdx.y the image times p.strips plus the strip. m0 and p0 count pixels and rows of the strip.
__device__ __forceinline__ Tile TileOfBlock(const StemParams& p, int tile_pixels) {
  if (p.strips == 1) return MakeTile(p, blockIdx.y, blockIdx.x * tile_pixels);
  const int image = blockIdx.y / p.strips, strip = blockIdx.y - image * p.strips;
  Tile t;
  t.image = image;
  t.m0 = blockIdx.x * tile_pixels;
  t.p0 = static_cast<int>(p.div_strip.Div(static_cast<uint32_t>(t.m0)));
  t.ih0 = t.p0 * p.stride_h - p.pad_h;
  t.q0 = strip * p.strip_columns;
  t.columns = min(p.strip_columns, p.q - t.q0);
  return t;
}

// Copies the chunk table (a kernel parameter) into shared memory, where a lane-indexed read is one LDS.
__device__ __forceinline__ void CopyChunkTable(const StemParams& p, int32_t* chunk_offset, int threads) {
  for (int i = threadIdx.x; i < 2 * p.steps; i += threads) chunk_offset[i] = p.chunk_offset[i];
}

// Bytes of one phase plane of a band (all its channels and rows); planes follow each other.
__device__ __forceinline__ int PlaneBytes(const StemParams& p) { return p.c * p.band_rows * p.row_floats * 4; }

// Issues (without committing) the cp.async copies of the band: every input row the tile touches, all
// channels, in chunk layout, zero outside the image. Warp `worker` of `workers` copies every workers-th row.
// With kPhases > 1 (horizontal strides 2 and 1), the band holds kPhases planes, plane `phase` the chunk
// layout of the input shifted right by phase * 4 / kPhases floats: output column q reads plane q % kPhases at
// chunk q / kPhases, so that every ldmatrix row stays 16-byte aligned.
// kType (kconv_element_type): 16-bit inputs are widened through registers and stored with plain shared stores
// (cp.async copies bytes, it cannot widen); the barrier after the band's commit group covers them as well.
template <int kPhases = 1, int kType = 0>
__device__ __forceinline__ void LoadBand(const StemParams& p, const Tile& tile, unsigned char* band, int worker,
                                         int workers) {
  const int lane = threadIdx.x % 32;
  const int64_t image_offset = static_cast<int64_t>(tile.image) * p.c * p.h * p.w_in;
  const float* x_image = p.x + image_offset;
#pragma unroll
  for (int phase = 0; phase < kPhases; ++phase) {
    const uint32_t band_base = SharedAddress(band) + phase * PlaneBytes(p);
    // The input column of the plane's first float (q0: a multiple of kPhases).
    const int start = phase * (4 / kPhases) - p.pad_w + tile.q0 * (4 / kPhases);
    // A pair of columns is wholly inside or outside the image when the plane starts at an even column.
    const bool pairs = kType == 0 && p.pair_copies && (kPhases < 4 || phase % 2 == 0);
    for (int row = worker; row < p.c * p.band_rows; row += workers) {
      const int c = row / p.band_rows, ih = tile.ih0 + row % p.band_rows;
      const bool row_valid = static_cast<unsigned>(ih) < static_cast<unsigned>(p.h);
      if constexpr (kType != 0) {
        const int64_t row_offset = image_offset + (static_cast<int64_t>(c) * p.h + (row_valid ? ih : 0)) * p.w_in;
        float* dst = reinterpret_cast<float*>(band + phase * PlaneBytes(p)) + row * p.row_floats;
        for (int pos = lane; pos < p.row_floats; pos += 32) {
          const int col = pos + start;
          const bool valid = row_valid && static_cast<unsigned>(col) < static_cast<unsigned>(p.w_in);
          dst[pos] = valid ? LoadElement<kType>(p.x, row_offset + col) : 0.f;
        }
        continue;
      }
      const float* src_row = x_image + (static_cast<int64_t>(c) * p.h + (row_valid ? ih : 0)) * p.w_in;
      if (pairs) {
        for (int pos = 2 * lane; pos < p.row_floats; pos += 64) {
          const int col = pos + start;
          const bool valid = row_valid && static_cast<unsigned>(col) < static_cast<unsigned>(p.w_in);
          CopyAsync8(band_base + (row * p.row_floats + pos) * 4, valid ? src_row + col : p.x, valid);
        }
        continue;
      }
      for (int pos = lane; pos < p.row_floats; pos += 32) {
        const int col = pos + start;
        const bool valid = row_valid && static_cast<unsigned>(col) < static_cast<unsigned>(p.w_in);
        CopyAsync4(band_base + (row * p.row_floats + pos) * 4, valid ? src_row + col : p.x, valid);
      }
    }
  }
}

// Issues (without committing) the cp.async copies of weight stage `stage`: kWsteps packed k8 steps of
// kStepBytes each. p.steps is a multiple of kWsteps (the host pads the chunk list), so every stage is
// full; stages past the end copy nothing.
template <int kWsteps, int kStepBytes, int kThreads>
__device__ __forceinline__ void LoadWeightStage(const StemParams& p, unsigned char* slot, int stage) {
  const int first_step = stage * kWsteps;
  if (first_step >= p.steps) return;
  constexpr int chunks = kWsteps * kStepBytes / 16;
  const unsigned char* src =
      reinterpret_cast<const unsigned char*>(p.w_packed) + static_cast<int64_t>(first_step) * kStepBytes;
#pragma unroll
  for (int i = threadIdx.x; i < chunks; i += kThreads) CopyAsync16(SharedAddress(slot + i * 16), src + i * 16);
}

// Band address of the ldmatrix row this lane supplies for the m16 tile whose first pixel is tile pixel
// `first`: lanes 0-7 and 16-23 give pixels 0-7, lanes 8-15 and 24-31 pixels 8-15 (lanes 16-31 then add
// the step's second chunk). Pixels past the image read valid data; their results are dropped.
template <int kPhases = 1>
__device__ __forceinline__ uint32_t LaneRowAddress(const StemParams& p, const Tile& tile, const unsigned char* band,
                                                   int first) {
  const int lane = threadIdx.x % 32;
  int m = tile.m0 + first + (lane & 7) + ((lane >> 3) & 1) * 8;
  m = min(m, p.strip_pixels - 1);
  uint32_t oh, ow;  // within the strip
  p.div_strip.DivMod(static_cast<uint32_t>(m), oh, ow);
  const uint32_t plane = ow % kPhases * PlaneBytes(p);  // see LoadBand
  return SharedAddress(band) + plane + ((static_cast<int>(oh) - tile.p0) * p.stride_h) * p.row_floats * 4 +
         ow / kPhases * 16;
}

// Stages the accumulators of n8 tiles [kNiBegin, kNiEnd) as [channel][pixel], channel rows `stride` floats
// apart (4 banks apart: conflict-free), channel kNiBegin * 8 first. `acc(mi, ni, v)` is accumulator v of the
// thread's m16 slab mi and n8 tile ni in the m16n8 fragment layout: v = 0, 1 at slab row g, channels 2t,
// 2t+1; v = 2, 3 at row g + 8. Slab row r is tile pixel first[mi] + r * kPixelStride if r < rows[mi], else
// not a pixel (dropped).
template <int kMt, int kNiBegin, int kNiEnd, int kPixelStride = 1, class Acc>
__device__ __forceinline__ void StageTile(float* staged, int stride, const int (&first)[kMt], const int (&rows)[kMt],
                                          Acc acc) {
  const int lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
#pragma unroll
  for (int mi = 0; mi < kMt; ++mi)
#pragma unroll
    for (int ni = kNiBegin; ni < kNiEnd; ++ni) {
      const int m = first[mi] + g * kPixelStride, n = (ni - kNiBegin) * 8 + 2 * t;
      if (g < rows[mi]) {
        staged[n * stride + m] = acc(mi, ni, 0);
        staged[(n + 1) * stride + m] = acc(mi, ni, 1);
      }
      if (g + 8 < rows[mi]) {
        staged[n * stride + m + 8 * kPixelStride] = acc(mi, ni, 2);
        staged[(n + 1) * stride + m + 8 * kPixelStride] = acc(mi, ni, 3);
      }
    }
}

// v, or max(v, 0) when relu is set; NaN stays NaN (v < 0 is false for it), as in PyTorch.
__device__ __forceinline__ float ReluIf(bool relu, float v) { return relu && v < 0.f ? 0.f : v; }

// Calls write(std::true_type) or write(std::false_type) as p.relu says: the writers keep one loop per ReLU
// setting, so that a pixel without ReLU costs no compare and select.
template <class Write>
__device__ __forceinline__ void WithRelu(bool relu, Write&& write) {
  if (relu) {
    write(std::true_type{});
  } else {
    write(std::false_type{});
  }
}

// Writes staged channels [n_begin, n_end) (row n - n_begin of `staged`) of the tile's first `tile_pixels`
// pixels to NCHW, each channel one run of consecutive pixels, plus bias[channel] (null: none) and optional
// ReLU. Warp `worker` of `workers` takes channels n_begin + worker, + workers, ... in spans of kChunks * 32
// pixels: a lane reads its kChunks pixels of a channel, 32 apart, before it writes any (their latencies
// overlap), and each chunk's validity is worked out once per span, so a pixel costs about a load, an add
// and a store: the fastest of the write loops measured (per-pixel read-add-write, 16-byte loads and stores
// from rows staged at their run's phase, and (channel, chunk) items were all slower; NOTES v6). kChannels
// channels are read before any is written (kChannels * kChunks loads in flight); callers take 1, since
// this code runs once per block from a cold instruction cache at N = 1, where 4 was slower (NOTES v8).
// kPairedStores (16-bit types, the portable stem family's): each channel's run goes out two
// elements to a 32-bit store (WritePairedRuns, two channels' loads at once but for one-row tiles), where y is
// 4-byte aligned.
template <int kChunks, int kChannels = 1, int kType = 0, bool kPairedStores = false>
__device__ __forceinline__ void WriteTile(const StemParams& p, const Tile& tile, const float* staged, int stride,
                                          int tile_pixels, int n_begin, int n_end, int worker, int workers,
                                          const float* bias) {
  const int lane = threadIdx.x % 32;
  const int pixels = min(tile_pixels, p.pq - tile.m0);
  n_end = min(n_end, p.k);
  const int64_t y_image = static_cast<int64_t>(tile.image) * p.k * p.pq + tile.m0;  // elements
  if constexpr (kPairedStores && kType != 0) {
    if ((reinterpret_cast<uintptr_t>(p.y) & 3) == 0) {
      // kRuns channels a pass, their loads in flight together (one-row tiles keep one: see kChannels).
      constexpr int kRuns = kChunks >= 4 ? 2 : 1;
      uint16_t* const y = reinterpret_cast<uint16_t*>(p.y);
      auto write = [&](auto relu) {
        constexpr bool kRelu = decltype(relu)::value;
        for (int n0 = n_begin + worker; n0 < n_end; n0 += kRuns * workers) {
          int head[kRuns];
          bool real[kRuns];
          float b[kRuns];
          const float* row[kRuns];
          uint16_t* out[kRuns];
#pragma unroll
          for (int r = 0; r < kRuns; ++r) {
            const int n = n0 + r * workers;
            real[r] = n < n_end;
            const int channel = real[r] ? n : n0;  // past the end: a channel re-read, not written
            b[r] = bias != nullptr ? bias[channel] : 0.f;
            row[r] = staged + (channel - n_begin) * stride;
            const int64_t start = y_image + static_cast<int64_t>(channel) * p.pq;
            head[r] = static_cast<int>(start & 1);
            out[r] = y + start;
          }
          WritePairedRuns<(kChunks + 1) / 2, kRuns>(
              head, pixels, lane, [&](int r, int e) { return row[r][e] + b[r]; },
              [&](int r, int e, float v0, float v1) {
                if (real[r]) {
                  *reinterpret_cast<uint32_t*>(out[r] + e) = NarrowPair<kType>(ReluIf(kRelu, v0), ReluIf(kRelu, v1));
                }
              },
              [&](int r, int e, float v) {
                if (real[r]) out[r][e] = NarrowElement<kType>(ReluIf(kRelu, v));
              });
        }
      };
      WithRelu(p.relu, write);
      return;
    }
  }
  // One loop per ReLU setting, so that a pixel without ReLU costs no compare and select. The output pointer is a
  // local, and each lane's run pointer formed once per channel and span: through StoreElement(p.y, index) every
  // element reloaded the parameter and formed a 64-bit address (ncu: an LDC.64 and two LEAs a store).
  using Out = typename std::conditional<kType == 0, float, uint16_t>::type;
  Out* const y = reinterpret_cast<Out*>(p.y);
  auto write = [&](auto relu) {
    for (int span = 0; span < pixels; span += 32 * kChunks) {
      bool valid[kChunks];
#pragma unroll
      for (int c = 0; c < kChunks; ++c) valid[c] = span + lane + 32 * c < pixels;
      for (int n0 = n_begin + worker; n0 < n_end; n0 += kChannels * workers) {
        float v[kChannels][kChunks];
#pragma unroll
        for (int u = 0; u < kChannels; ++u) {
          const int n = min(n0 + u * workers, n_end - 1);  // past the end: a channel re-read, not written
          const float b = bias != nullptr ? bias[n] : 0.f;
          const float* row = staged + (n - n_begin) * stride + span + lane;
#pragma unroll
          for (int c = 0; c < kChunks; ++c) v[u][c] = valid[c] ? row[32 * c] + b : 0.f;
        }
#pragma unroll
        for (int u = 0; u < kChannels; ++u) {
          const int n = n0 + u * workers;
          if (n >= n_end) continue;
          Out* const out = y + y_image + static_cast<int64_t>(n) * p.pq + span + lane;
#pragma unroll
          for (int c = 0; c < kChunks; ++c) {
            if (!valid[c]) continue;
            const float value = ReluIf(decltype(relu)::value, v[u][c]);
            if constexpr (kType == 0) {
              out[32 * c] = value;
            } else {
              out[32 * c] = NarrowElement<kType>(value);
            }
          }
        }
      }
    }
  };
  WithRelu(p.relu, write);
}

// WriteTile for a column tile: `rows` (at most kMaxRows) output rows from tile.p0 on (fewer past the image's
// last), each tile.columns pixels from column tile.q0 on, staged `row_pitch` floats apart within each
// channel row of `staged`. Warp `worker` of `workers` takes channels n_begin + worker, + workers, ...; a lane
// reads its kChunks pixels (32 apart) of every row of the channel before it writes any, so that
// kMaxRows * kChunks loads are in flight (a row of a column tile is short: 60 pixels for a 1080p frame). No
// division: indexing runs by (channel, row) with a division per run cost the 1080p frame ~20%.
template <int kChunks, int kMaxRows, int kType = 0>
__device__ __forceinline__ void WriteColumnTile(const StemParams& p, const Tile& tile, const float* staged, int stride,
                                                int rows, int row_pitch, int n_begin, int n_end, int worker,
                                                int workers, const float* bias) {
  const int lane = threadIdx.x % 32;
  rows = min(rows, p.p - tile.p0);
  n_end = min(n_end, p.k);
  const int64_t y_tile = static_cast<int64_t>(tile.image) * p.k * p.pq + static_cast<int64_t>(tile.p0) * p.q + tile.q0;
  auto write = [&](auto relu) {
    for (int n = n_begin + worker; n < n_end; n += workers) {
      const float b = bias != nullptr ? bias[n] : 0.f;
      const float* in = staged + (n - n_begin) * stride;
      const int64_t out = y_tile + static_cast<int64_t>(n) * p.pq;  // elements
      for (int span = lane; span < tile.columns; span += 32 * kChunks) {
        float v[kMaxRows][kChunks];
#pragma unroll
        for (int r = 0; r < kMaxRows; ++r)
#pragma unroll
          for (int c = 0; c < kChunks; ++c) {
            const bool valid = r < rows && span + 32 * c < tile.columns;
            v[r][c] = valid ? in[r * row_pitch + span + 32 * c] + b : 0.f;
          }
#pragma unroll
        for (int r = 0; r < kMaxRows; ++r)
#pragma unroll
          for (int c = 0; c < kChunks; ++c) {
            if (r >= rows || span + 32 * c >= tile.columns) continue;
            // ReluIf here changed the 1080p kernels' SASS (+1.3% instructions): kept as a branch.
            if (decltype(relu)::value && v[r][c] < 0.f) v[r][c] = 0.f;  // NaN stays NaN
            StoreElement<kType>(p.y, out + static_cast<int64_t>(r) * p.q + span + 32 * c, v[r][c]);
          }
      }
    }
  };
  WithRelu(p.relu, write);
}

// WriteTile for a tile of a strip (the portable family's rows too wide for a band): tile pixel i is strip
// pixel m0 + i = (row, column) of P x strip_columns, output (row, q0 + column), real when the row is inside
// the image and the column inside the strip's real columns. Each lane works out its kChunks pixels' output
// offsets once per span (a FastDivmod each), then writes every channel at them, as WriteTile does.
template <int kChunks, int kType = 0>
__device__ __forceinline__ void WriteStripTile(const StemParams& p, const Tile& tile, const float* staged, int stride,
                                               int tile_pixels, int n_begin, int n_end, int worker, int workers,
                                               const float* bias) {
  const int lane = threadIdx.x % 32;
  n_end = min(n_end, p.k);
  const int64_t y_image = static_cast<int64_t>(tile.image) * p.k * p.pq;  // elements
  auto write = [&](auto relu) {
    for (int span = 0; span < tile_pixels; span += 32 * kChunks) {
      bool valid[kChunks];
      int offset[kChunks];
#pragma unroll
      for (int c = 0; c < kChunks; ++c) {
        const int i = span + lane + 32 * c;
        uint32_t row, column;
        p.div_strip.DivMod(static_cast<uint32_t>(tile.m0 + i), row, column);
        valid[c] = i < tile_pixels && static_cast<int>(row) < p.p && static_cast<int>(column) < tile.columns;
        offset[c] = static_cast<int>(row) * p.q + tile.q0 + static_cast<int>(column);
      }
      for (int n = n_begin + worker; n < n_end; n += workers) {
        const float b = bias != nullptr ? bias[n] : 0.f;
        const float* in = staged + (n - n_begin) * stride + span + lane;
        const int64_t out = y_image + static_cast<int64_t>(n) * p.pq;
        float v[kChunks];
#pragma unroll
        for (int c = 0; c < kChunks; ++c) v[c] = valid[c] ? in[32 * c] + b : 0.f;
#pragma unroll
        for (int c = 0; c < kChunks; ++c) {
          if (!valid[c]) continue;
          v[c] = ReluIf(decltype(relu)::value, v[c]);
          StoreElement<kType>(p.y, out + offset[c], v[c]);
        }
      }
    }
  };
  WithRelu(p.relu, write);
}

// The block-wide epilogue for n8 tiles [kNiBegin, kNiEnd): StageTile over memory every thread must be done
// reading, `sync()` (a barrier over the `warps` storing warps), then WriteTile by those warps, 16-bit outputs
// two to a 32-bit store (as the Hopper family's pair-row kernels write them: half the store instructions).
template <int kMt, int kNiBegin, int kNiEnd, int kChunks, int kType = 0, class Acc, class Sync>
__device__ __forceinline__ void StoreTile(const StemParams& p, const Tile& tile, float* staged, int staging_stride,
                                          int tile_pixels, int warps, const int (&first)[kMt], const int (&rows)[kMt],
                                          const float* bias, Acc acc, Sync sync) {
  StageTile<kMt, kNiBegin, kNiEnd>(staged, staging_stride, first, rows, acc);
  sync();
  if (p.strips == 1) {
    WriteTile<kChunks, 1, kType, kType != 0>(p, tile, staged, staging_stride, tile_pixels, kNiBegin * 8, kNiEnd * 8,
                                             threadIdx.x / 32 % warps, warps, bias);
  } else {
    WriteStripTile<kChunks, kType>(p, tile, staged, staging_stride, tile_pixels, kNiBegin * 8, kNiEnd * 8,
                                   threadIdx.x / 32 % warps, warps, bias);
  }
}

// Packs w[K][C][R][S] into per-k8-step images: for step s, channel n and element e, chunk 2s + e/4 =
// (c, r, j) and tap column 4j + e%4 (NHWC bands: NhwcTapAt's tap; flat rows: FlatRowTapAt's); zero for padded channels, phantom taps
// (column >= S, or outside an NHWC footprint) and the padding chunk. Rounded to TF32 (nearest, ties away) once, here
// (kRound; strict FP32 kernels take the values as they are). `offset(step, n, e)` is the element's
// byte offset in the packed image (p.steps * p.channels * 32 bytes). With kSplit (3xTF32), the remainder
// tf32(v - tf32(v)) goes to `remainder_offset(step, n, e)`.
template <bool kSplit, int kType, bool kRound = true, class Offset, class RemainderOffset>
__device__ __forceinline__ void PackWeights(const StemPackParams& p, Offset offset, RemainderOffset remainder_offset) {
  const int total = p.steps * p.channels * 8;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
    const int e = i % 8, n = (i / 8) % p.channels, step = i / (8 * p.channels);
    const int chunk = 2 * step + e / 4;
    int r, c, s;
    bool tap;  // a weight of the footprint, not padding
    if (p.planes.planes > 0) {  // NHWC: the chunk's floats are (s, c) pairs of the footprint
      NhwcTap at{};
      tap = NhwcTapAt(p.planes, p.r, p.s, chunk, e % 4, &at);
      r = at.r;
      s = at.s;
      c = at.c;
    } else if (p.flat_rows) {  // NHWC gathers: (s, c) pairs of whole kernel rows
      tap = FlatRowTapAt(p.c, p.r, p.s, p.j, chunk, e % 4, &c, &r, &s);
    } else {
      const int j = chunk % p.j;
      r = (chunk / p.j) % p.r;
      c = chunk / (p.j * p.r);
      s = 4 * j + e % 4;
      tap = c < p.c && s < p.s;
    }
    float v = 0.f;
    if (n < p.k && tap) v = LoadElement<kType>(p.w, ((static_cast<int64_t>(n) * p.c + c) * p.r + r) * p.s + s);
    const uint32_t bits = kRound ? ToTf32(v) : __float_as_uint(v);
    char* at = reinterpret_cast<char*>(p.packed) + offset(step, n, e);
    *reinterpret_cast<uint32_t*>(at) = bits;
    if constexpr (kSplit) {
      *reinterpret_cast<uint32_t*>(reinterpret_cast<char*>(p.packed) + remainder_offset(step, n, e)) =
          Tf32Remainder(v, __uint_as_float(bits));
    }
  }
}

// PackWeights with each remainder p.channels * 32 bytes after its value (the step's second half).
template <bool kSplit = false, int kType = 0, class Offset>
__device__ __forceinline__ void PackWeights(const StemPackParams& p, Offset offset) {
  PackWeights<kSplit, kType>(p, offset, [&](int step, int n, int e) { return offset(step, n, e) + p.channels * 32; });
}

// Packs 16-bit w[K][C][R][S] for the pair-row layout (pair_rows.h) in per-k16-step images: for step s,
// channel n and element e (0-15), unit 2s + e/8 and its element e % 8 (PairRowTapAt; NHWC bands: NhwcPairRowTapAt,
// nhwc_pair_rows.h); zero for padded
// channels, phantom taps and padding units. The elements are copied as they are (no rounding: the math is in
// the type). `offset(step, n, e)` is the element's byte offset in the packed image (p.steps * p.channels * 32
// bytes, as a TF32 image's).
template <int kType, class Offset>
__device__ __forceinline__ void PackPairRowWeights(const StemPackParams& p, Offset offset) {
  static_assert(kType == 1 || kType == 2, "a 16-bit element type");
  const int total = p.steps * p.channels * 16;
  const uint16_t* w = static_cast<const uint16_t*>(static_cast<const void*>(p.w));
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
    const int e = i % 16, n = (i / 16) % p.channels, step = i / (16 * p.channels);
    const int unit = 2 * step + e / 8;
    PairRowTap tap{};
    bool real;
    if (p.planes.planes > 0) {  // NHWC at stride 4: the unit's elements are (r, s, c) taps of the footprint
      NhwcTap at{};
      real = NhwcPairRowTapAt(p.planes, p.r, p.s, unit, e % 8, &at);
      tap = PairRowTap{at.c, at.r, at.s};
    } else {
      real = PairRowTapAt(p.c, p.r, p.s, p.j, unit, e % 8, &tap);
    }
    const uint16_t bits =
        n < p.k && real ? w[((static_cast<int64_t>(n) * p.c + tap.c) * p.r + tap.r) * p.s + tap.s] : uint16_t{0};
    *reinterpret_cast<uint16_t*>(reinterpret_cast<char*>(p.packed) + offset(step, n, e)) = bits;
  }
}

}  // namespace stem
}  // namespace kconv
