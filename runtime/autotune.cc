// SPDX-License-Identifier: Apache-2.0
#include "runtime/autotune.h"

#include <stdio.h>

#include <algorithm>
#include <atomic>
#include <random>

#include "absl/strings/str_cat.h"
#include "runtime/config_choice.h"
#include "runtime/device_pointers.h"
#include "runtime/status_macros.h"
#include "runtime/tuning_cache_file.h"

namespace kconv {
namespace {

constexpr uint32_t kNanBits = 0x7fc00000u;  // the poison written over the output before every run

// Device buffers the autotuner allocated itself, freed on every path out.
class ScratchBuffers {
 public:
  explicit ScratchBuffers(const DriverApi* api) : api_(api) {}
  ~ScratchBuffers() {
    for (CUdeviceptr p : owned_) api_->cuMemFree(p);
  }
  ScratchBuffers(const ScratchBuffers&) = delete;
  ScratchBuffers& operator=(const ScratchBuffers&) = delete;

  absl::StatusOr<uint64_t> Allocate(int64_t floats, const char* what) {
    CUdeviceptr p = 0;
    KCONV_RETURN_IF_ERROR(CuResultToStatus(api_, api_->cuMemAlloc(&p, static_cast<size_t>(floats) * sizeof(float)),
                                           absl::StrCat("cuMemAlloc of scratch ", what, " (", floats * 4, " bytes)")));
    owned_.push_back(p);
    return static_cast<uint64_t>(p);
  }

  // Scratch filled with uniform values in [-1, 1) (never zeros: the tensor cores' power, and with it
  // the clocks, depend on the data).
  absl::StatusOr<uint64_t> AllocateRandom(int64_t floats, const char* what, uint32_t seed) {
    KCONV_ASSIGN_OR_RETURN(const uint64_t p, Allocate(floats, what));
    std::vector<float> host(static_cast<size_t>(floats));
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uniform(-1.f, 1.f);
    for (float& v : host) v = uniform(rng);
    KCONV_RETURN_IF_ERROR(CuResultToStatus(api_, api_->cuMemcpyHtoD(p, host.data(), host.size() * sizeof(float)),
                                           absl::StrCat("cuMemcpyHtoD of scratch ", what)));
    return p;
  }

 private:
  const DriverApi* api_;
  std::vector<CUdeviceptr> owned_;
};

// A pair of events per candidate, destroyed on every path out.
class EventPairs {
 public:
  explicit EventPairs(const DriverApi* api) : api_(api) {}
  ~EventPairs() {
    for (CUevent e : events_) api_->cuEventDestroy(e);
  }
  EventPairs(const EventPairs&) = delete;
  EventPairs& operator=(const EventPairs&) = delete;

  absl::Status Create(int pairs) {
    for (int i = 0; i < 2 * pairs; ++i) {
      CUevent e = nullptr;
      KCONV_RETURN_IF_ERROR(CuResultToStatus(api_, api_->cuEventCreate(&e, CU_EVENT_DEFAULT), "cuEventCreate"));
      events_.push_back(e);
    }
    return absl::OkStatus();
  }
  CUevent start(int i) const { return events_[2 * i]; }
  CUevent end(int i) const { return events_[2 * i + 1]; }

 private:
  const DriverApi* api_;
  std::vector<CUevent> events_;
};

// Holds a stream at a gate while the host queues work behind it, so that timed runs start with the queue
// full: otherwise a run that follows a drained queue (the first after a synchronisation, or any run of a
// kernel shorter than the host's launch cost) times the host's launch latency too. The gate is a word of
// mapped host memory that the stream waits on (cuStreamWaitValue32) and the host writes: no second
// stream, which could share a hardware queue with the waiting one and never run. Without those driver
// functions, Close and Open do nothing.
class StreamGate {
 public:
  StreamGate(const DriverApi* api, CUstream stream) : api_(api), stream_(stream) {}
  // An early return may leave the gate closed: open it, so that the caller's stream never hangs, and
  // let the queued work finish before the scratch buffers it uses are freed.
  ~StreamGate() {
    if (host_word_ == nullptr) return;
    if (closed_) {
      Write(generation_);
      api_->cuStreamSynchronize(stream_);
    }
    api_->cuMemFreeHost(host_word_);
  }
  StreamGate(const StreamGate&) = delete;
  StreamGate& operator=(const StreamGate&) = delete;

  void Init() {
    if (api_->cuStreamWaitValue32 == nullptr || api_->cuMemHostAlloc == nullptr ||
        api_->cuMemHostGetDevicePointer == nullptr || api_->cuMemFreeHost == nullptr) {
      return;
    }
    void* host = nullptr;
    if (api_->cuMemHostAlloc(&host, sizeof(uint32_t), CU_MEMHOSTALLOC_DEVICEMAP | CU_MEMHOSTALLOC_PORTABLE) != CUDA_SUCCESS) {
      return;
    }
    if (api_->cuMemHostGetDevicePointer(&device_word_, host, 0) != CUDA_SUCCESS) {
      api_->cuMemFreeHost(host);
      return;
    }
    host_word_ = static_cast<uint32_t*>(host);
    Write(0);
  }
  // Work queued on the stream from now on waits for Open.
  absl::Status Close() {
    if (host_word_ == nullptr) return absl::OkStatus();
    ++generation_;
    KCONV_CU_RETURN_IF_ERROR(api_, cuStreamWaitValue32(stream_, device_word_, generation_, CU_STREAM_WAIT_VALUE_GEQ));
    closed_ = true;
    return absl::OkStatus();
  }
  void Open() {
    if (host_word_ == nullptr) return;
    Write(generation_);
    closed_ = false;
  }

 private:
  void Write(uint32_t value) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    *static_cast<volatile uint32_t*>(host_word_) = value;
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }

  const DriverApi* api_;
  CUstream stream_;
  uint32_t* host_word_ = nullptr;
  CUdeviceptr device_word_ = 0;
  uint32_t generation_ = 0;
  bool closed_ = false;
};

double Percentile(const std::vector<double>& sorted, double q) {
  const double at = q * static_cast<double>(sorted.size() - 1);
  const size_t below = static_cast<size_t>(at);
  const size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (at - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

// What the driver says of a candidate's kernel.
absl::Status Describe(const DeviceContext& device, const Plan& plan, CandidateReport* c) {
  const DriverApi* api = device.api();
  CUfunction f = plan.function();
  c->info = plan.Info();
  KCONV_CU_RETURN_IF_ERROR(api, cuFuncGetAttribute(&c->registers, CU_FUNC_ATTRIBUTE_NUM_REGS, f));
  KCONV_CU_RETURN_IF_ERROR(api, cuFuncGetAttribute(&c->static_shared_bytes, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, f));
  KCONV_CU_RETURN_IF_ERROR(api, cuFuncGetAttribute(&c->local_bytes, CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES, f));
  KCONV_CU_RETURN_IF_ERROR(api, cuOccupancyMaxActiveBlocksPerMultiprocessor(
                                    &c->blocks_per_sm, f, c->info.threads_per_block, c->info.shared_bytes));
  const int max_warps = device.limits().max_threads_per_sm / 32;
  c->occupancy = static_cast<double>(c->blocks_per_sm * c->info.threads_per_block / 32) / max_warps;
  return absl::OkStatus();
}

}  // namespace

CandidateTiming Summarise(int config, std::vector<double> samples) {
  CandidateTiming t{config, 0, 0, 0};
  if (samples.empty()) return t;
  std::sort(samples.begin(), samples.end());
  t.median_us = Percentile(samples, 0.5);
  t.p10_us = Percentile(samples, 0.1);
  t.p90_us = Percentile(samples, 0.9);
  return t;
}

absl::Status ValidateAutotuneOptions(const AutotuneOptions& options, const TensorPointers& tensors) {
  if (!(options.min_gain >= 0 && options.min_gain < 1)) {
    return absl::InvalidArgumentError(absl::StrCat("options->min_gain = ", options.min_gain, " is not in [0, 1)"));
  }
  if (options.warmup_runs < 0 || options.warmup_runs > 10000) {
    return absl::InvalidArgumentError(absl::StrCat("options->warmup_runs = ", options.warmup_runs, " is not in [0, 10000]"));
  }
  if (options.timed_runs < 5 || options.timed_runs > 100000) {
    return absl::InvalidArgumentError(absl::StrCat("options->timed_runs = ", options.timed_runs,
                                                   " is not in [5, 100000] (percentiles need samples)"));
  }
  if (options.write_output && tensors.y == 0) {
    return absl::InvalidArgumentError("options->write_output = 1, but y is a null pointer");
  }
  return absl::OkStatus();
}

absl::StatusOr<AutotuneReport> Autotune(const std::shared_ptr<DeviceContext>& device, TunedConfigs& tuned,
                                        const ConvShape& shape, const TensorPointers& given, CUstream stream,
                                        const AutotuneOptions& options) {
  KCONV_RETURN_IF_ERROR(ValidateAutotuneOptions(options, given));
  const DriverApi* api = device->api();
  ScopedCuContext scoped(api, device->cu_context());
  KCONV_RETURN_IF_ERROR(scoped.status());

  // The caller's tensors must be this device's before any scratch is made (the scratch is).
  KCONV_RETURN_IF_ERROR(CheckTensorsReachable(*device, given));

  // The buffers: the caller's where given, else scratch; y only when the caller asked for it.
  ScratchBuffers scratch(api);
  TensorPointers t = given;
  if (t.x == 0) {
    KCONV_ASSIGN_OR_RETURN(t.x, scratch.AllocateRandom(shape.x_elements(), "x", 1));
  }
  if (t.w == 0) {
    KCONV_ASSIGN_OR_RETURN(t.w, scratch.AllocateRandom(shape.w_elements(), "w", 2));
  }
  if (shape.has_bias && t.bias == 0) {
    KCONV_ASSIGN_OR_RETURN(t.bias, scratch.AllocateRandom(shape.k, "bias", 3));
  }
  if (!options.write_output) {
    KCONV_ASSIGN_OR_RETURN(t.y, scratch.Allocate(shape.y_elements(), "y"));
  }
  KCONV_RETURN_IF_ERROR(CheckTensorPointers(shape, t));

  AutotuneReport report;
  KCONV_ASSIGN_OR_RETURN(const TunedConfigs::Choice choice, tuned.ChooseFor(shape));
  report.original = choice.config;
  report.original_source = choice.source;

  // The original's plan first: micro-tuning asks its occupancy which neighbours to try.
  const auto configs = Configs();
  std::vector<std::unique_ptr<Plan>> plans;
  auto prepare = [&](int index) -> absl::Status {
    KCONV_ASSIGN_OR_RETURN(std::unique_ptr<Plan> plan, Plan::Create(device, shape, index));
    KCONV_RETURN_IF_ERROR(plan->SetWeights(t.w, stream));
    CandidateReport c;
    c.config = index;
    KCONV_RETURN_IF_ERROR(Describe(*device, *plan, &c));
    plans.push_back(std::move(plan));
    report.candidates.push_back(c);
    return absl::OkStatus();
  };
  KCONV_RETURN_IF_ERROR(prepare(report.original));
  std::vector<int> others;
  if (options.full_search) {
    // Not the candidates: nothing has checked their outputs on a GPU yet, and the search compares times only.
    for (int i = 0; i < static_cast<int>(configs.size()); ++i) {
      if (i != report.original && !configs[i].candidate && Runnable(i, shape, device->limits(), device->force_ptx())) {
        others.push_back(i);
      }
    }
  } else {
    const bool occupancy_limited = 2 * report.candidates[0].occupancy <= 1.0;
    others = MicroTuneNeighbours(configs, report.original, occupancy_limited);
    others.erase(others.begin());  // the original, prepared already
  }
  const int total_steps = 1 + static_cast<int>(others.size()) + options.timed_runs;
  int step = 0;
  auto progress = [&](const std::string& what) {
    ++step;
    if (options.progress) options.progress(step, total_steps, what);
  };
  progress(absl::StrCat("prepared ", configs[report.original].full_name, " (the original)"));
  for (int index : others) {
    if (absl::Status s = prepare(index); !s.ok()) {
      report.skipped.push_back(absl::StrCat(configs[index].full_name, ": ", s.message()));
    }
    progress(absl::StrCat("prepared ", configs[index].full_name));
  }

  // Warm-up, then rounds of one timed run per candidate, so that clock and temperature drift spread over
  // all of them alike. The output is poisoned before each run, outside the timed interval.
  const int n = static_cast<int>(plans.size());
  auto poison = [&]() {
    return CuResultToStatus(api, api->cuMemsetD32Async(t.y, kNanBits, static_cast<size_t>(shape.y_elements()), stream),
                            "cuMemsetD32Async (poisoning the output)");
  };
  for (int r = 0; r < options.warmup_runs; ++r) {
    for (int i = 0; i < n; ++i) {
      KCONV_RETURN_IF_ERROR(poison());
      KCONV_RETURN_IF_ERROR(plans[i]->Execute({t.x, 0, t.bias, t.y}, stream));
    }
  }
  EventPairs events(api);
  KCONV_RETURN_IF_ERROR(events.Create(n));
  StreamGate gate(api, stream);
  gate.Init();
  constexpr int kRunsPerGate = 16;  // 4 commands each: well inside the driver's launch queue
  std::vector<std::vector<double>> samples(n);
  for (int r = 0; r < options.timed_runs; ++r) {
    // Round r starts at candidate r mod n, so that no candidate always runs first behind the gate or
    // always after the same neighbour.
    for (int first = 0; first < n; first += kRunsPerGate) {
      KCONV_RETURN_IF_ERROR(gate.Close());
      for (int k = first; k < std::min(n, first + kRunsPerGate); ++k) {
        const int i = (k + r) % n;
        KCONV_RETURN_IF_ERROR(poison());
        KCONV_CU_RETURN_IF_ERROR(api, cuEventRecord(events.start(i), stream));
        KCONV_RETURN_IF_ERROR(plans[i]->Execute({t.x, 0, t.bias, t.y}, stream));
        KCONV_CU_RETURN_IF_ERROR(api, cuEventRecord(events.end(i), stream));
      }
      gate.Open();
    }
    KCONV_CU_RETURN_IF_ERROR(api, cuStreamSynchronize(stream));
    for (int i = 0; i < n; ++i) {
      float ms = 0;
      KCONV_CU_RETURN_IF_ERROR(api, cuEventElapsedTime(&ms, events.start(i), events.end(i)));
      samples[i].push_back(1000.0 * ms);
    }
    progress("timing");
  }

  std::vector<CandidateTiming> timings;
  std::vector<std::string> names;
  for (const KernelConfig& c : configs) names.push_back(c.full_name);
  for (int i = 0; i < n; ++i) {
    report.candidates[i].timing = Summarise(report.candidates[i].config, samples[i]);
    timings.push_back(report.candidates[i].timing);
  }
  report.decision = DecideTuning(timings[0], timings, options.min_gain, names);

  if (options.store) {
    tuned.Remember(shape, report.decision.winner);
    if (!tuned.cache_path().empty()) {
      const CandidateTiming& w = *std::find_if(timings.begin(), timings.end(), [&](const CandidateTiming& c) {
        return c.config == report.decision.winner;
      });
      // The measurement stands whether or not the file takes it: a failed store is reported, not an error.
      std::string replaced;
      const absl::Status stored = StoreTuningResult(tuned.cache_path(), tuned.KeyOf(shape),
                                                    {configs[w.config].full_name, w.median_us, w.p10_us, w.p90_us},
                                                    &replaced);
      if (!replaced.empty()) fprintf(stderr, "kconv: %s (replaced)\n", replaced.c_str());
      if (stored.ok()) {
        report.stored_in_file = true;
      } else {
        report.store_problem = std::string(stored.message());
        fprintf(stderr, "kconv: the autotuning result was not stored: %s\n", report.store_problem.c_str());
      }
    }
  }
  return report;
}

}  // namespace kconv
