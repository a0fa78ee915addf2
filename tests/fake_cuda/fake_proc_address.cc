// SPDX-License-Identifier: Apache-2.0
// The fake's only driver exports: cuGetProcAddress_v2 and cuGetProcAddress (the 11.3 signature), which
// look entry points up by name, as kconv resolves its whole table. Each table row casts the fake's
// implementation to the type of cuda.h's declaration, so a signature that differs does not compile.
#include <string.h>

#include <string>

#include "fake_entry_points.h"
#include "fake_state.h"

#undef cuGetProcAddress  // cuda.h maps it to _v2; the 11.3 signature is exported under the plain name too

namespace fake {
namespace {

// name, and the CUDA version whose ABI cuda.h declares (a lookup at an older version would get an older
// ABI from the real driver, which the fake does not have: it reports the symbol as missing then).
#define FAKE_ENTRY_POINTS(X)                           \
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
  X(cuMemHostAlloc, 2020)                              \
  X(cuMemHostGetDevicePointer, 3020)                   \
  X(cuMemFreeHost, 2000)                               \
  X(cuPointerGetAttributes, 7000)                      \
  X(cuPointerGetAttribute, 4000)                       \
  X(cuStreamCreate, 2000)                              \
  X(cuStreamDestroy, 4000)                             \
  X(cuStreamSynchronize, 2000)                         \
  X(cuStreamWaitValue32, 11070)                        \
  X(cuEventCreate, 2000)                               \
  X(cuEventDestroy, 4000)                              \
  X(cuEventRecord, 2000)                               \
  X(cuEventQuery, 2000)                                \
  X(cuEventSynchronize, 2000)                          \
  X(cuEventElapsedTime, 2000)                          \
  X(cuTensorMapEncodeTiled, 12000)

struct EntryPoint {
  const char* name;
  void* function;
  int abi_version;
};

// `name` is stringified and pasted unexpanded, but expands (cuMemAlloc -> cuMemAlloc_v2) inside decltype
// and in fake::name: the row pairs kconv's name with the declaration cuda.h compiles it against.
#define FAKE_ENTRY_ROW(name, version) \
  {#name, reinterpret_cast<void*>(static_cast<decltype(&::name)>(&fake::name)), version},
const EntryPoint kEntryPoints[] = {FAKE_ENTRY_POINTS(FAKE_ENTRY_ROW)};
#undef FAKE_ENTRY_ROW

const EntryPoint* FindEntryPoint(const char* name) {
  for (const EntryPoint& e : kEntryPoints)
    if (strcmp(e.name, name) == 0) return &e;
  return nullptr;
}

CUresult Lookup(const char* api, const char* symbol, void** pfn, int version, CUdriverProcAddressQueryResult* status) {
  Call call(api);
  if (call.fault()) return call.fault();
  if (pfn == nullptr || symbol == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "NULL symbol or pfn");
  *pfn = nullptr;
  auto report = [&](CUdriverProcAddressQueryResult r) {
    if (status != nullptr) *status = r;
  };
  call.s().requested_versions[symbol] = version;
  const EntryPoint* e = FindEntryPoint(symbol);
  if (e == nullptr || call.s().hidden.count(symbol) > 0) {
    report(CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
    return CUDA_ERROR_NOT_FOUND;
  }
  if (version < e->abi_version) {
    report(CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT);
    return CUDA_ERROR_NOT_FOUND;
  }
  *pfn = e->function;
  report(CU_GET_PROC_ADDRESS_SUCCESS);
  return CUDA_SUCCESS;
}

}  // namespace

bool IsEntryPoint(const std::string& name) { return FindEntryPoint(name.c_str()) != nullptr; }

}  // namespace fake

extern "C" __attribute__((visibility("default"))) CUresult cuGetProcAddress_v2(
    const char* symbol, void** pfn, int cudaVersion, cuuint64_t, CUdriverProcAddressQueryResult* symbolStatus) {
  return fake::Lookup("cuGetProcAddress_v2", symbol, pfn, cudaVersion, symbolStatus);
}

extern "C" __attribute__((visibility("default"))) CUresult cuGetProcAddress(const char* symbol, void** pfn,
                                                                           int cudaVersion, cuuint64_t) {
  return fake::Lookup("cuGetProcAddress", symbol, pfn, cudaVersion, nullptr);
}
