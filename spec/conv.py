r"""Convolution: output sizes, 'same'/'valid' padding, conv2d values, its backward, parameter counts.

Sources: V. Dumoulin, F. Visin, "A guide to convolution arithmetic for deep learning" (2016), relationships
1–15 (output sizes with padding, stride and dilation); TensorFlow's documentation of padding='SAME'
("Convolution" in tf.nn) for how 'same' splits an odd total padding.
"""

from __future__ import annotations

from . import _checks

OPS: tuple[str, ...] = ()


def _pad_pair(padding: int | tuple[int, int], name: str = "padding") -> tuple[int, int]:
    if isinstance(padding, (tuple, list)) or hasattr(padding, "__len__"):
        if len(padding) != 2:
            raise ValueError(f"{name}: expected an int or a (before, after) pair, got {padding!r}")
        before, after = (_checks.positive_int(int(p), name, allow_zero=True) for p in padding)
        return before, after
    p = _checks.positive_int(int(padding), name, allow_zero=True)
    return p, p


def conv_output_size(w_in: int, k: int, *, stride: int = 1, padding: int | tuple[int, int] = 0,
                     dilation: int = 1) -> int:
    r"""Spatial size along one axis after a convolution window (floor mode).

    W_2 = \lfloor (W_1 + P_{before} + P_{after} - d(K-1) - 1) / S \rfloor + 1, which for symmetric padding P is
    \lfloor (W_1 + 2P - d(K-1) - 1)/S \rfloor + 1 and for d = 1 reduces to \lfloor (W_1 - K + 2P)/S \rfloor + 1
    (Dumoulin & Visin, relationship 6; dilation: relationship 15). Apply it to H and W separately.
    The dilated window d(K−1)+1 must fit in the padded input, else there is no output position.
    """
    w_in = _checks.positive_int(w_in, "w_in")
    k = _checks.positive_int(k, "k")
    stride = _checks.positive_int(stride, "stride")
    dilation = _checks.positive_int(dilation, "dilation")
    before, after = _pad_pair(padding)
    span = dilation * (k - 1) + 1
    padded = w_in + before + after
    if span > padded:
        raise ValueError(f"k: the dilated kernel spans {span} cells, more than the padded input's {padded}")
    return (padded - span) // stride + 1


def same_padding(w_in: int, k: int, *, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    r"""The (before, after) zero padding of padding='same' along one axis, as TensorFlow and XLA define it.

    W_2 = \lceil W_1 / S \rceil, total = \max((W_2 - 1)S + d(K-1) + 1 - W_1, 0),
    before = \lfloor total / 2 \rfloor, after = total - before: an odd total puts the extra cell after
    (bottom, right). With S = 1 the output has the input's size, which is what 'same' promises.
    """
    w_in = _checks.positive_int(w_in, "w_in")
    k = _checks.positive_int(k, "k")
    stride = _checks.positive_int(stride, "stride")
    dilation = _checks.positive_int(dilation, "dilation")
    w_out = -(-w_in // stride)
    total = max((w_out - 1) * stride + dilation * (k - 1) + 1 - w_in, 0)
    return total // 2, total - total // 2


def conv2d_param_count(k_h: int, k_w: int, c_in: int, c_out: int, *, groups: int = 1, bias: bool = True) -> int:
    r"""Learnable parameters of a 2-D convolution layer.

    P = K_h K_w (C_{in}/g) C_{out} + C_{out}·[bias]: each of the C_out filters sees C_in/g input channels
    (g = groups), plus one bias per output channel when the layer has one.
    """
    k_h = _checks.positive_int(k_h, "k_h")
    k_w = _checks.positive_int(k_w, "k_w")
    c_in = _checks.positive_int(c_in, "c_in")
    c_out = _checks.positive_int(c_out, "c_out")
    groups = _checks.positive_int(groups, "groups")
    if c_in % groups or c_out % groups:
        raise ValueError(f"groups: {groups} must divide both c_in ({c_in}) and c_out ({c_out})")
    return k_h * k_w * (c_in // groups) * c_out + (c_out if bias else 0)
