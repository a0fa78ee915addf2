// SPDX-License-Identifier: Apache-2.0
// kconv-bench: times one convolution shape with every kernel config that accepts it.
//
// Default: AlexNet conv1 at N = 256. Per config: the median of --runs timed runs (driver-API events
// around each launch, after warm-up; --flush writes 256 MB before each, for a cold L2), its spread,
// TFLOP/s (useful work), GB/s (x + w + y once each), and a sampled check against a float64 reference.
// Inputs alternate between two random sets and the output is poisoned with NaN before every run. --dtype,
// --layout and --math choose the mode; the reference takes the values as the typed tensors hold them.
// Without a GPU it runs the host path on a small batch (fp32 NCHW only).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "kconv/kconv.h"
#include "runtime/driver_api.h"
#include "tools/shape_flags.h"
#include "tools/tensor_modes.h"
#include "tools/tool_flags.h"

ABSL_FLAG(int32_t, runs, 100, "timed runs per config, after the warm-up (at least 1)");
ABSL_FLAG(int32_t, warmup, 10, "untimed runs per config first (at least 0)");
ABSL_FLAG(std::string, config, "", "time only the configs whose name contains this text (default: every one)");
ABSL_FLAG(bool, flush, false,
          "write 256 MB before every run, so that each starts with a cold L2 (as bench/compare_torch.py)");
ABSL_FLAG(bool, host, false, "run the host (CPU) path, even where there is a GPU");

namespace {

constexpr const char* kUsage =
    "Times one convolution shape with every kernel config that accepts it: median and spread of the timed "
    "runs, TFLOP/s, GB/s, and a sampled check against float64. Default shape: AlexNet conv1 at N = 256. "
    "Without a GPU (or with --host) it runs the host path instead, on a batch of 2 unless --n is given.";

struct Options {
  kconv_conv_desc desc;
  bool n_given = false;
  int runs = 0;
  int warmup = 0;
  std::string only_config;  // empty: every config
  bool host = false;
  bool flush = false;  // write 256 MB before every run, so that each starts with a cold L2 (as compare_torch)
};

// The options the parsed flags give; false, after naming the flag, for a value out of range.
bool OptionsFromFlags(Options* o) {
  const kconv_tools::ShapeChoice shape = kconv_tools::ShapeFromFlags();
  o->desc = shape.desc;
  o->n_given = shape.n_given;
  o->runs = absl::GetFlag(FLAGS_runs);
  o->warmup = absl::GetFlag(FLAGS_warmup);
  o->only_config = absl::GetFlag(FLAGS_config);
  o->host = absl::GetFlag(FLAGS_host);
  o->flush = absl::GetFlag(FLAGS_flush);
  return kconv_tools::CheckAtLeast("runs", o->runs, 1) && kconv_tools::CheckAtLeast("warmup", o->warmup, 0);
}

using kconv_tools::DimsOf;
using Dims = kconv_tools::ShapeDims;

double ReferenceAt(const kconv_conv_desc& d, const Dims& dims, const std::vector<float>& x, const std::vector<float>& w,
                   const std::vector<float>& b, int64_t index) {
  const int64_t q = index % dims.q, p = (index / dims.q) % dims.p, k = (index / (dims.q * dims.p)) % d.k,
                n = index / (dims.q * dims.p * d.k);
  double acc = d.has_bias ? b[k] : 0.0;
  for (int64_t c = 0; c < d.c; ++c)
    for (int64_t r = 0; r < d.r; ++r)
      for (int64_t s = 0; s < d.s; ++s) {
        const int64_t ih = p * d.stride_h - d.pad_h + r * d.dil_h, iw = q * d.stride_w - d.pad_w + s * d.dil_w;
        if (ih < 0 || ih >= d.h || iw < 0 || iw >= d.w) continue;
        acc += static_cast<double>(x[((n * d.c + c) * d.h + ih) * d.w + iw]) * w[((k * d.c + c) * d.r + r) * d.s + s];
      }
  return d.relu && acc < 0 ? 0 : acc;
}

int RunHost(Options o, const std::string& why) {
  if (!o.n_given) o.desc.n = 2;
  const Dims dims = DimsOf(o.desc);
  printf("NOTE: %s\nRunning the host (CPU) path instead, on a small batch; GPU timings need an NVIDIA GPU.\n", why.c_str());
  kconv_tools::PrintShape(o.desc, dims);
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> x(dims.x), w(dims.w), b(o.desc.k), y(dims.y, NAN);
  for (float& v : x) v = u(rng);
  for (float& v : w) v = u(rng);
  for (float& v : b) v = u(rng);
  // One warm-up call (it starts the worker threads), then the median of five.
  std::vector<double> seconds;
  for (int run = 0; run < 6; ++run) {
    const auto t0 = std::chrono::steady_clock::now();
    const kconv_status st = kconv_forward_host(&o.desc, x.data(), w.data(), o.desc.has_bias ? b.data() : nullptr, y.data());
    if (st != KCONV_STATUS_OK) {
      fprintf(stderr, "kconv_forward_host: %s: %s\n", kconv_status_string(st), kconv_last_error_message());
      return 1;
    }
    if (run > 0) seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(seconds.begin(), seconds.end());
  const double median = seconds[seconds.size() / 2];
  // fp32 accumulation: allclose with atol 1e-4 and rtol 1e-5 against a float64 sum (outputs are ~6 here).
  int outside = 0;
  for (int i = 0; i < 64; ++i) {
    const int64_t idx = static_cast<int64_t>(rng() % static_cast<uint64_t>(dims.y));
    const double ref = ReferenceAt(o.desc, dims, x, w, b, idx);
    if (!(std::fabs(y[idx] - ref) <= 1e-4 + 1e-5 * std::fabs(ref))) ++outside;
  }
  printf("host path (%d threads; KCONV_HOST_THREADS sets them): %.2f ms median of 5, %.1f GFLOP/s, "
         "64 sampled outputs: %d outside 1e-4 + 1e-5|ref| (%s)\n",
         kconv_host_default_threads(), median * 1e3, kconv_tools::UsefulFlops(o.desc, dims) / median / 1e9, outside,
         outside == 0 ? "ok" : "MISMATCH");
  return outside == 0 ? 0 : 1;
}

#define BENCH_CU(call)                                                         \
  do {                                                                         \
    CUresult r_ = api->call;                                                   \
    if (r_ != CUDA_SUCCESS) {                                                  \
      fprintf(stderr, "%s\n", std::string(kconv::CuResultToStatus(api, r_, #call).message()).c_str()); \
      return 1;                                                                \
    }                                                                          \
  } while (0)

struct Row {
  std::string config;
  double median_us, p10_us, p90_us, tflops, gbps, max_err;
  bool ok, chosen;
};

int RunGpu(const Options& o, const kconv::DriverApi* api) {
  const kconv_conv_desc& d = o.desc;
  const Dims dims = DimsOf(d);
  kconv_context* ctx = nullptr;
  if (kconv_context_create(nullptr, &ctx) != KCONV_STATUS_OK) {
    fprintf(stderr, "kconv_context_create: %s\n", kconv_last_error_message());
    return 1;
  }
  // The kconv context retained the primary context; make it current for the buffers and events here.
  CUdevice device;
  CUcontext primary;
  BENCH_CU(cuDeviceGet(&device, 0));
  BENCH_CU(cuDevicePrimaryCtxRetain(&primary, device));
  BENCH_CU(cuCtxPushCurrent(primary));
  char name[256] = {};
  BENCH_CU(cuDeviceGetName(name, sizeof(name) - 1, device));
  printf("device: %s, driver %d.%d, kconv %s\n", name, api->driver_version / 1000, api->driver_version % 1000 / 10,
         kconv_version_string());
  kconv_tools::PrintShape(d, dims);

  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  // The values as tensors of the element type hold them: the reference is computed from these.
  const auto type = static_cast<kconv_element_type>(d.element_type);
  const auto layout = static_cast<kconv_layout>(d.layout);
  const int64_t element = kconv_tools::ElementBytes(type);
  std::vector<float> hx[2], hw(dims.w), hb(d.k);
  for (auto& set : hx) {
    set.resize(dims.x);
    for (float& v : set) v = kconv_tools::RoundedTo(u(rng), type);
  }
  for (float& v : hw) v = kconv_tools::RoundedTo(u(rng), type);
  for (float& v : hb) v = u(rng);  // fp32 in every mode
  CUdeviceptr x[2], w, b, y;
  for (int i = 0; i < 2; ++i) {
    const std::vector<uint8_t> bytes = kconv_tools::ToDevice(hx[i], d.n, d.c, d.h, d.w, type, layout);
    BENCH_CU(cuMemAlloc(&x[i], bytes.size()));
    BENCH_CU(cuMemcpyHtoD(x[i], bytes.data(), bytes.size()));
  }
  const std::vector<uint8_t> w_bytes = kconv_tools::ToDevice(hw, d.k, d.c, d.r, d.s, type, KCONV_LAYOUT_NCHW);
  BENCH_CU(cuMemAlloc(&w, w_bytes.size()));
  BENCH_CU(cuMemAlloc(&b, d.k * 4));
  const int64_t y_words = (dims.y * element + 3) / 4;  // whole words, for the poisoning
  BENCH_CU(cuMemAlloc(&y, y_words * 4));
  BENCH_CU(cuMemcpyHtoD(w, w_bytes.data(), w_bytes.size()));
  BENCH_CU(cuMemcpyHtoD(b, hb.data(), d.k * 4));
  std::vector<int64_t> samples(512);
  for (int64_t& s : samples) s = static_cast<int64_t>(rng() % static_cast<uint64_t>(dims.y));

  kconv_plan* chosen = nullptr;
  std::string chosen_config;
  if (kconv_plan_create(ctx, &d, nullptr, &chosen) == KCONV_STATUS_OK) {
    kconv_plan_info info;
    info.struct_size = sizeof(info);
    kconv_plan_get_info(chosen, &info);
    chosen_config = std::string(info.family) + "/" + info.config;
    kconv_plan_destroy(chosen);
  }

  const size_t flush_bytes = o.flush ? size_t{256} << 20 : 0;
  CUdeviceptr flush = 0;
  if (flush_bytes > 0) BENCH_CU(cuMemAlloc(&flush, flush_bytes));
  CUevent start, stop;
  BENCH_CU(cuEventCreate(&start, CU_EVENT_DEFAULT));
  BENCH_CU(cuEventCreate(&stop, CU_EVENT_DEFAULT));
  std::vector<Row> rows;
  for (int ci = 0; ci < kconv_config_count(); ++ci) {
    const char* config = kconv_config_name(ci);
    if (std::string(config).find(o.only_config) == std::string::npos) continue;
    kconv_plan_options po;
    kconv_plan_options_init(&po);
    po.config_name = config;
    kconv_plan* plan = nullptr;
    if (kconv_plan_create(ctx, &d, &po, &plan) != KCONV_STATUS_OK) {
      printf("  %-40s skipped: %s\n", config, kconv_last_error_message());
      continue;
    }
    // Weights bound once, as an inference engine would: the stem family packs them here, not per call.
    if (kconv_plan_set_weights(plan, w, nullptr) != KCONV_STATUS_OK) {
      fprintf(stderr, "kconv_plan_set_weights: %s\n", kconv_last_error_message());
      return 1;
    }
    std::vector<float> times;
    int last_set = 0;
    for (int run = 0; run < o.warmup + o.runs; ++run) {
      last_set = run % 2;
      BENCH_CU(cuMemsetD32Async(y, 0xffffffffu, y_words, nullptr));  // NaN in every type, outside the timed region
      // With --flush, a 256 MB write evicts x, w and y from L2, and the GPU is still busy with it when the
      // launch is queued, so the events time the device's work from a cold cache (triton's do_bench).
      if (flush_bytes > 0) BENCH_CU(cuMemsetD32Async(flush, 0, flush_bytes / 4, nullptr));
      BENCH_CU(cuEventRecord(start, nullptr));
      if (kconv_plan_execute(plan, x[last_set], 0, d.has_bias ? b : 0, y, nullptr) != KCONV_STATUS_OK) {
        fprintf(stderr, "kconv_plan_execute: %s\n", kconv_last_error_message());
        return 1;
      }
      BENCH_CU(cuEventRecord(stop, nullptr));
      BENCH_CU(cuEventSynchronize(stop));
      float ms = 0;
      BENCH_CU(cuEventElapsedTime(&ms, start, stop));
      if (run >= o.warmup) times.push_back(ms * 1000.f);
    }
    std::sort(times.begin(), times.end());
    Row row{config, times[times.size() / 2], times[times.size() / 10], times[times.size() * 9 / 10], 0, 0, 0, true,
            chosen_config == config};
    row.tflops = kconv_tools::UsefulFlops(d, dims) / (row.median_us * 1e-6) / 1e12;
    row.gbps = kconv_tools::CompulsoryBytes(d, dims) / (row.median_us * 1e-6) / 1e9;
    std::vector<uint8_t> y_bytes(static_cast<size_t>(dims.y * element));
    BENCH_CU(cuMemcpyDtoH(y_bytes.data(), y, y_bytes.size()));
    const std::vector<float> hy = kconv_tools::FromDevice(y_bytes, d.n, d.k, dims.p, dims.q, type, layout);
    for (int64_t s : samples) {
      const double ref = ReferenceAt(d, dims, hx[last_set], hw, hb, s);
      const double err = std::fabs(hy[s] - ref);
      if (!(err <= 1e-2 + 1e-2 * std::fabs(ref))) row.ok = false;
      row.max_err = std::max(row.max_err, err / (1.0 + std::fabs(ref)));
    }
    rows.push_back(row);
    kconv_plan_destroy(plan);
  }
  kconv_context_destroy(ctx);

  size_t fastest = 0;
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].median_us < rows[fastest].median_us) fastest = i;
  printf("\n%-36s %10s %10s %10s %9s %9s %10s  %s\n", "config", "median_us", "p10_us", "p90_us", "TFLOP/s", "GB/s",
         "max_err", "check");
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    printf("%-36s %10.1f %10.1f %10.1f %9.2f %9.1f %10.2e  %s%s%s\n", r.config.c_str(), r.median_us, r.p10_us, r.p90_us,
           r.tflops, r.gbps, r.max_err, r.ok ? "ok" : "MISMATCH", r.chosen ? "  <- kconv's choice" : "",
           i == fastest ? "  <- fastest" : "");
  }
  printf("(%d timed runs per config after %d warm-up, weights bound with kconv_plan_set_weights; 512 sampled outputs "
         "checked against float64)\n", o.runs, o.warmup);
  bool all_ok = !rows.empty();
  for (const Row& r : rows) all_ok = all_ok && r.ok;
  return all_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (const std::optional<int> exit_status = kconv_tools::ParseToolFlags(argc, argv, kUsage)) return *exit_status;
  Options o;
  if (!OptionsFromFlags(&o)) return 2;
  int64_t dims[4];
  if (kconv_conv_output_shape(&o.desc, dims) != KCONV_STATUS_OK) {
    fprintf(stderr, "%s\n", kconv_last_error_message());
    return 2;
  }
  if (o.host) return RunHost(o, "--host given");
  auto api = kconv::Driver();
  if (!api.ok()) return RunHost(o, std::string(api.status().message()));
  return RunGpu(o, *api);
}
