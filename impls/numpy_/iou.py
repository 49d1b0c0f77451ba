"""NumPy backend: mean IoU, counted with np.bincount over the flattened labels."""

from __future__ import annotations

import numpy as np

__all__ = ["mean_iou"]


def mean_iou(pred, target, *, num_classes, ignore_index=None, device):
    if ignore_index is not None:  # void elements (by target) leave both arrays before counting
        kept = target != ignore_index
        pred, target = pred[kept], target[kept]
    # confusion matrix in int64: row = target class, column = predicted class
    cm = np.bincount(target.ravel() * num_classes + pred.ravel(), minlength=num_classes**2)
    cm = cm.reshape(num_classes, num_classes)
    tp = np.diag(cm)
    union = cm.sum(axis=0) + cm.sum(axis=1) - tp
    present = union > 0  # classes in neither array have no IoU and are left out of the mean
    return np.asarray(np.mean(tp[present] / union[present]), dtype=np.float64)
