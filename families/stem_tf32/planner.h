// SPDX-License-Identifier: Apache-2.0
// The portable stem family's planner (families/stem_tf32/kernel.cuh): one block per tile of consecutive
// output pixels of one image, all of the config's output channels.
#pragma once

#include <stdint.h>

#include "absl/status/status.h"
#include "families/stem_common/stem_geometry.h"
#include "families/stem_tf32/traits.h"
#include "runtime/conv_shape.h"
#include "runtime/kernel_family.h"

namespace kconv {
namespace stem_tf32 {

const KernelFamily& Family();

// The family's configs, in the order of its `configs` file (generated from it: generated/stem_tf32_configs.cc).
extern const Config kConfigs[];

// OK, or UNIMPLEMENTED saying why `config` cannot run `shape` on `device` (CheckStemShape's limits, more
// output channels than the config's, too many chunks, too many strips for the grid, or a band larger than
// the device's shared memory even in strips).
absl::Status Accepts(const ConvShape& shape, const Config& config, const DeviceLimits& device);

struct PlanData {
  stem::StemBand band;
  StemParams params;        // tensor pointers left null
  StemPackParams pack;      // pointers left null
  LaunchGeometry geometry;  // (tiles per strip, N * strips)
  int64_t packed_weight_bytes;
};
// Requires Accepts(shape, config, device) to be OK; the device's shared memory decides whether rows are
// cut into strips.
PlanData MakePlanData(const ConvShape& shape, const Config& config, const DeviceLimits& device);

// Relative cost: waves of blocks over the machine (fractional past the first: the kernel is latency-bound,
// so a partial wave costs about its share), each block's time its tile's pixels plus a 64-pixel
// equivalent for the band load and the weight stream, shared by the square root of the warps resident per
// SM (more warps hide more latency); `resident` blocks per SM. Fitted to the H200's AlexNet conv1 timings
// of the stem configs (bench/NOTES.md); it ranks the fastest first at N = 1, 32 and 256. The blocks are
// those of the plan's `geometry` (MakePlanData's), so that the strips are worked out once.
double Cost(const Config& config, const LaunchGeometry& geometry, int resident, const DeviceLimits& device);

}  // namespace stem_tf32
}  // namespace kconv
