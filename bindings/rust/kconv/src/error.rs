// SPDX-License-Identifier: Apache-2.0
//! kconv's status codes and the one error type every fallible call returns.

use std::fmt;
use std::mem::size_of;

use kconv_sys as sys;

/// Why a call failed: kconv's status codes, numbered like Abseil's. OK is not among them, since an
/// `Error` is never a success.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Unknown,
    /// A bad argument; the message names it.
    InvalidArgument,
    /// No CUDA device (or none with the requested ordinal), or no such config.
    NotFound,
    /// Out of device or host memory.
    ResourceExhausted,
    /// For example, the calling thread has no current CUDA context.
    FailedPrecondition,
    /// Valid but unsupported: a shape too large, a math mode or element type not computed, an old GPU.
    Unimplemented,
    /// A CUDA driver call failed unexpectedly; the message names it.
    Internal,
    /// No usable CUDA driver (libcuda.so.1) on this machine.
    Unavailable,
    /// A code newer than this binding: kept rather than guessed, so that it can still be reported.
    Other(i32),
}

impl Status {
    /// The status for a C `kconv_status` value; `None` for OK.
    pub fn from_code(code: sys::kconv_status) -> Option<Status> {
        Some(match code {
            sys::KCONV_STATUS_OK => return None,
            sys::KCONV_STATUS_UNKNOWN => Status::Unknown,
            sys::KCONV_STATUS_INVALID_ARGUMENT => Status::InvalidArgument,
            sys::KCONV_STATUS_NOT_FOUND => Status::NotFound,
            sys::KCONV_STATUS_RESOURCE_EXHAUSTED => Status::ResourceExhausted,
            sys::KCONV_STATUS_FAILED_PRECONDITION => Status::FailedPrecondition,
            sys::KCONV_STATUS_UNIMPLEMENTED => Status::Unimplemented,
            sys::KCONV_STATUS_INTERNAL => Status::Internal,
            sys::KCONV_STATUS_UNAVAILABLE => Status::Unavailable,
            other => Status::Other(other),
        })
    }

    /// The C `kconv_status` value.
    pub fn code(self) -> sys::kconv_status {
        match self {
            Status::Unknown => sys::KCONV_STATUS_UNKNOWN,
            Status::InvalidArgument => sys::KCONV_STATUS_INVALID_ARGUMENT,
            Status::NotFound => sys::KCONV_STATUS_NOT_FOUND,
            Status::ResourceExhausted => sys::KCONV_STATUS_RESOURCE_EXHAUSTED,
            Status::FailedPrecondition => sys::KCONV_STATUS_FAILED_PRECONDITION,
            Status::Unimplemented => sys::KCONV_STATUS_UNIMPLEMENTED,
            Status::Internal => sys::KCONV_STATUS_INTERNAL,
            Status::Unavailable => sys::KCONV_STATUS_UNAVAILABLE,
            Status::Other(code) => code,
        }
    }
}

impl fmt::Display for Status {
    /// The C name without its prefix, as in "INVALID_ARGUMENT".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Status::Unknown => "UNKNOWN",
            Status::InvalidArgument => "INVALID_ARGUMENT",
            Status::NotFound => "NOT_FOUND",
            Status::ResourceExhausted => "RESOURCE_EXHAUSTED",
            Status::FailedPrecondition => "FAILED_PRECONDITION",
            Status::Unimplemented => "UNIMPLEMENTED",
            Status::Internal => "INTERNAL",
            Status::Unavailable => "UNAVAILABLE",
            Status::Other(code) => return write!(f, "status {}", code),
        };
        f.write_str(name)
    }
}

/// A failed call: its status and the library's message for that very call ("which argument, which value,
/// why"). The message comes from the call's own `kconv_error`, not from `kconv_last_error_message()`,
/// so it stays right however calls are spread over threads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub status: Status,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An argument error found by this binding before calling C (a slice of the wrong length, say).
    pub(crate) fn invalid_argument(message: String) -> Error {
        Error {
            status: Status::InvalidArgument,
            message,
        }
    }
}

/// Runs one `_e` call with a fresh `kconv_error` and turns its outcome into a `Result`.
pub(crate) fn check<F>(call: F) -> Result<()>
where
    F: FnOnce(*mut sys::kconv_error) -> sys::kconv_status,
{
    let mut raw = sys::kconv_error {
        struct_size: size_of::<sys::kconv_error>(),
        status: sys::KCONV_STATUS_OK,
        message: [0; sys::KCONV_ERROR_MESSAGE_CAPACITY],
    };
    let returned = call(&mut raw);
    // The returned code decides; kconv_error.status holds the same code, but a failure must never be
    // lost to a struct the callee did not fill.
    let status = match Status::from_code(returned) {
        None => return Ok(()),
        Some(status) => Status::from_code(raw.status).unwrap_or(status),
    };
    let end = raw.message.iter().position(|&c| c == 0).unwrap_or(raw.message.len());
    let bytes: Vec<u8> = raw.message[..end].iter().map(|&c| c as u8).collect();
    Err(Error {
        status,
        message: String::from_utf8_lossy(&bytes).into_owned(),
    })
}
