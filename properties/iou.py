"""Properties of mean IoU: differential (backend vs spec) and metamorphic (perfect prediction, range, label
permutation, an unused class, symmetry).

The dtype axis. mean_iou takes integer labels only, so the suite cannot pass a backend the dtype under test:
each backend computes in a float type of its own choosing (Keras' MeanIoU casts its counts to float32 whatever
its `dtype`, NumPy computes in float64). The properties therefore run once, in the float32 column
(`dtypes=IOU_DTYPES`), and hold every backend to float32's accuracy: a float64 result passes, a result computed
in float16 or bfloat16 fails — as it should, a mean IoU in half precision is not what a user asked for. (The spec
backend, float64 only, has no float32 column; the spec's identities are checked in tests/test_spec_iou.py.)

Reach (share of the CI profile's 100 examples, measured by drawing `label_cases` under the CI profile):

| region | share |
|---|---|
| 1–128 labels (SHAPES) | 88 % |
| 4,097 or 4,290 labels (LONG_SHAPES, 1 in 8 drawn) | 12 % |
| 1–6 classes | 84 % |
| 17, 33, 129 classes (MANY_CLASSES, 1 in 8 drawn: target·K + pred past 255) | 16 % |
| no ignored label / void label 255 / a class as the ignored label (a quarter of the targets) | 35 / 34 / 31 % |
| classes absent from both arrays, or only in the prediction | most cases (used < num_classes) |

Not reached: 2^24 elements (float32 counts stop being exact): 128 MiB per label array, too costly for the profile.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from hypothesis import strategies as st

from ..spec import iou as S
from .assertions import assert_close
from .harness import Case, Impl, prop
from .strategies import integers, rarely, sampled_from, seeds, shapes
from .tolerance import Bound

IOU_DTYPES = ("float32",)
"""The one column the properties run in (see the module docstring: no floating input carries a dtype)."""

# ---------------------------------------------------------------------------------------------------------
# Error model (see properties/tolerance.py for the method)
#
# The counts TP_c, FP_c, FN_c are integers. An implementation counts them exactly (integers, or floats below
# 2^p, p the significand bits: float32 is exact up to 2^24 elements, far above any case drawn here), and so
# forms TP_c + FP_c + FN_c = row_c + col_c − TP_c exactly as well. Counting in a float type that cannot hold the
# counts exactly is an avoidable loss this model does not accept. Then, with k = |C| classes present and
# m = mIoU the exact mean:
#   IoU_c = TP_c / union_c: one rounding, relative ε·IoU_c;
#   Σ_c IoU_c: (k − 1) roundings relative to Σ|IoU_c| = k·m (every term is >= 0: no cancellation), plus the
#   terms' own errors, ε·Σ IoU_c = ε·k·m;
#   the division by k (or by a float count of the present classes, exact below 2^p): one rounding.
# After the division by k: |got − m| <= ε·m·(1 + (k − 1) + 1) = ε·(k + 1)·m. Any summation order gives this
# (Higham Eq. 4.4), and so does Σ_c (IoU_c / k) (k roundings of the quotients, k − 1 of the sum).
# Two evaluations of the backend (metamorphic properties) may each err by that much: 2(k + 1).
# ---------------------------------------------------------------------------------------------------------


def mean_iou_bound(pred: np.ndarray, target: np.ndarray, num_classes: int, *, ignore_index: int | None = None,
                   evaluations: int = 1) -> Bound:
    per_class = S.iou_per_class(pred, target, num_classes=num_classes, ignore_index=ignore_index)
    k = int(np.sum(~np.isnan(per_class)))
    return Bound(scale=S.mean_iou(pred, target, num_classes=num_classes, ignore_index=ignore_index),
                 budget=evaluations * (k + 1),
                 derivation=f"{'2 evaluations × ' if evaluations == 2 else ''}ε·(k + 1)·mIoU, k = {k} classes present")


# ---------------------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------------------

SHAPES = [(1,), (2,), (1, 3), (2, 4), (1, 4, 4), (2, 3, 5), (2, 8, 8)]
"""Flat label vectors and N×H×W label maps, batch sizes 1 and 2; at most 128 elements."""

LONG_SHAPES = [(1, 4097), (2, 33, 65)]
"""Rare large label arrays (about 1 example in 8): 4,097 and 4,290 elements, past the block sizes of a
histogram kernel. (2^24 elements, where float32 counts stop being exact, is not drawn: 128 MiB per array.)"""

MAX_CLASSES = 6

MANY_CLASSES = (17, 33, 129)
"""Rare many-class cases (about 1 example in 8): past 16 classes, target·K + pred no longer fits a uint8."""

AGREEMENT = [0.0, 0.5, 0.9, 1.0]
"""Fraction of elements where the prediction copies the target (the rest is noise): 0 shrinks first."""

VOID = 255
"""The out-of-range ignored label of PASCAL VOC and Cityscapes; every drawn num_classes is below it."""

IGNORE = ("none", "void", "class")
"""No ignored label; the void label 255; one of the classes (a quarter of the targets set to it, as well)."""


@lru_cache
def label_cases(dtype: str) -> st.SearchStrategy[Case]:
    """pred and target with values in [0, num_classes), some classes absent from both, some from one only.

    Hypothesis draws num_classes (rarely one of MANY_CLASSES), the shape (rarely a LONG_SHAPES one), how many
    classes the target uses, how often the prediction agrees with the target, whether the prediction's errors
    stay within the target's classes or may use any class (so that a class occurs only in the prediction), an
    ignored label (none, 255, or a class) set on about a quarter of the targets, and a seed; the RNG fills the
    arrays. Also drawn, for the metamorphic properties: a permutation of the labels and where an unused class
    is inserted. Shrinks towards two classes, the first shape, no agreement, errors within the target's classes,
    no ignored label.
    """

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape = draw(rarely(shapes(SHAPES), shapes(LONG_SHAPES), label="long labels"), label="shape")
        # 2, 3, …, MAX_CLASSES, then 1: a single class (IoU 1 whatever the bug) is drawn but is not where the
        # search starts and shrinks to, so that the first examples can tell IoU from Dice, precision or recall
        k = draw(integers(0, MAX_CLASSES - 1), label="num_classes")
        num_classes = k + 2 if k + 2 <= MAX_CLASSES else 1
        num_classes = draw(rarely(sampled_from((num_classes,)), sampled_from(MANY_CLASSES), label="many classes"),
                           label="num_classes drawn")
        used = draw(integers(1, num_classes), label="classes in target")
        agree = draw(sampled_from(AGREEMENT), label="agreement")
        anywhere = draw(st.booleans(), label="errors may use any class")
        ignore = draw(sampled_from(IGNORE), label="ignore")
        rng = np.random.default_rng(draw(seeds(), label="seed"))
        classes = rng.permutation(num_classes)[:used]
        target = rng.choice(classes, size=shape)
        noise = rng.integers(0, num_classes, size=shape) if anywhere else rng.choice(classes, size=shape)
        pred = np.where(rng.random(shape) < agree, target, noise)
        ignore_index = None
        if ignore == "void" or (ignore == "class" and num_classes == 1):
            ignore_index = VOID
        elif ignore == "class":
            ignore_index = int(rng.integers(0, num_classes))
        if ignore_index is not None:
            target = np.where(rng.random(shape) < 0.25, ignore_index, target)
            if np.all(target == ignore_index):  # keep one element: the spec needs one
                target.flat[0] = (ignore_index + 1) % num_classes
        permutation = rng.permutation(num_classes)
        inserted = int(rng.integers(0, num_classes + 1))
        return Case(pred=pred.astype(np.int64), target=target.astype(np.int64), num_classes=num_classes,
                    ignore_index=ignore_index, permutation=permutation.astype(np.int64), inserted=inserted)

    return build()


def _relabel(labels: np.ndarray, mapping, ignore_index: int | None, *, is_target: bool) -> np.ndarray:
    """`mapping` applied to class labels; the void label of a target (outside the classes) stays as it is."""
    if is_target and ignore_index is not None and ignore_index == VOID:
        return np.where(labels == VOID, VOID, mapping(np.where(labels == VOID, 0, labels)))
    return mapping(labels)


# ---------------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------------


def _iou(impl: Impl, pred: np.ndarray, target: np.ndarray, num_classes: int, ignore_index: int | None):
    return impl("mean_iou", pred, target, num_classes=num_classes, ignore_index=ignore_index)


def _bound(case: Case, evaluations: int = 1) -> Bound:
    return mean_iou_bound(case.pred, case.target, case.num_classes, ignore_index=case.ignore_index,
                          evaluations=evaluations)


@prop("mean_iou", cases=label_cases, dtypes=IOU_DTYPES)
def mean_iou_matches_spec(impl: Impl, case: Case) -> None:
    """mean_iou is the mean of TP_c / (TP_c + FP_c + FN_c) over the classes present in pred or target, counted
    over the elements whose target is not ignore_index."""
    got = _iou(impl, case.pred, case.target, case.num_classes, case.ignore_index)
    want = S.mean_iou(case.pred, case.target, num_classes=case.num_classes, ignore_index=case.ignore_index)
    assert_close("mean_iou", got, want, _bound(case), impl=impl)


@prop("mean_iou", cases=label_cases, dtypes=IOU_DTYPES)
def mean_iou_returns_a_float_scalar(impl: Impl, case: Case) -> None:
    """mean_iou returns a 0-d floating array, in float32 or float64."""
    out = np.asarray(impl.raw("mean_iou", case.pred, case.target, num_classes=case.num_classes,
                              ignore_index=case.ignore_index))
    if out.shape != () or out.dtype not in (np.float32, np.float64):
        raise AssertionError(f"out.shape={out.shape}, out.dtype={out.dtype}, but should be () in float32 or "
                             f"float64 [mean_iou({impl.id})]")


@prop("mean_iou", cases=label_cases, dtypes=IOU_DTYPES)
def mean_iou_of_a_perfect_prediction_is_one(impl: Impl, case: Case) -> None:
    """A prediction equal to the target on every element not ignored has mean IoU 1."""
    perfect = case.target
    if case.ignore_index is not None:  # an ignored element's prediction is any class: it is not counted
        perfect = np.where(case.target == case.ignore_index, case.pred, case.target)
    got = _iou(impl, perfect, case.target, case.num_classes, case.ignore_index)
    assert_close("mean_iou", got, np.float64(1.0),
                 mean_iou_bound(perfect, case.target, case.num_classes, ignore_index=case.ignore_index),
                 impl=impl, what="mean_iou(target, target)")


@prop("mean_iou", cases=label_cases, dtypes=IOU_DTYPES)
def mean_iou_lies_in_zero_one(impl: Impl, case: Case) -> None:
    """Every IoU, and so their mean, lies in [0, 1]."""
    got = _iou(impl, case.pred, case.target, case.num_classes, case.ignore_index)
    # a value in [0, 1] before rounding stays within the error model of [0, 1] after it
    assert_close("mean_iou", np.clip(got, 0.0, 1.0), got, _bound(case), impl=impl, what="out ∈ [0, 1]")


@prop("mean_iou", cases=label_cases, dtypes=IOU_DTYPES)
def mean_iou_is_invariant_under_a_permutation_of_class_labels(impl: Impl, case: Case) -> None:
    """Renaming the classes by one permutation σ in pred, target and the ignored label leaves mean IoU unchanged."""
    sigma = case.permutation
    ignore = case.ignore_index
    renamed_ignore = int(sigma[ignore]) if ignore is not None and ignore < case.num_classes else ignore
    got = _iou(impl, case.pred, case.target, case.num_classes, ignore)
    renamed = _iou(impl, sigma[case.pred], _relabel(case.target, lambda v: sigma[v], ignore, is_target=True),
                   case.num_classes, renamed_ignore)
    assert_close("mean_iou", renamed, got, _bound(case, 2), impl=impl, what="mean_iou(σ(pred), σ(target))")


@prop("mean_iou", cases=label_cases, dtypes=IOU_DTYPES)
def mean_iou_ignores_an_unused_class(impl: Impl, case: Case) -> None:
    """Adding a class that neither pred nor target uses (num_classes + 1, at any label) leaves mean IoU unchanged."""
    j = case.inserted  # labels >= j move up by one, so label j is the new, unused class
    ignore = case.ignore_index

    def shift(labels: np.ndarray) -> np.ndarray:
        return labels + (labels >= j)

    shifted_ignore = int(shift(np.asarray(ignore))) if ignore is not None and ignore < case.num_classes else ignore
    got = _iou(impl, case.pred, case.target, case.num_classes, ignore)
    wider = _iou(impl, shift(case.pred), _relabel(case.target, shift, ignore, is_target=True), case.num_classes + 1,
                 shifted_ignore)
    assert_close("mean_iou", wider, got, _bound(case, 2), impl=impl,
                 what=f"mean_iou with unused class {j} of {case.num_classes + 1}")


@prop("mean_iou", cases=label_cases, dtypes=IOU_DTYPES)
def mean_iou_is_symmetric_in_pred_and_target(impl: Impl, case: Case) -> None:
    """Swapping pred and target leaves mean IoU unchanged (a false positive of one is a false negative of the
    other), on the elements not ignored."""
    kept = case.target != case.ignore_index if case.ignore_index is not None else np.ones(case.target.shape, bool)
    pred, target = case.pred[kept], case.target[kept]
    got = _iou(impl, pred, target, case.num_classes, None)
    swapped = _iou(impl, target, pred, case.num_classes, None)
    assert_close("mean_iou", swapped, got, mean_iou_bound(pred, target, case.num_classes, evaluations=2),
                 impl=impl, what="mean_iou(target, pred)")


@prop("mean_iou", cases=label_cases, dtypes=IOU_DTYPES)
def mean_iou_ignores_the_elements_whose_target_is_ignore_index(impl: Impl, case: Case) -> None:
    """mean_iou with ignore_index equals mean_iou of the elements whose target is another label, without it."""
    if case.ignore_index is None:
        return
    kept = case.target != case.ignore_index
    got = _iou(impl, case.pred, case.target, case.num_classes, case.ignore_index)
    dropped = _iou(impl, case.pred[kept], case.target[kept], case.num_classes, None)
    assert_close("mean_iou", got, dropped, _bound(case, 2), impl=impl, what="mean_iou without the ignored elements")
