// Stem convolutions on Hopper (sm_90a) as a GEMM over gathered patches (traits.h): one block per tile of
// BlockPixels consecutive output pixels (NCHW order, across rows and images) and one group of
// BlockChannels output channels, warp-specialised, with warpgroup MMAs.
//
//  - Two producer warpgroups take turns on the pipeline's stages: each gathers every second stage's A
//    tile, its chunks x its pixels, from global memory into shared memory with asynchronous copies, then
//    rounds it to TF32 in place (wgmma would truncate), and its thread 0 bulk-copies the stage's packed
//    weights. A group issues its next stage's copies before it finishes (waits for, rounds) its previous
//    one, so that four stages' gathers are in flight per block: the gather is latency-bound. A lane owns
//    one chunk of each group of four and pixels lane/4 + 8 * warp + 32 i: the four chunks of one kernel
//    row of a 16x16 patch are 64 contiguous bytes of input, and a warp's loads cover 8 such patches.
//    Outside the image, and past the kernel's columns, the gather writes zeros.
//  - Each consumer warpgroup owns mt m64 pieces of the tile and issues wgmma with both operands in shared
//    memory: the A tile is [chunk][pixel] in 16-byte pieces, so that eight consecutive pixels of one chunk
//    are a 128-byte core matrix (SBO 128) and a k8 step's two chunks are ChunkPitch pieces apart (LBO).
//  - The epilogue writes the accumulators straight to NCHW: for one channel, the eight pixels of a store
//    are 32 contiguous bytes, a whole sector, unless the tile crosses an image there.
#pragma once

#include <stdint.h>

#include "families/im2col_wgmma_tf32/traits.h"
#include "families/stem_common/stem_tile.cuh"
#include "ptx/async_copy_instructions.cuh"
#include "ptx/ptx_instructions.cuh"
#include "ptx/wgmma_instructions.cuh"

namespace kconv {

// The kernel's code lives in namespace im2col_wgmma, whose name the images' shared-memory symbols carry.
namespace im2col_wgmma {

using namespace ::kconv::ptx;
using namespace ::kconv::im2col_wgmma_tf32;

// One chunk of the reduction as the gather reads it: offset c * H * W + r * W + s0 from a pixel's window,
// kernel row r and first kernel column s0 = 4j; a padding chunk has s0 = kNoColumn, past every kernel.
struct alignas(16) Chunk {
  int32_t offset, r, s0, unused;
};
inline constexpr int32_t kNoColumn = 1 << 20;

template <int kMt, int kNt, int kWarps, int kKsteps, int kStages>
struct Kernel {
  static constexpr Config C = MakeConfig(kMt, kNt, kWarps, kKsteps, kStages);
  static constexpr int kPixels = BlockPixels(C);
  static constexpr int kChannels = BlockChannels(C);
  static constexpr int kPitch = ChunkPitch(C);  // 16-byte pieces between chunks of an A tile
  static constexpr int kStageChunks = 2 * kKsteps;
  static constexpr int kConsumers = 32 * kWarps;
  static constexpr int kPixelsPerLane = kPixels / 32;     // a producer lane's pixels: lane/4 + 8 warp + 32 i
  static constexpr int kChunksPerLane = kStageChunks / 4;  // and its chunks of a stage: lane % 4 + 4 i
  static constexpr uint32_t kAStage = static_cast<uint32_t>(AStageBytes(C));
  static constexpr uint32_t kBStage = static_cast<uint32_t>(BStageBytes(C));
  static constexpr uint32_t kStageBytes = kAStage + kBStage;
  static constexpr uint64_t kDescriptorHigh = uint64_t{128 >> 4} << 32;  // SBO: 8-row groups 128 bytes apart
  static_assert(kWarps % 4 == 0, "whole consumer warpgroups");
  static_assert(kKsteps % 2 == 0, "a producer lane owns one chunk of every four");
  static_assert(kStages >= 4, "a producer group holds a stage while it waits for the slot of its next");
  static_assert(kNt == 24 || kNt == 16 || kNt == 12 || kNt == 8 || kNt == 4, "wgmma n192, n128, n96, n64 or n32");

  static __device__ __forceinline__ void Mma(float (&d)[kNt * 4], uint64_t a_desc, uint64_t b_desc) {
    if constexpr (kNt == 24) {
      WgmmaM64N192K8Tf32(d, a_desc, b_desc);
    } else if constexpr (kNt == 16) {
      WgmmaM64N128K8Tf32(d, a_desc, b_desc);
    } else if constexpr (kNt == 12) {
      WgmmaM64N96K8Tf32(d, a_desc, b_desc);
    } else if constexpr (kNt == 8) {
      WgmmaM64N64K8Tf32(d, a_desc, b_desc);
    } else {
      WgmmaM64N32K8Tf32(d, a_desc, b_desc);
    }
  }

  // Where one of a producer lane's pixels reads: its image's first float, and the input row and column of
  // its window's top-left tap (a pixel past the last one gets a row no chunk reaches).
  struct PixelWindow {
    int64_t image_offset;
    int32_t ih0, iw0;
  };

  static __device__ __forceinline__ PixelWindow WindowOf(const Im2colParams& p, int pixel) {
    PixelWindow w{0, -(1 << 30), 0};
    if (pixel < p.pixels) {
      uint32_t image, pq, row, column;
      p.div_pq.DivMod(static_cast<uint32_t>(pixel), image, pq);
      p.div_q.DivMod(pq, row, column);
      w.image_offset = static_cast<int64_t>(image) * p.c * p.h * p.w;
      w.ih0 = static_cast<int32_t>(row) * p.stride_h - p.pad_h;
      w.iw0 = static_cast<int32_t>(column) * p.stride_w - p.pad_w;
    }
    return w;
  }

  // Issues the asynchronous copies of the 4 floats of `chunk` for the pixel at `window` into the 16 bytes at
  // `dst`, kWidth floats per copy, zeros outside the image and past the kernel's columns. kWidth = 4 or 2
  // only where a copy is then wholly inside or outside the image (LoadWidth); a pair whose second float is
  // past the kernel (odd S) copies its first only: the weight there is zero, but an infinite input would
  // still make a NaN.
  template <int kWidth>
  static __device__ __forceinline__ void IssueGather(const Im2colParams& p, const PixelWindow& window,
                                                     const Chunk& chunk, uint32_t dst) {
    const int ih = window.ih0 + chunk.r, iw = window.iw0 + chunk.s0;
    const bool row_inside = static_cast<unsigned>(ih) < static_cast<unsigned>(p.h);
    const float* src = p.x + window.image_offset + chunk.offset + (static_cast<int64_t>(window.ih0) * p.w + window.iw0);
    if constexpr (kWidth == 4) {
      const bool inside = row_inside && static_cast<unsigned>(iw) < static_cast<unsigned>(p.w) && chunk.s0 < p.s;
      CopyAsync16Partial(dst, inside ? src : p.x, inside ? 16 : 0);
    } else if constexpr (kWidth == 2) {
#pragma unroll
      for (int e = 0; e < 4; e += 2) {
        const bool inside = row_inside && static_cast<unsigned>(iw + e) < static_cast<unsigned>(p.w) && chunk.s0 + e < p.s;
        const uint32_t bytes = inside ? (chunk.s0 + e + 1 < p.s ? 8 : 4) : 0;
        CopyAsync8Partial(dst + 4 * e, inside ? src + e : p.x, bytes);
      }
    } else {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const bool inside = row_inside && static_cast<unsigned>(iw + e) < static_cast<unsigned>(p.w) && chunk.s0 + e < p.s;
        CopyAsync4(dst + 4 * e, inside ? src + e : p.x, inside);
      }
    }
  }

  // A producer lane's pieces of a stage's A tile: chunk lane % 4 + 4 ci, pixel t / 4 + 32 i.
  static __device__ __forceinline__ int PieceOf(int t, int ci, int i) { return (t % 4 + 4 * ci) * kPitch + t / 4 + 32 * i; }

  // Issues (and commits as one group) the copies of this lane's pieces of stage `stage` into A tile `a`.
  template <int kWidth>
  static __device__ __forceinline__ void IssueStage(const Im2colParams& p, const Chunk* chunks,
                                                    const PixelWindow (&windows)[kPixelsPerLane], int stage,
                                                    uint32_t a, int t) {
#pragma unroll
    for (int ci = 0; ci < kChunksPerLane; ++ci) {
      const Chunk chunk = chunks[stage * kStageChunks + t % 4 + 4 * ci];
#pragma unroll
      for (int i = 0; i < kPixelsPerLane; ++i) IssueGather<kWidth>(p, windows[i], chunk, a + 16 * PieceOf(t, ci, i));
    }
    CommitGroup();
  }

  // Rounds this lane's pieces of a landed A tile to TF32 in place (wgmma would truncate): all loads, then
  // all stores. Each lane reads only what its own copies wrote, so its wait for them is all it needs.
  static __device__ __forceinline__ void RoundStage(float4* a, int t) {
    float4 v[kChunksPerLane][kPixelsPerLane];
#pragma unroll
    for (int ci = 0; ci < kChunksPerLane; ++ci)
#pragma unroll
      for (int i = 0; i < kPixelsPerLane; ++i) v[ci][i] = a[PieceOf(t, ci, i)];
#pragma unroll
    for (int ci = 0; ci < kChunksPerLane; ++ci)
#pragma unroll
      for (int i = 0; i < kPixelsPerLane; ++i) {
        float4 g = v[ci][i];
        g.x = __uint_as_float(ToTf32(g.x));
        g.y = __uint_as_float(ToTf32(g.y));
        g.z = __uint_as_float(ToTf32(g.z));
        g.w = __uint_as_float(ToTf32(g.w));
        a[PieceOf(t, ci, i)] = g;
      }
  }

  // Producer group `group` (0 or 1) fills stages group, group + 2, ...: waits for the slot to be free,
  // bulk-copies the weights (thread 0) and issues the gather's copies; then finishes its previous stage
  // (waits for its copies, rounds them, arrives on its full barrier), so that two of its stages' copies
  // are in flight at once, four per block.
  static __device__ __forceinline__ void Produce(const Im2colParams& p, unsigned char* smem, const Chunk* chunks,
                                                 uint32_t full, uint32_t empty, int pixel0, int channel_group) {
    const int thread = threadIdx.x - kConsumers, group = thread / kProducerThreads, t = thread % kProducerThreads;
    PixelWindow windows[kPixelsPerLane];
#pragma unroll
    for (int i = 0; i < kPixelsPerLane; ++i) windows[i] = WindowOf(p, pixel0 + t / 4 + 32 * i);
    const int stages = p.steps / kKsteps;
    const unsigned char* w = reinterpret_cast<const unsigned char*>(p.w_packed) +
                             static_cast<int64_t>(channel_group) * p.steps * kChannels * 32;
    auto finish = [&](int s) {
      const uint32_t slot = s % kStages;
      RoundStage(reinterpret_cast<float4*>(smem + slot * kStageBytes), t);
      FenceProxyAsyncShared();  // wgmma reads the rounded A through the async proxy
      MbarrierArrive(full + 8 * slot);
    };
    int previous = -1;
    for (int s = group; s < stages; s += kProducerGroups) {
      const uint32_t slot = s % kStages;
      if (s >= kStages) MbarrierWait(empty + 8 * slot, (s / kStages - 1) & 1);
      unsigned char* stage = smem + slot * kStageBytes;
      if (t == 0) {
        MbarrierArriveExpectTx(full + 8 * slot, kBStage);
        BulkCopyToShared(SharedAddress(stage + kAStage), w + static_cast<int64_t>(s) * kBStage, kBStage, full + 8 * slot);
      }
      const uint32_t a = SharedAddress(stage);
      if (p.load_width == 4) {
        IssueStage<4>(p, chunks, windows, s, a, t);
      } else if (p.load_width == 2) {
        IssueStage<2>(p, chunks, windows, s, a, t);
      } else {
        IssueStage<1>(p, chunks, windows, s, a, t);
      }
      if (previous >= 0) {
        WaitGroupThenRead<1>();
        finish(previous);
      }
      previous = s;
    }
    if (previous >= 0) {
      WaitGroupThenRead<0>();
      finish(previous);
    }
  }

  static __device__ __forceinline__ void Consume(const Im2colParams& p, unsigned char* smem, uint32_t full,
                                                 uint32_t empty, int pixel0, int channel_group) {
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int stages = p.steps / kKsteps;
    float acc[kMt][kNt * 4];
#pragma unroll
    for (int mi = 0; mi < kMt; ++mi)
#pragma unroll
      for (int i = 0; i < kNt * 4; ++i) {
        acc[mi][i] = 0.f;
        FenceOperand(acc[mi][i]);  // the zeros are set before the first wgmma: else ptxas serialises them (C7515)
      }
    const uint32_t smem_base = SharedAddress(smem);
    // Descriptor low words: start (16-byte units) and LBO (the distance between a step's two chunks).
    constexpr uint32_t kALbo = uint32_t{kPitch} << 16, kBLbo = uint32_t{kChannels * 16 >> 4} << 16;
    for (int s = 0; s < stages; ++s) {
      const uint32_t slot = s % kStages;
      MbarrierWait(full + 8 * slot, (s / kStages) & 1);
      const uint32_t a = smem_base + slot * kStageBytes, b = a + kAStage;
      WgmmaFence();
#pragma unroll
      for (int ks = 0; ks < kKsteps; ++ks) {
        const uint64_t b_desc = kDescriptorHigh | (((b + ks * kChannels * 32) >> 4) | kBLbo);
#pragma unroll
        for (int mi = 0; mi < kMt; ++mi) {
          const uint32_t piece = ((warp / 4) * kMt + mi) * 64;
          const uint64_t a_desc = kDescriptorHigh | (((a + (2 * ks * kPitch + piece) * 16) >> 4) | kALbo);
          Mma(acc[mi], a_desc, b_desc);
        }
      }
      WgmmaCommitGroup();
      if (s > 0) {  // the previous stage's group has retired: free its slot
        WgmmaWaitGroup<1>();
        MbarrierArrive(empty + 8 * ((s - 1) % kStages));
      }
    }
    WgmmaWaitGroup<0>();
#pragma unroll
    for (int mi = 0; mi < kMt; ++mi)
#pragma unroll
      for (int i = 0; i < kNt * 4; ++i) FenceOperand(acc[mi][i]);

    // Accumulator 4 ni + v of piece mi: pixel 16 (warp % 4) + lane / 4 (+ 8 for v >= 2) of the piece,
    // channel 8 ni + 2 (lane % 4) + v % 2 of the group.
    const int channel0 = channel_group * kChannels + 2 * (lane % 4);
#pragma unroll
    for (int mi = 0; mi < kMt; ++mi) {
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int pixel = pixel0 + ((warp / 4) * kMt + mi) * 64 + 16 * (warp % 4) + lane / 4 + 8 * half;
        if (pixel >= p.pixels) continue;
        uint32_t image, pq;
        p.div_pq.DivMod(static_cast<uint32_t>(pixel), image, pq);
        float* y = p.y + static_cast<int64_t>(image) * p.k * p.pq + pq;
#pragma unroll
        for (int ni = 0; ni < kNt; ++ni) {
#pragma unroll
          for (int v = 0; v < 2; ++v) {
            const int channel = channel0 + 8 * ni + v;
            if (channel >= p.k) continue;
            float out = acc[mi][4 * ni + 2 * half + v];
            if (p.bias != nullptr) out += __ldg(p.bias + channel);
            if (p.relu) out = fmaxf(out, 0.f);
            y[static_cast<int64_t>(channel) * p.pq] = out;
          }
        }
      }
    }
  }

  static __device__ __forceinline__ void Run(const Im2colParams& p) {
    extern __shared__ __align__(128) unsigned char smem[];
    const Im2colSmem layout = MakeIm2colSmem(C, p.steps * 2);
    Chunk* chunks = reinterpret_cast<Chunk*>(smem + layout.chunk_table);
    const uint32_t full = SharedAddress(smem + layout.barriers), empty = full + 8 * kStages;
    const int channel_group = static_cast<int>(blockIdx.x % static_cast<uint32_t>(p.channel_groups));
    const int pixel0 = static_cast<int>(blockIdx.x / static_cast<uint32_t>(p.channel_groups)) * kPixels;
    if (threadIdx.x == 0) {
      for (int s = 0; s < kStages; ++s) {
        MbarrierInit(full + 8 * s, kProducerThreads + 1);  // the group's threads, and thread 0's expect_tx
        MbarrierInit(empty + 8 * s, kConsumers);
      }
      FenceMbarrierInit();
    }
    // The chunk table, K order c, then r, then j (the packed weights' order).
    for (int i = threadIdx.x; i < 2 * p.steps; i += blockDim.x) {
      Chunk chunk{0, 0, kNoColumn, 0};
      if (i < p.real_chunks) {
        const int j = i % p.j, r = i / p.j % p.r, c = i / (p.j * p.r);
        chunk = Chunk{c * p.h * p.w + r * p.w + 4 * j, r, 4 * j, 0};
      }
      chunks[i] = chunk;
    }
    __syncthreads();  // the barriers and the chunk table
    if (threadIdx.x >= kConsumers) {
      Produce(p, smem, chunks, full, empty, pixel0, channel_group);
    } else {
      Consume(p, smem, full, empty, pixel0, channel_group);
    }
  }
};

}  // namespace im2col_wgmma
}  // namespace kconv

// Two stable extern "C" entry points per config (a constexpr im2col_wgmma_tf32::Config): the convolution
// and its weight packer.
#define KCONV_IM2COL_WGMMA_TF32_KERNELS(NAME, CONFIG)                                                   \
  extern "C" __global__ void __launch_bounds__(kconv::im2col_wgmma_tf32::Threads(CONFIG), 1)            \
      NAME(const __grid_constant__ kconv::im2col_wgmma_tf32::Im2colParams params) {                     \
    kconv::im2col_wgmma::Kernel<CONFIG.mt, CONFIG.nt, CONFIG.warps, CONFIG.ksteps, CONFIG.stages>::Run( \
        params);                                                                                        \
  }                                                                                                     \
  extern "C" __global__ void NAME##_pack_weights(const kconv::StemPackParams params) {                 \
    kconv::stem::PackWeights(params, [&](int step, int n, int e) {                                     \
      return kconv::im2col_wgmma_tf32::PackedWeightOffset<CONFIG.nt * 8>(params.steps, step, n, e);     \
    });                                                                                                 \
  }
