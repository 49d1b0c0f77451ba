"""The spec's KL family against mpmath at 50 digits (closed forms, a quadrature of the Gaussian KL, and high-
precision central differences for the gradient), within the error models of properties/kl.py at float64."""

from __future__ import annotations

import mpmath
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dlspec.oracles import finite_diff
from dlspec.oracles import kl as O
from dlspec.properties import kl as P
from dlspec.properties.tolerance import compare
from dlspec.spec import kl as S

SMALL = [(1, 1), (1, 3), (2, 4), (3, 2, 2)]


def _assert_within(got, want, bound, what):
    c = compare(got, want, bound, "float64")
    assert c.ok, f"{what}{list(c.worst)}={c.got!r}, oracle {c.want!r} ± {c.allowed:.3g} ({c.err_eps:.3g} ε)"


@st.composite
def pairs(draw: st.DrawFn):
    """p with zeros, near-zeros and dominant masses; q strictly positive with near-zeros."""
    shape = draw(st.sampled_from(SMALL))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    p = draw(P.distributions(shape, axis, "float64", label="p"))
    q = draw(P.distributions(shape, axis, "float64", zeros=False, label="q"))
    return p, q, axis


@given(pairs())
def test_spec_kl_divergence_matches_oracle(case):
    p, q, axis = case
    _assert_within(S.kl_divergence(p, q, axis=axis), O.kl_divergence(p, q, axis=axis), P.kl_bound(p, q, axis),
                   "kl_divergence")


@given(pairs(), st.integers(0, 2**32 - 1))
def test_spec_kl_divergence_vjp_matches_finite_differences(case, seed):
    p, _, axis = case
    # q of moderate spread: the oracle's step (1e-20) must stay far below every q_i for its truncation error,
    # (step/q)², to vanish at float64; p keeps its zeros, near-zeros and dominant masses
    q = P._normalised(np.exp(np.random.default_rng(seed + 1).standard_normal(p.shape)), axis, "float64")
    dy = np.random.default_rng(seed).standard_normal(S.kl_divergence(p, q, axis=axis).shape)
    ax = axis % p.ndim
    dy_full = np.broadcast_to(np.expand_dims(dy, ax), p.shape).ravel()
    p_flat = p.ravel()

    # ⟨dy, D(p, q)⟩ is a sum of one term per coordinate of q, so its gradient is taken term by term: a central
    # difference of the whole sum would bury a term of a near-zero p_i under the 10^-50 rounding of the rest
    def term(i: int):
        def f(x: list) -> mpmath.mpf:
            a = mpmath.mpf(float(p_flat[i]))
            return mpmath.mpf(float(dy_full[i])) * a * (mpmath.log(a) - mpmath.log(x[0])) if a > 0 else mpmath.mpf(0)
        return f

    want = np.array([float(finite_diff.directional_derivative(term(i), [v], [1.0]))
                     for i, v in enumerate(q.ravel())]).reshape(q.shape)
    _assert_within(S.kl_divergence_vjp(p, q, dy, axis=axis), want, P.kl_vjp_bound(p, q, dy, axis),
                   "kl_divergence_vjp")


@st.composite
def gaussians(draw: st.DrawFn, shapes=((1,), (2,), (2, 3))):
    case = draw(P.gaussian_cases("float64"))
    shape = draw(st.sampled_from(list(shapes)))
    n = int(np.prod(shape))
    return tuple(a.ravel()[:n].reshape(shape) if a.size >= n else np.resize(a, shape)
                 for a in (case.mu1, case.sigma1, case.mu2, case.sigma2))


@given(gaussians())
def test_spec_gaussian_kl_matches_oracle(args):
    _assert_within(S.gaussian_kl(*args), O.gaussian_kl(*args), P.gaussian_kl_bound(*args), "gaussian_kl")


@settings(max_examples=8, deadline=None)
@given(gaussians(shapes=((1,), (2,))))
def test_spec_gaussian_kl_closed_form_is_the_integral_of_p_log_p_over_q(args):
    # mpmath.quad of ∫ p1 log(p1/p2) over μ1 ± 40σ1 (oracles/kl.py): the closed form is that integral
    _assert_within(S.gaussian_kl(*args), O.gaussian_kl_by_quadrature(*args), P.gaussian_kl_bound(*args),
                   "gaussian_kl vs ∫ p1 log(p1/p2)")


@given(P.vae_cases("float64"))
def test_spec_vae_latent_loss_matches_oracle(case):
    _assert_within(S.vae_latent_loss(case.mu, case.sigma, axis=case.axis),
                   O.vae_latent_loss(case.mu, case.sigma, axis=case.axis),
                   P.vae_bound(case.mu, case.sigma, case.axis), "vae_latent_loss")


@given(pairs(), st.sampled_from(S.REDUCTIONS), st.booleans())
def test_spec_kl_div_loss_matches_oracle(case, reduction, log_target):
    """kl_div_loss in every reduction and both target conventions against the oracle's D summed over the slices."""
    p, q, axis = case
    p, q = np.moveaxis(p, axis, -1), np.moveaxis(q, axis, -1)
    if log_target:
        p = np.where(p > 0, p, np.finfo(np.float64).tiny)  # log p = −∞ is outside what this test draws
    with np.errstate(divide="ignore"):
        target = np.log(p) if log_target else p
    # the oracle's D of the very p the spec sees (exp of the given log p)
    total = O.kl_divergence(np.exp(target) if log_target else p, q, axis=-1).sum()
    divisor = {"sum": 1, "batchmean": p.shape[0], "mean": p.size, "none": None}[reduction]
    got = S.kl_div_loss(np.log(q), target, reduction=reduction, log_target=log_target)
    bound = P.kl_div_loss_bound(np.log(q), target, reduction, log_target, "float64")
    if reduction == "none":
        got, bound = got.sum(), P.Bound(scale=np.sum(bound.scale) * (1 + p.size), budget=1.0)
        divisor = 1
    _assert_within(got, np.asarray(total / divisor), bound, f"kl_div_loss({reduction})")
