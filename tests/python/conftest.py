# SPDX-License-Identifier: Apache-2.0
"""pytest setup: the installed kconv package (pip install .), or else python/ of this tree with
KCONV_LIBRARY naming a built libkconv.so."""
import numpy as np
import pytest


def reference_conv(x, w, b, stride, padding, dilation, relu=False):
    """float64 direct convolution in numpy: the tests' reference."""
    x, w = x.astype(np.float64), w.astype(np.float64)
    n, c, h, wd = x.shape
    k, _, r, s = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + wd] = x
    p = (h + 2 * ph - dh * (r - 1) - 1) // sh + 1
    q = (wd + 2 * pw - dw * (s - 1) - 1) // sw + 1
    y = np.zeros((n, k, p, q))
    for i in range(r):
        for j in range(s):
            patch = xp[:, :, i * dh:i * dh + sh * (p - 1) + 1:sh, j * dw:j * dw + sw * (q - 1) + 1:sw]
            y += np.einsum("nchw,kc->nkhw", patch, w[:, :, i, j])
    if b is not None:
        y += b.astype(np.float64).reshape(1, -1, 1, 1)
    return np.maximum(y, 0) if relu else y


def rel_l2(y, ref):
    return float(np.linalg.norm(np.asarray(y, dtype=np.float64) - ref) / max(np.linalg.norm(ref), 1e-30))


@pytest.fixture
def rng():
    return np.random.default_rng(20261203)
