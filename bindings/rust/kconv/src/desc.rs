// SPDX-License-Identifier: Apache-2.0
//! The convolution descriptor: what to compute, independent of where.

use std::mem::size_of;

use kconv_sys as sys;

use crate::error::{check, Result};

/// How the GPU kernels multiply. The host path always accumulates in fp32 (or float64 for the reference).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MathMode {
    /// TF32 tensor cores with fp32 accumulation: PyTorch's default for convolutions.
    Tf32,
    /// fp32-accurate on TF32 tensor cores: three products of split operands.
    Tf32x3,
    /// Strict IEEE fp32 (FFMA), no tensor cores.
    Fp32,
}

/// The element type of x, w and y (the bias is always fp32). The host path computes F32 only and fails
/// with `Status::Unimplemented` for the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ElementType {
    F32,
    F16,
    Bf16,
}

/// The memory layout of x and y; w is always `[K][C][R][S]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// `x[N][C][H][W]`, `y[N][K][P][Q]`.
    Nchw,
    /// `x[N][H][W][C]`, `y[N][P][Q][K]` (channels-last).
    Nhwc,
}

/// `y[N][K][P][Q] = conv(x[N][C][H][W], w[K][C][R][S]) + bias[K]`, optionally ReLU'd, on dense tensors.
///
/// A plain struct, so that a layer reads as one literal with the rest from `Default`:
/// `ConvDesc { n: 1, c: 3, h: 224, w: 224, k: 64, r: 7, s: 7, stride_h: 2, stride_w: 2, pad_h: 3,
/// pad_w: 3, ..Default::default() }`. Nothing is checked until a call uses it (or `output_shape`): the
/// library validates every field and names the one it refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConvDesc {
    /// Input batch, channels, height, width.
    pub n: i64,
    pub c: i64,
    pub h: i64,
    pub w: i64,
    /// Output channels (filters), kernel height, kernel width.
    pub k: i64,
    pub r: i64,
    pub s: i64,
    pub stride_h: i64,
    pub stride_w: i64,
    pub pad_h: i64,
    pub pad_w: i64,
    pub dil_h: i64,
    pub dil_w: i64,
    /// Add `bias[K]`; the calls then require a bias.
    pub has_bias: bool,
    /// `max(y, 0)` after the bias.
    pub relu: bool,
    pub math_mode: MathMode,
    pub element_type: ElementType,
    pub layout: Layout,
}

impl Default for ConvDesc {
    /// The library's defaults (from `kconv_conv_desc_init_sized`, so that they are stated once, in C):
    /// sizes 0 (to be set), strides and dilations 1, no padding, no bias, no ReLU, TF32, fp32, NCHW.
    ///
    /// # Panics
    /// If the linked library refuses this binding's struct or gives a default this binding cannot name:
    /// a library older than the header `kconv-sys` transcribes, which no call could use correctly.
    fn default() -> Self {
        // SAFETY: all-zero bytes are a valid kconv_conv_desc (integers only).
        let mut raw: sys::kconv_conv_desc = unsafe { std::mem::zeroed() };
        // SAFETY: raw is a kconv_conv_desc of exactly the size passed.
        let status = unsafe { sys::kconv_conv_desc_init_sized(&mut raw, size_of::<sys::kconv_conv_desc>()) };
        assert_eq!(
            status,
            sys::KCONV_STATUS_OK,
            "libkconv refuses a {}-byte kconv_conv_desc: it is older than kconv-sys {}",
            size_of::<sys::kconv_conv_desc>(),
            env!("CARGO_PKG_VERSION")
        );
        ConvDesc::from_raw(&raw).expect("libkconv's default descriptor has an enum value kconv-sys does not know")
    }
}

impl ConvDesc {
    /// The output shape `[N, K, P, Q]`, after the library has validated every field.
    pub fn output_shape(&self) -> Result<[i64; 4]> {
        let raw = self.to_raw();
        let mut dims = [0i64; 4];
        // SAFETY: raw is a complete descriptor and dims has the 4 elements the function writes.
        check(|error| unsafe { sys::kconv_conv_output_shape_e(&raw, dims.as_mut_ptr(), error) })?;
        Ok(dims)
    }

    /// The C struct, for calls through `kconv-sys`.
    pub fn to_raw(&self) -> sys::kconv_conv_desc {
        sys::kconv_conv_desc {
            struct_size: size_of::<sys::kconv_conv_desc>(),
            n: self.n,
            c: self.c,
            h: self.h,
            w: self.w,
            k: self.k,
            r: self.r,
            s: self.s,
            stride_h: self.stride_h,
            stride_w: self.stride_w,
            pad_h: self.pad_h,
            pad_w: self.pad_w,
            dil_h: self.dil_h,
            dil_w: self.dil_w,
            has_bias: self.has_bias as i32,
            relu: self.relu as i32,
            math_mode: match self.math_mode {
                MathMode::Tf32 => sys::KCONV_MATH_TF32,
                MathMode::Tf32x3 => sys::KCONV_MATH_3XTF32,
                MathMode::Fp32 => sys::KCONV_MATH_FP32,
            },
            element_type: match self.element_type {
                ElementType::F32 => sys::KCONV_ELEMENT_F32,
                ElementType::F16 => sys::KCONV_ELEMENT_F16,
                ElementType::Bf16 => sys::KCONV_ELEMENT_BF16,
            },
            layout: match self.layout {
                Layout::Nchw => sys::KCONV_LAYOUT_NCHW,
                Layout::Nhwc => sys::KCONV_LAYOUT_NHWC,
            },
        }
    }

    /// The descriptor a C struct holds; `None` when a flag or enum holds a value this binding cannot name.
    pub fn from_raw(raw: &sys::kconv_conv_desc) -> Option<ConvDesc> {
        let flag = |v: i32| match v {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        };
        Some(ConvDesc {
            n: raw.n,
            c: raw.c,
            h: raw.h,
            w: raw.w,
            k: raw.k,
            r: raw.r,
            s: raw.s,
            stride_h: raw.stride_h,
            stride_w: raw.stride_w,
            pad_h: raw.pad_h,
            pad_w: raw.pad_w,
            dil_h: raw.dil_h,
            dil_w: raw.dil_w,
            has_bias: flag(raw.has_bias)?,
            relu: flag(raw.relu)?,
            math_mode: match raw.math_mode {
                sys::KCONV_MATH_TF32 => MathMode::Tf32,
                sys::KCONV_MATH_3XTF32 => MathMode::Tf32x3,
                sys::KCONV_MATH_FP32 => MathMode::Fp32,
                _ => return None,
            },
            element_type: match raw.element_type {
                sys::KCONV_ELEMENT_F32 => ElementType::F32,
                sys::KCONV_ELEMENT_F16 => ElementType::F16,
                sys::KCONV_ELEMENT_BF16 => ElementType::Bf16,
                _ => return None,
            },
            layout: match raw.layout {
                sys::KCONV_LAYOUT_NCHW => Layout::Nchw,
                sys::KCONV_LAYOUT_NHWC => Layout::Nhwc,
                _ => return None,
            },
        })
    }
}
