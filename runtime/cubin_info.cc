// SPDX-License-Identifier: Apache-2.0
#include "runtime/cubin_info.h"

#include <elf.h>
#include <string.h>

#include <cstdint>

namespace kconv {
namespace {

// .nv.info records: u8 format, u8 attribute, then for format EIFMT_SVAL a u16 payload size and the
// payload, for the other formats a u16 value. EIATTR_REGCOUNT's payload is {u32 symbol, u32 registers}.
constexpr uint8_t kFormatSizedValue = 0x04;
constexpr uint8_t kAttributeRegisterCount = 0x2f;

template <typename T>
bool ReadAt(const unsigned char* image, size_t size, uint64_t offset, T* out) {
  if (offset > size || size - offset < sizeof(T)) return false;
  memcpy(out, image + offset, sizeof(T));
  return true;
}

}  // namespace

int CubinRegisterCount(const unsigned char* image, size_t size, const char* symbol) {
  Elf64_Ehdr eh;
  if (!ReadAt(image, size, 0, &eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_shentsize != sizeof(Elf64_Shdr)) {
    return 0;
  }
  auto section = [&](uint16_t i, Elf64_Shdr* out) {
    return ReadAt(image, size, eh.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr), out);
  };
  Elf64_Shdr names;
  if (!section(eh.e_shstrndx, &names)) return 0;
  auto name_is = [&](uint64_t table_offset, uint64_t index, const char* want) {
    const size_t n = strlen(want) + 1;
    return table_offset + index + n <= size && memcmp(image + table_offset + index, want, n) == 0;
  };
  // The symbol's index in .symtab, which .nv.info records refer to.
  int64_t symbol_index = -1;
  Elf64_Shdr info{};
  bool have_info = false;
  for (uint16_t i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh;
    if (!section(i, &sh)) return 0;
    if (name_is(names.sh_offset, sh.sh_name, ".nv.info")) {
      info = sh;
      have_info = true;
    }
    if (sh.sh_type != SHT_SYMTAB || sh.sh_entsize != sizeof(Elf64_Sym)) continue;
    Elf64_Shdr strings;
    if (!section(static_cast<uint16_t>(sh.sh_link), &strings)) return 0;
    for (uint64_t k = 0; k < sh.sh_size / sizeof(Elf64_Sym); ++k) {
      Elf64_Sym sym;
      if (!ReadAt(image, size, sh.sh_offset + k * sizeof(Elf64_Sym), &sym)) return 0;
      if (name_is(strings.sh_offset, sym.st_name, symbol)) symbol_index = static_cast<int64_t>(k);
    }
  }
  if (symbol_index < 0 || !have_info) return 0;
  for (uint64_t at = info.sh_offset; at + 4 <= info.sh_offset + info.sh_size && at + 4 <= size;) {
    const uint8_t format = image[at], attribute = image[at + 1];
    if (format != kFormatSizedValue) {
      at += 4;
      continue;
    }
    uint16_t payload = 0;
    if (!ReadAt(image, size, at + 2, &payload)) return 0;
    uint32_t record[2];
    if (attribute == kAttributeRegisterCount && payload >= 8 && ReadAt(image, size, at + 4, &record) &&
        record[0] == static_cast<uint64_t>(symbol_index)) {
      return static_cast<int>(record[1]);
    }
    at += 4 + payload;
  }
  return 0;
}

}  // namespace kconv
