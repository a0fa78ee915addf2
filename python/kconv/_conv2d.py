# SPDX-License-Identifier: Apache-2.0
"""kconv.conv2d: tensors in, tensor out, with PyTorch's argument conventions.

CUDA tensors run on the tensor's device and PyTorch's current stream there; CPU tensors and numpy arrays
take the host path. Other frameworks' GPU arrays come in through DLPack or __cuda_array_interface__
(wrapped by PyTorch without a copy). On CUDA, x and weight are float32, float16 or bfloat16 (the same type;
y comes in it too, the bias is read as float32), and x may be channels_last (NHWC: y is channels_last too).
The host path computes float32 NCHW. Other dtypes are refused, not converted.
"""
from . import _args, _native, _runtime

INVALID_ARGUMENT = 3
_by_arguments = {}  # CUDA calls' arguments -> (output shape, device ordinal, cached plan)


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _invalid(message):
    return _native.Error(INVALID_ARGUMENT, f"kconv.conv2d: {message}")


ELEMENT_TYPES = {"torch.float32": 0, "torch.float16": 1, "torch.bfloat16": 2}


def _describe(x_shape, w_shape, has_bias, bias_len, stride, padding, dilation, relu, math, element_type=0,
              layout=0):
    if len(x_shape) != 4:
        raise _invalid(f"x must be 4-D (N, C, H, W), got shape {tuple(x_shape)}")
    if len(w_shape) != 4:
        raise _invalid(f"weight must be 4-D (K, C, R, S), got shape {tuple(w_shape)}")
    n, c, h, w = x_shape
    k, wc, r, s = w_shape
    if wc != c:
        raise _invalid(f"weight has {wc} input channels, x has {c} (groups are not supported)")
    if has_bias and bias_len != k:
        raise _invalid(f"bias has {bias_len} elements, weight has {k} output channels")
    stride = _args.pair("stride", stride, 1)
    dilation = _args.pair("dilation", dilation, 1)
    padding = _args.padding_pair(padding, (r, s), stride, dilation)
    lib = _runtime.library()
    desc = _native.make_desc(lib, n, c, h, w, k, r, s, stride, padding, dilation, bias=has_bias, relu=relu,
                             math_mode=_args.math_mode(math), element_type=element_type, layout=layout)
    return desc, _native.output_shape(lib, desc)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, relu=False, math="tf32", *, threads=0,
           config=None):
    """y = conv2d(x, weight) + bias, ReLU'd when relu=True.

    x (N, C, H, W), weight (K, C, R, S), bias (K,) or None: torch tensors (CUDA or CPU), numpy arrays, or
    GPU arrays of another framework (DLPack / __cuda_array_interface__; the result is then a torch tensor).
    stride, padding and dilation are ints or (height, width) pairs; padding may also be "valid" or "same".
    math: "tf32" (TF32 tensor cores, fp32 accumulation: PyTorch's default for convolutions), "3xtf32"
    (fp32-accurate on tensor cores, ~1e-6), or "fp32" (strict fp32 FFMA); for float16 and bfloat16 tensors all
    three compute the same, and the host path always computes in fp32. threads: the host path's threads (0:
    kconv's default). config: force a kernel config by name (GPU).
    Returns y (N, K, P, Q) of the same kind and device as x. Raises kconv.Error.
    """
    import numpy as np  # here, not at import: the ctypes layer (kconv.Library, ...) works without numpy

    torch = _torch()
    if torch is not None and not isinstance(x, torch.Tensor) and not isinstance(x, np.ndarray):
        if hasattr(x, "__cuda_array_interface__") or hasattr(x, "__dlpack__"):
            wrap = torch.from_dlpack if hasattr(x, "__dlpack__") else torch.as_tensor
            x, weight = wrap(x), wrap(weight)
            bias = wrap(bias) if bias is not None else None
    if torch is not None and isinstance(x, torch.Tensor):
        return _conv2d_torch(torch, x, weight, bias, stride, padding, dilation, relu, math, threads, config)
    return _conv2d_numpy(x, weight, bias, stride, padding, dilation, relu, math, threads)


def _conv2d_numpy(x, weight, bias, stride, padding, dilation, relu, math, threads):
    import numpy as np

    arrays = {"x": x, "weight": weight, "bias": bias}
    for name, value in arrays.items():
        if value is not None and getattr(value, "dtype", np.float32) != np.float32:
            raise _invalid(f"{name} is {value.dtype}; the host path computes fp32 only")
    x = np.ascontiguousarray(x, dtype=np.float32)
    weight = np.ascontiguousarray(weight, dtype=np.float32)
    bias = np.ascontiguousarray(bias, dtype=np.float32) if bias is not None else None
    desc, shape = _describe(x.shape, weight.shape, bias is not None, bias.size if bias is not None else 0, stride,
                            padding, dilation, relu, math)
    y = np.empty(shape, dtype=np.float32)
    _runtime.host_forward(desc, x.ctypes.data, weight.ctypes.data, bias.ctypes.data if bias is not None else 0,
                          y.ctypes.data, threads)
    return y


def _conv2d_torch(torch, x, weight, bias, stride, padding, dilation, relu, math, threads, config):
    for name, value in (("x", x), ("weight", weight), ("bias", bias)):
        if value is None:
            continue
        if not isinstance(value, torch.Tensor):
            raise _invalid(f"{name} must be a torch.Tensor like x, got {type(value).__name__}")
        if value.device != x.device:
            raise _invalid(f"{name} is on {value.device}, x on {x.device}")
    cuda = x.device.type == "cuda"
    element_type = ELEMENT_TYPES.get(str(x.dtype)) if cuda else (0 if x.dtype == torch.float32 else None)
    if element_type is None:
        raise _invalid(f"x is {x.dtype}; kconv computes float32, float16 and bfloat16 tensors on CUDA, float32 on "
                       "the CPU")
    if weight.dtype != x.dtype:
        raise _invalid(f"weight is {weight.dtype}, x {x.dtype}: they must be the same type")
    if bias is not None and not bias.dtype.is_floating_point:
        raise _invalid(f"bias is {bias.dtype}; it must be a floating-point tensor")
    # NHWC when x is channels_last and not also plain contiguous (then NCHW reads it the same).
    layout = 1 if cuda and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last) else 0
    if layout == 0:
        x = x.contiguous()
    kcrs = None if weight.is_contiguous() else weight.contiguous  # bound copies: CachedPlan.run
    if not cuda:
        weight = weight.contiguous()
    if bias is not None:
        bias = bias.contiguous() if bias.dtype == torch.float32 else bias.float()  # kconv reads a float32 bias
    bias_ptr = bias.data_ptr() if bias is not None else 0
    if x.device.type == "cpu":
        desc, shape = _describe(tuple(x.shape), tuple(weight.shape), bias is not None,
                                bias.numel() if bias is not None else 0, stride, padding, dilation, relu, math)
        y = torch.empty(shape, dtype=torch.float32)
        _runtime.host_forward(desc, x.data_ptr(), weight.data_ptr(), bias_ptr, y.data_ptr(), threads)
        return y
    if x.device.type != "cuda":
        raise _invalid(f"x is on {x.device}; kconv runs on CUDA devices and the CPU")
    # The call's descriptor, output shape and plan, looked up by its arguments: a repeated call (every
    # forward of a model) skips the validation and the library calls that made them.
    key = (x.shape, weight.shape, bias is None or bias.shape, stride, padding, dilation, relu, math, x.device, config,
           x.dtype, layout)
    try:
        entry = _by_arguments.get(key)
    except TypeError:  # unhashable arguments (lists): no shortcut
        key, entry = None, None
    if entry is None:
        desc, shape = _describe(tuple(x.shape), tuple(weight.shape), bias is not None,
                                bias.numel() if bias is not None else 0, stride, padding, dilation, relu, math,
                                element_type, layout)
        if 0 in shape or x.numel() == 0:
            raise _invalid(f"empty tensors: x {tuple(x.shape)}, y {tuple(shape)}")
        device = x.device.index if x.device.index is not None else torch.cuda.current_device()
        entry = (shape, device, _runtime.plan(desc, device, config))
        if key is not None:
            if len(_by_arguments) > 4096:  # many shapes (dynamic input sizes): start over
                _by_arguments.clear()
            _by_arguments[key] = entry
    shape, device, cached = entry
    # Tensor.new_empty takes no memory_format: torch.empty with x's dtype and device does.
    y = torch.empty(shape, dtype=x.dtype, device=x.device,
                    memory_format=torch.channels_last if layout else torch.contiguous_format)
    cached.run(x.data_ptr(), weight, weight.data_ptr(), bias_ptr, y.data_ptr(), _current_stream(torch, device),
               torch.cuda.is_current_stream_capturing(), kcrs)
    return y


def _current_stream(torch, device):
    """PyTorch's current stream on `device` as a raw handle. torch.cuda.current_stream() builds a Stream
    object (~7 µs); the raw query, which Triton uses too, takes well under one."""
    raw = getattr(torch._C, "_cuda_getCurrentRawStream", None)
    return raw(device) if raw is not None else torch.cuda.current_stream(device).cuda_stream
