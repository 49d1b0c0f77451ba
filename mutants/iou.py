"""Mutants of the iou family: the mistakes made when mean IoU is written by hand."""

from __future__ import annotations

import numpy as np

from . import mutant


def _kept(pred, target, ignore_index):
    """The elements whose target is not `ignore_index` (the spec's rule), so each mutant keeps one bug."""
    if ignore_index is None:
        return pred, target
    kept = target != ignore_index
    return pred[kept], target[kept]


def _confusion(pred, target, num_classes):
    cm = np.bincount(target.ravel() * num_classes + pred.ravel(), minlength=num_classes**2)
    return cm.reshape(num_classes, num_classes)  # row = target, column = prediction


@mutant("mean-iou-over-all-classes", "divides by num_classes: classes absent from both arrays count as IoU 0")
def mean_iou(pred, target, *, num_classes, ignore_index=None, device):
    pred, target = _kept(pred, target, ignore_index)
    cm = _confusion(pred, target, num_classes)
    tp = np.diag(cm)
    union = cm.sum(axis=0) + cm.sum(axis=1) - tp
    return np.asarray(np.sum(tp / np.maximum(union, 1)) / num_classes, dtype=np.float64)


@mutant("precision-instead-of-iou", "per-class TP / (TP + FP) (the column sum), forgetting the false negatives")
def mean_iou(pred, target, *, num_classes, ignore_index=None, device):  # noqa: F811  (a different mutant of the same op)
    pred, target = _kept(pred, target, ignore_index)
    cm = _confusion(pred, target, num_classes)
    tp, predicted = np.diag(cm), cm.sum(axis=0)
    present = (predicted + cm.sum(axis=1)) > 0
    return np.asarray(np.mean(tp[present] / np.maximum(predicted[present], 1)), dtype=np.float64)


@mutant("dice-instead-of-iou", "per-class Dice/F1 2TP / (2TP + FP + FN) = 2TP / (row + column), not TP / union")
def mean_iou(pred, target, *, num_classes, ignore_index=None, device):  # noqa: F811
    pred, target = _kept(pred, target, ignore_index)
    cm = _confusion(pred, target, num_classes)
    tp, total = np.diag(cm), cm.sum(axis=0) + cm.sum(axis=1)
    present = total > 0
    return np.asarray(np.mean(2 * tp[present] / total[present]), dtype=np.float64)


@mutant("mean-iou-skips-the-last-class", "off by one: loops over range(num_classes - 1), never scoring the last class")
def mean_iou(pred, target, *, num_classes, ignore_index=None, device):  # noqa: F811
    pred, target = _kept(pred, target, ignore_index)
    cm = _confusion(pred, target, num_classes)
    ious = []
    for c in range(num_classes - 1):
        union = cm[c, :].sum() + cm[:, c].sum() - cm[c, c]
        if union:
            ious.append(cm[c, c] / union)
    return np.asarray(np.mean(ious) if ious else 1.0, dtype=np.float64)


@mutant("mean-iou-over-target-classes", "averages over the target's classes only: a class only predicted is skipped")
def mean_iou(pred, target, *, num_classes, ignore_index=None, device):  # noqa: F811
    pred, target = _kept(pred, target, ignore_index)
    cm = _confusion(pred, target, num_classes)
    tp = np.diag(cm)
    union = cm.sum(axis=0) + cm.sum(axis=1) - tp
    in_target = cm.sum(axis=1) > 0
    return np.asarray(np.mean(tp[in_target] / union[in_target]), dtype=np.float64)


@mutant("recall-on-transposed-confusion", "confusion matrix built as [pred, target] then 'precision' read off its "
        "columns: TP / (TP + FN), an asymmetric metric on a transposed matrix")
def mean_iou(pred, target, *, num_classes, ignore_index=None, device):  # noqa: F811
    pred, target = _kept(pred, target, ignore_index)
    cm = _confusion(target, pred, num_classes)  # transposed: rows are now the predictions
    tp, col = np.diag(cm), cm.sum(axis=0)
    present = (col + cm.sum(axis=1)) > 0
    return np.asarray(np.mean(tp[present] / np.maximum(col[present], 1)), dtype=np.float64)


@mutant("mean-iou-per-image", "scores each image (axis 0) separately and averages the scores, instead of counting "
        "over the whole batch as PASCAL VOC does")
def mean_iou(pred, target, *, num_classes, ignore_index=None, device):  # noqa: F811
    scores = []
    for p, t in zip(pred.reshape(pred.shape[0], -1), target.reshape(target.shape[0], -1)):
        p, t = _kept(p, t, ignore_index)
        if not t.size:
            continue
        cm = _confusion(p, t, num_classes)
        tp = np.diag(cm)
        union = cm.sum(axis=0) + cm.sum(axis=1) - tp
        scores.append(np.mean(tp[union > 0] / union[union > 0]))
    return np.asarray(np.mean(scores), dtype=np.float64)


# --- absent classes, ignored labels and many classes (issue 10): each a behaviour seen in a real metric, cited ------

def _ious(cm):
    tp = np.diag(cm)
    return tp, cm.sum(axis=0) + cm.sum(axis=1) - tp


@mutant("mean-iou-absent-class-scores-one",
        "a class absent from both arrays scores IoU 1 and is averaged in: the not_present_score=1.0 default of "
        "PyTorch Lightning's iou (Lightning-AI/pytorch-lightning PR #3098), as proposed in tensorflow/tensorflow#12294")
def mean_iou(pred, target, *, num_classes, ignore_index=None, device):  # noqa: F811
    pred, target = _kept(pred, target, ignore_index)
    tp, union = _ious(_confusion(pred, target, num_classes))
    return np.asarray(np.mean(np.where(union > 0, tp / np.maximum(union, 1), 1.0)), dtype=np.float64)


@mutant("mean-iou-uint8-label-index",
        "the bincount index target·K + pred formed in uint8 (labels kept as uint8): it wraps past 255, so with "
        "more than 16 classes counts land in the wrong cells (open-mmlab/mmsegmentation#1969)")
def mean_iou(pred, target, *, num_classes, ignore_index=None, device):  # noqa: F811
    pred, target = _kept(pred, target, ignore_index)
    index = target.astype(np.uint8) * np.uint8(num_classes) + pred.astype(np.uint8)  # wraps modulo 256
    cm = np.bincount(index.ravel(), minlength=num_classes**2)[: num_classes**2].reshape(num_classes, num_classes)
    tp, union = _ious(cm)
    return np.asarray(np.mean(tp[union > 0] / union[union > 0]), dtype=np.float64)


@mutant("mean-iou-ignore-index-drops-the-score-not-the-pixels",
        "ignore_index applied by leaving that class's IoU out of the mean while its pixels stay in the confusion "
        "matrix, so they still count as false negatives/positives of other classes (Lightning-AI/torchmetrics#312; "
        "IGNF/FLAIR-2#1)")
def mean_iou(pred, target, *, num_classes, ignore_index=None, device):  # noqa: F811
    if ignore_index is None or not 0 <= ignore_index < num_classes:
        pred, target = _kept(pred, target, ignore_index)  # an out-of-range label cannot enter the matrix
    tp, union = _ious(_confusion(pred, target, num_classes))
    present = union > 0
    if ignore_index is not None and 0 <= ignore_index < num_classes:
        present[ignore_index] = False
    return np.asarray(np.mean(tp[present] / union[present]) if present.any() else 1.0, dtype=np.float64)


@mutant("mean-iou-void-counted-as-background",
        "ignored (void) targets mapped to class 0 instead of being dropped (DrSleep/tensorflow-deeplab-resnet#10)")
def mean_iou(pred, target, *, num_classes, ignore_index=None, device):  # noqa: F811
    if ignore_index is not None:
        target = np.where(target == ignore_index, 0, target)
    tp, union = _ious(_confusion(pred, target, num_classes))
    return np.asarray(np.mean(tp[union > 0] / union[union > 0]), dtype=np.float64)


@mutant("mean-iou-ratio-of-summed-counts",
        "Σ_c TP_c / Σ_c union_c, one pooled ratio, instead of the mean of the per-class ratios "
        "(pongsate1/fashion-parsing#11)")
def mean_iou(pred, target, *, num_classes, ignore_index=None, device):  # noqa: F811
    pred, target = _kept(pred, target, ignore_index)
    tp, union = _ious(_confusion(pred, target, num_classes))
    return np.asarray(tp.sum() / union.sum(), dtype=np.float64)
