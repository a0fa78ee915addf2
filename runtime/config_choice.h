// SPDX-License-Identifier: Apache-2.0
// The default choice of kernel config for a shape when the caller names none: a pure function of the
// shape, the configs, the device's limits and where residency comes from.
#pragma once

#include <functional>
#include <optional>

#include "absl/status/statusor.h"
#include "runtime/blob_registry.h"
#include "runtime/conv_shape.h"
#include "runtime/kernel_family.h"
#include "runtime/tuning_cache.h"

namespace kconv {

// Blocks of a kernel resident on one SM, limited by shared memory, threads and (when registers > 0, the
// kernel's registers per thread) the register file; at least 1. The model the heuristic uses where the
// driver cannot say (no device, or a PTX image not compiled yet).
int ResidentBlocks(int shared_bytes, int threads, int registers, const DeviceLimits& device);

// Where ChooseConfig learns how many blocks of a config fit on one SM: on a device,
// cuOccupancyMaxActiveBlocksPerMultiprocessor on the loaded function (DeviceContext::ResidentBlocks);
// null: the model above with the image's register count.
using OccupancyFn = std::function<int(const Blob& blob, int threads, int shared_bytes)>;

// The model's residency of `blob` (config `blob.config_index`): its cubin's registers, or for PTX the
// same config's newest cubin's as an estimate.
int ModelResidentBlocks(const Blob& blob, int threads, int shared_bytes, const DeviceLimits& device);

// OK if a family computes `shape`'s element type, layout and math mode, else UNIMPLEMENTED naming the
// combination and what each family computes.
absl::Status SomeFamilyComputes(const ConvShape& shape);

// OK if `config` can run `shape` on the device (its family computes the shape's format and the config
// accepts it), else why not (UNIMPLEMENTED).
absl::Status ConfigAccepts(const ConvShape& shape, const KernelConfig& config, const DeviceLimits& device);

// Index into Configs() of the config kconv runs `shape` with when the caller names none: among the
// families in order of preference (families/families.cmake), the first with a config that accepts the
// shape and has an image for the device (force_ptx as in SelectBlob), and within it the cheapest by the
// family's cost, costed with the residency `occupancy` reports (null: the model). A config listed later
// wins only if cheaper by the family's ChoiceMargin(); configs marked tuning_only are left to the
// autotuner. UNIMPLEMENTED, with each config's reason, when none accepts the shape. It loads nothing
// itself: the caller's `occupancy` may.
absl::StatusOr<int> ChooseConfig(const ConvShape& shape, const DeviceLimits& device, bool force_ptx,
                                 const OccupancyFn& occupancy = nullptr);

// True if config `index` accepts `shape` on `device` and has an image to load there (force_ptx as in
// SelectBlob): a plan of it can be created.
bool Runnable(int index, const ConvShape& shape, const DeviceLimits& device, bool force_ptx);

// The config of a tuning result, if the registry still has it and it accepts `shape` on `device` (with an
// image to load); otherwise none, and the heuristic chooses.
std::optional<int> TunedConfig(const TuningResult& result, const ConvShape& shape, const DeviceLimits& device,
                               bool force_ptx);
// The same for the entry `file` holds for `key`, if any.
std::optional<int> TunedConfig(const TuningFile& file, const TuningKey& key, const ConvShape& shape,
                               const DeviceLimits& device, bool force_ptx);

}  // namespace kconv
