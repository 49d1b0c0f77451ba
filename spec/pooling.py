r"""Pooling: output sizes (floor and ceil modes), max / average / global average pooling, max-pool gradient
routing and max-unpooling.

Sources: V. Dumoulin, F. Visin, "A guide to convolution arithmetic for deep learning" (2016), §3 (pooling
arithmetic, relationship 12); Caffe's and PyTorch's ceil_mode convention for the last window (documented in
torch.nn.MaxPool2d: "sliding windows are allowed to go off-bounds if they start within the left padding or the
input").
"""

from __future__ import annotations

from . import _checks
from .conv import _pad_pair

OPS: tuple[str, ...] = ()


def pool_output_size(w_in: int, k: int, *, stride: int | None = None, padding: int | tuple[int, int] = 0,
                     dilation: int = 1, ceil_mode: bool = False) -> int:
    r"""Spatial size along one axis after a pooling window.

    floor mode: W_2 = \lfloor (W_1 + P_b + P_a - d(K-1) - 1) / S \rfloor + 1 (the convolution formula);
    ceil mode:  W_2 = \lceil (W_1 + P_b + P_a - d(K-1) - 1) / S \rceil + 1, less one if the last window would
    start at or beyond W_1 + P_b, i.e. if (W_2 - 1)S \ge W_1 + P_b: a window must start inside the input or its
    leading padding, never wholly in the trailing padding or past it.
    The stride defaults to the kernel size, as for every framework's pooling layer.
    """
    w_in = _checks.positive_int(w_in, "w_in")
    k = _checks.positive_int(k, "k")
    stride = k if stride is None else _checks.positive_int(stride, "stride")
    dilation = _checks.positive_int(dilation, "dilation")
    before, after = _pad_pair(padding)
    span = dilation * (k - 1) + 1
    padded = w_in + before + after
    if span > padded:
        raise ValueError(f"k: the dilated window spans {span} cells, more than the padded input's {padded}")
    if not ceil_mode:
        return (padded - span) // stride + 1
    out = -(-(padded - span) // stride) + 1
    if (out - 1) * stride >= w_in + before:
        out -= 1
    return out
