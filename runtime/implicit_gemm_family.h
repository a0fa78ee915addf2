// Host side of the implicit-GEMM TF32 kernel family: which shapes a config accepts, its kernel
// parameters and its launch geometry.
#pragma once

#include <stdint.h>

#include "absl/status/status.h"
#include "ptx/conv_params.h"
#include "ptx/implicit_gemm_layout.h"
#include "runtime/conv_shape.h"

namespace kconv {

struct LaunchGeometry {
  uint32_t grid_x, grid_y;
  uint32_t threads;
  uint32_t shared_bytes;
};

// OK, or UNIMPLEMENTED saying which limit the shape exceeds (the kernels index GEMM rows, columns and
// taps with 32-bit integers; element offsets into the tensors are 64-bit, so tensors may exceed 2^32
// elements).
absl::Status ImplicitGemmAccepts(const ConvShape& shape, const TileConfig& tile);

LaunchGeometry ImplicitGemmGeometry(const ConvShape& shape, const TileConfig& tile);

// Kernel parameters without the tensor pointers, which execute fills in.
ConvParams ImplicitGemmParams(const ConvShape& shape);

}  // namespace kconv
