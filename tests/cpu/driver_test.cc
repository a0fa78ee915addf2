// SPDX-License-Identifier: Apache-2.0
// The driver loader's failure paths, which CI (no driver) and every machine can exercise.
#include <doctest/doctest.h>

#include <string>

#include "kconv/kconv.h"
#include "runtime/driver_api.h"

TEST_CASE("driver.missing_library_is_unavailable") {
  auto api = kconv::LoadDriverFrom("libkconv-no-such-driver.so.1");
  REQUIRE(!api.ok());
  CHECK(api.status().code() == absl::StatusCode::kUnavailable);
  CHECK(std::string(api.status().message()).find("no CUDA driver") != std::string::npos);
}

TEST_CASE("driver.library_without_cuGetProcAddress_is_refused") {
  auto api = kconv::LoadDriverFrom("libc.so.6");
  REQUIRE(!api.ok());
  CHECK(api.status().code() == absl::StatusCode::kUnavailable);
  CHECK(std::string(api.status().message()).find("cuGetProcAddress") != std::string::npos);
}

TEST_CASE("driver.results_map_to_statuses") {
  CHECK(kconv::CuResultToStatus(nullptr, CUDA_SUCCESS, "x").ok());
  const absl::Status oom = kconv::CuResultToStatus(nullptr, CUDA_ERROR_OUT_OF_MEMORY, "cuModuleLoadData");
  CHECK(oom.code() == absl::StatusCode::kResourceExhausted);
  CHECK(std::string(oom.message()).find("cuModuleLoadData failed") != std::string::npos);
  CHECK(kconv::CuResultToStatus(nullptr, CUDA_ERROR_NO_DEVICE, "x").code() == absl::StatusCode::kNotFound);
  CHECK(kconv::CuResultToStatus(nullptr, CUDA_ERROR_LAUNCH_FAILED, "x").code() == absl::StatusCode::kInternal);
}

TEST_CASE("driver.context_create_reports_a_missing_driver") {
  kconv_context* ctx = nullptr;
  const kconv_status status = kconv_context_create(nullptr, &ctx);
  if (kconv::Driver().ok()) {
    MESSAGE("a CUDA driver is present here; the no-driver status is covered on machines without one (CI)");
    kconv_context_destroy(ctx);
    return;
  }
  const absl::Status why = kconv::Driver().status();
  CHECK(status == (why.code() == absl::StatusCode::kNotFound ? KCONV_STATUS_NOT_FOUND : KCONV_STATUS_UNAVAILABLE));
  CHECK(ctx == nullptr);
  CHECK(std::string(kconv_last_error_message()).find("kconv_context_create: ") == 0);
  MESSAGE("no driver: " << std::string(kconv_last_error_message()));
}
