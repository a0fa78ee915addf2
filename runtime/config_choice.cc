#include "runtime/config_choice.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "runtime/blob_registry.h"
#include "runtime/implicit_gemm_family.h"

namespace kconv {

double EstimateTileCost(const ConvShape& s, const TileConfig& tile, const DeviceLimits& device) {
  const TileLayout layout = MakeTileLayout(tile);
  if (!layout.valid || layout.smem_bytes > device.smem_per_block_optin) return -1.0;
  const int64_t blocks = ((s.gemm_m() + tile.block_m - 1) / tile.block_m) * ((s.k + tile.block_n - 1) / tile.block_n);
  const int resident = std::max(1, std::min({device.smem_per_sm / std::max(layout.smem_bytes, 1),
                                             device.max_threads_per_sm / layout.threads, 16}));
  const double waves = std::ceil(static_cast<double>(blocks) / (static_cast<double>(device.sm_count) * resident));
  const double k_padded = std::ceil(static_cast<double>(s.gemm_k()) / tile.block_k) * tile.block_k;
  return waves * (tile.block_m + tile.block_n) * k_padded;
}

absl::StatusOr<int> ChooseConfig(const ConvShape& s, const DeviceLimits& device) {
  const auto configs = Configs();
  int best = -1;
  double best_cost = 0;
  std::string reasons;
  for (int i = 0; i < static_cast<int>(configs.size()); ++i) {
    const TileConfig& tile = configs[i].tile;
    if (absl::Status accepted = ImplicitGemmAccepts(s, tile); !accepted.ok()) {
      absl::StrAppend(&reasons, "; ", configs[i].full_name, ": ", accepted.message());
      continue;
    }
    const double cost = EstimateTileCost(s, tile, device);
    if (cost < 0) {
      absl::StrAppend(&reasons, "; ", configs[i].full_name, ": needs more shared memory than the device has");
      continue;
    }
    const bool better = best < 0 || cost < best_cost ||
                        (cost == best_cost && tile.stages > configs[best].tile.stages);
    if (better) {
      best = i;
      best_cost = cost;
    }
  }
  if (best < 0) return absl::UnimplementedError(absl::StrCat("no kernel config accepts this shape", reasons));
  return best;
}

}  // namespace kconv
