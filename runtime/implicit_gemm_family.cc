#include "runtime/implicit_gemm_family.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace kconv {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

absl::Status ImplicitGemmAccepts(const ConvShape& s, const TileConfig& tile) {
  const TileLayout layout = MakeTileLayout(tile);
  if (!layout.valid) return absl::InternalError("implicit_gemm_tf32: invalid tile config in the registry");
  auto too_large = [](const char* what, int64_t value, int64_t limit) {
    return absl::UnimplementedError(absl::StrCat("implicit_gemm_tf32: ", what, " = ", value,
                                                 " exceeds the kernels' 32-bit index range (limit ", limit, ")"));
  };
  // Dividends of FastDivmod must stay below 2^31; row and column coordinates are int32, and input
  // coordinates reach (P-1)*stride + (R-1)*dil - pad, which stays below H + pad.
  if (s.gemm_m() > kInt32Max - layout.threads * 2) return too_large("N*P*Q", s.gemm_m(), kInt32Max);
  if (s.gemm_k() > kInt32Max - tile.block_k) return too_large("C*R*S", s.gemm_k(), kInt32Max);
  for (int64_t extent : {s.h + s.pad_h, s.w + s.pad_w, s.k, s.p * s.stride_h, s.q * s.stride_w,
                         s.r * s.dil_h, s.s * s.dil_w}) {
    if (extent > kInt32Max / 2) return too_large("a spatial extent", extent, kInt32Max / 2);
  }
  if (CeilDiv(s.k, tile.block_n) > 65535) return too_large("K / block_n (grid y)", CeilDiv(s.k, tile.block_n), 65535);
  return absl::OkStatus();
}

LaunchGeometry ImplicitGemmGeometry(const ConvShape& s, const TileConfig& tile) {
  const TileLayout layout = MakeTileLayout(tile);
  return LaunchGeometry{static_cast<uint32_t>(CeilDiv(s.gemm_m(), tile.block_m)),
                        static_cast<uint32_t>(CeilDiv(s.k, tile.block_n)), static_cast<uint32_t>(layout.threads),
                        static_cast<uint32_t>(layout.smem_bytes)};
}

ConvParams ImplicitGemmParams(const ConvShape& s) {
  ConvParams p{};
  p.n = static_cast<int32_t>(s.n);
  p.c = static_cast<int32_t>(s.c);
  p.h = static_cast<int32_t>(s.h);
  p.w_in = static_cast<int32_t>(s.w);
  p.k = static_cast<int32_t>(s.k);
  p.r = static_cast<int32_t>(s.r);
  p.s = static_cast<int32_t>(s.s);
  p.p = static_cast<int32_t>(s.p);
  p.q = static_cast<int32_t>(s.q);
  p.stride_h = static_cast<int32_t>(s.stride_h);
  p.stride_w = static_cast<int32_t>(s.stride_w);
  p.pad_h = static_cast<int32_t>(s.pad_h);
  p.pad_w = static_cast<int32_t>(s.pad_w);
  p.dil_h = static_cast<int32_t>(s.dil_h);
  p.dil_w = static_cast<int32_t>(s.dil_w);
  p.gemm_m = static_cast<int32_t>(s.gemm_m());
  p.gemm_k = static_cast<int32_t>(s.gemm_k());
  p.relu = s.relu ? 1 : 0;
  p.div_pq = FastDivmod::Make(static_cast<uint32_t>(s.p * s.q));
  p.div_q = FastDivmod::Make(static_cast<uint32_t>(s.q));
  p.div_rs = FastDivmod::Make(static_cast<uint32_t>(s.r * s.s));
  p.div_s = FastDivmod::Make(static_cast<uint32_t>(s.s));
  return p;
}

}  // namespace kconv
