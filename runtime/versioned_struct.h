// Reads a caller's input struct, or writes an output struct, that starts with `size_t struct_size`
// (PJRT's rule): fields are only ever appended, so the library copies the bytes the caller's size covers.
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

// Writes `full` to a caller's output struct that starts with `size_t struct_size`: as many bytes as the
// caller's struct_size covers (from `smallest`, the first published size, up to sizeof(T)), keeping that
// struct_size; fields past it are not written.
template <typename T>
absl::Status WriteVersionedStruct(T* out, const T& full, size_t smallest, const char* what) {
  if (out->struct_size < smallest || out->struct_size > sizeof(T)) {
    return absl::InvalidArgumentError(absl::StrCat(what, "->struct_size is ", out->struct_size,
                                                   ", which this library does not know: expected up to ", sizeof(T)));
  }
  const size_t caller_size = out->struct_size;
  memcpy(out, &full, caller_size);
  out->struct_size = caller_size;
  return absl::OkStatus();
}

}  // namespace kconv
