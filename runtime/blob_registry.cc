// SPDX-License-Identifier: Apache-2.0
#include "runtime/blob_registry.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/fnv1a.h"

namespace kconv {

absl::StatusOr<int> FindConfig(absl::string_view name) {
  const auto configs = Configs();
  int match = -1;
  for (int i = 0; i < static_cast<int>(configs.size()); ++i) {
    if (name == configs[i].full_name) return i;
    if (name == configs[i].name) {
      if (match >= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("config name \"", name, "\" is ambiguous; use \"family/config\""));  // a built name: short
      }
      match = i;
    }
  }
  if (match >= 0) return match;
  std::vector<std::string> names;
  for (const KernelConfig& c : configs) names.emplace_back(c.full_name);
  // The caller's name is echoed only in part: it may be any length.
  constexpr size_t kShown = 80;
  const std::string shown = name.size() <= kShown
                                ? std::string(name)
                                : absl::StrCat(name.substr(0, kShown), "... (", name.size(), " bytes)");
  return absl::NotFoundError(
      absl::StrCat("no kernel config named \"", shown, "\"; built configs: ", absl::StrJoin(names, ", ")));
}

absl::StatusOr<const Blob*> SelectBlob(int config_index, int cc, bool force_ptx) {
  const Blob* best_cubin = nullptr;
  const Blob* best_ptx = nullptr;
  for (const Blob& blob : Blobs()) {
    if (blob.config_index != config_index || blob.arch > cc) continue;
    if (blob.kind == BlobKind::kCubin) {
      // A cubin runs on later minor versions of its own major architecture only.
      if (blob.arch / 10 != cc / 10 || (blob.arch_specific && blob.arch != cc)) continue;
      if (best_cubin == nullptr || blob.arch > best_cubin->arch) best_cubin = &blob;
    } else if (best_ptx == nullptr || blob.arch > best_ptx->arch) {
      best_ptx = &blob;
    }
  }
  if (!force_ptx && best_cubin != nullptr) return best_cubin;
  if (best_ptx != nullptr) return best_ptx;
  const KernelConfig& config = Configs()[config_index];
  std::vector<std::string> built;
  bool has_ptx = false;
  for (const Blob& blob : Blobs()) {
    if (blob.config_index != config_index) continue;
    has_ptx |= blob.kind == BlobKind::kPtx;
    if (blob.kind == BlobKind::kCubin) built.push_back(absl::StrCat("sm_", blob.arch, blob.arch_specific ? "a" : ""));
  }
  if (!has_ptx) {
    return absl::UnimplementedError(absl::StrCat(
        config.full_name, " has no image for compute capability ", cc / 10, ".", cc % 10,
        force_ptx ? " with PTX forced" : "", " (it is built for ",
        built.empty() ? "no architecture" : absl::StrJoin(built, ", "), " only, without PTX)",
        cc < 80 ? "; kconv's TF32 kernels need compute capability 8.0 or newer (kconv_forward_host computes on the CPU)"
                : ""));
  }
  return absl::UnimplementedError(absl::StrCat(
      "no image of ", config.full_name, " runs on compute capability ", cc / 10, ".", cc % 10,
      force_ptx ? " with PTX forced" : "",
      ": kconv's TF32 kernels need compute capability 8.0 or newer (kconv_forward_host computes on the CPU)"));
}

uint64_t KernelBuildId() {
  static const uint64_t id = [] {
    uint64_t h = kFnv1aBasis;  // over every image, in table order
    for (const Blob& blob : Blobs()) h = Fnv1a(blob.begin, blob.size(), h);
    return h;
  }();
  return id;
}

}  // namespace kconv
