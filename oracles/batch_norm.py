"""Batch normalization at DPS digits: statistics, the training and inference transforms, running statistics.

Each channel's values are gathered into a list of exact mpf; the statistics are exact sums divided in mpf, so
the one-pass and two-pass variances agree here to DPS digits (no cancellation is visible at 50 digits).
"""

from __future__ import annotations

import mpmath
import numpy as np

from .mp import DPS, mpf_array, to_float


def _channels(x: np.ndarray, axis: int) -> tuple[np.ndarray, int]:
    """x as an object array of mpf, moved to (C, m)."""
    x = np.asarray(x, dtype=np.float64)
    ax = axis % x.ndim
    moved = np.moveaxis(mpf_array(x), ax, 0)
    return moved.reshape(moved.shape[0], -1), ax


def _restore(rows: np.ndarray, x: np.ndarray, ax: int) -> np.ndarray:
    moved_shape = np.moveaxis(np.empty(x.shape), ax, 0).shape
    return np.moveaxis(to_float(rows.reshape(moved_shape)), 0, ax)


def _stats(row) -> tuple[mpmath.mpf, mpmath.mpf]:
    m = len(row)
    mean = mpmath.fsum(row) / m
    return mean, mpmath.fsum((v - mean) ** 2 for v in row) / m


def mp_train(xs: list, gammas: list, betas: list, eps: float, m: int) -> list:
    """The training transform on flat mpf lists laid out (C, m): for finite differences."""
    out = []
    for c, (g, b) in enumerate(zip(gammas, betas)):
        row = xs[c * m:(c + 1) * m]
        mean, var = _stats(row)
        s = mpmath.sqrt(var + mpmath.mpf(eps))
        out += [g * (v - mean) / s + b for v in row]
    return out


def batch_norm_train(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, eps: float, axis: int) -> np.ndarray:
    with mpmath.workdps(DPS):
        rows, ax = _channels(x, axis)
        out = np.empty(rows.shape, dtype=object)
        for c in range(rows.shape[0]):
            mean, var = _stats(list(rows[c]))
            s = mpmath.sqrt(var + mpmath.mpf(float(eps)))
            g, b = mpmath.mpf(float(gamma[c])), mpmath.mpf(float(beta[c]))
            out[c] = [g * (v - mean) / s + b for v in rows[c]]
        return _restore(out, np.asarray(x), ax)


def batch_norm_inference(x, gamma, beta, mean, var, *, eps: float, axis: int) -> np.ndarray:
    with mpmath.workdps(DPS):
        rows, ax = _channels(x, axis)
        out = np.empty(rows.shape, dtype=object)
        for c in range(rows.shape[0]):
            s = mpmath.sqrt(mpmath.mpf(float(var[c])) + mpmath.mpf(float(eps)))
            g, b, e = (mpmath.mpf(float(a[c])) for a in (gamma, beta, mean))
            out[c] = [g * (v - e) / s + b for v in rows[c]]
        return _restore(out, np.asarray(x), ax)


def batch_norm_running_stats(x, running_mean, running_var, *, decay: float, axis: int) -> tuple[np.ndarray, np.ndarray]:
    with mpmath.workdps(DPS):
        rows, _ = _channels(x, axis)
        m = rows.shape[1]
        d = mpmath.mpf(float(decay))
        new_mean, new_var = [], []
        for c in range(rows.shape[0]):
            mean, var = _stats(list(rows[c]))
            new_mean.append(d * mpmath.mpf(float(running_mean[c])) + (1 - d) * mean)
            new_var.append(d * mpmath.mpf(float(running_var[c])) + (1 - d) * var * m / (m - 1))
        return to_float(np.array(new_mean, dtype=object)), to_float(np.array(new_var, dtype=object))
