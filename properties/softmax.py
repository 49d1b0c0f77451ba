"""Properties of softmax and log-softmax: differential (backend vs spec), metamorphic, and gradients.

Reach (measured: 100 CI-profile examples of `logits_cases`, which also feed the shift and vjp cases)

| region | what the strategies draw | share float16 | share float32 |
|---|---|---|---|
| short axes | SHAPES: 1–64 along the axis, 2-D and 3-D, any axis | 81 % | 80 % |
| long axes | LONG_SHAPES (2, 513), (1, 2048), (2, 4097), along the last axis, spread ≤ 10^0 | 19 % | 20 % |
| moderate | max |z| ≤ 10 | 51 % | 48 % |
| large | 10 < max |z| < 10^-3·max (offsets up to 1000·10^k, spread 10^k) | 16 % | 34 % |
| near the top of the range | injected ±6e4 (float16) or ±max/4 (others) | 33 % | 18 % |
| cotangents | dy ~ N(0, 1) or |N(0, 1)| (one sign: sums that grow like n) | 50 / 50 | 50 / 50 |
Finite-difference properties keep the short axes and |z| ~ 1 (smooth_cases). Specials in every region: ties,
a constant slice, ± the smallest normal, signed zeros.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from ..dtypes import eps, max_value, round_to, tiny
from ..spec import softmax as S
from .assertions import assert_close, assert_output_dtype
from .gradients import check_vjp_against_forward
from .harness import Case, Impl, prop
from .strategies import float_arrays, integers, rare_buckets, sampled_from, seeds, shapes
from .tolerance import LIBM, Bound, summation
from .tolerance import allowed as _allowed

# ---------------------------------------------------------------------------------------------------------
# Error models (see properties/tolerance.py for the method)
#
# softmax, y_i = e^{d_i} / S with d_i = z_i − m, m = max z, S = Σ_j e^{d_j} >= 1, n terms along the axis:
#   the shift: rounding d_i = z_i − m errs by ε|d_i| in the exponent (m itself is exact: a max rounds nothing),
#   so e^{d_i} by ε(|d_i| + LIBM) relative; S sums terms that each err by ε(|d_j| + LIBM)e^{d_j}, i.e.
#   ε(Σ_j y_j|d_j| + LIBM) relative to S, plus the summation's own A(n) (below); the division: 1, the result's
#   rounding: 1. budget_i = |d_i| + Σ_j y_j|d_j| + A(n) + 2·LIBM + 2, relative to y_i.
#   Rejected on purpose (it is not achievable-bound accuracy): exp(z − lse(z)) with lse = m + log S rounded
#   first, whose error ε|m + log S| grows with |z| while the shift-first bound above does not (its relative
#   error at the largest logit is ε|m|, e.g. 10^4 ε at m = 10^4; mutant softmax-exp-of-rounded-lse).
# log-softmax, l_i = d_i − log S: d_i errs by ε|d_i|; log S by the relative error of S (ε(Σy|d| + LIBM + A(n)))
#   plus the library log's LIBM·ε·log S; the subtraction and the result's rounding: ε|l_i| + ε.
#   budget_i = |d_i| + |l_i| + Σ_j y_j|d_j| + (LIBM + 1)·log S + A(n) + LIBM + 2, absolute (scale 1).
#   Since d_i <= 0 <= log S, |d_i| <= |l_i|: the budget is bounded by the size of the answer, never by |z|.
#   This rejects z − (m + log S) with the sum m + log S rounded first — the algorithm PyTorch's CPU kernel
#   shipped until pytorch/pytorch#11866 and #21672 and MLX until ml-explore/mlx#4169 — whose error ε|m + log S|
#   at the largest logit (l ≈ −log S, small) is 10^4 ε for m = 10^4, where the budget is O(log S + n·ε32/ε).
# A(n), the summation (Higham Eq. 4.4): n − 1 roundings in the dtype's own precision; for float16 and bfloat16
#   (n − 1)·ε_float32/ε + 1, because the field accumulates 16-bit reductions in float32 (torch's opmath_t,
#   jnp.sum's upcast of 16-bit floats, the NumPy backend's dtype=float32) and rounds once: a 16-bit running
#   sum stalls (a float16 sum of ones stops at 2048, a bfloat16 one at 256: sonos/tract#2586,
#   huggingface/candle#3727, pytorch/executorch#20090), which this rejects on the long axes the cases reach.
# ---------------------------------------------------------------------------------------------------------

LOW_PRECISION = ("float16", "bfloat16")
"""Dtypes whose reductions the field accumulates in float32."""


def summation_roundings(n: int | np.ndarray, dtype: str | None = None) -> np.ndarray | float:
    """A(n): roundings, in units of `dtype`'s ε, charged to a sum of n terms relative to Σ|terms| (see above).
    dtype None: the sum in the working precision itself (n − 1)."""
    if dtype in LOW_PRECISION:
        return summation(n) * eps("float32") / eps(dtype) + 1.0
    return summation(n)


def _shift_terms(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """|d_i|, Σ_j y_j|d_j| (keepdims), y and n for d = z − max z along `axis`."""
    n = x.shape[axis]
    y = S.softmax(x, axis=axis)
    with np.errstate(over="ignore", invalid="ignore"):
        d = np.abs(x - x.max(axis=axis, keepdims=True))
    weighted = np.where(y > 0, y * d, 0.0).sum(axis=axis, keepdims=True)
    return d, weighted, y, n


def relative(bound: Bound) -> Bound:
    """A relative bound (scale y_i, budget b_i) as |Δy_i| <= ε·b_i·y_i + tiny: the same allowance with budget 1,
    so that the flush-to-zero allowance `tiny` is charged once, not b_i times. (compare() allows
    budget·(ε·scale + tiny); for float16, tiny = 6.1e-5 is a quarter of a 4097-class probability, and b_i·tiny
    would let a row that sums to 1.9 pass.)"""
    scale, budget = np.asarray(bound.scale), np.asarray(bound.budget)
    with np.errstate(invalid="ignore"):  # 0·inf: an element that is 0 (or flushed) with no budget limit
        return Bound(scale=np.where(scale == 0, 0.0, scale * budget), budget=1.0,
                     derivation=f"{bound.derivation} + tiny")


def softmax_bound(x: np.ndarray, axis: int, dtype: str | None = None) -> Bound:
    d, weighted, y, n = _shift_terms(x, axis)
    budget = d + weighted + summation_roundings(n, dtype) + 2 * LIBM + 2
    return Bound(scale=y, budget=budget, derivation="relative: ε(|z_i − max z| + Σ y|z − max z| + A(n) + 2·LIBM + 2)")


def log_softmax_bound(x: np.ndarray, axis: int, dtype: str | None = None) -> Bound:
    d, weighted, _, n = _shift_terms(x, axis)
    l = S.log_softmax(x, axis=axis)
    log_s = -l.max(axis=axis, keepdims=True)  # log S = −l at the largest logit (d = 0)
    budget = d + np.abs(l) + weighted + (LIBM + 1) * log_s + summation_roundings(n, dtype) + LIBM + 2
    return Bound(scale=1.0, budget=budget,
                 derivation="absolute: ε(|d_i| + |l_i| + Σy|d| + (LIBM+1)·log S + A(n) + LIBM + 2), d = z − max z")


def softmax_vjp_bound(x: np.ndarray, dy: np.ndarray, axis: int, dtype: str | None = None) -> Bound:
    # g_i = y_i (dy_i − s), s = Σ_j dy_j y_j, S1 = Σ_j |dy_j| y_j, b the softmax budget (y_i errs by ε·b_i·y_i):
    # s errs by ε(Σ_j |dy_j| y_j b_j + A(n)·S1 + |s|) (the terms' errors, the sum's, its rounding), dy_i − s by
    # that plus ε|dy_i − s|, y_i·(…) by ε·b_i·y_i|dy_i − s| and one rounding ε|g_i|:
    # |Δg_i| <= ε·y_i[(b_i + 2)|dy_i − s| + Σ_j |dy_j| y_j b_j + A(n)·S1 + |s|], absolute. Every term is
    # weighted by y_j, so a huge logit (y_j = 0) no longer inflates every element's budget, and a 16-bit
    # accumulation of s (ROCm/MIOpen#3427) exceeds A(n)·S1 on the long axes.
    b = softmax_bound(x, axis, dtype)
    y, budget = np.asarray(b.scale), np.asarray(b.budget)
    s = (dy * y).sum(axis=axis, keepdims=True)
    s1 = (np.abs(dy) * y).sum(axis=axis, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):
        sb = np.where(y > 0, np.abs(dy) * y * budget, 0.0).sum(axis=axis, keepdims=True)
    a = summation_roundings(x.shape[axis], dtype)
    # as scale with budget 1: |Δg_i| <= ε·(that) + tiny (the result's flush to zero below the smallest normal)
    with np.errstate(over="ignore", invalid="ignore"):  # y_i = 0 where a budget overflows: 0, not 0·inf
        scale = np.where(y > 0, y * ((budget + 2) * np.abs(dy - s) + sb + a * s1 + np.abs(s)), 0.0)
    return Bound(scale=scale, budget=1.0,
                 derivation="ε·y_i((b_i + 2)|dy_i − s| + Σ|dy|y·b + A(n)·Σ|dy|y + |s|) + tiny")


def log_softmax_vjp_bound(x: np.ndarray, dy: np.ndarray, axis: int, dtype: str | None = None) -> Bound:
    # g_i = dy_i − y_i T, T = Σ_j dy_j. y_i errs by ε·c_i·y_i with c_i the larger of the softmax budget b_i and
    # the log-softmax budget plus one exp (frameworks take y = exp(log-softmax output)); T by ε(A(n)Σ|dy| + |T|);
    # the product and the difference one rounding each:
    # |Δg_i| <= ε[y_i((c_i + 2)|T| + A(n)·Σ|dy|) + |g_i|], absolute. The sum's error is charged at the
    # accumulation precision: a float16 accumulator of Σ dy (ROCm/MIOpen#3427) is rejected on the long axes.
    b = softmax_bound(x, axis, dtype)
    y = np.asarray(b.scale)
    c = np.maximum(np.asarray(b.budget), np.asarray(log_softmax_bound(x, axis, dtype).budget) + LIBM)
    t = dy.sum(axis=axis, keepdims=True)
    total = np.abs(dy).sum(axis=axis, keepdims=True)
    a = summation_roundings(x.shape[axis], dtype)
    g = dy - y * t
    with np.errstate(over="ignore", invalid="ignore"):  # y_i = 0 where a budget overflows: 0, not 0·inf
        scale = np.where(y > 0, y * ((c + 2) * np.abs(t) + a * total), 0.0) + np.abs(g)
    return Bound(scale=scale, budget=1.0,
                 derivation="ε(y_i((c_i + 2)|Σdy| + A(n)Σ|dy|) + |g_i|) + tiny")


# ---------------------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------------------

SHAPES = ((1, 1), (1, 2), (2, 3), (3, 5), (4, 8), (2, 3, 4), (8, 16), (2, 64))
"""Batch sizes 1 and 2, a single class, a 3-D case for a non-last axis; few enough for per-shape compilers."""

LONG_SHAPES = ((2, 513), (1, 2048), (2, 4097))
"""Rare long axes (one draw in RARE_ONE_IN): 513 just past a 512 block with two rows (the odd widths
512 < n < 1024 where a CUDA softmax dropped its tail, pytorch/pytorch#147284), a power of two, and 4097 just
past 4096, where a float16 running sum has long stalled at 2048. Three shapes, shared by every property."""

RARE_ONE_IN = 4

LONG_EXPONENTS = (-2, 1)
"""Spread 10^k of the bulk of a long row: k <= 0, every term of Σ e^{z − max} counts (a 16-bit running sum
stalls); k = 1, one class dominates a long row (a 16-bit sum of the backward loses the many small terms)."""


def logit_shapes() -> st.SearchStrategy[tuple[int, ...]]:
    return rare_buckets(SHAPES, LONG_SHAPES, one_in=RARE_ONE_IN)


HUGE_LOGIT = {"float16": 6.0e4, "bfloat16": 0.25 * max_value("bfloat16"), "float32": 0.25 * max_value("float32"),
              "float64": 0.25 * max_value("float64")}
"""Injected huge logits (either sign): near float16's max, a quarter of the largest finite value elsewhere, so
that z − max z (up to half the max) stays finite while exp(z) overflows for every algorithm that skips the
shift. softmax is defined, and representable, for every finite z."""


@lru_cache
def logits_cases(dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape = draw(logit_shapes(), label="shape")
        if shape in LONG_SHAPES:
            # along the long axis, with a spread of at most 10^0 around the offset: every term of Σ e^{z − max}
            # counts, where a 16-bit running sum loses the small ones (magnitude comes from offset and huge)
            axis = -1
            x = draw(float_arrays(shape, dtype, exponents=LONG_EXPONENTS, huge=HUGE_LOGIT[dtype], offset=True,
                                  axis=axis), label="x")
        else:
            axis = draw(integers(-len(shape), len(shape) - 1), label="axis")
            x = draw(float_arrays(shape, dtype, huge=HUGE_LOGIT[dtype], offset=True, axis=axis), label="x")
        return Case(x=x, axis=axis)

    return build()


@lru_cache
def shifted_cases(dtype: str) -> st.SearchStrategy[Case]:
    """Logits and a shift a: the row maximum (the case every stable implementation relies on) or a constant."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        case = draw(logits_cases(dtype))
        kind = draw(sampled_from(["max", "constant"]), label="shift")
        if kind == "max":
            a = case.x.max(axis=case.axis, keepdims=True)
        else:
            a = np.full((1,) * case.x.ndim, float(draw(integers(-100, 100), label="a")))
        shifted = round_to(case.x - a, dtype)
        assume(np.all(np.isfinite(shifted)))  # rare: ±huge entries in one slice, whose difference overflows
        return Case(x=case.x, axis=case.axis, shifted=shifted, a=np.asarray(a, float))

    return build()


@lru_cache
def vjp_cases(dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        case = draw(logits_cases(dtype))
        # a cotangent of one sign too (a loss's gradient often is): its sum grows like n, where a 16-bit
        # accumulator stalls
        positive = draw(sampled_from([False, True]), label="dy_positive")
        dy = draw(float_arrays(case.x.shape, dtype, exponents=(0, 0), specials=(), positive=positive), label="dy")
        return Case(x=case.x, dy=dy, axis=case.axis)

    return build()


@lru_cache
def smooth_cases(dtype: str) -> st.SearchStrategy[Case]:
    """Moderate logits for finite differences: |z| ~ 1, no injected extremes."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape = draw(shapes(SHAPES), label="shape")  # short rows: finite differences of long ones add nothing
        axis = draw(integers(-len(shape), len(shape) - 1), label="axis")
        x = draw(float_arrays(shape, dtype, exponents=(0, 0), specials=("none", "ties")), label="x")
        return Case(x=x, axis=axis, seed=draw(seeds(), label="seed"))

    return build()


# ---------------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------------


@prop("softmax", cases=logits_cases)
def softmax_matches_spec(impl: Impl, case: Case) -> None:
    """softmax(z) equals e^{z_i} / Σ_j e^{z_j}, also for logits that overflow exp."""
    got = impl("softmax", case.x, axis=case.axis)
    bound = relative(softmax_bound(case.x, case.axis, impl.dtype))
    assert_close("softmax", got, S.softmax(case.x, axis=case.axis), bound, impl=impl)


@prop("log_softmax", cases=logits_cases)
def log_softmax_matches_spec(impl: Impl, case: Case) -> None:
    """log_softmax(z) equals z_i − log Σ_j e^{z_j}, finite wherever z is."""
    got = impl("log_softmax", case.x, axis=case.axis)
    want = S.log_softmax(case.x, axis=case.axis)
    assert_close("log_softmax", got, want, log_softmax_bound(case.x, case.axis, impl.dtype), impl=impl)


@prop("softmax", cases=logits_cases)
def softmax_is_a_probability_distribution(impl: Impl, case: Case) -> None:
    """Every softmax output lies in [0, 1] and each slice along the axis sums to 1."""
    y = impl("softmax", case.x, axis=case.axis)
    b = softmax_bound(case.x, case.axis, impl.dtype)
    rel = eps(impl.dtype) * np.asarray(b.budget)
    # each y_i is within ε·budget_i·y_i of a true probability, so the sum is within Σ ε·budget_i·y_i of 1
    # plus the probability mass that may be flushed to zero: the y_i below the smallest normal, and one tiny
    flushed = np.where(b.scale < tiny(impl.dtype), b.scale, 0.0).sum(axis=case.axis, keepdims=True)
    total_allowed = (rel * b.scale).sum(axis=case.axis, keepdims=True) + flushed + tiny(impl.dtype)
    assert_close("softmax", y.sum(axis=case.axis, keepdims=True), np.ones_like(total_allowed),
                 Bound(scale=total_allowed / eps(impl.dtype), budget=1.0, derivation="Σ_i ε·budget_i·y_i"),
                 impl=impl, what="sum(out)")
    assert_close("softmax", np.clip(y, 0.0, 1.0), y, Bound(scale=0.0, budget=1.0), impl=impl, what="out ∈ [0, 1]")


@prop("softmax", cases=shifted_cases)
def softmax_is_shift_invariant(impl: Impl, case: Case) -> None:
    """softmax(z − a) = softmax(z) for any a, including a = max z."""
    y = impl("softmax", case.x, axis=case.axis)
    y_shifted = impl("softmax", case.shifted, axis=case.axis)
    # Both sides carry their own error; rounding z − a to the dtype moved each logit by δ_i <= ε|z_i − a|/2,
    # which moves y_i by a relative |δ_i − Σ_j y_j δ_j| <= ε(|z_i − a| + max_j |z_j − a|)/2 to first order. When
    # δ is not small (bfloat16 logits near 1000: δ up to 4) the change is e^{δ_i − …} − 1, far beyond first order;
    # the exact change |softmax(shifted) − softmax(z)|/softmax(z), computed in float64, is then the allowance. Both
    # describe the rounded input, not the implementation, so a backend that is not shift invariant still fails.
    b1, b2 = softmax_bound(case.x, case.axis, impl.dtype), softmax_bound(case.shifted, case.axis, impl.dtype)
    moved = np.abs(case.x - case.a)
    first_order = (moved + moved.max(axis=case.axis, keepdims=True)) / 2
    y1, y2 = S.softmax(case.x, axis=case.axis), S.softmax(case.shifted, axis=case.axis)
    positive = y1 > 0
    exact = np.where(positive, np.abs(y2 - y1) / np.where(positive, y1, 1.0), 0.0) / eps(impl.dtype)
    ratio = np.where(positive, y2 / np.where(positive, y1, 1.0), 1.0)  # b2 is relative to softmax(shifted)
    with np.errstate(over="ignore"):  # an infinite allowance where y1 underflows and y2 does not: no check there
        budget = np.asarray(b1.budget) + np.asarray(b2.budget) * np.maximum(ratio, 1.0) + np.maximum(first_order, exact)
    bound = relative(Bound(scale=b1.scale, budget=budget, derivation="two softmax budgets + the rounding of z − a"))
    assert_close("softmax", y_shifted, y, bound, impl=impl, what="softmax(z − a)")


@prop("softmax_vjp", cases=vjp_cases)
def softmax_vjp_matches_spec(impl: Impl, case: Case) -> None:
    """The softmax backward is J^T dy = y ⊙ (dy − ⟨dy, y⟩), J = diag(y) − y yᵀ."""
    got = impl("softmax_vjp", case.x, case.dy, axis=case.axis)
    want = S.softmax_vjp(case.x, case.dy, axis=case.axis)
    assert_close("softmax_vjp", got, want, softmax_vjp_bound(case.x, case.dy, case.axis, impl.dtype), impl=impl,
                 what="dx")


@prop("log_softmax_vjp", cases=vjp_cases)
def log_softmax_vjp_matches_spec(impl: Impl, case: Case) -> None:
    """The log-softmax backward is dy − softmax(z)·Σ dy."""
    got = impl("log_softmax_vjp", case.x, case.dy, axis=case.axis)
    want = S.log_softmax_vjp(case.x, case.dy, axis=case.axis)
    assert_close("log_softmax_vjp", got, want, log_softmax_vjp_bound(case.x, case.dy, case.axis, impl.dtype),
                 impl=impl, what="dx")


@prop("softmax", "softmax_vjp", cases=smooth_cases, dtypes=("float32", "float64"))
def softmax_vjp_agrees_with_own_forward(impl: Impl, case: Case) -> None:
    """The backend's softmax backward agrees with central differences of its own softmax."""
    check_vjp_against_forward(
        impl, "softmax", "softmax_vjp", [case.x], [0], kwargs={"axis": case.axis}, seed=case.seed,
        forward_allowed=lambda args, out: _allowed(softmax_bound(args[0], case.axis, impl.dtype), impl.dtype),
    )


@prop("log_softmax", "log_softmax_vjp", cases=smooth_cases, dtypes=("float32", "float64"))
def log_softmax_vjp_agrees_with_own_forward(impl: Impl, case: Case) -> None:
    """The backend's log-softmax backward agrees with central differences of its own log-softmax."""
    check_vjp_against_forward(
        impl, "log_softmax", "log_softmax_vjp", [case.x], [0], kwargs={"axis": case.axis}, seed=case.seed,
        forward_allowed=lambda args, out: _allowed(log_softmax_bound(args[0], case.axis, impl.dtype), impl.dtype),
    )


@prop("softmax", "log_softmax", cases=logits_cases)
def softmax_and_log_softmax_keep_shape_and_dtype(impl: Impl, case: Case) -> None:
    """softmax and log_softmax return the input's shape and dtype."""
    for op in ("softmax", "log_softmax"):
        out = impl.raw(op, case.x, axis=case.axis)
        assert_output_dtype(op, out, impl=impl)
        if np.shape(out) != case.x.shape:
            raise AssertionError(f"out.shape={np.shape(out)}, but should be {case.x.shape} [{op}({impl.id})]")
