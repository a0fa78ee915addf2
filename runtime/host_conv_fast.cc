// SPDX-License-Identifier: Apache-2.0
//
// An implicit GEMM on the CPU: y[k][pixel] = sum over (c, r, s) of w[k][c][r][s] * x[c][ih][iw]. A task
// is a run of panels of one image; a panel is nr consecutive output pixels (across rows), gathered into
// a [C*R*S][nr] block (im2col for nr pixels only, so it stays in the L1/L2 cache), then multiplied by
// every block of mr packed output channels with the micro-kernel. The weights are packed once per call
// into [K/mr][C*R*S][mr] blocks (zero rows pad K), so the kernel reads both operands sequentially.
#include "runtime/host_conv_fast.h"

#include <stdlib.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "runtime/host_threads.h"

namespace kconv {
namespace {

constexpr size_t kAlignment = 64;

struct FreeDeleter {
  void operator()(float* p) const { free(p); }
};
using AlignedFloats = std::unique_ptr<float[], FreeDeleter>;

// count floats, 64-byte aligned, or null when count overflows or memory is short.
AlignedFloats AllocateFloats(int64_t count) {
  int64_t bytes = 0;
  if (count < 0 || __builtin_mul_overflow(count, static_cast<int64_t>(sizeof(float)), &bytes)) return nullptr;
  bytes = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  return AlignedFloats(static_cast<float*>(aligned_alloc(kAlignment, static_cast<size_t>(bytes ? bytes : kAlignment))));
}

// Packs w[K][red] into blocks [k_blocks][red][mr], zero beyond K.
void PackWeights(const float* w, int64_t k, int64_t reduction, int mr, float* packed) {
  const int64_t blocks = (k + mr - 1) / mr;
  for (int64_t b = 0; b < blocks; ++b) {
    float* out = packed + b * reduction * mr;
    for (int m = 0; m < mr; ++m) {
      const int64_t channel = b * mr + m;
      for (int64_t i = 0; i < reduction; ++i) out[i * mr + m] = channel < k ? w[channel * reduction + i] : 0.0f;
    }
  }
}

// Floor division for a positive divisor.
int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// panel[(c*R + r)*S + s][j] = x[c][ih][iw] of output pixel pixel0 + j (0 outside the image or past the
// image's last pixel). The panel's pixels split into runs within one output row; in a run, tap s reads
// input columns iw0 + s*dil_w + t*stride_w, and the range of t inside the row is worked out once per tap,
// so the copies themselves have no test per element.
void GatherPanel(const ConvShape& sh, const float* x_image, int64_t pixel0, int nr, float* panel) {
  const int64_t pixels = sh.p * sh.q;
  const int64_t taps = sh.r * sh.s;
  int j0 = 0;
  while (j0 < nr) {
    const int64_t pixel = pixel0 + j0;
    if (pixel >= pixels) {  // past the image: zero columns
      for (int64_t i = 0; i < sh.c * taps; ++i) {
        for (int j = j0; j < nr; ++j) panel[i * nr + j] = 0.0f;
      }
      break;
    }
    const int64_t p = pixel / sh.q, q0 = pixel % sh.q;
    const int len = static_cast<int>(std::min<int64_t>(nr - j0, sh.q - q0));
    const int64_t ih0 = p * sh.stride_h - sh.pad_h;
    for (int64_t s = 0; s < sh.s; ++s) {
      const int64_t iw0 = q0 * sh.stride_w - sh.pad_w + s * sh.dil_w;
      // t in [t_lo, t_hi) keeps 0 <= iw0 + t*stride_w < W.
      const int64_t t_lo = std::clamp<int64_t>(-FloorDiv(iw0, sh.stride_w), 0, len);
      const int64_t t_hi = std::clamp<int64_t>(FloorDiv(sh.w - 1 - iw0, sh.stride_w) + 1, t_lo, len);
      for (int64_t c = 0; c < sh.c; ++c) {
        const float* xc = x_image + c * sh.h * sh.w;
        for (int64_t r = 0; r < sh.r; ++r) {
          float* out = panel + ((c * sh.r + r) * sh.s + s) * nr + j0;
          const int64_t ih = ih0 + r * sh.dil_h;
          if (ih < 0 || ih >= sh.h) {
            for (int t = 0; t < len; ++t) out[t] = 0.0f;
            continue;
          }
          const float* in = xc + ih * sh.w + iw0;
          int64_t t = 0;
          for (; t < t_lo; ++t) out[t] = 0.0f;
          if (sh.stride_w == 1) {
            for (; t < t_hi; ++t) out[t] = in[t];
          } else {
            for (; t < t_hi; ++t) out[t] = in[t * sh.stride_w];
          }
          for (; t < len; ++t) out[t] = 0.0f;
        }
      }
    }
    j0 += len;
  }
}

// Adds the bias, applies ReLU (NaN stays NaN, as on the GPU) and writes the tile's valid part to y.
void WriteTile(const ConvShape& sh, const float* tile, int mr, int nr, int64_t channel0, int64_t pixel0,
               const float* bias, float* y_image) {
  const int64_t pixels = sh.p * sh.q;
  const int64_t rows = std::min<int64_t>(mr, sh.k - channel0);
  const int64_t columns = std::min<int64_t>(nr, pixels - pixel0);
  for (int64_t m = 0; m < rows; ++m) {
    const float add = sh.has_bias ? bias[channel0 + m] : 0.0f;
    float* out = y_image + (channel0 + m) * pixels + pixel0;
    const float* in = tile + m * nr;
    if (sh.relu) {
      for (int64_t j = 0; j < columns; ++j) {
        const float v = in[j] + add;
        out[j] = v < 0.0f ? 0.0f : v;
      }
    } else {
      for (int64_t j = 0; j < columns; ++j) out[j] = in[j] + add;
    }
  }
}

}  // namespace

absl::Status HostConvFast(const ConvShape& sh, const float* x, const float* w, const float* bias, float* y,
                          int threads, const HostMicroKernel& kernel) {
  const int mr = kernel.mr, nr = kernel.nr;
  const int64_t reduction = sh.gemm_k();  // C*R*S, representable: w's element count is
  const int64_t k_blocks = (sh.k + mr - 1) / mr;
  const int64_t pixels = sh.p * sh.q;
  const int64_t panels_per_image = (pixels + nr - 1) / nr;

  // Tasks: runs of panels within one image, about 4 per thread so that uneven tasks even out, and no
  // thread for less than ~1 MFLOP of work (waking one costs more).
  const double flops = sh.flops();
  const int64_t worth = std::max<int64_t>(1, static_cast<int64_t>(flops / 1e6));
  threads = static_cast<int>(std::clamp<int64_t>(std::min<int64_t>(threads, worth), 1, kMaxHostThreads));
  int64_t total_panels = 0;
  if (__builtin_mul_overflow(panels_per_image, sh.n, &total_panels)) {
    return absl::ResourceExhaustedError("the host path's panel count overflows int64");
  }
  const int64_t wanted_tasks = static_cast<int64_t>(threads) * 4;
  const int64_t panels_per_task = std::clamp<int64_t>(total_panels / wanted_tasks, 1, panels_per_image);
  const int64_t tasks_per_image = (panels_per_image + panels_per_task - 1) / panels_per_task;
  const int64_t tasks = tasks_per_image * sh.n;  // <= total_panels
  threads = static_cast<int>(std::min<int64_t>(threads, tasks));

  // Each thread's panel, then its tile, each starting on a 64-byte boundary (16 floats).
  auto round_up = [](int64_t floats) { return (floats + 15) / 16 * 16; };
  int64_t packed_floats = 0, panel_floats = 0, per_thread_floats = 0, scratch_floats = 0;
  const int64_t tile_floats = round_up(static_cast<int64_t>(mr) * nr);
  if (__builtin_mul_overflow(k_blocks * mr, reduction, &packed_floats) ||
      __builtin_mul_overflow(reduction, static_cast<int64_t>(nr), &panel_floats) ||
      __builtin_add_overflow(round_up(panel_floats), tile_floats, &per_thread_floats) ||
      __builtin_mul_overflow(per_thread_floats, static_cast<int64_t>(threads), &scratch_floats)) {
    return absl::ResourceExhaustedError("the host path's scratch size overflows int64");
  }
  AlignedFloats packed = AllocateFloats(packed_floats);
  AlignedFloats scratch = AllocateFloats(scratch_floats);
  if (packed == nullptr || scratch == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat("out of host memory for the host path's ",
                                                     (packed_floats + scratch_floats) * 4, " bytes of scratch"));
  }
  PackWeights(w, sh.k, reduction, mr, packed.get());

  float* const scratch_base = scratch.get();
  const float* const packed_weights = packed.get();
  auto run_task = [&](int64_t task, int worker) {
    const int64_t image = task / tasks_per_image;
    const int64_t first_panel = task % tasks_per_image * panels_per_task;
    const int64_t last_panel = std::min(first_panel + panels_per_task, panels_per_image);
    float* panel = scratch_base + worker * per_thread_floats;
    float* tile = panel + round_up(panel_floats);
    const float* x_image = x + image * sh.c * sh.h * sh.w;
    float* y_image = y + image * sh.k * pixels;
    for (int64_t panel_index = first_panel; panel_index < last_panel; ++panel_index) {
      const int64_t pixel0 = panel_index * nr;
      GatherPanel(sh, x_image, pixel0, nr, panel);
      for (int64_t b = 0; b < k_blocks; ++b) {
        kernel.fn(reduction, packed_weights + b * reduction * mr, panel, tile);
        WriteTile(sh, tile, mr, nr, b * mr, pixel0, bias, y_image);
      }
    }
  };
  HostWorkerPool::Instance().Run(threads, tasks, run_task);
  return absl::OkStatus();
}

}  // namespace kconv
