// SPDX-License-Identifier: Apache-2.0

package kconv

import (
	"errors"
	"math/rand"
	"strings"
	"testing"
)

// expectError checks that err is an *Error of status whose message contains every fragment.
func expectError(t *testing.T, err error, status Status, fragments ...string) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", status)
	}
	var kerr *Error
	if !errors.As(err, &kerr) {
		t.Fatalf("error %v (%T) is not a *kconv.Error", err, err)
	}
	if kerr.Status != status {
		t.Fatalf("status %v, want %v (message %q)", kerr.Status, status, kerr.Message)
	}
	for _, f := range fragments {
		if !strings.Contains(kerr.Message, f) {
			t.Fatalf("message %q does not contain %q", kerr.Message, f)
		}
	}
	return kerr
}

// expectUntouched checks that a failed call left y as filled() made it.
func expectUntouched(t *testing.T, y []float32, v float32) {
	t.Helper()
	for i, got := range y {
		if got != v {
			t.Fatalf("y[%d] = %g after a failed call, want it untouched (%g)", i, got, v)
		}
	}
}

// smallCase is a valid problem with a bias, which the error tests then break one way each.
func smallCase(t *testing.T) convCase {
	desc := NewConvDesc()
	desc.N, desc.C, desc.H, desc.W, desc.K, desc.R, desc.S = 1, 2, 6, 5, 3, 3, 3
	desc.HasBias = true
	return randomCase(t, rand.New(rand.NewSource(6)), desc)
}

const untouched = float32(42)

func TestBadDescriptorNamesTheField(t *testing.T) {
	for _, bad := range []struct {
		field string
		spoil func(*ConvDesc)
	}{
		{"desc->stride_h", func(d *ConvDesc) { d.StrideH = 0 }},
		{"desc->n", func(d *ConvDesc) { d.N = 0 }},
		{"desc->pad_w", func(d *ConvDesc) { d.PadW = -1 }},
		{"desc->dil_h", func(d *ConvDesc) { d.DilH = 0 }},
		{"desc->layout", func(d *ConvDesc) { d.Layout = 9 }},
	} {
		bad := bad
		t.Run(bad.field, func(t *testing.T) {
			c := smallCase(t)
			desc := c.desc
			bad.spoil(&desc)
			y := filled(c.yLen, untouched)
			err := ForwardHost(desc, c.x, c.w, c.bias, y)
			expectError(t, err, StatusInvalidArgument, bad.field)
			expectUntouched(t, y, untouched)
			if !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("errors.Is(%v, ErrInvalidArgument) is false", err)
			}
			if errors.Is(err, ErrUnavailable) {
				t.Errorf("errors.Is(%v, ErrUnavailable) is true", err)
			}
			_, err = desc.OutputShape()
			expectError(t, err, StatusInvalidArgument, bad.field)
		})
	}
}

func TestShortSlicesAreRefusedBeforeC(t *testing.T) {
	for _, short := range []string{"x", "w", "bias", "y"} {
		short := short
		t.Run(short, func(t *testing.T) {
			c := smallCase(t)
			y := filled(c.yLen, untouched)
			x, w, bias, out := c.x, c.w, c.bias, y
			switch short {
			case "x":
				x = x[:len(x)-1]
			case "w":
				w = w[:len(w)-1]
			case "bias":
				bias = bias[:len(bias)-1]
			case "y":
				out = out[:len(out)-1]
			}
			err := ForwardHost(c.desc, x, w, bias, out)
			expectError(t, err, StatusInvalidArgument, "ForwardHost: "+short+" has ", "elements")
			expectUntouched(t, y, untouched)
			err = ForwardHostWithOptions(c.desc, x, w, bias, out, HostOptions{Threads: 2})
			expectError(t, err, StatusInvalidArgument, "ForwardHostWithOptions: "+short+" has ")
			expectUntouched(t, y, untouched)
		})
	}
}

func TestBiasMustMatchHasBias(t *testing.T) {
	c := smallCase(t)
	y := filled(c.yLen, untouched)
	expectError(t, ForwardHost(c.desc, c.x, c.w, nil, y), StatusInvalidArgument, "bias has 0 elements")
	expectUntouched(t, y, untouched)

	noBias := c.desc
	noBias.HasBias = false
	expectError(t, ForwardHost(noBias, c.x, c.w, c.bias, y), StatusInvalidArgument, "desc.HasBias is false")
	expectUntouched(t, y, untouched)
}

func TestLibraryRefusalsLeaveYUntouched(t *testing.T) {
	c := smallCase(t)
	y := filled(c.yLen, untouched)

	// Refused by the library itself, after the Go-side checks passed.
	err := ForwardHostWithOptions(c.desc, c.x, c.w, c.bias, y, HostOptions{Threads: 5000})
	expectError(t, err, StatusInvalidArgument, "threads")
	expectUntouched(t, y, untouched)

	nhwc := c.desc
	nhwc.Layout = LayoutNHWC
	expectError(t, ForwardHost(nhwc, c.x, c.w, c.bias, y), StatusUnimplemented, "NHWC")
	expectUntouched(t, y, untouched)

	// Overlapping output and input: same backing array.
	both := make([]float32, len(c.x)+c.yLen)
	copy(both, c.x)
	expectError(t, ForwardHost(c.desc, both, c.w, c.bias, both[1:]), StatusInvalidArgument, "overlaps")
}

func TestNegativeThreadsAreRefused(t *testing.T) {
	c := smallCase(t)
	y := filled(c.yLen, untouched)
	err := ForwardHostWithOptions(c.desc, c.x, c.w, c.bias, y, HostOptions{Threads: -1})
	expectError(t, err, StatusInvalidArgument, "Threads = -1")
	expectUntouched(t, y, untouched)
}

func TestErrorText(t *testing.T) {
	if got := StatusInvalidArgument.String(); got != "KCONV_STATUS_INVALID_ARGUMENT" {
		t.Errorf("StatusInvalidArgument.String() = %q", got)
	}
	if got := StatusUnavailable.String(); got != "KCONV_STATUS_UNAVAILABLE" {
		t.Errorf("StatusUnavailable.String() = %q", got)
	}
	err := &Error{Status: StatusNotFound, Message: "no device 3"}
	if got, want := err.Error(), "kconv: no device 3 (KCONV_STATUS_NOT_FOUND)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrInternal) {
		t.Errorf("errors.Is compares %v wrongly with the sentinels", err)
	}
	// A message-carrying target compares by identity only, not by status.
	if errors.Is(err, &Error{Status: StatusNotFound, Message: "another"}) {
		t.Errorf("errors.Is matched a different message")
	}
}
