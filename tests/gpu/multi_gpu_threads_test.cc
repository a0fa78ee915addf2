// SPDX-License-Identifier: Apache-2.0
// Several GPUs under threads: a kconv context per device, 8 threads per device, each on its own stream, 10,000
// calls in all (KCONV_TEST_MULTI_GPU_CALLS shortens it, for compute-sanitizer) through kconv_forward, plans
// with the weights passed and plans with them bound, over AlexNet conv1 at N = 1, 32 and 256 and the other
// families' shapes in TF32, FP32 and 3xTF32. Every call has fresh inputs, a NaN-poisoned output and a fresh
// float64 reference, compared on the device. Every thread holds buffers for every job (AlexNet N = 256 among
// them): ~15 GB a device. Devices and skipping: multi_gpu_devices.h.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gpu_harness.h"
#include "kconv/kconv.h"
#include "multi_gpu_devices.h"

namespace kconv_test {
namespace {

constexpr int kThreadsPerDevice = 8;

// 10,000, or KCONV_TEST_MULTI_GPU_CALLS.
int64_t CallsInAll() {
  const char* calls = getenv("KCONV_TEST_MULTI_GPU_CALLS");
  const int64_t n = calls != nullptr ? atoll(calls) : 0;
  return n > 0 ? n : 10000;
}

// A convolution the threads run: a shape in a math mode, and how closely it must match: the bound on
// |y - ref| relative to sum |x * w| + |bias|. TF32: each product's operands cut to 10 bits (2^-9 even if
// truncated) plus the fp32 accumulation, twice over; FP32 and 3xTF32: the fp32 accumulation of up to 363
// terms (~2e-5), with room. Loose by design: the case is after races, stale and misplaced outputs and the
// wrong device, which are off by the outputs' own size; the GPU suite's other cases check accuracy.
struct Job {
  const char* name;
  Shape shape;
  int32_t math;
  double tolerance;
};

// The last job is the one that takes milliseconds to check: JobOf runs it seldom.
std::vector<Job> Jobs() {
  const double tf32 = 0x1p-8, fp32 = 1e-4;
  return {
      {"AlexNet N=1", AlexNetConv1(1), KCONV_MATH_TF32, tf32},
      {"AlexNet N=32", AlexNetConv1(32), KCONV_MATH_TF32, tf32},
      {"ResNet stem N=4", ResNetStem(4), KCONV_MATH_TF32, tf32},
      {"ViT-like 16x16/16", Shape{2, 3, 64, 64, 200, 16, 16, 16, 16}, KCONV_MATH_TF32, tf32},
      {"3x3 layer, 64 channels", Shape{2, 64, 28, 28, 128, 3, 3, 1, 1, 1, 1}, KCONV_MATH_TF32, tf32},
      {"dilated layer", DilatedLayer(2), KCONV_MATH_TF32, tf32},
      {"AlexNet N=2 FP32", AlexNetConv1(2), KCONV_MATH_FP32, fp32},
      {"ConvNeXt 4x4/4 FP32", Shape{2, 3, 64, 64, 96, 4, 4, 4, 4}, KCONV_MATH_FP32, fp32},
      {"dilated layer FP32", DilatedLayer(2), KCONV_MATH_FP32, fp32},
      {"AlexNet N=2 3xTF32", AlexNetConv1(2), KCONV_MATH_3XTF32, fp32},
      {"AlexNet N=256", AlexNetConv1(256), KCONV_MATH_TF32, tf32},
  };
}

// Which job call `i` of thread `t` runs: the others in turn, the last (AlexNet N = 256) once in 40 calls.
size_t JobOf(int64_t i, int t, size_t jobs) {
  if ((i + t) % 40 == 39) return jobs - 1;
  return static_cast<size_t>(i * 7 + t) % (jobs - 1);
}

// One thread's tensors for one job, in its device's memory.
struct JobBuffers {
  JobBuffers(const Shape& s)
      : x(s.XElements() * 4), w(s.WElements() * 4), bias(s.k * 4), y(s.YElements() * 4), y_ref(s.YElements() * 8),
        y_magnitude(s.YElements() * 8) {}
  DeviceBuffer x, w, bias, y, y_ref, y_magnitude;
  kconv_plan* plan = nullptr;
};

// What one thread did: its calls, the outputs found wrong, and the first failures it saw.
struct ThreadOutcome {
  int64_t calls = 0;
  uint64_t mismatched_outputs = 0;
  std::vector<std::string> failures;
  void Fail(const std::string& what) {
    if (failures.size() < 5) failures.push_back(what);
  }
};

// One worker: its device's context current, its own stream; every call gets fresh inputs, a poisoned
// output and a fresh float64 reference, and runs through kconv_forward (the context's plan cache), the
// thread's plan with the weights passed, or the plan with the weights bound first, in turn.
void RunWorker(kconv_context* ctx, CUcontext primary, int t, int64_t calls, const std::vector<Job>& jobs,
               std::vector<std::unique_ptr<JobBuffers>>& buffers, uint64_t counter, ThreadOutcome& out) {
  const kconv::DriverApi* api = GpuDriver();
  CurrentContext current(primary);
  if (!current.ok()) return out.Fail("cuCtxPushCurrent failed");
  CUstream stream = nullptr;
  if (api->cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING) != CUDA_SUCCESS) return out.Fail("cuStreamCreate failed");
  for (int64_t i = 0; i < calls; ++i) {
    const size_t j = JobOf(i, t, jobs.size());
    const Job& job = jobs[j];
    JobBuffers& b = *buffers[j];
    const Shape& s = job.shape;
    kconv_conv_desc d = s.Desc();
    d.math_mode = job.math;
    const bool prepared = FillRandomOn(stream, b.x.get(), s.XElements()) == CUDA_SUCCESS &&
                          FillRandomOn(stream, b.w.get(), s.WElements()) == CUDA_SUCCESS &&
                          FillRandomOn(stream, b.bias.get(), s.k) == CUDA_SUCCESS &&
                          api->cuMemsetD32Async(b.y.get(), 0x7fc00000u, s.YElements(), stream) == CUDA_SUCCESS &&
                          ReferenceConvOn(stream, s, b.x.get(), b.w.get(), s.bias ? b.bias.get() : 0, b.y_ref.get(),
                                          b.y_magnitude.get()) == CUDA_SUCCESS;
    if (!prepared) return out.Fail(std::string(job.name) + ": a test kernel failed to launch");
    const uint64_t bias = s.bias ? b.bias.get() : 0;
    kconv_status status = KCONV_STATUS_OK;
    switch (i % 3) {
      case 0:
        status = kconv_forward(ctx, &d, b.x.get(), b.w.get(), bias, b.y.get(), stream);
        break;
      case 1:
        status = kconv_plan_execute(b.plan, b.x.get(), b.w.get(), bias, b.y.get(), stream);
        break;
      default:
        status = kconv_plan_set_weights(b.plan, b.w.get(), stream);
        if (status == KCONV_STATUS_OK) status = kconv_plan_execute(b.plan, b.x.get(), 0, bias, b.y.get(), stream);
    }
    if (status != KCONV_STATUS_OK) {
      out.Fail(std::string(job.name) + ": " + kconv_status_string(status) + ": " + kconv_last_error_message());
      continue;
    }
    if (CountMismatchesOn(stream, b.y.get(), b.y_ref.get(), b.y_magnitude.get(), s.YElements(), job.tolerance,
                          counter) != CUDA_SUCCESS) {
      return out.Fail("count_mismatches failed to launch");
    }
    ++out.calls;
  }
}


}  // namespace

TEST_SUITE("gpu") {
  TEST_CASE("gpu.multi_gpu.threads_on_every_device") {
    KCONV_SKIP_WITHOUT_TWO_DEVICES();
    const kconv::DriverApi* api = GpuDriver();
    const std::vector<int>& ordinals = TestDevices().ordinals;
    const int slots = static_cast<int>(ordinals.size());
    const int threads = slots * kThreadsPerDevice;
    const int64_t calls_in_all = CallsInAll();
    const int64_t calls_per_thread = (calls_in_all + threads - 1) / threads;
    const std::vector<Job> jobs = Jobs();
    std::vector<kconv_context*> contexts;
    std::vector<std::vector<std::vector<std::unique_ptr<JobBuffers>>>> buffers(slots);  // [slot][thread][job]
    std::vector<DeviceBuffer> counters;
    for (int slot = 0; slot < slots; ++slot) {
      contexts.push_back(ContextOn(ordinals[slot]));
      CurrentContext current(Primary(ordinals[slot]));
      REQUIRE(current.ok());
      counters.emplace_back(static_cast<size_t>(kThreadsPerDevice) * 8);
      REQUIRE(api->cuMemsetD32(counters.back().get(), 0, kThreadsPerDevice * 2) == CUDA_SUCCESS);
      for (int t = 0; t < kThreadsPerDevice; ++t) {
        buffers[slot].emplace_back();
        for (const Job& job : jobs) {
          auto b = std::make_unique<JobBuffers>(job.shape);
          kconv_conv_desc d = job.shape.Desc();
          d.math_mode = job.math;
          REQUIRE_MESSAGE(kconv_plan_create(contexts[slot], &d, nullptr, &b->plan) == KCONV_STATUS_OK,
                          job.name << ": " << kconv_last_error_message());
          buffers[slot][t].push_back(std::move(b));
        }
      }
    }
    std::vector<ThreadOutcome> outcomes(threads);
    std::vector<std::thread> workers;
    for (int slot = 0; slot < slots; ++slot) {
      for (int t = 0; t < kThreadsPerDevice; ++t) {
        workers.emplace_back(RunWorker, contexts[slot], Primary(ordinals[slot]), t, calls_per_thread, std::cref(jobs),
                             std::ref(buffers[slot][t]), counters[slot].get() + 8 * t,
                             std::ref(outcomes[slot * kThreadsPerDevice + t]));
      }
    }
    for (std::thread& w : workers) w.join();
    int64_t calls = 0;
    uint64_t mismatched = 0;
    for (int slot = 0; slot < slots; ++slot) {
      CurrentContext current(Primary(ordinals[slot]));
      std::vector<uint64_t> counts(kThreadsPerDevice);
      REQUIRE(api->cuMemcpyDtoH(counts.data(), counters[slot].get(), counts.size() * 8) == CUDA_SUCCESS);
      for (int t = 0; t < kThreadsPerDevice; ++t) {
        const ThreadOutcome& o = outcomes[slot * kThreadsPerDevice + t];
        CAPTURE(slot);
        CAPTURE(t);
        for (const std::string& f : o.failures) FAIL_CHECK(f);
        CHECK(o.calls == calls_per_thread);
        CHECK(counts[t] == 0);
        calls += o.calls;
        mismatched += counts[t];
      }
      for (auto& thread_buffers : buffers[slot])
        for (auto& b : thread_buffers) kconv_plan_destroy(b->plan);
      buffers[slot].clear();  // freed with their device's context current
      counters[slot] = DeviceBuffer();
    }
    for (kconv_context* ctx : contexts) kconv_context_destroy(ctx);
    const std::string where = std::to_string(slots) + (TestDevices().distinct ? " devices" : " contexts of one device");
    MESSAGE("multi_gpu: " << calls << " calls on " << where << ", " << threads << " threads: " << mismatched
                          << " outputs outside the rounding bound");
    CHECK(calls >= calls_in_all);
    CHECK(mismatched == 0);
  }
}

}  // namespace kconv_test
