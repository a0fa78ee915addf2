// SPDX-License-Identifier: Apache-2.0

package kconv

// #include <kconv/kconv.h>
import "C"

// Status is a kconv status code, numbered like Abseil's. Values are never reused.
type Status int32

// The status codes of kconv.h.
const (
	StatusOK                 Status = C.KCONV_STATUS_OK
	StatusUnknown            Status = C.KCONV_STATUS_UNKNOWN
	StatusInvalidArgument    Status = C.KCONV_STATUS_INVALID_ARGUMENT    // a bad argument; the message names it
	StatusNotFound           Status = C.KCONV_STATUS_NOT_FOUND           // no CUDA device, or no such config
	StatusResourceExhausted  Status = C.KCONV_STATUS_RESOURCE_EXHAUSTED  // out of device or host memory
	StatusFailedPrecondition Status = C.KCONV_STATUS_FAILED_PRECONDITION // e.g. a closed Plan or Context
	StatusUnimplemented      Status = C.KCONV_STATUS_UNIMPLEMENTED       // valid but unsupported
	StatusInternal           Status = C.KCONV_STATUS_INTERNAL            // a CUDA driver call failed
	StatusUnavailable        Status = C.KCONV_STATUS_UNAVAILABLE         // no usable CUDA driver
)

// String names the code as the library does ("KCONV_STATUS_INVALID_ARGUMENT").
func (s Status) String() string {
	return C.GoString(C.kconv_status_string(C.kconv_status(s)))
}
