"""Mutants of the batch-norm family: single bugs seen in real implementations and tutorials."""

from __future__ import annotations

import numpy as np

from ..impls import numpy_ as base
from ..impls.numpy_._common import acc
from . import mutant


def _reduced(ndim, axis):
    axis %= ndim
    return tuple(d for d in range(ndim) if d != axis)


def _per_channel(v, ndim, axis):
    shape = [1] * ndim
    shape[axis % ndim] = -1
    return v.reshape(shape)


def _train(x, gamma, beta, eps, axis, *, var_fn=None, denominator=None, red=None):
    """The NumPy training forward with one piece swapped out."""
    xa = x.astype(acc(x))
    red = _reduced(x.ndim, axis) if red is None else red
    mean = xa.mean(axis=red, keepdims=True)
    var = xa.var(axis=red, keepdims=True) if var_fn is None else var_fn(x, red)
    std = np.sqrt(var + eps) if denominator is None else denominator(var, eps)
    g, b = (_per_channel(a.astype(xa.dtype), x.ndim, axis) for a in (gamma, beta))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return (g * (xa - mean) / std + b).astype(x.dtype)


@mutant("batch-norm-biased-running-variance",
        "running variance updated with the biased σ²_B instead of m/(m−1)·σ²_B (Keras/Flax-style)")
def batch_norm_running_stats(x, running_mean, running_var, *, decay=0.9, axis=1, device):
    xa = x.astype(acc(x))
    red = _reduced(x.ndim, axis)
    new_mean = decay * running_mean.astype(xa.dtype) + (1 - decay) * xa.mean(axis=red)
    new_var = decay * running_var.astype(xa.dtype) + (1 - decay) * xa.var(axis=red)
    return new_mean.astype(x.dtype), new_var.astype(x.dtype)


@mutant("batch-norm-momentum-read-as-decay",
        "new = decay·obs + (1 − decay)·old: the framework's 'momentum' (weight of the batch) taken for decay")
def batch_norm_running_stats(x, running_mean, running_var, *, decay=0.9, axis=1, device):  # noqa: F811
    return base.batch_norm_running_stats(x, running_mean, running_var, decay=1 - decay, axis=axis, device=device)


@mutant("batch-norm-eps-outside-sqrt", "x̂ = (x − μ)/(√σ² + ε): ε added to the standard deviation")
def batch_norm_train(x, gamma, beta, *, eps=1e-5, axis=1, device):
    return _train(x, gamma, beta, eps, axis, denominator=lambda var, e: np.sqrt(var) + e)


@mutant("batch-norm-eps-outside-sqrt", "x̂ = (x − μ)/(√σ² + ε): ε added to the standard deviation")
def batch_norm_inference(x, gamma, beta, mean, var, *, eps=1e-5, axis=1, device):
    t = acc(x)
    g, b, e, v = (_per_channel(a.astype(t), x.ndim, axis) for a in (gamma, beta, mean, var))
    with np.errstate(over="ignore", divide="ignore"):
        return (g * (x.astype(t) - e) / (np.sqrt(v) + eps) + b).astype(x.dtype)


@mutant("batch-norm-statistics-per-sample", "mean and variance over each sample's features (layer norm) "
        "instead of over the batch per channel")
def batch_norm_train(x, gamma, beta, *, eps=1e-5, axis=1, device):  # noqa: F811
    return _train(x, gamma, beta, eps, axis, red=tuple(range(1, x.ndim)))


@mutant("batch-norm-channels-first-always", "statistics over every axis but 1 (the NCHW reduction hard-coded), "
        "whatever `axis` says: channels-last input is normalised per row of H")
def batch_norm_train(x, gamma, beta, *, eps=1e-5, axis=1, device):  # noqa: F811
    return _train(x, gamma, beta, eps, axis, red=_reduced(x.ndim, 1))


def _one_pass_var(x, red):
    # E[x²] − E[x]² in the input dtype: cancels catastrophically when |μ| ≫ σ (and may go negative)
    return np.maximum((x * x).mean(axis=red, keepdims=True, dtype=x.dtype)
                      - x.mean(axis=red, keepdims=True, dtype=x.dtype) ** 2, 0).astype(acc(x))


@mutant("batch-norm-one-pass-variance", "σ² = E[x²] − E[x]² in the input dtype (a 'fast variance' path)")
def batch_norm_train(x, gamma, beta, *, eps=1e-5, axis=1, device):  # noqa: F811
    return _train(x, gamma, beta, eps, axis, var_fn=_one_pass_var)


@mutant("batch-norm-vjp-without-mean-term", "dx = (γ/σ)(dy − x̂·mean(dy·x̂)): the mean's gradient −mean(dy) dropped")
def batch_norm_train_vjp(x, gamma, beta, dy, *, eps=1e-5, axis=1, device):
    dx, dgamma, dbeta = base.batch_norm_train_vjp(x, gamma, beta, dy, eps=eps, axis=axis, device=device)
    xa = x.astype(acc(x))
    red = _reduced(x.ndim, axis)
    inv_std = 1 / np.sqrt(xa.var(axis=red, keepdims=True) + eps)
    g = _per_channel(gamma.astype(xa.dtype), x.ndim, axis)
    restored = dx + g * inv_std * dy.astype(xa.dtype).mean(axis=red, keepdims=True)
    return restored.astype(x.dtype), dgamma, dbeta


@mutant("batch-norm-vjp-treats-statistics-as-constants", "dx = (γ/σ)·dy: the gradient through μ_B and σ²_B "
        "dropped (the inference-mode backward used in training)")
def batch_norm_train_vjp(x, gamma, beta, dy, *, eps=1e-5, axis=1, device):  # noqa: F811
    _, dgamma, dbeta = base.batch_norm_train_vjp(x, gamma, beta, dy, eps=eps, axis=axis, device=device)
    xa = x.astype(acc(x))
    red = _reduced(x.ndim, axis)
    inv_std = 1 / np.sqrt(xa.var(axis=red, keepdims=True) + eps)
    g = _per_channel(gamma.astype(xa.dtype), x.ndim, axis)
    return (g * inv_std * dy.astype(xa.dtype)).astype(x.dtype), dgamma, dbeta


@mutant("batch-norm-unbiased-variance-in-training", "the transform normalises with the unbiased m/(m−1)·σ²_B "
        "(ddof=1) instead of the biased σ²_B")
def batch_norm_train(x, gamma, beta, *, eps=1e-5, axis=1, device):  # noqa: F811
    return _train(x, gamma, beta, eps, axis, var_fn=lambda x, red: x.astype(acc(x)).var(axis=red, keepdims=True,
                                                                                         ddof=1))
