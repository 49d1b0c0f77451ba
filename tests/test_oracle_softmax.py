"""The spec's softmax family against mpmath at 50 digits, within the same error models the backends get
(properties/softmax.py) evaluated for float64: the spec is held to the standard it holds others to."""

from __future__ import annotations

import mpmath
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dlspec.dtypes import round_to
from dlspec.oracles import finite_diff
from dlspec.oracles import softmax as O
from dlspec.properties import softmax as P
from dlspec.properties.tolerance import compare
from dlspec.spec import softmax as S

SMALL = [(1, 1), (1, 3), (2, 4), (3, 2, 2)]


@st.composite
def logits(draw: st.DrawFn) -> tuple[np.ndarray, int]:
    shape = draw(st.sampled_from(SMALL))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = 10.0 ** draw(st.integers(-3, 4))
    return round_to(rng.standard_normal(shape) * scale, "float64"), axis


def _assert_within(got, want, bound, what):
    c = compare(got, want, bound, "float64")
    assert c.ok, f"{what}{list(c.worst)}={c.got!r}, oracle {c.want!r} ± {c.allowed:.3g} ({c.err_eps:.3g} ε)"


@given(logits())
def test_spec_softmax_matches_oracle(case):
    x, axis = case
    _assert_within(S.softmax(x, axis=axis), O.softmax(x, axis=axis), P.softmax_bound(x, axis), "softmax")


@given(logits())
def test_spec_log_softmax_matches_oracle(case):
    x, axis = case
    _assert_within(S.log_softmax(x, axis=axis), O.log_softmax(x, axis=axis), P.log_softmax_bound(x, axis),
                   "log_softmax")


def _mp_rows(flat: list, shape: tuple[int, ...], axis: int) -> list[list]:
    idx = np.moveaxis(np.arange(int(np.prod(shape))).reshape(shape), axis, -1).reshape(-1, shape[axis])
    return [[flat[i] for i in row] for row in idx], idx


@given(logits(), st.integers(0, 2**32 - 1))
def test_spec_softmax_vjp_matches_finite_differences(case, seed):
    x, axis = case
    x = x / max(1.0, float(np.abs(x).max()))  # a smooth region: the oracle is exact, the bound is first order
    dy = np.random.default_rng(seed).standard_normal(x.shape)

    def inner_product(flat: list) -> mpmath.mpf:  # ⟨dy, softmax(x)⟩ at 50 digits
        rows, idx = _mp_rows(flat, x.shape, axis)
        total = mpmath.mpf(0)
        for row, ids in zip(rows, idx):
            e = [mpmath.exp(v) for v in row]
            s = mpmath.fsum(e)
            total += mpmath.fsum(mpmath.mpf(float(dy.flat[i])) * v / s for i, v in zip(ids, e))
        return total

    want = finite_diff.gradient(inner_product, x)
    _assert_within(S.softmax_vjp(x, dy, axis=axis), want, P.softmax_vjp_bound(x, dy, axis), "softmax_vjp")


@given(logits(), st.integers(0, 2**32 - 1))
def test_spec_log_softmax_vjp_matches_finite_differences(case, seed):
    x, axis = case
    x = x / max(1.0, float(np.abs(x).max()))
    dy = np.random.default_rng(seed).standard_normal(x.shape)

    def inner_product(flat: list) -> mpmath.mpf:
        rows, idx = _mp_rows(flat, x.shape, axis)
        total = mpmath.mpf(0)
        for row, ids in zip(rows, idx):
            lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in row))
            total += mpmath.fsum(mpmath.mpf(float(dy.flat[i])) * (v - lse) for i, v in zip(ids, row))
        return total

    want = finite_diff.gradient(inner_product, x)
    _assert_within(S.log_softmax_vjp(x, dy, axis=axis), want, P.log_softmax_vjp_bound(x, dy, axis),
                   "log_softmax_vjp")


@given(st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_spec_softmax_jacobian_is_diag_minus_outer_and_rows_sum_to_zero(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    J = S.softmax_jacobian(x)
    dy = rng.standard_normal(n)
    # J is symmetric, so J^T dy computed by the VJP formula equals J @ dy
    np.testing.assert_allclose(J @ dy, S.softmax_vjp(x, dy), rtol=0, atol=8 * n * np.finfo(float).eps)
    np.testing.assert_allclose(J.sum(axis=1), 0.0, rtol=0, atol=4 * n * np.finfo(float).eps)
