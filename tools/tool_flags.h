// SPDX-License-Identifier: Apache-2.0
// The command line of kconv-bench and kconv-tune around Abseil's flag parser (Debian's 20220623): a
// --help that lists the tools' own flags and exits 0, positional arguments rejected, and range checks
// that name the flag the way Abseil names a value it cannot parse.
#pragma once

#include <stdint.h>

#include <optional>

#include "absl/strings/string_view.h"

namespace kconv_tools {

// Parses argv with absl::ParseCommandLine, which names an unknown flag or a value it cannot parse on
// stderr and exits 1 itself. Otherwise returns the status to exit with instead of running: 0 after
// --help (any of Abseil's --help* spellings), which prints `usage` and every flag defined under tools/;
// 2 for a positional argument. std::nullopt: the flags are set; run.
std::optional<int> ParseToolFlags(int argc, char** argv, absl::string_view usage);

// Prints "ERROR: Illegal value '<value>' specified for flag '<flag>'; <why>" (Abseil's wording) to stderr.
void ReportIllegalValue(absl::string_view flag, absl::string_view value, absl::string_view why);

// True if value >= min (or min <= value <= max); else reports the value as illegal for the flag and
// returns false.
bool CheckAtLeast(absl::string_view flag, int64_t value, int64_t min);
bool CheckInRange(absl::string_view flag, int64_t value, int64_t min, int64_t max);

}  // namespace kconv_tools
