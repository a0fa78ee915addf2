// SPDX-License-Identifier: Apache-2.0
// Modules, functions, occupancy, launches and tensor maps. Nothing runs: a launch is checked the way the
// driver checks it (the kernel's launch bound and dynamic shared-memory limit, the device's grid limits),
// recorded with a copy of its parameter struct, and advances the fake clock by the kernel's duration.
#include <string.h>

#include <algorithm>

#include "fake_entry_points.h"
#include "fake_state.h"

namespace fake {
namespace {

constexpr int kDefaultRegisters = 64;  // for kernels whose image carries no count (PTX)

int Attribute(const State& s, int device, CUdevice_attribute a) { return s.devices[device].attributes[a]; }

// The device whose context holds `function`.
int DeviceOf(const CUfunc_st* function) { return function->module->context->device; }

int MaxThreads(const State& s, const CUfunc_st* f) {
  const int device_limit = Attribute(s, DeviceOf(f), CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK);
  return f->kernel.max_threads > 0 ? std::min(f->kernel.max_threads, device_limit) : device_limit;
}

int Registers(const CUfunc_st* f) { return f->kernel.registers > 0 ? f->kernel.registers : kDefaultRegisters; }

}  // namespace

CUresult cuModuleLoadData(CUmodule* module, const void* image) {
  Call call("cuModuleLoadData");
  if (call.fault()) return call.fault();
  if (module == nullptr || image == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "NULL module or image");
  CUresult error = CUDA_SUCCESS;
  CUcontext context = call.RequireContext(&error);
  if (context == nullptr) return error;
  const ImageInfo info = ReadImage(image);
  if (!info.ok) return call.Misuse(CUDA_ERROR_INVALID_IMAGE, info.error);
  // A cubin runs on its own major architecture at its minor version or later; PTX on its target or later.
  const int cc = 10 * Attribute(call.s(), context->device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR) +
                 Attribute(call.s(), context->device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
  if (info.arch > cc || (!info.is_ptx && info.arch / 10 != cc / 10)) {
    return call.Misuse(CUDA_ERROR_NO_BINARY_FOR_GPU,
                       std::string(info.is_ptx ? "PTX for compute_" : "a cubin for sm_") + std::to_string(info.arch) +
                           " cannot run on compute capability " + std::to_string(cc / 10) + "." + std::to_string(cc % 10));
  }
  auto* loaded = new CUmod_st();
  loaded->context = context;
  loaded->kernels = info.kernels;
  call.s().modules.insert(loaded);
  ++call.s().module_loads;
  *module = loaded;
  return CUDA_SUCCESS;
}

CUresult cuModuleUnload(CUmodule module) {
  Call call("cuModuleUnload");
  if (call.fault()) return call.fault();
  State& s = call.s();
  if (s.modules.count(module) == 0) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "not a loaded module");
  CUresult error = CUDA_SUCCESS;
  CUcontext context = call.RequireContext(&error);
  if (context == nullptr) return error;
  if (context != module->context) return call.Misuse(CUDA_ERROR_INVALID_CONTEXT, "the module belongs to another context");
  for (auto& [name, function] : module->functions) s.functions.erase(function.get());
  s.modules.erase(module);
  delete module;
  return CUDA_SUCCESS;
}

CUresult cuModuleGetFunction(CUfunction* function, CUmodule module, const char* name) {
  Call call("cuModuleGetFunction");
  if (call.fault()) return call.fault();
  if (function == nullptr || name == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "NULL function or name");
  State& s = call.s();
  if (s.modules.count(module) == 0) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "not a loaded module");
  if (auto it = module->functions.find(name); it != module->functions.end()) {
    *function = it->second.get();
    return CUDA_SUCCESS;
  }
  auto kernel = std::find_if(module->kernels.begin(), module->kernels.end(),
                             [&](const KernelInfo& k) { return k.name == name; });
  if (kernel == module->kernels.end()) {
    return call.Misuse(CUDA_ERROR_NOT_FOUND, std::string("the image defines no kernel ") + name);
  }
  auto created = std::make_unique<CUfunc_st>();
  created->module = module;
  created->kernel = *kernel;
  CUfunc_st* handle = created.get();
  module->functions.emplace(name, std::move(created));
  s.functions[handle] = module;
  *function = handle;
  return CUDA_SUCCESS;
}

CUresult cuFuncGetAttribute(int* value, CUfunction_attribute attribute, CUfunction function) {
  Call call("cuFuncGetAttribute");
  if (call.fault()) return call.fault();
  if (value == nullptr) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "value is NULL");
  if (!call.ValidFunction(function)) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "not a live function");
  const State& s = call.s();
  const int device = DeviceOf(function);
  switch (attribute) {
    case CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *value = MaxThreads(s, function); break;
    case CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES: *value = 0; break;
    case CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES: *value = 0; break;
    case CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES: *value = 0; break;
    case CU_FUNC_ATTRIBUTE_NUM_REGS: *value = Registers(function); break;
    case CU_FUNC_ATTRIBUTE_PTX_VERSION:
    case CU_FUNC_ATTRIBUTE_BINARY_VERSION:
      *value = 10 * Attribute(s, device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR) +
               Attribute(s, device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
      break;
    case CU_FUNC_ATTRIBUTE_CACHE_MODE_CA: *value = 0; break;
    case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES: *value = function->max_dynamic_shared; break;
    case CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT: *value = function->carveout; break;
    default: return call.Misuse(CUDA_ERROR_NOT_SUPPORTED, "attribute " + std::to_string(attribute) + " is not faked");
  }
  return CUDA_SUCCESS;
}

CUresult cuFuncSetAttribute(CUfunction function, CUfunction_attribute attribute, int value) {
  Call call("cuFuncSetAttribute");
  if (call.fault()) return call.fault();
  if (!call.ValidFunction(function)) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "not a live function");
  const int optin = Attribute(call.s(), DeviceOf(function), CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
  switch (attribute) {
    case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES:
      if (value < 0 || value > optin) {
        return call.Misuse(CUDA_ERROR_INVALID_VALUE, std::to_string(value) + " bytes of dynamic shared memory; the device allows " +
                                                         std::to_string(optin));
      }
      function->max_dynamic_shared = value;
      return CUDA_SUCCESS;
    case CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT:
      if (value < -1 || value > 100) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "carveout outside [-1, 100]");
      function->carveout = value;
      return CUDA_SUCCESS;
    default:
      return call.Misuse(CUDA_ERROR_NOT_SUPPORTED, "attribute " + std::to_string(attribute) + " is not faked");
  }
}

// Resident blocks per SM as the occupancy calculator counts them: limited by threads, shared memory,
// registers and the block slots; 0 when one block does not fit. Absurd device limits give 0, never a
// division by zero.
CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, CUfunction function, int block_size,
                                                     size_t dynamic_shared_bytes) {
  Call call("cuOccupancyMaxActiveBlocksPerMultiprocessor");
  if (call.fault()) return call.fault();
  if (blocks == nullptr || block_size <= 0) return call.Misuse(CUDA_ERROR_INVALID_VALUE, "NULL output or block size <= 0");
  if (!call.ValidFunction(function)) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "not a live function");
  const State& s = call.s();
  const int device = DeviceOf(function);
  const int64_t threads_per_sm = std::max(0, Attribute(s, device, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR));
  const int64_t shared_per_sm = std::max(0, Attribute(s, device, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR));
  const int64_t registers_per_sm = std::max(0, Attribute(s, device, CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR));
  const int64_t slots = std::max(0, Attribute(s, device, CU_DEVICE_ATTRIBUTE_MAX_BLOCKS_PER_MULTIPROCESSOR));
  const int64_t shared = static_cast<int64_t>(dynamic_shared_bytes);
  int64_t result = std::min({threads_per_sm / block_size, shared_per_sm / std::max<int64_t>(shared, 1), slots});
  const int64_t warps = (block_size + 31) / 32;
  const int64_t registers_per_warp = (int64_t{Registers(function)} * 32 + 255) / 256 * 256;
  result = std::min(result, registers_per_sm / (registers_per_warp * warps));
  if (block_size > MaxThreads(s, function) || shared > function->max_dynamic_shared) result = 0;
  *blocks = static_cast<int>(std::max<int64_t>(result, 0));
  return CUDA_SUCCESS;
}

CUresult cuLaunchKernel(CUfunction function, unsigned int grid_x, unsigned int grid_y, unsigned int grid_z,
                        unsigned int block_x, unsigned int block_y, unsigned int block_z, unsigned int shared_bytes,
                        CUstream stream, void** params, void** extra) {
  Call call("cuLaunchKernel");
  if (call.fault()) return call.fault();
  CUresult error = CUDA_SUCCESS;
  CUcontext context = call.RequireContext(&error);
  if (context == nullptr) return error;
  if (!call.ValidFunction(function)) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "not a live function (module unloaded?)");
  if (function->module->context != context) return call.Misuse(CUDA_ERROR_INVALID_CONTEXT, "the function belongs to another context");
  if (!call.ValidStream(stream)) return call.Misuse(CUDA_ERROR_INVALID_HANDLE, "unknown stream");
  // As the driver: a created stream works only in its own context. The caller's mistake, not kconv's
  // misuse of the API, so not counted as one.
  if (call.s().streams.count(stream) > 0 && stream->context != context) return CUDA_ERROR_INVALID_HANDLE;
  State& s = call.s();
  const int device = context->device;
  const std::string& name = function->kernel.name;
  const unsigned grid[3] = {grid_x, grid_y, grid_z}, block[3] = {block_x, block_y, block_z};
  const CUdevice_attribute grid_limits[3] = {CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X, CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y,
                                             CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z};
  const CUdevice_attribute block_limits[3] = {CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X, CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y,
                                              CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z};
  for (int d = 0; d < 3; ++d) {
    if (grid[d] == 0 || grid[d] > static_cast<unsigned>(Attribute(s, device, grid_limits[d])) || block[d] == 0 ||
        block[d] > static_cast<unsigned>(Attribute(s, device, block_limits[d]))) {
      return call.Misuse(CUDA_ERROR_INVALID_VALUE, name + ": grid or block dimension " + std::to_string(d) +
                                                       " outside the device's limits");
    }
  }
  const uint64_t threads = uint64_t{block_x} * block_y * block_z;
  if (threads > static_cast<uint64_t>(MaxThreads(s, function))) {
    return call.Misuse(CUDA_ERROR_INVALID_VALUE, name + ": " + std::to_string(threads) + " threads per block exceed its bound of " +
                                                     std::to_string(MaxThreads(s, function)));
  }
  if (static_cast<int64_t>(shared_bytes) > function->max_dynamic_shared) {
    return call.Misuse(CUDA_ERROR_INVALID_VALUE, name + ": " + std::to_string(shared_bytes) +
                                                     " bytes of dynamic shared memory exceed its limit of " +
                                                     std::to_string(function->max_dynamic_shared));
  }
  if (extra != nullptr) return call.Misuse(CUDA_ERROR_NOT_SUPPORTED, "the fake takes kernelParams, not extra");
  const int param_bytes = std::min(function->kernel.param_bytes, FAKE_CUDA_MAX_PARAM_BYTES);
  if (param_bytes > 0 && (params == nullptr || params[0] == nullptr)) {
    return call.Misuse(CUDA_ERROR_INVALID_VALUE, name + " takes parameters, but kernelParams is NULL");
  }

  fake_cuda_launch record{};
  strncpy(record.function, name.c_str(), sizeof(record.function) - 1);
  for (int d = 0; d < 3; ++d) record.grid[d] = grid[d], record.block[d] = block[d];
  record.shared_bytes = shared_bytes;
  record.stream = reinterpret_cast<uint64_t>(stream);
  record.device = device;
  record.start_us = s.clock_us;
  auto duration = s.durations_us.find(name);
  s.clock_us += duration != s.durations_us.end() ? duration->second : s.default_duration_us;
  record.end_us = s.clock_us;
  if (param_bytes > 0) {
    record.param_bytes = static_cast<uint32_t>(param_bytes);
    memcpy(record.params, params[0], static_cast<size_t>(param_bytes));
  }
  s.kept_launches.push_back(record);
  if (s.kept_launches.size() > FAKE_CUDA_KEPT_LAUNCHES) s.kept_launches.pop_front();
  ++s.launches;
  ++s.launches_of[name];
  return CUDA_SUCCESS;
}

// Checks what the driver documents for tiled maps (rank, 16-byte aligned address and strides, boxes of
// at most 256 elements whose rows are whole 16 bytes) and fills the map with a recognisable pattern.
CUresult cuTensorMapEncodeTiled(CUtensorMap* map, CUtensorMapDataType type, cuuint32_t rank, void* address,
                                const cuuint64_t* dims, const cuuint64_t* strides, const cuuint32_t* box,
                                const cuuint32_t* element_strides, CUtensorMapInterleave interleave,
                                CUtensorMapSwizzle, CUtensorMapL2promotion, CUtensorMapFloatOOBfill) {
  Call call("cuTensorMapEncodeTiled");
  if (call.fault()) return call.fault();
  auto refuse = [&](const std::string& why) { return call.Misuse(CUDA_ERROR_INVALID_VALUE, why); };
  if (map == nullptr || dims == nullptr || box == nullptr || element_strides == nullptr) return refuse("NULL argument");
  if (rank < 1 || rank > 5) return refuse("rank " + std::to_string(rank) + " outside [1, 5]");
  if (rank > 1 && strides == nullptr) return refuse("NULL strides");
  if (reinterpret_cast<uintptr_t>(address) % 16 != 0) return refuse("global address not 16-byte aligned");
  const int element = type == CU_TENSOR_MAP_DATA_TYPE_FLOAT32 || type == CU_TENSOR_MAP_DATA_TYPE_INT32 ||
                              type == CU_TENSOR_MAP_DATA_TYPE_UINT32 || type == CU_TENSOR_MAP_DATA_TYPE_TFLOAT32
                          ? 4
                          : type == CU_TENSOR_MAP_DATA_TYPE_FLOAT16 || type == CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 ? 2 : 1;
  for (cuuint32_t i = 0; i < rank; ++i) {
    if (dims[i] == 0 || dims[i] > (uint64_t{1} << 32)) return refuse("dimension " + std::to_string(i) + " outside [1, 2^32]");
    if (box[i] == 0 || box[i] > 256) return refuse("box dimension " + std::to_string(i) + " outside [1, 256]");
    if (element_strides[i] == 0 || element_strides[i] > 8) return refuse("element stride outside [1, 8]");
  }
  for (cuuint32_t i = 0; i + 1 < rank; ++i) {
    if (strides[i] % 16 != 0 || strides[i] >= (uint64_t{1} << 40)) return refuse("a stride is not a multiple of 16 below 2^40");
  }
  if (interleave == CU_TENSOR_MAP_INTERLEAVE_NONE && (uint64_t{box[0]} * element) % 16 != 0) {
    return refuse("the box's inner dimension is not a multiple of 16 bytes");
  }
  memset(map, 0, sizeof(*map));
  const uint64_t pattern[2] = {0xfa4e7e450f3a9d00ull, reinterpret_cast<uint64_t>(address)};
  memcpy(map, pattern, sizeof(pattern));
  return CUDA_SUCCESS;
}

}  // namespace fake
