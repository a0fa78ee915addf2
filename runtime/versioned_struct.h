// SPDX-License-Identifier: Apache-2.0
// Reads a caller's input struct, or writes an output struct, that starts with `size_t struct_size` (PJRT's
// rule): fields are only ever appended, and a caller passes the size of the version its header declared.
// The library knows every published version of each struct (runtime/struct_versions.h) and reads or writes
// exactly that version's fields: a version's size may include tail padding that a later version fills
// with a field, and those bytes, never written by the older caller, are not read as that field.
#pragma once

#include <stddef.h>
#include <string.h>

#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "kconv/kconv.h"

namespace kconv {

struct StructVersion {
  size_t size;        // sizeof the struct as that version's header declared it
  size_t fields_end;  // the end of its last field: the size less its tail padding
};

// The version whose size is `size`, or null.
inline const StructVersion* FindStructVersion(std::span<const StructVersion> versions, size_t size) {
  for (const StructVersion& v : versions)
    if (v.size == size) return &v;
  return nullptr;
}

inline absl::Status UnknownStructSize(std::span<const StructVersion> versions, size_t size, const char* what) {
  std::string sizes = absl::StrJoin(versions, ", ", [](std::string* out, const StructVersion& v) {
    absl::StrAppend(out, v.size);
  });
  return absl::InvalidArgumentError(absl::StrCat(
      what, "->struct_size is ", size, ", which this library (version ", KCONV_VERSION_MAJOR, ".",
      KCONV_VERSION_MINOR, ".", KCONV_VERSION_PATCH, ") does not know: expected one of ", sizes,
      size > versions.back().size ? " (the caller's header is newer than the library)"
                                  : " (set it to sizeof the struct, or call the struct's _init function)"));
}

// The caller's struct, with the fields its version lacks taken from `defaults`.
template <typename T>
absl::StatusOr<T> ReadVersionedStruct(const T* in, const T& defaults, std::span<const StructVersion> versions,
                                      const char* what) {
  if (in == nullptr) return absl::InvalidArgumentError(absl::StrCat(what, " is NULL"));
  const StructVersion* version = FindStructVersion(versions, in->struct_size);
  if (version == nullptr) return UnknownStructSize(versions, in->struct_size, what);
  T out = defaults;
  memcpy(&out, in, version->fields_end);
  return out;
}

// Writes `full` into a caller's output struct: the fields of the caller's version, keeping its struct_size.
template <typename T>
absl::Status WriteVersionedStruct(T* out, const T& full, std::span<const StructVersion> versions, const char* what) {
  const size_t caller_size = out->struct_size;
  const StructVersion* version = FindStructVersion(versions, caller_size);
  if (version == nullptr) return UnknownStructSize(versions, caller_size, what);
  memcpy(out, &full, version->fields_end);
  out->struct_size = caller_size;
  return absl::OkStatus();
}

// Fills the caller's struct of `size` bytes (one of `versions`) with `defaults` and that struct_size; its
// tail padding is zeroed. Writes nothing for an unknown size.
template <typename T>
absl::Status InitVersionedStruct(T* out, const T& defaults, size_t size, std::span<const StructVersion> versions,
                                 const char* what) {
  if (out == nullptr) return absl::InvalidArgumentError(absl::StrCat(what, " is NULL"));
  const StructVersion* version = FindStructVersion(versions, size);
  if (version == nullptr) return UnknownStructSize(versions, size, what);
  unsigned char bytes[sizeof(T)] = {};
  memcpy(bytes, &defaults, version->fields_end);
  memcpy(out, bytes, version->size);
  out->struct_size = version->size;
  return absl::OkStatus();
}

}  // namespace kconv
