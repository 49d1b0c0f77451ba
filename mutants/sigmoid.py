"""Mutants of the sigmoid family."""

from __future__ import annotations

import numpy as np

from ..impls import numpy_ as base
from . import mutant


@mutant("sigmoid-ce-unstable-form", "−z log σ(x) − (1 − z) log(1 − σ(x)): ∞ or NaN once σ rounds to 0 or 1")
def sigmoid_cross_entropy(logits, labels, *, reduction="none", label_smoothing=0.0, device):
    x = logits.astype(np.float64)
    z = labels * (1 - label_smoothing) + label_smoothing / 2
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s = 1 / (1 + np.exp(-x))
        per = -z * np.log(s) - (1 - z) * np.log(1 - s)
    out = per if reduction == "none" else (per.sum() if reduction == "sum" else per.mean())
    return np.asarray(out).astype(logits.dtype)


@mutant("sigmoid-vjp-without-one-minus-sigma", "the sigmoid backward taken as σ(x)·dy")
def sigmoid_vjp(x, dy, *, device):
    return (base.sigmoid(x, device=device) * dy).astype(x.dtype)


@mutant("sigmoid-ce-grad-sign-flipped", "∂ℓ/∂x taken as z − σ(x)")
def sigmoid_cross_entropy_grad(logits, labels, *, reduction="mean", label_smoothing=0.0, device):
    return -base.sigmoid_cross_entropy_grad(logits, labels, reduction=reduction, label_smoothing=label_smoothing,
                                            device=device)
