"""NumPy backend: standardization, layer, instance and group normalization, with their backward passes.

Two-pass variance; float16 and bfloat16 inputs are normalised in float32 (the accumulation dtype) and rounded
back once.
"""

from __future__ import annotations

import numpy as np


def acc(x: np.ndarray) -> np.dtype:
    """Accumulation dtype: float32 for 16-bit inputs (float16 and bfloat16, as every framework accumulates
    their statistics), else the input's own."""
    return np.dtype(np.float32) if x.dtype.itemsize == 2 else x.dtype

__all__ = ["group_norm", "group_norm_vjp", "instance_norm", "layer_norm", "layer_norm_vjp", "standardize"]


def _axes(axis, ndim):
    if isinstance(axis, (int, np.integer)):
        return (int(axis) % ndim,)
    return tuple(sorted(int(a) % ndim for a in np.asarray(axis).reshape(-1)))


def _normalize(x, axes, eps):
    """x̂ and 1/s over `axes`, in the accumulation dtype."""
    x = x.astype(acc(x))
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=axes, keepdims=True)
    inv_std = 1 / np.sqrt(var + x.dtype.type(eps))
    return centred * inv_std, inv_std


def _backward(x_hat, inv_std, g, axes):
    mean_g = g.mean(axis=axes, keepdims=True)
    mean_gx = (g * x_hat).mean(axis=axes, keepdims=True)
    return (g - mean_g - x_hat * mean_gx) * inv_std


def _channel(p, ndim):
    return p.reshape((1, -1) + (1,) * (ndim - 2))


def standardize(x, *, axis=-1, eps=1e-5, device):
    return _normalize(x, _axes(axis, x.ndim), eps)[0].astype(x.dtype)


def layer_norm(x, gamma, beta, *, eps=1e-5, device):
    x_hat, _ = _normalize(x, tuple(range(1, x.ndim)), eps)
    w = acc(x)
    return (gamma.astype(w) * x_hat + beta.astype(w)).astype(x.dtype)


def layer_norm_vjp(x, gamma, beta, dy, *, eps=1e-5, device):
    w = acc(x)
    axes = tuple(range(1, x.ndim))
    x_hat, inv_std = _normalize(x, axes, eps)
    dy = dy.astype(w)
    dx = _backward(x_hat, inv_std, gamma.astype(w) * dy, axes)
    return dx.astype(x.dtype), (dy * x_hat).sum(axis=0).astype(x.dtype), dy.sum(axis=0).astype(x.dtype)


def instance_norm(x, gamma, beta, *, eps=1e-5, device):
    x_hat, _ = _normalize(x, tuple(range(2, x.ndim)), eps)
    w = acc(x)
    return (_channel(gamma, x.ndim).astype(w) * x_hat + _channel(beta, x.ndim).astype(w)).astype(x.dtype)


def _grouped(x, groups):
    return x.reshape(x.shape[0], groups, x.shape[1] // groups, *x.shape[2:])


def group_norm(x, gamma, beta, *, groups, eps=1e-5, device):
    xg = _grouped(x, groups)
    x_hat = _normalize(xg, tuple(range(2, xg.ndim)), eps)[0].reshape(x.shape)
    w = acc(x)
    return (_channel(gamma, x.ndim).astype(w) * x_hat + _channel(beta, x.ndim).astype(w)).astype(x.dtype)


def group_norm_vjp(x, gamma, beta, dy, *, groups, eps=1e-5, device):
    w = acc(x)
    xg = _grouped(x, groups)
    axes = tuple(range(2, xg.ndim))
    x_hat, inv_std = _normalize(xg, axes, eps)
    dy = dy.astype(w)
    g = _grouped(_channel(gamma, x.ndim).astype(w) * dy, groups)
    dx = _backward(x_hat, inv_std, g, axes).reshape(x.shape)
    x_hat = x_hat.reshape(x.shape)
    others = (0, *range(2, x.ndim))
    return (dx.astype(x.dtype), (dy * x_hat).sum(axis=others).astype(x.dtype),
            dy.sum(axis=others).astype(x.dtype))
