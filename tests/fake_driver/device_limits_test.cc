// SPDX-License-Identifier: Apache-2.0
// Devices whose driver reports zero, negative or absurd limits: kconv must answer with a clear status and
// never crash or divide by zero. Each case runs in a child process, so that a crash fails its case, with
// the signal named, instead of ending the suite.
//
// kconv_context_create refuses such a device with UNAVAILABLE ("the driver reports ..."). Before it did,
// SM count 0 divided by zero in the Hopper family's cost (SIGFPE), negative or zero limits were planned
// with, and the autotuner reported an occupancy of NaN; if a context is ever created, the planners and the
// autotuner are probed too, so that such a regression names what it did.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "fake_fixture.h"

namespace {

using fake_test::ChildOutcome;
using fake_test::FakeDriver;
using fake_test::LastError;

struct Limit {
  CUdevice_attribute attribute;
  int value;
};

std::string Status(kconv_status status) { return kconv_status_string(status); }

// What kconv_autotune makes of a device that should have been refused: its report's occupancy divides
// by the device's warp slots.
std::string Autotuned(kconv_context* context, const kconv_conv_desc& desc) {
  kconv_autotune_options options;
  kconv_autotune_options_init(&options);
  options.warmup_runs = 0;
  options.timed_runs = 5;
  options.store = 0;
  kconv_autotune_report* report = nullptr;
  const kconv_status status = kconv_autotune(context, &desc, &options, 0, 0, 0, 0, nullptr, &report);
  if (status != KCONV_STATUS_OK) return "kconv_autotune then returned " + Status(status) + "; ";
  kconv_autotune_candidate c{};
  c.struct_size = sizeof(c);
  kconv_autotune_report_candidate(report, 0, &c);
  kconv_autotune_report_destroy(report);
  if (!std::isfinite(c.occupancy)) return "kconv_autotune then reported an occupancy of " + std::to_string(c.occupancy) + "; ";
  return "";
}

// In the child: creates a context on the device as configured and, if that succeeds, plans AlexNet conv1
// and the ResNet stem (the stem families' and the implicit GEMM's planners). Returns "" when kconv
// refused cleanly, else what it did instead. Then checks that what it made is released.
std::string Probe() {
  std::string found;
  kconv_context* context = nullptr;
  const kconv_context_options options = fake_test::Options();
  const kconv_status created = kconv_context_create(&options, &context);
  if (created != KCONV_STATUS_OK) {
    if (created != KCONV_STATUS_UNAVAILABLE) found += "kconv_context_create returned " + Status(created) + "; ";
    if (context != nullptr) found += "kconv_context_create failed but wrote *out; ";
    if (LastError().find("kconv_context_create: the driver reports ") != 0) {
      found += "not the driver's limits named: " + LastError() + "; ";
    }
  } else {
    found += "kconv_context_create returned OK; ";
    for (const kconv_test::Shape& shape : {kconv_test::AlexNetConv1(1), kconv_test::ResNetStem(1)}) {
      const kconv_conv_desc desc = shape.Desc();
      kconv_plan* plan = nullptr;
      const kconv_status planned = kconv_plan_create(context, &desc, nullptr, &plan);
      if (planned == KCONV_STATUS_OK) {
        kconv_plan_info info{};
        info.struct_size = sizeof(info);
        kconv_plan_get_info(plan, &info);
        found += "kconv_context_create and kconv_plan_create(" + shape.Name() + ") both returned OK (planned " +
                 info.family + "/" + info.config + ", grid " + std::to_string(info.grid_x) + "x" +
                 std::to_string(info.grid_y) + "); ";
        kconv_plan_destroy(plan);
        found += Autotuned(context, desc);
      } else if (plan != nullptr || LastError().find("kconv_plan_create: ") != 0) {
        found += "kconv_plan_create returned " + Status(planned) + " without a clean failure; ";
      }
    }
    kconv_context_destroy(context);
  }
  const fake_cuda_counters c = FakeDriver::Counters();
  if (c.allocations != 0 || c.modules != 0 || c.primary_context_refs != 0) {
    found += "left " + std::to_string(c.allocations) + " allocations, " + std::to_string(c.modules) + " modules, " +
             std::to_string(c.primary_context_refs) + " primary-context references; ";
  }
  if (c.misuses != 0) found += std::string("misused the driver: ") + fake_cuda_last_misuse() + "; ";
  return found;
}

void CheckRefusedCleanly(std::initializer_list<Limit> limits) {
  FakeDriver fake;
  for (const Limit& l : limits) REQUIRE(fake_cuda_set_attribute(0, l.attribute, l.value) == 0);
  const ChildOutcome outcome = fake_test::RunInChild(Probe);
  CHECK_MESSAGE((outcome.exited && outcome.exit_code == 0 && outcome.report.empty()), outcome.Describe());
}

}  // namespace

// On the current kconv the Hopper family's cost divides its tiles by the SM count (CeilDiv in
// families/stem_common/stem_geometry.h): SIGFPE, or UBSan's "division by zero" in the sanitizer build.
TEST_CASE("fake_driver.device_limits.sm_count_0") {
  CheckRefusedCleanly({{CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 0}});
}

// On the current kconv AlexNet conv1 plans (stem_tf32/m64n96_w4_k5x2, grid 48x1): the Hopper family's
// negative cost only rules it out.
TEST_CASE("fake_driver.device_limits.sm_count_negative") {
  CheckRefusedCleanly({{CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, -4}});
}

TEST_CASE("fake_driver.device_limits.shared_memory_per_block_0") {
  CheckRefusedCleanly({{CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, 0}});
}

TEST_CASE("fake_driver.device_limits.shared_memory_per_block_negative") {
  CheckRefusedCleanly({{CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, -1}});
}

// On the current kconv this and the two below plan both shapes (stem_wgmma_tf32/m64n48_w4_k5x10 and
// implicit_gemm_tf32/m64n64k32_w4_s1): nothing checks these limits (the residency model clamps its answer
// to one block, and the Hopper family's cost does not ask).
TEST_CASE("fake_driver.device_limits.shared_memory_per_sm_0") {
  CheckRefusedCleanly({{CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR, 0}});
}

TEST_CASE("fake_driver.device_limits.max_threads_per_sm_0") {
  CheckRefusedCleanly({{CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR, 0}});
}

TEST_CASE("fake_driver.device_limits.registers_per_sm_0") {
  CheckRefusedCleanly({{CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR, 0}});
}

TEST_CASE("fake_driver.device_limits.compute_capability_0_0") {
  CheckRefusedCleanly({{CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 0}, {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, 0}});
}

TEST_CASE("fake_driver.device_limits.every_limit_0") {
  CheckRefusedCleanly({{CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 0},
                       {CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, 0},
                       {CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR, 0},
                       {CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR, 0},
                       {CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR, 0},
                       {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 0},
                       {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, 0}});
}
