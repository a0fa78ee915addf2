// SPDX-License-Identifier: Apache-2.0
//! The hand-transcribed structs against the library and the C compiler. The library accepts a struct only
//! at the size of one of its published versions, so an `*_init_sized` call with this crate's size fails
//! when a field is missing or extra; the offsets below were printed by `offsetof` (gcc 12, x86_64 Linux)
//! and catch a field that is misplaced but leaves the size unchanged.

use kconv_sys::*;
use std::mem::{size_of, MaybeUninit};
use std::os::raw::c_char;
use std::ptr;

/// Byte offset of a field, without creating a reference to uninitialised memory (std's offset_of! is
/// newer than Rust 1.63).
macro_rules! offset_of {
    ($T:ty, $field:ident) => {{
        let value = MaybeUninit::<$T>::uninit();
        let base = value.as_ptr();
        // SAFETY: addr_of! computes the field's address inside `value` without reading it.
        unsafe { ptr::addr_of!((*base).$field) as usize - base as usize }
    }};
}

/// A buffer larger than any kconv struct, filled with a pattern, so that a size the library should refuse
/// can be passed without risk, and any byte written to it is seen.
#[repr(C, align(8))]
struct Poisoned([u8; 512]);

impl Poisoned {
    fn new() -> Self {
        Poisoned([0xA5; 512])
    }
    fn untouched(&self) -> bool {
        self.0.iter().all(|&b| b == 0xA5)
    }
}

/// Calls `init(ptr, size)` for this crate's size (must succeed) and for sizes just beyond it and 0 (must
/// be refused, writing nothing). Returns the struct the successful call filled.
fn check_init_sized<T: Copy>(init: unsafe extern "C" fn(*mut T, usize) -> kconv_status) -> T {
    let mut filled = Poisoned::new();
    // SAFETY: the buffer is 512 bytes, 8-aligned: room for T at any size tried here.
    let status = unsafe { init(filled.0.as_mut_ptr() as *mut T, size_of::<T>()) };
    assert_eq!(
        status,
        KCONV_STATUS_OK,
        "init_sized refused size_of::<{}>() = {}",
        std::any::type_name::<T>(),
        size_of::<T>()
    );
    assert!(
        filled.0[size_of::<T>()..].iter().all(|&b| b == 0xA5),
        "init_sized wrote past the struct"
    );
    for bad_size in [size_of::<T>() + 8, size_of::<T>() + 1, 0] {
        let mut refused = Poisoned::new();
        let status = unsafe { init(refused.0.as_mut_ptr() as *mut T, bad_size) };
        assert_eq!(
            status, KCONV_STATUS_INVALID_ARGUMENT,
            "init_sized accepted size {}",
            bad_size
        );
        assert!(
            refused.untouched(),
            "init_sized wrote into a struct of refused size {}",
            bad_size
        );
    }
    // SAFETY: the library initialised every byte of T (its newest version, which this size is).
    unsafe { ptr::read(filled.0.as_ptr() as *const T) }
}

#[test]
fn conv_desc_size_is_a_version_the_library_knows() {
    let d = check_init_sized(kconv_conv_desc_init_sized);
    assert_eq!(d.struct_size, size_of::<kconv_conv_desc>());
    assert_eq!(
        (d.n, d.stride_h, d.stride_w, d.pad_h, d.dil_h, d.dil_w),
        (0, 1, 1, 0, 1, 1)
    );
    assert_eq!((d.has_bias, d.relu, d.math_mode), (0, 0, KCONV_MATH_TF32));
    // The last two fields are written only when the library reads this size as version 0.2.
    assert_eq!((d.element_type, d.layout), (KCONV_ELEMENT_F32, KCONV_LAYOUT_NCHW));
}

#[test]
fn host_options_size_is_a_version_the_library_knows() {
    let o = check_init_sized(kconv_host_options_init_sized);
    assert_eq!(o.struct_size, size_of::<kconv_host_options>());
    assert_eq!(o.reference, 0);
    assert!(o.threads >= 0, "default threads {}", o.threads);
}

#[test]
fn context_options_size_is_a_version_the_library_knows() {
    let o = check_init_sized(kconv_context_options_init_sized);
    assert_eq!(
        (o.device_ordinal, o.use_current_context, o.force_ptx, o.synchronize),
        (0, 0, 0, 0)
    );
    assert!(o.tuning_cache_path.is_null());
}

#[test]
fn plan_options_size_is_a_version_the_library_knows() {
    let o = check_init_sized(kconv_plan_options_init_sized);
    assert!(o.config_name.is_null());
}

#[test]
fn autotune_options_size_is_a_version_the_library_knows() {
    let o = check_init_sized(kconv_autotune_options_init_sized);
    assert_eq!(
        (o.mode, o.warmup_runs, o.timed_runs, o.write_output, o.store),
        (KCONV_AUTOTUNE_MICRO, 5, 50, 0, 1)
    );
    assert_eq!(o.min_gain, 0.02);
    assert!(o.progress.is_none() && o.progress_user_data.is_null());
}

#[test]
fn error_struct_receives_status_and_message() {
    let mut d = check_init_sized(kconv_conv_desc_init_sized);
    (d.n, d.c, d.h, d.w, d.k, d.r, d.s) = (1, 3, 8, 8, 4, 3, 3);
    d.pad_w = -2;
    let mut error = kconv_error {
        struct_size: size_of::<kconv_error>(),
        status: 0,
        message: [1; KCONV_ERROR_MESSAGE_CAPACITY],
    };
    let mut dims = [0i64; 4];
    let status = unsafe { kconv_conv_output_shape_e(&d, dims.as_mut_ptr(), &mut error) };
    assert_eq!(status, KCONV_STATUS_INVALID_ARGUMENT);
    assert_eq!(error.status, KCONV_STATUS_INVALID_ARGUMENT);
    let end = error
        .message
        .iter()
        .position(|&c| c == 0)
        .expect("message is NUL-terminated");
    let message: Vec<u8> = error.message[..end].iter().map(|&c| c as u8).collect();
    let message = String::from_utf8_lossy(&message);
    assert!(message.contains("pad_w"), "message {:?} does not name pad_w", message);
    assert_eq!(dims, [0; 4], "out_dims written on failure");
}

#[test]
fn library_is_the_version_this_crate_transcribes() {
    // Same major and minor: a newer minor may append fields this transcription lacks.
    let library = unsafe { kconv_version_number() };
    assert_eq!(
        library / 100,
        KCONV_VERSION_NUMBER / 100,
        "library {} vs header {}",
        library,
        KCONV_VERSION_NUMBER
    );
    let text = unsafe { std::ffi::CStr::from_ptr(kconv_version_string() as *const c_char) };
    assert!(!text.to_bytes().is_empty());
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[test]
fn sizes_and_offsets_match_gcc_on_x86_64() {
    assert_eq!(size_of::<kconv_error>(), 2064);
    assert_eq!(
        (offset_of!(kconv_error, status), offset_of!(kconv_error, message)),
        (8, 12)
    );

    assert_eq!(size_of::<kconv_conv_desc>(), 136);
    assert_eq!(offset_of!(kconv_conv_desc, n), 8);
    assert_eq!(offset_of!(kconv_conv_desc, stride_h), 64);
    assert_eq!(offset_of!(kconv_conv_desc, dil_w), 104);
    assert_eq!(offset_of!(kconv_conv_desc, has_bias), 112);
    assert_eq!(offset_of!(kconv_conv_desc, math_mode), 120);
    assert_eq!(offset_of!(kconv_conv_desc, element_type), 124);
    assert_eq!(offset_of!(kconv_conv_desc, layout), 128);

    assert_eq!(size_of::<kconv_host_options>(), 16);
    assert_eq!(
        (
            offset_of!(kconv_host_options, threads),
            offset_of!(kconv_host_options, reference)
        ),
        (8, 12)
    );

    assert_eq!(size_of::<kconv_context_options>(), 32);
    assert_eq!(offset_of!(kconv_context_options, synchronize), 20);
    assert_eq!(offset_of!(kconv_context_options, tuning_cache_path), 24);

    assert_eq!(size_of::<kconv_plan_options>(), 16);
    assert_eq!(offset_of!(kconv_plan_options, config_name), 8);

    assert_eq!(size_of::<kconv_plan_info>(), 88);
    assert_eq!(offset_of!(kconv_plan_info, block_m), 24);
    assert_eq!(offset_of!(kconv_plan_info, device_cc), 52);
    assert_eq!(offset_of!(kconv_plan_info, grid_x), 56);
    assert_eq!(offset_of!(kconv_plan_info, threads_per_block), 72);
    assert_eq!(offset_of!(kconv_plan_info, packed_weight_bytes), 80);

    assert_eq!(size_of::<kconv_autotune_options>(), 56);
    assert_eq!(offset_of!(kconv_autotune_options, min_gain), 16);
    assert_eq!(offset_of!(kconv_autotune_options, store), 36);
    assert_eq!(offset_of!(kconv_autotune_options, progress), 40);
    assert_eq!(offset_of!(kconv_autotune_options, progress_user_data), 48);

    assert_eq!(size_of::<kconv_autotune_candidate>(), 96);
    assert_eq!(offset_of!(kconv_autotune_candidate, median_us), 16);
    assert_eq!(offset_of!(kconv_autotune_candidate, is_winner), 44);
    assert_eq!(offset_of!(kconv_autotune_candidate, grid_x), 48);
    assert_eq!(offset_of!(kconv_autotune_candidate, local_bytes_per_thread), 80);
    assert_eq!(offset_of!(kconv_autotune_candidate, occupancy), 88);
}
