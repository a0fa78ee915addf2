// SPDX-License-Identifier: Apache-2.0
// Device-side helpers for the GPU suite: the driver, device buffers, random fills, NaN poisoning and
// the float64 reference convolution on the device.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "prelude.h"
#include "runtime/driver_api.h"

namespace kconv_test {

// The driver and a current primary context for the test process; nullptr plus `why` when there is none.
const kconv::DriverApi* GpuDriver(std::string* why = nullptr);

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes);  // CHECKs the allocation
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(o.ptr_), bytes_(o.bytes_) { o.ptr_ = 0; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  uint64_t get() const { return ptr_; }
  size_t bytes() const { return bytes_; }

 private:
  uint64_t ptr_ = 0;
  size_t bytes_ = 0;
};

// Loads the test kernels into the current context (each context needs its own module); the helpers below
// load them on first use, but threads that must not throw should find them loaded.
void LoadTestKernels();

// Fresh pseudo-random uniform values in [lo, hi) from a new seed on every call.
void FillRandom(const DeviceBuffer& buffer, int64_t count, float lo = -1.f, float hi = 1.f);
// The same, enqueued on `stream` of the current context; the launch's result, for threads that must not
// throw.
CUresult FillRandomOn(CUstream stream, uint64_t pointer, int64_t count, float lo = -1.f, float hi = 1.f);
void PoisonNaN(const DeviceBuffer& buffer, int64_t count);
std::vector<float> Download(const DeviceBuffer& buffer, int64_t count);
std::vector<double> DownloadDoubles(const DeviceBuffer& buffer, int64_t count);
void Upload(const DeviceBuffer& buffer, const std::vector<float>& values);

// y_ref = conv(x, w) + bias in float64 on the device; bias may be 0.
void ReferenceConvOnDevice(const Shape& s, uint64_t x, uint64_t w, uint64_t bias, const DeviceBuffer& y_ref);
// The same enqueued on `stream`, and, where y_magnitude is not 0, sum |x * w| + |bias| per output (doubles).
CUresult ReferenceConvOn(CUstream stream, const Shape& s, uint64_t x, uint64_t w, uint64_t bias, uint64_t y_ref,
                         uint64_t y_magnitude);
// Adds to the uint64 at `counter` the outputs of y (fp32) with |y - y_ref| > tolerance * y_magnitude, or
// NaN; enqueued on `stream`.
CUresult CountMismatchesOn(CUstream stream, uint64_t y, uint64_t y_ref, uint64_t y_magnitude, int64_t count,
                           double tolerance, uint64_t counter);

// The tensors of one shape on the device, filled with fresh random data, the output poisoned, and the
// float64 reference computed.
struct ConvBuffers {
  explicit ConvBuffers(const Shape& s);
  void Refresh();  // new random inputs, output poisoned, reference recomputed
  Shape shape;
  DeviceBuffer x, w, bias, y, y_ref;
};

struct Comparison {
  double relative_l2;
  int64_t nan_count;
  int64_t outside_elementwise;  // |out - ref| > 1e-2 + 1e-2*|ref|
};
// `magnitude_floor`: as RelativeL2's (the output type's smallest normal for the 16-bit types).
Comparison CompareWithReference(const ConvBuffers& b, double magnitude_floor = 0);
// Waits for the current context's work, then CHECKs that y holds no NaN and is within `max_relative_l2` of the
// reference.
void CheckMatchesReference(const ConvBuffers& b, double max_relative_l2 = 1e-3);
// Whether every one of the first n floats of y is NaN (the poison): y left untouched.
bool AllNaN(const DeviceBuffer& y, int64_t n);

// An element type and layout (kconv_element_type, kconv_layout) for the precision-mode tests.
struct TensorMode {
  int32_t type = 0, layout = 0;
  int64_t Bytes() const { return type == 0 ? 4 : 2; }
  // The smallest normal of the type: fp16's 2^-14 (below it fp16 keeps 2^-24 absolute, so one output of
  // 1e-6 carries up to 3% of rounding); fp32's and bf16's, far below any output of the suite, count as 0.
  double SmallestNormal() const { return type == 1 ? 0x1p-14 : 0; }
};
// Rounds `count` fp32 values in place to the element type (exactly representable afterwards).
void RoundToType(const DeviceBuffer& buffer, int64_t count, int32_t type);
// NCHW fp32 [n][c][h][w] -> `dst` in the mode; and back.
void ToMode(const DeviceBuffer& nchw, const DeviceBuffer& dst, int64_t n, int64_t c, int64_t h, int64_t w,
            TensorMode mode);
void FromMode(const DeviceBuffer& src, const DeviceBuffer& nchw, int64_t n, int64_t c, int64_t h, int64_t w,
              TensorMode mode);

}  // namespace kconv_test
