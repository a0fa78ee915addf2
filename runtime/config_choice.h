// The default choice of kernel config for a shape when the caller names none.
#pragma once

#include <functional>
#include <optional>

#include "absl/status/statusor.h"
#include "runtime/conv_shape.h"
#include "ptx/implicit_gemm_layout.h"
#include "runtime/blob_registry.h"
#include "runtime/tuning_cache.h"

namespace kconv {

struct DeviceLimits {
  int cc;                    // compute capability, e.g. 90
  int sm_count;
  int smem_per_block_optin;  // bytes a block may use after raising its dynamic limit
  int smem_per_sm;
  int max_threads_per_sm;
  int registers_per_sm;
};

// Blocks of `tile` resident on one SM, limited by shared memory, threads and (when registers > 0, the
// kernel's registers per thread) the register file; at least 1. The model the heuristic uses where the
// driver cannot say (no device, or a PTX image not compiled yet).
int ResidentBlocks(const TileConfig& tile, int registers, const DeviceLimits& device);
int ResidentBlocks(int shared_bytes, int threads, int registers, const DeviceLimits& device);

// Where ChooseConfig learns how many blocks of a config fit on one SM: on a device,
// cuOccupancyMaxActiveBlocksPerMultiprocessor on the loaded function (DeviceContext::ResidentBlocks);
// null: the model above with the image's register count.
using OccupancyFn = std::function<int(const Blob& blob, int threads, int shared_bytes)>;

// Relative cost of running `shape` with `tile` (smaller is better) when `resident` of its blocks fit on
// one SM: full waves of blocks over the machine, each block's time proportional to the operand bytes it
// gathers per tap, (block_m + block_n), over its padded reduction. Large problems favour large tiles with
// many resident blocks; small ones favour small tiles that spread over more SMs. Returns a negative value
// when the tile does not fit. On an H200 this ranked the nine Triton configs' three fastest for AlexNet
// conv1 in measured order.
double EstimateTileCost(const ConvShape& shape, const TileConfig& tile, int resident, const DeviceLimits& device);

// OK if `config` can run `shape` on the device, else why not (UNIMPLEMENTED).
absl::Status ConfigAccepts(const ConvShape& shape, const KernelConfig& config, const DeviceLimits& device);

// Relative cost of a stem-family config: waves of its blocks over the machine (fractional past the
// first: the kernel is latency-bound, so a partial wave costs about its share), each block's time taken
// as its tile's pixels plus a fixed 64-pixel equivalent for the band load and the weight stream, shared
// by the square root of the warps resident per SM, `resident` blocks of the config's warps (more warps
// hide more latency). Fitted to the H200's AlexNet conv1 timings of the stem configs (bench/NOTES.md);
// it ranks the fastest first at N = 1, 32 and 256.
double EstimateStemCost(const ConvShape& shape, const StemConfig& config, int resident, const DeviceLimits& device);

// Relative cost of a config of the persistent Hopper stem family: the tiles of the busiest block (tiles are
// split evenly over one block per SM), each its pixels plus a 64-pixel equivalent of per-tile overhead
// (the H200's AlexNet timings put it at 50-90 pixels: about 4.8 us per tile against 7.1 us per 128
// pixels). It picks the measured fastest tile size at N = 1, 32 and 256.
double EstimatePersistentStemCost(const ConvShape& shape, const StemConfig& config, const DeviceLimits& device);

// Index into Configs() of the config kconv runs `shape` with when the caller names none: the cheapest
// stem-family config if any accepts the shape (it is specialised for it), else the cheapest
// implicit-GEMM config. Each is costed with the residency of the image that would be loaded for it
// (force_ptx as in SelectBlob) from `occupancy` (null: the model); ties go to the lower index. Configs
// marked tuning_only are left to the autotuner. UNIMPLEMENTED (with each config's reason) when none
// accepts the shape.
absl::StatusOr<int> ChooseConfig(const ConvShape& shape, const DeviceLimits& device, bool force_ptx,
                                 const OccupancyFn& occupancy = nullptr);

// The model's residency of `blob` (config `blob.config_index`): its cubin's registers, or for PTX the
// same config's newest cubin's as an estimate.
int ModelResidentBlocks(const Blob& blob, int threads, int shared_bytes, const DeviceLimits& device);

// True if config `index` accepts `shape` on `device` and has an image to load there (force_ptx as in
// SelectBlob): a plan of it can be created.
bool Runnable(int index, const ConvShape& shape, const DeviceLimits& device, bool force_ptx);

// The config `file` holds for `key`, if the registry still has it and it accepts `shape` on `device`
// (with an image to load); otherwise none, and the heuristic chooses.
std::optional<int> TunedConfig(const TuningFile& file, const TuningKey& key, const ConvShape& shape,
                               const DeviceLimits& device, bool force_ptx);

}  // namespace kconv
