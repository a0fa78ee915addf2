/* SPDX-License-Identifier: Apache-2.0 */
/* kconv: fast convolution forward passes for the first layers of vision networks.
 *
 * A pure C99 interface: no CUDA header is needed. Device pointers are uint64_t (a CUdeviceptr, or a
 * cudaMalloc / torch .data_ptr() value), streams are void* (a CUstream or cudaStream_t; NULL is the
 * default stream). Handles are opaque. Every input struct starts with `struct_size`; fields are only ever
 * appended, and the library reads the fields of the version whose size the caller passes (a struct of an
 * older header gets defaults for the fields it lacks). Fill a struct with its *_init function (static
 * inline here: it fills exactly the caller's struct), then set the fields you need. Binders that cannot
 * call inline functions call the *_init_sized function with the size of their struct.
 *
 * Errors: every function that can fail returns a kconv_status; kconv_status_string() names the code. The
 * detailed message (which argument, which value, why) is available two ways:
 *  - kconv_last_error_message(): the most recent failure on the calling thread (C, C++, Rust, Python);
 *  - a kconv_error struct passed to the function's _e variant, which receives that call's own status and
 *    message: for callers whose calls may run on different OS threads (Go's goroutines move between
 *    threads between two cgo calls), with no thread pinning.
 * No function aborts, exits or throws; on failure no output buffer is written.
 *
 * Threads: a kconv_context may be shared by several threads; plans are immutable once created and may
 * be executed from several threads at once. Destroying a context or plan while another thread uses it
 * is the caller's error.
 */
#ifndef KCONV_KCONV_H_
#define KCONV_KCONV_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KCONV_VERSION_MAJOR 0
#define KCONV_VERSION_MINOR 4
#define KCONV_VERSION_PATCH 0
#define KCONV_VERSION_NUMBER (KCONV_VERSION_MAJOR * 10000 + KCONV_VERSION_MINOR * 100 + KCONV_VERSION_PATCH)

#if defined(KCONV_BUILDING_LIBRARY)
#define KCONV_API __attribute__((visibility("default")))
#else
#define KCONV_API
#endif

/* The *_init functions below are static inline, compiled into the caller with the caller's struct size. */
#if defined(__cplusplus) || (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L)
#define KCONV_INLINE static inline
#elif defined(__GNUC__)
#define KCONV_INLINE static __inline__ __attribute__((unused))
#else
#define KCONV_INLINE static
#endif

/* Status codes, numbered like Abseil's. Values are never reused. */
typedef enum kconv_status {
  KCONV_STATUS_OK = 0,
  KCONV_STATUS_UNKNOWN = 2,
  KCONV_STATUS_INVALID_ARGUMENT = 3,   /* a bad argument; the message names it */
  KCONV_STATUS_NOT_FOUND = 5,          /* no CUDA device (or none with the requested ordinal), no such config */
  KCONV_STATUS_RESOURCE_EXHAUSTED = 8, /* out of device or host memory */
  KCONV_STATUS_FAILED_PRECONDITION = 9,/* e.g. the calling thread has no current CUDA context */
  KCONV_STATUS_UNIMPLEMENTED = 12,     /* valid but unsupported: shape too large, math mode, old GPU */
  KCONV_STATUS_INTERNAL = 13,          /* a CUDA driver call failed unexpectedly; the message names it */
  KCONV_STATUS_UNAVAILABLE = 14        /* no usable CUDA driver (libcuda.so.1) on this machine */
} kconv_status;

/* Name of a status code ("KCONV_STATUS_INVALID_ARGUMENT"); a static string, never NULL. */
KCONV_API const char* kconv_status_string(kconv_status status);

/* Detailed message of the most recent failed kconv call on the calling thread, or "" if none failed.
 * Owned by the library; valid until the next failing kconv call on the same thread. Messages longer than
 * KCONV_ERROR_MESSAGE_CAPACITY - 1 bytes are cut, ending in "...". */
KCONV_API const char* kconv_last_error_message(void);

#define KCONV_ERROR_MESSAGE_CAPACITY 2048

/* One call's outcome, written by the _e variant of a function (kconv_plan_create_e, ...) when `error` is
 * not NULL: the status the call returns and its message ("" on success). Set struct_size to
 * sizeof(kconv_error) (kconv_error_init does); the library writes no byte past it. */
typedef struct kconv_error {
  size_t struct_size;
  int32_t status;                                 /* kconv_status */
  char message[KCONV_ERROR_MESSAGE_CAPACITY];     /* NUL-terminated; cut like kconv_last_error_message */
} kconv_error;

KCONV_INLINE void kconv_error_init(kconv_error* error) {
  error->struct_size = sizeof(*error);
  error->status = 0;
  error->message[0] = '\0';
}

/* The library's version as KCONV_VERSION_NUMBER computes it, to catch header/library skew. */
KCONV_API uint32_t kconv_version_number(void);
KCONV_API const char* kconv_version_string(void);

/* ---- Convolution descriptor ---------------------------------------------------------------------- */

typedef enum kconv_math_mode {
  KCONV_MATH_TF32 = 0,   /* TF32 tensor cores, fp32 accumulate (PyTorch's default for convolutions): relative
                            error ~1e-4 */
  KCONV_MATH_3XTF32 = 1, /* fp32-accurate on TF32 tensor cores: each operand split into a TF32 part and a
                            TF32 remainder, three products (big*big + big*small + small*big); ~1e-6 */
  KCONV_MATH_FP32 = 2    /* strict IEEE fp32 products and sums (FFMA), no tensor cores */
  /* values 3..63 reserved. For fp16 and bf16 tensors every mode computes the same: a product of two 16-bit
   * values is exact in fp32 and the sums are fp32. */
} kconv_math_mode;

/* The element type of x, w and y. Each kernel family computes some types only; a combination no family
 * computes makes planning fail with KCONV_STATUS_UNIMPLEMENTED, naming it. */
typedef enum kconv_element_type {
  KCONV_ELEMENT_F32 = 0,  /* fp32 */
  KCONV_ELEMENT_F16 = 1,  /* IEEE binary16: x, w and y; bias stays fp32; fp32 accumulation, y rounded once */
  KCONV_ELEMENT_BF16 = 2  /* bfloat16: likewise */
  /* values 3..31 reserved */
} kconv_element_type;

/* The memory layout of x and y. w is always [K][C][R][S] (a channels-last weight tensor must be made
 * contiguous first), and bias always fp32[K]. */
typedef enum kconv_layout {
  KCONV_LAYOUT_NCHW = 0, /* x[N][C][H][W], y[N][K][P][Q] */
  KCONV_LAYOUT_NHWC = 1  /* x[N][H][W][C], y[N][P][Q][K] (channels-last) */
  /* values 2..31 reserved */
} kconv_layout;

/* y[N][K][P][Q] = conv(x[N][C][H][W], w[K][C][R][S]) + bias[K], optionally ReLU'd; dense (contiguous)
 * tensors of element_type in `layout`. P = (H + 2*pad_h - dil_h*(R-1) - 1) / stride_h + 1, likewise Q.
 * Version 0.1's struct ends at math_mode (sizeof 128 on 64-bit targets); one of that size reads
 * element_type and layout as their defaults. */
typedef struct kconv_conv_desc {
  size_t struct_size;  /* sizeof(kconv_conv_desc) as the caller was compiled */
  int64_t n, c, h, w;  /* input: batch, channels, height, width */
  int64_t k, r, s;     /* filters: output channels, kernel height, kernel width */
  int64_t stride_h, stride_w; /* >= 1; default 1 */
  int64_t pad_h, pad_w;       /* >= 0; default 0 */
  int64_t dil_h, dil_w;       /* >= 1; default 1 */
  int32_t has_bias;    /* 1: add bias[K] (the bias pointer must then be non-zero); default 0 */
  int32_t relu;        /* 1: max(y, 0) after the bias; default 0 */
  int32_t math_mode;   /* kconv_math_mode; default KCONV_MATH_TF32 */
  int32_t element_type; /* kconv_element_type; default KCONV_ELEMENT_F32 */
  int32_t layout;       /* kconv_layout; default KCONV_LAYOUT_NCHW */
} kconv_conv_desc;

/* Writes the defaults into the first struct_size bytes of *desc (struct_size = sizeof the caller's struct):
 * sizes 0 (to be set), strides and dilations 1, no padding, no bias, no ReLU, TF32, fp32, NCHW. Returns
 * INVALID_ARGUMENT, writing nothing, for a NULL desc or a size that is no version of the struct. */
KCONV_API kconv_status kconv_conv_desc_init_sized(kconv_conv_desc* desc, size_t struct_size);
#if !defined(KCONV_BUILDING_LIBRARY)
KCONV_INLINE void kconv_conv_desc_init(kconv_conv_desc* desc) { (void)kconv_conv_desc_init_sized(desc, sizeof(*desc)); }
#endif

/* Validates desc and writes the output shape {N, K, P, Q} to out_dims[4]. */
KCONV_API kconv_status kconv_conv_output_shape(const kconv_conv_desc* desc, int64_t out_dims[4]);
KCONV_API kconv_status kconv_conv_output_shape_e(const kconv_conv_desc* desc, int64_t out_dims[4],
                                                 kconv_error* error);

/* ---- Host (CPU) forward: needs no driver and no GPU ---------------------------------------------- */

/* Computes the convolution on host memory in fp32: im2col panels and a register-blocked GEMM, vectorised
 * for the CPU it runs on (AVX-512, AVX2 + FMA, or SSE2, chosen at run time) and spread over
 * kconv_host_default_threads() threads; fp32 accumulation, whatever desc.math_mode says. bias may be NULL when desc.has_bias is 0.
 * Meant for machines without an NVIDIA GPU and for host tensors (a model's CPU fallback). */
KCONV_API kconv_status kconv_forward_host(const kconv_conv_desc* desc, const float* x, const float* w,
                                          const float* bias, float* y);
KCONV_API kconv_status kconv_forward_host_e(const kconv_conv_desc* desc, const float* x, const float* w,
                                            const float* bias, float* y,
                                            kconv_error* error);

typedef struct kconv_host_options {
  size_t struct_size;
  int32_t threads;   /* threads to use, the calling one included; 0 (default): kconv_host_default_threads().
                        At most 4096. */
  int32_t reference; /* 1: the float64-accumulation reference instead (one thread, plain loops: slow, and
                        the most accurate; what kconv's tests compare against); default 0 */
} kconv_host_options;

/* Defaults into the first struct_size bytes: the default thread count, the fast path. INVALID_ARGUMENT,
 * writing nothing, for NULL or an unknown size. */
KCONV_API kconv_status kconv_host_options_init_sized(kconv_host_options* options, size_t struct_size);
#if !defined(KCONV_BUILDING_LIBRARY)
KCONV_INLINE void kconv_host_options_init(kconv_host_options* options) {
  (void)kconv_host_options_init_sized(options, sizeof(*options));
}
#endif

/* kconv_forward_host with options (NULL: defaults). */
KCONV_API kconv_status kconv_forward_host_with_options(const kconv_conv_desc* desc, const float* x, const float* w,
                                                       const float* bias, float* y,
                                                       const kconv_host_options* options, kconv_error* error);

/* The host path's default thread count: the environment variable KCONV_HOST_THREADS when it holds a number
 * from 1 to 4096, otherwise the number of CPUs this process may run on (its affinity mask). */
KCONV_API int32_t kconv_host_default_threads(void);

/* ---- Context ------------------------------------------------------------------------------------- */

typedef struct kconv_context kconv_context;

typedef struct kconv_context_options {
  size_t struct_size;
  int32_t device_ordinal;      /* CUDA device ordinal; default 0. Ignored with use_current_context. */
  int32_t use_current_context; /* 1: use the calling thread's current CUcontext (it must stay alive
                                  until the kconv context and its plans are destroyed); default 0: the
                                  device's primary context, the one the CUDA runtime and PyTorch use */
  int32_t force_ptx;           /* 1: load the compute_80 PTX even where a cubin fits (testing);
                                  the environment variable KCONV_FORCE_PTX=1 does the same */
  int32_t synchronize;         /* 1: synchronise the stream after every launch and report kernel faults
                                  from that call (debugging); default 0: never synchronise */
  const char* tuning_cache_path; /* file of autotuning results that kconv consults when it chooses a
                                    config (format: runtime/tuning_cache.h); an entry applies only to the
                                    same device, driver, library build and descriptor. NULL (default):
                                    the environment variable KCONV_TUNING_CACHE, if set; "": none. The
                                    string is copied. A damaged file is ignored, with one message on
                                    stderr per context. */
} kconv_context_options;

/* Defaults into the first struct_size bytes: device 0, its primary context, cubins, no synchronisation,
 * the tuning cache from KCONV_TUNING_CACHE. INVALID_ARGUMENT, writing nothing, for NULL or an unknown size. */
KCONV_API kconv_status kconv_context_options_init_sized(kconv_context_options* options, size_t struct_size);
#if !defined(KCONV_BUILDING_LIBRARY)
KCONV_INLINE void kconv_context_options_init(kconv_context_options* options) {
  (void)kconv_context_options_init_sized(options, sizeof(*options));
}
#endif

/* Loads the CUDA driver on first use (dlopen of libcuda.so.1) and binds a context to a device.
 * options may be NULL for defaults. Returns KCONV_STATUS_UNAVAILABLE without a driver and
 * KCONV_STATUS_NOT_FOUND without a device. Kernel modules are loaded lazily by plan creation. */
KCONV_API kconv_status kconv_context_create(const kconv_context_options* options, kconv_context** out);
KCONV_API kconv_status kconv_context_create_e(const kconv_context_options* options, kconv_context** out,
                                              kconv_error* error);

/* Destroys a context; NULL is a no-op. Modules and the primary-context reference are released once the
 * context and every plan created from it are destroyed. */
KCONV_API void kconv_context_destroy(kconv_context* context);

/* ---- Plans --------------------------------------------------------------------------------------- */

typedef struct kconv_plan kconv_plan;

typedef struct kconv_plan_options {
  size_t struct_size;
  const char* config_name; /* force one config by name (see kconv_config_name), e.g.
                              "implicit_gemm_tf32/m64n64k32_w4_s2"; NULL (default): kconv chooses */
} kconv_plan_options;

/* Defaults into the first struct_size bytes: kconv chooses the config. INVALID_ARGUMENT, writing nothing,
 * for NULL or an unknown size. */
KCONV_API kconv_status kconv_plan_options_init_sized(kconv_plan_options* options, size_t struct_size);
#if !defined(KCONV_BUILDING_LIBRARY)
KCONV_INLINE void kconv_plan_options_init(kconv_plan_options* options) {
  (void)kconv_plan_options_init_sized(options, sizeof(*options));
}
#endif

/* Validates desc, chooses a kernel and config for the context's device and loads its module.
 * options may be NULL. The plan keeps its own copy of desc. */
KCONV_API kconv_status kconv_plan_create(kconv_context* context, const kconv_conv_desc* desc,
                                         const kconv_plan_options* options, kconv_plan** out);
KCONV_API kconv_status kconv_plan_create_e(kconv_context* context, const kconv_conv_desc* desc,
                                           const kconv_plan_options* options, kconv_plan** out,
                                           kconv_error* error);

/* Destroys a plan; NULL is a no-op. */
KCONV_API void kconv_plan_destroy(kconv_plan* plan);

/* Enqueues the convolution on `stream` (NULL: the default stream) and returns without waiting.
 * x, w, y (and bias when desc.has_bias) are device pointers to dense fp32 NCHW tensors, 4-byte aligned;
 * y must not overlap the inputs. w may be 0 after kconv_plan_set_weights: the plan's weights are used.
 * With w given, kernels that need their weights re-laid out (the stem family) pack them on the stream
 * first, into stream-ordered scratch memory (a few microseconds); set the weights once to avoid that.
 * Launch errors are reported here; faults inside the kernel surface at the caller's next
 * synchronisation (or here with kconv_context_options.synchronize). */
KCONV_API kconv_status kconv_plan_execute(const kconv_plan* plan, uint64_t x, uint64_t w, uint64_t bias,
                                          uint64_t y, void* stream);
KCONV_API kconv_status kconv_plan_execute_e(const kconv_plan* plan, uint64_t x, uint64_t w, uint64_t bias,
                                            uint64_t y, void* stream,
                                            kconv_error* error);

/* Binds weights w[K][C][R][S] to the plan for later executions with w = 0. Kernels that re-lay out
 * weights pack and round them to TF32 into a device buffer the plan owns, enqueued on `stream`; the
 * caller orders executions on other streams after it. Call again whenever the weights change. Not
 * thread-safe with respect to other calls on the same plan. */
KCONV_API kconv_status kconv_plan_set_weights(kconv_plan* plan, uint64_t w, void* stream);
KCONV_API kconv_status kconv_plan_set_weights_e(kconv_plan* plan, uint64_t w, void* stream,
                                                kconv_error* error);

typedef struct kconv_plan_info {
  size_t struct_size;
  const char* family;      /* the kernel family (its folder under families/); static string */
  const char* config;      /* e.g. "m64n64k32_w4_s2"; static string */
  int32_t block_m, block_n, block_k, warps, stages; /* pixels, channels and taps per block; for the
                                                       stem family block_k is taps per weight stage */
  int32_t arch;            /* architecture of the loaded image, e.g. 90 (sm_90) or 80 (compute_80) */
  int32_t is_ptx;          /* 1: the PTX fallback, compiled by the driver at load */
  int32_t device_cc;       /* device compute capability, e.g. 90 */
  int64_t grid_x, grid_y;  /* blocks per launch */
  int32_t threads_per_block;
  int32_t shared_bytes;    /* dynamic shared memory per block */
  int64_t packed_weight_bytes; /* device memory the plan keeps for its re-laid-out weights (0: the family
                                  reads w as given; kconv_plan_set_weights then only records w) */
} kconv_plan_info;

/* Fills info (set info->struct_size first; fields beyond it are not written). */
KCONV_API kconv_status kconv_plan_get_info(const kconv_plan* plan, kconv_plan_info* info);
KCONV_API kconv_status kconv_plan_get_info_e(const kconv_plan* plan, kconv_plan_info* info,
                                             kconv_error* error);

/* Writes a one-line description ("implicit_gemm_tf32/m64n64k32_w4_s2 on sm_90 cubin, ...") into
 * buffer, truncated and NUL-terminated. Returns the length of the full description (excluding the NUL),
 * so a call with buffer_size 0 sizes the buffer; returns -1 for a NULL plan. */
KCONV_API int64_t kconv_plan_describe(const kconv_plan* plan, char* buffer, size_t buffer_size);

/* ---- One-shot forward -------------------------------------------------------------------------- */

/* Plans (cached per context and descriptor) and executes. Same pointer rules as kconv_plan_execute. */
KCONV_API kconv_status kconv_forward(kconv_context* context, const kconv_conv_desc* desc, uint64_t x,
                                     uint64_t w, uint64_t bias, uint64_t y, void* stream);
KCONV_API kconv_status kconv_forward_e(kconv_context* context, const kconv_conv_desc* desc, uint64_t x,
                                       uint64_t w, uint64_t bias, uint64_t y, void* stream,
                                       kconv_error* error);

/* ---- Autotuning ------------------------------------------------------------------------------- */

typedef enum kconv_autotune_mode {
  KCONV_AUTOTUNE_MICRO = 0, /* from the current choice: its stage neighbours (+-1) and, when it leaves at
                               least half of an SM's warp slots empty, its other warp counts; never
                               another block size or grid; 6 candidates at most, the original among them */
  KCONV_AUTOTUNE_FULL = 1   /* every config of every family that accepts the shape on this device */
} kconv_autotune_mode;

/* Called after each step: a candidate prepared (its module loaded, its weights packed), or a timing
 * round (one run of every candidate). `step` describes it ("prepared stem_wgmma_tf32/...", "timing");
 * valid during the call only. */
typedef void (*kconv_autotune_progress_fn)(void* user_data, int32_t done, int32_t total, const char* step);

typedef struct kconv_autotune_options {
  size_t struct_size;
  int32_t mode;          /* kconv_autotune_mode; default KCONV_AUTOTUNE_MICRO */
  double min_gain;       /* a candidate replaces the original only if its median is more than this
                            fraction faster (default 0.02) and its 10th-90th percentile spread lies
                            wholly below the original's */
  int32_t warmup_runs;   /* untimed runs of every candidate first; default 5 */
  int32_t timed_runs;    /* timed runs of every candidate (>= 5), interleaved round by round; default 50 */
  int32_t write_output;  /* 1: time with the caller's y, which is then overwritten; default 0: scratch */
  int32_t store;         /* 1 (default): later plans of this context for this descriptor use the winner,
                            and it is written to the context's tuning cache file, if it has one;
                            0: only report */
  kconv_autotune_progress_fn progress; /* NULL (default): none */
  void* progress_user_data;
} kconv_autotune_options;

/* Defaults into the first struct_size bytes (see the fields). INVALID_ARGUMENT, writing nothing, for NULL
 * or an unknown size. */
KCONV_API kconv_status kconv_autotune_options_init_sized(kconv_autotune_options* options, size_t struct_size);
#if !defined(KCONV_BUILDING_LIBRARY)
KCONV_INLINE void kconv_autotune_options_init(kconv_autotune_options* options) {
  (void)kconv_autotune_options_init_sized(options, sizeof(*options));
}
#endif

typedef struct kconv_autotune_report kconv_autotune_report;

/* Times candidate configs for desc on `stream` with driver events (after warm-up; median and 10th/90th
 * percentiles of timed_runs runs; the output poisoned before every run) and keeps the original unless
 * a candidate passes the rule in kconv_autotune_options.min_gain. x, w, bias may be 0: scratch with
 * random values is allocated and freed. y is used only with write_output (else it may be 0 and is never
 * written). Synchronises `stream`; takes about (candidates x (warmup_runs + timed_runs)) runs.
 * options may be NULL for defaults; report may be NULL, else *report receives a report to destroy with
 * kconv_autotune_report_destroy. */
KCONV_API kconv_status kconv_autotune(kconv_context* context, const kconv_conv_desc* desc,
                                      const kconv_autotune_options* options, uint64_t x, uint64_t w,
                                      uint64_t bias, uint64_t y, void* stream, kconv_autotune_report** report);
KCONV_API kconv_status kconv_autotune_e(kconv_context* context, const kconv_conv_desc* desc,
                                        const kconv_autotune_options* options, uint64_t x, uint64_t w,
                                        uint64_t bias, uint64_t y, void* stream, kconv_autotune_report** report,
                                        kconv_error* error);

typedef struct kconv_autotune_candidate {
  size_t struct_size;
  const char* config;         /* "family/config"; static string */
  double median_us, p10_us, p90_us;
  int32_t is_original, is_winner;
  int64_t grid_x, grid_y;
  int32_t threads_per_block;
  int32_t registers_per_thread;
  int32_t static_shared_bytes, dynamic_shared_bytes;
  int32_t local_bytes_per_thread; /* spills and local arrays (ptxas's report) */
  int32_t blocks_per_sm;          /* cuOccupancyMaxActiveBlocksPerMultiprocessor */
  double occupancy;               /* resident warps over the SM's maximum, 0..1 (theoretical) */
} kconv_autotune_candidate;

/* Candidates timed (the original is index 0). */
KCONV_API int32_t kconv_autotune_report_candidate_count(const kconv_autotune_report* report);
/* Fills candidate `index` (set out->struct_size first). */
KCONV_API kconv_status kconv_autotune_report_candidate(const kconv_autotune_report* report, int32_t index,
                                                       kconv_autotune_candidate* out);
KCONV_API kconv_status kconv_autotune_report_candidate_e(const kconv_autotune_report* report, int32_t index,
                                                         kconv_autotune_candidate* out,
                                                         kconv_error* error);
/* The config kept ("family/config"), why, and where the original came from ("heuristic", "tuning
 * cache" or "autotuned in this context"); strings owned by the report. NULL for a NULL report. */
KCONV_API const char* kconv_autotune_report_winner(const kconv_autotune_report* report);
KCONV_API const char* kconv_autotune_report_reason(const kconv_autotune_report* report);
KCONV_API const char* kconv_autotune_report_original_source(const kconv_autotune_report* report);
/* Candidates that could not run, one per line ("config: why"); "" if none. */
KCONV_API const char* kconv_autotune_report_skipped(const kconv_autotune_report* report);
/* 1 if the winner was written to the context's tuning cache file. */
KCONV_API int32_t kconv_autotune_report_stored_in_file(const kconv_autotune_report* report);
/* Why the winner was not written to the context's tuning cache file ("" if it was, or if the context has
 * none): the file could not be read or written, is not a regular file, or another process held its lock
 * too long. The autotuning itself still succeeded, and the context uses the winner. NULL for a NULL report. */
KCONV_API const char* kconv_autotune_report_store_problem(const kconv_autotune_report* report);
KCONV_API void kconv_autotune_report_destroy(kconv_autotune_report* report);

/* ---- Configs ----------------------------------------------------------------------------------- */

/* Number of kernel configs built into the library, and the name of config i ("family/config");
 * NULL when i is out of range. Configs are listed family by family, in the order the config choice
 * prefers the families. */
KCONV_API int32_t kconv_config_count(void);
KCONV_API const char* kconv_config_name(int32_t index);

#ifdef __cplusplus
}
#endif

#endif /* KCONV_KCONV_H_ */
