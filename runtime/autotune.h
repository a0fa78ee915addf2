// SPDX-License-Identifier: Apache-2.0
// The autotuner: times candidate configs for one shape on the device with driver events and keeps a
// winner by the micro-tuning policy's rule (runtime/tuning_policy.h), remembering it in the context and,
// when the context has one, in the tuning cache file.
#pragma once

#include <cuda.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kconv/kconv.h"
#include "runtime/conv_shape.h"
#include "runtime/device_context.h"
#include "runtime/plan.h"
#include "runtime/tuned_configs.h"
#include "runtime/tuning_policy.h"

namespace kconv {

struct AutotuneOptions {
  bool full_search = false;  // every config that accepts the shape; else the micro-tuning neighbours
  double min_gain = 0.02;    // a winner must be faster than the original by more than this fraction
  int warmup_runs = 5;       // untimed runs of every candidate first
  int timed_runs = 50;       // timed runs of every candidate, interleaved round by round
  bool write_output = false; // time with the caller's y; else scratch (the caller's y is never written)
  bool store = true;         // remember the winner in the context and write it to its tuning cache file
  // After each step (a candidate prepared, or a timing round over all candidates): steps done, steps in
  // all, and what the step was.
  std::function<void(int done, int total, const std::string& step)> progress;
};

// One timed candidate: its timing and what the driver says of its kernel.
struct CandidateReport {
  int config = -1;  // index into Configs()
  CandidateTiming timing{};
  kconv_plan_info info{};   // grid, threads and dynamic shared memory per block
  int registers = 0;        // per thread
  int static_shared_bytes = 0;
  int local_bytes = 0;      // per thread: spills and local arrays
  int blocks_per_sm = 0;    // cuOccupancyMaxActiveBlocksPerMultiprocessor
  double occupancy = 0;     // resident warps over the SM's maximum, 0..1
};

struct AutotuneReport {
  int original = -1;                    // the config kconv chose before tuning
  const char* original_source = "";    // TunedConfigs::Choice::source: where the original came from
  TuningDecision decision;              // the config kept, and why
  std::vector<CandidateReport> candidates;  // the original first
  std::vector<std::string> skipped;     // candidates that could not run: "config: why"
  bool stored_in_file = false;          // written to the context's tuning cache file
  std::string store_problem;            // why it was not, when the context has a file; "" otherwise
};

// OK if `options` can run with `tensors` (only y is looked at), else INVALID_ARGUMENT saying which field.
absl::Status ValidateAutotuneOptions(const AutotuneOptions& options, const TensorPointers& tensors);

// Times the candidates on `stream` (synchronising it) with `tensors` where non-zero, scratch memory
// (random inputs, freed before returning) where zero. tensors.y is used only with options.write_output.
// The original is the config `tuned` gives; with options.store the winner is remembered there.
absl::StatusOr<AutotuneReport> Autotune(const std::shared_ptr<DeviceContext>& device, TunedConfigs& tuned,
                                        const ConvShape& shape, const TensorPointers& tensors, CUstream stream,
                                        const AutotuneOptions& options);

// The median and the 10th and 90th percentiles of `samples` (interpolated), for config `config`.
CandidateTiming Summarise(int config, std::vector<double> samples);

}  // namespace kconv
