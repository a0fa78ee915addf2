// SPDX-License-Identifier: Apache-2.0
// The GPU suite's entry point: skips the whole suite with a printed reason (exit 77, which ctest
// reports as skipped) when there is no driver or device, instead of passing silently.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "gpu_harness.h"

int main(int argc, char** argv) {
  std::string why;
  if (kconv_test::GpuDriver(&why) == nullptr) {
    std::printf("kconv GPU tests SKIPPED: %s\n", why.c_str());
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
