"""Regions of the softmax / cross-entropy / sigmoid deviations: where, in input space, a framework deviates.

Each predicate takes a catalogue example's Case and the dtype and says whether the input lies in the region the
entry's `region_doc` describes. (To be merged by the lead into deviations/regions.py.)
"""

from __future__ import annotations

import numpy as np

from ..spec import cross_entropy as S
from ..spec import sigmoid as SG

FLOAT16_OVERFLOW = 65520.0
"""The smallest value that rounds to inf in float16: 65504 (the largest finite) plus half its ulp (32 / 2)."""


def _per_sample_losses(case) -> tuple[np.ndarray, float]:
    """The spec's per-sample (or elementwise) losses of a cross-entropy case and the denominator of its 'mean'."""
    if hasattr(case, "pos_weight"):  # sigmoid cross-entropy with pos_weight: elementwise, 'mean' over elements
        losses = SG.sigmoid_cross_entropy_with_pos_weight(case.logits, case.labels, case.pos_weight, reduction="none")
        return losses.ravel(), float(losses.size)
    if hasattr(case, "weight"):
        kw = {"ignore_index": case.ignore_index, "label_smoothing": case.label_smoothing}
        losses = S.weighted_sparse_softmax_cross_entropy(case.logits, case.classes, case.weight, reduction="none",
                                                         **kw)
        kept = case.classes != case.ignore_index
        return losses, float((case.weight[np.where(kept, case.classes, 0)] * kept).sum())
    losses = S.softmax_cross_entropy(case.logits, case.labels, reduction="none", label_smoothing=case.label_smoothing)
    return losses, float(losses.shape[0])


def float16_loss_sum_overflows(case, dtype: str) -> bool:
    """float16 and reduction 'mean', where the sum of the per-sample (weighted) losses reaches 65520 — the float16
    overflow threshold, 65504 plus half its ulp of 32 — while their mean stays below it.

    A 'mean' accumulated in float16 returns inf exactly there: the sum is inf before the division by N (or by the
    kept targets' total weight). Below 65520 the float16 sum is finite (if inexact); a mean at or above 65520 is
    inf in any algorithm, and the spec's answer then is not representable either.
    """
    if dtype != "float16" or case.reduction != "mean":
        return False
    losses, denominator = _per_sample_losses(case)
    total = float(np.sum(losses))
    return total >= FLOAT16_OVERFLOW and denominator > 0 and total / denominator < FLOAT16_OVERFLOW


SQUARE_OVERFLOW = 255.9375
"""The smallest float that rounds to 256 or more in float16 (the midpoint of 255.875 and 256): 256² = 65536 is
past float16's overflow threshold 65520, while 255.875² = 65472 is finite."""


def float16_softmax_normaliser_reaches_256(case, dtype: str) -> bool:
    """float16, and some slice along the axis whose softmax normaliser w = Σ_j e^{z_j − max z} rounds to 256 or
    more in float16 (w >= 255.9375): a backward that forms w^{-2} in float16 gets 1/inf = 0 there.

    Each term is at most 1 (the maximum contributes exactly 1), so a row needs at least 256 entries close to its
    maximum: the region starts at rows of 256 equal logits. Below it, w² <= 255.875² = 65472 is finite.
    """
    if dtype != "float16":
        return False
    x = np.asarray(case.x, dtype=np.float64)
    w = np.exp(x - x.max(axis=case.axis, keepdims=True)).sum(axis=case.axis)
    return bool(np.any(w >= SQUARE_OVERFLOW))


def rounded_log_sum_exp_exceeds_budget(case, dtype: str) -> bool:
    """Some row whose sparse loss, computed as fl(lse(z)) − z_y with lse(z) = max z + log Σ_c e^{z_c − max z}
    rounded to `dtype` first, differs from the spec's loss by more than the cross-entropy error model allows
    (properties/cross_entropy.loss_bound with the dtype's ε).

    The rounding moves lse by up to ulp(max z)/2 ≈ ε|max z|/2, while the model's budget is bounded by the loss
    itself (≈ (LIBM + 2)·log S + A(C) + …, S <= C): for equal logits the region starts near |max z| ≈ 2^4·C/ε.
    """
    from ..dtypes import eps, round_to
    from ..properties.cross_entropy import loss_bound
    from ..spec import softmax as SM

    z = np.asarray(case.logits, dtype=np.float64)
    y = np.asarray(case.classes)
    m = z.max(axis=1)
    lse = m + np.log(np.exp(z - m[:, None]).sum(axis=1))
    rounded = round_to(lse, dtype) - z[np.arange(z.shape[0]), y]
    want = -SM.log_softmax(z, axis=1)[np.arange(z.shape[0]), y]
    allowed = eps(dtype) * np.asarray(loss_bound(z, S.one_hot(y, z.shape[1]), "none", dtype=dtype).budget)
    return bool(np.any(np.abs(rounded - want) > allowed))
