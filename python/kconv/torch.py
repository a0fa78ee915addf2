# SPDX-License-Identifier: Apache-2.0
"""kconv in PyTorch models: the custom op torch.ops.kconv.conv2d, the drop-in kconv.torch.Conv2d and
kconv.torch.convert(model).

The op is registered with torch.library.custom_op and a fake (meta) implementation, so torch.compile
(fullgraph=True) keeps it in the graph and CUDA graphs capture it; its backward is PyTorch's convolution
backward, so models that hold it still train.
"""
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import _conv2d


_DTYPES = (torch.float32, torch.float16, torch.bfloat16)


def _computes(x, weight):
    """kconv computes CUDA float32, float16 and bfloat16 tensors (x and weight of one type)."""
    return x.is_cuda and x.dtype in _DTYPES and weight.dtype == x.dtype


def _math():
    """PyTorch's own switch: TF32 where cuDNN may use it, else fp32-accurate 3xTF32."""
    return "tf32" if torch.backends.cudnn.allow_tf32 else "3xtf32"


@torch.library.custom_op("kconv::conv2d", mutates_args=())
def conv2d_op(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], stride: List[int],
              padding: List[int], dilation: List[int], relu: bool, math: str) -> torch.Tensor:
    """kconv's conv2d on CUDA float32/float16/bfloat16 tensors (any other device or dtype goes to PyTorch's
    conv2d); math is kconv.conv2d's."""
    if _computes(x, weight):
        return _conv2d.conv2d(x, weight, bias, tuple(stride), tuple(padding), tuple(dilation), relu, math)
    y = F.conv2d(x, weight, bias, stride, padding, dilation)
    return F.relu(y) if relu else y


@conv2d_op.register_fake
def _(x, weight, bias, stride, padding, dilation, relu, math):
    n, _, h, w = x.shape
    k, _, r, s = weight.shape
    p = (h + 2 * padding[0] - dilation[0] * (r - 1) - 1) // stride[0] + 1
    q = (w + 2 * padding[1] - dilation[1] * (s - 1) - 1) // stride[1] + 1
    # The layout kconv.conv2d gives: channels_last for a channels_last x that is not also contiguous.
    nhwc = x.is_cuda and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last)
    return torch.empty((n, k, p, q), dtype=x.dtype, device=x.device,
                       memory_format=torch.channels_last if nhwc else torch.contiguous_format)


def _setup_context(ctx, inputs, output):
    x, weight, bias, stride, padding, dilation, relu, _ = inputs
    ctx.save_for_backward(x, weight, output if relu else None)
    ctx.has_bias = bias is not None
    ctx.conv = (stride, padding, dilation)


def _backward(ctx, grad_y):
    x, weight, y = ctx.saved_tensors
    if y is not None:
        grad_y = grad_y * (y > 0)
    stride, padding, dilation = ctx.conv
    grad_x, grad_w, grad_b = torch.ops.aten.convolution_backward(
        grad_y, x, weight, [weight.shape[0]] if ctx.has_bias else None, stride, padding, dilation, False, [0, 0], 1,
        [ctx.needs_input_grad[0], ctx.needs_input_grad[1], ctx.has_bias and ctx.needs_input_grad[2]])
    return grad_x, grad_w, grad_b if ctx.has_bias else None, None, None, None, None, None


conv2d_op.register_autograd(_backward, setup_context=_setup_context)


def _eligible(conv):
    return (type(conv) in (nn.Conv2d, Conv2d) and conv.groups == 1 and conv.padding_mode == "zeros"
            and not isinstance(conv.padding, str))


class Conv2d(nn.Conv2d):
    """nn.Conv2d with the same constructor and state dict; its forward runs kconv on CUDA float32, float16 and
    bfloat16 inputs, NCHW or channels_last (groups 1, zero padding), and PyTorch's convolution otherwise (the
    CPU, other dtypes), as the seed's ModelNew did. float32 follows torch.backends.cudnn.allow_tf32: TF32
    when it is set (PyTorch's default), fp32-accurate 3xTF32 when not. `relu=True` fuses a ReLU into the
    kernel."""

    def __init__(self, *args, relu: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.relu = relu

    def forward(self, x):
        if _computes(x, self.weight) and _eligible(self):
            math = _math()
            if not torch.compiler.is_compiling() and not (torch.is_grad_enabled() and (
                    x.requires_grad or self.weight.requires_grad)):
                # Eager inference: straight to kconv, without the dispatcher's custom-op layers (tens of
                # microseconds a call, as much as the kernel at batch 1).
                return _conv2d.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.relu,
                                      math)
            return conv2d_op(x, self.weight, self.bias, list(self.stride), list(self.padding), list(self.dilation),
                             self.relu, math)
        y = super().forward(x)
        return F.relu(y) if self.relu else y

    @classmethod
    def from_conv(cls, conv: nn.Conv2d) -> "Conv2d":
        """A kconv Conv2d sharing `conv`'s parameters (no copy)."""
        new = cls(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.dilation,
                  conv.groups, conv.bias is not None, conv.padding_mode, device="meta")
        new.weight = conv.weight
        if conv.bias is not None:
            new.bias = conv.bias
        return new.train(conv.training)


def convert(model: nn.Module, first_only: bool = False) -> nn.Module:
    """Replaces, in place, the model's eligible nn.Conv2d modules (groups 1, zero padding, numeric padding)
    with kconv.torch.Conv2d sharing their parameters; with first_only, only the first one (a network's
    stem). Returns the model."""
    for parent in model.modules():
        for name, child in list(parent.named_children()):
            if type(child) is nn.Conv2d and _eligible(child):
                setattr(parent, name, Conv2d.from_conv(child))
                if first_only:
                    return model
    return model


def fold_batchnorm(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> Conv2d:
    """For inference: a kconv Conv2d computing bn(conv(x)) with bn's running statistics folded into the
    weights and bias."""
    scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps) if bn.affine else 1 / torch.sqrt(bn.running_var + bn.eps)
    shift = bn.bias.detach() if bn.affine else torch.zeros_like(bn.running_mean)
    bias = conv.bias.detach() if conv.bias is not None else torch.zeros_like(bn.running_mean)
    folded = Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.dilation,
                    conv.groups, True, conv.padding_mode, device=conv.weight.device, dtype=conv.weight.dtype)
    with torch.no_grad():
        folded.weight.copy_(conv.weight * scale.reshape(-1, 1, 1, 1))
        folded.bias.copy_((bias - bn.running_mean) * scale + shift)
    return folded
