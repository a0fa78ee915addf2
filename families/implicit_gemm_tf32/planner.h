// SPDX-License-Identifier: Apache-2.0
// The implicit-GEMM TF32 family's planner (families/implicit_gemm_tf32/kernel.cuh): any shape, one block
// per block_m x block_n output tile.
#pragma once

#include <stdint.h>

#include "absl/status/status.h"
#include "families/implicit_gemm_tf32/traits.h"
#include "runtime/conv_shape.h"
#include "runtime/kernel_family.h"

namespace kconv {
namespace implicit_gemm_tf32 {

const KernelFamily& Family();

// The family's configs, in the order of its `configs` file (generated from it:
// generated/implicit_gemm_tf32_configs.cc).
extern const Config kConfigs[];

// OK, or UNIMPLEMENTED saying which limit the shape exceeds (the kernels index GEMM rows, columns and taps
// with 32-bit integers; element offsets into the tensors are 64-bit, so tensors may exceed 2^32 elements)
// or that the tile needs more shared memory than the device allows.
absl::Status Accepts(const ConvShape& shape, const Config& config, const DeviceLimits& device);

LaunchGeometry GeometryOf(const ConvShape& shape, const Config& config);

// Kernel parameters without the tensor pointers, which each launch fills in.
ConvParams MakeParams(const ConvShape& shape);

// Relative cost of running `shape` with `config` when `resident` of its blocks fit on one SM (smaller is
// better): full waves of blocks over the machine, each block's time proportional to the operand bytes it
// gathers per tap, (block_m + block_n), over its padded reduction. Large problems favour large tiles with
// many resident blocks; small ones favour small tiles that spread over more SMs. Negative when the tile
// does not fit. On an H200 this ranked the nine Triton configs' three fastest for AlexNet conv1 in measured
// order.
double Cost(const ConvShape& shape, const Config& config, int resident, const DeviceLimits& device);

}  // namespace implicit_gemm_tf32
}  // namespace kconv
