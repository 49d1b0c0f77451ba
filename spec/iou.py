r"""Mean intersection over union (mean IoU, the Jaccard index averaged over classes) for semantic segmentation.

Sources: M. Everingham, L. Van Gool, C. K. I. Williams, J. Winn, A. Zisserman, "The PASCAL Visual Object
Classes (VOC) Challenge", IJCV 88 (2010), §4.2 (segmentation accuracy: true positives / (true positives + false
positives + false negatives), per class, over the whole test set); J. Long, E. Shelhamer, T. Darrell, "Fully
Convolutional Networks for Semantic Segmentation", CVPR 2015, §5 (mean IU = (1/n_cl) Σ_i n_ii / (t_i + Σ_j n_ji
− n_ii), with n_ij the pixels of class i predicted as class j and t_i = Σ_j n_ij).

Conventions the spec picks:
  * The confusion matrix has the TARGET class as its row and the PREDICTED class as its column (FCN's n_ij).
    IoU is symmetric in the two (TP_c + FP_c + FN_c = row sum + column sum − diagonal), so the convention only
    matters to asymmetric metrics (precision, recall) built on the same matrix.
  * Counts are taken over every element of the inputs together (all images of a batch, all pixels), as
    PASCAL VOC accumulates them over the test set — not per image and then averaged.
  * A class that appears in neither the prediction nor the target has TP + FP + FN = 0 and no IoU (0/0): it is
    EXCLUDED from the mean, which runs over the classes present in the prediction or the target. FCN's
    1/n_cl counts every class; for a test set that contains every class the two agree. A class present only in
    the prediction (a pure false positive) has IoU 0 and IS counted.
  * `ignore_index` (Keras `MeanIoU(ignore_class=)`, the "void" label 255 of PASCAL VOC, Everingham et al. 2010
    §4.2: "void" pixels are excluded from the evaluation): the elements whose TARGET equals it are removed from
    both arrays before anything is counted. If it is also a class (0 <= ignore_index < num_classes), a
    prediction of it at a kept element is a false positive like any other, so that class has IoU 0 and is
    counted when it is predicted somewhere (this is what Keras computes); no element's prediction is dropped.
"""

from __future__ import annotations

import numpy as np

from . import _checks

OPS = ("mean_iou",)


def _labels(pred: object, target: object, num_classes: int, ignore_index: int | None = None
            ) -> tuple[np.ndarray, np.ndarray, int]:
    """pred and target validated, flattened, with the elements whose target is `ignore_index` removed."""
    num_classes = _checks.positive_int(num_classes, "num_classes")
    if ignore_index is not None and (isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer))):
        raise ValueError(f"ignore_index: expected an integer or None, got {ignore_index!r}")
    pred = _checks.integers(pred, "pred", low=0, high=num_classes)
    t = np.asarray(target)
    kept = np.ones(t.shape, dtype=bool) if ignore_index is None or t.dtype.kind not in "iu" else t != ignore_index
    target = _checks.integers(np.where(kept, t, 0) if t.dtype.kind in "iu" else t, "target", low=0, high=num_classes)
    _checks.same_shape(pred, target, "pred", "target")
    if pred.size == 0:
        raise ValueError(f"pred: is empty (shape {pred.shape}); mean IoU needs at least one element")
    if not kept.any():
        raise ValueError(f"target: every element is ignore_index={ignore_index}; mean IoU needs one that is not")
    return pred[kept], target[kept], num_classes


def confusion_matrix(pred: np.ndarray, target: np.ndarray, *, num_classes: int, ignore_index: int | None = None
                     ) -> np.ndarray:
    r"""The K×K confusion matrix of integer counts, rows = target class, columns = predicted class.

    n_{ij} = |\{ e : target_e = i, pred_e = j \}|, over every element e of the arrays (any shape).
    TP_c = n_{cc};  FN_c = \sum_{j \ne c} n_{cj} (row c less the diagonal);  FP_c = \sum_{i \ne c} n_{ic} (column c).
    Elements whose target is `ignore_index` are not counted.
    """
    pred, target, num_classes = _labels(pred, target, num_classes, ignore_index)
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (target.ravel(), pred.ravel()), 1)
    return counts


def iou_per_class(pred: np.ndarray, target: np.ndarray, *, num_classes: int, ignore_index: int | None = None
                  ) -> np.ndarray:
    r"""IoU_c = TP_c / (TP_c + FP_c + FN_c) for each class c, NaN for a class absent from both arrays.

    TP_c + FP_c + FN_c = \sum_j n_{cj} + \sum_i n_{ic} - n_{cc} (row sum + column sum − diagonal), the size of
    the union of the pixels labelled c in the target and those predicted c; TP_c is their intersection
    (Everingham et al. 2010, §4.2). It is 0 exactly when c occurs in neither array, and then IoU_c = 0/0 is NaN.
    """
    n = confusion_matrix(pred, target, num_classes=num_classes, ignore_index=ignore_index)
    tp = np.diag(n)
    union = n.sum(axis=1) + n.sum(axis=0) - tp
    out = np.full(num_classes, np.nan)
    present = union > 0
    out[present] = tp[present] / union[present]
    return out


def mean_iou(pred: np.ndarray, target: np.ndarray, *, num_classes: int, ignore_index: int | None = None
             ) -> np.ndarray:
    r"""Mean IoU over the classes present in the prediction or the target, as a float64 scalar (0-d array).

    \mathrm{mIoU} = \frac{1}{|C|} \sum_{c \in C} \frac{TP_c}{TP_c + FP_c + FN_c},
    C = \{ c : TP_c + FP_c + FN_c > 0 \}   (classes absent from both arrays are excluded, not counted as 0).
    Long et al. 2015, §5 ("mean IU"); the per-class ratio is PASCAL VOC's segmentation accuracy (Everingham et
    al. 2010, §4.2). C is never empty: the input has at least one element, whose target class is in C.
    pred and target are integer arrays of one shape with values in [0, num_classes); target may also hold
    `ignore_index`, whose elements are left out of both arrays (see the module docstring).
    """
    iou = iou_per_class(pred, target, num_classes=num_classes, ignore_index=ignore_index)
    return np.asarray(np.nanmean(iou), dtype=np.float64)
