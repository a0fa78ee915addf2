// SPDX-License-Identifier: Apache-2.0
#include "tools/tool_flags.h"

#include <stdio.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "kconv/kconv.h"

namespace kconv_tools {
namespace {

// Abseil's usage flags (--help, --help=text, --helpfull, ...) are not flags it registers but names its
// parser recognises, and after printing their text ParseCommandLine exits 1, listing only flags from a
// file named after the program (kconv_bench.cc for kconv-bench would not match). So the tools look for
// them before parsing and print their own list instead.
bool IsHelpRequest(absl::string_view arg) {
  if (!absl::ConsumePrefix(&arg, "-")) return false;
  absl::ConsumePrefix(&arg, "-");
  const absl::string_view name = arg.substr(0, arg.find('='));
  return name == "help" || name == "helpfull" || name == "helpshort" || name == "helppackage" || name == "helpon" ||
         name == "helpmatch";
}

// Writes `text` from column `indent` on, wrapped at 80 columns; the first line continues what is printed.
void PrintWrapped(absl::string_view text, size_t column, size_t indent) {
  constexpr size_t kWidth = 80;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (column > indent && column + 1 + word.size() > kWidth) {
      printf("\n%*s", static_cast<int>(indent), "");
      column = indent;
    } else if (column > indent) {
      printf(" ");
      ++column;
    }
    printf("%.*s", static_cast<int>(word.size()), word.data());
    column += word.size();
  }
  printf("\n");
}

// The flags defined under tools/, by file ("tools/kconv_bench.cc", then "tools/shape_flags.cc"), each
// file's flags by name; Abseil's own (--flagfile, --fromenv, ...) left out.
void PrintUsage(absl::string_view program, absl::string_view usage) {
  std::map<std::string, std::vector<const absl::CommandLineFlag*>> by_file;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const std::string file = flag->Filename();
    const size_t tools = file.rfind("tools/");
    if (tools != std::string::npos) by_file[file.substr(tools)].push_back(flag);
  }
  printf("usage: %.*s [flags]\n", static_cast<int>(program.size()), program.data());
  PrintWrapped(usage, 0, 0);
  constexpr size_t kHelpColumn = 22;
  for (auto& [file, flags] : by_file) {
    std::sort(flags.begin(), flags.end(), [](auto* a, auto* b) { return a->Name() < b->Name(); });
    printf("\nflags from %s:\n", file.c_str());
    for (const absl::CommandLineFlag* flag : flags) {
      std::string name = absl::StrCat("  --", flag->Name());
      // Valueless defaults (empty text, std::nullopt) say in their help what applies instead.
      if (const std::string value = flag->DefaultValue(); !value.empty()) absl::StrAppend(&name, "=", value);
      printf("%s", name.c_str());
      if (name.size() + 1 >= kHelpColumn) {
        printf("\n%*s", static_cast<int>(kHelpColumn), "");
      } else {
        printf("%*s", static_cast<int>(kHelpColumn - name.size()), "");
      }
      PrintWrapped(flag->Help(), kHelpColumn, kHelpColumn);
    }
  }
  printf("\n");
  PrintWrapped("Abseil's forms apply: --flag=value or --flag value; --flag and --noflag for true/false flags; "
               "--flagfile=FILE reads flags from FILE.", 0, 0);
}

}  // namespace

std::optional<int> ParseToolFlags(int argc, char** argv, absl::string_view usage) {
  absl::string_view program = argc > 0 ? argv[0] : "kconv-tool";
  program = program.substr(program.rfind('/') + 1);  // npos + 1 == 0: no folder
  // "--" ends the flags; what follows is positional, and so an error below.
  for (int i = 1; i < argc && absl::string_view(argv[i]) != "--"; ++i) {
    if (IsHelpRequest(argv[i])) {
      PrintUsage(program, usage);
      return 0;
    }
  }
  absl::FlagsUsageConfig config;
  config.version_string = [program = std::string(program)] {
    return absl::StrCat(program, " (kconv ", kconv_version_string(), ")\n");
  };
  absl::SetFlagsUsageConfig(config);
  const std::vector<char*> rest = absl::ParseCommandLine(argc, argv);  // rest[0] is argv[0]
  if (rest.size() > 1) {
    fprintf(stderr, "ERROR: unexpected argument '%s': %.*s takes flags only (--help lists them)\n", rest[1],
            static_cast<int>(program.size()), program.data());
    return 2;
  }
  return std::nullopt;
}

void ReportIllegalValue(absl::string_view flag, absl::string_view value, absl::string_view why) {
  fprintf(stderr, "ERROR: Illegal value '%.*s' specified for flag '%.*s'; %.*s\n", static_cast<int>(value.size()),
          value.data(), static_cast<int>(flag.size()), flag.data(), static_cast<int>(why.size()), why.data());
}

bool CheckAtLeast(absl::string_view flag, int64_t value, int64_t min) {
  if (value >= min) return true;
  ReportIllegalValue(flag, absl::StrCat(value), absl::StrCat("must be at least ", min));
  return false;
}

bool CheckInRange(absl::string_view flag, int64_t value, int64_t min, int64_t max) {
  if (value >= min && value <= max) return true;
  ReportIllegalValue(flag, absl::StrCat(value), absl::StrCat("must be in [", min, ", ", max, "]"));
  return false;
}

}  // namespace kconv_tools
