// Host side of the stem family (ptx/stem_tf32.cuh): which shapes a config accepts, its kernel
// parameters, shared memory and launch geometry, and the weight packing.
#pragma once

#include <stdint.h>

#include "absl/status/status.h"
#include "ptx/stem_params.h"
#include "runtime/blob_registry.h"
#include "runtime/conv_shape.h"
#include "runtime/implicit_gemm_family.h"

namespace kconv {

struct StemPlanData {
  StemParams params;           // tensor pointers left null
  StemPackParams pack;         // pointers left null
  LaunchGeometry geometry;     // grid (tiles per image, N), or (SMs, 1) when persistent
  int64_t packed_weight_bytes;
  // Persistent (Hopper) kernel only:
  int32_t tiles_per_image;
  int32_t channel_groups;      // ceil(k / the config's channels)
  int32_t total_tiles;         // N * tiles_per_image * channel_groups
  int32_t band_box_bytes;      // what one band copy delivers (params.band_bytes is the buffer stride)
  int32_t rows_per_tile;       // whole output rows per tile
  int32_t segments;            // m64 pieces per output row
  int32_t staging_stride;      // floats between staged channel rows
};

// The two stem kernels: one block per tile of consecutive pixels (ptx/stem_tf32.cuh), or one persistent
// block per SM with producer warps, double-buffered bands and tiles of whole output rows
// (ptx/stem_wgmma_tf32.cuh).
enum class StemKernel { kBlockPerTile, kPersistent };

inline StemKernel StemKernelOf(Family family) {
  return family == Family::kStemWgmmaTf32 ? StemKernel::kPersistent : StemKernel::kBlockPerTile;
}

// OK, or UNIMPLEMENTED saying why the family cannot run the shape (horizontal stride other than 4,
// dilation, too many chunks or channels, a band larger than `max_shared_bytes`, or for the persistent
// kernel output rows that do not divide into the config's m64 pieces).
absl::Status StemAccepts(const ConvShape& shape, const StemConfig& config, int max_shared_bytes,
                         StemKernel kernel = StemKernel::kBlockPerTile);

// Requires StemAccepts(shape, config, ..., kernel) to be OK. sm_count sizes the persistent grid.
StemPlanData MakeStemPlanData(const ConvShape& shape, const StemConfig& config,
                              StemKernel kernel = StemKernel::kBlockPerTile, int sm_count = 1);

}  // namespace kconv
