"""The spec's pooling family against mpmath at 50 digits and high-precision finite differences, within the same
error models the backends get (properties/pooling.py) evaluated for float64."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dlspec.oracles import finite_diff
from dlspec.oracles import pooling as O
from dlspec.properties import pooling as P
from dlspec.properties.tolerance import compare
from dlspec.spec import pooling as S

# every bucket of every kind, in explicit form for the oracle (the spec resolves 'same' the same way)
BUCKETS = [(kind, row) for kind, rows in P.GEOMETRIES.items() for row in rows]


def _explicit(shape, kernel, stride, padding, dilation):
    stride = kernel if stride is None else stride
    return S._padding(padding, shape[2:], kernel, stride, dilation), stride


@st.composite
def pooled(draw, *, distinct=False):
    kind, (shape, kernel, stride, padding, dilation) = draw(st.sampled_from(BUCKETS))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if distinct:
        x = rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 3.0
    else:
        x = rng.standard_normal(shape) * 10.0 ** draw(st.integers(-3, 4))
    return kind, x, kernel, stride, padding, dilation, draw(st.booleans())


def _assert_within(got, want, bound, what):
    c = compare(got, want, bound, "float64")
    assert c.ok, f"{what}{list(c.worst)}={c.got!r}, oracle {c.want!r} ± {c.allowed:.3g} ({c.err_eps:.3g} ε)"


@given(pooled())
def test_spec_max_pool2d_matches_oracle(case):
    kind, x, kernel, stride, padding, dilation, _ = case
    pads, s = _explicit(x.shape, kernel, stride, padding, dilation)
    got = S.max_pool2d(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=kind == "ceil")
    want = O.max_pool2d(x, kernel, s, pads, dilation, kind == "ceil")
    _assert_within(got, want, P.EXACT, "max_pool2d")


@given(pooled())
def test_spec_avg_pool2d_matches_oracle(case):
    kind, x, kernel, stride, padding, _, cip = case
    pads, s = _explicit(x.shape, kernel, stride, padding, (1, 1))
    g = {"kernel": kernel, "stride": stride, "padding": padding, "ceil_mode": kind == "ceil", "count_include_pad": cip}
    want = O.avg_pool2d(x, kernel, s, pads, kind == "ceil", cip)
    _assert_within(S.avg_pool2d(x, **g), want, P.avg_pool_bound(x, g), "avg_pool2d")


@given(st.sampled_from(P.GLOBAL_SHAPES), st.integers(0, 2**32 - 1))
def test_spec_global_avg_pool2d_matches_oracle(shape, seed):
    x = np.random.default_rng(seed).standard_normal(shape) + 3.0
    _assert_within(S.global_avg_pool2d(x), O.global_avg_pool2d(x), P.global_avg_bound(x), "global_avg_pool2d")


def _small(case):
    return case[1].size <= 40


@given(pooled(distinct=True).filter(_small), st.integers(0, 2**32 - 1))
def test_spec_max_pool2d_vjp_matches_finite_differences(case, seed):
    kind, x, kernel, stride, padding, dilation, _ = case
    g = {"kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation, "ceil_mode": kind == "ceil"}
    y = S.max_pool2d(x, **g)
    dy = np.random.default_rng(seed).standard_normal(y.shape)
    pads, s = _explicit(x.shape, kernel, stride, padding, dilation)
    f = O.pooled_inner_product("max", dy, x.shape, kernel, s, pads, dilation, kind == "ceil")
    _assert_within(S.max_pool2d_vjp(x, dy, **g), finite_diff.gradient(f, x), P.max_pool_vjp_bound(x, dy, g),
                   "max_pool2d_vjp")


@given(pooled().filter(_small), st.integers(0, 2**32 - 1))
def test_spec_avg_pool2d_vjp_matches_finite_differences(case, seed):
    kind, x, kernel, stride, padding, _, cip = case
    g = {"kernel": kernel, "stride": stride, "padding": padding, "ceil_mode": kind == "ceil", "count_include_pad": cip}
    y = S.avg_pool2d(x, **g)
    dy = np.random.default_rng(seed).standard_normal(y.shape)
    pads, s = _explicit(x.shape, kernel, stride, padding, (1, 1))
    f = O.pooled_inner_product("avg", dy, x.shape, kernel, s, pads, ceil_mode=kind == "ceil", count_include_pad=cip)
    _assert_within(S.avg_pool2d_vjp(x, dy, **g), finite_diff.gradient(f, x), P.avg_pool_vjp_bound(x, dy, g),
                   "avg_pool2d_vjp")
