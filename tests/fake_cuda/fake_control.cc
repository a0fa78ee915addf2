// SPDX-License-Identifier: Apache-2.0
// The control API (fake_cuda_control.h): configuration, fault injection and what the fake recorded.
#include <string.h>

#include "fake_cuda_control.h"
#include "fake_state.h"

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

std::lock_guard<std::mutex> Lock() { return std::lock_guard<std::mutex>(fake::state_mutex()); }

bool Known(const char* name) {
  return name != nullptr && (fake::IsEntryPoint(name) || strcmp(name, "cuGetProcAddress_v2") == 0 ||
                             strcmp(name, "cuGetProcAddress") == 0);
}

template <typename Map>
auto CountOf(const Map& map, const char* key) -> typename Map::mapped_type {
  if (key == nullptr) return 0;
  auto it = map.find(key);
  return it == map.end() ? 0 : it->second;
}

}  // namespace

FAKE_EXPORT void fake_cuda_reset(void) {
  auto lock = Lock();
  fake::ResetLocked();
}

FAKE_EXPORT int fake_cuda_fail(const char* name, int result, int64_t succeed_first, int64_t fail_times) {
  if (!Known(name)) return -1;
  auto lock = Lock();
  fake::state().faults[name] = fake::Fault{static_cast<CUresult>(result), succeed_first, fail_times};
  return 0;
}

FAKE_EXPORT int fake_cuda_hide_symbol(const char* name) {
  if (!Known(name)) return -1;
  auto lock = Lock();
  fake::state().hidden.insert(name);
  return 0;
}

FAKE_EXPORT int fake_cuda_set_device_count(int count) {
  if (count < 0 || count > FAKE_CUDA_MAX_DEVICES) return -1;
  auto lock = Lock();
  fake::state().device_count = count;
  return 0;
}

FAKE_EXPORT int fake_cuda_set_attribute(int device, int attribute, int value) {
  if (device < 0 || device >= FAKE_CUDA_MAX_DEVICES || attribute <= 0 || attribute >= CU_DEVICE_ATTRIBUTE_MAX) return -1;
  auto lock = Lock();
  fake::state().devices[device].attributes[attribute] = value;
  return 0;
}

FAKE_EXPORT int fake_cuda_set_total_memory(int device, uint64_t bytes) {
  if (device < 0 || device >= FAKE_CUDA_MAX_DEVICES) return -1;
  auto lock = Lock();
  fake::state().devices[device].total_memory = bytes;
  return 0;
}

FAKE_EXPORT int fake_cuda_set_peer_access(int device, int peer, int enabled) {
  if (device < 0 || device >= FAKE_CUDA_MAX_DEVICES || peer < 0 || peer >= FAKE_CUDA_MAX_DEVICES) return -1;
  auto lock = Lock();
  if (enabled) {
    fake::state().peer_access.insert({device, peer});
  } else {
    fake::state().peer_access.erase({device, peer});
  }
  return 0;
}

FAKE_EXPORT void fake_cuda_set_driver_version(int version) {
  auto lock = Lock();
  fake::state().driver_version = version;
}

FAKE_EXPORT void fake_cuda_set_kernel_duration_us(const char* function, double microseconds) {
  auto lock = Lock();
  if (function == nullptr) {
    fake::state().default_duration_us = microseconds;
  } else {
    fake::state().durations_us[function] = microseconds;
  }
}

FAKE_EXPORT void fake_cuda_get_counters(fake_cuda_counters* out) {
  auto lock = Lock();
  const fake::State& s = fake::state();
  fake_cuda_counters c{};
  c.allocations = static_cast<int64_t>(s.allocations.size());
  c.allocated_bytes = s.allocated_bytes;
  c.host_allocations = static_cast<int64_t>(s.host_allocations.size());
  c.modules = static_cast<int64_t>(s.modules.size());
  c.module_loads = s.module_loads;
  for (const CUctx_st& primary : s.primary) c.primary_context_refs += primary.refs;
  c.streams = static_cast<int64_t>(s.streams.size());
  c.events = static_cast<int64_t>(s.events.size());
  c.launches = s.launches;
  c.misuses = s.misuses;
  c.context_stack_depth = static_cast<int64_t>(fake::ContextStack().size());
  c.clock_us = s.clock_us;
  *out = c;
}

FAKE_EXPORT const char* fake_cuda_last_misuse(void) {
  static char text[512];
  auto lock = Lock();
  strncpy(text, fake::state().last_misuse.c_str(), sizeof(text) - 1);
  text[sizeof(text) - 1] = '\0';
  return text;
}

FAKE_EXPORT int64_t fake_cuda_calls(const char* name) {
  auto lock = Lock();
  return CountOf(fake::state().calls, name);
}

FAKE_EXPORT int64_t fake_cuda_injected_failures(const char* name) {
  auto lock = Lock();
  return CountOf(fake::state().injected, name);
}

FAKE_EXPORT int64_t fake_cuda_launches_of(const char* function) {
  auto lock = Lock();
  return CountOf(fake::state().launches_of, function);
}

FAKE_EXPORT int fake_cuda_requested_version(const char* name) {
  auto lock = Lock();
  return CountOf(fake::state().requested_versions, name);
}

FAKE_EXPORT int fake_cuda_get_launch(int64_t back, fake_cuda_launch* out) {
  auto lock = Lock();
  const auto& kept = fake::state().kept_launches;
  if (back < 0 || back >= static_cast<int64_t>(kept.size()) || out == nullptr) return -1;
  *out = kept[kept.size() - 1 - static_cast<size_t>(back)];
  return 0;
}
