// SPDX-License-Identifier: Apache-2.0
// The FFMA implicit-GEMM family's planner (families/implicit_gemm_ffma/kernel.cuh): every shape, element
// type, layout and math mode, one block per block_m x block_n output tile. Listed last in
// families/families.cmake, so it computes what no faster family does.
#pragma once

#include <stdint.h>

#include "absl/status/status.h"
#include "families/implicit_gemm_ffma/traits.h"
#include "runtime/conv_shape.h"
#include "runtime/kernel_family.h"

namespace kconv {
namespace implicit_gemm_ffma {

const KernelFamily& Family();

// The family's configs, in the order of its `configs` file (generated: generated/implicit_gemm_ffma_configs.cc).
extern const Config kConfigs[];

// OK, or UNIMPLEMENTED saying which 32-bit index limit the shape exceeds or that the tile needs more shared
// memory than the device allows.
absl::Status Accepts(const ConvShape& shape, const Config& config, const DeviceLimits& device);

LaunchGeometry GeometryOf(const ConvShape& shape, const Config& config);

// Kernel parameters without the tensor pointers, which each launch fills in.
FfmaParams MakeParams(const ConvShape& shape);

// Relative cost (smaller is better; negative: the tile does not fit): waves of blocks over the machine, the
// blocks of a wave that share an SM sharing its FFMA pipes, each block's work its FFMA (block_m * block_n)
// plus its shared loads ((block_m + block_n) * 4, a load costing about four FFMA slots) per tap of the
// padded reduction. Large problems so favour large tiles (fewer loads per FFMA), small ones small tiles
// (more SMs busy).
double Cost(const ConvShape& shape, const Config& config, int resident, const DeviceLimits& device);

}  // namespace implicit_gemm_ffma
}  // namespace kconv
