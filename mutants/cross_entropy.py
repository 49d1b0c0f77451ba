"""Mutants of the cross_entropy family."""

from __future__ import annotations

import numpy as np

from ..impls import numpy_ as base
from . import mutant


def _log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@mutant("ce-grad-without-label-mass", "∂ξ/∂z taken as softmax(z) − t: wrong for labels that do not sum to 1")
def softmax_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    z = logits.astype(np.float64)
    t = (1 - label_smoothing) * labels + label_smoothing / z.shape[1]
    g = np.exp(_log_softmax(z)) - t
    return (g / z.shape[0] if reduction == "mean" else g).astype(logits.dtype)


@mutant("ce-grad-mean-without-one-over-n", "the 'mean' gradient forgets the 1/N of the mean")
def softmax_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):  # noqa: F811
    return base.softmax_cross_entropy_grad(logits, labels, reduction="sum", label_smoothing=label_smoothing,
                                           device=device)


@mutant("label-smoothing-without-over-c", "smoothed labels (1 − α)t + α instead of (1 − α)t + α/C")
def softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    t = (1 - label_smoothing) * labels + label_smoothing
    return base.softmax_cross_entropy(logits, t.astype(labels.dtype), reduction=reduction, label_smoothing=0.0,
                                      device=device)


@mutant("ce-as-log-of-softmax", "−Σ t log(softmax(z)): −∞ (or NaN) wherever a probability underflows")
def softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):  # noqa: F811
    z = logits.astype(np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    t = (1 - label_smoothing) * labels + label_smoothing / z.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        per = -(t * np.log(e / e.sum(axis=1, keepdims=True))).sum(axis=1)
    out = per if reduction == "none" else (per.sum() if reduction == "sum" else per.mean())
    return np.asarray(out).astype(logits.dtype)


@mutant("sparse-ce-label-off-by-one", "integer labels read as 1-based: class y − 1 (wrapping to the last)")
def sparse_softmax_cross_entropy(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    return base.sparse_softmax_cross_entropy(logits, (labels - 1) % logits.shape[1], reduction=reduction,
                                             label_smoothing=label_smoothing, device=device)
