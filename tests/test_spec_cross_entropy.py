"""The spec's cross-entropy and sigmoid families: argument validation (ValueError naming the argument) and
their own identities."""

from __future__ import annotations

import numpy as np
import pytest

from dlspec.spec import cross_entropy as S

Z = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]])
T = np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])


@pytest.mark.parametrize(("call", "argument"), [
    (lambda: S.softmax_cross_entropy(Z[0], T[0]), "logits"),
    (lambda: S.softmax_cross_entropy(np.zeros((2, 0)), np.zeros((2, 0))), "logits"),
    (lambda: S.softmax_cross_entropy(Z, T[:1]), "labels"),
    (lambda: S.softmax_cross_entropy(Z, -T), "labels"),
    (lambda: S.softmax_cross_entropy(Z, T, reduction="avg"), "reduction"),
    (lambda: S.softmax_cross_entropy(Z, T, label_smoothing=1.5), "label_smoothing"),
    (lambda: S.softmax_cross_entropy_grad(Z, T, reduction="none"), "reduction"),
    (lambda: S.sparse_softmax_cross_entropy(Z, np.array([0, 3])), "labels"),
    (lambda: S.sparse_softmax_cross_entropy(Z, np.array([0, -1])), "labels"),
    (lambda: S.sparse_softmax_cross_entropy(Z, np.array([0.0, 1.0])), "labels"),
    (lambda: S.sparse_softmax_cross_entropy(Z, np.array([0, 1, 2])), "labels"),
    (lambda: S.sparse_softmax_cross_entropy_grad(Z, np.array([0, 1]), reduction="none"), "reduction"),
    (lambda: S.softmax_cross_entropy(np.array([[np.inf, 0.0]]), np.array([[1.0, 0.0]])), "logits"),
])
def test_spec_rejects_bad_arguments_naming_them(call, argument):
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        call()


def test_spec_cross_entropy_of_one_hot_is_minus_log_softmax():
    y = np.array([2, 0])
    want = -np.log(np.exp(Z[np.arange(2), y]) / np.exp(Z).sum(axis=1))
    np.testing.assert_allclose(S.sparse_softmax_cross_entropy(Z, y, reduction="none"), want, rtol=1e-15)


def test_spec_reductions_are_sum_and_mean_over_the_batch():
    per = S.softmax_cross_entropy(Z, T, reduction="none")
    assert per.shape == (2,)
    assert S.softmax_cross_entropy(Z, T, reduction="sum") == per.sum()
    assert S.softmax_cross_entropy(Z, T, reduction="mean") == per.sum() / 2


def test_spec_gradient_is_softmax_times_label_mass_minus_labels():
    t = np.array([[0.0, 2.0, 1.0], [0.5, 0.0, 0.0]])  # rows sum to 3 and 0.5: the general case
    y = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(S.softmax_cross_entropy_grad(Z, t, reduction="sum"),
                               y * t.sum(axis=1, keepdims=True) - t, atol=1e-15)
    np.testing.assert_allclose(S.softmax_cross_entropy_grad(Z, t, reduction="mean"),
                               (y * t.sum(axis=1, keepdims=True) - t) / 2, atol=1e-15)


def test_spec_label_smoothing_keeps_probability_rows_normalised_and_full_smoothing_is_uniform():
    np.testing.assert_allclose(S.smooth_labels(T, 0.1).sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_array_equal(S.smooth_labels(T, 1.0), np.full(T.shape, 1.0 / 3))
    assert S.smooth_labels(T, 0.1)[0, 1] == pytest.approx(0.9 + 0.1 / 3, rel=1e-15)


def test_spec_one_class_has_zero_loss_and_zero_gradient():
    z, t = np.array([[7.0], [-3.0]]), np.array([[1.0], [0.25]])
    np.testing.assert_array_equal(S.softmax_cross_entropy(z, t, reduction="none"), [0.0, 0.0])
    np.testing.assert_array_equal(S.softmax_cross_entropy_grad(z, t, reduction="sum"), [[0.0], [0.0]])


def test_spec_cross_entropy_stays_finite_where_softmax_underflows():
    z = np.array([[0.0, -1000.0]])
    assert S.softmax_cross_entropy(z, np.array([[0.0, 1.0]])) == 1000.0
