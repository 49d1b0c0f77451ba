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


# ---------------------------------------------------------------------------------------------------------
# Inferior algorithms and reach (issue 10): each a behaviour seen in a real kernel, cited.
# ---------------------------------------------------------------------------------------------------------

def _sequential_sum(x, red, dtype):
    """Σ over `red` with a running accumulator of `dtype`, one rounding per addition (a kernel's loop)."""
    moved = np.moveaxis(x, red, tuple(range(x.ndim - len(red), x.ndim)))
    flat = moved.reshape((*moved.shape[: x.ndim - len(red)], -1)).astype(dtype)
    total = np.zeros(flat.shape[:-1], dtype=dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(flat.shape[-1]):
            total = (total + flat[..., i]).astype(dtype)
    shape = [1 if d in red else x.shape[d] for d in range(x.ndim)]
    return total.reshape(shape)


def _stats_16(x, red, *, mean_in_dtype, var_in_dtype):
    m = x.size // np.prod([x.shape[d] for d in range(x.ndim) if d not in red])
    xa = x.astype(acc(x))
    with np.errstate(over="ignore", invalid="ignore"):
        if mean_in_dtype:
            mean = (_sequential_sum(x, red, x.dtype) / x.dtype.type(m)).astype(xa.dtype)
        else:
            mean = xa.mean(axis=red, keepdims=True)
        d = xa - mean
        if var_in_dtype:
            var = (_sequential_sum((d * d).astype(x.dtype), red, x.dtype) / x.dtype.type(m)).astype(xa.dtype)
        else:
            var = (d * d).mean(axis=red, keepdims=True)
    return mean, var


def _train_from(x, gamma, beta, eps, axis, mean, var):
    xa = x.astype(acc(x))
    g, b = (_per_channel(a.astype(xa.dtype), x.ndim, axis) for a in (gamma, beta))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return (g * (xa - mean) / np.sqrt(var + xa.dtype.type(eps)) + b).astype(x.dtype)


@mutant("batch-norm-float16-variance-sum",
        "Σ(x − μ)² accumulated in the input dtype (float16 var_sum): it overflows past 65504 while the variance "
        "fits, and loses u·m relative before that; PyTorch's CPU batch-norm statistics did this for Half until "
        "https://github.com/pytorch/pytorch/pull/126525 ('Use float data type for Half var_sum')")
def batch_norm_train(x, gamma, beta, *, eps=1e-5, axis=1, device):  # noqa: F811
    red = _reduced(x.ndim, axis)
    mean, var = _stats_16(x, red, mean_in_dtype=False, var_in_dtype=True)
    return _train_from(x, gamma, beta, eps, axis, mean, var)


@mutant("batch-norm-float16-variance-sum",
        "Σ(x − μ)² accumulated in the input dtype (float16 var_sum): it overflows past 65504 while the variance "
        "fits, and loses u·m relative before that; PyTorch's CPU batch-norm statistics did this for Half until "
        "https://github.com/pytorch/pytorch/pull/126525 ('Use float data type for Half var_sum')")
def batch_norm_running_stats(x, running_mean, running_var, *, decay=0.9, axis=1, device):  # noqa: F811
    red = _reduced(x.ndim, axis)
    m = x.size // x.shape[axis]
    mean, var = _stats_16(x, red, mean_in_dtype=False, var_in_dtype=True)
    t = mean.dtype
    with np.errstate(over="ignore", invalid="ignore"):
        new_mean = decay * running_mean.astype(t) + (1 - decay) * mean.reshape(-1)
        new_var = decay * running_var.astype(t) + (1 - decay) * (m / (m - 1)) * var.reshape(-1)
        return new_mean.astype(x.dtype), new_var.astype(x.dtype)


@mutant("batch-norm-float16-mean-sum",
        "μ = (Σx in the input dtype)/m: the float16 sum overflows to inf past 65504 while the mean fits "
        "(https://github.com/tracel-ai/burn/pull/4769 'fix mean overflow': 'a naive sum_dim + scalar_div can "
        "overflow to +inf when the intermediate sum exceeds f16::MAX even if the final mean fits'; "
        "https://github.com/ROCm/AMDMIGraphX/issues/850)")
def batch_norm_train(x, gamma, beta, *, eps=1e-5, axis=1, device):  # noqa: F811
    red = _reduced(x.ndim, axis)
    mean, var = _stats_16(x, red, mean_in_dtype=True, var_in_dtype=False)
    return _train_from(x, gamma, beta, eps, axis, mean, var)


@mutant("batch-norm-one-pass-variance-unclamped",
        "σ² = E[x²] − E[x]² in the working precision with no clamp at 0: rounding makes it negative for |μ| ≫ σ "
        "and rsqrt(σ² + ε) is NaN (https://github.com/google/flax/issues/1491 'Variance can be negative in "
        "BatchNorm computation, leading to NaN's'; https://github.com/tenstorrent/tt-metal/issues/45968)")
def batch_norm_train(x, gamma, beta, *, eps=1e-5, axis=1, device):  # noqa: F811
    red = _reduced(x.ndim, axis)
    xa = x.astype(acc(x))
    mean = xa.mean(axis=red, keepdims=True)
    var = (xa * xa).mean(axis=red, keepdims=True) - mean * mean
    return _train_from(x, gamma, beta, eps, axis, mean, var)


@mutant("batch-norm-eps-in-input-dtype",
        "ε (and the statistics) cast down to the input dtype before √(σ² + ε): 1e-12 becomes 0 in float16, and "
        "a constant channel gives 0/0 = NaN (https://github.com/apple/coreai-torch/pull/54 'Compute fp16 batch "
        "norm in fp32 instead of downcasting the params'; https://github.com/pytorch/pytorch/issues/41527)")
def batch_norm_train(x, gamma, beta, *, eps=1e-5, axis=1, device):  # noqa: F811
    red = _reduced(x.ndim, axis)
    xa = x.astype(acc(x))
    mean = xa.mean(axis=red, keepdims=True)
    var = ((xa - mean) ** 2).mean(axis=red, keepdims=True).astype(x.dtype)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        inv_std = (1 / np.sqrt(var + x.dtype.type(eps))).astype(xa.dtype)
        g, b = (_per_channel(a.astype(xa.dtype), x.ndim, axis) for a in (gamma, beta))
        return (g * ((xa - mean) * inv_std) + b).astype(x.dtype)
