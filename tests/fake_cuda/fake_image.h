// SPDX-License-Identifier: Apache-2.0
// What the fake driver reads from a module image, as the real driver would: the kernels it defines, the
// architecture it was built for, and per kernel the size of its first parameter (so that a launch copies
// exactly the caller's parameter struct, never past it), its launch bound and its register count.
#pragma once

#include <string>
#include <vector>

namespace fake {

struct KernelInfo {
  std::string name;
  int param_bytes = -1;  // size of the first parameter; -1: the image does not say
  int max_threads = 0;   // __launch_bounds__ (0: none declared, the device's 1024 apply)
  int registers = 0;     // per thread (0: unknown)
};

struct ImageInfo {
  bool ok = false;
  std::string error;  // why the image is not loadable, when !ok
  bool is_ptx = false;
  int arch = 0;       // sm_XY of a cubin, or the PTX's .target
  std::vector<KernelInfo> kernels;
};

// Reads a cubin (a CUDA ELF: kernels from .symtab's functions, their parameters, bounds and registers from
// the .nv.info sections) or PTX text (NUL-terminated; kernels from ".entry <name>", the first parameter's
// size from its .param declaration). The image has no size of its own, as with cuModuleLoadData: an ELF's
// extent comes from its headers.
ImageInfo ReadImage(const void* image);

}  // namespace fake
