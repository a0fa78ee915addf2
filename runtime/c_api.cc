// The extern "C" edge: converts C arguments into the runtime's types and absl::Status into kconv_status
// plus the thread's last-error message. Nothing below this file knows the C status codes; nothing here
// lets an exception out.
#include <stddef.h>
#include <string.h>

#include <algorithm>
#include <new>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "kconv/kconv.h"
#include "runtime/autotune.h"
#include "runtime/blob_registry.h"
#include "runtime/conv_shape.h"
#include "runtime/device_context.h"
#include "runtime/host_conv.h"
#include "runtime/plan.h"
#include "runtime/status_macros.h"
#include "runtime/versioned_struct.h"

struct kconv_context {
  std::shared_ptr<kconv::DeviceContext> device;
  absl::Mutex mu;
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

thread_local std::string last_error;

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

kconv_status Report(const char* function, const absl::Status& status) {
  if (status.ok()) return KCONV_STATUS_OK;
  last_error = absl::StrCat(function, ": ", status.message());
  return ToC(status.code());
}

// Runs `body` (returning absl::Status) and reports its outcome; std::bad_alloc becomes
// RESOURCE_EXHAUSTED and any other exception INTERNAL, so none crosses the C boundary.
template <typename Body>
kconv_status Guard(const char* function, Body&& body) {
  try {
    return Report(function, body());
  } catch (const std::bad_alloc&) {
    return Report(function, absl::ResourceExhaustedError("out of host memory"));
  } catch (...) {
    return Report(function, absl::InternalError("unexpected C++ exception"));
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
                                                         sizeof(kconv_autotune_options), "options"));
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

absl::StatusOr<int> ConfigFromOptions(const kconv_plan_options* options) {
  if (options == nullptr) return -1;
  KCONV_ASSIGN_OR_RETURN(const kconv_plan_options o,
                         kconv::ReadVersionedStruct(options, DefaultPlanOptions(), sizeof(kconv_plan_options), "options"));
  if (o.config_name == nullptr) return -1;
  return kconv::FindConfig(o.config_name);
}

}  // namespace

extern "C" {

const char* kconv_status_string(kconv_status status) {
  switch (status) {
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

const char* kconv_last_error_message(void) { return last_error.c_str(); }

uint32_t kconv_version_number(void) { return KCONV_VERSION_NUMBER; }

const char* kconv_version_string(void) {
#define KCONV_STRINGIFY_INNER(x) #x
#define KCONV_STRINGIFY(x) KCONV_STRINGIFY_INNER(x)
  return KCONV_STRINGIFY(KCONV_VERSION_MAJOR) "." KCONV_STRINGIFY(KCONV_VERSION_MINOR) "." KCONV_STRINGIFY(
      KCONV_VERSION_PATCH);
}

void kconv_conv_desc_init(kconv_conv_desc* desc) {
  if (desc != nullptr) *desc = kconv::DefaultConvDesc();
}

kconv_status kconv_conv_output_shape(const kconv_conv_desc* desc, int64_t out_dims[4]) {
  return Guard(__func__, [&]() -> absl::Status {
    KCONV_RETURN_IF_ERROR(RequireOut(out_dims, "out_dims"));
    KCONV_ASSIGN_OR_RETURN(const kconv::ConvShape shape, kconv::ValidateConvDesc(desc));
    out_dims[0] = shape.n;
    out_dims[1] = shape.k;
    out_dims[2] = shape.p;
    out_dims[3] = shape.q;
    return absl::OkStatus();
  });
}

kconv_status kconv_forward_host(const kconv_conv_desc* desc, const float* x, const float* w, const float* bias,
                                float* y) {
  return Guard(__func__, [&]() -> absl::Status {
    KCONV_ASSIGN_OR_RETURN(const kconv::ConvShape shape, kconv::ValidateConvDesc(desc));
    KCONV_RETURN_IF_ERROR(kconv::CheckTensorPointers(
        shape, {reinterpret_cast<uint64_t>(x), reinterpret_cast<uint64_t>(w), reinterpret_cast<uint64_t>(bias),
                reinterpret_cast<uint64_t>(y)}));
    kconv::HostConvForward(shape, x, w, bias, y);
    return absl::OkStatus();
  });
}

void kconv_context_options_init(kconv_context_options* options) {
  if (options != nullptr) *options = DefaultContextOptions();
}

kconv_status kconv_context_create(const kconv_context_options* options, kconv_context** out) {
  return Guard(__func__, [&]() -> absl::Status {
    KCONV_RETURN_IF_ERROR(RequireOut(out, "out"));
    *out = nullptr;
    kconv_context_options o = DefaultContextOptions();
    if (options != nullptr) {
      // Callers built before tuning_cache_path existed pass the shorter struct; it defaults to NULL.
      KCONV_ASSIGN_OR_RETURN(o, kconv::ReadVersionedStruct(options, DefaultContextOptions(),
                                                           offsetof(kconv_context_options, tuning_cache_path),
                                                           "options"));
    }
    for (int32_t flag : {o.use_current_context, o.force_ptx, o.synchronize}) {
      if (flag != 0 && flag != 1) {
        return absl::InvalidArgumentError(absl::StrCat("options: flag fields must be 0 or 1, got ", flag));
      }
    }
    KCONV_ASSIGN_OR_RETURN(std::shared_ptr<kconv::DeviceContext> device, kconv::DeviceContext::Open(o));
    auto* context = new kconv_context();
    context->device = std::move(device);
    *out = context;
    return absl::OkStatus();
  });
}

void kconv_context_destroy(kconv_context* context) { delete context; }

void kconv_plan_options_init(kconv_plan_options* options) {
  if (options != nullptr) *options = DefaultPlanOptions();
}

kconv_status kconv_plan_create(kconv_context* context, const kconv_conv_desc* desc, const kconv_plan_options* options,
                               kconv_plan** out) {
  return Guard(__func__, [&]() -> absl::Status {
    KCONV_RETURN_IF_ERROR(RequireOut(out, "out"));
    *out = nullptr;
    KCONV_RETURN_IF_ERROR(RequireOut(context, "context"));
    KCONV_ASSIGN_OR_RETURN(const kconv::ConvShape shape, kconv::ValidateConvDesc(desc));
    KCONV_ASSIGN_OR_RETURN(const int config_index, ConfigFromOptions(options));
    KCONV_ASSIGN_OR_RETURN(std::unique_ptr<kconv::Plan> plan, kconv::Plan::Create(context->device, shape, config_index));
    *out = new kconv_plan{std::move(plan)};
    return absl::OkStatus();
  });
}

void kconv_plan_destroy(kconv_plan* plan) { delete plan; }

kconv_status kconv_plan_execute(const kconv_plan* plan, uint64_t x, uint64_t w, uint64_t bias, uint64_t y,
                                void* stream) {
  return Guard(__func__, [&]() -> absl::Status {
    KCONV_RETURN_IF_ERROR(RequireOut(plan, "plan"));
    return plan->plan->Execute({x, w, bias, y}, static_cast<CUstream>(stream));
  });
}

kconv_status kconv_plan_set_weights(kconv_plan* plan, uint64_t w, void* stream) {
  return Guard(__func__, [&]() -> absl::Status {
    KCONV_RETURN_IF_ERROR(RequireOut(plan, "plan"));
    return plan->plan->SetWeights(w, static_cast<CUstream>(stream));
  });
}

kconv_status kconv_plan_get_info(const kconv_plan* plan, kconv_plan_info* info) {
  return Guard(__func__, [&]() -> absl::Status {
    KCONV_RETURN_IF_ERROR(RequireOut(plan, "plan"));
    KCONV_RETURN_IF_ERROR(RequireOut(info, "info"));
    return kconv::WriteVersionedStruct(info, plan->plan->Info(), offsetof(kconv_plan_info, family), "info");
  });
}

int64_t kconv_plan_describe(const kconv_plan* plan, char* buffer, size_t buffer_size) {
  if (plan == nullptr) {
    Report(__func__, absl::InvalidArgumentError("plan is NULL"));
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
    Report(__func__, absl::ResourceExhaustedError("out of host memory"));
    return -1;
  }
}

kconv_status kconv_forward(kconv_context* context, const kconv_conv_desc* desc, uint64_t x, uint64_t w, uint64_t bias,
                           uint64_t y, void* stream) {
  return Guard(__func__, [&]() -> absl::Status {
    KCONV_RETURN_IF_ERROR(RequireOut(context, "context"));
    KCONV_ASSIGN_OR_RETURN(const kconv::ConvShape shape, kconv::ValidateConvDesc(desc));
    const kconv::ConvShapeKey key = kconv::KeyOf(shape);
    std::shared_ptr<const kconv::Plan> plan;
    {
      absl::MutexLock lock(&context->mu);
      if (auto it = context->plans.find(key); it != context->plans.end()) plan = it->second;
    }
    if (plan == nullptr) {
      // Planned outside the lock (module loads can take milliseconds); a racing thread's plan for the
      // same key is equivalent, so whichever lands first is kept.
      KCONV_ASSIGN_OR_RETURN(std::unique_ptr<kconv::Plan> created, kconv::Plan::Create(context->device, shape, -1));
      absl::MutexLock lock(&context->mu);
      if (context->plans.size() >= kMaxCachedPlans) context->plans.clear();
      plan = context->plans.try_emplace(key, std::move(created)).first->second;
    }
    return plan->Execute({x, w, bias, y}, static_cast<CUstream>(stream));
  });
}

void kconv_autotune_options_init(kconv_autotune_options* options) {
  if (options != nullptr) *options = DefaultAutotuneOptions();
}

kconv_status kconv_autotune(kconv_context* context, const kconv_conv_desc* desc, const kconv_autotune_options* options,
                            uint64_t x, uint64_t w, uint64_t bias, uint64_t y, void* stream,
                            kconv_autotune_report** report) {
  return Guard(__func__, [&]() -> absl::Status {
    if (report != nullptr) *report = nullptr;
    KCONV_ASSIGN_OR_RETURN(const kconv::ConvShape shape, kconv::ValidateConvDesc(desc));
    KCONV_ASSIGN_OR_RETURN(const kconv::AutotuneOptions o, AutotuneOptionsFrom(options));
    KCONV_RETURN_IF_ERROR(kconv::ValidateAutotuneOptions(o, {x, w, bias, y}));
    KCONV_RETURN_IF_ERROR(RequireOut(context, "context"));
    KCONV_ASSIGN_OR_RETURN(kconv::AutotuneReport result,
                           kconv::Autotune(context->device, shape, {x, w, bias, y}, static_cast<CUstream>(stream), o));
    if (o.store) {  // kconv_forward's cached plan for this descriptor predates the winner
      absl::MutexLock lock(&context->mu);
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

int32_t kconv_autotune_report_candidate_count(const kconv_autotune_report* report) {
  return report == nullptr ? 0 : static_cast<int32_t>(report->report.candidates.size());
}

kconv_status kconv_autotune_report_candidate(const kconv_autotune_report* report, int32_t index,
                                             kconv_autotune_candidate* out) {
  return Guard(__func__, [&]() -> absl::Status {
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
    return kconv::WriteVersionedStruct(out, full, offsetof(kconv_autotune_candidate, config), "out");
  });
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

void kconv_autotune_report_destroy(kconv_autotune_report* report) { delete report; }

int32_t kconv_config_count(void) { return static_cast<int32_t>(kconv::Configs().size()); }

const char* kconv_config_name(int32_t index) {
  if (index < 0 || index >= kconv_config_count()) return nullptr;
  return kconv::Configs()[index].full_name;
}

}  // extern "C"
