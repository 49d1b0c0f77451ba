"""Properties of softmax cross-entropy: differential (backend vs spec), metamorphic, and gradients.

Reach (measured: 100 CI-profile examples of `loss_cases(smoothing=True)` and `weighted_cases`)

| region | what the strategies draw | share float16 | share float32 |
|---|---|---|---|
| short | SHAPES: N ≤ 8, C ≤ 16, C = 1 | 91 % | 95 % |
| long | LONG_SHAPES: C = 4097, N = 1025 (a float16 'mean' past 65504), 17 × 129 | 9 % | 5 % |
| moderate logits | max |z| ≤ 10 | 76 % | 49 % |
| large logits | 10 < max |z| (offsets, 10^k, up to 10^1 in float16 so that z − max z fits) | 13 % | 51 % |
| near the top | injected ±3e4 (float16), ±max/2^20 (others); `large_cases`: every row | 11 % | (in "large") |
| reductions | 'none' / 'sum' / 'mean' | 55 / 16 / 29 % | 63 / 15 / 22 % |
| smoothing | 0.1 / 0.2 / 0.5 / 1.0 (smoothed properties) | 52 / 16 / 25 / 7 % | 53 / 17 / 25 / 5 % |
| smoothing, weighted | 0 / 0.1 / 0.2 | 62 / 24 / 14 % | 62 / 25 / 13 % |
| labels | one-hot, probabilities (multiples of 1/8), weights in [0, 2) not summing to 1 | ~1/3 each | ~1/3 each |
| class weights | all 1 / uniform [0, 2) (some 0) | 61 / 39 % | 70 / 30 % |
| ignore_index | −100 / 0 (a padding class) | 76 / 24 % | 82 / 18 % |
| ignored targets | none / some / all | 74 / 8 / 18 % | 77 / 1 / 22 % |
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from ..dtypes import eps, max_value, round_to, tiny
from ..spec import cross_entropy as S
from ..spec import softmax as SM
from .assertions import assert_close, assert_output_dtype
from .harness import Case, Impl, prop
from .softmax import RARE_ONE_IN, log_softmax_bound, softmax_bound, summation_roundings
from .strategies import float_arrays, rare_buckets, sampled_from, seeds
from .tolerance import Bound

# ---------------------------------------------------------------------------------------------------------
# Error models (method: properties/tolerance.py). All bounds here are absolute: scale 1, budget in units of ε.
#
# Per-sample loss ξ_n = −Σ_c t'_c l_c, l = log-softmax(z_n), t' = (1 − α)t + α/C, C classes:
#   l_c errs by ε·B_c absolute (B: the log-softmax error model of properties/softmax.py, which is bounded by
#   the size of l and never grows with |z|: it rejects z − (max + lse) with the normaliser rounded first);
#   t'_c by 3ε·t'_c (1 − α, the product, α/C and the sum: all terms non-negative);
#   the products t'_c·l_c one rounding each, their sum A(C) relative to Σ t'_c|l_c| (A: the summation charge
#   of properties/softmax.py — float32 accumulation for 16-bit dtypes, as every framework here does).
#   Algebraically equal forms that keep the shift (Σt'·log S − Σt'(z − max z), or (1 − α)·CE(t) + (α/C)·Σ(−l)
#   as torch and Keras write smoothing) add terms no larger than t'_c|l_c|: also within
#   budget_n = Σ_c t'_c (B_c + (A(C) + 5)|l_c|). The unshifted Σt'·lse(z) − Σt'z rounds lse(z) ≈ max z and
#   is rejected with the rounded log-sum-exp (mutant ce-rounded-lse).
# Reductions: 'sum' adds N non-negative losses, A(N)·Σξ_n more; 'mean' divides that by N and rounds once. A
#   float16 'mean' accumulated in float16 (torch's, catalogued) exceeds A(N) on the long batches, and overflows
#   past 65504 while the mean fits.
#
# Gradient g_c = ζ_c·s − t'_c (s = Σ_j t'_j), per row:
#   ζ_c errs by ε·b_c·ζ_c (the softmax error model b), s by ε(A(C) + 3)s, the product and the difference
#   one rounding each, t'_c by 3ε·t'_c; autodiff computes the same terms as −t'_c/N + ζ_c·Σ_j t'_j/N, one
#   rounding more per term for 'mean'. budget_c = ζ_c s (b_c + A(C) + 5) + 4t'_c + |g_c|, ÷ N for 'mean'.
# Every absolute budget has + 1 for the result's own rounding to the dtype (and its flush to zero below the
# smallest normal: an absolute bound whose budget vanishes would otherwise forbid FTZ).
# ---------------------------------------------------------------------------------------------------------


def _smoothed(labels: np.ndarray, alpha: float) -> np.ndarray:
    return S.smooth_labels(labels, alpha)


def loss_bound(z: np.ndarray, t: np.ndarray, reduction: str, alpha: float = 0.0, dtype: str | None = None) -> Bound:
    """Error model of softmax_cross_entropy for soft labels t (already the labels the backend received)."""
    ts = _smoothed(t, alpha)
    lb = log_softmax_bound(z, 1, dtype)
    l = SM.log_softmax(z, axis=1)
    C, N = z.shape[1], z.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        per_row = (ts * (np.asarray(lb.budget) + (summation_roundings(C, dtype) + 5) * np.abs(l))).sum(axis=1)
        xi = -(ts * l).sum(axis=1)
        if reduction == "none":
            return Bound(1.0, per_row + 1, "Σ_c t'_c(B_c + (A(C)+5)|l_c|) + 1 absolute")
        total = per_row.sum() + summation_roundings(N, dtype) * xi.sum()
    if reduction == "sum":
        return Bound(1.0, total + 1, "Σ_n budget_n + A(N)Σξ + 1 absolute")
    return Bound(1.0, total / N + xi.sum() / N + 1, "(Σ_n budget_n + A(N)Σξ)/N + |mean| + 1 absolute")


def grad_bound(z: np.ndarray, t: np.ndarray, reduction: str, alpha: float = 0.0, dtype: str | None = None) -> Bound:
    """Error model of softmax_cross_entropy_grad."""
    ts = _smoothed(t, alpha)
    sb = softmax_bound(z, 1, dtype)
    y = np.asarray(sb.scale)
    s = ts.sum(axis=1, keepdims=True)
    C, N = z.shape[1], z.shape[0]
    g = y * s - ts
    budget = y * s * (np.asarray(sb.budget) + summation_roundings(C, dtype) + 5) + 4 * ts + np.abs(g)
    # + 1: the result's own rounding to the dtype, and its flush to zero below the smallest normal
    return Bound(1.0, (budget / N if reduction == "mean" else budget) + 1,
                 "ζ s (b + A(C) + 5) + 4t' + |g| (÷N for mean) + 1")


# Class weights, ignore_index, label smoothing (spec: weighted_sparse_softmax_cross_entropy). With the effective
# labels u_{n,c} = [y_n ≠ ii]·w_c·t'_{n,c} (w·t' one rounding more than t'), ℓ_n = −Σ_c u_{n,c} l_c has the loss
# model above with t' → u: budget_n = Σ_c u_c (B_c + (A(C) + 6)|l_c|). 'sum': Σ_n budget_n + A(N)Σℓ + 1.
# 'mean' divides by D = Σ_n [y_n ≠ ii] w_{y_n}, a sum of N non-negative weights (A(N)·D): budget
# (Σ_n budget_n + A(N)Σℓ)/D + (A(N) + 2)|mean| + 1. D = 0 gives NaN, which the backend must return exactly.
# The gradient ζ_j·U_n − u_{n,j} (U_n = Σ_c u_{n,c}) has the gradient model with t' → u, ÷ D for 'mean' with
# (A(N) + 1)|g| more for D's error and the division.


def _weighted_parts(z: np.ndarray, y: np.ndarray, w: np.ndarray, ignore_index: int, alpha: float
                    ) -> tuple[np.ndarray, float]:
    kept = y != ignore_index
    t = S.smooth_labels(S.one_hot(np.where(kept, y, 0), z.shape[1]), alpha)
    return w[None, :] * t * kept[:, None], float((w[np.where(kept, y, 0)] * kept).sum())


def weighted_loss_bound(z: np.ndarray, y: np.ndarray, w: np.ndarray, ignore_index: int, reduction: str,
                        alpha: float = 0.0, dtype: str | None = None) -> Bound:
    """Error model of weighted_sparse_softmax_cross_entropy (see the derivation above)."""
    u, d = _weighted_parts(z, y, w, ignore_index, alpha)
    l = SM.log_softmax(z, axis=1)
    lb = np.asarray(log_softmax_bound(z, 1, dtype).budget)
    C, N = z.shape[1], z.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        per_row = (u * (lb + (summation_roundings(C, dtype) + 6) * np.abs(l))).sum(axis=1)
        losses = -(u * l).sum(axis=1)
        if reduction == "none":
            return Bound(1.0, per_row + 1, "Σ_c u_c(B_c + (A(C)+6)|l_c|) + 1, u = [kept]·w·t'")
        total = per_row.sum() + summation_roundings(N, dtype) * losses.sum()
    if reduction == "sum":
        return Bound(1.0, total + 1, "Σ_n budget_n + A(N)Σℓ + 1")
    mean = losses.sum() / d if d > 0 else 0.0
    return Bound(1.0, (total / d if d > 0 else 0.0) + (summation_roundings(N, dtype) + 2) * abs(mean) + 1,
                 "(Σ_n budget_n + A(N)Σℓ)/Σw_y + (A(N) + 2)|mean| + 1")


def weighted_grad_bound(z: np.ndarray, y: np.ndarray, w: np.ndarray, ignore_index: int, reduction: str,
                        alpha: float = 0.0, dtype: str | None = None) -> Bound:
    """Error model of weighted_sparse_softmax_cross_entropy_grad."""
    u, d = _weighted_parts(z, y, w, ignore_index, alpha)
    sb = softmax_bound(z, 1, dtype)
    zeta = np.asarray(sb.scale)
    total = u.sum(axis=1, keepdims=True)
    g = zeta * total - u
    budget = zeta * total * (np.asarray(sb.budget) + summation_roundings(z.shape[1], dtype) + 5) + 5 * u + np.abs(g)
    if reduction == "mean" and d > 0:
        budget = budget / d + (summation_roundings(z.shape[0], dtype) + 1) * np.abs(g) / d
    return Bound(1.0, budget + 1, "ζU(b + A(C) + 5) + 5u + |g| (÷Σw_y, + (A(N)+1)|g|/Σw_y for mean) + 1")


def _sum_bounds(*bounds: Bound, extra: np.ndarray | float = 0.0, what: str = "") -> Bound:
    return Bound(1.0, sum(np.asarray(b.budget) for b in bounds) + extra, what)


def _reduce(values: np.ndarray, reduction: str) -> np.ndarray:
    """A per-row error term carried through a reduction ('mean' divides by N)."""
    if reduction == "none":
        return values
    return values.sum() / (values.shape[0] if reduction == "mean" else 1)


# ---------------------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------------------

SHAPES = ((1, 1), (1, 3), (2, 1), (2, 4), (4, 8), (8, 16))
"""(N, C): batch sizes 1 and 2, a single class (C = 1: the loss is 0), few enough for per-shape compilers."""

LONG_SHAPES = ((2, 4097), (1025, 3), (17, 129))
"""Rare (one draw in 8) long axes: C = 4097 classes (just past a 4096 block, where a float16 running sum has
stalled), a long batch N = 1025 (a float16 'mean' whose sum passes 65504 while the mean fits), and 17 × 129
(odd sizes just past vector widths). Three shapes shared by every property, for per-shape compilers."""


def _shapes() -> st.SearchStrategy[tuple[int, ...]]:
    return rare_buckets(SHAPES, LONG_SHAPES, one_in=RARE_ONE_IN)

HUGE_LOGIT = {"float16": 3.0e4, "bfloat16": max_value("bfloat16") / 2**20, "float32": max_value("float32") / 2**20,
              "float64": max_value("float64") / 2**20}
"""Large logits that overflow exp unless the maximum is subtracted. float16: ±3e4, near its max 65504, while
differences of two logits (up to 6e4) stay representable; the field accumulates 16-bit losses in float32, so a
float16 'mean' whose float16 sum would overflow is in the audited region. Other dtypes: 2^-20 of the largest
value (3.2e32 in float32), so that every 'sum' over the longest shapes (≤ 2·HUGE·Σ_n Σ_c t_{n,c}) stays finite:
a float32 'mean' whose float32 sum overflows is outside the audited region, because every framework here
accumulates float32 in float32 (the field accepts it)."""

EXPONENTS = {"float16": (-3, 1), "bfloat16": (-4, 4), "float32": (-6, 6), "float64": (-8, 8)}
"""Magnitude exponents of the bulk of the logits; in float16 at most 10^1, so that with the offset (<= 1000·10^k)
and the injected ±3e4 every difference of two logits stays below 65504 (z − max z is representable)."""

LABEL_KINDS = ("one_hot", "probabilities", "weights")
"""one-hot rows; rows of multiples of 1/8 summing to exactly 1 (exact in every dtype); non-negative weights in
[0, 2) that need not sum to 1 (the spec's general case)."""

SMOOTHING = (0.1, 0.2, 0.5, 1.0)


def _labels(rng: np.random.Generator, shape: tuple[int, int], kind: str, dtype: str) -> np.ndarray:
    n, c = shape
    if kind == "one_hot":
        return np.eye(c)[rng.integers(0, c, n)]
    if kind == "probabilities":
        return np.stack([rng.multinomial(8, np.full(c, 1.0 / c)) for _ in range(n)]) / 8.0
    return round_to(2.0 * rng.random(shape), dtype)


@lru_cache
def loss_cases(dtype: str, *, reductions: tuple[str, ...] = ("none", "sum", "mean"), smoothing: bool = False,
               kinds: tuple[str, ...] = LABEL_KINDS) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape = draw(_shapes(), label="shape")
        z = draw(float_arrays(shape, dtype, exponents=EXPONENTS[dtype], huge=HUGE_LOGIT[dtype], offset=True, axis=1),
                 label="logits")
        kind = draw(sampled_from(list(kinds)), label="labels")
        rng = np.random.default_rng(draw(seeds(), label="label_seed"))
        t = _labels(rng, shape, kind, dtype)
        classes = rng.integers(0, shape[1], shape[0])
        reduction = draw(sampled_from(list(reductions)), label="reduction")
        alpha = draw(sampled_from(SMOOTHING), label="label_smoothing") if smoothing else 0.0
        return Case(logits=z, labels=t, classes=classes, reduction=reduction, label_smoothing=alpha)

    return build()


def _loss(dtype: str) -> st.SearchStrategy[Case]:
    return loss_cases(dtype)


def _loss_smoothed(dtype: str) -> st.SearchStrategy[Case]:
    return loss_cases(dtype, smoothing=True)


NORMALISED = ("one_hot", "probabilities")
"""Label kinds whose rows sum to exactly 1."""


def _grad(dtype: str) -> st.SearchStrategy[Case]:
    return loss_cases(dtype, reductions=("sum", "mean"), kinds=NORMALISED)


def _grad_unnormalised(dtype: str) -> st.SearchStrategy[Case]:
    return loss_cases(dtype, reductions=("sum", "mean"), kinds=("weights",))


def _grad_smoothed(dtype: str) -> st.SearchStrategy[Case]:
    return loss_cases(dtype, reductions=("sum", "mean"), smoothing=True, kinds=NORMALISED)


def _sparse_grad(dtype: str) -> st.SearchStrategy[Case]:
    return loss_cases(dtype, reductions=("sum", "mean"), kinds=("one_hot",))  # labels unused: classes are


def _sparse_grad_smoothed(dtype: str) -> st.SearchStrategy[Case]:
    return loss_cases(dtype, reductions=("sum", "mean"), smoothing=True, kinds=("one_hot",))


def _grad_summing_to_one(dtype: str) -> st.SearchStrategy[Case]:
    return loss_cases(dtype, reductions=("sum",), kinds=NORMALISED)


def _grad_sum(dtype: str) -> st.SearchStrategy[Case]:
    return loss_cases(dtype, reductions=("sum",))


@lru_cache
def large_cases(dtype: str) -> st.SearchStrategy[Case]:
    """Every row holds ±HUGE logits beside ordinary ones; labels are probability rows (the loss <= 2·HUGE)."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape = draw(_shapes(), label="shape")
        rng = np.random.default_rng(draw(seeds(), label="seed"))
        z = rng.standard_normal(shape)
        sign = draw(sampled_from([1.0, -1.0, 0.0]), label="sign")  # 0: both signs
        signs = np.where(rng.random(shape) < 0.5, -1.0, 1.0) if sign == 0 else np.full(shape, sign)
        pick = rng.random(shape) < 0.5
        pick[np.arange(shape[0]), rng.integers(0, shape[1], shape[0])] = True
        z = round_to(np.where(pick, signs * HUGE_LOGIT[dtype], z), dtype)
        kind = draw(sampled_from(["one_hot", "probabilities"]), label="labels")
        t = _labels(rng, shape, kind, dtype)
        return Case(logits=z, labels=t, classes=rng.integers(0, shape[1], shape[0]), reduction="none",
                    label_smoothing=0.0)

    return build()


@lru_cache
def smooth_cases(dtype: str) -> st.SearchStrategy[Case]:
    """Moderate logits (|z| ~ 1) for finite differences, any labels, 'sum' or 'mean', with or without smoothing."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape = draw(_shapes(), label="shape")
        z = draw(float_arrays(shape, dtype, exponents=(0, 0), specials=("none",)), label="logits")
        rng = np.random.default_rng(draw(seeds(), label="seed"))
        t = _labels(rng, shape, draw(sampled_from(LABEL_KINDS), label="labels"), dtype)
        return Case(logits=z, labels=t, classes=rng.integers(0, shape[1], shape[0]),
                    reduction=draw(sampled_from(["sum", "mean"]), label="reduction"),
                    label_smoothing=draw(sampled_from((0.0, *SMOOTHING)), label="label_smoothing"),
                    seed=int(rng.integers(0, 2**32)))

    return build()


def _one_hot(case: Case) -> np.ndarray:
    return S.one_hot(case.classes, case.logits.shape[1])


def _kw(case: Case) -> dict:
    return {"reduction": case.reduction, "label_smoothing": case.label_smoothing}


# ---------------------------------------------------------------------------------------------------------
# Properties: backend vs spec
# ---------------------------------------------------------------------------------------------------------


def _check_loss(impl: Impl, case: Case) -> None:
    got = impl("softmax_cross_entropy", case.logits, case.labels, **_kw(case))
    want = S.softmax_cross_entropy(case.logits, case.labels, **_kw(case))
    bound = loss_bound(case.logits, case.labels, case.reduction, case.label_smoothing, impl.dtype)
    assert_close("softmax_cross_entropy", got, want, bound, impl=impl, what="loss")


def _check_sparse_loss(impl: Impl, case: Case) -> None:
    got = impl("sparse_softmax_cross_entropy", case.logits, case.classes, **_kw(case))
    want = S.sparse_softmax_cross_entropy(case.logits, case.classes, **_kw(case))
    bound = loss_bound(case.logits, _one_hot(case), case.reduction, case.label_smoothing, impl.dtype)
    assert_close("sparse_softmax_cross_entropy", got, want, bound, impl=impl, what="loss")


def _check_grad(impl: Impl, case: Case) -> None:
    got = impl("softmax_cross_entropy_grad", case.logits, case.labels, **_kw(case))
    want = S.softmax_cross_entropy_grad(case.logits, case.labels, **_kw(case))
    bound = grad_bound(case.logits, case.labels, case.reduction, case.label_smoothing, impl.dtype)
    assert_close("softmax_cross_entropy_grad", got, want, bound, impl=impl, what="dlogits")


def _check_sparse_grad(impl: Impl, case: Case) -> None:
    got = impl("sparse_softmax_cross_entropy_grad", case.logits, case.classes, **_kw(case))
    want = S.sparse_softmax_cross_entropy_grad(case.logits, case.classes, **_kw(case))
    bound = grad_bound(case.logits, _one_hot(case), case.reduction, case.label_smoothing, impl.dtype)
    assert_close("sparse_softmax_cross_entropy_grad", got, want, bound, impl=impl, what="dlogits")


@prop("softmax_cross_entropy", cases=_loss)
def softmax_cross_entropy_matches_spec(impl: Impl, case: Case) -> None:
    """softmax_cross_entropy is −Σ_c t_c log ζ(z)_c per row (labels need not sum to 1), reduced by 'none',
    'sum' or 'mean' (÷ N), finite for large logits."""
    _check_loss(impl, case)


@prop("softmax_cross_entropy", cases=_loss_smoothed)
def softmax_cross_entropy_with_label_smoothing_matches_spec(impl: Impl, case: Case) -> None:
    """With label smoothing α the labels are t' = (1 − α)t + α/C."""
    _check_loss(impl, case)


@prop("sparse_softmax_cross_entropy", cases=_loss)
def sparse_softmax_cross_entropy_matches_spec(impl: Impl, case: Case) -> None:
    """sparse_softmax_cross_entropy is −log ζ(z_n)_{y_n} per row, reduced by 'none', 'sum' or 'mean'."""
    _check_sparse_loss(impl, case)


@prop("sparse_softmax_cross_entropy", cases=_loss_smoothed)
def sparse_softmax_cross_entropy_with_label_smoothing_matches_spec(impl: Impl, case: Case) -> None:
    """With label smoothing α, an integer label y stands for t' = (1 − α)·one_hot(y) + α/C."""
    _check_sparse_loss(impl, case)


@prop("softmax_cross_entropy_grad", cases=_grad)
def softmax_cross_entropy_grad_matches_spec(impl: Impl, case: Case) -> None:
    """For labels that sum to 1, the gradient of the reduced loss is ζ(z) − t per row, ÷ N for 'mean'."""
    _check_grad(impl, case)


@prop("softmax_cross_entropy_grad", cases=_grad_unnormalised)
def softmax_cross_entropy_grad_of_unnormalised_labels_matches_spec(impl: Impl, case: Case) -> None:
    """For labels that need not sum to 1, the gradient is ζ(z)·Σt − t per row, ÷ N for 'mean'."""
    _check_grad(impl, case)


@prop("softmax_cross_entropy_grad", cases=_grad_smoothed)
def softmax_cross_entropy_grad_with_label_smoothing_matches_spec(impl: Impl, case: Case) -> None:
    """With label smoothing the gradient is ζ(z)·Σt' − t', t' = (1 − α)t + α/C (ζ(z) − t' for labels summing
    to 1)."""
    _check_grad(impl, case)


@prop("sparse_softmax_cross_entropy_grad", cases=_sparse_grad)
def sparse_softmax_cross_entropy_grad_matches_spec(impl: Impl, case: Case) -> None:
    """The gradient of the reduced sparse loss is ζ(z) − one_hot(y), ÷ N for 'mean'."""
    _check_sparse_grad(impl, case)


@prop("sparse_softmax_cross_entropy_grad", cases=_sparse_grad_smoothed)
def sparse_softmax_cross_entropy_grad_with_label_smoothing_matches_spec(impl: Impl, case: Case) -> None:
    """With label smoothing the sparse gradient is ζ(z) − t', t' = (1 − α)·one_hot(y) + α/C."""
    _check_sparse_grad(impl, case)


# ---------------------------------------------------------------------------------------------------------
# Properties: metamorphic (the backend against itself)
# ---------------------------------------------------------------------------------------------------------


def _check_grad_through_softmax(impl: Impl, case: Case) -> None:
    g = impl("softmax_cross_entropy_grad", case.logits, case.labels, reduction="sum")
    y = impl("softmax", case.logits, axis=-1)
    want = y * case.labels.sum(axis=1, keepdims=True) - case.labels
    # the backend's softmax errs by ε·b·ζ relative (its own error model), which the float64 product and
    # difference carry over as ε·b·ζ·Σt; the gradient op has its own budget.
    sb = softmax_bound(case.logits, 1, impl.dtype)
    extra = np.asarray(sb.budget) * np.asarray(sb.scale) * case.labels.sum(axis=1, keepdims=True)
    bound = _sum_bounds(grad_bound(case.logits, case.labels, "sum", dtype=impl.dtype), extra=extra,
                        what="grad budget + softmax budget·Σt")
    assert_close("softmax_cross_entropy_grad", g, want, bound, impl=impl, what="dlogits")


@prop("softmax_cross_entropy_grad", "softmax", cases=_grad_summing_to_one)
def softmax_cross_entropy_grad_is_softmax_minus_labels(impl: Impl, case: Case) -> None:
    """For labels that sum to 1 (one-hot or probabilities), ∂ξ/∂z = softmax(z) − t (the backend's own softmax)."""
    _check_grad_through_softmax(impl, case)


@prop("softmax_cross_entropy_grad", "softmax", cases=_grad_sum)
def softmax_cross_entropy_grad_is_softmax_times_label_mass_minus_labels(impl: Impl, case: Case) -> None:
    """For any non-negative labels, ∂ξ/∂z = softmax(z)·Σ_c t_c − t (the backend's own softmax)."""
    _check_grad_through_softmax(impl, case)


@prop("softmax_cross_entropy", cases=_loss_smoothed)
def label_smoothing_equals_cross_entropy_on_smoothed_labels(impl: Impl, case: Case) -> None:
    """softmax_cross_entropy(z, t, α) = softmax_cross_entropy(z, (1 − α)t + α/C, 0)."""
    smoothed = round_to(S.smooth_labels(case.labels, case.label_smoothing), impl.dtype)
    got = impl("softmax_cross_entropy", case.logits, case.labels, **_kw(case))
    want = impl("softmax_cross_entropy", case.logits, smoothed, reduction=case.reduction, label_smoothing=0.0)
    # rounding t' to the dtype moves each t'_c by <= ε t'_c/2, so ξ_n by <= ε/2 Σ_c t'_c|l_c|
    l = np.abs(SM.log_softmax(case.logits, axis=1))
    rounding = _reduce((S.smooth_labels(case.labels, case.label_smoothing) * l).sum(axis=1) / 2, case.reduction)
    bound = _sum_bounds(loss_bound(case.logits, case.labels, case.reduction, case.label_smoothing, impl.dtype),
                        loss_bound(case.logits, smoothed, case.reduction, dtype=impl.dtype), extra=rounding,
                        what="both loss budgets + the rounding of t'")
    assert_close("softmax_cross_entropy", got, want, bound, impl=impl, what="loss(t, α)")


@prop("sparse_softmax_cross_entropy", "softmax_cross_entropy", cases=_loss)
def sparse_cross_entropy_equals_dense_on_one_hot_labels(impl: Impl, case: Case) -> None:
    """sparse_softmax_cross_entropy(z, y) = softmax_cross_entropy(z, one_hot(y))."""
    got = impl("sparse_softmax_cross_entropy", case.logits, case.classes, reduction=case.reduction)
    want = impl("softmax_cross_entropy", case.logits, _one_hot(case), reduction=case.reduction)
    b = loss_bound(case.logits, _one_hot(case), case.reduction, dtype=impl.dtype)
    assert_close("sparse_softmax_cross_entropy", got, want, _sum_bounds(b, b, what="two loss budgets"),
                 impl=impl, what="sparse loss")


@prop("softmax_cross_entropy", cases=_loss)
def softmax_cross_entropy_is_shift_invariant(impl: Impl, case: Case) -> None:
    """softmax_cross_entropy(z − a, t) = softmax_cross_entropy(z, t) for a = the row maximum."""
    z = case.logits
    a = z.max(axis=1, keepdims=True)
    shifted = round_to(z - a, impl.dtype)
    assume(np.all(np.isfinite(shifted)))  # a guard: EXPONENTS and HUGE_LOGIT keep z − max z representable
    got = impl("softmax_cross_entropy", shifted, case.labels, reduction=case.reduction)
    want = impl("softmax_cross_entropy", z, case.labels, reduction=case.reduction)
    # rounding z − a moves z_c by <= ε|z_c − a|/2, so ξ_n by <= ε/2 Σ_c |ζ_c Σt − t_c||z_c − a| to first order;
    # when that move is not small (low precision, large logits) the exact change of the loss, computed in float64,
    # is the allowance instead (it describes the rounded input, not the implementation)
    g = S.softmax_cross_entropy_grad(z, case.labels, reduction="sum")
    first_order = (np.abs(g) * np.abs(z - a)).sum(axis=1) / 2
    exact = np.abs(S.softmax_cross_entropy(shifted, case.labels, reduction="none")
                   - S.softmax_cross_entropy(z, case.labels, reduction="none")) / eps(impl.dtype)
    rounding = _reduce(np.maximum(first_order, exact), case.reduction)
    bound = _sum_bounds(loss_bound(z, case.labels, case.reduction, dtype=impl.dtype),
                        loss_bound(shifted, case.labels, case.reduction, dtype=impl.dtype), extra=rounding,
                        what="both loss budgets + the rounding of z − a")
    assert_close("softmax_cross_entropy", got, want, bound, impl=impl, what="loss(z − max z)")


@prop("softmax_cross_entropy", "sparse_softmax_cross_entropy", cases=large_cases)
def cross_entropy_of_large_logits_is_finite(impl: Impl, case: Case) -> None:
    """Logits of ±2^-20 of the dtype's largest value (±3e4 in float16) give finite per-sample losses, dense and
    sparse, equal to the spec's."""
    for op, labels, t in (("softmax_cross_entropy", case.labels, case.labels),
                          ("sparse_softmax_cross_entropy", case.classes, _one_hot(case))):
        got = impl(op, case.logits, labels, reduction="none")
        if not np.all(np.isfinite(got)):
            bad = int(np.argmax(~np.isfinite(got)))
            raise AssertionError(f"loss[{bad}]={got[bad]!r}, but should be finite [{op}({impl.id})]")
        want = getattr(S, op)(case.logits, labels, reduction="none")
        assert_close(op, got, want, loss_bound(case.logits, t, "none", dtype=impl.dtype), impl=impl, what="loss")


@prop("softmax_cross_entropy", "sparse_softmax_cross_entropy", cases=_loss)
def cross_entropy_keeps_dtype_and_reduces_to_the_right_shape(impl: Impl, case: Case) -> None:
    """The loss has the logits' dtype, shape (N,) for 'none' and () for 'sum' and 'mean'."""
    want_shape = (case.logits.shape[0],) if case.reduction == "none" else ()
    for op, labels in (("softmax_cross_entropy", case.labels), ("sparse_softmax_cross_entropy", case.classes)):
        out = impl.raw(op, case.logits, labels, reduction=case.reduction)
        assert_output_dtype(op, out, impl=impl)
        if np.shape(out) != want_shape:
            raise AssertionError(f"out.shape={np.shape(out)}, but should be {want_shape} [{op}({impl.id})]")


# ---------------------------------------------------------------------------------------------------------
# Properties: gradients against the backend's own forward
# ---------------------------------------------------------------------------------------------------------


def check_grad_against_forward(impl: Impl, loss: str, grad: str, logits: np.ndarray, labels: np.ndarray, *,
                               kwargs: dict, seed: int, loss_allowed) -> None:
    """The `_grad` op of a scalar loss agrees with central differences of the backend's own loss op.

    The loss analogue of properties/gradients.check_vjp_against_forward (same derivation, dy = 1): with steps
    x± = round(x ± h·v), h = ε^{1/3}·max|x|, L = ⟨grad, x+ − x−⟩ must equal R = loss(x+) − loss(x−) within
    the forward's error at both points plus TRUNCATION·ε^{2/3}·⟨|grad|, |x+ − x−|⟩.
    """
    __tracebackhide__ = True
    from .gradients import TRUNCATION

    e = eps(impl.dtype)
    rng = np.random.default_rng(seed)
    g = impl(grad, logits, labels, **kwargs)
    s = max(float(np.max(np.abs(logits))), 1e-3)
    v = rng.standard_normal(logits.shape)
    plus = round_to(logits + e ** (1 / 3) * s * v, impl.dtype)
    minus = round_to(logits - e ** (1 / 3) * s * v, impl.dtype)
    f_plus, f_minus = impl(loss, plus, labels, **kwargs), impl(loss, minus, labels, **kwargs)
    lhs = float(np.sum(g * (plus - minus)))
    magnitude = float(np.sum(np.abs(g) * np.abs(plus - minus)))
    rhs = float(f_plus - f_minus)
    allowed = loss_allowed(plus) + loss_allowed(minus) + TRUNCATION * e ** (2 / 3) * magnitude
    impl.stats.record(f"{grad}~fd", abs(lhs - rhs) / (e * max(magnitude, 1e-300)),
                      abs(lhs - rhs) / max(allowed, 1e-300))
    if not abs(lhs - rhs) <= allowed:
        raise AssertionError(
            f"⟨{grad}, Δ⟩={lhs!r}, but the central difference of {loss} gives {rhs!r} ± {allowed:.3g} "
            f"[{grad}({impl.id})]: the gradient disagrees with its own loss"
        )


def _allowed(bound: Bound, dtype: str) -> float:
    return float(eps(dtype) * np.asarray(bound.budget) + tiny(dtype))


@prop("softmax_cross_entropy", "softmax_cross_entropy_grad", cases=smooth_cases, dtypes=("float32", "float64"))
def softmax_cross_entropy_grad_agrees_with_own_loss(impl: Impl, case: Case) -> None:
    """The backend's cross-entropy gradient agrees with central differences of its own loss."""
    check_grad_against_forward(
        impl, "softmax_cross_entropy", "softmax_cross_entropy_grad", case.logits, case.labels, kwargs=_kw(case),
        seed=case.seed,
        loss_allowed=lambda z: _allowed(loss_bound(z, case.labels, case.reduction, case.label_smoothing, impl.dtype),
                                        impl.dtype))


@prop("sparse_softmax_cross_entropy", "sparse_softmax_cross_entropy_grad", cases=smooth_cases,
      dtypes=("float32", "float64"))
def sparse_softmax_cross_entropy_grad_agrees_with_own_loss(impl: Impl, case: Case) -> None:
    """The backend's sparse cross-entropy gradient agrees with central differences of its own loss
    (without label smoothing, which not every API offers for integer labels)."""
    kw = {"reduction": case.reduction, "label_smoothing": 0.0}
    check_grad_against_forward(
        impl, "sparse_softmax_cross_entropy", "sparse_softmax_cross_entropy_grad", case.logits, case.classes,
        kwargs=kw, seed=case.seed,
        loss_allowed=lambda z: _allowed(loss_bound(z, _one_hot(case), case.reduction, dtype=impl.dtype), impl.dtype))



# ---------------------------------------------------------------------------------------------------------
# Class weights, ignore_index and label smoothing together (PyTorch's CrossEntropyLoss parameters)
# ---------------------------------------------------------------------------------------------------------

WEIGHT_KINDS = ("ones", "random", "some_zero")
"""Class weights: all 1 (the unweighted loss), uniform in [0, 2), or uniform with some classes weighted 0."""

IGNORE_KINDS = ("none", "some", "all")
"""No target ignored, about a third ignored, every target ignored ('mean' is then 0/0 = NaN)."""

IGNORE_INDICES = (-100, 0)
"""PyTorch's default −100, and a class index used as padding (0), as sequence models do."""

FIELD_SMOOTHING = (0.0, 0.1, 0.2)
"""Label smoothing values from the field (0.1: Szegedy et al. 2016 and most ImageNet recipes)."""


@lru_cache
def weighted_cases(dtype: str, *, reductions: tuple[str, ...] = ("none", "sum", "mean")) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        base = draw(loss_cases(dtype, reductions=reductions, kinds=("one_hot",)))
        n, c = base.logits.shape
        rng = np.random.default_rng(draw(seeds(), label="weight_seed"))
        kind = draw(sampled_from(WEIGHT_KINDS), label="weight")
        w = np.ones(c) if kind == "ones" else round_to(2.0 * rng.random(c), dtype)
        if kind == "some_zero":
            w[rng.random(c) < 0.3] = 0.0
        ignore_index = draw(sampled_from(IGNORE_INDICES), label="ignore_index")
        ignore = draw(sampled_from(IGNORE_KINDS), label="ignore")
        y = base.classes.copy()
        if ignore_index >= 0:  # a padding class: the targets equal to it are ignored, so keep some others
            y = np.where(y == ignore_index, (ignore_index + 1) % c, y) if c > 1 else y
        if ignore == "some":
            y = np.where(rng.random(n) < 1 / 3, ignore_index, y)
        elif ignore == "all":
            y = np.full(n, ignore_index)
        alpha = draw(sampled_from(FIELD_SMOOTHING), label="label_smoothing")
        return Case(logits=base.logits, classes=y, weight=w, ignore_index=ignore_index, reduction=base.reduction,
                    label_smoothing=alpha)

    return build()


def _weighted_grad_cases(dtype: str) -> st.SearchStrategy[Case]:
    return weighted_cases(dtype, reductions=("sum", "mean"))


def _wkw(case: Case) -> dict:
    return {"ignore_index": case.ignore_index, "reduction": case.reduction, "label_smoothing": case.label_smoothing}


@prop("weighted_sparse_softmax_cross_entropy", cases=weighted_cases)
def weighted_sparse_softmax_cross_entropy_matches_spec(impl: Impl, case: Case) -> None:
    """With class weights w, ignore_index and smoothing α, ℓ_n = −[y_n ≠ ii]·Σ_c w_c t'_{n,c} log ζ(z_n)_c; 'mean'
    divides Σℓ by the kept targets' weight Σ_n [y_n ≠ ii] w_{y_n} (NaN when it is 0), not by N."""
    got = impl("weighted_sparse_softmax_cross_entropy", case.logits, case.classes, case.weight, **_wkw(case))
    want = S.weighted_sparse_softmax_cross_entropy(case.logits, case.classes, case.weight, **_wkw(case))
    bound = weighted_loss_bound(case.logits, case.classes, case.weight, case.ignore_index, case.reduction,
                                case.label_smoothing, impl.dtype)
    assert_close("weighted_sparse_softmax_cross_entropy", got, want, bound, impl=impl, what="loss")


@prop("weighted_sparse_softmax_cross_entropy_grad", cases=_weighted_grad_cases)
def weighted_sparse_softmax_cross_entropy_grad_matches_spec(impl: Impl, case: Case) -> None:
    """The gradient of the weighted loss is ζ(z_n)·Σ_c u_{n,c} − u_n, u = [y_n ≠ ii]·w·t'_n: zero rows for ignored
    targets, ÷ Σ_n [y_n ≠ ii] w_{y_n} for 'mean'."""
    got = impl("weighted_sparse_softmax_cross_entropy_grad", case.logits, case.classes, case.weight, **_wkw(case))
    want = S.weighted_sparse_softmax_cross_entropy_grad(case.logits, case.classes, case.weight, **_wkw(case))
    bound = weighted_grad_bound(case.logits, case.classes, case.weight, case.ignore_index, case.reduction,
                                case.label_smoothing, impl.dtype)
    assert_close("weighted_sparse_softmax_cross_entropy_grad", got, want, bound, impl=impl, what="dlogits")


@prop("weighted_sparse_softmax_cross_entropy", "sparse_softmax_cross_entropy", cases=_loss)
def unit_weights_and_no_ignored_target_give_the_sparse_loss(impl: Impl, case: Case) -> None:
    """weight = 1 with no target ignored is the plain sparse cross-entropy: the weighted 'mean' divides by N."""
    w = np.ones(case.logits.shape[1])
    got = impl("weighted_sparse_softmax_cross_entropy", case.logits, case.classes, w, ignore_index=-100,
               reduction=case.reduction, label_smoothing=0.0)
    want = impl("sparse_softmax_cross_entropy", case.logits, case.classes, reduction=case.reduction)
    b1 = weighted_loss_bound(case.logits, case.classes, w, -100, case.reduction, dtype=impl.dtype)
    b2 = loss_bound(case.logits, _one_hot(case), case.reduction, dtype=impl.dtype)
    assert_close("weighted_sparse_softmax_cross_entropy", got, want, _sum_bounds(b1, b2, what="two loss budgets"),
                 impl=impl, what="loss(w = 1)")
