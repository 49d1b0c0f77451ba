"""Properties of mean IoU: differential (backend vs spec) and metamorphic (perfect prediction, range, label
permutation, an unused class, symmetry).

The dtype axis. mean_iou takes integer labels only, so the suite cannot pass a backend the dtype under test:
each backend computes in a float type of its own choosing (Keras' MeanIoU casts its counts to float32 whatever
its `dtype`, NumPy computes in float64). The properties therefore run once, in the float32 column
(`dtypes=IOU_DTYPES`), and hold every backend to float32's accuracy: a float64 result passes, a result computed
in float16 or bfloat16 fails — as it should, a mean IoU in half precision is not what a user asked for. (The spec
backend, float64 only, has no float32 column; the spec's identities are checked in tests/test_spec_iou.py.)
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from hypothesis import strategies as st

from ..spec import iou as S
from .assertions import assert_close
from .harness import Case, Impl, prop
from .strategies import integers, sampled_from, seeds, shapes
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


def mean_iou_bound(pred: np.ndarray, target: np.ndarray, num_classes: int, *, evaluations: int = 1) -> Bound:
    per_class = S.iou_per_class(pred, target, num_classes=num_classes)
    k = int(np.sum(~np.isnan(per_class)))
    return Bound(scale=S.mean_iou(pred, target, num_classes=num_classes), budget=evaluations * (k + 1),
                 derivation=f"{'2 evaluations × ' if evaluations == 2 else ''}ε·(k + 1)·mIoU, k = {k} classes present")


# ---------------------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------------------

SHAPES = [(1,), (2,), (1, 3), (2, 4), (1, 4, 4), (2, 3, 5), (2, 8, 8)]
"""Flat label vectors and N×H×W label maps, batch sizes 1 and 2; at most 128 elements."""

MAX_CLASSES = 6

AGREEMENT = [0.0, 0.5, 0.9, 1.0]
"""Fraction of elements where the prediction copies the target (the rest is noise): 0 shrinks first."""


@lru_cache
def label_cases(dtype: str) -> st.SearchStrategy[Case]:
    """pred and target with values in [0, num_classes), some classes absent from both, some from one only.

    Hypothesis draws num_classes, how many of them the target uses, how often the prediction agrees with the
    target, whether the prediction's errors stay within the target's classes or may use any class (so that a
    class occurs only in the prediction), and a seed; the RNG fills the arrays. Also drawn, for the
    metamorphic properties: a permutation of the labels and where an unused class is inserted.
    Shrinks towards two classes, the first shape, no agreement, errors within the target's classes.
    """

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        shape = draw(shapes(SHAPES), label="shape")
        # 2, 3, …, MAX_CLASSES, then 1: a single class (IoU 1 whatever the bug) is drawn but is not where the
        # search starts and shrinks to, so that the first examples can tell IoU from Dice, precision or recall
        k = draw(integers(0, MAX_CLASSES - 1), label="num_classes")
        num_classes = k + 2 if k + 2 <= MAX_CLASSES else 1
        used = draw(integers(1, num_classes), label="classes in target")
        agree = draw(sampled_from(AGREEMENT), label="agreement")
        anywhere = draw(st.booleans(), label="errors may use any class")
        rng = np.random.default_rng(draw(seeds(), label="seed"))
        classes = rng.permutation(num_classes)[:used]
        target = rng.choice(classes, size=shape)
        noise = rng.integers(0, num_classes, size=shape) if anywhere else rng.choice(classes, size=shape)
        pred = np.where(rng.random(shape) < agree, target, noise)
        permutation = rng.permutation(num_classes)
        inserted = int(rng.integers(0, num_classes + 1))
        return Case(pred=pred.astype(np.int64), target=target.astype(np.int64), num_classes=num_classes,
                    permutation=permutation.astype(np.int64), inserted=inserted)

    return build()


# ---------------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------------


@prop("mean_iou", cases=label_cases, dtypes=IOU_DTYPES)
def mean_iou_matches_spec(impl: Impl, case: Case) -> None:
    """mean_iou is the mean of TP_c / (TP_c + FP_c + FN_c) over the classes present in pred or target."""
    got = impl("mean_iou", case.pred, case.target, num_classes=case.num_classes)
    want = S.mean_iou(case.pred, case.target, num_classes=case.num_classes)
    assert_close("mean_iou", got, want, mean_iou_bound(case.pred, case.target, case.num_classes), impl=impl)


@prop("mean_iou", cases=label_cases, dtypes=IOU_DTYPES)
def mean_iou_returns_a_float_scalar(impl: Impl, case: Case) -> None:
    """mean_iou returns a 0-d floating array, in float32 or float64."""
    out = np.asarray(impl.raw("mean_iou", case.pred, case.target, num_classes=case.num_classes))
    if out.shape != () or out.dtype not in (np.float32, np.float64):
        raise AssertionError(f"out.shape={out.shape}, out.dtype={out.dtype}, but should be () in float32 or "
                             f"float64 [mean_iou({impl.id})]")


@prop("mean_iou", cases=label_cases, dtypes=IOU_DTYPES)
def mean_iou_of_a_perfect_prediction_is_one(impl: Impl, case: Case) -> None:
    """A prediction equal to the target has mean IoU 1."""
    got = impl("mean_iou", case.target, case.target, num_classes=case.num_classes)
    assert_close("mean_iou", got, np.float64(1.0), mean_iou_bound(case.target, case.target, case.num_classes),
                 impl=impl, what="mean_iou(target, target)")


@prop("mean_iou", cases=label_cases, dtypes=IOU_DTYPES)
def mean_iou_lies_in_zero_one(impl: Impl, case: Case) -> None:
    """Every IoU, and so their mean, lies in [0, 1]."""
    got = impl("mean_iou", case.pred, case.target, num_classes=case.num_classes)
    # a value in [0, 1] before rounding stays within the error model of [0, 1] after it
    assert_close("mean_iou", np.clip(got, 0.0, 1.0), got, mean_iou_bound(case.pred, case.target, case.num_classes),
                 impl=impl, what="out ∈ [0, 1]")


@prop("mean_iou", cases=label_cases, dtypes=IOU_DTYPES)
def mean_iou_is_invariant_under_a_permutation_of_class_labels(impl: Impl, case: Case) -> None:
    """Renaming the classes by one permutation σ in both pred and target leaves mean IoU unchanged."""
    sigma = case.permutation
    got = impl("mean_iou", case.pred, case.target, num_classes=case.num_classes)
    renamed = impl("mean_iou", sigma[case.pred], sigma[case.target], num_classes=case.num_classes)
    assert_close("mean_iou", renamed, got,
                 mean_iou_bound(case.pred, case.target, case.num_classes, evaluations=2),
                 impl=impl, what="mean_iou(σ(pred), σ(target))")


@prop("mean_iou", cases=label_cases, dtypes=IOU_DTYPES)
def mean_iou_ignores_an_unused_class(impl: Impl, case: Case) -> None:
    """Adding a class that neither pred nor target uses (num_classes + 1, at any label) leaves mean IoU unchanged."""
    j = case.inserted  # labels >= j move up by one, so label j is the new, unused class

    def shift(labels: np.ndarray) -> np.ndarray:
        return labels + (labels >= j)

    got = impl("mean_iou", case.pred, case.target, num_classes=case.num_classes)
    wider = impl("mean_iou", shift(case.pred), shift(case.target), num_classes=case.num_classes + 1)
    assert_close("mean_iou", wider, got, mean_iou_bound(case.pred, case.target, case.num_classes, evaluations=2),
                 impl=impl, what=f"mean_iou with unused class {j} of {case.num_classes + 1}")


@prop("mean_iou", cases=label_cases, dtypes=IOU_DTYPES)
def mean_iou_is_symmetric_in_pred_and_target(impl: Impl, case: Case) -> None:
    """Swapping pred and target leaves mean IoU unchanged (a false positive of one is a false negative of the other)."""
    got = impl("mean_iou", case.pred, case.target, num_classes=case.num_classes)
    swapped = impl("mean_iou", case.target, case.pred, num_classes=case.num_classes)
    assert_close("mean_iou", swapped, got, mean_iou_bound(case.pred, case.target, case.num_classes, evaluations=2),
                 impl=impl, what="mean_iou(target, pred)")
