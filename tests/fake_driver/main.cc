// SPDX-License-Identifier: Apache-2.0
// The fake-driver suite: kconv's C API on a fake libcuda.so.1 (tests/fake_cuda), on machines without a GPU.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  // The tests choose their tuning caches and images themselves.
  unsetenv("KCONV_TUNING_CACHE");
  unsetenv("KCONV_FORCE_PTX");
  // kconv dlopens "libcuda.so.1": that must be the fake this binary is linked with (the one the name
  // already stands for in this process), never a real driver found first on the library path.
  void* cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
  if (cuda == nullptr || dlsym(cuda, "fake_cuda_reset") == nullptr) {
    fprintf(stderr, "fake_driver: \"libcuda.so.1\" in this process is not the fake driver (%s)\n",
            cuda == nullptr ? "not loaded" : "no fake_cuda_reset in it");
    return 1;
  }
  dlclose(cuda);
  doctest::Context context(argc, argv);
  return context.run();
}
