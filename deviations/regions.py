"""Where a catalogued deviation applies: one named predicate per region, `region(case, dtype, **region_args) -> bool`.

A catalogue entry names its region (`region = "..."`); each drawn case of a matching item is routed by it:
outside every region the spec must hold, inside it the entry's documented behaviour (if any). The docstring's
first paragraph is the region's text in the report. Thresholds are derived the way the error models are (from
the dtype's ε, max and tiny, and the algorithm the framework documents), never fitted to the examples: a
region that is too small turns the item red on a case the entry does not explain, one that is too large only
leaves cases counted instead of checked.

A predicate reads what it needs from the case's fields (the norms' grouping from `groups`/`axis`/the shape of
γ, the cross-entropy's reduction, ...) and is false for a case that lacks them, so one region serves every
property of an entry.
"""

from __future__ import annotations

import numpy as np

from ..dtypes import eps, max_value, tiny
from ..properties.norms import _Groups
from ..properties.tolerance import LIBM
from ..spec import cross_entropy as CE
from ..spec import sigmoid as SG
from ..spec import softmax as SM

# ---------------------------------------------------------------------------------------------------------
# The normalisation groups of a case (batch, layer, instance, group norm, standardize)
# ---------------------------------------------------------------------------------------------------------


def _eps_reg(case) -> float:
    return float(getattr(case, "eps", 1e-5))


def _groupings(case, x: np.ndarray, dtype: str) -> list[_Groups]:
    """The statistics groups the case's properties normalise x over.

    batch norm (`axis` and γ, running or given statistics): a channel over every other axis; standardize
    (`axis`, nothing else): the slices along `axis`; group norm (`groups`): the case's groups, and also one
    channel (G = C) and the whole sample (G = 1), which the properties comparing group norm with instance and
    layer norm use; layer norm (γ of x's trailing shape): the sample; instance norm (γ per channel, x of rank
    >= 3): a channel of a sample.
    """
    e = _eps_reg(case)
    gamma = getattr(case, "gamma", None)
    axis = getattr(case, "axis", None)
    if axis is not None:
        ax = axis % x.ndim if isinstance(axis, int) else None
        batch_norm = any(getattr(case, k, None) is not None for k in ("gamma", "running_mean", "mean"))
        if batch_norm and ax is not None:
            return [_Groups(x, tuple(a for a in range(x.ndim) if a != ax), e, dtype)]
        axes = tuple(a % x.ndim for a in np.atleast_1d(axis))
        return [_Groups(x, axes, e, dtype)]
    sample = _Groups(x, tuple(range(1, x.ndim)), e, dtype)
    if hasattr(case, "groups"):
        n, c = x.shape[:2]
        out = [sample]
        if x.ndim >= 3:
            out.append(_Groups(x, tuple(range(2, x.ndim)), e, dtype))
        g = int(case.groups)
        if g > 1 and c % g == 0:
            view = (n, g, c // g, *x.shape[2:])
            out.append(_Groups(x, tuple(range(2, len(view))), e, dtype, view))
        return out
    if gamma is not None and np.shape(gamma) == x.shape[1:]:
        return [sample]
    if x.ndim >= 3:
        return [_Groups(x, tuple(range(2, x.ndim)), e, dtype)]
    return [sample]


def _inputs(case) -> list[np.ndarray]:
    """x, and the shifted input x + c or the scaled input a·x of an invariance property (it normalises both)."""
    out = [np.asarray(case.x, dtype=np.float64)]
    for other in ("shifted", "scaled"):
        if getattr(case, other, None) is not None:
            out.append(np.asarray(getattr(case, other), dtype=np.float64))
    return out


def _any_group(case, dtype: str, test) -> bool:
    if getattr(case, "x", None) is None:
        return False
    return any(bool(np.any(test(gr))) for x in _inputs(case) for gr in _groupings(case, x, dtype))


# ---------------------------------------------------------------------------------------------------------
# Regions
# ---------------------------------------------------------------------------------------------------------


def everywhere(case, dtype: str) -> bool:
    """Every input: the property exists to test exactly this convention (the entry's region_doc says why)."""
    return True


def batch_variance_is_positive(case, dtype: str) -> bool:
    """A batch with a channel whose biased variance σ²_B is positive (m >= 2): there the running variance's
    observation m/(m−1)·σ²_B differs from σ²_B by σ²_B/(m−1), which is no rounding; a constant channel gives 0
    either way."""
    x = np.asarray(case.x, dtype=np.float64)
    ax = case.axis % x.ndim
    red = tuple(a for a in range(x.ndim) if a != ax)
    return x.size // x.shape[ax] >= 2 and bool(np.any(x.var(axis=red) > 0))


def one_value_statistics(case, dtype: str) -> bool:
    """Statistics over a single value, where torch refuses to train: batch norm with one value per channel
    (N·H·W = 1), instance norm with one spatial position (H·W = 1), group norm with N·(C/G)·H·W = 1."""
    x = np.asarray(case.x)
    if getattr(case, "axis", None) is not None:
        return x.size // x.shape[case.axis % x.ndim] == 1
    if hasattr(case, "groups"):
        return x.shape[0] * (x.shape[1] // int(case.groups)) * int(np.prod(x.shape[2:])) == 1
    return x.ndim >= 2 and int(np.prod(x.shape[2:])) == 1


def folded_affine_exceeds_the_cap(case, dtype: str, compute: str | None = None) -> bool:
    """A normalisation group whose largest magnitude M is beyond 1/(2ε) standard deviations, 2ε·M/s > 1
    (s = √(σ² + ε_reg)): a near-constant group of large values. The folded form x·(γ/s) + (β − μγ/s), and a
    mean rounded before the subtraction, err by ε(|x_i| + |μ|)/s <= 2εM/s in x̂; the norms model charges that
    to first order, capped at 2|x̂_i| + 1, so only here can those algorithms leave the model (x̂ ≠ 0 for a
    constant group). ε is the precision the kernel computes in: `compute` (float32 for half inputs) where
    finer than the dtype's."""
    e = min(eps(dtype), eps(compute)) if compute else eps(dtype)
    return _any_group(case, dtype, lambda gr: 2 * e * gr.M / gr.s > 1)


def one_pass_variance_cancels(case, dtype: str) -> bool:
    """A normalisation group where the one-pass variance E[x²] − E[x]² can leave the model: its rounding,
    ε(n + 2)M² (n + 2 roundings of terms up to M²), is a relative error ε(n + 2)M²/(2s²) of s, which every
    output carries (x̂ = d/s, and the backward's 1/s), beyond the model's relative allowance for s,
    ε(ρ + LIBM + 4) (properties/norms.py; two-pass or Welford) once M/s is more than a few — for data offset
    from zero by a few standard deviations, |μ| ≫ σ; or where the model caps the mean's rounding (ε(n + 2)M/s
    beyond 2|x̂_i| + 1, near-constant groups of large values): the cap holds for a two-pass variance, which
    grows by the mean's error δ², not for a one-pass one, which does not see δ; or where the squares overflow,
    M² > max (|x| > 256 in float16), for a one-pass variance computed in the dtype."""

    def test(gr: _Groups) -> np.ndarray:
        one_pass = (gr.n + 2) * gr.M**2 / (2 * gr.s**2)
        capped = gr.e * (gr.n + 2) * gr.M / gr.s > 2 * np.abs(gr.x_hat) + 1
        return (one_pass > gr.rho() + LIBM + 4) | capped | (gr.M**2 > max_value(dtype))

    return _any_group(case, dtype, test)


def inverse_cube_underflows(case, dtype: str) -> bool:
    """A normalisation group with s = √(σ² + ε_reg) >= tiny₃₂^(−1/3) ≈ 4.4e12: there σ⁻³ formed in float32
    (rsqrt(var)/var) is below float32's smallest normal 1.18e-38 and flushes, losing the variance term of dx."""
    limit = tiny("float32") ** (-1 / 3)
    return _any_group(case, dtype, lambda gr: gr.s >= limit)


def fused_affine_overflows(case, dtype: str) -> bool:
    """A channel where a factor of the folded batch norm leaves the dtype: max(|x|, |μ|)·|γ|/s > max (the
    forward's x·inv and μ·inv, inv = γ/s), or, for a backward case (with dy), s⁻³ > max (the gradient's
    (σ² + ε)^(−3/2)). s = √(σ² + ε) with the batch statistics, or the given mean and var at inference."""
    big = max_value(dtype)
    for x in _inputs(case):
        ax = case.axis % x.ndim
        red = tuple(a for a in range(x.ndim) if a != ax)
        shape = [1] * x.ndim
        shape[ax] = -1
        if getattr(case, "var", None) is not None:
            mu, var = np.reshape(case.mean, shape), np.reshape(case.var, shape)
        else:
            mu, var = x.mean(axis=red, keepdims=True), x.var(axis=red, keepdims=True)
        s = np.sqrt(var + _eps_reg(case))
        gamma = np.abs(np.reshape(getattr(case, "gamma", np.ones(x.shape[ax])), shape))
        reach = np.maximum(np.abs(x).max(axis=red, keepdims=True), np.abs(mu)) * gamma / s
        if np.any(reach > big) or (getattr(case, "dy", None) is not None and np.any(s**-3.0 > big)):
            return True
    return False


def batch_variance_overflows(case, dtype: str) -> bool:
    """A channel whose batch variance σ²_B exceeds the dtype's largest value (for float16 a spread beyond
    ~2·256): cast to the dtype, σ²_B is inf and the normalisation is 0."""
    for x in _inputs(case):  # x, and the shifted or scaled x of an invariance property
        ax = case.axis % x.ndim
        red = tuple(a for a in range(x.ndim) if a != ax)
        if np.any(x.var(axis=red) > max_value(dtype)):
            return True
    return False


def constant_channel_at_the_smallest_normal(case, dtype: str) -> bool:
    """A channel whose entries all lie below twice the smallest normal (|x| < 2·tiny, not all 0): there the
    statistics' intermediates (x/m, the squares, x − μ) are subnormal or flushed, so each rounding is an absolute
    error of up to tiny rather than a relative one, x − μ can be off by ~tiny and x̂ = (x − μ)/s by tiny/s
    (3e2·tiny for ε = 1e-5) where the spec has 0; the relative error model has no such floor."""
    x = np.asarray(case.x, dtype=np.float64)
    ax = case.axis % x.ndim
    red = tuple(a for a in range(x.ndim) if a != ax)
    small = (np.abs(x) < 2 * tiny(dtype)).all(axis=red)
    return bool(np.any(small & (np.abs(x) > 0).any(axis=red)))


def labels_do_not_sum_to_one(case, dtype: str) -> bool:
    """A row of labels (after smoothing) whose sum Σ_c t_c is not 1: there ∂ξ/∂z = ζ(z)·Σt − t is not
    ζ(z) − t, and they differ by ζ(z)·(Σt − 1)."""
    t = np.asarray(case.labels, dtype=np.float64)
    alpha = float(getattr(case, "label_smoothing", 0.0))
    t = (1 - alpha) * t + alpha / t.shape[-1]
    return bool(np.any(t.sum(axis=-1) != 1.0))


def _per_sample_losses(case, sparse: bool | None = None) -> np.ndarray:
    """The per-sample losses of the case: of its (dense) labels, of its class indices (sparse), or — None, for a
    region that serves both kinds of property — the larger of the two."""
    alpha = float(getattr(case, "label_smoothing", 0.0))
    if getattr(case, "classes", None) is not None:
        z = np.asarray(case.logits, dtype=np.float64)
        one_hot = CE.one_hot(np.asarray(case.classes), z.shape[-1])  # the class indices the sparse op takes
        by_index = CE.softmax_cross_entropy(z, one_hot, reduction="none", label_smoothing=alpha)
        if sparse:
            return by_index
        dense = CE.softmax_cross_entropy(z, case.labels, reduction="none", label_smoothing=alpha)
        return dense if sparse is False else np.maximum(dense, by_index)
    return SG.sigmoid_cross_entropy(case.logits, case.labels, reduction="none", label_smoothing=alpha)


def _mean_sum(case, sparse: bool | None = None) -> tuple[float, int]:
    """Σ_n ξ_n of a 'mean' reduction, and its number of terms (0, 0 for another reduction)."""
    if getattr(case, "reduction", None) != "mean":
        return 0.0, 0
    losses = np.asarray(_per_sample_losses(case, sparse), dtype=np.float64)
    return float(losses.sum()), losses.size


def _smoothing_sum(case) -> tuple[float, int]:
    """The largest smoothing-term sum Σ|log ζ_c| the framework accumulates: per row for reduction 'none', over
    the whole batch for 'sum' and 'mean' (torch sums it before the reduction), and its number of terms."""
    if float(getattr(case, "label_smoothing", 0.0)) <= 0:
        return 0.0, 0
    logp = np.abs(SM.log_softmax(np.asarray(case.logits, dtype=np.float64), axis=-1))
    ignore = getattr(case, "ignore_index", None)
    if ignore is not None and getattr(case, "classes", None) is not None:
        logp = logp[np.asarray(case.classes) != ignore]  # an ignored row contributes no smoothing term
        if logp.size == 0:
            return 0.0, 0
    if getattr(case, "reduction", None) == "none":
        return float(logp.sum(axis=-1).max()), logp.shape[-1]
    return float(logp.sum()), logp.size


def sum_overflow(total: float, terms: int, dtype: str) -> tuple[bool, bool]:
    """(possible, certain): a sum of `terms` non-negative terms with exact value `total`, accumulated in the
    dtype, may overflow when total·(1 + terms·ε) > max (the partial sums' rounding can carry it over) and must
    when total·(1 − terms·ε) > max + ulp(max)/2 (the rounding threshold to inf)."""
    e, big = eps(dtype), max_value(dtype)
    return total * (1 + terms * e) > big, total * (1 - terms * e) > big * (1 + e / 4)


def mean_of_losses_overflows(case, dtype: str) -> bool:
    """reduction 'mean' where the sum of the per-sample losses, Σ_n ξ_n (each >= 0, so every partial sum is
    below it), may reach the dtype's largest value, Σ_n ξ_n·(1 + n·ε) > max: a mean accumulated in the dtype
    overflows to inf before the division by N, though the mean itself is representable."""
    return sum_overflow(*_mean_sum(case), dtype)[0]


def smoothing_sum_overflows(case, dtype: str) -> bool:
    """label smoothing α > 0 where the smoothing term's sum Σ|log ζ(z)_c| (per row for reduction 'none', over
    the whole batch for 'sum' and 'mean', before its scaling by α/C) may exceed the dtype's largest value,
    Σ·(1 + k·ε) > max for k terms: summed in the dtype, it overflows to inf."""
    return sum_overflow(*_smoothing_sum(case), dtype)[0]


KERAS_EPSILON = 1e-7  # keras.config.epsilon(): the clip of KLDivergence's y_true and y_pred


def probability_below_keras_epsilon(case, dtype: str) -> bool:
    """Some p_i or q_i below Keras' epsilon 1e-7 (in the dtype: 1e-7 rounded, 1.19e-7 in float16), where
    KLDivergence's clip to [ε, 1] changes the input; above it the clip is the identity."""
    floor = max(KERAS_EPSILON, float(np.float16(KERAS_EPSILON))) if dtype == "float16" else KERAS_EPSILON
    arrays = [getattr(case, k) for k in ("p", "q", "q2") if getattr(case, k, None) is not None]
    return any(bool(np.any(np.asarray(a) < floor)) for a in arrays)


def gradient_quotient_overflows(case, dtype: str) -> bool:
    """Some p_i > 0 with p_i/q_i² or q_i/p_i beyond the dtype's largest value: autodiff through log(p/q) forms
    (−p/q)/q and 1/(p/q) before they cancel to −p/q, and either intermediate overflows to ±inf although
    dq_i = −p_i/q_i fits (float16: p = 0.5, q = 2^-9; or a subnormal p = 2.7e-6 under q = 0.4)."""
    p, q = np.asarray(case.p, dtype=np.float64), np.asarray(case.q, dtype=np.float64)
    big = max_value(dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        return bool(np.any((p > 0) & ((p / q**2 > big) | (q / p > big))))


def p_and_q_both_zero(case, dtype: str) -> bool:
    """An entry with p_i = q_i = 0, where 0·log(0/0) = 0 by convention but p·(log p − log q) is 0·∞."""
    p, q = np.asarray(case.p), np.asarray(case.q)
    return bool(np.any((p == 0) & (q == 0)))


def subnormal_probability(case, dtype: str) -> bool:
    """Some p_i or q_i that is a subnormal of the dtype (0 < |v| < tiny): XLA on CPU treats subnormal operands
    as 0 (denormals-are-zero), so such an entry contributes nothing (or divides by 0)."""
    arrays = [getattr(case, k) for k in ("p", "q") if getattr(case, k, None) is not None]
    return any(bool(np.any((np.abs(a) > 0) & (np.abs(a) < tiny(dtype)))) for a in arrays)


def window_sum_overflows(case, dtype: str) -> bool:
    """A channel whose kh·kw largest magnitudes sum beyond the dtype's largest value (an upper bound on any
    window's sum): a window sum accumulated in the dtype can overflow to inf, though the average is finite."""
    x = np.abs(np.asarray(case.x, dtype=np.float64))
    k = int(np.prod(case.kernel))
    flat = np.sort(x.reshape(*x.shape[:2], -1), axis=-1)[..., ::-1][..., :k]
    return bool(np.any(flat.sum(axis=-1) > max_value(dtype)))


def grouped_convolution(case, dtype: str) -> bool:
    """A grouped convolution (groups > 1): in-channels split into groups, each convolved with its own filters
    (the region of an API that has no kernel for it)."""
    return int(getattr(case, "groups", 1)) > 1


def dilated_convolution(case, dtype: str) -> bool:
    """A dilated convolution (a dilation > 1 along either axis): taps spaced d apart (the region of an API
    that has no kernel for it)."""
    return any(int(d) > 1 for d in np.atleast_1d(getattr(case, "dilation", 1)))


# Regions found by each family's reach work (issue 10), kept in one module per family and named here, where the
# catalogue resolves `region = "…"`.

from .regions_conv_pool import avg_pool_long_window_low_precision  # noqa: E402, F401
from .regions_kl_iou import torch_normal_kl_variance_ratio_below_tiny  # noqa: E402, F401
from .regions_norms_bn import (  # noqa: E402, F401
    half_inverse_std_overflows,
    half_mean_of_squares_overflows,
    half_variance_and_eps_round_to_zero,
    one_pass_variance_cancels_in_slices,
)
from .regions_softmax_ce import (  # noqa: E402, F401
    float16_loss_sum_overflows,
    float16_softmax_normaliser_reaches_256,
    rounded_log_sum_exp_exceeds_budget,
)


def class_index_not_representable(case, dtype: str) -> bool:
    """Some class index that the dtype cannot hold exactly: above 2^11 = 2048 in float16 (an 11-bit
    significand), above 2^8 = 256 in bfloat16 (8 bits), unless it happens to be a multiple of the spacing there.
    An API that converts integer labels to the loss's float dtype rounds such an index to a neighbouring class."""
    classes = getattr(case, "classes", None)
    if classes is None or dtype not in ("float16", "bfloat16"):
        return False
    from ..dtypes import round_to

    c = np.asarray(classes, dtype=np.float64)
    return bool(np.any(round_to(c, dtype) != c))
