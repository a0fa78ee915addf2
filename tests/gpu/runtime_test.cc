// SPDX-License-Identifier: Apache-2.0
// The runtime on a real device: contexts, plans, bad device pointers, threads, streams, memory
// pressure and tensors past 2^32 elements.
#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "gpu_harness.h"
#include "kconv/kconv.h"

namespace kconv_test {
namespace {

kconv_context* NewContext(const kconv_context_options* o = nullptr) {
  kconv_context* ctx = nullptr;
  REQUIRE_MESSAGE(kconv_context_create(o, &ctx) == KCONV_STATUS_OK, kconv_last_error_message());
  return ctx;
}

kconv_plan* NewPlan(kconv_context* ctx, const Shape& s) {
  const kconv_conv_desc d = s.Desc();
  kconv_plan* plan = nullptr;
  REQUIRE_MESSAGE(kconv_plan_create(ctx, &d, nullptr, &plan) == KCONV_STATUS_OK, kconv_last_error_message());
  return plan;
}

}  // namespace

TEST_SUITE("gpu") {
  TEST_CASE("gpu.context.device_ordinal_out_of_range_is_not_found") {
    kconv_context_options o;
    kconv_context_options_init(&o);
    o.device_ordinal = 4096;
    kconv_context* ctx = nullptr;
    CHECK(kconv_context_create(&o, &ctx) == KCONV_STATUS_NOT_FOUND);
    CHECK(std::string(kconv_last_error_message()).find("device_ordinal = 4096") != std::string::npos);
    CHECK(ctx == nullptr);
  }

  TEST_CASE("gpu.context.current_context_option") {
    const kconv::DriverApi* api = GpuDriver();
    kconv_context_options o;
    kconv_context_options_init(&o);
    o.use_current_context = 1;
    kconv_context* ctx = NewContext(&o);  // the harness made the primary context current
    kconv_plan* plan = NewPlan(ctx, Shape{1, 3, 8, 8, 4, 3, 3});
    kconv_plan_destroy(plan);
    kconv_context_destroy(ctx);
    // From a thread with no current context the option must fail cleanly.
    kconv_status status = KCONV_STATUS_OK;
    std::string message;
    std::thread([&] {
      CUcontext none = nullptr;
      api->cuCtxGetCurrent(&none);
      if (none != nullptr) return;
      kconv_context* c = nullptr;
      status = kconv_context_create(&o, &c);
      message = kconv_last_error_message();
    }).join();
    CHECK(status == KCONV_STATUS_FAILED_PRECONDITION);
    CHECK(message.find("no current CUDA context") != std::string::npos);
  }

  TEST_CASE("gpu.plan.describes_itself") {
    kconv_context* ctx = NewContext();
    kconv_plan* plan = NewPlan(ctx, AlexNetConv1(256));
    const int64_t length = kconv_plan_describe(plan, nullptr, 0);
    REQUIRE(length > 0);
    std::vector<char> text(length + 1);
    CHECK(kconv_plan_describe(plan, text.data(), text.size()) == length);
    const std::string described(text.data());
    CHECK(described.find("cubin") != std::string::npos);
    char small[8];
    CHECK(kconv_plan_describe(plan, small, sizeof(small)) == length);
    CHECK(std::string(small).size() == 7);  // truncated and terminated
    kconv_plan_info info;
    info.struct_size = sizeof(info);
    REQUIRE(kconv_plan_get_info(plan, &info) == KCONV_STATUS_OK);
    CHECK(described.find(std::string(info.family) + "/" + info.config) == 0);
    CHECK(info.is_ptx == 0);
    if (std::string(info.family) == "stem_wgmma_tf32") {
      // Persistent: one block per SM, each walking a range of the tiles (whole output rows, 55 per image).
      CHECK(info.grid_y == 1);
      CHECK(info.grid_x >= 1);
      CHECK(info.grid_x <= 256 * 55);
    } else {
      CHECK(info.grid_x * info.grid_y * info.block_m >= 256 * 55 * 55);  // every pixel has a block
    }
    CHECK(info.block_n >= 96);
    CHECK(info.device_cc >= 80);
    CHECK(info.arch <= info.device_cc);
    MESSAGE(described);
    kconv_plan_destroy(plan);
    kconv_context_destroy(ctx);
  }

  TEST_CASE("gpu.plan.unknown_config_name_is_not_found") {
    kconv_context* ctx = NewContext();
    const kconv_conv_desc d = Shape{1, 3, 8, 8, 4, 3, 3}.Desc();
    kconv_plan_options o;
    kconv_plan_options_init(&o);
    o.config_name = "m7n7k7_w1_s9";
    kconv_plan* plan = nullptr;
    CHECK(kconv_plan_create(ctx, &d, &o, &plan) == KCONV_STATUS_NOT_FOUND);
    CHECK(plan == nullptr);
    kconv_context_destroy(ctx);
  }

  TEST_CASE("gpu.execute.rejects_bad_device_pointers_and_leaves_y_untouched") {
    kconv_context* ctx = NewContext();
    const Shape s{1, 3, 16, 16, 8, 3, 3};
    kconv_plan* plan = NewPlan(ctx, s);
    ConvBuffers b(s);
    struct Case {
      const char* name;
      uint64_t x, w, bias, y;
      const char* mentions;
    };
    const Case cases[] = {
        {"misaligned x", b.x.get() + 2, b.w.get(), b.bias.get(), b.y.get(), "not 4-byte aligned"},
        {"misaligned y", b.x.get(), b.w.get(), b.bias.get(), b.y.get() + 1, "not 4-byte aligned"},
        {"null w", b.x.get(), 0, b.bias.get(), b.y.get(), "w is a null pointer"},
        {"missing bias", b.x.get(), b.w.get(), 0, b.y.get(), "bias is a null pointer"},
        {"y is x", b.x.get(), b.w.get(), b.bias.get(), b.x.get(), "overlaps"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.name);
      CHECK(kconv_plan_execute(plan, c.x, c.w, c.bias, c.y, nullptr) == KCONV_STATUS_INVALID_ARGUMENT);
      CHECK(std::string(kconv_last_error_message()).find(c.mentions) != std::string::npos);
    }
    REQUIRE(GpuDriver()->cuCtxSynchronize() == CUDA_SUCCESS);
    CHECK(AllNaN(b.y, s.YElements()));
    kconv_plan_destroy(plan);
    kconv_context_destroy(ctx);
  }

  TEST_CASE("gpu.threads.share_one_context") {
    const kconv::DriverApi* api = GpuDriver();
    kconv_context* ctx = NewContext();
    CUcontext primary = nullptr;
    REQUIRE(api->cuCtxGetCurrent(&primary) == CUDA_SUCCESS);
    const std::vector<Shape> shapes = {AlexNetConv1(2), ResNetStem(1), Shape{2, 3, 24, 24, 32, 3, 3, 1, 1, 1, 1},
                                       Shape{1, 8, 12, 12, 17, 3, 3, 1, 1, 1, 1}};
    std::vector<ConvBuffers*> buffers;
    for (const Shape& s : shapes) buffers.push_back(new ConvBuffers(s));
    REQUIRE(api->cuCtxSynchronize() == CUDA_SUCCESS);
    std::vector<kconv_status> statuses(8 * shapes.size(), KCONV_STATUS_UNKNOWN);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        api->cuCtxPushCurrent(primary);
        CUstream stream;
        api->cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING);
        for (size_t i = 0; i < shapes.size(); ++i) {
          const ConvBuffers& b = *buffers[(i + t) % shapes.size()];
          const kconv_conv_desc d = b.shape.Desc();
          // Every thread writes the same values into the same output; the plans race to be created.
          statuses[t * shapes.size() + i] =
              kconv_forward(ctx, &d, b.x.get(), b.w.get(), b.bias.get(), b.y.get(), stream);
        }
        api->cuStreamSynchronize(stream);
        api->cuStreamDestroy(stream);
        CUcontext popped;
        api->cuCtxPopCurrent(&popped);
      });
    }
    for (auto& th : threads) th.join();
    for (kconv_status st : statuses) CHECK(st == KCONV_STATUS_OK);
    for (ConvBuffers* b : buffers) {
      const Comparison c = CompareWithReference(*b);
      CHECK(c.nan_count == 0);
      CHECK(c.relative_l2 <= 1e-3);
      delete b;
    }
    kconv_context_destroy(ctx);
  }

  TEST_CASE("gpu.execute.runs_on_the_callers_stream_without_synchronising") {
    const kconv::DriverApi* api = GpuDriver();
    kconv_context* ctx = NewContext();
    const Shape s = AlexNetConv1(64);
    kconv_plan* plan = NewPlan(ctx, s);
    ConvBuffers b(s);
    CUstream stream;
    REQUIRE(api->cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING) == CUDA_SUCCESS);
    CUevent done;
    REQUIRE(api->cuEventCreate(&done, CU_EVENT_DEFAULT) == CUDA_SUCCESS);
    REQUIRE(api->cuCtxSynchronize() == CUDA_SUCCESS);
    for (int i = 0; i < 5; ++i) REQUIRE(kconv_plan_execute(plan, b.x.get(), b.w.get(), b.bias.get(), b.y.get(), stream) == KCONV_STATUS_OK);
    REQUIRE(api->cuEventRecord(done, stream) == CUDA_SUCCESS);
    // Five launches of a kernel that takes hundreds of microseconds were enqueued; had kconv
    // synchronised, they would be done by now.
    CHECK(api->cuEventQuery(done) == CUDA_ERROR_NOT_READY);
    REQUIRE(api->cuEventSynchronize(done) == CUDA_SUCCESS);
    const Comparison c = CompareWithReference(b);
    CHECK(c.nan_count == 0);
    CHECK(c.relative_l2 <= 1e-3);
    api->cuEventDestroy(done);
    api->cuStreamDestroy(stream);
    kconv_plan_destroy(plan);
    kconv_context_destroy(ctx);
  }

  TEST_CASE("gpu.memory.exhausted_device_gives_a_status_not_a_crash") {
    const kconv::DriverApi* api = GpuDriver();
    std::vector<CUdeviceptr> hogs;
    size_t free_bytes = 0, total = 0;
    REQUIRE(api->cuMemGetInfo(&free_bytes, &total) == CUDA_SUCCESS);
    for (size_t chunk = size_t{1} << 30; chunk >= (size_t{1} << 20);) {
      CUdeviceptr p;
      if (api->cuMemAlloc(&p, chunk) == CUDA_SUCCESS) {
        hogs.push_back(p);
      } else {
        chunk /= 2;
      }
    }
    kconv_context_options o;
    kconv_context_options_init(&o);
    o.force_ptx = 1;  // a module kconv has not loaded in this process yet: JIT and load need memory
    kconv_context* ctx = nullptr;
    kconv_status status = kconv_context_create(&o, &ctx);
    if (status == KCONV_STATUS_OK) {
      const kconv_conv_desc d = Shape{1, 3, 8, 8, 4, 3, 3}.Desc();
      kconv_plan* plan = nullptr;
      status = kconv_plan_create(ctx, &d, nullptr, &plan);
      kconv_plan_destroy(plan);
      kconv_context_destroy(ctx);
    }
    const std::string message = status == KCONV_STATUS_OK ? "" : kconv_last_error_message();
    for (CUdeviceptr p : hogs) api->cuMemFree(p);
    MESSAGE("with the device full (" << hogs.size() << " allocations held): " << std::string(kconv_status_string(status))
                                     << " " << message);
    CHECK((status == KCONV_STATUS_OK || status == KCONV_STATUS_RESOURCE_EXHAUSTED));
  }

  TEST_CASE("gpu.offsets.input_past_2_pow_32_elements") {
    const kconv::DriverApi* api = GpuDriver();
    const Shape s{2, 1, 46341, 46341, 4, 3, 3, 8, 8, 1, 1};  // x: 4,294,976,562 elements (> 2^32)
    size_t free_bytes = 0, total = 0;
    REQUIRE(api->cuMemGetInfo(&free_bytes, &total) == CUDA_SUCCESS);
    const size_t needed = s.XElements() * 4 + s.YElements() * 12 + (size_t{1} << 30);
    if (free_bytes < needed) {
      MESSAGE("skipped: needs " << needed / (1 << 30) << " GiB of free device memory, " << free_bytes / (1 << 30) << " free");
      return;
    }
    kconv_context* ctx = NewContext();
    kconv_plan* plan = NewPlan(ctx, s);
    ConvBuffers b(s);
    REQUIRE(kconv_plan_execute(plan, b.x.get(), b.w.get(), b.bias.get(), b.y.get(), nullptr) == KCONV_STATUS_OK);
    REQUIRE(api->cuCtxSynchronize() == CUDA_SUCCESS);
    const Comparison c = CompareWithReference(b);
    CHECK(c.nan_count == 0);
    CHECK(c.relative_l2 <= 1e-3);
    kconv_plan_destroy(plan);
    kconv_context_destroy(ctx);
  }
}

}  // namespace kconv_test
