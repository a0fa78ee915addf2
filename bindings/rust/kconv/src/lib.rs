// SPDX-License-Identifier: Apache-2.0
//! Safe Rust interface to kconv: fast convolution forward passes for the first layers of vision networks,
//! on the CPU (`forward_host`) and on NVIDIA GPUs (`Context`, `Plan`).
//!
//! Every fallible call returns `Result<T, Error>`; an `Error` carries the status and the library's message
//! for that very call. Host calls take slices and check their lengths against the descriptor, so they
//! are safe; GPU calls take device addresses (`u64`) and CUDA streams, which nothing here can check, so
//! those are `unsafe fn`s.
//!
//! ```
//! use kconv::{forward_host, ConvDesc};
//!
//! // A 3x3 convolution with padding 1 over a 1x3x8x8 input of ones, 4 filters of 0.5.
//! let desc = ConvDesc { n: 1, c: 3, h: 8, w: 8, k: 4, r: 3, s: 3, pad_h: 1, pad_w: 1, ..Default::default() };
//! let [n, k, p, q] = desc.output_shape()?;
//! let x = vec![1.0f32; 3 * 8 * 8];
//! let w = vec![0.5f32; 4 * 3 * 3 * 3];
//! let mut y = vec![0.0f32; (n * k * p * q) as usize];
//! forward_host(&desc, &x, &w, None, &mut y)?;
//! assert_eq!(y[3 * 8 + 3], 13.5); // an interior pixel sees all 27 taps
//! assert_eq!(y[0], 6.0); // a corner sees 2x2 taps in each of 3 channels
//! # Ok::<(), kconv::Error>(())
//! ```

mod context;
mod desc;
mod error;
mod host;
mod plan;

use std::ffi::CStr;

pub use context::{Context, ContextOptions};
pub use desc::{ConvDesc, ElementType, Layout, MathMode};
pub use error::{Error, Result, Status};
pub use host::{forward_host, forward_host_with_options, host_default_threads, HostOptions};
/// The raw declarations, for what this crate does not wrap (autotuning, plan info).
pub use kconv_sys as sys;
pub use plan::Plan;

/// The linked library's version, e.g. "0.4.0".
pub fn version() -> String {
    // SAFETY: the library returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(sys::kconv_version_string()) }
        .to_string_lossy()
        .into_owned()
}

/// The linked library's version as major * 10000 + minor * 100 + patch; compare with
/// `sys::KCONV_VERSION_NUMBER`, the header this binding transcribes, to catch skew.
pub fn version_number() -> u32 {
    // SAFETY: no arguments.
    unsafe { sys::kconv_version_number() }
}

/// Names ("family/config") of the kernel configs built into the library, in the order the config choice
/// prefers their families: the names `Plan::with_config` accepts.
pub fn config_names() -> Vec<String> {
    // SAFETY: kconv_config_name returns a static string for every index below kconv_config_count.
    let count = unsafe { sys::kconv_config_count() };
    (0..count)
        .filter_map(|i| {
            let name = unsafe { sys::kconv_config_name(i) };
            if name.is_null() {
                None
            } else {
                Some(unsafe { CStr::from_ptr(name) }.to_string_lossy().into_owned())
            }
        })
        .collect()
}
