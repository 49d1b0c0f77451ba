"""The sigmoid and the binary cross-entropy at DPS digits. e^{x} never overflows in mpf; the loss is written as
(1 − z)x + log(1 + e^{−x}), the definition −z log σ − (1 − z) log(1 − σ) with log σ(x) = −log(1 + e^{−x}) and
log(1 − σ(x)) = −x − log(1 + e^{−x}) substituted, because 1 − σ(x) loses all 50 digits once x > 115."""

from __future__ import annotations

import mpmath
import numpy as np

from .mp import DPS


def sigmoid_mp(x: mpmath.mpf) -> mpmath.mpf:
    return 1 / (1 + mpmath.exp(-x))


def bce_mp(x: mpmath.mpf, z: mpmath.mpf) -> mpmath.mpf:
    """−z log σ(x) − (1 − z) log(1 − σ(x)) (Goodfellow et al. §6.2.2.2) = (1 − z)x + log(1 + e^{−x})."""
    return (1 - z) * x + mpmath.log1p(mpmath.exp(-x))


def sigmoid(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    with mpmath.workdps(DPS):
        return np.vectorize(lambda v: float(sigmoid_mp(mpmath.mpf(float(v)))), otypes=[np.float64])(x)


def sigmoid_cross_entropy(logits: np.ndarray, labels: np.ndarray, *, reduction: str = "none",
                          label_smoothing: float = 0.0) -> np.ndarray:
    x, z = np.asarray(logits, np.float64), np.asarray(labels, np.float64)
    with mpmath.workdps(DPS):
        a = mpmath.mpf(label_smoothing)
        losses = [bce_mp(mpmath.mpf(float(xi)), mpmath.mpf(float(zi)) * (1 - a) + a / 2)
                  for xi, zi in zip(x.ravel(), z.ravel())]
        if reduction == "none":
            return np.array([float(v) for v in losses]).reshape(x.shape)
        total = mpmath.fsum(losses)
        return np.float64(float(total / len(losses) if reduction == "mean" else total))


def sigmoid_cross_entropy_with_pos_weight(logits: np.ndarray, labels: np.ndarray, pos_weight: np.ndarray, *,
                                          reduction: str = "none") -> np.ndarray:
    """−[q z log σ(x) + (1 − z) log(1 − σ(x))] = (1 − z)x + (1 + (q − 1)z)·log(1 + e^{−x}), exactly in mpf."""
    x, z = np.asarray(logits, np.float64), np.asarray(labels, np.float64)
    q = np.broadcast_to(np.asarray(pos_weight, np.float64), x.shape)
    with mpmath.workdps(DPS):
        losses = []
        for xi, zi, qi in zip(x.ravel(), z.ravel(), q.ravel()):
            xm, zm, qm = mpmath.mpf(float(xi)), mpmath.mpf(float(zi)), mpmath.mpf(float(qi))
            losses.append((1 - zm) * xm + (1 + (qm - 1) * zm) * mpmath.log1p(mpmath.exp(-xm)))
        if reduction == "none":
            return np.array([float(v) for v in losses]).reshape(x.shape)
        total = mpmath.fsum(losses)
        return np.float64(float(total / len(losses) if reduction == "mean" else total))
