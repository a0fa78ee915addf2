# SPDX-License-Identifier: Apache-2.0
"""ctypes binding of libkconv: contexts, plans and the one-shot forward on device pointers.

Works with any framework that exposes device pointers and CUDA streams (PyTorch: tensor.data_ptr() and
torch.cuda.current_stream().cuda_stream). Every failing call raises KconvError with the library's message.
"""
import ctypes
import os

OK = 0


class KconvError(RuntimeError):
    pass


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


class PlanOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("config_name", ctypes.c_char_p)]


class PlanInfo(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("family", ctypes.c_char_p), ("config", ctypes.c_char_p)] + [
        (name, ctypes.c_int32)
        for name in ("block_m", "block_n", "block_k", "warps", "stages", "arch", "is_ptx", "device_cc")
    ] + [("grid_x", ctypes.c_int64), ("grid_y", ctypes.c_int64), ("threads_per_block", ctypes.c_int32),
         ("shared_bytes", ctypes.c_int32), ("packed_weight_bytes", ctypes.c_int64)]


def _load(path=None):
    path = path or os.environ.get("KCONV_LIBRARY", "libkconv.so")
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
    return lib


class Library:
    def __init__(self, path=None):
        self.lib = _load(path)

    def check(self, status, what):
        if status != OK:
            # The library's message starts with the failing function's name.
            raise KconvError(f"{self.lib.kconv_status_string(status).decode()}: "
                             f"{self.lib.kconv_last_error_message().decode() or what}")

    @property
    def version(self):
        return self.lib.kconv_version_string().decode()


class Context:
    def __init__(self, library):
        self.handle = ctypes.c_void_p()  # first: __del__ runs even when the rest of __init__ raises
        self.library = library
        library.check(library.lib.kconv_context_create(None, ctypes.byref(self.handle)), "kconv_context_create")

    def close(self):
        if getattr(self, "handle", None):
            self.library.lib.kconv_context_destroy(self.handle)
            self.handle = ctypes.c_void_p()

    def __del__(self):
        self.close()


def make_desc(library, n, c, h, w, k, r, s, stride=1, padding=0, dilation=1, bias=True, relu=False):
    d = ConvDesc()
    library.check(library.lib.kconv_conv_desc_init_sized(ctypes.byref(d), ctypes.sizeof(ConvDesc)),
                  "kconv_conv_desc_init_sized")
    for name, value in dict(n=n, c=c, h=h, w=w, k=k, r=r, s=s, stride=stride, padding=padding,
                            dilation=dilation).items():
        _int64(name, value)
    d.n, d.c, d.h, d.w, d.k, d.r, d.s = n, c, h, w, k, r, s
    d.stride_h = d.stride_w = stride
    d.pad_h = d.pad_w = padding
    d.dil_h = d.dil_w = dilation
    d.has_bias, d.relu = int(bias), int(relu)
    return d


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
