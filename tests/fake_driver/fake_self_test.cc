// SPDX-License-Identifier: Apache-2.0
// The fake itself behaves as a driver where kconv relies on it: lookups by name at an ABI version, faults
// that fire on the call asked for, images whose kernels it reads, launches it checks and records, and a
// clock that events measure. Called through kconv's own table, which is the fake's: kconv loaded it.
#include <doctest/doctest.h>
#include <dlfcn.h>
#include <string.h>

#include <algorithm>
#include <string>

#include "elf_view.h"
#include "fake_fixture.h"
#include "runtime/blob_registry.h"
#include "runtime/driver_api.h"

namespace {

using fake_test::FakeDriver;

const kconv::DriverApi& Api() {
  static const kconv::DriverApi* api = *kconv::Driver();
  return *api;
}

// The primary context of device 0, retained and current for the scope.
class CurrentPrimary {
 public:
  CurrentPrimary() {
    REQUIRE(Api().cuDevicePrimaryCtxRetain(&context_, 0) == CUDA_SUCCESS);
    REQUIRE(Api().cuCtxPushCurrent(context_) == CUDA_SUCCESS);
  }
  ~CurrentPrimary() {
    CUcontext popped = nullptr;
    Api().cuCtxPopCurrent(&popped);
    Api().cuDevicePrimaryCtxRelease(0);
  }

 private:
  CUcontext context_ = nullptr;
};

// A small PTX module with one kernel whose single parameter is 24 bytes.
constexpr char kPtx[] =
    ".version 8.0\n.target sm_80\n.address_size 64\n"
    ".visible .entry fake_test_kernel(\n\t.param .align 8 .b8 fake_test_kernel_param_0[24]\n)\n{\n\tret;\n}\n";

const kconv::Blob& CubinFor(int arch) {
  const auto blobs = kconv::Blobs();
  auto it = std::find_if(blobs.begin(), blobs.end(),
                         [&](const kconv::Blob& b) { return b.kind == kconv::BlobKind::kCubin && b.arch == arch; });
  REQUIRE(it != blobs.end());
  return *it;
}

}  // namespace

TEST_CASE("fake_driver.fake.exports_only_the_lookups_and_the_controls") {
  const auto bytes = kconv_test::ReadFile(KCONV_FAKE_CUDA_LIBRARY);
  const kconv_test::ElfSummary elf = kconv_test::ReadElf(bytes);
  REQUIRE_MESSAGE(elf.ok, elf.error);
  std::vector<std::string> driver_exports;
  for (const std::string& name : elf.exported_symbols) {
    if (name.rfind("cu", 0) == 0) driver_exports.push_back(name);
  }
  std::sort(driver_exports.begin(), driver_exports.end());
  // Every other entry point is reached through the lookups, as kconv reaches them.
  CHECK(driver_exports == std::vector<std::string>{"cuGetProcAddress", "cuGetProcAddress_v2"});
  CHECK(std::count(elf.exported_symbols.begin(), elf.exported_symbols.end(), "fake_cuda_reset") == 1);
}

TEST_CASE("fake_driver.fake.kconv_loaded_the_fake") {
  FakeDriver fake;
  // kconv's table calls into this fake: its call counters move.
  int version = 0;
  REQUIRE(Api().cuDriverGetVersion(&version) == CUDA_SUCCESS);
  CHECK(version == 13000);
  CHECK(fake_cuda_calls("cuDriverGetVersion") == 1);
  // It asked for every entry point at the version it lists, which the fake's ABI table accepted.
#define KCONV_TEST_CHECK_VERSION(name, version) CHECK(fake_cuda_requested_version(#name) == version);
  KCONV_DRIVER_FUNCTIONS(KCONV_TEST_CHECK_VERSION)
  KCONV_OPTIONAL_DRIVER_FUNCTIONS(KCONV_TEST_CHECK_VERSION)
#undef KCONV_TEST_CHECK_VERSION
  CHECK((Api().cuTensorMapEncodeTiled != nullptr));
  CHECK((Api().cuStreamWaitValue32 != nullptr));
}

TEST_CASE("fake_driver.fake.lookups_find_known_names_at_their_abi_only") {
  FakeDriver fake;
  void* pfn = reinterpret_cast<void*>(1);
  CUdriverProcAddressQueryResult found = CU_GET_PROC_ADDRESS_SUCCESS;
  CHECK(cuGetProcAddress_v2("cuNoSuchEntryPoint", &pfn, 13000, 0, &found) == CUDA_ERROR_NOT_FOUND);
  CHECK(pfn == nullptr);
  CHECK(found == CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
  // cuMemAlloc at 2.0 is the 32-bit ABI, which the fake does not have.
  CHECK(cuGetProcAddress_v2("cuMemAlloc", &pfn, 2000, 0, &found) == CUDA_ERROR_NOT_FOUND);
  CHECK(found == CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT);
  REQUIRE(cuGetProcAddress_v2("cuMemAlloc", &pfn, 3020, 0, &found) == CUDA_SUCCESS);
  CHECK(pfn == reinterpret_cast<void*>(Api().cuMemAlloc));
  // The 11.3 lookup, without the status, finds the same functions.
  using V1 = CUresult (*)(const char*, void**, int, cuuint64_t);
  void* library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
  REQUIRE(library != nullptr);
  const auto v1 = reinterpret_cast<V1>(dlsym(library, "cuGetProcAddress"));
  dlclose(library);
  REQUIRE((v1 != nullptr));
  void* again = nullptr;
  REQUIRE(v1("cuMemAlloc", &again, 3020, 0) == CUDA_SUCCESS);
  CHECK(again == pfn);
  // A hidden name is missing, as in an older driver.
  REQUIRE(fake_cuda_hide_symbol("cuMemAlloc") == 0);
  CHECK(v1("cuMemAlloc", &again, 3020, 0) == CUDA_ERROR_NOT_FOUND);
  CHECK(again == nullptr);
  CHECK(fake_cuda_hide_symbol("cuNoSuchEntryPoint") == -1);
  CHECK(fake_cuda_fail("cuNoSuchEntryPoint", CUDA_ERROR_UNKNOWN, 0, 1) == -1);
}

TEST_CASE("fake_driver.fake.injected_faults_fire_on_the_call_asked_for") {
  FakeDriver fake;
  CurrentPrimary current;
  REQUIRE(fake_cuda_fail("cuMemAlloc", CUDA_ERROR_OUT_OF_MEMORY, 2, 1) == 0);  // the 3rd call fails, once
  CUdeviceptr p[4] = {};
  CHECK(Api().cuMemAlloc(&p[0], 64) == CUDA_SUCCESS);
  CHECK(Api().cuMemAlloc(&p[1], 64) == CUDA_SUCCESS);
  CHECK(Api().cuMemAlloc(&p[2], 64) == CUDA_ERROR_OUT_OF_MEMORY);
  CHECK(p[2] == 0);  // a failing call writes nothing
  CHECK(Api().cuMemAlloc(&p[3], 64) == CUDA_SUCCESS);
  CHECK(fake_cuda_injected_failures("cuMemAlloc") == 1);
  CHECK(fake_cuda_calls("cuMemAlloc") == 4);
  CHECK(FakeDriver::Counters().allocations == 3);
  CHECK(FakeDriver::Counters().allocated_bytes == 192);
  for (CUdeviceptr q : p) CHECK(Api().cuMemFree(q) == CUDA_SUCCESS);  // cuMemFree(0) is a no-op
  // A pointer freed twice is refused, not freed again.
  CHECK(Api().cuMemFree(p[0]) == CUDA_ERROR_INVALID_VALUE);
  fake.AllowMisuses(1);
}

TEST_CASE("fake_driver.fake.memory_is_host_memory_checked_against_its_allocations") {
  FakeDriver fake;
  CurrentPrimary current;
  CUdeviceptr p = 0;
  REQUIRE(Api().cuMemAlloc(&p, 16) == CUDA_SUCCESS);
  CHECK(p % 256 == 0);
  REQUIRE(Api().cuMemsetD32(p, 0x3f800000u, 4) == CUDA_SUCCESS);
  float back[4] = {};
  REQUIRE(Api().cuMemcpyDtoH(back, p, sizeof(back)) == CUDA_SUCCESS);
  CHECK(back[3] == 1.0f);
  // Past the end of the allocation: refused, nothing written.
  CHECK(Api().cuMemsetD32(p, 0, 5) == CUDA_ERROR_INVALID_VALUE);
  size_t free_bytes = 0, total = 0;
  REQUIRE(Api().cuMemGetInfo(&free_bytes, &total) == CUDA_SUCCESS);
  CHECK(total == (size_t{80} << 30));
  CHECK(total - free_bytes == 16);
  REQUIRE(Api().cuMemFree(p) == CUDA_SUCCESS);
  // A device with little memory runs out by itself.
  REQUIRE(fake_cuda_set_total_memory(0, 1000) == 0);
  CHECK(Api().cuMemAlloc(&p, 1001) == CUDA_ERROR_OUT_OF_MEMORY);
  fake.AllowMisuses(1);
}

TEST_CASE("fake_driver.fake.modules_define_the_kernels_their_images_name") {
  FakeDriver fake;
  CurrentPrimary current;
  const kconv::Blob& cubin = CubinFor(90);
  CUmodule module = nullptr;
  REQUIRE(Api().cuModuleLoadData(&module, cubin.begin) == CUDA_SUCCESS);
  CUfunction function = nullptr;
  CHECK(Api().cuModuleGetFunction(&function, module, cubin.kernel_symbol) == CUDA_SUCCESS);
  CHECK(function != nullptr);
  // A prefix of a kernel's name is no kernel: symbols are matched whole.
  const std::string prefix = std::string(cubin.kernel_symbol).substr(0, strlen(cubin.kernel_symbol) - 1);
  CHECK(Api().cuModuleGetFunction(&function, module, prefix.c_str()) == CUDA_ERROR_NOT_FOUND);
  int registers = 0;
  CHECK(Api().cuModuleGetFunction(&function, module, cubin.kernel_symbol) == CUDA_SUCCESS);
  REQUIRE(Api().cuFuncGetAttribute(&registers, CU_FUNC_ATTRIBUTE_NUM_REGS, function) == CUDA_SUCCESS);
  CHECK(registers > 0);
  CHECK(Api().cuModuleUnload(module) == CUDA_SUCCESS);
  // After the unload its functions are gone.
  CHECK(Api().cuFuncGetAttribute(&registers, CU_FUNC_ATTRIBUTE_NUM_REGS, function) == CUDA_ERROR_INVALID_HANDLE);
  // A cubin for another architecture does not load.
  CHECK(Api().cuModuleLoadData(&module, CubinFor(80).begin) == CUDA_ERROR_NO_BINARY_FOR_GPU);
  CHECK(FakeDriver::Counters().module_loads == 1);
  fake.AllowMisuses(3);
}

TEST_CASE("fake_driver.fake.launches_are_checked_recorded_and_timed") {
  FakeDriver fake;
  CurrentPrimary current;
  CUmodule module = nullptr;
  REQUIRE(Api().cuModuleLoadData(&module, kPtx) == CUDA_SUCCESS);
  CUfunction f = nullptr;
  REQUIRE(Api().cuModuleGetFunction(&f, module, "fake_test_kernel") == CUDA_SUCCESS);
  unsigned char params[24];
  for (int i = 0; i < 24; ++i) params[i] = static_cast<unsigned char>(i + 1);
  void* args[] = {params};
  fake_cuda_set_kernel_duration_us("fake_test_kernel", 25);
  CUevent start = nullptr, end = nullptr;
  REQUIRE(Api().cuEventCreate(&start, CU_EVENT_DEFAULT) == CUDA_SUCCESS);
  REQUIRE(Api().cuEventCreate(&end, CU_EVENT_DEFAULT) == CUDA_SUCCESS);
  REQUIRE(Api().cuEventRecord(start, nullptr) == CUDA_SUCCESS);
  REQUIRE(Api().cuLaunchKernel(f, 3, 2, 1, 128, 1, 1, 1024, nullptr, args, nullptr) == CUDA_SUCCESS);
  REQUIRE(Api().cuEventRecord(end, nullptr) == CUDA_SUCCESS);
  float ms = 0;
  REQUIRE(Api().cuEventElapsedTime(&ms, start, end) == CUDA_SUCCESS);
  CHECK(ms == doctest::Approx(0.025));
  fake_cuda_launch launch;
  REQUIRE(fake_cuda_get_launch(0, &launch) == 0);
  CHECK(std::string(launch.function) == "fake_test_kernel");
  CHECK(launch.grid[0] == 3);
  CHECK(launch.grid[1] == 2);
  CHECK(launch.block[0] == 128);
  CHECK(launch.shared_bytes == 1024);
  CHECK(launch.param_bytes == 24);  // from the PTX's declaration: no byte past the caller's struct
  CHECK(memcmp(launch.params, params, 24) == 0);
  // Beyond the limits: too many threads, more dynamic shared memory than the function allows until it
  // is raised, a grid of zero blocks.
  CHECK(Api().cuLaunchKernel(f, 1, 1, 1, 1025, 1, 1, 0, nullptr, args, nullptr) == CUDA_ERROR_INVALID_VALUE);
  CHECK(Api().cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 64 * 1024, nullptr, args, nullptr) == CUDA_ERROR_INVALID_VALUE);
  REQUIRE(Api().cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 64 * 1024) == CUDA_SUCCESS);
  CHECK(Api().cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 64 * 1024, nullptr, args, nullptr) == CUDA_SUCCESS);
  CHECK(Api().cuLaunchKernel(f, 0, 1, 1, 32, 1, 1, 0, nullptr, args, nullptr) == CUDA_ERROR_INVALID_VALUE);
  CHECK(fake_cuda_launches_of("fake_test_kernel") == 2);
  int blocks = -1;
  REQUIRE(Api().cuOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, f, 256, 100 * 1024) == CUDA_SUCCESS);
  CHECK(blocks == 0);  // more than the raised 64 KB limit
  REQUIRE(Api().cuOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, f, 256, 48 * 1024) == CUDA_SUCCESS);
  CHECK(blocks == 4);  // 228 KB per SM / 48 KB; threads allow 8, 64 registers allow 4
  Api().cuEventDestroy(start);
  Api().cuEventDestroy(end);
  CHECK(Api().cuModuleUnload(module) == CUDA_SUCCESS);
  fake.AllowMisuses(3);
}
