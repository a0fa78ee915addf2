# SPDX-License-Identifier: Apache-2.0
"""AlexNet conv1 on every visible GPU at once against one GPU alone: the throughput of the process's devices.

Each device gets its own kconv context, plan (weights bound once), tensors and a Python thread that
enqueues --calls back-to-back executions on PyTorch's current stream of that device (ctypes releases the
GIL during the call, so the threads launch in parallel). Steady state, not cold-cache latency: no L2 flush
between calls, since a server streams batches. Timed twice: device 0 alone, then every device together,
each from a synchronised start to the last device's completion (wall clock), with CUDA events per device
as well. Each device's output is checked against a float64 reference once. Prints one table and writes it
as JSON to <--out>/<gpu>_multi_gpu.json.

Usage: python3 bench/multi_gpu_throughput.py --lib path/to/libkconv.so [--n 256] [--calls 200] [--devices 2]
"""
import argparse
import os
import sys
import threading
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import compare_torch  # noqa: E402
import kconv  # noqa: E402


class DeviceRun:
    """One device's tensors, context and plan."""

    def __init__(self, library, device, n):
        self.device = device
        with torch.cuda.device(device):
            self.x = torch.rand(n, 3, 224, 224, device=device)
            self.w = torch.rand(96, 3, 11, 11, device=device) - 0.5
            self.b = torch.rand(96, device=device)
            self.y = torch.full((n, 96, 55, 55), float("nan"), device=device)
            self.stream = torch.cuda.current_stream(device)
            self.context = kconv.Context(library, device)
            desc = kconv.make_desc(library, n, 3, 224, 224, 96, 11, 11, stride=4, padding=2, bias=True)
            self.plan = kconv.Plan(self.context, desc)
            self.plan.set_weights(self.w.data_ptr(), self.stream.cuda_stream)
            self.start = torch.cuda.Event(enable_timing=True)
            self.stop = torch.cuda.Event(enable_timing=True)

    def launch(self, calls):
        raw = self.stream.cuda_stream
        with torch.cuda.device(self.device):
            self.start.record(self.stream)
            for _ in range(calls):
                self.plan.execute_checked_pointers(self.x.data_ptr(), 0, self.b.data_ptr(), self.y.data_ptr(), raw)
            self.stop.record(self.stream)

    def check(self):
        with torch.cuda.device(self.device):
            ref = F.conv2d(self.x.double(), self.w.double(), self.b.double(), stride=4, padding=2)
            return compare_torch.rel_l2(self.y, ref)


def timed(runs, calls):
    """Wall-clock seconds for every run in `runs` to do `calls` executions at once, each on its own thread."""
    for r in runs:
        torch.cuda.synchronize(r.device)
    threads = [threading.Thread(target=r.launch, args=(calls,)) for r in runs]
    begin = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in runs:
        torch.cuda.synchronize(r.device)
    return time.perf_counter() - begin


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--devices", type=int, default=torch.cuda.device_count())
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = ap.parse_args()
    devices = min(args.devices, torch.cuda.device_count())
    library = kconv.Library(args.lib)
    runs = [DeviceRun(library, d, args.n) for d in range(devices)]
    for r in runs:
        timed([r], 10)  # warm-up: modules loaded, clocks up
    rows = []
    for group in ([runs[0]], runs) if devices > 1 else ([runs[0]],):
        seconds = timed(group, args.calls)
        per_device_us = [r.start.elapsed_time(r.stop) * 1000.0 / args.calls for r in group]
        images_per_s = len(group) * args.calls * args.n / seconds
        rows.append({"devices": len(group), "wall_s": seconds, "images_per_s": images_per_s,
                     "us_per_call_per_device": per_device_us})
    errors = [r.check() for r in runs]
    gpu = torch.cuda.get_device_name(0)
    print(f"AlexNet conv1 N = {args.n}, {args.calls} calls per device, TF32, {gpu} x {devices}")
    print(f"{'devices':>8} {'wall s':>8} {'images/s':>12} {'us/call per device':>30}")
    for row in rows:
        per = " ".join(f"{us:.1f}" for us in row["us_per_call_per_device"])
        print(f"{row['devices']:>8} {row['wall_s']:>8.3f} {row['images_per_s']:>12.0f} {per:>30}")
    if len(rows) == 2:
        print(f"throughput of {devices} devices against one: {rows[1]['images_per_s'] / rows[0]['images_per_s']:.2f}x")
    print("relative L2 against float64 per device:", " ".join(f"{e:.2e}" for e in errors))
    compare_torch.write_json(args, gpu.replace(" ", "_") + "_multi_gpu.json",
                             {"gpu": gpu, "devices": devices, "n": args.n, "calls": args.calls, "rows": rows,
                              "relative_l2": errors, "library": library.version})


if __name__ == "__main__":
    main()
