// SPDX-License-Identifier: Apache-2.0
#include "gpu_harness.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>

extern "C" const unsigned char kconv_test_kernels_begin[], kconv_test_kernels_end[];

namespace kconv_test {
namespace {

#define TEST_CU(call) REQUIRE_MESSAGE((api->call) == CUDA_SUCCESS, #call)

struct TestKernels {
  CUfunction ref_conv = nullptr;
  CUfunction count_mismatches = nullptr;
  CUfunction fill = nullptr;
  CUfunction round_to_type = nullptr;
  CUfunction to_mode = nullptr;
  CUfunction from_mode = nullptr;
};

// The test kernels of the calling thread's current context, loaded there on first use: a module
// belongs to one context, and the multi-GPU test works in one per device.
const TestKernels& Kernels() {
  static std::mutex mu;
  static std::map<CUcontext, TestKernels> loaded;
  const kconv::DriverApi* api = GpuDriver();
  CUcontext current = nullptr;
  TEST_CU(cuCtxGetCurrent(&current));
  REQUIRE_MESSAGE(current != nullptr, "no current CUDA context");
  std::lock_guard<std::mutex> lock(mu);
  auto it = loaded.find(current);
  if (it != loaded.end()) return it->second;
  TestKernels k;
  CUmodule module;
  TEST_CU(cuModuleLoadData(&module, kconv_test_kernels_begin));
  TEST_CU(cuModuleGetFunction(&k.ref_conv, module, "ref_conv2d_f64"));
  TEST_CU(cuModuleGetFunction(&k.count_mismatches, module, "count_mismatches"));
  TEST_CU(cuModuleGetFunction(&k.fill, module, "fill_uniform"));
  TEST_CU(cuModuleGetFunction(&k.round_to_type, module, "round_to_type"));
  TEST_CU(cuModuleGetFunction(&k.to_mode, module, "to_mode"));
  TEST_CU(cuModuleGetFunction(&k.from_mode, module, "from_mode"));
  return loaded.emplace(current, k).first->second;
}

struct RefConvArgs {
  uint64_t x, w, bias, y, y_magnitude;
  int64_t n, c, h, w_in, k, r, s, p, q;
  int64_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
  int32_t relu;
};

struct LayoutArgs {
  uint64_t src, dst;
  int64_t n, c, h, w;
  int32_t type, layout;
};

void LaunchLayout(CUfunction f, uint64_t src, uint64_t dst, int64_t n, int64_t c, int64_t h, int64_t w,
                  TensorMode mode) {
  const kconv::DriverApi* api = GpuDriver();
  LayoutArgs a{src, dst, n, c, h, w, mode.type, mode.layout};
  void* args[] = {&a};
  TEST_CU(cuLaunchKernel(f, 1024, 1, 1, 256, 1, 1, 0, nullptr, args, nullptr));
  TEST_CU(cuCtxSynchronize());
}

uint64_t FreshSeed() {
  static std::atomic<uint64_t> counter{0};
  return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) * 0x9e3779b97f4a7c15ull +
         counter.fetch_add(1);
}

}  // namespace

void LoadTestKernels() { Kernels(); }

const kconv::DriverApi* GpuDriver(std::string* why) {
  static const kconv::DriverApi* api = nullptr;
  static std::string reason;
  static bool tried = false;
  if (!tried) {
    tried = true;
    auto loaded = kconv::Driver();
    if (!loaded.ok()) {
      reason = std::string(loaded.status().message());
    } else {
      int count = 0;
      CUdevice device;
      CUcontext ctx;
      if ((*loaded)->cuDeviceGetCount(&count) != CUDA_SUCCESS || count == 0) {
        reason = "no CUDA device";
      } else if ((*loaded)->cuDeviceGet(&device, 0) != CUDA_SUCCESS ||
                 (*loaded)->cuDevicePrimaryCtxRetain(&ctx, device) != CUDA_SUCCESS ||
                 (*loaded)->cuCtxPushCurrent(ctx) != CUDA_SUCCESS) {
        reason = "could not make device 0's primary context current";
      } else {
        api = *loaded;
      }
    }
  }
  if (why != nullptr) *why = reason;
  return api;
}

DeviceBuffer::DeviceBuffer(size_t bytes) : bytes_(bytes) {
  const kconv::DriverApi* api = GpuDriver();
  REQUIRE(api != nullptr);
  CUdeviceptr p = 0;
  TEST_CU(cuMemAlloc(&p, bytes == 0 ? 4 : bytes));
  ptr_ = p;
}

DeviceBuffer::~DeviceBuffer() {
  if (ptr_ != 0) GpuDriver()->cuMemFree(ptr_);
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    if (ptr_ != 0) GpuDriver()->cuMemFree(ptr_);
    ptr_ = o.ptr_;
    bytes_ = o.bytes_;
    o.ptr_ = 0;
  }
  return *this;
}

CUresult FillRandomOn(CUstream stream, uint64_t pointer, int64_t count, float lo, float hi) {
  uint64_t seed = FreshSeed();
  void* args[] = {&pointer, &count, &seed, &lo, &hi};
  return GpuDriver()->cuLaunchKernel(Kernels().fill, 1024, 1, 1, 256, 1, 1, 0, stream, args, nullptr);
}

void FillRandom(const DeviceBuffer& buffer, int64_t count, float lo, float hi) {
  REQUIRE(FillRandomOn(nullptr, buffer.get(), count, lo, hi) == CUDA_SUCCESS);
}

void PoisonNaN(const DeviceBuffer& buffer, int64_t count) {
  const kconv::DriverApi* api = GpuDriver();
  TEST_CU(cuMemsetD32(buffer.get(), 0x7fc00000u, static_cast<size_t>(count)));
}

std::vector<float> Download(const DeviceBuffer& buffer, int64_t count) {
  const kconv::DriverApi* api = GpuDriver();
  std::vector<float> out(static_cast<size_t>(count));
  TEST_CU(cuMemcpyDtoH(out.data(), buffer.get(), out.size() * sizeof(float)));
  return out;
}

std::vector<double> DownloadDoubles(const DeviceBuffer& buffer, int64_t count) {
  const kconv::DriverApi* api = GpuDriver();
  std::vector<double> out(static_cast<size_t>(count));
  TEST_CU(cuMemcpyDtoH(out.data(), buffer.get(), out.size() * sizeof(double)));
  return out;
}

void Upload(const DeviceBuffer& buffer, const std::vector<float>& values) {
  const kconv::DriverApi* api = GpuDriver();
  TEST_CU(cuMemcpyHtoD(buffer.get(), values.data(), values.size() * sizeof(float)));
}

CUresult ReferenceConvOn(CUstream stream, const Shape& s, uint64_t x, uint64_t w, uint64_t bias, uint64_t y_ref,
                         uint64_t y_magnitude) {
  RefConvArgs a{x, w, bias, y_ref, y_magnitude, s.n, s.c, s.h, s.w, s.k, s.r, s.s, s.P(), s.Q(),
                s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.dil_h, s.dil_w, s.relu ? 1 : 0};
  void* args[] = {&a};
  return GpuDriver()->cuLaunchKernel(Kernels().ref_conv, 132 * 16, 1, 1, 256, 1, 1, 0, stream, args, nullptr);
}

void ReferenceConvOnDevice(const Shape& s, uint64_t x, uint64_t w, uint64_t bias, const DeviceBuffer& y_ref) {
  const kconv::DriverApi* api = GpuDriver();
  REQUIRE(ReferenceConvOn(nullptr, s, x, w, bias, y_ref.get(), 0) == CUDA_SUCCESS);
  TEST_CU(cuCtxSynchronize());
}

CUresult CountMismatchesOn(CUstream stream, uint64_t y, uint64_t y_ref, uint64_t y_magnitude, int64_t count,
                           double tolerance, uint64_t counter) {
  void* args[] = {&y, &y_ref, &y_magnitude, &count, &tolerance, &counter};
  return GpuDriver()->cuLaunchKernel(Kernels().count_mismatches, 1024, 1, 1, 256, 1, 1, 0, stream, args, nullptr);
}

ConvBuffers::ConvBuffers(const Shape& s)
    : shape(s),
      x(s.XElements() * sizeof(float)),
      w(s.WElements() * sizeof(float)),
      bias(s.k * sizeof(float)),
      y(s.YElements() * sizeof(float)),
      y_ref(s.YElements() * sizeof(double)) {
  Refresh();
}

void ConvBuffers::Refresh() {
  FillRandom(x, shape.XElements());
  FillRandom(w, shape.WElements());
  FillRandom(bias, shape.k);
  PoisonNaN(y, shape.YElements());
  ReferenceConvOnDevice(shape, x.get(), w.get(), shape.bias ? bias.get() : 0, y_ref);
}

Comparison CompareWithReference(const ConvBuffers& b, double magnitude_floor) {
  const int64_t n = b.shape.YElements();
  const std::vector<float> out = Download(b.y, n);
  const std::vector<double> ref = DownloadDoubles(b.y_ref, n);
  Comparison c{};
  for (float v : out) c.nan_count += std::isnan(v) ? 1 : 0;
  c.relative_l2 = RelativeL2(out.data(), ref.data(), n, magnitude_floor);
  c.outside_elementwise = CountOutsideTolerance(out.data(), ref.data(), n, 1e-2, 1e-2);
  return c;
}

void CheckMatchesReference(const ConvBuffers& b, double max_relative_l2) {
  const kconv::DriverApi* api = GpuDriver();
  TEST_CU(cuCtxSynchronize());
  const Comparison c = CompareWithReference(b);
  CHECK(c.nan_count == 0);
  CHECK(c.relative_l2 <= max_relative_l2);
}

bool AllNaN(const DeviceBuffer& y, int64_t n) {
  for (float v : Download(y, n))
    if (!std::isnan(v)) return false;
  return true;
}

void RoundToType(const DeviceBuffer& buffer, int64_t count, int32_t type) {
  const kconv::DriverApi* api = GpuDriver();
  uint64_t ptr = buffer.get();
  void* args[] = {&ptr, &count, &type};
  TEST_CU(cuLaunchKernel(Kernels().round_to_type, 1024, 1, 1, 256, 1, 1, 0, nullptr, args, nullptr));
}

void ToMode(const DeviceBuffer& nchw, const DeviceBuffer& dst, int64_t n, int64_t c, int64_t h, int64_t w,
            TensorMode mode) {
  LaunchLayout(Kernels().to_mode, nchw.get(), dst.get(), n, c, h, w, mode);
}

void FromMode(const DeviceBuffer& src, const DeviceBuffer& nchw, int64_t n, int64_t c, int64_t h, int64_t w,
              TensorMode mode) {
  LaunchLayout(Kernels().from_mode, src.get(), nchw.get(), n, c, h, w, mode);
}

}  // namespace kconv_test
