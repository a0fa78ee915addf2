// SPDX-License-Identifier: Apache-2.0
// The Hopper im2col family's planner (families/im2col_wgmma_tf32/kernel.cuh): one block per tile of the
// config's pixels (NCHW order, across rows and images) and one group of its channels.
#pragma once

#include <stdint.h>

#include "absl/status/status.h"
#include "families/im2col_wgmma_tf32/traits.h"
#include "runtime/conv_shape.h"
#include "runtime/kernel_family.h"

namespace kconv {
namespace im2col_wgmma_tf32 {

const KernelFamily& Family();

// The family's configs, in the order of its `configs` file (generated from it:
// generated/im2col_wgmma_tf32_configs.cc).
extern const Config kConfigs[];

// The stems the family serves: at most this many input channels (gray, RGB, RGBA). Wider layers stay on the
// implicit GEMM, whose tiles are not a kernel row's four columns.
inline constexpr int64_t kMaxInputChannels = 4;

// OK, or UNIMPLEMENTED saying why `config` cannot run `shape` on `device`: a device other than compute
// capability 9.0, fp32 in a math mode other than TF32 (3xTF32 on a split = 1 config and strict FP32 on an
// ffma = 1 config, which take nothing else; an ffma config also not fewer than 96 output channels), 16-bit
// or NHWC tensors on an io = 0 config (a split or ffma config takes fp32 NHWC), dilation, more than
// kMaxInputChannels input channels, more reduction chunks than kMaxChunks (a split config: more k8 steps
// than its accuracy allows), an extent past the kernel's 32-bit indices, or more shared memory than the
// device allows.
absl::Status Accepts(const ConvShape& shape, const Config& config, const DeviceLimits& device);

struct PlanData {
  Im2colParams params;      // tensor pointers and load_width left for the launch
  StemPackParams pack;      // pointers left null
  LaunchGeometry geometry;  // (pixel tiles * channel groups, 1)
  int64_t packed_weight_bytes;
  int kernel, packer;       // indices into the family's KernelSuffixes: the shape's type and layout
};
// Requires Accepts(shape, config, ...) to be OK.
PlanData MakePlanData(const ConvShape& shape, const Config& config);

// Elements per gather load for a launch with the input at device address x: 4 when every chunk is one
// aligned load wholly inside or outside the image (x aligned to it; W, pad_w, stride_w and S multiples of 4,
// each times C in NHWC), else 2 for the same with pairs, else 1.
int32_t LoadWidth(const ConvShape& shape, uint64_t x);

// Relative cost: whole waves of blocks (one per SM), each its pixels times its channels plus 64 (the
// gather, which every channel group repeats) times the reduction's steps (padded to whole stages) plus
// four stages' equivalent of per-block overhead (the pipeline's fill and the epilogue); a split config's
// channels count three times (three products) and its gather twice (values and remainders), and a block
// of one consumer warpgroup 1.3 times (measured). Negative (not chosen; the next family is) for an ffma
// config whose blocks would fill under a quarter of the SMs.
double Cost(const ConvShape& shape, const Config& config, const DeviceLimits& device);

}  // namespace im2col_wgmma_tf32
}  // namespace kconv
