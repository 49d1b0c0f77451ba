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


def weighted_sparse_softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray, weight: np.ndarray, *,
                                          ignore_index: int = -100, reduction: str = "mean",
                                          label_smoothing: float = 0.0) -> np.ndarray:
    """−[y_n ≠ ii]·Σ_c w_c t'_{n,c}(z_c − log Σ_j e^{z_j}), reduced; 'mean' ÷ Σ_n [y_n ≠ ii] w_{y_n} (NaN if 0)."""
    logits, labels, weight = np.asarray(logits, np.float64), np.asarray(labels), np.asarray(weight, np.float64)
    with mpmath.workdps(DPS):
        c = logits.shape[1]
        w = [mpmath.mpf(float(v)) for v in weight]
        a = mpmath.mpf(label_smoothing)
        losses, kept_weight = [], mpmath.mpf(0)
        for row, label in zip(logits, labels):
            y = int(label)
            if y == ignore_index:
                losses.append(mpmath.mpf(0))
                continue
            u = [w[k] * ((1 - a) * (1 if k == y else 0) + a / c) for k in range(c)]  # u_c = w_c t'_c
            losses.append(row_losses([[mpmath.mpf(float(v)) for v in row]], [u])[0])
            kept_weight += w[y]
        if reduction == "none":
            return np.array([float(v) for v in losses])
        total = mpmath.fsum(losses)
        if reduction == "sum":
            return np.float64(float(total))
        return np.float64(float(total / kept_weight)) if kept_weight != 0 else np.float64(np.nan)
