// SPDX-License-Identifier: Apache-2.0
#include "runtime/host_microkernels.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace kconv {
namespace {

// The portable kernel: plain loops the compiler vectorises for the build's baseline.
constexpr int kGenericMr = 4, kGenericNr = 8;
void GenericKernel(int64_t reduction, const float* w, const float* panel, float* tile) {
  float acc[kGenericMr][kGenericNr] = {};
  for (int64_t i = 0; i < reduction; ++i) {
    for (int m = 0; m < kGenericMr; ++m) {
      for (int j = 0; j < kGenericNr; ++j) acc[m][j] += w[i * kGenericMr + m] * panel[i * kGenericNr + j];
    }
  }
  memcpy(tile, acc, sizeof(acc));
}

#if defined(__x86_64__)
// Each x86 kernel keeps an mr x nr tile of accumulators in registers: per reduction step it loads one
// panel row (nr pixels, two vectors) and broadcasts mr weights. The sizes fill the register file (16 or
// 32 vectors) with accumulators, two pixel vectors and a broadcast. The accumulators are named variables,
// not an array: GCC keeps an array of vectors on the stack and stores it on every step.
#define KCONV_ACCUMULATORS(T, zero, m) T a##m##0 = zero, a##m##1 = zero
// One reduction step of row m: broadcast its weight, multiply-add both pixel vectors (a macro, not a
// lambda: a lambda does not inherit the function's target attribute).
#define KCONV_STEP(m) \
  do { \
    const auto b = SET1(w[i * kMr + m]); \
    a##m##0 = MADD(b, x0, a##m##0); \
    a##m##1 = MADD(b, x1, a##m##1); \
  } while (0)
#define KCONV_STORE(store, m) store(tile + m * kNr, a##m##0), store(tile + m * kNr + kNr / 2, a##m##1)

// SSE2 (every x86-64 CPU): 6 x 8, 12 of 16 xmm registers accumulate; no FMA: a multiply and an add.
#define SET1 _mm_set1_ps
#define MADD(b, x, a) _mm_add_ps(a, _mm_mul_ps(b, x))
void Sse2Kernel(int64_t reduction, const float* w, const float* panel, float* tile) {
  constexpr int kMr = 6, kNr = 8;
  KCONV_ACCUMULATORS(__m128, _mm_setzero_ps(), 0); KCONV_ACCUMULATORS(__m128, _mm_setzero_ps(), 1);
  KCONV_ACCUMULATORS(__m128, _mm_setzero_ps(), 2); KCONV_ACCUMULATORS(__m128, _mm_setzero_ps(), 3);
  KCONV_ACCUMULATORS(__m128, _mm_setzero_ps(), 4); KCONV_ACCUMULATORS(__m128, _mm_setzero_ps(), 5);
  for (int64_t i = 0; i < reduction; ++i) {
    const __m128 x0 = _mm_load_ps(panel + i * kNr), x1 = _mm_load_ps(panel + i * kNr + 4);
    KCONV_STEP(0); KCONV_STEP(1); KCONV_STEP(2); KCONV_STEP(3); KCONV_STEP(4); KCONV_STEP(5);
  }
  KCONV_STORE(_mm_store_ps, 0); KCONV_STORE(_mm_store_ps, 1); KCONV_STORE(_mm_store_ps, 2);
  KCONV_STORE(_mm_store_ps, 3); KCONV_STORE(_mm_store_ps, 4); KCONV_STORE(_mm_store_ps, 5);
}
constexpr int kSse2Mr = 6, kSse2Nr = 8;

// AVX2 + FMA: 6 x 16, 12 of 16 ymm registers accumulate.
#undef SET1
#undef MADD
#define SET1 _mm256_set1_ps
#define MADD _mm256_fmadd_ps
__attribute__((target("avx2,fma"))) void Avx2Kernel(int64_t reduction, const float* w, const float* panel,
                                                     float* tile) {
  constexpr int kMr = 6, kNr = 16;
  KCONV_ACCUMULATORS(__m256, _mm256_setzero_ps(), 0); KCONV_ACCUMULATORS(__m256, _mm256_setzero_ps(), 1);
  KCONV_ACCUMULATORS(__m256, _mm256_setzero_ps(), 2); KCONV_ACCUMULATORS(__m256, _mm256_setzero_ps(), 3);
  KCONV_ACCUMULATORS(__m256, _mm256_setzero_ps(), 4); KCONV_ACCUMULATORS(__m256, _mm256_setzero_ps(), 5);
  for (int64_t i = 0; i < reduction; ++i) {
    const __m256 x0 = _mm256_load_ps(panel + i * kNr), x1 = _mm256_load_ps(panel + i * kNr + 8);
    KCONV_STEP(0); KCONV_STEP(1); KCONV_STEP(2); KCONV_STEP(3); KCONV_STEP(4); KCONV_STEP(5);
  }
  KCONV_STORE(_mm256_store_ps, 0); KCONV_STORE(_mm256_store_ps, 1); KCONV_STORE(_mm256_store_ps, 2);
  KCONV_STORE(_mm256_store_ps, 3); KCONV_STORE(_mm256_store_ps, 4); KCONV_STORE(_mm256_store_ps, 5);
}
constexpr int kAvx2Mr = 6, kAvx2Nr = 16;

// AVX-512F: 8 x 32, 16 of 32 zmm registers accumulate.
#undef SET1
#undef MADD
#define SET1 _mm512_set1_ps
#define MADD _mm512_fmadd_ps
__attribute__((target("avx512f"))) void Avx512Kernel(int64_t reduction, const float* w, const float* panel,
                                                     float* tile) {
  constexpr int kMr = 8, kNr = 32;
  KCONV_ACCUMULATORS(__m512, _mm512_setzero_ps(), 0); KCONV_ACCUMULATORS(__m512, _mm512_setzero_ps(), 1);
  KCONV_ACCUMULATORS(__m512, _mm512_setzero_ps(), 2); KCONV_ACCUMULATORS(__m512, _mm512_setzero_ps(), 3);
  KCONV_ACCUMULATORS(__m512, _mm512_setzero_ps(), 4); KCONV_ACCUMULATORS(__m512, _mm512_setzero_ps(), 5);
  KCONV_ACCUMULATORS(__m512, _mm512_setzero_ps(), 6); KCONV_ACCUMULATORS(__m512, _mm512_setzero_ps(), 7);
  for (int64_t i = 0; i < reduction; ++i) {
    const __m512 x0 = _mm512_load_ps(panel + i * kNr), x1 = _mm512_load_ps(panel + i * kNr + 16);
    KCONV_STEP(0); KCONV_STEP(1); KCONV_STEP(2); KCONV_STEP(3);
    KCONV_STEP(4); KCONV_STEP(5); KCONV_STEP(6); KCONV_STEP(7);
  }
  KCONV_STORE(_mm512_store_ps, 0); KCONV_STORE(_mm512_store_ps, 1); KCONV_STORE(_mm512_store_ps, 2);
  KCONV_STORE(_mm512_store_ps, 3); KCONV_STORE(_mm512_store_ps, 4); KCONV_STORE(_mm512_store_ps, 5);
  KCONV_STORE(_mm512_store_ps, 6); KCONV_STORE(_mm512_store_ps, 7);
}
constexpr int kAvx512Mr = 8, kAvx512Nr = 32;
#undef SET1
#undef MADD
#undef KCONV_ACCUMULATORS
#undef KCONV_STEP
#undef KCONV_STORE
#endif

std::vector<HostMicroKernel> DetectKernels() {
  std::vector<HostMicroKernel> kernels;
#if defined(__x86_64__)
  __builtin_cpu_init();  // the library's own copy of the CPU model, which no constructor may have filled yet
  if (__builtin_cpu_supports("avx512f")) kernels.push_back({"avx512", kAvx512Mr, kAvx512Nr, Avx512Kernel});
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    kernels.push_back({"avx2", kAvx2Mr, kAvx2Nr, Avx2Kernel});
  }
  kernels.push_back({"sse2", kSse2Mr, kSse2Nr, Sse2Kernel});
#endif
  kernels.push_back({"generic", kGenericMr, kGenericNr, GenericKernel});
  if (const char* wanted = getenv("KCONV_HOST_ISA"); wanted != nullptr) {
    for (const HostMicroKernel& kernel : kernels) {
      if (strcmp(kernel.isa, wanted) == 0) return {kernel};
    }
  }
  return kernels;
}

}  // namespace

const std::vector<HostMicroKernel>& SupportedHostMicroKernels() {
  static const std::vector<HostMicroKernel> kernels = DetectKernels();
  return kernels;
}

const HostMicroKernel& BestHostMicroKernel() { return SupportedHostMicroKernels().front(); }

}  // namespace kconv
