// SPDX-License-Identifier: Apache-2.0
// The tuning cache file under hostile conditions (issue 16): files that are unreadable, special, symlinked,
// too large or owned with a mode; writers killed mid-write and a lock holder that is stopped; a process
// reading the file at every plan. No call hangs, no entry is lost, nothing kconv cannot read is replaced.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/tuning_cache.h"
#include "runtime/tuning_cache_file.h"

namespace {

class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/kconv-cache-XXXXXX";
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
    chmod(path_.c_str(), 0777);  // a child that drops root privileges must reach its files
  }
  ~TempDir() { CHECK(system(("rm -rf '" + path_ + "'").c_str()) == 0); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

kconv::TuningKey Key(int64_t n) {
  kconv::TuningKey k;
  k.device_name = "NVIDIA H200";
  k.cc = 90;
  k.sm_count = 132;
  k.driver_version = 13000;
  k.library_version = "0.2.0";
  k.build_id = 0x5f1c00ddba11ab1eull;
  k.shape = kconv::ConvShapeKey{{n, 3, 224, 224, 96, 11, 11, 4, 4, 2, 2, 1, 1, 1, 0, KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW}};
  return k;
}

kconv::TuningResult Result(double us) { return {"stem_tf32/m64n96_w4_k5x2", us, us * 0.99, us * 1.01}; }

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `body` in a child process and returns its exit status (or 128 + signal).
template <typename Body>
int InChild(Body body) {
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) _exit(body());
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

TEST_CASE("tuning_cache_file.an_unreadable_file_is_reported_and_never_replaced") {
  // Regression: EACCES was taken for a missing file, silently, and the next store replaced it.
  TempDir dir;
  const std::string path = dir.File("tuning.txt");
  REQUIRE(kconv::StoreTuningResult(path, Key(1), Result(1.0)).ok());
  REQUIRE(kconv::StoreTuningResult(path, Key(2), Result(2.0)).ok());
  const std::string before = Slurp(path);
  REQUIRE(chmod(path.c_str(), 0) == 0);
  REQUIRE(chmod((path + ".lock").c_str(), 0666) == 0);  // the lock stays usable: the refusal is the file's
  // Root reads anything: the child drops to an unprivileged user first.
  const int status = InChild([&] {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) return 10;
    const kconv::TuningFile file = kconv::ReadTuningFile(path);
    if (file.problem.find("cannot read it") == std::string::npos || file.replaceable) return 11;
    const absl::Status stored = kconv::StoreTuningResult(path, Key(3), Result(3.0));
    if (stored.ok() || stored.message().find("not replaced") == absl::string_view::npos) return 12;
    return 0;
  });
  CHECK(status == 0);
  REQUIRE(chmod(path.c_str(), 0644) == 0);
  CHECK(Slurp(path) == before);  // both entries kept
}

TEST_CASE("tuning_cache_file.special_files_are_refused_without_blocking") {
  // Regressions: a FIFO hung kconv_plan_create; /dev/zero was read until memory ran out.
  TempDir dir;
  const std::string fifo = dir.File("fifo");
  REQUIRE(mkfifo(fifo.c_str(), 0644) == 0);
  for (const std::string& path : {fifo, std::string("/dev/zero"), dir.path()}) {
    CAPTURE(path);
    const auto start = std::chrono::steady_clock::now();
    const kconv::TuningFile file = kconv::ReadTuningFile(path);
    CHECK(file.problem.find("not a regular file") != std::string::npos);
    CHECK(!file.replaceable);
    CHECK(file.entries.empty());
    const absl::Status stored = kconv::StoreTuningResult(path, Key(1), Result(1.0), nullptr, 200);
    CHECK(!stored.ok());
    CHECK(Seconds(start) < 5.0);
  }
  struct stat st;
  REQUIRE(stat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));  // still the FIFO: not replaced
}

TEST_CASE("tuning_cache_file.a_file_past_the_size_cap_is_ignored_and_kept") {
  TempDir dir;
  const std::string path = dir.File("tuning.txt");
  REQUIRE(truncate(path.c_str(), 0) != 0);  // absent so far
  {
    std::ofstream out(path);
    out << "kconv tuning cache, format 2\n";
  }
  REQUIRE(truncate(path.c_str(), kconv::kMaxTuningFileBytes + 1) == 0);
  const kconv::TuningFile file = kconv::ReadTuningFile(path);
  CHECK(file.problem.find("more than a cache may hold") != std::string::npos);
  CHECK(!file.replaceable);
  CHECK(!kconv::StoreTuningResult(path, Key(1), Result(1.0)).ok());
  struct stat st;
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK(st.st_size == kconv::kMaxTuningFileBytes + 1);
}

TEST_CASE("tuning_cache_file.a_symlinked_cache_stays_a_symlink_and_keeps_its_mode") {
  // Regressions: a store replaced the link with an ordinary file and gave the file the writer's mode.
  TempDir dir;
  const std::string target = dir.File("real.txt"), link = dir.File("link.txt");
  REQUIRE(kconv::StoreTuningResult(target, Key(1), Result(1.0)).ok());
  REQUIRE(chmod(target.c_str(), 0640) == 0);
  REQUIRE(symlink("real.txt", link.c_str()) == 0);
  REQUIRE(kconv::StoreTuningResult(link, Key(2), Result(2.0)).ok());
  struct stat st;
  REQUIRE(lstat(link.c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));
  REQUIRE(stat(target.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  const kconv::TuningFile file = kconv::ReadTuningFile(link);
  CHECK(file.problem.empty());
  CHECK(file.entries.size() == 2);
  // A dangling link names the file to create.
  const std::string dangling = dir.File("dangling.txt");
  REQUIRE(symlink("made.txt", dangling.c_str()) == 0);
  REQUIRE(kconv::StoreTuningResult(dangling, Key(3), Result(3.0)).ok());
  REQUIRE(lstat(dangling.c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));
  CHECK(kconv::ReadTuningFile(dir.File("made.txt")).entries.size() == 1);
}

TEST_CASE("tuning_cache_file.a_stopped_lock_holder_delays_a_store_boundedly_and_loses_nothing") {
  // Regression: a writer waited forever while another process held the lock and was stopped.
  TempDir dir;
  const std::string path = dir.File("tuning.txt");
  REQUIRE(kconv::StoreTuningResult(path, Key(1), Result(1.0)).ok());
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  const pid_t holder = fork();
  REQUIRE(holder >= 0);
  if (holder == 0) {
    const int fd = open((path + ".lock").c_str(), O_RDWR);
    if (fd < 0 || ::flock(fd, LOCK_EX) != 0) _exit(1);
    if (write(ready[1], "x", 1) != 1) _exit(1);
    raise(SIGSTOP);  // holds the lock, stopped
    _exit(0);
  }
  char byte;
  REQUIRE(read(ready[0], &byte, 1) == 1);
  const auto start = std::chrono::steady_clock::now();
  const absl::Status stored = kconv::StoreTuningResult(path, Key(2), Result(2.0), nullptr, 300);
  const double waited = Seconds(start);
  CHECK(absl::IsDeadlineExceeded(stored));
  CHECK(std::string(stored.message()).find("was not stored") != std::string::npos);
  CHECK(waited >= 0.25);
  CHECK(waited < 3.0);
  kill(holder, SIGKILL);
  int status = 0;
  REQUIRE(waitpid(holder, &status, 0) == holder);
  close(ready[0]);
  close(ready[1]);
  // The lock died with its holder: the store goes through, and the first entry is still there.
  REQUIRE(kconv::StoreTuningResult(path, Key(2), Result(2.0)).ok());
  CHECK(kconv::ReadTuningFile(path).entries.size() == 2);
}

TEST_CASE("tuning_cache_file.writers_killed_mid_write_lose_no_entry_and_leave_no_temporary_file") {
  // Regression: killed writers left <path>.tmp.* files behind.
  TempDir dir;
  const std::string path = dir.File("tuning.txt");
  constexpr int kWriters = 6, kEntries = 40;
  std::vector<pid_t> writers;
  for (int p = 0; p < kWriters; ++p) {
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      for (int i = 0; i < kEntries; ++i) {
        if (!kconv::StoreTuningResult(path, Key(1000 * (p + 1) + i), Result(i + 1.0)).ok()) _exit(1);
      }
      _exit(0);
    }
    writers.push_back(child);
  }
  // Half of them are killed part-way, at whatever step they are in (possibly holding the lock, with a
  // temporary file written).
  usleep(20000);
  for (int p = 0; p < kWriters; p += 2) kill(writers[p], SIGKILL);
  std::vector<int> finished(kWriters, 0);
  for (int p = 0; p < kWriters; ++p) {
    int status = 0;
    REQUIRE(waitpid(writers[p], &status, 0) == writers[p]);
    finished[p] = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (p % 2 == 1) CHECK(finished[p]);  // the survivors never fail
  }
  // One more store: it removes what the killed writers left.
  REQUIRE(kconv::StoreTuningResult(path, Key(1), Result(1.0)).ok());
  const kconv::TuningFile file = kconv::ReadTuningFile(path);
  REQUIRE(file.problem.empty());
  for (int p = 0; p < kWriters; ++p) {
    if (!finished[p]) continue;
    for (int i = 0; i < kEntries; ++i) CHECK(kconv::FindTuningResult(file, Key(1000 * (p + 1) + i)).has_value());
  }
  CHECK(system(("ls '" + dir.path() + "' | grep -q '\\.tmp\\.'").c_str()) != 0);
}

TEST_CASE("tuning_cache_file.a_cached_file_is_parsed_once_and_again_when_it_changes") {
  // Regression: the file was read and parsed again at every plan creation (54 ms for 20,000 entries).
  TempDir dir;
  const std::string path = dir.File("tuning.txt");
  std::vector<kconv::TuningEntry> entries;
  for (int i = 0; i < 20000; ++i) entries.push_back(kconv::AsStored(Key(i + 1), Result(i + 1.0)));
  {
    std::ofstream out(path);
    out << kconv::FormatTuningFile(entries);
  }
  kconv::CachedTuningFile cached(path);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) REQUIRE(cached.Find(Key(i + 1)).has_value());
  CHECK(cached.reads() == 1);
  MESSAGE("1000 lookups in a 20,000-entry file: " << Seconds(start) * 1e3 << " ms");
  CHECK(!cached.Find(Key(999999)).has_value());
  REQUIRE(kconv::StoreTuningResult(path, Key(999999), Result(7.0)).ok());
  CHECK(cached.Find(Key(999999)).has_value());  // the change is seen
  CHECK(cached.reads() == 2);
  CHECK(cached.Find(Key(5)).has_value());
  CHECK(cached.reads() == 2);
}
