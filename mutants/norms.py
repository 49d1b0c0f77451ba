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


# ---------------------------------------------------------------------------------------------------------
# Inferior algorithms and reach (issue 10): each a behaviour seen in a real kernel, cited.
# ---------------------------------------------------------------------------------------------------------

def _sequential_sum(x, axes, dtype):
    """Σ over `axes` (keepdims) with a running accumulator of `dtype`, one rounding per addition."""
    k = len(axes)
    moved = np.moveaxis(x, axes, tuple(range(x.ndim - k, x.ndim)))
    flat = moved.reshape((*moved.shape[: x.ndim - k], -1)).astype(dtype)
    total = np.zeros(flat.shape[:-1], dtype=dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(flat.shape[-1]):
            total = (total + flat[..., i]).astype(dtype)
    return total.reshape([1 if d in axes else x.shape[d] for d in range(x.ndim)])


def _normalised_with(x, axes, eps, *, stats):
    """x̂ over `axes` in the accumulation dtype, the statistics (mean, var) from `stats(x, axes)`."""
    w = acc(x)
    mean, var = stats(x, axes)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return (x.astype(w) - mean.astype(w)) / np.sqrt(var.astype(w) + w.type(eps))


def _four_ops(name, description, stats=None, x_hat=None):
    """Register mutant `name` for standardize, layer, instance and group norm, x̂ computed by `x_hat(x, axes, eps)`
    (default: from `stats`)."""
    def hat(x, axes, eps):
        return x_hat(x, axes, eps) if x_hat is not None else _normalised_with(x, axes, eps, stats=stats)

    def standardize(x, *, axis=-1, eps=1e-5, device):
        return hat(x, base.norms._axes(axis, x.ndim), eps).astype(x.dtype)

    def layer_norm(x, gamma, beta, *, eps=1e-5, device):
        return _affine(x, hat(x, tuple(range(1, x.ndim)), eps), gamma, beta, False)

    def instance_norm(x, gamma, beta, *, eps=1e-5, device):
        return _affine(x, hat(x, tuple(range(2, x.ndim)), eps), gamma, beta, True)

    def group_norm(x, gamma, beta, *, groups, eps=1e-5, device):
        xg, axes = _grouped_axes(x, groups)
        return _affine(x, hat(xg, axes, eps).reshape(x.shape), gamma, beta, True)

    for fn in (standardize, layer_norm, instance_norm, group_norm):
        mutant(name, description)(fn)


def _count(x, axes):
    return int(np.prod([x.shape[a] for a in axes]))


def _f16_stats(x, axes):
    n = x.dtype.type(_count(x, axes))
    with np.errstate(over="ignore", invalid="ignore"):
        mean = _sequential_sum(x, axes, x.dtype) / n
        d = (x - mean).astype(x.dtype)
        return mean, _sequential_sum(d * d, axes, x.dtype) / n


_four_ops("norm-float16-accumulation",
          "mean and Σ(x − μ)² accumulated in the input dtype (half): Σ(x − μ)² overflows past 65504 and the sums "
          "lose u·n before that (https://github.com/pytorch/pytorch/issues/66707 'layer_norm needs to be done in "
          "fp32 for fp16 inputs'; https://github.com/microsoft/onnxruntime/pull/28442 'Fix f16 overflow in "
          "SkipLayerNormalization CUDA kernel')", stats=_f16_stats)


def _mean_f16_sum(x, axes):
    w = acc(x)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = (_sequential_sum(x, axes, x.dtype) / x.dtype.type(_count(x, axes))).astype(w)
        d = x.astype(w) - mean
        return mean, (d * d).mean(axis=axes, keepdims=True)


_four_ops("norm-mean-by-float16-sum",
          "μ = (Σx in the input dtype)/n, the variance in float32: the float16 sum overflows to inf past 65504 "
          "while the mean fits (https://github.com/tracel-ai/burn/pull/4769 'fix mean overflow'; "
          "https://github.com/ROCm/AMDMIGraphX/issues/850 'fp16 overflow' in reduce_mean)", stats=_mean_f16_sum)


def _eps_in_dtype(x, axes, eps):
    w = acc(x)
    xa = x.astype(w)
    mean = xa.mean(axis=axes, keepdims=True)
    var = ((xa - mean) ** 2).mean(axis=axes, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # var + ε evaluated in the input dtype: ε = 1e-12 is 0 in float16, a constant group gives 0 · inf
        inv_std = (1 / np.sqrt(var.astype(x.dtype) + x.dtype.type(eps))).astype(w)
        return (xa - mean) * inv_std


_four_ops("norm-eps-in-input-dtype",
          "var + ε evaluated in the input dtype: ε = 1e-12 rounds to 0 in float16 and a constant group gives "
          "0 · inf = NaN instead of β (https://github.com/pytorch/pytorch/issues/41527 'layer_norm returns nan "
          "for fp16 all 0 tensor', eps=1e-12)", x_hat=_eps_in_dtype)


BLOCK = 1024


def _first_block_stats(x, axes):
    """The statistics of the first BLOCK elements of each group only (the columns past the block are ignored)."""
    w = acc(x)
    moved = np.moveaxis(x, axes, tuple(range(x.ndim - len(axes), x.ndim)))
    flat = moved.reshape((*moved.shape[: x.ndim - len(axes)], -1)).astype(w)[..., :BLOCK]
    shape = [1 if d in axes else x.shape[d] for d in range(x.ndim)]
    mean = flat.mean(axis=-1)
    var = ((flat - mean[..., None]) ** 2).mean(axis=-1)
    return mean.reshape(shape), var.reshape(shape)


_four_ops("norm-statistics-ignore-columns-past-the-block",
          "mean and variance over the first BLOCK_SIZE = 1024 values of a group only: the kernel never advances "
          "its column offsets past one block (https://github.com/facebookresearch/xformers/issues/785 'Triton "
          "layer norm kernel does not include columns greater than BLOCK_SIZE_N')", stats=_first_block_stats)


def _padded_lanes_stats(x, axes):
    """Masked lanes of the power-of-two block loaded as 0 and not masked again in x − μ: each adds μ² to Σ(x − μ)²."""
    w = acc(x)
    xa = x.astype(w)
    n = _count(x, axes)
    lanes = 1 << (n - 1).bit_length()
    mean = xa.mean(axis=axes, keepdims=True)
    var = (((xa - mean) ** 2).sum(axis=axes, keepdims=True) + (lanes - n) * mean * mean) / n
    return mean, var


_four_ops("norm-variance-counts-padded-lanes",
          "the variance sums (0 − μ)² over the padding lanes of the next power-of-two block (hidden sizes that are "
          "not a power of two): σ² + (P − n)μ²/n (https://github.com/linkedin/Liger-Kernel/pull/519 'Fix mean "
          "subtraction in layer norm kernels', found with hidden size 1536)", stats=_padded_lanes_stats)


def _one_pass_clamped(x, axes):
    w = acc(x)
    xa = x.astype(w)
    mean = xa.mean(axis=axes, keepdims=True)
    return mean, np.maximum((xa * xa).mean(axis=axes, keepdims=True) - mean * mean, 0)


_four_ops("norm-one-pass-variance-clamped",
          "σ² = max(E[x²] − E[x]², 0) in the float32 working precision: no NaN, but all accuracy lost for |μ| ≫ σ "
          "(https://github.com/pytorch/pytorch/issues/51102 'LayerNorm does not behave as documented', mean 2000; "
          "the clamp of https://github.com/google/flax/issues/1491 hides the NaN, not the cancellation)",
          stats=_one_pass_clamped)
