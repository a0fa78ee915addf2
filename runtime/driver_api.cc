// SPDX-License-Identifier: Apache-2.0
#include "runtime/driver_api.h"

#include <dlfcn.h>

#include "absl/strings/str_cat.h"

namespace kconv {
namespace {

// cuGetProcAddress_v2 (CUDA 12.0+) reports why a symbol is missing; cuGetProcAddress (11.3+) does not.
using GetProcAddressV2 = CUresult (*)(const char*, void**, int, cuuint64_t, CUdriverProcAddressQueryResult*);
using GetProcAddressV1 = CUresult (*)(const char*, void**, int, cuuint64_t);

absl::StatusOr<const DriverApi*> Load(const char* library_path) {
  void* handle = dlopen(library_path, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return absl::UnavailableError(absl::StrCat("no CUDA driver: dlopen(\"", library_path, "\") failed: ",
                                               why ? why : "unknown reason",
                                               "; install the NVIDIA driver, or use kconv_forward_host"));
  }
  auto v2 = reinterpret_cast<GetProcAddressV2>(dlsym(handle, "cuGetProcAddress_v2"));
  auto v1 = reinterpret_cast<GetProcAddressV1>(dlsym(handle, "cuGetProcAddress"));
  if (v2 == nullptr && v1 == nullptr) {
    dlclose(handle);
    return absl::UnavailableError(absl::StrCat("\"", library_path,
                                               "\" is not a usable CUDA driver: it has no cuGetProcAddress "
                                               "(a driver for CUDA 11.3 or newer is required)"));
  }
  auto* api = new DriverApi();
  api->library = handle;
  auto resolve = [&](const char* name, void** slot, int version) -> absl::Status {
    CUresult r;
    if (v2 != nullptr) {
      CUdriverProcAddressQueryResult found;
      r = v2(name, slot, version, CU_GET_PROC_ADDRESS_LEGACY_STREAM, &found);
    } else {
      r = v1(name, slot, version, CU_GET_PROC_ADDRESS_LEGACY_STREAM);
    }
    if (r != CUDA_SUCCESS || *slot == nullptr) {
      return absl::UnavailableError(absl::StrCat("the CUDA driver in \"", library_path, "\" lacks ", name,
                                                 " (ABI of CUDA ", version / 1000, ".", version % 1000 / 10,
                                                 "); update the NVIDIA driver"));
    }
    return absl::OkStatus();
  };
#define KCONV_RESOLVE_DRIVER_POINTER(name, version)                                        \
  if (absl::Status s = resolve(#name, reinterpret_cast<void**>(&api->name), version); !s.ok()) { \
    delete api;                                                                            \
    dlclose(handle);                                                                       \
    return s;                                                                              \
  }
  KCONV_DRIVER_FUNCTIONS(KCONV_RESOLVE_DRIVER_POINTER)
#undef KCONV_RESOLVE_DRIVER_POINTER
#define KCONV_RESOLVE_OPTIONAL_DRIVER_POINTER(name, version) \
  if (!resolve(#name, reinterpret_cast<void**>(&api->name), version).ok()) api->name = nullptr;
  KCONV_OPTIONAL_DRIVER_FUNCTIONS(KCONV_RESOLVE_OPTIONAL_DRIVER_POINTER)
#undef KCONV_RESOLVE_OPTIONAL_DRIVER_POINTER

  if (CUresult r = api->cuInit(0); r != CUDA_SUCCESS) {
    absl::Status s = CuResultToStatus(api, r, "cuInit(0)");
    delete api;
    dlclose(handle);
    // cuInit fails with NO_DEVICE on machines with a driver but no GPU; anything else means the driver
    // itself is unusable (mismatched kernel module, container without device nodes, ...).
    if (r == CUDA_ERROR_NO_DEVICE) return absl::NotFoundError(absl::StrCat("no CUDA device: ", s.message()));
    return absl::UnavailableError(absl::StrCat("the CUDA driver failed to initialise: ", s.message()));
  }
  api->cuDriverGetVersion(&api->driver_version);
  return api;
}

// The driver of this process, released when the library is unloaded: its destructor runs at dlclose (and
// at exit), so that unloading kconv also closes libcuda.so.1 and frees the table.
class ProcessDriver {
 public:
  ProcessDriver() : loaded_(Load("libcuda.so.1")) {}
  ~ProcessDriver() {
    if (!loaded_.ok()) return;
    const DriverApi* api = *loaded_;
    void* library = api->library;
    delete api;
    dlclose(library);
  }
  ProcessDriver(const ProcessDriver&) = delete;
  ProcessDriver& operator=(const ProcessDriver&) = delete;
  const absl::StatusOr<const DriverApi*>& loaded() const { return loaded_; }

 private:
  absl::StatusOr<const DriverApi*> loaded_;
};

}  // namespace

absl::StatusOr<const DriverApi*> Driver() {
  static const ProcessDriver driver;
  return driver.loaded();
}

absl::StatusOr<const DriverApi*> LoadDriverFrom(const char* library_path) { return Load(library_path); }

absl::Status CuResultToStatus(const DriverApi* api, CUresult result, absl::string_view what) {
  if (result == CUDA_SUCCESS) return absl::OkStatus();
  const char* name = nullptr;
  const char* text = nullptr;
  if (api != nullptr && api->cuGetErrorName != nullptr) api->cuGetErrorName(result, &name);
  if (api != nullptr && api->cuGetErrorString != nullptr) api->cuGetErrorString(result, &text);
  const std::string message = absl::StrCat(what, " failed: ", name ? name : "CUDA error",
                                           " (", static_cast<int>(result), "): ", text ? text : "no description");
  switch (result) {
    case CUDA_ERROR_OUT_OF_MEMORY:
      return absl::ResourceExhaustedError(message);
    case CUDA_ERROR_NO_DEVICE:
    case CUDA_ERROR_INVALID_DEVICE:
      return absl::NotFoundError(message);
    default:
      return absl::InternalError(message);
  }
}

ScopedCuContext::ScopedCuContext(const DriverApi* api, CUcontext context) : api_(api) {
  CUcontext current = nullptr;
  if (api_->cuCtxGetCurrent(&current) == CUDA_SUCCESS && current == context) return;
  status_ = CuResultToStatus(api_, api_->cuCtxPushCurrent(context), "cuCtxPushCurrent");
  pushed_ = status_.ok();
}

ScopedCuContext::~ScopedCuContext() {
  if (!pushed_) return;
  CUcontext popped = nullptr;
  api_->cuCtxPopCurrent(&popped);
}

}  // namespace kconv
