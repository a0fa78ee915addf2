// SPDX-License-Identifier: Apache-2.0
#include "runtime/tuning_policy.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_format.h"

namespace kconv {

ConfigKnobs KnobsOf(const KernelConfig& config) { return config.family().Knobs(config.family_index); }

std::vector<int> MicroTuneNeighbours(std::span<const KernelConfig> configs, int original, bool occupancy_limited) {
  const ConfigKnobs o = KnobsOf(configs[original]);
  const KernelFamily* family = &configs[original].family();
  auto same_block = [&](const KernelConfig& config, const ConfigKnobs& c) {
    return &config.family() == family && c.block_m == o.block_m && c.block_n == o.block_n && c.block_k == o.block_k &&
           c.variant == o.variant;
  };
  std::vector<int> out = {original};
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < static_cast<int>(configs.size()); ++i) {
      if (i == original || static_cast<int>(out.size()) >= kMaxMicroTuneCandidates) continue;
      if (configs[i].candidate) continue;  // unchecked on a GPU: run only when named
      const ConfigKnobs c = KnobsOf(configs[i]);
      if (!same_block(configs[i], c)) continue;
      const bool stage_step = c.warps == o.warps && std::abs(c.stages - o.stages) == 1;
      const bool other_warps = occupancy_limited && c.stages == o.stages && c.warps != o.warps;
      if (pass == 0 ? stage_step : other_warps) out.push_back(i);
    }
  }
  return out;
}

TuningDecision DecideTuning(const CandidateTiming& original, std::vector<CandidateTiming> candidates, double min_gain,
                            const std::vector<std::string>& names) {
  auto name = [&](int i) { return i >= 0 && i < static_cast<int>(names.size()) ? names[i] : std::to_string(i); };
  candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                  [&](const CandidateTiming& c) { return c.config == original.config; }),
                   candidates.end());
  std::sort(candidates.begin(), candidates.end(),
            [](const CandidateTiming& a, const CandidateTiming& b) { return a.median_us < b.median_us; });
  auto gain = [&](const CandidateTiming& c) { return (original.median_us - c.median_us) / original.median_us; };
  for (const CandidateTiming& c : candidates) {
    if (gain(c) > min_gain && c.p90_us < original.p10_us) {
      return {c.config, absl::StrFormat("%s is %.1f%% faster than %s (%.1f vs %.1f us), above the %.1f%% threshold, "
                                        "and its spread (%.1f-%.1f us) lies below the original's (%.1f-%.1f us)",
                                        name(c.config), 100 * gain(c), name(original.config), c.median_us,
                                        original.median_us, 100 * min_gain, c.p10_us, c.p90_us, original.p10_us,
                                        original.p90_us)};
    }
  }
  if (candidates.empty()) return {original.config, "no other candidate ran"};
  const CandidateTiming& best = candidates.front();
  if (gain(best) <= 0) {
    return {original.config, absl::StrFormat("the original %s is the fastest (%.1f us; next %s at %.1f us)",
                                             name(original.config), original.median_us, name(best.config),
                                             best.median_us)};
  }
  if (gain(best) <= min_gain) {
    return {original.config,
            absl::StrFormat("the fastest other, %s, is %.1f%% faster, not above the %.1f%% threshold: kept %s",
                            name(best.config), 100 * gain(best), 100 * min_gain, name(original.config))};
  }
  return {original.config,
          absl::StrFormat("%s is %.1f%% faster but unstable: its spread (%.1f-%.1f us) overlaps the original's "
                          "(%.1f-%.1f us), and no candidate is both faster by %.1f%% and clear of it: kept %s",
                          name(best.config), 100 * gain(best), best.p10_us, best.p90_us, original.p10_us,
                          original.p90_us, 100 * min_gain, name(original.config))};
}

}  // namespace kconv
