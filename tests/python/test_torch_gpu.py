# SPDX-License-Identifier: Apache-2.0
"""kconv on CUDA tensors: results, the current stream, weights never stale, DLPack, autograd, torch.compile
without graph breaks, CUDA graph capture. Skipped without a CUDA device."""
import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA device", allow_module_level=True)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import kconv  # noqa: E402
import kconv.torch  # noqa: E402

TF32_REL_L2 = 1e-3


def rel_l2(y, ref):
    return ((y.double() - ref).norm() / ref.norm()).item()


def alexnet(n=2, device="cuda"):
    torch.manual_seed(n)
    return (torch.rand(n, 3, 224, 224, device=device), torch.rand(96, 3, 11, 11, device=device) - 0.5,
            torch.rand(96, device=device))


@pytest.mark.parametrize("shape,stride,padding", [
    ((2, 3, 224, 224, 96, 11, 11), 4, 2),
    ((2, 3, 224, 224, 64, 7, 7), 2, 3),
    ((2, 3, 224, 224, 96, 4, 4), 4, 0),
    ((1, 3, 64, 80, 768, 16, 16), 16, 0),
    ((2, 16, 30, 30, 24, 3, 3), (1, 2), (0, 1)),
])
def test_matches_pytorch(shape, stride, padding):
    n, c, h, w, k, r, s = shape
    x = torch.rand(n, c, h, w, device="cuda")
    wt = torch.rand(k, c, r, s, device="cuda") - 0.5
    b = torch.rand(k, device="cuda")
    y = kconv.conv2d(x, wt, b, stride=stride, padding=padding)
    ref = F.conv2d(x.double(), wt.double(), b.double(), stride=stride, padding=padding)
    assert y.shape == ref.shape and y.device == x.device
    assert rel_l2(y, ref) < TF32_REL_L2


@pytest.mark.parametrize("dtype,bar", [(torch.float16, 2e-3), (torch.bfloat16, 1e-2)])
@pytest.mark.parametrize("channels_last", [False, True])
def test_half_types_and_channels_last(dtype, bar, channels_last):
    x, w, b = alexnet()
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    x, w = x.to(dtype).to(memory_format=fmt), w.to(dtype).to(memory_format=fmt)
    y = kconv.conv2d(x, w, b.to(dtype), stride=4, padding=2)
    ref = F.conv2d(x.double(), w.double(), b.to(dtype).double(), stride=4, padding=2)
    assert y.dtype == dtype and y.is_contiguous(memory_format=fmt)
    assert rel_l2(y, ref) < bar


@pytest.mark.parametrize("math", ["3xtf32", "fp32"])
def test_fp32_accurate_math_modes(math):
    x, w, b = alexnet()
    y = kconv.conv2d(x, w, b, stride=4, padding=2, math=math)
    ref = F.conv2d(x.double(), w.double(), b.double(), stride=4, padding=2)
    assert rel_l2(y, ref) < 5e-6
    assert torch.allclose(y.double(), ref, atol=1e-4, rtol=1e-4)


def test_drop_in_follows_cudnn_allow_tf32():
    x, w, b = alexnet()
    conv = kconv.torch.Conv2d(3, 96, 11, stride=4, padding=2).cuda()
    with torch.no_grad():
        conv.weight.copy_(w)
        conv.bias.copy_(b)
    ref = F.conv2d(x.double(), w.double(), b.double(), stride=4, padding=2)
    saved = torch.backends.cudnn.allow_tf32
    try:
        torch.backends.cudnn.allow_tf32 = False
        with torch.no_grad():
            assert rel_l2(conv(x), ref) < 5e-6
    finally:
        torch.backends.cudnn.allow_tf32 = saved


def test_runs_on_the_current_stream():
    x, w, b = alexnet()
    ref = F.conv2d(x.double(), w.double(), b.double(), stride=4, padding=2)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        x2 = x * 1.0  # written on the side stream just before: kconv must be ordered after it
        y = kconv.conv2d(x2, w, b, stride=4, padding=2)
    torch.cuda.current_stream().wait_stream(side)
    assert rel_l2(y, ref) < TF32_REL_L2


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs 2 CUDA devices")
def test_a_tensor_on_cuda_1_runs_on_device_1():
    torch.cuda.set_device(0)  # the current device is not the tensors'
    x, w, b = alexnet(device="cuda:1")
    with torch.cuda.device(1):
        ref = F.conv2d(x.double(), w.double(), b.double(), stride=4, padding=2)
    y = kconv.conv2d(x, w, b, stride=4, padding=2)
    assert y.device == torch.device("cuda:1")
    torch.cuda.synchronize(1)
    assert rel_l2(y, ref) < TF32_REL_L2
    # The same call on device 0 afterwards gets device 0's context and plan.
    x0, w0, b0 = x.to("cuda:0"), w.to("cuda:0"), b.to("cuda:0")
    y0 = kconv.conv2d(x0, w0, b0, stride=4, padding=2)
    assert y0.device == torch.device("cuda:0")
    assert rel_l2(y0.to("cuda:1"), ref) < TF32_REL_L2


def test_weights_are_never_used_stale():
    x, w, b = alexnet()
    kconv.conv2d(x, w, b, stride=4, padding=2)
    w.mul_(-1)  # in place: the version counter moves
    y = kconv.conv2d(x, w, b, stride=4, padding=2)
    assert rel_l2(y, F.conv2d(x.double(), w.double(), b.double(), stride=4, padding=2)) < TF32_REL_L2
    del w
    w2 = torch.rand(96, 3, 11, 11, device="cuda")  # may land at the freed tensor's address
    y = kconv.conv2d(x, w2, b, stride=4, padding=2)
    assert rel_l2(y, F.conv2d(x.double(), w2.double(), b.double(), stride=4, padding=2)) < TF32_REL_L2


class DLPackOnly:
    """Another framework's GPU array, as kconv sees it: only the DLPack protocol."""

    def __init__(self, tensor):
        self.tensor = tensor

    def __dlpack__(self, stream=None):
        return self.tensor.__dlpack__(stream=stream)

    def __dlpack_device__(self):
        return self.tensor.__dlpack_device__()


def test_dlpack_arrays():
    x, w, b = alexnet()
    y = kconv.conv2d(DLPackOnly(x), DLPackOnly(w), DLPackOnly(b), stride=4, padding=2)
    assert rel_l2(y, F.conv2d(x.double(), w.double(), b.double(), stride=4, padding=2)) < TF32_REL_L2


class CudaArrayInterfaceOnly:
    """A GPU array that offers only __cuda_array_interface__ (Numba, older CuPy)."""

    def __init__(self, tensor):
        self.tensor = tensor
        self.__cuda_array_interface__ = tensor.__cuda_array_interface__


def test_cuda_array_interface_arrays():
    x, w, b = alexnet()
    y = kconv.conv2d(CudaArrayInterfaceOnly(x), CudaArrayInterfaceOnly(w), CudaArrayInterfaceOnly(b), stride=4,
                     padding=2)
    assert rel_l2(y, F.conv2d(x.double(), w.double(), b.double(), stride=4, padding=2)) < TF32_REL_L2


def test_repeated_calls_follow_changed_arguments():
    # The per-call shortcut is keyed by every argument: a changed stride or ReLU is a new descriptor.
    x, w, b = alexnet()
    for stride, relu in ((4, False), (4, True), (3, True), (4, False)):
        y = kconv.conv2d(x, w, b, stride=stride, padding=2, relu=relu)
        ref = F.conv2d(x.double(), w.double(), b.double(), stride=stride, padding=2)
        assert rel_l2(y, F.relu(ref) if relu else ref) < TF32_REL_L2


def test_autograd_through_conv2d_module():
    torch.manual_seed(5)
    ref = nn.Conv2d(3, 64, 7, stride=2, padding=3).cuda()
    mine = kconv.torch.Conv2d(3, 64, 7, stride=2, padding=3).cuda()
    mine.load_state_dict(ref.state_dict())
    x = torch.rand(2, 3, 64, 64, device="cuda", requires_grad=True)
    x_ref = x.detach().clone().requires_grad_()
    mine(x).square().sum().backward()
    ref(x_ref).square().sum().backward()
    assert rel_l2(x.grad, x_ref.grad.double()) < 1e-2  # TF32 forward feeds the loss
    assert rel_l2(mine.weight.grad, ref.weight.grad.double()) < 1e-2
    assert rel_l2(mine.bias.grad, ref.bias.grad.double()) < 1e-2


def test_torch_compile_fullgraph_keeps_the_op():
    model = nn.Sequential(kconv.torch.Conv2d(3, 96, 11, stride=4, padding=2), nn.ReLU()).cuda()
    x = torch.rand(2, 3, 224, 224, device="cuda")
    explanation = torch._dynamo.explain(model)(x)
    assert explanation.graph_break_count == 0
    compiled = torch.compile(model, fullgraph=True)
    assert rel_l2(compiled(x), model(x).double()) < 1e-6


def test_cuda_graph_capture_matches_eager():
    model = kconv.torch.Conv2d(3, 96, 11, stride=4, padding=2).cuda()
    static_x = torch.rand(2, 3, 224, 224, device="cuda")
    eager = model(static_x)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        model(static_x)  # warm-up on a side stream, as PyTorch's graph docs do
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        static_y = model(static_x)
    graph.replay()
    torch.cuda.synchronize()
    assert torch.equal(static_y, eager)
    static_x.copy_(torch.rand_like(static_x))
    with torch.no_grad():
        model.weight.mul_(0.5)  # a replay reads the weights of its own time
    graph.replay()
    torch.cuda.synchronize()
    assert torch.equal(static_y, model(static_x))


def test_autotune_reports_progress():
    x, w, b = alexnet(1)
    steps = []
    winner, reason = kconv.autotune(x, w, b, stride=4, padding=2, progress=lambda d, t, s: steps.append((d, t)))
    assert steps and steps[-1][0] == steps[-1][1]
    assert "/" in winner and reason
    y = kconv.conv2d(x, w, b, stride=4, padding=2)
    assert rel_l2(y, F.conv2d(x.double(), w.double(), b.double(), stride=4, padding=2)) < TF32_REL_L2
