# SPDX-License-Identifier: Apache-2.0
"""kconv.autotune: times candidate configs for one convolution on its device and keeps the fastest."""
import ctypes

from . import _conv2d, _native, _runtime


def autotune(x, weight, bias=None, stride=1, padding=0, dilation=1, relu=False, math="tf32", *, mode="micro",
             progress=True):
    """Autotunes the convolution of these CUDA tensors (their shapes; they are not written) and returns
    (winner config name, reason). Later kconv.conv2d calls of the same shape on that device use the winner.

    progress: a callable progress(done, total, step); True (the default) for a tqdm bar when tqdm is
    installed; None for nothing. mode: "micro" (the current choice's neighbours) or "full" (every config)."""
    import torch

    if not (isinstance(x, torch.Tensor) and x.is_cuda):
        raise _conv2d._invalid("autotune needs CUDA tensors")
    desc, _ = _conv2d._describe(tuple(x.shape), tuple(weight.shape), bias is not None,
                                bias.numel() if bias is not None else 0, stride, padding, dilation, relu, math)
    device = x.device.index if x.device.index is not None else torch.cuda.current_device()
    ctx = _runtime.context(device)
    lib = ctx.library
    options = _native.AutotuneOptions()
    lib.check(lib.lib.kconv_autotune_options_init_sized(ctypes.byref(options), ctypes.sizeof(options)),
              "kconv_autotune_options_init_sized")
    if mode not in ("micro", "full"):
        raise ValueError(f"mode must be 'micro' or 'full', got {mode!r}")
    options.mode = 0 if mode == "micro" else 1
    bar = None
    if progress is True:
        try:
            from tqdm import tqdm
            bar = tqdm(desc="kconv autotune", unit="step")
        except ImportError:
            bar = None
        progress = None
        if bar is not None:
            def progress(done, total, step):
                bar.total = total
                bar.n = done
                bar.set_postfix_str(step)
                bar.refresh()
    errors = []

    def trampoline(_, done, total, step):
        try:
            progress(done, total, step.decode() if step else "")
        except Exception as e:  # an exception must not cross the C boundary: re-raised after the call
            errors.append(e)

    callback = _native.PROGRESS_FN(trampoline) if progress is not None else _native.PROGRESS_FN()
    options.progress = callback
    report = ctypes.c_void_p()
    stream = torch.cuda.current_stream(x.device).cuda_stream
    try:
        x, weight = x.contiguous(), weight.contiguous()
        lib.check(lib.lib.kconv_autotune(ctx.handle, ctypes.byref(desc), ctypes.byref(options), x.data_ptr(),
                                         weight.data_ptr(), bias.contiguous().data_ptr() if bias is not None else 0,
                                         0, stream, ctypes.byref(report)), "kconv_autotune")
        winner = lib.lib.kconv_autotune_report_winner(report).decode()
        reason = lib.lib.kconv_autotune_report_reason(report).decode()
    finally:
        if report:
            lib.lib.kconv_autotune_report_destroy(report)
        if bar is not None:
            bar.close()
    if errors:
        raise errors[0]
    _runtime.clear_plans()  # plans made before now were of the previous choice
    return winner, reason
