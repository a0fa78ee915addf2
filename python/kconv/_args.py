# SPDX-License-Identifier: Apache-2.0
"""PyTorch's conv2d argument conventions: ints or (height, width) pairs, padding also "valid" or "same"."""

MATH_MODES = {"tf32": 0, "3xtf32": 1, "fp32": 2}


def pair(name, value, minimum):
    """An int or a pair of ints as an (h, w) tuple, each at least `minimum`."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int or a pair of ints, got a bool")
    if isinstance(value, int):
        value = (value, value)
    try:
        value = tuple(value)
    except TypeError:
        raise TypeError(f"{name} must be an int or a pair of ints, got {type(value).__name__}") from None
    if len(value) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(value) < minimum:
        raise ValueError(f"{name} = {value} must be at least {minimum}")
    return value


def padding_pair(padding, kernel, stride, dilation):
    """PyTorch's padding: an int, a pair, "valid" (none) or "same" (stride 1 only; an odd total puts the
    extra row/column after, which a descriptor cannot express, so that case is refused)."""
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError("padding='same' needs stride 1, as in PyTorch")
        totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
        if any(t % 2 for t in totals):
            raise ValueError(f"padding='same' with kernel {kernel} and dilation {dilation} pads unevenly; "
                             "pad the input explicitly")
        return (totals[0] // 2, totals[1] // 2)
    if isinstance(padding, str):
        raise ValueError(f"padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    return pair("padding", padding, 0)


def math_mode(math):
    if math not in MATH_MODES:
        raise ValueError(f"math must be one of {sorted(MATH_MODES)}, got {math!r}")
    return MATH_MODES[math]
