// SPDX-License-Identifier: Apache-2.0
// The 16-bit NCHW epilogue with the tile's outputs staged in their type: bias, ReLU and the rounding happen as
// the accumulators are staged, and the write is a copy of 16-byte pieces. Each channel's run sits in its staging
// row at the offset its first output element has from a 16-byte boundary of y (its head), so that the staging's
// 16-byte pieces are the output's: a lane moves eight elements with one shared load and one global store, and only
// a run's first and last pieces go out element by element. Staging in fp32 took twice the shared memory (room the
// weight ring needs) and a conversion, a bias add and a paired store per two elements in the write loop, which
// was the largest part of the 16-bit AlexNet kernel's time (ncu, NOTES of the twenty-eighth session).
#pragma once

#include <stdint.h>

#include "families/stem_common/staged_pieces.h"
#include "families/stem_common/stem_params.h"
#include "families/stem_common/stem_tile.cuh"
#include "ptx/async_copy_instructions.cuh"
#include "ptx/element_types.cuh"
#include "ptx/ptx_instructions.cuh"

namespace kconv {
namespace stem {

// The heads of a tile's staged channels, from channel n_begin on: the staging and the write must agree.
__device__ __forceinline__ RunHeads TileRunHeads(const StemParams& p, const Tile& tile, int n_begin) {
  const int64_t y_first = (static_cast<int64_t>(tile.image) * p.k + n_begin) * p.pq + tile.m0;
  return RunHeadsAt(reinterpret_cast<uintptr_t>(p.y), y_first, p.pq);
}

// StageTile (stem_tile.cuh) in the output's type kType: row n, `stride` elements apart (a multiple of 8, and 8 past
// a multiple of 16 so that the four channel pairs a warp stores land 8 banks apart), holds channel n's outputs from
// heads.Of(n) on: acc + bias[n], ReLU'd where `relu` is set (NaN stays NaN), rounded to the type once, as the
// fp32 staging's write loop rounds them.
//
// The addressing is the staging's largest cost after the values' own math, so it is spelled out: a row's head
// depends on n mod 8 only (heads.Of steps by pq per channel, 8 channels by a multiple of 8), so channel ni * 8 + c's
// row starts ni * 8 * stride elements past channel c's, and a lane's two outputs of a piece and channel cost one
// address add (StoreShared2's offset takes the second). Through element pointers ptxas multiplied out
// (n * stride + head + m) * 2 + base for each output.
template <int kType, int kMt, int kNt, int kPixelStride = 1, class Acc>
__device__ __forceinline__ void StageTileInType(uint16_t* staged, int stride, const int (&first)[kMt],
                                                const int (&rows)[kMt], Acc acc, const float* bias, RunHeads heads,
                                                bool relu) {
  static_assert(kType != 0, "16-bit outputs");
  const int lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
  uint32_t pixel[kMt];  // the shared address of the lane's pixel of piece mi in channel row 0, at no head
#pragma unroll
  for (int mi = 0; mi < kMt; ++mi) pixel[mi] = SharedAddress(staged + first[mi] + g * kPixelStride);
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int c = 2 * t + h;  // the lane's channel of each group of 8
    const uint32_t row0 = 2u * static_cast<uint32_t>(c * stride + heads.Of(c));
#pragma unroll
    for (int ni = 0; ni < kNt; ++ni) {
      const uint32_t row = row0 + static_cast<uint32_t>(ni * 16 * stride);  // channel ni * 8 + c: the same head
      const float b = bias[ni * 8 + c];
#pragma unroll
      for (int mi = 0; mi < kMt; ++mi) {
        const uint32_t out = pixel[mi] + row;
        if (g < rows[mi]) StoreShared2(out, NarrowElement<kType>(ReluIf(relu, acc(mi, ni, h) + b)));
        if (g + 8 < rows[mi]) {
          StoreShared2<16 * kPixelStride>(out, NarrowElement<kType>(ReluIf(relu, acc(mi, ni, 2 + h) + b)));
        }
      }
    }
  }
}

// Writes staged channels [n_begin, n_end) of the tile's first `tile_pixels` pixels (StageTileInType's rows) to NCHW
// y: warp `worker` of `workers` (or each half of it, where the runs are short: RunWorkerOf) takes kRuns channels a
// pass (ForEachRunPass), in 16-byte pieces (WriteStagedPieces).
template <int kRuns>
__device__ __forceinline__ void WriteTileInType(const StemParams& p, const Tile& tile, const uint16_t* staged,
                                                int stride, int tile_pixels, int n_begin, int n_end, int worker,
                                                int workers) {
  const int pixels = min(tile_pixels, p.pq - tile.m0);
  n_end = min(n_end, p.k);
  const int64_t y_image = static_cast<int64_t>(tile.image) * p.k * p.pq + tile.m0;  // elements
  const RunHeads heads = TileRunHeads(p, tile, n_begin);
  uint16_t* const y = reinterpret_cast<uint16_t*>(p.y);
  const RunWorker w = RunWorkerOf(pixels, threadIdx.x % 32, worker, workers);
  ForEachRunPass<kRuns>(n_end - n_begin, w, [&](const int (&channel)[kRuns], const bool (&real)[kRuns]) {
    const uint4* row[kRuns];
    uint16_t* out[kRuns];  // the output element at the staging row's start: 16-byte aligned
    int head[kRuns];
#pragma unroll
    for (int r = 0; r < kRuns; ++r) {
      head[r] = heads.Of(channel[r]);
      row[r] = reinterpret_cast<const uint4*>(staged + channel[r] * stride);
      out[r] = y + (y_image + static_cast<int64_t>(n_begin + channel[r]) * p.pq - head[r]);
    }
    WriteStagedPieces<kRuns>(
        head, real, pixels, w.lane, w.lanes, [&](int r, int i) { return row[r][i]; },
        [&](int r, int i, uint4 v) { StoreGlobal16(out[r] + 8 * i, v); },
        [&](int r, int e) { return reinterpret_cast<const uint16_t*>(row[r])[head[r] + e]; },
        [&](int r, int e, uint16_t v) { out[r][head[r] + e] = v; });
  });
}

// WriteTileInType by the copy engine: each channel's whole pieces (WholePiecesOf) go by one bulk copy from its
// staging row, issued by lane `i` of warp `worker` for channels n_begin + worker + i * workers, so that no load or
// store instruction of the SM's path carries them; the partial pieces go across lanes as in WriteTileInType. The
// stagers must have fenced their writes to the async proxy (FenceProxyAsyncShared) before the consumers' barrier
// ahead of this. Returns once this thread's copies have read the staging, so that the band may be refilled; their
// writes to y may still be in flight (BulkWaitGroups before the kernel ends).
template <int kRuns>
__device__ __forceinline__ void WriteTileInTypeBulk(const StemParams& p, const Tile& tile, const uint16_t* staged,
                                                    int stride, int tile_pixels, int n_begin, int n_end, int worker,
                                                    int workers) {
  const int lane = threadIdx.x % 32;
  const int pixels = min(tile_pixels, p.pq - tile.m0);
  n_end = min(n_end, p.k);
  const int64_t y_image = static_cast<int64_t>(tile.image) * p.k * p.pq + tile.m0;  // elements
  const RunHeads heads = TileRunHeads(p, tile, n_begin);
  uint16_t* const y = reinterpret_cast<uint16_t*>(p.y);
  // The output element at channel c's staging row start: 16-byte aligned.
  auto row_start = [&](int c, int head) { return y + (y_image + static_cast<int64_t>(n_begin + c) * p.pq - head); };
  bool issued = false;
  for (int c = worker + lane * workers; n_begin + c < n_end; c += 32 * workers) {
    const int head = heads.Of(c);
    const PieceRange whole = WholePiecesOf(head, pixels);
    if (whole.count > 0) {
      BulkCopyToGlobal(row_start(c, head) + 8 * whole.first, SharedAddress(staged + c * stride + 8 * whole.first),
                       16u * static_cast<uint32_t>(whole.count));
      issued = true;
    }
  }
  if (issued) BulkCommitGroup();
  auto write_partial = [&](const int (&channel)[kRuns], const bool (&real)[kRuns]) {
    const uint16_t* row[kRuns];
    uint16_t* out[kRuns];
    int head[kRuns];
#pragma unroll
    for (int r = 0; r < kRuns; ++r) {
      head[r] = heads.Of(channel[r]);
      row[r] = staged + channel[r] * stride + head[r];
      out[r] = row_start(channel[r], head[r]) + head[r];
    }
    WritePartialPieces<kRuns>(
        head, real, pixels, lane, [&](int r, int e) { return row[r][e]; },
        [&](int r, int e, uint16_t v) { out[r][e] = v; });
  };
  ForEachRunPass<kRuns>(n_end - n_begin, RunWorker{lane, 32, worker, workers}, write_partial);
  if (issued) BulkWaitGroupsRead();
}

}  // namespace stem
}  // namespace kconv
