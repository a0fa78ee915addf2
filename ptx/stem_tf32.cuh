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
//  4. The accumulators are staged through shared memory as [channel][pixel] so that each channel is
//     written to NCHW as one run of tile_pixels consecutive floats, with bias and optional ReLU.
#pragma once

#include <stdint.h>

#include "conv_params.h"
#include "ptx_instructions.cuh"
#include "stem_params.h"

namespace kconv {
namespace stem {

using namespace ::kconv::ptx;

template <int kMt, int kNt, int kWarps, int kWsteps, int kWstages>
struct Kernel {
  static constexpr StemLayout L = MakeStemLayout(StemConfig{kMt, kNt, kWarps, kWsteps, kWstages});
  static constexpr int kThreads = L.threads;
  static_assert(kNt % 2 == 0, "B fragments are loaded two n8 tiles per ldmatrix.x4");
  static_assert(kWstages >= 2, "the weight pipeline needs two stages");

  // p.steps is a multiple of kWsteps (the host pads the chunk list), so every stage is full.
  static __device__ __forceinline__ void LoadWeightStage(const StemParams& p, unsigned char* slot, int stage) {
    const int first_step = stage * kWsteps;
    if (first_step >= p.steps) return;
    constexpr int chunks = kWsteps * L.weight_step_bytes / 16;
    const unsigned char* src = reinterpret_cast<const unsigned char*>(p.w_packed) +
                               static_cast<int64_t>(first_step) * L.weight_step_bytes;
#pragma unroll
    for (int i = threadIdx.x; i < chunks; i += kThreads) CopyAsync16(SharedAddress(slot + i * 16), src + i * 16);
  }

  static __device__ __forceinline__ void Run(const StemParams& p) {
    extern __shared__ __align__(128) unsigned char smem[];
    unsigned char* band = smem;
    unsigned char* weights = smem + p.band_bytes;
    int32_t* chunk_offset = reinterpret_cast<int32_t*>(weights + kWstages * L.weight_stage_bytes);
    const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
    const int image = blockIdx.y;
    const int m0 = blockIdx.x * L.tile_pixels;
    const int p0 = static_cast<int>(p.div_q.Div(static_cast<uint32_t>(m0)));
    const int ih0 = p0 * p.stride_h - p.pad_h;

    for (int i = tid; i < 2 * p.steps; i += kThreads) chunk_offset[i] = p.chunk_offset[i];

    // 1. The band: every input row the tile touches, in chunk layout, zero outside the image.
    {
      const float* x_image = p.x + static_cast<int64_t>(image) * p.c * p.h * p.w_in;
      const uint32_t band_base = SharedAddress(band);
      for (int row = warp; row < p.c * p.band_rows; row += kWarps) {
        const int c = row / p.band_rows, ih = ih0 + row % p.band_rows;
        const bool row_valid = static_cast<unsigned>(ih) < static_cast<unsigned>(p.h);
        const float* src_row = x_image + (static_cast<int64_t>(c) * p.h + (row_valid ? ih : 0)) * p.w_in;
        for (int pos = lane; pos < p.row_floats; pos += 32) {
          const int col = pos - p.pad_w;
          const bool valid = row_valid && static_cast<unsigned>(col) < static_cast<unsigned>(p.w_in);
          CopyAsync4(band_base + (row * p.row_floats + pos) * 4, valid ? src_row + col : p.x, valid);
        }
      }
    }
    // The band and the first weight stages share the first commit group(s).
#pragma unroll
    for (int s = 0; s < kWstages - 1; ++s) {
      LoadWeightStage(p, weights + s * L.weight_stage_bytes, s);
      CommitGroup();
    }

    // Per lane: the band address of its ldmatrix row for each m16 tile (lanes 0-7 and 16-23 give
    // pixels 0-7, lanes 8-15 and 24-31 pixels 8-15; lanes 16-31 read the step's second chunk).
    uint32_t pixel_address[kMt];
#pragma unroll
    for (int mi = 0; mi < kMt; ++mi) {
      int m = m0 + warp * 16 * kMt + mi * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
      m = min(m, p.pq - 1);  // pixels past the image read valid data; their results are dropped
      uint32_t oh, ow;
      p.div_q.DivMod(static_cast<uint32_t>(m), oh, ow);
      pixel_address[mi] = SharedAddress(band) + ((static_cast<int>(oh) - p0) * p.stride_h) * p.row_floats * 4 + ow * 16;
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
      LoadWeightStage(p, weights + ((stage + kWstages - 1) % kWstages) * L.weight_stage_bytes, stage + kWstages - 1);
      CommitGroup();
      const uint32_t slot = SharedAddress(weights + (stage % kWstages) * L.weight_stage_bytes) + b_lane_offset;
      const int first_step = stage * kWsteps;
      // Unrolled and branch-free, so that ptxas can issue the next step's ldmatrix under this step's mma.
#pragma unroll
      for (int ks = 0; ks < kWsteps; ++ks) {
        const int step = first_step + ks;
        const uint32_t chunk = chunk_offset[2 * step + chunk_select];
        uint32_t a[kMt][4];
#pragma unroll
        for (int mi = 0; mi < kMt; ++mi) {
          LoadMatrixX4(a[mi], pixel_address[mi] + chunk);
#pragma unroll
          for (int v = 0; v < 4; ++v) a[mi][v] = ToTf32(__uint_as_float(a[mi][v]));
        }
        const uint32_t b_step = slot + ks * L.weight_step_bytes;
#pragma unroll
        for (int nb = 0; nb < kNt / 2; ++nb) {
          uint32_t b[4];
          LoadMatrixX4(b, b_step + nb * 512);
#pragma unroll
          for (int mi = 0; mi < kMt; ++mi) {
            MmaTf32(acc[mi][2 * nb], a[mi], b[0], b[1]);
            MmaTf32(acc[mi][2 * nb + 1], a[mi], b[2], b[3]);
          }
        }
      }
    }
    WaitGroup<0>();
    __syncthreads();

    // 4. Epilogue through shared memory: [channel][pixel], then runs of tile_pixels per channel.
    float* staged = reinterpret_cast<float*>(smem);
    {
      const int g = lane / 4, t = lane % 4;
#pragma unroll
      for (int mi = 0; mi < kMt; ++mi)
#pragma unroll
        for (int ni = 0; ni < kNt; ++ni) {
          const int m = warp * 16 * kMt + mi * 16 + g, n = ni * 8 + 2 * t;
          staged[n * L.staging_stride + m] = acc[mi][ni][0];
          staged[(n + 1) * L.staging_stride + m] = acc[mi][ni][1];
          staged[n * L.staging_stride + m + 8] = acc[mi][ni][2];
          staged[(n + 1) * L.staging_stride + m + 8] = acc[mi][ni][3];
        }
    }
    __syncthreads();
    const int pixels = min(L.tile_pixels, p.pq - m0);
    float* y_image = p.y + static_cast<int64_t>(image) * p.k * p.pq + m0;
    for (int n = warp; n < p.k; n += kWarps) {
      const float bias = p.bias != nullptr ? p.bias[n] : 0.f;
      for (int i = lane; i < pixels; i += 32) {
        float v = staged[n * L.staging_stride + i] + bias;
        if (p.relu && v < 0.f) v = 0.f;  // NaN stays NaN
        y_image[static_cast<int64_t>(n) * p.pq + i] = v;
      }
    }
  }
};

// Packs w[K][C][R][S] into the per-step layout the kernel streams: for step s, channel n and element e,
// chunk 2s + e/4 = (r, c, j) and tap column 4j + e%4; zero for padded channels, phantom taps (column >= S)
// and the padding chunk. Rounded to TF32 (nearest, ties away) once, here.
__device__ __forceinline__ void PackWeights(const StemPackParams& p) {
  const int total = p.steps * p.channels * 8;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
    const int e = i % 8, n = (i / 8) % p.channels, step = i / (8 * p.channels);
    const int chunk = 2 * step + e / 4;
    const int j = chunk % p.j, c = (chunk / p.j) % p.c, r = chunk / (p.j * p.c);
    const int s = 4 * j + e % 4;
    float v = 0.f;
    if (n < p.k && r < p.r && s < p.s) v = p.w[((static_cast<int64_t>(n) * p.c + c) * p.r + r) * p.s + s];
    const uint32_t bits = ToTf32(v);
    char* step_base = reinterpret_cast<char*>(p.packed) + static_cast<int64_t>(step) * p.channels * 32;
    *reinterpret_cast<uint32_t*>(step_base + PackedWeightOffset(n, e)) = bits;
  }
}

}  // namespace stem
}  // namespace kconv

// Two stable extern "C" entry points per config: the convolution and its weight packer.
#define KCONV_DEFINE_STEM_TF32(NAME, MT, NT, WARPS, WSTEPS, WSTAGES)                                  \
  extern "C" __global__ void __launch_bounds__(WARPS * 32)                                             \
      NAME(const __grid_constant__ kconv::StemParams params) {                                         \
    kconv::stem::Kernel<MT, NT, WARPS, WSTEPS, WSTAGES>::Run(params);                                  \
  }                                                                                                    \
  extern "C" __global__ void NAME##_pack_weights(const kconv::StemPackParams params) {                 \
    kconv::stem::PackWeights(params);                                                                  \
  }
