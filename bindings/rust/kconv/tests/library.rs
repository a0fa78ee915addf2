// SPDX-License-Identifier: Apache-2.0
//! What the library reports about itself, and the descriptor's defaults, which come from it.

use kconv::{config_names, sys, version, version_number, ConvDesc, ElementType, Layout, MathMode};

#[test]
fn version_string_and_number_agree() {
    let number = version_number();
    let expected = format!("{}.{}.{}", number / 10000, number / 100 % 100, number % 100);
    assert!(
        version().starts_with(&expected),
        "version() = {:?}, number {}",
        version(),
        number
    );
    assert_eq!(
        number / 100,
        sys::KCONV_VERSION_NUMBER / 100,
        "library and kconv-sys differ in major.minor"
    );
}

#[test]
fn descriptor_defaults_are_the_librarys() {
    let d = ConvDesc::default();
    assert_eq!((d.n, d.c, d.h, d.w, d.k, d.r, d.s), (0, 0, 0, 0, 0, 0, 0));
    assert_eq!(
        (d.stride_h, d.stride_w, d.dil_h, d.dil_w, d.pad_h, d.pad_w),
        (1, 1, 1, 1, 0, 0)
    );
    assert!(!d.has_bias && !d.relu);
    assert_eq!(
        (d.math_mode, d.element_type, d.layout),
        (MathMode::Tf32, ElementType::F32, Layout::Nchw)
    );
}

#[test]
fn descriptor_survives_the_c_struct() {
    let d = ConvDesc {
        n: 2,
        c: 3,
        h: 5,
        w: 7,
        k: 11,
        r: 13,
        s: 17,
        stride_h: 19,
        stride_w: 23,
        pad_h: 29,
        pad_w: 31,
        dil_h: 37,
        dil_w: 41,
        has_bias: true,
        relu: false,
        math_mode: MathMode::Tf32x3,
        element_type: ElementType::Bf16,
        layout: Layout::Nhwc,
    };
    assert_eq!(ConvDesc::from_raw(&d.to_raw()), Some(d));
}

#[test]
fn output_shape_follows_the_formula() {
    // P = (H + 2*pad - dil*(R-1) - 1) / stride + 1 = (224 + 6 - 6 - 1) / 2 + 1 = 112.
    let d = ConvDesc {
        n: 4,
        c: 3,
        h: 224,
        w: 224,
        k: 64,
        r: 7,
        s: 7,
        stride_h: 2,
        stride_w: 2,
        pad_h: 3,
        pad_w: 3,
        ..Default::default()
    };
    assert_eq!(d.output_shape().unwrap(), [4, 64, 112, 112]);
}

#[test]
fn config_names_are_listed() {
    let names = config_names();
    assert!(!names.is_empty());
    assert!(names.iter().all(|n| n.contains('/')), "{:?}", names);
}
