// SPDX-License-Identifier: Apache-2.0
// Everything a config of the portable stem family determines, shared by its kernel (nvcc) and its planner
// (g++): the config's fields and the layout derived from them (families/stem_common/stem_params.h).
#pragma once

#include "families/stem_common/stem_params.h"

namespace kconv {
namespace stem_tf32 {

// One line of families/stem_tf32/configs: mt m16 tiles per warp, nt n8 tiles per warp (every warp covers
// all nt * 8 output channels), warps, weights streamed in wstages stages of wsteps k8 steps, and phases:
// 4 / the horizontal stride it serves (the band's planes, stem_tile.cuh's LoadBand), and split.
struct Config : StemConfig {
  int phases;
  int split;  // 1: 3xTF32 (KCONV_MATH_3XTF32), 0: TF32
};

// Bytes of one packed k8 step: the TF32 weights, then (3xTF32) their TF32 remainders.
constexpr int PackedStepBytes(const Config& c) { return MakeStemLayout(c).weight_step_bytes * (c.split ? 2 : 1); }

}  // namespace stem_tf32
}  // namespace kconv
