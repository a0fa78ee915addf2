// SPDX-License-Identifier: Apache-2.0
// For the band-map tests: a DriverApi whose cuTensorMapEncodeTiled records the arguments of its calls.
#pragma once

#include <cuda.h>

#include <cstring>

#include "runtime/driver_api.h"

namespace kconv_test {

struct TensorMapRecord {
  int calls;
  CUtensorMapDataType type;
  cuuint32_t rank;
  cuuint64_t dims[5], strides[4];
  cuuint32_t box[5];
};

// The last recorded call, and how many there were since RecordingTensorMapApi().
inline TensorMapRecord& LastTensorMap() {
  static TensorMapRecord record;
  return record;
}

inline kconv::DriverApi RecordingTensorMapApi() {
  LastTensorMap() = TensorMapRecord{};
  kconv::DriverApi api{};
  api.cuTensorMapEncodeTiled = [](CUtensorMap*, CUtensorMapDataType type, cuuint32_t rank, void*, const cuuint64_t* dims,
                                  const cuuint64_t* strides, const cuuint32_t* box, const cuuint32_t*,
                                  CUtensorMapInterleave, CUtensorMapSwizzle, CUtensorMapL2promotion,
                                  CUtensorMapFloatOOBfill) -> CUresult {
    TensorMapRecord& r = LastTensorMap();
    ++r.calls;
    r.type = type;
    r.rank = rank;
    std::memcpy(r.dims, dims, rank * sizeof(cuuint64_t));
    std::memcpy(r.strides, strides, (rank - 1) * sizeof(cuuint64_t));
    std::memcpy(r.box, box, rank * sizeof(cuuint32_t));
    return CUDA_SUCCESS;
  };
  return api;
}

}  // namespace kconv_test
