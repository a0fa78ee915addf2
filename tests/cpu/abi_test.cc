// SPDX-License-Identifier: Apache-2.0
// The C ABI's rules for callers: per-call error messages that need no thread (the _e variants), the
// descriptor's element type and layout, struct versions and initialisers.
#include <doctest/doctest.h>
#include <stddef.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "kconv/kconv.h"
#include "prelude.h"

namespace {

kconv_conv_desc Valid() { return kconv_test::Shape{1, 3, 8, 8, 4, 3, 3}.Desc(); }

}  // namespace

TEST_CASE("abi.an_e_variant_writes_its_own_calls_status_and_message") {
  kconv_error error;
  kconv_error_init(&error);
  int64_t dims[4];
  kconv_conv_desc d = Valid();
  d.stride_h = 0;
  CHECK(kconv_conv_output_shape_e(&d, dims, &error) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(error.status == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(std::string(error.message) == std::string(kconv_last_error_message()));
  CHECK(std::string(error.message).find("kconv_conv_output_shape: desc->stride_h = 0") == 0);
  // Success clears it.
  d.stride_h = 1;
  CHECK(kconv_conv_output_shape_e(&d, dims, &error) == KCONV_STATUS_OK);
  CHECK(error.status == KCONV_STATUS_OK);
  CHECK(std::string(error.message).empty());
  // NULL: the thread's message only.
  CHECK(kconv_conv_output_shape_e(nullptr, dims, nullptr) == KCONV_STATUS_INVALID_ARGUMENT);
}

TEST_CASE("abi.messages_reach_their_own_caller_whatever_thread_reads_them") {
  // Go's goroutines may read a message on another OS thread than the failing call ran on: each caller
  // owns its kconv_error, so threads that swap their structs before reading still see their own calls.
  constexpr int kThreads = 16, kCalls = 200;
  std::vector<kconv_error> errors(kThreads);
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        kconv_error_init(&errors[t]);
        kconv_conv_desc d = Valid();
        d.pad_h = -(t * kCalls + i + 1);  // a value unique to this call
        int64_t dims[4];
        kconv_conv_output_shape_e(&d, dims, &errors[t]);
        const std::string expected = "desc->pad_h = " + std::to_string(d.pad_h) + ":";
        if (std::string(errors[t].message).find(expected) == std::string::npos) ++wrong[t];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) CHECK(wrong[t] == 0);
}

TEST_CASE("abi.a_short_error_struct_is_written_only_as_far_as_it_reaches") {
  struct {
    kconv_error error;
    unsigned char canary[16];
  } buffer;
  std::memset(&buffer, 0x5a, sizeof(buffer));
  buffer.error.struct_size = offsetof(kconv_error, message) + 8;  // room for 7 characters and a NUL
  int64_t dims[4];
  CHECK(kconv_conv_output_shape_e(nullptr, dims, &buffer.error) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(buffer.error.status == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(std::strlen(buffer.error.message) == 7);
  CHECK(std::string(buffer.error.message) == "kcon...");
  const unsigned char* past = reinterpret_cast<const unsigned char*>(buffer.error.message) + 8;
  for (size_t i = 0; i < sizeof(buffer.error.message) - 8; ++i) CHECK(past[i] == 0x5a);
  // Too short to hold the status: nothing is written.
  std::memset(&buffer, 0x5a, sizeof(buffer));
  buffer.error.struct_size = 4;
  CHECK(kconv_conv_output_shape_e(nullptr, dims, &buffer.error) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(buffer.error.status == 0x5a5a5a5a);
}

TEST_CASE("abi.long_messages_are_cut_with_an_ellipsis") {
  // Every config's reason for refusing a shape makes a message longer than the buffer.
  kconv_conv_desc d = Valid();
  d.c = int64_t{1} << 40;
  d.n = int64_t{1} << 30;
  int64_t dims[4];
  kconv_error error;
  kconv_error_init(&error);
  CHECK(kconv_conv_output_shape_e(&d, dims, &error) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(std::strlen(error.message) < sizeof(error.message));
}

TEST_CASE("abi.descriptor_element_type_and_layout_default_to_fp32_nchw_and_are_validated") {
  kconv_conv_desc d;
  kconv_conv_desc_init(&d);
  CHECK(d.struct_size == sizeof(kconv_conv_desc));
  CHECK(d.element_type == KCONV_ELEMENT_F32);
  CHECK(d.layout == KCONV_LAYOUT_NCHW);
  d = Valid();
  int64_t dims[4];
  d.element_type = KCONV_ELEMENT_BF16;
  d.layout = KCONV_LAYOUT_NHWC;
  CHECK(kconv_conv_output_shape(&d, dims) == KCONV_STATUS_OK);  // declared: a valid descriptor
  d.element_type = 7;
  CHECK(kconv_conv_output_shape(&d, dims) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(std::string(kconv_last_error_message()).find("element_type = 7") != std::string::npos);
  d.element_type = KCONV_ELEMENT_F32;
  d.layout = -1;
  CHECK(kconv_conv_output_shape(&d, dims) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(std::string(kconv_last_error_message()).find("layout = -1") != std::string::npos);
}

TEST_CASE("abi.the_host_path_computes_fp32_nchw_only_and_says_so") {
  const kconv_test::Shape s{1, 2, 6, 6, 3, 3, 3};
  kconv_conv_desc d = s.Desc();
  std::vector<float> x(s.XElements(), 1.f), w(s.WElements(), 1.f), b(s.k, 1.f), y(s.YElements(), -42.f);
  d.element_type = KCONV_ELEMENT_F16;
  CHECK(kconv_forward_host(&d, x.data(), w.data(), b.data(), y.data()) == KCONV_STATUS_UNIMPLEMENTED);
  CHECK(std::string(kconv_last_error_message()).find("fp16 NCHW") != std::string::npos);
  d.element_type = KCONV_ELEMENT_F32;
  d.layout = KCONV_LAYOUT_NHWC;
  CHECK(kconv_forward_host(&d, x.data(), w.data(), b.data(), y.data()) == KCONV_STATUS_UNIMPLEMENTED);
  for (float v : y) CHECK(v == -42.f);
}

TEST_CASE("abi.sized_initialisers_accept_exactly_the_published_sizes") {
  kconv_context_options o;
  std::memset(&o, 0x11, sizeof(o));
  CHECK(kconv_context_options_init_sized(&o, offsetof(kconv_context_options, tuning_cache_path)) == KCONV_STATUS_OK);
  CHECK(o.struct_size == offsetof(kconv_context_options, tuning_cache_path));
  CHECK(o.device_ordinal == 0);
  CHECK(reinterpret_cast<const unsigned char*>(&o.tuning_cache_path)[0] == 0x11);  // past the version: untouched
  CHECK(kconv_context_options_init_sized(&o, sizeof(o) + 8) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(std::string(kconv_last_error_message()).find("newer than the library") != std::string::npos);
  kconv_plan_options p;
  CHECK(kconv_plan_options_init_sized(&p, 3) == KCONV_STATUS_INVALID_ARGUMENT);
  kconv_autotune_options a;
  CHECK(kconv_autotune_options_init_sized(&a, sizeof(a)) == KCONV_STATUS_OK);
  CHECK(a.timed_runs == 50);
}

TEST_CASE("abi.plan_info_of_a_0_1_caller_is_written_only_as_far_as_its_size") {
  // No plan without a GPU: the size check comes first for a NULL plan too, so check the versions through
  // the status of a call that fails on the plan, and the sizes the header gives.
  CHECK(offsetof(kconv_plan_info, packed_weight_bytes) == 80);  // the 0.1 struct's size on 64-bit targets
  kconv_plan_info info;
  info.struct_size = 80;
  CHECK(kconv_plan_get_info(nullptr, &info) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(std::string(kconv_last_error_message()).find("plan is NULL") != std::string::npos);
}
