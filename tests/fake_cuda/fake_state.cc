// SPDX-License-Identifier: Apache-2.0
#include "fake_state.h"

#include <stdlib.h>

namespace fake {

State& state() {
  static State* s = [] {
    auto* fresh = new State();
    for (Device& d : fresh->devices) d = DefaultDevice();
    for (int i = 0; i < FAKE_CUDA_MAX_DEVICES; ++i) fresh->primary[i].device = i;
    return fresh;
  }();
  return *s;
}

std::mutex& state_mutex() {
  static auto* mu = new std::mutex();
  return *mu;
}

std::vector<CUcontext>& ContextStack() {
  thread_local std::vector<CUcontext> stack;
  return stack;
}

// An H200 as the driver describes it, so far as kconv and its tools ask.
Device DefaultDevice() {
  Device d;
  d.name = "Fake H200";
  d.total_memory = uint64_t{80} << 30;
  auto set = [&](CUdevice_attribute a, int v) { d.attributes[a] = v; };
  set(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, 1024);
  set(CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X, 1024);
  set(CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y, 1024);
  set(CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z, 64);
  set(CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X, 2147483647);
  set(CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y, 65535);
  set(CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z, 65535);
  set(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK, 48 * 1024);
  set(CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY, 64 * 1024);
  set(CU_DEVICE_ATTRIBUTE_WARP_SIZE, 32);
  set(CU_DEVICE_ATTRIBUTE_MAX_PITCH, 2147483647);
  set(CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK, 65536);
  set(CU_DEVICE_ATTRIBUTE_CLOCK_RATE, 1980000);
  set(CU_DEVICE_ATTRIBUTE_TEXTURE_ALIGNMENT, 512);
  set(CU_DEVICE_ATTRIBUTE_GPU_OVERLAP, 1);
  set(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 132);
  set(CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY, 1);
  set(CU_DEVICE_ATTRIBUTE_COMPUTE_MODE, CU_COMPUTEMODE_DEFAULT);
  set(CU_DEVICE_ATTRIBUTE_CONCURRENT_KERNELS, 1);
  set(CU_DEVICE_ATTRIBUTE_ECC_ENABLED, 1);
  set(CU_DEVICE_ATTRIBUTE_PCI_BUS_ID, 0x19);
  set(CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE, 2619000);
  set(CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH, 6144);
  set(CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, 60 << 20);
  set(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR, 2048);
  set(CU_DEVICE_ATTRIBUTE_ASYNC_ENGINE_COUNT, 5);
  set(CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING, 1);
  set(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 9);
  set(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, 0);
  set(CU_DEVICE_ATTRIBUTE_STREAM_PRIORITIES_SUPPORTED, 1);
  set(CU_DEVICE_ATTRIBUTE_GLOBAL_L1_CACHE_SUPPORTED, 1);
  set(CU_DEVICE_ATTRIBUTE_LOCAL_L1_CACHE_SUPPORTED, 1);
  set(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR, 228 * 1024);
  set(CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR, 65536);
  set(CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY, 1);
  set(CU_DEVICE_ATTRIBUTE_CONCURRENT_MANAGED_ACCESS, 1);
  set(CU_DEVICE_ATTRIBUTE_COMPUTE_PREEMPTION_SUPPORTED, 1);
  set(CU_DEVICE_ATTRIBUTE_CAN_USE_HOST_POINTER_FOR_REGISTERED_MEM, 1);
  set(CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH, 1);
  set(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, 227 * 1024);
  set(CU_DEVICE_ATTRIBUTE_MAX_PERSISTING_L2_CACHE_SIZE, 48 << 20);
  set(CU_DEVICE_ATTRIBUTE_MAX_BLOCKS_PER_MULTIPROCESSOR, 32);
  set(CU_DEVICE_ATTRIBUTE_RESERVED_SHARED_MEMORY_PER_BLOCK, 1024);
  set(CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED, 1);
  set(CU_DEVICE_ATTRIBUTE_CAN_USE_STREAM_WAIT_VALUE_NOR, 1);
  return d;
}

void ResetLocked() {
  State& s = state();
  for (auto& [address, allocation] : s.allocations) free(reinterpret_cast<void*>(address));
  s.allocations.clear();
  s.allocated_bytes = 0;
  for (auto& [address, allocation] : s.host_allocations) free(reinterpret_cast<void*>(address));
  s.host_allocations.clear();
  s.peer_access.clear();
  for (CUmod_st* m : s.modules) delete m;
  s.modules.clear();
  s.functions.clear();
  for (CUstream_st* st : s.streams) delete st;
  s.streams.clear();
  for (CUevent_st* e : s.events) delete e;
  s.events.clear();
  s.driver_version = 13000;
  s.device_count = 1;
  for (Device& d : s.devices) d = DefaultDevice();
  for (CUctx_st& c : s.primary) c.refs = 0;
  s.clock_us = 0;
  s.default_duration_us = 10;
  s.durations_us.clear();
  s.launches = 0;
  s.module_loads = 0;
  s.launches_of.clear();
  s.kept_launches.clear();
  s.faults.clear();
  s.hidden.clear();
  s.calls.clear();
  s.injected.clear();
  s.misuses = 0;
  s.last_misuse.clear();
  ContextStack().clear();
}

Call::Call(const char* name) : name_(name), lock_(state_mutex()) {
  State& s = state();
  ++s.calls[name];
  auto it = s.faults.find(name);
  if (it == s.faults.end()) return;
  Fault& f = it->second;
  if (f.succeed_first > 0) {
    --f.succeed_first;
    return;
  }
  if (f.fail_times == 0) return;
  if (f.fail_times > 0) --f.fail_times;
  ++s.injected[name];
  fault_ = f.result;
}

CUresult Call::Misuse(CUresult result, const std::string& why) {
  ++state().misuses;
  state().last_misuse = std::string(name_) + ": " + why;
  return result;
}

CUcontext Call::RequireContext(CUresult* error) {
  const std::vector<CUcontext>& stack = ContextStack();
  if (stack.empty()) {
    *error = Misuse(CUDA_ERROR_INVALID_CONTEXT, "no current context on the calling thread");
    return nullptr;
  }
  CUcontext current = stack.back();
  if (current->refs <= 0) {
    *error = Misuse(CUDA_ERROR_CONTEXT_IS_DESTROYED, "the current context is a released primary context");
    return nullptr;
  }
  return current;
}

bool Call::ValidStream(CUstream stream) const {
  return stream == nullptr || stream == CU_STREAM_LEGACY || stream == CU_STREAM_PER_THREAD ||
         state().streams.count(stream) > 0;
}

const Allocation* Call::DeviceRange(CUdeviceptr address, size_t bytes) const {
  const auto& allocations = state().allocations;
  auto it = allocations.upper_bound(static_cast<uintptr_t>(address));
  if (it == allocations.begin()) return nullptr;
  --it;
  const uintptr_t offset = static_cast<uintptr_t>(address) - it->first;
  if (offset > it->second.bytes || bytes > it->second.bytes - offset) return nullptr;
  return &it->second;
}

}  // namespace fake
