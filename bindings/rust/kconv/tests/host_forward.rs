// SPDX-License-Identifier: Apache-2.0
//! The host path's results against a float64 convolution computed here, for both of its paths and its
//! thread counts. Outputs start as NaN, so an element the library never writes fails too.

mod common;

use common::{assert_close, lengths, reference_conv, Rng};
use kconv::{forward_host, forward_host_with_options, host_default_threads, ConvDesc, HostOptions};

/// Layers that exercise strides, padding, dilation, 1x1 and large kernels, and odd sizes.
fn layers() -> Vec<ConvDesc> {
    let d = ConvDesc::default();
    vec![
        ConvDesc {
            n: 2,
            c: 3,
            h: 17,
            w: 19,
            k: 5,
            r: 3,
            s: 5,
            stride_h: 2,
            pad_h: 1,
            pad_w: 2,
            dil_w: 2,
            ..d
        },
        ConvDesc {
            n: 1,
            c: 3,
            h: 40,
            w: 36,
            k: 16,
            r: 7,
            s: 7,
            stride_h: 2,
            stride_w: 2,
            pad_h: 3,
            pad_w: 3,
            ..d
        },
        ConvDesc {
            n: 3,
            c: 8,
            h: 5,
            w: 7,
            k: 9,
            r: 1,
            s: 1,
            ..d
        },
        ConvDesc {
            n: 1,
            c: 3,
            h: 63,
            w: 63,
            k: 8,
            r: 11,
            s: 11,
            stride_h: 4,
            stride_w: 4,
            pad_h: 2,
            pad_w: 2,
            ..d
        },
    ]
}

/// Random x, w and bias (when the descriptor has one) for `d`, and a NaN-filled y.
fn random_problem(d: &ConvDesc, seed: u64) -> (Vec<f32>, Vec<f32>, Option<Vec<f32>>, Vec<f32>) {
    let (nx, nw, ny) = lengths(d);
    let mut rng = Rng::new(seed);
    let bias = if d.has_bias {
        Some(rng.tensor(d.k as usize))
    } else {
        None
    };
    (rng.tensor(nx), rng.tensor(nw), bias, vec![f32::NAN; ny])
}

#[test]
fn random_convolutions_match_the_float64_reference() {
    for (i, d) in layers().iter().enumerate() {
        let (x, w, _, mut y) = random_problem(d, i as u64);
        forward_host(d, &x, &w, None, &mut y).unwrap();
        assert_close(&y, &reference_conv(d, &x, &w, None), 1e-4);
    }
}

#[test]
fn bias_and_relu_match_the_float64_reference() {
    for (i, layer) in layers().iter().enumerate() {
        let d = ConvDesc {
            has_bias: true,
            relu: true,
            ..*layer
        };
        let (x, w, bias, mut y) = random_problem(&d, 100 + i as u64);
        forward_host(&d, &x, &w, bias.as_deref(), &mut y).unwrap();
        let want = reference_conv(&d, &x, &w, bias.as_deref());
        assert_close(&y, &want, 1e-4);
        // Random weights give both signs, so ReLU clipped some outputs and kept others.
        assert!(y.contains(&0.0) && y.iter().any(|&v| v > 0.0), "ReLU had nothing to do");
    }
}

#[test]
fn reference_option_matches_the_fast_path_and_float64() {
    for (i, layer) in layers().iter().enumerate() {
        let d = ConvDesc {
            has_bias: true,
            ..*layer
        };
        let (x, w, bias, mut fast) = random_problem(&d, 200 + i as u64);
        let mut reference = fast.clone();
        forward_host(&d, &x, &w, bias.as_deref(), &mut fast).unwrap();
        let options = HostOptions {
            reference: true,
            ..HostOptions::default()
        };
        forward_host_with_options(&d, &x, &w, bias.as_deref(), &mut reference, &options).unwrap();
        let want = reference_conv(&d, &x, &w, bias.as_deref());
        // float64 accumulation rounded once to fp32: within an fp32 rounding of this crate's float64 sum.
        assert_close(&reference, &want, 1e-6);
        let reference64: Vec<f64> = reference.iter().map(|&v| v as f64).collect();
        assert_close(&fast, &reference64, 1e-4);
    }
}

#[test]
fn one_and_four_threads_give_the_same_result() {
    for (i, d) in layers().iter().enumerate() {
        let (x, w, _, y) = random_problem(d, 300 + i as u64);
        let run = |threads: u32| {
            let mut out = y.clone();
            let options = HostOptions {
                threads,
                ..HostOptions::default()
            };
            forward_host_with_options(d, &x, &w, None, &mut out, &options).unwrap();
            out
        };
        let (one, four) = (run(1), run(4));
        assert_close(&one, &reference_conv(d, &x, &w, None), 1e-4);
        // Threads split the output, not a sum, so the results are identical bit for bit.
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<u32>>();
        assert_eq!(bits(&one), bits(&four), "layer {}: 1 and 4 threads differ", i);
    }
}

#[test]
fn default_thread_count_is_positive() {
    let threads = host_default_threads();
    assert!((1..=4096).contains(&threads), "host_default_threads() = {}", threads);
}
