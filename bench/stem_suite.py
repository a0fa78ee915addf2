# SPDX-License-Identifier: Apache-2.0
"""The stems of issue 17 and their measurement against cuDNN, for compare_torch.py --suite stems.

Each stem runs at its batches: kconv (weights bound once), cuDNN TF32 in NCHW and channels_last, and, as an
information column, cuDNN's fastest of fp32/fp16/bf16 x NCHW/NHWC (TF32 allowed for fp32). kconv's output
is checked against a float64 reference on its first two images.
"""
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Stem:
    name: str
    c: int
    h: int
    w: int
    k: int
    r: int
    s: int
    stride: tuple
    padding: tuple
    bias: bool
    batches: tuple

    def out_hw(self):
        p = (self.h + 2 * self.padding[0] - self.r) // self.stride[0] + 1
        q = (self.w + 2 * self.padding[1] - self.s) // self.stride[1] + 1
        return p, q


STEMS = [
    Stem("resnet_7x7s2", 3, 224, 224, 64, 7, 7, (2, 2), (3, 3), False, (1, 64, 256)),
    Stem("mobilenet_3x3s2", 3, 224, 224, 32, 3, 3, (2, 2), (1, 1), False, (1, 64, 256)),
    Stem("vgg_3x3s1", 3, 224, 224, 64, 3, 3, (1, 1), (1, 1), True, (1, 16, 64)),
    Stem("convnext_4x4s4", 3, 224, 224, 96, 4, 4, (4, 4), (0, 0), True, (1, 64, 256)),
    Stem("swin_4x4s4", 3, 224, 224, 128, 4, 4, (4, 4), (0, 0), True, (1, 64, 256)),
    Stem("vit_b16", 3, 224, 224, 768, 16, 16, (16, 16), (0, 0), True, (1, 64, 256)),
    Stem("alexnet_1080p", 3, 1080, 1920, 96, 11, 11, (4, 4), (2, 2), True, (1, 8)),
    Stem("alexnet_224", 3, 224, 224, 96, 11, 11, (4, 4), (2, 2), True, (1, 32, 256)),
]


def cudnn_best(x, w, b, stem, median_us, runs):
    """cuDNN's fastest of fp32 (TF32) / fp16 / bf16 x NCHW / NHWC: (us, "dtype layout")."""
    best = None
    for dtype in (torch.float32, torch.float16, torch.bfloat16):
        for layout in ("NCHW", "NHWC"):
            fmt = torch.channels_last if layout == "NHWC" else torch.contiguous_format
            xs = x.to(dtype=dtype, memory_format=fmt)
            ws = w.to(dtype=dtype, memory_format=fmt)
            bs = b.to(dtype) if b is not None else None
            us = median_us(lambda i: F.conv2d(xs, ws, bs, stride=stem.stride, padding=stem.padding), runs)
            name = f"{str(dtype).replace('torch.', '')} {layout}"
            if best is None or us < best[0]:
                best = (us, name)
    return best


def measure(stem, n, library, context, kconv, median_us, rel_l2, runs, copy_gbps, tf32_tflops):
    """One row of the suite: every contender's median time for `stem` at batch `n`."""
    p, q = stem.out_hw()
    x = torch.rand(n, stem.c, stem.h, stem.w, device="cuda") * 2 - 1
    w = torch.rand(stem.k, stem.c, stem.r, stem.s, device="cuda") * 2 - 1
    b = torch.rand(stem.k, device="cuda") * 2 - 1 if stem.bias else None
    row = {"stem": stem.name, "N": n}
    conv = lambda xs, ws: F.conv2d(xs, ws, b, stride=stem.stride, padding=stem.padding)  # noqa: E731
    row["cudnn_nchw"] = {"us": median_us(lambda i: conv(x, w), runs)}
    xl, wl = x.to(memory_format=torch.channels_last), w.to(memory_format=torch.channels_last)
    row["cudnn_channels_last"] = {"us": median_us(lambda i: conv(xl, wl), runs)}
    best_us, best_name = cudnn_best(x, w, b, stem, median_us, max(runs // 3, 10))
    row["cudnn_best"] = {"us": best_us, "format": best_name}
    del xl, wl

    desc = kconv.make_desc(library, n, stem.c, stem.h, stem.w, stem.k, stem.r, stem.s, bias=stem.bias)
    desc.stride_h, desc.stride_w = stem.stride
    desc.pad_h, desc.pad_w = stem.padding
    plan = kconv.Plan(context, desc)
    stream = torch.cuda.current_stream().cuda_stream
    plan.set_weights(w.data_ptr(), stream)
    y = torch.empty(n, stem.k, p, q, device="cuda")
    run = lambda i: plan.execute(x.data_ptr(), 0, b.data_ptr() if b is not None else 0, y.data_ptr(), stream)  # noqa
    us = median_us(run, runs, before=lambda: y.fill_(float("nan")))
    y.fill_(float("nan"))
    run(0)
    torch.cuda.synchronize()
    m = min(n, 2)  # the float64 reference on the first images only: it is slow
    ref = F.conv2d(x[:m].double(), w.double(), b.double() if b is not None else None, stride=stem.stride,
                   padding=stem.padding)
    row["kconv"] = {"us": us, "rel_l2": rel_l2(y[:m], ref), "plan": plan.describe()}
    plan.close()
    bytes_moved = 4.0 * (x.numel() + y.numel())
    flops = 2.0 * y.numel() * stem.c * stem.r * stem.s
    row["floor_us"] = max(bytes_moved / (copy_gbps * 1e9), flops / (tf32_tflops * 1e12)) * 1e6
    return row


def print_table(rows):
    print(f"{'stem':<16} {'N':>4} {'kconv us':>9} {'NCHW us':>9} {'NHWC us':>9} {'best us':>9} {'best':>14} "
          f"{'x NCHW':>7} {'x best':>7} {'floor us':>9} {'relL2':>9}  plan")
    for r in rows:
        k = r["kconv"]["us"]
        print(f"{r['stem']:<16} {r['N']:>4} {k:>9.1f} {r['cudnn_nchw']['us']:>9.1f} "
              f"{r['cudnn_channels_last']['us']:>9.1f} {r['cudnn_best']['us']:>9.1f} {r['cudnn_best']['format']:>14} "
              f"{r['cudnn_nchw']['us'] / k:>7.2f} {r['cudnn_best']['us'] / k:>7.2f} {r['floor_us']:>9.1f} "
              f"{r['kconv']['rel_l2']:>9.2e}  {r['kconv']['plan'].split(' on ')[0]}")
