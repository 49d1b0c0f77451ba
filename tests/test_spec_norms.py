"""The spec's normalisation family: argument validation (ValueError naming the argument) and its own identities."""

from __future__ import annotations

import numpy as np
import pytest

from dlspec.spec import norms as S

X4 = np.arange(2 * 4 * 3, dtype=float).reshape(2, 4, 3) ** 1.5
C4 = np.ones(4)


@pytest.mark.parametrize(("call", "argument"), [
    (lambda: S.standardize(np.zeros((2, 3)), axis=2), "axis"),
    (lambda: S.standardize(np.zeros((2, 3)), axis=(0, 0)), "axis"),
    (lambda: S.standardize(np.zeros((2, 3)), axis=()), "axis"),
    (lambda: S.standardize(np.zeros((2, 3)), axis=1.5), "axis"),
    (lambda: S.standardize(np.zeros((2, 3)), eps=0.0), "eps"),
    (lambda: S.standardize(np.array([1.0, np.nan])), "x"),
    (lambda: S.layer_norm(np.zeros(3), np.ones(()), np.zeros(())), "x"),
    (lambda: S.layer_norm(np.zeros((2, 3)), np.ones(2), np.zeros(3)), "gamma"),
    (lambda: S.layer_norm(np.zeros((2, 3)), np.ones(3), np.zeros((1, 3))), "beta"),
    (lambda: S.layer_norm(np.zeros((2, 3)), np.ones(3), np.zeros(3), eps=-1e-5), "eps"),
    (lambda: S.layer_norm_vjp(np.zeros((2, 3)), np.ones(3), np.zeros(3), np.zeros((3, 2))), "dy"),
    (lambda: S.instance_norm(np.zeros((2, 4)), C4, C4), "x"),
    (lambda: S.instance_norm(X4, np.ones(3), C4), "gamma"),
    (lambda: S.instance_norm(X4, C4, np.ones(3)), "beta"),
    (lambda: S.group_norm(X4, C4, C4, groups=3), "groups"),
    (lambda: S.group_norm(X4, C4, C4, groups=0), "groups"),
    (lambda: S.group_norm(np.zeros(4), C4, C4, groups=1), "x"),
    (lambda: S.group_norm(X4, np.ones(12), C4, groups=2), "gamma"),
    (lambda: S.group_norm(X4, C4, C4, groups=2, eps=0.0), "eps"),
    (lambda: S.group_norm_vjp(X4, C4, C4, np.zeros((2, 4)), groups=2), "dy"),
    (lambda: S.group_norm_vjp(X4, C4, C4, np.zeros_like(X4), groups=8), "groups"),
])
def test_spec_rejects_bad_arguments_naming_them(call, argument):
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        call()


def test_spec_axis_accepts_any_int_sequence():
    x = X4
    want = S.standardize(x, axis=(1, 2))
    np.testing.assert_array_equal(S.standardize(x, axis=[2, 1]), want)
    np.testing.assert_array_equal(S.standardize(x, axis=np.array([1, -1])), want)


def test_spec_a_constant_group_standardizes_to_zero_and_gives_beta():
    x = np.full((2, 3, 4), 7.25)
    beta = np.arange(3.0)
    np.testing.assert_array_equal(S.standardize(x, axis=(1, 2)), np.zeros_like(x))
    np.testing.assert_array_equal(S.instance_norm(x, np.ones(3), beta), np.broadcast_to(beta[:, None], x.shape))


def test_spec_group_norm_with_g_equal_c_is_instance_norm_and_g_1_is_layer_norm():
    rng = np.random.default_rng(0)
    x, g, b = rng.standard_normal((2, 4, 3)), rng.standard_normal(4), rng.standard_normal(4)
    np.testing.assert_allclose(S.group_norm(x, g, b, groups=4), S.instance_norm(x, g, b), rtol=0, atol=1e-14)
    g_ln, b_ln = np.broadcast_to(g[:, None], (4, 3)), np.broadcast_to(b[:, None], (4, 3))
    np.testing.assert_allclose(S.group_norm(x, g, b, groups=1), S.layer_norm(x, g_ln, b_ln), rtol=0, atol=1e-14)


def test_spec_eps_sits_inside_the_square_root():
    # one group {−1, 1}: σ² = 1, so x̂ = ±1/√(1 + ε) (Wu & He 2018, Eq. 1), not ±1/(1 + ε) or ±1/(1 + √ε)
    y = S.standardize(np.array([-1.0, 1.0]), eps=0.21)
    np.testing.assert_allclose(y, [-1 / 1.1, 1 / 1.1], rtol=1e-15)


def test_spec_variance_is_biased():
    # {0, 2}: biased σ² = 1 (unbiased would be 2); ε tiny
    np.testing.assert_allclose(S.standardize(np.array([0.0, 2.0]), eps=1e-300), [-1.0, 1.0], rtol=1e-15)


def test_spec_vjp_gradients_of_the_affine_parameters_are_the_batch_sums():
    rng = np.random.default_rng(1)
    x, dy = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    _, dgamma, dbeta = S.layer_norm_vjp(x, np.ones(4), np.zeros(4), dy)
    np.testing.assert_allclose(dbeta, dy.sum(axis=0), rtol=1e-15)
    np.testing.assert_allclose(dgamma, (dy * S.standardize(x, axis=1)).sum(axis=0), rtol=1e-13)


def test_spec_layer_norm_backward_sums_to_zero_over_each_sample():
    # the output is invariant to adding a constant to a sample, so dx is orthogonal to that direction
    rng = np.random.default_rng(2)
    x, dy = rng.standard_normal((2, 5)), rng.standard_normal((2, 5))
    dx, _, _ = S.layer_norm_vjp(x, np.ones(5), np.zeros(5), dy)
    np.testing.assert_allclose(dx.sum(axis=1), 0.0, atol=1e-14)
