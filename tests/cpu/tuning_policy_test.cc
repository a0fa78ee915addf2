// SPDX-License-Identifier: Apache-2.0
// The micro-tuning policy on synthetic timings, and the neighbourhood it may search.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "runtime/blob_registry.h"
#include "runtime/kernel_family.h"
#include "runtime/tuning_policy.h"

namespace {

const std::vector<std::string> kNames = {"original", "a", "b", "c"};

kconv::CandidateTiming Timing(int config, double median, double spread) {
  return {config, median, median - spread, median + spread};
}

}  // namespace

TEST_CASE("tuning_policy.keeps_the_original_when_the_gain_is_below_the_threshold") {
  const kconv::TuningDecision d = kconv::DecideTuning(Timing(0, 100.0, 0.1), {Timing(1, 98.5, 0.1)}, 0.02, kNames);
  CHECK(d.winner == 0);
  CHECK(d.reason.find("not above the 2.0% threshold") != std::string::npos);
  // The same gain passes a 1% threshold.
  CHECK(kconv::DecideTuning(Timing(0, 100.0, 0.1), {Timing(1, 98.5, 0.1)}, 0.01, kNames).winner == 1);
}

TEST_CASE("tuning_policy.rejects_an_unstable_winner_and_takes_a_stable_one_behind_it") {
  // a: 6% faster in the median, but its spread reaches into the original's.
  const kconv::CandidateTiming original = Timing(0, 100.0, 2.0), a = {1, 94.0, 90.0, 99.0};
  kconv::TuningDecision d = kconv::DecideTuning(original, {a}, 0.02, kNames);
  CHECK(d.winner == 0);
  CHECK(d.reason.find("unstable") != std::string::npos);
  // b: 4% faster and clear of the original's spread: kept instead.
  d = kconv::DecideTuning(original, {a, Timing(2, 96.0, 1.0)}, 0.02, kNames);
  CHECK(d.winner == 2);
  CHECK(d.reason.find("b is 4.0% faster") != std::string::npos);
}

TEST_CASE("tuning_policy.keeps_a_faster_original_and_never_picks_a_slower_candidate") {
  const kconv::TuningDecision d =
      kconv::DecideTuning(Timing(0, 100.0, 0.5), {Timing(1, 120.0, 0.5), Timing(3, 101.0, 0.1)}, 0.02, kNames);
  CHECK(d.winner == 0);
  CHECK(d.reason.find("is the fastest") != std::string::npos);
  CHECK(kconv::DecideTuning(Timing(0, 100.0, 0.5), {}, 0.02, kNames).winner == 0);
  // The original among the candidates is not its own rival.
  CHECK(kconv::DecideTuning(Timing(0, 100.0, 0.5), {Timing(0, 50.0, 0.1)}, 0.02, kNames).winner == 0);
}

TEST_CASE("tuning_policy.micro_tuning_never_changes_the_block_and_keeps_the_original_first") {
  const auto configs = kconv::Configs();
  for (int i = 0; i < static_cast<int>(configs.size()); ++i) {
    for (bool occupancy_limited : {false, true}) {
      CAPTURE(configs[i].full_name);
      const std::vector<int> n = kconv::MicroTuneNeighbours(configs, i, occupancy_limited);
      REQUIRE(!n.empty());
      CHECK(n.front() == i);
      CHECK(n.size() <= static_cast<size_t>(kconv::kMaxMicroTuneCandidates));
      const kconv::ConfigKnobs o = kconv::KnobsOf(configs[i]);
      for (size_t j = 1; j < n.size(); ++j) {
        const kconv::ConfigKnobs c = kconv::KnobsOf(configs[n[j]]);
        CHECK(&configs[n[j]].family() == &configs[i].family());
        CHECK(c.block_m == o.block_m);
        CHECK(c.block_n == o.block_n);
        CHECK(c.block_k == o.block_k);
        if (c.warps == o.warps) {
          CHECK(std::abs(c.stages - o.stages) == 1);
        } else {
          CHECK(occupancy_limited);
          CHECK(c.stages == o.stages);
        }
      }
    }
  }
}

TEST_CASE("tuning_policy.micro_tuning_tries_the_stage_neighbours_the_registry_holds") {
  const auto configs = kconv::Configs();
  auto index = [&](const char* name) {
    auto i = kconv::FindConfig(name);
    REQUIRE(i.ok());
    return *i;
  };
  const std::vector<int> n = kconv::MicroTuneNeighbours(configs, index("implicit_gemm_tf32/m64n32k32_w4_s1"), false);
  CHECK(n == std::vector<int>{index("implicit_gemm_tf32/m64n32k32_w4_s1"), index("implicit_gemm_tf32/m64n32k32_w4_s2")});
}

TEST_CASE("tuning_policy.no_config_has_a_candidate_for_a_neighbour") {
  // Candidates hold kernels no GPU has checked yet: micro-tuning never times them, from any starting config
  // (a tuning config becomes one once it has won and is remembered or read from a cache file).
  const auto configs = kconv::Configs();
  int candidates = 0;
  for (int i = 0; i < static_cast<int>(configs.size()); ++i) {
    candidates += configs[i].candidate ? 1 : 0;
    for (const bool occupancy_limited : {false, true}) {
      for (int j : kconv::MicroTuneNeighbours(configs, i, occupancy_limited)) {
        CAPTURE(configs[i].full_name);
        CAPTURE(configs[j].full_name);
        CHECK((j == i || !configs[j].candidate));
      }
    }
  }
  CHECK(candidates > 0);
}

TEST_CASE("tuning_policy.every_tuning_config_is_a_neighbour_of_a_config_the_heuristic_may_choose") {
  // The configs marked "tuning" exist for the micro-tuner: each must be reachable from one the heuristic
  // chooses among, and each of those must have a neighbour to try (stages or, when occupancy-limited, warps).
  const auto configs = kconv::Configs();
  std::vector<bool> reached(configs.size(), false);
  for (int i = 0; i < static_cast<int>(configs.size()); ++i) {
    if (configs[i].tuning_only) continue;
    const std::vector<int> n = kconv::MicroTuneNeighbours(configs, i, true);
    CAPTURE(configs[i].full_name);
    CHECK(n.size() >= 2);
    for (int j : n) reached[j] = true;
  }
  int tuning = 0;
  for (int i = 0; i < static_cast<int>(configs.size()); ++i) {
    CAPTURE(configs[i].full_name);
    if (configs[i].candidate) CHECK(configs[i].tuning_only);  // never chosen before it is measured
    if (!configs[i].tuning_only || configs[i].candidate) continue;  // candidates run only when named
    ++tuning;
    CHECK(reached[i]);
  }
  CHECK(tuning > 0);
  // The Triton start's m64n64k16_w4_s3 may try stages 2 and 4, and 2, 8 and 16 warps: six candidates.
  auto index = [&](const char* name) {
    auto i = kconv::FindConfig(name);
    REQUIRE(i.ok());
    return *i;
  };
  const std::vector<int> n = kconv::MicroTuneNeighbours(configs, index("implicit_gemm_tf32/m64n64k16_w4_s3"), true);
  CHECK(n.size() == 6);
  CHECK(n[0] == index("implicit_gemm_tf32/m64n64k16_w4_s3"));
}
