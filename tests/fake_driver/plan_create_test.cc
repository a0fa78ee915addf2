// SPDX-License-Identifier: Apache-2.0
// kconv_plan_create on the fake: the config kconv chooses for the device the fake describes, the module it
// loads and the memory it keeps, and the status of each driver failure on the way, with nothing leaked.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>

#include "fake_fixture.h"
#include "runtime/blob_registry.h"

namespace {

using fake_test::ContextPtr;
using fake_test::FakeDriver;
using fake_test::FullName;
using fake_test::InfoOf;
using fake_test::LastError;
using fake_test::LastErrorHas;
using fake_test::PlanPtr;

void SetComputeCapability(int major, int minor) {
  REQUIRE(fake_cuda_set_attribute(0, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, major) == 0);
  REQUIRE(fake_cuda_set_attribute(0, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, minor) == 0);
}

// A failing plan_create must leave *out NULL, whatever it held.
kconv_status CreateExpectingFailure(kconv_context* context, const kconv_conv_desc& desc) {
  kconv_plan* plan = reinterpret_cast<kconv_plan*>(0x1);
  const kconv_status status = kconv_plan_create(context, &desc, nullptr, &plan);
  CHECK(plan == nullptr);
  if (status == KCONV_STATUS_OK) kconv_plan_destroy(plan);
  return status;
}

}  // namespace

TEST_CASE("fake_driver.plan_create.alexnet_on_hopper_takes_the_wgmma_stem") {
  FakeDriver fake;
  ContextPtr context = fake_test::MakeContext();
  for (const int64_t n : {1, 256}) {
    CAPTURE(n);
    const int64_t allocations_before = FakeDriver::Counters().allocations;
    PlanPtr plan = fake_test::MakePlan(context.get(), kconv_test::AlexNetConv1(n).Desc());
    const kconv_plan_info info = InfoOf(plan.get());
    CHECK(std::string(info.family) == "stem_wgmma_tf32");
    CHECK(info.device_cc == 90);
    CHECK(info.arch == 90);
    CHECK(info.is_ptx == 0);
    // Persistent: one block per SM at most, and a buffer for the packed weights, held by the plan.
    CHECK(info.grid_x >= 1);
    CHECK(info.grid_x <= 132);
    CHECK(info.grid_y == 1);
    if (n == 256) CHECK(info.grid_x == 132);
    CHECK(info.packed_weight_bytes > 0);
    CHECK(FakeDriver::Counters().allocations == allocations_before + 1);
    CHECK(FakeDriver::Counters().allocated_bytes >= info.packed_weight_bytes);
  }
  // Both plans' configs' modules stay loaded until the context goes.
  CHECK(FakeDriver::Counters().modules >= 1);
  CHECK(FakeDriver::Counters().allocations == 0);
}

TEST_CASE("fake_driver.plan_create.a_dilated_layer_takes_the_implicit_gemm") {
  FakeDriver fake;
  ContextPtr context = fake_test::MakeContext();
  PlanPtr plan = fake_test::MakePlan(context.get(), kconv_test::DilatedLayer(1).Desc());
  const kconv_plan_info info = InfoOf(plan.get());
  // Dilation: the stem families refuse it.
  CHECK(std::string(info.family) == "implicit_gemm_tf32");
  CHECK(info.packed_weight_bytes == 0);
  CHECK(info.grid_x * info.grid_y > 1);
  CHECK(FakeDriver::Counters().allocations == 0);  // it reads w as given
}

TEST_CASE("fake_driver.plan_create.the_choice_follows_the_compute_capability") {
  FakeDriver fake;
  SetComputeCapability(8, 9);
  ContextPtr context = fake_test::MakeContext();
  PlanPtr plan = fake_test::MakePlan(context.get(), kconv_test::AlexNetConv1(1).Desc());
  const kconv_plan_info info = InfoOf(plan.get());
  // No wgmma before Hopper: the portable stem, from the newest sm_8x cubin this build has (sm_89 in the
  // default build, sm_80 where only 80 is built; the fake refuses any other image).
  CHECK(std::string(info.family) == "stem_tf32");
  CHECK(info.device_cc == 89);
  const auto image = kconv::SelectBlob(*kconv::FindConfig(std::string("stem_tf32/") + info.config), 89, false);
  REQUIRE(image.ok());
  CHECK(info.arch == (*image)->arch);
  CHECK(info.arch / 10 == 8);
  CHECK(info.is_ptx == 0);
  CHECK(info.packed_weight_bytes > 0);
}

TEST_CASE("fake_driver.plan_create.describes_the_device_it_runs_on") {
  FakeDriver fake;
  ContextPtr context = fake_test::MakeContext();
  PlanPtr plan = fake_test::MakePlan(context.get(), kconv_test::AlexNetConv1(1).Desc());
  const int64_t length = kconv_plan_describe(plan.get(), nullptr, 0);
  REQUIRE(length > 0);
  std::string text(static_cast<size_t>(length) + 1, '\0');
  CHECK(kconv_plan_describe(plan.get(), text.data(), text.size()) == length);
  CHECK(text.find("on Fake H200 (cc 9.0)") != std::string::npos);
  CHECK(text.find(FullName(InfoOf(plan.get()))) == 0);
}

TEST_CASE("fake_driver.plan_create.every_config_name_plans_that_config") {
  FakeDriver fake;
  ContextPtr context = fake_test::MakeContext();
  const kconv_conv_desc desc = kconv_test::AlexNetConv1(1).Desc();
  const int32_t count = kconv_config_count();
  REQUIRE(count > 0);
  CHECK(kconv_config_name(-1) == nullptr);
  CHECK(kconv_config_name(count) == nullptr);
  std::set<std::string> families_planned;
  for (int32_t i = 0; i < count; ++i) {
    const std::string name = kconv_config_name(i);
    CAPTURE(name);
    REQUIRE(name.find('/') != std::string::npos);
    kconv_plan_options options;
    kconv_plan_options_init(&options);
    options.config_name = name.c_str();
    kconv_plan* plan = nullptr;
    const kconv_status status = kconv_plan_create(context.get(), &desc, &options, &plan);
    // A config that cannot run AlexNet here says so; one that can plans exactly itself.
    if (status != KCONV_STATUS_OK) {
      CHECK(status == KCONV_STATUS_UNIMPLEMENTED);
      CHECK(LastErrorHas(name + " cannot run this shape"));
      CHECK(plan == nullptr);
      continue;
    }
    PlanPtr owned(plan);
    CHECK(FullName(InfoOf(plan)) == name);
    families_planned.insert(name.substr(0, name.find('/')));
  }
  CHECK(families_planned ==
        std::set<std::string>{"implicit_gemm_ffma", "implicit_gemm_tf32", "im2col_wgmma_tf32", "stem_tf32",
                              "stem_wgmma_tf32"});
  CHECK(FakeDriver::Counters().modules == FakeDriver::Counters().module_loads);
}

TEST_CASE("fake_driver.plan_create.plans_of_one_config_share_its_module") {
  FakeDriver fake;
  ContextPtr context = fake_test::MakeContext();
  PlanPtr first = fake_test::MakePlan(context.get(), kconv_test::AlexNetConv1(1).Desc());
  const int64_t loads = FakeDriver::Counters().module_loads;
  PlanPtr second = fake_test::MakePlan(context.get(), kconv_test::AlexNetConv1(1).Desc(), FullName(InfoOf(first.get())).c_str());
  CHECK(FakeDriver::Counters().module_loads == loads);
  CHECK(FakeDriver::Counters().allocations == 2);  // but each keeps its own packed weights
}

TEST_CASE("fake_driver.plan_create.reports_a_module_load_failure") {
  FakeDriver fake;
  ContextPtr context = fake_test::MakeContext();
  REQUIRE(fake_cuda_fail("cuModuleLoadData", CUDA_ERROR_INVALID_IMAGE, 0, -1) == 0);
  CHECK(CreateExpectingFailure(context.get(), kconv_test::AlexNetConv1(1).Desc()) == KCONV_STATUS_INTERNAL);
  CHECK(LastErrorHas("kconv_plan_create: "));
  CHECK(LastErrorHas("cuModuleLoadData(kconv_stem_wgmma_tf32_"));
  CHECK(LastErrorHas("CUDA_ERROR_INVALID_IMAGE"));
  CHECK(FakeDriver::Counters().allocations == 0);
  CHECK(FakeDriver::Counters().modules == 0);
  // The failure is not remembered: the next plan loads its module.
  REQUIRE(fake_cuda_fail("cuModuleLoadData", CUDA_SUCCESS, 0, 0) == 0);
  PlanPtr plan = fake_test::MakePlan(context.get(), kconv_test::AlexNetConv1(1).Desc());
  CHECK(FakeDriver::Counters().modules == 1);
}

TEST_CASE("fake_driver.plan_create.reports_a_get_function_failure") {
  FakeDriver fake;
  ContextPtr context = fake_test::MakeContext();
  SUBCASE("the convolution") { REQUIRE(fake_cuda_fail("cuModuleGetFunction", CUDA_ERROR_NOT_FOUND, 0, 1) == 0); }
  SUBCASE("the weight packer") { REQUIRE(fake_cuda_fail("cuModuleGetFunction", CUDA_ERROR_NOT_FOUND, 1, 1) == 0); }
  CHECK(CreateExpectingFailure(context.get(), kconv_test::AlexNetConv1(1).Desc()) == KCONV_STATUS_INTERNAL);
  CHECK(LastErrorHas("cuModuleGetFunction(kconv_stem_wgmma_tf32_"));
  CHECK(LastErrorHas("CUDA_ERROR_NOT_FOUND"));
  CHECK(fake_cuda_injected_failures("cuModuleGetFunction") == 1);
  CHECK(FakeDriver::Counters().allocations == 0);
}

TEST_CASE("fake_driver.plan_create.no_memory_for_the_packed_weights_is_resource_exhausted") {
  FakeDriver fake;
  ContextPtr context = fake_test::MakeContext();
  SUBCASE("injected") { REQUIRE(fake_cuda_fail("cuMemAlloc", CUDA_ERROR_OUT_OF_MEMORY, 0, -1) == 0); }
  SUBCASE("a device of 4 KB") { REQUIRE(fake_cuda_set_total_memory(0, 4096) == 0); }
  CHECK(CreateExpectingFailure(context.get(), kconv_test::AlexNetConv1(1).Desc()) == KCONV_STATUS_RESOURCE_EXHAUSTED);
  CHECK(LastErrorHas("cuMemAlloc of "));
  CHECK(LastErrorHas("for the packed weights failed: CUDA_ERROR_OUT_OF_MEMORY"));
  CHECK(FakeDriver::Counters().allocations == 0);
}

TEST_CASE("fake_driver.plan_create.compute_capability_7_5_is_unimplemented") {
  FakeDriver fake;
  SetComputeCapability(7, 5);
  ContextPtr context = fake_test::MakeContext();
  // With or without the compute_80 PTX built, the refusal says what kconv needs.
  const std::string needs = "need compute capability 8.0 or newer";
  for (const kconv_test::Shape& shape : {kconv_test::AlexNetConv1(1), kconv_test::ResNetStem(1)}) {
    CAPTURE(shape.Name());
    CHECK(CreateExpectingFailure(context.get(), shape.Desc()) == KCONV_STATUS_UNIMPLEMENTED);
    CHECK(LastErrorHas("the device has 7.5"));
    CHECK(LastErrorHas(needs));
  }
  CHECK(FakeDriver::Counters().module_loads == 0);
}
