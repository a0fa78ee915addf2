// SPDX-License-Identifier: Apache-2.0
#include "runtime/tuning_cache.h"



#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "runtime/fnv1a.h"

namespace kconv {
namespace {

constexpr absl::string_view kHeader = "kconv tuning cache, format ";
constexpr absl::string_view kColumns =
    "# device\tcc\tSMs\tdriver\tlibrary\tbuild\tdescriptor\tconfig\tmedian_us\tp10_us\tp90_us";
constexpr const char* kShapeNames[13] = {"n", "c", "h", "w", "k", "r", "s", "stride_h", "stride_w",
                                         "pad_h", "pad_w", "dil_h", "dil_w"};

// Tabs and line breaks would split fields or lines; device names and versions never need them.
std::string Field(absl::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return out;
}

// The element types and layouts by name, indexed by their enum values.
constexpr const char* kElementTypes[] = {"fp32", "fp16", "bf16"};
constexpr const char* kLayouts[] = {"NCHW", "NHWC"};

template <size_t N>
const char* NameOf(const char* const (&names)[N], int64_t value) {
  return value >= 0 && value < static_cast<int64_t>(N) ? names[value] : "?";
}

template <size_t N>
bool ValueOf(const char* const (&names)[N], absl::string_view name, int64_t* value) {
  for (size_t i = 0; i < N; ++i) {
    if (name == names[i]) {
      *value = static_cast<int64_t>(i);
      return true;
    }
  }
  return false;
}

// "n=256 ... dil_w=1 bias=1 relu=0 math=0 type=fp32 layout=NCHW": every field of the key.
std::string FormatShape(const ConvShapeKey& k) {
  std::string out;
  for (int i = 0; i < 13; ++i) absl::StrAppend(&out, kShapeNames[i], "=", k.v[i], " ");
  absl::StrAppend(&out, "bias=", k.v[13] & 1, " relu=", (k.v[13] >> 1) & 1, " math=", k.v[14],
                  " type=", NameOf(kElementTypes, k.v[15]), " layout=", NameOf(kLayouts, k.v[16]));
  return out;
}

bool ParseShape(absl::string_view text, ConvShapeKey* k) {
  constexpr int kParts = 18;
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ' ');
  if (parts.size() != kParts) return false;
  int64_t v[kParts];
  for (int i = 0; i < kParts; ++i) {
    const std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(parts[i], absl::MaxSplits('=', 1));
    if (i == 16 || i == 17) {
      const bool type = i == 16;
      if (kv.first != (type ? "type" : "layout")) return false;
      if (!(type ? ValueOf(kElementTypes, kv.second, &v[i]) : ValueOf(kLayouts, kv.second, &v[i]))) return false;
      continue;
    }
    const char* name = i < 13 ? kShapeNames[i] : i == 13 ? "bias" : i == 14 ? "relu" : "math";
    if (kv.first != name || !absl::SimpleAtoi(kv.second, &v[i])) return false;
  }
  for (int i = 0; i < 13; ++i) k->v[i] = v[i];
  k->v[13] = (v[13] ? 1 : 0) | (v[14] ? 2 : 0);
  for (int i = 14; i < ConvShapeKey::kFields; ++i) k->v[i] = v[i + 1];
  return true;
}

bool ParseEntry(absl::string_view line, TuningEntry* e) {
  const std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
  if (f.size() != 11) return false;
  e->key.device_name = std::string(f[0]);
  e->key.library_version = std::string(f[4]);
  e->result.config = std::string(f[7]);
  return !e->key.device_name.empty() && absl::SimpleAtoi(f[1], &e->key.cc) && absl::SimpleAtoi(f[2], &e->key.sm_count) &&
         absl::SimpleAtoi(f[3], &e->key.driver_version) && absl::SimpleHexAtoi(f[5], &e->key.build_id) &&
         ParseShape(f[6], &e->key.shape) && !e->result.config.empty() &&
         absl::SimpleAtod(f[8], &e->result.median_us) && absl::SimpleAtod(f[9], &e->result.p10_us) &&
         absl::SimpleAtod(f[10], &e->result.p90_us);
}

std::string FormatEntry(const TuningEntry& e) {
  return absl::StrFormat("%s\t%d\t%d\t%d\t%s\t%016x\t%s\t%s\t%.2f\t%.2f\t%.2f", Field(e.key.device_name), e.key.cc,
                         e.key.sm_count, e.key.driver_version, Field(e.key.library_version), e.key.build_id,
                         FormatShape(e.key.shape), Field(e.result.config), e.result.median_us, e.result.p10_us,
                         e.result.p90_us);
}

TuningFile Ignored(std::string why) {
  TuningFile f;
  f.problem = std::move(why);
  return f;
}

}  // namespace

TuningFile ParseTuningFile(absl::string_view text) {
  if (!absl::StartsWith(text, kHeader)) return Ignored("not a kconv tuning cache (no header line)");
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  int format = 0;
  if (!absl::SimpleAtoi(lines[0].substr(kHeader.size()), &format)) return Ignored("unreadable format line");
  if (format != kTuningFileFormat) {
    return Ignored(absl::StrCat("format ", format, ", this library reads format ", kTuningFileFormat));
  }
  if (lines.size() < 2 || !absl::StartsWith(lines.back(), "end ")) {
    return Ignored("truncated: no end line");
  }
  const size_t body_bytes = static_cast<size_t>(lines.back().data() - text.data());
  const std::vector<absl::string_view> end = absl::StrSplit(lines.back(), ' ');
  size_t count = 0;
  uint64_t hash = 0;
  if (end.size() != 3 || !absl::SimpleAtoi(end[1], &count) || !absl::SimpleHexAtoi(end[2], &hash)) {
    return Ignored("unreadable end line");
  }
  if (hash != Fnv1a(text.data(), body_bytes)) return Ignored("the hash does not match: edited or damaged");
  TuningFile file;
  for (size_t i = 1; i + 1 < lines.size(); ++i) {
    if (lines[i].empty() || lines[i][0] == '#') continue;
    TuningEntry e;
    if (!ParseEntry(lines[i], &e)) return Ignored(absl::StrCat("line ", i + 1, " is malformed"));
    file.entries.push_back(std::move(e));
  }
  if (file.entries.size() != count) {
    return Ignored(absl::StrCat("the end line counts ", count, " entries, the file holds ", file.entries.size()));
  }
  return file;
}

std::string FormatTuningFile(const std::vector<TuningEntry>& entries) {
  std::string body = absl::StrCat(kHeader, kTuningFileFormat, "\n", kColumns, "\n");
  for (const TuningEntry& e : entries) absl::StrAppend(&body, FormatEntry(e), "\n");
  return absl::StrCat(body, absl::StrFormat("end %d %016x\n", entries.size(), Fnv1a(body.data(), body.size())));
}

TuningEntry AsStored(const TuningKey& key, const TuningResult& result) {
  TuningEntry entry{key, result};
  entry.key.device_name = Field(key.device_name);
  entry.key.library_version = Field(key.library_version);
  entry.result.config = Field(result.config);
  return entry;
}

std::optional<TuningResult> FindTuningResult(const TuningFile& file, const TuningKey& key) {
  for (const TuningEntry& e : file.entries)
    if (e.key == key) return e.result;
  return std::nullopt;
}

}  // namespace kconv
