"""NumPy backend: softmax cross-entropy (dense and integer labels) and its gradient.

float16 inputs are computed in float32 (NumPy's advice for half-precision reductions) and rounded back.
"""

from __future__ import annotations

import numpy as np

from ._common import acc
from ._common import reduce_loss as _reduce

__all__ = ["softmax_cross_entropy", "softmax_cross_entropy_grad",
           "sparse_softmax_cross_entropy", "sparse_softmax_cross_entropy_grad",
           "weighted_sparse_softmax_cross_entropy", "weighted_sparse_softmax_cross_entropy_grad"]


def _log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _smoothed(labels, alpha, dtype):
    t = labels.astype(dtype)
    return t if alpha == 0 else (1 - alpha) * t + alpha / t.shape[1]


def _one_hot(labels, num_classes, dtype):
    return (labels[:, None] == np.arange(num_classes)).astype(dtype)


def softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    z = logits.astype(acc(logits))
    t = _smoothed(labels, label_smoothing, z.dtype)
    return np.asarray(_reduce(-(t * _log_softmax(z)).sum(axis=1), reduction)).astype(logits.dtype)


def softmax_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction: expected 'sum' or 'mean', got {reduction!r}")
    z = logits.astype(acc(logits))
    t = _smoothed(labels, label_smoothing, z.dtype)
    g = np.exp(_log_softmax(z)) * t.sum(axis=1, keepdims=True) - t
    return (g / z.shape[0] if reduction == "mean" else g).astype(logits.dtype)


def sparse_softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    t = _one_hot(labels, logits.shape[1], logits.dtype)
    return softmax_cross_entropy(logits, t, reduction=reduction, label_smoothing=label_smoothing, device=device)


def sparse_softmax_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    t = _one_hot(labels, logits.shape[1], logits.dtype)
    return softmax_cross_entropy_grad(logits, t, reduction=reduction, label_smoothing=label_smoothing,
                                      device=device)


def _weighted(logits, labels, weight, ignore_index, label_smoothing):
    """The logits in the working dtype, the per-class weights of each kept row's smoothed target, and the kept
    rows' total weight (PyTorch's CrossEntropyLoss(weight=, ignore_index=, label_smoothing=) convention)."""
    z = logits.astype(acc(logits))
    kept = labels != ignore_index
    t = _smoothed(_one_hot(np.where(kept, labels, 0), z.shape[1], z.dtype), label_smoothing, z.dtype)
    w = weight.astype(z.dtype)
    return z, w * t * kept[:, None], (w[np.where(kept, labels, 0)] * kept).sum()


def weighted_sparse_softmax_cross_entropy(logits, labels, weight, *, ignore_index=-100, reduction="mean",
                                          label_smoothing=0.0, device):
    z, u, total_weight = _weighted(logits, labels, weight, ignore_index, label_smoothing)
    losses = -(u * _log_softmax(z)).sum(axis=1)
    if reduction == "mean":  # a mean over no weight is undefined: NaN (PyTorch's convention)
        return np.asarray(losses.sum() / total_weight if total_weight > 0 else np.nan).astype(logits.dtype)
    return np.asarray(_reduce(losses, reduction)).astype(logits.dtype)


def weighted_sparse_softmax_cross_entropy_grad(logits, labels, weight, *, ignore_index=-100, reduction="mean",
                                               label_smoothing=0.0, device):
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction: expected 'sum' or 'mean', got {reduction!r}")
    z, u, total_weight = _weighted(logits, labels, weight, ignore_index, label_smoothing)
    g = np.exp(_log_softmax(z)) * u.sum(axis=1, keepdims=True) - u
    if reduction == "sum":
        return g.astype(logits.dtype)
    scaled = g / total_weight if total_weight > 0 else np.full_like(g, np.nan)
    return np.where((labels != ignore_index)[:, None], scaled, 0.0).astype(logits.dtype)  # ignored rows: 0
