// SPDX-License-Identifier: Apache-2.0
#include "runtime/config_choice.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/cubin_info.h"
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

// "fp32 NCHW" and the math modes of one family's support.
std::string DescribeSupport(const FamilySupport& support) {
  std::vector<std::string> types, layouts, modes;
  for (int v = 0; v < 64; ++v) {
    if (support.element_types >> v & 1) types.push_back(ElementTypeName(static_cast<kconv_element_type>(v)));
    if (support.layouts >> v & 1) layouts.push_back(LayoutName(static_cast<kconv_layout>(v)));
    if (support.math_modes >> v & 1) modes.push_back(MathModeName(static_cast<kconv_math_mode>(v)));
  }
  return absl::StrCat(absl::StrJoin(types, "/"), " ", absl::StrJoin(layouts, "/"), " with ",
                      absl::StrJoin(modes, "/"), " math");
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

absl::Status SomeFamilyComputes(const ConvShape& shape) {
  std::vector<std::string> offered;
  for (const FamilyEntry& f : Families()) {
    const FamilySupport support = f.planner().Support();
    if (support.Covers(shape)) return absl::OkStatus();
    offered.push_back(absl::StrCat(f.name, ": ", DescribeSupport(support)));
  }
  return absl::UnimplementedError(absl::StrCat("no kernel family computes ", FormatOf(shape),
                                               " (this build's families compute ", absl::StrJoin(offered, "; "),
                                               ")"));
}

absl::Status ConfigAccepts(const ConvShape& s, const KernelConfig& config, const DeviceLimits& device) {
  const KernelFamily& family = config.family();
  if (!family.Support().Covers(s)) {
    return absl::UnimplementedError(absl::StrCat(config.family_name, " computes ", DescribeSupport(family.Support()),
                                                 ", not ", FormatOf(s)));
  }
  return family.Accepts(s, config.family_index, device);
}

absl::StatusOr<int> ChooseConfig(const ConvShape& s, const DeviceLimits& device, bool force_ptx,
                                 const OccupancyFn& occupancy) {
  KCONV_RETURN_IF_ERROR(SomeFamilyComputes(s));
  // Said once, rather than in every config's reason.
  if (device.cc < 80) {
    return absl::UnimplementedError(absl::StrCat("the device has ", device.cc / 10, ".", device.cc % 10,
                                                 ", but kconv's kernels need compute capability 8.0 or newer "
                                                 "(kconv_forward_host computes on the CPU)"));
  }
  const auto configs = Configs();
  std::string reasons;
  // Configs() lists the families in order of preference: the first family with an accepting config wins.
  int best = -1;
  double best_cost = 0;
  const KernelFamily* best_family = nullptr;
  for (int i = 0; i < static_cast<int>(configs.size()); ++i) {
    const KernelConfig& config = configs[i];
    if (best >= 0 && best_family != &config.family()) break;  // a preferred family has its config
    if (config.tuning_only) continue;
    if (absl::Status accepted = ConfigAccepts(s, config, device); !accepted.ok()) {
      absl::StrAppend(&reasons, "; ", config.full_name, ": ", accepted.message());
      continue;
    }
    const absl::StatusOr<const Blob*> blob = SelectBlob(i, device.cc, force_ptx);
    if (!blob.ok()) {
      absl::StrAppend(&reasons, "; ", config.full_name, ": ", blob.status().message());
      continue;
    }
    const ResidencyFn resident = [&](int threads, int shared_bytes) {
      return occupancy ? occupancy(**blob, threads, shared_bytes)
                       : ModelResidentBlocks(**blob, threads, shared_bytes, device);
    };
    const KernelFamily& family = config.family();
    const double cost = family.Cost(s, config.family_index, device, resident);
    if (cost >= 0 && (best < 0 || cost < best_cost * family.ChoiceMargin())) {
      best = i;
      best_cost = cost;
      best_family = &family;
    }
  }
  if (best >= 0) return best;
  return absl::UnimplementedError(absl::StrCat("no kernel config accepts this shape", reasons));
}

bool Runnable(int index, const ConvShape& shape, const DeviceLimits& device, bool force_ptx) {
  return ConfigAccepts(shape, Configs()[index], device).ok() && SelectBlob(index, device.cc, force_ptx).ok();
}

std::optional<int> TunedConfig(const TuningResult& result, const ConvShape& shape, const DeviceLimits& device,
                               bool force_ptx) {
  const absl::StatusOr<int> index = FindConfig(result.config);
  // A candidate is run only when named by the caller, never from a tuning result (a hand-edited cache file).
  if (!index.ok() || Configs()[*index].candidate || !Runnable(*index, shape, device, force_ptx)) return std::nullopt;
  return *index;
}

std::optional<int> TunedConfig(const TuningFile& file, const TuningKey& key, const ConvShape& shape,
                               const DeviceLimits& device, bool force_ptx) {
  const std::optional<TuningResult> tuned = FindTuningResult(file, key);
  if (!tuned.has_value()) return std::nullopt;
  return TunedConfig(*tuned, shape, device, force_ptx);
}

}  // namespace kconv
