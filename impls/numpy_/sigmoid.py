"""NumPy backend: the logistic sigmoid, its vjp, and the sigmoid (binary) cross-entropy.

float16 inputs are computed in float32 and rounded back.
"""

from __future__ import annotations

import numpy as np

from ._common import acc
from ._common import reduce_loss as _reduce

__all__ = ["sigmoid", "sigmoid_cross_entropy", "sigmoid_cross_entropy_grad", "sigmoid_cross_entropy_with_pos_weight",
           "sigmoid_vjp"]


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid(x, *, device):
    return _sigmoid(x.astype(acc(x))).astype(x.dtype)


def sigmoid_vjp(x, dy, *, device):
    y = _sigmoid(x.astype(acc(x)))
    return (dy * y * (1 - y)).astype(x.dtype)


def _binary_labels(labels, alpha, dtype):
    z = labels.astype(dtype)
    return z if alpha == 0 else z * (1 - alpha) + alpha / 2


def sigmoid_cross_entropy(logits, labels, *, reduction="none", label_smoothing=0.0, device):
    x = logits.astype(acc(logits))
    z = _binary_labels(labels, label_smoothing, x.dtype)
    losses = np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))
    return np.asarray(_reduce(losses, reduction)).astype(logits.dtype)


def sigmoid_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction: expected 'sum' or 'mean', got {reduction!r}")
    x = logits.astype(acc(logits))
    g = _sigmoid(x) - _binary_labels(labels, label_smoothing, x.dtype)
    return (g / x.size if reduction == "mean" else g).astype(logits.dtype)


def sigmoid_cross_entropy_with_pos_weight(logits, labels, pos_weight, *, reduction="none", device):
    x = logits.astype(acc(logits))
    z = labels.astype(x.dtype)
    log_weight = 1 + (pos_weight.astype(x.dtype) - 1) * z
    losses = (1 - z) * x + log_weight * (np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x))))
    return np.asarray(_reduce(losses, reduction)).astype(logits.dtype)
