// SPDX-License-Identifier: Apache-2.0
//! Wrong input to the host path is an `Err` naming the culprit, and leaves `y` untouched.

use kconv::{forward_host, forward_host_with_options, ConvDesc, ElementType, HostOptions, Status};

const SENTINEL: f32 = 7.25;

/// A valid layer with a bias: x 2*3*9*9, w 4*3*3*3, bias 4, y 2*4*9*9.
fn layer() -> ConvDesc {
    ConvDesc {
        n: 2,
        c: 3,
        h: 9,
        w: 9,
        k: 4,
        r: 3,
        s: 3,
        pad_h: 1,
        pad_w: 1,
        has_bias: true,
        ..Default::default()
    }
}

struct Buffers {
    x: Vec<f32>,
    w: Vec<f32>,
    bias: Vec<f32>,
    y: Vec<f32>,
}

fn buffers() -> Buffers {
    Buffers {
        x: vec![1.0; 2 * 3 * 9 * 9],
        w: vec![1.0; 4 * 3 * 3 * 3],
        bias: vec![1.0; 4],
        y: vec![SENTINEL; 2 * 4 * 9 * 9],
    }
}

fn assert_invalid(result: kconv::Result<()>, names: &str) {
    let error = result.expect_err("the call succeeded");
    assert_eq!(error.status, Status::InvalidArgument, "{}", error);
    assert!(
        error.message.contains(names),
        "message {:?} does not name {:?}",
        error.message,
        names
    );
}

fn untouched(y: &[f32]) -> bool {
    y.iter().all(|&v| v == SENTINEL)
}

#[test]
fn valid_buffers_are_accepted() {
    let mut b = buffers();
    forward_host(&layer(), &b.x, &b.w, Some(&b.bias), &mut b.y).unwrap();
    assert_eq!(b.y[9 * 4 + 4], 28.0); // an interior pixel: 27 taps of 1 plus the bias
}

#[test]
fn bad_descriptor_is_invalid_argument_naming_the_field() {
    let mut b = buffers();
    let cases = [
        (ConvDesc { stride_h: 0, ..layer() }, "stride_h"),
        (ConvDesc { pad_w: -1, ..layer() }, "pad_w"),
        (ConvDesc { dil_h: 0, ..layer() }, "dil_h"),
        (ConvDesc { c: 0, ..layer() }, "desc->c"),
    ];
    for (d, field) in cases.iter() {
        assert_invalid(d.output_shape().map(|_| ()), field);
        assert_invalid(forward_host(d, &b.x, &b.w, Some(&b.bias), &mut b.y), field);
        let options = HostOptions::default();
        assert_invalid(
            forward_host_with_options(d, &b.x, &b.w, Some(&b.bias), &mut b.y, &options),
            field,
        );
        assert!(untouched(&b.y));
    }
    let error = ConvDesc { stride_h: 0, ..layer() }.output_shape().unwrap_err();
    assert!(error.to_string().starts_with("INVALID_ARGUMENT: "), "{}", error);
}

#[test]
fn short_or_long_slices_are_refused_without_touching_y() {
    let d = layer();
    let mut b = buffers();
    let n = b.x.len();
    assert_invalid(
        forward_host(&d, &b.x[..n - 1], &b.w, Some(&b.bias), &mut b.y),
        "x has 485 elements",
    );
    assert_invalid(
        forward_host(&d, &b.x, &b.w[1..], Some(&b.bias), &mut b.y),
        "w has 107 elements",
    );
    assert_invalid(
        forward_host(&d, &b.x, &b.w, Some(&b.bias[..3]), &mut b.y),
        "bias has 3 elements",
    );
    assert_invalid(forward_host(&d, &b.x, &b.w, Some(&b.bias), &mut []), "y has 0 elements");
    let ny = b.y.len();
    assert_invalid(
        forward_host(&d, &b.x, &b.w, Some(&b.bias), &mut b.y[..ny - 1]),
        "y has 647 elements",
    );
    b.x.push(0.0);
    assert_invalid(
        forward_host(&d, &b.x, &b.w, Some(&b.bias), &mut b.y),
        "x has 487 elements",
    );
    b.x.pop();
    let options = HostOptions {
        threads: 2,
        reference: true,
    };
    assert_invalid(
        forward_host_with_options(&d, &b.x, &[], Some(&b.bias), &mut b.y, &options),
        "w has 0",
    );
    assert!(untouched(&b.y));
}

#[test]
fn bias_must_be_given_exactly_when_the_descriptor_has_one() {
    let mut b = buffers();
    assert_invalid(forward_host(&layer(), &b.x, &b.w, None, &mut b.y), "has_bias");
    let no_bias = ConvDesc {
        has_bias: false,
        ..layer()
    };
    assert_invalid(forward_host(&no_bias, &b.x, &b.w, Some(&b.bias), &mut b.y), "has_bias");
    assert!(untouched(&b.y));
}

#[test]
fn too_many_threads_are_refused() {
    let mut b = buffers();
    for threads in [4097, u32::MAX] {
        let options = HostOptions {
            threads,
            ..HostOptions::default()
        };
        assert_invalid(
            forward_host_with_options(&layer(), &b.x, &b.w, Some(&b.bias), &mut b.y, &options),
            "threads",
        );
    }
    assert!(untouched(&b.y));
}

#[test]
fn element_type_the_host_path_lacks_is_unimplemented() {
    let mut b = buffers();
    let d = ConvDesc {
        element_type: ElementType::F16,
        ..layer()
    };
    let error = forward_host(&d, &b.x, &b.w, Some(&b.bias), &mut b.y).unwrap_err();
    assert_eq!(error.status, Status::Unimplemented, "{}", error);
    assert!(untouched(&b.y));
}
