// SPDX-License-Identifier: Apache-2.0
// kconv_autotune's argument checks (before any driver call), its report accessors, and the timing
// summary, on a machine without a GPU.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kconv/kconv.h"
#include "prelude.h"
#include "runtime/autotune.h"

namespace {

kconv_status Tune(const kconv_autotune_options& o, uint64_t y = 0) {
  const kconv_conv_desc d = kconv_test::AlexNetConv1(1).Desc();
  kconv_autotune_report* report = reinterpret_cast<kconv_autotune_report*>(1);  // must be reset to NULL
  const kconv_status s = kconv_autotune(nullptr, &d, &o, 0, 0, 0, y, nullptr, &report);
  CHECK(report == nullptr);
  return s;
}

bool MessageHas(const char* text) { return std::string(kconv_last_error_message()).find(text) != std::string::npos; }

}  // namespace

TEST_CASE("autotune.options_default_to_micro_tuning_with_a_2_percent_threshold") {
  kconv_autotune_options o;
  kconv_autotune_options_init(&o);
  CHECK(o.struct_size == sizeof(o));
  CHECK(o.mode == KCONV_AUTOTUNE_MICRO);
  CHECK(o.min_gain == doctest::Approx(0.02));
  CHECK(o.warmup_runs == 5);
  CHECK(o.timed_runs == 50);
  CHECK(o.write_output == 0);
  CHECK(o.store == 1);
  CHECK(!o.progress);
}

TEST_CASE("autotune.rejects_bad_options_before_touching_the_driver") {
  kconv_autotune_options o;
  kconv_autotune_options_init(&o);
  o.mode = 7;
  CHECK(Tune(o) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(MessageHas("mode = 7"));
  kconv_autotune_options_init(&o);
  o.min_gain = -0.5;
  CHECK(Tune(o) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(MessageHas("min_gain"));
  kconv_autotune_options_init(&o);
  o.timed_runs = 2;
  CHECK(Tune(o) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(MessageHas("timed_runs = 2"));
  kconv_autotune_options_init(&o);
  o.warmup_runs = -1;
  CHECK(Tune(o) == KCONV_STATUS_INVALID_ARGUMENT);
  kconv_autotune_options_init(&o);
  o.store = 2;
  CHECK(Tune(o) == KCONV_STATUS_INVALID_ARGUMENT);
  // Asked to write the output, but given none.
  kconv_autotune_options_init(&o);
  o.write_output = 1;
  CHECK(Tune(o) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(MessageHas("write_output = 1, but y is a null pointer"));
  // A struct from a newer header is refused, not half read.
  kconv_autotune_options_init(&o);
  o.struct_size = sizeof(o) + 8;
  CHECK(Tune(o) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(MessageHas("struct_size"));
  // Valid options reach the context check.
  kconv_autotune_options_init(&o);
  CHECK(Tune(o) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(MessageHas("context is NULL"));
  // A bad descriptor is named first.
  kconv_conv_desc d = kconv_test::AlexNetConv1(1).Desc();
  d.k = 0;
  CHECK(kconv_autotune(nullptr, &d, nullptr, 0, 0, 0, 0, nullptr, nullptr) == KCONV_STATUS_INVALID_ARGUMENT);
}

TEST_CASE("autotune.report_accessors_handle_null") {
  CHECK(kconv_autotune_report_candidate_count(nullptr) == 0);
  CHECK(kconv_autotune_report_winner(nullptr) == nullptr);
  CHECK(kconv_autotune_report_reason(nullptr) == nullptr);
  CHECK(kconv_autotune_report_original_source(nullptr) == nullptr);
  CHECK(kconv_autotune_report_skipped(nullptr) == nullptr);
  CHECK(kconv_autotune_report_stored_in_file(nullptr) == 0);
  kconv_autotune_candidate c;
  c.struct_size = sizeof(c);
  CHECK(kconv_autotune_report_candidate(nullptr, 0, &c) == KCONV_STATUS_INVALID_ARGUMENT);
  kconv_autotune_report_destroy(nullptr);
}

TEST_CASE("autotune.summary_takes_the_median_and_interpolated_percentiles") {
  std::vector<double> samples;
  for (int i = 10; i >= 0; --i) samples.push_back(100.0 + i);  // 100 ... 110, unsorted
  const kconv::CandidateTiming t = kconv::Summarise(3, samples);
  CHECK(t.config == 3);
  CHECK(t.median_us == doctest::Approx(105.0));
  CHECK(t.p10_us == doctest::Approx(101.0));
  CHECK(t.p90_us == doctest::Approx(109.0));
  const kconv::CandidateTiming even = kconv::Summarise(0, {1.0, 2.0, 3.0, 4.0});
  CHECK(even.median_us == doctest::Approx(2.5));
  CHECK(even.p10_us == doctest::Approx(1.3));
  const kconv::CandidateTiming none = kconv::Summarise(0, {});
  CHECK(none.median_us == 0);
}
