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

int CubinRegisterCount(const unsigned char* image, size_t size) {
  Elf64_Ehdr eh;
  if (!ReadAt(image, size, 0, &eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_shentsize != sizeof(Elf64_Shdr)) {
    return 0;
  }
  Elf64_Shdr names;
  if (!ReadAt(image, size, eh.e_shoff + uint64_t{eh.e_shstrndx} * sizeof(Elf64_Shdr), &names)) return 0;
  for (uint16_t i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh;
    if (!ReadAt(image, size, eh.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr), &sh)) return 0;
    static constexpr char kInfo[] = ".nv.info";
    if (names.sh_offset + sh.sh_name + sizeof(kInfo) > size ||
        memcmp(image + names.sh_offset + sh.sh_name, kInfo, sizeof(kInfo)) != 0) {
      continue;
    }
    for (uint64_t at = sh.sh_offset; at + 4 <= sh.sh_offset + sh.sh_size && at + 4 <= size;) {
      const uint8_t format = image[at], attribute = image[at + 1];
      uint16_t payload = 0;
      if (format != kFormatSizedValue) {
        at += 4;
        continue;
      }
      if (!ReadAt(image, size, at + 2, &payload)) return 0;
      uint32_t registers = 0;
      if (attribute == kAttributeRegisterCount && payload >= 8 && ReadAt(image, size, at + 8, &registers)) {
        return static_cast<int>(registers);
      }
      at += 4 + payload;
    }
  }
  return 0;
}

}  // namespace kconv
