# SPDX-License-Identifier: Apache-2.0
"""The ctypes binding of libkconv: contexts, plans and the host path on raw pointers.

The package's tensor API (kconv.conv2d, kconv.torch) is built on it. Every failing call raises kconv.Error
with the library's message and status.
"""
import ctypes
import os

OK = 0
STATUS_NAMES = {0: "OK", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 5: "NOT_FOUND", 8: "RESOURCE_EXHAUSTED",
                9: "FAILED_PRECONDITION", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE"}


class Error(RuntimeError):
    """A kconv call failed: .status is the kconv_status code, .status_name its name ("INVALID_ARGUMENT"),
    and the message is the library's (which argument, which value, why)."""

    def __init__(self, status, message):
        self.status = status
        self.status_name = STATUS_NAMES.get(status, str(status))
        super().__init__(f"{self.status_name}: {message}")


KconvError = Error  # the name of version 0.2


_INT64 = (-(1 << 63), (1 << 63) - 1)


def _int64(name, value):
    """value as a C int64_t, or TypeError/ValueError: ctypes would wrap 2**64 + 1 to 1 silently."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not _INT64[0] <= value <= _INT64[1]:
        raise ValueError(f"{name} = {value} does not fit in int64")
    return value


def _pointer(name, value):
    """A device pointer as a C uint64_t (0 for none)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int device pointer, got {type(value).__name__}")
    if not 0 <= value < (1 << 64):
        raise ValueError(f"{name} = {value} is not a 64-bit address")
    return value


def _stream(stream):
    """A CUDA stream as a C pointer: None or 0 for the default stream, an int handle, or an object with
    .cuda_stream (torch.cuda.Stream)."""
    if stream is None:
        return None
    if hasattr(stream, "cuda_stream"):
        stream = stream.cuda_stream
    return _pointer("stream", stream) or None


def _config_name(config):
    if config is None:
        return None
    if isinstance(config, str):
        return config.encode()
    if isinstance(config, bytes):
        return config
    raise TypeError(f"config must be a str, got {type(config).__name__}")


class ConvDesc(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t)] + [
        (name, ctypes.c_int64)
        for name in ("n", "c", "h", "w", "k", "r", "s", "stride_h", "stride_w", "pad_h", "pad_w", "dil_h", "dil_w")
    ] + [("has_bias", ctypes.c_int32), ("relu", ctypes.c_int32), ("math_mode", ctypes.c_int32),
         ("element_type", ctypes.c_int32), ("layout", ctypes.c_int32)]


class ContextOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("device_ordinal", ctypes.c_int32),
                ("use_current_context", ctypes.c_int32), ("force_ptx", ctypes.c_int32),
                ("synchronize", ctypes.c_int32), ("tuning_cache_path", ctypes.c_char_p)]


class HostOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("threads", ctypes.c_int32), ("reference", ctypes.c_int32)]


PROGRESS_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int32, ctypes.c_int32, ctypes.c_char_p)


class AutotuneOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("mode", ctypes.c_int32), ("min_gain", ctypes.c_double),
                ("warmup_runs", ctypes.c_int32), ("timed_runs", ctypes.c_int32), ("write_output", ctypes.c_int32),
                ("store", ctypes.c_int32), ("progress", PROGRESS_FN), ("progress_user_data", ctypes.c_void_p)]


class PlanOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("config_name", ctypes.c_char_p)]


class PlanInfo(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("family", ctypes.c_char_p), ("config", ctypes.c_char_p)] + [
        (name, ctypes.c_int32)
        for name in ("block_m", "block_n", "block_k", "warps", "stages", "arch", "is_ptx", "device_cc")
    ] + [("grid_x", ctypes.c_int64), ("grid_y", ctypes.c_int64), ("threads_per_block", ctypes.c_int32),
         ("shared_bytes", ctypes.c_int32), ("packed_weight_bytes", ctypes.c_int64)]


def default_library_path():
    """KCONV_LIBRARY, else the libkconv.so inside this package (a wheel's), else the loader's search."""
    if os.environ.get("KCONV_LIBRARY"):
        return os.environ["KCONV_LIBRARY"]
    bundled = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libkconv.so")
    return bundled if os.path.exists(bundled) else "libkconv.so"


def _load(path=None):
    path = path or default_library_path()
    lib = ctypes.CDLL(path)
    vp, u64 = ctypes.c_void_p, ctypes.c_uint64
    lib.kconv_last_error_message.restype = ctypes.c_char_p
    lib.kconv_status_string.restype = ctypes.c_char_p
    lib.kconv_version_string.restype = ctypes.c_char_p
    # The *_init_sized initialisers: told the size of these structs, they fill exactly them.
    lib.kconv_conv_desc_init_sized.argtypes = [ctypes.POINTER(ConvDesc), ctypes.c_size_t]
    lib.kconv_plan_options_init_sized.argtypes = [ctypes.POINTER(PlanOptions), ctypes.c_size_t]
    lib.kconv_context_create.argtypes = [vp, ctypes.POINTER(vp)]
    lib.kconv_context_destroy.argtypes = [vp]
    lib.kconv_plan_create.argtypes = [vp, ctypes.POINTER(ConvDesc), ctypes.POINTER(PlanOptions), ctypes.POINTER(vp)]
    lib.kconv_plan_destroy.argtypes = [vp]
    lib.kconv_plan_execute.argtypes = [vp, u64, u64, u64, u64, vp]
    lib.kconv_plan_set_weights.argtypes = [vp, u64, vp]
    lib.kconv_plan_get_info.argtypes = [vp, ctypes.POINTER(PlanInfo)]
    lib.kconv_plan_describe.argtypes = [vp, ctypes.c_char_p, ctypes.c_size_t]
    lib.kconv_plan_describe.restype = ctypes.c_int64
    fp = ctypes.POINTER(ctypes.c_float)
    lib.kconv_context_options_init_sized.argtypes = [ctypes.POINTER(ContextOptions), ctypes.c_size_t]
    lib.kconv_host_options_init_sized.argtypes = [ctypes.POINTER(HostOptions), ctypes.c_size_t]
    lib.kconv_forward_host_with_options.argtypes = [ctypes.POINTER(ConvDesc), fp, fp, fp, fp,
                                                    ctypes.POINTER(HostOptions), vp]
    lib.kconv_host_default_threads.restype = ctypes.c_int32
    lib.kconv_conv_output_shape.argtypes = [ctypes.POINTER(ConvDesc), ctypes.POINTER(ctypes.c_int64)]
    lib.kconv_autotune_options_init_sized.argtypes = [ctypes.POINTER(AutotuneOptions), ctypes.c_size_t]
    lib.kconv_autotune.argtypes = [vp, ctypes.POINTER(ConvDesc), ctypes.POINTER(AutotuneOptions), u64, u64, u64,
                                   u64, vp, ctypes.POINTER(vp)]
    lib.kconv_autotune_report_winner.argtypes = [vp]
    lib.kconv_autotune_report_winner.restype = ctypes.c_char_p
    lib.kconv_autotune_report_reason.argtypes = [vp]
    lib.kconv_autotune_report_reason.restype = ctypes.c_char_p
    lib.kconv_autotune_report_original_source.argtypes = [vp]
    lib.kconv_autotune_report_original_source.restype = ctypes.c_char_p
    lib.kconv_autotune_report_destroy.argtypes = [vp]
    lib.kconv_config_count.restype = ctypes.c_int32
    lib.kconv_config_name.argtypes = [ctypes.c_int32]
    lib.kconv_config_name.restype = ctypes.c_char_p
    return lib


class Library:
    def __init__(self, path=None):
        self.path = path or default_library_path()
        self.lib = _load(self.path)

    def check(self, status, what):
        if status != OK:
            # The library's message starts with the failing function's name. The message is per OS thread,
            # and this Python thread made the call: it is this call's.
            raise Error(status, self.lib.kconv_last_error_message().decode() or what)

    @property
    def version(self):
        return self.lib.kconv_version_string().decode()


class Context:
    def __init__(self, library, device=0):
        self.handle = ctypes.c_void_p()  # first: __del__ runs even when the rest of __init__ raises
        self.library = library
        self.device = device
        options = ContextOptions()
        library.check(library.lib.kconv_context_options_init_sized(ctypes.byref(options), ctypes.sizeof(options)),
                      "kconv_context_options_init_sized")
        options.device_ordinal = device
        library.check(library.lib.kconv_context_create(ctypes.byref(options), ctypes.byref(self.handle)),
                      "kconv_context_create")

    def close(self):
        if getattr(self, "handle", None):
            self.library.lib.kconv_context_destroy(self.handle)
            self.handle = ctypes.c_void_p()

    def __del__(self):
        self.close()


def _pair(value):
    return (value, value) if isinstance(value, int) and not isinstance(value, bool) else tuple(value)


def make_desc(library, n, c, h, w, k, r, s, stride=1, padding=0, dilation=1, bias=True, relu=False, math_mode=0,
              element_type=0, layout=0):
    """A descriptor; stride, padding and dilation are ints or (height, width) pairs; math_mode, element_type and
    layout are the C enums' values (kconv_math_mode, kconv_element_type, kconv_layout)."""
    d = ConvDesc()
    library.check(library.lib.kconv_conv_desc_init_sized(ctypes.byref(d), ctypes.sizeof(ConvDesc)),
                  "kconv_conv_desc_init_sized")
    (stride_h, stride_w), (pad_h, pad_w), (dil_h, dil_w) = _pair(stride), _pair(padding), _pair(dilation)
    fields = dict(n=n, c=c, h=h, w=w, k=k, r=r, s=s, stride_h=stride_h, stride_w=stride_w, pad_h=pad_h,
                  pad_w=pad_w, dil_h=dil_h, dil_w=dil_w)
    for name, value in fields.items():
        setattr(d, name, _int64(name, value))
    d.has_bias, d.relu = int(bias), int(relu)
    d.math_mode, d.element_type, d.layout = int(math_mode), int(element_type), int(layout)
    return d


def output_shape(library, desc):
    dims = (ctypes.c_int64 * 4)()
    library.check(library.lib.kconv_conv_output_shape(ctypes.byref(desc), dims), "kconv_conv_output_shape")
    return tuple(dims)


class Plan:
    def __init__(self, context, desc, config=None):
        self.handle = ctypes.c_void_p()  # first: __del__ runs even when the rest of __init__ raises
        self.library = context.library
        self.context = context  # keeps the context alive as long as the plan
        options = PlanOptions()
        self.library.check(self.library.lib.kconv_plan_options_init_sized(ctypes.byref(options),
                                                                          ctypes.sizeof(PlanOptions)),
                           "kconv_plan_options_init_sized")
        options.config_name = _config_name(config)
        self.library.check(self.library.lib.kconv_plan_create(context.handle, ctypes.byref(desc), ctypes.byref(options),
                                                              ctypes.byref(self.handle)), "kconv_plan_create")

    def set_weights(self, w_ptr, stream=None):
        self.library.check(self.library.lib.kconv_plan_set_weights(self.handle, _pointer("w", w_ptr), _stream(stream)),
                           "kconv_plan_set_weights")

    def execute_checked_pointers(self, x_ptr, w_ptr, bias_ptr, y_ptr, stream):
        """execute() for callers whose pointers are ints from tensors already (the tensor API): no checks of
        their Python types, which cost as much as the launch at batch 1."""
        status = self.library.lib.kconv_plan_execute(self.handle, x_ptr, w_ptr, bias_ptr, y_ptr, stream or None)
        if status != OK:
            self.library.check(status, "kconv_plan_execute")

    def execute(self, x_ptr, w_ptr, bias_ptr, y_ptr, stream=None):
        self.library.check(self.library.lib.kconv_plan_execute(self.handle, _pointer("x", x_ptr), _pointer("w", w_ptr),
                                                               _pointer("bias", bias_ptr), _pointer("y", y_ptr),
                                                               _stream(stream)), "kconv_plan_execute")

    def info(self):
        info = PlanInfo()
        info.struct_size = ctypes.sizeof(PlanInfo)
        self.library.check(self.library.lib.kconv_plan_get_info(self.handle, ctypes.byref(info)), "kconv_plan_get_info")
        return info

    def describe(self):
        buffer = ctypes.create_string_buffer(512)
        self.library.lib.kconv_plan_describe(self.handle, buffer, 512)
        return buffer.value.decode()

    def close(self):
        if getattr(self, "handle", None):
            self.library.lib.kconv_plan_destroy(self.handle)
            self.handle = ctypes.c_void_p()

    def __del__(self):
        self.close()
