// SPDX-License-Identifier: Apache-2.0
// Implicit-GEMM convolution forward on the FP32 pipes (FFMA): strict IEEE fp32 products and sums, no tensor
// cores. kconv's path for KCONV_MATH_FP32 and its general path for fp16 and bf16 tensors (a product of two
// 16-bit values is exact in fp32), for any shape, stride, padding and dilation, NCHW or NHWC.
//
// GEMM M = N*P*Q output pixels, GEMM N = K output channels, GEMM K = C*R*S taps. Per block: a block_m x
// block_n output tile; per thread: thread_m pixels x thread_n channels in registers, the classic SGEMM
// register blocking (thread_m + thread_n shared loads feed thread_m * thread_n FFMA per tap). Each block_k
// slice of the im2col matrix and of the weights is gathered into registers (widened to fp32) while the
// previous slice is multiplied, then stored to the other of two shared-memory stages: one barrier per slice.
#pragma once

#include <stdint.h>

#include "families/implicit_gemm_ffma/traits.h"
#include "ptx/element_types.cuh"

namespace kconv {
namespace implicit_gemm_ffma_kernel {

using namespace ::kconv::ptx;
using namespace ::kconv::implicit_gemm_ffma;

template <int kBlockM, int kBlockN, int kBlockK, int kThreadM, int kThreadN, int kType>
struct Kernel {
  static constexpr TileLayout L = MakeTileLayout(Config{kBlockM, kBlockN, kBlockK, kThreadM, kThreadN});
  static_assert(L.valid, "tile config does not fit the FFMA layout rules");
  static constexpr int kThreads = L.threads;
  static constexpr int kThreadsN = kBlockN / kThreadN;
  static constexpr int kA = L.a_per_thread, kB = L.b_per_thread;
  // A thread's gathered A elements share one pixel when the thread count is a multiple of block_m (all
  // listed configs but one): one PixelRow then, not kA, which keeps the 8x8 tile within 128 registers.
  static constexpr int kRows = kThreads % kBlockM == 0 ? 1 : kA;

  struct PixelRow {
    int64_t x_image;   // offset of the pixel's image in x
    int32_t ih0, iw0;  // top-left input coordinate of its receptive field; far out of range past the end
  };

  static __device__ __forceinline__ void Run(const FfmaParams& p) {
    extern __shared__ __align__(16) float smem[];
    float* a_smem = smem;                           // [2][kBlockK][kBlockM]
    float* b_smem = smem + 2 * kBlockK * kBlockM;   // [2][kBlockK][kBlockN]
    const int tid = threadIdx.x;
    const int m0 = blockIdx.x * kBlockM, n0 = blockIdx.y * kBlockN;
    const int tn = tid % kThreadsN, tm = tid / kThreadsN;

    // Gathered element j of a thread: A's e = tid + j * kThreads at pixel e % kBlockM, tap e / kBlockM
    // (consecutive threads, consecutive pixels); B's at channel e % kBlockN, tap e / kBlockN (conflict-free
    // shared stores; the weights are small and come from L1/L2).
    PixelRow rows[kRows];
#pragma unroll
    for (int j = 0; j < kRows; ++j) {
      const int m = m0 + (tid + j * kThreads) % kBlockM;
      if (m < p.gemm_m) {
        uint32_t image, pq, oh, ow;
        p.div_pq.DivMod(static_cast<uint32_t>(m), image, pq);
        p.div_q.DivMod(pq, oh, ow);
        rows[j].x_image = static_cast<int64_t>(image) * p.x_stride_n;
        rows[j].ih0 = static_cast<int>(oh) * p.stride_h - p.pad_h;
        rows[j].iw0 = static_cast<int>(ow) * p.stride_w - p.pad_w;
      } else {
        rows[j].x_image = 0;
        rows[j].ih0 = -(1 << 30);  // every tap lands outside the input: zero
        rows[j].iw0 = -(1 << 30);
      }
    }

    float a_next[kA], b_next[kB];
    auto gather = [&](int k0) {
#pragma unroll
      for (int j = 0; j < kA; ++j) {
        const int k = k0 + (tid + j * kThreads) / kBlockM;
        uint32_t c, rs, r, s;
        p.div_rs.DivMod(static_cast<uint32_t>(k), c, rs);
        p.div_s.DivMod(rs, r, s);
        const PixelRow& row = rows[j % kRows];
        const int ih = row.ih0 + static_cast<int>(r) * p.dil_h;
        const int iw = row.iw0 + static_cast<int>(s) * p.dil_w;
        const bool valid = k < p.gemm_k && static_cast<unsigned>(ih) < static_cast<unsigned>(p.h) &&
                           static_cast<unsigned>(iw) < static_cast<unsigned>(p.w_in);
        a_next[j] = valid ? LoadElement<kType>(p.x, row.x_image + c * p.x_stride_c + ih * p.x_stride_h +
                                                        iw * p.x_stride_w)
                          : 0.f;
      }
#pragma unroll
      for (int j = 0; j < kB; ++j) {
        const int e = tid + j * kThreads;
        const int n = n0 + e % kBlockN, k = k0 + e / kBlockN;
        const bool valid = n < p.k && k < p.gemm_k;
        b_next[j] = valid ? LoadElement<kType>(p.w, static_cast<int64_t>(n) * p.gemm_k + k) : 0.f;
      }
    };
    auto store = [&](int stage) {
#pragma unroll
      for (int j = 0; j < kA; ++j) {
        const int e = tid + j * kThreads;
        a_smem[(stage * kBlockK + e / kBlockM) * kBlockM + e % kBlockM] = a_next[j];
      }
#pragma unroll
      for (int j = 0; j < kB; ++j) {
        const int e = tid + j * kThreads;
        b_smem[(stage * kBlockK + e / kBlockN) * kBlockN + e % kBlockN] = b_next[j];
      }
    };

    float acc[kThreadM][kThreadN];
#pragma unroll
    for (int i = 0; i < kThreadM; ++i)
#pragma unroll
      for (int j = 0; j < kThreadN; ++j) acc[i][j] = 0.f;

    const int k_tiles = (p.gemm_k + kBlockK - 1) / kBlockK;
    gather(0);
    store(0);
    __syncthreads();
    for (int kt = 0; kt < k_tiles; ++kt) {
      const bool more = kt + 1 < k_tiles;
      if (more) gather((kt + 1) * kBlockK);  // in flight during this slice's math
      const float* a_stage = a_smem + (kt & 1) * kBlockK * kBlockM + tm * kThreadM;
      const float* b_stage = b_smem + (kt & 1) * kBlockK * kBlockN + tn * kThreadN;
#pragma unroll
      for (int kk = 0; kk < kBlockK; ++kk) {
        float a[kThreadM], b[kThreadN];
#pragma unroll
        for (int i = 0; i < kThreadM; i += 4) {
          const float4 v = *reinterpret_cast<const float4*>(a_stage + kk * kBlockM + i);
          a[i] = v.x, a[i + 1] = v.y, a[i + 2] = v.z, a[i + 3] = v.w;
        }
#pragma unroll
        for (int j = 0; j < kThreadN; j += 2) {
          const float2 v = *reinterpret_cast<const float2*>(b_stage + kk * kBlockN + j);
          b[j] = v.x, b[j + 1] = v.y;
        }
#pragma unroll
        for (int i = 0; i < kThreadM; ++i)
#pragma unroll
          for (int j = 0; j < kThreadN; ++j) acc[i][j] = __fmaf_rn(a[i], b[j], acc[i][j]);
      }
      if (more) store((kt + 1) & 1);  // the other stage: every thread finished reading it before the
                                      // previous barrier
      __syncthreads();
    }

    // Epilogue: each thread writes its pixels x channels straight from registers (NCHW: runs of thread_m
    // pixels per channel; NHWC: runs of thread_n channels per pixel), bias and optional ReLU, then rounded
    // to the element type once.
#pragma unroll
    for (int i = 0; i < kThreadM; ++i) {
      const int m = m0 + tm * kThreadM + i;
      if (m >= p.gemm_m) continue;
      uint32_t image, pq, oh, ow;
      p.div_pq.DivMod(static_cast<uint32_t>(m), image, pq);
      p.div_q.DivMod(pq, oh, ow);
      const int64_t pixel = static_cast<int64_t>(image) * p.y_stride_n + static_cast<int64_t>(oh) * p.y_stride_p +
                            static_cast<int64_t>(ow) * p.y_stride_q;
#pragma unroll
      for (int j = 0; j < kThreadN; ++j) {
        const int n = n0 + tn * kThreadN + j;
        if (n >= p.k) continue;
        float v = acc[i][j];
        if (p.bias != nullptr) v += p.bias[n];
        if (p.relu && v < 0.f) v = 0.f;  // NaN stays NaN, as in PyTorch
        StoreElement<kType>(p.y, pixel + n * p.y_stride_k, v);
      }
    }
  }
};

}  // namespace implicit_gemm_ffma_kernel
}  // namespace kconv

// Three stable extern "C" entry points per config (a constexpr implicit_gemm_ffma::Config), one per
// element type: fp32, then _f16 and _bf16 (the planner's KernelSuffixes, in kconv_element_type order).
#define KCONV_IMPLICIT_GEMM_FFMA_ONE(NAME, CONFIG, TYPE)                                                         \
  extern "C" __global__ void __launch_bounds__(kconv::implicit_gemm_ffma::MakeTileLayout(CONFIG).threads,     \
                                              kconv::implicit_gemm_ffma::MakeTileLayout(CONFIG).min_blocks) \
      NAME(const kconv::implicit_gemm_ffma::FfmaParams params) {                                               \
    kconv::implicit_gemm_ffma_kernel::Kernel<CONFIG.block_m, CONFIG.block_n, CONFIG.block_k, CONFIG.thread_m, \
                                             CONFIG.thread_n, TYPE>::Run(params);                              \
  }
#define KCONV_IMPLICIT_GEMM_FFMA_KERNELS(NAME, CONFIG)   \
  KCONV_IMPLICIT_GEMM_FFMA_ONE(NAME, CONFIG, 0)          \
  KCONV_IMPLICIT_GEMM_FFMA_ONE(NAME##_f16, CONFIG, 1)    \
  KCONV_IMPLICIT_GEMM_FFMA_ONE(NAME##_bf16, CONFIG, 2)
