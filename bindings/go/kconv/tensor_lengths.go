// SPDX-License-Identifier: Apache-2.0

package kconv

import (
	"fmt"
	"math"
)

// hostTensors are the element counts of the tensors one host convolution reads and writes.
type hostTensors struct {
	x, w, bias, y int64
}

// hostTensorsOf counts the elements of x, w, bias and y for desc, whose output shape the library has
// already validated. The library also bounds every tensor's size, but the products are checked here
// again so that no Go-side comparison can wrap, whatever the library accepts.
func hostTensorsOf(desc *ConvDesc, out [4]int64, caller string) (hostTensors, error) {
	var t hostTensors
	var ok bool
	if t.x, ok = checkedProduct(desc.N, desc.C, desc.H, desc.W); !ok {
		return t, invalidArgument(caller + ": x has more elements than int64 can count")
	}
	if t.w, ok = checkedProduct(desc.K, desc.C, desc.R, desc.S); !ok {
		return t, invalidArgument(caller + ": w has more elements than int64 can count")
	}
	if t.y, ok = checkedProduct(out[0], out[1], out[2], out[3]); !ok {
		return t, invalidArgument(caller + ": y has more elements than int64 can count")
	}
	if desc.HasBias {
		t.bias = desc.K
	}
	return t, nil
}

// checkedProduct multiplies non-negative factors; ok is false on overflow or a negative factor.
func checkedProduct(factors ...int64) (product int64, ok bool) {
	product = 1
	for _, f := range factors {
		if f < 0 || (f != 0 && product > math.MaxInt64/f) {
			return 0, false
		}
		product *= f
	}
	return product, true
}

// checkHostSlices refuses slices shorter than the tensors they hold, before C reads or writes a byte
// past their ends. Longer slices are accepted: only their first elements are used, so a caller may
// reuse one buffer for several shapes. A bias given without desc.HasBias is refused rather than
// ignored, as the device path refuses a bias pointer then.
func checkHostSlices(caller string, need hostTensors, x, w, bias, y []float32) error {
	for _, s := range []struct {
		name    string
		have    int
		need    int64
		formula string
	}{
		{"x", len(x), need.x, "N*C*H*W"},
		{"w", len(w), need.w, "K*C*R*S"},
		{"bias", len(bias), need.bias, "K"},
		{"y", len(y), need.y, "N*K*P*Q"},
	} {
		if int64(s.have) < s.need {
			return invalidArgument(fmt.Sprintf("%s: %s has %d elements; the descriptor needs %d (%s)",
				caller, s.name, s.have, s.need, s.formula))
		}
	}
	if need.bias == 0 && len(bias) > 0 {
		return invalidArgument(fmt.Sprintf("%s: bias has %d elements, but desc.HasBias is false "+
			"(set HasBias to add it, or pass nil)", caller, len(bias)))
	}
	return nil
}
