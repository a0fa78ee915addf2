// SPDX-License-Identifier: Apache-2.0
// The host path's GEMM micro-kernels, one per x86 vector extension, chosen at run time from what the CPU
// (and its operating system) supports, so one build runs fast on every x86-64 machine.
#pragma once

#include <stdint.h>

#include <vector>

namespace kconv {

// tile[m][j] = sum over i < reduction of w_block[i][m] * panel[i][j], for m < mr and j < nr. panel and
// tile are 64-byte aligned; w_block holds the mr weights of one reduction step together.
using HostMicroKernelFn = void (*)(int64_t reduction, const float* w_block, const float* panel, float* tile);

struct HostMicroKernel {
  const char* isa;  // "avx512", "avx2", "sse2", "generic"
  int mr;           // output channels per tile
  int nr;           // output pixels per tile (the panel's width)
  HostMicroKernelFn fn;
};

// The kernels this CPU can run, fastest first. KCONV_HOST_ISA=avx512|avx2|sse2|generic narrows the
// choice to one (for tests and comparisons) when the CPU supports it.
const std::vector<HostMicroKernel>& SupportedHostMicroKernels();
const HostMicroKernel& BestHostMicroKernel();

}  // namespace kconv
