// SPDX-License-Identifier: Apache-2.0
//! Shared by the host tests: random tensors, a naive float64 convolution written here (independent of the
//! library's reference path) and a tolerance check.
#![allow(dead_code)] // each test file uses a different part

use kconv::ConvDesc;

/// xorshift64*: deterministic and dependency-free (CI builds offline, so no rand crate).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Uniform in [-1, 1).
    pub fn next_f32(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let bits = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40; // 24 random bits
        bits as f32 / (1u64 << 23) as f32 - 1.0
    }

    pub fn tensor(&mut self, len: usize) -> Vec<f32> {
        (0..len).map(|_| self.next_f32()).collect()
    }
}

/// Element counts of x, w and y for `d`.
pub fn lengths(d: &ConvDesc) -> (usize, usize, usize) {
    let [n, k, p, q] = d.output_shape().expect("valid descriptor");
    (
        (d.n * d.c * d.h * d.w) as usize,
        (d.k * d.c * d.r * d.s) as usize,
        (n * k * p * q) as usize,
    )
}

/// The convolution by its definition, one output at a time, accumulated in float64.
pub fn reference_conv(d: &ConvDesc, x: &[f32], w: &[f32], bias: Option<&[f32]>) -> Vec<f64> {
    let [_, _, p_out, q_out] = d.output_shape().expect("valid descriptor");
    let mut y = Vec::with_capacity(lengths(d).2);
    for n in 0..d.n {
        for k in 0..d.k {
            for p in 0..p_out {
                for q in 0..q_out {
                    let mut acc = bias.map_or(0.0, |b| b[k as usize] as f64);
                    for c in 0..d.c {
                        for r in 0..d.r {
                            for s in 0..d.s {
                                let ih = p * d.stride_h - d.pad_h + r * d.dil_h;
                                let iw = q * d.stride_w - d.pad_w + s * d.dil_w;
                                if ih < 0 || ih >= d.h || iw < 0 || iw >= d.w {
                                    continue;
                                }
                                let xv = x[(((n * d.c + c) * d.h + ih) * d.w + iw) as usize] as f64;
                                let wv = w[(((k * d.c + c) * d.r + r) * d.s + s) as usize] as f64;
                                acc += xv * wv;
                            }
                        }
                    }
                    y.push(if d.relu { acc.max(0.0) } else { acc });
                }
            }
        }
    }
    y
}

/// Every element within `rel` of the reference, relative to max(1, |reference|); a NaN (an element the
/// library never wrote, as outputs start as NaN) fails.
pub fn assert_close(got: &[f32], want: &[f64], rel: f64) {
    assert_eq!(got.len(), want.len());
    for (i, (&g, &e)) in got.iter().zip(want).enumerate() {
        let err = (g as f64 - e).abs();
        assert!(
            err <= rel * e.abs().max(1.0),
            "y[{}] = {}, expected {} (error {:.3e})",
            i,
            g,
            e,
            err
        );
    }
}
