// SPDX-License-Identifier: Apache-2.0
// A 16-bit NCHW band at horizontal stride 2 or 1 (the Hopper stem family's phase planes), brought by one tensor
// copy of its raw rows and widened into the planes by the producers: host and device.
//
// At strides 2 and 1 a band is 2 or 4 planes, each the stride-4 chunk layout of the same input rows starting
// stride_w columns further right (plane `phase` at column phase * stride_w - pad_w). A pair-row band needs the
// stride-4 layout itself, and the tensor-copy engine cannot widen, so these bands came through registers, 2-4x
// slower than fp32's tensor copies (bench/NOTES.md). Instead the copy delivers each band row once, raw, from
// plane 0's first column rounded down to a multiple of 8 (a box's innermost start must be 16-byte aligned), and
// the producers widen every plane's rows out of it (16-bit values are exact in TF32: no rounding). Plane
// `phase` reads its row_floats elements of a raw row from `offset` on; a widening lane reads a piece's 4
// elements as two aligned 8-byte groups, so up to 3 elements past the plane's last.
#pragma once

#include <stdint.h>

#include "families/stem_common/pair_rows.h"

namespace kconv {

// The input column of a raw row's first element, for plane 0 starting at column `first_start`.
KCONV_HOST_DEVICE int32_t WidenedRawStart(int32_t first_start) { return first_start - PairRowRawShift(first_start); }

// Where, in a raw row, the plane starting at column `plane_start` begins.
KCONV_HOST_DEVICE int32_t WidenedRawOffset(int32_t first_start, int32_t plane_start) {
  return plane_start - WidenedRawStart(first_start);
}

// Elements of a raw row whose last plane begins at `last_offset`: its row_floats and the 3 a lane reads past
// them, rounded up to 16 bytes.
KCONV_HOST_DEVICE int32_t WidenedRawRow(int32_t last_offset, int32_t row_floats) {
  return (last_offset + row_floats + 3 + 7) / 8 * 8;
}

// NHWC with 3 channels (the RGB stems): a widening lane takes piece i of every plane of a raw row at once, pixels
// offset + 4i ... + 3 (12 elements, C apart per plane), by aligned loads of 4-element groups (8 bytes in 16 bits,
// 16 in fp32) from NhwcRgbFirstGroup on, instead of one 2- or 4-byte load per element. Element j of the 12 sits
// at NhwcRgbShift + j of the loaded groups; the shift is the plane's (12 elements a piece keep it), so the kernel
// picks its extraction once per plane. Raw rows start at a multiple of 8 pixels and hold a multiple of 8, so
// every group is aligned; NhwcRgbGroups of them read at most 3 elements past the piece's last (one pixel, inside
// the raw row: WidenedRawRow keeps 3 pixels past each plane's row).
// offset >= 0: a plane starts at or right of the raw rows' first column (WidenedRawOffset).
KCONV_HOST_DEVICE int32_t NhwcRgbShift(int32_t offset) { return 3 * offset % 4; }
KCONV_HOST_DEVICE int32_t NhwcRgbFirstGroup(int32_t offset, int32_t piece) {
  return (3 * offset - NhwcRgbShift(offset)) / 4 + 3 * piece;
}
KCONV_HOST_DEVICE constexpr int32_t NhwcRgbGroups(int32_t shift) { return shift == 0 ? 3 : 4; }

}  // namespace kconv
