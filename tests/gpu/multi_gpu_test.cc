// SPDX-License-Identifier: Apache-2.0
// Several GPUs in one process, case by case: the driver's answers the pointer check relies on (on any
// machine), the caller's current context on another device, use_current_context on each device, memory and
// streams of another device, and one tuning cache file for every device. Devices and skipping:
// multi_gpu_devices.h; the threaded run: multi_gpu_threads_test.cc.
#include <doctest/doctest.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gpu_harness.h"
#include "kconv/kconv.h"
#include "multi_gpu_devices.h"

namespace kconv_test {

TEST_SUITE("gpu") {
  // What runtime/device_pointers.cc asks the driver, answered for this device's memory and for host memory the
  // driver does not know. Runs with one device too: the check itself only asks with two.
  TEST_CASE("gpu.multi_gpu.the_driver_describes_pointers_as_the_check_expects") {
    const kconv::DriverApi* api = GpuDriver();
    REQUIRE(reinterpret_cast<void*>(api->cuPointerGetAttributes) != nullptr);
    REQUIRE(reinterpret_cast<void*>(api->cuPointerGetAttribute) != nullptr);
    DeviceBuffer own(4096);
    std::vector<float> host(1024);
    struct Case {
      const char* name;
      uint64_t address;
      uint32_t memory_type;
      bool reachable;
    };
    for (const Case& c : {Case{"device memory", own.get() + 64, CU_MEMORYTYPE_DEVICE, true},
                          Case{"malloc'd host memory", reinterpret_cast<uint64_t>(host.data()), 0u, false}}) {
      const std::string name = c.name;
      CAPTURE(name);
      CUpointer_attribute which[] = {CU_POINTER_ATTRIBUTE_MEMORY_TYPE, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL,
                                     CU_POINTER_ATTRIBUTE_IS_MANAGED};
      uint64_t slots[3] = {~0ull, ~0ull, ~0ull};  // not zeroed here: what the driver writes is the point
      void* data[3] = {&slots[0], &slots[1], &slots[2]};
      REQUIRE(api->cuPointerGetAttributes(3, which, data, c.address) == CUDA_SUCCESS);
      char seen[160];
      snprintf(seen, sizeof(seen), "%s: memory type slot 0x%llx, ordinal 0x%llx, managed 0x%llx", c.name,
               static_cast<unsigned long long>(slots[0]), static_cast<unsigned long long>(slots[1]),
               static_cast<unsigned long long>(slots[2]));
      MESSAGE(std::string(seen));
      CHECK(static_cast<uint32_t>(slots[0]) == c.memory_type);
      if (c.memory_type == CU_MEMORYTYPE_DEVICE) {
        CHECK(static_cast<int32_t>(static_cast<uint32_t>(slots[1])) == 0);
        CHECK((slots[2] & 0xff) == 0);
      }
      CUdeviceptr mapped = 0;
      const CUresult r = api->cuPointerGetAttribute(&mapped, CU_POINTER_ATTRIBUTE_DEVICE_POINTER, c.address);
      CHECK((r == CUDA_SUCCESS) == c.reachable);
      if (c.reachable) CHECK(mapped == c.address);
    }
  }

  TEST_CASE("gpu.multi_gpu.the_callers_context_on_another_device_is_left_current") {
    KCONV_SKIP_WITHOUT_TWO_DEVICES();
    const kconv::DriverApi* api = GpuDriver();
    const std::vector<int>& ordinals = TestDevices().ordinals;
    kconv_context* ctx0 = ContextOn(ordinals[0]);
    const Shape s = AlexNetConv1(4);
    std::unique_ptr<ConvBuffers> b;
    {
      CurrentContext on0(Primary(ordinals[0]));
      b = std::make_unique<ConvBuffers>(s);
      REQUIRE(api->cuCtxSynchronize() == CUDA_SUCCESS);
    }
    {
      CurrentContext on1(Primary(ordinals[1]));
      const kconv_conv_desc d = s.Desc();
      REQUIRE(kconv_forward(ctx0, &d, b->x.get(), b->w.get(), b->bias.get(), b->y.get(), nullptr) == KCONV_STATUS_OK);
      CUcontext now = nullptr;
      REQUIRE(api->cuCtxGetCurrent(&now) == CUDA_SUCCESS);
      CHECK(now == Primary(ordinals[1]));
    }
    CurrentContext on0(Primary(ordinals[0]));
    CheckMatchesReference(*b);
    b.reset();
    kconv_context_destroy(ctx0);
  }

  TEST_CASE("gpu.multi_gpu.use_current_context_on_each_device") {
    KCONV_SKIP_WITHOUT_TWO_DEVICES();
    for (int ordinal : TestDevices().ordinals) {
      CAPTURE(ordinal);
      CurrentContext current(Primary(ordinal));
      kconv_context_options o;
      kconv_context_options_init(&o);
      o.use_current_context = 1;
      o.tuning_cache_path = "";
      kconv_context* ctx = nullptr;
      REQUIRE(kconv_context_create(&o, &ctx) == KCONV_STATUS_OK);
      ConvBuffers b(ResNetStem(2));
      const kconv_conv_desc d = b.shape.Desc();
      REQUIRE(kconv_forward(ctx, &d, b.x.get(), b.w.get(), b.bias.get(), b.y.get(), nullptr) == KCONV_STATUS_OK);
      CheckMatchesReference(b);
      kconv_context_destroy(ctx);
    }
  }

  TEST_CASE("gpu.multi_gpu.memory_and_streams_of_another_device_are_refused") {
    KCONV_SKIP_WITHOUT_TWO_DEVICES();
    if (!TestDevices().distinct) {
      MESSAGE("multi_gpu: another device's memory needs two devices; skipped on two kconv contexts of one");
      return;
    }
    const kconv::DriverApi* api = GpuDriver();
    kconv_context* ctx0 = ContextOn(0);
    const Shape s = AlexNetConv1(2);
    const kconv_conv_desc d = s.Desc();
    std::unique_ptr<ConvBuffers> b;
    {
      CurrentContext on0(Primary(0));
      b = std::make_unique<ConvBuffers>(s);
      REQUIRE(api->cuCtxSynchronize() == CUDA_SUCCESS);
    }
    {
      CurrentContext on1(Primary(1));
      DeviceBuffer foreign(s.YElements() * 4);
      CUstream foreign_stream = nullptr;
      REQUIRE(api->cuStreamCreate(&foreign_stream, CU_STREAM_NON_BLOCKING) == CUDA_SUCCESS);
      bool reachable_from_0 = false;
      {
        // If device 0 could reach device 1's memory (peer access left enabled), kconv rightly lets it through;
        // and if the check were broken, a kernel reading it without access would fault device 0's context for
        // every later case. Ask the driver first.
        CurrentContext on0(Primary(0));
        CUdeviceptr mapped = 0;
        reachable_from_0 =
            api->cuPointerGetAttribute(&mapped, CU_POINTER_ATTRIBUTE_DEVICE_POINTER, foreign.get()) == CUDA_SUCCESS;
      }
      if (reachable_from_0) {
        MESSAGE("multi_gpu: device 0 can reach device 1's memory (peer access): the refusal is not tested");
        api->cuStreamDestroy(foreign_stream);
        CurrentContext on0(Primary(0));  // b's buffers are device 0's
        b.reset();
        kconv_context_destroy(ctx0);
        return;
      }
      const kconv_status x_status = kconv_forward(ctx0, &d, foreign.get(), b->w.get(), b->bias.get(), b->y.get(), nullptr);
      const std::string x_message = kconv_last_error_message();
      const kconv_status y_status = kconv_forward(ctx0, &d, b->x.get(), b->w.get(), b->bias.get(), foreign.get(), nullptr);
      const std::string y_message = kconv_last_error_message();
      const kconv_status stream_status =
          kconv_forward(ctx0, &d, b->x.get(), b->w.get(), b->bias.get(), b->y.get(), foreign_stream);
      const std::string stream_message = kconv_last_error_message();
      MESSAGE("another device's x: " << kconv_status_string(x_status) << ": " << x_message);
      MESSAGE("another device's stream: " << kconv_status_string(stream_status) << ": " << stream_message);
      CHECK(x_status == KCONV_STATUS_INVALID_ARGUMENT);
      CHECK(x_message.find("is memory of CUDA device 1, but this kconv context runs on device 0") != std::string::npos);
      CHECK(y_status == KCONV_STATUS_INVALID_ARGUMENT);
      CHECK(y_message.find("y = 0x") != std::string::npos);
      CHECK(stream_status != KCONV_STATUS_OK);  // the driver's refusal, reported, not a fault
      api->cuStreamDestroy(foreign_stream);
    }
    CurrentContext on0(Primary(0));
    REQUIRE(api->cuCtxSynchronize() == CUDA_SUCCESS);  // no fault was left behind
    CHECK(AllNaN(b->y, s.YElements()));
    // The context still works.
    REQUIRE(kconv_forward(ctx0, &d, b->x.get(), b->w.get(), b->bias.get(), b->y.get(), nullptr) == KCONV_STATUS_OK);
    CheckMatchesReference(*b);
    b.reset();
    kconv_context_destroy(ctx0);
  }

  TEST_CASE("gpu.multi_gpu.one_tuning_cache_file_for_every_device") {
    KCONV_SKIP_WITHOUT_TWO_DEVICES();
    const std::vector<int>& ordinals = TestDevices().ordinals;
    std::string dir = (std::filesystem::temp_directory_path() / "kconv-multi-gpu-XXXXXX").string();
    REQUIRE(mkdtemp(dir.data()) != nullptr);
    const std::string cache = dir + "/tuning.txt";
    std::vector<kconv_context*> contexts;
    for (int ordinal : ordinals) contexts.push_back(ContextOn(ordinal, cache.c_str()));
    // Every context tunes two shapes at once: one all of them share and one its own (AlexNet at N = 8 + slot),
    // so that stores race on the shared file.
    std::vector<std::string> failures(contexts.size());
    std::vector<std::string> own_winner(contexts.size());
    std::vector<std::thread> tuners;
    for (size_t slot = 0; slot < contexts.size(); ++slot) {
      tuners.emplace_back([&, slot] {
        for (int64_t n : {int64_t{4}, int64_t{8 + static_cast<int64_t>(slot)}}) {
          const kconv_conv_desc d = AlexNetConv1(n).Desc();
          kconv_autotune_options o;
          kconv_autotune_options_init(&o);
          o.warmup_runs = 2;
          o.timed_runs = 10;
          kconv_autotune_report* report = nullptr;
          if (kconv_autotune(contexts[slot], &d, &o, 0, 0, 0, 0, nullptr, &report) != KCONV_STATUS_OK) {
            failures[slot] = kconv_last_error_message();
            return;
          }
          if (kconv_autotune_report_stored_in_file(report) != 1) failures[slot] = "not stored in the file";
          if (n != 4) own_winner[slot] = kconv_autotune_report_winner(report);
          kconv_autotune_report_destroy(report);
        }
      });
    }
    for (std::thread& t : tuners) t.join();
    for (const std::string& f : failures) CHECK_MESSAGE(f.empty(), f);
    std::ifstream in(cache);
    std::stringstream text;
    text << in.rdbuf();
    const std::string file = text.str();
    for (size_t slot = 0; slot < contexts.size(); ++slot) {
      const std::string key = "\tn=" + std::to_string(8 + slot) + " c=3 ";
      CHECK_MESSAGE(file.find(key) != std::string::npos, "no entry for AlexNet N = " << 8 + slot << " in\n" << file);
    }
    // A new context on each device takes its entry from the file.
    for (size_t slot = 0; slot < contexts.size(); ++slot) {
      kconv_context* fresh = ContextOn(ordinals[slot], cache.c_str());
      const kconv_conv_desc d = AlexNetConv1(8 + static_cast<int64_t>(slot)).Desc();
      kconv_plan* plan = nullptr;
      REQUIRE(kconv_plan_create(fresh, &d, nullptr, &plan) == KCONV_STATUS_OK);
      kconv_plan_info info;
      info.struct_size = sizeof(info);
      REQUIRE(kconv_plan_get_info(plan, &info) == KCONV_STATUS_OK);
      CHECK(std::string(info.family) + "/" + info.config == own_winner[slot]);
      kconv_plan_destroy(plan);
      kconv_context_destroy(fresh);
    }
    for (kconv_context* ctx : contexts) kconv_context_destroy(ctx);
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
}

}  // namespace kconv_test
