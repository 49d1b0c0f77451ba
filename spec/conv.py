r"""Convolution: output sizes, 'same'/'valid' padding, conv2d values, its backward, parameter counts.

Sources: V. Dumoulin, F. Visin, "A guide to convolution arithmetic for deep learning" (2016), relationships
1–15 (output sizes with padding, stride and dilation); TensorFlow's documentation of padding='SAME'
("Convolution" in tf.nn) for how 'same' splits an odd total padding; Goodfellow, Bengio, Courville, *Deep
Learning* (2016), §9.1 (every framework's "convolution" is the cross-correlation, Eq. 9.6) and §9.5
(strided convolution, Eq. 9.8, and its gradients, Eqs. 9.11–9.14).

Layout: NCHW inputs, OIHW kernels (PyTorch's and the ONNX convention); other layouts are a framework's
calling convention, translated in its adapter.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import _checks

OPS: tuple[str, ...] = ("conv2d", "conv2d_vjp")

Padding = str | int | Sequence[int] | Sequence[Sequence[int]]


def _pad_pair(padding: int | tuple[int, int], name: str = "padding") -> tuple[int, int]:
    """One axis's (before, after) padding from an int (both sides) or a pair; non-negative ints."""
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
    This is the convention the spec picks; PyTorch's padding='same' (stride 1 only) splits the same way, and
    jax.lax's 'SAME' is TensorFlow's (both checked by the conv properties).
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


# ---------------------------------------------------------------------------------------------------------
# conv2d
# ---------------------------------------------------------------------------------------------------------


def _int_pair(value: int | Sequence[int], name: str) -> tuple[int, int]:
    """An int (both axes) or an (h, w) pair of positive ints, NumPy ints included."""
    a = np.asarray(value)
    if a.dtype.kind not in "iu" or a.ndim > 1 or (a.ndim == 1 and a.size != 2):
        raise ValueError(f"{name}: expected a positive int or an (h, w) pair of them, got {value!r}")
    h, w = (a.item(), a.item()) if a.ndim == 0 else (a[0].item(), a[1].item())
    return _checks.positive_int(h, name), _checks.positive_int(w, name)


def _explicit_padding(padding: Padding, hw: tuple[int, int], khw: tuple[int, int], stride: tuple[int, int],
                      dilation: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) from 'valid', 'same', an int, a (p_h, p_w) pair or explicit pairs."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            return tuple(same_padding(n, k, stride=s, dilation=d)  # type: ignore[return-value]
                         for n, k, s, d in zip(hw, khw, stride, dilation))
        raise ValueError(f"padding: expected 'valid', 'same' or ints, got {padding!r}")
    try:
        a = np.asarray(padding)
    except ValueError:  # ragged nesting
        a = np.asarray(None)
    if a.dtype.kind not in "iu" or a.shape not in ((), (2,), (2, 2)):
        raise ValueError(f"padding: expected 'valid', 'same', an int, a (p_h, p_w) pair or "
                         f"((top, bottom), (left, right)), got {padding!r}")
    if a.ndim == 0:
        a = np.full((2, 2), a.item())
    elif a.ndim == 1:
        a = np.stack([a, a], axis=1)  # (p_h, p_w): symmetric on each axis
    return _pad_pair(tuple(a[0].tolist())), _pad_pair(tuple(a[1].tolist()))


def _geometry(x_shape: Sequence[int], w_shape: Sequence[int], stride, padding, dilation, groups):
    """Validated geometry: (stride, explicit padding, dilation, groups, output (H, W))."""
    _, c_in, h, w = x_shape
    c_out, c_per_group, k_h, k_w = w_shape
    groups = _checks.positive_int(groups, "groups")
    if c_in % groups or c_out % groups:
        raise ValueError(f"groups: {groups} must divide both the {c_in} input and the {c_out} output channels")
    if c_per_group * groups != c_in:
        raise ValueError(f"w: has {c_per_group} input channels per filter, but x's {c_in} channels in "
                         f"{groups} groups need {c_in // groups}")
    stride = _int_pair(stride, "stride")
    dilation = _int_pair(dilation, "dilation")
    pads = _explicit_padding(padding, (h, w), (k_h, k_w), stride, dilation)
    out = []
    for size, k, s, d, (before, after) in zip((h, w), (k_h, k_w), stride, dilation, pads):
        span, padded = d * (k - 1) + 1, size + before + after
        if span > padded:
            raise ValueError(f"w: its dilated kernel spans {span} cells, more than the padded input's {padded}")
        out.append(conv_output_size(size, k, stride=s, padding=(before, after), dilation=d))
    return stride, pads, dilation, groups, tuple(out)


def conv2d_output_shape(x_shape: Sequence[int], w_shape: Sequence[int], *, stride: int | Sequence[int] = (1, 1),
                        padding: Padding = ((0, 0), (0, 0)), dilation: int | Sequence[int] = (1, 1),
                        groups: int = 1) -> tuple[int, int, int, int]:
    r"""Shape (N, C_out, H_out, W_out) of conv2d's result, each spatial axis by `conv_output_size`.

    H_out = \lfloor (H + P_{top} + P_{bottom} - d_h(K_h - 1) - 1)/S_h \rfloor + 1, and W_out likewise with
    (P_{left}, P_{right}, d_w, K_w, S_w): the two axes are independent (non-square kernels, strides, dilations).
    padding='same' gives \lceil H/S_h \rceil × \lceil W/S_w \rceil (`same_padding`), 'valid' is no padding.
    """
    x_shape, w_shape = tuple(int(v) for v in x_shape), tuple(int(v) for v in w_shape)
    if len(x_shape) != 4 or min(x_shape) < 1:
        raise ValueError(f"x_shape: expected (N, C_in, H, W) of positive sizes, got {x_shape}")
    if len(w_shape) != 4 or min(w_shape) < 1:
        raise ValueError(f"w_shape: expected (C_out, C_in/groups, K_h, K_w) of positive sizes, got {w_shape}")
    *_, (h_out, w_out) = _geometry(x_shape, w_shape, stride, padding, dilation, groups)
    return x_shape[0], w_shape[0], h_out, w_out


def _windows(x: np.ndarray, w_shape: Sequence[int], stride, pads, dilation) -> np.ndarray:
    """x_pad[n, c, i·s_h + u·d_h, j·s_w + v·d_w] as an array indexed [n, c, i, j, u, v] (a view, no copy)."""
    (s_h, s_w), (d_h, d_w) = stride, dilation
    k_h, k_w = w_shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), *pads))
    span = (d_h * (k_h - 1) + 1, d_w * (k_w - 1) + 1)
    return sliding_window_view(x_pad, span, axis=(2, 3))[:, :, ::s_h, ::s_w, ::d_h, ::d_w]


def _bias(b: np.ndarray | None, c_out: int) -> np.ndarray | None:
    if b is None:
        return None
    b = _checks.floats(b, "b", ndim=1)
    if b.shape != (c_out,):
        raise ValueError(f"b: expected shape ({c_out},), one bias per output channel, got {b.shape}")
    return b


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: int | Sequence[int] = (1, 1),
           padding: Padding = ((0, 0), (0, 0)), dilation: int | Sequence[int] = (1, 1), groups: int = 1
           ) -> np.ndarray:
    r"""2-D convolution of NCHW `x` with OIHW filters `w`, as every framework computes it: cross-correlation.

    y[n, o, i, j] = b[o] + \sum_{c < C_{in}/g} \sum_{u < K_h} \sum_{v < K_w}
                    w[o, c, u, v] · x_{pad}[n, g(o)·C_{in}/g + c, i·s_h + u·d_h, j·s_w + v·d_w]
    with g(o) = \lfloor o / (C_{out}/g) \rfloor the group of output channel o (g = groups; g = C_in is the
    depthwise convolution), x_pad the input zero-padded by ((top, bottom), (left, right)), and the output size
    of `conv2d_output_shape`. The kernel is not flipped: this is the cross-correlation of Goodfellow et al.
    Eq. 9.6, which frameworks call convolution; the true convolution is the same sum with w[o, c, K_h−1−u,
    K_w−1−v]. Strides: Eq. 9.8; dilation ("atrous"): Dumoulin & Visin §5.1.
    `padding` is 'valid' (none), 'same' (TensorFlow/XLA's split, the odd cell after: `same_padding`, any
    stride), an int (all four sides), a (p_h, p_w) pair (symmetric per axis) or ((top, bottom), (left, right)).
    `stride` and `dilation` are an int or an (h, w) pair. Errors: `groups` must divide C_in and C_out; a
    dilated kernel larger than the padded input is an error naming `w`; stride 0 one naming `stride`.
    """
    x = _checks.floats(x, "x", ndim=4)
    w = _checks.floats(w, "w", ndim=4)
    stride, pads, dilation, groups, _ = _geometry(x.shape, w.shape, stride, padding, dilation, groups)
    b = _bias(b, w.shape[0])
    n = x.shape[0]
    c_out, c_per_group, k_h, k_w = w.shape
    cols = _windows(x, w.shape, stride, pads, dilation)                # [n, c, i, j, u, v]
    cols = cols.reshape(n, groups, c_per_group, *cols.shape[2:])       # c = g·C_in/g + c'
    filters = w.reshape(groups, c_out // groups, c_per_group, k_h, k_w)  # o = g·C_out/g + o'
    y = np.einsum("ngcijuv,gocuv->ngoij", cols, filters).reshape(n, c_out, *cols.shape[3:5])
    return y if b is None else y + b[None, :, None, None]


def conv2d_vjp(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, dy: np.ndarray, *,
               stride: int | Sequence[int] = (1, 1), padding: Padding = ((0, 0), (0, 0)),
               dilation: int | Sequence[int] = (1, 1), groups: int = 1
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray]:
    r"""Vector-Jacobian product of conv2d: (dx, dw, db), or (dx, dw) when b is None.

    conv2d is linear in x and in w, so with dy the cotangent of y (Goodfellow et al. Eqs. 9.11–9.14):
      db[o]          = \sum_{n,i,j} dy[n, o, i, j]
      dw[o, c, u, v] = \sum_{n,i,j} dy[n, o, i, j] · x_{pad}[n, g(o)C_{in}/g + c, i s_h + u d_h, j s_w + v d_w]
      dx_{pad}[n, g(o)C_{in}/g + c, i s_h + u d_h, j s_w + v d_w] \mathrel{+}= w[o, c, u, v] · dy[n, o, i, j]
    summed over every (o, i, j, u, v) that reaches the cell, and dx is dx_pad without its padding (padding is
    a constant: its cells' gradients are dropped). dw is the correlation of x with dy dilated by the stride;
    dx is the "transposed convolution" of dy with w. Input cells no window reaches (a stride that skips the
    last rows) get gradient 0.
    """
    x = _checks.floats(x, "x", ndim=4)
    w = _checks.floats(w, "w", ndim=4)
    stride, pads, dilation, groups, out_hw = _geometry(x.shape, w.shape, stride, padding, dilation, groups)
    b = _bias(b, w.shape[0])
    dy = _checks.floats(dy, "dy", ndim=4)
    n, c_in, h, wd = x.shape
    c_out, c_per_group, k_h, k_w = w.shape
    if dy.shape != (n, c_out, *out_hw):
        raise ValueError(f"dy: expected conv2d's output shape {(n, c_out, *out_hw)}, got {dy.shape}")
    (s_h, s_w), (d_h, d_w) = stride, dilation
    o_h, o_w = out_hw
    dy_g = dy.reshape(n, groups, c_out // groups, o_h, o_w)
    cols = _windows(x, w.shape, stride, pads, dilation)
    cols = cols.reshape(n, groups, c_per_group, *cols.shape[2:])
    dw = np.einsum("ngoij,ngcijuv->gocuv", dy_g, cols).reshape(w.shape)

    filters = w.reshape(groups, c_out // groups, c_per_group, k_h, k_w)
    spread = np.einsum("ngoij,gocuv->ngcuvij", dy_g, filters).reshape(n, c_in, k_h, k_w, o_h, o_w)
    (top, bottom), (left, right) = pads
    dx_pad = np.zeros((n, c_in, h + top + bottom, wd + left + right))
    for u in range(k_h):
        for v in range(k_w):  # the cells x_pad[.., i s_h + u d_h, j s_w + v d_w] that tap (u, v) reads
            dx_pad[:, :, u * d_h:u * d_h + (o_h - 1) * s_h + 1:s_h, v * d_w:v * d_w + (o_w - 1) * s_w + 1:s_w] += \
                spread[:, :, u, v]
    dx = dx_pad[:, :, top:top + h, left:left + wd]
    if b is None:
        return dx, dw
    return dx, dw, dy.sum(axis=(0, 2, 3))


def conv1x1_as_matmul(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    r"""A 1×1 convolution (stride 1, no padding, one group) is a matrix product at every pixel.

    y[n, :, i, j] = W x[n, :, i, j] + b, with W = w[:, :, 0, 0] the C_out × C_in matrix (w of shape
    (C_out, C_in, 1, 1), or (C_out, C_in) directly): the conv2d sum with K_h = K_w = 1 (Lin, Chen, Yan,
    "Network in network", 2014, §2: a 1×1 convolution is a per-pixel fully connected layer).
    """
    x = _checks.floats(x, "x", ndim=4)
    w = _checks.floats(w, "w", ndim=(2, 4))
    if w.ndim == 4:
        if w.shape[2:] != (1, 1):
            raise ValueError(f"w: expected a 1×1 kernel, got shape {w.shape}")
        w = w[:, :, 0, 0]
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"w: has {w.shape[1]} input channels, x has {x.shape[1]}")
    b = _bias(b, w.shape[0])
    pixels = np.moveaxis(x, 1, -1)                  # [n, i, j, c]
    y = np.moveaxis(pixels @ w.T, -1, 1)             # W x at every pixel
    return y if b is None else y + b[None, :, None, None]
