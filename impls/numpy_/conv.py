"""NumPy backend: 2-D convolution (NCHW, OIHW), forward and backward, one kernel tap at a time.

Each tap (u, v) of the kernel contributes a strided slice of the padded input times w[:, :, u, v], a matrix
product over the channels of its group; the backward scatters the same slices back. float16 accumulates in
float32.
"""

from __future__ import annotations

import numpy as np

from ._common import acc

__all__ = ["conv2d", "conv2d_vjp"]


def _pair(v):
    a = np.asarray(v).reshape(-1)
    return (int(a[0]), int(a[0])) if a.size == 1 else (int(a[0]), int(a[1]))


def _same(n, k, s, d):
    out = -(-n // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2  # TensorFlow's split: the odd cell goes after


def explicit_padding(padding, hw, khw, stride, dilation):
    """((top, bottom), (left, right)) for padding 'valid', 'same', an int, (p_h, p_w) or explicit pairs."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            return tuple(_same(*a) for a in zip(hw, khw, stride, dilation))
        raise ValueError(f"padding: unknown mode {padding!r}")
    p = np.asarray(padding)
    if p.ndim == 0:
        return (int(p), int(p)), (int(p), int(p))
    if p.ndim == 1:
        return (int(p[0]), int(p[0])), (int(p[1]), int(p[1]))
    return (int(p[0][0]), int(p[0][1])), (int(p[1][0]), int(p[1][1]))


def _setup(x, w, stride, padding, dilation):
    stride, dilation = _pair(stride), _pair(dilation)
    pads = explicit_padding(padding, x.shape[2:], w.shape[2:], stride, dilation)
    x_pad = np.pad(x.astype(acc(x)), ((0, 0), (0, 0), *pads))
    out = tuple((x_pad.shape[2 + a] - dilation[a] * (w.shape[2 + a] - 1) - 1) // stride[a] + 1 for a in (0, 1))
    if min(out) < 1:
        raise ValueError("w: the dilated kernel does not fit in the padded input")
    return stride, dilation, pads, x_pad, out


def _tap(a, u, v, stride, dilation, out):
    """The cells of the padded input that kernel tap (u, v) reads, one per output position."""
    r0, c0 = u * dilation[0], v * dilation[1]
    return a[:, :, r0:r0 + (out[0] - 1) * stride[0] + 1:stride[0], c0:c0 + (out[1] - 1) * stride[1] + 1:stride[1]]


def conv2d(x, w, b=None, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):
    stride, dilation, _, x_pad, out = _setup(x, w, stride, padding, dilation)
    n = x.shape[0]
    c_out, cg, k_h, k_w = w.shape
    og = c_out // groups
    wa = w.astype(acc(x))
    y = np.zeros((n, c_out, *out), dtype=acc(x))
    for g in range(groups):
        xs, ys = x_pad[:, g * cg:(g + 1) * cg], slice(g * og, (g + 1) * og)
        for u in range(k_h):
            for v in range(k_w):
                y[:, ys] += np.einsum("oc,nchw->nohw", wa[ys, :, u, v], _tap(xs, u, v, stride, dilation, out))
    if b is not None:
        y += b.astype(acc(x))[None, :, None, None]
    return y.astype(x.dtype)


def conv2d_vjp(x, w, b, dy, *, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, device):
    stride, dilation, pads, x_pad, out = _setup(x, w, stride, padding, dilation)
    h, wd = x.shape[2:]
    c_out, cg, k_h, k_w = w.shape
    og = c_out // groups
    wa, dya = w.astype(acc(x)), dy.astype(acc(x))
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros(w.shape, dtype=acc(x))
    for g in range(groups):
        cs, os_ = slice(g * cg, (g + 1) * cg), slice(g * og, (g + 1) * og)
        for u in range(k_h):
            for v in range(k_w):
                x_tap = _tap(x_pad[:, cs], u, v, stride, dilation, out)
                dw[os_, :, u, v] = np.einsum("nohw,nchw->oc", dya[:, os_], x_tap)
                dx_tap = _tap(dx_pad[:, cs], u, v, stride, dilation, out)  # a view: += scatters into dx_pad
                dx_tap += np.einsum("oc,nohw->nchw", wa[os_, :, u, v], dya[:, os_])
    (top, _), (left, _) = pads
    dx = dx_pad[:, :, top:top + h, left:left + wd].astype(x.dtype)
    if b is None:
        return dx, dw.astype(w.dtype)
    return dx, dw.astype(w.dtype), dya.sum(axis=(0, 2, 3)).astype(b.dtype)
