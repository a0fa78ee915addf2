# SPDX-License-Identifier: Apache-2.0
"""Where a block of the Hopper stem kernel spends its time on a stem (AlexNet conv1 unless --shape says
another): reads the per-block stamps that a build with -DKCONV_TIMELINE (KCONV_NVCC_FLAGS) writes past the
end of the output (%clock64, and %globaltimer at each block's start and end to line the blocks up), and
prints, per stamp, the median and the range over blocks in microseconds after the earliest block's start.

Usage (GPU machine): python3 bench/timeline.py --lib path/to/timeline-build/libkconv.so --n 1 [--config NAME]
                    [--dtype fp32|fp16|bf16] [--shape alexnet|resnet|convnext|mobilenet|vgg] [--layout nchw|nhwc]
Stamps (families/stem_wgmma_tf32/kernel.cuh): see NAMES; "tile 0" and "tile 1" are the block's first two tiles, as the
consumer warp 0 sees them (band ready: its wait returned; staged: accumulators in shared memory, before the
global writes). Slots 16-27 are ping-pong's (16-bit pair-row tiles): per tile and warpgroup, its math done,
its half staged and its half written.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import kconv  # noqa: E402
from compare_torch import flush_l2  # noqa: E402

NAMES = ["block start", "barriers initialised", "tile 0 band ready", "tile 0 math done", "tile 0 staged",
         "tile 0 written", "block done", "tile 0 last weight stage issued", "band warp 0 copied tile 0",
         "tile 1 band ready", "tile 1 math done", "tile 1 staged", "tile 1 written", "band warp 0 copied tile 1",
         None, None]  # 14 and 15: the block's %globaltimer at start and end
NAMES += [f"pp tile {t} wg {g} {step}" for t in (0, 1) for g in (0, 1) for step in ("math done", "staged", "written")]
SLOTS = 32  # u64 stamps per block (kernel.cuh's TimelineStamp)
# (c, h, w, k, r, s, stride, padding, bias) of the stems the probe knows
SHAPES = {"alexnet": (3, 224, 224, 96, 11, 11, 4, 2, True), "resnet": (3, 224, 224, 64, 7, 7, 2, 3, False),
          "convnext": (3, 224, 224, 96, 4, 4, 4, 0, True), "mobilenet": (3, 224, 224, 32, 3, 3, 2, 1, False),
          "vgg": (3, 224, 224, 64, 3, 3, 1, 1, True)}
ELEMENT_TYPES = {"fp32": (torch.float32, 0), "fp16": (torch.float16, 1), "bf16": (torch.bfloat16, 2)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--n", type=int, default=1)
    ap.add_argument("--config")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--dtype", choices=sorted(ELEMENT_TYPES), default="fp32")
    ap.add_argument("--shape", choices=sorted(SHAPES), default="alexnet")
    ap.add_argument("--layout", choices=["nchw", "nhwc"], default="nchw")
    ap.add_argument("--warm", action="store_true",
                    help="no L2 flush before each run (the code and the tensors stay in L2 from the last run)")
    ap.add_argument("--warm-code", action="store_true",
                    help="after the flush, run the kernel once on other tensors and weights: its code is in L2, "
                         "the timed run's data is not")
    args = ap.parse_args()
    library = kconv.Library(args.lib)
    context = kconv.Context(library)
    n = args.n
    dtype, element_type = ELEMENT_TYPES[args.dtype]

    c, h, wd, k, r, s, stride, padding, bias = SHAPES[args.shape]
    layout = 1 if args.layout == "nhwc" else 0
    p, q = (h + 2 * padding - r) // stride + 1, (wd + 2 * padding - s) // stride + 1

    def desc():
        return kconv.make_desc(library, n, c, h, wd, k, r, s, stride=stride, padding=padding, bias=bias,
                               element_type=element_type, layout=layout)

    plan = kconv.Plan(context, desc(), args.config)
    grid = plan.info().grid_x
    # The layout only orders the elements; random values in either order are a fair input.
    x = (torch.rand(n, c, h, wd, device="cuda") * 2 - 1).to(dtype)
    w = (torch.rand(k, c, r, s, device="cuda") * 2 - 1).to(dtype)
    b = torch.rand(k, device="cuda") * 2 - 1  # the bias is fp32 in every type
    stream = torch.cuda.current_stream().cuda_stream
    plan.set_weights(w.data_ptr(), stream)
    outputs = n * k * p * q
    assert outputs % 2 == 0, "the stamps (u64) start right after the output"
    # The stamps start `outputs` floats in, whatever the type (a 16-bit output fills the first half of that).
    y = torch.zeros(outputs + grid * SLOTS * 2, device="cuda")
    if args.warm_code:
        other = kconv.Plan(context, desc(), args.config)
        x2, w2, b2, y2 = torch.rand_like(x), torch.rand_like(w), torch.rand_like(b), torch.zeros_like(y)
        other.set_weights(w2.data_ptr(), stream)
    runs = []
    for _ in range(args.runs):
        if not args.warm:
            flush_l2()  # as compare_torch.py times: cold L2
        if args.warm_code:
            other.execute(x2.data_ptr(), 0, b2.data_ptr() if bias else 0, y2.data_ptr(), stream)
        plan.execute(x.data_ptr(), 0, b.data_ptr() if bias else 0, y.data_ptr(), stream)
        torch.cuda.synchronize()
        runs.append(y[outputs:].view(torch.int64).view(grid, SLOTS).cpu())
    raw = runs[len(runs) // 2].double()
    # Cycles per ns from each block's clock and timer over its whole run (the timer ticks in ~256 ns steps).
    rate = ((raw[:, 6] - raw[:, 0]) / (raw[:, 15] - raw[:, 14]).clamp(min=1)).median()
    t0 = raw[:, 14].min()
    stamps = torch.zeros_like(raw)
    for slot in [*range(14), *range(16, SLOTS)]:
        stamps[:, slot] = torch.where(raw[:, slot] > 0, raw[:, 14] + (raw[:, slot] - raw[:, 0]) / rate, 0)
    print(f"{plan.describe()}; N = {n}; {grid} blocks; stamps of run {len(runs) // 2} of {args.runs}, "
          f"us after the first block's start ({rate.item():.2f} cycles/ns)")
    print(f"{'stamp':<28} {'min':>7} {'median':>7} {'max':>7}")
    for slot, name in enumerate(NAMES):
        col = stamps[:, slot][raw[:, slot] > 0]
        if name is None or len(col) == 0:
            continue
        rel = (col - t0) / 1000.0
        print(f"{name:<28} {rel.min().item():>7.2f} {rel.median().item():>7.2f} {rel.max().item():>7.2f}")
    done = [((s[:, 15].double().max() - s[:, 14].double().min()) / 1000.0).item() for s in runs]
    done.sort()
    print(f"first block start to last block done, median of {args.runs} runs: {done[len(done) // 2]:.2f} us")


if __name__ == "__main__":
    main()
