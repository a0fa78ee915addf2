// SPDX-License-Identifier: Apache-2.0

package kconv

// #include <kconv/kconv.h>
import "C"

import "unsafe"

// MathMode is how a device plan multiplies (kconv_math_mode). The host path always computes in fp32.
type MathMode int32

// Math modes: MathTF32 is TF32 tensor cores with fp32 accumulation, PyTorch's default for convolutions;
// Math3xTF32 is fp32-accurate on TF32 tensor cores (three products of split operands); MathFP32 is strict
// IEEE fp32 (FFMA), no tensor cores.
const (
	MathTF32   MathMode = C.KCONV_MATH_TF32
	Math3xTF32 MathMode = C.KCONV_MATH_3XTF32
	MathFP32   MathMode = C.KCONV_MATH_FP32
)

// ElementType is the element type of x, w and y (kconv_element_type).
type ElementType int32

// Element types (the bias is always fp32). Device plans compute all three; the host path computes
// ElementF32 only and fails with StatusUnimplemented for the others.
const (
	ElementF32  ElementType = C.KCONV_ELEMENT_F32
	ElementF16  ElementType = C.KCONV_ELEMENT_F16
	ElementBF16 ElementType = C.KCONV_ELEMENT_BF16
)

// Layout is the memory layout of x and y (kconv_layout); w is always [K][C][R][S].
type Layout int32

// Layouts. Only LayoutNCHW is computed yet.
const (
	LayoutNCHW Layout = C.KCONV_LAYOUT_NCHW // x[N][C][H][W], y[N][K][P][Q]
	LayoutNHWC Layout = C.KCONV_LAYOUT_NHWC // x[N][H][W][C], y[N][P][Q][K]
)

// ConvDesc describes y[N][K][P][Q] = conv(x[N][C][H][W], w[K][C][R][S]) + bias[K], optionally ReLU'd,
// on dense tensors, with P = (H + 2*PadH - DilH*(R-1) - 1) / StrideH + 1 and likewise Q. Start from
// NewConvDesc, which holds the library's defaults, and set the sizes. The library validates it on
// every call; the message of a bad one names the field as C spells it ("desc->stride_h").
type ConvDesc struct {
	N, C, H, W       int64 // input: batch, channels, height, width
	K, R, S          int64 // filters: output channels, kernel height, kernel width
	StrideH, StrideW int64 // >= 1
	PadH, PadW       int64 // >= 0
	DilH, DilW       int64 // >= 1
	HasBias          bool  // add bias[K]
	ReLU             bool  // max(y, 0) after the bias
	MathMode         MathMode
	ElementType      ElementType
	Layout           Layout
}

// NewConvDesc returns the library's defaults: sizes 0 (to be set), strides and dilations 1, no padding,
// no bias, no ReLU, TF32, fp32, NCHW.
func NewConvDesc() ConvDesc {
	c := defaultCConvDesc()
	return ConvDesc{
		N: int64(c.n), C: int64(c.c), H: int64(c.h), W: int64(c.w),
		K: int64(c.k), R: int64(c.r), S: int64(c.s),
		StrideH: int64(c.stride_h), StrideW: int64(c.stride_w),
		PadH: int64(c.pad_h), PadW: int64(c.pad_w),
		DilH: int64(c.dil_h), DilW: int64(c.dil_w),
		HasBias:     c.has_bias != 0,
		ReLU:        c.relu != 0,
		MathMode:    MathMode(c.math_mode),
		ElementType: ElementType(c.element_type),
		Layout:      Layout(c.layout),
	}
}

// defaultCConvDesc fills a C descriptor with the library's defaults. Its status is not checked: the
// init fails only for a struct size the library does not know (a library older than the header), and
// then, with struct_size set here regardless, every call made with the descriptor reports that skew
// in its own message.
func defaultCConvDesc() C.kconv_conv_desc {
	var c C.kconv_conv_desc
	C.kconv_conv_desc_init_sized(&c, C.size_t(unsafe.Sizeof(c)))
	c.struct_size = C.size_t(unsafe.Sizeof(c))
	return c
}

// toC converts the descriptor for one call. It starts from the library's defaults so that a field a
// newer header appends, and this struct does not have yet, gets its default rather than zero.
func (d *ConvDesc) toC() C.kconv_conv_desc {
	c := defaultCConvDesc()
	c.n, c.c, c.h, c.w = C.int64_t(d.N), C.int64_t(d.C), C.int64_t(d.H), C.int64_t(d.W)
	c.k, c.r, c.s = C.int64_t(d.K), C.int64_t(d.R), C.int64_t(d.S)
	c.stride_h, c.stride_w = C.int64_t(d.StrideH), C.int64_t(d.StrideW)
	c.pad_h, c.pad_w = C.int64_t(d.PadH), C.int64_t(d.PadW)
	c.dil_h, c.dil_w = C.int64_t(d.DilH), C.int64_t(d.DilW)
	c.has_bias = cFlag(d.HasBias)
	c.relu = cFlag(d.ReLU)
	c.math_mode = C.int32_t(d.MathMode)
	c.element_type = C.int32_t(d.ElementType)
	c.layout = C.int32_t(d.Layout)
	return c
}

// OutputShape validates the descriptor and returns the output's {N, K, P, Q}.
func (d ConvDesc) OutputShape() ([4]int64, error) {
	c := d.toC()
	var dims [4]C.int64_t
	e := newCallError()
	if err := errorOf(C.kconv_conv_output_shape_e(&c, &dims[0], e), e); err != nil {
		return [4]int64{}, err
	}
	return [4]int64{int64(dims[0]), int64(dims[1]), int64(dims[2]), int64(dims[3])}, nil
}

// cFlag is the C API's 0/1 for a bool.
func cFlag(b bool) C.int32_t {
	if b {
		return 1
	}
	return 0
}
