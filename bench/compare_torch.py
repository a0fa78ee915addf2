# SPDX-License-Identifier: Apache-2.0
"""kconv against PyTorch (cuDNN) and the Triton start on identical tensors, on the GPU machine.

For each batch size of AlexNet conv1: PyTorch F.conv2d with TF32 (NCHW and channels_last), the starting
Triton kernel (if --triton points at it), and kconv through its ctypes binding with the weights bound
once. Every output is checked against a float64 reference. Times are medians of CUDA-event-timed runs
after warm-up, inputs alternating between two random sets, kconv's output poisoned with NaN before each
run. Before every timed run, of every contender, a 256 MB write flushes L2, as triton.testing.do_bench
does (the method of the anchors in ../shared/reference/anchors.py): the run starts with a cold cache, and
the GPU is still busy with the flush while the host queues the run, so the events time the device's work,
not the Python call. kconv's call is also timed with the GPU idle at its start event (column "idle"):
that figure adds the ctypes binding's host path. Ceilings measured in the same run: device-to-device
copy bandwidth and the TF32 matmul rate.
Prints one table and writes it as JSON to bench/results/<gpu>.json.

--math, --dtype and --layout (bench/mode_suite.py) measure those modes instead, each against cuDNN in the same
mode, on AlexNet conv1 at --batches and, with --suite stems, on every stem at --stem-batch, into
bench/results/<gpu>_modes.json.

--suite stems (bench/stem_suite.py) measures the first layers of other networks instead, each at its
batches, with cuDNN's fastest dtype and layout as an information column, into bench/results/<gpu>_stems.json.

Usage: python3 bench/compare_torch.py --lib path/to/libkconv.so [--triton path/to/starting_triton_kernel.py]
       python3 bench/compare_torch.py --lib path/to/libkconv.so --suite stems [--only resnet_7x7s2 ...]
"""
import argparse
import importlib.util
import json
import os
import shutil
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import kconv  # noqa: E402
import mode_suite  # noqa: E402
import stem_suite  # noqa: E402


_l2_flush = None


def flush_l2():
    global _l2_flush
    if _l2_flush is None:
        _l2_flush = torch.empty(int(256e6) // 4, dtype=torch.int32, device="cuda")
    _l2_flush.zero_()


def median_us(fn, runs, warmup=10, before=None, flush=True):
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for i in range(warmup + runs):
        if before:
            before()
        if flush:
            flush_l2()
        start.record()
        fn(i)
        stop.record()
        stop.synchronize()
        if i >= warmup:
            times.append(start.elapsed_time(stop) * 1000.0)
    times.sort()
    return times[len(times) // 2]


def ceilings():
    a = torch.empty(1 << 28, device="cuda")  # 1 GiB
    b = torch.empty_like(a)
    copy_us = median_us(lambda i: b.copy_(a), 20)
    copy_gbps = 2 * a.numel() * 4 / (copy_us * 1e-6) / 1e9
    torch.backends.cuda.matmul.allow_tf32 = True
    m = torch.rand(8192, 8192, device="cuda")
    mm_us = median_us(lambda i: m @ m, 10)
    tf32_tflops = 2 * 8192 ** 3 / (mm_us * 1e-6) / 1e12
    return copy_gbps, tf32_tflops


def rel_l2(out, ref):
    out = out.double()
    if torch.isnan(out).any():
        return float("inf")
    return ((out - ref).norm() / ref.norm()).item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--triton")
    ap.add_argument("--batches", type=int, nargs="+", default=[256, 32, 1])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    ap.add_argument("--suite", choices=["alexnet", "stems"], default="alexnet")
    ap.add_argument("--only", nargs="+", help="stems of the suite to run (default: all)")
    ap.add_argument("--math", nargs="+", choices=list(mode_suite.MATH), help="math modes (bench/mode_suite.py)")
    ap.add_argument("--dtype", nargs="+", choices=list(mode_suite.DTYPES), help="element types")
    ap.add_argument("--layout", nargs="+", choices=list(mode_suite.LAYOUTS), help="layouts")
    ap.add_argument("--stem-batch", type=int, default=64, help="the stems' batch with --suite stems and modes")
    ap.add_argument("--config", help="with modes: kconv runs this config (a candidate, say) where it accepts the "
                    "shape and mode, kconv's choice elsewhere; each row's plan says which ran")
    args = ap.parse_args()
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
    if args.math or args.dtype or args.layout:
        return modes_main(args)
    if args.suite == "stems":
        return stems_main(args)

    start_conv2d = None
    if args.triton:
        spec = importlib.util.spec_from_file_location("start", args.triton)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        start_conv2d = module.start_conv2d

    library = kconv.Library(args.lib)
    context = kconv.Context(library)
    gpu = torch.cuda.get_device_name()
    copy_gbps, tf32_tflops = ceilings()
    rows = []
    for n in args.batches:
        xs = [torch.rand(n, 3, 224, 224, device="cuda") * 2 - 1 for _ in range(2)]
        w = torch.rand(96, 3, 11, 11, device="cuda") * 2 - 1
        b = torch.rand(96, device="cuda") * 2 - 1
        ref = [F.conv2d(x.double(), w.double(), b.double(), stride=4, padding=2) for x in xs]
        row = {"N": n}

        def torch_case(name, xs_, w_):
            outs = {}
            us = median_us(lambda i: outs.__setitem__(i % 2, F.conv2d(xs_[i % 2], w_, b, stride=4, padding=2)), args.runs)
            row[name] = {"us": us, "rel_l2": max(rel_l2(outs[i], ref[i]) for i in (0, 1))}

        torch_case("cudnn_nchw", xs, w)
        torch_case("cudnn_channels_last", [x.to(memory_format=torch.channels_last) for x in xs],
                   w.to(memory_format=torch.channels_last))
        if start_conv2d:
            outs = {}
            us = median_us(lambda i: outs.__setitem__(i % 2, start_conv2d(xs[i % 2], w, b, 4, 2)), args.runs)
            row["triton_start"] = {"us": us, "rel_l2": max(rel_l2(outs[i], ref[i]) for i in (0, 1))}

        plan = kconv.Plan(context, kconv.make_desc(library, n, 3, 224, 224, 96, 11, 11, stride=4, padding=2))
        stream = torch.cuda.current_stream().cuda_stream
        plan.set_weights(w.data_ptr(), stream)
        y = torch.empty(n, 96, 55, 55, device="cuda")
        rel = []

        def run(i):
            plan.execute(xs[i % 2].data_ptr(), 0, b.data_ptr(), y.data_ptr(), stream)

        us = median_us(run, args.runs, before=lambda: y.fill_(float("nan")))
        idle_us = median_us(run, args.runs, before=lambda: y.fill_(float("nan")), flush=False)
        for i in (0, 1):
            y.fill_(float("nan"))
            run(i)
            torch.cuda.synchronize()
            rel.append(rel_l2(y, ref[i]))
        row["kconv"] = {"us": us, "idle_us": idle_us, "rel_l2": max(rel), "plan": plan.describe()}
        flops_padded = 2.0 * n * 3025 * 96 * 400
        bytes_moved = 4.0 * (n * 3 * 224 * 224 + n * 96 * 3025)
        row["floor_us"] = max(bytes_moved / (copy_gbps * 1e9), flops_padded / (tf32_tflops * 1e12)) * 1e6
        rows.append(row)
        plan.close()

    print(f"{gpu}; torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, kconv {library.version}; "
          f"ceilings: copy {copy_gbps:.0f} GB/s, TF32 matmul {tf32_tflops:.0f} TFLOP/s")
    print(f"{'N':>4} {'kconv us':>9} {'cuDNN NCHW':>11} {'cuDNN NHWC':>11} {'Triton':>9} {'x NCHW':>7} {'x NHWC':>7} "
          f"{'x Triton':>8} {'floor us':>9} {'floor/kconv':>11} {'kconv relL2':>11} {'idle us':>8}")
    for r in rows:
        k = r["kconv"]["us"]
        t = r.get("triton_start", {}).get("us")
        print(f"{r['N']:>4} {k:>9.1f} {r['cudnn_nchw']['us']:>11.1f} {r['cudnn_channels_last']['us']:>11.1f} "
              f"{(f'{t:.1f}' if t else '-'):>9} {r['cudnn_nchw']['us'] / k:>7.2f} {r['cudnn_channels_last']['us'] / k:>7.2f} "
              f"{(f'{t / k:.2f}' if t else '-'):>8} {r['floor_us']:>9.1f} {r['floor_us'] / k:>11.2f} {r['kconv']['rel_l2']:>11.2e} {r['kconv']['idle_us']:>8.1f}")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, gpu.replace(" ", "_") + ".json")
    with open(path, "w") as f:
        json.dump({"gpu": gpu, "torch": torch.__version__, "cudnn": torch.backends.cudnn.version(),
                   "kconv": library.version, "copy_gbps": copy_gbps, "tf32_tflops": tf32_tflops, "rows": rows}, f,
                  indent=1)
    print("wrote", path)
    out_dir = os.environ.get("OUT")  # the device tool brings back only what is under $OUT
    if out_dir and os.path.abspath(os.path.dirname(path)) != os.path.abspath(out_dir):
        shutil.copy(path, out_dir)


def write_json(args, name, payload):
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, name)
    with open(path, "w") as f:
        json.dump(payload, f, indent=1)
    print("wrote", path)
    out_dir = os.environ.get("OUT")  # the device tool brings back only what is under $OUT
    if out_dir and os.path.abspath(os.path.dirname(path)) != os.path.abspath(out_dir):
        shutil.copy(path, out_dir)


def stems_main(args):
    library = kconv.Library(args.lib)
    context = kconv.Context(library)
    gpu = torch.cuda.get_device_name()
    copy_gbps, tf32_tflops = ceilings()
    rows = []
    for stem in stem_suite.STEMS:
        if args.only and stem.name not in args.only:
            continue
        for n in stem.batches:
            rows.append(stem_suite.measure(stem, n, library, context, kconv, median_us, rel_l2, args.runs, copy_gbps,
                                           tf32_tflops))
            torch.cuda.empty_cache()
    print(f"{gpu}; torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, kconv {library.version}; "
          f"ceilings: copy {copy_gbps:.0f} GB/s, TF32 matmul {tf32_tflops:.0f} TFLOP/s")
    stem_suite.print_table(rows)
    write_json(args, gpu.replace(" ", "_") + "_stems.json",
               {"gpu": gpu, "torch": torch.__version__, "cudnn": torch.backends.cudnn.version(), "kconv": library.version,
                "copy_gbps": copy_gbps, "tf32_tflops": tf32_tflops, "rows": rows})


def modes_main(args):
    library = kconv.Library(args.lib)
    context = kconv.Context(library)
    gpu = torch.cuda.get_device_name()
    maths, dtypes, layouts = args.math or ["tf32"], args.dtype or ["fp32"], args.layout or ["nchw"]
    alexnet = next(s for s in stem_suite.STEMS if s.name == "alexnet_224")
    cases = [(alexnet, n) for n in args.batches] if args.suite == "alexnet" else \
        [(s, args.stem_batch) for s in stem_suite.STEMS if not args.only or s.name in args.only]
    rows = []
    for stem, n in cases:
        for math, dtype, layout in mode_suite.combinations(maths, dtypes, layouts):
            rows.append(mode_suite.measure(stem, n, math, dtype, layout, library, context, kconv, median_us, rel_l2,
                                           args.runs, args.config))
            torch.cuda.empty_cache()
    print(f"{gpu}; torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, kconv {library.version}")
    mode_suite.print_table(rows)
    write_json(args, gpu.replace(" ", "_") + "_modes.json",
               {"gpu": gpu, "torch": torch.__version__, "cudnn": torch.backends.cudnn.version(),
                "kconv": library.version, "rows": rows})


if __name__ == "__main__":
    main()
