"""Mutants of the pooling family: single-bug variants of the NumPy backend's pooling ops."""

from __future__ import annotations

import numpy as np

from ..impls.numpy_ import pooling as base
from . import mutant


@mutant("pool-ceil-mode-as-floor", "ceil_mode ignored: the last partial window is dropped")
def max_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False, device):
    return base.max_pool2d(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=False,
                           device=device)


@mutant("pool-ceil-mode-as-floor", "ceil_mode ignored: the last partial window is dropped")
def avg_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False, count_include_pad=True,
               device):
    return base.avg_pool2d(x, kernel=kernel, stride=stride, padding=padding, ceil_mode=False,
                           count_include_pad=count_include_pad, device=device)


@mutant("avg-pool-always-counts-padding", "count_include_pad=False ignored: padded cells are always in the divisor")
def avg_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False, count_include_pad=True,  # noqa: F811
               device):
    return base.avg_pool2d(x, kernel=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                           count_include_pad=True, device=device)


@mutant("avg-pool-never-counts-padding", "count_include_pad=True ignored: only input cells are in the divisor")
def avg_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False, count_include_pad=True,  # noqa: F811
               device):
    return base.avg_pool2d(x, kernel=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                           count_include_pad=False, device=device)


def _scan(x, kernel, stride, padding, dilation, ceil_mode):
    """(i, j, flat plane positions of the window's input cells in scan order) for every window."""
    k, s, d, pads, (ho, wo) = base._setup(x, kernel, stride, padding, dilation, ceil_mode)
    H, W = x.shape[2:]
    routes = []
    for i in range(ho):
        for j in range(wo):
            cells = [(r, c) for r, c in base._cells(i, j, k, s, d, pads) if 0 <= r < H and 0 <= c < W]
            flat = np.array([r * W + c for r, c in cells])
            routes.append((i, j, flat))
    return routes


@mutant("max-pool-grad-to-last-tied-max", "the backward sends dy to the LAST maximum among ties")
def max_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False,
                   device):
    N, C, H, W = x.shape
    dx = np.zeros((N, C, H * W), dtype=np.float64)
    for i, j, flat in _scan(x, kernel, stride, padding, dilation, ceil_mode):
        vals = x.reshape(N, C, H * W)[:, :, flat]
        last = vals.shape[-1] - 1 - np.argmax(vals[..., ::-1], axis=-1)
        for n in range(N):
            for c in range(C):
                dx[n, c, flat[last[n, c]]] += dy[n, c, i, j]
    return dx.reshape(x.shape).astype(x.dtype)


@mutant("max-pool-grad-to-every-tied-max", "the backward sends the full dy to every maximum among ties")
def max_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False,  # noqa: F811
                   device):
    N, C, H, W = x.shape
    dx = np.zeros((N, C, H * W), dtype=np.float64)
    for i, j, flat in _scan(x, kernel, stride, padding, dilation, ceil_mode):
        vals = x.reshape(N, C, H * W)[:, :, flat]
        hit = vals == vals.max(axis=-1, keepdims=True)
        for n in range(N):
            for c in range(C):
                dx[n, c, flat[hit[n, c]]] += dy[n, c, i, j]
    return dx.reshape(x.shape).astype(x.dtype)


@mutant("max-pool-zero-padding", "padded cells hold 0 instead of −∞: wrong wherever a window's inputs are negative")
def max_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False, device):  # noqa: F811
    k, s, d, pads, (ho, wo) = base._setup(x, kernel, stride, padding, dilation, ceil_mode)
    N, C, H, W = x.shape
    y = np.empty((N, C, ho, wo), dtype=x.dtype)
    for i in range(ho):
        for j in range(wo):
            taps = [x[:, :, r, c] if 0 <= r < H and 0 <= c < W else np.zeros((N, C), x.dtype)
                    for r, c in base._cells(i, j, k, s, d, pads)]
            y[:, :, i, j] = np.max(np.stack(taps), axis=0)
    return y


@mutant("global-avg-pool-as-sum", "global average pooling sums the plane and forgets to divide by H·W")
def global_avg_pool2d(x, *, device):
    return x.sum(axis=(2, 3), dtype=np.float64).astype(x.dtype)


@mutant("max-unpool-transposed", "unpooling writes index h·W + w at (w, h): rows and columns swapped")
def max_unpool2d(y, indices, *, output_size, device):
    H, W = (int(v) for v in output_size)
    N, C = y.shape[:2]
    out = np.zeros((N, C, H, W), dtype=y.dtype)
    for n in range(N):
        for c in range(C):
            h, w = np.divmod(indices[n, c].ravel(), W)
            ok = (w < H) & (h < W)
            out[n, c, w[ok], h[ok]] = y[n, c].ravel()[ok]
    return out


@mutant("pool-output-size-ignores-dilation", "output size computed from K instead of the dilated span d(K−1)+1")
def max_pool2d(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False, device):  # noqa: F811
    y = base.max_pool2d(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode,
                        device=device)
    k, s, _, pads, _ = base._setup(x, kernel, stride, padding, (1, 1), ceil_mode)
    sizes = [(n + b + a - kk) // ss + 1 for n, kk, ss, (b, a) in zip(x.shape[2:], k, s, pads)]
    out = np.full(x.shape[:2] + tuple(sizes), -np.inf, dtype=x.dtype)
    h, w = min(sizes[0], y.shape[2]), min(sizes[1], y.shape[3])
    out[:, :, :h, :w] = y[:, :, :h, :w]  # the windows it does compute are right; the count is not
    return out


@mutant("max-pool-indices-in-padded-plane", "indices count positions in the padded plane (width W + P_l + P_r)")
def max_pool2d_with_indices(x, *, kernel, stride=None, padding=((0, 0), (0, 0)), dilation=(1, 1),
                            ceil_mode=False, device):
    y, idx = base.max_pool2d_with_indices(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                                          ceil_mode=ceil_mode, device=device)
    _, _, _, pads, _ = base._setup(x, kernel, stride, padding, dilation, ceil_mode)
    W = x.shape[3]
    h, w = np.divmod(idx, W)
    return y, (h + pads[0][0]) * (W + pads[1][0] + pads[1][1]) + w + pads[1][0]


@mutant("avg-pool-vjp-divides-by-kernel-area", "the backward divides by K_h·K_w whatever the forward's divisor")
def avg_pool2d_vjp(x, dy, *, kernel, stride=None, padding=((0, 0), (0, 0)), ceil_mode=False,
                   count_include_pad=True, device):
    k, s, _, pads, (ho, wo) = base._setup(x, kernel, stride, padding, (1, 1), ceil_mode)
    H, W = x.shape[2:]
    dx = np.zeros(x.shape)
    for i in range(ho):
        for j in range(wo):
            for r, c in base._cells(i, j, k, s, (1, 1), pads):
                if 0 <= r < H and 0 <= c < W:
                    dx[:, :, r, c] += dy[:, :, i, j] / (k[0] * k[1])
    return dx.astype(x.dtype)
