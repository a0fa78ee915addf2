# SPDX-License-Identifier: Apache-2.0
"""The process's kconv state: the library, one context per device, and cached plans per descriptor.

A plan is keyed by every field of its descriptor, the device and the config. It binds weights once and
re-binds them when the weight tensor, its storage or its version counter changes, so weights are never
used stale (a write through `.data`, which PyTorch does not count, is the exception: call
kconv.clear_plans() after one). Inside CUDA graph capture the weights are passed to every execution
instead, since a replay must read the weights of its own time.
"""
import ctypes
import threading
import weakref

from . import _native

_lock = threading.Lock()
_library = None
_contexts = {}
_plans = {}


def library():
    global _library
    with _lock:
        if _library is None:
            _library = _native.Library()
        return _library


def context(device):
    lib = library()
    with _lock:
        ctx = _contexts.get(device)
        if ctx is None:
            ctx = _contexts[device] = _native.Context(lib, device)
        return ctx


def desc_key(desc):
    return tuple(getattr(desc, name) for name, _ in _native.ConvDesc._fields_[1:])


class CachedPlan:
    """A plan and the identity of the weights bound to it: the tensor object (a weak reference, so a new
    tensor that the allocator places at a freed one's address is not mistaken for it), its address and
    its version counter (bumped by every in-place write)."""

    def __init__(self, plan):
        self.plan = plan
        self.lock = threading.Lock()
        self.bound = None  # (weakref to the weight tensor, data_ptr, version)
        self.kept = None  # the [K][C][R][S] copy bound in its place, for weights stored otherwise

    def _is_bound(self, weight, w_ptr):
        if self.bound is None:
            return False
        ref, ptr, version = self.bound
        return ref() is weight and ptr == w_ptr and version == weight._version

    def run(self, x_ptr, weight, w_ptr, bias_ptr, y_ptr, stream, capturing, kcrs=None):
        """kcrs: None when `weight` is stored [K][C][R][S] at w_ptr; otherwise a function returning such a copy
        (a channels_last weight), called only when the weights are (re)bound or passed to a captured run."""
        with self.lock:
            if capturing or not hasattr(weight, "_version"):
                # A captured graph must read the weights of its replay; other arrays have no version
                # counter. Both pass the weights to every execution.
                copy = kcrs() if kcrs is not None else None
                self.plan.execute_checked_pointers(x_ptr, copy.data_ptr() if copy is not None else w_ptr, bias_ptr,
                                                   y_ptr, stream)
                return
            if not self._is_bound(weight, w_ptr):
                copy = kcrs() if kcrs is not None else None
                # A plan that does not re-lay out its weights reads them at every run: keep the copy alive.
                self.kept = copy
                self.plan.set_weights(copy.data_ptr() if copy is not None else w_ptr, stream)
                self.bound = (weakref.ref(weight), w_ptr, weight._version)
            self.plan.execute_checked_pointers(x_ptr, 0, bias_ptr, y_ptr, stream)


def plan(desc, device, config=None):
    key = (desc_key(desc), device, config)
    with _lock:
        cached = _plans.get(key)
    if cached is not None:
        return cached
    ctx = context(device)
    made = CachedPlan(_native.Plan(ctx, desc, config))
    with _lock:
        return _plans.setdefault(key, made)


def clear_plans():
    """Drops every cached plan (their device memory with them)."""
    from . import _conv2d

    with _lock:
        _plans.clear()
        _conv2d._by_arguments.clear()


def host_forward(desc, x_ptr, w_ptr, b_ptr, y_ptr, threads):
    lib = library()
    options = _native.HostOptions()
    lib.check(lib.lib.kconv_host_options_init_sized(ctypes.byref(options), ctypes.sizeof(options)),
              "kconv_host_options_init_sized")
    options.threads = threads
    fp = ctypes.POINTER(ctypes.c_float)
    cast = lambda p: ctypes.cast(p, fp) if p else None  # noqa: E731
    lib.check(lib.lib.kconv_forward_host_with_options(ctypes.byref(desc), cast(x_ptr), cast(w_ptr), cast(b_ptr),
                                                      cast(y_ptr), ctypes.byref(options), None),
              "kconv_forward_host")
