// Host side of the stem family (ptx/stem_tf32.cuh): which shapes a config accepts, its kernel
// parameters, shared memory and launch geometry, and the weight packing.
#pragma once

#include <stdint.h>

#include "absl/status/status.h"
#include "ptx/stem_params.h"
#include "runtime/conv_shape.h"
#include "runtime/implicit_gemm_family.h"

namespace kconv {

struct StemPlanData {
  StemParams params;           // tensor pointers left null
  StemPackParams pack;         // pointers left null
  LaunchGeometry geometry;     // grid (tiles per image, N)
  int64_t packed_weight_bytes;
};

// OK, or UNIMPLEMENTED saying why the family cannot run the shape (horizontal stride other than 4,
// dilation, too many chunks or channels, or a band larger than `max_shared_bytes`).
absl::Status StemAccepts(const ConvShape& shape, const StemConfig& config, int max_shared_bytes);

// Requires StemAccepts(shape, config, ...) to be OK.
StemPlanData MakeStemPlanData(const ConvShape& shape, const StemConfig& config);

}  // namespace kconv
