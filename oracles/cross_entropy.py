"""Softmax cross-entropy at DPS digits: −Σ_c t'_c (z_c − log Σ_j e^{z_j}) with exact mpf inputs (no shift needed:
mpf exponents do not overflow). Labels and label smoothing are evaluated exactly too."""

from __future__ import annotations

import mpmath
import numpy as np

from .mp import DPS


def row_losses(z: list, t: list, alpha: mpmath.mpf | float = 0) -> list:
    """Per-row losses for rows z[n] (lists of mpf) and labels t[n] (lists of mpf), at the caller's precision."""
    out = []
    for zr, tr in zip(z, t):
        c = len(zr)
        lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in zr))
        ts = [(1 - alpha) * tc + alpha / c for tc in tr]
        out.append(-mpmath.fsum(tc * (v - lse) for tc, v in zip(ts, zr)))
    return out


def reduce(losses: list, reduction: str):
    if reduction == "none":
        return losses
    total = mpmath.fsum(losses)
    return total / len(losses) if reduction == "mean" else total


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray, *, reduction: str = "mean",
                          label_smoothing: float = 0.0) -> np.ndarray:
    logits, labels = np.asarray(logits, np.float64), np.asarray(labels, np.float64)
    with mpmath.workdps(DPS):
        z = [[mpmath.mpf(float(v)) for v in row] for row in logits]
        t = [[mpmath.mpf(float(v)) for v in row] for row in labels]
        out = reduce(row_losses(z, t, mpmath.mpf(label_smoothing)), reduction)
        return np.array([float(v) for v in out]) if reduction == "none" else np.float64(float(out))
