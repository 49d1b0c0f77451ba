"""What a framework does inside a deviation's region, where that can be stated as an alternative formula.

A catalogue entry names one with `behaves = "..."`: `behaviour(prop, impl, case) -> None` raises AssertionError
when the framework does NOT do the documented alternative on `case` (a case inside the entry's region), so a
changed deviation turns the item red as a fixed one does. Each behaviour computes the alternative from the spec
and compares with the property's own error model and assertion helpers; none re-implements the framework.
"""

from __future__ import annotations

import numpy as np

from ..properties.assertions import assert_close, assert_equal
from ..properties.batch_norm import absolute, running_stats_bounds
from ..properties.cross_entropy import grad_bound
from ..spec import batch_norm as BN
from ..spec import cross_entropy as CE
from ..spec import softmax as SM
from . import regions


def _biased_update(prop, impl, case, one_pass: bool) -> None:
    __tracebackhide__ = True
    decays = (0.0, 1.0) if prop.name == "batch_norm_running_variance_update_uses_m_over_m_minus_1" else (case.decay,)
    x = np.asarray(case.x, dtype=np.float64)
    ax = case.axis % x.ndim
    red = tuple(a for a in range(x.ndim) if a != ax)
    m = x.size // x.shape[ax]
    for decay in decays:
        got = impl("batch_norm_running_stats", case.x, case.running_mean, case.running_var, decay=decay,
                   axis=case.axis)
        if decay == 1.0:
            assert_equal("batch_norm_running_stats", got[1], case.running_var, impl=impl, what="new_var (decay = 1)")
            continue
        new_mean, _ = BN.batch_norm_running_stats(case.x, case.running_mean, case.running_var, decay=decay,
                                                  axis=case.axis)
        _, var = BN.batch_statistics(case.x, axis=case.axis)
        biased = decay * np.asarray(case.running_var, dtype=np.float64) + (1 - decay) * np.reshape(var, -1)
        b_mean, b_var = running_stats_bounds(case.x, case.running_mean, case.running_var, decay, case.axis,
                                             impl.dtype)
        if one_pass:
            # E[x²] − E[x]²: a sum of m squares (m roundings of terms up to mean(x²)), the square of the mean (3)
            # and the difference (1): ε(m + 4)·mean(x²) on σ²_B, scaled by (1 − decay) in the update
            extra = (1 - decay) * (m + 4) * (x**2).mean(axis=red)
            b_var = absolute(np.abs(np.asarray(b_var.scale)) * np.asarray(b_var.budget) + extra,
                             f"{b_var.derivation} + (1−decay)(m + 4)·mean(x²) (one-pass σ²_B)")
        for name, g, w, b in zip(("new_mean", "new_var (biased σ²_B)"), got, (new_mean, biased), (b_mean, b_var)):
            assert_close("batch_norm_running_stats", g, w, b, impl=impl, what=name)


def biased_running_variance(prop, impl, case) -> None:
    """The running variance is updated with the biased batch variance: v_t = decay·v_{t−1} + (1 − decay)·σ²_B
    (no m/(m−1)); the running mean as the spec says. The property's decay (decay = 0, then 1, for
    batch_norm_running_variance_update_uses_m_over_m_minus_1) and its error model (the biased observation is
    below the unbiased one, so the spec's bound covers it)."""
    __tracebackhide__ = True
    _biased_update(prop, impl, case, one_pass=False)


def biased_one_pass_running_variance(prop, impl, case) -> None:
    """As biased_running_variance, with σ²_B computed in one pass, E[x²] − E[x]² (Flax's default
    use_fast_variance=True): the allowance adds that algorithm's rounding, ε(m + 4)·mean(x²)·(1 − decay)."""
    __tracebackhide__ = True
    _biased_update(prop, impl, case, one_pass=True)


def gradient_is_softmax_minus_labels(prop, impl, case) -> None:
    """∂ξ/∂z = ζ(z) − t' per row (t' the smoothed labels), ÷ N for 'mean', whatever the labels sum to: the
    gradient for probability labels, applied to any labels. Checked within the gradient's error model
    (properties/cross_entropy.grad_bound), with the reduction the property uses ('sum' when it compares with
    the backend's own softmax)."""
    __tracebackhide__ = True
    reduction = "sum" if prop.name == "softmax_cross_entropy_grad_is_softmax_times_label_mass_minus_labels" \
        else case.reduction
    alpha = float(case.label_smoothing)
    got = impl("softmax_cross_entropy_grad", case.logits, case.labels, reduction=reduction, label_smoothing=alpha)
    t = CE.smooth_labels(case.labels, alpha) if alpha else np.asarray(case.labels, dtype=np.float64)
    want = SM.softmax(case.logits, axis=-1) - t
    if reduction == "mean":
        want = want / case.logits.shape[0]
    bound = grad_bound(case.logits, case.labels, reduction, alpha)
    assert_close("softmax_cross_entropy_grad", got, want, bound, impl=impl, what="dlogits (ζ(z) − t)")


def _loss(prop, impl, case) -> np.ndarray:
    kw = {"reduction": case.reduction, "label_smoothing": float(getattr(case, "label_smoothing", 0.0))}
    op = prop.ops[0]
    if op == "sparse_softmax_cross_entropy":
        return impl(op, case.logits, case.classes, **kw)
    if op == "weighted_sparse_softmax_cross_entropy":
        return impl(op, case.logits, case.classes, case.weight, ignore_index=case.ignore_index, **kw)
    return impl(op, case.logits, case.labels, **kw)


def _overflows_to_inf(prop, impl, case, sums) -> None:
    """The loss is +inf (or NaN, where the overflowed sum meets another infinity) where a sum the framework
    accumulates in the dtype (the mean's Σ_n ξ_n, the smoothing term's Σ log ζ_c) must overflow before it is
    scaled back into range (regions.sum_overflow's `certain`); in the band where it only may (the partial sums'
    rounding decides), either that or the spec's answer."""
    __tracebackhide__ = True
    got = np.asarray(_loss(prop, impl, case))
    if np.isposinf(got).any() or np.isnan(got).any():  # NaN: the overflowed sum met another infinity
        return
    if any(regions.sum_overflow(total, terms, impl.dtype)[1] for total, terms in sums):
        raise AssertionError(f"loss={got.tolist()!r}, but should contain +inf (the documented float16 overflow) "
                             f"[{prop.ops[0]}({impl.id})]")
    prop.check(impl, case)  # the rounding band: no overflow, so the spec must hold


def mean_overflows_to_inf(prop, impl, case) -> None:
    """The loss is +inf (or NaN) where the 'mean' reduction's Σ_n ξ_n, accumulated in the dtype, must overflow
    before the division by N; in the band where it only may, either that or the spec's answer."""
    __tracebackhide__ = True
    sparse = prop.ops[0].startswith(("sparse", "weighted_sparse"))  # the losses of what the op takes
    _overflows_to_inf(prop, impl, case, (regions._mean_sum(case, sparse),))


def smoothing_sum_overflows_to_inf(prop, impl, case) -> None:
    """The loss is +inf (or NaN) where a row's label-smoothing sum Σ_c |log ζ_c|, accumulated in the dtype, must
    overflow before its scaling by α/C; in the band where it only may, either that or the spec's answer."""
    __tracebackhide__ = True
    _overflows_to_inf(prop, impl, case, (regions._smoothing_sum(case),))
