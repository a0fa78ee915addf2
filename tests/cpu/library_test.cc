// SPDX-License-Identifier: Apache-2.0
// The shared library exports only the C API and does not link the CUDA driver or runtime.
#include <doctest/doctest.h>

#include <set>
#include <stdio.h>
#include <string>

#include "elf_view.h"

#ifdef KCONV_TEST_SHARED_LIBRARY
TEST_CASE("library.exports_only_kconv_symbols") {
  const auto bytes = kconv_test::ReadFile(KCONV_TEST_SHARED_LIBRARY);
  REQUIRE(!bytes.empty());
  const kconv_test::ElfSummary elf = kconv_test::ReadElf(bytes);
  REQUIRE_MESSAGE(elf.ok, elf.error);
  const std::set<std::string> exported(elf.exported_symbols.begin(), elf.exported_symbols.end());
  for (const char* api : {"kconv_context_create", "kconv_plan_create", "kconv_plan_execute", "kconv_forward",
                          "kconv_forward_host", "kconv_status_string", "kconv_last_error_message"}) {
    CHECK_MESSAGE(exported.count(api) == 1, api);
  }
  for (const std::string& name : elf.exported_symbols) {
    CAPTURE(name);
    CHECK(name.rfind("kconv_", 0) == 0);
  }
}

TEST_CASE("library.links_neither_libcuda_nor_libcudart_nor_libstdcxx") {
  const kconv_test::ElfSummary elf = kconv_test::ReadElf(kconv_test::ReadFile(KCONV_TEST_SHARED_LIBRARY));
  REQUIRE(elf.ok);
  REQUIRE(!elf.needed.empty());  // libc at least: the table was read
  for (const std::string& lib : elf.needed) {
    CAPTURE(lib);
    CHECK(lib.find("libcuda") == std::string::npos);
    CHECK(lib.find("libcudart") == std::string::npos);
    CHECK(lib.find("libstdc++") == std::string::npos);
    CHECK(lib.find("libabsl") == std::string::npos);
  }
}

// The library loads with glibc 2.34 (RHEL 9, Ubuntu 22.04): no GLIBC_2.35 or newer version is needed, and
// the C++ runtime inside needs none of the system's libstdc++ versions.
TEST_CASE("library.needs_glibc_2_34_at_most") {
  const kconv_test::ElfSummary elf = kconv_test::ReadElf(kconv_test::ReadFile(KCONV_TEST_SHARED_LIBRARY));
  REQUIRE(elf.ok);
  bool saw_glibc = false;
  for (const std::string& version : elf.needed_versions) {
    CAPTURE(version);
    CHECK(version.rfind("GLIBCXX_", 0) == std::string::npos);
    CHECK(version.rfind("CXXABI_", 0) == std::string::npos);
    int major = 0, minor = 0;
    if (sscanf(version.c_str(), "GLIBC_%d.%d", &major, &minor) == 2) {
      saw_glibc = true;
      CHECK((major < 2 || (major == 2 && minor <= 34)));
    }
  }
  CHECK(saw_glibc);  // the version table was read
}
#endif
