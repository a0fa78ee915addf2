// SPDX-License-Identifier: Apache-2.0
//! A plan: one descriptor's kernel and config chosen for a context's device, its module loaded.

use std::ffi::CString;
use std::marker::PhantomData;
use std::mem::size_of;
use std::os::raw::c_void;
use std::ptr::{self, NonNull};

use kconv_sys as sys;

use crate::context::Context;
use crate::desc::ConvDesc;
use crate::error::{check, Error, Result, Status};

/// A plan, destroyed on drop. It borrows its context (`'ctx`), so the context cannot be dropped first.
pub struct Plan<'ctx> {
    raw: NonNull<sys::kconv_plan>,
    _context: PhantomData<&'ctx Context>,
}

// SAFETY: the header's thread rules: plans are immutable once created and may be executed from several
// threads at once. set_weights, which is not thread-safe, takes &mut self.
unsafe impl Send for Plan<'_> {}
unsafe impl Sync for Plan<'_> {}

impl<'ctx> Plan<'ctx> {
    /// Validates `desc` and lets kconv choose the kernel and config for the context's device.
    pub fn new(context: &'ctx Context, desc: &ConvDesc) -> Result<Plan<'ctx>> {
        Plan::create(context, desc, None)
    }

    /// A plan forced to one config by name (see `config_names()`), e.g.
    /// `"implicit_gemm_tf32/m64n64k32_w4_s2"`: for benchmarks and tests of one kernel.
    pub fn with_config(context: &'ctx Context, desc: &ConvDesc, config_name: &str) -> Result<Plan<'ctx>> {
        let name = CString::new(config_name).map_err(|_| {
            Error::invalid_argument(format!(
                "kconv::Plan::with_config: config name {:?} holds a NUL byte",
                config_name
            ))
        })?;
        Plan::create(context, desc, Some(&name))
    }

    fn create(context: &'ctx Context, desc: &ConvDesc, config_name: Option<&CString>) -> Result<Plan<'ctx>> {
        let raw_desc = desc.to_raw();
        let options = sys::kconv_plan_options {
            struct_size: size_of::<sys::kconv_plan_options>(),
            config_name: config_name.map_or(ptr::null(), |name| name.as_ptr()),
        };
        let mut out: *mut sys::kconv_plan = ptr::null_mut();
        // SAFETY: the context is alive (borrowed), the structs are complete and the name outlives the call.
        check(|error| unsafe { sys::kconv_plan_create_e(context.as_ptr(), &raw_desc, &options, &mut out, error) })?;
        let raw = NonNull::new(out).ok_or_else(|| Error {
            status: Status::Internal,
            message: "kconv::Plan::new: kconv_plan_create returned OK and no plan".to_string(),
        })?;
        Ok(Plan {
            raw,
            _context: PhantomData,
        })
    }

    /// Enqueues the convolution on `stream` and returns without waiting. Launch errors are reported here;
    /// faults inside the kernel surface at the caller's next synchronisation.
    ///
    /// # Safety
    /// `x`, `w`, `y` (and `bias` when the descriptor has one; 0 otherwise) must be device addresses of dense
    /// fp32 NCHW tensors of the descriptor's shapes, 4-byte aligned, alive until the kernel has run, with
    /// `y` overlapping none of the inputs; `w` may be 0 after `set_weights`. `stream` must be a CUstream
    /// (or cudaStream_t) of this context's device, or null for the default stream. kconv cannot check any
    /// of this: a wrong address makes the kernel read or write arbitrary device memory.
    pub unsafe fn execute(&self, x: u64, w: u64, bias: u64, y: u64, stream: *mut c_void) -> Result<()> {
        check(|error| sys::kconv_plan_execute_e(self.raw.as_ptr(), x, w, bias, y, stream, error))
    }

    /// Binds weights `w[K][C][R][S]` to the plan for later executions with `w = 0`; enqueued on `stream`.
    /// Call again whenever the weights change.
    ///
    /// # Safety
    /// `w` must be the device address of the descriptor's weights and `stream` as for `execute`. The
    /// caller orders executions on other streams after this call's work.
    pub unsafe fn set_weights(&mut self, w: u64, stream: *mut c_void) -> Result<()> {
        check(|error| sys::kconv_plan_set_weights_e(self.raw.as_ptr(), w, stream, error))
    }

    /// One line saying what was chosen, e.g. "implicit_gemm_tf32/m64n64k32_w4_s2 on sm_90 cubin, ...".
    pub fn describe(&self) -> String {
        // SAFETY: a null buffer of size 0 asks for the length only.
        let len = unsafe { sys::kconv_plan_describe(self.raw.as_ptr(), ptr::null_mut(), 0) };
        let len = match usize::try_from(len) {
            Ok(len) => len,
            Err(_) => return String::new(), // -1 is returned for a null plan only
        };
        let mut buffer = vec![0u8; len + 1];
        // SAFETY: the buffer holds len + 1 bytes, as passed.
        unsafe { sys::kconv_plan_describe(self.raw.as_ptr(), buffer.as_mut_ptr() as *mut _, buffer.len()) };
        buffer.truncate(len);
        String::from_utf8_lossy(&buffer).into_owned()
    }

    /// The C handle, for calls through `kconv-sys`; valid while `self` is.
    pub fn as_ptr(&self) -> *mut sys::kconv_plan {
        self.raw.as_ptr()
    }
}

impl Drop for Plan<'_> {
    fn drop(&mut self) {
        // SAFETY: the handle came from kconv_plan_create and is dropped once.
        unsafe { sys::kconv_plan_destroy(self.raw.as_ptr()) }
    }
}
