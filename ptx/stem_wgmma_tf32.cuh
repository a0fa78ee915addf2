// Stem convolutions on Hopper (sm_90a): a persistent, warp-specialised kernel with warpgroup MMAs.
//
// One block per SM walks a contiguous range of tiles (tile_pixels consecutive output pixels of one image,
// all 96 channels). The last warpgroup produces; the others are consumer warpgroups:
//  - The producers copy each tile's band (the input rows it touches, all channels, in the stride-4
//    chunk layout of stem_params.h) into one of two band buffers with cp.async, zero-filling outside the
//    image. The tensor-copy engine does it in one instruction when the left padding is a multiple of 4:
//    a box's innermost start must be 16-byte aligned, and the chunk layout starts at column -pad_w. A
//    fourth producer warp streams the packed weights through `wstages` slots of `wsteps` k8 steps with
//    bulk copies. Everything completes on mbarriers, and the producers run ahead: the next tile's band
//    and first weight stages land while this tile computes.
//  - Each consumer warpgroup owns mt m64 tiles of the tile's pixels and issues `wgmma m64n96k8` with A
//    from registers (one ldmatrix.x4 per warp per m64 tile and k8 step: eight pixels of one chunk are
//    128 contiguous bytes) and B from the weight slot. A warpgroup retires its wgmma group before
//    loading the next stage's A registers: loading them under a group in flight makes ptxas serialise
//    every wgmma (C7513); the other warpgroups keep the tensor cores busy meanwhile.
//  - The epilogue stages the accumulators over the finished band, as [channel][pixel], and writes each
//    channel as a run of tile_pixels consecutive NCHW floats (stem_tile.cuh), then frees the band.
#pragma once

#include <stdint.h>

#include "async_copy_instructions.cuh"
#include "stem_tile.cuh"
#include "wgmma_instructions.cuh"

namespace kconv {

// Byte offset, within one packed k8 step of 96 channels, of weight float e (0..7) of channel n: the two
// K halves (chunks) are 1536 bytes apart, channels 16 bytes apart, so each group of 8 channels of one
// half is a 128-byte core matrix (LBO 1536, SBO 128).
KCONV_HOST_DEVICE int WgmmaWeightOffset(int n, int e) { return (e / 4) * 96 * 16 + n * 16 + (e % 4) * 4; }

namespace stem_wgmma {

using namespace ::kconv::ptx;
using namespace ::kconv::stem;

template <int kMt, int kWarps, int kWsteps, int kWstages>
struct Kernel {
  static constexpr int kNt = 12;  // wgmma n96: all of the family's channels in one instruction
  static constexpr StemLayout L = MakeStemLayout(StemConfig{kMt, kNt, kWarps, kWsteps, kWstages});
  static constexpr int kConsumers = kWarps * 32;
  static constexpr int kProducerWarps = 4;  // one for the weights, three for the bands (cp.async issue rate)
  static constexpr int kBandWarps = kProducerWarps - 1;
  static constexpr int kThreads = kConsumers + 32 * kProducerWarps;
  static constexpr int kPasses = StemWgmmaEpiloguePasses(L.tile_pixels);
  static constexpr int kConsumerBarrier = 1;  // named barrier over the consumer warps only
  static_assert(kWarps % 4 == 0, "whole consumer warpgroups");
  static_assert(kWstages >= 2, "the weight pipeline needs two slots");
  static_assert(L.weight_step_bytes == 3072, "n96 k8 steps");
  static_assert(kPasses == 1 || kPasses == 2, "one or two epilogue passes");

  struct Shared {
    unsigned char* band0;  // band b at band0 + b * band_bytes (no pointer array: it would live in local memory)
    int64_t band_bytes;
    uint32_t weights;  // shared address of slot 0
    uint32_t full, empty, band_full, band_empty;  // shared addresses of the mbarrier arrays
    int32_t* chunk_offset;

    __device__ __forceinline__ unsigned char* Band(int b) const { return band0 + b * band_bytes; }
  };

  static __device__ __forceinline__ Shared Layout(unsigned char* smem, const StemParams& p) {
    const StemWgmmaSmem s = MakeStemWgmmaSmem(p.band_bytes, kWstages, L.weight_stage_bytes, 2 * p.steps);
    Shared sh;
    sh.band0 = smem;
    sh.band_bytes = s.band_bytes;
    sh.weights = SharedAddress(smem + s.weights);
    sh.full = SharedAddress(smem + s.barriers);
    sh.empty = sh.full + 8 * kWstages;
    sh.band_full = sh.empty + 8 * kWstages;
    sh.band_empty = sh.band_full + 16;
    sh.chunk_offset = reinterpret_cast<int32_t*>(smem + s.chunk_table);
    return sh;
  }

  static __device__ __forceinline__ Tile TileAt(const StemWgmmaParams& P, int index) {
    const int image = index / P.tiles_per_image;
    return MakeTile(P.p, image, (index - image * P.tiles_per_image) * L.tile_pixels);
  }

  // Producer warp 0 streams the weights; warps 1..3 copy the bands. Separate loops, so that neither waits
  // on the other: the weight stream runs ahead across tiles as far as its slots allow, and the next
  // band is copied as soon as its buffer is free.
  static __device__ __forceinline__ void Produce(const StemWgmmaParams& P, const Shared& sh, int first_tile,
                                                 int end_tile) {
    const StemParams& p = P.p;
    const int lane = threadIdx.x % 32, producer = threadIdx.x / 32 - kWarps;
    if (producer == 0) {
      const int stages = p.steps / kWsteps;
      const unsigned char* w = reinterpret_cast<const unsigned char*>(p.w_packed);
      uint32_t g = 0;  // weight stages issued so far
      for (int index = first_tile; index < end_tile; ++index) {
        for (int s = 0; s < stages; ++s, ++g) {
          const uint32_t slot = g % kWstages;
          if (g >= kWstages) MbarrierWait(sh.empty + 8 * slot, (g / kWstages - 1) & 1);
          if (lane == 0) {
            MbarrierArriveExpectTx(sh.full + 8 * slot, L.weight_stage_bytes);
            BulkCopyToShared(sh.weights + slot * L.weight_stage_bytes,
                             w + static_cast<int64_t>(s) * L.weight_stage_bytes, L.weight_stage_bytes,
                             sh.full + 8 * slot);
          }
        }
      }
      return;
    }
    for (int index = first_tile, local = 0; index < end_tile; ++index, ++local) {
      const int b = local & 1;
      unsigned char* band = sh.Band(b);
      if (local >= 2) MbarrierWait(sh.band_empty + 8 * b, ((local >> 1) - 1) & 1);
      const Tile tile = TileAt(P, index);
      if (P.use_tma) {
        if (producer == 1 && lane == 0) {
          MbarrierArriveExpectTx(sh.band_full + 8 * b, P.band_box_bytes);
          TensorCopyToShared4D(SharedAddress(band), P.band_map, -p.pad_w, tile.ih0, 0, tile.image,
                               sh.band_full + 8 * b);
        }
      } else {
        LoadBand(p, tile, band, producer - 1, kBandWarps);
        CopyAsyncMbarrierArrive(sh.band_full + 8 * b);  // one arrival per band thread, when its copies land
      }
    }
  }

  static __device__ __forceinline__ void Consume(const StemWgmmaParams& P, const Shared& sh, int first_tile,
                                                 int end_tile) {
    const StemParams& p = P.p;
    const int warp = threadIdx.x / 32;
    const int chunk_select = (threadIdx.x % 32) >> 4;
    const int stages = p.steps / kWsteps;
    // Warp w of warpgroup g holds rows 16w..16w+15 of the group's m64 tiles.
    int first[kMt];
#pragma unroll
    for (int mi = 0; mi < kMt; ++mi) first[mi] = ((warp / 4) * kMt + mi) * 64 + (warp % 4) * 16;
    auto consumers_sync = [] { NamedBarrierSync(kConsumerBarrier, kConsumers); };

    uint32_t g = 0;  // weight stages consumed so far
    for (int index = first_tile, local = 0; index < end_tile; ++index, ++local) {
      const int b = local & 1;
      const Tile tile = TileAt(P, index);
      uint32_t pixel_address[kMt];
#pragma unroll
      for (int mi = 0; mi < kMt; ++mi) pixel_address[mi] = LaneRowAddress(p, tile, sh.Band(b), first[mi]);
      float acc[kMt][48];
#pragma unroll
      for (int mi = 0; mi < kMt; ++mi)
#pragma unroll
        for (int i = 0; i < 48; ++i) acc[mi][i] = 0.f;
      MbarrierWait(sh.band_full + 8 * b, (local >> 1) & 1);

      for (int s = 0; s < stages; ++s, ++g) {
        const uint32_t slot = g % kWstages;
        MbarrierWait(sh.full + 8 * slot, (g / kWstages) & 1);
        uint32_t a[kWsteps][kMt][4];
#pragma unroll
        for (int ks = 0; ks < kWsteps; ++ks) {
          const uint32_t chunk = sh.chunk_offset[2 * (s * kWsteps + ks) + chunk_select];
#pragma unroll
          for (int mi = 0; mi < kMt; ++mi) {
            LoadMatrixX4(a[ks][mi], pixel_address[mi] + chunk);
#pragma unroll
            for (int v = 0; v < 4; ++v) {
              a[ks][mi][v] = ToTf32(__uint_as_float(a[ks][mi][v]));
              FenceOperand(a[ks][mi][v]);
            }
          }
        }
        const uint32_t slot_address = sh.weights + slot * L.weight_stage_bytes;
        WgmmaFence();
#pragma unroll
        for (int ks = 0; ks < kWsteps; ++ks) {
          const uint64_t desc = MatrixDescriptor(slot_address + ks * L.weight_step_bytes, 96 * 16, 128);
#pragma unroll
          for (int mi = 0; mi < kMt; ++mi) WgmmaM64N96K8Tf32(acc[mi], a[ks][mi], desc);
        }
        WgmmaCommitGroup();
        WgmmaWaitGroup<0>();
        MbarrierArrive(sh.empty + 8 * slot);
      }
#pragma unroll
      for (int mi = 0; mi < kMt; ++mi)
#pragma unroll
        for (int i = 0; i < 48; ++i) FenceOperand(acc[mi][i]);

      // Epilogue over the finished band.
      float* staged = reinterpret_cast<float*>(sh.Band(b));
      auto value = [&](int mi, int ni, int v) { return acc[mi][4 * ni + v]; };
      consumers_sync();  // every consumer is done reading the band
      if constexpr (kPasses == 1) {
        StoreTile<kMt, 0, kNt>(p, tile, staged, L.staging_stride, L.tile_pixels, kWarps, first, value, consumers_sync);
      } else {
        StoreTile<kMt, 0, kNt / 2>(p, tile, staged, L.staging_stride, L.tile_pixels, kWarps, first, value,
                                   consumers_sync);
        consumers_sync();  // the first half's reads are done
        StoreTile<kMt, kNt / 2, kNt>(p, tile, staged, L.staging_stride, L.tile_pixels, kWarps, first, value,
                                     consumers_sync);
      }
      FenceProxyAsyncShared();  // this thread's accesses to the band come before the next copy into it
      MbarrierArrive(sh.band_empty + 8 * b);
    }
  }

  static __device__ __forceinline__ void Run(const StemWgmmaParams& P) {
    extern __shared__ __align__(128) unsigned char smem[];
    const Shared sh = Layout(smem, P.p);
    const int first_tile = static_cast<int>(static_cast<int64_t>(blockIdx.x) * P.total_tiles / gridDim.x);
    const int end_tile = static_cast<int>(static_cast<int64_t>(blockIdx.x + 1) * P.total_tiles / gridDim.x);
    if (threadIdx.x == 0) {
      for (int s = 0; s < kWstages; ++s) {
        MbarrierInit(sh.full + 8 * s, 1);
        MbarrierInit(sh.empty + 8 * s, kConsumers);
      }
      for (int b = 0; b < 2; ++b) {
        MbarrierInit(sh.band_full + 8 * b, P.use_tma ? 1 : 32 * kBandWarps);
        MbarrierInit(sh.band_empty + 8 * b, kConsumers);
      }
      FenceMbarrierInit();
    }
    CopyChunkTable(P.p, sh.chunk_offset, kThreads);
    __syncthreads();
    if (threadIdx.x / 32 >= kWarps) {
      Produce(P, sh, first_tile, end_tile);
    } else {
      Consume(P, sh, first_tile, end_tile);
    }
  }
};

}  // namespace stem_wgmma
}  // namespace kconv

// Two stable extern "C" entry points per config: the convolution and its weight packer. `warps` counts the
// consumer warps; the producer warpgroup comes on top.
#define KCONV_DEFINE_STEM_WGMMA_TF32(NAME, MT, NT, WARPS, WSTEPS, WSTAGES)                            \
  static_assert(NT == 12, "the wgmma stem family computes 96 channels per block");                    \
  extern "C" __global__ void __launch_bounds__(WARPS * 32 + 128, 1)                                   \
      NAME(const __grid_constant__ kconv::StemWgmmaParams params) {                                   \
    kconv::stem_wgmma::Kernel<MT, WARPS, WSTEPS, WSTAGES>::Run(params);                               \
  }                                                                                                   \
  extern "C" __global__ void NAME##_pack_weights(const kconv::StemPackParams params) {                \
    kconv::stem::PackWeights(params, kconv::WgmmaWeightOffset);                                       \
  }
