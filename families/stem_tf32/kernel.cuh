// SPDX-License-Identifier: Apache-2.0
// Stem convolutions (few input channels, horizontal stride 4; AlexNet conv1 first), TF32 mma.sync.
//
// One block computes `tile_pixels` consecutive output pixels of one image (a linear tile across output
// rows) for all output channels:
//  1. The input rows the tile touches (its "band", every input channel) are copied into shared memory
//     in the stride-4 chunk layout (stem_params.h), zero-filled outside the image. No im2col: an mma
//     A fragment is one ldmatrix.x4 whose eight-pixel rows are 128 contiguous bytes of the band.
//  2. Weights, packed and TF32-rounded once per plan (stem_tf32_pack_weights below), stream through a
//     cp.async pipeline of `wstages` stages of `wsteps` k8 steps each.
//  3. Each warp owns mt m16 tiles of pixels against all nt n8 tiles of channels (all of them: splitting
//     channels would make every warp re-read the A operand, and shared-memory bandwidth is the limit).
//  With kSplit (3xTF32), each packed step holds the weights' TF32 remainders after them, the band's values
//     are split in registers into tf32(v) and tf32(v - tf32(v)), and each product is three mma (small*big +
//     big*small + big*big) into a fresh sum added to the accumulators with FADD (the tensor cores truncate
//     their sums; over a long reduction that bias alone is above fp32's accuracy).
//  4. The accumulators are staged through shared memory as [channel][pixel] so that each channel is
//     written to NCHW as one run of tile_pixels consecutive floats, with bias and optional ReLU.
#pragma once

#include <stdint.h>

#include "families/stem_common/stem_tile.cuh"
#include "families/stem_tf32/traits.h"

namespace kconv {
// The kernel's code lives in namespace stem with the helpers it shares with stem_wgmma_tf32: namespaces name
// the images' shared-memory symbols, and these images were built in it.
namespace stem {

template <int kMt, int kNt, int kWarps, int kWsteps, int kWstages, int kPhases, int kSplit, int kType>
struct Kernel {
  static constexpr StemLayout L = MakeStemLayout(StemConfig{kMt, kNt, kWarps, kWsteps, kWstages});
  static constexpr int kThreads = L.threads;
  static constexpr int kStepBytes = L.weight_step_bytes * (kSplit ? 2 : 1);  // traits.h's PackedStepBytes
  static constexpr int kStageBytes = kWsteps * kStepBytes;
  static_assert(kNt % 2 == 0, "B fragments are loaded two n8 tiles per ldmatrix.x4");
  static_assert(kWstages >= 2, "the weight pipeline needs two stages");

  static __device__ __forceinline__ void Run(const StemParams& p) {
    extern __shared__ __align__(128) unsigned char smem[];
    unsigned char* band = smem;
    unsigned char* weights = smem + p.band_bytes;
    int32_t* chunk_offset = reinterpret_cast<int32_t*>(weights + kWstages * kStageBytes);
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const Tile tile = TileOfBlock(p, L.tile_pixels);

    CopyChunkTable(p, chunk_offset, kThreads);
    LoadBand<kPhases, kType>(p, tile, band, warp, kWarps);
    // The band and the first weight stages share the first commit group(s).
#pragma unroll
    for (int s = 0; s < kWstages - 1; ++s) {
      LoadWeightStage<kWsteps, kStepBytes, kThreads>(p, weights + s * kStageBytes, s);
      CommitGroup();
    }

    int first[kMt], rows[kMt];
    uint32_t pixel_address[kMt];
#pragma unroll
    for (int mi = 0; mi < kMt; ++mi) {
      first[mi] = warp * 16 * kMt + mi * 16;
      rows[mi] = 16;  // pixels past the image are staged, not stored
      pixel_address[mi] = LaneRowAddress<kPhases>(p, tile, band, first[mi]);
    }
    // B: ldmatrix.x4 i covers n8 tiles 2i and 2i+1; lane L gives row L%8 of matrix L/8 (tile 2i + L/16,
    // half (L/8)%2). Offsets of later pairs differ by 16 channels, which keeps the swizzle bit.
    const int b_channel = (lane >> 4) * 8 + (lane & 7);
    const uint32_t b_lane_offset = PackedWeightOffset(b_channel, ((lane >> 3) & 1) * 4);
    const int chunk_select = lane >> 4;

    float acc[kMt][kNt][4];
#pragma unroll
    for (int mi = 0; mi < kMt; ++mi)
#pragma unroll
      for (int ni = 0; ni < kNt; ++ni)
#pragma unroll
        for (int v = 0; v < 4; ++v) acc[mi][ni][v] = 0.f;

    const int stages = p.steps / kWsteps;
    for (int stage = 0; stage < stages; ++stage) {
      WaitGroup<kWstages - 2>();
      __syncthreads();  // stage `stage` (and the band) landed; every warp is done with stage-1's slot
      const int next = stage + kWstages - 1;
      LoadWeightStage<kWsteps, kStepBytes, kThreads>(p, weights + (next % kWstages) * kStageBytes, next);
      CommitGroup();
      const uint32_t slot = SharedAddress(weights + (stage % kWstages) * kStageBytes) + b_lane_offset;
      const int first_step = stage * kWsteps;
      // Unrolled and branch-free, so that ptxas can issue the next step's ldmatrix under this step's mma.
#pragma unroll
      for (int ks = 0; ks < kWsteps; ++ks) {
        const int step = first_step + ks;
        const uint32_t chunk = chunk_offset[2 * step + chunk_select];
        uint32_t a[kMt][4], a_small[kSplit ? kMt : 1][4];
#pragma unroll
        for (int mi = 0; mi < kMt; ++mi) {
          LoadMatrixX4(a[mi], pixel_address[mi] + chunk);
#pragma unroll
          for (int v = 0; v < 4; ++v) {
            const float value = __uint_as_float(a[mi][v]);
            a[mi][v] = ToTf32(value);
            if constexpr (kSplit) a_small[mi][v] = ToTf32(value - __uint_as_float(a[mi][v]));
          }
        }
        const uint32_t b_step = slot + ks * kStepBytes;
#pragma unroll
        for (int nb = 0; nb < kNt / 2; ++nb) {
          uint32_t b[4];
          LoadMatrixX4(b, b_step + nb * 512);
          if constexpr (kSplit) {
            uint32_t b_small[4];
            LoadMatrixX4(b_small, b_step + L.weight_step_bytes + nb * 512);
#pragma unroll
            for (int mi = 0; mi < kMt; ++mi)
#pragma unroll
              for (int h = 0; h < 2; ++h) {
                float sum[4] = {0.f, 0.f, 0.f, 0.f};
                MmaTf32(sum, a_small[mi], b[2 * h], b[2 * h + 1]);
                MmaTf32(sum, a[mi], b_small[2 * h], b_small[2 * h + 1]);
                MmaTf32(sum, a[mi], b[2 * h], b[2 * h + 1]);
#pragma unroll
                for (int v = 0; v < 4; ++v) acc[mi][2 * nb + h][v] += sum[v];
              }
          } else {
#pragma unroll
            for (int mi = 0; mi < kMt; ++mi) {
              MmaTf32(acc[mi][2 * nb], a[mi], b[0], b[1]);
              MmaTf32(acc[mi][2 * nb + 1], a[mi], b[2], b[3]);
            }
          }
        }
      }
    }
    WaitGroup<0>();
    __syncthreads();  // every warp is done reading the band, which the staging reuses
    constexpr int kChunks = (L.tile_pixels + 31) / 32;  // a tile's pixels in one span of 32-pixel chunks
    StoreTile<kMt, 0, kNt, kChunks, kType>(p, tile, reinterpret_cast<float*>(smem), L.staging_stride, L.tile_pixels, kWarps,
                                    first, rows, p.bias, [&](int mi, int ni, int v) { return acc[mi][ni][v]; },
                                    [] { __syncthreads(); });
  }
};

}  // namespace stem
}  // namespace kconv

// Two stable extern "C" entry points per config (a constexpr stem_tf32::Config) and element type (0 fp32,
// 1 fp16 with the suffix _f16, 2 bf16 with _bf16: the planner's KernelSuffixes): the convolution and its
// weight packer. 16-bit tensors are widened exactly and computed as TF32 (an fp16 or bf16 value is exact in
// TF32), and the output is rounded to the type once.
#define KCONV_STEM_TF32_ONE_TYPE(NAME, CONFIG, TYPE)                                                  \
  extern "C" __global__ void __launch_bounds__(kconv::MakeStemLayout(CONFIG).threads)                  \
      NAME(const __grid_constant__ kconv::StemParams params) {                                         \
    kconv::stem::Kernel<CONFIG.mt, CONFIG.nt, CONFIG.warps, CONFIG.wsteps, CONFIG.wstages,            \
                        CONFIG.phases, CONFIG.split, TYPE>::Run(params);                               \
  }                                                                                                    \
  extern "C" __global__ void NAME##_pack_weights(const kconv::StemPackParams params) {                 \
    kconv::stem::PackWeights<CONFIG.split == 1, TYPE>(params, [&](int step, int n, int e) {            \
      return static_cast<int64_t>(step) * params.channels * 32 * (CONFIG.split + 1) +                  \
             kconv::PackedWeightOffset(n, e);                                                          \
    });                                                                                                \
  }
#define KCONV_STEM_TF32_KERNELS(NAME, CONFIG)        \
  KCONV_STEM_TF32_ONE_TYPE(NAME, CONFIG, 0)          \
  KCONV_STEM_TF32_ONE_TYPE(NAME##_f16, CONFIG, 1)    \
  KCONV_STEM_TF32_ONE_TYPE(NAME##_bf16, CONFIG, 2)
