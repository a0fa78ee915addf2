// The default choice of kernel config for a shape when the caller names none.
#pragma once

#include "absl/status/statusor.h"
#include "runtime/conv_shape.h"
#include "ptx/implicit_gemm_layout.h"

namespace kconv {

struct DeviceLimits {
  int cc;                    // compute capability, e.g. 90
  int sm_count;
  int smem_per_block_optin;  // bytes a block may use after raising its dynamic limit
  int smem_per_sm;
  int max_threads_per_sm;
};

// Relative cost of running `shape` with `tile` (smaller is better): full waves of blocks over the
// machine, each block's time proportional to the operand bytes it gathers per tap, (block_m + block_n),
// over its padded reduction. Large problems favour large tiles with many resident blocks; small ones
// favour small tiles that spread over more SMs. Returns a negative value when the tile does not fit.
double EstimateTileCost(const ConvShape& shape, const TileConfig& tile, const DeviceLimits& device);

// Index into Configs() of the cheapest config that accepts the shape and fits the device; ties go to
// the deeper pipeline, then the lower index. UNIMPLEMENTED (with each config's reason) when none does.
absl::StatusOr<int> ChooseConfig(const ConvShape& shape, const DeviceLimits& device);

}  // namespace kconv
