// SPDX-License-Identifier: Apache-2.0
#include "families/implicit_gemm_common/gemm_limits.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace kconv {
namespace implicit_gemm_common {

absl::Status CheckIndexRange(const char* family, const ConvShape& s, int64_t m_margin, int block_k, int block_n) {
  constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
  auto too_large = [&](const char* what, int64_t value, int64_t limit) {
    return absl::UnimplementedError(absl::StrCat(family, ": ", what, " = ", value,
                                                 " exceeds the kernels' 32-bit index range (limit ", limit, ")"));
  };
  if (s.gemm_m() > kInt32Max - m_margin) return too_large("N*P*Q", s.gemm_m(), kInt32Max);
  if (s.gemm_k() > kInt32Max - block_k) return too_large("C*R*S", s.gemm_k(), kInt32Max);
  for (int64_t extent : {s.h + s.pad_h, s.w + s.pad_w, s.k, s.p * s.stride_h, s.q * s.stride_w,
                         s.r * s.dil_h, s.s * s.dil_w}) {
    if (extent > kInt32Max / 2) return too_large("a spatial extent", extent, kInt32Max / 2);
  }
  const int64_t grid_y = (s.k + block_n - 1) / block_n;
  if (grid_y > 65535) return too_large("K / block_n (grid y)", grid_y, 65535);
  return absl::OkStatus();
}

}  // namespace implicit_gemm_common
}  // namespace kconv
