# SPDX-License-Identifier: Apache-2.0
"""kconv's host (CPU) path against PyTorch's CPU conv2d, same threads, same tensors, one run.

Usage: python3 bench/compare_host.py --lib build/libkconv.so [--threads T] [--runs R]

Both sides get the same fresh random fp32 NCHW tensors; kconv runs with kconv_host_options.threads = T and
PyTorch with torch.set_num_threads(T) (default: kconv_host_default_threads()). Each side is warmed up, then
timed R times (median); outputs are compared against a float64 PyTorch reference. Prints one table and
writes it as JSON to bench/results/host_<cpu>.json.
"""
import argparse
import ctypes
import json
import os
import platform
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import kconv  # noqa: E402  (the ctypes binding: ConvDesc)


class HostOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("threads", ctypes.c_int32), ("reference", ctypes.c_int32)]


# name, (c, h, w, k, r, s, stride, pad, bias), batches
SHAPES = [
    ("alexnet_conv1", (3, 224, 224, 96, 11, 11, 4, 2, True), (1, 8)),
    ("resnet_7x7s2", (3, 224, 224, 64, 7, 7, 2, 3, False), (1, 8)),
    ("mobilenet_3x3s2", (3, 224, 224, 32, 3, 3, 2, 1, False), (1, 8)),
    ("convnext_4x4s4", (3, 224, 224, 96, 4, 4, 4, 0, True), (1, 8)),
]


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "cpu"


def median_ms(fn, runs):
    fn()
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = ap.parse_args()

    lib = ctypes.CDLL(args.lib)
    lib.kconv_version_string.restype = ctypes.c_char_p
    lib.kconv_last_error_message.restype = ctypes.c_char_p
    lib.kconv_conv_desc_init_sized.argtypes = [ctypes.POINTER(kconv.ConvDesc), ctypes.c_size_t]
    lib.kconv_host_options_init_sized.argtypes = [ctypes.POINTER(HostOptions), ctypes.c_size_t]
    fp = ctypes.POINTER(ctypes.c_float)
    lib.kconv_forward_host_with_options.argtypes = [ctypes.POINTER(kconv.ConvDesc), fp, fp, fp, fp,
                                                    ctypes.POINTER(HostOptions), ctypes.c_void_p]
    threads = args.threads or lib.kconv_host_default_threads()
    torch.set_num_threads(threads)
    print(f"CPU: {cpu_name()}, {os.cpu_count()} logical CPUs; threads {threads} on both sides; torch "
          f"{torch.__version__} ({torch.backends.mkldnn.is_available() and 'oneDNN' or 'native'}); "
          f"kconv {lib.kconv_version_string().decode()}")
    options = HostOptions()
    lib.kconv_host_options_init_sized(ctypes.byref(options), ctypes.sizeof(options))
    options.threads = threads

    rows = []
    print(f"{'shape':18s} {'N':>3s} {'kconv ms':>9s} {'torch ms':>9s} {'kconv/torch':>11s} {'relL2':>9s}")
    for name, (c, h, w, k, r, s, stride, pad, has_bias), batches in SHAPES:
        for n in batches:
            torch.manual_seed(n * 1000 + k)
            x = torch.rand(n, c, h, w) * 2 - 1
            wt = torch.rand(k, c, r, s) * 2 - 1
            b = torch.rand(k) * 2 - 1 if has_bias else None
            d = kconv.ConvDesc()
            lib.kconv_conv_desc_init_sized(ctypes.byref(d), ctypes.sizeof(d))
            d.n, d.c, d.h, d.w, d.k, d.r, d.s = n, c, h, w, k, r, s
            d.stride_h = d.stride_w = stride
            d.pad_h = d.pad_w = pad
            d.has_bias = 1 if has_bias else 0
            ref = F.conv2d(x.double(), wt.double(), b.double() if b is not None else None, stride=stride, padding=pad)
            y = torch.full(ref.shape, float("nan"))
            ptr = lambda t: ctypes.cast(t.data_ptr(), fp) if t is not None else None  # noqa: E731

            def run_kconv():
                st = lib.kconv_forward_host_with_options(ctypes.byref(d), ptr(x), ptr(wt), ptr(b), ptr(y),
                                                         ctypes.byref(options), None)
                if st != 0:
                    raise RuntimeError(lib.kconv_last_error_message().decode())

            kconv_ms = median_ms(run_kconv, args.runs)
            rel = float((y.double() - ref).norm() / ref.norm())
            with torch.no_grad():
                torch_ms = median_ms(lambda: F.conv2d(x, wt, b, stride=stride, padding=pad), args.runs)
            ratio = kconv_ms / torch_ms
            rows.append(dict(shape=name, n=n, kconv_ms=kconv_ms, torch_ms=torch_ms, kconv_over_torch=ratio,
                             rel_l2=rel))
            print(f"{name:18s} {n:3d} {kconv_ms:9.2f} {torch_ms:9.2f} {ratio:11.2f} {rel:9.2e}")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "host_" + "".join(ch if ch.isalnum() else "_" for ch in cpu_name())[:40] + ".json")
    with open(path, "w") as f:
        json.dump(dict(cpu=cpu_name(), threads=threads, torch=torch.__version__, rows=rows), f, indent=1)
    print("wrote", path)


if __name__ == "__main__":
    main()
