// SPDX-License-Identifier: Apache-2.0
// The pair-row layout of a 16-bit NCHW band (the Hopper stem family's k16 kernels), host and device: at stride
// 4, or at strides 2 and 1 one plane per phase, each a stride-4 layout from its own first column.
//
// wgmma in fp16 or bf16 reads K in core-matrix rows of 8 elements (16 bytes), where TF32 reads 4. At a
// horizontal stride of 4 an output pixel's chunk of one input row is 4 elements (8 bytes), so one 16-byte
// unit holds the chunk of two rows: input rows 2i and 2i + 1 of a channel (a pair row), elements 4u ... 4u + 3
// of each, the even row's first. Within a pair row consecutive output pixels are then 16 bytes apart, as the
// TF32 chunk layout has them, and everything built on that (the unit table, the step descriptors, SBO = 128)
// carries over with a unit of 8 taps where a chunk held 4. A band of B input rows is ceil(B / 2) pair rows
// per channel, each row_floats * 4 bytes (units of 16 bytes: the pair row is as long as a TF32 row, and the
// band half as large). K lists the units (c, kernel pair row, j) with j < J = ceil(S / 4), so band offsets
// increase along it (wgmma's LBO). Output row o of a tile reads band rows o * stride_h + r, which pair as
// kernel rows (2i, 2i + 1) only when o * stride_h is even: the layout needs an even vertical stride. An odd R
// leaves the last pair's second row with zero weights.
#pragma once

#include <stdint.h>

#include "ptx/fast_divmod.h"

namespace kconv {

// Kernel pair rows: ceil(R / 2).
KCONV_HOST_DEVICE int32_t KernelPairRows(int32_t kernel_rows) { return (kernel_rows + 1) / 2; }

// Pair rows of a band of `band_rows` input rows: ceil(band_rows / 2).
KCONV_HOST_DEVICE int32_t BandPairRows(int32_t band_rows) { return (band_rows + 1) / 2; }

struct PairRowTap {
  int32_t c, r, s;
};

// The tap at element e (0-7) of K unit `unit` for a kernel of C x R x S, whose rows have `j` units: false for
// a padding unit (past the real ones) or an element past the kernel's rows or columns, whose weight is zero.
KCONV_HOST_DEVICE bool PairRowTapAt(int32_t c, int32_t r, int32_t s, int32_t j, int32_t unit, int32_t e,
                                    PairRowTap* tap) {
  const int32_t pairs = KernelPairRows(r);
  tap->s = 4 * (unit % j) + e % 4;
  tap->r = 2 * ((unit / j) % pairs) + e / 4;
  tap->c = unit / (j * pairs);
  return tap->c < c && tap->r < r && tap->s < s;
}

// A pair-row band by tensor copy: the copy delivers each band row raw, `raw_row` elements (a multiple of 8: 16
// bytes) from the chunk layout's first column rounded down to a multiple of 8 (a box's innermost start must be
// 16-byte aligned), `shift` elements before it; the producers then pair the rows into units. The shift of a
// layout starting at column `start` (-pad_w for whole rows). At strides 2 and 1 each phase's plane reads from
// its own offset into the same raw rows (WidenedRawOffset, families/stem_common/widened_raw_rows.h).
KCONV_HOST_DEVICE int32_t PairRowRawShift(int32_t start) { return ((start % 8) + 8) % 8; }

// Elements a raw row holds: the (last plane's) offset `shift` and `units` units of 4, rounded up to 16 bytes.
KCONV_HOST_DEVICE int32_t PairRowRawRow(int32_t shift, int32_t units) { return (shift + 4 * units + 7) / 8 * 8; }

// Index, in the raw box ([C][band_rows][raw_row] 16-bit elements), of element e (0-3) of unit u of band row
// `row` of channel c.
KCONV_HOST_DEVICE int32_t PairRowRawIndex(int32_t band_rows, int32_t raw_row, int32_t shift, int32_t c, int32_t row,
                                          int32_t u, int32_t e) {
  return (c * band_rows + row) * raw_row + shift + 4 * u + e;
}

}  // namespace kconv
