// SPDX-License-Identifier: Apache-2.0
// The persistent tuning cache: autotuning results, keyed by everything that invalidates one, in a
// versioned text file a person can read.
//
//   kconv tuning cache, format 2
//   # device <TAB> cc <TAB> SMs <TAB> driver <TAB> library <TAB> build <TAB> descriptor <TAB> config ...
//   NVIDIA H200	90	132	13000	0.2.0	5f1c...	n=256 c=3 ... math=0 type=fp32 layout=NCHW	<family>/m256...	358.6	355.1	360.8
//   end 1 9a3c5e0f12345678
//
// Format 2 added the descriptor's element type and layout; a file of another format is ignored, with a
// message. The last line counts the entries and carries an FNV-1a hash of every line before it, so a truncated or
// edited file is detected and ignored as a whole, never half trusted. Reading and storing the file is
// runtime/tuning_cache_file.h's business.
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "runtime/conv_shape.h"

namespace kconv {

inline constexpr int kTuningFileFormat = 2;

struct TuningKey {
  std::string device_name;
  int cc = 0;
  int sm_count = 0;
  int driver_version = 0;       // cuDriverGetVersion, e.g. 13000
  std::string library_version;  // "0.2.0"
  uint64_t build_id = 0;        // KernelBuildId(): a hash of every embedded kernel image
  ConvShapeKey shape{};

  bool operator==(const TuningKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const TuningKey& k) {
    return H::combine(std::move(h), k.device_name, k.cc, k.sm_count, k.driver_version, k.library_version, k.build_id,
                      k.shape);
  }
};

struct TuningResult {
  std::string config;  // full name, "family/config"
  double median_us = 0, p10_us = 0, p90_us = 0;
};

struct TuningEntry {
  TuningKey key;
  TuningResult result;
};

struct TuningFile {
  std::vector<TuningEntry> entries;
  std::string problem;  // non-empty: why the file was ignored (then `entries` is empty)
  // False when a store must leave the file alone although it was ignored: it could not be read, is not a
  // regular file, or is larger than a cache can be. A damaged or other-format cache may be replaced.
  bool replaceable = true;
};

// Parses a file's text; any malformed line, a wrong count or hash, or another format version makes the
// whole file ignored, with `problem` saying why.
TuningFile ParseTuningFile(absl::string_view text);
std::string FormatTuningFile(const std::vector<TuningEntry>& entries);

// The entry as a file stores it, so that what is stored is what a later read returns (tabs and line breaks
// in names become spaces).
TuningEntry AsStored(const TuningKey& key, const TuningResult& result);

// The entry for `key`, if any.
std::optional<TuningResult> FindTuningResult(const TuningFile& file, const TuningKey& key);


}  // namespace kconv
