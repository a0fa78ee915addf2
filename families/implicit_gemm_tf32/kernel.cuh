// SPDX-License-Identifier: Apache-2.0
// Implicit-GEMM convolution forward, TF32 tensor cores (mma.sync.m16n8k8, fp32 accumulate), or 3xTF32.
// A CUDA C++ port of the Triton kernel kconv starts from: GEMM M = N*P*Q output pixels, GEMM N = K output
// channels, GEMM K = C*R*S taps; any fp32 shape with any stride, padding and dilation, NCHW or NHWC (the
// layouts differ only in the strides the params carry).
//
// 3xTF32 (kSplit): each operand v is split into big = tf32(v) and small = tf32(v - big), and the tile takes
// small*big + big*small + big*big, the small terms first: the dropped small*small term is ~2^-22 of the
// product, so the result is as accurate as fp32 FFMA at three times the mma work and the same loads. Each
// k8 step's products are summed apart and added to the accumulators in fp32 (ComputeStage says why).
//
// Per block: a block_m x block_n output tile. Each pipeline stage gathers a block_k slice of the im2col
// matrix (A, 4-byte cp.async with zero fill for padding) and of the weights (B) into shared memory; a
// `stages`-deep cp.async pipeline overlaps the gathers with the math. The epilogue stages the tile in
// shared memory so that each output channel is written as runs of consecutive pixels, adds the bias and
// applies the optional ReLU.
#pragma once

#include <stdint.h>

#include "families/implicit_gemm_tf32/traits.h"
#include "ptx/ptx_instructions.cuh"

namespace kconv {
// The kernel's code lives in namespace implicit_gemm, whose name the images' shared-memory symbols carry.
namespace implicit_gemm {

using namespace ::kconv::ptx;
using namespace ::kconv::implicit_gemm_tf32;

template <int kBlockM, int kBlockN, int kBlockK, int kWarps, int kStages, int kSplit>
struct Kernel {
  static constexpr TileLayout L = MakeTileLayout(Config{kBlockM, kBlockN, kBlockK, kWarps, kStages});
  static_assert(L.valid, "tile config does not fit the implicit-GEMM layout rules");
  static constexpr int kThreads = L.threads;
  static constexpr int kMmaM = L.warp_tile_m / 16;
  static constexpr int kMmaN = L.warp_tile_n / 8;

  // Thread t gathers A elements e = t + j*kThreads of the block_m x block_k slice, with m = e % block_m
  // and k = e / block_m: consecutive threads take consecutive pixels (coalesced reads, conflict-free
  // shared stores). The same split serves the epilogue over block_m x block_n.
  static constexpr int kRowsPerThread = kBlockM >= kThreads ? kBlockM / kThreads : 1;
  static constexpr int kAPerThread = kBlockM * kBlockK / kThreads;
  static constexpr int kBPerThread = kBlockN * kBlockK / kThreads;
  static constexpr int kOutPerThread = kBlockM * kBlockN / kThreads;

  struct PixelRow {
    int64_t x_image;  // offset of the pixel's image in x
    int32_t ih0, iw0; // top-left input coordinate of its receptive field; far out of range when m >= M
  };

  static __device__ __forceinline__ int RowOf(int e) { return e % kBlockM; }

  static __device__ __forceinline__ void LoadStage(const ConvParams& p, const PixelRow (&rows)[kRowsPerThread],
                                                   float* a_stage, float* b_stage, int k0, int n0) {
    const int tid = threadIdx.x;
#pragma unroll
    for (int j = 0; j < kAPerThread; ++j) {
      const int e = tid + j * kThreads;
      const int m_local = e % kBlockM, k_local = e / kBlockM;
      const PixelRow& row = rows[j % kRowsPerThread];
      const int k = k0 + k_local;
      uint32_t c, rs, r, s;
      p.div_rs.DivMod(static_cast<uint32_t>(k), c, rs);
      p.div_s.DivMod(rs, r, s);
      const int ih = row.ih0 + static_cast<int>(r) * p.dil_h;
      const int iw = row.iw0 + static_cast<int>(s) * p.dil_w;
      const bool valid = k < p.gemm_k && static_cast<unsigned>(ih) < static_cast<unsigned>(p.h) &&
                         static_cast<unsigned>(iw) < static_cast<unsigned>(p.w_in);
      const float* src = valid ? p.x + row.x_image + c * p.x_stride_c + ih * p.x_stride_h + iw * p.x_stride_w : p.x;
      CopyAsync4(SharedAddress(a_stage + k_local * L.a_stride + m_local), src, valid);
    }
#pragma unroll
    for (int j = 0; j < kBPerThread; ++j) {
      const int e = tid + j * kThreads;
      const int k_local = e % kBlockK, n_local = e / kBlockK;
      const int k = k0 + k_local, n = n0 + n_local;
      const bool valid = k < p.gemm_k && n < p.k;
      const float* src = valid ? p.w + static_cast<int64_t>(n) * p.gemm_k + k : p.w;
      CopyAsync4(SharedAddress(b_stage + n_local * L.b_stride + k_local), src, valid);
    }
  }

  // Splits v into big = tf32(v) and small = tf32(v - big).
  static __device__ __forceinline__ void Split(float v, uint32_t& big, uint32_t& small) {
    big = ToTf32(v);
    small = ToTf32(v - __uint_as_float(big));
  }

  static __device__ __forceinline__ void ComputeStage(const float* a_stage, const float* b_stage, int warp_m0,
                                                      int warp_n0, float (&acc)[kMmaM][kMmaN][4]) {
    const int lane = threadIdx.x % 32;
    const int g = lane / 4, t = lane % 4;
#pragma unroll
    for (int kk = 0; kk < kBlockK; kk += 8) {
      uint32_t a[kMmaM][4], a_small[kSplit ? kMmaM : 1][4];
      uint32_t b[kMmaN][2], b_small[kSplit ? kMmaN : 1][2];
#pragma unroll
      for (int mi = 0; mi < kMmaM; ++mi) {
        const float* base = a_stage + (kk + t) * L.a_stride + warp_m0 + mi * 16 + g;
        const float v[4] = {base[0], base[8], base[4 * L.a_stride], base[4 * L.a_stride + 8]};
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          if constexpr (kSplit) {
            Split(v[e], a[mi][e], a_small[mi][e]);
          } else {
            a[mi][e] = ToTf32(v[e]);
          }
        }
      }
#pragma unroll
      for (int ni = 0; ni < kMmaN; ++ni) {
        const float* base = b_stage + (warp_n0 + ni * 8 + g) * L.b_stride + kk + t;
        const float v[2] = {base[0], base[4]};
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          if constexpr (kSplit) {
            Split(v[e], b[ni][e], b_small[ni][e]);
          } else {
            b[ni][e] = ToTf32(v[e]);
          }
        }
      }
#pragma unroll
      for (int mi = 0; mi < kMmaM; ++mi)
#pragma unroll
        for (int ni = 0; ni < kMmaN; ++ni) {
          if constexpr (kSplit) {
            // The three products of this k8 step go into a fresh accumulator, added to the running sum with
            // FADD: the tensor cores truncate their fp32 sums, and over a long reduction that bias alone
            // exceeded 5e-6 (ViT's 768 taps); rounded to nearest here, it stays at fp32's level.
            float step[4] = {0.f, 0.f, 0.f, 0.f};
            MmaTf32(step, a_small[mi], b[ni][0], b[ni][1]);
            MmaTf32(step, a[mi], b_small[ni][0], b_small[ni][1]);
            MmaTf32(step, a[mi], b[ni][0], b[ni][1]);
#pragma unroll
            for (int v = 0; v < 4; ++v) acc[mi][ni][v] += step[v];
          } else {
            MmaTf32(acc[mi][ni], a[mi], b[ni][0], b[ni][1]);
          }
        }
    }
  }

  static __device__ __forceinline__ void Run(const ConvParams& p) {
    extern __shared__ __align__(16) float smem[];
    const int tid = threadIdx.x;
    const int warp = tid / 32;
    const int m0 = blockIdx.x * kBlockM;
    const int n0 = blockIdx.y * kBlockN;
    const int warp_m0 = (warp % L.warps_m) * L.warp_tile_m;
    const int warp_n0 = (warp / L.warps_m) * L.warp_tile_n;

    PixelRow rows[kRowsPerThread];
    int64_t y_pixel[kRowsPerThread];  // offset of output channel 0 of the pixel in y; -1 past the end
#pragma unroll
    for (int i = 0; i < kRowsPerThread; ++i) {
      const int m = m0 + RowOf(tid + i * kThreads);
      uint32_t image = 0, pq = 0, oh = 0, ow = 0;
      if (m < p.gemm_m) {
        p.div_pq.DivMod(static_cast<uint32_t>(m), image, pq);
        p.div_q.DivMod(pq, oh, ow);
        rows[i].x_image = static_cast<int64_t>(image) * p.x_stride_n;
        rows[i].ih0 = static_cast<int>(oh) * p.stride_h - p.pad_h;
        rows[i].iw0 = static_cast<int>(ow) * p.stride_w - p.pad_w;
        y_pixel[i] = static_cast<int64_t>(image) * p.y_stride_n + static_cast<int64_t>(oh) * p.y_stride_p +
                     static_cast<int64_t>(ow) * p.y_stride_q;
      } else {
        rows[i].x_image = 0;
        rows[i].ih0 = -(1 << 30);  // every tap lands outside the input: zero fill
        rows[i].iw0 = -(1 << 30);
        y_pixel[i] = -1;
      }
    }

    float acc[kMmaM][kMmaN][4];
#pragma unroll
    for (int mi = 0; mi < kMmaM; ++mi)
#pragma unroll
      for (int ni = 0; ni < kMmaN; ++ni)
#pragma unroll
        for (int v = 0; v < 4; ++v) acc[mi][ni][v] = 0.f;

    const int k_tiles = (p.gemm_k + kBlockK - 1) / kBlockK;
    auto a_of = [&](int stage) { return smem + stage * L.stage_floats; };
    auto b_of = [&](int stage) { return smem + stage * L.stage_floats + kBlockK * L.a_stride; };

    if constexpr (kStages == 1) {
      for (int kt = 0; kt < k_tiles; ++kt) {
        LoadStage(p, rows, a_of(0), b_of(0), kt * kBlockK, n0);
        CommitGroup();
        WaitGroup<0>();
        __syncthreads();
        ComputeStage(a_of(0), b_of(0), warp_m0, warp_n0, acc);
        __syncthreads();
      }
    } else {
#pragma unroll
      for (int s = 0; s < kStages - 1; ++s) {
        if (s < k_tiles) LoadStage(p, rows, a_of(s), b_of(s), s * kBlockK, n0);
        CommitGroup();
      }
      for (int kt = 0; kt < k_tiles; ++kt) {
        // kStages-1 groups were committed ahead of tile kt; waiting until kStages-2 remain completes it.
        WaitGroup<kStages - 2>();
        // The barrier also retires every warp's reads of the stage refilled below (tile kt-1's).
        __syncthreads();
        const int next = kt + kStages - 1;
        if (next < k_tiles) LoadStage(p, rows, a_of(next % kStages), b_of(next % kStages), next * kBlockK, n0);
        CommitGroup();
        ComputeStage(a_of(kt % kStages), b_of(kt % kStages), warp_m0, warp_n0, acc);
      }
      WaitGroup<0>();
      __syncthreads();
    }

    // Epilogue: stage the tile as [channel][pixel] so that stores run along pixels.
    float* staged = smem;
    {
      const int lane = tid % 32;
      const int g = lane / 4, t = lane % 4;
#pragma unroll
      for (int mi = 0; mi < kMmaM; ++mi)
#pragma unroll
        for (int ni = 0; ni < kMmaN; ++ni) {
          const int m = warp_m0 + mi * 16 + g;
          const int n = warp_n0 + ni * 8 + 2 * t;
          staged[n * L.epilogue_stride + m] = acc[mi][ni][0];
          staged[(n + 1) * L.epilogue_stride + m] = acc[mi][ni][1];
          staged[n * L.epilogue_stride + m + 8] = acc[mi][ni][2];
          staged[(n + 1) * L.epilogue_stride + m + 8] = acc[mi][ni][3];
        }
    }
    __syncthreads();
    const int64_t channel_stride = p.y_stride_k;
#pragma unroll
    for (int j = 0; j < kOutPerThread; ++j) {
      const int e = tid + j * kThreads;
      const int m_local = e % kBlockM, n_local = e / kBlockM;
      const int64_t pixel = y_pixel[j % kRowsPerThread];
      const int n = n0 + n_local;
      if (pixel < 0 || n >= p.k) continue;
      float v = staged[n_local * L.epilogue_stride + m_local];
      if (p.bias != nullptr) v += p.bias[n];
      if (p.relu && v < 0.f) v = 0.f;  // NaN stays NaN, as in PyTorch (fmaxf would hide it)
      p.y[pixel + n * channel_stride] = v;
    }
  }
};

}  // namespace implicit_gemm
}  // namespace kconv

// One stable extern "C" entry point per config (a constexpr implicit_gemm_tf32::Config); the runtime finds
// it by this name in the cubin.
#define KCONV_IMPLICIT_GEMM_TF32_KERNELS(NAME, CONFIG)                                                      \
  extern "C" __global__ void __launch_bounds__(kconv::implicit_gemm_tf32::MakeTileLayout(CONFIG).threads) \
      NAME(const kconv::implicit_gemm_tf32::ConvParams params) {                                            \
    kconv::implicit_gemm::Kernel<CONFIG.block_m, CONFIG.block_n, CONFIG.block_k, CONFIG.warps,          \
                                      CONFIG.stages, CONFIG.split>::Run(params);                                          \
  }
