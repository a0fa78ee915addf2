#include "runtime/config_choice.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "runtime/blob_registry.h"
#include "runtime/cubin_info.h"
#include "runtime/implicit_gemm_family.h"

namespace kconv {

namespace {

// Registers of the image ChooseConfig's plan would load: its cubin's count, or for PTX (compiled at
// load, count unknown) the count of the same config's newest cubin as an estimate; 0 if none is known.
int RegistersOf(int config_index, int cc, bool force_ptx) {
  auto blob = SelectBlob(config_index, cc, force_ptx);
  if (blob.ok() && (*blob)->kind == BlobKind::kCubin) return CubinRegisterCount((*blob)->begin, (*blob)->size());
  const Blob* newest = nullptr;
  for (const Blob& b : Blobs())
    if (b.config_index == config_index && b.kind == BlobKind::kCubin && (newest == nullptr || b.arch > newest->arch)) newest = &b;
  return newest == nullptr ? 0 : CubinRegisterCount(newest->begin, newest->size());
}

}  // namespace

int ResidentBlocks(const TileConfig& tile, int registers, const DeviceLimits& device) {
  const TileLayout layout = MakeTileLayout(tile);
  int resident = std::min({device.smem_per_sm / std::max(layout.smem_bytes, 1), device.max_threads_per_sm / layout.threads, 32});
  if (registers > 0) {
    const int per_warp = (registers * 32 + 255) / 256 * 256;  // allocated per warp in units of 256
    resident = std::min(resident, device.registers_per_sm / (per_warp * tile.warps));
  }
  return std::max(1, resident);
}

double EstimateTileCost(const ConvShape& s, const TileConfig& tile, int registers, const DeviceLimits& device) {
  const TileLayout layout = MakeTileLayout(tile);
  if (!layout.valid || layout.smem_bytes > device.smem_per_block_optin) return -1.0;
  const int64_t blocks = ((s.gemm_m() + tile.block_m - 1) / tile.block_m) * ((s.k + tile.block_n - 1) / tile.block_n);
  const int resident = ResidentBlocks(tile, registers, device);
  const double waves = std::ceil(static_cast<double>(blocks) / (static_cast<double>(device.sm_count) * resident));
  const double k_padded = std::ceil(static_cast<double>(s.gemm_k()) / tile.block_k) * tile.block_k;
  return waves * (tile.block_m + tile.block_n) * k_padded;
}

absl::StatusOr<int> ChooseConfig(const ConvShape& s, const DeviceLimits& device, bool force_ptx) {
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
    const double cost = EstimateTileCost(s, tile, RegistersOf(i, device.cc, force_ptx), device);
    if (cost < 0) {
      absl::StrAppend(&reasons, "; ", configs[i].full_name, ": needs more shared memory than the device has");
      continue;
    }
    if (best < 0 || cost < best_cost) {
      best = i;
      best_cost = cost;
    }
  }
  if (best < 0) return absl::UnimplementedError(absl::StrCat("no kernel config accepts this shape", reasons));
  return best;
}

}  // namespace kconv
