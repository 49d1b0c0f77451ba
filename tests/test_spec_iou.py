"""The spec's iou family: argument validation (ValueError naming the argument) and its own identities."""

from __future__ import annotations

import numpy as np
import pytest

from dlspec.properties import iou as P
from dlspec.properties.tolerance import compare
from dlspec.spec import iou as S


@pytest.mark.parametrize(("call", "argument"), [
    (lambda: S.mean_iou(np.array([0, 3]), np.array([0, 1]), num_classes=3), "pred"),
    (lambda: S.mean_iou(np.array([0, 1]), np.array([-1, 1]), num_classes=3), "target"),
    (lambda: S.mean_iou(np.array([0.0, 1.0]), np.array([0, 1]), num_classes=3), "pred"),
    (lambda: S.mean_iou(np.array([0, 1]), np.array([[0, 1]]), num_classes=3), "target"),
    (lambda: S.mean_iou(np.zeros((2, 0), int), np.zeros((2, 0), int), num_classes=3), "pred"),
    (lambda: S.mean_iou(np.array([0]), np.array([0]), num_classes=0), "num_classes"),
    (lambda: S.mean_iou(np.array([0]), np.array([0]), num_classes=2.0), "num_classes"),
    (lambda: S.confusion_matrix(np.array([2]), np.array([0]), num_classes=2), "pred"),
    (lambda: S.iou_per_class(np.array([0]), np.array([5]), num_classes=2), "target"),
])
def test_spec_rejects_bad_arguments_naming_them(call, argument):
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        call()


def test_spec_confusion_matrix_has_target_rows_and_predicted_columns():
    # one element of class 0 predicted as class 2: row 0 (target), column 2 (prediction)
    n = S.confusion_matrix(np.array([2]), np.array([0]), num_classes=3)
    assert n[0, 2] == 1 and n.sum() == 1


def test_spec_iou_per_class_is_nan_exactly_for_classes_absent_from_both():
    pred, target = np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])
    iou = S.iou_per_class(pred, target, num_classes=4)
    np.testing.assert_array_equal(np.isnan(iou), [False, False, True, True])
    assert S.mean_iou(pred, target, num_classes=4) == np.mean(iou[:2])  # absent classes excluded, not zeros


def test_spec_counts_a_class_present_only_in_the_prediction_as_zero():
    pred, target = np.array([0, 1]), np.array([0, 0])
    iou = S.iou_per_class(pred, target, num_classes=2)
    assert iou[1] == 0.0
    assert S.mean_iou(pred, target, num_classes=2) == np.mean(iou)


def test_spec_perfect_prediction_is_one_and_symmetric_and_label_invariant():
    rng = np.random.default_rng(0)
    pred, target = rng.integers(0, 5, (2, 6, 6)), rng.integers(0, 4, (2, 6, 6))
    m = S.mean_iou(pred, target, num_classes=5)
    assert m.shape == ()
    assert S.mean_iou(target, target, num_classes=5) == 1.0  # TP_c / TP_c = 1 exactly, the mean of ones is 1
    assert S.mean_iou(pred, target, num_classes=6) == m  # an unused class adds nothing to any sum
    bound = P.mean_iou_bound(pred, target, 5, evaluations=2)  # the sum's order may change: two roundings budgets
    sigma = rng.permutation(5)
    for other in (S.mean_iou(target, pred, num_classes=5), S.mean_iou(sigma[pred], sigma[target], num_classes=5)):
        assert compare(other, m, bound, "float64").ok


def test_spec_ignore_index_drops_elements_by_target_and_keeps_a_predicted_ignored_class():
    # Keras' own example (keras/src/metrics/iou_metrics_test.py, test_unweighted_ignore_class_255):
    # y_true = [0, 1, 2, 255], y_pred = [0, 1, 1, 1], ignore 255: IoUs 1, 1/2, 0 over three present classes
    assert S.mean_iou(np.array([0, 1, 1, 1]), np.array([0, 1, 2, 255]), num_classes=3,
                      ignore_index=255) == (1 + 0.5 + 0) / 3
    # ignore a class: the element with target 0 leaves; the prediction 0 at a kept element is a false positive
    # of class 0 (IoU 0, counted); class 1: TP 1, union 2
    assert S.mean_iou(np.array([0, 1, 0]), np.array([0, 1, 1]), num_classes=2, ignore_index=0) == (0 + 0.5) / 2


@pytest.mark.parametrize(("call", "argument"), [
    (lambda: S.mean_iou(np.array([0, 1]), np.array([255, 255]), num_classes=2, ignore_index=255), "target"),
    (lambda: S.mean_iou(np.array([0, 1]), np.array([0, 254]), num_classes=2, ignore_index=255), "target"),
    (lambda: S.mean_iou(np.array([0, 1]), np.array([0, 1]), num_classes=2, ignore_index=1.0), "ignore_index"),
])
def test_spec_rejects_bad_ignore_index_arguments(call, argument):
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        call()
