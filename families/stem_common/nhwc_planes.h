// SPDX-License-Identifier: Apache-2.0
// The NHWC plane layout of a stride-4 band (the Hopper stem family's NHWC kernels), host and device.
//
// In NHWC a pixel's C channels sit together, so at a horizontal stride of 4 consecutive output pixels start
// 4 * C floats, C 16-byte groups, apart in an input row. Group i of a band row (counted from the band's first)
// goes to plane i % C, position i / C: within a plane, consecutive output pixels are 16 bytes apart, as the
// chunk layout and wgmma's core matrices need (NCHW's chunk layout is this with one plane per channel). A
// tensor copy delivers a plane as it is: a box one group wide in a dimension of stride 16 bytes over a view
// of the row as [pixel step][group of the step][4 floats]. So an fp32 band lands in this layout with no pass
// but the TF32 rounding, where NCHW's needs a shift of each row (a box cannot start at column -pad_w).
//
// A pixel's footprint in a kernel row (S * C floats from column 4 q - pad_w) starts `misalign` floats into its
// first group. A kernel row's chunks are the `groups` groups that the footprint touches; the packed weights
// are zero at a chunk's floats outside it. K lists the chunks by band offset (plane, kernel row, group), so
// that a k8 step's second chunk never lies before its first (wgmma's LBO).
#pragma once

#include <stdint.h>

#include "ptx/fast_divmod.h"

namespace kconv {

struct NhwcPlanes {
  int32_t planes;          // C; 0: not NHWC (the packer's NCHW chunk order)
  int32_t first_group;     // floor(-pad_w * C / 4): pixel 0's first group in its input row (may be negative)
  int32_t misalign;        // -pad_w * C - 4 * first_group: floats of that group before the footprint (0-3)
  int32_t groups;          // ceil((misalign + S * C) / 4): chunks per kernel row
  int32_t first_position;  // floor(first_group / C): the pixel step of a band's first group, from pixel 0's
};

KCONV_HOST_DEVICE int32_t FloorDiv(int32_t a, int32_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Requires c >= 1 and the extents of CheckStemShape (c * s and pad_w * c well inside int32).
KCONV_HOST_DEVICE NhwcPlanes MakeNhwcPlanes(int32_t c, int32_t s, int32_t pad_w) {
  NhwcPlanes n{};
  n.planes = c;
  n.first_group = FloorDiv(-pad_w * c, 4);
  n.misalign = -pad_w * c - 4 * n.first_group;
  n.groups = (n.misalign + s * c + 3) / 4;
  n.first_position = FloorDiv(n.first_group, c);
  return n;
}

// Where chunk g of a kernel row lies for output pixel 0 of a band: its plane, and its position there.
KCONV_HOST_DEVICE int32_t NhwcPlaneOf(const NhwcPlanes& n, int32_t g) {
  return n.first_group + g - n.planes * FloorDiv(n.first_group + g, n.planes);
}
KCONV_HOST_DEVICE int32_t NhwcPositionOf(const NhwcPlanes& n, int32_t g) {
  return FloorDiv(n.first_group + g, n.planes) - n.first_position;
}

// Group i of a band row (from the band's first, a whole pixel step) lies in plane i % C at position i / C. A
// copy's lanes walk a row `step` groups at a time; this keeps (plane, position) without a division per group.
struct NhwcGroupWalk {
  int32_t plane, position;      // of the current group
  int32_t plane_step, position_step;
  KCONV_HOST_DEVICE static NhwcGroupWalk Start(int32_t c, int32_t first, int32_t step) {
    return NhwcGroupWalk{first % c, first / c, step % c, step / c};
  }
  KCONV_HOST_DEVICE void Advance(int32_t c) {
    position += position_step;
    plane += plane_step;
    if (plane >= c) {
      plane -= c;
      ++position;
    }
  }
};

// Chunk k of K (0 ... kernel_rows * groups - 1) as kernel row r and group g; r = -1 past the real chunks.
struct NhwcChunk {
  int32_t r, g;
};
KCONV_HOST_DEVICE NhwcChunk NhwcChunkAt(const NhwcPlanes& n, int32_t kernel_rows, int32_t k) {
  for (int32_t plane = 0; plane < n.planes; ++plane) {
    const int32_t first = NhwcPlaneOf(n, 0) <= plane ? plane - NhwcPlaneOf(n, 0) : plane - NhwcPlaneOf(n, 0) + n.planes;
    const int32_t count = first < n.groups ? (n.groups - first + n.planes - 1) / n.planes : 0;
    if (k < kernel_rows * count) return NhwcChunk{k / count, first + (k % count) * n.planes};
    k -= kernel_rows * count;
  }
  return NhwcChunk{-1, 0};
}

// The weight at float e (0-3) of chunk k: its kernel row r, column s and channel c. False for padding (a float
// outside the footprint, or a chunk past the real ones), whose weight is zero.
struct NhwcTap {
  int32_t r, s, c;
};
KCONV_HOST_DEVICE bool NhwcTapAt(const NhwcPlanes& n, int32_t kernel_rows, int32_t kernel_columns, int32_t k, int32_t e,
                                 NhwcTap* tap) {
  const NhwcChunk at = NhwcChunkAt(n, kernel_rows, k);
  const int32_t f = 4 * at.g + e - n.misalign;  // the float's place in the footprint's S * C
  if (at.r < 0 || f < 0 || f >= kernel_columns * n.planes) return false;
  *tap = NhwcTap{at.r, f / n.planes, f % n.planes};
  return true;
}

}  // namespace kconv
