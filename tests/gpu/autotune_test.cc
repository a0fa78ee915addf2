// SPDX-License-Identifier: Apache-2.0
// kconv_autotune on a real device: the winner is correct and no slower than the heuristic's choice, the
// tuning cache is written and later plans use it, the caller's output is never written unless asked.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "gpu_harness.h"
#include "kconv/kconv.h"

namespace kconv_test {
namespace {

std::string ConfigOf(const kconv_plan* plan) {
  kconv_plan_info info;
  info.struct_size = sizeof(info);
  REQUIRE(kconv_plan_get_info(plan, &info) == KCONV_STATUS_OK);
  return std::string(info.family) + "/" + info.config;
}

// The config a new plan for `s` gets in `ctx` (config_name NULL: kconv's choice).
std::string PlannedConfig(kconv_context* ctx, const Shape& s, const char* config_name = nullptr) {
  const kconv_conv_desc d = s.Desc();
  kconv_plan_options po;
  kconv_plan_options_init(&po);
  po.config_name = config_name;
  kconv_plan* plan = nullptr;
  REQUIRE_MESSAGE(kconv_plan_create(ctx, &d, &po, &plan) == KCONV_STATUS_OK, kconv_last_error_message());
  const std::string config = ConfigOf(plan);
  kconv_plan_destroy(plan);
  return config;
}

// Runs `config` on fresh data and checks it elementwise against the float64 reference.
void CheckCorrect(kconv_context* ctx, ConvBuffers& b, const std::string& config) {
  CAPTURE(config);
  const kconv_conv_desc d = b.shape.Desc();
  kconv_plan_options po;
  kconv_plan_options_init(&po);
  po.config_name = config.c_str();
  kconv_plan* plan = nullptr;
  REQUIRE_MESSAGE(kconv_plan_create(ctx, &d, &po, &plan) == KCONV_STATUS_OK, kconv_last_error_message());
  b.Refresh();
  REQUIRE(kconv_plan_execute(plan, b.x.get(), b.w.get(), b.bias.get(), b.y.get(), nullptr) == KCONV_STATUS_OK);
  const Comparison c = CompareWithReference(b);
  CHECK(c.nan_count == 0);
  CHECK(c.outside_elementwise == 0);
  kconv_plan_destroy(plan);
}

std::vector<kconv_autotune_candidate> Candidates(const kconv_autotune_report* report) {
  std::vector<kconv_autotune_candidate> out(kconv_autotune_report_candidate_count(report));
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].struct_size = sizeof(out[i]);
    REQUIRE(kconv_autotune_report_candidate(report, static_cast<int32_t>(i), &out[i]) == KCONV_STATUS_OK);
  }
  return out;
}

void CheckCandidateMetrics(const kconv_autotune_candidate& c) {
  CAPTURE(c.config);
  CHECK(c.median_us > 0);
  CHECK(c.p10_us <= c.median_us);
  CHECK(c.median_us <= c.p90_us);
  CHECK(c.grid_x > 0);
  CHECK(c.threads_per_block > 0);
  CHECK(c.registers_per_thread > 0);
  CHECK(c.local_bytes_per_thread >= 0);  // stem_wgmma_tf32/m256n96_w16_k5x3 spills (families/stem_wgmma_tf32/configs)
  CHECK(c.blocks_per_sm >= 1);
  CHECK(c.occupancy > 0);
  CHECK(c.occupancy <= 1);
}

struct ProgressLog {
  std::vector<std::pair<int, int>> calls;
  static void Record(void* user, int32_t done, int32_t total, const char* step) {
    CHECK(step != nullptr);
    static_cast<ProgressLog*>(user)->calls.emplace_back(done, total);
  }
};

std::string TempCachePath() {
  char dir[] = "/tmp/kconv_autotune_test_XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  return std::string(dir) + "/tuning.cache";
}

}  // namespace

TEST_SUITE("gpu") {
  TEST_CASE("gpu.autotune.micro_tuning_keeps_a_correct_config_no_slower_than_the_heuristic_and_caches_it") {
    const Shape s = AlexNetConv1(32);
    const std::string cache = TempCachePath();
    kconv_context_options co;
    kconv_context_options_init(&co);
    co.tuning_cache_path = cache.c_str();
    kconv_context* ctx = nullptr;
    REQUIRE(kconv_context_create(&co, &ctx) == KCONV_STATUS_OK);
    const std::string heuristic = PlannedConfig(ctx, s);

    ConvBuffers b(s);  // y poisoned: autotune must not write it (write_output = 0)
    ProgressLog progress;
    kconv_autotune_options o;
    kconv_autotune_options_init(&o);
    o.timed_runs = 20;
    o.progress = ProgressLog::Record;
    o.progress_user_data = &progress;
    const kconv_conv_desc d = s.Desc();
    kconv_autotune_report* report = nullptr;
    REQUIRE_MESSAGE(kconv_autotune(ctx, &d, &o, b.x.get(), b.w.get(), b.bias.get(), b.y.get(), nullptr, &report) ==
                        KCONV_STATUS_OK,
                    kconv_last_error_message());
    for (float v : Download(b.y, s.YElements())) REQUIRE(std::isnan(v));

    const std::vector<kconv_autotune_candidate> candidates = Candidates(report);
    REQUIRE(candidates.size() >= 2);
    CHECK(candidates.size() <= 6);
    CHECK(candidates[0].is_original == 1);
    CHECK(std::string(candidates[0].config) == heuristic);
    CHECK(std::string(kconv_autotune_report_original_source(report)) == "heuristic");
    const std::string winner = kconv_autotune_report_winner(report);
    const std::string reason = kconv_autotune_report_reason(report);
    MESSAGE("micro-tuning AlexNet N = 32 from ", heuristic, ": ", reason);
    const kconv_autotune_candidate* won = nullptr;
    for (const kconv_autotune_candidate& c : candidates) {
      CheckCandidateMetrics(c);
      if (c.is_winner) won = &c;
    }
    REQUIRE(won != nullptr);
    CHECK(std::string(won->config) == winner);
    CHECK(won->median_us <= candidates[0].median_us);  // never slower than the original
    CHECK(kconv_autotune_report_stored_in_file(report) == 1);
    REQUIRE(!progress.calls.empty());
    CHECK(progress.calls.back().first == progress.calls.back().second);
    for (size_t i = 1; i < progress.calls.size(); ++i) CHECK(progress.calls[i].first == progress.calls[i - 1].first + 1);
    kconv_autotune_report_destroy(report);

    // This context now plans with the winner, and so does a new one reading the cache file.
    CHECK(PlannedConfig(ctx, s) == winner);
    kconv_context* fresh = nullptr;
    REQUIRE(kconv_context_create(&co, &fresh) == KCONV_STATUS_OK);
    CHECK(PlannedConfig(fresh, s) == winner);
    CheckCorrect(fresh, b, winner);
    kconv_context_destroy(fresh);
    kconv_context_destroy(ctx);
    unlink(cache.c_str());
  }

  TEST_CASE("gpu.autotune.full_search_times_every_config_that_accepts_the_shape") {
    const Shape s{2, 16, 20, 20, 24, 3, 3};
    kconv_context* ctx = nullptr;
    kconv_context_options co;
    kconv_context_options_init(&co);
    co.tuning_cache_path = "";  // none, whatever the environment says
    REQUIRE(kconv_context_create(&co, &ctx) == KCONV_STATUS_OK);
    const std::string heuristic = PlannedConfig(ctx, s);
    int accepting = 0;
    const kconv_conv_desc d = s.Desc();
    for (int i = 0; i < kconv_config_count(); ++i) {
      kconv_plan_options po;
      kconv_plan_options_init(&po);
      po.config_name = kconv_config_name(i);
      kconv_plan* plan = nullptr;
      if (kconv_plan_create(ctx, &d, &po, &plan) == KCONV_STATUS_OK) ++accepting;
      kconv_plan_destroy(plan);
    }
    ConvBuffers b(s);
    kconv_autotune_options o;
    kconv_autotune_options_init(&o);
    o.mode = KCONV_AUTOTUNE_FULL;
    o.warmup_runs = 1;
    o.timed_runs = 10;
    o.write_output = 1;
    o.store = 0;
    kconv_autotune_report* report = nullptr;
    REQUIRE_MESSAGE(kconv_autotune(ctx, &d, &o, b.x.get(), b.w.get(), b.bias.get(), b.y.get(), nullptr, &report) ==
                        KCONV_STATUS_OK,
                    kconv_last_error_message());
    const std::vector<kconv_autotune_candidate> candidates = Candidates(report);
    CHECK(static_cast<int>(candidates.size()) == accepting);
    CHECK(std::string(kconv_autotune_report_skipped(report)).empty());
    for (const kconv_autotune_candidate& c : candidates) CheckCandidateMetrics(c);
    // The caller asked for its y to be used: it holds the last candidate's output.
    int64_t finite = 0;
    for (float v : Download(b.y, s.YElements())) finite += std::isfinite(v) ? 1 : 0;
    CHECK(finite == s.YElements());
    const std::string winner = kconv_autotune_report_winner(report);
    CHECK(kconv_autotune_report_stored_in_file(report) == 0);
    kconv_autotune_report_destroy(report);
    CheckCorrect(ctx, b, winner);
    CHECK(PlannedConfig(ctx, s) == heuristic);  // store = 0: nothing changed
    kconv_context_destroy(ctx);
  }
}

}  // namespace kconv_test
