// SPDX-License-Identifier: Apache-2.0
// The tuning cache on disk (its format: runtime/tuning_cache.h), shared by processes. Reading accepts only
// a regular file of at most kMaxTuningFileBytes and never blocks. A store takes an exclusive lock on
// `<file>.lock` for at most a bounded wait, re-reads the file, writes a temporary file beside it with the
// old file's mode (and owner, where the writer may set it) and renames it over the file: readers see the
// old file or the new one, two processes storing at once both land, and a symlinked cache stays a symlink
// (the file it points to is replaced). Temporary files of writers that died are removed under the lock.
// CachedTuningFile keeps a parsed file for a process that looks entries up at every plan.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "runtime/mutex.h"
#include "runtime/tuning_cache.h"

namespace kconv {

inline constexpr int64_t kMaxTuningFileBytes = int64_t{16} << 20;  // ~80,000 entries
inline constexpr int kTuningLockWaitMs = 5000;

// What stat() says of a file, to tell whether it changed since it was read; `exists` false for none.
struct FileIdentity {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  int64_t modified_ns = 0;
  int64_t changed_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};
FileIdentity IdentityOf(const std::string& path);

// Reads `path`. A missing file is an empty cache without a problem; anything else that cannot be used is
// ignored with a problem saying why (and, when it is not a cache kconv may replace, replaceable = false).
TuningFile ReadTuningFile(const std::string& path);

// Adds `result` for `key` to the file at `path`, replacing an entry with the same key and keeping the
// others. A damaged or other-format file is replaced (*problem then says why, when problem is not null);
// a file that could not be read, or is not a regular file, or would outgrow kMaxTuningFileBytes is left
// alone (FAILED_PRECONDITION). Another process holding the lock for kTuningLockWaitMs: DEADLINE_EXCEEDED,
// nothing stored. Write errors: FAILED_PRECONDITION naming the call and the file.
absl::Status StoreTuningResult(const std::string& path, const TuningKey& key, const TuningResult& result,
                               std::string* problem = nullptr, int lock_wait_ms = kTuningLockWaitMs);

// A cache file as a process reads it again and again: parsed once, and again only when its identity
// changes, its entries indexed by key. Thread-safe. An ignored file is reported to `report` (stderr by
// default) once per problem.
class CachedTuningFile {
 public:
  explicit CachedTuningFile(std::string path) : path_(std::move(path)) {}
  std::optional<TuningResult> Find(const TuningKey& key);
  const std::string& path() const { return path_; }
  int reads() const;  // how often the file was read and parsed

 private:
  const std::string path_;
  mutable kconv::Mutex mu_;
  bool loaded_ ABSL_GUARDED_BY(mu_) = false;
  FileIdentity identity_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<TuningKey, TuningResult> entries_ ABSL_GUARDED_BY(mu_);
  std::string reported_problem_ ABSL_GUARDED_BY(mu_);
  int reads_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace kconv
