// SPDX-License-Identifier: Apache-2.0

package kconv

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// naiveConv is the test oracle: the convolution's definition as loops, accumulated in float64. For
// every output it also returns the sum of the absolute values of the terms, the scale that bounds the
// rounding error of any fp32 summation order.
func naiveConv(t *testing.T, d ConvDesc, x, w, bias []float32) (y, scale []float64) {
	t.Helper()
	out, err := d.OutputShape()
	if err != nil {
		t.Fatalf("OutputShape: %v", err)
	}
	n, k, p, q := out[0], out[1], out[2], out[3]
	y = make([]float64, n*k*p*q)
	scale = make([]float64, len(y))
	for in := int64(0); in < n; in++ {
		for ik := int64(0); ik < k; ik++ {
			for ip := int64(0); ip < p; ip++ {
				for iq := int64(0); iq < q; iq++ {
					sum, abs := 0.0, 0.0
					if d.HasBias {
						sum, abs = float64(bias[ik]), math.Abs(float64(bias[ik]))
					}
					for ic := int64(0); ic < d.C; ic++ {
						for ir := int64(0); ir < d.R; ir++ {
							ih := ip*d.StrideH - d.PadH + ir*d.DilH
							if ih < 0 || ih >= d.H {
								continue
							}
							for is := int64(0); is < d.S; is++ {
								iw := iq*d.StrideW - d.PadW + is*d.DilW
								if iw < 0 || iw >= d.W {
									continue
								}
								term := float64(x[((in*d.C+ic)*d.H+ih)*d.W+iw]) * float64(w[((ik*d.C+ic)*d.R+ir)*d.S+is])
								sum += term
								abs += math.Abs(term)
							}
						}
					}
					if d.ReLU && sum < 0 {
						sum = 0
					}
					at := ((in*k+ik)*p+ip)*q + iq
					y[at], scale[at] = sum, abs
				}
			}
		}
	}
	return y, scale
}

// convCase is one random problem: its descriptor and inputs.
type convCase struct {
	desc       ConvDesc
	x, w, bias []float32
	yLen       int
}

// randomCase draws inputs in [-1, 1) for desc, with a bias when desc.HasBias.
func randomCase(t *testing.T, rng *rand.Rand, desc ConvDesc) convCase {
	t.Helper()
	out, err := desc.OutputShape()
	if err != nil {
		t.Fatalf("OutputShape(%+v): %v", desc, err)
	}
	c := convCase{
		desc: desc,
		x:    randomFloats(rng, desc.N*desc.C*desc.H*desc.W),
		w:    randomFloats(rng, desc.K*desc.C*desc.R*desc.S),
		yLen: int(out[0] * out[1] * out[2] * out[3]),
	}
	if desc.HasBias {
		c.bias = randomFloats(rng, desc.K)
	}
	return c
}

func randomFloats(rng *rand.Rand, n int64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

// filled is a slice of n copies of v: an output whose untouched state is recognisable.
func filled(n int, v float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// compareWithin reports the outputs that differ from want by more than relTol times their scale (the
// error bound of an fp32 sum of those terms, which a plain relative error would exceed under
// cancellation). It stops after a few, to keep a failure readable.
func compareWithin(t *testing.T, what string, got []float32, want, scale []float64, relTol float64) {
	t.Helper()
	if len(got) < len(want) {
		t.Fatalf("%s: %d outputs, want %d", what, len(got), len(want))
	}
	failures := 0
	for i := range want {
		diff := math.Abs(float64(got[i]) - want[i])
		if diff > relTol*scale[i]+1e-30 || math.IsNaN(float64(got[i])) {
			failures++
			if failures <= 5 {
				t.Errorf("%s: y[%d] = %g, want %g (difference %.3g, allowed %.3g)", what, i, got[i], want[i],
					diff, relTol*scale[i])
			}
		}
	}
	if failures > 5 {
		t.Errorf("%s: %d outputs out of tolerance in all", what, failures)
	}
}

// describe names a descriptor's shape in a subtest name.
func describe(d ConvDesc) string {
	return fmt.Sprintf("n%dc%dh%dw%d_k%dr%ds%d_st%dx%d_pad%dx%d_dil%dx%d", d.N, d.C, d.H, d.W, d.K, d.R, d.S,
		d.StrideH, d.StrideW, d.PadH, d.PadW, d.DilH, d.DilW)
}
