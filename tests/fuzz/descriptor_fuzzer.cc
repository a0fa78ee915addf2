// SPDX-License-Identifier: Apache-2.0
// libFuzzer harness: descriptor validation, the tensor-pointer checks and the host forward pass.
//
// The input's first byte picks how the rest becomes a kconv_conv_desc: taken raw (struct_size and every
// field as the bytes say, as a hostile caller would pass it), or field by field from small ranges mixed
// with the extremes validation must refuse (0, negative, 2^40, 2^40 + 1, INT64_MAX), so that valid small
// shapes are common. For every descriptor that validates, the output extents must equal the definition
// computed in 128-bit arithmetic; small ones run the host forward pass, whose every output must match a
// float64 reference written as plainly as possible, with y's guard elements untouched.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmath>
#include <cstdlib>
#include <vector>

#include "runtime/conv_shape.h"
#include "runtime/host_conv.h"
#include "runtime/host_conv_fast.h"
#include "runtime/host_microkernels.h"
#include "runtime/tensor_pointers.h"

namespace {

// The input, consumed a piece at a time; zeros once it runs out.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t Byte() { return at_ < size_ ? data_[at_++] : 0; }
  size_t Take(void* out, size_t n) {
    const size_t k = n < size_ - at_ ? n : size_ - at_;
    memcpy(out, data_ + at_, k);
    at_ += k;
    return k;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

int64_t Field(Bytes& in, int64_t lo, int64_t hi) {
  const uint8_t b = in.Byte();
  switch (b % 16) {  // one time in eight an extreme
    case 0: return 0;
    case 1: return -static_cast<int64_t>(in.Byte());
    case 2: return int64_t{1} << 40;
    case 3: return (int64_t{1} << 40) + in.Byte();
    case 4: return INT64_MAX - in.Byte();
    case 5: return int64_t{1} << (20 + in.Byte() % 20);
    default: return lo + static_cast<int64_t>(in.Byte()) % (hi - lo + 1);
  }
}

kconv_conv_desc DescFrom(Bytes& in, bool raw) {
  kconv_conv_desc d;
  memset(&d, 0, sizeof(d));
  if (raw) {
    in.Take(&d, sizeof(d));
    return d;
  }
  d.struct_size = in.Byte() % 8 == 0 ? 128 : sizeof(d);  // the 0.1 size too
  d.n = Field(in, 1, 3);
  d.c = Field(in, 1, 4);
  d.h = Field(in, 1, 24);
  d.w = Field(in, 1, 24);
  d.k = Field(in, 1, 6);
  d.r = Field(in, 1, 7);
  d.s = Field(in, 1, 7);
  d.stride_h = Field(in, 1, 5);
  d.stride_w = Field(in, 1, 5);
  d.pad_h = Field(in, 0, 4);
  d.pad_w = Field(in, 0, 4);
  d.dil_h = Field(in, 1, 3);
  d.dil_w = Field(in, 1, 3);
  d.has_bias = in.Byte() % 3 == 0 ? 2 : in.Byte() % 2;
  d.relu = in.Byte() % 2;
  d.math_mode = in.Byte() % 8 == 0 ? in.Byte() : 0;
  d.element_type = in.Byte() % 8 == 0 ? in.Byte() % 5 : 0;
  d.layout = in.Byte() % 8 == 0 ? in.Byte() % 3 : 0;
  return d;
}

// The definition of an output extent, in 128-bit arithmetic: no overflow possible.
int64_t ExpectedExtent(int64_t in, int64_t pad, int64_t dil, int64_t kernel, int64_t stride) {
  const __int128 span = static_cast<__int128>(dil) * (kernel - 1) + 1;
  const __int128 padded = static_cast<__int128>(in) + 2 * static_cast<__int128>(pad);
  return padded < span ? 0 : static_cast<int64_t>((padded - span) / stride + 1);
}

void Fail(const char* what) {
  fprintf(stderr, "descriptor_fuzzer: %s\n", what);
  abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in(data, size);
  const bool raw = in.Byte() % 4 == 0;
  const kconv_conv_desc d = DescFrom(in, raw);
  const absl::StatusOr<kconv::ConvShape> shape = kconv::ValidateConvDesc(&d);
  if (!shape.ok()) {
    if (shape.status().message().empty()) Fail("a refusal without a message");
    return 0;
  }
  const kconv::ConvShape& s = *shape;
  if (s.p != ExpectedExtent(s.h, s.pad_h, s.dil_h, s.r, s.stride_h) ||
      s.q != ExpectedExtent(s.w, s.pad_w, s.dil_w, s.s, s.stride_w) || s.p < 1 || s.q < 1) {
    Fail("output extents differ from the definition");
  }
  // Tensor-pointer checks on addresses from the input: any answer but a crash will do, and a pointer that
  // runs past 2^64 is never accepted.
  kconv::TensorPointers t{};
  in.Take(&t, sizeof(t));
  const absl::Status pointers = kconv::CheckTensorPointers(s, t);
  if (pointers.ok() && t.y > UINT64_MAX - static_cast<uint64_t>(s.y_elements()) * s.element_bytes()) {
    Fail("a y that runs past 2^64 was accepted");
  }
  // The host path on small fp32 NCHW shapes, against a float64 reference.
  if (s.element_type != KCONV_ELEMENT_F32 || s.layout != KCONV_LAYOUT_NCHW) return 0;
  if (s.x_elements() > 4096 || s.w_elements() > 4096 || s.y_elements() > 4096 ||
      static_cast<double>(s.y_elements()) * s.c * s.r * s.s > 2e5) {
    return 0;
  }
  uint32_t seed = 0;
  in.Take(&seed, sizeof(seed));
  auto next = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return static_cast<float>(static_cast<int32_t>(seed >> 8) - (1 << 23)) / (1 << 23);  // [-1, 1)
  };
  std::vector<float> x(s.x_elements()), w(s.w_elements()), bias(s.k);
  for (float& v : x) v = next();
  for (float& v : w) v = next();
  for (float& v : bias) v = next();
  constexpr int kGuard = 4;
  std::vector<float> y(s.y_elements() + 2 * kGuard, -7.25f);
  kconv::HostConvReference(s, x.data(), w.data(), s.has_bias ? bias.data() : nullptr, y.data() + kGuard);
  for (int g = 0; g < kGuard; ++g) {
    if (y[g] != -7.25f || y[kGuard + s.y_elements() + g] != -7.25f) Fail("the host path wrote outside y");
  }
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t k = 0; k < s.k; ++k)
      for (int64_t p = 0; p < s.p; ++p)
        for (int64_t q = 0; q < s.q; ++q) {
          double ref = s.has_bias ? bias[k] : 0.0;
          for (int64_t c = 0; c < s.c; ++c)
            for (int64_t r = 0; r < s.r; ++r)
              for (int64_t t2 = 0; t2 < s.s; ++t2) {
                const int64_t ih = p * s.stride_h - s.pad_h + r * s.dil_h;
                const int64_t iw = q * s.stride_w - s.pad_w + t2 * s.dil_w;
                if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
                ref += static_cast<double>(x[((n * s.c + c) * s.h + ih) * s.w + iw]) * w[((k * s.c + c) * s.r + r) * s.s + t2];
              }
          if (s.relu && ref < 0) ref = 0;
          const float got = y[kGuard + ((n * s.k + k) * s.p + p) * s.q + q];
          if (!(std::fabs(got - ref) <= 1e-6 * (1 + std::fabs(ref)))) Fail("the host path differs from the reference");
        }
  // The fast host path (every micro-kernel this CPU runs, 1 to 3 threads) against the reference's output,
  // with fp32 accumulation's tolerance (at most 4096 terms of magnitude <= 1 per output).
  uint8_t threads = 1;
  in.Take(&threads, sizeof(threads));
  for (const kconv::HostMicroKernel& kernel : kconv::SupportedHostMicroKernels()) {
    std::vector<float> fast(y.size(), -7.25f);
    if (!kconv::HostConvFast(s, x.data(), w.data(), s.has_bias ? bias.data() : nullptr, fast.data() + kGuard,
                             1 + threads % 3, kernel)
             .ok()) {
      Fail("the fast host path refused a small shape");
    }
    for (int g = 0; g < kGuard; ++g) {
      if (fast[g] != -7.25f || fast[kGuard + s.y_elements() + g] != -7.25f) Fail("the fast host path wrote outside y");
    }
    for (int64_t i = 0; i < s.y_elements(); ++i) {
      const float ref = y[kGuard + i], got = fast[kGuard + i];
      if (!(std::fabs(got - ref) <= 1e-4 * (1 + std::fabs(ref)))) Fail("the fast host path differs from the reference");
    }
  }
  return 0;
}
