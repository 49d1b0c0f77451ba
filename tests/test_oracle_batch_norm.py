"""The spec's batch-norm family against mpmath at 50 digits, within the same error models the backends get
(properties/batch_norm.py) evaluated for float64: the spec is held to the standard it holds others to."""

from __future__ import annotations

import mpmath
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dlspec.dtypes import round_to
from dlspec.oracles import batch_norm as O
from dlspec.oracles import finite_diff
from dlspec.properties import batch_norm as P
from dlspec.properties.tolerance import compare
from dlspec.spec import batch_norm as S

SMALL = [((1, 2), 1), ((2, 3), 1), ((3, 2), 1), ((1, 2, 2, 2), 1), ((2, 2, 2, 2), -1)]


@st.composite
def batches(draw: st.DrawFn, *, offset: bool = True, min_m: int = 1
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, int]:
    shape, axis = draw(st.sampled_from([(s, a) for s, a in SMALL if np.prod(s) // s[a] >= min_m]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    k = draw(st.integers(-3, 4))
    c = draw(st.sampled_from([0.0, 10.0, -1000.0])) if offset else 0.0
    x = round_to((rng.standard_normal(shape) + c) * 10.0**k, "float64")
    channels = shape[axis]
    gamma, beta = rng.standard_normal(channels), rng.standard_normal(channels)
    return x, gamma, beta, draw(st.sampled_from([1e-5, 1e-3, 0.1])), axis


def _assert_within(got, want, bound, what):
    c = compare(got, want, bound, "float64")
    assert c.ok, f"{what}{list(c.worst)}={c.got!r}, oracle {c.want!r} ± {c.allowed:.3g} ({c.err_eps:.3g} ε)"


@given(batches())
def test_spec_batch_norm_train_matches_oracle(case):
    x, gamma, beta, eps, axis = case
    _assert_within(S.batch_norm_train(x, gamma, beta, eps=eps, axis=axis),
                   O.batch_norm_train(x, gamma, beta, eps=eps, axis=axis),
                   P.train_bound(x, gamma, beta, eps, axis, "float64"), "batch_norm_train")


@given(batches(), st.integers(0, 2**32 - 1))
def test_spec_batch_norm_inference_matches_oracle(case, seed):
    x, gamma, beta, eps, axis = case
    rng = np.random.default_rng(seed)
    c = gamma.size
    mean, var = rng.standard_normal(c) * 10, rng.standard_normal(c) ** 2
    _assert_within(S.batch_norm_inference(x, gamma, beta, mean, var, eps=eps, axis=axis),
                   O.batch_norm_inference(x, gamma, beta, mean, var, eps=eps, axis=axis),
                   P.inference_bound(x, gamma, beta, mean, var, eps, axis), "batch_norm_inference")


@given(batches(min_m=2), st.sampled_from(P.DECAYS), st.integers(0, 2**32 - 1))
def test_spec_batch_norm_running_stats_match_oracle(case, decay, seed):
    x, _, _, _, axis = case
    rng = np.random.default_rng(seed)
    c = x.shape[axis]
    running_mean, running_var = rng.standard_normal(c), rng.standard_normal(c) ** 2
    got = S.batch_norm_running_stats(x, running_mean, running_var, decay=decay, axis=axis)
    want = O.batch_norm_running_stats(x, running_mean, running_var, decay=decay, axis=axis)
    bounds = P.running_stats_bounds(x, running_mean, running_var, decay, axis, "float64")
    for name, g, w, b in zip(("new_mean", "new_var"), got, want, bounds):
        _assert_within(g, w, b, name)


@given(batches(offset=False), st.integers(0, 2**32 - 1))
def test_spec_batch_norm_train_vjp_matches_finite_differences(case, seed):
    x, gamma, beta, eps, axis = case
    x = x / max(1.0, float(np.abs(x).max()))  # a smooth region: the bound is first order
    dy = np.random.default_rng(seed).standard_normal(x.shape)
    ax = axis % x.ndim
    c = x.shape[ax]
    m = x.size // c
    to_rows = lambda a: np.moveaxis(a, ax, 0).reshape(-1).tolist()  # noqa: E731  (C, m) order
    dy_rows = [mpmath.mpf(v) for v in to_rows(dy)]

    def inner_product(flat: list) -> mpmath.mpf:  # ⟨dy, batch_norm_train(x, γ, β)⟩ at 50 digits
        xs, gs, bs = flat[:x.size], flat[x.size:x.size + c], flat[x.size + c:]
        return mpmath.fsum(d * y for d, y in zip(dy_rows, O.mp_train(xs, gs, bs, eps, m)))

    flat = np.concatenate([np.asarray(to_rows(x)), gamma, beta])
    grad = finite_diff.gradient(inner_product, flat)
    moved_shape = np.moveaxis(np.empty(x.shape), ax, 0).shape
    want_dx = np.moveaxis(grad[:x.size].reshape(moved_shape), 0, ax)
    wants = (want_dx, grad[x.size:x.size + c], grad[x.size + c:])
    got = S.batch_norm_train_vjp(x, gamma, beta, dy, eps=eps, axis=axis)
    for name, g, w, b in zip(("dx", "dgamma", "dbeta"), got, wants, P.vjp_bounds(x, gamma, dy, eps, axis, "float64")):
        _assert_within(g, w, b, name)
