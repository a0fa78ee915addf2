// SPDX-License-Identifier: Apache-2.0
#include "runtime/host_conv.h"

#include <algorithm>
#include <vector>

namespace kconv {

// Output-row at a time: for each (image, channel, tap) the tap's weight scales a strided run of input
// into a float64 row accumulator, so the inner loop is a plain multiply-add over q.
void HostConvReference(const ConvShape& sh, const float* x, const float* w, const float* bias, float* y) {
  std::vector<double> row(static_cast<size_t>(sh.q));
  for (int64_t img = 0; img < sh.n; ++img) {
    for (int64_t k = 0; k < sh.k; ++k) {
      const float* wk = w + k * sh.c * sh.r * sh.s;
      float* yk = y + (img * sh.k + k) * sh.p * sh.q;
      for (int64_t p = 0; p < sh.p; ++p) {
        std::fill(row.begin(), row.end(), sh.has_bias ? static_cast<double>(bias[k]) : 0.0);
        for (int64_t c = 0; c < sh.c; ++c) {
          const float* xc = x + (img * sh.c + c) * sh.h * sh.w;
          for (int64_t r = 0; r < sh.r; ++r) {
            const int64_t ih = p * sh.stride_h - sh.pad_h + r * sh.dil_h;
            if (ih < 0 || ih >= sh.h) continue;
            const float* xrow = xc + ih * sh.w;
            for (int64_t s = 0; s < sh.s; ++s) {
              const double weight = wk[(c * sh.r + r) * sh.s + s];
              const int64_t offset = s * sh.dil_w - sh.pad_w;  // iw = q * stride_w + offset
              // The q range whose iw lies inside the row.
              const int64_t q_lo = offset >= 0 ? 0 : (-offset + sh.stride_w - 1) / sh.stride_w;
              const int64_t q_hi = sh.w - 1 - offset < 0 ? -1 : std::min(sh.q - 1, (sh.w - 1 - offset) / sh.stride_w);
              for (int64_t q = q_lo; q <= q_hi; ++q) row[q] += weight * xrow[q * sh.stride_w + offset];
            }
          }
        }
        for (int64_t q = 0; q < sh.q; ++q) {
          const double v = sh.relu && row[q] < 0.0 ? 0.0 : row[q];  // NaN stays NaN
          yk[p * sh.q + q] = static_cast<float>(v);
        }
      }
    }
  }
}

}  // namespace kconv
