// SPDX-License-Identifier: Apache-2.0
// The shapes the GPU suite checks every config on.
#pragma once

#include <vector>

#include "prelude.h"

namespace kconv_test {

inline std::vector<Shape> GpuTestShapes() {
  std::vector<Shape> shapes = {
      // The networks kconv is for.
      AlexNetConv1(1), AlexNetConv1(32), ResNetStem(1), ResNetStem(4),
      // 1x1 kernels.
      {2, 16, 14, 14, 32, 1, 1}, {1, 64, 7, 7, 100, 1, 1}, {3, 5, 9, 9, 7, 1, 1, 2, 2},
      // Stride larger than the kernel.
      {2, 3, 17, 17, 8, 2, 2, 3, 3}, {1, 4, 29, 31, 16, 3, 3, 5, 5}, {1, 2, 20, 20, 5, 1, 1, 4, 4},
      // Padding at or beyond half the kernel.
      {2, 3, 10, 10, 8, 3, 3, 1, 1, 2, 2}, {1, 4, 12, 12, 16, 5, 5, 1, 1, 4, 4}, {1, 2, 3, 3, 4, 1, 1, 1, 1, 1, 1},
      {1, 3, 8, 8, 6, 3, 3, 2, 2, 3, 3},
      // Odd and tiny images. The single-output shape has no bias: with one output, a bias can cancel the
      // product and leave a relative error no TF32 implementation can bound; without one the error of a
      // single product of TF32-rounded operands is at most 2 * 2^-11.
      {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, false}, {2, 3, 3, 5, 4, 3, 3, 1, 1, 1, 1}, {1, 2, 7, 1, 3, 3, 1}, {1, 2, 1, 9, 3, 1, 3},
      {5, 1, 2, 2, 2, 2, 2}, {1, 3, 11, 13, 9, 5, 3, 2, 1, 1, 2},
      // Output channels and reductions that are multiples of no tile.
      {2, 3, 16, 16, 1, 3, 3, 1, 1, 1, 1}, {1, 3, 16, 16, 3, 3, 3}, {1, 8, 12, 12, 17, 3, 3, 1, 1, 1, 1},
      {1, 5, 12, 12, 33, 5, 5, 1, 1, 2, 2}, {1, 7, 9, 9, 65, 3, 3}, {1, 3, 20, 20, 97, 4, 4, 2, 2},
      {1, 11, 10, 10, 130, 2, 3, 1, 2, 1, 0},
      // Dilation.
      {2, 3, 16, 16, 8, 3, 3, 1, 1, 2, 2, 2, 2}, {1, 4, 15, 21, 12, 3, 3, 2, 2, 2, 2, 2, 2},
      {1, 2, 14, 14, 6, 3, 5, 1, 1, 0, 4, 1, 2}, {1, 8, 32, 32, 16, 3, 3, 1, 1, 1, 1, 2, 3},
      // Asymmetric everything.
      {3, 6, 19, 23, 10, 4, 2, 3, 2, 1, 0}, {2, 3, 40, 24, 20, 6, 5, 2, 3, 2, 1},
      // Medium channel counts (a later layer), many images, no bias.
      {2, 64, 28, 28, 128, 3, 3, 1, 1, 1, 1, 1, 1, false}, {16, 3, 32, 32, 24, 5, 5, 1, 1, 2, 2, 1, 1, false},
      {64, 3, 16, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, false},
      // ReLU.
      {2, 3, 24, 24, 32, 3, 3, 1, 1, 1, 1, 1, 1, true, true}, {1, 3, 56, 56, 96, 11, 11, 4, 4, 2, 2, 1, 1, true, true},
      {1, 16, 9, 9, 48, 3, 3, 2, 2, 1, 1, 1, 1, false, true},
      // Stem-like shapes kconv is meant to be fast on.
      {2, 3, 227, 227, 96, 11, 11, 4, 4, 0, 0}, {1, 3, 299, 299, 32, 3, 3, 2, 2}, {2, 1, 64, 64, 32, 7, 7, 2, 2, 3, 3},
      {1, 4, 64, 64, 64, 4, 4, 4, 4},
      // Horizontal stride 4 (the stem family's chunk layout) at its edges: W not a multiple of 4, one
      // input channel, padding 0..3, kernels of 1..12 columns, vertical strides other than 4, output
      // channels that fill no n8 tile, tiles past the last pixel, ReLU.
      {3, 3, 35, 37, 17, 11, 11, 4, 4, 2, 3}, {2, 1, 40, 41, 96, 5, 5, 4, 4, 0, 1}, {1, 2, 30, 30, 8, 12, 12, 4, 4, 3, 3},
      {2, 3, 64, 64, 33, 3, 3, 2, 4, 1, 1}, {1, 4, 9, 9, 5, 1, 1, 1, 4}, {2, 3, 50, 50, 96, 7, 8, 5, 4, 3, 2, 1, 1, true, true},
      {1, 3, 227, 227, 90, 11, 11, 4, 4, 0, 0, 1, 1, false},
      // Left padding 3 on a 16-byte pitch: the Hopper family's tensor copy starts a float left of it.
      {2, 3, 44, 48, 40, 7, 7, 4, 4, 3, 3},
      // Output rows of more than 64 pixels: two m64 pieces per row in the Hopper family.
      {2, 3, 40, 300, 24, 11, 11, 4, 4, 2, 2},
      // Horizontal strides 2 and 1 (the Hopper family's phases): ResNet's and MobileNet's stems and VGG's
      // first layer at small sizes, with their neighbours: every left padding 0..3 (each plane's shift), W
      // not a multiple of 4 (no tensor copy), 1 and 4 input channels, channels that fill no n8 tile, vertical
      // strides other than the horizontal one, rows of 2 and 4 pieces, the last row of a tile past the image.
      {3, 3, 64, 64, 64, 7, 7, 2, 2, 3, 3}, {2, 3, 61, 57, 64, 7, 7, 2, 2, 3, 3}, {2, 3, 56, 56, 32, 3, 3, 2, 2, 1, 1},
      {1, 1, 40, 48, 40, 5, 5, 2, 2, 0, 0}, {2, 4, 36, 44, 17, 3, 3, 3, 2, 2, 2}, {1, 3, 30, 128, 64, 7, 7, 1, 2, 3, 3, 1, 1, true, true},
      {2, 3, 28, 28, 64, 3, 3, 1, 1, 1, 1}, {1, 3, 33, 31, 50, 3, 3, 1, 1, 1, 1}, {2, 3, 20, 224, 64, 3, 3, 2, 1, 1, 1},
      {1, 2, 24, 40, 24, 4, 4, 1, 1, 3, 3}, {1, 3, 9, 230, 64, 7, 7, 2, 2, 3, 3, 1, 1, false},
      // 4x4/4 patchify (ConvNeXt, Swin) with more channels than one group: 128 and 200 (a partial group).
      {2, 3, 64, 64, 96, 4, 4, 4, 4}, {1, 3, 32, 40, 128, 4, 4, 4, 4}, {1, 3, 64, 64, 200, 4, 4, 4, 4, 0, 0, 1, 1, true, true},
      // The Hopper im2col family's stems: non-overlapping patches (ViT's 16x16/16 with 200 channels, a partial
      // group of n192; 8x8/8; ViT-L's 14x14/14 with 1024 channels) with 16-byte, paired and single-float
      // gathers (padding 2, odd widths), strides 3 and beyond 4, asymmetric ones, tiles that cross images,
      // and a row too wide for any band (a 1080p frame's width).
      {2, 3, 64, 64, 200, 16, 16, 16, 16}, {3, 3, 56, 40, 70, 8, 8, 8, 8, 0, 0, 1, 1, true, true},
      {1, 3, 56, 56, 1024, 14, 14, 14, 14}, {2, 3, 50, 46, 96, 16, 16, 16, 16, 2, 2}, {1, 3, 35, 37, 64, 16, 16, 16, 16},
      {2, 3, 41, 39, 64, 7, 7, 3, 3, 3, 3}, {1, 4, 33, 70, 24, 5, 9, 5, 9, 1, 4}, {3, 1, 48, 48, 40, 14, 14, 16, 16},
      {1, 3, 24, 1920, 96, 11, 11, 4, 4, 2, 2},
      // The Hopper stem family's column tiles, for rows too wide for a tile or its band: strides 2 and 1 (two
      // and four phases), W odd (no tensor copy) with left padding 3, gray input with 100 channels (a partial
      // channel group) and asymmetric padding, RGBA with ReLU.
      {1, 3, 20, 1000, 64, 7, 7, 2, 2, 3, 3}, {1, 3, 10, 600, 32, 3, 3, 1, 1, 1, 1},
      {2, 3, 30, 1001, 40, 11, 11, 4, 4, 3, 3}, {1, 1, 9, 2100, 100, 5, 5, 4, 4, 1, 2},
      {1, 4, 13, 1500, 96, 11, 11, 4, 4, 2, 2, 1, 1, true, true},
  };
  return shapes;
}

}  // namespace kconv_test
