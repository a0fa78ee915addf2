// SPDX-License-Identifier: Apache-2.0
// The fake driver's state: devices, contexts, memory, modules, streams, events, the clock, the launch
// records and the injected faults, behind one mutex. Every entry point starts with a Call, which takes
// the mutex, counts the call and applies an injected fault; the entry point then works on state().
#pragma once

#include <cuda.h>
#include <stdint.h>

#include <array>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "fake_cuda_control.h"
#include "fake_image.h"

// The handle types cuda.h declares opaque; the fake defines them. A handle is valid while it is in its
// live set below: the fake never dereferences one it has not checked.
struct CUctx_st {
  int device = 0;
  int64_t refs = 0;  // primary-context retains minus releases
};

struct CUmod_st;

struct CUfunc_st {
  CUmod_st* module = nullptr;
  fake::KernelInfo kernel;
  int max_dynamic_shared = 48 * 1024;  // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES: the driver's default
  int carveout = -1;
};

struct CUmod_st {
  CUcontext context = nullptr;
  std::map<std::string, std::unique_ptr<CUfunc_st>> functions;  // by name, created on first lookup
  std::vector<fake::KernelInfo> kernels;                           // what the image defines
};

struct CUstream_st {
  CUcontext context = nullptr;
  unsigned flags = 0;
};

struct CUevent_st {
  unsigned flags = 0;
  bool recorded = false;
  double time_us = 0;
};

namespace fake {

struct Fault {
  CUresult result = CUDA_SUCCESS;
  int64_t succeed_first = 0;
  int64_t fail_times = 0;  // < 0: forever
};

struct Device {
  std::string name;
  uint64_t total_memory = 0;
  std::array<int, CU_DEVICE_ATTRIBUTE_MAX> attributes{};
};

struct Allocation {
  size_t bytes = 0;
  int device = 0;
};

struct HostAllocation {
  size_t bytes = 0;
  unsigned flags = 0;
};

struct State {
  bool initialized = false;  // sticky across resets (see fake_cuda_reset)
  int driver_version = 13000;
  int device_count = 1;
  std::array<Device, FAKE_CUDA_MAX_DEVICES> devices;
  std::array<CUctx_st, FAKE_CUDA_MAX_DEVICES> primary;  // stable handles: one primary context per device

  std::map<uintptr_t, Allocation> allocations;  // by address, for range lookups
  int64_t allocated_bytes = 0;
  std::map<uintptr_t, HostAllocation> host_allocations;
  std::set<std::pair<int, int>> peer_access;  // (device, peer): device may read and write peer's memory
  std::set<CUmod_st*> modules;
  std::unordered_map<CUfunc_st*, CUmod_st*> functions;
  std::set<CUstream_st*> streams;
  std::set<CUevent_st*> events;

  double clock_us = 0;
  double default_duration_us = 10;
  std::map<std::string, double> durations_us;
  int64_t launches = 0;
  int64_t module_loads = 0;
  std::map<std::string, int64_t> launches_of;
  std::deque<fake_cuda_launch> kept_launches;  // the latest FAKE_CUDA_KEPT_LAUNCHES

  std::map<std::string, Fault> faults;
  std::set<std::string> hidden;
  std::map<std::string, int64_t> calls;
  std::map<std::string, int64_t> injected;
  std::map<std::string, int> requested_versions;  // kept across resets
  int64_t misuses = 0;
  std::string last_misuse;
};

// The one state of the process; never destroyed, so that nothing depends on the order of static
// destructors between kconv, the tests and this library.
State& state();
std::mutex& state_mutex();

// Default values of a fresh device.
Device DefaultDevice();

// Frees every allocation, module, stream and event and sets everything but cuInit and the requested
// versions back to the defaults. Requires the lock.
void ResetLocked();

// Whether `name` is an entry point the fake implements (fake_proc_address.cc).
bool IsEntryPoint(const std::string& name);

// The calling thread's stack of current contexts (cuCtxPushCurrent / cuCtxPopCurrent).
std::vector<CUcontext>& ContextStack();

// One entry-point call: holds the state's lock for its lifetime, counts the call and applies an injected
// fault (fault() is then that result and the entry point returns it at once, writing nothing).
class Call {
 public:
  explicit Call(const char* name);
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  CUresult fault() const { return fault_; }
  State& s() { return state(); }

  // Refuses the call as API misuse: counted, remembered for fake_cuda_last_misuse, returned.
  CUresult Misuse(CUresult result, const std::string& why);

  // The current context of the calling thread, if it is usable (a retained primary context); else
  // nullptr, with *error set to the misuse result (CUDA_ERROR_INVALID_CONTEXT).
  CUcontext RequireContext(CUresult* error);

  // Checks: a stream handle (0, the legacy and per-thread defaults, or live), an event, a function.
  bool ValidStream(CUstream stream) const;
  bool ValidEvent(CUevent event) const { return state().events.count(event) > 0; }
  bool ValidFunction(CUfunction function) const { return state().functions.count(function) > 0; }
  bool ValidDevice(CUdevice device) const { return device >= 0 && device < state().device_count; }

  // The device allocation holding [address, address + bytes), or nullptr.
  const Allocation* DeviceRange(CUdeviceptr address, size_t bytes) const;

 private:
  const char* name_;
  std::lock_guard<std::mutex> lock_;
  CUresult fault_ = CUDA_SUCCESS;
};

}  // namespace fake
