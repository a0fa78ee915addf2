// SPDX-License-Identifier: Apache-2.0
// kconv_context_create on the fake: the primary context it retains and releases, and the statuses of a
// machine without the device asked for or with a driver that fails while the context is set up.
#include <doctest/doctest.h>

#include <string>

#include "fake_fixture.h"
#include "runtime/driver_api.h"

namespace {

using fake_test::ContextPtr;
using fake_test::FakeDriver;
using fake_test::LastError;
using fake_test::LastErrorHas;
using fake_test::Options;

// A failing create must leave *out NULL, whatever it held.
kconv_status CreateExpectingFailure(const kconv_context_options& options) {
  kconv_context* context = reinterpret_cast<kconv_context*>(0x1);
  const kconv_status status = kconv_context_create(&options, &context);
  CHECK(context == nullptr);
  if (status == KCONV_STATUS_OK) kconv_context_destroy(context);
  return status;
}

}  // namespace

TEST_CASE("fake_driver.context_create.retains_the_primary_context_until_destroyed") {
  FakeDriver fake;
  {
    ContextPtr first = fake_test::MakeContext();
    CHECK(FakeDriver::Counters().primary_context_refs == 1);
    ContextPtr second = fake_test::MakeContext();
    CHECK(FakeDriver::Counters().primary_context_refs == 2);
    CHECK(FakeDriver::Counters().module_loads == 0);  // modules load with the first plan
    CHECK(fake_cuda_calls("cuDeviceGetCount") == 2);
    CHECK(FakeDriver::Counters().context_stack_depth == 0);  // nothing left pushed on the caller's thread
  }
  CHECK(FakeDriver::Counters().primary_context_refs == 0);
}

TEST_CASE("fake_driver.context_create.no_device_is_not_found") {
  FakeDriver fake;
  REQUIRE(fake_cuda_set_device_count(0) == 0);
  CHECK(CreateExpectingFailure(Options()) == KCONV_STATUS_NOT_FOUND);
  CHECK(LastErrorHas("kconv_context_create: "));
  CHECK(LastErrorHas("0 CUDA device(s) are visible"));
}

TEST_CASE("fake_driver.context_create.a_device_ordinal_out_of_range_is_not_found") {
  FakeDriver fake;
  kconv_context_options options = Options();
  options.device_ordinal = 1;
  CHECK(CreateExpectingFailure(options) == KCONV_STATUS_NOT_FOUND);
  CHECK(LastErrorHas("device_ordinal = 1, but 1 CUDA device(s) are visible"));
  options.device_ordinal = -1;
  CHECK(CreateExpectingFailure(options) == KCONV_STATUS_NOT_FOUND);
  // With a second device the ordinal binds that device's primary context.
  REQUIRE(fake_cuda_set_device_count(2) == 0);
  options.device_ordinal = 1;
  ContextPtr context = fake_test::MakeContext(options);
  CHECK(FakeDriver::Counters().primary_context_refs == 1);
}

TEST_CASE("fake_driver.context_create.reports_a_primary_context_failure") {
  FakeDriver fake;
  REQUIRE(fake_cuda_fail("cuDevicePrimaryCtxRetain", CUDA_ERROR_UNKNOWN, 0, 1) == 0);
  kconv_error error;
  kconv_error_init(&error);
  kconv_context* context = reinterpret_cast<kconv_context*>(0x1);
  const kconv_context_options options = Options();
  CHECK(kconv_context_create_e(&options, &context, &error) == KCONV_STATUS_INTERNAL);
  CHECK(context == nullptr);
  CHECK(error.status == KCONV_STATUS_INTERNAL);
  CHECK(std::string(error.message).find("cuDevicePrimaryCtxRetain") != std::string::npos);
  CHECK(std::string(error.message).find("CUDA_ERROR_UNKNOWN") != std::string::npos);
  CHECK(fake_cuda_injected_failures("cuDevicePrimaryCtxRetain") == 1);
}

TEST_CASE("fake_driver.context_create.a_failure_after_the_retain_releases_the_primary_context") {
  FakeDriver fake;
  SUBCASE("cuDeviceGetName") { REQUIRE(fake_cuda_fail("cuDeviceGetName", CUDA_ERROR_UNKNOWN, 0, 1) == 0); }
  SUBCASE("the third cuDeviceGetAttribute") {
    REQUIRE(fake_cuda_fail("cuDeviceGetAttribute", CUDA_ERROR_UNKNOWN, 2, 1) == 0);
  }
  CHECK(CreateExpectingFailure(Options()) == KCONV_STATUS_INTERNAL);
  CHECK((LastErrorHas("cuDeviceGetName") || LastErrorHas("cuDeviceGetAttribute")));
  CHECK(fake_cuda_calls("cuDevicePrimaryCtxRetain") == 1);
  CHECK(FakeDriver::Counters().primary_context_refs == 0);
}

TEST_CASE("fake_driver.context_create.use_current_context_needs_one") {
  FakeDriver fake;
  kconv_context_options options = Options();
  options.use_current_context = 1;
  CHECK(CreateExpectingFailure(options) == KCONV_STATUS_FAILED_PRECONDITION);
  CHECK(LastErrorHas("no current CUDA context"));
  // With the caller's context current, kconv uses it and takes no reference of its own.
  const kconv::DriverApi* api = *kconv::Driver();
  CUcontext primary = nullptr;
  REQUIRE(api->cuDevicePrimaryCtxRetain(&primary, 0) == CUDA_SUCCESS);
  REQUIRE(api->cuCtxPushCurrent(primary) == CUDA_SUCCESS);
  {
    ContextPtr context = fake_test::MakeContext(options);
    CHECK(FakeDriver::Counters().primary_context_refs == 1);
    fake_test::PlanPtr plan = fake_test::MakePlan(context.get(), kconv_test::AlexNetConv1(1).Desc());
  }
  CUcontext popped = nullptr;
  REQUIRE(api->cuCtxPopCurrent(&popped) == CUDA_SUCCESS);
  CHECK(popped == primary);
  REQUIRE(api->cuDevicePrimaryCtxRelease(0) == CUDA_SUCCESS);
}
