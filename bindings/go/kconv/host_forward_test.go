// SPDX-License-Identifier: Apache-2.0

package kconv

import (
	"math"
	"math/rand"
	"testing"
)

// convShapes covers the arithmetic the host path must get right: a stem (7x7, stride 2, padding 3),
// same-padded 3x3, 1x1, dilation, unequal strides and paddings, a batch, and odd sizes.
func convShapes() []ConvDesc {
	shape := func(n, c, h, w, k, r, s, strideH, strideW, padH, padW, dilH, dilW int64) ConvDesc {
		d := NewConvDesc()
		d.N, d.C, d.H, d.W, d.K, d.R, d.S = n, c, h, w, k, r, s
		d.StrideH, d.StrideW, d.PadH, d.PadW, d.DilH, d.DilW = strideH, strideW, padH, padW, dilH, dilW
		return d
	}
	return []ConvDesc{
		shape(1, 3, 32, 32, 16, 7, 7, 2, 2, 3, 3, 1, 1),
		shape(2, 4, 13, 11, 8, 3, 3, 1, 1, 1, 1, 1, 1),
		shape(1, 5, 9, 9, 7, 1, 1, 1, 1, 0, 0, 1, 1),
		shape(1, 3, 17, 19, 6, 3, 3, 1, 1, 2, 2, 2, 2),
		shape(3, 2, 15, 20, 5, 5, 3, 3, 2, 1, 2, 1, 1),
	}
}

func TestForwardHostMatchesNaiveConv(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, desc := range convShapes() {
		desc := desc
		t.Run(describe(desc), func(t *testing.T) {
			c := randomCase(t, rng, desc)
			want, scale := naiveConv(t, desc, c.x, c.w, nil)
			y := filled(c.yLen, float32(math.NaN()))
			if err := ForwardHost(desc, c.x, c.w, nil, y); err != nil {
				t.Fatalf("ForwardHost: %v", err)
			}
			compareWithin(t, "ForwardHost", y, want, scale, 1e-4)
		})
	}
}

func TestReferenceOptionMatchesNaiveConvAndFastPath(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, desc := range convShapes() {
		desc := desc
		t.Run(describe(desc), func(t *testing.T) {
			c := randomCase(t, rng, desc)
			want, scale := naiveConv(t, desc, c.x, c.w, nil)
			reference := filled(c.yLen, float32(math.NaN()))
			if err := ForwardHostWithOptions(desc, c.x, c.w, nil, reference, HostOptions{Reference: true}); err != nil {
				t.Fatalf("ForwardHostWithOptions(Reference): %v", err)
			}
			// The reference accumulates in float64 like naiveConv, so it is naiveConv rounded to fp32:
			// within one fp32 rounding of the result, far tighter than the fast path's tolerance.
			for i := range want {
				if diff := math.Abs(float64(reference[i]) - want[i]); !(diff <= math.Abs(want[i])*0x1p-23+1e-12*scale[i]) {
					t.Fatalf("reference y[%d] = %g, want %g rounded to fp32", i, reference[i], want[i])
				}
			}
			fast := filled(c.yLen, float32(math.NaN()))
			if err := ForwardHostWithOptions(desc, c.x, c.w, nil, fast, HostOptions{}); err != nil {
				t.Fatalf("ForwardHostWithOptions(fast): %v", err)
			}
			referenceAsFloat64 := make([]float64, len(reference))
			for i, v := range reference {
				referenceAsFloat64[i] = float64(v)
			}
			compareWithin(t, "fast path against the reference option", fast, referenceAsFloat64, scale, 1e-4)
		})
	}
}

func TestBiasAndReLU(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	desc := NewConvDesc()
	desc.N, desc.C, desc.H, desc.W, desc.K, desc.R, desc.S = 2, 3, 12, 10, 8, 3, 3
	desc.PadH, desc.PadW = 1, 1
	desc.HasBias, desc.ReLU = true, true
	c := randomCase(t, rng, desc)
	want, scale := naiveConv(t, desc, c.x, c.w, c.bias)

	// Both effects must be visible, or the test could pass with either one ignored.
	zeros, positives := 0, 0
	for _, v := range want {
		if v == 0 {
			zeros++
		} else {
			positives++
		}
	}
	if zeros == 0 || positives == 0 {
		t.Fatalf("the random case has %d clamped and %d positive outputs; it must have both", zeros, positives)
	}

	for _, opts := range []HostOptions{{}, {Threads: 3}, {Reference: true}} {
		y := filled(c.yLen, float32(math.NaN()))
		if err := ForwardHostWithOptions(desc, c.x, c.w, c.bias, y, opts); err != nil {
			t.Fatalf("ForwardHostWithOptions(%+v): %v", opts, err)
		}
		compareWithin(t, "bias + ReLU", y, want, scale, 1e-4)
		for i, v := range y {
			if want[i] == 0 && v != 0 {
				t.Fatalf("%+v: y[%d] = %g, want 0 (ReLU)", opts, i, v)
			}
		}
	}

	y := filled(c.yLen, float32(math.NaN()))
	if err := ForwardHost(desc, c.x, c.w, c.bias, y); err != nil {
		t.Fatalf("ForwardHost: %v", err)
	}
	compareWithin(t, "ForwardHost bias + ReLU", y, want, scale, 1e-4)
}

func TestThreadsOneAndFourAgree(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	desc := NewConvDesc()
	// Big enough that four threads each get work.
	desc.N, desc.C, desc.H, desc.W, desc.K, desc.R, desc.S = 2, 3, 64, 64, 16, 7, 7
	desc.StrideH, desc.StrideW, desc.PadH, desc.PadW = 2, 2, 3, 3
	c := randomCase(t, rng, desc)
	want, scale := naiveConv(t, desc, c.x, c.w, nil)
	one := filled(c.yLen, float32(math.NaN()))
	four := filled(c.yLen, float32(math.NaN()))
	if err := ForwardHostWithOptions(desc, c.x, c.w, nil, one, HostOptions{Threads: 1}); err != nil {
		t.Fatalf("Threads 1: %v", err)
	}
	if err := ForwardHostWithOptions(desc, c.x, c.w, nil, four, HostOptions{Threads: 4}); err != nil {
		t.Fatalf("Threads 4: %v", err)
	}
	compareWithin(t, "Threads 1", one, want, scale, 1e-4)
	compareWithin(t, "Threads 4", four, want, scale, 1e-4)
	oneAsFloat64 := make([]float64, len(one))
	for i, v := range one {
		oneAsFloat64[i] = float64(v)
	}
	compareWithin(t, "Threads 4 against Threads 1", four, oneAsFloat64, scale, 1e-5)
}

func TestHostDefaultThreadsIsPositive(t *testing.T) {
	if n := HostDefaultThreads(); n < 1 || n > 4096 {
		t.Fatalf("HostDefaultThreads() = %d, want 1..4096", n)
	}
}

func TestLongerSlicesAreAccepted(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	desc := convShapes()[1]
	c := randomCase(t, rng, desc)
	want, scale := naiveConv(t, desc, c.x, c.w, nil)
	const sentinel = float32(-7)
	y := filled(c.yLen+3, sentinel)
	if err := ForwardHost(desc, append(c.x, 1, 2), append(c.w, 3), nil, y); err != nil {
		t.Fatalf("ForwardHost: %v", err)
	}
	compareWithin(t, "longer slices", y, want, scale, 1e-4)
	for i := c.yLen; i < len(y); i++ {
		if y[i] != sentinel {
			t.Fatalf("y[%d] past the output = %g, want it untouched (%g)", i, y[i], sentinel)
		}
	}
}
