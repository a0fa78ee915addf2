// SPDX-License-Identifier: Apache-2.0
// The CUDA driver, loaded at run time: dlopen("libcuda.so.1") once, then every entry point through
// cuGetProcAddress with the CUDA version whose ABI the declaration in cuda.h has (plain dlsym would hand
// back the oldest ABI of versioned functions such as cuMemAlloc). kconv never links libcuda or libcudart.
#pragma once

#include <cuda.h>

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kconv {

// The driver entry points kconv, its tests and its tools use.
#define KCONV_DRIVER_FUNCTIONS(X)                      \
  X(cuInit, 2000)                                      \
  X(cuDriverGetVersion, 2020)                          \
  X(cuGetErrorName, 6000)                              \
  X(cuGetErrorString, 6000)                            \
  X(cuDeviceGetCount, 2000)                            \
  X(cuDeviceGet, 2000)                                 \
  X(cuDeviceGetName, 2000)                             \
  X(cuDeviceGetAttribute, 2000)                        \
  X(cuDeviceTotalMem, 3020)                            \
  X(cuDevicePrimaryCtxRetain, 7000)                    \
  X(cuDevicePrimaryCtxRelease, 11000)                  \
  X(cuCtxGetCurrent, 4000)                             \
  X(cuCtxPushCurrent, 4000)                            \
  X(cuCtxPopCurrent, 4000)                             \
  X(cuCtxGetDevice, 2000)                              \
  X(cuCtxSynchronize, 2000)                            \
  X(cuModuleLoadData, 2000)                            \
  X(cuModuleUnload, 2000)                              \
  X(cuModuleGetFunction, 2000)                         \
  X(cuFuncGetAttribute, 2020)                          \
  X(cuFuncSetAttribute, 9000)                          \
  X(cuLaunchKernel, 4000)                              \
  X(cuOccupancyMaxActiveBlocksPerMultiprocessor, 6050) \
  X(cuMemAlloc, 3020)                                  \
  X(cuMemFree, 3020)                                   \
  X(cuMemAllocAsync, 11020)                            \
  X(cuMemFreeAsync, 11020)                             \
  X(cuMemGetInfo, 3020)                                \
  X(cuMemcpyHtoD, 3020)                                \
  X(cuMemcpyDtoH, 3020)                                \
  X(cuMemsetD32, 3020)                                 \
  X(cuMemsetD32Async, 3020)                            \
  X(cuStreamCreate, 2000)                              \
  X(cuStreamDestroy, 4000)                             \
  X(cuStreamSynchronize, 2000)                         \
  X(cuEventCreate, 2000)                               \
  X(cuEventDestroy, 4000)                              \
  X(cuEventRecord, 2000)                               \
  X(cuEventQuery, 2000)                                \
  X(cuEventSynchronize, 2000)                          \
  X(cuEventElapsedTime, 2000)

// Functions kconv can do without: null when the driver lacks them (the Hopper kernel then copies its
// input bands without the tensor-copy engine; the autotuner times without holding the stream at a gate;
// tensors are not checked for belonging to another device).
#define KCONV_OPTIONAL_DRIVER_FUNCTIONS(X) \
  X(cuTensorMapEncodeTiled, 12000)         \
  X(cuStreamWaitValue32, 12000)            \
  X(cuMemHostAlloc, 3020)                  \
  X(cuMemHostGetDevicePointer, 3020)       \
  X(cuMemFreeHost, 2000)                   \
  X(cuPointerGetAttributes, 7000)          \
  X(cuPointerGetAttribute, 4000)

struct DriverApi {
#define KCONV_DECLARE_DRIVER_POINTER(name, version) decltype(&::name) name = nullptr;
  KCONV_DRIVER_FUNCTIONS(KCONV_DECLARE_DRIVER_POINTER)
  KCONV_OPTIONAL_DRIVER_FUNCTIONS(KCONV_DECLARE_DRIVER_POINTER)
#undef KCONV_DECLARE_DRIVER_POINTER
  int driver_version = 0;  // as cuDriverGetVersion reports it, e.g. 13000
  void* library = nullptr;  // the dlopen handle of the driver library
};

// The process-wide driver: loaded and cuInit'ed on the first call; the outcome (success or the reason
// for failure) is kept until the library is unloaded (dlclose, or the process's exit), which closes the
// driver library and frees the table. UNAVAILABLE when there is no usable driver.
absl::StatusOr<const DriverApi*> Driver();

// Loads a driver from `library_path` without caching; for tests of the failure paths. The returned
// table is leaked on purpose: its functions must outlive every module that uses them.
absl::StatusOr<const DriverApi*> LoadDriverFrom(const char* library_path);

// Converts a driver result into a status: out of memory -> RESOURCE_EXHAUSTED, no device -> NOT_FOUND,
// anything else -> INTERNAL with the driver's error name and text and `what` (the call that failed).
absl::Status CuResultToStatus(const DriverApi* api, CUresult result, absl::string_view what);

// Makes `context` current for the scope (push/pop), unless it already is.
class ScopedCuContext {
 public:
  ScopedCuContext(const DriverApi* api, CUcontext context);
  ~ScopedCuContext();
  ScopedCuContext(const ScopedCuContext&) = delete;
  ScopedCuContext& operator=(const ScopedCuContext&) = delete;
  const absl::Status& status() const { return status_; }

 private:
  const DriverApi* api_;
  bool pushed_ = false;
  absl::Status status_;
};

}  // namespace kconv

#define KCONV_CU_RETURN_IF_ERROR(api, call) \
  KCONV_RETURN_IF_ERROR(::kconv::CuResultToStatus((api), (api)->call, #call))
