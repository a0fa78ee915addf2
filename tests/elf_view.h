// SPDX-License-Identifier: Apache-2.0
// A minimal ELF64 reader for the tests: enough to check that an embedded image is a CUDA ELF for the
// right architecture with its kernel symbol, and what a shared library exports and needs.
#pragma once

#include <stdint.h>

#include <span>
#include <string>
#include <vector>

namespace kconv_test {

struct ElfSummary {
  bool ok = false;
  std::string error;
  uint16_t machine = 0;       // 190 = EM_CUDA
  uint8_t abi_version = 0;    // e_ident[EI_ABIVERSION]
  uint32_t flags = 0;
  std::vector<std::string> defined_symbols;  // from .symtab and .dynsym, excluding undefined ones
  std::vector<std::string> exported_symbols; // global or weak, defined, default/protected visibility, in .dynsym
  std::vector<std::string> needed;           // DT_NEEDED entries
  std::vector<std::string> needed_versions;  // symbol versions needed from them ("GLIBC_2.34"), .gnu.version_r

  // The SM architecture of a CUDA ELF (e.g. 90), from e_flags: bits 8..15 since ABI version 8, the low
  // byte before.
  int CudaArch() const { return abi_version >= 8 ? static_cast<int>((flags >> 8) & 0xff) : static_cast<int>(flags & 0xff); }
};

ElfSummary ReadElf(std::span<const unsigned char> bytes);
std::vector<unsigned char> ReadFile(const std::string& path);

}  // namespace kconv_test
