"""NumPy backend: batch normalization (training, backward, running statistics, inference).

Computed in the accumulation dtype (float32 for float16 and bfloat16 inputs) and returned in the input dtype;
the variance is two-pass (mean first), as NumPy's own `var` does.
"""

from __future__ import annotations

import numpy as np


def acc(x: np.ndarray) -> np.dtype:
    """Accumulation dtype: float32 for 16-bit inputs (float16 and bfloat16, as every framework accumulates
    their statistics), else the input's own."""
    return np.dtype(np.float32) if x.dtype.itemsize == 2 else x.dtype

__all__ = ["batch_norm_inference", "batch_norm_running_stats", "batch_norm_train", "batch_norm_train_vjp"]


def _per_channel(v, ndim, axis):
    shape = [1] * ndim
    shape[axis] = -1
    return v.reshape(shape)


def _reduced(ndim, axis):
    axis %= ndim
    return tuple(d for d in range(ndim) if d != axis)


def _normalised(x, gamma, eps, axis):
    xa = x.astype(acc(x))
    red = _reduced(x.ndim, axis)
    mean = xa.mean(axis=red, keepdims=True)
    var = xa.var(axis=red, keepdims=True)  # two-pass, biased (ddof=0)
    inv_std = 1 / np.sqrt(var + xa.dtype.type(eps))
    return xa, red, (xa - mean) * inv_std, inv_std


def batch_norm_train(x, gamma, beta, *, eps=1e-5, axis=1, device):
    xa, _, x_hat, _ = _normalised(x, gamma, eps, axis)
    g = _per_channel(gamma.astype(xa.dtype), x.ndim, axis)
    b = _per_channel(beta.astype(xa.dtype), x.ndim, axis)
    with np.errstate(over="ignore"):
        return (g * x_hat + b).astype(x.dtype)


def batch_norm_train_vjp(x, gamma, beta, dy, *, eps=1e-5, axis=1, device):
    xa, red, x_hat, inv_std = _normalised(x, gamma, eps, axis)
    g = _per_channel(gamma.astype(xa.dtype), x.ndim, axis)
    d = dy.astype(xa.dtype)
    dbeta = d.sum(axis=red)
    dgamma = (d * x_hat).sum(axis=red)
    dx = g * inv_std * (d - d.mean(axis=red, keepdims=True) - x_hat * (d * x_hat).mean(axis=red, keepdims=True))
    return dx.astype(x.dtype), dgamma.astype(x.dtype), dbeta.astype(x.dtype)


def batch_norm_running_stats(x, running_mean, running_var, *, decay=0.9, axis=1, device):
    m = x.size // x.shape[axis]
    if m < 2:
        raise ValueError(f"x: the unbiased variance needs m >= 2 values per channel, got m = {m}")
    xa = x.astype(acc(x))
    red = _reduced(x.ndim, axis)
    mean = xa.mean(axis=red)
    var = xa.var(axis=red, ddof=1)  # the unbiased m/(m-1) variance of Ioffe & Szegedy, Alg. 2
    new_mean = decay * running_mean.astype(xa.dtype) + (1 - decay) * mean
    new_var = decay * running_var.astype(xa.dtype) + (1 - decay) * var
    with np.errstate(over="ignore"):  # a result beyond the dtype's range rounds to ±inf, as IEEE says
        return new_mean.astype(x.dtype), new_var.astype(x.dtype)


def batch_norm_inference(x, gamma, beta, mean, var, *, eps=1e-5, axis=1, device):
    t = acc(x)
    g, b, e, v = (_per_channel(a.astype(t), x.ndim, axis) for a in (gamma, beta, mean, var))
    with np.errstate(over="ignore"):  # a result beyond the dtype's range rounds to ±inf, as IEEE says
        return (g * (x.astype(t) - e) / np.sqrt(v + t.type(eps)) + b).astype(x.dtype)
