"""The spec's normalisation family against mpmath at 50 digits, within the same error models the backends get
(properties/norms.py) evaluated for float64; its backward passes against high-precision central differences."""

from __future__ import annotations

import mpmath
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dlspec.dtypes import round_to
from dlspec.oracles import finite_diff
from dlspec.oracles import norms as O
from dlspec.properties import norms as P
from dlspec.properties.tolerance import compare
from dlspec.spec import norms as S

EPS = st.sampled_from([1e-5, 1e-3, 0.1])


@st.composite
def arrays(draw: st.DrawFn, shape: tuple[int, ...], *, offset: bool = True) -> np.ndarray:
    """Float64 values 10^k·(N(0,1) + c), c a large offset or 0 (the case that breaks one-pass variances)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    k = draw(st.integers(-4, 4))
    c = draw(st.sampled_from([0.0, 1.0, -100.0, 1e4])) if offset else 0.0
    return round_to((rng.standard_normal(shape) + c) * 10.0**k, "float64")


def _assert_within(got, want, bound, what):
    c = compare(got, want, bound, "float64")
    assert c.ok, f"{what}{list(c.worst)}={c.got!r}, oracle {c.want!r} ± {c.allowed:.3g} ({c.err_eps:.3g} ε)"


@st.composite
def standardize_cases(draw):
    shape = draw(st.sampled_from([(1, 3), (2, 4), (3, 2, 2)]))
    axes = draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True))
    return draw(arrays(shape)), tuple(axes), draw(EPS)


@given(standardize_cases())
def test_spec_standardize_matches_oracle(case):
    x, axes, eps = case
    _assert_within(S.standardize(x, axis=axes, eps=eps), O.standardize(x, axis=axes, eps=eps),
                   P.standardize_bound(x, axes, eps, "float64"), "standardize")


@st.composite
def norm_cases(draw, shapes, per_channel=True, grouped=False):
    shape = draw(st.sampled_from(shapes))
    pshape = (shape[1],) if per_channel else shape[1:]
    x = draw(arrays(shape))
    gamma, beta = draw(arrays(pshape, offset=False)), draw(arrays(pshape, offset=False))
    groups = draw(st.sampled_from([g for g in range(1, shape[1] + 1) if shape[1] % g == 0])) if grouped else None
    return x, gamma, beta, groups, draw(EPS)


@given(norm_cases([(1, 1), (2, 3), (2, 2, 2)], per_channel=False))
def test_spec_layer_norm_matches_oracle(case):
    x, g, b, _, eps = case
    _assert_within(S.layer_norm(x, g, b, eps=eps), O.layer_norm(x, g, b, eps=eps),
                   P.layer_norm_bound(x, g, b, eps, "float64"), "layer_norm")


@given(norm_cases([(1, 1, 2), (2, 2, 3), (1, 2, 2, 2)]))
def test_spec_instance_norm_matches_oracle(case):
    x, g, b, _, eps = case
    _assert_within(S.instance_norm(x, g, b, eps=eps), O.instance_norm(x, g, b, eps=eps),
                   P.instance_norm_bound(x, g, b, eps, "float64"), "instance_norm")


@given(norm_cases([(1, 2), (2, 4), (1, 4, 3), (2, 4, 2, 2)], grouped=True))
def test_spec_group_norm_matches_oracle(case):
    x, g, b, groups, eps = case
    _assert_within(S.group_norm(x, g, b, groups=groups, eps=eps), O.group_norm(x, g, b, groups=groups, eps=eps),
                   P.group_norm_bound(x, g, b, groups, eps, "float64"), "group_norm")


def _groups_of(view: tuple[int, ...], axes: tuple[int, ...]) -> list[list[int]]:
    """Flat indices of each normalisation group of an array seen as `view`."""
    idx = np.arange(int(np.prod(view))).reshape(view)
    rest = [a for a in range(len(view)) if a not in axes]
    return np.transpose(idx, rest + list(axes)).reshape(-1, int(np.prod([view[a] for a in axes]))).tolist()


def _inner_product(x, dy, gamma_of, beta_of, groups, eps):
    """⟨dy, γ x̂ + β⟩ at 50 digits as a function of the flat list (x, γ, β)."""
    def f(flat: list) -> mpmath.mpf:
        xs = flat[:x.size]
        params = flat[x.size:]
        half = len(params) // 2
        gam, bet = params[:half], params[half:]
        e = mpmath.mpf(eps)
        total = mpmath.mpf(0)
        for grp in groups:
            xh = O.standardize_row([xs[i] for i in grp], e)
            for i, v in zip(grp, xh):
                total += mpmath.mpf(float(dy.flat[i])) * (gam[gamma_of[i]] * v + bet[beta_of[i]])
        return total

    return f


def _check_vjp(x, gamma, beta, dy, eps, groups, param_index, spec_vjp, bounds):
    flat = np.concatenate([x.ravel(), gamma.ravel(), beta.ravel()])
    want = finite_diff.gradient(_inner_product(x, dy, param_index, param_index, groups, eps), flat)
    got = spec_vjp()
    nx, npar = x.size, gamma.size
    wants = (want[:nx].reshape(x.shape), want[nx:nx + npar].reshape(gamma.shape), want[nx + npar:].reshape(beta.shape))
    for name, g, w, b in zip(("dx", "dgamma", "dbeta"), got, wants, bounds):
        _assert_within(g, w, b, name)


@given(norm_cases([(1, 2), (2, 3), (2, 2, 2)], per_channel=False), st.integers(0, 2**32 - 1))
def test_spec_layer_norm_vjp_matches_finite_differences(case, seed):
    x, gamma, beta, _, eps = case
    x = x / max(1.0, float(np.abs(x).max()))  # a smooth region: the bound is first order
    dy = np.random.default_rng(seed).standard_normal(x.shape)
    groups = _groups_of(x.shape, tuple(range(1, x.ndim)))
    param_index = (np.arange(x.size) % gamma.size).ravel()  # element i uses γ[i mod |features|]
    _check_vjp(x, gamma, beta, dy, eps, groups, param_index,
               lambda: S.layer_norm_vjp(x, gamma, beta, dy, eps=eps),
               P.layer_norm_vjp_bounds(x, gamma, beta, dy, eps, "float64"))


@given(norm_cases([(1, 2), (2, 4), (1, 4, 3)], grouped=True), st.integers(0, 2**32 - 1))
def test_spec_group_norm_vjp_matches_finite_differences(case, seed):
    x, gamma, beta, g, eps = case
    x = x / max(1.0, float(np.abs(x).max()))
    dy = np.random.default_rng(seed).standard_normal(x.shape)
    view = (x.shape[0], g, x.shape[1] // g, *x.shape[2:])
    groups = _groups_of(view, tuple(range(2, len(view))))
    param_index = np.broadcast_to(np.arange(x.shape[1]).reshape((1, -1) + (1,) * (x.ndim - 2)), x.shape).ravel()
    _check_vjp(x, gamma, beta, dy, eps, groups, param_index,
               lambda: S.group_norm_vjp(x, gamma, beta, dy, groups=g, eps=eps),
               P.group_norm_vjp_bounds(x, gamma, beta, dy, g, eps, "float64"))
