"""The KL spec's validation (each ValueError names its argument) and its own identities."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from dlspec.properties import kl as P
from dlspec.spec import kl as S

E64 = np.finfo(np.float64).eps
P2 = np.array([[0.25, 0.75]])
Q2 = np.array([[0.5, 0.5]])


@pytest.mark.parametrize("call, name", [
    (lambda: S.kl_divergence(np.array([[-0.25, 1.25]]), Q2), "p"),
    (lambda: S.kl_divergence(P2, np.array([[0.5, 0.6]])), "q"),
    (lambda: S.kl_divergence(P2, np.array([[0.2, 0.3, 0.5]])), "q"),
    (lambda: S.kl_divergence(np.array(1.0), np.array(1.0)), "p"),
    (lambda: S.kl_divergence(P2, Q2, axis=2), "axis"),
    (lambda: S.kl_divergence(np.array([[0.25, np.nan]]), Q2), "p"),
    (lambda: S.kl_divergence_vjp(P2, Q2, np.ones((2,))), "dy"),
    (lambda: S.gaussian_kl(np.zeros(2), np.array([1.0, 0.0]), np.zeros(2), np.ones(2)), "sigma1"),
    (lambda: S.gaussian_kl(np.zeros(2), np.ones(2), np.zeros(2), -np.ones(2)), "sigma2"),
    (lambda: S.gaussian_kl(np.zeros(2), np.ones(2), np.zeros(3), np.ones(2)), "mu2"),
    (lambda: S.vae_latent_loss(np.zeros((1, 2)), np.zeros((1, 2))), "sigma"),
    (lambda: S.vae_latent_loss(np.zeros((1, 2)), np.ones((1, 3))), "sigma"),
])
def test_spec_kl_errors_name_their_argument(call, name):
    with pytest.raises(ValueError, match=rf"^{name}: "):
        call()


def test_spec_sum_tolerance_follows_the_inputs_format():
    # a float64 distribution: 4nε64; one whose entries are float16 numbers: nε16 on top
    assert S.sum_tolerance(np.array([0.1, 0.9]), 0) == 8 * E64
    assert S.sum_tolerance(np.array([0.25, 0.75]), 0) == 2 * 2.0**-7 + 8 * E64
    assert S.sum_tolerance(np.float16([0.1, 0.9]).astype(float), 0) == 2 * 2.0**-10 + 8 * E64
    S.kl_divergence(np.float16([[0.1, 0.9]]).astype(float), Q2)  # sums to 1.0002..., valid as float16 data
    with pytest.raises(ValueError, match=r"^p: "):
        S.kl_divergence(np.array([[0.1, 0.9 + 1e-12]]), Q2)


def test_spec_kl_conventions_for_zeros():
    # Cover & Thomas §2.3: 0 log(0/q) = 0 (also for q = 0), p log(p/0) = +∞
    p = np.array([0.0, 0.5, 0.5])
    assert S.kl_divergence(p, np.array([0.0, 0.5, 0.5])) == 0.0
    assert S.kl_divergence(p, np.array([1.0, 0.0, 0.0])) == np.inf
    assert np.isinf(S.kl_divergence_vjp(p, np.array([0.5, 0.5, 0.0]), np.array(1.0))[2])
    assert S.kl_divergence_vjp(p, np.array([0.2, 0.4, 0.4]), np.array(1.0))[0] == 0


@given(P.near_zero_pair_cases("float64"))
def test_spec_kl_is_cross_entropy_minus_entropy_and_asymmetric(case):
    d = S.kl_divergence(case.p, case.q, axis=case.axis)
    h = S.cross_entropy_of(case.p, case.q, axis=case.axis) - S.entropy(case.p, axis=case.axis)
    n = case.p.shape[case.axis]
    scale = np.asarray(P.kl_bound(case.p, case.q, case.axis).scale)
    np.testing.assert_allclose(d, h, rtol=0, atol=float((4 * (n + 8) * E64 * scale).max()) + 1e-300)
    assert np.all(d >= -(n + 8) * E64 * scale)


def test_spec_kl_of_a_known_pair():
    # Cover & Thomas Example 2.3.1: p = (1/2, 1/2), q = (1/4, 3/4): D(p‖q) = 1 − ½ log2 3 bits, ≠ D(q‖p)
    p, q = np.array([0.5, 0.5]), np.array([0.25, 0.75])
    assert np.isclose(S.kl_divergence(p, q) / np.log(2), 1 - 0.5 * np.log2(3), rtol=0, atol=4 * E64)
    assert np.isclose(S.kl_divergence(q, p) / np.log(2), 0.75 * np.log2(3) - 1, rtol=0, atol=4 * E64)


@given(P.vae_cases("float64"))
def test_spec_vae_latent_loss_is_summed_gaussian_kl_to_standard_normal(case):
    mu, sigma, axis = case.mu, case.sigma, case.axis
    total = S.gaussian_kl(mu, sigma, np.zeros_like(mu), np.ones_like(sigma)).sum(axis=axis)
    b = P.vae_bound(mu, sigma, axis)
    np.testing.assert_array_less(np.abs(total - S.vae_latent_loss(mu, sigma, axis=axis)),
                                 4 * E64 * np.asarray(b.budget) * np.asarray(b.scale) + 1e-300)
    assert S.vae_latent_loss(np.zeros((1, 3)), np.ones((1, 3)))[0] == 0.0


def test_spec_kl_div_loss_reductions_and_log_target():
    p = np.array([[0.25, 0.75, 0.0], [0.5, 0.25, 0.25]])
    q = np.array([[0.5, 0.25, 0.25], [0.25, 0.5, 0.25]])
    d = S.kl_divergence(p, q)  # one KL divergence per row
    log_q = np.log(q)
    assert np.isclose(S.kl_div_loss(log_q, p, reduction="batchmean"), d.mean(), rtol=1e-15)
    assert np.isclose(S.kl_div_loss(log_q, p, reduction="sum"), d.sum(), rtol=1e-15)
    assert np.isclose(S.kl_div_loss(log_q, p, reduction="mean"), d.sum() / 6, rtol=1e-15)  # over all 6 elements
    assert S.kl_div_loss(log_q, p, reduction="none")[0, 2] == 0.0  # 0·log 0 = 0
    with np.errstate(divide="ignore"):
        as_logs = S.kl_div_loss(log_q, np.log(p), reduction="none", log_target=True)
    assert as_logs[0, 2] == 0.0 and np.allclose(as_logs, S.kl_div_loss(log_q, p, reduction="none"), rtol=1e-15)
    assert S.kl_div_loss(np.array([-np.inf]), np.array([1.0]), reduction="sum") == np.inf


@pytest.mark.parametrize(("call", "name"), [
    (lambda: S.kl_div_loss(np.zeros(2), np.array([0.5, -0.5])), "target"),
    (lambda: S.kl_div_loss(np.array([0.0, np.nan]), np.array([0.5, 0.5])), "log_q"),
    (lambda: S.kl_div_loss(np.zeros(2), np.array([0.5, 0.5]), reduction="avg"), "reduction"),
    (lambda: S.kl_div_loss(np.zeros(2), np.array([0.5, 0.5]), log_target=1), "log_target"),
    (lambda: S.kl_div_loss(np.zeros(2), np.array([0.5, 0.5, 0.0])), "target"),
    (lambda: S.kl_div_loss(np.array(0.0), np.array(0.5)), "log_q"),
])
def test_spec_kl_div_loss_errors_name_their_argument(call, name):
    with pytest.raises(ValueError, match=rf"^{name}: "):
        call()
