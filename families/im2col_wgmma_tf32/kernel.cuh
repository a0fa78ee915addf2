// SPDX-License-Identifier: Apache-2.0
// Stem convolutions on Hopper (sm_90a) as a GEMM over gathered patches (traits.h): one block per tile of
// BlockPixels consecutive output pixels (NCHW order, across rows and images) and one group of
// BlockChannels output channels, warp-specialised, with warpgroup MMAs.
//
//  - Two producer warpgroups take turns on the pipeline's stages: each gathers every second stage's A
//    tile, its chunks x its pixels (gather.h), from global memory into shared memory, rounding fp32 to TF32
//    on the way (wgmma would truncate; fp16 and bf16 values widen to TF32 exactly), and its thread 0
//    bulk-copies the stage's packed weights. Each group issues a stage's loads before it stores the one
//    before, so that up to four stages of loads are in flight. (Copies through cp.async, two stages in
//    flight per group and a rounding pass in place, were 10-28% slower: NOTES v12.) A lane owns one chunk
//    of each group of four and pixels lane/4 + 8 * warp + 32 i: the four chunks of one kernel row of a
//    16x16 patch are 64 contiguous bytes of input, and a warp's loads cover 8 such patches. Outside the
//    image, and past the kernel's columns, the gather writes zeros.
//  - Each consumer warpgroup owns mt m64 pieces of the tile and issues wgmma with both operands in shared
//    memory: the A tile is [chunk][pixel] in 16-byte pieces, so that eight consecutive pixels of one chunk
//    are a 128-byte core matrix (SBO 128) and a k8 step's two chunks are ChunkPitch pieces apart (LBO).
//  - The epilogue writes the accumulators straight to y, rounded to its type: in NCHW, for one channel,
//    the eight pixels of an fp32 store are 32 contiguous bytes, a whole sector, unless the tile crosses an
//    image there; in NHWC a lane's two channels of a pixel are adjacent.
#pragma once

#include <stdint.h>

#include <type_traits>

#include "families/im2col_wgmma_tf32/gather.h"
#include "families/im2col_wgmma_tf32/traits.h"
#include "families/stem_common/stem_tile.cuh"
#include "ptx/async_copy_instructions.cuh"
#include "ptx/element_types.cuh"
#include "ptx/ptx_instructions.cuh"
#include "ptx/wgmma_instructions.cuh"

namespace kconv {

// The kernel's code lives in namespace im2col_wgmma, whose name the images' shared-memory symbols carry.
namespace im2col_wgmma {

using namespace ::kconv::ptx;
using namespace ::kconv::im2col_wgmma_tf32;

// kType: the tensors' element type (0 fp32, 1 fp16, 2 bf16); kNhwc: x and y channels-last. kSplit (fp32
// only): 3xTF32. The gather stores each chunk's TF32 values and, an A tile on, their TF32 remainders; each
// weight step image is followed by its remainders' image; a step is three wgmmas, the values' product into
// one accumulator set and both cross products into another, so that the cross products do not lengthen the
// chain of truncating fp32 sums that bounds the error (as the stem family's split configs do).
// kFfma (fp32 only): strict FP32, the gathered chunks and the weights unrounded, multiplied with FFMA by the
// consumer threads from shared memory (ConsumeFfma).
template <int kMt, int kNt, int kWarps, int kKsteps, int kStages, int kType, bool kNhwc, bool kSplit = false,
          bool kFfma = false>
struct Kernel {
  static constexpr Config C = MakeConfig(kMt, kNt, kWarps, kKsteps, kStages, 0, kSplit ? 1 : 0, kFfma ? 1 : 0);
  static_assert(!kSplit || kType == 0, "3xTF32 splits fp32 operands; 16-bit ones are exact in TF32");
  static_assert(!kFfma || (kType == 0 && !kSplit), "strict FP32 takes fp32 operands as they are");
  static constexpr int kAccSets = kSplit ? 2 : 1;
  // A chunk's four elements as loaded, widened only once a stage's loads are all issued.
  using RawChunk = typename std::conditional<kType == 0, float4, uint2>::type;
  static constexpr int kPixels = BlockPixels(C);
  static constexpr int kChannels = BlockChannels(C);
  static constexpr int kPitch = ChunkPitch(C);  // 16-byte pieces between chunks of an A tile
  static constexpr int kStageChunks = 2 * kKsteps;
  static constexpr int kConsumers = 32 * kWarps;
  static constexpr int kPixelsPerLane = kPixels / 32;     // a producer lane's pixels: lane/4 + 8 warp + 32 i
  static constexpr int kChunksPerLane = kStageChunks / 4;  // and its chunks of a stage: lane % 4 + 4 i
  static constexpr uint32_t kATile = static_cast<uint32_t>(ATileBytes(C));  // the remainders' tile is this far on
  static constexpr uint32_t kAStage = static_cast<uint32_t>(AStageBytes(C));
  static constexpr uint32_t kBImage = static_cast<uint32_t>(WeightImageBytes(C));
  static constexpr uint32_t kBStep = kBImage * (kSplit ? 2 : 1);  // a step's images: values (and remainders)
  static constexpr uint32_t kBStage = static_cast<uint32_t>(BStageBytes(C));
  static constexpr uint32_t kStageBytes = kAStage + kBStage;
  static constexpr uint64_t kDescriptorHigh = uint64_t{128 >> 4} << 32;  // SBO: 8-row groups 128 bytes apart
  static_assert(kWarps % 4 == 0, "whole consumer warpgroups");
  static_assert(kKsteps % 2 == 0, "a producer lane owns one chunk of every four");
  static_assert(kStages >= 2, "the pipeline needs two stages");
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

  static __device__ __forceinline__ PixelWindow WindowOf(const Im2colParams& p, int pixel) {
    if (pixel >= p.pixels) return PixelWindow{0, -(1 << 30), 0};
    uint32_t image, pq, row, column;
    p.div_pq.DivMod(static_cast<uint32_t>(pixel), image, pq);
    p.div_q.DivMod(pq, row, column);
    return MakePixelWindow(p, image, static_cast<int32_t>(row), static_cast<int32_t>(column));
  }

  // The 4 elements of `chunk` for the pixel at `window` (gather.h), kWidth per load, zero outside the image and
  // past the kernel row. kWidth = 4 or 2 only where a load is then wholly inside or outside (LoadWidth).
  // 16-bit elements stay raw: two to a 32-bit word, the first in the low half. Addresses are the chunk's
  // first element plus a constant, which the loads take as an immediate offset.
  template <int kWidth>
  static __device__ __forceinline__ RawChunk Gather(const Im2colParams& p, const PixelWindow& window,
                                                    const Chunk& chunk) {
    const int64_t index = ChunkIndex(window, chunk);
    const bool first_inside = ChunkElementInside(p, window, chunk, 0);
    if constexpr (kType == 0) {
      const float* src = p.x + index;
      float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
      if constexpr (kWidth == 4) {
        if (first_inside) v = __ldg(reinterpret_cast<const float4*>(src));
      } else if constexpr (kWidth == 2) {
        float2 lo = make_float2(0.f, 0.f), hi = make_float2(0.f, 0.f);
        if (first_inside) lo = __ldg(reinterpret_cast<const float2*>(src));
        if (ChunkElementInside(p, window, chunk, 2)) hi = __ldg(reinterpret_cast<const float2*>(src + 2));
        // A pair's second element may be past the kernel row (odd S): its weight is zero, but an infinite
        // input there would still make a NaN.
        v = make_float4(lo.x, chunk.first + 1 < p.row_taps ? lo.y : 0.f, hi.x, chunk.first + 3 < p.row_taps ? hi.y : 0.f);
      } else {
        float e[4];
#pragma unroll
        for (int i = 0; i < 4; ++i) e[i] = ChunkElementInside(p, window, chunk, i) ? __ldg(src + i) : 0.f;
        v = make_float4(e[0], e[1], e[2], e[3]);
      }
      return v;
    } else {
      const uint16_t* src = reinterpret_cast<const uint16_t*>(p.x) + index;
      uint2 v = make_uint2(0u, 0u);
      if constexpr (kWidth == 4) {
        if (first_inside) v = __ldg(reinterpret_cast<const uint2*>(src));
      } else if constexpr (kWidth == 2) {
        if (first_inside) v.x = __ldg(reinterpret_cast<const uint32_t*>(src));
        if (ChunkElementInside(p, window, chunk, 2)) v.y = __ldg(reinterpret_cast<const uint32_t*>(src + 2));
        if (chunk.first + 1 >= p.row_taps) v.x &= 0xffffu;  // past the kernel row (odd S): zero, as above
        if (chunk.first + 3 >= p.row_taps) v.y &= 0xffffu;
      } else {
        uint32_t e[4];
#pragma unroll
        for (int i = 0; i < 4; ++i) e[i] = ChunkElementInside(p, window, chunk, i) ? __ldg(src + i) : 0u;
        v = make_uint2(e[0] | e[1] << 16, e[2] | e[3] << 16);
      }
      return v;
    }
  }

  // max(v, 0) with NaN kept NaN, as in PyTorch (fmaxf would make it 0), in one instruction.
  static __device__ __forceinline__ float ReluKeepingNaN(float v) {
    float r;
    asm("max.NaN.f32 %0, %1, 0f00000000;\n" : "=f"(r) : "f"(v));
    return r;
  }

  // A gathered chunk as wgmma reads it: fp32 rounded to TF32 (nearest, ties away), 16-bit values widened
  // (exact, and already TF32).
  static __device__ __forceinline__ float4 ToOperand(const RawChunk& raw) {
    if constexpr (kFfma) {
      return raw;
    } else if constexpr (kType == 0) {
      return make_float4(__uint_as_float(ToTf32(raw.x)), __uint_as_float(ToTf32(raw.y)),
                         __uint_as_float(ToTf32(raw.z)), __uint_as_float(ToTf32(raw.w)));
    } else {
      const float2 low = WidenPair<kType>(raw.x), high = WidenPair<kType>(raw.y);
      return make_float4(low.x, low.y, high.x, high.y);
    }
  }

  // What 3xTF32 adds to a chunk's TF32 values: the TF32 remainders, zero past a non-finite value (its products
  // keep IEEE's Inf or NaN, not Inf - Inf).
  static __device__ __forceinline__ float Remainder(float raw, float big) {
    return __uint_as_float(Tf32Remainder(raw, big));
  }
  static __device__ __forceinline__ float4 Remainders(const float4& raw, const float4& big) {
    return make_float4(Remainder(raw.x, big.x), Remainder(raw.y, big.y), Remainder(raw.z, big.z),
                       Remainder(raw.w, big.w));
  }

  // A producer lane's raw chunks of one stage: chunk t % 4 + 4 ci, pixel t / 4 + 32 i.
  using StageChunks = RawChunk[kChunksPerLane][kPixelsPerLane];

  // Issues the loads of stage `stage`'s chunks into v (used only once they land: StoreStage).
  template <int kWidth>
  static __device__ __forceinline__ void LoadStage(const Im2colParams& p, const Chunk* chunks,
                                                   const PixelWindow (&windows)[kPixelsPerLane], int stage,
                                                   StageChunks& v, int t) {
#pragma unroll
    for (int ci = 0; ci < kChunksPerLane; ++ci) {
      const Chunk chunk = chunks[stage * kStageChunks + t % 4 + 4 * ci];
#pragma unroll
      for (int i = 0; i < kPixelsPerLane; ++i) v[ci][i] = Gather<kWidth>(p, windows[i], chunk);
    }
  }

  // Stores a stage's chunks into A tile `a`, rounded (and with kSplit their remainders into the tile after it).
  static __device__ __forceinline__ void StoreStage(const StageChunks& v, float4* a, int t) {
#pragma unroll
    for (int ci = 0; ci < kChunksPerLane; ++ci)
#pragma unroll
      for (int i = 0; i < kPixelsPerLane; ++i) {
        const int piece = (t % 4 + 4 * ci) * kPitch + t / 4 + 32 * i;
        const float4 big = ToOperand(v[ci][i]);
        a[piece] = big;
        if constexpr (kSplit) a[piece + kATile / 16] = Remainders(v[ci][i], big);
      }
  }

  // Fills slot s % kStages with stage s, whose chunks are in v: waits for the slot to be free, bulk-copies the
  // stage's weights (thread 0), stores A, and arrives on the slot's full barrier.
  static __device__ __forceinline__ void FillStage(unsigned char* smem, const unsigned char* w, uint32_t full,
                                                   uint32_t empty, int s, const StageChunks& v, int t) {
    const uint32_t slot = s % kStages;
    if (s >= kStages) MbarrierWait(empty + 8 * slot, (s / kStages - 1) & 1);
    unsigned char* stage = smem + slot * kStageBytes;
    if (t == 0) {
      MbarrierArriveExpectTx(full + 8 * slot, kBStage);
      BulkCopyToShared(SharedAddress(stage + kAStage), w + static_cast<int64_t>(s) * kBStage, kBStage, full + 8 * slot);
    }
    StoreStage(v, reinterpret_cast<float4*>(stage), t);
    FenceProxyAsyncShared();  // wgmma reads the stored A through the async proxy
    MbarrierArrive(full + 8 * slot);
  }

  // Producer group `group` (0 or 1) fills stages group, group + 2, ...; each stage's loads are issued before the
  // previous one's stores, so that two of its stages' loads are in flight: a group waited on each stage's loads
  // in turn before, and the consumers on the groups (ViT in 3xTF32, ncu: the consumers' waits for a full slot
  // and the producers' for their loads took 40% of the warps' stall samples). Two register sets, named, not
  // indexed (an indexed pair would go to local memory).
  template <int kWidth>
  static __device__ __forceinline__ void ProduceWith(const Im2colParams& p, unsigned char* smem, const Chunk* chunks,
                                                     uint32_t full, uint32_t empty, int pixel0, int channel_group) {
    const int thread = threadIdx.x - kConsumers, group = thread / kProducerThreads, t = thread % kProducerThreads;
    PixelWindow windows[kPixelsPerLane];
#pragma unroll
    for (int i = 0; i < kPixelsPerLane; ++i) windows[i] = WindowOf(p, pixel0 + t / 4 + 32 * i);
    const int stages = p.steps / kKsteps;
    const unsigned char* w = reinterpret_cast<const unsigned char*>(p.w_packed) +
                             static_cast<int64_t>(channel_group) * p.steps * kBStep;
    constexpr int kGroups = kProducerGroups;
    StageChunks even, odd;  // this group's stages s (even turns) and s + kGroups (odd turns)
    if (group < stages) LoadStage<kWidth>(p, chunks, windows, group, even, t);
    for (int s = group; s < stages; s += 2 * kGroups) {
      if (s + kGroups < stages) LoadStage<kWidth>(p, chunks, windows, s + kGroups, odd, t);
      FillStage(smem, w, full, empty, s, even, t);
      if (s + kGroups >= stages) break;
      if (s + 2 * kGroups < stages) LoadStage<kWidth>(p, chunks, windows, s + 2 * kGroups, even, t);
      FillStage(smem, w, full, empty, s + kGroups, odd, t);
    }
  }

  static __device__ __forceinline__ void Produce(const Im2colParams& p, unsigned char* smem, const Chunk* chunks,
                                                 uint32_t full, uint32_t empty, int pixel0, int channel_group) {
    if (p.load_width == 4) {
      ProduceWith<4>(p, smem, chunks, full, empty, pixel0, channel_group);
    } else if (p.load_width == 2) {
      ProduceWith<2>(p, smem, chunks, full, empty, pixel0, channel_group);
    } else {
      ProduceWith<1>(p, smem, chunks, full, empty, pixel0, channel_group);
    }
  }

  static __device__ __forceinline__ void Consume(const Im2colParams& p, unsigned char* smem, uint32_t full,
                                                 uint32_t empty, int pixel0, int channel_group) {
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int stages = p.steps / kKsteps;
    float acc[kAccSets][kMt][kNt * 4];  // [1]: kSplit's cross products
#pragma unroll
    for (int set = 0; set < kAccSets; ++set)
#pragma unroll
      for (int mi = 0; mi < kMt; ++mi)
#pragma unroll
        for (int i = 0; i < kNt * 4; ++i) {
          acc[set][mi][i] = 0.f;
          FenceOperand(acc[set][mi][i]);  // the zeros are set before the first wgmma: else ptxas serialises them (C7515)
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
        const uint64_t b_desc = kDescriptorHigh | (((b + ks * kBStep) >> 4) | kBLbo);
#pragma unroll
        for (int mi = 0; mi < kMt; ++mi) {
          const uint32_t piece = ((warp / 4) * kMt + mi) * 64;
          const uint64_t a_desc = kDescriptorHigh | (((a + (2 * ks * kPitch + piece) * 16) >> 4) | kALbo);
          Mma(acc[0][mi], a_desc, b_desc);
          if constexpr (kSplit) {  // the remainders: the weights' image after the values', A's tile after A's
            Mma(acc[kAccSets - 1][mi], a_desc, b_desc + (kBImage >> 4));
            Mma(acc[kAccSets - 1][mi], a_desc + (kATile >> 4), b_desc);
          }
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
      for (int i = 0; i < kNt * 4; ++i) {
#pragma unroll
        for (int set = 0; set < kAccSets; ++set) FenceOperand(acc[set][mi][i]);
        // A cross product of an Inf is Inf or NaN with the remainder's sign: the values' product says it.
        if constexpr (kSplit) acc[0][mi][i] += isfinite(acc[1][mi][i]) ? acc[1][mi][i] : 0.f;
      }

    // Accumulator 4 ni + v of piece mi: pixel 16 (warp % 4) + lane / 4 (+ 8 for v >= 2) of the piece,
    // channel 8 ni + 2 (lane % 4) + v % 2 of the group.
    const int channel0 = channel_group * kChannels + 2 * (lane % 4);
#pragma unroll
    for (int mi = 0; mi < kMt; ++mi) {
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int pixel = pixel0 + ((warp / 4) * kMt + mi) * 64 + 16 * (warp % 4) + lane / 4 + 8 * half;
        if (pixel >= p.pixels) continue;
        // The pixel's channel 0, and the distance between its channels.
        int64_t base;
        int64_t channel_stride;
        if constexpr (kNhwc) {
          base = static_cast<int64_t>(pixel) * p.k;
          channel_stride = 1;
        } else {
          uint32_t image, pq;
          p.div_pq.DivMod(static_cast<uint32_t>(pixel), image, pq);
          base = static_cast<int64_t>(image) * p.k * p.pq + pq;
          channel_stride = p.pq;
        }
#pragma unroll
        for (int ni = 0; ni < kNt; ++ni) {
#pragma unroll
          for (int v = 0; v < 2; ++v) {
            const int channel = channel0 + 8 * ni + v;
            if (channel >= p.k) continue;
            float out = acc[0][mi][4 * ni + 2 * half + v];
            if (p.bias != nullptr) out += __ldg(p.bias + channel);
            if (p.relu) out = ReluKeepingNaN(out);
            StoreElement<kType>(p.y, base + channel * channel_stride, out);
          }
        }
      }
    }
  }

  // Strict FP32: consumer thread t owns pixels t % 16 + 16 i and channels 8 (t / 16) + j (i, j < 8) of the
  // block's 128 x 128. Per chunk it loads its 8 pixels' four taps (16 consecutive pieces across a warp's
  // lanes: no bank conflict) and each channel's four weights (two distinct addresses a warp: broadcast), then
  // takes 8 x 8 x 4 FFMA, in the reduction's order within each output (fmaf: one rounding a tap).
  static __device__ __forceinline__ void ConsumeFfma(const Im2colParams& p, unsigned char* smem, uint32_t full,
                                                     uint32_t empty, int pixel0, int channel_group) {
    static_assert(kConsumers == 256 && kPixels == 128 && kChannels == 128, "16 x 16 threads of 8 x 8 outputs");
    const int pg = threadIdx.x % 16, cg = threadIdx.x / 16;
    const int stages = p.steps / kKsteps;
    float acc[8][8];  // [pixel i][channel j]
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
      for (int j = 0; j < 8; ++j) acc[i][j] = 0.f;
    for (int s = 0; s < stages; ++s) {
      const uint32_t slot = s % kStages;
      MbarrierWait(full + 8 * slot, (s / kStages) & 1);
      const float4* a = reinterpret_cast<const float4*>(smem + slot * kStageBytes);
      const float4* b = reinterpret_cast<const float4*>(smem + slot * kStageBytes + kAStage);
#pragma unroll 1
      for (int chunk = 0; chunk < kStageChunks; ++chunk) {
        float4 x[8];
#pragma unroll
        for (int i = 0; i < 8; ++i) x[i] = a[chunk * kPitch + pg + 16 * i];
        // Step chunk / 2's image, its (chunk % 2) half: kChannels pieces, one a channel.
        const float4* w = b + (chunk / 2) * (kBStep / 16) + (chunk % 2) * kChannels + 8 * cg;
#pragma unroll
        for (int j = 0; j < 8; ++j) {
          const float4 v = w[j];
#pragma unroll
          for (int i = 0; i < 8; ++i) {
            acc[i][j] = fmaf(x[i].x, v.x, acc[i][j]);
            acc[i][j] = fmaf(x[i].y, v.y, acc[i][j]);
            acc[i][j] = fmaf(x[i].z, v.z, acc[i][j]);
            acc[i][j] = fmaf(x[i].w, v.w, acc[i][j]);
          }
        }
      }
      MbarrierArrive(empty + 8 * slot);  // release: this thread's reads of the slot come first
    }
    const int channel0 = channel_group * kChannels + 8 * cg;
    const bool vector_nhwc = kNhwc && p.k % 4 == 0 && reinterpret_cast<uintptr_t>(p.y) % 16 == 0;
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const int pixel = pixel0 + pg + 16 * i;
      if (pixel >= p.pixels) continue;
      float out[8];
#pragma unroll
      for (int j = 0; j < 8; ++j) {
        const int channel = channel0 + j;
        out[j] = acc[i][j];
        if (p.bias != nullptr && channel < p.k) out[j] += __ldg(p.bias + channel);
        if (p.relu) out[j] = ReluKeepingNaN(out[j]);
      }
      if constexpr (kNhwc) {
        float* y = p.y + static_cast<int64_t>(pixel) * p.k + channel0;
        if (vector_nhwc && channel0 + 8 <= p.k) {  // a pixel's 8 channels: two 16-byte stores
          reinterpret_cast<float4*>(y)[0] = make_float4(out[0], out[1], out[2], out[3]);
          reinterpret_cast<float4*>(y)[1] = make_float4(out[4], out[5], out[6], out[7]);
        } else {
#pragma unroll
          for (int j = 0; j < 8; ++j)
            if (channel0 + j < p.k) y[j] = out[j];
        }
      } else {
        uint32_t image, pq;
        p.div_pq.DivMod(static_cast<uint32_t>(pixel), image, pq);
        float* y = p.y + static_cast<int64_t>(image) * p.k * p.pq + pq;
#pragma unroll
        for (int j = 0; j < 8; ++j)
          if (channel0 + j < p.k) y[static_cast<int64_t>(channel0 + j) * p.pq] = out[j];
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
    // The chunk table, in the packed weights' order.
    for (int i = threadIdx.x; i < 2 * p.steps; i += blockDim.x) chunks[i] = ChunkAt(p, i);
    __syncthreads();  // the barriers and the chunk table
    if (threadIdx.x >= kConsumers) {
      Produce(p, smem, chunks, full, empty, pixel0, channel_group);
    } else {
      if constexpr (kFfma) {
        ConsumeFfma(p, smem, full, empty, pixel0, channel_group);
      } else {
        Consume(p, smem, full, empty, pixel0, channel_group);
      }
    }
  }
};

}  // namespace im2col_wgmma
}  // namespace kconv

// The stable extern "C" entry points of a config (a constexpr im2col_wgmma_tf32::Config), per element type
// TYPE (0 fp32, 1 fp16, 2 bf16): the NCHW convolution, the weight packer (which packs NHWC's order too, by its
// parameters) and the NHWC convolution. An io = 0 config's are empty but fp32 NCHW's; a split = 1 (ffma = 1)
// config's are empty but fp32's, NCHW and NHWC, which are its 3xTF32 (strict FP32) kernels and packer.
#define KCONV_IM2COL_WGMMA_BUILT(CONFIG, TYPE, NHWC) \
  (CONFIG.split == 1 || CONFIG.ffma == 1 ? TYPE == 0 : CONFIG.io == 1 || (TYPE == 0 && !NHWC))
#define KCONV_IM2COL_WGMMA_ONE(NAME, CONFIG, TYPE, NHWC)                                                            \
  extern "C" __global__ void __launch_bounds__(kconv::im2col_wgmma_tf32::Threads(CONFIG), 1)                        \
      NAME(const __grid_constant__ kconv::im2col_wgmma_tf32::Im2colParams params) {                                 \
    if constexpr (KCONV_IM2COL_WGMMA_BUILT(CONFIG, TYPE, NHWC)) {                                                   \
      kconv::im2col_wgmma::Kernel<CONFIG.mt, CONFIG.nt, CONFIG.warps, CONFIG.ksteps, CONFIG.stages, TYPE, NHWC,     \
                                  CONFIG.split == 1 && TYPE == 0, CONFIG.ffma == 1 && TYPE == 0>::Run(params);      \
    }                                                                                                               \
  }
#define KCONV_IM2COL_WGMMA_PACKER(NAME, CONFIG, TYPE)                                                         \
  extern "C" __global__ void NAME(const kconv::StemPackParams params) {                                      \
    if constexpr (KCONV_IM2COL_WGMMA_BUILT(CONFIG, TYPE, false)) {                                           \
      constexpr int kImages = CONFIG.split == 1 ? 2 : 1;                                                     \
      auto offset = [&](int step, int n, int e) {                                                            \
        return kconv::im2col_wgmma_tf32::PackedWeightOffset<CONFIG.nt * 8, kImages>(params.steps, step, n, e); \
      };                                                                                                     \
      kconv::stem::PackWeights<CONFIG.split == 1, TYPE, CONFIG.ffma == 0>(                                   \
          params, offset, [&](int step, int n, int e) { return offset(step, n, e) + CONFIG.nt * 8 * 32; });  \
    }                                                                                                        \
  }
#define KCONV_IM2COL_WGMMA_TF32_KERNELS(NAME, CONFIG)            \
  KCONV_IM2COL_WGMMA_ONE(NAME, CONFIG, 0, false)                 \
  KCONV_IM2COL_WGMMA_PACKER(NAME##_pack_weights, CONFIG, 0)      \
  KCONV_IM2COL_WGMMA_ONE(NAME##_nhwc, CONFIG, 0, true)           \
  KCONV_IM2COL_WGMMA_ONE(NAME##_f16, CONFIG, 1, false)           \
  KCONV_IM2COL_WGMMA_PACKER(NAME##_f16_pack_weights, CONFIG, 1)  \
  KCONV_IM2COL_WGMMA_ONE(NAME##_f16_nhwc, CONFIG, 1, true)       \
  KCONV_IM2COL_WGMMA_ONE(NAME##_bf16, CONFIG, 2, false)          \
  KCONV_IM2COL_WGMMA_PACKER(NAME##_bf16_pack_weights, CONFIG, 2) \
  KCONV_IM2COL_WGMMA_ONE(NAME##_bf16_nhwc, CONFIG, 2, true)
