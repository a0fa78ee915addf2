// SPDX-License-Identifier: Apache-2.0
// Everything a config of the portable stem family determines, shared by its kernel (nvcc) and its planner
// (g++): the config's fields and the layout derived from them (families/stem_common/stem_params.h).
#pragma once

#include "families/stem_common/stem_params.h"

namespace kconv {
namespace stem_tf32 {

// One line of families/stem_tf32/configs: mt m16 tiles per warp, nt n8 tiles per warp (every warp covers
// all nt * 8 output channels), warps, weights streamed in wstages stages of wsteps k8 steps, and phases:
// 4 / the horizontal stride it serves (the band's planes, stem_tile.cuh's LoadBand).
struct Config : StemConfig {
  int phases;
};

}  // namespace stem_tf32
}  // namespace kconv
