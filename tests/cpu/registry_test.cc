// SPDX-License-Identifier: Apache-2.0
// The embedded images: every config of families/<family>/configs for every built architecture, each a CUDA
// ELF for its architecture defining its kernel, and a PTX naming its entry; and the image choice.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "elf_view.h"
#include "kconv/kconv.h"
#include "runtime/blob_registry.h"
#include "runtime/kernel_family.h"
#include "runtime/cubin_info.h"

namespace {

constexpr int kEmCuda = 190;

std::vector<int> BuiltArchs() {
  std::vector<int> archs;
  std::stringstream in(KCONV_TEST_CUDA_ARCHS);  // e.g. "80,86,89,90"
  for (std::string a; std::getline(in, a, ',');) archs.push_back(std::stoi(a));
  return archs;
}

struct ExpectedConfig {
  std::string name;        // "family/config"
  std::vector<int> archs;  // cubin architectures
  bool arch_specific;      // sm_<arch>a cubins
  bool ptx;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The families that families/families.cmake lists, in order: the first word of each line inside
// set(KCONV_FAMILIES ...).
std::vector<std::string> FamiliesFromList() {
  std::stringstream in(Slurp(std::string(KCONV_TEST_SOURCE_DIR) + "/families/families.cmake"));
  std::vector<std::string> families;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("set(KCONV_FAMILIES", 0) == 0) {
      inside = true;
      continue;
    }
    if (!inside) continue;
    std::stringstream words(line);
    std::string word;
    words >> word;
    if (word == ")") break;
    if (!word.empty() && word[0] != '#') families.push_back(word);
  }
  return families;
}

// The config files, read independently of the generated registry. A family is built for every
// architecture plus PTX, unless its family.cmake names an architecture-specific target (sm_90a): then as
// that cubin alone, when its architecture is built.
std::vector<ExpectedConfig> ConfigsFromFiles() {
  std::vector<ExpectedConfig> configs;
  const std::vector<int> all = BuiltArchs();
  const bool hopper = std::find(all.begin(), all.end(), 90) != all.end();
  for (const std::string& family : FamiliesFromList()) {
    const std::string dir = std::string(KCONV_TEST_SOURCE_DIR) + "/families/" + family;
    const bool specific = Slurp(dir + "/family.cmake").find("set(KCONV_FAMILY_ARCH_SPECIFIC 90a)") != std::string::npos;
    std::stringstream in(Slurp(dir + "/configs"));
    for (std::string line; std::getline(in, line);) {
      std::stringstream words(line);
      std::string name;
      if (!(words >> name) || name[0] == '#') continue;
      ExpectedConfig c{family + "/" + name, all, false, KCONV_TEST_PTX_ARCH != 0};
      if (specific) c = {c.name, hopper ? std::vector<int>{90} : std::vector<int>{}, true, false};
      configs.push_back(c);
    }
  }
  return configs;
}

const kconv::Blob* FindBlob(int config, int arch, kconv::BlobKind kind) {
  for (const kconv::Blob& b : kconv::Blobs())
    if (b.config_index == config && b.arch == arch && b.kind == kind) return &b;
  return nullptr;
}

}  // namespace

TEST_CASE("registry.every_config_and_architecture_is_embedded") {
  const std::vector<ExpectedConfig> expected = ConfigsFromFiles();
  REQUIRE(expected.size() >= 18);
  REQUIRE(kconv::Configs().size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) CHECK(expected[i].name == kconv::Configs()[i].full_name);
  size_t blobs = 0;
  for (const ExpectedConfig& e : expected) {
    CAPTURE(e.name);
    auto index = kconv::FindConfig(e.name);
    REQUIRE(index.ok());
    for (int arch : e.archs) {
      CAPTURE(arch);
      const kconv::Blob* cubin = FindBlob(*index, arch, kconv::BlobKind::kCubin);
      REQUIRE(cubin != nullptr);
      ++blobs;
      CHECK(cubin->arch_specific == e.arch_specific);
      const kconv_test::ElfSummary elf = kconv_test::ReadElf({cubin->begin, cubin->size()});
      REQUIRE_MESSAGE(elf.ok, elf.error);
      CHECK(elf.machine == kEmCuda);
      CHECK(elf.CudaArch() == arch);
      const std::set<std::string> symbols(elf.defined_symbols.begin(), elf.defined_symbols.end());
      // Every kernel the family's planner launches, and no other.
      for (const std::string& suffix : kconv::Configs()[*index].family().KernelSuffixes()) {
        CHECK(symbols.count(cubin->kernel_symbol + suffix) == 1);
      }
      const int registers = kconv::CubinRegisterCount(cubin->begin, cubin->size(), cubin->kernel_symbol);
      CHECK(registers >= 32);
      CHECK(registers <= 255);
    }
    const kconv::Blob* ptx = FindBlob(*index, KCONV_TEST_PTX_ARCH, kconv::BlobKind::kPtx);
    if (!e.ptx) {
      CHECK(ptx == nullptr);
      continue;
    }
    REQUIRE(ptx != nullptr);
    ++blobs;
    const std::string text(reinterpret_cast<const char*>(ptx->begin), ptx->size());
    CHECK(ptx->end[0] == '\0');  // terminated for cuModuleLoadData
    CHECK(text.find(".target sm_" + std::to_string(KCONV_TEST_PTX_ARCH)) != std::string::npos);
    CHECK(text.find(".entry " + std::string(ptx->kernel_symbol)) != std::string::npos);
    CHECK(kconv::CubinRegisterCount(ptx->begin, ptx->size(), ptx->kernel_symbol) == 0);  // text, not an ELF
  }
  CHECK(kconv::Blobs().size() == blobs);
}

TEST_CASE("registry.wgmma_images_run_only_on_their_own_compute_capability") {
  auto index = kconv::FindConfig("stem_wgmma_tf32/m128n96_w8_k5x4");
  REQUIRE(index.ok());
  const std::vector<int> archs = BuiltArchs();
  if (std::find(archs.begin(), archs.end(), 90) != archs.end()) {
    auto hopper = kconv::SelectBlob(*index, 90, false);
    REQUIRE(hopper.ok());
    CHECK((*hopper)->arch_specific);
  }
  for (int cc : {80, 89, 100, 120}) {
    auto other = kconv::SelectBlob(*index, cc, false);
    REQUIRE(!other.ok());
    CHECK(other.status().code() == absl::StatusCode::kUnimplemented);
    CHECK(std::string(other.status().message()).find("without PTX") != std::string::npos);
  }
  auto forced = kconv::SelectBlob(*index, 90, true);
  REQUIRE(!forced.ok());
  CHECK(std::string(forced.status().message()).find("PTX forced") != std::string::npos);
}

TEST_CASE("registry.families_are_the_list_in_its_order") {
  const std::vector<std::string> listed = FamiliesFromList();
  REQUIRE(listed.size() == kconv::Families().size());
  for (size_t i = 0; i < listed.size(); ++i) CHECK(listed[i] == kconv::Families()[i].name);
}

TEST_CASE("registry.config_names_and_lookup") {
  CHECK(kconv_config_count() == static_cast<int32_t>(kconv::Configs().size()));
  CHECK(std::string(kconv_config_name(0)) == kconv::Configs()[0].full_name);
  CHECK(kconv_config_name(-1) == nullptr);
  CHECK(kconv_config_name(kconv_config_count()) == nullptr);
  CHECK(kconv::FindConfig("m64n64k16_w4_s3").ok());  // short name when unambiguous
  auto missing = kconv::FindConfig("m1n1k1_w1_s1");
  REQUIRE(!missing.ok());
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(missing.status().message()).find("m64n64k32_w4_s2") != std::string::npos);  // lists them
  // Regression (issue 16): a 1 MiB name was echoed whole into the message.
  const std::string huge(1 << 20, 'x');
  auto long_name = kconv::FindConfig(huge);
  REQUIRE(!long_name.ok());
  CHECK(long_name.status().message().size() < 8192);
  CHECK(std::string(long_name.status().message()).find("(1048576 bytes)") != std::string::npos);
}

TEST_CASE("registry.image_choice_follows_compute_capability") {
  const std::vector<int> archs = BuiltArchs();
  const int portable = *kconv::FindConfig("implicit_gemm_tf32/m32n32k32_w4_s1");  // every architecture + PTX
  const int newest = archs.back();
  SUBCASE("exact_cubin") {
    auto blob = kconv::SelectBlob(portable, newest, false);
    REQUIRE(blob.ok());
    CHECK((*blob)->kind == kconv::BlobKind::kCubin);
    CHECK((*blob)->arch == newest);
  }
  if (KCONV_TEST_PTX_ARCH != 0) SUBCASE("forced_ptx") {
    auto blob = kconv::SelectBlob(portable, newest, true);
    REQUIRE(blob.ok());
    CHECK((*blob)->kind == kconv::BlobKind::kPtx);
  }
  if (KCONV_TEST_PTX_ARCH != 0) SUBCASE("newer_major_falls_back_to_ptx") {
    auto blob = kconv::SelectBlob(portable, 120, false);
    REQUIRE(blob.ok());
    CHECK((*blob)->kind == kconv::BlobKind::kPtx);
    CHECK((*blob)->arch == KCONV_TEST_PTX_ARCH);
  }
  SUBCASE("too_old_is_unimplemented") {
    auto blob = kconv::SelectBlob(portable, 75, false);
    REQUIRE(!blob.ok());
    CHECK(blob.status().code() == absl::StatusCode::kUnimplemented);
    CHECK(std::string(blob.status().message()).find("7.5") != std::string::npos);
  }
  if (std::find(archs.begin(), archs.end(), 80) != archs.end() && std::find(archs.begin(), archs.end(), 86) == archs.end()) {
    SUBCASE("later_minor_uses_earlier_cubin_of_its_major") {
      auto blob = kconv::SelectBlob(portable, 87, false);
      REQUIRE(blob.ok());
      CHECK((*blob)->arch == 80);
    }
  }
  if (std::find(archs.begin(), archs.end(), 86) != archs.end()) {
    SUBCASE("sm_87_uses_the_sm_86_cubin") {
      auto blob = kconv::SelectBlob(portable, 87, false);
      REQUIRE(blob.ok());
      CHECK((*blob)->kind == kconv::BlobKind::kCubin);
      CHECK((*blob)->arch == 86);
    }
  }
}

TEST_CASE("registry.kernel_build_id_hashes_the_embedded_images") {
  const uint64_t id = kconv::KernelBuildId();
  CHECK(id != 0);
  CHECK(id != 0xcbf29ce484222325ull);  // the hash of nothing: the images were read
  CHECK(kconv::KernelBuildId() == id);
}
