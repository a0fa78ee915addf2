// SPDX-License-Identifier: Apache-2.0

package kconv

// #include <stdlib.h>
// #include <kconv/kconv.h>
import "C"

import (
	"runtime"
	"sync"
	"unsafe"
)

// PlanOptions steer NewPlan. The zero value lets kconv choose the config.
type PlanOptions struct {
	// ConfigName forces one config by name (one of Configs()), e.g.
	// "implicit_gemm_tf32/m64n64k32_w4_s2"; "": kconv chooses.
	ConfigName string
}

// Plan is a convolution planned for one Context's device: a chosen kernel and config, its module
// loaded. It is immutable once made (apart from SetWeights) and may be executed from several goroutines
// at once. Close it before its Context.
type Plan struct {
	// mu guards handle like Context.mu does.
	mu     sync.RWMutex
	handle *C.kconv_plan
	// ctx keeps the Context reachable while the Plan is, so that if both are left to the garbage
	// collector the Plan's finalizer runs first (Go finalizes a referrer before what it refers to).
	ctx *Context
}

// NewPlan validates desc, chooses a kernel and config for ctx's device and loads its module. The plan
// keeps its own copy of desc.
func NewPlan(ctx *Context, desc ConvDesc, opts PlanOptions) (*Plan, error) {
	if ctx == nil {
		return nil, invalidArgument("NewPlan: the context is nil")
	}
	var o C.kconv_plan_options
	C.kconv_plan_options_init_sized(&o, C.size_t(unsafe.Sizeof(o)))
	o.struct_size = C.size_t(unsafe.Sizeof(o))
	o.config_name = nil
	if opts.ConfigName != "" {
		name := C.CString(opts.ConfigName)
		defer C.free(unsafe.Pointer(name))
		o.config_name = name
	}
	c := desc.toC()

	ctx.mu.RLock()
	defer ctx.mu.RUnlock()
	if ctx.handle == nil {
		return nil, closedError("NewPlan: the context is closed")
	}
	var handle *C.kconv_plan
	e := newCallError()
	if err := errorOf(C.kconv_plan_create_e(ctx.handle, &c, &o, &handle, e), e); err != nil {
		return nil, err
	}
	plan := &Plan{handle: handle, ctx: ctx}
	runtime.SetFinalizer(plan, (*Plan).Close)
	return plan, nil
}

// Execute enqueues the convolution on stream (a CUstream or cudaStream_t; nil: the default stream) and
// returns without waiting. x, w, y, and bias when the descriptor has one, are device pointers to dense
// fp32 NCHW tensors, 4-byte aligned; y must not overlap the inputs. w may be 0 after SetWeights. Faults
// inside the kernel surface at the caller's next synchronisation (or here with
// ContextOptions.Synchronize).
func (p *Plan) Execute(x, w, bias, y uintptr, stream unsafe.Pointer) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.handle == nil {
		return closedError("Plan.Execute: the plan is closed")
	}
	e := newCallError()
	status := C.kconv_plan_execute_e(p.handle, C.uint64_t(x), C.uint64_t(w), C.uint64_t(bias), C.uint64_t(y),
		stream, e)
	return errorOf(status, e)
}

// SetWeights binds weights w[K][C][R][S] (a device pointer) for later executions with w = 0; kernels
// that re-lay out weights pack them on stream, and the caller orders executions on other streams after
// it. Call again whenever the weights change. Not safe concurrently with other calls on the same Plan.
func (p *Plan) SetWeights(w uintptr, stream unsafe.Pointer) error {
	// The write lock: the library does not allow SetWeights alongside other calls on the plan.
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.handle == nil {
		return closedError("Plan.SetWeights: the plan is closed")
	}
	e := newCallError()
	return errorOf(C.kconv_plan_set_weights_e(p.handle, C.uint64_t(w), stream, e), e)
}

// Close destroys the plan. It is idempotent.
func (p *Plan) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.handle == nil {
		return
	}
	C.kconv_plan_destroy(p.handle)
	p.handle = nil
	p.ctx = nil
	runtime.SetFinalizer(p, nil)
}

// closedError is the error of a call on a closed Context or Plan.
func closedError(message string) error {
	return &Error{Status: StatusFailedPrecondition, Message: message}
}
