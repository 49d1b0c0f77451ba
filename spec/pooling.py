r"""Pooling: output sizes (floor and ceil modes), max / average / global average pooling, max-pool gradient
routing and max-unpooling.

Sources: V. Dumoulin, F. Visin, "A guide to convolution arithmetic for deep learning" (2016), §3 (pooling
arithmetic, relationship 12); Caffe's and PyTorch's ceil_mode convention for the last window (documented in
torch.nn.MaxPool2d: "sliding windows are allowed to go off-bounds if they start within the left padding or the
input"); Goodfellow, Bengio, Courville, *Deep Learning* (2016), §9.3 (pooling); M. D. Zeiler, R. Fergus,
"Visualizing and Understanding Convolutional Networks" (ECCV 2014), §2.1 (unpooling with "switches");
M. Lin, Q. Chen, S. Yan, "Network In Network" (ICLR 2014), §3.2 (global average pooling).

Layout and geometry, for every op here: x is (N, C, H, W); `kernel`, `stride`, `dilation` are (h, w) pairs (an
int means the same on both axes); `padding` is ((top, bottom), (left, right)), or an int p (p everywhere), or a
pair (p_h, p_w) (symmetric per axis), or "valid" (none) or "same" (TensorFlow/XLA's split, spec.conv.same_padding:
an odd total puts the extra cell at the bottom/right). The output has pool_output_size(...) rows and columns.

Conventions the spec picks (frameworks differ; each is stated at the op):
  * every window must see at least one input cell (else its max is −∞ and its average 0/0): ValueError
    "padding: ...". PyTorch's stricter rule (padding at most half the dilated kernel) implies it for floor
    mode; TensorFlow's 'SAME' never violates it. We do not adopt PyTorch's rule: asymmetric padding such as
    ((2, 0), (0, 0)) for a 3-tall window is meaningful and JAX/Flax accept it.
  * max-pool ties: the FIRST maximal element in row-major order within the window wins (the arg-max and the
    cell the gradient goes to). The value of max pooling does not depend on this rule.
  * indices are flat row-major positions in the H·W plane of each (n, c) (PyTorch's convention).
"""

from __future__ import annotations

import numpy as np

from . import _checks
from .conv import _pad_pair, same_padding

OPS: tuple[str, ...] = ("max_pool2d", "max_pool2d_with_indices", "max_pool2d_vjp", "max_unpool2d", "avg_pool2d",
                        "avg_pool2d_vjp", "global_avg_pool2d")

Pair = tuple[int, int]
Padding = tuple[Pair, Pair]


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


# ---------------------------------------------------------------------------------------------------------
# Geometry: normalising kernel / stride / dilation / padding, and the windows themselves
# ---------------------------------------------------------------------------------------------------------

def _pair(value: object, name: str) -> Pair:
    """A positive (h, w) pair from an int or any sequence of two ints (NumPy int arrays included)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        v = _checks.positive_int(value, name)
        return v, v
    try:
        items = [v.item() if isinstance(v, np.generic) else v for v in value]  # type: ignore[union-attr]
    except TypeError:
        raise ValueError(f"{name}: expected an int or an (h, w) pair of ints, got {value!r}") from None
    if len(items) != 2:
        raise ValueError(f"{name}: expected an int or an (h, w) pair of ints, got {value!r}")
    return _checks.positive_int(items[0], name), _checks.positive_int(items[1], name)


def _padding(padding: object, hw: Pair, kernel: Pair, stride: Pair, dilation: Pair) -> Padding:
    """((top, bottom), (left, right)) from any accepted padding form."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            return tuple(same_padding(hw[a], kernel[a], stride=stride[a], dilation=dilation[a])  # type: ignore
                         for a in (0, 1))
        raise ValueError(f"padding: expected 'valid', 'same', an int or pairs, got {padding!r}")
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        p = _checks.positive_int(padding, "padding", allow_zero=True)
        return (p, p), (p, p)
    try:
        axes = list(padding)  # type: ignore[call-overload]
    except TypeError:
        raise ValueError(f"padding: expected 'valid', 'same', an int or pairs, got {padding!r}") from None
    if len(axes) != 2:
        raise ValueError(f"padding: expected ((top, bottom), (left, right)), got {padding!r}")
    return _pad_pair(axes[0]), _pad_pair(axes[1])


def _geometry(x: np.ndarray, kernel: object, stride: object, padding: object, dilation: object,
              ceil_mode: bool) -> tuple[Pair, Pair, Padding, Pair, Pair]:
    """Validated (kernel, stride, padding, dilation, output size); every window sees at least one input cell."""
    k = _pair(kernel, "kernel")
    s = k if stride is None else _pair(stride, "stride")
    d = _pair(dilation, "dilation")
    hw = (x.shape[2], x.shape[3])
    if min(hw) < 1:
        raise ValueError(f"x: expected a non-empty H×W plane, got shape {x.shape}")
    p = _padding(padding, hw, k, s, d)
    out = []
    for a, axis in enumerate("HW"):
        span = d[a] * (k[a] - 1) + 1
        if span > hw[a] + sum(p[a]):
            raise ValueError(f"kernel: the dilated window spans {span} cells along {axis}, more than the "
                             f"padded input's {hw[a] + sum(p[a])}")
        n = pool_output_size(hw[a], k[a], stride=s[a], padding=p[a], dilation=d[a], ceil_mode=ceil_mode)
        taps = _taps(n, k[a], s[a], p[a][0], d[a])
        inside = ((taps >= 0) & (taps < hw[a])).any(axis=1)
        if not inside.all():
            raise ValueError(f"padding: {p[a]} along {axis} leaves window {int(np.argmin(inside))} with no input "
                             f"cell (kernel {k[a]}, stride {s[a]}, dilation {d[a]})")
        out.append(n)
    return k, s, p, d, (out[0], out[1])


def _taps(n_out: int, k: int, stride: int, before: int, dilation: int) -> np.ndarray:
    """taps[i, j] = i·S − P_b + j·d: the input coordinate of tap j of window i along one axis (may be outside)."""
    return np.arange(n_out)[:, None] * stride - before + np.arange(k)[None, :] * dilation


def _windows(x: np.ndarray, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair, out: Pair, fill: float
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""The windows as an array (N, C, H_out, W_out, K_h·K_w) in row-major tap order, padded cells set to `fill`,
    with the flat plane index of each tap (−1 in the padding) and a mask of the taps inside the input."""
    H, W = x.shape[2], x.shape[3]
    rows = _taps(out[0], kernel[0], stride[0], padding[0][0], dilation[0])  # (H_out, K_h)
    cols = _taps(out[1], kernel[1], stride[1], padding[1][0], dilation[1])  # (W_out, K_w)
    r = rows[:, None, :, None]
    c = cols[None, :, None, :]
    inside = (r >= 0) & (r < H) & (c >= 0) & (c < W)  # (H_out, W_out, K_h, K_w)
    flat = np.where(inside, np.clip(r, 0, H - 1) * W + np.clip(c, 0, W - 1), -1)
    flat = flat.reshape(out[0], out[1], -1)
    inside = inside.reshape(out[0], out[1], -1)
    plane = x.reshape(x.shape[0], x.shape[1], H * W)
    win = np.where(inside, plane[:, :, np.maximum(flat, 0)], fill)
    return win, flat, inside


def _x(x: object) -> np.ndarray:
    return _checks.floats(x, "x", ndim=4)


def _dy(dy: object, want: tuple[int, ...]) -> np.ndarray:
    dy = _checks.floats(dy, "dy", ndim=4)
    if dy.shape != want:
        raise ValueError(f"dy: shape {dy.shape} does not match the pooled output's {want}")
    return dy


# ---------------------------------------------------------------------------------------------------------
# Max pooling
# ---------------------------------------------------------------------------------------------------------

def max_pool2d(x: np.ndarray, *, kernel: object, stride: object = None, padding: object = ((0, 0), (0, 0)),
               dilation: object = (1, 1), ceil_mode: bool = False) -> np.ndarray:
    r"""2-D max pooling.

    y_{n,c,i,j} = \max_{0 \le a < K_h, 0 \le b < K_w} \tilde x_{n,c,\; iS_h - P_t + a d_h,\; jS_w - P_l + b d_w}
    where \tilde x is x padded with −∞ (a padded cell is never the maximum; Goodfellow et al. §9.3).
    Output size: pool_output_size per axis (floor, or ceil with the last-window rule).
    """
    return max_pool2d_with_indices(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                                   ceil_mode=ceil_mode)[0]


def max_pool2d_with_indices(x: np.ndarray, *, kernel: object, stride: object = None,
                            padding: object = ((0, 0), (0, 0)), dilation: object = (1, 1), ceil_mode: bool = False
                            ) -> tuple[np.ndarray, np.ndarray]:
    r"""Max pooling and its arg-max: (y, indices) with x_{n,c}.flat[indices_{n,c,i,j}] = y_{n,c,i,j}.

    indices are flat row-major positions h·W + w in the H·W plane of each (n, c) — PyTorch's convention
    (TensorFlow's max_pool_with_argmax flattens (h·W + w)·C + c over NHWC instead).
    Ties: the FIRST maximal element in the window's row-major scan order (a = 0.. then b = 0..) — the spec's
    convention; frameworks are free to pick another, and the tie-rule properties check each one separately.
    """
    x = _x(x)
    k, s, p, d, out = _geometry(x, kernel, stride, padding, dilation, ceil_mode)
    win, flat, _ = _windows(x, k, s, p, d, out, -np.inf)
    j = np.argmax(win, axis=-1)  # np.argmax returns the first of equal maxima: the spec's tie rule
    y = np.take_along_axis(win, j[..., None], axis=-1)[..., 0]
    idx = np.broadcast_to(flat, win.shape)
    indices = np.take_along_axis(idx, j[..., None], axis=-1)[..., 0]
    return y, indices.astype(np.int64)


def max_pool2d_vjp(x: np.ndarray, dy: np.ndarray, *, kernel: object, stride: object = None,
                   padding: object = ((0, 0), (0, 0)), dilation: object = (1, 1), ceil_mode: bool = False
                   ) -> np.ndarray:
    r"""Backward of max pooling: dx_{n,c,h,w} = \sum_{(i,j):\ \mathrm{indices}_{n,c,i,j} = hW + w} dy_{n,c,i,j}.

    Each window's cotangent goes to its arg-max (the first maximum among ties, as in max_pool2d_with_indices);
    overlapping windows that share an arg-max accumulate. It is the gradient wherever the maximum is unique
    (max is differentiable there); at a tie max pooling has no gradient and this is the spec's choice.
    """
    x = _x(x)
    y, indices = max_pool2d_with_indices(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                                         ceil_mode=ceil_mode)
    dy = _dy(dy, y.shape)
    N, C, H, W = x.shape
    dx = np.zeros((N * C, H * W))
    rows = np.repeat(np.arange(N * C), y.shape[2] * y.shape[3])
    np.add.at(dx, (rows, indices.reshape(-1)), dy.reshape(-1))
    return dx.reshape(x.shape)


def max_unpool2d(y: np.ndarray, indices: np.ndarray, *, output_size: object) -> np.ndarray:
    r"""Max unpooling (Zeiler & Fergus 2014, §2.1, the "switches"): a zero (N, C, H, W) array with
    out_{n,c}.flat[indices_{n,c,i,j}] = y_{n,c,i,j}, (H, W) = output_size.

    When (y, indices) come from max_pool2d_with_indices, two windows that share an arg-max carry the same value,
    so the result is well defined; for other inputs the spec writes in y's row-major order (the last write wins).
    """
    y = _checks.floats(y, "y", ndim=4)
    H, W = _pair(output_size, "output_size")
    indices = _checks.integers(indices, "indices", ndim=4, low=0, high=H * W)
    if indices.shape != y.shape:
        raise ValueError(f"indices: shape {indices.shape} does not match y's {y.shape}")
    N, C = y.shape[:2]
    out = np.zeros((N * C, H * W))
    rows = np.repeat(np.arange(N * C), y.shape[2] * y.shape[3])
    out[rows, indices.reshape(-1)] = y.reshape(-1)  # NumPy fancy assignment: the last write wins
    return out.reshape(N, C, H, W)


# ---------------------------------------------------------------------------------------------------------
# Average pooling
# ---------------------------------------------------------------------------------------------------------

def _avg_divisor(inside: np.ndarray, x: np.ndarray, kernel: Pair, stride: Pair,
                 padding: Padding, out: Pair, count_include_pad: bool) -> np.ndarray:
    """The divisor of each window: its input cells, or (count_include_pad) its cells inside the padded input."""
    if not count_include_pad:
        return inside.sum(axis=-1).astype(np.float64)
    H, W = x.shape[2], x.shape[3]
    rows = _taps(out[0], kernel[0], stride[0], padding[0][0], 1)
    cols = _taps(out[1], kernel[1], stride[1], padding[1][0], 1)
    in_rows = ((rows >= -padding[0][0]) & (rows < H + padding[0][1])).sum(axis=1)
    in_cols = ((cols >= -padding[1][0]) & (cols < W + padding[1][1])).sum(axis=1)
    return np.outer(in_rows, in_cols).astype(np.float64)


def avg_pool2d(x: np.ndarray, *, kernel: object, stride: object = None, padding: object = ((0, 0), (0, 0)),
               ceil_mode: bool = False, count_include_pad: bool = True) -> np.ndarray:
    r"""2-D average pooling: y_{n,c,i,j} = \frac{1}{D_{ij}} \sum_{(h,w) \in \mathrm{window}(i,j) \cap \mathrm{input}}
    x_{n,c,h,w} (padded cells hold 0 and add nothing).

    The divisor D_{ij}: with count_include_pad, the window's cells inside the PADDED input (explicit padding
    counts, a ceil-mode window's overhang past the trailing padding does not) — PyTorch's convention for
    avg_pool2d; without it, the window's input cells only (TensorFlow's 'SAME' average pooling behaves so).
    """
    x = _x(x)
    k, s, p, d, out = _geometry(x, kernel, stride, padding, (1, 1), ceil_mode)
    win, _, inside = _windows(x, k, s, p, d, out, 0.0)
    divisor = _avg_divisor(inside, x, k, s, p, out, count_include_pad)
    return win.sum(axis=-1) / divisor


def avg_pool2d_vjp(x: np.ndarray, dy: np.ndarray, *, kernel: object, stride: object = None,
                   padding: object = ((0, 0), (0, 0)), ceil_mode: bool = False, count_include_pad: bool = True
                   ) -> np.ndarray:
    r"""Backward of average pooling: dx_{n,c,h,w} = \sum_{(i,j):\ (h,w) \in \mathrm{window}(i,j)} dy_{n,c,i,j} / D_{ij}.

    avg_pool2d is linear in x with coefficient 1/D_{ij} on every input cell of window (i, j).
    """
    x = _x(x)
    k, s, p, d, out = _geometry(x, kernel, stride, padding, (1, 1), ceil_mode)
    dy = _dy(dy, x.shape[:2] + out)
    _, flat, inside = _windows(x, k, s, p, d, out, 0.0)
    divisor = _avg_divisor(inside, x, k, s, p, out, count_include_pad)
    share = np.broadcast_to((dy / divisor)[..., None], (*dy.shape, flat.shape[-1]))
    N, C, H, W = x.shape
    dx = np.zeros((N, C, H * W))
    np.add.at(dx, (slice(None), slice(None), flat[inside]), share[:, :, inside])
    return dx.reshape(x.shape)


def global_avg_pool2d(x: np.ndarray) -> np.ndarray:
    r"""Global average pooling (Lin et al., "Network in Network", §3.2): y_{n,c} = \frac{1}{HW} \sum_{h,w} x_{n,c,h,w}.

    The same as avg_pool2d with kernel = (H, W) (one window, no padding), reshaped to (N, C).
    """
    x = _x(x)
    if x.shape[2] * x.shape[3] == 0:
        raise ValueError(f"x: expected a non-empty H×W plane, got shape {x.shape}")
    return x.mean(axis=(2, 3))
