#include "runtime/config_choice.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "runtime/blob_registry.h"
#include "runtime/cubin_info.h"
#include "runtime/implicit_gemm_family.h"
#include "runtime/stem_family.h"
#include "runtime/status_macros.h"

namespace kconv {

namespace {

// Registers of `selected`, the image a plan would load for config_index: its cubin's count, or for PTX
// (compiled at load, count unknown) the count of the same config's newest cubin as an estimate; 0 if
// none is known.
int RegistersOf(int config_index, const Blob& selected) {
  if (selected.kind == BlobKind::kCubin) {
    return CubinRegisterCount(selected.begin, selected.size(), selected.kernel_symbol);
  }
  const Blob* newest = nullptr;
  for (const Blob& b : Blobs())
    if (b.config_index == config_index && b.kind == BlobKind::kCubin && (newest == nullptr || b.arch > newest->arch)) newest = &b;
  return newest == nullptr ? 0 : CubinRegisterCount(newest->begin, newest->size(), newest->kernel_symbol);
}

}  // namespace

int ModelResidentBlocks(const Blob& blob, int threads, int shared_bytes, const DeviceLimits& device) {
  return ResidentBlocks(shared_bytes, threads, RegistersOf(blob.config_index, blob), device);
}

int ResidentBlocks(int shared_bytes, int threads, int registers, const DeviceLimits& device) {
  int resident = std::min({device.smem_per_sm / std::max(shared_bytes, 1), device.max_threads_per_sm / threads, 32});
  if (registers > 0) {
    const int per_warp = (registers * 32 + 255) / 256 * 256;  // allocated per warp in units of 256
    resident = std::min(resident, device.registers_per_sm / (per_warp * (threads / 32)));
  }
  return std::max(1, resident);
}

int ResidentBlocks(const TileConfig& tile, int registers, const DeviceLimits& device) {
  const TileLayout layout = MakeTileLayout(tile);
  return ResidentBlocks(layout.smem_bytes, layout.threads, registers, device);
}

double EstimateStemCost(const ConvShape& s, const StemConfig& config, int resident, const DeviceLimits& device) {
  const StemLayout layout = MakeStemLayout(config);
  const int64_t blocks = s.n * ((s.p * s.q + layout.tile_pixels - 1) / layout.tile_pixels);
  const double waves = std::max(1.0, static_cast<double>(blocks) / (static_cast<double>(device.sm_count) * resident));
  return waves * (layout.tile_pixels + 64) / std::sqrt(static_cast<double>(config.warps * resident));
}

double EstimatePersistentStemCost(const ConvShape& s, const StemConfig& config, const DeviceLimits& device) {
  const StemLayout layout = MakeStemLayout(config);
  const int64_t tiles = MakeStemPlanData(s, config, StemKernel::kPersistent, device.sm_count).total_tiles;
  const int64_t per_block = (tiles + device.sm_count - 1) / device.sm_count;
  // A tile's math and writes scale with its pixels times channels (96 for n96 configs); its band copy and
  // latency chain do not (the 64).
  return static_cast<double>(per_block) * (layout.tile_pixels * config.nt / 12.0 + 64);
}

absl::Status ConfigAccepts(const ConvShape& s, const KernelConfig& config, const DeviceLimits& device) {
  const Family family = FamilyOf(config);
  if (family == Family::kStemWgmmaTf32 && device.cc != 90) {
    return absl::UnimplementedError(absl::StrCat("needs compute capability 9.0 (sm_90a wgmma); the device has ",
                                                 device.cc / 10, ".", device.cc % 10));
  }
  if (IsStemFamily(family)) {
    return StemAccepts(s, StemConfigOf(config), device.smem_per_block_optin, StemKernelOf(family));
  }
  const TileConfig tile = ImplicitGemmTile(config);
  KCONV_RETURN_IF_ERROR(ImplicitGemmAccepts(s, tile));
  if (MakeTileLayout(tile).smem_bytes > device.smem_per_block_optin) {
    return absl::UnimplementedError(absl::StrCat("needs ", MakeTileLayout(tile).smem_bytes,
                                                 " bytes of shared memory per block; the device allows ",
                                                 device.smem_per_block_optin));
  }
  return absl::OkStatus();
}

double EstimateTileCost(const ConvShape& s, const TileConfig& tile, int resident, const DeviceLimits& device) {
  const TileLayout layout = MakeTileLayout(tile);
  if (!layout.valid || layout.smem_bytes > device.smem_per_block_optin) return -1.0;
  const int64_t blocks = ((s.gemm_m() + tile.block_m - 1) / tile.block_m) * ((s.k + tile.block_n - 1) / tile.block_n);
  const double waves =
      std::ceil(static_cast<double>(blocks) / (static_cast<double>(device.sm_count) * std::max(resident, 1)));
  const double k_padded = std::ceil(static_cast<double>(s.gemm_k()) / tile.block_k) * tile.block_k;
  return waves * (tile.block_m + tile.block_n) * k_padded;
}

absl::StatusOr<int> ChooseConfig(const ConvShape& s, const DeviceLimits& device, bool force_ptx,
                                 const OccupancyFn& occupancy) {
  const auto configs = Configs();
  // Per family, in order of preference: the Hopper stem family, the portable stem family, implicit GEMM.
  int best[3] = {-1, -1, -1};
  double best_cost[3] = {0, 0, 0};
  std::string reasons;
  for (int i = 0; i < static_cast<int>(configs.size()); ++i) {
    if (configs[i].tuning_only) continue;
    if (absl::Status accepted = ConfigAccepts(s, configs[i], device); !accepted.ok()) {
      absl::StrAppend(&reasons, "; ", configs[i].full_name, ": ", accepted.message());
      continue;
    }
    const absl::StatusOr<const Blob*> blob = SelectBlob(i, device.cc, force_ptx);
    if (!blob.ok()) {
      absl::StrAppend(&reasons, "; ", configs[i].full_name, ": ", blob.status().message());
      continue;
    }
    auto resident = [&](int threads, int64_t shared_bytes) {
      return occupancy ? occupancy(**blob, threads, static_cast<int>(shared_bytes))
                       : ModelResidentBlocks(**blob, threads, static_cast<int>(shared_bytes), device);
    };
    const Family family = FamilyOf(configs[i]);
    const bool stem = IsStemFamily(family);
    double cost;
    if (family == Family::kStemWgmmaTf32) {  // persistent: one block per SM by design
      cost = EstimatePersistentStemCost(s, StemConfigOf(configs[i]), device);
    } else if (stem) {
      const StemConfig c = StemConfigOf(configs[i]);
      const LaunchGeometry g = MakeStemPlanData(s, c).geometry;
      cost = EstimateStemCost(s, c, resident(static_cast<int>(g.threads), g.shared_bytes), device);
    } else {
      const TileConfig tile = ImplicitGemmTile(configs[i]);
      const TileLayout layout = MakeTileLayout(tile);
      cost = EstimateTileCost(s, tile, resident(layout.threads, layout.smem_bytes), device);
    }
    const int f = family == Family::kStemWgmmaTf32 ? 0 : stem ? 1 : 2;
    // The persistent family's cost counts tiles per block and little else, so it cannot rank configs within
    // ~10% of each other; its configs are listed in measured order, and a later one wins only if clearly
    // cheaper. Measured on an H200 (bench/NOTES.md, v8): m192n96_w12_k5x5 ahead of m256n96_w4_k5x3 at N = 256
    // (284 against 298 us) although it runs 37 tiles per block against 28.
    const double clearly = family == Family::kStemWgmmaTf32 ? 0.9 : 1.0;
    if (cost >= 0 && (best[f] < 0 || cost < best_cost[f] * clearly)) {
      best[f] = i;
      best_cost[f] = cost;
    }
  }
  for (int f : best)
    if (f >= 0) return f;
  return absl::UnimplementedError(absl::StrCat("no kernel config accepts this shape", reasons));
}

bool Runnable(int index, const ConvShape& shape, const DeviceLimits& device, bool force_ptx) {
  return ConfigAccepts(shape, Configs()[index], device).ok() && SelectBlob(index, device.cc, force_ptx).ok();
}

std::optional<int> TunedConfig(const TuningFile& file, const TuningKey& key, const ConvShape& shape,
                               const DeviceLimits& device, bool force_ptx) {
  const std::optional<TuningResult> tuned = FindTuningResult(file, key);
  if (!tuned.has_value()) return std::nullopt;
  const absl::StatusOr<int> index = FindConfig(tuned->config);
  if (!index.ok() || !Runnable(*index, shape, device, force_ptx)) return std::nullopt;
  return *index;
}

}  // namespace kconv
