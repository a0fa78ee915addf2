// SPDX-License-Identifier: Apache-2.0
// Direct convolution of a stem on the FP32 pipes (FFMA): strict IEEE fp32 products and sums, no tensor
// cores, for KCONV_MATH_FP32. A stem has few input channels, so a block keeps every input channel's weights
// of its output channels in shared memory for its whole life (it is persistent: loaded once) and streams the
// input one channel of one tile at a time.
//
// A tile is `rows` x tile_q output pixels of one image; a thread computes 8 consecutive pixels of one row x
// thread_k (8 or 4) channels. The input columns under a tile (its band) are stored by phase, column
// col at plane col % stride, position col / stride, so that the 8 pixels' taps of one kernel column are 8
// consecutive positions of one plane, and the taps of one phase share them: pixel i's tap s = phase +
// t * stride is position i + t. A thread loads its window of a phase (8 + taps - 1 positions) in 16-byte
// loads once per kernel row and feeds every tap of the phase from registers: AlexNet's 11x11/4 does 704
// FFMA per 12 window loads and 22 weight loads (8 channels of a tap, the same for the pixel groups of a warp).
//
// The next channel's band is copied (cp.async) into the other of two band buffers during this channel's
// math: one barrier per channel. The epilogue stages the accumulators in the band buffers, by channel, so
// that global stores run along the layout's contiguous dimension; the next tile's first band is copied after
// it (its latency is exposed once per tile).
#pragma once

#include <stdint.h>

#include "families/stem_ffma/traits.h"
#include "ptx/async_copy_instructions.cuh"  // NamedBarrierSync
#include "ptx/ptx_instructions.cuh"

namespace kconv {
namespace stem_ffma_kernel {

using namespace ::kconv::ptx;
using namespace ::kconv::stem_ffma;

template <int kKernel, int kStride, int kBlockK, int kRows, int kTileQ, int kThreadChannels, int kTeamCount>
struct Kernel {
  static constexpr Config kConfig{kKernel, kStride, kBlockK, kRows, kTileQ, kThreadChannels, kTeamCount};
  static constexpr TileLayout L = MakeTileLayout(kConfig);
  static_assert(L.valid, "tile config does not fit the FFMA stem layout rules");
  static_assert(L.threads >= kBlockK, "a thread copies each channel's bias");
  static constexpr int kThreads = L.threads;  // a team's threads that compute
  static constexpr int kTeams = kConfig.teams;
  static constexpr int kTeamThreads = L.team_threads;
  static constexpr int kGroups = L.channel_groups;
  static constexpr int kPlaneWidth = L.plane_width;
  static constexpr int kBandFloats = L.band_floats;
  static constexpr int kPlaneFloats = L.band_rows * L.plane_width;
  static constexpr int kBandRowFloats = kStride * L.plane_width;  // band columns loaded per band row
  static constexpr int kLoads = L.loads_per_thread;
  static constexpr int kWeightStride = L.weight_stride;
  static constexpr int kTaps = kKernel * kKernel;

  // A barrier of one team (named barrier 1 + team), or of the block when it is one team.
  static __device__ __forceinline__ void TeamSync(int team) {
    if constexpr (kTeams == 1) {
      __syncthreads();
    } else {
      NamedBarrierSync(1 + team, kTeamThreads);
    }
  }

  struct Tile {
    int64_t x_image;  // offset of the tile's image in x
    int n, p0, q0;
  };

  static __device__ __forceinline__ Tile TileOf(const FfmaStemParams& p, int tile) {
    Tile t;
    const int qt = tile % p.q_tiles;
    const int rest = tile / p.q_tiles;
    t.n = rest / p.p_tiles;
    t.p0 = (rest % p.p_tiles) * kRows;
    t.q0 = qt * kTileQ;
    t.x_image = static_cast<int64_t>(t.n) * p.x_stride_n;
    return t;
  }

  // Every input channel's weights of output channels k0 ... k0 + block_k - 1 (zero past K), tap-major:
  // [c][r][s] rows of weight_stride floats, channel thread_k * g + 4 * h + j of a tap at h * block_k / 2 +
  // g * 4 + j, so that a thread's channels are one or two 16-byte loads and a warp's channel groups
  // consecutive ones; then the block's bias (zero past K). Asynchronous copies, committed as one group:
  // consecutive threads read consecutive taps of one channel (coalesced), and nothing waits on a load.
  static __device__ __forceinline__ void CopyWeights(const FfmaStemParams& p, float* weights, float* bias, int k0) {
    const int taps = p.c * kTaps;
    const int count = taps * kBlockK;
    for (int e = threadIdx.x; e < count; e += L.block_threads) {
      const int channel = e / taps, tap = e - channel * taps;
      const int k = k0 + channel;
      const int g = channel / kThreadChannels, h = channel % kThreadChannels / 4, j = channel % 4;
      CopyAsync4(SharedAddress(weights + tap * kWeightStride + h * (kBlockK / 2) + g * 4 + j),
                 p.w + (k < p.k ? static_cast<int64_t>(k) * taps + tap : 0), k < p.k);
    }
    if (p.bias != nullptr && static_cast<int>(threadIdx.x) < kBlockK) {
      const int k = k0 + threadIdx.x;
      CopyAsync4(SharedAddress(bias + threadIdx.x), p.bias + (k < p.k ? k : 0), k < p.k);
    }
    CommitGroup();
  }

  // Copies one input channel's band of tile `t` into `band` asynchronously (zeros outside the input): element
  // e of the thread's share is band row e / (stride * plane_width), band column e % (stride * plane_width),
  // stored at plane column % stride, position column / stride. Consecutive threads read consecutive columns.
  // Row and column advance by constants (no division per element), offsets within a channel are 32-bit.
  static __device__ __forceinline__ void CopyBand(const FfmaStemParams& p, const Tile& t, int channel, float* band,
                                                  int tid) {
    const float* plane = p.x + t.x_image + static_cast<int64_t>(channel) * p.x_stride_c;
    const int ih0 = t.p0 * kStride - p.pad_h, iw0 = t.q0 * kStride - p.pad_w;
    const int x_row = static_cast<int>(p.x_stride_h), x_pixel = static_cast<int>(p.x_stride_w);  // within an image
    constexpr int kRowStep = kThreads / kBandRowFloats, kColumnStep = kThreads % kBandRowFloats;
    int row = tid / kBandRowFloats, column = tid % kBandRowFloats;
#pragma unroll 1
    for (int i = 0; i < kLoads; ++i) {  // unrolled, the addresses of every copy spilled beside the accumulators
      if (kBandFloats % kThreads != 0 && row >= L.band_rows) break;
      const int ih = ih0 + row, iw = iw0 + column;
      const bool inside = static_cast<unsigned>(ih) < static_cast<unsigned>(p.h) &&
                          static_cast<unsigned>(iw) < static_cast<unsigned>(p.w_in);
      // `plane` itself where outside (nothing is read): a pointer used by every copy stays out of the loop.
      const int offset = inside ? ih * x_row + iw * x_pixel : 0;
      CopyAsync4(SharedAddress(band + (column % kStride) * kPlaneFloats + row * kPlaneWidth + column / kStride),
                 plane + offset, inside);
      column += kColumnStep, row += kRowStep;
      if (column >= kBandRowFloats) column -= kBandRowFloats, ++row;
    }
    CommitGroup();
  }

  // The taps of phase kPhase and the phases after it, for one kernel row: `band` at the row of plane 0,
  // `weights` at the row's first tap. Phases are template arguments so that windows stay in registers.
  template <int kPhase>
  static __device__ __forceinline__ void MultiplyPhases(const float* band, const float* weights,
                                                        float (&acc)[8][kThreadChannels]) {
    if constexpr (kPhase < kStride) {
      constexpr int kPhaseTaps = TapsOfPhase(kConfig, kPhase);
      constexpr int kPhaseLoads = WindowLoads(kConfig, kPhase);
      if constexpr (kPhaseTaps > 0) {
        // The phase's weights first, then its window; the FFMA in window order, each window element
        // feeding every (tap, channel) it meets, so that it is the operand the reuse cache holds.
        float w[kPhaseTaps][kThreadChannels];
#pragma unroll
        for (int t = 0; t < kPhaseTaps; ++t) {
#pragma unroll
          for (int h = 0; h < kThreadChannels / 4; ++h) {
            const float4 v = *reinterpret_cast<const float4*>(weights + (kPhase + t * kStride) * kWeightStride +
                                                              h * (kBlockK / 2));
            w[t][4 * h] = v.x, w[t][4 * h + 1] = v.y, w[t][4 * h + 2] = v.z, w[t][4 * h + 3] = v.w;
          }
        }
        float window[4 * kPhaseLoads];
#pragma unroll
        for (int l = 0; l < kPhaseLoads; ++l) {
          const float4 v = *reinterpret_cast<const float4*>(band + kPhase * kPlaneFloats + 4 * l);
          window[4 * l] = v.x, window[4 * l + 1] = v.y, window[4 * l + 2] = v.z, window[4 * l + 3] = v.w;
        }
#pragma unroll
        for (int e = 0; e < kThreadPixels + kPhaseTaps - 1; ++e)
#pragma unroll
          for (int t = 0; t < kPhaseTaps; ++t)
#pragma unroll
            for (int j = 0; j < kThreadChannels; ++j) {
              const int i = e - t;  // pixel i's tap t is window element i + t
              if (i >= 0 && i < kThreadPixels) acc[i][j] = __fmaf_rn(window[e], w[t][j], acc[i][j]);
            }
      }
      MultiplyPhases<kPhase + 1>(band, weights, acc);
    }
  }

  // One input channel's taps for the thread's 8 pixels x thread_k channels. `band` at the thread's first
  // band row and pixel group, `weights` at the channel's first tap and the thread's channel group.
  static __device__ __forceinline__ void Multiply(const float* band, const float* weights,
                                                  float (&acc)[8][kThreadChannels]) {
#pragma unroll 1
    for (int r = 0; r < kKernel; ++r) {
      MultiplyPhases<0>(band + r * kPlaneWidth, weights + r * kKernel * kWeightStride, acc);
    }
  }

  // An output of the block's channel `channel` with the bias (in shared memory) added and the ReLU applied
  // (NaN stays NaN, as in PyTorch).
  static __device__ __forceinline__ float Finish(const FfmaStemParams& p, const float* bias, float v, int channel) {
    if (p.bias != nullptr) v += bias[channel];
    return p.relu && v < 0.f ? 0.f : v;
  }

  // Writes the tile's outputs: per pass, the threads of staging_groups channel groups stage their
  // accumulators [channel][pixel] in `staging`, then every thread stores staged outputs, consecutive threads
  // on consecutive pixels (NCHW) or channels (NHWC), adding the bias and applying the ReLU. Ends with a
  // barrier: `staging` may be reused.
  static __device__ __forceinline__ void WriteTile(const FfmaStemParams& p, const Tile& t, int k0, int tid,
                                                   int group, int pixel, const float (&acc)[8][kThreadChannels],
                                                   const float* bias, float* staging, int team) {
    constexpr int kStagingGroups = L.staging_groups;
    constexpr int kPassChannels = kStagingGroups * kThreadChannels;
    constexpr int kPixels = kRows * kTileQ;
    float* y_image = p.y + static_cast<int64_t>(t.n) * p.y_stride_n;
    // Offsets within an image are 32-bit.
    const int y_channel = static_cast<int>(p.y_stride_k), y_row = static_cast<int>(p.y_stride_p),
              y_pixel = static_cast<int>(p.y_stride_q);
#pragma unroll 1
    for (int pass = 0; pass < L.passes; ++pass) {
      const int first = pass * kStagingGroups;
      if (tid < kThreads && group >= first && group < first + kStagingGroups) {
#pragma unroll
        for (int j = 0; j < kThreadChannels; ++j) {
          // Channel thread_k * g + j of the pass at row j * groups + g: a warp's groups on consecutive banks.
          float* out = staging + (j * kStagingGroups + group - first) * L.staging_stride + pixel;
          *reinterpret_cast<float4*>(out) = make_float4(acc[0][j], acc[1][j], acc[2][j], acc[3][j]);
          *reinterpret_cast<float4*>(out + 4) = make_float4(acc[4][j], acc[5][j], acc[6][j], acc[7][j]);
        }
      }
      TeamSync(team);
      if (p.channels_last && kThreadChannels == 8) {
        // A thread per 4 consecutive channels of a pixel (half a thread's group), consecutive threads on
        // consecutive quads: 4 shared loads (channel j + i's row is i * staging_groups rows on), the address
        // worked out once, and one 16-byte store where y allows it. (Blocks of 4-channel threads have more than
        // 16 warps and spill with it: they keep the loop below.)
        constexpr int kQuads = kPassChannels / 4;
        for (int e = tid < kThreads ? tid : kQuads * kPixels; e < kQuads * kPixels; e += kThreads) {
          const int channel = e % kQuads * 4, at = e / kQuads;
          const int g = first + channel / kThreadChannels, j = channel % kThreadChannels;
          const int k = k0 + g * kThreadChannels + j;
          const int oh = t.p0 + at / kTileQ, ow = t.q0 + at % kTileQ;
          if (g >= kGroups || k >= p.k || oh >= p.p || ow >= p.q) continue;
          const float* in = staging + (j * kStagingGroups + channel / kThreadChannels) * L.staging_stride + at;
          float v[4];
#pragma unroll
          for (int i = 0; i < 4; ++i) v[i] = Finish(p, bias, in[i * kStagingGroups * L.staging_stride], k - k0 + i);
          float* out = y_image + (k * y_channel + oh * y_row + ow * y_pixel);  // NHWC: y_channel is 1
          if (k + 3 < p.k && (reinterpret_cast<uintptr_t>(out) & 15) == 0) {
            *reinterpret_cast<float4*>(out) = make_float4(v[0], v[1], v[2], v[3]);
          } else {
#pragma unroll
            for (int i = 0; i < 4; ++i)
              if (k + i < p.k) out[i] = v[i];
          }
        }
      } else if (p.channels_last) {
        // Consecutive threads on consecutive channels of a pixel.
        for (int e = tid < kThreads ? tid : kPassChannels * kPixels; e < kPassChannels * kPixels; e += kThreads) {
          const int channel = e % kPassChannels, at = e / kPassChannels;
          const int g = first + channel / kThreadChannels, j = channel % kThreadChannels;
          const int k = k0 + g * kThreadChannels + j;
          const int oh = t.p0 + at / kTileQ, ow = t.q0 + at % kTileQ;
          if (g >= kGroups || k >= p.k || oh >= p.p || ow >= p.q) continue;
          const float v = staging[(j * kStagingGroups + channel / kThreadChannels) * L.staging_stride + at];
          y_image[k * y_channel + oh * y_row + ow * y_pixel] = Finish(p, bias, v, k - k0);
        }
      } else {
        // Consecutive threads on consecutive runs of 4 pixels of a channel (a run stays in one row: tile_q is
        // a multiple of 8), one 16-byte shared load and the address worked out once per run, and one 16-byte
        // store where the run is whole and y allows it (Q a multiple of 4: every run): four 4-byte stores of a
        // warp each wrote a quarter of every 16 bytes it touched (NOTES, twenty-second session).
        for (int e = tid < kThreads ? tid : kPassChannels * kPixels; e < kPassChannels * kPixels / 4; e += kThreads) {
          const int channel = e / (kPixels / 4), at = e % (kPixels / 4) * 4;
          const int g = first + channel / kThreadChannels, j = channel % kThreadChannels;
          const int k = k0 + g * kThreadChannels + j;
          const int oh = t.p0 + at / kTileQ, ow = t.q0 + at % kTileQ;
          if (g >= kGroups || k >= p.k || oh >= p.p || ow >= p.q) continue;
          const float4 v = *reinterpret_cast<const float4*>(
              staging + (j * kStagingGroups + channel / kThreadChannels) * L.staging_stride + at);
          float* out = y_image + (k * y_channel + oh * y_row + ow);  // NCHW: y_pixel is 1
          const float4 o = make_float4(Finish(p, bias, v.x, k - k0), Finish(p, bias, v.y, k - k0),
                                       Finish(p, bias, v.z, k - k0), Finish(p, bias, v.w, k - k0));
          if (ow + 3 < p.q && (reinterpret_cast<uintptr_t>(out) & 15) == 0) {
            *reinterpret_cast<float4*>(out) = o;
          } else {
            out[0] = o.x;
            if (ow + 1 < p.q) out[1] = o.y;
            if (ow + 2 < p.q) out[2] = o.z;
            if (ow + 3 < p.q) out[3] = o.w;
          }
        }
      }
      TeamSync(team);
    }
  }

  static __device__ __forceinline__ void Run(const FfmaStemParams& p) {
    extern __shared__ __align__(16) float smem[];
    const int team = kTeams == 1 ? 0 : static_cast<int>(threadIdx.x) / kTeamThreads;
    const int tid = kTeams == 1 ? static_cast<int>(threadIdx.x) : static_cast<int>(threadIdx.x) % kTeamThreads;
    const bool computes = tid < kThreads;  // a team's last warp may hold threads that only copy and wait
    float* region = smem + team * L.region_floats;  // two bands [phase][band row][plane_width], or the staging
    float* weights = smem + kTeams * L.region_floats;
    float* bias = weights + p.c * kTaps * kWeightStride;  // block_k floats
    const int group = tid % kGroups;
    const int pixel_group = tid / kGroups % L.pixel_groups;
    const int row = tid / (kGroups * L.pixel_groups);
    const int pixel = row * kTileQ + pixel_group * kThreadPixels;  // the thread's first, in the tile
    const int k0 = blockIdx.y * kBlockK;
    const int first_tile = static_cast<int>(blockIdx.x) * kTeams + team;
    const int tile_step = static_cast<int>(gridDim.x) * kTeams;
    if (static_cast<int>(blockIdx.x) * kTeams >= p.tiles) return;  // the planner launches no more blocks than that

    Tile current = TileOf(p, first_tile < p.tiles ? first_tile : 0);
    if (computes && first_tile < p.tiles) CopyBand(p, current, 0, region, tid);
    CopyWeights(p, weights, bias, k0);  // beside the first bands' copies
    WaitGroup<0>();
    __syncthreads();  // the weights, for both teams

    int buffer = 0;
    const int band_offset = row * kStride * kPlaneWidth + pixel_group * kThreadPixels;
    const float* my_weights = weights + group * 4;
    for (int tile = first_tile; tile < p.tiles; tile += tile_step) {
      float acc[8][kThreadChannels];
#pragma unroll
      for (int i = 0; i < kThreadPixels; ++i)
#pragma unroll
        for (int j = 0; j < kThreadChannels; ++j) acc[i][j] = 0.f;
      for (int c = 0; c < p.c; ++c) {
        float* other = region + (buffer ^ 1) * kBandFloats;  // read last by the step before this one
        const bool last = c + 1 == p.c;
        if (computes) {
          if (!last) CopyBand(p, current, c + 1, other, tid);  // under this channel's math
          Multiply(region + buffer * kBandFloats + band_offset, my_weights + c * kTaps * kWeightStride, acc);
        }
        if (last) {
          TeamSync(team);  // every thread done with the bands: they become the staging
          WriteTile(p, current, k0, tid, group, pixel, acc, bias, region, team);
          if (tile + tile_step < p.tiles) {
            current = TileOf(p, tile + tile_step);
            if (computes) CopyBand(p, current, 0, other, tid);
          }
        }
        WaitGroup<0>();
        TeamSync(team);
        buffer ^= 1;
      }
    }
  }
};

}  // namespace stem_ffma_kernel
}  // namespace kconv

// One stable extern "C" entry point per config (a constexpr stem_ffma::Config): fp32 tensors.
#define KCONV_STEM_FFMA_KERNELS(NAME, CONFIG)                                                                    \
  extern "C" __global__ void __launch_bounds__(kconv::stem_ffma::MakeTileLayout(CONFIG).block_threads,          \
                                              kconv::stem_ffma::MakeTileLayout(CONFIG).min_blocks)              \
      NAME(const kconv::stem_ffma::FfmaStemParams params) {                                                     \
    kconv::stem_ffma_kernel::Kernel<CONFIG.kernel, CONFIG.stride, CONFIG.block_k, CONFIG.rows, CONFIG.tile_q,   \
                                    CONFIG.thread_k, CONFIG.teams>::Run(params);                                \
  }
