# SPDX-License-Identifier: Apache-2.0
"""kconv.conv2d on numpy arrays (the host path), its arguments and its errors. Runs everywhere."""
import subprocess
import sys

import numpy as np
import pytest

import kconv
from conftest import reference_conv, rel_l2

SHAPES = [
    # (n, c, h, w, k, r, s), stride, padding, dilation, bias, relu
    ((2, 3, 31, 29, 16, 11, 11), (4, 4), (2, 2), (1, 1), True, False),
    ((1, 3, 20, 24, 8, 7, 7), (2, 1), (3, 1), (1, 1), False, True),
    ((3, 4, 17, 13, 5, 3, 2), (1, 2), (0, 1), (2, 1), True, True),
    ((1, 1, 16, 16, 7, 4, 4), 4, 0, 1, True, False),
]


@pytest.mark.parametrize("shape,stride,padding,dilation,has_bias,relu", SHAPES)
def test_matches_float64_reference(rng, shape, stride, padding, dilation, has_bias, relu):
    n, c, h, w, k, r, s = shape
    x = rng.uniform(-1, 1, (n, c, h, w)).astype(np.float32)
    wt = rng.uniform(-1, 1, (k, c, r, s)).astype(np.float32)
    b = rng.uniform(-1, 1, k).astype(np.float32) if has_bias else None
    y = kconv.conv2d(x, wt, b, stride=stride, padding=padding, dilation=dilation, relu=relu)
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    ref = reference_conv(x, wt, b, pair(stride), pair(padding), pair(dilation), relu)
    assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.shape == ref.shape
    assert rel_l2(y, ref) < 1e-6
    assert np.allclose(y, ref, atol=1e-5, rtol=1e-5)


def test_threads_do_not_change_the_result(rng):
    x = rng.uniform(-1, 1, (2, 3, 64, 64)).astype(np.float32)
    wt = rng.uniform(-1, 1, (32, 3, 7, 7)).astype(np.float32)
    one = kconv.conv2d(x, wt, stride=2, padding=3, threads=1)
    many = kconv.conv2d(x, wt, stride=2, padding=3, threads=3)
    assert np.array_equal(one, many)


def test_padding_same_and_valid(rng):
    x = rng.uniform(-1, 1, (1, 2, 9, 9)).astype(np.float32)
    wt = rng.uniform(-1, 1, (3, 2, 3, 5)).astype(np.float32)
    assert kconv.conv2d(x, wt, padding="same").shape == (1, 3, 9, 9)
    assert kconv.conv2d(x, wt, padding="valid").shape == (1, 3, 7, 5)
    with pytest.raises(ValueError, match="stride 1"):
        kconv.conv2d(x, wt, stride=2, padding="same")


def test_errors_raise_kconv_error_with_the_library_message(rng):
    x = rng.uniform(-1, 1, (1, 3, 8, 8)).astype(np.float32)
    wt = rng.uniform(-1, 1, (4, 3, 3, 3)).astype(np.float32)
    with pytest.raises(kconv.Error) as e:
        kconv.conv2d(x, wt, dilation=5)  # a window (11) larger than the image (8)
    assert e.value.status_name == "INVALID_ARGUMENT"
    with pytest.raises(kconv.Error, match="input channels"):
        kconv.conv2d(x, wt[:, :2])
    with pytest.raises(kconv.Error, match="bias"):
        kconv.conv2d(x, wt, np.zeros(5, np.float32))
    with pytest.raises(kconv.Error, match="fp32"):
        kconv.conv2d(x.astype(np.float64), wt)
    with pytest.raises(TypeError):
        kconv.conv2d(x, wt, stride=1.5)
    with pytest.raises(ValueError):
        kconv.conv2d(x, wt, stride=(1, 0))
    with pytest.raises(ValueError, match="math"):
        kconv.conv2d(x, wt, math="fp64")


def test_non_contiguous_inputs(rng):
    x = rng.uniform(-1, 1, (1, 3, 16, 32)).astype(np.float32)[:, :, :, ::2]
    wt = rng.uniform(-1, 1, (4, 3, 3, 3)).astype(np.float32)
    ref = reference_conv(x, wt, None, (1, 1), (1, 1), (1, 1))
    assert rel_l2(kconv.conv2d(x, wt, padding=1), ref) < 1e-6


def test_python_m_kconv_reports_the_driver():
    out = subprocess.run([sys.executable, "-m", "kconv"], capture_output=True, text=True, check=True).stdout
    assert out.startswith(f"kconv {kconv.version()}")
    assert "CUDA driver:" in out
    assert "host path:" in out
