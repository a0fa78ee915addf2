// SPDX-License-Identifier: Apache-2.0
// The pair-row layout of a 16-bit NHWC band at stride 4 (the Hopper stem family's NHWC k16 kernels), host and
// device: NHWC's planes (nhwc_planes.h) with NCHW's pair rows (pair_rows.h).
//
// In NHWC at a horizontal stride of 4, group i of a band row (4 elements: 8 bytes in 16 bits) goes to plane i % C,
// position i / C, and consecutive output pixels of a plane are one position apart. wgmma k16 reads K in 16-byte
// units, so a unit holds that group of two band rows, 2i and 2i + 1 (a pair row), the even row's first: within a
// plane's pair row consecutive pixels are then 16 bytes apart, as the chunk layout needs. K lists the units as
// NHWC lists its chunks (NhwcChunkAt over the kernel's pair rows: plane, kernel pair row, group), so band offsets
// increase along it; a unit's element e is kernel row 2 * pair + e / 4 at the group's float e % 4.
//
// A tensor copy brings the band's raw rows (input rows of raw_row pixels from a column that is a multiple of 8:
// every element of them, contiguous), and the producers pair them into the planes: unit (plane, pair, position)
// is elements base + 4 * (position * C + plane) ... + 3 of raw rows 2 * pair and 2 * pair + 1, where `base` is the
// band's first group (4 * first_position columns) counted from the raw rows' first column.
#pragma once

#include <stdint.h>

#include "families/stem_common/nhwc_planes.h"
#include "families/stem_common/pair_rows.h"

namespace kconv {

// The weight at element e (0-7) of unit k of a kernel of R x S over C planes: kernel row 2 * pair + e / 4, and the
// (column, channel) of the group's float e % 4. False for padding (outside the footprint, past the kernel's rows,
// or a unit past the real ones), whose weight is zero.
KCONV_HOST_DEVICE bool NhwcPairRowTapAt(const NhwcPlanes& n, int32_t kernel_rows, int32_t kernel_columns, int32_t k,
                                        int32_t e, NhwcTap* tap) {
  const NhwcChunk at = NhwcChunkAt(n, KernelPairRows(kernel_rows), k);
  const int32_t r = 2 * at.r + e / 4, f = 4 * at.g + e % 4 - n.misalign;
  if (at.r < 0 || r >= kernel_rows || f < 0 || f >= kernel_columns * n.planes) return false;
  *tap = NhwcTap{r, f / n.planes, f % n.planes};
  return true;
}

// Elements of a raw row before the band's first group: the band starts at column 4 * first_position (a whole pixel
// step), the raw rows at `raw_start` (at or left of it, a multiple of 8).
KCONV_HOST_DEVICE int32_t NhwcPairRowRawBase(int32_t c, int32_t first_position, int32_t raw_start) {
  return (4 * first_position - raw_start) * c;
}

// Index, in the raw rows ([band_rows][raw_row * C] 16-bit elements), of element e (0-3) of position u of plane
// `plane` in band row `row`. A multiple of 4 for e = 0: each half of a unit is one aligned 8-byte load.
KCONV_HOST_DEVICE int32_t NhwcPairRowRawIndex(int32_t c, int32_t raw_row, int32_t base, int32_t plane, int32_t row,
                                              int32_t u, int32_t e) {
  return row * raw_row * c + base + 4 * (u * c + plane) + e;
}

}  // namespace kconv
