"""Pooling at DPS digits: windows enumerated from their definition, max of exact mpf values, averages as exact
sums divided at DPS digits. Geometry comes in explicit form ((top, bottom), (left, right)); never calls the spec."""

from __future__ import annotations

import mpmath
import numpy as np

from .mp import DPS


def _starts(n: int, k: int, s: int, before: int, after: int, d: int, ceil_mode: bool) -> list[int]:
    """Window starts i·S − P_b: floor mode keeps windows inside the padded input; ceil mode also keeps the
    last partial one when it starts inside the input or its leading padding."""
    span, padded, out, i = d * (k - 1) + 1, n + before + after, [], 0
    while True:
        fits = i * s + span <= padded
        partial = ceil_mode and i * s < padded - span + s and i * s < n + before
        if not (fits or partial):
            return out
        out.append(i * s - before)
        i += 1


def _windows(x, kernel, stride, padding, dilation, ceil_mode):
    """([(i, j, taps)], (H_out, W_out)): each window's input coordinates in row-major order (some in padding)."""
    H, W = x.shape[2], x.shape[3]
    rows = _starts(H, kernel[0], stride[0], *padding[0], dilation[0], ceil_mode)
    cols = _starts(W, kernel[1], stride[1], *padding[1], dilation[1], ceil_mode)
    wins = [(i, j, [(r0 + a * dilation[0], c0 + b * dilation[1]) for a in range(kernel[0]) for b in range(kernel[1])])
            for i, r0 in enumerate(rows) for j, c0 in enumerate(cols)]
    return wins, (len(rows), len(cols))


def max_pool2d(x: np.ndarray, kernel, stride, padding, dilation=(1, 1), ceil_mode=False) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    H, W = x.shape[2:]
    out: dict = {}
    wins, size = _windows(x, kernel, stride, padding, dilation, ceil_mode)
    for i, j, taps in wins:
        cells = [(r, c) for r, c in taps if 0 <= r < H and 0 <= c < W]
        out[i, j] = np.max(np.stack([x[:, :, r, c] for r, c in cells]), axis=0)  # a max is exact in any precision
    y = np.empty(x.shape[:2] + size)
    for (i, j), v in out.items():
        y[:, :, i, j] = v
    return y


def avg_pool2d(x: np.ndarray, kernel, stride, padding, ceil_mode=False, count_include_pad=True) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    N, C, H, W = x.shape
    (t, b), (l, r_) = padding
    vals: dict = {}
    wins, size = _windows(x, kernel, stride, padding, (1, 1), ceil_mode)
    with mpmath.workdps(DPS):
        for i, j, taps in wins:
            cells = [(r, c) for r, c in taps if 0 <= r < H and 0 <= c < W]
            if count_include_pad:
                divisor = sum(1 for r, c in taps if -t <= r < H + b and -l <= c < W + r_)
            else:
                divisor = len(cells)
            for n in range(N):
                for ch in range(C):
                    total = mpmath.fsum(mpmath.mpf(float(x[n, ch, r, c])) for r, c in cells)
                    vals[n, ch, i, j] = float(total / divisor)
    y = np.empty((N, C, *size))
    for key, v in vals.items():
        y[key] = v
    return y


def global_avg_pool2d(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    N, C, H, W = x.shape
    y = np.empty((N, C))
    with mpmath.workdps(DPS):
        for n in range(N):
            for c in range(C):
                y[n, c] = float(mpmath.fsum(mpmath.mpf(float(v)) for v in x[n, c].ravel()) / (H * W))
    return y


def pooled_inner_product(kind: str, dy: np.ndarray, shape, kernel, stride, padding, dilation=(1, 1),
                         ceil_mode=False, count_include_pad=True):
    """f(flat x) = ⟨dy, pool(x)⟩ on flat mpf lists, for finite differences (oracles.finite_diff.gradient)."""
    N, C, H, W = shape
    wins, _ = _windows(np.zeros(shape), kernel, stride, padding, dilation, ceil_mode)
    (t, b), (l, r_) = padding

    def f(flat: list) -> mpmath.mpf:
        total = mpmath.mpf(0)
        for i, j, taps in wins:
            cells = [(r, c) for r, c in taps if 0 <= r < H and 0 <= c < W]
            if kind == "avg":
                divisor = (sum(1 for r, c in taps if -t <= r < H + b and -l <= c < W + r_) if count_include_pad
                           else len(cells))
            for n in range(N):
                for ch in range(C):
                    vs = [flat[((n * C + ch) * H + r) * W + c] for r, c in cells]
                    v = max(vs) if kind == "max" else mpmath.fsum(vs) / divisor
                    total += mpmath.mpf(float(dy[n, ch, i, j])) * v
        return total

    return f
