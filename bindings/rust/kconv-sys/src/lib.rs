// SPDX-License-Identifier: Apache-2.0
//! Raw declarations of kconv's C API, transcribed by hand from `include/kconv/kconv.h` (version 0.3), in
//! the header's order. The header's comments are the documentation: ownership, lifetimes, thread safety
//! and the meaning of every field are stated there and not repeated here. The safe interface is the
//! `kconv` crate.
//!
//! Conventions of the transcription:
//! - Every struct is `#[repr(C)]` with the header's fields in the header's order; `tests/struct_layout.rs`
//!   checks sizes and offsets against the library. Set `struct_size` to `size_of::<T>()` (the
//!   `*_init_sized` functions do): the library then reads exactly the fields declared here.
//! - C enums are `i32` type aliases with one constant per value, not Rust enums: the library may return a
//!   value added after this transcription, and such a value in a Rust enum is undefined behaviour.
//!   Every C enum here is 32 bits wide, and `kconv_error::status` stores a status as `int32_t`.
//! - The header's `static inline` `*_init` functions are not symbols of the library; call
//!   `*_init_sized(ptr, size_of::<T>())` instead.
//! - Which library is linked (shared or static) is the build script's choice, so no `#[link]` attribute.
#![allow(non_camel_case_types)]

use std::marker::{PhantomData, PhantomPinned};
// std::os::raw rather than core::ffi: core::ffi::c_char is newer than Rust 1.63 (Debian 12's compiler).
use std::os::raw::{c_char, c_void};

pub const KCONV_VERSION_MAJOR: u32 = 0;
pub const KCONV_VERSION_MINOR: u32 = 4;
pub const KCONV_VERSION_PATCH: u32 = 0;
/// The header version this crate transcribes; compare with `kconv_version_number()` to catch skew.
pub const KCONV_VERSION_NUMBER: u32 = KCONV_VERSION_MAJOR * 10000 + KCONV_VERSION_MINOR * 100 + KCONV_VERSION_PATCH;

// ---- Status and errors ------------------------------------------------------------------------------

pub type kconv_status = i32;
pub const KCONV_STATUS_OK: kconv_status = 0;
pub const KCONV_STATUS_UNKNOWN: kconv_status = 2;
pub const KCONV_STATUS_INVALID_ARGUMENT: kconv_status = 3;
pub const KCONV_STATUS_NOT_FOUND: kconv_status = 5;
pub const KCONV_STATUS_RESOURCE_EXHAUSTED: kconv_status = 8;
pub const KCONV_STATUS_FAILED_PRECONDITION: kconv_status = 9;
pub const KCONV_STATUS_UNIMPLEMENTED: kconv_status = 12;
pub const KCONV_STATUS_INTERNAL: kconv_status = 13;
pub const KCONV_STATUS_UNAVAILABLE: kconv_status = 14;

pub const KCONV_ERROR_MESSAGE_CAPACITY: usize = 2048;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct kconv_error {
    pub struct_size: usize,
    pub status: i32,
    pub message: [c_char; KCONV_ERROR_MESSAGE_CAPACITY],
}

// ---- Convolution descriptor -------------------------------------------------------------------------

pub type kconv_math_mode = i32;
pub const KCONV_MATH_TF32: kconv_math_mode = 0;
pub const KCONV_MATH_3XTF32: kconv_math_mode = 1;
pub const KCONV_MATH_FP32: kconv_math_mode = 2;

pub type kconv_element_type = i32;
pub const KCONV_ELEMENT_F32: kconv_element_type = 0;
pub const KCONV_ELEMENT_F16: kconv_element_type = 1;
pub const KCONV_ELEMENT_BF16: kconv_element_type = 2;

pub type kconv_layout = i32;
pub const KCONV_LAYOUT_NCHW: kconv_layout = 0;
pub const KCONV_LAYOUT_NHWC: kconv_layout = 1;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct kconv_conv_desc {
    pub struct_size: usize,
    pub n: i64,
    pub c: i64,
    pub h: i64,
    pub w: i64,
    pub k: i64,
    pub r: i64,
    pub s: i64,
    pub stride_h: i64,
    pub stride_w: i64,
    pub pad_h: i64,
    pub pad_w: i64,
    pub dil_h: i64,
    pub dil_w: i64,
    pub has_bias: i32,
    pub relu: i32,
    pub math_mode: i32,
    pub element_type: i32,
    pub layout: i32,
}

// ---- Host options -----------------------------------------------------------------------------------

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct kconv_host_options {
    pub struct_size: usize,
    pub threads: i32,
    pub reference: i32,
}

// ---- Opaque handles ---------------------------------------------------------------------------------

/// Opaque: only ever behind a pointer. The marker keeps it !Send, !Sync and !Unpin, as the Rustonomicon
/// advises for foreign types; the safe crate states what may cross threads.
#[repr(C)]
pub struct kconv_context {
    _private: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

#[repr(C)]
pub struct kconv_plan {
    _private: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

#[repr(C)]
pub struct kconv_autotune_report {
    _private: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

// ---- Context, plan and autotune structs -------------------------------------------------------------

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct kconv_context_options {
    pub struct_size: usize,
    pub device_ordinal: i32,
    pub use_current_context: i32,
    pub force_ptx: i32,
    pub synchronize: i32,
    pub tuning_cache_path: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct kconv_plan_options {
    pub struct_size: usize,
    pub config_name: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct kconv_plan_info {
    pub struct_size: usize,
    pub family: *const c_char,
    pub config: *const c_char,
    pub block_m: i32,
    pub block_n: i32,
    pub block_k: i32,
    pub warps: i32,
    pub stages: i32,
    pub arch: i32,
    pub is_ptx: i32,
    pub device_cc: i32,
    pub grid_x: i64,
    pub grid_y: i64,
    pub threads_per_block: i32,
    pub shared_bytes: i32,
    pub packed_weight_bytes: i64,
}

pub type kconv_autotune_mode = i32;
pub const KCONV_AUTOTUNE_MICRO: kconv_autotune_mode = 0;
pub const KCONV_AUTOTUNE_FULL: kconv_autotune_mode = 1;

pub type kconv_autotune_progress_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, done: i32, total: i32, step: *const c_char)>;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct kconv_autotune_options {
    pub struct_size: usize,
    pub mode: i32,
    pub min_gain: f64,
    pub warmup_runs: i32,
    pub timed_runs: i32,
    pub write_output: i32,
    pub store: i32,
    pub progress: kconv_autotune_progress_fn,
    pub progress_user_data: *mut c_void,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct kconv_autotune_candidate {
    pub struct_size: usize,
    pub config: *const c_char,
    pub median_us: f64,
    pub p10_us: f64,
    pub p90_us: f64,
    pub is_original: i32,
    pub is_winner: i32,
    pub grid_x: i64,
    pub grid_y: i64,
    pub threads_per_block: i32,
    pub registers_per_thread: i32,
    pub static_shared_bytes: i32,
    pub dynamic_shared_bytes: i32,
    pub local_bytes_per_thread: i32,
    pub blocks_per_sm: i32,
    pub occupancy: f64,
}

// ---- Functions --------------------------------------------------------------------------------------

extern "C" {
    pub fn kconv_status_string(status: kconv_status) -> *const c_char;
    pub fn kconv_last_error_message() -> *const c_char;
    pub fn kconv_version_number() -> u32;
    pub fn kconv_version_string() -> *const c_char;

    pub fn kconv_conv_desc_init_sized(desc: *mut kconv_conv_desc, struct_size: usize) -> kconv_status;
    pub fn kconv_conv_output_shape(desc: *const kconv_conv_desc, out_dims: *mut i64) -> kconv_status;
    pub fn kconv_conv_output_shape_e(
        desc: *const kconv_conv_desc,
        out_dims: *mut i64,
        error: *mut kconv_error,
    ) -> kconv_status;

    pub fn kconv_forward_host(
        desc: *const kconv_conv_desc,
        x: *const f32,
        w: *const f32,
        bias: *const f32,
        y: *mut f32,
    ) -> kconv_status;
    pub fn kconv_forward_host_e(
        desc: *const kconv_conv_desc,
        x: *const f32,
        w: *const f32,
        bias: *const f32,
        y: *mut f32,
        error: *mut kconv_error,
    ) -> kconv_status;
    pub fn kconv_host_options_init_sized(options: *mut kconv_host_options, struct_size: usize) -> kconv_status;
    pub fn kconv_forward_host_with_options(
        desc: *const kconv_conv_desc,
        x: *const f32,
        w: *const f32,
        bias: *const f32,
        y: *mut f32,
        options: *const kconv_host_options,
        error: *mut kconv_error,
    ) -> kconv_status;
    pub fn kconv_host_default_threads() -> i32;

    pub fn kconv_context_options_init_sized(options: *mut kconv_context_options, struct_size: usize) -> kconv_status;
    pub fn kconv_context_create(options: *const kconv_context_options, out: *mut *mut kconv_context) -> kconv_status;
    pub fn kconv_context_create_e(
        options: *const kconv_context_options,
        out: *mut *mut kconv_context,
        error: *mut kconv_error,
    ) -> kconv_status;
    pub fn kconv_context_destroy(context: *mut kconv_context);

    pub fn kconv_plan_options_init_sized(options: *mut kconv_plan_options, struct_size: usize) -> kconv_status;
    pub fn kconv_plan_create(
        context: *mut kconv_context,
        desc: *const kconv_conv_desc,
        options: *const kconv_plan_options,
        out: *mut *mut kconv_plan,
    ) -> kconv_status;
    pub fn kconv_plan_create_e(
        context: *mut kconv_context,
        desc: *const kconv_conv_desc,
        options: *const kconv_plan_options,
        out: *mut *mut kconv_plan,
        error: *mut kconv_error,
    ) -> kconv_status;
    pub fn kconv_plan_destroy(plan: *mut kconv_plan);
    pub fn kconv_plan_execute(
        plan: *const kconv_plan,
        x: u64,
        w: u64,
        bias: u64,
        y: u64,
        stream: *mut c_void,
    ) -> kconv_status;
    pub fn kconv_plan_execute_e(
        plan: *const kconv_plan,
        x: u64,
        w: u64,
        bias: u64,
        y: u64,
        stream: *mut c_void,
        error: *mut kconv_error,
    ) -> kconv_status;
    pub fn kconv_plan_set_weights(plan: *mut kconv_plan, w: u64, stream: *mut c_void) -> kconv_status;
    pub fn kconv_plan_set_weights_e(
        plan: *mut kconv_plan,
        w: u64,
        stream: *mut c_void,
        error: *mut kconv_error,
    ) -> kconv_status;
    pub fn kconv_plan_get_info(plan: *const kconv_plan, info: *mut kconv_plan_info) -> kconv_status;
    pub fn kconv_plan_get_info_e(
        plan: *const kconv_plan,
        info: *mut kconv_plan_info,
        error: *mut kconv_error,
    ) -> kconv_status;
    pub fn kconv_plan_describe(plan: *const kconv_plan, buffer: *mut c_char, buffer_size: usize) -> i64;

    pub fn kconv_forward(
        context: *mut kconv_context,
        desc: *const kconv_conv_desc,
        x: u64,
        w: u64,
        bias: u64,
        y: u64,
        stream: *mut c_void,
    ) -> kconv_status;
    pub fn kconv_forward_e(
        context: *mut kconv_context,
        desc: *const kconv_conv_desc,
        x: u64,
        w: u64,
        bias: u64,
        y: u64,
        stream: *mut c_void,
        error: *mut kconv_error,
    ) -> kconv_status;

    pub fn kconv_autotune_options_init_sized(options: *mut kconv_autotune_options, struct_size: usize) -> kconv_status;
    pub fn kconv_autotune(
        context: *mut kconv_context,
        desc: *const kconv_conv_desc,
        options: *const kconv_autotune_options,
        x: u64,
        w: u64,
        bias: u64,
        y: u64,
        stream: *mut c_void,
        report: *mut *mut kconv_autotune_report,
    ) -> kconv_status;
    pub fn kconv_autotune_e(
        context: *mut kconv_context,
        desc: *const kconv_conv_desc,
        options: *const kconv_autotune_options,
        x: u64,
        w: u64,
        bias: u64,
        y: u64,
        stream: *mut c_void,
        report: *mut *mut kconv_autotune_report,
        error: *mut kconv_error,
    ) -> kconv_status;
    pub fn kconv_autotune_report_candidate_count(report: *const kconv_autotune_report) -> i32;
    pub fn kconv_autotune_report_candidate(
        report: *const kconv_autotune_report,
        index: i32,
        out: *mut kconv_autotune_candidate,
    ) -> kconv_status;
    pub fn kconv_autotune_report_candidate_e(
        report: *const kconv_autotune_report,
        index: i32,
        out: *mut kconv_autotune_candidate,
        error: *mut kconv_error,
    ) -> kconv_status;
    pub fn kconv_autotune_report_winner(report: *const kconv_autotune_report) -> *const c_char;
    pub fn kconv_autotune_report_reason(report: *const kconv_autotune_report) -> *const c_char;
    pub fn kconv_autotune_report_original_source(report: *const kconv_autotune_report) -> *const c_char;
    pub fn kconv_autotune_report_skipped(report: *const kconv_autotune_report) -> *const c_char;
    pub fn kconv_autotune_report_stored_in_file(report: *const kconv_autotune_report) -> i32;
    pub fn kconv_autotune_report_store_problem(report: *const kconv_autotune_report) -> *const c_char;
    pub fn kconv_autotune_report_destroy(report: *mut kconv_autotune_report);

    pub fn kconv_config_count() -> i32;
    pub fn kconv_config_name(index: i32) -> *const c_char;
}
