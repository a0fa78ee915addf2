// SPDX-License-Identifier: Apache-2.0
// The NHWC epilogue of the Hopper stem family: the accumulators staged pixel-major (a pixel's channels
// together, as NHWC stores them), then written with consecutive lanes on consecutive channels.
//
// Staged channel-major as NCHW is ([channel][pixel]), a lane gathering a pixel's 4 channels needed four
// loads from four channel rows, a skew against bank conflicts and selects to undo it: ncu counted the NHWC
// kernel 40% more instructions than the NCHW one (bench/NOTES.md). Pixel-major, each lane's 4 channels are
// one 16-byte load.
#pragma once

#include <stdint.h>

#include <type_traits>

#include "families/stem_common/stem_tile.cuh"

namespace kconv {
namespace stem {

// Stages the accumulators of the thread's kMt m16 slabs and kNt n8 tiles pixel-major: tile pixel m's channel
// n at staged[m * stride + n]. `acc(mi, ni, v)` and first/rows as for StageTile. With stride 8 or 24 banks
// past a multiple of 32 (StemWgmmaPixelStride), the 64-bit stores of a half-warp (4 pixels x 4 channel
// pairs) fall in 32 banks.
template <int kMt, int kNt, int kPixelStride = 1, class Acc>
__device__ __forceinline__ void StageTilePixels(float* staged, int stride, const int (&first)[kMt],
                                                const int (&rows)[kMt], Acc acc) {
  const int lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
#pragma unroll
  for (int mi = 0; mi < kMt; ++mi)
#pragma unroll
    for (int ni = 0; ni < kNt; ++ni) {
      const int m = first[mi] + g * kPixelStride, n = ni * 8 + 2 * t;
      if (g < rows[mi]) *reinterpret_cast<float2*>(staged + m * stride + n) = make_float2(acc(mi, ni, 0), acc(mi, ni, 1));
      if (g + 8 < rows[mi]) {
        *reinterpret_cast<float2*>(staged + (m + 8 * kPixelStride) * stride + n) =
            make_float2(acc(mi, ni, 2), acc(mi, ni, 3));
      }
    }
}

// Stages the accumulators of the thread's kMt m16 slabs and kNt n8 tiles pixel-major in the 16-bit type, bias and
// ReLU applied: tile pixel m's channel n at staged[m * k + n], for the k (even) real channels only. So a tile of
// whole rows is staged as its NHWC output, one contiguous run that one bulk copy writes (the NHWC bulk write).
// `acc(mi, ni, v)`, first and rows as for StageTilePixels; `bias` the block's channels' (zeros without a bias).
// A pixel is k / 2 words, 48 for 96 channels: pixels g and g + 2 of a warp's store share banks (4 ways), which
// costs less than the write loop it saves.
template <int kType, int kMt, int kNt, int kPixelStride = 1, class Acc>
__device__ __forceinline__ void StageTilePixelsInType(uint16_t* staged, int k, const int (&first)[kMt],
                                                      const int (&rows)[kMt], Acc acc, const float* bias, bool relu) {
  const int lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
#pragma unroll
  for (int ni = 0; ni < kNt; ++ni) {
    const int n = ni * 8 + 2 * t;
    if (n >= k) continue;  // k is even: a pair is wholly real or not
    const float b0 = bias[n], b1 = bias[n + 1];
#pragma unroll
    for (int mi = 0; mi < kMt; ++mi) {
      const int m = first[mi] + g * kPixelStride;
      if (g < rows[mi]) {
        *reinterpret_cast<uint32_t*>(staged + m * k + n) =
            NarrowPair<kType>(ReluIf(relu, acc(mi, ni, 0) + b0), ReluIf(relu, acc(mi, ni, 1) + b1));
      }
      if (g + 8 < rows[mi]) {
        *reinterpret_cast<uint32_t*>(staged + (m + 8 * kPixelStride) * k + n) =
            NarrowPair<kType>(ReluIf(relu, acc(mi, ni, 2) + b0), ReluIf(relu, acc(mi, ni, 3) + b1));
      }
    }
  }
}

// Writes pixel-major staged channels [n_begin, n_end) (kChannels staged per pixel) of a tile to NHWC, plus
// bias[channel] (null: none) and optional ReLU: `rows` output rows from tile.p0 on (fewer past the image's
// last), tile.columns pixels each from column tile.q0 on; tile pixel i is row i / row_pitch, column i %
// row_pitch (div_pitch; a tile of whole rows has row_pitch = Q, and its pixels are one run). An item is
// kWidth consecutive channels of one pixel, channels fastest: consecutive lanes read consecutive staged
// floats and write consecutive output elements. kWidth = 4 is one 16-byte load and one 16-byte (16-bit:
// 8-byte) store per lane, for K a multiple of 4 and y aligned to the store; kWidth = 1 serves the rest.
// Thread `lane` of warp `worker` of `workers` takes items worker * 32 + lane, + 32 * workers, ..., kItems of
// them read before any is written, so that their loads overlap.
template <int kChannels, int kWidth, int kType = 0>
__device__ __forceinline__ void WriteTileNhwcPixels(const StemParams& p, const Tile& tile, const float* staged,
                                                    int stride, int rows, int row_pitch, FastDivmod div_pitch,
                                                    int n_begin, int n_end, int worker, int workers,
                                                    const float* bias) {
  static_assert(kWidth == 1 || kWidth == 4, "a channel or a quad per item");
  static_assert(kChannels % kWidth == 0, "whole items per pixel");
  constexpr int kGroups = kChannels / kWidth, kItems = kWidth == 4 ? 4 : 8;
  using Vec = typename std::conditional<kWidth == 4, float4, float>::type;
  rows = min(rows, p.p - tile.p0);
  n_end = min(n_end, p.k);
  const bool whole_rows = row_pitch == p.q;
  const int items = rows * row_pitch * kGroups;
  const int64_t first_pixel = static_cast<int64_t>(tile.image) * p.pq + static_cast<int64_t>(tile.p0) * p.q + tile.q0;
  auto write = [&](auto relu) {
    for (int item0 = worker * 32 + threadIdx.x % 32; item0 < items; item0 += kItems * 32 * workers) {
      float v[kItems][kWidth];
      int64_t out[kItems];
      bool valid[kItems];
#pragma unroll
      for (int i = 0; i < kItems; ++i) {
        const int item = item0 + i * 32 * workers, pixel = item / kGroups, n = n_begin + (item - pixel * kGroups) * kWidth;
        uint32_t row = 0, column = static_cast<uint32_t>(pixel);
        if (!whole_rows) div_pitch.DivMod(static_cast<uint32_t>(pixel), row, column);
        // Whole rows: every pixel of the first `rows` rows is real (and `column` runs past Q).
        valid[i] = item < items && n < n_end && (whole_rows || static_cast<int>(column) < tile.columns);
        out[i] = (first_pixel + static_cast<int64_t>(row) * p.q + column) * p.k + n;
        const Vec staged_v = valid[i] ? *reinterpret_cast<const Vec*>(staged + pixel * stride + n - n_begin) : Vec{};
        const Vec bias_v = valid[i] && bias != nullptr ? *reinterpret_cast<const Vec*>(bias + n) : Vec{};
        if constexpr (kWidth == 4) {
          v[i][0] = staged_v.x + bias_v.x;
          v[i][1] = staged_v.y + bias_v.y;
          v[i][2] = staged_v.z + bias_v.z;
          v[i][3] = staged_v.w + bias_v.w;
        } else {
          v[i][0] = staged_v + bias_v;
        }
      }
#pragma unroll
      for (int i = 0; i < kItems; ++i) {
        if (!valid[i]) continue;
#pragma unroll
        for (int k = 0; k < kWidth; ++k) v[i][k] = ReluIf(decltype(relu)::value, v[i][k]);
        if constexpr (kWidth == 4) {
          StoreElements4<kType>(p.y, out[i], v[i]);
        } else {
          StoreElement<kType>(p.y, out[i], v[i][0]);
        }
      }
    }
  };
  WithRelu(p.relu, write);
}

}  // namespace stem
}  // namespace kconv
