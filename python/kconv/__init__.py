# SPDX-License-Identifier: Apache-2.0
"""kconv: fast convolution forward passes for the first layers of vision networks.

    y = kconv.conv2d(x, weight, bias, stride=4, padding=2)   # torch CUDA/CPU tensors, numpy arrays
    model = kconv.torch.convert(model)                         # nn.Conv2d -> kconv.torch.Conv2d

kconv.torch (the custom op torch.ops.kconv.conv2d, Conv2d, convert) is imported on first use.
"""
from ._autotune import autotune
from ._conv2d import conv2d
from ._native import (Context, ConvDesc, Error, KconvError, Library, Plan, _pointer, _stream,  # noqa: F401
                      default_library_path, make_desc)
from ._runtime import clear_plans

__version__ = "0.4.0"
__all__ = ["conv2d", "autotune", "clear_plans", "Error", "version", "host_default_threads", "torch"]


def version():
    """The loaded libkconv's version string."""
    from . import _runtime
    return _runtime.library().lib.kconv_version_string().decode()


def host_default_threads():
    from . import _runtime
    return _runtime.library().lib.kconv_host_default_threads()


def __getattr__(name):
    # kconv.torch needs torch; import it only when asked, so numpy users do not pay for it.
    if name == "torch":
        import importlib
        return importlib.import_module(".torch", __name__)
    raise AttributeError(f"module 'kconv' has no attribute {name!r}")
