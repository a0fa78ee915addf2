// SPDX-License-Identifier: Apache-2.0
// Several GPUs in one process: a kconv context per device, threads with their own streams on each, plans
// and kconv_forward's cache, the caller's context on another device, use_current_context on each device,
// one tuning cache file for all, and tensors of the wrong device. Skipped, with the reason, when fewer
// than two devices are visible; KCONV_TEST_MULTI_GPU_ON_ONE_DEVICE=1 then runs it over two contexts of
// device 0 (the same primary context twice), which exercises everything but the isolation of devices.
// KCONV_TEST_MULTI_GPU_CALLS shortens the threaded run (10,000 calls by default).
#include <doctest/doctest.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gpu_harness.h"
#include "kconv/kconv.h"

namespace kconv_test {
namespace {

constexpr int kThreadsPerDevice = 8;

// 10,000, or KCONV_TEST_MULTI_GPU_CALLS (a shorter run under compute-sanitizer).
int64_t CallsInAll() {
  const char* calls = getenv("KCONV_TEST_MULTI_GPU_CALLS");
  const int64_t n = calls != nullptr ? atoll(calls) : 0;
  return n > 0 ? n : 10000;
}

struct Devices {
  std::vector<int> ordinals;  // one slot per kconv context; empty: skip
  bool distinct = false;      // the slots are different devices
  std::string why;            // the reason for skipping
};

const Devices& TestDevices() {
  static const Devices devices = [] {
    Devices d;
    int count = 0;
    GpuDriver()->cuDeviceGetCount(&count);
    const char* one = getenv("KCONV_TEST_MULTI_GPU_ON_ONE_DEVICE");
    if (count >= 2) {
      for (int i = 0; i < count; ++i) d.ordinals.push_back(i);
      d.distinct = true;
    } else if (one != nullptr && strcmp(one, "1") == 0) {
      d.ordinals = {0, 0};
    } else {
      d.why = std::to_string(count) +
              " CUDA device visible, 2 needed (KCONV_TEST_MULTI_GPU_ON_ONE_DEVICE=1 runs the test on two contexts of "
              "device 0)";
    }
    return d;
  }();
  return devices;
}

#define SKIP_WITHOUT_TWO_DEVICES()                                           \
  if (TestDevices().ordinals.empty()) {                                      \
    MESSAGE("multi_gpu skipped: " << TestDevices().why);                     \
    return;                                                                  \
  }

// Device `ordinal`'s primary context, retained for the rest of the process: the harness keeps test kernels
// loaded per context, and a primary context released to nothing would take them with it.
CUcontext Primary(int ordinal) {
  static std::mutex mu;
  static std::map<int, CUcontext> retained;
  std::lock_guard<std::mutex> lock(mu);
  auto it = retained.find(ordinal);
  if (it != retained.end()) return it->second;
  CUcontext context = nullptr;
  CUdevice device = 0;
  REQUIRE(GpuDriver()->cuDeviceGet(&device, ordinal) == CUDA_SUCCESS);
  REQUIRE(GpuDriver()->cuDevicePrimaryCtxRetain(&context, device) == CUDA_SUCCESS);
  return retained.emplace(ordinal, context).first->second;
}

// `context` current on this thread for the scope.
class Current {
 public:
  explicit Current(CUcontext context) : ok_(GpuDriver()->cuCtxPushCurrent(context) == CUDA_SUCCESS) {}
  ~Current() {
    CUcontext popped;
    if (ok_) GpuDriver()->cuCtxPopCurrent(&popped);
  }
  bool ok() const { return ok_; }

 private:
  bool ok_;
};

kconv_context* ContextOn(int ordinal, const char* tuning_cache = "") {
  kconv_context_options o;
  kconv_context_options_init(&o);
  o.device_ordinal = ordinal;
  o.tuning_cache_path = tuning_cache;
  kconv_context* ctx = nullptr;
  REQUIRE_MESSAGE(kconv_context_create(&o, &ctx) == KCONV_STATUS_OK, kconv_last_error_message());
  return ctx;
}

// A convolution the threads run: a shape in a math mode, and how closely it must match: the bound on
// |y - ref| relative to sum |x * w| + |bias| (TF32: each product's two operands cut to 10 bits, 2^-9 if
// truncated, twice over for safety; fp32 and 3xTF32: the fp32 accumulation over up to ~1600 terms).
struct Job {
  const char* name;
  Shape shape;
  int32_t math;
  double tolerance;
};

std::vector<Job> Jobs() {
  const double tf32 = 0x1p-8, fp32 = 1e-4;
  return {
      {"AlexNet N=1", AlexNetConv1(1), KCONV_MATH_TF32, tf32},
      {"AlexNet N=32", AlexNetConv1(32), KCONV_MATH_TF32, tf32},
      {"AlexNet N=256", AlexNetConv1(256), KCONV_MATH_TF32, tf32},
      {"ResNet stem N=4", ResNetStem(4), KCONV_MATH_TF32, tf32},
      {"ViT-like 16x16/16", Shape{2, 3, 64, 64, 200, 16, 16, 16, 16}, KCONV_MATH_TF32, tf32},
      {"3x3 layer, 64 channels", Shape{2, 64, 28, 28, 128, 3, 3, 1, 1, 1, 1}, KCONV_MATH_TF32, tf32},
      {"dilated layer", DilatedLayer(2), KCONV_MATH_TF32, tf32},
      {"AlexNet N=2 FP32", AlexNetConv1(2), KCONV_MATH_FP32, fp32},
      {"ConvNeXt 4x4/4 FP32", Shape{2, 3, 64, 64, 96, 4, 4, 4, 4}, KCONV_MATH_FP32, fp32},
      {"dilated layer FP32", DilatedLayer(2), KCONV_MATH_FP32, fp32},
      {"AlexNet N=2 3xTF32", AlexNetConv1(2), KCONV_MATH_3XTF32, fp32},
  };
}

// Which job call `i` of thread `t` runs: every job in turn, AlexNet N = 256 (the one that takes
// milliseconds to check) once in 40 calls.
size_t JobOf(int64_t i, int t, size_t jobs) {
  if ((i + t) % 40 == 39) return 2;
  const size_t others[] = {0, 1, 3, 4, 5, 6, 7, 8, 9, 10};
  return others[static_cast<size_t>(i * 7 + t) % (sizeof(others) / sizeof(others[0]))] % jobs;
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
  Current current(primary);
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
  if (api->cuStreamSynchronize(stream) != CUDA_SUCCESS) out.Fail("cuStreamSynchronize failed (a kernel fault?)");
  api->cuStreamDestroy(stream);
}

bool AllNaN(const DeviceBuffer& y, int64_t n) {
  for (float v : Download(y, n))
    if (!std::isnan(v)) return false;
  return true;
}

}  // namespace

TEST_SUITE("gpu") {
  TEST_CASE("gpu.multi_gpu.threads_on_every_device") {
    SKIP_WITHOUT_TWO_DEVICES();
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
      Current current(Primary(ordinals[slot]));
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
      Current current(Primary(ordinals[slot]));
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

  TEST_CASE("gpu.multi_gpu.the_callers_context_on_another_device_is_left_current") {
    SKIP_WITHOUT_TWO_DEVICES();
    const kconv::DriverApi* api = GpuDriver();
    const std::vector<int>& ordinals = TestDevices().ordinals;
    kconv_context* ctx0 = ContextOn(ordinals[0]);
    const Shape s = AlexNetConv1(4);
    std::unique_ptr<ConvBuffers> b;
    {
      Current on0(Primary(ordinals[0]));
      b = std::make_unique<ConvBuffers>(s);
      REQUIRE(api->cuCtxSynchronize() == CUDA_SUCCESS);
    }
    {
      Current on1(Primary(ordinals[1]));
      const kconv_conv_desc d = s.Desc();
      REQUIRE(kconv_forward(ctx0, &d, b->x.get(), b->w.get(), b->bias.get(), b->y.get(), nullptr) == KCONV_STATUS_OK);
      CUcontext now = nullptr;
      REQUIRE(api->cuCtxGetCurrent(&now) == CUDA_SUCCESS);
      CHECK(now == Primary(ordinals[1]));
    }
    Current on0(Primary(ordinals[0]));
    REQUIRE(api->cuCtxSynchronize() == CUDA_SUCCESS);
    const Comparison c = CompareWithReference(*b);
    CHECK(c.nan_count == 0);
    CHECK(c.relative_l2 <= 1e-3);
    b.reset();
    kconv_context_destroy(ctx0);
  }

  TEST_CASE("gpu.multi_gpu.use_current_context_on_each_device") {
    SKIP_WITHOUT_TWO_DEVICES();
    const kconv::DriverApi* api = GpuDriver();
    for (int ordinal : TestDevices().ordinals) {
      CAPTURE(ordinal);
      Current current(Primary(ordinal));
      kconv_context_options o;
      kconv_context_options_init(&o);
      o.use_current_context = 1;
      o.tuning_cache_path = "";
      kconv_context* ctx = nullptr;
      REQUIRE(kconv_context_create(&o, &ctx) == KCONV_STATUS_OK);
      ConvBuffers b(ResNetStem(2));
      const kconv_conv_desc d = b.shape.Desc();
      REQUIRE(kconv_forward(ctx, &d, b.x.get(), b.w.get(), b.bias.get(), b.y.get(), nullptr) == KCONV_STATUS_OK);
      REQUIRE(api->cuCtxSynchronize() == CUDA_SUCCESS);
      const Comparison c = CompareWithReference(b);
      CHECK(c.nan_count == 0);
      CHECK(c.relative_l2 <= 1e-3);
      kconv_context_destroy(ctx);
    }
  }

  TEST_CASE("gpu.multi_gpu.memory_and_streams_of_another_device_are_refused") {
    SKIP_WITHOUT_TWO_DEVICES();
    if (!TestDevices().distinct) {
      MESSAGE("multi_gpu: another device's memory needs two devices; skipped on two contexts of one");
      return;
    }
    const kconv::DriverApi* api = GpuDriver();
    kconv_context* ctx0 = ContextOn(0);
    const Shape s = AlexNetConv1(2);
    const kconv_conv_desc d = s.Desc();
    std::unique_ptr<ConvBuffers> b;
    {
      Current on0(Primary(0));
      b = std::make_unique<ConvBuffers>(s);
      REQUIRE(api->cuCtxSynchronize() == CUDA_SUCCESS);
    }
    {
      Current on1(Primary(1));
      DeviceBuffer foreign(s.YElements() * 4);
      CUstream foreign_stream = nullptr;
      REQUIRE(api->cuStreamCreate(&foreign_stream, CU_STREAM_NON_BLOCKING) == CUDA_SUCCESS);
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
    Current on0(Primary(0));
    REQUIRE(api->cuCtxSynchronize() == CUDA_SUCCESS);  // no fault was left behind
    CHECK(AllNaN(b->y, s.YElements()));
    // The context still works.
    REQUIRE(kconv_forward(ctx0, &d, b->x.get(), b->w.get(), b->bias.get(), b->y.get(), nullptr) == KCONV_STATUS_OK);
    REQUIRE(api->cuCtxSynchronize() == CUDA_SUCCESS);
    const Comparison c = CompareWithReference(*b);
    CHECK(c.nan_count == 0);
    CHECK(c.relative_l2 <= 1e-3);
    b.reset();
    kconv_context_destroy(ctx0);
  }

  TEST_CASE("gpu.multi_gpu.one_tuning_cache_file_for_every_device") {
    SKIP_WITHOUT_TWO_DEVICES();
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
