// SPDX-License-Identifier: Apache-2.0
/* The control API of the fake CUDA driver (tests/fake_cuda): a libcuda.so.1 that the fake-driver tests
 * load instead of NVIDIA's, so that kconv's GPU entry points run on machines without a GPU. The fake
 * resolves the driver's entry points through cuGetProcAddress(_v2) only, as kconv loads them, and these
 * functions, exported next to them, configure it, inject faults and read what it recorded.
 *
 * Entry points are named as cuGetProcAddress knows them: "cuMemAlloc", not "cuMemAlloc_v2".
 * Everything here is thread-safe. State survives until fake_cuda_reset, except where noted. */
#ifndef KCONV_TESTS_FAKE_CUDA_CONTROL_H_
#define KCONV_TESTS_FAKE_CUDA_CONTROL_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FAKE_CUDA_MAX_DEVICES 8
#define FAKE_CUDA_MAX_PARAM_BYTES 8192 /* bytes of a launch's first kernel parameter kept per record */
#define FAKE_CUDA_KEPT_LAUNCHES 256    /* launch records kept, the latest ones */

/* Back to the defaults: one device ("Fake H200", compute capability 9.0, 132 SMs, 227 KB of shared
 * memory per block opt-in, 228 KB per SM, 2048 threads and 65536 registers per SM, 80 GB), driver
 * version 13000, 10 us per launch, no faults, nothing hidden, counters and records zero. Frees what is
 * still allocated or loaded (a test that leaked must not poison the next) and empties the calling
 * thread's context stack. cuInit stays done: kconv initialises its driver once per process. */
void fake_cuda_reset(void);

/* Fault injection: entry point `name` succeeds on its next `succeed_first` calls, then returns `result`
 * (a CUresult) on the `fail_times` calls after them (fail_times < 0: on every later call). The fault
 * applies before the fake looks at the arguments, and the failing call writes no output. Returns 0, or
 * -1 for a name the fake does not implement. */
int fake_cuda_fail(const char* name, int result, int64_t succeed_first, int64_t fail_times);

/* cuGetProcAddress(_v2) reports `name` as missing (CUDA_ERROR_NOT_FOUND, *pfn = NULL), as an older driver
 * would. Returns 0, or -1 for a name the fake does not implement. */
int fake_cuda_hide_symbol(const char* name);

/* Devices: 0 .. FAKE_CUDA_MAX_DEVICES (0: cuInit reports CUDA_ERROR_NO_DEVICE, cuDeviceGetCount 0). */
int fake_cuda_set_device_count(int count);
/* Any CUdevice_attribute of device `device` (< FAKE_CUDA_MAX_DEVICES, whether counted or not), any value:
 * zero, negative and absurd values are the point. Returns 0, or -1 for a bad device or attribute. */
int fake_cuda_set_attribute(int device, int attribute, int value);
int fake_cuda_set_total_memory(int device, uint64_t bytes); /* cuMemAlloc fails OUT_OF_MEMORY past it */
void fake_cuda_set_driver_version(int version);
/* Device `device` may (enabled 1) or may not (0, the default) read and write memory of device `peer`, as
 * peer access would allow: whether cuPointerGetAttribute(CU_POINTER_ATTRIBUTE_DEVICE_POINTER) answers for
 * peer's memory in device's context. The fake runs no kernels, so nothing else changes. Returns 0, or -1
 * for a bad device. */
int fake_cuda_set_peer_access(int device, int peer, int enabled);

/* How long one launch of kernel `function` takes on the fake clock (NULL: every kernel without a
 * duration of its own; default 10 us). cuEventElapsedTime measures the clock. */
void fake_cuda_set_kernel_duration_us(const char* function, double microseconds);

/* ---- What the fake saw -------------------------------------------------------------------------- */

typedef struct fake_cuda_counters {
  int64_t allocations;          /* cuMemAlloc(Async) blocks not freed yet */
  int64_t allocated_bytes;
  int64_t host_allocations;     /* cuMemHostAlloc blocks not freed yet */
  int64_t modules;              /* loaded and not unloaded */
  int64_t module_loads;         /* successful cuModuleLoadData calls */
  int64_t primary_context_refs; /* retains minus releases, summed over devices */
  int64_t streams;              /* created and not destroyed */
  int64_t events;
  int64_t launches;             /* successful cuLaunchKernel calls */
  int64_t misuses;              /* calls refused as API misuse: unknown or destroyed handles, pointers the
                                   fake did not allocate, no current context, launch geometry beyond the
                                   kernel's or device's limits, an image for another GPU, ... */
  int64_t context_stack_depth;  /* of the calling thread */
  double clock_us;              /* the fake clock: the sum of the launches' durations */
} fake_cuda_counters;

void fake_cuda_get_counters(fake_cuda_counters* out);

/* The last misuse the fake refused ("cuMemFree: 0x... is not an allocation"), "" if none; a static
 * buffer, valid until the next call into the fake. */
const char* fake_cuda_last_misuse(void);

int64_t fake_cuda_calls(const char* name);            /* calls of an entry point, failed ones included */
int64_t fake_cuda_injected_failures(const char* name); /* calls that fake_cuda_fail made fail */
int64_t fake_cuda_launches_of(const char* function);   /* successful launches of one kernel */

/* The cudaVersion of the last cuGetProcAddress(_v2) lookup of `name`, 0 if never looked up. Not reset:
 * kconv resolves its table once per process. */
int fake_cuda_requested_version(const char* name);

typedef struct fake_cuda_launch {
  char function[160];      /* the kernel's name, as cuModuleGetFunction was given it */
  uint32_t grid[3];
  uint32_t block[3];
  uint32_t shared_bytes;   /* dynamic */
  uint64_t stream;         /* the CUstream as a number (0: the default stream) */
  int32_t device;          /* the device of the context current at the launch */
  double start_us, end_us; /* on the fake clock */
  uint32_t param_bytes;    /* bytes of kernelParams[0] copied below: the size of the kernel's first
                              parameter as its image declares it (0 when the image does not say) */
  unsigned char params[FAKE_CUDA_MAX_PARAM_BYTES];
} fake_cuda_launch;

/* Launch `back` before the latest (0: the latest). Returns 0, or -1 when that launch is not kept. */
int fake_cuda_get_launch(int64_t back, fake_cuda_launch* out);

#ifdef __cplusplus
}
#endif

#endif /* KCONV_TESTS_FAKE_CUDA_CONTROL_H_ */
