// SPDX-License-Identifier: Apache-2.0

// Package cudatest gives the GPU tests device memory through the CUDA driver, loaded with dlopen so that
// neither the bindings nor their tests link against CUDA: on a machine without a driver Open fails and
// the tests skip. It allocates in the device's primary context, the one a default kconv Context uses.
package cudatest

// #cgo LDFLAGS: -ldl
// #include <dlfcn.h>
// #include <stddef.h>
// #include <stdint.h>
//
// // The few driver types and entry points the tests need, declared here since no CUDA header is
// // required to build the bindings. The _v2 names are the 64-bit ABIs that cuda.h maps the plain names to.
// typedef int cudatest_result;
// typedef struct {
//   cudatest_result (*init)(unsigned int);
//   cudatest_result (*device_get)(int*, int);
//   cudatest_result (*primary_ctx_retain)(void**, int);
//   cudatest_result (*ctx_push)(void*);
//   cudatest_result (*ctx_pop)(void**);
//   cudatest_result (*ctx_synchronize)(void);
//   cudatest_result (*mem_alloc)(uint64_t*, size_t);
//   cudatest_result (*mem_free)(uint64_t);
//   cudatest_result (*copy_to_device)(uint64_t, const void*, size_t);
//   cudatest_result (*copy_from_device)(void*, uint64_t, size_t);
// } cudatest_driver;
//
// static cudatest_driver driver;
// static void* primary_context;
//
// // 0 on success; -1: no libcuda.so.1 or a missing symbol; otherwise the failing CUresult.
// static int cudatest_open(int ordinal) {
//   void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
//   if (lib == NULL) return -1;
//   void** slots[] = {(void**)&driver.init, (void**)&driver.device_get, (void**)&driver.primary_ctx_retain,
//                     (void**)&driver.ctx_push, (void**)&driver.ctx_pop, (void**)&driver.ctx_synchronize,
//                     (void**)&driver.mem_alloc, (void**)&driver.mem_free, (void**)&driver.copy_to_device,
//                     (void**)&driver.copy_from_device};
//   const char* names[] = {"cuInit", "cuDeviceGet", "cuDevicePrimaryCtxRetain", "cuCtxPushCurrent_v2",
//                          "cuCtxPopCurrent_v2", "cuCtxSynchronize", "cuMemAlloc_v2", "cuMemFree_v2",
//                          "cuMemcpyHtoD_v2", "cuMemcpyDtoH_v2"};
//   for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); ++i) {
//     *slots[i] = dlsym(lib, names[i]);
//     if (*slots[i] == NULL) return -1;
//   }
//   int device = 0;
//   cudatest_result r = driver.init(0);
//   if (r == 0) r = driver.device_get(&device, ordinal);
//   if (r == 0) r = driver.primary_ctx_retain(&primary_context, device);
//   return r;
// }
//
// // Each call pushes the primary context and pops it again: the goroutine calling may be on any thread.
// static int cudatest_alloc(uint64_t* out, size_t bytes) {
//   cudatest_result r = driver.ctx_push(primary_context);
//   if (r != 0) return r;
//   r = driver.mem_alloc(out, bytes);
//   void* popped; driver.ctx_pop(&popped);
//   return r;
// }
// static int cudatest_free(uint64_t p) {
//   cudatest_result r = driver.ctx_push(primary_context);
//   if (r != 0) return r;
//   r = driver.mem_free(p);
//   void* popped; driver.ctx_pop(&popped);
//   return r;
// }
// static int cudatest_to_device(uint64_t dst, const void* src, size_t bytes) {
//   cudatest_result r = driver.ctx_push(primary_context);
//   if (r != 0) return r;
//   r = driver.copy_to_device(dst, src, bytes);
//   void* popped; driver.ctx_pop(&popped);
//   return r;
// }
// // Waits for all work in the context first, so the copy sees finished kernels.
// static int cudatest_from_device(void* dst, uint64_t src, size_t bytes) {
//   cudatest_result r = driver.ctx_push(primary_context);
//   if (r != 0) return r;
//   r = driver.ctx_synchronize();
//   if (r == 0) r = driver.copy_from_device(dst, src, bytes);
//   void* popped; driver.ctx_pop(&popped);
//   return r;
// }
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

var (
	openOnce  sync.Once
	openError error
)

// Open loads the driver and retains the primary context of device 0, once per process.
func Open() error {
	openOnce.Do(func() {
		if r := C.cudatest_open(0); r != 0 {
			openError = fmt.Errorf("cudatest: cannot open device 0 through libcuda.so.1 (result %d)", int(r))
		}
	})
	return openError
}

// Floats is a device buffer of float32 values.
type Floats struct {
	Pointer uintptr
	Len     int
}

// Upload copies values into a new device buffer.
func Upload(values []float32) (Floats, error) {
	buffer, err := Alloc(len(values))
	if err != nil {
		return Floats{}, err
	}
	if len(values) > 0 {
		if r := C.cudatest_to_device(C.uint64_t(buffer.Pointer), unsafe.Pointer(&values[0]), bytesOf(len(values))); r != 0 {
			buffer.Free()
			return Floats{}, fmt.Errorf("cudatest: cuMemcpyHtoD: result %d", int(r))
		}
	}
	return buffer, nil
}

// Alloc allocates room for n float32 values (at least one, so the pointer is never 0).
func Alloc(n int) (Floats, error) {
	if err := Open(); err != nil {
		return Floats{}, err
	}
	var p C.uint64_t
	if r := C.cudatest_alloc(&p, bytesOf(n+1)); r != 0 {
		return Floats{}, fmt.Errorf("cudatest: cuMemAlloc of %d floats: result %d", n, int(r))
	}
	return Floats{Pointer: uintptr(p), Len: n}, nil
}

// Download waits for the context's work and copies the buffer back.
func (f Floats) Download() ([]float32, error) {
	values := make([]float32, f.Len)
	if f.Len == 0 {
		return values, nil
	}
	if r := C.cudatest_from_device(unsafe.Pointer(&values[0]), C.uint64_t(f.Pointer), bytesOf(f.Len)); r != 0 {
		return nil, fmt.Errorf("cudatest: cuMemcpyDtoH: result %d", int(r))
	}
	return values, nil
}

// Free releases the buffer.
func (f Floats) Free() {
	C.cudatest_free(C.uint64_t(f.Pointer))
}

func bytesOf(n int) C.size_t {
	return C.size_t(n) * C.size_t(unsafe.Sizeof(float32(0)))
}
