// SPDX-License-Identifier: Apache-2.0
// The tuning cache file: round trips, files that must be ignored, key matching, concurrent writers.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "runtime/tuning_cache.h"
#include "runtime/tuning_cache_file.h"

namespace {

// A fresh directory under $TMPDIR (or /tmp), removed with its files at the end of the test.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/kconv-tuning-XXXXXX";
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() { REQUIRE(system(("rm -rf '" + path_ + "'").c_str()) == 0); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

kconv::TuningKey Key(int64_t n) {
  kconv::TuningKey k;
  k.device_name = "NVIDIA H200";
  k.cc = 90;
  k.sm_count = 132;
  k.driver_version = 13000;
  k.library_version = "0.1.0";
  k.build_id = 0x5f1c00ddba11ab1eull;
  k.shape = kconv::ConvShapeKey{{n, 3, 224, 224, 96, 11, 11, 4, 4, 2, 2, 1, 1, 1, 0, KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW}};
  return k;
}

kconv::TuningResult Result(const std::string& config, double us) { return {config, us, us * 0.99, us * 1.01}; }

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void Spit(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST_CASE("tuning_cache.round_trip_keeps_every_key_and_replaces_an_entry_with_the_same_key") {
  TempDir dir;
  const std::string path = dir.File("tuning.txt");
  CHECK(kconv::ReadTuningFile(path).entries.empty());  // missing: empty, no problem
  CHECK(kconv::ReadTuningFile(path).problem.empty());
  REQUIRE(kconv::StoreTuningResult(path, Key(256), Result("stem_wgmma_tf32/m256n96_w8_k5x3", 358.6)).ok());
  REQUIRE(kconv::StoreTuningResult(path, Key(1), Result("stem_wgmma_tf32/m64n96_w4_k5x4", 17.3)).ok());
  kconv::TuningFile file = kconv::ReadTuningFile(path);
  CHECK(file.problem.empty());
  REQUIRE(file.entries.size() == 2);
  auto big = kconv::FindTuningResult(file, Key(256));
  REQUIRE(big.has_value());
  CHECK(big->config == "stem_wgmma_tf32/m256n96_w8_k5x3");
  CHECK(big->median_us == doctest::Approx(358.6));
  CHECK(big->p90_us == doctest::Approx(358.6 * 1.01).epsilon(1e-4));

  REQUIRE(kconv::StoreTuningResult(path, Key(256), Result("stem_tf32/m256n96_w8_k4x2", 400.0)).ok());
  file = kconv::ReadTuningFile(path);
  REQUIRE(file.entries.size() == 2);
  CHECK(kconv::FindTuningResult(file, Key(256))->config == "stem_tf32/m256n96_w8_k4x2");
  CHECK(kconv::FindTuningResult(file, Key(1))->config == "stem_wgmma_tf32/m64n96_w4_k5x4");

  // A person can read it: one line per entry, the descriptor spelled out.
  const std::string text = Slurp(path);
  CHECK(text.rfind("kconv tuning cache, format 2\n", 0) == 0);
  CHECK(text.find("NVIDIA H200\t90\t132\t13000\t0.1.0\t") != std::string::npos);
  CHECK(text.find("n=256 c=3 h=224 w=224 k=96 r=11 s=11 stride_h=4 stride_w=4 pad_h=2 pad_w=2") != std::string::npos);
  CHECK(text.find("math=0 type=fp32 layout=NCHW\t") != std::string::npos);
}

TEST_CASE("tuning_cache.a_key_that_differs_in_any_part_finds_nothing") {
  kconv::TuningFile file;
  file.entries.push_back({Key(256), Result("stem_tf32/m256n96_w8_k4x2", 420.0)});
  CHECK(kconv::FindTuningResult(file, Key(256)).has_value());
  auto changed = [&](auto edit) {
    kconv::TuningKey k = Key(256);
    edit(k);
    return kconv::FindTuningResult(file, k).has_value();
  };
  CHECK_FALSE(changed([](kconv::TuningKey& k) { k.device_name = "NVIDIA H100 80GB HBM3"; }));
  CHECK_FALSE(changed([](kconv::TuningKey& k) { k.cc = 89; }));
  CHECK_FALSE(changed([](kconv::TuningKey& k) { k.sm_count = 114; }));
  CHECK_FALSE(changed([](kconv::TuningKey& k) { k.driver_version = 12080; }));
  CHECK_FALSE(changed([](kconv::TuningKey& k) { k.library_version = "0.2.0"; }));
  CHECK_FALSE(changed([](kconv::TuningKey& k) { k.build_id ^= 1; }));
  CHECK_FALSE(changed([](kconv::TuningKey& k) { k.shape.v[9] = 3; }));    // pad_h
  CHECK_FALSE(changed([](kconv::TuningKey& k) { k.shape.v[13] = 3; }));   // bias and ReLU
  CHECK_FALSE(changed([](kconv::TuningKey& k) { k.shape.v[15] = KCONV_ELEMENT_BF16; }));
  CHECK_FALSE(changed([](kconv::TuningKey& k) { k.shape.v[16] = KCONV_LAYOUT_NHWC; }));
}

TEST_CASE("tuning_cache.element_types_and_layouts_round_trip_by_name") {
  TempDir dir;
  const std::string path = dir.File("tuning.txt");
  kconv::TuningKey half = Key(8);
  half.shape.v[15] = KCONV_ELEMENT_F16;
  half.shape.v[16] = KCONV_LAYOUT_NHWC;
  REQUIRE(kconv::StoreTuningResult(path, half, Result("family/config", 10.0)).ok());
  REQUIRE(kconv::StoreTuningResult(path, Key(8), Result("family/other", 20.0)).ok());
  CHECK(Slurp(path).find("type=fp16 layout=NHWC") != std::string::npos);
  const kconv::TuningFile file = kconv::ReadTuningFile(path);
  REQUIRE(file.problem.empty());
  CHECK(kconv::FindTuningResult(file, half)->config == "family/config");
  CHECK(kconv::FindTuningResult(file, Key(8))->config == "family/other");
}

TEST_CASE("tuning_cache.damaged_truncated_and_other_version_files_are_ignored_whole") {
  TempDir dir;
  const std::string path = dir.File("tuning.txt");
  REQUIRE(kconv::StoreTuningResult(path, Key(256), Result("stem_wgmma_tf32/m256n96_w8_k5x3", 358.6)).ok());
  REQUIRE(kconv::StoreTuningResult(path, Key(32), Result("stem_wgmma_tf32/m256n96_w8_k5x3", 59.5)).ok());
  const std::string good = Slurp(path);
  REQUIRE(kconv::ParseTuningFile(good).problem.empty());

  auto problem_of = [](const std::string& text) {
    const kconv::TuningFile f = kconv::ParseTuningFile(text);
    CHECK(f.entries.empty());
    return f.problem;
  };
  SUBCASE("one digit changed") {
    std::string edited = good;
    edited[edited.find("358.60")] = '1';
    CHECK(problem_of(edited).find("hash") != std::string::npos);
  }
  SUBCASE("cut in the middle of an entry") {
    CHECK(problem_of(good.substr(0, good.find("59.50"))).find("truncated") != std::string::npos);
  }
  SUBCASE("an entry line lost") {
    const size_t first = good.find("NVIDIA"), second = good.find("NVIDIA", first + 1);
    std::string lost = good.substr(0, first) + good.substr(second);
    CHECK(!problem_of(lost).empty());
  }
  SUBCASE("another format version") {
    std::string other = good;
    other.replace(other.find("format 2"), 8, "format 3");
    CHECK(problem_of(other).find("format 3, this library reads format 2") != std::string::npos);
  }
  SUBCASE("format 1, before the element type and layout") {
    std::string old = good;
    old.replace(old.find("format 2"), 8, "format 1");
    CHECK(problem_of(old).find("format 1, this library reads format 2") != std::string::npos);
  }
  SUBCASE("not a cache at all") { CHECK(problem_of("hello\n").find("not a kconv tuning cache") != std::string::npos); }
  SUBCASE("empty") { CHECK(!problem_of("").empty()); }

  // Reading a damaged file names it; storing replaces it and says why.
  Spit(path, good.substr(0, good.size() / 2));
  const kconv::TuningFile damaged = kconv::ReadTuningFile(path);
  CHECK(damaged.entries.empty());
  CHECK(damaged.problem.find(path) != std::string::npos);
  std::string why;
  REQUIRE(kconv::StoreTuningResult(path, Key(1), Result("stem_wgmma_tf32/m64n96_w4_k5x4", 17.3), &why).ok());
  CHECK(!why.empty());
  const kconv::TuningFile rewritten = kconv::ReadTuningFile(path);
  CHECK(rewritten.problem.empty());
  CHECK(rewritten.entries.size() == 1);
}

TEST_CASE("tuning_cache.processes_storing_at_once_all_land") {
  TempDir dir;
  const std::string path = dir.File("tuning.txt");
  constexpr int kProcesses = 4, kEntries = 25;
  pid_t children[kProcesses];
  for (int p = 0; p < kProcesses; ++p) {
    children[p] = fork();
    REQUIRE(children[p] >= 0);
    if (children[p] == 0) {
      int failures = 0;
      for (int i = 0; i < kEntries; ++i) {
        failures += !kconv::StoreTuningResult(path, Key(1000 * (p + 1) + i), Result("stem_tf32/m64n96_w4_k5x2", i + 1.0)).ok();
      }
      _exit(failures == 0 ? 0 : 1);
    }
  }
  for (pid_t child : children) {
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  const kconv::TuningFile file = kconv::ReadTuningFile(path);
  CHECK(file.problem.empty());
  CHECK(file.entries.size() == kProcesses * kEntries);
  for (int p = 0; p < kProcesses; ++p)
    for (int i = 0; i < kEntries; ++i) CHECK(kconv::FindTuningResult(file, Key(1000 * (p + 1) + i)).has_value());
}

TEST_CASE("tuning_cache.an_unwritable_path_is_an_error_not_a_crash") {
  const absl::Status s =
      kconv::StoreTuningResult("/nonexistent-kconv-dir/tuning.txt", Key(1), Result("stem_tf32/m64n96_w4_k5x2", 1.0));
  CHECK(absl::IsFailedPrecondition(s));
  CHECK(std::string(s.message()).find("/nonexistent-kconv-dir/tuning.txt") != std::string::npos);
}
