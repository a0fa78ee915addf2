// SPDX-License-Identifier: Apache-2.0
#include "fake_image.h"

#include <elf.h>
#include <stdint.h>
#include <string.h>

#include <cctype>
#include <map>
#include <string_view>

namespace fake {
namespace {

constexpr uint16_t kMachineCuda = 190;  // EM_CUDA
constexpr uint8_t kCudaEntry = 0x10;    // st_other of a __global__ function (STO_CUDA_ENTRY)
constexpr uint64_t kMaxImageBytes = uint64_t{1} << 30;

// .nv.info records: u8 format, u8 attribute, then a u16 that is the value (formats 1-3) or the size of a
// payload that follows (format 4, EIFMT_SVAL).
constexpr uint8_t kFormatSized = 0x04;
constexpr uint8_t kFormatHalf = 0x03;
constexpr uint8_t kAttrMaxThreads = 0x05;     // EIATTR_MAX_THREADS: u32 x, y, z (__launch_bounds__)
constexpr uint8_t kAttrParamInfo = 0x17;      // EIATTR_KPARAM_INFO: u32 index, u16 ordinal, u16 offset, u32 info
constexpr uint8_t kAttrParamBankSize = 0x19;  // EIATTR_CBANK_PARAM_SIZE: all parameters' bytes, as the value
constexpr uint8_t kAttrRegisterCount = 0x2f;  // EIATTR_REGCOUNT: u32 symbol, u32 registers

ImageInfo Refuse(std::string why) {
  ImageInfo info;
  info.error = std::move(why);
  return info;
}

template <typename T>
T Read(const unsigned char* at) {
  T value;
  memcpy(&value, at, sizeof(T));
  return value;
}

// Walks the records of one .nv.info section, calling visit(format, attribute, value_or_size, payload).
template <typename Visit>
void ForEachRecord(const unsigned char* section, uint64_t size, Visit&& visit) {
  for (uint64_t at = 0; at + 4 <= size;) {
    const uint8_t format = section[at], attribute = section[at + 1];
    const uint16_t value = Read<uint16_t>(section + at + 2);
    if (format != kFormatSized) {
      visit(format, attribute, value, nullptr);
      at += 4;
      continue;
    }
    if (at + 4 + value > size) return;
    visit(format, attribute, value, section + at + 4);
    at += 4 + value;
  }
}

ImageInfo ReadCubin(const unsigned char* image) {
  const auto eh = Read<Elf64_Ehdr>(image);
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) return Refuse("a 32-bit ELF is no cubin");
  if (eh.e_machine != kMachineCuda) return Refuse("an ELF for another machine than EM_CUDA");
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shstrndx >= eh.e_shnum ||
      eh.e_shoff > kMaxImageBytes) {
    return Refuse("an ELF without a usable section header table");
  }
  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  for (uint16_t i = 0; i < eh.e_shnum; ++i) sections[i] = Read<Elf64_Shdr>(image + eh.e_shoff + i * sizeof(Elf64_Shdr));
  for (const Elf64_Shdr& sh : sections) {
    if (sh.sh_type != SHT_NOBITS && (sh.sh_offset > kMaxImageBytes || sh.sh_size > kMaxImageBytes)) {
      return Refuse("an ELF section lies outside any plausible image");
    }
  }
  auto string_at = [&](const Elf64_Shdr& table, uint64_t index) -> std::string_view {
    if (index >= table.sh_size) return {};
    const char* begin = reinterpret_cast<const char*>(image + table.sh_offset + index);
    return std::string_view(begin, strnlen(begin, table.sh_size - index));
  };

  ImageInfo info;
  info.is_ptx = false;
  info.arch = eh.e_ident[EI_ABIVERSION] >= 8 ? static_cast<int>((eh.e_flags >> 8) & 0xff)
                                              : static_cast<int>(eh.e_flags & 0xff);
  std::map<uint64_t, size_t> kernel_of_symbol;  // .symtab index -> info.kernels index
  for (const Elf64_Shdr& sh : sections) {
    if (sh.sh_type != SHT_SYMTAB || sh.sh_entsize != sizeof(Elf64_Sym) || sh.sh_link >= sections.size()) continue;
    const Elf64_Shdr& strings = sections[sh.sh_link];
    for (uint64_t k = 0; k < sh.sh_size / sizeof(Elf64_Sym); ++k) {
      const auto sym = Read<Elf64_Sym>(image + sh.sh_offset + k * sizeof(Elf64_Sym));
      if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF || !(sym.st_other & kCudaEntry)) continue;
      kernel_of_symbol[k] = info.kernels.size();
      info.kernels.push_back(KernelInfo{std::string(string_at(strings, sym.st_name))});
    }
  }
  const Elf64_Shdr& names = sections[eh.e_shstrndx];
  for (const Elf64_Shdr& sh : sections) {
    const std::string_view name = string_at(names, sh.sh_name);
    if (name == ".nv.info") {
      ForEachRecord(image + sh.sh_offset, sh.sh_size, [&](uint8_t format, uint8_t attribute, uint16_t size,
                                                          const unsigned char* payload) {
        if (format != kFormatSized || attribute != kAttrRegisterCount || size < 8) return;
        if (auto it = kernel_of_symbol.find(Read<uint32_t>(payload)); it != kernel_of_symbol.end()) {
          info.kernels[it->second].registers = static_cast<int>(Read<uint32_t>(payload + 4));
        }
      });
      continue;
    }
    constexpr std::string_view kPerKernel = ".nv.info.";
    if (name.substr(0, kPerKernel.size()) != kPerKernel) continue;
    for (KernelInfo& kernel : info.kernels) {
      if (name.substr(kPerKernel.size()) != kernel.name) continue;
      int bank_bytes = -1;
      ForEachRecord(image + sh.sh_offset, sh.sh_size, [&](uint8_t format, uint8_t attribute, uint16_t value,
                                                          const unsigned char* payload) {
        if (format == kFormatHalf && attribute == kAttrParamBankSize) bank_bytes = value;
        if (format == kFormatSized && attribute == kAttrParamInfo && value >= 12 && Read<uint16_t>(payload + 4) == 0) {
          kernel.param_bytes = static_cast<int>((Read<uint32_t>(payload + 8) >> 18) & 0x3fff);
        }
        if (format == kFormatSized && attribute == kAttrMaxThreads && value >= 12) {
          kernel.max_threads = static_cast<int>(Read<uint32_t>(payload) * Read<uint32_t>(payload + 4) *
                                                Read<uint32_t>(payload + 8));
        }
      });
      if (kernel.param_bytes < 0) kernel.param_bytes = bank_bytes;
    }
  }
  info.ok = true;
  return info;
}

bool IsIdentifier(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }

// Bytes of a PTX scalar type such as ".u64" or ".b8"; 0 if not one.
int PtxTypeBytes(std::string_view type) {
  if (type.size() < 3 || type[0] != '.') return 0;
  const std::string_view bits = type.substr(2);
  if (bits == "8") return 1;
  if (bits == "16") return 2;
  if (bits == "32") return 4;
  if (bits == "64") return 8;
  return 0;
}

// The size of `kernel`'s first parameter from its declaration, e.g. ".param .align 8 .b8 k_param_0[1136]"
// or ".param .u64 k_param_0"; -1 if it has none or it cannot be read.
int PtxFirstParamBytes(std::string_view text, const std::string& kernel) {
  const std::string param = kernel + "_param_0";
  size_t at = text.find(param);
  while (at != std::string_view::npos &&
         ((at > 0 && IsIdentifier(text[at - 1])) ||
          (at + param.size() < text.size() && IsIdentifier(text[at + param.size()])))) {
    at = text.find(param, at + 1);
  }
  if (at == std::string_view::npos) return -1;
  size_t type_end = at;
  while (type_end > 0 && std::isspace(static_cast<unsigned char>(text[type_end - 1]))) --type_end;
  size_t type_begin = type_end;
  while (type_begin > 0 && !std::isspace(static_cast<unsigned char>(text[type_begin - 1]))) --type_begin;
  const int element = PtxTypeBytes(text.substr(type_begin, type_end - type_begin));
  if (element == 0) return -1;
  const size_t after = at + param.size();
  if (after >= text.size() || text[after] != '[') return element;
  int count = 0;
  for (size_t i = after + 1; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    count = count * 10 + (text[i] - '0');
    if (count > (1 << 20)) return -1;
  }
  return element * count;
}

ImageInfo ReadPtx(std::string_view text) {
  ImageInfo info;
  info.is_ptx = true;
  const size_t target = text.find(".target");
  if (target == std::string_view::npos) return Refuse("PTX without a .target directive");
  size_t at = text.find("sm_", target);
  if (at == std::string_view::npos) return Refuse("PTX whose .target names no sm_ architecture");
  for (at += 3; at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])); ++at) {
    info.arch = info.arch * 10 + (text[at] - '0');
  }
  constexpr std::string_view kEntry = ".entry";
  for (size_t e = text.find(kEntry); e != std::string_view::npos; e = text.find(kEntry, e + 1)) {
    size_t begin = e + kEntry.size();
    if (begin >= text.size() || !std::isspace(static_cast<unsigned char>(text[begin]))) continue;
    while (begin < text.size() && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
    size_t end = begin;
    while (end < text.size() && IsIdentifier(text[end])) ++end;
    if (end == begin) continue;
    KernelInfo kernel{std::string(text.substr(begin, end - begin))};
    kernel.param_bytes = PtxFirstParamBytes(text, kernel.name);
    info.kernels.push_back(std::move(kernel));
  }
  info.ok = true;
  return info;
}

}  // namespace

ImageInfo ReadImage(const void* image) {
  const auto* bytes = static_cast<const unsigned char*>(image);
  if (memcmp(bytes, ELFMAG, SELFMAG) == 0) return ReadCubin(bytes);
  if (Read<uint32_t>(bytes) == 0xba55ed50u) return Refuse("a fatbinary: the fake loads cubins and PTX only");
  const std::string_view text(reinterpret_cast<const char*>(bytes));
  if (text.find(".version") == std::string_view::npos) return Refuse("neither a cubin nor PTX text");
  return ReadPtx(text);
}

}  // namespace fake
