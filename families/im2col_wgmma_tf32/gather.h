// SPDX-License-Identifier: Apache-2.0
// The im2col family's gather arithmetic, host and device: which input elements a chunk of the reduction reads
// for an output pixel, in NCHW and in NHWC. The kernel (kernel.cuh) gathers with it; the CPU tests run it
// against the float64 convolution.
//
// An input row is a run of `row_elements` elements: W in NCHW, and W * C in NHWC, where a row's pixels hold
// their C channels side by side. A kernel row of a pixel's window is `row_taps` consecutive elements of one
// input row, from the window's first column: S in NCHW (one channel), S * C in NHWC ((s, c) pairs, c fastest).
// A chunk is four consecutive elements of a kernel row: the reduction is chunks (c, r, j) in NCHW and (r, j)
// in NHWC, j fastest, so that consecutive chunks read forward in x.
#pragma once

#include <stdint.h>

#include "families/im2col_wgmma_tf32/traits.h"

namespace kconv {
namespace im2col_wgmma_tf32 {

// One chunk as the gather reads it: `offset` elements from a pixel's window origin (its first row and
// column, channel 0), kernel row r, and the first of its four elements within the kernel row, `first`; a
// padding chunk has first = kNoColumn, past every kernel row.
struct alignas(16) Chunk {
  int32_t offset, r, first, unused;
};
inline constexpr int32_t kNoColumn = 1 << 20;

// Chunk i of the reduction (the packed weights' order; i < 2 * p.steps).
KCONV_HOST_DEVICE Chunk ChunkAt(const Im2colParams& p, int i) {
  if (i >= p.real_chunks) return Chunk{0, 0, kNoColumn, 0};
  const int j = i % p.j, r = i / p.j % p.r, c = i / (p.j * p.r);  // c is 0 in NHWC: C * R * J chunks there
  return Chunk{c * p.h * p.w + r * p.row_elements + 4 * j, r, 4 * j, 0};
}

// Where a pixel's window starts: the index in x of its first element (its image, first input row and first
// column, channel 0; outside the image where the window starts in the padding), that row, and the column's
// first element within the row (the window's first column times column_scale). A pixel past the last gets a
// row no chunk reaches.
struct PixelWindow {
  int64_t origin;
  int32_t ih0, ic0;
};

// The window of the pixel at output row `row` and column `column` of image `image`.
KCONV_HOST_DEVICE PixelWindow MakePixelWindow(const Im2colParams& p, int64_t image, int32_t row, int32_t column) {
  PixelWindow w;
  w.ih0 = row * p.stride_h - p.pad_h;
  w.ic0 = (column * p.stride_w - p.pad_w) * p.column_scale;
  w.origin = image * p.c * p.h * p.w + static_cast<int64_t>(w.ih0) * p.row_elements + w.ic0;
  return w;
}

// The index in x of element 0 of `chunk` for the pixel at `window`; element e is e further on.
KCONV_HOST_DEVICE int64_t ChunkIndex(const PixelWindow& window, const Chunk& chunk) {
  return window.origin + chunk.offset;
}

// Whether element e (0-3) of `chunk` for the pixel at `window` is a real input element: inside the image and
// the kernel row (else it counts as zero).
KCONV_HOST_DEVICE bool ChunkElementInside(const Im2colParams& p, const PixelWindow& window, const Chunk& chunk, int e) {
  const int ih = window.ih0 + chunk.r, ic = window.ic0 + chunk.first + e;
  return static_cast<unsigned>(ih) < static_cast<unsigned>(p.h) &&
         static_cast<unsigned>(ic) < static_cast<unsigned>(p.row_elements) && chunk.first + e < p.row_taps;
}

}  // namespace im2col_wgmma_tf32
}  // namespace kconv
