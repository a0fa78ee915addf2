// SPDX-License-Identifier: Apache-2.0
// Every malformed input gets a clear status and a message naming the problem, and leaves outputs alone.
#include <doctest/doctest.h>
#include <stddef.h>

#include <stdint.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "kconv/kconv.h"
#include "prelude.h"

using kconv_test::Shape;

namespace {

std::string LastError() { return kconv_last_error_message(); }

kconv_conv_desc Valid() { return Shape{1, 3, 8, 8, 4, 3, 3}.Desc(); }

void ExpectRejected(const kconv_conv_desc& d, kconv_status expected, const char* mentions) {
  int64_t dims[4] = {-7, -7, -7, -7};
  CHECK(kconv_conv_output_shape(&d, dims) == expected);
  CHECK_MESSAGE(LastError().find(mentions) != std::string::npos, LastError());
  CHECK(dims[0] == -7);  // untouched
}

}  // namespace

TEST_CASE("conv2d.validation.rejects_null_descriptor_and_output") {
  int64_t dims[4];
  CHECK(kconv_conv_output_shape(nullptr, dims) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(LastError() == "kconv_conv_output_shape: desc is NULL");
  const kconv_conv_desc d = Valid();
  CHECK(kconv_conv_output_shape(&d, nullptr) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(LastError().find("out_dims is NULL") != std::string::npos);
}

TEST_CASE("conv2d.validation.rejects_unknown_struct_sizes") {
  kconv_conv_desc d = Valid();
  SUBCASE("zero") { d.struct_size = 0; }
  SUBCASE("too_small") { d.struct_size = sizeof(kconv_conv_desc) - 4; }
  SUBCASE("newer_than_library") { d.struct_size = sizeof(kconv_conv_desc) + 8; }
  ExpectRejected(d, KCONV_STATUS_INVALID_ARGUMENT, "struct_size");
}

TEST_CASE("conv2d.validation.rejects_zero_and_negative_sizes") {
  struct Field {
    const char* name;
    int64_t kconv_conv_desc::*member;
    int64_t lowest_valid;
  };
  const Field fields[] = {
      {"n", &kconv_conv_desc::n, 1},           {"c", &kconv_conv_desc::c, 1},
      {"h", &kconv_conv_desc::h, 1},           {"w", &kconv_conv_desc::w, 1},
      {"k", &kconv_conv_desc::k, 1},           {"r", &kconv_conv_desc::r, 1},
      {"s", &kconv_conv_desc::s, 1},           {"stride_h", &kconv_conv_desc::stride_h, 1},
      {"stride_w", &kconv_conv_desc::stride_w, 1}, {"pad_h", &kconv_conv_desc::pad_h, 0},
      {"pad_w", &kconv_conv_desc::pad_w, 0},   {"dil_h", &kconv_conv_desc::dil_h, 1},
      {"dil_w", &kconv_conv_desc::dil_w, 1},
  };
  for (const Field& f : fields) {
    for (int64_t bad : {f.lowest_valid - 1, int64_t{-5}, INT64_MIN, INT64_MAX}) {
      CAPTURE(f.name);
      CAPTURE(bad);
      kconv_conv_desc d = Valid();
      d.*f.member = bad;
      ExpectRejected(d, KCONV_STATUS_INVALID_ARGUMENT, (std::string("desc->") + f.name + " = ").c_str());
    }
  }
}

TEST_CASE("conv2d.validation.rejects_bad_flags_and_math_modes") {
  kconv_conv_desc d = Valid();
  SUBCASE("has_bias") {
    d.has_bias = 2;
    ExpectRejected(d, KCONV_STATUS_INVALID_ARGUMENT, "has_bias = 2");
  }
  SUBCASE("relu") {
    d.relu = -1;
    ExpectRejected(d, KCONV_STATUS_INVALID_ARGUMENT, "relu = -1");
  }
  SUBCASE("every_defined_math_mode_is_accepted") {
    for (int32_t mode : {KCONV_MATH_TF32, KCONV_MATH_3XTF32, KCONV_MATH_FP32}) {
      d.math_mode = mode;
      int64_t dims[4];
      CHECK(kconv_conv_output_shape(&d, dims) == KCONV_STATUS_OK);
    }
  }
  SUBCASE("reserved_math_mode_is_unimplemented") {
    d.math_mode = 3;
    ExpectRejected(d, KCONV_STATUS_UNIMPLEMENTED, "reserved for a future math mode");
  }
  SUBCASE("unknown_math_mode") {
    d.math_mode = 1000;
    ExpectRejected(d, KCONV_STATUS_INVALID_ARGUMENT, "not a kconv_math_mode");
  }
}

TEST_CASE("conv2d.validation.rejects_empty_output") {
  kconv_conv_desc d = Shape{1, 3, 5, 5, 4, 7, 3}.Desc();  // 7 rows of kernel over 5 rows, no padding
  ExpectRejected(d, KCONV_STATUS_INVALID_ARGUMENT, "empty output");
  d.pad_h = 1;  // padded to 7 rows: exactly one output row
  int64_t dims[4];
  REQUIRE(kconv_conv_output_shape(&d, dims) == KCONV_STATUS_OK);
  CHECK(dims[2] == 1);
  d = Shape{1, 3, 5, 5, 4, 3, 3, 1, 1, 0, 0, 3, 1}.Desc();  // dilation 3 stretches 3 taps over 7 rows
  ExpectRejected(d, KCONV_STATUS_INVALID_ARGUMENT, "dilated kernel (7 x 3)");
}

TEST_CASE("conv2d.validation.rejects_sizes_whose_element_counts_overflow") {
  kconv_conv_desc d = Valid();
  d.n = int64_t{1} << 40;
  d.c = int64_t{1} << 30;
  ExpectRejected(d, KCONV_STATUS_INVALID_ARGUMENT, "than int64 can count");
}

TEST_CASE("conv2d.validation.dilated_kernels_beyond_int64_are_an_empty_output_not_an_overflow") {
  // Regressions (issue 16): dil * (kernel - 1) + 1 overflowed int64 and validation returned a shape, which
  // made the host path write out of bounds (dil_w) or compute a wrong result (dil_h).
  kconv_conv_desc d = Shape{1, 1, 1, 1, 1, 1, int64_t{1} << 24 | 1}.Desc();
  d.pad_w = 0;
  d.dil_w = int64_t{1} << 40;
  ExpectRejected(d, KCONV_STATUS_INVALID_ARGUMENT, "dilated kernel (1 x at least 2^63)");
  float x = 1.f, w[1] = {1.f}, y = -42.f;
  CHECK(kconv_forward_host(&d, &x, w, nullptr, &y) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(y == -42.f);
  d = Shape{1, 1, 1, 1, 1, int64_t{1} << 24 | 1, 1}.Desc();
  d.dil_h = int64_t{1} << 40;
  ExpectRejected(d, KCONV_STATUS_INVALID_ARGUMENT, "dilated kernel (at least 2^63 x 1)");
  // At the edge: the largest dilation and kernel whose span fits still validate as an ordinary empty output.
  d = Shape{1, 1, 8, 8, 1, 2, 2}.Desc();
  d.dil_h = int64_t{1} << 40;
  ExpectRejected(d, KCONV_STATUS_INVALID_ARGUMENT, "dilated kernel (1099511627777 x 2)");
}

TEST_CASE("conv2d.validation.host_forward_rejects_bad_pointers_and_leaves_y_untouched") {
  const Shape s{1, 2, 6, 6, 3, 3, 3};
  const kconv_conv_desc d = s.Desc();
  std::vector<float> x(s.XElements() + 1, 1.f), w(s.WElements() + 1, 1.f), b(s.k + 1, 1.f);
  std::vector<float> y(s.YElements() + 1, -42.f);
  auto untouched = [&] {
    for (float v : y)
      if (v != -42.f) return false;
    return true;
  };
  struct Case {
    const char* name;
    const float *x, *w, *b;
    float* y;
    const char* mentions;
  };
  const Case cases[] = {
      {"null x", nullptr, w.data(), b.data(), y.data(), "x is a null pointer"},
      {"null w", x.data(), nullptr, b.data(), y.data(), "w is a null pointer"},
      {"null y", x.data(), w.data(), b.data(), nullptr, "y is a null pointer"},
      {"null bias with has_bias", x.data(), w.data(), nullptr, y.data(), "bias is a null pointer"},
      {"misaligned x", reinterpret_cast<const float*>(reinterpret_cast<const char*>(x.data()) + 2), w.data(), b.data(),
       y.data(), "not 4-byte aligned"},
      {"y overlaps x", x.data(), w.data(), b.data(), x.data() + 1, "overlaps"},
      // Regression (issue 16): a range that wraps past 2^64 passed the overlap test.
      {"x wraps past 2^64", reinterpret_cast<const float*>(uintptr_t{0} - 64), w.data(), b.data(), y.data(),
       "run past the end of the address space"},
      {"y wraps past 2^64", x.data(), w.data(), b.data(), reinterpret_cast<float*>(uintptr_t{0} - 16),
       "run past the end of the address space"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    CHECK(kconv_forward_host(&d, c.x, c.w, c.b, c.y) == KCONV_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE(LastError().find(c.mentions) != std::string::npos, LastError());
    CHECK(untouched());
  }
  kconv_conv_desc no_bias = d;
  no_bias.has_bias = 0;
  CHECK(kconv_forward_host(&no_bias, x.data(), w.data(), b.data(), y.data()) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(LastError().find("has_bias = 0") != std::string::npos);
  kconv_conv_desc bad = d;
  bad.k = 0;
  CHECK(kconv_forward_host(&bad, x.data(), w.data(), b.data(), y.data()) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(untouched());
}

TEST_CASE("conv2d.validation.handles_null_handles") {
  const kconv_conv_desc d = Valid();
  kconv_plan* plan = reinterpret_cast<kconv_plan*>(uintptr_t{1});
  CHECK(kconv_plan_create(nullptr, &d, nullptr, &plan) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(plan == nullptr);
  CHECK(LastError().find("context is NULL") != std::string::npos);
  CHECK(kconv_plan_create(nullptr, &d, nullptr, nullptr) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(kconv_plan_execute(nullptr, 16, 16, 0, 64, nullptr) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(LastError().find("plan is NULL") != std::string::npos);
  kconv_plan_info info;
  info.struct_size = sizeof(info);
  CHECK(kconv_plan_get_info(nullptr, &info) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(kconv_plan_describe(nullptr, nullptr, 0) == -1);
  CHECK(kconv_forward(nullptr, &d, 16, 16, 0, 64, nullptr) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(kconv_context_create(nullptr, nullptr) == KCONV_STATUS_INVALID_ARGUMENT);
  kconv_context_destroy(nullptr);  // no-ops
  kconv_plan_destroy(nullptr);
}

TEST_CASE("conv2d.validation.rejects_bad_context_options_before_touching_the_driver") {
  kconv_context_options o;
  kconv_context_options_init(&o);
  kconv_context* ctx = reinterpret_cast<kconv_context*>(uintptr_t{1});
  SUBCASE("struct_size") {
    o.struct_size = 3;
    CHECK(kconv_context_create(&o, &ctx) == KCONV_STATUS_INVALID_ARGUMENT);
    CHECK(LastError().find("options->struct_size is 3") != std::string::npos);
  }
  SUBCASE("flag") {
    o.force_ptx = 7;
    CHECK(kconv_context_create(&o, &ctx) == KCONV_STATUS_INVALID_ARGUMENT);
    CHECK(LastError().find("must be 0 or 1") != std::string::npos);
  }
  CHECK(ctx == nullptr);
}

TEST_CASE("conv2d.validation.context_options_from_before_the_tuning_cache_are_accepted") {
  kconv_context_options o;
  kconv_context_options_init(&o);
  CHECK(o.tuning_cache_path == nullptr);  // default: KCONV_TUNING_CACHE, if set
  o.struct_size = offsetof(kconv_context_options, tuning_cache_path);
  kconv_context* ctx = nullptr;
  const kconv_status st = kconv_context_create(&o, &ctx);
  CHECK(st != KCONV_STATUS_INVALID_ARGUMENT);  // UNAVAILABLE without a driver, OK with one
  kconv_context_destroy(ctx);
}

TEST_CASE("conv2d.validation.status_strings_name_every_code") {
  CHECK(std::string(kconv_status_string(KCONV_STATUS_OK)) == "KCONV_STATUS_OK");
  CHECK(std::string(kconv_status_string(KCONV_STATUS_INVALID_ARGUMENT)) == "KCONV_STATUS_INVALID_ARGUMENT");
  CHECK(std::string(kconv_status_string(KCONV_STATUS_RESOURCE_EXHAUSTED)) == "KCONV_STATUS_RESOURCE_EXHAUSTED");
  CHECK(std::string(kconv_status_string(KCONV_STATUS_UNAVAILABLE)) == "KCONV_STATUS_UNAVAILABLE");
  CHECK(std::string(kconv_status_string(static_cast<kconv_status>(77))).find("unrecognised") != std::string::npos);
}

TEST_CASE("conv2d.validation.last_error_is_per_thread") {
  kconv_conv_desc d = Valid();
  d.c = 0;
  int64_t dims[4];
  REQUIRE(kconv_conv_output_shape(&d, dims) == KCONV_STATUS_INVALID_ARGUMENT);
  const std::string mine = LastError();
  std::string theirs = "unset";
  std::thread([&] {
    theirs = kconv_last_error_message();
    kconv_conv_desc other = Valid();
    other.k = -3;
    kconv_conv_output_shape(&other, dims);
  }).join();
  CHECK(theirs.empty());
  CHECK(LastError() == mine);
}

extern "C" const char* kconv_test_status_string_of(int status);  // status_string_caller.c

TEST_CASE("conv2d.validation.status_strings_of_any_value_are_defined") {
  // Regression (issue 16): an out-of-range kconv_status was loaded as the enum (undefined behaviour,
  // caught by UBSan's -fsanitize=enum). A C caller may pass any int.
  CHECK(std::string(kconv_test_status_string_of(-1)) == "KCONV_STATUS_(unrecognised code)");
  CHECK(std::string(kconv_test_status_string_of(1000)) == "KCONV_STATUS_(unrecognised code)");
  CHECK(std::string(kconv_test_status_string_of(12)) == "KCONV_STATUS_UNIMPLEMENTED");
}

TEST_CASE("conv2d.validation.versions_agree") {
  CHECK(kconv_version_number() == KCONV_VERSION_NUMBER);
  CHECK(std::string(kconv_version_string()) == "0.4.0");
}
