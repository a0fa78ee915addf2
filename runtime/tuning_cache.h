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
// edited file is detected and ignored as a whole, never half trusted. Writers take an exclusive lock on
// `<path>.lock`, re-read the file, write a temporary file beside it and rename it over the old one: a
// reader sees the old file or the new one, and two processes storing at once both land.
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
};

// Parses a file's text; any malformed line, a wrong count or hash, or another format version makes the
// whole file ignored, with `problem` saying why.
TuningFile ParseTuningFile(absl::string_view text);
std::string FormatTuningFile(const std::vector<TuningEntry>& entries);

// Reads `path`. A missing file is an empty cache without a problem.
TuningFile ReadTuningFile(const std::string& path);

// The entry for `key`, if any.
std::optional<TuningResult> FindTuningResult(const TuningFile& file, const TuningKey& key);

// Adds `result` for `key` to the file at `path`, replacing an entry with the same key and keeping the
// others (a file that was ignored is replaced; `*problem` then says why, when problem is non-null).
absl::Status StoreTuningResult(const std::string& path, const TuningKey& key, const TuningResult& result,
                               std::string* problem = nullptr);

}  // namespace kconv
