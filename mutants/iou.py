"""Mutants of the iou family: the mistakes made when mean IoU is written by hand."""

from __future__ import annotations

import numpy as np

from . import mutant


def _confusion(pred, target, num_classes):
    cm = np.bincount(target.ravel() * num_classes + pred.ravel(), minlength=num_classes**2)
    return cm.reshape(num_classes, num_classes)  # row = target, column = prediction


@mutant("mean-iou-over-all-classes", "divides by num_classes: classes absent from both arrays count as IoU 0")
def mean_iou(pred, target, *, num_classes, device):
    cm = _confusion(pred, target, num_classes)
    tp = np.diag(cm)
    union = cm.sum(axis=0) + cm.sum(axis=1) - tp
    return np.asarray(np.sum(tp / np.maximum(union, 1)) / num_classes, dtype=np.float64)


@mutant("precision-instead-of-iou", "per-class TP / (TP + FP) (the column sum), forgetting the false negatives")
def mean_iou(pred, target, *, num_classes, device):  # noqa: F811  (a different mutant of the same op)
    cm = _confusion(pred, target, num_classes)
    tp, predicted = np.diag(cm), cm.sum(axis=0)
    present = (predicted + cm.sum(axis=1)) > 0
    return np.asarray(np.mean(tp[present] / np.maximum(predicted[present], 1)), dtype=np.float64)


@mutant("dice-instead-of-iou", "per-class Dice/F1 2TP / (2TP + FP + FN) = 2TP / (row + column), not TP / union")
def mean_iou(pred, target, *, num_classes, device):  # noqa: F811
    cm = _confusion(pred, target, num_classes)
    tp, total = np.diag(cm), cm.sum(axis=0) + cm.sum(axis=1)
    present = total > 0
    return np.asarray(np.mean(2 * tp[present] / total[present]), dtype=np.float64)


@mutant("mean-iou-skips-the-last-class", "off by one: loops over range(num_classes - 1), never scoring the last class")
def mean_iou(pred, target, *, num_classes, device):  # noqa: F811
    cm = _confusion(pred, target, num_classes)
    ious = []
    for c in range(num_classes - 1):
        union = cm[c, :].sum() + cm[:, c].sum() - cm[c, c]
        if union:
            ious.append(cm[c, c] / union)
    return np.asarray(np.mean(ious) if ious else 1.0, dtype=np.float64)


@mutant("mean-iou-over-target-classes", "averages over the target's classes only: a class only predicted is skipped")
def mean_iou(pred, target, *, num_classes, device):  # noqa: F811
    cm = _confusion(pred, target, num_classes)
    tp = np.diag(cm)
    union = cm.sum(axis=0) + cm.sum(axis=1) - tp
    in_target = cm.sum(axis=1) > 0
    return np.asarray(np.mean(tp[in_target] / union[in_target]), dtype=np.float64)


@mutant("recall-on-transposed-confusion", "confusion matrix built as [pred, target] then 'precision' read off its "
        "columns: TP / (TP + FN), an asymmetric metric on a transposed matrix")
def mean_iou(pred, target, *, num_classes, device):  # noqa: F811
    cm = _confusion(target, pred, num_classes)  # transposed: rows are now the predictions
    tp, col = np.diag(cm), cm.sum(axis=0)
    present = (col + cm.sum(axis=1)) > 0
    return np.asarray(np.mean(tp[present] / np.maximum(col[present], 1)), dtype=np.float64)


@mutant("mean-iou-per-image", "scores each image (axis 0) separately and averages the scores, instead of counting "
        "over the whole batch as PASCAL VOC does")
def mean_iou(pred, target, *, num_classes, device):  # noqa: F811
    scores = []
    for p, t in zip(pred.reshape(pred.shape[0], -1), target.reshape(target.shape[0], -1)):
        cm = _confusion(p, t, num_classes)
        tp = np.diag(cm)
        union = cm.sum(axis=0) + cm.sum(axis=1) - tp
        scores.append(np.mean(tp[union > 0] / union[union > 0]))
    return np.asarray(np.mean(scores), dtype=np.float64)
