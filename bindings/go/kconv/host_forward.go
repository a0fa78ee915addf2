// SPDX-License-Identifier: Apache-2.0

package kconv

// #include <kconv/kconv.h>
import "C"

import (
	"fmt"
	"math"
	"unsafe"
)

// HostOptions tune ForwardHostWithOptions. The zero value is the library's default.
type HostOptions struct {
	// Threads to use, the calling one included; 0: HostDefaultThreads(). At most 4096.
	Threads int
	// Reference selects the float64-accumulation reference instead of the fast path: one thread, plain
	// loops, slow, and the most accurate (what kconv's own tests compare against).
	Reference bool
}

// HostDefaultThreads is the host path's default thread count: KCONV_HOST_THREADS when it holds a number
// from 1 to 4096, else the number of CPUs this process may run on.
func HostDefaultThreads() int {
	return int(C.kconv_host_default_threads())
}

// ForwardHost computes the convolution on the CPU in fp32 (whatever desc.MathMode says) with the
// library's default options. x is [N][C][H][W], w is [K][C][R][S], y receives [N][K][P][Q]; bias holds K
// values when desc.HasBias and is nil otherwise. Slices shorter than their tensors are refused with
// StatusInvalidArgument before any C call; on any failure y is not written.
func ForwardHost(desc ConvDesc, x, w, bias, y []float32) error {
	const caller = "ForwardHost"
	c, err := checkedHostCall(caller, &desc, x, w, bias, y)
	if err != nil {
		return err
	}
	e := newCallError()
	status := C.kconv_forward_host_e(&c, floatPointer(x), floatPointer(w), floatPointer(bias), floatPointer(y), e)
	return errorOf(status, e)
}

// ForwardHostWithOptions is ForwardHost with a thread count or the reference path.
func ForwardHostWithOptions(desc ConvDesc, x, w, bias, y []float32, opts HostOptions) error {
	const caller = "ForwardHostWithOptions"
	if opts.Threads < 0 || opts.Threads > math.MaxInt32 {
		// Checked here only so that the conversion to int32 cannot wrap; the library enforces its own
		// limit with its own message.
		return invalidArgument(fmt.Sprintf("%s: opts.Threads = %d: must be from 0 to 4096", caller, opts.Threads))
	}
	c, err := checkedHostCall(caller, &desc, x, w, bias, y)
	if err != nil {
		return err
	}
	var o C.kconv_host_options
	// Defaults first, for any field a newer header appends; a failing init (a library older than this
	// header) leaves the struct_size set below, which the call then reports.
	C.kconv_host_options_init_sized(&o, C.size_t(unsafe.Sizeof(o)))
	o.struct_size = C.size_t(unsafe.Sizeof(o))
	o.threads = C.int32_t(opts.Threads)
	o.reference = cFlag(opts.Reference)
	e := newCallError()
	status := C.kconv_forward_host_with_options(&c, floatPointer(x), floatPointer(w), floatPointer(bias),
		floatPointer(y), &o, e)
	return errorOf(status, e)
}

// checkedHostCall validates desc in the library (for its message naming the field) and the slices
// against the shapes, and returns the C descriptor for the call.
func checkedHostCall(caller string, desc *ConvDesc, x, w, bias, y []float32) (C.kconv_conv_desc, error) {
	out, err := desc.OutputShape()
	if err != nil {
		return C.kconv_conv_desc{}, err
	}
	need, err := hostTensorsOf(desc, out, caller)
	if err != nil {
		return C.kconv_conv_desc{}, err
	}
	if err := checkHostSlices(caller, need, x, w, bias, y); err != nil {
		return C.kconv_conv_desc{}, err
	}
	return desc.toC(), nil
}

// floatPointer is the address of a slice's first element, or NULL for an empty slice. Passing it to C
// is allowed by the cgo pointer rules: float32 memory holds no Go pointers, and cgo keeps the slice's
// array alive and unmoved for the call.
func floatPointer(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&s[0]))
}
