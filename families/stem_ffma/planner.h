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

// The most input channels a 3x3 config takes (a stem; wider 3x3 layers go to the implicit GEMM). The Hopper stem
// family leaves fp32 NHWC 3x3 stems within it to this family (its Cost).
inline constexpr int64_t kMaxThreeByThreeChannels = 4;

const KernelFamily& Family();

// The family's configs, in the order of its `configs` file (generated: generated/stem_ffma_configs.cc).
extern const Config kConfigs[];

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
