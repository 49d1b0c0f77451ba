"""Mutants of the normalisation family: single bugs people write in layer, instance and group norm."""

from __future__ import annotations

import numpy as np

from ..impls import numpy_ as base
from ..impls.numpy_._common import acc
from . import mutant


def _affine(x, x_hat, gamma, beta, per_channel):
    w = acc(x)
    if per_channel:
        gamma, beta = (p.reshape((1, -1) + (1,) * (x.ndim - 2)) for p in (gamma, beta))
    return (gamma.astype(w) * x_hat + beta.astype(w)).astype(x.dtype)


def _grouped_axes(x, groups):
    xg = x.reshape(x.shape[0], groups, x.shape[1] // groups, *x.shape[2:])
    return xg, tuple(range(2, xg.ndim))


@mutant("layer-norm-over-the-last-axis-only", "layer_norm normalises over x.shape[-1] alone, not all of one sample")
def layer_norm(x, gamma, beta, *, eps=1e-5, device):
    return _affine(x, base.standardize(x, axis=-1, eps=eps, device=device).astype(acc(x)), gamma, beta, False)


@mutant("group-norm-groups-as-channels-per-group", "reshapes to (N, C/G, G, …): `groups` read as channels per group")
def group_norm(x, gamma, beta, *, groups, eps=1e-5, device):
    xg = x.reshape(x.shape[0], x.shape[1] // groups, groups, *x.shape[2:])
    x_hat = base.standardize(xg, axis=tuple(range(2, xg.ndim)), eps=eps, device=device).reshape(x.shape)
    return _affine(x, x_hat.astype(acc(x)), gamma, beta, True)


@mutant("instance-norm-over-the-batch-too", "instance_norm's statistics over (N, *spatial): that is batch norm")
def instance_norm(x, gamma, beta, *, eps=1e-5, device):
    axes = (0, *range(2, x.ndim))
    return _affine(x, base.standardize(x, axis=axes, eps=eps, device=device).astype(acc(x)), gamma, beta, True)


def _eps_outside(x, axes, eps):
    x = x.astype(acc(x))
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / (x.std(axis=axes, keepdims=True) + eps)


@mutant("eps-outside-the-sqrt", "x̂ = (x − μ)/(σ + ε) instead of (x − μ)/√(σ² + ε)")
def standardize(x, *, axis=-1, eps=1e-5, device):
    return _eps_outside(x, base.norms._axes(axis, x.ndim), eps).astype(x.dtype)


@mutant("eps-outside-the-sqrt", "x̂ = (x − μ)/(σ + ε) instead of (x − μ)/√(σ² + ε)")
def layer_norm(x, gamma, beta, *, eps=1e-5, device):  # noqa: F811  (a different mutant of the same op)
    return _affine(x, _eps_outside(x, tuple(range(1, x.ndim)), eps), gamma, beta, False)


@mutant("eps-outside-the-sqrt", "x̂ = (x − μ)/(σ + ε) instead of (x − μ)/√(σ² + ε)")
def group_norm(x, gamma, beta, *, groups, eps=1e-5, device):  # noqa: F811
    xg, axes = _grouped_axes(x, groups)
    return _affine(x, _eps_outside(xg, axes, eps).reshape(x.shape), gamma, beta, True)


def _unbiased(x, axes, eps):
    x = x.astype(acc(x))
    n = int(np.prod([x.shape[a] for a in axes]))
    with np.errstate(divide="ignore", invalid="ignore"):
        var = x.var(axis=axes, keepdims=True, ddof=1) if n > 1 else np.zeros_like(x.mean(axis=axes, keepdims=True))
    return (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(var + eps)


@mutant("unbiased-variance", "σ² with ddof=1 (divides by n − 1), the running-variance convention, in the forward")
def layer_norm(x, gamma, beta, *, eps=1e-5, device):  # noqa: F811
    return _affine(x, _unbiased(x, tuple(range(1, x.ndim)), eps), gamma, beta, False)


@mutant("unbiased-variance", "σ² with ddof=1 (divides by n − 1), the running-variance convention, in the forward")
def instance_norm(x, gamma, beta, *, eps=1e-5, device):  # noqa: F811
    return _affine(x, _unbiased(x, tuple(range(2, x.ndim)), eps), gamma, beta, True)


@mutant("unbiased-variance", "σ² with ddof=1 (divides by n − 1), the running-variance convention, in the forward")
def group_norm(x, gamma, beta, *, groups, eps=1e-5, device):  # noqa: F811
    xg, axes = _grouped_axes(x, groups)
    return _affine(x, _unbiased(xg, axes, eps).reshape(x.shape), gamma, beta, True)


def _one_pass(x, axes, eps):
    """E[x²] − E[x]² with every operation in the input dtype (float16 accumulates in float32 like NumPy's mean)."""
    mean = x.mean(axis=axes, keepdims=True)
    var = (x * x).mean(axis=axes, keepdims=True) - mean * mean
    with np.errstate(invalid="ignore"):
        return (x - mean) / np.sqrt(var + x.dtype.type(eps))


@mutant("one-pass-variance", "σ² = E[x²] − E[x]² in the input dtype: cancels catastrophically when |μ| ≫ σ")
def standardize(x, *, axis=-1, eps=1e-5, device):  # noqa: F811
    return _one_pass(x, base.norms._axes(axis, x.ndim), eps).astype(x.dtype)


@mutant("one-pass-variance", "σ² = E[x²] − E[x]² in the input dtype: cancels catastrophically when |μ| ≫ σ")
def layer_norm(x, gamma, beta, *, eps=1e-5, device):  # noqa: F811
    return _affine(x, _one_pass(x, tuple(range(1, x.ndim)), eps), gamma, beta, False)


@mutant("one-pass-variance", "σ² = E[x²] − E[x]² in the input dtype: cancels catastrophically when |μ| ≫ σ")
def group_norm(x, gamma, beta, *, groups, eps=1e-5, device):  # noqa: F811
    xg, axes = _grouped_axes(x, groups)
    return _affine(x, _one_pass(xg, axes, eps).reshape(x.shape), gamma, beta, True)


@mutant("layer-norm-vjp-without-the-mean-term", "dx = (g − x̂·mean(g x̂))/s: the path through μ is dropped")
def layer_norm_vjp(x, gamma, beta, dy, *, eps=1e-5, device):
    w = acc(x)
    axes = tuple(range(1, x.ndim))
    xf = x.astype(w)
    mean = xf.mean(axis=axes, keepdims=True)
    inv_std = 1 / np.sqrt(((xf - mean) ** 2).mean(axis=axes, keepdims=True) + w.type(eps))
    x_hat = (xf - mean) * inv_std
    dy = dy.astype(w)
    g = gamma.astype(w) * dy
    dx = (g - x_hat * (g * x_hat).mean(axis=axes, keepdims=True)) * inv_std
    return dx.astype(x.dtype), (dy * x_hat).sum(axis=0).astype(x.dtype), dy.sum(axis=0).astype(x.dtype)


@mutant("group-norm-vjp-affine-grads-averaged", "dγ, dβ averaged over the batch (a loss's mean) instead of summed")
def group_norm_vjp(x, gamma, beta, dy, *, groups, eps=1e-5, device):
    dx, dgamma, dbeta = base.group_norm_vjp(x, gamma, beta, dy, groups=groups, eps=eps, device=device)
    n = x.shape[0]
    return dx, (dgamma / n).astype(x.dtype), (dbeta / n).astype(x.dtype)
