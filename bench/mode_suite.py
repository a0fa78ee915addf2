# SPDX-License-Identifier: Apache-2.0
"""kconv's math modes, element types and layouts against the matching cuDNN mode, for compare_torch.py --math,
--dtype and --layout.

Each (shape, batch, math, dtype, layout) runs kconv (weights bound once) and PyTorch's conv2d in the same mode on
the same tensors: fp32 with TF32 allowed for "tf32", with allow_tf32 = False for "3xtf32" and "fp32" (cuDNN's
full-fp32 path), fp16/bf16 tensors in their type; NHWC is channels_last. Both are checked against float64 of
the typed values (relative L2) and elementwise against each other (atol = rtol = 1e-4 for the fp32-accurate
modes, 1e-2 for fp16/bf16, as issue 20 asks).
"""
import itertools

import torch
import torch.nn.functional as F

MATH = {"tf32": 0, "3xtf32": 1, "fp32": 2}
DTYPES = {"fp32": (0, torch.float32), "fp16": (1, torch.float16), "bf16": (2, torch.bfloat16)}
LAYOUTS = {"nchw": 0, "nhwc": 1}


def combinations(maths, dtypes, layouts):
    """The modes to run: every math mode for fp32; fp16/bf16 once (every math mode computes the same for them)."""
    for dtype, layout in itertools.product(dtypes, layouts):
        for math in (maths if dtype == "fp32" else maths[:1]):
            yield math, dtype, layout


def measure(stem, n, math, dtype, layout, library, context, kconv, median_us, rel_l2, runs, config=None):
    type_id, torch_dtype = DTYPES[dtype]
    fmt = torch.channels_last if layout == "nhwc" else torch.contiguous_format
    x = (torch.rand(n, stem.c, stem.h, stem.w, device="cuda") * 2 - 1).to(torch_dtype).to(memory_format=fmt)
    w = (torch.rand(stem.k, stem.c, stem.r, stem.s, device="cuda") * 2 - 1).to(torch_dtype)
    b = torch.rand(stem.k, device="cuda") * 2 - 1 if stem.bias else None
    conv = dict(stride=stem.stride, padding=stem.padding)
    ref = F.conv2d(x.double(), w.double(), b.double() if b is not None else None, **conv)

    torch.backends.cudnn.allow_tf32 = math == "tf32"
    w_torch = w.to(memory_format=fmt)
    b_torch = b.to(torch_dtype) if b is not None else None
    torch_out = {}
    torch_us = median_us(lambda i: torch_out.__setitem__(0, F.conv2d(x, w_torch, b_torch, **conv)), runs)
    torch.backends.cudnn.allow_tf32 = True

    desc = kconv.make_desc(library, n, stem.c, stem.h, stem.w, stem.k, stem.r, stem.s, stride=stem.stride,
                           padding=stem.padding, bias=stem.bias, math_mode=MATH[math], element_type=type_id,
                           layout=LAYOUTS[layout])
    try:
        plan = kconv.Plan(context, desc, config)
    except kconv.Error:  # the named config refuses the shape or the mode: kconv's choice
        plan = kconv.Plan(context, desc)
    stream = torch.cuda.current_stream().cuda_stream
    w_kcrs = w.contiguous()  # kconv's weights are [K][C][R][S] in every layout
    plan.set_weights(w_kcrs.data_ptr(), stream)
    y = torch.empty(ref.shape, dtype=torch_dtype, device="cuda").to(memory_format=fmt)
    bias_ptr = b.data_ptr() if b is not None else 0

    def run(i):
        plan.execute(x.data_ptr(), 0, bias_ptr, y.data_ptr(), stream)

    us = median_us(run, runs, before=lambda: y.fill_(float("nan")))
    y.fill_(float("nan"))
    run(0)
    torch.cuda.synchronize()
    tol = 1e-4 if dtype == "fp32" and math != "tf32" else 1e-2
    outside = (~torch.isclose(y.float(), torch_out[0].float(), atol=tol, rtol=tol)).sum().item() \
        if not (dtype == "fp32" and math == "tf32") else None
    row = {"stem": stem.name, "N": n, "math": math, "dtype": dtype, "layout": layout, "kconv_us": us,
           "cudnn_us": torch_us, "kconv_rel_l2": rel_l2(y, ref), "cudnn_rel_l2": rel_l2(torch_out[0], ref),
           "outside_vs_cudnn": outside, "tolerance": tol, "plan": plan.describe()}
    plan.close()
    return row


def print_table(rows):
    print(f"{'stem':<16} {'N':>4} {'mode':<18} {'kconv us':>9} {'cuDNN us':>9} {'x cuDNN':>8} {'kconv relL2':>11} "
          f"{'cuDNN relL2':>11} {'outside':>8}  plan")
    for r in rows:
        mode = f"{r['dtype']} {r['layout'].upper()} {r['math'] if r['dtype'] == 'fp32' else ''}".strip()
        outside = "-" if r["outside_vs_cudnn"] is None else str(r["outside_vs_cudnn"])
        print(f"{r['stem']:<16} {r['N']:>4} {mode:<18} {r['kconv_us']:>9.1f} {r['cudnn_us']:>9.1f} "
              f"{r['cudnn_us'] / r['kconv_us']:>8.2f} {r['kconv_rel_l2']:>11.2e} {r['cudnn_rel_l2']:>11.2e} "
              f"{outside:>8}  {r['plan']}")
