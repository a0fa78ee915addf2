// SPDX-License-Identifier: Apache-2.0
// Several devices in one process, on the fake: a plan launches in its own device's context whatever the
// caller has current, tensors of another device are refused before anything runs, the plan cache and the
// tuning cache keep each device's entries apart, and with one device nothing of this costs a driver call.
#include <doctest/doctest.h>

#include <string>
#include <vector>

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

const kconv::DriverApi* Api() { return *kconv::Driver(); }

// Device `device`'s primary context made current on this thread for the object's lifetime, as a caller
// working on that device would have it.
class CurrentDevice {
 public:
  explicit CurrentDevice(int device) : device_(device) {
    REQUIRE(Api()->cuDevicePrimaryCtxRetain(&context_, device) == CUDA_SUCCESS);
    REQUIRE(Api()->cuCtxPushCurrent(context_) == CUDA_SUCCESS);
  }
  ~CurrentDevice() {
    CUcontext popped = nullptr;
    CHECK(Api()->cuCtxPopCurrent(&popped) == CUDA_SUCCESS);
    CHECK(popped == context_);
    CHECK(Api()->cuDevicePrimaryCtxRelease(device_) == CUDA_SUCCESS);
  }
  CUcontext get() const { return context_; }

 private:
  int device_;
  CUcontext context_ = nullptr;
};

// `bytes` of device memory of `device`.
class DeviceMemory {
 public:
  DeviceMemory(int device, size_t bytes) : device_(device) {
    CurrentDevice current(device_);
    REQUIRE(Api()->cuMemAlloc(&address_, bytes) == CUDA_SUCCESS);
  }
  ~DeviceMemory() {
    CurrentDevice current(device_);
    CHECK(Api()->cuMemFree(address_) == CUDA_SUCCESS);
  }
  uint64_t get() const { return address_; }

 private:
  int device_;
  CUdeviceptr address_ = 0;
};

// A stream created in device `device`'s primary context.
CUstream StreamOn(int device) {
  CurrentDevice current(device);
  CUstream stream = nullptr;
  REQUIRE(Api()->cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING) == CUDA_SUCCESS);
  return stream;
}

ContextPtr ContextOn(int device, const char* tuning_cache = "") {
  kconv_context_options options = fake_test::Options();
  options.device_ordinal = device;
  options.tuning_cache_path = tuning_cache;
  return fake_test::MakeContext(options);
}

// The devices the launches since `before` ran on.
std::vector<int32_t> DevicesLaunchedOn(int64_t before) {
  std::vector<int32_t> devices;
  for (const fake_cuda_launch& l : fake_test::LaunchesSince(before)) devices.push_back(l.device);
  return devices;
}

}  // namespace

TEST_CASE("fake_driver.multi_device.a_plan_runs_on_its_devices_context_whatever_is_current") {
  FakeDriver fake;
  REQUIRE(fake_cuda_set_device_count(2) == 0);
  const kconv_test::Shape shape = kconv_test::AlexNetConv1(1);
  ContextPtr on1 = ContextOn(1);
  PlanPtr plan = fake_test::MakePlan(on1.get(), shape.Desc());
  Tensors t(shape);
  CurrentDevice caller(0);
  const int64_t before = FakeDriver::Counters().launches;
  REQUIRE(kconv_plan_execute(plan.get(), t.X(), t.W(), t.Bias(), t.Y(), nullptr) == KCONV_STATUS_OK);
  const std::vector<int32_t> devices = DevicesLaunchedOn(before);
  REQUIRE(!devices.empty());
  for (int32_t d : devices) CHECK(d == 1);
  CUcontext current = nullptr;
  REQUIRE(Api()->cuCtxGetCurrent(&current) == CUDA_SUCCESS);
  CHECK(current == caller.get());  // the caller's context is current again
}

TEST_CASE("fake_driver.multi_device.a_tensor_of_another_device_is_refused_before_anything_runs") {
  FakeDriver fake;
  REQUIRE(fake_cuda_set_device_count(2) == 0);
  const kconv_test::Shape shape = kconv_test::AlexNetConv1(1);
  const kconv_conv_desc desc = shape.Desc();
  ContextPtr on0 = ContextOn(0);
  PlanPtr plan = fake_test::MakePlan(on0.get(), desc);
  Tensors t(shape);
  DeviceMemory foreign(1, static_cast<size_t>(shape.YElements()) * sizeof(float));  // holds any of the tensors
  struct Role {
    const char* name;
    uint64_t x, w, bias, y;
  };
  const Role roles[] = {
      {"x", foreign.get(), t.W(), t.Bias(), t.Y()},
      {"w", t.X(), foreign.get(), t.Bias(), t.Y()},
      {"bias", t.X(), t.W(), foreign.get(), t.Y()},
      {"y", t.X(), t.W(), t.Bias(), foreign.get()},
  };
  const int64_t before = FakeDriver::Counters().launches;
  for (const Role& r : roles) {
    CAPTURE(r.name);
    CHECK(kconv_plan_execute(plan.get(), r.x, r.w, r.bias, r.y, nullptr) == KCONV_STATUS_INVALID_ARGUMENT);
    CHECK(LastErrorHas(std::string(r.name) + " = 0x"));
    CHECK(LastErrorHas("is memory of CUDA device 1, but this kconv context runs on device 0"));
    CHECK(LastErrorHas("which cannot reach it"));
    CHECK(kconv_forward(on0.get(), &desc, r.x, r.w, r.bias, r.y, nullptr) == KCONV_STATUS_INVALID_ARGUMENT);
    CHECK(LastErrorHas("is memory of CUDA device 1"));
  }
  CHECK(kconv_plan_set_weights(plan.get(), foreign.get(), nullptr) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(LastErrorHas("w = 0x"));
  kconv_autotune_options tune;
  kconv_autotune_options_init(&tune);
  tune.store = 0;
  kconv_autotune_report* report = nullptr;
  CHECK(kconv_autotune(on0.get(), &desc, &tune, foreign.get(), 0, 0, 0, nullptr, &report) ==
        KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(report == nullptr);
  CHECK(LastErrorHas("x = 0x"));
  CHECK(FakeDriver::Counters().launches == before);  // nothing ran
  CHECK(t.YUntouched());

  // Opened to device 0 (peer access), device 1's memory is device 0's to use.
  REQUIRE(fake_cuda_set_peer_access(0, 1, 1) == 0);
  CHECK(kconv_plan_execute(plan.get(), foreign.get(), t.W(), t.Bias(), t.Y(), nullptr) == KCONV_STATUS_OK);
  CHECK(kconv_plan_execute(plan.get(), t.X(), t.W(), t.Bias(), foreign.get(), nullptr) == KCONV_STATUS_OK);
}

TEST_CASE("fake_driver.multi_device.with_one_device_the_check_asks_the_driver_nothing") {
  FakeDriver fake;
  const kconv_test::Shape shape = kconv_test::AlexNetConv1(1);
  SUBCASE("one device") {
    ContextPtr context = ContextOn(0);
    PlanPtr plan = fake_test::MakePlan(context.get(), shape.Desc());
    Tensors t(shape);
    REQUIRE(kconv_plan_execute(plan.get(), t.X(), t.W(), t.Bias(), t.Y(), nullptr) == KCONV_STATUS_OK);
    CHECK(fake_cuda_calls("cuPointerGetAttributes") == 0);
  }
  SUBCASE("two devices: one question per tensor, none for bound weights") {
    REQUIRE(fake_cuda_set_device_count(2) == 0);
    ContextPtr context = ContextOn(0);
    PlanPtr plan = fake_test::MakePlan(context.get(), shape.Desc());
    Tensors t(shape);
    REQUIRE(kconv_plan_execute(plan.get(), t.X(), t.W(), t.Bias(), t.Y(), nullptr) == KCONV_STATUS_OK);
    CHECK(fake_cuda_calls("cuPointerGetAttributes") == 4);
    REQUIRE(kconv_plan_set_weights(plan.get(), t.W(), nullptr) == KCONV_STATUS_OK);
    CHECK(fake_cuda_calls("cuPointerGetAttributes") == 5);
    REQUIRE(kconv_plan_execute(plan.get(), t.X(), 0, t.Bias(), t.Y(), nullptr) == KCONV_STATUS_OK);
    CHECK(fake_cuda_calls("cuPointerGetAttributes") == 8);
  }
}

TEST_CASE("fake_driver.multi_device.a_stream_of_another_device_is_an_error_not_a_crash") {
  FakeDriver fake;
  REQUIRE(fake_cuda_set_device_count(2) == 0);
  const kconv_test::Shape shape = kconv_test::AlexNetConv1(1);
  ContextPtr on0 = ContextOn(0);
  PlanPtr plan = fake_test::MakePlan(on0.get(), shape.Desc());
  Tensors t(shape);
  REQUIRE(kconv_plan_set_weights(plan.get(), t.W(), nullptr) == KCONV_STATUS_OK);
  CUstream stream = StreamOn(1);
  CHECK(kconv_plan_execute(plan.get(), t.X(), 0, t.Bias(), t.Y(), stream) != KCONV_STATUS_OK);
  CHECK(LastErrorHas("cuLaunchKernel"));
  CHECK(t.YUntouched());
  // The plan still works on a stream of its own device.
  CHECK(kconv_plan_execute(plan.get(), t.X(), 0, t.Bias(), t.Y(), nullptr) == KCONV_STATUS_OK);
  CHECK(Api()->cuStreamDestroy(stream) == CUDA_SUCCESS);
}

TEST_CASE("fake_driver.multi_device.a_stream_of_another_device_with_weights_to_pack_leaks_nothing") {
  FakeDriver fake;  // its destructor checks that the packing scratch was freed
  REQUIRE(fake_cuda_set_device_count(2) == 0);
  const kconv_test::Shape shape = kconv_test::AlexNetConv1(1);
  ContextPtr on0 = ContextOn(0);
  PlanPtr plan = fake_test::MakePlan(on0.get(), shape.Desc());
  REQUIRE(InfoOf(plan.get()).packed_weight_bytes > 0);  // weights passed per call are packed into scratch
  Tensors t(shape);
  CUstream stream = StreamOn(1);
  CHECK(kconv_plan_execute(plan.get(), t.X(), t.W(), t.Bias(), t.Y(), stream) != KCONV_STATUS_OK);
  const kconv_conv_desc desc = shape.Desc();
  CHECK(kconv_forward(on0.get(), &desc, t.X(), t.W(), t.Bias(), t.Y(), stream) != KCONV_STATUS_OK);
  CHECK(t.YUntouched());
  CHECK(Api()->cuStreamDestroy(stream) == CUDA_SUCCESS);
}

TEST_CASE("fake_driver.multi_device.forward_keeps_a_plan_cache_per_context") {
  FakeDriver fake;
  REQUIRE(fake_cuda_set_device_count(2) == 0);
  const kconv_test::Shape shape = kconv_test::AlexNetConv1(1);
  const kconv_conv_desc desc = shape.Desc();
  ContextPtr contexts[2] = {ContextOn(0), ContextOn(1)};
  Tensors t(shape);
  for (int round = 0; round < 3; ++round) {
    for (int d : {0, 1}) {
      CAPTURE(round);
      CAPTURE(d);
      const int64_t before = FakeDriver::Counters().launches;
      REQUIRE(kconv_forward(contexts[d].get(), &desc, t.X(), t.W(), t.Bias(), t.Y(), nullptr) == KCONV_STATUS_OK);
      const std::vector<int32_t> devices = DevicesLaunchedOn(before);
      REQUIRE(!devices.empty());
      for (int32_t launched : devices) CHECK(launched == d);
    }
  }
  // Each context loaded its kernels once, into its own device's context, and kept its plan.
  const int64_t loads = FakeDriver::Counters().module_loads;
  CHECK(loads >= 2);
  CHECK(loads % 2 == 0);
  REQUIRE(kconv_forward(contexts[1].get(), &desc, t.X(), t.W(), t.Bias(), t.Y(), nullptr) == KCONV_STATUS_OK);
  CHECK(FakeDriver::Counters().module_loads == loads);
}

TEST_CASE("fake_driver.multi_device.one_tuning_cache_file_keeps_each_devices_entries") {
  FakeDriver fake;
  REQUIRE(fake_cuda_set_device_count(2) == 0);
  // Device 1 is another kind of GPU (fewer SMs): its timings must not stand for device 0's.
  REQUIRE(fake_cuda_set_attribute(1, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 114) == 0);
  fake_test::TempDir dir;
  const std::string cache = dir.File("tuning.txt");
  const kconv_conv_desc desc = kconv_test::AlexNetConv1(1).Desc();
  ContextPtr contexts[2] = {ContextOn(0, cache.c_str()), ContextOn(1, cache.c_str())};
  kconv_autotune_options full;
  kconv_autotune_options_init(&full);
  full.mode = KCONV_AUTOTUNE_FULL;
  full.warmup_runs = 1;
  full.timed_runs = 5;
  auto tune = [&](int device, int32_t store) {
    full.store = store;
    kconv_autotune_report* report = nullptr;
    REQUIRE(kconv_autotune(contexts[device].get(), &desc, &full, 0, 0, 0, 0, nullptr, &report) == KCONV_STATUS_OK);
    return fake_test::ReportPtr(report);
  };
  // Two configs other than the heuristic's, each made the fastest while one device tunes.
  std::string winners[2];
  {
    const fake_test::ReportPtr probe = tune(0, 0);
    const int32_t count = kconv_autotune_report_candidate_count(probe.get());
    REQUIRE(count >= 3);
    for (int d : {0, 1}) {
      kconv_autotune_candidate c{};
      c.struct_size = sizeof(c);
      REQUIRE(kconv_autotune_report_candidate(probe.get(), count - 1 - d, &c) == KCONV_STATUS_OK);
      winners[d] = c.config;
    }
  }
  for (int d : {0, 1}) {
    CAPTURE(d);
    std::string kernel = "kconv_" + winners[d];
    kernel[kernel.find('/')] = '_';
    fake_cuda_set_kernel_duration_us(kernel.c_str(), 5.0);
    const fake_test::ReportPtr report = tune(d, 1);
    CHECK(std::string(kconv_autotune_report_winner(report.get())) == winners[d]);
    CHECK(kconv_autotune_report_stored_in_file(report.get()) == 1);
    fake_cuda_set_kernel_duration_us(kernel.c_str(), 10.0);
  }
  const std::string text = fake_test::ReadText(cache);
  CHECK(text.find("Fake H200\t90\t132\t") != std::string::npos);
  CHECK(text.find("Fake H200\t90\t114\t") != std::string::npos);
  // New contexts on each device take their own device's entry from the shared file.
  for (int d : {0, 1}) {
    CAPTURE(d);
    ContextPtr fresh = ContextOn(d, cache.c_str());
    PlanPtr plan = fake_test::MakePlan(fresh.get(), desc);
    CHECK(FullName(InfoOf(plan.get())) == winners[d]);
  }
}
