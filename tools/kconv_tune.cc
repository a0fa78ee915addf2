// SPDX-License-Identifier: Apache-2.0
// kconv-tune: autotunes one convolution shape (kconv_autotune) and prints, per candidate, its timing and
// what the driver can tell of its kernel: median and spread, TFLOP/s, achieved GB/s and the share of
// the DRAM peak (from the memory clock and bus width), grid, registers, shared and local memory, and
// theoretical occupancy. Marks the original and the winner, says why, and writes the tuning cache.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "kconv/kconv.h"
#include "runtime/driver_api.h"
#include "tools/shape_flags.h"
#include "tools/tool_flags.h"

// --mode's values, parsed by Abseil, so that a misspelt one is named like any other bad value. Outside an
// anonymous namespace: FLAGS_mode, a global, has this type.
struct AutotuneMode {
  kconv_autotune_mode value;
};

bool AbslParseFlag(absl::string_view text, AutotuneMode* mode, std::string* error) {
  if (text == "micro") return mode->value = KCONV_AUTOTUNE_MICRO, true;
  if (text == "full") return mode->value = KCONV_AUTOTUNE_FULL, true;
  *error = "expected micro or full";
  return false;
}

std::string AbslUnparseFlag(AutotuneMode mode) { return mode.value == KCONV_AUTOTUNE_FULL ? "full" : "micro"; }

// The library's defaults, shown by --help as the flags' own.
static kconv_autotune_options LibraryDefaults() {
  kconv_autotune_options o;
  kconv_autotune_options_init(&o);
  return o;
}

ABSL_FLAG(AutotuneMode, mode, AutotuneMode{KCONV_AUTOTUNE_MICRO},
          "micro: from kconv's current choice, its neighbours in block size and grid (6 candidates at most); "
          "full: every config that accepts the shape on this device");
ABSL_FLAG(double, min_gain, LibraryDefaults().min_gain,
          "a candidate wins only if its median is more than this fraction faster than the original's, and its "
          "10th-90th percentile spread lies wholly below the original's (in [0, 1))");
ABSL_FLAG(int32_t, runs, LibraryDefaults().timed_runs,
          "timed runs of every candidate, interleaved round by round (5 to 100000)");
ABSL_FLAG(int32_t, warmup, LibraryDefaults().warmup_runs, "untimed runs of every candidate first (0 to 10000)");
ABSL_FLAG(std::string, cache, "",
          "the tuning cache file to read and write (default: $KCONV_TUNING_CACHE; neither: this process only)");
ABSL_FLAG(bool, store, true,
          "keep the winner: later plans use it, and it is written to the tuning cache (--nostore: only report)");

namespace {

constexpr const char* kUsage =
    "Autotunes one convolution shape (default: AlexNet conv1 at N = 256) on scratch buffers with random "
    "inputs and prints every candidate's timing and the driver's figures for its kernel, the winner and why. "
    "Needs an NVIDIA GPU.";

struct Options {
  kconv_conv_desc desc;
  kconv_autotune_options tune;
  std::string cache;  // empty: KCONV_TUNING_CACHE
};

// The options the parsed flags give; false, after naming the flag, for a value out of range. The ranges
// are kconv_autotune's own (runtime/autotune.cc), checked here too so that a bad value is named by its
// flag, before any GPU work, and on a machine without one.
bool OptionsFromFlags(Options* o) {
  o->desc = kconv_tools::ShapeFromFlags().desc;
  kconv_autotune_options_init(&o->tune);
  o->tune.mode = absl::GetFlag(FLAGS_mode).value;
  o->tune.min_gain = absl::GetFlag(FLAGS_min_gain);
  o->tune.timed_runs = absl::GetFlag(FLAGS_runs);
  o->tune.warmup_runs = absl::GetFlag(FLAGS_warmup);
  o->tune.store = absl::GetFlag(FLAGS_store) ? 1 : 0;
  o->cache = absl::GetFlag(FLAGS_cache);
  if (!(o->tune.min_gain >= 0 && o->tune.min_gain < 1)) {  // NaN too
    kconv_tools::ReportIllegalValue("min_gain", absl::StrCat(o->tune.min_gain), "must be in [0, 1)");
    return false;
  }
  return kconv_tools::CheckInRange("runs", o->tune.timed_runs, 5, 100000) &&
         kconv_tools::CheckInRange("warmup", o->tune.warmup_runs, 0, 10000);
}

// A progress bar on stderr: redrawn in place on a terminal, else one line per preparation and per tenth
// of the timing rounds, so that logs stay short.
void Progress(void*, int32_t done, int32_t total, const char* step) {
  constexpr int kWidth = 30;
  const int filled = total > 0 ? done * kWidth / total : kWidth;
  const std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '.');
  if (isatty(STDERR_FILENO)) {
    fprintf(stderr, "\r[%s] %3d/%-3d %-60.60s", bar.c_str(), done, total, step);
    if (done == total) fprintf(stderr, "\n");
  } else if (std::string(step) != "timing" || done == total || done % std::max(1, total / 10) == 0) {
    fprintf(stderr, "[%s] %3d/%-3d %s\n", bar.c_str(), done, total, step);
  }
}

// Peak DRAM bandwidth from the memory clock (kHz, double data rate) and the bus width (bits); 0 if the
// driver does not say.
double DramPeakBytesPerSecond(const kconv::DriverApi* api, CUdevice device, int* clock_khz, int* bus_bits) {
  *clock_khz = *bus_bits = 0;
  if (api->cuDeviceGetAttribute(clock_khz, CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE, device) != CUDA_SUCCESS ||
      api->cuDeviceGetAttribute(bus_bits, CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH, device) != CUDA_SUCCESS) {
    return 0;
  }
  return 2.0 * *clock_khz * 1e3 * *bus_bits / 8.0;
}

int Fail(const char* what) {
  fprintf(stderr, "%s: %s\n", what, kconv_last_error_message());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (const std::optional<int> exit_status = kconv_tools::ParseToolFlags(argc, argv, kUsage)) return *exit_status;
  Options o;
  if (!OptionsFromFlags(&o)) return 2;
  int64_t out_dims[4];
  if (kconv_conv_output_shape(&o.desc, out_dims) != KCONV_STATUS_OK) return Fail("shape");
  auto api = kconv::Driver();
  if (!api.ok()) {
    fprintf(stderr, "kconv-tune needs an NVIDIA GPU and its driver: %s\n", std::string(api.status().message()).c_str());
    return 1;
  }
  kconv_context_options co;
  kconv_context_options_init(&co);
  co.tuning_cache_path = o.cache.empty() ? nullptr : o.cache.c_str();
  kconv_context* ctx = nullptr;
  if (kconv_context_create(&co, &ctx) != KCONV_STATUS_OK) return Fail("kconv_context_create");

  CUdevice device = 0;
  char name[256] = {};
  int sms = 0;
  (*api)->cuDeviceGet(&device, 0);
  (*api)->cuDeviceGetName(name, sizeof(name) - 1, device);
  (*api)->cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device);
  int clock_khz = 0, bus_bits = 0;
  const double dram_peak = DramPeakBytesPerSecond(*api, device, &clock_khz, &bus_bits);
  printf("device: %s, %d SMs, driver %d.%d, DRAM peak %.0f GB/s (%d MHz x 2 x %d-bit bus), kconv %s\n", name, sms,
         (*api)->driver_version / 1000, (*api)->driver_version % 1000 / 10, dram_peak / 1e9, clock_khz / 1000, bus_bits,
         kconv_version_string());
  const kconv_tools::ShapeDims dims = kconv_tools::DimsOf(o.desc);
  kconv_tools::PrintShape(o.desc, dims);
  const char* cache = !o.cache.empty() ? o.cache.c_str() : getenv("KCONV_TUNING_CACHE");
  printf("mode: %s, gain threshold %.1f%%, %d timed runs per candidate after %d warm-up runs\n",
         o.tune.mode == KCONV_AUTOTUNE_FULL ? "full search" : "micro-tuning", 100 * o.tune.min_gain, o.tune.timed_runs,
         o.tune.warmup_runs);

  o.tune.progress = Progress;
  kconv_autotune_report* report = nullptr;
  if (kconv_autotune(ctx, &o.desc, &o.tune, 0, 0, 0, 0, nullptr, &report) != KCONV_STATUS_OK) {
    return Fail("kconv_autotune");
  }
  const double flops = kconv_tools::UsefulFlops(o.desc, dims), bytes = kconv_tools::CompulsoryBytes(o.desc, dims);
  printf("\n%-36s %9s %17s %8s %8s %6s %11s %7s %4s %6s %7s %5s %9s %5s\n", "config", "median_us", "p10-p90 us",
         "TFLOP/s", "GB/s", "%DRAM", "grid", "threads", "regs", "smem_s", "smem_d", "local", "blocks/SM", "occ%");
  const int count = kconv_autotune_report_candidate_count(report);
  for (int i = 0; i < count; ++i) {
    kconv_autotune_candidate c;
    c.struct_size = sizeof(c);
    if (kconv_autotune_report_candidate(report, i, &c) != KCONV_STATUS_OK) return Fail("kconv_autotune_report_candidate");
    const double seconds = c.median_us * 1e-6;
    char grid[32];
    snprintf(grid, sizeof(grid), "%lldx%lld", (long long)c.grid_x, (long long)c.grid_y);
    char spread[32];
    snprintf(spread, sizeof(spread), "%.1f-%.1f", c.p10_us, c.p90_us);
    printf("%-36s %9.1f %17s %8.2f %8.1f %6.1f %11s %7d %4d %6d %7d %5d %9d %5.1f%s%s\n", c.config, c.median_us, spread,
           flops / seconds / 1e12, bytes / seconds / 1e9, dram_peak > 0 ? 100 * bytes / seconds / dram_peak : 0.0, grid,
           c.threads_per_block, c.registers_per_thread, c.static_shared_bytes, c.dynamic_shared_bytes,
           c.local_bytes_per_thread, c.blocks_per_sm, 100 * c.occupancy, c.is_original ? "  <- original" : "",
           c.is_winner ? "  <- winner" : "");
  }
  printf("\noriginal: from the %s\n", kconv_autotune_report_original_source(report));
  printf("winner: %s\nwhy: %s\n", kconv_autotune_report_winner(report), kconv_autotune_report_reason(report));
  if (kconv_autotune_report_skipped(report)[0] != '\0') printf("skipped:\n%s", kconv_autotune_report_skipped(report));
  if (kconv_autotune_report_stored_in_file(report)) {
    printf("tuning cache: written to %s\n", cache);
  } else if (kconv_autotune_report_store_problem(report)[0] != '\0') {
    printf("tuning cache: not written: %s\n", kconv_autotune_report_store_problem(report));
  } else {
    printf("tuning cache: not written (%s)\n", o.tune.store ? "no --cache and no KCONV_TUNING_CACHE" : "--nostore");
  }
  printf("(TFLOP/s: useful work, 2*N*K*P*Q*C*R*S; GB/s: x, w, y and bias once each; smem_s/smem_d: static and\n"
         " dynamic shared memory per block in bytes; local: bytes per thread; occ%%: theoretical occupancy)\n");
  kconv_autotune_report_destroy(report);
  kconv_context_destroy(ctx);
  return 0;
}
