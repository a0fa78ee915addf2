// SPDX-License-Identifier: Apache-2.0
// The extern "C" edge: converts C arguments into the runtime's types and absl::Status into kconv_status
// plus the thread's last-error message. Nothing below this file knows the C status codes; nothing here
// lets an exception out.
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <new>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "runtime/mutex.h"
#include "kconv/kconv.h"
#include "runtime/autotune.h"
#include "runtime/blob_registry.h"
#include "runtime/conv_shape.h"
#include "runtime/device_context.h"
#include "runtime/host_conv.h"
#include "runtime/host_conv_fast.h"
#include "runtime/host_threads.h"
#include "runtime/plan.h"
#include "runtime/status_macros.h"
#include "runtime/struct_versions.h"
#include "runtime/tensor_pointers.h"
#include "runtime/tuned_configs.h"
#include "runtime/versioned_struct.h"

struct kconv_context {
  kconv_context(std::shared_ptr<kconv::DeviceContext> d, std::string tuning_cache_path)
      : device(d), tuned(std::move(d), std::move(tuning_cache_path)) {}
  std::shared_ptr<kconv::DeviceContext> device;
  kconv::TunedConfigs tuned;  // where plans without a named config take theirs
  kconv::Mutex mu;
  // kconv_forward's plans, one per descriptor. Bounded: cleared when it would exceed kMaxCachedPlans.
  absl::flat_hash_map<kconv::ConvShapeKey, std::shared_ptr<const kconv::Plan>> plans ABSL_GUARDED_BY(mu);
};

struct kconv_plan {
  std::unique_ptr<kconv::Plan> plan;
};

struct kconv_autotune_report {
  kconv::AutotuneReport report;
  std::string skipped;  // report.skipped, one per line
};

namespace {

constexpr size_t kMaxCachedPlans = 256;

// The calling thread's last failure message. A plain array, not a std::string: a thread_local with a
// destructor registers it with the C runtime (__cxa_thread_atexit), which keeps the library mapped after
// dlclose for as long as the thread lives.
thread_local char last_error[KCONV_ERROR_MESSAGE_CAPACITY];

// Copies `text` into `out` (capacity bytes, capacity > 0), cut to fit with "..." at the end.
void CopyMessage(const std::string& text, char* out, size_t capacity) {
  if (text.size() < capacity) {
    memcpy(out, text.c_str(), text.size() + 1);
    return;
  }
  constexpr char kCut[] = "...";
  const size_t keep = capacity > sizeof(kCut) ? capacity - sizeof(kCut) : 0;
  memcpy(out, text.data(), keep);
  memcpy(out + keep, kCut, std::min(sizeof(kCut), capacity - keep));
  out[capacity - 1] = '\0';
}

// Writes one call's outcome into the caller's kconv_error, as far as its struct_size reaches.
void WriteError(kconv_error* error, kconv_status status, const std::string& message) {
  if (error == nullptr || error->struct_size < offsetof(kconv_error, status) + sizeof(error->status)) return;
  error->status = status;
  if (error->struct_size <= offsetof(kconv_error, message)) return;
  const size_t capacity = std::min(error->struct_size - offsetof(kconv_error, message), sizeof(error->message));
  CopyMessage(message, error->message, capacity);
}

kconv_status ToC(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return KCONV_STATUS_OK;
    case absl::StatusCode::kInvalidArgument: return KCONV_STATUS_INVALID_ARGUMENT;
    case absl::StatusCode::kNotFound: return KCONV_STATUS_NOT_FOUND;
    case absl::StatusCode::kResourceExhausted: return KCONV_STATUS_RESOURCE_EXHAUSTED;
    case absl::StatusCode::kFailedPrecondition: return KCONV_STATUS_FAILED_PRECONDITION;
    case absl::StatusCode::kUnimplemented: return KCONV_STATUS_UNIMPLEMENTED;
    case absl::StatusCode::kInternal: return KCONV_STATUS_INTERNAL;
    case absl::StatusCode::kUnavailable: return KCONV_STATUS_UNAVAILABLE;
    default: return KCONV_STATUS_UNKNOWN;
  }
}

// Records a call's outcome: on failure in the thread's last error and, when given, in `error`.
kconv_status Report(const char* function, const absl::Status& status, kconv_error* error = nullptr) {
  if (status.ok()) {
    WriteError(error, KCONV_STATUS_OK, "");
    return KCONV_STATUS_OK;
  }
  const kconv_status code = ToC(status.code());
  try {
    const std::string message = absl::StrCat(function, ": ", status.message());
    CopyMessage(message, last_error, sizeof(last_error));
    WriteError(error, code, message);
  } catch (...) {  // no memory for the message: keep the status
    CopyMessage("out of host memory for the error message", last_error, sizeof(last_error));
    WriteError(error, code, "out of host memory for the error message");
  }
  return code;
}

// Runs `body` (returning absl::Status) and reports its outcome; std::bad_alloc becomes
// RESOURCE_EXHAUSTED and any other exception INTERNAL, so none crosses the C boundary.
template <typename Body>
kconv_status Guard(const char* function, kconv_error* error, Body&& body) {
  try {
    return Report(function, body(), error);
  } catch (const std::bad_alloc&) {
    return Report(function, absl::ResourceExhaustedError("out of host memory"), error);
  } catch (...) {
    return Report(function, absl::InternalError("unexpected C++ exception"), error);
  }
}

absl::Status RequireOut(const void* out, const char* name) {
  if (out == nullptr) return absl::InvalidArgumentError(absl::StrCat(name, " is NULL"));
  return absl::OkStatus();
}

kconv_context_options DefaultContextOptions() {
  kconv_context_options o{};
  o.struct_size = sizeof(o);
  return o;
}

kconv_plan_options DefaultPlanOptions() {
  kconv_plan_options o{};
  o.struct_size = sizeof(o);
  return o;
}

kconv_host_options DefaultHostOptions() {
  kconv_host_options o{};
  o.struct_size = sizeof(o);
  return o;
}

kconv_autotune_options DefaultAutotuneOptions() {
  kconv_autotune_options o{};
  o.struct_size = sizeof(o);
  o.mode = KCONV_AUTOTUNE_MICRO;
  o.min_gain = 0.02;
  o.warmup_runs = 5;
  o.timed_runs = 50;
  o.store = 1;
  return o;
}

absl::StatusOr<kconv::AutotuneOptions> AutotuneOptionsFrom(const kconv_autotune_options* options) {
  kconv_autotune_options o = DefaultAutotuneOptions();
  if (options != nullptr) {
    KCONV_ASSIGN_OR_RETURN(o, kconv::ReadVersionedStruct(options, DefaultAutotuneOptions(),
                                                         kconv::kAutotuneOptionsVersions, "options"));
  }
  if (o.mode != KCONV_AUTOTUNE_MICRO && o.mode != KCONV_AUTOTUNE_FULL) {
    return absl::InvalidArgumentError(absl::StrCat("options->mode = ", o.mode, " is not a kconv_autotune_mode"));
  }
  for (int32_t flag : {o.write_output, o.store}) {
    if (flag != 0 && flag != 1) {
      return absl::InvalidArgumentError(absl::StrCat("options: write_output and store must be 0 or 1, got ", flag));
    }
  }
  kconv::AutotuneOptions out;
  out.full_search = o.mode == KCONV_AUTOTUNE_FULL;
  out.min_gain = o.min_gain;
  out.warmup_runs = o.warmup_runs;
  out.timed_runs = o.timed_runs;
  out.write_output = o.write_output == 1;
  out.store = o.store == 1;
  if (o.progress != nullptr) {
    out.progress = [fn = o.progress, user = o.progress_user_data](int done, int total, const std::string& step) {
      fn(user, done, total, step.c_str());
    };
  }
  return out;
}

// The config the caller names in `options`, or -1 when it names none.
absl::StatusOr<int> ConfigFromOptions(const kconv_plan_options* options) {
  if (options == nullptr) return -1;
  KCONV_ASSIGN_OR_RETURN(const kconv_plan_options o, kconv::ReadVersionedStruct(options, DefaultPlanOptions(),
                                                                                 kconv::kPlanOptionsVersions, "options"));
  if (o.config_name == nullptr) return -1;
  return kconv::FindConfig(o.config_name);
}

// A plan of the named config, or else of the config the context's tuned-result memory gives.
absl::StatusOr<std::unique_ptr<kconv::Plan>> CreatePlan(kconv_context* context, const kconv::ConvShape& shape,
                                                        int config_index) {
  if (config_index < 0) {
    KCONV_ASSIGN_OR_RETURN(const kconv::TunedConfigs::Choice choice, context->tuned.ChooseFor(shape));
    config_index = choice.config;
  }
  return kconv::Plan::Create(context->device, shape, config_index);
}

// The sizes the 0.1 headers declared: what binaries built against them pass to the exported
// kconv_*_init(p), which cannot be told the size (the header's *_init are now inline and pass theirs).
constexpr size_t kConvDesc01Size = kconv::kConvDescVersions[0].size;
constexpr size_t kContextOptions01Size = kconv::kContextOptionsVersions[1].size;
constexpr size_t kPlanOptions01Size = kconv::kPlanOptionsVersions[0].size;
constexpr size_t kAutotuneOptions01Size = kconv::kAutotuneOptionsVersions[0].size;

}  // namespace

extern "C" {

const char* kconv_status_string(kconv_status status) {
  // Read as an int: a caller may pass any value, and loading one outside the enum's range as the enum is
  // undefined behaviour.
  int code = 0;
  static_assert(sizeof(code) == sizeof(status), "kconv_status is an int");
  memcpy(&code, &status, sizeof(code));
  switch (code) {
    case KCONV_STATUS_OK: return "KCONV_STATUS_OK";
    case KCONV_STATUS_UNKNOWN: return "KCONV_STATUS_UNKNOWN";
    case KCONV_STATUS_INVALID_ARGUMENT: return "KCONV_STATUS_INVALID_ARGUMENT";
    case KCONV_STATUS_NOT_FOUND: return "KCONV_STATUS_NOT_FOUND";
    case KCONV_STATUS_RESOURCE_EXHAUSTED: return "KCONV_STATUS_RESOURCE_EXHAUSTED";
    case KCONV_STATUS_FAILED_PRECONDITION: return "KCONV_STATUS_FAILED_PRECONDITION";
    case KCONV_STATUS_UNIMPLEMENTED: return "KCONV_STATUS_UNIMPLEMENTED";
    case KCONV_STATUS_INTERNAL: return "KCONV_STATUS_INTERNAL";
    case KCONV_STATUS_UNAVAILABLE: return "KCONV_STATUS_UNAVAILABLE";
  }
  return "KCONV_STATUS_(unrecognised code)";
}

const char* kconv_last_error_message(void) { return last_error; }

uint32_t kconv_version_number(void) { return KCONV_VERSION_NUMBER; }

const char* kconv_version_string(void) {
#define KCONV_STRINGIFY_INNER(x) #x
#define KCONV_STRINGIFY(x) KCONV_STRINGIFY_INNER(x)
  return KCONV_STRINGIFY(KCONV_VERSION_MAJOR) "." KCONV_STRINGIFY(KCONV_VERSION_MINOR) "." KCONV_STRINGIFY(
      KCONV_VERSION_PATCH);
}

// ---- Struct initialisation -----------------------------------------------------------------------

kconv_status kconv_conv_desc_init_sized(kconv_conv_desc* desc, size_t struct_size) {
  return Guard("kconv_conv_desc_init_sized", nullptr, [&] {
    return kconv::InitVersionedStruct(desc, kconv::DefaultConvDesc(), struct_size, kconv::kConvDescVersions, "desc");
  });
}

kconv_status kconv_context_options_init_sized(kconv_context_options* options, size_t struct_size) {
  return Guard("kconv_context_options_init_sized", nullptr, [&] {
    return kconv::InitVersionedStruct(options, DefaultContextOptions(), struct_size, kconv::kContextOptionsVersions,
                                      "options");
  });
}

kconv_status kconv_plan_options_init_sized(kconv_plan_options* options, size_t struct_size) {
  return Guard("kconv_plan_options_init_sized", nullptr, [&] {
    return kconv::InitVersionedStruct(options, DefaultPlanOptions(), struct_size, kconv::kPlanOptionsVersions,
                                      "options");
  });
}

kconv_status kconv_host_options_init_sized(kconv_host_options* options, size_t struct_size) {
  return Guard("kconv_host_options_init_sized", nullptr, [&] {
    return kconv::InitVersionedStruct(options, DefaultHostOptions(), struct_size, kconv::kHostOptionsVersions,
                                      "options");
  });
}

kconv_status kconv_autotune_options_init_sized(kconv_autotune_options* options, size_t struct_size) {
  return Guard("kconv_autotune_options_init_sized", nullptr, [&] {
    return kconv::InitVersionedStruct(options, DefaultAutotuneOptions(), struct_size,
                                      kconv::kAutotuneOptionsVersions, "options");
  });
}

// The 0.1 ABI's exported initialisers, kept for binaries built against the 0.1 header: they write exactly
// the 0.1 struct. The current header does not declare them; its inline *_init call the _sized ones.
KCONV_API void kconv_conv_desc_init(kconv_conv_desc* desc) {
  kconv_conv_desc_init_sized(desc, kConvDesc01Size);
}
KCONV_API void kconv_context_options_init(kconv_context_options* options) {
  kconv_context_options_init_sized(options, kContextOptions01Size);
}
KCONV_API void kconv_plan_options_init(kconv_plan_options* options) {
  kconv_plan_options_init_sized(options, kPlanOptions01Size);
}
KCONV_API void kconv_autotune_options_init(kconv_autotune_options* options) {
  kconv_autotune_options_init_sized(options, kAutotuneOptions01Size);
}

// ---- Shapes and the host path -----------------------------------------------------------------------

kconv_status kconv_conv_output_shape_e(const kconv_conv_desc* desc, int64_t out_dims[4], kconv_error* error) {
  return Guard("kconv_conv_output_shape", error, [&]() -> absl::Status {
    KCONV_RETURN_IF_ERROR(RequireOut(out_dims, "out_dims"));
    KCONV_ASSIGN_OR_RETURN(const kconv::ConvShape shape, kconv::ValidateConvDesc(desc));
    out_dims[0] = shape.n;
    out_dims[1] = shape.k;
    out_dims[2] = shape.p;
    out_dims[3] = shape.q;
    return absl::OkStatus();
  });
}

kconv_status kconv_conv_output_shape(const kconv_conv_desc* desc, int64_t out_dims[4]) {
  return kconv_conv_output_shape_e(desc, out_dims, nullptr);
}

kconv_status kconv_forward_host_with_options(const kconv_conv_desc* desc, const float* x, const float* w,
                                             const float* bias, float* y, const kconv_host_options* options,
                                             kconv_error* error) {
  return Guard("kconv_forward_host", error, [&]() -> absl::Status {
    kconv_host_options o = DefaultHostOptions();
    if (options != nullptr) {
      KCONV_ASSIGN_OR_RETURN(o, kconv::ReadVersionedStruct(options, DefaultHostOptions(), kconv::kHostOptionsVersions,
                                                           "options"));
    }
    if (o.threads < 0 || o.threads > kconv::kMaxHostThreads) {
      return absl::InvalidArgumentError(absl::StrCat("options->threads = ", o.threads, " is not 0 (the default) or 1 to ",
                                                     kconv::kMaxHostThreads));
    }
    if (o.reference != 0 && o.reference != 1) {
      return absl::InvalidArgumentError(absl::StrCat("options->reference = ", o.reference, " is not 0 or 1"));
    }
    KCONV_ASSIGN_OR_RETURN(const kconv::ConvShape shape, kconv::ValidateConvDesc(desc));
    if (shape.element_type != KCONV_ELEMENT_F32 || shape.layout != KCONV_LAYOUT_NCHW) {
      return absl::UnimplementedError(absl::StrCat("the host path computes fp32 NCHW only, not ",
                                                   kconv::ElementTypeName(shape.element_type), " ",
                                                   kconv::LayoutName(shape.layout)));
    }
    KCONV_RETURN_IF_ERROR(kconv::CheckTensorPointers(
        shape, {reinterpret_cast<uint64_t>(x), reinterpret_cast<uint64_t>(w), reinterpret_cast<uint64_t>(bias),
                reinterpret_cast<uint64_t>(y)}));
    if (o.reference == 1) {
      kconv::HostConvReference(shape, x, w, bias, y);
      return absl::OkStatus();
    }
    return kconv::HostConvFast(shape, x, w, bias, y, o.threads > 0 ? o.threads : kconv::DefaultHostThreads());
  });
}

kconv_status kconv_forward_host_e(const kconv_conv_desc* desc, const float* x, const float* w, const float* bias,
                                  float* y, kconv_error* error) {
  return kconv_forward_host_with_options(desc, x, w, bias, y, nullptr, error);
}

kconv_status kconv_forward_host(const kconv_conv_desc* desc, const float* x, const float* w, const float* bias,
                                float* y) {
  return kconv_forward_host_with_options(desc, x, w, bias, y, nullptr, nullptr);
}

int32_t kconv_host_default_threads(void) { return kconv::DefaultHostThreads(); }

// ---- Contexts and plans -----------------------------------------------------------------------------

kconv_status kconv_context_create_e(const kconv_context_options* options, kconv_context** out, kconv_error* error) {
  return Guard("kconv_context_create", error, [&]() -> absl::Status {
    KCONV_RETURN_IF_ERROR(RequireOut(out, "out"));
    *out = nullptr;
    kconv_context_options o = DefaultContextOptions();
    if (options != nullptr) {
      KCONV_ASSIGN_OR_RETURN(o, kconv::ReadVersionedStruct(options, DefaultContextOptions(),
                                                           kconv::kContextOptionsVersions, "options"));
    }
    for (int32_t flag : {o.use_current_context, o.force_ptx, o.synchronize}) {
      if (flag != 0 && flag != 1) {
        return absl::InvalidArgumentError(absl::StrCat("options: flag fields must be 0 or 1, got ", flag));
      }
    }
    const char* cache = o.tuning_cache_path != nullptr ? o.tuning_cache_path : getenv("KCONV_TUNING_CACHE");
    KCONV_ASSIGN_OR_RETURN(std::shared_ptr<kconv::DeviceContext> device, kconv::DeviceContext::Open(o));
    *out = new kconv_context(std::move(device), cache != nullptr ? cache : "");
    return absl::OkStatus();
  });
}

kconv_status kconv_context_create(const kconv_context_options* options, kconv_context** out) {
  return kconv_context_create_e(options, out, nullptr);
}

void kconv_context_destroy(kconv_context* context) { delete context; }

kconv_status kconv_plan_create_e(kconv_context* context, const kconv_conv_desc* desc, const kconv_plan_options* options,
                                 kconv_plan** out, kconv_error* error) {
  return Guard("kconv_plan_create", error, [&]() -> absl::Status {
    KCONV_RETURN_IF_ERROR(RequireOut(out, "out"));
    *out = nullptr;
    KCONV_RETURN_IF_ERROR(RequireOut(context, "context"));
    KCONV_ASSIGN_OR_RETURN(const kconv::ConvShape shape, kconv::ValidateConvDesc(desc));
    KCONV_ASSIGN_OR_RETURN(const int config_index, ConfigFromOptions(options));
    KCONV_ASSIGN_OR_RETURN(std::unique_ptr<kconv::Plan> plan, CreatePlan(context, shape, config_index));
    *out = new kconv_plan{std::move(plan)};
    return absl::OkStatus();
  });
}

kconv_status kconv_plan_create(kconv_context* context, const kconv_conv_desc* desc, const kconv_plan_options* options,
                               kconv_plan** out) {
  return kconv_plan_create_e(context, desc, options, out, nullptr);
}

void kconv_plan_destroy(kconv_plan* plan) { delete plan; }

kconv_status kconv_plan_execute_e(const kconv_plan* plan, uint64_t x, uint64_t w, uint64_t bias, uint64_t y,
                                  void* stream, kconv_error* error) {
  return Guard("kconv_plan_execute", error, [&]() -> absl::Status {
    KCONV_RETURN_IF_ERROR(RequireOut(plan, "plan"));
    return plan->plan->Execute({x, w, bias, y}, static_cast<CUstream>(stream));
  });
}

kconv_status kconv_plan_execute(const kconv_plan* plan, uint64_t x, uint64_t w, uint64_t bias, uint64_t y,
                                void* stream) {
  return kconv_plan_execute_e(plan, x, w, bias, y, stream, nullptr);
}

kconv_status kconv_plan_set_weights_e(kconv_plan* plan, uint64_t w, void* stream, kconv_error* error) {
  return Guard("kconv_plan_set_weights", error, [&]() -> absl::Status {
    KCONV_RETURN_IF_ERROR(RequireOut(plan, "plan"));
    return plan->plan->SetWeights(w, static_cast<CUstream>(stream));
  });
}

kconv_status kconv_plan_set_weights(kconv_plan* plan, uint64_t w, void* stream) {
  return kconv_plan_set_weights_e(plan, w, stream, nullptr);
}

kconv_status kconv_plan_get_info_e(const kconv_plan* plan, kconv_plan_info* info, kconv_error* error) {
  return Guard("kconv_plan_get_info", error, [&]() -> absl::Status {
    KCONV_RETURN_IF_ERROR(RequireOut(plan, "plan"));
    KCONV_RETURN_IF_ERROR(RequireOut(info, "info"));
    return kconv::WriteVersionedStruct(info, plan->plan->Info(), kconv::kPlanInfoVersions, "info");
  });
}

kconv_status kconv_plan_get_info(const kconv_plan* plan, kconv_plan_info* info) {
  return kconv_plan_get_info_e(plan, info, nullptr);
}

int64_t kconv_plan_describe(const kconv_plan* plan, char* buffer, size_t buffer_size) {
  if (plan == nullptr) {
    Report("kconv_plan_describe", absl::InvalidArgumentError("plan is NULL"));
    return -1;
  }
  try {
    const std::string text = plan->plan->Describe();
    if (buffer != nullptr && buffer_size > 0) {
      const size_t n = std::min(text.size(), buffer_size - 1);
      memcpy(buffer, text.data(), n);
      buffer[n] = '\0';
    }
    return static_cast<int64_t>(text.size());
  } catch (...) {
    Report("kconv_plan_describe", absl::ResourceExhaustedError("out of host memory"));
    return -1;
  }
}

kconv_status kconv_forward_e(kconv_context* context, const kconv_conv_desc* desc, uint64_t x, uint64_t w,
                             uint64_t bias, uint64_t y, void* stream, kconv_error* error) {
  return Guard("kconv_forward", error, [&]() -> absl::Status {
    KCONV_RETURN_IF_ERROR(RequireOut(context, "context"));
    KCONV_ASSIGN_OR_RETURN(const kconv::ConvShape shape, kconv::ValidateConvDesc(desc));
    const kconv::ConvShapeKey key = kconv::KeyOf(shape);
    std::shared_ptr<const kconv::Plan> plan;
    {
      kconv::MutexLock lock(&context->mu);
      if (auto it = context->plans.find(key); it != context->plans.end()) plan = it->second;
    }
    if (plan == nullptr) {
      // Planned outside the lock (module loads can take milliseconds); a racing thread's plan for the
      // same key is equivalent, so whichever lands first is kept.
      KCONV_ASSIGN_OR_RETURN(std::unique_ptr<kconv::Plan> created, CreatePlan(context, shape, -1));
      kconv::MutexLock lock(&context->mu);
      if (context->plans.size() >= kMaxCachedPlans) context->plans.clear();
      plan = context->plans.try_emplace(key, std::move(created)).first->second;
    }
    return plan->Execute({x, w, bias, y}, static_cast<CUstream>(stream));
  });
}

kconv_status kconv_forward(kconv_context* context, const kconv_conv_desc* desc, uint64_t x, uint64_t w, uint64_t bias,
                           uint64_t y, void* stream) {
  return kconv_forward_e(context, desc, x, w, bias, y, stream, nullptr);
}

// ---- Autotuning -------------------------------------------------------------------------------------

kconv_status kconv_autotune_e(kconv_context* context, const kconv_conv_desc* desc,
                              const kconv_autotune_options* options, uint64_t x, uint64_t w, uint64_t bias,
                              uint64_t y, void* stream, kconv_autotune_report** report, kconv_error* error) {
  return Guard("kconv_autotune", error, [&]() -> absl::Status {
    if (report != nullptr) *report = nullptr;
    KCONV_ASSIGN_OR_RETURN(const kconv::ConvShape shape, kconv::ValidateConvDesc(desc));
    KCONV_ASSIGN_OR_RETURN(const kconv::AutotuneOptions o, AutotuneOptionsFrom(options));
    KCONV_RETURN_IF_ERROR(kconv::ValidateAutotuneOptions(o, {x, w, bias, y}));
    KCONV_RETURN_IF_ERROR(RequireOut(context, "context"));
    KCONV_ASSIGN_OR_RETURN(kconv::AutotuneReport result,
                           kconv::Autotune(context->device, context->tuned, shape, {x, w, bias, y},
                                           static_cast<CUstream>(stream), o));
    if (o.store) {  // kconv_forward's cached plan for this descriptor predates the winner
      kconv::MutexLock lock(&context->mu);
      context->plans.erase(kconv::KeyOf(shape));
    }
    if (report != nullptr) {
      auto* r = new kconv_autotune_report{std::move(result), ""};
      for (const std::string& line : r->report.skipped) absl::StrAppend(&r->skipped, line, "\n");
      *report = r;
    }
    return absl::OkStatus();
  });
}

kconv_status kconv_autotune(kconv_context* context, const kconv_conv_desc* desc, const kconv_autotune_options* options,
                            uint64_t x, uint64_t w, uint64_t bias, uint64_t y, void* stream,
                            kconv_autotune_report** report) {
  return kconv_autotune_e(context, desc, options, x, w, bias, y, stream, report, nullptr);
}

int32_t kconv_autotune_report_candidate_count(const kconv_autotune_report* report) {
  return report == nullptr ? 0 : static_cast<int32_t>(report->report.candidates.size());
}

kconv_status kconv_autotune_report_candidate_e(const kconv_autotune_report* report, int32_t index,
                                               kconv_autotune_candidate* out, kconv_error* error) {
  return Guard("kconv_autotune_report_candidate", error, [&]() -> absl::Status {
    KCONV_RETURN_IF_ERROR(RequireOut(report, "report"));
    KCONV_RETURN_IF_ERROR(RequireOut(out, "out"));
    if (index < 0 || index >= kconv_autotune_report_candidate_count(report)) {
      return absl::InvalidArgumentError(absl::StrCat("index ", index, " is not in [0, ",
                                                     kconv_autotune_report_candidate_count(report), ")"));
    }
    const kconv::CandidateReport& c = report->report.candidates[index];
    kconv_autotune_candidate full{};
    full.config = kconv::Configs()[c.config].full_name;
    full.median_us = c.timing.median_us;
    full.p10_us = c.timing.p10_us;
    full.p90_us = c.timing.p90_us;
    full.is_original = c.config == report->report.original ? 1 : 0;
    full.is_winner = c.config == report->report.decision.winner ? 1 : 0;
    full.grid_x = c.info.grid_x;
    full.grid_y = c.info.grid_y;
    full.threads_per_block = c.info.threads_per_block;
    full.registers_per_thread = c.registers;
    full.static_shared_bytes = c.static_shared_bytes;
    full.dynamic_shared_bytes = c.info.shared_bytes;
    full.local_bytes_per_thread = c.local_bytes;
    full.blocks_per_sm = c.blocks_per_sm;
    full.occupancy = c.occupancy;
    return kconv::WriteVersionedStruct(out, full, kconv::kAutotuneCandidateVersions, "out");
  });
}

kconv_status kconv_autotune_report_candidate(const kconv_autotune_report* report, int32_t index,
                                             kconv_autotune_candidate* out) {
  return kconv_autotune_report_candidate_e(report, index, out, nullptr);
}

const char* kconv_autotune_report_winner(const kconv_autotune_report* report) {
  return report == nullptr ? nullptr : kconv::Configs()[report->report.decision.winner].full_name;
}

const char* kconv_autotune_report_reason(const kconv_autotune_report* report) {
  return report == nullptr ? nullptr : report->report.decision.reason.c_str();
}

const char* kconv_autotune_report_original_source(const kconv_autotune_report* report) {
  return report == nullptr ? nullptr : report->report.original_source;
}

const char* kconv_autotune_report_skipped(const kconv_autotune_report* report) {
  return report == nullptr ? nullptr : report->skipped.c_str();
}

int32_t kconv_autotune_report_stored_in_file(const kconv_autotune_report* report) {
  return report != nullptr && report->report.stored_in_file ? 1 : 0;
}

const char* kconv_autotune_report_store_problem(const kconv_autotune_report* report) {
  return report == nullptr ? nullptr : report->report.store_problem.c_str();
}

void kconv_autotune_report_destroy(kconv_autotune_report* report) { delete report; }

int32_t kconv_config_count(void) { return static_cast<int32_t>(kconv::Configs().size()); }

const char* kconv_config_name(int32_t index) {
  if (index < 0 || index >= kconv_config_count()) return nullptr;
  return kconv::Configs()[index].full_name;
}

}  // extern "C"
