"""The spec's sigmoid family: argument validation (ValueError naming the argument) and its own identities."""

from __future__ import annotations

import numpy as np
import pytest

from dlspec.spec import sigmoid as S

X = np.array([-3.0, 0.0, 2.0])
Z = np.array([0.0, 0.5, 1.0])


@pytest.mark.parametrize(("call", "argument"), [
    (lambda: S.sigmoid(np.array([np.nan])), "x"),
    (lambda: S.sigmoid_vjp(X, Z[:2]), "dy"),
    (lambda: S.sigmoid_cross_entropy(X, Z[:2]), "labels"),
    (lambda: S.sigmoid_cross_entropy(X, Z + 0.6), "labels"),
    (lambda: S.sigmoid_cross_entropy(X, Z - 0.1), "labels"),
    (lambda: S.sigmoid_cross_entropy(X, Z, reduction="batch"), "reduction"),
    (lambda: S.sigmoid_cross_entropy(X, Z, label_smoothing=-0.1), "label_smoothing"),
    (lambda: S.sigmoid_cross_entropy_grad(X, Z, reduction="none"), "reduction"),
    (lambda: S.gan_discriminator_loss(X, np.array([np.inf])), "fake_logits"),
    (lambda: S.gan_discriminator_loss(X, X, smooth=2.0), "smooth"),
    (lambda: S.gan_generator_loss("a"), "fake_logits"),
])
def test_spec_rejects_bad_arguments_naming_them(call, argument):
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        call()


def test_spec_sigmoid_is_symmetric_and_half_at_zero():
    x = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(S.sigmoid(x) + S.sigmoid(-x), 1.0, rtol=0, atol=np.finfo(float).eps)  # 1 rounding
    assert S.sigmoid(np.array(0.0)) == 0.5


def test_spec_sigmoid_keeps_relative_accuracy_for_very_negative_x():
    assert S.sigmoid(np.array(-700.0)) == pytest.approx(np.exp(-700.0), rel=1e-15)


def test_spec_sigmoid_cross_entropy_is_the_definition_where_that_is_finite():
    s = 1 / (1 + np.exp(-X))
    want = -Z * np.log(s) - (1 - Z) * np.log(1 - s)
    np.testing.assert_allclose(S.sigmoid_cross_entropy(X, Z), want, rtol=1e-14)


def test_spec_sigmoid_cross_entropy_is_finite_where_the_definition_is_not():
    x, z = np.array([1000.0, -1000.0, 1000.0]), np.array([0.0, 1.0, 1.0])
    np.testing.assert_array_equal(S.sigmoid_cross_entropy(x, z), [1000.0, 1000.0, 0.0])


def test_spec_sigmoid_cross_entropy_mean_is_over_all_elements():
    x, z = np.arange(6.0).reshape(2, 3) - 2, np.full((2, 3), 0.25)
    per = S.sigmoid_cross_entropy(x, z)
    assert S.sigmoid_cross_entropy(x, z, reduction="mean") == pytest.approx(per.sum() / 6, rel=1e-15)
    np.testing.assert_allclose(S.sigmoid_cross_entropy_grad(x, z, reduction="mean"), (S.sigmoid(x) - z) / 6,
                               rtol=1e-15)


def test_spec_binary_label_smoothing_squeezes_towards_one_half():
    np.testing.assert_allclose(S.smooth_binary_labels(np.array([0.0, 1.0]), 0.2), [0.1, 0.9], rtol=1e-15)


def test_spec_gan_losses_are_the_means_written_in_the_source():
    real, fake = np.array([2.0, -1.0]), np.array([0.5, -3.0, 1.0])
    sp = lambda v: np.log1p(np.exp(v))  # noqa: E731  softplus: −log σ(−v) = log(1 + e^{v})
    d = np.mean(0.9 * sp(-real) + 0.1 * sp(real)) + np.mean(sp(fake))
    assert S.gan_discriminator_loss(real, fake, smooth=0.1) == pytest.approx(d, rel=1e-14)
    assert S.gan_generator_loss(fake) == pytest.approx(np.mean(sp(-fake)), rel=1e-14)
