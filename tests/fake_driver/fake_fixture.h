// SPDX-License-Identifier: Apache-2.0
// What every fake-driver test shares: the fixture that resets the fake and checks afterwards that kconv
// leaked and misused nothing, owning wrappers for kconv's handles, and a runner for code that may crash.
#pragma once

#include <cuda.h>  // the results and attributes the tests hand the fake
#include <stdint.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fake_cuda_control.h"
#include "kconv/kconv.h"
#include "prelude.h"

namespace fake_test {

// Declare first in every test. The constructor makes sure kconv has loaded its process-wide driver (it
// caches the first outcome: loading it under a test's faults would spoil every later test), then resets
// the fake. The destructor checks that nothing is left: no device or mapped host memory, module, stream,
// event or primary-context reference, and an empty context stack; and that the fake refused no call as
// misuse (a freed pointer, a destroyed handle, a launch beyond the kernel's limits), beyond those the
// test announced with AllowMisuses.
class FakeDriver {
 public:
  FakeDriver();
  ~FakeDriver();
  FakeDriver(const FakeDriver&) = delete;
  FakeDriver& operator=(const FakeDriver&) = delete;

  void AllowMisuses(int64_t count) { allowed_misuses_ = count; }
  static fake_cuda_counters Counters();

 private:
  int64_t allowed_misuses_ = 0;
};

struct ContextDeleter {
  void operator()(kconv_context* c) const { kconv_context_destroy(c); }
};
struct PlanDeleter {
  void operator()(kconv_plan* p) const { kconv_plan_destroy(p); }
};
struct ReportDeleter {
  void operator()(kconv_autotune_report* r) const { kconv_autotune_report_destroy(r); }
};
using ContextPtr = std::unique_ptr<kconv_context, ContextDeleter>;
using PlanPtr = std::unique_ptr<kconv_plan, PlanDeleter>;
using ReportPtr = std::unique_ptr<kconv_autotune_report, ReportDeleter>;

// Context options with no tuning cache (not even KCONV_TUNING_CACHE's), so tests never share a file.
kconv_context_options Options();
// A context that must be created (REQUIRE).
ContextPtr MakeContext(const kconv_context_options& options = Options());
// A plan that must be created (REQUIRE); `config` forces a config by name.
PlanPtr MakePlan(kconv_context* context, const kconv_conv_desc& desc, const char* config = nullptr);
kconv_plan_info InfoOf(const kconv_plan* plan);
std::string FullName(const kconv_plan_info& info);  // "family/config"

std::string LastError();
bool LastErrorHas(const std::string& text);

// Launches recorded since the launch counter stood at `launches_before`, oldest first.
std::vector<fake_cuda_launch> LaunchesSince(int64_t launches_before);

// Whether `bytes` hold the 8 bytes of `value` somewhere: a tensor pointer inside a parameter struct.
bool HoldsPointer(const fake_cuda_launch& launch, uint64_t value);

// Host buffers for one convolution's tensors: the fake never reads or writes kernel arguments, so any
// aligned, distinct addresses do; y starts as a known pattern, so a test can tell it was left alone.
struct Tensors {
  explicit Tensors(const kconv_test::Shape& shape);
  std::vector<float> x, w, bias, y;
  uint64_t X() const { return reinterpret_cast<uint64_t>(x.data()); }
  uint64_t W() const { return reinterpret_cast<uint64_t>(w.data()); }
  uint64_t Bias() const { return reinterpret_cast<uint64_t>(bias.data()); }
  uint64_t Y() const { return reinterpret_cast<uint64_t>(y.data()); }
  bool YUntouched() const;
};

// A fresh directory under the system's temporary folder, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string File(const char* name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The whole text of a file ("" when it cannot be read).
std::string ReadText(const std::string& path);

// What became of code run in a forked child: exited normally with `report` ("" when it found nothing
// wrong), or killed by a signal (a crash: SIGFPE, SIGSEGV, a sanitizer's abort).
struct ChildOutcome {
  bool exited = false;
  int exit_code = 0;
  int signal = 0;
  std::string report;
  std::string Describe() const;
};
// Runs `body` in a child process, where a crash cannot take the test binary with it. `body` returns ""
// or what it found wrong; it must not use doctest's assertions (the child's are not reported).
ChildOutcome RunInChild(const std::function<std::string()>& body);

}  // namespace fake_test
