// SPDX-License-Identifier: Apache-2.0
#include "runtime/tensor_pointers.h"

#include <stdint.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kconv {
namespace {

struct Tensor {
  const char* name;
  uint64_t address;
  uint64_t bytes;  // < 2^63: ValidateConvDesc counts every tensor's bytes in int64
};

// [a, a + a.bytes) and [b, b + b.bytes) share a byte; neither range wraps (checked first).
bool Overlaps(const Tensor& a, const Tensor& b) {
  return a.address < b.address + b.bytes && b.address < a.address + a.bytes;
}

}  // namespace

absl::Status CheckTensorPointers(const ConvShape& s, const TensorPointers& t) {
  const uint64_t element = static_cast<uint64_t>(s.element_bytes());
  const Tensor x{"x", t.x, static_cast<uint64_t>(s.x_elements()) * element};
  const Tensor w{"w", t.w, static_cast<uint64_t>(s.w_elements()) * element};
  const Tensor y{"y", t.y, static_cast<uint64_t>(s.y_elements()) * element};
  const Tensor bias{"bias", t.bias, static_cast<uint64_t>(s.k) * sizeof(float)};
  for (const Tensor& p : {x, w, y}) {
    if (p.address == 0) return absl::InvalidArgumentError(absl::StrCat(p.name, " is a null pointer"));
  }
  if (s.has_bias && t.bias == 0) {
    return absl::InvalidArgumentError("bias is a null pointer, but desc->has_bias = 1");
  }
  if (!s.has_bias && t.bias != 0) {
    return absl::InvalidArgumentError("bias is non-null, but desc->has_bias = 0 (set has_bias to add it)");
  }
  for (const Tensor& p : {x, w, y}) {
    if (p.address % element != 0) {
      return absl::InvalidArgumentError(absl::StrFormat("%s = 0x%x is not %d-byte aligned (%s tensors must be)", p.name,
                                                        p.address, element, ElementTypeName(s.element_type)));
    }
  }
  if (t.bias % alignof(float) != 0) {
    return absl::InvalidArgumentError(absl::StrFormat("bias = 0x%x is not 4-byte aligned (the bias is fp32)", t.bias));
  }
  for (const Tensor& p : {x, w, y, bias}) {
    if (p.address != 0 && p.address > UINT64_MAX - p.bytes) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s = 0x%x and its %d bytes run past the end of the address space", p.name, p.address, p.bytes));
    }
  }
  if (Overlaps(y, x) || Overlaps(y, w) || (s.has_bias && Overlaps(y, bias))) {
    return absl::InvalidArgumentError("y overlaps an input tensor; the output must be a separate buffer");
  }
  return absl::OkStatus();
}

}  // namespace kconv
