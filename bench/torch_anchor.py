"""cuDNN anchors for kconv-bench's shapes, timed in the same run on the same GPU.

PyTorch F.conv2d (TF32 allowed, NCHW and channels_last) on AlexNet conv1 for the given batch sizes:
median of CUDA-event-timed runs after warm-up, inputs alternating between two random sets, output
tensor allocated by PyTorch. Prints one line per case. Usage: python3 bench/torch_anchor.py 256 32 1
"""
import sys

import torch
import torch.nn.functional as F


def median_us(fn, runs=100, warmup=10):
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for i in range(warmup + runs):
        start.record()
        fn(i)
        stop.record()
        stop.synchronize()
        if i >= warmup:
            times.append(start.elapsed_time(stop) * 1000.0)
    times.sort()
    return times[len(times) // 2]


def main():
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
    print(f"torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, {torch.cuda.get_device_name()}")
    for n in [int(a) for a in sys.argv[1:]] or [256, 32, 1]:
        xs = [torch.rand(n, 3, 224, 224, device="cuda") * 2 - 1 for _ in range(2)]
        w = torch.rand(96, 3, 11, 11, device="cuda") * 2 - 1
        b = torch.rand(96, device="cuda") * 2 - 1
        nchw = median_us(lambda i: F.conv2d(xs[i % 2], w, b, stride=4, padding=2))
        xs_cl = [x.to(memory_format=torch.channels_last) for x in xs]
        w_cl = w.to(memory_format=torch.channels_last)
        nhwc = median_us(lambda i: F.conv2d(xs_cl[i % 2], w_cl, b, stride=4, padding=2))
        print(f"AlexNet conv1 N={n}: cuDNN TF32 NCHW {nchw:.1f} us, channels_last {nhwc:.1f} us")


if __name__ == "__main__":
    main()
