// SPDX-License-Identifier: Apache-2.0
// Every published version of each struct of the C ABI, oldest first: what the library accepts as a
// caller's struct_size, and which bytes of it are fields (runtime/versioned_struct.h). A version is added
// here whenever a field is appended to a struct in include/kconv/kconv.h, and none is ever removed. A
// version ends at its last field: its tail padding, which a later version may fill with a field, is never
// read, since an older caller never wrote it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kconv/kconv.h"
#include "runtime/versioned_struct.h"

namespace kconv {

// The version of T whose last field ends at `fields_end`: its size is that end rounded up to T's alignment.
template <typename T>
constexpr StructVersion VersionEndingAt(size_t fields_end) {
  return {(fields_end + alignof(T) - 1) / alignof(T) * alignof(T), fields_end};
}

// 0.1: up to math_mode (its 4 bytes of tail padding are element_type in 0.2); 0.2: element_type, layout.
inline constexpr StructVersion kConvDescVersions[] = {
    VersionEndingAt<kconv_conv_desc>(offsetof(kconv_conv_desc, element_type)),
    VersionEndingAt<kconv_conv_desc>(offsetof(kconv_conv_desc, layout) + sizeof(int32_t)),
};

// 0.1 before tuning_cache_path, then with it.
inline constexpr StructVersion kContextOptionsVersions[] = {
    VersionEndingAt<kconv_context_options>(offsetof(kconv_context_options, tuning_cache_path)),
    VersionEndingAt<kconv_context_options>(offsetof(kconv_context_options, tuning_cache_path) + sizeof(void*)),
};

inline constexpr StructVersion kPlanOptionsVersions[] = {
    VersionEndingAt<kconv_plan_options>(offsetof(kconv_plan_options, config_name) + sizeof(void*)),
};

// 0.3: threads, reference.
inline constexpr StructVersion kHostOptionsVersions[] = {
    VersionEndingAt<kconv_host_options>(offsetof(kconv_host_options, reference) + sizeof(int32_t)),
};

inline constexpr StructVersion kAutotuneOptionsVersions[] = {
    VersionEndingAt<kconv_autotune_options>(offsetof(kconv_autotune_options, progress_user_data) + sizeof(void*)),
};

// 0.1: up to shared_bytes; 0.2: packed_weight_bytes.
inline constexpr StructVersion kPlanInfoVersions[] = {
    VersionEndingAt<kconv_plan_info>(offsetof(kconv_plan_info, packed_weight_bytes)),
    VersionEndingAt<kconv_plan_info>(offsetof(kconv_plan_info, packed_weight_bytes) + sizeof(int64_t)),
};

inline constexpr StructVersion kAutotuneCandidateVersions[] = {
    VersionEndingAt<kconv_autotune_candidate>(offsetof(kconv_autotune_candidate, occupancy) + sizeof(double)),
};

// The newest version of each is the struct the header declares: a field appended without a version here
// fails to compile.
template <typename T, size_t N>
constexpr bool NewestIsCurrent(const StructVersion (&versions)[N]) {
  return versions[N - 1].size == sizeof(T);
}
static_assert(NewestIsCurrent<kconv_conv_desc>(kConvDescVersions), "add kconv_conv_desc's new version here");
static_assert(NewestIsCurrent<kconv_context_options>(kContextOptionsVersions),
              "add kconv_context_options's new version here");
static_assert(NewestIsCurrent<kconv_plan_options>(kPlanOptionsVersions), "add kconv_plan_options's new version here");
static_assert(NewestIsCurrent<kconv_autotune_options>(kAutotuneOptionsVersions),
              "add kconv_autotune_options's new version here");
static_assert(NewestIsCurrent<kconv_host_options>(kHostOptionsVersions), "add kconv_host_options's new version here");
static_assert(NewestIsCurrent<kconv_plan_info>(kPlanInfoVersions), "add kconv_plan_info's new version here");
static_assert(NewestIsCurrent<kconv_autotune_candidate>(kAutotuneCandidateVersions),
              "add kconv_autotune_candidate's new version here");

}  // namespace kconv
