// SPDX-License-Identifier: Apache-2.0

// Package kconv binds kconv, a C library of fast convolution forward passes for the first layers of
// vision networks, through cgo.
//
// The package finds the installed library with pkg-config (package name "kconv"): set PKG_CONFIG_PATH
// to <prefix>/lib/pkgconfig at build time and LD_LIBRARY_PATH to <prefix>/lib at run time.
//
// Two paths compute a convolution:
//
//   - ForwardHost and ForwardHostWithOptions run on the CPU over float32 slices; they need no GPU and
//     no CUDA driver.
//   - A Context binds a CUDA device; a Plan made from it executes on device pointers (uintptr values of
//     CUdeviceptr / cudaMalloc memory) and a stream (unsafe.Pointer to a CUstream, nil for the default
//     stream).
//
// Errors are *Error values carrying a Status and the message of the call that failed. Every fallible
// C call goes through its _e variant, which writes that call's own outcome into a buffer this package
// allocates per call: goroutines move between OS threads between two cgo calls, so the library's
// per-thread "last error" could belong to another goroutine's call. Use errors.Is with the Err*
// sentinels (errors.Is(err, kconv.ErrUnavailable)) or errors.As to reach the *Error.
//
// Lifetimes: close every Plan before the Context it was made from. Close is idempotent on both, and a
// finalizer closes what the program forgot, but only as a safety net: device memory and modules are
// held until the garbage collector notices, which may be never in a program with little Go garbage.
//
// Concurrency: a Context may be shared by goroutines; a Plan may be executed from several goroutines at
// once. Close waits for the calls in flight on the same object.
package kconv
