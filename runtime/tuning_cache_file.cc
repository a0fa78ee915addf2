// SPDX-License-Identifier: Apache-2.0
#include "runtime/tuning_cache_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace kconv {
namespace {

absl::Status FileError(absl::string_view what, const std::string& path, int error) {
  return absl::FailedPreconditionError(absl::StrCat(what, " ", path, ": ", std::strerror(error)));
}

FileIdentity IdentityFromStat(const struct stat& st) {
  FileIdentity id;
  id.exists = true;
  id.device = st.st_dev;
  id.inode = st.st_ino;
  id.size = st.st_size;
  id.modified_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  id.changed_ns = int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec;
  return id;
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The file a cache path names: where its symbolic links lead, so that a store replaces the file a symlink
// points to and leaves the link in place. A file that does not exist yet is found by following the links by
// hand (a dangling link names the file to create).
std::string ResolvedPath(const std::string& path) {
  char resolved[PATH_MAX];
  if (realpath(path.c_str(), resolved) != nullptr) return resolved;
  std::string current = path;
  for (int hops = 0; hops < 40; ++hops) {
    char target[PATH_MAX];
    const ssize_t n = readlink(current.c_str(), target, sizeof(target) - 1);
    if (n < 0) return current;  // not a link: the file itself
    target[n] = '\0';
    current = target[0] == '/' ? std::string(target) : DirectoryOf(current) + "/" + target;
  }
  return current;
}

TuningFile Ignored(std::string why, bool replaceable) {
  TuningFile f;
  f.problem = std::move(why);
  f.replaceable = replaceable;
  return f;
}

// An exclusive flock on `<file>.lock`, waited for at most `wait_ms`, held for the object's lifetime.
class FileLock {
 public:
  FileLock(const std::string& file, int wait_ms) : path_(file + ".lock") {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd_ < 0) {
      status_ = FileError("cannot open the tuning cache lock", path_, errno);
      return;
    }
    // Polled rather than blocking: a holder that is stopped (SIGSTOP) or hung must not hang this process.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        status_ = FileError("cannot lock", path_, errno);
        return;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        status_ = absl::DeadlineExceededError(absl::StrCat("another process has held ", path_, " for ", wait_ms,
                                                           " ms; the result was not stored"));
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  const absl::Status& status() const { return status_; }

 private:
  std::string path_;
  int fd_ = -1;
  absl::Status status_;
};

// Removes `<file>.tmp.*`: under the lock no writer is writing one, so any there belong to writers that died.
void RemoveStaleTemporaries(const std::string& file) {
  const std::string directory = DirectoryOf(file);
  const std::string prefix = file.substr(file.rfind('/') + 1) + ".tmp.";
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) return;
  while (const dirent* entry = ::readdir(dir)) {
    if (absl::StartsWith(entry->d_name, prefix)) ::unlink((directory + "/" + entry->d_name).c_str());
  }
  ::closedir(dir);
}

absl::Status WriteAll(int fd, const std::string& text, const std::string& path) {
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return FileError("cannot write", path, n < 0 ? errno : EIO);
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return FileError("cannot flush", path, errno);
  return absl::OkStatus();
}

// Rewrites `file` where it is, for a file whose owner the writer cannot give a new file: a reader may see it
// part-written (its hash then fails and it is ignored once), never a file of the wrong owner.
absl::Status RewriteInPlace(const std::string& file, const std::string& text) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return FileError("cannot rewrite", file, errno);
  absl::Status s = WriteAll(fd, text, file);
  if (::close(fd) != 0 && s.ok()) s = FileError("cannot close", file, errno);
  return s;
}

// Writes `text` to a temporary file beside `file`, with `old`'s mode and owner when there is an old file,
// then renames it over `file`.
absl::Status ReplaceFile(const std::string& file, const std::string& text, const struct stat* old) {
  static std::atomic<uint64_t> counter{0};
  const std::string temp = absl::StrCat(file, ".tmp.", ::getpid(), ".", counter++);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return FileError("cannot create", temp, errno);
  absl::Status s;
  if (old != nullptr) {
    const bool same_owner = old->st_uid == ::geteuid() && old->st_gid == ::getegid();
    if (!same_owner && ::fchown(fd, old->st_uid, old->st_gid) != 0) {
      ::close(fd);
      ::unlink(temp.c_str());
      return RewriteInPlace(file, text);
    }
    if (::fchmod(fd, old->st_mode & 07777) != 0) s = FileError("cannot set the mode of", temp, errno);
  }
  if (s.ok()) s = WriteAll(fd, text, temp);
  if (::close(fd) != 0 && s.ok()) s = FileError("cannot close", temp, errno);
  if (s.ok() && ::rename(temp.c_str(), file.c_str()) != 0) s = FileError("cannot rename the tuning cache over", file, errno);
  if (!s.ok()) ::unlink(temp.c_str());
  return s;
}

}  // namespace

FileIdentity IdentityOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return FileIdentity{};
  return IdentityFromStat(st);
}

TuningFile ReadTuningFile(const std::string& path) {
  const std::string where = absl::StrCat("tuning cache ", path, " ignored: ");
  // Non-blocking: a FIFO at the path would otherwise block the open until a writer appears.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return TuningFile{};  // nothing tuned yet
    return Ignored(absl::StrCat(where, "cannot read it: ", std::strerror(errno)), false);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    return Ignored(absl::StrCat(where, "cannot stat it: ", std::strerror(error)), false);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Ignored(absl::StrCat(where, "not a regular file"), false);
  }
  if (st.st_size > kMaxTuningFileBytes) {
    ::close(fd);
    return Ignored(absl::StrCat(where, st.st_size, " bytes, more than a cache may hold (", kMaxTuningFileBytes, ")"),
                   false);
  }
  // Read to the end, not just st_size bytes (the file may grow meanwhile), but never past the cap.
  std::string text;
  char buffer[65536];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return Ignored(absl::StrCat(where, "cannot read it: ", std::strerror(error)), false);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (static_cast<int64_t>(text.size()) > kMaxTuningFileBytes) {
      ::close(fd);
      return Ignored(absl::StrCat(where, "more than ", kMaxTuningFileBytes, " bytes"), false);
    }
  }
  ::close(fd);
  TuningFile file = ParseTuningFile(text);
  if (!file.problem.empty()) file.problem = where + file.problem;
  return file;
}

absl::Status StoreTuningResult(const std::string& path, const TuningKey& key, const TuningResult& result,
                               std::string* problem, int lock_wait_ms) {
  const std::string file = ResolvedPath(path);
  FileLock lock(file, lock_wait_ms);
  if (!lock.status().ok()) return lock.status();
  RemoveStaleTemporaries(file);
  TuningFile current = ReadTuningFile(file);
  if (!current.replaceable) return absl::FailedPreconditionError(absl::StrCat(current.problem, "; not replaced"));
  if (problem != nullptr) *problem = current.problem;
  const TuningEntry entry = AsStored(key, result);
  bool replaced = false;
  for (TuningEntry& e : current.entries) {
    if (e.key == entry.key) {
      e.result = entry.result;
      replaced = true;
    }
  }
  if (!replaced) current.entries.push_back(entry);
  const std::string text = FormatTuningFile(current.entries);
  if (static_cast<int64_t>(text.size()) > kMaxTuningFileBytes) {
    return absl::FailedPreconditionError(absl::StrCat("the tuning cache ", path, " would grow past ",
                                                      kMaxTuningFileBytes, " bytes; the result was not stored"));
  }
  struct stat old;
  const bool exists = ::stat(file.c_str(), &old) == 0;
  return ReplaceFile(file, text, exists ? &old : nullptr);
}

std::optional<TuningResult> CachedTuningFile::Find(const TuningKey& key) {
  // Identity first: a change after it only makes the next call read again.
  const FileIdentity identity = IdentityOf(path_);
  kconv::MutexLock lock(&mu_);
  if (!loaded_ || !(identity_ == identity)) {
    const TuningFile file = ReadTuningFile(path_);
    ++reads_;
    loaded_ = true;
    identity_ = identity;
    entries_.clear();
    for (const TuningEntry& e : file.entries) entries_.insert_or_assign(e.key, e.result);
    if (!file.problem.empty() && file.problem != reported_problem_) {
      fprintf(stderr, "kconv: %s\n", file.problem.c_str());
      reported_problem_ = file.problem;
    }
  }
  if (auto it = entries_.find(key); it != entries_.end()) return it->second;
  return std::nullopt;
}

int CachedTuningFile::reads() const {
  kconv::MutexLock lock(&mu_);
  return reads_;
}

}  // namespace kconv
