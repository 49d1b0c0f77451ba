"""Exact oracle for mean IoU: counts in Python integers and the mean in exact rational arithmetic.

IoU is a ratio of integer counts, so `fractions.Fraction` gives the exact value — better than any fixed number
of mpmath digits; the single rounding is the final `float()` (correctly rounded). Written from the definition
(set sizes of intersection and union per class), independently of the spec's confusion-matrix formulation.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np


def mean_iou(pred: np.ndarray, target: np.ndarray, *, num_classes: int, ignore_index: int | None = None) -> float:
    """(1/|C|) Σ_{c∈C} |P_c ∩ T_c| / |P_c ∪ T_c| with P_c, T_c the element sets labelled c, C = {c : P_c ∪ T_c ≠ ∅},
    over the elements whose target is not `ignore_index`."""
    pairs = [(int(a), int(b)) for a, b in zip(np.asarray(pred).ravel(), np.asarray(target).ravel())
             if ignore_index is None or int(b) != ignore_index]
    p = [a for a, _ in pairs]
    t = [b for _, b in pairs]
    ratios = []
    for c in range(num_classes):
        in_p = {e for e, v in enumerate(p) if v == c}
        in_t = {e for e, v in enumerate(t) if v == c}
        union = in_p | in_t
        if union:
            ratios.append(Fraction(len(in_p & in_t), len(union)))
    return float(sum(ratios, Fraction(0)) / len(ratios))
