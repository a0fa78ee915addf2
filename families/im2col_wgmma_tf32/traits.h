// SPDX-License-Identifier: Apache-2.0
// Everything a config of the Hopper im2col family determines, shared by its kernel (nvcc) and its planner
// (g++): the config's fields, the block's warps, the kernel's parameters and its shared-memory layout.
//
// The family is a GEMM over gathered patches: output pixels are M, output channels N, and the reduction
// is the list of chunks (c, r, j) of four kernel columns 4j ... 4j + 3 of kernel row r of input channel c,
// as in the stem families (stem_params.h), so that the weights pack the same way. Where the stem families
// keep whole input rows in shared memory and let overlapping windows share them, this family gathers
// each pixel's chunks into shared memory, one 16-byte piece per (chunk, pixel): no overlap to exploit
// in a non-overlapping patchify (ViT's 16x16/16), and no band that must fit shared memory (a 1080p frame's
// rows), any stride.
#pragma once

#include <stdint.h>

#include "families/stem_common/stem_params.h"

namespace kconv {
namespace im2col_wgmma_tf32 {

// One line of families/im2col_wgmma_tf32/configs: mt m64 pieces per consumer warpgroup, nt n8 tiles (the
// block's 8 * nt output channels: wgmma n192, n128, n96 or n64), warps the consumer warps, ksteps k8 steps
// per pipeline stage (even: a producer lane owns a chunk of every group of four) and stages the pipeline
// depth; io 1 gives the config kernels for fp16 and bf16 tensors and for NHWC too (0: fp32 NCHW only).
// split 1 makes the config's kernels fp32 3xTF32, NCHW and NHWC (and nothing else): every A tile and every
// weight step image is followed by its TF32 remainders, and a step is three wgmmas. ffma 1 makes them fp32
// strict FP32, NCHW and NHWC: the same gather and weights, unrounded, multiplied on the FP32 pipes (FFMA)
// from shared memory instead of by wgmma; 8 pixels x 8 channels a consumer thread (128 x 128 a block).
struct Config {
  int mt;
  int nt;
  int warps;
  int ksteps;
  int stages;
  int io;
  int split;
  int ffma;
};

KCONV_HOST_DEVICE constexpr Config MakeConfig(int mt, int nt, int warps, int ksteps, int stages, int io = 0,
                                              int split = 0, int ffma = 0) {
  Config c{};
  c.mt = mt;
  c.nt = nt;
  c.warps = warps;
  c.ksteps = ksteps;
  c.stages = stages;
  c.io = io;
  c.split = split;
  c.ffma = ffma;
  return c;
}

// Two producer warpgroups come on top of the consumer warps. Each gathers every second stage, so that
// one stage's global loads are in flight while the other group stores its own (a gather through
// registers, which rounds to TF32 on the way, has no other way to keep two stages of loads in flight).
inline constexpr int kProducerGroups = 2;
inline constexpr int kProducerThreads = 128;  // per group
// The reduction's chunks: C * R * ceil(S / 4), padded to whole stages.
inline constexpr int kMaxChunks = 512;

KCONV_HOST_DEVICE constexpr int BlockPixels(Config c) { return 64 * c.mt * (c.warps / 4); }
KCONV_HOST_DEVICE constexpr int BlockChannels(Config c) { return 8 * c.nt; }
KCONV_HOST_DEVICE constexpr int Threads(Config c) { return 32 * c.warps + kProducerGroups * kProducerThreads; }
// 16-byte pieces between the chunks of a stage's A tile: the block's pixels plus 2, so that the eight
// lanes of a 16-byte store phase (4 chunks x 2 pixels) hit distinct bank groups.
KCONV_HOST_DEVICE constexpr int ChunkPitch(Config c) { return BlockPixels(c) + 2; }
// One A tile of a stage: its chunks' pieces, values or (split) remainders.
KCONV_HOST_DEVICE constexpr int64_t ATileBytes(Config c) { return int64_t{2} * c.ksteps * ChunkPitch(c) * 16; }
// A stage's A tiles: the values, then with split their remainders.
KCONV_HOST_DEVICE constexpr int64_t AStageBytes(Config c) { return ATileBytes(c) * (1 + c.split); }
// One k8 step image of packed weights: the block's channels' 8 floats (stem_wgmma_tf32's WgmmaWeightOffset).
KCONV_HOST_DEVICE constexpr int64_t WeightImageBytes(Config c) { return int64_t{BlockChannels(c)} * 32; }
// One stage of packed weights: ksteps k8 steps, each its image and with split its remainders' image after it.
KCONV_HOST_DEVICE constexpr int64_t BStageBytes(Config c) { return c.ksteps * (1 + c.split) * WeightImageBytes(c); }

// Shared memory: the stages (A then B each), the chunk table (16 bytes per chunk), the 2 * stages mbarriers.
struct Im2colSmem {
  int64_t stage_bytes;
  int64_t chunk_table;
  int64_t barriers;
  int64_t total;
};

KCONV_HOST_DEVICE constexpr Im2colSmem MakeIm2colSmem(Config c, int64_t chunks) {
  Im2colSmem s{};
  s.stage_bytes = AStageBytes(c) + BStageBytes(c);
  s.chunk_table = c.stages * s.stage_bytes;
  s.barriers = s.chunk_table + 16 * chunks;
  s.total = s.barriers + 16 * c.stages;
  return s;
}

// Parameters of the kernel (families/im2col_wgmma_tf32/kernel.cuh). Block b computes channel group
// b % channel_groups of pixels (b / channel_groups) * BlockPixels ... of the N * P * Q output pixels,
// in the order of an image's pixels: pixel m is image m / PQ, row (m % PQ) / Q, column m % Q. x and y hold
// elements of the plan's type (fp32, fp16 or bf16) in NCHW or NHWC; the bias is fp32.
struct Im2colParams {
  const float* x;
  const float* w_packed;  // [channel group][steps] step images (stem_wgmma_tf32::WgmmaWeightOffset layout)
  const float* bias;      // null: no bias
  float* y;
  int32_t c, h, w, k, q, pq, s;
  int32_t row_elements;   // an input row's elements: W (NCHW), W * C (NHWC) (gather.h)
  int32_t row_taps;       // a kernel row's elements: S (NCHW), S * C (NHWC)
  int32_t column_scale;   // elements per input column within a row: 1 (NCHW), C (NHWC)
  int32_t stride_h, stride_w, pad_h, pad_w;
  int32_t pixels;          // N * P * Q, below 2^31
  int32_t channel_groups;  // ceil(K / BlockChannels)
  int32_t steps;           // k8 steps, a multiple of the config's ksteps
  int32_t real_chunks;     // C * R * j (NCHW), R * j (NHWC)
  int32_t j;               // chunks per kernel row: ceil(row_taps / 4)
  int32_t r;
  int32_t relu;
  int32_t load_width;      // set per launch: elements per gather load, 4, 2 or 1 (LoadWidth in planner.h)
  FastDivmod div_pq, div_q;
};

// Byte offset in the packed weights of weight float e (0..7) of channel n at k8 step `step`, for blocks of
// kBlockChannels channels: each block's channels are one contiguous stream of `steps` steps of kImages step
// images (1, or 2 with split: the values', then their remainders' at kBlockChannels * 32 bytes on), which is
// all that block copies. Within a step image the two chunks are kBlockChannels * 16 bytes apart (LBO) and
// channels 16 bytes apart, so each group of 8 channels of one chunk is a 128-byte core matrix (SBO 128).
template <int kBlockChannels, int kImages = 1>
KCONV_HOST_DEVICE int64_t PackedWeightOffset(int steps, int step, int n, int e) {
  const int group = n / kBlockChannels, channel = n % kBlockChannels;
  return (static_cast<int64_t>(group) * steps + step) * kBlockChannels * 32 * kImages + (e / 4) * kBlockChannels * 16 +
         channel * 16 + (e % 4) * 4;
}

}  // namespace im2col_wgmma_tf32
}  // namespace kconv
