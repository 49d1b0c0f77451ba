"""NumPy backend: the pooling family, written as loops over output positions (independent of dlspec.spec)."""

from __future__ import annotations

import numpy as np

from ._common import acc

__all__ = ["avg_pool2d", "avg_pool2d_vjp", "global_avg_pool2d", "max_pool2d", "max_pool2d_vjp",
           "max_pool2d_with_indices", "max_unpool2d"]


def _two(v):
    if np.ndim(v) == 0:
        return int(v), int(v)
    a, b = (int(t) for t in v)
    return a, b


def _same(n, k, s, d):
    out = -(-n // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def _setup(x, kernel, stride, padding, dilation, ceil_mode):
    kh, kw = _two(kernel)
    sh, sw = (kh, kw) if stride is None else _two(stride)
    dh, dw = _two(dilation)
    H, W = x.shape[2], x.shape[3]
    if isinstance(padding, str):
        pads = ((0, 0), (0, 0)) if padding == "valid" else (_same(H, kh, sh, dh), _same(W, kw, sw, dw))
    elif np.ndim(padding) == 0:
        pads = ((int(padding),) * 2,) * 2
    else:
        pads = tuple(_two(p) for p in padding)
    sizes = []
    for n, k, s, d, (b, a) in ((H, kh, sh, dh, pads[0]), (W, kw, sw, dw, pads[1])):
        span = d * (k - 1) + 1
        if ceil_mode:
            m = -(-(n + b + a - span) // s) + 1
            if (m - 1) * s >= n + b:
                m -= 1
        else:
            m = (n + b + a - span) // s + 1
        sizes.append(m)
    return (kh, kw), (sh, sw), (dh, dw), pads, sizes


def _cells(i, j, k, s, d, pads):
    """Input coordinates (row-major over the window) of window (i, j), and whether each lies in the input."""
    return [(i * s[0] - pads[0][0] + a * d[0], j * s[1] - pads[1][0] + b * d[1])
            for a in range(k[0]) for b in range(k[1])]


def max_pool2d_with_indices(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1),
                            ceil_mode=False, device):
    k, s, d, pads, (ho, wo) = _setup(x, kernel, stride, padding, dilation, ceil_mode)
    N, C, H, W = x.shape
    y = np.empty((N, C, ho, wo), dtype=x.dtype)
    idx = np.empty((N, C, ho, wo), dtype=np.int64)
    for i in range(ho):
        for j in range(wo):
            cells = [(r, c) for r, c in _cells(i, j, k, s, d, pads) if 0 <= r < H and 0 <= c < W]
            flat = np.array([r * W + c for r, c in cells])
            vals = x.reshape(N, C, H * W)[:, :, flat]
            best = np.argmax(vals, axis=-1)  # first maximum in scan order
            y[:, :, i, j] = np.take_along_axis(vals, best[..., None], -1)[..., 0]
            idx[:, :, i, j] = flat[best]
    return y, idx


def max_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False, device):
    return max_pool2d_with_indices(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                                   ceil_mode=ceil_mode, device=device)[0]


def max_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False,
                   device):
    _, idx = max_pool2d_with_indices(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                                     ceil_mode=ceil_mode, device=device)
    N, C, H, W = x.shape
    dx = np.zeros((N, C, H * W), dtype=acc(x))
    for n in range(N):
        for c in range(C):
            np.add.at(dx[n, c], idx[n, c].ravel(), dy[n, c].ravel().astype(dx.dtype))
    return dx.reshape(x.shape).astype(x.dtype)


def max_unpool2d(y, indices, *, output_size, device):
    H, W = _two(output_size)
    N, C = y.shape[:2]
    out = np.zeros((N, C, H * W), dtype=y.dtype)
    for n in range(N):
        for c in range(C):
            out[n, c, indices[n, c].ravel()] = y[n, c].ravel()
    return out.reshape(N, C, H, W)


def _divisor(i, j, k, s, pads, H, W, count_include_pad):
    cells = _cells(i, j, k, s, (1, 1), pads)
    if count_include_pad:
        return sum(-pads[0][0] <= r < H + pads[0][1] and -pads[1][0] <= c < W + pads[1][1] for r, c in cells)
    return sum(0 <= r < H and 0 <= c < W for r, c in cells)


def avg_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False, count_include_pad=True,
               device):
    k, s, _, pads, (ho, wo) = _setup(x, kernel, stride, padding, (1, 1), ceil_mode)
    N, C, H, W = x.shape
    y = np.empty((N, C, ho, wo), dtype=acc(x))
    xa = x.astype(acc(x))
    for i in range(ho):
        for j in range(wo):
            total = np.zeros((N, C), dtype=xa.dtype)
            for r, c in _cells(i, j, k, s, (1, 1), pads):
                if 0 <= r < H and 0 <= c < W:
                    total += xa[:, :, r, c]
            y[:, :, i, j] = total / _divisor(i, j, k, s, pads, H, W, count_include_pad)
    return y.astype(x.dtype)


def avg_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False,
                   count_include_pad=True, device):
    k, s, _, pads, (ho, wo) = _setup(x, kernel, stride, padding, (1, 1), ceil_mode)
    _N, _C, H, W = x.shape
    dx = np.zeros(x.shape, dtype=acc(x))
    dya = dy.astype(acc(x))
    for i in range(ho):
        for j in range(wo):
            share = dya[:, :, i, j] / _divisor(i, j, k, s, pads, H, W, count_include_pad)
            for r, c in _cells(i, j, k, s, (1, 1), pads):
                if 0 <= r < H and 0 <= c < W:
                    dx[:, :, r, c] += share
    return dx.astype(x.dtype)


def global_avg_pool2d(x, *, device):
    return x.mean(axis=(2, 3), dtype=acc(x)).astype(x.dtype)
