"""The spec's batch-norm family: argument validation (ValueError naming the argument) and its own identities."""

from __future__ import annotations

import numpy as np
import pytest

from dlspec.spec import batch_norm as S

X = np.arange(24.0).reshape(2, 3, 2, 2)
C3 = np.ones(3)


@pytest.mark.parametrize(("call", "argument"), [
    (lambda: S.batch_norm_train(np.zeros(3), np.ones(3), np.zeros(3)), "x"),
    (lambda: S.batch_norm_train(X, C3, C3, eps=0.0), "eps"),
    (lambda: S.batch_norm_train(X, C3, C3, eps=-1e-5), "eps"),
    (lambda: S.batch_norm_train(X, C3, C3, axis=4), "axis"),
    (lambda: S.batch_norm_train(X, np.ones(2), C3), "gamma"),
    (lambda: S.batch_norm_train(X, C3, np.ones(4)), "beta"),
    (lambda: S.batch_norm_train(X, C3, C3, axis=-1), "gamma"),  # channels-last reads 2 channels here
    (lambda: S.batch_norm_train_vjp(X, C3, C3, np.zeros((2, 3))), "dy"),
    (lambda: S.batch_norm_running_stats(X, C3, -C3), "running_var"),
    (lambda: S.batch_norm_running_stats(X, np.ones(2), C3), "running_mean"),
    (lambda: S.batch_norm_running_stats(X, C3, C3, decay=1.5), "decay"),
    (lambda: S.batch_norm_running_stats(X, C3, C3, decay=-0.1), "decay"),
    (lambda: S.batch_norm_running_stats(np.ones((1, 3)), C3, C3), "x"),  # m = 1: m/(m−1) undefined
    (lambda: S.batch_norm_inference(X, C3, C3, C3, -C3), "var"),
    (lambda: S.batch_norm_inference(X, C3, C3, np.ones(2), C3), "mean"),
    (lambda: S.batch_norm_inference(X, C3, C3, C3, C3, eps=0.0), "eps"),
    (lambda: S.fused_affine(C3, C3, C3, -C3), "var"),
    (lambda: S.fused_affine(C3, np.ones(2), C3, C3), "beta"),
    (lambda: S.fused_affine(C3, C3, C3, C3, eps=0.0), "eps"),
    (lambda: S.population_variance(np.ones((4, 3)), 1), "m"),
    (lambda: S.population_variance(-np.ones(4), 8), "batch_vars"),
    (lambda: S.batch_statistics(np.array([[1.0, np.nan]])), "x"),
])
def test_spec_rejects_bad_arguments_naming_them(call, argument):
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        call()


def _random(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize(("shape", "axis"), [((4, 3), 1), ((2, 3, 2, 2), 1), ((2, 2, 2, 3), -1), ((2, 2, 2, 3), 3)])
def test_spec_statistics_run_over_every_axis_but_the_channel_axis(shape, axis):
    x = _random(shape) + 5.0
    mean, var = S.batch_statistics(x, axis=axis)
    rows = np.moveaxis(x, axis, 0).reshape(shape[axis], -1)
    np.testing.assert_allclose(mean, rows.mean(axis=1), rtol=1e-15)
    np.testing.assert_allclose(var, rows.var(axis=1), rtol=1e-13)
    y = S.batch_norm_train(x, np.ones(shape[axis]), np.zeros(shape[axis]), eps=1e-12, axis=axis)
    y_mean, y_var = S.batch_statistics(y, axis=axis)
    np.testing.assert_allclose(y_mean, 0.0, atol=1e-13)
    np.testing.assert_allclose(y_var, 1.0, rtol=1e-9)


def test_spec_channels_last_is_channels_first_transposed():
    x = _random((2, 3, 2, 4))
    g, b = _random(3, 1), _random(3, 2)
    first = S.batch_norm_train(x, g, b, axis=1)
    last = S.batch_norm_train(np.moveaxis(x, 1, -1), g, b, axis=-1)
    np.testing.assert_array_equal(np.moveaxis(last, -1, 1), first)


def test_spec_train_of_one_value_per_channel_is_beta():
    x, g, b = _random((1, 3)), _random(3, 1), _random(3, 2)
    np.testing.assert_array_equal(S.batch_norm_train(x, g, b), b[None, :])
    dx, dgamma, dbeta = S.batch_norm_train_vjp(x, g, b, x)
    np.testing.assert_array_equal(dx, 0.0)
    np.testing.assert_array_equal(dgamma, 0.0)
    np.testing.assert_array_equal(dbeta, x[0])


def test_spec_running_stats_with_decay_zero_are_the_unbiased_batch_statistics():
    x = _random((5, 3))
    new_mean, new_var = S.batch_norm_running_stats(x, np.full(3, 7.0), np.full(3, 9.0), decay=0.0)
    np.testing.assert_allclose(new_mean, x.mean(axis=0), rtol=1e-15)
    np.testing.assert_allclose(new_var, x.var(axis=0, ddof=1), rtol=1e-14)
    kept = S.batch_norm_running_stats(x, np.full(3, 7.0), np.full(3, 9.0), decay=1.0)
    np.testing.assert_array_equal(kept[0], 7.0)
    np.testing.assert_array_equal(kept[1], 9.0)


def test_spec_population_variance_is_bessel_corrected_mean_of_batch_variances():
    # Alg. 2: Var[x] = m/(m−1)·E_B[σ²_B]. For m = 2 the factor is 2.
    np.testing.assert_allclose(S.population_variance(np.array([1.0, 3.0]), 2), 4.0)
    rng = np.random.default_rng(0)
    batches = rng.standard_normal((4000, 8)) * 3.0  # true variance 9
    biased = batches.var(axis=1)
    assert abs(S.population_variance(biased, 8) - 9.0) < 0.3  # unbiased: E[σ²_B] = (m−1)/m·9
    assert abs(biased.mean() - 9.0 * 7 / 8) < 0.3


def test_spec_fused_affine_is_the_inference_transform():
    x = _random((4, 3)) * 2 + 1
    g, b, e, v = _random(3, 1), _random(3, 2), _random(3, 3), _random(3, 4) ** 2
    scale, shift = S.fused_affine(g, b, e, v, eps=1e-3)
    np.testing.assert_allclose(scale * x + shift, S.batch_norm_inference(x, g, b, e, v, eps=1e-3), rtol=1e-13,
                               atol=1e-13)


def test_spec_inference_with_batch_statistics_is_training():
    x, g, b = _random((6, 3)) + 100, _random(3, 1), _random(3, 2)
    mean, var = S.batch_statistics(x)
    np.testing.assert_allclose(S.batch_norm_inference(x, g, b, mean, var), S.batch_norm_train(x, g, b), rtol=1e-12)


def test_spec_vjp_mean_term_makes_dx_sum_to_zero_per_channel():
    # Σ_i dx_i = (γ/σ)(Σdy − m·mean(dy) − Σx̂·P) = 0, since Σ x̂ = 0: the mean's gradient term at work.
    x, g, b, dy = _random((2, 3, 2, 2)), _random(3, 1), _random(3, 2), _random((2, 3, 2, 2), 3)
    dx, _, _ = S.batch_norm_train_vjp(x, g, b, dy)
    np.testing.assert_allclose(dx.sum(axis=(0, 2, 3)), 0.0, atol=1e-13)
