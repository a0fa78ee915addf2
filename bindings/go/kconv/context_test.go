// SPDX-License-Identifier: Apache-2.0

package kconv

import (
	"errors"
	"math"
	"math/rand"
	"testing"

	"github.com/kconv/kconv/bindings/go/kconv/internal/cudatest"
)

// openContextOrSkip returns a Context on device 0, or skips the test, with the library's message, where
// the machine has no usable GPU. Any other failure fails the test.
func openContextOrSkip(t *testing.T) *Context {
	t.Helper()
	ctx, err := NewContext(ContextOptions{})
	if err != nil {
		var kerr *Error
		if errors.As(err, &kerr) && (kerr.Status == StatusUnavailable || kerr.Status == StatusNotFound) {
			t.Skipf("no usable GPU: %v", err)
		}
		t.Fatalf("NewContext: %v", err)
	}
	return ctx
}

func TestNewContextWithoutGPUFailsCleanly(t *testing.T) {
	ctx, err := NewContext(ContextOptions{})
	if err == nil {
		ctx.Close()
		t.Skip("this machine has a usable GPU; the no-GPU failure cannot be observed")
	}
	var kerr *Error
	if !errors.As(err, &kerr) {
		t.Fatalf("NewContext error %v (%T) is not a *kconv.Error", err, err)
	}
	if kerr.Status != StatusUnavailable && kerr.Status != StatusNotFound {
		t.Fatalf("NewContext: status %v, want UNAVAILABLE or NOT_FOUND (%v)", kerr.Status, err)
	}
	if kerr.Message == "" {
		t.Fatalf("NewContext failed with %v but no message", kerr.Status)
	}
	if ctx != nil {
		t.Fatalf("NewContext returned a Context with its error")
	}
	t.Logf("as expected without a GPU: %v", err)
}

func TestNewContextWithAMissingDevice(t *testing.T) {
	openContextOrSkip(t).Close()
	_, err := NewContext(ContextOptions{DeviceOrdinal: 1 << 20})
	expectError(t, err, StatusNotFound)
}

// gpuCase is a problem whose tensors are on device 0.
type gpuCase struct {
	convCase
	x, w, bias, y cudatest.Floats
}

func uploadCase(t *testing.T, c convCase) gpuCase {
	t.Helper()
	if err := cudatest.Open(); err != nil {
		t.Skipf("kconv has a GPU but the test cannot allocate on it: %v", err)
	}
	g := gpuCase{convCase: c}
	var err error
	upload := func(values []float32) cudatest.Floats {
		if err != nil {
			return cudatest.Floats{}
		}
		var f cudatest.Floats
		f, err = cudatest.Upload(values)
		return f
	}
	g.x, g.w, g.y = upload(c.x), upload(c.w), upload(filled(c.yLen, float32(math.NaN())))
	if c.desc.HasBias {
		g.bias = upload(c.bias)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, f := range []cudatest.Floats{g.x, g.w, g.bias, g.y} {
			if f.Pointer != 0 {
				f.Free()
			}
		}
	})
	return g
}

func TestPlanExecuteMatchesNaiveConv(t *testing.T) {
	ctx := openContextOrSkip(t)
	defer ctx.Close()
	desc := NewConvDesc()
	desc.N, desc.C, desc.H, desc.W, desc.K, desc.R, desc.S = 2, 3, 40, 36, 32, 7, 7
	desc.StrideH, desc.StrideW, desc.PadH, desc.PadW = 2, 2, 3, 3
	desc.HasBias, desc.ReLU = true, true
	c := randomCase(t, rand.New(rand.NewSource(7)), desc)
	want, scale := naiveConv(t, desc, c.x, c.w, c.bias)
	g := uploadCase(t, c)

	plan, err := NewPlan(ctx, desc, PlanOptions{})
	if err != nil {
		t.Fatalf("NewPlan: %v", err)
	}
	defer plan.Close()
	info, err := plan.Info()
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.Family == "" || info.Config == "" || info.GridX < 1 || info.ThreadsPerBlock < 1 || info.DeviceCC < 80 {
		t.Fatalf("Info() = %+v: missing fields", info)
	}
	t.Logf("plan: %s", plan.Describe())

	if err := plan.Execute(g.x.Pointer, g.w.Pointer, g.bias.Pointer, g.y.Pointer, nil); err != nil {
		t.Fatalf("Execute: %v", err)
	}
	y, err := g.y.Download()
	if err != nil {
		t.Fatal(err)
	}
	// TF32 keeps 10 mantissa bits of each operand: each product is off by up to about 2^-10 of itself.
	compareWithin(t, "Plan.Execute (TF32)", y, want, scale, 2e-3)

	// Weights bound once, then executions with w = 0.
	if err := plan.SetWeights(g.w.Pointer, nil); err != nil {
		t.Fatalf("SetWeights: %v", err)
	}
	g2 := uploadCase(t, c)
	if err := plan.Execute(g2.x.Pointer, 0, g2.bias.Pointer, g2.y.Pointer, nil); err != nil {
		t.Fatalf("Execute with bound weights: %v", err)
	}
	if y, err = g2.y.Download(); err != nil {
		t.Fatal(err)
	}
	compareWithin(t, "Plan.Execute with bound weights", y, want, scale, 2e-3)
}

func TestPlanErrorsAndClose(t *testing.T) {
	ctx := openContextOrSkip(t)
	defer ctx.Close()
	desc := convShapes()[0]

	bad := desc
	bad.StrideW = 0
	_, err := NewPlan(ctx, bad, PlanOptions{})
	expectError(t, err, StatusInvalidArgument, "desc->stride_w")
	_, err = NewPlan(ctx, desc, PlanOptions{ConfigName: "no_such_family/no_such_config"})
	if err == nil {
		t.Fatal("NewPlan with an unknown config name succeeded")
	}

	plan, err := NewPlan(ctx, desc, PlanOptions{})
	if err != nil {
		t.Fatalf("NewPlan: %v", err)
	}
	expectError(t, plan.Execute(0, 0, 0, 0, nil), StatusInvalidArgument, "x is a null pointer")
	plan.Close()
	plan.Close()
	expectError(t, plan.Execute(0, 0, 0, 0, nil), StatusFailedPrecondition, "closed")
	_, err = plan.Info()
	expectError(t, err, StatusFailedPrecondition, "closed")

	ctx.Close()
	ctx.Close()
	_, err = NewPlan(ctx, desc, PlanOptions{})
	expectError(t, err, StatusFailedPrecondition, "context is closed")
}

func TestPlanWithAForcedConfig(t *testing.T) {
	ctx := openContextOrSkip(t)
	defer ctx.Close()
	desc := convShapes()[1]
	var chosen []string
	for _, name := range Configs() {
		plan, err := NewPlan(ctx, desc, PlanOptions{ConfigName: name})
		if err != nil {
			continue // configs refuse shapes or devices they do not fit
		}
		info, err := plan.Info()
		plan.Close()
		if err != nil {
			t.Fatalf("Info: %v", err)
		}
		if got := info.Family + "/" + info.Config; got != name {
			t.Fatalf("forced %q, the plan runs %q", name, got)
		}
		chosen = append(chosen, name)
	}
	if len(chosen) == 0 {
		t.Fatalf("no config of %d accepts %s", len(Configs()), describe(desc))
	}
}
