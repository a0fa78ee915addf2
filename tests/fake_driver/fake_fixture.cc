// SPDX-License-Identifier: Apache-2.0
#include "fake_fixture.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "runtime/driver_api.h"

namespace fake_test {
namespace {

constexpr uint32_t kUntouched = 0x7f7f1234u;  // y's pattern: a float no kernel or poison writes

}  // namespace

FakeDriver::FakeDriver() {
  fake_cuda_reset();
  const auto driver = kconv::Driver();
  REQUIRE_MESSAGE(driver.ok(), "kconv could not load the fake driver: " << std::string(driver.status().message()));
  fake_cuda_reset();
}

FakeDriver::~FakeDriver() {
  const fake_cuda_counters c = Counters();
  CHECK_MESSAGE(c.allocations == 0, c.allocations << " device allocations (" << c.allocated_bytes << " bytes) leaked");
  CHECK_MESSAGE(c.host_allocations == 0, c.host_allocations << " mapped host allocations leaked");
  CHECK_MESSAGE(c.modules == 0, c.modules << " modules left loaded");
  CHECK_MESSAGE(c.primary_context_refs == 0, c.primary_context_refs << " primary-context references left");
  CHECK_MESSAGE(c.streams == 0, c.streams << " streams left");
  CHECK_MESSAGE(c.events == 0, c.events << " events left");
  CHECK_MESSAGE(c.context_stack_depth == 0, c.context_stack_depth << " contexts left pushed on this thread");
  CHECK_MESSAGE(c.misuses == allowed_misuses_,
                c.misuses << " calls refused as misuse (" << allowed_misuses_ << " expected); the last: "
                          << std::string(fake_cuda_last_misuse()));
  fake_cuda_reset();
}

fake_cuda_counters FakeDriver::Counters() {
  fake_cuda_counters c;
  fake_cuda_get_counters(&c);
  return c;
}

kconv_context_options Options() {
  kconv_context_options o;
  kconv_context_options_init(&o);
  o.tuning_cache_path = "";
  return o;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "kconv-fake-driver-XXXXXX").string();
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ContextPtr MakeContext(const kconv_context_options& options) {
  kconv_context* context = nullptr;
  const kconv_status status = kconv_context_create(&options, &context);
  REQUIRE_MESSAGE(status == KCONV_STATUS_OK, std::string(kconv_status_string(status)) << ": " << LastError());
  return ContextPtr(context);
}

PlanPtr MakePlan(kconv_context* context, const kconv_conv_desc& desc, const char* config) {
  kconv_plan_options options;
  kconv_plan_options_init(&options);
  options.config_name = config;
  kconv_plan* plan = nullptr;
  const kconv_status status = kconv_plan_create(context, &desc, &options, &plan);
  REQUIRE_MESSAGE(status == KCONV_STATUS_OK, std::string(kconv_status_string(status)) << ": " << LastError());
  return PlanPtr(plan);
}

kconv_plan_info InfoOf(const kconv_plan* plan) {
  kconv_plan_info info{};
  info.struct_size = sizeof(info);
  REQUIRE(kconv_plan_get_info(plan, &info) == KCONV_STATUS_OK);
  return info;
}

std::string FullName(const kconv_plan_info& info) { return std::string(info.family) + "/" + info.config; }

std::string LastError() { return kconv_last_error_message(); }

bool LastErrorHas(const std::string& text) { return LastError().find(text) != std::string::npos; }

std::vector<fake_cuda_launch> LaunchesSince(int64_t launches_before) {
  const int64_t count = FakeDriver::Counters().launches - launches_before;
  REQUIRE(count <= FAKE_CUDA_KEPT_LAUNCHES);
  std::vector<fake_cuda_launch> launches(static_cast<size_t>(std::max<int64_t>(count, 0)));
  for (int64_t back = 0; back < count; ++back) {
    REQUIRE(fake_cuda_get_launch(back, &launches[static_cast<size_t>(count - 1 - back)]) == 0);
  }
  return launches;
}

bool HoldsPointer(const fake_cuda_launch& launch, uint64_t value) {
  for (uint32_t at = 0; at + sizeof(value) <= launch.param_bytes; at += 8) {
    if (memcmp(launch.params + at, &value, sizeof(value)) == 0) return true;
  }
  return false;
}

Tensors::Tensors(const kconv_test::Shape& shape)
    : x(static_cast<size_t>(shape.XElements()), 0.5f),
      w(static_cast<size_t>(shape.WElements()), 0.25f),
      bias(static_cast<size_t>(shape.k), 0.125f),
      y(static_cast<size_t>(shape.YElements())) {
  for (float& v : y) memcpy(&v, &kUntouched, sizeof(v));
}

bool Tensors::YUntouched() const {
  return std::all_of(y.begin(), y.end(), [](float v) { return memcmp(&v, &kUntouched, sizeof(v)) == 0; });
}

std::string ChildOutcome::Describe() const {
  if (!exited) return std::string("killed by signal ") + std::to_string(signal) + " (" + strsignal(signal) + ")";
  if (exit_code != 0) return "exited with code " + std::to_string(exit_code) + " (a sanitizer's report is on stderr)";
  return report.empty() ? "ran cleanly" : report;
}

ChildOutcome RunInChild(const std::function<std::string()>& body) {
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  fflush(nullptr);  // buffered output must not be written twice
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(pipe_fds[0]);
    // doctest's handlers would report a crash as the child's own test run: let it kill the child instead.
    for (const int crash : {SIGFPE, SIGSEGV, SIGBUS, SIGILL, SIGABRT}) signal(crash, SIG_DFL);
    std::string report;
    try {
      report = body();
    } catch (...) {
      report = "the child threw an exception";
    }
    for (size_t written = 0; written < report.size();) {
      const ssize_t n = write(pipe_fds[1], report.data() + written, report.size() - written);
      if (n <= 0) break;
      written += static_cast<size_t>(n);
    }
    close(pipe_fds[1]);
    _exit(0);  // no atexit handlers, no leak check: the parent's objects are the child's too
  }
  close(pipe_fds[1]);
  ChildOutcome outcome;
  char buffer[4096];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof(buffer))) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    outcome.report.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  outcome.exited = WIFEXITED(status);
  outcome.exit_code = outcome.exited ? WEXITSTATUS(status) : 0;
  outcome.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return outcome;
}

}  // namespace fake_test
