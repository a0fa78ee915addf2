# SPDX-License-Identifier: Apache-2.0
"""KernelBench level 1, problem 50: AlexNet's conv1 (3 -> 96, 11x11, stride 4, padding 2) as a Model /
ModelNew pair, evaluated the way KernelBench evaluates: 5 correctness trials, each with fresh torch.rand
inputs and both models built from the same seed (PyTorch's default init), checked with
torch.allclose(atol=rtol=1e-4); then 100 timed trials of each, with L2 flushed before each, giving the
mean times and the speed-up.

    pip install .[torch] && python examples/kernelbench_50.py [--batch 256]
"""
import argparse

import torch
import torch.nn as nn

import kconv.torch


class Model(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels=3, out_channels=96, kernel_size=11, stride=4, padding=2)

    def forward(self, x):
        return self.conv1(x)


class ModelNew(nn.Module):
    """The same module with kconv's Conv2d: same constructor, same state dict, kconv on CUDA."""

    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = kconv.torch.Conv2d(in_channels=3, out_channels=96, kernel_size=11, stride=4, padding=2)

    def forward(self, x):
        return self.conv1(x)


def get_inputs(batch_size):
    return [torch.rand(batch_size, 3, 224, 224)]


def timed_mean_ms(model, x, trials):
    flush = torch.empty(256 * 1024 * 1024 // 4, dtype=torch.float32, device="cuda")
    times = []
    with torch.no_grad():
        for _ in range(3):
            model(x)
        for _ in range(trials):
            flush.zero_()  # a 256 MB write evicts the L2
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            model(x)
            end.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(end))
    return sum(times) / len(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--trials", type=int, default=100)
    args = ap.parse_args()
    torch.backends.cudnn.benchmark = True
    correct = 0
    for trial in range(5):
        torch.manual_seed(trial)
        (x,) = get_inputs(args.batch)
        x = x.cuda()
        torch.manual_seed(1000 + trial)
        model = Model().cuda()
        torch.manual_seed(1000 + trial)
        model_new = ModelNew().cuda()
        with torch.no_grad():
            ok = torch.allclose(model(x), model_new(x), atol=1e-4, rtol=1e-4)
        correct += int(ok)
        print(f"correctness trial {trial}: {'pass' if ok else 'FAIL'}")
    print(f"correctness: {correct}/5 at atol = rtol = 1e-4")
    torch.manual_seed(0)
    (x,) = get_inputs(args.batch)
    x = x.cuda()
    model, model_new = Model().cuda(), ModelNew().cuda()
    ref_ms = timed_mean_ms(model, x, args.trials)
    new_ms = timed_mean_ms(model_new, x, args.trials)
    print(f"N = {args.batch}: PyTorch (cuDNN) {ref_ms * 1e3:.1f} us, kconv {new_ms * 1e3:.1f} us, "
          f"speed-up {ref_ms / new_ms:.2f}x ({torch.cuda.get_device_name()}, {args.trials} trials, L2 flushed)")
    return 0 if correct == 5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
