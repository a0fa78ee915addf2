// SPDX-License-Identifier: Apache-2.0
// The autotuner's rules, apart from any timing: which configs micro-tuning may try, and which result it
// keeps. The starting Triton kernel's policy: from the chosen config, try a few nearby configs (stages
// +-1; other warp counts only where occupancy says so; never another block size, so never another
// grid), always with the original among them, and keep a change only if it is faster by more than a
// threshold and stable.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "runtime/blob_registry.h"
#include "runtime/kernel_family.h"

namespace kconv {

// The block `config` computes, which micro-tuning never changes, and the two knobs it may turn, as its
// family says.
ConfigKnobs KnobsOf(const KernelConfig& config);

inline constexpr int kMaxMicroTuneCandidates = 6;

// `original` first, then the configs of its family with its block that differ from it only in stages,
// by one, then (when occupancy_limited: the original leaves at least half of an SM's warp slots empty)
// only in warps; kMaxMicroTuneCandidates at most. Indices into `configs`.
std::vector<int> MicroTuneNeighbours(std::span<const KernelConfig> configs, int original, bool occupancy_limited);

// One candidate's timing: the median of its repetitions and their 10th and 90th percentiles.
struct CandidateTiming {
  int config;  // index into Configs()
  double median_us, p10_us, p90_us;
};

struct TuningDecision {
  int winner;  // the config kept: the original unless a candidate passed both tests
  std::string reason;
};

// A candidate replaces the original only if its median is more than `min_gain` (a fraction: 0.02 is 2%)
// below the original's and its spread lies wholly below the original's (p90 < the original's p10).
// Candidates are considered fastest first; names[i] names config i in the reason.
TuningDecision DecideTuning(const CandidateTiming& original, std::vector<CandidateTiming> candidates, double min_gain,
                            const std::vector<std::string>& names);

}  // namespace kconv
