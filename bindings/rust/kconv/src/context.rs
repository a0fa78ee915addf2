// SPDX-License-Identifier: Apache-2.0
//! A GPU context: the CUDA driver loaded and bound to one device, where plans are made.

use std::ffi::CString;
use std::mem::size_of;
use std::os::raw::c_void;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::ptr::{self, NonNull};

use kconv_sys as sys;

use crate::desc::ConvDesc;
use crate::error::{check, Error, Result};

/// How a context binds to the GPU. The default is the library's: device 0 through its primary context
/// (the one the CUDA runtime and PyTorch use), cubins, no synchronisation, the tuning cache named by
/// `KCONV_TUNING_CACHE`.
///
/// The C option `use_current_context` is left out: it requires the calling thread's CUcontext to outlive
/// the kconv context and its plans, a promise this crate cannot check. Use `kconv-sys` for it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ContextOptions {
    /// CUDA device ordinal.
    pub device_ordinal: i32,
    /// Load the compute_80 PTX even where a cubin fits (for testing the fallback).
    pub force_ptx: bool,
    /// Synchronise the stream after every launch, so that a kernel fault is reported by the call that
    /// caused it (debugging).
    pub synchronize: bool,
    /// File of autotuning results consulted when a config is chosen. `None`: the `KCONV_TUNING_CACHE`
    /// environment variable, if set; an empty path: no file.
    pub tuning_cache_path: Option<PathBuf>,
}

/// A kconv context. Destroyed on drop; every `Plan` borrows the context it came from, so none outlives it.
pub struct Context {
    raw: NonNull<sys::kconv_context>,
}

// SAFETY: the header's thread rules: "a kconv_context may be shared by several threads".
unsafe impl Send for Context {}
unsafe impl Sync for Context {}

impl Context {
    /// A context on device 0 with the default options. Fails with `Status::Unavailable` on a machine
    /// without a CUDA driver and `Status::NotFound` without a device.
    pub fn new() -> Result<Context> {
        Context::with_options(&ContextOptions::default())
    }

    pub fn with_options(options: &ContextOptions) -> Result<Context> {
        let path = match &options.tuning_cache_path {
            None => None,
            Some(path) => Some(CString::new(path.as_os_str().as_bytes()).map_err(|_| {
                Error::invalid_argument(format!(
                    "kconv::Context::with_options: tuning_cache_path {:?} holds a NUL byte",
                    path
                ))
            })?),
        };
        let raw_options = sys::kconv_context_options {
            struct_size: size_of::<sys::kconv_context_options>(),
            device_ordinal: options.device_ordinal,
            use_current_context: 0,
            force_ptx: options.force_ptx as i32,
            synchronize: options.synchronize as i32,
            // The library copies the string, so it need only live through the call.
            tuning_cache_path: path.as_ref().map_or(ptr::null(), |p| p.as_ptr()),
        };
        let mut out: *mut sys::kconv_context = ptr::null_mut();
        // SAFETY: raw_options is complete and its string outlives the call; out receives the handle.
        check(|error| unsafe { sys::kconv_context_create_e(&raw_options, &mut out, error) })?;
        let raw = NonNull::new(out).ok_or_else(|| Error {
            status: crate::Status::Internal,
            message: "kconv::Context::new: kconv_context_create returned OK and no context".to_string(),
        })?;
        Ok(Context { raw })
    }

    /// Plans (cached per context and descriptor) and enqueues the convolution on `stream`, without
    /// waiting. See `Plan::execute` for the arguments.
    ///
    /// # Safety
    /// As for `Plan::execute`.
    pub unsafe fn forward(
        &self,
        desc: &ConvDesc,
        x: u64,
        w: u64,
        bias: u64,
        y: u64,
        stream: *mut c_void,
    ) -> Result<()> {
        let raw_desc = desc.to_raw();
        check(|error| sys::kconv_forward_e(self.as_ptr(), &raw_desc, x, w, bias, y, stream, error))
    }

    /// The C handle, for calls through `kconv-sys`; valid while `self` is.
    pub fn as_ptr(&self) -> *mut sys::kconv_context {
        self.raw.as_ptr()
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: the handle came from kconv_context_create and no plan borrows it any more.
        unsafe { sys::kconv_context_destroy(self.raw.as_ptr()) }
    }
}
