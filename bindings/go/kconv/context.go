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

// ContextOptions choose the device a Context binds. The zero value is the library's default: device 0
// through its primary context (the one the CUDA runtime and PyTorch use), cubins, no synchronisation,
// the tuning cache named by KCONV_TUNING_CACHE.
type ContextOptions struct {
	// DeviceOrdinal is the CUDA device; ignored with UseCurrentContext.
	DeviceOrdinal int32
	// UseCurrentContext binds the calling thread's current CUcontext instead of the primary one. In Go
	// that needs runtime.LockOSThread around the code that made it current, and the CUcontext must
	// outlive the Context and its Plans.
	UseCurrentContext bool
	// ForcePTX loads the compute_80 PTX even where a cubin fits (testing).
	ForcePTX bool
	// Synchronize synchronises the stream after every launch, so kernel faults surface in the call that
	// caused them (debugging).
	Synchronize bool
	// TuningCachePath is a file of autotuning results; "": KCONV_TUNING_CACHE, if set.
	TuningCachePath string
	// NoTuningCache uses no tuning cache file, even when KCONV_TUNING_CACHE is set.
	NoTuningCache bool
}

// Context binds a CUDA device. It may be shared by goroutines. Close every Plan made from it before
// closing it.
type Context struct {
	// mu guards handle: calls hold it for reading, Close for writing, so Close waits for calls in flight
	// and no call sees a destroyed context.
	mu     sync.RWMutex
	handle *C.kconv_context
}

// NewContext loads the CUDA driver (on first use) and binds a device. Without a driver it fails with
// StatusUnavailable, without a device with StatusNotFound.
func NewContext(opts ContextOptions) (*Context, error) {
	var o C.kconv_context_options
	// Defaults first, for any field a newer header appends.
	C.kconv_context_options_init_sized(&o, C.size_t(unsafe.Sizeof(o)))
	o.struct_size = C.size_t(unsafe.Sizeof(o))
	o.device_ordinal = C.int32_t(opts.DeviceOrdinal)
	o.use_current_context = cFlag(opts.UseCurrentContext)
	o.force_ptx = cFlag(opts.ForcePTX)
	o.synchronize = cFlag(opts.Synchronize)
	o.tuning_cache_path = nil
	switch {
	case opts.NoTuningCache:
		// The library reads "" as "no cache"; C memory, since o (Go memory) may not point into Go memory.
		path := C.CString("")
		defer C.free(unsafe.Pointer(path))
		o.tuning_cache_path = path
	case opts.TuningCachePath != "":
		path := C.CString(opts.TuningCachePath)
		defer C.free(unsafe.Pointer(path)) // the library copies the string
		o.tuning_cache_path = path
	}

	var handle *C.kconv_context
	e := newCallError()
	if err := errorOf(C.kconv_context_create_e(&o, &handle, e), e); err != nil {
		return nil, err
	}
	ctx := &Context{handle: handle}
	runtime.SetFinalizer(ctx, (*Context).Close)
	return ctx, nil
}

// Close destroys the context. It is idempotent. Close the Context's Plans first.
func (ctx *Context) Close() {
	ctx.mu.Lock()
	defer ctx.mu.Unlock()
	if ctx.handle == nil {
		return
	}
	C.kconv_context_destroy(ctx.handle)
	ctx.handle = nil
	runtime.SetFinalizer(ctx, nil)
}
