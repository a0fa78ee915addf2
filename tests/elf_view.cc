// SPDX-License-Identifier: Apache-2.0
#include "elf_view.h"

#include <elf.h>
#include <string.h>

#include <fstream>
#include <iterator>

namespace kconv_test {
namespace {

template <typename T>
bool Read(std::span<const unsigned char> bytes, uint64_t offset, T* out) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return false;
  memcpy(out, bytes.data() + offset, sizeof(T));
  return true;
}

std::string StringAt(std::span<const unsigned char> bytes, uint64_t table, uint64_t table_size, uint64_t index) {
  if (index >= table_size || table + table_size > bytes.size()) return {};
  const char* begin = reinterpret_cast<const char*>(bytes.data() + table + index);
  return std::string(begin, strnlen(begin, table_size - index));
}

}  // namespace

ElfSummary ReadElf(std::span<const unsigned char> bytes) {
  ElfSummary out;
  Elf64_Ehdr eh;
  if (!Read(bytes, 0, &eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) {
    out.error = "not an ELF64 file";
    return out;
  }
  out.machine = eh.e_machine;
  out.abi_version = eh.e_ident[EI_ABIVERSION];
  out.flags = eh.e_flags;
  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  for (uint16_t i = 0; i < eh.e_shnum; ++i) {
    if (!Read(bytes, eh.e_shoff + uint64_t{i} * eh.e_shentsize, &sections[i])) {
      out.error = "truncated section header table";
      return out;
    }
  }
  for (const Elf64_Shdr& sh : sections) {
    if (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM) {
      if (sh.sh_link >= sections.size() || sh.sh_entsize != sizeof(Elf64_Sym)) continue;
      const Elf64_Shdr& strtab = sections[sh.sh_link];
      for (uint64_t off = sh.sh_entsize; off + sizeof(Elf64_Sym) <= sh.sh_size; off += sh.sh_entsize) {
        Elf64_Sym sym;
        if (!Read(bytes, sh.sh_offset + off, &sym) || sym.st_shndx == SHN_UNDEF) continue;
        std::string name = StringAt(bytes, strtab.sh_offset, strtab.sh_size, sym.st_name);
        if (name.empty()) continue;
        const int bind = ELF64_ST_BIND(sym.st_info);
        const int visibility = ELF64_ST_VISIBILITY(sym.st_other);
        if (sh.sh_type == SHT_DYNSYM && (bind == STB_GLOBAL || bind == STB_WEAK) &&
            (visibility == STV_DEFAULT || visibility == STV_PROTECTED)) {
          out.exported_symbols.push_back(name);
        }
        out.defined_symbols.push_back(std::move(name));
      }
    }
    if (sh.sh_type == SHT_GNU_verneed && sh.sh_link < sections.size()) {
      // A chain of Verneed entries (one per library), each with a chain of Vernaux (one per version).
      const Elf64_Shdr& strtab = sections[sh.sh_link];
      uint64_t need = sh.sh_offset;
      for (int files = 0; files < 1024; ++files) {
        Elf64_Verneed vn;
        if (!Read(bytes, need, &vn)) break;
        uint64_t aux = need + vn.vn_aux;
        for (uint16_t i = 0; i < vn.vn_cnt; ++i) {
          Elf64_Vernaux va;
          if (!Read(bytes, aux, &va)) break;
          out.needed_versions.push_back(StringAt(bytes, strtab.sh_offset, strtab.sh_size, va.vna_name));
          if (va.vna_next == 0) break;
          aux += va.vna_next;
        }
        if (vn.vn_next == 0) break;
        need += vn.vn_next;
      }
    }
    if (sh.sh_type == SHT_DYNAMIC && sh.sh_link < sections.size()) {
      const Elf64_Shdr& strtab = sections[sh.sh_link];
      for (uint64_t off = 0; off + sizeof(Elf64_Dyn) <= sh.sh_size; off += sizeof(Elf64_Dyn)) {
        Elf64_Dyn dyn;
        if (!Read(bytes, sh.sh_offset + off, &dyn) || dyn.d_tag == DT_NULL) break;
        if (dyn.d_tag == DT_NEEDED) out.needed.push_back(StringAt(bytes, strtab.sh_offset, strtab.sh_size, dyn.d_un.d_val));
      }
    }
  }
  out.ok = true;
  return out;
}

std::vector<unsigned char> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace kconv_test
