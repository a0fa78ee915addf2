// SPDX-License-Identifier: Apache-2.0
// The devices the multi-GPU cases run on, and the contexts they work in. With fewer than two devices visible
// the cases skip, printing why; KCONV_TEST_MULTI_GPU_ON_ONE_DEVICE=1 then runs them over two kconv contexts
// of device 0, which share its one primary CUDA context: that exercises the threads, plans and caches, not
// the isolation of two devices (the cases that need two different devices say so and skip).
#pragma once

#include <string>
#include <vector>

#include "gpu_harness.h"
#include "kconv/kconv.h"

namespace kconv_test {

struct MultiGpuDevices {
  std::vector<int> ordinals;  // one slot per kconv context; empty: skip
  bool distinct = false;      // the slots are different devices
  std::string why;            // the reason for skipping
};
const MultiGpuDevices& TestDevices();

#define KCONV_SKIP_WITHOUT_TWO_DEVICES()                    \
  if (TestDevices().ordinals.empty()) {                     \
    MESSAGE("multi_gpu skipped: " << TestDevices().why);    \
    return;                                                 \
  }

// Device `ordinal`'s primary context, retained for the rest of the process, with the test kernels loaded in
// it: the harness keeps them per context, and a primary context released to nothing would take them along.
CUcontext Primary(int ordinal);

// `context` current on this thread for the scope.
class CurrentContext {
 public:
  explicit CurrentContext(CUcontext context);
  ~CurrentContext();
  CurrentContext(const CurrentContext&) = delete;
  CurrentContext& operator=(const CurrentContext&) = delete;
  bool ok() const { return ok_; }

 private:
  bool ok_;
};

// A kconv context on device `ordinal` with the given tuning cache ("" for none); REQUIREs success.
kconv_context* ContextOn(int ordinal, const char* tuning_cache = "");

}  // namespace kconv_test
