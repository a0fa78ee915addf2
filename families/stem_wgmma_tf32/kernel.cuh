// SPDX-License-Identifier: Apache-2.0
// Stem convolutions on Hopper (sm_90a): a persistent, warp-specialised kernel with warpgroup MMAs.
//
// One block per SM walks a contiguous range of tiles. A tile is `rows_per_tile` whole output rows of one
// image and the config's channels: all 96 (n96 configs), or one half (n48: two blocks share a row tile's
// channels, each streaming its own half of the packed weights, so that small batches fill more SMs); each
// row is cut into m64 pieces (pixels 64s ... 64s + 63). Rows too wide for a tile or its band (a 1080p
// frame) are cut into column tiles of one piece per phase instead, each with the band of its own columns
// (traits.h). The last warps produce; the others are consumer warpgroups:
//  - Three producer warps (five where registers allow and the band bounds: fp32 NHWC at strides 4 and 2, 16-bit
//    NCHW at stride 2; BandWarps) copy each tile's band (the input rows it touches, all channels, in the stride-4
//    chunk layout of stem_params.h) into one of two band buffers through registers, rounding to TF32 on the way
//    (wgmma reads the band as is; the tensor core would truncate) and writing zeros outside the image. When x is
//    16-byte aligned, the tensor-copy engine copies the band in one instruction instead, and the warps round it in
//    place. A box's innermost start must be 16-byte aligned, so the copy starts at -pad_w rounded down to a
//    multiple of 4, and that pass also shifts each row into the chunk layout (which starts at -pad_w), with all
//    loads of a batch of rows in flight before any store: faster than copies through registers only because no row
//    waits on its own loads (NOTES v6, v7). An NHWC band is in the plane layout instead
//    (families/stem_common/nhwc_planes.h): a pixel's channels sit together, so consecutive output pixels are C
//    16-byte groups apart, and group i of a band row goes to plane i % C. A tensor copy delivers each plane as it
//    is (no shift: the packed weights are zero where a chunk reaches outside a pixel's footprint), and the warps
//    only round it. A 16-bit NCHW band may stay in the type instead (kPairRows, where the planner's PairRowBand
//    says): 16-byte units of two input rows' chunks (families/stem_common/pair_rows.h), read by wgmma k16 in fp16
//    or bf16; a 16-bit NHWC band at stride 4 too, in NHWC's planes (families/stem_common/nhwc_pair_rows.h). At
//    horizontal strides 2 and 1 a 16-bit NCHW or an NHWC band's raw rows come by one tensor copy, and the warps
//    widen (gather, round) them into each phase's plane (kWidenRaw: families/stem_common/widened_raw_rows.h). One
//    more producer warp streams the packed weights through `wstages` slots of `wsteps` k8 steps with bulk copies.
//    Everything completes on mbarriers, and the producers run ahead: the next tile's band and first weight stages
//    land while this tile computes. Nothing overlaps a block's first band, so the consumer warps help copy (or
//    shift) it; they fill their step table and load the bias on their own side, so that the producers' copies start
//    at once (NOTES v6).
//  - Each consumer warpgroup owns mt pieces and issues `wgmma m64n96k8` (or n48) with both operands in shared
//    memory. In the chunk layout, pixels x ... x+7 of one output row at chunk j are 128 contiguous bytes,
//    so a piece at chunk j is a K-major core-matrix array with 128 bytes between 8-pixel groups (SBO)
//    and the step's two chunks LBO bytes apart (LBO >= 0: the K order makes band offsets increase).
//    Pixels past the row read the next chunks of the band; their rows are dropped. No A registers, so
//    a warpgroup keeps one stage's group in flight while it issues the next, and frees each weight
//    slot when the group reading it retires.
//  - The epilogue stages the accumulators over the finished band, as [channel][pixel] (the host sizes
//    each band buffer to hold the tile's channels), and writes each channel as one run of the tile's
//    rows_per_tile * Q consecutive NCHW floats (stem_tile.cuh), then frees the band. 16-bit NCHW tiles of whole rows
//    on the pair-row kernels and at stride 1 stage in the type instead, bias and ReLU applied, each run at its
//    offset from a 16-byte boundary of y, and go out in 16-byte pieces (stem_tile_in_type.cuh). NHWC tiles are staged
//    pixel-major instead, and written 4 channels of a pixel per lane (stem_tile_nhwc.cuh). Writing straight
//    from the accumulators, handing the writes to the producer warps (plain stores or bulk copies),
//    deferring them into the next tile's main loop, and two consumer warpgroups taking turns on tiles
//    (ping-pong) were all slower: the band's loads and the epilogue's stores share the SM's load/store
//    path, which bounds it (NOTES v4, v5).
#pragma once

#include <stdint.h>

#include <type_traits>

#include "families/stem_common/nhwc_pair_rows.h"
#include "families/stem_common/stem_tile.cuh"
#include "families/stem_common/stem_tile_in_type.cuh"
#include "families/stem_common/stem_tile_nhwc.cuh"
#include "families/stem_common/widened_raw_rows.h"
#include "families/stem_wgmma_tf32/traits.h"
#include "ptx/async_copy_instructions.cuh"
#include "ptx/wgmma_instructions.cuh"

namespace kconv {

// The kernel's code lives in namespace stem_wgmma, whose name the images' shared-memory symbols carry.
namespace stem_wgmma {

using namespace ::kconv::ptx;
using namespace ::kconv::stem_wgmma_tf32;
using namespace ::kconv::stem;

// Timeline probe (builds with -DKCONV_TIMELINE only; bench/timeline.py reads it): stamp `slot` (0-13, 16-31) of
// this block's 32 is %clock64; slots 14 and 15 hold %globaltimer (ns) at the block's start and end, to line
// blocks up and convert cycles; 16-27 are ping-pong's, per warpgroup (PingPongEpilogue). Written past the end of
// the output counted in floats (for 16-bit outputs, twice the output's bytes), which the probe allocates large
// enough. Production builds compile it away.
__device__ __forceinline__ void TimelineStamp(const StemWgmmaParams& P, int slot) {
#ifdef KCONV_TIMELINE
  uint64_t t;
  if (slot >= 14) {
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  } else {
    asm volatile("mov.u64 %0, %%clock64;" : "=l"(t));
  }
  const int64_t images = P.total_tiles / (P.tiles_per_image * P.column_tiles * P.channel_groups);
  reinterpret_cast<uint64_t*>(P.p.y + images * P.p.k * P.p.pq)[blockIdx.x * 32 + slot] = t;
#else
  (void)P;
  (void)slot;
#endif
}

// kType (kconv_element_type) and kNhwc: the tensors' element type and layout. 16-bit inputs are widened
// exactly as the producers copy them (an fp16 or bf16 value is exact in TF32), so the math is TF32 whatever
// the type, and the output is rounded to the type once, on store. kPairRows (16-bit NCHW, or NHWC at stride 4;
// even vertical strides): the band stays in the type, each phase's plane in the pair-row layout
// (families/stem_common/pair_rows.h; NHWC: each channel's plane, nhwc_pair_rows.h), and the math is wgmma k16 in the type, with units of 8 taps where TF32's chunks hold 4: half the band's
// bytes and half the wgmma steps. kSplit (3xTF32, fp32 at stride 4; NHWC an experiment): each band buffer holds
// the band's TF32 values (NCHW rows or NHWC planes) and, lo_offset bytes on, their TF32 remainders; each weight step image is followed by its
// remainders' image; a step is three wgmmas, big * big into its own accumulator sets (kBigSets) and both cross
// products into another, so that the cross products do not lengthen the big products' chains of truncating
// sums, which bound the error.
template <int kMt, int kNt, int kWarps, int kWsteps, int kWstages, int kPhases, int kType = 0, bool kNhwc = false,
          bool kPairRows = false, bool kSplit = false>
struct Kernel {
  static constexpr int kChannels = kNt * 8;  // wgmma n96, n64, n48 or n32: a block's group of channels
  static constexpr Config C = MakeConfig(kMt, kNt, kWarps, kWsteps, kWstages, kPhases);
  // Floats of input between consecutive output columns: 4 / kPhases (kPhases = 4 / the horizontal stride).
  static constexpr int kStrideW = 4 / kPhases;
  static constexpr StemLayout L = MakeStemLayout(C);
  static constexpr int kConsumers = kWarps * 32;
  static constexpr int kBandWarps = BandWarps(kWarps, kNt, kSplit, kType, kNhwc, kPhases);
  static constexpr int kConsumerBarrier = 1;  // named barrier over the consumer warps only
  // Ping-pong's named barriers: 2 + w over warpgroup w's warps, and kTurnBarrier + w, where the other warpgroup
  // arrives when its math is done and warpgroup w waits before its own.
  static constexpr int kWarpgroupBarrier = 2;
  static constexpr int kTurnBarrier = 4;
  // kNhwcPlanes: an NHWC band at stride 4 is the plane layout (nhwc_planes.h); at strides 2 and 1 an NHWC band is
  // NCHW's phase planes, gathered.
  static constexpr bool kNhwcPlanes = kNhwc && kPhases == 1;
  // kWidenRaw: a band at horizontal stride 2 or 1 in 16-bit NCHW or in NHWC, which comes (where the launch
  // allows) by one tensor copy of its raw rows that the producers widen (and gather, and round) into each phase's
  // plane (families/stem_common/widened_raw_rows.h).
  static constexpr bool kWidenRaw = !kPairRows && kPhases > 1 && (kType != 0 || kNhwc);
  // The tensor-copy engine delivers fp32 bands as they are (NCHW rows, NHWC planes), and pair-row and kWidenRaw
  // bands as raw rows that the producers pair or widen; other 16-bit inputs are widened through registers.
  static constexpr bool kMayCopyTensor = kType == 0 || kPairRows || kWidenRaw;
  // Whether a tensor copy brings the band as raw rows (into their room at raw_offset) that the producers lay out.
  static constexpr bool kRawRows = kPairRows || kWidenRaw;
  // Whether this launch's band comes by tensor copy: a kWidenRaw band only into the room the plan made for its
  // raw rows (the host encodes no other map for it; this keeps a wrong launch from reading one as raw rows).
  static __device__ __forceinline__ bool CopiesTensor(const StemWgmmaParams& P) {
    return kMayCopyTensor && P.use_tma && (!kWidenRaw || P.raw_row > 0);
  }
  // An fp32 NHWC band at stride 4 may come by the band warps' 16-byte asynchronous copies instead
  // (CopyBandNhwcAsync, where the launch sets async_band: NhwcBandByAsyncCopies); it lands on band_landed as a
  // tensor copy does, and the same rounding pass follows.
  static constexpr bool kMayCopyAsync = kNhwcPlanes && kType == 0;
  static __device__ __forceinline__ bool CopiesAsync(const StemWgmmaParams& P) { return kMayCopyAsync && P.async_band; }
  // Whether the band lands by itself (a tensor copy, or asynchronous copies) before the rounding pass.
  static __device__ __forceinline__ bool BandLands(const StemWgmmaParams& P) { return CopiesTensor(P) || CopiesAsync(P); }
  static constexpr bool kOneRowTiles = kMt * kWarps == 4;  // one m64 piece per tile: band copies across channels
  // 16-bit NCHW on the pair-row kernels and at stride 1 stages its outputs in the type over tiles of whole rows
  // (StagesInType: P.column_tiles == 1 at run time), and the host sizes the band buffers for that.
  static constexpr bool kStagesInType = StagesInType(kType, kNhwc, kPairRows, kPhases, 1);
  // Ping-pong (P.pingpong, WithPingPong in planner.cc): the two consumer warpgroups of a pair-row kernel take turns at
  // the tensor pipe, each staging and writing its half of the tile (whole rows) while the other computes.
  static constexpr bool kMayPingPong = kPairRows && kWarps == 8 && kStagesInType && !kSplit;
  // Whether the consumer warps help copy the block's first band when the warps copy it (not a tensor
  // copy): nothing overlaps that band (band_full then counts the producers' part only). Not for one-row
  // tiles: their band warps copy a band in one pass already, and more warps were no faster (NOTES v5).
  static constexpr bool kConsumersHelpFirstBand = !kOneRowTiles;
  // Accumulator sets per piece: with one piece per warpgroup, consecutive steps go to two sets, so that
  // two independent wgmma chains are in flight instead of one whose every step waits for the last (four
  // sets were no faster than two: NOTES v7); 16 warps have too few registers.
  // kSplit: the big products alternate over kBigSets sets (two where the registers allow: 4 consumer warps),
  // and the last set takes the cross products. The big products' chains of truncating sums are what bound
  // 3xTF32's error, and two halve their length.
  static constexpr int kBigSets = kSplit && kMt == 1 && kWarps == 4 ? 2 : 1;
  static constexpr int kAccSets = kSplit ? kBigSets + 1 : kMt == 1 && kWarps <= 8 ? 2 : 1;
  // Band rows per batch of the shift-and-round pass after a tensor copy (fewer where registers are fewer).
  // One-row tiles (N = 1) take one row per batch: each block runs this code once, from a cold instruction
  // cache, where the shorter loop is faster (NOTES v8).
  static constexpr int kRoundRows = kOneRowTiles ? 1 : kWarps == 4 ? 8 : kWarps == 8 ? 4 : 1;
  static constexpr uint64_t kDescriptorHigh = uint64_t{128 >> 4} << 32;  // SBO: 8-row groups 128 bytes apart
  // Rows of a column tile: one m64 piece per row and phase.
  static constexpr int kColumnTileRows = kMt * kWarps / 4 / kPhases > 0 ? kMt * kWarps / 4 / kPhases : 1;
  static_assert(kWarps % 4 == 0, "whole consumer warpgroups");
  static_assert(kWstages >= 2, "the weight pipeline needs two slots");
  static_assert(kNt == 12 || kNt == 8 || kNt == 6 || kNt == 4, "wgmma n96, n64, n48 or n32");
  static_assert(kPhases == 1 || kPhases == 2 || kPhases == 4, "horizontal strides 4, 2 or 1");
  static_assert(L.weight_step_bytes == kChannels * 32, "k8 (k16) steps of kChannels channels");
  static_assert(!kPairRows || (kType != 0 && (!kNhwc || kPhases == 1)), "pair rows: 16-bit NCHW, or NHWC at stride 4");
  static_assert(!kSplit || (kType == 0 && !kPairRows && kPhases == 1), "3xTF32: fp32 at stride 4");
  // A packed weight step, and a stage of them: with kSplit, each step's remainders follow it.
  static constexpr int kStepBytes = L.weight_step_bytes * (kSplit ? 2 : 1);
  static constexpr int kWeightStageBytes = kWsteps * kStepBytes;

  // One k8 step (k16 with kPairRows) of one m64 piece: d += a * b.
  static __device__ __forceinline__ void Mma(float (&d)[kNt * 4], uint64_t a_desc, uint64_t b_desc) {
    if constexpr (kPairRows) {
      if constexpr (kNt == 12) {
        WgmmaM64N96K16<kType>(d, a_desc, b_desc);
      } else if constexpr (kNt == 8) {
        WgmmaM64N64K16<kType>(d, a_desc, b_desc);
      } else if constexpr (kNt == 6) {
        WgmmaM64N48K16<kType>(d, a_desc, b_desc);
      } else {
        WgmmaM64N32K16<kType>(d, a_desc, b_desc);
      }
    } else if constexpr (kNt == 12) {
      WgmmaM64N96K8Tf32(d, a_desc, b_desc);
    } else if constexpr (kNt == 8) {
      WgmmaM64N64K8Tf32(d, a_desc, b_desc);
    } else if constexpr (kNt == 6) {
      WgmmaM64N48K8Tf32(d, a_desc, b_desc);
    } else {
      WgmmaM64N32K8Tf32(d, a_desc, b_desc);
    }
  }

  // A band holds kPhases planes, one per output-column phase (columns phase, phase + kPhases, ...), each
  // the input rows in the chunk layout shifted by phase * kStrideW floats: within a plane, consecutive
  // output pixels of the phase are 16 bytes apart, as the chunk layout needs. Planes start 128-aligned
  // (tensor-copy destinations).
  // (A kWidenRaw or pair-row band's copy delivers raw rows, not a plane: their planes are sized from the band's
  // geometry.)
  static __device__ __forceinline__ int PlaneBytes(const StemWgmmaParams& P) {
    if constexpr (kWidenRaw) return (P.p.c * P.p.band_rows * P.p.row_floats * 4 + 127) & ~127;
    // An NHWC pair-row band's planes are its C channels' (nhwc_pair_rows.h), NCHW's its phases'.
    if constexpr (kPairRows) return ((kNhwc ? 1 : P.p.c) * ((P.p.band_rows + 1) / 2) * P.p.row_floats * 4 + 127) & ~127;
    return (P.band_box_bytes + 127) & ~127;
  }
  // Where plane `phase`'s chunk layout starts, in input columns, and how far right of the 16-byte aligned
  // column a tensor copy may start at (the shift-and-round pass moves each row by it).
  static __device__ __forceinline__ int PlaneStart(const StemParams& p, int phase) { return phase * kStrideW - p.pad_w; }
  static __device__ __forceinline__ int PlaneShift(const StemParams& p, int phase) {
    return ((PlaneStart(p, phase) % 4) + 4) % 4;
  }

  struct Shared {
    unsigned char* band0;  // band b at band0 + b * band_bytes (no pointer array: it would live in local memory)
    int64_t band_bytes;
    uint32_t weights;  // shared address of slot 0
    uint32_t full, empty, band_landed, band_full, band_empty;  // shared addresses of the mbarrier arrays
    uint32_t* step_delta;  // per k8 step: added to a piece's descriptor low word (start and LBO)
    float* bias;

    __device__ __forceinline__ unsigned char* Band(int b) const { return band0 + b * band_bytes; }
  };

  static __device__ __forceinline__ Shared Layout(unsigned char* smem, const StemParams& p) {
    const StemWgmmaSmem s = MakeStemWgmmaSmem(p.band_bytes, kWstages, kWeightStageBytes, 2 * p.steps, 0);
    Shared sh;
    sh.band0 = smem;
    sh.band_bytes = s.band_bytes;
    sh.weights = SharedAddress(smem + s.weights);
    sh.full = SharedAddress(smem + s.barriers);
    sh.empty = sh.full + 8 * kWstages;
    sh.band_landed = sh.empty + 8 * kWstages;
    sh.band_full = sh.band_landed + 16;
    sh.band_empty = sh.band_full + 16;
    sh.step_delta = reinterpret_cast<uint32_t*>(smem + s.chunk_table);
    sh.bias = reinterpret_cast<float*>(smem + s.bias);
    return sh;
  }

  // Work item `index` is channel group index % channel_groups of column tile u % column_tiles of row tile
  // u / column_tiles (counted across images), u = index / channel_groups. A block's items are consecutive,
  // so it walks them with a cursor: the divisions once, then increments (three divisions on the path of
  // every tile cost AlexNet ~1% at N = 256).
  struct Cursor {
    int group, column_tile, row_tile, image;

    __device__ __forceinline__ void Advance(const StemWgmmaParams& P) {
      if (++group < P.channel_groups) return;
      group = 0;
      if (++column_tile < P.column_tiles) return;
      column_tile = 0;
      if (++row_tile < P.tiles_per_image) return;
      row_tile = 0;
      ++image;
    }
  };
  static __device__ __forceinline__ Cursor CursorAt(const StemWgmmaParams& P, int index) {
    const int item = index / P.channel_groups;
    // Whole rows need no division here: at N = 1 each block has one tile, and this is on its first band's path.
    const int rows = P.column_tiles == 1 ? item : item / P.column_tiles;
    const int image = rows / P.tiles_per_image;
    return Cursor{index - item * P.channel_groups, item - rows * P.column_tiles, rows - image * P.tiles_per_image,
                  image};
  }
  static __device__ __forceinline__ Tile TileOf(const StemWgmmaParams& P, const Cursor& c) {
    Tile tile;
    tile.image = c.image;
    tile.p0 = c.row_tile * P.rows_per_tile;
    tile.m0 = tile.p0 * P.p.q;
    tile.ih0 = tile.p0 * P.p.stride_h - P.p.pad_h;
    tile.q0 = c.column_tile * P.tile_columns;
    tile.columns = min(P.tile_columns, P.p.q - tile.q0);
    return tile;
  }

  // After a tensor copy (which cannot round), rounds band rows worker, worker + workers, ... to TF32 in
  // place and moves each kShift floats left: the copy starts at column -pad_w rounded down to a multiple
  // of 4 (an innermost start that is not 16-byte aligned faults), the chunk layout at -pad_w. Piece i (16
  // bytes) of a row takes floats 4i + kShift ... of the copy, from its pieces i and i + 1; the row's last
  // piece, past the chunk layout's row (the host widened the pitch by 4 floats), keeps the copy's data,
  // which no real pixel reads. A lane owns pieces lane and lane + 32 (rows of at most 256 floats: the
  // host's condition for NCHW's tensor copy; NHWC planes' rows, of up to 256 pieces, go 64 at a time). kRows
  // rows per batch, all loads before any store (__syncwarp: lanes read their neighbours' pieces), so that the
  // batch's shared-memory latencies overlap. Branch-free:
  // lanes without a piece load one of their warp's pieces and store nothing. The shift is a template argument:
  // as a run-time value, ptxas branched per piece and waited for each piece's loads before the next
  // (NOTES v8).
  // `rows`: the band's rows, all channels (NCHW), or one plane's (NHWC). With kSplit, each piece's TF32
  // remainders go `lo_offset` bytes on. kWideRows (NHWC planes, whose tensor copy takes rows of up to 256
  // pieces): the lanes go over a row's pieces 64 at a time; without it, a row's pieces past 64 would keep the
  // copy's unrounded floats and, with kSplit, no remainders (garbage, seen on a GPU at W = 300).
  template <int kRows, int kShift, bool kWideRows = false>
  static __device__ __forceinline__ void ShiftRoundRows(const StemParams& p, unsigned char* band, int worker,
                                                        int workers, int rows, int lo_offset = 0) {
    static_assert(!kWideRows || kShift == 0, "wide rows: NHWC planes, which need no shift");
    const int lane = threadIdx.x % 32, pieces = p.row_floats / 4, out_pieces = kShift != 0 ? pieces - 1 : pieces;
    float4* const band4 = reinterpret_cast<float4*>(band);
    for (int piece0 = 0; piece0 < (kWideRows ? out_pieces : 1); piece0 += 64) {
      for (int row0 = worker; row0 < rows; row0 += kRows * workers) {
        float4 a[kRows][2], b[kRows][2];
        bool valid[kRows][2];
        float4* at[kRows][2];
#pragma unroll
        for (int i = 0; i < kRows; ++i) {
#pragma unroll
          for (int h = 0; h < 2; ++h) {
            const int row = row0 + i * workers, piece = piece0 + lane + 32 * h;
            valid[i][h] = row < rows && piece < out_pieces;
            // A lane without a piece reads one its own warp writes, after the __syncwarp below: the batch's
            // first row (always real) and the row's last stored piece. Another warp's row would race with
            // that warp's stores (compute-sanitizer racecheck; NOTES v10).
            const int source_row = row < rows ? row : row0, source_piece = piece < out_pieces ? piece : out_pieces - 1;
            at[i][h] = band4 + static_cast<int64_t>(source_row) * pieces + source_piece;
            a[i][h] = at[i][h][0];
            if constexpr (kShift != 0) b[i][h] = at[i][h][1];
          }
        }
        __syncwarp();
#pragma unroll
        for (int i = 0; i < kRows; ++i) {
#pragma unroll
          for (int h = 0; h < 2; ++h) {
            float4 g = a[i][h];
            if constexpr (kShift == 1) g = make_float4(a[i][h].y, a[i][h].z, a[i][h].w, b[i][h].x);
            if constexpr (kShift == 2) g = make_float4(a[i][h].z, a[i][h].w, b[i][h].x, b[i][h].y);
            if constexpr (kShift == 3) g = make_float4(a[i][h].w, b[i][h].x, b[i][h].y, b[i][h].z);
            const float4 raw = g;
            g.x = __uint_as_float(ToTf32(g.x));
            g.y = __uint_as_float(ToTf32(g.y));
            g.z = __uint_as_float(ToTf32(g.z));
            g.w = __uint_as_float(ToTf32(g.w));
            if (valid[i][h]) *at[i][h] = g;
            if constexpr (kSplit) {
              const float4 lo = make_float4(Remainder(raw.x, g.x), Remainder(raw.y, g.y), Remainder(raw.z, g.z),
                                            Remainder(raw.w, g.w));
              if (valid[i][h]) {
                *reinterpret_cast<float4*>(reinterpret_cast<unsigned char*>(at[i][h]) + lo_offset) = lo;
              }
            }
          }
        }
      }
    }
  }

  // ShiftRoundRows for the launch's shift (0-3 floats), chosen once.
  template <int kRows>
  static __device__ __forceinline__ void ShiftRoundBandRows(const StemParams& p, unsigned char* band, int worker,
                                                            int workers, int shift, int lo_offset) {
    const int rows = p.c * p.band_rows;
    switch (shift) {
      case 0: ShiftRoundRows<kRows, 0>(p, band, worker, workers, rows, lo_offset); break;
      case 1: ShiftRoundRows<kRows, 1>(p, band, worker, workers, rows, lo_offset); break;
      case 2: ShiftRoundRows<kRows, 2>(p, band, worker, workers, rows, lo_offset); break;
      default: ShiftRoundRows<kRows, 3>(p, band, worker, workers, rows, lo_offset); break;
    }
  }

  // The TF32 remainder of `raw` once rounded to `big` (Tf32Remainder), as a float.
  static __device__ __forceinline__ float Remainder(float raw, float big) {
    return __uint_as_float(Tf32Remainder(raw, big));
  }

  // The cross products' sums (small * big + big * small), made finite. They are Inf or NaN only where an
  // operand is (Inf * small is Inf or NaN with small's sign, whatever the remainders), and then the big
  // products' sum is Inf or NaN too and carries IEEE's result, Inf * w = +-Inf: added as they were, they would
  // turn it into Inf - Inf = NaN.
  static __device__ __forceinline__ float FiniteCrossProducts(float cross) { return isfinite(cross) ? cross : 0.f; }

  // How far left of plane `phase`'s chunk layout its tensor copy starts: at the plane's first column
  // rounded down to a multiple of 4.
  static __device__ __forceinline__ int TensorCopyShift(const StemParams& p, int phase) {
    if (kPhases == 1) return (4 - p.pad_w % 4) % 4;
    return PlaneShift(p, phase);
  }

  // The first unit of pair row `pair_row` (c * band_pairs + i) of a pair-row band: NCHW's pair rows follow each other
  // across channels, NHWC's channels are planes `plane_units` apart.
  static __device__ __forceinline__ int64_t UnitIndex(int pair_row, int band_pairs, int units, int plane_units) {
    if constexpr (kNhwc) {
      const int c = pair_row / band_pairs;
      return static_cast<int64_t>(c) * plane_units + (pair_row - c * band_pairs) * units;
    }
    return static_cast<int64_t>(pair_row) * units;
  }

  // After a pair-row band's tensor copy: pairs its raw rows (P.raw_row elements each, from the first plane's
  // first column rounded down to a multiple of 8, at band + raw_offset) into the units of the plane at `plane`
  // (families/stem_common/pair_rows.h), whose rows begin `shift` elements into the raw rows; zeros past the
  // band's rows (the copy wrote zeros outside the image). Pair rows worker, worker + workers, ... across
  // channels, kRows of them a batch with every load before any store; a lane takes units lane and lane + 32 (a
  // raw row holds at most 256 elements). kWords: 32-bit loads (an even shift: raw rows are 16-byte aligned).
  // NHWC (nhwc_pair_rows.h): raw rows of P.raw_row pixels, `shift` the band's first group's element
  // (NhwcPairRowRawBase), and pair row (c, i) is plane c's, PlaneBytes apart; every half unit is 8-byte aligned. A
  // row's units are at most 64 there too (the plan's rows of at most 256 floats), though a raw row holds C times more.
  template <int kRows, bool kWords>
  static __device__ __forceinline__ void PairRawRowsAs(const StemWgmmaParams& P, unsigned char* band,
                                                       unsigned char* plane, int worker, int workers, int shift) {
    const StemParams& p = P.p;
    const int lane = threadIdx.x % 32;
    const int band_pairs = (p.band_rows + 1) / 2, total = p.c * band_pairs, units = p.row_floats / 4;
    const uint16_t* raw = reinterpret_cast<const uint16_t*>(band + P.raw_offset);
    uint4* const band_units = reinterpret_cast<uint4*>(plane);
    const int plane_units = PlaneBytes(P) / 16;  // NHWC: units between planes
    for (int i0 = worker; i0 < total; i0 += kRows * workers) {
      uint32_t word[kRows][2][4];
#pragma unroll
      for (int i = 0; i < kRows; ++i) {
        const int pair_row = i0 + i * workers, c = pair_row / band_pairs, pair = pair_row - c * band_pairs;
#pragma unroll
        for (int l = 0; l < 2; ++l) {
          const int u = lane + 32 * l;
#pragma unroll
          for (int h = 0; h < 2; ++h) {  // the even band row, then the odd one
            const int row = 2 * pair + h;
            const bool valid = pair_row < total && u < units && row < p.band_rows;
            const uint16_t* src =
                raw + (kNhwc ? NhwcPairRowRawIndex(p.c, P.raw_row, shift, valid ? c : 0, valid ? row : 0, valid ? u : 0, 0)
                             : PairRowRawIndex(p.band_rows, P.raw_row, shift, valid ? c : 0, valid ? row : 0,
                                               valid ? u : 0, 0));
            if constexpr (kWords) {
              word[i][l][2 * h] = valid ? *reinterpret_cast<const uint32_t*>(src) : 0u;
              word[i][l][2 * h + 1] = valid ? *reinterpret_cast<const uint32_t*>(src + 2) : 0u;
            } else {
              word[i][l][2 * h] = valid ? src[0] | static_cast<uint32_t>(src[1]) << 16 : 0u;
              word[i][l][2 * h + 1] = valid ? src[2] | static_cast<uint32_t>(src[3]) << 16 : 0u;
            }
          }
        }
      }
#pragma unroll
      for (int i = 0; i < kRows; ++i) {
        const int pair_row = i0 + i * workers;
#pragma unroll
        for (int l = 0; l < 2; ++l) {
          const int u = lane + 32 * l;
          if (pair_row < total && u < units) {
            band_units[UnitIndex(pair_row, band_pairs, units, plane_units) + u] =
                make_uint4(word[i][l][0], word[i][l][1], word[i][l][2], word[i][l][3]);
          }
        }
      }
    }
  }

  // A raw input element as the band holds it: TF32 (fp32, rounded: wgmma would truncate), or a 16-bit value
  // widened (exact in TF32).
  static __device__ __forceinline__ float AsBand(RawElement<kType> raw) {
    if constexpr (kType == 0) return __uint_as_float(ToTf32(raw));
    return WidenRaw<kType>(raw);
  }

  // Plane rows worker, worker + workers, ... of `rows` (all channels), kRows of them a batch, a lane taking pieces
  // lane and lane + 32 of a row's `pieces` (rows of at most 256 floats: the host's condition for the copy):
  // load(row, piece) for the whole batch before store(row, piece, loaded) for the real pieces, so that a batch's
  // shared-memory latencies overlap. A lane without a piece loads row 0's piece 0 and stores nothing. For the
  // widening passes below, whose sources are not their destinations (no __syncwarp).
  template <int kRows, class Load, class Store>
  static __device__ __forceinline__ void ForEachPieceBatched(int rows, int pieces, int worker, int workers, Load load,
                                                             Store store) {
    const int lane = threadIdx.x % 32;
    for (int row0 = worker; row0 < rows; row0 += kRows * workers) {
      decltype(load(0, 0)) loaded[kRows][2];
#pragma unroll
      for (int i = 0; i < kRows; ++i) {
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int row = row0 + i * workers, piece = lane + 32 * h;
          const bool real = row < rows && piece < pieces;
          loaded[i][h] = load(real ? row : 0, real ? piece : 0);
        }
      }
#pragma unroll
      for (int i = 0; i < kRows; ++i) {
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int row = row0 + i * workers, piece = lane + 32 * h;
          if (row < rows && piece < pieces) store(row, piece, loaded[i][h]);
        }
      }
    }
  }

  // A widening pass's piece as loaded: NCHW's two aligned 8-byte groups, NHWC's 4 elements.
  struct RawGroups {
    uint2 lo, hi;
  };
  struct RawElements {
    RawElement<kType> e[4];
  };

  // WidenRawRows for an NHWC band: a raw row is an input row's pixels from the raw rows' first column,
  // P.raw_row columns of C elements, and float f of plane row (c, r) is element (offset + f) * C + c of raw row
  // r, so a piece is 4 loads C elements apart (ForEachPieceBatched over the plane's rows).
  template <int kRows>
  static __device__ __forceinline__ void WidenRawRowsNhwc(const StemWgmmaParams& P, unsigned char* band,
                                                          unsigned char* plane, int offset, int worker, int workers) {
    const StemParams& p = P.p;
    const int row_elements = P.raw_row * p.c;
    const RawElement<kType>* const raw = reinterpret_cast<const RawElement<kType>*>(band + P.raw_offset);
    float4* const out = reinterpret_cast<float4*>(plane);
    const int pieces = p.row_floats / 4;
    ForEachPieceBatched<kRows>(
        p.c * p.band_rows, pieces, worker, workers,
        [&](int row, int piece) {
          const int c = row / p.band_rows, r = row - c * p.band_rows;
          const RawElement<kType>* at = raw + r * row_elements + (offset + 4 * piece) * p.c + c;
          RawElements v;
#pragma unroll
          for (int e = 0; e < 4; ++e) v.e[e] = at[e * p.c];
          return v;
        },
        [&](int row, int piece, const RawElements& v) {
          out[row * pieces + piece] = make_float4(AsBand(v.e[0]), AsBand(v.e[1]), AsBand(v.e[2]), AsBand(v.e[3]));
        });
  }

  // WidenRawRowsNhwc for 3 channels (widened_raw_rows.h's NhwcRgb*): a lane loads a raw row's 4 pixels, all three
  // channels, as kGroups aligned 4-element groups and stores piece `piece` of each channel's plane row: 3-4
  // loads for three pieces, where the general pass makes four strided 2- or 4-byte loads a piece.
  // kShift = NhwcRgbShift(offset). A batch holds at most 64 registers of loads (two pieces a row a lane): 4 rows
  // in 16 bits, 2 in fp32.
  template <int kRows, int kShift>
  static __device__ __forceinline__ void WidenRgbRowsNhwc(const StemWgmmaParams& P, unsigned char* band,
                                                          unsigned char* plane, int offset, int worker, int workers) {
    using Group = typename std::conditional<kType == 0, uint4, uint2>::type;  // 4 elements
    constexpr int kGroups = NhwcRgbGroups(kShift), kWords = kGroups * (kType == 0 ? 4 : 2);
    struct Pixels {
      uint32_t w[kWords];  // the groups' words, in memory order
    };
    const StemParams& p = P.p;
    const int row_groups = P.raw_row * 3 / 4, first_group = NhwcRgbFirstGroup(offset, 0);
    const int pieces = p.row_floats / 4, band_rows = p.band_rows;
    const Group* const raw = reinterpret_cast<const Group*>(band + P.raw_offset);
    float4* const out = reinterpret_cast<float4*>(plane);
    constexpr int kBatch = kRows < 32 / kWords ? kRows : 32 / kWords;  // at most 64 registers of loads
    ForEachPieceBatched<kBatch>(
        band_rows, pieces, worker, workers,
        [&](int row, int piece) {
          const Group* at = raw + row * row_groups + first_group + 3 * piece;
          Pixels v;
#pragma unroll
          for (int i = 0; i < kGroups; ++i) {
            const Group g = at[i];
            if constexpr (kType == 0) {
              v.w[4 * i] = g.x;
              v.w[4 * i + 1] = g.y;
              v.w[4 * i + 2] = g.z;
              v.w[4 * i + 3] = g.w;
            } else {
              v.w[2 * i] = g.x;
              v.w[2 * i + 1] = g.y;
            }
          }
          return v;
        },
        [&](int row, int piece, const Pixels& v) {
          auto element = [&](int j) {  // element j of the loaded groups, as the band holds it
            if constexpr (kType == 0) {
              return AsBand(__uint_as_float(v.w[j]));
            } else {
              const uint32_t word = v.w[j / 2];
              return AsBand(static_cast<RawElement<kType>>(j % 2 == 0 ? word & 0xffffu : word >> 16));
            }
          };
#pragma unroll
          for (int c = 0; c < 3; ++c) {
            out[(c * band_rows + row) * pieces + piece] = make_float4(
                element(kShift + c), element(kShift + 3 + c), element(kShift + 6 + c), element(kShift + 9 + c));
          }
        });
  }

  // After a kWidenRaw band's tensor copy: widens its raw rows (P.raw_row elements each, raw_offset bytes into the
  // buffer) into the plane at `plane`, whose rows begin `offset` elements into them (widened_raw_rows.h). Piece i
  // (16 bytes) of a plane row is elements offset + 4i ... + 3 of its raw row: the aligned 8-byte groups offset / 4
  // + i and the next (when kShift = offset % 4 is not 0), funnel-shifted by kShift elements (ForEachPieceBatched
  // over the plane's rows).
  template <int kRows, int kShift>
  static __device__ __forceinline__ void WidenRawRows(const StemWgmmaParams& P, unsigned char* band,
                                                      unsigned char* plane, int offset, int worker, int workers) {
    const StemParams& p = P.p;
    const int row_groups = P.raw_row / 4, first_group = offset / 4, pieces = p.row_floats / 4;
    const uint2* const raw = reinterpret_cast<const uint2*>(band + P.raw_offset);
    float4* const out = reinterpret_cast<float4*>(plane);
    ForEachPieceBatched<kRows>(
        p.c * p.band_rows, pieces, worker, workers,
        [&](int row, int piece) {
          const uint2* at = raw + row * row_groups + first_group + piece;
          RawGroups g;
          g.lo = at[0];
          if constexpr (kShift != 0) g.hi = at[1];
          return g;
        },
        [&](int row, int piece, const RawGroups& g) {
          uint32_t first = g.lo.x, second = g.lo.y;  // elements 0-1 and 2-3 of the piece, low halves first
          if constexpr (kShift == 1) {
            first = __funnelshift_r(g.lo.x, g.lo.y, 16);
            second = __funnelshift_r(g.lo.y, g.hi.x, 16);
          } else if constexpr (kShift == 2) {
            first = g.lo.y;
            second = g.hi.x;
          } else if constexpr (kShift == 3) {
            first = __funnelshift_r(g.lo.y, g.hi.x, 16);
            second = __funnelshift_r(g.hi.x, g.hi.y, 16);
          }
          const float2 a = WidenPair<kType>(first), b = WidenPair<kType>(second);
          out[row * pieces + piece] = make_float4(a.x, a.y, b.x, b.y);
        });
  }

  // WidenRawRows (NCHW, each plane with its offset's shift, chosen once per plane) or WidenRawRowsNhwc into every
  // phase's plane.
  template <int kRows>
  static __device__ __forceinline__ void WidenRawPlanes(const StemWgmmaParams& P, unsigned char* band, int worker,
                                                        int workers) {
#pragma unroll
    for (int phase = 0; phase < kPhases; ++phase) {
      const int offset = WidenedRawOffset(PlaneStart(P.p, 0), PlaneStart(P.p, phase));
      unsigned char* const plane = band + phase * PlaneBytes(P);
      if constexpr (kNhwc) {
        if (P.p.c == 3) {  // RGB
          // A plane has only band_rows rows to split (3 for one-row tiles at 3x3): each phase's rows start band_rows
          // workers further on, so that every worker gets some over the phases.
          const int rotated = (worker + phase * P.p.band_rows) % workers;
          switch (NhwcRgbShift(offset)) {
            case 0: WidenRgbRowsNhwc<kRows, 0>(P, band, plane, offset, rotated, workers); break;
            case 1: WidenRgbRowsNhwc<kRows, 1>(P, band, plane, offset, rotated, workers); break;
            case 2: WidenRgbRowsNhwc<kRows, 2>(P, band, plane, offset, rotated, workers); break;
            default: WidenRgbRowsNhwc<kRows, 3>(P, band, plane, offset, rotated, workers); break;
          }
        } else {
          WidenRawRowsNhwc<kRows>(P, band, plane, offset, worker, workers);
        }
      } else {
        switch (offset % 4) {
          case 0: WidenRawRows<kRows, 0>(P, band, plane, offset, worker, workers); break;
          case 1: WidenRawRows<kRows, 1>(P, band, plane, offset, worker, workers); break;
          case 2: WidenRawRows<kRows, 2>(P, band, plane, offset, worker, workers); break;
          default: WidenRawRows<kRows, 3>(P, band, plane, offset, worker, workers); break;
        }
      }
    }
  }

  // ShiftRoundBandRows over every plane of a band: its phases, or an NHWC band's C planes, which need no shift
  // (their copies start at a group, and the weights are zero before the footprint); a pair-row band's raw rows
  // are paired instead (PairRawRowsAs), and a kWidenRaw band's widened into its planes (WidenRawPlanes).
  template <int kRows>
  static __device__ __forceinline__ void ShiftRoundBandPlanes(const StemWgmmaParams& P, unsigned char* band, int worker,
                                                              int workers) {
    if constexpr (kWidenRaw) {
      WidenRawPlanes<kRows>(P, band, worker, workers);
    } else if constexpr (kPairRows) {
#pragma unroll
      for (int phase = 0; phase < kPhases; ++phase) {  // each phase's plane from the same raw rows
        const int shift = kNhwc ? NhwcPairRowRawBase(P.p.c, P.first_position, WidenedRawStart(PlaneStart(P.p, 0)))
                          : kPhases == 1 ? PairRowRawShift(PlaneStart(P.p, 0))
                                         : WidenedRawOffset(PlaneStart(P.p, 0), PlaneStart(P.p, phase));
        unsigned char* const plane = kPhases == 1 ? band : band + phase * PlaneBytes(P);
        if (shift % 2 == 0) {
          PairRawRowsAs<kRows, true>(P, band, plane, worker, workers, shift);
        } else {
          PairRawRowsAs<kRows, false>(P, band, plane, worker, workers, shift);
        }
      }
    } else if constexpr (kNhwcPlanes) {
      for (int plane = 0; plane < P.p.c; ++plane) {
        ShiftRoundRows<kRows, 0, true>(P.p, band + plane * PlaneBytes(P), worker, workers, P.p.band_rows,
                                       P.lo_offset);
      }
    } else {
#pragma unroll
      for (int phase = 0; phase < kPhases; ++phase) {
        ShiftRoundBandRows<kRows>(P.p, band + phase * PlaneBytes(P), worker, workers, TensorCopyShift(P.p, phase),
                                  P.lo_offset);
      }
    }
  }

  // Copies band rows (c, r) with r = worker, worker + workers, ... through registers, rounding to TF32 on
  // the way and writing zeros outside the image: kElements-float loads (2 when W, pad_w and x are even,
  // so that a pair is wholly inside or outside the image; else 1), kRows rows x kLoads loads per lane in
  // flight. A lane's elements of one row are kElements * (lane + 32 i) ... in the chunk layout.
  // Channel by channel, or with kAcrossChannels in passes across channels (row c * band_rows + r): each
  // pass waits for its loads, so fewer passes mean less latency when the rows of one channel are too few
  // to fill a pass. One-row tiles (N = 1), whose channels have only the kernel's height of rows, copy
  // across channels; taller tiles keep a pass per channel, since across channels was faster for some
  // configs and slower for others (NOTES v4, v5).
  // `start` is the input column of the band's first float (-pad_w, or a plane's PlaneStart). With kSplit, each
  // value's TF32 remainder goes `lo_offset` bytes on.
  template <int kElements, bool kAcrossChannels, int kRows>
  static __device__ __forceinline__ void CopyBandRows(const StemParams& p, const Tile& tile, unsigned char* band,
                                                      int worker, int workers, int start, int lo_offset = 0) {
    // Single 16-bit loads take 8 per row, with fewer rows (Produce): as many in flight as fp32's 4 x 8.
    constexpr int kLoads = kType != 0 && kElements == 1 ? 8 : 4, kSpan = 32 * kElements * kLoads;  // floats per pass
    // As loaded: fp32 floats or pairs; 16-bit elements or pairs of them (one 32-bit word), widened at the store.
    using Vec = typename std::conditional<kElements == 2, typename std::conditional<kType == 0, float2, uint32_t>::type,
                                          RawElement<kType>>::type;
    const int lane = threadIdx.x % 32;
    const int groups = kAcrossChannels ? 1 : p.c;  // copied one after the other
    const int group_rows = kAcrossChannels ? p.c * p.band_rows : p.band_rows;
    // Pointer arithmetic in the element type: 64-bit indices instead cost the fp32 kernel spills (ptxas).
    using Element = RawElement<kType>;
    const Element* x_image =
        static_cast<const Element*>(static_cast<const void*>(p.x)) + static_cast<int64_t>(tile.image) * p.c * p.h * p.w_in;
    for (int group = 0; group < groups; ++group) {
      const Element* x_group = x_image + static_cast<int64_t>(group) * p.h * p.w_in;
      float* band_group = reinterpret_cast<float*>(band) + static_cast<int64_t>(group) * p.band_rows * p.row_floats;
      for (int r0 = worker; r0 < group_rows; r0 += kRows * workers) {
        for (int pos0 = kElements * lane; pos0 < p.row_floats; pos0 += kSpan) {
          Vec v[kRows][kLoads];
#pragma unroll
          for (int i = 0; i < kRows; ++i) {
            const int r = r0 + i * workers;
            int c = 0, row_in_channel = r;
            if constexpr (kAcrossChannels) {
              c = r / p.band_rows;
              row_in_channel = r - c * p.band_rows;
            }
            const int ih = tile.ih0 + row_in_channel;
            const bool row_valid = r < group_rows && static_cast<unsigned>(ih) < static_cast<unsigned>(p.h);
            const Element* src =
                x_group + (static_cast<int64_t>(row_valid ? c : 0) * p.h + (row_valid ? ih : 0)) * p.w_in + start;
#pragma unroll
            for (int j = 0; j < kLoads; ++j) {
              const int pos = pos0 + 32 * kElements * j, col = pos + start;
              const bool valid = row_valid && static_cast<unsigned>(col) < static_cast<unsigned>(p.w_in);
              v[i][j] = valid ? __ldg(reinterpret_cast<const Vec*>(src + pos)) : Vec{};
            }
          }
#pragma unroll
          for (int i = 0; i < kRows; ++i) {
            const int r = r0 + i * workers;
#pragma unroll
            for (int j = 0; j < kLoads; ++j) {
              const int pos = pos0 + 32 * kElements * j;
              if (r >= group_rows || pos >= p.row_floats) continue;
              float* dst = band_group + static_cast<int64_t>(r) * p.row_floats + pos;
              if constexpr (kElements == 2 && kType == 0) {
                const float2 big = make_float2(__uint_as_float(ToTf32(v[i][j].x)), __uint_as_float(ToTf32(v[i][j].y)));
                *reinterpret_cast<float2*>(dst) = big;
                if constexpr (kSplit) {
                  *reinterpret_cast<float2*>(reinterpret_cast<unsigned char*>(dst) + lo_offset) =
                      make_float2(Remainder(v[i][j].x, big.x), Remainder(v[i][j].y, big.y));
                }
              } else if constexpr (kElements == 2) {  // the pair's first element is the word's low half
                *reinterpret_cast<float2*>(dst) = WidenPair<kType>(v[i][j]);
              } else {
                const float value = WidenRaw<kType>(v[i][j]), big = __uint_as_float(ToTf32(value));
                *dst = big;
                if constexpr (kSplit) *reinterpret_cast<float*>(reinterpret_cast<unsigned char*>(dst) + lo_offset) = Remainder(value, big);
              }
            }
          }
        }
      }
    }
  }

  // CopyBandRows for NHWC input, into the plane layout (nhwc_planes.h): band row r is input row ih0 + r from
  // element `start` on (4 * the band's first group; negative left of the image), one run of C * row_floats
  // elements. Consecutive lanes load consecutive elements (every load coalesced, every byte loaded once), and
  // element f of the run goes to group f / 4: plane (f / 4) % C, position (f / 4) / C. Elements outside the
  // row are zeros. kElements = 2 loads 16-bit elements in pairs (one 32-bit word; the launch's
  // pair_copies: W * C even and x 4-byte aligned, so a pair is wholly inside or outside the row, and within
  // one group), which halves the producers' loads per byte. Warp `worker` of `workers` takes band rows
  // worker, + workers, ..., kRows of them x kLoads loads per lane in flight.
  template <int kElements, int kRows>
  static __device__ __forceinline__ void CopyBandRowsNhwc(const StemWgmmaParams& P, const Tile& tile,
                                                          unsigned char* band, int worker, int workers, int start) {
    static_assert(kElements == 1 || kType != 0, "pairs of 16-bit elements only");
    constexpr int kLoads = 4, kStep = 32 * kElements;  // elements per load of the warp
    const StemParams& p = P.p;
    using Element = RawElement<kType>;
    using Vec = typename std::conditional<kElements == 2, uint32_t, Element>::type;
    const int lane = threadIdx.x % 32;
    const int run = p.row_floats * p.c, row_elements = p.w_in * p.c;
    const int plane_floats = PlaneBytes(P) / 4;
    // A lane's group moves kStep / 4 on per load: its position by that / C and its plane by that % C, with a
    // carry (the producers are three warps, so their instructions per element count).
    const int position_step = kStep / 4 / p.c, plane_step = kStep / 4 % p.c;
    const Element* x_image = static_cast<const Element*>(static_cast<const void*>(p.x)) +
                             static_cast<int64_t>(tile.image) * p.h * p.w_in * p.c;
    float* const band_floats = reinterpret_cast<float*>(band);
    const int first = kElements * lane;  // the lane's first element of each load
    for (int r0 = worker; r0 < p.band_rows; r0 += kRows * workers) {
      int plane = (first / 4) % p.c, position = (first / 4) / p.c;  // of element first + e0
      for (int e0 = 0; e0 < run; e0 += kStep * kLoads) {
        // Per load: where its element goes in row 0 of the band (-1: past the run), and whether it is inside
        // the input row; the rows then add only their own offset.
        int offset[kLoads];
        bool inside[kLoads];
#pragma unroll
        for (int j = 0; j < kLoads; ++j) {
          const int f = e0 + kStep * j + first;
          offset[j] = f < run ? plane * plane_floats + position * 4 + first % 4 : -1;
          inside[j] = static_cast<unsigned>(start + f) < static_cast<unsigned>(row_elements);
          position += position_step;
          plane += plane_step;
          if (plane >= p.c) {
            plane -= p.c;
            ++position;
          }
        }
        Vec v[kRows][kLoads];
#pragma unroll
        for (int i = 0; i < kRows; ++i) {
          const int r = r0 + i * workers, ih = tile.ih0 + r;
          const bool row_valid = r < p.band_rows && static_cast<unsigned>(ih) < static_cast<unsigned>(p.h);
          const Element* src = x_image + static_cast<int64_t>(row_valid ? ih : 0) * row_elements + start + e0 + first;
#pragma unroll
          for (int j = 0; j < kLoads; ++j) {
            v[i][j] = row_valid && inside[j] ? __ldg(reinterpret_cast<const Vec*>(src + kStep * j)) : Vec{};
          }
        }
#pragma unroll
        for (int i = 0; i < kRows; ++i) {
          const int r = r0 + i * workers;
          if (r >= p.band_rows) continue;
          float* const row = band_floats + r * p.row_floats;
#pragma unroll
          for (int j = 0; j < kLoads; ++j) {
            if (offset[j] < 0) continue;
            if constexpr (kElements == 2) {  // exact in TF32: no rounding; the pair's first element is the low half
              *reinterpret_cast<float2*>(row + offset[j]) = WidenPair<kType>(v[i][j]);
            } else {
              const float value = WidenRaw<kType>(v[i][j]), big = __uint_as_float(ToTf32(value));
              row[offset[j]] = big;
              if constexpr (kSplit) {  // the remainder, P.lo_offset bytes on
                *reinterpret_cast<float*>(reinterpret_cast<unsigned char*>(row + offset[j]) + P.lo_offset) =
                    Remainder(value, big);
              }
            }
          }
        }
      }
    }
  }

  // The band of an NHWC tile at horizontal stride 2 or 1 through registers, into the plane at `plane` (where no
  // tensor copy runs: x not 16-byte aligned, rows not whole 16-byte groups, column tiles): float f of plane row
  // (c, r) is channel c of input column start + f of row ih0 + r, zeros outside the image. Rows (c, r) worker,
  // worker + workers, ... across channels; lanes on consecutive floats (loads C elements apart), kRows rows x 4
  // loads per lane in flight.
  template <int kRows>
  static __device__ __forceinline__ void CopyBandRowsGathered(const StemParams& p, const Tile& tile, unsigned char* plane,
                                                              int worker, int workers, int start) {
    constexpr int kLoads = 4;
    using Element = RawElement<kType>;
    const int lane = threadIdx.x % 32, rows = p.c * p.band_rows;
    const Element* const x_image = static_cast<const Element*>(static_cast<const void*>(p.x)) +
                                   static_cast<int64_t>(tile.image) * p.h * p.w_in * p.c;
    float* const out = reinterpret_cast<float*>(plane);
    for (int row0 = worker; row0 < rows; row0 += kRows * workers) {
      for (int pos0 = lane; pos0 < p.row_floats; pos0 += 32 * kLoads) {
        Element v[kRows][kLoads];
#pragma unroll
        for (int i = 0; i < kRows; ++i) {
          const int row = row0 + i * workers, c = row < rows ? row / p.band_rows : 0;
          const int ih = tile.ih0 + (row < rows ? row - c * p.band_rows : 0);
          const bool row_valid = row < rows && static_cast<unsigned>(ih) < static_cast<unsigned>(p.h);
          const Element* const src = x_image + static_cast<int64_t>(row_valid ? ih : 0) * p.w_in * p.c + c;
#pragma unroll
          for (int j = 0; j < kLoads; ++j) {
            const int pos = pos0 + 32 * j, col = start + pos;
            const bool valid = row_valid && pos < p.row_floats && static_cast<unsigned>(col) < static_cast<unsigned>(p.w_in);
            v[i][j] = valid ? __ldg(src + static_cast<int64_t>(valid ? col : 0) * p.c) : Element{};
          }
        }
#pragma unroll
        for (int i = 0; i < kRows; ++i) {
          const int row = row0 + i * workers;
#pragma unroll
          for (int j = 0; j < kLoads; ++j) {
            const int pos = pos0 + 32 * j;
            if (row < rows && pos < p.row_floats) out[static_cast<int64_t>(row) * p.row_floats + pos] = AsBand(v[i][j]);
          }
        }
      }
    }
  }

  // Copies a 16-bit NCHW band into the pair-row layout (families/stem_common/pair_rows.h) through registers,
  // in the type: pair row i of channel c (band rows 2i and 2i + 1, input rows ih0 + 2i ...) is row_floats / 4
  // units of 16 bytes, unit u the elements start + 4u ... + 3 of the even row, then of the odd one; zeros
  // outside the image and past the band's rows. A unit is four 32-bit words: with kPairs (the launch's
  // pair_copies: W and pad_w even, x aligned, so that a word is wholly inside or outside the row) one load
  // each, else two 16-bit loads each. Pair rows are walked across channels (c * pair rows + i): worker,
  // worker + workers, ..., kRows of them x kUnits units per lane, every load of a batch issued before any
  // store (raw: a value used at its load made ptxas wait for each load in turn).
  // NHWC (nhwc_pair_rows.h): `start` is the element of the band's first group in an input row, unit u of pair row
  // (c, i) is elements start + 4 * (u * C + c) ... + 3 of its rows, and a word is wholly inside or outside a row
  // when the launch's pair_copies says W * C is even (NhwcPairCopies).
  template <bool kPairs, int kRows, int kUnits>
  static __device__ __forceinline__ void CopyPairRows(const StemWgmmaParams& P, const Tile& tile, unsigned char* band,
                                                      int worker, int workers, int start) {
    const StemParams& p = P.p;
    constexpr int kWords = 4, kLoads = kPairs ? kWords : 2 * kWords;  // per unit
    using Raw = typename std::conditional<kPairs, uint32_t, uint16_t>::type;
    const int lane = threadIdx.x % 32;
    const int band_pairs = (p.band_rows + 1) / 2, total = p.c * band_pairs, units = p.row_floats / 4;
    const uint16_t* x_image = static_cast<const uint16_t*>(static_cast<const void*>(p.x)) +
                              static_cast<int64_t>(tile.image) * p.c * p.h * p.w_in;
    uint4* const band_units = reinterpret_cast<uint4*>(band);
    // Elements between a row's consecutive units, and in a row (NHWC: of all its channels).
    const int unit_elements = kNhwc ? 4 * p.c : 4, row_elements = kNhwc ? p.w_in * p.c : p.w_in;
    const int plane_units = PlaneBytes(P) / 16;
    for (int i0 = worker; i0 < total; i0 += kRows * workers) {
      for (int u0 = lane; u0 < units; u0 += 32 * kUnits) {
        Raw v[kRows][kUnits][kLoads];
#pragma unroll
        for (int i = 0; i < kRows; ++i) {
          const int pair_row = i0 + i * workers, c = pair_row / band_pairs, pair = pair_row - c * band_pairs;
#pragma unroll
          for (int h = 0; h < 2; ++h) {  // the even band row, then the odd one
            const int band_row = 2 * pair + h, ih = tile.ih0 + band_row;
            const bool row_valid = pair_row < total && band_row < p.band_rows &&
                                   static_cast<unsigned>(ih) < static_cast<unsigned>(p.h);
            // The row's first element of unit 0: NHWC's channel c is its plane's group within each pixel step.
            const int first = start + (kNhwc && row_valid ? 4 * c : 0);
            const uint16_t* src =
                x_image + (kNhwc ? static_cast<int64_t>(row_valid ? ih : 0) * row_elements
                                 : (static_cast<int64_t>(row_valid ? c : 0) * p.h + (row_valid ? ih : 0)) * p.w_in) +
                first;
#pragma unroll
            for (int l = 0; l < kUnits; ++l) {
              const int pos0 = unit_elements * (u0 + 32 * l);  // the unit's first element from `first`
#pragma unroll
              for (int k = 0; k < kLoads / 2; ++k) {  // this row's loads of the unit
                const int pos = pos0 + (kPairs ? 2 : 1) * k;
                const bool valid = row_valid && static_cast<unsigned>(first + pos) < static_cast<unsigned>(row_elements);
                if constexpr (kPairs) {
                  v[i][l][h * kLoads / 2 + k] = valid ? __ldg(reinterpret_cast<const uint32_t*>(src + pos)) : 0u;
                } else {
                  v[i][l][h * kLoads / 2 + k] = valid ? __ldg(src + pos) : uint16_t{0};
                }
              }
            }
          }
        }
#pragma unroll
        for (int i = 0; i < kRows; ++i) {
          const int pair_row = i0 + i * workers;
#pragma unroll
          for (int l = 0; l < kUnits; ++l) {
            const int u = u0 + 32 * l;
            if (pair_row >= total || u >= units) continue;
            uint32_t word[kWords];
#pragma unroll
            for (int k = 0; k < kWords; ++k) {  // a word's first element is its low half
              if constexpr (kPairs) {
                word[k] = v[i][l][k];
              } else {
                word[k] = static_cast<uint32_t>(v[i][l][2 * k]) | static_cast<uint32_t>(v[i][l][2 * k + 1]) << 16;
              }
            }
            band_units[UnitIndex(pair_row, band_pairs, units, plane_units) + u] =
                make_uint4(word[0], word[1], word[2], word[3]);
          }
        }
      }
    }
  }

  // CopyBandRows into every plane, with pairs of floats where the launch allows (p.pair_copies) and the
  // plane starts at an even column (a pair is then wholly inside or outside the image), else single floats.
  template <bool kAcrossChannels, int kRows>
  static __device__ __forceinline__ void CopyBand(const StemWgmmaParams& P, const Tile& tile, unsigned char* band,
                                                  int worker, int workers) {
    const StemParams& p = P.p;
    if constexpr (kPairRows) {
      // kRows band rows of CopyBandRows' batch are kRows / 2 pair rows (a quarter with 16-bit loads, 8 a unit),
      // 2 units a lane: as many loads in flight (one-row tiles copy a band in one batch). In 32-bit words where
      // the launch allows (p.pair_copies) and the plane starts at an even column.
      constexpr int kPairBatch = kRows / 2 > 0 ? kRows / 2 : 1, kSingleBatch = kRows / 4 > 0 ? kRows / 4 : 1;
#pragma unroll
      for (int phase = 0; phase < kPhases; ++phase) {
        unsigned char* const plane = kPhases == 1 ? band : band + phase * PlaneBytes(P);
        // NHWC (one phase): the element of the band's first group, as CopyBandRowsNhwc's.
        const int start = kNhwc ? 4 * p.c * (tile.q0 + P.first_position) : PlaneStart(p, phase) + tile.q0 * kStrideW;
        if (p.pair_copies && (kStrideW % 2 == 0 || phase % 2 == 0)) {
          CopyPairRows<true, kPairBatch, 2>(P, tile, plane, worker, workers, start);
        } else {
          CopyPairRows<false, kSingleBatch, 2>(P, tile, plane, worker, workers, start);
        }
      }
    } else if constexpr (kNhwc && !kNhwcPlanes) {  // strides 2 and 1: each phase's plane gathered
#pragma unroll
      for (int phase = 0; phase < kPhases; ++phase) {
        CopyBandRowsGathered<kRows>(p, tile, band + phase * PlaneBytes(P), worker, workers,
                                    PlaneStart(p, phase) + tile.q0 * kStrideW);
      }
    } else if constexpr (kNhwc) {  // the plane layout (stride 4: one phase), from the band's first group
      const int start = 4 * p.c * (tile.q0 + P.first_position);
      if (kType != 0 && p.pair_copies) {
        CopyBandRowsNhwc<kType != 0 ? 2 : 1, kRows>(P, tile, band, worker, workers, start);
      } else {
        CopyBandRowsNhwc<1, kRows>(P, tile, band, worker, workers, start);
      }
    } else {
#pragma unroll
      for (int phase = 0; phase < kPhases; ++phase) {
        unsigned char* plane = band + phase * PlaneBytes(P);
        const int start = PlaneStart(p, phase) + tile.q0 * kStrideW;  // q0: a multiple of kPhases
        if (p.pair_copies && (kStrideW % 2 == 0 || phase % 2 == 0)) {
          CopyBandRows<2, kAcrossChannels, kRows>(p, tile, plane, worker, workers, start, P.lo_offset);
        } else {
          CopyBandRows<1, kAcrossChannels, kRows>(p, tile, plane, worker, workers, start, P.lo_offset);
        }
      }
    }
  }

  // The band of an fp32 NHWC tile at stride 4 by 16-byte asynchronous copies from the band warps' threads, laid
  // out as the tensor copy lays it (nhwc_planes.h): band row r's group i (input row ih0 + r, its group
  // (q0 + first_position) * C + i) goes to plane i % C, position i / C, and groups outside the row, or rows
  // outside the image, are zeros. The tensor copy's box is one group wide (a plane's groups are C groups apart),
  // so it asks for every 16 bytes on their own; here consecutive lanes copy consecutive groups of a row, and a
  // warp's copy reads 512 contiguous bytes. A lane takes its groups i = lane, lane + 32, ... down the worker's rows,
  // so that a group's plane, position and column test are found once for all the rows, not once a copy: the
  // band warps issue these copies beside the rounding pass (and 3xTF32's remainders), and a copy costs the row's
  // address and test only. Each thread arrives on `landed` once its copies have landed (its count: the band
  // warps' threads). Requires W * C % 4 == 0 (no group straddles two rows) and x 16-byte aligned.
  static __device__ __forceinline__ void CopyBandNhwcAsync(const StemWgmmaParams& P, const Tile& tile,
                                                           unsigned char* band, int worker, int workers,
                                                           uint32_t landed) {
    const StemParams& p = P.p;
    const int lane = threadIdx.x % 32;
    const int groups = p.row_floats / 4 * p.c;  // per band row: row_floats / 4 positions in each of C planes
    const int row_groups = p.w_in * p.c / 4, first = (tile.q0 + P.first_position) * p.c;
    const int plane_bytes = PlaneBytes(P), row_bytes = p.row_floats * 4;
    const int64_t input_row = static_cast<int64_t>(p.w_in) * p.c;
    const float* const x_image = p.x + static_cast<int64_t>(tile.image) * p.h * input_row;
    const uint32_t worker_address = SharedAddress(band) + worker * row_bytes, address_step = workers * row_bytes;
    // Source addresses as integers, stepped a row at a time (a 64-bit product a copy otherwise, ptxas), made a
    // pointer only where the row is in the image (above it, the integer is before x).
    const uint64_t image_address = reinterpret_cast<uint64_t>(x_image);
    const uint64_t worker_row =
        image_address + static_cast<uint64_t>(static_cast<int64_t>(tile.ih0 + worker) * input_row * 4);
    const uint64_t row_step = static_cast<uint64_t>(workers * input_row * 4);
    const int end_row = tile.ih0 + p.band_rows;
    NhwcGroupWalk at = NhwcGroupWalk::Start(p.c, lane, 32);  // first is a multiple of C
    for (int i = lane; i < groups; i += 32, at.Advance(p.c)) {
      const int g = first + i;
      const bool column_valid = static_cast<unsigned>(g) < static_cast<unsigned>(row_groups);
      uint64_t source = worker_row + 16 * static_cast<int64_t>(g);
      uint32_t address = worker_address + at.plane * plane_bytes + at.position * 16;
      for (int ih = tile.ih0 + worker; ih < end_row; ih += workers, address += address_step, source += row_step) {
        const bool valid = column_valid && static_cast<unsigned>(ih) < static_cast<unsigned>(p.h);
        CopyAsync16(address, reinterpret_cast<const void*>(valid ? source : image_address), valid);
      }
    }
    MbarrierArriveOnAsyncCopies(landed);
  }

  // The first band, copied by the band warps and the idle consumer warps together, `worker` of
  // kBandWarps + kWarps, in one pass across channels where the rows allow (the consumer warps'
  // accumulators are not live yet; smaller passes for configs with fewer registers).
  static __device__ __forceinline__ void CopyFirstBand(const StemWgmmaParams& P, const Tile& tile, unsigned char* band,
                                                       int worker) {
    CopyBand<true, kWarps == 4 ? 12 : kWarps == 8 ? 8 : 4>(P, tile, band, worker, kBandWarps + kWarps);
  }

  // The tensor copy of `tile`'s band into band buffer b, completing on its band_landed barrier (one thread).
  // One tensor copy per plane, each from its chunk layout's first column rounded down to a multiple of 4 (an
  // innermost start that is not 16-byte aligned faults), all completing on one barrier. An NHWC band is one copy
  // per plane (nhwc_planes.h), each at the band's first pixel step; a pair-row or widened band one copy of its raw
  // rows, at raw_offset.
  static __device__ __forceinline__ void IssueBandCopy(const StemWgmmaParams& P, const Shared& sh, const Tile& tile,
                                                       int b) {
    const StemParams& p = P.p;
    unsigned char* const band = sh.Band(b);
    if constexpr (kRawRows) {  // raw rows at raw_offset (past the planes, or the staging too); whole rows (q0 = 0)
      MbarrierArriveExpectTx(sh.band_landed + 8 * b, P.band_box_bytes);
      const int start = WidenedRawStart(PlaneStart(p, 0));
      if constexpr (kNhwc) {  // rows as groups of raw_group elements: start (8 pixels) * C elements is whole groups
        TensorCopyToShared4D(SharedAddress(band + P.raw_offset), P.band_map, 0, start * p.c / P.raw_group, tile.ih0,
                             tile.image, sh.band_landed + 8 * b);
      } else {
        TensorCopyToShared4D(SharedAddress(band + P.raw_offset), P.band_map, start, tile.ih0, 0, tile.image,
                             sh.band_landed + 8 * b);
      }
    } else if constexpr (kNhwc) {
      MbarrierArriveExpectTx(sh.band_landed + 8 * b, p.c * P.band_box_bytes);
      for (int plane = 0; plane < p.c; ++plane) {
        TensorCopyToShared5D(SharedAddress(band + plane * PlaneBytes(P)), P.band_map, 0, plane,
                             tile.q0 + P.first_position, tile.ih0, tile.image, sh.band_landed + 8 * b);
      }
    } else {
      MbarrierArriveExpectTx(sh.band_landed + 8 * b, kPhases * P.band_box_bytes);
#pragma unroll
      for (int phase = 0; phase < kPhases; ++phase) {
        TensorCopyToShared4D(SharedAddress(band + phase * PlaneBytes(P)), P.band_map,
                             PlaneStart(p, phase) - TensorCopyShift(p, phase) + tile.q0 * kStrideW, tile.ih0, 0,
                             tile.image, sh.band_landed + 8 * b);
      }
    }
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
      if (P.resident_weights) {  // every stage its own slot, copied once: the block's tiles share one channel group
        if (first_tile < end_tile && lane == 0) {
          for (int s = 0; s < stages; ++s) {
            MbarrierArriveExpectTx(sh.full + 8 * s, kWeightStageBytes);
            BulkCopyToShared(sh.weights + s * kWeightStageBytes, w + static_cast<int64_t>(s) * kWeightStageBytes,
                             kWeightStageBytes, sh.full + 8 * s);
          }
          TimelineStamp(P, 7);
        }
        return;
      }
      uint32_t g = 0;  // weight stages issued so far
      Cursor cursor = CursorAt(P, first_tile);
      for (int index = first_tile; index < end_tile; ++index, cursor.Advance(P)) {
        const unsigned char* w_group = w + static_cast<int64_t>(cursor.group) * p.steps * kStepBytes;
        for (int s = 0; s < stages; ++s, ++g) {
          const uint32_t slot = g % kWstages;
          if (g >= kWstages) MbarrierWait(sh.empty + 8 * slot, (g / kWstages - 1) & 1);
          if (lane == 0) {
            MbarrierArriveExpectTx(sh.full + 8 * slot, kWeightStageBytes);
            BulkCopyToShared(sh.weights + slot * kWeightStageBytes, w_group + static_cast<int64_t>(s) * kWeightStageBytes,
                             kWeightStageBytes, sh.full + 8 * slot);
            if (g == stages - 1) TimelineStamp(P, 7);
          }
        }
      }
      return;
    }
    const int worker = producer - 1;
    Cursor cursor = CursorAt(P, first_tile);
    // Early raw rows (P.early_raw: their room lies past the staging, EarlyRawRows in planner.cc): the copy of a
    // band's raw rows goes out as soon as the band two tiles before has been laid out from that room, not after
    // its tile is written, so that the copy's latency hides behind that tile's math and epilogue. The first two
    // bands' copies go out at once; the third's at its turn, since the consumers help lay out the first band
    // and band_full does not count them.
    const bool early = kRawRows && P.early_raw && CopiesTensor(P);
    if (early && worker == 0 && lane == 0) {
      Cursor next = cursor;
      for (int local = 0; local < 2 && first_tile + local < end_tile; ++local, next.Advance(P)) {
        IssueBandCopy(P, sh, TileOf(P, next), local);
      }
    }
    for (int index = first_tile, local = 0; index < end_tile; ++index, ++local, cursor.Advance(P)) {
      const int b = local & 1;
      unsigned char* band = sh.Band(b);
      if (local >= 2) MbarrierWait(sh.band_empty + 8 * b, ((local >> 1) - 1) & 1);
      const Tile tile = TileOf(P, cursor);
      if (BandLands(P)) {
        if (CopiesAsync(P)) {
          CopyBandNhwcAsync(P, tile, band, worker, kBandWarps, sh.band_landed + 8 * b);
        } else if (worker == 0 && lane == 0 && !(early && local != 2)) {  // (early: issued two tiles ago)
          IssueBandCopy(P, sh, tile, b);
        }
        MbarrierWait(sh.band_landed + 8 * b, (local >> 1) & 1);
        const int workers = local == 0 ? kBandWarps + kWarps : kBandWarps;  // the consumers help with the first
        ShiftRoundBandPlanes<kRoundRows>(P, band, worker, workers);
      } else if (local == 0 && kConsumersHelpFirstBand) {
        CopyFirstBand(P, tile, band, worker);
      } else {
        // 16-bit NCHW inputs in batches of 4 rows (of 8 loads each): 8 cost the 12-warp configs spills (ptxas).
        CopyBand<kOneRowTiles, kOneRowTiles ? 12 : (kType == 0 || kNhwc ? 8 : 4)>(P, tile, band, worker, kBandWarps);
      }
      FenceProxyAsyncShared();  // the rounded band is read by wgmma, through the async proxy
      MbarrierArrive(sh.band_full + 8 * b);
      if (local < 2 && lane == 0 && worker == 0) TimelineStamp(P, local ? 13 : 8);
      if (early && local >= 1 && index + 2 < end_tile && worker == 0) {
        if (lane == 0) {  // every band warp has read the raw rows (each fenced them before its arrival)
          MbarrierWait(sh.band_full + 8 * b, (local >> 1) & 1);
          Cursor ahead = cursor;
          ahead.Advance(P);
          ahead.Advance(P);
          IssueBandCopy(P, sh, TileOf(P, ahead), b);
        }
        __syncwarp();
      }
    }
  }

  // Ping-pong's epilogue: warpgroup w stages and writes rows [w, w + 1) * rows_per_tile / 2 of the tile, as the
  // whole-tile epilogue below does all of them, without waiting for the other warpgroup. The first stages over the
  // band's raw rows, which nobody reads once the band is full, while the second still computes over its units; the
  // second stages at second_staging: over the units, whose reads ended when the first's math did (before the
  // second's began), or past the first's half (WithPingPong in planner.cc sizes both, at the half tile's
  // staging_stride).
  // `local`: the tile's index in the block, for the timeline probe's stamps of the first two tiles.
  static __device__ __forceinline__ void PingPongEpilogue(const StemWgmmaParams& P, const Shared& sh, int b,
                                                          int local, const Tile& tile, int channel0,
                                                          const int (&first)[kMt], const int (&rows)[kMt],
                                                          const float (&acc)[kMt][kNt * 4]) {
    const StemParams& p = P.p;
    const int warp = threadIdx.x / 32, warpgroup = warp / 4;
    // Probe slots 16 + 6 * local + 3 * warpgroup + (0 math done, 1 staged, 2 written) (TimelineStamp).
    auto stamp = [&](int step) {
      if (local < 2 && threadIdx.x % 128 == 0) TimelineStamp(P, 16 + 6 * local + 3 * warpgroup + step);
    };
    stamp(0);
    const int half_rows = P.rows_per_tile / 2;
    auto warpgroup_sync = [&] { NamedBarrierSync(kWarpgroupBarrier + warpgroup, 128); };
    Tile part = tile;  // whole rows: tile_columns is q
    part.m0 += warpgroup * half_rows * p.q;
    part.p0 += warpgroup * half_rows;
    int part_first[kMt];
#pragma unroll
    for (int mi = 0; mi < kMt; ++mi) part_first[mi] = first[mi] - warpgroup * half_rows * P.tile_columns;
    uint16_t* const staged16 = reinterpret_cast<uint16_t*>(sh.Band(b) + (warpgroup == 0 ? P.raw_offset : P.second_staging));
    if (warpgroup == 1) warpgroup_sync();  // every warp's wgmma reads of the units are done
    auto accumulator = [&](int mi, int ni, int v) { return acc[mi][4 * ni + v]; };
    WithRelu(p.relu, [&](auto relu) {
      StageTileInType<kType, kMt, kNt, kPhases>(staged16, P.staging_stride, part_first, rows, accumulator,
                                                sh.bias + channel0, TileRunHeads(p, part, channel0),
                                                decltype(relu)::value);
    });
    warpgroup_sync();
    stamp(1);
    if (part.m0 < p.pq) {  // a last tile's second half may hold no row of the image
      WriteTileInType<4>(p, part, staged16, P.staging_stride, half_rows * p.q, channel0, channel0 + kChannels, warp % 4,
                         4);
    }
    stamp(2);
    FenceProxyAsyncShared();  // this thread's accesses to the band come before the next copy into it
    MbarrierArrive(sh.band_empty + 8 * b);
  }

  static __device__ __forceinline__ void Consume(const StemWgmmaParams& P, const Shared& sh, int first_tile,
                                                 int end_tile) {
    const StemParams& p = P.p;
    const int warp = threadIdx.x / 32;
    const int stages = p.steps / kWsteps;
    // Piece (warp / 4) * kMt + mi is output row `row` of the tile, phase `phase` (output columns phase,
    // phase + kPhases, ... of the tile's), pixels x0 ... x0 + 63 of the phase; warp w of the warpgroup holds
    // its rows 16w ... 16w + 15 (slab[mi] on), staged from tile pixel first[mi] on (tile rows tile_columns
    // apart), kPhases apart, `rows` of them real (set per tile: a row's last column tile may be narrower).
    int first[kMt], rows[kMt], slab[kMt], phase_of[kMt];
    uint32_t piece_offset[kMt];  // band offset of the piece's first pixel at chunk 0
#pragma unroll
    for (int mi = 0; mi < kMt; ++mi) {
      const int piece = (warp / 4) * kMt + mi, row = piece / (kPhases * P.segments);
      const int phase = piece / P.segments % kPhases, x0 = 64 * (piece % P.segments);
      slab[mi] = x0 + (warp % 4) * 16;
      phase_of[mi] = phase;
      // Output row `row` starts row * stride_h band rows down: pair rows hold two (pair_rows.h).
      const int band_row_step = kPairRows ? p.stride_h / 2 : p.stride_h;
      piece_offset[mi] = static_cast<uint32_t>(phase * PlaneBytes(P) + row * band_row_step * p.row_floats * 4 + x0 * 16);
      first[mi] = row * P.tile_columns + slab[mi] * kPhases + phase;
    }
    auto consumers_sync = [] { NamedBarrierSync(kConsumerBarrier, kConsumers); };
    const int warpgroup = warp / 4;
    const bool pingpong = kMayPingPong && P.pingpong;
    const bool resident = P.resident_weights;
    // The consumers' own set-up, off the producers' path (their copies start at once): the bias (a load
    // from memory, used at the store only) and the step table.
    const int bias_floats = P.channel_groups * kChannels;  // every group's, zeros past K
    const float bias = threadIdx.x < bias_floats && p.bias != nullptr && threadIdx.x < p.k ? p.bias[threadIdx.x] : 0.f;
    // Step s reads chunks 2s and 2s+1: the start moves to the first, LBO is the second's distance (>= 0).
    for (int step = threadIdx.x; step < p.steps; step += kConsumers) {
      const int32_t first_chunk = p.chunk_offset[2 * step], second_chunk = p.chunk_offset[2 * step + 1];
      sh.step_delta[step] =
          (static_cast<uint32_t>(first_chunk) >> 4) | (static_cast<uint32_t>(second_chunk - first_chunk) >> 4 << 16);
    }
    if (BandLands(P) && first_tile < end_tile) {
      MbarrierWait(sh.band_landed, 0);
      ShiftRoundBandPlanes<kRoundRows>(P, sh.Band(0), kBandWarps + warp, kBandWarps + kWarps);
      FenceProxyAsyncShared();  // wgmma reads the band through the async proxy
    } else if (kConsumersHelpFirstBand && first_tile < end_tile) {
      CopyFirstBand(P, TileOf(P, CursorAt(P, first_tile)), sh.Band(0), kBandWarps + warp);
      FenceProxyAsyncShared();  // wgmma reads the band through the async proxy
    }
    if (threadIdx.x < bias_floats) sh.bias[threadIdx.x] = bias;
    for (int n = threadIdx.x + kConsumers; n < bias_floats; n += kConsumers) {  // more channels than consumers
      sh.bias[n] = p.bias != nullptr && n < p.k ? p.bias[n] : 0.f;
    }
    consumers_sync();
    // A stage's step deltas, loaded while the stage before it computes (the table is the same for every tile):
    // read after the stage's barrier, each delta's shared-memory latency stood before its wgmma (ncu: short
    // scoreboard stalls at the descriptors).
    uint32_t delta[kWsteps];
#pragma unroll
    for (int ks = 0; ks < kWsteps; ++ks) delta[ks] = sh.step_delta[ks];
    uint32_t g = 0;  // weight stages consumed so far
    Cursor cursor = CursorAt(P, first_tile);
    for (int index = first_tile, local = 0; index < end_tile; ++index, ++local, cursor.Advance(P)) {
      const int b = local & 1;
      const Tile tile = TileOf(P, cursor);
#pragma unroll
      for (int mi = 0; mi < kMt; ++mi) {  // the phase's pixels in the tile's row, past the slab
        rows[mi] = (tile.columns - phase_of[mi] + kPhases - 1) / kPhases - slab[mi];
      }
      // Descriptors: the low words (start address and LBO, in 16-byte units) change per step, the high
      // word (SBO = 128 bytes, no swizzle) never does.
      uint32_t a_low[kMt];
#pragma unroll
      for (int mi = 0; mi < kMt; ++mi) a_low[mi] = (SharedAddress(sh.Band(b)) + piece_offset[mi]) >> 4;
      // kAccSets accumulator sets per piece, steps alternating between them (summed at the end).
      float acc[kAccSets][kMt][kNt * 4];
#pragma unroll
      for (int set = 0; set < kAccSets; ++set)
#pragma unroll
        for (int mi = 0; mi < kMt; ++mi)
#pragma unroll
          for (int i = 0; i < kNt * 4; ++i) acc[set][mi][i] = 0.f;
      MbarrierWait(sh.band_full + 8 * b, (local >> 1) & 1);
      if (local < 2 && threadIdx.x == 0) TimelineStamp(P, local ? 9 : 2);
      // Ping-pong: this warpgroup's turn at the tensor pipe comes when the other's math is done.
      if (pingpong && (warpgroup == 1 || local > 0)) NamedBarrierSync(kTurnBarrier + warpgroup, kConsumers);

      for (int s = 0; s < stages; ++s, ++g) {
        const uint32_t slot = resident ? s : g % kWstages;
        if (!resident || local == 0) MbarrierWait(sh.full + 8 * slot, resident ? 0 : (g / kWstages) & 1);
        const uint32_t b_low = ((sh.weights + slot * kWeightStageBytes) >> 4) | ((kChannels * 16 >> 4) << 16);
        WgmmaFence();
#pragma unroll
        for (int ks = 0; ks < kWsteps; ++ks) {
          const uint32_t step_delta = delta[ks];
          const uint64_t b_desc = kDescriptorHigh | (b_low + ks * (kStepBytes >> 4));
#pragma unroll
          for (int mi = 0; mi < kMt; ++mi) {
            const uint64_t a_desc = kDescriptorHigh | (a_low[mi] + step_delta);
            if constexpr (kSplit) {  // the remainders: the band's lo_offset bytes on, the step's image after it
              Mma(acc[ks % kBigSets][mi], a_desc, b_desc);
              Mma(acc[kBigSets][mi], a_desc, b_desc + (L.weight_step_bytes >> 4));
              Mma(acc[kBigSets][mi], a_desc + (static_cast<uint32_t>(P.lo_offset) >> 4), b_desc);
            } else {
              Mma(acc[ks % kAccSets][mi], a_desc, b_desc);
            }
          }
        }
        const int next = s + 1 < stages ? s + 1 : 0;  // the next stage's, or the next tile's first
#pragma unroll
        for (int ks = 0; ks < kWsteps; ++ks) delta[ks] = sh.step_delta[next * kWsteps + ks];
        WgmmaCommitGroup();
        if (s > 0 && !resident) {  // the previous stage's group has retired: free its slot
          WgmmaWaitGroup<1>();
          MbarrierArrive(sh.empty + 8 * ((g - 1) % kWstages));
        }
      }
      WgmmaWaitGroup<0>();
      if (local < 2 && threadIdx.x == 0) TimelineStamp(P, local ? 10 : 3);
      if (!resident) MbarrierArrive(sh.empty + 8 * ((g - 1) % kWstages));
      // The other warpgroup's turn (after the block's last tile the first warpgroup takes none).
      if (pingpong && (warpgroup == 0 || index + 1 < end_tile)) NamedBarrierArrive(kTurnBarrier + 1 - warpgroup, kConsumers);
#pragma unroll
      for (int mi = 0; mi < kMt; ++mi)
#pragma unroll
        for (int i = 0; i < kNt * 4; ++i) {
#pragma unroll
          for (int set = 0; set < kAccSets; ++set) FenceOperand(acc[set][mi][i]);
          constexpr int kSummed = kSplit ? kBigSets : kAccSets;
#pragma unroll
          for (int set = 1; set < kSummed; ++set) acc[0][mi][i] += acc[set][mi][i];
          if constexpr (kSplit) acc[0][mi][i] += FiniteCrossProducts(acc[kBigSets][mi][i]);
        }

      const int channel0 = cursor.group * kChannels;
      if constexpr (kMayPingPong) {
        if (pingpong) {
          PingPongEpilogue(P, sh, b, local, tile, channel0, first, rows, acc[0]);
          continue;
        }
      }
      // The epilogue over the finished band, which holds the tile's kChannels staged channels.
      consumers_sync();  // every warpgroup's wgmma reads of the band are done
      float* staged = reinterpret_cast<float*>(sh.Band(b));
      auto accumulator = [&](int mi, int ni, int v) { return acc[0][mi][4 * ni + v]; };
      if constexpr (kStagesInType) {
        if (P.column_tiles == 1) {  // in the 16-bit type, bias and ReLU applied (stem_tile_in_type.cuh)
          uint16_t* const staged16 = reinterpret_cast<uint16_t*>(sh.Band(b));
          // One staging loop per ReLU setting: a compare and select per output cost ~25% of the staging's
          // instructions (SASS of k3x9), and the staging bounds the consumers with the write.
          WithRelu(p.relu, [&](auto relu) {
            StageTileInType<kType, kMt, kNt, kPhases>(staged16, P.staging_stride, first, rows, accumulator,
                                                      sh.bias + channel0, TileRunHeads(p, tile, channel0),
                                                      decltype(relu)::value);
          });
          if (P.bulk_write == kBulkWriteConsumers) FenceProxyAsyncShared();  // the copy engine reads the staging
          consumers_sync();
          if (local < 2 && threadIdx.x == 0) TimelineStamp(P, local ? 11 : 4);
          // Four channels a pass, their loads in flight together (one-row tiles one: a cold instruction cache).
          if (P.bulk_write == kBulkWriteConsumers) {
            WriteTileInTypeBulk<kOneRowTiles ? 1 : 4>(p, tile, staged16, P.staging_stride, P.rows_per_tile * p.q,
                                                      channel0, channel0 + kChannels, warp, kWarps);
          } else {
            WriteTileInType<kOneRowTiles ? 1 : 4>(p, tile, staged16, P.staging_stride, P.rows_per_tile * p.q,
                                                  channel0, channel0 + kChannels, warp, kWarps);
          }
          FenceProxyAsyncShared();  // this thread's accesses to the band come before the next copy into it
          MbarrierArrive(sh.band_empty + 8 * b);
          if (local < 2 && threadIdx.x == 0) TimelineStamp(P, local ? 12 : 5);
          continue;
        }
      }
      if constexpr (kNhwc && kType != 0) {
        if (P.nhwc_bulk && reinterpret_cast<uintptr_t>(p.y) % 16 == 0) {  // the tile's output as one run, one copy
          uint16_t* const staged16 = reinterpret_cast<uint16_t*>(sh.Band(b));
          WithRelu(p.relu, [&](auto relu) {
            StageTilePixelsInType<kType, kMt, kNt, kPhases>(staged16, p.k, first, rows, accumulator, sh.bias,
                                                            decltype(relu)::value);
          });
          FenceProxyAsyncShared();  // the copy engine reads the staging
          consumers_sync();
          if (local < 2 && threadIdx.x == 0) TimelineStamp(P, local ? 11 : 4);
          if (threadIdx.x == 0) {
            const int tile_rows = min(P.rows_per_tile, p.p - tile.p0);
            const int64_t first_element = (static_cast<int64_t>(tile.image) * p.pq + static_cast<int64_t>(tile.p0) * p.q) * p.k;
            BulkCopyToGlobal(reinterpret_cast<uint16_t*>(p.y) + first_element, SharedAddress(staged16),
                             static_cast<uint32_t>(tile_rows * p.q * p.k * 2));
            BulkCommitGroup();
            BulkWaitGroupsRead();  // the copy has read the staging: the band may be refilled
          }
          MbarrierArrive(sh.band_empty + 8 * b);
          if (local < 2 && threadIdx.x == 0) TimelineStamp(P, local ? 12 : 5);
          continue;
        }
      }
      if constexpr (kNhwc) {
        StageTilePixels<kMt, kNt, kPhases>(staged, P.staging_stride, first, rows, accumulator);
      } else {
        StageTile<kMt, 0, kNt, kPhases>(staged, P.staging_stride, first, rows, accumulator);
      }
      consumers_sync();
      if (local < 2 && threadIdx.x == 0) TimelineStamp(P, local ? 11 : 4);
      // A one-row tile's runs are q pixels (two 32-pixel chunks for AlexNet), a 3- or 4-row tile's 3 q or 4 q.
      constexpr int kChunks = kOneRowTiles ? 2 : 8;
      if constexpr (kNhwc) {  // whole rows or a column tile: rows tile_columns apart in the staging
        if (p.k % 4 == 0 && reinterpret_cast<uintptr_t>(p.y) % (kType == 0 ? 16 : 8) == 0) {
          WriteTileNhwcPixels<kChannels, 4, kType>(p, tile, staged, P.staging_stride, P.rows_per_tile, P.tile_columns,
                                                   P.div_tile_columns, channel0, channel0 + kChannels, warp, kWarps,
                                                   sh.bias);
        } else {
          WriteTileNhwcPixels<kChannels, 1, kType>(p, tile, staged, P.staging_stride, P.rows_per_tile, P.tile_columns,
                                                   P.div_tile_columns, channel0, channel0 + kChannels, warp, kWarps,
                                                   sh.bias);
        }
      } else if (P.column_tiles == 1) {
        // (The pair-row kernels' and the 16-bit kernels' at stride 1 went out in the type, above. The 16-bit
        // widened kernels here, at strides 4 and 2, store single elements: at stride 2, MobileNet's 3x3/2 took
        // 56.2 us so (with the step deltas loaded a stage ahead) against 59.0 with the paired stores before, same
        // run on an H100, NOTES thirtieth session.)
        WriteTile<kChunks, 1, kType>(p, tile, staged, P.staging_stride, P.rows_per_tile * p.q, channel0,
                                     channel0 + kChannels, warp, kWarps, sh.bias);
      } else {  // a column tile's rows: runs of at most 64 * kPhases pixels, one per piece and phase
        WriteColumnTile<2 * kPhases, kColumnTileRows, kType>(p, tile, staged, P.staging_stride, P.rows_per_tile,
                                                             P.tile_columns, channel0, channel0 + kChannels, warp,
                                                             kWarps, sh.bias);
      }
      FenceProxyAsyncShared();  // this thread's accesses to the band come before the next copy into it
      MbarrierArrive(sh.band_empty + 8 * b);
      if (local < 2 && threadIdx.x == 0) TimelineStamp(P, local ? 12 : 5);
    }
    if constexpr (kStagesInType) {
      if (P.bulk_write == kBulkWriteConsumers) BulkWaitGroups();  // this thread's bulk copies to y have completed
    }
    if constexpr (kNhwc && kType != 0) {
      if (P.nhwc_bulk && threadIdx.x == 0) BulkWaitGroups();
    }
    if (threadIdx.x == 0) {
      TimelineStamp(P, 6);
      TimelineStamp(P, 15);
    }
  }

  static __device__ __forceinline__ void Run(const StemWgmmaParams& P) {
    extern __shared__ __align__(128) unsigned char smem[];
    const Shared sh = Layout(smem, P.p);
    const int first_tile = static_cast<int>(static_cast<int64_t>(blockIdx.x) * P.total_tiles / gridDim.x);
    const int end_tile = static_cast<int>(static_cast<int64_t>(blockIdx.x + 1) * P.total_tiles / gridDim.x);
    if (threadIdx.x == 0) {
      TimelineStamp(P, 0);
      TimelineStamp(P, 14);
      for (int s = 0; s < kWstages; ++s) {
        MbarrierInit(sh.full + 8 * s, 1);
        MbarrierInit(sh.empty + 8 * s, kConsumers);
      }
      for (int b = 0; b < 2; ++b) {
        MbarrierInit(sh.band_landed + 8 * b, CopiesAsync(P) ? 32 * kBandWarps : 1);
        MbarrierInit(sh.band_full + 8 * b, 32 * kBandWarps);
        MbarrierInit(sh.band_empty + 8 * b, kConsumers);
      }
      FenceMbarrierInit();
    }
    __syncthreads();  // the barriers are initialised
    if (threadIdx.x == 0) TimelineStamp(P, 1);
    if (threadIdx.x / 32 >= kWarps) {
      Produce(P, sh, first_tile, end_tile);
    } else {
      Consume(P, sh, first_tile, end_tile);
    }
  }
};

}  // namespace stem_wgmma
}  // namespace kconv

// The entry points per config (a constexpr stem_wgmma_tf32::Config): per element type (0 fp32, 1 fp16 with the
// suffix _f16, 2 bf16 with _bf16: the planner's KernelSuffixes), the NCHW convolution, its weight packer and
// the NHWC convolution (_nhwc); then per 16-bit type the pair-row convolution and packer (_k16,
// _k16_pack_weights), then per 16-bit type the NHWC pair-row convolution (_nhwc_k16). A config with split = 1 computes fp32 in 3xTF32 only: its fp32 NCHW and NHWC convolutions
// and its packer are the 3xTF32 ones (values and remainders), and its other entry points are empty. Configs with io = 0
// compute fp32 NCHW only: their other entry points are empty (the planner never launches them), which keeps the
// library small.
#define KCONV_STEM_WGMMA_TF32_ONE(NAME, CONFIG, TYPE, NHWC)                                                 \
  extern "C" __global__ void __launch_bounds__(kconv::stem_wgmma_tf32::Threads(CONFIG, TYPE, NHWC), 1)      \
      NAME(const __grid_constant__ kconv::stem_wgmma_tf32::StemWgmmaParams params) {                        \
    if constexpr (CONFIG.split == 1) {                                                                      \
      if constexpr (TYPE == 0) {                                                                            \
        /* phases 1 written out: outside a template, the discarded branch is still checked */              \
        kconv::stem_wgmma::Kernel<CONFIG.mt, CONFIG.nt, CONFIG.warps, CONFIG.wsteps, CONFIG.wstages, 1, 0,  \
                                  NHWC, false, true>::Run(params);                                          \
      }                                                                                                     \
    } else if constexpr (CONFIG.io == 1 || (TYPE == 0 && !NHWC)) {                                          \
      kconv::stem_wgmma::Kernel<CONFIG.mt, CONFIG.nt, CONFIG.warps, CONFIG.wsteps, CONFIG.wstages,          \
                                CONFIG.phases, TYPE, NHWC>::Run(params);                                    \
    }                                                                                                       \
  }
#define KCONV_STEM_WGMMA_TF32_PACKER(NAME, CONFIG, TYPE)                                                    \
  extern "C" __global__ void NAME(const kconv::StemPackParams params) {                                     \
    if constexpr (CONFIG.split == 1) {                                                                      \
      if constexpr (TYPE == 0) {                                                                            \
        kconv::stem::PackWeights<true, 0>(                                                                  \
            params,                                                                                         \
            [&](int step, int n, int e) {                                                                   \
              return kconv::stem_wgmma_tf32::WgmmaSplitWeightOffset<CONFIG.nt * 8>(params.steps, step, n, e, \
                                                                                    false);                 \
            },                                                                                              \
            [&](int step, int n, int e) {                                                                   \
              return kconv::stem_wgmma_tf32::WgmmaSplitWeightOffset<CONFIG.nt * 8>(params.steps, step, n, e, \
                                                                                    true);                  \
            });                                                                                             \
      }                                                                                                     \
    } else if constexpr (CONFIG.io == 1 || TYPE == 0) {                                                     \
      kconv::stem::PackWeights<false, TYPE>(params, [&](int step, int n, int e) {                           \
        return kconv::stem_wgmma_tf32::WgmmaWeightOffset<CONFIG.nt * 8>(params.steps, step, n, e);          \
      });                                                                                                   \
    }                                                                                                       \
  }
// The pair-row kernels (16-bit NCHW, k16 wgmma in the type) and their packer: io = 1 configs.
#define KCONV_STEM_WGMMA_PAIR_ROWS(NAME, CONFIG, TYPE)                                                      \
  extern "C" __global__ void __launch_bounds__(kconv::stem_wgmma_tf32::Threads(CONFIG, TYPE, false), 1)     \
      NAME(const __grid_constant__ kconv::stem_wgmma_tf32::StemWgmmaParams params) {                        \
    if constexpr (CONFIG.io == 1) {                                                                         \
      kconv::stem_wgmma::Kernel<CONFIG.mt, CONFIG.nt, CONFIG.warps, CONFIG.wsteps, CONFIG.wstages,          \
                                CONFIG.phases, TYPE, false, true>::Run(params);                             \
    }                                                                                                       \
  }                                                                                                         \
  extern "C" __global__ void NAME##_pack_weights(const kconv::StemPackParams params) {                      \
    if constexpr (CONFIG.io == 1) {                                                                         \
      kconv::stem::PackPairRowWeights<TYPE>(params, [&](int step, int n, int e) {                           \
        return kconv::stem_wgmma_tf32::WgmmaWeightOffset16<CONFIG.nt * 8>(params.steps, step, n, e);        \
      });                                                                                                   \
    }                                                                                                       \
  }
// The NHWC pair-row kernels (16-bit NHWC at stride 4: families/stem_common/nhwc_pair_rows.h), whose weights the
// pair-row packer packs (its launch says NHWC): io = 1 configs of one phase.
#define KCONV_STEM_WGMMA_NHWC_PAIR_ROWS(NAME, CONFIG, TYPE)                                                 \
  extern "C" __global__ void __launch_bounds__(kconv::stem_wgmma_tf32::Threads(CONFIG, TYPE, true), 1)      \
      NAME(const __grid_constant__ kconv::stem_wgmma_tf32::StemWgmmaParams params) {                        \
    if constexpr (CONFIG.io == 1 && CONFIG.phases == 1) {                                                   \
      kconv::stem_wgmma::Kernel<CONFIG.mt, CONFIG.nt, CONFIG.warps, CONFIG.wsteps, CONFIG.wstages, 1, TYPE, \
                                true, true>::Run(params);                                                   \
    }                                                                                                       \
  }
#define KCONV_STEM_WGMMA_TF32_KERNELS(NAME, CONFIG)                 \
  KCONV_STEM_WGMMA_TF32_ONE(NAME, CONFIG, 0, false)                 \
  KCONV_STEM_WGMMA_TF32_PACKER(NAME##_pack_weights, CONFIG, 0)      \
  KCONV_STEM_WGMMA_TF32_ONE(NAME##_nhwc, CONFIG, 0, true)           \
  KCONV_STEM_WGMMA_TF32_ONE(NAME##_f16, CONFIG, 1, false)           \
  KCONV_STEM_WGMMA_TF32_PACKER(NAME##_f16_pack_weights, CONFIG, 1)  \
  KCONV_STEM_WGMMA_TF32_ONE(NAME##_f16_nhwc, CONFIG, 1, true)       \
  KCONV_STEM_WGMMA_TF32_ONE(NAME##_bf16, CONFIG, 2, false)          \
  KCONV_STEM_WGMMA_TF32_PACKER(NAME##_bf16_pack_weights, CONFIG, 2) \
  KCONV_STEM_WGMMA_TF32_ONE(NAME##_bf16_nhwc, CONFIG, 2, true)     \
  KCONV_STEM_WGMMA_PAIR_ROWS(NAME##_f16_k16, CONFIG, 1)             \
  KCONV_STEM_WGMMA_PAIR_ROWS(NAME##_bf16_k16, CONFIG, 2)            \
  KCONV_STEM_WGMMA_NHWC_PAIR_ROWS(NAME##_f16_nhwc_k16, CONFIG, 1)   \
  KCONV_STEM_WGMMA_NHWC_PAIR_ROWS(NAME##_bf16_nhwc_k16, CONFIG, 2)
