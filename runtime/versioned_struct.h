// Reads a caller's input struct that starts with `size_t struct_size` (PJRT's rule): fields are only
// ever appended, so the library copies the bytes the caller's size covers over its own defaults.
#pragma once

#include <stddef.h>
#include <string.h>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace kconv {

// `smallest` is the size of the first published version of T. A size above sizeof(T) comes from a newer
// header than this library knows: its extra fields would be ignored silently, so it is refused.
template <typename T>
absl::StatusOr<T> ReadVersionedStruct(const T* in, const T& defaults, size_t smallest, const char* what) {
  if (in == nullptr) return absl::InvalidArgumentError(absl::StrCat(what, " is NULL"));
  if (in->struct_size < smallest || in->struct_size > sizeof(T)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, "->struct_size is ", in->struct_size, ", which this library (version ", KCONV_VERSION_MAJOR, ".",
        KCONV_VERSION_MINOR, ".", KCONV_VERSION_PATCH, ") does not know: expected ", smallest, "..", sizeof(T),
        in->struct_size > sizeof(T) ? " (the caller's header is newer than the library)"
                                    : " (set it to sizeof the struct, or call the struct's _init function)"));
  }
  T out = defaults;
  memcpy(&out, in, in->struct_size);
  return out;
}

}  // namespace kconv
