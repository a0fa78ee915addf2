// SPDX-License-Identifier: Apache-2.0
//! The host (CPU) forward pass on Rust slices: needs no driver and no GPU.
//!
//! The C functions take bare pointers and trust the descriptor for the tensors' sizes, so every slice is
//! checked against the shapes the descriptor gives before C sees it: a mismatch is an `Err`, never a read
//! or write past a slice.

use kconv_sys as sys;

use crate::desc::ConvDesc;
use crate::error::{check, Error, Result};

/// How the host path runs. The default is the library's: every thread `host_default_threads()` gives,
/// the fast path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct HostOptions {
    /// Threads to use, the calling one included; 0: `host_default_threads()`. The library accepts up to
    /// 4096.
    pub threads: u32,
    /// The float64-accumulation reference instead of the fast path: one thread, plain loops, slow, and
    /// the most accurate (what kconv's own tests compare against).
    pub reference: bool,
}

/// Computes `y = conv(x, w) + bias` (ReLU'd if `desc.relu`) on the CPU in fp32, with the default options.
///
/// Slices hold dense fp32 tensors in NCHW order and must have exactly the lengths the descriptor gives:
/// `x` N·C·H·W, `w` K·C·R·S, `y` N·K·P·Q, and `bias` K, given exactly when `desc.has_bias`. A longer
/// slice is refused too, since it almost always means a shape mistake; pass a sub-slice to use part of
/// a buffer. On any error `y` is left untouched.
pub fn forward_host(desc: &ConvDesc, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32]) -> Result<()> {
    check_lengths("kconv::forward_host", desc, x, w, bias, y)?;
    let raw = desc.to_raw();
    let bias = bias.map_or(std::ptr::null(), |b| b.as_ptr());
    let y = y.as_mut_ptr();
    // SAFETY: every slice holds exactly the elements the descriptor gives its tensor (checked above), and
    // y, a &mut, overlaps none of the inputs.
    check(|error| unsafe { sys::kconv_forward_host_e(&raw, x.as_ptr(), w.as_ptr(), bias, y, error) })
}

/// `forward_host` with explicit options (thread count, reference path).
pub fn forward_host_with_options(
    desc: &ConvDesc,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    options: &HostOptions,
) -> Result<()> {
    const FUNCTION: &str = "kconv::forward_host_with_options";
    check_lengths(FUNCTION, desc, x, w, bias, y)?;
    // The library refuses more than 4096 threads with its own message; only a count that would wrap in
    // C's int32 is caught here.
    let threads = i32::try_from(options.threads).map_err(|_| {
        Error::invalid_argument(format!(
            "{}: options.threads = {} does not fit in int32",
            FUNCTION, options.threads
        ))
    })?;
    let raw_options = sys::kconv_host_options {
        struct_size: std::mem::size_of::<sys::kconv_host_options>(),
        threads,
        reference: options.reference as i32,
    };
    let raw = desc.to_raw();
    let bias = bias.map_or(std::ptr::null(), |b| b.as_ptr());
    let y = y.as_mut_ptr();
    // SAFETY: as in forward_host; raw_options is a complete kconv_host_options.
    check(|error| unsafe {
        sys::kconv_forward_host_with_options(&raw, x.as_ptr(), w.as_ptr(), bias, y, &raw_options, error)
    })
}

/// The host path's default thread count: `KCONV_HOST_THREADS` when it holds a number from 1 to 4096,
/// otherwise the CPUs this process may run on.
pub fn host_default_threads() -> usize {
    // SAFETY: no arguments; the library returns 1..=4096.
    let threads = unsafe { sys::kconv_host_default_threads() };
    threads.max(1) as usize
}

/// Refuses any slice whose length differs from its tensor's element count. The shapes come from the
/// library's own validation (`output_shape`), so a bad descriptor is reported with the library's message,
/// naming the field.
fn check_lengths(function: &str, desc: &ConvDesc, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &[f32]) -> Result<()> {
    let [n, k, p, q] = desc.output_shape()?;
    require_length(
        function,
        "x",
        x.len(),
        &[("n", desc.n), ("c", desc.c), ("h", desc.h), ("w", desc.w)],
    )?;
    require_length(
        function,
        "w",
        w.len(),
        &[("k", desc.k), ("c", desc.c), ("r", desc.r), ("s", desc.s)],
    )?;
    require_length(function, "y", y.len(), &[("n", n), ("k", k), ("p", p), ("q", q)])?;
    match (desc.has_bias, bias) {
        (true, Some(b)) => require_length(function, "bias", b.len(), &[("k", k)]),
        (true, None) => Err(Error::invalid_argument(format!(
            "{}: desc.has_bias is set, but bias is None",
            function
        ))),
        (false, Some(_)) => Err(Error::invalid_argument(format!(
            "{}: a bias was given, but desc.has_bias is false (set it to add the bias)",
            function
        ))),
        (false, None) => Ok(()),
    }
}

/// Ok when `len` is the product of `dims` (named for the message). The product is taken with overflow
/// checks: a count usize cannot hold is a mismatch, not a wrapped number that a short slice could match.
fn require_length(function: &str, tensor: &str, len: usize, dims: &[(&str, i64)]) -> Result<()> {
    let count = dims
        .iter()
        .try_fold(1usize, |acc, &(_, d)| acc.checked_mul(usize::try_from(d).ok()?));
    if count == Some(len) {
        return Ok(());
    }
    let names: Vec<&str> = dims.iter().map(|&(name, _)| name).collect();
    let values: Vec<String> = dims.iter().map(|&(_, d)| d.to_string()).collect();
    Err(Error::invalid_argument(format!(
        "{}: {} has {} elements, but the descriptor gives it {} ({} = {})",
        function,
        tensor,
        len,
        count.map_or_else(|| "more than usize can count".to_string(), |c| c.to_string()),
        names.join("*"),
        values.join("*")
    )))
}
