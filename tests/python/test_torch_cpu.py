# SPDX-License-Identifier: Apache-2.0
"""kconv with PyTorch on the CPU: tensors through the host path, the Conv2d drop-in (PyTorch's convolution
on the CPU), convert, and the custom op's backward. Skipped without torch."""
import pytest

torch = pytest.importorskip("torch")
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import kconv  # noqa: E402
import kconv.torch  # noqa: E402


def test_cpu_tensors_take_the_host_path():
    torch.manual_seed(0)
    x, w, b = torch.rand(2, 3, 40, 36), torch.rand(8, 3, 5, 5) - 0.5, torch.rand(8)
    y = kconv.conv2d(x, w, b, stride=(2, 3), padding=(1, 2), relu=True)
    ref = F.relu(F.conv2d(x.double(), w.double(), b.double(), stride=(2, 3), padding=(1, 2)))
    assert y.device.type == "cpu" and y.dtype == torch.float32
    assert torch.allclose(y.double(), ref, atol=1e-5, rtol=1e-5)


def test_dtype_is_refused_not_converted():
    with pytest.raises(kconv.Error, match="float32"):
        kconv.conv2d(torch.rand(1, 3, 8, 8, dtype=torch.float64), torch.rand(4, 3, 3, 3, dtype=torch.float64))


def test_conv2d_drop_in_same_state_dict_and_cpu_forward():
    torch.manual_seed(1)
    ref = nn.Conv2d(3, 16, 7, stride=2, padding=3, bias=False)
    mine = kconv.torch.Conv2d(3, 16, 7, stride=2, padding=3, bias=False)
    mine.load_state_dict(ref.state_dict())
    assert mine.state_dict().keys() == ref.state_dict().keys()
    x = torch.rand(2, 3, 32, 32)
    assert torch.equal(mine(x), ref(x))  # the CPU forward is PyTorch's


def test_convert_swaps_eligible_convolutions_sharing_parameters():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 3, groups=2), nn.Conv2d(8, 4, 1))
    weight = model[0].weight
    kconv.torch.convert(model)
    assert type(model[0]) is kconv.torch.Conv2d and model[0].weight is weight
    assert type(model[2]) is nn.Conv2d  # groups: not eligible
    assert type(model[3]) is kconv.torch.Conv2d
    first = kconv.torch.convert(nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv2d(8, 8, 3)), first_only=True)
    assert type(first[0]) is kconv.torch.Conv2d and type(first[1]) is nn.Conv2d


def test_op_backward_matches_pytorch():
    # The op falls back to PyTorch's conv2d on the CPU; its registered backward is the one CUDA uses.
    torch.manual_seed(2)
    x = torch.rand(2, 3, 12, 12, dtype=torch.float64, requires_grad=True)
    w = torch.rand(5, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    b = torch.rand(5, dtype=torch.float64, requires_grad=True)
    y = torch.ops.kconv.conv2d(x, w, b, [2, 1], [1, 0], [1, 1], True, "tf32")
    grads = torch.autograd.grad(y.square().sum(), (x, w, b))
    y_ref = F.relu(F.conv2d(x, w, b, stride=(2, 1), padding=(1, 0)))
    grads_ref = torch.autograd.grad(y_ref.square().sum(), (x, w, b))
    for got, want in zip(grads, grads_ref):
        assert torch.allclose(got, want)


def test_fold_batchnorm():
    torch.manual_seed(3)
    conv, bn = nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6)
    bn.running_mean.uniform_(-1, 1)
    bn.running_var.uniform_(0.5, 2)
    bn.eval()
    folded = kconv.torch.fold_batchnorm(conv, bn)
    x = torch.rand(2, 3, 10, 10)
    assert torch.allclose(folded(x), bn(conv(x)), atol=1e-5)
