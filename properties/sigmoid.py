"""Properties of the sigmoid, its vjp, the sigmoid cross-entropy and the GAN losses built on it.

Reach (measured: 100 CI-profile examples of `loss_cases` and `pos_weight_cases`)

| region | what the strategies draw | share float16 | share float32 |
|---|---|---|---|
| short | SHAPES: 1–24 elements, 1-D to 3-D | 86 % | 89 % |
| long | LONG_SHAPES: 4097 elements (a 16-bit 'sum'/'mean' stalls and overflows), 33 × 65 | 14 % | 11 % |
| moderate | max |x| ≤ 10 | 45 % | 35 % |
| large | 10 < max |x| (offsets, 10^k) | 19 % | 65 % (with the next row) |
| near the top | injected ±max/4 (float16), ±10^-4·max (others); `large_cases`: ±max/16 | 36 % | — |
| reductions | 'none' / 'sum' / 'mean' | 59 / 19 / 22 % | 61 / 22 / 17 % |
| label smoothing | 0.1 / 0.2 / 0.5 / 1.0 (smoothed properties) | ~1/4 each | ~1/4 each |
| pos_weight | 1 / one field value (0.1, 0.5, 2, 3, 10, 100) / per class in [0, 10) | 56 / 44 % (≠ 1) | 51 / 49 % |
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from hypothesis import strategies as st

from ..dtypes import eps, max_value, round_to, tiny
from ..spec import sigmoid as S
from .assertions import assert_close, assert_output_dtype
from .cross_entropy import check_grad_against_forward
from .gradients import check_vjp_against_forward
from .harness import Case, Impl, prop
from .softmax import RARE_ONE_IN, summation_roundings
from .strategies import float_arrays, rare_buckets, sampled_from, seeds, shapes
from .tolerance import LIBM, Bound
from .tolerance import allowed as _allowed

# ---------------------------------------------------------------------------------------------------------
# Error models (method: properties/tolerance.py)
#
# sigmoid, y = 1/(1 + e^{−x}) (or e^{x}/(1 + e^{x}) for x < 0): exp LIBM, 1 + e and the division one rounding
#   each: ε(LIBM + 2) relative to y. An algorithm backward stable in x (σ(x(1 + δ)), |δ| <= ε) errs by
#   ε|x|·σ'(x)/σ(x) = ε|x|(1 − y) relative: accepted too. budget = |x|(1 − y) + 2·LIBM + 3, scale y.
#   (0.5·(1 + tanh(x/2)) is neither: for x << 0 it cancels to an absolute error ε, relative ε/y.)
# sigmoid_vjp, g = dy·y·(1 − y), as every framework computes it from its forward output: y errs by ε·b·y,
#   1 − y by ε·b·y + ε(1 − y) (absolute: no relative accuracy left when y rounds near 1), two products:
#   |Δg| <= ε|dy|·y((1 − y)(b + 3) + y·b) <= ε|dy|·y·(b + 3); scale |dy|·y, budget b + 4.
# sigmoid_cross_entropy, ℓ = max(x, 0) − x z' + s, s = log(1 + e^{−|x|}) <= log 2, z' = z(1 − α) + α/2:
#   z' errs by 3ε z'; x·z', the subtraction and the final addition one rounding each (terms <= |x|(1 + z'));
#   s by 2·LIBM·s (exp, log1p) plus one rounding. torch's (1 − z')x − log σ(x) rounds terms of the same size
#   (|x| + s) three times. budget = 4|x| + 3|x|z' + (2·LIBM + 2)s + 2ℓ, absolute (scale 1).
#   'sum' adds M non-negative terms: (M − 1)Σℓ more; 'mean' divides by M and rounds once more.
# sigmoid_cross_entropy_grad, g = σ(x) − z': y errs by ε·b·y, z' by 3ε z', the difference once, the ÷M once:
#   budget = y(b + 1) + 4z' + 2|g|, absolute, ÷ M for 'mean'.
# sigmoid_cross_entropy_with_pos_weight, ℓ = (1 − z)x + L·sp, L = 1 + (q − 1)z, sp = max(−x, 0) + s (TF's and
#   torch's form): 1 − z and its product with x: 2(1 − z)|x|; L: 2|q − 1|z + L, carried by sp; sp: 2·LIBM·s + sp,
#   carried by L; L·sp and the final sum one rounding each. budget = 2(1 − z)|x| + 2|q − 1|z·sp + 3L·sp
#   + 2·LIBM·L·s + |ℓ| + 1, absolute. (The (1 − z)x + L·max(−x, 0) cancellation for x << 0, z = 0 is ε|x| in
#   this form, which both frameworks use: the field accepts it, and the budget's 2(1 − z)|x| says so.)
# Reductions over M elements charge A(M) (properties/softmax.py: float32 accumulation for 16-bit dtypes).
# Every absolute budget has + 1 for the result's own rounding (and flush to zero below the smallest normal).
# ---------------------------------------------------------------------------------------------------------


def sigmoid_bound(x: np.ndarray) -> Bound:
    y = S.sigmoid(x)
    return Bound(scale=y, budget=np.abs(x) * (1 - y) + 2 * LIBM + 3,
                 derivation="relative: ε(|x|(1 − σ) + 2·LIBM + 3)")


def sigmoid_vjp_bound(x: np.ndarray, dy: np.ndarray) -> Bound:
    b = sigmoid_bound(x)
    return Bound(scale=np.abs(dy) * b.scale, budget=np.asarray(b.budget) + 4, derivation="ε|dy|σ(b_σ + 4)")


def _losses(x: np.ndarray, z: np.ndarray, alpha: float) -> np.ndarray:
    return S.sigmoid_cross_entropy(x, z, reduction="none", label_smoothing=alpha)


def _reduced(per: np.ndarray, ell: np.ndarray, reduction: str, dtype: str | None, what: str) -> Bound:
    if reduction == "none":
        return Bound(1.0, per + 1, f"{what} + 1 absolute")
    m = ell.size
    with np.errstate(over="ignore", invalid="ignore"):
        total = per.sum() + summation_roundings(m, dtype) * ell.sum()
    if reduction == "sum":
        return Bound(1.0, total + 1, "Σ budget + A(M)Σℓ + 1 absolute")
    return Bound(1.0, total / m + ell.sum() / m + 1, "(Σ budget + A(M)Σℓ)/M + |mean| + 1 absolute")


def loss_bound(x: np.ndarray, z: np.ndarray, reduction: str, alpha: float = 0.0, dtype: str | None = None) -> Bound:
    zs = S.smooth_binary_labels(z, alpha)
    ell = _losses(x, z, alpha)
    s = np.log1p(np.exp(-np.abs(x)))
    per = 4 * np.abs(x) + 3 * np.abs(x) * zs + (2 * LIBM + 2) * s + 2 * ell
    return _reduced(per, ell, reduction, dtype, "4|x| + 3|x|z' + (2·LIBM + 2)s + 2ℓ")


def pos_weight_loss_bound(x: np.ndarray, z: np.ndarray, q: np.ndarray, reduction: str,
                          dtype: str | None = None) -> Bound:
    ell = S.sigmoid_cross_entropy_with_pos_weight(x, z, q, reduction="none")
    s = np.log1p(np.exp(-np.abs(x)))
    sp = np.maximum(-x, 0.0) + s
    weight = 1.0 + (q - 1.0) * z
    with np.errstate(over="ignore", invalid="ignore"):
        per = (2 * (1 - z) * np.abs(x) + 2 * np.abs(q - 1) * z * sp + 3 * weight * sp + 2 * LIBM * weight * s
               + np.abs(ell))
    return _reduced(per, ell, reduction, dtype, "2(1 − z)|x| + 2|q − 1|z·sp + 3L·sp + 2·LIBM·L·s + |ℓ|")


def grad_bound(x: np.ndarray, z: np.ndarray, reduction: str, alpha: float = 0.0) -> Bound:
    b = sigmoid_bound(x)
    zs = S.smooth_binary_labels(z, alpha)
    y = np.asarray(b.scale)
    budget = y * (np.asarray(b.budget) + 1) + 4 * zs + 2 * np.abs(y - zs)
    return Bound(1.0, (budget / x.size if reduction == "mean" else budget) + 1,
                 "σ(b + 1) + 4z' + 2|g| (÷M for mean) + 1")


# ---------------------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------------------

SHAPES = ((1,), (2,), (1, 1), (2, 3), (4, 8), (2, 3, 4))
"""One element, batch sizes 1 and 2, a 3-D case; few enough for per-shape compilers."""

LONG_SHAPES = ((4097,), (33, 65))
"""Rare (one draw in 8) long shapes: 4097 elements (a 'mean' or 'sum' over more than 4096: a float16 running sum
stalls at 2048 and a float16 sum of losses passes 65504 while the mean fits), and 33 × 65 (odd sizes just past
vector widths, 65 classes for a per-class pos_weight)."""


def _shapes() -> st.SearchStrategy[tuple[int, ...]]:
    return rare_buckets(SHAPES, LONG_SHAPES, one_in=RARE_ONE_IN)

LABEL_KINDS = ("binary", "soft", "half")
"""0/1 labels; labels uniform in [0, 1] (rounded to the dtype); every label 1/2."""

SMOOTHING = (0.1, 0.2, 0.5, 1.0)

HUGE = {"float16": 0.25, "bfloat16": 1e-4, "float32": 1e-4, "float64": 1e-4}
"""Injected huge values are ±HUGE·(the dtype's max). float16: a quarter of 65504 — the field accumulates 16-bit
losses in float32, where a 'sum' of 4097 of them fits, so a float16 'mean' whose float16 sum would overflow is in
the audited region. Other dtypes: 10^-4 of the max, so that a 'sum' of the 4097 elements of the longest shape
(and of its error budget) stays below the max: a float32 'mean' whose float32 sum overflows is outside the
audited region, because every framework here accumulates float32 in float32 (the field accepts it)."""


def _labels(rng: np.random.Generator, shape: tuple[int, ...], kind: str, dtype: str) -> np.ndarray:
    if kind == "binary":
        return (rng.random(shape) < 0.5).astype(np.float64)
    if kind == "half":
        return np.full(shape, 0.5)
    return np.clip(round_to(rng.random(shape), dtype), 0.0, 1.0)


@lru_cache
def x_cases(dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape = draw(_shapes(), label="shape")
        x = draw(float_arrays(shape, dtype, offset=True, huge=HUGE[dtype] * max_value(dtype)), label="x")
        dy = draw(float_arrays(shape, dtype, exponents=(0, 0), specials=()), label="dy")
        return Case(x=x, dy=dy)

    return build()


@lru_cache
def smooth_x_cases(dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape = draw(shapes(SHAPES), label="shape")
        x = draw(float_arrays(shape, dtype, exponents=(0, 0), specials=("none",)), label="x")
        return Case(x=x, seed=draw(seeds(), label="seed"))

    return build()


@lru_cache
def loss_cases(dtype: str, *, reductions: tuple[str, ...] = ("none", "sum", "mean"), smoothing: bool = False,
               moderate: bool = False) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape = draw(_shapes(), label="shape")
        if moderate:
            x = draw(float_arrays(shape, dtype, exponents=(0, 0), specials=("none",)), label="logits")
        else:
            x = draw(float_arrays(shape, dtype, offset=True, huge=HUGE[dtype] * max_value(dtype)), label="logits")
        rng = np.random.default_rng(draw(seeds(), label="label_seed"))
        z = _labels(rng, shape, draw(sampled_from(LABEL_KINDS), label="labels"), dtype)
        reduction = draw(sampled_from(list(reductions)), label="reduction")
        alpha = draw(sampled_from(SMOOTHING), label="label_smoothing") if smoothing else 0.0
        return Case(logits=x, labels=z, reduction=reduction, label_smoothing=alpha, seed=int(rng.integers(0, 2**32)))

    return build()


def _loss(dtype: str) -> st.SearchStrategy[Case]:
    return loss_cases(dtype)


def _loss_smoothed(dtype: str) -> st.SearchStrategy[Case]:
    return loss_cases(dtype, smoothing=True)


def _grad(dtype: str) -> st.SearchStrategy[Case]:
    return loss_cases(dtype, reductions=("sum", "mean"))


def _grad_smoothed(dtype: str) -> st.SearchStrategy[Case]:
    return loss_cases(dtype, reductions=("sum", "mean"), smoothing=True)


def _grad_moderate(dtype: str) -> st.SearchStrategy[Case]:
    return loss_cases(dtype, reductions=("sum", "mean"), moderate=True)


LARGE_FRACTION = 1 / 16
"""Large logits are ±1/16 of the dtype's largest value (4094 in float16, 2.1e37 in float32, 1.1e307 in float64):
large enough that σ rounds to 0 or 1 and e^{|x|} overflows, small enough that the loss and its error budget
(<= 9|x|) stay finite."""


@lru_cache
def large_cases(dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape = draw(_shapes(), label="shape")
        rng = np.random.default_rng(draw(seeds(), label="seed"))
        big = round_to(LARGE_FRACTION * max_value(dtype), dtype)
        x = np.where(rng.random(shape) < 0.5, -big, big)
        z = _labels(rng, shape, draw(sampled_from(LABEL_KINDS), label="labels"), dtype)
        return Case(logits=x, labels=z, reduction="none", label_smoothing=0.0)

    return build()


@lru_cache
def gan_cases(dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape = draw(shapes(SHAPES), label="shape")  # the composition of two means; long shapes: loss_cases
        real = draw(float_arrays(shape, dtype, exponents=(-1, 2)), label="real_logits")
        fake = draw(float_arrays(shape, dtype, exponents=(-1, 2)), label="fake_logits")
        # 1 − smooth is exact in every dtype for these (DCGAN uses 0.1; 0.125 stands in for it exactly)
        smooth = draw(sampled_from([0.0, 0.125, 0.25]), label="smooth")
        return Case(real_logits=real, fake_logits=fake, smooth=smooth)

    return build()


POS_WEIGHTS = ("one", "field", "per_class")
"""pos_weight: 1 (the unweighted loss), one value from the field for every class (FIELD_POS_WEIGHTS), or a value
per class (the last axis) drawn from [0, 10) — torch's and TF's broadcast."""

FIELD_POS_WEIGHTS = (0.1, 0.5, 2.0, 3.0, 10.0, 100.0)
"""Ratios of negatives to positives people pass as pos_weight (PyTorch's documented example is 3 = 300/100)."""


@lru_cache
def pos_weight_cases(dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        case = draw(loss_cases(dtype))
        c = case.logits.shape[-1]
        kind = draw(sampled_from(POS_WEIGHTS), label="pos_weight")
        if kind == "one":
            q = np.ones(c)
        elif kind == "field":
            q = np.full(c, round_to(draw(sampled_from(FIELD_POS_WEIGHTS), label="q"), dtype))
        else:
            q = round_to(10.0 * np.random.default_rng(case.seed).random(c), dtype)
        return Case(logits=case.logits, labels=case.labels, pos_weight=q, reduction=case.reduction)

    return build()


def _kw(case: Case) -> dict:
    return {"reduction": case.reduction, "label_smoothing": case.label_smoothing}


# ---------------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------------


@prop("sigmoid", cases=x_cases)
def sigmoid_matches_spec(impl: Impl, case: Case) -> None:
    """sigmoid(x) = 1 / (1 + e^{−x}), with relative accuracy also where it is tiny."""
    got = impl("sigmoid", case.x)
    assert_close("sigmoid", got, S.sigmoid(case.x), sigmoid_bound(case.x), impl=impl)
    assert_output_dtype("sigmoid", impl.raw("sigmoid", case.x), impl=impl)


@prop("sigmoid_vjp", cases=x_cases)
def sigmoid_vjp_matches_spec(impl: Impl, case: Case) -> None:
    """The sigmoid backward is dy·σ(x)(1 − σ(x))."""
    got = impl("sigmoid_vjp", case.x, case.dy)
    want = S.sigmoid_vjp(case.x, case.dy)
    assert_close("sigmoid_vjp", got, want, sigmoid_vjp_bound(case.x, case.dy), impl=impl, what="dx")


@prop("sigmoid", "sigmoid_vjp", cases=x_cases)
def sigmoid_vjp_is_sigma_times_one_minus_sigma(impl: Impl, case: Case) -> None:
    """The backend's sigmoid backward is dy·y(1 − y) with y its own sigmoid."""
    y = impl("sigmoid", case.x)
    got = impl("sigmoid_vjp", case.x, case.dy)
    b = sigmoid_vjp_bound(case.x, case.dy)  # y carries its own ε·b relative error into y(1 − y)
    assert_close("sigmoid_vjp", got, case.dy * y * (1 - y), Bound(b.scale, 2 * np.asarray(b.budget), "two vjp budgets"),
                 impl=impl, what="dx")


@prop("sigmoid", "sigmoid_vjp", cases=smooth_x_cases, dtypes=("float32", "float64"))
def sigmoid_vjp_agrees_with_own_forward(impl: Impl, case: Case) -> None:
    """The backend's sigmoid backward agrees with central differences of its own sigmoid."""
    check_vjp_against_forward(impl, "sigmoid", "sigmoid_vjp", [case.x], [0], seed=case.seed,
                              forward_allowed=lambda args, out: _allowed(sigmoid_bound(args[0]), impl.dtype))


def _check_loss(impl: Impl, case: Case) -> None:
    got = impl("sigmoid_cross_entropy", case.logits, case.labels, **_kw(case))
    want = S.sigmoid_cross_entropy(case.logits, case.labels, **_kw(case))
    bound = loss_bound(case.logits, case.labels, case.reduction, case.label_smoothing, impl.dtype)
    assert_close("sigmoid_cross_entropy", got, want, bound, impl=impl, what="loss")


def _check_grad(impl: Impl, case: Case) -> None:
    got = impl("sigmoid_cross_entropy_grad", case.logits, case.labels, **_kw(case))
    want = S.sigmoid_cross_entropy_grad(case.logits, case.labels, **_kw(case))
    bound = grad_bound(case.logits, case.labels, case.reduction, case.label_smoothing)
    assert_close("sigmoid_cross_entropy_grad", got, want, bound, impl=impl, what="dlogits")


@prop("sigmoid_cross_entropy", cases=_loss)
def sigmoid_cross_entropy_matches_spec(impl: Impl, case: Case) -> None:
    """sigmoid_cross_entropy is max(x, 0) − x z + log(1 + e^{−|x|}) elementwise, reduced by 'none', 'sum' or
    'mean' over all elements."""
    _check_loss(impl, case)


@prop("sigmoid_cross_entropy", cases=_loss_smoothed)
def sigmoid_cross_entropy_with_label_smoothing_matches_spec(impl: Impl, case: Case) -> None:
    """With label smoothing α the labels are z' = z(1 − α) + α/2."""
    _check_loss(impl, case)


@prop("sigmoid_cross_entropy", cases=large_cases)
def sigmoid_cross_entropy_of_large_logits_is_finite(impl: Impl, case: Case) -> None:
    """For logits up to 1/16 of the dtype's largest value the loss is finite and equals the spec's."""
    got = impl("sigmoid_cross_entropy", case.logits, case.labels, reduction="none")
    if not np.all(np.isfinite(got)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(got))[0])
        raise AssertionError(f"loss{list(bad)}={got[bad]!r}, but should be finite "
                             f"(logits {case.logits[bad]!r}, label {case.labels[bad]!r}) "
                             f"[sigmoid_cross_entropy({impl.id})]")
    want = S.sigmoid_cross_entropy(case.logits, case.labels, reduction="none")
    assert_close("sigmoid_cross_entropy", got, want, loss_bound(case.logits, case.labels, "none", dtype=impl.dtype),
                 impl=impl,
                 what="loss")


@prop("sigmoid_cross_entropy", cases=_loss)
def sigmoid_cross_entropy_keeps_dtype_and_reduces_to_the_right_shape(impl: Impl, case: Case) -> None:
    """The loss has the logits' dtype, their shape for 'none' and shape () for 'sum' and 'mean'."""
    out = impl.raw("sigmoid_cross_entropy", case.logits, case.labels, reduction=case.reduction)
    assert_output_dtype("sigmoid_cross_entropy", out, impl=impl)
    want = case.logits.shape if case.reduction == "none" else ()
    if np.shape(out) != want:
        raise AssertionError(f"out.shape={np.shape(out)}, but should be {want} [sigmoid_cross_entropy({impl.id})]")


@prop("sigmoid_cross_entropy_grad", cases=_grad)
def sigmoid_cross_entropy_grad_matches_spec(impl: Impl, case: Case) -> None:
    """The gradient of the reduced sigmoid cross-entropy is σ(x) − z, ÷ the number of elements for 'mean'."""
    _check_grad(impl, case)


@prop("sigmoid_cross_entropy_grad", cases=_grad_smoothed)
def sigmoid_cross_entropy_grad_with_label_smoothing_matches_spec(impl: Impl, case: Case) -> None:
    """With label smoothing the gradient is σ(x) − z', z' = z(1 − α) + α/2."""
    _check_grad(impl, case)


@prop("sigmoid_cross_entropy_grad", "sigmoid", cases=_grad)
def sigmoid_cross_entropy_grad_is_sigmoid_minus_labels(impl: Impl, case: Case) -> None:
    """∂ℓ/∂x = σ(x) − z, with σ the backend's own sigmoid ('sum' reduction)."""
    g = impl("sigmoid_cross_entropy_grad", case.logits, case.labels, reduction="sum")
    y = impl("sigmoid", case.logits)
    sb = sigmoid_bound(case.logits)
    b = grad_bound(case.logits, case.labels, "sum")
    bound = Bound(1.0, np.asarray(b.budget) + np.asarray(sb.budget) * np.asarray(sb.scale), "grad + sigmoid budgets")
    assert_close("sigmoid_cross_entropy_grad", g, y - case.labels, bound, impl=impl, what="dlogits")


@prop("sigmoid_cross_entropy", "sigmoid_cross_entropy_grad", cases=_grad_moderate, dtypes=("float32", "float64"))
def sigmoid_cross_entropy_grad_agrees_with_own_loss(impl: Impl, case: Case) -> None:
    """The backend's sigmoid cross-entropy gradient agrees with central differences of its own loss."""
    check_grad_against_forward(
        impl, "sigmoid_cross_entropy", "sigmoid_cross_entropy_grad", case.logits, case.labels, kwargs=_kw(case),
        seed=case.seed,
        loss_allowed=lambda x: float(eps(impl.dtype) * loss_bound(x, case.labels, case.reduction).budget
                                     + tiny(impl.dtype)))


@prop("sigmoid_cross_entropy", cases=gan_cases)
def gan_losses_through_sigmoid_cross_entropy_match_spec(impl: Impl, case: Case) -> None:
    """d_loss = mean ℓ(real, 1 − smooth) + mean ℓ(fake, 0) and g_loss = mean ℓ(fake, 1), computed with the
    backend's sigmoid_cross_entropy, equal the spec's GAN losses."""
    real, fake = case.real_logits, case.fake_logits
    ones, zeros = np.ones(real.shape), np.zeros(fake.shape)
    real_labels = np.full(real.shape, 1.0 - case.smooth)

    def mean_loss(x: np.ndarray, z: np.ndarray) -> np.ndarray:
        return impl("sigmoid_cross_entropy", x, z, reduction="mean", label_smoothing=0.0)

    d_loss = mean_loss(real, real_labels) + mean_loss(fake, zeros)
    g_loss = mean_loss(fake, ones)
    d_bound = Bound(1.0, np.asarray(loss_bound(real, real_labels, "mean").budget)
                    + np.asarray(loss_bound(fake, zeros, "mean").budget), "two mean-loss budgets")
    assert_close("sigmoid_cross_entropy", d_loss, S.gan_discriminator_loss(real, fake, smooth=case.smooth), d_bound,
                 impl=impl, what="d_loss")
    assert_close("sigmoid_cross_entropy", g_loss, S.gan_generator_loss(fake), loss_bound(fake, ones, "mean"),
                 impl=impl, what="g_loss")


@prop("sigmoid_cross_entropy_with_pos_weight", cases=pos_weight_cases)
def sigmoid_cross_entropy_with_pos_weight_matches_spec(impl: Impl, case: Case) -> None:
    """With pos_weight q the loss is (1 − z)x + (1 + (q − 1)z)·log(1 + e^{−x}), q per class (the last axis),
    reduced by 'none', 'sum' or 'mean' over all elements — finite for every finite logit."""
    got = impl("sigmoid_cross_entropy_with_pos_weight", case.logits, case.labels, case.pos_weight,
               reduction=case.reduction)
    want = S.sigmoid_cross_entropy_with_pos_weight(case.logits, case.labels, case.pos_weight, reduction=case.reduction)
    bound = pos_weight_loss_bound(case.logits, case.labels, case.pos_weight, case.reduction, impl.dtype)
    assert_close("sigmoid_cross_entropy_with_pos_weight", got, want, bound, impl=impl, what="loss")


@prop("sigmoid_cross_entropy_with_pos_weight", "sigmoid_cross_entropy", cases=_loss)
def pos_weight_one_is_the_unweighted_loss(impl: Impl, case: Case) -> None:
    """pos_weight = 1 gives the unweighted sigmoid cross-entropy (passing the default explicitly changes nothing)."""
    ones = np.ones(case.logits.shape[-1])
    got = impl("sigmoid_cross_entropy_with_pos_weight", case.logits, case.labels, ones, reduction=case.reduction)
    want = impl("sigmoid_cross_entropy", case.logits, case.labels, reduction=case.reduction)
    b1 = pos_weight_loss_bound(case.logits, case.labels, ones, case.reduction, impl.dtype)
    b2 = loss_bound(case.logits, case.labels, case.reduction, dtype=impl.dtype)
    assert_close("sigmoid_cross_entropy_with_pos_weight", got, want,
                 Bound(1.0, np.asarray(b1.budget) + np.asarray(b2.budget), "both loss budgets"), impl=impl,
                 what="loss(q = 1)")
