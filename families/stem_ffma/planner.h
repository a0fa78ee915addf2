// SPDX-License-Identifier: Apache-2.0
// The FFMA stem family's planner (families/stem_ffma/kernel.cuh): strict fp32 (KCONV_MATH_FP32) for square
// stems of few input channels whose weights fit in shared memory beside two bands. Listed before the FFMA
// implicit GEMM, which computes what it refuses.
#pragma once

#include <stdint.h>

#include "absl/status/status.h"
#include "families/stem_ffma/traits.h"
#include "runtime/conv_shape.h"
#include "runtime/kernel_family.h"

namespace kconv {
namespace stem_ffma {

// The most input channels a 3x3 config takes (a stem; wider 3x3 layers go to the implicit GEMM).
inline constexpr int64_t kMaxThreeByThreeChannels = 4;

// fp32 3x3 stems (at most kMaxThreeByThreeChannels input channels, equal strides of 2 or 1) that this family's
// strict FP32, which the request allows, computed faster than the tensor-core families in the mode asked for,
// N = 64 on an H100: NHWC in TF32 against stem_wgmma_tf32 (MobileNet 103 against 114 us, VGG 580 against 654),
// NCHW in 3xTF32 against stem_tf32's split configs (MobileNet 98.6 against 111.7, VGG 582.2 against 775.7).
inline bool FasterInStrictFp32(const ConvShape& s) {
  const bool mode = s.layout == KCONV_LAYOUT_NHWC ? s.math_mode == KCONV_MATH_TF32 : s.math_mode == KCONV_MATH_3XTF32;
  return s.element_type == KCONV_ELEMENT_F32 && mode && s.r == 3 && s.s == 3 && s.stride_h == s.stride_w &&
         s.stride_h <= 2 && s.dil_h == 1 && s.dil_w == 1 && s.c <= kMaxThreeByThreeChannels;
}

const KernelFamily& Family();

// The family's configs, in the order of its `configs` file (generated: generated/stem_ffma_configs.cc).
extern const Config kConfigs[];
extern const int kConfigCount;

// Whether the tensor-core families should leave `shape` to this family: FasterInStrictFp32, and a config here
// accepts it on `device` (else declining would leave a shape that fits no stem_ffma config, such as one of 2^30
// tiles, to the slower general families or to none). Their Costs decline such shapes (-1), so that the choice
// goes on to this family; named, their configs run.
bool LeftToStrictFp32(const ConvShape& shape, const DeviceLimits& device);

// OK, or UNIMPLEMENTED saying why: another kernel size or stride, a non-square kernel or stride, dilation,
// more shared memory than the device allows (too many input channels), or extents beyond the kernel's
// 32-bit indices.
absl::Status Accepts(const ConvShape& shape, const Config& config, const DeviceLimits& device);

// Blocks of the config resident on one SM of `device`, from its shared memory, threads and registers (128
// a thread, what ptxas gives the listed configs at most).
int BlocksPerSm(const ConvShape& shape, const Config& config, const DeviceLimits& device);

// A persistent grid: at most one block per tile along x, one block per block_k output channels along y.
LaunchGeometry GeometryOf(const ConvShape& shape, const Config& config, const DeviceLimits& device);

// Kernel parameters without the tensor pointers, which each launch fills in.
FfmaStemParams MakeParams(const ConvShape& shape, const Config& config);

// Relative cost (smaller is better; negative: the config cannot run it): waves of (tile, channel block)
// units over the machine, blocks sharing an SM sharing its FFMA pipes, each unit's FFMA plus its band
// copies (an element ~10 instruction slots).
double Cost(const ConvShape& shape, const Config& config, int resident, const DeviceLimits& device);

}  // namespace stem_ffma
}  // namespace kconv
