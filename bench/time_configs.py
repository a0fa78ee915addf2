# SPDX-License-Identifier: Apache-2.0
"""Times every kconv config that accepts a stem of bench/stem_suite.py in one math mode (kconv only, cold L2,
median of --runs), and prints kconv's own choice last: to check the planners' choice among new configs.

Usage: python3 bench/time_configs.py --lib path/to/libkconv.so --math 3xtf32 --stem alexnet_224 --n 256 [--only _x3]
       [--dtype fp16] [--layout nhwc]
"""
import argparse
import ctypes
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import compare_torch  # noqa: E402
import kconv  # noqa: E402
import mode_suite  # noqa: E402
import stem_suite  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--math", choices=list(mode_suite.MATH), default="tf32")
    ap.add_argument("--stem", nargs="+", default=["alexnet_224"])
    ap.add_argument("--n", type=int, nargs="+", default=[256])
    ap.add_argument("--only", default="", help="configs whose name contains this")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--dtype", choices=list(mode_suite.DTYPES), default="fp32")
    ap.add_argument("--layout", choices=list(mode_suite.LAYOUTS), default="nchw")
    args = ap.parse_args()
    library = kconv.Library(args.lib)
    context = kconv.Context(library)
    library.lib.kconv_config_name.restype = ctypes.c_char_p
    names = [library.lib.kconv_config_name(i).decode() for i in range(library.lib.kconv_config_count())]
    stems = {s.name: s for s in stem_suite.STEMS}
    stream = torch.cuda.current_stream().cuda_stream
    for stem_name in args.stem:
        stem = stems[stem_name]
        for n in args.n:
            type_id, dtype = mode_suite.DTYPES[args.dtype]
            fmt = torch.channels_last if args.layout == "nhwc" else torch.contiguous_format
            x = torch.rand(n, stem.c, stem.h, stem.w, device="cuda").to(dtype).to(memory_format=fmt)
            w = torch.rand(stem.k, stem.c, stem.r, stem.s, device="cuda").to(dtype)
            b = torch.rand(stem.k, device="cuda")  # fp32 in every element type
            y = torch.empty(n, stem.k, *stem.out_hw(), device="cuda", dtype=dtype).to(memory_format=fmt)
            desc = kconv.make_desc(library, n, stem.c, stem.h, stem.w, stem.k, stem.r, stem.s, stride=stem.stride,
                                   padding=stem.padding, bias=stem.bias, math_mode=mode_suite.MATH[args.math],
                                   element_type=type_id, layout=mode_suite.LAYOUTS[args.layout])
            for name in [c for c in names if args.only in c] + [None]:
                try:
                    plan = kconv.Plan(context, desc, name)
                except kconv.Error:
                    continue  # the config refuses the shape or the mode
                plan.set_weights(w.data_ptr(), stream)
                us = compare_torch.median_us(
                    lambda i: plan.execute(x.data_ptr(), 0, b.data_ptr() if stem.bias else 0, y.data_ptr(), stream),
                    args.runs)
                label = name or f"choice: {plan.describe().split(' on ')[0]}"
                mode = f"{args.math} {args.dtype} {args.layout}"
                print(f"{stem_name:16} N={n:<4} {mode:17} {label:48} {us:9.1f} us", flush=True)
                plan.close()


if __name__ == "__main__":
    main()
