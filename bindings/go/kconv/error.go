// SPDX-License-Identifier: Apache-2.0

package kconv

// #include <kconv/kconv.h>
import "C"

import "unsafe"

// Error is a failed kconv call: its status and the message of that call (which argument, which value,
// why).
type Error struct {
	Status  Status
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "kconv: " + e.Status.String()
	}
	return "kconv: " + e.Message + " (" + e.Status.String() + ")"
}

// Is makes errors.Is(err, ErrUnavailable) match every Error of that status: a target without a message
// is compared by status alone, as the sentinels below are.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Status == e.Status
}

// Sentinels for errors.Is, one per failure status.
var (
	ErrUnknown            error = &Error{Status: StatusUnknown}
	ErrInvalidArgument    error = &Error{Status: StatusInvalidArgument}
	ErrNotFound           error = &Error{Status: StatusNotFound}
	ErrResourceExhausted  error = &Error{Status: StatusResourceExhausted}
	ErrFailedPrecondition error = &Error{Status: StatusFailedPrecondition}
	ErrUnimplemented      error = &Error{Status: StatusUnimplemented}
	ErrInternal           error = &Error{Status: StatusInternal}
	ErrUnavailable        error = &Error{Status: StatusUnavailable}
)

// newCallError allocates the kconv_error one _e call fills. It is Go memory holding no Go pointers, so
// cgo lets C write into it; one per call keeps every goroutine's message its own.
func newCallError() *C.kconv_error {
	e := new(C.kconv_error)
	e.struct_size = C.size_t(unsafe.Sizeof(*e))
	return e
}

// errorOf turns an _e call's result into nil or an *Error with that call's message.
func errorOf(status C.kconv_status, e *C.kconv_error) error {
	if status == C.KCONV_STATUS_OK {
		return nil
	}
	return &Error{Status: Status(status), Message: C.GoString(&e.message[0])}
}

// invalidArgument is an error found on the Go side, before any C call.
func invalidArgument(message string) error {
	return &Error{Status: StatusInvalidArgument, Message: message}
}
