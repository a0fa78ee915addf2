// SPDX-License-Identifier: Apache-2.0
// Loading the driver: kconv caches the process's driver on first use, so its failure paths run through
// kconv::LoadDriverFrom on the fake's own file, with the fault set first. dlopen of the same file gives
// the instance already loaded: the faults set here apply to it.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "fake_fixture.h"
#include "runtime/driver_api.h"

namespace {

using fake_test::FakeDriver;

// LoadDriverFrom leaks its table on purpose (its functions must outlive their users); kept reachable
// here, so that LeakSanitizer sees it was meant.
std::vector<const kconv::DriverApi*>& Loaded() {
  static auto* loaded = new std::vector<const kconv::DriverApi*>();
  return *loaded;
}

absl::StatusOr<const kconv::DriverApi*> LoadFake() {
  absl::StatusOr<const kconv::DriverApi*> api = kconv::LoadDriverFrom(KCONV_FAKE_CUDA_LIBRARY);
  if (api.ok()) Loaded().push_back(*api);
  return api;
}

std::string MessageOf(const absl::Status& status) { return std::string(status.message()); }

}  // namespace

TEST_CASE("fake_driver.loader.loads_the_instance_already_in_the_process") {
  FakeDriver fake;
  const auto api = LoadFake();
  REQUIRE_MESSAGE(api.ok(), MessageOf(api.status()));
  CHECK(((*api)->cuLaunchKernel == (*kconv::Driver())->cuLaunchKernel));
  CHECK((*api)->driver_version == 13000);
  CHECK(fake_cuda_calls("cuInit") == 1);
}

TEST_CASE("fake_driver.loader.a_missing_required_symbol_is_unavailable_naming_it") {
  FakeDriver fake;
  std::vector<std::string> required;
#define KCONV_TEST_NAME(name, version) required.push_back(#name);
  KCONV_DRIVER_FUNCTIONS(KCONV_TEST_NAME)
#undef KCONV_TEST_NAME
  for (const std::string& name : required) {
    CAPTURE(name);
    fake_cuda_reset();
    REQUIRE(fake_cuda_hide_symbol(name.c_str()) == 0);
    const auto api = LoadFake();
    REQUIRE(!api.ok());
    CHECK(api.status().code() == absl::StatusCode::kUnavailable);
    CHECK(MessageOf(api.status()).find("lacks " + name + " ") != std::string::npos);
    CHECK(fake_cuda_calls("cuInit") == 0);  // refused before initialising anything
  }
}

TEST_CASE("fake_driver.loader.a_missing_optional_symbol_still_loads") {
  FakeDriver fake;
  SUBCASE("cuTensorMapEncodeTiled") {
    REQUIRE(fake_cuda_hide_symbol("cuTensorMapEncodeTiled") == 0);
    const auto api = LoadFake();
    REQUIRE_MESSAGE(api.ok(), MessageOf(api.status()));
    CHECK(((*api)->cuTensorMapEncodeTiled == nullptr));
    CHECK(((*api)->cuStreamWaitValue32 != nullptr));
  }
  SUBCASE("cuStreamWaitValue32") {
    REQUIRE(fake_cuda_hide_symbol("cuStreamWaitValue32") == 0);
    const auto api = LoadFake();
    REQUIRE_MESSAGE(api.ok(), MessageOf(api.status()));
    CHECK(((*api)->cuStreamWaitValue32 == nullptr));
    CHECK(((*api)->cuTensorMapEncodeTiled != nullptr));
  }
  SUBCASE("cuMemHostAlloc") {
    REQUIRE(fake_cuda_hide_symbol("cuMemHostAlloc") == 0);
    const auto api = LoadFake();
    REQUIRE_MESSAGE(api.ok(), MessageOf(api.status()));
    CHECK(((*api)->cuMemHostAlloc == nullptr));
  }
}

TEST_CASE("fake_driver.loader.cuinit_without_a_device_is_not_found") {
  FakeDriver fake;
  SUBCASE("injected") { REQUIRE(fake_cuda_fail("cuInit", CUDA_ERROR_NO_DEVICE, 0, -1) == 0); }
  SUBCASE("no device at all") { REQUIRE(fake_cuda_set_device_count(0) == 0); }
  const auto api = LoadFake();
  REQUIRE(!api.ok());
  CHECK(api.status().code() == absl::StatusCode::kNotFound);
  CHECK(MessageOf(api.status()).find("no CUDA device") != std::string::npos);
  CHECK(MessageOf(api.status()).find("cuInit(0) failed: CUDA_ERROR_NO_DEVICE") != std::string::npos);
}

TEST_CASE("fake_driver.loader.any_other_cuinit_failure_is_unavailable") {
  FakeDriver fake;
  for (const CUresult result : {CUDA_ERROR_SYSTEM_DRIVER_MISMATCH, CUDA_ERROR_UNKNOWN, CUDA_ERROR_OPERATING_SYSTEM}) {
    CAPTURE(result);
    REQUIRE(fake_cuda_fail("cuInit", result, 0, 1) == 0);
    const auto api = LoadFake();
    REQUIRE(!api.ok());
    CHECK(api.status().code() == absl::StatusCode::kUnavailable);
    CHECK(MessageOf(api.status()).find("failed to initialise") != std::string::npos);
    CHECK(MessageOf(api.status()).find("cuInit(0)") != std::string::npos);
  }
  CHECK(fake_cuda_injected_failures("cuInit") == 3);
}
