// SPDX-License-Identifier: Apache-2.0

package kconv

// #include <kconv/kconv.h>
import "C"

import "unsafe"

// PlanInfo describes the kernel a Plan chose.
type PlanInfo struct {
	Family, Config                        string // e.g. "implicit_gemm_tf32", "m64n64k32_w4_s2"
	BlockM, BlockN, BlockK, Warps, Stages int32  // pixels, channels and taps per block (stem: taps per weight stage)
	Arch                                  int32  // architecture of the loaded image, e.g. 90 or 80
	IsPTX                                 bool   // the PTX fallback, compiled by the driver at load
	DeviceCC                              int32  // the device's compute capability, e.g. 90
	GridX, GridY                          int64  // blocks per launch
	ThreadsPerBlock, SharedBytes          int32  // SharedBytes: dynamic shared memory per block
	PackedWeightBytes                     int64  // device memory for re-laid-out weights (0: w read as given)
}

// Info describes the kernel and config the plan chose.
func (p *Plan) Info() (PlanInfo, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.handle == nil {
		return PlanInfo{}, closedError("Plan.Info: the plan is closed")
	}
	var info C.kconv_plan_info
	info.struct_size = C.size_t(unsafe.Sizeof(info))
	e := newCallError()
	if err := errorOf(C.kconv_plan_get_info_e(p.handle, &info, e), e); err != nil {
		return PlanInfo{}, err
	}
	return PlanInfo{
		Family: C.GoString(info.family), Config: C.GoString(info.config),
		BlockM: int32(info.block_m), BlockN: int32(info.block_n), BlockK: int32(info.block_k),
		Warps: int32(info.warps), Stages: int32(info.stages),
		Arch: int32(info.arch), IsPTX: info.is_ptx != 0, DeviceCC: int32(info.device_cc),
		GridX: int64(info.grid_x), GridY: int64(info.grid_y),
		ThreadsPerBlock: int32(info.threads_per_block), SharedBytes: int32(info.shared_bytes),
		PackedWeightBytes: int64(info.packed_weight_bytes),
	}, nil
}

// Describe is a one-line description of the plan ("implicit_gemm_tf32/m64n64k32_w4_s2 on sm_90 cubin,
// ..."), or "" for a closed plan.
func (p *Plan) Describe() string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.handle == nil {
		return ""
	}
	length := C.kconv_plan_describe(p.handle, nil, 0)
	if length <= 0 {
		return ""
	}
	buffer := make([]byte, int(length)+1)
	C.kconv_plan_describe(p.handle, (*C.char)(unsafe.Pointer(&buffer[0])), C.size_t(len(buffer)))
	return string(buffer[:length])
}
