// SPDX-License-Identifier: Apache-2.0
// The one interface through which the runtime sees a kernel family (a folder families/<name>/, listed in
// families/families.cmake): the element types, layouts and math modes it computes, which shapes and devices
// each of its configs accepts, what a config costs, what a plan of it launches, and the knobs the autotuner
// may turn. No runtime file names a family: the generated registry (runtime/blob_registry.h) ties every
// config to its family's object, and everything here is asked of that object.
#pragma once

#include <cuda.h>
#include <stdint.h>

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "runtime/conv_shape.h"
#include "runtime/driver_api.h"

namespace kconv {

// What the config choice and the families need to know of a device.
struct DeviceLimits {
  int cc;                    // compute capability, e.g. 90
  int sm_count;
  int smem_per_block_optin;  // bytes a block may use after raising its dynamic limit
  int smem_per_sm;
  int max_threads_per_sm;
  int registers_per_sm;
};

struct LaunchGeometry {
  uint32_t grid_x, grid_y;
  uint32_t threads;
  uint32_t shared_bytes;  // dynamic
};

// Device addresses of one call's tensors (bias 0 when the shape has none).
struct TensorPointers {
  uint64_t x, w, bias, y;
};

// Blocks of one config's kernel resident on one SM with `threads` per block and `shared_bytes` of dynamic
// shared memory: the driver's answer, or the model's where the driver cannot say (config_choice.h).
using ResidencyFn = std::function<int(int threads, int shared_bytes)>;

// The block a config computes, which micro-tuning never changes, and the two knobs it may turn; also what
// kconv_plan_info reports of a plan.
struct ConfigKnobs {
  int block_m;  // output pixels per block
  int block_n;  // output channels per block
  int block_k;  // reduction taps per pipeline stage
  int warps;
  int stages;
  int variant = 0;  // configs of one family that differ in it serve different shapes (e.g. strides)
};

// The element types, layouts and math modes a family computes, each a set of enum values (bit v: value v).
struct FamilySupport {
  uint64_t element_types;
  uint64_t layouts;
  uint64_t math_modes;

  bool Covers(const ConvShape& shape) const {
    return (element_types >> shape.element_type & 1) && (layouts >> shape.layout & 1) &&
           (math_modes >> shape.math_mode & 1);
  }
};

// Launches a plan's kernels: kernel i is the family's KernelSuffixes()[i] in the image the plan loaded.
class KernelLauncher {
 public:
  KernelLauncher(const DriverApi* api, std::span<const CUfunction> functions, std::span<const std::string> names)
      : api_(api), functions_(functions), names_(names) {}
  const DriverApi* api() const { return api_; }
  // cuLaunchKernel of kernel `kernel` with one argument, the family's parameter struct at `params`.
  absl::Status Launch(int kernel, const LaunchGeometry& geometry, void* params, CUstream stream) const;

 private:
  const DriverApi* api_;
  std::span<const CUfunction> functions_;
  std::span<const std::string> names_;
};

// A family's part of one plan: its kernel parameters for one shape and config, filled once; pointers are
// added per launch.
class FamilyPlan {
 public:
  virtual ~FamilyPlan() = default;
  // The convolution kernel's launch geometry.
  virtual LaunchGeometry Geometry() const = 0;
  // Bytes of re-laid-out weights a plan keeps (kconv_plan_set_weights); 0: the kernel reads w as given.
  virtual int64_t PackedWeightBytes() const { return 0; }
  // Enqueues the re-layout of w[K][C][R][S] into `packed`, PackedWeightBytes() bytes of device memory.
  virtual absl::Status PackWeights(const KernelLauncher& launcher, uint64_t w, uint64_t packed, CUstream stream) const;
  // Enqueues the convolution. tensors.w is the packed weights when PackedWeightBytes() > 0.
  virtual absl::Status Launch(const KernelLauncher& launcher, const TensorPointers& tensors, CUstream stream) const = 0;
};

// A kernel family's planner. `config` arguments are rows of the family's own table of configs
// (KernelConfig::family_index), generated from families/<name>/configs.
class KernelFamily {
 public:
  virtual ~KernelFamily() = default;
  // The element types, layouts and math modes the family's configs compute: each is computed by some config
  // (a config may still refuse one in Accepts, as an io = 0 config refuses 16-bit tensors, or for a shape).
  virtual FamilySupport Support() const = 0;
  // The kernels in each config's image, by their symbol's suffix after kconv_<family>_<config>: the first
  // is the convolution, "" (others, such as a weight packer or the convolution of another element type,
  // follow; every one may launch with the plan's shared memory).
  virtual std::span<const std::string> KernelSuffixes() const = 0;
  // OK if `config` runs `shape` (whose element type, layout and math mode Support() covers) on `device`,
  // else UNIMPLEMENTED saying why.
  virtual absl::Status Accepts(const ConvShape& shape, int config, const DeviceLimits& device) const = 0;
  // The relative cost of running an accepted shape with `config`, comparable among this family's configs
  // only; smaller is better, negative means the heuristic must not choose it (it cannot run the shape, or
  // another family is measured faster there; named, an accepted config still runs).
  virtual double Cost(const ConvShape& shape, int config, const DeviceLimits& device,
                      const ResidencyFn& resident) const = 0;
  // A config listed later replaces the cheapest so far only if its cost is below that cost times this
  // factor: families whose cost model cannot rank configs close to each other list them in measured order
  // and ask for a clear margin (< 1).
  virtual double ChoiceMargin() const { return 1.0; }
  virtual ConfigKnobs Knobs(int config) const = 0;
  // The family's part of a plan of `config` for `shape`; requires Accepts() to be OK.
  virtual std::unique_ptr<FamilyPlan> MakePlan(const ConvShape& shape, int config, const DeviceLimits& device) const = 0;
};

}  // namespace kconv
