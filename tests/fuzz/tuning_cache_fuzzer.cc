// SPDX-License-Identifier: Apache-2.0
// libFuzzer harness: the tuning cache's parser.
//
// The input is a cache file's text. A random text rarely carries a valid hash, which would stop every
// input at the hash check, so for one input in two the harness appends the end line a writer would (count
// and FNV-1a hash over the text) and the parser reads every line. Whatever parses must format back to a
// file that parses to the same entries (times to the two decimals the format keeps), and every entry must
// be found by its key.
#include <stddef.h>
#include <stdint.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "runtime/fnv1a.h"
#include "runtime/tuning_cache.h"

namespace {

void Fail(const char* what) {
  fprintf(stderr, "tuning_cache_fuzzer: %s\n", what);
  abort();
}

bool SameTime(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::fabs(a - b) <= 0.0051 + 1e-9 * std::fabs(a);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 1) {
    // The end line a writer appends: the entry lines counted, the hash over everything before it.
    if (!text.empty() && text.back() != '\n') text += '\n';
    size_t entries = 0;
    for (absl::string_view line : absl::StrSplit(text, '\n')) entries += !line.empty() && line[0] != '#';
    entries -= entries > 0;  // the header line
    text += absl::StrFormat("end %d %016x\n", entries, kconv::Fnv1a(text.data(), text.size()));
  }
  const kconv::TuningFile file = kconv::ParseTuningFile(text);
  if (!file.problem.empty()) {
    if (!file.entries.empty()) Fail("an ignored file kept entries");
    return 0;
  }
  const kconv::TuningFile again = kconv::ParseTuningFile(kconv::FormatTuningFile(file.entries));
  if (!again.problem.empty()) Fail("a formatted file does not parse");
  if (again.entries.size() != file.entries.size()) Fail("the round trip changed the entry count");
  for (size_t i = 0; i < file.entries.size(); ++i) {
    const kconv::TuningEntry &a = file.entries[i], &b = again.entries[i];
    if (!(kconv::AsStored(a.key, a.result).key == b.key) || kconv::AsStored(a.key, a.result).result.config != b.result.config) {
      Fail("the round trip changed a key or config");
    }
    if (!SameTime(a.result.median_us, b.result.median_us) || !SameTime(a.result.p10_us, b.result.p10_us) ||
        !SameTime(a.result.p90_us, b.result.p90_us)) {
      Fail("the round trip changed a time");
    }
    if (!kconv::FindTuningResult(file, a.key).has_value()) Fail("an entry is not found by its key");
  }
  return 0;
}
