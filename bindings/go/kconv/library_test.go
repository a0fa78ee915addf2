// SPDX-License-Identifier: Apache-2.0

package kconv

import (
	"fmt"
	"strings"
	"testing"
)

func TestVersionMatchesHeader(t *testing.T) {
	number := VersionNumber()
	if number != HeaderVersionNumber {
		t.Fatalf("library version %d, header %d: the loaded libkconv is not the one compiled against",
			number, HeaderVersionNumber)
	}
	want := fmt.Sprintf("%d.%d.%d", number/10000, number/100%100, number%100)
	if got := Version(); got != want {
		t.Fatalf("Version() = %q, want %q (from VersionNumber %d)", got, want, number)
	}
}

func TestConfigsAreNamedByFamily(t *testing.T) {
	configs := Configs()
	if len(configs) == 0 {
		t.Fatal("Configs() is empty: the library lists no kernel config")
	}
	for _, name := range configs {
		if len(name) < 3 || !strings.Contains(name, "/") {
			t.Errorf("config %q is not named family/config", name)
		}
	}
}

func TestNewConvDescHoldsTheLibraryDefaults(t *testing.T) {
	d := NewConvDesc()
	want := ConvDesc{StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, MathMode: MathTF32, ElementType: ElementF32,
		Layout: LayoutNCHW}
	if d != want {
		t.Fatalf("NewConvDesc() = %+v, want %+v", d, want)
	}
}

func TestOutputShape(t *testing.T) {
	d := NewConvDesc()
	d.N, d.C, d.H, d.W, d.K, d.R, d.S = 2, 3, 224, 224, 64, 7, 7
	d.StrideH, d.StrideW, d.PadH, d.PadW = 2, 2, 3, 3
	got, err := d.OutputShape()
	if err != nil {
		t.Fatalf("OutputShape: %v", err)
	}
	if want := [4]int64{2, 64, 112, 112}; got != want {
		t.Fatalf("OutputShape() = %v, want %v", got, want)
	}
}
