"""Properties of softmax and log-softmax: differential (backend vs spec), metamorphic, and gradients."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from ..dtypes import eps, round_to, tiny
from ..spec import softmax as S
from .assertions import assert_close, assert_output_dtype
from .gradients import check_vjp_against_forward
from .harness import Case, Impl, prop
from .strategies import float_arrays, integers, sampled_from, seeds, shapes
from .tolerance import LIBM, Bound, summation
from .tolerance import allowed as _allowed

# ---------------------------------------------------------------------------------------------------------
# Error models (see properties/tolerance.py for the method)
#
# softmax, y_i = e^{d_i} / S with d_i = z_i − m, m = max z, S = Σ_j e^{d_j}, n terms along the axis:
#   forward work:  exp: LIBM;  S: (n − 1) for the sum plus, from the terms' own errors ε(|d_j| + LIBM)e^{d_j},
#   at most ε(LIBM + n/e) relative (|d|e^d <= 1/e for d <= 0, and S >= 1);  the division: 1.
#   the shift: an algorithm that rounds d_i = z_i − m first errs by ε|d_i| <= ε(|z_i| + |m|) in the exponent;
#   one that is backward stable in z (e.g. exp(z − logsumexp z)) errs by ε Σ_j |∂y_i/∂z_j||z_j| / y_i
#   <= ε(|z_i| + Σ_j y_j|z_j|). We accept either: budget_i = |z_i| + |m| + Σ_j y_j|z_j| + (n − 1) + n/e
#   + 2·LIBM + 2, relative to y_i.
# log-softmax, l_i = d_i − log S: absolute error <= ε(|d_i| + |l_i| + LIBM·|log S| + (n − 1) + n/e + LIBM + 1)
#   for the shift-first algorithm; z_i − logsumexp(z) errs by ε(|z_i| + |logsumexp z|) instead; budget is the
#   sum of both, scale 1 (absolute error in units of ε).
# ---------------------------------------------------------------------------------------------------------


def _shift_terms(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, int]:
    n = x.shape[axis]
    y = S.softmax(x, axis=axis)
    m = x.max(axis=axis, keepdims=True)
    weighted = (y * np.abs(x)).sum(axis=axis, keepdims=True)
    return np.abs(x) + np.abs(m) + weighted, y, n


def softmax_bound(x: np.ndarray, axis: int) -> Bound:
    shift, y, n = _shift_terms(x, axis)
    budget = shift + summation(n) + n / np.e + 2 * LIBM + 2
    return Bound(scale=y, budget=budget, derivation="relative: ε(|z_i| + |max z| + Σ y|z| + (n−1) + n/e + 2·LIBM + 2)")


def log_softmax_bound(x: np.ndarray, axis: int) -> Bound:
    shift, _, n = _shift_terms(x, axis)
    l = S.log_softmax(x, axis=axis)
    lse = np.abs(x - l).max(axis=axis, keepdims=True)  # |logsumexp z|, read off l_i = z_i − logsumexp z
    budget = shift + np.abs(l) + (LIBM + 1) * lse + summation(n) + n / np.e + LIBM + 2
    return Bound(scale=1.0, budget=budget,
                 derivation="absolute: ε(|z_i| + |max z| + Σy|z| + |l_i| + (LIBM+1)|lse| + n + …)")


def softmax_vjp_bound(x: np.ndarray, dy: np.ndarray, axis: int) -> Bound:
    # g_i = y_i (dy_i − s), s = Σ_j dy_j y_j. With ρ_i = ε·budget_i the relative error of y_i, S1 = Σ|dy_j| y_j:
    # s errs by ε(max budget + n)·S1, dy_i − s by that plus ε(|dy_i| + S1), the product by ρ_i and one rounding:
    # |Δg_i| <= ε·y_i(|dy_i| + S1)·(max budget + budget_i + n + 2).
    b = softmax_bound(x, axis)
    y, budget = b.scale, b.budget
    s1 = (np.abs(dy) * y).sum(axis=axis, keepdims=True)
    n = x.shape[axis]
    return Bound(scale=y * (np.abs(dy) + s1), budget=budget.max(axis=axis, keepdims=True) + budget + n + 2,
                 derivation="ε·y_i(|dy_i| + Σ|dy|y)·(budget_max + budget_i + n + 2)")


def log_softmax_vjp_bound(x: np.ndarray, dy: np.ndarray, axis: int) -> Bound:
    # g_i = dy_i − y_i T, T = Σ_j dy_j: T errs by ε(n − 1)Σ|dy|, y_i by ε·budget_i relative, then two roundings.
    b = softmax_bound(x, axis)
    total = np.abs(dy).sum(axis=axis, keepdims=True)
    n = x.shape[axis]
    return Bound(scale=np.abs(dy) + b.scale * total, budget=b.budget + n + 2,
                 derivation="ε(|dy_i| + y_i Σ|dy|)(budget_i + n + 2)")


# ---------------------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------------------

SHAPES = [(1, 1), (1, 2), (2, 3), (3, 5), (4, 8), (2, 3, 4), (8, 16), (2, 64)]
"""Batch sizes 1 and 2, a single class, a 3-D case for a non-last axis; few enough for per-shape compilers."""

HUGE_LOGIT = {"float16": 6.0e4, "bfloat16": 1.0e4, "float32": 1.0e4, "float64": 1.0e4}
"""Large logits that overflow exp unless the maximum is subtracted: near float16's max, ±1e4 elsewhere."""


@lru_cache
def logits_cases(dtype: str) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape = draw(shapes(SHAPES), label="shape")
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
        dy = draw(float_arrays(case.x.shape, dtype, exponents=(0, 0), specials=()), label="dy")
        return Case(x=case.x, dy=dy, axis=case.axis)

    return build()


@lru_cache
def smooth_cases(dtype: str) -> st.SearchStrategy[Case]:
    """Moderate logits for finite differences: |z| ~ 1, no injected extremes."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape = draw(shapes(SHAPES), label="shape")
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
    assert_close("softmax", got, S.softmax(case.x, axis=case.axis), softmax_bound(case.x, case.axis), impl=impl)


@prop("log_softmax", cases=logits_cases)
def log_softmax_matches_spec(impl: Impl, case: Case) -> None:
    """log_softmax(z) equals z_i − log Σ_j e^{z_j}, finite wherever z is."""
    got = impl("log_softmax", case.x, axis=case.axis)
    want = S.log_softmax(case.x, axis=case.axis)
    assert_close("log_softmax", got, want, log_softmax_bound(case.x, case.axis), impl=impl)


@prop("softmax", cases=logits_cases)
def softmax_is_a_probability_distribution(impl: Impl, case: Case) -> None:
    """Every softmax output lies in [0, 1] and each slice along the axis sums to 1."""
    y = impl("softmax", case.x, axis=case.axis)
    b = softmax_bound(case.x, case.axis)
    rel = eps(impl.dtype) * np.asarray(b.budget)
    # each y_i is within ε·budget_i·y_i of a true probability, so the sum is within Σ ε·budget_i·y_i of 1
    total_allowed = (rel * b.scale).sum(axis=case.axis, keepdims=True) + y.shape[case.axis] * tiny(impl.dtype)
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
    b1, b2 = softmax_bound(case.x, case.axis), softmax_bound(case.shifted, case.axis)
    moved = np.abs(case.x - case.a)
    first_order = (moved + moved.max(axis=case.axis, keepdims=True)) / 2
    y1, y2 = S.softmax(case.x, axis=case.axis), S.softmax(case.shifted, axis=case.axis)
    positive = y1 > 0
    exact = np.where(positive, np.abs(y2 - y1) / np.where(positive, y1, 1.0), 0.0) / eps(impl.dtype)
    ratio = np.where(positive, y2 / np.where(positive, y1, 1.0), 1.0)  # b2 is relative to softmax(shifted)
    bound = Bound(scale=b1.scale, budget=np.asarray(b1.budget) + np.asarray(b2.budget) * np.maximum(ratio, 1.0)
                  + np.maximum(first_order, exact), derivation="two softmax budgets + the rounding of z − a")
    assert_close("softmax", y_shifted, y, bound, impl=impl, what="softmax(z − a)")


@prop("softmax_vjp", cases=vjp_cases)
def softmax_vjp_matches_spec(impl: Impl, case: Case) -> None:
    """The softmax backward is J^T dy = y ⊙ (dy − ⟨dy, y⟩), J = diag(y) − y yᵀ."""
    got = impl("softmax_vjp", case.x, case.dy, axis=case.axis)
    want = S.softmax_vjp(case.x, case.dy, axis=case.axis)
    assert_close("softmax_vjp", got, want, softmax_vjp_bound(case.x, case.dy, case.axis), impl=impl, what="dx")


@prop("log_softmax_vjp", cases=vjp_cases)
def log_softmax_vjp_matches_spec(impl: Impl, case: Case) -> None:
    """The log-softmax backward is dy − softmax(z)·Σ dy."""
    got = impl("log_softmax_vjp", case.x, case.dy, axis=case.axis)
    want = S.log_softmax_vjp(case.x, case.dy, axis=case.axis)
    assert_close("log_softmax_vjp", got, want, log_softmax_vjp_bound(case.x, case.dy, case.axis), impl=impl, what="dx")


@prop("softmax", "softmax_vjp", cases=smooth_cases, dtypes=("float32", "float64"))
def softmax_vjp_agrees_with_own_forward(impl: Impl, case: Case) -> None:
    """The backend's softmax backward agrees with central differences of its own softmax."""
    check_vjp_against_forward(
        impl, "softmax", "softmax_vjp", [case.x], [0], kwargs={"axis": case.axis}, seed=case.seed,
        forward_allowed=lambda args, out: _allowed(softmax_bound(args[0], case.axis), impl.dtype),
    )


@prop("log_softmax", "log_softmax_vjp", cases=smooth_cases, dtypes=("float32", "float64"))
def log_softmax_vjp_agrees_with_own_forward(impl: Impl, case: Case) -> None:
    """The backend's log-softmax backward agrees with central differences of its own log-softmax."""
    check_vjp_against_forward(
        impl, "log_softmax", "log_softmax_vjp", [case.x], [0], kwargs={"axis": case.axis}, seed=case.seed,
        forward_allowed=lambda args, out: _allowed(log_softmax_bound(args[0], case.axis), impl.dtype),
    )


@prop("softmax", "log_softmax", cases=logits_cases)
def softmax_and_log_softmax_keep_shape_and_dtype(impl: Impl, case: Case) -> None:
    """softmax and log_softmax return the input's shape and dtype."""
    for op in ("softmax", "log_softmax"):
        out = impl.raw(op, case.x, axis=case.axis)
        assert_output_dtype(op, out, impl=impl)
        if np.shape(out) != case.x.shape:
            raise AssertionError(f"out.shape={np.shape(out)}, but should be {case.x.shape} [{op}({impl.id})]")
