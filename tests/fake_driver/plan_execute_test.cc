// SPDX-License-Identifier: Apache-2.0
// kconv_plan_set_weights, kconv_plan_execute and kconv_forward on the fake: the launches they make (read
// back from the fake's records) and the statuses of driver failures, with the output left alone.
#include <doctest/doctest.h>

#include <string>

#include "fake_fixture.h"
#include "runtime/driver_api.h"

namespace {

using fake_test::ContextPtr;
using fake_test::FakeDriver;
using fake_test::FullName;
using fake_test::InfoOf;
using fake_test::LastErrorHas;
using fake_test::PlanPtr;
using fake_test::Tensors;

// The kernel a plan's config launches: kconv_<family>_<config>.
std::string KernelOf(const kconv_plan_info& info) { return std::string("kconv_") + info.family + "_" + info.config; }

struct Case {
  const char* name;
  kconv_test::Shape shape;
  int cc_major, cc_minor;
  const char* family;
};

const Case kCases[] = {
    {"AlexNet conv1 on Hopper", kconv_test::AlexNetConv1(1), 9, 0, "stem_wgmma_tf32"},
    {"AlexNet conv1 on Ada", kconv_test::AlexNetConv1(1), 8, 9, "stem_tf32"},
    {"the ResNet stem on Hopper", kconv_test::ResNetStem(1), 9, 0, "stem_wgmma_tf32"},
    {"the ResNet stem on Ada", kconv_test::ResNetStem(1), 8, 9, "stem_tf32"},
    {"a dilated layer on Hopper", kconv_test::DilatedLayer(1), 9, 0, "implicit_gemm_tf32"},
};

void SetComputeCapability(int major, int minor) {
  REQUIRE(fake_cuda_set_attribute(0, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, major) == 0);
  REQUIRE(fake_cuda_set_attribute(0, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, minor) == 0);
}

}  // namespace

TEST_CASE("fake_driver.plan_execute.set_weights_packs_only_for_families_that_pack") {
  for (const Case& c : kCases) {
    CAPTURE(c.name);
    FakeDriver fake;
    SetComputeCapability(c.cc_major, c.cc_minor);
    ContextPtr context = fake_test::MakeContext();
    PlanPtr plan = fake_test::MakePlan(context.get(), c.shape.Desc());
    const kconv_plan_info info = InfoOf(plan.get());
    REQUIRE(std::string(info.family) == c.family);
    Tensors t(c.shape);
    const int64_t before = FakeDriver::Counters().launches;
    REQUIRE(kconv_plan_set_weights(plan.get(), t.W(), nullptr) == KCONV_STATUS_OK);
    const auto launches = fake_test::LaunchesSince(before);
    if (info.packed_weight_bytes == 0) {
      CHECK(launches.empty());  // the plan only records w
      continue;
    }
    REQUIRE(launches.size() == 1);
    CHECK(std::string(launches[0].function) == KernelOf(info) + "_pack_weights");
    CHECK(launches[0].block[0] == 256);
    CHECK(launches[0].shared_bytes == 0);
    CHECK(launches[0].param_bytes > 0);
    CHECK(fake_test::HoldsPointer(launches[0], t.W()));
  }
}

TEST_CASE("fake_driver.plan_execute.launches_once_with_the_plans_geometry") {
  for (const Case& c : kCases) {
    CAPTURE(c.name);
    FakeDriver fake;
    SetComputeCapability(c.cc_major, c.cc_minor);
    ContextPtr context = fake_test::MakeContext();
    PlanPtr plan = fake_test::MakePlan(context.get(), c.shape.Desc());
    const kconv_plan_info info = InfoOf(plan.get());
    Tensors t(c.shape);
    REQUIRE(kconv_plan_set_weights(plan.get(), t.W(), nullptr) == KCONV_STATUS_OK);
    const int64_t before = FakeDriver::Counters().launches;
    REQUIRE(kconv_plan_execute(plan.get(), t.X(), 0, t.Bias(), t.Y(), nullptr) == KCONV_STATUS_OK);
    const auto launches = fake_test::LaunchesSince(before);
    REQUIRE(launches.size() == 1);
    const fake_cuda_launch& l = launches[0];
    CHECK(std::string(l.function) == KernelOf(info));
    CHECK(l.grid[0] == info.grid_x);
    CHECK(l.grid[1] == info.grid_y);
    CHECK(l.grid[2] == 1);
    CHECK(l.block[0] == static_cast<uint32_t>(info.threads_per_block));
    CHECK(l.block[1] == 1);
    CHECK(l.shared_bytes == static_cast<uint32_t>(info.shared_bytes));
    CHECK(l.stream == 0);
    // The parameter struct carries the caller's tensors (and, for packing families, not the raw w).
    CHECK(fake_test::HoldsPointer(l, t.X()));
    CHECK(fake_test::HoldsPointer(l, t.Y()));
    CHECK(fake_test::HoldsPointer(l, t.Bias()));
    CHECK(fake_test::HoldsPointer(l, t.W()) == (info.packed_weight_bytes == 0));
    CHECK(fake_cuda_calls("cuMemAllocAsync") == 0);  // the bound weights are used
    // The fake refuses a launch beyond the function's dynamic shared-memory limit: kconv raised it.
    CHECK((info.shared_bytes <= 48 * 1024 || fake_cuda_calls("cuFuncSetAttribute") >= 1));
    // The Hopper kernel copies its bands with the tensor-copy engine: kconv encoded the map for x.
    CHECK((fake_cuda_calls("cuTensorMapEncodeTiled") == 1) == (std::string(c.family) == "stem_wgmma_tf32"));
  }
}

TEST_CASE("fake_driver.plan_execute.weights_given_per_call_are_packed_into_stream_ordered_scratch") {
  FakeDriver fake;
  ContextPtr context = fake_test::MakeContext();
  PlanPtr plan = fake_test::MakePlan(context.get(), kconv_test::AlexNetConv1(1).Desc());
  const kconv_plan_info info = InfoOf(plan.get());
  Tensors t(kconv_test::AlexNetConv1(1));
  const int64_t before = FakeDriver::Counters().launches;
  REQUIRE(kconv_plan_execute(plan.get(), t.X(), t.W(), t.Bias(), t.Y(), nullptr) == KCONV_STATUS_OK);
  const auto launches = fake_test::LaunchesSince(before);
  REQUIRE(launches.size() == 2);
  CHECK(std::string(launches[0].function) == KernelOf(info) + "_pack_weights");
  CHECK(std::string(launches[1].function) == KernelOf(info));
  CHECK(fake_cuda_calls("cuMemAllocAsync") == 1);
  CHECK(fake_cuda_calls("cuMemFreeAsync") == 1);
  CHECK(FakeDriver::Counters().allocations == 1);  // the plan's own packed buffer only
}

TEST_CASE("fake_driver.plan_execute.runs_on_the_callers_stream") {
  FakeDriver fake;
  ContextPtr context = fake_test::MakeContext();
  PlanPtr plan = fake_test::MakePlan(context.get(), kconv_test::DilatedLayer(1).Desc());
  const kconv::DriverApi* api = *kconv::Driver();
  CUcontext primary = nullptr;
  REQUIRE(api->cuDevicePrimaryCtxRetain(&primary, 0) == CUDA_SUCCESS);
  REQUIRE(api->cuCtxPushCurrent(primary) == CUDA_SUCCESS);
  CUstream stream = nullptr;
  REQUIRE(api->cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING) == CUDA_SUCCESS);
  Tensors t(kconv_test::DilatedLayer(1));
  REQUIRE(kconv_plan_execute(plan.get(), t.X(), t.W(), 0, t.Y(), stream) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(LastErrorHas("bias is a null pointer"));  // the prelude's shapes have a bias
  REQUIRE(kconv_plan_execute(plan.get(), t.X(), t.W(), t.Bias(), t.Y(), stream) == KCONV_STATUS_OK);
  fake_cuda_launch l;
  REQUIRE(fake_cuda_get_launch(0, &l) == 0);
  CHECK(l.stream == reinterpret_cast<uint64_t>(stream));
  CHECK(FakeDriver::Counters().launches == 1);
  REQUIRE(api->cuStreamDestroy(stream) == CUDA_SUCCESS);
  CUcontext popped = nullptr;
  REQUIRE(api->cuCtxPopCurrent(&popped) == CUDA_SUCCESS);
  REQUIRE(api->cuDevicePrimaryCtxRelease(0) == CUDA_SUCCESS);
}

TEST_CASE("fake_driver.plan_execute.reports_a_launch_failure") {
  FakeDriver fake;
  ContextPtr context = fake_test::MakeContext();
  PlanPtr plan = fake_test::MakePlan(context.get(), kconv_test::AlexNetConv1(1).Desc());
  const kconv_plan_info info = InfoOf(plan.get());
  Tensors t(kconv_test::AlexNetConv1(1));
  REQUIRE(kconv_plan_set_weights(plan.get(), t.W(), nullptr) == KCONV_STATUS_OK);
  REQUIRE(fake_cuda_fail("cuLaunchKernel", CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, 0, 1) == 0);
  CHECK(kconv_plan_execute(plan.get(), t.X(), 0, t.Bias(), t.Y(), nullptr) == KCONV_STATUS_INTERNAL);
  CHECK(LastErrorHas("kconv_plan_execute: cuLaunchKernel(" + KernelOf(info) + ") failed"));
  CHECK(LastErrorHas("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"));
  CHECK(t.YUntouched());
  // The plan is unharmed: the next call launches.
  const int64_t before = FakeDriver::Counters().launches;
  CHECK(kconv_plan_execute(plan.get(), t.X(), 0, t.Bias(), t.Y(), nullptr) == KCONV_STATUS_OK);
  CHECK(FakeDriver::Counters().launches == before + 1);
}

TEST_CASE("fake_driver.plan_execute.a_failure_with_per_call_weights_frees_the_scratch") {
  FakeDriver fake;
  ContextPtr context = fake_test::MakeContext();
  PlanPtr plan = fake_test::MakePlan(context.get(), kconv_test::AlexNetConv1(1).Desc());
  const kconv_plan_info info = InfoOf(plan.get());
  Tensors t(kconv_test::AlexNetConv1(1));
  SUBCASE("cuMemAllocAsync runs out of memory") {
    REQUIRE(fake_cuda_fail("cuMemAllocAsync", CUDA_ERROR_OUT_OF_MEMORY, 0, 1) == 0);
    CHECK(kconv_plan_execute(plan.get(), t.X(), t.W(), t.Bias(), t.Y(), nullptr) == KCONV_STATUS_RESOURCE_EXHAUSTED);
    CHECK(LastErrorHas("cuMemAllocAsync for the packed weights failed: CUDA_ERROR_OUT_OF_MEMORY"));
    CHECK(FakeDriver::Counters().launches == 0);
  }
  SUBCASE("the weight packer's launch fails") {
    REQUIRE(fake_cuda_fail("cuLaunchKernel", CUDA_ERROR_LAUNCH_FAILED, 0, 1) == 0);
    CHECK(kconv_plan_execute(plan.get(), t.X(), t.W(), t.Bias(), t.Y(), nullptr) == KCONV_STATUS_INTERNAL);
    CHECK(LastErrorHas("cuLaunchKernel(" + KernelOf(info) + "_pack_weights)"));
    CHECK(fake_cuda_calls("cuMemFreeAsync") == 1);
  }
  SUBCASE("the convolution's launch fails") {
    REQUIRE(fake_cuda_fail("cuLaunchKernel", CUDA_ERROR_LAUNCH_FAILED, 1, 1) == 0);
    CHECK(kconv_plan_execute(plan.get(), t.X(), t.W(), t.Bias(), t.Y(), nullptr) == KCONV_STATUS_INTERNAL);
    CHECK(LastErrorHas("cuLaunchKernel(" + KernelOf(info) + ")"));
    CHECK(fake_cuda_calls("cuMemFreeAsync") == 1);
  }
  CHECK(t.YUntouched());
  CHECK(FakeDriver::Counters().allocations == 1);  // the plan's own packed buffer only
}

TEST_CASE("fake_driver.plan_execute.synchronize_reports_a_failing_stream") {
  FakeDriver fake;
  kconv_context_options options = fake_test::Options();
  options.synchronize = 1;
  ContextPtr context = fake_test::MakeContext(options);
  PlanPtr plan = fake_test::MakePlan(context.get(), kconv_test::AlexNetConv1(1).Desc());
  const kconv_plan_info info = InfoOf(plan.get());
  Tensors t(kconv_test::AlexNetConv1(1));
  REQUIRE(kconv_plan_execute(plan.get(), t.X(), t.W(), t.Bias(), t.Y(), nullptr) == KCONV_STATUS_OK);
  CHECK(fake_cuda_calls("cuStreamSynchronize") == 1);
  // A kernel fault surfaces at the synchronisation, in this call.
  REQUIRE(fake_cuda_fail("cuStreamSynchronize", CUDA_ERROR_ILLEGAL_ADDRESS, 0, 1) == 0);
  CHECK(kconv_plan_execute(plan.get(), t.X(), t.W(), t.Bias(), t.Y(), nullptr) == KCONV_STATUS_INTERNAL);
  CHECK(LastErrorHas("cuStreamSynchronize after " + KernelOf(info) + " failed: CUDA_ERROR_ILLEGAL_ADDRESS"));
  CHECK(fake_cuda_calls("cuMemFreeAsync") == 2);
  CHECK(FakeDriver::Counters().allocations == 1);
}

TEST_CASE("fake_driver.plan_execute.without_synchronize_never_synchronises") {
  FakeDriver fake;
  ContextPtr context = fake_test::MakeContext();
  PlanPtr plan = fake_test::MakePlan(context.get(), kconv_test::AlexNetConv1(1).Desc());
  Tensors t(kconv_test::AlexNetConv1(1));
  REQUIRE(kconv_plan_execute(plan.get(), t.X(), t.W(), t.Bias(), t.Y(), nullptr) == KCONV_STATUS_OK);
  CHECK(fake_cuda_calls("cuStreamSynchronize") == 0);
  CHECK(fake_cuda_calls("cuCtxSynchronize") == 0);
}

TEST_CASE("fake_driver.forward.caches_one_plan_per_descriptor") {
  FakeDriver fake;
  ContextPtr context = fake_test::MakeContext();
  const kconv_test::Shape shape = kconv_test::AlexNetConv1(1);
  const kconv_conv_desc desc = shape.Desc();
  Tensors t(shape);
  REQUIRE(kconv_forward(context.get(), &desc, t.X(), t.W(), t.Bias(), t.Y(), nullptr) == KCONV_STATUS_OK);
  CHECK(fake_cuda_calls("cuMemAlloc") == 1);  // the plan's packed weights
  const int64_t loads = FakeDriver::Counters().module_loads;
  REQUIRE(kconv_forward(context.get(), &desc, t.X(), t.W(), t.Bias(), t.Y(), nullptr) == KCONV_STATUS_OK);
  CHECK(fake_cuda_calls("cuMemAlloc") == 1);  // the same plan
  CHECK(FakeDriver::Counters().module_loads == loads);
  CHECK(FakeDriver::Counters().launches == 4);  // pack and convolution, twice
  // Another descriptor, another plan.
  kconv_conv_desc relu = desc;
  relu.relu = 1;
  REQUIRE(kconv_forward(context.get(), &relu, t.X(), t.W(), t.Bias(), t.Y(), nullptr) == KCONV_STATUS_OK);
  CHECK(fake_cuda_calls("cuMemAlloc") == 2);
  CHECK(FakeDriver::Counters().allocations == 2);
  // A failing forward reports the driver call and leaves the cached plan usable.
  REQUIRE(fake_cuda_fail("cuLaunchKernel", CUDA_ERROR_LAUNCH_FAILED, 1, 1) == 0);
  CHECK(kconv_forward(context.get(), &desc, t.X(), t.W(), t.Bias(), t.Y(), nullptr) == KCONV_STATUS_INTERNAL);
  CHECK(LastErrorHas("kconv_forward: cuLaunchKernel("));
  CHECK(kconv_forward(context.get(), &desc, t.X(), t.W(), t.Bias(), t.Y(), nullptr) == KCONV_STATUS_OK);
  CHECK(fake_cuda_calls("cuMemAlloc") == 2);
  CHECK(t.YUntouched());
}
