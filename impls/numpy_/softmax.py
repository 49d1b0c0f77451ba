"""NumPy backend: softmax and log-softmax."""

from __future__ import annotations

import numpy as np

from ._common import acc

__all__ = ["log_softmax", "log_softmax_vjp", "softmax", "softmax_vjp"]


def softmax(x, *, axis=-1, device):
    with np.errstate(over="ignore"):  # x − max may overflow to −inf in float16; exp(−inf) = 0 is then exact
        e = np.exp(x - x.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True, dtype=acc(x))).astype(x.dtype)


def log_softmax(x, *, axis=-1, device):
    with np.errstate(over="ignore"):  # overflow here means the true result is below float16's range too
        shifted = x - x.max(axis=axis, keepdims=True)
    return (shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True, dtype=acc(x)))).astype(x.dtype)


def softmax_vjp(x, dy, *, axis=-1, device):
    y = softmax(x, axis=axis, device=device)
    return (y * (dy - (dy * y).sum(axis=axis, keepdims=True, dtype=acc(x)))).astype(x.dtype)


def log_softmax_vjp(x, dy, *, axis=-1, device):
    y = softmax(x, axis=axis, device=device)
    return (dy - y * dy.sum(axis=axis, keepdims=True, dtype=acc(x))).astype(x.dtype)
