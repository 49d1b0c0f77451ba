"""Standardization, layer, instance and group normalization at DPS digits: mean, two-pass variance and square
root of exact inputs in mpmath, so the oracle's only rounding is the final one to float64."""

from __future__ import annotations

from collections.abc import Sequence

import mpmath
import numpy as np

from .mp import DPS


def standardize_row(row: Sequence, eps) -> list:
    """x̂ of one group (a list of mpf) at the working precision of the caller."""
    n = len(row)
    mu = mpmath.fsum(row) / n
    var = mpmath.fsum((v - mu) ** 2 for v in row) / n
    s = mpmath.sqrt(var + eps)
    return [(v - mu) / s for v in row]


def _grouped(x: np.ndarray, view: tuple[int, ...], axes: tuple[int, ...], eps: float) -> np.ndarray:
    """x̂ of every group: `x` seen as `view`, groups spanning `axes` of the view; exact, then rounded once."""
    xv = np.asarray(x, dtype=np.float64).reshape(view)
    rest = [a for a in range(xv.ndim) if a not in axes]
    moved = np.transpose(xv, rest + list(axes))
    rows = moved.reshape(int(np.prod([xv.shape[a] for a in rest])), -1)
    out = np.empty(rows.shape, dtype=object)
    with mpmath.workdps(DPS):
        e = mpmath.mpf(eps)
        for i, row in enumerate(rows):
            out[i] = standardize_row([mpmath.mpf(float(v)) for v in row], e)
    inverse = np.argsort(rest + list(axes))
    return np.transpose(out.reshape(moved.shape), inverse).reshape(np.shape(x))


def _affine(x_hat: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    out = np.empty(x_hat.shape, dtype=np.float64)
    g = np.broadcast_to(gamma, x_hat.shape)
    b = np.broadcast_to(beta, x_hat.shape)
    with mpmath.workdps(DPS):
        for idx in np.ndindex(x_hat.shape):
            out[idx] = float(mpmath.mpf(float(g[idx])) * x_hat[idx] + mpmath.mpf(float(b[idx])))
    return out


def standardize(x: np.ndarray, *, axis, eps: float = 1e-5) -> np.ndarray:
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(sorted(int(a) % np.ndim(x) for a in axes))
    return _affine(_grouped(x, np.shape(x), axes, eps), np.ones(1), np.zeros(1))


def layer_norm(x, gamma, beta, *, eps=1e-5):
    return _affine(_grouped(x, np.shape(x), tuple(range(1, np.ndim(x))), eps), gamma[None], beta[None])


def _channel(p, ndim):
    return np.asarray(p).reshape((1, -1) + (1,) * (ndim - 2))


def instance_norm(x, gamma, beta, *, eps=1e-5):
    nd = np.ndim(x)
    return _affine(_grouped(x, np.shape(x), tuple(range(2, nd)), eps), _channel(gamma, nd), _channel(beta, nd))


def group_norm(x, gamma, beta, *, groups, eps=1e-5):
    shape = np.shape(x)
    view = (shape[0], groups, shape[1] // groups, *shape[2:])
    nd = len(shape)
    return _affine(_grouped(x, view, tuple(range(2, len(view))), eps), _channel(gamma, nd), _channel(beta, nd))
